/*
 * pt_entry.c — passthrough operations on names and attributes: lookup,
 * forget, getattr, setattr, statx, readlink, mknod, mkdir, symlink, link,
 * unlink, rmdir, rename, statfs.
 *
 * Confinement: every host call is relative to a node's O_PATH descriptor
 * and one name the kernel sent, never a path we built, and never follows a
 * symlink (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW). Names with '/' and the names
 * "." and ".." are refused, so no request can step outside SOURCE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../util/fk_caller.h"
#include "../../util/fk_mode.h"
#include "pt.h"


int fk_pt_check_name(const char *name)
{
	if (!name[0] || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return -EINVAL;
	if (strlen(name) > NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

int fk_pt_stat_fd(int fd, struct fk_plat_stat *st)
{
	return fk_plat_stat_at(fd, NULL, st);
}

int fk_pt_stat_at(struct fk_pt_at at, struct fk_plat_stat *st)
{
	return fk_plat_stat_at(at.fd, FK_PT_AT_NAME(at), st);
}

void fk_pt_stat_to_attr(const struct fk_pt *pt, const struct fk_plat_stat *st,
			 struct fk_attr *a)
{
	memset(a, 0, sizeof *a);
	a->ino = st->ino;
	a->size = st->size;
	a->blocks = st->blocks;
	a->atime = st->atime;
	a->mtime = st->mtime;
	a->ctime = st->ctime;
	if (st->has_btime)
		a->crtime = st->btime;
	a->mode = st->mode;
	a->nlink = st->nlink;
	a->uid = FK_PT_UID_SHOWN(pt, st->uid);
	a->gid = FK_PT_GID_SHOWN(pt, st->gid);
	a->rdev = (uint32_t)st->rdev;
	a->blksize = st->blksize;
	a->flags = st->flags;
	/* (The kernel replaces those it sets itself: mount root, DAX.) */
	a->stx_attributes = st->attributes;
	a->stx_attributes_mask = st->attributes_mask;
}

int fk_pt_reopen(struct fk_pt_at at, int flags)
{
	return fk_plat_open_at(at.fd, FK_PT_AT_NAME(at), flags);
}

void fk_pt_tell_nofile(struct fk_pt *pt, int rc)
{
	if (pt->mode != FK_PT_INODE_FD || (rc != -EMFILE && rc != -ENFILE) ||
	    atomic_exchange(&pt->told_nofile, 1))
		return;
	struct rlimit rl;
	char limit[32] = "unknown";
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		snprintf(limit, sizeof limit, "%llu", (unsigned long long)rl.rlim_cur);
	/* One write, like the session's log lines. */
	dprintf(2, "fusekit passthrough: %s: inode=fd holds a descriptor for "
		   "each file the kernel knows and has reached %s, %s (RLIMIT_NOFILE "
		   "%s); raise it (ulimit -n) or mount with -o inode=lazy or "
		   "inode=handle, which hold at most fd_cap\n",
		strerror(-rc), rc == -EMFILE ? "the process's limit" : "the system's",
		rc == -EMFILE ? "ulimit -n" : "fs.file-max", limit);
}

int fk_pt_lookup_name(struct fk_pt *pt, struct fk_pt_node *parent,
		      int parent_fd, const char *name, enum fk_nt_ref ref,
		      struct fk_pt_node **out, struct fk_plat_stat *st)
{
	int rc = fk_pt_check_name(name);
	if (rc)
		return rc;
	/* Lazy mode holds descriptors of directories only. */
	int fd, tries = 0;
	do
		rc = fk_plat_hold_at(parent_fd, name, fk_pt_by_name(pt, S_IFREG), &fd,
				     st);
	while (rc == -EAGAIN && ++tries < 8);
	if (rc)
		fk_pt_tell_nofile(pt, rc);
	if (rc)
		return rc == -EAGAIN ? -ESTALE : rc;
	/* A mount inside SOURCE that shows SOURCE's root through FUSE is
	 * this mount itself (MOUNTPOINT inside SOURCE): a node held there
	 * would keep the mount busy forever, and each level would show it
	 * again. Refused, as the kernel refuses a mount loop. */
	if (fd >= 0 && st->ino == pt->root->ino && st->dev != pt->root->dev &&
	    fk_plat_is_fuse(fd)) {
		close(fd);
		return -ELOOP;
	}
	*out = fk_pt_node_lookup(pt, fd, st, parent, parent_fd, name, ref);
	return *out ? 0 : -ENOMEM;
}

