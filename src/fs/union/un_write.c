/*
 * un_write.c — a union's changing operations, on the branches the
 * policies pick.
 *
 *  - A new name (create, mkdir, mknod, symlink) goes to the branch the
 *    create policy picks among those that may be created on (RW). Where
 *    that branch lacks the parent directory (only a policy without "ep"
 *    picks such a branch), the parent's path is made there first, each
 *    directory a copy of the one shown: mode, owner, times, xattrs.
 *  - A hard link is made on the branch of the file it links to (it
 *    cannot be elsewhere): EXDEV when an ep policy finds no parent there.
 *  - A name shown from several branches has a copy on each. Removing it
 *    removes every copy, so that none shows through; if one is on a
 *    read-only branch nothing is removed: EROFS. Rename moves every copy
 *    within its branch (the new parent made there where missing), and so
 *    does RENAME_EXCHANGE, both ways.
 *  - chmod, chown, utimens, truncate and xattr changes go to the copies
 *    the action policy picks (all, epall: every writable copy; epff: the
 *    one shown); EROFS when the one shown is on a read-only branch.
 *
 * Each operation holds the tree lock for writing while it changes names
 * (a directory gaining a branch restacks its node), for reading while it
 * changes attributes.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "un.h"

#define OVL(req) ((struct fk_ovl *)fk_req_fs(req))

/* Does the union make no paths for links and renames? With an ep
 * create policy (mergerfs's path preservation: EXDEV), unless cow, which
 * makes paths for its copies anyway. */
static int keeps_paths(const struct fk_ovl *ovl)
{
	return fk_un_policy_ep(ovl->un->create) && !ovl->un->cow;
}

/* Where layer is in directory node d's stack: its index, or -1. */
static int pos_of(const struct fk_ovl_node *d, unsigned layer)
{
	for (unsigned i = 0; i < d->depth; i++)
		if (d->stack[i].layer == layer)
			return (int)i;
	return -1;
}

uint64_t fk_un_random(struct fk_un *un)
{
	return fk_mix64(atomic_fetch_add(&un->rnd, 0x9e3779b97f4a7c15ull));
}

int fk_un_choose(struct fk_ovl *ovl, enum fk_un_policy p,
		 const struct fk_ovl_node *dir, int skip, uint64_t need,
		 unsigned below)
{
	assert(fk_ovl_tree_held() != FK_OVL_TREE_NONE); /* order[] stays */
	struct fk_un *un = ovl->un;
	/* One candidate per branch, in search order. */
	struct fk_un_candidate c[FK_UN_MAX_BRANCHES];
	for (unsigned r = 0; r < un->nbranches; r++) {
		unsigned i = un->order[r];
		uint64_t room = un->b[i].minfree + need;
		int out = (int)i == skip ||
			  (below != FK_UN_NO_LAYER && !fk_un_above(ovl, i, below));
		c[r] = (struct fk_un_candidate){ out ? FK_UN_RO : un->b[i].mode,
						 0, pos_of(dir, i) >= 0, 0, 0,
						 room < need ? UINT64_MAX : room };
		struct fk_statfs st;
		if (c[r].mode != FK_UN_RW)
			continue; /* never created on: its space does not matter */
		struct fk_layer *l = ovl->layers[i];
		int rc = l->ops->statfs(l, &st);
		if (rc) {
			c[r].mode = FK_UN_RO; /* cannot tell: not chosen */
			continue;
		}
		uint64_t fr = st.frsize ? st.frsize : st.bsize;
		c[r].avail = st.bavail * fr;
		c[r].used = st.blocks > st.bfree ? (st.blocks - st.bfree) * fr : 0;
	}
	int r = fk_un_choose_create(p, c, un->nbranches, fk_un_random(un));
	return r < 0 ? r : (int)un->order[r];
}

/* The branch a new name in directory dir goes to: its layer, or -errno. */
static int choose_branch(struct fk_ovl *ovl, const struct fk_ovl_node *dir)
{
	return fk_un_choose(ovl, ovl->un->create, dir, -1, 0, FK_UN_NO_LAYER);
}

/* Give directory h of layer lb, just made, the times and xattrs of the
 * directory it copies (th of layer lt, attributes top). Best effort: the
 * directory is there either way, as mergerfs clones paths. */
static void clone_attrs(struct fk_layer *lt, struct fk_layer_node *th,
			const struct fk_layer_stat *top, struct fk_layer *lb,
			struct fk_layer_node *h)
{
	/* Failing: the new directory keeps its own times and xattrs. */
	(void)fk_ovl_copy_xattrs(lt, th, lb, h);
	struct fk_setattr_in in = { .valid = FK_SET_ATIME | FK_SET_MTIME,
				    .atime = top->attr.atime,
				    .mtime = top->attr.mtime };
	(void)lb->ops->setattr(lb, h, &in, NULL);
}

