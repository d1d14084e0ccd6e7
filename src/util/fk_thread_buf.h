/*
 * fk_thread_buf.h — per-thread scratch buffers for request handlers.
 *
 * A handler that needs a large buffer for the length of one request (a
 * read reply, an xattr list) takes it from here instead of allocating per
 * request: each thread keeps FK_THREAD_BUFS buffers, grown as needed and
 * freed when the thread ends. A filesystem numbers the slots for its own
 * purposes; a slot's contents last until the thread's next call for the
 * same slot.
 */
#ifndef FK_THREAD_BUF_H
#define FK_THREAD_BUF_H

#include <stddef.h>

#define FK_THREAD_BUFS 4
/* The session's own slot (a READ reply read by the transport,
 * fk_reply_fd); a filesystem numbers its slots below it. */
#define FK_THREAD_BUF_SESSION (FK_THREAD_BUFS - 1)

/** This thread's buffer number which (< FK_THREAD_BUFS), at least size
 *  bytes, page aligned (so O_DIRECT files can use it). Its old contents
 *  are lost when it grows. NULL when out of memory. */
void *fk_thread_buf(unsigned which, size_t size);

/** data itself if it is page aligned, else a copy of its size bytes in
 *  this thread's buffer which (O_DIRECT writes want aligned buffers; a
 *  request's data sits after its headers). NULL when out of memory. */
const void *fk_thread_buf_aligned(unsigned which, const void *data, size_t size);

#endif /* FK_THREAD_BUF_H */
