/*
 * node_table.c — the node table the filesystems share: two hash indexes
 * over the same intrusive nodes, by node id and by identity hash, under
 * one mutex, doubled when they hold twice as many nodes as buckets; the
 * reference counts and the rules by which a node leaves
 * (fk_node_table.h).
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <fusekit/fk_types.h>

#include "fk_node_table.h"

#define NT_INITIAL_BUCKETS 1024
/* Nodes per bucket before the buckets double: chains of one to two
 * nodes, and 8 to 16 bytes of the two bucket arrays per node (at one
 * per bucket, 16 to 32: a node cost up to 266 bytes right after a
 * doubling, past the 256 the design allows; docs/benchmarks.md, "Memory
 * per node, again"). */
#define NT_LOAD_MAX 2

/* This thread's view: the table whose lock it holds; nodes that left,
 * whose unlink callback is still to run (pending) or whose release waits
 * for the lock to go (gone); descriptors to close then (a full list
 * closes at once: slower, never wrong). */
#define NT_CLOSE_LATER_MAX 32
static _Thread_local struct {
	const struct fk_nt *held;
	struct fk_nt_node *pending, *gone;
	int draining;
	int fd[NT_CLOSE_LATER_MAX];
	unsigned nfd;
} me;

uint64_t fk_nt_hash(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ULL;
	h ^= (b + 0x632be59bd9b4e019ULL) * 0xc2b2ae3d27d4eb4fULL;
	h ^= c * 0x165667b19e3779f9ULL;
	h ^= d * 0x27d4eb2f165667c5ULL;
	return h ^ (h >> 29);
}

static size_t id_bucket(uint64_t id, size_t n)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 20) & (n - 1);
}

static size_t key_bucket(uint64_t hash, size_t n)
{
	return (size_t)(hash >> 17) & (n - 1);
}

int fk_nt_init(struct fk_nt *t, const struct fk_nt_ops *ops, void *fs)
{
	memset(t, 0, sizeof *t);
	t->ops = ops;
	t->fs = fs;
	t->nbuckets = NT_INITIAL_BUCKETS;
	t->by_id = calloc(t->nbuckets, sizeof *t->by_id);
	t->by_key = calloc(t->nbuckets, sizeof *t->by_key);
	int rc = t->by_id && t->by_key ? -pthread_mutex_init(&t->lock, NULL) : -ENOMEM;
	if (rc) {
		free(t->by_id);
		free(t->by_key);
		t->by_id = t->by_key = NULL;
	}
	t->next_id = FK_ROOT_INO + 1;
	t->stalled_at = UINT64_MAX; /* no wait has stalled */
	return rc;
}

void fk_nt_destroy(struct fk_nt *t)
{
	for (size_t i = 0; t->by_id && i < t->nbuckets; i++) {
		struct fk_nt_node *n = t->by_id[i];
		while (n) {
			struct fk_nt_node *next = n->next_id;
			t->ops->release(t->fs, n);
			n = next;
		}
	}
	free(t->by_id);
	free(t->by_key);
	t->by_id = t->by_key = NULL;
	pthread_mutex_destroy(&t->lock);
}

void fk_nt_lock(struct fk_nt *t)
{
	assert(me.held == NULL); /* one table, not recursively */
	pthread_mutex_lock(&t->lock);
	me.held = t;
}

void fk_nt_unlock(struct fk_nt *t)
{
	assert(me.held == t && !me.pending);
	me.held = NULL;
	struct fk_nt_node *gone = me.gone;
	me.gone = NULL;
	pthread_mutex_unlock(&t->lock);
	while (gone) {
		struct fk_nt_node *n = gone;
		gone = n->next_gone;
		t->ops->release(t->fs, n);
	}
	while (me.nfd)
		close(me.fd[--me.nfd]); /* failing: nothing to do about it */
}

void fk_nt_assert_locked(const struct fk_nt *t)
{
	assert(me.held == t);
	(void)t;
}

void fk_nt_close_later(int fd)
{
	assert(me.held != NULL);
	if (me.nfd < NT_CLOSE_LATER_MAX)
		me.fd[me.nfd++] = fd;
	else
		close(fd);
}

