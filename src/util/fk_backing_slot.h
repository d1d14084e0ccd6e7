/*
 * fk_backing_slot.h — sharing one kernel-passthrough backing id among the
 * opens of one inode.
 *
 * The kernel attaches at most one backing file to a FUSE inode at a time:
 * every passthrough open of it must name the same backing id. A slot
 * holds that id and counts its users; the last one closes it. owner says
 * which file the id is for (a filesystem whose inode can change its
 * backing file, as the overlay's does at copy-up, gives each file its own
 * owner); an open of another file must wait until the slot is free.
 *
 * A slot has no lock of its own: the caller holds its own lock around
 * both calls.
 */
#ifndef FK_BACKING_SLOT_H
#define FK_BACKING_SLOT_H

#include <stdint.h>

#include <fusekit/fk_session.h>

struct fk_backing_slot {
	int id; /* 0: none */
	uint32_t users;
	uint64_t owner;
};

/** The slot's id for the file owner (registering fd as the backing file
 *  when the slot is free), with one more user: > 0. -EBUSY when the slot
 *  holds another owner's file; fk_backing_open's -errno otherwise. */
int fk_backing_slot_get(fk_session *se, struct fk_backing_slot *s, int fd,
			uint64_t owner);
/** One user fewer; the last closes the id. */
void fk_backing_slot_put(fk_session *se, struct fk_backing_slot *s);

/** Make o a passthrough open on backing id. The page cache is the
 *  backing file's then, and the kernel fails every read of an open that
 *  also asks to keep the FUSE cache (EIO): that flag goes. */
static inline void fk_backing_grant(struct fk_open_out *o, int id)
{
	o->open_flags &= ~FK_FOPEN_KEEP_CACHE;
	o->open_flags |= FK_FOPEN_PASSTHROUGH;
	o->backing_id = id;
}

#endif /* FK_BACKING_SLOT_H */