void fk_pt_entry_of(struct fk_pt *pt, struct fk_pt_node *n,
		    const struct fk_plat_stat *st, struct fk_entry *e)
{
	memset(e, 0, sizeof *e);
	e->ino = n->tn.nodeid;
	/* The root's is the kernel's own, 0: another would make it stale. */
	e->generation = n == pt->root  ? 0
			: n->stable_id ? FK_PT_GEN_STABLE
				       : pt->export.epoch;
	fk_pt_stat_to_attr(pt, st, &e->attr);
	e->entry_valid_ns = pt->entry_ns;
	e->attr_valid_ns = fk_pt_attr_ns(pt, n);
}

int fk_pt_do_lookup(struct fk_pt *pt, struct fk_pt_node *parent, int parent_fd,
		    const char *name, struct fk_entry *e)
{
	struct fk_pt_node *n;
	struct fk_plat_stat st;
	int rc = fk_pt_lookup_name(pt, parent, parent_fd, name,
				   FK_NT_KERNEL, &n, &st);
	if (rc == 0)
		fk_pt_entry_of(pt, n, &st, e);
	return rc;
}

/* The kernel decoding a file handle (FUSE_EXPORT_SUPPORT): "." is node
 * id itself, which the table may have forgotten (pt_export.c); ".." a
 * directory's parent (SOURCE's is SOURCE). 0 with e, or -errno. */
static int lookup_dots(struct fk_pt *pt, uint64_t id, const char *name,
		       struct fk_entry *e)
{
	int dot = name[1] == '\0';
	struct fk_pt_use u;
	struct fk_plat_stat st;
	struct fk_pt_node *n = NULL;
	int rc = fk_pt_acquire(pt, id, dot ? FK_PT_NEED_STAT : FK_PT_NEED_FD, &u);
	if (rc == -ENOENT && dot)
		rc = fk_pt_export_decode(pt, id, &n, &st);
	else if (rc == -ENOENT)
		rc = -ESTALE; /* a directory the table forgot: no parent known */
	else if (rc == 0 && (dot || u.node == pt->root)) {
		/* SOURCE is its own parent: nothing above it is shown. */
		n = dot ? u.node : pt->root;
		if (dot)
			st = u.st;
		else
			rc = fk_pt_stat_fd(pt->root->cfd.fd, &st); /* never closed */
		if (rc == 0) {
			fk_pt_lock(pt);
			fk_nt_ref_locked(&pt->nodes, &n->tn, FK_NT_KERNEL);
			fk_pt_unlock(pt);
		}
	} else if (rc == 0) {
		int fd;
		rc = fk_plat_hold_at(u.at.fd, "..", 0, &fd, &st);
		if (rc == 0 && fd < 0)
			rc = -ENOTDIR;
		/* (fk_pt_node_lookup takes fd, or closes it) */
		if (rc == 0 && !(n = fk_pt_node_lookup(pt, fd, &st, NULL, -1, NULL,
						       FK_NT_KERNEL)))
			rc = -ENOMEM;
	}
	if (rc == 0)
		fk_pt_entry_of(pt, n, &st, e);
	fk_pt_drop(pt, &u);
	return rc;
}

