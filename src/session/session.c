/*
 * session.c — a session's life: creation, mounting, INIT, the worker
 * threads that read requests, and a clean end.
 *
 * Ending. Workers block in read() on their device fd. The kernel ends those
 * reads with ENODEV once the filesystem is unmounted, so every way of
 * stopping (signal, fk_session_exit, DESTROY) comes down to: unmount if we
 * mounted, then wait for the workers to see ENODEV. The main thread waits on
 * a self-pipe that signal handlers and exiting workers write to.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../mount/fk_mount_i.h"
#include "fk_session_i.h"

#define FK_DEFAULT_THREADS 4
#define FK_DEFAULT_SLOT (1024u * 1024u + 4096u)

void fk_session_log(const fk_session *se, const char *fmt, ...)
{
	(void)se;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	/* One write per line so concurrent threads do not interleave. */
	dprintf(2, "fusekit: %s\n", line);
}

void fk_session_config_init(struct fk_session_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->threads = FK_DEFAULT_THREADS;
	cfg->dialect = fk_plat_default_dialect();
	cfg->handle_signals = 1;
	/* Where the kernel offers it, io_uring is faster on every job
	 * measured (docs/benchmarks.md); where it does not, /dev/fuse
	 * serves and nothing is lost. */
	cfg->io_uring = 1;
	/* Over /dev/fuse, spliced reads of more than a page were 1.15-1.18x
	 * as fast as copied ones (docs/benchmarks.md, "splice"). */
	cfg->splice = 1;
}

int fk_session_new(fk_session **out, const struct fk_ops *ops, size_t ops_size,
		   void *fs, const struct fk_session_config *cfg)
{
	*out = NULL;
	if (!ops || ops_size == 0)
		return -EINVAL;
	fk_session *se = calloc(1, sizeof *se);
	if (!se)
		return -ENOMEM;
	/* A caller built against a smaller fk_ops gets NULL for the rest. */
	memcpy(&se->ops, ops, ops_size < sizeof se->ops ? ops_size : sizeof se->ops);
	se->fs = fs;
	if (cfg)
		se->cfg = *cfg;
	else
		fk_session_config_init(&se->cfg);
	if (se->cfg.threads == 0)
		se->cfg.threads = FK_DEFAULT_THREADS;
	se->proto.dialect = se->cfg.dialect;
	se->proto.minor = FK_KERNEL_MINOR_VERSION;
	se->fd = -1;
	se->commfd = -1;
	se->init_timeout_ms = -1;
	se->slot_size = FK_DEFAULT_SLOT;
	se->inflight.next = se->inflight.prev = &se->inflight;
	se->next_notify_unique = 1;
	atomic_init(&se->exiting, 0);
	atomic_init(&se->pending, 0);
	int rc = pthread_mutex_init(&se->lock, NULL);
	if (rc) {
		free(se);
		return -rc;
	}
	if (pipe(se->wake_pipe) < 0) {
		rc = -errno;
		pthread_mutex_destroy(&se->lock);
		free(se);
		return rc;
	}
	for (int i = 0; i < 2; i++) {
		/* Non-blocking writes: a signal handler must never block on
		 * a full pipe; one pending byte is enough to wake us. */
		int fl = fcntl(se->wake_pipe[i], F_GETFL);
		if (fl >= 0)
			(void)fcntl(se->wake_pipe[i], F_SETFL, fl | O_NONBLOCK);
		(void)fcntl(se->wake_pipe[i], F_SETFD, FD_CLOEXEC);
	}
	*out = se;
	return 0;
}

int fk_session_set_fd(fk_session *se, int fd)
{
	if (fd < 0)
		return -EBADF;
	if (se->fd >= 0)
		return -EBUSY;
	se->fd = fd;
	return 0;
}

const struct fk_conn *fk_session_conn(const fk_session *se)
{
	return &se->conn;
}

uint64_t fk_session_pending(const fk_session *se)
{
	return atomic_load(&((fk_session *)se)->pending);
}

int fk_session_concurrent(const fk_session *se)
{
	return se->cfg.threads > 1;
}

/* ---- Slots ---------------------------------------------------------- */

fk_req *fk_slot_get(fk_session *se)
{
	pthread_mutex_lock(&se->lock);
	fk_req *req = se->free_slots;
	if (req)
		se->free_slots = req->next_free;
	pthread_mutex_unlock(&se->lock);
	if (req)
		return req;
	size_t head = (sizeof *req + 63u) & ~(size_t)63u;
	req = aligned_alloc(64, head + ((se->slot_size + 63u) & ~(size_t)63u));
	if (!req)
		return NULL;
	memset(req, 0, sizeof *req);
	req->se = se;
	req->buf = (uint8_t *)req + head;
	req->buf_cap = se->slot_size;
	return req;
}

