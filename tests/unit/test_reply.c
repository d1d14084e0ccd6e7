/*
 * test_reply.c — every reply encodes byte for byte to the kernel's
 * structures, in both dialects.
 *
 * A filesystem whose handlers answer with fixed, full-precision values runs
 * behind the fake kernel. Each reply's bytes are compared with a structure
 * built independently: from <linux/fuse.h> for the Linux dialect, and from
 * macFUSE's layout (fk_wire_mac_*) for the macFUSE dialect.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fake_kernel.h"
#include "fk_test.h"

/* ---- The answering filesystem --------------------------------------- */

static void sample_attr(struct fk_attr *a)
{
	memset(a, 0, sizeof *a);
	a->ino = 0x1122334455667788ULL;
	a->size = (1ULL << 42) + 3;
	a->blocks = 1ULL << 33;
	a->atime = (struct timespec){ 1700000001, 111111111 };
	a->mtime = (struct timespec){ 1700000002, 222222222 };
	a->ctime = (struct timespec){ 1700000003, 333333333 };
	a->crtime = (struct timespec){ 1600000000, 444444444 };
	a->mode = S_IFREG | 0640;
	a->nlink = 70000;
	a->uid = 4000000000u;
	a->gid = 4000000001u;
	a->rdev = 0x12345;
	a->blksize = 65536;
	a->flags = 0x8000;
}

static void sample_entry(struct fk_entry *e)
{
	memset(e, 0, sizeof *e);
	e->ino = 10;
	e->generation = 3;
	sample_attr(&e->attr);
	e->entry_valid_ns = 1500000000ull; /* 1.5 s */
	e->attr_valid_ns = 2250000001ull; /* 2.250000001 s */
}

static void t_lookup(fk_req *req, const struct fk_name_in *in)
{
	if (!strcmp(in->name, "missing")) {
		(void)fk_reply_err(req, ENOENT);
		return;
	}
	struct fk_entry e;
	sample_entry(&e);
	(void)fk_reply_entry(req, &e);
}

static void t_getattr(fk_req *req, const struct fk_getattr_in *in)
{
	struct fk_attr a;
	sample_attr(&a);
	(void)fk_reply_attr(req, &a, 3000000001ull);
}

static void t_readlink(fk_req *req, const struct fk_ino_in *in)
{
	(void)fk_reply_readlink(req, "some/target");
}

static void t_open(fk_req *req, const struct fk_open_in *in)
{
	struct fk_open_out o = { 77, FK_FOPEN_KEEP_CACHE | FK_FOPEN_PASSTHROUGH, 5 };
	(void)fk_reply_open(req, &o);
}

static void t_create(fk_req *req, const struct fk_create_in *in)
{
	struct fk_entry e;
	sample_entry(&e);
	struct fk_open_out o = { 78, FK_FOPEN_DIRECT_IO, 0 };
	(void)fk_reply_create(req, &e, &o);
}

static void t_read(fk_req *req, const struct fk_read_in *in)
{
	(void)fk_reply_buf(req, "hello", 5);
}

static void t_write(fk_req *req, const struct fk_write_in *in)
{
	(void)fk_reply_write(req, in->size);
}

static void t_statfs(fk_req *req, const struct fk_ino_in *in)
{
	struct fk_statfs st = { 1ULL << 40, 1ULL << 39, 1ULL << 38, 1ULL << 37,
				1ULL << 36, 4096, 255, 8192 };
	(void)fk_reply_statfs(req, &st);
}

static void t_getxattr(fk_req *req, const struct fk_getxattr_in *in)
{
	if (in->size == 0)
		(void)fk_reply_xattr_size(req, 5);
	else if (in->size < 5)
		(void)fk_reply_err(req, ERANGE);
	else
		(void)fk_reply_buf(req, "value", 5);
}

static void t_getlk(fk_req *req, const struct fk_lock_in *in)
{
	struct fk_lock l = { 100, UINT64_MAX, F_RDLCK, 4321 };
	(void)fk_reply_lock(req, &l);
}

static void t_bmap(fk_req *req, const struct fk_bmap_in *in)
{
	(void)fk_reply_bmap(req, 0xfeedfacecafeULL);
}

