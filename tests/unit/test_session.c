/*
 * test_session.c — the session's contract: asynchronous replies from other
 * threads, INTERRUPT reaching the handler, every FORGET and BATCH_FORGET
 * reaching the filesystem, notifications on the wire, NOTIFY_REPLY for
 * retrieve, answering twice caught, INIT negotiation corner cases, DESTROY.
 */
#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_kernel.h"
#include "fk_test.h"

static uint8_t out[1 << 16];
static size_t outlen;

/* ---- Asynchronous replies ------------------------------------------- */

static fk_req *parked[64];
static int nparked;
static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;

static void park_getattr(fk_req *req, const struct fk_getattr_in *in)
{
	pthread_mutex_lock(&park_lock);
	parked[nparked++] = req; /* answered later, from another thread */
	pthread_mutex_unlock(&park_lock);
}

static void *answer_parked(void *arg)
{
	(void)arg;
	usleep(20000);
	pthread_mutex_lock(&park_lock);
	for (int i = nparked - 1; i >= 0; i--) {
		struct fk_attr a;
		memset(&a, 0, sizeof a);
		a.ino = fk_req_unique(parked[i]);
		a.mode = 0100644;
		a.nlink = 1;
		(void)fk_reply_attr(parked[i], &a, 0);
	}
	nparked = 0;
	pthread_mutex_unlock(&park_lock);
	return NULL;
}

static void test_async_replies(void)
{
	static const struct fk_ops ops = { .getattr = park_getattr };
	struct fake_kernel k;
	struct fake_opts o = { FK_DIALECT_LINUX, 45, 0, 1, NULL };
	if (fake_start(&k, &ops, NULL, &o)) {
		fk_test_failures++;
		return;
	}
	struct fk_wire_getattr_in g = { 0, 0, 0 };
	struct iovec p = IOV(&g, sizeof g);
	uint64_t sent[10];
	for (int i = 0; i < 10; i++)
		sent[i] = fake_send(&k, FK_OP_GETATTR, 5, &p, 1);
	usleep(50000);
	pthread_mutex_lock(&park_lock);
	FK_CHECK_EQ(nparked, 10); /* all held at once, none answered */
	pthread_mutex_unlock(&park_lock);
	FK_CHECK_EQ(fk_session_pending(k.se), 10);
	pthread_t t;
	pthread_create(&t, NULL, answer_parked, NULL);
	/* Replies arrive in reverse order, each matching its request. */
	int seen = 0;
	for (int i = 0; i < 10; i++) {
		ssize_t n = fake_recv(&k, out, sizeof out);
		struct fk_wire_out_header h;
		struct fk_wire_attr_out ao;
		FK_CHECK(n == (ssize_t)(sizeof h + sizeof ao));
		memcpy(&h, out, sizeof h);
		memcpy(&ao, out + sizeof h, sizeof ao);
		FK_CHECK_EQ(h.error, 0);
		FK_CHECK_EQ(ao.attr.ino, h.unique);
		for (int j = 0; j < 10; j++)
			if (sent[j] == h.unique)
				seen++;
	}
	FK_CHECK_EQ(seen, 10);
	pthread_join(t, NULL);
	FK_CHECK_EQ(fk_session_pending(k.se), 0);
	FK_CHECK_EQ(fake_stop(&k), 0);
}

/* ---- Interrupts ------------------------------------------------------ */

/* Set by the session's thread, read by the test's: atomics, so that the
 * ThreadSanitizer build sees the order the test waits for. */
static _Atomic(fk_req *) slow_req;
static atomic_int intr_calls;

static void on_intr(fk_req *req, void *data)
{
	intr_calls++;
	FK_CHECK(data == &intr_calls);
	FK_CHECK(fk_req_interrupted(req));
	(void)fk_reply_err(req, EINTR);
}

static void slow_read(fk_req *req, const struct fk_read_in *in)
{
	slow_req = req;
	fk_req_on_interrupt(req, on_intr, &intr_calls);
}

