/*
 * ovl_write.c — the operations that change the tree, done in the upper
 * layer as kernel overlayfs does them, so either can mount what the
 * other wrote:
 *
 *  - a change to a lower object copies it up first (ovl_copyup.c), and
 *    the directories above it;
 *  - removing a name that a lower layer also has leaves a whiteout;
 *    making a name over a whiteout replaces it (a new directory there is
 *    opaque: nothing below shows through it);
 *  - renaming a directory that has lower content is refused with EXDEV
 *    (the caller copies instead, as mv does), or with redirect_dir=on
 *    records where that content is (a redirect xattr) and moves it;
 *  - a directory moved into a merged directory is made opaque.
 *
 * Whiteouts are written in the upper layer's format and read in both
 * (layer.c). Where the whiteout is a device, replacing it and removing an
 * upper object that hides a lower one are atomic: the new object (or
 * whiteout) is built in the work directory and exchanged with the old
 * one (renameat2 RENAME_EXCHANGE), as the kernel does. An OCI whiteout
 * is a separate name, and there are two steps.
 *
 * Each operation copies up what it needs first, with no tree lock held
 * (ovl.h), then holds the tree lock for writing while it changes names;
 * setattr and the xattr changes, which touch an upper object but no
 * name, hold it for reading.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../util/fk_acl.h"
#include "ovl.h"
#include "../union/un.h"

#define OVL(req) ((struct fk_ovl *)fk_req_fs(req))
#define UPPER(ovl) ((ovl)->layers[0])

/* ---- helpers ---- */

/* The request's node, or NULL after answering (ENOENT, or EROFS when
 * nothing can change). */
static struct fk_ovl_node *changing_node(fk_req *req, uint64_t id)
{
	struct fk_ovl *ovl = OVL(req);
	if (!fk_ovl_writable(ovl)) {
		(void)fk_reply_err(req, EROFS);
		return NULL;
	}
	struct fk_ovl_node *n = fk_ovl_node_get(ovl, id);
	if (!n)
		(void)fk_reply_err(req, ENOENT);
	return n;
}

/* Whiteouts and temporaries are the daemon's, as kernel overlayfs's are
 * the mounter's. */
/* Would name in dir (an upper node) show a lower object if the upper
 * layer had nothing there? 1, 0, or -errno. */
static int lower_has(struct fk_ovl *ovl, const struct fk_ovl_node *dir,
		     const char *name)
{
	if (dir->depth < 2)
		return 0;
	struct fk_ovl_found f;
	struct fk_layer_stat st;
	int rc = fk_ovl_lookup_in(ovl, dir->stack + 1, dir->depth - 1, name, &f,
				  &st);
	if (rc == 0)
		fk_ovl_found_drop(ovl, &f);
	return rc == 0 ? 1 : rc == -ENOENT ? 0 : rc;
}

/* What the upper directory has at a name. */
enum upper_state {
	UP_FREE, /* nothing */
	UP_WHITEOUT_DEV, /* a device 0/0 whiteout, which can be exchanged */
	UP_WHITEOUT_OCI, /* no object, but ".wh.NAME" */
	UP_OBJECT, /* something else */
};

/* What upper directory dir has at name: an upper_state, or -errno. */
static int upper_at(struct fk_ovl *ovl, struct fk_layer_node *dir,
		    const char *name)
{
	struct fk_layer *up = UPPER(ovl);
	struct fk_layer_stat st;
	int rc = up->ops->lookup(up, dir, name, NULL, &st);
	if (rc == -ENOENT)
		return fk_layer_whiteout_test(up, dir, name, NULL) == 1
			       ? UP_WHITEOUT_OCI
			       : UP_FREE;
	if (rc)
		return rc;
	return fk_layer_whiteout_test(up, dir, name, &st) == 1 ? UP_WHITEOUT_DEV
							      : UP_OBJECT;
}

int fk_ovl_clear_dir(struct fk_layer *up, struct fk_layer_node *dir,
		     const char *name)
{
	struct fk_layer_node *h;
	int rc = up->ops->lookup(up, dir, name, &h, NULL);
	if (rc)
		return rc;
	struct fk_layer_dir *d;
	rc = up->ops->opendir(up, h, &d);
	if (rc == 0) {
		struct fk_layer_dirent e;
		while ((rc = up->ops->readdir(up, d, &e)) == 1)
			if ((rc = up->ops->unlink(up, h, e.name)) != 0)
				break; /* -EISDIR: not a marker; not empty */
		up->ops->closedir(up, d);
	}
	up->ops->put(up, h);
	return rc == -EISDIR ? -ENOTEMPTY : rc;
}

/* Remove the upper object name in dir (a directory: with its markers). */
static int remove_upper(struct fk_ovl *ovl, struct fk_layer_node *dir,
			const char *name, int is_dir)
{
	struct fk_layer *up = UPPER(ovl);
	if (!is_dir)
		return up->ops->unlink(up, dir, name);
	int rc = fk_ovl_clear_dir(UPPER(ovl), dir, name);
	return rc ? rc : up->ops->rmdir(up, dir, name);
}

