/*
 * fk_acl.h — POSIX ACLs in their xattr form (system.posix_acl_access,
 * system.posix_acl_default), for the filesystems that store them on a
 * host and must map their ids or inherit them as the kernel would.
 *
 * The layout is the kernel's (posix_acl_xattr.h), little-endian: a 4-byte
 * version (2), then 8-byte entries of tag (2 bytes), permissions (2) and
 * id (4; only named users' and groups' entries use it).
 */
#ifndef FK_ACL_H
#define FK_ACL_H

#include <stddef.h>
#include <stdint.h>

#define FK_ACL_ACCESS_XATTR "system.posix_acl_access"
#define FK_ACL_DEFAULT_XATTR "system.posix_acl_default"
/* The largest ACL value the kernel sends or takes through FUSE (a page;
 * fuse_set_acl refuses more with E2BIG). */
#define FK_ACL_XATTR_MAX 4096

/** Is name one of the two ACL xattrs? */
int fk_acl_is_xattr(const char *name);

/** Is value (size bytes) an ACL: the version and whole entries? */
int fk_acl_valid(const void *value, size_t size);

/** Replace the id of every named user's entry (group 0) and named
 *  group's entry (group 1) with map(ctx, group, id), in place. value must
 *  be fk_acl_valid. */
void fk_acl_map_ids(void *value, size_t size,
		    uint32_t (*map)(void *ctx, int group, uint32_t id),
		    void *ctx);

/** What a new object asked with *mode inherits from its directory's
 *  default ACL value (posix_acl_create_masq): in place, value becomes its
 *  access ACL, each entry masked by the mode's bits (the mask entry, where
 *  there is one, by the group bits; else the owning group's); *mode's
 *  permission bits are masked by the ACL. Set-id and sticky bits stay.
 *  0, or -EINVAL where value is not an ACL or lacks an owner, owning
 *  group or other entry. */
int fk_acl_create_masq(void *value, size_t size, uint32_t *mode);

#endif /* FK_ACL_H */
