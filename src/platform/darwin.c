/*
 * darwin.c — the macOS side of fk_platform.h (macFUSE).
 *
 * Compiled and linked for aarch64-macos and x86_64-macos in CI by
 * scripts/cross-macos.sh; its behaviour that is not a system call (the
 * macFUSE dialect) is tested on Linux through the fake kernel.
 */
#include <copyfile.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <pthread.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/param.h>
#include <sys/resource.h>
#include <sys/attr.h>
#include <sys/clonefile.h>
#include <sys/kauth.h>
#include <sys/stat.h>
#include <sys/xattr.h>
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
	return -EOPNOTSUPP; /* no copy_file_range: fk_plat_copy_file copies whole files */
}

int fk_plat_statfs(int fd, struct fk_statfs *st)
{
	/* Not fstatvfs: its fsblkcnt_t is 32 bits here, wrong for volumes
	 * of more than 2^32 blocks. As macFUSE's library fills a reply from
	 * struct statfs (lib/fuse_lowlevel.c, convert_statfs_x): the block
	 * size is the I/O size, the fragment size what blocks count. */
	struct statfs sf;
	if (fstatfs(fd, &sf) < 0)
		return -errno;
	long name_max = fpathconf(fd, _PC_NAME_MAX);
	*st = (struct fk_statfs){ sf.f_blocks, sf.f_bfree, sf.f_bavail,
				  sf.f_files, sf.f_ffree, (uint32_t)sf.f_iosize,
				  name_max > 0 ? (uint32_t)name_max : 255,
				  sf.f_bsize };
	return 0;
}

