/*
 * pt_xattr.c — passthrough extended attributes.
 *
 * Nodes are O_PATH descriptors, which the f*xattr calls refuse. The
 * /proc/self/fd/N link reaches the same inode without a path through
 * SOURCE, for every file type (a symlink's own attributes included), and
 * without opening the file (opening a device or a fifo has side effects).
 *
 * The namespace policy (-o xattr_ns=): a name in a namespace the mount
 * does not pass is treated as the host treats a namespace it has no
 * handler for: get, set and remove answer EOPNOTSUPP, and list leaves it
 * out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>

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

static void proc_path(int fd, char p[static 32])
{
	snprintf(p, 32, "/proc/self/fd/%d", fd);
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

int fk_pt_host_getxattr(int nfd, const char *name, void *buf, size_t size)
{
	char p[32];
	proc_path(nfd, p);
	ssize_t n = getxattr(p, name, buf, size);
	return n < 0 ? -errno : (int)n;
}

int fk_pt_host_setxattr(int nfd, const char *name, const void *value,
			size_t size, int flags)
{
	char p[32];
	proc_path(nfd, p);
	return setxattr(p, name, value, size, flags) < 0 ? -errno : 0;
}

int fk_pt_xattr_get(struct fk_pt *pt, int nfd, const char *name, void *buf,
		    size_t size)
{
	int rc = check_name(pt, name);
	return rc ? rc : fk_pt_host_getxattr(nfd, name, buf, size);
}

int fk_pt_xattr_list(struct fk_pt *pt, int nfd, char *buf, size_t size)
{
	int rc = check_name(pt, NULL);
	if (rc)
		return rc;
	char p[32];
	proc_path(nfd, p);
	if ((pt->o.xattr_ns & FK_PT_XATTR_ALL) == FK_PT_XATTR_ALL) {
		ssize_t n = listxattr(p, buf, size);
		return n < 0 ? -errno : (int)n;
	}
	/* Hidden names still take room in the host's list: read it whole. */
	for (;;) {
		ssize_t full = listxattr(p, NULL, 0);
		if (full < 0)
			return -errno;
		char *all = fk_thread_buf(FK_PT_BUF_XATTR_ALL, full ? (size_t)full : 1);
		if (!all)
			return -ENOMEM;
		ssize_t n = listxattr(p, all, (size_t)full);
		if (n < 0 && errno == ERANGE)
			continue; /* the list grew meanwhile */
		if (n < 0)
			return -errno;
		n = filter_list(pt, all, n);
		if (size && (size_t)n > size)
			return -ERANGE;
		if (size)
			memcpy(buf, all, (size_t)n);
		return (int)n;
	}
}

int fk_pt_xattr_set(struct fk_pt *pt, int nfd, const char *name,
		    const void *value, size_t size, int flags)
{
	int rc = check_name(pt, name);
	return rc ? rc : fk_pt_host_setxattr(nfd, name, value, size, flags);
}

int fk_pt_xattr_remove(struct fk_pt *pt, int nfd, const char *name)
{
	int rc = check_name(pt, name);
	if (rc)
		return rc;
	char p[32];
	proc_path(nfd, p);
	return removexattr(p, name) < 0 ? -errno : 0;
}

void fk_pt_setxattr(fk_req *req, const struct fk_setxattr_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	int fd;
	struct fk_pt_node *n = fk_pt_node_at(req, in->ino, &fd);
	if (!n)
		return;
	int rc = fk_pt_xattr_set(pt, fd, in->name, in->value, in->size,
				 (int)in->flags);
	fk_pt_node_done(pt, n);
	(void)fk_reply_err(req, -rc);
}

/* getxattr (name) or listxattr (name NULL): the size, or the data. */
static void get_or_list(fk_req *req, uint64_t ino, const char *name,
			uint32_t size)
{
	struct fk_pt *pt = FK_PT(req);
	char *buf = size ? fk_thread_buf(FK_PT_BUF_XATTR, size) : NULL;
	if (size && !buf) {
		(void)fk_reply_err(req, ENOMEM);
		return;
	}
	int fd;
	struct fk_pt_node *n = fk_pt_node_at(req, ino, &fd);
	if (!n)
		return;
	int r = name ? fk_pt_xattr_get(pt, fd, name, buf, size)
		     : fk_pt_xattr_list(pt, fd, buf, size);
	fk_pt_node_done(pt, n);
	if (r < 0)
		(void)fk_reply_err(req, -r);
	else if (size == 0)
		(void)fk_reply_xattr_size(req, (uint32_t)r);
	else
		(void)fk_reply_buf(req, buf, (size_t)r);
}

void fk_pt_getxattr(fk_req *req, const struct fk_getxattr_in *in)
{
	get_or_list(req, in->ino, in->name, in->size);
}

void fk_pt_listxattr(fk_req *req, const struct fk_listxattr_in *in)
{
	get_or_list(req, in->ino, NULL, in->size);
}

void fk_pt_removexattr(fk_req *req, const struct fk_removexattr_in *in)
{
	struct fk_pt *pt = FK_PT(req);
	int fd;
	struct fk_pt_node *n = fk_pt_node_at(req, in->ino, &fd);
	if (!n)
		return;
	int rc = fk_pt_xattr_remove(pt, fd, in->name);
	fk_pt_node_done(pt, n);
	(void)fk_reply_err(req, -rc);
}
