/*
 * pt_hold.c — how a passthrough node reaches its host inode, and the
 * descriptor cache of the handle and lazy modes.
 *
 *   inode=fd      the node's O_PATH descriptor, open for the node's life.
 *   inode=handle  a file handle (name_to_handle_at; on macOS built from
 *                 dev, ino and generation); the descriptor is reopened
 *                 with open_by_handle_at when the cache closed it. Needs
 *                 CAP_DAC_READ_SEARCH: without it the mount uses fd (lazy
 *                 where files are not held). Where files are not held
 *                 (macOS, hold=dirs) only directories have handles; the
 *                 others keep their parent and name, as in lazy mode.
 *   inode=lazy    the node's parent and name. A directory's descriptor is
 *                 reopened by resolving the names from the nearest
 *                 ancestor whose descriptor is open, beneath it, without
 *                 symlinks (openat2 RESOLVE_BENEATH, else one name at a
 *                 time). Any other node holds none: it is reached by its
 *                 name in its parent's descriptor (fk_pt_acquire), with
 *                 the names held still meanwhile, after a stat has shown
 *                 the name still leads to the node's inode (else ESTALE:
 *                 renamed or replaced on the host). A regular file about to
 *                 lose its last name is opened (read-only) to keep it.
 *                 This is the only mode of hosts without O_PATH (macOS:
 *                 opening a fifo or device has side effects).
 *
 * The descriptors of the handle and lazy modes are cached
 * (pt_fdcache.c).
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "pt.h"

#define LOCK(pt) fk_pt_lock(pt)
#define UNLOCK(pt) fk_pt_unlock(pt)

static int cached_mode(const struct fk_pt *pt)
{
	return pt->mode != FK_PT_INODE_FD;
}

#define NODE(tn) ((struct fk_pt_node *)(tn))

/* An operation reference let go (the table's; NULL is fine). */
static void node_put(struct fk_pt *pt, struct fk_pt_node *n)
{
	fk_nt_put(&pt->nodes, n ? &n->tn : NULL);
}

static int node_fd(struct fk_pt *pt, struct fk_pt_node *n);
static void node_unfd(struct fk_pt *pt, struct fk_pt_node *n);
static int pin_at(struct fk_pt *pt, struct fk_pt_node *n, struct fk_pt_at *at,
		  struct fk_plat_stat *st);
static void unpin_at(struct fk_pt *pt, struct fk_pt_at *at);
static int stat_by_open_file(struct fk_pt *pt, struct fk_pt_node *n,
			     struct fk_plat_stat *st);

const char *fk_pt_inode_mode_name(enum fk_pt_inode_mode m)
{
	return m == FK_PT_INODE_HANDLE ? "handle" : m == FK_PT_INODE_LAZY ? "lazy" : "fd";
}

/* ---- Setup ------------------------------------------------------------ */

/* The descriptor open_by_handle_at needs for dev's filesystem, made from
 * fd (on that filesystem) the first time: one per device seen, taken from
 * the first node on it. It cannot be an O_PATH descriptor (the kernel
 * answers EBADF), so it is a read-only reopen of fd. Under the lock; -1
 * if there is none or the table is full. */
static int mount_fd_for(struct fk_pt *pt, uint64_t dev, int fd)
{
	FK_PT_ASSERT_LOCKED(pt);
	for (unsigned i = 0; i < pt->nmount_fds; i++)
		if (pt->mount_fds[i].dev == dev)
			return pt->mount_fds[i].fd;
	if (fd < 0 || pt->nmount_fds == FK_PT_MAX_MOUNT_FDS)
		return -1;
	int m = fk_pt_reopen(FK_PT_AT_FD(fd), O_RDONLY);
	if (m < 0)
		return -1;
	pt->mount_fds[pt->nmount_fds].dev = dev;
	pt->mount_fds[pt->nmount_fds++].fd = m;
	return m;
}

int fk_pt_root_mount_fd(struct fk_pt *pt)
{
	LOCK(pt);
	int m = mount_fd_for(pt, pt->root->dev, pt->root->cfd.fd);
	UNLOCK(pt);
	return m < 0 ? -EBADF : m;
}

