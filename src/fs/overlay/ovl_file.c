/*
 * ovl_file.c — open files of the overlay: each holds the descriptor its
 * layer handed out (fk_layer_ops.open), so reads, writes, fsync,
 * fallocate, lseek and copy_file_range are plain calls on it.
 *
 * An open for writing or truncation copies the node up first, so a
 * writer always writes the upper copy. (A file opened read-only before
 * another opener copied it up keeps reading the lower one, as on kernel
 * overlayfs before 4.19.) The inode-flag ioctls read from the topmost
 * node and change the upper one, copying up first.
 *
 * Set-id bits (HANDLE_KILLPRIV_V2, which spares every write a
 * security.capability lookup): the layers' files are written with the
 * daemon's rights, which keep them, so the upper node is told to drop
 * them (FK_SET_KILL_SUIDGID) where the writer's own change would have: a
 * write the kernel marks so, an open that truncates with KILL_SUIDGID, a
 * fallocate or copy_file_range by a caller without CAP_FSETID, by the
 * rule of Linux >= 6.2 (fk_layer_kill_for; setattr turns the kernel's
 * flag into a mode the same way). Writes through kernel
 * passthrough never reach us: a file with set-id bits is opened for
 * writing without it, unless the inode has passthrough opens already
 * (choose_io).
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../platform/fk_platform.h"
#include "../../util/fk_cache_keep.h"
#include "../../util/fk_noflush.h"
#include "../../util/fk_caller.h"
#include "../../util/fk_mode.h"
#include "ovl.h"
#include "../union/un.h"

#define OVL(req) ((struct fk_ovl *)fk_req_fs(req))
#define FILE_OF(fh) ((struct ovl_file *)(uintptr_t)(fh))

static int wants_change(uint32_t flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

/* Drop the set-id bits of n, which is upper (open for writing), as an
 * unprivileged writer's change would; where that changed its mode, the
 * kernel's cached attributes of n go too. 0 or -errno. */
static int kill_suidgid(fk_req *req, struct fk_ovl_node *n)
{
	struct fk_ovl *ovl = OVL(req);
	struct fk_setattr_in in = { .valid = FK_SET_KILL_SUIDGID };
	fk_ovl_tree_read(ovl);
	struct fk_layer *l = ovl->layers[n->stack[0].layer];
	struct fk_layer_stat st;
	int rc = l->ops->getattr(l, n->stack[0].h, &st);
	if (rc == 0)
		rc = fk_layer_kill_for(l, n->stack[0].h, fk_req_ctx(req), &st,
				       &in);
	uint32_t killed = (in.valid & FK_SET_MODE)
				  ? (st.attr.mode & S_IFMT) | in.mode
				  : fk_mode_kill_suidgid(st.attr.mode, 1);
	int changed = rc == 0 && killed != st.attr.mode;
	if (changed)
		rc = l->ops->setattr(l, n->stack[0].h, &in, NULL);
	fk_ovl_tree_unlock(ovl);
	if (changed && rc == 0)
		(void)fk_notify_inval_inode(fk_req_session(req), n->tn.nodeid, -1, 0);
	return rc;
}

/* Does a change by req's caller drop set-id bits that the kernel leaves
 * to us to drop (fallocate, copy_file_range say nothing)? Where it lacks
 * CAP_FSETID. */
static int caller_kills_suidgid(fk_req *req)
{
	return !fk_caller_has_fsetid(fk_req_ctx(req));
}

static void ovl_open(fk_req *req, const struct fk_open_in *in)
{
	struct fk_ovl *ovl = OVL(req);
	if (wants_change(in->flags) && !fk_ovl_writable(ovl)) {
		(void)fk_reply_err(req, EROFS); /* no upper layer to change */
		return;
	}
	struct fk_ovl_node *n = fk_ovl_node_get(ovl, in->ino);
	if (!n) {
		(void)fk_reply_err(req, ENOENT);
		return;
	}
	int fd = 0;
	if (wants_change(in->flags))
		/* Writers write the upper copy; the copy is made first (of
		 * nothing but the metadata when the open truncates). */
		fd = fk_ovl_copy_up_as(ovl, fk_req_session(req), n,
				       (in->flags & O_TRUNC) ? FK_OVL_COPY_NO_DATA : 0);
	fk_ovl_tree_read(ovl);
	struct fk_layer *l = ovl->layers[n->stack[0].layer];
	if (fd == 0)
		fd = l->ops->open(l, n->stack[0].h,
				  (int)in->flags & ~(O_CREAT | O_EXCL | O_NOCTTY));
	uint64_t gen = n->stack_gen;
	fk_ovl_tree_unlock(ovl);
	int rc = fd >= 0 && in->kill_suidgid && (in->flags & O_TRUNC)
			 ? kill_suidgid(req, n)
			 : 0;
	if (rc) {
		close(fd);
		fd = rc;
	}
	/* A read-only overlay's files never change through it: unless told
	 * not to cache, the page cache is kept across opens. */
	uint32_t flags = fk_cache_open_flags(ovl->o.cache, 0);
	if (!fk_ovl_writable(ovl) && ovl->o.cache >= FK_CACHE_AUTO)
		flags |= FK_FOPEN_KEEP_CACHE;
	fk_ovl_reply_open(req, n, fd, gen, flags, NULL);
}

