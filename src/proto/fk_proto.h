/*
 * fk_proto.h — decoding kernel requests and encoding replies (internal).
 *
 * The decoder turns one raw message into a struct fk_msg: the header fields
 * and the operation's arguments in the public fk_*_in form, with every
 * pointer aimed into the caller's buffer. It is pure (no I/O, no allocation,
 * no session) so the fuzzer and the unit tests drive it directly.
 *
 * Decoding depends on the dialect and the negotiated minor version, held in
 * struct fk_proto. Invariants the decoder guarantees on success:
 *   - every name pointer is NUL-terminated inside the message;
 *   - every data pointer + size lies inside the message;
 *   - the header's len equals the number of bytes received.
 */
#ifndef FK_PROTO_H
#define FK_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <fusekit/fk_ops.h>

#include "fk_wire.h"

struct fk_proto {
	enum fk_dialect dialect;
	uint32_t minor; /* negotiated; FK_KERNEL_MINOR_VERSION before INIT */
	int setxattr_ext; /* FUSE_SETXATTR_EXT was granted */
	/* macFUSE's RENAME_SWAP was granted: RENAME carries flags (16
	 * bytes); else it is {newdir} alone (macfuse/library
	 * lib/fuse_lowlevel.c do_rename; osxfuse 3's kernel) */
	int mac_rename_flags;
};

struct fk_init_args {
	uint32_t major;
	uint32_t minor;
	uint32_t max_readahead;
	uint64_t flags; /* flags | flags2 << 32 (flags2 only with INIT_EXT) */
};

struct fk_forget_args {
	const uint8_t *items; /* count fk_wire_forget_one, possibly unaligned */
	uint32_t count;
	uint64_t single_nlookup; /* FORGET: nodeid is the header's */
	int batch;
};

struct fk_notify_reply_args {
	uint64_t offset;
	const void *data;
	uint32_t size;
};

#define FK_MSG_MAX_GROUPS 32

/** A decoded request. ctx.groups points into the struct itself: decode in
 *  place, never copy a decoded fk_msg. */
struct fk_msg {
	uint32_t opcode;
	uint32_t len;
	uint64_t unique;
	uint64_t nodeid;
	struct fk_ctx ctx;
	uint32_t groups[FK_MSG_MAX_GROUPS];
	union {
		struct fk_init_args init;
		struct fk_forget_args forget;
		uint64_t interrupt_unique;
		struct fk_notify_reply_args notify_reply;
		struct fk_name_in name;
		struct fk_ino_in ino;
		struct fk_getattr_in getattr;
		struct fk_setattr_in setattr;
		struct fk_symlink_in symlink;
		struct fk_mknod_in mknod;
		struct fk_mkdir_in mkdir;
		struct fk_rename_in rename;
		struct fk_link_in link;
		struct fk_open_in open;
		struct fk_create_in create;
		struct fk_read_in read;
		struct fk_write_in write;
		struct fk_release_in release;
		struct fk_flush_in flush;
		struct fk_fsync_in fsync;
		struct fk_setxattr_in setxattr;
		struct fk_getxattr_in getxattr;
		struct fk_listxattr_in listxattr;
		struct fk_removexattr_in removexattr;
		struct fk_lock_in lock;
		struct fk_access_in access;
		struct fk_bmap_in bmap;
		struct fk_ioctl_in ioctl;
		struct fk_poll_in poll;
		struct fk_fallocate_in fallocate;
		struct fk_lseek_in lseek;
		struct fk_copy_range_in copy;
		struct fk_statx_in statx;
		struct fk_setvolname_in setvolname;
		struct fk_exchange_in exchange;
	} u;
};

/**
 * Decode buf[0..len). buf must be 8-byte aligned (the kernel's layout is).
 * Returns 0, or:
 *   -EPROTO  shorter than a header: there is no unique to answer, drop
 *            the message;
 *   -EINVAL  header.len disagrees with len, or the arguments are
 *            truncated or inconsistent: answer EINVAL to out->unique;
 *   -ENOSYS  an opcode we do not know (or not in this dialect): answer
 *            ENOSYS to out->unique.
 * On -EINVAL and -ENOSYS, out->opcode/unique/nodeid are filled.
 */
int fk_proto_decode(const struct fk_proto *p, const void *buf, size_t len,
		    struct fk_msg *out);

/** The opcode's name ("LOOKUP"), or "UNKNOWN". */
const char *fk_proto_opname(uint32_t opcode);

/* ---- Encoding: each returns the number of bytes written to out ---------- */

/* Largest encoded sizes, for stack buffers. */
#define FK_PROTO_MAX_ATTR_OUT sizeof(struct fk_wire_mac_attr_out)
#define FK_PROTO_MAX_ENTRY_OUT sizeof(struct fk_wire_mac_entry_out)

size_t fk_proto_encode_attr(const struct fk_proto *p, const struct fk_attr *a,
			    void *out);
size_t fk_proto_encode_entry(const struct fk_proto *p,
			     const struct fk_entry *e, void *out);
size_t fk_proto_encode_attr_out(const struct fk_proto *p,
				const struct fk_attr *a, uint64_t valid_ns,
				void *out);
size_t fk_proto_encode_statx_out(const struct fk_attr *a, uint64_t valid_ns,
				 struct fk_wire_statx_out *out);
size_t fk_proto_encode_open_out(const struct fk_open_out *o,
				struct fk_wire_open_out *out);
size_t fk_proto_encode_statfs(const struct fk_statfs *st,
			      struct fk_wire_statfs_out *out);

/** Size of a dirent record for a name of namelen bytes (plus = readdirplus). */
size_t fk_proto_dirent_size(const struct fk_proto *p, size_t namelen, int plus);
/** Write a dirent (plus: with entry e) at out, which has room for
 *  fk_proto_dirent_size() bytes. Padding bytes are zeroed. */
void fk_proto_encode_dirent(const struct fk_proto *p, void *out,
			    const char *name, size_t namelen, uint64_t ino,
			    uint32_t mode, uint64_t off,
			    const struct fk_entry *plus);

/** Split a timeout in nanoseconds into the kernel's seconds + nanoseconds. */
void fk_proto_split_ns(uint64_t ns, uint64_t *sec, uint32_t *nsec);

/**
 * Map between FK_CAP_* and the INIT flags of a dialect.
 * fk_proto_caps_from_init: kernel INIT flags -> FK_CAP_* offered.
 * fk_proto_caps_to_init: FK_CAP_* granted -> INIT flags for the reply.
 */
uint64_t fk_proto_caps_from_init(enum fk_dialect d, uint64_t init_flags);
uint64_t fk_proto_caps_to_init(enum fk_dialect d, uint64_t caps);

/** Encode the INIT reply for the negotiated conn; returns its size (which
 *  depends on the minor version). */
size_t fk_proto_encode_init_out(const struct fk_conn *c, uint64_t init_flags,
				struct fk_wire_init_out *out);

/** err (0 or a negative errno numbered as the system of dialect from
 *  numbers them) as the system of dialect to numbers it (errno_map.c). */
int32_t fk_proto_errno_convert(enum fk_dialect from, enum fk_dialect to,
			       int32_t err);
/** err (0 or a negative errno of this host) as the kernel of dialect
 *  wire numbers it. */
int32_t fk_proto_wire_errno(enum fk_dialect wire, int32_t err);

#endif /* FK_PROTO_H */
