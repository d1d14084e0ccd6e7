/*
 * pt_file.c — passthrough operations on open files: open, create,
 * tmpfile, read, write, flush, release, fsync, fallocate, lseek,
 * copy_file_range, ioctl, syncfs.
 *
 * An open file is a struct fk_pt_file (its pointer is the fh the kernel
 * hands back). Where the kernel allows it, the file is registered as a
 * backing file (kernel passthrough): reads and writes then never reach us.
 *
 * Set-id bits (HANDLE_KILLPRIV_V2, which spares every write a
 * security.capability lookup): we write as root, which keeps them, so we
 * drop them where the writer could not have kept them — a write the
 * kernel marks FK_WRITE_KILL_SUIDGID, an open or setattr that truncates
 * with KILL_SUIDGID, a fallocate or copy_file_range by a caller other
 * than root. Writes through kernel passthrough never reach us: a file
 * with set-id bits is therefore opened for writing without it, unless
 * the inode has passthrough opens already: the kernel allows no other
 * open then, so the open joins them and an unprivileged caller's drops
 * the bits at once (reply_opened).
 *
 * Locks are not implemented here on purpose: without POSIX_LOCKS and
 * FLOCK_LOCKS the kernel keeps fcntl and flock locks itself, per FUSE
 * inode, which makes client processes exclude each other exactly as on a
 * local filesystem. (A daemon forwarding them with plain fcntl would own
 * every lock itself, and clients would never conflict.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../platform/fk_platform.h"
#include "../../util/fk_cache_keep.h"
#include "../../util/fk_noflush.h"
#include "pt.h"

#define FH(fh) ((struct fk_pt_file *)(uintptr_t)(fh))

/* Pin the descriptor of open file fh for a request, or answer its error
 * (then < 0). file_done unpins it. */
static int file_fd(fk_req *req, uint64_t fh)
{
	int fd = fk_pt_file_fd(FK_PT(req), FH(fh));
	if (fd < 0)
		(void)fk_reply_err(req, -fd);
	return fd;
}

static void file_done(fk_req *req, uint64_t fh)
{
	fk_pt_file_unfd(FK_PT(req), FH(fh));
}


/* fk_pt_kill_suidgid on open file fd of node ino for req; where that
 * changed the mode, the kernel's cached attributes of ino go too (it
 * knows nothing of it). 0 or -errno. */
static int kill_suidgid(fk_req *req, uint64_t ino, int fd)
{
	int rc = fk_pt_kill_suidgid(FK_PT(req), fk_req_ctx(req), FK_PT_AT_FD(fd));
	if (rc > 0)
		(void)fk_notify_inval_inode(fk_req_session(req), ino, -1, 0);
	return rc < 0 ? rc : 0; /* failing: the attributes expire anyway */
}

/* Does a write-open of fd need to see every write (HANDLE_KILLPRIV_V2:
 * set-id bits to drop), so that it cannot be a passthrough one? e: the
 * new file's entry (create), whose mode was just read. */
static int sees_writes(fk_session *se, int fd, int fl, const struct fk_entry *e)
{
	if ((fl & O_ACCMODE) == O_RDONLY ||
	    !(fk_session_conn(se)->want & FK_CAP_HANDLE_KILLPRIV_V2))
		return 0;
	struct fk_plat_stat st;
	uint32_t mode = e ? e->attr.mode : fk_pt_stat_fd(fd, &st) == 0 ? st.mode : 0;
	return (mode & (S_ISUID | S_ISGID)) != 0;
}

/* Is an open with flags fl one for writing? */
static int writes(int fl)
{
	return (fl & O_ACCMODE) != O_RDONLY;
}

/* Answer an open/create with file fd (consumed) of node nodeid, which
 * the kernel holds, opened with host flags fl, sharing the node's backing
 * file for kernel passthrough when we can. e: the entry for create, or
 * NULL. The open file takes an operation reference of its own. */