/* How f's open goes (fk_backing_slot.h): kernel passthrough where it can
 * be had, else through us, never mixing the two on one inode. In a
 * writable overlay only upper files are passthrough ones: a lower file's
 * inode becomes its copy's at copy-up, and a read opened before would
 * hold the inode to the lower backing file, where no write may go. A
 * write-open of a file with set-id bits must let us see every write, but
 * joins the passthrough opens the inode has (the kernel allows nothing
 * else): then an unprivileged caller's open drops the bits at once.
 * 0, or -ESTALE when the inode's passthrough opens are on another file
 * than the one its name shows now: only the host can make that happen
 * (deleting the upper copy those opens read, so that the file was
 * copied up anew), and the kernel lets the new open neither join them
 * nor go through us; the inode stands for a file no longer there. */
static int choose_io(fk_req *req, struct ovl_file *f, uint64_t gen,
		     struct fk_open_out *o)
{
	struct fk_ovl *ovl = OVL(req);
	fk_session *se = fk_req_session(req);
	f->backing = FK_BACKING_UNCOUNTED;
	if (!atomic_load(&ovl->passthrough_ok) ||
	    !(fk_session_conn(se)->want & FK_CAP_PASSTHROUGH) ||
	    (o->open_flags & FK_FOPEN_DIRECT_IO)) /* cache=never|metadata */
		return 0;
	int killpriv = f->writes &&
		       (fk_session_conn(se)->want & FK_CAP_HANDLE_KILLPRIV_V2);
	struct fk_attr a;
	fk_ovl_tree_read(ovl);
	int lower = f->node->stack_gen != gen || f->node->stack[0].layer != 0;
	int rc = killpriv ? fk_ovl_top_attr(ovl, f->node, &a) : 0;
	fk_ovl_tree_unlock(ovl);
	int sees = killpriv && (rc || (a.mode & (S_ISUID | S_ISGID)));
	int joined, err;
	fk_nt_lock(&ovl->nodes);
	int id = fk_backing_slot_open(se, &f->node->backing, f->fd, gen,
				      !(ovl->upper && lower) && !sees, f->writes,
				      &f->backing, &joined, &err);
	fk_nt_unlock(&ovl->nodes);
	if (err == -EPERM || err == -EOPNOTSUPP)
		atomic_store(&ovl->passthrough_ok, 0); /* not allowed here */
	if (id == -EBUSY)
		return -ESTALE;
	if (id < 0)
		return id;
	if (id > 0)
		fk_backing_grant(o, id);
	if (joined && sees && caller_kills_suidgid(req))
		/* Failing: the bits stay, as for any failed change. */
		(void)kill_suidgid(req, f->node);
	return 0;
}

static void backing_put(fk_req *req, struct ovl_file *f)
{
	struct fk_ovl *ovl = OVL(req);
	fk_nt_lock(&ovl->nodes);
	fk_backing_slot_close(fk_req_session(req), &f->node->backing, f->backing,
			      f->writes);
	fk_nt_unlock(&ovl->nodes);
}

