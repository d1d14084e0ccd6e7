/*
 * un_control.c — a union changed while it is mounted, through its
 * control file MOUNTPOINT/.fusekit (mergerfs's .mergerfs): the
 * operations that serve a union (fk_un_ops), and what a change does.
 *
 * The control file is no node of the table: the root's lookup of
 * ".fusekit" answers with the reserved id CONTROL_ID, and the wrappers
 * below answer the requests for that id (attributes, xattrs; opening it
 * is EACCES); every other request goes to the overlay's operations.
 *
 * Its xattrs (fk_union.h lists them) read and change the union. A
 * change takes the control lock (one at a time), does its I/O (opening
 * added branches) first, then commits under the tree write lock: the
 * branch slots, ranks and modes, and every directory node restacked
 * (looked up again in its parent, parents first), so that lookups from
 * then on see the new branches. The kernel's cached pages and
 * attributes of the restacked directories are dropped after the lock is
 * let go. Nothing is undone in the kernel's other caches: names it has
 * cached keep their nodes until they time out, and open files keep
 * their descriptors, on whichever branch.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fusekit/fusekit.h>

#include "un.h"

#define OVL(req) ((struct fk_ovl *)fk_req_fs(req))

/* The control file's node id: never one of the table's (they count up
 * from 2). */
#define CONTROL_ID UINT64_C(0xfffffffffffffffe)
#define PREFIX "user.fusekit."
/* The longest value a change takes. */
#define VALUE_MAX 65536

static const struct fk_ops *base; /* the overlay's */
static struct fk_ops un_ops;

/* ---- reading ---- */

/* What a growing string needs. */
struct text {
	char *s;
	size_t len, cap;
	int failed;
};

static void put_text(struct text *t, const char *s, size_t n)
{
	if (t->failed)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->len + n + 1) * 2;
		char *p = realloc(t->s, cap);
		if (!p) {
			t->failed = 1;
			return;
		}
		t->s = p;
		t->cap = cap;
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = 0;
}

/* A path as a branch list writes it: ':', '=' and '\' escaped. */
static void put_path(struct text *t, const char *p)
{
	for (; *p; p++) {
		if (*p == ':' || *p == '=' || *p == '\\')
			put_text(t, "\\", 1);
		put_text(t, p, 1);
	}
}

/* The branches in order, as user.fusekit.branches shows them. Under the
 * tree lock. */
static void put_branches(struct text *t, const struct fk_un *un)
{
	for (unsigned r = 0; r < un->nbranches; r++) {
		const struct fk_un_branch *b = &un->b[un->order[r]];
		if (r)
			put_text(t, ":", 1);
		put_path(t, b->path);
		put_text(t, "=", 1);
		put_text(t, fk_un_mode_name(b->mode), 2);
		if (b->own_minfree) {
			char n[32];
			int k = snprintf(n, sizeof n, ",%" PRIu64, b->minfree);
			put_text(t, n, (size_t)k);
		}
	}
}

static const char *const names[] = {
	"branches", "category.create", "category.action", "category.search",
	"minfreespace", "moveonenospc", "dropcacheonclose", "cow", "inodecalc",
	"version", "pid",
};
enum { N_BRANCHES, N_CREATE, N_ACTION, N_SEARCH, N_MINFREE, N_MOVE, N_DROP,
       N_COW, N_INODECALC, N_VERSION, N_PID, N_NAMES };

/* Which of names xattr name is (after PREFIX): its index, or -1. */
static int name_index(const char *name)
{
	if (strncmp(name, PREFIX, strlen(PREFIX)))
		return -1;
	for (int i = 0; i < N_NAMES; i++)
		if (!strcmp(name + strlen(PREFIX), names[i]))
			return i;
	return -1;
}

/* The value of names[k], into t. */
static void value_of(struct fk_ovl *ovl, int k, struct text *t)
{
	struct fk_un *un = ovl->un;
	char n[64];
	const char *s = n;
	fk_ovl_tree_read(ovl);
	switch (k) {
	case N_BRANCHES:
		put_branches(t, un);
		s = "";
		break;
	case N_CREATE:
		s = fk_un_policy_name(un->create);
		break;
	case N_ACTION:
		s = fk_un_policy_name(un->action);
		break;
	case N_SEARCH:
		s = fk_un_policy_name(un->search);
		break;
	case N_MINFREE:
		snprintf(n, sizeof n, "%" PRIu64, un->minfreespace);
		break;
	case N_MOVE:
		s = atomic_load(&un->moveonenospc) ? fk_un_policy_name(un->move_policy)
						   : "false";
		break;
	case N_DROP:
		s = atomic_load(&un->dropcacheonclose) ? "true" : "false";
		break;
	case N_COW:
		s = un->cow ? "true" : "false";
		break;
	case N_INODECALC:
		s = fk_un_inodecalc_name(un->inodecalc, un->ino32);
		break;
	case N_VERSION:
		s = FUSEKIT_VERSION_STRING;
		break;
	default:
		assert(k == N_PID);
		snprintf(n, sizeof n, "%ld", (long)getpid());
		break;
	}
	fk_ovl_tree_unlock(ovl);
	put_text(t, s, strlen(s));
}

