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
	uint64_t z = atomic_fetch_add(&un->rnd, 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int fk_un_choose(struct fk_ovl *ovl, enum fk_un_policy p,
		 const struct fk_ovl_node *dir, int skip, uint64_t need)
{
	struct fk_un *un = ovl->un;
	struct fk_un_candidate c[FK_UN_MAX_BRANCHES];
	for (unsigned i = 0; i < ovl->nlayers; i++) {
		uint64_t room = un->b[i].minfree + need;
		c[i] = (struct fk_un_candidate){ (int)i == skip ? FK_UN_RO
								: un->b[i].mode,
						 0, pos_of(dir, i) >= 0, 0, 0,
						 room < need ? UINT64_MAX : room };
		struct fk_statfs st;
		if (c[i].mode != FK_UN_RW)
			continue; /* never created on: its space does not matter */
		struct fk_layer *l = ovl->layers[i];
		int rc = l->ops->statfs(l, &st);
		if (rc) {
			c[i].mode = FK_UN_RO; /* cannot tell: not chosen */
			continue;
		}
		uint64_t fr = st.frsize ? st.frsize : st.bsize;
		c[i].avail = st.bavail * fr;
		c[i].used = st.blocks > st.bfree ? (st.blocks - st.bfree) * fr : 0;
	}
	return fk_un_choose_create(p, c, ovl->nlayers, fk_un_random(un));
}

/* The branch a new name in directory dir goes to: its layer, or -errno. */
static int choose_branch(struct fk_ovl *ovl, const struct fk_ovl_node *dir)
{
	return fk_un_choose(ovl, ovl->un->create, dir, -1, 0);
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
	const struct fk_layer_cred cred = { top.attr.uid, top.attr.gid };
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
		if (at < 0 && (i == d->depth || d->stack[i].layer > b)) {
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
							n->stack[i].h, (unsigned)at };
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
		cs->c[cs->n++] = (struct copy){ dir->stack[i].layer, h, i };
	}
	return cs->n ? 0 : -ENOENT;
}

/* Are all of cs on writable branches? 0 or -EROFS. */
static int all_writable(struct fk_ovl *ovl, const struct copies *cs)
{
	for (unsigned i = 0; i < cs->n; i++)
		if (!fk_un_branch_writable(ovl, cs->c[i].layer))
			return -EROFS;
	return 0;
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

/* ---- making names ---- */

/* Does a branch above branch b hide name in dir (a whiteout there)?
 * Then what is made on b would not show. */
static int hidden_above(struct fk_ovl *ovl, const struct fk_ovl_node *dir,
			const char *name, unsigned b)
{
	for (unsigned i = 0; i < dir->depth && dir->stack[i].layer <= b; i++) {
		struct fk_layer *l = ovl->layers[dir->stack[i].layer];
		struct fk_layer_stat st;
		int rc = l->ops->lookup(l, dir->stack[i].h, name, NULL, &st);
		/* Found, where the merged view has nothing: a whiteout. */
		if (rc == 0 || fk_layer_whiteout_test(l, dir->stack[i].h, name,
						      NULL) == 1)
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
	int rc = fk_layer_is_marker_name(ovl->layers[0], name) ? -EINVAL : 0;
	fk_ovl_tree_write(ovl);
	if (rc == 0) {
		rc = fk_ovl_lookup_found(ovl, parent, name, &f, &st);
		if (rc == 0) {
			fk_ovl_stack_free(ovl, f.stack, f.depth);
			rc = -EEXIST;
		} else if (rc == -ENOENT) {
			rc = 0;
		}
	}
	int b = -1;
	if (rc == 0 && linked) {
		/* A link is made where the file is. */
		b = (int)linked->stack[0].layer;
		if (!fk_un_branch_writable(ovl, (unsigned)b))
			rc = -EROFS;
		else if (pos_of(parent, (unsigned)b) < 0 &&
			 fk_un_policy_ep(ovl->un->create))
			rc = -EXDEV; /* ep: the path is not made */
		a->src = linked->stack[0].h;
	} else if (rc == 0) {
		b = choose_branch(ovl, parent);
		rc = b < 0 ? b : 0;
	}
	int at = rc ? rc : fk_un_clone_dir(ovl, parent, (unsigned)b);
	if (at < 0)
		rc = at;
	if (rc == 0 && hidden_above(ovl, parent, name, (unsigned)b))
		rc = -EEXIST; /* a whiteout's name: never shown, yet there */
	struct fk_layer *lb = rc ? NULL : ovl->layers[b];
	struct fk_layer_node *h = NULL;
	if (rc == 0)
		rc = fk_ovl_make_in(lb, parent->stack[at].h, name, a, &h, &st);
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
	struct fk_layer_node *P = dir->stack[c->dirpos].h;
	return is_dir ? l->ops->rmdir(l, P, name) : l->ops->unlink(l, P, name);
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
	int rc = fk_ovl_node_at(ovl, parent, in->name, &n);
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
	/* Every copy goes, or none: one left would show again. */
	if (rc == 0)
		rc = all_writable(ovl, &cs);
	/* The lowest first: failing midway, the copy shown is still there,
	 * and so is what the name showed. */
	for (unsigned i = cs.n; rc == 0 && i-- > 0;) {
		rc = remove_copy(ovl, parent, &cs.c[i], in->name, rmdir);
		if (rc == -ENOENT)
			rc = 0; /* gone from the host meanwhile */
	}
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
		     const char *newname, unsigned flags)
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
	if (rc == 0)
		rc = all_writable(ovl, &src);
	if (rc == 0)
		rc = all_writable(ovl, &dst);
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
	int exchange = (flags & FK_RENAME_EXCHANGE) != 0;
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
		if (fk_un_policy_ep(ovl->un->create))
			rc = -EXDEV; /* a path-preserving policy makes no path */
		else if ((rc = fk_un_clone_dir(ovl, to, steps[i].layer)) > 0)
			rc = 0;
	}
	unsigned done = 0;
	for (; rc == 0 && done < nsteps; done++) {
		const struct step *st = &steps[done];
		struct fk_layer *l = ovl->layers[st->layer];
		/* clone_dir may have restacked p and np: positions now. */
		struct fk_layer_node *P = p->stack[pos_of(p, st->layer)].h;
		struct fk_layer_node *NP = np->stack[pos_of(np, st->layer)].h;
		rc = st->back ? l->ops->rename(l, NP, newname, P, name, st->flags)
			      : l->ops->rename(l, P, name, NP, newname, st->flags);
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
									 : 0;
	if (rc == 0) {
		fk_ovl_tree_write(ovl);
		rc = do_rename(ovl, p, in->name, np, in->newname, in->flags);
		fk_ovl_tree_unlock(ovl);
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
		    cs->c[0].h == n->stack[0].h)
			return 0;
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
		cs->c[cs->n++] = (struct copy){ n->stack[i].layer, n->stack[i].h, 0 };
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
	fk_ovl_tree_read(ovl);
	int rc = node_copies(ovl, n, &cs);
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
	fk_ovl_tree_read(ovl);
	if (rc == 0)
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
