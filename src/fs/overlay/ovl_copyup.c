/*
 * ovl_copyup.c — copy-up: before a lower node changes, an equal object is
 * made in the upper layer and takes its place, as kernel overlayfs does.
 *
 * Atomic: the copy is built under a fresh name in the upper layer's work
 * directory — contents, xattrs, owner, mode, times — and only when it is
 * complete is it renamed to its place. A crash leaves either no upper
 * object (the lower one still shows) or the complete copy; never a part.
 * (What a crash leaves in the work directory is garbage nobody sees.)
 *
 * Data takes the fastest way the layers allow: a reflink (clone_file),
 * else the host's whole-file copy (macOS's fcopyfile), else
 * copy_file_range (fk_plat_copy_range), else read and write, and only the
 * data extents (SEEK_DATA/SEEK_HOLE), so holes stay holes. The
 * copy is fsynced before the rename, as the kernel's is (unless fsync=0:
 * then a crash may leave a copy whose data never reached the disk).
 *
 * Locking (ovl.h): called with no tree lock held. The node's copy_lock
 * makes it the only copy of that node; the copy is built in the work
 * directory with no tree lock at all (other requests, other copy-ups go
 * on, for the seconds a large file takes); then, under the tree write
 * lock, what the copy depends on is checked again (the node is still
 * lower, its parent upper) and the rename into place and the new stack
 * are one step for everyone else.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../platform/fk_platform.h"
#include "ovl.h"
#include "../union/un.h"

/* Copy [off, off + len) of src to the same place in dst: in the kernel
 * where it can, else through a buffer. */
static int copy_range(int src, int dst, off_t off, off_t len)
{
	const size_t bufsize = 1 << 17;
	char *buf = NULL;
	int kernel = 1;
	while (len > 0) {
		long long n = -EOPNOTSUPP;
		if (kernel)
			n = fk_plat_copy_range(src, off, dst, off, len, 0);
		if (n == -EOPNOTSUPP || n == -EXDEV || n == -EINVAL) {
			kernel = 0;
			if (!buf && !(buf = fk_thread_buf(FK_OVL_BUF_COPY, bufsize)))
				return -ENOMEM;
			n = pread(src, buf, len < (off_t)bufsize ? (size_t)len : bufsize,
				  off);
			if (n < 0) {
				n = -errno;
			} else if (n > 0) {
				ssize_t w = pwrite(dst, buf, (size_t)n, off);
				if (w < 0)
					return -errno;
				if (w != n)
					return -ENOSPC; /* a short write */
			}
		}
		if (n == -EINTR)
			continue;
		if (n < 0)
			return (int)n;
		if (n == 0)
			break; /* the file shrank meanwhile */
		off += n;
		len -= n;
	}
	return 0;
}

