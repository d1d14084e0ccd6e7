/*
 * pt_layer.c — the passthrough filesystem as a layer (fk_layer.h), for
 * the overlay and union filesystems.
 *
 * A layer handle is a node of the same table the FUSE ops use, holding an
 * operation reference (FK_PT_REF_OP) instead of a kernel one, so every
 * inode mode (fd, handle, lazy), the confinement beneath SOURCE and the
 * name tracking of renames are the FUSE ops' own code: each op here pins
 * the node's descriptor, calls the same function its FUSE op calls, and
 * converts the answer.
 *
 * New objects belong to the cred the caller gives, made as that owner
 * with the daemon's capabilities kept (pt_cred.c).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "pt.h"

#define PT_OF(l) ((struct fk_pt *)((char *)(l) - offsetof(struct fk_pt, layer)))
#define NODE(h) ((struct fk_pt_node *)(h))
#define HANDLE(n) ((struct fk_layer_node *)(n))

struct fk_layer_dir {
	DIR *dp;
};

static void to_stat(const struct fk_pt *pt, const struct statx *sx,
		    struct fk_layer_stat *st)
{
	if (!st)
		return;
	st->dev = makedev(sx->stx_dev_major, sx->stx_dev_minor);
	fk_pt_statx_to_attr(pt, sx, &st->attr);
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
	pthread_mutex_lock(&pt->table.lock);
	pt->root->refs++;
	pthread_mutex_unlock(&pt->table.lock);
	return HANDLE(pt->root);
}

static void l_hold(struct fk_layer *l, struct fk_layer_node *h)
{
	struct fk_pt *pt = PT_OF(l);
	pthread_mutex_lock(&pt->table.lock);
	NODE(h)->refs++;
	pthread_mutex_unlock(&pt->table.lock);
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
	int pfd = fk_pt_node_fd(pt, NODE(parent));
	if (pfd < 0)
		return pfd;
	struct fk_pt_node *n;
	struct statx sx;
	int rc = fk_pt_lookup_name(pt, NODE(parent), pfd, name, FK_PT_REF_OP,
				   &n, &sx);
	fk_pt_node_unfd(pt, NODE(parent));
	if (rc)
		return rc;
	to_stat(pt, &sx, st);
	give(pt, n, out);
	return 0;
}

static int l_getattr(struct fk_layer *l, struct fk_layer_node *h,
		     struct fk_layer_stat *st)
{
	struct fk_pt *pt = PT_OF(l);
	int fd = fk_pt_node_fd(pt, NODE(h));
	if (fd < 0)
		return fd;
	struct statx sx;
	int rc = fk_pt_stat_fd(fd, &sx);
	fk_pt_node_unfd(pt, NODE(h));
	if (rc == 0)
		to_stat(pt, &sx, st);
	return rc;
}

static int l_setattr(struct fk_layer *l, struct fk_layer_node *h,
		     const struct fk_setattr_in *in, struct fk_layer_stat *st)
{
	struct fk_pt *pt = PT_OF(l);
	if ((in->valid & FK_SET_MODE) && NODE(h)->type == S_IFLNK)
		return -EOPNOTSUPP; /* /proc/self/fd would follow it */
	int fd = fk_pt_node_fd(pt, NODE(h));
	if (fd < 0)
		return fd;
	int rc = fk_pt_setattr_fd(pt, fd, -1, in);
	struct statx sx;
	if (rc == 0 && st && (rc = fk_pt_stat_fd(fd, &sx)) == 0)
		to_stat(pt, &sx, st);
	fk_pt_node_unfd(pt, NODE(h));
	return rc;
}

static int l_readlink(struct fk_layer *l, struct fk_layer_node *h, char *buf,
		      size_t size)
{
	struct fk_pt *pt = PT_OF(l);
	if (NODE(h)->type != S_IFLNK)
		return -EINVAL;
	int fd = fk_pt_node_fd(pt, NODE(h));
	if (fd < 0)
		return fd;
	ssize_t n = size ? readlinkat(fd, "", buf, size) : 0;
	int rc = n < 0 ? -errno : (size_t)n >= size ? -ERANGE : (int)n;
	fk_pt_node_unfd(pt, NODE(h));
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
	int fd = fk_pt_node_fd(pt, NODE(h));
	if (fd < 0)
		return fd;
	int rc = fk_pt_reopen(fd, flags & ~(O_CREAT | O_EXCL));
	fk_pt_node_unfd(pt, NODE(h));
	return rc;
}

/* The create-type ops: as cred, make name in parent — a regular file
 * opened with file_flags (its descriptor is the answer; with no name, an
 * unnamed O_TMPFILE one), or, when file_flags is -1, the node kind says. */
