/*
 * ovl_node.c — the overlay's node table: two hash indexes under one mutex,
 * by FUSE node id (every request) and by the topmost layer node's
 * identity (lookups). It doubles when it holds more nodes than buckets.
 * Nodes also remember where they were last found (parent, name), for
 * copy-up.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ovl.h"

#define OVL_INITIAL_BUCKETS 1024

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

static size_t hash_id(uint64_t id, size_t n)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 20) & (n - 1);
}

static size_t hash_key(unsigned layer, uint64_t dev, uint64_t ino, size_t n)
{
	uint64_t h = ino * 0x9e3779b97f4a7c15ULL;
	h ^= (dev + layer + 0x632be59bd9b4e019ULL) * 0xc2b2ae3d27d4eb4fULL;
	return (size_t)(h >> 17) & (n - 1);
}

static size_t key_of(const struct fk_ovl_node *n, size_t nb)
{
	return hash_key(n->stack[0].layer, n->key_dev, n->key_ino, nb);
}

int fk_ovl_table_init(struct fk_ovl *ovl)
{
	ovl->nbuckets = OVL_INITIAL_BUCKETS;
	ovl->by_id = calloc(ovl->nbuckets, sizeof *ovl->by_id);
	ovl->by_key = calloc(ovl->nbuckets, sizeof *ovl->by_key);
	if (!ovl->by_id || !ovl->by_key) {
		free(ovl->by_id);
		free(ovl->by_key);
		return -ENOMEM;
	}
	ovl->next_id = FK_ROOT_INO + 1;
	return -pthread_mutex_init(&ovl->lock, NULL);
}

void fk_ovl_stack_free(struct fk_ovl *ovl, struct fk_ovl_layer_ref *stack,
		       unsigned depth)
{
	for (unsigned i = 0; i < depth; i++) {
		struct fk_layer *l = ovl->layers[stack[i].layer];
		fk_layer_put(l, stack[i].h);
	}
	free(stack);
}

static void node_free(struct fk_ovl *ovl, struct fk_ovl_node *n)
{
	fk_ovl_stack_free(ovl, n->stack, n->depth);
	pthread_mutex_destroy(&n->copy_lock);
	free(n->name);
	free(n);
}

void fk_ovl_table_destroy(struct fk_ovl *ovl)
{
	for (size_t i = 0; ovl->by_id && i < ovl->nbuckets; i++) {
		struct fk_ovl_node *n = ovl->by_id[i];
		while (n) {
			struct fk_ovl_node *next = n->next_id;
			if (n->listing)
				fk_ovl_dircache_drop(ovl, n);
			node_free(ovl, n);
			n = next;
		}
	}
	free(ovl->by_id);
	free(ovl->by_key);
	pthread_mutex_destroy(&ovl->lock);
}

static void insert(struct fk_ovl *ovl, struct fk_ovl_node *n)
{
	size_t i = hash_id(n->nodeid, ovl->nbuckets);
	n->next_id = ovl->by_id[i];
	ovl->by_id[i] = n;
	i = key_of(n, ovl->nbuckets);
	n->next_key = ovl->by_key[i];
	ovl->by_key[i] = n;
	ovl->count++;
}

/* Double the buckets; on allocation failure keep the old ones. */
static void grow(struct fk_ovl *ovl)
{
	size_t n2 = ovl->nbuckets * 2;
	struct fk_ovl_node **id2 = calloc(n2, sizeof *id2);
	struct fk_ovl_node **key2 = calloc(n2, sizeof *key2);
	if (!id2 || !key2) {
		free(id2);
		free(key2);
		return;
	}
	struct fk_ovl_node **old = ovl->by_id;
	size_t oldn = ovl->nbuckets;
	free(ovl->by_key);
	ovl->by_id = id2;
	ovl->by_key = key2;
	ovl->nbuckets = n2;
	ovl->count = 0;
	for (size_t i = 0; i < oldn; i++) {
		struct fk_ovl_node *n = old[i];
		while (n) {
			struct fk_ovl_node *next = n->next_id;
			insert(ovl, n);
			n = next;
		}
	}
	free(old);
}

