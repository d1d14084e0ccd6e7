/*
 * fk_layer.h — the layer interface: what the overlay and union filesystems
 * need from one directory tree of a stack, and nothing more.
 *
 * A layer is a tree of nodes. A node handle (struct fk_layer_node) is
 * reference counted: every call that hands one out gives the caller a
 * reference, which fk_layer_put gives back. Handles stay valid while held,
 * across renames of the node or its ancestors; a handle whose inode was
 * removed answers ENOENT or ESTALE.
 *
 *     struct fk_layer *l;                  from fk_pt_layer_new or
 *     fk_mem_layer_new(&l);                fk_mem_layer_new
 *     struct fk_layer_node *root = fk_layer_root(l), *n;
 *     struct fk_layer_stat st;
 *     int rc = l->ops->lookup(l, root, "etc", &n, &st);
 *     ...
 *     fk_layer_put(l, n);
 *     fk_layer_put(l, root);
 *     fk_layer_free(l);
 *
 * Data goes through host file descriptors: open and create return one the
 * caller owns and closes, so reads, writes, fsync, fallocate, locks and
 * kernel passthrough need no layer call. (The in-memory layer keeps file
 * contents in anonymous memory files for that reason.)
 *
 * Where an op hands out a node (out) and its attributes (st), either
 * may be NULL when the caller does not need it.
 *
 * Every op returns 0 (or a count where it says so) or -errno, and never
 * checks the caller's permissions: the filesystem on top has decided that
 * the operation is allowed (the kernel checks it, default_permissions).
 * Names are single components: never "", ".", "..", never with '/'; a
 * name longer than the host allows gets -ENAMETOOLONG.
 *
 * Owners. What the create-type ops make belongs to cred (uid, gid), as an
 * atomic part of making it: a crash never leaves an object with another
 * owner. A layer that cannot give objects away (a daemon that is not
 * root) makes them its own. Owner ids are as the layer shows them in
 * fk_layer_stat.
 *
 * Whiteouts and opaque directories are written by the fk_layer_* functions
 * at the end, on top of the ops, in the format the layer's creator chose
 * (fk_layer.whiteout and fk_layer.xattr_prefix), and read in every
 * format, always: container tools stack layers written in either.
 */
#ifndef FUSEKIT_FK_LAYER_H
#define FUSEKIT_FK_LAYER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <fusekit/fk_ops.h>

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared here is the library's ABI; the rest is hidden
 * (-fvisibility=hidden, cmake/fusekit.map). */
#pragma GCC visibility push(default)

struct fk_layer;
struct fk_layer_node; /* opaque, reference counted */
struct fk_layer_dir; /* an open directory stream */

/** What a layer reports about a node. */
struct fk_layer_stat {
	uint64_t dev; /* host device: (dev, attr.ino) names the inode */
	struct fk_attr attr;
};

/** The owner of a new object, and the umask of whoever asks for it. */
struct fk_layer_cred {
	uint32_t uid, gid;
	/* 0: the mode is final. Else the caller's umask, which the layer
	 * applies where the new object's directory has no default ACL (where
	 * it has one, the object inherits it and the umask does not count:
	 * layers with fk_layer.acls; the others apply the umask always). */
	uint32_t umask;
};

/** One directory entry: never "." or "..". */
struct fk_layer_dirent {
	uint64_t ino;
	uint32_t type; /* S_IFMT bits; 0 if the host does not say */
	char name[256];
};

struct fk_layer_ops {
	/** Release everything; every handle has been put. */
	void (*destroy)(struct fk_layer *l);
	/** A new reference to the root. Cannot fail. */
	struct fk_layer_node *(*root)(struct fk_layer *l);
	/** One more reference to n. */
	void (*hold)(struct fk_layer *l, struct fk_layer_node *n);
	/** Give back a reference (NULL is fine). */
	void (*put)(struct fk_layer *l, struct fk_layer_node *n);

