/*
 * fk_caller.h — what the kernel does not send about a request's caller
 * and a filesystem that applies the kernel's set-id rules itself needs:
 * its supplementary groups and whether it holds CAP_FSETID. Read from
 * /proc/<pid>/status (the thread's own), only when a file has set-id bits
 * to keep or drop, so the cost falls on that rare case.
 */
#ifndef FK_CALLER_H
#define FK_CALLER_H

#include <stdint.h>

#include <fusekit/fk_types.h>

/** May ctx's caller keep a file's set-group-ID bit, as Linux >= 6.2 rules
 *  it (in_group_or_capable): its group or one of its supplementary groups
 *  is gid (the file's, in the caller's numbering), or it holds
 *  CAP_FSETID. Where /proc cannot say (pid 0: the caller is in another
 *  pid namespace; no /proc; macOS), only the request's gid counts, so the
 *  bit is dropped rather than wrongly kept. 1 or 0. */
int fk_caller_in_group(const struct fk_ctx *ctx, uint32_t gid);

/** Does ctx's caller hold CAP_FSETID (a change by it keeps set-id bits)?
 *  Where /proc cannot say: uid 0 does. 1 or 0. */
int fk_caller_has_fsetid(const struct fk_ctx *ctx);

/** Parse a /proc/<pid>/status text (for tests): sets *fsetid, and
 *  *in_group when gid is listed in its Groups line. 0, or -EINVAL when
 *  either line is missing. */
int fk_caller_parse_status(const char *text, uint32_t gid, int *in_group,
			   int *fsetid);

#endif /* FK_CALLER_H */
