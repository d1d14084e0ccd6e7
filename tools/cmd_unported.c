/*
 * cmd_unported.c — the subcommands whose filesystem is not yet ported to
 * this OS (macOS: the passthrough filesystem uses Linux's O_PATH, statx
 * and /proc/self/fd). They say so instead of pretending.
 */
#include <stdio.h>

#include "fk_tool.h"

int fk_cmd_passthrough(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "fusekit passthrough: not yet available on this system\n");
	return 1;
}

int fk_cmd_overlay(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "fusekit overlay: not yet available on this system\n");
	return 1;
}
