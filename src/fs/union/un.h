/*
 * un.h — the union filesystem's private parts (fk_un_*).
 *
 *   un_branch.c  branch lists as mergerfs takes them, sizes
 *   un_policy.c  policy names, and choosing branches by policy
 *
 * Choosing is pure: the caller gathers what the policies look at into
 * one candidate per branch (its mode, whether the path in question is
 * there, its free and used space) and gets back indexes. So every policy
 * is tested without a mount, and a mount calls one function.
 */
#ifndef FK_UN_H
#define FK_UN_H

#include <stddef.h>
#include <stdint.h>

#include <fusekit/fk_union.h>

/** What a policy knows of one branch. */
struct fk_un_candidate {
	enum fk_un_mode mode;
	int readonly_fs; /* the branch's filesystem refuses writes (ST_RDONLY) */
	int has_path; /* the path in question (for create: the parent) exists */
	uint64_t avail; /* bytes an unprivileged writer may still use */
	uint64_t used; /* bytes in use */
	uint64_t minfree; /* what must stay free for a create to go there */
};

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
