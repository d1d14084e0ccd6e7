/*
 * linux.c — the Linux side of fk_platform.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "../proto/fk_wire.h"
#include "fk_platform.h"

#define FK_DEV_IOC_CLONE _IOR(FK_DEV_IOC_MAGIC, 0, uint32_t)
#define FK_DEV_IOC_BACKING_OPEN \
	_IOW(FK_DEV_IOC_MAGIC, 1, struct fk_wire_backing_map)
#define FK_DEV_IOC_BACKING_CLOSE _IOW(FK_DEV_IOC_MAGIC, 2, uint32_t)

enum fk_dialect fk_plat_default_dialect(void)
{
	return FK_DIALECT_LINUX;
}

int fk_plat_dev_clone(int master)
{
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	uint32_t m = (uint32_t)master;
	if (ioctl(fd, FK_DEV_IOC_CLONE, &m) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int fk_plat_backing_open(int devfd, int fd)
{
	struct fk_wire_backing_map map;
	memset(&map, 0, sizeof map);
	map.fd = fd;
	int id = ioctl(devfd, FK_DEV_IOC_BACKING_OPEN, &map);
	if (id < 0)
		return errno == ENOTTY ? -EOPNOTSUPP : -errno;
	return id;
}

int fk_plat_backing_close(int devfd, int backing_id)
{
	uint32_t id = (uint32_t)backing_id;
	if (ioctl(devfd, FK_DEV_IOC_BACKING_CLOSE, &id) < 0)
		return -errno;
	return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *o = s;
	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) |
				      (s[3] - '0'));
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = 0;
}

/* Call fn with every mountpoint of this mount namespace, unescaped, in
 * mountinfo's order, until it answers non-zero: that answer, 0, or
 * -errno. */
static int each_mountpoint(int (*fn)(const char *mp, void *arg), void *arg)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;
	while (rc == 0 && getline(&line, &cap, f) > 0) {
		/* id parent major:minor root mountpoint ... */
		char *save = NULL, *tok = strtok_r(line, " ", &save);
		for (int i = 0; tok && i < 4; i++)
			tok = strtok_r(NULL, " ", &save);
		if (!tok)
			continue;
		unescape_octal(tok);
		rc = fn(tok, arg);
	}
	free(line);
	fclose(f);
	return rc;
}

static int is_path(const char *mp, void *arg)
{
	return strcmp(mp, arg) == 0;
}

int fk_plat_is_mountpoint(const char *path)
{
	char real[PATH_MAX];
	if (!realpath(path, real))
		return -errno;
	return each_mountpoint(is_path, real);
}

struct below {
	const char *top;
	size_t len;
	char **paths;
	size_t n, cap;
};

static int collect_below(const char *mp, void *arg)
{
	struct below *b = arg;
	if (strncmp(mp, b->top, b->len) || mp[b->len] != '/')
		return 0;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		char **p = realloc(b->paths, cap * sizeof *p);
		if (!p)
			return -ENOMEM;
		b->paths = p;
		b->cap = cap;
	}
	return (b->paths[b->n++] = strdup(mp)) ? 0 : -ENOMEM;
}

static int deeper_first(const void *a, const void *b)
{
	size_t x = strlen(*(char *const *)a), y = strlen(*(char *const *)b);
	return (x < y) - (x > y);
}

int fk_plat_unmount_below(const char *path, int lazy)
{
	char real[PATH_MAX];
	if (!realpath(path, real))
		return -errno;
	struct below b = { real, strlen(real), NULL, 0, 0 };
	if (b.len == 1)
		b.len = 0; /* below "/": every path starts with "/" */
	int rc = each_mountpoint(collect_below, &b);
	if (b.n)
		qsort(b.paths, b.n, sizeof *b.paths, deeper_first);
	for (size_t i = 0; i < b.n; i++) {
		/* Gone meanwhile (a parent's lazy unmount took it): fine. */
		if (rc == 0 &&
		    umount2(b.paths[i], (lazy ? MNT_DETACH : 0) | UMOUNT_NOFOLLOW) < 0 &&
		    errno != EINVAL && errno != ENOENT)
			rc = -errno;
		free(b.paths[i]);
	}
	free(b.paths);
	return rc;
}