static void index_id(struct fk_nt *t, struct fk_nt_node *n)
{
	size_t i = id_bucket(n->nodeid, t->nbuckets);
	n->next_id = t->by_id[i];
	t->by_id[i] = n;
}

static void index_key(struct fk_nt *t, struct fk_nt_node *n)
{
	size_t i = key_bucket(n->hash, t->nbuckets);
	n->next_key = t->by_key[i];
	t->by_key[i] = n;
}

/* Double the buckets; on allocation failure keep the old ones (longer
 * chains, still correct). */
static void grow(struct fk_nt *t)
{
	size_t n2 = t->nbuckets * 2;
	struct fk_nt_node **id2 = calloc(n2, sizeof *id2);
	struct fk_nt_node **key2 = calloc(n2, sizeof *key2);
	if (!id2 || !key2) {
		free(id2);
		free(key2);
		return;
	}
	struct fk_nt_node **old = t->by_id;
	size_t oldn = t->nbuckets;
	free(t->by_key);
	t->by_id = id2;
	t->by_key = key2;
	t->nbuckets = n2;
	for (size_t i = 0; i < oldn; i++) {
		for (struct fk_nt_node *n = old[i], *next; n; n = next) {
			next = n->next_id;
			index_id(t, n);
			if (n->keyed)
				index_key(t, n);
		}
	}
	free(old);
}

void fk_nt_unkey_locked(struct fk_nt *t, struct fk_nt_node *n)
{
	fk_nt_assert_locked(t);
	if (!n->keyed)
		return;
	struct fk_nt_node **pp = &t->by_key[key_bucket(n->hash, t->nbuckets)];
	while (*pp != n)
		pp = &(*pp)->next_key;
	*pp = n->next_key;
	n->keyed = 0;
}

void fk_nt_rekey_locked(struct fk_nt *t, struct fk_nt_node *n, uint64_t hash)
{
	fk_nt_unkey_locked(t, n);
	n->hash = hash;
	n->keyed = 1;
	index_key(t, n);
}

static struct fk_nt_node *by_id(const struct fk_nt *t, uint64_t nodeid)
{
	struct fk_nt_node *n = t->by_id[id_bucket(nodeid, t->nbuckets)];
	while (n && n->nodeid != nodeid)
		n = n->next_id;
	return n;
}

/* Under the lock: n leaves if nothing references it; the unlink
 * callbacks run here, in a loop over the nodes they let go of. */
static void maybe_leave(struct fk_nt *t, struct fk_nt_node *n)
{
	if (n->nlookup || n->refs || n == t->root)
		return;
	struct fk_nt_node **pp = &t->by_id[id_bucket(n->nodeid, t->nbuckets)];
	while (*pp != n)
		pp = &(*pp)->next_id;
	*pp = n->next_id;
	fk_nt_unkey_locked(t, n);
	assert(t->count > 0);
	t->count--;
	t->left++;
	if (t->count < t->budget)
		t->prune_at = t->budget; /* the kernel let go: back to the budget */
	n->next_gone = me.pending;
	me.pending = n;
	if (me.draining)
		return; /* the loop below, further up this thread's stack */
	me.draining = 1;
	while (me.pending) {
		struct fk_nt_node *x = me.pending;
		me.pending = x->next_gone;
		t->ops->unlink(t->fs, x);
		x->next_gone = me.gone;
		me.gone = x;
	}
	me.draining = 0;
}

void fk_nt_ref_locked(struct fk_nt *t, struct fk_nt_node *n, enum fk_nt_ref kind)
{
	fk_nt_assert_locked(t);
	if (kind == FK_NT_KERNEL) {
		n->nlookup++;
		n->used = ++t->clock;
	} else
		n->refs++;
}

void fk_nt_unref_locked(struct fk_nt *t, struct fk_nt_node *n, enum fk_nt_ref kind)
{
	fk_nt_assert_locked(t);
	uint64_t *count = kind == FK_NT_KERNEL ? &n->nlookup : &n->refs;
	assert(*count > 0);
	if (*count == 0)
		return; /* never wrap around, whatever went wrong */
	--*count;
	maybe_leave(t, n);
}

