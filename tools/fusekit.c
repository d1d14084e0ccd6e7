/*
 * fusekit.c — the fusekit command.
 *
 *     fusekit passthrough [OPTIONS] SOURCE MOUNTPOINT
 *     fusekit overlay -o lowerdir=L1:L2... [SOURCE] MOUNTPOINT
 *     fusekit union [OPTIONS] BRANCH[=MODE]:... MOUNTPOINT
 *     fusekit umount [-l] MOUNTPOINT...
 *     fusekit --version | --help
 *
 * Called as fusekit-overlayfs (or fuse-overlayfs), it is `fusekit
 * overlay` with fuse-overlayfs's command line, for podman's and buildah's
 * mount_program:
 *
 *     fusekit-overlayfs [-f] [-d|--debug] -o lowerdir=...,upperdir=...,
 *         workdir=...[,OPTIONS] MOUNTPOINT
 *
 * Called as fusekit-passthrough it is `fusekit passthrough`: the name
 * mount(8) runs, through mount.fuse3, for the fstab type
 * fuse.fusekit-passthrough (fuse.fusekit-overlayfs and
 * fuse.fusekit-union likewise).
 *
 * Each filesystem is a subcommand in its own file (cmd_*.c); they share
 * argument parsing and serving in tool_common.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <fusekit/fusekit.h>

#include "fk_tool.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fusekit COMMAND [ARGS]\n"
		"\n"
		"Commands:\n"
		"  passthrough [OPTIONS] SOURCE MOUNTPOINT\n"
		"                             mirror a directory (see\n"
		"                             fusekit passthrough --help)\n"
		"  overlay -o lowerdir=L1:L2...[,upperdir=U,workdir=W] MOUNTPOINT\n"
		"                             merge directories, as overlayfs\n"
		"                             (see fusekit overlay --help; as\n"
		"                             fusekit-overlayfs it takes\n"
		"                             fuse-overlayfs's command line)\n"
		"  union [OPTIONS] BRANCH[=MODE]:BRANCH... MOUNTPOINT\n"
		"                             pool directories, as mergerfs\n"
		"                             (see fusekit union --help)\n"
		"  umount [-l] MOUNTPOINT...  unmount FUSE filesystems: your own\n"
		"                             (through fusermount3), any as root,\n"
		"                             and mounts whose daemon has died\n"
		"      -l, --lazy             detach now even if busy; the mount\n"
		"                             goes away when no longer in use\n"
		"\n"
		"  --version                  print the version\n"
		"  --help                     this help\n"
		"\n"
		"Exit status: 0 on success, 1 if an operation failed, 2 for a\n"
		"usage error.\n");
}

static int cmd_umount(int argc, char **argv)
{
	int lazy = 0, status = 0, n = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-l") || !strcmp(argv[i], "--lazy")) {
			lazy = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--")) {
			for (i++; i < argc; i++, n++) {
				char err[512];
				if (fk_unmount(argv[i], lazy, err, sizeof err) < 0) {
					fprintf(stderr, "fusekit: %s\n", err);
					status = 1;
				}
			}
			break;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "fusekit umount: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	/* Mountpoints are the non-option arguments before any "--". */
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (argv[i][0] == '-')
			continue;
		char err[512];
		n++;
		if (fk_unmount(argv[i], lazy, err, sizeof err) < 0) {
			fprintf(stderr, "fusekit: %s\n", err);
			status = 1;
		}
	}
	if (n == 0) {
		fprintf(stderr, "fusekit umount: no mountpoint given\n");
		return 2;
	}
	return status;
}

/* fusekit-overlayfs: argv as fuse-overlayfs takes it. */
static int overlayfs_main(int argc, char **argv)
{
	static char debug[] = "-d";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			printf("fusekit-overlayfs: version %s (fusekit overlay, "
			       "fuse-overlayfs command line)\n",
			       FUSEKIT_VERSION_STRING);
			return 0;
		}
		if (!strcmp(argv[i], "--debug"))
			argv[i] = debug;
	}
	return fk_cmd_overlay(argc, argv);
}

int main(int argc, char **argv)
{
	const char *self = strrchr(argv[0], '/');
	self = self ? self + 1 : argv[0];
	if (!strcmp(self, "fusekit-overlayfs") || !strcmp(self, "fuse-overlayfs"))
		return overlayfs_main(argc, argv);
	/* mount -t fuse.fusekit-passthrough SOURCE MNT -o OPTS (fstab):
	 * mount.fuse3 runs "fusekit-passthrough SOURCE MNT -o OPTS". */
	if (!strcmp(self, "fusekit-passthrough"))
		return fk_cmd_passthrough(argc, argv);
	if (!strcmp(self, "fusekit-union"))
		return fk_cmd_union(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("fusekit %s\n", FUSEKIT_VERSION_STRING);
		return 0;
	}
	if (!strcmp(cmd, "umount") || !strcmp(cmd, "unmount"))
		return cmd_umount(argc - 1, argv + 1);
	if (!strcmp(cmd, "passthrough"))
		return fk_cmd_passthrough(argc - 1, argv + 1);
	if (!strcmp(cmd, "overlay"))
		return fk_cmd_overlay(argc - 1, argv + 1);
	if (!strcmp(cmd, "union"))
		return fk_cmd_union(argc - 1, argv + 1);
	fprintf(stderr, "fusekit: unknown command '%s' (try fusekit --help)\n", cmd);
	return 2;
}
