/*
 * fk_platform.h — everything that differs between Linux and macOS, behind
 * one set of functions. linux.c or darwin.c implements them; CMake picks
 * the file, so no other source needs an OS #ifdef.
 */
#ifndef FK_PLATFORM_H
#define FK_PLATFORM_H

#include <stddef.h>
#include <fcntl.h>
#include <stdint.h>
#include <time.h>

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

/** Copy up to len bytes of from at off_in to to at off_out inside the
 *  kernel: a reflink of the range where the host can (Linux: FICLONERANGE,
 *  only with flags 0), else copy_file_range with flags. The count copied
 *  (0 at the end of from), or -errno; -EOPNOTSUPP, -EXDEV, -EINVAL where
 *  the kernel cannot (macOS has no such call): copy by read and write
 *  then. */
long long fk_plat_copy_range(int from, long long off_in, int to,
			     long long off_out, long long len, unsigned flags);

/** fsync, or with datasync fdatasync where the host has it (macOS: fsync).
 *  0 or -errno. */
int fk_plat_fsync(int fd, int datasync);

/** Let the page cache forget the pages of fd's file (dirty ones are
 *  written back first where the host does that). 0 or -errno
 *  (-EOPNOTSUPP: the host has no such call). */
int fk_plat_drop_cache(int fd);

/** 1 when a close(2) of fd's file can neither write nor fail: its
 *  filesystem has no flush of its own (a local disk filesystem or tmpfs);
 *  0 when it may, or is not known. */
int fk_plat_close_is_silent(int fd);

/** open(2)'s O_NOATIME where the host has it, else 0. */
#ifdef O_NOATIME
#define FK_O_NOATIME O_NOATIME
#else
#define FK_O_NOATIME 0
#endif

/** open(2)'s O_TMPFILE where the host has it, else 0 (macOS). */
#ifdef O_TMPFILE
#define FK_O_TMPFILE O_TMPFILE
#else
#define FK_O_TMPFILE 0
#endif

/** open(2)'s O_DIRECT where the host has it, else 0 (macOS: F_NOCACHE). */
#ifdef O_DIRECT
#define FK_O_DIRECT O_DIRECT
#else
#define FK_O_DIRECT 0
#endif

/** The counts of the filesystem fd is on, in 64 bits (macOS: fstatfs,
 *  whose struct statfs has them; its statvfs has 32-bit ones). 0 or
 *  -errno. */
int fk_plat_statfs(int fd, struct fk_statfs *st);
/** Is fd on a FUSE filesystem (Linux: fuse, fuseblk; macOS: macFUSE)?
 *  1 or 0. */
int fk_plat_is_fuse(int fd);

/** fallocate(2) with Linux FALLOC_FL_* mode bits. macOS: mode 0 only
 *  (F_PREALLOCATE, then ftruncate to grow); -EOPNOTSUPP for the rest.
 *  FK_FALLOC_PREALLOCATE (alone) on both: len bytes reserved from the
 *  file's allocated end plus off, the size unchanged (macOS:
 *  F_PREALLOCATE from F_PEOFPOSMODE; Linux: FALLOC_FL_KEEP_SIZE from the
 *  larger of the blocks it has and its size rounded up to a block).
 *  0 or -errno. */
int fk_plat_fallocate(int fd, int mode, long long off, long long len);

/** The inode-flag ioctls a FUSE IOCTL request may carry (Linux:
 *  FS_IOC_GETFLAGS/SETFLAGS and FS_IOC_FSGETXATTR/FSSETXATTR) run on fd:
 *  in (in_size bytes) is the argument of a set; the answer of a get goes
 *  to out (room for 64 bytes), its size in *out_size. 0, -ENOTTY for any
 *  other command, or -errno. */
int fk_plat_inode_ioctl(uint32_t cmd, const void *in, size_t in_size, int fd,
			void *out, size_t *out_size);
/** Is cmd one of those ioctls, and does it change the inode?
 *  FK_PLAT_IOCTL_GET, FK_PLAT_IOCTL_SET, or 0 (not one of them). */
