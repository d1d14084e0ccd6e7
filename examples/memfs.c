/*
 * memfs.c — an in-memory filesystem on libfusekit, in one file.
 *
 * It is the full example of serving FUSE requests: every request gets
 * exactly one reply, node ids are counted from LOOKUP to FORGET, open
 * files and directories keep their state in fh. Files, directories,
 * symlinks, hard links, device nodes, fifos, xattrs, rename (with
 * NOREPLACE and EXCHANGE), truncate, readdirplus. Everything lives in
 * memory and vanishes at unmount; --seed DIR copies a directory tree in
 * at start.
 *
 *     fk-memfs [-o OPTIONS] [-s] [--seed DIR] MOUNTPOINT
 *
 * The storage is the library's in-memory layer (fk_mem_layer_new in
 * <fusekit/fk_layer.h>: nodes, names, contents in anonymous memory
 * files, xattrs, rename). This file is the FUSE half, which a filesystem
 * over storage of your own is written the same way:
 *
 *  - Node ids are the layer's inode numbers (the root's is FK_ROOT_INO).
 *    For each node the kernel knows, the map below holds a layer handle
 *    and the count of the kernel's lookups; FORGET lets go of it.
 *  - The kernel checks permissions (default_permissions): memfs stores
 *    owners and modes and never compares them.
 *  - One mutex guards the map; the layer has its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fusekit/fk_layer.h>
#include <fusekit/fusekit.h>

#define MEMFS_TIMEOUT_NS 1000000000ull /* the kernel may cache for 1 s */
#ifndef O_DIRECT
#define O_DIRECT 0 /* macOS: F_NOCACHE instead, never in open's flags */
#endif
#ifndef O_NOATIME
#define O_NOATIME 0 /* macOS */
#endif

/* A node the kernel knows. */
struct mnode {
	uint64_t ino; /* the layer's inode number: the node id */
	struct fk_layer_node *h; /* a layer handle, for as long as it is known */
	uint64_t lookups; /* the kernel's references */
	uint64_t parent; /* a directory's: where it was last found (for "..") */
	struct mnode *next; /* in its map bucket */
};

struct listing;

struct memfs {
	struct fk_layer *l;
	pthread_mutex_t lock; /* the map and the open listings */
	struct mnode **map;
	size_t nmap, count;
	/* Directories open now. The kernel does not promise a RELEASEDIR
	 * for each: one still queued when the filesystem is unmounted is
	 * dropped. So memfs_free frees what is left here. */
	struct listing *open_dirs;
	int async; /* --async: getattr answered from another thread */
	atomic_int answering; /* such threads not done yet */
	atomic_ullong answered_later; /* and done, for --async's report */
};

#define FS(req) ((struct memfs *)fk_req_fs(req))

/* ---- The node map: id -> layer handle ---------------------------------- */

/* Under the lock: where node ino is, or would go, in the map. */
static struct mnode **map_slot(struct memfs *fs, uint64_t ino)
{
	struct mnode **pp = &fs->map[(ino * 0x9e3779b97f4a7c15ull) % fs->nmap];
	while (*pp && (*pp)->ino != ino)
		pp = &(*pp)->next;
	return pp;
}

/* Under the lock: twice the buckets once there are as many nodes as
 * buckets (failing, the chains just grow longer). */
static void map_grow(struct memfs *fs)
{
	if (fs->count < fs->nmap)
		return;
	size_t old_n = fs->nmap;
	struct mnode **old = fs->map, **bigger = calloc(old_n * 2, sizeof *bigger);
	if (!bigger)
		return;
	fs->map = bigger;
	fs->nmap = old_n * 2;
	for (size_t i = 0; i < old_n; i++) {
		while (old[i]) {
			struct mnode *m = old[i];
			old[i] = m->next;
			struct mnode **pp = map_slot(fs, m->ino);
			m->next = NULL;
			*pp = m;
		}
	}
	free(old);
}

/* The layer handle of node ino with a reference of the caller's (give it
 * back with fk_layer_put), or NULL if the kernel does not know it. */