static void reply_opened(fk_req *req, uint64_t nodeid, int fd, int fl,
			 const struct fk_entry *e)
{
	struct fk_pt *pt = FK_PT(req);
	fk_session *se = fk_req_session(req);
	struct fk_pt_use ref;
	int rc = fk_pt_acquire(pt, nodeid, FK_PT_NEED_NODE, &ref);
	struct fk_pt_file *f = rc ? NULL : malloc(sizeof *f);
	if (!f) {
		close(fd);
		fk_pt_drop(pt, &ref);
		(void)fk_reply_err(req, rc ? -rc : ENOMEM);
		return;
	}
	struct fk_pt_node *n = ref.node; /* f's now: fk_pt_release puts it */
	int uncache = 0;
	f->flags = fl & ~(O_CREAT | O_EXCL | O_TRUNC | FK_O_TMPFILE);
	f->odirect = FK_O_DIRECT && (fl & FK_O_DIRECT);
	f->backing = FK_BACKING_UNCOUNTED;
	f->node = n;
	struct fk_open_out o = { (uint64_t)(uintptr_t)f,
				 fk_cache_open_flags(pt->o.cache, 0) |
					 fk_noflush(fk_session_conn(se), fd, fl),
				 0 };
	if (atomic_load(&pt->passthrough_ok) &&
	    (fk_session_conn(se)->want & FK_CAP_PASSTHROUGH) &&
	    !(o.open_flags & FK_FOPEN_DIRECT_IO)) {
		/* Passthrough, or through us, by the kernel's rule
		 * (fk_backing_slot.h). The id is kept until the last release:
		 * the kernel resolves it after our reply, in the opener's
		 * context. (One file per node: no open is ever refused.) */
		int sees = sees_writes(se, fd, fl, e), joined, err;
		int id = fk_pt_backing_open(pt, se, n, fd, !sees, writes(fl),
					    &f->backing, &joined, &err);
		if (err == -EPERM || err == -EOPNOTSUPP)
			atomic_store(&pt->passthrough_ok, 0); /* not allowed here */
		if (id > 0)
			fk_backing_grant(&o, id);
		uncache = id > 0 && writes(fl); /* as fk_pt_attr_ns answers */
		if (uncache && !e)
			fk_backing_uncache(se, nodeid);
		if (joined && fk_pt_caller_unprivileged(req))
			/* Failing: the bits stay, as for any failed change. */
			(void)kill_suidgid(req, n->tn.nodeid, fd);
	}
	if (!o.backing_id && pt->o.cache == FK_CACHE_AUTO) {
		/* Through us: the kernel's page cache serves reads. */
		struct fk_plat_stat st;
		if (e)
			o.open_flags |= fk_cache_keep(pt->o.cache, &n->cache_seen,
						      fk_cache_version(&e->attr.mtime,
								       &e->attr.ctime,
								       e->attr.size));
		else if (fk_pt_stat_fd(fd, &st) == 0)
			o.open_flags |= fk_cache_keep(pt->o.cache, &n->cache_seen,
						      fk_cache_version(&st.mtime, &st.ctime,
								       st.size));
		/* (fstat failing: the cache is dropped, as it always was.) */
	}
	/* Into the cache before the reply: a read may follow at once. */
	fk_pt_file_attach(pt, f, fd);
	rc = e ? fk_reply_create(req, e, &o) : fk_reply_open(req, &o);
	if (rc == -ENOENT) {
		/* The opener was interrupted: the kernel will not release. */
		fk_pt_backing_close(pt, se, n, f->backing, writes(f->flags));
		fk_pt_file_detach(pt, f);
		fk_pt_node_put(pt, n);
		free(f);
	} else if (e) {
		if (uncache)
			fk_backing_uncache(se, nodeid);
		(void)fk_nt_prune(&pt->nodes, se); /* best effort */
	}
}

