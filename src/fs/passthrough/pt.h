/*
 * pt.h — the passthrough filesystem's private structures (fk_pt_*).
 *
 *   pt_node.c   nodes in the shared node table (../node), keyed by the
 *               host inode (dev, ino, mount id)
 *   pt_hold.c   how a node reaches its inode (inode=fd|handle|lazy), the
 *               names kept in lazy mode, and fk_pt_acquire/fk_pt_drop,
 *               the one way operations take a node
 *   pt_fdcache.c  the descriptor cache the handle and lazy modes share
 *   pt_cred.c   acting with the caller's fsuid/fsgid/groups
 *   pt_entry.c  lookup, getattr, setattr, create/link/remove/rename, statfs
 *   pt_file.c   open, read, write, sync, fallocate, locks, copy, lseek, ioctl
 *   pt_dir.c    opendir, readdir(plus), releasedir
 *   pt_xattr.c  extended attributes
 *   pt_acl.c    POSIX ACLs: whether the kernel applies them, ids mapped
 *   pt_export.c node ids from host file handles; decoding FUSE handles
 *   pt_layer.c  the layer interface (fk_layer.h) over the same nodes
 *   pt_override.c  owners and modes kept in an xattr (layers only)
 *   pt_main.c   options, setup, the ops table
 *
 * Node lifetime: the shared node table's (fk_node_table.h). A node is
 * referenced by the kernel (nlookup) and by operations in progress and
 * its children and aliases (refs: fk_pt_acquire/fk_pt_drop under no
 * lock, fk_pt_ref/fk_pt_unref under the table lock). It leaves, and its O_PATH
 * descriptor is closed, when both reach zero. The root never leaves.
 *
 * Descriptors. With inode=fd every node owns its O_PATH descriptor for
 * life. With inode=handle or inode=lazy a node owns a way to reopen its
 * inode (a file handle, or its parent and name) and its descriptor, like
 * an open file's, lives in a cache of at most fd_cap descriptors: an
 * operation pins the descriptor it uses (fk_pt_acquire/fk_pt_file_fd) and
 * unpins it when done, and only unpinned descriptors are closed to make
 * room (pt_fdcache.c). The root's descriptor is never closed. Where names are kept
 * (lazy mode; handle mode with hold=dirs, and on macOS) a node holds an
 * operation reference on its parent, so the chain to the root exists
 * while the node does, and rename moves a node by changing its parent.
 */
#ifndef FK_PT_H
#define FK_PT_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <fusekit/fk_layer.h>
#include <fusekit/fk_passthrough.h>
#include <fusekit/fk_session.h>

#include "../node/fk_node_table.h"
#include "../../platform/fk_platform.h"
#include "../../util/fk_backing_slot.h"
#include "../../util/fk_thread_buf.h"

/* A descriptor the cache may close and reopen (handle and lazy modes),
 * or a fixed one (fd mode, the root). Fields under the table lock. */
struct fk_pt_cfd {
	int fd; /* -1 while closed */
	unsigned pins; /* operations using fd now; never closed while > 0 */
	int listed; /* counted in the cache's LRU list */
	struct fk_pt_cfd *newer, *older; /* LRU list */
};

struct fk_pt_node {
	struct fk_nt_node tn; /* id, references: the shared node table's */
	uint64_t dev, ino, mnt_id;
	/* Birth time, to tell a new file from a deleted one whose inode
	 * number the host reused (0 where the host has none). */
	int64_t btime_sec;
	uint32_t btime_nsec;
	/* One pin held for the node's life: its inode cannot be reopened by
	 * name or handle (an O_TMPFILE file, a file unlinked while open).
	 * (Beside btime_nsec: one 8-byte word for both; a node is 216
	 * bytes, a 224-byte malloc chunk, in memory per node the kernel
	 * knows.) */
	int kept;
	struct fk_pt_cfd cfd; /* O_PATH, O_NOFOLLOW */
	/* Its open files, in the handle and lazy modes (under table lock;
	 * linked by fk_pt_file.next_open). */
	struct fk_pt_file *open_files;
	struct fk_pt_node *parent; /* lazy mode: holds a reference */
	char *name; /* lazy mode: the name in parent */
	/* Lazy mode, non-directories: the other names the kernel was given
	 * for this inode (hard links), newest first, at most
	 * FK_PT_MAX_ALIASES, each holding a reference on its parent. When
	 * the name above goes, one that still leads to the inode takes its
	 * place (fk_pt_hold_losing_name). */
	struct fk_pt_alias *aliases;
	struct fk_plat_handle *handle; /* handle mode; NULL: held by fd */
	mode_t type; /* S_IFMT bits */
	/* Its id is its host handle's (pt_export.c): the same in every
	 * daemon on SOURCE, answered with generation FK_PT_GEN_STABLE. */
	uint8_t stable_id;
	/* The file's contents version at its last open through the daemon
	 * (fk_cache_keep.h; 0: none yet). Atomic: opens race. */
	uint64_t cache_seen;
	/* Kernel passthrough allows one backing file per inode: every open
	 * of the node shares this id (under table lock). */
	struct fk_backing_slot backing;
};

