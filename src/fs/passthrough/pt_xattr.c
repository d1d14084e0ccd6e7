/*
 * pt_xattr.c — passthrough extended attributes.
 *
 * A node is reached where it is held (fk_pt_at): the platform's xattr
 * calls reach it there without opening it (opening a device or a fifo has
 * side effects), a symlink's own attributes included.
 *
 * The namespace policy (-o xattr_ns=): a name in a namespace the mount
 * does not pass is treated as the host treats a namespace it has no
 * handler for: get, set and remove answer EOPNOTSUPP, and list leaves it
 * out.
 *
 * ACL values have their ids mapped on the way (pt_acl.c), where ids are.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>

#include "../../util/fk_acl.h"
#include "pt.h"

static const struct {
	const char *prefix;
	unsigned bit;
} namespaces[] = {
	{ "user.", FK_PT_XATTR_USER },
	{ "trusted.", FK_PT_XATTR_TRUSTED },
	{ "security.", FK_PT_XATTR_SECURITY },
	{ "system.", FK_PT_XATTR_SYSTEM },
};

static int name_allowed(const struct fk_pt *pt, const char *name)
{
	for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++)
		if (!strncmp(name, namespaces[i].prefix, strlen(namespaces[i].prefix)))
			return (pt->o.xattr_ns & namespaces[i].bit) != 0;
	return (pt->o.xattr_ns & FK_PT_XATTR_OTHER) != 0;
}

/* Is the name passed at all? 0, or -EOPNOTSUPP. */
static int check_name(const struct fk_pt *pt, const char *name)
{
	return pt->o.xattr && (!name || name_allowed(pt, name)) ? 0 : -EOPNOTSUPP;
}

/* Drop the names the policy hides from a list of n bytes; the new length. */
static ssize_t filter_list(const struct fk_pt *pt, char *buf, ssize_t n)
{
	ssize_t out = 0;
	for (ssize_t at = 0; at < n;) {
		size_t l = strnlen(buf + at, (size_t)(n - at)) + 1;
		if (name_allowed(pt, buf + at)) {
			memmove(buf + out, buf + at, l);
			out += (ssize_t)l;
		}
		at += (ssize_t)l;
	}
	return out;
}

int fk_pt_xattr_get(struct fk_pt *pt, struct fk_pt_at at, const char *name,
		    void *buf, size_t size, uint32_t position)
{
	int rc = check_name(pt, name);
	if (rc)
		return rc;
	rc = fk_plat_getxattr_at(at.fd, FK_PT_AT_NAME(at), name, buf, size, position);
	if (rc > 0 && size && fk_pt_acl_mapped(pt) && fk_acl_is_xattr(name))
		fk_pt_acl_map(pt, buf, (size_t)rc, 0);
	return rc;
}

int fk_pt_xattr_list(struct fk_pt *pt, struct fk_pt_at at, char *buf,
		     size_t size)
{
	int rc = check_name(pt, NULL);
	if (rc)
		return rc;
	if ((pt->o.xattr_ns & FK_PT_XATTR_ALL) == FK_PT_XATTR_ALL)
		return fk_plat_listxattr_at(at.fd, FK_PT_AT_NAME(at), buf, size);
	/* Hidden names still take room in the host's list: read it whole. */
	for (;;) {
		int full = fk_plat_listxattr_at(at.fd, FK_PT_AT_NAME(at), NULL, 0);
		if (full <= 0)
			return full; /* none: asked with size 0 the host would
				      * answer a size, not a list */
		char *all = fk_thread_buf(FK_PT_BUF_XATTR_ALL, (size_t)full);
		if (!all)
			return -ENOMEM;
		int n = fk_plat_listxattr_at(at.fd, FK_PT_AT_NAME(at), all, (size_t)full);
		if (n == -ERANGE)
			continue; /* the list grew meanwhile */
		if (n < 0)
			return n;
		n = (int)filter_list(pt, all, n);
		if (size && (size_t)n > size)
			return -ERANGE;
		if (size)
			memcpy(buf, all, (size_t)n);
		return n;
	}
}

int fk_pt_xattr_set(struct fk_pt *pt, struct fk_pt_at at, const char *name,
		    const void *value, size_t size, int flags,
		    uint32_t position)
{
	int rc = check_name(pt, name);
	if (rc)
		return rc;
	if (size && fk_pt_acl_mapped(pt) && fk_acl_is_xattr(name)) {
		void *mapped = fk_thread_buf(FK_PT_BUF_XATTR, size);
		if (!mapped)
			return -ENOMEM;
		memcpy(mapped, value, size);
		fk_pt_acl_map(pt, mapped, size, 1);
		value = mapped;
	}
	return fk_plat_setxattr_at(at.fd, FK_PT_AT_NAME(at), name, value, size,
				   flags, position);
}

int fk_pt_xattr_remove(struct fk_pt *pt, struct fk_pt_at at, const char *name)
{
	int rc = check_name(pt, name);
	return rc ? rc : fk_plat_removexattr_at(at.fd, FK_PT_AT_NAME(at), name);
}

void fk_pt_setxattr(fk_req *req, const struct fk_setxattr_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	struct fk_pt_use u;
	int rc = fk_pt_acquire(pt, in->ino, FK_PT_NEED_AT, &u);
	if (rc == 0)
		rc = fk_pt_xattr_set(pt, u.at, in->name, in->value, in->size,
				     (int)in->flags, in->position);
	if (rc == 0 && (in->setxattr_flags & FK_SETXATTR_ACL_KILL_SGID))
		rc = fk_pt_acl_kill_sgid(u.at, in->name);
	fk_pt_drop(pt, &u);
	(void)fk_reply_err(req, -rc);
}

/* getxattr (name) or listxattr (name NULL): the size, or the data. */
static void get_or_list(fk_req *req, uint64_t ino, const char *name,
			uint32_t size, uint32_t position)
{
	struct fk_pt *pt = FK_PT(req);
	char *buf = size ? fk_thread_buf(FK_PT_BUF_XATTR, size) : NULL;
	if (size && !buf) {
		(void)fk_reply_err(req, ENOMEM);
		return;
	}
	struct fk_pt_use u;
	int r = fk_pt_acquire(pt, ino, FK_PT_NEED_AT, &u);
	if (r == 0)
		r = name ? fk_pt_xattr_get(pt, u.at, name, buf, size, position)
			 : fk_pt_xattr_list(pt, u.at, buf, size);
	fk_pt_drop(pt, &u);
	if (r < 0)
		(void)fk_reply_err(req, -r);
	else if (size == 0)
		(void)fk_reply_xattr_size(req, (uint32_t)r);
	else
		(void)fk_reply_buf(req, buf, (size_t)r);
}

void fk_pt_getxattr(fk_req *req, const struct fk_getxattr_in *in)
{
	get_or_list(req, in->ino, in->name, in->size, in->position);
}

void fk_pt_listxattr(fk_req *req, const struct fk_listxattr_in *in)
{
	get_or_list(req, in->ino, NULL, in->size, 0);
}

void fk_pt_removexattr(fk_req *req, const struct fk_removexattr_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	struct fk_pt_use u;
	int rc = fk_pt_acquire(pt, in->ino, FK_PT_NEED_AT, &u);
	if (rc == 0)
		rc = fk_pt_xattr_remove(pt, u.at, in->name);
	fk_pt_drop(pt, &u);
	(void)fk_reply_err(req, -rc);
}
