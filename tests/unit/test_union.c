/*
 * test_union.c — the union's branch lists and policies, without a mount:
 * every way of writing branches, every refusal with its message, and
 * which branch each policy picks (and the error when none qualifies).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fusekit/fk_union.h>

#include "fake_kernel.h"
#include "fk_test.h"
#include "fs/union/un.h"

static char err[512];

static void test_sizes(void)
{
	uint64_t v = 7;
	FK_CHECK_EQ(fk_un_size_parse("0", &v), 0);
	FK_CHECK_EQ(v, 0);
	FK_CHECK_EQ(fk_un_size_parse("512", &v), 0);
	FK_CHECK_EQ(v, 512);
	FK_CHECK_EQ(fk_un_size_parse("4K", &v), 0);
	FK_CHECK_EQ(v, 4096);
	FK_CHECK_EQ(fk_un_size_parse("20g", &v), 0);
	FK_CHECK_EQ(v, 20ull << 30);
	FK_CHECK_EQ(fk_un_size_parse("3T", &v), 0);
	FK_CHECK_EQ(v, 3ull << 40);
	FK_CHECK_EQ(fk_un_size_parse("100B", &v), 0);
	FK_CHECK_EQ(v, 100);
	FK_CHECK_EQ(fk_un_size_parse("", &v), -EINVAL);
	FK_CHECK_EQ(fk_un_size_parse("G", &v), -EINVAL);
	FK_CHECK_EQ(fk_un_size_parse("1X", &v), -EINVAL);
	FK_CHECK_EQ(fk_un_size_parse("1GB", &v), -EINVAL);
	FK_CHECK_EQ(fk_un_size_parse("-1", &v), -EINVAL);
	FK_CHECK_EQ(fk_un_size_parse("99999999999999999999", &v), -EINVAL);
	FK_CHECK_EQ(fk_un_size_parse("17000000000T", &v), -EINVAL);
}

static void test_branch_list(void)
{
	struct fk_un_branches b = { 0 };
	FK_CHECK_EQ(fk_un_branches_parse("/a=RW:/b=ro:/c=NC,20G:/d", &b, err,
					 sizeof err), 0);
	FK_CHECK_EQ(b.n, 4);
	FK_CHECK(b.n == 4 && strcmp(b.v[0].path, "/a") == 0);
	FK_CHECK(b.n == 4 && b.v[0].mode == FK_UN_RW && b.v[0].minfreespace == UINT64_MAX);
	FK_CHECK(b.n == 4 && b.v[1].mode == FK_UN_RO);
	FK_CHECK(b.n == 4 && b.v[2].mode == FK_UN_NC && b.v[2].minfreespace == 20ull << 30);
	FK_CHECK(b.n == 4 && b.v[3].mode == FK_UN_RW && strcmp(b.v[3].path, "/d") == 0);
	/* Appends. */
	FK_CHECK_EQ(fk_un_branches_parse("/e=RO", &b, err, sizeof err), 0);
	FK_CHECK_EQ(b.n, 5);
	fk_un_branches_free(&b);
	FK_CHECK_EQ(b.n, 0);

	/* Escapes: a colon and an equals sign in a path. */
	FK_CHECK_EQ(fk_un_branches_parse("/x\\:y=RO:/p\\=q", &b, err, sizeof err), 0);
	FK_CHECK_EQ(b.n, 2);
	FK_CHECK(b.n == 2 && strcmp(b.v[0].path, "/x:y") == 0 && b.v[0].mode == FK_UN_RO);
	FK_CHECK(b.n == 2 && strcmp(b.v[1].path, "/p=q") == 0 && b.v[1].mode == FK_UN_RW);
	fk_un_branches_free(&b);
}

static void refused(const char *spec, int want, const char *words)
{
	struct fk_un_branches b = { 0 };
	err[0] = 0;
	int rc = fk_un_branches_parse(spec, &b, err, sizeof err);
	if (rc != want || !strstr(err, words)) {
		fprintf(stderr, "  FAIL '%s': rc %d, message '%s' (want %d, '%s')\n",
			spec, rc, err, want, words);
		fk_test_failures++;
	}
	fk_un_branches_free(&b);
}