void fk_pt_hold_init(struct fk_pt *pt)
{
	/* Never destroyed: glibc's rwlock holds no resources. */
	pthread_rwlock_init(&pt->names, NULL);
	pt->mode = pt->o.inode;
	/* Where the host cannot hold descriptors of files without opening
	 * them (macOS), or hold=dirs says not to, those are reached by name:
	 * fd mode cannot be, and becomes lazy. */
	int files_held = fk_plat_can_hold(S_IFREG) && !pt->o.hold_dirs_only;
	if (!files_held && pt->mode == FK_PT_INODE_FD)
		pt->mode = FK_PT_INODE_LAZY;
	if (pt->mode == FK_PT_INODE_HANDLE) {
		/* Try the whole round trip on the root: name_to_handle_at works
		 * for anyone, open_by_handle_at needs CAP_DAC_READ_SEARCH (on
		 * macOS, fsgetpath may be refused likewise). */
		struct fk_plat_handle *h = fk_plat_handle_of(pt->root->cfd.fd, NULL);
		int m = h ? fk_pt_root_mount_fd(pt) : -1;
		int fd = m >= 0 ? fk_plat_handle_open(m, h) : -1;
		free(h);
		if (fd >= 0)
			close(fd);
		else
			pt->mode = files_held ? FK_PT_INODE_FD : FK_PT_INODE_LAZY;
	}
	pt->names_kept = pt->mode == FK_PT_INODE_LAZY ||
			 (pt->mode == FK_PT_INODE_HANDLE && !files_held);
	size_t cap = pt->o.fd_cap ? pt->o.fd_cap : fk_nt_budget_of_nofile(1);
	cap = cap < UINT_MAX ? cap : UINT_MAX;
	pt->fdc.cap = cap < 2 ? 2 : (unsigned)cap;
	/* fd mode holds a descriptor per node the kernel knows: past fd_cap
	 * of them, the kernel is asked to forget some (fk_nt_prune). */
	if (pt->mode == FK_PT_INODE_FD)
		fk_nt_set_budget(&pt->nodes, pt->fdc.cap);
}

struct fk_plat_handle *fk_pt_hold_handle(struct fk_pt *pt, int fd,
					 const struct fk_plat_stat *st)
{
	if (pt->mode != FK_PT_INODE_HANDLE || fd < 0)
		return NULL;
	/* Where names are kept, files are reached by them, never by handle
	 * (as on macOS, which has handles of directories only). */
	if (pt->names_kept && (st->mode & S_IFMT) != S_IFDIR)
		return NULL;
	return fk_plat_handle_of(fd, NULL);
}

int fk_pt_hold_attach(struct fk_pt *pt, struct fk_pt_node *n, int fd,
		      struct fk_pt_node *parent, const char *name,
		      struct fk_plat_handle *handle)
{
	FK_PT_ASSERT_LOCKED(pt);
	if (pt->names_kept && parent && name) {
		if (!(n->name = strdup(name)))
			return -ENOMEM;
		n->parent = parent;
		fk_pt_ref(pt, parent);
	}
	if (pt->mode == FK_PT_INODE_HANDLE && handle &&
	    mount_fd_for(pt, n->dev, fd) >= 0)
		n->handle = handle;
	else if (pt->mode == FK_PT_INODE_HANDLE)
		free(handle); /* no handle here: the node keeps its fd */
	if (!cached_mode(pt)) {
		n->cfd.fd = fd;
		return 0;
	}
	if (fd < 0)
		return 0; /* reached by name (fk_pt_by_name) */
	if (!n->handle && !n->name) {
		/* Cannot be reopened (no handles on this filesystem, or an
		 * unnamed file): its descriptor stays, pinned, for life. */
		n->kept = 1;
	}
	fk_pt_cfd_install(pt, &n->cfd, fd, n->kept);
	return 0;
}

/* Under the lock: n's parent is now parent (which the caller holds). */
static void set_parent(struct fk_pt *pt, struct fk_pt_node *n,
		       struct fk_pt_node *parent)
{
	FK_PT_ASSERT_LOCKED(pt);
	struct fk_pt_node *old = n->parent;
	fk_pt_ref(pt, parent);
	n->parent = parent;
	fk_pt_unref(pt, old);
}

/* Is st the inode of n (not another one that took its number)? */
static int is_node(const struct fk_pt_node *n, const struct fk_plat_stat *st)
{
	int64_t bsec = st->has_btime ? st->btime.tv_sec : 0;
	uint32_t bnsec = st->has_btime ? (uint32_t)st->btime.tv_nsec : 0;
	return st->ino == n->ino && st->dev == n->dev && bsec == n->btime_sec &&
	       bnsec == n->btime_nsec;
}

