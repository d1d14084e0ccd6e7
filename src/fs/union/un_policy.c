/*
 * un_policy.c — policy names, and choosing branches by policy.
 *
 * The choosers are pure functions of the candidates (see un.h); the
 * meanings follow mergerfs's:
 *   ff    the first qualifying branch, in the order given;
 *   mfs   the one with the most available space;
 *   lfs   the one with the least available space;
 *   lus   the one with the least used space;
 *   pfrd  one at random, each with a chance in proportion to its
 *         available space;
 *   rand  one at random;
 *   all   every qualifying branch.
 * "ep" narrows each to the branches where the path exists. Ties go to
 * the first branch, so a choice is reproducible.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "un.h"

static const char *const policy_names[FK_UN_NPOLICIES] = {
	[FK_UN_FF] = "ff",	   [FK_UN_EPFF] = "epff",
	[FK_UN_MFS] = "mfs",	   [FK_UN_EPMFS] = "epmfs",
	[FK_UN_LFS] = "lfs",	   [FK_UN_EPLFS] = "eplfs",
	[FK_UN_LUS] = "lus",	   [FK_UN_EPLUS] = "eplus",
	[FK_UN_PFRD] = "pfrd",	   [FK_UN_EPPFRD] = "eppfrd",
	[FK_UN_RAND] = "rand",	   [FK_UN_EPRAND] = "eprand",
	[FK_UN_ALL] = "all",	   [FK_UN_EPALL] = "epall",
};

const char *fk_un_policy_name(enum fk_un_policy p)
{
	return (unsigned)p < FK_UN_NPOLICIES ? policy_names[p] : "?";
}

/* Is p one of category c's policies? */
static int policy_in(enum fk_un_category c, enum fk_un_policy p)
{
	switch (c) {
	case FK_UN_CREATE:
		return p <= FK_UN_EPRAND;
	case FK_UN_ACTION:
		return p == FK_UN_ALL || p == FK_UN_EPALL || p == FK_UN_EPFF;
	case FK_UN_SEARCH:
		return p == FK_UN_FF || p == FK_UN_ALL;
	}
	return 0;
}

int fk_un_policy_parse(enum fk_un_category c, const char *name,
		       enum fk_un_policy *out)
{
	for (int p = 0; p < FK_UN_NPOLICIES; p++) {
		if (strcmp(name, policy_names[p]) == 0 && policy_in(c, (enum fk_un_policy)p)) {
			*out = (enum fk_un_policy)p;
			return 0;
		}
	}
	return -EINVAL;
}

int fk_un_moveonenospc_parse(const char *val, int *on, enum fk_un_policy *policy)
{
	enum fk_un_policy p = FK_UN_MFS;
	if (strcmp(val, "true") && strcmp(val, "false") &&
	    fk_un_policy_parse(FK_UN_CREATE, val, &p))
		return -EINVAL;
	*on = strcmp(val, "false") != 0;
	*policy = p;
	return 0;
}

int fk_un_policy_ep(enum fk_un_policy p)
{
	/* The ep form of each policy follows the plain one. */
	return p <= FK_UN_EPRAND ? (p & 1) : p == FK_UN_EPALL;
}

/* Of two reasons a branch did not qualify, the one to tell. */
static int stronger(int have, int e)
{
	static const int rank[] = { ENOENT, EROFS, ENOSPC };
	int rh = -1, re = -1;
	for (int i = 0; i < 3; i++) {
		if (have == rank[i])
			rh = i;
		if (e == rank[i])
			re = i;
	}
	return re > rh ? e : have;
}

/* Of the branches ok[0..nok), the one with the most (least: the least)
 * available (used: used) space; ties go to the first. */
static size_t extreme(const struct fk_un_candidate *c, const size_t *ok,
		      size_t nok, int used, int least)
{
	size_t best = ok[0];
	for (size_t k = 1; k < nok; k++) {
		uint64_t v = used ? c[ok[k]].used : c[ok[k]].avail;
		uint64_t b = used ? c[best].used : c[best].avail;
		if (least ? v < b : v > b)
			best = ok[k];
	}
	return best;
}

