/*
 * test_dispatch.c — every opcode, in each dialect, reaches the right
 * callback: a filesystem whose every callback records its own name and
 * answers ENOTTY is sent one well-formed request per opcode.
 */
#include <errno.h>
#include <string.h>

#include "fake_kernel.h"
#include "fk_test.h"

static const char *called;
static int forgets;

#define REC(name, type)                                          \
	static void rec_##name(fk_req *req, const struct type *in) \
	{                                                        \
		(void)in;                                        \
		called = #name;                                  \
		(void)fk_reply_err(req, ENOTTY);                 \
	}
REC(lookup, fk_name_in)
REC(getattr, fk_getattr_in)
REC(setattr, fk_setattr_in)
REC(readlink, fk_ino_in)
REC(symlink, fk_symlink_in)
REC(mknod, fk_mknod_in)
REC(mkdir, fk_mkdir_in)
REC(unlink, fk_name_in)
REC(rmdir, fk_name_in)
REC(rename, fk_rename_in)
REC(link, fk_link_in)
REC(open, fk_open_in)
REC(read, fk_read_in)
REC(write, fk_write_in)
REC(statfs, fk_ino_in)
REC(release, fk_release_in)
REC(fsync, fk_fsync_in)
REC(setxattr, fk_setxattr_in)
REC(getxattr, fk_getxattr_in)
REC(listxattr, fk_listxattr_in)
REC(removexattr, fk_removexattr_in)
REC(flush, fk_flush_in)
REC(opendir, fk_open_in)
REC(readdir, fk_read_in)
REC(readdirplus, fk_read_in)
REC(releasedir, fk_release_in)
REC(fsyncdir, fk_fsync_in)
REC(getlk, fk_lock_in)
REC(setlk, fk_lock_in)
REC(access, fk_access_in)
REC(create, fk_create_in)
REC(bmap, fk_bmap_in)
REC(ioctl, fk_ioctl_in)
REC(poll, fk_poll_in)
REC(fallocate, fk_fallocate_in)
REC(lseek, fk_lseek_in)
REC(copy_file_range, fk_copy_range_in)
REC(syncfs, fk_ino_in)
REC(tmpfile, fk_create_in)
REC(statx, fk_statx_in)
REC(setvolname, fk_setvolname_in)
REC(getxtimes, fk_ino_in)
REC(exchange, fk_exchange_in)

static void rec_forget(void *fs, uint64_t ino, uint64_t n)
{
	forgets++;
}

static const struct fk_ops ops = {
	.lookup = rec_lookup, .forget = rec_forget, .getattr = rec_getattr,
	.setattr = rec_setattr, .readlink = rec_readlink, .symlink = rec_symlink,
	.mknod = rec_mknod, .mkdir = rec_mkdir, .unlink = rec_unlink,
	.rmdir = rec_rmdir, .rename = rec_rename, .link = rec_link,
	.open = rec_open, .read = rec_read, .write = rec_write,
	.statfs = rec_statfs, .release = rec_release, .fsync = rec_fsync,
	.setxattr = rec_setxattr, .getxattr = rec_getxattr,
	.listxattr = rec_listxattr, .removexattr = rec_removexattr,
	.flush = rec_flush, .opendir = rec_opendir, .readdir = rec_readdir,
	.readdirplus = rec_readdirplus, .releasedir = rec_releasedir,
	.fsyncdir = rec_fsyncdir, .getlk = rec_getlk, .setlk = rec_setlk,
	.access = rec_access, .create = rec_create, .bmap = rec_bmap,
	.ioctl = rec_ioctl, .poll = rec_poll, .fallocate = rec_fallocate,
	.lseek = rec_lseek, .copy_file_range = rec_copy_file_range,
	.syncfs = rec_syncfs, .tmpfile = rec_tmpfile, .statx = rec_statx,
	.setvolname = rec_setvolname, .getxtimes = rec_getxtimes,
	.exchange = rec_exchange,
};

/* A body long enough for any fixed part, followed by two names. */
static uint8_t body[256];

static void build_body(size_t fixed, size_t *len)
{
	memset(body, 0, sizeof body);
	memcpy(body + fixed, "n1\0n2\0", 6);
	*len = fixed + 6;
}

struct op_case {
	uint32_t opcode;
	size_t fixed; /* bytes of the op's struct before the names */
	const char *callback;
	int mac_only;
};

