/*
 * ovl_ops.c — the read-only overlay's operations and setup.
 *
 * Lookup walks the parent's stack from the top: in each layer that has
 * the parent directory, a whiteout ends the walk (the name is deleted
 * above everything below), a file ends it (it hides what is below), a
 * directory joins the stack and, if opaque, ends it. Whiteouts and
 * opaque marks are read in both formats in every layer (layer.c); names
 * the OCI format keeps for itself (".wh.*") are never found.
 *
 * Directory listings are merged and cached in ovl_dir.c.
 *
 * Inode numbers: when every layer is on one device, a node shows its
 * topmost layer inode's number (as kernel overlayfs does); otherwise the
 * layer's index goes in the top 16 bits, so numbers from different
 * layers never meet. A merged directory shows nlink 1, as kernel
 * overlayfs does: its count of subdirectories is not known.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ovl.h"
#include "../union/un.h"

#define OVL(req) ((struct fk_ovl *)fk_req_fs(req))
#define LAYER(ovl, ref) ((ovl)->layers[(ref).layer])

void fk_ovl_options_init(struct fk_ovl_options *o)
{
	o->cache = FK_CACHE_AUTO;
	o->entry_timeout = -1;
	o->attr_timeout = -1;
	o->negative_timeout = 0;
	o->upper = 0;
	o->static_nlink = 0;
	o->squash_uid = o->squash_gid = -1;
	o->noacl = 0;
	o->noxattrs = 0;
	o->fsync = 1;
	o->passthrough = 1;
	o->dircache_names = 100000;
	o->redirect_dir = FK_OVL_REDIRECT_FOLLOW;
}

uint64_t fk_ovl_shown_ino(const struct fk_ovl *ovl, unsigned layer, uint64_t ino)
{
	if (ovl->un)
		return fk_un_shown_ino(ovl, layer, ino); /* by its inodecalc */
	if (ovl->same_dev)
		return ino;
	return (ino & ((1ULL << 48) - 1)) | ((uint64_t)(layer + 1) << 48);
}

int fk_ovl_attr_of(const struct fk_ovl *ovl, const struct fk_ovl_node *n,
		   const struct fk_layer_stat *st, struct fk_attr *a)
{
	if ((st->attr.mode & S_IFMT) != n->type)
		return -ESTALE;
	*a = st->attr;
	a->ino = n->origin_ino ? n->origin_ino
			       : fk_ovl_shown_ino(ovl, n->stack[0].layer, st->attr.ino);
	if (S_ISDIR(a->mode) && (n->depth > 1 || ovl->o.static_nlink))
		a->nlink = 1;
	if (ovl->o.squash_uid >= 0)
		a->uid = (uint32_t)ovl->o.squash_uid;
	if (ovl->o.squash_gid >= 0)
		a->gid = (uint32_t)ovl->o.squash_gid;
	return 0;
}

int fk_ovl_xattr_refused(const struct fk_ovl *ovl, const char *name)
{
	if (ovl->o.noxattrs)
		return -EOPNOTSUPP;
	if (ovl->o.noacl && name && !strncmp(name, "system.posix_acl_", 17))
		return -EOPNOTSUPP;
	return 0;
}

char *fk_ovl_redirect_of(struct fk_ovl *ovl, unsigned layer,
			 struct fk_layer_node *h)
{
	struct fk_layer *l = ovl->layers[layer];
	char name[64], buf[4096];
	snprintf(name, sizeof name, "%sredirect", l->xattr_prefix);
	int n = l->ops->getxattr(l, h, name, buf, sizeof buf - 1);
	if (n <= 0)
		return NULL;
	buf[n] = 0;
	/* Relative: one name; absolute: a path from the layers' root. A
	 * value of neither form is ignored, as the kernel ignores it. */
	if (strlen(buf) != (size_t)n || (buf[0] != '/' && strchr(buf, '/')) ||
	    !strcmp(buf, ".") || !strcmp(buf, "..") || !strcmp(buf, "/"))
		return NULL;
	return strdup(buf);
}

/* One step of a lookup: name in layer node ph of layer. Pushes what it
 * finds onto f's stack. Returns 1 to go on to the layers below, 0 when
 * they are hidden (a whiteout, a file, an opaque dir) or there are none
 * (last: nothing below can merge with what it finds), or -errno. With
 * redirects followed, *redirect is set (to free) when the directory found
 * names another place for the layers below. */
