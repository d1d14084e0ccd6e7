/*
 * uring.c — FUSE over io_uring (Linux >= 6.14): requests delivered into
 * buffers the daemon registered with the kernel, answered in place.
 *
 * The kernel keeps one queue per possible CPU and hands a request to the
 * queue of the CPU its caller runs on. It offers FUSE_OVER_IO_URING at
 * INIT only when the fuse module's enable_uring is on. Once INIT's reply
 * agrees to it, every new request waits until each queue has an entry
 * registered: there is no going back to /dev/fuse. So everything that
 * can fail is done before the reply (fk_uring_prepare: rings, buffers,
 * the queue threads, which wait), and the flag is granted only when it
 * all worked; the reply sent, fk_uring_go lets the threads register.
 * Should the kernel still refuse a queue's entries, the mount could never
 * serve again: the session ends, with the reason, rather than hang its
 * callers.
 *
 * Each queue here is a thread with its own io_uring (128-byte SQEs: the
 * command area holds struct fk_wire_uring_cmd_req), pinned to its CPU
 * where allowed, and a few entries, each a header block and a payload
 * buffer of the kernel's max payload size. An entry is always in one of
 * two hands: the kernel's (a REGISTER or COMMIT_AND_FETCH outstanding:
 * its completion is the next request) or ours (a request being served,
 * until its reply commits it).
 *
 * A request is copied from its entry into a slot as the one message the
 * /dev/fuse path reads (in-header, op header, payload), so decoding,
 * dispatch and the handlers are the same; req->ent says where the reply
 * goes. A WRITE's data is not copied (req->write_data points into the
 * entry), and a READ's reply is read straight into the payload buffer
 * (fk_reply_space). The reply is written into the entry and the entry
 * committed.
 * Every SQE is submitted by its queue's thread, since the kernel delivers
 * the next request as task work of the task that submitted the command
 * (if that task has ended, the request fails with ECANCELED): a reply
 * from another thread (asynchronous) lists the entry and wakes the
 * queue's thread through an eventfd the ring polls; no other thread
 * enters the ring.
 *
 * FORGETs, INTERRUPTs and notifications still go through /dev/fuse, so
 * the /dev/fuse workers run beside the queues.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "fk_session_i.h"

#ifdef __linux__
#include <assert.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Entries per queue, at most; fewer when payload buffers are large and
 * CPUs many (FK_URING_BUDGET bytes of payload in all). */
#define FK_URING_DEPTH 8
#define FK_URING_BUDGET (64u << 20)
/* The user_data of the poll of the eventfd that wakes a queue's thread. */
#define WAKE_DATA 0

struct fk_uring_ent {
	struct fk_uring_queue *q;
	unsigned index;
	struct fk_wire_uring_req_header *hdr;
	uint8_t *payload;
	size_t payload_cap;
	struct iovec iov[2]; /* what REGISTER hands the kernel */
	int dead; /* the kernel will not use it again */
	int worked; /* a request came in it: the kernel took it once */
	uint64_t commit_id;
	struct fk_uring_ent *next_commit; /* on q->async, under q->lock */
};

struct fk_uring_queue {
	fk_session *se;
	unsigned qid;
	int ring_fd;
	void *sq_map, *cq_map, *sqe_map;
	size_t sq_map_len, cq_map_len, sqe_map_len;
	unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
	unsigned *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
	unsigned sq_entries;
	pthread_mutex_t lock; /* the SQ, async */
	struct fk_uring_ent *async; /* replied from other threads */
	int wake_fd; /* an eventfd: written to wake the queue's thread */
	pthread_t thread;
	int started;
	unsigned nents, live;
	struct fk_uring_ent *ents;
	uint64_t served; /* requests, for -o debug (the queue's thread) */
};

struct fk_uring {
	unsigned nqueues;
	atomic_int stop;
	struct fk_uring_queue *q;
	/* The queue threads wait for INIT's reply before registering:
	 * go is 0 until then, 1 after it, -1 when they are not to. */
	pthread_mutex_t go_lock;
	pthread_cond_t go_cond;
	int go;
};