void fk_pt_lookup(fk_req *req, const struct fk_name_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	fk_nt_admit(&pt->nodes, fk_req_session(req));
	if (!strcmp(in->name, ".") || !strcmp(in->name, "..")) {
		struct fk_entry e;
		int rc = lookup_dots(pt, in->parent, in->name, &e);
		if (rc)
			(void)fk_reply_err(req, -rc);
		else
			(void)fk_reply_entry(req, &e);
		return;
	}
	struct fk_pt_use parent;
	int rc = fk_pt_acquire(pt, in->parent, FK_PT_NEED_FD, &parent);
	if (rc) {
		(void)fk_reply_err(req, -rc);
		return;
	}
	struct fk_entry e;
	rc = fk_pt_do_lookup(pt, parent.node, parent.at.fd, in->name, &e);
	fk_pt_drop(pt, &parent);
	if (rc == -ENOENT && pt->negative_ns) {
		memset(&e, 0, sizeof e); /* cacheable "no such name" */
		e.entry_valid_ns = pt->negative_ns;
		(void)fk_reply_entry(req, &e);
	} else if (rc) {
		(void)fk_reply_err(req, -rc);
	} else {
		(void)fk_reply_entry(req, &e);
		(void)fk_nt_prune(&pt->nodes, fk_req_session(req)); /* best effort */
	}
}

void fk_pt_forget(void *fs, uint64_t ino, uint64_t nlookup)
{
	fk_pt_node_forget(fs, ino, nlookup);
}

/* Answer an entry for node n (which holds the kernel reference) with
 * attributes st. */
static void reply_entry_of(fk_req *req, struct fk_pt *pt, struct fk_pt_node *n,
			   const struct fk_plat_stat *st)
{
	struct fk_entry e;
	fk_pt_entry_of(pt, n, st, &e);
	(void)fk_reply_entry(req, &e);
	(void)fk_nt_prune(&pt->nodes, fk_req_session(req)); /* best effort */
}

/* Answer with st, the attributes of node n (fk_pt_attr_ns). */
static void reply_stat(fk_req *req, struct fk_pt *pt, struct fk_pt_node *n,
		       const struct fk_plat_stat *st)
{
	struct fk_attr a;
	fk_pt_stat_to_attr(pt, st, &a);
	(void)fk_reply_attr(req, &a, fk_pt_attr_ns(pt, n));
}

static void reply_attr_of(fk_req *req, struct fk_pt *pt, struct fk_pt_node *n,
			  struct fk_pt_at at)
{
	struct fk_plat_stat st;
	int rc = fk_pt_stat_at(at, &st);
	if (rc)
		(void)fk_reply_err(req, -rc);
	else
		reply_stat(req, pt, n, &st);
}

/* Answer with the attributes of open file f, whose descriptor fd this
 * request pinned (rc: the request's error so far), unpinning it first:
 * once answered, the kernel may release f at once, and free it. */
static void reply_file_attr(fk_req *req, struct fk_pt *pt, struct fk_pt_file *f,
			    int fd, int rc)
{
	struct fk_plat_stat st;
	if (rc == 0)
		rc = fk_pt_stat_fd(fd, &st);
	/* (The node outlives the unpin: the kernel's open file holds it.) */
	uint64_t attr_ns = fk_pt_attr_ns(pt, f->node);
	fk_pt_file_unfd(pt, f);
	if (rc) {
		(void)fk_reply_err(req, -rc);
	} else {
		struct fk_attr a;
		fk_pt_stat_to_attr(pt, &st, &a);
		(void)fk_reply_attr(req, &a, attr_ns);
	}
}

/* The stat of node ino, and with bkup its backup time too, and with
 * attr_ns how long the kernel may keep it (fk_pt_attr_ns); answers the
 * request's error itself (then -1). */
static int stat_node(fk_req *req, uint64_t ino, struct fk_plat_stat *st,
		     struct timespec *bkup, uint64_t *attr_ns);

void fk_pt_getattr(fk_req *req, const struct fk_getattr_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	if (in->has_fh) {
		/* fstat(): the open file is the inode, whatever its name is
		 * now (renamed or replaced on the host). */
		struct fk_pt_file *f = (struct fk_pt_file *)(uintptr_t)in->fh;
		int fd = fk_pt_file_fd(pt, f);
		if (fd < 0)
			(void)fk_reply_err(req, -fd);
		else
			reply_file_attr(req, pt, f, fd, 0);
		return;
	}
	struct fk_plat_stat st;
	uint64_t attr_ns;
	if (stat_node(req, in->ino, &st, NULL, &attr_ns) == 0) {
		struct fk_attr a;
		fk_pt_stat_to_attr(pt, &st, &a);
		(void)fk_reply_attr(req, &a, attr_ns);
	}
}

