/*
 * ovl.h — the overlay filesystem's private structures (fk_ovl_*).
 *
 *   ovl_node.c  merged nodes in the shared node table (../node), the
 *               tree lock
 *   ovl_ops.c   lookup through the layers (and redirects), attributes,
 *               readlink, statfs, reading xattrs; the ops table, setup
 *   ovl_dir.c   merged directory listings and their cache
 *   ovl_file.c  open files: data, sync, fallocate, lseek, copy, ioctl
 *   ovl_copyup.c  copy-up: a lower node made an upper one, atomically
 *   ovl_write.c the changing operations (upper layer only)
 *
 * A merged node is a stack of layer nodes, topmost first: one for a file
 * (what is below it is hidden), one per layer that has the directory
 * down to the first opaque one for a directory. The topmost layer node
 * names the merged node: the table finds nodes by its (layer, dev, ino),
 * so hard links and repeated lookups meet the same node.
 *
 * Lifetime: as in passthrough, a node lives while the kernel holds
 * lookup references (nlookup) or an operation uses it (refs); the root
 * never goes. Its layer handles are put when it is freed. A node holds
 * an operation reference on the directory it was last found in (parent),
 * so copy-up can always walk up to the root.
 *
 * With an upper layer (fk_ovl.upper), layers[0] is it. Operations that
 * change the tree (create, remove, rename, a copy-up's last step) hold
 * the tree lock for writing; those that only read hold it for reading, so
 * a node's stack and parent never change under a reader. A node becomes
 * upper only by a copy-up, and stays upper: once an operation has seen
 * it upper, that holds whatever lock it lets go.
 *
 * Copy-up is called with no tree lock held, before the operation that
 * needs it takes its own: the copy is built in the work directory under
 * the node's copy_lock alone (others copying the same node wait on that
 * node, as on kernel overlayfs's per-inode lock), and only the rename
 * into place takes the tree lock for writing. A caller never has the
 * lock it holds let go under it.
 *
 * Lock order: a node's copy_lock (a parent's before its child's), then
 * the tree lock, then the node table's lock (fk_ovl.nodes), then
 * dcache_lock.
 */
#ifndef FK_OVL_H
#define FK_OVL_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include <fusekit/fk_overlay.h>
#include <fusekit/fk_session.h>

#include "../node/fk_node_table.h"
#include "../../util/fk_backing_slot.h"
#include "../../util/fk_thread_buf.h"

/* The slots of fk_thread_buf the overlay uses (a READ's data is the
 * session's: fk_reply_fd). */
enum { FK_OVL_BUF_WRITE, FK_OVL_BUF_COPY, FK_OVL_BUFS };
_Static_assert(FK_OVL_BUFS <= FK_THREAD_BUF_SESSION,
	       "the overlay's slots stay below the session's");

struct ovl_listing; /* ovl_dir.c */
struct fk_un; /* ../union/un.h */

struct fk_ovl_layer_ref {
	unsigned layer; /* index into fk_ovl.layers */
	struct fk_layer_node *h; /* one reference, held by the node */
};

struct fk_ovl_node {
	struct fk_nt_node tn; /* id, references: the shared node table's */
	uint32_t type; /* S_IFMT bits */
	unsigned depth; /* entries in stack */
	/* Topmost first: &only for a stack of one (most nodes: files, and
	 * directories of one layer), else on the heap. */
	struct fk_ovl_layer_ref *stack;
	struct fk_ovl_layer_ref only;
	uint64_t key_dev, key_ino; /* of stack[0] */
	/* The inode number shown, kept across copy-up: that of the first
	 * lower layer's node (kernel overlayfs's origin); 0: stack[0]'s. */
	uint64_t origin_ino;
	/* Bumped when the stack changes (copy-up): a passthrough backing
	 * file registered before is of the old topmost file. */
	uint64_t stack_gen;
	struct fk_backing_slot backing; /* under the node table's lock */
	struct ovl_listing *listing; /* cached merged listing (dcache_lock) */
	/* Is the upper directory impure (holds copies)? 0 unknown, 1 no,
	 * 2 yes; reset when the stack changes. */
	atomic_int impure;
	struct fk_ovl_node *parent; /* NULL for the root */
	char *name; /* in parent */
	/* Held while the node is copied up (fk_ovl_copy_up), never with the
	 * tree lock held: one copy per node, and others wait here. */
	pthread_mutex_t copy_lock;
	/* Open files (struct ovl_file) of this node. */
	atomic_uint opens;
	/* Lookups in it, until its listing serves them (ovl_dir.c:
	 * fk_ovl_dir_hint): counted up from 0, or from minus a share of the
	 * size of a listing a change dropped; FK_OVL_HINT_NEVER: never. */
	atomic_int lookups;
	/* The file's contents version at its last open through the daemon
	 * (fk_cache_keep.h; 0: none yet). Atomic: opens race. */
	uint64_t cache_seen;
};

