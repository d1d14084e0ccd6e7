/*
 * fusekit.h — the whole public API of libfusekit in one include.
 *
 *   fk_types.h    attributes, entries, locks, caller context
 *   fk_ops.h      the filesystem callbacks and the reply calls
 *   fk_session.h  running a session; notifications; passthrough backing ids
 *   fk_mount.h    mounting and unmounting
 *   fk_opt.h      -o option parsing shared by all fusekit filesystems
 */
#ifndef FUSEKIT_FUSEKIT_H
#define FUSEKIT_FUSEKIT_H

#define FUSEKIT_VERSION_MAJOR 0
#define FUSEKIT_VERSION_MINOR 1
#define FUSEKIT_VERSION_PATCH 0
#define FUSEKIT_VERSION_STRING "0.1.0"

#include <fusekit/fk_types.h>
#include <fusekit/fk_ops.h>
#include <fusekit/fk_session.h>
#include <fusekit/fk_mount.h>
#include <fusekit/fk_opt.h>

#endif /* FUSEKIT_FUSEKIT_H */
