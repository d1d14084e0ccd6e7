/*
 * fk_node_table.h — the node table the filesystems share (fk_nt_*): what
 * the kernel's node ids stand for, and how long a node lives.
 *
 * A filesystem's node embeds a struct fk_nt_node. The table finds it by
 * FUSE node id (every request) and, while it is keyed, by a hash of its
 * identity (lookups: the filesystem compares the rest), under one mutex.
 * The kernel never sees pointers: node ids are table keys, so a stale or
 * forged id is an ENOENT, not a crash.
 *
 * Lifetime. A node is referenced by the kernel (nlookup: entry replies
 * minus forgets) and by operations in progress and other nodes (refs: a
 * child holds one on its parent). Both are changed only here, under the
 * lock, and never drop below zero (an assertion in debug builds; release
 * builds clamp a forget the kernel should not have sent). When both reach
 * zero the node (never the root) leaves the table: the filesystem's
 * unlink callback, still under the lock, lets go of what it holds of
 * other nodes (dropping their references may end them too, in a loop,
 * not a recursion), and its release callback frees it once this thread
 * lets the lock go: closing a descriptor or putting a layer handle may
 * free an unlinked file's blocks, which can wait for the device (a
 * filesystem mounted with discard), and no request should wait with it.
 * Descriptors dropped under the lock are closed then too
 * (fk_nt_close_later).
 *
 * Pruning. A filesystem whose nodes hold descriptors (the passthrough's
 * fd mode, the overlay's layers) would reach its descriptor limit once
 * the kernel knows that many files: the kernel forgets a node only under
 * memory pressure, and every create or lookup after that failed with
 * EMFILE. Given a budget (fk_nt_set_budget), the table stamps each node
 * with its clock when the kernel or an operation uses it, and once more
 * nodes than the budget are known, fk_nt_prune asks the kernel (FUSE
 * 7.45's NOTIFY_PRUNE) to forget those that no operation holds and that
 * were not used in the last budget/2 ticks: those the kernel does not
 * keep (no open file, no cwd, no cached child) come back as FORGETs.
 *
 * The FORGETs come later, on another thread, and a busy machine may not
 * run it for milliseconds while lookups go on adding nodes: each
 * operation that may add one first calls fk_nt_admit, which, once the
 * table holds a quarter more than its budget, waits for nodes to leave
 * (so the descriptors stay within the limit), but only while they do:
 * nodes the kernel keeps (open files) make no one wait twice.
 *
 * Locking: a thread holds at most one table's lock, never recursively;
 * fk_nt_assert_locked states that the caller holds it.
 */
#ifndef FK_NODE_TABLE_H
#define FK_NODE_TABLE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <fusekit/fk_session.h>

struct fk_nt_node {
	uint64_t nodeid;
	uint64_t nlookup; /* the kernel's references (under the lock) */
	uint64_t refs; /* operations' and other nodes' (under the lock) */
	uint64_t hash; /* of the identity, while keyed */
	int keyed; /* in the by-identity index */
	uint32_t used; /* the table's clock at its last use (under the lock) */
	struct fk_nt_node *next_id, *next_key, *next_gone;
};

/** Which count a reference is on. */
enum fk_nt_ref { FK_NT_KERNEL, FK_NT_OP };

struct fk_nt_ops {
	/** Under the lock: n has no reference left and is out of both
	 *  indexes. Let go of what it holds of other nodes
	 *  (fk_nt_unref_locked) and of shared state. */
	void (*unlink)(void *fs, struct fk_nt_node *n);
	/** With no lock held: free n and what it alone owned. Also called
	 *  for every node by fk_nt_destroy (without unlink first). */
	void (*release)(void *fs, struct fk_nt_node *n);
};

struct fk_nt {
	pthread_mutex_t lock;
	struct fk_nt_node **by_id, **by_key;
	size_t nbuckets; /* a power of two; doubled when count reaches it */
	size_t count;
	uint64_t next_id;
	struct fk_nt_node *root; /* id FK_ROOT_INO, never leaves */
	/* Pruning (under the lock): the clock ticks at each use of a node;
	 * budget 0 never prunes; the next prune when count passes prune_at. */
	uint32_t clock;
	size_t budget, prune_at;
	/* Admission (under the lock): nodes that left the table so far, and
	 * that count when a wait last saw none leave. */
	uint64_t left, stalled_at;
	const struct fk_nt_ops *ops;
	void *fs;
};

int fk_nt_init(struct fk_nt *t, const struct fk_nt_ops *ops, void *fs);
/** Release every node (no unlink callbacks: they all go) and the table. */
void fk_nt_destroy(struct fk_nt *t);

