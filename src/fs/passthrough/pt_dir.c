/*
 * pt_dir.c — passthrough directories: opendir, readdir, readdirplus,
 * releasedir, fsyncdir.
 *
 * Each open directory keeps its own host directory stream, and remembers
 * the entry that did not fit into the last reply, so listing N entries
 * costs O(N) host reads. The offset the kernel sends back is the telldir
 * cookie after the last entry it got: a different offset is a seekdir.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pt.h"

struct fk_pt_dir {
	DIR *dp;
	uint64_t offset; /* where the stream stands, as a telldir cookie */
	struct dirent *pending; /* read, but not yet sent */
	uint64_t pending_next; /* the cookie after it */
	pthread_mutex_t lock; /* the kernel may overlap readdirs of one fh */
};

#define DH(fh) ((struct fk_pt_dir *)(uintptr_t)(fh))

void fk_pt_opendir(fk_req *req, const struct fk_open_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	struct fk_pt_use u;
	int fd = fk_pt_acquire(pt, in->ino, FK_PT_NEED_FD, &u);
	if (fd == 0)
		fd = fk_pt_reopen(u.at, O_RDONLY | O_DIRECTORY);
	fk_pt_drop(pt, &u);
	if (fd < 0) {
		(void)fk_reply_err(req, -fd);
		return;
	}
	struct fk_pt_dir *d = calloc(1, sizeof *d);
	if (!d || !(d->dp = fdopendir(fd))) {
		int e = d ? errno : ENOMEM;
		free(d);
		close(fd);
		(void)fk_reply_err(req, e);
		return;
	}
	pthread_mutex_init(&d->lock, NULL);
	uint32_t flags = fk_cache_open_flags(pt->o.cache, 1);
	struct fk_open_out o = { (uint64_t)(uintptr_t)d, flags, 0 };
	if (fk_reply_open(req, &o) == -ENOENT) {
		closedir(d->dp); /* the opener gave up: no releasedir comes */
		pthread_mutex_destroy(&d->lock);
		free(d);
	}
}

/* Add one entry; for readdirplus, look it up (taking a kernel reference
 * only if the entry is sent). Returns 0 if added, -ENOSPC if full. */
static int add_entry(fk_req *req, struct fk_pt *pt, struct fk_pt_node *dir,
		     int dir_fd, const struct dirent *de, uint64_t next, int plus)
{
	uint32_t mode = (uint32_t)DTTOIF(de->d_type);
	if (!plus)
		return fk_dirbuf_add(req, de->d_name, de->d_ino, mode, next);

	struct fk_entry e;
	memset(&e, 0, sizeof e);
	int dot = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
	if (dot || fk_nt_over_budget(&pt->nodes) ||
	    fk_pt_do_lookup(pt, dir, dir_fd, de->d_name, &e) < 0) {
		/* "." and "..", names gone since, and any while the kernel
		 * knows more nodes than their budget: no lookup, ino 0 tells
		 * the kernel not to make a dentry. (The budget is asked per
		 * entry, not once per reply: one reply holds hundreds of
		 * entries, each a node holding a descriptor, and with one
		 * check per reply nofile.sh's daemon ran out of them.) */
		memset(&e, 0, sizeof e);
		e.attr.ino = de->d_ino;
		e.attr.mode = mode;
		return fk_dirbuf_add_plus(req, de->d_name, &e, next);
	}
	int rc = fk_dirbuf_add_plus(req, de->d_name, &e, next);
	if (rc)
		fk_pt_node_forget(pt, e.ino, 1); /* not sent: not referenced */
	return rc;
}

static void read_dir(fk_req *req, const struct fk_read_in *in, int plus)
{
	struct fk_pt *pt = FK_PT(req);
	struct fk_pt_dir *d = DH(in->fh);
	struct fk_pt_use dir = { 0 };
	int rc = plus ? fk_pt_acquire(pt, in->ino, FK_PT_NEED_NODE, &dir) : 0;
	if (rc) {
		(void)fk_reply_err(req, -rc);
		return;
	}
	pthread_mutex_lock(&d->lock);
	if (in->offset != d->offset) {
		seekdir(d->dp, (long)in->offset);
		d->offset = in->offset;
		d->pending = NULL;
	}
	int err = 0, added = 0;
	for (;;) {
		if (!d->pending) {
			errno = 0;
			d->pending = readdir(d->dp);
			if (!d->pending) {
				err = errno;
				break;
			}
			/* (glibc's is the entry's d_off; macOS's its own.) */
			d->pending_next = (uint64_t)telldir(d->dp);
		}
		if (add_entry(req, pt, dir.node, dirfd(d->dp), d->pending,
			      d->pending_next, plus))
			break; /* full: this entry leads the next reply */
		d->offset = d->pending_next;
		d->pending = NULL;
		added++;
	}
	pthread_mutex_unlock(&d->lock);
	fk_pt_drop(pt, &dir);
	/* An error after some entries: send those; the next call retries. */
	if (err && !added)
		(void)fk_reply_err(req, err);
	else
		(void)fk_reply_dirbuf(req);
	if (plus)
		(void)fk_nt_prune(&pt->nodes, fk_req_session(req)); /* best effort */
}

void fk_pt_readdir(fk_req *req, const struct fk_read_in *in)
{
	read_dir(req, in, 0);
}

void fk_pt_readdirplus(fk_req *req, const struct fk_read_in *in)
{
	read_dir(req, in, 1);
}

void fk_pt_releasedir(fk_req *req, const struct fk_release_in *in)
{
	struct fk_pt_dir *d = DH(in->fh);
	closedir(d->dp);
	pthread_mutex_destroy(&d->lock);
	free(d);
	(void)fk_reply_err(req, 0);
}

int fk_pt_dir_fd(uint64_t fh)
{
	return dirfd(DH(fh)->dp);
}

void fk_pt_fsyncdir(fk_req *req, const struct fk_fsync_in *in)
{
	(void)fk_reply_err(req, -fk_plat_fsync(fk_pt_dir_fd(in->fh), in->datasync));
}