static int stat_node(fk_req *req, uint64_t ino, struct fk_plat_stat *st,
		     struct timespec *bkup, uint64_t *attr_ns)
{
	struct fk_pt *pt = FK_PT(req);
	struct fk_pt_use u;
	/* The backup time needs the node pinned (an open file has none). */
	int rc = fk_pt_acquire(pt, ino, bkup ? FK_PT_NEED_AT : FK_PT_NEED_STAT, &u);
	if (rc == 0 && bkup) {
		rc = fk_pt_stat_at(u.at, &u.st);
		if (rc == 0)
			rc = fk_plat_bkuptime_at(u.at.fd, FK_PT_AT_NAME(u.at), bkup);
	}
	if (rc == 0)
		*st = u.st;
	if (rc == 0 && attr_ns)
		*attr_ns = fk_pt_attr_ns(pt, u.node);
	fk_pt_drop(pt, &u);
	if (rc)
		(void)fk_reply_err(req, -rc);
	return rc ? -1 : 0;
}

void fk_pt_statx(fk_req *req, const struct fk_statx_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	struct fk_plat_stat st;
	uint64_t attr_ns;
	if (stat_node(req, in->ino, &st, NULL, &attr_ns))
		return;
	struct fk_attr a;
	fk_pt_stat_to_attr(pt, &st, &a);
	(void)fk_reply_statx(req, &a, attr_ns);
}

int fk_pt_kill_suidgid(const struct fk_pt *pt, const struct fk_ctx *who,
		       struct fk_pt_at at)
{
	struct fk_plat_stat st;
	int rc = fk_pt_stat_at(at, &st);
	if (rc)
		return rc;
	/* The caller's groups are read only for the bit in question. */
	int in_group = (st.mode & (S_ISGID | S_IXGRP)) != S_ISGID || !who ||
		       fk_caller_in_group(who, FK_PT_GID_SHOWN(pt, st.gid));
	uint32_t killed = fk_mode_kill_suidgid(st.mode, in_group);
	if (rc || !S_ISREG(st.mode) || killed == st.mode)
		return rc;
	rc = fk_plat_chmod_at(at.fd, FK_PT_AT_NAME(at), killed & 07777);
	return rc < 0 ? rc : 1;
}

int fk_pt_caller_unprivileged(fk_req *req)
{
	return !fk_caller_has_fsetid(fk_req_ctx(req));
}

