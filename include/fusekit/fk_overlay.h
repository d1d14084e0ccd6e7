/*
 * fk_overlay.h — the overlay filesystem: layers merged into one tree, as
 * kernel overlayfs and fuse-overlayfs merge them, over any layers
 * (fk_layer.h).
 *
 *     struct fk_layer *layers[2];   top first
 *     fk_pt_layer_new(&layers[0], "/lower1", &po, err, sizeof err);
 *     fk_pt_layer_new(&layers[1], "/lower2", &po, err, sizeof err);
 *     struct fk_ovl *ovl;
 *     fk_ovl_new(&ovl, layers, 2, &oo, err, sizeof err);
 *     fk_session_new(&se, fk_ovl_ops(), sizeof(struct fk_ops), ovl, &cfg);
 *
 * Lookup goes through the layers; whiteouts and opaque directories, in
 * either format in every layer, hide what is below them; merged directory listings show
 * each name once; xattrs hide the overlay's own markers. With an upper
 * layer (fk_ovl_options.upper), changes are written to it as kernel
 * overlayfs writes them: atomic copy-up through the upper layer's work
 * directory, whiteouts, opaque directories, EXDEV for renaming a
 * directory with lower content. Without one, the mount must be read-only
 * (the kernel then answers EROFS to every change).
 */
#ifndef FUSEKIT_FK_OVERLAY_H
#define FUSEKIT_FK_OVERLAY_H

#include <fusekit/fk_layer.h>
#include <fusekit/fk_ops.h>
#include <fusekit/fk_opt.h>

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared here is the library's ABI; the rest is hidden
 * (-fvisibility=hidden, cmake/fusekit.map). */
#pragma GCC visibility push(default)

struct fk_ovl_options {
	enum fk_cache cache; /* cache= (default FK_CACHE_AUTO) */
	double entry_timeout; /* seconds; negative (default): from cache */
	double attr_timeout; /* seconds; negative (default): from cache */
	double negative_timeout; /* seconds a missing name is cached (0) */
	/* layers[0] is the upper layer, where every change goes; it must
	 * have a work directory (fk_layer_ops.work). 0: read-only. Its
	 * whiteouts are written in its format (fk_layer.whiteout), except
	 * that where device whiteouts or the opaque xattr cannot be made
	 * there (tried at fk_ovl_new) it is switched to the OCI format. */
	int upper;
	/* Every directory shows nlink 1 (fuse-overlayfs's static_nlink). */
	int static_nlink;
	/* Show every owner as these (-1: as they are); squash_to_*. */
	int64_t squash_uid, squash_gid;
	/* POSIX ACL xattrs (system.posix_acl_*) get EOPNOTSUPP (noacl). */
	int noacl;
	/* No xattr of any kind through the mount (noxattrs=1). */
	int noxattrs;
	/* 1 (default): copy-ups are fsynced before they are renamed in, and
	 * fsync requests reach the disk. 0 (fsync=0, volatile): neither;
	 * a crash may then leave an empty or partial copy. */
	int fsync;
	/* Kernel passthrough (FUSE_PASSTHROUGH) for open regular files where
	 * the kernel and our privileges allow it: reads and writes then go
	 * from the kernel to the layer's file (default 1). */
	int passthrough;
	/* The most names merged directory listings keep cached, all
	 * listings together (default 100000; 0: none kept). */
	size_t dircache_names;
	/* Directories renamed away from their lower content (kernel
	 * overlayfs's redirect_dir): FK_OVL_REDIRECT_FOLLOW (default, as the
	 * kernel's "off" is by default) follows the <prefix>redirect xattrs
	 * kernel overlayfs writes, and a rename of a directory with lower
	 * content gets EXDEV; _ON also writes them on such renames; _NOFOLLOW
	 * neither. */
	int redirect_dir;
};

enum { FK_OVL_REDIRECT_FOLLOW, FK_OVL_REDIRECT_ON, FK_OVL_REDIRECT_NOFOLLOW };

void fk_ovl_options_init(struct fk_ovl_options *o);

struct fk_ovl;

/** Merge nlayers layers, layers[0] on top. On success the overlay owns
 *  them (fk_ovl_free frees them); on failure the caller still does.
 *  Returns 0 or -errno with a sentence in err. */
int fk_ovl_new(struct fk_ovl **out, struct fk_layer **layers, unsigned nlayers,
	       const struct fk_ovl_options *o, char *err, size_t errlen);
void fk_ovl_free(struct fk_ovl *ovl);

struct fk_ovl_stats {
	uint64_t nodes; /* nodes the kernel knows or requests use */
	uint64_t listings; /* merged directory listings cached */
	uint64_t listing_names; /* the names they hold (<= dircache_names) */
	uint64_t lookups; /* names the kernel looked up */
	uint64_t layer_lookups; /* names looked up in a layer for them */
};

/** A snapshot of the counters. Safe from any thread. */
void fk_ovl_get_stats(struct fk_ovl *ovl, struct fk_ovl_stats *st);

/** The operations; the fs pointer given to fk_session_new must be the
 *  struct fk_ovl. */
const struct fk_ops *fk_ovl_ops(void);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* FUSEKIT_FK_OVERLAY_H */