static void unlink_key(struct fk_ovl *ovl, struct fk_ovl_node *n)
{
	struct fk_ovl_node **pp = &ovl->by_key[key_of(n, ovl->nbuckets)];
	while (*pp != n)
		pp = &(*pp)->next_key;
	*pp = n->next_key;
}

static void link_key(struct fk_ovl *ovl, struct fk_ovl_node *n)
{
	size_t i = key_of(n, ovl->nbuckets);
	n->next_key = ovl->by_key[i];
	ovl->by_key[i] = n;
}

static void maybe_free(struct fk_ovl *ovl, struct fk_ovl_node *n);

/* Nodes this thread dropped under the lock, freed once it lets the lock
 * go (ovl_unlock): putting a node's layer handles may close the last
 * descriptor of an unlinked file, which frees its blocks and can wait for
 * the device (a filesystem mounted with discard); every request would
 * wait with it. */
static _Thread_local struct fk_ovl_node *dead;

static void ovl_unlock(struct fk_ovl *ovl)
{
	pthread_mutex_unlock(&ovl->lock);
	while (dead) {
		struct fk_ovl_node *n = dead;
		dead = n->next_id;
		node_free(ovl, n);
	}
}

/* Under the lock: unlink n from both indexes and free it; its parent
 * loses the reference n held. */
static void drop(struct fk_ovl *ovl, struct fk_ovl_node *n)
{
	struct fk_ovl_node **pp = &ovl->by_id[hash_id(n->nodeid, ovl->nbuckets)];
	while (*pp != n)
		pp = &(*pp)->next_id;
	*pp = n->next_id;
	unlink_key(ovl, n);
	ovl->count--;
	struct fk_ovl_node *parent = n->parent;
	fk_ovl_dircache_drop(ovl, n);
	n->next_id = dead; /* freed once the lock is let go */
	dead = n;
	if (parent) {
		parent->refs--;
		maybe_free(ovl, parent);
	}
}

static void maybe_free(struct fk_ovl *ovl, struct fk_ovl_node *n)
{
	if (!n->nlookup && !n->refs && n != ovl->root)
		drop(ovl, n);
}

struct fk_ovl_node *fk_ovl_node_get(struct fk_ovl *ovl, uint64_t nodeid)
{
	pthread_mutex_lock(&ovl->lock);
	struct fk_ovl_node *n = ovl->by_id[hash_id(nodeid, ovl->nbuckets)];
	while (n && n->nodeid != nodeid)
		n = n->next_id;
	if (n)
		n->refs++;
	ovl_unlock(ovl);
	return n;
}

uint64_t fk_ovl_node_origin(struct fk_ovl *ovl, unsigned layer, uint64_t dev,
			    uint64_t ino)
{
	pthread_mutex_lock(&ovl->lock);
	struct fk_ovl_node *n = ovl->by_key[hash_key(layer, dev, ino, ovl->nbuckets)];
	while (n && !(n->stack[0].layer == layer && n->key_dev == dev &&
		      n->key_ino == ino))
		n = n->next_key;
	uint64_t origin = n ? n->origin_ino : 0;
	ovl_unlock(ovl);
	return origin;
}

void fk_ovl_node_hold(struct fk_ovl *ovl, struct fk_ovl_node *n)
{
	pthread_mutex_lock(&ovl->lock);
	n->refs++;
	ovl_unlock(ovl);
}

void fk_ovl_node_put(struct fk_ovl *ovl, struct fk_ovl_node *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&ovl->lock);
	n->refs--;
	maybe_free(ovl, n);
	ovl_unlock(ovl);
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
	n->type = f->type;
	n->stack = f->stack;
	n->depth = f->depth;
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
	if (n->parent == parent && n->name && !strcmp(n->name, name))
		return 0;
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	free(n->name);
	n->name = copy;
	struct fk_ovl_node *old = n->parent;
	parent->refs++;
	n->parent = parent;
	if (old) {
		old->refs--;
		maybe_free(ovl, old);
	}
	return 0;
}

