/*
 * ovl_dir.c — merged directory listings, and their cache.
 *
 * A listing is merged from every layer of a directory's stack: each
 * layer's entries, sorted by name with the upper entry of each name first;
 * that entry decides (a whiteout hides the name). Both formats are read
 * in every layer: a device 0/0 hides its own name; an OCI ".wh.NAME"
 * hides NAME in the layers below, but not a NAME beside it, so within a
 * layer the objects sort before the OCI whiteouts. The opaque marker and
 * AUFS's other ".wh..wh.*" names say nothing about a name.
 * The result is an immutable array shared by every open of the directory
 * (reference counted), so offsets are indexes and telldir/seekdir are
 * exact for a handle's life.
 *
 * The cache keeps the last listing of each directory node while the
 * directory is unchanged: with it are the mtime and ctime of every layer
 * directory it was merged from and the node's stack generation, and an
 * opendir that finds any of them changed merges again. Changes through
 * the overlay also drop the listing of the directory they change. (Linux
 * gives a change after a stat a new ctime even within one clock tick:
 * multigrain timestamps.) Its memory is bounded: at most cap names in
 * all, the least recently used listings go first, and a directory larger
 * than the cap is merged for each open and not kept.
 *
 * Lock order: the table lock, then the cache lock (dcache_lock).
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ovl.h"
#include "../union/un.h"

#define OVL(req) ((struct fk_ovl *)fk_req_fs(req))

struct ovl_dirent {
	char *name;
	uint64_t ino;
	uint32_t type;
	/* Which entry of a name decides: 2 * stack index, + 1 for an OCI
	 * whiteout (it loses to an object of its own layer). */
	unsigned rank;
	int whiteout;
};

struct ovl_stamp {
	struct timespec mtime, ctime;
};

struct ovl_listing {
	struct ovl_dirent *e; /* the visible names, sorted */
	size_t n, cap;
	unsigned refs; /* the cache's and open handles' (dcache_lock) */
	uint64_t gen; /* the node's stack_gen when merged */
	struct ovl_stamp *stamps; /* one per stack entry */
	unsigned nstamps;
	uint64_t checked_ns; /* CLOCK_MONOTONIC when stamps last matched */
	struct fk_ovl_node *node; /* whose cached listing this is; or NULL */
	struct ovl_listing *newer, *older; /* LRU, while cached */
};

/* An open directory: fh is a pointer to this. */
struct ovl_dir_handle {
	struct ovl_listing *l;
	uint64_t self_ino, parent_ino;
};

static int push(struct ovl_listing *d, const char *name, uint64_t ino,
		uint32_t type, unsigned rank, int whiteout)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct ovl_dirent *e = realloc(d->e, cap * sizeof *e);
		if (!e)
			return -ENOMEM;
		d->e = e;
		d->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	d->e[d->n] = (struct ovl_dirent){ copy, ino, type, rank, whiteout };
	d->n++;
	return 0;
}

static void listing_free(struct ovl_listing *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->e[i].name);
	free(d->e);
	free(d->stamps);
	free(d);
}

/* Is entry e of directory h in layer l a device 0/0 whiteout? */
static int is_whiteout_entry(struct fk_layer *l, struct fk_layer_node *h,
			     const struct fk_layer_dirent *e)
{
	if (e->type && e->type != S_IFCHR)
		return 0;
	struct fk_layer_stat st;
	if (l->ops->lookup(l, h, e->name, NULL, &st))
		return 0; /* gone meanwhile */
	return fk_layer_whiteout_test(l, h, e->name, &st) == 1;
}

/* The origin number recorded on name in upper directory h, or 0. */
static uint64_t recorded_origin(struct fk_layer *l, struct fk_ovl *ovl,
				struct fk_layer_node *h, const char *name)
{
	struct fk_layer_node *eh;
	if (l->ops->lookup(l, h, name, &eh, NULL))
		return 0; /* gone meanwhile */
	uint64_t ino = fk_ovl_recorded_origin(ovl, eh);
	if (!ino)
		ino = fk_ovl_kernel_origin(ovl, eh);
	l->ops->put(l, eh);
	return ino;
}

