/*
 * fake_kernel.h — a stand-in for the kernel's side of /dev/fuse.
 *
 * A session serves one end of a SOCK_SEQPACKET socketpair (message
 * boundaries kept, like the device); the test writes raw requests into the
 * other end and reads raw replies back. That is how the protocol layer, in
 * both dialects, is tested without a mount.
 */
#ifndef FAKE_KERNEL_H
#define FAKE_KERNEL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <fusekit/fusekit.h>

#include "proto/fk_wire.h"

struct fake_kernel {
	int kfd; /* our end */
	int sfd; /* the session's end (its "device") */
	fk_session *se;
	pthread_t thread;
	int run_rc;
	uint64_t next_unique;
	int big_ok; /* messages of 1 MiB fit through the socket */
	uint32_t minor; /* what INIT settled */
	struct fk_wire_init_out init_out;
	size_t init_out_len;
};

struct fake_opts {
	enum fk_dialect dialect;
	uint32_t minor; /* minor the fake kernel offers (default 45) */
	uint64_t init_flags; /* flags | flags2 << 32 offered (default: many) */
	unsigned threads; /* default 1 */
	const char *optstr; /* session -o options, or NULL */
};

/** Start a session on a socketpair with ops/fs, and complete INIT.
 *  Returns 0, or -1 (and prints why). */
int fake_start(struct fake_kernel *k, const struct fk_ops *ops, void *fs,
	       const struct fake_opts *o);

/** The header of a request made of parts (the next unique; the caller
 *  ids of every request); returns the message's length. */
size_t fake_header(struct fake_kernel *k, uint32_t opcode, uint64_t nodeid,
		   const struct iovec *parts, int nparts,
		   struct fk_wire_in_header *h);
/** Send a request made of parts; returns its unique. */
uint64_t fake_send(struct fake_kernel *k, uint32_t opcode, uint64_t nodeid,
		   const struct iovec *parts, int nparts);
/** Same with an explicit header (for bad-header tests): raw bytes. */
int fake_send_raw(struct fake_kernel *k, const void *buf, size_t len);

/** Read one reply (waits up to 5 s). Returns its length, 0 on timeout. */
ssize_t fake_recv(struct fake_kernel *k, void *buf, size_t cap);

/** Send, then read the reply. Returns the reply's error field and copies
 *  the payload (after the out header) into out; *outlen gets its size. */
int fake_call(struct fake_kernel *k, uint32_t opcode, uint64_t nodeid,
	      const struct iovec *parts, int nparts, void *out, size_t cap,
	      size_t *outlen);

/** Close our end, wait for the session to end, free it. Returns the
 *  session's run() result. */
int fake_stop(struct fake_kernel *k);

#define IOV(p, n) ((struct iovec){ (void *)(p), (n) })
#define IOVS(s) IOV((s), strlen(s) + 1) /* a string with its NUL */

#endif