int fk_ovl_node_at(struct fk_ovl *ovl, struct fk_ovl_node *parent,
		   const char *name, struct fk_ovl_node **out)
{
	struct fk_ovl_found f;
	struct fk_layer_stat st;
	int rc = fk_ovl_lookup_found(ovl, parent, name, &f, &st);
	if (rc)
		return rc;
	*out = fk_ovl_node_enter(ovl, &f, parent, name, 0);
	return *out ? 0 : -ENOMEM;
}

/* ---- making names ---- */

int fk_ovl_make_in(struct fk_layer *l, struct fk_layer_node *dir,
		   const char *name, const struct fk_ovl_make *a,
		   struct fk_layer_node **h, struct fk_layer_stat *st)
{
	switch (a->kind) {
	case FK_OVL_MAKE_FILE:
		return l->ops->create(l, dir, name, a->flags, a->mode, &a->cred,
				      h, st);
	case FK_OVL_MAKE_DIR:
		return l->ops->mkdir(l, dir, name, a->mode, &a->cred, h, st);
	case FK_OVL_MAKE_NOD:
		return l->ops->mknod(l, dir, name, a->mode, a->rdev, &a->cred, h,
				     st);
	case FK_OVL_MAKE_SYMLINK:
		return l->ops->symlink(l, dir, name, a->target, &a->cred, h, st);
	case FK_OVL_MAKE_LINK: {
		int rc = l->ops->link(l, a->src, dir, name, st);
		if (rc == 0)
			rc = l->ops->lookup(l, dir, name, h, NULL);
		return rc;
	}
	}
	return -EINVAL;
}

struct fk_ovl_node *fk_ovl_node_made(struct fk_ovl *ovl, unsigned layer,
				     struct fk_layer_node *h,
				     const struct fk_layer_stat *st,
				     struct fk_ovl_node *parent, const char *name)
{
	struct fk_ovl_found f = { .type = st->attr.mode & S_IFMT,
				  .depth = 1,
				  .dev = st->dev,
				  .ino = st->attr.ino,
				  .hidden_at = -1,
				  .inline_refs = { { layer, h } } };
	f.stack = f.inline_refs;
	return fk_ovl_node_enter(ovl, &f, parent, name, 1);
}

void fk_ovl_reply_made(fk_req *req, struct fk_ovl_node *n, int rc, int want_fd,
		       const struct fk_entry *e)
{
	struct fk_ovl *ovl = OVL(req);
	if (rc < 0) {
		(void)fk_reply_err(req, -rc);
		return;
	}
	if (want_fd) {
		fk_ovl_node_hold(ovl, n); /* the open file's */
		fk_ovl_reply_open(req, n, rc, n->stack_gen,
				  fk_cache_open_flags(ovl->o.cache, 0), e);
		return;
	}
	if (rc > 0)
		close(rc); /* mknod of a regular file: not kept open */
	fk_ovl_reply_entry(req, e);
}

/* Make what a says as tmp in the work directory, to take the place of a
 * name in upper directory P: with what it would inherit there. Made in
 * P itself, it would get P's default ACL, the caller's umask applied only
 * where P has none; made in the work directory, it would get the work
 * directory's. So where P has a default ACL, the object is made with the
 * mode unmasked and given the ACL it would have inherited (as kernel
 * overlayfs does in ovl_create_over_whiteout); where it has none, the
 * umask is applied here. The descriptor (FILE) or 0, or -errno. */
static int make_aside(struct fk_ovl *ovl, struct fk_layer_node *P,
		      const char *tmp, const struct fk_ovl_make *a,
		      struct fk_layer_node **h, struct fk_layer_stat *st)
{
	struct fk_layer *up = UPPER(ovl);
	struct fk_layer_node *work = ovl->work;
	struct fk_ovl_make aside = *a;
	unsigned char acl[FK_ACL_XATTR_MAX];
	int len = -ENODATA;
	if (up->acls && a->kind != FK_OVL_MAKE_SYMLINK && a->kind != FK_OVL_MAKE_LINK)
		len = up->ops->getxattr(up, P, FK_ACL_DEFAULT_XATTR, acl, sizeof acl);
	if (len < 0 && len != -ENODATA && len != -EOPNOTSUPP)
		return len;
	if (len <= 0) {
		aside.mode &= ~aside.cred.umask;
		aside.cred.umask = 0;
		return fk_ovl_make_in(up, work, tmp, &aside, h, st);
	}
	/* The default ACL, then the access ACL it gives this mode. */
	unsigned char access[FK_ACL_XATTR_MAX];
	memcpy(access, acl, (size_t)len);
	int rc = fk_acl_create_masq(access, (size_t)len, &aside.mode);
	if (rc)
		return rc;
	aside.cred.umask = 0;
	int fd = fk_ovl_make_in(up, work, tmp, &aside, h, st);
	if (fd < 0)
		return fd;
	rc = up->ops->setxattr(up, *h, FK_ACL_ACCESS_XATTR, access, (size_t)len, 0);
	if (rc == 0 && a->kind == FK_OVL_MAKE_DIR)
		rc = up->ops->setxattr(up, *h, FK_ACL_DEFAULT_XATTR, acl, (size_t)len, 0);
	if (rc == 0)
		rc = up->ops->getattr(up, *h, st);
	if (rc) {
		if (fd > 0)
			close(fd);
		(void)remove_upper(ovl, work, tmp, a->kind == FK_OVL_MAKE_DIR);
		up->ops->put(up, *h);
		*h = NULL;
		return rc;
	}
	return fd;
}