/* Every entry of directory h, stack entry i of layer `layer` (on device
 * dev) of directory node dir, into d. A copied-up file shows its
 * origin's number. A union's root does not show its control file's
 * name. */
static int collect(struct fk_ovl *ovl, const struct fk_ovl_node *dir,
		   unsigned i, unsigned layer, struct fk_layer_node *h,
		   uint64_t dev, struct ovl_listing *d)
{
	struct fk_layer *l = ovl->layers[layer];
	struct fk_layer_dir *ld;
	int rc = l->ops->opendir(l, h, &ld);
	if (rc)
		return rc;
	struct fk_layer_dirent e;
	const size_t pre = strlen(FK_LAYER_OCI_PREFIX);
	int impure = ovl->upper && layer == 0 && fk_ovl_is_impure(ovl, h);
	while ((rc = l->ops->readdir(l, ld, &e)) == 1) {
		if (fk_layer_is_marker_name(l, e.name)) {
			/* ".wh.NAME" deletes NAME below; ".wh..wh.*" (the
			 * opaque marker, AUFS's own) names nothing. */
			if (strncmp(e.name + pre, FK_LAYER_OCI_PREFIX, pre) &&
			    e.name[pre] &&
			    (rc = push(d, e.name + pre, 0, 0, 2 * i + 1, 1)) != 0)
				break;
			continue;
		}
		if (fk_un_is_control(ovl, dir->tn.nodeid, e.name))
			continue;
		uint64_t ino = fk_ovl_node_origin(ovl, layer, dev, e.ino);
		if (!ino && impure && e.type != S_IFDIR)
			ino = recorded_origin(l, ovl, h, e.name);
		if (!ino && ovl->un) /* numbered by path? */
			ino = fk_un_path_ino(ovl, dir, e.name, e.type, 0);
		if (!ino)
			ino = fk_ovl_shown_ino(ovl, layer, e.ino);
		rc = push(d, e.name, ino, e.type, 2 * i, is_whiteout_entry(l, h, &e));
		if (rc)
			break;
	}
	l->ops->closedir(l, ld);
	assert(rc <= 0); /* the end of the stream, or an error */
	return rc;
}

static int by_name_then_layer(const void *a, const void *b)
{
	const struct ovl_dirent *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->rank > y->rank) - (x->rank < y->rank);
}

/* The stamps of n's layer directories, and the device of each: taken
 * once per opendir, to check the cache and, on a miss, to keep with the
 * new listing. */
static int stamp(struct fk_ovl *ovl, const struct fk_ovl_node *n,
		 struct ovl_stamp *s, uint64_t *dev)
{
	for (unsigned i = 0; i < n->depth; i++) {
		struct fk_layer *l = ovl->layers[n->stack[i].layer];
		struct fk_layer_stat st;
		int rc = l->ops->getattr(l, n->stack[i].h, &st);
		if (rc)
			return rc;
		s[i] = (struct ovl_stamp){ st.attr.mtime, st.attr.ctime };
		dev[i] = st.dev;
	}
	return 0;
}

/* Merge n's listing. stamps (taken over) and devs: what stamp() found
 * just before. */
