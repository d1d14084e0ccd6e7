/*
 * fk_ops.h — the filesystem interface: one callback per FUSE operation, the
 * decoded arguments each receives, and the reply calls that answer them.
 *
 * The contract, for every callback that receives an fk_req:
 *
 *   - Answer the request with exactly one reply call, either before the
 *     callback returns or later, from any thread. Answering twice, or using
 *     a reply the operation does not accept, is a bug: an assertion fails in
 *     debug builds (NDEBUG unset); release builds log it and send EIO for a
 *     reply of the wrong kind. A request never answered is reported when the
 *     session ends.
 *   - The argument struct, and every pointer in it (names, data), stay valid
 *     until the request is answered, and not after.
 *   - Every reply call returns 0, or -errno if the kernel refused the reply
 *     (-ENOENT: the request was interrupted and is gone). The request is
 *     finished either way.
 *
 * A callback left NULL makes the operation answer ENOSYS (the kernel then
 * stops sending most of them), except where noted.
 *
 * Node ids: FK_ROOT_INO is the root. Every other id is one you returned in an
 * entry reply; each entry reply (lookup, mknod, mkdir, symlink, link, create,
 * and each entry readdirplus sends) adds one to its lookup count, and forget
 * takes counts back. A node must stay valid while its count is above zero.
 */
#ifndef FUSEKIT_FK_OPS_H
#define FUSEKIT_FK_OPS_H

#include <fusekit/fk_types.h>

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared here is the library's ABI; the rest is hidden
 * (-fvisibility=hidden, cmake/fusekit.map). */
#pragma GCC visibility push(default)

/** A request from the kernel. Opaque; see the fk_req_* accessors. */
typedef struct fk_req fk_req;
typedef struct fk_session fk_session;

/* ---- Decoded arguments ------------------------------------------------ */

/** lookup, unlink, rmdir */
struct fk_name_in {
	uint64_t parent;
	const char *name;
};

/** readlink, statfs, syncfs, getxtimes: just the node */
struct fk_ino_in {
	uint64_t ino;
};

struct fk_getattr_in {
	uint64_t ino;
	uint64_t fh;
	int has_fh; /* fstat() on an open file: fh is valid */
};

/** fk_setattr_in.valid bits: which fields to change. */
#define FK_SET_MODE (1u << 0)
#define FK_SET_UID (1u << 1)
#define FK_SET_GID (1u << 2)
#define FK_SET_SIZE (1u << 3)
#define FK_SET_ATIME (1u << 4)
#define FK_SET_MTIME (1u << 5)
#define FK_SET_CTIME (1u << 6)
#define FK_SET_ATIME_NOW (1u << 7) /* set atime to the current time */
#define FK_SET_MTIME_NOW (1u << 8)
#define FK_SET_KILL_SUIDGID (1u << 9)
#define FK_SET_CRTIME (1u << 10) /* macFUSE */
#define FK_SET_CHGTIME (1u << 11) /* macFUSE */
#define FK_SET_BKUPTIME (1u << 12) /* macFUSE */
#define FK_SET_FLAGS (1u << 13) /* macFUSE: chflags */

struct fk_setattr_in {
	uint64_t ino;
	uint32_t valid; /* FK_SET_* */
	int has_fh;
	uint64_t fh;
	uint64_t size;
	uint64_t lock_owner;
	struct timespec atime, mtime, ctime;
	struct timespec crtime, chgtime, bkuptime; /* macFUSE */
	uint32_t mode, uid, gid;
	uint32_t flags; /* macFUSE chflags */
};

struct fk_symlink_in {
	uint64_t parent;
	const char *name;
	const char *target;
};

struct fk_mknod_in {
	uint64_t parent;
	const char *name;
	uint32_t mode; /* type and permission bits, umask not yet applied
	                  when FK_CAP_DONT_MASK is on */
	uint32_t rdev;
	uint32_t umask;
};

struct fk_mkdir_in {
	uint64_t parent;
	const char *name;
	uint32_t mode;
	uint32_t umask;
};