/* Make name in parent (an upper node) where the merged view has nothing:
 * over a whiteout if there is one. The new node gets a kernel
 * reference. Returns the descriptor for FK_OVL_MAKE_FILE, else 0; or -errno. */
static int make_name(struct fk_ovl *ovl, struct fk_ovl_node *parent,
		     const char *name, const struct fk_ovl_make *a,
		     struct fk_ovl_node **out, struct fk_layer_stat *st)
{
	struct fk_layer *up = UPPER(ovl);
	struct fk_layer_node *P = parent->stack[0].h, *h = NULL;
	int at = upper_at(ovl, P, name);
	if (at < 0)
		return at;
	if (at == UP_OBJECT)
		return -EEXIST; /* shown nowhere, yet there: a marker name */
	int wh = at != UP_FREE, fd;
	if (at == UP_WHITEOUT_DEV) {
		/* Built aside, then exchanged with the whiteout in one step. */
		char tmp[FK_LAYER_STAGE_NAME_MAX];
		fk_layer_stage_name(ovl->layers[0], tmp);
		fd = make_aside(ovl, P, tmp, a, &h, st);
		const struct fk_layer_cred me = fk_ovl_own_cred();
		int rc = fd < 0 ? fd
			 : a->kind == FK_OVL_MAKE_DIR ? fk_layer_opaque_set(up, h, &me)
					       : 0;
		if (rc == 0)
			rc = up->ops->rename(up, ovl->work, tmp, P, name,
					     FK_RENAME_EXCHANGE);
		if (rc == 0) {
			/* The whiteout is in the work directory now; failing
			 * to remove it leaves garbage nobody sees. An OCI
			 * twin beside the new object would hide nothing of
			 * it, but goes too (none is the usual answer). */
			(void)up->ops->unlink(up, ovl->work, tmp);
			(void)fk_layer_whiteout_delete(up, P, name);
		} else {
			if (fd >= 0) {
				if (fd > 0)
					close(fd);
				(void)remove_upper(ovl, ovl->work, tmp,
						   a->kind == FK_OVL_MAKE_DIR);
				up->ops->put(up, h);
			}
			return rc; /* nothing made, or nothing left */
		}
	} else {
		if (wh && (fd = fk_layer_whiteout_delete(up, P, name)) != 0)
			return fd;
		fd = fk_ovl_make_in(up, P, name, a, &h, st);
		if (fd >= 0 && wh && a->kind == FK_OVL_MAKE_DIR) {
			const struct fk_layer_cred me = fk_ovl_own_cred();
			int rc = fk_layer_opaque_set(up, h, &me);
			if (rc) {
				if (fd > 0)
					close(fd);
				(void)remove_upper(ovl, P, name, 1);
				fd = rc;
			}
		}
		if (fd < 0 && wh) {
			const struct fk_layer_cred me = fk_ovl_own_cred();
			/* Put the whiteout back; failing, the lower name shows
			 * again, which the error reported does not say. */
			(void)fk_layer_whiteout_create(up, P, name, &me);
		}
		if (fd < 0) {
			up->ops->put(up, h);
			return fd;
		}
	}
	*out = fk_ovl_node_made(ovl, 0, h, st, parent, name);
	if (!*out) {
		if (fd > 0)
			close(fd);
		return -ENOMEM; /* made, but not known: a lookup finds it */
	}
	return fd;
}

/* The create-type requests: copy the parent up, check the name is free
 * in the merged view, make it, answer with the entry (and for create, the
 * open file). */
static void make_request(fk_req *req, uint64_t parent_id, const char *name,
			 struct fk_ovl_make *a, struct fk_ovl_node *linked)
{
	struct fk_ovl *ovl = OVL(req);
	fk_nt_admit(&ovl->nodes, fk_req_session(req));
	if (ovl->un) {
		fk_un_make(req, parent_id, name, a, linked);
		return;
	}
	struct fk_ovl_node *parent = changing_node(req, parent_id);
	if (!parent)
		return;
	struct fk_ovl_found f;
	struct fk_layer_stat st;
	struct fk_ovl_node *n = NULL;
	/* ".wh.NAME" is NAME's whiteout in every layer: such names are the
	 * layers' own. */
	int rc = fk_layer_is_marker_name(UPPER(ovl), name) ? -EINVAL : 0;
	if (rc == 0)
		rc = fk_ovl_copy_up(ovl, fk_req_session(req), parent);
	if (rc == 0 && linked)
		rc = fk_ovl_copy_up(ovl, fk_req_session(req), linked);
	fk_ovl_tree_write(ovl);
	/* Copied up above, upper for good. */
	assert(rc || (parent->stack[0].layer == 0 &&
		      (!linked || linked->stack[0].layer == 0)));
	if (rc == 0 && linked)
		a->src = linked->stack[0].h;
	if (rc == 0) {
		rc = fk_ovl_lookup_found(ovl, parent, name, &f, &st);
		if (rc == 0) {
			fk_ovl_found_drop(ovl, &f);
			rc = -EEXIST;
		} else if (rc == -ENOENT) {
			rc = make_name(ovl, parent, name, a, &n, &st);
		}
	}
	struct fk_entry e;
	if (rc >= 0)
		fk_ovl_dircache_drop(ovl, parent);
	if (rc >= 0) {
		if (linked)
			n->origin_ino = linked->origin_ino; /* one inode, one number */
		fk_ovl_entry_of(ovl, n, &st, &e);
	}
	fk_ovl_tree_unlock(ovl);
	fk_ovl_node_put(ovl, parent);
	fk_ovl_reply_made(req, n, rc, a->kind == FK_OVL_MAKE_FILE && a->want_fd, &e);
}

