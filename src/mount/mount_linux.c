/*
 * mount_linux.c — mounting on Linux.
 *
 * As root: open /dev/fuse and mount(2) with "fd=N,...". Otherwise (or when
 * mount(2) says EPERM): fusermount3, the setuid helper. It reads
 * _FUSE_COMMFD, mounts, and sends the device fd back over that socket with
 * SCM_RIGHTS.
 *
 * auto_unmount is our own watcher process, not fusermount3's: fusermount3
 * before libfuse 3.15 (Debian 12 ships 3.14) checks the mount as root before
 * unmounting it, which a mount without allow_other refuses, so it never
 * unmounts. The watcher holds the read end of a pipe whose write end only
 * the daemon has; when the daemon ends, however it ends, the read returns 0
 * and the watcher unmounts with the caller's own rights.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../platform/fk_platform.h"
#include "fk_mount_i.h"

#define FUSERMOUNT "fusermount3"

int fk_mount_init_timeout_ms(void)
{
	return -1;
}

/* Append ",text" (or "text" at the start) to buf; -ENAMETOOLONG if full. */
static int opt_add(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int opt_add(char *buf, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(buf);
	if (len && len + 1 < cap)
		buf[len++] = ',';
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - len)
		return -ENAMETOOLONG;
	return 0;
}

static const struct {
	uint32_t bit;
	unsigned long msflag;
	const char *on, *off;
} flag_map[] = {
	{ FK_MNT_RDONLY, MS_RDONLY, "ro", "rw" },
	{ FK_MNT_NOSUID, MS_NOSUID, "nosuid", "suid" },
	{ FK_MNT_NODEV, MS_NODEV, "nodev", "dev" },
	{ FK_MNT_NOEXEC, MS_NOEXEC, "noexec", "exec" },
	{ FK_MNT_NOATIME, MS_NOATIME, "noatime", NULL },
	{ FK_MNT_NODIRATIME, MS_NODIRATIME, "nodiratime", NULL },
	{ FK_MNT_DIRSYNC, MS_DIRSYNC, "dirsync", NULL },
	{ FK_MNT_SYNCHRONOUS, MS_SYNCHRONOUS, "sync", NULL },
};

/* The options both mount(2) and fusermount3 take, as text. */
static int common_opts(const struct fk_mount_opts *mo, char *buf, size_t cap)
{
	int rc = 0;
	if (mo->allow_other || mo->allow_root)
		rc |= opt_add(buf, cap, "allow_other");
	if (mo->default_permissions)
		rc |= opt_add(buf, cap, "default_permissions");
	if (mo->max_read)
		rc |= opt_add(buf, cap, "max_read=%u", mo->max_read);
	return rc ? -ENAMETOOLONG : 0;
}

static int mount_direct(const char *mnt, const struct fk_mount_opts *mo,
			char *err, size_t errlen)
{
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot open /dev/fuse: %s%s", strerror(e),
			 e == ENOENT ? " (is the fuse module loaded?)" : "");
		return -e;
	}
	char data[1024] = "";
	int rc = opt_add(data, sizeof data, "fd=%d,rootmode=%o,user_id=%u,group_id=%u",
			 fd, mo->rootmode ? mo->rootmode : S_IFDIR,
			 (unsigned)getuid(), (unsigned)getgid());
	rc |= common_opts(mo, data, sizeof data);
	unsigned long flags = 0;
	for (size_t i = 0; i < sizeof flag_map / sizeof flag_map[0]; i++)
		if (mo->flags & flag_map[i].bit)
			flags |= flag_map[i].msflag;
	char type[256];
	int n = snprintf(type, sizeof type, "fuse%s%s", mo->subtype ? "." : "",
			 mo->subtype ? mo->subtype : "");
	if (rc || n < 0 || (size_t)n >= sizeof type) {
		snprintf(err, errlen, "mount options are too long");
		close(fd);
		return -ENAMETOOLONG;
	}
	const char *source = mo->fsname ? mo->fsname : "fusekit";
	if (mount(source, mnt, type, flags, data) < 0) {
		int e = errno;
		if (e == ENODEV)
			snprintf(err, errlen, "mounting %s: the kernel has no FUSE "
					      "support (modprobe fuse)", mnt);
		else
			snprintf(err, errlen, "mounting %s: %s", mnt, strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

static int mount_fusermount(const char *mnt, const struct fk_mount_opts *mo,
			    char *err, size_t errlen)
{
	char opts[2048] = "";
	int rc = 0;
	for (size_t i = 0; i < sizeof flag_map / sizeof flag_map[0]; i++) {
		if (mo->flags & flag_map[i].bit)
			rc |= opt_add(opts, sizeof opts, "%s", flag_map[i].on);
		else if (flag_map[i].off)
			rc |= opt_add(opts, sizeof opts, "%s", flag_map[i].off);
	}
	rc |= common_opts(mo, opts, sizeof opts);
	if (mo->fsname)
		rc |= opt_add(opts, sizeof opts, "fsname=%s", mo->fsname);
	if (mo->subtype)
		rc |= opt_add(opts, sizeof opts, "subtype=%s", mo->subtype);
	if (rc) {
		snprintf(err, errlen, "mount options are too long");
		return -ENAMETOOLONG;
	}

	const char *argv[] = { FUSERMOUNT, "-o", opts, "--", mnt, NULL };
	pid_t pid;
	int sock = fk_mount_spawn_helper(argv, NULL, 0, &pid, err, errlen);
	if (sock < 0)
		return sock;
	int fd = fk_mount_receive_fd(sock);
	close(sock);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (fd < 0) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			snprintf(err, errlen, "mounting %s needs " FUSERMOUNT
					      " (package fuse3)", mnt);
		else
			snprintf(err, errlen, "mounting %s: " FUSERMOUNT
					      " failed (see its message above)", mnt);
		return -EIO;
	}
	return fd;
}

/* Is mnt still listed as a FUSE mount? (The watcher must not unmount
 * something else that was mounted there since.) */
static int still_fuse_mounted(const char *mnt)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return 0;
	char *line = NULL;
	size_t cap = 0;
	int found = 0;
	while (!found && getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - ");
		char *save = NULL, *tok = strtok_r(line, " ", &save);
		for (int i = 0; tok && i < 4; i++)
			tok = strtok_r(NULL, " ", &save);
		/* mountinfo escapes unusual characters; a mountpoint that
		 * needs escaping simply is not matched here. */
		if (tok && sep && strcmp(tok, mnt) == 0 &&
		    strncmp(sep + 3, "fuse", 4) == 0)
			found = 1;
	}
	free(line);
	fclose(f);
	return found;
}

