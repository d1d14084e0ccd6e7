/*
 * ctlist.c — print a container's tree so that two of them can be diffed:
 * one line per path, sorted, with everything an image carries and nothing
 * that differs between two correct builds (no times, no inode numbers).
 *
 *     ctlist [ROOT]        (default /)
 *
 *     PATH TYPE MODE UID:GID DETAIL [links=N =FIRST] [xattr NAME=HEX...]
 *
 * DETAIL: a regular file's size and a 64-bit FNV-1a hash of its bytes; a
 * symlink's target; a device's major:minor. A file with more names shows
 * its link count, and every name after the first (in sorted order) names
 * the first, so hard links are compared too. Built static, it runs in any
 * image; tests/containers/podman.sh puts it in the base image.
 *
 * What the runtime mounts into a container (/proc, /sys, /dev, /run,
 * /etc/hosts, /etc/hostname, /etc/resolv.conf) and anything on another
 * device than ROOT is left out.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

struct seen {
	dev_t dev;
	ino_t ino;
	char *first;
};

static struct seen *seen;
static size_t nseen, capseen;
static dev_t root_dev;
static int failures;

static const char *const skipped[] = {
	"/proc", "/sys", "/dev", "/run", "/etc/hosts", "/etc/hostname",
	"/etc/resolv.conf", "/.containerenv",
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void fail(const char *what, const char *path)
{
	fprintf(stderr, "ctlist: %s: %s: %m\n", what, path);
	failures++;
}

static uint64_t hash_file(const char *path)
{
	uint64_t h = 1469598103934665603ULL;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		fail("open", path);
		return 0;
	}
	unsigned char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++)
			h = (h ^ buf[i]) * 1099511628211ULL;
	if (n < 0)
		fail("read", path);
	close(fd);
	return h;
}

static void print_xattrs(const char *path)
{
	char list[65536];
	ssize_t n = llistxattr(path, list, sizeof list);
	if (n < 0)
		return; /* none, or not supported here: nothing to show */
	char *names[1024];
	int k = 0;
	for (ssize_t at = 0; at < n && k < 1024; at += (ssize_t)strlen(list + at) + 1)
		names[k++] = list + at;
	qsort(names, (size_t)k, sizeof *names, cmp_str);
	for (int i = 0; i < k; i++) {
		unsigned char v[4096];
		ssize_t len = lgetxattr(path, names[i], v, sizeof v);
		printf(" xattr %s=", names[i]);
		for (ssize_t j = 0; j < len; j++)
			printf("%02x", v[j]);
	}
}

static const char *first_name(const struct stat *st, const char *path)
{
	for (size_t i = 0; i < nseen; i++)
		if (seen[i].dev == st->st_dev && seen[i].ino == st->st_ino)
			return seen[i].first;
	if (nseen == capseen) {
		capseen = capseen ? capseen * 2 : 64;
		seen = realloc(seen, capseen * sizeof *seen);
		if (!seen)
			abort();
	}
	seen[nseen++] = (struct seen){ st->st_dev, st->st_ino, strdup(path) };
	return NULL;
}

static void entry(const char *path, const char *shown)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		fail("lstat", path);
		return;
	}
	char type = S_ISREG(st.st_mode) ? 'f' : S_ISDIR(st.st_mode) ? 'd'
		    : S_ISLNK(st.st_mode) ? 'l' : S_ISCHR(st.st_mode) ? 'c'
		    : S_ISBLK(st.st_mode) ? 'b' : S_ISFIFO(st.st_mode) ? 'p' : 's';
	printf("%s %c %04o %u:%u", shown, type, (unsigned)(st.st_mode & 07777),
	       (unsigned)st.st_uid, (unsigned)st.st_gid);
	if (type == 'f') {
		printf(" %lld %016" PRIx64, (long long)st.st_size, hash_file(path));
	} else if (type == 'l') {
		char target[4096];
		ssize_t n = readlink(path, target, sizeof target - 1);
		target[n < 0 ? 0 : n] = 0;
		printf(" -> %s", target);
	} else if (type == 'c' || type == 'b') {
		printf(" %u:%u", major(st.st_rdev), minor(st.st_rdev));
	}
	if (type != 'd' && st.st_nlink > 1) {
		const char *first = first_name(&st, shown);
		printf(" links=%lu", (unsigned long)st.st_nlink);
		if (first)
			printf(" =%s", first);
	}
	print_xattrs(path);
	putchar('\n');
}

static int is_skipped(const char *shown)
{
	for (size_t i = 0; i < sizeof skipped / sizeof *skipped; i++)
		if (!strcmp(shown, skipped[i]))
			return 1;
	return 0;
}

/* path: on the host; shown: from the root of the listing. */
static void walk(const char *path, const char *shown)
{
	DIR *d = opendir(path);
	if (!d) {
		fail("opendir", path);
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			names = realloc(names, cap * sizeof *names);
			if (!names)
				abort();
		}
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n; i++) {
		char p[8192], s[8192];
		snprintf(p, sizeof p, "%s/%s", path, names[i]);
		snprintf(s, sizeof s, "%s/%s", strcmp(shown, "/") ? shown : "",
			 names[i]);
		struct stat st;
		if (is_skipped(s) || lstat(p, &st) < 0 || st.st_dev != root_dev) {
			free(names[i]);
			continue;
		}
		entry(p, s);
		if (S_ISDIR(st.st_mode))
			walk(p, s);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	const char *root = argc > 1 ? argv[1] : "/";
	struct stat st;
	if (lstat(root, &st) < 0) {
		fail("lstat", root);
		return 1;
	}
	root_dev = st.st_dev;
	entry(root, "/");
	walk(root, "/");
	return failures ? 1 : 0;
}
