/*
 * test_pt_macfuse.c — the passthrough filesystem as macOS runs it, on
 * Linux: files reached by name (hold=dirs), in lazy mode and in handle
 * mode with handles of directories (macOS's two models), over the fake
 * kernel speaking the macFUSE dialect. macFUSE's attributes
 * (birth time, BSD flags), GETXTIMES, EXCHANGE, SETVOLNAME and xattr
 * positions reach the real directory underneath; what Linux cannot do
 * (chflags, a resource fork offset) is refused, not ignored.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <fusekit/fk_passthrough.h>

#include "fake_kernel.h"
#include "fk_test.h"

/* macOS's numbers (xnu bsd/sys/errno.h), which macFUSE's kernel reads. */
enum { MAC_ENOTSUP = 45, MAC_ENOATTR = 93, MAC_ENODATA = 96 };

static char dir[64];
static struct fk_pt *pt;
static struct fake_kernel k;

static void put(const char *name, const char *data)
{
	char p[128];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs(data, f);
		fclose(f);
	}
}

static void get(const char *name, char *buf, size_t size)
{
	char p[128];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	buf[0] = 0;
	FILE *f = fopen(p, "r");
	if (f) {
		size_t n = fread(buf, 1, size - 1, f);
		buf[n] = 0;
		fclose(f);
	}
}

/* macOS's two node models: lazy (the default there), and handle mode
 * with handles of directories only, everything else by name. */
static int start_with(enum fk_pt_inode_mode mode, uint64_t init_flags,
		      const char *optstr)
{
	snprintf(dir, sizeof dir, "/tmp/fk-pt-macfuse.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	put("a", "AAA");
	put("b", "BB");
	struct fk_pt_options o;
	fk_pt_options_init(&o);
	o.inode = mode;
	o.hold_dirs_only = 1;
	char err[256];
	if (fk_pt_new(&pt, dir, &o, err, sizeof err)) {
		fprintf(stderr, "fk_pt_new: %s\n", err);
		return -1;
	}
	struct fake_opts fo = { FK_DIALECT_MACFUSE, 19, init_flags, 1, optstr };
	return fake_start(&k, fk_pt_ops(), pt, &fo);
}

static int start(enum fk_pt_inode_mode mode)
{
	return start_with(mode, 0, NULL);
}

static void stop(void)
{
	fake_stop(&k);
	fk_pt_free(pt);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "  (could not remove %s)\n", dir);
}

/* LOOKUP name in the root: its node id, the macFUSE attributes in *a. */
static uint64_t lookup(const char *name, struct fk_wire_mac_attr *a)
{
	struct fk_wire_mac_entry_out e;
	size_t len = 0;
	struct iovec p = IOVS(name);
	int rc = fake_call(&k, FK_OP_LOOKUP, FK_ROOT_INO, &p, 1, &e, sizeof e, &len);
	FK_CHECK_EQ(rc, 0);
	FK_CHECK_EQ(len, sizeof e);
	if (a)
		*a = e.attr;
	return rc ? 0 : e.nodeid;
}

static void test_attributes(void)
{
	struct fk_wire_mac_attr a;
	uint64_t id = lookup("a", &a);
	char p[128];
	snprintf(p, sizeof p, "%s/a", dir);
	struct statx sx;
	FK_CHECK_EQ(statx(AT_FDCWD, p, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME,
			  &sx), 0);
	FK_CHECK_EQ(a.ino, sx.stx_ino);
	FK_CHECK_EQ(a.size, 3);
	FK_CHECK_EQ(a.flags_darwin, 0);
	if (sx.stx_mask & STATX_BTIME) {
		FK_CHECK_EQ(a.crtime, sx.stx_btime.tv_sec);
		FK_CHECK_EQ(a.crtimensec, sx.stx_btime.tv_nsec);
	}
	/* GETXTIMES: the birth time, and no backup time on Linux. */
	struct fk_wire_mac_getxtimes_out x;
	size_t len = 0;
	FK_CHECK_EQ(fake_call(&k, FK_OP_GETXTIMES, id, NULL, 0, &x, sizeof x, &len), 0);
	FK_CHECK_EQ(len, sizeof x);
	FK_CHECK_EQ(x.crtime, a.crtime);
	FK_CHECK_EQ(x.crtimensec, a.crtimensec);
	FK_CHECK_EQ(x.bkuptime, 0);
	/* chflags cannot be had here: refused, not ignored. */
	struct fk_wire_mac_setattr_in s;
	memset(&s, 0, sizeof s);
	s.base.valid = FK_FATTR_MAC_FLAGS;
	s.flags = 0x2; /* UF_IMMUTABLE */
	struct iovec sp = IOV(&s, sizeof s);
	FK_CHECK_EQ(fake_call(&k, FK_OP_SETATTR, id, &sp, 1, NULL, 0, NULL),
		    -MAC_ENOTSUP);
}