static struct fk_layer_node *node_get(struct memfs *fs, uint64_t ino)
{
	pthread_mutex_lock(&fs->lock);
	struct mnode *m = *map_slot(fs, ino);
	struct fk_layer_node *h = m ? m->h : NULL;
	if (h)
		fs->l->ops->hold(fs->l, h);
	pthread_mutex_unlock(&fs->lock);
	return h;
}

/* The kernel takes one more reference to the layer node h, inode ino,
 * found in directory parent. The map takes over the caller's handle.
 * 0 or -ENOMEM. */
static int node_enter(struct memfs *fs, struct fk_layer_node *h, uint64_t ino,
		      uint64_t parent)
{
	pthread_mutex_lock(&fs->lock);
	struct mnode **pp = map_slot(fs, ino);
	struct mnode *m = *pp;
	if (m) {
		m->lookups++;
		m->parent = parent;
	} else if ((m = calloc(1, sizeof *m))) {
		*m = (struct mnode){ ino, h, 1, parent, NULL };
		*pp = m;
		fs->count++;
		map_grow(fs);
		h = NULL; /* the map's now */
	}
	pthread_mutex_unlock(&fs->lock);
	fk_layer_put(fs->l, h); /* the map had one already (NULL is fine) */
	return m ? 0 : -ENOMEM;
}

static void memfs_forget(void *fsp, uint64_t ino, uint64_t nlookup)
{
	struct memfs *fs = fsp;
	pthread_mutex_lock(&fs->lock);
	struct mnode **pp = map_slot(fs, ino);
	struct mnode *m = *pp;
	if (m) {
		m->lookups = nlookup > m->lookups ? 0 : m->lookups - nlookup;
		if (m->lookups == 0 && ino != FK_ROOT_INO) {
			*pp = m->next;
			fs->count--;
		} else {
			m = NULL;
		}
	}
	pthread_mutex_unlock(&fs->lock);
	if (m) {
		fk_layer_put(fs->l, m->h);
		free(m);
	}
}

/* Where directory ino was last found (itself for the root). */
static uint64_t node_parent(struct memfs *fs, uint64_t ino)
{
	pthread_mutex_lock(&fs->lock);
	struct mnode *m = *map_slot(fs, ino);
	uint64_t parent = m && m->parent ? m->parent : ino;
	pthread_mutex_unlock(&fs->lock);
	return parent;
}

/* ---- Replies ------------------------------------------------------------ */

static void fill_entry(const struct fk_layer_stat *st, struct fk_entry *e)
{
	memset(e, 0, sizeof *e);
	e->ino = st->attr.ino;
	e->attr = st->attr;
	e->entry_valid_ns = MEMFS_TIMEOUT_NS;
	e->attr_valid_ns = MEMFS_TIMEOUT_NS;
}

/* Answer a lookup or a new object: rc, or the entry of layer node h (the
 * caller's handle, which the map takes) with st, found in parent. */
static void reply_node(fk_req *req, int rc, uint64_t parent,
		       struct fk_layer_node *h, const struct fk_layer_stat *st)
{
	struct memfs *fs = FS(req);
	if (rc == 0)
		rc = node_enter(fs, h, st->attr.ino, parent);
	if (rc) {
		(void)fk_reply_err(req, -rc);
		return;
	}
	struct fk_entry e;
	fill_entry(st, &e);
	if (fk_reply_entry(req, &e) == -ENOENT)
		memfs_forget(fs, e.ino, 1); /* interrupted: the kernel did not take it */
}

/* ---- Nodes and names ---------------------------------------------------- */

static void memfs_lookup(fk_req *req, const struct fk_name_in *in)
{
	struct memfs *fs = FS(req);
	struct fk_layer_node *dir = node_get(fs, in->parent), *h = NULL;
	struct fk_layer_stat st;
	int rc = dir ? fs->l->ops->lookup(fs->l, dir, in->name, &h, &st) : -ENOENT;
	fk_layer_put(fs->l, dir);
	reply_node(req, rc, in->parent, h, &st);
}

