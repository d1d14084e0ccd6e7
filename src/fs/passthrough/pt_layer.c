/*
 * pt_layer.c — the passthrough filesystem as a layer (fk_layer.h), for
 * the overlay and union filesystems.
 *
 * A layer handle is a node of the same table the FUSE ops use, holding an
 * operation reference (FK_NT_OP) instead of a kernel one, so every
 * inode mode (fd, handle, lazy), the confinement beneath SOURCE and the
 * name tracking of renames are the FUSE ops' own code: each op here pins
 * the node's descriptor, calls the same function its FUSE op calls, and
 * converts the answer.
 *
 * New objects belong to the cred the caller gives, made as that owner
 * with the daemon's capabilities kept (pt_cred.c), or, where the layer
 * keeps owners in an xattr (pt_override.c), made as the daemon with the
 * owner in the xattr.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "pt.h"

#define PT_OF(l) ((struct fk_pt *)((char *)(l) - offsetof(struct fk_pt, layer)))
#define NODE(h) ((struct fk_pt_node *)(h))
#define HANDLE(n) ((struct fk_layer_node *)(n))

/* Take node n, which a handle or the caller holds, for an operation
 * (fk_pt_acquire by its id; the reference held keeps it in the table). */
static int take(struct fk_pt *pt, struct fk_pt_node *n, enum fk_pt_need need,
		struct fk_pt_use *u)
{
	return fk_pt_acquire(pt, n->tn.nodeid, need, u);
}

struct fk_layer_dir {
	DIR *dp;
};

/* What the layer shows of the node reached at at (NULL: no override to
 * read) with host attributes sx. */
static void to_stat(const struct fk_pt *pt, const struct fk_pt_at *at,
		    const struct fk_plat_stat *sx, struct fk_layer_stat *st)
{
	if (!st)
		return;
	struct fk_plat_stat shown = *sx;
	if (at)
		fk_pt_override_stat(pt, *at, &shown);
	st->dev = shown.dev;
	fk_pt_stat_to_attr(pt, &shown, &st->attr);
}

/* to_stat for node n, pinning its descriptor if an override is to be
 * read (an unreachable node then shows its inode's attributes). */
static void to_stat_of(struct fk_pt *pt, struct fk_pt_node *n,
		       const struct fk_plat_stat *sx, struct fk_layer_stat *st)
{
	struct fk_pt_use u;
	int pinned = st && fk_pt_override_applies(pt, sx->mode) &&
		     take(pt, n, FK_PT_NEED_AT, &u) == 0;
	to_stat(pt, pinned ? &u.at : NULL, sx, st);
	if (pinned)
		fk_pt_drop(pt, &u);
}

/* The daemon itself, capabilities kept: the owner of what the layer makes
 * for its own purposes. */
static void daemon_who(struct fk_pt_who *w)
{
	*w = (struct fk_pt_who){ .uid = (uint32_t)geteuid(),
				 .gid = (uint32_t)getegid(),
				 .privileged = 1 };
}

/* Hand a node with an operation reference to the caller (or drop it when
 * the caller did not ask for it). */
static void give(struct fk_pt *pt, struct fk_pt_node *n,
		 struct fk_layer_node **out)
{
	if (out)
		*out = HANDLE(n);
	else
		fk_pt_node_put(pt, n);
}

static void who_of(const struct fk_pt *pt, const struct fk_layer_cred *c,
		   struct fk_pt_who *w)
{
	fk_pt_who_of_owner(pt, c->uid, c->gid, w);
	w->umask = c->umask & 0777; /* the host applies it, or the default ACL */
}

static void l_destroy(struct fk_layer *l)
{
	struct fk_pt *pt = PT_OF(l);
	fk_pt_node_put(pt, pt->work); /* NULL is fine */
	fk_pt_free(pt);
}

static struct fk_layer_node *l_root(struct fk_layer *l)
{
	struct fk_pt *pt = PT_OF(l);
	fk_pt_lock(pt);
	fk_pt_ref(pt, pt->root);
	fk_pt_unlock(pt);
	return HANDLE(pt->root);
}

static void l_hold(struct fk_layer *l, struct fk_layer_node *h)
{
	struct fk_pt *pt = PT_OF(l);
	fk_pt_lock(pt);
	fk_pt_ref(pt, NODE(h));
	fk_pt_unlock(pt);
}

