/*
 * dispatch.c — from a decoded message to the filesystem's callback.
 *
 * Three kinds of message never reach a handler as a request: FORGET and
 * BATCH_FORGET (no reply; each node goes to ops->forget), INTERRUPT (marks
 * the target request) and NOTIFY_REPLY (data for fk_notify_retrieve). INIT
 * and DESTROY are answered here. Everything else becomes a request in the
 * in-flight list, so an INTERRUPT can find it, and is handed to its callback
 * or, if the filesystem left that NULL, answered with the documented default.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include <fusekit/fk_opt.h>

#include "fk_session_i.h"

/* ---- No-reply messages ---------------------------------------------- */

static void do_forget(fk_session *se, const struct fk_msg *m)
{
	const struct fk_forget_args *f = &m->u.forget;
	if (!se->ops.forget)
		return;
	if (!f->batch) {
		se->ops.forget(se->fs, m->nodeid, f->single_nlookup);
		return;
	}
	for (uint32_t i = 0; i < f->count; i++) {
		struct fk_wire_forget_one one;
		memcpy(&one, f->items + (size_t)i * sizeof one, sizeof one);
		se->ops.forget(se->fs, one.nodeid, one.nlookup);
	}
}

static void do_interrupt(fk_session *se, fk_req *ireq)
{
	uint64_t target = ireq->msg.u.interrupt_unique;
	fk_req *found = NULL;

	pthread_mutex_lock(&se->lock);
	for (fk_req *r = se->inflight.next; r != &se->inflight; r = r->next) {
		if (r->msg.unique == target) {
			found = r;
			atomic_fetch_add(&r->refs, 1);
			break;
		}
	}
	void (*fn)(fk_req *, void *) = NULL;
	void *data = NULL;
	if (found) {
		atomic_store(&found->interrupted, 1);
		fn = found->intr_fn;
		data = found->intr_data;
	}
	pthread_mutex_unlock(&se->lock);

	if (!found) {
		/* Not registered yet (or already answered): ask the kernel to
		 * send the interrupt again later. If the target is gone the
		 * kernel drops this reply. */
		(void)fk_dev_write(se, ireq->fd, ireq->msg.unique, -EAGAIN, NULL, 0);
		return;
	}
	if (se->cfg.trace)
		fk_session_log(se, "> INTERRUPT of unique %llu",
			       (unsigned long long)target);
	if (fn)
		fn(found, data);
	fk_req_unref(found);
}

/* ---- Request bookkeeping ---------------------------------------------- */

static void inflight_add(fk_session *se, fk_req *req)
{
	pthread_mutex_lock(&se->lock);
	req->next = se->inflight.next;
	req->prev = &se->inflight;
	se->inflight.next->prev = req;
	se->inflight.next = req;
	req->in_flight = 1;
	pthread_mutex_unlock(&se->lock);
}

/* After the handler returned: 1 if the worker may reuse the slot now. */
static int finish_dispatch(fk_req *req)
{
	unsigned old = atomic_fetch_or(&req->state, FK_REQ_DISPATCHED);
	if (!(old & FK_REQ_REPLIED))
		return 0; /* the reply will drop the reference */
	if (atomic_fetch_sub(&req->refs, 1) == 1)
		return 1;
	return 0; /* an interrupt callback still holds it; it frees the slot */
}

/* ---- Defaults for callbacks left NULL --------------------------------- */

static void default_statfs(fk_req *req)
{
	struct fk_statfs st;
	memset(&st, 0, sizeof st);
	st.namelen = 255;
	st.bsize = 512;
	(void)fk_reply_statfs(req, &st);
}

static void default_open(fk_req *req)
{
	struct fk_open_out o = { 0, 0, 0 };
	(void)fk_reply_open(req, &o);
}