	/** name in parent: -ENOENT, -ENOTDIR, -ENAMETOOLONG, -EINVAL (a
	 *  name that is not one component). *out and *st on success. */
	int (*lookup)(struct fk_layer *l, struct fk_layer_node *parent,
		      const char *name, struct fk_layer_node **out,
		      struct fk_layer_stat *st);
	int (*getattr)(struct fk_layer *l, struct fk_layer_node *n,
		       struct fk_layer_stat *st);
	/** Change what in->valid says (FK_SET_MODE, _UID, _GID, _SIZE,
	 *  _ATIME, _MTIME, _ATIME_NOW, _MTIME_NOW; in->ino and in->fh are
	 *  not used). A symlink's times and owner can be set; its mode
	 *  cannot (-EOPNOTSUPP). A chown of a regular file drops its
	 *  set-user-ID bit, and set-group-ID where group-executable, as
	 *  Linux's does; FK_SET_KILL_SUIDGID drops them too (the change is an
	 *  unprivileged writer's: a truncate, or alone, a write). st: the
	 *  attributes after, or NULL. */
	int (*setattr)(struct fk_layer *l, struct fk_layer_node *n,
		       const struct fk_setattr_in *in, struct fk_layer_stat *st);
	/** A symlink's target, NUL-terminated in buf: its length, -ERANGE
	 *  when size is too small, -EINVAL if n is not a symlink. */
	int (*readlink)(struct fk_layer *l, struct fk_layer_node *n, char *buf,
			size_t size);

	/** An open file description of regular file n: a descriptor the
	 *  caller owns. flags as open(2) (O_ACCMODE, O_TRUNC, O_APPEND,
	 *  O_DIRECT, O_NOATIME, O_SYNC...), never O_CREAT. -EISDIR etc.
	 *  Of a directory, with O_RDONLY | O_DIRECTORY, where the layer has
	 *  descriptors for directories (for ioctls; else -EISDIR). */
	int (*open)(struct fk_layer *l, struct fk_layer_node *n, int flags);
	/** Make regular file name in parent (O_EXCL is implied: -EEXIST if
	 *  the name exists) and open it with flags: the descriptor. */
	int (*create)(struct fk_layer *l, struct fk_layer_node *parent,
		      const char *name, int flags, uint32_t mode,
		      const struct fk_layer_cred *cred, struct fk_layer_node **out,
		      struct fk_layer_stat *st);
	int (*mkdir)(struct fk_layer *l, struct fk_layer_node *parent,
		     const char *name, uint32_t mode,
		     const struct fk_layer_cred *cred, struct fk_layer_node **out,
		     struct fk_layer_stat *st);
	/** A fifo, socket, or device (rdev as makedev()). */
	int (*mknod)(struct fk_layer *l, struct fk_layer_node *parent,
		     const char *name, uint32_t mode, uint32_t rdev,
		     const struct fk_layer_cred *cred, struct fk_layer_node **out,
		     struct fk_layer_stat *st);
	int (*symlink)(struct fk_layer *l, struct fk_layer_node *parent,
		       const char *name, const char *target,
		       const struct fk_layer_cred *cred,
		       struct fk_layer_node **out, struct fk_layer_stat *st);
	/** A new name for n: -EEXIST, -EPERM for a directory. */
	int (*link)(struct fk_layer *l, struct fk_layer_node *n,
		    struct fk_layer_node *newparent, const char *newname,
		    struct fk_layer_stat *st);
	/** Remove a non-directory name (-EISDIR) or an empty directory
	 *  (rmdir: -ENOTDIR, -ENOTEMPTY). */
	int (*unlink)(struct fk_layer *l, struct fk_layer_node *parent,
		      const char *name);
	int (*rmdir)(struct fk_layer *l, struct fk_layer_node *parent,
		     const char *name);
	/** renameat2 within the layer: flags 0, FK_RENAME_NOREPLACE,
	 *  FK_RENAME_EXCHANGE; FK_RENAME_WHITEOUT may answer -EINVAL where
	 *  the layer cannot (use fk_layer_whiteout_create then). Held
	 *  handles of moved nodes stay valid. */
	int (*rename)(struct fk_layer *l, struct fk_layer_node *parent,
		      const char *name, struct fk_layer_node *newparent,
		      const char *newname, unsigned flags);

	/** Stream a directory's entries, each exactly once, in the layer's
	 *  order; "." and ".." are left out. readdir answers 1 with *e
	 *  filled, 0 at the end, or -errno. */
	int (*opendir)(struct fk_layer *l, struct fk_layer_node *n,
		       struct fk_layer_dir **out);
	int (*readdir)(struct fk_layer *l, struct fk_layer_dir *d,
		       struct fk_layer_dirent *e);
	void (*closedir)(struct fk_layer *l, struct fk_layer_dir *d);

	/** Extended attributes, as the l*xattr calls (never following a
	 *  symlink): get and list answer the length; size 0 asks for it;
	 *  -ENODATA, -ERANGE, -EOPNOTSUPP. flags: XATTR_CREATE/REPLACE. */
	int (*getxattr)(struct fk_layer *l, struct fk_layer_node *n,
			const char *name, void *buf, size_t size);
	int (*listxattr)(struct fk_layer *l, struct fk_layer_node *n,
			 char *buf, size_t size);
	int (*setxattr)(struct fk_layer *l, struct fk_layer_node *n,
			const char *name, const void *value, size_t size,
			int flags);
	int (*removexattr)(struct fk_layer *l, struct fk_layer_node *n,
			   const char *name);