void fk_ovl_reply_open(fk_req *req, struct fk_ovl_node *n, int fd,
		       uint64_t gen, uint32_t open_flags,
		       const struct fk_entry *created)
{
	struct fk_ovl *ovl = OVL(req);
	struct ovl_file *f = fd >= 0 ? malloc(sizeof *f) : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		fk_ovl_node_put(ovl, n);
		(void)fk_reply_err(req, fd < 0 ? -fd : ENOMEM);
		return;
	}
	f->fd = fd;
	int fl = fcntl(fd, F_GETFL);
	f->odirect = fl >= 0 && (fl & FK_O_DIRECT);
	f->writes = fl >= 0 && (fl & O_ACCMODE) != O_RDONLY;
	f->backing = FK_BACKING_UNCOUNTED;
	f->node = n;
	atomic_fetch_add(&n->opens, 1);
	struct fk_open_out o = { (uint64_t)(uintptr_t)f,
				 open_flags | fk_noflush(fk_session_conn(fk_req_session(req)),
							 fd, fl),
				 0 };
	int rc = choose_io(req, f, gen, &o);
	/* as fk_ovl_attr_ns answers */
	int uncache = rc == 0 && o.backing_id && f->writes;
	if (uncache && !created)
		fk_backing_uncache(fk_req_session(req), n->tn.nodeid);
	struct fk_plat_stat st;
	/* Through us, cache=auto: the page cache kept if unchanged. */
	if (rc == 0 && !o.backing_id && ovl->o.cache == FK_CACHE_AUTO &&
	    !(o.open_flags & FK_FOPEN_KEEP_CACHE) &&
	    fk_plat_stat_at(fd, NULL, &st) == 0) /* failing: cache dropped */
		o.open_flags |= fk_cache_keep(ovl->o.cache, &n->cache_seen,
					      fk_cache_version(&st.mtime, &st.ctime,
							       st.size));
	if (rc == 0)
		rc = created ? fk_reply_create(req, created, &o) : fk_reply_open(req, &o);
	else
		(void)fk_reply_err(req, -rc);
	if (rc) { /* -ENOENT: the opener gave up; else it was told */
		backing_put(req, f);
		atomic_fetch_sub(&n->opens, 1);
		close(fd); /* the opener gave up: no release comes */
		free(f);
		fk_ovl_node_put(ovl, n);
		if (created) /* nor does the kernel hold the new node */
			fk_ovl_node_forget(ovl, created->ino, 1);
	} else if (created) {
		if (uncache) /* (n may be gone: the kernel may have released f) */
			fk_backing_uncache(fk_req_session(req), created->ino);
		(void)fk_nt_prune(&ovl->nodes, fk_req_session(req)); /* best effort */
	}
}

static void ovl_read(fk_req *req, const struct fk_read_in *in)
{
	(void)fk_reply_fd(req, FILE_OF(in->fh)->fd, in->offset, in->size,
			  NULL, NULL);
}

static void ovl_write(fk_req *req, const struct fk_write_in *in)
{
	const struct ovl_file *f = FILE_OF(in->fh);
	const void *data = in->data;
	if (f->odirect && !(data = fk_thread_buf_aligned(FK_OVL_BUF_WRITE, data,
							 in->size))) {
		(void)fk_reply_err(req, ENOMEM);
		return;
	}
	int rc = (in->write_flags & FK_WRITE_KILL_SUIDGID)
			 ? kill_suidgid(req, f->node)
			 : 0;
	if (rc) {
		(void)fk_reply_err(req, -rc);
		return;
	}
	ssize_t w = pwrite(f->fd, data, in->size, (off_t)in->offset);
	/* A union with moveonenospc moves a full branch's file to another
	 * branch, under the same descriptor, and writes again. */
	if (w < 0 && (errno == ENOSPC || errno == EDQUOT) && OVL(req)->un &&
	    fk_un_move_on_enospc(OVL(req), f, in->offset + in->size) == 0)
		w = pwrite(f->fd, data, in->size, (off_t)in->offset);
	if (w < 0)
		(void)fk_reply_err(req, errno);
	else
		(void)fk_reply_write(req, (uint32_t)w);
}

static void ovl_flush(fk_req *req, const struct fk_flush_in *in)
{
	/* close(dup()) is what a close(2) of the caller's fd does to the
	 * layer's file (e.g. NFS flushes on close). */
	int fd = dup(FILE_OF(in->fh)->fd);
	int rc = fd < 0 ? errno : close(fd) < 0 ? errno : 0;
	(void)fk_reply_err(req, rc);
}

static void ovl_fsync(fk_req *req, const struct fk_fsync_in *in)
{
	int rc = OVL(req)->o.fsync ? fk_plat_fsync(FILE_OF(in->fh)->fd, in->datasync)
				   : 0;
	(void)fk_reply_err(req, -rc);
}

static void ovl_fsyncdir(fk_req *req, const struct fk_fsync_in *in)
{
	(void)in;
	struct fk_ovl *ovl = OVL(req);
	int rc = 0;
	/* Every layer that can change: the upper one, or a union's
	 * writable branches. */
	fk_ovl_tree_read(ovl); /* a union's branches stay as they are */
	for (unsigned i = 0; ovl->o.fsync && rc == 0 && i < ovl->nlayers; i++)
		if (ovl->un ? fk_un_branch_writable(ovl, i) : ovl->upper && i == 0)
			rc = ovl->layers[i]->ops->sync(ovl->layers[i]);
	fk_ovl_tree_unlock(ovl);
	(void)fk_reply_err(req, -rc);
}