struct fk_nt_node *fk_nt_get(struct fk_nt *t, uint64_t nodeid)
{
	fk_nt_lock(t);
	struct fk_nt_node *n = by_id(t, nodeid);
	if (n) {
		n->refs++;
		n->used = ++t->clock;
	}
	fk_nt_unlock(t);
	return n;
}

void fk_nt_put(struct fk_nt *t, struct fk_nt_node *n)
{
	if (!n)
		return;
	fk_nt_lock(t);
	fk_nt_unref_locked(t, n, FK_NT_OP);
	fk_nt_unlock(t);
}

void fk_nt_hold(struct fk_nt *t, struct fk_nt_node *n)
{
	fk_nt_lock(t);
	assert(n->refs > 0 || n->nlookup > 0 || n == t->root);
	n->refs++;
	fk_nt_unlock(t);
}

void fk_nt_forget(struct fk_nt *t, uint64_t nodeid, uint64_t count)
{
	fk_nt_lock(t);
	struct fk_nt_node *n = by_id(t, nodeid);
	if (n) {
		/* More forgets than lookups: our count is wrong, or the
		 * kernel's message is. Debug builds stop here. */
		assert(count <= n->nlookup);
		n->nlookup = count > n->nlookup ? 0 : n->nlookup - count;
		maybe_leave(t, n);
	}
	fk_nt_unlock(t);
}

void fk_nt_each_locked(struct fk_nt *t, void (*fn)(void *arg, struct fk_nt_node *n),
		       void *arg)
{
	fk_nt_assert_locked(t);
	for (size_t i = 0; i < t->nbuckets; i++)
		for (struct fk_nt_node *n = t->by_id[i]; n; n = n->next_id)
			fn(arg, n);
}

struct fk_nt_node *fk_nt_first_key(const struct fk_nt *t, uint64_t hash)
{
	fk_nt_assert_locked(t);
	struct fk_nt_node *n = t->by_key[key_bucket(hash, t->nbuckets)];
	while (n && n->hash != hash)
		n = n->next_key;
	return n;
}

struct fk_nt_node *fk_nt_next_key(const struct fk_nt_node *n, uint64_t hash)
{
	struct fk_nt_node *m = n->next_key;
	while (m && m->hash != hash)
		m = m->next_key;
	return m;
}

void fk_nt_insert_locked(struct fk_nt *t, struct fk_nt_node *n, uint64_t hash,
			 int keyed, enum fk_nt_ref kind, uint64_t want)
{
	fk_nt_assert_locked(t);
	if (want > FK_ROOT_INO && !by_id(t, want)) {
		n->nodeid = want;
	} else {
		/* Derived ids are scattered over 64 bits: one may sit on the
		 * count's way. */
		while (by_id(t, t->next_id))
			t->next_id++;
		n->nodeid = t->next_id++;
	}
	n->nlookup = kind == FK_NT_KERNEL;
	n->refs = kind == FK_NT_OP;
	n->hash = hash;
	n->keyed = keyed;
	n->used = ++t->clock;
	if (t->count >= NT_LOAD_MAX * t->nbuckets)
		grow(t);
	index_id(t, n);
	if (keyed)
		index_key(t, n);
	t->count++;
}

void fk_nt_insert_root(struct fk_nt *t, struct fk_nt_node *n, uint64_t hash)
{
	fk_nt_lock(t);
	assert(!t->root);
	n->nodeid = FK_ROOT_INO;
	n->hash = hash;
	n->keyed = 1;
	index_id(t, n);
	index_key(t, n);
	t->count++;
	t->root = n;
	fk_nt_unlock(t);
}

/* ---- Pruning ------------------------------------------------------------ */

/* Ids per notification: the kernel reads them 512 at a time. */
#define NT_PRUNE_BATCH 4096

void fk_nt_set_budget(struct fk_nt *t, size_t budget)
{
	fk_nt_lock(t);
	/* Ages are measured on a 32-bit clock. */
	t->budget = budget < UINT32_MAX / 2 ? budget : UINT32_MAX / 2;
	t->prune_at = t->budget;
	fk_nt_unlock(t);
}