static void test_interrupt(void)
{
	static const struct fk_ops ops = { .read = slow_read };
	struct fake_kernel k;
	struct fake_opts o = { FK_DIALECT_LINUX, 45, 0, 1, NULL };
	if (fake_start(&k, &ops, NULL, &o)) {
		fk_test_failures++;
		return;
	}
	struct fk_wire_read_in r = { 1, 0, 100, 0, 0, 0, 0 };
	struct iovec p = IOV(&r, sizeof r);
	uint64_t u = fake_send(&k, FK_OP_READ, 5, &p, 1);
	for (int i = 0; i < 500 && !atomic_load(&slow_req); i++)
		usleep(1000);
	FK_CHECK(atomic_load(&slow_req) != NULL);
	/* The kernel's INTERRUPT carries the target's unique. */
	struct fk_wire_interrupt_in in = { u };
	struct iovec ip = IOV(&in, sizeof in);
	fake_send(&k, FK_OP_INTERRUPT, 0, &ip, 1);
	ssize_t n = fake_recv(&k, out, sizeof out);
	struct fk_wire_out_header h;
	memcpy(&h, out, sizeof h);
	FK_CHECK(n == sizeof h);
	FK_CHECK_EQ(h.unique, u);
	FK_CHECK_EQ(h.error, -EINTR);
	FK_CHECK_EQ(atomic_load(&intr_calls), 1);

	/* An interrupt for a request nobody holds: EAGAIN, so the kernel
	 * retries it (or drops it if the request is gone). */
	in.unique = 0x999998;
	uint64_t iu = fake_send(&k, FK_OP_INTERRUPT, 0, &ip, 1);
	n = fake_recv(&k, out, sizeof out);
	memcpy(&h, out, sizeof h);
	FK_CHECK_EQ(h.unique, iu);
	FK_CHECK_EQ(h.error, -EAGAIN);
	FK_CHECK_EQ(fake_stop(&k), 0);
}

/* ---- Forget ---------------------------------------------------------- */

static uint64_t forgotten[8][2];
static int nforgotten;

static void rec_forget(void *fs, uint64_t ino, uint64_t n)
{
	forgotten[nforgotten][0] = ino;
	forgotten[nforgotten][1] = n;
	nforgotten++;
}

static void noop_readlink(fk_req *req, const struct fk_ino_in *in)
{
	(void)fk_reply_readlink(req, "x");
}

static void test_forget(void)
{
	static const struct fk_ops ops = { .forget = rec_forget,
					   .readlink = noop_readlink };
	struct fake_kernel k;
	struct fake_opts o = { FK_DIALECT_LINUX, 45, 0, 1, NULL };
	if (fake_start(&k, &ops, NULL, &o)) {
		fk_test_failures++;
		return;
	}
	struct fk_wire_forget_in f = { 3 };
	struct iovec fp = IOV(&f, sizeof f);
	fake_send(&k, FK_OP_FORGET, 42, &fp, 1);
	struct fk_wire_batch_forget_in b = { 3, 0 };
	struct fk_wire_forget_one one[3] = { { 7, 1 }, { 8, 2 }, { 9, 1ULL << 40 } };
	struct iovec bp[2] = { IOV(&b, sizeof b), IOV(one, sizeof one) };
	fake_send(&k, FK_OP_BATCH_FORGET, 0, bp, 2);
	/* No reply to forgets: the next reply is the readlink's. */
	FK_CHECK_EQ(fake_call(&k, FK_OP_READLINK, 1, NULL, 0, out, sizeof out, &outlen), 0);
	FK_CHECK_EQ(nforgotten, 4);
	FK_CHECK_EQ(forgotten[0][0], 42);
	FK_CHECK_EQ(forgotten[0][1], 3);
	FK_CHECK_EQ(forgotten[3][0], 9);
	FK_CHECK_EQ(forgotten[3][1], 1ULL << 40);
	FK_CHECK_EQ(fake_stop(&k), 0);
}

