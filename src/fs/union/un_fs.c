/*
 * un_fs.c — a union made: an overlay with no upper layer, and the
 * branches' modes and policies beside it (fk_ovl.un); its statfs; the
 * inode numbers it shows (inodecalc): those of the hashes are made from
 * the path (kept in the node from when it is made) or from the branch's
 * device and number, folded to 32 bits on request, never 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "un.h"
#include "../../platform/fk_platform.h"

void fk_un_options_init(struct fk_un_options *o)
{
	memset(o, 0, sizeof *o);
	fk_ovl_options_init(&o->ovl);
	o->create = FK_UN_EPMFS;
	o->action = FK_UN_EPALL;
	o->search = FK_UN_FF;
	o->minfreespace = 4ull << 30;
	o->moveonenospc = 0;
	o->move_policy = FK_UN_MFS;
}

/* Let go of branch slots [0, n) of un (their work directories, paths). */
static void free_branches(struct fk_un *un, struct fk_layer **layers, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		fk_layer_put(layers[i], un->b[i].work);
		free(un->b[i].path);
	}
}

int fk_un_new(struct fk_ovl **out, struct fk_layer **layers,
	      const struct fk_un_branch_spec *specs, unsigned n,
	      const struct fk_un_options *o, char *err, size_t errlen)
{
	*out = NULL;
	if (n == 0 || n > FK_UN_MAX_BRANCHES) {
		snprintf(err, errlen, n ? "more than %d branches" : "no branches",
			 FK_UN_MAX_BRANCHES);
		return -EINVAL;
	}
	struct fk_un *un = calloc(1, sizeof *un);
	if (!un) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	un->create = o->create;
	un->action = o->action;
	un->search = o->search;
	un->cow = o->cow;
	atomic_init(&un->moveonenospc, o->moveonenospc);
	atomic_init(&un->dropcacheonclose, o->dropcacheonclose);
	un->move_policy = o->move_policy;
	un->inodecalc = o->inodecalc;
	un->ino32 = o->ino32;
	un->minfreespace = o->minfreespace;
	un->opener = o->opener;
	un->nbranches = n;
	atomic_init(&un->rnd, (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)un);
	(void)clock_gettime(CLOCK_REALTIME, &un->made); /* failing: 1970 */
	if (pthread_mutex_init(&un->control_lock, NULL)) {
		free(un);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++) {
		char why[256];
		int rc = fk_un_branch_init(un, i, layers[i], &specs[i], why, sizeof why);
		if (rc) {
			snprintf(err, errlen, "branch %u: %s", i + 1, why);
			free_branches(un, layers, i);
			pthread_mutex_destroy(&un->control_lock);
			free(un);
			return rc;
		}
		un->order[i] = i;
		un->b[i].rank = i;
	}
	un->dev0 = un->b[0].dev;
	struct fk_ovl_options oo = o->ovl;
	oo.upper = 0;
	oo.redirect_dir = FK_OVL_REDIRECT_NOFOLLOW; /* an overlay's business */
	/* Room for the slots of branches added at run time. */
	struct fk_layer **slots = calloc(FK_UN_MAX_SLOTS, sizeof *slots);
	struct fk_ovl *ovl;
	int rc = slots ? fk_ovl_new(&ovl, layers, n, &oo, err, errlen) : -ENOMEM;
	if (rc) {
		if (!slots)
			snprintf(err, errlen, "out of memory");
		free(slots);
		free_branches(un, layers, n);
		pthread_mutex_destroy(&un->control_lock);
		free(un);
		return rc;
	}
	memcpy(slots, ovl->layers, n * sizeof *slots);
	free(ovl->layers);
	ovl->layers = slots;
	ovl->un = un;
	ovl->root->origin_ino = fk_un_path_ino(ovl, NULL, NULL, S_IFDIR, 0);
	*out = ovl;
	return 0;
}

