/*
 * backing_slot.c — one backing id shared by the opens of an inode
 * (fk_backing_slot.h).
 */
#include <errno.h>

#include "fk_backing_slot.h"

#include <assert.h>

/* writers += delta; atomic for fk_backing_slot_writing's unlocked read. */
static void count_writer(struct fk_backing_slot *s, int delta)
{
	assert(delta > 0 || s->writers > 0);
	__atomic_store_n(&s->writers, s->writers + (uint32_t)delta,
			 __ATOMIC_RELAXED);
	assert(s->writers <= s->users);
}

/* One passthrough open fewer; the last closes the id. */
static void slot_put(fk_session *se, struct fk_backing_slot *s)
{
	assert(s->users ? s->writers < s->users : s->writers == 0);
	if (s->users && --s->users == 0 && s->id > 0) {
		/* Failing, the id stays registered until the session ends. */
		(void)fk_backing_close(se, s->id);
		s->id = 0;
	}
}

int fk_backing_slot_open(fk_session *se, struct fk_backing_slot *s, int fd,
			 uint64_t owner, int want, int writes,
			 enum fk_backing_kind *kind, int *joined, int *err)
{
	*joined = 0;
	*err = 0;
	if (s->users > 0) {
		/* Passthrough opens exist: this one joins them or fails. */
		if (s->owner != owner) {
			*kind = FK_BACKING_UNCOUNTED;
			return -EBUSY;
		}
		*joined = !want;
		s->users++;
		if (writes)
			count_writer(s, 1);
		*kind = FK_BACKING_PASSTHROUGH;
		return s->id;
	}
	if (want && s->cached == 0) {
		int id = fk_backing_open(se, fd);
		if (id > 0) {
			s->id = id;
			s->owner = owner;
			s->users = 1;
			if (writes)
				count_writer(s, 1);
			*kind = FK_BACKING_PASSTHROUGH;
			return id;
		}
		*err = id < 0 ? id : -EIO;
	}
	s->cached++;
	*kind = FK_BACKING_CACHED;
	return 0;
}

void fk_backing_slot_close(fk_session *se, struct fk_backing_slot *s,
			   enum fk_backing_kind kind, int writes)
{
	if (kind == FK_BACKING_PASSTHROUGH && writes)
		count_writer(s, -1);
	if (kind == FK_BACKING_PASSTHROUGH)
		slot_put(se, s);
	else if (kind == FK_BACKING_CACHED && s->cached)
		s->cached--;
}