struct fk_ovl {
	struct fk_ovl_options o;
	uint64_t entry_ns, attr_ns, negative_ns;
	struct fk_layer **layers;
	unsigned nlayers;
	int same_dev; /* every layer on one device: inode numbers as they are */
	int upper; /* layers[0] is the writable upper layer */
	struct fk_layer_node *work; /* its work directory */
	pthread_rwlock_t tree;
	atomic_int passthrough_ok; /* backing ids work here (until EPERM) */
	/* For fk_ovl_get_stats: lookups from the kernel, and of a name in
	 * a layer (lookup_step), made for any reason. */
	atomic_uint_fast64_t lookups, layer_lookups;
	/* The merged-listing cache (ovl_dir.c). */
	pthread_mutex_t dcache_lock;
	struct ovl_listing *dc_newest, *dc_oldest;
	size_t dc_names, dc_listings, dc_cap;
	struct fk_nt nodes; /* keyed by the topmost layer node's identity */
	struct fk_ovl_node *root;
	/* A union (../union): the layers are branches with modes, changes
	 * go to the branches the policies pick (un_write.c), and nothing is
	 * copied up; upper is 0. NULL for an overlay. */
	struct fk_un *un;
};

/** Can anything change through ovl (an upper layer, or a union)? */
static inline int fk_ovl_writable(const struct fk_ovl *ovl)
{
	return ovl->upper || ovl->un;
}

/** The owner of what req's caller makes. */
/** The daemon's own identity, for what it makes for itself (markers,
 *  whiteouts, work objects). */
static inline struct fk_layer_cred fk_ovl_own_cred(void)
{
	return (struct fk_layer_cred){ .uid = (uint32_t)geteuid(),
				       .gid = (uint32_t)getegid() };
}

static inline struct fk_layer_cred fk_ovl_cred_of(fk_req *req)
{
	const struct fk_ctx *c = fk_req_ctx(req);
	/* The umask goes with the mode, for the upper layer to apply or not
	 * (fk_layer_cred; ovl_init asks for DONT_MASK). */
	return (struct fk_layer_cred){ c->uid, c->gid, fk_req_umask(req) };
}

/* An open file: fh is a pointer to this. */
struct ovl_file {
	int fd; /* the layer's descriptor */
	int odirect; /* fd has O_DIRECT: buffers must be aligned */
	int writes; /* opened for writing */
	enum fk_backing_kind backing; /* how node->backing counts it */
	struct fk_ovl_node *node; /* an operation reference, for its life */
};

/* ---- ovl_node.c ---- */
/** The tree lock, taken only through these: each thread knows what it
 *  holds of it, so a function can assert its contract. */
enum { FK_OVL_TREE_NONE, FK_OVL_TREE_READ, FK_OVL_TREE_WRITE };
void fk_ovl_tree_read(struct fk_ovl *ovl);
void fk_ovl_tree_write(struct fk_ovl *ovl);
void fk_ovl_tree_unlock(struct fk_ovl *ovl);
/** What this thread holds of the tree lock (FK_OVL_TREE_*). */
int fk_ovl_tree_held(void);
int fk_ovl_table_init(struct fk_ovl *ovl);
void fk_ovl_table_destroy(struct fk_ovl *ovl);
/** The node with this id, with an operation reference; NULL if unknown. */
struct fk_ovl_node *fk_ovl_node_get(struct fk_ovl *ovl, uint64_t nodeid);
void fk_ovl_node_put(struct fk_ovl *ovl, struct fk_ovl_node *n);
/** The origin inode number of the node whose topmost layer node is
 *  (layer, dev, ino), if the table has one that was copied up; else 0. */
uint64_t fk_ovl_node_origin(struct fk_ovl *ovl, unsigned layer, uint64_t dev,
			    uint64_t ino);
