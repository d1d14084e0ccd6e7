/*
 * test_wire_layout.c — fk_wire.h against the kernel's own <linux/fuse.h>.
 *
 * Every structure, field, opcode and flag that the installed header (Linux
 * 6.1, protocol 7.38) also defines must match ours exactly: size, offset of
 * every field, value of every constant. Newer structures (statx, backing
 * ids, copy_file_range_64) are checked against the sizes the 6.18 uapi
 * header gives them.
 */
#include <stddef.h>
#include <linux/fuse.h>

#include "fk_test.h"
#include "proto/fk_wire.h"

#define SAME_SIZE(ours, theirs) FK_CHECK_EQ(sizeof(struct ours), sizeof(struct theirs))
#define SAME_FIELD(ours, theirs, f)                                        \
	do {                                                               \
		FK_CHECK_EQ(offsetof(struct ours, f), offsetof(struct theirs, f)); \
		FK_CHECK_EQ(sizeof(((struct ours *)0)->f),                 \
			    sizeof(((struct theirs *)0)->f));              \
	} while (0)

static void test_attr_and_entry(void)
{
	SAME_SIZE(fk_wire_attr, fuse_attr);
	SAME_FIELD(fk_wire_attr, fuse_attr, ino);
	SAME_FIELD(fk_wire_attr, fuse_attr, size);
	SAME_FIELD(fk_wire_attr, fuse_attr, blocks);
	SAME_FIELD(fk_wire_attr, fuse_attr, atime);
	SAME_FIELD(fk_wire_attr, fuse_attr, mtime);
	SAME_FIELD(fk_wire_attr, fuse_attr, ctime);
	SAME_FIELD(fk_wire_attr, fuse_attr, atimensec);
	SAME_FIELD(fk_wire_attr, fuse_attr, mtimensec);
	SAME_FIELD(fk_wire_attr, fuse_attr, ctimensec);
	SAME_FIELD(fk_wire_attr, fuse_attr, mode);
	SAME_FIELD(fk_wire_attr, fuse_attr, nlink);
	SAME_FIELD(fk_wire_attr, fuse_attr, uid);
	SAME_FIELD(fk_wire_attr, fuse_attr, gid);
	SAME_FIELD(fk_wire_attr, fuse_attr, rdev);
	SAME_FIELD(fk_wire_attr, fuse_attr, blksize);
	SAME_FIELD(fk_wire_attr, fuse_attr, flags);

	SAME_SIZE(fk_wire_entry_out, fuse_entry_out);
	SAME_FIELD(fk_wire_entry_out, fuse_entry_out, nodeid);
	SAME_FIELD(fk_wire_entry_out, fuse_entry_out, generation);
	SAME_FIELD(fk_wire_entry_out, fuse_entry_out, entry_valid);
	SAME_FIELD(fk_wire_entry_out, fuse_entry_out, attr_valid);
	SAME_FIELD(fk_wire_entry_out, fuse_entry_out, entry_valid_nsec);
	SAME_FIELD(fk_wire_entry_out, fuse_entry_out, attr_valid_nsec);
	SAME_FIELD(fk_wire_entry_out, fuse_entry_out, attr);

	SAME_SIZE(fk_wire_attr_out, fuse_attr_out);
	SAME_FIELD(fk_wire_attr_out, fuse_attr_out, attr_valid);
	SAME_FIELD(fk_wire_attr_out, fuse_attr_out, attr_valid_nsec);
	SAME_FIELD(fk_wire_attr_out, fuse_attr_out, attr);

	/* macFUSE: 16 bytes longer attr (crtime + crtimensec + flags). The
	 * compat sizes in macFUSE's header: entry_out 136 + 8, attr_out 112 + 8
	 * once blksize/flags were appended. */
	FK_CHECK_EQ(sizeof(struct fk_wire_mac_attr), 104);
	FK_CHECK_EQ(offsetof(struct fk_wire_mac_attr, crtime), 48);
	FK_CHECK_EQ(offsetof(struct fk_wire_mac_attr, crtimensec), 68);
	FK_CHECK_EQ(offsetof(struct fk_wire_mac_attr, flags_darwin), 92);
	FK_CHECK_EQ(sizeof(struct fk_wire_mac_entry_out), 144);
	FK_CHECK_EQ(sizeof(struct fk_wire_mac_attr_out), 120);
	FK_CHECK_EQ(sizeof(struct fk_wire_mac_setattr_in), 128);
	FK_CHECK_EQ(sizeof(struct fk_wire_mac_getxattr_in), 16);
	FK_CHECK_EQ(sizeof(struct fk_wire_mac_setxattr_in), 16);
	FK_CHECK_EQ(sizeof(struct fk_wire_mac_exchange_in), 24);
	FK_CHECK_EQ(sizeof(struct fk_wire_mac_getxtimes_out), 24);
}

