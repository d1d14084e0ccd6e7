/*
 * test_layer.c — the layer interface's contract (fk_layer.h), checked on
 * every layer there is: the in-memory layer, and the passthrough layer
 * over a temporary directory in each inode mode (fd, handle, lazy with a
 * tiny descriptor cap). The same checks run on each, so the overlay can
 * rely on identical behaviour from all of them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fusekit/fk_layer.h>
#include <fusekit/fk_passthrough.h>

#include "fk_test.h"

/* The layer under test, made fresh for every check. */
static const char *layer_kind;
static char tmpdir[PATH_MAX]; /* holds root/ (the layer) and work/ */
static char rootdir[PATH_MAX + 8];
static struct fk_layer *L;
static struct fk_layer_node *R; /* its root */
static const struct fk_layer_cred me = { .uid = 0, .gid = 0 };

static void layer_open(void)
{
	char err[256] = "";
	int rc;
	if (!strcmp(layer_kind, "mem")) {
		rc = fk_mem_layer_new(&L);
	} else {
		const char *base = getenv("FK_TEST_TMP");
		snprintf(tmpdir, sizeof tmpdir, "%s/fk-layer-test.XXXXXX",
			 base ? base : "/tmp");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			exit(1);
		}
		char workdir[PATH_MAX + 8];
		snprintf(rootdir, sizeof rootdir, "%s/root", tmpdir);
		snprintf(workdir, sizeof workdir, "%s/work", tmpdir);
		if (mkdir(rootdir, 0755) || mkdir(workdir, 0755)) {
			perror("mkdir");
			exit(1);
		}
		struct fk_pt_options o;
		fk_pt_options_init(&o);
		if (!strcmp(layer_kind, "pt-handle"))
			o.inode = FK_PT_INODE_HANDLE;
		if (!strcmp(layer_kind, "pt-lazy") ||
		    !strcmp(layer_kind, "pt-lazy-override")) {
			o.inode = FK_PT_INODE_LAZY;
			o.fd_cap = 3;
		}
		rc = fk_pt_layer_new(&L, rootdir, &o, err, sizeof err);
		if (rc == 0)
			rc = fk_pt_layer_set_work(L, workdir, err, sizeof err);
		/* Owners and modes in user.fuseoverlayfs.override_stat. */
		if (rc == 0 && !strcmp(layer_kind, "pt-lazy-override"))
			rc = fk_pt_layer_set_override(L, FK_PT_OVERRIDE_USER, NULL, err,
						      sizeof err);
	}
	if (rc) {
		fprintf(stderr, "layer %s: %s (%d)\n", layer_kind, err, rc);
		exit(1);
	}
	R = fk_layer_root(L);
}

