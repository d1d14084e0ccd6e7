/*
 * un.h — the union filesystem's private parts (fk_un_*).
 *
 *   un_branch.c  branch lists as mergerfs takes them, sizes, list edits
 *   un_policy.c  policy and inodecalc names, and choosing branches by
 *                policy
 *   un_fs.c      a union made (fk_un_new), its statfs, inode numbers
 *   un_write.c   the changing operations, on the branches the policies
 *                pick
 *   un_cow.c     copy-on-write over RO branches (-o cow)
 *   un_move.c    moveonenospc
 *   un_control.c the control file .fusekit, and changes while mounted
 *
 * A union is an overlay (../overlay/ovl.h) whose layers are branches
 * with modes: lookups, merged listings, open files and the node table
 * are the overlay's; the overlay's changing operations hand over to
 * un_write.c when fk_ovl.un is set. A change to an object on a
 * read-only branch gets EROFS, or with cow copies it up first.
 *
 * Choosing is pure: the caller gathers what the policies look at into
 * one candidate per branch (its mode, whether the path in question is
 * there, its free and used space) and gets back indexes. So every policy
 * is tested without a mount, and a mount calls one function.
 */
#ifndef FK_UN_H
#define FK_UN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <fusekit/fk_union.h>

#include "../overlay/ovl.h"
#include "../../util/fk_mix.h"

/* A writable branch's work directory, in its root (un_cow.c). */
#define FK_UN_WORK_NAME ".wh..wh.fusekit"
/* The control file in the union's root (un_control.c). */
#define FK_UN_CONTROL_NAME ".fusekit"
/* Layer slots a union has for its life: branches removed at run time
 * keep theirs (what the kernel still holds of them works on), and a
 * branch added takes a new one. */
#define FK_UN_MAX_SLOTS (4 * FK_UN_MAX_BRANCHES)
/* The rank of a slot whose branch was removed: below every branch. */
#define FK_UN_RANK_GONE 0x7fffffffu

/*
 * What a union adds to its fk_ovl: one allocation, freed with it.
 *
 * A branch is known by its slot, the index of its layer in fk_ovl.layers
 * (the layer indexes of node stacks): a slot means one branch for the
 * union's life. Its place in the search order is its rank: order[rank]
 * is its slot. Stacks are in rank order, topmost first. Branches are
 * added, removed, reordered and changed (modes, policies) at run time
 * (un_control.c) under the tree write lock; what they change is read
 * under the tree lock, except the flags marked atomic.
 */
struct fk_un {
	enum fk_un_policy create, action, search;
	int cow; /* copy-on-write over RO branches (un_cow.c); fixed */
	atomic_int dropcacheonclose; /* a closed file's pages leave the cache */
	atomic_int moveonenospc; /* move files off a full branch, by this: */
	enum fk_un_policy move_policy;
	enum fk_un_inodecalc inodecalc; /* fixed */
	int ino32; /* hashes folded to 32 bits; fixed */
	uint64_t minfreespace; /* a branch's minfree unless its own */
	atomic_uint_fast64_t rnd; /* the random policies' sequence */
	/* Opens the layer of a branch added at run time (none: no adds). */
	struct fk_un_opener opener;
	uint64_t dev0; /* the device of the first branch at mount time */
	struct timespec made; /* the control file's times */
	/* Held by a change through the control file, from its first step
	 * to its last: one change at a time. */
	pthread_mutex_t control_lock;
	unsigned nbranches; /* branches in use: order[0..nbranches) */
	unsigned order[FK_UN_MAX_BRANCHES];
	struct fk_un_branch {
		char *path; /* as given */
		enum fk_un_mode mode; /* RO once removed */
		unsigned rank; /* FK_UN_RANK_GONE once removed */
		uint64_t minfree; /* bytes a create leaves free */
		int own_minfree; /* minfree given with the branch */
		uint64_t dev; /* of its root: branches on one filesystem */
		struct fk_layer_node *work; /* with cow, a writable one's */
	} b[FK_UN_MAX_SLOTS]; /* fk_ovl.nlayers of them in use */
};

/** Is branch a above branch b in the search order? */
static inline int fk_un_above(const struct fk_ovl *ovl, unsigned a, unsigned b)
{
	return ovl->un->b[a].rank < ovl->un->b[b].rank;
}

/** "No limit", as fk_un_choose's below. */
#define FK_UN_NO_LAYER 0xffffffffu

/** May branch layer be written (RW or NC)? */
static inline int fk_un_branch_writable(const struct fk_ovl *ovl, unsigned layer)
{
	return ovl->un->b[layer].mode != FK_UN_RO;
}

/** The branch create policy p picks for a new object of need bytes in
 *  directory dir (ep: the branches that have dir), among the branches
 *  above branch below (FK_UN_NO_LAYER: all), never branch skip (-1:
 *  none): its layer, or -errno (fk_un_choose_create). Asks statfs of
 *  each RW branch. Under the tree lock. */
int fk_un_choose(struct fk_ovl *ovl, enum fk_un_policy p,
		 const struct fk_ovl_node *dir, int skip, uint64_t need,
		 unsigned below);
/** A number for the random policies (splitmix64 over a shared count). */
uint64_t fk_un_random(struct fk_un *un);
/** Directory d made on branch b too, its parents first, each a copy of
 *  the directory shown (mode, owner, xattrs, times; its inode number
 *  shown stays). Under the tree write lock. Its index in d's stack, or
 *  -errno. */