static void t_ioctl(fk_req *req, const struct fk_ioctl_in *in)
{
	(void)fk_reply_ioctl(req, -3, "out!", 4);
}

static void t_poll(fk_req *req, const struct fk_poll_in *in)
{
	(void)fk_reply_poll(req, 0x45);
}

static void t_lseek(fk_req *req, const struct fk_lseek_in *in)
{
	(void)fk_reply_lseek(req, 1ULL << 50);
}

static void t_copy(fk_req *req, const struct fk_copy_range_in *in)
{
	(void)fk_reply_copied(req, in->len);
}

static void t_statx(fk_req *req, const struct fk_statx_in *in)
{
	struct fk_attr a;
	sample_attr(&a);
	(void)fk_reply_statx(req, &a, 1000000000ull);
}

static void t_readdir(fk_req *req, const struct fk_read_in *in)
{
	(void)fk_dirbuf_add(req, "a", 5, S_IFDIR | 0755, 1);
	(void)fk_dirbuf_add(req, "bcdefghij", 6, S_IFREG | 0644, 2);
	(void)fk_reply_dirbuf(req);
}

static int plus_taken; /* lookup references the handler took */

static void t_readdirplus(fk_req *req, const struct fk_read_in *in)
{
	struct fk_entry e;
	sample_entry(&e);
	plus_taken = 0;
	/* add until full, as a filesystem would */
	for (uint64_t i = 1; i < 100000; i++) {
		char name[32];
		snprintf(name, sizeof name, "entry-%llu", (unsigned long long)i);
		e.ino = 100 + i;
		if (fk_dirbuf_add_plus(req, name, &e, i) != 0)
			break;
		plus_taken++;
	}
	(void)fk_reply_dirbuf(req);
}

static void t_getxtimes(fk_req *req, const struct fk_ino_in *in)
{
	struct timespec b = { 1234, 5678 }, c = { 8765, 4321 };
	(void)fk_reply_xtimes(req, &b, &c);
}

static void t_wrong_kind(fk_req *req, const struct fk_access_in *in)
{
	/* A bug: access answered with an attribute reply. */
	struct fk_attr a;
	sample_attr(&a);
	(void)fk_reply_attr(req, &a, 0);
}

static const struct fk_ops ops = {
	.lookup = t_lookup,
	.getattr = t_getattr,
	.readlink = t_readlink,
	.open = t_open,
	.create = t_create,
	.read = t_read,
	.write = t_write,
	.statfs = t_statfs,
	.getxattr = t_getxattr,
	.getlk = t_getlk,
	.bmap = t_bmap,
	.ioctl = t_ioctl,
	.poll = t_poll,
	.lseek = t_lseek,
	.copy_file_range = t_copy,
	.statx = t_statx,
	.readdir = t_readdir,
	.readdirplus = t_readdirplus,
	.getxtimes = t_getxtimes,
	.access = t_wrong_kind,
};

/* ---- Expected bytes, built from the kernel's own header --------------- */

static void linux_attr(struct fuse_attr *w)
{
	memset(w, 0, sizeof *w);
	w->ino = 0x1122334455667788ULL;
	w->size = (1ULL << 42) + 3;
	w->blocks = 1ULL << 33;
	w->atime = 1700000001;
	w->atimensec = 111111111;
	w->mtime = 1700000002;
	w->mtimensec = 222222222;
	w->ctime = 1700000003;
	w->ctimensec = 333333333;
	w->mode = S_IFREG | 0640;
	w->nlink = 70000;
	w->uid = 4000000000u;
	w->gid = 4000000001u;
	w->rdev = 0x12345;
	w->blksize = 65536;
}

static void mac_attr(struct fk_wire_mac_attr *w)
{
	memset(w, 0, sizeof *w);
	w->ino = 0x1122334455667788ULL;
	w->size = (1ULL << 42) + 3;
	w->blocks = 1ULL << 33;
	w->atime = 1700000001;
	w->atimensec = 111111111;
	w->mtime = 1700000002;
	w->mtimensec = 222222222;
	w->ctime = 1700000003;
	w->ctimensec = 333333333;
	w->crtime = 1600000000;
	w->crtimensec = 444444444;
	w->mode = S_IFREG | 0640;
	w->nlink = 70000;
	w->uid = 4000000000u;
	w->gid = 4000000001u;
	w->rdev = 0x12345;
	w->flags_darwin = 0x8000;
	w->blksize = 65536;
}

