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

/* Get the node (with its descriptor pinned) and its /proc path, or
 * answer the request. Undo with fk_pt_node_done. */
static struct fk_pt_node *node_path(fk_req *req, uint64_t ino,
				    const char *name, char *p, size_t len)
{
	struct fk_pt *pt = FK_PT(req);
	if (!pt->o.xattr || (name && !name_allowed(pt, name))) {
		(void)fk_reply_err(req, EOPNOTSUPP);
		return NULL;
	}
	int fd;
	struct fk_pt_node *n = fk_pt_node_at(req, ino, &fd);
	if (n)
		snprintf(p, len, "/proc/self/fd/%d", fd);
	return n;
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

/* Answer a get/list: size query, the data, or the error (-errno in n). */
static void reply_sized(fk_req *req, ssize_t n, uint32_t asked, const char *buf)
{
	if (n < 0)
		(void)fk_reply_err(req, (int)-n);
	else if (asked == 0)
		(void)fk_reply_xattr_size(req, (uint32_t)n);
	else
		(void)fk_reply_buf(req, buf, (size_t)n);
}

void fk_pt_setxattr(fk_req *req, const struct fk_setxattr_in *in)
{
	char p[64];
	struct fk_pt_node *n = node_path(req, in->ino, in->name, p, sizeof p);
	if (!n)
		return;
	int r = setxattr(p, in->name, in->value, in->size, (int)in->flags);
	int e = errno;
	fk_pt_node_done(FK_PT(req), n);
	(void)fk_reply_err(req, r < 0 ? e : 0);
}

/* listxattr through the policy: the length of the names it lets through
 * (into *out, a thread buffer), or -errno. size 0 asks for the length. */
static ssize_t list_names(const struct fk_pt *pt, const char *p, uint32_t size,
			  char **out)
{
	*out = NULL;
	if ((pt->o.xattr_ns & FK_PT_XATTR_ALL) == FK_PT_XATTR_ALL) {
		char *buf = size ? fk_pt_thread_buf(FK_PT_BUF_XATTR, size) : NULL;
		if (size && !buf)
			return -ENOMEM;
		ssize_t n = listxattr(p, buf, size);
		*out = buf;
		return n < 0 ? -errno : n;
	}
	/* Hidden names still take room in the host's list: read it whole. */
	for (;;) {
		ssize_t full = listxattr(p, NULL, 0);
		if (full < 0)
			return -errno;
		char *buf = fk_pt_thread_buf(FK_PT_BUF_XATTR, full ? (size_t)full : 1);
		if (!buf)
			return -ENOMEM;
		ssize_t n = listxattr(p, buf, (size_t)full);
		if (n < 0 && errno == ERANGE)
			continue; /* the list grew meanwhile */
		if (n < 0)
			return -errno;
		n = filter_list(pt, buf, n);
		if (size && n > (ssize_t)size)
			return -ERANGE;
		*out = buf;
		return n;
	}
}

/* getxattr (name) or listxattr (name NULL): the size, or the data. */
static void get_or_list(fk_req *req, uint64_t ino, const char *name,
			uint32_t size)
{
	struct fk_pt *pt = FK_PT(req);
	char p[64];
	struct fk_pt_node *n = node_path(req, ino, name, p, sizeof p);
	if (!n)
		return;
	ssize_t r;
	char *buf = NULL;
	if (!name) {
		r = list_names(pt, p, size, &buf);
	} else if (size && !(buf = fk_pt_thread_buf(FK_PT_BUF_XATTR, size))) {
		r = -ENOMEM;
	} else {
		r = getxattr(p, name, buf, size);
		if (r < 0)
			r = -errno;
	}
	fk_pt_node_done(pt, n);
	reply_sized(req, r, size, buf);
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
	char p[64];
	struct fk_pt_node *n = node_path(req, in->ino, in->name, p, sizeof p);
	if (!n)
		return;
	int r = removexattr(p, in->name);
	int e = errno;
	fk_pt_node_done(FK_PT(req), n);
	(void)fk_reply_err(req, r < 0 ? e : 0);
}
