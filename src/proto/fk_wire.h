/*
 * fk_wire.h — the FUSE wire format, as fusekit's own definitions.
 *
 * Why our own copy: the installed <linux/fuse.h> is older than the kernels we
 * serve (it stops at protocol 7.38), and macOS has no such header at all. The
 * structures below follow the kernel's uapi header up to protocol 7.45 and
 * macFUSE's extensions (its fuse_kernel.h under __APPLE__). Every structure
 * the Linux header also has is checked field by field against it in
 * tests/unit/test_wire_layout.c, so a typo here fails the build's tests.
 *
 * Naming: fk_wire_<kernel name without the fuse_ prefix>. Constants keep the
 * kernel's spelling after an FK_ prefix so they can be grepped side by side.
 *
 * Everything here is little-endian native layout; FUSE never byte-swaps.
 */
#ifndef FK_WIRE_H
#define FK_WIRE_H

#include <stdint.h>

#define FK_KERNEL_VERSION 7
/* The highest minor we speak. INIT settles on min(kernel's, ours). */
#define FK_KERNEL_MINOR_VERSION 45
/* Below this minor we refuse the connection: every kernel since 2012 and
 * every macFUSE since 3.0 speaks at least 7.19. */
#define FK_KERNEL_MINOR_MIN 19

#define FK_ROOT_ID 1

enum fk_wire_opcode {
	FK_OP_LOOKUP = 1,
	FK_OP_FORGET = 2,
	FK_OP_GETATTR = 3,
	FK_OP_SETATTR = 4,
	FK_OP_READLINK = 5,
	FK_OP_SYMLINK = 6,
	FK_OP_MKNOD = 8,
	FK_OP_MKDIR = 9,
	FK_OP_UNLINK = 10,
	FK_OP_RMDIR = 11,
	FK_OP_RENAME = 12,
	FK_OP_LINK = 13,
	FK_OP_OPEN = 14,
	FK_OP_READ = 15,
	FK_OP_WRITE = 16,
	FK_OP_STATFS = 17,
	FK_OP_RELEASE = 18,
	FK_OP_FSYNC = 20,
	FK_OP_SETXATTR = 21,
	FK_OP_GETXATTR = 22,
	FK_OP_LISTXATTR = 23,
	FK_OP_REMOVEXATTR = 24,
	FK_OP_FLUSH = 25,
	FK_OP_INIT = 26,
	FK_OP_OPENDIR = 27,
	FK_OP_READDIR = 28,
	FK_OP_RELEASEDIR = 29,
	FK_OP_FSYNCDIR = 30,
	FK_OP_GETLK = 31,
	FK_OP_SETLK = 32,
	FK_OP_SETLKW = 33,
	FK_OP_ACCESS = 34,
	FK_OP_CREATE = 35,
	FK_OP_INTERRUPT = 36,
	FK_OP_BMAP = 37,
	FK_OP_DESTROY = 38,
	FK_OP_IOCTL = 39,
	FK_OP_POLL = 40,
	FK_OP_NOTIFY_REPLY = 41,
	FK_OP_BATCH_FORGET = 42,
	FK_OP_FALLOCATE = 43,
	FK_OP_READDIRPLUS = 44,
	FK_OP_RENAME2 = 45,
	FK_OP_LSEEK = 46,
	FK_OP_COPY_FILE_RANGE = 47,
	FK_OP_SETUPMAPPING = 48,
	FK_OP_REMOVEMAPPING = 49,
	FK_OP_SYNCFS = 50,
	FK_OP_TMPFILE = 51,
	FK_OP_STATX = 52,
	FK_OP_COPY_FILE_RANGE_64 = 53,
	/* macFUSE only */
	FK_OP_SETVOLNAME = 61,
	FK_OP_GETXTIMES = 62,
	FK_OP_EXCHANGE = 63,
	FK_OP_MAX = 64 /* table size; not an opcode */
};