/* The descriptor cache of the handle and lazy modes (under table lock). */
struct fk_pt_fdcache {
	struct fk_pt_cfd *newest, *oldest;
	unsigned open; /* listed descriptors */
	unsigned reserved; /* being opened right now */
	unsigned cap;
	uint64_t reopens;
};

/* Descriptors of the mounts inside SOURCE, for open_by_handle_at. */
#define FK_PT_MAX_MOUNT_FDS 16
struct fk_pt_mount_fd {
	uint64_t dev;
	int fd;
};

struct fk_pt {
	struct fk_pt_options o;
	enum fk_pt_inode_mode mode; /* in effect (handle may fall back) */
	/* Nodes keep their parent and name, and non-directories are reached
	 * by them (fk_pt_by_name): lazy mode, and handle mode where files
	 * are not held (macOS, hold=dirs). */
	int names_kept;
	uint64_t entry_ns, attr_ns, negative_ns;
	struct fk_nt nodes; /* the node table */
	struct fk_pt_fdcache fdc;
	struct fk_pt_mount_fd mount_fds[FK_PT_MAX_MOUNT_FDS];
	unsigned nmount_fds;
	/* Lazy mode: a name change (rename, unlink) on the host and the
	 * nodes' names updated after it are one step for anyone resolving a
	 * node's path (write: changes; read: reopen by path). */
	pthread_rwlock_t names;
	/* File handles through the mount (pt_export.c). */
	struct {
		int on; /* node ids from handles of SOURCE's filesystem */
		int type; /* its handles' type and length */
		uint32_t len;
		uint64_t dev, mnt_id; /* SOURCE's filesystem */
		int mount_fd; /* a descriptor on it to decode handles with */
		uint32_t epoch; /* generation of the table's own ids */
	} export;
	struct fk_pt_node *root;
	atomic_int passthrough_ok; /* backing ids work here (until EPERM) */
	atomic_int told_nofile; /* the descriptor limit was reported */
	struct fk_layer layer; /* the layer interface's view (pt_layer.c) */
	/* The layer's work directory (NULL: none): a node outside SOURCE
	 * with one operation reference, held by its descriptor for life. */
	struct fk_pt_node *work;
	char *volname; /* macFUSE SETVOLNAME's (under the table lock) */
	/* Layers only: owners and modes kept in an xattr (pt_override.c). */
	enum fk_pt_override override;
};

/* An open file: fh is a pointer to this (the kernel returns fh as given).
 * It holds an operation reference on its node while open (taken with
 * fk_pt_acquire, FK_PT_NEED_NODE; fk_pt_release puts it). */
struct fk_pt_file {
	struct fk_pt_cfd cfd;
	int flags; /* to reopen it: the open flags, less O_CREAT|O_EXCL|O_TRUNC */
	int odirect; /* fd has O_DIRECT: buffers must be aligned */
	enum fk_backing_kind backing; /* how node->backing counts it */
	struct fk_pt_node *node;
	struct fk_pt_file *next_open, *prev_open; /* node->open_files */
};

/* Where system calls reach a node now (fk_pt_acquire): the descriptor it
 * holds (no name), or, for a node reached by name (fk_pt_by_name), its
 * name in its parent directory's descriptor. Valid while pinned: our
 * renames and unlinks wait meanwhile. The name is a copy: a lookup that
 * meets the node under another of its names gives the node that name at
 * any time, and frees the old one (FK_PT_AT_NAME: NULL for none). */
struct fk_pt_at {
	int fd;
	char name[NAME_MAX + 1]; /* "" when reached by fd */
	struct fk_pt_node *holder; /* whose descriptor is pinned (NULL: none) */
	/* Reached by name: the holder is the node's parent, and this pin
	 * holds an operation reference on it. */
	int parent_ref;
	/* This pin read-locked the names (an outer pin of this thread may
	 * hold them already: then not). */
	int names_locked;
};
#define FK_PT_AT_FD(d) ((struct fk_pt_at){ .fd = (d) })
/** The name to pass to the *_at system calls with at.fd: NULL for the
 *  descriptor itself. */
#define FK_PT_AT_NAME(at) ((at).name[0] ? (at).name : NULL)

/* ---- pt_node.c ---- */
/** The table lock (fk_nt_lock). A descriptor dropped under it is closed
 *  after fk_pt_unlock lets it go (fk_nt_close_later). */
static inline void fk_pt_lock(struct fk_pt *pt) { fk_nt_lock(&pt->nodes); }
static inline void fk_pt_unlock(struct fk_pt *pt) { fk_nt_unlock(&pt->nodes); }
/** Under the table lock: one more operation reference on n, or one less
 *  (n leaves when it has none). */