static int lookup_step(struct fk_ovl *ovl, unsigned layer,
		       struct fk_layer_node *ph, const char *name, int last,
		       struct fk_ovl_found *f, struct fk_layer_stat *top,
		       char **redirect)
{
	struct fk_layer *l = ovl->layers[layer];
	struct fk_layer_node *h;
	struct fk_layer_stat st;
	if (fk_layer_is_marker_name(l, name))
		return 1; /* never shown, so never found */
	atomic_fetch_add_explicit(&ovl->layer_lookups, 1, memory_order_relaxed);
	int rc = l->ops->lookup(l, ph, name, &h, &st);
	if (rc == -ENOENT) /* OCI: a ".wh.NAME" deletes it here */
		return fk_layer_whiteout_test(l, ph, name, NULL) == 1 ? 0 : 1;
	if (rc)
		return rc;
	if (fk_layer_whiteout_test(l, ph, name, &st) == 1 ||
	    (f->depth > 0 && !S_ISDIR(st.attr.mode))) {
		/* A whiteout, or a file below a directory: hidden, and so
		 * is everything further down. */
		fk_layer_put(l, h);
		return 0;
	}
	if (f->depth == 0)
		*top = st;
	else if (f->depth == 1 && ovl->upper && f->stack[0].layer == 0)
		/* A merged directory shows its first lower directory's
		 * number, as kernel overlayfs does. */
		f->origin_ino = fk_ovl_shown_ino(ovl, layer, st.attr.ino);
	if (f->stack == f->inline_refs && f->depth == FK_OVL_FOUND_INLINE) {
		/* Deeper than most: to the heap, with room for every layer. */
		struct fk_ovl_layer_ref *heap = malloc(ovl->nlayers * sizeof *heap);
		if (!heap) {
			fk_layer_put(l, h);
			return -ENOMEM;
		}
		memcpy(heap, f->inline_refs, sizeof f->inline_refs);
		f->stack = heap;
	}
	assert(f->depth < ovl->nlayers);
	f->stack[f->depth++] = (struct fk_ovl_layer_ref){ layer, h };
	if (!S_ISDIR(st.attr.mode) || last)
		return 0; /* nothing below to merge with */
	/* Opaque: marked so, or (OCI) beside its own whiteout, which deleted
	 * what is below before this directory was made. */
	if (fk_layer_opaque_test(l, h) == 1 ||
	    fk_layer_whiteout_test(l, ph, name, NULL) == 1)
		return 0;
	if (ovl->o.redirect_dir != FK_OVL_REDIRECT_NOFOLLOW)
		*redirect = fk_ovl_redirect_of(ovl, layer, h);
	return 1;
}

/* Follow absolute redirect path in the layers from `from` down: each
 * layer's directory at path joins the stack. */
static int lookup_absolute(struct fk_ovl *ovl, unsigned from, char *path,
			   struct fk_ovl_found *f, struct fk_layer_stat *top)
{
	int rc = 1;
	for (unsigned layer = from; rc == 1 && layer < ovl->nlayers; layer++) {
		struct fk_layer *l = ovl->layers[layer];
		struct fk_layer_node *dir = fk_layer_root(l);
		char *copy = strdup(path), *save = NULL, *last = NULL;
		if (!copy) {
			fk_layer_put(l, dir);
			return -ENOMEM;
		}
		/* Walk to the parent of the last component. */
		for (char *c = strtok_r(copy, "/", &save); c && dir;
		     c = strtok_r(NULL, "/", &save)) {
			if (last) {
				struct fk_layer_node *next = NULL;
				struct fk_layer_stat st;
				if (l->ops->lookup(l, dir, last, &next, &st) ||
				    !S_ISDIR(st.attr.mode)) {
					fk_layer_put(l, next);
					next = NULL;
				}
				fk_layer_put(l, dir);
				dir = next;
			}
			last = c;
		}
		char *redirect = NULL;
		if (dir && last)
			rc = lookup_step(ovl, layer, dir, last, layer + 1 == ovl->nlayers,
					 f, top, &redirect);
		fk_layer_put(l, dir);
		free(copy);
		if (redirect && redirect[0] == '/') {
			free(path);
			path = redirect; /* a lower layer moved it too */
		} else {
			free(redirect); /* relative below an absolute one: as is */
		}
	}
	free(path);
	return rc < 0 ? rc : 0;
}

