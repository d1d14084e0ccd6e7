/*
 * reply.c — the fk_reply_* calls, directory buffers, and the one function
 * that writes a reply to the device.
 *
 * Each operation accepts a fixed set of reply kinds (the table below, which
 * mirrors the "Replies:" lines of fk_ops.h). A reply of another kind is a
 * bug in the filesystem: it is logged, asserted in debug builds, and the
 * kernel gets EIO instead of a structure it would misread.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fk_session_i.h"
#include "../util/fk_thread_buf.h"

static const unsigned accepted[FK_OP_MAX] = {
	[FK_OP_LOOKUP] = FK_RK_ENTRY,
	[FK_OP_GETATTR] = FK_RK_ATTR,
	[FK_OP_SETATTR] = FK_RK_ATTR,
	[FK_OP_READLINK] = FK_RK_READLINK,
	[FK_OP_SYMLINK] = FK_RK_ENTRY,
	[FK_OP_MKNOD] = FK_RK_ENTRY,
	[FK_OP_MKDIR] = FK_RK_ENTRY,
	[FK_OP_UNLINK] = FK_RK_OK,
	[FK_OP_RMDIR] = FK_RK_OK,
	[FK_OP_RENAME] = FK_RK_OK,
	[FK_OP_LINK] = FK_RK_ENTRY,
	[FK_OP_OPEN] = FK_RK_OPEN,
	[FK_OP_READ] = FK_RK_BUF,
	[FK_OP_WRITE] = FK_RK_WRITE,
	[FK_OP_STATFS] = FK_RK_STATFS,
	[FK_OP_RELEASE] = FK_RK_OK,
	[FK_OP_FSYNC] = FK_RK_OK,
	[FK_OP_SETXATTR] = FK_RK_OK,
	[FK_OP_GETXATTR] = FK_RK_XATTR_SIZE | FK_RK_BUF,
	[FK_OP_LISTXATTR] = FK_RK_XATTR_SIZE | FK_RK_BUF,
	[FK_OP_REMOVEXATTR] = FK_RK_OK,
	[FK_OP_FLUSH] = FK_RK_OK,
	[FK_OP_OPENDIR] = FK_RK_OPEN,
	[FK_OP_READDIR] = FK_RK_DIR,
	[FK_OP_RELEASEDIR] = FK_RK_OK,
	[FK_OP_FSYNCDIR] = FK_RK_OK,
	[FK_OP_GETLK] = FK_RK_LOCK,
	[FK_OP_SETLK] = FK_RK_OK,
	[FK_OP_SETLKW] = FK_RK_OK,
	[FK_OP_ACCESS] = FK_RK_OK,
	[FK_OP_CREATE] = FK_RK_CREATE,
	[FK_OP_BMAP] = FK_RK_BMAP,
	[FK_OP_DESTROY] = FK_RK_OK,
	[FK_OP_IOCTL] = FK_RK_IOCTL,
	[FK_OP_POLL] = FK_RK_POLL,
	[FK_OP_FALLOCATE] = FK_RK_OK,
	[FK_OP_READDIRPLUS] = FK_RK_DIR,
	[FK_OP_RENAME2] = FK_RK_OK,
	[FK_OP_LSEEK] = FK_RK_LSEEK,
	[FK_OP_COPY_FILE_RANGE] = FK_RK_COPIED,
	[FK_OP_SYNCFS] = FK_RK_OK,
	[FK_OP_TMPFILE] = FK_RK_CREATE,
	[FK_OP_STATX] = FK_RK_STATX,
	[FK_OP_COPY_FILE_RANGE_64] = FK_RK_COPIED,
	[FK_OP_SETVOLNAME] = FK_RK_OK,
	[FK_OP_GETXTIMES] = FK_RK_XTIMES,
	[FK_OP_EXCHANGE] = FK_RK_OK,
};

int fk_dev_write(fk_session *se, int fd, uint64_t unique, int error,
		 const struct iovec *iov, int iovcnt)
{
	struct iovec all[8];
	struct fk_wire_out_header h;
	size_t len = sizeof h;

	assert(iovcnt >= 0 && iovcnt < 8);
	for (int i = 0; i < iovcnt; i++) {
		all[i + 1] = iov[i];
		len += iov[i].iov_len;
	}
	h.len = (uint32_t)len;
	/* A reply's errno as its kernel numbers it (a notification's
	 * "error" is its code, unique 0). */
	h.error = unique ? fk_proto_wire_errno(se->proto.dialect, error) : error;
	h.unique = unique;
	all[0].iov_base = &h;
	all[0].iov_len = sizeof h;
	if (se->cfg.trace)
		fk_session_log(se, "< unique=%llu error=%d len=%zu",
			       (unsigned long long)unique, error, len);
	/* One writev: the kernel takes a reply whole or not at all. */
	int rc = 0;
	while (writev(fd, all, iovcnt + 1) < 0) {
		if (errno != EINTR) {
			rc = -errno;
			break;
		}
	}
	if (rc < 0 && rc != -ENOENT)
		fk_session_log(se, "writing reply %llu failed: %s",
			       (unsigned long long)unique, strerror(-rc));
	return rc;
}