/* open(2) flags to use on the host. */
static int host_flags(const struct fk_pt *pt, uint32_t flags)
{
	int fl = (int)flags & ~(O_CREAT | O_EXCL | O_NOCTTY);
	/* With the writeback cache the kernel sends whole pages and does
	 * append itself; O_APPEND on our fd would put them at the end. It
	 * also reads to fill pages, so write-only opens must be able to. */
	if (pt->o.writeback) {
		fl &= ~O_APPEND;
		if ((fl & O_ACCMODE) == O_WRONLY)
			fl = (fl & ~O_ACCMODE) | O_RDWR;
	}
	return fl;
}

void fk_pt_open(fk_req *req, const struct fk_open_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	struct fk_pt_use u;
	int fd = fk_pt_acquire(pt, in->ino, FK_PT_NEED_AT, &u);
	if (fd) {
		(void)fk_reply_err(req, -fd);
		return;
	}
	int fl = host_flags(pt, in->flags);
	fd = fk_pt_reopen(u.at, fl);
	/* Our O_TRUNC kept set-id bits the caller's would have dropped. */
	int rc = fd >= 0 && in->kill_suidgid && (fl & O_TRUNC)
			 ? kill_suidgid(req, in->ino, fd)
			 : 0;
	if (rc) {
		close(fd);
		fd = rc;
	}
	fk_pt_drop(pt, &u);
	if (fd < 0) {
		fk_pt_tell_nofile(pt, fd);
		(void)fk_reply_err(req, -fd);
	} else {
		reply_opened(req, in->ino, fd, fl, NULL);
	}
}

