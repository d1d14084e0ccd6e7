/*
 * encode.c — build the kernel's reply structures from fusekit's types.
 *
 * The dialect decides the attribute layout (macFUSE inserts crtime and BSD
 * flags); nothing else here depends on it. Times keep their nanoseconds,
 * counts stay 64-bit, and every byte of every structure is written (padding
 * zeroed) so replies are byte-for-byte reproducible in tests.
 */
#include <string.h>

#include "fk_proto.h"

void fk_proto_split_ns(uint64_t ns, uint64_t *sec, uint32_t *nsec)
{
	*sec = ns / 1000000000u;
	*nsec = (uint32_t)(ns % 1000000000u);
}

static uint64_t tsec(const struct timespec *t)
{
	return (uint64_t)(int64_t)t->tv_sec;
}

static uint32_t tnsec(const struct timespec *t)
{
	return (uint32_t)t->tv_nsec;
}

/* The fields both dialects' attribute structs have, by the same names. */
#define FK_FILL_COMMON_ATTR(w, a)                 \
	do {                                      \
		(w).ino = (a)->ino;               \
		(w).size = (a)->size;             \
		(w).blocks = (a)->blocks;         \
		(w).atime = tsec(&(a)->atime);    \
		(w).mtime = tsec(&(a)->mtime);    \
		(w).ctime = tsec(&(a)->ctime);    \
		(w).atimensec = tnsec(&(a)->atime); \
		(w).mtimensec = tnsec(&(a)->mtime); \
		(w).ctimensec = tnsec(&(a)->ctime); \
		(w).mode = (a)->mode;             \
		(w).nlink = (a)->nlink;           \
		(w).uid = (a)->uid;               \
		(w).gid = (a)->gid;               \
		(w).rdev = (a)->rdev;             \
		(w).blksize = (a)->blksize;       \
	} while (0)

size_t fk_proto_encode_attr(const struct fk_proto *p, const struct fk_attr *a,
			    void *out)
{
	if (p->dialect == FK_DIALECT_MACFUSE) {
		struct fk_wire_mac_attr w;
		memset(&w, 0, sizeof w);
		FK_FILL_COMMON_ATTR(w, a);
		w.crtime = tsec(&a->crtime);
		w.crtimensec = tnsec(&a->crtime);
		w.flags_darwin = a->flags;
		memcpy(out, &w, sizeof w);
		return sizeof w;
	}
	struct fk_wire_attr w;
	memset(&w, 0, sizeof w);
	FK_FILL_COMMON_ATTR(w, a);
	memcpy(out, &w, sizeof w);
	return sizeof w;
}

/* entry_out and attr_out share their leading fields in both dialects; the
 * attribute block is appended in the dialect's layout. */
size_t fk_proto_encode_entry(const struct fk_proto *p,
			     const struct fk_entry *e, void *out)
{
	struct {
		uint64_t nodeid, generation, entry_valid, attr_valid;
		uint32_t entry_valid_nsec, attr_valid_nsec;
	} head;
	memset(&head, 0, sizeof head);
	head.nodeid = e->ino;
	head.generation = e->generation;
	fk_proto_split_ns(e->entry_valid_ns, &head.entry_valid,
			  &head.entry_valid_nsec);
	fk_proto_split_ns(e->attr_valid_ns, &head.attr_valid,
			  &head.attr_valid_nsec);
	memcpy(out, &head, sizeof head);
	return sizeof head +
	       fk_proto_encode_attr(p, &e->attr, (uint8_t *)out + sizeof head);
}

size_t fk_proto_encode_attr_out(const struct fk_proto *p,
				const struct fk_attr *a, uint64_t valid_ns,
				void *out)
{
	struct {
		uint64_t attr_valid;
		uint32_t attr_valid_nsec, dummy;
	} head;
	memset(&head, 0, sizeof head);
	fk_proto_split_ns(valid_ns, &head.attr_valid, &head.attr_valid_nsec);
	memcpy(out, &head, sizeof head);
	return sizeof head +
	       fk_proto_encode_attr(p, a, (uint8_t *)out + sizeof head);
}

/* statx(2) mask bits, spelled out so this file builds where <linux/stat.h>
 * does not exist. */
#define FK_STATX_BASIC_STATS 0x000007ffU
#define FK_STATX_BTIME 0x00000800U

static struct fk_wire_sx_time sx_time(const struct timespec *t)
{
	struct fk_wire_sx_time s;
	s.tv_sec = (int64_t)t->tv_sec;
	s.tv_nsec = (uint32_t)t->tv_nsec;
	s.reserved = 0;
	return s;
}

size_t fk_proto_encode_statx_out(const struct fk_attr *a, uint64_t valid_ns,
				 struct fk_wire_statx_out *out)
{
	memset(out, 0, sizeof *out);
	fk_proto_split_ns(valid_ns, &out->attr_valid, &out->attr_valid_nsec);
	struct fk_wire_statx *s = &out->stat;
	s->mask = FK_STATX_BASIC_STATS;
	s->blksize = a->blksize;
	s->nlink = a->nlink;
	s->uid = a->uid;
	s->gid = a->gid;
	s->mode = (uint16_t)a->mode;
	s->ino = a->ino;
	s->size = a->size;
	s->blocks = a->blocks;
	s->atime = sx_time(&a->atime);
	s->ctime = sx_time(&a->ctime);
	s->mtime = sx_time(&a->mtime);
	if (a->crtime.tv_sec != 0 || a->crtime.tv_nsec != 0) {
		s->btime = sx_time(&a->crtime);
		s->mask |= FK_STATX_BTIME;
	}
	/* The kernel's 32-bit device encoding (new_encode_dev). */
	s->rdev_major = (a->rdev >> 8) & 0xfffu;
	s->rdev_minor = (a->rdev & 0xffu) | ((a->rdev >> 12) & 0xfff00u);
	s->attributes = a->stx_attributes;
	s->attributes_mask = a->stx_attributes_mask;
	return sizeof *out;
}

