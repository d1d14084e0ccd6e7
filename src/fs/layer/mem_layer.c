/*
 * mem_layer.c — a layer kept in this process's memory (fk_mem_layer_new).
 *
 * It exists so that the overlay and union filesystems are tested over a
 * layer that is not a host directory, and so that layer logic has unit
 * tests that need no mount. It implements every op with the host's
 * semantics (errno values included) except permissions, which the layer
 * interface never checks.
 *
 * Invariants, under the one mutex (m->lock):
 *  - a node lives while it has a name (nlink > 0) or a handle (refs > 0);
 *    the root has both for the layer's life;
 *  - a directory's nlink is 2 + its subdirectories while it has a name,
 *    0 after rmdir; its parent pointer names the directory it is in;
 *  - a regular file's data, size and times live in an anonymous memory
 *    file (data), so open hands out real descriptors.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <fusekit/fk_layer.h>

#include "../../platform/fk_platform.h"
#include "../../util/fk_mode.h"

#define MEM_XATTR_MAX 65536
#define MEM_NAME_MAX 255

struct mem_xattr {
	struct mem_xattr *next;
	size_t size;
	char *value;
	char name[];
};

struct mem_entry {
	char *name;
	struct fk_layer_node *node;
};

struct fk_layer_node {
	uint64_t ino;
	uint32_t mode, uid, gid, rdev, nlink;
	struct timespec atime, mtime, ctime, btime;
	unsigned refs; /* handles */
	int data; /* regular file: its contents; else -1 */
	char *target; /* symlink */
	struct mem_entry *ents; /* directory */
	size_t nents, cap;
	struct fk_layer_node *parent; /* directory */
	struct mem_xattr *xattrs;
	struct fk_layer_node *prev_all, *next_all; /* every node, for destroy */
};

struct mem_layer {
	struct fk_layer layer; /* first: a struct fk_layer * is one of these */
	pthread_mutex_t lock;
	struct fk_layer_node *root, *all;
	struct fk_layer_node *work; /* like the root: outside the tree */
	uint64_t next_ino, nodes, dev;
};

struct fk_layer_dir {
	struct fk_layer_dirent *ents;
	size_t n, at;
};

#define MEM(l) ((struct mem_layer *)(l))

static struct timespec now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

