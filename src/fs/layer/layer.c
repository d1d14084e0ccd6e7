/*
 * layer.c — what every layer shares: setup, and whiteouts and opaque
 * directories written and read through a layer's ops, in either format
 * (fk_layer.h):
 *
 *                 whiteout of NAME          opaque directory
 *   chardev       char device 0/0 NAME      xattr <prefix>opaque = "y"
 *   OCI           empty file .wh.NAME       file .wh..wh..opq inside
 *
 * Reading is lenient where the peers differ: a chardev-format opaque
 * directory may also be marked user.fuseoverlayfs.opaque (older
 * fuse-overlayfs).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fusekit/fk_layer.h>

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
	snprintf(l->xattr_prefix, sizeof l->xattr_prefix, "%s",
		 geteuid() == 0 ? "trusted.overlay." : "user.overlay.");
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
	return st && S_ISCHR(st->attr.mode) && st->attr.rdev == 0;
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
	if (l->whiteout == FK_LAYER_WH_CHARDEV)
		return is_chardev_whiteout(st);
	char wh[256];
	if (oci_name(wh, name))
		return 0; /* no whiteout can have so long a name */
	return exists(l, parent, wh);
}

int fk_layer_whiteout_delete(struct fk_layer *l, struct fk_layer_node *parent,
			     const char *name)
{
	if (l->whiteout == FK_LAYER_WH_OCI) {
		char wh[256];
		int rc = oci_name(wh, name);
		if (rc)
			return -ENOENT;
		return l->ops->unlink(l, parent, wh);
	}
	struct fk_layer_stat st;
	int rc = l->ops->lookup(l, parent, name, NULL, &st);
	if (rc)
		return rc;
	if (!is_chardev_whiteout(&st))
		return -ENOENT; /* a real file, not a whiteout: leave it */
	return l->ops->unlink(l, parent, name);
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

int fk_layer_opaque_test(struct fk_layer *l, struct fk_layer_node *dir)
{
	if (l->whiteout == FK_LAYER_WH_OCI)
		return exists(l, dir, FK_LAYER_OCI_OPAQUE);
	char name[64];
	snprintf(name, sizeof name, "%sopaque", l->xattr_prefix);
	int rc = xattr_is_y(l, dir, name);
	if (rc == 0)
		rc = xattr_is_y(l, dir, FUSEOVERLAYFS_XATTR "opaque");
	return rc;
}

int fk_layer_is_marker_name(const struct fk_layer *l, const char *name)
{
	return l->whiteout == FK_LAYER_WH_OCI &&
	       !strncmp(name, FK_LAYER_OCI_PREFIX, strlen(FK_LAYER_OCI_PREFIX));
}

int fk_layer_is_marker_xattr(const struct fk_layer *l, const char *name)
{
	/* Besides the overlay's own: where fuse-overlayfs (security.) and
	 * containers/storage keep owners and modes (override_stat). */
	static const char *const others[] = {
		FUSEOVERLAYFS_XATTR,
		"security.fuseoverlayfs.",
		"user.containers.override_stat",
	};
	if (!strncmp(name, l->xattr_prefix, strlen(l->xattr_prefix)))
		return 1;
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
		if (!strncmp(name, others[i], strlen(others[i])))
			return 1;
	return 0;
}
