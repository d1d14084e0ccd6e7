/*
 * memfs.c — a complete in-memory filesystem on libfusekit, in one file.
 *
 * It is the smallest full example of the API: files, directories, symlinks,
 * hard links, device nodes, xattrs, rename (with NOREPLACE and EXCHANGE),
 * truncate, readdirplus, and lookup counting with forget. Everything lives
 * in memory and vanishes at unmount; --seed DIR copies a directory tree in
 * at start.
 *
 *     fk-memfs [-o OPTIONS] [-s] [--seed DIR] MOUNTPOINT
 *
 * One mutex guards the whole tree: simple, and fast enough for an example.
 *
 * Node life: a node is freed when no directory links to it (nlink 0), the
 * kernel holds no lookup reference to it (lookups 0) and no file is open on
 * it (opens 0). The root is never freed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <fusekit/fusekit.h>

#define MEMFS_TIMEOUT_NS 1000000000ull /* the kernel may cache for 1 s */
#define MEMFS_NAME_MAX 255

struct xattr {
	char *name;
	void *value;
	size_t size;
	struct xattr *next;
};

struct dentry {
	char *name;
	struct node *node;
	uint64_t cookie; /* readdir offset: stable while the entry lives */
	struct dentry *next;
};

struct node {
	uint64_t ino;
	uint32_t mode, uid, gid, rdev, nlink;
	struct timespec atime, mtime, ctime, crtime;
	uint64_t lookups;
	uint32_t opens;
	char *data; /* regular file contents */
	size_t size, cap;
	char *target; /* symlink */
	struct dentry *entries; /* directory, in creation order */
	struct dentry **tail;
	uint64_t next_cookie;
	struct node *parent; /* directory: for ".." */
	struct xattr *xattrs;
};

struct memfs {
	pthread_mutex_t lock;
	struct node **nodes; /* by ino; NULL once freed */
	size_t nnodes;
};

/* ---- Nodes ---------------------------------------------------------- */

static struct timespec now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return t;
}

/* Nodes are numbered in creation order; fs->nodes[ino] finds them. Slot 0
 * is unused so that the first node made, the root, is FK_ROOT_INO. */
static struct node *node_new(struct memfs *fs, uint32_t mode, uint32_t uid,
			     uint32_t gid)
{
	struct node *n = calloc(1, sizeof *n);
	struct node **grown = n ? realloc(fs->nodes, (fs->nnodes + 1) * sizeof *grown)
				: NULL;
	if (!grown) {
		free(n);
		return NULL;
	}
	fs->nodes = grown;
	n->ino = fs->nnodes;
	fs->nodes[fs->nnodes++] = n;
	n->mode = mode;
	n->uid = uid;
	n->gid = gid;
	n->atime = n->mtime = n->ctime = n->crtime = now();
	n->tail = &n->entries;
	n->next_cookie = 3; /* 1 and 2 are "." and ".." */
	return n;
}

static struct node *node_get(struct memfs *fs, uint64_t ino)
{
	return ino < fs->nnodes ? fs->nodes[ino] : NULL;
}

/* Free a node's memory; its directory entries must be gone already. */
static void node_destroy(struct memfs *fs, struct node *n)
{
	fs->nodes[n->ino] = NULL;
	while (n->xattrs) {
		struct xattr *x = n->xattrs;
		n->xattrs = x->next;
		free(x->name);
		free(x->value);
		free(x);
	}
	free(n->data);
	free(n->target);
	free(n);
}

static void node_maybe_free(struct memfs *fs, struct node *n)
{
	if (n->ino == FK_ROOT_INO || n->nlink || n->lookups || n->opens)
		return;
	node_destroy(fs, n);
}

static void fill_attr(const struct node *n, struct fk_attr *a)
{
	memset(a, 0, sizeof *a);
	a->ino = n->ino;
	a->mode = n->mode;
	a->nlink = n->nlink;
	a->uid = n->uid;
	a->gid = n->gid;
	a->rdev = n->rdev;
	a->size = S_ISLNK(n->mode) ? strlen(n->target) : n->size;
	a->blocks = (n->cap + 511) / 512;
	a->blksize = 4096;
	a->atime = n->atime;
	a->mtime = n->mtime;
	a->ctime = n->ctime;
	a->crtime = n->crtime;
}

/* An entry reply: counts one kernel lookup reference. */
static void fill_entry(struct node *n, struct fk_entry *e)
{
	memset(e, 0, sizeof *e);
	e->ino = n->ino;
	fill_attr(n, &e->attr);
	e->entry_valid_ns = MEMFS_TIMEOUT_NS;
	e->attr_valid_ns = MEMFS_TIMEOUT_NS;
}

static void reply_entry(fk_req *req, struct node *n)
{
	struct fk_entry e;
	fill_entry(n, &e);
	n->lookups++;
	(void)fk_reply_entry(req, &e);
}

/* ---- Directories ---------------------------------------------------- */