size_t fk_nt_budget_of_nofile(unsigned per_node)
{
	struct rlimit rl;
	size_t budget = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		/* Half was the share once: at 10000 names and a limit of
		 * 20000 that pruned the kernel's entries on every pass of a
		 * stat loop (docs/benchmarks.md, "Node budget"). Small limits
		 * keep their half. */
		size_t limit = (size_t)rl.rlim_cur;
		size_t half = limit / 2 < 1024 ? limit / 2 : 1024;
		size_t reserve = limit / 8 > half ? limit / 8 : half;
		budget = (limit - reserve) / (per_node ? per_node : 1);
	}
	return budget ? budget : 1;
}

int fk_nt_over_budget(struct fk_nt *t)
{
	fk_nt_lock(t);
	int over = t->budget && t->count > t->budget;
	fk_nt_unlock(t);
	return over;
}

int fk_nt_prune(struct fk_nt *t, fk_session *se)
{
	fk_nt_lock(t);
	if (!t->budget || t->count <= t->prune_at) {
		fk_nt_unlock(t);
		return 0;
	}
	uint64_t *ids = malloc(t->count * sizeof *ids);
	size_t n = 0;
	/* Used in the last budget/2 ticks: at most budget/2 nodes, so at
	 * least count - budget/2 are asked for. (A node unused for 2^32
	 * ticks looks young again: it waits for the next round.) */
	uint32_t young = (uint32_t)(t->budget / 2);
	for (size_t i = 0; ids && i < t->nbuckets; i++)
		for (struct fk_nt_node *x = t->by_id[i]; x; x = x->next_id)
			if (x != t->root && x->nlookup && !x->refs &&
			    (uint32_t)(t->clock - x->used) > young)
				ids[n++] = x->nodeid;
	/* The kernel keeps what is in use, so the count may not fall: the
	 * next round waits for budget/4 more nodes, or every insert would
	 * scan the table again. */
	t->prune_at = t->count + t->budget / 4;
	fk_nt_unlock(t);
	int rc = ids ? 0 : -ENOMEM;
	for (size_t i = 0; rc == 0 && i < n; i += NT_PRUNE_BATCH)
		rc = fk_notify_prune(se, ids + i, n - i < NT_PRUNE_BATCH ? n - i : NT_PRUNE_BATCH);
	free(ids);
	if (rc == -ENOSYS)
		fk_nt_set_budget(t, 0); /* this kernel cannot: never again */
	return rc;
}

/* Admission waits in steps of a millisecond: FORGETs come in bursts, and
 * a wait is rare (the table a quarter over budget). It gives up after
 * NT_ADMIT_QUIET_STEPS without a node leaving, or NT_ADMIT_MAX_STEPS. */
#define NT_ADMIT_STEP_NS 1000000L
#define NT_ADMIT_QUIET_STEPS 50
#define NT_ADMIT_MAX_STEPS 1000

void fk_nt_admit(struct fk_nt *t, fk_session *se)
{
	/* Every lookup passes here: below the ceiling, one lock and out. */
	fk_nt_lock(t);
	int over = t->budget && t->count >= t->budget + t->budget / 4;
	fk_nt_unlock(t);
	if (!over)
		return;
	(void)fk_nt_prune(t, se); /* best effort; nothing unless past prune_at */
	if (!fk_session_concurrent(se))
		return; /* the FORGETs would wait for this very thread */
	fk_nt_lock(t);
	uint64_t left = t->left;
	unsigned quiet = 0;
	for (unsigned step = 0; t->budget && t->count >= t->budget + t->budget / 4 &&
				 t->left != t->stalled_at && step < NT_ADMIT_MAX_STEPS;
	     step++) {
		if (t->left != left) {
			left = t->left;
			quiet = 0;
		} else if (++quiet > NT_ADMIT_QUIET_STEPS) {
			/* The kernel keeps these: wait again once one leaves. */
			t->stalled_at = left;
			break;
		}
		fk_nt_unlock(t);
		const struct timespec step_ts = { 0, NT_ADMIT_STEP_NS };
		(void)nanosleep(&step_ts, NULL); /* a signal: look again sooner */
		fk_nt_lock(t);
	}
	fk_nt_unlock(t);
}