#define FK_PLAT_IOCTL_GET 1
#define FK_PLAT_IOCTL_SET 2
int fk_plat_inode_ioctl_kind(uint32_t cmd);

/** What a stat tells, the same on every host (Linux: statx; macOS:
 *  stat, whose st_flags and st_gen it keeps too). */
struct fk_plat_stat {
	uint64_t dev; /* the host's dev_t */
	uint64_t ino;
	uint64_t mnt_id; /* Linux's mount id; 0 where the host has none */
	uint32_t mode, nlink, uid, gid;
	uint64_t rdev; /* the host's dev_t */
	uint32_t blksize;
	uint64_t size, blocks;
	struct timespec atime, mtime, ctime;
	struct timespec btime; /* birth, where has_btime */
	int has_btime;
	uint32_t flags; /* chflags(2) flags (macOS; 0 on Linux) */
	uint64_t attributes, attributes_mask; /* statx(2)'s (Linux; else 0) */
	uint32_t gen; /* inode generation (macOS, for root; 0 elsewhere) */
};

/** Stat entry name of directory dirfd without following a symlink, or,
 *  with name NULL, what dirfd itself refers to (on Linux also an O_PATH
 *  descriptor). 0 or -errno. */
int fk_plat_stat_at(int dirfd, const char *name, struct fk_plat_stat *st);

/* ---- Filesystem objects, as the passthrough reaches them ----------------
 *
 * An object is named by (fd, name): entry name of directory fd, never
 * following a symlink there; or, with name NULL, what descriptor fd itself
 * refers to (any descriptor; on Linux also an O_PATH one). Every call
 * answers 0 (or a length where it says) or -errno. */

/** Can a descriptor be held on objects of this type (S_IFMT bits) without
 *  opening them (which has side effects for fifos and devices, and needs
 *  permission)? Linux: every type (O_PATH). macOS: directories only; the
 *  others are reached by name. */
int fk_plat_can_hold(uint32_t type);
/** Entry name of directory dirfd, not followed if a symlink: its stat in
 *  *st and, where fk_plat_can_hold its type (and, with dirs_only, only
 *  for a directory), a descriptor to hold it by in *fd (else -1). */
int fk_plat_hold_at(int dirfd, const char *name, int dirs_only, int *fd,
		    struct fk_plat_stat *st);
/** A new open file description of the object, open(2) flags (never
 *  O_CREAT; O_CLOEXEC added). The descriptor or -errno. */
int fk_plat_open_at(int fd, const char *name, int flags);
int fk_plat_chmod_at(int fd, const char *name, uint32_t mode);
/** (uint32_t)-1 leaves the uid or gid as it is. */
int fk_plat_chown_at(int fd, const char *name, uint32_t uid, uint32_t gid);
/** ts[0] atime, ts[1] mtime; UTIME_NOW and UTIME_OMIT as utimensat(2). */
int fk_plat_utimens_at(int fd, const char *name, const struct timespec ts[2]);
int fk_plat_truncate_at(int fd, const char *name, uint64_t size);
/** A symlink's target, not NUL-terminated: its length. */
int fk_plat_readlink_at(int fd, const char *name, char *buf, size_t size);
/** A new name newname in directory newdir for the object. */
int fk_plat_link_at(int fd, const char *name, int newdir, const char *newname);
/** The object's extended attributes, never following a symlink; get and
 *  list answer the length (size 0 asks for it). position: macOS's offset
 *  into a resource fork; must be 0 elsewhere (else -EINVAL). */
int fk_plat_getxattr_at(int fd, const char *name, const char *attr, void *buf,
			size_t size, uint32_t position);
int fk_plat_setxattr_at(int fd, const char *name, const char *attr,
			const void *value, size_t size, int flags,
			uint32_t position);
int fk_plat_listxattr_at(int fd, const char *name, char *buf, size_t size);
int fk_plat_removexattr_at(int fd, const char *name, const char *attr);
/** The object's path on the host, NUL-terminated, for messages and tools:
 *  its length (-ERANGE if size is too small). */
