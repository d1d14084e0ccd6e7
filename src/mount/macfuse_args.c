/*
 * macfuse_args.c — mount_macfuse's command line, from fk_mount_opts.
 *
 * Pure, and compiled on every host, so that the unit tests check on Linux
 * what a Mac will be asked to do (mount_darwin.c runs it). Each option is
 * its own "-o OPTION" argument, the mountpoint last. What macFUSE's own
 * library does with the same options is the reference (macfuse/library
 * lib/mount_darwin.c, the fuse_mount_opts table):
 *
 * - subtype= is left out: the library ignores it (KEY_IGNORED). Passed on
 *   as fstypename= it would fail every mount whose subtype is longer than
 *   6 characters ("passthrough", "overlay"): the kernel extension refuses
 *   a type name longer than FUSE_TYPE_NAME_MAXLEN with EINVAL
 *   (osxfuse/kext fuse_vfsops.c, fuse_vfsop_mount; MFSTYPENAMELEN 16
 *   less the "osxfuse_"/"macfuse_" prefix and one).
 * - allow_root goes to the kernel as itself (the library: "need to pass
 *   this on"); with allow_other it is refused, as the library refuses it
 *   ("allow_other and allow_root are mutually exclusive").
 * - max_read becomes iosize=, the kernel's I/O size, which bounds its
 *   reads (and its writes, which max_write does not on macFUSE).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fk_mount_i.h"

static const struct {
	uint32_t bit;
	const char *opt;
} flag_opts[] = {
	{ FK_MNT_RDONLY, "rdonly" },
	{ FK_MNT_NOSUID, "nosuid" },
	{ FK_MNT_NODEV, "nodev" },
	{ FK_MNT_NOEXEC, "noexec" },
	{ FK_MNT_NOATIME, "noatime" },
	{ FK_MNT_SYNCHRONOUS, "sync" },
};

/* One more "-o OPTION": 0, or -E2BIG when out of room. */
static int add_opt(struct fk_macfuse_argv *a, const char *fmt, const char *s,
		   unsigned u)
{
	if (a->nopt == FK_MACFUSE_MAX_OPTS)
		return -E2BIG;
	char *o = a->store[a->nopt++];
	int n = s ? snprintf(o, sizeof a->store[0], fmt, s)
		  : snprintf(o, sizeof a->store[0], fmt, u);
	if (n < 0 || (size_t)n >= sizeof a->store[0])
		return -E2BIG;
	a->argv[a->argc++] = "-o";
	a->argv[a->argc++] = o;
	return 0;
}

int fk_macfuse_argv(const char *program, const char *mnt,
		    const struct fk_mount_opts *mo, struct fk_macfuse_argv *a,
		    char *err, size_t errlen)
{
	memset(a, 0, sizeof *a);
	if (mo->allow_other && mo->allow_root) {
		snprintf(err, errlen, "allow_other and allow_root cannot both be "
				      "given with macFUSE: allow_root lets root in "
				      "beside you, allow_other everyone");
		return -EINVAL;
	}
	a->argv[a->argc++] = program;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof flag_opts / sizeof flag_opts[0]; i++)
		if (mo->flags & flag_opts[i].bit)
			rc = add_opt(a, "%s", flag_opts[i].opt, 0);
	if (rc == 0 && mo->allow_other)
		rc = add_opt(a, "%s", "allow_other", 0);
	if (rc == 0 && mo->allow_root)
		rc = add_opt(a, "%s", "allow_root", 0);
	if (rc == 0 && mo->default_permissions)
		rc = add_opt(a, "%s", "default_permissions", 0);
	if (rc == 0 && mo->fsname)
		rc = add_opt(a, "fsname=%s", mo->fsname, 0);
	if (rc == 0 && mo->max_read)
		rc = add_opt(a, "iosize=%u", NULL, mo->max_read);
	if (rc) {
		snprintf(err, errlen, "mount options too long for mount_macfuse");
		return rc;
	}
	a->argv[a->argc++] = mnt;
	a->argv[a->argc] = NULL;
	return 0;
}
