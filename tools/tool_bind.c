/*
 * tool_bind.c — --bind SRC:TGT: host directories and files mounted over
 * paths inside a fusekit filesystem once it serves (a container root's
 * /proc, /sys, /dev and /dev/pts, as the Rust original's examples offer),
 * and unmounted, the last first, before it goes (see fk_tool.h).
 *
 * TGT is a path inside the mount. It is reached from the mountpoint one
 * name at a time, beneath it and never through a symlink: a tree that
 * holds "proc -> /etc" must not get the host's /proc bound over /etc.
 * What is missing on the way is made (directories 0755; the last name a
 * directory or an empty file, as SRC is), through the mount, so the
 * filesystem records it as any other change.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/platform/fk_platform.h"
#include "fk_tool.h"

int fk_tool_bind_parse(struct fk_tool_args *args, const char *spec, char *err,
		       size_t errlen)
{
	const char *colon = strchr(spec, ':');
	if (!colon || colon == spec || !colon[1]) {
		snprintf(err, errlen, "--bind takes SRC:TGT, not '%s'", spec);
		return -EINVAL;
	}
	if (args->nbinds == FK_TOOL_MAX_BINDS) {
		snprintf(err, errlen, "at most %d --bind", FK_TOOL_MAX_BINDS);
		return -EINVAL;
	}
	struct fk_tool_bind *b = &args->binds[args->nbinds];
	size_t n = (size_t)(colon - spec);
	if (n >= sizeof b->src) {
		snprintf(err, errlen, "--bind %s: the source is too long", spec);
		return -ENAMETOOLONG;
	}
	memcpy(b->src, spec, n);
	b->src[n] = 0;
	/* The target, as names joined by single '/', none "." or "..". */
	size_t at = 0;
	for (const char *p = colon + 1; *p;) {
		while (*p == '/')
			p++;
		size_t len = strcspn(p, "/");
		if (!len)
			break;
		if ((len == 1 && p[0] == '.') || (len == 2 && !strncmp(p, "..", 2))) {
			snprintf(err, errlen, "--bind %s: the target must be a path "
				 "inside the mount, without . or ..", spec);
			return -EINVAL;
		}
		if (at + len + 2 > sizeof b->tgt) {
			snprintf(err, errlen, "--bind %s: the target is too long", spec);
			return -ENAMETOOLONG;
		}
		if (at)
			b->tgt[at++] = '/';
		memcpy(b->tgt + at, p, len);
		at += len;
		p += len;
	}
	b->tgt[at] = 0;
	if (!at) {
		snprintf(err, errlen, "--bind %s: the target cannot be the mount's "
			 "root", spec);
		return -EINVAL;
	}
	args->nbinds++;
	return 0;
}

/* Make what is missing of path beneath dir: directories on the way, and
 * the last name a directory (is_dir) or an empty file. 0 or -errno. */
static int make_beneath(int dir, char *path, int is_dir)
{
	int cur = dir, rc = 0;
	char *name = path;
	for (;;) {
		char *slash = strchr(name, '/');
		if (slash)
			*slash = 0;
		int next = fk_plat_hold_beneath(cur, name);
		if (next == -ENOENT) {
			if (slash || is_dir) {
				rc = mkdirat(cur, name, 0755) < 0 ? -errno : 0;
			} else {
				int fd = openat(cur, name,
						O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
							O_CLOEXEC,
						0644);
				rc = fd < 0 ? -errno : 0;
				if (fd >= 0)
					close(fd);
			}
			if (rc == -EEXIST)
				rc = 0; /* made meanwhile */
			next = rc ? rc : fk_plat_hold_beneath(cur, name);
		}
		if (slash)
			*slash = '/';
		if (cur != dir)
			close(cur);
		struct stat st;
		if (next >= 0 && fstat(next, &st) == 0 && S_ISLNK(st.st_mode)) {
			close(next); /* held as itself, never followed */
			next = -ELOOP;
		}
		if (next < 0)
			return next;
		if (!slash) {
			close(next);
			return 0;
		}
		cur = next;
		name = slash + 1;
	}
}

/* Mount one bind at dir (the mountpoint, held). 0 or -errno, saying why. */
static int bind_one(int dir, struct fk_tool_bind *b, char *err, size_t errlen)
{
	struct stat st;
	if (stat(b->src, &st) < 0) {
		int e = errno;
		snprintf(err, errlen, "--bind %s:%s: %s: %s", b->src, b->tgt, b->src,
			 strerror(e));
		return -e;
	}
	const char *step = "making the target";
	int rc = make_beneath(dir, b->tgt, S_ISDIR(st.st_mode));
	int fd = rc ? rc : fk_plat_hold_beneath(dir, b->tgt);
	if (fd >= 0) {
		step = "mounting";
		rc = fk_plat_bind_mount(b->src, fd);
		close(fd);
	} else {
		rc = fd;
	}
	if (rc == 0) {
		/* The bind is what the target leads to now. */
		step = "making it a slave mount";
		fd = fk_plat_hold_beneath(dir, b->tgt);
		rc = fd < 0 ? fd : fk_plat_mount_slave(fd);
		if (fd >= 0 && rc)
			(void)fk_plat_unmount_at(fd); /* undone; failing, it shows */
		if (fd >= 0)
			close(fd);
	}
	if (rc)
		snprintf(err, errlen, "--bind %s:%s: %s: %s%s", b->src, b->tgt, step,
			 strerror(-rc),
			 rc == -ELOOP ? " (a symlink on the way; binds never follow one)"
				      : "");
	return rc;
}

static void unbind_one(int dir, struct fk_tool_bind *b)
{
	int fd = fk_plat_hold_beneath(dir, b->tgt);
	if (fd < 0)
		return; /* gone with the mount already (unmounted from outside) */
	(void)fk_plat_unmount_at(fd); /* -EINVAL: not mounted (any more) */
	close(fd);
}

int fk_tool_binds_mount(const char *mountpoint, struct fk_tool_bind *binds,
			int n, char *err, size_t errlen)
{
	if (n == 0)
		return 0;
	int dir = fk_plat_hold_dir(mountpoint);
	if (dir < 0) {
		snprintf(err, errlen, "--bind: %s: %s", mountpoint, strerror(-dir));
		return dir;
	}
	int rc = 0, done;
	for (done = 0; done < n && rc == 0; done++)
		rc = bind_one(dir, &binds[done], err, errlen);
	if (rc)
		for (int i = done - 2; i >= 0; i--) /* done - 1 failed */
			unbind_one(dir, &binds[i]);
	close(dir);
	return rc;
}

void fk_tool_binds_unmount(const char *mountpoint, struct fk_tool_bind *binds,
			   int n)
{
	if (n == 0)
		return;
	int dir = fk_plat_hold_dir(mountpoint);
	if (dir < 0)
		return; /* the mount is gone, and its binds with it */
	for (int i = n - 1; i >= 0; i--)
		unbind_one(dir, &binds[i]);
	close(dir);
}
