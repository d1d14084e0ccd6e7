/*
 * pt_cred.c — creating files as someone else.
 *
 * A root daemon that creates files with its own identity hands them to
 * root (the trap in libfuse's passthrough examples). Before mknod, mkdir,
 * symlink, create, link and clone this thread alone takes the owner's
 * identity (fk_plat_cred_switch: fsuid, fsgid and groups on Linux) and
 * returns to root afterwards.
 *
 * Two kinds of "someone" (struct fk_pt_who):
 *  - a FUSE request's caller: the host checks the caller's permissions
 *    as well, as it would for the caller's own system call;
 *  - a layer op's explicit owner (privileged): the filesystem on top has
 *    decided the operation is allowed, so the daemon keeps its
 *    capabilities (which Linux drops when fsuid leaves 0) and only the
 *    new object's owner changes, as kernel overlayfs does. macOS cannot
 *    keep them: there the object is made as root and given to its owner
 *    right after (fk_pt_cred_give).
 *
 * A daemon that is not root cannot take another identity, and does not
 * need to: everything it creates is its user's anyway.
 *
 * The umask. Where the kernel applies POSIX ACLs (fk_pt_acl_on) it sends
 * each new object's mode unmasked with the caller's umask, so that the
 * host can do what it does for a local caller: apply the directory's
 * default ACL if it has one, else the umask. The switch gives this
 * thread the caller's umask for the make (the daemon's own is 0).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
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
	w->umask = fk_req_umask(req);
}

void fk_pt_who_of_owner(const struct fk_pt *pt, uint32_t uid, uint32_t gid,
			struct fk_pt_who *w)
{
	w->uid = FK_PT_UID_HOST(pt, uid);
	w->gid = FK_PT_GID_HOST(pt, gid);
	w->ngroups = 0;
	w->privileged = 1;
	w->umask = 0;
}

/* The daemon's own ids: it never changes them, so they are asked once
 * (not at every make). */
static uid_t own_uid;
static gid_t own_gid;
static pthread_once_t own_ids_once = PTHREAD_ONCE_INIT;

static void ask_own_ids(void)
{
	own_uid = geteuid();
	own_gid = getegid();
}

/* The fsuid/fsgid/groups part of fk_pt_cred_switch. */
static int switch_ids(const struct fk_pt_who *w, struct fk_pt_cred_saved *s)
{
	(void)pthread_once(&own_ids_once, ask_own_ids); /* cannot fail here */
	if (own_uid != 0)
		return 0;
	/* Root with the daemon's group: fsuid 0 keeps every capability, so
	 * the switch would change nothing (the groups count only for a user
	 * without them). The common case: root in a container. */
	if (w->uid == 0 && w->gid == own_gid)
		return 0;
	int rc = fk_plat_cred_switch(w->uid, w->gid, w->groups, w->ngroups,
				     w->privileged);
	if (rc < 0)
		return rc;
	s->switched = rc;
	/* Not switched: what we make is root's until given away. */
	s->give = !rc && (w->uid != 0 || w->gid != 0);
	s->uid = w->uid;
	s->gid = w->gid;
	return 0;
}

int fk_pt_cred_switch(const struct fk_pt_who *w, struct fk_pt_cred_saved *s)
{
	s->switched = s->give = s->umask_set = 0;
	int rc = switch_ids(w, s);
	if (rc == 0 && w->umask) {
		/* Only asked for where fk_pt_acl_on found it works. */
		rc = fk_plat_thread_umask(w->umask);
		s->umask_set = rc == 0;
		if (rc)
			fk_pt_cred_restore(s);
	}
	return rc;
}

void fk_pt_cred_restore(struct fk_pt_cred_saved *s)
{
	if (s->switched)
		fk_plat_cred_restore();
	s->switched = 0;
	if (s->umask_set)
		(void)fk_plat_thread_umask(0); /* worked a moment ago */
	s->umask_set = 0;
}

int fk_pt_cred_give(const struct fk_pt_cred_saved *s, int fd, const char *name)
{
	return s->give ? fk_plat_chown_at(fd, name, s->uid, s->gid) : 0;
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
	int rc2 = fd >= 0 ? fk_pt_cred_give(&cred, fd, NULL) : 0;
	fk_pt_cred_restore(&cred);
	if (rc2) {
		close(fd); /* (made, but not the owner's: it stays, as root's) */
		fd = rc2;
	}
	return fd;
}

int fk_pt_clone_as(const struct fk_pt_who *w, int src, int dirfd,
		   const char *name)
{
	struct fk_pt_cred_saved cred;
	int rc = fk_pt_cred_switch(w, &cred);
	if (rc)
		return rc;
	rc = fk_plat_clone_at(src, dirfd, name);
	int rc2 = rc == 0 ? fk_pt_cred_give(&cred, dirfd, name) : 0;
	fk_pt_cred_restore(&cred);
	if (rc2) {
		/* Not the owner's: it goes again (failing, it stays, as root's). */
		(void)unlinkat(dirfd, name, 0);
		rc = rc2;
	}
	return rc;
}
