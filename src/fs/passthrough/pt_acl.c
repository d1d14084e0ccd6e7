/*
 * pt_acl.c — POSIX ACLs through the passthrough.
 *
 * With FUSE_POSIX_ACL the kernel does for the mount what it does for a
 * local filesystem, except two things it leaves to the daemon (libfuse's
 * "the file system is responsible for ... ensuring inheritance of
 * default ACLs when new filesystem nodes are created"):
 *  - new objects: the kernel sends the mode unmasked and the caller's
 *    umask (FUSE_DONT_MASK); the host applies the directory's default ACL
 *    if it has one, else the umask, when the make runs with the caller's
 *    umask (pt_cred.c: a thread umask);
 *  - mode and ACL kept in step: the host does that itself (a chmod
 *    rewrites the mask, a setfacl the mode), except one rule it cannot
 *    know: a setfacl by a caller outside the file's group drops
 *    set-group-ID (the kernel says so: FK_SETXATTR_ACL_KILL_SGID).
 * Everything else (checking permissions against the ACLs, caching them)
 * the kernel does from the system.posix_acl_* xattrs, which are the
 * host's own.
 *
 * With uidmapping=/gidmapping= the ids inside those xattrs are mapped as
 * owners are: shown in the mount's numbering, stored in SOURCE's.
 */
#include <string.h>
#include <sys/stat.h>

#include "../../util/fk_acl.h"
#include "pt.h"

/* fk_acl_map_ids's map: ctx is the pt, to SOURCE's numbering. */
static uint32_t to_host(void *ctx, int group, uint32_t id)
{
	const struct fk_pt *pt = ctx;
	return group ? FK_PT_GID_HOST(pt, id) : FK_PT_UID_HOST(pt, id);
}

/* The same, to the mount's numbering. */
static uint32_t to_shown(void *ctx, int group, uint32_t id)
{
	const struct fk_pt *pt = ctx;
	return group ? FK_PT_GID_SHOWN(pt, id) : FK_PT_UID_SHOWN(pt, id);
}

int fk_pt_acl_on(const struct fk_pt *pt)
{
	/* The thread umask is how the caller's umask reaches the host:
	 * without it the kernel must keep applying the umask itself. */
	return pt->o.acl && pt->o.xattr && (pt->o.xattr_ns & FK_PT_XATTR_SYSTEM) &&
	       fk_plat_thread_umask(0) == 0;
}

int fk_pt_acl_mapped(const struct fk_pt *pt)
{
	return pt->o.nuidmap || pt->o.ngidmap;
}

void fk_pt_acl_map(const struct fk_pt *pt, void *value, size_t size, int host)
{
	/* Not an ACL the host would take or give: left for it to refuse. */
	if (fk_acl_valid(value, size))
		fk_acl_map_ids(value, size, host ? to_host : to_shown, (void *)pt);
}

int fk_pt_acl_kill_sgid(struct fk_pt_at at, const char *name)
{
	if (strcmp(name, FK_ACL_ACCESS_XATTR))
		return 0; /* only an access ACL's mode changes */
	struct fk_plat_stat st;
	int rc = fk_pt_stat_at(at, &st);
	if (rc || !(st.mode & S_ISGID))
		return rc;
	return fk_plat_chmod_at(at.fd, FK_PT_AT_NAME(at),
				st.mode & 07777 & ~(uint32_t)S_ISGID);
}