/* An answer given later, from another thread: what a filesystem that
 * waits on a disk or a network does. The request stays valid until it is
 * answered, whichever thread answers it. */
struct later {
	struct memfs *fs;
	fk_req *req;
	int err;
	struct fk_attr attr;
};

static void *answer_later(void *arg)
{
	struct later *l = arg;
	struct memfs *fs = l->fs;
	if (l->err)
		(void)fk_reply_err(l->req, l->err);
	else
		(void)fk_reply_attr(l->req, &l->attr, MEMFS_TIMEOUT_NS);
	free(l);
	atomic_fetch_add(&fs->answered_later, 1);
	atomic_fetch_sub(&fs->answering, 1);
	return NULL;
}

static void memfs_getattr(fk_req *req, const struct fk_getattr_in *in)
{
	struct memfs *fs = FS(req);
	struct fk_layer_node *h = node_get(fs, in->ino);
	struct fk_layer_stat st;
	int rc = h ? fs->l->ops->getattr(fs->l, h, &st) : -ENOENT;
	fk_layer_put(fs->l, h);
	struct later *l = fs->async ? malloc(sizeof *l) : NULL;
	if (l) {
		*l = (struct later){ fs, req, -rc, st.attr };
		pthread_t t;
		atomic_fetch_add(&fs->answering, 1);
		if (pthread_create(&t, NULL, answer_later, l) == 0) {
			(void)pthread_detach(t); /* it ends once it answered */
			return;
		}
		atomic_fetch_sub(&fs->answering, 1);
		free(l); /* no thread: answered here */
	}
	if (rc)
		(void)fk_reply_err(req, -rc);
	else
		(void)fk_reply_attr(req, &st.attr, MEMFS_TIMEOUT_NS);
}

static void memfs_setattr(fk_req *req, const struct fk_setattr_in *in)
{
	struct memfs *fs = FS(req);
	struct fk_layer_node *h = node_get(fs, in->ino);
	struct fk_layer_stat st;
	int rc = h ? fs->l->ops->setattr(fs->l, h, in, &st) : -ENOENT;
	fk_layer_put(fs->l, h);
	if (rc)
		(void)fk_reply_err(req, -rc);
	else
		(void)fk_reply_attr(req, &st.attr, MEMFS_TIMEOUT_NS);
}

static void memfs_readlink(fk_req *req, const struct fk_ino_in *in)
{
	struct memfs *fs = FS(req);
	struct fk_layer_node *h = node_get(fs, in->ino);
	char target[PATH_MAX + 1];
	int rc = h ? fs->l->ops->readlink(fs->l, h, target, sizeof target) : -ENOENT;
	fk_layer_put(fs->l, h);
	if (rc < 0)
		(void)fk_reply_err(req, -rc);
	else
		(void)fk_reply_readlink(req, target);
}

/* Who owns a new object in directory dir, and its mode: the caller, and
 * the group of a set-group-ID directory, which a subdirectory inherits
 * too (as on ext4). 0 or -errno. */
static int new_owner(struct memfs *fs, fk_req *req, struct fk_layer_node *dir,
		     uint32_t *mode, struct fk_layer_cred *cred)
{
	const struct fk_ctx *ctx = fk_req_ctx(req);
	struct fk_layer_stat st;
	int rc = fs->l->ops->getattr(fs->l, dir, &st);
	if (rc)
		return rc;
	*cred = (struct fk_layer_cred){ .uid = ctx->uid, .gid = ctx->gid };
	if (st.attr.mode & S_ISGID) {
		cred->gid = st.attr.gid;
		if (S_ISDIR(*mode))
			*mode |= S_ISGID;
	}
	return 0;
}

/* What the new-object operations do: make the object kind (S_IFMT
 * bits) named name in parent, as the caller. */
