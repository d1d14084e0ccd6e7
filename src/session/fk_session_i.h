/*
 * fk_session_i.h — the session's private structures, shared by the files of
 * src/session: session.c (life, INIT, workers), dispatch.c (request ->
 * callback), reply.c (replies, directory buffers), notify.c (notifications,
 * backing ids).
 *
 * Request memory. A request lives in a slot: one allocation holding the
 * fk_req and the buffer the kernel's message was read into, so decoded
 * arguments point into the slot and stay valid until the reply. A worker
 * reads into its slot, dispatches, and if the handler answered before
 * returning, reads the next request into the same slot: no allocation on
 * that path. A handler that keeps the request (asynchronous reply) keeps the
 * slot; the worker takes another from the session's free list, and the slot
 * returns to that list when the reply is sent.
 *
 * Slot ownership is a reference count: one reference for the request's life,
 * dropped once the request is both dispatched and answered (whichever comes
 * second drops it), plus a short-lived one while an INTERRUPT calls the
 * handler's interrupt callback. The slot is reused only at zero.
 */
#ifndef FK_SESSION_I_H
#define FK_SESSION_I_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include <fusekit/fk_mount.h>
#include <fusekit/fk_session.h>

#include "../proto/fk_proto.h"

/* Request state bits */
#define FK_REQ_REPLIED 1u
#define FK_REQ_DISPATCHED 2u
/* Set before fk_dispatch, cleared by it for a message that takes an
 * answer: still set after it, nothing will answer (uring.c). */
#define FK_REQ_UNANSWERED 4u

/* Where in a slot's buffer directory replies are built: past any READDIR
 * request (header + read_in = 80 bytes), page aligned. */
#define FK_DIRBUF_OFFSET 4096u

struct fk_uring_ent; /* uring.c */

struct fk_req {
	fk_session *se;
	int fd; /* the device fd this request came from; the reply goes there */
	/* The io_uring entry it came in, where its reply goes; NULL: it
	 * came through fd. */
	struct fk_uring_ent *ent;
	/* A WRITE's data when it is not in buf, after the rest of the
	 * message (io_uring: still in its entry's payload); NULL: in buf. */
	const void *write_data;
	atomic_uint state; /* FK_REQ_* */
	atomic_int refs;
	atomic_int interrupted;
	void (*intr_fn)(fk_req *req, void *data); /* under se->lock */
	void *intr_data;
	struct fk_req *prev, *next; /* in-flight list, under se->lock */
	int in_flight;
	struct fk_req *next_free; /* free list, under se->lock */
	size_t dir_len; /* bytes of directory reply built so far */
	size_t dir_cap;
	size_t buf_cap;
	uint8_t *buf; /* buf_cap bytes, 8-aligned, inside this allocation */
	struct fk_msg msg; /* decoded from buf; never copied */
};

struct fk_worker {
	fk_session *se;
	pthread_t thread;
	int fd;
	int own_fd; /* fd is a clone we must close */
	int started;
};

struct fk_retrieve {
	uint64_t notify_unique;
	void *cookie;
	struct fk_retrieve *next;
};

#define FK_NSIGNALS 3 /* SIGINT, SIGTERM, SIGHUP */

struct saved_signals {
	struct sigaction old[FK_NSIGNALS];
	int installed;
};

struct fk_session {
	struct fk_ops ops;
	void *fs;
	struct fk_session_config cfg;
	struct fk_proto proto;
	struct fk_conn conn;

	int fd; /* the device fd (or fake-kernel socket) */
	char *mountpoint; /* set when this session mounted */
	int commfd; /* fusermount3 auto_unmount socket, kept open; -1 */
	int mounted;
	int init_done;
	/* allow_root: the kernel lets everyone in (allow_other); we then
	 * turn away all but root and the user who mounted. */
	int allow_root_only;
	uint32_t owner_uid;
	int init_timeout_ms; /* -1: wait forever for INIT */
	int splice; /* READ replies may be spliced (cfg.splice, on a device) */

	atomic_int exiting;
	atomic_int destroyed; /* ops->destroy was called */
	int wake_pipe[2];

	pthread_mutex_t lock; /* in-flight list, free slots, retrieves */
	struct fk_req inflight; /* list head (only prev/next used) */
	struct fk_req *free_slots;
	size_t slot_size; /* buffer bytes per slot */
	atomic_ullong pending;
	uint64_t next_notify_unique;
	struct fk_retrieve *retrieves;

