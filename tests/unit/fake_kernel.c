/*
 * fake_kernel.c — see fake_kernel.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fake_kernel.h"

static void *runner(void *arg)
{
	struct fake_kernel *k = arg;
	k->run_rc = fk_session_run(k->se);
	return NULL;
}

int fake_start(struct fake_kernel *k, const struct fk_ops *ops, void *fs,
	       const struct fake_opts *o)
{
	memset(k, 0, sizeof *k);
	k->next_unique = 2;
	struct fk_session_config cfg;
	fk_session_config_init(&cfg);
	cfg.threads = o && o->threads ? o->threads : 1;
	cfg.dialect = o ? o->dialect : FK_DIALECT_LINUX;
	cfg.handle_signals = 0;
	if (o && o->optstr) {
		struct fk_opt_table t = { fk_session_opt_table, &cfg };
		char err[256];
		if (fk_opt_parse(o->optstr, &t, 1, err, sizeof err)) {
			fprintf(stderr, "fake_start: %s\n", err);
			return -1;
		}
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0) {
		perror("socketpair");
		return -1;
	}
	if (fk_session_new(&k->se, ops, sizeof *ops, fs, &cfg) ||
	    fk_session_set_fd(k->se, sv[1])) {
		fprintf(stderr, "fake_start: session setup failed\n");
		return -1;
	}
	/* Room for a whole 1 MiB request in one datagram; needs root
	 * (SO_SNDBUFFORCE), otherwise big_ok stays 0. */
	int big = 4 << 20;
	k->big_ok = setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big) == 0 &&
		    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) == 0;
	k->kfd = sv[0];
	k->sfd = sv[1];
	if (pthread_create(&k->thread, NULL, runner, k)) {
		fprintf(stderr, "fake_start: no thread\n");
		return -1;
	}
	uint32_t minor = o && o->minor ? o->minor : 45;
	uint64_t flags = o && o->init_flags ? o->init_flags
					     : ((1ULL << 40) - 1); /* all of 0..39 */
	struct fk_wire_init_in in;
	memset(&in, 0, sizeof in);
	in.major = 7;
	in.minor = minor;
	in.max_readahead = 131072;
	in.flags = (uint32_t)flags;
	in.flags2 = (uint32_t)(flags >> 32);
	struct iovec p = IOV(&in, sizeof in);
	size_t len = 0;
	int err = fake_call(k, FK_OP_INIT, 0, &p, 1, &k->init_out,
			    sizeof k->init_out, &len);
	if (err) {
		fprintf(stderr, "fake_start: INIT answered %d\n", err);
		return -1;
	}
	k->init_out_len = len;
	k->minor = k->init_out.minor;
	return 0;
}

int fake_send_raw(struct fake_kernel *k, const void *buf, size_t len)
{
	ssize_t n = send(k->kfd, buf, len, 0);
	return n == (ssize_t)len ? 0 : -1;
}

size_t fake_header(struct fake_kernel *k, uint32_t opcode, uint64_t nodeid,
		   const struct iovec *parts, int nparts,
		   struct fk_wire_in_header *h)
{
	memset(h, 0, sizeof *h);
	size_t len = sizeof *h;
	for (int i = 0; i < nparts; i++)
		len += parts[i].iov_len;
	h->len = (uint32_t)len;
	h->opcode = opcode;
	h->unique = k->next_unique;
	k->next_unique += 2;
	h->nodeid = nodeid;
	h->uid = 1000;
	h->gid = 1001;
	h->pid = 4242;
	return len;
}

uint64_t fake_send(struct fake_kernel *k, uint32_t opcode, uint64_t nodeid,
		   const struct iovec *parts, int nparts)
{
	struct fk_wire_in_header h;
	size_t len = fake_header(k, opcode, nodeid, parts, nparts, &h);
	struct iovec all[16];
	all[0] = IOV(&h, sizeof h);
	for (int i = 0; i < nparts && i < 15; i++)
		all[i + 1] = parts[i];
	struct msghdr msg;
	memset(&msg, 0, sizeof msg);
	msg.msg_iov = all;
	msg.msg_iovlen = (size_t)nparts + 1;
	if (sendmsg(k->kfd, &msg, 0) != (ssize_t)len)
		perror("fake_send");
	return h.unique;
}

ssize_t fake_recv(struct fake_kernel *k, void *buf, size_t cap)
{
	struct pollfd p = { k->kfd, POLLIN, 0 };
	if (poll(&p, 1, 5000) <= 0)
		return 0;
	ssize_t n = recv(k->kfd, buf, cap, 0);
	return n < 0 ? 0 : n;
}

int fake_call(struct fake_kernel *k, uint32_t opcode, uint64_t nodeid,
	      const struct iovec *parts, int nparts, void *out, size_t cap,
	      size_t *outlen)
{
	uint64_t unique = fake_send(k, opcode, nodeid, parts, nparts);
	static uint8_t buf[1 << 21]; /* one test thread calls at a time */
	ssize_t n = fake_recv(k, buf, sizeof buf);
	if (n < (ssize_t)sizeof(struct fk_wire_out_header)) {
		fprintf(stderr, "fake_call: no reply to opcode %u\n", opcode);
		return -ETIMEDOUT;
	}
	struct fk_wire_out_header h;
	memcpy(&h, buf, sizeof h);
	if (h.unique != unique || h.len != (uint32_t)n) {
		fprintf(stderr, "fake_call: reply unique %llu len %u (want %llu, %zd)\n",
			(unsigned long long)h.unique, h.len,
			(unsigned long long)unique, n);
		return -EPROTO;
	}
	size_t plen = (size_t)n - sizeof h;
	if (out)
		memcpy(out, buf + sizeof h, plen < cap ? plen : cap);
	if (outlen)
		*outlen = plen;
	return h.error;
}

int fake_stop(struct fake_kernel *k)
{
	close(k->kfd);
	pthread_join(k->thread, NULL);
	fk_session_destroy(k->se);
	return k->run_rc;
}