int fk_pt_setattr_at(struct fk_pt *pt, struct fk_pt_at at, int fd,
		     const struct fk_setattr_in *in, const struct fk_ctx *who)
{
	/* An open file (fd) is where a change through it goes. */
	struct fk_pt_at to = fd >= 0 ? FK_PT_AT_FD(fd) : at;
	int rc = 0;
	if (in->valid & FK_SET_MODE)
		rc = fk_plat_chmod_at(to.fd, FK_PT_AT_NAME(to), in->mode & 07777);
	if (!rc && (in->valid & (FK_SET_UID | FK_SET_GID))) {
		uint32_t u = (in->valid & FK_SET_UID) ? FK_PT_UID_HOST(pt, in->uid)
						      : UINT32_MAX;
		uint32_t g = (in->valid & FK_SET_GID) ? FK_PT_GID_HOST(pt, in->gid)
						      : UINT32_MAX;
		rc = fk_plat_chown_at(at.fd, FK_PT_AT_NAME(at), u, g);
	}
	if (!rc && (in->valid & FK_SET_SIZE))
		rc = fk_plat_truncate_at(to.fd, FK_PT_AT_NAME(to), in->size);
	if (!rc && (in->valid & (FK_SET_ATIME | FK_SET_MTIME | FK_SET_ATIME_NOW |
				 FK_SET_MTIME_NOW))) {
		struct timespec ts[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
		if (in->valid & FK_SET_ATIME_NOW)
			ts[0].tv_nsec = UTIME_NOW;
		else if (in->valid & FK_SET_ATIME)
			ts[0] = in->atime;
		if (in->valid & FK_SET_MTIME_NOW)
			ts[1].tv_nsec = UTIME_NOW;
		else if (in->valid & FK_SET_MTIME)
			ts[1] = in->mtime;
		rc = fk_plat_utimens_at(to.fd, FK_PT_AT_NAME(to), ts);
	}
	/* macFUSE: BSD flags and creation and backup times. (The change
	 * time, as FK_SET_CTIME, the host keeps itself.) */
	const uint32_t bsd = FK_SET_FLAGS | FK_SET_CRTIME | FK_SET_BKUPTIME;
	if (!rc && (in->valid & bsd))
		rc = fk_plat_set_bsd_attrs_at(to.fd, FK_PT_AT_NAME(to), in->valid & bsd,
					      in->flags, &in->crtime, &in->bkuptime);
	/* Our truncate keeps set-id bits (we have CAP_FSETID); the caller's
	 * would not have. (A chown drops them on the host itself.) */
	if (!rc && (in->valid & FK_SET_KILL_SUIDGID)) {
		int r = fk_pt_kill_suidgid(pt, who, at);
		rc = r < 0 ? r : 0;
	}
	/* FK_SET_CTIME: the host sets ctime itself on every change above. */
	return rc;
}

void fk_pt_setattr(fk_req *req, const struct fk_setattr_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	if (in->has_fh) {
		/* ftruncate(): through the open file, which is the inode
		 * whatever its name is now. */
		struct fk_pt_file *f = (struct fk_pt_file *)(uintptr_t)in->fh;
		int fd = fk_pt_file_fd(pt, f);
		if (fd < 0)
			(void)fk_reply_err(req, -fd);
		else
			reply_file_attr(req, pt, f, fd,
					fk_pt_setattr_at(pt, FK_PT_AT_FD(fd), fd,
							 in, fk_req_ctx(req)));
		return;
	}
	struct fk_pt_use u;
	int rc = fk_pt_acquire(pt, in->ino, FK_PT_NEED_AT, &u);
	if (rc == 0)
		rc = fk_pt_setattr_at(pt, u.at, -1, in, fk_req_ctx(req));
	if (rc)
		(void)fk_reply_err(req, -rc);
	else
		reply_attr_of(req, pt, u.node, u.at);
	fk_pt_drop(pt, &u);
}

void fk_pt_readlink(fk_req *req, const struct fk_ino_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	struct fk_pt_use u;
	int len = fk_pt_acquire(pt, in->ino, FK_PT_NEED_AT, &u);
	char buf[PATH_MAX + 1];
	if (len == 0)
		len = fk_plat_readlink_at(u.at.fd, FK_PT_AT_NAME(u.at), buf, sizeof buf - 1);
	fk_pt_drop(pt, &u);
	if (len < 0) {
		(void)fk_reply_err(req, -len);
		return;
	}
	buf[len] = 0;
	(void)fk_reply_readlink(req, buf);
}

int fk_pt_lookup_made(struct fk_pt *pt, struct fk_pt_node *parent,
		      int parent_fd, const char *name, uint32_t type,
		      enum fk_nt_ref ref, struct fk_pt_node **out,
		      struct fk_plat_stat *st)
{
	int rc = fk_pt_lookup_name(pt, parent, parent_fd, name, ref, out, st);
	if (rc || (st->mode & S_IFMT) == type)
		return rc;
	/* The host put something else at the name since: what was made is
	 * gone. Never answered as the other object: the kernel takes an
	 * entry of another type than asked for a broken filesystem (EIO). */
	if (ref == FK_NT_KERNEL)
		fk_pt_node_forget(pt, (*out)->tn.nodeid, 1);
	else
		fk_pt_node_put(pt, *out);
	*out = NULL;
	return -ESTALE;
}

int fk_pt_make(struct fk_pt *pt, struct fk_pt_node *parent, int parent_fd,
	       const struct fk_pt_make_args *a, struct fk_pt_node **out,
	       struct fk_plat_stat *st)
{
	if (a->kind == FK_PT_MAKE_FILE)
		return fk_pt_create_at(pt, parent, parent_fd, a, out, st);
	if (a->kind == FK_PT_MAKE_TMPFILE)
		return fk_pt_tmpfile_at(pt, parent_fd, a, out, st);
	const char *name = a->name;
	int rc = fk_pt_check_name(name);
	if (rc)
		return rc;
	struct fk_pt_cred_saved cred;
	rc = fk_pt_cred_switch(a->who, &cred);
	if (rc)
		return rc;
	int r;
	switch (a->kind) {
	case FK_PT_MAKE_DIR:
		r = mkdirat(parent_fd, name, a->mode & 07777);
		break;
	case FK_PT_MAKE_SYMLINK:
		r = symlinkat(a->target, parent_fd, name);
		break;
	default:
		r = mknodat(parent_fd, name, a->mode, a->rdev);
		break;
	}
	rc = r < 0 ? -errno : fk_pt_cred_give(&cred, parent_fd, name);
	fk_pt_cred_restore(&cred);
	if (rc)
		return rc;
	/* mknod with no type bits makes a regular file (as the layers that
	 * keep owners in xattrs make device nodes). */
	uint32_t type = a->kind == FK_PT_MAKE_DIR	  ? S_IFDIR
			: a->kind == FK_PT_MAKE_SYMLINK ? S_IFLNK
			: a->mode & S_IFMT		  ? a->mode & S_IFMT
							  : S_IFREG;
	return fk_pt_lookup_made(pt, parent, parent_fd, name, type, a->ref, out, st);
}

/* The new-entry ops: make the node as the caller, answer with its entry. */
static void make_entry(fk_req *req, uint64_t parent_id, const char *name,
		       enum fk_pt_make_kind kind, uint32_t mode, uint32_t rdev,
		       const char *target)
{
	struct fk_pt *pt = FK_PT(req);
	fk_nt_admit(&pt->nodes, fk_req_session(req));
	struct fk_pt_use parent;
	int rc = fk_pt_acquire(pt, parent_id, FK_PT_NEED_FD, &parent);
	if (rc) {
		(void)fk_reply_err(req, -rc);
		return;
	}
	struct fk_pt_who who;
	fk_pt_who_of_req(req, &who);
	struct fk_pt_node *n;
	struct fk_plat_stat st;
	const struct fk_pt_make_args a = { .kind = kind, .name = name,
					   .mode = mode, .rdev = rdev,
					   .target = target, .who = &who,
					   .ref = FK_NT_KERNEL };
	rc = fk_pt_make(pt, parent.node, parent.at.fd, &a, &n, &st);
	fk_pt_drop(pt, &parent);
	if (rc)
		(void)fk_reply_err(req, -rc);
	else
		reply_entry_of(req, pt, n, &st);
}

void fk_pt_mknod(fk_req *req, const struct fk_mknod_in *in)
{
	make_entry(req, in->parent, in->name, FK_PT_MAKE_NOD, in->mode, in->rdev, NULL);
}

void fk_pt_mkdir(fk_req *req, const struct fk_mkdir_in *in)
{
	make_entry(req, in->parent, in->name, FK_PT_MAKE_DIR, in->mode, 0, NULL);
}

void fk_pt_symlink(fk_req *req, const struct fk_symlink_in *in)
{
	make_entry(req, in->parent, in->name, FK_PT_MAKE_SYMLINK, 0, 0, in->target);
}

int fk_pt_link_at(struct fk_pt *pt, struct fk_pt_at at, struct fk_pt_node *parent,
		  int parent_fd, const char *newname, enum fk_nt_ref ref,
		  struct fk_pt_node **out, struct fk_plat_stat *st)
{
	int rc = fk_pt_check_name(newname);
	if (!rc)
		rc = fk_plat_link_at(at.fd, FK_PT_AT_NAME(at), parent_fd, newname);
	return rc ? rc
		  : fk_pt_lookup_name(pt, parent, parent_fd, newname, ref, out, st);
}

void fk_pt_link(fk_req *req, const struct fk_link_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	struct fk_pt_use u, parent = { 0 };
	struct fk_pt_node *made = NULL;
	struct fk_plat_stat st;
	fk_nt_admit(&pt->nodes, fk_req_session(req));
	int rc = fk_pt_acquire(pt, in->ino, FK_PT_NEED_AT, &u);
	if (rc == 0)
		rc = fk_pt_acquire(pt, in->newparent, FK_PT_NEED_FD, &parent);
	if (rc == 0)
		rc = fk_pt_link_at(pt, u.at, parent.node, parent.at.fd, in->newname,
				   FK_NT_KERNEL, &made, &st);
	fk_pt_drop(pt, &u);
	fk_pt_drop(pt, &parent);
	if (rc)
		(void)fk_reply_err(req, -rc);
	else
		reply_entry_of(req, pt, made, &st);
}

/* The host inode of name in dirfd (0), or -errno. */
static int stat_name(int dirfd, const char *name, struct fk_plat_stat *st)
{
	return fk_plat_stat_at(dirfd, name, st);
}

/* Handle and lazy modes: the inode st is about to lose name in parent.
 * If the kernel knows it, and that was its last known name (lazy), or
 * it is held by a handle, which may not reopen an unlinked inode, keep
 * its node's descriptor. The kernel forgets such a node soon after,
 * unless it is open. */
static void keep_before_unlink(struct fk_pt *pt, const struct fk_plat_stat *st,
			       struct fk_pt_node *parent, const char *name)
{
	if (pt->mode == FK_PT_INODE_FD)
		return;
	fk_pt_lock(pt);
	struct fk_pt_node *n = fk_pt_node_find(pt, st);
	if (n)
		fk_pt_ref(pt, n);
	fk_pt_unlock(pt);
	if (n) {
		if (!fk_pt_hold_losing_name(pt, n, parent, name))
			(void)fk_pt_node_keep(pt, n); /* failing: it goes stale */
		fk_pt_node_put(pt, n);
	}
}

int fk_pt_remove(struct fk_pt *pt, struct fk_pt_node *parent, int parent_fd,
		 const char *name, int flags)
{
	int rc = fk_pt_check_name(name);
	if (rc)
		return rc;
	struct fk_plat_stat st;
	fk_pt_names_change_begin(pt);
	if (pt->mode != FK_PT_INODE_FD && stat_name(parent_fd, name, &st) == 0)
		keep_before_unlink(pt, &st, parent, name);
	if (unlinkat(parent_fd, name, flags) < 0)
		rc = -errno;
	fk_pt_names_change_end(pt);
	return rc;
}

static void remove_name(fk_req *req, const struct fk_name_in *in, int flags)
{
	struct fk_pt *pt = FK_PT(req);
	struct fk_pt_use parent;
	int rc = fk_pt_acquire(pt, in->parent, FK_PT_NEED_FD, &parent);
	if (rc == 0)
		rc = fk_pt_remove(pt, parent.node, parent.at.fd, in->name, flags);
	fk_pt_drop(pt, &parent);
	(void)fk_reply_err(req, -rc);
}

void fk_pt_unlink(fk_req *req, const struct fk_name_in *in)
{
	remove_name(req, in, 0);
}

void fk_pt_rmdir(fk_req *req, const struct fk_name_in *in)
{
	remove_name(req, in, AT_REMOVEDIR);
}

int fk_pt_rename_at(struct fk_pt *pt, struct fk_pt_node *a, int afd,
		    const char *name, struct fk_pt_node *b, int bfd,
		    const char *newname, unsigned flags,
		    const struct fk_pt_who *w)
{
	int rc = fk_pt_check_name(name);
	if (!rc)
		rc = fk_pt_check_name(newname);
	if (rc)
		return rc;
	/* Handle and lazy modes track names: which inodes move, which one
	 * loses its name. */
	struct fk_plat_stat moved, victim;
	fk_pt_names_change_begin(pt);
	int have_moved = 0, have_victim = 0;
	if (pt->mode != FK_PT_INODE_FD) {
		have_moved = stat_name(afd, name, &moved) == 0;
		have_victim = stat_name(bfd, newname, &victim) == 0;
		if (have_victim && !(flags & (FK_RENAME_EXCHANGE | FK_RENAME_NOREPLACE)))
			keep_before_unlink(pt, &victim, b, newname);
	}
	/* RENAME_WHITEOUT makes a device node: as w. */
	struct fk_pt_cred_saved cred = { 0 };
	if (flags & FK_RENAME_WHITEOUT)
		rc = fk_pt_cred_switch(w, &cred);
	if (!rc)
		rc = fk_plat_rename_at(afd, name, bfd, newname, flags);
	fk_pt_cred_restore(&cred);
	if (!rc)
		fk_pt_node_renamed(pt, have_moved ? &moved : NULL,
				   have_victim ? &victim : NULL, b, newname, a,
				   name, flags);
	fk_pt_names_change_end(pt);
	return rc;
}

/* A rename's two directories, taken (FK_PT_NEED_FD); as the caller
 * (flags as renameat2). */
static void rename_in(fk_req *req, uint64_t dir, const char *name,
		      uint64_t newdir, const char *newname, unsigned flags)
{
	struct fk_pt *pt = FK_PT(req);
	struct fk_pt_use a, b = { 0 };
	int rc = fk_pt_acquire(pt, dir, FK_PT_NEED_FD, &a);
	if (rc == 0)
		rc = fk_pt_acquire(pt, newdir, FK_PT_NEED_FD, &b);
	if (rc == 0) {
		struct fk_pt_who who;
		fk_pt_who_of_req(req, &who);
		rc = fk_pt_rename_at(pt, a.node, a.at.fd, name, b.node, b.at.fd,
				     newname, flags, &who);
	}
	fk_pt_drop(pt, &a);
	fk_pt_drop(pt, &b);
	(void)fk_reply_err(req, -rc);
}

void fk_pt_rename(fk_req *req, const struct fk_rename_in *in)
{
	rename_in(req, in->parent, in->name, in->newparent, in->newname, in->flags);
}

int fk_pt_statfs_fd(int fd, struct fk_statfs *st)
{
	return fk_plat_statfs(fd, st);
}

void fk_pt_statfs(fk_req *req, const struct fk_ino_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	struct fk_pt_use u;
	int rc = fk_pt_acquire(pt, in->ino, FK_PT_NEED_AT, &u);
	if (rc)
		rc = fk_pt_acquire(pt, FK_ROOT_INO, FK_PT_NEED_AT, &u);
	/* (A node reached by name is on its directory's filesystem.) */
	struct fk_statfs st;
	if (rc == 0)
		rc = fk_pt_statfs_fd(u.at.fd, &st);
	fk_pt_drop(pt, &u);
	if (rc)
		(void)fk_reply_err(req, -rc);
	else
		(void)fk_reply_statfs(req, &st);
}

/* ---- macFUSE's own operations ---- */

void fk_pt_getxtimes(fk_req *req, const struct fk_ino_in *in)
{
	struct fk_plat_stat st;
	struct timespec bkup, none = { 0, 0 };
	if (stat_node(req, in->ino, &st, &bkup, NULL) == 0)
		(void)fk_reply_xtimes(req, &bkup, st.has_btime ? &st.btime : &none);
}

void fk_pt_setvolname(fk_req *req, const struct fk_setvolname_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	/* The name macOS shows for the volume; SOURCE is not renamed. */
	char *copy = strdup(in->name);
	if (!copy) {
		(void)fk_reply_err(req, ENOMEM);
		return;
	}
	fk_pt_lock(pt);
	char *old = pt->volname;
	pt->volname = copy;
	fk_pt_unlock(pt);
	free(old);
	(void)fk_reply_err(req, 0);
}

void fk_pt_exchange(fk_req *req, const struct fk_exchange_in *in)
{
	/* exchangedata(2) is renamex_np(RENAME_SWAP) on today's macOS: the
	 * two names trade places. */
	rename_in(req, in->olddir, in->oldname, in->newdir, in->newname,
		  FK_RENAME_EXCHANGE);
}
