/*
 * cmd_overlay.c — `fusekit overlay -o lowerdir=L1:L2...[,upperdir=U,
 * workdir=W] MOUNTPOINT`.
 *
 * Every layer is a passthrough layer. With upperdir the overlay is
 * writable; the upper layer stages copy-ups in W/work, which is created,
 * and emptied of what an earlier mount left, at start (as kernel
 * overlayfs does with its own W/work). Without upperdir it is read-only.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	  "=DIR   the writable layer, above all of lowerdir" },
	{ "workdir", FK_OPT_STR, OA(workdir), 0, NULL,
	  "=DIR   an empty directory on upperdir's filesystem, outside it\n"
	  "               (required with upperdir)" },
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
		"hides their directory of that name.\n"
		"\n"
		"With upperdir, changes go to it as kernel overlayfs makes them, so\n"
		"either can mount what the other wrote: a lower file is copied up\n"
		"(atomically, through workdir) before it changes, a removed lower\n"
		"name leaves a whiteout, a directory made where one was removed is\n"
		"opaque. Renaming a directory that has lower content fails with\n"
		"EXDEV (mv then copies). Without upperdir the mount is read-only:\n"
		"every change gets EROFS.\n"
		"\n"
		"The kernel checks permissions (default_permissions) from the modes\n"
		"shown. Runs in the background once mounted; `fusekit umount\n"
		"MOUNTPOINT` ends it.\n");
	fk_tool_print_help(out, NULL, "Overlay options", ovl_opt_table);
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

/* Is a at or below b (both real paths)? */
static int path_within(const char *a, const char *b)
{
	size_t n = strlen(b);
	return !strncmp(a, b, n) && (a[n] == '/' || a[n] == 0 || n == 1);
}

/* W/work: made (mode 0 as root, as the kernel's) or emptied of what an
 * earlier mount left. Its path into work (PATH_MAX). 0, or 1 after
 * printing why. */
static int prepare_work(const char *upperdir, const char *workdir, char *work)
{
	char ru[PATH_MAX], rw[PATH_MAX];
	if (!realpath(upperdir, ru) || !realpath(workdir, rw)) {
		fprintf(stderr, "fusekit overlay: %s: %s\n",
			realpath(upperdir, ru) ? "workdir" : "upperdir",
			strerror(errno));
		return 1;
	}
	if (path_within(ru, rw) || path_within(rw, ru)) {
		fprintf(stderr, "fusekit overlay: upperdir and workdir must be "
				"separate directories, neither inside the other\n");
		return 1;
	}
	if ((size_t)snprintf(work, PATH_MAX, "%s/work", rw) >= PATH_MAX) {
		fprintf(stderr, "fusekit overlay: workdir: path too long\n");
		return 1;
	}
	if (mkdir(work, geteuid() == 0 ? 0 : 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "fusekit overlay: %s: %s\n", work, strerror(errno));
		return 1;
	}
	int fd = open(work, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc = fd < 0 ? -errno : empty_dir(fd);
	if (rc) {
		fprintf(stderr, "fusekit overlay: %s: %s\n", work, strerror(-rc));
		return 1;
	}
	return 0;
}

/* The upper layer with its work directory; 0 or 1 after printing why. */
static int open_upper(const char *upperdir, const char *workdir,
		      struct fk_layer **upper)
{
	char work[PATH_MAX], err[512];
	struct fk_pt_options po;
	fk_pt_options_init(&po);
	if (fk_pt_layer_new(upper, upperdir, &po, err, sizeof err)) {
		fprintf(stderr, "fusekit overlay: upperdir: %s\n", err);
		return 1;
	}
	if (prepare_work(upperdir, workdir, work) == 0 &&
	    fk_pt_layer_set_work(*upper, work, err, sizeof err) == 0)
		return 0;
	if (err[0] && strstr(err, "workdir"))
		fprintf(stderr, "fusekit overlay: %s\n", err);
	fk_layer_free(*upper);
	return 1;
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
	if (rc == 0 && !oa.upperdir != !oa.workdir) {
		fprintf(stderr, "fusekit overlay: upperdir= and workdir= go "
				"together\n");
		rc = 2;
	}
	if (rc)
		goto out;
	struct fk_layer *layers[OVL_MAX_LAYERS + 1];
	int up = oa.upperdir != NULL;
	if (up && open_upper(oa.upperdir, oa.workdir, &layers[0])) {
		rc = 1;
		goto out;
	}
	int n = open_layers(oa.lowerdir, layers + up);
	if (n < 0) {
		if (up)
			fk_layer_free(layers[0]);
		rc = 1;
		goto out;
	}
	n += up;
	oa.o.upper = up;
	char err[512];
	struct fk_ovl *ovl;
	if (fk_ovl_new(&ovl, layers, (unsigned)n, &oa.o, err, sizeof err) < 0) {
		fprintf(stderr, "fusekit overlay: %s\n", err);
		while (n > 0)
			fk_layer_free(layers[--n]);
		rc = 1;
		goto out;
	}
	/* The kernel checks permissions from the modes we show. Without an
	 * upper layer nothing can change: the kernel answers EROFS itself. */
	if (!up)
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