/* Start the auto_unmount watcher; returns the pipe end the daemon keeps. */
static int start_unmount_watcher(const char *mnt, char *err, size_t errlen)
{
	char real[PATH_MAX];
	if (!realpath(mnt, real)) {
		int e = errno;
		snprintf(err, errlen, "auto_unmount: %s: %s", mnt, strerror(e));
		return -e;
	}
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		int e = errno;
		snprintf(err, errlen, "auto_unmount: pipe: %s", strerror(e));
		return -e;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		snprintf(err, errlen, "auto_unmount: fork: %s", strerror(e));
		return -e;
	}
	if (pid == 0) {
		/* The watcher: keep only the pipe and stderr, so that it
		 * holds neither the device fd nor the write end. */
		if (fork() > 0)
			_exit(0); /* reparented to init: no zombie for us */
		(void)setsid();
		if (dup2(p[0], 3) < 0)
			_exit(1);
		if (close_range(4, ~0U, 0) < 0)
			for (int fd = 4; fd < 1024; fd++)
				close(fd);
		if (chdir("/") < 0)
			_exit(1);
		for (;;) {
			char byte;
			ssize_t n = read(3, &byte, 1);
			if (n == 0 || (n < 0 && errno != EINTR))
				break; /* the daemon is gone */
		}
		if (still_fuse_mounted(real)) {
			char e2[256];
			(void)fk_unmount(real, 1, e2, sizeof e2);
		}
		_exit(0);
	}
	close(p[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return p[1];
}

int fk_mount_reports_status(void)
{
	return 0; /* commfd is fusermount3's auto_unmount socket: never read */
}

int fk_mount_read_status(int commfd, char *err, size_t errlen)
{
	(void)commfd;
	snprintf(err, errlen, "no mount status on Linux");
	return -ENOTSUP;
}

int fk_mount_fd(const char *mnt, const struct fk_mount_opts *mo, int *commfd,
		char *err, size_t errlen)
{
	*commfd = -1;
	int rc = fk_mount_check(mnt, mo, err, errlen);
	if (rc < 0)
		return rc;
	if (mo->blksize) {
		snprintf(err, errlen, "blksize= applies only to block-device "
				      "(fuseblk) mounts, which fusekit does not make");
		return -EINVAL;
	}
	int fd = -EPERM;
	if (geteuid() == 0)
		fd = mount_direct(mnt, mo, err, errlen);
	/* In a user namespace root may lack CAP_SYS_ADMIN over the mount:
	 * fall back to the helper as an ordinary user would. */
	if (fd == -EPERM)
		fd = mount_fusermount(mnt, mo, err, errlen);
	if (fd < 0 || !mo->auto_unmount)
		return fd;
	int w = start_unmount_watcher(mnt, err, errlen);
	if (w < 0) {
		char e2[256];
		(void)fk_unmount(mnt, 1, e2, sizeof e2);
		close(fd);
		return w;
	}
	*commfd = w;
	return fd;
}

int fk_unmount(const char *mnt, int lazy, char *err, size_t errlen)
{
	if (geteuid() == 0) {
		if (umount2(mnt, lazy ? MNT_DETACH : 0) == 0)
			return 0;
		int e = errno;
		if (e == EBUSY) {
			/* Busy with mounts inside it (the daemon's --bind):
			 * those go first, as umount -R, then it. */
			int rc = fk_plat_unmount_below(mnt, lazy);
			if (rc == 0 && umount2(mnt, lazy ? MNT_DETACH : 0) == 0)
				return 0;
			e = rc ? -rc : errno;
		}
		if (e != EPERM) {
			if (e == EINVAL)
				snprintf(err, errlen, "%s is not a mount point", mnt);
			else if (e == EBUSY)
				snprintf(err, errlen, "%s is busy (use -l to detach "
						      "it anyway)", mnt);
			else
				snprintf(err, errlen, "unmounting %s: %s", mnt,
					 strerror(e));
			return -e;
		}
	}
	/* Not mounted any more (unmounted from outside, which also ends the
	 * session): say so as umount2 would, rather than have fusermount3
	 * complain. A path that does not resolve (a dead mount's root
	 * fails to stat) is left to fusermount3. */
	char real[PATH_MAX];
	if (realpath(mnt, real) && !still_fuse_mounted(real)) {
		snprintf(err, errlen, "%s is not a mount point", mnt);
		return -EINVAL;
	}
	const char *argv[] = { FUSERMOUNT, "-u", lazy ? "-z" : "-q", "--", mnt, NULL };
	int status = fk_mount_run_helper(argv, NULL, err, errlen);
	if (status < 0)
		return status;
	if (status != 0) {
		snprintf(err, errlen, "unmounting %s: " FUSERMOUNT " -u failed", mnt);
		return -EIO;
	}
	return 0;
}
