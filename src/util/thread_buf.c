/*
 * thread_buf.c — per-thread scratch buffers (fk_thread_buf.h): a thread
 * key whose destructor frees a thread's buffers when it ends.
 */
#include <assert.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fk_thread_buf.h"

struct thread_bufs {
	void *buf[FK_THREAD_BUFS];
	size_t cap[FK_THREAD_BUFS];
};

static pthread_key_t bufs_key;
static pthread_once_t bufs_once = PTHREAD_ONCE_INIT;

static void free_bufs(void *p)
{
	struct thread_bufs *b = p;
	for (int i = 0; i < FK_THREAD_BUFS; i++)
		free(b->buf[i]);
	free(b);
}

static void make_key(void)
{
	/* Failing, pthread_setspecific fails below and callers get NULL. */
	(void)pthread_key_create(&bufs_key, free_bufs);
}

void *fk_thread_buf(unsigned which, size_t size)
{
	assert(which < FK_THREAD_BUFS);
	(void)pthread_once(&bufs_once, make_key);
	struct thread_bufs *b = pthread_getspecific(bufs_key);
	if (!b) {
		b = calloc(1, sizeof *b);
		if (!b || pthread_setspecific(bufs_key, b)) {
			free(b);
			return NULL;
		}
	}
	if (size > b->cap[which]) {
		void *n = NULL;
		if (posix_memalign(&n, 4096, size))
			return NULL;
		free(b->buf[which]);
		b->buf[which] = n;
		b->cap[which] = size;
	}
	return b->buf[which];
}

const void *fk_thread_buf_aligned(unsigned which, const void *data, size_t size)
{
	if (((uintptr_t)data & 4095) == 0)
		return data;
	void *b = fk_thread_buf(which, size ? size : 1);
	if (b)
		memcpy(b, data, size);
	return b;
}