static void l_put(struct fk_layer *l, struct fk_layer_node *h)
{
	fk_pt_node_put(PT_OF(l), NODE(h));
}

static int l_lookup(struct fk_layer *l, struct fk_layer_node *parent,
		    const char *name, struct fk_layer_node **out,
		    struct fk_layer_stat *st)
{
	struct fk_pt *pt = PT_OF(l);
	struct fk_pt_use p;
	int rc = take(pt, NODE(parent), FK_PT_NEED_FD, &p);
	if (rc)
		return rc;
	struct fk_pt_node *n;
	struct fk_plat_stat sx;
	rc = fk_pt_lookup_name(pt, p.node, p.at.fd, name, FK_NT_OP, &n, &sx);
	fk_pt_drop(pt, &p);
	if (rc)
		return rc;
	to_stat_of(pt, n, &sx, st);
	give(pt, n, out);
	return 0;
}

static int l_getattr(struct fk_layer *l, struct fk_layer_node *h,
		     struct fk_layer_stat *st)
{
	struct fk_pt *pt = PT_OF(l);
	struct fk_pt_use u;
	int rc = take(pt, NODE(h), FK_PT_NEED_AT, &u);
	if (rc)
		return rc;
	struct fk_plat_stat sx;
	rc = fk_pt_stat_at(u.at, &sx);
	if (rc == 0)
		to_stat(pt, &u.at, &sx, st);
	fk_pt_drop(pt, &u);
	return rc;
}

static int l_setattr(struct fk_layer *l, struct fk_layer_node *h,
		     const struct fk_setattr_in *in, struct fk_layer_stat *st)
{
	struct fk_pt *pt = PT_OF(l);
	if ((in->valid & FK_SET_MODE) && NODE(h)->type == S_IFLNK)
		return -EOPNOTSUPP; /* /proc/self/fd would follow it */
	struct fk_pt_use u;
	int rc = take(pt, NODE(h), FK_PT_NEED_AT, &u);
	if (rc)
		return rc;
	rc = fk_pt_override_applies(pt, NODE(h)->type)
		     ? fk_pt_override_setattr(pt, u.at, in)
		     : fk_pt_setattr_at(pt, u.at, -1, in, NULL);
	struct fk_plat_stat sx;
	if (rc == 0 && st && (rc = fk_pt_stat_at(u.at, &sx)) == 0)
		to_stat(pt, &u.at, &sx, st);
	fk_pt_drop(pt, &u);
	return rc;
}

static int l_readlink(struct fk_layer *l, struct fk_layer_node *h, char *buf,
		      size_t size)
{
	struct fk_pt *pt = PT_OF(l);
	if (NODE(h)->type != S_IFLNK)
		return -EINVAL;
	struct fk_pt_use u;
	int rc = take(pt, NODE(h), FK_PT_NEED_AT, &u);
	if (rc)
		return rc;
	int n = size ? fk_plat_readlink_at(u.at.fd, FK_PT_AT_NAME(u.at), buf, size) : 0;
	rc = n < 0 ? n : (size_t)n >= size ? -ERANGE : n;
	fk_pt_drop(pt, &u);
	if (rc >= 0)
		buf[rc] = 0;
	return rc;
}

static int l_open(struct fk_layer *l, struct fk_layer_node *h, int flags)
{
	struct fk_pt *pt = PT_OF(l);
	if (NODE(h)->type == S_IFDIR && !(flags & O_DIRECTORY))
		return -EISDIR;
	if (NODE(h)->type != S_IFREG && NODE(h)->type != S_IFDIR)
		return -EINVAL; /* opening a fifo or device has side effects */
	struct fk_pt_use u;
	int rc = take(pt, NODE(h), FK_PT_NEED_AT, &u);
	if (rc)
		return rc;
	rc = fk_pt_reopen(u.at, flags & ~(O_CREAT | O_EXCL));
	fk_pt_drop(pt, &u);
	return rc;
}

/* fk_pt_make where the layer keeps owners in an xattr: as the daemon, mode
 * | 0755 on the host, cred and mode recorded in the xattr before the
 * object gets its name: it is built in the work directory and renamed in
 * (where the layer has none, the xattr follows at once: a crash between
 * shows the daemon's attributes). */
