/*
 * tool_common.c — argument parsing and serving shared by the fusekit
 * subcommands (see fk_tool.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "fk_tool.h"

int fk_tool_parse(int argc, char **argv, const char *cmd,
		  struct fk_mount_opts *mo, struct fk_session_config *cfg,
		  const struct fk_opt *fs_table, void *fs_target,
		  struct fk_tool_args *args)
{
	struct fk_opt_table t[3] = { { fk_mount_opt_table, mo },
				     { fk_session_opt_table, cfg },
				     { fs_table, fs_target } };
	size_t nt = fs_table ? 3 : 2;
	char err[512];
	memset(args, 0, sizeof *args);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return 1;
		if (!strcmp(a, "-f")) {
			args->foreground = 1;
		} else if (!strcmp(a, "-s")) {
			cfg->threads = 1;
		} else if (!strcmp(a, "-d")) {
			cfg->debug = 1;
			args->foreground = 1;
		} else if (!strncmp(a, "-o", 2)) {
			/* "-o OPTS" and "-oOPTS" */
			const char *opts = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);
			if (!opts) {
				fprintf(stderr, "fusekit %s: -o needs options\n", cmd);
				return 2;
			}
			if (fk_opt_parse(opts, t, nt, err, sizeof err)) {
				fprintf(stderr, "fusekit %s: %s\n", cmd, err);
				return 2;
			}
		} else if (!strcmp(a, "--")) {
			for (i++; i < argc && args->npos < 4; i++)
				args->pos[args->npos++] = argv[i];
			break;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "fusekit %s: unknown option '%s' (try --help)\n",
				cmd, a);
			return 2;
		} else if (args->npos < 4) {
			args->pos[args->npos++] = a;
		} else {
			fprintf(stderr, "fusekit %s: too many arguments\n", cmd);
			return 2;
		}
	}
	return 0;
}

/* Become a background daemon: the mount is already in place, so the
 * caller's shell gets its prompt back with the filesystem ready. */
static int daemonize(void)
{
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -errno;
	if (chdir("/") < 0)
		return -errno;
	int fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		(void)dup2(fd, 0);
		(void)dup2(fd, 1);
		(void)dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return 0;
}

struct reporter {
	const char *cmd;
	void *fs;
	fk_tool_report_fn *report;
	int to_syslog;
};

/* The SIGUSR1 thread: every other thread has the signal blocked. */
static void *report_thread(void *arg)
{
	struct reporter *r = arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		int sig;
		if (sigwait(&set, &sig) != 0)
			continue;
		char line[512];
		r->report(r->fs, line, sizeof line);
		if (r->to_syslog)
			syslog(LOG_INFO, "fusekit %s: %s", r->cmd, line);
		else
			fprintf(stderr, "fusekit %s: %s\n", r->cmd, line);
	}
	return NULL;
}

/* Block SIGUSR1 here (so in every thread started later) and answer it on
 * a thread of its own. Best effort: without it, SIGUSR1 stays blocked. */
static void start_reporter(struct reporter *r)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return;
	pthread_t t;
	if (pthread_create(&t, NULL, report_thread, r) == 0)
		(void)pthread_detach(t);
}

int fk_tool_serve(const char *cmd, const struct fk_ops *ops, void *fs,
		  const char *mountpoint, const struct fk_mount_opts *mo,
		  const struct fk_session_config *cfg, int foreground,
		  fk_tool_report_fn *report)
{
	/* Lives until exit: the reporter thread is never joined. */
	static struct reporter reporter;
	fk_session *se;
	int rc = fk_session_new(&se, ops, sizeof *ops, fs, cfg);
	if (rc < 0) {
		fprintf(stderr, "fusekit %s: %s\n", cmd, strerror(-rc));
		return 1;
	}
	rc = fk_session_mount(se, mountpoint, mo); /* says why if it fails */
	if (rc == 0 && !foreground) {
		rc = daemonize();
		if (rc < 0)
			fprintf(stderr, "fusekit %s: cannot daemonize: %s\n", cmd,
				strerror(-rc));
	}
	if (rc == 0 && report) {
		reporter = (struct reporter){ cmd, fs, report, !foreground };
		start_reporter(&reporter); /* after the fork: threads do not survive it */
	}
	if (rc == 0) {
		rc = fk_session_run(se);
		if (rc < 0)
			fprintf(stderr, "fusekit %s: %s\n", cmd, strerror(-rc));
	}
	fk_session_destroy(se);
	return rc < 0 ? 1 : 0;
}

void fk_tool_print_help(FILE *out, const char *extra, const char *title,
			const struct fk_opt *fs_table)
{
	fprintf(out,
		"\n"
		"  -f          stay in the foreground\n"
		"  -s          single-threaded\n"
		"  -d          debug: print what was negotiated (implies -f)\n"
		"  -o OPTIONS  comma-separated options, below\n"
		"\n%s%s%s:\n",
		extra ? extra : "", extra ? "\n" : "", title);
	fk_opt_print_help(out, fs_table);
	fprintf(out, "\nMount options:\n");
	fk_opt_print_help(out, fk_mount_opt_table);
	fprintf(out, "\nSession options:\n");
	fk_opt_print_help(out, fk_session_opt_table);
}