enum fk_wire_notify_code {
	FK_NOTIFY_POLL = 1,
	FK_NOTIFY_INVAL_INODE = 2,
	FK_NOTIFY_INVAL_ENTRY = 3,
	FK_NOTIFY_STORE = 4,
	FK_NOTIFY_RETRIEVE = 5,
	FK_NOTIFY_DELETE = 6,
	FK_NOTIFY_RESEND = 7,
	FK_NOTIFY_INC_EPOCH = 8,
	FK_NOTIFY_PRUNE = 9,
};

/* INIT flags (flags | flags2 << 32), Linux dialect. */
#define FK_INIT_ASYNC_READ (1ULL << 0)
#define FK_INIT_POSIX_LOCKS (1ULL << 1)
#define FK_INIT_FILE_OPS (1ULL << 2)
#define FK_INIT_ATOMIC_O_TRUNC (1ULL << 3)
#define FK_INIT_EXPORT_SUPPORT (1ULL << 4)
#define FK_INIT_BIG_WRITES (1ULL << 5)
#define FK_INIT_DONT_MASK (1ULL << 6)
#define FK_INIT_SPLICE_WRITE (1ULL << 7)
#define FK_INIT_SPLICE_MOVE (1ULL << 8)
#define FK_INIT_SPLICE_READ (1ULL << 9)
#define FK_INIT_FLOCK_LOCKS (1ULL << 10)
#define FK_INIT_HAS_IOCTL_DIR (1ULL << 11)
#define FK_INIT_AUTO_INVAL_DATA (1ULL << 12)
#define FK_INIT_DO_READDIRPLUS (1ULL << 13)
#define FK_INIT_READDIRPLUS_AUTO (1ULL << 14)
#define FK_INIT_ASYNC_DIO (1ULL << 15)
#define FK_INIT_WRITEBACK_CACHE (1ULL << 16)
#define FK_INIT_NO_OPEN_SUPPORT (1ULL << 17)
#define FK_INIT_PARALLEL_DIROPS (1ULL << 18)
#define FK_INIT_HANDLE_KILLPRIV (1ULL << 19)
#define FK_INIT_POSIX_ACL (1ULL << 20)
#define FK_INIT_ABORT_ERROR (1ULL << 21)
#define FK_INIT_MAX_PAGES (1ULL << 22)
#define FK_INIT_CACHE_SYMLINKS (1ULL << 23)
#define FK_INIT_NO_OPENDIR_SUPPORT (1ULL << 24)
#define FK_INIT_EXPLICIT_INVAL_DATA (1ULL << 25)
#define FK_INIT_MAP_ALIGNMENT (1ULL << 26)
#define FK_INIT_SUBMOUNTS (1ULL << 27)
#define FK_INIT_HANDLE_KILLPRIV_V2 (1ULL << 28)
#define FK_INIT_SETXATTR_EXT (1ULL << 29)
#define FK_INIT_INIT_EXT (1ULL << 30)
#define FK_INIT_INIT_RESERVED (1ULL << 31)
#define FK_INIT_SECURITY_CTX (1ULL << 32)
#define FK_INIT_HAS_INODE_DAX (1ULL << 33)
#define FK_INIT_CREATE_SUPP_GROUP (1ULL << 34)
#define FK_INIT_HAS_EXPIRE_ONLY (1ULL << 35)
#define FK_INIT_DIRECT_IO_ALLOW_MMAP (1ULL << 36)
#define FK_INIT_PASSTHROUGH (1ULL << 37)
#define FK_INIT_NO_EXPORT_SUPPORT (1ULL << 38)
#define FK_INIT_HAS_RESEND (1ULL << 39)
#define FK_INIT_ALLOW_IDMAP (1ULL << 40)
#define FK_INIT_OVER_IO_URING (1ULL << 41)
#define FK_INIT_REQUEST_TIMEOUT (1ULL << 42)

/* INIT flags in the macFUSE dialect (macfuse/library include/fuse_kernel.h):
 * bits 0-6 and 10 mean what they mean on Linux; 23-31 are macFUSE's own,
 * where Linux has others (23 is its CACHE_SYMLINKS): the dialect decides
 * which table applies. No other bit exists there. */
