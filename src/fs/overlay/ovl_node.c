/*
 * ovl_node.c — the overlay's nodes in the shared node table
 * (../node/fk_node_table.h), keyed by the identity of their topmost
 * layer node (layer, dev, ino), so hard links and repeated lookups meet
 * the same node; where they were last found (parent, name), for copy-up;
 * and the tree lock's helpers.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ovl.h"
#include "../union/un.h"

/* What this thread holds of a tree lock (one overlay at a time). */
static _Thread_local int tree_held;

void fk_ovl_tree_read(struct fk_ovl *ovl)
{
	assert(tree_held == FK_OVL_TREE_NONE); /* not recursive */
	pthread_rwlock_rdlock(&ovl->tree);
	tree_held = FK_OVL_TREE_READ;
}

void fk_ovl_tree_write(struct fk_ovl *ovl)
{
	assert(tree_held == FK_OVL_TREE_NONE);
	pthread_rwlock_wrlock(&ovl->tree);
	tree_held = FK_OVL_TREE_WRITE;
}

void fk_ovl_tree_unlock(struct fk_ovl *ovl)
{
	assert(tree_held != FK_OVL_TREE_NONE);
	tree_held = FK_OVL_TREE_NONE;
	pthread_rwlock_unlock(&ovl->tree);
}

int fk_ovl_tree_held(void)
{
	return tree_held;
}

#define NODE(tn) ((struct fk_ovl_node *)(tn))

static uint64_t key_hash(unsigned layer, uint64_t dev, uint64_t ino)
{
	return fk_nt_hash(ino, dev, layer, 0);
}

static int same_key(const struct fk_ovl_node *n, unsigned layer, uint64_t dev,
		    uint64_t ino)
{
	return n->stack[0].layer == layer && n->key_dev == dev && n->key_ino == ino;
}

/* Under the lock: the node whose topmost layer node is (layer, dev, ino),
 * of type (S_IFMT bits; 0: any). */
static struct fk_ovl_node *find(struct fk_ovl *ovl, unsigned layer,
				uint64_t dev, uint64_t ino, uint32_t type)
{
	fk_nt_assert_locked(&ovl->nodes);
	uint64_t h = key_hash(layer, dev, ino);
	for (struct fk_nt_node *t = fk_nt_first_key(&ovl->nodes, h); t;
	     t = fk_nt_next_key(t, h))
		if (same_key(NODE(t), layer, dev, ino) &&
		    (!type || NODE(t)->type == type))
			return NODE(t);
	return NULL;
}

static void refs_put(struct fk_ovl *ovl, const struct fk_ovl_layer_ref *stack,
		     unsigned depth)
{
	for (unsigned i = 0; i < depth; i++)
		fk_layer_put(ovl->layers[stack[i].layer], stack[i].h);
}

void fk_ovl_stack_free(struct fk_ovl *ovl, struct fk_ovl_layer_ref *stack,
		       unsigned depth)
{
	refs_put(ovl, stack, depth);
	free(stack);
}

void fk_ovl_found_drop(struct fk_ovl *ovl, struct fk_ovl_found *f)
{
	assert(f->stack != f->inline_refs || f->depth <= FK_OVL_FOUND_INLINE);
	refs_put(ovl, f->stack, f->depth);
	if (f->stack != f->inline_refs)
		free(f->stack);
	f->stack = NULL;
	f->depth = 0;
}

struct fk_ovl_layer_ref *fk_ovl_found_take(struct fk_ovl_found *f)
{
	assert(f->depth > 0);
	size_t size = f->depth * sizeof *f->stack;
	struct fk_ovl_layer_ref *s;
	if (f->stack == f->inline_refs) {
		if (!(s = malloc(size)))
			return NULL;
		memcpy(s, f->stack, size);
	} else if (!(s = realloc(f->stack, size))) {
		s = f->stack; /* (shrinking failed: as it is) */
	}
	f->stack = NULL;
	f->depth = 0;
	return s;
}

/* Give n the stack of f (its references): in n->only when it is one
 * deep, so most nodes cost no second allocation. 0 or -ENOMEM (f still
 * owns it). */
static int stack_give(struct fk_ovl_node *n, struct fk_ovl_found *f)
{
	unsigned depth = f->depth;
	if (depth == 1) {
		n->only = f->stack[0];
		if (f->stack != f->inline_refs)
			free(f->stack);
		f->stack = NULL;
		f->depth = 0;
		n->stack = &n->only;
	} else if (!(n->stack = fk_ovl_found_take(f))) {
		return -ENOMEM;
	}
	n->depth = depth;
	return 0;
}

