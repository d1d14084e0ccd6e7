/*
 * pt_fdcache.c — the descriptor cache of the handle and lazy modes: the
 * descriptors of nodes and of open files (struct fk_pt_cfd), closed least
 * recently used first and reopened on demand by their owner's function.
 *
 * The cache holds at most fd_cap descriptors plus those pinned by
 * operations in flight: a slot is made (the least recently used unpinned
 * descriptor closed) before a descriptor is opened, so the bound holds at
 * every instant while operations pin fewer than fd_cap. The root's
 * descriptor, and in handle mode one per filesystem (for
 * open_by_handle_at), are outside the cache but count against fd_cap.
 *
 * Everything here is under the table lock (fk_pt_lock) but fk_pt_cfd_get
 * and fk_pt_cfd_put, which take it. A descriptor closed under the lock is
 * closed after the lock is let go (fk_nt_close_later).
 *
 * Invariants (under the table lock): a listed cfd has fd >= 0; an
 * unlisted cfd of a cached mode has fd == -1, except the root's and the
 * descriptors of fd mode, which are never listed and never closed early;
 * fdc.open == number of listed cfds; a pinned cfd is never closed.
 */
#include <assert.h>
#include <unistd.h>

#include "pt.h"

static void lru_unlink(struct fk_pt_fdcache *c, struct fk_pt_cfd *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void lru_push(struct fk_pt_fdcache *c, struct fk_pt_cfd *e)
{
	e->older = c->newest;
	e->newer = NULL;
	if (c->newest)
		c->newest->newer = e;
	c->newest = e;
	if (!c->oldest)
		c->oldest = e;
}

/* Close the least recently used unpinned descriptor. 0 if all pinned. */
static int evict_one(struct fk_pt *pt)
{
	struct fk_pt_fdcache *c = &pt->fdc;
	for (struct fk_pt_cfd *e = c->oldest; e; e = e->newer) {
		if (e->pins)
			continue;
		lru_unlink(c, e);
		e->listed = 0;
		assert(c->open > 0);
		c->open--;
		fk_nt_close_later(e->fd);
		e->fd = -1;
		return 1;
	}
	return 0;
}

void fk_pt_fdc_reserve(struct fk_pt *pt)
{
	FK_PT_ASSERT_LOCKED(pt);
	struct fk_pt_fdcache *c = &pt->fdc;
	unsigned fixed = 1 + pt->nmount_fds; /* the root, the mount fds */
	while (c->open + c->reserved + fixed >= c->cap && evict_one(pt))
		;
	c->reserved++;
}

void fk_pt_fdc_unreserve(struct fk_pt *pt)
{
	FK_PT_ASSERT_LOCKED(pt);
	assert(pt->fdc.reserved > 0);
	pt->fdc.reserved--;
}

int fk_pt_fdc_fill(struct fk_pt *pt, struct fk_pt_cfd *e, int fd, int pin)
{
	struct fk_pt_fdcache *c = &pt->fdc;
	fk_pt_fdc_unreserve(pt);
	if (fd < 0)
		return fd;
	if (e->fd >= 0) {
		close(fd);
	} else {
		e->fd = fd;
		e->listed = 1;
		lru_push(c, e);
		c->open++;
	}
	if (pin)
		e->pins++;
	return e->fd;
}

int fk_pt_cfd_get(struct fk_pt *pt, struct fk_pt_cfd *e,
		  int (*reopen)(struct fk_pt *, void *), void *obj)
{
	fk_pt_lock(pt);
	if (e->fd >= 0) {
		fk_pt_cfd_pin_locked(pt, e);
		fk_pt_unlock(pt);
		return e->fd;
	}
	fk_pt_fdc_reserve(pt);
	fk_pt_unlock(pt);
	int fd = reopen(pt, obj);
	fk_pt_lock(pt);
	if (fd >= 0)
		pt->fdc.reopens++;
	fd = fk_pt_fdc_fill(pt, e, fd, 1);
	fk_pt_unlock(pt);
	return fd;
}

void fk_pt_cfd_pin_locked(struct fk_pt *pt, struct fk_pt_cfd *e)
{
	FK_PT_ASSERT_LOCKED(pt);
	assert(e->fd >= 0);
	e->pins++;
	if (e->listed) { /* the most recently used now */
		lru_unlink(&pt->fdc, e);
		lru_push(&pt->fdc, e);
	}
}

void fk_pt_cfd_put(struct fk_pt *pt, struct fk_pt_cfd *e)
{
	fk_pt_lock(pt);
	assert(e->pins > 0);
	if (e->pins > 0) /* never wrap around */
		e->pins--;
	fk_pt_unlock(pt);
}

void fk_pt_cfd_drop(struct fk_pt *pt, struct fk_pt_cfd *e)
{
	FK_PT_ASSERT_LOCKED(pt);
	if (e->listed) {
		lru_unlink(&pt->fdc, e);
		e->listed = 0;
		assert(pt->fdc.open > 0);
		pt->fdc.open--;
	}
	if (e->fd >= 0)
		fk_nt_close_later(e->fd);
	e->fd = -1;
}

void fk_pt_cfd_install(struct fk_pt *pt, struct fk_pt_cfd *e, int fd, int pin)
{
	FK_PT_ASSERT_LOCKED(pt);
	assert(e->fd < 0);
	fk_pt_fdc_reserve(pt);
	(void)fk_pt_fdc_fill(pt, e, fd, pin);
}
