/*
 * pt_entry.c — passthrough operations on names and attributes: lookup,
 * forget, getattr, setattr, statx, readlink, mknod, mkdir, symlink, link,
 * unlink, rmdir, rename, statfs.
 *
 * Confinement: every host call is relative to a node's O_PATH descriptor
 * and one name the kernel sent, never a path we built, and never follows a
 * symlink (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW). Names with '/' and the names
 * "." and ".." are refused, so no request can step outside SOURCE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "pt.h"

#define PT_STATX_MASK (STATX_BASIC_STATS | STATX_BTIME | STATX_MNT_ID)

int fk_pt_check_name(const char *name)
{
	if (!name[0] || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return -EINVAL;
	if (strlen(name) > NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

int fk_pt_stat_fd(int fd, struct statx *st)
{
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, PT_STATX_MASK, st) < 0)
		return -errno;
	return 0;
}

static struct timespec sx_ts(const struct statx_timestamp *t)
{
	struct timespec ts = { (time_t)t->tv_sec, (long)t->tv_nsec };
	return ts;
}

void fk_pt_statx_to_attr(const struct fk_pt *pt, const struct statx *st,
			 struct fk_attr *a)
{
	memset(a, 0, sizeof *a);
	a->ino = st->stx_ino;
	a->size = st->stx_size;
	a->blocks = st->stx_blocks;
	a->atime = sx_ts(&st->stx_atime);
	a->mtime = sx_ts(&st->stx_mtime);
	a->ctime = sx_ts(&st->stx_ctime);
	if (st->stx_mask & STATX_BTIME)
		a->crtime = sx_ts(&st->stx_btime);
	a->mode = st->stx_mode;
	a->nlink = st->stx_nlink;
	a->uid = FK_PT_UID_SHOWN(pt, st->stx_uid);
	a->gid = FK_PT_GID_SHOWN(pt, st->stx_gid);
	a->rdev = (uint32_t)makedev(st->stx_rdev_major, st->stx_rdev_minor);
	a->blksize = st->stx_blksize;
}

static void proc_path(int fd, char buf[static 32])
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
}

int fk_pt_reopen(int opath_fd, int flags)
{
	char p[32];
	proc_path(opath_fd, p);
	int fd = open(p, (flags | O_CLOEXEC) & ~O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

int fk_pt_do_lookup(struct fk_pt *pt, struct fk_pt_node *parent, int parent_fd,
		    const char *name, struct fk_entry *e)
{
	int rc = fk_pt_check_name(name);
	if (rc)
		return rc;
	int fd = openat(parent_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct statx st;
	rc = fk_pt_stat_fd(fd, &st);
	if (rc) {
		close(fd);
		return rc;
	}
	struct fk_pt_node *n = fk_pt_node_lookup(pt, fd, &st, parent, name);
	if (!n)
		return -ENOMEM;
	memset(e, 0, sizeof *e);
	e->ino = n->nodeid;
	fk_pt_statx_to_attr(pt, &st, &e->attr);
	e->entry_valid_ns = pt->entry_ns;
	e->attr_valid_ns = pt->attr_ns;
	return 0;
}

void fk_pt_lookup(fk_req *req, const struct fk_name_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	int pfd;
	struct fk_pt_node *parent = fk_pt_node_at(req, in->parent, &pfd);
	if (!parent)
		return;
	struct fk_entry e;
	int rc = fk_pt_do_lookup(pt, parent, pfd, in->name, &e);
	fk_pt_node_done(pt, parent);
	if (rc == -ENOENT && pt->negative_ns) {
		memset(&e, 0, sizeof e); /* cacheable "no such name" */
		e.entry_valid_ns = pt->negative_ns;
		(void)fk_reply_entry(req, &e);
	} else if (rc) {
		(void)fk_reply_err(req, -rc);
	} else {
		(void)fk_reply_entry(req, &e);
	}
}

void fk_pt_forget(void *fs, uint64_t ino, uint64_t nlookup)
{
	fk_pt_node_forget(fs, ino, nlookup);
}

static void reply_attr_of(fk_req *req, struct fk_pt *pt, int fd)
{
	struct statx st;
	int rc = fk_pt_stat_fd(fd, &st);
	if (rc) {
		(void)fk_reply_err(req, -rc);
		return;
	}
	struct fk_attr a;
	fk_pt_statx_to_attr(pt, &st, &a);
	(void)fk_reply_attr(req, &a, pt->attr_ns);
}