int fk_un_clone_dir(struct fk_ovl *ovl, struct fk_ovl_node *d, unsigned b)
{
	assert(fk_ovl_tree_held() == FK_OVL_TREE_WRITE);
	if (d->type != S_IFDIR)
		return -ENOTDIR; /* a request the kernel never sends */
	int at = pos_of(d, b);
	if (at >= 0)
		return at;
	if (!d->parent)
		return -ENOENT; /* a root below an opaque one: not in the tree */
	int pp = fk_un_clone_dir(ovl, d->parent, b);
	if (pp < 0)
		return pp;
	struct fk_layer *lb = ovl->layers[b], *lt = ovl->layers[d->stack[0].layer];
	struct fk_layer_node *P = d->parent->stack[pp].h, *h = NULL;
	struct fk_layer_stat top, st;
	int rc = lt->ops->getattr(lt, d->stack[0].h, &top);
	const struct fk_layer_cred cred = { .uid = top.attr.uid, .gid = top.attr.gid };
	if (rc == 0)
		rc = lb->ops->mkdir(lb, P, d->name, top.attr.mode & 07777, &cred,
				    &h, &st);
	if (rc == 0) {
		clone_attrs(lt, d->stack[0].h, &top, lb, h);
	} else if (rc == -EEXIST) {
		/* Made there meanwhile, or hidden there: a directory is
		 * taken as it is, anything else is in the way. */
		rc = lb->ops->lookup(lb, P, d->name, &h, &st);
		if (rc == 0 && !S_ISDIR(st.attr.mode)) {
			fk_layer_put(lb, h);
			rc = -EEXIST;
		}
	}
	if (rc)
		return rc;
	/* The new stack: d's entries with (b, h) in branch order. The old
	 * stack's references go with it, so each kept entry takes one. */
	struct fk_ovl_layer_ref *stack = malloc((d->depth + 1) * sizeof *stack);
	if (!stack) {
		fk_layer_put(lb, h);
		return -ENOMEM;
	}
	unsigned n = 0;
	at = -1;
	for (unsigned i = 0; i <= d->depth; i++) {
		if (at < 0 && (i == d->depth || fk_un_above(ovl, b, d->stack[i].layer))) {
			at = (int)n;
			stack[n++] = (struct fk_ovl_layer_ref){ b, h };
		}
		if (i < d->depth) {
			struct fk_layer *l = ovl->layers[d->stack[i].layer];
			l->ops->hold(l, d->stack[i].h);
			stack[n++] = d->stack[i];
		}
	}
	uint64_t dev = d->key_dev, ino = d->key_ino;
	if (at == 0) {
		/* A new topmost directory: the number shown stays. */
		if (!d->origin_ino)
			d->origin_ino = fk_ovl_shown_ino(ovl, d->stack[0].layer,
							 d->key_ino);
		dev = st.dev;
		ino = st.attr.ino;
	}
	fk_ovl_node_restack(ovl, d, stack, n, dev, ino);
	fk_ovl_dircache_drop(ovl, d);
	fk_ovl_dircache_drop(ovl, d->parent);
	return at;
}

/* ---- the copies of a name ---- */

struct copy {
	unsigned layer;
	struct fk_layer_node *h; /* a reference */
	unsigned dirpos; /* the parent directory's stack index there */
	uint32_t type; /* S_IFMT bits */
};

struct copies {
	unsigned n;
	struct copy c[FK_UN_MAX_BRANCHES];
};

static void copies_put(struct fk_ovl *ovl, struct copies *cs)
{
	for (unsigned i = 0; i < cs->n; i++)
		fk_layer_put(ovl->layers[cs->c[i].layer], cs->c[i].h);
	cs->n = 0;
}

/* The copies of node n, name in directory dir, topmost first: for a
 * directory, the branches merged in it (its stack); else each branch's
 * object of that name, down to what hides the branches below (a
 * whiteout, or a directory). Under the tree lock. 0, or -errno (-ENOENT:
 * none). */
static int copies_of(struct fk_ovl *ovl, const struct fk_ovl_node *dir,
		     const char *name, const struct fk_ovl_node *n,
		     struct copies *cs)
{
	cs->n = 0;
	if (n->type == S_IFDIR) {
		for (unsigned i = 0; i < n->depth; i++) {
			int at = pos_of(dir, n->stack[i].layer);
			if (at < 0)
				continue; /* not under dir there (the host moved it) */
			struct fk_layer *l = ovl->layers[n->stack[i].layer];
			l->ops->hold(l, n->stack[i].h);
			cs->c[cs->n++] = (struct copy){ n->stack[i].layer,
							n->stack[i].h, (unsigned)at,
							S_IFDIR };
		}
		return cs->n ? 0 : -ENOENT;
	}
	for (unsigned i = 0; i < dir->depth; i++) {
		struct fk_layer *l = ovl->layers[dir->stack[i].layer];
		struct fk_layer_node *P = dir->stack[i].h, *h;
		struct fk_layer_stat st;
		int rc = l->ops->lookup(l, P, name, &h, &st);
		if (rc == -ENOENT) {
			if (fk_layer_whiteout_test(l, P, name, NULL) == 1)
				break; /* an OCI whiteout hides the rest */
			continue;
		}
		if (rc) {
			copies_put(ovl, cs);
			return rc;
		}
		if (S_ISDIR(st.attr.mode) || fk_layer_whiteout_test(l, P, name, &st) == 1) {
			fk_layer_put(l, h); /* it hides the rest */
			break;
		}
		cs->c[cs->n++] = (struct copy){ dir->stack[i].layer, h, i,
						st.attr.mode & S_IFMT };
	}
	return cs->n ? 0 : -ENOENT;
}