/** One more operation reference to n. */
void fk_ovl_node_hold(struct fk_ovl *ovl, struct fk_ovl_node *n);
/* Stack entries a lookup keeps in its fk_ovl_found, without a malloc. */
#define FK_OVL_FOUND_INLINE 4
/** What a lookup found: the stack (topmost first; its references are
 *  taken over) and the identity of its topmost node. The stack is
 *  f->inline_refs while it fits there, else on the heap: so an
 *  fk_ovl_found is never copied, and is let go by fk_ovl_found_drop or
 *  given to a node (fk_ovl_node_enter, fk_ovl_found_take). */
struct fk_ovl_found {
	uint32_t type; /* S_IFMT bits */
	struct fk_ovl_layer_ref *stack;
	unsigned depth;
	uint64_t dev, ino; /* of stack[0] */
	uint64_t origin_ino; /* see fk_ovl_node; 0: none */
	/* On -ENOENT: the layer whose whiteout hid the name, or -1. */
	int hidden_at;
	struct fk_ovl_layer_ref inline_refs[FK_OVL_FOUND_INLINE];
};
/** Put f's stack references and free its stack if on the heap. */
void fk_ovl_found_drop(struct fk_ovl *ovl, struct fk_ovl_found *f);
/** f's stack, on the heap and sized to its depth, for a node to own (f
 *  no longer does); NULL when out of memory (f still owns it). */
struct fk_ovl_layer_ref *fk_ovl_found_take(struct fk_ovl_found *f);
/**
 * The node for what a lookup of name in parent found (the stack is freed
 * if an equal node exists; that node's name becomes this one). Adds a
 * kernel reference (kernel) or an operation one. NULL on allocation
 * failure (the stack is released). parent NULL: an unnamed upper file
 * (O_TMPFILE), which never needs a copy-up.
 */
struct fk_ovl_node *fk_ovl_node_enter(struct fk_ovl *ovl,
				      struct fk_ovl_found *f,
				      struct fk_ovl_node *parent,
				      const char *name, int kernel);
/** n's parent (NULL: the root, an unnamed file) with an operation
 *  reference, and with name non-NULL n's name there (to free; NULL when
 *  out of memory). A lookup under the tree read lock may move n to
 *  another place it was found (the table's lock guards n->parent and
 *  n->name then), so a reader holding only the read lock takes them
 *  here; under the write lock they hold still. */
struct fk_ovl_node *fk_ovl_node_parent(struct fk_ovl *ovl,
				       struct fk_ovl_node *n, char **name);
/** Replace n's stack (after a copy-up, or a union's directory made on
 *  one more branch): it is keyed by the new topmost node. The old
 *  stack's references are put. */
void fk_ovl_node_restack(struct fk_ovl *ovl, struct fk_ovl_node *n,
			 struct fk_ovl_layer_ref *stack, unsigned depth,
			 uint64_t dev, uint64_t ino);
/** n is now name in parent (after a rename). 0 or -ENOMEM. */
int fk_ovl_node_move(struct fk_ovl *ovl, struct fk_ovl_node *n,
		     struct fk_ovl_node *parent, const char *name);
/** Make the root from its stack (id FK_ROOT_INO). */
struct fk_ovl_node *fk_ovl_node_root(struct fk_ovl *ovl,
				     struct fk_ovl_found *f);
void fk_ovl_node_forget(struct fk_ovl *ovl, uint64_t nodeid, uint64_t count);
/** Every directory node in the table, each with an operation reference
 *  (put them, free the array): *count of them; NULL when out of memory. */
struct fk_ovl_node **fk_ovl_dirs_held(struct fk_ovl *ovl, size_t *count);

/* ---- ovl_ops.c ---- */
/** Look name up in directories dirs (one per layer, topmost first),
 *  through the layers: 0 or -errno (-ENOENT: not there, or whited out). */
int fk_ovl_lookup_in(struct fk_ovl *ovl, const struct fk_ovl_layer_ref *dirs,
		     unsigned ndirs, const char *name, struct fk_ovl_found *f,
		     struct fk_layer_stat *top);
/** fk_ovl_lookup_in below parent, with the origin number of a copy. */
int fk_ovl_lookup_found(struct fk_ovl *ovl, struct fk_ovl_node *parent,
			const char *name, struct fk_ovl_found *f,
			struct fk_layer_stat *top);
