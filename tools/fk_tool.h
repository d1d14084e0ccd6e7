/*
 * fk_tool.h — what the fusekit subcommands share: argument parsing for
 * "[-f] [-s] [-d] [-o OPTIONS] ARGS...", and mounting + serving with
 * daemonization.
 */
#ifndef FK_TOOL_H
#define FK_TOOL_H

#include <stdio.h>

#include <fusekit/fusekit.h>

struct fk_tool_args {
	int foreground; /* -f */
	const char *pos[4]; /* positional arguments */
	int npos;
};

/**
 * Parse argv (after the subcommand name) against the mount and session
 * tables plus the filesystem's own (fs_table/fs_target, may be NULL).
 * -s: single-threaded; -d: debug, implies -f. Returns 0, 1 for --help
 * (printed by the caller), or 2 after printing a usage error.
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
 * Mount at mountpoint, detach into the background unless foreground, and
 * serve until unmounted or signalled. With report, SIGUSR1 logs a line of
 * statistics: to stderr in the foreground, else to syslog. Returns the
 * exit status: 0, or 1 after printing why.
 */
int fk_tool_serve(const char *cmd, const struct fk_ops *ops, void *fs,
		  const char *mountpoint, const struct fk_mount_opts *mo,
		  const struct fk_session_config *cfg, int foreground,
		  fk_tool_report_fn *report);

/* Subcommands */
int fk_cmd_passthrough(int argc, char **argv);
int fk_cmd_overlay(int argc, char **argv);

#endif