static inline void fk_pt_ref(struct fk_pt *pt, struct fk_pt_node *n)
{
	fk_nt_ref_locked(&pt->nodes, &n->tn, FK_NT_OP);
}
static inline void fk_pt_unref(struct fk_pt *pt, struct fk_pt_node *n)
{
	fk_nt_unref_locked(&pt->nodes, &n->tn, FK_NT_OP);
}
/** Abort (debug builds) unless this thread holds the table lock. */
#define FK_PT_ASSERT_LOCKED(pt) fk_nt_assert_locked(&(pt)->nodes)
int fk_pt_table_init(struct fk_pt *pt);
void fk_pt_table_destroy(struct fk_pt *pt);
/** Let go of an operation reference that fk_pt_node_lookup gave (or that
 *  a layer handle or an open file holds); NULL is fine. Operations take
 *  and let go of nodes with fk_pt_acquire and fk_pt_drop. */
void fk_pt_node_put(struct fk_pt *pt, struct fk_pt_node *n);
/* The references a found node is given (enum fk_nt_ref): the kernel's
 * (FK_NT_KERNEL, dropped by forget) or an operation's (FK_NT_OP, dropped
 * by fk_pt_node_put; the layer interface's handles are these). */
/**
 * The node for the O_PATH fd (consumed; -1 for a file reached by name)
 * with stat st, found as name in parent, whose descriptor is parent_fd
 * (NULL, -1: an unnamed file): an existing node for the same host inode,
 * or a new one. Adds one reference of kind ref. Returns NULL with fd
 * closed on allocation failure.
 */
struct fk_pt_node *fk_pt_node_lookup(struct fk_pt *pt, int fd,
				     const struct fk_plat_stat *st,
				     struct fk_pt_node *parent, int parent_fd,
				     const char *name, enum fk_nt_ref ref);
/** The node of host inode st, if the table has one (no reference). Under
 *  the table lock. */
struct fk_pt_node *fk_pt_node_find(struct fk_pt *pt, const struct fk_plat_stat *st);
/** Make the root node (id FK_ROOT_INO, never freed) from its fd. */
struct fk_pt_node *fk_pt_node_root(struct fk_pt *pt, int fd,
				   const struct fk_plat_stat *st);
/** fk_backing_slot_open and _close on the node's slot, under the table
 *  lock; writes: the open is for writing (counted in the slot's
 *  writers while it is a passthrough one). */
int fk_pt_backing_open(struct fk_pt *pt, fk_session *se, struct fk_pt_node *n,
		       int fd, int want, int writes, enum fk_backing_kind *kind,
		       int *joined, int *err);
void fk_pt_backing_close(struct fk_pt *pt, fk_session *se, struct fk_pt_node *n,
			 enum fk_backing_kind kind, int writes);
/** How long the kernel may keep n's attributes (nanoseconds): not at all
 *  while n has a kernel-passthrough open for writing, whose writes
 *  through a shared mapping change the backing file and its times where
 *  neither the kernel's FUSE inode nor we see them (docs/posix.md); else
 *  the mount's attr_timeout. n NULL: the mount's. No lock taken. */
uint64_t fk_pt_attr_ns(struct fk_pt *pt, struct fk_pt_node *n);
/** Drop n kernel lookup references from a node. */
void fk_pt_node_forget(struct fk_pt *pt, uint64_t nodeid, uint64_t n);
/** Names kept: name oldname in oldparent was renamed to newname in
 *  newparent (flags as renameat2), or removed (newparent NULL): the
 *  nodes of the host inodes that were at the names before the call
 *  (moved, victim; NULL if none) follow (fk_pt_hold_moved). */
void fk_pt_node_renamed(struct fk_pt *pt, const struct fk_plat_stat *moved,
			const struct fk_plat_stat *victim,
			struct fk_pt_node *newparent, const char *newname,
			struct fk_pt_node *oldparent, const char *oldname,
			unsigned flags);

/* ---- pt_fdcache.c: the descriptor cache (handle and lazy modes) ---- */
/** Under the table lock: make room for one more descriptor (closing the
 *  least recently used unpinned one if the cache is full) and reserve
 *  it, before opening it; fk_pt_fdc_fill or _unreserve ends the
 *  reservation. */
void fk_pt_fdc_reserve(struct fk_pt *pt);
void fk_pt_fdc_unreserve(struct fk_pt *pt);
/** Under the table lock: put fd (opened in a reserved slot, or -errno if
 *  that failed) into e, pinned when pin. If e got a descriptor meanwhile
 *  (another thread), fd is closed and e's is kept. Returns e's
 *  descriptor or -errno. */
int fk_pt_fdc_fill(struct fk_pt *pt, struct fk_pt_cfd *e, int fd, int pin);
/** Pin e's descriptor, reopening it with reopen(pt, obj), run without
 *  the lock, if the cache closed it. Returns it or -errno. Takes the
 *  table lock. */
int fk_pt_cfd_get(struct fk_pt *pt, struct fk_pt_cfd *e,
		  int (*reopen)(struct fk_pt *, void *), void *obj);
/** Under the table lock: pin e, which is open. */
void fk_pt_cfd_pin_locked(struct fk_pt *pt, struct fk_pt_cfd *e);
/** Undo a pin (takes the table lock). */
void fk_pt_cfd_put(struct fk_pt *pt, struct fk_pt_cfd *e);
/** Under the table lock: close e for good. */
void fk_pt_cfd_drop(struct fk_pt *pt, struct fk_pt_cfd *e);
/** Under the table lock: take the fresh descriptor fd into e (which has
 *  none), pinned when pin. */
