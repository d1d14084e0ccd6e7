/*
 * test_pt_export.c — the passthrough answering the kernel's lookups of
 * "." and ".." (FUSE_EXPORT_SUPPORT, pt_export.c) over the fake kernel:
 * a node id taken from the host's handle names its inode again after a
 * FORGET, and in a new daemon; ".." leads up to SOURCE and no further;
 * an id made from a directory outside SOURCE, or of a removed file, is
 * ESTALE. Root only (decoding host handles needs CAP_DAC_READ_SEARCH):
 * exit 77 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fusekit/fk_passthrough.h>

#include "fake_kernel.h"
#include "fk_test.h"

static char top[64], src[96];
static struct fk_pt *pt;
static struct fake_kernel k;

static int start(void)
{
	struct fk_pt_options o;
	fk_pt_options_init(&o);
	char err[256];
	if (fk_pt_new(&pt, src, &o, err, sizeof err)) {
		fprintf(stderr, "fk_pt_new: %s\n", err);
		return -1;
	}
	struct fake_opts fo = { FK_DIALECT_LINUX, 45, 0, 1, NULL };
	return fake_start(&k, fk_pt_ops(), pt, &fo);
}

static void stop(void)
{
	FK_CHECK_EQ(fake_stop(&k), 0);
	fk_pt_free(pt);
}

/* LOOKUP name in node parent: the reply's error, the entry in *e. */
static int lookup(uint64_t parent, const char *name, struct fk_wire_entry_out *e)
{
	size_t len = 0;
	struct iovec p = IOVS(name);
	memset(e, 0, sizeof *e);
	int rc = fake_call(&k, FK_OP_LOOKUP, parent, &p, 1, e, sizeof *e, &len);
	if (rc == 0)
		FK_CHECK_EQ(len, sizeof *e);
	return rc;
}

static void forget(uint64_t id, uint64_t n)
{
	struct fk_wire_forget_in in = { n };
	struct iovec p = IOV(&in, sizeof in);
	(void)fake_send(&k, FK_OP_FORGET, id, &p, 1); /* no reply */
}

/* The node id the passthrough derives from path's host handle: its 8
 * bytes (the filesystems the test runs on have 8-byte handles). */
static uint64_t derived_id(const char *path)
{
	struct file_handle *h = malloc(sizeof *h + MAX_HANDLE_SZ);
	h->handle_bytes = MAX_HANDLE_SZ;
	int mnt;
	uint64_t id = 0;
	if (name_to_handle_at(AT_FDCWD, path, h, &mnt, 0) == 0 && h->handle_bytes >= 8)
		memcpy(&id, h->f_handle, 8);
	free(h);
	return id;
}

static void test_dots(void)
{
	struct fk_wire_entry_out d, f, e;
	FK_CHECK_EQ(start(), 0);
	FK_CHECK_EQ(lookup(FK_ROOT_INO, "d", &d), 0);
	FK_CHECK_EQ(lookup(d.nodeid, "f", &f), 0);
	char p[160];
	snprintf(p, sizeof p, "%s/d/f", src);
	FK_CHECK_EQ(f.nodeid, derived_id(p));
	FK_CHECK_EQ(f.generation, 1);
	/* "." of a known node: itself */
	FK_CHECK_EQ(lookup(f.nodeid, ".", &e), 0);
	FK_CHECK_EQ(e.nodeid, f.nodeid);
	/* forgotten: found again from its id alone */
	forget(f.nodeid, 2);
	FK_CHECK_EQ(lookup(f.nodeid, ".", &e), 0);
	FK_CHECK_EQ(e.nodeid, f.nodeid);
	FK_CHECK_EQ(e.attr.ino, f.attr.ino);
	/* ".." of d is SOURCE, whose own ".." is itself */
	FK_CHECK_EQ(lookup(d.nodeid, "..", &e), 0);
	FK_CHECK_EQ(e.nodeid, FK_ROOT_INO);
	FK_CHECK_EQ(e.generation, 0);
	FK_CHECK_EQ(lookup(FK_ROOT_INO, "..", &e), 0);
	FK_CHECK_EQ(e.nodeid, FK_ROOT_INO);
	/* a directory outside SOURCE, on its filesystem: never a node */
	snprintf(p, sizeof p, "%s/outside", top);
	FK_CHECK_EQ(lookup(derived_id(p), ".", &e), -ESTALE);
	/* an id no inode has */
	FK_CHECK_EQ(lookup(0x7fffffff00000123ULL, ".", &e), -ESTALE);
	stop();

	/* A new daemon: the same ids name the same inodes. */
	FK_CHECK_EQ(start(), 0);
	FK_CHECK_EQ(lookup(f.nodeid, ".", &e), 0);
	FK_CHECK_EQ(e.nodeid, f.nodeid);
	FK_CHECK_EQ(lookup(d.nodeid, ".", &e), 0);
	FK_CHECK_EQ(e.nodeid, d.nodeid);
	/* removed: ESTALE */
	snprintf(p, sizeof p, "%s/d/f", src);
	FK_CHECK_EQ(unlink(p), 0);
	forget(f.nodeid, 1);
	FK_CHECK_EQ(lookup(f.nodeid, ".", &e), -ESTALE);
	stop();
}

int main(void)
{
	if (geteuid() != 0) {
		printf("SKIP: decoding host handles needs root\n");
		return 77;
	}
	snprintf(top, sizeof top, "/tmp/fk-pt-export.XXXXXX");
	if (!mkdtemp(top))
		return 1;
	snprintf(src, sizeof src, "%s/src", top);
	char p[160];
	int ok = mkdir(src, 0755) == 0;
	snprintf(p, sizeof p, "%s/d", src);
	ok = ok && mkdir(p, 0755) == 0;
	snprintf(p, sizeof p, "%s/outside", top);
	ok = ok && mkdir(p, 0755) == 0;
	snprintf(p, sizeof p, "%s/d/f", src);
	int fd = ok ? open(p, O_CREAT | O_WRONLY, 0644) : -1;
	if (fd < 0)
		return 1;
	close(fd);
	static const struct fk_test tests[] = {
		FK_TEST(test_dots),
	};
	int rc = fk_test_main(tests, sizeof tests / sizeof tests[0]);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
	if (system(cmd) != 0)
		fprintf(stderr, "  (could not remove %s)\n", top);
	return rc;
}
