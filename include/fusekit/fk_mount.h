/*
 * fk_mount.h — getting a FUSE device fd for a mountpoint, and giving it back.
 *
 * Linux: as root, mount(2) with "fd=N"; otherwise fusermount3, which passes
 * the fd back over a socket (_FUSE_COMMFD, SCM_RIGHTS). auto_unmount always
 * goes through fusermount3, the process that unmounts when we die.
 * macOS: mount_macfuse from macFUSE, over a socketpair.
 */
#ifndef FUSEKIT_FK_MOUNT_H
#define FUSEKIT_FK_MOUNT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared here is the library's ABI; the rest is hidden
 * (-fvisibility=hidden, cmake/fusekit.map). */
#pragma GCC visibility push(default)

/** Bits of fk_mount_opts.flags (the generic mount flags). */
#define FK_MNT_RDONLY (1u << 0)
#define FK_MNT_NOSUID (1u << 1)
#define FK_MNT_NODEV (1u << 2)
#define FK_MNT_NOEXEC (1u << 3)
#define FK_MNT_NOATIME (1u << 4)
#define FK_MNT_NODIRATIME (1u << 5)
#define FK_MNT_DIRSYNC (1u << 6)
#define FK_MNT_SYNCHRONOUS (1u << 7)

struct fk_mount_opts {
	uint32_t flags; /* FK_MNT_* */
	int allow_other;
	int allow_root;
	int default_permissions;
	int auto_unmount;
	int nonempty; /* allow mounting over a non-empty directory */
	char *fsname; /* NULL: "fusekit" */
	char *subtype; /* NULL: none; the type shows as fuse.SUBTYPE */
	uint32_t rootmode; /* 0: S_IFDIR */
	uint32_t max_read; /* 0: unset */
	uint32_t blksize; /* 0: unset (fuseblk only) */
};

/** Defaults: nosuid,nodev as fusermount3 would apply for a user. */
void fk_mount_opts_init(struct fk_mount_opts *mo);
/** Free the strings the option parser allocated. */
void fk_mount_opts_free(struct fk_mount_opts *mo);

/**
 * Check that mountpoint can be mounted on: it exists, is a directory, and
 * (unless nonempty) is not already a FUSE mount or a non-empty directory.
 * On failure writes a sentence into err (which names the mountpoint).
 */
int fk_mount_check(const char *mountpoint, const struct fk_mount_opts *mo,
		   char *err, size_t errlen);

/** Mount and return the device fd (>= 0) or -errno; err gets the reason. */
int fk_mount(const char *mountpoint, const struct fk_mount_opts *mo,
	     char *err, size_t errlen);

/**
 * Unmount mountpoint. Works for our own mounts, for a user's fusermount3
 * mount, and for a mount whose daemon has died. lazy: detach even if busy.
 */
int fk_unmount(const char *mountpoint, int lazy, char *err, size_t errlen);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* FUSEKIT_FK_MOUNT_H */
