/*
 * fk_tool.h — what the fusekit subcommands share: argument parsing for
 * "[-f] [-s] [-d] [-o OPTIONS] ARGS...", and mounting + serving with
 * daemonization.
 */
#ifndef FK_TOOL_H
#define FK_TOOL_H

#include <limits.h>
#include <stdio.h>

#include <fusekit/fusekit.h>

/** A host directory or file mounted over a path inside the filesystem
 *  once it serves (--bind SRC:TGT). */
struct fk_tool_bind {
	char src[PATH_MAX]; /* as given */
	char tgt[PATH_MAX]; /* inside the mount: names joined by '/' */
};

#define FK_TOOL_MAX_BINDS 16

struct fk_tool_args {
	int foreground; /* -f */
	const char *pos[4]; /* positional arguments */
	int npos;
	struct fk_tool_bind binds[FK_TOOL_MAX_BINDS]; /* in the order given */
	int nbinds;
};

/**
 * Parse argv (after the subcommand name) against the mount and session
 * tables plus the filesystem's own (fs_table/fs_target, may be NULL).
 * -s: single-threaded; -d: debug, implies -f; --bind SRC:TGT (and
 * --bind=SRC:TGT), repeatable. Returns 0, 1 for --help (printed by the
 * caller), or 2 after printing a usage error.
 */
int fk_tool_parse(int argc, char **argv, const char *cmd,
		  struct fk_mount_opts *mo, struct fk_session_config *cfg,
		  const struct fk_opt *fs_table, void *fs_target,
		  struct fk_tool_args *args);

/** The end of every subcommand's --help: the -f/-s/-d/-o lines (after
 *  a blank line), extra (the filesystem's own paragraph, may be NULL),
 *  then the filesystem's options under title, the mount options and the
 *  session options. */
void fk_tool_print_help(FILE *out, const char *extra, const char *title,
			const struct fk_opt *fs_table);

/** Writes one line of statistics about fs (no newline) into buf. */
typedef void fk_tool_report_fn(void *fs, char *buf, size_t len);

/**
 * Mount at mountpoint, mount the binds of args over paths inside it once
 * it serves, detach into the background unless args->foreground (the
 * caller returns only when the binds are in place, or with their error),
 * and serve until unmounted or signalled. SIGINT, SIGTERM and SIGHUP
 * unmount the binds, the last first, then the filesystem; so does a bind
 * that fails. With report, SIGUSR1 logs a line of statistics: to stderr
 * in the foreground, else to syslog. Returns the exit status: 0, or 1
 * after printing why.
 */
int fk_tool_serve(const char *cmd, const struct fk_ops *ops, void *fs,
		  const char *mountpoint, const struct fk_mount_opts *mo,
		  const struct fk_session_config *cfg, struct fk_tool_args *args,
		  fk_tool_report_fn *report);

/** A work directory at path for a layer: made, or emptied of what an
 *  earlier mount left in it. 0 or -errno. */
int fk_tool_work_dir(const char *path);

/** Will the daemon reach into its own mount: does mountpoint lie
 *  strictly inside directory dir (both resolved)? Then a lookup or a
 *  listing of dir's tree makes the daemon stat the mount, a request to
 *  itself. Over io_uring that request waits in the queue of the very
 *  thread that sent it, forever (and the kernel's abort does not end it):
 *  the caller turns io_uring off, says so on stderr, and the requests go
 *  through /dev/fuse, whose other threads answer. */
int fk_tool_serves_itself(const char *dir, const char *mountpoint);

/* ---- tool_bind.c ---- */

/** Add "--bind SRC:TGT" to args: 0, or -errno with a sentence in err. */
int fk_tool_bind_parse(struct fk_tool_args *args, const char *spec, char *err,
		       size_t errlen);
/** Mount binds[0..n) inside mountpoint, in order, making missing targets
 *  (never through a symlink). On failure those done are unmounted again:
 *  -errno with a sentence in err. */
int fk_tool_binds_mount(const char *mountpoint, struct fk_tool_bind *binds,
			int n, char *err, size_t errlen);
/** Unmount the binds, the last first (lazily: a process may still be in
 *  one). Those already gone are skipped. */
void fk_tool_binds_unmount(const char *mountpoint, struct fk_tool_bind *binds,
			   int n);

/* Subcommands */
int fk_cmd_passthrough(int argc, char **argv);
int fk_cmd_overlay(int argc, char **argv);
int fk_cmd_union(int argc, char **argv);

#endif