static void inflight_remove(fk_session *se, fk_req *req)
{
	pthread_mutex_lock(&se->lock);
	if (req->in_flight) {
		req->prev->next = req->next;
		req->next->prev = req->prev;
		req->in_flight = 0;
	}
	pthread_mutex_unlock(&se->lock);
}

/* fk_reply_send, or with file non-NULL (and no iov) a READ's data
 * spliced from a file to /dev/fuse. */
static int reply_send(fk_req *req, unsigned kind, int error,
		      const struct iovec *iov, int iovcnt,
		      const struct fk_file_range *file)
{
	fk_session *se = req->se;
	uint32_t op = req->msg.opcode;
	unsigned ok = FK_RK_ERR | (op < FK_OP_MAX ? accepted[op] : 0);

	if (!(kind & ok)) {
		fk_session_log(se, "bug: %s answered with a reply it does not "
				   "accept (kind 0x%x); sending EIO",
			       fk_proto_opname(op), kind);
		assert(!"reply kind not accepted by this operation");
		kind = FK_RK_ERR;
		error = -EIO;
		iovcnt = 0;
		file = NULL;
	}
	assert(!file || (!req->ent && iovcnt == 0));
	/* Held while the reply is written: a handler that answers from
	 * another thread races with the dispatcher's end, which must not
	 * reuse the slot (its buffer may hold the reply) meanwhile. */
	atomic_fetch_add(&req->refs, 1);
	unsigned old = atomic_fetch_or(&req->state, FK_REQ_REPLIED);
	if (old & FK_REQ_REPLIED) {
		fk_session_log(se, "bug: %s (unique %llu) answered twice",
			       fk_proto_opname(op),
			       (unsigned long long)req->msg.unique);
		assert(!"request answered twice");
		fk_req_unref(req);
		return -EALREADY;
	}
	int rc = req->ent ? fk_uring_reply(req, error, iov, iovcnt)
		 : file	  ? fk_splice_reply(se, req->fd, req->msg.unique, file)
			  : fk_dev_write(se, req->fd, req->msg.unique, error, iov,
					 iovcnt);
	inflight_remove(se, req);
	atomic_fetch_sub(&se->pending, 1);
	if (old & FK_REQ_DISPATCHED)
		fk_req_unref(req); /* answered after the handler returned */
	fk_req_unref(req); /* the write's */
	return rc;
}

int fk_reply_send(fk_req *req, unsigned kind, int error,
		  const struct iovec *iov, int iovcnt)
{
	return reply_send(req, kind, error, iov, iovcnt, NULL);
}

/* ---- Accessors ------------------------------------------------------ */

void *fk_req_fs(const fk_req *req)
{
	return req->se->fs;
}

fk_session *fk_req_session(const fk_req *req)
{
	return req->se;
}

const struct fk_ctx *fk_req_ctx(const fk_req *req)
{
	return &req->msg.ctx;
}

uint32_t fk_req_umask(const fk_req *req)
{
	/* want is what INIT granted once it is answered. */
	return (fk_session_conn(req->se)->want & FK_CAP_DONT_MASK)
		       ? req->msg.ctx.umask & 0777
		       : 0;
}

uint64_t fk_req_unique(const fk_req *req)
{
	return req->msg.unique;
}

int fk_req_interrupted(const fk_req *req)
{
	return atomic_load(&((fk_req *)req)->interrupted);
}

void fk_req_on_interrupt(fk_req *req, void (*fn)(fk_req *req, void *data),
			 void *data)
{
	fk_session *se = req->se;
	pthread_mutex_lock(&se->lock);
	req->intr_fn = fn;
	req->intr_data = data;
	int already = atomic_load(&req->interrupted);
	pthread_mutex_unlock(&se->lock);
	if (already && fn)
		fn(req, data);
}

/* ---- Replies -------------------------------------------------------- */

int fk_reply_err(fk_req *req, int err)
{
	if (err < 0)
		err = -err; /* forgive the -errno habit */
	return fk_reply_send(req, err ? FK_RK_ERR : FK_RK_OK, -err, NULL, 0);
}

static int reply_struct(fk_req *req, unsigned kind, const void *p, size_t n)
{
	struct iovec iov = { (void *)p, n };
	return fk_reply_send(req, kind, 0, &iov, 1);
}