static void layer_close(void)
{
	fk_layer_put(L, R);
	fk_layer_free(L);
	L = NULL;
	if (strcmp(layer_kind, "mem")) {
		char cmd[PATH_MAX + 16];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
}

/* Shorthands over L. */
static struct fk_layer_node *mkdir_(struct fk_layer_node *p, const char *name)
{
	struct fk_layer_node *n = NULL;
	FK_CHECK_EQ(L->ops->mkdir(L, p, name, 0755, &me, &n, NULL), 0);
	return n;
}

/* Create name with contents; returns the node. */
static struct fk_layer_node *file_(struct fk_layer_node *p, const char *name,
				   const char *contents)
{
	struct fk_layer_node *n = NULL;
	int fd = L->ops->create(L, p, name, O_WRONLY, 0644, &me, &n, NULL);
	FK_CHECK(fd >= 0);
	if (fd >= 0) {
		size_t len = strlen(contents);
		FK_CHECK_EQ(write(fd, contents, len), (ssize_t)len);
		close(fd);
	}
	return n;
}

/* The contents of file node n (up to 255 bytes) into buf. */
static const char *read_(struct fk_layer_node *n, char buf[static 256])
{
	buf[0] = 0;
	int fd = L->ops->open(L, n, O_RDONLY);
	FK_CHECK(fd >= 0);
	if (fd >= 0) {
		ssize_t r = read(fd, buf, 255);
		buf[r > 0 ? r : 0] = 0;
		close(fd);
	}
	return buf;
}

static int lookup_(struct fk_layer_node *p, const char *name,
		   struct fk_layer_stat *st)
{
	return L->ops->lookup(L, p, name, NULL, st);
}

static void test_entries(void)
{
	layer_open();
	struct fk_layer_stat st;
	FK_CHECK_EQ(L->ops->getattr(L, R, &st), 0);
	FK_CHECK(S_ISDIR(st.attr.mode));

	struct fk_layer_node *d = mkdir_(R, "d");
	struct fk_layer_node *f = file_(d, "f", "hello");
	char buf[256];
	FK_CHECK(!strcmp(read_(f, buf), "hello"));
	FK_CHECK_EQ(lookup_(d, "f", &st), 0);
	FK_CHECK(S_ISREG(st.attr.mode));
	FK_CHECK_EQ(st.attr.size, 5);
	FK_CHECK_EQ(st.attr.mode & 07777, 0644);
	FK_CHECK_EQ(st.attr.nlink, 1);

	/* The same inode by two ways: equal (dev, ino). */
	struct fk_layer_stat st2;
	FK_CHECK_EQ(L->ops->getattr(L, f, &st2), 0);
	FK_CHECK_EQ(st.dev, st2.dev);
	FK_CHECK_EQ(st.attr.ino, st2.attr.ino);

	/* Names that are not one component, or too long. */
	FK_CHECK_EQ(lookup_(d, "..", NULL), -EINVAL);
	FK_CHECK_EQ(lookup_(d, "a/b", NULL), -EINVAL);
	FK_CHECK_EQ(lookup_(d, "", NULL), -EINVAL);
	char longname[300];
	memset(longname, 'x', 256);
	longname[256] = 0;
	FK_CHECK_EQ(lookup_(d, longname, NULL), -ENAMETOOLONG);
	FK_CHECK_EQ(L->ops->mkdir(L, d, longname, 0755, &me, NULL, NULL),
		    -ENAMETOOLONG);
	longname[255] = 0; /* 255 bytes is fine */
	FK_CHECK_EQ(L->ops->mkdir(L, d, longname, 0755, &me, NULL, NULL), 0);
	FK_CHECK_EQ(lookup_(d, "missing", NULL), -ENOENT);
	FK_CHECK_EQ(lookup_(f, "x", NULL), -ENOTDIR);

	/* Exists already. */
	FK_CHECK_EQ(L->ops->create(L, d, "f", O_RDWR, 0644, &me, NULL, NULL), -EEXIST);
	FK_CHECK_EQ(L->ops->mkdir(L, d, "f", 0755, &me, NULL, NULL), -EEXIST);

	/* A symlink, a fifo, a socket. */
	FK_CHECK_EQ(L->ops->symlink(L, d, "s", "../target", &me, NULL, &st), 0);
	FK_CHECK(S_ISLNK(st.attr.mode));
	struct fk_layer_node *s = NULL;
	FK_CHECK_EQ(L->ops->lookup(L, d, "s", &s, NULL), 0);
	FK_CHECK_EQ(L->ops->readlink(L, s, buf, sizeof buf), 9);
	FK_CHECK(!strcmp(buf, "../target"));
	FK_CHECK_EQ(L->ops->readlink(L, s, buf, 4), -ERANGE);
	FK_CHECK_EQ(L->ops->readlink(L, f, buf, sizeof buf), -EINVAL);
	FK_CHECK_EQ(L->ops->open(L, d, O_RDONLY), -EISDIR);
	FK_CHECK_EQ(L->ops->mknod(L, d, "p", S_IFIFO | 0600, 0, &me, NULL, &st), 0);
	FK_CHECK(S_ISFIFO(st.attr.mode));
	FK_CHECK_EQ(L->ops->mknod(L, d, "sock", S_IFSOCK | 0600, 0, &me, NULL, &st), 0);
	FK_CHECK(S_ISSOCK(st.attr.mode));

	/* Hard links: one inode, two names, nlink 2; not for directories. */
	FK_CHECK_EQ(L->ops->link(L, f, R, "f2", &st), 0);
	FK_CHECK_EQ(st.attr.nlink, 2);
	FK_CHECK_EQ(st.attr.ino, st2.attr.ino);
	FK_CHECK_EQ(L->ops->link(L, f, R, "f2", NULL), -EEXIST);
	FK_CHECK_EQ(L->ops->link(L, d, R, "d2", NULL), -EPERM);

	fk_layer_put(L, s);
	fk_layer_put(L, f);
	fk_layer_put(L, d);
	layer_close();
}

static void test_remove(void)
{
	layer_open();
	struct fk_layer_node *d = mkdir_(R, "d");
	struct fk_layer_node *f = file_(d, "f", "data");
	FK_CHECK_EQ(L->ops->unlink(L, R, "d"), -EISDIR);
	FK_CHECK_EQ(L->ops->rmdir(L, d, "f"), -ENOTDIR);
	FK_CHECK_EQ(L->ops->rmdir(L, R, "d"), -ENOTEMPTY);
	FK_CHECK_EQ(L->ops->unlink(L, d, "nothing"), -ENOENT);
	/* An unlinked file stays usable through its handle. */
	int fd = L->ops->open(L, f, O_RDONLY);
	FK_CHECK(fd >= 0);
	FK_CHECK_EQ(L->ops->unlink(L, d, "f"), 0);
	FK_CHECK_EQ(lookup_(d, "f", NULL), -ENOENT);
	char buf[8] = "";
	FK_CHECK_EQ(pread(fd, buf, sizeof buf, 0), 4);
	FK_CHECK(!memcmp(buf, "data", 4));
	close(fd);
	struct fk_layer_stat st;
	FK_CHECK_EQ(L->ops->getattr(L, f, &st), 0);
	FK_CHECK_EQ(st.attr.nlink, 0);
	FK_CHECK_EQ(L->ops->rmdir(L, R, "d"), 0);
	FK_CHECK_EQ(lookup_(R, "d", NULL), -ENOENT);
	fk_layer_put(L, f);
	fk_layer_put(L, d);
	layer_close();
}

static void test_readdir(void)
{
	layer_open();
	struct fk_layer_node *d = mkdir_(R, "big");
	enum { N = 300 };
	char name[32];
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "entry-%03d", i);
		if (i % 3 == 0)
			fk_layer_put(L, mkdir_(d, name));
		else
			fk_layer_put(L, file_(d, name, ""));
	}
	int seen[N] = { 0 };
	struct fk_layer_dir *dir;
	FK_CHECK_EQ(L->ops->opendir(L, d, &dir), 0);
	struct fk_layer_dirent e;
	int rc, count = 0, bad = 0;
	while ((rc = L->ops->readdir(L, dir, &e)) == 1) {
		int i;
		count++;
		if (sscanf(e.name, "entry-%03d", &i) != 1 || i < 0 || i >= N) {
			bad++; /* "." and ".." land here too */
			continue;
		}
		seen[i]++;
		if (e.type && e.type != (i % 3 == 0 ? (uint32_t)S_IFDIR : (uint32_t)S_IFREG))
			bad++;
	}
	FK_CHECK_EQ(rc, 0);
	L->ops->closedir(L, dir);
	FK_CHECK_EQ(count, N);
	FK_CHECK_EQ(bad, 0);
	int once = 0;
	for (int i = 0; i < N; i++)
		once += seen[i] == 1;
	FK_CHECK_EQ(once, N);
	fk_layer_put(L, d);
	layer_close();
}

