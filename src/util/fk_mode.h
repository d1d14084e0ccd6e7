/*
 * fk_mode.h — what a change by someone without CAP_FSETID does to a file's
 * mode, for the filesystems that must do it themselves (FUSE's
 * HANDLE_KILLPRIV_V2, owners kept in xattrs).
 */
#ifndef FK_MODE_H
#define FK_MODE_H

#include <stdint.h>
#include <sys/stat.h>

/** mode as a write, truncate, fallocate or chown of a regular file by
 *  someone without CAP_FSETID leaves it (Linux >= 6.2,
 *  setattr_should_drop_suidgid): without set-user-ID; without
 *  set-group-ID where group execute is set, or where the writer is not in
 *  the file's group (in_group 0: fk_caller_in_group). Before 6.2 the bit
 *  without group execute stayed whoever wrote. */
static inline uint32_t fk_mode_kill_suidgid(uint32_t mode, int in_group)
{
	mode &= ~(uint32_t)S_ISUID;
	if ((mode & S_IXGRP) || !in_group)
		mode &= ~(uint32_t)S_ISGID;
	return mode;
}

#endif /* FK_MODE_H */
