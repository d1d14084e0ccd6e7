/*
 * pt_cred.c — creating files as someone else.
 *
 * A root daemon that creates files with its own identity hands them to
 * root (the trap in libfuse's passthrough examples). Before mknod, mkdir,
 * symlink, create and link we take the owner's fsuid, fsgid and
 * supplementary groups for this thread only: the raw system calls,
 * because glibc's setgroups() changes every thread of the process.
 * Afterwards we return to root.
 *
 * Two kinds of "someone" (struct fk_pt_who):
 *  - a FUSE request's caller: the host checks the caller's permissions
 *    as well, as it would for the caller's own system call;
 *  - a layer op's explicit owner (privileged): the filesystem on top has
 *    decided the operation is allowed, so the daemon keeps its
 *    capabilities (which Linux drops when fsuid leaves 0) and only the
 *    new object's owner changes, as kernel overlayfs does.
 *
 * A daemon that is not root cannot take another identity, and does not
 * need to: everything it creates is its user's anyway.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pt.h"

void fk_pt_who_of_req(fk_req *req, struct fk_pt_who *w)
{
	const struct fk_pt *pt = FK_PT(req);
	const struct fk_ctx *c = fk_req_ctx(req);
	/* The caller's ids as SOURCE stores them (uidmapping/gidmapping). */
	w->uid = FK_PT_UID_HOST(pt, c->uid);
	w->gid = FK_PT_GID_HOST(pt, c->gid);
	w->ngroups = c->ngroups < FK_PT_GROUPS_MAX ? c->ngroups : FK_PT_GROUPS_MAX;
	for (unsigned i = 0; i < w->ngroups; i++)
		w->groups[i] = FK_PT_GID_HOST(pt, c->groups[i]);
	w->privileged = 0;
}

void fk_pt_who_of_owner(const struct fk_pt *pt, uint32_t uid, uint32_t gid,
			struct fk_pt_who *w)
{
	w->uid = FK_PT_UID_HOST(pt, uid);
	w->gid = FK_PT_GID_HOST(pt, gid);
	w->ngroups = 0;
	w->privileged = 1;
}

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

int fk_pt_cred_switch(const struct fk_pt_who *w, struct fk_pt_cred_saved *s)
{
	s->switched = 0;
	if (geteuid() != 0)
		return 0;
	/* Groups first: after fsuid changes we may no longer be allowed. */
	if (syscall(SYS_setgroups, (size_t)w->ngroups, w->groups) < 0)
		return -errno;
	/* setfsuid/setfsgid return the previous value, never an error code;
	 * asking twice tells whether the change took. */
	syscall(SYS_setfsgid, w->gid);
	if ((uint32_t)syscall(SYS_setfsgid, -1) != w->gid)
		goto fail;
	syscall(SYS_setfsuid, w->uid);
	if ((uint32_t)syscall(SYS_setfsuid, -1) != w->uid)
		goto fail;
	s->switched = 1;
	if (w->privileged && w->uid != 0 && raise_caps() < 0)
		goto fail;
	return 0;
fail:
	s->switched = 1;
	fk_pt_cred_restore(s);
	return -EPERM;
}

void fk_pt_cred_restore(struct fk_pt_cred_saved *s)
{
	if (!s->switched)
		return;
	/* Back to root; these cannot fail for a process whose euid is 0.
	 * fsuid 0 gives back the filesystem capabilities. */
	syscall(SYS_setfsuid, 0);
	syscall(SYS_setfsgid, 0);
	syscall(SYS_setgroups, (size_t)0, NULL);
	s->switched = 0;
}

int fk_pt_openat_as(const struct fk_pt_who *w, int dirfd, const char *name,
		    int flags, mode_t mode)
{
	struct fk_pt_cred_saved cred;
	int rc = fk_pt_cred_switch(w, &cred);
	if (rc)
		return rc;
	int fd = openat(dirfd, name, flags | O_CLOEXEC, mode);
	if (fd < 0)
		fd = -errno;
	fk_pt_cred_restore(&cred);
	return fd;
}
