/*
 * ovl_memfs.c — the overlay over in-memory layers only, for
 * tests/mount/ovl_mem.sh: it shows the overlay works over any layer, not
 * just host directories.
 *
 *     ovl_memfs MOUNTPOINT LOWER1 [LOWER2...]
 *
 * Each LOWER directory is loaded into its own memory layer (files with
 * their contents, directories, symlinks, fifos, devices, owners, modes,
 * times and xattrs, so whiteouts and opaque markers come along); the
 * upper layer is an empty memory layer. Serves in the foreground until
 * unmounted; everything written is lost then.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fusekit/fk_overlay.h>
#include <fusekit/fusekit.h>

#define MAX_LAYERS 16

/* Copy the xattrs of host fd (an O_PATH fd of a file that is not a
 * symlink: through /proc, where the magic link leads to it) onto h. */
static int load_xattrs(struct fk_layer *l, struct fk_layer_node *h, int fd)
{
	char path[64], names[4096], value[4096];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t len = listxattr(path, names, sizeof names);
	for (ssize_t at = 0; len > 0 && at < len; at += (ssize_t)strlen(names + at) + 1) {
		ssize_t v = getxattr(path, names + at, value, sizeof value);
		if (v < 0)
			return -errno;
		int rc = l->ops->setxattr(l, h, names + at, value, (size_t)v, 0);
		if (rc)
			return rc;
	}
	return len < 0 && errno != ENOTSUP ? -errno : 0;
}

/* Make name (host: in dirfd) in dir of layer l, and below it. */
static int load(struct fk_layer *l, struct fk_layer_node *dir, int dirfd,
		const char *name)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	const struct fk_layer_cred cred = { st.st_uid, st.st_gid };
	struct fk_layer_node *h = NULL;
	int rc;
	if (S_ISREG(st.st_mode)) {
		int src = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
		int fd = src < 0 ? -errno
				 : l->ops->create(l, dir, name, O_WRONLY, st.st_mode & 07777,
						  &cred, &h, NULL);
		char buf[65536];
		ssize_t n = 0;
		while (fd >= 0 && (n = read(src, buf, sizeof buf)) > 0)
			if (write(fd, buf, (size_t)n) != n)
				n = -1;
		rc = fd < 0 ? fd : n < 0 ? -EIO : 0;
		if (fd >= 0)
			close(fd);
		if (src >= 0)
			close(src);
	} else if (S_ISDIR(st.st_mode)) {
		rc = l->ops->mkdir(l, dir, name, st.st_mode & 07777, &cred, &h, NULL);
	} else if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(dirfd, name, target, sizeof target - 1);
		if (n >= 0)
			target[n] = 0;
		rc = n < 0 ? -errno
			   : l->ops->symlink(l, dir, name, target, &cred, &h, NULL);
	} else {
		rc = l->ops->mknod(l, dir, name, st.st_mode, (uint32_t)st.st_rdev,
				   &cred, &h, NULL);
	}
	int fd = rc ? -1 : openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (rc == 0 && fd < 0)
		rc = -errno;
	if (rc == 0 && !S_ISLNK(st.st_mode))
		rc = load_xattrs(l, h, fd);
	if (rc == 0 && S_ISDIR(st.st_mode)) {
		int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *d = sub < 0 ? NULL : fdopendir(sub);
		struct dirent *e;
		while (d && rc == 0 && (e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				rc = load(l, h, sub, e->d_name);
		if (d)
			closedir(d);
		else
			rc = -errno;
	}
	if (rc == 0 && !S_ISLNK(st.st_mode)) {
		/* Times last: loading the contents changed them. */
		struct fk_setattr_in in = { .valid = FK_SET_ATIME | FK_SET_MTIME,
					    .atime = st.st_atim,
					    .mtime = st.st_mtim };
		rc = l->ops->setattr(l, h, &in, NULL);
	}
	if (fd >= 0)
		close(fd);
	l->ops->put(l, h);
	if (rc)
		fprintf(stderr, "ovl_memfs: loading %s: %s\n", name, strerror(-rc));
	return rc;
}

/* A memory layer holding a copy of the host directory path. */
static int load_layer(const char *path, struct fk_layer **out)
{
	int rc = fk_mem_layer_new(out);
	int dirfd = rc ? -1 : open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rc == 0 && dirfd < 0)
		rc = -errno;
	DIR *d = dirfd < 0 ? NULL : fdopendir(dirfd);
	struct fk_layer_node *root = rc ? NULL : fk_layer_root(*out);
	struct dirent *e;
	while (d && rc == 0 && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			rc = load(*out, root, dirfd, e->d_name);
	if (d)
		closedir(d);
	if (root)
		fk_layer_put(*out, root);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc - 2 > MAX_LAYERS - 1) {
		fprintf(stderr, "usage: ovl_memfs MOUNTPOINT LOWER1 [LOWER2...]\n");
		return 2;
	}
	struct fk_layer *layers[MAX_LAYERS] = { 0 };
	unsigned n = 0;
	int rc = fk_mem_layer_new(&layers[n]); /* the upper layer */
	if (rc == 0)
		n++;
	for (int i = 2; rc == 0 && i < argc; i++)
		if ((rc = load_layer(argv[i], &layers[n])) == 0 || layers[n])
			n++; /* a half-loaded layer is freed with the rest */
	struct fk_ovl_options o;
	fk_ovl_options_init(&o);
	o.upper = 1;
	char err[256] = "";
	struct fk_ovl *ovl = NULL;
	if (rc == 0 && (rc = fk_ovl_new(&ovl, layers, n, &o, err, sizeof err)) == 0)
		n = 0; /* the overlay owns them now */
	while (n > 0)
		fk_layer_free(layers[--n]);
	if (rc) {
		fprintf(stderr, "ovl_memfs: %s\n", err[0] ? err : strerror(-rc));
		return 1;
	}
	struct fk_mount_opts mo;
	fk_mount_opts_init(&mo);
	mo.default_permissions = 1;
	fk_session *se = NULL;
	rc = fk_session_new(&se, fk_ovl_ops(), sizeof(struct fk_ops), ovl, NULL);
	if (rc == 0)
		rc = fk_session_mount(se, argv[1], &mo);
	if (rc == 0)
		rc = fk_session_run(se);
	fk_session_destroy(se);
	fk_ovl_free(ovl);
	fk_mount_opts_free(&mo);
	if (rc)
		fprintf(stderr, "ovl_memfs: %s\n", strerror(-rc));
	return rc ? 1 : 0;
}