static int sys_setup(unsigned entries, struct io_uring_params *p)
{
	long r = syscall(__NR_io_uring_setup, entries, p);
	return r < 0 ? -errno : (int)r;
}

static int sys_enter(int fd, unsigned submit, unsigned wait, unsigned flags)
{
	long r = syscall(__NR_io_uring_enter, fd, submit, wait, flags, NULL, 0);
	return r < 0 ? -errno : (int)r;
}

/* ---- one queue's ring ------------------------------------------------ */

static int ring_open(struct fk_uring_queue *q, unsigned entries)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof p);
	p.flags = IORING_SETUP_SQE128;
	int fd = sys_setup(entries, &p);
	if (fd < 0)
		return fd;
	q->ring_fd = fd;
	q->sq_entries = p.sq_entries;
	q->sq_map_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	q->cq_map_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		if (q->cq_map_len > q->sq_map_len)
			q->sq_map_len = q->cq_map_len;
		q->cq_map_len = 0;
	}
	q->sq_map = mmap(NULL, q->sq_map_len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
	if (q->sq_map == MAP_FAILED)
		return -errno;
	q->cq_map = q->sq_map;
	if (q->cq_map_len) {
		q->cq_map = mmap(NULL, q->cq_map_len, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
		if (q->cq_map == MAP_FAILED)
			return -errno;
	}
	q->sqe_map_len = p.sq_entries * 2 * sizeof(struct io_uring_sqe);
	q->sqe_map = mmap(NULL, q->sqe_map_len, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
	if (q->sqe_map == MAP_FAILED)
		return -errno;
	uint8_t *sq = q->sq_map, *cq = q->cq_map;
	q->sq_head = (unsigned *)(sq + p.sq_off.head);
	q->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	q->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	q->sq_array = (unsigned *)(sq + p.sq_off.array);
	q->cq_head = (unsigned *)(cq + p.cq_off.head);
	q->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	q->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	q->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

static void ring_close(struct fk_uring_queue *q)
{
	/* Unmapping: nothing of ours is left to fail on. */
	if (q->sqe_map && q->sqe_map != MAP_FAILED)
		(void)munmap(q->sqe_map, q->sqe_map_len);
	if (q->cq_map_len && q->cq_map && q->cq_map != MAP_FAILED)
		(void)munmap(q->cq_map, q->cq_map_len);
	if (q->sq_map && q->sq_map != MAP_FAILED)
		(void)munmap(q->sq_map, q->sq_map_len);
	if (q->ring_fd >= 0)
		close(q->ring_fd);
	q->ring_fd = -1;
	q->sq_map = q->cq_map = q->sqe_map = NULL;
}

/* A free SQE, zeroed, or NULL when the ring is full (it never is: an
 * entry has one command outstanding at most, and the wake-up poll is
 * one). Under q->lock, on the queue's thread. */
static struct io_uring_sqe *sqe_get(struct fk_uring_queue *q)
{
	unsigned head = __atomic_load_n(q->sq_head, __ATOMIC_ACQUIRE);
	unsigned tail = *q->sq_tail;
	if (tail - head >= q->sq_entries)
		return NULL;
	unsigned i = tail & *q->sq_mask;
	/* 128-byte SQEs: two of the structure's size each. */
	struct io_uring_sqe *sqe = (struct io_uring_sqe *)q->sqe_map + 2 * i;
	memset(sqe, 0, 2 * sizeof *sqe);
	q->sq_array[i] = i;
	return sqe;
}

/* Make the SQE from sqe_get visible to the kernel. Under q->lock. */
static void sqe_push(struct fk_uring_queue *q)
{
	__atomic_store_n(q->sq_tail, *q->sq_tail + 1, __ATOMIC_RELEASE);
}

/* Queue entry e's command (REGISTER or COMMIT_AND_FETCH). Under q->lock,
 * on the queue's thread. */
static int queue_cmd(struct fk_uring_queue *q, struct fk_uring_ent *e,
		     uint32_t op)
{
	struct io_uring_sqe *sqe = sqe_get(q);
	if (!sqe)
		return -EBUSY;
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = q->se->fd;
	sqe->cmd_op = op;
	sqe->user_data = e->index + 1u;
	if (op == FK_URING_CMD_REGISTER) {
		sqe->addr = (uint64_t)(uintptr_t)e->iov;
		sqe->len = 2;
	}
	struct fk_wire_uring_cmd_req *cmd = (void *)sqe->cmd;
	cmd->qid = (uint16_t)q->qid;
	cmd->commit_id = op == FK_URING_CMD_COMMIT_AND_FETCH ? e->commit_id : 0;
	sqe_push(q);
	return 0;
}

/* ---- requests and replies ------------------------------------------- */

/* Commit e with a reply that has no payload (a request we could not
 * hand to the dispatcher). On the queue's thread. */
static void commit_bare(struct fk_uring_queue *q, struct fk_uring_ent *e,
			uint64_t unique, int error)
{
	struct fk_wire_out_header *out = (void *)e->hdr->in_out;
	out->len = sizeof *out;
	out->error = error;
	out->unique = unique;
	e->hdr->ent.payload_sz = 0;
	e->commit_id = unique;
	pthread_mutex_lock(&q->lock);
	(void)queue_cmd(q, e, FK_URING_CMD_COMMIT_AND_FETCH);
	pthread_mutex_unlock(&q->lock);
}

/* A request arrived in e: serve it. On the queue's thread. */
static void serve_ent(struct fk_uring_queue *q, struct fk_uring_ent *e)
{
	fk_session *se = q->se;
	const struct fk_wire_in_header *in = (const void *)e->hdr->in_out;
	size_t payload = e->hdr->ent.payload_sz;
	/* The op header is what the length leaves for it. */
	size_t oplen = in->len >= sizeof *in + payload ? in->len - sizeof *in - payload
						       : SIZE_MAX;
	fk_req *req = oplen <= FK_URING_OP_IN_OUT_SZ && payload <= e->payload_cap
			      ? fk_slot_get(se)
			      : NULL;
	if (!req || req->buf_cap < in->len) {
		fk_session_log(se, "io_uring: a request of %u bytes that does "
				   "not fit (op header %zu, payload %zu): EIO",
			       in->len, oplen, payload);
		if (req)
			fk_slot_put(se, req);
		commit_bare(q, e, in->unique, -EIO);
		return;
	}
	memcpy(req->buf, in, sizeof *in);
	memcpy(req->buf + sizeof *in, e->hdr->op_in, oplen);
	/* A WRITE's data (all its payload, with no extensions after it)
	 * stays where it is, until the reply: the decoder only measures
	 * it, and the handler reads it from the entry. */
	req->write_data = in->opcode == FK_OP_WRITE && in->total_extlen == 0
				  ? e->payload
				  : NULL;
	if (!req->write_data)
		memcpy(req->buf + sizeof *in + oplen, e->payload, payload);
	uint64_t unique = in->unique;
	req->ent = e;
	atomic_store(&req->state, FK_REQ_UNANSWERED);
	int done = fk_dispatch(req, se->fd, in->len);
	/* A message that takes no answer (malformed, a NOTIFY_REPLY): the
	 * entry is committed all the same, to be used again. */
	if (atomic_load(&req->state) & FK_REQ_UNANSWERED)
		commit_bare(q, e, unique, -EIO);
	if (done)
		fk_slot_put(se, req);
}

/* Poll the wake-up eventfd (again). Under q->lock, on the queue's
 * thread. */
static void queue_wake_poll(struct fk_uring_queue *q)
{
	struct io_uring_sqe *sqe = sqe_get(q);
	if (!sqe)
		return;
	sqe->opcode = IORING_OP_POLL_ADD;
	sqe->fd = q->wake_fd;
	sqe->poll32_events = POLLIN;
	sqe->user_data = WAKE_DATA;
	sqe_push(q);
}

/* Wake the queue's thread, from any thread. */
static void wake_queue(struct fk_uring_queue *q)
{
	uint64_t one = 1;
	/* Failing: the counter is at its maximum, a wake-up is due anyway. */
	(void)!write(q->wake_fd, &one, sizeof one);
}

void *fk_uring_space(fk_req *req, size_t size)
{
	/* Free while the request is served: its payload was copied out. */
	return size <= req->ent->payload_cap ? req->ent->payload : NULL;
}

int fk_uring_reply(fk_req *req, int error, const struct iovec *iov, int iovcnt)
{
	struct fk_uring_ent *e = req->ent;
	struct fk_uring_queue *q = e->q;
	size_t total = 0;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (total > e->payload_cap) {
		/* The kernel sized the buffer for every reply it accepts. */
		fk_session_log(q->se, "io_uring: a reply of %zu bytes (buffer "
				      "%zu): EIO", total, e->payload_cap);
		error = -EIO;
		iovcnt = 0;
		total = 0;
	}
	size_t at = 0;
	for (int i = 0; i < iovcnt; i++) {
		/* Data built in place (fk_reply_space) is there already; an
		 * empty part may have no base at all. */
		if (iov[i].iov_len && iov[i].iov_base != e->payload + at)
			memmove(e->payload + at, iov[i].iov_base, iov[i].iov_len);
		at += iov[i].iov_len;
	}
	struct fk_wire_out_header *out = (void *)e->hdr->in_out;
	out->len = (uint32_t)(sizeof *out + total);
	out->error = error;
	out->unique = req->msg.unique;
	e->hdr->ent.payload_sz = (uint32_t)total;
	e->commit_id = req->msg.unique;
	pthread_mutex_lock(&q->lock);
	if (pthread_equal(pthread_self(), q->thread)) {
		(void)queue_cmd(q, e, FK_URING_CMD_COMMIT_AND_FETCH);
		pthread_mutex_unlock(&q->lock);
	} else {
		e->next_commit = q->async;
		q->async = e;
		pthread_mutex_unlock(&q->lock);
		wake_queue(q);
	}
	return 0;
}

/* ---- a queue's thread ------------------------------------------------ */

/* What a completion says: a request in entry e, a wake-up, or an entry
 * the kernel let go. */
static void complete(struct fk_uring_queue *q, const struct io_uring_cqe *cqe)
{
	if (cqe->user_data == WAKE_DATA) {
		uint64_t n;
		/* Nothing to read: woken by the poll of another; fine. */
		(void)!read(q->wake_fd, &n, sizeof n);
		pthread_mutex_lock(&q->lock);
		queue_wake_poll(q);
		for (struct fk_uring_ent *e = q->async; e; e = e->next_commit)
			(void)queue_cmd(q, e, FK_URING_CMD_COMMIT_AND_FETCH);
		q->async = NULL;
		pthread_mutex_unlock(&q->lock);
		return;
	}
	assert(cqe->user_data >= 1 && cqe->user_data <= q->nents);
	struct fk_uring_ent *e = &q->ents[cqe->user_data - 1];
	if (cqe->res == 0) {
		q->served++;
		e->worked = 1;
		serve_ent(q, e);
		return;
	}
	if (e->worked && cqe->res != -ENOTCONN && cqe->res != -ECANCELED &&
	    !atomic_load(&q->se->uring->stop)) {
		/* A commit the kernel refused (the request it answered was
		 * gone): the kernel keeps the entry as answered-to, never
		 * used again. Registered anew, it serves on. */
		fk_session_log(q->se, "io_uring: queue %u: commit refused (%s); "
				      "entry registered again", q->qid,
			       strerror(-cqe->res));
		e->worked = 0;
		pthread_mutex_lock(&q->lock);
		(void)queue_cmd(q, e, FK_URING_CMD_REGISTER);
		pthread_mutex_unlock(&q->lock);
		return;
	}
	/* ENOTCONN: unmounted; ECANCELED: the ring is going; others: the
	 * kernel would not take the entry (enable_uring turned off since
	 * INIT, a buffer it finds too small). */
	int refused = cqe->res != -ENOTCONN && cqe->res != -ECANCELED &&
		      !atomic_load(&q->se->uring->stop);
	if (!e->dead) {
		e->dead = 1;
		q->live--;
	}
	if (refused && q->live == 0) {
		/* INIT agreed to io_uring: requests wait for every queue. */
		fk_session_log(q->se, "io_uring: the kernel refused queue %u's "
				      "entries (%s); requests would wait for it "
				      "forever: ending the session",
			       q->qid, strerror(-cqe->res));
		fk_session_exit(q->se);
	}
}

static void *queue_main(void *arg)
{
	struct fk_uring_queue *q = arg;
	struct fk_uring *u = q->se->uring;
	cpu_set_t cpus;
	CPU_ZERO(&cpus);
	CPU_SET(q->qid, &cpus);
	/* Failing (a CPU this process may not use): it runs anywhere. */
	(void)pthread_setaffinity_np(pthread_self(), sizeof cpus, &cpus);
	pthread_mutex_lock(&u->go_lock);
	while (u->go == 0)
		pthread_cond_wait(&u->go_cond, &u->go_lock);
	int go = u->go;
	pthread_mutex_unlock(&u->go_lock);
	if (go < 0)
		return NULL; /* INIT did not agree after all */
	pthread_mutex_lock(&q->lock);
	queue_wake_poll(q);
	for (unsigned i = 0; i < q->nents; i++)
		(void)queue_cmd(q, &q->ents[i], FK_URING_CMD_REGISTER);
	pthread_mutex_unlock(&q->lock);
	while (q->live > 0 && !atomic_load(&u->stop)) {
		/* Exactly the SQEs queued: given more, the kernel submits what
		 * there is and returns at once, without waiting (a queue
		 * thread spinning at 100% CPU). Only this thread queues. */
		unsigned n = *q->sq_tail - __atomic_load_n(q->sq_head, __ATOMIC_ACQUIRE);
		int rc = sys_enter(q->ring_fd, n, 1, IORING_ENTER_GETEVENTS);
		if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
			fk_session_log(q->se, "io_uring: queue %u: %s", q->qid,
				       strerror(-rc));
			break;
		}
		unsigned head = *q->cq_head;
		unsigned tail = __atomic_load_n(q->cq_tail, __ATOMIC_ACQUIRE);
		for (; head != tail; head++) {
			struct io_uring_cqe cqe = q->cqes[head & *q->cq_mask];
			__atomic_store_n(q->cq_head, head + 1, __ATOMIC_RELEASE);
			complete(q, &cqe);
		}
	}
	return NULL;
}

/* ---- start and stop -------------------------------------------------- */

static int queue_init(fk_session *se, struct fk_uring_queue *q, unsigned qid,
		      unsigned depth, size_t payload)
{
	q->se = se;
	q->qid = qid;
	q->ring_fd = -1;
	if (pthread_mutex_init(&q->lock, NULL))
		return -ENOMEM;
	q->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->wake_fd < 0)
		return -errno;
	q->ents = calloc(depth, sizeof *q->ents);
	if (!q->ents)
		return -ENOMEM;
	q->nents = q->live = depth;
	for (unsigned i = 0; i < depth; i++) {
		struct fk_uring_ent *e = &q->ents[i];
		e->q = q;
		e->index = i;
		e->payload_cap = payload;
		e->hdr = aligned_alloc(64, (sizeof *e->hdr + 63) & ~(size_t)63);
		e->payload = aligned_alloc(4096, payload);
		if (!e->hdr || !e->payload)
			return -ENOMEM;
		memset(e->hdr, 0, sizeof *e->hdr);
		e->iov[0] = (struct iovec){ e->hdr, sizeof *e->hdr };
		e->iov[1] = (struct iovec){ e->payload, payload };
	}
	/* Every entry's command, the wake-up poll, and room to spare. */
	return ring_open(q, 2 * depth + 2);
}

/* End the queue threads' wait, once: they register (go = 1) or end
 * (go = -1). Once settled it stays: a stop after the go changes
 * nothing here (the threads see u->stop). */
static void settle_go(struct fk_uring *u, int go)
{
	pthread_mutex_lock(&u->go_lock);
	if (u->go == 0)
		u->go = go;
	pthread_cond_broadcast(&u->go_cond);
	pthread_mutex_unlock(&u->go_lock);
}

int fk_uring_prepare(fk_session *se)
{
	const struct fk_conn *c = &se->conn;
	assert(!se->uring);
	long ncpu = sysconf(_SC_NPROCESSORS_CONF); /* the possible ones */
	if (ncpu < 1 || ncpu > 4096)
		return -EINVAL;
	/* The kernel's max payload: max_write, max_pages, 8 KiB at least. */
	size_t payload = c->max_write;
	if ((size_t)c->max_pages * 4096u > payload)
		payload = (size_t)c->max_pages * 4096u;
	if (payload < FK_MIN_READ_BUFFER)
		payload = FK_MIN_READ_BUFFER;
	payload = (payload + 4095u) & ~(size_t)4095u;
	unsigned depth = (unsigned)(FK_URING_BUDGET / ((size_t)ncpu * payload));
	depth = depth < 1 ? 1 : depth > FK_URING_DEPTH ? FK_URING_DEPTH : depth;
	struct fk_uring *u = calloc(1, sizeof *u);
	if (!u)
		return -ENOMEM;
	if (pthread_mutex_init(&u->go_lock, NULL)) {
		free(u);
		return -ENOMEM;
	}
	if (pthread_cond_init(&u->go_cond, NULL)) {
		pthread_mutex_destroy(&u->go_lock);
		free(u);
		return -ENOMEM;
	}
	u->q = calloc((size_t)ncpu, sizeof *u->q);
	se->uring = u;
	if (!u->q)
		return -ENOMEM; /* fk_uring_stop frees what there is */
	u->nqueues = (unsigned)ncpu;
	for (unsigned i = 0; i < u->nqueues; i++)
		u->q[i].ring_fd = u->q[i].wake_fd = -1; /* none yet */
	for (unsigned i = 0; i < u->nqueues; i++) {
		int rc = queue_init(se, &u->q[i], i, depth, payload);
		if (rc)
			return rc;
	}
	for (unsigned i = 0; i < u->nqueues; i++) {
		int rc = -pthread_create(&u->q[i].thread, NULL, queue_main, &u->q[i]);
		if (rc)
			return rc;
		u->q[i].started = 1;
	}
	if (se->cfg.debug)
		fk_session_log(se, "io_uring: %u queue(s) of %u entries, payload "
				   "buffers of %zu bytes",
			       u->nqueues, depth, payload);
	return 0;
}

void fk_uring_go(fk_session *se)
{
	settle_go(se->uring, 1);
}

void fk_uring_stop(fk_session *se)
{
	struct fk_uring *u = se->uring;
	if (!u)
		return;
	atomic_store(&u->stop, 1);
	settle_go(u, -1); /* still waiting: they never register */
	for (unsigned i = 0; u->q && i < u->nqueues; i++) {
		struct fk_uring_queue *q = &u->q[i];
		if (!q->started)
			continue;
		wake_queue(q);
		pthread_join(q->thread, NULL);
		if (q->se->cfg.debug)
			fk_session_log(q->se, "io_uring: queue %u served %llu "
					      "request(s)",
				       q->qid, (unsigned long long)q->served);
	}
	/* Closing a ring cancels what the kernel still holds of its entries;
	 * only then are their buffers ours to free. */
	for (unsigned i = 0; u->q && i < u->nqueues; i++) {
		struct fk_uring_queue *q = &u->q[i];
		ring_close(q);
		for (unsigned k = 0; q->ents && k < q->nents; k++) {
			free(q->ents[k].hdr);
			free(q->ents[k].payload);
		}
		free(q->ents);
		if (q->se) {
			close(q->wake_fd);
			pthread_mutex_destroy(&q->lock);
		}
	}
	free(u->q);
	pthread_cond_destroy(&u->go_cond);
	pthread_mutex_destroy(&u->go_lock);
	free(u);
	se->uring = NULL;
}

#else /* !__linux__: no io_uring */

void *fk_uring_space(fk_req *req, size_t size)
{
	(void)req;
	(void)size;
	return NULL;
}

int fk_uring_prepare(fk_session *se)
{
	(void)se;
	return -EOPNOTSUPP;
}

void fk_uring_go(fk_session *se)
{
	(void)se;
}

void fk_uring_stop(fk_session *se)
{
	(void)se;
}

int fk_uring_reply(fk_req *req, int error, const struct iovec *iov, int iovcnt)
{
	(void)req;
	(void)error;
	(void)iov;
	(void)iovcnt;
	return -EOPNOTSUPP;
}

#endif
