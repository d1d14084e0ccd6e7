/*
 * fk_mount_i.h — the mount module's calls for the session (internal).
 */
#ifndef FK_MOUNT_I_H
#define FK_MOUNT_I_H

#include <stddef.h>
#include <sys/types.h>

#include <fusekit/fk_mount.h>

/**
 * Mount and return the device fd, or -errno with a sentence in err.
 * *commfd receives the socket that keeps fusermount3 waiting (auto_unmount:
 * closing it, or dying, unmounts), or -1.
 */
int fk_mount_fd(const char *mountpoint, const struct fk_mount_opts *mo,
		int *commfd, char *err, size_t errlen);

/** Does the mount helper report how the mount ended on commfd, once
 *  INIT is answered (macFUSE's mount_macfuse: 1; Linux: 0)? */
int fk_mount_reports_status(void);
/** Read that report from commfd (which it leaves open): 0 if the mount
 *  succeeded, else -errno with a sentence in err. */
int fk_mount_read_status(int commfd, char *err, size_t errlen);

/** How long to wait for INIT after mounting: -1 forever (Linux sends it at
 *  once), a timeout where the mount helper might never connect. */
int fk_mount_init_timeout_ms(void);

/** Run a helper program and wait for it: returns its exit status (0..255),
 *  or -errno if it could not run. extra_env may be NULL. */
int fk_mount_run_helper(const char *const argv[], const char *extra_env,
			char *err, size_t errlen);

/** Receive one fd sent with SCM_RIGHTS over sock (the helpers' way of
 *  handing over the device). Returns it (close-on-exec) or -errno. */
int fk_mount_receive_fd(int sock);

/**
 * Start argv (found on PATH) with _FUSE_COMMFD naming its end of a new
 * socketpair, and the NAME=VALUE strings of env (NULL-terminated, or NULL).
 * Returns our end of the pair; *pid is the child to wait for (with detach,
 * a child that exits at once, leaving the helper to init).
 */
int fk_mount_spawn_helper(const char *const argv[], const char *const *env,
			  int detach, pid_t *pid, char *err, size_t errlen);

/** mount_macfuse's command line (macfuse_args.c says what becomes what,
 *  and why). */
#define FK_MACFUSE_MAX_OPTS 16
struct fk_macfuse_argv {
	char store[FK_MACFUSE_MAX_OPTS][256];
	unsigned nopt;
	const char *argv[2 * FK_MACFUSE_MAX_OPTS + 3];
	int argc;
};
/** program, then "-o OPTION" for each option of mo, then mnt; argv ends
 *  with NULL. 0, or -errno with a sentence in err. */
int fk_macfuse_argv(const char *program, const char *mnt,
		    const struct fk_mount_opts *mo, struct fk_macfuse_argv *a,
		    char *err, size_t errlen);

#endif /* FK_MOUNT_I_H */
