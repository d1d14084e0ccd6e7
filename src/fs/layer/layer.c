/*
 * layer.c — what every layer shares: setup, and whiteouts and opaque
 * directories written and read through a layer's ops (fk_layer.h).
 *
 *                 whiteout of NAME          opaque directory
 *   chardev       char device 0/0 NAME      xattr <prefix>opaque = "y"
 *   OCI           empty file .wh.NAME       file .wh..wh..opq inside
 *
 * A layer writes in the one format its creator chose, but every format is
 * read in every layer, always: container tools mix them. containers/
 * storage applies image layers with OCI whiteouts into the directories a
 * mount_program then stacks, kernel overlayfs and fuse-overlayfs write
 * device whiteouts, and fuse-overlayfs marks opaque directories in both
 * ways, with its own xattr (user.fuseoverlayfs.opaque) or with
 * user.overlay.opaque where trusted.* xattrs are not allowed. Names with
 * the OCI prefix are never objects of their own.
 *
 * In the OCI format a whiteout hides NAME in the layers below only; a
 * NAME beside it in the same layer shows (OCI image-spec). A directory
 * beside its own whiteout is therefore one whose lower content was
 * deleted: opaque (fk_layer_opaque_test does not tell that; the caller,
 * which has looked the name up, does).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fusekit/fk_layer.h>

#include "../../platform/fk_platform.h"
#include "../../util/fk_caller.h"
#include "../../util/fk_mode.h"

#define FUSEOVERLAYFS_XATTR "user.fuseoverlayfs."

void fk_layer_init(struct fk_layer *l, const struct fk_layer_ops *ops)
{
	memset(l, 0, sizeof *l);
	l->ops = ops;
#ifdef __APPLE__
	/* macOS users cannot make device nodes, and macFUSE has no 0/0. */
	l->whiteout = FK_LAYER_WH_OCI;
#else
	l->whiteout = FK_LAYER_WH_CHARDEV;
#endif
	/* trusted.* where it can be written, as kernel overlayfs; else the
	 * user.* names kernel overlayfs's userxattr mode uses (the daemon as
	 * root of a user namespace: rootless containers). */
	snprintf(l->xattr_prefix, sizeof l->xattr_prefix, "%s",
		 fk_plat_trusted_xattrs() ? "trusted.overlay." : "user.overlay.");
}

void fk_layer_stage_name(struct fk_layer *l, char buf[FK_LAYER_STAGE_NAME_MAX])
{
	uint64_t count = __atomic_fetch_add(&l->staged, 1, __ATOMIC_RELAXED);
	snprintf(buf, FK_LAYER_STAGE_NAME_MAX, "#fk%llx", (unsigned long long)count);
}

void fk_layer_free(struct fk_layer *l)
{
	if (l)
		l->ops->destroy(l);
}

/* ".wh." + name into buf (NAME_MAX + 1 bytes): 0 or -ENAMETOOLONG. */
static int oci_name(char buf[static 256], const char *name)
{
	size_t n = strlen(name);
	if (n + strlen(FK_LAYER_OCI_PREFIX) > 255)
		return -ENAMETOOLONG;
	snprintf(buf, 256, FK_LAYER_OCI_PREFIX "%s", name);
	return 0;
}