int fk_reply_entry(fk_req *req, const struct fk_entry *e)
{
	uint8_t out[FK_PROTO_MAX_ENTRY_OUT];
	size_t n = fk_proto_encode_entry(&req->se->proto, e, out);
	return reply_struct(req, FK_RK_ENTRY, out, n);
}

int fk_reply_create(fk_req *req, const struct fk_entry *e,
		    const struct fk_open_out *o)
{
	uint8_t out[FK_PROTO_MAX_ENTRY_OUT + sizeof(struct fk_wire_open_out)];
	size_t n = fk_proto_encode_entry(&req->se->proto, e, out);
	struct fk_wire_open_out w;
	fk_proto_encode_open_out(o, &w);
	memcpy(out + n, &w, sizeof w);
	return reply_struct(req, FK_RK_CREATE, out, n + sizeof w);
}

int fk_reply_attr(fk_req *req, const struct fk_attr *attr,
		  uint64_t attr_valid_ns)
{
	uint8_t out[FK_PROTO_MAX_ATTR_OUT];
	size_t n = fk_proto_encode_attr_out(&req->se->proto, attr,
					    attr_valid_ns, out);
	return reply_struct(req, FK_RK_ATTR, out, n);
}

int fk_reply_statx(fk_req *req, const struct fk_attr *attr,
		   uint64_t attr_valid_ns)
{
	struct fk_wire_statx_out out;
	fk_proto_encode_statx_out(attr, attr_valid_ns, &out);
	return reply_struct(req, FK_RK_STATX, &out, sizeof out);
}

int fk_reply_readlink(fk_req *req, const char *target)
{
	return reply_struct(req, FK_RK_READLINK, target, strlen(target));
}

int fk_reply_open(fk_req *req, const struct fk_open_out *o)
{
	struct fk_wire_open_out w;
	fk_proto_encode_open_out(o, &w);
	return reply_struct(req, FK_RK_OPEN, &w, sizeof w);
}

int fk_reply_write(fk_req *req, uint32_t written)
{
	struct fk_wire_write_out w = { written, 0 };
	return reply_struct(req, FK_RK_WRITE, &w, sizeof w);
}

void *fk_reply_space(fk_req *req, size_t size)
{
	return req->ent ? fk_uring_space(req, size) : NULL;
}

int fk_reply_buf(fk_req *req, const void *buf, size_t size)
{
	return reply_struct(req, FK_RK_BUF, buf, size);
}

int fk_reply_fd(fk_req *req, int fd, uint64_t offset, size_t size,
		void (*done)(void *arg), void *arg)
{
	/* A page or less is copied: one copy of it costs less than the
	 * splice's third system call (docs/benchmarks.md, "splice"). */
	if (!req->ent && req->se->splice && size > FK_SPLICE_MIN) {
		const struct fk_file_range r = { fd, offset, size, done, arg };
		return reply_send(req, FK_RK_BUF, 0, NULL, 0, &r);
	}
	/* Read where the reply goes from, if the transport has room. */
	void *buf = fk_reply_space(req, size);
	if (!buf)
		buf = fk_thread_buf(FK_THREAD_BUF_SESSION, size ? size : 1);
	ssize_t n = buf ? pread(fd, buf, size, (off_t)offset) : -1;
	int e = buf ? errno : ENOMEM;
	if (done)
		done(arg);
	if (n < 0)
		return fk_reply_err(req, e);
	return fk_reply_buf(req, buf, (size_t)n);
}

int fk_reply_iov(fk_req *req, const struct iovec *iov, int count)
{
	if (count < 0 || count > 7) {
		/* fk_dev_write has room for seven payload pieces. */
		return fk_reply_err(req, EINVAL);
	}
	return fk_reply_send(req, FK_RK_BUF, 0, iov, count);
}

int fk_reply_statfs(fk_req *req, const struct fk_statfs *st)
{
	struct fk_wire_statfs_out w;
	fk_proto_encode_statfs(st, &w);
	return reply_struct(req, FK_RK_STATFS, &w, sizeof w);
}

int fk_reply_xattr_size(fk_req *req, uint32_t size)
{
	struct fk_wire_getxattr_out w = { size, 0 };
	return reply_struct(req, FK_RK_XATTR_SIZE, &w, sizeof w);
}

int fk_reply_lock(fk_req *req, const struct fk_lock *lock)
{
	struct fk_wire_lk_out w;
	memset(&w, 0, sizeof w);
	w.lk.start = lock->start;
	w.lk.end = lock->end;
	w.lk.type = lock->type;
	w.lk.pid = lock->pid;
	return reply_struct(req, FK_RK_LOCK, &w, sizeof w);
}