/* Which of cs a change of attributes goes to, by the action policy:
 * their indexes in out, and their count; -EROFS when the copy shown is on
 * a read-only branch. */
static int action_targets(struct fk_ovl *ovl, const struct copies *cs,
			  size_t *out)
{
	struct fk_un_candidate c[FK_UN_MAX_BRANCHES];
	for (unsigned i = 0; i < cs->n; i++)
		c[i] = (struct fk_un_candidate){ ovl->un->b[cs->c[i].layer].mode,
						 0, 1, 0, 0, 0 };
	int k = fk_un_choose_action(ovl->un->action, c, cs->n, out);
	if (k > 0 && out[0] != 0)
		return -EROFS; /* the copy shown cannot change */
	return k;
}

/* The first of cs on a read-only branch: its index, or -1. */
static int first_ro(struct fk_ovl *ovl, const struct copies *cs)
{
	for (unsigned i = 0; i < cs->n; i++)
		if (!fk_un_branch_writable(ovl, cs->c[i].layer))
			return (int)i;
	return -1;
}

/* Let go of the copies of cs on read-only branches. */
static void copies_drop_ro(struct fk_ovl *ovl, struct copies *cs)
{
	unsigned k = 0;
	for (unsigned i = 0; i < cs->n; i++) {
		if (fk_un_branch_writable(ovl, cs->c[i].layer))
			cs->c[k++] = cs->c[i];
		else
			fk_layer_put(ovl->layers[cs->c[i].layer], cs->c[i].h);
	}
	cs->n = k;
}


static int make_whiteout(struct fk_ovl *ovl, struct fk_ovl_node *dir,
			 unsigned wb, const char *name)
{
	struct fk_layer *l = ovl->layers[wb];
	const struct fk_layer_cred me = fk_ovl_own_cred();
	int rc = fk_layer_whiteout_create(l, dir->stack[pos_of(dir, wb)].h, name, &me);
	return rc == -EEXIST ? 0 : rc; /* one is there already */
}

/* With cow, after name's copies left dir: whatever the branches still
 * show of name (a copy on a read-only branch, or what a directory moved
 * away hid) gets a whiteout above it: on branch top (where name was
 * shown from) when it may be written and is above, else on the cow
 * target. Under the tree write lock: 0 or -errno. */
static int hide_rest(struct fk_ovl *ovl, struct fk_ovl_node *dir,
		     const char *name, unsigned top)
{
	struct fk_ovl_found f;
	struct fk_layer_stat st;
	int rc = fk_ovl_lookup_found(ovl, dir, name, &f, &st);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	unsigned shown = f.stack[0].layer;
	fk_ovl_found_drop(ovl, &f);
	int wb = fk_un_branch_writable(ovl, top) && fk_un_above(ovl, top, shown)
			 ? (int)top
			 : fk_un_cow_target(ovl, dir, shown);
	int at = wb < 0 ? wb : fk_un_clone_dir(ovl, dir, (unsigned)wb);
	return at < 0 ? at : make_whiteout(ovl, dir, (unsigned)wb, name);
}

/* ---- making names ---- */

/* The topmost branch of dir's stack where name is whited out (or has an
 * object the merged view does not show): its layer, or -1. A new object
 * shows only above it, or in its place. */
static int whiteout_layer(struct fk_ovl *ovl, const struct fk_ovl_node *dir,
			  const char *name)
{
	for (unsigned i = 0; i < dir->depth; i++) {
		struct fk_layer *l = ovl->layers[dir->stack[i].layer];
		struct fk_layer_stat st;
		int rc = l->ops->lookup(l, dir->stack[i].h, name, NULL, &st);
		if (rc == 0 || fk_layer_whiteout_test(l, dir->stack[i].h, name,
						      NULL) == 1)
			return (int)dir->stack[i].layer;
	}
	return -1;
}

/* Does a branch of dir's stack strictly between layers above and below
 * have an object or whiteout of name? */
static int hidden_between(struct fk_ovl *ovl, const struct fk_ovl_node *dir,
			  const char *name, unsigned above, unsigned below)
{
	for (unsigned i = 0; i < dir->depth; i++) {
		unsigned layer = dir->stack[i].layer;
		if (!fk_un_above(ovl, above, layer) || !fk_un_above(ovl, layer, below))
			continue;
		struct fk_layer *l = ovl->layers[layer];
		struct fk_layer_stat st;
		if (l->ops->lookup(l, dir->stack[i].h, name, NULL, &st) == 0 ||
		    fk_layer_whiteout_test(l, dir->stack[i].h, name, NULL) == 1)
			return 1;
	}
	return 0;
}

