/*
 * decode.c — turn one raw FUSE request into a struct fk_msg.
 *
 * Every read goes through a cursor that knows how many bytes are left, so a
 * truncated or lying message fails with -EINVAL instead of reading past the
 * buffer. Structures are copied out with memcpy: the decoder never assumes
 * a field is aligned, and the fuzzer checks that it never reads out of
 * bounds (tests/fuzz/fuzz_decode.c).
 */
#include <errno.h>
#include <string.h>
#include <sys/xattr.h> /* XATTR_CREATE, XATTR_REPLACE */

#include "fk_proto.h"

struct cursor {
	const uint8_t *p;
	size_t left;
};

/* Copy exactly n bytes into dst. */
static int take(struct cursor *c, void *dst, size_t n)
{
	if (c->left < n)
		return -EINVAL;
	memcpy(dst, c->p, n);
	c->p += n;
	c->left -= n;
	return 0;
}

/* A NUL-terminated string that ends inside the message. */
static int take_name(struct cursor *c, const char **name)
{
	const uint8_t *nul = memchr(c->p, 0, c->left);
	if (!nul)
		return -EINVAL;
	*name = (const char *)c->p;
	c->left -= (size_t)(nul - c->p) + 1;
	c->p = nul + 1;
	return 0;
}

/* n bytes of payload, left in place. */
static int take_data(struct cursor *c, const void **data, size_t n)
{
	if (c->left < n)
		return -EINVAL;
	*data = c->p;
	c->p += n;
	c->left -= n;
	return 0;
}

static struct timespec ts(uint64_t sec, uint32_t nsec)
{
	struct timespec t;
	t.tv_sec = (time_t)sec;
	t.tv_nsec = (long)nsec;
	return t;
}

/*
 * Extensions (protocol 7.38+) sit at the end of the message, total_extlen
 * 8-byte units long. The only one we use is the supplementary group list.
 * The cursor's length is cut so the op's decoder never sees them.
 */
static int decode_extensions(struct cursor *c, uint16_t total_extlen,
			     struct fk_msg *m)
{
	size_t extlen = (size_t)total_extlen * 8;
	if (extlen == 0)
		return 0;
	if (extlen > c->left)
		return -EINVAL;
	c->left -= extlen;
	const uint8_t *p = c->p + c->left;
	while (extlen > 0) {
		struct fk_wire_ext_header eh;
		if (extlen < sizeof eh)
			return -EINVAL;
		memcpy(&eh, p, sizeof eh);
		if (eh.size < sizeof eh || eh.size > extlen || eh.size % 8)
			return -EINVAL;
		if (eh.type == FK_EXT_GROUPS) {
			struct fk_wire_supp_groups g;
			size_t body = eh.size - sizeof eh;
			if (body < sizeof g)
				return -EINVAL;
			memcpy(&g, p + sizeof eh, sizeof g);
			if (g.nr_groups > (body - sizeof g) / sizeof(uint32_t))
				return -EINVAL;
			/* The record may sit at any 4-byte offset after a
			 * name, so copy the groups rather than point at them. */
			uint32_t n = g.nr_groups < FK_MSG_MAX_GROUPS
					     ? g.nr_groups
					     : FK_MSG_MAX_GROUPS;
			memcpy(m->groups, p + sizeof eh + sizeof g,
			       n * sizeof(uint32_t));
			m->ctx.ngroups = n;
			m->ctx.groups = n ? m->groups : NULL;
		}
		/* Other types (security contexts) are skipped. */
		p += eh.size;
		extlen -= eh.size;
	}
	return 0;
}

static int decode_init(struct cursor *c, struct fk_msg *m)
{
	struct fk_wire_init_in in;
	memset(&in, 0, sizeof in);
	if (c->left < FK_COMPAT_INIT_IN_SIZE)
		return -EINVAL;
	size_t n = c->left < sizeof in ? c->left : sizeof in;
	if (take(c, &in, n))
		return -EINVAL;
	m->u.init.major = in.major;
	m->u.init.minor = in.minor;
	m->u.init.max_readahead = in.max_readahead;
	m->u.init.flags = in.flags;
	if ((in.flags & FK_INIT_INIT_EXT) && n >= 20)
		m->u.init.flags |= (uint64_t)in.flags2 << 32;
	return 0;
}