static void ovl_create(fk_req *req, const struct fk_create_in *in)
{
	struct fk_ovl_make a = { FK_OVL_MAKE_FILE, in->mode & 07777, 0,
			       (int)in->flags & ~(O_CREAT | O_EXCL | O_NOCTTY),
			       1, NULL, NULL, fk_ovl_cred_of(req) };
	make_request(req, in->parent, in->name, &a, NULL);
}

void fk_ovl_tmpfile_in(fk_req *req, struct fk_ovl_node *parent, int rc,
		       unsigned layer, struct fk_layer_node *dir,
		       const struct fk_create_in *in)
{
	struct fk_ovl *ovl = OVL(req);
	assert(fk_ovl_tree_held() == FK_OVL_TREE_WRITE);
	struct fk_layer *l = ovl->layers[layer];
	const struct fk_layer_cred cred = fk_ovl_cred_of(req);
	struct fk_layer_node *h = NULL;
	struct fk_layer_stat st;
	int fd = rc		      ? rc
		 : !l->ops->tmpfile ? -EOPNOTSUPP
				    : l->ops->tmpfile(l, dir,
						      (int)in->flags & ~(O_CREAT | O_EXCL),
						      in->mode & 07777, &cred, &h, &st);
	struct fk_ovl_node *n = fd >= 0 ? fk_ovl_node_made(ovl, layer, h, &st, NULL, NULL)
					: NULL;
	struct fk_entry e;
	if (n)
		fk_ovl_entry_of(ovl, n, &st, &e);
	fk_ovl_tree_unlock(ovl);
	fk_ovl_node_put(ovl, parent);
	if (!n && fd >= 0) {
		close(fd);
		fd = -ENOMEM;
	}
	fk_ovl_reply_made(req, n, fd, 1, &e);
}

/* O_TMPFILE: an unnamed file in the parent's upper directory (copied up
 * first, as kernel overlayfs does); a link names it later. */
static void ovl_tmpfile(fk_req *req, const struct fk_create_in *in)
{
	struct fk_ovl *ovl = OVL(req);
	fk_nt_admit(&ovl->nodes, fk_req_session(req));
	if (ovl->un) {
		fk_un_tmpfile(req, in);
		return;
	}
	struct fk_ovl_node *parent = changing_node(req, in->parent);
	if (!parent)
		return;
	int rc = fk_ovl_copy_up(ovl, fk_req_session(req), parent);
	fk_ovl_tree_write(ovl);
	fk_ovl_tmpfile_in(req, parent, rc, 0, rc ? NULL : parent->stack[0].h, in);
}

static void ovl_mkdir(fk_req *req, const struct fk_mkdir_in *in)
{
	struct fk_ovl_make a = { FK_OVL_MAKE_DIR, in->mode & 07777, 0, 0, 0, NULL, NULL,
			       fk_ovl_cred_of(req) };
	make_request(req, in->parent, in->name, &a, NULL);
}

static void ovl_mknod(fk_req *req, const struct fk_mknod_in *in)
{
	/* A regular file is made as create makes it, but not kept open. */
	int reg = S_ISREG(in->mode);
	struct fk_ovl_make a = { reg ? FK_OVL_MAKE_FILE : FK_OVL_MAKE_NOD,
			       reg ? in->mode & 07777 : in->mode, in->rdev, O_RDONLY,
			       0, NULL, NULL, fk_ovl_cred_of(req) };
	make_request(req, in->parent, in->name, &a, NULL);
}

static void ovl_symlink(fk_req *req, const struct fk_symlink_in *in)
{
	struct fk_ovl_make a = { FK_OVL_MAKE_SYMLINK, 0, 0, 0, 0, in->target, NULL,
			       fk_ovl_cred_of(req) };
	make_request(req, in->parent, in->name, &a, NULL);
}

static void ovl_link(fk_req *req, const struct fk_link_in *in)
{
	struct fk_ovl *ovl = OVL(req);
	struct fk_ovl_node *n = changing_node(req, in->ino);
	if (!n)
		return;
	struct fk_ovl_make a = { FK_OVL_MAKE_LINK, 0, 0, 0, 0, NULL, NULL, fk_ovl_cred_of(req) };
	make_request(req, in->newparent, in->newname, &a, n);
	fk_ovl_node_put(ovl, n);
}

/* ---- removing names ---- */

