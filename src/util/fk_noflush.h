/*
 * fk_noflush.h — FOPEN_NOFLUSH where a FLUSH could do nothing: the
 * kernel then skips the round trip that every close(2) of a FUSE file
 * otherwise makes before it returns (a sixth of a create's time through
 * the passthrough).
 *
 * A FLUSH's work here is close(dup(fd)) on the host file: what a close
 * does there (NFS writes back and reports errors; a FUSE host gets a
 * FLUSH of its own), and, with POSIX locks handed to us
 * (FK_CAP_POSIX_LOCKS), releasing the owner's locks. That is nothing
 * when no such locks are ours and either the file was opened read-only
 * (nothing to write back) or its filesystem has no flush of its own
 * (fk_plat_close_is_silent: ext2/3/4, XFS, Btrfs, tmpfs). With the
 * writeback cache the kernel ignores the flag: its FLUSH writes pages.
 */
#ifndef FK_NOFLUSH_H
#define FK_NOFLUSH_H

#include <fcntl.h>
#include <stdint.h>

#include "../platform/fk_platform.h"
#include <fusekit/fk_ops.h>
#include <fusekit/fk_types.h>

/** FK_FOPEN_NOFLUSH or 0, for an open answered over conn c with host
 *  file fd opened with flags fl. */
static inline uint32_t fk_noflush(const struct fk_conn *c, int fd, int fl)
{
	/* The flag came with 7.35; macFUSE has no such bit. */
	if (c->dialect != FK_DIALECT_LINUX || c->proto_minor < 35 ||
	    (c->want & FK_CAP_POSIX_LOCKS))
		return 0;
	if ((fl & O_ACCMODE) == O_RDONLY || fk_plat_close_is_silent(fd))
		return FK_FOPEN_NOFLUSH;
	return 0;
}

#endif /* FK_NOFLUSH_H */