static int decode_forget(struct cursor *c, struct fk_msg *m, int batch)
{
	struct fk_forget_args *f = &m->u.forget;
	f->batch = batch;
	if (!batch) {
		struct fk_wire_forget_in in;
		if (take(c, &in, sizeof in))
			return -EINVAL;
		f->single_nlookup = in.nlookup;
		f->count = 1;
		f->items = NULL;
		return 0;
	}
	struct fk_wire_batch_forget_in in;
	if (take(c, &in, sizeof in))
		return -EINVAL;
	if (in.count > c->left / sizeof(struct fk_wire_forget_one))
		return -EINVAL;
	f->count = in.count;
	f->items = c->p;
	c->p += (size_t)in.count * sizeof(struct fk_wire_forget_one);
	c->left -= (size_t)in.count * sizeof(struct fk_wire_forget_one);
	return 0;
}

static int decode_setattr(const struct fk_proto *p, struct cursor *c,
			  struct fk_msg *m)
{
	struct fk_wire_mac_setattr_in mac;
	struct fk_wire_setattr_in *in = &mac.base;
	struct fk_setattr_in *s = &m->u.setattr;
	int is_mac = p->dialect == FK_DIALECT_MACFUSE;

	memset(&mac, 0, sizeof mac);
	if (take(c, &mac, is_mac ? sizeof mac : sizeof *in))
		return -EINVAL;
	s->ino = m->nodeid;
	s->has_fh = (in->valid & FK_FATTR_FH) != 0;
	s->fh = in->fh;
	s->size = in->size;
	s->lock_owner = in->lock_owner;
	s->atime = ts(in->atime, in->atimensec);
	s->mtime = ts(in->mtime, in->mtimensec);
	s->ctime = ts(in->ctime, in->ctimensec);
	s->mode = in->mode;
	s->uid = in->uid;
	s->gid = in->gid;
	s->valid = 0;