/* Put n's stack's references and free what it has on the heap. */
static void node_stack_free(struct fk_ovl *ovl, struct fk_ovl_node *n)
{
	refs_put(ovl, n->stack, n->depth);
	if (n->stack != &n->only)
		free(n->stack);
	n->stack = NULL;
	n->depth = 0;
}

/* The table's callbacks: under its lock, n lets go of its parent and its
 * cached listing; with the lock let go, its layer handles are put. */
static void node_unlink(void *fs, struct fk_nt_node *tn)
{
	struct fk_ovl *ovl = fs;
	struct fk_ovl_node *n = NODE(tn);
	fk_ovl_dircache_drop(ovl, n);
	if (n->parent)
		fk_nt_unref_locked(&ovl->nodes, &n->parent->tn, FK_NT_OP);
	n->parent = NULL;
}

static void node_release(void *fs, struct fk_nt_node *tn)
{
	struct fk_ovl *ovl = fs;
	struct fk_ovl_node *n = NODE(tn);
	if (n->listing) /* fk_nt_destroy: no unlink before */
		fk_ovl_dircache_drop(ovl, n);
	node_stack_free(ovl, n);
	pthread_mutex_destroy(&n->copy_lock);
	free(n->name);
	free(n);
}

static const struct fk_nt_ops ovl_nt_ops = { node_unlink, node_release };

int fk_ovl_table_init(struct fk_ovl *ovl)
{
	return fk_nt_init(&ovl->nodes, &ovl_nt_ops, ovl);
}

void fk_ovl_table_destroy(struct fk_ovl *ovl)
{
	fk_nt_destroy(&ovl->nodes);
}

struct fk_ovl_node *fk_ovl_node_get(struct fk_ovl *ovl, uint64_t nodeid)
{
	return NODE(fk_nt_get(&ovl->nodes, nodeid));
}

uint64_t fk_ovl_node_origin(struct fk_ovl *ovl, unsigned layer, uint64_t dev,
			    uint64_t ino)
{
	fk_nt_lock(&ovl->nodes);
	struct fk_ovl_node *n = find(ovl, layer, dev, ino, 0);
	uint64_t origin = n ? n->origin_ino : 0;
	fk_nt_unlock(&ovl->nodes);
	return origin;
}

void fk_ovl_node_hold(struct fk_ovl *ovl, struct fk_ovl_node *n)
{
	fk_nt_hold(&ovl->nodes, &n->tn);
}

void fk_ovl_node_put(struct fk_ovl *ovl, struct fk_ovl_node *n)
{
	fk_nt_put(&ovl->nodes, n ? &n->tn : NULL);
}

static struct fk_ovl_node *new_node(struct fk_ovl_found *f)
{
	struct fk_ovl_node *n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	if (pthread_mutex_init(&n->copy_lock, NULL)) {
		free(n);
		return NULL;
	}
	if (stack_give(n, f)) {
		pthread_mutex_destroy(&n->copy_lock);
		free(n);
		return NULL;
	}
	n->type = f->type;
	n->key_dev = f->dev;
	n->key_ino = f->ino;
	n->origin_ino = f->origin_ino;
	return n;
}

/* Under the lock: n was found as name in parent. On allocation failure
 * n keeps its old name, still a place it was. */
static int set_place(struct fk_ovl *ovl, struct fk_ovl_node *n,
		     struct fk_ovl_node *parent, const char *name)
{
	fk_nt_assert_locked(&ovl->nodes);
	if (n->parent == parent && n->name && !strcmp(n->name, name))
		return 0;
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	free(n->name);
	n->name = copy;
	struct fk_ovl_node *old = n->parent;
	fk_nt_ref_locked(&ovl->nodes, &parent->tn, FK_NT_OP);
	n->parent = parent;
	if (old)
		fk_nt_unref_locked(&ovl->nodes, &old->tn, FK_NT_OP);
	return 0;
}

struct fk_ovl_node *fk_ovl_node_parent(struct fk_ovl *ovl,
				       struct fk_ovl_node *n, char **name)
{
	fk_nt_lock(&ovl->nodes);
	struct fk_ovl_node *p = n->parent;
	if (p)
		fk_nt_ref_locked(&ovl->nodes, &p->tn, FK_NT_OP);
	if (name)
		*name = p && n->name ? strdup(n->name) : NULL;
	fk_nt_unlock(&ovl->nodes);
	return p;
}