static int check_name(const char *name)
{
	if (!name[0] || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return -EINVAL;
	return strlen(name) > MEM_NAME_MAX ? -ENAMETOOLONG : 0;
}

static void free_node(struct mem_layer *m, struct fk_layer_node *n)
{
	if (n->prev_all)
		n->prev_all->next_all = n->next_all;
	else
		m->all = n->next_all;
	if (n->next_all)
		n->next_all->prev_all = n->prev_all;
	if (n->data >= 0)
		close(n->data);
	for (size_t i = 0; i < n->nents; i++)
		free(n->ents[i].name);
	free(n->ents);
	free(n->target);
	while (n->xattrs) {
		struct mem_xattr *x = n->xattrs;
		n->xattrs = x->next;
		free(x->value);
		free(x);
	}
	free(n);
	m->nodes--;
}

static void maybe_free(struct mem_layer *m, struct fk_layer_node *n)
{
	if (n && !n->nlink && !n->refs)
		free_node(m, n);
}

/* A new node of type and mode owned by uid/gid, not yet named. */
static struct fk_layer_node *new_node(struct mem_layer *m, uint32_t mode,
				      uint32_t uid, uint32_t gid)
{
	struct fk_layer_node *n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	n->data = -1;
	if (S_ISREG(mode) && (n->data = fk_plat_anon_file()) < 0) {
		free(n);
		return NULL;
	}
	n->ino = m->next_ino++;
	n->mode = mode;
	n->uid = uid;
	n->gid = gid;
	n->atime = n->mtime = n->ctime = n->btime = now();
	n->next_all = m->all;
	if (m->all)
		m->all->prev_all = n;
	m->all = n;
	m->nodes++;
	return n;
}

static struct mem_entry *find(struct fk_layer_node *dir, const char *name)
{
	for (size_t i = 0; i < dir->nents; i++)
		if (!strcmp(dir->ents[i].name, name))
			return &dir->ents[i];
	return NULL;
}

/* Can entries be added to or looked up in dir? 0 or -errno. */
static int usable_dir(const struct fk_layer_node *dir)
{
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	return dir->nlink ? 0 : -ENOENT;
}

static void touch_dir(struct fk_layer_node *dir)
{
	dir->mtime = dir->ctime = now();
}

static int add_entry(struct fk_layer_node *dir, const char *name,
		     struct fk_layer_node *n)
{
	if (dir->nents == dir->cap) {
		size_t cap = dir->cap ? dir->cap * 2 : 8;
		struct mem_entry *e = realloc(dir->ents, cap * sizeof *e);
		if (!e)
			return -ENOMEM;
		dir->ents = e;
		dir->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	dir->ents[dir->nents++] = (struct mem_entry){ copy, n };
	if (S_ISDIR(n->mode)) {
		n->parent = dir;
		dir->nlink++;
	}
	touch_dir(dir);
	return 0;
}

/* Take entry e out of dir (the node keeps its nlink: the caller decides). */
static void drop_entry(struct fk_layer_node *dir, struct mem_entry *e)
{
	if (S_ISDIR(e->node->mode))
		dir->nlink--;
	free(e->name);
	size_t i = (size_t)(e - dir->ents);
	memmove(e, e + 1, (dir->nents - i - 1) * sizeof *e);
	dir->nents--;
	touch_dir(dir);
}

static void fill_stat(const struct mem_layer *m, const struct fk_layer_node *n,
		      struct fk_layer_stat *st)
{
	if (!st)
		return;
	memset(st, 0, sizeof *st);
	st->dev = m->dev;
	struct fk_attr *a = &st->attr;
	a->ino = n->ino;
	a->mode = n->mode;
	a->nlink = n->nlink;
	a->uid = n->uid;
	a->gid = n->gid;
	a->rdev = n->rdev;
	a->blksize = 4096;
	a->atime = n->atime;
	a->mtime = n->mtime;
	a->ctime = n->ctime;
	a->crtime = n->btime;
	if (S_ISLNK(n->mode))
		a->size = strlen(n->target);
	else if (S_ISDIR(n->mode))
		a->size = 4096;
	struct stat ds;
	if (n->data >= 0 && fstat(n->data, &ds) == 0) {
		a->size = (uint64_t)ds.st_size;
		a->blocks = (uint64_t)ds.st_blocks;
		struct timespec dctime;
		fk_plat_stat_times(&ds, &a->atime, &a->mtime, &dctime);
		/* A write changes the data's ctime, chmod the node's. */
		if (dctime.tv_sec > a->ctime.tv_sec ||
		    (dctime.tv_sec == a->ctime.tv_sec &&
		     dctime.tv_nsec > a->ctime.tv_nsec))
			a->ctime = dctime;
	}
}

/* Hand out a handle to n (or nothing when out is NULL). */
static void give(struct fk_layer_node *n, struct fk_layer_node **out)
{
	if (out) {
		n->refs++;
		*out = n;
	}
}

static void m_destroy(struct fk_layer *l)
{
	struct mem_layer *m = MEM(l);
	while (m->all)
		free_node(m, m->all);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static struct fk_layer_node *m_root(struct fk_layer *l)
{
	struct mem_layer *m = MEM(l);
	pthread_mutex_lock(&m->lock);
	m->root->refs++;
	pthread_mutex_unlock(&m->lock);
	return m->root;
}

static int m_work(struct fk_layer *l, struct fk_layer_node **out)
{
	struct mem_layer *m = MEM(l);
	pthread_mutex_lock(&m->lock);
	m->work->refs++;
	pthread_mutex_unlock(&m->lock);
	*out = m->work;
	return 0;
}

static void m_hold(struct fk_layer *l, struct fk_layer_node *n)
{
	struct mem_layer *m = MEM(l);
	pthread_mutex_lock(&m->lock);
	n->refs++;
	pthread_mutex_unlock(&m->lock);
}

static void m_put(struct fk_layer *l, struct fk_layer_node *n)
{
	struct mem_layer *m = MEM(l);
	if (!n)
		return;
	pthread_mutex_lock(&m->lock);
	assert(n->refs > 0);
	n->refs--;
	maybe_free(m, n);
	pthread_mutex_unlock(&m->lock);
}

static int m_lookup(struct fk_layer *l, struct fk_layer_node *parent,
		    const char *name, struct fk_layer_node **out,
		    struct fk_layer_stat *st)
{
	struct mem_layer *m = MEM(l);
	int rc = check_name(name);
	if (rc)
		return rc;
	pthread_mutex_lock(&m->lock);
	struct mem_entry *e = NULL;
	rc = usable_dir(parent);
	if (rc == 0 && !(e = find(parent, name)))
		rc = -ENOENT;
	if (rc == 0) {
		fill_stat(m, e->node, st);
		give(e->node, out);
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int m_getattr(struct fk_layer *l, struct fk_layer_node *n,
		     struct fk_layer_stat *st)
{
	struct mem_layer *m = MEM(l);
	pthread_mutex_lock(&m->lock);
	fill_stat(m, n, st);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

/* A setattr time: the value, now, or "leave it". */
static struct timespec set_time(uint32_t valid, uint32_t bit, uint32_t now_bit,
				struct timespec t)
{
	if (valid & now_bit)
		return (struct timespec){ 0, UTIME_NOW };
	if (valid & bit)
		return t;
	return (struct timespec){ 0, UTIME_OMIT };
}

static void apply_time(struct timespec *field, struct timespec t)
{
	if (t.tv_nsec == UTIME_NOW)
		*field = now();
	else if (t.tv_nsec != UTIME_OMIT)
		*field = t;
}

static int setattr_locked(struct mem_layer *m, struct fk_layer_node *n,
			  const struct fk_setattr_in *in)
{
	(void)m;
	if ((in->valid & FK_SET_MODE) && S_ISLNK(n->mode))
		return -EOPNOTSUPP;
	if (in->valid & FK_SET_SIZE) {
		if (S_ISDIR(n->mode))
			return -EISDIR;
		if (n->data < 0)
			return -EINVAL;
		if (ftruncate(n->data, (off_t)in->size) < 0)
			return -errno;
	}
	if (in->valid & FK_SET_MODE)
		n->mode = (n->mode & S_IFMT) | (in->mode & 07777);
	if (in->valid & FK_SET_UID)
		n->uid = in->uid;
	if (in->valid & FK_SET_GID)
		n->gid = in->gid;
	/* A chown or the caller's FK_SET_KILL_SUIDGID drops set-id bits,
	 * as the host's chown and an unprivileged truncate do. */
	if (S_ISREG(n->mode) && (in->valid & (FK_SET_UID | FK_SET_GID |
					       FK_SET_KILL_SUIDGID)))
		n->mode = fk_mode_kill_suidgid(n->mode, 1); /* fk_layer_kill_for */
	struct timespec ts[2] = {
		set_time(in->valid, FK_SET_ATIME, FK_SET_ATIME_NOW, in->atime),
		set_time(in->valid, FK_SET_MTIME, FK_SET_MTIME_NOW, in->mtime),
	};
	if (n->data >= 0) {
		if (futimens(n->data, ts) < 0)
			return -errno;
	} else {
		apply_time(&n->atime, ts[0]);
		apply_time(&n->mtime, ts[1]);
	}
	n->ctime = now();
	return 0;
}

static int m_setattr(struct fk_layer *l, struct fk_layer_node *n,
		     const struct fk_setattr_in *in, struct fk_layer_stat *st)
{
	struct mem_layer *m = MEM(l);
	pthread_mutex_lock(&m->lock);
	int rc = setattr_locked(m, n, in);
	if (rc == 0)
		fill_stat(m, n, st);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int m_readlink(struct fk_layer *l, struct fk_layer_node *n, char *buf,
		      size_t size)
{
	struct mem_layer *m = MEM(l);
	if (!S_ISLNK(n->mode))
		return -EINVAL; /* the type never changes: no lock needed */
	pthread_mutex_lock(&m->lock);
	size_t len = strlen(n->target);
	int rc = len >= size ? -ERANGE : (int)len;
	if (rc >= 0)
		memcpy(buf, n->target, len + 1);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/* A descriptor of regular file n's data opened with flags. */
static int open_data(struct fk_layer_node *n, int flags)
{
	if (S_ISDIR(n->mode))
		return -EISDIR;
	if (!S_ISREG(n->mode))
		return -EINVAL;
	return fk_plat_reopen_fd(n->data, flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW));
}

static int m_open(struct fk_layer *l, struct fk_layer_node *n, int flags)
{
	struct mem_layer *m = MEM(l);
	pthread_mutex_lock(&m->lock);
	int fd = open_data(n, flags);
	pthread_mutex_unlock(&m->lock);
	return fd;
}

/* Make a node of mode named name in parent, owned by cred: the node, or
 * NULL with *rc = -errno. Under the lock. */
static struct fk_layer_node *make_locked(struct mem_layer *m,
					 struct fk_layer_node *parent,
					 const char *name, uint32_t mode,
					 const struct fk_layer_cred *cred, int *rc)
{
	*rc = check_name(name);
	if (!*rc)
		*rc = usable_dir(parent);
	if (!*rc && find(parent, name))
		*rc = -EEXIST;
	if (*rc)
		return NULL;
	/* No default ACLs here: the umask always applies (a link's mode is
	 * not a permission). */
	if (!S_ISLNK(mode))
		mode &= ~(cred->umask & 0777);
	struct fk_layer_node *n = new_node(m, mode, cred->uid, cred->gid);
	if (!n) {
		*rc = -ENOMEM;
		return NULL;
	}
	n->nlink = S_ISDIR(mode) ? 2 : 1;
	*rc = add_entry(parent, name, n);
	if (*rc) {
		n->nlink = 0;
		maybe_free(m, n);
		return NULL;
	}
	return n;
}

/* The create-type ops: make name in parent under the lock. A regular
 * file is opened with flags (its descriptor is the answer); target is a
 * symlink's, taken over. */
static int make_op(struct fk_layer *l, struct fk_layer_node *parent,
		   const char *name, uint32_t mode, uint32_t rdev, char *target,
		   int flags, const struct fk_layer_cred *cred,
		   struct fk_layer_node **out, struct fk_layer_stat *st)
{
	struct mem_layer *m = MEM(l);
	int rc;
	pthread_mutex_lock(&m->lock);
	struct fk_layer_node *n = make_locked(m, parent, name, mode, cred, &rc);
	if (n && S_ISREG(mode) && (rc = open_data(n, flags & ~O_TRUNC)) < 0) {
		drop_entry(parent, find(parent, name));
		n->nlink = 0;
		maybe_free(m, n);
		n = NULL;
	}
	if (n) {
		if (S_ISCHR(mode) || S_ISBLK(mode))
			n->rdev = rdev;
		n->target = target;
		target = NULL;
		fill_stat(m, n, st);
		give(n, out);
	}
	pthread_mutex_unlock(&m->lock);
	free(target);
	return rc;
}

static int m_create(struct fk_layer *l, struct fk_layer_node *parent,
		    const char *name, int flags, uint32_t mode,
		    const struct fk_layer_cred *cred, struct fk_layer_node **out,
		    struct fk_layer_stat *st)
{
	return make_op(l, parent, name, S_IFREG | (mode & 07777), 0, NULL,
		       flags, cred, out, st);
}

static int m_mkdir(struct fk_layer *l, struct fk_layer_node *parent,
		   const char *name, uint32_t mode,
		   const struct fk_layer_cred *cred, struct fk_layer_node **out,
		   struct fk_layer_stat *st)
{
	return make_op(l, parent, name, S_IFDIR | (mode & 07777), 0, NULL, 0,
		       cred, out, st);
}

static int m_mknod(struct fk_layer *l, struct fk_layer_node *parent,
		   const char *name, uint32_t mode, uint32_t rdev,
		   const struct fk_layer_cred *cred, struct fk_layer_node **out,
		   struct fk_layer_stat *st)
{
	if (!S_ISCHR(mode) && !S_ISBLK(mode) && !S_ISFIFO(mode) && !S_ISSOCK(mode))
		return -EINVAL;
	return make_op(l, parent, name, mode, rdev, NULL, 0, cred, out, st);
}

static int m_symlink(struct fk_layer *l, struct fk_layer_node *parent,
		     const char *name, const char *target,
		     const struct fk_layer_cred *cred,
		     struct fk_layer_node **out, struct fk_layer_stat *st)
{
	if (!target[0])
		return -ENOENT; /* as symlink(2) */
	if (strlen(target) >= 4096)
		return -ENAMETOOLONG;
	char *copy = strdup(target);
	if (!copy)
		return -ENOMEM;
	return make_op(l, parent, name, S_IFLNK | 0777, 0, copy, 0, cred, out,
		       st);
}

static int m_link(struct fk_layer *l, struct fk_layer_node *n,
		  struct fk_layer_node *newparent, const char *newname,
		  struct fk_layer_stat *st)
{
	struct mem_layer *m = MEM(l);
	if (S_ISDIR(n->mode))
		return -EPERM;
	int rc = check_name(newname);
	if (rc)
		return rc;
	pthread_mutex_lock(&m->lock);
	rc = usable_dir(newparent);
	if (!rc && find(newparent, newname))
		rc = -EEXIST;
	if (!rc && !n->nlink)
		rc = -ENOENT; /* as linkat of an unlinked file */
	if (!rc)
		rc = add_entry(newparent, newname, n);
	if (!rc) {
		n->nlink++;
		n->ctime = now();
		fill_stat(m, n, st);
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int remove_locked(struct mem_layer *m, struct fk_layer_node *parent,
			 const char *name, int dir)
{
	int rc = check_name(name);
	if (!rc)
		rc = usable_dir(parent);
	struct mem_entry *e = rc ? NULL : find(parent, name);
	if (!rc && !e)
		rc = -ENOENT;
	if (rc)
		return rc;
	struct fk_layer_node *n = e->node;
	if (!dir && S_ISDIR(n->mode))
		return -EISDIR;
	if (dir && !S_ISDIR(n->mode))
		return -ENOTDIR;
	if (dir && n->nents)
		return -ENOTEMPTY;
	drop_entry(parent, e);
	n->nlink = dir ? 0 : n->nlink - 1;
	n->ctime = now();
	maybe_free(m, n);
	return 0;
}

static int remove_name(struct fk_layer *l, struct fk_layer_node *parent,
		       const char *name, int dir)
{
	struct mem_layer *m = MEM(l);
	pthread_mutex_lock(&m->lock);
	int rc = remove_locked(m, parent, name, dir);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int m_unlink(struct fk_layer *l, struct fk_layer_node *parent,
		    const char *name)
{
	return remove_name(l, parent, name, 0);
}

static int m_rmdir(struct fk_layer *l, struct fk_layer_node *parent,
		   const char *name)
{
	return remove_name(l, parent, name, 1);
}

/* Is dir n itself or below it? */
static int is_within(const struct fk_layer_node *dir,
		     const struct fk_layer_node *n)
{
	for (const struct fk_layer_node *d = dir;; d = d->parent) {
		if (d == n)
			return 1;
		if (!d->parent || d->parent == d)
			return 0;
	}
}

/* Move entry e of dir a to dir b: dirs' parent and link counts follow. */
static void move_dir_links(struct fk_layer_node *node, struct fk_layer_node *a,
			   struct fk_layer_node *b)
{
	if (!S_ISDIR(node->mode) || a == b)
		return;
	a->nlink--;
	b->nlink++;
	node->parent = b;
}

static int rename_locked(struct mem_layer *m, struct fk_layer_node *a,
			 const char *name, struct fk_layer_node *b,
			 const char *newname, unsigned flags)
{
	const unsigned known = FK_RENAME_NOREPLACE | FK_RENAME_EXCHANGE |
			       FK_RENAME_WHITEOUT;
	if ((flags & ~known) ||
	    ((flags & FK_RENAME_EXCHANGE) &&
	     (flags & (FK_RENAME_NOREPLACE | FK_RENAME_WHITEOUT))))
		return -EINVAL;
	int rc = check_name(name);
	if (!rc)
		rc = check_name(newname);
	if (!rc)
		rc = usable_dir(a);
	if (!rc)
		rc = usable_dir(b);
	if (rc)
		return rc;
	struct mem_entry *se = find(a, name);
	if (!se)
		return -ENOENT;
	struct fk_layer_node *src = se->node;
	struct mem_entry *de = find(b, newname);
	struct fk_layer_node *dst = de ? de->node : NULL;
	if (S_ISDIR(src->mode) && is_within(b, src))
		return -EINVAL;
	if (flags & FK_RENAME_EXCHANGE) {
		if (!dst)
			return -ENOENT;
		if (S_ISDIR(dst->mode) && is_within(a, dst))
			return -EINVAL;
		se->node = dst;
		de->node = src;
		move_dir_links(src, a, b);
		move_dir_links(dst, b, a);
		src->ctime = dst->ctime = now();
		touch_dir(a);
		touch_dir(b);
		return 0;
	}
	if (dst && (flags & FK_RENAME_NOREPLACE))
		return -EEXIST;
	if (dst == src)
		return 0; /* two names of one inode: nothing happens */
	if (dst && S_ISDIR(src->mode) && !S_ISDIR(dst->mode))
		return -ENOTDIR;
	if (dst && !S_ISDIR(src->mode) && S_ISDIR(dst->mode))
		return -EISDIR;
	if (dst && S_ISDIR(dst->mode) && dst->nents)
		return -ENOTEMPTY;
	/* Everything that can fail before anything changes. */
	char *newcopy = strdup(newname);
	struct fk_layer_node *whiteout = NULL;
	if (newcopy && (flags & FK_RENAME_WHITEOUT))
		whiteout = new_node(m, S_IFCHR, (uint32_t)geteuid(),
				    (uint32_t)getegid());
	struct mem_entry *room = NULL;
	if (newcopy && a != b && b->nents == b->cap) {
		room = realloc(b->ents, (b->cap * 2 + 8) * sizeof *room);
		if (room) {
			b->ents = room;
			b->cap = b->cap * 2 + 8;
		}
	}
	if (!newcopy || ((flags & FK_RENAME_WHITEOUT) && !whiteout) ||
	    (a != b && b->nents == b->cap)) {
		free(newcopy);
		if (whiteout)
			maybe_free(m, whiteout);
		return -ENOMEM;
	}
	if (dst) {
		rc = remove_locked(m, b, newname, S_ISDIR(dst->mode));
		assert(rc == 0); /* every reason it could fail was checked */
	}
	se = find(a, name); /* the array may have moved */
	if (a == b) {
		free(se->name);
		se->name = newcopy;
		touch_dir(a);
	} else {
		/* A directory's parent and link counts follow the entry. */
		drop_entry(a, se);
		b->ents[b->nents++] = (struct mem_entry){ newcopy, src };
		if (S_ISDIR(src->mode)) {
			src->parent = b;
			b->nlink++;
		}
		touch_dir(b);
	}
	src->ctime = now();
	if (whiteout) {
		whiteout->nlink = 1;
		rc = add_entry(a, name, whiteout);
		if (rc) {
			whiteout->nlink = 0;
			maybe_free(m, whiteout);
			return rc;
		}
	}
	return 0;
}

static int m_rename(struct fk_layer *l, struct fk_layer_node *parent,
		    const char *name, struct fk_layer_node *newparent,
		    const char *newname, unsigned flags)
{
	struct mem_layer *m = MEM(l);
	pthread_mutex_lock(&m->lock);
	int rc = rename_locked(m, parent, name, newparent, newname, flags);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int m_opendir(struct fk_layer *l, struct fk_layer_node *n,
		     struct fk_layer_dir **out)
{
	struct mem_layer *m = MEM(l);
	struct fk_layer_dir *d = calloc(1, sizeof *d);
	if (!d)
		return -ENOMEM;
	pthread_mutex_lock(&m->lock);
	int rc = usable_dir(n);
	if (rc == 0 && n->nents &&
	    !(d->ents = calloc(n->nents, sizeof *d->ents)))
		rc = -ENOMEM;
	/* A snapshot: entries made or removed later are not seen, which
	 * readdir(3) allows. */
	for (size_t i = 0; rc == 0 && i < n->nents; i++) {
		struct fk_layer_dirent *e = &d->ents[d->n++];
		e->ino = n->ents[i].node->ino;
		e->type = n->ents[i].node->mode & S_IFMT;
		memcpy(e->name, n->ents[i].name, strlen(n->ents[i].name) + 1);
	}
	pthread_mutex_unlock(&m->lock);
	if (rc) {
		free(d->ents);
		free(d);
		return rc;
	}
	*out = d;
	return 0;
}

static int m_readdir(struct fk_layer *l, struct fk_layer_dir *d,
		     struct fk_layer_dirent *e)
{
	(void)l;
	if (d->at == d->n)
		return 0;
	*e = d->ents[d->at++];
	return 1;
}

static void m_closedir(struct fk_layer *l, struct fk_layer_dir *d)
{
	(void)l;
	free(d->ents);
	free(d);
}

static struct mem_xattr **find_xattr(struct fk_layer_node *n, const char *name)
{
	struct mem_xattr **pp = &n->xattrs;
	while (*pp && strcmp((*pp)->name, name))
		pp = &(*pp)->next;
	return pp;
}

/* The namespaces Linux knows; the host answers EOPNOTSUPP for others. */
static int check_xattr_name(const char *name)
{
	static const char *const ns[] = { "user.", "trusted.", "security.",
					  "system." };
	size_t len = strlen(name);
	if (!len || len > 255)
		return -ERANGE;
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
		if (!strncmp(name, ns[i], strlen(ns[i])) && len > strlen(ns[i]))
			return 0;
	return -EOPNOTSUPP;
}

static int m_getxattr(struct fk_layer *l, struct fk_layer_node *n,
		      const char *name, void *buf, size_t size)
{
	struct mem_layer *m = MEM(l);
	int rc = check_xattr_name(name);
	if (rc)
		return rc;
	pthread_mutex_lock(&m->lock);
	struct mem_xattr *x = *find_xattr(n, name);
	if (!x)
		rc = -ENODATA;
	else if (size && size < x->size)
		rc = -ERANGE;
	else
		rc = (int)x->size;
	if (rc > 0 && size)
		memcpy(buf, x->value, x->size);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int m_listxattr(struct fk_layer *l, struct fk_layer_node *n, char *buf,
		       size_t size)
{
	struct mem_layer *m = MEM(l);
	pthread_mutex_lock(&m->lock);
	size_t total = 0;
	for (struct mem_xattr *x = n->xattrs; x; x = x->next)
		total += strlen(x->name) + 1;
	int rc = size && size < total ? -ERANGE : (int)total;
	if (rc > 0 && size) {
		char *p = buf;
		for (struct mem_xattr *x = n->xattrs; x; x = x->next) {
			size_t len = strlen(x->name) + 1;
			memcpy(p, x->name, len);
			p += len;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int m_setxattr(struct fk_layer *l, struct fk_layer_node *n,
		      const char *name, const void *value, size_t size,
		      int flags)
{
	struct mem_layer *m = MEM(l);
	int rc = check_xattr_name(name);
	if (rc)
		return rc;
	if (size > MEM_XATTR_MAX)
		return -E2BIG;
	char *copy = malloc(size ? size : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, value, size);
	pthread_mutex_lock(&m->lock);
	struct mem_xattr **pp = find_xattr(n, name);
	if (*pp && (flags & XATTR_CREATE))
		rc = -EEXIST;
	else if (!*pp && (flags & XATTR_REPLACE))
		rc = -ENODATA;
	else if (!*pp && !(*pp = calloc(1, sizeof **pp + strlen(name) + 1)))
		rc = -ENOMEM;
	if (rc == 0) {
		struct mem_xattr *x = *pp;
		if (!x->name[0])
			memcpy(x->name, name, strlen(name) + 1);
		free(x->value);
		x->value = copy;
		x->size = size;
		copy = NULL;
		n->ctime = now();
	}
	pthread_mutex_unlock(&m->lock);
	free(copy);
	return rc;
}

static int m_removexattr(struct fk_layer *l, struct fk_layer_node *n,
			 const char *name)
{
	struct mem_layer *m = MEM(l);
	int rc = check_xattr_name(name);
	if (rc)
		return rc;
	pthread_mutex_lock(&m->lock);
	struct mem_xattr **pp = find_xattr(n, name);
	struct mem_xattr *x = *pp;
	if (x) {
		*pp = x->next;
		free(x->value);
		free(x);
		n->ctime = now();
	} else {
		rc = -ENODATA;
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int m_statfs(struct fk_layer *l, struct fk_statfs *st)
{
	struct mem_layer *m = MEM(l);
	pthread_mutex_lock(&m->lock);
	uint64_t nodes = m->nodes;
	pthread_mutex_unlock(&m->lock);
	/* Memory has no fixed size: report a large, mostly free disk. */
	const uint64_t blocks = 1u << 24, files = 1u << 24;
	*st = (struct fk_statfs){ blocks, blocks, blocks, files,
				  files > nodes ? files - nodes : 0, 4096,
				  MEM_NAME_MAX, 4096 };
	return 0;
}

static int m_sync(struct fk_layer *l)
{
	(void)l;
	return 0; /* nothing is stable storage */
}

static const struct fk_layer_ops mem_ops = {
	.destroy = m_destroy,
	.root = m_root,
	.hold = m_hold,
	.put = m_put,
	.lookup = m_lookup,
	.getattr = m_getattr,
	.setattr = m_setattr,
	.readlink = m_readlink,
	.open = m_open,
	.create = m_create,
	.mkdir = m_mkdir,
	.mknod = m_mknod,
	.symlink = m_symlink,
	.link = m_link,
	.unlink = m_unlink,
	.rmdir = m_rmdir,
	.rename = m_rename,
	.opendir = m_opendir,
	.readdir = m_readdir,
	.closedir = m_closedir,
	.getxattr = m_getxattr,
	.listxattr = m_listxattr,
	.setxattr = m_setxattr,
	.removexattr = m_removexattr,
	.statfs = m_statfs,
	.sync = m_sync,
	.work = m_work,
	/* host_path, clone_file: none (no host path, nothing to share) */
};

int fk_mem_layer_new(struct fk_layer **out)
{
	static atomic_uint next_dev;
	struct mem_layer *m = calloc(1, sizeof *m);
	if (!m)
		return -ENOMEM;
	int rc = -pthread_mutex_init(&m->lock, NULL);
	if (rc) {
		free(m);
		return rc;
	}
	fk_layer_init(&m->layer, &mem_ops);
	/* A made-up device number, different for every memory layer. */
	m->dev = 0xfe0000000ULL + atomic_fetch_add(&next_dev, 1);
	m->next_ino = 1;
	/* The root and the work directory: the layer's own references keep
	 * them for its life; each is its own parent. */
	struct fk_layer_node **tops[] = { &m->root, &m->work };
	for (size_t i = 0; i < sizeof tops / sizeof *tops; i++) {
		struct fk_layer_node *n = new_node(m, S_IFDIR | 0755,
						   (uint32_t)geteuid(),
						   (uint32_t)getegid());
		if (!n) {
			m_destroy(&m->layer);
			return -ENOMEM;
		}
		n->nlink = 2;
		n->refs = 1;
		n->parent = n;
		*tops[i] = n;
	}
	*out = &m->layer;
	return 0;
}