int fk_reply_bmap(fk_req *req, uint64_t block)
{
	struct fk_wire_bmap_out w = { block };
	return reply_struct(req, FK_RK_BMAP, &w, sizeof w);
}

int fk_reply_ioctl(fk_req *req, int32_t result, const void *out, size_t size)
{
	if (size > req->msg.u.ioctl.out_size)
		return fk_reply_err(req, E2BIG);
	struct fk_wire_ioctl_out w;
	memset(&w, 0, sizeof w);
	w.result = result;
	struct iovec iov[2] = { { &w, sizeof w }, { (void *)out, size } };
	return fk_reply_send(req, FK_RK_IOCTL, 0, iov, size ? 2 : 1);
}

int fk_reply_poll(fk_req *req, uint32_t revents)
{
	struct fk_wire_poll_out w = { revents, 0 };
	return reply_struct(req, FK_RK_POLL, &w, sizeof w);
}

int fk_reply_lseek(fk_req *req, uint64_t offset)
{
	struct fk_wire_lseek_out w = { offset };
	return reply_struct(req, FK_RK_LSEEK, &w, sizeof w);
}

int fk_reply_copied(fk_req *req, uint64_t copied)
{
	if (req->msg.opcode == FK_OP_COPY_FILE_RANGE_64) {
		struct fk_wire_copy_file_range_out w = { copied };
		return reply_struct(req, FK_RK_COPIED, &w, sizeof w);
	}
	if (copied > UINT32_MAX) {
		/* Truncating would tell the caller fewer bytes moved than
		 * did: refuse instead. */
		return fk_reply_err(req, EOVERFLOW);
	}
	struct fk_wire_write_out w = { (uint32_t)copied, 0 };
	return reply_struct(req, FK_RK_COPIED, &w, sizeof w);
}

int fk_reply_xtimes(fk_req *req, const struct timespec *bkuptime,
		    const struct timespec *crtime)
{
	struct fk_wire_mac_getxtimes_out w;
	memset(&w, 0, sizeof w);
	w.bkuptime = (uint64_t)(int64_t)bkuptime->tv_sec;
	w.bkuptimensec = (uint32_t)bkuptime->tv_nsec;
	w.crtime = (uint64_t)(int64_t)crtime->tv_sec;
	w.crtimensec = (uint32_t)crtime->tv_nsec;
	return reply_struct(req, FK_RK_XTIMES, &w, sizeof w);
}

/* ---- Directory buffers --------------------------------------------- */

/* The reply is built inside the request's own slot, past the request. */
static uint8_t *dirbuf(fk_req *req)
{
	if (req->dir_cap == 0) {
		size_t room = req->buf_cap > FK_DIRBUF_OFFSET
				      ? req->buf_cap - FK_DIRBUF_OFFSET
				      : 0;
		size_t want = req->msg.u.read.size;
		req->dir_cap = want < room ? want : room;
	}
	return req->buf + FK_DIRBUF_OFFSET;
}

static int dir_add(fk_req *req, const char *name, uint64_t ino, uint32_t mode,
		   uint64_t next_off, const struct fk_entry *plus)
{
	uint32_t op = req->msg.opcode;
	if ((plus && op != FK_OP_READDIRPLUS) ||
	    (!plus && op != FK_OP_READDIR)) {
		fk_session_log(req->se, "bug: fk_dirbuf_add%s in %s",
			       plus ? "_plus" : "", fk_proto_opname(op));
		assert(!"directory entry kind does not match the request");
		return -EINVAL;
	}
	size_t namelen = strlen(name);
	if (namelen == 0 || namelen > 1024 || memchr(name, '/', namelen))
		return -EINVAL;
	uint8_t *base = dirbuf(req);
	size_t need = fk_proto_dirent_size(&req->se->proto, namelen, plus != NULL);
	if (req->dir_len + need > req->dir_cap)
		return -ENOSPC;
	fk_proto_encode_dirent(&req->se->proto, base + req->dir_len, name,
			       namelen, ino, mode, next_off, plus);
	req->dir_len += need;
	return 0;
}

int fk_dirbuf_add(fk_req *req, const char *name, uint64_t ino, uint32_t mode,
		  uint64_t next_off)
{
	return dir_add(req, name, ino, mode, next_off, NULL);
}

int fk_dirbuf_add_plus(fk_req *req, const char *name, const struct fk_entry *e,
		       uint64_t next_off)
{
	return dir_add(req, name, e->attr.ino ? e->attr.ino : e->ino,
		       e->attr.mode, next_off, e);
}

int fk_reply_dirbuf(fk_req *req)
{
	struct iovec iov = { dirbuf(req), req->dir_len };
	return fk_reply_send(req, FK_RK_DIR, 0, &iov, req->dir_len ? 1 : 0);
}