static int make_overridden(struct fk_pt *pt, struct fk_pt_node *parent,
			   int pfd, const struct fk_pt_make_args *want,
			   const struct fk_layer_cred *cred,
			   struct fk_pt_node **out, struct fk_plat_stat *sx)
{
	struct fk_pt_who self;
	daemon_who(&self);
	struct fk_pt_make_args a = *want;
	a.who = &self;
	a.mode = (want->mode & 0777) | 0755;
	struct fk_pt_node *dir = parent;
	int dfd = pfd;
	char tmp[FK_LAYER_STAGE_NAME_MAX];
	int staged = a.name && pt->work && pt->work != parent;
	struct fk_pt_use work = { 0 };
	if (staged) {
		int rc = take(pt, pt->work, FK_PT_NEED_FD, &work);
		if (rc)
			return rc;
		dir = work.node;
		dfd = work.at.fd;
		fk_layer_stage_name(&pt->layer, tmp);
		a.name = tmp;
	}
	struct fk_pt_node *n;
	int fd = fk_pt_make(pt, dir, dfd, &a, &n, sx);
	int rc = fd < 0 ? fd : 0;
	int opens = fk_pt_make_opens(a.kind);
	/* A new file is reached through its open descriptor, which the
	 * rename leaves where it is; a directory holds its own. */
	struct fk_pt_use made = { 0 };
	if (!rc && !opens)
		rc = take(pt, n, FK_PT_NEED_AT, &made);
	struct fk_pt_at at = made.node ? made.at : FK_PT_AT_FD(fd);
	if (!rc)
		rc = fk_pt_override_write(pt, at, FK_PT_UID_HOST(pt, cred->uid),
					  FK_PT_GID_HOST(pt, cred->gid), want->mode);
	if (!rc && staged)
		rc = fk_pt_rename_at(pt, dir, dfd, tmp, parent, pfd, want->name,
				     FK_RENAME_NOREPLACE, &self);
	if (!rc)
		rc = fk_pt_stat_at(at, sx);
	if (!rc)
		fk_pt_override_stat(pt, at, sx);
	fk_pt_drop(pt, &made);
	if (rc && fd >= 0) {
		/* Nothing made: what was built goes again (failing, it stays
		 * under its staging name, or as the daemon's). */
		if (a.name)
			(void)fk_pt_remove(pt, dir, dfd, a.name,
					   a.kind == FK_PT_MAKE_DIR ? AT_REMOVEDIR : 0);
		if (opens)
			close(fd);
		fk_pt_node_put(pt, n);
	}
	fk_pt_drop(pt, &work);
	if (rc)
		return rc;
	*out = n;
	return fd;
}

/* The create-type ops: as cred, make what a says in parent (a->who and
 * a->ref are filled in here). */
static int make(struct fk_layer *l, struct fk_layer_node *parent,
		struct fk_pt_make_args a, const struct fk_layer_cred *cred,
		struct fk_layer_node **out, struct fk_layer_stat *st)
{
	struct fk_pt *pt = PT_OF(l);
	struct fk_pt_use p;
	int rc = take(pt, NODE(parent), FK_PT_NEED_FD, &p);
	if (rc)
		return rc;
	struct fk_pt_node *n;
	struct fk_plat_stat sx;
	struct fk_pt_who w;
	who_of(pt, cred, &w);
	a.who = &w;
	a.ref = FK_NT_OP;
	if (fk_pt_override_applies(pt, fk_pt_make_opens(a.kind) ? S_IFREG
				       : a.kind == FK_PT_MAKE_DIR ? S_IFDIR
								 : 0))
		rc = make_overridden(pt, p.node, p.at.fd, &a, cred, &n, &sx);
	else
		rc = fk_pt_make(pt, p.node, p.at.fd, &a, &n, &sx);
	fk_pt_drop(pt, &p);
	if (rc >= 0) {
		to_stat(pt, NULL, &sx, st); /* sx is as shown already */
		give(pt, n, out);
	}
	return rc;
}

