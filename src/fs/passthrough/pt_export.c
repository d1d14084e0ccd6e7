/*
 * pt_export.c — file handles through the mount (name_to_handle_at,
 * open_by_handle_at, NFS re-export) that outlive the kernel's caches and
 * the daemon.
 *
 * The kernel's handle of a FUSE file is its node id and generation. To
 * decode one whose inode it no longer caches, it asks the daemon for "."
 * in that node id (FUSE_EXPORT_SUPPORT), and the daemon may have
 * forgotten the node, or be a new daemon on the same SOURCE. So where it
 * can, the daemon takes a node's id from the host's own handle of the
 * inode: on a filesystem whose handles are 8 bytes (ext4, xfs with
 * 32-bit inodes: inode and generation), or 12 whose last word is 0
 * (tmpfs: generation and a 32-bit inode number), the id is those 8
 * bytes, and the handle can be rebuilt from the id alone. Such nodes
 * answer generation FK_PT_GEN_STABLE; nodes whose handle does not fit
 * (other filesystems below SOURCE, a mount without CAP_DAC_READ_SEARCH)
 * get the table's own ids and a generation drawn at each start, so a
 * handle from an earlier daemon never names another file: ESTALE.
 *
 * Decoding checks what the handle names: on SOURCE's filesystem, still
 * linked, and its handle the one the id was made from (a filesystem may
 * accept a generation of 0 as any). A directory must lie beneath SOURCE
 * (its ".." chain is walked up to it). Other files are taken on their
 * filesystem, as kernel overlayfs takes non-directories and as NFS does
 * without subtree_check: a handle names an inode, not a path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pt.h"

/* How deep a directory may lie beneath SOURCE for a decode to find it. */
#define EXPORT_MAX_DEPTH 4096

/* The id the handle (type, bytes, len) stands for, or 0 where it does not
 * fit the compact form pt->export learned from SOURCE's own handle. */
static uint64_t id_of_handle(const struct fk_pt *pt, int type,
			     const unsigned char *b, size_t len)
{
	if (type != pt->export.type || len != pt->export.len)
		return 0;
	for (size_t i = 8; i < len; i++)
		if (b[i])
			return 0; /* a high word the id cannot carry */
	uint64_t id = 0;
	for (unsigned i = 8; i-- > 0;)
		id = id << 8 | b[i];
	return id > FK_ROOT_INO ? id : 0;
}

void fk_pt_export_init(struct fk_pt *pt, int root_fd,
		       const struct fk_plat_stat *root)
{
	memset(&pt->export, 0, sizeof pt->export);
	/* Generation of the table's own ids: another at each start. */
	uint32_t epoch;
	do
		epoch = fk_plat_random32();
	while (epoch <= FK_PT_GEN_STABLE);
	pt->export.epoch = epoch;
	if (!pt->o.export)
		return;
	struct fk_plat_handle *h = fk_plat_handle_of(root_fd, NULL);
	if (!h)
		return; /* no handles here (or on macOS: raw bytes none) */
	int type;
	const void *bytes;
	size_t len = fk_plat_handle_raw(h, &type, &bytes);
	const unsigned char *b = bytes;
	int compact = len == 8 || (len == 12 && !b[8] && !b[9] && !b[10] && !b[11]);
	/* Decoding needs CAP_DAC_READ_SEARCH, and a descriptor of SOURCE's
	 * filesystem that is not O_PATH: try SOURCE's own handle. */
	int mount_fd = compact ? fk_pt_root_mount_fd(pt) : -1;
	int fd = mount_fd >= 0 ? fk_plat_handle_open_raw(mount_fd, type, bytes, len)
			       : -1;
	free(h);
	if (fd < 0)
		return;
	close(fd);
	pt->export.mount_fd = mount_fd; /* closed with the mount fds */
	pt->export.type = type;
	pt->export.len = (uint32_t)len;
	pt->export.dev = root->dev;
	pt->export.mnt_id = root->mnt_id;
	pt->export.on = 1;
}

uint64_t fk_pt_export_id(const struct fk_pt *pt, int fd, const char *name,
			 const struct fk_plat_stat *st,
			 const struct fk_plat_handle *known)
{
	if (!pt->export.on || fd < 0 || st->dev != pt->export.dev ||
	    st->mnt_id != pt->export.mnt_id)
		return 0;
	int type;
	const void *bytes;
	unsigned char buf[FK_PLAT_HANDLE_MAX];
	int len = known ? (int)fk_plat_handle_raw(known, &type, &bytes)
			: fk_plat_handle_bytes_at(fd, name, &type, buf);
	if (!known)
		bytes = buf;
	return len > 0 ? id_of_handle(pt, type, bytes, (size_t)len) : 0;
}

/* Does directory fd lie beneath SOURCE (or is it SOURCE)? Walks "..". */
static int beneath_source(const struct fk_pt *pt, int fd)
{
	int cur = dup(fd);
	int found = 0;
	for (int depth = 0; cur >= 0 && depth < EXPORT_MAX_DEPTH; depth++) {
		struct fk_plat_stat st;
		if (fk_pt_stat_fd(cur, &st) || st.dev != pt->root->dev)
			break;
		if (st.ino == pt->root->ino) {
			found = 1;
			break;
		}
		int up;
		struct fk_plat_stat ust;
		int top = fk_plat_hold_at(cur, "..", 0, &up, &ust) == 0 && up >= 0 &&
			  ust.ino == st.ino && ust.dev == st.dev;
		close(cur);
		cur = up;
		if (top)
			break; /* the filesystem's root, and SOURCE not met */
	}
	if (cur >= 0)
		close(cur);
	return found;
}

int fk_pt_export_decode(struct fk_pt *pt, uint64_t nodeid,
			struct fk_pt_node **out, struct fk_plat_stat *st)
{
	if (!pt->export.on || nodeid <= FK_ROOT_INO)
		return -ESTALE;
	unsigned char b[16] = { 0 };
	for (unsigned i = 0; i < 8; i++)
		b[i] = (unsigned char)(nodeid >> (8 * i));
	int fd = fk_plat_handle_open_raw(pt->export.mount_fd, pt->export.type, b,
					 pt->export.len);
	if (fd < 0)
		return fd == -ENOMEM ? fd : -ESTALE;
	int rc = fk_pt_stat_fd(fd, st);
	if (rc == 0 && (st->nlink == 0 || fk_pt_export_id(pt, fd, NULL, st, NULL) != nodeid))
		rc = -ESTALE; /* unlinked, or not the inode the id was made of */
	if (rc == 0 && S_ISDIR(st->mode) && !beneath_source(pt, fd))
		rc = -ESTALE;
	if (rc) {
		close(fd);
		return rc;
	}
	/* Held as a node reached by no name: pinned in the cached modes. */
	*out = fk_pt_node_lookup(pt, fd, st, NULL, -1, NULL, FK_NT_KERNEL);
	if (!*out)
		return -ENOMEM;
	if ((*out)->tn.nodeid != nodeid) {
		/* The inode is known under another id (its own was taken when
		 * it came): the handle cannot name it. */
		fk_pt_node_forget(pt, (*out)->tn.nodeid, 1);
		*out = NULL;
		return -ESTALE;
	}
	return 0;
}