	static const struct {
		uint32_t wire, fk;
	} map[] = {
		{ FK_FATTR_MODE, FK_SET_MODE },
		{ FK_FATTR_UID, FK_SET_UID },
		{ FK_FATTR_GID, FK_SET_GID },
		{ FK_FATTR_SIZE, FK_SET_SIZE },
		{ FK_FATTR_ATIME, FK_SET_ATIME },
		{ FK_FATTR_MTIME, FK_SET_MTIME },
		{ FK_FATTR_ATIME_NOW, FK_SET_ATIME_NOW },
		{ FK_FATTR_MTIME_NOW, FK_SET_MTIME_NOW },
		{ FK_FATTR_CTIME, FK_SET_CTIME },
		{ FK_FATTR_KILL_SUIDGID, FK_SET_KILL_SUIDGID },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (in->valid & map[i].wire)
			s->valid |= map[i].fk;
	/* ATIME_NOW comes with ATIME set; report one meaning per bit. */
	if (s->valid & FK_SET_ATIME_NOW)
		s->valid &= ~FK_SET_ATIME;
	if (s->valid & FK_SET_MTIME_NOW)
		s->valid &= ~FK_SET_MTIME;

	if (is_mac) {
		/* In macFUSE the ctime slot is unused and bits 28..31 carry
		 * its own fields; KILL_SUIDGID does not exist there. */
		s->valid &= ~(FK_SET_CTIME | FK_SET_KILL_SUIDGID);
		s->crtime = ts(mac.crtime, mac.crtimensec);
		s->chgtime = ts(mac.chgtime, mac.chgtimensec);
		s->bkuptime = ts(mac.bkuptime, mac.bkuptimensec);
		s->flags = mac.flags;
		if (in->valid & FK_FATTR_MAC_CRTIME)
			s->valid |= FK_SET_CRTIME;
		if (in->valid & FK_FATTR_MAC_CHGTIME)
			s->valid |= FK_SET_CHGTIME;
		if (in->valid & FK_FATTR_MAC_BKUPTIME)
			s->valid |= FK_SET_BKUPTIME;
		if (in->valid & FK_FATTR_MAC_FLAGS)
			s->valid |= FK_SET_FLAGS;
	}
	return 0;
}

static int decode_rename(const struct fk_proto *p, struct cursor *c,
			 struct fk_msg *m)
{
	struct fk_rename_in *r = &m->u.rename;
	r->parent = m->nodeid;
	r->flags = 0;
	if (m->opcode == FK_OP_RENAME2 ||
	    (m->opcode == FK_OP_RENAME && p->dialect == FK_DIALECT_MACFUSE &&
	     p->mac_rename_flags)) {
		struct fk_wire_rename2_in in;
		if (take(c, &in, sizeof in))
			return -EINVAL;
		r->newparent = in.newdir;
		if (p->dialect == FK_DIALECT_MACFUSE && m->opcode == FK_OP_RENAME) {
			if (in.flags & ~(FK_MAC_RENAME_SWAP | FK_MAC_RENAME_EXCL))
				return -EINVAL;
			if (in.flags & FK_MAC_RENAME_SWAP)
				r->flags |= FK_RENAME_EXCHANGE;
			if (in.flags & FK_MAC_RENAME_EXCL)
				r->flags |= FK_RENAME_NOREPLACE;
		} else {
			r->flags = in.flags;
		}
	} else {
		struct fk_wire_rename_in in;
		if (take(c, &in, sizeof in))
			return -EINVAL;
		r->newparent = in.newdir;
	}
	if (take_name(c, &r->name) || take_name(c, &r->newname))
		return -EINVAL;
	return 0;
}

/* A macFUSE SETXATTR's options as this host's setxattr(2) flags: create
 * and replace kept, the caller's options left out. xnu passes those on
 * (XATTR_NOFOLLOW, XATTR_NOSECURITY...), they concern the caller's path
 * and rights, which the kernel has dealt with, and fsetxattr(2) refuses
 * them with EINVAL. */
static uint32_t mac_setxattr_flags(uint32_t wire)
{
	uint32_t host = 0;
	if (wire & FK_MAC_XATTR_CREATE)
		host |= XATTR_CREATE;
	if (wire & FK_MAC_XATTR_REPLACE)
		host |= XATTR_REPLACE;
	return host;
}

/* A macFUSE FALLOCATE's VNOP_ALLOCATE flags as fk_fallocate_in.mode:
 * PREALLOCATE (F_PREALLOCATE) becomes FK_FALLOC_PREALLOCATE, counted
 * from the allocated end (ALLOCATEFROMPEOF; a volume position, which
 * means nothing here, counts from there too); contiguity is a wish, and
 * all-or-nothing is what fallocate does anyway. No PREALLOCATE: a plain
 * allocation (mode 0). 0, or -EINVAL for a bit xnu does not define. */
static int mac_fallocate(struct fk_fallocate_in *f, uint32_t wire)
{
	const uint32_t known = FK_MAC_PREALLOCATE | FK_MAC_ALLOCATECONTIG |
			       FK_MAC_ALLOCATEALL | FK_MAC_ALLOCATEFROMPEOF |
			       FK_MAC_ALLOCATEFROMVOL;
	if (wire & ~known)
		return -EINVAL;
	f->mode = 0;
	if (wire & FK_MAC_PREALLOCATE) {
		f->mode = FK_FALLOC_PREALLOCATE;
		if (wire & FK_MAC_ALLOCATEFROMVOL)
			f->offset = 0;
	}
	return 0;
}

static int decode_xattr(const struct fk_proto *p, struct cursor *c,
			struct fk_msg *m)
{
	int is_mac = p->dialect == FK_DIALECT_MACFUSE;
	switch (m->opcode) {
	case FK_OP_SETXATTR: {
		struct fk_setxattr_in *s = &m->u.setxattr;
		s->ino = m->nodeid;
		if (is_mac) {
			struct fk_wire_mac_setxattr_in in;
			if (take(c, &in, sizeof in))
				return -EINVAL;
			s->size = in.size;
			s->flags = mac_setxattr_flags(in.flags);
			s->position = in.position;
			s->setxattr_flags = in.setxattr_flags;
		} else {
			struct fk_wire_setxattr_in in;
			memset(&in, 0, sizeof in);
			size_t n = p->setxattr_ext ? sizeof in
						   : FK_COMPAT_SETXATTR_IN_SIZE;
			if (take(c, &in, n))
				return -EINVAL;
			s->size = in.size;
			s->flags = in.flags;
			s->setxattr_flags = in.setxattr_flags;
			s->position = 0;
		}
		if (take_name(c, &s->name) ||
		    take_data(c, &s->value, s->size))
			return -EINVAL;
		return 0;
	}
	case FK_OP_GETXATTR:
	case FK_OP_LISTXATTR: {
		uint32_t size, position = 0;
		if (is_mac) {
			struct fk_wire_mac_getxattr_in in;
			memset(&in, 0, sizeof in);
			/* macFUSE sends the long form; accept the short one
			 * for LISTXATTR, which has no position to give. */
			size_t n = m->opcode == FK_OP_LISTXATTR && c->left < sizeof in
					   ? sizeof(struct fk_wire_getxattr_in)
					   : sizeof in;
			if (take(c, &in, n))
				return -EINVAL;
			size = in.size;
			position = in.position;
		} else {
			struct fk_wire_getxattr_in in;
			if (take(c, &in, sizeof in))
				return -EINVAL;
			size = in.size;
		}
		if (m->opcode == FK_OP_LISTXATTR) {
			m->u.listxattr.ino = m->nodeid;
			m->u.listxattr.size = size;
			return 0;
		}
		m->u.getxattr.ino = m->nodeid;
		m->u.getxattr.size = size;
		m->u.getxattr.position = position;
		return take_name(c, &m->u.getxattr.name);
	}
	default: /* REMOVEXATTR */
		m->u.removexattr.ino = m->nodeid;
		return take_name(c, &m->u.removexattr.name);
	}
}

static int decode_create(struct cursor *c, struct fk_msg *m)
{
	struct fk_wire_create_in in;
	struct fk_create_in *cr = &m->u.create;
	if (take(c, &in, sizeof in))
		return -EINVAL;
	cr->parent = m->nodeid;
	cr->flags = in.flags;
	cr->mode = in.mode;
	cr->umask = in.umask;
	cr->kill_suidgid = (in.open_flags & 1u) != 0;
	m->ctx.umask = in.umask;
	return take_name(c, &cr->name);
}

static int decode_read(struct cursor *c, struct fk_msg *m)
{
	struct fk_wire_read_in in;
	struct fk_read_in *r = &m->u.read;
	if (take(c, &in, sizeof in))
		return -EINVAL;
	r->ino = m->nodeid;
	r->fh = in.fh;
	r->offset = in.offset;
	r->size = in.size;
	r->flags = in.flags;
	r->has_lock_owner = (in.read_flags & FK_READ_LOCKOWNER) != 0;
	r->lock_owner = in.lock_owner;
	return 0;
}

static int decode_write(struct cursor *c, struct fk_msg *m)
{
	struct fk_wire_write_in in;
	struct fk_write_in *w = &m->u.write;
	if (take(c, &in, sizeof in))
		return -EINVAL;
	w->ino = m->nodeid;
	w->fh = in.fh;
	w->offset = in.offset;
	w->size = in.size;
	w->flags = in.flags;
	w->write_flags = in.write_flags;
	w->has_lock_owner = (in.write_flags & FK_WRITE_LOCKOWNER) != 0;
	w->lock_owner = in.lock_owner;
	return take_data(c, &w->data, in.size);
}

static int decode_lock(struct cursor *c, struct fk_msg *m)
{
	struct fk_wire_lk_in in;
	struct fk_lock_in *l = &m->u.lock;
	if (take(c, &in, sizeof in))
		return -EINVAL;
	l->ino = m->nodeid;
	l->fh = in.fh;
	l->owner = in.owner;
	l->lock.start = in.lk.start;
	l->lock.end = in.lk.end;
	l->lock.type = in.lk.type;
	l->lock.pid = in.lk.pid;
	l->flock = (in.lk_flags & FK_LK_FLOCK) != 0;
	l->sleep = m->opcode == FK_OP_SETLKW;
	return 0;
}

static int decode_copy_range(struct cursor *c, struct fk_msg *m)
{
	struct fk_wire_copy_file_range_in in;
	struct fk_copy_range_in *cp = &m->u.copy;
	if (take(c, &in, sizeof in))
		return -EINVAL;
	cp->ino_in = m->nodeid;
	cp->fh_in = in.fh_in;
	cp->off_in = in.off_in;
	cp->ino_out = in.nodeid_out;
	cp->fh_out = in.fh_out;
	cp->off_out = in.off_out;
	cp->len = in.len;
	cp->flags = in.flags;
	return 0;
}

/* The ops whose only argument is the node itself. */
static int decode_node_only(struct cursor *c, struct fk_msg *m)
{
	(void)c; /* SYNCFS carries 8 bytes of padding; nothing to read. */
	m->u.ino.ino = m->nodeid;
	return 0;
}

static int decode_entry_ops(struct cursor *c, struct fk_msg *m)
{
	switch (m->opcode) {
	case FK_OP_LOOKUP:
	case FK_OP_UNLINK:
	case FK_OP_RMDIR:
		m->u.name.parent = m->nodeid;
		return take_name(c, &m->u.name.name);
	case FK_OP_SYMLINK:
		m->u.symlink.parent = m->nodeid;
		if (take_name(c, &m->u.symlink.name))
			return -EINVAL;
		return take_name(c, &m->u.symlink.target);
	case FK_OP_MKNOD: {
		struct fk_wire_mknod_in in;
		if (take(c, &in, sizeof in))
			return -EINVAL;
		m->u.mknod.parent = m->nodeid;
		m->u.mknod.mode = in.mode;
		m->u.mknod.rdev = in.rdev;
		m->u.mknod.umask = in.umask;
		m->ctx.umask = in.umask;
		return take_name(c, &m->u.mknod.name);
	}
	case FK_OP_MKDIR: {
		struct fk_wire_mkdir_in in;
		if (take(c, &in, sizeof in))
			return -EINVAL;
		m->u.mkdir.parent = m->nodeid;
		m->u.mkdir.mode = in.mode;
		m->u.mkdir.umask = in.umask;
		m->ctx.umask = in.umask;
		return take_name(c, &m->u.mkdir.name);
	}
	case FK_OP_LINK: {
		struct fk_wire_link_in in;
		if (take(c, &in, sizeof in))
			return -EINVAL;
		m->u.link.ino = in.oldnodeid;
		m->u.link.newparent = m->nodeid;
		return take_name(c, &m->u.link.newname);
	}
	default:
		return -ENOSYS;
	}
}

static int decode_file_ops(const struct fk_proto *p, struct cursor *c,
			   struct fk_msg *m)
{
	switch (m->opcode) {
	case FK_OP_OPEN:
	case FK_OP_OPENDIR: {
		struct fk_wire_open_in in;
		if (take(c, &in, sizeof in))
			return -EINVAL;
		m->u.open.ino = m->nodeid;
		m->u.open.flags = in.flags;
		m->u.open.kill_suidgid = (in.open_flags & 1u) != 0;
		return 0;
	}
	case FK_OP_RELEASE:
	case FK_OP_RELEASEDIR: {
		struct fk_wire_release_in in;
		if (take(c, &in, sizeof in))
			return -EINVAL;
		m->u.release.ino = m->nodeid;
		m->u.release.fh = in.fh;
		m->u.release.flags = in.flags;
		m->u.release.flush = (in.release_flags & 1u) != 0;
		m->u.release.flock_unlock = (in.release_flags & 2u) != 0;
		m->u.release.lock_owner = in.lock_owner;
		return 0;
	}
	case FK_OP_FSYNC:
	case FK_OP_FSYNCDIR: {
		struct fk_wire_fsync_in in;
		if (take(c, &in, sizeof in))
			return -EINVAL;
		m->u.fsync.ino = m->nodeid;
		m->u.fsync.fh = in.fh;
		m->u.fsync.datasync = (in.fsync_flags & FK_FSYNC_FDATASYNC) != 0;
		return 0;
	}
	case FK_OP_FLUSH: {
		struct fk_wire_flush_in in;
		if (take(c, &in, sizeof in))
			return -EINVAL;
		m->u.flush.ino = m->nodeid;
		m->u.flush.fh = in.fh;
		m->u.flush.lock_owner = in.lock_owner;
		return 0;
	}
	case FK_OP_FALLOCATE: {
		struct fk_wire_fallocate_in in;
		if (take(c, &in, sizeof in))
			return -EINVAL;
		m->u.fallocate.ino = m->nodeid;
		m->u.fallocate.fh = in.fh;
		m->u.fallocate.offset = in.offset;
		m->u.fallocate.length = in.length;
		m->u.fallocate.mode = in.mode;
		if (p->dialect == FK_DIALECT_MACFUSE)
			return mac_fallocate(&m->u.fallocate, in.mode);
		return 0;
	}
	case FK_OP_LSEEK: {
		struct fk_wire_lseek_in in;
		if (take(c, &in, sizeof in))
			return -EINVAL;
		m->u.lseek.ino = m->nodeid;
		m->u.lseek.fh = in.fh;
		m->u.lseek.offset = in.offset;
		m->u.lseek.whence = in.whence;
		return 0;
	}
	case FK_OP_IOCTL: {
		struct fk_wire_ioctl_in in;
		if (take(c, &in, sizeof in))
			return -EINVAL;
		m->u.ioctl.ino = m->nodeid;
		m->u.ioctl.fh = in.fh;
		m->u.ioctl.flags = in.flags;
		m->u.ioctl.cmd = in.cmd;
		m->u.ioctl.arg = in.arg;
		m->u.ioctl.in_size = in.in_size;
		m->u.ioctl.out_size = in.out_size;
		return take_data(c, &m->u.ioctl.in_data, in.in_size);
	}
	case FK_OP_POLL: {
		struct fk_wire_poll_in in;
		if (take(c, &in, sizeof in))
			return -EINVAL;
		m->u.poll.ino = m->nodeid;
		m->u.poll.fh = in.fh;
		m->u.poll.kh = in.kh;
		m->u.poll.schedule_notify = (in.flags & 1u) != 0;
		m->u.poll.events = in.events;
		return 0;
	}
	case FK_OP_BMAP: {
		struct fk_wire_bmap_in in;
		if (take(c, &in, sizeof in))
			return -EINVAL;
		m->u.bmap.ino = m->nodeid;
		m->u.bmap.block = in.block;
		m->u.bmap.blocksize = in.blocksize;
		return 0;
	}
	default:
		return -ENOSYS;
	}
}

static int decode_body(const struct fk_proto *p, struct cursor *c,
		       struct fk_msg *m)
{
	int is_mac = p->dialect == FK_DIALECT_MACFUSE;

