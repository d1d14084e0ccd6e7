/*
 * pt_node.c — the passthrough's nodes in the shared node table
 * (../node/fk_node_table.h), keyed by host identity (dev, ino, mount id)
 * so that hard links and repeated lookups meet the same node; a node
 * whose inode number the host reused for a new file (another birth time)
 * leaves the key index. A new node's id is its host handle where that
 * fits (pt_export.c), else the table's next.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pt.h"

/* Memory per node the kernel knows is a target (docs/benchmarks.md: at
 * most 256 bytes in fd mode, with malloc's chunk and the table's
 * buckets): past 216 bytes the node takes a 240-byte chunk, not 224.
 * A field that grows it is a choice to make knowingly. */
#if defined(__linux__) && defined(__LP64__)
_Static_assert(sizeof(struct fk_pt_node) <= 216,
	       "struct fk_pt_node outgrew its 224-byte malloc chunk");
#endif

#define NODE(tn) ((struct fk_pt_node *)(tn))

static uint64_t key_hash(uint64_t dev, uint64_t ino, uint64_t mnt)
{
	return fk_nt_hash(ino, dev, mnt, 0);
}

/* The table's callbacks. Under its lock, a node that left lets go of its
 * parent, its aliases' parents and its place in the descriptor cache
 * (its descriptor is closed when the lock goes); then it is freed. At
 * the end (fk_nt_destroy) every node is released without unlink: no
 * references to drop, and the descriptor is still open. */
static void node_unlink(void *fs, struct fk_nt_node *tn)
{
	struct fk_pt *pt = fs;
	struct fk_pt_node *n = NODE(tn);
	struct fk_pt_node *parent = n->parent;
	n->parent = NULL;
	fk_pt_hold_detach(pt, n);
	if (parent)
		fk_pt_unref(pt, parent);
}

static void node_release(void *fs, struct fk_nt_node *tn)
{
	(void)fs;
	struct fk_pt_node *n = NODE(tn);
	if (n->cfd.fd >= 0)
		close(n->cfd.fd); /* failing: nothing to do about it */
	fk_pt_hold_discard(n);
	free(n);
}

static const struct fk_nt_ops pt_nt_ops = { node_unlink, node_release };

int fk_pt_table_init(struct fk_pt *pt)
{
	return fk_nt_init(&pt->nodes, &pt_nt_ops, pt);
}

void fk_pt_table_destroy(struct fk_pt *pt)
{
	fk_nt_destroy(&pt->nodes);
}

void fk_pt_node_put(struct fk_pt *pt, struct fk_pt_node *n)
{
	fk_nt_put(&pt->nodes, n ? &n->tn : NULL);
}

void fk_pt_node_renamed(struct fk_pt *pt, const struct fk_plat_stat *moved,
			const struct fk_plat_stat *victim,
			struct fk_pt_node *newparent, const char *newname,
			struct fk_pt_node *oldparent, const char *oldname,
			unsigned flags)
{
	if (!pt->names_kept)
		return;
	fk_pt_lock(pt);
	struct fk_pt_node *m = moved ? fk_pt_node_find(pt, moved) : NULL;
	struct fk_pt_node *v = victim ? fk_pt_node_find(pt, victim) : NULL;
	if (m && newparent)
		fk_pt_hold_moved(pt, m, oldparent, oldname, newparent, newname);
	if (v && (flags & FK_RENAME_EXCHANGE))
		fk_pt_hold_moved(pt, v, newparent, newname, oldparent, oldname);
	fk_pt_unlock(pt);
}