int fk_ovl_lookup_in(struct fk_ovl *ovl, const struct fk_ovl_layer_ref *dirs,
		     unsigned ndirs, const char *name, struct fk_ovl_found *f,
		     struct fk_layer_stat *top)
{
	f->stack = f->inline_refs;
	f->depth = 0;
	f->origin_ino = 0;
	f->hidden_at = -1;
	char *renamed = NULL; /* the name sought below, when redirected */
	int rc = 1;
	for (unsigned i = 0; rc == 1 && i < ndirs; i++) {
		char *redirect = NULL;
		unsigned layer = dirs[i].layer;
		/* Below the last layer, or (redirects not followed, as in
		 * a union, whose layer numbers are not in search order) the
		 * parent's last directory, nothing merges. */
		int last = ovl->o.redirect_dir == FK_OVL_REDIRECT_NOFOLLOW
				   ? i + 1 == ndirs
				   : layer + 1 == ovl->nlayers;
		rc = lookup_step(ovl, layer, dirs[i].h, renamed ? renamed : name,
				 last, f, top, &redirect);
		if (rc == 0 && f->depth == 0)
			f->hidden_at = (int)layer; /* a whiteout: nothing above */
		if (rc == 1 && redirect && redirect[0] == '/') {
			rc = lookup_absolute(ovl, layer + 1, redirect, f, top);
			break;
		}
		if (redirect) {
			free(renamed);
			renamed = redirect;
		}
	}
	free(renamed);
	if (rc > 0)
		rc = 0;
	if (rc == 0 && f->depth == 0)
		rc = -ENOENT;
	if (rc) {
		fk_ovl_found_drop(ovl, f);
		return rc;
	}
	f->type = top->attr.mode & S_IFMT;
	f->dev = top->dev;
	f->ino = top->attr.ino;
	return 0;
}

/* fk_ovl_lookup_found through parent's stack entries [from, from + n). */
static int lookup_found(struct fk_ovl *ovl, struct fk_ovl_node *parent,
			unsigned from, unsigned n, const char *name,
			struct fk_ovl_found *f, struct fk_layer_stat *top)
{
	assert(from + n <= parent->depth);
	int rc = fk_ovl_lookup_in(ovl, parent->stack + from, n, name, f, top);
	/* A copied-up file shows its origin's number, also after a remount:
	 * the number fusekit recorded, or the file the kernel's handle names.
	 * Only a directory marked impure holds copies. */
	if (rc == 0 && ovl->upper && f->stack[0].layer == 0 &&
	    f->type != S_IFDIR && fk_ovl_dir_impure(ovl, parent)) {
		f->origin_ino = fk_ovl_recorded_origin(ovl, f->stack[0].h);
		if (!f->origin_ino)
			f->origin_ino = fk_ovl_kernel_origin(ovl, f->stack[0].h);
	}
	return rc;
}

int fk_ovl_lookup_found(struct fk_ovl *ovl, struct fk_ovl_node *parent,
			const char *name, struct fk_ovl_found *f,
			struct fk_layer_stat *top)
{
	return lookup_found(ovl, parent, 0, parent->depth, name, f, top);
}

/* A lookup from the kernel: where the parent's listing tells which layer
 * shows a file, or that none shows the name, the other layers are not
 * asked (fk_ovl_dir_hint); lookups cost the same with 1 or 100 layers. */
static int lookup_hinted(struct fk_ovl *ovl, struct fk_ovl_node *parent,
			 const char *name, struct fk_ovl_found *f,
			 struct fk_layer_stat *top)
{
	int at = fk_ovl_dir_hint(ovl, parent, name);
	if (at == FK_OVL_HINT_ABSENT)
		return -ENOENT;
	if (at >= 0) {
		int rc = lookup_found(ovl, parent, (unsigned)at, 1, name, f, top);
		if (rc != 0 || f->type != S_IFDIR)
			return rc;
		/* Made a directory underneath since: merged from all. */
		fk_ovl_found_drop(ovl, f);
	}
	return fk_ovl_lookup_found(ovl, parent, name, f, top);
}