/* Copy every extent of data of src (size bytes) to dst; holes stay. */
static int copy_extents(int src, int dst, uint64_t size)
{
	off_t at = 0;
	while ((uint64_t)at < size) {
		off_t data = lseek(src, at, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			break; /* a hole to the end */
		off_t hole = data < 0 ? (off_t)size : lseek(src, data, SEEK_HOLE);
		if (data < 0) /* no SEEK_DATA here: all of it is data */
			data = at;
		if (hole < 0)
			hole = (off_t)size;
		int rc = copy_range(src, dst, data, hole - data);
		if (rc)
			return rc;
		at = hole;
	}
	return ftruncate(dst, (off_t)size) < 0 ? -errno : 0;
}

int fk_ovl_copy_data(struct fk_ovl *ovl, int src, int dst, uint64_t size,
		     int copied)
{
	int rc = 0;
	if (!copied) {
		/* The host's own whole-file copy where it has one (macOS), which
		 * copies what is there now: the size stands. */
		rc = fk_plat_copy_file(src, dst);
		if (rc == 0 && ftruncate(dst, (off_t)size) < 0)
			rc = -errno;
		if (rc == -EOPNOTSUPP)
			rc = copy_extents(src, dst, size);
	}
	if (rc == 0 && ovl->o.fsync && fsync(dst) < 0)
		rc = -errno;
	return rc;
}

/* Build the regular file: a clone if the upper layer can make one, else
 * a new file with the data copied. */
static int stage_file(struct fk_ovl *ovl, const struct fk_ovl_dest *to,
		      struct fk_layer *lo, struct fk_layer_node *lh,
		      const char *tmp, const struct fk_layer_stat *st,
		      const struct fk_layer_cred *cred, struct fk_layer_node **h,
		      unsigned flags)
{
	struct fk_layer *up = ovl->layers[to->layer];
	uint32_t perm = st->attr.mode & 07777;
	if (flags & FK_OVL_COPY_NO_DATA) {
		int fd = up->ops->create(up, to->work, tmp, O_RDWR, perm, cred, h,
					 NULL);
		if (fd < 0)
			return fd;
		close(fd);
		return 0;
	}
	int src = lo->ops->open(lo, lh, O_RDONLY | FK_O_NOATIME);
	/* O_NOATIME: only for the owner or a capable caller. */
	if (src == -EPERM && FK_O_NOATIME != 0)
		src = lo->ops->open(lo, lh, O_RDONLY);
	if (src < 0)
		return src;
	int dst = -EOPNOTSUPP, rc = 0, cloned = 0;
	if (up->ops->clone_file)
		dst = up->ops->clone_file(up, to->work, tmp, src, perm, cred, h,
					  NULL);
	if (dst >= 0)
		cloned = 1;
	else if (dst == -EOPNOTSUPP || dst == -EXDEV)
		dst = up->ops->create(up, to->work, tmp, O_RDWR, perm, cred, h,
				      NULL);
	if (dst >= 0)
		rc = fk_ovl_copy_data(ovl, src, dst, st->attr.size, cloned);
	close(src);
	if (dst < 0)
		return dst;
	close(dst);
	return rc;
}

/* Copy every xattr of lh but the overlay's own markers onto h. */
int fk_ovl_copy_xattrs(struct fk_layer *lo, struct fk_layer_node *lh,
		       struct fk_layer *up, struct fk_layer_node *h)
{
	int len = lo->ops->listxattr(lo, lh, NULL, 0);
	if (len == -EOPNOTSUPP || len <= 0)
		return len == -EOPNOTSUPP ? 0 : len;
	char *names = malloc((size_t)len);
	char *value = malloc(65536);
	int rc = names && value ? 0 : -ENOMEM;
	if (rc == 0)
		len = lo->ops->listxattr(lo, lh, names, (size_t)len);
	if (rc == 0 && len < 0)
		rc = len; /* -ERANGE: it grew meanwhile; the caller may retry */
	for (int at = 0; rc == 0 && at < len;) {
		const char *name = names + at;
		at += (int)strnlen(name, (size_t)(len - at)) + 1;
		if (fk_layer_is_marker_xattr(lo, name))
			continue;
		int vlen = lo->ops->getxattr(lo, lh, name, value, 65536);
		if (vlen == -ENODATA)
			continue; /* removed meanwhile */
		rc = vlen < 0 ? vlen
			      : up->ops->setxattr(up, h, name, value, (size_t)vlen, 0);
		/* An xattr the upper host refuses (a namespace it lacks) is
		 * dropped, as kernel overlayfs drops it. */
		if (rc == -EOPNOTSUPP)
			rc = 0;
	}
	free(names);
	free(value);
	return rc;
}

/* Make in the work directory, as tmp, an object equal to lower node lh of
 * layer lo with attributes st: *h is it. */
static int stage(struct fk_ovl *ovl, const struct fk_ovl_dest *to,
		 struct fk_layer *lo, struct fk_layer_node *lh,
		 const struct fk_layer_stat *st, const char *tmp,
		 struct fk_layer_node **h, unsigned flags)
{
	struct fk_layer *up = ovl->layers[to->layer];
	const struct fk_layer_cred cred = { .uid = st->attr.uid, .gid = st->attr.gid };
	uint32_t type = st->attr.mode & S_IFMT, perm = st->attr.mode & 07777;
	int rc;
	if (type == S_IFREG) {
		rc = stage_file(ovl, to, lo, lh, tmp, st, &cred, h, flags);
	} else if (type == S_IFDIR) {
		rc = up->ops->mkdir(up, to->work, tmp, perm, &cred, h, NULL);
	} else if (type == S_IFLNK) {
		char target[PATH_MAX + 1];
		rc = lo->ops->readlink(lo, lh, target, sizeof target);
		if (rc >= 0)
			rc = up->ops->symlink(up, to->work, tmp, target, &cred, h,
					      NULL);
	} else {
		rc = up->ops->mknod(up, to->work, tmp, st->attr.mode,
				    st->attr.rdev, &cred, h, NULL);
	}
	if (rc < 0 || !*h)
		return rc < 0 ? rc : -EIO;
	rc = fk_ovl_copy_xattrs(lo, lh, up, *h);
	/* The mode again (making it, and chown, may have dropped set-id
	 * bits), then the times, last, as nothing may touch them after. */
	struct fk_setattr_in in;
	memset(&in, 0, sizeof in);
	if (rc == 0 && type != S_IFLNK) {
		in.valid = FK_SET_MODE;
		in.mode = perm;
		rc = up->ops->setattr(up, *h, &in, NULL);
	}
	if (rc == 0) {
		in.valid = FK_SET_ATIME | FK_SET_MTIME;
		in.atime = st->attr.atime;
		in.mtime = st->attr.mtime;
		rc = up->ops->setattr(up, *h, &in, NULL);
	}
	return rc;
}

/* The name of the origin xattr in layer l. */
static void origin_name(const struct fk_layer *l, char buf[static 64])
{
	snprintf(buf, 64, "%s%s", l->xattr_prefix, FK_OVL_ORIGIN_XATTR);
}

uint64_t fk_ovl_kernel_origin(struct fk_ovl *ovl, struct fk_layer_node *h)
{
	/* struct ovl_fb of the kernel's fs/overlayfs/overlayfs.h: version 0,
	 * magic 0xfb, len (all of it), flags, type, uuid[16], then the
	 * handle's bytes. */
	enum { FB_HEAD = 21 };
	struct fk_layer *up = ovl->layers[0];
	unsigned char fb[256];
	char name[64];
	snprintf(name, sizeof name, "%sorigin", up->xattr_prefix);
	int n = up->ops->getxattr(up, h, name, fb, sizeof fb);
	/* Handles are only unambiguous on one filesystem. */
	if (!ovl->same_dev || n <= FB_HEAD || fb[0] != 0 || fb[1] != 0xfb ||
	    fb[2] != n)
		return 0;
	for (unsigned i = 1; i < ovl->nlayers; i++) {
		struct fk_layer *l = ovl->layers[i];
		struct fk_layer_stat st;
		if (!l->ops->handle_stat ||
		    l->ops->handle_stat(l, fb[4], fb + FB_HEAD, (size_t)n - FB_HEAD,
					&st))
			continue;
		/* As the kernel: a lower file with other links is not the
		 * only one its number would stand for. */
		return st.attr.nlink == 1 ? fk_ovl_shown_ino(ovl, i, st.attr.ino) : 0;
	}
	return 0;
}

uint64_t fk_ovl_recorded_origin(struct fk_ovl *ovl, struct fk_layer_node *h)
{
	struct fk_layer *up = ovl->layers[0];
	char name[64], value[24];
	origin_name(up, name);
	int n = up->ops->getxattr(up, h, name, value, sizeof value - 1);
	if (n <= 0)
		return 0;
	value[n] = 0;
	char *end;
	unsigned long long v = strtoull(value, &end, 10);
	return *end ? 0 : (uint64_t)v; /* not ours: ignored */
}

/* Record on the staged copy h (of type `type`) the number its origin
 * shows. */
static int record_origin(struct fk_ovl *ovl, struct fk_layer_node *h,
			 uint32_t type, uint64_t ino)
{
	struct fk_layer *up = ovl->layers[0];
	char name[64], value[24];
	origin_name(up, name);
	int len = snprintf(value, sizeof value, "%llu", (unsigned long long)ino);
	int rc = up->ops->setxattr(up, h, name, value, (size_t)len, 0);
	/* Without xattrs on the upper host, or where the prefix is user.*,
	 * which the kernel refuses on symlinks, fifos, sockets and devices
	 * (EPERM), the number lasts until the kernel forgets the node;
	 * nothing else is lost. (Kernel overlayfs with userxattr does the
	 * same.) */
	if (rc == -EPERM && type != S_IFREG)
		return 0;
	return rc == -EOPNOTSUPP ? 0 : rc;
}

static void impure_name(const struct fk_layer *l, char buf[static 64])
{
	snprintf(buf, 64, "%simpure", l->xattr_prefix);
}

int fk_ovl_is_impure(struct fk_ovl *ovl, struct fk_layer_node *h)
{
	struct fk_layer *up = ovl->layers[0];
	char name[64], v[2];
	impure_name(up, name);
	return up->ops->getxattr(up, h, name, v, sizeof v) == 1 && v[0] == 'y';
}

int fk_ovl_dir_impure(struct fk_ovl *ovl, struct fk_ovl_node *n)
{
	if (n->stack[0].layer != 0)
		return 0;
	int known = atomic_load(&n->impure);
	if (!known) {
		known = fk_ovl_is_impure(ovl, n->stack[0].h) ? 2 : 1;
		atomic_store(&n->impure, known);
	}
	return known == 2;
}

/* Mark upper directory node dir as holding copied-up files. */
static int mark_impure(struct fk_ovl *ovl, struct fk_ovl_node *dir)
{
	if (fk_ovl_dir_impure(ovl, dir))
		return 0;
	struct fk_layer *up = ovl->layers[0];
	char name[64];
	impure_name(up, name);
	int rc = up->ops->setxattr(up, dir->stack[0].h, name, "y", 1, 0);
	if (rc == 0)
		atomic_store(&dir->impure, 2);
	return rc == -EOPNOTSUPP ? 0 : rc; /* then copies show upper numbers */
}

/* Remove what stage made (the copy failed or lost the race). */
static void unstage(struct fk_ovl *ovl, const struct fk_ovl_dest *to,
		    const char *tmp, int is_dir)
{
	struct fk_layer *up = ovl->layers[to->layer];
	/* Failing, it stays in the work directory, where nobody sees it. */
	(void)(is_dir ? up->ops->rmdir(up, to->work, tmp)
		      : up->ops->unlink(up, to->work, tmp));
}

/* Under the tree write lock: put the copy h (staged as tmp in to's work
 * directory) in n's place and on top of n's stack. 0 or -errno; -EAGAIN
 * when n's parent is not on to's layer now (n was found in another
 * directory since). */
static int install(struct fk_ovl *ovl, struct fk_ovl_node *n,
		   const struct fk_ovl_dest *to, const char *tmp,
		   struct fk_layer_node *h, uint64_t origin)
{
	assert(fk_ovl_tree_held() == FK_OVL_TREE_WRITE);
	struct fk_layer *up = ovl->layers[to->layer];
	struct fk_ovl_node *parent = n->parent;
	int at = -1;
	for (unsigned i = 0; i < parent->depth && at < 0; i++)
		if (parent->stack[i].layer == to->layer)
			at = (int)i;
	/* The overlay's upper directory is the topmost; a union's may be
	 * any of the parent's. */
	if (at < 0 || (!ovl->un && at != 0))
		return -EAGAIN;
	int rc = n->type == S_IFDIR || ovl->un ? 0 : mark_impure(ovl, parent);
	if (rc == 0) {
		rc = up->ops->rename(up, to->work, tmp, parent->stack[at].h, n->name,
				     FK_RENAME_NOREPLACE);
		if (rc == -EEXIST)
			rc = -ENOENT; /* removed while its data was copied */
	}
	struct fk_layer_stat ust;
	if (rc == 0)
		rc = up->ops->getattr(up, h, &ust);
	if (rc)
		return rc;
	/* The copy goes on top; a directory keeps its lower ones below it
	 * (it is merged now), a file hides them. */
	unsigned depth = n->type == S_IFDIR ? n->depth + 1 : 1;
	struct fk_ovl_layer_ref *stack = malloc(depth * sizeof *stack);
	if (!stack)
		return -ENOMEM; /* copied, but not known here: a lookup finds it */
	up->ops->hold(up, h);
	stack[0] = (struct fk_ovl_layer_ref){ to->layer, h };
	for (unsigned i = 1; i < depth; i++) {
		stack[i] = n->stack[i - 1];
		struct fk_layer *lo = ovl->layers[stack[i].layer];
		lo->ops->hold(lo, stack[i].h);
	}
	n->origin_ino = origin;
	fk_ovl_node_restack(ovl, n, stack, depth, ust.dev, ust.attr.ino);
	fk_ovl_dircache_drop(ovl, parent); /* its upper dir has a new name */
	return 0;
}

int fk_ovl_copy_one(struct fk_ovl *ovl, struct fk_ovl_node *n, unsigned flags,
		    const struct fk_ovl_dest *to)
{
	assert(fk_ovl_tree_held() == FK_OVL_TREE_NONE);
	pthread_mutex_lock(&n->copy_lock);
	/* What the copy is made from, held: n's stack does not change while
	 * we hold its copy_lock (only a copy-up changes it). */
	fk_ovl_tree_read(ovl);
	unsigned layer = n->stack[0].layer;
	struct fk_layer *lo = ovl->layers[layer];
	struct fk_layer_node *lh = n->stack[0].h;
	uint64_t known_origin = n->origin_ino;
	/* Copied while we waited: to the upper layer, or to a branch that
	 * may be written. */
	int done = ovl->un ? fk_un_branch_writable(ovl, layer) : layer == 0;
	if (!done)
		lo->ops->hold(lo, lh);
	fk_ovl_tree_unlock(ovl);
	if (done) {
		pthread_mutex_unlock(&n->copy_lock);
		return 0;
	}
	struct fk_layer *up = ovl->layers[to->layer];
	struct fk_layer_node *h = NULL;
	struct fk_layer_stat st;
	char tmp[FK_LAYER_STAGE_NAME_MAX];
	fk_layer_stage_name(up, tmp);
	int rc = lo->ops->getattr(lo, lh, &st);
	int is_dir = rc == 0 && S_ISDIR(st.attr.mode);
	/* A file keeps its number unless its lower inode has other links
	 * (they would share it), as kernel overlayfs does. A union keeps it
	 * in memory, for the life of the mount. */
	uint64_t origin = known_origin ? known_origin
			  : rc || (!is_dir && st.attr.nlink > 1 && !ovl->un)
				  ? 0
				  : fk_ovl_shown_ino(ovl, layer, st.attr.ino);
	if (rc == 0)
		rc = stage(ovl, to, lo, lh, &st, tmp, &h, flags);
	if (rc == 0 && !is_dir && origin && !ovl->un) /* a directory's: its lower one's */
		rc = record_origin(ovl, h, st.attr.mode & S_IFMT, origin);
	if (rc == 0) {
		fk_ovl_tree_write(ovl);
		assert(n->stack[0].layer == layer && n->stack[0].h == lh);
		rc = install(ovl, n, to, tmp, h, origin);
		fk_ovl_tree_unlock(ovl);
	}
	if (rc && h)
		unstage(ovl, to, tmp, is_dir);
	up->ops->put(up, h);
	fk_layer_put(lo, lh);
	pthread_mutex_unlock(&n->copy_lock);
	return rc;
}

int fk_ovl_copy_up_as(struct fk_ovl *ovl, fk_session *se,
		      struct fk_ovl_node *n, unsigned flags)
{
	assert(fk_ovl_tree_held() == FK_OVL_TREE_NONE);
	if (ovl->un)
		return fk_un_copy_up(ovl, se, n, flags);
	if (!ovl->upper)
		return -EROFS;
	int rc = -EAGAIN;
	for (int tries = 0; rc == -EAGAIN && tries < FK_OVL_COPY_TRIES; tries++) {
		fk_ovl_tree_read(ovl);
		/* The root always has an upper node, so a lower n has a
		 * parent. */
		struct fk_ovl_node *p = n->stack[0].layer == 0
						? NULL
						: fk_ovl_node_parent(ovl, n, NULL);
		int parent_upper = p && p->stack[0].layer == 0;
		fk_ovl_tree_unlock(ovl);
		if (!p)
			return 0; /* upper already */
		rc = parent_upper ? 0 : fk_ovl_copy_up_as(ovl, se, p, 0);
		fk_ovl_node_put(ovl, p);
		const struct fk_ovl_dest upper = { 0, ovl->work };
		if (rc == 0)
			rc = fk_ovl_copy_one(ovl, n, flags, &upper);
	}
	if (rc == 0 && n->type == S_IFDIR)
		/* Failing (the kernel does not know the node): nothing cached. */
		(void)fk_notify_inval_inode(se, n->tn.nodeid, -1, 0);
	return rc;
}

int fk_ovl_copy_up(struct fk_ovl *ovl, fk_session *se, struct fk_ovl_node *n)
{
	return fk_ovl_copy_up_as(ovl, se, n, 0);
}
