/*
 * fk_union.h — the union filesystem's vocabulary: branches with modes,
 * and the policies that choose among them (mergerfs's names and
 * meanings).
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

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* FUSEKIT_FK_UNION_H */