static uint8_t out[1 << 20];
static size_t outlen;

static void test_linux_replies(void)
{
	struct fake_kernel k;
	struct fake_opts o = { FK_DIALECT_LINUX, 45, 0, 1, NULL };
	if (fake_start(&k, &ops, NULL, &o)) {
		fk_test_failures++;
		return;
	}
	/* INIT */
	FK_CHECK_EQ(k.init_out_len, sizeof(struct fuse_init_out));
	FK_CHECK_EQ(k.init_out.major, 7);
	FK_CHECK_EQ(k.init_out.minor, 45);
	FK_CHECK_EQ(k.init_out.max_pages, 256);
	FK_CHECK_EQ(k.init_out.max_write, 256 * 4096);
	FK_CHECK_EQ(k.init_out.max_background, 64);
	FK_CHECK_EQ(k.init_out.congestion_threshold, 48);
	FK_CHECK(k.init_out.flags & FUSE_DO_READDIRPLUS);
	FK_CHECK(k.init_out.flags & FUSE_POSIX_LOCKS ? 0 : 1); /* no setlk */

	struct iovec name = IOVS("x");
	FK_CHECK_EQ(fake_call(&k, FK_OP_LOOKUP, 1, &name, 1, out, sizeof out, &outlen), 0);
	struct fuse_entry_out e;
	memset(&e, 0, sizeof e);
	e.nodeid = 10;
	e.generation = 3;
	e.entry_valid = 1;
	e.entry_valid_nsec = 500000000;
	e.attr_valid = 2;
	e.attr_valid_nsec = 250000001;
	linux_attr(&e.attr);
	FK_CHECK_EQ(outlen, sizeof e);
	FK_CHECK_MEM(out, &e, sizeof e);

	struct iovec missing = IOVS("missing");
	FK_CHECK_EQ(fake_call(&k, FK_OP_LOOKUP, 1, &missing, 1, out, sizeof out, &outlen),
		    -ENOENT);
	FK_CHECK_EQ(outlen, 0);

	struct fuse_getattr_in gin = { 0, 0, 0 };
	struct iovec g = IOV(&gin, sizeof gin);
	FK_CHECK_EQ(fake_call(&k, FK_OP_GETATTR, 10, &g, 1, out, sizeof out, &outlen), 0);
	struct fuse_attr_out ao;
	memset(&ao, 0, sizeof ao);
	ao.attr_valid = 3;
	ao.attr_valid_nsec = 1;
	linux_attr(&ao.attr);
	FK_CHECK_EQ(outlen, sizeof ao);
	FK_CHECK_MEM(out, &ao, sizeof ao);

	FK_CHECK_EQ(fake_call(&k, FK_OP_READLINK, 10, NULL, 0, out, sizeof out, &outlen), 0);
	FK_CHECK_EQ(outlen, strlen("some/target"));
	FK_CHECK_MEM(out, "some/target", outlen);

	struct fuse_open_in oin = { O_RDWR, 0 };
	struct iovec op = IOV(&oin, sizeof oin);
	FK_CHECK_EQ(fake_call(&k, FK_OP_OPEN, 10, &op, 1, out, sizeof out, &outlen), 0);
	struct {
		uint64_t fh;
		uint32_t open_flags;
		int32_t backing_id;
	} oo = { 77, FOPEN_KEEP_CACHE | (1u << 7), 5 };
	FK_CHECK_EQ(outlen, sizeof oo);
	FK_CHECK_MEM(out, &oo, sizeof oo);

	struct fuse_create_in cin = { O_CREAT | O_RDWR, 0100644, 022, 0 };
	struct iovec cp[2] = { IOV(&cin, sizeof cin), IOVS("new") };
	FK_CHECK_EQ(fake_call(&k, FK_OP_CREATE, 1, cp, 2, out, sizeof out, &outlen), 0);
	struct fuse_open_out coo = { 78, FOPEN_DIRECT_IO, 0 };
	FK_CHECK_EQ(outlen, sizeof e + sizeof coo);
	FK_CHECK_MEM(out, &e, sizeof e);
	FK_CHECK_MEM(out + sizeof e, &coo, sizeof coo);

	struct fuse_read_in rin = { 77, 0, 4096, 0, 0, 0, 0 };
	struct iovec rp = IOV(&rin, sizeof rin);
	FK_CHECK_EQ(fake_call(&k, FK_OP_READ, 10, &rp, 1, out, sizeof out, &outlen), 0);
	FK_CHECK_EQ(outlen, 5);
	FK_CHECK_MEM(out, "hello", 5);

	/* A 1 MiB write, the size max_pages promised, arrives whole. */
	static char big[1 << 20];
	uint32_t wsize = k.big_ok ? sizeof big : 65536;
	if (!k.big_ok)
		printf("note: no SO_SNDBUFFORCE (not root): 64 KiB write instead of 1 MiB\n");
	memset(big, 'w', sizeof big);
	struct fuse_write_in win = { 77, 0, wsize, 0, 0, 0, 0 };
	struct iovec wp[2] = { IOV(&win, sizeof win), IOV(big, wsize) };
	FK_CHECK_EQ(fake_call(&k, FK_OP_WRITE, 10, wp, 2, out, sizeof out, &outlen), 0);
	struct fuse_write_out wo = { wsize, 0 };
	FK_CHECK_EQ(outlen, sizeof wo);
	FK_CHECK_MEM(out, &wo, sizeof wo);

	FK_CHECK_EQ(fake_call(&k, FK_OP_STATFS, 1, NULL, 0, out, sizeof out, &outlen), 0);
	struct fuse_statfs_out so;
	memset(&so, 0, sizeof so);
	so.st.blocks = 1ULL << 40;
	so.st.bfree = 1ULL << 39;
	so.st.bavail = 1ULL << 38;
	so.st.files = 1ULL << 37;
	so.st.ffree = 1ULL << 36;
	so.st.bsize = 4096;
	so.st.namelen = 255;
	so.st.frsize = 8192;
	FK_CHECK_EQ(outlen, sizeof so);
	FK_CHECK_MEM(out, &so, sizeof so);

	struct fuse_getxattr_in xin = { 0, 0 };
	struct iovec xp[2] = { IOV(&xin, sizeof xin), IOVS("user.a") };
	FK_CHECK_EQ(fake_call(&k, FK_OP_GETXATTR, 10, xp, 2, out, sizeof out, &outlen), 0);
	struct fuse_getxattr_out xo = { 5, 0 };
	FK_CHECK_EQ(outlen, sizeof xo);
	FK_CHECK_MEM(out, &xo, sizeof xo);
	xin.size = 64;
	FK_CHECK_EQ(fake_call(&k, FK_OP_GETXATTR, 10, xp, 2, out, sizeof out, &outlen), 0);
	FK_CHECK_EQ(outlen, 5);
	xin.size = 2;
	FK_CHECK_EQ(fake_call(&k, FK_OP_GETXATTR, 10, xp, 2, out, sizeof out, &outlen),
		    -ERANGE);

	struct fuse_lk_in lin;
	memset(&lin, 0, sizeof lin);
	struct iovec lp = IOV(&lin, sizeof lin);
	FK_CHECK_EQ(fake_call(&k, FK_OP_GETLK, 10, &lp, 1, out, sizeof out, &outlen), 0);
	struct fuse_lk_out lo;
	memset(&lo, 0, sizeof lo);
	lo.lk.start = 100;
	lo.lk.end = UINT64_MAX;
	lo.lk.type = F_RDLCK;
	lo.lk.pid = 4321;
	FK_CHECK_EQ(outlen, sizeof lo);
	FK_CHECK_MEM(out, &lo, sizeof lo);

	struct fuse_bmap_in bin = { 1, 512, 0 };
	struct iovec bp = IOV(&bin, sizeof bin);
	FK_CHECK_EQ(fake_call(&k, FK_OP_BMAP, 10, &bp, 1, out, sizeof out, &outlen), 0);
	struct fuse_bmap_out bo = { 0xfeedfacecafeULL };
	FK_CHECK_MEM(out, &bo, sizeof bo);

	struct fuse_ioctl_in iin = { 77, 0, 1, 0, 0, 16 };
	struct iovec ip = IOV(&iin, sizeof iin);
	FK_CHECK_EQ(fake_call(&k, FK_OP_IOCTL, 10, &ip, 1, out, sizeof out, &outlen), 0);
	struct fuse_ioctl_out io = { -3, 0, 0, 0 };
	FK_CHECK_EQ(outlen, sizeof io + 4);
	FK_CHECK_MEM(out, &io, sizeof io);
	FK_CHECK_MEM(out + sizeof io, "out!", 4);
	iin.out_size = 2; /* the reply would not fit */
	FK_CHECK_EQ(fake_call(&k, FK_OP_IOCTL, 10, &ip, 1, out, sizeof out, &outlen),
		    -E2BIG);

	struct fuse_poll_in pin = { 77, 1, 0, 1 };
	struct iovec pp = IOV(&pin, sizeof pin);
	FK_CHECK_EQ(fake_call(&k, FK_OP_POLL, 10, &pp, 1, out, sizeof out, &outlen), 0);
	struct fuse_poll_out po = { 0x45, 0 };
	FK_CHECK_MEM(out, &po, sizeof po);

	struct fuse_lseek_in sin = { 77, 0, 3, 0 };
	struct iovec sp = IOV(&sin, sizeof sin);
	FK_CHECK_EQ(fake_call(&k, FK_OP_LSEEK, 10, &sp, 1, out, sizeof out, &outlen), 0);
	struct fuse_lseek_out lso = { 1ULL << 50 };
	FK_CHECK_MEM(out, &lso, sizeof lso);

	struct fuse_copy_file_range_in cr = { 77, 0, 11, 78, 0, 1ULL << 33, 0 };
	struct iovec crp = IOV(&cr, sizeof cr);
	FK_CHECK_EQ(fake_call(&k, FK_OP_COPY_FILE_RANGE_64, 10, &crp, 1, out,
			      sizeof out, &outlen), 0);
	uint64_t copied = 1ULL << 33;
	FK_CHECK_EQ(outlen, 8);
	FK_CHECK_MEM(out, &copied, 8);
	/* the 32-bit op cannot say 8 GiB: refused, never truncated */
	FK_CHECK_EQ(fake_call(&k, FK_OP_COPY_FILE_RANGE, 10, &crp, 1, out,
			      sizeof out, &outlen), -EOVERFLOW);
	cr.len = 1000;
	FK_CHECK_EQ(fake_call(&k, FK_OP_COPY_FILE_RANGE, 10, &crp, 1, out,
			      sizeof out, &outlen), 0);
	struct fuse_write_out cwo = { 1000, 0 };
	FK_CHECK_EQ(outlen, sizeof cwo);
	FK_CHECK_MEM(out, &cwo, sizeof cwo);

	/* STATX: the 7.39 layout, birth time included */
	struct fk_wire_statx_in sxi = { 0, 0, 0, 0, 0x7ff };
	struct iovec sxp = IOV(&sxi, sizeof sxi);
	FK_CHECK_EQ(fake_call(&k, FK_OP_STATX, 10, &sxp, 1, out, sizeof out, &outlen), 0);
	FK_CHECK_EQ(outlen, 288);
	struct fk_wire_statx_out sxo;
	memcpy(&sxo, out, sizeof sxo);
	FK_CHECK_EQ(sxo.attr_valid, 1);
	FK_CHECK_EQ(sxo.stat.mask, 0xfff);
	FK_CHECK_EQ(sxo.stat.btime.tv_sec, 1600000000);
	FK_CHECK_EQ(sxo.stat.btime.tv_nsec, 444444444);
	FK_CHECK_EQ(sxo.stat.mtime.tv_nsec, 222222222);
	FK_CHECK_EQ(sxo.stat.size, (1ULL << 42) + 3);
	FK_CHECK_EQ(sxo.stat.nlink, 70000);
	FK_CHECK_EQ(sxo.stat.rdev_major, 0x123);
	FK_CHECK_EQ(sxo.stat.rdev_minor, 0x45);

	/* READDIR: two dirents, 8-aligned, zero padded */
	rin.size = 4096;
	FK_CHECK_EQ(fake_call(&k, FK_OP_READDIR, 1, &rp, 1, out, sizeof out, &outlen), 0);
	uint8_t want[128];
	memset(want, 0, sizeof want);
	struct fuse_dirent *d1 = (struct fuse_dirent *)(void *)want;
	d1->ino = 5;
	d1->off = 1;
	d1->namelen = 1;
	d1->type = DT_DIR;
	memcpy(d1->name, "a", 1);
	size_t s1 = FUSE_DIRENT_SIZE(d1);
	struct fuse_dirent *d2 = (struct fuse_dirent *)(void *)(want + s1);
	d2->ino = 6;
	d2->off = 2;
	d2->namelen = 9;
	d2->type = DT_REG;
	memcpy(d2->name, "bcdefghij", 9);
	size_t s2 = FUSE_DIRENT_SIZE(d2);
	FK_CHECK_EQ(outlen, s1 + s2);
	FK_CHECK_MEM(out, want, s1 + s2);

	/* READDIRPLUS: the buffer fills exactly, and the handler only took
	 * references for the entries that were sent. */
	rin.size = 4096;
	FK_CHECK_EQ(fake_call(&k, FK_OP_READDIRPLUS, 1, &rp, 1, out, sizeof out, &outlen), 0);
	size_t per = FUSE_DIRENTPLUS_SIZE(&(struct fuse_direntplus){ .dirent.namelen = 7 });
	int sent = 0;
	for (size_t off = 0; off + sizeof(struct fuse_direntplus) <= outlen;) {
		struct fuse_direntplus dp;
		memcpy(&dp, out + off, sizeof dp);
		off += FUSE_DIRENTPLUS_SIZE(&dp);
		sent++;
	}
	FK_CHECK_EQ(sent, plus_taken);
	FK_CHECK(outlen <= 4096);
	FK_CHECK(outlen + per > 4096); /* no room was left for one more */
	struct fuse_direntplus first;
	memcpy(&first, out, sizeof first);
	FK_CHECK_EQ(first.entry_out.nodeid, 101);
	FK_CHECK_EQ(first.dirent.ino, 0x1122334455667788ULL);
	FK_CHECK_EQ(first.dirent.type, DT_REG);
	FK_CHECK_EQ(first.entry_out.attr.mtimensec, 222222222);

	/* A reply of the wrong kind becomes EIO (release build), and an
	 * unimplemented op is ENOSYS. */
	struct fuse_access_in acc = { 4, 0 };
	struct iovec ap = IOV(&acc, sizeof acc);
#ifdef NDEBUG
	FK_CHECK_EQ(fake_call(&k, FK_OP_ACCESS, 10, &ap, 1, out, sizeof out, &outlen), -EIO);
#else
	(void)ap;
#endif
	FK_CHECK_EQ(fake_call(&k, FK_OP_FSYNC, 10, &sp, 1, out, sizeof out, &outlen), -ENOSYS);
	FK_CHECK_EQ(fake_call(&k, FK_OP_GETXTIMES, 10, NULL, 0, out, sizeof out, &outlen),
		    -ENOSYS); /* macFUSE only */
	FK_CHECK_EQ(fake_call(&k, 4000, 10, NULL, 0, out, sizeof out, &outlen), -ENOSYS);
	/* a request whose header claims more bytes than arrived: EINVAL */
	{
		struct fk_wire_in_header bad;
		memset(&bad, 0, sizeof bad);
		bad.len = 4096; /* only the header is sent */
		bad.opcode = FK_OP_GETATTR;
		bad.unique = 0x7770;
		FK_CHECK_EQ(fake_send_raw(&k, &bad, sizeof bad), 0);
		ssize_t n = fake_recv(&k, out, sizeof out);
		struct fk_wire_out_header oh;
		memcpy(&oh, out, sizeof oh);
		FK_CHECK_EQ(n, sizeof oh);
		FK_CHECK_EQ(oh.unique, 0x7770);
		FK_CHECK_EQ(oh.error, -EINVAL);
	}
	/* a truncated request gets EINVAL, and the session goes on */
	FK_CHECK_EQ(fake_call(&k, FK_OP_GETLK, 10, &lp, 0, out, sizeof out, &outlen), -EINVAL);
	FK_CHECK_EQ(fake_call(&k, FK_OP_READLINK, 10, NULL, 0, out, sizeof out, &outlen), 0);
	FK_CHECK_EQ(fake_stop(&k), 0);
}

