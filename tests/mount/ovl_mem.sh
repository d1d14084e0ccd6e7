#!/bin/bash
# ovl_mem.sh — the overlay over in-memory layers (ovl_memfs: the lower
# layers loaded into memory layers, an empty memory layer as upper),
# differentially against kernel overlayfs over the same layers on disk:
# the changes of ovl_scenarios.py must give the same results and the same
# visible tree (inode numbers aside: memory layers have their own).
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
finish