static void test_exchange(void)
{
	(void)lookup("a", NULL);
	(void)lookup("b", NULL);
	struct fk_wire_mac_exchange_in x = { FK_ROOT_INO, FK_ROOT_INO, 0 };
	struct iovec p[3] = { IOV(&x, sizeof x), IOVS("a"), IOVS("b") };
	FK_CHECK_EQ(fake_call(&k, FK_OP_EXCHANGE, FK_ROOT_INO, p, 3, NULL, 0, NULL), 0);
	char buf[16];
	get("a", buf, sizeof buf);
	FK_CHECK(!strcmp(buf, "BB"));
	get("b", buf, sizeof buf);
	FK_CHECK(!strcmp(buf, "AAA"));
	/* The nodes followed their files: "a" now names b's old inode. */
	struct fk_wire_mac_attr a;
	(void)lookup("a", &a);
	FK_CHECK_EQ(a.size, 2);
	struct iovec q[3] = { IOV(&x, sizeof x), IOVS("a"), IOVS("missing") };
	FK_CHECK_EQ(fake_call(&k, FK_OP_EXCHANGE, FK_ROOT_INO, q, 3, NULL, 0, NULL),
		    -ENOENT);
}

static void test_volname_and_xattrs(void)
{
	struct iovec v = IOVS("Fusekit Volume");
	FK_CHECK_EQ(fake_call(&k, FK_OP_SETVOLNAME, FK_ROOT_INO, &v, 1, NULL, 0, NULL), 0);
	uint64_t id = lookup("b", NULL);
	struct fk_wire_mac_setxattr_in sx = { 1, 0, 0, 0 };
	struct iovec sp[3] = { IOV(&sx, sizeof sx), IOVS("user.k"), IOV("v", 1) };
	FK_CHECK_EQ(fake_call(&k, FK_OP_SETXATTR, id, sp, 3, NULL, 0, NULL), 0);
	struct fk_wire_mac_getxattr_in gx = { 16, 0, 0, 0 };
	struct iovec gp[2] = { IOV(&gx, sizeof gx), IOVS("user.k") };
	char val[16];
	size_t len = 0;
	FK_CHECK_EQ(fake_call(&k, FK_OP_GETXATTR, id, gp, 2, val, sizeof val, &len), 0);
	FK_CHECK_EQ(len, 1);
	FK_CHECK(val[0] == 'v');
	/* The caller's options, as xnu passes them on, are not the
	 * daemon's: XATTR_NOFOLLOW | XATTR_NOSECURITY. Create and replace
	 * are macOS's bits (2, 4), not Linux's (1, 2). */
	sx.flags = 0x1 | 0x8;
	FK_CHECK_EQ(fake_call(&k, FK_OP_SETXATTR, id, sp, 3, NULL, 0, NULL), 0);
	sx.flags = 0x2; /* XATTR_CREATE of one there */
	FK_CHECK_EQ(fake_call(&k, FK_OP_SETXATTR, id, sp, 3, NULL, 0, NULL), -EEXIST);
	struct iovec np[3] = { IOV(&sx, sizeof sx), IOVS("user.new"), IOV("n", 1) };
	sx.flags = 0x4; /* XATTR_REPLACE of one not there */
	FK_CHECK_EQ(fake_call(&k, FK_OP_SETXATTR, id, np, 3, NULL, 0, NULL),
		    -MAC_ENOATTR);
	sx.flags = 0x2 | 0x1; /* XATTR_CREATE | XATTR_NOFOLLOW of a new one */
	FK_CHECK_EQ(fake_call(&k, FK_OP_SETXATTR, id, np, 3, NULL, 0, NULL), 0);
	/* A missing attribute is ENOATTR, not ENODATA ("no message
	 * available on STREAM"). */
	struct iovec mp[2] = { IOV(&gx, sizeof gx), IOVS("user.missing") };
	int rc = fake_call(&k, FK_OP_GETXATTR, id, mp, 2, val, sizeof val, &len);
	FK_CHECK_EQ(rc, -MAC_ENOATTR);
	FK_CHECK(rc != -MAC_ENODATA);
	/* A resource-fork offset means nothing on Linux. */
	gx.position = 4;
	FK_CHECK_EQ(fake_call(&k, FK_OP_GETXATTR, id, gp, 2, val, sizeof val, &len),
		    -EINVAL);
}

