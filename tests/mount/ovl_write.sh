#!/bin/bash
# ovl_write.sh — the writable overlay, differentially against kernel
# overlayfs: the same two lower layers under a kernel overlayfs mount and
# a fusekit overlay mount, each with its own empty upper and work
# directories; the same changes through both (ovl_scenarios.py: copy-up
# by every kind of change, whiteouts, opaque directories, links, renames
# and their errors). Then must be identical:
#   - what each change returned and what was read back;
#   - the visible trees (ovl_describe.py: types, modes, owners, contents,
#     holes, xattrs, lower inode numbers kept across copy-up);
#   - the upper directories afterwards: the same whiteouts, opaque marks
#     and copied-up files;
# and each upper directory, mounted by the other implementation, shows
# the same tree again. Last, listxattr through the mount racing the
# host's setxattr on the upper gives only lists the file had.
. "$(dirname "$0")/lib.sh"
require_fuse
HERE=$(dirname "$0")


. "$HERE/ovl_layers.sh" # L1 and L2
for side in k f; do mkdir -p "$WORK/$side.upper" "$WORK/$side.work" "$WORK/$side.mnt"; done

check "kernel overlayfs mounts" mount -t overlay overlay \
	-o "lowerdir=$L1:$L2,upperdir=$WORK/k.upper,workdir=$WORK/k.work" "$WORK/k.mnt"
MOUNTS+=("$WORK/k.mnt")
start_ovl "$WORK/f.mnt" "lowerdir=$L1:$L2,upperdir=$WORK/f.upper,workdir=$WORK/f.work"
ok "fusekit overlay mounted with an upper layer"

ovl_compare_steps "$WORK/k.mnt" "$WORK/f.mnt"
compare_trees "visible tree" "$WORK/k.mnt" "$WORK/f.mnt" "$L1" "$L2"
cp "$WORK/desc.k" "$WORK/visible.k"
check "the copy kept the holes" \
	test "$(stat -c %b "$WORK/f.mnt/sparse")" -lt 1024

umount "$WORK/k.mnt"
stop_daemon "$WORK/f.mnt" "$DPID"
rc=$?
expect "fusekit overlay exits 0 at unmount" 0 "$rc"
[ "$rc" = 0 ] || tail -40 "$WORK/ovl.log"
compare_trees "upper directory" "$WORK/k.upper" "$WORK/f.upper"
expect "nothing left in fusekit's work directory" "" "$(ls -A "$WORK/f.work/work")"
# (Kernel overlayfs keeps one spare whiteout, work/#N, to link new
# whiteouts to: its cache, not the filesystem's state.)
expect "the work directories hold the same" \
	"$(cd "$WORK/k.work" && find . -printf '%p %y %m %U:%G\n' | grep -v '^./work/#[0-9a-f]* c ' | sort)" \
	"$(cd "$WORK/f.work" && find . -printf '%p %y %m %U:%G\n' | sort)"

# Remounted, fusekit shows the same tree, inode numbers included: copied-up
# files keep their origin's number (recorded at copy-up), in stat and in
# readdir.
start_ovl "$WORK/f.mnt" "lowerdir=$L1:$L2,upperdir=$WORK/f.upper,workdir=$WORK/f.work"
"$PY" "$HERE/ovl_describe.py" "$WORK/f.mnt" "$L1" "$L2" >"$WORK/remount.f"
if diff -u "$WORK/visible.k" "$WORK/remount.f"; then
	ok "remounted: the same tree as kernel overlayfs, inode numbers included"
else
	bad "remounted: the tree differs (- kernel before, + fusekit remounted)"
fi
expect "remounted: readdir shows the numbers stat shows" \
	"$(stat -c '%i %n' "$WORK/f.mnt"/* | sed "s|$WORK/f.mnt/||" | sort)" \
	"$(ls -i1 "$WORK/f.mnt" | awk '{print $1, $2}' | sort)"
stop_daemon "$WORK/f.mnt" "$DPID"

# Each upper directory mounted by the other implementation.
check "kernel overlayfs mounts fusekit's upper" mount -t overlay overlay \
	-o "lowerdir=$L1:$L2,upperdir=$WORK/f.upper,workdir=$WORK/f.work" "$WORK/k.mnt"
start_ovl "$WORK/f.mnt" "lowerdir=$L1:$L2,upperdir=$WORK/k.upper,workdir=$WORK/k.work"
compare_trees "each upper under the other" "$WORK/k.mnt" "$WORK/f.mnt"
# fusekit reads the kernel's origin file handles: over the kernel's upper
# dir it shows what the kernel showed, inode numbers included.
"$PY" "$HERE/ovl_describe.py" "$WORK/f.mnt" "$L1" "$L2" >"$WORK/kupper.f"
if diff -u "$WORK/visible.k" "$WORK/kupper.f"; then
	ok "over the kernel's upper dir: the kernel's tree, inode numbers included"
else
	bad "over the kernel's upper dir, the tree differs (- kernel, + fusekit)"
fi
umount "$WORK/k.mnt"
mkdir "$WORK/f.mnt/race"
xattr_list_race "overlay" "$WORK/f.mnt/race" "$WORK/k.upper/race"
stop_daemon "$WORK/f.mnt" "$DPID"
finish