static void test_rename(void)
{
	layer_open();
	struct fk_layer_node *a = mkdir_(R, "a"), *b = mkdir_(R, "b");
	fk_layer_put(L, file_(a, "one", "1"));
	fk_layer_put(L, file_(a, "two", "2"));
	fk_layer_put(L, file_(b, "three", "3"));
	struct fk_layer_node *sub = mkdir_(a, "sub");
	struct fk_layer_node *deep = mkdir_(sub, "deep");
	struct fk_layer_node *leaf = file_(deep, "leaf", "leaf");

	/* Plain, across directories; over an existing file. */
	FK_CHECK_EQ(L->ops->rename(L, a, "one", b, "uno", 0), 0);
	FK_CHECK_EQ(lookup_(a, "one", NULL), -ENOENT);
	struct fk_layer_node *n = NULL;
	char buf[256];
	FK_CHECK_EQ(L->ops->lookup(L, b, "uno", &n, NULL), 0);
	FK_CHECK(n && !strcmp(read_(n, buf), "1"));
	fk_layer_put(L, n);
	FK_CHECK_EQ(L->ops->rename(L, a, "two", b, "uno", 0), 0);
	FK_CHECK_EQ(L->ops->lookup(L, b, "uno", &n, NULL), 0);
	FK_CHECK(n && !strcmp(read_(n, buf), "2"));
	fk_layer_put(L, n);

	/* NOREPLACE and EXCHANGE. */
	FK_CHECK_EQ(L->ops->rename(L, b, "uno", b, "three", FK_RENAME_NOREPLACE), -EEXIST);
	FK_CHECK_EQ(L->ops->rename(L, b, "uno", a, "sub", FK_RENAME_EXCHANGE), 0);
	struct fk_layer_stat st;
	FK_CHECK_EQ(lookup_(a, "sub", &st), 0);
	FK_CHECK(S_ISREG(st.attr.mode));
	FK_CHECK_EQ(lookup_(b, "uno", &st), 0);
	FK_CHECK(S_ISDIR(st.attr.mode));
	FK_CHECK_EQ(L->ops->rename(L, b, "nothing", a, "sub", FK_RENAME_EXCHANGE), -ENOENT);

	/* A held handle below a renamed directory still works. */
	FK_CHECK(!strcmp(read_(leaf, buf), "leaf"));
	FK_CHECK_EQ(L->ops->getattr(L, leaf, &st), 0);
	FK_CHECK_EQ(lookup_(deep, "leaf", NULL), 0);

	/* A directory to another parent: both link counts follow. */
	struct fk_layer_stat before_a, before_b, after_a, after_b;
	FK_CHECK_EQ(L->ops->getattr(L, a, &before_a), 0);
	FK_CHECK_EQ(L->ops->getattr(L, b, &before_b), 0);
	FK_CHECK_EQ(L->ops->mkdir(L, a, "mover", 0755, &me, NULL, NULL), 0);
	FK_CHECK_EQ(L->ops->rename(L, a, "mover", b, "moved", 0), 0);
	FK_CHECK_EQ(L->ops->getattr(L, a, &after_a), 0);
	FK_CHECK_EQ(L->ops->getattr(L, b, &after_b), 0);
	FK_CHECK_EQ(after_a.attr.nlink, before_a.attr.nlink);
	FK_CHECK_EQ(after_b.attr.nlink, before_b.attr.nlink + 1);
	FK_CHECK_EQ(L->ops->rmdir(L, b, "moved"), 0);
	FK_CHECK_EQ(L->ops->getattr(L, b, &after_b), 0);
	FK_CHECK_EQ(after_b.attr.nlink, before_b.attr.nlink);

	/* A directory into itself; kinds that do not fit. */
	FK_CHECK_EQ(L->ops->rename(L, b, "uno", deep, "x", 0), -EINVAL);
	FK_CHECK_EQ(L->ops->rename(L, b, "three", b, "uno", 0), -EISDIR);
	FK_CHECK_EQ(L->ops->rename(L, b, "uno", b, "three", 0), -ENOTDIR);
	fk_layer_put(L, mkdir_(R, "full"));
	struct fk_layer_node *full = NULL;
	FK_CHECK_EQ(L->ops->lookup(L, R, "full", &full, NULL), 0);
	fk_layer_put(L, file_(full, "x", ""));
	/* POSIX allows either (XFS says EEXIST, ext4 and tmpfs ENOTEMPTY). */
	int rc = L->ops->rename(L, R, "b", R, "full", 0);
	FK_CHECK(rc == -ENOTEMPTY || rc == -EEXIST);
	/* Over an empty directory. */
	fk_layer_put(L, mkdir_(R, "empty"));
	FK_CHECK_EQ(L->ops->rename(L, R, "b", R, "empty", 0), 0);
	FK_CHECK_EQ(lookup_(R, "b", NULL), -ENOENT);
	FK_CHECK_EQ(lookup_(R, "empty", &st), 0);
	FK_CHECK(S_ISDIR(st.attr.mode));
	/* Root's link count: ".", a, full, empty, and its own entry. */
	FK_CHECK_EQ(L->ops->getattr(L, R, &st), 0);
	FK_CHECK_EQ(st.attr.nlink, 5);

	fk_layer_put(L, full);
	fk_layer_put(L, leaf);
	fk_layer_put(L, deep);
	fk_layer_put(L, sub);
	fk_layer_put(L, a);
	fk_layer_put(L, b);
	layer_close();
}