void fk_slot_put(fk_session *se, fk_req *req)
{
	if (req->buf_cap != se->slot_size) {
		/* Sized before INIT settled max_write: not worth keeping. */
		free(req);
		return;
	}
	pthread_mutex_lock(&se->lock);
	req->next_free = se->free_slots;
	se->free_slots = req;
	pthread_mutex_unlock(&se->lock);
}

void fk_req_unref(fk_req *req)
{
	if (atomic_fetch_sub(&req->refs, 1) == 1)
		fk_slot_put(req->se, req);
}

/* ---- Reading ------------------------------------------------------- */

static int wake(fk_session *se)
{
	/* A full pipe already holds a wake-up; nothing is lost. */
	ssize_t n = write(se->wake_pipe[1], "w", 1);
	return n == 1 ? 0 : -errno;
}

/* Read one message. Returns its length, 0 when the connection ended, or
 * -EAGAIN to try again (interrupted, or a request that vanished). */
static ssize_t dev_read(fk_session *se, int fd, fk_req *req)
{
	ssize_t n = read(fd, req->buf, req->buf_cap);
	if (n > 0)
		return n;
	if (n == 0)
		return 0;
	switch (errno) {
	case EINTR:
	case EAGAIN:
	case ENOENT: /* the request was interrupted before we read it */
		return -EAGAIN;
	case ENODEV: /* unmounted */
	case ECONNRESET:
	case ECONNABORTED:
		return 0;
	case EIO:
		if (se->proto.dialect == FK_DIALECT_MACFUSE) {
			/* A message larger than the buffer: macFUSE's kernel
			 * failed that request itself; the next one comes. */
			fk_session_log(se, "a request did not fit %zu bytes: "
					   "the kernel failed it (EIO)",
				       req->buf_cap);
			return -EAGAIN;
		}
		/* fall through */
	default: {
		int e = errno;
		fk_session_log(se, "reading the device failed: %s", strerror(e));
		return -e;
	}
	}
}

/* Single-threaded mode and workers share this loop. poll_wake: also watch
 * the wake pipe (single-threaded mode has no other thread to do it). */
static int serve(fk_session *se, int fd, int poll_wake)
{
	fk_req *req = fk_slot_get(se);
	if (!req)
		return -ENOMEM;
	int rc = 0;
	while (!atomic_load(&se->exiting)) {
		if (poll_wake) {
			struct pollfd p[2] = { { fd, POLLIN, 0 },
					       { se->wake_pipe[0], POLLIN, 0 } };
			if (poll(p, 2, -1) < 0) {
				if (errno == EINTR)
					continue;
				rc = -errno;
				break;
			}
			if (p[1].revents)
				break;
		}
		ssize_t n = dev_read(se, fd, req);
		if (n == -EAGAIN)
			continue;
		if (n <= 0) {
			rc = (int)n;
			break;
		}
		req->ent = NULL; /* from the device: answered there */
		req->write_data = NULL;
		if (!fk_dispatch(req, fd, (size_t)n)) {
			req = fk_slot_get(se);
			if (!req) {
				rc = -ENOMEM;
				break;
			}
		}
	}
	fk_slot_put(se, req);
	return rc;
}

static void *worker_main(void *arg)
{
	struct fk_worker *w = arg;
	int rc = serve(w->se, w->fd, 0);
	if (rc < 0)
		fk_session_log(w->se, "worker stopped: %s", strerror(-rc));
	atomic_store(&w->se->exiting, 1);
	(void)wake(w->se);
	return NULL;
}

/* ---- INIT ---------------------------------------------------------- */

