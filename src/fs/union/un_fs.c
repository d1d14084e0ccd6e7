/*
 * un_fs.c — a union made: an overlay with no upper layer, and the
 * branches' modes and policies beside it (fk_ovl.un); its statfs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	struct fk_un *un = calloc(1, sizeof *un + n * sizeof un->b[0]);
	if (!un) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	un->create = o->create;
	un->action = o->action;
	un->search = o->search;
	un->cow = o->cow;
	un->moveonenospc = o->moveonenospc;
	un->dropcacheonclose = o->dropcacheonclose;
	un->move_policy = o->move_policy;
	un->nbranches = n;
	atomic_init(&un->rnd, (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)un);
	for (unsigned i = 0; i < n; i++) {
		struct fk_layer_node *root = fk_layer_root(layers[i]);
		struct fk_layer_stat st;
		int rc = layers[i]->ops->getattr(layers[i], root, &st);
		fk_layer_put(layers[i], root);
		if (rc) {
			snprintf(err, errlen, "branch %u: %s", i + 1, strerror(-rc));
			free(un);
			return rc;
		}
		un->b[i].mode = specs[i].mode;
		un->b[i].minfree = specs[i].minfreespace != UINT64_MAX
					   ? specs[i].minfreespace
					   : o->minfreespace;
		un->b[i].dev = st.dev;
		if (o->cow && specs[i].mode != FK_UN_RO) {
			struct fk_layer *l = layers[i];
			rc = l->ops->work ? l->ops->work(l, &un->b[i].work) : -ENOTSUP;
			if (rc == 0) /* whiteouts this daemon can write there */
				fk_ovl_choose_format(l, un->b[i].work);
			if (rc) {
				snprintf(err, errlen, "branch %u: cow needs a work "
						      "directory there", i + 1);
				while (i-- > 0)
					fk_layer_put(layers[i], un->b[i].work);
				free(un);
				return rc;
			}
		}
	}
	struct fk_ovl_options oo = o->ovl;
	oo.upper = 0;
	oo.redirect_dir = FK_OVL_REDIRECT_NOFOLLOW; /* an overlay's business */
	struct fk_ovl *ovl;
	int rc = fk_ovl_new(&ovl, layers, n, &oo, err, errlen);
	if (rc) {
		for (unsigned i = 0; i < n; i++)
			fk_layer_put(layers[i], un->b[i].work);
		free(un);
		return rc;
	}
	ovl->un = un;
	*out = ovl;
	return 0;
}

void fk_un_destroy(struct fk_ovl *ovl)
{
	for (unsigned i = 0; i < ovl->un->nbranches; i++)
		fk_layer_put(ovl->layers[i], ovl->un->b[i].work);
}

void fk_un_release(struct fk_ovl *ovl, const struct ovl_file *f)
{
	/* dropcacheonclose, as mergerfs: the branch file's pages go from the
	 * page cache (dirty ones are written first), for files read or
	 * written once (media, backups). Advice: failing, they stay. */
	if (ovl->un->dropcacheonclose)
		(void)fk_plat_drop_cache(f->fd);
}

int fk_un_statfs(struct fk_ovl *ovl, struct fk_statfs *out)
{
	const struct fk_un *un = ovl->un;
	/* Bytes, summed; reported in 4 KiB blocks. */
	uint64_t blocks = 0, bfree = 0, bavail = 0, files = 0, ffree = 0;
	uint32_t namelen = 255;
	int counted = 0, rc = 0;
	for (unsigned i = 0; i < un->nbranches; i++) {
		int seen = 0;
		for (unsigned j = 0; j < i && !seen; j++)
			seen = un->b[j].dev == un->b[i].dev;
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
	if (!counted)
		return rc ? rc : -EIO;
	*out = (struct fk_statfs){ blocks / 4096, bfree / 4096, bavail / 4096,
				   files, ffree, 4096, namelen, 4096 };
	return 0;
}
