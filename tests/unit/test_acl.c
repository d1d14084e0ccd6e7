/*
 * test_acl.c — POSIX ACL xattr values (fk_acl.h): what a new object
 * inherits from a default ACL, checked against what ext4 made in the same
 * cases (tests/mount/acl.py's native results), and id mapping.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fk_test.h"
#include "util/fk_acl.h"

enum { USER_OBJ = 1, USER = 2, GROUP_OBJ = 4, GROUP = 8, MASK = 0x10, OTHER = 0x20 };

struct entry {
	uint16_t tag, perm;
	uint32_t id;
};

/* The xattr value of n entries (little-endian, as the kernel's). */
static size_t make_acl(unsigned char *buf, const struct entry *e, size_t n)
{
	buf[0] = 2, buf[1] = buf[2] = buf[3] = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char *p = buf + 4 + 8 * i;
		p[0] = (unsigned char)e[i].tag, p[1] = (unsigned char)(e[i].tag >> 8);
		p[2] = (unsigned char)e[i].perm, p[3] = (unsigned char)(e[i].perm >> 8);
		for (int b = 0; b < 4; b++)
			p[4 + b] = (unsigned char)(e[i].id >> (8 * b));
	}
	return 4 + 8 * n;
}

static unsigned perm_of(const unsigned char *buf, size_t i)
{
	return buf[4 + 8 * i + 2];
}

static uint32_t id_of(const unsigned char *buf, size_t i)
{
	const unsigned char *p = buf + 4 + 8 * i + 4;
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* One inheritance: default ACL d (n entries) and the mode asked, the
 * mode and every entry's permissions after (as ext4 made them). */
struct masq_case {
	const char *what;
	struct entry d[6];
	size_t n;
	uint32_t mode, want_mode;
	unsigned want_perm[6];
};

static const struct masq_case masq_cases[] = {
	{ "d:u::rwx,g::rwx,o::rwx, a file 0666: 0666 rw-,rw-,rw-",
	  { { USER_OBJ, 7, 0 }, { GROUP_OBJ, 7, 0 }, { OTHER, 7, 0 } }, 3,
	  S_IFREG | 0666, S_IFREG | 0666, { 6, 6, 6 } },
	{ "the same, a directory 02777: rwx kept, and set-group-ID",
	  { { USER_OBJ, 7, 0 }, { GROUP_OBJ, 7, 0 }, { OTHER, 7, 0 } }, 3,
	  S_IFDIR | 02777, S_IFDIR | 02777, { 7, 7, 7 } },
	{ "d:u::r,g::r,o::-, 0666: 0440 (the issue's -r--r-----)",
	  { { USER_OBJ, 4, 0 }, { GROUP_OBJ, 4, 0 }, { OTHER, 0, 0 } }, 3,
	  S_IFREG | 0666, S_IFREG | 0440, { 4, 4, 0 } },
	{ "named entries and mask rwx, 0666: 0664, the mask rw-, named and "
	  "owning group's entries kept",
	  { { USER_OBJ, 7, 0 }, { USER, 7, 65535 }, { GROUP_OBJ, 5, 0 },
	    { GROUP, 6, 4242 }, { MASK, 7, 0 }, { OTHER, 5, 0 } }, 6,
	  S_IFREG | 0666, S_IFREG | 0664, { 6, 7, 5, 6, 6, 4 } },
	{ "the same, an O_TMPFILE 0640: the mask r--, other ---",
	  { { USER_OBJ, 7, 0 }, { USER, 7, 65535 }, { GROUP_OBJ, 5, 0 },
	    { GROUP, 6, 4242 }, { MASK, 7, 0 }, { OTHER, 5, 0 } }, 6,
	  S_IFREG | 0640, S_IFREG | 0640, { 6, 7, 5, 6, 4, 0 } },
};

static void test_masq(void)
{
	for (size_t c = 0; c < sizeof masq_cases / sizeof masq_cases[0]; c++) {
		const struct masq_case *k = &masq_cases[c];
		unsigned char buf[64];
		size_t n = make_acl(buf, k->d, k->n);
		uint32_t mode = k->mode;
		printf("  %s\n", k->what);
		FK_CHECK_EQ(fk_acl_create_masq(buf, n, &mode), 0);
		FK_CHECK_EQ(mode, k->want_mode);
		for (size_t i = 0; i < k->n; i++)
			FK_CHECK_EQ(perm_of(buf, i), k->want_perm[i]);
	}
}

static void test_not_an_acl(void)
{
	unsigned char buf[64];
	const struct entry d[] = { { USER_OBJ, 7, 0 }, { OTHER, 7, 0 } };
	size_t n = make_acl(buf, d, 2);
	uint32_t mode = 0666;
	FK_CHECK_EQ(fk_acl_create_masq(buf, n, &mode), -EINVAL); /* no group */
	FK_CHECK_EQ(fk_acl_create_masq(buf, n - 1, &mode), -EINVAL);
	buf[0] = 1; /* another version */
	FK_CHECK_EQ(fk_acl_valid(buf, n), 0);
	FK_CHECK_EQ(mode, 0666);
	FK_CHECK(fk_acl_is_xattr("system.posix_acl_access"));
	FK_CHECK(fk_acl_is_xattr("system.posix_acl_default"));
	FK_CHECK(!fk_acl_is_xattr("system.posix_acl_accessx"));
}

static uint32_t shift(void *ctx, int group, uint32_t id)
{
	return id + (group ? 2000u : 1000u) + *(uint32_t *)ctx;
}

static void test_map_ids(void)
{
	const struct entry d[] = { { USER_OBJ, 7, 5 }, { USER, 7, 10 },
				   { GROUP_OBJ, 5, 5 }, { GROUP, 6, 20 },
				   { MASK, 7, 5 }, { OTHER, 5, 5 } };
	unsigned char buf[64];
	size_t n = make_acl(buf, d, 6);
	uint32_t extra = 100000;
	fk_acl_map_ids(buf, n, shift, &extra);
	FK_CHECK_EQ(id_of(buf, 1), 101010u);
	FK_CHECK_EQ(id_of(buf, 3), 102020u);
	/* entries without an id keep what they had */
	FK_CHECK_EQ(id_of(buf, 0), 5u);
	FK_CHECK_EQ(id_of(buf, 2), 5u);
	FK_CHECK_EQ(id_of(buf, 4), 5u);
}

int main(void)
{
	static const struct fk_test tests[] = {
		FK_TEST(test_masq),
		FK_TEST(test_not_an_acl),
		FK_TEST(test_map_ids),
	};
	return fk_test_main(tests, sizeof tests / sizeof tests[0]);
}
