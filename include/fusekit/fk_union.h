/*
 * fk_union.h — the union filesystem: directory trees (branches) pooled
 * into one, with modes, and policies that choose among them (mergerfs's
 * names and meanings), over any layers (fk_layer.h).
 *
 *     struct fk_layer *layers[2];      fk_pt_layer_new for each branch
 *     struct fk_un_branch_spec specs[2] = { { "/a", FK_UN_RW, UINT64_MAX },
 *                                           { "/b", FK_UN_RO, UINT64_MAX } };
 *     struct fk_un_options uo;
 *     fk_un_options_init(&uo);
 *     struct fk_ovl *un;
 *     fk_un_new(&un, layers, specs, 2, &uo, err, sizeof err);
 *     fk_session_new(&se, fk_ovl_ops(), sizeof(struct fk_ops), un, &cfg);
 *
 * A union is an overlay whose layers are branches with modes: it is
 * served by fk_un_ops (fk_ovl_ops and the control file) and freed by
 * fk_ovl_free. Lookups go through the
 * branches in order (the first that has a name shows it; directories
 * merge); new names go where the create policy says, the parent
 * directory made there first when missing; changes go to the copies the
 * action policy picks. A change to an object shown from a read-only
 * branch gets EROFS, or with cow copies it to a writable branch first.
 *
 *     struct fk_un_branches b;
 *     fk_un_branches_parse("/mnt/disk*=RW:/srv/archive=RO", &b, err, sizeof err);
 *     ... b.v[i].path, b.v[i].mode, b.v[i].minfreespace ...
 *     fk_un_branches_free(&b);
 *
 * A branch is a directory tree the union shows merged with the others,
 * in the order given (the first is searched first). Its mode says what
 * the union may do there:
 *   RW  read and write, and new names are created there;
 *   NC  read and write, but no new name is created there ("no create");
 *   RO  never written.
 *
 * Policies decide which branch, or which branches, an operation uses:
 *   create  which branch gets a new file, directory, symlink or node;
 *   action  which copies a change applies to (chmod, chown, utimens,
 *           truncate, xattr changes, rename, unlink, rmdir);
 *   search  where a name is looked up.
 * The "ep" (existing path) policies consider only branches where the
 * parent directory exists already; the others may pick a branch without
 * it, whose parent path is then made (cloned) there.
 */
#ifndef FUSEKIT_FK_UNION_H
#define FUSEKIT_FK_UNION_H

#include <stddef.h>
#include <stdint.h>

#include <fusekit/fk_overlay.h>

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared here is the library's ABI; the rest is hidden
 * (-fvisibility=hidden, cmake/fusekit.map). */
#pragma GCC visibility push(default)

enum fk_un_mode {
	FK_UN_RW, /* read-write (the default) */
	FK_UN_NC, /* read-write, no new names */
	FK_UN_RO, /* read-only */
};

struct fk_un_branch_spec {
	char *path; /* as given (or as a glob expanded it) */
	enum fk_un_mode mode;
	/* Bytes a create policy leaves free on this branch; UINT64_MAX:
	 * the mount's minfreespace. */
	uint64_t minfreespace;
};

struct fk_un_branches {
	struct fk_un_branch_spec *v;
	size_t n;
};

/** The most branches a union takes. */
#define FK_UN_MAX_BRANCHES 128

/**
 * Parse branches as mergerfs takes them: BRANCH[:BRANCH]..., each
 * PATH[=MODE[,MINFREESPACE]], MODE one of RW, RO, NC (either case), e.g.
 * "/mnt/disk*=RW:/mnt/ro=RO:/mnt/small=RW,20G". "\:" is a colon within a
 * path, "\=" an equals sign. A PATH with glob characters (* ? [) is
 * expanded, in sorted order, to the directories it matches (each taking
 * its mode); one that matches none is an error, as is an empty path, an
 * unknown mode, or more than FK_UN_MAX_BRANCHES. The paths are not
 * checked here (the filesystem opens them). Appends to out, which must
 * be zeroed or hold earlier branches. 0, or -EINVAL / -ENOMEM with a
 * sentence in err.
 */