/* ---- Notifications and retrieve -------------------------------------- */

static void *got_cookie;
static uint64_t got_offset;
static char got_data[16];

static void rec_retrieve(void *fs, void *cookie, uint64_t ino, uint64_t off,
			 const void *data, size_t size)
{
	got_cookie = cookie;
	got_offset = off;
	memcpy(got_data, data, size < sizeof got_data ? size : sizeof got_data);
}

static void read_notify(struct fake_kernel *k, int code, void *body, size_t len)
{
	ssize_t n = fake_recv(k, out, sizeof out);
	struct fk_wire_out_header h;
	memcpy(&h, out, sizeof h);
	FK_CHECK_EQ(h.unique, 0);
	FK_CHECK_EQ(h.error, code);
	FK_CHECK_EQ(n, (ssize_t)(sizeof h + len));
	if (n == (ssize_t)(sizeof h + len))
		FK_CHECK_MEM(out + sizeof h, body, len);
}

static void test_notify(void)
{
	static const struct fk_ops ops = { .retrieve_reply = rec_retrieve,
					   .readlink = noop_readlink };
	struct fake_kernel k;
	struct fake_opts o = { FK_DIALECT_LINUX, 45, 0, 1, NULL };
	if (fake_start(&k, &ops, NULL, &o)) {
		fk_test_failures++;
		return;
	}
	FK_CHECK_EQ(fk_notify_inval_inode(k.se, 5, -1, 0), 0);
	struct fk_wire_notify_inval_inode_out ii = { 5, -1, 0 };
	read_notify(&k, FK_NOTIFY_INVAL_INODE, &ii, sizeof ii);

	FK_CHECK_EQ(fk_notify_inval_entry(k.se, 1, "name", 4, FK_NOTIFY_EXPIRE_ONLY), 0);
	struct {
		struct fk_wire_notify_inval_entry_out o;
		char name[5];
	} ie = { { 1, 4, 1 }, "name" };
	read_notify(&k, FK_NOTIFY_INVAL_ENTRY, &ie, sizeof ie.o + 5);

	FK_CHECK_EQ(fk_notify_delete(k.se, 1, 9, "gone", 4), 0);
	struct {
		struct fk_wire_notify_delete_out o;
		char name[5];
	} de = { { 1, 9, 4, 0 }, "gone" };
	read_notify(&k, FK_NOTIFY_DELETE, &de, sizeof de.o + 5);

	FK_CHECK_EQ(fk_notify_store(k.se, 5, 4096, "data", 4), 0);
	struct {
		struct fk_wire_notify_store_out o;
		char d[4];
	} st = { { 5, 4096, 4, 0 }, "dat" };
	memcpy(st.d, "data", 4);
	read_notify(&k, FK_NOTIFY_STORE, &st, sizeof st.o + 4);

	FK_CHECK_EQ(fk_notify_poll(k.se, 0x77), 0);
	struct fk_wire_notify_poll_wakeup_out pw = { 0x77 };
	read_notify(&k, FK_NOTIFY_POLL, &pw, sizeof pw);

	uint64_t ids[3] = { 7, 8, 9 };
	FK_CHECK_EQ(fk_notify_prune(k.se, ids, 3), 0);
	struct {
		struct fk_wire_notify_prune_out o;
		uint64_t ids[3];
	} pr = { { 3, 0, 0 }, { 7, 8, 9 } };
	read_notify(&k, FK_NOTIFY_PRUNE, &pr, sizeof pr);
	FK_CHECK_EQ(fk_notify_prune(k.se, ids, 0), 0); /* nothing sent */

	/* retrieve: the kernel answers with a NOTIFY_REPLY request whose
	 * unique is the notify_unique we sent. */
	int cookie;
	FK_CHECK_EQ(fk_notify_retrieve(k.se, 5, 100, 8, &cookie), 0);
	ssize_t n = fake_recv(&k, out, sizeof out);
	struct fk_wire_notify_retrieve_out ro;
	FK_CHECK(n == (ssize_t)(sizeof(struct fk_wire_out_header) + sizeof ro));
	memcpy(&ro, out + sizeof(struct fk_wire_out_header), sizeof ro);
	FK_CHECK_EQ(ro.nodeid, 5);
	FK_CHECK_EQ(ro.offset, 100);
	FK_CHECK_EQ(ro.size, 8);
	struct fk_wire_notify_retrieve_in ri = { 0, 100, 8, 0, 0, 0 };
	struct iovec rp[2] = { IOV(&ri, sizeof ri), IOV("retrieve", 8) };
	/* fake_send numbers its own uniques; build this one by hand. */
	struct {
		struct fk_wire_in_header h;
		struct fk_wire_notify_retrieve_in r;
		char d[8];
	} msg;
	memset(&msg, 0, sizeof msg);
	msg.h.len = sizeof msg;
	msg.h.opcode = FK_OP_NOTIFY_REPLY;
	msg.h.unique = ro.notify_unique;
	msg.h.nodeid = 5;
	msg.r = ri;
	memcpy(msg.d, "retrieve", 8);
	(void)rp;
	FK_CHECK_EQ(fake_send_raw(&k, &msg, sizeof msg), 0);
	FK_CHECK_EQ(fake_call(&k, FK_OP_READLINK, 1, NULL, 0, out, sizeof out, &outlen), 0);
	FK_CHECK(got_cookie == &cookie);
	FK_CHECK_EQ(got_offset, 100);
	FK_CHECK(memcmp(got_data, "retrieve", 8) == 0);

	/* bad names are refused before anything is sent */
	FK_CHECK_EQ(fk_notify_inval_entry(k.se, 1, "a\0b", 3, 0), -EINVAL);
	FK_CHECK_EQ(fk_notify_delete(k.se, 1, 2, "", 0), -EINVAL);
	FK_CHECK_EQ(fake_stop(&k), 0);
}

