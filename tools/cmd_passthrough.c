/*
 * cmd_passthrough.c — `fusekit passthrough [OPTIONS] SOURCE MOUNTPOINT`.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fusekit/fk_passthrough.h>

#include "fk_tool.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fusekit passthrough [-f] [-s] [-d] [-o OPTIONS] SOURCE MOUNTPOINT\n"
		"       fusekit-passthrough SOURCE MOUNTPOINT [-o OPTIONS]\n"
		"\n"
		"Mirror the directory SOURCE at MOUNTPOINT. Runs in the background\n"
		"once mounted; `fusekit umount MOUNTPOINT` ends it. Called as\n"
		"fusekit-passthrough (a link to fusekit) it is what mount(8) runs\n"
		"for the type fuse.fusekit-passthrough (fstab).\n");
	fk_tool_print_help(out,
			   "Files created through the mount belong to the user who creates them.\n"
			   "The kernel checks permissions (default_permissions is always on).\n"
			   "SIGUSR1 logs the node and descriptor counts and the reopen counter\n"
			   "(to stderr with -f, else to syslog).\n",
			   "Passthrough options", fk_pt_opt_table);
}

static void report(void *fs, char *buf, size_t len)
{
	struct fk_pt_stats st;
	fk_pt_get_stats(fs, &st);
	snprintf(buf, len, "inode=%s nodes=%llu fds=%llu fd_cap=%llu reopens=%llu",
		 fk_pt_inode_mode_name(st.inode), (unsigned long long)st.nodes,
		 (unsigned long long)st.fds, (unsigned long long)st.fd_cap,
		 (unsigned long long)st.reopens);
}

int fk_cmd_passthrough(int argc, char **argv)
{
	struct fk_mount_opts mo;
	struct fk_session_config cfg;
	struct fk_pt_options po;
	struct fk_tool_args args;
	fk_mount_opts_init(&mo);
	fk_session_config_init(&cfg);
	fk_pt_options_init(&po);

	int rc = fk_tool_parse(argc, argv, "passthrough", &mo, &cfg, fk_pt_opt_table,
			       &po, &args);
	if (rc == 1) {
		usage(stdout);
		fk_mount_opts_free(&mo);
		return 0;
	}
	if (rc == 0 && args.npos != 2) {
		fprintf(stderr, "fusekit passthrough: need SOURCE and MOUNTPOINT "
				"(try --help)\n");
		rc = 2;
	}
	if (rc) {
		fk_mount_opts_free(&mo);
		return rc;
	}
	/* The kernel checks permissions from the modes we report; without
	 * it a root daemon would let every caller do anything. */
	mo.default_permissions = 1;
	char real[PATH_MAX];
	if (!mo.fsname && realpath(args.pos[0], real))
		mo.fsname = strdup(real);
	if (!mo.subtype)
		mo.subtype = strdup("passthrough");

	if (cfg.io_uring && fk_tool_serves_itself(args.pos[0], args.pos[1])) {
		fprintf(stderr, "fusekit passthrough: MOUNTPOINT lies inside SOURCE: "
				"the mount shows itself within itself, and requests "
				"go through /dev/fuse, not io_uring (whose queue "
				"thread would wait on its own lookups)\n");
		cfg.io_uring = 0;
	}
	char err[512];
	struct fk_pt *pt;
	rc = fk_pt_new(&pt, args.pos[0], &po, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "fusekit passthrough: %s\n", err);
		fk_mount_opts_free(&mo);
		return 1;
	}
	if (po.inode == FK_PT_INODE_HANDLE) {
		struct fk_pt_stats st;
		fk_pt_get_stats(pt, &st);
		if (st.inode != FK_PT_INODE_HANDLE)
			fprintf(stderr, "fusekit passthrough: inode=handle: file handles "
					"cannot be opened here (needs CAP_DAC_READ_SEARCH "
					"and a filesystem with handles); using inode=%s\n",
				fk_pt_inode_mode_name(st.inode));
	}
	rc = fk_tool_serve("passthrough", fk_pt_ops(), pt, args.pos[1], &mo, &cfg,
			   &args, report);
	fk_pt_free(pt);
	fk_mount_opts_free(&mo);
	return rc;
}