static void test_setattr(void)
{
	layer_open();
	struct fk_layer_node *f = file_(R, "f", "0123456789");
	struct fk_setattr_in in;
	memset(&in, 0, sizeof in);
	in.valid = FK_SET_MODE | FK_SET_SIZE | FK_SET_MTIME | FK_SET_ATIME;
	in.mode = 0600;
	in.size = 4;
	in.atime = (struct timespec){ 1000000000, 5 };
	in.mtime = (struct timespec){ 1200000000, 7 };
	struct fk_layer_stat st;
	FK_CHECK_EQ(L->ops->setattr(L, f, &in, &st), 0);
	FK_CHECK_EQ(st.attr.mode, S_IFREG | 0600);
	FK_CHECK_EQ(st.attr.size, 4);
	FK_CHECK_EQ(st.attr.mtime.tv_sec, 1200000000);
	FK_CHECK_EQ(st.attr.mtime.tv_nsec, 7);
	FK_CHECK_EQ(st.attr.atime.tv_sec, 1000000000);
	/* Only atime: mtime is left alone. */
	in.valid = FK_SET_ATIME;
	in.atime = (struct timespec){ 1100000000, 0 };
	FK_CHECK_EQ(L->ops->setattr(L, f, &in, &st), 0);
	FK_CHECK_EQ(st.attr.atime.tv_sec, 1100000000);
	FK_CHECK_EQ(st.attr.mtime.tv_sec, 1200000000);
	char buf[256];
	FK_CHECK(!strcmp(read_(f, buf), "0123"));
	/* Truncate through open(O_TRUNC). */
	int fd = L->ops->open(L, f, O_WRONLY | O_TRUNC);
	FK_CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	FK_CHECK_EQ(L->ops->getattr(L, f, &st), 0);
	FK_CHECK_EQ(st.attr.size, 0);
	/* Set-id bits: FK_SET_KILL_SUIDGID drops set-user-ID, and
	 * set-group-ID where group-executable; so does a chown. */
	in.valid = FK_SET_MODE;
	in.mode = 06755;
	FK_CHECK_EQ(L->ops->setattr(L, f, &in, &st), 0);
	in.valid = FK_SET_KILL_SUIDGID;
	FK_CHECK_EQ(L->ops->setattr(L, f, &in, &st), 0);
	FK_CHECK_EQ(st.attr.mode, S_IFREG | 0755);
	in.valid = FK_SET_MODE;
	in.mode = 06745; /* set-group-ID without group execute stays */
	FK_CHECK_EQ(L->ops->setattr(L, f, &in, &st), 0);
	in.valid = FK_SET_KILL_SUIDGID;
	FK_CHECK_EQ(L->ops->setattr(L, f, &in, &st), 0);
	FK_CHECK_EQ(st.attr.mode, S_IFREG | 02745);
	in.valid = FK_SET_MODE;
	in.mode = 06755;
	FK_CHECK_EQ(L->ops->setattr(L, f, &in, &st), 0);
	in.valid = FK_SET_UID | FK_SET_GID;
	in.uid = st.attr.uid;
	in.gid = st.attr.gid;
	FK_CHECK_EQ(L->ops->setattr(L, f, &in, &st), 0);
	FK_CHECK_EQ(st.attr.mode, S_IFREG | 0755);
	fk_layer_put(L, f);
	layer_close();
}