static void test_macfuse_replies(void)
{
	struct fake_kernel k;
	/* macFUSE speaks 7.19 and offers its own INIT bits */
	uint64_t flags = FUSE_ASYNC_READ | FUSE_POSIX_LOCKS | FUSE_BIG_WRITES |
			 (1u << 27) | (1u << 28) | (1u << 29) | (1u << 30) | (1u << 31);
	struct fake_opts o = { FK_DIALECT_MACFUSE, 19, flags, 1, NULL };
	if (fake_start(&k, &ops, NULL, &o)) {
		fk_test_failures++;
		return;
	}
	FK_CHECK_EQ(k.init_out_len, 24); /* 7.19's init_out */
	FK_CHECK_EQ(k.init_out.minor, 19);
	/* XTIMES: getxtimes is implemented. ALLOCATE, EXCHANGE, VOL_RENAME:
	 * no fallocate/exchange/setvolname, so not offered. Nor
	 * CASE_INSENSITIVE, which nobody asked for. */
	FK_CHECK(k.init_out.flags & (1u << 31));
	FK_CHECK(!(k.init_out.flags & (1u << 27)));
	FK_CHECK(!(k.init_out.flags & (1u << 28)));
	FK_CHECK(!(k.init_out.flags & (1u << 29)));
	FK_CHECK(!(k.init_out.flags & (1u << 30)));

	struct iovec name = IOVS("x");
	FK_CHECK_EQ(fake_call(&k, FK_OP_LOOKUP, 1, &name, 1, out, sizeof out, &outlen), 0);
	struct fk_wire_mac_entry_out e;
	memset(&e, 0, sizeof e);
	e.nodeid = 10;
	e.generation = 3;
	e.entry_valid = 1;
	e.entry_valid_nsec = 500000000;
	e.attr_valid = 2;
	e.attr_valid_nsec = 250000001;
	mac_attr(&e.attr);
	FK_CHECK_EQ(outlen, sizeof e);
	FK_CHECK_MEM(out, &e, sizeof e);

	struct fk_wire_getattr_in gin = { 0, 0, 0 };
	struct iovec g = IOV(&gin, sizeof gin);
	FK_CHECK_EQ(fake_call(&k, FK_OP_GETATTR, 10, &g, 1, out, sizeof out, &outlen), 0);
	struct fk_wire_mac_attr_out ao;
	memset(&ao, 0, sizeof ao);
	ao.attr_valid = 3;
	ao.attr_valid_nsec = 1;
	mac_attr(&ao.attr);
	FK_CHECK_EQ(outlen, sizeof ao);
	FK_CHECK_MEM(out, &ao, sizeof ao);

	FK_CHECK_EQ(fake_call(&k, FK_OP_GETXTIMES, 10, NULL, 0, out, sizeof out, &outlen), 0);
	struct fk_wire_mac_getxtimes_out xt = { 1234, 8765, 5678, 4321 };
	FK_CHECK_EQ(outlen, sizeof xt);
	FK_CHECK_MEM(out, &xt, sizeof xt);

	/* readdirplus entries carry the mac attr layout */
	struct fk_wire_read_in rin = { 0, 0, 4096, 0, 0, 0, 0 };
	struct iovec rp = IOV(&rin, sizeof rin);
	FK_CHECK_EQ(fake_call(&k, FK_OP_READDIRPLUS, 1, &rp, 1, out, sizeof out, &outlen), 0);
	struct fk_wire_mac_direntplus dp;
	memcpy(&dp, out, sizeof dp);
	FK_CHECK_EQ(dp.entry_out.nodeid, 101);
	FK_CHECK_EQ(dp.entry_out.attr.crtimensec, 444444444);
	FK_CHECK_EQ(dp.dirent.namelen, 7);
	FK_CHECK_MEM(out + sizeof dp, "entry-1", 7);
	FK_CHECK_EQ(fake_stop(&k), 0);
}

int main(void)
{
	static const struct fk_test tests[] = {
		FK_TEST(test_linux_replies),
		FK_TEST(test_macfuse_replies),
	};
	return fk_test_main(tests, sizeof tests / sizeof tests[0]);
}