static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	for (;;) {
		int n = poll(&p, 1, timeout_ms);
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int do_init(fk_session *se)
{
	fk_req *req = fk_slot_get(se);
	if (!req)
		return -ENOMEM;
	int rc;
	for (;;) {
		if (se->init_timeout_ms >= 0) {
			rc = wait_readable(se->fd, se->init_timeout_ms);
			if (rc < 0) {
				fk_session_log(se, "no INIT from the kernel: %s",
					       strerror(-rc));
				break;
			}
		}
		ssize_t n = dev_read(se, se->fd, req);
		if (n == -EAGAIN)
			continue;
		if (n <= 0) {
			rc = n == 0 ? -ENOTCONN : (int)n;
			break;
		}
		rc = fk_proto_decode(&se->proto, req->buf, (size_t)n, &req->msg);
		if (rc == -EPROTO) {
			fk_session_log(se, "malformed message before INIT dropped");
			continue;
		}
		if (rc == 0 && req->msg.opcode == FK_OP_INIT)
			rc = fk_dispatch_init(se, req);
		else {
			/* Nothing but INIT may come first. */
			(void)fk_dev_write(se, se->fd, req->msg.unique, -EIO, NULL, 0);
			continue;
		}
		if (rc == 0)
			continue; /* answered a major-version probe */
		break;
	}
	free(req); /* sized before negotiation */
	return rc < 0 ? rc : 0;
}

/* ---- Signals ------------------------------------------------------- */

static fk_session *volatile signal_session;

static void on_signal(int sig)
{
	(void)sig;
	fk_session *se = signal_session;
	if (se)
		fk_session_exit(se);
}

static const int handled_signals[FK_NSIGNALS] = { SIGINT, SIGTERM, SIGHUP };

/* Installed from fk_session_mount on, so that a signal arriving between
 * the mount and fk_session_run still ends the session cleanly. */
static void install_signals(fk_session *se)
{
	struct saved_signals *s = &se->sigs;
	if (s->installed || !se->cfg.handle_signals)
		return;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: blocking reads return EINTR */
	signal_session = se;
	for (int i = 0; i < FK_NSIGNALS; i++)
		(void)sigaction(handled_signals[i], &sa, &s->old[i]);
	/* A closed pipe on the far side of a reply must not kill us. */
	(void)signal(SIGPIPE, SIG_IGN);
	s->installed = 1;
}

static void restore_signals(fk_session *se)
{
	struct saved_signals *s = &se->sigs;
	if (!s->installed)
		return;
	for (int i = 0; i < FK_NSIGNALS; i++)
		(void)sigaction(handled_signals[i], &s->old[i], NULL);
	signal_session = NULL;
	s->installed = 0;
}

void fk_session_exit(fk_session *se)
{
	atomic_store(&se->exiting, 1);
	(void)wake(se);
}

/* ---- Run ----------------------------------------------------------- */

void fk_session_call_destroy(fk_session *se)
{
	/* Once, whether DESTROY arrived or the session simply ended. */
	if (se->init_done && !atomic_exchange(&se->destroyed, 1) &&
	    se->ops.destroy)
		se->ops.destroy(se->fs);
}

static int start_workers(fk_session *se)
{
	unsigned n = se->cfg.threads;
	se->workers = calloc(n, sizeof *se->workers);
	if (!se->workers)
		return -ENOMEM;
	se->nworkers = n;
	for (unsigned i = 0; i < n; i++) {
		struct fk_worker *w = &se->workers[i];
		w->se = se;
		w->fd = se->fd;
		if (i > 0) {
			int fd = fk_plat_dev_clone(se->fd);
			if (fd >= 0) {
				w->fd = fd;
				w->own_fd = 1;
			} else if (i == 1 && se->cfg.debug) {
				fk_session_log(se, "workers share one device fd "
						   "(clone: %s)", strerror(-fd));
			}
		}
		int rc = pthread_create(&w->thread, NULL, worker_main, w);
		if (rc) {
			if (w->own_fd)
				close(w->fd);
			w->own_fd = 0;
			fk_session_log(se, "cannot start worker %u: %s", i,
				       strerror(rc));
			return -rc;
		}
		w->started = 1;
	}
	return 0;
}

static void join_workers(fk_session *se)
{
	for (unsigned i = 0; i < se->nworkers; i++) {
		struct fk_worker *w = &se->workers[i];
		if (w->started)
			pthread_join(w->thread, NULL);
		if (w->own_fd)
			close(w->fd);
	}
	free(se->workers);
	se->workers = NULL;
	se->nworkers = 0;
}

int fk_session_run(fk_session *se)
{
	if (se->fd < 0)
		return -EBADF;
	install_signals(se);
#ifdef __linux__
	/* Splice into the device only: a fake kernel's socket keeps message
	 * boundaries only for whole writes. */
	struct stat st;
	se->splice = se->cfg.splice && fstat(se->fd, &st) == 0 &&
		     S_ISCHR(st.st_mode);
#endif

	int rc = 0;
	if (!se->init_done) {
		rc = do_init(se);
		if (rc < 0)
			goto out;
	}

	if (se->cfg.threads <= 1) {
		rc = serve(se, se->fd, 1);
		if (rc == -EAGAIN)
			rc = 0;
		fk_session_unmount(se);
		goto out;
	}

	rc = start_workers(se);
	/* macFUSE's mount helper tells on commfd how the mount ended, once
	 * the workers have served what it needed (mount_darwin.c). */
	int status_fd = se->mounted && fk_mount_reports_status() ? se->commfd : -1;
	if (rc == 0) {
		/* Sleep until a signal, fk_session_exit, or a worker ends. */
		while (!atomic_load(&se->exiting)) {
			struct pollfd p[2] = { { se->wake_pipe[0], POLLIN, 0 },
					       { status_fd, POLLIN, 0 } };
			(void)poll(p, status_fd >= 0 ? 2 : 1, -1);
			if (status_fd >= 0 && p[1].revents) {
				char err[256];
				rc = fk_mount_read_status(status_fd, err, sizeof err);
				status_fd = -1;
				if (rc < 0) {
					fk_session_log(se, "%s", err);
					break;
				}
			}
		}
	}
	/* Unmounting ends every worker's read with ENODEV. A session on a
	 * foreign fd ends when the other side closes it. */
	fk_session_unmount(se);
	join_workers(se);
out:
	/* The queues (if INIT granted them) stop only now: a single-threaded
	 * session or a failed start has none, or ones that never registered. */
	fk_uring_stop(se);
	fk_session_call_destroy(se);
	restore_signals(se);
	return rc;
}

void fk_session_unmount(fk_session *se)
{
	if (!se->mounted)
		return;
	char err[512];
	int rc = fk_unmount(se->mountpoint, 1, err, sizeof err);
	/* EINVAL: someone unmounted it already (fusekit umount), fine. */
	if (rc < 0 && rc != -EINVAL)
		fk_session_log(se, "%s", err);
	se->mounted = 0;
	if (se->commfd >= 0) {
		close(se->commfd);
		se->commfd = -1;
	}
}

int fk_session_mount(fk_session *se, const char *mountpoint,
		     const struct fk_mount_opts *mo)
{
	if (se->fd >= 0)
		return -EBUSY;
	char err[512];
	int commfd = -1;
	install_signals(se);
	int fd = fk_mount_fd(mountpoint, mo, &commfd, err, sizeof err);
	if (fd < 0) {
		fk_session_log(se, "%s", err);
		return fd;
	}
	se->mountpoint = strdup(mountpoint);
	if (!se->mountpoint) {
		(void)fk_unmount(mountpoint, 1, err, sizeof err);
		close(fd);
		if (commfd >= 0)
			close(commfd);
		return -ENOMEM;
	}
	se->fd = fd;
	se->commfd = commfd;
	se->mounted = 1;
	se->allow_root_only = mo->allow_root && !mo->allow_other;
	se->owner_uid = (uint32_t)getuid();
	se->init_timeout_ms = fk_mount_init_timeout_ms();
	return 0;
}

void fk_session_destroy(fk_session *se)
{
	if (!se)
		return;
	fk_session_unmount(se);
	restore_signals(se);
	uint64_t left = atomic_load(&se->pending);
	if (left) {
		/* A handler kept a request and never answered it: the kernel
		 * caller hung until the unmount. That is a filesystem bug. */
		for (fk_req *r = se->inflight.next; r != &se->inflight; r = r->next)
			fk_session_log(se, "bug: %s (unique %llu) was never answered",
				       fk_proto_opname(r->msg.opcode),
				       (unsigned long long)r->msg.unique);
		fk_session_log(se, "%llu request(s) were never answered",
			       (unsigned long long)left);
		assert(!"requests were never answered");
		while (se->inflight.next != &se->inflight) {
			fk_req *r = se->inflight.next;
			se->inflight.next = r->next;
			free(r);
		}
	}
	while (se->free_slots) {
		fk_req *r = se->free_slots;
		se->free_slots = r->next_free;
		free(r);
	}
	while (se->retrieves) {
		struct fk_retrieve *r = se->retrieves;
		se->retrieves = r->next;
		free(r);
	}
	if (se->fd >= 0)
		close(se->fd);
	if (se->commfd >= 0)
		close(se->commfd);
	close(se->wake_pipe[0]);
	close(se->wake_pipe[1]);
	pthread_mutex_destroy(&se->lock);
	free(se->mountpoint);
	free(se);
}