struct fk_ovl_node *fk_ovl_node_enter(struct fk_ovl *ovl,
				      struct fk_ovl_found *f,
				      struct fk_ovl_node *parent,
				      const char *name, int kernel)
{
	enum fk_nt_ref kind = kernel ? FK_NT_KERNEL : FK_NT_OP;
	fk_nt_lock(&ovl->nodes);
	struct fk_ovl_node *n = find(ovl, f->stack[0].layer, f->dev, f->ino, f->type);
	if (n) {
		if (parent) /* failing: the old name, still a place it was */
			(void)set_place(ovl, n, parent, name);
		fk_nt_ref_locked(&ovl->nodes, &n->tn, kind);
		fk_nt_unlock(&ovl->nodes);
		fk_ovl_found_drop(ovl, f);
		return n;
	}
	n = new_node(f); /* f's stack is n's now */
	if (n && parent && !n->origin_ino) /* a union numbering by path */
		n->origin_ino = fk_un_path_ino(ovl, parent, name, f->type, 1);
	if (n) {
		fk_nt_insert_locked(&ovl->nodes, &n->tn,
				    key_hash(n->stack[0].layer, f->dev, f->ino), 1,
				    kind, 0);
		if (parent && set_place(ovl, n, parent, name)) {
			/* It leaves at once, and its stack with it. */
			fk_nt_unref_locked(&ovl->nodes, &n->tn, kind);
			n = NULL;
		}
	}
	fk_nt_unlock(&ovl->nodes);
	if (f->stack) /* no node took it */
		fk_ovl_found_drop(ovl, f);
	return n;
}

void fk_ovl_node_restack(struct fk_ovl *ovl, struct fk_ovl_node *n,
			 struct fk_ovl_layer_ref *stack, unsigned depth,
			 uint64_t dev, uint64_t ino)
{
	/* In an overlay only a copy-up restacks, making a lower node upper
	 * for good; in a union a directory gains a branch. */
	assert(fk_ovl_tree_held() == FK_OVL_TREE_WRITE);
	assert(ovl->un || (n->stack[0].layer != 0 && stack[0].layer == 0));
	fk_nt_lock(&ovl->nodes);
	struct fk_ovl_layer_ref old_only = n->only;
	struct fk_ovl_layer_ref *old = n->stack == &n->only ? &old_only : n->stack;
	unsigned old_depth = n->depth;
	n->stack_gen++;
	atomic_store(&n->impure, 0); /* a new upper directory: not known */
	if (depth == 1) {
		n->only = stack[0];
		free(stack);
		stack = &n->only;
	}
	n->stack = stack;
	n->depth = depth;
	n->key_dev = dev;
	n->key_ino = ino;
	fk_nt_rekey_locked(&ovl->nodes, &n->tn, key_hash(stack[0].layer, dev, ino));
	fk_nt_unlock(&ovl->nodes);
	refs_put(ovl, old, old_depth);
	if (old != &old_only)
		free(old);
}

int fk_ovl_node_move(struct fk_ovl *ovl, struct fk_ovl_node *n,
		     struct fk_ovl_node *parent, const char *name)
{
	fk_nt_lock(&ovl->nodes);
	int rc = set_place(ovl, n, parent, name);
	fk_nt_unlock(&ovl->nodes);
	return rc;
}

struct fk_ovl_node *fk_ovl_node_root(struct fk_ovl *ovl,
				     struct fk_ovl_found *f)
{
	struct fk_ovl_node *n = new_node(f);
	if (!n)
		return NULL;
	fk_nt_insert_root(&ovl->nodes, &n->tn,
			  key_hash(n->stack[0].layer, f->dev, f->ino));
	ovl->root = n;
	return n;
}

void fk_ovl_node_forget(struct fk_ovl *ovl, uint64_t nodeid, uint64_t count)
{
	fk_nt_forget(&ovl->nodes, nodeid, count);
}

struct held_dirs {
	struct fk_ovl *ovl;
	struct fk_ovl_node **v;
	size_t n, cap;
};

static void hold_dir(void *arg, struct fk_nt_node *tn)
{
	struct held_dirs *h = arg;
	struct fk_ovl_node *n = NODE(tn);
	if (n->type != S_IFDIR || h->n == h->cap)
		return;
	fk_nt_ref_locked(&h->ovl->nodes, tn, FK_NT_OP);
	h->v[h->n++] = n;
}

struct fk_ovl_node **fk_ovl_dirs_held(struct fk_ovl *ovl, size_t *count)
{
	struct held_dirs h = { ovl, NULL, 0, 0 };
	fk_nt_lock(&ovl->nodes);
	h.cap = ovl->nodes.count;
	h.v = malloc((h.cap ? h.cap : 1) * sizeof *h.v);
	if (h.v)
		fk_nt_each_locked(&ovl->nodes, hold_dir, &h);
	fk_nt_unlock(&ovl->nodes);
	*count = h.n;
	return h.v;
}