static void test_branch_refusals(void)
{
	refused("", -EINVAL, "no branches");
	refused("/a:", -EINVAL, "empty path");
	refused("/a::/b", -EINVAL, "empty path");
	refused("=RW", -EINVAL, "empty path");
	refused("/a=RX", -EINVAL, "mode 'RX' is not RW, RO or NC");
	refused("/a=RW,lots", -EINVAL, "'lots' is not a size");
	refused("/nonexistent-fk-dir-*", -EINVAL,
		"/nonexistent-fk-dir-* matches no directory");
	char many[FK_UN_MAX_BRANCHES * 3 + 8] = "";
	for (int i = 0; i <= FK_UN_MAX_BRANCHES; i++)
		strcat(many, i ? ":/x" : "/x");
	refused(many, -EINVAL, "more than 128 branches");
}

static void test_branch_globs(void)
{
	char dir[] = "/tmp/fk-union-glob-XXXXXX", p[128];
	FK_CHECK(mkdtemp(dir) != NULL);
	const char *names[] = { "disk2", "disk1", "disk10", "dis*k" };
	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		FK_CHECK_EQ(mkdir(p, 0755), 0);
	}
	snprintf(p, sizeof p, "%s/diskfile", dir); /* a file: not a branch */
	FILE *f = fopen(p, "w");
	FK_CHECK(f != NULL);
	if (f)
		fclose(f);

	struct fk_un_branches b = { 0 };
	char spec[256];
	snprintf(spec, sizeof spec, "%s/disk*=NC:%s/dis\\*k=RO", dir, dir);
	FK_CHECK_EQ(fk_un_branches_parse(spec, &b, err, sizeof err), 0);
	FK_CHECK_EQ(b.n, 4); /* disk1 disk10 disk2, sorted; then dis*k */
	const char *want[] = { "disk1", "disk10", "disk2", "dis*k" };
	for (size_t i = 0; i < b.n && i < 4; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, want[i]);
		FK_CHECK(strcmp(b.v[i].path, p) == 0);
		FK_CHECK_EQ(b.v[i].mode, i < 3 ? FK_UN_NC : FK_UN_RO);
	}
	fk_un_branches_free(&b);

	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		rmdir(p);
	}
	snprintf(p, sizeof p, "%s/diskfile", dir);
	unlink(p);
	FK_CHECK_EQ(rmdir(dir), 0);
}

static void test_policy_names(void)
{
	enum fk_un_policy p;
	const char *creates[] = { "ff", "epff", "mfs", "epmfs", "lfs", "eplfs",
				  "lus", "eplus", "pfrd", "eppfrd", "rand", "eprand" };
	for (size_t i = 0; i < sizeof creates / sizeof creates[0]; i++) {
		FK_CHECK_EQ(fk_un_policy_parse(FK_UN_CREATE, creates[i], &p), 0);
		FK_CHECK(strcmp(fk_un_policy_name(p), creates[i]) == 0);
	}
	FK_CHECK_EQ(fk_un_policy_parse(FK_UN_CREATE, "all", &p), -EINVAL);
	FK_CHECK_EQ(fk_un_policy_parse(FK_UN_ACTION, "epall", &p), 0);
	FK_CHECK_EQ(p, FK_UN_EPALL);
	FK_CHECK_EQ(fk_un_policy_parse(FK_UN_ACTION, "all", &p), 0);
	FK_CHECK_EQ(fk_un_policy_parse(FK_UN_ACTION, "epff", &p), 0);
	FK_CHECK_EQ(fk_un_policy_parse(FK_UN_ACTION, "mfs", &p), -EINVAL);
	FK_CHECK_EQ(fk_un_policy_parse(FK_UN_SEARCH, "ff", &p), 0);
	FK_CHECK_EQ(fk_un_policy_parse(FK_UN_SEARCH, "all", &p), 0);
	FK_CHECK_EQ(fk_un_policy_parse(FK_UN_SEARCH, "epff", &p), -EINVAL);
	FK_CHECK_EQ(fk_un_policy_parse(FK_UN_SEARCH, "FF", &p), -EINVAL);
	FK_CHECK(strcmp(fk_un_mode_name(FK_UN_NC), "NC") == 0);
}