/** fk_rename_in.flags: Linux renameat2(2) values on both platforms. macFUSE's
 * RENAME_SWAP arrives as FK_RENAME_EXCHANGE, RENAME_EXCL as NOREPLACE. */
#define FK_RENAME_NOREPLACE (1u << 0)
#define FK_RENAME_EXCHANGE (1u << 1)
#define FK_RENAME_WHITEOUT (1u << 2)

struct fk_rename_in {
	uint64_t parent;
	const char *name;
	uint64_t newparent;
	const char *newname;
	uint32_t flags;
};

struct fk_link_in {
	uint64_t ino; /* the existing node */
	uint64_t newparent;
	const char *newname;
};

/** open and opendir */
struct fk_open_in {
	uint64_t ino;
	uint32_t flags; /* open(2) flags */
	int kill_suidgid; /* FUSE_OPEN_KILL_SUIDGID */
};

struct fk_create_in {
	uint64_t parent;
	const char *name; /* for tmpfile: "" */
	uint32_t flags;
	uint32_t mode;
	uint32_t umask;
	int kill_suidgid;
};

/** read, readdir, readdirplus */
struct fk_read_in {
	uint64_t ino;
	uint64_t fh;
	uint64_t offset;
	uint32_t size;
	uint32_t flags; /* open(2) flags of the file */
	int has_lock_owner;
	uint64_t lock_owner;
};

/* fk_write_in.write_flags */
#define FK_WRITE_CACHE (1u << 0) /* from the page cache (writeback) */
/* HANDLE_KILLPRIV_V2: the writer lacks CAP_FSETID; the filesystem drops
 * set-user-ID, and set-group-ID if group-executable, as the write would. */
#define FK_WRITE_KILL_SUIDGID (1u << 2)

struct fk_write_in {
	uint64_t ino;
	uint64_t fh;
	uint64_t offset;
	uint32_t size;
	const void *data;
	uint32_t flags;
	uint32_t write_flags; /* FK_WRITE_* */
	int has_lock_owner;
	uint64_t lock_owner;
};

/** release and releasedir */
struct fk_release_in {
	uint64_t ino;
	uint64_t fh;
	uint32_t flags;
	int flush; /* FUSE_RELEASE_FLUSH */
	int flock_unlock; /* FUSE_RELEASE_FLOCK_UNLOCK: drop flock locks of lock_owner */
	uint64_t lock_owner;
};

struct fk_flush_in {
	uint64_t ino;
	uint64_t fh;
	uint64_t lock_owner;
};

/** fsync and fsyncdir */
struct fk_fsync_in {
	uint64_t ino;
	uint64_t fh;
	int datasync;
};

/** setxattr_flags: the value is an access ACL (FK_CAP_POSIX_ACL) set by a
 *  caller outside the file's group without CAP_FSETID: the file loses its
 *  set-group-ID bit, as posix_acl_update_mode drops it natively. */
#define FK_SETXATTR_ACL_KILL_SGID (1u << 0)

struct fk_setxattr_in {
	uint64_t ino;
	const char *name;
	const void *value;
	uint32_t size;
	uint32_t flags; /* XATTR_CREATE / XATTR_REPLACE, as this host numbers
			 * them (macFUSE's caller's options left out) */
	uint32_t setxattr_flags; /* FK_SETXATTR_ACL_KILL_SGID */
	uint32_t position; /* macFUSE resource fork offset; 0 on Linux */
};

/**
 * getxattr. size == 0 asks for the value's size (fk_reply_xattr_size);
 * otherwise answer the value (fk_reply_buf) or ERANGE if it is larger.
 */
struct fk_getxattr_in {
	uint64_t ino;
	const char *name;
	uint32_t size;
	uint32_t position; /* macFUSE */
};

/** listxattr. size == 0: fk_reply_xattr_size; else fk_reply_buf or ERANGE. */
struct fk_listxattr_in {
	uint64_t ino;
	uint32_t size;
};

struct fk_removexattr_in {
	uint64_t ino;
	const char *name;
};