void fk_pt_cfd_install(struct fk_pt *pt, struct fk_pt_cfd *e, int fd, int pin);

/* ---- pt_hold.c ---- */
/** Choose the mode (handle falls back to fd where open_by_handle_at is not
 *  permitted) and the cache size; after the root exists. */
void fk_pt_hold_init(struct fk_pt *pt);
/** Give a new node its O_PATH fd (consumed) and, in handle and lazy mode,
 *  its way back (handle, or parent and name). Under the table lock;
 *  handle: from fk_pt_hold_handle, taken over. Returns 0 or -ENOMEM. */
int fk_pt_hold_attach(struct fk_pt *pt, struct fk_pt_node *n, int fd,
		      struct fk_pt_node *parent, const char *name,
		      struct fk_plat_handle *handle);
/** A descriptor for open_by_handle_at on SOURCE's filesystem (kept; not
 *  to be closed), or -errno. */
int fk_pt_root_mount_fd(struct fk_pt *pt);
/** Handle mode: the file handle of O_PATH fd (NULL: hold it by fd). */
struct fk_plat_handle *fk_pt_hold_handle(struct fk_pt *pt, int fd,
					 const struct fk_plat_stat *st);
/** A lookup met node n again as name in parent: offer the fresh fd to the
 *  cache (else it is closed) and, in lazy mode, remember the newest name.
 *  Under the table lock. */
void fk_pt_hold_refresh(struct fk_pt *pt, struct fk_pt_node *n, int fd,
			struct fk_pt_node *parent, const char *name);
/** Release what a node holds (descriptor, handle, name, its aliases and
 *  their parent references). Under the table lock, when the node is
 *  freed (its own parent reference is the caller's). */
void fk_pt_hold_detach(struct fk_pt *pt, struct fk_pt_node *n);
/** Free what a node holds without touching other nodes (the whole table
 *  goes: no references to drop). Its descriptor is the caller's. */
void fk_pt_hold_discard(struct fk_pt_node *n);
/** Name in parent of node n's inode is about to go (unlink, or a rename
 *  over it), between fk_pt_names_change_begin and _end. Where names are
 *  kept: if it is one of n's other names, that one is forgotten; if it is
 *  n's name, the first other name that still leads to the inode becomes
 *  it. 1 when n stays reachable by a name, 0 when the name was its last
 *  known one (the caller keeps its descriptor then, fk_pt_node_keep). */
int fk_pt_hold_losing_name(struct fk_pt *pt, struct fk_pt_node *n,
			   struct fk_pt_node *parent, const char *name);
/** Under the table lock, names kept: n's name oldname in oldparent is
 *  now name in parent (if it was one of its other names, the node's own
 *  name stays, and the new one becomes one of the others). */
void fk_pt_hold_moved(struct fk_pt *pt, struct fk_pt_node *n,
		      struct fk_pt_node *oldparent, const char *oldname,
		      struct fk_pt_node *parent, const char *name);
/** Are nodes of this type (S_IFMT) reached by name, holding no descriptor
 *  (non-directories where names are kept: lazy mode on every host, and
 *  handle mode where files are not held: macOS, hold=dirs)? */
int fk_pt_by_name(const struct fk_pt *pt, uint32_t type);
/** Keep the node's descriptor open for the node's life (it is about to
 *  lose its name, or has none). Returns 0 or -errno. */
int fk_pt_node_keep(struct fk_pt *pt, struct fk_pt_node *n);
/** Take a new open file's descriptor into the cache. */
void fk_pt_file_attach(struct fk_pt *pt, struct fk_pt_file *f, int fd);
/** Pin an open file's descriptor, reopening it if needed; -errno if not. */
int fk_pt_file_fd(struct fk_pt *pt, struct fk_pt_file *f);
void fk_pt_file_unfd(struct fk_pt *pt, struct fk_pt_file *f);
/** Close an open file's descriptor for good (release). */
void fk_pt_file_detach(struct fk_pt *pt, struct fk_pt_file *f);
/** Bracket a host rename or unlink together with what follows it
 *  (fk_pt_node_renamed): lazy mode resolves no path meanwhile (pins
 *  taken in between know this thread holds the names). */
void fk_pt_names_change_begin(struct fk_pt *pt);
void fk_pt_names_change_end(struct fk_pt *pt);
/*
 * Taking a node for an operation: every operation takes each node it
 * works on with fk_pt_acquire and lets it go with fk_pt_drop. That
 * holds an operation reference (the node stays in the table) and, as
 * asked, pins a way to its inode that our renames and the descriptor
 * cache leave alone until it is dropped.
 */