static void test_requests(void)
{
	SAME_SIZE(fk_wire_in_header, fuse_in_header);
	SAME_FIELD(fk_wire_in_header, fuse_in_header, len);
	SAME_FIELD(fk_wire_in_header, fuse_in_header, opcode);
	SAME_FIELD(fk_wire_in_header, fuse_in_header, unique);
	SAME_FIELD(fk_wire_in_header, fuse_in_header, nodeid);
	SAME_FIELD(fk_wire_in_header, fuse_in_header, uid);
	SAME_FIELD(fk_wire_in_header, fuse_in_header, gid);
	SAME_FIELD(fk_wire_in_header, fuse_in_header, pid);
	SAME_FIELD(fk_wire_in_header, fuse_in_header, total_extlen);
	SAME_SIZE(fk_wire_out_header, fuse_out_header);
	SAME_FIELD(fk_wire_out_header, fuse_out_header, error);
	SAME_FIELD(fk_wire_out_header, fuse_out_header, unique);

	SAME_SIZE(fk_wire_init_in, fuse_init_in);
	SAME_FIELD(fk_wire_init_in, fuse_init_in, flags);
	SAME_FIELD(fk_wire_init_in, fuse_init_in, flags2);
	SAME_SIZE(fk_wire_init_out, fuse_init_out);
	SAME_FIELD(fk_wire_init_out, fuse_init_out, max_background);
	SAME_FIELD(fk_wire_init_out, fuse_init_out, congestion_threshold);
	SAME_FIELD(fk_wire_init_out, fuse_init_out, max_write);
	SAME_FIELD(fk_wire_init_out, fuse_init_out, time_gran);
	SAME_FIELD(fk_wire_init_out, fuse_init_out, max_pages);
	SAME_FIELD(fk_wire_init_out, fuse_init_out, map_alignment);
	SAME_FIELD(fk_wire_init_out, fuse_init_out, flags2);

	SAME_SIZE(fk_wire_forget_in, fuse_forget_in);
	SAME_SIZE(fk_wire_forget_one, fuse_forget_one);
	SAME_SIZE(fk_wire_batch_forget_in, fuse_batch_forget_in);
	SAME_SIZE(fk_wire_getattr_in, fuse_getattr_in);
	SAME_FIELD(fk_wire_getattr_in, fuse_getattr_in, fh);
	SAME_SIZE(fk_wire_mknod_in, fuse_mknod_in);
	SAME_FIELD(fk_wire_mknod_in, fuse_mknod_in, umask);
	SAME_SIZE(fk_wire_mkdir_in, fuse_mkdir_in);
	SAME_SIZE(fk_wire_rename_in, fuse_rename_in);
	SAME_SIZE(fk_wire_rename2_in, fuse_rename2_in);
	SAME_FIELD(fk_wire_rename2_in, fuse_rename2_in, flags);
	SAME_SIZE(fk_wire_link_in, fuse_link_in);

	SAME_SIZE(fk_wire_setattr_in, fuse_setattr_in);
	SAME_FIELD(fk_wire_setattr_in, fuse_setattr_in, valid);
	SAME_FIELD(fk_wire_setattr_in, fuse_setattr_in, fh);
	SAME_FIELD(fk_wire_setattr_in, fuse_setattr_in, size);
	SAME_FIELD(fk_wire_setattr_in, fuse_setattr_in, lock_owner);
	SAME_FIELD(fk_wire_setattr_in, fuse_setattr_in, atime);
	SAME_FIELD(fk_wire_setattr_in, fuse_setattr_in, mtime);
	SAME_FIELD(fk_wire_setattr_in, fuse_setattr_in, ctime);
	SAME_FIELD(fk_wire_setattr_in, fuse_setattr_in, atimensec);
	SAME_FIELD(fk_wire_setattr_in, fuse_setattr_in, mtimensec);
	SAME_FIELD(fk_wire_setattr_in, fuse_setattr_in, ctimensec);
	SAME_FIELD(fk_wire_setattr_in, fuse_setattr_in, mode);
	SAME_FIELD(fk_wire_setattr_in, fuse_setattr_in, uid);
	SAME_FIELD(fk_wire_setattr_in, fuse_setattr_in, gid);

	SAME_SIZE(fk_wire_open_in, fuse_open_in);
	SAME_SIZE(fk_wire_create_in, fuse_create_in);
	SAME_FIELD(fk_wire_create_in, fuse_create_in, umask);
	SAME_FIELD(fk_wire_create_in, fuse_create_in, open_flags);
	SAME_SIZE(fk_wire_open_out, fuse_open_out);
	SAME_FIELD(fk_wire_open_out, fuse_open_out, open_flags);
	SAME_SIZE(fk_wire_release_in, fuse_release_in);
	SAME_FIELD(fk_wire_release_in, fuse_release_in, lock_owner);
	SAME_SIZE(fk_wire_flush_in, fuse_flush_in);
	SAME_FIELD(fk_wire_flush_in, fuse_flush_in, lock_owner);
	SAME_SIZE(fk_wire_read_in, fuse_read_in);
	SAME_FIELD(fk_wire_read_in, fuse_read_in, offset);
	SAME_FIELD(fk_wire_read_in, fuse_read_in, size);
	SAME_FIELD(fk_wire_read_in, fuse_read_in, read_flags);
	SAME_FIELD(fk_wire_read_in, fuse_read_in, lock_owner);
	SAME_FIELD(fk_wire_read_in, fuse_read_in, flags);
	SAME_SIZE(fk_wire_write_in, fuse_write_in);
	SAME_FIELD(fk_wire_write_in, fuse_write_in, write_flags);
	SAME_FIELD(fk_wire_write_in, fuse_write_in, flags);
	SAME_SIZE(fk_wire_write_out, fuse_write_out);
	SAME_SIZE(fk_wire_statfs_out, fuse_statfs_out);
	SAME_SIZE(fk_wire_kstatfs, fuse_kstatfs);
	SAME_FIELD(fk_wire_kstatfs, fuse_kstatfs, bsize);
	SAME_FIELD(fk_wire_kstatfs, fuse_kstatfs, namelen);
	SAME_FIELD(fk_wire_kstatfs, fuse_kstatfs, frsize);
	SAME_SIZE(fk_wire_fsync_in, fuse_fsync_in);
	SAME_SIZE(fk_wire_setxattr_in, fuse_setxattr_in);
	SAME_FIELD(fk_wire_setxattr_in, fuse_setxattr_in, setxattr_flags);
	FK_CHECK_EQ(FK_COMPAT_SETXATTR_IN_SIZE, FUSE_COMPAT_SETXATTR_IN_SIZE);
	SAME_SIZE(fk_wire_getxattr_in, fuse_getxattr_in);
	SAME_SIZE(fk_wire_getxattr_out, fuse_getxattr_out);
	SAME_SIZE(fk_wire_lk_in, fuse_lk_in);
	SAME_FIELD(fk_wire_lk_in, fuse_lk_in, owner);
	SAME_FIELD(fk_wire_lk_in, fuse_lk_in, lk);
	SAME_FIELD(fk_wire_lk_in, fuse_lk_in, lk_flags);
	SAME_SIZE(fk_wire_lk_out, fuse_lk_out);
	SAME_SIZE(fk_wire_file_lock, fuse_file_lock);
	SAME_FIELD(fk_wire_file_lock, fuse_file_lock, pid);
	SAME_SIZE(fk_wire_access_in, fuse_access_in);
	SAME_SIZE(fk_wire_interrupt_in, fuse_interrupt_in);
	SAME_SIZE(fk_wire_bmap_in, fuse_bmap_in);
	SAME_SIZE(fk_wire_bmap_out, fuse_bmap_out);
	SAME_SIZE(fk_wire_ioctl_in, fuse_ioctl_in);
	SAME_FIELD(fk_wire_ioctl_in, fuse_ioctl_in, in_size);
	SAME_FIELD(fk_wire_ioctl_in, fuse_ioctl_in, out_size);
	SAME_SIZE(fk_wire_ioctl_out, fuse_ioctl_out);
	SAME_SIZE(fk_wire_poll_in, fuse_poll_in);
	SAME_FIELD(fk_wire_poll_in, fuse_poll_in, events);
	SAME_SIZE(fk_wire_poll_out, fuse_poll_out);
	SAME_SIZE(fk_wire_notify_poll_wakeup_out, fuse_notify_poll_wakeup_out);
	SAME_SIZE(fk_wire_fallocate_in, fuse_fallocate_in);
	SAME_FIELD(fk_wire_fallocate_in, fuse_fallocate_in, mode);
	SAME_SIZE(fk_wire_lseek_in, fuse_lseek_in);
	SAME_SIZE(fk_wire_lseek_out, fuse_lseek_out);
	SAME_SIZE(fk_wire_copy_file_range_in, fuse_copy_file_range_in);
	SAME_FIELD(fk_wire_copy_file_range_in, fuse_copy_file_range_in, flags);
	SAME_SIZE(fk_wire_syncfs_in, fuse_syncfs_in);
	SAME_SIZE(fk_wire_ext_header, fuse_ext_header);
	FK_CHECK_EQ(sizeof(struct fk_wire_supp_groups), 4); /* 7.39 */
}