/** getlk, setlk, setlkw */
struct fk_lock_in {
	uint64_t ino;
	uint64_t fh;
	uint64_t owner;
	struct fk_lock lock;
	int flock; /* a flock(2) lock, not a POSIX one */
	int sleep; /* SETLKW: wait for the lock */
};

struct fk_access_in {
	uint64_t ino;
	uint32_t mask; /* R_OK | W_OK | X_OK, or F_OK */
};

struct fk_bmap_in {
	uint64_t ino;
	uint64_t block;
	uint32_t blocksize;
};

/** fk_ioctl_in.flags: the ioctl is on a directory, and fh is opendir's. */
#define FK_IOCTL_DIR (1u << 4)

struct fk_ioctl_in {
	uint64_t ino;
	uint64_t fh; /* open's, or opendir's with FK_IOCTL_DIR */
	uint32_t flags; /* FUSE_IOCTL_* */
	uint32_t cmd;
	uint64_t arg;
	const void *in_data;
	uint32_t in_size;
	uint32_t out_size; /* the most the reply may carry */
};

struct fk_poll_in {
	uint64_t ino;
	uint64_t fh;
	uint64_t kh; /* handle for fk_notify_poll() */
	int schedule_notify; /* the caller will wait: notify when ready */
	uint32_t events;
};

struct fk_fallocate_in {
	uint64_t ino;
	uint64_t fh;
	uint64_t offset;
	uint64_t length;
	uint32_t mode; /* fallocate(2) FALLOC_FL_*, or FK_FALLOC_PREALLOCATE */
};
/** fk_fallocate_in.mode from macFUSE's F_PREALLOCATE: reserve length
 *  bytes from the end of what the file has allocated plus offset, all or
 *  nothing, its size unchanged. */
#define FK_FALLOC_PREALLOCATE (1u << 31)

struct fk_lseek_in {
	uint64_t ino;
	uint64_t fh;
	uint64_t offset;
	uint32_t whence; /* SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE */
};

/** copy_file_range; answer with fk_reply_copied(). */
struct fk_copy_range_in {
	uint64_t ino_in;
	uint64_t fh_in;
	uint64_t off_in;
	uint64_t ino_out;
	uint64_t fh_out;
	uint64_t off_out;
	uint64_t len;
	uint64_t flags;
};

struct fk_statx_in {
	uint64_t ino;
	int has_fh;
	uint64_t fh;
	uint32_t sx_flags; /* AT_STATX_* */
	uint32_t sx_mask; /* STATX_* wanted */
};

/** macFUSE SETVOLNAME */
struct fk_setvolname_in {
	const char *name;
};

/** macFUSE EXCHANGE (exchangedata(2)) */
struct fk_exchange_in {
	uint64_t olddir;
	const char *oldname;
	uint64_t newdir;
	const char *newname;
	uint64_t options;
};

/* ---- Connection and capabilities -------------------------------------- */

/**
 * Capabilities, as bits of fk_conn.want / fk_conn.offered. On Linux these are
 * the kernel's INIT flags (flags | flags2 << 32). The macFUSE-only ones live
 * in bits the Linux protocol does not use, and are mapped by the dialect.
 */
