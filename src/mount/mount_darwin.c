/*
 * mount_darwin.c — mounting through macFUSE's mount_macfuse.
 *
 * We make a socketpair and run mount_macfuse with _FUSE_COMMFD (its end of
 * the pair), _FUSE_CALL_BY_LIB=1 and _FUSE_COMMVERS=2 in the environment,
 * every option as its own "-o OPTION" argument, and the mountpoint last.
 * It opens the macFUSE device, sends the fd back with SCM_RIGHTS, and
 * finishes mounting once we answer INIT, which is why the session waits for
 * INIT with a timeout rather than forever. Unmounting is unmount(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/param.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fk_mount_i.h"

#define MOUNT_MACFUSE "/Library/Filesystems/macfuse.fs/Contents/Resources/mount_macfuse"

int fk_mount_init_timeout_ms(void)
{
	return 10000; /* mount_macfuse may fail without ever connecting */
}

int fk_mount_fd(const char *mnt, const struct fk_mount_opts *mo, int *commfd,
		char *err, size_t errlen)
{
	*commfd = -1;
	int rc = fk_mount_check(mnt, mo, err, errlen);
	if (rc < 0)
		return rc;
	if (mo->auto_unmount) {
		snprintf(err, errlen, "auto_unmount is not available with macFUSE "
				      "in this version of fusekit");
		return -EOPNOTSUPP;
	}

	struct fk_macfuse_argv args;
	rc = fk_macfuse_argv(MOUNT_MACFUSE, mnt, mo, &args, err, errlen);
	if (rc < 0)
		return rc;

	static const char *const env[] = { "_FUSE_CALL_BY_LIB=1",
					   "_FUSE_COMMVERS=2", NULL };
	pid_t pid;
	int sock = fk_mount_spawn_helper(args.argv, env, 1, &pid, err, errlen);
	if (sock < 0)
		return sock;
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	int fd = fk_mount_receive_fd(sock);
	if (fd < 0) {
		close(sock);
		snprintf(err, errlen, "mounting %s: mount_macfuse did not hand over "
				      "a device (see its message above)", mnt);
		return fd;
	}
	/* mount_macfuse finishes mounting once INIT is answered and then
	 * sends an int32 status here, as macFUSE's library reads it
	 * (lib/mount_darwin.c, fuse_mount_core_wait): the session keeps the
	 * socket and reads it (fk_mount_read_status). */
	*commfd = sock;
	return fd;
}

int fk_mount_reports_status(void)
{
	return 1;
}

int fk_mount_read_status(int commfd, char *err, size_t errlen)
{
	int32_t status = -1;
	ssize_t n;
	while ((n = recv(commfd, &status, sizeof status, 0)) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof status) {
		/* The library takes this for a failure of unknown cause. */
		snprintf(err, errlen, "mount_macfuse exited without a mount status");
		return -EIO;
	}
	if (status != 0) {
		snprintf(err, errlen, "mount_macfuse reports the mount failed "
				      "(status %d)", (int)status);
		return -EIO;
	}
	return 0;
}

int fk_unmount(const char *mnt, int lazy, char *err, size_t errlen)
{
	if (unmount(mnt, lazy ? MNT_FORCE : 0) == 0)
		return 0;
	int e = errno;
	if (e == EINVAL)
		snprintf(err, errlen, "%s is not a mount point", mnt);
	else if (e == EBUSY)
		snprintf(err, errlen, "%s is busy (use -l to force it)", mnt);
	else
		snprintf(err, errlen, "unmounting %s: %s", mnt, strerror(e));
	return -e;
}