/* Before 7.45 the kernel does not know FUSE_NOTIFY_PRUNE: nothing is
 * sent (an older kernel would refuse the message). */
static void test_prune_needs_45(void)
{
	static const struct fk_ops ops = { .readlink = noop_readlink };
	struct fake_kernel k;
	struct fake_opts o = { FK_DIALECT_LINUX, 44, 0, 1, NULL };
	if (fake_start(&k, &ops, NULL, &o)) {
		fk_test_failures++;
		return;
	}
	uint64_t id = 7;
	FK_CHECK_EQ(fk_notify_prune(k.se, &id, 1), -ENOSYS);
	FK_CHECK_EQ(fk_notify_inval_inode(k.se, 5, -1, 0), 0);
	struct fk_wire_notify_inval_inode_out ii = { 5, -1, 0 };
	read_notify(&k, FK_NOTIFY_INVAL_INODE, &ii, sizeof ii); /* the next */
	FK_CHECK_EQ(fake_stop(&k), 0);
}

/* ---- Answering twice ------------------------------------------------- */

static int second_rc;

static void twice_readlink(fk_req *req, const struct fk_ino_in *in)
{
	(void)fk_reply_readlink(req, "first");
	second_rc = fk_reply_readlink(req, "second");
}

static void test_double_reply(void)
{
	/* In a child: debug builds abort on the assertion by design. */
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		static const struct fk_ops ops = { .readlink = twice_readlink };
		struct fake_kernel k;
		struct fake_opts o = { FK_DIALECT_LINUX, 45, 0, 1, NULL };
		if (fake_start(&k, &ops, NULL, &o))
			_exit(3);
		int err = fake_call(&k, FK_OP_READLINK, 1, NULL, 0, out, sizeof out, &outlen);
		if (err != 0 || outlen != 5 || memcmp(out, "first", 5))
			_exit(4);
		/* exactly one reply went out */
		if (fake_recv(&k, out, sizeof out) != 0)
			_exit(5);
		if (second_rc != -EALREADY)
			_exit(6);
		fake_stop(&k);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
#ifdef NDEBUG
	FK_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
#else
	FK_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
#endif
}

