/*
 * pt_node.c — the passthrough node table.
 *
 * Two hash indexes over the same nodes, under one mutex: by FUSE node id
 * (every request) and by host identity (dev, ino, mount id: lookups, so
 * that hard links and repeated lookups meet the same node). The table
 * doubles when it holds more nodes than buckets.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pt.h"

#define FK_PT_INITIAL_BUCKETS 1024

static size_t hash_id(uint64_t id, size_t n)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 20) & (n - 1);
}

static size_t hash_key(uint64_t dev, uint64_t ino, uint64_t mnt, size_t n)
{
	uint64_t h = ino * 0x9e3779b97f4a7c15ULL;
	h ^= (dev + 0x632be59bd9b4e019ULL) * 0xc2b2ae3d27d4eb4fULL;
	h ^= mnt * 0x165667b19e3779f9ULL;
	return (size_t)(h >> 17) & (n - 1);
}

/* This thread's descriptors to close once it lets the table lock go. A
 * full list closes at once: slower, never wrong. */
#define PT_CLOSE_LATER_MAX 32
static _Thread_local struct {
	int fd[PT_CLOSE_LATER_MAX];
	unsigned n;
} closing;

void fk_pt_lock(struct fk_pt *pt)
{
	pthread_mutex_lock(&pt->table.lock);
}

void fk_pt_unlock(struct fk_pt *pt)
{
	pthread_mutex_unlock(&pt->table.lock);
	while (closing.n)
		close(closing.fd[--closing.n]);
}

void fk_pt_close_later(int fd)
{
	if (closing.n < PT_CLOSE_LATER_MAX)
		closing.fd[closing.n++] = fd;
	else
		close(fd);
}

int fk_pt_table_init(struct fk_pt_table *t)
{
	memset(t, 0, sizeof *t);
	t->nbuckets = FK_PT_INITIAL_BUCKETS;
	t->by_id = calloc(t->nbuckets, sizeof *t->by_id);
	t->by_key = calloc(t->nbuckets, sizeof *t->by_key);
	if (!t->by_id || !t->by_key) {
		free(t->by_id);
		free(t->by_key);
		return -ENOMEM;
	}
	t->next_id = FK_ROOT_INO + 1;
	int rc = pthread_mutex_init(&t->lock, NULL);
	return -rc;
}

void fk_pt_table_destroy(struct fk_pt_table *t)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct fk_pt_node *n = t->by_id[i];
		while (n) {
			struct fk_pt_node *next = n->next_id;
			/* Every node goes: no parent references to drop. */
			if (n->cfd.fd >= 0)
				close(n->cfd.fd);
			fk_pt_hold_discard(n);
			free(n);
			n = next;
		}
	}
	free(t->by_id);
	free(t->by_key);
	pthread_mutex_destroy(&t->lock);
}

static void insert(struct fk_pt_table *t, struct fk_pt_node *n)
{
	size_t i = hash_id(n->nodeid, t->nbuckets);
	n->next_id = t->by_id[i];
	t->by_id[i] = n;
	if (n->keyed) {
		i = hash_key(n->dev, n->ino, n->mnt_id, t->nbuckets);
		n->next_key = t->by_key[i];
		t->by_key[i] = n;
	}
	t->count++;
}

/* Double the buckets; on allocation failure keep the old ones (slower
 * chains, still correct). */
static void grow(struct fk_pt_table *t)
{
	size_t n2 = t->nbuckets * 2;
	struct fk_pt_node **id2 = calloc(n2, sizeof *id2);
	struct fk_pt_node **key2 = calloc(n2, sizeof *key2);
	if (!id2 || !key2) {
		free(id2);
		free(key2);
		return;
	}
	struct fk_pt_node **old = t->by_id;
	size_t oldn = t->nbuckets;
	free(t->by_key);
	t->by_id = id2;
	t->by_key = key2;
	t->nbuckets = n2;
	t->count = 0;
	for (size_t i = 0; i < oldn; i++) {
		struct fk_pt_node *n = old[i];
		while (n) {
			struct fk_pt_node *next = n->next_id;
			insert(t, n);
			n = next;
		}
	}
	free(old);
}

static void unkey(struct fk_pt_table *t, struct fk_pt_node *n)
{
	if (!n->keyed)
		return;
	struct fk_pt_node **pp =
		&t->by_key[hash_key(n->dev, n->ino, n->mnt_id, t->nbuckets)];
	while (*pp != n)
		pp = &(*pp)->next_key;
	*pp = n->next_key;
	n->keyed = 0;
}

static void unlink_node(struct fk_pt_table *t, struct fk_pt_node *n)
{
	struct fk_pt_node **pp = &t->by_id[hash_id(n->nodeid, t->nbuckets)];
	while (*pp != n)
		pp = &(*pp)->next_id;
	*pp = n->next_id;
	unkey(t, n);
	t->count--;
}

void fk_pt_node_maybe_free(struct fk_pt *pt, struct fk_pt_node *n)
{
	/* A lazy node's parent may go with it, and its parent... */
	while (n && !n->nlookup && !n->refs && n != pt->root) {
		struct fk_pt_node *parent = n->parent;
		n->parent = NULL;
		unlink_node(&pt->table, n);
		fk_pt_hold_detach(pt, n);
		free(n);
		if (parent)
			parent->refs--;
		n = parent;
	}
}