#define GB (1ull << 30)

/* Four branches: RW 10G free with the path, RW 30G free without it,
 * RO 50G with it, RW 20G free with it (used: 5, 1, 9, 3 G). */
static void four(struct fk_un_candidate c[4])
{
	c[0] = (struct fk_un_candidate){ FK_UN_RW, 0, 1, 10 * GB, 5 * GB, 0 };
	c[1] = (struct fk_un_candidate){ FK_UN_RW, 0, 0, 30 * GB, 1 * GB, 0 };
	c[2] = (struct fk_un_candidate){ FK_UN_RO, 0, 1, 50 * GB, 9 * GB, 0 };
	c[3] = (struct fk_un_candidate){ FK_UN_RW, 0, 1, 20 * GB, 3 * GB, 0 };
}

static void test_create_policies(void)
{
	struct fk_un_candidate c[4];
	four(c);
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_FF, c, 4, 0), 0);
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_EPFF, c, 4, 0), 0);
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_MFS, c, 4, 0), 1);
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_EPMFS, c, 4, 0), 3);
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_LFS, c, 4, 0), 0);
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_EPLFS, c, 4, 0), 0);
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_LUS, c, 4, 0), 1);
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_EPLUS, c, 4, 0), 3);
	/* rand: the rnd-th qualifying branch (0, 1, 3). */
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_RAND, c, 4, 0), 0);
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_RAND, c, 4, 1), 1);
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_RAND, c, 4, 2), 3);
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_RAND, c, 4, 3), 0);
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_EPRAND, c, 4, 1), 3);
	/* pfrd: 10G, 30G and 20G of 60G (in KiB): [0,10G) [10G,40G) [40G,60G). */
	uint64_t kib = GB >> 10;
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_PFRD, c, 4, 0), 0);
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_PFRD, c, 4, 10 * kib - 1), 0);
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_PFRD, c, 4, 10 * kib), 1);
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_PFRD, c, 4, 40 * kib - 1), 1);
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_PFRD, c, 4, 40 * kib), 3);
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_PFRD, c, 4, 60 * kib + 5), 0);
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_EPPFRD, c, 4, 10 * kib), 3);
	/* pfrd over branches with nothing free (minfree 0): as rand. */
	struct fk_un_candidate z[2] = { { FK_UN_RW, 0, 1, 0, 0, 0 },
					{ FK_UN_RW, 0, 1, 0, 0, 0 } };
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_PFRD, z, 2, 1), 1);

	/* NC and a read-only filesystem are never created on. */
	c[1].mode = FK_UN_NC;
	c[3].readonly_fs = 1;
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_MFS, c, 4, 0), 0);
	/* Ties go to the first. */
	four(c);
	c[3].avail = 30 * GB;
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_MFS, c, 4, 0), 1);
}

static void test_create_refusals(void)
{
	struct fk_un_candidate c[4];
	/* minfreespace: 15G leaves out branch 0 (10G), then epmfs has only 3. */
	four(c);
	for (int i = 0; i < 4; i++)
		c[i].minfree = 15 * GB;
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_FF, c, 4, 0), 1);
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_EPFF, c, 4, 0), 3);
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_LFS, c, 4, 0), 3);
	/* Every writable branch below minfree: ENOSPC, whatever else. */
	for (int i = 0; i < 4; i++)
		c[i].minfree = 100 * GB;
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_EPMFS, c, 4, 0), -ENOSPC);
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_MFS, c, 4, 0), -ENOSPC);
	/* Only read-only branches: EROFS. */
	four(c);
	for (int i = 0; i < 4; i++)
		c[i].mode = i == 1 ? FK_UN_NC : FK_UN_RO;
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_FF, c, 4, 0), -EROFS);
	/* ep: the parent only where we may not create: EROFS; nowhere:
	 * ENOENT. */
	four(c);
	c[0].mode = c[3].mode = FK_UN_NC;
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_EPMFS, c, 4, 0), -EROFS);
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_MFS, c, 4, 0), 1);
	for (int i = 0; i < 4; i++)
		c[i].has_path = 0;
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_EPFF, c, 4, 0), -ENOENT);
	FK_CHECK_EQ(fk_un_choose_create(FK_UN_FF, c, 0, 0), -ENOENT);
}