int fk_pt_create_at(struct fk_pt *pt, struct fk_pt_node *parent,
		    int parent_fd, const struct fk_pt_make_args *a,
		    struct fk_pt_node **out, struct fk_plat_stat *st)
{
	int rc = fk_pt_check_name(a->name);
	if (rc)
		return rc;
	int fd = fk_pt_openat_as(a->who, parent_fd, a->name,
				 a->flags | O_CREAT | O_NOFOLLOW, a->mode & 07777);
	if (fd < 0) {
		fk_pt_tell_nofile(pt, fd);
		return fd;
	}
	rc = fk_pt_lookup_made(pt, parent, parent_fd, a->name, S_IFREG, a->ref,
			       out, st);
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

void fk_pt_create(fk_req *req, const struct fk_create_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	fk_nt_admit(&pt->nodes, fk_req_session(req));
	struct fk_pt_use parent;
	int fd = fk_pt_acquire(pt, in->parent, FK_PT_NEED_FD, &parent);
	if (fd) {
		(void)fk_reply_err(req, -fd);
		return;
	}
	struct fk_pt_who who;
	fk_pt_who_of_req(req, &who);
	/* O_EXCL stays: another client may have made the name since the
	 * kernel looked. */
	int fl = host_flags(pt, in->flags) | ((int)in->flags & O_EXCL);
	struct fk_pt_node *n;
	struct fk_plat_stat st;
	const struct fk_pt_make_args a = { .kind = FK_PT_MAKE_FILE,
					   .name = in->name, .mode = in->mode,
					   .flags = fl, .who = &who,
					   .ref = FK_NT_KERNEL };
	fd = fk_pt_make(pt, parent.node, parent.at.fd, &a, &n, &st);
	fk_pt_drop(pt, &parent);
	if (fd < 0) {
		(void)fk_reply_err(req, -fd);
		return;
	}
	struct fk_entry e;
	fk_pt_entry_of(pt, n, &st, &e);
	reply_opened(req, n->tn.nodeid, fd, fl | O_CREAT, &e);
}

int fk_pt_tmpfile_at(struct fk_pt *pt, int pfd, const struct fk_pt_make_args *a,
		     struct fk_pt_node **out, struct fk_plat_stat *st)
{
	struct fk_pt_cred_saved cred;
	int fd = fk_pt_cred_switch(a->who, &cred);
	if (fd == 0) {
		fd = fk_plat_tmpfile_at(pfd, a->flags, a->mode & 07777);
		int rc = fd >= 0 ? fk_pt_cred_give(&cred, fd, NULL) : 0;
		if (rc) {
			close(fd);
			fd = rc;
		}
		fk_pt_cred_restore(&cred);
	}
	if (fd < 0)
		return fd;
	/* The node holds a descriptor of its own: it has no name to be
	 * reached by. */
	int opath = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (opath < 0)
		opath = -errno;
	int rc = opath < 0 ? opath : fk_pt_stat_fd(opath, st);
	*out = NULL;
	if (rc == 0)
		*out = fk_pt_node_lookup(pt, opath, st, NULL, -1, NULL, a->ref);
	else if (opath >= 0)
		close(opath);
	if (!*out) {
		close(fd);
		return rc ? rc : -ENOMEM;
	}
	return fd;
}

void fk_pt_tmpfile(fk_req *req, const struct fk_create_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	fk_nt_admit(&pt->nodes, fk_req_session(req));
	struct fk_pt_use parent;
	int fd = fk_pt_acquire(pt, in->parent, FK_PT_NEED_FD, &parent);
	if (fd) {
		(void)fk_reply_err(req, -fd);
		return;
	}
	int fl = (host_flags(pt, in->flags) & ~O_ACCMODE) | O_RDWR;
	struct fk_pt_who who;
	fk_pt_who_of_req(req, &who);
	struct fk_pt_node *n;
	struct fk_plat_stat st;
	const struct fk_pt_make_args a = { .kind = FK_PT_MAKE_TMPFILE,
					   .mode = in->mode, .flags = fl,
					   .who = &who, .ref = FK_NT_KERNEL };
	fd = fk_pt_make(pt, parent.node, parent.at.fd, &a, &n, &st);
	fk_pt_drop(pt, &parent);
	if (fd < 0) {
		(void)fk_reply_err(req, -fd);
		return;
	}
	struct fk_entry e;
	fk_pt_entry_of(pt, n, &st, &e);
	reply_opened(req, n->tn.nodeid, fd, fl | FK_O_TMPFILE, &e);
}

/* A read's file, to let go once read (fk_reply_fd's done). */
struct read_hold {
	fk_req *req;
	uint64_t fh;
};

static void read_done(void *arg)
{
	const struct read_hold *h = arg;
	file_done(h->req, h->fh);
}

void fk_pt_read(fk_req *req, const struct fk_read_in *in)
{
	int fd = file_fd(req, in->fh);
	if (fd < 0)
		return;
	struct read_hold hold = { req, in->fh };
	(void)fk_reply_fd(req, fd, in->offset, in->size, read_done, &hold);
}

void fk_pt_write(fk_req *req, const struct fk_write_in *in)
{
	struct fk_pt_file *f = FH(in->fh);
	const void *data = in->data;
	if (f->odirect && !(data = fk_thread_buf_aligned(FK_PT_BUF_WRITE, data,
							 in->size))) {
		(void)fk_reply_err(req, ENOMEM);
		return;
	}
	int fd = file_fd(req, in->fh);
	if (fd < 0)
		return;
	int rc = (in->write_flags & FK_WRITE_KILL_SUIDGID)
			 ? kill_suidgid(req, in->ino, fd)
			 : 0;
	if (rc) {
		file_done(req, in->fh);
		(void)fk_reply_err(req, -rc);
		return;
	}
	ssize_t n = pwrite(fd, data, in->size, (off_t)in->offset);
	int e = errno;
	file_done(req, in->fh);
	if (n < 0)
		(void)fk_reply_err(req, e);
	else
		(void)fk_reply_write(req, (uint32_t)n);
}

void fk_pt_flush(fk_req *req, const struct fk_flush_in *in)
{
	/* close(dup()) is what a close(2) of the caller's fd does to the
	 * host file (e.g. NFS flushes on close). */
	int fd = file_fd(req, in->fh);
	if (fd < 0)
		return;
	int dfd = dup(fd);
	int rc = dfd < 0 ? errno : (close(dfd) < 0 ? errno : 0);
	file_done(req, in->fh);
	(void)fk_reply_err(req, rc);
}

void fk_pt_release(fk_req *req, const struct fk_release_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	struct fk_pt_file *f = FH(in->fh);
	fk_pt_backing_close(pt, fk_req_session(req), f->node, f->backing,
			    writes(f->flags));
	fk_pt_file_detach(pt, f);
	fk_pt_node_put(pt, f->node);
	free(f);
	(void)fk_reply_err(req, 0);
}

void fk_pt_fsync(fk_req *req, const struct fk_fsync_in *in)
{
	int fd = file_fd(req, in->fh);
	if (fd < 0)
		return;
	int rc = fk_plat_fsync(fd, in->datasync);
	file_done(req, in->fh);
	(void)fk_reply_err(req, -rc);
}

void fk_pt_fallocate(fk_req *req, const struct fk_fallocate_in *in)
{
	int fd = file_fd(req, in->fh);
	if (fd < 0)
		return;
	int r = fk_pt_caller_unprivileged(req) ? kill_suidgid(req, in->ino, fd) : 0;
	if (r == 0)
		r = fk_plat_fallocate(fd, (int)in->mode, (long long)in->offset,
				      (long long)in->length);
	file_done(req, in->fh);
	(void)fk_reply_err(req, -r);
}

void fk_pt_lseek(fk_req *req, const struct fk_lseek_in *in)
{
	int fd = file_fd(req, in->fh);
	if (fd < 0)
		return;
	off_t r = lseek(fd, (off_t)in->offset, (int)in->whence);
	int e = errno;
	file_done(req, in->fh);
	if (r < 0)
		(void)fk_reply_err(req, e);
	else
		(void)fk_reply_lseek(req, (uint64_t)r);
}

void fk_pt_copy_file_range(fk_req *req, const struct fk_copy_range_in *in)
{
	int from = file_fd(req, in->fh_in);
	if (from < 0)
		return;
	int to = file_fd(req, in->fh_out);
	if (to < 0) {
		file_done(req, in->fh_in);
		return;
	}
	long long n = fk_pt_caller_unprivileged(req)
			      ? kill_suidgid(req, in->ino_out, to)
			      : 0;
	if (n == 0)
		n = fk_plat_copy_range(from, (long long)in->off_in, to,
				       (long long)in->off_out, (long long)in->len,
				       (unsigned)in->flags);
	file_done(req, in->fh_out);
	file_done(req, in->fh_in);
	if (n < 0)
		(void)fk_reply_err(req, (int)-n);
	else
		(void)fk_reply_copied(req, (uint64_t)n);
}

void fk_pt_ioctl(fk_req *req, const struct fk_ioctl_in *in)
{
	_Alignas(8) char out[64]; /* the largest argument: struct fsxattr */
	size_t out_size = 0;
	int dir = (in->flags & FK_IOCTL_DIR) != 0;
	int fd = dir ? fk_pt_dir_fd(in->fh) : file_fd(req, in->fh);
	if (fd < 0)
		return;
	int rc = -fk_plat_inode_ioctl(in->cmd, in->in_data, in->in_size, fd, out,
				      &out_size);
	/* Unpinned before the reply: after it, a release may free the file. */
	if (!dir)
		file_done(req, in->fh);
	if (!rc && fk_plat_inode_ioctl_kind(in->cmd) == FK_PLAT_IOCTL_SET)
		/* The host changed the inode's ctime (and flags). */
		(void)fk_notify_inval_inode(fk_req_session(req), in->ino, -1, 0);
	if (rc)
		(void)fk_reply_err(req, rc);
	else
		(void)fk_reply_ioctl(req, 0, out_size ? out : NULL, out_size);
}

int fk_pt_sync(struct fk_pt *pt)
{
	return fk_plat_syncfs(pt->root->cfd.fd); /* never closed */
}

void fk_pt_syncfs(fk_req *req, const struct fk_ino_in *in)
{
	(void)in;
	(void)fk_reply_err(req, -fk_pt_sync(FK_PT(req)));
}