void fk_pt_getattr(fk_req *req, const struct fk_getattr_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	int fd;
	struct fk_pt_node *n = fk_pt_node_at(req, in->ino, &fd);
	if (!n)
		return;
	reply_attr_of(req, pt, fd);
	fk_pt_node_done(pt, n);
}

void fk_pt_statx(fk_req *req, const struct fk_statx_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	int fd;
	struct fk_pt_node *n = fk_pt_node_at(req, in->ino, &fd);
	if (!n)
		return;
	struct statx st;
	int rc = fk_pt_stat_fd(fd, &st);
	fk_pt_node_done(pt, n);
	if (rc) {
		(void)fk_reply_err(req, -rc);
		return;
	}
	struct fk_attr a;
	fk_pt_statx_to_attr(pt, &st, &a);
	(void)fk_reply_statx(req, &a, pt->attr_ns);
}

/* Apply one setattr to the node with O_PATH descriptor nfd; fd is the
 * open file when the kernel named one, else -1. */
static int do_setattr(struct fk_pt *pt, int nfd, int fd,
		      const struct fk_setattr_in *in)
{
	char p[32];
	proc_path(nfd, p);
	if (in->valid & FK_SET_MODE) {
		int r = fd >= 0 ? fchmod(fd, in->mode & 07777)
				: fchmodat(AT_FDCWD, p, in->mode & 07777, 0);
		if (r < 0)
			return -errno;
	}
	if (in->valid & (FK_SET_UID | FK_SET_GID)) {
		uid_t u = (in->valid & FK_SET_UID) ? FK_PT_UID_HOST(pt, in->uid) : (uid_t)-1;
		gid_t g = (in->valid & FK_SET_GID) ? FK_PT_GID_HOST(pt, in->gid) : (gid_t)-1;
		if (fchownat(nfd, "", u, g, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
	}
	if (in->valid & FK_SET_SIZE) {
		int r = fd >= 0 ? ftruncate(fd, (off_t)in->size)
				: truncate(p, (off_t)in->size);
		if (r < 0)
			return -errno;
	}
	if (in->valid & (FK_SET_ATIME | FK_SET_MTIME | FK_SET_ATIME_NOW |
			 FK_SET_MTIME_NOW)) {
		struct timespec ts[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
		if (in->valid & FK_SET_ATIME_NOW)
			ts[0].tv_nsec = UTIME_NOW;
		else if (in->valid & FK_SET_ATIME)
			ts[0] = in->atime;
		if (in->valid & FK_SET_MTIME_NOW)
			ts[1].tv_nsec = UTIME_NOW;
		else if (in->valid & FK_SET_MTIME)
			ts[1] = in->mtime;
		int r = fd >= 0 ? futimens(fd, ts)
				: utimensat(nfd, "", ts, AT_EMPTY_PATH);
		if (r < 0)
			return -errno;
	}
	/* FK_SET_CTIME: the host sets ctime itself on every change above. */
	return 0;
}

void fk_pt_setattr(fk_req *req, const struct fk_setattr_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	int nfd;
	struct fk_pt_node *n = fk_pt_node_at(req, in->ino, &nfd);
	if (!n)
		return;
	struct fk_pt_file *f = in->has_fh ? (struct fk_pt_file *)(uintptr_t)in->fh : NULL;
	int fd = f ? fk_pt_file_fd(pt, f) : -1;
	int rc = fd < -1 ? fd : do_setattr(pt, nfd, fd, in);
	if (fd >= 0)
		fk_pt_file_unfd(pt, f);
	if (rc)
		(void)fk_reply_err(req, -rc);
	else
		reply_attr_of(req, pt, nfd);
	fk_pt_node_done(pt, n);
}

void fk_pt_readlink(fk_req *req, const struct fk_ino_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	int fd;
	struct fk_pt_node *n = fk_pt_node_at(req, in->ino, &fd);
	if (!n)
		return;
	char buf[PATH_MAX + 1];
	ssize_t len = readlinkat(fd, "", buf, sizeof buf - 1);
	int e = errno;
	fk_pt_node_done(pt, n);
	if (len < 0) {
		(void)fk_reply_err(req, e);
		return;
	}
	buf[len] = 0;
	(void)fk_reply_readlink(req, buf);
}

/* The new-entry ops: run make() as the caller, then answer with a lookup
 * of the name it made. */
enum make_kind { MAKE_NOD, MAKE_DIR, MAKE_SYMLINK };

static void make_entry(fk_req *req, uint64_t parent_id, const char *name,
		       enum make_kind kind, uint32_t mode, uint32_t rdev,
		       const char *target)
{
	struct fk_pt *pt = FK_PT(req);
	int rc = fk_pt_check_name(name);
	if (rc) {
		(void)fk_reply_err(req, -rc);
		return;
	}
	int pfd;
	struct fk_pt_node *parent = fk_pt_node_at(req, parent_id, &pfd);
	if (!parent)
		return;
	struct fk_pt_cred_saved cred;
	rc = fk_pt_cred_switch(req, &cred);
	if (rc == 0) {
		int r;
		switch (kind) {
		case MAKE_DIR:
			r = mkdirat(pfd, name, mode & 07777);
			break;
		case MAKE_SYMLINK:
			r = symlinkat(target, pfd, name);
			break;
		default:
			r = mknodat(pfd, name, mode, rdev);
			break;
		}
		rc = r < 0 ? -errno : 0;
		fk_pt_cred_restore(&cred);
	}
	struct fk_entry e;
	if (rc == 0)
		rc = fk_pt_do_lookup(pt, parent, pfd, name, &e);
	fk_pt_node_done(pt, parent);
	if (rc)
		(void)fk_reply_err(req, -rc);
	else
		(void)fk_reply_entry(req, &e);
}

void fk_pt_mknod(fk_req *req, const struct fk_mknod_in *in)
{
	make_entry(req, in->parent, in->name, MAKE_NOD, in->mode, in->rdev, NULL);
}

void fk_pt_mkdir(fk_req *req, const struct fk_mkdir_in *in)
{
	make_entry(req, in->parent, in->name, MAKE_DIR, in->mode, 0, NULL);
}

void fk_pt_symlink(fk_req *req, const struct fk_symlink_in *in)
{
	make_entry(req, in->parent, in->name, MAKE_SYMLINK, 0, 0, in->target);
}

void fk_pt_link(fk_req *req, const struct fk_link_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	int rc = fk_pt_check_name(in->newname);
	if (rc) {
		(void)fk_reply_err(req, -rc);
		return;
	}
	int fd, pfd = -ENOENT;
	struct fk_pt_node *n = fk_pt_node_use(pt, in->ino, &fd);
	struct fk_pt_node *parent = n ? fk_pt_node_use(pt, in->newparent, &pfd) : NULL;
	if (!n || !parent) {
		rc = n ? pfd : fd;
	} else {
		/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the /proc path
		 * with AT_SYMLINK_FOLLOW links the same inode without it. */
		char p[32];
		proc_path(fd, p);
		if (linkat(AT_FDCWD, p, pfd, in->newname, AT_SYMLINK_FOLLOW) < 0)
			rc = -errno;
	}
	struct fk_entry e;
	if (rc == 0)
		rc = fk_pt_do_lookup(pt, parent, pfd, in->newname, &e);
	fk_pt_node_done(pt, n);
	fk_pt_node_done(pt, parent);
	if (rc)
		(void)fk_reply_err(req, -rc);
	else
		(void)fk_reply_entry(req, &e);
}

/* The host inode of name in dirfd (0), or -errno. */
static int stat_name(int dirfd, const char *name, struct statx *st)
{
	if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW, PT_STATX_MASK, st) < 0)
		return -errno;
	return 0;
}

/* Handle and lazy modes: the inode st is about to lose a name. If the
 * kernel knows it, keep its node's descriptor: the name may have been the
 * node's way back (lazy), and a handle may not reopen an unlinked inode.
 * The kernel forgets such a node soon after, unless it is open. */
static void keep_before_unlink(struct fk_pt *pt, const struct statx *st)
{
	if (pt->mode == FK_PT_INODE_FD)
		return;
	pthread_mutex_lock(&pt->table.lock);
	struct fk_pt_node *n = fk_pt_node_find(pt, st);
	if (n)
		n->refs++;
	pthread_mutex_unlock(&pt->table.lock);
	if (n) {
		(void)fk_pt_node_keep(pt, n); /* failing: the node goes stale */
		fk_pt_node_put(pt, n);
	}
}

static void remove_name(fk_req *req, const struct fk_name_in *in, int flags)
{
	struct fk_pt *pt = FK_PT(req);
	int pfd = -ENOENT;
	int rc = fk_pt_check_name(in->name);
	struct fk_pt_node *parent = rc ? NULL : fk_pt_node_use(pt, in->parent, &pfd);
	if (!rc && !parent)
		rc = pfd;
	struct statx st;
	fk_pt_names_change_begin(pt);
	if (!rc && pt->mode != FK_PT_INODE_FD && stat_name(pfd, in->name, &st) == 0)
		keep_before_unlink(pt, &st);
	if (!rc && unlinkat(pfd, in->name, flags) < 0)
		rc = -errno;
	fk_pt_names_change_end(pt);
	fk_pt_node_done(pt, parent);
	(void)fk_reply_err(req, -rc);
}

void fk_pt_unlink(fk_req *req, const struct fk_name_in *in)
{
	remove_name(req, in, 0);
}

void fk_pt_rmdir(fk_req *req, const struct fk_name_in *in)
{
	remove_name(req, in, AT_REMOVEDIR);
}

void fk_pt_rename(fk_req *req, const struct fk_rename_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	int rc = fk_pt_check_name(in->name);
	if (!rc)
		rc = fk_pt_check_name(in->newname);
	int afd = -ENOENT, bfd = -ENOENT;
	struct fk_pt_node *a = rc ? NULL : fk_pt_node_use(pt, in->parent, &afd);
	struct fk_pt_node *b = a ? fk_pt_node_use(pt, in->newparent, &bfd) : NULL;
	if (!rc && (!a || !b))
		rc = a ? bfd : afd;
	/* Handle and lazy modes track names: which inodes move, which one
	 * loses its name. */
	struct statx moved, victim;
	fk_pt_names_change_begin(pt);
	int have_moved = 0, have_victim = 0;
	if (!rc && pt->mode != FK_PT_INODE_FD) {
		have_moved = stat_name(afd, in->name, &moved) == 0;
		have_victim = stat_name(bfd, in->newname, &victim) == 0;
		if (have_victim && !(in->flags & (FK_RENAME_EXCHANGE | FK_RENAME_NOREPLACE)))
			keep_before_unlink(pt, &victim);
	}
	if (!rc) {
		struct fk_pt_cred_saved cred;
		/* RENAME_WHITEOUT makes a device node: as the caller. */
		int as_caller = (in->flags & FK_RENAME_WHITEOUT) != 0;
		if (as_caller)
			rc = fk_pt_cred_switch(req, &cred);
		if (!rc && renameat2(afd, in->name, bfd, in->newname,
				     in->flags) < 0)
			rc = -errno;
		if (as_caller)
			fk_pt_cred_restore(&cred);
	}
	if (!rc)
		fk_pt_hold_renamed(pt, have_moved ? &moved : NULL,
				   have_victim ? &victim : NULL, b, in->newname,
				   a, in->name, in->flags);
	fk_pt_names_change_end(pt);
	fk_pt_node_done(pt, a);
	fk_pt_node_done(pt, b);
	(void)fk_reply_err(req, -rc);
}

void fk_pt_statfs(fk_req *req, const struct fk_ino_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	int fd;
	struct fk_pt_node *n = fk_pt_node_use(pt, in->ino, &fd);
	if (!n)
		n = fk_pt_node_use(pt, FK_ROOT_INO, &fd);
	struct statvfs sv;
	int rc = fstatvfs(fd, &sv) < 0 ? -errno : 0;
	fk_pt_node_done(pt, n);
	if (rc) {
		(void)fk_reply_err(req, -rc);
		return;
	}
	struct fk_statfs st = { sv.f_blocks, sv.f_bfree, sv.f_bavail,
				sv.f_files, sv.f_ffree, (uint32_t)sv.f_bsize,
				(uint32_t)sv.f_namemax, (uint32_t)sv.f_frsize };
	(void)fk_reply_statfs(req, &st);
}