static int l_create(struct fk_layer *l, struct fk_layer_node *parent,
		    const char *name, int flags, uint32_t mode,
		    const struct fk_layer_cred *cred, struct fk_layer_node **out,
		    struct fk_layer_stat *st)
{
	/* A layer's create makes a new file, never opens one. */
	const struct fk_pt_make_args a = { .kind = FK_PT_MAKE_FILE, .name = name,
					   .mode = mode, .flags = flags | O_EXCL };
	return make(l, parent, a, cred, out, st);
}

static int l_tmpfile(struct fk_layer *l, struct fk_layer_node *parent,
		     int flags, uint32_t mode, const struct fk_layer_cred *cred,
		     struct fk_layer_node **out, struct fk_layer_stat *st)
{
	const struct fk_pt_make_args a = { .kind = FK_PT_MAKE_TMPFILE,
					   .mode = mode, .flags = flags };
	return make(l, parent, a, cred, out, st);
}

static int l_mkdir(struct fk_layer *l, struct fk_layer_node *parent,
		   const char *name, uint32_t mode,
		   const struct fk_layer_cred *cred, struct fk_layer_node **out,
		   struct fk_layer_stat *st)
{
	const struct fk_pt_make_args a = { .kind = FK_PT_MAKE_DIR, .name = name,
					   .mode = mode };
	return make(l, parent, a, cred, out, st);
}

static int l_mknod(struct fk_layer *l, struct fk_layer_node *parent,
		   const char *name, uint32_t mode, uint32_t rdev,
		   const struct fk_layer_cred *cred, struct fk_layer_node **out,
		   struct fk_layer_stat *st)
{
	if (S_ISREG(mode) || S_ISDIR(mode) || S_ISLNK(mode))
		return -EINVAL; /* create, mkdir and symlink make those */
	const struct fk_pt_make_args a = { .kind = FK_PT_MAKE_NOD, .name = name,
					   .mode = mode, .rdev = rdev };
	return make(l, parent, a, cred, out, st);
}

static int l_symlink(struct fk_layer *l, struct fk_layer_node *parent,
		     const char *name, const char *target,
		     const struct fk_layer_cred *cred,
		     struct fk_layer_node **out, struct fk_layer_stat *st)
{
	const struct fk_pt_make_args a = { .kind = FK_PT_MAKE_SYMLINK,
					   .name = name, .target = target };
	return make(l, parent, a, cred, out, st);
}

static int l_link(struct fk_layer *l, struct fk_layer_node *h,
		  struct fk_layer_node *newparent, const char *newname,
		  struct fk_layer_stat *st)
{
	struct fk_pt *pt = PT_OF(l);
	if (NODE(h)->type == S_IFDIR)
		return -EPERM;
	struct fk_pt_use u, p = { 0 };
	int rc = take(pt, NODE(h), FK_PT_NEED_AT, &u);
	if (rc == 0)
		rc = take(pt, NODE(newparent), FK_PT_NEED_FD, &p);
	struct fk_pt_node *n;
	struct fk_plat_stat sx;
	if (rc == 0)
		rc = fk_pt_link_at(pt, u.at, p.node, p.at.fd, newname, FK_NT_OP,
				   &n, &sx);
	if (rc == 0) {
		to_stat_of(pt, n, &sx, st);
		fk_pt_node_put(pt, n);
	}
	fk_pt_drop(pt, &p);
	fk_pt_drop(pt, &u);
	return rc;
}

static int remove_name(struct fk_layer *l, struct fk_layer_node *parent,
		       const char *name, int flags)
{
	struct fk_pt *pt = PT_OF(l);
	struct fk_pt_use p;
	int rc = take(pt, NODE(parent), FK_PT_NEED_FD, &p);
	if (rc == 0)
		rc = fk_pt_remove(pt, p.node, p.at.fd, name, flags);
	fk_pt_drop(pt, &p);
	return rc;
}

static int l_unlink(struct fk_layer *l, struct fk_layer_node *parent,
		    const char *name)
{
	return remove_name(l, parent, name, 0);
}

static int l_rmdir(struct fk_layer *l, struct fk_layer_node *parent,
		   const char *name)
{
	return remove_name(l, parent, name, AT_REMOVEDIR);
}