/* An empty regular file name in parent, owned by cred. */
static int make_empty_file(struct fk_layer *l, struct fk_layer_node *parent,
			   const char *name, const struct fk_layer_cred *cred)
{
	int fd = l->ops->create(l, parent, name, O_WRONLY, 0644, cred, NULL, NULL);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* Does name exist in parent? 1, 0, or -errno. */
static int exists(struct fk_layer *l, struct fk_layer_node *parent,
		  const char *name)
{
	int rc = l->ops->lookup(l, parent, name, NULL, NULL);
	if (rc == -ENOENT || rc == -ENAMETOOLONG)
		return 0;
	return rc < 0 ? rc : 1;
}

static int is_chardev_whiteout(const struct fk_layer_stat *st)
{
	return S_ISCHR(st->attr.mode) && st->attr.rdev == 0;
}

int fk_layer_whiteout_create(struct fk_layer *l, struct fk_layer_node *parent,
			     const char *name, const struct fk_layer_cred *cred)
{
	if (l->whiteout == FK_LAYER_WH_CHARDEV)
		return l->ops->mknod(l, parent, name, S_IFCHR, 0, cred, NULL, NULL);
	char wh[256];
	int rc = oci_name(wh, name);
	return rc ? rc : make_empty_file(l, parent, wh, cred);
}

int fk_layer_whiteout_test(struct fk_layer *l, struct fk_layer_node *parent,
			   const char *name, const struct fk_layer_stat *st)
{
	if (st)
		return is_chardev_whiteout(st);
	char wh[256];
	if (oci_name(wh, name))
		return 0; /* no whiteout can have so long a name */
	return exists(l, parent, wh);
}

int fk_layer_whiteout_delete(struct fk_layer *l, struct fk_layer_node *parent,
			     const char *name)
{
	int found = 0;
	struct fk_layer_stat st;
	int rc = l->ops->lookup(l, parent, name, NULL, &st);
	if (rc == 0 && is_chardev_whiteout(&st)) {
		if ((rc = l->ops->unlink(l, parent, name)) != 0)
			return rc;
		found = 1;
	} else if (rc && rc != -ENOENT) {
		return rc;
	}
	char wh[256];
	if (oci_name(wh, name) == 0) {
		rc = l->ops->unlink(l, parent, wh);
		if (rc && rc != -ENOENT)
			return rc;
		found |= rc == 0;
	}
	return found ? 0 : -ENOENT;
}

int fk_layer_opaque_set(struct fk_layer *l, struct fk_layer_node *dir,
			const struct fk_layer_cred *cred)
{
	if (l->whiteout == FK_LAYER_WH_OCI) {
		int rc = make_empty_file(l, dir, FK_LAYER_OCI_OPAQUE, cred);
		return rc == -EEXIST ? 0 : rc;
	}
	char name[64];
	snprintf(name, sizeof name, "%sopaque", l->xattr_prefix);
	return l->ops->setxattr(l, dir, name, "y", 1, 0);
}

/* Is xattr name on n set to "y"? 1, 0, or -errno. */
static int xattr_is_y(struct fk_layer *l, struct fk_layer_node *n,
		      const char *name)
{
	char v[2];
	int rc = l->ops->getxattr(l, n, name, v, sizeof v);
	if (rc == -ENODATA || rc == -EOPNOTSUPP || rc == -ERANGE)
		return 0; /* unset, unsupported, or not "y" */
	if (rc < 0)
		return rc;
	return rc == 1 && v[0] == 'y';
}

/* The xattrs that mark a directory opaque, whoever wrote them. */
static const char *const opaque_xattrs[] = {
	"trusted.overlay.opaque", /* kernel overlayfs, fuse-overlayfs as root */
	"user.overlay.opaque", /* kernel overlayfs's userxattr, rootless */
	FUSEOVERLAYFS_XATTR "opaque", /* fuse-overlayfs without trusted.* */
};

static int is_opaque_xattr(const char *name)
{
	for (size_t i = 0; i < sizeof opaque_xattrs / sizeof *opaque_xattrs; i++)
		if (!strcmp(name, opaque_xattrs[i]))
			return 1;
	return 0;
}

int fk_layer_opaque_test(struct fk_layer *l, struct fk_layer_node *dir)
{
	/* One listing says which of them are there at all (most directories
	 * have no xattr); only those are read. */
	char list[4096];
	int rc, len = l->ops->listxattr(l, dir, list, sizeof list);
	if (len == -ERANGE) { /* too many to list here: ask for each */
		for (size_t i = 0; i < sizeof opaque_xattrs / sizeof *opaque_xattrs;
		     i++)
			if ((rc = xattr_is_y(l, dir, opaque_xattrs[i])) != 0)
				return rc;
	} else if (len < 0 && len != -EOPNOTSUPP) {
		return len;
	}
	for (int at = 0; at < len; at += (int)strlen(list + at) + 1)
		if (is_opaque_xattr(list + at) &&
		    (rc = xattr_is_y(l, dir, list + at)) != 0)
			return rc;
	return exists(l, dir, FK_LAYER_OCI_OPAQUE);
}

int fk_layer_is_marker_name(const struct fk_layer *l, const char *name)
{
	(void)l; /* every layer reads every format */
	return !strncmp(name, FK_LAYER_OCI_PREFIX, strlen(FK_LAYER_OCI_PREFIX));
}

int fk_layer_is_marker_xattr(const struct fk_layer *l, const char *name)
{
	/* Besides the overlay's own: where fuse-overlayfs (security.) and
	 * containers/storage keep owners and modes (override_stat), and
	 * every overlay's marks, whichever prefix this mount writes. */
	static const char *const others[] = {
		FUSEOVERLAYFS_XATTR,
		"security.fuseoverlayfs.",
		"user.containers.override_stat",
		"trusted.overlay.",
		"user.overlay.",
	};
	if (!strncmp(name, l->xattr_prefix, strlen(l->xattr_prefix)))
		return 1;
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
		if (!strncmp(name, others[i], strlen(others[i])))
			return 1;
	return 0;
}

int fk_layer_kill_for(struct fk_layer *l, struct fk_layer_node *n,
		      const struct fk_ctx *who, const struct fk_layer_stat *known,
		      struct fk_setattr_in *in)
{
	if (!(in->valid & FK_SET_KILL_SUIDGID) || (in->valid & FK_SET_MODE))
		return 0;
	struct fk_layer_stat read;
	if (!known) {
		int rc = l->ops->getattr(l, n, &read);
		if (rc)
			return rc;
		known = &read;
	}
	uint32_t mode = known->attr.mode;
	/* Only a set-group-ID bit without group execute is in question:
	 * the layer's own rule takes the rest. */
	if (!S_ISREG(mode) || (mode & (S_ISGID | S_IXGRP)) != S_ISGID ||
	    fk_caller_in_group(who, known->attr.gid))
		return 0;
	in->valid |= FK_SET_MODE;
	in->mode = fk_mode_kill_suidgid(mode, 0) & 07777;
	return 0;
}