int fk_un_branches_parse(const char *spec, struct fk_un_branches *out,
			 char *err, size_t errlen);
void fk_un_branches_free(struct fk_un_branches *b);
/** "RW", "NC" or "RO". */
const char *fk_un_mode_name(enum fk_un_mode m);

/** A size as mergerfs writes them: digits and an optional unit B, K,
 *  M, G or T (powers of 1024, either case): 0 or -EINVAL (also on
 *  overflow). */
int fk_un_size_parse(const char *s, uint64_t *out);

enum fk_un_category { FK_UN_CREATE, FK_UN_ACTION, FK_UN_SEARCH };

enum fk_un_policy {
	FK_UN_FF, /* first found: the first branch, in order, that qualifies */
	FK_UN_EPFF,
	FK_UN_MFS, /* most free space */
	FK_UN_EPMFS,
	FK_UN_LFS, /* least free space */
	FK_UN_EPLFS,
	FK_UN_LUS, /* least used space */
	FK_UN_EPLUS,
	FK_UN_PFRD, /* at random, weighted by free space */
	FK_UN_EPPFRD,
	FK_UN_RAND, /* at random */
	FK_UN_EPRAND,
	FK_UN_ALL, /* every branch that qualifies */
	FK_UN_EPALL,
	FK_UN_NPOLICIES
};

/** The policy named name, if it is one of category c's: create takes
 *  ff, mfs, lfs, lus, pfrd, rand and their ep forms; action all, epall,
 *  epff; search ff, all. 0 or -EINVAL. */
int fk_un_policy_parse(enum fk_un_category c, const char *name,
		       enum fk_un_policy *out);
const char *fk_un_policy_name(enum fk_un_policy p);
/** A moveonenospc value, as the option and the control file take it:
 *  "false" (*on 0), "true" (*on 1, *policy mfs, as mergerfs), or a
 *  create policy (*on 1, *policy it). 0 or -EINVAL (nothing set). */
int fk_un_moveonenospc_parse(const char *val, int *on, enum fk_un_policy *policy);

/** How a union numbers inodes (inodecalc=, mergerfs's names). Whichever
 *  is chosen, a node keeps its number while the kernel knows it, also
 *  across renames and moves between branches. */
enum fk_un_inodecalc {
	/* The host's number, with the branch's slot in the top 16 bits
	 * when it is not on the first branch's filesystem: unique while
	 * host numbers stay below 2^48 (the default). */
	FK_UN_INO_AUTO,
	FK_UN_INO_PASSTHROUGH, /* the host's number: branches may collide */
	FK_UN_INO_PATH_HASH, /* a hash of the path in the union */
	FK_UN_INO_DEVINO_HASH, /* a hash of the branch's device and number */
	FK_UN_INO_HYBRID_HASH, /* path-hash for directories, else devino */
};

/** The inodecalc named name (auto, passthrough, path-hash, devino-hash,
 *  hybrid-hash; mergerfs's 32-bit forms path-hash32, devino-hash32 and
 *  hybrid-hash32 too, folded to 32 bits): 0 or -EINVAL. *bits32 says if
 *  the name asked for 32 bits. */
int fk_un_inodecalc_parse(const char *name, enum fk_un_inodecalc *out,
			  int *bits32);
const char *fk_un_inodecalc_name(enum fk_un_inodecalc c, int bits32);

/** How a union opens the layer of a branch added at run time (through
 *  its control file). */
struct fk_un_opener {
	/** The layer of the directory at path, to be a branch of mode;
	 *  with cow and mode RW or NC it has its work directory
	 *  (fk_layer_ops.work). 0, or -errno with a sentence in err. */
	int (*open)(void *arg, const char *path, enum fk_un_mode mode, int cow,
		    struct fk_layer **out, char *err, size_t errlen);
	/** Give layer l of branch path the work directory cow needs, when
	 *  its mode becomes RW or NC at run time (NULL: such a change is
	 *  refused). 0, or -errno with a sentence in err. */
	int (*set_work)(void *arg, struct fk_layer *l, const char *path,
			char *err, size_t errlen);
	void *arg;
};