static int l_rename(struct fk_layer *l, struct fk_layer_node *parent,
		    const char *name, struct fk_layer_node *newparent,
		    const char *newname, unsigned flags)
{
	struct fk_pt *pt = PT_OF(l);
	struct fk_pt_use a, b = { 0 };
	int rc = take(pt, NODE(parent), FK_PT_NEED_FD, &a);
	if (rc == 0)
		rc = take(pt, NODE(newparent), FK_PT_NEED_FD, &b);
	if (rc == 0) {
		/* A whiteout RENAME_WHITEOUT leaves is the daemon's, as
		 * kernel overlayfs's are the mounter's. */
		struct fk_pt_who w;
		daemon_who(&w);
		rc = fk_pt_rename_at(pt, a.node, a.at.fd, name, b.node, b.at.fd,
				     newname, flags, &w);
	}
	fk_pt_drop(pt, &b);
	fk_pt_drop(pt, &a);
	return rc;
}

static int l_opendir(struct fk_layer *l, struct fk_layer_node *h,
		     struct fk_layer_dir **out)
{
	struct fk_pt *pt = PT_OF(l);
	struct fk_pt_use u;
	int fd = take(pt, NODE(h), FK_PT_NEED_FD, &u);
	if (fd == 0)
		fd = fk_pt_reopen(u.at, O_RDONLY | O_DIRECTORY);
	fk_pt_drop(pt, &u);
	if (fd < 0)
		return fd;
	struct fk_layer_dir *d = malloc(sizeof *d);
	if (!d || !(d->dp = fdopendir(fd))) {
		int e = d ? errno : ENOMEM;
		free(d);
		close(fd);
		return -e;
	}
	*out = d;
	return 0;
}

static int l_readdir(struct fk_layer *l, struct fk_layer_dir *d,
		     struct fk_layer_dirent *e)
{
	(void)l;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d->dp);
		if (!de)
			return errno ? -errno : 0;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		e->ino = de->d_ino;
		e->type = de->d_type == DT_UNKNOWN ? 0 : (uint32_t)DTTOIF(de->d_type);
		snprintf(e->name, sizeof e->name, "%s", de->d_name);
		return 1;
	}
}

static void l_closedir(struct fk_layer *l, struct fk_layer_dir *d)
{
	(void)l;
	closedir(d->dp);
	free(d);
}

/* The xattr ops: pin, call pt_xattr.c, unpin. */
enum xop { XGET, XLIST, XSET, XREMOVE };

static int xattr_op(struct fk_layer *l, struct fk_layer_node *h, enum xop op,
		    const char *name, void *buf, size_t size, int flags)
{
	struct fk_pt *pt = PT_OF(l);
	struct fk_pt_use u;
	int rc = take(pt, NODE(h), FK_PT_NEED_AT, &u);
	if (rc)
		return rc;
	struct fk_pt_at at = u.at;
	switch (op) {
	case XGET:
		rc = fk_pt_xattr_get(pt, at, name, buf, size, 0);
		break;
	case XLIST:
		rc = fk_pt_xattr_list(pt, at, buf, size);
		break;
	case XSET:
		rc = fk_pt_xattr_set(pt, at, name, buf, size, flags, 0);
		break;
	default:
		rc = fk_pt_xattr_remove(pt, at, name);
		break;
	}
	fk_pt_drop(pt, &u);
	return rc;
}

static int l_getxattr(struct fk_layer *l, struct fk_layer_node *h,
		      const char *name, void *buf, size_t size)
{
	return xattr_op(l, h, XGET, name, buf, size, 0);
}

static int l_listxattr(struct fk_layer *l, struct fk_layer_node *h, char *buf,
		       size_t size)
{
	return xattr_op(l, h, XLIST, NULL, buf, size, 0);
}

static int l_setxattr(struct fk_layer *l, struct fk_layer_node *h,
		      const char *name, const void *value, size_t size,
		      int flags)
{
	return xattr_op(l, h, XSET, name, (void *)value, size, flags);
}

static int l_removexattr(struct fk_layer *l, struct fk_layer_node *h,
			 const char *name)
{
	return xattr_op(l, h, XREMOVE, name, NULL, 0, 0);
}

static int l_statfs(struct fk_layer *l, struct fk_statfs *st)
{
	struct fk_pt *pt = PT_OF(l);
	return fk_pt_statfs_fd(pt->root->cfd.fd, st); /* never closed */
}

