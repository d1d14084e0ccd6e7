/*
 * test_macfuse_dev.c — the session against a fake macFUSE device that
 * reads as the real one does (osxfuse/kext fuse_device.c,
 * fuse_device_read): messages as large as macFUSE sends (SETXATTR bodies
 * up to its 16 MiB buffer, WRITEs sized by the vnode's I/O size rather
 * than max_write), and a read() too short for a message failing with EIO
 * while the kernel fails that request itself (E2BIG for a SETXATTR, else
 * EIO) and goes on with the next. Errors come in macOS's numbers.
 *
 * How: this program defines read(2), so the session's reads of its
 * device come here. A socketpair carries messages up to a few MiB only;
 * a larger one waits in memory, a token datagram standing in for it.
 * read() of the session's fd takes the next datagram, swaps a token for
 * its message, and fails with EIO when the buffer is too short. Every
 * other read goes straight to the system call. (A program of its own:
 * the thread sanitizer must see the real read of every other test.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fake_kernel.h"
#include "fk_test.h"

#define FAKE_OP_BIG 0xfffffff0u /* the token's opcode */

static int dev_fd = -1; /* the session's end of the socketpair */
static void *big_msg; /* the message a token stands for */
static size_t big_len;
static int short_reads; /* reads the device failed with EIO */

/* The fake device's kernel fails request h itself, as macFUSE's does. */
static void kernel_fails(const struct fk_wire_in_header *h)
{
	struct fk_wire_out_header out = { sizeof out, -EIO, h->unique };
	if (h->opcode == FK_OP_SETXATTR)
		out.error = -E2BIG;
	if (send(dev_fd, &out, sizeof out, 0) != (ssize_t)sizeof out)
		perror("fake device: failing a request");
}

ssize_t read(int fd, void *buf, size_t n)
{
	if (fd != dev_fd || dev_fd < 0)
		return syscall(SYS_read, fd, buf, n);
	ssize_t got = recv(fd, buf, n, MSG_TRUNC);
	if (got < (ssize_t)sizeof(struct fk_wire_in_header))
		return got; /* the end, or a bad message as it came */
	struct fk_wire_in_header h;
	memcpy(&h, buf, sizeof h);
	const void *msg = buf;
	size_t len = (size_t)got;
	if (h.opcode == FAKE_OP_BIG) {
		msg = big_msg;
		len = big_len;
		memcpy(&h, msg, sizeof h);
	}
	if (len > n) {
		short_reads++;
		kernel_fails(&h);
		errno = EIO;
		return -1;
	}
	if (msg != buf)
		memcpy(buf, msg, len);
	return (ssize_t)len;
}

/* ---- a filesystem that keeps what it was given ---------------------- */

static size_t xattr_size; /* of the last SETXATTR's value */
static unsigned char xattr_last; /* its last byte */
static size_t written; /* by the last WRITE */
static int write_ok; /* its data was the pattern */

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 + i / 4096);
}

static void fs_setxattr(fk_req *req, const struct fk_setxattr_in *in)
{
	xattr_size = in->size;
	xattr_last = in->size ? ((const unsigned char *)in->value)[in->size - 1] : 0;
	(void)fk_reply_err(req, 0);
}

static void fs_write(fk_req *req, const struct fk_write_in *in)
{
	const unsigned char *d = in->data;
	write_ok = 1;
	for (size_t i = 0; i < in->size; i++)
		if (d[i] != pattern(i)) {
			write_ok = 0;
			break;
		}
	written = in->size;
	(void)fk_reply_write(req, in->size);
}

static void fs_getattr(fk_req *req, const struct fk_getattr_in *in)
{
	struct fk_attr a = { .ino = in->ino, .mode = 040755, .nlink = 2 };
	(void)fk_reply_attr(req, &a, 0);
}

static const struct fk_ops ops = {
	.setxattr = fs_setxattr,
	.write = fs_write,
	.getattr = fs_getattr,
};

static struct fake_kernel k;

/* Send a request of parts to the root as one message of any size,
 * through a token; read its reply's error. */
static int call_big(uint32_t opcode, const struct iovec *parts, int nparts)
{
	struct fk_wire_in_header h;
	size_t len = fake_header(&k, opcode, FK_ROOT_INO, parts, nparts, &h);
	free(big_msg);
	big_msg = malloc(len);
	if (!big_msg)
		return -ENOMEM;
	memcpy(big_msg, &h, sizeof h);
	size_t at = sizeof h;
	for (int i = 0; i < nparts; i++) {
		memcpy((char *)big_msg + at, parts[i].iov_base, parts[i].iov_len);
		at += parts[i].iov_len;
	}
	big_len = len;
	struct fk_wire_in_header token = h;
	token.len = sizeof token;
	token.opcode = FAKE_OP_BIG;
	if (fake_send_raw(&k, &token, sizeof token))
		return -EIO;
	struct fk_wire_out_header out;
	char reply[256];
	ssize_t n = fake_recv(&k, reply, sizeof reply);
	if (n < (ssize_t)sizeof out)
		return -ETIMEDOUT; /* no answer: the session died */
	memcpy(&out, reply, sizeof out);
	FK_CHECK_EQ(out.unique, h.unique);
	return out.error;
}