int fk_plat_fallocate(int fd, int mode, long long off, long long len)
{
	if ((unsigned)mode == FK_FALLOC_PREALLOCATE) {
		/* What the caller's F_PREALLOCATE asked, all or nothing. */
		fstore_t pre = { F_ALLOCATECONTIG | F_ALLOCATEALL, F_PEOFPOSMODE,
				 (off_t)off, (off_t)len, 0 };
		if (fcntl(fd, F_PREALLOCATE, &pre) < 0) {
			pre.fst_flags = F_ALLOCATEALL;
			if (fcntl(fd, F_PREALLOCATE, &pre) < 0)
				return -errno;
		}
		return 0;
	}
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

int fk_plat_drop_cache(int fd)
{
	(void)fd; /* no posix_fadvise; F_NOCACHE only stops caching later */
	return -EOPNOTSUPP;
}

int fk_plat_close_is_silent(int fd)
{
	(void)fd; /* macFUSE has no FOPEN_NOFLUSH to use it for */
	return 0;
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

/* ---- Filesystem objects ------------------------------------------------
 *
 * macOS has no O_PATH: a descriptor of a fifo or a device would open it.
 * Directories are held by an O_SEARCH descriptor (search permission only,
 * as Linux's O_PATH needs none at all); everything else is reached by
 * name in its directory. There are no *at calls for xattrs: those go
 * through the directory's path (F_GETPATH) and the name, never following
 * a final symlink. */

int fk_plat_can_hold(uint32_t type)
{
	return (type & S_IFMT) == S_IFDIR;
}

/* A descriptor of directory name in dirfd (NULL: the directory path). */
static int open_dir(int dirfd, const char *name)
{
	int fl = O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(dirfd, name, O_SEARCH | fl);
	if (fd < 0 && (errno == EINVAL || errno == EACCES))
		fd = openat(dirfd, name, O_RDONLY | fl); /* before macOS 13 */
	return fd < 0 ? -errno : fd;
}

int fk_plat_hold_at(int dirfd, const char *name, int dirs_only, int *fd,
		    struct fk_plat_stat *st)
{
	(void)dirs_only; /* directories only, always */
	*fd = -1;
	int rc = fk_plat_stat_at(dirfd, name, st);
	if (rc || !S_ISDIR(st->mode))
		return rc;
	struct fk_plat_stat seen = *st;
	int d = open_dir(dirfd, name);
	if (d < 0)
		return d;
	rc = fk_plat_stat_at(d, NULL, st);
	if (rc == 0 && (st->ino != seen.ino || st->dev != seen.dev))
		rc = -EAGAIN; /* replaced meanwhile: look again */
	if (rc) {
		close(d);
		return rc;
	}
	*fd = d;
	return 0;
}

/* The host path of object (fd, name) into p: 0 or -errno. */
static int obj_path(int fd, const char *name, char *p, size_t size)
{
	char dir[MAXPATHLEN];
	if (fcntl(fd, F_GETPATH, dir) < 0)
		return -errno;
	int n = name ? snprintf(p, size, "%s/%s", dir, name)
		     : snprintf(p, size, "%s", dir);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int fk_plat_open_at(int fd, const char *name, int flags)
{
	flags = (flags | O_CLOEXEC) & ~O_CREAT;
	int r;
	if (name) {
		r = openat(fd, name, flags | O_NOFOLLOW);
	} else {
		/* A directory opens itself; a kept file reopens by its path,
		 * which must still lead to it. */
		struct fk_plat_stat a, b;
		int rc = fk_plat_stat_at(fd, NULL, &a);
		if (rc)
			return rc;
		if (S_ISDIR(a.mode)) {
			r = openat(fd, ".", flags);
		} else {
			char p[MAXPATHLEN];
			if ((rc = obj_path(fd, NULL, p, sizeof p)))
				return rc;
			r = open(p, flags | O_NOFOLLOW);
			if (r >= 0 && (fk_plat_stat_at(r, NULL, &b) ||
				       b.ino != a.ino || b.dev != a.dev)) {
				close(r);
				return -ESTALE;
			}
		}
	}
	return r < 0 ? -errno : r;
}

int fk_plat_chmod_at(int fd, const char *name, uint32_t mode)
{
	int r = name ? fchmodat(fd, name, (mode_t)mode, AT_SYMLINK_NOFOLLOW)
		     : fchmod(fd, (mode_t)mode);
	return r < 0 ? -errno : 0;
}

int fk_plat_chown_at(int fd, const char *name, uint32_t uid, uint32_t gid)
{
	int r = name ? fchownat(fd, name, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW)
		     : fchown(fd, (uid_t)uid, (gid_t)gid);
	return r < 0 ? -errno : 0;
}

int fk_plat_utimens_at(int fd, const char *name, const struct timespec ts[2])
{
	int r = name ? utimensat(fd, name, ts, AT_SYMLINK_NOFOLLOW) : futimens(fd, ts);
	return r < 0 ? -errno : 0;
}

int fk_plat_truncate_at(int fd, const char *name, uint64_t size)
{
	int f = name ? openat(fd, name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
		     : fd;
	if (f < 0)
		return -errno;
	int rc = ftruncate(f, (off_t)size) < 0 ? -errno : 0;
	if (f != fd)
		close(f);
	return rc;
}

int fk_plat_readlink_at(int fd, const char *name, char *buf, size_t size)
{
	if (!name)
		return -EINVAL; /* symlinks are never held */
	ssize_t n = readlinkat(fd, name, buf, size);
	return n < 0 ? -errno : (int)n;
}

int fk_plat_link_at(int fd, const char *name, int newdir, const char *newname)
{
	char p[MAXPATHLEN];
	int rc = name ? 0 : obj_path(fd, NULL, p, sizeof p);
	if (rc)
		return rc;
	int r = name ? linkat(fd, name, newdir, newname, 0)
		     : linkat(AT_FDCWD, p, newdir, newname, 0);
	return r < 0 ? -errno : 0;
}

/* fusekit's code says ENODATA for a missing attribute, as Linux does;
 * replies turn it back into ENOATTR (src/proto/errno_map.c). */
static int xattr_rc(long r)
{
	return r >= 0 ? (int)r : errno == ENOATTR ? -ENODATA : -errno;
}

int fk_plat_getxattr_at(int fd, const char *name, const char *attr, void *buf,
			size_t size, uint32_t position)
{
	char p[MAXPATHLEN];
	int rc = name ? obj_path(fd, name, p, sizeof p) : 0;
	return rc ? rc
		  : xattr_rc(name ? getxattr(p, attr, buf, size, position, XATTR_NOFOLLOW)
				  : fgetxattr(fd, attr, buf, size, position, 0));
}

int fk_plat_setxattr_at(int fd, const char *name, const char *attr,
			const void *value, size_t size, int flags,
			uint32_t position)
{
	char p[MAXPATHLEN];
	int rc = name ? obj_path(fd, name, p, sizeof p) : 0;
	return rc ? rc
		  : xattr_rc(name ? setxattr(p, attr, value, size, position,
					     flags | XATTR_NOFOLLOW)
				  : fsetxattr(fd, attr, value, size, position, flags));
}

int fk_plat_listxattr_at(int fd, const char *name, char *buf, size_t size)
{
	char p[MAXPATHLEN];
	int rc = name ? obj_path(fd, name, p, sizeof p) : 0;
	return rc ? rc
		  : xattr_rc(name ? listxattr(p, buf, size, XATTR_NOFOLLOW)
				  : flistxattr(fd, buf, size, 0));
}

int fk_plat_removexattr_at(int fd, const char *name, const char *attr)
{
	char p[MAXPATHLEN];
	int rc = name ? obj_path(fd, name, p, sizeof p) : 0;
	return rc ? rc
		  : xattr_rc(name ? removexattr(p, attr, XATTR_NOFOLLOW)
				  : fremovexattr(fd, attr, 0));
}

int fk_plat_path_at(int fd, const char *name, char *buf, size_t size)
{
	int rc = obj_path(fd, name, buf, size);
	return rc == -ENAMETOOLONG ? -ERANGE : rc ? rc : (int)strlen(buf);
}

int fk_plat_rename_at(int olddir, const char *oldname, int newdir,
		      const char *newname, unsigned flags)
{
	if (flags & ~(FK_RENAME_NOREPLACE | FK_RENAME_EXCHANGE))
		return -EINVAL; /* no whiteouts here */
	unsigned x = ((flags & FK_RENAME_NOREPLACE) ? RENAME_EXCL : 0) |
		     ((flags & FK_RENAME_EXCHANGE) ? RENAME_SWAP : 0);
	int r = x ? renameatx_np(olddir, oldname, newdir, newname, x)
		  : renameat(olddir, oldname, newdir, newname);
	return r < 0 ? -errno : 0;
}

int fk_plat_hold_dir(const char *path)
{
	return open_dir(AT_FDCWD, path);
}

int fk_plat_hold_beneath(int dirfd, char *path)
{
	/* O_NOFOLLOW_ANY: no symlink anywhere on the way; the names have no
	 * ".." (the caller's), so nothing above dirfd is reached. */
	int fd = openat(dirfd, path,
			O_SEARCH | O_DIRECTORY | O_NOFOLLOW_ANY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno != EINVAL)
		return -errno;
	/* An older kernel: one name at a time. */
	int cur = dirfd;
	char *name = path;
	for (;;) {
		char *slash = strchr(name, '/');
		if (slash)
			*slash = 0;
		int next = open_dir(cur, name);
		if (slash)
			*slash = '/';
		if (cur != dirfd)
			close(cur);
		if (next < 0 || !slash)
			return next;
		cur = next;
		name = slash + 1;
	}
}

int fk_plat_tmpfile_at(int dirfd, int flags, uint32_t mode)
{
	(void)dirfd, (void)flags, (void)mode;
	return -EOPNOTSUPP; /* no unnamed files on macOS */
}

int fk_plat_syncfs(int fd)
{
	return fsync_volume_np(fd, SYNC_VOLUME_WAIT) < 0 ? -errno : 0;
}

int fk_plat_clone_at(int src, int dirfd, const char *name)
{
	/* NOOWNERCOPY: the clone is owned as a new file there would be. */
	if (fclonefileat(src, dirfd, name, CLONE_NOFOLLOW | CLONE_NOOWNERCOPY) == 0)
		return 0;
	/* ENOTSUP: not APFS; EXDEV: another volume. Nothing was made. */
	return errno == ENOTSUP ? -EOPNOTSUPP : -errno;
}

int fk_plat_copy_file(int src, int dst)
{
	/* fcopyfile copies from the descriptors' offsets: from the start. */
	if (lseek(src, 0, SEEK_SET) < 0 || lseek(dst, 0, SEEK_SET) < 0)
		return -errno;
	if (fcopyfile(src, dst, NULL, COPYFILE_DATA | COPYFILE_DATA_SPARSE) < 0)
		return -errno;
	return 0;
}

/* ---- File handles ----------------------------------------------------
 *
 * macOS has no name_to_handle_at. A handle is (st_dev, st_ino, st_gen):
 * fsgetpath finds the object's path from its volume and inode number
 * (APFS and HFS+ keep that map), the path is opened without following a
 * symlink anywhere on it, and the object opened must be the one the handle
 * names: same device and inode, and the same generation where the handle
 * has one (st_gen is 0 except for root). Only directories: nothing else is
 * held (fk_plat_can_hold).
 */

/* Declared in <sys/fsgetpath.h> (macOS 10.13), which zig's SDK lacks. */
ssize_t fsgetpath(char *buf, size_t bufsize, fsid_t *fsid, uint64_t objid);

struct fk_plat_handle {
	uint64_t dev, ino;
	uint32_t gen;
};

struct fk_plat_handle *fk_plat_handle_of(int fd, const char *name)
{
	struct fk_plat_stat st;
	if (fk_plat_stat_at(fd, name, &st) || !S_ISDIR(st.mode))
		return NULL;
	struct fk_plat_handle *h = malloc(sizeof *h);
	if (h)
		*h = (struct fk_plat_handle){ st.dev, st.ino, st.gen };
	return h;
}

int fk_plat_handle_open(int mount_fd, const struct fk_plat_handle *h)
{
	(void)mount_fd; /* the volume is in the handle */
	char path[PATH_MAX];
	fsid_t fsid = { { (int32_t)h->dev, 0 } };
	ssize_t len = fsgetpath(path, sizeof path, &fsid, h->ino);
	if (len < 0)
		return errno == ENOENT ? -ESTALE : -errno;
	if ((size_t)len >= sizeof path)
		return -ENAMETOOLONG;
	path[len] = 0;
	int fd = open(path, O_SEARCH | O_DIRECTORY | O_NOFOLLOW_ANY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP
			       ? -ESTALE /* moved or replaced meanwhile */
			       : -errno;
	struct fk_plat_stat st;
	int rc = fk_plat_stat_at(fd, NULL, &st);
	if (rc == 0 && (st.dev != h->dev || st.ino != h->ino ||
			(h->gen && st.gen != h->gen)))
		rc = -ESTALE;
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

int fk_plat_handle_bytes_at(int fd, const char *name, int *type, void *buf)
{
	(void)fd, (void)name, (void)type, (void)buf;
	return -EOPNOTSUPP; /* handles are (dev, ino, gen) here */
}

int fk_plat_is_fuse(int fd)
{
	struct statfs sf;
	return fstatfs(fd, &sf) == 0 && (!strncmp(sf.f_fstypename, "macfuse", 7) ||
					 !strncmp(sf.f_fstypename, "osxfuse", 7));
}

uint32_t fk_plat_random32(void)
{
	return arc4random();
}

size_t fk_plat_handle_raw(const struct fk_plat_handle *h, int *type,
			  const void **bytes)
{
	(void)h;
	*type = 0;
	*bytes = NULL;
	return 0;
}

int fk_plat_handle_open_raw(int mount_fd, int type, const void *bytes,
			    size_t len)
{
	(void)mount_fd, (void)type, (void)bytes, (void)len;
	return -EOPNOTSUPP;
}

/* ---- Credentials ------------------------------------------------------
 *
 * pthread_setugid_np gives this thread alone the caller's uid and gid,
 * and the caller's own groups. It takes every privilege root has, so a
 * switch that must keep them is not made: the caller gives the objects
 * it makes away itself (fk_plat_cred_switch's contract). Deprecated, but
 * macOS has no other way to act as someone else on one thread (a process
 * serves every caller at once).
 */
int fk_plat_thread_umask(uint32_t mask)
{
	(void)mask;
	return -ENOTSUP; /* the umask is the process's */
}

#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"

int fk_plat_cred_switch(uint32_t uid, uint32_t gid, const uint32_t *groups,
			unsigned ngroups, int keep_privileges)
{
	(void)groups, (void)ngroups; /* macFUSE sends none */
	if (keep_privileges)
		return 0;
	return pthread_setugid_np((uid_t)uid, (gid_t)gid) < 0 ? -errno : 1;
}

void fk_plat_cred_restore(void)
{
	/* Back to the process's credentials; cannot fail after a switch. */
	(void)pthread_setugid_np(KAUTH_UID_NONE, KAUTH_GID_NONE);
}
#pragma clang diagnostic pop

int fk_plat_set_bsd_attrs_at(int fd, const char *name, uint32_t valid,
			     uint32_t flags, const struct timespec *crtime,
			     const struct timespec *bkuptime)
{
	char p[MAXPATHLEN];
	int rc = name ? obj_path(fd, name, p, sizeof p) : 0;
	if (rc)
		return rc;
	if ((valid & FK_SET_FLAGS) &&
	    (name ? lchflags(p, flags) : fchflags(fd, flags)) < 0)
		return -errno;
	/* The times, in the order of their attribute bits. */
	struct attrlist al = { ATTR_BIT_MAP_COUNT, 0, 0, 0, 0, 0, 0 };
	struct timespec ts[2];
	size_t n = 0;
	if (valid & FK_SET_CRTIME) {
		al.commonattr |= ATTR_CMN_CRTIME;
		ts[n++] = *crtime;
	}
	if (valid & FK_SET_BKUPTIME) {
		al.commonattr |= ATTR_CMN_BKUPTIME;
		ts[n++] = *bkuptime;
	}
	if (!n)
		return 0;
	int r = name ? setattrlist(p, &al, ts, n * sizeof ts[0], FSOPT_NOFOLLOW)
		     : fsetattrlist(fd, &al, ts, n * sizeof ts[0], 0);
	return r < 0 ? -errno : 0;
}

int fk_plat_bkuptime_at(int fd, const char *name, struct timespec *t)
{
	char p[MAXPATHLEN];
	int rc = obj_path(fd, name, p, sizeof p);
	if (rc)
		return rc;
	struct attrlist al = { ATTR_BIT_MAP_COUNT, 0, ATTR_CMN_BKUPTIME, 0, 0, 0, 0 };
	struct {
		uint32_t length;
		struct timespec t;
	} __attribute__((packed)) buf;
	if (getattrlist(p, &al, &buf, sizeof buf, FSOPT_NOFOLLOW) < 0)
		return -errno;
	*t = buf.t;
	return 0;
}

void fk_plat_raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	/* The hard limit is often RLIM_INFINITY, which setrlimit refuses. */
	rl.rlim_cur = rl.rlim_max < OPEN_MAX ? rl.rlim_max : OPEN_MAX;
	(void)setrlimit(RLIMIT_NOFILE, &rl); /* best effort */
}

int fk_plat_trusted_xattrs(void)
{
	return geteuid() == 0; /* names are only names: no namespace rules */
}

int fk_plat_bind_mount(const char *src, int target)
{
	(void)src, (void)target;
	return -ENOTSUP; /* no bind mounts (nullfs is not for this) */
}

int fk_plat_mount_slave(int fd)
{
	(void)fd;
	return -ENOTSUP;
}

int fk_plat_unmount_at(int fd)
{
	(void)fd;
	return -ENOTSUP;
}

int fk_plat_unmount_below(const char *path, int lazy)
{
	(void)path, (void)lazy;
	return -ENOTSUP;
}