/* ---- Other names of a hard-linked file (lazy mode) ----
 *
 * A file reached by name is reached by one name, the newest the kernel
 * was given. Its other names are kept too, so that when that one goes
 * (unlinked, or renamed over) while another still leads to the inode,
 * the node takes the other: the kernel keeps using every name it knows.
 * Each alias holds an operation reference on its directory, as the
 * node's own name does. All under the table lock. */

struct fk_pt_alias {
	struct fk_pt_node *parent;
	char *name;
	struct fk_pt_alias *next;
};

#define FK_PT_MAX_ALIASES 8

static void alias_free(struct fk_pt *pt, struct fk_pt_alias *a)
{
	FK_PT_ASSERT_LOCKED(pt);
	struct fk_pt_node *parent = a->parent;
	free(a->name);
	free(a);
	fk_pt_unref(pt, parent);
}

/* Forget the alias (parent, name) of n, if it has one. */
static void alias_drop(struct fk_pt *pt, struct fk_pt_node *n,
		       const struct fk_pt_node *parent, const char *name)
{
	FK_PT_ASSERT_LOCKED(pt);
	for (struct fk_pt_alias **p = &n->aliases; *p; p = &(*p)->next) {
		struct fk_pt_alias *a = *p;
		if (a->parent == parent && !strcmp(a->name, name)) {
			*p = a->next;
			alias_free(pt, a);
			return;
		}
	}
}

/* n's name becomes (parent, name) (a copy; on ENOMEM the old name stays,
 * a guess a stat checks); keep_old: the old name still leads to the
 * inode, and becomes an alias. */
static void rename_node(struct fk_pt *pt, struct fk_pt_node *n,
			struct fk_pt_node *parent, const char *name, int keep_old)
{
	FK_PT_ASSERT_LOCKED(pt);
	char *copy = strdup(name);
	struct fk_pt_alias *a = keep_old && n->type != S_IFDIR
					? malloc(sizeof *a)
					: NULL;
	if (!copy) {
		free(a);
		return;
	}
	alias_drop(pt, n, parent, name);
	if (a) {
		/* The old name and its parent reference move to the alias. */
		*a = (struct fk_pt_alias){ n->parent, n->name, n->aliases };
		n->aliases = a;
		fk_pt_ref(pt, parent);
		n->parent = parent;
		n->name = copy;
		unsigned count = 0;
		for (struct fk_pt_alias **p = &n->aliases; *p;) {
			if (++count <= FK_PT_MAX_ALIASES) {
				p = &(*p)->next;
				continue;
			}
			struct fk_pt_alias *old = *p; /* the oldest go */
			*p = old->next;
			alias_free(pt, old);
		}
	} else {
		free(n->name);
		n->name = copy;
		set_parent(pt, n, parent);
	}
}

int fk_pt_hold_losing_name(struct fk_pt *pt, struct fk_pt_node *n,
			   struct fk_pt_node *parent, const char *name)
{
	if (!pt->names_kept || !parent)
		return 0;
	LOCK(pt);
	if (!n->name || n->parent != parent || strcmp(n->name, name)) {
		int known = n->name != NULL;
		alias_drop(pt, n, parent, name); /* one of the others, or none */
		UNLOCK(pt);
		return known;
	}
	/* Its own name goes: the first other name still leading to the
	 * inode takes its place; those that do not are forgotten. */
	for (;;) {
		struct fk_pt_alias *a = n->aliases;
		if (!a) {
			UNLOCK(pt);
			return 0;
		}
		n->aliases = a->next;
		UNLOCK(pt);
		int pfd = node_fd(pt, a->parent);
		struct fk_plat_stat st;
		int same = pfd >= 0 && fk_plat_stat_at(pfd, a->name, &st) == 0 &&
			   is_node(n, &st);
		if (pfd >= 0)
			node_unfd(pt, a->parent);
		LOCK(pt);
		if (same) {
			struct fk_pt_node *old = n->parent;
			free(n->name);
			n->name = a->name; /* with the alias's parent reference */
			n->parent = a->parent;
			free(a);
			fk_pt_unref(pt, old);
			UNLOCK(pt);
			return 1;
		}
		alias_free(pt, a);
	}
}