/* Call the handler for m->opcode, or answer for a NULL one. */
static void call_handler(fk_session *se, fk_req *req)
{
	const struct fk_ops *o = &se->ops;
	struct fk_msg *m = &req->msg;

#define CALL(fn, arg)                                   \
	do {                                            \
		if (o->fn)                              \
			o->fn(req, &m->u.arg);          \
		else                                    \
			(void)fk_reply_err(req, ENOSYS); \
	} while (0)

	switch (m->opcode) {
	case FK_OP_LOOKUP: CALL(lookup, name); break;
	case FK_OP_GETATTR: CALL(getattr, getattr); break;
	case FK_OP_SETATTR: CALL(setattr, setattr); break;
	case FK_OP_READLINK: CALL(readlink, ino); break;
	case FK_OP_SYMLINK: CALL(symlink, symlink); break;
	case FK_OP_MKNOD: CALL(mknod, mknod); break;
	case FK_OP_MKDIR: CALL(mkdir, mkdir); break;
	case FK_OP_UNLINK: CALL(unlink, name); break;
	case FK_OP_RMDIR: CALL(rmdir, name); break;
	case FK_OP_RENAME:
	case FK_OP_RENAME2: CALL(rename, rename); break;
	case FK_OP_LINK: CALL(link, link); break;
	case FK_OP_READ: CALL(read, read); break;
	case FK_OP_WRITE: CALL(write, write); break;
	case FK_OP_FSYNC: CALL(fsync, fsync); break;
	case FK_OP_SETXATTR: CALL(setxattr, setxattr); break;
	case FK_OP_GETXATTR: CALL(getxattr, getxattr); break;
	case FK_OP_LISTXATTR: CALL(listxattr, listxattr); break;
	case FK_OP_REMOVEXATTR: CALL(removexattr, removexattr); break;
	case FK_OP_READDIR: CALL(readdir, read); break;
	case FK_OP_READDIRPLUS: CALL(readdirplus, read); break;
	case FK_OP_FSYNCDIR: CALL(fsyncdir, fsync); break;
	case FK_OP_GETLK: CALL(getlk, lock); break;
	case FK_OP_SETLK:
	case FK_OP_SETLKW: CALL(setlk, lock); break;
	case FK_OP_ACCESS: CALL(access, access); break;
	case FK_OP_CREATE: CALL(create, create); break;
	case FK_OP_TMPFILE: CALL(tmpfile, create); break;
	case FK_OP_BMAP: CALL(bmap, bmap); break;
	case FK_OP_IOCTL: CALL(ioctl, ioctl); break;
	case FK_OP_POLL: CALL(poll, poll); break;
	case FK_OP_FALLOCATE: CALL(fallocate, fallocate); break;
	case FK_OP_LSEEK: CALL(lseek, lseek); break;
	case FK_OP_COPY_FILE_RANGE:
	case FK_OP_COPY_FILE_RANGE_64: CALL(copy_file_range, copy); break;
	case FK_OP_SYNCFS: CALL(syncfs, ino); break;
	case FK_OP_STATX: CALL(statx, statx); break;
	case FK_OP_SETVOLNAME: CALL(setvolname, setvolname); break;
	case FK_OP_GETXTIMES: CALL(getxtimes, ino); break;
	case FK_OP_EXCHANGE: CALL(exchange, exchange); break;
	case FK_OP_OPEN:
		if (o->open)
			o->open(req, &m->u.open);
		else
			default_open(req);
		break;
	case FK_OP_OPENDIR:
		if (o->opendir)
			o->opendir(req, &m->u.open);
		else
			default_open(req);
		break;
	case FK_OP_STATFS:
		if (o->statfs)
			o->statfs(req, &m->u.ino);
		else
			default_statfs(req);
		break;
	case FK_OP_RELEASE:
		if (o->release)
			o->release(req, &m->u.release);
		else
			(void)fk_reply_err(req, 0);
		break;
	case FK_OP_RELEASEDIR:
		if (o->releasedir)
			o->releasedir(req, &m->u.release);
		else
			(void)fk_reply_err(req, 0);
		break;
	case FK_OP_FLUSH:
		if (o->flush)
			o->flush(req, &m->u.flush);
		else
			(void)fk_reply_err(req, 0);
		break;
	case FK_OP_DESTROY:
		fk_session_call_destroy(se);
		(void)fk_reply_err(req, 0);
		fk_session_exit(se);
		break;
	default:
		/* INIT twice, or an opcode decode accepted but we do not
		 * serve (SETUPMAPPING): the kernel gets a clear no. */
		(void)fk_reply_err(req, m->opcode == FK_OP_INIT ? EIO : ENOSYS);
		break;
	}
#undef CALL
}