size_t fk_proto_encode_open_out(const struct fk_open_out *o,
				struct fk_wire_open_out *out)
{
	memset(out, 0, sizeof *out);
	out->fh = o->fh;
	out->open_flags = o->open_flags;
	out->backing_id = o->backing_id;
	return sizeof *out;
}

size_t fk_proto_encode_statfs(const struct fk_statfs *st,
			      struct fk_wire_statfs_out *out)
{
	memset(out, 0, sizeof *out);
	out->st.blocks = st->blocks;
	out->st.bfree = st->bfree;
	out->st.bavail = st->bavail;
	out->st.files = st->files;
	out->st.ffree = st->ffree;
	out->st.bsize = st->bsize;
	out->st.namelen = st->namelen;
	out->st.frsize = st->frsize;
	return sizeof *out;
}

size_t fk_proto_dirent_size(const struct fk_proto *p, size_t namelen, int plus)
{
	size_t head = sizeof(struct fk_wire_dirent);
	if (plus)
		head += p->dialect == FK_DIALECT_MACFUSE
				? sizeof(struct fk_wire_mac_entry_out)
				: sizeof(struct fk_wire_entry_out);
	return FK_DIRENT_ALIGN(head + namelen);
}

void fk_proto_encode_dirent(const struct fk_proto *p, void *out,
			    const char *name, size_t namelen, uint64_t ino,
			    uint32_t mode, uint64_t off,
			    const struct fk_entry *plus)
{
	size_t total = fk_proto_dirent_size(p, namelen, plus != NULL);
	uint8_t *o = out;
	memset(o, 0, total);
	if (plus)
		o += fk_proto_encode_entry(p, plus, o);
	struct fk_wire_dirent d;
	d.ino = ino;
	d.off = off;
	d.namelen = (uint32_t)namelen;
	d.type = (mode >> 12) & 0xfu; /* S_IFMT >> 12 == DT_* */
	memcpy(o, &d, sizeof d);
	memcpy(o + sizeof d, name, namelen);
}


static const struct {
	uint64_t cap;
	uint32_t mac_flag;
} mac_caps[] = {
	{ FK_CAP_MAC_ALLOCATE, FK_INIT_MAC_ALLOCATE },
	{ FK_CAP_MAC_EXCHANGE_DATA, FK_INIT_MAC_EXCHANGE_DATA },
	{ FK_CAP_MAC_CASE_INSENSITIVE, FK_INIT_MAC_CASE_INSENSITIVE },
	{ FK_CAP_MAC_VOL_RENAME, FK_INIT_MAC_VOL_RENAME },
	{ FK_CAP_MAC_XTIMES, FK_INIT_MAC_XTIMES },
	{ FK_CAP_MAC_RENAME_SWAP, FK_INIT_MAC_RENAME_SWAP },
	{ FK_CAP_MAC_RENAME_EXCL, FK_INIT_MAC_RENAME_EXCL },
};

uint64_t fk_proto_caps_from_init(enum fk_dialect d, uint64_t init_flags)
{
	if (d == FK_DIALECT_LINUX)
		return init_flags & ((1ULL << 56) - 1);
	uint64_t caps = init_flags & FK_INIT_MAC_COMMON;
	for (size_t i = 0; i < sizeof mac_caps / sizeof mac_caps[0]; i++)
		if (init_flags & mac_caps[i].mac_flag)
			caps |= mac_caps[i].cap;
	return caps;
}

uint64_t fk_proto_caps_to_init(enum fk_dialect d, uint64_t caps)
{
	if (d == FK_DIALECT_LINUX)
		return caps & ((1ULL << 56) - 1);
	uint64_t flags = caps & FK_INIT_MAC_COMMON;
	for (size_t i = 0; i < sizeof mac_caps / sizeof mac_caps[0]; i++)
		if (caps & mac_caps[i].cap)
			flags |= mac_caps[i].mac_flag;
	return flags;
}

size_t fk_proto_encode_init_out(const struct fk_conn *c, uint64_t init_flags,
				struct fk_wire_init_out *out)
{
	memset(out, 0, sizeof *out);
	out->major = c->proto_major;
	out->minor = c->proto_minor;
	out->max_readahead = c->max_readahead;
	out->flags = (uint32_t)init_flags;
	out->max_background = (uint16_t)c->max_background;
	out->congestion_threshold = (uint16_t)c->congestion_threshold;
	out->max_write = c->max_write;
	if (c->proto_minor < 23)
		return FK_COMPAT_22_INIT_OUT_SIZE;
	out->time_gran = c->time_gran;
	out->max_pages = (uint16_t)c->max_pages;
	if (init_flags & FK_INIT_INIT_EXT)
		out->flags2 = (uint32_t)(init_flags >> 32);
	out->max_stack_depth = c->max_stack_depth;
	return sizeof *out;
}