static int make(struct fk_layer *l, struct fk_layer_node *parent,
		enum fk_pt_make_kind kind, int file_flags, const char *name,
		uint32_t mode, uint32_t rdev, const char *target,
		const struct fk_layer_cred *cred, struct fk_layer_node **out,
		struct fk_layer_stat *st)
{
	struct fk_pt *pt = PT_OF(l);
	int pfd = fk_pt_node_fd(pt, NODE(parent));
	if (pfd < 0)
		return pfd;
	struct fk_pt_who w;
	who_of(pt, cred, &w);
	struct fk_pt_node *n;
	struct statx sx;
	int rc = !name ? fk_pt_tmpfile_at(pt, pfd, &w, file_flags, mode,
					  FK_PT_REF_OP, &n, &sx)
		 : file_flags >= 0
			 ? fk_pt_create_at(pt, NODE(parent), pfd, &w, name,
					   file_flags | O_EXCL, mode, FK_PT_REF_OP,
					   &n, &sx)
			 : fk_pt_make(pt, NODE(parent), pfd, &w, kind, name, mode,
				      rdev, target, FK_PT_REF_OP, &n, &sx);
	fk_pt_node_unfd(pt, NODE(parent));
	if (rc >= 0) {
		to_stat(pt, &sx, st);
		give(pt, n, out);
	}
	return rc;
}

static int l_create(struct fk_layer *l, struct fk_layer_node *parent,
		    const char *name, int flags, uint32_t mode,
		    const struct fk_layer_cred *cred, struct fk_layer_node **out,
		    struct fk_layer_stat *st)
{
	return make(l, parent, FK_PT_MAKE_NOD, flags, name, mode, 0, NULL, cred,
		    out, st);
}

static int l_tmpfile(struct fk_layer *l, struct fk_layer_node *parent,
		     int flags, uint32_t mode, const struct fk_layer_cred *cred,
		     struct fk_layer_node **out, struct fk_layer_stat *st)
{
	return make(l, parent, FK_PT_MAKE_NOD, flags, NULL, mode, 0, NULL, cred,
		    out, st);
}

static int l_mkdir(struct fk_layer *l, struct fk_layer_node *parent,
		   const char *name, uint32_t mode,
		   const struct fk_layer_cred *cred, struct fk_layer_node **out,
		   struct fk_layer_stat *st)
{
	return make(l, parent, FK_PT_MAKE_DIR, -1, name, mode, 0, NULL, cred,
		    out, st);
}

static int l_mknod(struct fk_layer *l, struct fk_layer_node *parent,
		   const char *name, uint32_t mode, uint32_t rdev,
		   const struct fk_layer_cred *cred, struct fk_layer_node **out,
		   struct fk_layer_stat *st)
{
	if (S_ISREG(mode) || S_ISDIR(mode) || S_ISLNK(mode))
		return -EINVAL; /* create, mkdir and symlink make those */
	return make(l, parent, FK_PT_MAKE_NOD, -1, name, mode, rdev, NULL, cred,
		    out, st);
}

static int l_symlink(struct fk_layer *l, struct fk_layer_node *parent,
		     const char *name, const char *target,
		     const struct fk_layer_cred *cred,
		     struct fk_layer_node **out, struct fk_layer_stat *st)
{
	return make(l, parent, FK_PT_MAKE_SYMLINK, -1, name, 0, 0, target,
		    cred, out, st);
}

static int l_link(struct fk_layer *l, struct fk_layer_node *h,
		  struct fk_layer_node *newparent, const char *newname,
		  struct fk_layer_stat *st)
{
	struct fk_pt *pt = PT_OF(l);
	if (NODE(h)->type == S_IFDIR)
		return -EPERM;
	int fd = fk_pt_node_fd(pt, NODE(h));
	if (fd < 0)
		return fd;
	int pfd = fk_pt_node_fd(pt, NODE(newparent));
	int rc = pfd;
	if (pfd >= 0) {
		struct fk_pt_node *n;
		struct statx sx;
		rc = fk_pt_link_at(pt, fd, NODE(newparent), pfd, newname,
				   FK_PT_REF_OP, &n, &sx);
		if (rc == 0) {
			to_stat(pt, &sx, st);
			fk_pt_node_put(pt, n);
		}
		fk_pt_node_unfd(pt, NODE(newparent));
	}
	fk_pt_node_unfd(pt, NODE(h));
	return rc;
}

static int remove_name(struct fk_layer *l, struct fk_layer_node *parent,
		       const char *name, int flags)
{
	struct fk_pt *pt = PT_OF(l);
	int pfd = fk_pt_node_fd(pt, NODE(parent));
	if (pfd < 0)
		return pfd;
	int rc = fk_pt_remove(pt, pfd, name, flags);
	fk_pt_node_unfd(pt, NODE(parent));
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
	int afd = fk_pt_node_fd(pt, NODE(parent));
	if (afd < 0)
		return afd;
	int bfd = fk_pt_node_fd(pt, NODE(newparent));
	int rc = bfd;
	if (bfd >= 0) {
		/* A whiteout RENAME_WHITEOUT leaves is the daemon's, as
		 * kernel overlayfs's are the mounter's. */
		struct fk_pt_who w = { .uid = (uint32_t)geteuid(),
				       .gid = (uint32_t)getegid(),
				       .privileged = 1 };
		rc = fk_pt_rename_at(pt, NODE(parent), afd, name,
				     NODE(newparent), bfd, newname, flags, &w);
		fk_pt_node_unfd(pt, NODE(newparent));
	}
	fk_pt_node_unfd(pt, NODE(parent));
	return rc;
}