static int setxattr_of(size_t size)
{
	struct fk_wire_mac_setxattr_in in = { (uint32_t)size, 0, 0, 0 };
	unsigned char *v = malloc(size ? size : 1);
	if (!v)
		return -ENOMEM;
	memset(v, 'x', size);
	if (size)
		v[size - 1] = 'z';
	struct iovec p[3] = { IOV(&in, sizeof in), IOVS("user.big"), IOV(v, size) };
	int rc = call_big(FK_OP_SETXATTR, p, 3);
	free(v);
	return rc;
}

static int write_of(size_t size)
{
	struct fk_wire_write_in in;
	memset(&in, 0, sizeof in);
	in.size = (uint32_t)size;
	unsigned char *d = malloc(size);
	if (!d)
		return -ENOMEM;
	for (size_t i = 0; i < size; i++)
		d[i] = pattern(i);
	struct iovec p[2] = { IOV(&in, sizeof in), IOV(d, size) };
	int rc = call_big(FK_OP_WRITE, p, 2);
	free(d);
	return rc;
}

/* The session still answers. */
static int alive(void)
{
	struct fk_wire_getattr_in in;
	memset(&in, 0, sizeof in);
	struct iovec p = IOV(&in, sizeof in);
	struct fk_wire_mac_attr_out a;
	return fake_call(&k, FK_OP_GETATTR, FK_ROOT_INO, &p, 1, &a, sizeof a, NULL);
}

static void test_large_xattrs(void)
{
	const size_t sizes[] = { 64 << 10, 1 << 20, 16 << 20 };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		xattr_size = 0;
		FK_CHECK_EQ(setxattr_of(sizes[i]), 0);
		FK_CHECK_EQ(xattr_size, sizes[i]);
		FK_CHECK_EQ(xattr_last, 'z');
	}
	FK_CHECK_EQ(short_reads, 0);
	FK_CHECK_EQ(alive(), 0);
}

static void test_writes_past_max_write(void)
{
	uint32_t max_write = k.init_out.max_write;
	const size_t sizes[] = { (size_t)max_write * 2, 8 << 20 };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		written = 0;
		FK_CHECK_EQ(write_of(sizes[i]), 0);
		FK_CHECK_EQ(written, sizes[i]);
		FK_CHECK(write_ok);
	}
	FK_CHECK_EQ(short_reads, 0);
	FK_CHECK_EQ(alive(), 0);
}

/* Larger than any buffer (macFUSE never sends one): the kernel fails
 * it, the daemon carries on. */
static void test_short_read_is_not_fatal(void)
{
	int before = short_reads;
	FK_CHECK_EQ(setxattr_of(40 << 20), -E2BIG);
	FK_CHECK_EQ(short_reads, before + 1);
	FK_CHECK_EQ(alive(), 0);
	FK_CHECK_EQ(setxattr_of(10), 0);
	FK_CHECK_EQ(xattr_size, 10);
}

/* An operation the filesystem lacks is ENOSYS in macOS's numbering
 * (78; Linux's is 38). */
static void test_errno_numbering(void)
{
	struct iovec p = IOVS("name");
	FK_CHECK_EQ(fake_call(&k, FK_OP_LOOKUP, FK_ROOT_INO, &p, 1, NULL, 0, NULL),
		    -78);
}

static const struct fk_test tests[] = {
	FK_TEST(test_errno_numbering),
	FK_TEST(test_large_xattrs),
	FK_TEST(test_writes_past_max_write),
	FK_TEST(test_short_read_is_not_fatal),
};

int main(void)
{
	struct fake_opts fo = { FK_DIALECT_MACFUSE, 19, 0, 1, NULL };
	if (fake_start(&k, &ops, NULL, &fo)) {
		fprintf(stderr, "cannot start\n");
		return 1;
	}
	dev_fd = k.sfd;
	int rc = fk_test_main(tests, sizeof tests / sizeof tests[0]);
	int run_rc = fake_stop(&k);
	dev_fd = -1;
	if (run_rc) {
		fprintf(stderr, "the session ended with %d\n", run_rc);
		rc = 1;
	}
	free(big_msg);
	return rc;
}
