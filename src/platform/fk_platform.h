/*
 * fk_platform.h — everything that differs between Linux and macOS, behind
 * one set of functions. linux.c or darwin.c implements them; CMake picks
 * the file, so no other source needs an OS #ifdef.
 */
#ifndef FK_PLATFORM_H
#define FK_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include <fusekit/fk_ops.h>

/** The dialect this OS's kernel speaks. */
enum fk_dialect fk_plat_default_dialect(void);

/** A new fd reading from the same FUSE connection as master (Linux:
 *  /dev/fuse + FUSE_DEV_IOC_CLONE). -EOPNOTSUPP where there is no such
 *  thing; the caller then shares master. */
int fk_plat_dev_clone(int master);

/** FUSE_DEV_IOC_BACKING_OPEN / _CLOSE. */
int fk_plat_backing_open(int devfd, int fd);
int fk_plat_backing_close(int devfd, int backing_id);

/** Is path the root of a mount (Linux: listed in /proc/self/mountinfo)?
 *  1 yes, 0 no, -errno when it cannot tell. */
int fk_plat_is_mountpoint(const char *path);

/** An anonymous file in memory, read-write, close-on-exec (Linux: a
 *  memfd; macOS: an unlinked temporary file). The fd or -errno. */
int fk_plat_anon_file(void);

/** A new open file description of the file fd refers to, with flags as
 *  open(2) (Linux: through /proc/self/fd). macOS has no such call: a dup,
 *  which shares the offset and the status flags. The fd or -errno. */
int fk_plat_reopen_fd(int fd, int flags);

/** Copy up to len bytes at offset off of from to the same offset of to,
 *  inside the kernel (Linux: copy_file_range). The count copied (0 at
 *  the end of from), or -errno; -EOPNOTSUPP, -EXDEV, -EINVAL where the
 *  kernel cannot (macOS has no such call): copy by read and write then. */
long long fk_plat_copy_kernel(int from, int to, long long off, long long len);

struct stat;
struct timespec;
/** The access, modification and change times of st (the fields are
 *  st_atim... on Linux, st_atimespec... on macOS). */
void fk_plat_stat_times(const struct stat *st, struct timespec *atime,
			struct timespec *mtime, struct timespec *ctime);

#endif /* FK_PLATFORM_H */
