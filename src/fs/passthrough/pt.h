/*
 * pt.h — the passthrough filesystem's private structures (fk_pt_*).
 *
 *   pt_node.c   the node table: host (dev, ino, mount id) <-> FUSE node id
 *   pt_hold.c   how a node reaches its inode (inode=fd|handle|lazy) and
 *               the descriptor cache the handle and lazy modes share
 *   pt_cred.c   acting with the caller's fsuid/fsgid/groups
 *   pt_entry.c  lookup, getattr, setattr, create/link/remove/rename, statfs
 *   pt_file.c   open, read, write, sync, fallocate, locks, copy, lseek, ioctl
 *   pt_dir.c    opendir, readdir(plus), releasedir
 *   pt_xattr.c  extended attributes
 *   pt_main.c   options, setup, the ops table
 *
 * Node lifetime. A node is referenced by the kernel (nlookup: entry
 * replies minus forgets) and by operations in progress (refs, taken by
 * fk_pt_node_get and dropped by fk_pt_node_put). It is freed, and its
 * O_PATH descriptor closed, when both reach zero. The root is never freed.
 * The kernel never sees our pointers: node ids are table keys, so a stale
 * or forged id is an ENOENT, not a crash.
 *
 * Descriptors. With inode=fd every node owns its O_PATH descriptor for
 * life. With inode=handle or inode=lazy a node owns a way to reopen its
 * inode (a file handle, or its parent and name) and its descriptor, like
 * an open file's, lives in a cache of at most fd_cap descriptors: an
 * operation pins the descriptor it uses (fk_pt_node_at/fk_pt_file_fd) and
 * unpins it when done, and only unpinned descriptors are closed to make
 * room. The root's descriptor is never closed. In lazy mode a node holds
 * an operation reference on its parent, so the chain to the root exists
 * while the node does, and rename moves a node by changing its parent.
 */
#ifndef FK_PT_H
#define FK_PT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <fusekit/fk_passthrough.h>
#include <fusekit/fk_session.h>

/* A descriptor the cache may close and reopen (handle and lazy modes),
 * or a fixed one (fd mode, the root). Fields under the table lock. */
struct fk_pt_cfd {
	int fd; /* -1 while closed */
	unsigned pins; /* operations using fd now; never closed while > 0 */
	int listed; /* counted in the cache's LRU list */
	struct fk_pt_cfd *newer, *older; /* LRU list */
};

struct fk_pt_node {
	uint64_t nodeid;
	uint64_t dev, ino, mnt_id;
	/* Birth time, to tell a new file from a deleted one whose inode
	 * number the host reused (0 where the host has none). */
	int64_t btime_sec;
	uint32_t btime_nsec;
	int keyed; /* still in the by_key index */
	struct fk_pt_cfd cfd; /* O_PATH, O_NOFOLLOW */
	/* One pin held for the node's life: its inode cannot be reopened by
	 * name or handle (an O_TMPFILE file, a file unlinked while open). */
	int kept;
	unsigned opens; /* open files of this node (under table lock) */
	struct fk_pt_node *parent; /* lazy mode: holds a reference */
	char *name; /* lazy mode: the name in parent */
	struct file_handle *handle; /* handle mode; NULL: held by fd */
	mode_t type; /* S_IFMT bits */
	uint64_t nlookup; /* under table lock */
	uint64_t refs; /* under table lock */
	/* Kernel passthrough allows one backing file per inode: every open
	 * of the node shares this id (under table lock). */
	int backing_id;
	uint32_t backing_users;
	struct fk_pt_node *next_id, *next_key; /* hash chains */
};

struct fk_pt_table {
	pthread_mutex_t lock;
	struct fk_pt_node **by_id;
	struct fk_pt_node **by_key;
	size_t nbuckets; /* power of two */
	size_t count;
	uint64_t next_id;
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
	uint64_t entry_ns, attr_ns, negative_ns;
	struct fk_pt_table table;
	struct fk_pt_fdcache fdc;
	struct fk_pt_mount_fd mount_fds[FK_PT_MAX_MOUNT_FDS];
	unsigned nmount_fds;
	/* Lazy mode: a name change (rename, unlink) on the host and the
	 * nodes' names updated after it are one step for anyone resolving a
	 * node's path (write: changes; read: reopen by path). */
	pthread_rwlock_t names;
	struct fk_pt_node *root;
	atomic_int passthrough_ok; /* backing ids work here (until EPERM) */
};