static const struct op_case cases[] = {
	{ FK_OP_LOOKUP, 0, "lookup", 0 },
	{ FK_OP_GETATTR, 16, "getattr", 0 },
	{ FK_OP_READLINK, 0, "readlink", 0 },
	{ FK_OP_SYMLINK, 0, "symlink", 0 },
	{ FK_OP_MKNOD, 16, "mknod", 0 },
	{ FK_OP_MKDIR, 8, "mkdir", 0 },
	{ FK_OP_UNLINK, 0, "unlink", 0 },
	{ FK_OP_RMDIR, 0, "rmdir", 0 },
	{ FK_OP_RENAME2, 16, "rename", 0 },
	{ FK_OP_LINK, 8, "link", 0 },
	{ FK_OP_OPEN, 8, "open", 0 },
	{ FK_OP_READ, 40, "read", 0 },
	{ FK_OP_WRITE, 40, "write", 0 },
	{ FK_OP_STATFS, 0, "statfs", 0 },
	{ FK_OP_RELEASE, 24, "release", 0 },
	{ FK_OP_FSYNC, 16, "fsync", 0 },
	{ FK_OP_REMOVEXATTR, 0, "removexattr", 0 },
	{ FK_OP_FLUSH, 24, "flush", 0 },
	{ FK_OP_OPENDIR, 8, "opendir", 0 },
	{ FK_OP_READDIR, 40, "readdir", 0 },
	{ FK_OP_READDIRPLUS, 40, "readdirplus", 0 },
	{ FK_OP_RELEASEDIR, 24, "releasedir", 0 },
	{ FK_OP_FSYNCDIR, 16, "fsyncdir", 0 },
	{ FK_OP_GETLK, 48, "getlk", 0 },
	{ FK_OP_SETLK, 48, "setlk", 0 },
	{ FK_OP_SETLKW, 48, "setlk", 0 },
	{ FK_OP_ACCESS, 8, "access", 0 },
	{ FK_OP_CREATE, 16, "create", 0 },
	{ FK_OP_BMAP, 16, "bmap", 0 },
	{ FK_OP_IOCTL, 32, "ioctl", 0 },
	{ FK_OP_POLL, 24, "poll", 0 },
	{ FK_OP_FALLOCATE, 32, "fallocate", 0 },
	{ FK_OP_LSEEK, 24, "lseek", 0 },
	{ FK_OP_COPY_FILE_RANGE, 56, "copy_file_range", 0 },
	{ FK_OP_COPY_FILE_RANGE_64, 56, "copy_file_range", 0 },
	{ FK_OP_SYNCFS, 8, "syncfs", 0 },
	{ FK_OP_TMPFILE, 16, "tmpfile", 0 },
	{ FK_OP_STATX, 24, "statx", 0 },
	{ FK_OP_SETVOLNAME, 0, "setvolname", 1 },
	{ FK_OP_GETXTIMES, 0, "getxtimes", 1 },
	{ FK_OP_EXCHANGE, 24, "exchange", 1 },
};

static void run_dialect(enum fk_dialect d)
{
	struct fake_kernel k;
	struct fake_opts o = { d, d == FK_DIALECT_MACFUSE ? 19 : 45, 0, 1, NULL };
	if (fake_start(&k, &ops, NULL, &o)) {
		fk_test_failures++;
		return;
	}
	size_t len;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct op_case *c = &cases[i];
		build_body(c->fixed, &len);
		struct iovec p = IOV(body, len);
		called = NULL;
		int err = fake_call(&k, c->opcode, 5, &p, 1, NULL, 0, NULL);
		if (c->mac_only && d == FK_DIALECT_LINUX) {
			FK_CHECK_EQ(err, -ENOSYS);
			FK_CHECK(called == NULL);
			continue;
		}
		if (err != -ENOTTY || !called || strcmp(called, c->callback)) {
			fprintf(stderr, "  opcode %u: error %d, callback %s (want %s)\n",
				c->opcode, err, called ? called : "none", c->callback);
			fk_test_failures++;
		}
	}
	/* RENAME (12) carries flags in the macFUSE dialect; its body differs. */
	build_body(d == FK_DIALECT_MACFUSE ? 16 : 8, &len);
	struct iovec p = IOV(body, len);
	called = NULL;
	FK_CHECK_EQ(fake_call(&k, FK_OP_RENAME, 5, &p, 1, NULL, 0, NULL), -ENOTTY);
	FK_CHECK(called && strcmp(called, "rename") == 0);
	/* SETXATTR: 16 bytes in both (Linux: SETXATTR_EXT is granted;
	 * macFUSE: the position word). GETXATTR: 8 on Linux, 16 on macFUSE. */
	build_body(16, &len);
	p = IOV(body, len);
	called = NULL;
	FK_CHECK_EQ(fake_call(&k, FK_OP_SETXATTR, 5, &p, 1, NULL, 0, NULL), -ENOTTY);
	FK_CHECK(called && strcmp(called, "setxattr") == 0);
	build_body(d == FK_DIALECT_MACFUSE ? 16 : 8, &len);
	p = IOV(body, len);
	called = NULL;
	FK_CHECK_EQ(fake_call(&k, FK_OP_GETXATTR, 5, &p, 1, NULL, 0, NULL), -ENOTTY);
	FK_CHECK(called && strcmp(called, "getxattr") == 0);
	called = NULL;
	FK_CHECK_EQ(fake_call(&k, FK_OP_LISTXATTR, 5, &p, 1, NULL, 0, NULL), -ENOTTY);
	FK_CHECK(called && strcmp(called, "listxattr") == 0);
	/* SETATTR: 88 bytes on Linux, 128 on macFUSE */
	build_body(d == FK_DIALECT_MACFUSE ? 128 : 88, &len);
	p = IOV(body, len);
	called = NULL;
	FK_CHECK_EQ(fake_call(&k, FK_OP_SETATTR, 5, &p, 1, NULL, 0, NULL), -ENOTTY);
	FK_CHECK(called && strcmp(called, "setattr") == 0);
	FK_CHECK_EQ(fake_stop(&k), 0);
}

static void test_linux_dispatch(void)
{
	run_dialect(FK_DIALECT_LINUX);
}

static void test_macfuse_dispatch(void)
{
	run_dialect(FK_DIALECT_MACFUSE);
}

int main(void)
{
	static const struct fk_test tests[] = {
		FK_TEST(test_linux_dispatch),
		FK_TEST(test_macfuse_dispatch),
	};
	return fk_test_main(tests, sizeof tests / sizeof tests[0]);
}