int fk_dispatch(fk_req *req, int fd, size_t n)
{
	fk_session *se = req->se;
	struct fk_msg *m = &req->msg;

	req->fd = fd;
	int rc = fk_proto_decode(&se->proto, req->buf, n, m);
	if (rc == 0 && req->write_data && m->opcode == FK_OP_WRITE)
		m->u.write.data = req->write_data; /* not copied into buf */
	if (rc == -EPROTO) {
		fk_session_log(se, "dropped a malformed message of %zu bytes", n);
		return 1;
	}
	if (se->cfg.trace)
		fk_session_log(se, "> %s unique=%llu nodeid=%llu len=%u uid=%u pid=%u",
			       fk_proto_opname(m->opcode),
			       (unsigned long long)m->unique,
			       (unsigned long long)m->nodeid, m->len, m->ctx.uid,
			       m->ctx.pid);

	if (rc == 0) {
		switch (m->opcode) {
		case FK_OP_FORGET:
		case FK_OP_BATCH_FORGET:
			do_forget(se, m);
			return 1;
		case FK_OP_INTERRUPT:
			do_interrupt(se, req);
			return 1;
		case FK_OP_NOTIFY_REPLY:
			fk_notify_reply_arrived(se, m);
			return 1;
		default:
			break;
		}
	}

	atomic_store(&req->state, 0);
	atomic_store(&req->refs, 1);
	atomic_store(&req->interrupted, 0);
	req->intr_fn = NULL;
	req->intr_data = NULL;
	req->dir_len = 0;
	req->dir_cap = 0;
	req->in_flight = 0;
	atomic_fetch_add(&se->pending, 1);

	if (rc < 0) {
		if (rc == -EINVAL)
			fk_session_log(se, "malformed %s request (unique %llu)",
				       fk_proto_opname(m->opcode),
				       (unsigned long long)m->unique);
		(void)fk_reply_err(req, -rc);
	} else if (se->allow_root_only && m->ctx.uid != 0 &&
		   m->ctx.uid != se->owner_uid && m->opcode != FK_OP_DESTROY) {
		(void)fk_reply_err(req, EACCES);
	} else {
		inflight_add(se, req);
		call_handler(se, req);
	}
	return finish_dispatch(req);
}

/* ---- INIT ------------------------------------------------------------- */

/* What we ask for unless the filesystem or an option says otherwise. */
static uint64_t default_caps(const fk_session *se)
{
	const struct fk_ops *o = &se->ops;
	uint64_t want = FK_CAP_ASYNC_READ | FK_CAP_BIG_WRITES |
			FK_CAP_IOCTL_DIR | FK_CAP_AUTO_INVAL_DATA |
			FK_CAP_ASYNC_DIO | FK_CAP_PARALLEL_DIROPS |
			FK_CAP_MAX_PAGES | FK_CAP_SETXATTR_EXT |
			FK_CAP_CREATE_SUPP_GROUP | FK_CAP_EXPIRE_ONLY;
	if (o->readdirplus)
		want |= FK_CAP_READDIRPLUS | FK_CAP_READDIRPLUS_AUTO;
	/* The queues run beside the /dev/fuse workers: not single-threaded. */
	if (se->cfg.io_uring && se->cfg.threads > 1 &&
	    se->proto.dialect == FK_DIALECT_LINUX)
		want |= FK_CAP_OVER_IO_URING;
	if (o->getlk && o->setlk)
		want |= FK_CAP_POSIX_LOCKS;
	if (o->setlk)
		want |= FK_CAP_FLOCK_LOCKS;
	if (se->proto.dialect == FK_DIALECT_MACFUSE) {
		/* Offered only when the filesystem can keep the promise. */
		if (o->fallocate)
			want |= FK_CAP_MAC_ALLOCATE;
		if (o->exchange)
			want |= FK_CAP_MAC_EXCHANGE_DATA;
		if (o->setvolname)
			want |= FK_CAP_MAC_VOL_RENAME;
		if (o->getxtimes)
			want |= FK_CAP_MAC_XTIMES;
		/* As macFUSE's library does whenever renamex is there. */
		if (o->rename)
			want |= FK_CAP_MAC_RENAME_SWAP | FK_CAP_MAC_RENAME_EXCL;
	}
	return want;
}