	struct fk_worker *workers;
	unsigned nworkers;
	struct fk_uring *uring; /* the io_uring queues, if started */
	struct saved_signals sigs;
};

/* session.c */
fk_req *fk_slot_get(fk_session *se);
void fk_slot_put(fk_session *se, fk_req *req);
void fk_req_unref(fk_req *req);
/** Call ops->destroy unless it already ran. */
void fk_session_call_destroy(fk_session *se);
void fk_session_log(const fk_session *se, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** A READ reply's data, still in a file (fk_reply_fd); done(arg), when
 *  not NULL, is called once the file has been read, before the reply. */
struct fk_file_range {
	int fd;
	uint64_t offset;
	size_t size;
	void (*done)(void *arg);
	void *arg;
};
/* splice.c */
/** READ replies of at most this many bytes are copied, not spliced. */
#define FK_SPLICE_MIN 4096
/** Reply unique on devfd with the data of r (bytes past its end left
 *  out), spliced where it fits the thread's pipe, else copied; a failed
 *  read answers its errno; r->done is called once, after the reading.
 *  As fk_dev_write: 0 or -errno. */
int fk_splice_reply(fk_session *se, int devfd, uint64_t unique,
		    const struct fk_file_range *r);

/* dispatch.c */
/** Handle one message in req's buffer (n bytes). Returns 1 if the slot may
 *  be reused at once, 0 if the request keeps it. */
int fk_dispatch(fk_req *req, int fd, size_t n);
/** Answer INIT (called by session.c before the workers start). Returns 1
 *  when negotiation is done, 0 to wait for another INIT, -errno to fail. */
int fk_dispatch_init(fk_session *se, fk_req *req);

/* reply.c */
/** Send a reply with optional payload; checks that the operation accepts
 *  this kind of reply. kind: FK_RK_* bit. */
int fk_reply_send(fk_req *req, unsigned kind, int error,
		  const struct iovec *iov, int iovcnt);
/** Send raw bytes to the device without a request (INIT, notifications). */
int fk_dev_write(fk_session *se, int fd, uint64_t unique, int error,
		 const struct iovec *iov, int iovcnt);

/* Reply kinds */
enum {
	FK_RK_ERR = 1u << 0, /* an error: always accepted */
	FK_RK_OK = 1u << 1, /* success, no payload */
	FK_RK_ENTRY = 1u << 2,
	FK_RK_CREATE = 1u << 3,
	FK_RK_ATTR = 1u << 4,
	FK_RK_STATX = 1u << 5,
	FK_RK_READLINK = 1u << 6,
	FK_RK_OPEN = 1u << 7,
	FK_RK_WRITE = 1u << 8,
	FK_RK_BUF = 1u << 9,
	FK_RK_STATFS = 1u << 10,
	FK_RK_XATTR_SIZE = 1u << 11,
	FK_RK_LOCK = 1u << 12,
	FK_RK_BMAP = 1u << 13,
	FK_RK_IOCTL = 1u << 14,
	FK_RK_POLL = 1u << 15,
	FK_RK_LSEEK = 1u << 16,
	FK_RK_COPIED = 1u << 17,
	FK_RK_XTIMES = 1u << 18,
	FK_RK_DIR = 1u << 19,
	FK_RK_NONE = 1u << 20, /* internal: ops that take no reply */
};

/* uring.c: FUSE over io_uring */
/** Before INIT's reply grants FK_CAP_OVER_IO_URING: make the queues
 *  (rings, buffers, threads that wait for fk_uring_go). 0, or -errno:
 *  then fk_uring_stop, and the reply must not grant it. */
int fk_uring_prepare(fk_session *se);
/** After the reply granting it: the queues register their entries. */
void fk_uring_go(fk_session *se);
/** Stop the queues and free them (after the unmount, on exit, or when
 *  INIT does not grant io_uring after all). */
void fk_uring_stop(fk_session *se);
/** Its entry's payload buffer, when it holds size bytes; else NULL. */
void *fk_uring_space(fk_req *req, size_t size);
/** Write req's reply into its entry and commit it. */
int fk_uring_reply(fk_req *req, int error, const struct iovec *iov, int iovcnt);

/* notify.c */
/** A NOTIFY_REPLY arrived: hand it to ops->retrieve_reply. */
void fk_notify_reply_arrived(fk_session *se, const struct fk_msg *m);

/* platform */
#include "../platform/fk_platform.h"

#endif /* FK_SESSION_I_H */
