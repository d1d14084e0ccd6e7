/*
 * test_opt.c — the shared -o parser: escapes, every kind of option, and a
 * clear message naming the option for everything it refuses.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <fusekit/fusekit.h>

#include "fk_test.h"
#include "mount/fk_mount_i.h"

static char err[256];

static int parse(const char *s, struct fk_mount_opts *mo,
		 struct fk_session_config *cfg)
{
	struct fk_opt_table t[2] = { { fk_mount_opt_table, mo },
				     { fk_session_opt_table, cfg } };
	err[0] = 0;
	return fk_opt_parse(s, t, 2, err, sizeof err);
}

static void test_mount_options(void)
{
	struct fk_mount_opts mo;
	struct fk_session_config cfg;
	fk_mount_opts_init(&mo);
	fk_session_config_init(&cfg);
	FK_CHECK(mo.flags & FK_MNT_NOSUID);
	FK_CHECK_EQ(parse("allow_other,default_permissions,ro,noexec,"
			  "fsname=my\\,src,subtype=memfs,rootmode=40755,"
			  "max_read=131072,auto_unmount,suid,noatime",
			  &mo, &cfg), 0);
	FK_CHECK_EQ(mo.allow_other, 1);
	FK_CHECK_EQ(mo.default_permissions, 1);
	FK_CHECK_EQ(mo.auto_unmount, 1);
	FK_CHECK(mo.flags & FK_MNT_RDONLY);
	FK_CHECK(mo.flags & FK_MNT_NOEXEC);
	FK_CHECK(mo.flags & FK_MNT_NOATIME);
	FK_CHECK(!(mo.flags & FK_MNT_NOSUID));
	FK_CHECK(mo.fsname && strcmp(mo.fsname, "my,src") == 0);
	FK_CHECK(mo.subtype && strcmp(mo.subtype, "memfs") == 0);
	FK_CHECK_EQ(mo.rootmode, 040755);
	FK_CHECK_EQ(mo.max_read, 131072);
	/* later options win; rw undoes ro */
	FK_CHECK_EQ(parse("rw,fsname=second", &mo, &cfg), 0);
	FK_CHECK(!(mo.flags & FK_MNT_RDONLY));
	FK_CHECK(strcmp(mo.fsname, "second") == 0);
	/* empty pieces are ignored */
	FK_CHECK_EQ(parse(",,nodev,", &mo, &cfg), 0);
	/* a quoted part keeps its commas and loses its quotes (mount(8)'s
	 * way, and how podman passes SELinux contexts) */
	FK_CHECK_EQ(parse("fsname=\"a:b:s0:c1,c2\",nodev", &mo, &cfg), 0);
	FK_CHECK(strcmp(mo.fsname, "a:b:s0:c1,c2") == 0);
	FK_CHECK_EQ(parse("fsname=\"open,nodev", &mo, &cfg), -EINVAL);
	FK_CHECK(strstr(err, "quote") != NULL);
	fk_mount_opts_free(&mo);
}

static void test_session_options(void)
{
	struct fk_mount_opts mo;
	struct fk_session_config cfg;
	fk_mount_opts_init(&mo);
	fk_session_config_init(&cfg);
	FK_CHECK_EQ(cfg.threads, 4);
	FK_CHECK_EQ(parse("threads=8,debug,trace,max_pages=128,cap_writeback_cache,"
			  "nocap_readdirplus,dialect=macfuse", &mo, &cfg), 0);
	FK_CHECK_EQ(cfg.threads, 8);
	FK_CHECK_EQ(cfg.debug, 1);
	FK_CHECK_EQ(cfg.trace, 1);
	FK_CHECK_EQ(cfg.max_pages, 128);
	FK_CHECK_EQ(cfg.max_background, 0); /* the session's default */
	FK_CHECK_EQ(parse("max_background=12,congestion_threshold=9", &mo, &cfg), 0);
	FK_CHECK_EQ(cfg.max_background, 12);
	FK_CHECK_EQ(cfg.congestion_threshold, 9);
	FK_CHECK(cfg.caps_on & FK_CAP_WRITEBACK_CACHE);
	FK_CHECK(cfg.caps_off & FK_CAP_READDIRPLUS);
	FK_CHECK_EQ(cfg.dialect, FK_DIALECT_MACFUSE);
	FK_CHECK_EQ(parse("nocap_writeback_cache", &mo, &cfg), 0);
	FK_CHECK(!(cfg.caps_on & FK_CAP_WRITEBACK_CACHE));
	FK_CHECK_EQ(fk_cap_from_name("passthrough"), FK_CAP_PASSTHROUGH);
	FK_CHECK(strcmp(fk_cap_name(FK_CAP_PASSTHROUGH), "passthrough") == 0);
	fk_mount_opts_free(&mo);
}