	switch (m->opcode) {
	case FK_OP_INIT:
		return decode_init(c, m);
	case FK_OP_DESTROY:
		return 0;
	case FK_OP_FORGET:
		return decode_forget(c, m, 0);
	case FK_OP_BATCH_FORGET:
		return decode_forget(c, m, 1);
	case FK_OP_INTERRUPT: {
		struct fk_wire_interrupt_in in;
		if (take(c, &in, sizeof in))
			return -EINVAL;
		m->u.interrupt_unique = in.unique;
		return 0;
	}
	case FK_OP_NOTIFY_REPLY: {
		struct fk_wire_notify_retrieve_in in;
		if (take(c, &in, sizeof in))
			return -EINVAL;
		m->u.notify_reply.offset = in.offset;
		m->u.notify_reply.size = in.size;
		return take_data(c, &m->u.notify_reply.data, in.size);
	}
	case FK_OP_GETATTR: {
		struct fk_wire_getattr_in in;
		if (take(c, &in, sizeof in))
			return -EINVAL;
		m->u.getattr.ino = m->nodeid;
		m->u.getattr.has_fh = (in.getattr_flags & FK_GETATTR_FH) != 0;
		m->u.getattr.fh = in.fh;
		return 0;
	}
	case FK_OP_STATX: {
		struct fk_wire_statx_in in;
		if (take(c, &in, sizeof in))
			return -EINVAL;
		m->u.statx.ino = m->nodeid;
		m->u.statx.has_fh = (in.getattr_flags & FK_GETATTR_FH) != 0;
		m->u.statx.fh = in.fh;
		m->u.statx.sx_flags = in.sx_flags;
		m->u.statx.sx_mask = in.sx_mask;
		return 0;
	}
	case FK_OP_SETATTR:
		return decode_setattr(p, c, m);
	case FK_OP_READLINK:
	case FK_OP_STATFS:
	case FK_OP_SYNCFS:
		return decode_node_only(c, m);
	case FK_OP_LOOKUP:
	case FK_OP_UNLINK:
	case FK_OP_RMDIR:
	case FK_OP_SYMLINK:
	case FK_OP_MKNOD:
	case FK_OP_MKDIR:
	case FK_OP_LINK:
		return decode_entry_ops(c, m);
	case FK_OP_RENAME:
	case FK_OP_RENAME2:
		return decode_rename(p, c, m);
	case FK_OP_CREATE:
	case FK_OP_TMPFILE:
		return decode_create(c, m);
	case FK_OP_READ:
	case FK_OP_READDIR:
	case FK_OP_READDIRPLUS:
		return decode_read(c, m);
	case FK_OP_WRITE:
		return decode_write(c, m);
	case FK_OP_SETXATTR:
	case FK_OP_GETXATTR:
	case FK_OP_LISTXATTR:
	case FK_OP_REMOVEXATTR:
		return decode_xattr(p, c, m);
	case FK_OP_GETLK:
	case FK_OP_SETLK:
	case FK_OP_SETLKW:
		return decode_lock(c, m);
	case FK_OP_ACCESS: {
		struct fk_wire_access_in in;
		if (take(c, &in, sizeof in))
			return -EINVAL;
		m->u.access.ino = m->nodeid;
		m->u.access.mask = in.mask;
		return 0;
	}
	case FK_OP_COPY_FILE_RANGE:
	case FK_OP_COPY_FILE_RANGE_64:
		return decode_copy_range(c, m);
	case FK_OP_OPEN:
	case FK_OP_OPENDIR:
	case FK_OP_RELEASE:
	case FK_OP_RELEASEDIR:
	case FK_OP_FSYNC:
	case FK_OP_FSYNCDIR:
	case FK_OP_FLUSH:
	case FK_OP_FALLOCATE:
	case FK_OP_LSEEK:
	case FK_OP_IOCTL:
	case FK_OP_POLL:
	case FK_OP_BMAP:
		return decode_file_ops(p, c, m);
	case FK_OP_SETVOLNAME:
		if (!is_mac)
			return -ENOSYS;
		return take_name(c, &m->u.setvolname.name);
	case FK_OP_GETXTIMES:
		if (!is_mac)
			return -ENOSYS;
		return decode_node_only(c, m);
	case FK_OP_EXCHANGE: {
		if (!is_mac)
			return -ENOSYS;
		struct fk_wire_mac_exchange_in in;
		if (take(c, &in, sizeof in))
			return -EINVAL;
		m->u.exchange.olddir = in.olddir;
		m->u.exchange.newdir = in.newdir;
		m->u.exchange.options = in.options;
		if (take_name(c, &m->u.exchange.oldname))
			return -EINVAL;
		return take_name(c, &m->u.exchange.newname);
	}
	default:
		/* SETUPMAPPING/REMOVEMAPPING are virtio-fs DAX only. */
		return -ENOSYS;
	}
}

int fk_proto_decode(const struct fk_proto *p, const void *buf, size_t len,
		    struct fk_msg *m)
{
	struct fk_wire_in_header h;

