/*
 * test_node_table.c — the node table's admission (fk_node_table.h): an
 * operation that may add a node, with the table a quarter over its
 * budget, waits while the kernel's FORGETs bring the count down, and
 * stops waiting once none come.
 *
 * The session is a fake kernel's (fake_kernel.h) speaking 7.45, so the
 * prune notifications the table sends can be read back; two threads,
 * unless the test is of a single-threaded one.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "fake_kernel.h"
#include "fk_test.h"
#include "fs/node/fk_node_table.h"

#define BUDGET 8 /* admission waits from 10 nodes */
#define KNOWN 12

static void no_unlink(void *fs, struct fk_nt_node *n)
{
	(void)fs;
	(void)n;
}

static void free_node(void *fs, struct fk_nt_node *n)
{
	(void)fs;
	free(n);
}

static const struct fk_nt_ops node_ops = { no_unlink, free_node };

/* A table with KNOWN nodes the kernel holds (ids 2..KNOWN+1). */
static int table_with_nodes(struct fk_nt *t)
{
	if (fk_nt_init(t, &node_ops, NULL))
		return -1;
	fk_nt_set_budget(t, BUDGET);
	for (int i = 0; i < KNOWN; i++) {
		struct fk_nt_node *n = calloc(1, sizeof *n);
		if (!n)
			return -1;
		fk_nt_lock(t);
		fk_nt_insert_locked(t, n, (uint64_t)i, 1, FK_NT_KERNEL, 0);
		fk_nt_unlock(t);
	}
	return 0;
}

/* A 7.45 session of threads threads to prune through, and the table;
 * -1 if either failed. */
static int start(struct fake_kernel *k, struct fk_nt *t, unsigned threads)
{
	const struct fake_opts o = { FK_DIALECT_LINUX, 45, 0, threads, NULL };
	static const struct fk_ops ops = { 0 };
	if (fake_start(k, &ops, NULL, &o)) {
		fk_test_failures++;
		return -1;
	}
	if (table_with_nodes(t)) {
		fk_test_failures++;
		(void)fake_stop(k);
		return -1;
	}
	return 0;
}

static size_t count_of(struct fk_nt *t)
{
	fk_nt_lock(t);
	size_t n = t->count;
	fk_nt_unlock(t);
	return n;
}

/* The kernel's side: after a while, forget the oldest nodes one by one,
 * as FORGETs read late on a busy machine come in. */
static void *forget_late(void *arg)
{
	struct fk_nt *t = arg;
	const struct timespec pause = { 0, 5 * 1000 * 1000 };
	for (uint64_t id = FK_ROOT_INO + 1; id < FK_ROOT_INO + 1 + KNOWN - BUDGET; id++) {
		nanosleep(&pause, NULL);
		fk_nt_forget(t, id, 1);
	}
	return NULL;
}

static void test_admit_waits_for_forgets(void)
{
	struct fake_kernel k;
	struct fk_nt t;
	if (start(&k, &t, 2))
		return;
	pthread_t th;
	FK_CHECK_EQ(pthread_create(&th, NULL, forget_late, &t), 0);
	fk_nt_admit(&t, k.se);
	/* Let in only below budget + budget/4. */
	FK_CHECK(count_of(&t) < BUDGET + BUDGET / 4);
	pthread_join(th, NULL);
	/* And the kernel was asked to forget the old ones. */
	uint8_t buf[4096];
	ssize_t n = fake_recv(&k, buf, sizeof buf);
	struct fk_wire_out_header h;
	FK_CHECK(n >= (ssize_t)sizeof h);
	memcpy(&h, buf, sizeof h);
	FK_CHECK_EQ(h.unique, 0);
	FK_CHECK_EQ(h.error, FK_NOTIFY_PRUNE);
	fk_nt_destroy(&t);
	FK_CHECK_EQ(fake_stop(&k), 0);
}

static void test_admit_stops_when_the_kernel_keeps_them(void)
{
	struct fake_kernel k;
	struct fk_nt t;
	if (start(&k, &t, 2))
		return;
	/* No FORGET comes: the wait gives up, and says so for the next. */
	fk_nt_admit(&t, k.se);
	FK_CHECK_EQ(count_of(&t), KNOWN);
	fk_nt_lock(&t);
	FK_CHECK_EQ(t.stalled_at, t.left);
	fk_nt_unlock(&t);
	/* One leaves: the next operation waits again (and gives up again). */
	fk_nt_forget(&t, FK_ROOT_INO + 1, 1);
	fk_nt_lock(&t);
	FK_CHECK(t.stalled_at != t.left);
	fk_nt_unlock(&t);
	fk_nt_admit(&t, k.se);
	fk_nt_lock(&t);
	FK_CHECK_EQ(t.stalled_at, t.left);
	fk_nt_unlock(&t);
	fk_nt_destroy(&t);
	FK_CHECK_EQ(fake_stop(&k), 0);
}

/* A single-threaded session reads FORGETs on the thread that would wait
 * for them: no waiting there. */
static void test_admit_never_waits_alone(void)
{
	struct fake_kernel k;
	struct fk_nt t;
	if (start(&k, &t, 1))
		return;
	fk_nt_admit(&t, k.se);
	fk_nt_lock(&t);
	FK_CHECK_EQ(t.stalled_at, UINT64_MAX); /* no wait gave up */
	fk_nt_unlock(&t);
	FK_CHECK_EQ(count_of(&t), KNOWN);
	fk_nt_destroy(&t);
	FK_CHECK_EQ(fake_stop(&k), 0);
}

/* The budget of nodes a descriptor limit allows: the limit less an
 * eighth, and less at least half of it below 2048. */
static void test_budget_of_nofile(void)
{
	struct rlimit old;
	FK_CHECK_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
	static const struct {
		rlim_t limit;
		size_t one, two; /* budgets per_node 1 and 2 */
	} cases[] = { { 256, 128, 64 }, { 1024, 512, 256 }, { 4096, 3072, 1536 },
		      { 20000, 17500, 8750 } };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (cases[i].limit > old.rlim_max)
			continue; /* (a soft limit cannot pass the hard one) */
		struct rlimit rl = { cases[i].limit, old.rlim_max };
		FK_CHECK_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
		FK_CHECK_EQ(fk_nt_budget_of_nofile(1), cases[i].one);
		FK_CHECK_EQ(fk_nt_budget_of_nofile(2), cases[i].two);
	}
	FK_CHECK_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
}

int main(void)
{
	static const struct fk_test tests[] = {
		FK_TEST(test_admit_waits_for_forgets),
		FK_TEST(test_admit_stops_when_the_kernel_keeps_them),
		FK_TEST(test_admit_never_waits_alone),
		FK_TEST(test_budget_of_nofile),
	};
	return fk_test_main(tests, sizeof tests / sizeof tests[0]);
}
