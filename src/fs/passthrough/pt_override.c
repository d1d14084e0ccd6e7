/*
 * pt_override.c — owners and modes kept in an xattr instead of the inode
 * (layers only): fuse-overlayfs's xattr_permissions=1|2, and the
 * user.containers.override_stat that containers/storage writes.
 *
 * A daemon in a user namespace may not own most ids, so it cannot chown
 * a file to them; with an override the inode stays the daemon's and the
 * xattr says whose it is and what mode it has:
 *
 *     security.fuseoverlayfs.override_stat = "1000:1000:644"
 *
 * The ids are as the host stores them: uidmapping applies on top, as it
 * does to the inode's own ids. Only regular files and directories carry
 * one (fuse-overlayfs's rule: user.* xattrs cannot be set on symlinks or
 * devices); a file without one shows its inode's attributes. A value we
 * cannot parse is ignored the same way, so a hostile layer gets nothing
 * but the real attributes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../util/fk_mode.h"
#include "pt.h"

static const char *const override_names[] = {
	[FK_PT_OVERRIDE_NONE] = NULL,
	[FK_PT_OVERRIDE_PRIVILEGED] = "security.fuseoverlayfs.override_stat",
	[FK_PT_OVERRIDE_USER] = "user.fuseoverlayfs.override_stat",
	[FK_PT_OVERRIDE_CONTAINERS] = "user.containers.override_stat",
};

const char *fk_pt_override_xattr(enum fk_pt_override o)
{
	return (unsigned)o < sizeof override_names / sizeof override_names[0]
		       ? override_names[o]
		       : NULL;
}

int fk_pt_override_applies(const struct fk_pt *pt, uint32_t type)
{
	type &= S_IFMT;
	return pt->override != FK_PT_OVERRIDE_NONE &&
	       (type == S_IFREG || type == S_IFDIR);
}

/* One decimal or octal field of a value, up to ':' or the end: 0, or
 * -EINVAL. */
static int field(const char **at, int base, uint32_t max, uint32_t *out)
{
	const char *s = *at;
	if (*s < '0' || *s > '9')
		return -EINVAL; /* strtoul would take a sign or spaces */
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, base);
	if (errno || v > max || (*end != ':' && *end != 0))
		return -EINVAL;
	*out = (uint32_t)v;
	*at = *end ? end + 1 : end;
	return 0;
}

/* Parse "UID:GID:MODE[:TYPE]": 0 or -EINVAL. */
static int parse(const char *v, uint32_t *uid, uint32_t *gid, uint32_t *perm)
{
	uint32_t mode;
	if (field(&v, 10, UINT32_MAX - 1, uid) || field(&v, 10, UINT32_MAX - 1, gid) ||
	    field(&v, 8, 0777777, &mode))
		return -EINVAL;
	*perm = mode & 07777;
	return 0;
}

/* The node's override: 0, -ENODATA (none), -EINVAL (not one we read). */
static int read_override(const struct fk_pt *pt, struct fk_pt_at at,
			 uint32_t *uid, uint32_t *gid, uint32_t *perm)
{
	char v[64];
	int n = fk_plat_getxattr_at(at.fd, FK_PT_AT_NAME(at),
				    fk_pt_override_xattr(pt->override), v,
				    sizeof v - 1, 0);
	if (n < 0)
		return n == -ERANGE ? -EINVAL : n;
	v[n] = 0;
	return parse(v, uid, gid, perm);
}

void fk_pt_override_stat(const struct fk_pt *pt, struct fk_pt_at at,
			 struct fk_plat_stat *sx)
{
	uint32_t uid, gid, perm;
	if (!fk_pt_override_applies(pt, sx->mode) ||
	    read_override(pt, at, &uid, &gid, &perm))
		return;
	sx->uid = uid;
	sx->gid = gid;
	sx->mode = (sx->mode & S_IFMT) | perm;
}

int fk_pt_override_write(const struct fk_pt *pt, struct fk_pt_at at,
			 uint32_t uid, uint32_t gid, uint32_t perm)
{
	char v[64];
	int n = snprintf(v, sizeof v, "%u:%u:%o", uid, gid, perm & 07777);
	return fk_plat_setxattr_at(at.fd, FK_PT_AT_NAME(at),
				   fk_pt_override_xattr(pt->override), v,
				   (size_t)n, 0, 0);
}

int fk_pt_override_setattr(struct fk_pt *pt, struct fk_pt_at at,
			   const struct fk_setattr_in *in)
{
	const uint32_t owner_bits = FK_SET_MODE | FK_SET_UID | FK_SET_GID |
				    FK_SET_KILL_SUIDGID;
	if (in->valid & owner_bits) {
		struct fk_plat_stat sx;
		int rc = fk_pt_stat_at(at, &sx);
		if (rc)
			return rc;
		fk_pt_override_stat(pt, at, &sx);
		uint32_t uid = sx.uid, gid = sx.gid;
		uint32_t perm = sx.mode & 07777;
		if (in->valid & FK_SET_UID)
			uid = FK_PT_UID_HOST(pt, in->uid);
		if (in->valid & FK_SET_GID)
			gid = FK_PT_GID_HOST(pt, in->gid);
		if (in->valid & FK_SET_MODE)
			perm = in->mode & 07777;
		else if ((in->valid & (FK_SET_UID | FK_SET_GID)) &&
			 !S_ISDIR(sx.mode))
			perm = fk_mode_kill_suidgid(perm, 1); /* as root's chown does */
		if ((in->valid & FK_SET_KILL_SUIDGID) && S_ISREG(sx.mode))
			perm = fk_mode_kill_suidgid(perm, 1); /* fk_layer_kill_for */
		rc = fk_pt_override_write(pt, at, uid, gid, perm);
		if (rc)
			return rc;
	}
	struct fk_setattr_in rest = *in;
	rest.valid &= ~owner_bits;
	return fk_pt_setattr_at(pt, at, -1, &rest, NULL);
}

enum fk_pt_override fk_pt_override_detect(const struct fk_pt *pt)
{
	/* fuse-overlayfs's order of preference. */
	static const enum fk_pt_override order[] = {
		FK_PT_OVERRIDE_PRIVILEGED,
		FK_PT_OVERRIDE_CONTAINERS,
		FK_PT_OVERRIDE_USER,
	};
	char v[64];
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		if (fk_plat_getxattr_at(pt->root->cfd.fd, NULL, /* never closed */
					fk_pt_override_xattr(order[i]), v, sizeof v,
					0) >= 0)
			return order[i];
	return FK_PT_OVERRIDE_NONE;
}