/* Take name (node n) out of parent (an upper node) as kernel overlayfs
 * does: what is upper goes, and a whiteout hides what is lower. */
static int remove_name(struct fk_ovl *ovl, struct fk_ovl_node *parent,
		       const char *name, const struct fk_ovl_node *n)
{
	struct fk_layer *up = UPPER(ovl);
	struct fk_layer_node *P = parent->stack[0].h;
	const struct fk_layer_cred me = fk_ovl_own_cred();
	int is_dir = n->type == S_IFDIR;
	if (n->stack[0].layer != 0) /* only lower: hide it */
		return fk_layer_whiteout_create(up, P, name, &me);
	/* Upper, and a merged directory has its lower part in the stack;
	 * else only a lookup below tells. */
	int below = is_dir && n->depth > 1 ? 1 : lower_has(ovl, parent, name);
	if (below < 0)
		return below;
	if (!below)
		return remove_upper(ovl, P, name, is_dir);
	if (up->whiteout != FK_LAYER_WH_CHARDEV) {
		int rc = remove_upper(ovl, P, name, is_dir);
		if (rc == 0)
			rc = fk_layer_whiteout_create(up, P, name, &me);
		return rc == -EEXIST ? 0 : rc; /* the name is gone: a twin */
	}
	/* A whiteout built aside takes the object's place in one step; the
	 * object, now in the work directory, goes after. */
	char tmp[FK_LAYER_STAGE_NAME_MAX];
	fk_layer_stage_name(ovl->layers[0], tmp);
	int rc = fk_layer_whiteout_create(up, ovl->work, tmp, &me);
	if (rc == 0) {
		rc = up->ops->rename(up, ovl->work, tmp, P, name, FK_RENAME_EXCHANGE);
		if (rc)
			(void)up->ops->unlink(up, ovl->work, tmp); /* failing: unseen */
	}
	if (rc == 0)
		(void)remove_upper(ovl, ovl->work, tmp, is_dir); /* failing: unseen */
	return rc;
}

static void remove_request(fk_req *req, const struct fk_name_in *in, int rmdir)
{
	struct fk_ovl *ovl = OVL(req);
	if (ovl->un) {
		fk_un_remove(req, in, rmdir);
		return;
	}
	struct fk_ovl_node *parent = changing_node(req, in->parent);
	if (!parent)
		return;
	struct fk_ovl_node *n = NULL;
	int rc = fk_ovl_copy_up(ovl, fk_req_session(req), parent);
	fk_ovl_tree_write(ovl);
	if (rc == 0)
		rc = fk_ovl_node_at(ovl, parent, in->name, &n);
	if (rc == 0) {
		if (rmdir && n->type != S_IFDIR) {
			rc = -ENOTDIR;
		} else if (!rmdir && n->type == S_IFDIR) {
			rc = -EISDIR;
		} else if (rmdir) {
			rc = fk_ovl_dir_empty(ovl, n);
			rc = rc == 1 ? 0 : rc == 0 ? -ENOTEMPTY : rc;
		}
		if (rc == 0)
			rc = remove_name(ovl, parent, in->name, n);
		fk_ovl_dircache_drop(ovl, parent);
		fk_ovl_node_put(ovl, n);
	}
	fk_ovl_tree_unlock(ovl);
	fk_ovl_node_put(ovl, parent);
	(void)fk_reply_err(req, -rc);
}

static void ovl_unlink(fk_req *req, const struct fk_name_in *in)
{
	remove_request(req, in, 0);
}

static void ovl_rmdir(fk_req *req, const struct fk_name_in *in)
{
	remove_request(req, in, 1);
}

/* ---- rename ---- */

/* Is n a directory that has lower content (kernel overlayfs: EXDEV
 * without redirect_dir)? */
static int dir_with_lower(const struct fk_ovl_node *n)
{
	return n->type == S_IFDIR && (n->stack[0].layer != 0 || n->depth > 1);
}

/* Before directory n, which has lower content, moves: record on its
 * upper directory where that content is, as kernel overlayfs's
 * redirect_dir=on does: its old name when it stays in its directory,
 * else the path from the root to its old place (through the redirects of
 * its ancestors). -EXDEV when the path is too long: mv copies then. */
static int set_redirect(struct fk_ovl *ovl, struct fk_ovl_node *n, int samedir)
{
	struct fk_layer *up = UPPER(ovl);
	char *have = fk_ovl_redirect_of(ovl, 0, n->stack[0].h);
	int keep = have && (samedir || have[0] == '/');
	free(have);
	if (keep)
		return 0; /* it still says where the lower content is */
	char path[4096];
	const char *value = n->name;
	if (!samedir) {
		size_t at = sizeof path - 1;
		path[at] = 0;
		for (const struct fk_ovl_node *d = n; d->parent; d = d->parent) {
			char *r = d->stack[0].layer == 0
					  ? fk_ovl_redirect_of(ovl, 0, d->stack[0].h)
					  : NULL;
			const char *comp = r ? r : d->name;
			size_t len = strlen(comp);
			if (len + 1 > at) {
				free(r);
				return -EXDEV;
			}
			at -= len;
			memcpy(path + at, comp, len);
			free(r);
			if (path[at] == '/')
				break; /* an absolute redirect: the path is whole */
			path[--at] = '/';
		}
		value = path + at;
	}
	char name[64];
	snprintf(name, sizeof name, "%sredirect", up->xattr_prefix);
	int rc = up->ops->setxattr(up, n->stack[0].h, name, value, strlen(value), 0);
	return rc == -EOPNOTSUPP ? -EXDEV : rc;
}

