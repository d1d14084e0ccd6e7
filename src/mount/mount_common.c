/*
 * mount_common.c — the portable part of mounting: option defaults, the
 * mountpoint check, and running a helper program (fusermount3,
 * mount_macfuse).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../platform/fk_platform.h"
#include "fk_mount_i.h"

void fk_mount_opts_init(struct fk_mount_opts *mo)
{
	memset(mo, 0, sizeof *mo);
	mo->flags = FK_MNT_NOSUID | FK_MNT_NODEV;
}

void fk_mount_opts_free(struct fk_mount_opts *mo)
{
	free(mo->fsname);
	free(mo->subtype);
	mo->fsname = mo->subtype = NULL;
}

static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return -errno;
	int empty = 1;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = 0;
			break;
		}
	}
	closedir(d);
	return empty;
}

int fk_mount_check(const char *mnt, const struct fk_mount_opts *mo, char *err,
		   size_t errlen)
{
	struct stat st;
	if (!mnt || !*mnt) {
		snprintf(err, errlen, "no mountpoint given");
		return -EINVAL;
	}
	/* statvfs always asks the daemon (stat may be answered from the
	 * attribute cache), so it is what reveals a mount whose daemon died. */
	struct statvfs sv;
	int dead = statvfs(mnt, &sv) < 0 && errno == ENOTCONN;
	if (dead || stat(mnt, &st) < 0) {
		int e = dead ? ENOTCONN : errno;
		if (e == ENOTCONN)
			snprintf(err, errlen,
				 "mountpoint '%s' is a FUSE mount whose daemon has "
				 "died; clear it with 'fusekit umount %s'",
				 mnt, mnt);
		else
			snprintf(err, errlen, "mountpoint '%s': %s", mnt,
				 strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "mountpoint '%s' is not a directory", mnt);
		return -ENOTDIR;
	}
	if (mo && mo->nonempty)
		return 0;
	int m = fk_plat_is_mountpoint(mnt);
	if (m > 0) {
		snprintf(err, errlen,
			 "mountpoint '%s' is already in use by another mount "
			 "(add -o nonempty to mount over it)",
			 mnt);
		return -EBUSY;
	}
	int empty = dir_is_empty(mnt);
	if (empty < 0) {
		snprintf(err, errlen, "mountpoint '%s': %s", mnt,
			 strerror(-empty));
		return empty;
	}
	if (!empty) {
		snprintf(err, errlen,
			 "mountpoint '%s' is not empty; its files would be "
			 "hidden (add -o nonempty to mount anyway)",
			 mnt);
		return -ENOTEMPTY;
	}
	return 0;
}

int fk_mount_run_helper(const char *const argv[], const char *extra_env,
			char *err, size_t errlen)
{
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot start %s: %s", argv[0], strerror(e));
		return -e;
	}
	if (pid == 0) {
		if (extra_env)
			putenv((char *)extra_env);
		execvp(argv[0], (char *const *)argv);
		dprintf(2, "fusekit: cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			int e = errno;
			snprintf(err, errlen, "waiting for %s: %s", argv[0],
				 strerror(e));
			return -e;
		}
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	snprintf(err, errlen, "%s was killed by signal %d", argv[0],
		 WTERMSIG(status));
	return -EINTR;
}

int fk_mount_receive_fd(int sock)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr msg;
	memset(&msg, 0, sizeof msg);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof ctl.buf;
	ssize_t n;
	do
		n = recvmsg(sock, &msg, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET; /* the helper failed and said why */
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		return -EPROTO;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	/* Programs the daemon starts must not inherit the device. */
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

int fk_mount(const char *mountpoint, const struct fk_mount_opts *mo,
	     char *err, size_t errlen)
{
	int commfd;
	/* With auto_unmount, commfd must stay open for the life of the
	 * process: it is what keeps the watcher from unmounting. */
	return fk_mount_fd(mountpoint, mo, &commfd, err, errlen);
}

int fk_mount_spawn_helper(const char *const argv[], const char *const *env,
			  int detach, pid_t *pid, char *err, size_t errlen)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		int e = errno;
		snprintf(err, errlen, "socketpair: %s", strerror(e));
		return -e;
	}
	(void)fcntl(sv[1], F_SETFD, FD_CLOEXEC);
	*pid = fork();
	if (*pid < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		snprintf(err, errlen, "fork: %s", strerror(e));
		return -e;
	}
	if (*pid == 0) {
		/* detach: a grandchild runs the helper, so that a helper
		 * which lives on after handing over the fd is never our
		 * zombie. */
		if (detach && fork() != 0)
			_exit(0);
		char fdstr[32];
		snprintf(fdstr, sizeof fdstr, "%d", sv[0]);
		setenv("_FUSE_COMMFD", fdstr, 1);
		for (; env && *env; env++)
			putenv((char *)*env);
		execvp(argv[0], (char *const *)argv);
		dprintf(2, "fusekit: cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(sv[0]);
	return sv[1];
}