static struct dentry *dir_find(struct node *dir, const char *name)
{
	for (struct dentry *d = dir->entries; d; d = d->next)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

static int dir_link(struct node *dir, const char *name, struct node *n)
{
	struct dentry *d = calloc(1, sizeof *d);
	if (!d || !(d->name = strdup(name))) {
		free(d);
		return -ENOMEM;
	}
	d->node = n;
	d->cookie = dir->next_cookie++;
	*dir->tail = d;
	dir->tail = &d->next;
	n->nlink++;
	if (S_ISDIR(n->mode)) {
		n->parent = dir;
		dir->nlink++; /* the child's ".." */
	}
	dir->mtime = dir->ctime = now();
	return 0;
}

/* Remove d from dir; the node itself may live on (open, or other links). */
static void dir_unlink(struct memfs *fs, struct node *dir, struct dentry *d)
{
	struct dentry **pp = &dir->entries;
	while (*pp != d)
		pp = &(*pp)->next;
	*pp = d->next;
	if (dir->tail == &d->next)
		dir->tail = pp;
	struct node *n = d->node;
	if (S_ISDIR(n->mode)) {
		n->nlink = 0; /* "." and the name go together */
		dir->nlink--;
	} else {
		n->nlink--;
	}
	n->ctime = dir->mtime = dir->ctime = now();
	free(d->name);
	free(d);
	node_maybe_free(fs, n);
}

static int check_name(const char *name)
{
	if (strlen(name) > MEMFS_NAME_MAX)
		return ENAMETOOLONG;
	return 0;
}

/* ---- Operations ----------------------------------------------------- */

#define FS(req) ((struct memfs *)fk_req_fs(req))

static void memfs_lookup(fk_req *req, const struct fk_name_in *in)
{
	struct memfs *fs = FS(req);
	pthread_mutex_lock(&fs->lock);
	struct node *dir = node_get(fs, in->parent);
	struct dentry *d = dir ? dir_find(dir, in->name) : NULL;
	if (!dir)
		(void)fk_reply_err(req, ENOENT);
	else if (check_name(in->name))
		(void)fk_reply_err(req, ENAMETOOLONG);
	else if (!d)
		(void)fk_reply_err(req, ENOENT);
	else
		reply_entry(req, d->node);
	pthread_mutex_unlock(&fs->lock);
}

static void memfs_forget(void *fsp, uint64_t ino, uint64_t nlookup)
{
	struct memfs *fs = fsp;
	pthread_mutex_lock(&fs->lock);
	struct node *n = node_get(fs, ino);
	if (n) {
		n->lookups = nlookup > n->lookups ? 0 : n->lookups - nlookup;
		node_maybe_free(fs, n);
	}
	pthread_mutex_unlock(&fs->lock);
}

static void memfs_getattr(fk_req *req, const struct fk_getattr_in *in)
{
	struct memfs *fs = FS(req);
	pthread_mutex_lock(&fs->lock);
	struct node *n = node_get(fs, in->ino);
	if (!n) {
		(void)fk_reply_err(req, ENOENT);
	} else {
		struct fk_attr a;
		fill_attr(n, &a);
		(void)fk_reply_attr(req, &a, MEMFS_TIMEOUT_NS);
	}
	pthread_mutex_unlock(&fs->lock);
}

/* Room for size bytes (capacity doubles, so appends stay linear). */
static int reserve(struct node *n, uint64_t size)
{
	if (size > (uint64_t)1 << 34) /* 16 GiB: it is all in memory */
		return EFBIG;
	if (size <= n->cap)
		return 0;
	size_t cap = n->cap ? n->cap : 4096;
	while (cap < size)
		cap *= 2;
	char *d = realloc(n->data, cap);
	if (!d)
		return ENOSPC;
	n->data = d;
	n->cap = cap;
	return 0;
}

/* Set the size; bytes that appear read as zeros. */
static int resize(struct node *n, uint64_t size)
{
	int err = reserve(n, size);
	if (err)
		return err;
	if (size > n->size)
		memset(n->data + n->size, 0, size - n->size);
	n->size = size;
	return 0;
}

static void memfs_setattr(fk_req *req, const struct fk_setattr_in *in)
{
	struct memfs *fs = FS(req);
	pthread_mutex_lock(&fs->lock);
	struct node *n = node_get(fs, in->ino);
	int err = n ? 0 : ENOENT;
	struct timespec t = now();
	if (!err && (in->valid & FK_SET_SIZE)) {
		if (S_ISDIR(n->mode))
			err = EISDIR;
		else if (!S_ISREG(n->mode))
			err = EINVAL;
		else if (!(err = resize(n, in->size)))
			n->mtime = t;
	}
	if (!err) {
		if (in->valid & FK_SET_MODE)
			n->mode = (n->mode & S_IFMT) | (in->mode & 07777);
		if (in->valid & FK_SET_UID)
			n->uid = in->uid;
		if (in->valid & FK_SET_GID)
			n->gid = in->gid;
		if (in->valid & FK_SET_ATIME)
			n->atime = in->atime;
		if (in->valid & FK_SET_ATIME_NOW)
			n->atime = t;
		if (in->valid & FK_SET_MTIME)
			n->mtime = in->mtime;
		if (in->valid & FK_SET_MTIME_NOW)
			n->mtime = t;
		n->ctime = (in->valid & FK_SET_CTIME) ? in->ctime : t;
		struct fk_attr a;
		fill_attr(n, &a);
		(void)fk_reply_attr(req, &a, MEMFS_TIMEOUT_NS);
	} else {
		(void)fk_reply_err(req, err);
	}
	pthread_mutex_unlock(&fs->lock);
}

static void memfs_readlink(fk_req *req, const struct fk_ino_in *in)
{
	struct memfs *fs = FS(req);
	pthread_mutex_lock(&fs->lock);
	struct node *n = node_get(fs, in->ino);
	if (!n || !S_ISLNK(n->mode))
		(void)fk_reply_err(req, n ? EINVAL : ENOENT);
	else
		(void)fk_reply_readlink(req, n->target);
	pthread_mutex_unlock(&fs->lock);
}

/* Make a new node named name in parent, owned by the caller. Replies. */
static struct node *create_node(fk_req *req, uint64_t parent,
				const char *name, uint32_t mode, uint32_t umask)
{
	struct memfs *fs = FS(req);
	const struct fk_ctx *ctx = fk_req_ctx(req);
	struct node *dir = node_get(fs, parent);
	int err = 0;
	if (!dir)
		err = ENOENT;
	else if (!S_ISDIR(dir->mode))
		err = ENOTDIR;
	else if (dir->nlink == 0)
		err = ENOENT; /* removed while we held it */
	else if ((err = check_name(name)))
		;
	else if (dir_find(dir, name))
		err = EEXIST;
	if (err) {
		(void)fk_reply_err(req, err);
		return NULL;
	}
	/* setgid directories pass their group down, as on ext4. */
	uint32_t gid = (dir->mode & S_ISGID) ? dir->gid : ctx->gid;
	if (S_ISDIR(mode) && (dir->mode & S_ISGID))
		mode |= S_ISGID;
	struct node *n = node_new(fs, (mode & S_IFMT) | (mode & 07777 & ~umask),
				  ctx->uid, gid);
	if (!n || dir_link(dir, name, n)) {
		if (n)
			node_maybe_free(fs, n);
		(void)fk_reply_err(req, ENOMEM);
		return NULL;
	}
	if (S_ISDIR(mode))
		n->nlink = 2;
	return n;
}

static void memfs_mknod(fk_req *req, const struct fk_mknod_in *in)
{
	struct memfs *fs = FS(req);
	pthread_mutex_lock(&fs->lock);
	struct node *n = create_node(req, in->parent, in->name, in->mode, in->umask);
	if (n) {
		n->rdev = in->rdev;
		reply_entry(req, n);
	}
	pthread_mutex_unlock(&fs->lock);
}

static void memfs_mkdir(fk_req *req, const struct fk_mkdir_in *in)
{
	struct memfs *fs = FS(req);
	pthread_mutex_lock(&fs->lock);
	struct node *n = create_node(req, in->parent, in->name,
				     S_IFDIR | (in->mode & 07777), in->umask);
	if (n)
		reply_entry(req, n);
	pthread_mutex_unlock(&fs->lock);
}

static void memfs_symlink(fk_req *req, const struct fk_symlink_in *in)
{
	struct memfs *fs = FS(req);
	pthread_mutex_lock(&fs->lock);
	if (strlen(in->target) >= PATH_MAX) {
		(void)fk_reply_err(req, ENAMETOOLONG);
	} else {
		struct node *n = create_node(req, in->parent, in->name,
					     S_IFLNK | 0777, 0);
		if (n && !(n->target = strdup(in->target))) {
			/* Unwind: the name must not point at a broken link. */
			dir_unlink(fs, node_get(fs, in->parent),
				   dir_find(node_get(fs, in->parent), in->name));
			(void)fk_reply_err(req, ENOMEM);
		} else if (n) {
			reply_entry(req, n);
		}
	}
	pthread_mutex_unlock(&fs->lock);
}

static void remove_entry(fk_req *req, const struct fk_name_in *in, int want_dir)
{
	struct memfs *fs = FS(req);
	pthread_mutex_lock(&fs->lock);
	struct node *dir = node_get(fs, in->parent);
	struct dentry *d = dir ? dir_find(dir, in->name) : NULL;
	int err = 0;
	if (!d)
		err = ENOENT;
	else if (want_dir && !S_ISDIR(d->node->mode))
		err = ENOTDIR;
	else if (!want_dir && S_ISDIR(d->node->mode))
		err = EISDIR;
	else if (want_dir && d->node->entries)
		err = ENOTEMPTY;
	if (!err)
		dir_unlink(fs, dir, d);
	(void)fk_reply_err(req, err);
	pthread_mutex_unlock(&fs->lock);
}

static void memfs_unlink(fk_req *req, const struct fk_name_in *in)
{
	remove_entry(req, in, 0);
}

static void memfs_rmdir(fk_req *req, const struct fk_name_in *in)
{
	remove_entry(req, in, 1);
}

/* Is a inside the subtree of directory b (or b itself)? */
static int is_within(const struct node *a, const struct node *b)
{
	for (; a; a = a->parent == a ? NULL : a->parent)
		if (a == b)
			return 1;
	return 0;
}

static int rename_locked(struct memfs *fs, const struct fk_rename_in *in)
{
	struct node *odir = node_get(fs, in->parent);
	struct node *ndir = node_get(fs, in->newparent);
	if (!odir || !ndir)
		return ENOENT;
	if (!S_ISDIR(ndir->mode))
		return ENOTDIR;
	if (check_name(in->newname))
		return ENAMETOOLONG;
	if (in->flags & ~(FK_RENAME_NOREPLACE | FK_RENAME_EXCHANGE))
		return EINVAL;
	if ((in->flags & FK_RENAME_NOREPLACE) && (in->flags & FK_RENAME_EXCHANGE))
		return EINVAL;
	struct dentry *src = dir_find(odir, in->name);
	if (!src)
		return ENOENT;
	struct dentry *dst = dir_find(ndir, in->newname);
	struct node *n = src->node;

	if (in->flags & FK_RENAME_EXCHANGE) {
		if (!dst)
			return ENOENT;
		struct node *m = dst->node;
		if ((S_ISDIR(n->mode) && is_within(ndir, n)) ||
		    (S_ISDIR(m->mode) && is_within(odir, m)))
			return EINVAL;
		src->node = m;
		dst->node = n;
		if (S_ISDIR(n->mode) != S_ISDIR(m->mode) && odir != ndir) {
			/* A directory changed parents: move its ".." link. */
			struct node *d = S_ISDIR(n->mode) ? n : m;
			struct node *from = d == n ? odir : ndir;
			struct node *to = d == n ? ndir : odir;
			from->nlink--;
			to->nlink++;
		}
		if (S_ISDIR(n->mode))
			n->parent = ndir;
		if (S_ISDIR(m->mode))
			m->parent = odir;
		n->ctime = m->ctime = odir->mtime = odir->ctime = ndir->mtime =
			ndir->ctime = now();
		return 0;
	}
	if (dst && dst->node == n)
		return 0; /* same file: POSIX says do nothing */
	if (dst && (in->flags & FK_RENAME_NOREPLACE))
		return EEXIST;
	if (S_ISDIR(n->mode) && is_within(ndir, n))
		return EINVAL;
	if (dst) {
		struct node *m = dst->node;
		if (S_ISDIR(n->mode) && !S_ISDIR(m->mode))
			return ENOTDIR;
		if (!S_ISDIR(n->mode) && S_ISDIR(m->mode))
			return EISDIR;
		if (S_ISDIR(m->mode) && m->entries)
			return ENOTEMPTY;
	}
	/* Link the new name first so n never drops to nlink 0. */
	int rc = dir_link(ndir, in->newname, n);
	if (rc)
		return -rc;
	if (dst)
		dir_unlink(fs, ndir, dst);
	/* dir_link counted a second link (and a ".." for directories);
	 * removing the old name takes them back. */
	struct dentry **pp = &odir->entries;
	while (*pp != src)
		pp = &(*pp)->next;
	*pp = src->next;
	if (odir->tail == &src->next)
		odir->tail = pp;
	free(src->name);
	free(src);
	n->nlink--;
	if (S_ISDIR(n->mode))
		odir->nlink--;
	n->ctime = odir->mtime = odir->ctime = now();
	return 0;
}

static void memfs_rename(fk_req *req, const struct fk_rename_in *in)
{
	struct memfs *fs = FS(req);
	pthread_mutex_lock(&fs->lock);
	int err = rename_locked(fs, in);
	(void)fk_reply_err(req, err);
	pthread_mutex_unlock(&fs->lock);
}

static void memfs_link(fk_req *req, const struct fk_link_in *in)
{
	struct memfs *fs = FS(req);
	pthread_mutex_lock(&fs->lock);
	struct node *n = node_get(fs, in->ino);
	struct node *dir = node_get(fs, in->newparent);
	int err = 0;
	if (!n || !dir)
		err = ENOENT;
	else if (S_ISDIR(n->mode))
		err = EPERM;
	else if (check_name(in->newname))
		err = ENAMETOOLONG;
	else if (dir_find(dir, in->newname))
		err = EEXIST;
	else if (dir_link(dir, in->newname, n))
		err = ENOMEM;
	if (err) {
		(void)fk_reply_err(req, err);
	} else {
		n->ctime = now();
		reply_entry(req, n);
	}
	pthread_mutex_unlock(&fs->lock);
}

static void memfs_open(fk_req *req, const struct fk_open_in *in)
{
	struct memfs *fs = FS(req);
	pthread_mutex_lock(&fs->lock);
	struct node *n = node_get(fs, in->ino);
	if (!n) {
		(void)fk_reply_err(req, ENOENT);
	} else {
		int err = 0;
		if ((in->flags & O_TRUNC) && S_ISREG(n->mode) &&
		    (in->flags & O_ACCMODE) != O_RDONLY) {
			err = resize(n, 0);
			n->mtime = n->ctime = now();
		}
		if (err) {
			(void)fk_reply_err(req, err);
		} else {
			n->opens++;
			struct fk_open_out o = { n->ino, 0, 0 };
			(void)fk_reply_open(req, &o);
		}
	}
	pthread_mutex_unlock(&fs->lock);
}

static void memfs_create(fk_req *req, const struct fk_create_in *in)
{
	struct memfs *fs = FS(req);
	pthread_mutex_lock(&fs->lock);
	struct node *n = create_node(req, in->parent, in->name,
				     S_IFREG | (in->mode & 07777), in->umask);
	if (n) {
		struct fk_entry e;
		fill_entry(n, &e);
		n->lookups++;
		n->opens++;
		struct fk_open_out o = { n->ino, 0, 0 };
		(void)fk_reply_create(req, &e, &o);
	}
	pthread_mutex_unlock(&fs->lock);
}

static void memfs_release(fk_req *req, const struct fk_release_in *in)
{
	struct memfs *fs = FS(req);
	pthread_mutex_lock(&fs->lock);
	struct node *n = node_get(fs, in->ino);
	if (n && n->opens) {
		n->opens--;
		node_maybe_free(fs, n);
	}
	(void)fk_reply_err(req, 0);
	pthread_mutex_unlock(&fs->lock);
}

static void memfs_read(fk_req *req, const struct fk_read_in *in)
{
	struct memfs *fs = FS(req);
	pthread_mutex_lock(&fs->lock);
	struct node *n = node_get(fs, in->ino);
	if (!n) {
		(void)fk_reply_err(req, ENOENT);
	} else {
		size_t len = 0;
		if (in->offset < n->size) {
			len = n->size - in->offset;
			if (len > in->size)
				len = in->size;
		}
		n->atime = now();
		(void)fk_reply_buf(req, n->data + (len ? in->offset : 0), len);
	}
	pthread_mutex_unlock(&fs->lock);
}

static void memfs_write(fk_req *req, const struct fk_write_in *in)
{
	struct memfs *fs = FS(req);
	pthread_mutex_lock(&fs->lock);
	struct node *n = node_get(fs, in->ino);
	int err = n ? 0 : ENOENT;
	uint64_t off = in->offset;
	if (!err && (in->flags & O_APPEND))
		off = n->size;
	/* Zero only a hole before the write, not what it overwrites. */
	if (!err && off + in->size > n->size)
		err = off > n->size ? resize(n, off) : 0;
	if (!err)
		err = reserve(n, off + in->size);
	if (err) {
		(void)fk_reply_err(req, err);
	} else {
		memcpy(n->data + off, in->data, in->size);
		if (off + in->size > n->size)
			n->size = off + in->size;
		n->mtime = n->ctime = now();
		(void)fk_reply_write(req, in->size);
	}
	pthread_mutex_unlock(&fs->lock);
}

static void memfs_statfs(fk_req *req, const struct fk_ino_in *in)
{
	struct memfs *fs = FS(req);
	pthread_mutex_lock(&fs->lock);
	uint64_t used = 0, files = 0;
	for (size_t i = 1; i < fs->nnodes; i++) {
		if (fs->nodes[i]) {
			files++;
			used += (fs->nodes[i]->cap + 4095) / 4096;
		}
	}
	pthread_mutex_unlock(&fs->lock);
	struct fk_statfs st;
	memset(&st, 0, sizeof st);
	st.bsize = st.frsize = 4096;
	st.blocks = used + (1u << 20); /* report 4 GiB free */
	st.bfree = st.bavail = 1u << 20;
	st.files = files + 1000000;
	st.ffree = 1000000;
	st.namelen = MEMFS_NAME_MAX;
	(void)in;
	(void)fk_reply_statfs(req, &st);
}

/* ---- Directories: readdir and readdirplus --------------------------- */

static void readdir_common(fk_req *req, const struct fk_read_in *in, int plus)
{
	struct memfs *fs = FS(req);
	pthread_mutex_lock(&fs->lock);
	struct node *dir = node_get(fs, in->ino);
	if (!dir || !S_ISDIR(dir->mode)) {
		(void)fk_reply_err(req, dir ? ENOTDIR : ENOENT);
		pthread_mutex_unlock(&fs->lock);
		return;
	}
	struct node *parent = dir->parent ? dir->parent : dir;
	const struct {
		const char *name;
		struct node *node;
		uint64_t cookie;
	} dots[2] = { { ".", dir, 1 }, { "..", parent, 2 } };

	for (int i = 0; i < 2; i++) {
		if (in->offset >= dots[i].cookie)
			continue;
		int rc;
		if (plus) {
			/* "." and ".." are not looked up: ino 0 entries. */
			struct fk_entry e;
			memset(&e, 0, sizeof e);
			fill_attr(dots[i].node, &e.attr);
			rc = fk_dirbuf_add_plus(req, dots[i].name, &e, dots[i].cookie);
		} else {
			rc = fk_dirbuf_add(req, dots[i].name, dots[i].node->ino,
					   dots[i].node->mode, dots[i].cookie);
		}
		if (rc) {
			(void)fk_reply_dirbuf(req);
			pthread_mutex_unlock(&fs->lock);
			return;
		}
	}
	for (struct dentry *d = dir->entries; d; d = d->next) {
		if (d->cookie <= in->offset)
			continue;
		int rc;
		if (plus) {
			struct fk_entry e;
			fill_entry(d->node, &e);
			rc = fk_dirbuf_add_plus(req, d->name, &e, d->cookie);
			if (rc == 0)
				d->node->lookups++; /* only for entries sent */
		} else {
			rc = fk_dirbuf_add(req, d->name, d->node->ino,
					   d->node->mode, d->cookie);
		}
		if (rc)
			break;
	}
	dir->atime = now();
	(void)fk_reply_dirbuf(req);
	pthread_mutex_unlock(&fs->lock);
}

static void memfs_readdir(fk_req *req, const struct fk_read_in *in)
{
	readdir_common(req, in, 0);
}

static void memfs_readdirplus(fk_req *req, const struct fk_read_in *in)
{
	readdir_common(req, in, 1);
}

/* ---- Extended attributes -------------------------------------------- */

static struct xattr **xattr_find(struct node *n, const char *name)
{
	struct xattr **pp = &n->xattrs;
	while (*pp && strcmp((*pp)->name, name))
		pp = &(*pp)->next;
	return pp;
}

/*
 * system.* names (POSIX ACLs above all) have meaning the kernel and tools
 * rely on: cp -a sets permissions through system.posix_acl_access and
 * falls back to chmod only on EOPNOTSUPP. memfs has no ACLs, so it says so
 * instead of storing them as opaque bytes.
 */
static int unsupported_name(const char *name)
{
	return strncmp(name, "system.", 7) == 0;
}

static void memfs_setxattr(fk_req *req, const struct fk_setxattr_in *in)
{
	struct memfs *fs = FS(req);
	pthread_mutex_lock(&fs->lock);
	struct node *n = node_get(fs, in->ino);
	int err = 0;
	struct xattr **pp = n ? xattr_find(n, in->name) : NULL;
	if (!n)
		err = ENOENT;
	else if (unsupported_name(in->name))
		err = EOPNOTSUPP;
	else if (strlen(in->name) > 255 || !*in->name)
		err = strlen(in->name) ? ERANGE : EINVAL;
	else if (in->size > 65536)
		err = E2BIG;
	else if (*pp && (in->flags & XATTR_CREATE))
		err = EEXIST;
	else if (!*pp && (in->flags & XATTR_REPLACE))
		err = ENODATA;
	if (!err) {
		void *v = malloc(in->size ? in->size : 1);
		struct xattr *x = *pp ? *pp : calloc(1, sizeof *x);
		if (!v || !x || (!x->name && !(x->name = strdup(in->name)))) {
			free(v);
			if (x && !*pp) {
				free(x->name);
				free(x);
			}
			err = ENOMEM;
		} else {
			memcpy(v, in->value, in->size);
			free(x->value);
			x->value = v;
			x->size = in->size;
			if (!*pp)
				*pp = x;
			n->ctime = now();
		}
	}
	(void)fk_reply_err(req, err);
	pthread_mutex_unlock(&fs->lock);
}

static void memfs_getxattr(fk_req *req, const struct fk_getxattr_in *in)
{
	struct memfs *fs = FS(req);
	pthread_mutex_lock(&fs->lock);
	struct node *n = node_get(fs, in->ino);
	struct xattr *x = n ? *xattr_find(n, in->name) : NULL;
	if (!n)
		(void)fk_reply_err(req, ENOENT);
	else if (unsupported_name(in->name))
		(void)fk_reply_err(req, EOPNOTSUPP);
	else if (!x)
		(void)fk_reply_err(req, ENODATA);
	else if (in->size == 0)
		(void)fk_reply_xattr_size(req, (uint32_t)x->size);
	else if (in->size < x->size)
		(void)fk_reply_err(req, ERANGE);
	else
		(void)fk_reply_buf(req, x->value, x->size);
	pthread_mutex_unlock(&fs->lock);
}

static void memfs_listxattr(fk_req *req, const struct fk_listxattr_in *in)
{
	struct memfs *fs = FS(req);
	pthread_mutex_lock(&fs->lock);
	struct node *n = node_get(fs, in->ino);
	if (!n) {
		(void)fk_reply_err(req, ENOENT);
		pthread_mutex_unlock(&fs->lock);
		return;
	}
	size_t total = 0;
	for (struct xattr *x = n->xattrs; x; x = x->next)
		total += strlen(x->name) + 1;
	if (in->size == 0) {
		(void)fk_reply_xattr_size(req, (uint32_t)total);
	} else if (in->size < total) {
		(void)fk_reply_err(req, ERANGE);
	} else {
		char *buf = malloc(total ? total : 1);
		if (!buf) {
			(void)fk_reply_err(req, ENOMEM);
		} else {
			size_t off = 0;
			for (struct xattr *x = n->xattrs; x; x = x->next) {
				size_t l = strlen(x->name) + 1;
				memcpy(buf + off, x->name, l);
				off += l;
			}
			(void)fk_reply_buf(req, buf, total);
			free(buf);
		}
	}
	pthread_mutex_unlock(&fs->lock);
}

static void memfs_removexattr(fk_req *req, const struct fk_removexattr_in *in)
{
	struct memfs *fs = FS(req);
	pthread_mutex_lock(&fs->lock);
	struct node *n = node_get(fs, in->ino);
	struct xattr **pp = n ? xattr_find(n, in->name) : NULL;
	if (!n) {
		(void)fk_reply_err(req, ENOENT);
	} else if (unsupported_name(in->name)) {
		(void)fk_reply_err(req, EOPNOTSUPP);
	} else if (!*pp) {
		(void)fk_reply_err(req, ENODATA);
	} else {
		struct xattr *x = *pp;
		*pp = x->next;
		free(x->name);
		free(x->value);
		free(x);
		n->ctime = now();
		(void)fk_reply_err(req, 0);
	}
	pthread_mutex_unlock(&fs->lock);
}

static void memfs_fsync(fk_req *req, const struct fk_fsync_in *in)
{
	(void)in;
	(void)fk_reply_err(req, 0); /* memory is as durable as it gets */
}

static const struct fk_ops memfs_ops = {
	.lookup = memfs_lookup,
	.forget = memfs_forget,
	.getattr = memfs_getattr,
	.setattr = memfs_setattr,
	.readlink = memfs_readlink,
	.symlink = memfs_symlink,
	.mknod = memfs_mknod,
	.mkdir = memfs_mkdir,
	.unlink = memfs_unlink,
	.rmdir = memfs_rmdir,
	.rename = memfs_rename,
	.link = memfs_link,
	.open = memfs_open,
	.create = memfs_create,
	.read = memfs_read,
	.write = memfs_write,
	.release = memfs_release,
	.statfs = memfs_statfs,
	.fsync = memfs_fsync,
	.fsyncdir = memfs_fsync,
	.readdir = memfs_readdir,
	.readdirplus = memfs_readdirplus,
	.setxattr = memfs_setxattr,
	.getxattr = memfs_getxattr,
	.listxattr = memfs_listxattr,
	.removexattr = memfs_removexattr,
};

/* ---- Seeding from a host directory ---------------------------------- */

static int seed_dir(struct memfs *fs, struct node *dir, int dirfd, int depth);

static int seed_one(struct memfs *fs, struct node *dir, int dirfd,
		    const char *name, int depth)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	struct node *n = node_new(fs, st.st_mode, st.st_uid, st.st_gid);
	if (!n)
		return -ENOMEM;
	if (dir_link(dir, name, n)) {
		node_maybe_free(fs, n);
		return -ENOMEM;
	}
	/* Whole seconds: the portable part of struct stat. */
	n->mtime.tv_sec = st.st_mtime;
	n->mtime.tv_nsec = 0;
	n->atime.tv_sec = st.st_atime;
	n->atime.tv_nsec = 0;
	if (S_ISDIR(st.st_mode)) {
		n->nlink = 2;
		int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		if (fd < 0)
			return -errno;
		int rc = seed_dir(fs, n, fd, depth + 1);
		close(fd);
		return rc;
	}
	if (S_ISLNK(st.st_mode)) {
		char buf[PATH_MAX];
		ssize_t l = readlinkat(dirfd, name, buf, sizeof buf - 1);
		if (l < 0)
			return -errno;
		buf[l] = 0;
		n->target = strdup(buf);
		return n->target ? 0 : -ENOMEM;
	}
	if (S_ISREG(st.st_mode)) {
		int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW);
		if (fd < 0)
			return -errno;
		int rc = resize(n, (uint64_t)st.st_size) ? -EFBIG : 0;
		for (size_t off = 0; rc == 0 && off < n->size;) {
			ssize_t r = pread(fd, n->data + off, n->size - off, (off_t)off);
			if (r <= 0) {
				rc = r < 0 ? -errno : 0;
				n->size = off; /* the file shrank under us */
				break;
			}
			off += (size_t)r;
		}
		close(fd);
		return rc;
	}
	n->rdev = (uint32_t)st.st_rdev;
	return 0;
}