enum fk_pt_need {
	FK_PT_NEED_NODE, /* the node only (u.at.fd is -1) */
	/* a descriptor of the node's own in u.at.fd, reopened if the cache
	 * closed it: directories, and any node that holds one (ENOTDIR for
	 * a node reached by name) */
	FK_PT_NEED_FD,
	/* where system calls reach it, u.at: its descriptor, or its
	 * parent's descriptor and its name (ESTALE when the name no longer
	 * leads to the node's inode: renamed or replaced on the host) */
	FK_PT_NEED_AT,
	/* the inode's attributes in u.st: where it is reached by name and
	 * one of its open files has a descriptor, through that (the inode,
	 * whatever its name leads to now; u.at.fd is -1 then), else as
	 * FK_PT_NEED_AT pins it, the stat that checked it */
	FK_PT_NEED_STAT,
};
struct fk_pt_use {
	struct fk_pt_node *node; /* NULL when not acquired (or released) */
	struct fk_pt_at at;
	struct fk_plat_stat st; /* FK_PT_NEED_STAT */
	enum fk_pt_need need;
};
/** Take node nodeid as need says. 0, or -errno with u->node NULL:
 *  -ENOENT for an unknown node, and the errors of need. */
int fk_pt_acquire(struct fk_pt *pt, uint64_t nodeid, enum fk_pt_need need,
		  struct fk_pt_use *u);
/** Let go of what fk_pt_acquire took (nothing if u->node is NULL). */
void fk_pt_drop(struct fk_pt *pt, struct fk_pt_use *u);

/* ---- pt_cred.c ---- */
/* The kernel sends at most a few supplementary groups; we keep 32. */
#define FK_PT_GROUPS_MAX 32
/** Whose identity creates files (host ids, after uid/gid mapping). */
struct fk_pt_who {
	uint32_t uid, gid;
	unsigned ngroups;
	uint32_t groups[FK_PT_GROUPS_MAX];
	/* Keep the daemon's capabilities: only the owner changes (layer
	 * ops); else permissions are checked as this user (FUSE ops). */
	int privileged;
	/* The caller's umask, for the host to apply where the directory has
	 * no default ACL (fk_pt_acl_on: the kernel leaves it to us); 0: the
	 * mode is final. */
	uint32_t umask;
};
/** A FUSE request's caller. */
void fk_pt_who_of_req(fk_req *req, struct fk_pt_who *w);
/** An owner given as shown ids (layer ops), acting privileged. */
void fk_pt_who_of_owner(const struct fk_pt *pt, uint32_t uid, uint32_t gid,
			struct fk_pt_who *w);
/** Act as w (fsuid, fsgid, groups; only when the daemon runs as root)
 *  on this thread, with w's umask (in every daemon), until
 *  fk_pt_cred_restore. */
struct fk_pt_cred_saved {
	int switched;
	int umask_set; /* the thread's umask was set: back to 0 after */
	int give; /* not switched: give what is made to uid, gid */
	uint32_t uid, gid;
};
int fk_pt_cred_switch(const struct fk_pt_who *w, struct fk_pt_cred_saved *s);
void fk_pt_cred_restore(struct fk_pt_cred_saved *s);
/** After making object (fd, name) while switched by s: where the host
 *  could not switch keeping privileges (macOS), give it to the owner now.
 *  0 or -errno. */
int fk_pt_cred_give(const struct fk_pt_cred_saved *s, int fd, const char *name);
/** openat as w. Returns the fd or -errno. */
int fk_pt_openat_as(const struct fk_pt_who *w, int dirfd, const char *name,
		    int flags, mode_t mode);
/** fk_plat_clone_at as w: entry name of dirfd, a clone of open file src,
 *  owned by w. 0 or -errno (then no name is left behind). */
int fk_pt_clone_as(const struct fk_pt_who *w, int src, int dirfd,
		   const char *name);

/* ---- helpers shared by the op files (pt_entry.c; fk_pt_create_at and
 * fk_pt_sync in pt_file.c) ---- */
/** The stat of a node's O_PATH fd (or any fd), not following symlinks. */
int fk_pt_stat_fd(int fd, struct fk_plat_stat *st);
/** The stat of a node reached at at. */
int fk_pt_stat_at(struct fk_pt_at at, struct fk_plat_stat *st);
/** The attributes the mount shows for st: every reply that carries
 *  attributes (lookup, getattr, readdirplus, statx, create) goes through
 *  here, so all show the same inode number and the same mapped owner. */
void fk_pt_stat_to_attr(const struct fk_pt *pt, const struct fk_plat_stat *st,
			 struct fk_attr *a);
/** fk_pt_lookup_name of what was just made as name, of type (S_IFMT
 *  bits): -ESTALE (and no reference) when the host has put an object of
 *  another type there meanwhile. */
int fk_pt_lookup_made(struct fk_pt *pt, struct fk_pt_node *parent,
		      int parent_fd, const char *name, uint32_t type,
		      enum fk_nt_ref ref, struct fk_pt_node **out,
		      struct fk_plat_stat *st);
/** rc is an open's -errno: if it is the descriptor limit (EMFILE, ENFILE)
 *  in fd mode, which holds a descriptor for every inode the kernel knows,
 *  say once in the log which limit it is and the ways out (the caller
 *  sees only the errno). */