/* Capabilities that need a callback: never granted without one. */
static uint64_t unbacked_caps(const fk_session *se)
{
	const struct fk_ops *o = &se->ops;
	uint64_t off = 0;
	if (!o->readdirplus)
		off |= FK_CAP_READDIRPLUS | FK_CAP_READDIRPLUS_AUTO;
	if (!o->getlk || !o->setlk)
		off |= FK_CAP_POSIX_LOCKS;
	if (!o->setlk)
		off |= FK_CAP_FLOCK_LOCKS;
	if (!o->fallocate)
		off |= FK_CAP_MAC_ALLOCATE;
	if (!o->exchange)
		off |= FK_CAP_MAC_EXCHANGE_DATA;
	if (!o->setvolname)
		off |= FK_CAP_MAC_VOL_RENAME;
	if (!o->getxtimes)
		off |= FK_CAP_MAC_XTIMES;
	if (!o->rename)
		off |= FK_CAP_MAC_RENAME_SWAP | FK_CAP_MAC_RENAME_EXCL;
	return off;
}

static void log_caps(fk_session *se, const char *what, uint64_t caps)
{
	char line[900];
	size_t len = 0;
	line[0] = 0;
	for (int bit = 0; bit < 64; bit++) {
		uint64_t c = 1ULL << bit;
		if (!(caps & c))
			continue;
		const char *name = fk_cap_name(c);
		char unknown[16];
		static const char *const internal[64] = {
			[7] = "splice_write", [8] = "splice_move",
			[9] = "splice_read", [30] = "init_ext",
			[39] = "has_resend", [40] = "allow_idmap",
			[41] = "over_io_uring", [42] = "request_timeout",
		};
		if (!name)
			name = internal[bit];
		if (!name) {
			snprintf(unknown, sizeof unknown, "bit%d", bit);
			name = unknown;
		}
		int n = snprintf(line + len, sizeof line - len, "%s%s",
				 len ? " " : "", name);
		if (n < 0 || (size_t)n >= sizeof line - len)
			break;
		len += (size_t)n;
	}
	fk_session_log(se, "%s: %s", what, len ? line : "(none)");
}

/* FUSE over io_uring, once INIT's other terms are settled: granted only
 * when the queues are made (uring.c says why it must be so). */
static void init_uring(fk_session *se, struct fk_conn *c)
{
	const char *why = NULL;
	int rc = 0;
	if (!se->cfg.io_uring || se->proto.dialect != FK_DIALECT_LINUX)
		return;
	if (se->cfg.threads <= 1)
		why = "single-threaded (threads=1)";
	else if (!(c->offered & FK_CAP_OVER_IO_URING))
		why = "not offered by the kernel (its fuse module's enable_uring "
		      "is off, or it is older than 6.14)";
	else if (c->want & FK_CAP_OVER_IO_URING) {
		rc = fk_uring_prepare(se);
		if (rc < 0) {
			fk_uring_stop(se);
			c->want &= ~FK_CAP_OVER_IO_URING;
			why = strerror(-rc);
		}
	}
	if (why && se->cfg.debug)
		fk_session_log(se, "io_uring: %s; /dev/fuse serves", why);
}

