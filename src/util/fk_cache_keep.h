/*
 * fk_cache_keep.h — cache=auto's rule for keeping a file's page cache
 * across opens, as libfuse's auto_cache: an open keeps what the kernel
 * cached of the node (FOPEN_KEEP_CACHE) when the file's mtime, ctime and
 * size are what they were at the node's previous open; otherwise the
 * kernel drops it. So a file read again and again, through the daemon,
 * is read from the kernel's cache after the first time (a rootless
 * container's binaries and libraries), and a file changed on the host
 * between two opens is read anew (close-to-open), where before every
 * open dropped the cache. Between opens, FUSE_AUTO_INVAL_DATA has the
 * kernel drop it when the attributes it refreshes show a change.
 */
#ifndef FK_CACHE_KEEP_H
#define FK_CACHE_KEEP_H

#include <stdint.h>
#include <time.h>

#include "fk_mix.h"
#include <fusekit/fk_ops.h>
#include <fusekit/fk_opt.h>

/** The version of a file's contents as its attributes tell it; never 0
 *  (0: no open seen yet). */
static inline uint64_t fk_cache_version(const struct timespec *mtime,
					const struct timespec *ctime,
					uint64_t size)
{
	uint64_t v = fk_mix64((uint64_t)mtime->tv_sec ^
			      fk_mix64((uint64_t)mtime->tv_nsec ^
				       fk_mix64((uint64_t)ctime->tv_sec ^
						fk_mix64((uint64_t)ctime->tv_nsec ^
							 fk_mix64(size)))));
	return v ? v : 1;
}

/** The open flag cache mode c gives a file whose contents are now at
 *  version v, the node's last seen at *seen (set to v; read and written
 *  atomically, as opens of one node race): FK_FOPEN_KEEP_CACHE when c is
 *  auto and the version is unchanged, else 0. */
static inline uint32_t fk_cache_keep(enum fk_cache c, uint64_t *seen, uint64_t v)
{
	if (c != FK_CACHE_AUTO)
		return 0;
	uint64_t was = __atomic_exchange_n(seen, v, __ATOMIC_RELAXED);
	return was == v ? FK_FOPEN_KEEP_CACHE : 0;
}

#endif /* FK_CACHE_KEEP_H */