/* A directory moved into a merged directory must not merge with what
 * the layers below have there: kernel overlayfs marks it opaque. */
static int opaque_if_merged(struct fk_ovl *ovl, struct fk_ovl_node *n,
			    const struct fk_ovl_node *newparent)
{
	if (n->type != S_IFDIR || newparent->depth < 2)
		return 0;
	struct fk_layer *up = UPPER(ovl);
	if (fk_layer_opaque_test(up, n->stack[0].h) == 1)
		return 0;
	const struct fk_layer_cred me = fk_ovl_own_cred();
	return fk_layer_opaque_set(up, n->stack[0].h, &me);
}

int fk_ovl_rename_nodes(struct fk_ovl *ovl, struct fk_ovl_node *p,
			const char *name, struct fk_ovl_node *np,
			const char *newname, unsigned flags,
			struct fk_ovl_node **n, struct fk_ovl_node **d)
{
	assert(fk_ovl_tree_held() == FK_OVL_TREE_WRITE);
	*n = *d = NULL;
	int rc = fk_ovl_node_at(ovl, p, name, n);
	if (rc == 0) {
		rc = fk_ovl_node_at(ovl, np, newname, d);
		if (rc == -ENOENT)
			rc = (flags & FK_RENAME_EXCHANGE) ? -ENOENT : 0;
	}
	if (rc == 0 && *d && (flags & FK_RENAME_NOREPLACE))
		rc = -EEXIST;
	return rc ? rc : *n == *d;
}

int fk_ovl_rename_replaceable(struct fk_ovl *ovl, struct fk_ovl_node *n,
			      struct fk_ovl_node *d, unsigned flags)
{
	if (!d || (flags & FK_RENAME_EXCHANGE))
		return 0;
	if (n->type == S_IFDIR && d->type != S_IFDIR)
		return -ENOTDIR;
	if (n->type != S_IFDIR && d->type == S_IFDIR)
		return -EISDIR;
	if (d->type != S_IFDIR)
		return 0;
	int rc = fk_ovl_dir_empty(ovl, d);
	return rc == 1 ? 0 : rc == 0 ? -ENOTEMPTY : rc;
}

/* Under the tree write lock, with p and np upper: rename name in p to
 * newname in np. -EAGAIN when a node it moves is still lower: *copy is
 * that node (a reference), to copy up with the lock let go, and then all
 * of it is decided again. */
static int do_rename(struct fk_ovl *ovl, struct fk_ovl_node *p,
		     const char *name, struct fk_ovl_node *np,
		     const char *newname, unsigned flags,
		     struct fk_ovl_node **copy)
{
	assert(fk_ovl_tree_held() == FK_OVL_TREE_WRITE);
	assert(p->stack[0].layer == 0 && np->stack[0].layer == 0);
	struct fk_layer *up = UPPER(ovl);
	struct fk_ovl_node *n = NULL, *d = NULL;
	int rc = fk_ovl_rename_nodes(ovl, p, name, np, newname, flags, &n, &d);
	if (rc)
		goto out; /* 1: the same file under both names, nothing to do */
	/* A directory with lower content moves only with a redirect. */
	int redirect = ovl->o.redirect_dir == FK_OVL_REDIRECT_ON;
	int n_lower = dir_with_lower(n);
	int d_lower = d && (flags & FK_RENAME_EXCHANGE) && dir_with_lower(d);
	if ((n_lower || d_lower) && !redirect) {
		rc = -EXDEV;
		goto out;
	}
	rc = fk_ovl_rename_replaceable(ovl, n, d, flags);
	if (rc)
		goto out;
	struct fk_ovl_node *lower = n->stack[0].layer != 0 ? n
				    : d && (flags & FK_RENAME_EXCHANGE) &&
						      d->stack[0].layer != 0
					    ? d
					    : NULL;
	if (lower) {
		fk_ovl_node_hold(ovl, lower);
		*copy = lower;
		rc = -EAGAIN;
		goto out;
	}
	rc = n_lower ? set_redirect(ovl, n, p == np)
			     : opaque_if_merged(ovl, n, np);
	if (rc == 0 && d && (flags & FK_RENAME_EXCHANGE))
		rc = d_lower ? set_redirect(ovl, d, p == np)
			     : opaque_if_merged(ovl, d, p);
	if (rc)
		goto out;
	struct fk_layer_node *P = p->stack[0].h, *NP = np->stack[0].h;
	if (flags & FK_RENAME_EXCHANGE) {
		rc = up->ops->rename(up, P, name, NP, newname, FK_RENAME_EXCHANGE);
		if (rc == 0)
			rc = fk_ovl_node_move(ovl, d, p, name);
	} else {
		int below = lower_has(ovl, p, name);
		int at = upper_at(ovl, NP, newname);
		int chardev = up->whiteout == FK_LAYER_WH_CHARDEV;
		rc = below < 0 ? below : at < 0 ? at : 0;
		/* An object where the merged view had none: the host made it
		 * just now (d is NULL). */
		if (rc == 0 && at == UP_OBJECT && !d && (flags & FK_RENAME_NOREPLACE))
			rc = -EEXIST;
		if (rc == 0 && at == UP_OBJECT && d && d->type == S_IFDIR)
			rc = fk_ovl_clear_dir(UPPER(ovl), NP, newname);
		if (rc == 0 && at == UP_WHITEOUT_OCI)
			rc = fk_layer_whiteout_delete(up, NP, newname);
		if (rc == 0 && at == UP_WHITEOUT_DEV && n->type == S_IFDIR) {
			/* A directory cannot replace the whiteout (a file):
			 * it swaps places with it, and the whiteout is then
			 * where the directory was. */
			rc = up->ops->rename(up, P, name, NP, newname,
					     FK_RENAME_EXCHANGE);
			if (rc == 0 && !below)
				rc = up->ops->unlink(up, P, name);
		} else if (rc == 0) {
			/* The whiteout in the same step where the host can;
			 * NOREPLACE again where newname is free in the upper
			 * layer, for what the host may make there meanwhile. */
			unsigned keep = (flags & FK_RENAME_NOREPLACE) &&
							(at == UP_FREE || at == UP_WHITEOUT_OCI)
						? FK_RENAME_NOREPLACE
						: 0;
			unsigned wflag = (below && chardev ? FK_RENAME_WHITEOUT : 0) | keep;
			int whiteout_after = below && !chardev;
			rc = up->ops->rename(up, P, name, NP, newname, wflag);
			if (rc == -EINVAL && (wflag & FK_RENAME_WHITEOUT)) {
				rc = up->ops->rename(up, P, name, NP, newname, keep);
				whiteout_after = 1;
			}
			const struct fk_layer_cred me = fk_ovl_own_cred();
			if (rc == 0 && whiteout_after)
				rc = fk_layer_whiteout_create(up, P, name, &me);
		}
	}
	if (rc == 0)
		rc = fk_ovl_node_move(ovl, n, np, newname);
	fk_ovl_dircache_drop(ovl, p);
	fk_ovl_dircache_drop(ovl, np);
out:
	fk_ovl_node_put(ovl, n);
	fk_ovl_node_put(ovl, d);
	return rc == 1 ? 0 : rc;
}