#define FK_CAP_ASYNC_READ (1ULL << 0)
#define FK_CAP_POSIX_LOCKS (1ULL << 1)
#define FK_CAP_ATOMIC_O_TRUNC (1ULL << 3)
#define FK_CAP_EXPORT_SUPPORT (1ULL << 4)
#define FK_CAP_BIG_WRITES (1ULL << 5)
#define FK_CAP_DONT_MASK (1ULL << 6)
#define FK_CAP_FLOCK_LOCKS (1ULL << 10)
#define FK_CAP_IOCTL_DIR (1ULL << 11)
#define FK_CAP_AUTO_INVAL_DATA (1ULL << 12)
#define FK_CAP_READDIRPLUS (1ULL << 13)
#define FK_CAP_READDIRPLUS_AUTO (1ULL << 14)
#define FK_CAP_ASYNC_DIO (1ULL << 15)
#define FK_CAP_WRITEBACK_CACHE (1ULL << 16)
#define FK_CAP_NO_OPEN_SUPPORT (1ULL << 17)
#define FK_CAP_PARALLEL_DIROPS (1ULL << 18)
#define FK_CAP_HANDLE_KILLPRIV (1ULL << 19)
#define FK_CAP_POSIX_ACL (1ULL << 20)
#define FK_CAP_ABORT_ERROR (1ULL << 21)
#define FK_CAP_MAX_PAGES (1ULL << 22)
#define FK_CAP_CACHE_SYMLINKS (1ULL << 23)
#define FK_CAP_NO_OPENDIR_SUPPORT (1ULL << 24)
#define FK_CAP_EXPLICIT_INVAL_DATA (1ULL << 25)
#define FK_CAP_HANDLE_KILLPRIV_V2 (1ULL << 28)
#define FK_CAP_SETXATTR_EXT (1ULL << 29)
#define FK_CAP_SECURITY_CTX (1ULL << 32)
#define FK_CAP_CREATE_SUPP_GROUP (1ULL << 34)
#define FK_CAP_EXPIRE_ONLY (1ULL << 35)
#define FK_CAP_DIRECT_IO_ALLOW_MMAP (1ULL << 36)
#define FK_CAP_PASSTHROUGH (1ULL << 37)
#define FK_CAP_NO_EXPORT_SUPPORT (1ULL << 38)
#define FK_CAP_OVER_IO_URING (1ULL << 41) /* requests through io_uring */
/* macFUSE dialect only */
#define FK_CAP_MAC_ALLOCATE (1ULL << 56)
#define FK_CAP_MAC_EXCHANGE_DATA (1ULL << 57)
#define FK_CAP_MAC_CASE_INSENSITIVE (1ULL << 58)
#define FK_CAP_MAC_VOL_RENAME (1ULL << 59)
#define FK_CAP_MAC_XTIMES (1ULL << 60)
/* renamex_np's RENAME_SWAP and RENAME_EXCL reach the rename callback as
 * FK_RENAME_EXCHANGE and FK_RENAME_NOREPLACE (asked for when there is one) */
#define FK_CAP_MAC_RENAME_SWAP (1ULL << 61)
#define FK_CAP_MAC_RENAME_EXCL (1ULL << 62)

enum fk_dialect {
	FK_DIALECT_LINUX = 0,
	FK_DIALECT_MACFUSE = 1,
};

/**
 * What INIT settled. The init callback sees it before the reply is sent and
 * may change want (only bits in offered can be granted), max_write,
 * max_readahead, max_background, congestion_threshold and time_gran.
 */
struct fk_conn {
	enum fk_dialect dialect;
	uint32_t proto_major;
	uint32_t proto_minor; /* negotiated: min(kernel's, ours) */
	uint32_t kernel_minor; /* what the kernel offered */
	uint64_t offered; /* FK_CAP_* the kernel offered */
	uint64_t want; /* FK_CAP_* we ask for; granted = want & offered */
	uint32_t max_write;
	uint32_t max_readahead;
	uint32_t max_pages;
	uint32_t max_background;
	uint32_t congestion_threshold;
	uint32_t time_gran;
	uint32_t max_stack_depth; /* for FK_CAP_PASSTHROUGH */
};

/* ---- The operations ----------------------------------------------------- */

/**
 * The filesystem operations. Fill in what you implement; leave the rest
 * NULL. Pass sizeof(struct fk_ops) to fk_session_new so that a program built
 * against an older header keeps working.
 *
 * "Replies:" lists the calls a handler may answer with; fk_reply_err() is
 * always accepted (with a positive errno value, or 0 where noted).
 */
struct fk_ops {
	/** After INIT is decoded, before it is answered. May adjust *conn.
	 *  No reply. */
	void (*init)(void *fs, struct fk_conn *conn);
	/** On DESTROY or when the session ends. No reply. */
	void (*destroy)(void *fs);

