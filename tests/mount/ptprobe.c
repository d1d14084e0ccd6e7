/*
 * ptprobe.c — a one-file filesystem that uses kernel passthrough, for
 * tests/mount/passthrough.sh.
 *
 *     ptprobe BACKING_FILE MOUNTPOINT
 *
 * The root holds one file, "data", whose opens are handed to the kernel
 * with a backing id (fk_backing_open + FK_FOPEN_PASSTHROUGH): reads and
 * writes then go straight to BACKING_FILE. At exit it prints how many
 * READ and WRITE requests still reached it ("reads=N writes=N
 * passthrough=N"), which is how the test tells passthrough from ordinary
 * FUSE I/O.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fusekit/fusekit.h>

#define DATA_INO 2

static const char *backing_path;
static atomic_int reads, writes, passthrough_opens;

static int fill(uint64_t ino, struct fk_attr *a)
{
	struct stat st;
	memset(a, 0, sizeof *a);
	if (ino == FK_ROOT_INO) {
		a->ino = ino;
		a->mode = S_IFDIR | 0755;
		a->nlink = 2;
		return 0;
	}
	if (ino != DATA_INO || stat(backing_path, &st) < 0)
		return ENOENT;
	a->ino = ino;
	a->mode = S_IFREG | 0644;
	a->nlink = 1;
	a->size = (uint64_t)st.st_size;
	a->blocks = (uint64_t)st.st_blocks;
	a->blksize = 4096;
	a->mtime = st.st_mtim;
	a->ctime = st.st_ctim;
	a->atime = st.st_atim;
	return 0;
}

static void pt_init(void *fs, struct fk_conn *c)
{
	c->want |= FK_CAP_PASSTHROUGH;
}

static void pt_lookup(fk_req *req, const struct fk_name_in *in)
{
	struct fk_entry e;
	memset(&e, 0, sizeof e);
	if (in->parent != FK_ROOT_INO || strcmp(in->name, "data")) {
		(void)fk_reply_err(req, ENOENT);
		return;
	}
	int err = fill(DATA_INO, &e.attr);
	e.ino = DATA_INO;
	if (err)
		(void)fk_reply_err(req, err);
	else
		(void)fk_reply_entry(req, &e);
}

static void pt_getattr(fk_req *req, const struct fk_getattr_in *in)
{
	struct fk_attr a;
	int err = fill(in->ino, &a);
	if (err)
		(void)fk_reply_err(req, err);
	else
		(void)fk_reply_attr(req, &a, 0);
}

static void pt_open(fk_req *req, const struct fk_open_in *in)
{
	int fd = open(backing_path, in->flags & (O_ACCMODE | O_APPEND));
	if (fd < 0) {
		(void)fk_reply_err(req, errno);
		return;
	}
	/* fh: the fd, and the backing id above it. The id must stay
	 * registered until release: the kernel looks it up after our reply,
	 * when it finishes the open in the caller's context. */
	struct fk_open_out o = { (uint64_t)fd, 0, 0 };
	int id = fk_backing_open(fk_req_session(req), fd);
	if (id > 0) {
		o.fh |= (uint64_t)id << 32;
		o.open_flags = FK_FOPEN_PASSTHROUGH;
		o.backing_id = id;
		atomic_fetch_add(&passthrough_opens, 1);
	}
	(void)fk_reply_open(req, &o);
}

static void pt_read(fk_req *req, const struct fk_read_in *in)
{
	static __thread char buf[1 << 20];
	atomic_fetch_add(&reads, 1);
	size_t n = in->size < sizeof buf ? in->size : sizeof buf;
	ssize_t r = pread((int)(uint32_t)in->fh, buf, n, (off_t)in->offset);
	if (r < 0)
		(void)fk_reply_err(req, errno);
	else
		(void)fk_reply_buf(req, buf, (size_t)r);
}

static void pt_write(fk_req *req, const struct fk_write_in *in)
{
	atomic_fetch_add(&writes, 1);
	ssize_t r = pwrite((int)(uint32_t)in->fh, in->data, in->size, (off_t)in->offset);
	if (r < 0)
		(void)fk_reply_err(req, errno);
	else
		(void)fk_reply_write(req, (uint32_t)r);
}

static void pt_release(fk_req *req, const struct fk_release_in *in)
{
	int id = (int)(in->fh >> 32);
	if (id > 0)
		(void)fk_backing_close(fk_req_session(req), id);
	close((int)(uint32_t)in->fh);
	(void)fk_reply_err(req, 0);
}

static void pt_readdir(fk_req *req, const struct fk_read_in *in)
{
	if (in->offset < 1)
		(void)fk_dirbuf_add(req, "data", DATA_INO, S_IFREG, 1);
	(void)fk_reply_dirbuf(req);
}

static const struct fk_ops ops = {
	.init = pt_init,
	.lookup = pt_lookup,
	.getattr = pt_getattr,
	.open = pt_open,
	.read = pt_read,
	.write = pt_write,
	.release = pt_release,
	.readdir = pt_readdir,
};

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: ptprobe BACKING_FILE MOUNTPOINT\n");
		return 2;
	}
	backing_path = argv[1];
	struct fk_mount_opts mo;
	fk_mount_opts_init(&mo);
	fk_session *se;
	int rc = fk_session_new(&se, &ops, sizeof ops, NULL, NULL);
	if (rc == 0)
		rc = fk_session_mount(se, argv[2], &mo);
	if (rc == 0)
		rc = fk_session_run(se);
	int granted = se && (fk_session_conn(se)->want & FK_CAP_PASSTHROUGH) != 0;
	fk_session_destroy(se);
	printf("reads=%d writes=%d passthrough=%d granted=%d\n", atomic_load(&reads),
	       atomic_load(&writes), atomic_load(&passthrough_opens), granted);
	return rc < 0 ? 1 : 0;
}
