/*
 * splice.c — READ replies spliced from a file to /dev/fuse (-o splice,
 * Linux): the data goes from the page cache into a pipe and from there
 * into the kernel's request, never through the daemon's memory.
 *
 * pread + writev copy a reply's data twice (page cache to the daemon,
 * the daemon to the request); a splice copies it once (the pipe holds
 * references to the file's pages). It costs a third system call, so it
 * pays for large reads only (docs/benchmarks.md, "splice").
 *
 * Each thread keeps one pipe, as large as the kernel lets an unprivileged
 * process make it (fs.pipe-max-size, 1 MiB by default); a reply that
 * would not fit is sent by copy. A reply is its header written into the
 * empty pipe, the file's pages spliced in behind it, and the whole pipe
 * spliced to the device. The header must go first, but its length is
 * known only once the file has given its data: when it gives less than
 * asked (the end of the file), the pipe is read back into memory, the
 * length mended, and the reply written as a copy.
 *
 * Invariant: between replies a thread's pipe is empty. Where a failure
 * may leave bytes in it, the pipe is closed (the next reply makes a new
 * one).
 */
#define _GNU_SOURCE /* splice */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fk_session_i.h"
#include "../proto/fk_wire.h"
#include "../util/fk_thread_buf.h"

#define PAGE 4096u

/* Write a reply of header h and len data bytes at data (a copy). */
static int write_copy(fk_session *se, int devfd, struct fk_wire_out_header *h,
		      const void *data, size_t len)
{
	struct iovec iov = { (void *)data, len };
	return fk_dev_write(se, devfd, h->unique, h->error, &iov, len ? 1 : 0);
}

/* The file is read: let the caller release what holds it open. */
static void read_done(const struct fk_file_range *r)
{
	if (r->done)
		r->done(r->arg);
}

/* The reply as a copy: pread into this thread's buffer. */
static int reply_by_copy(fk_session *se, int devfd, uint64_t unique,
			 const struct fk_file_range *r)
{
	struct fk_wire_out_header h = { 0, 0, unique };
	void *buf = fk_thread_buf(FK_THREAD_BUF_SESSION, r->size ? r->size : 1);
	ssize_t n = buf ? pread(r->fd, buf, r->size, (off_t)r->offset) : -1;
	if (!buf)
		h.error = -ENOMEM;
	else if (n < 0)
		h.error = -errno;
	read_done(r);
	return write_copy(se, devfd, &h, buf, n > 0 ? (size_t)n : 0);
}

#ifdef __linux__
struct splice_pipe {
	int rd, wr; /* -1: none yet */
	size_t pages; /* its capacity in buffers (one page each) */
};

static pthread_key_t pipe_key;
static pthread_once_t pipe_once = PTHREAD_ONCE_INIT;

static void pipe_close(struct splice_pipe *p)
{
	if (p->rd >= 0) {
		(void)close(p->rd); /* (nothing to lose: it is discarded) */
		(void)close(p->wr);
	}
	p->rd = p->wr = -1;
	p->pages = 0;
}

static void pipe_free(void *arg)
{
	pipe_close(arg);
	free(arg);
}

static void make_key(void)
{
	/* Failing, pthread_setspecific fails below: replies are copied. */
	(void)pthread_key_create(&pipe_key, pipe_free);
}

/* This thread's pipe, made with room for at least want bytes where the
 * kernel allows it; NULL when there is none to be had. */
static struct splice_pipe *thread_pipe(size_t want)
{
	(void)pthread_once(&pipe_once, make_key);
	struct splice_pipe *p = pthread_getspecific(pipe_key);
	if (!p) {
		p = malloc(sizeof *p);
		if (!p || pthread_setspecific(pipe_key, p)) {
			free(p);
			return NULL;
		}
		p->rd = p->wr = -1;
		p->pages = 0;
	}
	if (p->rd >= 0)
		return p;
	int fds[2];
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK))
		return NULL;
	p->rd = fds[0];
	p->wr = fds[1];
	/* As large as asked, else as large as an unprivileged process may
	 * (EPERM above fs.pipe-max-size); else as it is (16 pages). */
	int size = fcntl(p->wr, F_SETPIPE_SZ, (int)want);
	if (size < 0)
		size = fcntl(p->wr, F_SETPIPE_SZ, 1 << 20);
	if (size < 0)
		size = fcntl(p->wr, F_GETPIPE_SZ);
	if (size < 0) {
		pipe_close(p);
		return NULL;
	}
	p->pages = (size_t)size / PAGE;
	return p;
}

int fk_splice_reply(fk_session *se, int devfd, uint64_t unique,
		    const struct fk_file_range *r)
{
	/* Buffers needed: the header's, and one per page the range spans. */
	size_t spans = (size_t)((r->offset + r->size + PAGE - 1) / PAGE -
				r->offset / PAGE);
	/* Room for the largest READ the kernel sends, and its header. */
	size_t largest = (size_t)se->conn.max_pages * PAGE;
	struct splice_pipe *p = thread_pipe((largest > r->size ? largest : r->size) +
					    2 * PAGE);
	if (!p || 1 + spans > p->pages)
		return reply_by_copy(se, devfd, unique, r);
	struct fk_wire_out_header h = { (uint32_t)(sizeof h + r->size), 0, unique };
	if (write(p->wr, &h, sizeof h) != (ssize_t)sizeof h) {
		pipe_close(p); /* how much went in is not known */
		return reply_by_copy(se, devfd, unique, r);
	}
	loff_t off = (loff_t)r->offset;
	size_t got = 0;
	while (got < r->size) {
		ssize_t n = splice(r->fd, &off, p->wr, NULL, r->size - got,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && got == 0) {
			/* This file cannot splice (EINVAL), or the read
			 * failed: the copy path answers, with its error. */
			pipe_close(p);
			return reply_by_copy(se, devfd, unique, r);
		}
		if (n <= 0)
			break; /* the end of the file (or a late failure) */
		got += (size_t)n;
	}
	read_done(r);
	if (got == r->size) {
		ssize_t n;
		while ((n = splice(p->rd, NULL, devfd, NULL, sizeof h + got,
				   SPLICE_F_MOVE)) < 0 && errno == EINTR)
			;
		if (se->cfg.trace)
			fk_session_log(se, "< unique=%llu error=0 len=%zu (spliced)",
				       (unsigned long long)unique, sizeof h + got);
		if (n == (ssize_t)(sizeof h + got))
			return 0;
		int rc = n < 0 ? -errno : -EIO;
		pipe_close(p); /* it may hold what did not go */
		if (rc != -ENOENT) /* ENOENT: interrupted, as for a writev */
			fk_session_log(se, "splicing reply %llu failed: %s",
				       (unsigned long long)unique, strerror(-rc));
		return rc;
	}
	/* Short: read the pipe back and send a copy of what is there. */
	uint8_t *buf = fk_thread_buf(FK_THREAD_BUF_SESSION, sizeof h + got);
	ssize_t n = buf ? read(p->rd, buf, sizeof h + got) : -1;
	if (n != (ssize_t)(sizeof h + got)) {
		pipe_close(p);
		h.error = buf ? -EIO : -ENOMEM; /* (the file is let go) */
		return write_copy(se, devfd, &h, NULL, 0);
	}
	return write_copy(se, devfd, &h, buf + sizeof h, got);
}
#else
int fk_splice_reply(fk_session *se, int devfd, uint64_t unique,
		    const struct fk_file_range *r)
{
	return reply_by_copy(se, devfd, unique, r); /* no splice here */
}
#endif