	memset(m, 0, sizeof *m);
	if (len < sizeof h)
		return -EPROTO;
	memcpy(&h, buf, sizeof h);
	m->opcode = h.opcode;
	m->len = h.len;
	m->unique = h.unique;
	m->nodeid = h.nodeid;
	m->ctx.uid = h.uid;
	m->ctx.gid = h.gid;
	m->ctx.pid = h.pid;
	/* A length that disagrees with what arrived (oversized or cut
	 * short): the header is still whole, so the request can be refused. */
	if (h.len != len)
		return -EINVAL;

	struct cursor c = { (const uint8_t *)buf + sizeof h, len - sizeof h };
	/* Before 7.38 the extension length field was padding. */
	if (p->minor >= 38 && decode_extensions(&c, h.total_extlen, m))
		return -EINVAL;
	return decode_body(p, &c, m);
}

const char *fk_proto_opname(uint32_t op)
{
	static const char *const names[FK_OP_MAX] = {
		[FK_OP_LOOKUP] = "LOOKUP",
		[FK_OP_FORGET] = "FORGET",
		[FK_OP_GETATTR] = "GETATTR",
		[FK_OP_SETATTR] = "SETATTR",
		[FK_OP_READLINK] = "READLINK",
		[FK_OP_SYMLINK] = "SYMLINK",
		[FK_OP_MKNOD] = "MKNOD",
		[FK_OP_MKDIR] = "MKDIR",
		[FK_OP_UNLINK] = "UNLINK",
		[FK_OP_RMDIR] = "RMDIR",
		[FK_OP_RENAME] = "RENAME",
		[FK_OP_LINK] = "LINK",
		[FK_OP_OPEN] = "OPEN",
		[FK_OP_READ] = "READ",
		[FK_OP_WRITE] = "WRITE",
		[FK_OP_STATFS] = "STATFS",
		[FK_OP_RELEASE] = "RELEASE",
		[FK_OP_FSYNC] = "FSYNC",
		[FK_OP_SETXATTR] = "SETXATTR",
		[FK_OP_GETXATTR] = "GETXATTR",
		[FK_OP_LISTXATTR] = "LISTXATTR",
		[FK_OP_REMOVEXATTR] = "REMOVEXATTR",
		[FK_OP_FLUSH] = "FLUSH",
		[FK_OP_INIT] = "INIT",
		[FK_OP_OPENDIR] = "OPENDIR",
		[FK_OP_READDIR] = "READDIR",
		[FK_OP_RELEASEDIR] = "RELEASEDIR",
		[FK_OP_FSYNCDIR] = "FSYNCDIR",
		[FK_OP_GETLK] = "GETLK",
		[FK_OP_SETLK] = "SETLK",
		[FK_OP_SETLKW] = "SETLKW",
		[FK_OP_ACCESS] = "ACCESS",
		[FK_OP_CREATE] = "CREATE",
		[FK_OP_INTERRUPT] = "INTERRUPT",
		[FK_OP_BMAP] = "BMAP",
		[FK_OP_DESTROY] = "DESTROY",
		[FK_OP_IOCTL] = "IOCTL",
		[FK_OP_POLL] = "POLL",
		[FK_OP_NOTIFY_REPLY] = "NOTIFY_REPLY",
		[FK_OP_BATCH_FORGET] = "BATCH_FORGET",
		[FK_OP_FALLOCATE] = "FALLOCATE",
		[FK_OP_READDIRPLUS] = "READDIRPLUS",
		[FK_OP_RENAME2] = "RENAME2",
		[FK_OP_LSEEK] = "LSEEK",
		[FK_OP_COPY_FILE_RANGE] = "COPY_FILE_RANGE",
		[FK_OP_SETUPMAPPING] = "SETUPMAPPING",
		[FK_OP_REMOVEMAPPING] = "REMOVEMAPPING",
		[FK_OP_SYNCFS] = "SYNCFS",
		[FK_OP_TMPFILE] = "TMPFILE",
		[FK_OP_STATX] = "STATX",
		[FK_OP_COPY_FILE_RANGE_64] = "COPY_FILE_RANGE_64",
		[FK_OP_SETVOLNAME] = "SETVOLNAME",
		[FK_OP_GETXTIMES] = "GETXTIMES",
		[FK_OP_EXCHANGE] = "EXCHANGE",
	};
	if (op < FK_OP_MAX && names[op])
		return names[op];
	return "UNKNOWN";
}
