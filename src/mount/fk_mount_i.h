/*
 * fk_mount_i.h — the mount module's calls for the session (internal).
 */
#ifndef FK_MOUNT_I_H
#define FK_MOUNT_I_H

#include <stddef.h>

#include <fusekit/fk_mount.h>

/**
 * Mount and return the device fd, or -errno with a sentence in err.
 * *commfd receives the socket that keeps fusermount3 waiting (auto_unmount:
 * closing it, or dying, unmounts), or -1.
 */
int fk_mount_fd(const char *mountpoint, const struct fk_mount_opts *mo,
		int *commfd, char *err, size_t errlen);

/** How long to wait for INIT after mounting: -1 forever (Linux sends it at
 *  once), a timeout where the mount helper might never connect. */
int fk_mount_init_timeout_ms(void);

/** Run a helper program and wait for it: returns its exit status (0..255),
 *  or -errno if it could not run. extra_env may be NULL. */
int fk_mount_run_helper(const char *const argv[], const char *extra_env,
			char *err, size_t errlen);

#endif /* FK_MOUNT_I_H */