static int l_sync(struct fk_layer *l)
{
	return fk_pt_sync(PT_OF(l));
}

static int l_host_path(struct fk_layer *l, struct fk_layer_node *h, char *buf,
		       size_t size)
{
	struct fk_pt *pt = PT_OF(l);
	struct fk_pt_use u;
	int rc = take(pt, NODE(h), FK_PT_NEED_AT, &u);
	if (rc)
		return rc;
	rc = fk_plat_path_at(u.at.fd, FK_PT_AT_NAME(u.at), buf, size);
	fk_pt_drop(pt, &u);
	return rc;
}

/* The clone is made as cred (fk_plat_clone_at: on Linux a file cred
 * creates, then FICLONE; on macOS fclonefileat, then given to cred), gets
 * mode, and is looked up and opened read-write. Not where the layer keeps
 * owners in xattrs (the caller creates and copies then, which reflinks
 * range by range where the host can). */
static int l_clone_file(struct fk_layer *l, struct fk_layer_node *parent,
			const char *name, int src, uint32_t mode,
			const struct fk_layer_cred *cred,
			struct fk_layer_node **out, struct fk_layer_stat *st)
{
	struct fk_pt *pt = PT_OF(l);
	if (fk_pt_override_applies(pt, S_IFREG))
		return -EOPNOTSUPP;
	int rc = fk_pt_check_name(name);
	if (rc)
		return rc;
	struct fk_pt_use p;
	if ((rc = take(pt, NODE(parent), FK_PT_NEED_FD, &p)))
		return rc;
	int pfd = p.at.fd;
	struct fk_pt_who w;
	who_of(pt, cred, &w);
	rc = fk_pt_clone_as(&w, src, pfd, name);
	int made = rc == 0;
	/* After the chown, which clears set-id bits. */
	if (rc == 0)
		rc = fk_plat_chmod_at(pfd, name, mode & 07777);
	struct fk_pt_node *n = NULL;
	struct fk_plat_stat sx;
	if (rc == 0)
		rc = fk_pt_lookup_name(pt, NODE(parent), pfd, name, FK_NT_OP,
				       &n, &sx);
	int fd = rc ? rc : l_open(l, HANDLE(n), O_RDWR);
	if (fd < 0 && made)
		(void)fk_pt_remove(pt, NODE(parent), pfd, name, 0); /* failing, it stays */
	fk_pt_drop(pt, &p);
	if (fd < 0) {
		if (n)
			fk_pt_node_put(pt, n);
		return fd;
	}
	to_stat_of(pt, n, &sx, st);
	give(pt, n, out);
	return fd;
}

static int l_work(struct fk_layer *l, struct fk_layer_node **out)
{
	struct fk_pt *pt = PT_OF(l);
	if (!pt->work)
		return -ENOTSUP;
	l_hold(l, HANDLE(pt->work));
	*out = HANDLE(pt->work);
	return 0;
}

static int l_handle_stat(struct fk_layer *l, int type, const void *bytes,
			 size_t len, struct fk_layer_stat *st)
{
	struct fk_pt *pt = PT_OF(l);
	int m = fk_pt_root_mount_fd(pt);
	int fd = m < 0 ? m : fk_plat_handle_open_raw(m, type, bytes, len);
	if (fd < 0)
		return fd;
	struct fk_plat_stat sx;
	int rc = fk_pt_stat_fd(fd, &sx);
	struct fk_pt_at at = FK_PT_AT_FD(fd);
	if (rc == 0)
		to_stat(pt, &at, &sx, st);
	close(fd);
	return rc;
}

static const struct fk_layer_ops pt_layer_ops = {
	.destroy = l_destroy,
	.root = l_root,
	.hold = l_hold,
	.put = l_put,
	.lookup = l_lookup,
	.getattr = l_getattr,
	.setattr = l_setattr,
	.readlink = l_readlink,
	.open = l_open,
	.create = l_create,
	.mkdir = l_mkdir,
	.mknod = l_mknod,
	.symlink = l_symlink,
	.link = l_link,
	.unlink = l_unlink,
	.rmdir = l_rmdir,
	.rename = l_rename,
	.opendir = l_opendir,
	.readdir = l_readdir,
	.closedir = l_closedir,
	.getxattr = l_getxattr,
	.listxattr = l_listxattr,
	.setxattr = l_setxattr,
	.removexattr = l_removexattr,
	.statfs = l_statfs,
	.sync = l_sync,
	.host_path = l_host_path,
	.clone_file = l_clone_file,
	.work = l_work,
	.tmpfile = l_tmpfile,
	.handle_stat = l_handle_stat,
};