static struct fk_ovl_node *node_of(fk_req *req, uint64_t id)
{
	struct fk_ovl_node *n = fk_ovl_node_get(OVL(req), id);
	if (!n)
		(void)fk_reply_err(req, ENOENT);
	return n;
}

int fk_ovl_top_attr(struct fk_ovl *ovl, const struct fk_ovl_node *n,
		    struct fk_attr *a)
{
	struct fk_layer_stat st;
	struct fk_layer *l = LAYER(ovl, n->stack[0]);
	int rc = l->ops->getattr(l, n->stack[0].h, &st);
	return rc ? rc : fk_ovl_attr_of(ovl, n, &st, a);
}

static void ovl_lookup(fk_req *req, const struct fk_name_in *in)
{
	struct fk_ovl *ovl = OVL(req);
	fk_nt_admit(&ovl->nodes, fk_req_session(req));
	struct fk_ovl_node *parent = node_of(req, in->parent);
	if (!parent)
		return;
	fk_ovl_tree_read(ovl);
	struct fk_ovl_found f;
	struct fk_layer_stat st;
	struct fk_ovl_node *n = NULL;
	atomic_fetch_add_explicit(&ovl->lookups, 1, memory_order_relaxed);
	int rc = lookup_hinted(ovl, parent, in->name, &f, &st);
	if (rc == 0 && !(n = fk_ovl_node_enter(ovl, &f, parent, in->name, 1)))
		rc = -ENOMEM;
	struct fk_entry e;
	if (rc == 0)
		fk_ovl_entry_of(ovl, n, &st, &e);
	fk_ovl_tree_unlock(ovl);
	fk_ovl_node_put(ovl, parent);
	if (rc == -ENOENT && ovl->negative_ns) {
		/* A negative entry: the kernel remembers the name is not
		 * there for negative_timeout. */
		memset(&e, 0, sizeof e);
		e.entry_valid_ns = ovl->negative_ns;
		(void)fk_reply_entry(req, &e);
	} else if (rc) {
		(void)fk_reply_err(req, -rc);
	} else {
		fk_ovl_reply_entry(req, &e);
	}
}

uint64_t fk_ovl_attr_ns(struct fk_ovl *ovl, const struct fk_ovl_node *n)
{
	return fk_backing_slot_writing(&n->backing) ? 0 : ovl->attr_ns;
}

void fk_ovl_entry_of(struct fk_ovl *ovl, const struct fk_ovl_node *n,
		     const struct fk_layer_stat *st, struct fk_entry *e)
{
	memset(e, 0, sizeof *e);
	e->ino = n->tn.nodeid;
	/* n was found, or made, as what st describes: of its type. */
	int rc = fk_ovl_attr_of(ovl, n, st, &e->attr);
	assert(rc == 0);
	(void)rc;
	e->entry_valid_ns = ovl->entry_ns;
	e->attr_valid_ns = fk_ovl_attr_ns(ovl, n);
}

void fk_ovl_reply_entry(fk_req *req, const struct fk_entry *e)
{
	if (fk_reply_entry(req, e) == -ENOENT)
		fk_ovl_node_forget(OVL(req), e->ino, 1); /* the kernel did not take it */
	else
		(void)fk_nt_prune(&OVL(req)->nodes, fk_req_session(req)); /* best effort */
}

static void ovl_forget(void *fs, uint64_t ino, uint64_t nlookup)
{
	fk_ovl_node_forget(fs, ino, nlookup);
}

static void ovl_getattr(fk_req *req, const struct fk_getattr_in *in)
{
	struct fk_ovl *ovl = OVL(req);
	struct fk_ovl_node *n = node_of(req, in->ino);
	if (!n)
		return;
	struct fk_attr a;
	fk_ovl_tree_read(ovl);
	int rc = fk_ovl_top_attr(ovl, n, &a);
	fk_ovl_tree_unlock(ovl);
	uint64_t attr_ns = fk_ovl_attr_ns(ovl, n);
	fk_ovl_node_put(ovl, n);
	if (rc)
		(void)fk_reply_err(req, -rc);
	else
		(void)fk_reply_attr(req, &a, attr_ns);
}