static void test_xattr(void)
{
	layer_open();
	struct fk_layer_node *f = file_(R, "f", "");
	char buf[256];
	FK_CHECK_EQ(L->ops->setxattr(L, f, "user.a", "value", 5, 0), 0);
	FK_CHECK_EQ(L->ops->setxattr(L, f, "user.b", "", 0, 0), 0);
	FK_CHECK_EQ(L->ops->getxattr(L, f, "user.a", NULL, 0), 5);
	FK_CHECK_EQ(L->ops->getxattr(L, f, "user.a", buf, sizeof buf), 5);
	FK_CHECK(!memcmp(buf, "value", 5));
	FK_CHECK_EQ(L->ops->getxattr(L, f, "user.a", buf, 2), -ERANGE);
	FK_CHECK_EQ(L->ops->getxattr(L, f, "user.none", buf, sizeof buf), -ENODATA);
	FK_CHECK_EQ(L->ops->setxattr(L, f, "user.a", "x", 1, XATTR_CREATE), -EEXIST);
	FK_CHECK_EQ(L->ops->setxattr(L, f, "user.c", "x", 1, XATTR_REPLACE), -ENODATA);
	int len = L->ops->listxattr(L, f, buf, sizeof buf);
	/* The host may list security.* names of its own: look for ours. */
	int found = 0;
	for (int at = 0; at < len; at += (int)strlen(buf + at) + 1)
		found += !strcmp(buf + at, "user.a") || !strcmp(buf + at, "user.b");
	FK_CHECK_EQ(found, 2);
	FK_CHECK_EQ(L->ops->listxattr(L, f, NULL, 0), len);
	FK_CHECK_EQ(L->ops->listxattr(L, f, buf, 1), -ERANGE);
	FK_CHECK_EQ(L->ops->removexattr(L, f, "user.a"), 0);
	FK_CHECK_EQ(L->ops->removexattr(L, f, "user.a"), -ENODATA);
	FK_CHECK_EQ(L->ops->getxattr(L, f, "user.a", buf, sizeof buf), -ENODATA);
	fk_layer_put(L, f);
	layer_close();
}

static void test_whiteouts(void)
{
	for (int format = FK_LAYER_WH_CHARDEV; format <= FK_LAYER_WH_OCI; format++) {
		layer_open();
		L->whiteout = (enum fk_layer_whiteout)format;
		struct fk_layer_node *d = mkdir_(R, "d");
		struct fk_layer_stat st;
		FK_CHECK_EQ(fk_layer_whiteout_create(L, d, "gone", &me), 0);
		int rc = lookup_(d, "gone", &st);
		FK_CHECK_EQ(fk_layer_whiteout_test(L, d, "gone", rc ? NULL : &st), 1);
		if (format == FK_LAYER_WH_CHARDEV) {
			FK_CHECK_EQ(rc, 0);
			FK_CHECK(S_ISCHR(st.attr.mode));
			FK_CHECK_EQ(st.attr.rdev, 0);
		} else {
			FK_CHECK_EQ(rc, -ENOENT);
			FK_CHECK_EQ(lookup_(d, ".wh.gone", NULL), 0);
			FK_CHECK(fk_layer_is_marker_name(L, ".wh.gone"));
		}
		FK_CHECK(!fk_layer_is_marker_name(L, "gone"));
		/* A real file is not a whiteout, and is not deleted as one. */
		fk_layer_put(L, file_(d, "real", ""));
		FK_CHECK_EQ(lookup_(d, "real", &st), 0);
		FK_CHECK_EQ(fk_layer_whiteout_test(L, d, "real", &st), 0);
		FK_CHECK_EQ(fk_layer_whiteout_delete(L, d, "real"), -ENOENT);
		FK_CHECK_EQ(lookup_(d, "real", NULL), 0);
		/* A char device that is not 0/0 is not one either. */
		if (format == FK_LAYER_WH_CHARDEV && geteuid() == 0) {
			FK_CHECK_EQ(L->ops->mknod(L, d, "tty", S_IFCHR | 0600,
						  makedev(5, 0), &me, NULL, &st), 0);
			FK_CHECK_EQ(fk_layer_whiteout_test(L, d, "tty", &st), 0);
		}
		FK_CHECK_EQ(fk_layer_whiteout_delete(L, d, "gone"), 0);
		rc = lookup_(d, "gone", &st);
		FK_CHECK_EQ(rc, -ENOENT);
		FK_CHECK_EQ(fk_layer_whiteout_test(L, d, "gone", NULL), 0);
		FK_CHECK_EQ(fk_layer_whiteout_delete(L, d, "gone"), -ENOENT);

		/* Opaque directories. */
		FK_CHECK_EQ(fk_layer_opaque_test(L, d), 0);
		FK_CHECK_EQ(fk_layer_opaque_set(L, d, &me), 0);
		FK_CHECK_EQ(fk_layer_opaque_test(L, d), 1);
		FK_CHECK_EQ(fk_layer_opaque_set(L, d, &me), 0); /* twice is fine */
		char x[64];
		snprintf(x, sizeof x, "%sopaque", L->xattr_prefix);
		FK_CHECK(fk_layer_is_marker_xattr(L, x));
		FK_CHECK(fk_layer_is_marker_xattr(L, "user.fuseoverlayfs.opaque"));
		FK_CHECK(!fk_layer_is_marker_xattr(L, "user.mine"));
		if (format == FK_LAYER_WH_CHARDEV) {
			/* Older fuse-overlayfs's marker is read too. */
			struct fk_layer_node *e = mkdir_(R, "e");
			FK_CHECK_EQ(L->ops->setxattr(L, e, "user.fuseoverlayfs.opaque",
						     "y", 1, 0), 0);
			FK_CHECK_EQ(fk_layer_opaque_test(L, e), 1);
			fk_layer_put(L, e);
		}
		fk_layer_put(L, d);
		layer_close();
	}
}

/* Every layer reads what the other format wrote: container tools stack
 * layers of both kinds under one mount. */