/** The root's stack: the roots of layers[0..n) (indexes into
 *  fk_ovl.layers, topmost first), down to the first opaque one; its
 *  identity is that of the first. 0 or -errno. */
int fk_ovl_root_found(struct fk_ovl *ovl, const unsigned *layers, unsigned n,
		      struct fk_ovl_found *f);
/** The redirect xattr of directory h in layer (a name, or a path from
 *  the root starting with '/'), to free; NULL if none or not valid. */
char *fk_ovl_redirect_of(struct fk_ovl *ovl, unsigned layer,
			 struct fk_layer_node *h);
/** The attributes n shows, read from its topmost layer node. */
int fk_ovl_top_attr(struct fk_ovl *ovl, const struct fk_ovl_node *n,
		    struct fk_attr *a);
/** The attributes n shows, from its topmost layer node's st: 0, or
 *  -ESTALE when st is of another type than n (the host put something
 *  else in the place of n's object: the kernel would take a node that
 *  changes type for a broken filesystem, EIO for good). */
int fk_ovl_attr_of(const struct fk_ovl *ovl, const struct fk_ovl_node *n,
		    const struct fk_layer_stat *st, struct fk_attr *a);
/** Does an option keep xattr name from the mount (noxattrs, noacl)?
 *  -EOPNOTSUPP, or 0. */
int fk_ovl_xattr_refused(const struct fk_ovl *ovl, const char *name);

/** The entry reply for node n with topmost attributes st (their
 *  timeout: fk_ovl_attr_ns). */
void fk_ovl_entry_of(struct fk_ovl *ovl, const struct fk_ovl_node *n,
		     const struct fk_layer_stat *st, struct fk_entry *e);
/** How long the kernel may keep n's attributes: not at all while n has a
 *  kernel-passthrough open for writing (writes through a shared mapping
 *  change the backing file unseen: docs/posix.md), else attr_timeout.
 *  No lock taken. */
uint64_t fk_ovl_attr_ns(struct fk_ovl *ovl, const struct fk_ovl_node *n);
/** Answer with e; if the kernel did not take it, forget the reference. */
void fk_ovl_reply_entry(fk_req *req, const struct fk_entry *e);
/** The inode number a node of layer shows for the layer's inode ino. */
uint64_t fk_ovl_shown_ino(const struct fk_ovl *ovl, unsigned layer,
			  uint64_t ino);

/** Can writable layer up write device whiteouts and opaque xattrs? A
 *  daemon that may not make device nodes or set the prefix's xattrs (a
 *  user namespace without whiteout support, a filesystem without user
 *  xattrs) writes the OCI format instead, as fuse-overlayfs falls back;
 *  both are read anyway. Probed once, in its work directory. */
void fk_ovl_choose_format(struct fk_layer *up, struct fk_layer_node *work);

/* ---- ovl_dir.c ---- */
/** Does the merged directory n show no entry? 1, 0, or -errno. Under the
 *  tree lock. */
int fk_ovl_dir_empty(struct fk_ovl *ovl, struct fk_ovl_node *n);
/** What the cached listing of merged directory n says of name, for a
 *  lookup from the kernel, so that it need not ask each layer in turn:
 *  FK_OVL_HINT_ABSENT (no layer shows it), the stack index of the
 *  non-directory that shows it (the only layer to look in), or
 *  FK_OVL_HINT_WALK (no listing to trust, or a directory: look through
 *  every layer). A listing is trusted for the entry timeout after its
 *  layer directories' times were last found unchanged (a host's change
 *  below is seen as late as a kernel's cached entry would show it); a
 *  directory gets one once walking its layers has cost 16 layer lookups
 *  (at once over 16 layers, on the 8th lookup over 2), if it fits the
 *  cache. Under the tree lock. */
#define FK_OVL_HINT_WALK (-1)
#define FK_OVL_HINT_ABSENT (-2)
#define FK_OVL_HINT_NEVER INT_MIN
int fk_ovl_dir_hint(struct fk_ovl *ovl, struct fk_ovl_node *n, const char *name);
/** Forget n's cached listing (its directory changed). */
void fk_ovl_dircache_drop(struct fk_ovl *ovl, struct fk_ovl_node *n);
/** Cached listings and the names they hold. */
void fk_ovl_dircache_stats(struct fk_ovl *ovl, uint64_t *listings,
			   uint64_t *names);