void fk_pt_hold_refresh(struct fk_pt *pt, struct fk_pt_node *n, int fd,
			struct fk_pt_node *parent, const char *name)
{
	FK_PT_ASSERT_LOCKED(pt);
	/* A lookup found the inode under this name: both it and the name
	 * the node had lead there (hard links). */
	if (pt->names_kept && n->name && parent && name &&
	    (n->parent != parent || strcmp(n->name, name)))
		rename_node(pt, n, parent, name, 1);
	if (fd < 0)
		return; /* reached by name */
	if (cached_mode(pt) && n->cfd.fd < 0 && n != pt->root)
		fk_pt_cfd_install(pt, &n->cfd, fd, 0);
	else
		close(fd); /* the node keeps the descriptor it has */
}

void fk_pt_hold_discard(struct fk_pt_node *n)
{
	free(n->name);
	n->name = NULL;
	free(n->handle);
	n->handle = NULL;
	while (n->aliases) {
		struct fk_pt_alias *a = n->aliases;
		n->aliases = a->next;
		free(a->name);
		free(a);
	}
}

void fk_pt_hold_detach(struct fk_pt *pt, struct fk_pt_node *n)
{
	FK_PT_ASSERT_LOCKED(pt);
	fk_pt_cfd_drop(pt, &n->cfd);
	free(n->name);
	n->name = NULL;
	while (n->aliases) {
		struct fk_pt_alias *a = n->aliases;
		n->aliases = a->next;
		alias_free(pt, a);
	}
	free(n->handle);
	n->handle = NULL;
}

int fk_pt_by_name(const struct fk_pt *pt, uint32_t type)
{
	return (type & S_IFMT) != S_IFDIR && pt->names_kept;
}

/* Is n reached by name now? Not when it has a descriptor of its own: an
 * unnamed file, or one kept before it lost its name. Under the lock. */
static int reached_by_name(const struct fk_pt *pt, const struct fk_pt_node *n)
{
	FK_PT_ASSERT_LOCKED(pt);
	return fk_pt_by_name(pt, n->type) && !n->kept && n->cfd.fd < 0;
}

/* reached_by_name, taking the lock only where it can be true (the type
 * never changes): directories and the fd and handle modes skip it. */
static int now_by_name(struct fk_pt *pt, const struct fk_pt_node *n)
{
	if (!fk_pt_by_name(pt, n->type))
		return 0;
	LOCK(pt);
	int by_name = reached_by_name(pt, n);
	UNLOCK(pt);
	return by_name;
}

/* ---- Reopening a node -------------------------------------------------- */

/* Is fd still the inode of n? */
static int same_inode(const struct fk_pt_node *n, int fd)
{
	struct fk_plat_stat st;
	return fk_pt_stat_fd(fd, &st) == 0 && is_node(n, &st);
}

/* Lazy mode: pin the nearest ancestor of n with an open descriptor (and
 * take a reference: a rename may cut it from n meanwhile) and write the
 * names from it down to n into *path (malloc'd). Under the lock; n's own
 * descriptor is closed. Returns the ancestor, or NULL (ENOMEM, or a node
 * without a name). */
static struct fk_pt_node *path_from_ancestor(struct fk_pt *pt, struct fk_pt_node *n,
					      char **path)
{
	FK_PT_ASSERT_LOCKED(pt);
	assert(n->cfd.fd < 0);
	size_t len = 0;
	struct fk_pt_node *a = n;
	for (; a && a->cfd.fd < 0; a = a->parent) {
		if (!a->name)
			return NULL;
		len += strlen(a->name) + 1;
	}
	if (!a)
		return NULL;
	char *p = malloc(len);
	if (!p)
		return NULL;
	size_t at = len - 1;
	p[at] = 0;
	for (struct fk_pt_node *b = n; b != a; b = b->parent) {
		size_t l = strlen(b->name);
		at -= l;
		memcpy(p + at, b->name, l);
		if (at)
			p[--at] = '/';
	}
	fk_pt_cfd_pin_locked(pt, &a->cfd);
	fk_pt_ref(pt, a);
	*path = p;
	return a;
}

/* This thread is between fk_pt_names_change_begin and _end; or it holds
 * the names for reading, for a node pinned by name (pin_at). */
static __thread int names_changing, names_reading;

void fk_pt_names_change_begin(struct fk_pt *pt)
{
	if (!pt->names_kept)
		return;
	assert(!names_changing && !names_reading);
	pthread_rwlock_wrlock(&pt->names);
	names_changing = 1;
}

