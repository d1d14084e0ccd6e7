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