#define FK_INIT_MAC_COMMON (0x7FULL | (1ULL << 10))
#define FK_INIT_MAC_ACCESS_EXTENDED (1U << 23)
#define FK_INIT_MAC_NODE_RWLOCK (1U << 24)
#define FK_INIT_MAC_RENAME_SWAP (1U << 25) /* RENAME carries flags */
#define FK_INIT_MAC_RENAME_EXCL (1U << 26)
#define FK_INIT_MAC_ALLOCATE (1U << 27)
#define FK_INIT_MAC_EXCHANGE_DATA (1U << 28)
#define FK_INIT_MAC_CASE_INSENSITIVE (1U << 29)
#define FK_INIT_MAC_VOL_RENAME (1U << 30)
#define FK_INIT_MAC_XTIMES (1U << 31)

/* setattr valid bits */
#define FK_FATTR_MODE (1U << 0)
#define FK_FATTR_UID (1U << 1)
#define FK_FATTR_GID (1U << 2)
#define FK_FATTR_SIZE (1U << 3)
#define FK_FATTR_ATIME (1U << 4)
#define FK_FATTR_MTIME (1U << 5)
#define FK_FATTR_FH (1U << 6)
#define FK_FATTR_ATIME_NOW (1U << 7)
#define FK_FATTR_MTIME_NOW (1U << 8)
#define FK_FATTR_LOCKOWNER (1U << 9)
#define FK_FATTR_CTIME (1U << 10)
#define FK_FATTR_KILL_SUIDGID (1U << 11)
/* macFUSE */
#define FK_FATTR_MAC_CRTIME (1U << 28)
#define FK_FATTR_MAC_CHGTIME (1U << 29)
#define FK_FATTR_MAC_BKUPTIME (1U << 30)
#define FK_FATTR_MAC_FLAGS (1U << 31)

#define FK_GETATTR_FH (1U << 0)
#define FK_LK_FLOCK (1U << 0)
#define FK_FSYNC_FDATASYNC (1U << 0)
#define FK_WRITE_LOCKOWNER (1U << 1)
#define FK_READ_LOCKOWNER (1U << 1)

/* Request ids step by two; an INTERRUPT request's unique is its target's
 * unique with bit 0 set. Bit 63 marks a resent request (FUSE_HAS_RESEND). */
#define FK_INT_REQ_BIT (1ULL << 0)

/* macOS's setxattr(2) options, as macFUSE passes the caller's on
 * (xnu bsd/sys/xattr.h; vfs_syscalls.c hands them to the filesystem). */
#define FK_MAC_XATTR_NOFOLLOW 0x0001U
#define FK_MAC_XATTR_CREATE 0x0002U
#define FK_MAC_XATTR_REPLACE 0x0004U
#define FK_MAC_XATTR_NOSECURITY 0x0008U
#define FK_MAC_XATTR_NODEFAULT 0x0010U
#define FK_MAC_XATTR_SHOWCOMPRESSION 0x0020U

/* FALLOCATE's mode from macFUSE: VNOP_ALLOCATE's flags (xnu
 * bsd/sys/vnode.h). F_PREALLOCATE sends PREALLOCATE with ALLOCATEFROMPEOF
 * (or ALLOCATEFROMVOL), and the kernel adds ALLOCATEALL (osxfuse/kext
 * fuse_vnops.c, fuse_vnop_allocate). */
#define FK_MAC_PREALLOCATE 0x01U
#define FK_MAC_ALLOCATECONTIG 0x02U
#define FK_MAC_ALLOCATEALL 0x04U
#define FK_MAC_ALLOCATEFROMPEOF 0x10U
#define FK_MAC_ALLOCATEFROMVOL 0x20U

/* macFUSE rename flags (renamex_np) */
#define FK_MAC_RENAME_SWAP 0x2U
#define FK_MAC_RENAME_EXCL 0x4U

/* Extension records after the op's arguments (in_header.total_extlen). */
#define FK_EXT_GROUPS 32