/* Answer a getxattr or listxattr that asked for size bytes with t. */
static void reply_text(fk_req *req, const struct text *t, uint32_t size)
{
	if (t->failed)
		(void)fk_reply_err(req, ENOMEM);
	else if (size == 0)
		(void)fk_reply_xattr_size(req, (uint32_t)t->len);
	else if (t->len > size)
		(void)fk_reply_err(req, ERANGE);
	else
		(void)fk_reply_buf(req, t->s, t->len);
}

/* ---- changing ---- */

/* Restack every directory node after the branches changed: each looked
 * up again where it is (parents first, so each finds its parent's new
 * stack), keeping the number it shows; one no branch shows any more
 * keeps what it has on branches still there, else all it had (what the
 * kernel holds of it keeps working). Under the tree write lock. The ids
 * of the directories changed, for the kernel (to free), and their count
 * in *n. */
static uint64_t *restack_dirs(struct fk_ovl *ovl, size_t *n)
{
	assert(fk_ovl_tree_held() == FK_OVL_TREE_WRITE);
	struct fk_un *un = ovl->un;
	size_t count;
	struct fk_ovl_node **dirs = fk_ovl_dirs_held(ovl, &count);
	uint64_t *ids = dirs ? malloc((count ? count : 1) * sizeof *ids) : NULL;
	unsigned *depth = ids ? malloc((count ? count : 1) * sizeof *depth) : NULL;
	*n = 0;
	if (!depth) {
		/* Out of memory: the directories keep their stacks, and new
		 * lookups below them find the old branches. */
		for (size_t i = 0; dirs && i < count; i++)
			fk_ovl_node_put(ovl, dirs[i]);
		free(dirs);
		free(ids);
		return NULL;
	}
	unsigned most = 0;
	for (size_t i = 0; i < count; i++) {
		depth[i] = 0;
		for (const struct fk_ovl_node *p = dirs[i]->parent; p; p = p->parent)
			depth[i]++;
		most = depth[i] > most ? depth[i] : most;
	}
	for (unsigned level = 0; level <= most; level++) {
		for (size_t i = 0; i < count; i++) {
			struct fk_ovl_node *d = dirs[i];
			if (depth[i] != level || (d != ovl->root && (!d->parent || !d->name)))
				continue;
			struct fk_ovl_found f;
			struct fk_layer_stat st;
			int rc = d == ovl->root
					 ? fk_ovl_root_found(ovl, un->order, un->nbranches, &f)
					 : fk_ovl_lookup_in(ovl, d->parent->stack,
							    d->parent->depth, d->name,
							    &f, &st);
			if (rc == 0 && f.type != S_IFDIR) {
				fk_ovl_found_drop(ovl, &f);
				rc = -ENOTDIR;
			}
			if (rc) {
				/* Not there any more: what it has on branches
				 * still in use, if any. */
				f.stack = malloc(d->depth * sizeof *f.stack);
				f.depth = 0;
				for (unsigned k = 0; f.stack && k < d->depth; k++) {
					struct fk_ovl_layer_ref e = d->stack[k];
					if (un->b[e.layer].rank == FK_UN_RANK_GONE)
						continue;
					ovl->layers[e.layer]->ops->hold(ovl->layers[e.layer], e.h);
					f.stack[f.depth++] = e;
				}
				if (!f.stack)
					continue;
				if (f.depth == 0 || f.depth == d->depth ||
				    f.stack[0].layer != d->stack[0].layer) {
					/* (A new topmost copy would need its
					 * identity: such a one stays as it was.) */
					fk_ovl_found_drop(ovl, &f);
					continue;
				}
				f.dev = d->key_dev;
				f.ino = d->key_ino;
			}
			int same = f.depth == d->depth;
			for (unsigned k = 0; same && k < f.depth; k++)
				same = f.stack[k].layer == d->stack[k].layer;
			unsigned found_depth = f.depth;
			struct fk_ovl_layer_ref *stack = same ? NULL : fk_ovl_found_take(&f);
			if (!stack) { /* the same, or out of memory: as it was */
				fk_ovl_found_drop(ovl, &f);
				continue;
			}
			if (!d->origin_ino) /* the number shown stays */
				d->origin_ino = fk_ovl_shown_ino(ovl, d->stack[0].layer,
								 d->key_ino);
			fk_ovl_node_restack(ovl, d, stack, found_depth, f.dev, f.ino);
			fk_ovl_dircache_drop(ovl, d);
			ids[(*n)++] = d->tn.nodeid;
		}
	}
	for (size_t i = 0; i < count; i++)
		fk_ovl_node_put(ovl, dirs[i]);
	free(dirs);
	free(depth);
	return ids;
}