static void test_action_and_search(void)
{
	struct fk_un_candidate c[4];
	size_t out[4];
	four(c);
	c[1].has_path = 1;
	c[1].mode = FK_UN_NC; /* NC may be changed */
	FK_CHECK_EQ(fk_un_choose_action(FK_UN_EPALL, c, 4, out), 3);
	FK_CHECK(out[0] == 0 && out[1] == 1 && out[2] == 3);
	FK_CHECK_EQ(fk_un_choose_action(FK_UN_ALL, c, 4, out), 3);
	FK_CHECK_EQ(fk_un_choose_action(FK_UN_EPFF, c, 4, out), 1);
	FK_CHECK_EQ(out[0], 0);
	/* Only on the RO branch: EROFS; on none: ENOENT. */
	for (int i = 0; i < 4; i++)
		c[i].has_path = i == 2;
	FK_CHECK_EQ(fk_un_choose_action(FK_UN_EPALL, c, 4, out), -EROFS);
	c[2].has_path = 0;
	FK_CHECK_EQ(fk_un_choose_action(FK_UN_EPALL, c, 4, out), -ENOENT);

	/* Search reads RO branches too. */
	four(c);
	c[0].has_path = 0;
	FK_CHECK_EQ(fk_un_choose_search(FK_UN_FF, c, 4, out), 1);
	FK_CHECK_EQ(out[0], 2);
	FK_CHECK_EQ(fk_un_choose_search(FK_UN_ALL, c, 4, out), 2);
	FK_CHECK(out[0] == 2 && out[1] == 3);
	for (int i = 0; i < 4; i++)
		c[i].has_path = 0;
	FK_CHECK_EQ(fk_un_choose_search(FK_UN_FF, c, 4, out), -ENOENT);
}

/* A union of memory layers served over the fake kernel: two RW
 * branches and an RO one. */
static struct fake_kernel uk;
static struct fk_ovl *un;

static int start_union_ops(const struct fk_ops *ops)
{
	struct fk_layer *layers[3] = { 0 };
	struct fk_un_branch_spec specs[3] = { { NULL, FK_UN_RW, UINT64_MAX },
					      { NULL, FK_UN_RW, UINT64_MAX },
					      { NULL, FK_UN_RO, UINT64_MAX } };
	for (int i = 0; i < 3; i++)
		if (fk_mem_layer_new(&layers[i]))
			return -1;
	struct fk_un_options o;
	fk_un_options_init(&o);
	o.create = FK_UN_RAND; /* either RW branch: clones happen */
	o.minfreespace = 0;
	if (fk_un_new(&un, layers, specs, 3, &o, err, sizeof err)) {
		fprintf(stderr, "fk_un_new: %s\n", err);
		return -1;
	}
	struct fake_opts fo = { FK_DIALECT_LINUX, 0, 0, 1, NULL };
	return fake_start(&uk, ops, un, &fo);
}

static int start_union(void)
{
	return start_union_ops(fk_ovl_ops());
}

/* MKNOD a regular file name in parent: its node id (0: failed). */
static uint64_t make_file(uint64_t parent, const char *name)
{
	struct fk_wire_mknod_in in = { S_IFREG | 0644, 0, 0, 0 };
	struct iovec p[2] = { IOV(&in, sizeof in), IOVS(name) };
	struct fk_wire_entry_out e;
	size_t len = 0;
	int rc = fake_call(&uk, FK_OP_MKNOD, parent, p, 2, &e, sizeof e, &len);
	return rc == 0 && len == sizeof e ? e.nodeid : 0;
}