/* INIT's flags in macFUSE's table (macfuse/library include/fuse_kernel.h):
 * bits 0-6 and 10 shared with Linux, 23-31 macFUSE's own. The default
 * fake kernel offers every bit from 0 to 39. */
static void test_init_flags(void)
{
	uint32_t f = k.init_out.flags;
	FK_CHECK(f & (1u << 25)); /* RENAME_SWAP: the passthrough renames */
	FK_CHECK(f & (1u << 26)); /* RENAME_EXCL */
	FK_CHECK(!(f & (1u << 23))); /* ACCESS_EXTENDED: not asked for */
	FK_CHECK(!(f & (1u << 24))); /* NODE_RWLOCK */
	/* Linux's bits 7-9 and 11-22 do not exist there */
	FK_CHECK_EQ(f & 0x7FFB80u, 0);
}

/* RENAME: {newdir} alone unless RENAME_SWAP was granted; with it,
 * renamex_np's flags. */
static void rename_forms(int granted)
{
	put("r1", "one");
	put("r2", "two");
	(void)lookup("r1", NULL);
	(void)lookup("r2", NULL);
	char buf[16];
	if (!granted) {
		struct fk_wire_rename_in in = { FK_ROOT_INO };
		struct iovec p[3] = { IOV(&in, sizeof in), IOVS("r1"), IOVS("r3") };
		FK_CHECK_EQ(fake_call(&k, FK_OP_RENAME, FK_ROOT_INO, p, 3, NULL, 0, NULL), 0);
		get("r3", buf, sizeof buf);
		FK_CHECK(!strcmp(buf, "one"));
		return;
	}
	struct fk_wire_rename2_in in = { FK_ROOT_INO, FK_MAC_RENAME_SWAP, 0 };
	struct iovec p[3] = { IOV(&in, sizeof in), IOVS("r1"), IOVS("r2") };
	FK_CHECK_EQ(fake_call(&k, FK_OP_RENAME, FK_ROOT_INO, p, 3, NULL, 0, NULL), 0);
	get("r1", buf, sizeof buf);
	FK_CHECK(!strcmp(buf, "two"));
	in.flags = FK_MAC_RENAME_EXCL;
	FK_CHECK_EQ(fake_call(&k, FK_OP_RENAME, FK_ROOT_INO, p, 3, NULL, 0, NULL),
		    -EEXIST);
}

static void test_rename_with_flags(void)
{
	rename_forms(1);
}

/* F_PREALLOCATE as macFUSE's kernel sends it: FALLOCATE with
 * PREALLOCATE | ALLOCATEFROMPEOF | ALLOCATEALL (0x1 | 0x10 | 0x4). The
 * space is reserved, the size stays. */
