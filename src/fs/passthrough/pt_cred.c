/*
 * pt_cred.c — creating files as the caller.
 *
 * A root daemon that creates files with its own identity hands them to
 * root (the trap in libfuse's passthrough examples). Before mknod, mkdir,
 * symlink, create and link we take the caller's fsuid, fsgid and the
 * supplementary groups the kernel sent, for this thread only: the raw
 * system calls, because glibc's setgroups() changes every thread of the
 * process. Afterwards we return to root.
 *
 * A daemon that is not root cannot take another identity, and does not
 * need to: everything it creates is its user's anyway.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pt.h"

/* The kernel sends at most a few; fk_msg keeps up to 32. */
#define FK_MSG_GROUPS_MAX 32

int fk_pt_cred_switch(fk_req *req, struct fk_pt_cred_saved *s)
{
	s->switched = 0;
	if (geteuid() != 0)
		return 0;
	const struct fk_pt *pt = FK_PT(req);
	const struct fk_ctx *c = fk_req_ctx(req);
	/* The caller's ids as SOURCE stores them (uidmapping/gidmapping). */
	uint32_t uid = FK_PT_UID_HOST(pt, c->uid);
	uint32_t gid = FK_PT_GID_HOST(pt, c->gid);
	gid_t groups[FK_MSG_GROUPS_MAX];
	size_t ng = c->ngroups < FK_MSG_GROUPS_MAX ? c->ngroups : FK_MSG_GROUPS_MAX;
	for (size_t i = 0; i < ng; i++)
		groups[i] = FK_PT_GID_HOST(pt, c->groups[i]);
	/* Groups first: after fsuid changes we may no longer be allowed. */
	if (syscall(SYS_setgroups, ng, groups) < 0)
		return -errno;
	/* setfsuid/setfsgid return the previous value, never an error code;
	 * asking twice tells whether the change took. */
	syscall(SYS_setfsgid, gid);
	if ((uint32_t)syscall(SYS_setfsgid, -1) != gid)
		goto fail;
	syscall(SYS_setfsuid, uid);
	if ((uint32_t)syscall(SYS_setfsuid, -1) != uid)
		goto fail;
	s->switched = 1;
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
	/* Back to root; these cannot fail for a process whose euid is 0. */
	syscall(SYS_setfsuid, 0);
	syscall(SYS_setfsgid, 0);
	syscall(SYS_setgroups, (size_t)0, NULL);
	s->switched = 0;
}

int fk_pt_openat_as_caller(fk_req *req, int dirfd, const char *name,
			   int flags, mode_t mode)
{
	struct fk_pt_cred_saved cred;
	int rc = fk_pt_cred_switch(req, &cred);
	if (rc)
		return rc;
	int fd = openat(dirfd, name, flags | O_CLOEXEC, mode);
	if (fd < 0)
		fd = -errno;
	fk_pt_cred_restore(&cred);
	return fd;
}