static void test_whiteouts_read_in_every_format(void)
{
	for (int format = FK_LAYER_WH_CHARDEV; format <= FK_LAYER_WH_OCI; format++) {
		layer_open();
		int other = format == FK_LAYER_WH_CHARDEV ? FK_LAYER_WH_OCI
							  : FK_LAYER_WH_CHARDEV;
		struct fk_layer_node *d = mkdir_(R, "d"), *o = mkdir_(R, "o");
		struct fk_layer_stat st;
		/* Written in the other format... */
		L->whiteout = (enum fk_layer_whiteout)other;
		FK_CHECK_EQ(fk_layer_whiteout_create(L, d, "gone", &me), 0);
		FK_CHECK_EQ(fk_layer_opaque_set(L, o, &me), 0);
		/* ...read in this one. */
		L->whiteout = (enum fk_layer_whiteout)format;
		int rc = lookup_(d, "gone", &st);
		FK_CHECK_EQ(fk_layer_whiteout_test(L, d, "gone", rc ? NULL : &st), 1);
		FK_CHECK_EQ(fk_layer_opaque_test(L, o), 1);
		FK_CHECK(fk_layer_is_marker_name(L, ".wh.gone"));
		FK_CHECK(fk_layer_is_marker_name(L, FK_LAYER_OCI_OPAQUE));
		/* Removing it removes whichever there is, both when both. */
		FK_CHECK_EQ(fk_layer_whiteout_create(L, d, "both", &me), 0);
		L->whiteout = (enum fk_layer_whiteout)other;
		FK_CHECK_EQ(fk_layer_whiteout_create(L, d, "both", &me), 0);
		FK_CHECK_EQ(fk_layer_whiteout_delete(L, d, "gone"), 0);
		FK_CHECK_EQ(fk_layer_whiteout_delete(L, d, "both"), 0);
		L->whiteout = (enum fk_layer_whiteout)format;
		FK_CHECK_EQ(lookup_(d, "gone", NULL), -ENOENT);
		FK_CHECK_EQ(lookup_(d, "both", NULL), -ENOENT);
		FK_CHECK_EQ(lookup_(d, ".wh.gone", NULL), -ENOENT);
		FK_CHECK_EQ(lookup_(d, ".wh.both", NULL), -ENOENT);
		FK_CHECK_EQ(fk_layer_whiteout_delete(L, d, "both"), -ENOENT);
		/* An OCI whiteout beside its own name hides only what is
		 * below: the object is not a whiteout. */
		fk_layer_put(L, file_(d, "kept", ""));
		L->whiteout = FK_LAYER_WH_OCI;
		FK_CHECK_EQ(fk_layer_whiteout_create(L, d, "kept", &me), 0);
		L->whiteout = (enum fk_layer_whiteout)format;
		FK_CHECK_EQ(lookup_(d, "kept", &st), 0);
		FK_CHECK_EQ(fk_layer_whiteout_test(L, d, "kept", &st), 0);
		/* Each opaque mark alone is read: every xattr that says so. */
		const char *marks[] = { "user.overlay.opaque",
					"user.fuseoverlayfs.opaque",
					geteuid() == 0 ? "trusted.overlay.opaque" : NULL };
		for (int i = 0; i < 3 && marks[i]; i++) {
			char name[8];
			snprintf(name, sizeof name, "x%d", i);
			struct fk_layer_node *x = mkdir_(R, name);
			FK_CHECK_EQ(fk_layer_opaque_test(L, x), 0);
			rc = L->ops->setxattr(L, x, marks[i], "y", 1, 0);
			if (rc == 0)
				FK_CHECK_EQ(fk_layer_opaque_test(L, x), 1);
			else /* a host without them: tmpfs before 6.6 */
				FK_CHECK_EQ(rc, -EOPNOTSUPP);
			FK_CHECK(fk_layer_is_marker_xattr(L, marks[i]));
			fk_layer_put(L, x);
		}
		fk_layer_put(L, d);
		fk_layer_put(L, o);
		layer_close();
	}
}