static void test_preallocate(void)
{
	put("pre", "0123456789");
	uint64_t id = lookup("pre", NULL);
	struct fk_wire_open_in oi = { O_RDWR, 0 };
	struct iovec op = IOV(&oi, sizeof oi);
	struct fk_wire_open_out oo;
	size_t len = 0;
	FK_CHECK_EQ(fake_call(&k, FK_OP_OPEN, id, &op, 1, &oo, sizeof oo, &len), 0);
	struct fk_wire_fallocate_in fa = { oo.fh, 0, 1 << 20, 0x1 | 0x10 | 0x4, 0 };
	struct iovec fp = IOV(&fa, sizeof fa);
	FK_CHECK_EQ(fake_call(&k, FK_OP_FALLOCATE, id, &fp, 1, NULL, 0, NULL), 0);
	char p[128];
	snprintf(p, sizeof p, "%s/pre", dir);
	struct stat st;
	FK_CHECK_EQ(stat(p, &st), 0);
	FK_CHECK_EQ(st.st_size, 10);
	FK_CHECK((long long)st.st_blocks * 512 >= (1 << 20));
	/* A bit xnu does not define is refused. */
	fa.mode = 0x1 | 0x40;
	FK_CHECK_EQ(fake_call(&k, FK_OP_FALLOCATE, id, &fp, 1, NULL, 0, NULL), -EINVAL);
	struct fk_wire_release_in ri = { oo.fh, O_RDWR, 0, 0 };
	struct iovec rp = IOV(&ri, sizeof ri);
	FK_CHECK_EQ(fake_call(&k, FK_OP_RELEASE, id, &rp, 1, NULL, 0, NULL), 0);
}

/* STATFS: the host's counts, whole (on a Mac they come from struct
 * statfs, whose counts are 64-bit; its statvfs's are 32). */
static void test_statfs(void)
{
	struct fk_wire_statfs_out out;
	size_t len = 0;
	FK_CHECK_EQ(fake_call(&k, FK_OP_STATFS, FK_ROOT_INO, NULL, 0, &out,
			      sizeof out, &len), 0);
	FK_CHECK_EQ(len, sizeof out);
	struct statvfs sv;
	FK_CHECK_EQ(statvfs(dir, &sv), 0);
	FK_CHECK_EQ(out.st.blocks, sv.f_blocks);
	FK_CHECK_EQ(out.st.files, sv.f_files);
	FK_CHECK_EQ(out.st.frsize, sv.f_frsize);
	FK_CHECK_EQ(out.st.namelen, sv.f_namemax);
}

static const struct fk_test tests[] = {
	FK_TEST(test_preallocate),
	FK_TEST(test_statfs),
	FK_TEST(test_init_flags),
	FK_TEST(test_rename_with_flags),
	FK_TEST(test_attributes),
	FK_TEST(test_exchange),
	FK_TEST(test_volname_and_xattrs),
};

int main(void)
{
	int rc = 0;
	const enum fk_pt_inode_mode modes[] = { FK_PT_INODE_LAZY,
						FK_PT_INODE_HANDLE };
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		printf("== inode=%s, hold=dirs\n", fk_pt_inode_mode_name(modes[i]));
		if (start(modes[i])) {
			fprintf(stderr, "cannot start\n");
			return 1;
		}
		rc |= fk_test_main(tests, sizeof tests / sizeof tests[0]);
		stop();
	}
	/* A kernel without RENAME_SWAP (osxfuse 3): shared bits and the
	 * older macFUSE ones only; and -o cap_cache_symlinks, Linux's bit
	 * 23, must not become macFUSE's ACCESS_EXTENDED. */
	printf("== no RENAME_SWAP offered, -o cap_cache_symlinks\n");
	uint64_t old_kernel = 0x7Fu | (1u << 10) | (0x1Fu << 27);
	if (start_with(FK_PT_INODE_LAZY, old_kernel, "cap_cache_symlinks")) {
		fprintf(stderr, "cannot start\n");
		return 1;
	}
	FK_CHECK(!(k.init_out.flags & ((1u << 23) | (1u << 25) | (1u << 26))));
	rename_forms(0);
	rc |= fk_test_failures != 0;
	stop();
	return rc;
}