void fk_pt_names_change_end(struct fk_pt *pt)
{
	if (!pt->names_kept)
		return;
	names_changing = 0;
	pthread_rwlock_unlock(&pt->names);
}

/* Under the lock: if another thread reopened n since cfd_get looked, a
 * copy of that descriptor (fill_slot keeps the node's and closes the
 * copy) in *fd, and 1. */
static int already_open(struct fk_pt_node *n, int *fd)
{
	if (n->cfd.fd < 0)
		return 0;
	*fd = fcntl(n->cfd.fd, F_DUPFD_CLOEXEC, 0);
	if (*fd < 0)
		*fd = -errno;
	return 1;
}

static int reopen_by_handle(struct fk_pt *pt, struct fk_pt_node *n)
{
	int fd = -ESTALE;
	LOCK(pt);
	int m = already_open(n, &fd) ? -2 : mount_fd_for(pt, n->dev, -1);
	UNLOCK(pt);
	if (m == -2)
		return fd;
	if (m < 0)
		return -ESTALE;
	return fk_plat_handle_open(m, n->handle);
}

static int reopen_by_path(struct fk_pt *pt, struct fk_pt_node *n)
{
	int fd = -ESTALE;
	char *path = NULL;
	/* The names from the ancestor down must not change until they have
	 * been resolved (lock order: names, then the table). */
	int lock = !names_changing && !names_reading;
	if (lock)
		pthread_rwlock_rdlock(&pt->names);
	LOCK(pt);
	int done = already_open(n, &fd);
	struct fk_pt_node *a = done ? NULL : path_from_ancestor(pt, n, &path);
	UNLOCK(pt);
	if (!done)
		fd = a ? fk_plat_hold_beneath(a->cfd.fd, path) : -ESTALE;
	if (lock)
		pthread_rwlock_unlock(&pt->names);
	free(path);
	if (a) {
		fk_pt_cfd_put(pt, &a->cfd);
		node_put(pt, a);
	}
	if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP || fd == -EXDEV)
		fd = -ESTALE; /* the name no longer leads there */
	return fd;
}

static int reopen_node(struct fk_pt *pt, void *obj)
{
	struct fk_pt_node *n = obj;
	int fd = n->handle ? reopen_by_handle(pt, n) : reopen_by_path(pt, n);
	if (fd >= 0 && !same_inode(n, fd)) {
		close(fd);
		fd = -ESTALE;
	}
	return fd;
}

static int node_fd(struct fk_pt *pt, struct fk_pt_node *n)
{
	if (!cached_mode(pt) || n == pt->root)
		return n->cfd.fd;
	if (now_by_name(pt, n))
		return -ENOTDIR; /* no descriptor of its own: pin_at */
	return fk_pt_cfd_get(pt, &n->cfd, reopen_node, n);
}

static void node_unfd(struct fk_pt *pt, struct fk_pt_node *n)
{
	if (cached_mode(pt) && n != pt->root)
		fk_pt_cfd_put(pt, &n->cfd);
}

/* Keep n, reached by name, by a descriptor of its own from now on: a
 * regular file opened read-only (no side effects, and every host has it);
 * other kinds go stale with their last name. Pinned, for life. */
static int keep_by_name(struct fk_pt *pt, struct fk_pt_node *n)
{
	if (n->type != S_IFREG)
		return -ESTALE;
	struct fk_pt_at at;
	int rc = pin_at(pt, n, &at, NULL);
	if (rc)
		return rc;
	LOCK(pt);
	fk_pt_fdc_reserve(pt);
	UNLOCK(pt);
	int fd = fk_pt_reopen(at, O_RDONLY | O_NONBLOCK);
	unpin_at(pt, &at);
	if (fd >= 0 && !same_inode(n, fd)) {
		close(fd);
		fd = -ESTALE;
	}
	LOCK(pt);
	if (n->kept || n->cfd.fd >= 0) { /* another thread was first */
		fk_pt_fdc_unreserve(pt);
		if (fd >= 0)
			close(fd);
		fd = 0;
	} else if (fd >= 0) {
		n->kept = 1;
		(void)fk_pt_fdc_fill(pt, &n->cfd, fd, 1);
		fd = 0;
	} else {
		fk_pt_fdc_unreserve(pt);
	}
	UNLOCK(pt);
	return fd < 0 ? fd : 0;
}

