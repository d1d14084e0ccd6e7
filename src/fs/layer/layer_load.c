/*
 * layer_load.c — fk_layer_load: copy a host directory tree into a layer
 * through its ops (files with their contents, directories, symlinks,
 * fifos, sockets, devices, owners, modes, times and xattrs). The
 * in-memory filesystem example seeds itself with it, and the tests load
 * memory layers for the overlay with it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fusekit/fk_layer.h>

#include "../../platform/fk_platform.h"

#define LOAD_DEPTH_MAX 256

struct load {
	struct fk_layer *l;
	char *err;
	size_t errlen;
};

/* Copy the xattrs of name in host directory dirfd (not a symlink) onto
 * h. A host filesystem without xattrs has none to copy. */
static int load_xattrs(struct load *ld, struct fk_layer_node *h, int dirfd,
		       const char *name)
{
	char names[8192];
	static _Thread_local char value[65536];
	int len = fk_plat_listxattr_at(dirfd, name, names, sizeof names);
	if (len == -ENOTSUP || len == -EOPNOTSUPP)
		return 0;
	for (int at = 0; len > 0 && at < len; at += (int)strlen(names + at) + 1) {
		int v = fk_plat_getxattr_at(dirfd, name, names + at, value,
					    sizeof value, 0);
		if (v == -ENODATA)
			continue; /* removed meanwhile */
		int rc = v < 0 ? v
			       : ld->l->ops->setxattr(ld->l, h, names + at, value,
						      (size_t)v, 0);
		if (rc)
			return rc;
	}
	return len < 0 ? len : 0;
}

/* Copy a regular file's contents from host fd src to layer fd dst. */
static int copy_data(int src, int dst)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(src, buf, sizeof buf);
		if (n <= 0)
			return n < 0 ? -errno : 0;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(dst, buf + done, (size_t)(n - done));
			if (w < 0)
				return -errno;
			done += w;
		}
	}
}

static int load_dir(struct load *ld, struct fk_layer_node *dir, int dirfd,
		    const char *path, int depth);

/* Make name (in host directory dirfd, at path for messages) in dir, and
 * what is below it. */
static int load_one(struct load *ld, struct fk_layer_node *dir, int dirfd,
		    const char *name, const char *path, int depth)
{
	struct fk_layer *l = ld->l;
	struct fk_plat_stat st;
	int rc = fk_plat_stat_at(dirfd, name, &st);
	if (rc)
		return rc;
	const struct fk_layer_cred cred = { .uid = st.uid, .gid = st.gid };
	struct fk_layer_node *h = NULL;
	if (S_ISREG(st.mode)) {
		int src = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		int fd = src < 0 ? -errno
				 : l->ops->create(l, dir, name, O_WRONLY,
						  st.mode & 07777, &cred, &h, NULL);
		rc = fd < 0 ? fd : copy_data(src, fd);
		if (fd >= 0)
			close(fd);
		if (src >= 0)
			close(src);
	} else if (S_ISDIR(st.mode)) {
		rc = l->ops->mkdir(l, dir, name, st.mode & 07777, &cred, &h, NULL);
	} else if (S_ISLNK(st.mode)) {
		char target[4096];
		ssize_t n = readlinkat(dirfd, name, target, sizeof target - 1);
		if (n >= 0)
			target[n] = 0;
		rc = n < 0 ? -errno
			   : l->ops->symlink(l, dir, name, target, &cred, &h, NULL);
	} else {
		rc = l->ops->mknod(l, dir, name, st.mode, (uint32_t)st.rdev,
				   &cred, &h, NULL);
	}
	if (rc == 0 && !S_ISLNK(st.mode))
		rc = load_xattrs(ld, h, dirfd, name);
	if (rc == 0 && S_ISDIR(st.mode)) {
		int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
						       O_CLOEXEC);
		rc = sub < 0 ? -errno : load_dir(ld, h, sub, path, depth + 1);
		if (sub >= 0)
			close(sub);
	}
	if (rc == 0 && !S_ISLNK(st.mode)) {
		/* Times last: loading the contents changed them. */
		struct fk_setattr_in in = { .valid = FK_SET_ATIME | FK_SET_MTIME,
					    .atime = st.atime,
					    .mtime = st.mtime };
		rc = l->ops->setattr(l, h, &in, NULL);
	}
	l->ops->put(l, h);
	return rc;
}

/* Everything in host directory dirfd (at path) into dir. On failure the
 * error message names the first object that could not be loaded. */
static int load_dir(struct load *ld, struct fk_layer_node *dir, int dirfd,
		    const char *path, int depth)
{
	if (depth > LOAD_DEPTH_MAX) {
		snprintf(ld->err, ld->errlen, "%s: too deep", path);
		return -ELOOP;
	}
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		int rc = -errno;
		if (fd >= 0)
			close(fd);
		snprintf(ld->err, ld->errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (errno = 0, e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char sub[4096];
		snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
		rc = load_one(ld, dir, dirfd, e->d_name, sub, depth);
		if (rc && !ld->err[0])
			snprintf(ld->err, ld->errlen, "%s: %s", sub, strerror(-rc));
	}
	if (rc == 0 && errno) {
		rc = -errno;
		snprintf(ld->err, ld->errlen, "%s: %s", path, strerror(-rc));
	}
	closedir(d);
	return rc;
}

int fk_layer_load(struct fk_layer *l, const char *host_dir, char *err,
		  size_t errlen)
{
	char none[1];
	struct load ld = { l, errlen ? err : none, errlen ? errlen : sizeof none };
	ld.err[0] = 0;
	int dirfd = open(host_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		int rc = -errno;
		snprintf(ld.err, ld.errlen, "%s: %s", host_dir, strerror(-rc));
		return rc;
	}
	struct fk_layer_node *root = fk_layer_root(l);
	int rc = load_dir(&ld, root, dirfd, host_dir, 0);
	fk_layer_put(l, root);
	close(dirfd);
	return rc;
}