static int merge(struct fk_ovl *ovl, const struct fk_ovl_node *n,
		 struct ovl_stamp *stamps, const uint64_t *devs,
		 struct ovl_listing **out)
{
	struct ovl_listing all = { 0 };
	struct ovl_listing *d = calloc(1, sizeof *d);
	int rc = d ? 0 : -ENOMEM;
	if (d) {
		d->stamps = stamps;
		d->nstamps = n->depth;
		d->gen = n->stack_gen;
	} else {
		free(stamps);
	}
	for (unsigned i = 0; rc == 0 && i < n->depth; i++)
		rc = collect(ovl, n, i, n->stack[i].layer, n->stack[i].h, devs[i],
			     &all);
	if (rc == 0 && all.n)
		qsort(all.e, all.n, sizeof *all.e, by_name_then_layer);
	const char *decided = NULL; /* the last name seen */
	for (size_t i = 0; rc == 0 && i < all.n; i++) {
		if (decided && !strcmp(all.e[i].name, decided))
			continue; /* an upper entry decided */
		decided = all.e[i].name;
		if (all.e[i].whiteout)
			continue;
		/* Taken over: the name moves to d. */
		if (d->n == d->cap) {
			size_t cap = d->cap * 2 + 64;
			struct ovl_dirent *e = realloc(d->e, cap * sizeof *e);
			if (!e) {
				rc = -ENOMEM;
				break;
			}
			d->e = e;
			d->cap = cap;
		}
		d->e[d->n++] = all.e[i];
		all.e[i].name = NULL;
	}
	for (size_t i = 0; i < all.n; i++)
		free(all.e[i].name);
	free(all.e);
	if (rc) {
		listing_free(d);
		return rc;
	}
	d->refs = 1;
	*out = d;
	return 0;
}

/* ---- the cache (under dcache_lock) ---- */

static void lru_unlink(struct fk_ovl *ovl, struct ovl_listing *d)
{
	if (d->newer)
		d->newer->older = d->older;
	else
		ovl->dc_newest = d->older;
	if (d->older)
		d->older->newer = d->newer;
	else
		ovl->dc_oldest = d->newer;
	d->newer = d->older = NULL;
	ovl->dc_names -= d->n;
	ovl->dc_listings--;
}

static void unref(struct ovl_listing *d)
{
	if (d && --d->refs == 0)
		listing_free(d);
}

/* Take d out of the cache (its node forgets it). */
static void uncache(struct fk_ovl *ovl, struct ovl_listing *d)
{
	lru_unlink(ovl, d);
	d->node->listing = NULL;
	d->node = NULL;
	unref(d);
}

/* d becomes the most recently used listing. */
static void lru_push(struct fk_ovl *ovl, struct ovl_listing *d)
{
	d->older = ovl->dc_newest;
	if (ovl->dc_newest)
		ovl->dc_newest->newer = d;
	else
		ovl->dc_oldest = d;
	ovl->dc_newest = d;
	ovl->dc_names += d->n;
	ovl->dc_listings++;
}

static void cache(struct fk_ovl *ovl, struct fk_ovl_node *n,
		  struct ovl_listing *d)
{
	if (n->listing)
		uncache(ovl, n->listing);
	if (d->n > ovl->dc_cap)
		return; /* too big to keep */
	d->refs++;
	d->node = n;
	n->listing = d;
	lru_push(ovl, d);
	while (ovl->dc_names > ovl->dc_cap && ovl->dc_oldest)
		uncache(ovl, ovl->dc_oldest);
}

static int unchanged(const struct ovl_listing *d, const struct fk_ovl_node *n,
		     const struct ovl_stamp *now)
{
	if (d->gen != n->stack_gen || d->nstamps != n->depth)
		return 0;
	for (unsigned i = 0; i < n->depth; i++)
		if (memcmp(&d->stamps[i], &now[i], sizeof *now))
			return 0;
	return 1;
}

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t); /* cannot fail with this clock */
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* n's listing, with a reference: the cached one if its directories are
 * unchanged, else a new merge (cached if it fits). Under the tree lock. */