void fk_un_make(fk_req *req, uint64_t parent_id, const char *name,
		struct fk_ovl_make *a, struct fk_ovl_node *linked)
{
	struct fk_ovl *ovl = OVL(req);
	struct fk_ovl_node *parent = fk_ovl_node_get(ovl, parent_id);
	if (!parent) {
		(void)fk_reply_err(req, ENOENT);
		return;
	}
	struct fk_ovl_found f;
	struct fk_layer_stat st;
	struct fk_ovl_node *n = NULL;
	int rc = fk_layer_is_marker_name(ovl->layers[0], name) ? -EINVAL
		 : fk_un_is_control(ovl, parent_id, name)    ? -EEXIST
							      : 0;
	if (rc == 0 && linked) { /* with cow, a file on an RO branch is copied */
		rc = fk_un_copy_up(ovl, fk_req_session(req), linked, 0);
		rc = rc == -EROFS ? 0 : rc; /* answered below */
	}
	fk_ovl_tree_write(ovl);
	if (rc == 0) {
		rc = fk_ovl_lookup_found(ovl, parent, name, &f, &st);
		if (rc == 0) {
			fk_ovl_found_drop(ovl, &f);
			rc = -EEXIST;
		} else if (rc == -ENOENT) {
			rc = 0;
		}
	}
	/* Over a whiteout (where the lookup above stopped) a new object goes
	 * in its place where that branch may be written (the whiteout goes),
	 * else above it. */
	int wl = rc ? -1 : f.hidden_at;
	int replace = wl >= 0 && fk_un_branch_writable(ovl, (unsigned)wl);
	int b = -1;
	if (rc == 0 && linked) {
		/* A link is made where the file is. */
		b = (int)linked->stack[0].layer;
		if (!fk_un_branch_writable(ovl, (unsigned)b))
			rc = -EROFS;
		else if (pos_of(parent, (unsigned)b) < 0 && keeps_paths(ovl))
			rc = -EXDEV; /* ep: the path is not made */
		else if (wl >= 0 && fk_un_above(ovl, (unsigned)wl, (unsigned)b) &&
			 (!replace || hidden_between(ovl, parent, name, (unsigned)wl,
						     (unsigned)b)))
			rc = -EXDEV; /* it would not show */
		else if (wl >= 0 && fk_un_above(ovl, (unsigned)wl, (unsigned)b))
			/* the whiteout above goes */
			rc = fk_layer_whiteout_delete(ovl->layers[wl],
						      parent->stack[pos_of(parent, (unsigned)wl)].h,
						      name);
		replace = replace && wl == b;
		a->src = linked->stack[0].h;
	} else if (rc == 0 && replace) {
		b = wl;
	} else if (rc == 0) {
		b = wl < 0 ? choose_branch(ovl, parent)
			   : fk_un_choose(ovl, ovl->un->create, parent, -1, 0,
					  (unsigned)wl);
		rc = b == -ENOENT && wl >= 0 ? -EROFS : b < 0 ? b : 0;
	}
	int at = rc ? rc : fk_un_clone_dir(ovl, parent, (unsigned)b);
	if (at < 0)
		rc = at;
	struct fk_layer *lb = rc ? NULL : ovl->layers[b];
	struct fk_layer_node *h = NULL;
	if (rc == 0 && replace)
		rc = fk_layer_whiteout_delete(lb, parent->stack[at].h, name);
	if (rc == 0)
		rc = fk_ovl_make_in(lb, parent->stack[at].h, name, a, &h, &st);
	if (rc >= 0 && replace && a->kind == FK_OVL_MAKE_DIR) {
		/* Nothing below may show through the new directory. */
		const struct fk_layer_cred me = fk_ovl_own_cred();
		int r = fk_layer_opaque_set(lb, h, &me);
		if (r) {
			fk_layer_put(lb, h);
			(void)fk_ovl_clear_dir(lb, parent->stack[at].h, name);
			(void)lb->ops->rmdir(lb, parent->stack[at].h, name);
			rc = r;
		}
	}
	if (rc < 0 && replace) /* put the whiteout back; failing, it shows */
		(void)make_whiteout(ovl, parent, (unsigned)b, name);
	if (rc >= 0) {
		n = fk_ovl_node_made(ovl, (unsigned)b, h, &st, parent, name);
		if (!n) {
			if (rc > 0)
				close(rc);
			rc = -ENOMEM; /* made, but not known: a lookup finds it */
		}
		fk_ovl_dircache_drop(ovl, parent);
	}
	struct fk_entry e;
	if (rc >= 0) {
		if (linked)
			n->origin_ino = linked->origin_ino; /* one inode, one number */
		fk_ovl_entry_of(ovl, n, &st, &e);
	}
	fk_ovl_tree_unlock(ovl);
	fk_ovl_node_put(ovl, parent);
	fk_ovl_reply_made(req, n, rc, a->kind == FK_OVL_MAKE_FILE && a->want_fd, &e);
}

/* O_TMPFILE: an unnamed file on the branch the create policy picks for
 * the parent; a link names it later (on that branch). */
void fk_un_tmpfile(fk_req *req, const struct fk_create_in *in)
{
	struct fk_ovl *ovl = OVL(req);
	struct fk_ovl_node *parent = fk_ovl_node_get(ovl, in->parent);
	if (!parent) {
		(void)fk_reply_err(req, ENOENT);
		return;
	}
	fk_ovl_tree_write(ovl);
	int b = choose_branch(ovl, parent);
	int at = b < 0 ? b : fk_un_clone_dir(ovl, parent, (unsigned)b);
	fk_ovl_tmpfile_in(req, parent, at < 0 ? at : 0, at < 0 ? 0 : (unsigned)b,
			  at < 0 ? NULL : parent->stack[at].h, in);
}

/* ---- removing names ---- */