	/** Replies: fk_reply_entry (ino 0 = negative entry). */
	void (*lookup)(fk_req *req, const struct fk_name_in *in);
	/** Drop nlookup from the node's lookup count. Called once per node of
	 *  FORGET and of BATCH_FORGET. No reply. */
	void (*forget)(void *fs, uint64_t ino, uint64_t nlookup);
	/** Replies: fk_reply_attr. */
	void (*getattr)(fk_req *req, const struct fk_getattr_in *in);
	/** Replies: fk_reply_attr (the attributes after the change). */
	void (*setattr)(fk_req *req, const struct fk_setattr_in *in);
	/** Replies: fk_reply_readlink. */
	void (*readlink)(fk_req *req, const struct fk_ino_in *in);
	/** Replies: fk_reply_entry. */
	void (*symlink)(fk_req *req, const struct fk_symlink_in *in);
	/** Replies: fk_reply_entry. */
	void (*mknod)(fk_req *req, const struct fk_mknod_in *in);
	/** Replies: fk_reply_entry. */
	void (*mkdir)(fk_req *req, const struct fk_mkdir_in *in);
	/** Replies: fk_reply_err (0 on success). */
	void (*unlink)(fk_req *req, const struct fk_name_in *in);
	/** Replies: fk_reply_err (0 on success). */
	void (*rmdir)(fk_req *req, const struct fk_name_in *in);
	/** RENAME and RENAME2. Replies: fk_reply_err (0 on success). */
	void (*rename)(fk_req *req, const struct fk_rename_in *in);
	/** Replies: fk_reply_entry. */
	void (*link)(fk_req *req, const struct fk_link_in *in);
	/** NULL: every open succeeds with fh 0.
	 *  Replies: fk_reply_open. */
	void (*open)(fk_req *req, const struct fk_open_in *in);
	/** Replies: fk_reply_buf, fk_reply_iov, fk_reply_fd (fewer bytes
	 *  than asked = EOF). */
	void (*read)(fk_req *req, const struct fk_read_in *in);
	/** Replies: fk_reply_write (bytes written). */
	void (*write)(fk_req *req, const struct fk_write_in *in);
	/** NULL: a statfs of zeros with namelen 255.
	 *  Replies: fk_reply_statfs. */
	void (*statfs)(fk_req *req, const struct fk_ino_in *in);
	/** NULL: succeeds. Replies: fk_reply_err (the kernel ignores errors). */
	void (*release)(fk_req *req, const struct fk_release_in *in);
	/** Replies: fk_reply_err (0 on success). */
	void (*fsync)(fk_req *req, const struct fk_fsync_in *in);
	/** Replies: fk_reply_err (0 on success). */
	void (*setxattr)(fk_req *req, const struct fk_setxattr_in *in);
	/** Replies: fk_reply_xattr_size (when in->size is 0), fk_reply_buf. */
	void (*getxattr)(fk_req *req, const struct fk_getxattr_in *in);
	/** Replies: fk_reply_xattr_size (when in->size is 0), fk_reply_buf. */
	void (*listxattr)(fk_req *req, const struct fk_listxattr_in *in);
	/** Replies: fk_reply_err (0 on success). */
	void (*removexattr)(fk_req *req, const struct fk_removexattr_in *in);
	/** Called on each close() of an open file. NULL: succeeds.
	 *  Replies: fk_reply_err (0 on success). */
	void (*flush)(fk_req *req, const struct fk_flush_in *in);
	/** NULL: every opendir succeeds with fh 0. Replies: fk_reply_open. */
	void (*opendir)(fk_req *req, const struct fk_open_in *in);
	/** Build the reply with fk_dirbuf_add(), then send fk_reply_dirbuf.
	 *  Replies: fk_reply_dirbuf. */
	void (*readdir)(fk_req *req, const struct fk_read_in *in);
	/** Like readdir, but each entry carries a full fk_entry and counts as a
	 *  lookup: take the lookup reference only when fk_dirbuf_add_plus()
	 *  returned 0. Replies: fk_reply_dirbuf. */
	void (*readdirplus)(fk_req *req, const struct fk_read_in *in);
	/** NULL: succeeds. Replies: fk_reply_err (0 on success). */
	void (*releasedir)(fk_req *req, const struct fk_release_in *in);
	/** Replies: fk_reply_err (0 on success). */
	void (*fsyncdir)(fk_req *req, const struct fk_fsync_in *in);
	/** Replies: fk_reply_lock (type F_UNLCK if no conflict). */
	void (*getlk)(fk_req *req, const struct fk_lock_in *in);
	/** SETLK and SETLKW (in->sleep). NULL together with getlk: the kernel
	 *  handles locks locally. Replies: fk_reply_err (0 on success). */
	void (*setlk)(fk_req *req, const struct fk_lock_in *in);
	/** Replies: fk_reply_err (0 = allowed). */
	void (*access)(fk_req *req, const struct fk_access_in *in);
	/** Replies: fk_reply_create. NULL: the kernel uses mknod + open. */
	void (*create)(fk_req *req, const struct fk_create_in *in);
	/** Replies: fk_reply_bmap. */
	void (*bmap)(fk_req *req, const struct fk_bmap_in *in);
	/** Replies: fk_reply_ioctl. */
	void (*ioctl)(fk_req *req, const struct fk_ioctl_in *in);
	/** Replies: fk_reply_poll. */
	void (*poll)(fk_req *req, const struct fk_poll_in *in);
	/** Replies: fk_reply_err (0 on success). */
	void (*fallocate)(fk_req *req, const struct fk_fallocate_in *in);
	/** Replies: fk_reply_lseek. */
	void (*lseek)(fk_req *req, const struct fk_lseek_in *in);
	/** COPY_FILE_RANGE and COPY_FILE_RANGE_64. Replies: fk_reply_copied. */
	void (*copy_file_range)(fk_req *req, const struct fk_copy_range_in *in);
	/** Replies: fk_reply_err (0 on success). */
	void (*syncfs)(fk_req *req, const struct fk_ino_in *in);
	/** O_TMPFILE: an unnamed file in in->parent. Replies: fk_reply_create. */
	void (*tmpfile)(fk_req *req, const struct fk_create_in *in);
	/** Replies: fk_reply_statx. NULL: the kernel falls back to getattr. */
	void (*statx)(fk_req *req, const struct fk_statx_in *in);
	/** The data of an fk_notify_retrieve() arrived. No reply. */
	void (*retrieve_reply)(void *fs, void *cookie, uint64_t ino,
			       uint64_t offset, const void *data, size_t size);

