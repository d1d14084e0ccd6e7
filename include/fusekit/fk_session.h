/*
 * fk_session.h — a FUSE session: the connection to the kernel, its worker
 * threads, and the calls a filesystem makes to the kernel on its own
 * (notifications, passthrough backing files).
 *
 * Typical life:
 *
 *     struct fk_session_config cfg;
 *     fk_session_config_init(&cfg);
 *     fk_session *se;
 *     int rc = fk_session_new(&se, &my_ops, sizeof my_ops, my_fs, &cfg);
 *     rc = fk_session_mount(se, "/mnt", &mount_opts);   // or fk_session_set_fd
 *     rc = fk_session_run(se);                          // until unmounted
 *     fk_session_destroy(se);
 *
 * Every function returns 0 (or a non-negative value where stated) or -errno.
 */
#ifndef FUSEKIT_FK_SESSION_H
#define FUSEKIT_FK_SESSION_H

#include <fusekit/fk_ops.h>

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared here is the library's ABI; the rest is hidden
 * (-fvisibility=hidden, cmake/fusekit.map). */
#pragma GCC visibility push(default)

struct fk_mount_opts;

struct fk_session_config {
	/** Worker threads, each on its own cloned device fd where the kernel
	 *  allows it. 1 = single-threaded (debugging). Default: 4. */
	unsigned threads;
	/** Wire dialect. Default: FK_DIALECT_MACFUSE on macOS, else LINUX. */
	enum fk_dialect dialect;
	/** Capabilities forced on / off on top of the filesystem's choice
	 *  (from -o cap_NAME / -o nocap_NAME). */
	uint64_t caps_on;
	uint64_t caps_off;
	/** Largest request in pages; 0 = as many as the kernel allows. */
	uint32_t max_pages;
	/** Background requests (readahead, writeback, RELEASE...) the kernel
	 *  keeps in flight at most, and the count past which it tells writers
	 *  the mount is congested; 1-65535, 0 = 64 and 48 (docs/benchmarks.md
	 *  says why). A user's mount is held to fs.fuse.max_user_bgreq and
	 *  max_user_congthresh. */
	uint32_t max_background;
	uint32_t congestion_threshold;
	/** Print what INIT negotiated, and errors, to stderr. */
	int debug;
	/** Print every request and reply to stderr. */
	int trace;
	/** fk_session_run() catches SIGINT, SIGTERM and SIGHUP: it unmounts
	 *  and returns 0. Default: on. */
	int handle_signals;
	/** Take requests through io_uring (FUSE over io_uring, Linux >=
	 *  6.14 with the fuse module's enable_uring on): one queue per
	 *  possible CPU beside the /dev/fuse workers, which still take
	 *  FORGETs and INTERRUPTs. Where the kernel does not offer it or
	 *  refuses it, /dev/fuse serves alone (the reason under debug).
	 *  Default: on (Linux dialect only). */
	int io_uring;
	/** Over /dev/fuse, send READ data answered with fk_reply_fd by
	 *  splice(2) from the file through a per-thread pipe, for replies of
	 *  more than a page (Linux; no effect over io_uring, or elsewhere).
	 *  Default: on (docs/benchmarks.md, "splice", says why). */
	int splice;
};

void fk_session_config_init(struct fk_session_config *cfg);

/** ops_size: sizeof(struct fk_ops) as the caller knows it. */
int fk_session_new(fk_session **out, const struct fk_ops *ops, size_t ops_size,
		   void *fs, const struct fk_session_config *cfg);

/** Mount at mountpoint (mount(2) as root, fusermount3 otherwise, or
 *  mount_macfuse on macOS) and keep the device fd. */
int fk_session_mount(fk_session *se, const char *mountpoint,
		     const struct fk_mount_opts *mo);

/** Serve an fd that is already connected: a /dev/fuse fd mounted elsewhere,
 *  or one end of a socketpair (the fake kernel of the unit tests). The
 *  session owns the fd from now on. */
int fk_session_set_fd(fk_session *se, int fd);

/**
 * Serve requests until the filesystem is unmounted, DESTROY arrives,
 * fk_session_exit() is called, or (with handle_signals) a signal arrives.
 * Returns 0 on any of those, -errno if the connection failed.
 */
int fk_session_run(fk_session *se);

/** Ask fk_session_run() to return. Safe from any thread and from a signal
 *  handler. It unmounts if the session mounted. */
void fk_session_exit(fk_session *se);

/** Unmount now, if this session mounted (idempotent). */
void fk_session_unmount(fk_session *se);

/** Free the session. Reports requests that were never answered. */
void fk_session_destroy(fk_session *se);

/** What INIT negotiated (valid once fk_session_run has answered INIT). */
const struct fk_conn *fk_session_conn(const fk_session *se);

/** Requests received and not yet answered. */
uint64_t fk_session_pending(const fk_session *se);

/** 1 if more than one thread takes requests (threads > 1), so a handler
 *  may wait for another request, a FORGET say, to be served meanwhile;
 *  0 for a single-threaded session, whose one thread would wait for
 *  itself. */
int fk_session_concurrent(const fk_session *se);

/* ---- Notifications: any thread, any time after INIT ------------------- */

/** Drop cached data of ino in [off, off+len) (len 0: to the end; off < 0:
 *  attributes only). */
int fk_notify_inval_inode(fk_session *se, uint64_t ino, int64_t off,
			  int64_t len);
#define FK_NOTIFY_EXPIRE_ONLY 1u
/** Drop the cached name parent/name (flags: FK_NOTIFY_EXPIRE_ONLY). */
int fk_notify_inval_entry(fk_session *se, uint64_t parent, const char *name,
			  size_t namelen, uint32_t flags);
/** The name parent/name (node child) was deleted. */
int fk_notify_delete(fk_session *se, uint64_t parent, uint64_t child,
		     const char *name, size_t namelen);
/** Put data into the kernel's page cache of ino. */
int fk_notify_store(fk_session *se, uint64_t ino, uint64_t offset,
		    const void *data, size_t size);
/** Ask for the kernel's cached data of ino; it arrives through
 *  ops->retrieve_reply(fs, cookie, ...). */
int fk_notify_retrieve(fk_session *se, uint64_t ino, uint64_t offset,
		       uint32_t size, void *cookie);
/** Wake a poll() waiting on kh (from fk_poll_in.kh). */
int fk_notify_poll(fk_session *se, uint64_t kh);
/** Ask the kernel to forget the nodes ids[0..n) where nothing uses them:
 *  it drops their unused cached names, and each node no name or open
 *  file keeps is sent a FORGET later, as under memory pressure (nodes in
 *  use stay; unknown ids are skipped). -ENOSYS before FUSE 7.45 (Linux
 *  6.18) and on macFUSE. */
int fk_notify_prune(fk_session *se, const uint64_t *ids, size_t n);

/* ---- Kernel passthrough (Linux >= 6.9) --------------------------------- */

/** Register fd as a backing file. Returns the backing id (> 0) or -errno
 *  (-EPERM without CAP_SYS_ADMIN, -EOPNOTSUPP where unsupported). */
int fk_backing_open(fk_session *se, int fd);
int fk_backing_close(fk_session *se, int backing_id);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* FUSEKIT_FK_SESSION_H */
