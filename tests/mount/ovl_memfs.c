/*
 * ovl_memfs.c — the overlay over in-memory layers only, for
 * tests/mount/ovl_mem.sh: it shows the overlay works over any layer, not
 * just host directories.
 *
 *     ovl_memfs MOUNTPOINT LOWER1 [LOWER2...]
 *
 * Each LOWER directory is loaded into its own memory layer
 * (fk_layer_load: files with their contents, directories, symlinks,
 * fifos, devices, owners, modes, times and xattrs, so whiteouts and
 * opaque markers come along); the upper layer is an empty memory
 * layer. Serves in the foreground until unmounted; everything written
 * is lost then.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fusekit/fk_overlay.h>
#include <fusekit/fusekit.h>

#define MAX_LAYERS 16

/* A memory layer holding a copy of the host directory path. */
static int load_layer(const char *path, struct fk_layer **out)
{
	int rc = fk_mem_layer_new(out);
	char err[512];
	if (rc == 0 && (rc = fk_layer_load(*out, path, err, sizeof err)))
		fprintf(stderr, "ovl_memfs: loading %s\n", err);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc - 2 > MAX_LAYERS - 1) {
		fprintf(stderr, "usage: ovl_memfs MOUNTPOINT LOWER1 [LOWER2...]\n");
		return 2;
	}
	struct fk_layer *layers[MAX_LAYERS] = { 0 };
	unsigned n = 0;
	int rc = fk_mem_layer_new(&layers[n]); /* the upper layer */
	if (rc == 0)
		n++;
	for (int i = 2; rc == 0 && i < argc; i++)
		if ((rc = load_layer(argv[i], &layers[n])) == 0 || layers[n])
			n++; /* a half-loaded layer is freed with the rest */
	struct fk_ovl_options o;
	fk_ovl_options_init(&o);
	o.upper = 1;
	char err[256] = "";
	struct fk_ovl *ovl = NULL;
	if (rc == 0 && (rc = fk_ovl_new(&ovl, layers, n, &o, err, sizeof err)) == 0)
		n = 0; /* the overlay owns them now */
	while (n > 0)
		fk_layer_free(layers[--n]);
	if (rc) {
		fprintf(stderr, "ovl_memfs: %s\n", err[0] ? err : strerror(-rc));
		return 1;
	}
	struct fk_mount_opts mo;
	fk_mount_opts_init(&mo);
	mo.default_permissions = 1;
	fk_session *se = NULL;
	rc = fk_session_new(&se, fk_ovl_ops(), sizeof(struct fk_ops), ovl, NULL);
	if (rc == 0)
		rc = fk_session_mount(se, argv[1], &mo);
	if (rc == 0)
		rc = fk_session_run(se);
	fk_session_destroy(se);
	fk_ovl_free(ovl);
	fk_mount_opts_free(&mo);
	if (rc)
		fprintf(stderr, "ovl_memfs: %s\n", strerror(-rc));
	return rc ? 1 : 0;
}