/* An open file: fh is a pointer to this (the kernel returns fh as given).
 * It holds an operation reference on its node while open. */
struct fk_pt_file {
	struct fk_pt_cfd cfd;
	int flags; /* to reopen it: the open flags, less O_CREAT|O_EXCL|O_TRUNC */
	int odirect; /* fd has O_DIRECT: buffers must be aligned */
	int passthrough; /* counted in node->backing_users */
	struct fk_pt_node *node;
};

/* ---- pt_node.c ---- */
int fk_pt_table_init(struct fk_pt_table *t);
void fk_pt_table_destroy(struct fk_pt_table *t);
/** Under the table lock: free n if nothing references it any more. */
void fk_pt_node_maybe_free(struct fk_pt *pt, struct fk_pt_node *n);
/** Find a node by id and take an operation reference; NULL if unknown. */
struct fk_pt_node *fk_pt_node_get(struct fk_pt *pt, uint64_t nodeid);
void fk_pt_node_put(struct fk_pt *pt, struct fk_pt_node *n);
/** fk_pt_node_get for a request's node: answers ENOENT itself when the
 *  node is unknown (then returns NULL). */
struct fk_pt_node *fk_pt_node_of(fk_req *req, uint64_t nodeid);
/**
 * The node for the O_PATH fd (consumed) with stat st, found as name in
 * parent (NULL for an unnamed file): an existing node for the same host
 * inode, or a new one. Adds one kernel lookup reference. Returns NULL
 * with fd closed on allocation failure.
 */
struct fk_pt_node *fk_pt_node_lookup(struct fk_pt *pt, int fd,
				     const struct statx *st,
				     struct fk_pt_node *parent, const char *name);
/** The node of host inode st, if the table has one (no reference). Under
 *  the table lock. */
struct fk_pt_node *fk_pt_node_find(struct fk_pt *pt, const struct statx *st);
/** Make the root node (id FK_ROOT_INO, never freed) from its fd. */
struct fk_pt_node *fk_pt_node_root(struct fk_pt *pt, int fd,
				   const struct statx *st);
/** Share the node's backing id (registering fd as the backing file if it
 *  has none). Returns the id (> 0) or -errno. */
int fk_pt_backing_get(struct fk_pt *pt, fk_session *se, struct fk_pt_node *n,
		      int fd);
/** Drop one user of the node's backing id; the last closes it. */
void fk_pt_backing_put(struct fk_pt *pt, fk_session *se, struct fk_pt_node *n);
/** Drop n kernel lookup references from a node. */
void fk_pt_node_forget(struct fk_pt *pt, uint64_t nodeid, uint64_t n);

/* ---- pt_hold.c ---- */
/** Choose the mode (handle falls back to fd where open_by_handle_at is not
 *  permitted) and the cache size; after the root exists. */
void fk_pt_hold_init(struct fk_pt *pt);
/** Give a new node its O_PATH fd (consumed) and, in handle and lazy mode,
 *  its way back (handle, or parent and name). Under the table lock;
 *  handle: from fk_pt_hold_handle, taken over. Returns 0 or -ENOMEM. */
int fk_pt_hold_attach(struct fk_pt *pt, struct fk_pt_node *n, int fd,
		      struct fk_pt_node *parent, const char *name,
		      struct file_handle *handle);
/** Handle mode: the file handle of O_PATH fd (NULL: hold it by fd). */
struct file_handle *fk_pt_hold_handle(struct fk_pt *pt, int fd,
				      const struct statx *st);
/** A lookup met node n again as name in parent: offer the fresh fd to the
 *  cache (else it is closed) and, in lazy mode, remember the newest name.
 *  Under the table lock. */
void fk_pt_hold_refresh(struct fk_pt *pt, struct fk_pt_node *n, int fd,
			struct fk_pt_node *parent, const char *name);
/** Release what a node holds (descriptor, handle, name, parent
 *  reference). Under the table lock, when the node is freed. */
void fk_pt_hold_detach(struct fk_pt *pt, struct fk_pt_node *n);
/** Pin the node's O_PATH descriptor, reopening it if needed. Returns it,
 *  or -errno (ESTALE: the inode is no longer where the node says). */