int fk_un_clone_dir(struct fk_ovl *ovl, struct fk_ovl_node *d, unsigned b);
/** The copy-up of a union (fk_ovl_copy_up), with no tree lock held: 0
 *  when n's shown copy is on a writable branch; else with cow, n copied
 *  to one above it (un_cow.c), else -EROFS. */
int fk_un_copy_up(struct fk_ovl *ovl, fk_session *se, struct fk_ovl_node *n,
		  unsigned flags);
/** The branch copy-on-write copies to for an object in directory dir
 *  shown from layer below: the create policy's pick (its non-ep form)
 *  among the RW branches above it. Its layer, or -errno (-EROFS: none). */
int fk_un_cow_target(struct fk_ovl *ovl, const struct fk_ovl_node *dir,
		     unsigned below);
/** Fill branch slot of un for layer l as spec says (its mode, minfree,
 *  device, path, and with cow its work directory); not yet ranked. 0 or
 *  -errno with a sentence in err. */
int fk_un_branch_init(struct fk_un *un, unsigned slot, struct fk_layer *l,
		      const struct fk_un_branch_spec *spec, char *err,
		      size_t errlen);
/** What the union holds besides its allocation (work directories):
 *  let go, before its layers are freed. */
void fk_un_destroy(struct fk_ovl *ovl);
/** moveonenospc: a write to open file f failed for want of space (the
 *  file is to reach `need` bytes). Move the file to the branch the
 *  moveonenospc policy picks among those with room for it, with its
 *  data, owner, mode, times and xattrs, and point f's descriptor at the
 *  new copy: 0, then the caller writes again; errno is left as the
 *  write left it otherwise (nothing moved: off, no room anywhere, or the
 *  file open more than once, whose other opens would be left behind). */
int fk_un_move_on_enospc(struct fk_ovl *ovl, const struct ovl_file *f,
			 uint64_t need);
/** Open file f is being released (its descriptor still open). */
void fk_un_release(struct fk_ovl *ovl, const struct ovl_file *f);
/** The inode number a union shows for inode ino of branch layer, by
 *  inodecalc (fk_ovl_shown_ino); the path-hash forms number their nodes
 *  when they are made (fk_un_path_ino), and here fall back to devino. */
uint64_t fk_un_shown_ino(const struct fk_ovl *ovl, unsigned layer, uint64_t ino);
/** The number of name in directory node dir (NULL: dir is the root, and
 *  name NULL: the root itself) when inodecalc numbers an object of type
 *  (S_IFMT bits) by its path; else 0. Under the node table's lock when
 *  locked, else takes it. */
uint64_t fk_un_path_ino(struct fk_ovl *ovl, const struct fk_ovl_node *dir,
			const char *name, uint32_t type, int locked);
/** Is name in directory node parent the control file's place? */
int fk_un_is_control(const struct fk_ovl *ovl, uint64_t parent,
		     const char *name);
/** The space of all branches, each filesystem counted once. */
int fk_un_statfs(struct fk_ovl *ovl, struct fk_statfs *st);

/* un_write.c: the overlay's changing operations, in a union. Each
 * answers req. */
void fk_un_make(fk_req *req, uint64_t parent_id, const char *name,
		struct fk_ovl_make *a, struct fk_ovl_node *linked);
void fk_un_tmpfile(fk_req *req, const struct fk_create_in *in);
void fk_un_remove(fk_req *req, const struct fk_name_in *in, int rmdir);
void fk_un_rename(fk_req *req, const struct fk_rename_in *in);
void fk_un_setattr(fk_req *req, const struct fk_setattr_in *in);
void fk_un_change_xattr(fk_req *req, uint64_t ino, const char *name,
			const void *value, size_t size, int flags);

/** What a policy knows of one branch. */
struct fk_un_candidate {
	enum fk_un_mode mode;
	int readonly_fs; /* the branch's filesystem refuses writes (ST_RDONLY) */
	int has_path; /* the path in question (for create: the parent) exists */
	uint64_t avail; /* bytes an unprivileged writer may still use */
	uint64_t used; /* bytes in use */
	uint64_t minfree; /* what must stay free for a create to go there */
};

/** Is p an "existing path" policy (epff, epmfs, ..., epall)? */
int fk_un_policy_ep(enum fk_un_policy p);

/**
 * The branch a create goes to: its index, or -errno when none
 * qualifies. A branch qualifies when it is RW, its filesystem is
 * writable, it has at least minfree bytes available and, for the ep
 * policies, the parent exists there. When none does, the error says
 * why, the strongest reason found winning: ENOSPC (a writable branch is
 * full) over EROFS (the branches that have the path may not be
 * created on) over ENOENT (the parent is on none). rnd is a random
 * number, for pfrd and rand (the caller's source; tests fix it).
 */
int fk_un_choose_create(enum fk_un_policy p, const struct fk_un_candidate *c,
			size_t n, uint64_t rnd);

/**
 * The branches a change applies to (all, epall: every one that has the
 * path and may be written, RW or NC; epff: the first of them), as
 * indexes into out (room for n): their count, or -EROFS when the path is
 * only on branches that may not be written, -ENOENT when it is on none.
 */
int fk_un_choose_action(enum fk_un_policy p, const struct fk_un_candidate *c,
			size_t n, size_t *out);

/**
 * The branches a name is looked up on, as indexes into out: ff, the
 * first that has it; all, every one that has it (the first is the one
 * shown). Their count, or -ENOENT.
 */
int fk_un_choose_search(enum fk_un_policy p, const struct fk_un_candidate *c,
			size_t n, size_t *out);

#endif /* FK_UN_H */
