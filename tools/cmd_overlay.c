/*
 * cmd_overlay.c — `fusekit overlay -o lowerdir=L1:L2... MOUNTPOINT`.
 *
 * So far the read-only overlay: lower layers only, each a passthrough
 * layer. upperdir= and workdir= are refused with a message saying so.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fusekit/fk_overlay.h>
#include <fusekit/fk_passthrough.h>

#include "fk_tool.h"

#define OVL_MAX_LAYERS 128

struct ovl_args {
	char *lowerdir, *upperdir, *workdir;
	struct fk_ovl_options o;
};

#define OA(f) offsetof(struct ovl_args, f)

static const struct fk_opt ovl_opt_table[] = {
	{ "lowerdir", FK_OPT_STR, OA(lowerdir), 0, NULL,
	  "=L1:L2:...  the layers, top first (required)" },
	{ "upperdir", FK_OPT_STR, OA(upperdir), 0, NULL,
	  "=DIR   the writable layer (not built yet: refused)" },
	{ "workdir", FK_OPT_STR, OA(workdir), 0, NULL,
	  "=DIR   scratch space on upperdir's filesystem (with upperdir)" },
	{ "entry_timeout", FK_OPT_DOUBLE, OA(o.entry_timeout), 0, NULL,
	  "=SEC   how long names are cached (default 1)" },
	{ "attr_timeout", FK_OPT_DOUBLE, OA(o.attr_timeout), 0, NULL,
	  "=SEC   how long attributes are cached (default 1)" },
	{ NULL, 0, 0, 0, NULL, NULL },
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fusekit overlay [-f] [-s] [-d] -o lowerdir=L1:L2:...[,OPTIONS] MOUNTPOINT\n"
		"\n"
		"Merge directories into one tree at MOUNTPOINT, as kernel overlayfs\n"
		"does: L1 above L2 above ... A whiteout (a character device 0/0)\n"
		"hides a name of the layers below; a directory marked opaque\n"
		"(trusted.overlay.opaque=y, or user.overlay.opaque=y when not root)\n"
		"hides their directory of that name. Without upperdir the mount is\n"
		"read-only: every change gets EROFS. Runs in the background once\n"
		"mounted; `fusekit umount MOUNTPOINT` ends it.\n");
	fk_tool_print_help(out, NULL, "Overlay options", ovl_opt_table);
}

/* Open each directory of lowerdir (':'-separated) as a layer. Returns the
 * count, or -1 after printing why (the layers made so far are freed). */
static int open_layers(char *lowerdir, struct fk_layer **layers)
{
	struct fk_pt_options po;
	fk_pt_options_init(&po);
	int n = 0;
	char *save = NULL;
	for (char *dir = strtok_r(lowerdir, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		char err[512];
		if (n == OVL_MAX_LAYERS) {
			fprintf(stderr, "fusekit overlay: more than %d layers\n",
				OVL_MAX_LAYERS);
		} else if (fk_pt_layer_new(&layers[n], dir, &po, err, sizeof err) == 0) {
			n++;
			continue;
		} else {
			fprintf(stderr, "fusekit overlay: lowerdir: %s\n", err);
		}
		while (n > 0)
			fk_layer_free(layers[--n]);
		return -1;
	}
	if (n == 0)
		fprintf(stderr, "fusekit overlay: lowerdir= names no directory\n");
	return n ? n : -1;
}

int fk_cmd_overlay(int argc, char **argv)
{
	struct fk_mount_opts mo;
	struct fk_session_config cfg;
	struct ovl_args oa = { 0 };
	struct fk_tool_args args;
	fk_mount_opts_init(&mo);
	fk_session_config_init(&cfg);
	fk_ovl_options_init(&oa.o);

	int rc = fk_tool_parse(argc, argv, "overlay", &mo, &cfg, ovl_opt_table,
			       &oa, &args);
	if (rc == 1) {
		usage(stdout);
		rc = 0;
		goto out;
	}
	if (rc == 0 && args.npos != 1) {
		fprintf(stderr, "fusekit overlay: need one MOUNTPOINT (try --help)\n");
		rc = 2;
	}
	if (rc == 0 && !oa.lowerdir) {
		fprintf(stderr, "fusekit overlay: -o lowerdir= is required\n");
		rc = 2;
	}
	if (rc == 0 && (oa.upperdir || oa.workdir)) {
		fprintf(stderr, "fusekit overlay: upperdir/workdir: the writable "
				"overlay is not built yet; without them the mount "
				"is read-only\n");
		rc = 2;
	}
	if (rc)
		goto out;
	struct fk_layer *layers[OVL_MAX_LAYERS];
	int n = open_layers(oa.lowerdir, layers);
	if (n < 0) {
		rc = 1;
		goto out;
	}
	char err[512];
	struct fk_ovl *ovl;
	if (fk_ovl_new(&ovl, layers, (unsigned)n, &oa.o, err, sizeof err) < 0) {
		fprintf(stderr, "fusekit overlay: %s\n", err);
		while (n > 0)
			fk_layer_free(layers[--n]);
		rc = 1;
		goto out;
	}
	/* Nothing can change without an upper layer; the kernel answers
	 * EROFS itself. It checks permissions from the modes we show. */
	mo.flags |= FK_MNT_RDONLY;
	mo.default_permissions = 1;
	if (!mo.fsname)
		mo.fsname = strdup("overlay");
	if (!mo.subtype)
		mo.subtype = strdup("overlay");
	rc = fk_tool_serve("overlay", fk_ovl_ops(), ovl, args.pos[0], &mo, &cfg,
			   args.foreground, NULL);
	fk_ovl_free(ovl);
out:
	free(oa.lowerdir);
	free(oa.upperdir);
	free(oa.workdir);
	fk_mount_opts_free(&mo);
	return rc;
}