static void test_errors_name_the_option(void)
{
	struct fk_mount_opts mo;
	struct fk_session_config cfg;
	fk_mount_opts_init(&mo);
	fk_session_config_init(&cfg);
	struct {
		const char *in, *must_say;
	} bad[] = {
		{ "allow_other,bogus", "'bogus'" },
		{ "allow_other=1", "'allow_other' takes no value" },
		{ "fsname", "'fsname' needs a value" },
		{ "max_read=12abc", "'12abc' is not a number" },
		{ "max_read=-5", "'-5'" },
		{ "max_read=99999999999", "'99999999999'" },
		{ "rootmode=999", "not an octal number" },
		{ "threads=0", "'threads'" },
		{ "threads=abc", "'threads'" },
		{ "max_background=0", "'max_background' needs a request count" },
		{ "max_background=65536", "from 1 to 65535" },
		{ "congestion_threshold=x", "'congestion_threshold'" },
		{ "cap_teleport", "unknown capability 'teleport'" },
		{ "dialect=windows", "'dialect'" },
		{ "cap_", "unknown option 'cap_'" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = parse(bad[i].in, &mo, &cfg);
		FK_CHECK_EQ(rc, -EINVAL);
		if (!strstr(err, bad[i].must_say)) {
			fprintf(stderr, "  '%s' gave '%s'\n", bad[i].in, err);
			fk_test_failures++;
		}
	}
	fk_mount_opts_free(&mo);
}

static void test_mount_check(void)
{
	struct fk_mount_opts mo;
	fk_mount_opts_init(&mo);
	char e[512];
	FK_CHECK_EQ(fk_mount_check("/nonexistent/dir", &mo, e, sizeof e), -ENOENT);
	FK_CHECK(strstr(e, "/nonexistent/dir") != NULL);
	FK_CHECK_EQ(fk_mount_check("/etc/hostname", &mo, e, sizeof e), -ENOTDIR);
	FK_CHECK(strstr(e, "not a directory") != NULL);
	FK_CHECK_EQ(fk_mount_check("/etc", &mo, e, sizeof e), -ENOTEMPTY);
	FK_CHECK(strstr(e, "nonempty") != NULL);
	FK_CHECK_EQ(fk_mount_check("/proc", &mo, e, sizeof e), -EBUSY);
	mo.nonempty = 1;
	FK_CHECK_EQ(fk_mount_check("/etc", &mo, e, sizeof e), 0);
	FK_CHECK_EQ(fk_mount_check("", &mo, e, sizeof e), -EINVAL);
}

/* The argv as one string, arguments joined by spaces. */
static void joined(const struct fk_macfuse_argv *a, char *out, size_t size)
{
	out[0] = 0;
	for (int i = 0; i < a->argc; i++) {
		if (i)
			strncat(out, " ", size - strlen(out) - 1);
		strncat(out, a->argv[i], size - strlen(out) - 1);
	}
}

/* mount_macfuse's command line: what macFUSE's library would pass, and
 * never a type name its kernel refuses (macfuse_args.c). */
static void test_macfuse_argv(void)
{
	struct fk_mount_opts mo;
	struct fk_session_config cfg;
	struct fk_macfuse_argv a;
	char line[1024], e[256];
	fk_mount_opts_init(&mo);
	fk_session_config_init(&cfg);
	FK_CHECK_EQ(parse("ro,noatime,default_permissions,fsname=src,"
			  "subtype=passthrough,max_read=131072", &mo, &cfg), 0);
	FK_CHECK_EQ(fk_macfuse_argv("mount_macfuse", "/Volumes/m", &mo, &a, e,
				    sizeof e), 0);
	joined(&a, line, sizeof line);
	FK_CHECK(!strcmp(line, "mount_macfuse -o rdonly -o nosuid -o nodev "
			       "-o noatime -o default_permissions -o fsname=src "
			       "-o iosize=131072 /Volumes/m"));
	FK_CHECK(strstr(line, "fstypename") == NULL);
	FK_CHECK(a.argv[a.argc] == NULL);
	fk_mount_opts_free(&mo);

	fk_mount_opts_init(&mo);
	FK_CHECK_EQ(parse("allow_root", &mo, &cfg), 0);
	FK_CHECK_EQ(fk_macfuse_argv("m", "/x", &mo, &a, e, sizeof e), 0);
	joined(&a, line, sizeof line);
	FK_CHECK(!strcmp(line, "m -o nosuid -o nodev -o allow_root /x"));
	FK_CHECK_EQ(parse("allow_other", &mo, &cfg), 0);
	FK_CHECK_EQ(fk_macfuse_argv("m", "/x", &mo, &a, e, sizeof e), -EINVAL);
	FK_CHECK(strstr(e, "allow_other and allow_root") != NULL);
	fk_mount_opts_free(&mo);
}

int main(void)
{
	static const struct fk_test tests[] = {
		FK_TEST(test_mount_options),
		FK_TEST(test_session_options),
		FK_TEST(test_errors_name_the_option),
		FK_TEST(test_mount_check),
		FK_TEST(test_macfuse_argv),
	};
	return fk_test_main(tests, sizeof tests / sizeof tests[0]);
}