int fk_plat_path_at(int fd, const char *name, char *buf, size_t size);
/** rename(2) with renameat2's flags FK_RENAME_NOREPLACE, _EXCHANGE,
 *  _WHITEOUT (macOS: renameatx_np's RENAME_EXCL, RENAME_SWAP; no
 *  whiteouts: -EINVAL). */
int fk_plat_rename_at(int olddir, const char *oldname, int newdir,
		      const char *newname, unsigned flags);

/** macOS's attributes beyond POSIX (macFUSE's SETATTR): valid says which
 *  of FK_SET_FLAGS (chflags(2) flags), FK_SET_CRTIME, FK_SET_BKUPTIME to
 *  set. -EOPNOTSUPP where the host has none of them (Linux). */
int fk_plat_set_bsd_attrs_at(int fd, const char *name, uint32_t valid,
			     uint32_t flags, const struct timespec *crtime,
			     const struct timespec *bkuptime);
/** The object's backup time (macOS; zero elsewhere). 0 or -errno. */
int fk_plat_bkuptime_at(int fd, const char *name, struct timespec *t);

/** Raise the soft limit on open descriptors as far as the host lets this
 *  process (Linux: the hard limit; macOS: the hard limit, but at most
 *  OPEN_MAX, which setrlimit will not exceed). Best effort. */
void fk_plat_raise_nofile(void);

/** May this process read and write the privileged ("trusted.") xattr
 *  namespace, where kernel overlayfs keeps its marks? Linux: only with
 *  CAP_SYS_ADMIN in the initial user namespace, so never as root of a
 *  user namespace (rootless containers). macOS has no namespaces: root.
 *  1 or 0. */
int fk_plat_trusted_xattrs(void);

/** Unmount every mount strictly below path (the binds inside a fusekit
 *  mount), the deepest first; lazy: even if busy. 0 or the first -errno
 *  (-EBUSY). macOS: -ENOTSUP. */
int fk_plat_unmount_below(const char *path, int lazy);
/** Mount the host directory or file src over the object open at target
 *  (a descriptor the caller resolved without symlinks), with every mount
 *  below src (Linux: mount --rbind, through /proc/self/fd). -ENOTSUP
 *  where there are no bind mounts (macOS). 0 or -errno. */
int fk_plat_bind_mount(const char *src, int target);
/** Make the mount whose root is open at fd, and those below it, receive
 *  their source's later mounts without sending their own back (mount
 *  --make-rslave). 0 or -errno. */
int fk_plat_mount_slave(int fd);
/** Detach the mount whose root is open at fd, with every mount below it,
 *  even if busy (umount -l). 0 or -errno (-EINVAL: not a mount root). */
int fk_plat_unmount_at(int fd);

/** A descriptor to hold directory path by (Linux: O_PATH; macOS:
 *  O_SEARCH, else O_RDONLY). The descriptor or -errno. */
int fk_plat_hold_dir(const char *path);
/** path (names joined by '/', none "." or "..") beneath directory dirfd,
 *  no symlink followed and nothing outside dirfd reached (Linux: openat2
 *  RESOLVE_BENEATH, else one name at a time): a descriptor to hold it by
 *  (Linux: any type; macOS: directories). path is changed meanwhile and
 *  restored. The descriptor or -errno. */
int fk_plat_hold_beneath(int dirfd, char *path);
/** An unnamed regular file in directory dirfd (open(2)'s O_TMPFILE) opened
 *  with flags: the descriptor, or -EOPNOTSUPP where the host has none
 *  (macOS). */
int fk_plat_tmpfile_at(int dirfd, int flags, uint32_t mode);
/** Flush the filesystem fd is on to stable storage (syncfs). 0 or
 *  -errno. */
int fk_plat_syncfs(int fd);
/** A new regular file entry name of directory dirfd sharing the blocks of
 *  src, an open regular file: a reflink (Linux: created mode 0600 as the
 *  calling thread creates files, then FICLONE; macOS: fclonefileat, which
 *  also copies src's mode without set-id bits, its xattrs and ACL). The
 *  owner is whatever a new file there gets. 0 or -errno; -EOPNOTSUPP or
 *  -EXDEV where the filesystem cannot, and then no name is left behind. */