/* ---- Never answering ------------------------------------------------- */

static void drop_getattr(fk_req *req, const struct fk_getattr_in *in)
{
	(void)req; /* a bug: kept and forgotten */
}

static void test_never_answered(void)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		static const struct fk_ops ops = { .getattr = drop_getattr };
		struct fake_kernel k;
		struct fake_opts o = { FK_DIALECT_LINUX, 45, 0, 1, NULL };
		if (fake_start(&k, &ops, NULL, &o))
			_exit(3);
		struct fk_wire_getattr_in g = { 0, 0, 0 };
		struct iovec p = IOV(&g, sizeof g);
		fake_send(&k, FK_OP_GETATTR, 1, &p, 1);
		usleep(50000);
		if (fk_session_pending(k.se) != 1)
			_exit(4);
		fake_stop(&k); /* reports it: logged, or an assertion */
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
#ifdef NDEBUG
	FK_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
#else
	FK_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
#endif
}

/* ---- INIT corner cases and DESTROY ----------------------------------- */

static int destroyed;
static void rec_destroy(void *fs)
{
	destroyed++;
}

static void *run_session(void *se)
{
	(void)fk_session_run(se);
	return NULL;
}

static void test_init_and_destroy(void)
{
	static const struct fk_ops ops = { .destroy = rec_destroy };
	int sv[2];
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	fk_session *se;
	struct fk_session_config cfg;
	fk_session_config_init(&cfg);
	cfg.threads = 1;
	cfg.handle_signals = 0;
	FK_CHECK_EQ(fk_session_new(&se, &ops, sizeof ops, NULL, &cfg), 0);
	FK_CHECK_EQ(fk_session_set_fd(se, sv[1]), 0);
	struct fake_kernel k;
	memset(&k, 0, sizeof k);
	k.kfd = sv[0];
	k.se = se;
	k.next_unique = 2;

	pthread_t t;
	struct fk_wire_init_in in;
	memset(&in, 0, sizeof in);
	in.major = 8; /* a future major: we answer with ours and wait */
	in.minor = 0;
	struct iovec ip = IOV(&in, sizeof in);
	fake_send(&k, FK_OP_INIT, 0, &ip, 1);
	struct fk_wire_init_in in2 = in;
	in2.major = 7;
	in2.minor = 40;
	struct iovec ip2 = IOV(&in2, sizeof in2);
	fake_send(&k, FK_OP_INIT, 0, &ip2, 1);
	fake_send(&k, FK_OP_DESTROY, 0, NULL, 0);
	pthread_create(&t, NULL, run_session, se);

	ssize_t n = fake_recv(&k, out, sizeof out);
	struct fk_wire_out_header h;
	struct fk_wire_init_out io;
	memcpy(&h, out, sizeof h);
	memcpy(&io, out + sizeof h, sizeof io);
	FK_CHECK_EQ(n, sizeof h + 8);
	FK_CHECK_EQ(io.major, 7);
	n = fake_recv(&k, out, sizeof out);
	memcpy(&io, out + sizeof h, sizeof io);
	FK_CHECK_EQ(n, sizeof h + sizeof io);
	FK_CHECK_EQ(io.minor, 40); /* min(kernel's, ours) */
	n = fake_recv(&k, out, sizeof out);
	memcpy(&h, out, sizeof h);
	FK_CHECK_EQ(n, sizeof h);
	FK_CHECK_EQ(h.error, 0); /* DESTROY answered */
	pthread_join(t, NULL); /* and the session ended by itself */
	FK_CHECK_EQ(destroyed, 1);
	fk_session_destroy(se);
	close(sv[0]);

	/* A kernel older than 7.19 is refused with EPROTO. */
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	FK_CHECK_EQ(fk_session_new(&se, &ops, sizeof ops, NULL, &cfg), 0);
	FK_CHECK_EQ(fk_session_set_fd(se, sv[1]), 0);
	k.kfd = sv[0];
	in.major = 7;
	in.minor = 12;
	fake_send(&k, FK_OP_INIT, 0, &ip, 1);
	FK_CHECK_EQ(fk_session_run(se), -EPROTO);
	n = fake_recv(&k, out, sizeof out);
	memcpy(&h, out, sizeof h);
	FK_CHECK_EQ(h.error, -EPROTO);
	fk_session_destroy(se);
	close(sv[0]);
}