/* Objects belong to the cred given, atomically; needs root to show. */
static void test_owner(void)
{
	if (geteuid() != 0) {
		printf("  (owner: skipped, needs root)\n");
		return;
	}
	layer_open();
	const struct fk_layer_cred c = { .uid = 1234, .gid = 5678 };
	struct fk_layer_stat st;
	struct fk_layer_node *d = NULL;
	FK_CHECK_EQ(L->ops->mkdir(L, R, "d", 0700, &c, &d, &st), 0);
	FK_CHECK_EQ(st.attr.uid, 1234);
	FK_CHECK_EQ(st.attr.gid, 5678);
	/* Inside a 0700 directory of another user: the layer never checks
	 * permissions, the filesystem on top did. */
	const struct fk_layer_cred c2 = { .uid = 4321, .gid = 8765 };
	int fd = L->ops->create(L, d, "f", O_RDWR, 0600, &c2, NULL, &st);
	FK_CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	FK_CHECK_EQ(st.attr.uid, 4321);
	FK_CHECK_EQ(st.attr.gid, 8765);
	FK_CHECK_EQ(L->ops->symlink(L, d, "s", "t", &c2, NULL, &st), 0);
	FK_CHECK_EQ(st.attr.uid, 4321);
	FK_CHECK_EQ(L->ops->mknod(L, d, "n", S_IFCHR, 0, &c2, NULL, &st), 0);
	FK_CHECK_EQ(st.attr.uid, 4321);
	FK_CHECK_EQ(st.attr.gid, 8765);
	/* chown through setattr. */
	struct fk_setattr_in in;
	memset(&in, 0, sizeof in);
	in.valid = FK_SET_UID;
	in.uid = 42;
	FK_CHECK_EQ(L->ops->setattr(L, d, &in, &st), 0);
	FK_CHECK_EQ(st.attr.uid, 42);
	FK_CHECK_EQ(st.attr.gid, 5678);
	if (!strcmp(layer_kind, "pt-lazy-override")) {
		/* On the host: the daemon's, mode | 0755; the owners and modes
		 * asked for are in the xattr. (Symlinks and devices carry none:
		 * they are made as their owners, as in every layer.) */
		char p[PATH_MAX + 16], v[64] = "";
		struct stat hs;
		snprintf(p, sizeof p, "%s/d/f", rootdir);
		FK_CHECK_EQ(lstat(p, &hs), 0);
		FK_CHECK_EQ(hs.st_uid, 0);
		FK_CHECK_EQ(hs.st_mode & 0777, 0755);
		FK_CHECK(lgetxattr(p, "user.fuseoverlayfs.override_stat", v,
				   sizeof v - 1) > 0);
		FK_CHECK(!strcmp(v, "4321:8765:600"));
		snprintf(p, sizeof p, "%s/d", rootdir);
		memset(v, 0, sizeof v);
		FK_CHECK(lgetxattr(p, "user.fuseoverlayfs.override_stat", v,
				   sizeof v - 1) > 0);
		FK_CHECK(!strcmp(v, "42:5678:700"));
		FK_CHECK_EQ(lstat(p, &hs), 0);
		FK_CHECK_EQ(hs.st_uid, 0);
	}
	fk_layer_put(L, d);
	/* The daemon's own identity is back. */
	FK_CHECK_EQ(L->ops->mkdir(L, R, "mine", 0755, &me, NULL, &st), 0);
	FK_CHECK_EQ(st.attr.uid, 0);
	layer_close();
}

/* The optional ops: host path and clone, where the layer has them. */
static void test_optional(void)
{
	layer_open();
	struct fk_layer_node *f = file_(R, "src", "cloned bytes");
	if (L->ops->host_path) {
		char p[PATH_MAX], want[PATH_MAX + 16];
		FK_CHECK(L->ops->host_path(L, f, p, sizeof p) > 0);
		snprintf(want, sizeof want, "%s/src", rootdir);
		FK_CHECK(!strcmp(p, want));
		FK_CHECK_EQ(L->ops->host_path(L, f, p, 3), -ERANGE);
	}
	if (L->ops->clone_file) {
		int src = L->ops->open(L, f, O_RDONLY);
		struct fk_layer_node *c = NULL;
		struct fk_layer_stat st;
		int fd = L->ops->clone_file(L, R, "copy", src, 0640, &me, &c, &st);
		/* FK_TEST_REFLINK=1: the test directory is on a filesystem
		 * that reflinks (tests/mount/reflink.sh), so only a layer that
		 * keeps owners in xattrs may refuse. */
		int must = getenv("FK_TEST_REFLINK") &&
			   strcmp(layer_kind, "pt-lazy-override") != 0;
		if (fd == -EOPNOTSUPP || fd == -EXDEV) {
			/* This host cannot reflink here: nothing was made. */
			FK_CHECK(!must);
			FK_CHECK_EQ(lookup_(R, "copy", NULL), -ENOENT);
			printf("  (clone: %s cannot reflink; refusal checked)\n",
			       layer_kind);
		} else {
			FK_CHECK(fd >= 0);
			FK_CHECK_EQ(st.attr.size, 12);
			FK_CHECK_EQ(st.attr.mode & 07777, 0640);
			char buf[256];
			FK_CHECK(c && !strcmp(read_(c, buf), "cloned bytes"));
			if (fd >= 0)
				close(fd);
			fk_layer_put(L, c);
		}
		if (must && geteuid() == 0) {
			/* Another owner's clone: its owner, then its exact mode
			 * (set-id bits too, which the chown would clear). */
			const struct fk_layer_cred other = { .uid = 1234, .gid = 5678 };
			memset(&st, 0, sizeof st);
			fd = L->ops->clone_file(L, R, "theirs", src, 06750, &other,
						NULL, &st);
			FK_CHECK(fd >= 0);
			FK_CHECK_EQ(st.attr.uid, 1234);
			FK_CHECK_EQ(st.attr.gid, 5678);
			FK_CHECK_EQ(st.attr.mode & 07777, 06750);
			if (fd >= 0)
				close(fd);
			/* A name taken is refused, and what has it stays. */
			FK_CHECK_EQ(L->ops->clone_file(L, R, "theirs", src, 0600, &me,
						       NULL, NULL), -EEXIST);
			FK_CHECK_EQ(lookup_(R, "theirs", &st), 0);
			FK_CHECK_EQ(st.attr.uid, 1234);
		}
		if (src >= 0)
			close(src);
	}
	if (L->ops->tmpfile) {
		struct fk_layer_node *t = NULL;
		int fd = L->ops->tmpfile(L, R, O_RDWR, 0600, &me, &t, NULL);
		FK_CHECK(fd >= 0 && t);
		if (fd >= 0) {
			FK_CHECK_EQ(write(fd, "unnamed", 7), 7);
			close(fd);
		}
		FK_CHECK_EQ(L->ops->link(L, t, R, "named", NULL), 0);
		struct fk_layer_node *named = NULL;
		char buf[256];
		FK_CHECK_EQ(L->ops->lookup(L, R, "named", &named, NULL), 0);
		FK_CHECK(named && !strcmp(read_(named, buf), "unnamed"));
		fk_layer_put(L, named);
		fk_layer_put(L, t);
	}
	struct fk_statfs sf;
	FK_CHECK_EQ(L->ops->statfs(L, &sf), 0);
	FK_CHECK(sf.blocks > 0 && sf.namelen >= 255);
	FK_CHECK_EQ(L->ops->sync(L), 0);
	fk_layer_put(L, f);
	layer_close();
}