/* Make the branches next (a new list, cur being the old one in order,
 * slots[i] the slot of cur's i-th): kept ones take their new mode,
 * minfree and rank, new ones are opened into new slots, the others
 * leave. Under the control lock. 0 or -errno. */
static int apply_branches(fk_req *req, struct fk_ovl *ovl,
			  const struct fk_un_branches *cur, const unsigned *slots,
			  const struct fk_un_branches *next)
{
	struct fk_un *un = ovl->un;
	unsigned slot_of[FK_UN_MAX_BRANCHES];
	struct fk_layer_node *work[FK_UN_MAX_BRANCHES] = { 0 };
	unsigned first_new = ovl->nlayers, added = 0;
	char err[512];
	int rc = 0;
	/* The I/O first, with no tree lock: new branches opened, kept ones
	 * made writable given their work directories. */
	for (size_t i = 0; rc == 0 && i < next->n; i++) {
		const struct fk_un_branch_spec *sp = &next->v[i];
		size_t k = 0;
		while (k < cur->n && strcmp(cur->v[k].path, sp->path))
			k++;
		if (k < cur->n) {
			unsigned s = slot_of[i] = slots[k];
			struct fk_layer *l = ovl->layers[s];
			if (!un->cow || sp->mode == FK_UN_RO || un->b[s].work)
				continue;
			rc = un->opener.set_work ? un->opener.set_work(un->opener.arg, l,
								       sp->path, err,
								       sizeof err)
						 : -EPERM;
			if (rc == 0)
				rc = l->ops->work ? l->ops->work(l, &work[i]) : -ENOTSUP;
			if (rc == 0)
				fk_ovl_choose_format(l, work[i]);
			continue;
		}
		unsigned s = slot_of[i] = first_new + added;
		struct fk_layer *l = NULL;
		if (sp->path[0] != '/')
			rc = -EINVAL; /* relative to what? */
		else if (s >= FK_UN_MAX_SLOTS)
			rc = -ENOSPC; /* remount to add more */
		else if (!un->opener.open)
			rc = -EPERM;
		else
			rc = un->opener.open(un->opener.arg, sp->path, sp->mode,
					     un->cow, &l, err, sizeof err);
		/* The slot is past fk_ovl.nlayers: no one reads it yet. */
		if (rc == 0 && (rc = fk_un_branch_init(un, s, l, sp, err, sizeof err)))
			fk_layer_free(l);
		if (rc == 0) {
			ovl->layers[s] = l;
			added++;
		}
	}
	if (rc) {
		for (size_t i = 0; i < next->n; i++)
			if (work[i])
				fk_layer_put(ovl->layers[slot_of[i]], work[i]);
		for (unsigned s = first_new; s < first_new + added; s++) {
			fk_layer_put(ovl->layers[s], un->b[s].work);
			free(un->b[s].path);
			fk_layer_free(ovl->layers[s]);
		}
		return rc;
	}
	fk_ovl_tree_write(ovl);
	ovl->nlayers = first_new + added;
	for (unsigned r = 0; r < un->nbranches; r++) {
		/* Gone unless kept below: never written or chosen again. */
		un->b[un->order[r]].rank = FK_UN_RANK_GONE;
		un->b[un->order[r]].mode = FK_UN_RO;
	}
	for (size_t i = 0; i < next->n; i++) {
		struct fk_un_branch *b = &un->b[slot_of[i]];
		b->mode = next->v[i].mode;
		b->own_minfree = next->v[i].minfreespace != UINT64_MAX;
		b->minfree = b->own_minfree ? next->v[i].minfreespace : un->minfreespace;
		b->rank = (unsigned)i;
		if (work[i])
			b->work = work[i];
		un->order[i] = slot_of[i];
	}
	un->nbranches = (unsigned)next->n;
	size_t nids;
	uint64_t *ids = restack_dirs(ovl, &nids);
	fk_ovl_tree_unlock(ovl);
	/* The kernel's cached listings and attributes of the directories
	 * that changed. Failing, they time out. */
	for (size_t i = 0; ids && i < nids; i++)
		(void)fk_notify_inval_inode(fk_req_session(req), ids[i], 0, 0);
	free(ids);
	return 0;
}