/** Fill the directory operations into ops. */
void fk_ovl_dir_ops(struct fk_ops *ops);

/* ---- ovl_file.c ---- */
/** Answer an open (or, with created, a create) with a new ovl_file
 *  holding fd and node n (whose operation reference it takes over), or
 *  with -fd when fd < 0. fd is consumed. gen: n's stack_gen when fd was
 *  opened (which file fd is, for kernel passthrough). */
void fk_ovl_reply_open(fk_req *req, struct fk_ovl_node *n, int fd,
		       uint64_t gen, uint32_t open_flags,
		       const struct fk_entry *created);
/** Fill the open-file operations into ops. */
void fk_ovl_file_ops(struct fk_ops *ops);

/* ---- ovl_copyup.c ---- */
/** The data of src (size bytes, holes kept) into dst, fsynced unless
 *  fsync=0; copied: it is there already (a clone). 0 or -errno. */
int fk_ovl_copy_data(struct fk_ovl *ovl, int src, int dst, uint64_t size,
		     int copied);
/** Copy node lh's xattrs (of layer lo) to node h of layer up, less the
 *  overlay's markers; those up refuses (EOPNOTSUPP) are dropped, as
 *  kernel overlayfs drops them. 0 or -errno. */
int fk_ovl_copy_xattrs(struct fk_layer *lo, struct fk_layer_node *lh,
		       struct fk_layer *up, struct fk_layer_node *h);
/** The xattr (after the layer's prefix) in which a copy-up records the
 *  inode number its origin showed, so the number survives a remount: a
 *  decimal number. (Kernel overlayfs records a file handle in
 *  <prefix>origin instead, which this overlay does not write yet.) */
#define FK_OVL_ORIGIN_XATTR "fusekit.origin"
/** The number of the lower file kernel overlayfs recorded as upper file
 *  h's origin (<prefix>origin, a file handle), when the layers share one
 *  filesystem and it has no other links; else 0. */
uint64_t fk_ovl_kernel_origin(struct fk_ovl *ovl, struct fk_layer_node *h);
/** The origin number recorded on upper node h, or 0. */
uint64_t fk_ovl_recorded_origin(struct fk_ovl *ovl, struct fk_layer_node *h);
/** Does upper directory h hold copied-up files (<prefix>impure = "y", as
 *  kernel overlayfs marks such directories)? Their listings look up the
 *  recorded origin numbers. 1 or 0. */
int fk_ovl_is_impure(struct fk_ovl *ovl, struct fk_layer_node *h);
/** fk_ovl_is_impure of directory node n's upper directory, remembered in
 *  the node; 0 when n has none. */
int fk_ovl_dir_impure(struct fk_ovl *ovl, struct fk_ovl_node *n);
/** With no tree lock held: make n an upper node (its parents first), as
 *  kernel overlayfs copies up. 0 (also when n is upper already) or
 *  -errno, with nothing changed in the upper layer. The caller takes the
 *  tree lock after it; n is upper then and stays so. A directory copied
 *  up becomes merged, and shows nlink 1 from then on: the kernel's
 *  cached attributes of it are dropped through se. */
int fk_ovl_copy_up(struct fk_ovl *ovl, fk_session *se, struct fk_ovl_node *n);
/** Where a copy-up puts its copy: a layer and its work directory. */
struct fk_ovl_dest {
	unsigned layer;
	struct fk_layer_node *work;
};
/** Copy n (a node on a layer that may not be written) to to->layer,
 *  built in to->work and renamed into n's parent there, which must
 *  exist on that layer (-EAGAIN otherwise: make it and try again). With
 *  no tree lock held, under n's copy_lock; 0 also when n was copied
 *  meanwhile. */
int fk_ovl_copy_one(struct fk_ovl *ovl, struct fk_ovl_node *n, unsigned flags,
		    const struct fk_ovl_dest *to);
/** fk_ovl_copy_up with flags for n itself (its parents are copied
 *  whole): FK_OVL_COPY_NO_DATA, the contents are not needed (the opener
 *  truncates). */
#define FK_OVL_COPY_NO_DATA 1u
/** Attempts before a copy-up, or a rename that needs one, gives up with
 *  -EAGAIN when what it depends on keeps changing meanwhile (a lower
 *  hard link found in other directories; names the host replaces). */