/* Objects built in the work directory and renamed into the tree. */
static void test_work(void)
{
	layer_open();
	struct fk_layer_node *w = NULL;
	FK_CHECK_EQ(L->ops->work(L, &w), 0);
	if (!w) {
		layer_close();
		return;
	}
	struct fk_layer_node *f = file_(w, "#tmp", "staged");
	struct fk_layer_node *d = mkdir_(w, "#dir");
	struct fk_layer_node *deep = mkdir_(d, "deep");
	struct fk_layer_node *inner = file_(deep, "inner", "below");
	FK_CHECK_EQ(lookup_(R, "#tmp", NULL), -ENOENT);
	FK_CHECK_EQ(L->ops->rename(L, w, "#tmp", R, "final", FK_RENAME_NOREPLACE), 0);
	FK_CHECK_EQ(L->ops->rename(L, w, "#dir", R, "dir", 0), 0);
	char buf[256];
	struct fk_layer_node *g = NULL;
	FK_CHECK_EQ(L->ops->lookup(L, R, "final", &g, NULL), 0);
	FK_CHECK(g && !strcmp(read_(g, buf), "staged"));
	FK_CHECK(!strcmp(read_(f, buf), "staged")); /* held handles follow */
	FK_CHECK(!strcmp(read_(inner, buf), "below"));
	struct fk_layer_dir *ld;
	struct fk_layer_dirent e;
	FK_CHECK_EQ(L->ops->opendir(L, w, &ld), 0);
	FK_CHECK_EQ(L->ops->readdir(L, ld, &e), 0); /* work is empty again */
	L->ops->closedir(L, ld);
	if (strcmp(layer_kind, "mem")) {
		char err[256];
		FK_CHECK_EQ(fk_pt_layer_set_work(L, tmpdir, err, sizeof err), -EEXIST);
	}
	struct fk_layer_node *all[] = { g, inner, deep, d, f, w };
	for (size_t i = 0; i < sizeof all / sizeof *all; i++)
		fk_layer_put(L, all[i]);
	layer_close();
}

/* What fk_pt_layer_set_work refuses. */
static void test_work_refused(void)
{
	if (!strcmp(layer_kind, "mem"))
		return;
	char dir[] = "/tmp/fk-layer-work.XXXXXX", sub[64], err[256];
	FK_CHECK(mkdtemp(dir) != NULL);
	snprintf(sub, sizeof sub, "%s/w", dir);
	struct fk_pt_options o;
	fk_pt_options_init(&o);
	struct fk_layer *l;
	FK_CHECK_EQ(fk_pt_layer_new(&l, dir, &o, err, sizeof err), 0);
	FK_CHECK_EQ(fk_pt_layer_set_work(l, sub, err, sizeof err), -ENOENT);
	FK_CHECK_EQ(fk_pt_layer_set_work(l, dir, err, sizeof err), -EINVAL);
	FK_CHECK(strstr(err, "is the layer itself") != NULL);
	if (access("/dev/shm", F_OK) == 0 && mkdir(sub, 0755) == 0) {
		FK_CHECK_EQ(fk_pt_layer_set_work(l, "/dev/shm", err, sizeof err),
			    -EXDEV);
		rmdir(sub);
	}
	struct fk_layer_node *w;
	FK_CHECK_EQ(l->ops->work(l, &w), -ENOTSUP);
	fk_layer_free(l);
	rmdir(dir);
}

static const struct fk_test tests[] = {
	FK_TEST(test_entries), FK_TEST(test_remove),    FK_TEST(test_readdir),
	FK_TEST(test_rename),  FK_TEST(test_setattr),   FK_TEST(test_xattr),
	FK_TEST(test_whiteouts), FK_TEST(test_whiteouts_read_in_every_format),
	FK_TEST(test_owner),   FK_TEST(test_optional),
	FK_TEST(test_work),    FK_TEST(test_work_refused),
};

int main(void)
{
	static const char *const kinds[] = { "mem", "pt-fd", "pt-handle", "pt-lazy",
					     "pt-lazy-override" };
	int rc = 0;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		layer_kind = kinds[i];
		printf("== layer %s\n", layer_kind);
		rc |= fk_test_main(tests, sizeof tests / sizeof tests[0]);
	}
	return rc;
}