static int seed_dir(struct memfs *fs, struct node *dir, int dirfd, int depth)
{
	if (depth > 64)
		return -ELOOP;
	int fd = dup(dirfd);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		rc = seed_one(fs, dir, dirfd, e->d_name, depth);
	}
	closedir(d);
	return rc;
}

/* Free the whole tree at exit (the kernel's references are gone). */
static void memfs_free(struct memfs *fs)
{
	for (size_t i = 0; i < fs->nnodes; i++) {
		struct node *n = fs->nodes[i];
		if (!n)
			continue;
		while (n->entries) {
			struct dentry *d = n->entries;
			n->entries = d->next;
			free(d->name);
			free(d);
		}
		node_destroy(fs, n);
	}
	free(fs->nodes);
	pthread_mutex_destroy(&fs->lock);
}

/* ---- main ----------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fk-memfs [-o OPTIONS] [-s] [--seed DIR] MOUNTPOINT\n"
		"\n"
		"An in-memory filesystem: the fusekit API example. It runs in\n"
		"the foreground until unmounted (fusekit umount MOUNTPOINT) or\n"
		"interrupted (Ctrl-C, SIGTERM), and forgets everything then.\n"
		"\n"
		"  --seed DIR   copy the tree at DIR into the filesystem first\n"
		"  -s           single-threaded\n"
		"  -h, --help   this help\n"
		"\n"
		"Mount options:\n");
	fk_opt_print_help(out, fk_mount_opt_table);
	fprintf(out, "\nSession options:\n");
	fk_opt_print_help(out, fk_session_opt_table);
}

int main(int argc, char **argv)
{
	struct fk_mount_opts mo;
	struct fk_session_config cfg;
	fk_mount_opts_init(&mo);
	fk_session_config_init(&cfg);
	/* The kernel checks permissions for us: memfs stores modes and
	 * owners but never compares them. */
	mo.default_permissions = 1;
	mo.subtype = strdup("memfs");

	const char *mountpoint = NULL, *seed = NULL;
	char err[512];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			fk_mount_opts_free(&mo);
			return 0;
		} else if (!strcmp(a, "-s")) {
			cfg.threads = 1;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--seed")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "fk-memfs: %s needs an argument\n", a);
				fk_mount_opts_free(&mo);
				return 2;
			}
			if (!strcmp(a, "--seed")) {
				seed = argv[++i];
				continue;
			}
			struct fk_opt_table t[] = { { fk_mount_opt_table, &mo },
						    { fk_session_opt_table, &cfg } };
			if (fk_opt_parse(argv[++i], t, 2, err, sizeof err)) {
				fprintf(stderr, "fk-memfs: %s\n", err);
				fk_mount_opts_free(&mo);
				return 2;
			}
		} else if (a[0] == '-') {
			fprintf(stderr, "fk-memfs: unknown argument '%s' (try --help)\n", a);
			fk_mount_opts_free(&mo);
			return 2;
		} else if (!mountpoint) {
			mountpoint = a;
		} else {
			fprintf(stderr, "fk-memfs: unexpected argument '%s'\n", a);
			fk_mount_opts_free(&mo);
			return 2;
		}
	}
	if (!mountpoint) {
		usage(stderr);
		fk_mount_opts_free(&mo);
		return 2;
	}

	struct memfs fs;
	memset(&fs, 0, sizeof fs);
	pthread_mutex_init(&fs.lock, NULL);
	fs.nodes = calloc(1, sizeof *fs.nodes);
	fs.nnodes = 1;
	struct node *root = node_new(&fs, S_IFDIR | 0755, getuid(), getgid());
	if (!root) {
		fk_mount_opts_free(&mo);
		return 1;
	}
	root->nlink = 2;
	if (seed) {
		int fd = open(seed, O_RDONLY | O_DIRECTORY);
		int rc = fd < 0 ? -errno : seed_dir(&fs, root, fd, 0);
		if (fd >= 0)
			close(fd);
		if (rc < 0) {
			fprintf(stderr, "fk-memfs: cannot read seed '%s': %s\n",
				seed, strerror(-rc));
			memfs_free(&fs);
			fk_mount_opts_free(&mo);
			return 1;
		}
	}

	fk_session *se;
	int rc = fk_session_new(&se, &memfs_ops, sizeof memfs_ops, &fs, &cfg);
	if (rc < 0)
		fprintf(stderr, "fk-memfs: %s\n", strerror(-rc));
	/* A failed mount has already said why. */
	if (rc == 0)
		rc = fk_session_mount(se, mountpoint, &mo);
	if (rc == 0) {
		rc = fk_session_run(se);
		if (rc < 0)
			fprintf(stderr, "fk-memfs: %s\n", strerror(-rc));
	}
	fk_session_destroy(se);
	memfs_free(&fs);
	fk_mount_opts_free(&mo);
	return rc < 0 ? 1 : 0;
}