static int listing_of(struct fk_ovl *ovl, struct fk_ovl_node *n,
		      struct ovl_listing **out)
{
	assert(fk_ovl_tree_held() != FK_OVL_TREE_NONE);
	struct ovl_stamp *now = calloc(n->depth, sizeof *now);
	uint64_t *devs = calloc(n->depth, sizeof *devs);
	int rc = now && devs ? stamp(ovl, n, now, devs) : -ENOMEM;
	*out = NULL;
	if (rc == 0) {
		pthread_mutex_lock(&ovl->dcache_lock);
		struct ovl_listing *d = n->listing;
		if (d && unchanged(d, n, now)) {
			d->checked_ns = now_ns();
			d->refs++;
			lru_unlink(ovl, d); /* to the front */
			lru_push(ovl, d);
			*out = d;
			rc = 1;
		}
		pthread_mutex_unlock(&ovl->dcache_lock);
	}
	if (rc == 0) {
		struct ovl_listing *d;
		rc = merge(ovl, n, now, devs, &d); /* keeps the stamps */
		now = NULL;
		if (rc == 0) {
			d->checked_ns = now_ns();
			pthread_mutex_lock(&ovl->dcache_lock);
			cache(ovl, n, d);
			pthread_mutex_unlock(&ovl->dcache_lock);
			*out = d;
		}
	}
	free(now);
	free(devs);
	assert(rc < 0 || *out); /* 0: a listing, always */
	return rc < 0 ? rc : 0;
}

/* What listing d says of name (see fk_ovl_dir_hint). */
static int hint_of(const struct ovl_listing *d, const char *name)
{
	size_t lo = 0, hi = d->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, d->e[mid].name);
		if (c == 0) {
			const struct ovl_dirent *e = &d->e[mid];
			/* A directory merges with those below it; an unknown
			 * type may be one. */
			if (e->type == S_IFDIR || e->type == 0)
				return FK_OVL_HINT_WALK;
			return (int)(e->rank / 2);
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return FK_OVL_HINT_ABSENT;
}

int fk_ovl_dir_hint(struct fk_ovl *ovl, struct fk_ovl_node *n, const char *name)
{
	assert(fk_ovl_tree_held() != FK_OVL_TREE_NONE);
	/* One layer: one lookup anyway. No entry caching: none trusted. */
	if (n->depth < 2 || ovl->entry_ns == 0 || ovl->dc_cap == 0)
		return FK_OVL_HINT_WALK;
	int seen = atomic_fetch_add(&n->lookups, 1);
	if (seen < FK_OVL_HINT_NEVER / 2)
		return FK_OVL_HINT_WALK;
	int hint = FK_OVL_HINT_WALK;
	int fresh = 0, have = 0;
	pthread_mutex_lock(&ovl->dcache_lock);
	struct ovl_listing *d = n->listing;
	if (d && d->gen == n->stack_gen) {
		have = 1;
		fresh = now_ns() - d->checked_ns < ovl->entry_ns;
		if (fresh)
			hint = hint_of(d, name);
	}
	pthread_mutex_unlock(&ovl->dcache_lock);
	/* Merged once the layer lookups a walk costs have reached 16: at
	 * once over many layers, on the 8th lookup over two. */
	if (fresh || (!have && ((long)seen + 1) * n->depth < 16))
		return hint;
	/* Check the stamps again (one stat per layer, once per entry
	 * timeout), or merge the listing for the first time. */
	if (listing_of(ovl, n, &d) < 0)
		return FK_OVL_HINT_WALK;
	pthread_mutex_lock(&ovl->dcache_lock);
	if (d->node == n)
		hint = hint_of(d, name);
	else /* too big to keep: merging it for lookups would cost more */
		atomic_store(&n->lookups, FK_OVL_HINT_NEVER);
	unref(d);
	pthread_mutex_unlock(&ovl->dcache_lock);
	return hint;
}

void fk_ovl_dircache_drop(struct fk_ovl *ovl, struct fk_ovl_node *n)
{
	pthread_mutex_lock(&ovl->dcache_lock);
	if (n->listing) {
		/* Merged again for lookups only after enough of them to pay
		 * for it: a directory changed between every few lookups (a
		 * create storm) is not merged for each. */
		if (atomic_load(&n->lookups) >= 0)
			atomic_store(&n->lookups, -(int)(n->listing->n / 16));
		uncache(ovl, n->listing);
	}
	pthread_mutex_unlock(&ovl->dcache_lock);
}