	/* macFUSE dialect only */
	/** Replies: fk_reply_err (0 on success). */
	void (*setvolname)(fk_req *req, const struct fk_setvolname_in *in);
	/** Replies: fk_reply_xtimes. */
	void (*getxtimes)(fk_req *req, const struct fk_ino_in *in);
	/** Replies: fk_reply_err (0 on success). */
	void (*exchange)(fk_req *req, const struct fk_exchange_in *in);
};

/* ---- Request accessors -------------------------------------------------- */

/** The filesystem pointer given to fk_session_new. */
void *fk_req_fs(const fk_req *req);
fk_session *fk_req_session(const fk_req *req);
const struct fk_ctx *fk_req_ctx(const fk_req *req);
/** The umask a create, mkdir, mknod or tmpfile's mode has still to lose:
 *  the caller's where FK_CAP_DONT_MASK was granted (the kernel sent the
 *  mode unmasked, for a filesystem that inherits default ACLs itself),
 *  else 0 (the kernel applied it). */
uint32_t fk_req_umask(const fk_req *req);
/** The kernel's request id, for logs. */
uint64_t fk_req_unique(const fk_req *req);

/** Non-zero once the kernel has sent INTERRUPT for this request. A handler
 *  that notices may answer fk_reply_err(req, EINTR). Thread-safe. */
int fk_req_interrupted(const fk_req *req);

/**
 * Call fn(req, data) when this request is interrupted; at once, from this
 * call, if it already was. The callback runs on a session thread and must not
 * block; it may answer the request. Set it before the handler's reply can
 * race with it, i.e. before handing the request to another thread.
 */
void fk_req_on_interrupt(fk_req *req, void (*fn)(fk_req *req, void *data),
			 void *data);

/* ---- Replies ------------------------------------------------------------ */