int fk_pt_node_keep(struct fk_pt *pt, struct fk_pt_node *n)
{
	if (!cached_mode(pt) || n == pt->root)
		return 0;
	if (now_by_name(pt, n))
		return keep_by_name(pt, n);
	int fd = node_fd(pt, n);
	if (fd < 0)
		return fd;
	LOCK(pt);
	int had = n->kept;
	n->kept = 1;
	UNLOCK(pt);
	if (had)
		node_unfd(pt, n); /* the first keep's pin is enough */
	return 0;
}

static int pin_at(struct fk_pt *pt, struct fk_pt_node *n, struct fk_pt_at *at,
		  struct fk_plat_stat *st)
{
	*at = FK_PT_AT_FD(-1);
	if (!now_by_name(pt, n)) {
		int fd = node_fd(pt, n);
		if (fd < 0)
			return fd;
		*at = (struct fk_pt_at){ .fd = fd, .holder = n };
		int rc = st ? fk_pt_stat_fd(fd, st) : 0;
		if (rc)
			unpin_at(pt, at);
		return rc;
	}
	/* Its parent's descriptor and its name, which hold still until
	 * unpinned: renames wait (lock order: names, then the table). */
	int reading = !names_changing && !names_reading;
	if (reading) {
		pthread_rwlock_rdlock(&pt->names);
		names_reading = 1;
	}
	char name[NAME_MAX + 1] = "";
	LOCK(pt);
	struct fk_pt_node *p = n->parent;
	if (n->name) {
		assert(strlen(n->name) <= NAME_MAX); /* one checked component */
		strcpy(name, n->name);
	}
	if (p)
		fk_pt_ref(pt, p);
	UNLOCK(pt);
	int fd = p && name[0] ? node_fd(pt, p) : -ESTALE;
	if (fd < 0) {
		node_put(pt, p); /* NULL is fine */
		if (reading) {
			names_reading = 0;
			pthread_rwlock_unlock(&pt->names);
		}
		return fd;
	}
	*at = (struct fk_pt_at){ .fd = fd, .holder = p, .parent_ref = 1,
				 .names_locked = reading };
	memcpy(at->name, name, sizeof name);
	/* The name may lead elsewhere now: renamed or replaced on the host,
	 * behind the daemon's back (our own renames wait for the names).
	 * Gone (ENOENT): as a racing unlink gives natively. */
	struct fk_plat_stat seen;
	if (!st)
		st = &seen;
	int rc = fk_plat_stat_at(fd, at->name, st);
	if (rc == 0 && !is_node(n, st))
		rc = -ESTALE;
	if (rc)
		unpin_at(pt, at);
	return rc;
}

static void unpin_at(struct fk_pt *pt, struct fk_pt_at *at)
{
	if (!at->holder)
		return;
	node_unfd(pt, at->holder);
	if (at->parent_ref)
		node_put(pt, at->holder);
	if (at->names_locked) {
		assert(names_reading);
		names_reading = 0;
		pthread_rwlock_unlock(&pt->names);
	}
	at->holder = NULL;
}

int fk_pt_acquire(struct fk_pt *pt, uint64_t nodeid, enum fk_pt_need need,
		  struct fk_pt_use *u)
{
	u->need = need;
	u->at = FK_PT_AT_FD(-1);
	u->node = NODE(fk_nt_get(&pt->nodes, nodeid));
	if (!u->node)
		return -ENOENT;
	int rc = 0;
	if (need == FK_PT_NEED_FD) {
		int fd = node_fd(pt, u->node);
		if (fd >= 0)
			u->at = (struct fk_pt_at){ .fd = fd, .holder = u->node };
		rc = fd < 0 ? fd : 0;
	} else if (need == FK_PT_NEED_AT) {
		rc = pin_at(pt, u->node, &u->at, NULL);
	} else if (need == FK_PT_NEED_STAT) {
		rc = stat_by_open_file(pt, u->node, &u->st);
		if (rc == 1)
			rc = pin_at(pt, u->node, &u->at, &u->st);
	}
	if (rc) {
		node_put(pt, u->node);
		u->node = NULL;
	}
	return rc;
}

void fk_pt_drop(struct fk_pt *pt, struct fk_pt_use *u)
{
	if (!u->node)
		return;
	unpin_at(pt, &u->at);
	node_put(pt, u->node);
	u->node = NULL;
}