/* ---- Many workers on one connection ---------------------------------- */

static void slowish_readlink(fk_req *req, const struct fk_ino_in *in)
{
	usleep(2000);
	(void)fk_reply_readlink(req, "t");
}

static void test_threads(void)
{
	static const struct fk_ops ops = { .readlink = slowish_readlink };
	struct fake_kernel k;
	struct fake_opts o = { FK_DIALECT_LINUX, 45, 0, 4, NULL };
	if (fake_start(&k, &ops, NULL, &o)) {
		fk_test_failures++;
		return;
	}
	for (int i = 0; i < 200; i++)
		fake_send(&k, FK_OP_READLINK, 1, NULL, 0);
	int got = 0;
	for (int i = 0; i < 200; i++) {
		ssize_t n = fake_recv(&k, out, sizeof out);
		if (n == (ssize_t)sizeof(struct fk_wire_out_header) + 1)
			got++;
	}
	FK_CHECK_EQ(got, 200);
	FK_CHECK_EQ(fake_stop(&k), 0);
}

/* ---- Capabilities from options --------------------------------------- */

static void want_writeback(void *fs, struct fk_conn *c)
{
	c->want |= FK_CAP_WRITEBACK_CACHE;
}

static void test_caps(void)
{
	static const struct fk_ops ops = { .init = want_writeback,
					   .readlink = noop_readlink };
	struct fake_kernel k;
	struct fake_opts o = { FK_DIALECT_LINUX, 45, 0, 1,
			       "nocap_async_read,cap_cache_symlinks,max_pages=64,"
			       "max_background=200" };
	if (fake_start(&k, &ops, NULL, &o)) {
		fk_test_failures++;
		return;
	}
	uint64_t got = k.init_out.flags | ((uint64_t)k.init_out.flags2 << 32);
	FK_CHECK(got & FK_CAP_WRITEBACK_CACHE); /* from the filesystem */
	FK_CHECK(got & FK_CAP_CACHE_SYMLINKS); /* from an option */
	FK_CHECK(!(got & FK_CAP_ASYNC_READ)); /* turned off by an option */
	FK_CHECK(!(got & FK_CAP_READDIRPLUS)); /* no readdirplus callback */
	FK_CHECK(got & FK_INIT_INIT_EXT);
	FK_CHECK_EQ(k.init_out.max_pages, 64);
	FK_CHECK_EQ(k.init_out.max_write, 64 * 4096);
	FK_CHECK_EQ(k.init_out.max_background, 200);
	FK_CHECK_EQ(k.init_out.congestion_threshold, 150); /* 3/4 of it */
	const struct fk_conn *c = fk_session_conn(k.se);
	FK_CHECK_EQ(c->proto_minor, 45);
	FK_CHECK(c->want & FK_CAP_WRITEBACK_CACHE);
	FK_CHECK_EQ(fake_stop(&k), 0);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	static const struct fk_test tests[] = {
		FK_TEST(test_async_replies),
		FK_TEST(test_interrupt),
		FK_TEST(test_forget),
		FK_TEST(test_notify),
		FK_TEST(test_prune_needs_45),
		FK_TEST(test_double_reply),
		FK_TEST(test_never_answered),
		FK_TEST(test_init_and_destroy),
		FK_TEST(test_threads),
		FK_TEST(test_caps),
	};
	return fk_test_main(tests, sizeof tests / sizeof tests[0]);
}