int fk_plat_anon_file(void)
{
	int fd = memfd_create("fusekit", MFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int fk_plat_reopen_fd(int fd, int flags)
{
	char p[32];
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	int r = open(p, flags | O_CLOEXEC);
	return r < 0 ? -errno : r;
}

void fk_plat_stat_times(const struct stat *st, struct timespec *atime,
			struct timespec *mtime, struct timespec *ctime)
{
	*atime = st->st_atim;
	*mtime = st->st_mtim;
	*ctime = st->st_ctim;
}

long long fk_plat_copy_range(int from, long long off_in, int to,
			     long long off_out, long long len, unsigned flags)
{
	/* A reflink first: shares the blocks where the host can (btrfs,
	 * XFS); the host refuses when it cannot, and we copy. */
	struct file_clone_range cr = { from, (uint64_t)off_in, (uint64_t)len,
				       (uint64_t)off_out };
	if (flags == 0 && len > 0 && ioctl(to, FICLONERANGE, &cr) == 0)
		return len;
	loff_t in = off_in, out = off_out;
	ssize_t n = copy_file_range(from, &in, to, &out, (size_t)len, flags);
	if (n >= 0)
		return n;
	return errno == ENOSYS ? -EOPNOTSUPP : -errno;
}

int fk_plat_is_fuse(int fd)
{
	struct statfs sf;
	return fstatfs(fd, &sf) == 0 && (unsigned long)sf.f_type == 0x65735546UL;
}

int fk_plat_statfs(int fd, struct fk_statfs *st)
{
	struct statvfs sv;
	if (fstatvfs(fd, &sv) < 0)
		return -errno;
	*st = (struct fk_statfs){ sv.f_blocks, sv.f_bfree, sv.f_bavail,
				  sv.f_files, sv.f_ffree, (uint32_t)sv.f_bsize,
				  (uint32_t)sv.f_namemax, (uint32_t)sv.f_frsize };
	return 0;
}

int fk_plat_fallocate(int fd, int mode, long long off, long long len)
{
	if ((unsigned)mode == FK_FALLOC_PREALLOCATE) {
		struct stat st;
		if (fstat(fd, &st) < 0)
			return -errno;
		long long blk = st.st_blksize > 0 ? st.st_blksize : 4096;
		long long end = (st.st_size + blk - 1) / blk * blk;
		if ((long long)st.st_blocks * 512 > end)
			end = (long long)st.st_blocks * 512;
		if (off < 0 || end > LLONG_MAX - off)
			return -EINVAL;
		off += end;
		mode = FALLOC_FL_KEEP_SIZE;
	}
	return fallocate(fd, mode, (off_t)off, (off_t)len) < 0 ? -errno : 0;
}

int fk_plat_inode_ioctl_kind(uint32_t cmd)
{
	switch (cmd) {
	case (uint32_t)FS_IOC_GETFLAGS:
	case (uint32_t)FS_IOC_FSGETXATTR:
		return FK_PLAT_IOCTL_GET;
	case (uint32_t)FS_IOC_SETFLAGS:
	case (uint32_t)FS_IOC_FSSETXATTR:
		return FK_PLAT_IOCTL_SET;
	}
	return 0;
}

int fk_plat_inode_ioctl(uint32_t cmd, const void *in, size_t in_size, int fd,
			void *out, size_t *out_size)
{
	/* The flags argument is an int, whatever size the number claims. */
	size_t size;
	unsigned long op;
	int get;
	switch (cmd) {
	case (uint32_t)FS_IOC_GETFLAGS:
	case (uint32_t)FS_IOC_SETFLAGS:
		size = sizeof(int);
		op = cmd == (uint32_t)FS_IOC_GETFLAGS ? FS_IOC_GETFLAGS : FS_IOC_SETFLAGS;
		get = op == FS_IOC_GETFLAGS;
		break;
	case (uint32_t)FS_IOC_FSGETXATTR:
	case (uint32_t)FS_IOC_FSSETXATTR:
		size = sizeof(struct fsxattr);
		op = cmd == (uint32_t)FS_IOC_FSGETXATTR ? FS_IOC_FSGETXATTR
							: FS_IOC_FSSETXATTR;
		get = op == FS_IOC_FSGETXATTR;
		break;
	default:
		return -ENOTTY;
	}
	if (!get) {
		if (in_size < size)
			return -EINVAL;
		memcpy(out, in, size);
	}
	if (ioctl(fd, op, out) < 0)
		return -errno;
	*out_size = get ? size : 0;
	return 0;
}

int fk_plat_fsync(int fd, int datasync)
{
	return (datasync ? fdatasync(fd) : fsync(fd)) < 0 ? -errno : 0;
}

int fk_plat_drop_cache(int fd)
{
	/* DONTNEED starts writeback of dirty pages and drops clean ones. */
	return -posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

int fk_plat_close_is_silent(int fd)
{
	/* Their regular files have no ->flush (fs/ext4/file.c,
	 * fs/xfs/xfs_file.c, fs/btrfs/file.c, mm/shmem.c); NFS, CIFS, FUSE,
	 * F2FS and overlayfs have one. Unknown: assume it does something. */
	struct statfs s;
	if (fstatfs(fd, &s) != 0)
		return 0;
	switch ((unsigned long)s.f_type) {
	case EXT4_SUPER_MAGIC: /* and ext2, ext3: the same magic */
	case XFS_SUPER_MAGIC:
	case BTRFS_SUPER_MAGIC:
	case TMPFS_MAGIC:
		return 1;
	default:
		return 0;
	}
}

static struct timespec ts_of(const struct statx_timestamp *t)
{
	struct timespec ts = { (time_t)t->tv_sec, (long)t->tv_nsec };
	return ts;
}

int fk_plat_stat_at(int dirfd, const char *name, struct fk_plat_stat *st)
{
	struct statx sx;
	int flags = AT_SYMLINK_NOFOLLOW | (name ? 0 : AT_EMPTY_PATH);
	if (statx(dirfd, name ? name : "", flags,
		  STATX_BASIC_STATS | STATX_BTIME | STATX_MNT_ID, &sx) < 0)
		return -errno;
	memset(st, 0, sizeof *st);
	st->dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	st->ino = sx.stx_ino;
	st->mnt_id = (sx.stx_mask & STATX_MNT_ID) ? sx.stx_mnt_id : 0;
	st->mode = sx.stx_mode;
	st->nlink = sx.stx_nlink;
	st->uid = sx.stx_uid;
	st->gid = sx.stx_gid;
	st->rdev = makedev(sx.stx_rdev_major, sx.stx_rdev_minor);
	st->blksize = sx.stx_blksize;
	st->size = sx.stx_size;
	st->blocks = sx.stx_blocks;
	st->atime = ts_of(&sx.stx_atime);
	st->mtime = ts_of(&sx.stx_mtime);
	st->ctime = ts_of(&sx.stx_ctime);
	st->has_btime = (sx.stx_mask & STATX_BTIME) != 0;
	if (st->has_btime)
		st->btime = ts_of(&sx.stx_btime);
	st->attributes = sx.stx_attributes;
	st->attributes_mask = sx.stx_attributes_mask;
	return 0;
}

/* ---- Filesystem objects ------------------------------------------------ */

/* Where a path reaches object (fd, name) through /proc: the magic link of
 * fd (itself, whatever its type), or name under it. */
static int obj_path(int fd, const char *name, char *p, size_t size)
{
	int n = name ? snprintf(p, size, "/proc/self/fd/%d/%s", fd, name)
		     : snprintf(p, size, "/proc/self/fd/%d", fd);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int fk_plat_can_hold(uint32_t type)
{
	(void)type;
	return 1;
}

int fk_plat_hold_at(int dirfd, const char *name, int dirs_only, int *fd,
		    struct fk_plat_stat *st)
{
	*fd = -1;
	if (dirs_only) {
		int rc = fk_plat_stat_at(dirfd, name, st);
		if (rc || !S_ISDIR(st->mode))
			return rc;
		/* The descriptor must be of the inode just seen. */
		struct fk_plat_stat seen = *st;
		rc = fk_plat_hold_at(dirfd, name, 0, fd, st);
		if (rc == 0 && (st->ino != seen.ino || st->dev != seen.dev ||
				!S_ISDIR(st->mode))) {
			close(*fd);
			*fd = -1;
			rc = -EAGAIN; /* replaced meanwhile: look again */
		}
		return rc;
	}
	*fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	int rc = fk_plat_stat_at(*fd, NULL, st);
	if (rc) {
		close(*fd);
		*fd = -1;
	}
	return rc;
}

int fk_plat_open_at(int fd, const char *name, int flags)
{
	int r;
	if (name) {
		r = openat(fd, name, (flags | O_NOFOLLOW | O_CLOEXEC) & ~O_CREAT);
	} else {
		char p[32];
		(void)obj_path(fd, NULL, p, sizeof p);
		/* (The magic link must be followed: it is the object.) */
		r = open(p, (flags | O_CLOEXEC) & ~(O_NOFOLLOW | O_CREAT));
	}
	return r < 0 ? -errno : r;
}

int fk_plat_chmod_at(int fd, const char *name, uint32_t mode)
{
	char p[32];
	int r = name ? fchmodat(fd, name, (mode_t)mode, AT_SYMLINK_NOFOLLOW)
		     : (obj_path(fd, NULL, p, sizeof p),
			fchmodat(AT_FDCWD, p, (mode_t)mode, 0));
	return r < 0 ? -errno : 0;
}

int fk_plat_chown_at(int fd, const char *name, uint32_t uid, uint32_t gid)
{
	int r = fchownat(fd, name ? name : "", (uid_t)uid, (gid_t)gid,
			 AT_SYMLINK_NOFOLLOW | (name ? 0 : AT_EMPTY_PATH));
	return r < 0 ? -errno : 0;
}

int fk_plat_utimens_at(int fd, const char *name, const struct timespec ts[2])
{
	int r = name ? utimensat(fd, name, ts, AT_SYMLINK_NOFOLLOW)
		     : utimensat(fd, "", ts, AT_EMPTY_PATH);
	return r < 0 ? -errno : 0;
}

int fk_plat_truncate_at(int fd, const char *name, uint64_t size)
{
	if (!name) {
		char p[32];
		(void)obj_path(fd, NULL, p, sizeof p);
		return truncate(p, (off_t)size) < 0 ? -errno : 0;
	}
	int f = openat(fd, name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (f < 0)
		return -errno;
	int rc = ftruncate(f, (off_t)size) < 0 ? -errno : 0;
	close(f);
	return rc;
}

int fk_plat_readlink_at(int fd, const char *name, char *buf, size_t size)
{
	ssize_t n = readlinkat(fd, name ? name : "", buf, size);
	return n < 0 ? -errno : (int)n;
}

int fk_plat_link_at(int fd, const char *name, int newdir, const char *newname)
{
	if (name)
		return linkat(fd, name, newdir, newname, 0) < 0 ? -errno : 0;
	/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the /proc path with
	 * AT_SYMLINK_FOLLOW links the same inode without it. */
	char p[32];
	(void)obj_path(fd, NULL, p, sizeof p);
	return linkat(AT_FDCWD, p, newdir, newname, AT_SYMLINK_FOLLOW) < 0 ? -errno
									     : 0;
}

/* The xattr calls go through /proc: the f*xattr calls refuse O_PATH
 * descriptors, and there are no *at variants. With a name, the l* calls
 * keep a final symlink unfollowed. */
int fk_plat_getxattr_at(int fd, const char *name, const char *attr, void *buf,
			size_t size, uint32_t position)
{
	char p[PATH_MAX];
	int rc = position ? -EINVAL : obj_path(fd, name, p, sizeof p);
	if (rc)
		return rc;
	ssize_t n = name ? lgetxattr(p, attr, buf, size) : getxattr(p, attr, buf, size);
	return n < 0 ? -errno : (int)n;
}

int fk_plat_setxattr_at(int fd, const char *name, const char *attr,
			const void *value, size_t size, int flags,
			uint32_t position)
{
	char p[PATH_MAX];
	int rc = position ? -EINVAL : obj_path(fd, name, p, sizeof p);
	if (rc)
		return rc;
	int r = name ? lsetxattr(p, attr, value, size, flags)
		     : setxattr(p, attr, value, size, flags);
	return r < 0 ? -errno : 0;
}

int fk_plat_listxattr_at(int fd, const char *name, char *buf, size_t size)
{
	char p[PATH_MAX];
	int rc = obj_path(fd, name, p, sizeof p);
	if (rc)
		return rc;
	ssize_t n = name ? llistxattr(p, buf, size) : listxattr(p, buf, size);
	return n < 0 ? -errno : (int)n;
}

int fk_plat_removexattr_at(int fd, const char *name, const char *attr)
{
	char p[PATH_MAX];
	int rc = obj_path(fd, name, p, sizeof p);
	if (rc)
		return rc;
	int r = name ? lremovexattr(p, attr) : removexattr(p, attr);
	return r < 0 ? -errno : 0;
}

int fk_plat_path_at(int fd, const char *name, char *buf, size_t size)
{
	char p[32];
	(void)obj_path(fd, NULL, p, sizeof p);
	ssize_t n = size ? readlink(p, buf, size) : 0;
	if (n < 0)
		return -errno;
	size_t len = (size_t)n;
	if (name && len < size) {
		int m = snprintf(buf + len, size - len, "/%s", name);
		len += m > 0 ? (size_t)m : 0;
	}
	if (len >= size)
		return -ERANGE;
	buf[len] = 0;
	return (int)len;
}

int fk_plat_rename_at(int olddir, const char *oldname, int newdir,
		      const char *newname, unsigned flags)
{
	/* FK_RENAME_* are renameat2's own numbers. */
	return renameat2(olddir, oldname, newdir, newname, flags) < 0 ? -errno : 0;
}

int fk_plat_hold_dir(const char *path)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int fk_plat_hold_beneath(int dirfd, char *path)
{
#ifdef SYS_openat2
	static int no_openat2; /* ENOSYS once: an old kernel */
	if (!__atomic_load_n(&no_openat2, __ATOMIC_RELAXED)) {
		struct open_how how = {
			.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
				   RESOLVE_NO_MAGICLINKS,
		};
		long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
		if (fd >= 0)
			return (int)fd;
		if (errno != ENOSYS && errno != ENAMETOOLONG)
			return -errno;
		if (errno == ENOSYS)
			__atomic_store_n(&no_openat2, 1, __ATOMIC_RELAXED);
	}
#endif
	/* One name at a time: each openat sees a single name, no symlink. */
	int cur = dirfd;
	char *name = path;
	for (;;) {
		char *slash = strchr(name, '/');
		if (slash)
			*slash = 0;
		int next = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		if (slash)
			*slash = '/';
		if (cur != dirfd)
			close(cur);
		if (next < 0)
			return -e;
		cur = next;
		if (!slash)
			return cur;
		name = slash + 1;
	}
}

int fk_plat_tmpfile_at(int dirfd, int flags, uint32_t mode)
{
	int fd = openat(dirfd, ".", flags | O_TMPFILE | O_CLOEXEC, (mode_t)mode);
	return fd < 0 ? -errno : fd;
}

int fk_plat_syncfs(int fd)
{
	/* syncfs(2) needs a real descriptor, not O_PATH. */
	int r = fk_plat_open_at(fd, NULL, O_RDONLY);
	if (r < 0)
		return r;
	int rc = syncfs(r) < 0 ? -errno : 0;
	close(r);
	return rc;
}

int fk_plat_clone_at(int src, int dirfd, const char *name)
{
	int fd = openat(dirfd, name,
			O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int rc = ioctl(fd, FICLONE, src) == 0 ? 0 : -errno;
	/* EINVAL, ENOTTY: the host has FICLONE but not for these files. */
	if (rc == -EINVAL || rc == -ENOTTY)
		rc = -EOPNOTSUPP;
	close(fd);
	if (rc)
		(void)unlinkat(dirfd, name, 0); /* failing: an empty file stays */
	return rc;
}

int fk_plat_copy_file(int src, int dst)
{
	(void)src, (void)dst;
	return -EOPNOTSUPP;
}

/* ---- File handles ------------------------------------------------------ */

struct fk_plat_handle {
	struct file_handle fh; /* f_handle's bytes follow */
};

int fk_plat_handle_bytes_at(int fd, const char *name, int *type, void *buf)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[FK_PLAT_HANDLE_MAX];
	} h;
	h.fh.handle_bytes = FK_PLAT_HANDLE_MAX;
	int mount_id;
	if (name_to_handle_at(fd, name ? name : "", &h.fh, &mount_id,
			      name ? 0 : AT_EMPTY_PATH) < 0)
		return -errno;
	*type = h.fh.handle_type;
	memcpy(buf, h.fh.f_handle, h.fh.handle_bytes);
	return (int)h.fh.handle_bytes;
}

struct fk_plat_handle *fk_plat_handle_of(int fd, const char *name)
{
	unsigned char bytes[FK_PLAT_HANDLE_MAX];
	int type;
	int len = fk_plat_handle_bytes_at(fd, name, &type, bytes);
	struct file_handle *h = len < 0 ? NULL : malloc(sizeof *h + (size_t)len);
	if (!h)
		return NULL;
	h->handle_bytes = (unsigned)len;
	h->handle_type = type;
	memcpy(h->f_handle, bytes, (size_t)len);
	return (struct fk_plat_handle *)h;
}

int fk_plat_handle_open(int mount_fd, const struct fk_plat_handle *h)
{
	int fd = open_by_handle_at(mount_fd, (struct file_handle *)&h->fh,
				   O_PATH | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	return errno == EINVAL || errno == ENOENT ? -ESTALE : -errno;
}

uint32_t fk_plat_random32(void)
{
	uint32_t r;
	if (getrandom(&r, sizeof r, 0) == (ssize_t)sizeof r)
		return r;
	return (uint32_t)time(NULL) * 2654435761u ^ (uint32_t)getpid();
}

size_t fk_plat_handle_raw(const struct fk_plat_handle *h, int *type,
			  const void **bytes)
{
	*type = h->fh.handle_type;
	*bytes = h->fh.f_handle;
	return h->fh.handle_bytes;
}

int fk_plat_handle_open_raw(int mount_fd, int type, const void *bytes,
			    size_t len)
{
	struct file_handle *fh = malloc(sizeof *fh + len);
	if (!fh)
		return -ENOMEM;
	fh->handle_bytes = (unsigned)len;
	fh->handle_type = type;
	memcpy(fh->f_handle, bytes, len);
	int fd = fk_plat_handle_open(mount_fd, (struct fk_plat_handle *)fh);
	free(fh);
	return fd;
}

/* ---- Credentials --------------------------------------------------------
 *
 * A root daemon that creates files with its own identity hands them to
 * root. The raw system calls, because glibc's setgroups() changes every
 * thread of the process: this thread alone takes the caller's fsuid,
 * fsgid and groups. Linux drops the filesystem capabilities when fsuid
 * leaves 0; keep_privileges raises them again, so that only the owner of
 * what is made changes. */

/* Make this thread's effective capabilities its permitted ones again. */
static int raise_caps(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	d[0].effective = d[0].permitted;
	d[1].effective = d[1].permitted;
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	return 0;
}

int fk_plat_cred_switch(uint32_t uid, uint32_t gid, const uint32_t *groups,
			unsigned ngroups, int keep_privileges)
{
	/* Groups first: after fsuid changes we may no longer be allowed. */
	if (syscall(SYS_setgroups, (size_t)ngroups, groups) < 0)
		return -errno;
	/* setfsuid/setfsgid return the previous value, never an error code;
	 * asking twice tells whether the change took. */
	syscall(SYS_setfsgid, gid);
	if ((uint32_t)syscall(SYS_setfsgid, -1) != gid)
		goto fail;
	syscall(SYS_setfsuid, uid);
	if ((uint32_t)syscall(SYS_setfsuid, -1) != uid)
		goto fail;
	if (keep_privileges && uid != 0 && raise_caps() < 0)
		goto fail;
	return 1;
fail:
	fk_plat_cred_restore();
	return -EPERM;
}

int fk_plat_thread_umask(uint32_t mask)
{
	static _Thread_local int unshared;
	if (!unshared) {
		/* Ours alone from now on: the root and working directory too,
		 * which the daemon never changes after it starts. */
		if (unshare(CLONE_FS) < 0)
			return -errno;
		unshared = 1;
	}
	umask(mask & 0777); /* cannot fail */
	return 0;
}

void fk_plat_cred_restore(void)
{
	/* Back to root; these cannot fail for a process whose euid is 0.
	 * fsuid 0 gives back the filesystem capabilities. */
	syscall(SYS_setfsuid, 0);
	syscall(SYS_setfsgid, 0);
	syscall(SYS_setgroups, (size_t)0, NULL);
}

int fk_plat_set_bsd_attrs_at(int fd, const char *name, uint32_t valid,
			     uint32_t flags, const struct timespec *crtime,
			     const struct timespec *bkuptime)
{
	(void)fd, (void)name, (void)valid, (void)flags, (void)crtime,
		(void)bkuptime;
	return -EOPNOTSUPP; /* no chflags; birth times cannot be set */
}

int fk_plat_bkuptime_at(int fd, const char *name, struct timespec *t)
{
	(void)fd, (void)name;
	t->tv_sec = 0;
	t->tv_nsec = 0;
	return 0;
}

void fk_plat_raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl); /* best effort */
	}
}

/* Is this process in the initial user namespace? Its uid_map is then the
 * identity over every id: "0 0 4294967295". */
static int initial_user_ns(void)
{
	FILE *f = fopen("/proc/self/uid_map", "re");
	if (!f)
		return 1; /* no /proc, or no namespaces built in */
	unsigned long inside, outside, count, next;
	int n = fscanf(f, "%lu %lu %lu", &inside, &outside, &count);
	int more = n == 3 && fscanf(f, "%lu", &next) == 1; /* a second range */
	fclose(f);
	return n == 3 && !more && inside == 0 && outside == 0 &&
	       count == 4294967295UL;
}

int fk_plat_trusted_xattrs(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return 0;
	return (d[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &
		CAP_TO_MASK(CAP_SYS_ADMIN)) && initial_user_ns();
}

/* fd as a path the mount calls take. */
#define FD_PATH(buf, fd) (snprintf(buf, sizeof buf, "/proc/self/fd/%d", fd), buf)

int fk_plat_bind_mount(const char *src, int target)
{
	char at[64];
	return mount(src, FD_PATH(at, target), NULL, MS_BIND | MS_REC, NULL) < 0
		       ? -errno
		       : 0;
}

int fk_plat_mount_slave(int fd)
{
	char at[64];
	return mount(NULL, FD_PATH(at, fd), NULL, MS_SLAVE | MS_REC, NULL) < 0
		       ? -errno
		       : 0;
}

int fk_plat_unmount_at(int fd)
{
	/* Lazily: fd itself keeps the mount busy. */
	char at[64];
	return umount2(FD_PATH(at, fd), MNT_DETACH) < 0 ? -errno : 0;
}