#define FK_MIN_READ_BUFFER 8192
/* macFUSE: the largest message its kernel sends. It sizes WRITEs by the
 * vnode's I/O size, not max_write, and SETXATTR bodies up to its 16 MiB
 * buffer; a read() too short for a message fails with EIO, and the
 * kernel fails the request (osxfuse/kext fuse_device.c,
 * fuse_device_read). macFUSE's library reads with this much
 * (macfuse/library lib/fuse_darwin.h FUSE_DEFAULT_USERKERNEL_BUFSIZE,
 * 32 MiB, plus 4 KiB for the header: lib/fuse_kern_chan.c MIN_BUFSIZE). */
#define FK_DARWIN_MAX_MESSAGE (33554432u + 4096u)

struct fk_wire_attr {
	uint64_t ino;
	uint64_t size;
	uint64_t blocks;
	uint64_t atime;
	uint64_t mtime;
	uint64_t ctime;
	uint32_t atimensec;
	uint32_t mtimensec;
	uint32_t ctimensec;
	uint32_t mode;
	uint32_t nlink;
	uint32_t uid;
	uint32_t gid;
	uint32_t rdev;
	uint32_t blksize;
	uint32_t flags;
};

/* macFUSE's fuse_attr: creation time and BSD file flags inserted. */
struct fk_wire_mac_attr {
	uint64_t ino;
	uint64_t size;
	uint64_t blocks;
	uint64_t atime;
	uint64_t mtime;
	uint64_t ctime;
	uint64_t crtime;
	uint32_t atimensec;
	uint32_t mtimensec;
	uint32_t ctimensec;
	uint32_t crtimensec;
	uint32_t mode;
	uint32_t nlink;
	uint32_t uid;
	uint32_t gid;
	uint32_t rdev;
	uint32_t flags_darwin; /* chflags(2) */
	uint32_t blksize;
	uint32_t flags;
};

struct fk_wire_sx_time {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t reserved;
};

struct fk_wire_statx {
	uint32_t mask;
	uint32_t blksize;
	uint64_t attributes;
	uint32_t nlink;
	uint32_t uid;
	uint32_t gid;
	uint16_t mode;
	uint16_t spare0[1];
	uint64_t ino;
	uint64_t size;
	uint64_t blocks;
	uint64_t attributes_mask;
	struct fk_wire_sx_time atime;
	struct fk_wire_sx_time btime;
	struct fk_wire_sx_time ctime;
	struct fk_wire_sx_time mtime;
	uint32_t rdev_major;
	uint32_t rdev_minor;
	uint32_t dev_major;
	uint32_t dev_minor;
	uint64_t spare2[14];
};

struct fk_wire_kstatfs {
	uint64_t blocks;
	uint64_t bfree;
	uint64_t bavail;
	uint64_t files;
	uint64_t ffree;
	uint32_t bsize;
	uint32_t namelen;
	uint32_t frsize;
	uint32_t padding;
	uint32_t spare[6];
};

struct fk_wire_file_lock {
	uint64_t start;
	uint64_t end;
	uint32_t type;
	uint32_t pid;
};

struct fk_wire_entry_out {
	uint64_t nodeid;
	uint64_t generation;
	uint64_t entry_valid;
	uint64_t attr_valid;
	uint32_t entry_valid_nsec;
	uint32_t attr_valid_nsec;
	struct fk_wire_attr attr;
};

struct fk_wire_mac_entry_out {
	uint64_t nodeid;
	uint64_t generation;
	uint64_t entry_valid;
	uint64_t attr_valid;
	uint32_t entry_valid_nsec;
	uint32_t attr_valid_nsec;
	struct fk_wire_mac_attr attr;
};

struct fk_wire_forget_in {
	uint64_t nlookup;
};

struct fk_wire_forget_one {
	uint64_t nodeid;
	uint64_t nlookup;
};

struct fk_wire_batch_forget_in {
	uint32_t count;
	uint32_t dummy;
};

struct fk_wire_getattr_in {
	uint32_t getattr_flags;
	uint32_t dummy;
	uint64_t fh;
};

