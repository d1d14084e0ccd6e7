/*
 * test_caller.c — the set-id rule of Linux >= 6.2 (fk_mode.h) and what it
 * needs to know of a caller (fk_caller.h): its groups and CAP_FSETID,
 * parsed from /proc/<pid>/status text, and read for this very process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fk_test.h"
#include "util/fk_caller.h"
#include "util/fk_mode.h"

static void test_mode_rule(void)
{
	/* set-user-ID always goes; set-group-ID with group execute always,
	 * without it only for a writer outside the group */
	FK_CHECK_EQ(fk_mode_kill_suidgid(S_IFREG | 04755, 1), S_IFREG | 0755);
	FK_CHECK_EQ(fk_mode_kill_suidgid(S_IFREG | 02775, 1), S_IFREG | 0775);
	FK_CHECK_EQ(fk_mode_kill_suidgid(S_IFREG | 02666, 1), S_IFREG | 02666);
	FK_CHECK_EQ(fk_mode_kill_suidgid(S_IFREG | 02666, 0), S_IFREG | 0666);
	FK_CHECK_EQ(fk_mode_kill_suidgid(S_IFREG | 06766, 1), S_IFREG | 02766);
	FK_CHECK_EQ(fk_mode_kill_suidgid(S_IFREG | 0644, 0), S_IFREG | 0644);
}

static void test_parse_status(void)
{
	const char *text = "Name:\tsh\nUid:\t65534\t65534\t65534\t65534\n"
			   "Groups:\t4242 65534 7 \nCapInh:\t0000000000000000\n"
			   "CapEff:\t0000000000000000\n";
	int in, fsetid;
	FK_CHECK_EQ(fk_caller_parse_status(text, 7, &in, &fsetid), 0);
	FK_CHECK_EQ(in, 1);
	FK_CHECK_EQ(fsetid, 0);
	FK_CHECK_EQ(fk_caller_parse_status(text, 424, &in, &fsetid), 0);
	FK_CHECK_EQ(in, 0); /* a prefix of 4242 is not it */
	FK_CHECK_EQ(fk_caller_parse_status(text, 0, &in, &fsetid), 0);
	FK_CHECK_EQ(in, 0);
	const char *root = "Name:\tx\nGroups:\t\nCapEff:\t000001ffffffffff\n";
	FK_CHECK_EQ(fk_caller_parse_status(root, 0, &in, &fsetid), 0);
	FK_CHECK_EQ(in, 0); /* no groups listed */
	FK_CHECK_EQ(fsetid, 1);
	const char *only_fsetid = "Name:\tx\nGroups:\t1\nCapEff:\t0000000000000010\n";
	FK_CHECK_EQ(fk_caller_parse_status(only_fsetid, 2, &in, &fsetid), 0);
	FK_CHECK_EQ(fsetid, 1);
	FK_CHECK_EQ(fk_caller_parse_status("Name:\tx\n", 0, &in, &fsetid), -EINVAL);
}

static void test_this_process(void)
{
	struct fk_ctx me = { .uid = (uint32_t)getuid(), .gid = (uint32_t)getgid(),
			     .pid = (uint32_t)gettid() };
	FK_CHECK_EQ(fk_caller_in_group(&me, me.gid), 1);
	/* root (the tests' usual user) holds CAP_FSETID; others not */
	FK_CHECK_EQ(fk_caller_has_fsetid(&me), getuid() == 0);
	/* another pid namespace's caller (pid 0): its gid alone counts */
	struct fk_ctx away = { .uid = 1000, .gid = 1000, .pid = 0 };
	FK_CHECK_EQ(fk_caller_in_group(&away, 1000), 1);
	FK_CHECK_EQ(fk_caller_in_group(&away, 0), 0);
	FK_CHECK_EQ(fk_caller_has_fsetid(&away), 0);
}

int main(void)
{
	static const struct fk_test tests[] = {
		FK_TEST(test_mode_rule),
		FK_TEST(test_parse_status),
		FK_TEST(test_this_process),
	};
	return fk_test_main(tests, sizeof tests / sizeof tests[0]);
}