/* Remove copy c of name (a directory if is_dir). */
static int remove_copy(struct fk_ovl *ovl, const struct fk_ovl_node *dir,
		       const struct copy *c, const char *name, int is_dir)
{
	struct fk_layer *l = ovl->layers[c->layer];
	/* Where dir is on that branch now (a clone may have restacked it). */
	struct fk_layer_node *P = dir->stack[pos_of(dir, c->layer)].h;
	if (!is_dir)
		return l->ops->unlink(l, P, name);
	/* What it holds is not shown (the merged directory is empty):
	 * whiteouts, and names a branch above hides. */
	int rc = fk_ovl_clear_dir(l, P, name);
	return rc ? rc : l->ops->rmdir(l, P, name);
}

void fk_un_remove(fk_req *req, const struct fk_name_in *in, int rmdir)
{
	struct fk_ovl *ovl = OVL(req);
	struct fk_ovl_node *parent = fk_ovl_node_get(ovl, in->parent);
	if (!parent) {
		(void)fk_reply_err(req, ENOENT);
		return;
	}
	struct fk_ovl_node *n = NULL;
	fk_ovl_tree_write(ovl);
	int rc = fk_un_is_control(ovl, in->parent, in->name)
			 ? -EPERM /* the control file stays */
			 : fk_ovl_node_at(ovl, parent, in->name, &n);
	if (rc == 0) {
		if (rmdir && n->type != S_IFDIR) {
			rc = -ENOTDIR;
		} else if (!rmdir && n->type == S_IFDIR) {
			rc = -EISDIR;
		} else if (rmdir) {
			rc = fk_ovl_dir_empty(ovl, n);
			rc = rc == 1 ? 0 : rc == 0 ? -ENOTEMPTY : rc;
		}
	}
	struct copies cs = { 0 };
	if (rc == 0)
		rc = copies_of(ovl, parent, in->name, n, &cs);
	/* Every copy goes, or none: one left would show again; with cow, a
	 * whiteout hides those on read-only branches. */
	if (rc == 0 && first_ro(ovl, &cs) >= 0 && !ovl->un->cow)
		rc = -EROFS;
	/* The lowest first: failing midway, the copy shown is still there,
	 * and so is what the name showed. */
	for (unsigned i = cs.n; rc == 0 && i-- > 0;) {
		if (!fk_un_branch_writable(ovl, cs.c[i].layer))
			continue;
		rc = remove_copy(ovl, parent, &cs.c[i], in->name, rmdir);
		if (rc == -ENOENT)
			rc = 0; /* gone from the host meanwhile */
	}
	if (rc == 0 && ovl->un->cow)
		rc = hide_rest(ovl, parent, in->name, cs.c[0].layer);
	copies_put(ovl, &cs);
	if (n) {
		fk_ovl_dircache_drop(ovl, parent);
		fk_ovl_node_put(ovl, n);
	}
	fk_ovl_tree_unlock(ovl);
	fk_ovl_node_put(ovl, parent);
	(void)fk_reply_err(req, -rc);
}

/* ---- rename ---- */

/* Under the tree write lock: move every copy of name in p to newname in
 * np, each within its branch (with EXCHANGE, every copy of newname to
 * name too); then remove the copies of what newname showed on branches
 * where nothing moved, so the moved object shows. A step that fails
 * undoes the steps before it. */