static void ovl_rename(fk_req *req, const struct fk_rename_in *in)
{
	struct fk_ovl *ovl = OVL(req);
	if (in->flags & ~(FK_RENAME_NOREPLACE | FK_RENAME_EXCHANGE)) {
		/* RENAME_WHITEOUT: the overlay's own business, as on kernel
		 * overlayfs. */
		(void)fk_reply_err(req, EINVAL);
		return;
	}
	if (ovl->un) {
		fk_un_rename(req, in);
		return;
	}
	struct fk_ovl_node *p = changing_node(req, in->parent);
	if (!p)
		return;
	struct fk_ovl_node *np = fk_ovl_node_get(ovl, in->newparent);
	int rc = !np ? -ENOENT
		 : fk_layer_is_marker_name(UPPER(ovl), in->newname) ? -EINVAL
								     : 0;
	fk_session *se = fk_req_session(req);
	/* Copy-ups first, with no lock; then the rename decides under the
	 * write lock, and asks for another copy-up when it finds a lower
	 * node to move (then it decides again). */
	if (rc == 0)
		rc = fk_ovl_copy_up(ovl, se, p);
	if (rc == 0)
		rc = fk_ovl_copy_up(ovl, se, np);
	for (int tries = 0; rc == 0; tries++) {
		struct fk_ovl_node *copy = NULL;
		fk_ovl_tree_write(ovl);
		rc = do_rename(ovl, p, in->name, np, in->newname, in->flags, &copy);
		fk_ovl_tree_unlock(ovl);
		if (rc != -EAGAIN || !copy)
			break;
		/* Each pass copies a node up for good: two at most, unless
		 * the names keep being replaced meanwhile. */
		rc = tries < FK_OVL_COPY_TRIES ? fk_ovl_copy_up(ovl, se, copy) : -EAGAIN;
		fk_ovl_node_put(ovl, copy);
		if (rc)
			break;
	}
	fk_ovl_node_put(ovl, np);
	fk_ovl_node_put(ovl, p);
	(void)fk_reply_err(req, -rc);
}

/* ---- attributes and xattrs: on the upper copy ---- */

