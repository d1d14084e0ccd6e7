#!/bin/bash
# ovl_mem.sh — the overlay over in-memory layers (ovl_memfs: the lower
# layers loaded into memory layers, an empty memory layer as upper),
# differentially against kernel overlayfs over the same layers on disk:
# the changes of ovl_scenarios.py must give the same results and the same
# visible tree (inode numbers aside: memory layers have their own). Then
# the union over memory layers (two empty RW branches over one RO branch
# loaded from a directory): the POSIX scenarios, against a native one.
. "$(dirname "$0")/lib.sh"
require_fuse
HERE=$(dirname "$0")
MEMOVL=${4:?usage: $0 FK_MEMFS FUSEKIT SAMPLE_DIR OVL_MEMFS}
. "$HERE/ovl_layers.sh" # L1 and L2
mkdir -p "$WORK/k.upper" "$WORK/k.work" "$WORK/k.mnt" "$WORK/m.mnt"

check "kernel overlayfs mounts" mount -t overlay overlay \
	-o "lowerdir=$L1:$L2,upperdir=$WORK/k.upper,workdir=$WORK/k.work" "$WORK/k.mnt"
MOUNTS+=("$WORK/k.mnt")
MOUNTS+=("$WORK/m.mnt")
"$MEMOVL" "$WORK/m.mnt" "$L1" "$L2" 2>"$WORK/mem.log" &
DPID=$!
track_daemon "$DPID" "$WORK/m.mnt"
wait_mounted "$WORK/m.mnt" || { bad "ovl_memfs mounted: $(cat "$WORK/mem.log")"; finish; }
ok "the overlay of memory layers mounted"
check "nothing of it is on disk" test "$(findmnt -n -o SOURCE "$WORK/m.mnt")" != "$L1"

ovl_compare_steps "$WORK/k.mnt" "$WORK/m.mnt"
compare_trees "visible tree" "$WORK/k.mnt" "$WORK/m.mnt"
umount "$WORK/k.mnt"
stop_daemon "$WORK/m.mnt" "$DPID"
expect "ovl_memfs exits 0 at unmount" 0 "$?"

mkdir -p "$WORK/native" "$WORK/ro" "$WORK/u.mnt"
MOUNTS+=("$WORK/u.mnt")
"$MEMOVL" --union "$WORK/u.mnt" "$WORK/ro" 2>"$WORK/umem.log" &
DPID=$!
track_daemon "$DPID" "$WORK/u.mnt"
wait_mounted "$WORK/u.mnt" || { bad "ovl_memfs --union mounted: $(cat "$WORK/umem.log")"; finish; }
# What the memory layer does not offer, as it says (fk_layer.h): no
# O_TMPFILE, no descriptors for directories (the inode-flag ioctls), and
# its files are memory files, which have no FALLOC_FL_ZERO_RANGE.
export SCEN_EXPECT='s/^RENAME_WHITEOUT: ok$/RENAME_WHITEOUT: EINVAL/
s/^zero range: ok$/zero range: ENOTSUP/
s/^O_TMPFILE + link: ok$/O_TMPFILE + link: ENOTSUP/
s/^tmpfile result: .*/tmpfile result: ENOENT/
s/^\(lsattr -d\|chattr +A on a directory\|lsattr -d after\|chattr -A on a directory\): .*/\1: EISDIR/'
export SCEN_EXPECT_BOTH='/^whiteout left behind: /{N;d}'
compare_scenarios "union of memory layers" "$WORK/native" "$WORK/u.mnt"
stop_daemon "$WORK/u.mnt" "$DPID"
expect "ovl_memfs --union exits 0 at unmount" 0 "$?"
finish