	/** The layer's capacity, for statfs of a filesystem on top. */
	int (*statfs)(struct fk_layer *l, struct fk_statfs *st);
	/** Flush the layer to stable storage (syncfs). */
	int (*sync)(struct fk_layer *l);

	/** Optional (NULL: none). The node's path on the host, for messages
	 *  and tools: its length, or -ENOTSUP, -ERANGE. */
	int (*host_path)(struct fk_layer *l, struct fk_layer_node *n,
			 char *buf, size_t size);
	/** Optional (NULL: none). Make regular file name in parent as a
	 *  clone of the open file src (a reflink: shared blocks, no copy),
	 *  owned by cred, with the given mode, and open it O_RDWR: the
	 *  descriptor. -EOPNOTSUPP or -EXDEV when the host cannot clone
	 *  from there (or the layer will not: the passthrough layer keeping
	 *  owners in xattrs); then nothing was made. The passthrough layer
	 *  clones with FICLONE on Linux and fclonefileat on macOS, where the
	 *  clone also starts with src's xattrs and ACL. */
	int (*clone_file)(struct fk_layer *l, struct fk_layer_node *parent,
			  const char *name, int src, uint32_t mode,
			  const struct fk_layer_cred *cred,
			  struct fk_layer_node **out, struct fk_layer_stat *st);
	/** Optional (NULL: none). A new reference to the layer's work
	 *  directory: a directory outside the visible tree, on the same host
	 *  filesystem, where a filesystem on top builds objects before
	 *  renaming them into the tree (rename between the two works and is
	 *  atomic). -ENOTSUP when the layer has none. */
	int (*work)(struct fk_layer *l, struct fk_layer_node **out);
	/** Optional (NULL: none). An unnamed regular file in directory
	 *  parent (open(2)'s O_TMPFILE), owned by cred, opened with flags:
	 *  the descriptor. link gives it a name; unlinked, it goes with its
	 *  last handle and descriptor. */
	int (*tmpfile)(struct fk_layer *l, struct fk_layer_node *parent,
		       int flags, uint32_t mode, const struct fk_layer_cred *cred,
		       struct fk_layer_node **out, struct fk_layer_stat *st);
	/** Optional (NULL: none). The attributes of the inode a file handle
	 *  names on the layer's host filesystem (type and bytes as
	 *  name_to_handle_at(2) makes them; kernel overlayfs records such
	 *  handles). -ESTALE when it names none there, -EPERM when the
	 *  daemon may not decode handles. */
	int (*handle_stat)(struct fk_layer *l, int type, const void *bytes,
			   size_t len, struct fk_layer_stat *st);
};

/** How whiteouts and opaque directories are written in a layer (both are
 *  read in every layer). */
enum fk_layer_whiteout {
	/* A whiteout is a character device 0/0 named like what it hides; an
	 * opaque directory has the xattr <prefix>opaque = "y" (kernel
	 * overlayfs, fuse-overlayfs). */
	FK_LAYER_WH_CHARDEV,
	/* A whiteout is an empty file ".wh.NAME"; an opaque directory holds
	 * ".wh..wh..opq" (OCI image layers). */
	FK_LAYER_WH_OCI,
};

struct fk_layer {
	const struct fk_layer_ops *ops;
	enum fk_layer_whiteout whiteout;
	uint64_t staged; /* fk_layer_stage_name's count (atomic builtins) */
	/* Where the overlay keeps its xattrs: "trusted.overlay." (as kernel
	 * overlayfs, where the process may write trusted.* xattrs) or
	 * "user.overlay." (unprivileged, or root of a user namespace). */
	char xattr_prefix[32];
	/* The layer keeps POSIX ACLs as a local filesystem does: stored as
	 * system.posix_acl_* xattrs, mode and ACL kept in step by chmod and
	 * setxattr, a directory's default ACL inherited by what is made in
	 * it (fk_layer_cred.umask). 0 unless the layer says so. */
	int acls;
};

/** Set the defaults: FK_LAYER_WH_CHARDEV (FK_LAYER_WH_OCI on macOS) and
 *  "trusted.overlay." (with CAP_SYS_ADMIN in the initial user namespace)
 *  or "user.overlay." (anyone else). For layer implementations. */
void fk_layer_init(struct fk_layer *l, const struct fk_layer_ops *ops);

