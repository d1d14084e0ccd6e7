/*
 * fk_passthrough.h — the passthrough filesystem: a FUSE mirror of a host
 * directory, as a library component.
 *
 *     struct fk_pt_options o;
 *     fk_pt_options_init(&o);
 *     struct fk_pt *pt;
 *     fk_pt_new(&pt, "/srv/data", &o, err, sizeof err);
 *     fk_session_new(&se, fk_pt_ops(), sizeof(struct fk_ops), pt, &cfg);
 *     ...
 *     fk_pt_free(pt);
 *
 * Nodes are held as O_PATH descriptors and keyed by the host's (dev, ino,
 * mount id), so hard links and repeated lookups meet the same node. Every
 * path is resolved relative to a descriptor inside SOURCE, one name at a
 * time, never following a symlink, so nothing outside SOURCE is reachable.
 * Files created through the mount belong to the calling user (per-request
 * fsuid/fsgid). Permissions are checked by the kernel (default_permissions).
 */
#ifndef FUSEKIT_FK_PASSTHROUGH_H
#define FUSEKIT_FK_PASSTHROUGH_H

#include <fusekit/fk_ops.h>
#include <fusekit/fk_opt.h>

#ifdef __cplusplus
extern "C" {
#endif

enum fk_pt_cache {
	FK_PT_CACHE_NEVER, /* no caching: timeouts 0, direct I/O */
	FK_PT_CACHE_METADATA, /* names and attributes cached, data not kept */
	FK_PT_CACHE_AUTO, /* cached; data dropped when mtime/size change */
	FK_PT_CACHE_ALWAYS, /* everything cached, data kept across opens */
};

/**
 * One range of an id mapping, fuse-overlayfs style: ids host..host+len-1
 * as stored in SOURCE are shown through the mount as to..to+len-1, and
 * callers' ids map back the other way. Ids outside every range show as
 * 65534 (the overflow id).
 */
struct fk_pt_idmap {
	uint32_t host, to, len;
};

#define FK_PT_MAX_IDMAPS 16

struct fk_pt_options {
	double entry_timeout; /* seconds; negative: from cache= */
	double attr_timeout;
	double negative_timeout;
	enum fk_pt_cache cache;
	int writeback; /* FUSE writeback cache */
	int xattr; /* extended attributes on (default) */
	int passthrough; /* kernel passthrough for opened files (default on) */
	/* uidmapping=HOST:SHOWN:LEN[:HOST:SHOWN:LEN...], gidmapping= */
	struct fk_pt_idmap uidmap[FK_PT_MAX_IDMAPS], gidmap[FK_PT_MAX_IDMAPS];
	unsigned nuidmap, ngidmap;
};

void fk_pt_options_init(struct fk_pt_options *o);

/** The -o options of the passthrough filesystem (target: fk_pt_options):
 *  entry_timeout=, attr_timeout=, negative_timeout=, cache=,
 *  writeback, xattr, noxattr, passthrough, nopassthrough, uidmapping=,
 *  gidmapping=. */
extern const struct fk_opt fk_pt_opt_table[];

struct fk_pt;

/** Open source (which must be a directory) and prepare the node table.
 *  Returns 0 or -errno with a sentence in err. */
int fk_pt_new(struct fk_pt **out, const char *source,
	      const struct fk_pt_options *o, char *err, size_t errlen);
void fk_pt_free(struct fk_pt *pt);

/** The operations; the fs pointer given to fk_session_new must be the
 *  struct fk_pt. */
const struct fk_ops *fk_pt_ops(void);

/** Nodes currently known (for tests and statistics). */
uint64_t fk_pt_node_count(struct fk_pt *pt);

#ifdef __cplusplus
}
#endif
#endif /* FUSEKIT_FK_PASSTHROUGH_H */