int fk_pt_layer_new(struct fk_layer **out, const char *source,
		    const struct fk_pt_options *o, char *err, size_t errlen)
{
	struct fk_pt *pt;
	int rc = fk_pt_new(&pt, source, o, err, errlen);
	if (rc)
		return rc;
	fk_layer_init(&pt->layer, &pt_layer_ops);
	/* The filesystem on top numbers its own nodes. */
	pt->export.on = 0;
	pt->override = fk_pt_override_detect(pt);
	/* The host keeps ACLs; not where modes are kept in an override. */
	pt->layer.acls = fk_pt_acl_on(pt) && pt->override == FK_PT_OVERRIDE_NONE;
	*out = &pt->layer;
	return 0;
}

enum fk_pt_override fk_pt_layer_override(struct fk_layer *l)
{
	return PT_OF(l)->override;
}

int fk_pt_layer_set_override(struct fk_layer *l, enum fk_pt_override o,
			     const char *root_value, char *err, size_t errlen)
{
	struct fk_pt *pt = PT_OF(l);
	int rfd = pt->root->cfd.fd; /* never closed */
	const char *name = fk_pt_override_xattr(o);
	char v[64];
	int rc = name ? fk_plat_getxattr_at(rfd, NULL, name, v, sizeof v, 0) : 0;
	if (rc == -ENODATA) {
		struct fk_plat_stat sx;
		rc = root_value ? 0 : fk_pt_stat_fd(rfd, &sx);
		if (rc == 0 && !root_value)
			snprintf(v, sizeof v, "%u:%u:%o", sx.uid, sx.gid,
				 sx.mode & 07777);
		if (rc == 0)
			rc = fk_plat_setxattr_at(rfd, NULL, name,
						 root_value ? root_value : v,
						 strlen(root_value ? root_value : v),
						 XATTR_CREATE, 0);
	}
	if (rc < 0) {
		snprintf(err, errlen, "cannot keep owners in xattr %s: %s%s", name,
			 strerror(-rc),
			 rc == -EPERM && o == FK_PT_OVERRIDE_PRIVILEGED
				 ? " (security.* xattrs need CAP_SYS_ADMIN)"
				 : "");
		return rc;
	}
	pt->override = o;
	pt->layer.acls = 0; /* the host's modes are not the ones shown */
	return 0;
}

int fk_pt_layer_set_work(struct fk_layer *l, const char *workdir, char *err,
			 size_t errlen)
{
	struct fk_pt *pt = PT_OF(l);
	if (pt->work) {
		snprintf(err, errlen, "the layer has a work directory already");
		return -EEXIST;
	}
	int fd = fk_plat_hold_dir(workdir);
	if (fd < 0) {
		int e = -fd;
		snprintf(err, errlen, "workdir '%s': %s", workdir,
			 e == ENOTDIR ? "not a directory" : strerror(e));
		return -e;
	}
	struct fk_plat_stat st, rst;
	int rc = fk_pt_stat_fd(fd, &st);
	if (rc == 0)
		rc = fk_pt_stat_fd(pt->root->cfd.fd, &rst); /* never closed */
	if (rc) {
		snprintf(err, errlen, "workdir '%s': %s", workdir, strerror(-rc));
	} else if (st.dev != rst.dev ||
		   st.mnt_id != rst.mnt_id) {
		snprintf(err, errlen,
			 "workdir '%s' is not on the same filesystem (mount) as "
			 "its layer",
			 workdir);
		rc = -EXDEV;
	} else if (st.ino == rst.ino) {
		snprintf(err, errlen, "workdir '%s' is the layer itself", workdir);
		rc = -EINVAL;
	}
	if (rc) {
		close(fd);
		return rc;
	}
	/* Unnamed (no parent in the table): held by its descriptor. */
	pt->work = fk_pt_node_lookup(pt, fd, &st, NULL, -1, NULL, FK_NT_OP);
	if (!pt->work) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}