static void test_notify_and_dirent(void)
{
	SAME_SIZE(fk_wire_dirent, fuse_dirent);
	SAME_FIELD(fk_wire_dirent, fuse_dirent, namelen);
	SAME_FIELD(fk_wire_dirent, fuse_dirent, type);
	FK_CHECK_EQ(sizeof(struct fk_wire_dirent), FUSE_NAME_OFFSET);
	SAME_SIZE(fk_wire_direntplus, fuse_direntplus);
	FK_CHECK_EQ(sizeof(struct fk_wire_direntplus), FUSE_NAME_OFFSET_DIRENTPLUS);
	SAME_SIZE(fk_wire_notify_inval_inode_out, fuse_notify_inval_inode_out);
	SAME_SIZE(fk_wire_notify_inval_entry_out, fuse_notify_inval_entry_out);
	SAME_FIELD(fk_wire_notify_inval_entry_out, fuse_notify_inval_entry_out, flags);
	SAME_SIZE(fk_wire_notify_delete_out, fuse_notify_delete_out);
	SAME_SIZE(fk_wire_notify_store_out, fuse_notify_store_out);
	SAME_SIZE(fk_wire_notify_retrieve_out, fuse_notify_retrieve_out);
	SAME_SIZE(fk_wire_notify_retrieve_in, fuse_notify_retrieve_in);
	SAME_FIELD(fk_wire_notify_retrieve_in, fuse_notify_retrieve_in, size);
}