int fk_pt_node_fd(struct fk_pt *pt, struct fk_pt_node *n);
void fk_pt_node_unfd(struct fk_pt *pt, struct fk_pt_node *n);
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
 *  (fk_pt_hold_renamed): lazy mode resolves no path meanwhile. Only
 *  fk_pt_node_* calls in between. */
void fk_pt_names_change_begin(struct fk_pt *pt);
void fk_pt_names_change_end(struct fk_pt *pt);
/** Lazy mode: name in parent was renamed to newname in newparent (flags as
 *  renameat2), or removed (newparent NULL): update the nodes involved.
 *  moved/victim: the host inodes at the names before the call (NULL if
 *  none). */
void fk_pt_hold_renamed(struct fk_pt *pt, const struct statx *moved,
			const struct statx *victim, struct fk_pt_node *newparent,
			const char *newname, struct fk_pt_node *oldparent,
			const char *oldname, unsigned flags);

/** A node in use: operation reference and pinned descriptor. Answers the
 *  request itself and returns NULL when the node is unknown or gone. */
struct fk_pt_node *fk_pt_node_at(fk_req *req, uint64_t nodeid, int *fd);
/** The same without answering: NULL with *fd = -errno. */
struct fk_pt_node *fk_pt_node_use(struct fk_pt *pt, uint64_t nodeid, int *fd);
/** Undo fk_pt_node_at/fk_pt_node_use (NULL is fine). */
void fk_pt_node_done(struct fk_pt *pt, struct fk_pt_node *n);

/* ---- pt_cred.c ---- */
/** Act as the request's caller (fsuid, fsgid, groups) on this thread until
 *  fk_pt_cred_restore. Only does anything when the daemon runs as root. */
struct fk_pt_cred_saved {
	int switched;
};
int fk_pt_cred_switch(fk_req *req, struct fk_pt_cred_saved *s);
void fk_pt_cred_restore(struct fk_pt_cred_saved *s);

/* ---- helpers shared by the op files (pt_entry.c) ---- */
/** statx of a node's O_PATH fd, not following symlinks. */
int fk_pt_stat_fd(int fd, struct statx *st);
/** The attributes the mount shows for st: every reply that carries
 *  attributes (lookup, getattr, readdirplus, statx, create) goes through
 *  here, so all show the same inode number and the same mapped owner. */
void fk_pt_statx_to_attr(const struct fk_pt *pt, const struct statx *st,
			 struct fk_attr *a);
/** Look up name in parent (whose pinned descriptor is parent_fd): open it
 *  O_PATH|O_NOFOLLOW, find or make its node, fill e. Returns 0 or -errno.
 *  Takes one kernel reference. */
int fk_pt_do_lookup(struct fk_pt *pt, struct fk_pt_node *parent, int parent_fd,
		    const char *name, struct fk_entry *e);
/** Open name in dirfd as the request's caller (creating files). Returns
 *  the fd or -errno. */
int fk_pt_openat_as_caller(fk_req *req, int dirfd, const char *name,
			   int flags, mode_t mode);
/** Reopen an O_PATH fd with real access (through /proc/self/fd). */
int fk_pt_reopen(int opath_fd, int flags);
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
enum { FK_PT_BUF_READ, FK_PT_BUF_WRITE, FK_PT_BUF_XATTR, FK_PT_NBUFS };
/** This thread's buffer number which, grown to size and page aligned;
 *  NULL if out of memory. Valid until the thread's next call with the
 *  same which. */
void *fk_pt_thread_buf(int which, size_t size);

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
void fk_pt_ioctl(fk_req *req, const struct fk_ioctl_in *in);
void fk_pt_syncfs(fk_req *req, const struct fk_ino_in *in);

void fk_pt_opendir(fk_req *req, const struct fk_open_in *in);
void fk_pt_readdir(fk_req *req, const struct fk_read_in *in);
void fk_pt_readdirplus(fk_req *req, const struct fk_read_in *in);
void fk_pt_releasedir(fk_req *req, const struct fk_release_in *in);
void fk_pt_fsyncdir(fk_req *req, const struct fk_fsync_in *in);

void fk_pt_setxattr(fk_req *req, const struct fk_setxattr_in *in);
void fk_pt_getxattr(fk_req *req, const struct fk_getxattr_in *in);
void fk_pt_listxattr(fk_req *req, const struct fk_listxattr_in *in);
void fk_pt_removexattr(fk_req *req, const struct fk_removexattr_in *in);

#endif /* FK_PT_H */
