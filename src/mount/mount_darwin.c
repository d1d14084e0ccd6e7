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
#define FK_MAX_ARGS 64

int fk_mount_init_timeout_ms(void)
{
	return 10000; /* mount_macfuse may fail without ever connecting */
}

static const struct {
	uint32_t bit;
	const char *opt;
} flag_opts[] = {
	{ FK_MNT_RDONLY, "rdonly" },
	{ FK_MNT_NOSUID, "nosuid" },
	{ FK_MNT_NODEV, "nodev" },
	{ FK_MNT_NOEXEC, "noexec" },
	{ FK_MNT_NOATIME, "noatime" },
	{ FK_MNT_SYNCHRONOUS, "sync" },
};

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

	/* argv: mount_macfuse -o OPT -o OPT ... MOUNTPOINT */
	char opt_store[FK_MAX_ARGS][128];
	const char *argv[2 * FK_MAX_ARGS + 3];
	int argc = 0, nopt = 0;
	argv[argc++] = MOUNT_MACFUSE;
#define ADD_OPT(...)                                                         \
	do {                                                                 \
		snprintf(opt_store[nopt], sizeof opt_store[nopt], __VA_ARGS__); \
		argv[argc++] = "-o";                                         \
		argv[argc++] = opt_store[nopt++];                            \
	} while (0)
	for (size_t i = 0; i < sizeof flag_opts / sizeof flag_opts[0]; i++)
		if (mo->flags & flag_opts[i].bit)
			ADD_OPT("%s", flag_opts[i].opt);
	if (mo->allow_other)
		ADD_OPT("allow_other");
	if (mo->allow_root)
		ADD_OPT("allow_root");
	if (mo->default_permissions)
		ADD_OPT("default_permissions");
	if (mo->fsname)
		ADD_OPT("fsname=%s", mo->fsname);
	if (mo->subtype)
		ADD_OPT("fstypename=%s", mo->subtype);
	if (mo->max_read)
		ADD_OPT("iosize=%u", mo->max_read);
#undef ADD_OPT
	argv[argc++] = mnt;
	argv[argc] = NULL;

	static const char *const env[] = { "_FUSE_CALL_BY_LIB=1",
					   "_FUSE_COMMVERS=2", NULL };
	pid_t pid;
	int sock = fk_mount_spawn_helper(argv, env, 1, &pid, err, errlen);
	if (sock < 0)
		return sock;
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	int fd = fk_mount_receive_fd(sock);
	close(sock);
	if (fd < 0) {
		snprintf(err, errlen, "mounting %s: mount_macfuse did not hand over "
				      "a device (see its message above)", mnt);
		return fd;
	}
	return fd;
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