int fk_plat_clone_at(int src, int dirfd, const char *name);
/** All of src's data onto dst, an empty regular file, the host's own way,
 *  holes kept (macOS: fcopyfile). -EOPNOTSUPP where there is none (Linux:
 *  fk_plat_copy_range does better); 0 or -errno. */
int fk_plat_copy_file(int src, int dst);

/* ---- File handles ------------------------------------------------------
 *
 * Linux: name_to_handle_at and open_by_handle_at. macOS: (st_dev, st_ino,
 * st_gen), opened through fsgetpath's path for them, checked to be that
 * object; directories only (nothing else is held there). */

/** A handle naming an inode on its filesystem, malloc'd (free() it). */
struct fk_plat_handle;
/** The handle of name in directory fd (never following a symlink), or of
 *  what fd refers to (name NULL); NULL where there is none (a filesystem
 *  without handles; on macOS, anything but a directory; out of memory). */
struct fk_plat_handle *fk_plat_handle_of(int fd, const char *name);
/** A descriptor to hold the inode h names by (as fk_plat_hold_at), through
 *  mount_fd (a real descriptor on its filesystem; macOS needs none).
 *  -ESTALE when it names none there, -EPERM without CAP_DAC_READ_SEARCH
 *  (or where macOS refuses fsgetpath), -EOPNOTSUPP where there are no
 *  handles. */
int fk_plat_handle_open(int mount_fd, const struct fk_plat_handle *h);
/** The Linux handle of name in directory fd (or of fd itself, name NULL)
 *  into buf (FK_PLAT_HANDLE_MAX bytes), without allocating: its length,
 *  with *type set, or -errno (-EOPNOTSUPP on macOS). */
#define FK_PLAT_HANDLE_MAX 128
int fk_plat_handle_bytes_at(int fd, const char *name, int *type, void *buf);
/** The type and bytes of Linux handle h: its length, with *type and
 *  *bytes set; 0 on macOS (whose handles are not raw bytes). */
size_t fk_plat_handle_raw(const struct fk_plat_handle *h, int *type,
			  const void **bytes);
/** The same for a Linux handle given as its type and bytes (as kernel
 *  overlayfs records them); -EOPNOTSUPP on macOS. */
int fk_plat_handle_open_raw(int mount_fd, int type, const void *bytes,
			    size_t len);

/** 32 random bits (getrandom on Linux, arc4random on macOS), for what
 *  must differ between runs; never fails (falls back on the time and
 *  pid). */
uint32_t fk_plat_random32(void);

/* ---- Credentials ----------------------------------------------------- */

/** Act on this thread only as uid, gid and groups (Linux: fsuid, fsgid
 *  and the raw setgroups call; macOS: pthread_setugid_np, which takes the
 *  user's own groups), until fk_plat_cred_restore. keep_privileges: only
 *  new objects' owner is to change (Linux keeps the capabilities); a host
 *  that cannot (macOS) does not switch and answers 0, and the caller gives
 *  what it makes to uid and gid itself. Only for a daemon running as root.
 *  1 when switched, 0 when not, -errno. */
int fk_plat_cred_switch(uint32_t uid, uint32_t gid, const uint32_t *groups,
			unsigned ngroups, int keep_privileges);
/** Back to the daemon's own identity after a switch. */
void fk_plat_cred_restore(void);
/** Set this thread's own umask (what new objects lose where their
 *  directory has no default ACL), leaving the other threads' alone.
 *  Linux: the thread first stops sharing its umask, root and working
 *  directory with the process (unshare(CLONE_FS), once per thread).
 *  0, or -errno (-ENOTSUP on macOS, which has no thread umask). */
int fk_plat_thread_umask(uint32_t mask);

struct stat;
/** The access, modification and change times of st (the fields are
 *  st_atim... on Linux, st_atimespec... on macOS). */
void fk_plat_stat_times(const struct stat *st, struct timespec *atime,
			struct timespec *mtime, struct timespec *ctime);

#endif /* FK_PLATFORM_H */