static int l_opendir(struct fk_layer *l, struct fk_layer_node *h,
		     struct fk_layer_dir **out)
{
	struct fk_pt *pt = PT_OF(l);
	int nfd = fk_pt_node_fd(pt, NODE(h));
	if (nfd < 0)
		return nfd;
	int fd = fk_pt_reopen(nfd, O_RDONLY | O_DIRECTORY);
	fk_pt_node_unfd(pt, NODE(h));
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
	int fd = fk_pt_node_fd(pt, NODE(h));
	if (fd < 0)
		return fd;
	int rc;
	switch (op) {
	case XGET:
		rc = fk_pt_xattr_get(pt, fd, name, buf, size);
		break;
	case XLIST:
		rc = fk_pt_xattr_list(pt, fd, buf, size);
		break;
	case XSET:
		rc = fk_pt_xattr_set(pt, fd, name, buf, size, flags);
		break;
	default:
		rc = fk_pt_xattr_remove(pt, fd, name);
		break;
	}
	fk_pt_node_unfd(pt, NODE(h));
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
	int fd = fk_pt_node_fd(pt, NODE(h));
	if (fd < 0)
		return fd;
	char p[32];
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	ssize_t n = size ? readlink(p, buf, size) : 0;
	int rc = n < 0 ? -errno : (size_t)n >= size ? -ERANGE : (int)n;
	fk_pt_node_unfd(pt, NODE(h));
	if (rc >= 0)
		buf[rc] = 0;
	return rc;
}

static int l_clone_file(struct fk_layer *l, struct fk_layer_node *parent,
			const char *name, int src, uint32_t mode,
			const struct fk_layer_cred *cred,
			struct fk_layer_node **out, struct fk_layer_stat *st)
{
	struct fk_pt *pt = PT_OF(l);
	struct fk_layer_node *h;
	int fd = l_create(l, parent, name, O_RDWR, mode, cred, &h, NULL);
	if (fd < 0)
		return fd;
	struct statx sx;
	int rc = ioctl(fd, FICLONE, src) < 0 ? -errno : fk_pt_stat_fd(fd, &sx);
	if (rc) {
		/* Nothing made: the empty file goes again. */
		close(fd);
		(void)l_unlink(l, parent, name); /* failing: an empty file stays */
		fk_pt_node_put(pt, NODE(h));
		/* EINVAL: the host has FICLONE but not for these files. */
		return rc == -EINVAL || rc == -ENOTTY ? -EOPNOTSUPP : rc;
	}
	to_stat(pt, &sx, st);
	give(pt, NODE(h), out);
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
	struct file_handle *fh = malloc(sizeof *fh + len);
	if (!fh)
		return -ENOMEM;
	fh->handle_bytes = (unsigned)len;
	fh->handle_type = type;
	memcpy(fh->f_handle, bytes, len);
	int m = fk_pt_root_mount_fd(pt);
	int fd = m < 0 ? m : open_by_handle_at(m, fh, O_PATH | O_CLOEXEC);
	if (m < 0) {
		free(fh);
		return m;
	}
	free(fh);
	if (fd < 0)
		return errno == EINVAL || errno == ENOENT ? -ESTALE : -errno;
	struct statx sx;
	int rc = fk_pt_stat_fd(fd, &sx);
	close(fd);
	if (rc == 0)
		to_stat(pt, &sx, st);
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
	*out = &pt->layer;
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
	int fd = open(workdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "workdir '%s': %s", workdir,
			 e == ENOTDIR ? "not a directory" : strerror(e));
		return -e;
	}
	struct statx st, rst;
	int rc = fk_pt_stat_fd(fd, &st);
	if (rc == 0)
		rc = fk_pt_stat_fd(pt->root->cfd.fd, &rst); /* never closed */
	if (rc) {
		snprintf(err, errlen, "workdir '%s': %s", workdir, strerror(-rc));
	} else if (st.stx_dev_major != rst.stx_dev_major ||
		   st.stx_dev_minor != rst.stx_dev_minor ||
		   st.stx_mnt_id != rst.stx_mnt_id) {
		snprintf(err, errlen,
			 "workdir '%s' is not on the same filesystem (mount) as "
			 "its layer",
			 workdir);
		rc = -EXDEV;
	} else if (st.stx_ino == rst.stx_ino) {
		snprintf(err, errlen, "workdir '%s' is the layer itself", workdir);
		rc = -EINVAL;
	}
	if (rc) {
		close(fd);
		return rc;
	}
	/* Unnamed (no parent in the table): held by its descriptor. */
	pt->work = fk_pt_node_lookup(pt, fd, &st, NULL, NULL, FK_PT_REF_OP);
	if (!pt->work) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}
