/*
 * fk_mode.h — what a change by someone without CAP_FSETID does to a file's
 * mode, for the filesystems that must do it themselves (FUSE's
 * HANDLE_KILLPRIV_V2, owners kept in xattrs).
 */
#ifndef FK_MODE_H
#define FK_MODE_H

#include <stdint.h>
#include <sys/stat.h>

/** mode without set-user-ID, and without set-group-ID where group execute
 *  makes it one (without group execute it marks mandatory locking, and
 *  stays), as a write, truncate or chown of a regular file leaves it. */
static inline uint32_t fk_mode_kill_suidgid(uint32_t mode)
{
	mode &= ~(uint32_t)S_ISUID;
	if (mode & S_IXGRP)
		mode &= ~(uint32_t)S_ISGID;
	return mode;
}

#endif /* FK_MODE_H */