static int do_rename(struct fk_ovl *ovl, struct fk_ovl_node *p,
		     const char *name, struct fk_ovl_node *np,
		     const char *newname, unsigned flags,
		     struct fk_ovl_node **copy)
{
	struct fk_ovl_node *n = NULL, *d = NULL;
	int rc = fk_ovl_rename_nodes(ovl, p, name, np, newname, flags, &n, &d);
	if (rc)
		goto out; /* 1: the same file under both names, nothing to do */
	rc = fk_ovl_rename_replaceable(ovl, n, d, flags);
	if (rc)
		goto out;
	struct copies src = { 0 }, dst = { 0 };
	rc = copies_of(ovl, p, name, n, &src);
	if (rc == 0 && d)
		rc = copies_of(ovl, np, newname, d, &dst);
	/* Copies on read-only branches stay where they are. Without cow,
	 * that is EROFS. With it, a file shown from one is copied up first
	 * (with the lock let go: *copy, -EAGAIN) and a whiteout hides the
	 * old name's after the move; what the new name had on them must be
	 * below the moved copy, which hides it (else EXDEV, as for a
	 * directory with read-only content: mv copies then). */
	int src_ro = rc ? -1 : first_ro(ovl, &src);
	int dst_ro = rc ? -1 : first_ro(ovl, &dst);
	int exchange = (flags & FK_RENAME_EXCHANGE) != 0;
	if (rc == 0 && (src_ro >= 0 || dst_ro >= 0) && !ovl->un->cow) {
		rc = -EROFS;
	} else if (rc == 0 && ((src_ro >= 0 && n->type == S_IFDIR) ||
			       (exchange && dst_ro >= 0 && d->type == S_IFDIR))) {
		rc = -EXDEV;
	} else if (rc == 0 && (src_ro == 0 || (exchange && dst_ro == 0))) {
		/* Shown from a read-only branch: copied up first. */
		*copy = src_ro == 0 ? n : d;
		fk_ovl_node_hold(ovl, *copy);
		rc = -EAGAIN;
	} else if (rc == 0 && !exchange && dst_ro >= 0 &&
		   fk_un_above(ovl, dst.c[dst_ro].layer, src.c[0].layer)) {
		rc = -EXDEV;
	} else if (rc == 0 && exchange &&
		   ((src_ro >= 0 && fk_un_above(ovl, src.c[src_ro].layer, dst.c[0].layer)) ||
		    (dst_ro >= 0 && fk_un_above(ovl, dst.c[dst_ro].layer, src.c[0].layer)))) {
		rc = -EXDEV; /* a name's read-only copy would show again */
	}
	/* (An exchange keeps a writable copy on top of both names, which
	 * hides what each has on read-only branches: no whiteout.) */
	/* The read-only copies take no part below. */
	if (rc == 0 && src_ro >= 0)
		copies_drop_ro(ovl, &src);
	if (rc == 0 && dst_ro >= 0)
		copies_drop_ro(ovl, &dst);
	/* The steps, one per branch: where both names have a copy, one
	 * rename there (an exchange, or name over newname); where only name
	 * has one, it moves to newname; with EXCHANGE, where only newname
	 * has one, it moves to name. Each within its branch, the parent
	 * made there first where missing. */
	struct step {
		unsigned layer;
		int back; /* newname -> name */
		unsigned flags;
	} steps[2 * FK_UN_MAX_BRANCHES];
	unsigned nsteps = 0;
	for (unsigned i = 0; rc == 0 && i < src.n; i++) {
		unsigned b = src.c[i].layer, f = flags & FK_RENAME_NOREPLACE;
		int both = 0;
		for (unsigned j = 0; j < dst.n; j++)
			both |= dst.c[j].layer == b;
		if (exchange)
			f = both ? FK_RENAME_EXCHANGE : FK_RENAME_NOREPLACE;
		steps[nsteps++] = (struct step){ b, 0, f };
	}
	for (unsigned j = 0; rc == 0 && exchange && j < dst.n; j++) {
		int both = 0;
		for (unsigned i = 0; i < src.n; i++)
			both |= src.c[i].layer == dst.c[j].layer;
		if (!both)
			steps[nsteps++] = (struct step){ dst.c[j].layer, 1,
							 FK_RENAME_NOREPLACE };
	}
	for (unsigned i = 0; rc == 0 && i < nsteps; i++) {
		struct fk_ovl_node *to = steps[i].back ? p : np;
		if (pos_of(to, steps[i].layer) >= 0)
			continue;
		if (keeps_paths(ovl))
			rc = -EXDEV; /* a path-preserving policy makes no path */
		else if ((rc = fk_un_clone_dir(ovl, to, steps[i].layer)) > 0)
			rc = 0;
	}
	/* A whiteout of newname above where the copies go (it was removed
	 * before, and had copies on read-only branches) would hide them: it
	 * goes, where it may and unless something else it hides would show
	 * then (else EXDEV; mv copies). A directory moved there becomes
	 * opaque, hiding what the read-only branches have of that name. */
	int wl = rc || d || !src.n ? -1 : whiteout_layer(ovl, np, newname);
	if (wl >= 0 && fk_un_above(ovl, (unsigned)wl, src.c[0].layer)) {
		if (!fk_un_branch_writable(ovl, (unsigned)wl) ||
		    hidden_between(ovl, np, newname, (unsigned)wl, src.c[0].layer))
			rc = -EXDEV;
		else if ((rc = fk_layer_whiteout_delete(
				  ovl->layers[wl], np->stack[pos_of(np, (unsigned)wl)].h,
				  newname)) == -ENOENT)
			rc = 0;
	} else {
		wl = -1;
	}
	unsigned done = 0;
	for (; rc == 0 && done < nsteps; done++) {
		const struct step *st = &steps[done];
		struct fk_layer *l = ovl->layers[st->layer];
		/* clone_dir may have restacked p and np: positions now. */
		struct fk_layer_node *P = p->stack[pos_of(p, st->layer)].h;
		struct fk_layer_node *NP = np->stack[pos_of(np, st->layer)].h;
		/* A whiteout where the copy goes (the name was removed
		 * before) makes way for it; a directory put there hides what
		 * the read-only branches below have of that name. */
		struct fk_layer_node *to = st->back ? P : NP;
		const char *to_name = st->back ? name : newname;
		int was = fk_layer_whiteout_delete(l, to, to_name) == 0;
		/* A directory replaced there is empty but for what it hides
		 * (whiteouts, names shadowed from above): cleared first. */
		if (!st->back && !exchange && d && d->type == S_IFDIR && !was &&
		    (rc = fk_ovl_clear_dir(l, NP, newname)) == -ENOENT)
			rc = 0;
		if (rc)
			break;
		rc = st->back ? l->ops->rename(l, NP, newname, P, name, st->flags)
			      : l->ops->rename(l, P, name, NP, newname, st->flags);
		struct fk_layer_node *moved = NULL;
		if (rc == 0 && was && (st->back ? d : n)->type == S_IFDIR &&
		    (rc = l->ops->lookup(l, to, to_name, &moved, NULL)) == 0) {
			const struct fk_layer_cred me = fk_ovl_own_cred();
			rc = fk_layer_opaque_set(l, moved, &me);
			fk_layer_put(l, moved);
			if (rc) /* put it back: the undo below needs it there */
				(void)(st->back
					       ? l->ops->rename(l, P, name, NP, newname, 0)
					       : l->ops->rename(l, NP, newname, P, name, 0));
		}
		if (rc && was) /* failing, the old name shows again */
			(void)make_whiteout(ovl, st->back ? p : np, st->layer, to_name);
		if (rc)
			break;
	}
	while (rc && done > 0) {
		/* Undo what was done: each name keeps its copies. */
		const struct step *st = &steps[--done];
		struct fk_layer *l = ovl->layers[st->layer];
		struct fk_layer_node *P = p->stack[pos_of(p, st->layer)].h;
		struct fk_layer_node *NP = np->stack[pos_of(np, st->layer)].h;
		unsigned f = st->flags & FK_RENAME_EXCHANGE;
		/* Failing, that copy stays moved: the error returned says the
		 * rename did not happen. */
		(void)(st->back ? l->ops->rename(l, P, name, NP, newname, f)
				: l->ops->rename(l, NP, newname, P, name, f));
	}
	/* A directory put where a name had read-only copies (a whiteout
	 * hid them, or the directory it replaces merged them) hides them. */
	if ((wl >= 0 || dst_ro >= 0) && rc == 0 && n->type == S_IFDIR && !exchange) {
		struct fk_layer *l = ovl->layers[src.c[0].layer];
		struct fk_layer_node *moved = NULL;
		const struct fk_layer_cred me = fk_ovl_own_cred();
		rc = l->ops->lookup(l, np->stack[pos_of(np, src.c[0].layer)].h, newname,
				    &moved, NULL);
		if (rc == 0)
			rc = fk_layer_opaque_set(l, moved, &me);
		fk_layer_put(l, moved);
	}
	if (wl >= 0 && rc) /* the whiteout back; failing, what it hid shows */
		(void)make_whiteout(ovl, np, (unsigned)wl, newname);
	/* What newname showed from branches where nothing moved. */
	for (unsigned i = 0; rc == 0 && !(flags & FK_RENAME_EXCHANGE) && i < dst.n; i++) {
		int replaced = 0;
		for (unsigned j = 0; j < src.n; j++)
			replaced |= src.c[j].layer == dst.c[i].layer;
		if (replaced)
			continue;
		int npp = pos_of(np, dst.c[i].layer);
		struct copy c = dst.c[i];
		c.dirpos = (unsigned)npp;
		rc = remove_copy(ovl, np, &c, newname, d->type == S_IFDIR);
		if (rc == -ENOENT)
			rc = 0;
	}
	/* With cow, what name still shows from below gets a whiteout. */
	if (rc == 0 && ovl->un->cow && !exchange && src.n)
		rc = hide_rest(ovl, p, name, src.c[0].layer);
	copies_put(ovl, &src);
	copies_put(ovl, &dst);
	if (rc == 0 && (flags & FK_RENAME_EXCHANGE))
		rc = fk_ovl_node_move(ovl, d, p, name);
	if (rc == 0)
		rc = fk_ovl_node_move(ovl, n, np, newname);
	fk_ovl_dircache_drop(ovl, p);
	fk_ovl_dircache_drop(ovl, np);
out:
	fk_ovl_node_put(ovl, n);
	fk_ovl_node_put(ovl, d);
	return rc == 1 ? 0 : rc;
}