static void ovl_readlink(fk_req *req, const struct fk_ino_in *in)
{
	struct fk_ovl *ovl = OVL(req);
	struct fk_ovl_node *n = node_of(req, in->ino);
	if (!n)
		return;
	char buf[PATH_MAX + 1];
	fk_ovl_tree_read(ovl);
	struct fk_layer *l = LAYER(ovl, n->stack[0]);
	int rc = l->ops->readlink(l, n->stack[0].h, buf, sizeof buf);
	fk_ovl_tree_unlock(ovl);
	fk_ovl_node_put(ovl, n);
	if (rc < 0)
		(void)fk_reply_err(req, -rc);
	else
		(void)fk_reply_readlink(req, buf);
}


static void ovl_statfs(fk_req *req, const struct fk_ino_in *in)
{
	struct fk_ovl *ovl = OVL(req);
	(void)in;
	struct fk_statfs st;
	int rc = ovl->un ? fk_un_statfs(ovl, &st)
			 : ovl->layers[0]->ops->statfs(ovl->layers[0], &st);
	if (rc)
		(void)fk_reply_err(req, -rc);
	else
		(void)fk_reply_statfs(req, &st);
}

/* ---- xattrs: the topmost layer's, less the overlay's own ---- */

static void reply_sized(fk_req *req, int r, uint32_t asked, const char *buf)
{
	if (r < 0)
		(void)fk_reply_err(req, -r);
	else if (asked == 0)
		(void)fk_reply_xattr_size(req, (uint32_t)r);
	else
		(void)fk_reply_buf(req, buf, (size_t)r);
}

static void ovl_getxattr(fk_req *req, const struct fk_getxattr_in *in)
{
	struct fk_ovl *ovl = OVL(req);
	struct fk_ovl_node *n = node_of(req, in->ino);
	if (!n)
		return;
	fk_ovl_tree_read(ovl);
	struct fk_layer *l = LAYER(ovl, n->stack[0]);
	char *buf = in->size ? malloc(in->size) : NULL;
	int r = fk_ovl_xattr_refused(ovl, in->name);
	if (r == 0)
		r = in->size && !buf ? -ENOMEM
		    : fk_layer_is_marker_xattr(l, in->name)
			? -ENODATA
			: l->ops->getxattr(l, n->stack[0].h, in->name, buf, in->size);
	fk_ovl_tree_unlock(ovl);
	fk_ovl_node_put(ovl, n);
	reply_sized(req, r, in->size, buf);
	free(buf);
}

static void ovl_listxattr(fk_req *req, const struct fk_listxattr_in *in)
{
	struct fk_ovl *ovl = OVL(req);
	struct fk_ovl_node *n = node_of(req, in->ino);
	if (!n)
		return;
	fk_ovl_tree_read(ovl);
	struct fk_layer *l = LAYER(ovl, n->stack[0]);
	struct fk_layer_node *h = n->stack[0].h;
	/* Hidden names take room in the layer's list: read it whole. */
	char *all = NULL;
	int r = ovl->o.noxattrs ? -EOPNOTSUPP : -ERANGE;
	while (r == -ERANGE) { /* -ERANGE: the list grew meanwhile */
		r = l->ops->listxattr(l, h, NULL, 0);
		if (r <= 0)
			break;
		free(all);
		all = malloc((size_t)r);
		r = all ? l->ops->listxattr(l, h, all, (size_t)r) : -ENOMEM;
	}
	fk_ovl_tree_unlock(ovl);
	fk_ovl_node_put(ovl, n);
	int out = 0;
	for (int at = 0; r > 0 && at < r;) {
		size_t len = strnlen(all + at, (size_t)(r - at)) + 1;
		if (!fk_layer_is_marker_xattr(l, all + at) &&
		    !fk_ovl_xattr_refused(ovl, all + at)) {
			memmove(all + out, all + at, len);
			out += (int)len;
		}
		at += (int)len;
	}
	if (r > 0)
		r = in->size && (uint32_t)out > in->size ? -ERANGE : out;
	reply_sized(req, r, in->size, all);
	free(all);
}