int fk_un_choose_create(enum fk_un_policy p, const struct fk_un_candidate *c,
			size_t n, uint64_t rnd)
{
	assert(policy_in(FK_UN_CREATE, p));
	assert(n <= FK_UN_MAX_BRANCHES);
	int why = ENOENT;
	size_t ok[FK_UN_MAX_BRANCHES], nok = 0;
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		if (fk_un_policy_ep(p) && !c[i].has_path) {
			why = stronger(why, ENOENT);
			continue;
		}
		if (c[i].mode != FK_UN_RW || c[i].readonly_fs) {
			why = stronger(why, EROFS);
			continue;
		}
		if (c[i].avail < c[i].minfree) {
			why = stronger(why, ENOSPC);
			continue;
		}
		ok[nok++] = i;
		total += c[i].avail >> 10; /* KiB: 128 sums never overflow */
	}
	if (nok == 0)
		return -why;
	size_t best = ok[0];
	switch (p) {
	case FK_UN_FF:
	case FK_UN_EPFF:
		break;
	case FK_UN_MFS:
	case FK_UN_EPMFS:
		best = extreme(c, ok, nok, 0, 0);
		break;
	case FK_UN_LFS:
	case FK_UN_EPLFS:
		best = extreme(c, ok, nok, 0, 1);
		break;
	case FK_UN_LUS:
	case FK_UN_EPLUS:
		best = extreme(c, ok, nok, 1, 1);
		break;
	case FK_UN_PFRD:
	case FK_UN_EPPFRD:
		if (total == 0) { /* all empty-handed: as rand */
			best = ok[rnd % nok];
			break;
		}
		for (uint64_t r = rnd % total, k = 0; k < nok; k++) {
			if (r < c[ok[k]].avail >> 10) {
				best = ok[k];
				break;
			}
			r -= c[ok[k]].avail >> 10;
		}
		break;
	case FK_UN_RAND:
	case FK_UN_EPRAND:
		best = ok[rnd % nok];
		break;
	default:
		assert(!"not a create policy");
	}
	return (int)best;
}

int fk_un_choose_action(enum fk_un_policy p, const struct fk_un_candidate *c,
			size_t n, size_t *out)
{
	assert(policy_in(FK_UN_ACTION, p));
	int why = ENOENT, count = 0;
	for (size_t i = 0; i < n; i++) {
		if (!c[i].has_path)
			continue;
		if (c[i].mode == FK_UN_RO || c[i].readonly_fs) {
			why = EROFS;
			continue;
		}
		out[count++] = i;
		if (p == FK_UN_EPFF)
			break;
	}
	return count ? count : -why;
}

int fk_un_choose_search(enum fk_un_policy p, const struct fk_un_candidate *c,
			size_t n, size_t *out)
{
	assert(policy_in(FK_UN_SEARCH, p));
	int count = 0;
	for (size_t i = 0; i < n; i++) {
		if (!c[i].has_path)
			continue;
		out[count++] = i;
		if (p == FK_UN_FF)
			break;
	}
	return count ? count : -ENOENT;
}

static const char *const inodecalc_names[] = {
	[FK_UN_INO_AUTO] = "auto",
	[FK_UN_INO_PASSTHROUGH] = "passthrough",
	[FK_UN_INO_PATH_HASH] = "path-hash",
	[FK_UN_INO_DEVINO_HASH] = "devino-hash",
	[FK_UN_INO_HYBRID_HASH] = "hybrid-hash",
};

int fk_un_inodecalc_parse(const char *name, enum fk_un_inodecalc *out,
			  int *bits32)
{
	for (size_t i = 0; i < sizeof inodecalc_names / sizeof *inodecalc_names; i++) {
		size_t len = strlen(inodecalc_names[i]);
		if (strncmp(name, inodecalc_names[i], len) != 0)
			continue;
		/* The hashes come in 32-bit forms too (path-hash32). */
		int b32 = !strcmp(name + len, "32");
		if (name[len] && !(b32 && strstr(inodecalc_names[i], "-hash")))
			continue;
		*out = (enum fk_un_inodecalc)i;
		*bits32 = b32;
		return 0;
	}
	return -EINVAL;
}

const char *fk_un_inodecalc_name(enum fk_un_inodecalc c, int bits32)
{
	static const char *const names32[] = {
		[FK_UN_INO_PATH_HASH] = "path-hash32",
		[FK_UN_INO_DEVINO_HASH] = "devino-hash32",
		[FK_UN_INO_HYBRID_HASH] = "hybrid-hash32",
	};
	if ((unsigned)c >= sizeof inodecalc_names / sizeof *inodecalc_names)
		return "?";
	return bits32 && names32[c] ? names32[c] : inodecalc_names[c];
}