/** ops->destroy. */
void fk_layer_free(struct fk_layer *l);
static inline struct fk_layer_node *fk_layer_root(struct fk_layer *l)
{
	return l->ops->root(l);
}
static inline void fk_layer_put(struct fk_layer *l, struct fk_layer_node *n)
{
	l->ops->put(l, n);
}

/** An in-memory layer: every op, kept in this process's memory (file
 *  contents in anonymous memory files). Root: a 0755 directory owned by
 *  the calling process. It has a work directory. For tests and scratch
 *  upper layers. */
int fk_mem_layer_new(struct fk_layer **out);

/** The longest fk_layer_stage_name, NUL included. */
#define FK_LAYER_STAGE_NAME_MAX 32
/** A name for an object built in l's work directory before it takes its
 *  place (rename): one no other call on l gives ("#fk" and a count, as
 *  kernel overlayfs names its own "#<hex>"). The work directory is
 *  outside the layer's tree, and the overlay empties it when it starts,
 *  so no such name is there already. */
void fk_layer_stage_name(struct fk_layer *l, char buf[FK_LAYER_STAGE_NAME_MAX]);

/** Copy the tree at host_dir into l's root, through l's ops: files with
 *  their contents, directories, symlinks, fifos, sockets and devices,
 *  with their owners, modes, times and xattrs. 0, or -errno with a
 *  message naming what could not be copied in err (errlen bytes; what
 *  was copied before stays). */
int fk_layer_load(struct fk_layer *l, const char *host_dir, char *err,
		  size_t errlen);

/* ---- whiteouts and opaque directories, in the layer's format ---- */

/** The OCI markers. */
#define FK_LAYER_OCI_PREFIX ".wh."
#define FK_LAYER_OCI_OPAQUE ".wh..wh..opq"

/** Hide name in parent: write a whiteout for it in the layer's format
 *  (-EEXIST if name or its whiteout exists already). */
int fk_layer_whiteout_create(struct fk_layer *l, struct fk_layer_node *parent,
			     const char *name, const struct fk_layer_cred *cred);
/** Is name in parent whited out, in either format? st: what a lookup of
 *  name found (then only a device 0/0 is a whiteout: a ".wh.NAME" beside
 *  NAME hides only the layers below), or NULL when it found nothing (then
 *  ".wh.NAME" is looked up). 1 yes, 0 no, or -errno. */
int fk_layer_whiteout_test(struct fk_layer *l, struct fk_layer_node *parent,
			   const char *name, const struct fk_layer_stat *st);
/** Remove every whiteout of name, in either format: 0, or -ENOENT if
 *  there is none (a real object named name is left alone). */
int fk_layer_whiteout_delete(struct fk_layer *l, struct fk_layer_node *parent,
			     const char *name);
/** Mark directory dir opaque in the layer's format (what is below it in
 *  lower layers is not seen). */
int fk_layer_opaque_set(struct fk_layer *l, struct fk_layer_node *dir,
			const struct fk_layer_cred *cred);
/** Is dir opaque, in any format? 1, 0, or -errno. Reads the xattrs
 *  trusted.overlay.opaque, user.overlay.opaque and
 *  user.fuseoverlayfs.opaque (= "y"), and the OCI marker. */
int fk_layer_opaque_test(struct fk_layer *l, struct fk_layer_node *dir);
/** Is this a directory entry the formats use for their own marks, never
 *  to be shown (".wh.*", in every layer)? */
int fk_layer_is_marker_name(const struct fk_layer *l, const char *name);
/** Is this an xattr the overlay keeps for itself, never to be shown
 *  (<prefix>*, trusted.overlay.*, user.overlay.*, user.fuseoverlayfs.*,
 *  and the owner overrides security.fuseoverlayfs.* and
 *  user.containers.override_stat)? */
int fk_layer_is_marker_xattr(const struct fk_layer *l, const char *name);

/** A layer's FK_SET_KILL_SUIDGID drops set-group-ID only where the file
 *  is group-executable; since Linux 6.2 a writer outside the file's group
 *  (and without CAP_FSETID) drops it also where it is not. For a setattr
 *  by the writer who, in->valid gets FK_SET_MODE, with the mode that
 *  writer's change leaves, where that differs: n's attributes are known,
 *  or read when known is NULL. in without FK_SET_KILL_SUIDGID, or with
 *  FK_SET_MODE: unchanged. 0 or -errno. */
int fk_layer_kill_for(struct fk_layer *l, struct fk_layer_node *n,
		      const struct fk_ctx *who, const struct fk_layer_stat *known,
		      struct fk_setattr_in *in);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* FUSEKIT_FK_LAYER_H */