static void make_node(fk_req *req, uint64_t parent, const char *name,
		      uint32_t mode, uint32_t rdev, const char *target)
{
	struct memfs *fs = FS(req);
	struct fk_layer *l = fs->l;
	struct fk_layer_node *dir = node_get(fs, parent), *h = NULL;
	struct fk_layer_cred cred;
	struct fk_layer_stat st;
	int rc = dir ? new_owner(fs, req, dir, &mode, &cred) : -ENOENT;
	if (rc == 0) {
		if (S_ISDIR(mode))
			rc = l->ops->mkdir(l, dir, name, mode & 07777, &cred, &h, &st);
		else if (S_ISLNK(mode))
			rc = l->ops->symlink(l, dir, name, target, &cred, &h, &st);
		else
			rc = l->ops->mknod(l, dir, name, mode, rdev, &cred, &h, &st);
	}
	fk_layer_put(l, dir);
	reply_node(req, rc, parent, h, &st);
}

static void memfs_mknod(fk_req *req, const struct fk_mknod_in *in)
{
	uint32_t mode = (in->mode & S_IFMT) | (in->mode & 07777 & ~in->umask);
	if ((mode & S_IFMT) == 0)
		mode |= S_IFREG; /* mknod(2)'s type 0 */
	if (S_ISREG(mode)) {
		/* The layer makes regular files with create: one, closed. */
		struct memfs *fs = FS(req);
		struct fk_layer_node *dir = node_get(fs, in->parent), *h = NULL;
		struct fk_layer_cred cred;
		struct fk_layer_stat st;
		int rc = dir ? new_owner(fs, req, dir, &mode, &cred) : -ENOENT;
		int fd = rc ? rc
			    : fs->l->ops->create(fs->l, dir, in->name, O_RDONLY,
						 mode & 07777, &cred, &h, &st);
		if (fd >= 0)
			close(fd);
		fk_layer_put(fs->l, dir);
		reply_node(req, fd < 0 ? fd : 0, in->parent, h, &st);
		return;
	}
	make_node(req, in->parent, in->name, mode, in->rdev, NULL);
}

static void memfs_mkdir(fk_req *req, const struct fk_mkdir_in *in)
{
	make_node(req, in->parent, in->name,
		  S_IFDIR | (in->mode & 07777 & ~in->umask), 0, NULL);
}

static void memfs_symlink(fk_req *req, const struct fk_symlink_in *in)
{
	if (strlen(in->target) >= PATH_MAX) {
		(void)fk_reply_err(req, ENAMETOOLONG);
		return;
	}
	make_node(req, in->parent, in->name, S_IFLNK | 0777, 0, in->target);
}

static void memfs_link(fk_req *req, const struct fk_link_in *in)
{
	struct memfs *fs = FS(req);
	struct fk_layer_node *h = node_get(fs, in->ino);
	struct fk_layer_node *dir = node_get(fs, in->newparent);
	struct fk_layer_stat st;
	int rc = h && dir ? fs->l->ops->link(fs->l, h, dir, in->newname, &st)
			  : -ENOENT;
	fk_layer_put(fs->l, dir);
	if (rc)
		fk_layer_put(fs->l, h);
	reply_node(req, rc, in->newparent, h, &st); /* the map takes h */
}

static void remove_name(fk_req *req, const struct fk_name_in *in, int dir_too)
{
	struct memfs *fs = FS(req);
	struct fk_layer_node *dir = node_get(fs, in->parent);
	int rc = !dir	  ? -ENOENT
		 : dir_too ? fs->l->ops->rmdir(fs->l, dir, in->name)
			   : fs->l->ops->unlink(fs->l, dir, in->name);
	fk_layer_put(fs->l, dir);
	(void)fk_reply_err(req, -rc);
}

static void memfs_unlink(fk_req *req, const struct fk_name_in *in)
{
	remove_name(req, in, 0);
}

static void memfs_rmdir(fk_req *req, const struct fk_name_in *in)
{
	remove_name(req, in, 1);
}

static void memfs_rename(fk_req *req, const struct fk_rename_in *in)
{
	struct memfs *fs = FS(req);
	struct fk_layer_node *a = node_get(fs, in->parent);
	struct fk_layer_node *b = node_get(fs, in->newparent);
	int rc = !a || !b ? -ENOENT
		 : in->flags & FK_RENAME_WHITEOUT
			 ? -EINVAL /* whiteouts are for overlays */
			 : fs->l->ops->rename(fs->l, a, in->name, b, in->newname,
					      in->flags);
	fk_layer_put(fs->l, a);
	fk_layer_put(fs->l, b);
	(void)fk_reply_err(req, -rc);
}