/* Requests the kernel never sends, naming a file as a directory: each is
 * refused with ENOTDIR, and the file stays a file on its one branch (a
 * union must not make a directory of it elsewhere to create in). */
static void test_file_as_parent(void)
{
	if (start_union()) {
		FK_CHECK(!"union over memory layers started");
		return;
	}
	uint64_t f = make_file(FK_ROOT_INO, "f");
	FK_CHECK(f != 0);
	for (int round = 0; round < 8; round++) { /* rand: both branches */
		struct fk_wire_mkdir_in md = { 0755, 0 };
		struct iovec p[2] = { IOV(&md, sizeof md), IOVS("sub") };
		FK_CHECK_EQ(fake_call(&uk, FK_OP_MKDIR, f, p, 2, NULL, 0, NULL), -ENOTDIR);
		struct fk_wire_create_in cr = { O_RDWR, S_IFREG | 0644, 0, 0 };
		struct iovec c[2] = { IOV(&cr, sizeof cr), IOVS("x") };
		FK_CHECK_EQ(fake_call(&uk, FK_OP_CREATE, f, c, 2, NULL, 0, NULL), -ENOTDIR);
		struct fk_wire_mknod_in mn = { S_IFIFO | 0644, 0, 0, 0 };
		struct iovec m[2] = { IOV(&mn, sizeof mn), IOVS("fifo") };
		FK_CHECK_EQ(fake_call(&uk, FK_OP_MKNOD, f, m, 2, NULL, 0, NULL), -ENOTDIR);
		uint64_t g = make_file(FK_ROOT_INO, round ? "g2" : "g");
		struct fk_wire_rename_in rn = { f };
		struct iovec r[3] = { IOV(&rn, sizeof rn), IOVS(round ? "g2" : "g"),
				      IOVS("moved") };
		FK_CHECK_EQ(fake_call(&uk, FK_OP_RENAME, FK_ROOT_INO, r, 3, NULL, 0, NULL),
			    -ENOTDIR);
		(void)g;
		if (round == 0) {
			struct iovec u = IOVS("g");
			FK_CHECK_EQ(fake_call(&uk, FK_OP_UNLINK, FK_ROOT_INO, &u, 1, NULL, 0,
					      NULL), 0);
		}
	}
	struct fk_wire_getattr_in ga = { 0, 0, 0 };
	struct iovec p = IOV(&ga, sizeof ga);
	struct fk_wire_attr_out a;
	size_t len = 0;
	FK_CHECK_EQ(fake_call(&uk, FK_OP_GETATTR, f, &p, 1, &a, sizeof a, &len), 0);
	FK_CHECK(len == sizeof a && S_ISREG(a.attr.mode));
	struct iovec l = IOVS("f");
	struct fk_wire_entry_out e;
	FK_CHECK_EQ(fake_call(&uk, FK_OP_LOOKUP, FK_ROOT_INO, &l, 1, &e, sizeof e, &len), 0);
	FK_CHECK(len == sizeof e && S_ISREG(e.attr.mode) && e.nodeid == f);
	fake_stop(&uk);
	fk_ovl_free(un);
}