struct fk_wire_attr_out {
	uint64_t attr_valid;
	uint32_t attr_valid_nsec;
	uint32_t dummy;
	struct fk_wire_attr attr;
};

struct fk_wire_mac_attr_out {
	uint64_t attr_valid;
	uint32_t attr_valid_nsec;
	uint32_t dummy;
	struct fk_wire_mac_attr attr;
};

struct fk_wire_mac_getxtimes_out {
	uint64_t bkuptime;
	uint64_t crtime;
	uint32_t bkuptimensec;
	uint32_t crtimensec;
};

struct fk_wire_statx_in {
	uint32_t getattr_flags;
	uint32_t reserved;
	uint64_t fh;
	uint32_t sx_flags;
	uint32_t sx_mask;
};

struct fk_wire_statx_out {
	uint64_t attr_valid;
	uint32_t attr_valid_nsec;
	uint32_t flags;
	uint64_t spare[2];
	struct fk_wire_statx stat;
};

struct fk_wire_mknod_in {
	uint32_t mode;
	uint32_t rdev;
	uint32_t umask;
	uint32_t padding;
};

struct fk_wire_mkdir_in {
	uint32_t mode;
	uint32_t umask;
};

struct fk_wire_rename_in {
	uint64_t newdir;
};

/* RENAME2 on Linux; RENAME itself in the macFUSE dialect. */
struct fk_wire_rename2_in {
	uint64_t newdir;
	uint32_t flags;
	uint32_t padding;
};

struct fk_wire_mac_exchange_in {
	uint64_t olddir;
	uint64_t newdir;
	uint64_t options;
};

struct fk_wire_link_in {
	uint64_t oldnodeid;
};

struct fk_wire_setattr_in {
	uint32_t valid;
	uint32_t padding;
	uint64_t fh;
	uint64_t size;
	uint64_t lock_owner;
	uint64_t atime;
	uint64_t mtime;
	uint64_t ctime;
	uint32_t atimensec;
	uint32_t mtimensec;
	uint32_t ctimensec;
	uint32_t mode;
	uint32_t unused4;
	uint32_t uid;
	uint32_t gid;
	uint32_t unused5;
};

struct fk_wire_mac_setattr_in {
	struct fk_wire_setattr_in base;
	uint64_t bkuptime;
	uint64_t chgtime;
	uint64_t crtime;
	uint32_t bkuptimensec;
	uint32_t chgtimensec;
	uint32_t crtimensec;
	uint32_t flags;
};

struct fk_wire_open_in {
	uint32_t flags;
	uint32_t open_flags;
};

struct fk_wire_create_in {
	uint32_t flags;
	uint32_t mode;
	uint32_t umask;
	uint32_t open_flags;
};

struct fk_wire_open_out {
	uint64_t fh;
	uint32_t open_flags;
	int32_t backing_id;
};

struct fk_wire_release_in {
	uint64_t fh;
	uint32_t flags;
	uint32_t release_flags;
	uint64_t lock_owner;
};

struct fk_wire_flush_in {
	uint64_t fh;
	uint32_t unused;
	uint32_t padding;
	uint64_t lock_owner;
};

struct fk_wire_read_in {
	uint64_t fh;
	uint64_t offset;
	uint32_t size;
	uint32_t read_flags;
	uint64_t lock_owner;
	uint32_t flags;
	uint32_t padding;
};

struct fk_wire_write_in {
	uint64_t fh;
	uint64_t offset;
	uint32_t size;
	uint32_t write_flags;
	uint64_t lock_owner;
	uint32_t flags;
	uint32_t padding;
};

struct fk_wire_write_out {
	uint32_t size;
	uint32_t padding;
};

struct fk_wire_statfs_out {
	struct fk_wire_kstatfs st;
};

struct fk_wire_fsync_in {
	uint64_t fh;
	uint32_t fsync_flags;
	uint32_t padding;
};

/* 8 bytes before SETXATTR_EXT; 16 with it (Linux), always 16 on macFUSE
 * where the third word is the resource-fork position. */