/* ---- Open files ------------------------------------------------------ */

void fk_pt_file_attach(struct fk_pt *pt, struct fk_pt_file *f, int fd)
{
	memset(&f->cfd, 0, sizeof f->cfd);
	f->cfd.fd = fd;
	if (!cached_mode(pt))
		return;
	f->cfd.fd = -1;
	LOCK(pt);
	fk_pt_cfd_install(pt, &f->cfd, fd, 0);
	f->prev_open = NULL;
	f->next_open = f->node->open_files;
	if (f->next_open)
		f->next_open->prev_open = f;
	f->node->open_files = f;
	UNLOCK(pt);
}

static int reopen_file(struct fk_pt *pt, void *obj)
{
	struct fk_pt_file *f = obj;
	struct fk_pt_at at;
	int fd = pin_at(pt, f->node, &at, NULL);
	if (fd < 0)
		return fd;
	fd = fk_pt_reopen(at, f->flags);
	unpin_at(pt, &at);
	if (fd >= 0 && !same_inode(f->node, fd)) {
		close(fd); /* another file has the name now */
		fd = -ESTALE;
	}
	return fd;
}

/* The stat of a node reached by name through one of its open files whose
 * descriptor the cache has open (that is the inode, whatever its name
 * now leads to): 0 or -errno, and 1 when there is none (then pin it). */
static int stat_by_open_file(struct fk_pt *pt, struct fk_pt_node *n,
			     struct fk_plat_stat *st)
{
	if (!fk_pt_by_name(pt, n->type))
		return 1; /* (the type never changes: no lock needed to know) */
	/* A copy of the descriptor, not a pin: the file may be released
	 * meanwhile (no request of ours names it; the kernel may close it). */
	int fd = -1;
	LOCK(pt);
	struct fk_pt_file *f = reached_by_name(pt, n) ? n->open_files : NULL;
	while (f && f->cfd.fd < 0)
		f = f->next_open;
	if (f)
		fd = fcntl(f->cfd.fd, F_DUPFD_CLOEXEC, 0);
	UNLOCK(pt);
	if (fd < 0)
		return 1; /* none open (or no descriptor to spare): by name */
	int rc = fk_pt_stat_fd(fd, st);
	close(fd);
	return rc;
}

int fk_pt_file_fd(struct fk_pt *pt, struct fk_pt_file *f)
{
	if (!cached_mode(pt))
		return f->cfd.fd;
	return fk_pt_cfd_get(pt, &f->cfd, reopen_file, f);
}

void fk_pt_file_unfd(struct fk_pt *pt, struct fk_pt_file *f)
{
	if (cached_mode(pt))
		fk_pt_cfd_put(pt, &f->cfd);
}

void fk_pt_file_detach(struct fk_pt *pt, struct fk_pt_file *f)
{
	if (!cached_mode(pt)) {
		close(f->cfd.fd);
		return;
	}
	LOCK(pt);
	fk_pt_cfd_drop(pt, &f->cfd);
	if (f->prev_open)
		f->prev_open->next_open = f->next_open;
	else
		f->node->open_files = f->next_open;
	if (f->next_open)
		f->next_open->prev_open = f->prev_open;
	UNLOCK(pt);
}

/* ---- Names changing under nodes (lazy mode) ----------------------------- */

void fk_pt_hold_moved(struct fk_pt *pt, struct fk_pt_node *n,
		      struct fk_pt_node *oldparent, const char *oldname,
		      struct fk_pt_node *parent, const char *name)
{
	FK_PT_ASSERT_LOCKED(pt);
	if (!pt->names_kept || !n->name)
		return;
	int own = n->parent == oldparent && !strcmp(n->name, oldname);
	if (!own)
		alias_drop(pt, n, oldparent, oldname);
	/* On ENOMEM the old name: the node may turn stale (ESTALE). */
	rename_node(pt, n, parent, name, !own);
}

/* ---- Statistics ------------------------------------------------------- */

void fk_pt_get_stats(struct fk_pt *pt, struct fk_pt_stats *st)
{
	memset(st, 0, sizeof *st);
	LOCK(pt);
	st->nodes = pt->nodes.count;
	st->inode = pt->mode;
	if (cached_mode(pt)) {
		st->fds = pt->fdc.open;
		st->fd_cap = pt->fdc.cap;
	}
	st->reopens = pt->fdc.reopens;
	UNLOCK(pt);
}