static void memfs_statfs(fk_req *req, const struct fk_ino_in *in)
{
	struct fk_statfs st;
	int rc = FS(req)->l->ops->statfs(FS(req)->l, &st);
	(void)in;
	if (rc)
		(void)fk_reply_err(req, -rc);
	else
		(void)fk_reply_statfs(req, &st);
}

/* ---- Open files: fh is the layer's descriptor --------------------------- */

/* The open(2) flags the layer's descriptor gets: not those of creating,
 * nor those a memory file refuses (the kernel does direct I/O itself). */
static int layer_flags(uint32_t flags)
{
	return (int)flags & ~(O_CREAT | O_EXCL | O_DIRECT | O_NOATIME);
}

static void memfs_open(fk_req *req, const struct fk_open_in *in)
{
	struct memfs *fs = FS(req);
	struct fk_layer_node *h = node_get(fs, in->ino);
	int fd = h ? fs->l->ops->open(fs->l, h, layer_flags(in->flags)) : -ENOENT;
	fk_layer_put(fs->l, h);
	if (fd < 0) {
		(void)fk_reply_err(req, -fd);
		return;
	}
	struct fk_open_out o = { (uint64_t)fd, 0, 0 };
	if (fk_reply_open(req, &o) == -ENOENT)
		close(fd); /* interrupted: no release will come */
}

static void memfs_create(fk_req *req, const struct fk_create_in *in)
{
	struct memfs *fs = FS(req);
	struct fk_layer_node *dir = node_get(fs, in->parent), *h = NULL;
	uint32_t mode = S_IFREG | (in->mode & 07777 & ~in->umask);
	struct fk_layer_cred cred;
	struct fk_layer_stat st;
	int fd = dir ? new_owner(fs, req, dir, &mode, &cred) : -ENOENT;
	if (fd == 0)
		fd = fs->l->ops->create(fs->l, dir, in->name,
					layer_flags(in->flags), mode & 07777,
					&cred, &h, &st);
	if (fd == -EEXIST && !(in->flags & O_EXCL)) {
		/* Made by another client since the kernel looked: open it. */
		fd = fs->l->ops->lookup(fs->l, dir, in->name, &h, &st);
		if (fd == 0 && (fd = fs->l->ops->open(fs->l, h,
						      layer_flags(in->flags))) < 0)
			fk_layer_put(fs->l, h);
	}
	fk_layer_put(fs->l, dir);
	int rc = fd < 0 ? fd : node_enter(fs, h, st.attr.ino, in->parent);
	if (rc) {
		if (fd >= 0)
			close(fd);
		(void)fk_reply_err(req, -rc);
		return;
	}
	struct fk_entry e;
	fill_entry(&st, &e);
	struct fk_open_out o = { (uint64_t)fd, 0, 0 };
	if (fk_reply_create(req, &e, &o) == -ENOENT) {
		close(fd);
		memfs_forget(fs, e.ino, 1);
	}
}

static void memfs_release(fk_req *req, const struct fk_release_in *in)
{
	close((int)in->fh); /* a memory file: nothing can fail here */
	(void)fk_reply_err(req, 0);
}

static void memfs_read(fk_req *req, const struct fk_read_in *in)
{
	/* Straight into the reply where the transport has room for it
	 * (io_uring), else into a buffer of our own. */
	char *space = fk_reply_space(req, in->size);
	char *buf = space ? space : malloc(in->size ? in->size : 1);
	ssize_t n = buf ? pread((int)in->fh, buf, in->size, (off_t)in->offset) : -1;
	if (n < 0)
		(void)fk_reply_err(req, buf ? errno : ENOMEM);
	else
		(void)fk_reply_buf(req, buf, (size_t)n);
	if (!space)
		free(buf);
}