#define FK_COMPAT_SETXATTR_IN_SIZE 8
struct fk_wire_setxattr_in {
	uint32_t size;
	uint32_t flags;
	uint32_t setxattr_flags;
	uint32_t padding;
};

struct fk_wire_mac_setxattr_in {
	uint32_t size;
	uint32_t flags;
	uint32_t position;
	uint32_t setxattr_flags;
};

struct fk_wire_getxattr_in {
	uint32_t size;
	uint32_t padding;
};

struct fk_wire_mac_getxattr_in {
	uint32_t size;
	uint32_t padding;
	uint32_t position;
	uint32_t padding2;
};

struct fk_wire_getxattr_out {
	uint32_t size;
	uint32_t padding;
};

struct fk_wire_lk_in {
	uint64_t fh;
	uint64_t owner;
	struct fk_wire_file_lock lk;
	uint32_t lk_flags;
	uint32_t padding;
};

struct fk_wire_lk_out {
	struct fk_wire_file_lock lk;
};

struct fk_wire_access_in {
	uint32_t mask;
	uint32_t padding;
};

/* The first 16 bytes are all that kernels before 7.36 send. */
#define FK_COMPAT_INIT_IN_SIZE 16
struct fk_wire_init_in {
	uint32_t major;
	uint32_t minor;
	uint32_t max_readahead;
	uint32_t flags;
	uint32_t flags2;
	uint32_t unused[11];
};

#define FK_COMPAT_22_INIT_OUT_SIZE 24
struct fk_wire_init_out {
	uint32_t major;
	uint32_t minor;
	uint32_t max_readahead;
	uint32_t flags;
	uint16_t max_background;
	uint16_t congestion_threshold;
	uint32_t max_write;
	uint32_t time_gran;
	uint16_t max_pages;
	uint16_t map_alignment;
	uint32_t flags2;
	uint32_t max_stack_depth;
	uint16_t request_timeout;
	uint16_t unused[11];
};

struct fk_wire_interrupt_in {
	uint64_t unique;
};

struct fk_wire_bmap_in {
	uint64_t block;
	uint32_t blocksize;
	uint32_t padding;
};

struct fk_wire_bmap_out {
	uint64_t block;
};

struct fk_wire_ioctl_in {
	uint64_t fh;
	uint32_t flags;
	uint32_t cmd;
	uint64_t arg;
	uint32_t in_size;
	uint32_t out_size;
};

struct fk_wire_ioctl_out {
	int32_t result;
	uint32_t flags;
	uint32_t in_iovs;
	uint32_t out_iovs;
};

struct fk_wire_poll_in {
	uint64_t fh;
	uint64_t kh;
	uint32_t flags;
	uint32_t events;
};

struct fk_wire_poll_out {
	uint32_t revents;
	uint32_t padding;
};

struct fk_wire_notify_poll_wakeup_out {
	uint64_t kh;
};

struct fk_wire_fallocate_in {
	uint64_t fh;
	uint64_t offset;
	uint64_t length;
	uint32_t mode;
	uint32_t padding;
};

struct fk_wire_in_header {
	uint32_t len;
	uint32_t opcode;
	uint64_t unique;
	uint64_t nodeid;
	uint32_t uid;
	uint32_t gid;
	uint32_t pid;
	uint16_t total_extlen; /* in 8-byte units */
	uint16_t padding;
};

struct fk_wire_out_header {
	uint32_t len;
	int32_t error;
	uint64_t unique;
};

/* ---- FUSE over io_uring (Linux >= 6.14; the kernel's uapi fuse.h) ----
 *
 * An entry the daemon registers is two buffers: this header block and a
 * payload buffer of at least the connection's max payload size. A
 * request comes as its in-header in in_out, its fixed per-op header in
 * op_in, the rest in the payload (ent.payload_sz bytes); the reply goes
 * as the out-header in in_out and every out argument in the payload. */
#define FK_URING_IN_OUT_HEADER_SZ 128
#define FK_URING_OP_IN_OUT_SZ 128