/* The branch list edits the control file takes. */
static void test_branch_edit(void)
{
	struct fk_un_branches cur = { 0 }, out = { 0 };
	FK_CHECK_EQ(fk_un_branches_parse("/a=RW:/b=RO,1G", &cur, err, sizeof err), 0);
	static const struct {
		const char *value, *want; /* the paths and modes after */
	} ok[] = {
		{ "+</c", "/c=RW /a=RW /b=RO" },   { "+>/c=NC", "/a=RW /b=RO /c=NC" },
		{ "+/c:/d", "/a=RW /b=RO /c=RW /d=RW" }, { "-/a", "/b=RO" },
		{ "-<", "/b=RO" },		   { "->", "/a=RW" },
		{ "/x:/y=RO", "/x=RW /y=RO" },
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		memset(&out, 0, sizeof out);
		FK_CHECK_EQ(fk_un_branches_edit(&cur, ok[i].value, &out, err, sizeof err), 0);
		char got[256] = "";
		for (size_t k = 0; k < out.n; k++)
			snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s=%s",
				 k ? " " : "", out.v[k].path, fk_un_mode_name(out.v[k].mode));
		if (strcmp(got, ok[i].want))
			fprintf(stderr, "edit %s: got %s\n", ok[i].value, got);
		FK_CHECK(strcmp(got, ok[i].want) == 0);
		/* A kept branch keeps its own minfreespace. */
		for (size_t k = 0; k < out.n; k++)
			if (!strcmp(out.v[k].path, "/b"))
				FK_CHECK_EQ(out.v[k].minfreespace, 1ull << 30);
		fk_un_branches_free(&out);
	}
	static const struct {
		const char *value, *why;
	} refused[] = {
		{ "-/zz", "/zz is not a branch" }, { "+>/a", "/a is a branch twice" },
		{ "", "no branches given" },	   { "/q:/q", "/q is a branch twice" },
		{ "+>/c=XX", "mode 'XX'" },
	};
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		memset(&out, 0, sizeof out);
		err[0] = 0;
		FK_CHECK_EQ(fk_un_branches_edit(&cur, refused[i].value, &out, err, sizeof err),
			    -EINVAL);
		FK_CHECK(strstr(err, refused[i].why) != NULL);
		FK_CHECK(out.n == 0 && out.v == NULL); /* freed */
	}
	struct fk_un_branches one = { 0 };
	FK_CHECK_EQ(fk_un_branches_parse("/only", &one, err, sizeof err), 0);
	static const char *const last[] = { "-<", "->", "-/only" };
	for (size_t i = 0; i < 3; i++) {
		memset(&out, 0, sizeof out);
		FK_CHECK_EQ(fk_un_branches_edit(&one, last[i], &out, err, sizeof err), -EINVAL);
		FK_CHECK(strstr(err, "one branch at least") != NULL);
	}
	fk_un_branches_free(&one);
	fk_un_branches_free(&cur);
}

static void test_inodecalc_names(void)
{
	static const char *const names[] = { "auto", "passthrough", "path-hash",
					     "devino-hash", "hybrid-hash" };
	for (int i = 0; i < 5; i++) {
		enum fk_un_inodecalc c;
		int b32 = 7;
		FK_CHECK_EQ(fk_un_inodecalc_parse(names[i], &c, &b32), 0);
		FK_CHECK_EQ(c, (enum fk_un_inodecalc)i);
		FK_CHECK_EQ(b32, 0);
		FK_CHECK(strcmp(fk_un_inodecalc_name(c, 0), names[i]) == 0);
		char n32[32];
		snprintf(n32, sizeof n32, "%s32", names[i]);
		int hashed = i >= FK_UN_INO_PATH_HASH;
		FK_CHECK_EQ(fk_un_inodecalc_parse(n32, &c, &b32), hashed ? 0 : -EINVAL);
		if (hashed) {
			FK_CHECK_EQ(b32, 1);
			FK_CHECK(strcmp(fk_un_inodecalc_name(c, 1), n32) == 0);
		}
	}
	enum fk_un_inodecalc c;
	int b32;
	FK_CHECK_EQ(fk_un_inodecalc_parse("path", &c, &b32), -EINVAL);
	FK_CHECK_EQ(fk_un_inodecalc_parse("path-hash64", &c, &b32), -EINVAL);
	FK_CHECK_EQ(fk_un_inodecalc_parse("", &c, &b32), -EINVAL);
}

/* The control file, through a fake kernel: found by its name in the
 * root only, read through xattrs, never opened, removed or made; a
 * change from a user other than the daemon's is refused by the daemon
 * itself (a real mount's kernel refuses it first, by the file's mode). */