struct fk_pt_node *fk_pt_node_find(struct fk_pt *pt, const struct fk_plat_stat *st)
{
	fk_nt_assert_locked(&pt->nodes);
	uint64_t h = key_hash(st->dev, st->ino, st->mnt_id);
	struct fk_nt_node *t = fk_nt_first_key(&pt->nodes, h);
	for (; t; t = fk_nt_next_key(t, h)) {
		const struct fk_pt_node *n = NODE(t);
		if (n->ino == st->ino && n->dev == st->dev && n->mnt_id == st->mnt_id)
			break;
	}
	if (!t)
		return NULL;
	/* Another birth time: a deleted file whose inode number the host
	 * reused. It leaves the index (the kernel may still hold its id). */
	int64_t bsec = st->has_btime ? st->btime.tv_sec : 0;
	uint32_t bnsec = st->has_btime ? (uint32_t)st->btime.tv_nsec : 0;
	if (NODE(t)->btime_sec != bsec || NODE(t)->btime_nsec != bnsec) {
		fk_nt_unkey_locked(&pt->nodes, t);
		return NULL;
	}
	return NODE(t);
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
	return n;
}

struct fk_pt_node *fk_pt_node_lookup(struct fk_pt *pt, int fd,
				     const struct fk_plat_stat *st,
				     struct fk_pt_node *parent, int parent_fd,
				     const char *name, enum fk_nt_ref ref)
{
	/* Outside the lock: a system call, needed only for a new node (which
	 * most lookups of a handle-mode mount are not; the cost is small). */
	struct fk_plat_handle *handle = fk_pt_hold_handle(pt, fd, st);
	/* Its id from its host handle (pt_export.c): a system call more,
	 * only for an inode the table does not know, and outside the lock. */
	uint64_t want = 0;
	int want_known = !pt->export.on;
	fk_pt_lock(pt);
	struct fk_pt_node *n;
	while (!(n = fk_pt_node_find(pt, st)) && !want_known) {
		fk_pt_unlock(pt);
		/* Reached by name (lazy mode's files): by name, the handle. */
		want = fd >= 0 ? fk_pt_export_id(pt, fd, NULL, st, handle)
			       : fk_pt_export_id(pt, parent_fd, name, st, NULL);
		want_known = 1;
		fk_pt_lock(pt);
	}
	if (n) {
		fk_nt_ref_locked(&pt->nodes, &n->tn, ref);
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
	fk_nt_insert_locked(&pt->nodes, &n->tn, key_hash(n->dev, n->ino, n->mnt_id),
			    1, ref, want);
	n->stable_id = want && n->tn.nodeid == want;
	fk_pt_unlock(pt);
	return n;
}

void fk_pt_node_forget(struct fk_pt *pt, uint64_t nodeid, uint64_t count)
{
	fk_nt_forget(&pt->nodes, nodeid, count);
}

struct fk_pt_node *fk_pt_node_root(struct fk_pt *pt, int fd,
				   const struct fk_plat_stat *st)
{
	struct fk_pt_node *n = new_node(st);
	if (!n)
		return NULL;
	n->type = S_IFDIR;
	n->cfd.fd = fd; /* never closed before the end, in every mode */
	fk_nt_insert_root(&pt->nodes, &n->tn, key_hash(n->dev, n->ino, n->mnt_id));
	return n;
}

int fk_pt_backing_open(struct fk_pt *pt, fk_session *se, struct fk_pt_node *n,
		       int fd, int want, int writes, enum fk_backing_kind *kind,
		       int *joined, int *err)
{
	fk_pt_lock(pt);
	/* One file per node: owner 0 for all. */
	int id = fk_backing_slot_open(se, &n->backing, fd, 0, want, writes,
				      kind, joined, err);
	fk_pt_unlock(pt);
	return id;
}

void fk_pt_backing_close(struct fk_pt *pt, fk_session *se, struct fk_pt_node *n,
			 enum fk_backing_kind kind, int writes)
{
	fk_pt_lock(pt);
	fk_backing_slot_close(se, &n->backing, kind, writes);
	fk_pt_unlock(pt);
}

uint64_t fk_pt_attr_ns(struct fk_pt *pt, struct fk_pt_node *n)
{
	return n && fk_backing_slot_writing(&n->backing) ? 0 : pt->attr_ns;
}