/* Structures newer than the installed header: sizes from the 7.45 uapi. */
static void test_newer_structs(void)
{
	FK_CHECK_EQ(sizeof(struct fk_wire_sx_time), 16);
	FK_CHECK_EQ(sizeof(struct fk_wire_statx), 256);
	FK_CHECK_EQ(offsetof(struct fk_wire_statx, ino), 32);
	FK_CHECK_EQ(offsetof(struct fk_wire_statx, atime), 64);
	FK_CHECK_EQ(offsetof(struct fk_wire_statx, btime), 80);
	FK_CHECK_EQ(offsetof(struct fk_wire_statx, rdev_major), 128);
	FK_CHECK_EQ(sizeof(struct fk_wire_statx_in), 24);
	FK_CHECK_EQ(sizeof(struct fk_wire_statx_out), 288);
	FK_CHECK_EQ(offsetof(struct fk_wire_statx_out, stat), 32);
	FK_CHECK_EQ(sizeof(struct fk_wire_backing_map), 16);
	FK_CHECK_EQ(sizeof(struct fk_wire_copy_file_range_out), 8);
	FK_CHECK_EQ(offsetof(struct fk_wire_open_out, backing_id), 12);
	FK_CHECK_EQ(offsetof(struct fk_wire_init_out, max_stack_depth), 36);
	FK_CHECK_EQ(offsetof(struct fk_wire_init_out, request_timeout), 40);
}

