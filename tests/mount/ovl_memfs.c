/*
 * ovl_memfs.c — the overlay, or the union, over in-memory layers only,
 * for tests/mount/ovl_mem.sh: it shows both work over any layer, not
 * just host directories.
 *
 *     ovl_memfs MOUNTPOINT LOWER1 [LOWER2...]
 *     ovl_memfs --union MOUNTPOINT RO1 [RO2...]
 *
 * Each LOWER (RO) directory is loaded into its own memory layer
 * (fk_layer_load: files with their contents, directories, symlinks,
 * fifos, devices, owners, modes, times and xattrs, so whiteouts and
 * opaque markers come along). The overlay's upper layer is an empty
 * memory layer; the union has two empty RW memory branches above the RO
 * ones. Serves in the foreground until unmounted; everything written is
 * lost then.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fusekit/fk_overlay.h>
#include <fusekit/fk_union.h>
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
	int un = argc > 1 && !strcmp(argv[1], "--union");
	argv += un;
	argc -= un;
	unsigned writable = un ? 2 : 1; /* empty memory layers on top */
	if (argc < 3 || (unsigned)argc - 2 + writable > MAX_LAYERS) {
		fprintf(stderr, "usage: ovl_memfs MOUNTPOINT LOWER1 [LOWER2...]\n"
				"       ovl_memfs --union MOUNTPOINT RO1 [RO2...]\n");
		return 2;
	}
	struct fk_layer *layers[MAX_LAYERS] = { 0 };
	struct fk_un_branch_spec specs[MAX_LAYERS];
	unsigned n = 0;
	int rc = 0;
	for (; rc == 0 && n < writable; n++)
		rc = fk_mem_layer_new(&layers[n]);
	n -= rc != 0;
	for (int i = 2; rc == 0 && i < argc; i++)
		if ((rc = load_layer(argv[i], &layers[n])) == 0 || layers[n])
			n++; /* a half-loaded layer is freed with the rest */
	for (unsigned i = 0; i < n; i++)
		specs[i] = (struct fk_un_branch_spec){ NULL,
						       i < writable ? FK_UN_RW : FK_UN_RO,
						       UINT64_MAX };
	char err[256] = "";
	struct fk_ovl *ovl = NULL;
	if (rc == 0 && un) {
		struct fk_un_options uo;
		fk_un_options_init(&uo);
		uo.minfreespace = 0;
		if ((rc = fk_un_new(&ovl, layers, specs, n, &uo, err, sizeof err)) == 0)
			n = 0; /* the union owns them now */
	} else if (rc == 0) {
		struct fk_ovl_options o;
		fk_ovl_options_init(&o);
		o.upper = 1;
		if ((rc = fk_ovl_new(&ovl, layers, n, &o, err, sizeof err)) == 0)
			n = 0; /* the overlay owns them now */
	}
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