static void memfs_write(fk_req *req, const struct fk_write_in *in)
{
	ssize_t n = pwrite((int)in->fh, in->data, in->size, (off_t)in->offset);
	if (n < 0)
		(void)fk_reply_err(req, errno);
	else
		(void)fk_reply_write(req, (uint32_t)n);
}

static void memfs_fsync(fk_req *req, const struct fk_fsync_in *in)
{
	(void)in;
	(void)fk_reply_err(req, 0); /* memory is as durable as it gets */
}

/* ---- Directories: a listing taken at opendir, offsets into it ----------- */

struct listing {
	struct listing *prev, *next; /* in fs->open_dirs, once opened */
	size_t n;
	struct fk_layer_dirent e[]; /* "." and ".." first */
};

static void listing_open(struct memfs *fs, struct listing *ls)
{
	pthread_mutex_lock(&fs->lock);
	ls->prev = NULL;
	ls->next = fs->open_dirs;
	if (ls->next)
		ls->next->prev = ls;
	fs->open_dirs = ls;
	pthread_mutex_unlock(&fs->lock);
}

static void listing_close(struct memfs *fs, struct listing *ls)
{
	pthread_mutex_lock(&fs->lock);
	if (ls->prev)
		ls->prev->next = ls->next;
	else
		fs->open_dirs = ls->next;
	if (ls->next)
		ls->next->prev = ls->prev;
	pthread_mutex_unlock(&fs->lock);
	free(ls);
}

static void memfs_opendir(fk_req *req, const struct fk_open_in *in)
{
	struct memfs *fs = FS(req);
	struct fk_layer *l = fs->l;
	struct fk_layer_node *h = node_get(fs, in->ino);
	struct fk_layer_dir *d = NULL;
	int rc = h ? l->ops->opendir(l, h, &d) : -ENOENT;
	fk_layer_put(l, h);
	size_t cap = 16;
	struct listing *ls = rc ? NULL : malloc(sizeof *ls + cap * sizeof ls->e[0]);
	if (!rc && !ls)
		rc = -ENOMEM;
	if (ls) {
		ls->n = 2;
		ls->e[0] = (struct fk_layer_dirent){ in->ino, S_IFDIR, "." };
		ls->e[1] = (struct fk_layer_dirent){ node_parent(fs, in->ino), S_IFDIR, ".." };
	}
	while (rc == 0) {
		if (ls->n == cap) {
			struct listing *bigger = realloc(ls, sizeof *ls + 2 * cap * sizeof ls->e[0]);
			if (!bigger) {
				rc = -ENOMEM;
				break;
			}
			ls = bigger;
			cap *= 2;
		}
		rc = l->ops->readdir(l, d, &ls->e[ls->n]);
		if (rc == 1) {
			ls->n++;
			rc = 0;
		} else if (rc == 0) {
			break; /* the end */
		}
	}
	if (d)
		l->ops->closedir(l, d);
	if (rc) {
		free(ls);
		(void)fk_reply_err(req, -rc);
		return;
	}
	listing_open(fs, ls);
	struct fk_open_out o = { (uint64_t)(uintptr_t)ls, 0, 0 };
	if (fk_reply_open(req, &o) == -ENOENT)
		listing_close(fs, ls); /* the opener was interrupted */
}

