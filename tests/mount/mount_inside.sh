#!/bin/bash
# mount_inside.sh — a passthrough whose MOUNTPOINT lies inside its
# SOURCE. Listing the mount makes the daemon look at the mount point,
# which is the mount itself: a request to itself. Over io_uring that
# request waits in the queue of the thread that sent it, forever (an
# unkillable daemon), so the daemon says so and takes /dev/fuse; and it
# refuses to hold a node inside its own mount (ELOOP, as the kernel
# answers a mount loop), which would keep the mount busy: the unmount
# must succeed and the daemon exit 0.
. "$(dirname "$0")/lib.sh"
require_fuse
SRC=$WORK/src
mkdir -p "$SRC/m"
echo data >"$SRC/f"
start_pt "$SRC" "$SRC/m"
expect "the daemon says why it leaves io_uring" \
	"fusekit passthrough: MOUNTPOINT lies inside SOURCE" \
	"$(grep -o 'fusekit passthrough: MOUNTPOINT lies inside SOURCE' "$WORK/pt.m.log")"
expect "the mount lists SOURCE, the mount point among it" "f m" \
	"$(timeout 10 ls "$SRC/m" 2>&1 | xargs)"
expect "a file reads" "data" "$(timeout 10 cat "$SRC/m/f" 2>&1)"
expect "the mount point inside the mount: a loop (ELOOP)" \
	"Too many levels of symbolic links" \
	"$(timeout 10 stat "$SRC/m/m" 2>&1 | grep -o 'Too many levels of symbolic links')"
expect "ls -l of the mount completes (the mount point shown as unreadable)" \
	"done" "$(timeout 10 ls -l "$SRC/m" >/dev/null 2>&1; [ $? != 124 ] && echo done)"
stop_daemon "$SRC/m" "$DPID"
check_fails "and it is unmounted" mountpoint -q "$SRC/m"
finish