static void ovl_init(void *fs, struct fk_conn *c)
{
	struct fk_ovl *ovl = fs;
	if (atomic_load(&ovl->passthrough_ok))
		c->want |= FK_CAP_PASSTHROUGH;
	c->want |= fk_cache_caps(ovl->o.cache);
	/* We drop set-id bits where the kernel says (ovl_file.c), so it
	 * need not ask for security.capability before every write. */
	c->want |= FK_CAP_HANDLE_KILLPRIV_V2;
	/* POSIX ACLs: the kernel checks them, read from the topmost copy;
	 * new objects inherit them where the upper layer keeps them as a
	 * host does (make_name inherits them itself where it builds
	 * aside). Not with noacl, nor in the union (whose branches each
	 * decide for themselves). */
	c->want &= ~(FK_CAP_POSIX_ACL | FK_CAP_DONT_MASK);
	if (!ovl->o.noacl && !ovl->un && (!ovl->upper || ovl->layers[0]->acls))
		c->want |= FK_CAP_POSIX_ACL | FK_CAP_DONT_MASK;
}

static struct fk_ops ovl_ops = {
	.init = ovl_init,
	.lookup = ovl_lookup,
	.forget = ovl_forget,
	.getattr = ovl_getattr,
	.readlink = ovl_readlink,
	.statfs = ovl_statfs,
	.getxattr = ovl_getxattr,
	.listxattr = ovl_listxattr,
};

static void add_write_ops(void)
{
	fk_ovl_file_ops(&ovl_ops);
	fk_ovl_dir_ops(&ovl_ops);
	fk_ovl_write_ops(&ovl_ops);
}

const struct fk_ops *fk_ovl_ops(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, add_write_ops);
	return &ovl_ops;
}


void fk_ovl_choose_format(struct fk_layer *up, struct fk_layer_node *work)
{
	if (up->whiteout != FK_LAYER_WH_CHARDEV)
		return;
	const struct fk_layer_cred me = fk_ovl_own_cred();
	char tmp[FK_LAYER_STAGE_NAME_MAX];
	fk_layer_stage_name(up, tmp);
	int rc = fk_layer_whiteout_create(up, work, tmp, &me);
	if (rc == 0) {
		(void)up->ops->unlink(up, work, tmp); /* failing: unseen */
		struct fk_layer_node *dir;
		rc = up->ops->mkdir(up, work, tmp, 0700, &me, &dir, NULL);
		if (rc == 0) {
			rc = fk_layer_opaque_set(up, dir, &me);
			up->ops->put(up, dir);
			(void)up->ops->rmdir(up, work, tmp); /* failing: unseen */
		}
	}
	if (rc == -EPERM || rc == -EOPNOTSUPP || rc == -EACCES)
		up->whiteout = FK_LAYER_WH_OCI;
}

int fk_ovl_root_found(struct fk_ovl *ovl, const unsigned *layers, unsigned n,
		      struct fk_ovl_found *f)
{
	struct fk_ovl_layer_ref *stack = calloc(n, sizeof *stack);
	if (!stack)
		return -ENOMEM;
	unsigned d = 0;
	f->origin_ino = 0;
	for (unsigned i = 0; i < n; i++) {
		struct fk_layer *l = ovl->layers[layers[i]];
		struct fk_layer_node *h = fk_layer_root(l);
		struct fk_layer_stat st;
		int rc = l->ops->getattr(l, h, &st);
		if (rc) {
			fk_layer_put(l, h);
			fk_ovl_stack_free(ovl, stack, d);
			return rc;
		}
		if (i == 0) {
			f->dev = st.dev;
			f->ino = st.attr.ino;
		}
		if (d > 0 && fk_layer_opaque_test(ovl->layers[stack[d - 1].layer],
						  stack[d - 1].h) == 1) {
			fk_layer_put(l, h); /* hidden below an opaque root */
			continue;
		}
		stack[d++] = (struct fk_ovl_layer_ref){ layers[i], h };
	}
	/* The root shows its topmost layer's number, merged or not, as
	 * kernel overlayfs's root does. */
	f->type = S_IFDIR;
	f->stack = stack;
	f->depth = d;
	return 0;
}

/* The root's stack, of every layer in order; same_dev found out. */
static int root_found(struct fk_ovl *ovl, struct fk_ovl_found *f)
{
	unsigned order[ovl->nlayers];
	for (unsigned i = 0; i < ovl->nlayers; i++)
		order[i] = i;
	int rc = fk_ovl_root_found(ovl, order, ovl->nlayers, f);
	if (rc)
		return rc;
	ovl->same_dev = 1;
	for (unsigned i = 1; i < ovl->nlayers; i++) {
		struct fk_layer *l = ovl->layers[i];
		struct fk_layer_node *h = fk_layer_root(l);
		struct fk_layer_stat st;
		/* Failing (it answered just now): taken as elsewhere. */
		if (l->ops->getattr(l, h, &st) || st.dev != f->dev)
			ovl->same_dev = 0;
		fk_layer_put(l, h);
	}
	return 0;
}

