/*
 * notify.c — messages the filesystem sends to the kernel unasked
 * (notifications: unique 0, the code in the error field), and kernel
 * passthrough's backing-file registration.
 *
 * Notifications may be sent from any thread: each is a single writev on the
 * session's main device fd, which the kernel handles atomically.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "fk_session_i.h"

static int notify(fk_session *se, int code, const struct iovec *iov, int n)
{
	if (se->fd < 0 || !se->init_done)
		return -ENOTCONN;
	if (se->proto.minor < 12) /* notifications came with 7.12 */
		return -ENOSYS;
	return fk_dev_write(se, se->fd, 0, code, iov, n);
}

int fk_notify_inval_inode(fk_session *se, uint64_t ino, int64_t off,
			  int64_t len)
{
	struct fk_wire_notify_inval_inode_out o = { ino, off, len };
	struct iovec iov = { &o, sizeof o };
	return notify(se, FK_NOTIFY_INVAL_INODE, &iov, 1);
}

/* Names in notifications are NUL-terminated after namelen bytes. */
static int check_name(const char *name, size_t namelen)
{
	if (!name || namelen == 0 || namelen > 1024 ||
	    memchr(name, 0, namelen))
		return -EINVAL;
	return 0;
}

int fk_notify_inval_entry(fk_session *se, uint64_t parent, const char *name,
			  size_t namelen, uint32_t flags)
{
	if (check_name(name, namelen))
		return -EINVAL;
	struct fk_wire_notify_inval_entry_out o;
	memset(&o, 0, sizeof o);
	o.parent = parent;
	o.namelen = (uint32_t)namelen;
	o.flags = flags & FK_NOTIFY_EXPIRE_ONLY;
	struct iovec iov[2] = { { &o, sizeof o },
				{ (void *)name, namelen + 1 } };
	return notify(se, FK_NOTIFY_INVAL_ENTRY, iov, 2);
}

int fk_notify_delete(fk_session *se, uint64_t parent, uint64_t child,
		     const char *name, size_t namelen)
{
	if (check_name(name, namelen))
		return -EINVAL;
	struct fk_wire_notify_delete_out o;
	memset(&o, 0, sizeof o);
	o.parent = parent;
	o.child = child;
	o.namelen = (uint32_t)namelen;
	struct iovec iov[2] = { { &o, sizeof o },
				{ (void *)name, namelen + 1 } };
	return notify(se, FK_NOTIFY_DELETE, iov, 2);
}

int fk_notify_store(fk_session *se, uint64_t ino, uint64_t offset,
		    const void *data, size_t size)
{
	if (size > UINT32_MAX)
		return -EINVAL;
	struct fk_wire_notify_store_out o;
	memset(&o, 0, sizeof o);
	o.nodeid = ino;
	o.offset = offset;
	o.size = (uint32_t)size;
	struct iovec iov[2] = { { &o, sizeof o }, { (void *)data, size } };
	return notify(se, FK_NOTIFY_STORE, iov, size ? 2 : 1);
}

int fk_notify_retrieve(fk_session *se, uint64_t ino, uint64_t offset,
		       uint32_t size, void *cookie)
{
	struct fk_retrieve *r = malloc(sizeof *r);
	if (!r)
		return -ENOMEM;
	pthread_mutex_lock(&se->lock);
	r->notify_unique = se->next_notify_unique++;
	r->cookie = cookie;
	r->next = se->retrieves;
	se->retrieves = r;
	uint64_t unique = r->notify_unique;
	pthread_mutex_unlock(&se->lock);

	struct fk_wire_notify_retrieve_out o;
	memset(&o, 0, sizeof o);
	o.notify_unique = unique;
	o.nodeid = ino;
	o.offset = offset;
	o.size = size;
	struct iovec iov = { &o, sizeof o };
	int rc = notify(se, FK_NOTIFY_RETRIEVE, &iov, 1);
	if (rc < 0) {
		/* The kernel will never answer: forget the cookie. */
		pthread_mutex_lock(&se->lock);
		for (struct fk_retrieve **p = &se->retrieves; *p; p = &(*p)->next) {
			if ((*p)->notify_unique == unique) {
				struct fk_retrieve *dead = *p;
				*p = dead->next;
				free(dead);
				break;
			}
		}
		pthread_mutex_unlock(&se->lock);
	}
	return rc;
}

int fk_notify_prune(fk_session *se, const uint64_t *ids, size_t n)
{
	if (se->proto.minor < 45 || se->proto.dialect != FK_DIALECT_LINUX)
		return -ENOSYS;
	if (n == 0)
		return 0;
	if (n > UINT32_MAX / sizeof *ids)
		return -EINVAL;
	struct fk_wire_notify_prune_out o;
	memset(&o, 0, sizeof o);
	o.count = (uint32_t)n;
	struct iovec iov[2] = { { &o, sizeof o },
				{ (void *)ids, n * sizeof *ids } };
	return notify(se, FK_NOTIFY_PRUNE, iov, 2);
}

void fk_notify_reply_arrived(fk_session *se, const struct fk_msg *m)
{
	void *cookie = NULL;
	int found = 0;
	pthread_mutex_lock(&se->lock);
	for (struct fk_retrieve **p = &se->retrieves; *p; p = &(*p)->next) {
		if ((*p)->notify_unique == m->unique) {
			struct fk_retrieve *r = *p;
			*p = r->next;
			cookie = r->cookie;
			free(r);
			found = 1;
			break;
		}
	}
	pthread_mutex_unlock(&se->lock);
	if (!found) {
		fk_session_log(se, "NOTIFY_REPLY for unknown retrieve %llu",
			       (unsigned long long)m->unique);
		return;
	}
	if (se->ops.retrieve_reply)
		se->ops.retrieve_reply(se->fs, cookie, m->nodeid,
				       m->u.notify_reply.offset,
				       m->u.notify_reply.data,
				       m->u.notify_reply.size);
}

int fk_notify_poll(fk_session *se, uint64_t kh)
{
	struct fk_wire_notify_poll_wakeup_out o = { kh };
	struct iovec iov = { &o, sizeof o };
	return notify(se, FK_NOTIFY_POLL, &iov, 1);
}

int fk_backing_open(fk_session *se, int fd)
{
	if (se->fd < 0)
		return -ENOTCONN;
	return fk_plat_backing_open(se->fd, fd);
}

int fk_backing_close(fk_session *se, int backing_id)
{
	if (se->fd < 0)
		return -ENOTCONN;
	return fk_plat_backing_close(se->fd, backing_id);
}