void fk_nt_lock(struct fk_nt *t);
/** Let the lock go, then release the nodes that left and close the
 *  descriptors dropped while it was held. */
void fk_nt_unlock(struct fk_nt *t);
/** Abort (debug builds) unless this thread holds t's lock. */
void fk_nt_assert_locked(const struct fk_nt *t);
/** Under the lock: close fd once this thread lets it go. */
void fk_nt_close_later(int fd);

/** The node with this id, with an operation reference; NULL if unknown. */
struct fk_nt_node *fk_nt_get(struct fk_nt *t, uint64_t nodeid);
/** Drop an operation reference (n may be NULL). */
void fk_nt_put(struct fk_nt *t, struct fk_nt_node *n);
/** Take one more operation reference on n (held by the caller). */
void fk_nt_hold(struct fk_nt *t, struct fk_nt_node *n);
/** Drop count kernel references from the node with this id, if known. */
void fk_nt_forget(struct fk_nt *t, uint64_t nodeid, uint64_t count);

/* Under the lock: */
void fk_nt_ref_locked(struct fk_nt *t, struct fk_nt_node *n, enum fk_nt_ref kind);
/** Drop one reference; the node leaves when none is left. */
void fk_nt_unref_locked(struct fk_nt *t, struct fk_nt_node *n, enum fk_nt_ref kind);
/** Under the lock: call fn(arg, n) for every node in the table (fn
 *  must not add or remove nodes). */
void fk_nt_each_locked(struct fk_nt *t, void (*fn)(void *arg, struct fk_nt_node *n),
		       void *arg);
/** The first node whose identity hashes like hash (continue with
 *  fk_nt_next_key); the caller compares the identity itself. */
struct fk_nt_node *fk_nt_first_key(const struct fk_nt *t, uint64_t hash);
struct fk_nt_node *fk_nt_next_key(const struct fk_nt_node *n, uint64_t hash);
/** Add new node n, keyed by hash (unkeyed: keyed 0), with one reference
 *  of kind. It gets node id want where want is not 0 and no node has it
 *  (an id the filesystem derives from the inode, so that the same inode
 *  gets it again later: fk_pt_export_id), else the next free id of the
 *  table's own, which counts up from FK_ROOT_INO + 1. */
void fk_nt_insert_locked(struct fk_nt *t, struct fk_nt_node *n, uint64_t hash,
			 int keyed, enum fk_nt_ref kind, uint64_t want);
/** Add n as the root (id FK_ROOT_INO, no references needed). */
void fk_nt_insert_root(struct fk_nt *t, struct fk_nt_node *n, uint64_t hash);
/** n's identity changed: keyed by hash now. */
void fk_nt_rekey_locked(struct fk_nt *t, struct fk_nt_node *n, uint64_t hash);
/** n is no longer found by identity (its inode went). */
void fk_nt_unkey_locked(struct fk_nt *t, struct fk_nt_node *n);

/** Prune once the kernel knows more than budget nodes (0: never). */
void fk_nt_set_budget(struct fk_nt *t, size_t budget);
/** A budget for nodes holding per_node descriptors each: the process's
 *  descriptor limit (RLIMIT_NOFILE) less a reserve for open files and
 *  the rest (an eighth, but at least half of the first 2048), over
 *  per_node; 1024 when the limit is unknown or unlimited. */
size_t fk_nt_budget_of_nofile(unsigned per_node);
/** Does the kernel know more nodes than the budget? (Then a readdirplus
 *  sends names without nodes: the kernel looks up those it wants.) */
int fk_nt_over_budget(struct fk_nt *t);
/** With no lock held, after answering: if more nodes than the budget are
 *  known, ask the kernel through se to forget the ones not used lately.
 *  0, or -errno of the notification (-ENOSYS: this kernel cannot, and the
 *  table stops trying). */
int fk_nt_prune(struct fk_nt *t, fk_session *se);
/** With no lock held, before an operation that may add a node (lookup,
 *  create, mknod, mkdir, symlink, link, tmpfile): past budget + budget/4
 *  nodes, prune and wait while the kernel's FORGETs bring the count
 *  down, up to a second; not at all while none came since the last
 *  wait, nor in a single-threaded session (fk_session_concurrent). No
 *  error: at worst the operation meets the descriptor limit. */
void fk_nt_admit(struct fk_nt *t, fk_session *se);

/** A hash of up to four 64-bit words of identity. */
uint64_t fk_nt_hash(uint64_t a, uint64_t b, uint64_t c, uint64_t d);

#endif /* FK_NODE_TABLE_H */