struct fk_wire_uring_ent_in_out {
	uint64_t flags;
	uint64_t commit_id; /* the request's unique: names it in a commit */
	uint32_t payload_sz; /* bytes in the payload buffer */
	uint32_t padding;
	uint64_t reserved;
};

struct fk_wire_uring_req_header {
	uint8_t in_out[FK_URING_IN_OUT_HEADER_SZ];
	uint8_t op_in[FK_URING_OP_IN_OUT_SZ];
	struct fk_wire_uring_ent_in_out ent;
};

/* The io_uring command (sqe->cmd_op) of an IORING_OP_URING_CMD on the
 * device. */
enum {
	FK_URING_CMD_REGISTER = 1, /* register an entry, fetch a request */
	FK_URING_CMD_COMMIT_AND_FETCH = 2, /* answer it, fetch the next */
};

/* In the command area of a 128-byte SQE. */
struct fk_wire_uring_cmd_req {
	uint64_t flags;
	uint64_t commit_id;
	uint16_t qid; /* the queue: one per possible CPU */
	uint8_t padding[6];
};

struct fk_wire_dirent {
	uint64_t ino;
	uint64_t off;
	uint32_t namelen;
	uint32_t type;
	/* char name[namelen], then zero padding to 8 bytes */
};

struct fk_wire_direntplus {
	struct fk_wire_entry_out entry_out;
	struct fk_wire_dirent dirent;
};

struct fk_wire_mac_direntplus {
	struct fk_wire_mac_entry_out entry_out;
	struct fk_wire_dirent dirent;
};

#define FK_DIRENT_ALIGN(x) (((x) + 7u) & ~(size_t)7u)

struct fk_wire_notify_inval_inode_out {
	uint64_t ino;
	int64_t off;
	int64_t len;
};

struct fk_wire_notify_inval_entry_out {
	uint64_t parent;
	uint32_t namelen;
	uint32_t flags;
};

struct fk_wire_notify_delete_out {
	uint64_t parent;
	uint64_t child;
	uint32_t namelen;
	uint32_t padding;
};

/* FUSE_NOTIFY_PRUNE (7.45): count node ids (uint64_t) follow. */
struct fk_wire_notify_prune_out {
	uint32_t count;
	uint32_t padding;
	uint64_t spare;
};

struct fk_wire_notify_store_out {
	uint64_t nodeid;
	uint64_t offset;
	uint32_t size;
	uint32_t padding;
};

struct fk_wire_notify_retrieve_out {
	uint64_t notify_unique;
	uint64_t nodeid;
	uint64_t offset;
	uint32_t size;
	uint32_t padding;
};

struct fk_wire_notify_retrieve_in {
	uint64_t dummy1;
	uint64_t offset;
	uint32_t size;
	uint32_t dummy2;
	uint64_t dummy3;
	uint64_t dummy4;
};

struct fk_wire_backing_map {
	int32_t fd;
	uint32_t flags;
	uint64_t padding;
};

struct fk_wire_lseek_in {
	uint64_t fh;
	uint64_t offset;
	uint32_t whence;
	uint32_t padding;
};

struct fk_wire_lseek_out {
	uint64_t offset;
};

struct fk_wire_copy_file_range_in {
	uint64_t fh_in;
	uint64_t off_in;
	uint64_t nodeid_out;
	uint64_t fh_out;
	uint64_t off_out;
	uint64_t len;
	uint64_t flags;
};

struct fk_wire_copy_file_range_out {
	uint64_t bytes_copied;
};

struct fk_wire_syncfs_in {
	uint64_t padding;
};

struct fk_wire_ext_header {
	uint32_t size;
	uint32_t type;
};

struct fk_wire_supp_groups {
	uint32_t nr_groups;
	/* uint32_t groups[nr_groups] */
};

/* Device ioctls (Linux). Spelled out because <sys/ioctl.h>'s _IOR/_IOW are
 * not available in this header's portable part. */
#define FK_DEV_IOC_MAGIC 229

#endif /* FK_WIRE_H */