void fk_pt_tell_nofile(struct fk_pt *pt, int rc);
/** Look up name in parent (whose pinned descriptor is parent_fd): open it
 *  O_PATH|O_NOFOLLOW, find or make its node. Returns 0 or -errno; on
 *  success *out holds one reference of kind ref, and *st the stat. */
int fk_pt_lookup_name(struct fk_pt *pt, struct fk_pt_node *parent,
		      int parent_fd, const char *name, enum fk_nt_ref ref,
		      struct fk_pt_node **out, struct fk_plat_stat *st);
/** The entry reply for node n with attributes st (their timeout:
 *  fk_pt_attr_ns, so not under the table lock). */
void fk_pt_entry_of(struct fk_pt *pt, struct fk_pt_node *n,
		    const struct fk_plat_stat *st, struct fk_entry *e);
/** fk_pt_lookup_name for the kernel: fills e, takes a kernel reference. */
int fk_pt_do_lookup(struct fk_pt *pt, struct fk_pt_node *parent, int parent_fd,
		    const char *name, struct fk_entry *e);
/** What fk_pt_make makes: a regular file, opened (FILE), or an unnamed
 *  one (TMPFILE, O_TMPFILE), or a node of another type (NOD: fifo,
 *  socket, device), a directory, a symlink. */
enum fk_pt_make_kind {
	FK_PT_MAKE_FILE,
	FK_PT_MAKE_TMPFILE,
	FK_PT_MAKE_NOD,
	FK_PT_MAKE_DIR,
	FK_PT_MAKE_SYMLINK,
};
struct fk_pt_make_args {
	enum fk_pt_make_kind kind;
	const char *name; /* in the parent (not for TMPFILE) */
	uint32_t mode; /* permission bits; NOD: with the type bits */
	uint32_t rdev; /* NOD */
	int flags; /* FILE, TMPFILE: open(2) flags, O_CREAT implied */
	const char *target; /* SYMLINK */
	const struct fk_pt_who *who; /* whose it is, and who makes it */
	enum fk_nt_ref ref; /* the reference *out is given */
};
/** Is this kind opened (its descriptor is fk_pt_make's answer)? */
static inline int fk_pt_make_opens(enum fk_pt_make_kind kind)
{
	return kind == FK_PT_MAKE_FILE || kind == FK_PT_MAKE_TMPFILE;
}
/** Make what a says in parent (pinned descriptor parent_fd) as a->who,
 *  then look it up (as fk_pt_lookup_name): *out with one reference of
 *  kind a->ref, and *st. Returns the open descriptor (FILE, TMPFILE), 0,
 *  or -errno. */
int fk_pt_make(struct fk_pt *pt, struct fk_pt_node *parent, int parent_fd,
	       const struct fk_pt_make_args *a, struct fk_pt_node **out,
	       struct fk_plat_stat *st);
/** fk_pt_make of a FILE (pt_file.c). */
int fk_pt_create_at(struct fk_pt *pt, struct fk_pt_node *parent,
		    int parent_fd, const struct fk_pt_make_args *a,
		    struct fk_pt_node **out, struct fk_plat_stat *st);
/** Give the inode reached at at a new name in parent, then look it up. */
int fk_pt_link_at(struct fk_pt *pt, struct fk_pt_at at, struct fk_pt_node *parent,
		  int parent_fd, const char *newname, enum fk_nt_ref ref,
		  struct fk_pt_node **out, struct fk_plat_stat *st);
/** unlinkat(parent_fd, name, flags), keeping the nodes right; parent_fd
 *  is the pinned descriptor of node parent. */
int fk_pt_remove(struct fk_pt *pt, struct fk_pt_node *parent, int parent_fd,
		 const char *name, int flags);
/** renameat2 of name in a to newname in b (pinned descriptors afd, bfd),
 *  keeping the nodes right; w makes the whiteout of FK_RENAME_WHITEOUT. */
int fk_pt_rename_at(struct fk_pt *pt, struct fk_pt_node *a, int afd,
		    const char *name, struct fk_pt_node *b, int bfd,
		    const char *newname, unsigned flags,
		    const struct fk_pt_who *w);
/** The host filesystem's figures, from any descriptor on it. */
int fk_pt_statfs_fd(int fd, struct fk_statfs *st);
/** syncfs of SOURCE's filesystem. */
int fk_pt_sync(struct fk_pt *pt);
/** Apply a setattr to the node reached at at; fd: an open file of it, or
 *  -1. Ids are shown ids (mapped to the host here). who: the caller, for
 *  FK_SET_KILL_SUIDGID (NULL: one in the file's group). */
int fk_pt_setattr_at(struct fk_pt *pt, struct fk_pt_at at, int fd,
		     const struct fk_setattr_in *in, const struct fk_ctx *who);
/** HANDLE_KILLPRIV_V2: drop set-id bits from the regular file reached at
 *  at (an open file: FK_PT_AT_FD) as a change by who, without CAP_FSETID,
 *  does (fk_mode_kill_suidgid; who NULL: a writer in the file's group).
 *  1 if that changed the mode, 0 if not, or -errno. */