int fk_dispatch_init(fk_session *se, fk_req *req)
{
	const struct fk_init_args *in = &req->msg.u.init;
	struct fk_conn *c = &se->conn;
	struct fk_wire_init_out out;

	if (in->major > FK_KERNEL_VERSION) {
		/* The kernel speaks a newer major: tell it ours and wait for
		 * the INIT it sends again. */
		memset(&out, 0, sizeof out);
		out.major = FK_KERNEL_VERSION;
		out.minor = FK_KERNEL_MINOR_VERSION;
		struct iovec iov = { &out, 8 };
		(void)fk_dev_write(se, se->fd, req->msg.unique, 0, &iov, 1);
		return 0;
	}
	if (in->major < FK_KERNEL_VERSION || in->minor < FK_KERNEL_MINOR_MIN) {
		fk_session_log(se, "kernel protocol %u.%u is too old (need 7.%u)",
			       in->major, in->minor, FK_KERNEL_MINOR_MIN);
		(void)fk_dev_write(se, se->fd, req->msg.unique, -EPROTO, NULL, 0);
		return -EPROTO;
	}

	memset(c, 0, sizeof *c);
	c->dialect = se->proto.dialect;
	c->proto_major = FK_KERNEL_VERSION;
	c->kernel_minor = in->minor;
	c->proto_minor = in->minor < FK_KERNEL_MINOR_VERSION
				 ? in->minor
				 : FK_KERNEL_MINOR_VERSION;
	c->offered = fk_proto_caps_from_init(c->dialect, in->flags);
	c->want = default_caps(se);
	c->max_readahead = in->max_readahead;
	/* The measurements behind 64: docs/benchmarks.md, "Queue limits". */
	c->max_background = se->cfg.max_background ? se->cfg.max_background : 64;
	c->congestion_threshold = se->cfg.congestion_threshold
					  ? se->cfg.congestion_threshold
					  : c->max_background * 3 / 4;
	c->time_gran = 1;
	if (c->offered & FK_CAP_MAX_PAGES) {
		c->max_pages = se->cfg.max_pages ? se->cfg.max_pages : 256;
		if (c->max_pages > 65535)
			c->max_pages = 65535;
	} else {
		c->max_pages = 32;
	}
	c->max_write = c->max_pages * 4096u;

	c->want |= se->cfg.caps_on;
	c->want &= ~se->cfg.caps_off;
	if (se->ops.init)
		se->ops.init(se->fs, c);
	c->want &= ~unbacked_caps(se);
	if (se->cfg.debug) {
		uint64_t missing = c->want & ~c->offered;
		if (missing)
			log_caps(se, "asked for but not offered by the kernel",
				 missing);
	}
	c->want &= c->offered;
	if ((c->want & FK_CAP_PASSTHROUGH) && c->max_stack_depth == 0)
		c->max_stack_depth = 1;
	if (c->max_write < 4096)
		c->max_write = 4096;
	init_uring(se, c);

	uint64_t flags = fk_proto_caps_to_init(c->dialect, c->want);
	if (c->dialect == FK_DIALECT_LINUX && (in->flags & FK_INIT_INIT_EXT))
		flags |= FK_INIT_INIT_EXT; /* we read and write flags2 */
	size_t len = fk_proto_encode_init_out(c, flags, &out);

	se->proto.minor = c->proto_minor;
	se->proto.setxattr_ext = (c->want & FK_CAP_SETXATTR_EXT) != 0;
	se->proto.mac_rename_flags = c->dialect == FK_DIALECT_MACFUSE &&
				     (c->want & FK_CAP_MAC_RENAME_SWAP);
	/* Buffers for the rest of the session: the largest write plus room
	 * for its header, and never under the kernel's minimum. */
	se->slot_size = (size_t)c->max_write + 4096u;
	if (se->slot_size < FK_MIN_READ_BUFFER)
		se->slot_size = FK_MIN_READ_BUFFER;
	/* macFUSE's messages are not bounded by max_write. (The pages of a
	 * buffer are only backed once a message that large arrives.) */
	if (c->dialect == FK_DIALECT_MACFUSE && se->slot_size < FK_DARWIN_MAX_MESSAGE)
		se->slot_size = FK_DARWIN_MAX_MESSAGE;

	/* Done before the reply leaves: once the kernel has it, another
	 * thread may send notifications at once. */
	se->init_done = 1;
	struct iovec iov = { &out, len };
	int rc = fk_dev_write(se, se->fd, req->msg.unique, 0, &iov, 1);
	if (rc < 0) {
		se->init_done = 0;
		fk_uring_stop(se);
		fk_session_log(se, "answering INIT failed: %s", strerror(-rc));
		return rc;
	}
	if (c->want & FK_CAP_OVER_IO_URING)
		fk_uring_go(se);
	if (se->cfg.debug) {
		fk_session_log(se, "INIT: kernel %u.%u, using %u.%u (%s dialect), "
				   "max_write %u, max_pages %u, %u thread(s)",
			       in->major, in->minor, c->proto_major,
			       c->proto_minor,
			       c->dialect == FK_DIALECT_MACFUSE ? "macFUSE" : "Linux",
			       c->max_write, c->max_pages, se->cfg.threads);
		log_caps(se, "offered", c->offered);
		log_caps(se, "granted", c->want);
	}
	return 1;
}