/** err is a positive errno, or 0 for success where the op allows it. */
int fk_reply_err(fk_req *req, int err);
int fk_reply_entry(fk_req *req, const struct fk_entry *e);
int fk_reply_create(fk_req *req, const struct fk_entry *e,
		    const struct fk_open_out *o);
int fk_reply_attr(fk_req *req, const struct fk_attr *attr,
		  uint64_t attr_valid_ns);
/** statx: the fields of attr, with crtime as btime if it is non-zero. */
int fk_reply_statx(fk_req *req, const struct fk_attr *attr,
		   uint64_t attr_valid_ns);
int fk_reply_readlink(fk_req *req, const char *target);
int fk_reply_open(fk_req *req, const struct fk_open_out *o);
int fk_reply_write(fk_req *req, uint32_t written);
int fk_reply_buf(fk_req *req, const void *buf, size_t size);
/** Room for size bytes of req's reply data where the transport sends
 *  it from (over io_uring: the request's payload buffer), so that data
 *  read into it (a READ's) goes out with no copy: answer with
 *  fk_reply_buf(req, space, n), n <= size. NULL when the transport has
 *  none (/dev/fuse: use a buffer of your own). Valid until the reply. */
void *fk_reply_space(fk_req *req, size_t size);
/** read: up to size bytes of open file fd at offset, read by the
 *  transport the cheapest way it has: into the io_uring payload buffer,
 *  spliced from the file to /dev/fuse (more than a page, unless
 *  -o nosplice; Linux: one copy in the kernel instead of two through
 *  the daemon), else by pread into a
 *  per-thread buffer. Fewer bytes at the end of the file; a failed read
 *  answers its errno. Once fd has been read, and before the reply goes,
 *  done(arg) is called when not NULL: release there what keeps fd open,
 *  as the kernel may send RELEASE as soon as it has the reply. */
int fk_reply_fd(fk_req *req, int fd, uint64_t offset, size_t size,
		void (*done)(void *arg), void *arg);
struct iovec;
/** read: the data in up to 7 pieces, sent in one write (no copying). */
int fk_reply_iov(fk_req *req, const struct iovec *iov, int count);
int fk_reply_statfs(fk_req *req, const struct fk_statfs *st);
int fk_reply_xattr_size(fk_req *req, uint32_t size);
int fk_reply_lock(fk_req *req, const struct fk_lock *lock);
int fk_reply_bmap(fk_req *req, uint64_t block);
/** result is the ioctl's return value; out/size the data copied back. */
int fk_reply_ioctl(fk_req *req, int32_t result, const void *out, size_t size);
int fk_reply_poll(fk_req *req, uint32_t revents);
int fk_reply_lseek(fk_req *req, uint64_t offset);
/** copy_file_range: bytes copied (64-bit; the 32-bit protocol op rejects
 *  counts above UINT32_MAX with EOVERFLOW rather than truncate them). */
int fk_reply_copied(fk_req *req, uint64_t copied);
int fk_reply_xtimes(fk_req *req, const struct timespec *bkuptime,
		    const struct timespec *crtime);

/* ---- Directory replies -------------------------------------------------- */

/**
 * Add one entry to the reply of a readdir. next_off is the offset the kernel
 * passes back to continue after this entry (telldir value); it must not be 0.
 * Returns 0 when added, -ENOSPC when the reply is full (nothing was added:
 * stop and send what you have), -EINVAL for a bad name.
 */
int fk_dirbuf_add(fk_req *req, const char *name, uint64_t ino, uint32_t mode,
		  uint64_t next_off);
/**
 * readdirplus: the same with a full entry. Returns 0 when added — then, and
 * only then, the kernel holds a lookup reference for e->ino (unless e->ino is
 * 0, which the kernel skips); -ENOSPC when full.
 */
int fk_dirbuf_add_plus(fk_req *req, const char *name, const struct fk_entry *e,
		       uint64_t next_off);
/** Send the entries added so far (none = end of directory). */
int fk_reply_dirbuf(fk_req *req);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* FUSEKIT_FK_OPS_H */