int fk_ovl_new(struct fk_ovl **out, struct fk_layer **layers, unsigned nlayers,
	       const struct fk_ovl_options *o, char *err, size_t errlen)
{
	*out = NULL;
	if (nlayers == 0 || (o->upper && nlayers < 2)) {
		snprintf(err, errlen, o->upper ? "no lower layer" : "no layers");
		return -EINVAL;
	}
	struct fk_ovl *ovl = calloc(1, sizeof *ovl);
	struct fk_layer **copy = calloc(nlayers, sizeof *copy);
	if (!ovl || !copy || fk_ovl_table_init(ovl)) {
		free(ovl);
		free(copy);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memcpy(copy, layers, nlayers * sizeof *copy);
	ovl->layers = copy;
	ovl->nlayers = nlayers;
	ovl->o = *o;
	ovl->upper = o->upper;
	/* A node holds a descriptor in each layer that has it (a file in
	 * one, a directory in several): past budget nodes, the kernel is
	 * asked to forget some (fk_nt_prune). */
	fk_nt_set_budget(&ovl->nodes, fk_nt_budget_of_nofile(2));
	atomic_init(&ovl->passthrough_ok, o->passthrough);
	ovl->dc_cap = o->dircache_names;
	double t = fk_cache_timeout(o->cache);
	ovl->entry_ns = fk_timeout_ns(o->entry_timeout >= 0 ? o->entry_timeout : t);
	ovl->attr_ns = fk_timeout_ns(o->attr_timeout >= 0 ? o->attr_timeout : t);
	ovl->negative_ns = fk_timeout_ns(o->negative_timeout);
	int rc = -pthread_rwlock_init(&ovl->tree, NULL);
	if (rc == 0)
		rc = -pthread_mutex_init(&ovl->dcache_lock, NULL);
	if (rc == 0 && ovl->upper) {
		struct fk_layer *up = layers[0];
		rc = up->ops->work ? up->ops->work(up, &ovl->work) : -ENOTSUP;
		if (rc)
			snprintf(err, errlen, "the upper layer has no work directory");
	}
	if (rc == 0 && ovl->upper)
		fk_ovl_choose_format(layers[0], ovl->work);
	struct fk_ovl_found f;
	if (rc == 0 && (rc = root_found(ovl, &f)) == 0 &&
	    !fk_ovl_node_root(ovl, &f)) {
		fk_ovl_found_drop(ovl, &f);
		rc = -ENOMEM;
	}
	if (rc) {
		if (rc != -ENOTSUP)
			snprintf(err, errlen, "layers: %s", strerror(-rc));
		if (ovl->work)
			fk_layer_put(layers[0], ovl->work);
		fk_ovl_table_destroy(ovl);
		free(copy);
		free(ovl);
		return rc;
	}
	*out = ovl;
	return 0;
}

void fk_ovl_get_stats(struct fk_ovl *ovl, struct fk_ovl_stats *st)
{
	fk_nt_lock(&ovl->nodes);
	st->nodes = ovl->nodes.count;
	fk_nt_unlock(&ovl->nodes);
	fk_ovl_dircache_stats(ovl, &st->listings, &st->listing_names);
	st->lookups = atomic_load(&ovl->lookups);
	st->layer_lookups = atomic_load(&ovl->layer_lookups);
}

void fk_ovl_free(struct fk_ovl *ovl)
{
	if (!ovl)
		return;
	fk_ovl_table_destroy(ovl); /* puts every handle, the root's too */
	if (ovl->work)
		fk_layer_put(ovl->layers[0], ovl->work);
	if (ovl->un)
		fk_un_destroy(ovl);
	pthread_rwlock_destroy(&ovl->tree);
	pthread_mutex_destroy(&ovl->dcache_lock);
	for (unsigned i = 0; i < ovl->nlayers; i++)
		fk_layer_free(ovl->layers[i]);
	free(ovl->layers);
	free(ovl->un); /* one allocation (un.h) */
	free(ovl);
}