int fk_pt_kill_suidgid(const struct fk_pt *pt, const struct fk_ctx *who,
		       struct fk_pt_at at);
/** Does the caller of req lack CAP_FSETID (fk_caller_has_fsetid)?
 *  Requests that change data without saying so (fallocate,
 *  copy_file_range) drop set-id bits then. */
int fk_pt_caller_unprivileged(fk_req *req);
/** A new open file of the node reached at at (open(2) flags, no O_CREAT):
 *  the descriptor, or -errno. */
int fk_pt_reopen(struct fk_pt_at at, int flags);
/** Names the kernel may send that must never reach the host: "", ".",
 *  "..", anything with '/'. Returns 0 or -errno. */
int fk_pt_check_name(const char *name);

#define FK_PT(req) ((struct fk_pt *)fk_req_fs(req))

/* ---- pt_main.c ---- */
/** Map an id through a mapping: SOURCE -> shown (to_host 0) or back. */
uint32_t fk_pt_map_id(const struct fk_pt_idmap *map, unsigned n, uint32_t id,
		      int to_host);
#define FK_PT_UID_SHOWN(pt, id) fk_pt_map_id((pt)->o.uidmap, (pt)->o.nuidmap, (id), 0)
#define FK_PT_GID_SHOWN(pt, id) fk_pt_map_id((pt)->o.gidmap, (pt)->o.ngidmap, (id), 0)
#define FK_PT_UID_HOST(pt, id) fk_pt_map_id((pt)->o.uidmap, (pt)->o.nuidmap, (id), 1)
#define FK_PT_GID_HOST(pt, id) fk_pt_map_id((pt)->o.gidmap, (pt)->o.ngidmap, (id), 1)
/* The slots of fk_thread_buf the passthrough uses (a READ's data is the
 * session's: fk_reply_fd). */
enum {
	FK_PT_BUF_WRITE,
	FK_PT_BUF_XATTR, /* a get or list reply */
	FK_PT_BUF_XATTR_ALL, /* a host list, before the policy filters it */
	FK_PT_BUFS
};
_Static_assert(FK_PT_BUFS <= FK_THREAD_BUF_SESSION,
	       "the passthrough's slots stay below the session's");

/* The ops, by file. */
void fk_pt_lookup(fk_req *req, const struct fk_name_in *in);
void fk_pt_forget(void *fs, uint64_t ino, uint64_t nlookup);
void fk_pt_getattr(fk_req *req, const struct fk_getattr_in *in);
void fk_pt_setattr(fk_req *req, const struct fk_setattr_in *in);
void fk_pt_readlink(fk_req *req, const struct fk_ino_in *in);
void fk_pt_symlink(fk_req *req, const struct fk_symlink_in *in);
void fk_pt_mknod(fk_req *req, const struct fk_mknod_in *in);
void fk_pt_mkdir(fk_req *req, const struct fk_mkdir_in *in);
void fk_pt_unlink(fk_req *req, const struct fk_name_in *in);
void fk_pt_rmdir(fk_req *req, const struct fk_name_in *in);
void fk_pt_rename(fk_req *req, const struct fk_rename_in *in);
void fk_pt_link(fk_req *req, const struct fk_link_in *in);
void fk_pt_statfs(fk_req *req, const struct fk_ino_in *in);
void fk_pt_statx(fk_req *req, const struct fk_statx_in *in);
void fk_pt_getxtimes(fk_req *req, const struct fk_ino_in *in);
void fk_pt_setvolname(fk_req *req, const struct fk_setvolname_in *in);
void fk_pt_exchange(fk_req *req, const struct fk_exchange_in *in);

void fk_pt_open(fk_req *req, const struct fk_open_in *in);
void fk_pt_create(fk_req *req, const struct fk_create_in *in);
void fk_pt_tmpfile(fk_req *req, const struct fk_create_in *in);
void fk_pt_read(fk_req *req, const struct fk_read_in *in);
void fk_pt_write(fk_req *req, const struct fk_write_in *in);
void fk_pt_flush(fk_req *req, const struct fk_flush_in *in);
void fk_pt_release(fk_req *req, const struct fk_release_in *in);
void fk_pt_fsync(fk_req *req, const struct fk_fsync_in *in);
void fk_pt_fallocate(fk_req *req, const struct fk_fallocate_in *in);
void fk_pt_lseek(fk_req *req, const struct fk_lseek_in *in);
void fk_pt_copy_file_range(fk_req *req, const struct fk_copy_range_in *in);
void fk_pt_getlk(fk_req *req, const struct fk_lock_in *in);
void fk_pt_setlk(fk_req *req, const struct fk_lock_in *in);
/** fk_pt_make of a TMPFILE in directory pfd (O_TMPFILE is added to the
 *  flags): its descriptor, or -errno. */
int fk_pt_tmpfile_at(struct fk_pt *pt, int pfd, const struct fk_pt_make_args *a,
		     struct fk_pt_node **out, struct fk_plat_stat *st);
