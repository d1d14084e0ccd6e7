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
 * And the kernel will not mix: while an inode has passthrough opens,
 * every open of it must be a passthrough one on the same backing file,
 * and while it has others, none may be (either mistake fails the open
 * with EIO, fs/fuse/iomode.c). fk_backing_slot_open decides each open
 * by that rule and counts both kinds.
 *
 * A slot has no lock of its own: the caller holds its own lock around
 * the calls.
 */
#ifndef FK_BACKING_SLOT_H
#define FK_BACKING_SLOT_H

#include <stdint.h>

#include <fusekit/fk_session.h>

struct fk_backing_slot {
	int id; /* 0: none */
	uint32_t users; /* passthrough opens on id */
	uint32_t cached; /* opens through the daemon */
	uint32_t writers; /* of users, those open for writing; never more
			   * than users. Changed under the caller's lock
			   * but read without it: fk_backing_slot_writing */
	uint64_t owner;
};

/** How fk_backing_slot_open answered an open (kept by the open file, for
 *  fk_backing_slot_close). */
enum fk_backing_kind {
	FK_BACKING_UNCOUNTED, /* the slot was not asked */
	FK_BACKING_PASSTHROUGH,
	FK_BACKING_CACHED,
};

/**
 * Decide an open of the inode whose descriptor is fd (a file of owner):
 * want is 0 when it should not be passthrough (it must see every write,
 * or its file may not stay the inode's). Returns the backing id (> 0:
 * a passthrough open, with *kind FK_BACKING_PASSTHROUGH), 0 (through the
 * daemon, FK_BACKING_CACHED), or -errno: -EBUSY when the inode has
 * passthrough opens on another owner's file, which this open may not
 * join (*kind FK_BACKING_UNCOUNTED). An open of an inode with passthrough
 * opens joins them even when !want: *joined is set then. When
 * registering fd fails, the open goes through the daemon and *err is the
 * reason (-EPERM: not allowed here). writes: the open is for writing
 * (a passthrough one is counted in writers).
 */
int fk_backing_slot_open(fk_session *se, struct fk_backing_slot *s, int fd,
			 uint64_t owner, int want, int writes,
			 enum fk_backing_kind *kind, int *joined, int *err);
/** The open answered as kind, for writing or not, has closed. */
void fk_backing_slot_close(fk_session *se, struct fk_backing_slot *s,
			   enum fk_backing_kind kind, int writes);

/** Whether the inode has a passthrough open for writing, whose writes
 *  through a shared mapping change the backing file unseen (so its
 *  attributes must not be cached; docs/posix.md). Read without the lock,
 *  on every attribute reply: a moment stale at worst, as a locked read
 *  would be once the lock is let go. */
static inline int fk_backing_slot_writing(const struct fk_backing_slot *s)
{
	return __atomic_load_n(&s->writers, __ATOMIC_RELAXED) != 0;
}


/** Make o a passthrough open on backing id. The page cache is the
 *  backing file's then, and the kernel fails every read of an open that
 *  also asks to keep the FUSE cache (EIO): that flag goes. */
static inline void fk_backing_grant(struct fk_open_out *o, int id)
{
	o->open_flags &= ~FK_FOPEN_KEEP_CACHE;
	o->open_flags |= FK_FOPEN_PASSTHROUGH;
	o->backing_id = id;
}

/** A passthrough open for writing of node nodeid is granted: the kernel
 *  is not to keep its attributes from now on (stores through a shared
 *  mapping change the backing file's times unseen; docs/posix.md), and
 *  drops what it holds. Before the reply to an open (the kernel checked
 *  permission before asking); after the reply to a create, whose open
 *  checks permission on the new file once answered: a create's entry
 *  keeps its timeout, so that the check needs no GETATTR. Best effort. */
static inline void fk_backing_uncache(fk_session *se, uint64_t nodeid)
{
	(void)fk_notify_inval_inode(se, nodeid, -1, 0);
}

#endif /* FK_BACKING_SLOT_H */