struct fk_un_options {
	/* Caching, timeouts, xattrs, kernel passthrough, as the overlay's
	 * (upper and redirect_dir are not used). */
	struct fk_ovl_options ovl;
	/* category.create (epmfs), category.action (epall),
	 * category.search (ff). */
	enum fk_un_policy create, action, search;
	/* What a create leaves free on a branch without its own (4G, as
	 * mergerfs). */
	uint64_t minfreespace;
	/* moveonenospc: a write that finds its branch full moves the file
	 * (open once) to the branch move_policy (a create policy) picks
	 * among those with room, and is written again there (0: off, the
	 * default). Writes must reach the daemon: set ovl.passthrough 0. */
	int moveonenospc;
	enum fk_un_policy move_policy;
	/* dropcacheonclose: a file's pages leave the page cache when it is
	 * closed (0: kept, the default). */
	int dropcacheonclose;
	/* cow: a change to what an RO branch shows copies it to a writable
	 * branch above first, and removing such a name leaves a whiteout
	 * (0: EROFS, the default). Every writable branch needs a work
	 * directory (fk_layer_ops.work): fk_pt_layer_set_work with
	 * BRANCH/.wh..wh.fusekit, a name the union never shows. */
	int cow;
	/* How inode numbers are made (FK_UN_INO_AUTO); ino32: hashes
	 * folded to 32 bits, for programs that want small numbers. */
	enum fk_un_inodecalc inodecalc;
	int ino32;
	/* Opens branches added at run time; open NULL: the control file
	 * refuses adding one (EPERM), the rest works. */
	struct fk_un_opener opener;
};

void fk_un_options_init(struct fk_un_options *o);

/** Pool n layers as a union, specs[i] giving layers[i]'s mode and
 *  minfreespace (its path is not used). On success the union owns the
 *  layers (fk_ovl_free frees them); on failure the caller still does.
 *  0 or -errno with a sentence in err. */
int fk_un_new(struct fk_ovl **out, struct fk_layer **layers,
	      const struct fk_un_branch_spec *specs, unsigned n,
	      const struct fk_un_options *o, char *err, size_t errlen);

/**
 * The operations that serve a union: the overlay's (fk_ovl_ops), and
 * the control file ".fusekit" in its root, which the root's listing does
 * not show (a branch's own ".fusekit" is hidden by it). Its xattrs, in
 * the user namespace, read and change the union while it is mounted:
 *
 *   user.fusekit.branches          the branches, PATH=MODE[,MINFREE]:...
 *                                  set to a whole new list, or to
 *                                  +<BRANCHES (put first), +>BRANCHES or
 *                                  +BRANCHES (put last), -PATH (remove),
 *                                  -< (the first), -> (the last)
 *   user.fusekit.category.create   a create policy
 *   user.fusekit.category.action   an action policy
 *   user.fusekit.category.search   a search policy
 *   user.fusekit.minfreespace      a size
 *   user.fusekit.moveonenospc      true, false or a create policy
 *   user.fusekit.dropcacheonclose  true or false
 *   user.fusekit.cow, .inodecalc, .version, .pid   read only
 *
 * A branch kept in a new list keeps its slot and what it holds open,
 * with the mode given; a branch removed is never written again, but
 * what is open on it, or known to the kernel, keeps working; a branch
 * added takes effect for lookups from then on. Only the owner of the
 * daemon, or root, changes the union (EPERM); a value that does not
 * parse is EINVAL, with the union as it was.
 */
const struct fk_ops *fk_un_ops(void);

/**
 * The branch list value (as user.fusekit.branches takes it) applied to
 * cur: the new list in out (zeroed by the caller), each branch a copy.
 * "+<B", "+>B", "+B", "-PATH", "-<", "->", or a whole new list. 0, or
 * -EINVAL / -ENOMEM with a sentence in err (out is freed then).
 */
int fk_un_branches_edit(const struct fk_un_branches *cur, const char *value,
			struct fk_un_branches *out, char *err, size_t errlen);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* FUSEKIT_FK_UNION_H */