struct fk_pt_node *fk_pt_node_get(struct fk_pt *pt, uint64_t nodeid)
{
	struct fk_pt_table *t = &pt->table;
	fk_pt_lock(pt);
	struct fk_pt_node *n = t->by_id[hash_id(nodeid, t->nbuckets)];
	while (n && n->nodeid != nodeid)
		n = n->next_id;
	if (n)
		n->refs++;
	fk_pt_unlock(pt);
	return n;
}

struct fk_pt_node *fk_pt_node_of(fk_req *req, uint64_t nodeid)
{
	struct fk_pt_node *n = fk_pt_node_get(FK_PT(req), nodeid);
	if (!n)
		(void)fk_reply_err(req, ENOENT);
	return n;
}

void fk_pt_node_put(struct fk_pt *pt, struct fk_pt_node *n)
{
	if (!n)
		return;
	fk_pt_lock(pt);
	n->refs--;
	fk_pt_node_maybe_free(pt, n);
	fk_pt_unlock(pt);
}

/* Under the lock: the keyed node of inode st; one whose birth time
 * differs is a deleted file whose inode number the host reused, so it
 * leaves the index (the kernel may still hold its id) and NULL is the
 * answer. */
static struct fk_pt_node *find_keyed(struct fk_pt_table *t, const struct fk_plat_stat *st)
{
	uint64_t dev = st->dev;
	uint64_t mnt = st->mnt_id;
	struct fk_pt_node *n = t->by_key[hash_key(dev, st->ino, mnt, t->nbuckets)];
	while (n && !(n->ino == st->ino && n->dev == dev && n->mnt_id == mnt))
		n = n->next_key;
	int64_t bsec = st->has_btime ? st->btime.tv_sec : 0;
	uint32_t bnsec = st->has_btime ? (uint32_t)st->btime.tv_nsec : 0;
	if (n && (n->btime_sec != bsec || n->btime_nsec != bnsec)) {
		unkey(t, n);
		n = NULL;
	}
	return n;
}

struct fk_pt_node *fk_pt_node_find(struct fk_pt *pt, const struct fk_plat_stat *st)
{
	return find_keyed(&pt->table, st);
}

/* A node for inode st, not yet in the table. */
static struct fk_pt_node *new_node(const struct fk_plat_stat *st)
{
	struct fk_pt_node *n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	n->dev = st->dev;
	n->ino = st->ino;
	n->mnt_id = st->mnt_id;
	if (st->has_btime) {
		n->btime_sec = st->btime.tv_sec;
		n->btime_nsec = (uint32_t)st->btime.tv_nsec;
	}
	n->type = st->mode & S_IFMT;
	n->cfd.fd = -1;
	n->keyed = 1;
	return n;
}

struct fk_pt_node *fk_pt_node_lookup(struct fk_pt *pt, int fd,
				     const struct fk_plat_stat *st,
				     struct fk_pt_node *parent, const char *name,
				     enum fk_pt_ref ref)
{
	struct fk_pt_table *t = &pt->table;
	/* Outside the lock: a system call, needed only for a new node (which
	 * most lookups of a handle-mode mount are not; the cost is small). */
	struct fk_plat_handle *handle = fk_pt_hold_handle(pt, fd, st);
	fk_pt_lock(pt);
	struct fk_pt_node *n = find_keyed(t, st);
	if (n) {
		if (ref == FK_PT_REF_KERNEL)
			n->nlookup++;
		else
			n->refs++;
		fk_pt_hold_refresh(pt, n, fd, parent, name);
		fk_pt_unlock(pt);
		free(handle);
		return n;
	}
	n = new_node(st);
	if (!n || fk_pt_hold_attach(pt, n, fd, parent, name, handle) < 0) {
		fk_pt_unlock(pt);
		free(n);
		free(handle);
		close(fd);
		return NULL;
	}
	n->nodeid = t->next_id++;
	if (ref == FK_PT_REF_KERNEL)
		n->nlookup = 1;
	else
		n->refs = 1;
	if (t->count >= t->nbuckets)
		grow(t);
	insert(t, n);
	fk_pt_unlock(pt);
	return n;
}

void fk_pt_node_forget(struct fk_pt *pt, uint64_t nodeid, uint64_t count)
{
	struct fk_pt_table *t = &pt->table;
	fk_pt_lock(pt);
	struct fk_pt_node *n = t->by_id[hash_id(nodeid, t->nbuckets)];
	while (n && n->nodeid != nodeid)
		n = n->next_id;
	if (n) {
		n->nlookup = count > n->nlookup ? 0 : n->nlookup - count;
		fk_pt_node_maybe_free(pt, n);
	}
	fk_pt_unlock(pt);
}

struct fk_pt_node *fk_pt_node_root(struct fk_pt *pt, int fd,
				   const struct fk_plat_stat *st)
{
	struct fk_pt_table *t = &pt->table;
	struct fk_pt_node *n = new_node(st);
	if (!n)
		return NULL;
	n->nodeid = FK_ROOT_INO;
	n->type = S_IFDIR;
	n->cfd.fd = fd; /* never closed before the end, in every mode */
	fk_pt_lock(pt);
	insert(t, n);
	fk_pt_unlock(pt);
	return n;
}

int fk_pt_backing_get(struct fk_pt *pt, fk_session *se, struct fk_pt_node *n,
		      int fd)
{
	fk_pt_lock(pt);
	int id = fk_backing_slot_get(se, &n->backing, fd, 0);
	fk_pt_unlock(pt);
	return id;
}

void fk_pt_backing_put(struct fk_pt *pt, fk_session *se, struct fk_pt_node *n)
{
	fk_pt_lock(pt);
	fk_backing_slot_put(se, &n->backing);
	fk_pt_unlock(pt);
}