static void ovl_fallocate(fk_req *req, const struct fk_fallocate_in *in)
{
	const struct ovl_file *f = FILE_OF(in->fh);
	int rc = caller_kills_suidgid(req) ? kill_suidgid(req, f->node) : 0;
	if (rc == 0)
		rc = fk_plat_fallocate(f->fd, (int)in->mode, (long long)in->offset,
				       (long long)in->length);
	(void)fk_reply_err(req, -rc);
}

static void ovl_lseek(fk_req *req, const struct fk_lseek_in *in)
{
	off_t r = lseek(FILE_OF(in->fh)->fd, (off_t)in->offset, (int)in->whence);
	if (r < 0)
		(void)fk_reply_err(req, errno);
	else
		(void)fk_reply_lseek(req, (uint64_t)r);
}

static void ovl_copy_file_range(fk_req *req, const struct fk_copy_range_in *in)
{
	const struct ovl_file *out = FILE_OF(in->fh_out);
	long long n = caller_kills_suidgid(req) ? kill_suidgid(req, out->node) : 0;
	if (n == 0)
		n = fk_plat_copy_range(FILE_OF(in->fh_in)->fd, (long long)in->off_in,
				       out->fd, (long long)in->off_out,
				       (long long)in->len, (unsigned)in->flags);
	if (n < 0)
		(void)fk_reply_err(req, (int)-n);
	else
		(void)fk_reply_copied(req, (uint64_t)n);
}

/* The inode-flag ioctls (chattr, lsattr). A change goes to the upper
 * node, copied up first; a query reads the topmost. On a directory the
 * kernel passes opendir's handle, which has no descriptor: the node's
 * directory is opened for the call. */
static void ovl_ioctl(fk_req *req, const struct fk_ioctl_in *in)
{
	struct fk_ovl *ovl = OVL(req);
	int kind = fk_plat_inode_ioctl_kind(in->cmd);
	if (!kind) {
		(void)fk_reply_err(req, ENOTTY);
		return;
	}
	int dir = (in->flags & FK_IOCTL_DIR) != 0;
	struct fk_ovl_node *n = fk_ovl_node_get(ovl, in->ino);
	if (!n) {
		(void)fk_reply_err(req, ENOENT);
		return;
	}
	int set = kind == FK_PLAT_IOCTL_SET;
	int rc = 0, fd = dir || set ? -1 : FILE_OF(in->fh)->fd;
	if (set)
		rc = fk_ovl_copy_up(ovl, fk_req_session(req), n);
	fk_ovl_tree_read(ovl);
	if (rc == 0 && fd < 0) {
		struct fk_layer *l = ovl->layers[n->stack[0].layer];
		fd = rc = l->ops->open(l, n->stack[0].h,
				       O_RDONLY | (dir ? O_DIRECTORY : 0));
	}
	_Alignas(8) char out[64];
	size_t out_size = 0;
	if (rc >= 0)
		rc = fk_plat_inode_ioctl(in->cmd, in->in_data, in->in_size, fd, out,
					 &out_size);
	if (fd >= 0 && (dir || set))
		close(fd);
	fk_ovl_tree_unlock(ovl);
	fk_ovl_node_put(ovl, n);
	if (rc >= 0 && set) /* the host changed its ctime (and flags) */
		(void)fk_notify_inval_inode(fk_req_session(req), in->ino, -1, 0);
	if (rc < 0)
		(void)fk_reply_err(req, -rc);
	else
		(void)fk_reply_ioctl(req, 0, out_size ? out : NULL, out_size);
}

static void ovl_release(fk_req *req, const struct fk_release_in *in)
{
	struct ovl_file *f = FILE_OF(in->fh);
	backing_put(req, f);
	if (OVL(req)->un)
		fk_un_release(OVL(req), f);
	close(f->fd);
	atomic_fetch_sub(&f->node->opens, 1);
	fk_ovl_node_put(OVL(req), f->node);
	free(f);
	(void)fk_reply_err(req, 0);
}

void fk_ovl_file_ops(struct fk_ops *ops)
{
	ops->open = ovl_open;
	ops->read = ovl_read;
	ops->write = ovl_write;
	ops->flush = ovl_flush;
	ops->fsync = ovl_fsync;
	ops->fsyncdir = ovl_fsyncdir;
	ops->fallocate = ovl_fallocate;
	ops->lseek = ovl_lseek;
	ops->copy_file_range = ovl_copy_file_range;
	ops->ioctl = ovl_ioctl;
	ops->release = ovl_release;
}
