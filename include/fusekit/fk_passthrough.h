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
 * Nodes are keyed by the host's (dev, ino, mount id), so hard links and
 * repeated lookups meet the same node. Their ids are the host's file
 * handles where those fit in 64 bits and the daemon may decode them, so
 * that file handles taken through the mount outlive the kernel's caches
 * and the daemon (FUSE_EXPORT_SUPPORT). A node holds its inode one of
 * three ways (fk_pt_options.inode): an O_PATH descriptor for its whole
 * life (fd, the Linux default); a file handle (handle), reopened through
 * a bounded descriptor cache; or its parent and name (lazy: directories'
 * descriptors reopened the same way, other nodes reached by name in their
 * directory), for hosts where descriptors are scarce and for macOS. Every path is
 * resolved beneath a descriptor inside SOURCE without following a symlink
 * (openat2 RESOLVE_BENEATH where the kernel has it, one name at a time
 * otherwise), so nothing outside SOURCE is reachable.
 * Files created through the mount belong to the calling user (per-request
 * fsuid/fsgid). Permissions are checked by the kernel (default_permissions).
 */
#ifndef FUSEKIT_FK_PASSTHROUGH_H
#define FUSEKIT_FK_PASSTHROUGH_H

#include <fusekit/fk_layer.h>
#include <fusekit/fk_ops.h>
#include <fusekit/fk_opt.h>

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared here is the library's ABI; the rest is hidden
 * (-fvisibility=hidden, cmake/fusekit.map). */
#pragma GCC visibility push(default)


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

/* Extended attribute namespaces a mount passes through (xattr_ns=). */
enum {
	FK_PT_XATTR_USER = 1,
	FK_PT_XATTR_TRUSTED = 2,
	FK_PT_XATTR_SECURITY = 4,
	FK_PT_XATTR_SYSTEM = 8, /* POSIX ACLs among them */
	FK_PT_XATTR_OTHER = 16, /* any other prefix (e.g. macOS's com.apple.) */
	FK_PT_XATTR_ALL = 31,
};

enum fk_pt_inode_mode {
	FK_PT_INODE_FD, /* an O_PATH descriptor per node */
	FK_PT_INODE_HANDLE, /* a file handle per node, descriptors cached */
	FK_PT_INODE_LAZY, /* parent and name per node, descriptors cached */
};

struct fk_pt_options {
	double entry_timeout; /* seconds; negative: from cache= */
	double attr_timeout;
	double negative_timeout;
	enum fk_cache cache; /* cache= (default FK_CACHE_AUTO) */
	int writeback; /* FUSE writeback cache */
	int xattr; /* extended attributes on (default) */
	unsigned xattr_ns; /* FK_PT_XATTR_* bits (default FK_PT_XATTR_ALL) */
	/* POSIX ACLs applied by the kernel (default on; needs xattr and
	 * FK_PT_XATTR_SYSTEM): it checks permissions against the ACLs
	 * stored on SOURCE, and new objects inherit default ACLs there,
	 * the caller's umask applied only where there is none. Off, ACLs
	 * pass as xattrs and only the mode bits count. */
	int acl;
	int passthrough; /* kernel passthrough for opened files (default on) */
	/* Node ids from host file handles, so that handles through the mount
	 * outlive the kernel's caches and the daemon (default on; costs a
	 * system call per inode the daemon meets). */
	int export;
	/* uidmapping=HOST:SHOWN:LEN[:HOST:SHOWN:LEN...], gidmapping= */
	struct fk_pt_idmap uidmap[FK_PT_MAX_IDMAPS], gidmap[FK_PT_MAX_IDMAPS];
	unsigned nuidmap, ngidmap;
	enum fk_pt_inode_mode inode; /* inode=fd|handle|lazy */
	/* fd_cap=N: descriptors on SOURCE the handle and lazy modes hold:
	 * nodes', open files' and the root's (at least 2; operations in
	 * flight may pin a few more; open directory streams are not
	 * counted). 0: half the soft RLIMIT_NOFILE, after raising it to the
	 * hard limit. */
	uint32_t fd_cap;
	/* hold=dirs: only directories hold descriptors (or handles); other
	 * nodes are reached by name in their directory, as on macOS, where
	 * that is the only way. inode=fd becomes lazy. */
	int hold_dirs_only;
};

