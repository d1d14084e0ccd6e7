/*
 * darwin.c — the macOS side of fk_platform.h (macFUSE).
 *
 * Compiled and linked for aarch64-macos and x86_64-macos in CI by
 * scripts/cross-macos.sh; its behaviour that is not a system call (the
 * macFUSE dialect) is tested on Linux through the fake kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/param.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fk_platform.h"

enum fk_dialect fk_plat_default_dialect(void)
{
	return FK_DIALECT_MACFUSE;
}

int fk_plat_dev_clone(int master)
{
	(void)master;
	return -EOPNOTSUPP; /* macFUSE has no FUSE_DEV_IOC_CLONE */
}

int fk_plat_backing_open(int devfd, int fd)
{
	(void)devfd;
	(void)fd;
	return -EOPNOTSUPP; /* no kernel passthrough in macFUSE */
}

int fk_plat_backing_close(int devfd, int backing_id)
{
	(void)devfd;
	(void)backing_id;
	return -EOPNOTSUPP;
}

int fk_plat_is_mountpoint(const char *path)
{
	char real[PATH_MAX];
	struct statfs sf;
	if (!realpath(path, real))
		return -errno;
	if (statfs(real, &sf) < 0)
		return -errno;
	return strcmp(sf.f_mntonname, real) == 0;
}

int fk_plat_anon_file(void)
{
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/fusekit.XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	(void)unlink(path); /* failing: a stray temporary file, no harm */
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

int fk_plat_reopen_fd(int fd, int flags)
{
	(void)flags;
	int r = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	return r < 0 ? -errno : r;
}

void fk_plat_stat_times(const struct stat *st, struct timespec *atime,
			struct timespec *mtime, struct timespec *ctime)
{
	*atime = st->st_atimespec;
	*mtime = st->st_mtimespec;
	*ctime = st->st_ctimespec;
}

long long fk_plat_copy_range(int from, long long off_in, int to,
			     long long off_out, long long len, unsigned flags)
{
	(void)from, (void)off_in, (void)to, (void)off_out, (void)len, (void)flags;
	return -EOPNOTSUPP; /* no copy_file_range; fcopyfile copies whole files */
}

int fk_plat_fallocate(int fd, int mode, long long off, long long len)
{
	if (mode != 0)
		return -EOPNOTSUPP; /* no KEEP_SIZE, PUNCH_HOLE... here */
	/* Contiguous if the disk can, else any blocks. */
	fstore_t fst = { F_ALLOCATECONTIG | F_ALLOCATEALL, F_PEOFPOSMODE, 0,
			 (off_t)(off + len), 0 };
	if (fcntl(fd, F_PREALLOCATE, &fst) < 0) {
		fst.fst_flags = F_ALLOCATEALL;
		if (fcntl(fd, F_PREALLOCATE, &fst) < 0)
			return -errno;
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size < off + len && ftruncate(fd, (off_t)(off + len)) < 0)
		return -errno;
	return 0;
}

int fk_plat_inode_ioctl_kind(uint32_t cmd)
{
	(void)cmd;
	return 0;
}

int fk_plat_inode_ioctl(uint32_t cmd, const void *in, size_t in_size, int fd,
			void *out, size_t *out_size)
{
	(void)cmd, (void)in, (void)in_size, (void)fd, (void)out, (void)out_size;
	return -ENOTTY; /* chflags goes through setattr on macOS */
}

int fk_plat_fsync(int fd, int datasync)
{
	(void)datasync; /* no fdatasync in macOS's headers */
	return fsync(fd) < 0 ? -errno : 0;
}

int fk_plat_stat_at(int dirfd, const char *name, struct fk_plat_stat *st)
{
	struct stat s;
	if ((name ? fstatat(dirfd, name, &s, AT_SYMLINK_NOFOLLOW) : fstat(dirfd, &s)) < 0)
		return -errno;
	memset(st, 0, sizeof *st);
	st->dev = (uint64_t)s.st_dev;
	st->ino = s.st_ino;
	st->mode = s.st_mode;
	st->nlink = s.st_nlink;
	st->uid = s.st_uid;
	st->gid = s.st_gid;
	st->rdev = (uint64_t)s.st_rdev;
	st->blksize = (uint32_t)s.st_blksize;
	st->size = (uint64_t)s.st_size;
	st->blocks = (uint64_t)s.st_blocks;
	st->atime = s.st_atimespec;
	st->mtime = s.st_mtimespec;
	st->ctime = s.st_ctimespec;
	st->btime = s.st_birthtimespec;
	st->has_btime = 1;
	st->flags = s.st_flags;
	st->gen = s.st_gen;
	return 0;
}