void fk_un_rename(fk_req *req, const struct fk_rename_in *in)
{
	struct fk_ovl *ovl = OVL(req);
	struct fk_ovl_node *p = fk_ovl_node_get(ovl, in->parent);
	struct fk_ovl_node *np = fk_ovl_node_get(ovl, in->newparent);
	int rc = !p || !np ? -ENOENT
		 : fk_layer_is_marker_name(ovl->layers[0], in->newname) ? -EINVAL
		 : fk_un_is_control(ovl, in->parent, in->name) ||
				 fk_un_is_control(ovl, in->newparent, in->newname)
			 ? -EPERM /* the control file stays, alone */
			 : 0;
	for (int tries = 0; rc == 0; tries++) {
		struct fk_ovl_node *copy = NULL;
		fk_ovl_tree_write(ovl);
		rc = do_rename(ovl, p, in->name, np, in->newname, in->flags, &copy);
		fk_ovl_tree_unlock(ovl);
		if (rc != -EAGAIN || !copy)
			break;
		/* A file shown from a read-only branch, copied up (cow) with
		 * no lock held; then all is decided again. */
		rc = tries < FK_OVL_COPY_TRIES
			     ? fk_un_copy_up(ovl, fk_req_session(req), copy, 0)
			     : -EAGAIN;
		fk_ovl_node_put(ovl, copy);
	}
	fk_ovl_node_put(ovl, np);
	fk_ovl_node_put(ovl, p);
	(void)fk_reply_err(req, -rc);
}

/* ---- attributes and xattrs: on the copies the action policy picks ---- */

/* The copies of n, under the tree lock: a directory's are its stack; a
 * file's, the names in its parent, n itself first. A file no longer
 * there (unlinked while open, or moved by the host) is its only copy. */