static void ovl_setattr(fk_req *req, const struct fk_setattr_in *in)
{
	struct fk_ovl *ovl = OVL(req);
	if (ovl->un) {
		fk_un_setattr(req, in);
		return;
	}
	struct fk_ovl_node *n = changing_node(req, in->ino);
	if (!n)
		return;
	struct fk_layer *up = UPPER(ovl);
	struct fk_layer_stat st;
	int rc = fk_ovl_copy_up(ovl, fk_req_session(req), n);
	/* Upper now: its attributes change on the host, not in the tree. */
	fk_ovl_tree_read(ovl);
	assert(rc || n->stack[0].layer == 0);
	if (rc == 0 && (in->valid & FK_SET_SIZE) && in->has_fh) {
		/* ftruncate: on the open file, which is the upper one */
		const struct ovl_file *f = (const struct ovl_file *)(uintptr_t)in->fh;
		rc = ftruncate(f->fd, (off_t)in->size) < 0 ? -errno : 0;
	}
	if (rc == 0) {
		struct fk_setattr_in rest = *in;
		if (in->has_fh)
			rest.valid &= ~FK_SET_SIZE;
		rc = fk_layer_kill_for(up, n->stack[0].h, fk_req_ctx(req), NULL,
				       &rest);
		if (rc == 0)
			rc = up->ops->setattr(up, n->stack[0].h, &rest, &st);
	}
	struct fk_attr a;
	if (rc == 0)
		rc = fk_ovl_attr_of(ovl, n, &st, &a);
	fk_ovl_tree_unlock(ovl);
	uint64_t attr_ns = fk_ovl_attr_ns(ovl, n);
	fk_ovl_node_put(ovl, n);
	if (rc)
		(void)fk_reply_err(req, -rc);
	else
		(void)fk_reply_attr(req, &a, attr_ns);
}

/* Drop set-group-ID from upper node h, whose access ACL a caller
 * outside its group set (FK_SETXATTR_ACL_KILL_SGID), as
 * posix_acl_update_mode would; the host, asked by us, keeps it. */
static int acl_kill_sgid(struct fk_layer *up, struct fk_layer_node *h)
{
	struct fk_layer_stat st;
	int rc = up->ops->getattr(up, h, &st);
	if (rc || !(st.attr.mode & S_ISGID))
		return rc;
	struct fk_setattr_in in = { .valid = FK_SET_MODE,
				    .mode = st.attr.mode & 07777 & ~(uint32_t)S_ISGID };
	return up->ops->setattr(up, h, &in, NULL);
}

/* setxattr (value non-NULL) or removexattr, on the upper copy. The
 * overlay's own xattrs cannot be changed through it. setxattr_flags:
 * the kernel's FK_SETXATTR_* (0 for removexattr). */
static void change_xattr(fk_req *req, uint64_t ino, const char *name,
			 const void *value, size_t size, int flags,
			 uint32_t setxattr_flags)
{
	struct fk_ovl *ovl = OVL(req);
	if (ovl->un) {
		fk_un_change_xattr(req, ino, name, value, size, flags);
		return;
	}
	struct fk_ovl_node *n = changing_node(req, ino);
	if (!n)
		return;
	struct fk_layer *up = UPPER(ovl);
	int rc = fk_ovl_xattr_refused(ovl, name);
	if (rc == 0 && fk_layer_is_marker_xattr(up, name))
		rc = -EPERM;
	fk_ovl_tree_read(ovl);
	if (rc == 0 && !value && n->stack[0].layer != 0) {
		/* Nothing to remove: no copy-up (as kernel overlayfs). */
		struct fk_layer *lo = ovl->layers[n->stack[0].layer];
		rc = lo->ops->getxattr(lo, n->stack[0].h, name, NULL, 0);
		rc = rc < 0 ? rc : 0;
	}
	fk_ovl_tree_unlock(ovl);
	if (rc == 0)
		rc = fk_ovl_copy_up(ovl, fk_req_session(req), n);
	/* Upper now: its xattrs change on the host, not in the tree (the
	 * overlay's own markers cannot be changed through it). */
	fk_ovl_tree_read(ovl);
	assert(rc || n->stack[0].layer == 0);
	if (rc == 0)
		rc = value ? up->ops->setxattr(up, n->stack[0].h, name, value, size,
					       flags)
			   : up->ops->removexattr(up, n->stack[0].h, name);
	if (rc == 0 && (setxattr_flags & FK_SETXATTR_ACL_KILL_SGID) &&
	    !strcmp(name, FK_ACL_ACCESS_XATTR))
		rc = acl_kill_sgid(up, n->stack[0].h);
	fk_ovl_tree_unlock(ovl);
	fk_ovl_node_put(ovl, n);
	(void)fk_reply_err(req, -rc);
}

static void ovl_setxattr(fk_req *req, const struct fk_setxattr_in *in)
{
	/* A zero-length value is a value: "" stands in for NULL. */
	change_xattr(req, in->ino, in->name, in->value ? in->value : "", in->size,
		     (int)in->flags, in->setxattr_flags);
}

static void ovl_removexattr(fk_req *req, const struct fk_removexattr_in *in)
{
	change_xattr(req, in->ino, in->name, NULL, 0, 0, 0);
}

void fk_ovl_write_ops(struct fk_ops *ops)
{
	ops->create = ovl_create;
	ops->tmpfile = ovl_tmpfile;
	ops->mkdir = ovl_mkdir;
	ops->mknod = ovl_mknod;
	ops->symlink = ovl_symlink;
	ops->link = ovl_link;
	ops->unlink = ovl_unlink;
	ops->rmdir = ovl_rmdir;
	ops->rename = ovl_rename;
	ops->setattr = ovl_setattr;
	ops->setxattr = ovl_setxattr;
	ops->removexattr = ovl_removexattr;
}