struct fk_ovl_node *fk_ovl_node_enter(struct fk_ovl *ovl,
				      struct fk_ovl_found *f,
				      struct fk_ovl_node *parent,
				      const char *name, int kernel)
{
	pthread_mutex_lock(&ovl->lock);
	unsigned top = f->stack[0].layer;
	struct fk_ovl_node *n =
		ovl->by_key[hash_key(top, f->dev, f->ino, ovl->nbuckets)];
	while (n && !(n->stack[0].layer == top && n->key_dev == f->dev &&
		      n->key_ino == f->ino && n->type == f->type))
		n = n->next_key;
	if (n) {
		if (parent) /* failing: the old name, still a place it was */
			(void)set_place(ovl, n, parent, name);
		if (kernel)
			n->nlookup++;
		else
			n->refs++;
		ovl_unlock(ovl);
		fk_ovl_stack_free(ovl, f->stack, f->depth);
		return n;
	}
	n = new_node(f);
	if (n && parent && set_place(ovl, n, parent, name)) {
		pthread_mutex_destroy(&n->copy_lock);
		free(n);
		n = NULL;
	}
	if (!n) {
		ovl_unlock(ovl);
		fk_ovl_stack_free(ovl, f->stack, f->depth);
		return NULL;
	}
	n->nodeid = ovl->next_id++;
	if (kernel)
		n->nlookup = 1;
	else
		n->refs = 1;
	if (ovl->count >= ovl->nbuckets)
		grow(ovl);
	insert(ovl, n);
	ovl_unlock(ovl);
	return n;
}

void fk_ovl_node_restack(struct fk_ovl *ovl, struct fk_ovl_node *n,
			 struct fk_ovl_layer_ref *stack, unsigned depth,
			 uint64_t dev, uint64_t ino)
{
	/* Only a copy-up restacks, making a lower node upper for good. */
	assert(fk_ovl_tree_held() == FK_OVL_TREE_WRITE);
	assert(n->stack[0].layer != 0 && stack[0].layer == 0);
	pthread_mutex_lock(&ovl->lock);
	struct fk_ovl_layer_ref *old = n->stack;
	unsigned old_depth = n->depth;
	unlink_key(ovl, n);
	n->stack_gen++;
	atomic_store(&n->impure, 0); /* a new upper directory: not known */
	n->stack = stack;
	n->depth = depth;
	n->key_dev = dev;
	n->key_ino = ino;
	link_key(ovl, n);
	ovl_unlock(ovl);
	fk_ovl_stack_free(ovl, old, old_depth);
}

int fk_ovl_node_move(struct fk_ovl *ovl, struct fk_ovl_node *n,
		     struct fk_ovl_node *parent, const char *name)
{
	pthread_mutex_lock(&ovl->lock);
	int rc = set_place(ovl, n, parent, name);
	ovl_unlock(ovl);
	return rc;
}

struct fk_ovl_node *fk_ovl_node_root(struct fk_ovl *ovl,
				     struct fk_ovl_found *f)
{
	struct fk_ovl_node *n = new_node(f);
	if (!n)
		return NULL;
	n->nodeid = FK_ROOT_INO;
	pthread_mutex_lock(&ovl->lock);
	insert(ovl, n);
	ovl->root = n;
	ovl_unlock(ovl);
	return n;
}

void fk_ovl_node_forget(struct fk_ovl *ovl, uint64_t nodeid, uint64_t count)
{
	pthread_mutex_lock(&ovl->lock);
	struct fk_ovl_node *n = ovl->by_id[hash_id(nodeid, ovl->nbuckets)];
	while (n && n->nodeid != nodeid)
		n = n->next_id;
	if (n) {
		n->nlookup = count > n->nlookup ? 0 : n->nlookup - count;
		maybe_free(ovl, n);
	}
	ovl_unlock(ovl);
}