/* Entries from offset on (an entry's offset is its index + 1). */
static void read_dir(fk_req *req, const struct fk_read_in *in, int plus)
{
	struct memfs *fs = FS(req);
	const struct listing *ls = (const struct listing *)(uintptr_t)in->fh;
	struct fk_layer_node *dir = plus ? node_get(fs, in->ino) : NULL;
	for (uint64_t i = in->offset; i < ls->n; i++) {
		const struct fk_layer_dirent *de = &ls->e[i];
		if (!plus) {
			if (fk_dirbuf_add(req, de->name, de->ino, de->type, i + 1))
				break;
			continue;
		}
		/* "." and "..", and names gone since opendir: no entry, which
		 * the kernel does not count as a lookup. */
		struct fk_layer_node *h = NULL;
		struct fk_layer_stat st;
		struct fk_entry e;
		if (i < 2 || !dir || fs->l->ops->lookup(fs->l, dir, de->name, &h, &st)) {
			memset(&e, 0, sizeof e);
			e.attr.ino = de->ino;
			e.attr.mode = de->type;
		} else {
			fill_entry(&st, &e);
		}
		if (fk_dirbuf_add_plus(req, de->name, &e, i + 1)) {
			fk_layer_put(fs->l, h);
			break;
		}
		if (h && node_enter(fs, h, st.attr.ino, in->ino))
			/* The kernel holds an id the map lost: rare enough to
			 * tell. */
			fprintf(stderr, "fk-memfs: out of memory for node %llu\n",
				(unsigned long long)st.attr.ino);
	}
	fk_layer_put(fs->l, dir);
	(void)fk_reply_dirbuf(req);
}

static void memfs_readdir(fk_req *req, const struct fk_read_in *in)
{
	read_dir(req, in, 0);
}

static void memfs_readdirplus(fk_req *req, const struct fk_read_in *in)
{
	read_dir(req, in, 1);
}

static void memfs_releasedir(fk_req *req, const struct fk_release_in *in)
{
	listing_close(FS(req), (struct listing *)(uintptr_t)in->fh);
	(void)fk_reply_err(req, 0);
}

/* ---- Extended attributes ------------------------------------------------ */

/*
 * system.* names (POSIX ACLs above all) have meaning the kernel and tools
 * rely on: cp -a sets permissions through system.posix_acl_access and
 * falls back to chmod only on EOPNOTSUPP. memfs has no ACLs, so it says so
 * instead of storing them as opaque bytes.
 */
static int unsupported_name(const char *name)
{
	return name && strncmp(name, "system.", 7) == 0;
}

/* getxattr (name) or listxattr (name NULL): the size, or the data. */
static void get_or_list(fk_req *req, uint64_t ino, const char *name, uint32_t size)
{
	struct memfs *fs = FS(req);
	struct fk_layer_node *h = node_get(fs, ino);
	char *buf = size ? malloc(size) : NULL;
	int rc = !h			   ? -ENOENT
		 : size && !buf		   ? -ENOMEM
		 : unsupported_name(name) ? -EOPNOTSUPP
		 : name			   ? fs->l->ops->getxattr(fs->l, h, name, buf, size)
					   : fs->l->ops->listxattr(fs->l, h, buf, size);
	fk_layer_put(fs->l, h);
	if (rc < 0)
		(void)fk_reply_err(req, -rc);
	else if (size == 0)
		(void)fk_reply_xattr_size(req, (uint32_t)rc);
	else
		(void)fk_reply_buf(req, buf, (size_t)rc);
	free(buf);
}

static void memfs_getxattr(fk_req *req, const struct fk_getxattr_in *in)
{
	get_or_list(req, in->ino, in->name, in->size);
}

static void memfs_listxattr(fk_req *req, const struct fk_listxattr_in *in)
{
	get_or_list(req, in->ino, NULL, in->size);
}

/* setxattr (value) or removexattr (value NULL). */
static void set_or_remove(fk_req *req, uint64_t ino, const char *name,
			  const void *value, uint32_t size, int flags)
{
	struct memfs *fs = FS(req);
	struct fk_layer_node *h = node_get(fs, ino);
	int rc = !h			   ? -ENOENT
		 : unsupported_name(name) ? -EOPNOTSUPP
		 : value		   ? fs->l->ops->setxattr(fs->l, h, name, value, size, flags)
					   : fs->l->ops->removexattr(fs->l, h, name);
	fk_layer_put(fs->l, h);
	(void)fk_reply_err(req, -rc);
}

static void memfs_setxattr(fk_req *req, const struct fk_setxattr_in *in)
{
	/* A zero-length value is a value: "" stands in for NULL. */
	set_or_remove(req, in->ino, in->name, in->size ? in->value : "", in->size,
		      (int)in->flags);
}