static int node_copies(struct fk_ovl *ovl, struct fk_ovl_node *n,
		       struct copies *cs)
{
	char *name = NULL;
	struct fk_ovl_node *parent = n->type != S_IFDIR
					     ? fk_ovl_node_parent(ovl, n, &name)
					     : NULL;
	if (parent && name) {
		int rc = copies_of(ovl, parent, name, n, cs);
		fk_ovl_node_put(ovl, parent);
		free(name);
		if (rc == 0 && cs->c[0].layer == n->stack[0].layer &&
		    cs->c[0].h == n->stack[0].h) {
			/* Below it, a name of another type (a host put it
			 * there) is another object, which it hides: not one
			 * of its copies. */
			unsigned k = 0;
			for (unsigned i = 0; i < cs->n; i++) {
				if (cs->c[i].type == n->type)
					cs->c[k++] = cs->c[i];
				else
					fk_layer_put(ovl->layers[cs->c[i].layer], cs->c[i].h);
			}
			cs->n = k;
			return 0;
		}
		copies_put(ovl, cs);
		if (rc && rc != -ENOENT)
			return rc;
	} else {
		fk_ovl_node_put(ovl, parent);
		free(name);
	}
	cs->n = 0;
	unsigned depth = n->type == S_IFDIR ? n->depth : 1;
	for (unsigned i = 0; i < depth; i++) {
		struct fk_layer *l = ovl->layers[n->stack[i].layer];
		l->ops->hold(l, n->stack[i].h);
		cs->c[cs->n++] = (struct copy){ n->stack[i].layer, n->stack[i].h, 0,
						n->type };
	}
	return 0;
}

void fk_un_setattr(fk_req *req, const struct fk_setattr_in *in)
{
	struct fk_ovl *ovl = OVL(req);
	struct fk_ovl_node *n = fk_ovl_node_get(ovl, in->ino);
	if (!n) {
		(void)fk_reply_err(req, ENOENT);
		return;
	}
	struct copies cs = { 0 };
	size_t to[FK_UN_MAX_BRANCHES];
	struct fk_layer_stat st;
	/* With cow, what an RO branch shows is copied up first. */
	int rc = fk_un_copy_up(ovl, fk_req_session(req), n, 0);
	fk_ovl_tree_read(ovl);
	if (rc == 0 || rc == -EROFS)
		rc = node_copies(ovl, n, &cs);
	int k = rc ? rc : action_targets(ovl, &cs, to);
	rc = k < 0 ? k : 0;
	if (rc == 0 && (in->valid & FK_SET_SIZE) && in->has_fh) {
		/* ftruncate: on the open file, the copy shown */
		const struct ovl_file *f = (const struct ovl_file *)(uintptr_t)in->fh;
		rc = ftruncate(f->fd, (off_t)in->size) < 0 ? -errno : 0;
	}
	struct fk_setattr_in rest = *in;
	if (in->has_fh)
		rest.valid &= ~FK_SET_SIZE;
	/* The copy shown says what the writer's truncate leaves. */
	if (rc == 0 && k > 0) {
		const struct copy *c = &cs.c[to[0]];
		rc = fk_layer_kill_for(ovl->layers[c->layer], c->h, fk_req_ctx(req),
				       NULL, &rest);
	}
	for (int i = 0; rc == 0 && i < k; i++) {
		const struct copy *c = &cs.c[to[i]];
		struct fk_layer *l = ovl->layers[c->layer];
		/* The copy shown answers with its attributes. */
		rc = l->ops->setattr(l, c->h, &rest, i == 0 ? &st : NULL);
	}
	copies_put(ovl, &cs);
	struct fk_attr a;
	if (rc == 0)
		rc = fk_ovl_attr_of(ovl, n, &st, &a);
	fk_ovl_tree_unlock(ovl);
	fk_ovl_node_put(ovl, n);
	if (rc)
		(void)fk_reply_err(req, -rc);
	else
		(void)fk_reply_attr(req, &a, ovl->attr_ns);
}

void fk_un_change_xattr(fk_req *req, uint64_t ino, const char *name,
			const void *value, size_t size, int flags)
{
	struct fk_ovl *ovl = OVL(req);
	struct fk_ovl_node *n = fk_ovl_node_get(ovl, ino);
	if (!n) {
		(void)fk_reply_err(req, ENOENT);
		return;
	}
	int rc = fk_ovl_xattr_refused(ovl, name);
	if (rc == 0 && fk_layer_is_marker_xattr(ovl->layers[0], name))
		rc = -EPERM;
	struct copies cs = { 0 };
	size_t to[FK_UN_MAX_BRANCHES];
	if (rc == 0) /* with cow, what an RO branch shows is copied up */
		rc = fk_un_copy_up(ovl, fk_req_session(req), n, 0);
	fk_ovl_tree_read(ovl);
	if (rc == 0 || rc == -EROFS)
		rc = node_copies(ovl, n, &cs);
	int k = rc ? rc : action_targets(ovl, &cs, to);
	rc = k < 0 ? k : 0;
	for (int i = 0; rc == 0 && i < k; i++) {
		const struct copy *c = &cs.c[to[i]];
		struct fk_layer *l = ovl->layers[c->layer];
		int r = value ? l->ops->setxattr(l, c->h, name, value, size, flags)
			      : l->ops->removexattr(l, c->h, name);
		/* The copy shown decides; a copy below that lacks the xattr
		 * (or has it already, for XATTR_CREATE) is as good. */
		if (i == 0 || (r != -ENODATA && r != -EEXIST))
			rc = r;
	}
	copies_put(ovl, &cs);
	fk_ovl_tree_unlock(ovl);
	fk_ovl_node_put(ovl, n);
	(void)fk_reply_err(req, -rc);
}
