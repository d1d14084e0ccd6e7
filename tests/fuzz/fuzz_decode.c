/*
 * fuzz_decode.c — libFuzzer target for the request decoder.
 *
 * Input: one byte of settings (bit 0: macFUSE dialect, bit 1:
 * SETXATTR_EXT, the rest: minor version 19..45), then one raw message. The
 * message is copied into an exactly-sized 8-aligned allocation so
 * AddressSanitizer sees any read past its end. On success every pointer the
 * decoder produced must lie inside the message, and every name must end in
 * a NUL inside it.
 *
 *     fuzz_decode tests/fuzz/corpus          # run until stopped
 *     fuzz_decode -runs=200000 tests/fuzz/corpus
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/fk_proto.h"

static const uint8_t *lo, *hi;

static void inside(const void *p, size_t n)
{
	const uint8_t *b = p;
	if (n == 0)
		return;
	if (b < lo || b + n > hi || b + n < b)
		abort();
}

static void name_inside(const char *s)
{
	if (!s)
		abort();
	inside(s, 1);
	size_t n = strnlen(s, (size_t)(hi - (const uint8_t *)s));
	if ((const uint8_t *)s + n >= hi) /* no NUL before the end */
		abort();
}

static void check(const struct fk_msg *m)
{
	switch (m->opcode) {
	case FK_OP_LOOKUP:
	case FK_OP_UNLINK:
	case FK_OP_RMDIR:
		name_inside(m->u.name.name);
		break;
	case FK_OP_SYMLINK:
		name_inside(m->u.symlink.name);
		name_inside(m->u.symlink.target);
		break;
	case FK_OP_MKNOD:
		name_inside(m->u.mknod.name);
		break;
	case FK_OP_MKDIR:
		name_inside(m->u.mkdir.name);
		break;
	case FK_OP_RENAME:
	case FK_OP_RENAME2:
		name_inside(m->u.rename.name);
		name_inside(m->u.rename.newname);
		break;
	case FK_OP_LINK:
		name_inside(m->u.link.newname);
		break;
	case FK_OP_CREATE:
	case FK_OP_TMPFILE:
		name_inside(m->u.create.name);
		break;
	case FK_OP_WRITE:
		inside(m->u.write.data, m->u.write.size);
		break;
	case FK_OP_SETXATTR:
		name_inside(m->u.setxattr.name);
		inside(m->u.setxattr.value, m->u.setxattr.size);
		break;
	case FK_OP_GETXATTR:
		name_inside(m->u.getxattr.name);
		break;
	case FK_OP_REMOVEXATTR:
		name_inside(m->u.removexattr.name);
		break;
	case FK_OP_IOCTL:
		inside(m->u.ioctl.in_data, m->u.ioctl.in_size);
		break;
	case FK_OP_NOTIFY_REPLY:
		inside(m->u.notify_reply.data, m->u.notify_reply.size);
		break;
	case FK_OP_BATCH_FORGET:
		inside(m->u.forget.items,
		       (size_t)m->u.forget.count * sizeof(struct fk_wire_forget_one));
		break;
	case FK_OP_SETVOLNAME:
		name_inside(m->u.setvolname.name);
		break;
	case FK_OP_EXCHANGE:
		name_inside(m->u.exchange.oldname);
		name_inside(m->u.exchange.newname);
		break;
	default:
		break;
	}
	if (m->ctx.ngroups > FK_MSG_MAX_GROUPS)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct fk_proto p;
	p.dialect = (data[0] & 1) ? FK_DIALECT_MACFUSE : FK_DIALECT_LINUX;
	p.setxattr_ext = (data[0] & 2) != 0;
	p.mac_rename_flags = (data[0] & 0x80) != 0; /* (shares a bit with minor) */
	p.minor = 19 + (uint32_t)(data[0] >> 2) % 27;
	size_t len = size - 1;
	uint8_t *buf = aligned_alloc(8, (len + 7) & ~(size_t)7);
	if (!buf && len)
		return 0;
	if (len)
		memcpy(buf, data + 1, len);
	lo = buf;
	hi = buf + len;
	struct fk_msg m;
	if (fk_proto_decode(&p, buf, len, &m) == 0)
		check(&m);
	free(buf);
	return 0;
}