static void test_control_file(void)
{
	if (start_union_ops(fk_un_ops())) {
		FK_CHECK(!"union over memory layers started");
		return;
	}
	struct iovec l = IOVS(".fusekit");
	struct fk_wire_entry_out e;
	size_t len = 0;
	FK_CHECK_EQ(fake_call(&uk, FK_OP_LOOKUP, FK_ROOT_INO, &l, 1, &e, sizeof e, &len), 0);
	FK_CHECK(len == sizeof e && S_ISREG(e.attr.mode) && (e.attr.mode & 0777) == 0644);
	uint64_t ctl = e.nodeid;
	FK_CHECK(ctl != 0 && ctl != FK_ROOT_INO);
	uint64_t d = 0;
	{
		struct fk_wire_mkdir_in md = { 0755, 0 };
		struct iovec p[2] = { IOV(&md, sizeof md), IOVS("dir") };
		FK_CHECK_EQ(fake_call(&uk, FK_OP_MKDIR, FK_ROOT_INO, p, 2, &e, sizeof e, &len), 0);
		d = e.nodeid;
	}
	FK_CHECK_EQ(fake_call(&uk, FK_OP_LOOKUP, d, &l, 1, &e, sizeof e, &len), -ENOENT);
	char buf[256];
	struct fk_wire_getxattr_in gx = { sizeof buf, 0 };
	struct iovec gp[2] = { IOV(&gx, sizeof gx), IOVS("user.fusekit.category.create") };
	FK_CHECK_EQ(fake_call(&uk, FK_OP_GETXATTR, ctl, gp, 2, buf, sizeof buf, &len), 0);
	FK_CHECK(len == 4 && memcmp(buf, "rand", 4) == 0);
	struct iovec gq[2] = { IOV(&gx, sizeof gx), IOVS("user.fusekit.nope") };
	FK_CHECK_EQ(fake_call(&uk, FK_OP_GETXATTR, ctl, gq, 2, buf, sizeof buf, &len),
		    -ENODATA);
	struct fk_wire_open_in op = { O_RDONLY, 0 };
	struct iovec o = IOV(&op, sizeof op);
	FK_CHECK_EQ(fake_call(&uk, FK_OP_OPEN, ctl, &o, 1, buf, sizeof buf, &len), -EACCES);
	FK_CHECK_EQ(fake_call(&uk, FK_OP_UNLINK, FK_ROOT_INO, &l, 1, NULL, 0, NULL), -EPERM);
	struct fk_wire_mknod_in mn = { S_IFREG | 0644, 0, 0, 0 };
	struct iovec m[2] = { IOV(&mn, sizeof mn), IOVS(".fusekit") };
	FK_CHECK_EQ(fake_call(&uk, FK_OP_MKNOD, FK_ROOT_INO, m, 2, NULL, 0, NULL), -EEXIST);
	/* The fake kernel's requests come from uid 1000. */
	int ext = (uk.init_out.flags & FK_INIT_SETXATTR_EXT) != 0;
	struct fk_wire_setxattr_in sx = { 2, 0, 0, 0 };
	struct iovec sp[3] = { IOV(&sx, ext ? sizeof sx : 8),
			       IOVS("user.fusekit.category.create"), IOV("ff", 2) };
	FK_CHECK_EQ(fake_call(&uk, FK_OP_SETXATTR, ctl, sp, 3, NULL, 0, NULL),
		    geteuid() == 1000 ? 0 : -EPERM);
	fake_stop(&uk);
	fk_ovl_free(un);
}

int main(void)
{
	static const struct fk_test tests[] = {
		FK_TEST(test_sizes),
		FK_TEST(test_branch_list),
		FK_TEST(test_branch_refusals),
		FK_TEST(test_branch_globs),
		FK_TEST(test_policy_names),
		FK_TEST(test_create_policies),
		FK_TEST(test_create_refusals),
		FK_TEST(test_action_and_search),
		FK_TEST(test_file_as_parent),
		FK_TEST(test_branch_edit),
		FK_TEST(test_inodecalc_names),
		FK_TEST(test_control_file),
	};
	return fk_test_main(tests, sizeof tests / sizeof tests[0]);
}