#define FK_OVL_COPY_TRIES 8
int fk_ovl_copy_up_as(struct fk_ovl *ovl, fk_session *se,
		      struct fk_ovl_node *n, unsigned flags);

/* ---- ovl_write.c ---- */
/** Fill the changing operations into ops. */
void fk_ovl_write_ops(struct fk_ops *ops);
/** What a create-type operation makes. */
enum fk_ovl_make_kind { FK_OVL_MAKE_FILE, FK_OVL_MAKE_DIR, FK_OVL_MAKE_NOD,
			FK_OVL_MAKE_SYMLINK, FK_OVL_MAKE_LINK };
struct fk_ovl_make {
	enum fk_ovl_make_kind kind;
	uint32_t mode, rdev;
	int flags; /* FILE: open flags */
	int want_fd; /* FILE: answer with the open file (create) */
	const char *target; /* SYMLINK */
	struct fk_layer_node *src; /* LINK: the node in the same layer */
	struct fk_layer_cred cred;
};
/** The node for what was just made as name in parent (NULL: unnamed):
 *  h of layer, attributes st, with a kernel reference. NULL on
 *  allocation failure (h is put). */
struct fk_ovl_node *fk_ovl_node_made(struct fk_ovl *ovl, unsigned layer,
				     struct fk_layer_node *h,
				     const struct fk_layer_stat *st,
				     struct fk_ovl_node *parent, const char *name);
/** Answer a create-type request: rc < 0, the error; else with the entry
 *  e of node n (kernel reference), and with want_fd the open file, rc
 *  being its descriptor (else a descriptor rc > 0 is closed). */
void fk_ovl_reply_made(fk_req *req, struct fk_ovl_node *n, int rc, int want_fd,
		       const struct fk_entry *e);
/** O_TMPFILE in directory dir of layer (unless rc, an error so far),
 *  answered. Called under the tree write lock, which it lets go, with
 *  an operation reference to parent, which it puts. */
void fk_ovl_tmpfile_in(fk_req *req, struct fk_ovl_node *parent, int rc,
		       unsigned layer, struct fk_layer_node *dir,
		       const struct fk_create_in *in);
/** Empty directory name in dir of layer up of what it holds, which is
 *  not shown (its merged listing is empty): whiteouts and markers, and
 *  in a union names a branch above hides; so it can be removed.
 *  -ENOTEMPTY when it holds a directory. */
int fk_ovl_clear_dir(struct fk_layer *up, struct fk_layer_node *dir,
		     const char *name);
/** The node for name in parent, with an operation reference: 0,
 *  -ENOENT, or -errno. Under the tree lock. */
int fk_ovl_node_at(struct fk_ovl *ovl, struct fk_ovl_node *parent,
		   const char *name, struct fk_ovl_node **out);
/** A rename's first steps, under the tree write lock: *n, name in p,
 *  and *d, newname in np (NULL if none), each with an operation
 *  reference the caller puts (also on failure); -EEXIST for NOREPLACE
 *  over a name, -ENOENT for EXCHANGE with none. 0, 1 when *n is *d
 *  (nothing to do), or -errno. */
int fk_ovl_rename_nodes(struct fk_ovl *ovl, struct fk_ovl_node *p,
			const char *name, struct fk_ovl_node *np,
			const char *newname, unsigned flags,
			struct fk_ovl_node **n, struct fk_ovl_node **d);
/** May n replace d (NULL: nothing to replace) in a rename with flags?
 *  0, -ENOTDIR, -EISDIR, -ENOTEMPTY (a merged directory with entries). */
int fk_ovl_rename_replaceable(struct fk_ovl *ovl, struct fk_ovl_node *n,
			      struct fk_ovl_node *d, unsigned flags);
/** Make a->kind as name in directory dir of layer l: *h, *st, and for
 *  FK_OVL_MAKE_FILE the open descriptor (else 0); or -errno. */
int fk_ovl_make_in(struct fk_layer *l, struct fk_layer_node *dir,
		   const char *name, const struct fk_ovl_make *a,
		   struct fk_layer_node **h, struct fk_layer_stat *st);
/** Put every handle of a stack and free it. */
void fk_ovl_stack_free(struct fk_ovl *ovl, struct fk_ovl_layer_ref *stack,
		       unsigned depth);

#endif /* FK_OVL_H */