int fk_un_branch_init(struct fk_un *un, unsigned slot, struct fk_layer *l,
		      const struct fk_un_branch_spec *spec, char *err, size_t errlen)
{
	struct fk_un_branch *b = &un->b[slot];
	struct fk_layer_node *root = fk_layer_root(l);
	struct fk_layer_stat st;
	int rc = l->ops->getattr(l, root, &st);
	fk_layer_put(l, root);
	if (rc) {
		snprintf(err, errlen, "%s", strerror(-rc));
		return rc;
	}
	*b = (struct fk_un_branch){ .mode = spec->mode, .dev = st.dev,
				    .rank = FK_UN_RANK_GONE };
	b->own_minfree = spec->minfreespace != UINT64_MAX;
	b->minfree = b->own_minfree ? spec->minfreespace : un->minfreespace;
	if (un->cow && spec->mode != FK_UN_RO) {
		rc = l->ops->work ? l->ops->work(l, &b->work) : -ENOTSUP;
		if (rc) {
			snprintf(err, errlen, "cow needs a work directory there");
			return rc;
		}
		fk_ovl_choose_format(l, b->work); /* whiteouts writable there */
	}
	b->path = strdup(spec->path ? spec->path : "");
	if (!b->path) {
		fk_layer_put(l, b->work);
		b->work = NULL;
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

void fk_un_destroy(struct fk_ovl *ovl)
{
	free_branches(ovl->un, ovl->layers, ovl->nlayers);
	pthread_mutex_destroy(&ovl->un->control_lock);
}

void fk_un_release(struct fk_ovl *ovl, const struct ovl_file *f)
{
	/* dropcacheonclose, as mergerfs: the branch file's pages go from the
	 * page cache (dirty ones are written first), for files read or
	 * written once (media, backups). Advice: failing, they stay. */
	if (atomic_load(&ovl->un->dropcacheonclose))
		(void)fk_plat_drop_cache(f->fd);
}

int fk_un_statfs(struct fk_ovl *ovl, struct fk_statfs *out)
{
	const struct fk_un *un = ovl->un;
	/* Bytes, summed; reported in 4 KiB blocks. */
	uint64_t blocks = 0, bfree = 0, bavail = 0, files = 0, ffree = 0;
	uint32_t namelen = 255;
	int counted = 0, rc = 0;
	fk_ovl_tree_read(ovl); /* the branches stay */
	for (unsigned k = 0; k < un->nbranches; k++) {
		unsigned i = un->order[k];
		int seen = 0;
		for (unsigned q = 0; q < k && !seen; q++)
			seen = un->b[un->order[q]].dev == un->b[i].dev;
		if (seen)
			continue; /* one filesystem, counted once */
		struct fk_statfs st;
		struct fk_layer *l = ovl->layers[i];
		int r = l->ops->statfs(l, &st);
		if (r) {
			rc = r;
			continue; /* a branch that cannot say: the others do */
		}
		uint64_t fr = st.frsize ? st.frsize : st.bsize ? st.bsize : 4096;
		blocks += st.blocks * fr;
		bfree += st.bfree * fr;
		/* Only what may be created on counts as available. */
		if (un->b[i].mode == FK_UN_RW)
			bavail += st.bavail * fr;
		files += st.files;
		ffree += st.ffree;
		if (st.namelen && st.namelen < namelen)
			namelen = st.namelen;
		counted++;
	}
	fk_ovl_tree_unlock(ovl);
	if (!counted)
		return rc ? rc : -EIO;
	*out = (struct fk_statfs){ blocks / 4096, bfree / 4096, bavail / 4096,
				   files, ffree, 4096, namelen, 4096 };
	return 0;
}

/* Inode numbers (inodecalc). */

/* A hash made a number: 32 bits when asked, never 0 (which readdir's
 * callers take for an empty slot). */
static uint64_t hash_ino(const struct fk_un *un, uint64_t h)
{
	if (un->ino32)
		h = (h ^ (h >> 32)) & 0xffffffffu;
	return h ? h : 1;
}

uint64_t fk_un_shown_ino(const struct fk_ovl *ovl, unsigned layer, uint64_t ino)
{
	const struct fk_un *un = ovl->un;
	switch (un->inodecalc) {
	case FK_UN_INO_PASSTHROUGH:
		return ino;
	case FK_UN_INO_AUTO:
		/* The first branch's filesystem keeps its numbers, so does
		 * any branch on it; others carry their slot (never reused). */
		if (un->b[layer].dev == un->dev0)
			return ino;
		return (ino & ((1ULL << 48) - 1)) | ((uint64_t)(layer + 1) << 48);
	default:
		return hash_ino(un, fk_mix64(un->b[layer].dev * 0x9e3779b97f4a7c15ull ^
					  fk_mix64(ino)));
	}
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

uint64_t fk_un_path_ino(struct fk_ovl *ovl, const struct fk_ovl_node *dir,
			const char *name, uint32_t type, int locked)
{
	const struct fk_un *un = ovl->un;
	if (!un || !(un->inodecalc == FK_UN_INO_PATH_HASH ||
		     (un->inodecalc == FK_UN_INO_HYBRID_HASH && type == S_IFDIR)))
		return 0;
	if (!locked)
		fk_nt_lock(&ovl->nodes);
	/* The names from the root down: dir's ancestors, counted first. */
	size_t depth = 0;
	for (const struct fk_ovl_node *n = dir; n && n->parent; n = n->parent)
		depth++;
	const char **names = malloc((depth + 1) * sizeof *names);
	uint64_t h = 0xcbf29ce484222325ull;
	if (names) {
		size_t k = depth;
		for (const struct fk_ovl_node *n = dir; n && n->parent; n = n->parent)
			names[--k] = n->name ? n->name : "";
		for (k = 0; k < depth; k++)
			h = fnv1a(fnv1a(h, "/"), names[k]);
		h = name ? fnv1a(fnv1a(h, "/"), name) : fnv1a(h, "/");
	}
	if (!locked)
		fk_nt_unlock(&ovl->nodes);
	free(names);
	/* Out of memory: a number from nothing, the same for all such. */
	return hash_ino(un, fk_mix64(h));
}

int fk_un_is_control(const struct fk_ovl *ovl, uint64_t parent, const char *name)
{
	return ovl->un && parent == FK_ROOT_INO && !strcmp(name, FK_UN_CONTROL_NAME);
}