/** The descriptor of an open directory (opendir's fh). */
int fk_pt_dir_fd(uint64_t fh);
void fk_pt_ioctl(fk_req *req, const struct fk_ioctl_in *in);
void fk_pt_syncfs(fk_req *req, const struct fk_ino_in *in);

void fk_pt_opendir(fk_req *req, const struct fk_open_in *in);
void fk_pt_readdir(fk_req *req, const struct fk_read_in *in);
void fk_pt_readdirplus(fk_req *req, const struct fk_read_in *in);
void fk_pt_releasedir(fk_req *req, const struct fk_release_in *in);
void fk_pt_fsyncdir(fk_req *req, const struct fk_fsync_in *in);

/* ---- pt_export.c ---- */
/** The generation of nodes whose id is their host handle's. */
#define FK_PT_GEN_STABLE 1u
/** Learn whether and how SOURCE's handles make node ids (root_fd, root:
 *  SOURCE's descriptor and attributes). */
void fk_pt_export_init(struct fk_pt *pt, int root_fd,
		       const struct fk_plat_stat *root);
/** The node id inode fd (or name in directory fd; attributes st) is to
 *  have, from its host handle (known: already made, or NULL to make it);
 *  0 where it has none. */
uint64_t fk_pt_export_id(const struct fk_pt *pt, int fd, const char *name,
			 const struct fk_plat_stat *st,
			 const struct fk_plat_handle *known);
/** The node for a FUSE handle's node id the table does not know (LOOKUP
 *  of "." after the node was forgotten, or in an earlier daemon): with a
 *  kernel reference, and its attributes in st. -ESTALE where the id names
 *  no linked inode it may show. */
int fk_pt_export_decode(struct fk_pt *pt, uint64_t nodeid,
			struct fk_pt_node **out, struct fk_plat_stat *st);

/* ---- pt_acl.c ---- */
/** Shall the kernel apply POSIX ACLs (FK_CAP_POSIX_ACL, with DONT_MASK)?
 *  -o acl, xattrs of the system namespace passed, and a thread umask to
 *  hand the caller's to the host (probed on this thread). */
int fk_pt_acl_on(const struct fk_pt *pt);
/** Are ids mapped (uidmapping=, gidmapping=), so ACL values must be? */
int fk_pt_acl_mapped(const struct fk_pt *pt);
/** Map the ids of the named entries in ACL xattr value (size bytes) to
 *  SOURCE's numbering (host) or the mount's, in place. A value that is
 *  not an ACL is left as it is, for the host to judge. */
void fk_pt_acl_map(const struct fk_pt *pt, void *value, size_t size,
		   int host);
/** After name was set at at for a caller the kernel says loses
 *  set-group-ID (FK_SETXATTR_ACL_KILL_SGID): drop it where name is the
 *  access ACL. 0 or -errno. */
int fk_pt_acl_kill_sgid(struct fk_pt_at at, const char *name);

/* pt_xattr.c's work, for the ops and the layer interface: on the node
 * reached at at, through the namespace policy. get and list answer the
 * length (size 0: only that). position: macFUSE's resource-fork offset
 * (0 elsewhere). */
int fk_pt_xattr_get(struct fk_pt *pt, struct fk_pt_at at, const char *name,
		    void *buf, size_t size, uint32_t position);
int fk_pt_xattr_list(struct fk_pt *pt, struct fk_pt_at at, char *buf,
		     size_t size);
int fk_pt_xattr_set(struct fk_pt *pt, struct fk_pt_at at, const char *name,
		    const void *value, size_t size, int flags,
		    uint32_t position);
int fk_pt_xattr_remove(struct fk_pt *pt, struct fk_pt_at at, const char *name);

/* ---- pt_override.c ---- */
/** Does the override apply to objects of this type (S_IFMT bits)? */
int fk_pt_override_applies(const struct fk_pt *pt, uint32_t type);
/** Replace the owner and permission bits of sx (the node reached at at)
 *  by its override, where it has one. */
void fk_pt_override_stat(const struct fk_pt *pt, struct fk_pt_at at,
			 struct fk_plat_stat *sx);
/** Record host ids uid, gid and permission bits perm as at's override. */
int fk_pt_override_write(const struct fk_pt *pt, struct fk_pt_at at,
			 uint32_t uid, uint32_t gid, uint32_t perm);
/** setattr of a node the override applies to: mode and owner into the
 *  xattr (clearing set-id bits on chown as the host would), the rest as
 *  fk_pt_setattr_at does. */
int fk_pt_override_setattr(struct fk_pt *pt, struct fk_pt_at at,
			   const struct fk_setattr_in *in);
/** The override the root carries (fk_pt_layer_new). */
enum fk_pt_override fk_pt_override_detect(const struct fk_pt *pt);

void fk_pt_setxattr(fk_req *req, const struct fk_setxattr_in *in);
void fk_pt_getxattr(fk_req *req, const struct fk_getxattr_in *in);
void fk_pt_listxattr(fk_req *req, const struct fk_listxattr_in *in);
void fk_pt_removexattr(fk_req *req, const struct fk_removexattr_in *in);

#endif /* FK_PT_H */
