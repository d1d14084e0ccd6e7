/*
 * acl.c — POSIX ACL xattr values: validity, id mapping, inheritance
 * (fk_acl.h).
 */
#include <errno.h>
#include <string.h>

#include "fk_acl.h"

#define ACL_VERSION 2u
#define ACL_HEADER 4u
#define ACL_ENTRY 8u

/* Tags (the kernel's ACL_*). */
enum {
	TAG_USER_OBJ = 0x01,
	TAG_USER = 0x02,
	TAG_GROUP_OBJ = 0x04,
	TAG_GROUP = 0x08,
	TAG_MASK = 0x10,
	TAG_OTHER = 0x20,
};

static uint32_t get_le(const unsigned char *p, unsigned bytes)
{
	uint32_t v = 0;
	for (unsigned i = bytes; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static void put_le(unsigned char *p, unsigned bytes, uint32_t v)
{
	for (unsigned i = 0; i < bytes; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

int fk_acl_is_xattr(const char *name)
{
	return !strcmp(name, FK_ACL_ACCESS_XATTR) ||
	       !strcmp(name, FK_ACL_DEFAULT_XATTR);
}

int fk_acl_valid(const void *value, size_t size)
{
	return size >= ACL_HEADER && (size - ACL_HEADER) % ACL_ENTRY == 0 &&
	       get_le(value, 4) == ACL_VERSION;
}

void fk_acl_map_ids(void *value, size_t size,
		    uint32_t (*map)(void *ctx, int group, uint32_t id), void *ctx)
{
	unsigned char *p = value;
	for (size_t at = ACL_HEADER; at + ACL_ENTRY <= size; at += ACL_ENTRY) {
		uint32_t tag = get_le(p + at, 2);
		if (tag == TAG_USER || tag == TAG_GROUP)
			put_le(p + at + 4, 4,
			       map(ctx, tag == TAG_GROUP, get_le(p + at + 4, 4)));
	}
}

int fk_acl_create_masq(void *value, size_t size, uint32_t *mode)
{
	if (!fk_acl_valid(value, size))
		return -EINVAL;
	unsigned char *p = value, *group_obj = NULL, *mask = NULL;
	int owner = 0, other = 0;
	uint32_t m = *mode;
	for (size_t at = ACL_HEADER; at < size; at += ACL_ENTRY) {
		unsigned char *e = p + at;
		uint32_t perm = get_le(e + 2, 2);
		switch (get_le(e, 2)) {
		case TAG_USER_OBJ:
			perm &= (m >> 6) & 7;
			m &= ~(uint32_t)0700 | perm << 6;
			put_le(e + 2, 2, perm);
			owner = 1;
			break;
		case TAG_OTHER:
			perm &= m & 7;
			m &= ~(uint32_t)07 | perm;
			put_le(e + 2, 2, perm);
			other = 1;
			break;
		case TAG_GROUP_OBJ:
			group_obj = e;
			break;
		case TAG_MASK:
			mask = e;
			break;
		default: /* named entries: kept, limited by the mask */
			break;
		}
	}
	/* The group bits stand for the mask where there is one. */
	unsigned char *g = mask ? mask : group_obj;
	if (!owner || !other || !group_obj)
		return -EINVAL;
	uint32_t perm = get_le(g + 2, 2) & ((m >> 3) & 7);
	m &= ~(uint32_t)070 | perm << 3;
	put_le(g + 2, 2, perm);
	*mode = m;
	return 0;
}