static void memfs_removexattr(fk_req *req, const struct fk_removexattr_in *in)
{
	set_or_remove(req, in->ino, in->name, NULL, 0, 0);
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
	.opendir = memfs_opendir,
	.readdir = memfs_readdir,
	.readdirplus = memfs_readdirplus,
	.releasedir = memfs_releasedir,
	.fsyncdir = memfs_fsync,
	.setxattr = memfs_setxattr,
	.getxattr = memfs_getxattr,
	.listxattr = memfs_listxattr,
	.removexattr = memfs_removexattr,
};

/* ---- Setup --------------------------------------------------------------- */

/* The layer, its root known to the kernel for good, and the seed in it. */
static int memfs_init(struct memfs *fs, const char *seed)
{
	memset(fs, 0, sizeof *fs);
	int rc = -pthread_mutex_init(&fs->lock, NULL);
	if (rc)
		return rc;
	fs->nmap = 64;
	fs->map = calloc(fs->nmap, sizeof *fs->map);
	if (!fs->map || (rc = fk_mem_layer_new(&fs->l))) {
		fprintf(stderr, "fk-memfs: %s\n", strerror(rc ? -rc : ENOMEM));
		return rc ? rc : -ENOMEM;
	}
	struct fk_layer_node *root = fk_layer_root(fs->l);
	struct fk_layer_stat st;
	/* The caller owns the root, as the directory it mounts over. */
	struct fk_setattr_in own = { .valid = FK_SET_UID | FK_SET_GID,
				     .uid = getuid(), .gid = getgid() };
	rc = fs->l->ops->setattr(fs->l, root, &own, &st);
	if (rc == 0 && st.attr.ino != FK_ROOT_INO)
		rc = -EPROTO; /* node ids are the layer's inode numbers */
	if (rc == 0)
		rc = node_enter(fs, root, FK_ROOT_INO, FK_ROOT_INO);
	else
		fk_layer_put(fs->l, root);
	if (rc) {
		fprintf(stderr, "fk-memfs: the root: %s\n", strerror(-rc));
		return rc;
	}
	char err[PATH_MAX + 64];
	if (seed && (rc = fk_layer_load(fs->l, seed, err, sizeof err)))
		fprintf(stderr, "fk-memfs: cannot seed from %s: %s\n", seed, err);
	return rc;
}

/* Everything goes at exit (the kernel's references are gone, whether or
 * not their FORGET and RELEASEDIR came). */
static void memfs_free(struct memfs *fs)
{
	while (fs->open_dirs)
		listing_close(fs, fs->open_dirs);
	for (size_t i = 0; fs->map && i < fs->nmap; i++) {
		while (fs->map[i]) {
			struct mnode *m = fs->map[i];
			fs->map[i] = m->next;
			fk_layer_put(fs->l, m->h);
			free(m);
		}
	}
	free(fs->map);
	if (fs->l)
		fk_layer_free(fs->l);
	pthread_mutex_destroy(&fs->lock);
}

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
		"               (contents, owners, modes, times, xattrs)\n"
		"  -s           single-threaded\n"
		"  --async      answer getattr from another thread (an example of\n"
		"               asynchronous replies, and their test)\n"
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
	int async = 0;
	char err[512];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			fk_mount_opts_free(&mo);
			return 0;
		} else if (!strcmp(a, "-s")) {
			cfg.threads = 1;
		} else if (!strcmp(a, "--async")) {
			async = 1;
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
	if (memfs_init(&fs, seed)) {
		memfs_free(&fs);
		fk_mount_opts_free(&mo);
		return 1;
	}
	fs.async = async;
	atomic_init(&fs.answering, 0);
	atomic_init(&fs.answered_later, 0);
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
	/* Answers still being given (the session is gone only after). */
	while (atomic_load(&fs.answering) > 0)
		usleep(1000);
	if (async)
		fprintf(stderr, "fk-memfs: %llu answer(s) given from other threads\n",
			(unsigned long long)atomic_load(&fs.answered_later));
	fk_session_destroy(se);
	memfs_free(&fs);
	fk_mount_opts_free(&mo);
	return rc < 0 ? 1 : 0;
}
