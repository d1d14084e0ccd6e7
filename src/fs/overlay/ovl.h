/*
 * ovl.h — the overlay filesystem's private structures (fk_ovl_*).
 *
 *   ovl_node.c  the node table: FUSE node id <-> merged node
 *   ovl_ops.c   lookup through the layers, attributes, reads, merged
 *               directory listings, xattrs; the ops table
 *
 * A merged node is a stack of layer nodes, topmost first: one for a file
 * (what is below it is hidden), one per layer that has the directory
 * down to the first opaque one for a directory. The topmost layer node
 * names the merged node: the table finds nodes by its (layer, dev, ino),
 * so hard links and repeated lookups meet the same node.
 *
 * Lifetime: as in passthrough, a node lives while the kernel holds
 * lookup references (nlookup) or an operation uses it (refs); the root
 * never goes. Its layer handles are put when it is freed.
 */
#ifndef FK_OVL_H
#define FK_OVL_H

#include <pthread.h>
#include <stdint.h>

#include <fusekit/fk_overlay.h>
#include <fusekit/fk_session.h>

struct fk_ovl_layer_ref {
	unsigned layer; /* index into fk_ovl.layers */
	struct fk_layer_node *h; /* one reference, held by the node */
};

struct fk_ovl_node {
	uint64_t nodeid;
	uint64_t parent_ino; /* shown inode number of the directory found in */
	uint32_t type; /* S_IFMT bits */
	unsigned depth; /* entries in stack */
	struct fk_ovl_layer_ref *stack; /* topmost first */
	uint64_t key_dev, key_ino; /* of stack[0] */
	uint64_t nlookup, refs; /* under the table lock */
	struct fk_ovl_node *next_id, *next_key;
};

struct fk_ovl {
	struct fk_ovl_options o;
	uint64_t entry_ns, attr_ns;
	struct fk_layer **layers;
	unsigned nlayers;
	int same_dev; /* every layer on one device: inode numbers as they are */
	pthread_mutex_t lock;
	struct fk_ovl_node **by_id, **by_key;
	size_t nbuckets, count;
	uint64_t next_id;
	struct fk_ovl_node *root;
};

/* ---- ovl_node.c ---- */
int fk_ovl_table_init(struct fk_ovl *ovl);
void fk_ovl_table_destroy(struct fk_ovl *ovl);
/** The node with this id, with an operation reference; NULL if unknown. */
struct fk_ovl_node *fk_ovl_node_get(struct fk_ovl *ovl, uint64_t nodeid);
void fk_ovl_node_put(struct fk_ovl *ovl, struct fk_ovl_node *n);
/**
 * The node for a stack found by a lookup (stack and its references are
 * taken over: freed if an equal node exists). Adds a kernel reference.
 * NULL on allocation failure (the stack is released).
 */
struct fk_ovl_node *fk_ovl_node_enter(struct fk_ovl *ovl, uint32_t type,
				      struct fk_ovl_layer_ref *stack,
				      unsigned depth, uint64_t dev, uint64_t ino,
				      uint64_t parent_ino);
/** Make the root from its stack (id FK_ROOT_INO). */
struct fk_ovl_node *fk_ovl_node_root(struct fk_ovl *ovl,
				     struct fk_ovl_layer_ref *stack,
				     unsigned depth, uint64_t dev, uint64_t ino);
void fk_ovl_node_forget(struct fk_ovl *ovl, uint64_t nodeid, uint64_t count);
/** Put every handle of a stack and free it. */
void fk_ovl_stack_free(struct fk_ovl *ovl, struct fk_ovl_layer_ref *stack,
		       unsigned depth);

#endif /* FK_OVL_H */