static void test_constants(void)
{
	FK_CHECK_EQ(FK_OP_LOOKUP, FUSE_LOOKUP);
	FK_CHECK_EQ(FK_OP_FORGET, FUSE_FORGET);
	FK_CHECK_EQ(FK_OP_SETATTR, FUSE_SETATTR);
	FK_CHECK_EQ(FK_OP_SYMLINK, FUSE_SYMLINK);
	FK_CHECK_EQ(FK_OP_MKNOD, FUSE_MKNOD);
	FK_CHECK_EQ(FK_OP_RENAME, FUSE_RENAME);
	FK_CHECK_EQ(FK_OP_OPEN, FUSE_OPEN);
	FK_CHECK_EQ(FK_OP_STATFS, FUSE_STATFS);
	FK_CHECK_EQ(FK_OP_RELEASE, FUSE_RELEASE);
	FK_CHECK_EQ(FK_OP_FSYNC, FUSE_FSYNC);
	FK_CHECK_EQ(FK_OP_REMOVEXATTR, FUSE_REMOVEXATTR);
	FK_CHECK_EQ(FK_OP_INIT, FUSE_INIT);
	FK_CHECK_EQ(FK_OP_FSYNCDIR, FUSE_FSYNCDIR);
	FK_CHECK_EQ(FK_OP_SETLKW, FUSE_SETLKW);
	FK_CHECK_EQ(FK_OP_CREATE, FUSE_CREATE);
	FK_CHECK_EQ(FK_OP_INTERRUPT, FUSE_INTERRUPT);
	FK_CHECK_EQ(FK_OP_DESTROY, FUSE_DESTROY);
	FK_CHECK_EQ(FK_OP_NOTIFY_REPLY, FUSE_NOTIFY_REPLY);
	FK_CHECK_EQ(FK_OP_BATCH_FORGET, FUSE_BATCH_FORGET);
	FK_CHECK_EQ(FK_OP_READDIRPLUS, FUSE_READDIRPLUS);
	FK_CHECK_EQ(FK_OP_RENAME2, FUSE_RENAME2);
	FK_CHECK_EQ(FK_OP_LSEEK, FUSE_LSEEK);
	FK_CHECK_EQ(FK_OP_COPY_FILE_RANGE, FUSE_COPY_FILE_RANGE);
	FK_CHECK_EQ(FK_OP_SYNCFS, FUSE_SYNCFS);
	FK_CHECK_EQ(FK_OP_TMPFILE, FUSE_TMPFILE);
	FK_CHECK_EQ(FK_OP_STATX, 52);
	FK_CHECK_EQ(FK_OP_COPY_FILE_RANGE_64, 53);

	FK_CHECK_EQ(FK_NOTIFY_POLL, FUSE_NOTIFY_POLL);
	FK_CHECK_EQ(FK_NOTIFY_INVAL_INODE, FUSE_NOTIFY_INVAL_INODE);
	FK_CHECK_EQ(FK_NOTIFY_INVAL_ENTRY, FUSE_NOTIFY_INVAL_ENTRY);
	FK_CHECK_EQ(FK_NOTIFY_STORE, FUSE_NOTIFY_STORE);
	FK_CHECK_EQ(FK_NOTIFY_RETRIEVE, FUSE_NOTIFY_RETRIEVE);
	FK_CHECK_EQ(FK_NOTIFY_DELETE, FUSE_NOTIFY_DELETE);

	FK_CHECK_EQ(FK_INIT_ASYNC_READ, FUSE_ASYNC_READ);
	FK_CHECK_EQ(FK_INIT_POSIX_LOCKS, FUSE_POSIX_LOCKS);
	FK_CHECK_EQ(FK_INIT_FLOCK_LOCKS, FUSE_FLOCK_LOCKS);
	FK_CHECK_EQ(FK_INIT_DO_READDIRPLUS, FUSE_DO_READDIRPLUS);
	FK_CHECK_EQ(FK_INIT_WRITEBACK_CACHE, FUSE_WRITEBACK_CACHE);
	FK_CHECK_EQ(FK_INIT_PARALLEL_DIROPS, FUSE_PARALLEL_DIROPS);
	FK_CHECK_EQ(FK_INIT_MAX_PAGES, FUSE_MAX_PAGES);
	FK_CHECK_EQ(FK_INIT_HANDLE_KILLPRIV_V2, FUSE_HANDLE_KILLPRIV_V2);
	FK_CHECK_EQ(FK_INIT_SETXATTR_EXT, FUSE_SETXATTR_EXT);
	FK_CHECK_EQ(FK_INIT_INIT_EXT, FUSE_INIT_EXT);
	FK_CHECK_EQ(FK_INIT_SECURITY_CTX, FUSE_SECURITY_CTX);
	FK_CHECK_EQ(FK_INIT_HAS_EXPIRE_ONLY, FUSE_HAS_EXPIRE_ONLY);
	FK_CHECK_EQ(FK_FATTR_KILL_SUIDGID, FATTR_KILL_SUIDGID);
	FK_CHECK_EQ(FK_FATTR_CTIME, FATTR_CTIME);
	FK_CHECK_EQ(FK_EXT_GROUPS, FUSE_MAX_NR_SECCTX + 1); /* 7.39 */
	FK_CHECK_EQ(FK_DEV_IOC_MAGIC, FUSE_DEV_IOC_MAGIC);
}

int main(void)
{
	static const struct fk_test tests[] = {
		FK_TEST(test_attr_and_entry),
		FK_TEST(test_requests),
		FK_TEST(test_notify_and_dirent),
		FK_TEST(test_newer_structs),
		FK_TEST(test_constants),
	};
	return fk_test_main(tests, sizeof tests / sizeof tests[0]);
}
