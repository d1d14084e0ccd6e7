/*
 * tool_common.c — argument parsing and serving shared by the fusekit
 * subcommands (see fk_tool.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
		} else if (!strcmp(a, "--bind") || !strncmp(a, "--bind=", 7)) {
			const char *spec = a[6] ? a + 7 : (i + 1 < argc ? argv[++i] : NULL);
			if (!spec) {
				fprintf(stderr, "fusekit %s: --bind needs SRC:TGT\n", cmd);
				return 2;
			}
			if (fk_tool_bind_parse(args, spec, err, sizeof err)) {
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
 * caller's shell gets its prompt back with the filesystem ready. With
 * wait_ready, the caller waits on a pipe for the daemon's word that the
 * binds are in place, and exits with it (*ready_fd: the daemon's end). */
static int daemonize(int wait_ready, int *ready_fd)
{
	int p[2] = { -1, -1 };
	if (wait_ready && pipe(p) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		if (wait_ready) {
			close(p[0]);
			close(p[1]);
		}
		return -e;
	}
	if (pid > 0) {
		if (!wait_ready)
			_exit(0);
		/* "" for success, else the message; EOF: the daemon died. */
		close(p[1]);
		char msg[1024];
		size_t n = 0;
		ssize_t r;
		while (n < sizeof msg - 1 &&
		       (r = read(p[0], msg + n, sizeof msg - 1 - n)) != 0) {
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				break;
			n += (size_t)r;
		}
		msg[n] = 0;
		if (n == 1 && msg[0] == '\n')
			_exit(0);
		fprintf(stderr, "%s", n ? msg : "fusekit: the daemon ended at start\n");
		_exit(1);
	}
	if (wait_ready) {
		close(p[0]);
		*ready_fd = p[1];
	}
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

/* The control thread: mounts the binds once the session serves, then
 * answers the signals every other thread has blocked: SIGUSR1 with a
 * report, the rest by unmounting the binds and ending the session. */
struct control {
	const char *cmd;
	fk_session *se;
	void *fs;
	fk_tool_report_fn *report;
	int to_syslog;
	const char *mountpoint;
	struct fk_tool_args *args;
	int ready_fd; /* the waiting parent's pipe, or -1 (foreground) */
	int failed; /* a bind failed: the exit status is 1 */
	char err[1024]; /* why, told once the filesystem is unmounted */
	sigset_t signals;
};

static void say(const struct control *c, const char *line)
{
	if (c->to_syslog)
		syslog(LOG_INFO, "fusekit %s: %s", c->cmd, line);
	else
		fprintf(stderr, "fusekit %s: %s\n", c->cmd, line);
}

static void *control_main(void *arg)
{
	struct control *c = arg;
	if (fk_tool_binds_mount(c->mountpoint, c->args->binds, c->args->nbinds,
				c->err, sizeof c->err)) {
		/* Said by fk_tool_serve once the filesystem is gone, so the
		 * caller returns with nothing left mounted. */
		c->failed = 1;
		fk_session_exit(c->se);
		return NULL;
	}
	if (c->ready_fd >= 0) {
		/* The waiting parent exits 0 on this line; failing, it sees
		 * EOF and says the daemon ended. */
		(void)!write(c->ready_fd, "\n", 1);
		close(c->ready_fd);
		c->ready_fd = -1;
	}
	for (;;) {
		int sig;
		if (sigwait(&c->signals, &sig) != 0)
			continue;
		if (sig == SIGUSR1) {
			if (c->report) {
				char line[512];
				c->report(c->fs, line, sizeof line);
				say(c, line);
			}
			continue;
		}
		fk_tool_binds_unmount(c->mountpoint, c->args->binds,
				      c->args->nbinds);
		fk_session_exit(c->se);
		return NULL;
	}
}

int fk_tool_serve(const char *cmd, const struct fk_ops *ops, void *fs,
		  const char *mountpoint, const struct fk_mount_opts *mo,
		  const struct fk_session_config *cfg, struct fk_tool_args *args,
		  fk_tool_report_fn *report)
{
	/* Lives until exit: the control thread may outlive fk_session_run. */
	static struct control c;
	/* The binds reach the mount by its full path: the daemon's working
	 * directory becomes / in the background. */
	char real[PATH_MAX];
	if (args->nbinds && !realpath(mountpoint, real)) {
		fprintf(stderr, "fusekit %s: %s: %s\n", cmd, mountpoint,
			strerror(errno));
		return 1;
	}
	c = (struct control){ .cmd = cmd, .fs = fs, .report = report,
			      .to_syslog = !args->foreground,
			      .mountpoint = args->nbinds ? real : mountpoint,
			      .args = args, .ready_fd = -1 };
	/* Signals are the control thread's: blocked here, before any thread
	 * starts, so in every thread. The session's own handling stays off. */
	sigemptyset(&c.signals);
	sigaddset(&c.signals, SIGINT);
	sigaddset(&c.signals, SIGTERM);
	sigaddset(&c.signals, SIGHUP);
	sigaddset(&c.signals, SIGUSR1);
	if (pthread_sigmask(SIG_BLOCK, &c.signals, NULL) != 0) {
		fprintf(stderr, "fusekit %s: cannot block signals\n", cmd);
		return 1;
	}
	(void)signal(SIGPIPE, SIG_IGN); /* a write to a gone peer: EPIPE */
	struct fk_session_config own = *cfg;
	own.handle_signals = 0;
	fk_session *se;
	int rc = fk_session_new(&se, ops, sizeof *ops, fs, &own);
	if (rc < 0) {
		fprintf(stderr, "fusekit %s: %s\n", cmd, strerror(-rc));
		return 1;
	}
	c.se = se;
	rc = fk_session_mount(se, mountpoint, mo); /* says why if it fails */
	if (rc == 0 && !args->foreground) {
		rc = daemonize(args->nbinds > 0, &c.ready_fd);
		if (rc < 0)
			fprintf(stderr, "fusekit %s: cannot daemonize: %s\n", cmd,
				strerror(-rc));
	}
	pthread_t control;
	if (rc == 0) {
		/* After the fork: threads do not survive it. */
		rc = -pthread_create(&control, NULL, control_main, &c);
		if (rc < 0)
			fprintf(stderr, "fusekit %s: %s\n", cmd, strerror(-rc));
	}
	if (rc == 0) {
		rc = fk_session_run(se);
		if (rc < 0)
			fprintf(stderr, "fusekit %s: %s\n", cmd, strerror(-rc));
		/* Ended from outside (fusekit umount), the binds went with
		 * the mount; ended by the control thread, it has returned.
		 * Either way it is done with the session before it goes. */
		(void)pthread_kill(control, SIGTERM);
		(void)pthread_join(control, NULL);
	}
	if (c.failed) {
		char msg[1100];
		int n = snprintf(msg, sizeof msg, "fusekit %s: %s\n", cmd, c.err);
		if (c.ready_fd >= 0)
			(void)!write(c.ready_fd, msg, (size_t)n); /* else EOF says it */
		else
			fputs(msg, stderr);
	}
	if (c.ready_fd >= 0)
		close(c.ready_fd);
	fk_session_destroy(se);
	return rc < 0 || c.failed ? 1 : 0;
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
		"  --bind SRC:TGT\n"
		"              once mounted, mount the host's SRC over TGT inside\n"
		"              the mount (made if missing, never through a symlink;\n"
		"              recursive, a slave of SRC), e.g. --bind /proc:/proc\n"
		"              for a container root; repeatable, up to 16, in order.\n"
		"              They are unmounted, the last first, before the\n"
		"              filesystem: on SIGTERM, on fusekit umount, and when\n"
		"              one fails at start (which then fails)\n"
		"\n%s%s%s:\n",
		extra ? extra : "", extra ? "\n" : "", title);
	fk_opt_print_help(out, fs_table);
	fprintf(out, "\nMount options:\n");
	fk_opt_print_help(out, fk_mount_opt_table);
	fprintf(out, "\nSession options:\n");
	fk_opt_print_help(out, fk_session_opt_table);
}

/* Remove everything in directory fd (closed here). */
static int empty_dir(int fd)
{
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		return -e;
	}
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			continue;
		if (errno != EISDIR && errno != EPERM) {
			rc = -errno;
			break;
		}
		int sub = openat(dirfd(d), e->d_name,
				 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		rc = sub < 0 ? -errno : empty_dir(sub);
		if (rc == 0 && unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) < 0)
			rc = -errno;
	}
	closedir(d);
	return rc;
}

int fk_tool_serves_itself(const char *dir, const char *mountpoint)
{
	char d[PATH_MAX], m[PATH_MAX];
	if (!realpath(dir, d) || !realpath(mountpoint, m))
		return 0; /* the mount reports what is missing */
	size_t n = strlen(d);
	if (n == 1)
		return strcmp(m, "/") != 0; /* everything lies inside "/" */
	return !strncmp(m, d, n) && m[n] == '/';
}

int fk_tool_work_dir(const char *path)
{
	/* Mode 0 as root, as kernel overlayfs makes its work directory. */
	if (mkdir(path, geteuid() == 0 ? 0 : 0700) < 0 && errno != EEXIST)
		return -errno;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : empty_dir(fd);
}
