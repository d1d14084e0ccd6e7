/*
 * pt_xattr.c — passthrough extended attributes.
 *
 * Nodes are O_PATH descriptors, which the f*xattr calls refuse. The
 * /proc/self/fd/N link reaches the same inode without a path through
 * SOURCE, for every file type (a symlink's own attributes included), and
 * without opening the file (opening a device or a fifo has side effects).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/xattr.h>

#include "pt.h"

/* Get the node and its /proc path, or answer the request. */
static struct fk_pt_node *node_path(fk_req *req, uint64_t ino, char *p,
				    size_t len)
{
	struct fk_pt *pt = FK_PT(req);
	if (!pt->o.xattr) {
		(void)fk_reply_err(req, EOPNOTSUPP);
		return NULL;
	}
	struct fk_pt_node *n = fk_pt_node_get(pt, ino);
	if (!n) {
		(void)fk_reply_err(req, ENOENT);
		return NULL;
	}
	snprintf(p, len, "/proc/self/fd/%d", n->fd);
	return n;
}

/* Answer a get/list: size query, the data, or the error. */
static void reply_sized(fk_req *req, ssize_t n, uint32_t asked, const char *buf)
{
	if (n < 0)
		(void)fk_reply_err(req, errno);
	else if (asked == 0)
		(void)fk_reply_xattr_size(req, (uint32_t)n);
	else
		(void)fk_reply_buf(req, buf, (size_t)n);
}

void fk_pt_setxattr(fk_req *req, const struct fk_setxattr_in *in)
{
	char p[64];
	struct fk_pt_node *n = node_path(req, in->ino, p, sizeof p);
	if (!n)
		return;
	int r = setxattr(p, in->name, in->value, in->size, (int)in->flags);
	fk_pt_node_put(FK_PT(req), n);
	(void)fk_reply_err(req, r < 0 ? errno : 0);
}

/* getxattr (name) or listxattr (name NULL): the size, or the data. */
static void get_or_list(fk_req *req, uint64_t ino, const char *name,
			uint32_t size)
{
	char p[64];
	struct fk_pt_node *n = node_path(req, ino, p, sizeof p);
	if (!n)
		return;
	char *buf = size ? fk_pt_thread_buf(FK_PT_BUF_XATTR, size) : NULL;
	ssize_t r;
	if (size && !buf) {
		errno = ENOMEM;
		r = -1;
	} else {
		r = name ? getxattr(p, name, buf, size) : listxattr(p, buf, size);
	}
	fk_pt_node_put(FK_PT(req), n);
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
	struct fk_pt_node *n = node_path(req, in->ino, p, sizeof p);
	if (!n)
		return;
	int r = removexattr(p, in->name);
	fk_pt_node_put(FK_PT(req), n);
	(void)fk_reply_err(req, r < 0 ? errno : 0);
}