/* user.fusekit.branches set to value. Under the control lock. */
static int set_branches(fk_req *req, struct fk_ovl *ovl, const char *value)
{
	struct fk_un *un = ovl->un;
	struct fk_un_branches cur = { 0 }, next = { 0 };
	unsigned slots[FK_UN_MAX_BRANCHES];
	int rc = 0;
	/* The list as it is (only a change, which we hold off, alters it). */
	fk_ovl_tree_read(ovl);
	cur.v = calloc(un->nbranches, sizeof *cur.v);
	for (unsigned r = 0; cur.v && r < un->nbranches; r++) {
		const struct fk_un_branch *b = &un->b[un->order[r]];
		slots[r] = un->order[r];
		cur.v[r] = (struct fk_un_branch_spec){
			strdup(b->path), b->mode, b->own_minfree ? b->minfree : UINT64_MAX
		};
		cur.n++;
		if (!cur.v[r].path)
			rc = -ENOMEM;
	}
	fk_ovl_tree_unlock(ovl);
	char err[512];
	if (!cur.v)
		rc = -ENOMEM;
	if (rc == 0)
		rc = fk_un_branches_edit(&cur, value, &next, err, sizeof err);
	if (rc == 0)
		rc = apply_branches(req, ovl, &cur, slots, &next);
	fk_un_branches_free(&cur);
	fk_un_branches_free(&next);
	return rc;
}

/* "true" or "false": 1, 0, or -EINVAL. */
static int parse_bool(const char *v)
{
	return !strcmp(v, "true") ? 1 : !strcmp(v, "false") ? 0 : -EINVAL;
}

/* names[k] set to value. Under the control lock. 0 or -errno. */
static int set_value(fk_req *req, struct fk_ovl *ovl, int k, const char *value)
{
	struct fk_un *un = ovl->un;
	enum fk_un_policy p = FK_UN_FF;
	uint64_t size = 0;
	int flag = 0, rc = 0;
	switch (k) {
	case N_BRANCHES:
		return set_branches(req, ovl, value);
	case N_CREATE:
	case N_ACTION:
	case N_SEARCH:
		rc = fk_un_policy_parse(k == N_CREATE   ? FK_UN_CREATE
					: k == N_ACTION ? FK_UN_ACTION
							: FK_UN_SEARCH,
					value, &p);
		break;
	case N_MINFREE:
		rc = fk_un_size_parse(value, &size);
		break;
	case N_MOVE:
		rc = fk_un_moveonenospc_parse(value, &flag, &p);
		/* Writes through kernel passthrough never reach the daemon
		 * to be seen failing: mount with -o nopassthrough. */
		if (rc == 0 && flag && atomic_load(&ovl->passthrough_ok))
			rc = -EINVAL;
		break;
	case N_DROP:
		flag = parse_bool(value);
		rc = flag < 0 ? flag : 0;
		break;
	default:
		return -EPERM; /* read only */
	}
	if (rc)
		return rc;
	fk_ovl_tree_write(ovl);
	switch (k) {
	case N_CREATE:
		un->create = p;
		break;
	case N_ACTION:
		un->action = p;
		break;
	case N_SEARCH:
		un->search = p;
		break;
	case N_MINFREE:
		un->minfreespace = size;
		for (unsigned s = 0; s < ovl->nlayers; s++)
			if (!un->b[s].own_minfree)
				un->b[s].minfree = size;
		break;
	case N_MOVE:
		un->move_policy = p;
		atomic_store(&un->moveonenospc, flag != 0);
		break;
	default:
		assert(k == N_DROP);
		atomic_store(&un->dropcacheonclose, flag);
		break;
	}
	fk_ovl_tree_unlock(ovl);
	return 0;
}

/* ---- the control file's requests ---- */

static void control_attr(const struct fk_ovl *ovl, struct fk_attr *a)
{
	*a = (struct fk_attr){ .ino = CONTROL_ID, .nlink = 1, .blksize = 4096 };
	/* Its owner (the daemon's) may change the union; anyone may read. */
	a->mode = S_IFREG | 0644;
	a->uid = (uint32_t)geteuid();
	a->gid = (uint32_t)getegid();
	a->atime = a->mtime = a->ctime = a->crtime = ovl->un->made;
}

