/*
 * fk_types.h — value types shared by the fusekit API: attributes, entries,
 * open results, locks, statfs, and the per-request caller context.
 *
 * All times are struct timespec with full nanoseconds; all counts are 64-bit.
 * Nothing in these types is rounded on its way to the kernel.
 */
#ifndef FUSEKIT_FK_TYPES_H
#define FUSEKIT_FK_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared here is the library's ABI; the rest is hidden
 * (-fvisibility=hidden, cmake/fusekit.map). */
#pragma GCC visibility push(default)

/** The node id of the mount's root directory. */
#define FK_ROOT_INO 1

/**
 * Attributes of a node, as getattr, lookup and readdirplus report them.
 *
 * rdev is the kernel's 32-bit device encoding; on Linux (glibc and musl) that
 * is simply (uint32_t)st_rdev. crtime (birth time) and flags (chflags(2)
 * bits) reach the kernel only where the protocol carries them: macFUSE's
 * attributes, and statx's btime on Linux. A zero crtime means "unknown".
 * stx_attributes and stx_attributes_mask are statx(2)'s (STATX_ATTR_*:
 * append, immutable, nodump, compressed...), sent in STATX replies.
 */
struct fk_attr {
	uint64_t ino;
	uint64_t size;
	uint64_t blocks; /* in 512-byte units */
	struct timespec atime;
	struct timespec mtime;
	struct timespec ctime;
	struct timespec crtime;
	uint32_t mode; /* file type and permission bits, as st_mode */
	uint32_t nlink;
	uint32_t uid;
	uint32_t gid;
	uint32_t rdev;
	uint32_t blksize;
	uint32_t flags; /* macOS chflags bits; ignored on Linux */
	uint64_t stx_attributes; /* STATX_ATTR_* set */
	uint64_t stx_attributes_mask; /* STATX_ATTR_* the filesystem knows */
};

/**
 * The answer to a lookup (and to mknod, mkdir, symlink, link, create): the
 * node id the kernel will use from now on, and how long it may cache the name
 * and the attributes. Each entry reply adds one to the node's lookup count,
 * which the kernel later takes back with forget.
 *
 * ino == 0 in a lookup reply is a "negative entry": the name does not exist,
 * and the kernel may cache that for entry_valid_ns.
 */
struct fk_entry {
	uint64_t ino;
	uint64_t generation;
	struct fk_attr attr;
	uint64_t entry_valid_ns;
	uint64_t attr_valid_ns;
};

/** Bits for fk_open_out.open_flags (the kernel's FOPEN_* values). */
#define FK_FOPEN_DIRECT_IO (1u << 0)
#define FK_FOPEN_KEEP_CACHE (1u << 1)
#define FK_FOPEN_NONSEEKABLE (1u << 2)
#define FK_FOPEN_CACHE_DIR (1u << 3)
#define FK_FOPEN_STREAM (1u << 4)
#define FK_FOPEN_NOFLUSH (1u << 5)
#define FK_FOPEN_PARALLEL_DIRECT_WRITES (1u << 6)
#define FK_FOPEN_PASSTHROUGH (1u << 7)

/**
 * The answer to open, opendir and create. fh is yours: it comes back in
 * every later request on this open file. To let the kernel do reads and
 * writes itself (Linux >= 6.9, capability FK_CAP_PASSTHROUGH), register the
 * backing file with fk_backing_open(), set FK_FOPEN_PASSTHROUGH and put the
 * id in backing_id.
 */
struct fk_open_out {
	uint64_t fh;
	uint32_t open_flags;
	int32_t backing_id;
};

/** A POSIX byte-range lock, as getlk/setlk carry it (type is F_RDLCK...). */
struct fk_lock {
	uint64_t start;
	uint64_t end; /* inclusive; UINT64_MAX (OFFSET_MAX) means "to EOF" */
	uint32_t type;
	uint32_t pid;
};

struct fk_statfs {
	uint64_t blocks;
	uint64_t bfree;
	uint64_t bavail;
	uint64_t files;
	uint64_t ffree;
	uint32_t bsize;
	uint32_t namelen;
	uint32_t frsize;
};

/**
 * Who made a request. uid/gid/pid come from the kernel's request header;
 * umask from create, mkdir, mknod and tmpfile (0 elsewhere). groups holds the
 * supplementary groups the kernel sent (FUSE_CREATE_SUPP_GROUP: the caller's
 * one group that matches the parent directory, on creating operations); the
 * pointer is valid until the request is answered.
 */
struct fk_ctx {
	uint32_t uid;
	uint32_t gid;
	uint32_t pid;
	uint32_t umask;
	uint32_t ngroups;
	const uint32_t *groups;
};

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* FUSEKIT_FK_TYPES_H */