void fk_ovl_dircache_stats(struct fk_ovl *ovl, uint64_t *listings,
			   uint64_t *names)
{
	pthread_mutex_lock(&ovl->dcache_lock);
	*listings = ovl->dc_listings;
	*names = ovl->dc_names;
	pthread_mutex_unlock(&ovl->dcache_lock);
}

/* ---- the operations ---- */

int fk_ovl_dir_empty(struct fk_ovl *ovl, struct fk_ovl_node *n)
{
	struct ovl_listing *d;
	int rc = listing_of(ovl, n, &d);
	if (rc)
		return rc;
	rc = d->n == 0;
	pthread_mutex_lock(&ovl->dcache_lock);
	unref(d);
	pthread_mutex_unlock(&ovl->dcache_lock);
	return rc;
}

static void handle_free(struct fk_ovl *ovl, struct ovl_dir_handle *h)
{
	pthread_mutex_lock(&ovl->dcache_lock);
	unref(h->l);
	pthread_mutex_unlock(&ovl->dcache_lock);
	free(h);
}

static void ovl_opendir(fk_req *req, const struct fk_open_in *in)
{
	struct fk_ovl *ovl = OVL(req);
	struct fk_ovl_node *n = fk_ovl_node_get(ovl, in->ino);
	if (!n) {
		(void)fk_reply_err(req, ENOENT);
		return;
	}
	struct ovl_dir_handle *h = calloc(1, sizeof *h);
	struct fk_attr self, up;
	fk_ovl_tree_read(ovl);
	struct fk_ovl_node *parent = fk_ovl_node_parent(ovl, n, NULL);
	int rc = h ? fk_ovl_top_attr(ovl, n, &self) : -ENOMEM;
	if (rc == 0)
		up.ino = self.ino; /* the root's ".." is itself */
	if (rc == 0 && parent)
		rc = fk_ovl_top_attr(ovl, parent, &up);
	if (rc == 0)
		rc = listing_of(ovl, n, &h->l);
	fk_ovl_tree_unlock(ovl);
	fk_ovl_node_put(ovl, parent);
	fk_ovl_node_put(ovl, n);
	if (rc) {
		free(h);
		(void)fk_reply_err(req, -rc);
		return;
	}
	h->self_ino = self.ino;
	h->parent_ino = up.ino;
	struct fk_open_out o = { (uint64_t)(uintptr_t)h,
				 fk_cache_open_flags(ovl->o.cache, 1), 0 };
	if (fk_reply_open(req, &o) == -ENOENT)
		handle_free(ovl, h); /* the opener gave up: no releasedir comes */
}

static void ovl_readdir(fk_req *req, const struct fk_read_in *in)
{
	const struct ovl_dir_handle *h = (struct ovl_dir_handle *)(uintptr_t)in->fh;
	/* Offsets: 0 ".", 1 "..", then entry i at i + 2; the entry at
	 * offset k is followed by offset k + 1. */
	for (uint64_t k = in->offset; k < h->l->n + 2; k++) {
		int full;
		if (k < 2) {
			full = fk_dirbuf_add(req, k ? ".." : ".",
					     k ? h->parent_ino : h->self_ino, S_IFDIR,
					     k + 1);
		} else {
			const struct ovl_dirent *e = &h->l->e[k - 2];
			full = fk_dirbuf_add(req, e->name, e->ino, e->type, k + 1);
		}
		if (full)
			break;
	}
	(void)fk_reply_dirbuf(req);
}

static void ovl_releasedir(fk_req *req, const struct fk_release_in *in)
{
	handle_free(OVL(req), (struct ovl_dir_handle *)(uintptr_t)in->fh);
	(void)fk_reply_err(req, 0);
}

void fk_ovl_dir_ops(struct fk_ops *ops)
{
	ops->opendir = ovl_opendir;
	ops->readdir = ovl_readdir;
	ops->releasedir = ovl_releasedir;
}