void fk_pt_options_init(struct fk_pt_options *o);

/** The -o options of the passthrough filesystem (target: fk_pt_options):
 *  entry_timeout=, attr_timeout=, negative_timeout=, cache=,
 *  writeback, xattr, noxattr, acl, noacl, passthrough, nopassthrough,
 *  export, noexport, uidmapping=,
 *  gidmapping=, inode=, fd_cap=, hold=, xattr_ns=. */
extern const struct fk_opt fk_pt_opt_table[];

struct fk_pt;

/** Open source (which must be a directory) and prepare the node table.
 *  Returns 0 or -errno with a sentence in err. */
int fk_pt_new(struct fk_pt **out, const char *source,
	      const struct fk_pt_options *o, char *err, size_t errlen);
void fk_pt_free(struct fk_pt *pt);

/** The same filesystem as a layer (fk_layer.h) for overlay and union:
 *  fk_pt_new's arguments; fk_layer_free frees it. Its handles are nodes
 *  of the same kind the FUSE ops use (every inode mode works). */
int fk_pt_layer_new(struct fk_layer **out, const char *source,
		    const struct fk_pt_options *o, char *err, size_t errlen);
/** Give a passthrough layer its work directory (fk_layer_ops.work):
 *  workdir, a directory on the same filesystem as source and outside it.
 *  Returns 0 or -errno with a sentence in err (-EXDEV: another
 *  filesystem). */
int fk_pt_layer_set_work(struct fk_layer *l, const char *workdir, char *err,
			 size_t errlen);

/**
 * Owners and modes kept in an xattr instead of the inode (fuse-overlayfs's
 * xattr_permissions, containers/storage's override): for daemons that
 * cannot give files away, such as one in a user namespace that lacks most
 * ids. The value is "UID:GID:MODE", MODE in octal (type bits and a
 * fourth ":TYPE" field, which other writers add, are ignored), the ids as
 * the host stores them (before uidmapping). Only regular files and
 * directories carry one; other objects show the inode's own attributes.
 */
enum fk_pt_override {
	FK_PT_OVERRIDE_NONE,
	FK_PT_OVERRIDE_PRIVILEGED, /* security.fuseoverlayfs.override_stat */
	FK_PT_OVERRIDE_USER, /* user.fuseoverlayfs.override_stat */
	FK_PT_OVERRIDE_CONTAINERS, /* user.containers.override_stat */
};
/** The xattr name of o (NULL for NONE). */
const char *fk_pt_override_xattr(enum fk_pt_override o);
/** The override a layer reads. A new layer reads the one its root
 *  carries (looked for in the order above, as fuse-overlayfs looks). */
enum fk_pt_override fk_pt_layer_override(struct fk_layer *l);
/** From now on, read and write owners and modes of regular files and
 *  directories through xattr o (NONE: through the inode again). chmod
 *  and chown change only the xattr; new files and directories are the
 *  daemon's on the host, with mode | 0755 so that it can always use
 *  them, and carry the owner and mode asked for in the xattr, set before
 *  they get their name. A root without xattr o gets root_value, or with
 *  NULL its inode's own owner and mode. 0 or -errno with a sentence in
 *  err (-EPERM: the daemon may not write xattr o). */
int fk_pt_layer_set_override(struct fk_layer *l, enum fk_pt_override o,
			     const char *root_value, char *err, size_t errlen);

/** The operations; the fs pointer given to fk_session_new must be the
 *  struct fk_pt. */
const struct fk_ops *fk_pt_ops(void);

struct fk_pt_stats {
	uint64_t nodes; /* nodes the kernel knows or requests use */
	enum fk_pt_inode_mode inode; /* the mode in effect */
	uint64_t fds; /* cached descriptors open now (handle, lazy) */
	uint64_t fd_cap; /* their bound (handle, lazy; 0 in fd mode) */
	uint64_t reopens; /* descriptors reopened after being closed */
};

/** A snapshot of the counters. Safe from any thread. */
void fk_pt_get_stats(struct fk_pt *pt, struct fk_pt_stats *st);
/** "fd", "handle" or "lazy". */
const char *fk_pt_inode_mode_name(enum fk_pt_inode_mode m);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* FUSEKIT_FK_PASSTHROUGH_H */
