#!/bin/bash
# nofile.sh — a daemon whose nodes hold descriptors serves more files
# than its descriptor limit allows it to hold at once.
#
# The passthrough in fd mode holds a descriptor for every file the
# kernel knows, the overlay and the union one per layer that has it; the
# kernel forgets a file only under memory pressure. Each daemon here runs
# with RLIMIT_NOFILE 256 (so a budget of 128 or 64 nodes) and is asked
# for ten times that many files: past the budget it asks the kernel to
# forget the nodes not used lately (FUSE_NOTIFY_PRUNE, Linux >= 6.18;
# fk_node_table.h), and every create, stat and read must work. Before,
# the 250th create failed with EMFILE. Files held open, and a working
# directory, are not taken from their users.
. "$(dirname "$0")/lib.sh"
require_fuse
minor=$(uname -r | awk -F. '{ print $1 * 100 + $2 }')
[ "$minor" -ge 618 ] || { echo "SKIP: FUSE_NOTIFY_PRUNE needs Linux >= 6.18"; exit 77; }

N=2500
LIMIT="prlimit --nofile=256:256"

# storm LABEL DIR: N files made, stat'ed, read back and listed through
# DIR while 40 others stay open and the working directory is in DIR.
storm() {
	local label=$1 d=$2 out
	out=$("$PY" - "$d" "$N" <<'PY' 2>&1
import os, sys
top, n = sys.argv[1], int(sys.argv[2])
held = []
os.mkdir(os.path.join(top, "held"))
for i in range(40):
    fd = os.open(os.path.join(top, "held", f"h{i}"), os.O_CREAT | os.O_RDWR, 0o644)
    os.write(fd, b"held %d" % i)
    held.append(fd)
os.chdir(os.path.join(top, "held"))
for i in range(n):
    fd = os.open(os.path.join(top, f"f{i}"), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    os.write(fd, b"file %d" % i)
    os.close(fd)
for i in range(n):
    if os.stat(os.path.join(top, f"f{i}")).st_size != len(b"file %d" % i):
        sys.exit(f"f{i}: wrong size")
for i in range(0, n, 7):
    with open(os.path.join(top, f"f{i}"), "rb") as f:
        if f.read() != b"file %d" % i:
            sys.exit(f"f{i}: wrong contents")
names = [x for x in os.listdir(top) if x.startswith("f")]
if len(names) != n:
    sys.exit(f"{len(names)} files listed, not {n}")
for i, fd in enumerate(held):
    os.lseek(fd, 0, 0)
    if os.read(fd, 64) != b"held %d" % i:
        sys.exit(f"h{i}: wrong contents through its open descriptor")
    os.close(fd)
if sorted(os.listdir(".")) != sorted(f"h{i}" for i in range(40)):
    sys.exit("the working directory lost its names")
print("done")
PY
)
	expect "$label: $N files made, stat'ed, read and listed past the descriptor limit" done "$out"
}

# no_emfile LABEL LOG: the daemon never ran out of descriptors.
no_emfile() {
	check_fails "$1: no descriptor ran out" grep -qi 'too many open files\|EMFILE' "$2"
}

mkdir -p "$WORK/src"
RUN_WITH=$LIMIT
start_pt "$WORK/src" "$WORK/pt" -o inode=fd
storm "passthrough inode=fd" "$WORK/pt"
n=$(ls "/proc/$DPID/fd" | wc -l)
check "passthrough: the daemon holds fewer descriptors than its limit ($n)" [ "$n" -lt 256 ]
stop_daemon "$WORK/pt" "$DPID"
no_emfile passthrough "$WORK/pt.pt.log"

mkdir -p "$WORK/lower/d" "$WORK/upper" "$WORK/work"
echo lower > "$WORK/lower/d/l"
start_ovl "$WORK/ovl" "lowerdir=$WORK/lower,upperdir=$WORK/upper,workdir=$WORK/work" \
	"$LIMIT $FUSEKIT overlay"
storm "overlay" "$WORK/ovl/d"
expect "overlay: the lower file is still there" lower "$(cat "$WORK/ovl/d/l")"
stop_daemon "$WORK/ovl" "$DPID"
no_emfile overlay "$WORK/ovl.log"

mkdir -p "$WORK/b1" "$WORK/b2"
start_union "$WORK/un" "$WORK/b1=RW:$WORK/b2=RW"
storm "union" "$WORK/un"
stop_daemon "$WORK/un" "$DPID"
no_emfile union "$WORK/union.log"
finish