static void un_lookup(fk_req *req, const struct fk_name_in *in)
{
	struct fk_ovl *ovl = OVL(req);
	if (!fk_un_is_control(ovl, in->parent, in->name)) {
		base->lookup(req, in);
		return;
	}
	struct fk_entry e = { .ino = CONTROL_ID, .entry_valid_ns = ovl->entry_ns,
			      .attr_valid_ns = ovl->attr_ns };
	control_attr(ovl, &e.attr);
	(void)fk_reply_entry(req, &e); /* no count: it is never forgotten */
}

static void un_getattr(fk_req *req, const struct fk_getattr_in *in)
{
	if (in->ino != CONTROL_ID) {
		base->getattr(req, in);
		return;
	}
	struct fk_attr a;
	control_attr(OVL(req), &a);
	(void)fk_reply_attr(req, &a, OVL(req)->attr_ns);
}

static void un_setattr(fk_req *req, const struct fk_setattr_in *in)
{
	if (in->ino != CONTROL_ID)
		base->setattr(req, in);
	else
		(void)fk_reply_err(req, EPERM); /* it is changed through xattrs */
}

static void un_open(fk_req *req, const struct fk_open_in *in)
{
	if (in->ino != CONTROL_ID)
		base->open(req, in);
	else
		(void)fk_reply_err(req, EACCES); /* not a file to read */
}

static void un_getxattr(fk_req *req, const struct fk_getxattr_in *in)
{
	if (in->ino != CONTROL_ID) {
		base->getxattr(req, in);
		return;
	}
	int k = name_index(in->name);
	if (k < 0) {
		(void)fk_reply_err(req, ENODATA);
		return;
	}
	struct text t = { 0 };
	value_of(OVL(req), k, &t);
	reply_text(req, &t, in->size);
	free(t.s);
}

static void un_listxattr(fk_req *req, const struct fk_listxattr_in *in)
{
	if (in->ino != CONTROL_ID) {
		base->listxattr(req, in);
		return;
	}
	struct text t = { 0 };
	for (int k = 0; k < N_NAMES; k++) {
		put_text(&t, PREFIX, strlen(PREFIX));
		put_text(&t, names[k], strlen(names[k]) + 1); /* with its NUL */
	}
	reply_text(req, &t, in->size);
	free(t.s);
}

static void un_setxattr(fk_req *req, const struct fk_setxattr_in *in)
{
	if (in->ino != CONTROL_ID) {
		base->setxattr(req, in);
		return;
	}
	struct fk_ovl *ovl = OVL(req);
	int k = name_index(in->name);
	uint32_t uid = fk_req_ctx(req)->uid;
	int rc = k < 0				       ? -ENOTSUP
		 : uid != 0 && uid != (uint32_t)geteuid() ? -EPERM
		 : in->flags & XATTR_CREATE		       ? -EEXIST
		 : in->size > VALUE_MAX		       ? -E2BIG
							       : 0;
	/* The value as a string: a NUL inside it ends nothing. */
	char *value = rc ? NULL : malloc(in->size + 1);
	if (rc == 0 && !value)
		rc = -ENOMEM;
	if (rc == 0) {
		memcpy(value, in->value, in->size);
		value[in->size] = 0;
		if (strlen(value) != in->size)
			rc = -EINVAL;
	}
	if (rc == 0) {
		pthread_mutex_lock(&ovl->un->control_lock);
		rc = set_value(req, ovl, k, value);
		pthread_mutex_unlock(&ovl->un->control_lock);
	}
	free(value);
	(void)fk_reply_err(req, -rc);
}

static void un_removexattr(fk_req *req, const struct fk_removexattr_in *in)
{
	if (in->ino != CONTROL_ID)
		base->removexattr(req, in);
	else
		(void)fk_reply_err(req, name_index(in->name) < 0 ? ENODATA : EPERM);
}

static void make_ops(void)
{
	base = fk_ovl_ops();
	un_ops = *base;
	un_ops.lookup = un_lookup;
	un_ops.getattr = un_getattr;
	un_ops.setattr = un_setattr;
	un_ops.open = un_open;
	un_ops.getxattr = un_getxattr;
	un_ops.listxattr = un_listxattr;
	un_ops.setxattr = un_setxattr;
	un_ops.removexattr = un_removexattr;
}

const struct fk_ops *fk_un_ops(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, make_ops);
	return &un_ops;
}
