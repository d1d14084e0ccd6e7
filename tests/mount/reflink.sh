#!/bin/bash
# reflink.sh — the clones, on a filesystem that makes them: an XFS image
# (reflink=1) on a loop device, since the machine's own disk is ext4.
#   - the layer unit tests with their directory there (test_layer with
#     FK_TEST_REFLINK=1): the passthrough layer's clone_file must clone,
#     for the daemon and for another owner, with the exact mode;
#   - an overlay copy-up there leaves the upper file sharing its blocks
#     with the lower one (filefrag: "shared"), same bytes, lower intact;
#   - copy_file_range through the passthrough reflinks (shared blocks).
# Skips (77) without mkfs.xfs or loop devices.
. "$(dirname "$0")/lib.sh"
require_fuse
TEST_LAYER=${4:?usage: $0 FK_MEMFS FUSEKIT SAMPLE_DIR TEST_LAYER}
command -v mkfs.xfs >/dev/null && command -v filefrag >/dev/null ||
	{ echo "SKIP: needs mkfs.xfs (xfsprogs) and filefrag (e2fsprogs)"; exit 77; }

X=$WORK/xfs
mkdir -p "$X"
truncate -s 512M "$WORK/xfs.img"
mkfs.xfs -q -m reflink=1 "$WORK/xfs.img" ||
	{ echo "SKIP: mkfs.xfs failed"; exit 77; }
MOUNTS+=("$X")
mount -o loop "$WORK/xfs.img" "$X" || { echo "SKIP: no loop mount"; exit 77; }
# Unmounted (loop device freed) before lib.sh's cleanup removes $WORK.
trap 'umount "$X" 2>/dev/null; cleanup' EXIT

shared() { # FILE: does any extent of FILE share its blocks?
	filefrag -v "$1" 2>/dev/null | grep -q shared
}

# 1. The layer's clone_file, for every passthrough kind.
FK_TEST_TMP=$X FK_TEST_REFLINK=1 "$TEST_LAYER" >"$WORK/layer.out" 2>&1
rc=$?
expect "layer unit tests pass on XFS, clones required" 0 "$rc"
[ "$rc" = 0 ] || grep -E 'FAIL|^==' "$WORK/layer.out" | head -20
expect "only the layer keeping owners in xattrs refuses to clone" 1 \
	"$(grep -c 'cannot reflink' "$WORK/layer.out")"

# 2. Overlay copy-up clones.
mkdir -p "$X/lower" "$X/upper" "$X/work"
head -c 4M /dev/urandom >"$X/lower/big"
check "the lower file shares nothing yet" test ! -n "$(shared "$X/lower/big" && echo y)"
start_ovl "$WORK/ovl" "lowerdir=$X/lower,upperdir=$X/upper,workdir=$X/work"
check "chmod through the overlay" chmod 600 "$WORK/ovl/big"
check "copied up" test -f "$X/upper/big"
check "the upper copy shares its blocks with the lower file" shared "$X/upper/big"
check "same bytes" cmp "$X/lower/big" "$WORK/ovl/big"
expect "mode as set" 600 "$(stat -c %a "$WORK/ovl/big")"
echo more >>"$WORK/ovl/big"
check "a write to the copy leaves the lower file as it was" \
	test "$(stat -c %s "$X/lower/big")" = 4194304
stop_daemon "$WORK/ovl" "$DPID"
expect "overlay exits 0" 0 "$?"

# 3. copy_file_range through the passthrough reflinks.
mkdir -p "$X/src"
head -c 2M /dev/urandom >"$X/src/a"
start_pt "$X/src" "$WORK/pt"
"$PY" - "$WORK/pt/a" "$WORK/pt/b" <<'EOF'
import os, sys
src = os.open(sys.argv[1], os.O_RDONLY)
dst = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
left = os.fstat(src).st_size
while left:
    n = os.copy_file_range(src, dst, left)
    if n == 0:
        break
    left -= n
EOF
expect "copy_file_range ran" 0 "$?"
check "the copy is the same" cmp "$X/src/a" "$X/src/b"
check "the copy shares its blocks (a reflink, not a copy)" shared "$X/src/b"
stop_daemon "$WORK/pt" "$DPID"
expect "passthrough exits 0" 0 "$?"
finish
