#!/bin/bash
# faults.sh — what the daemons do when the host fails them:
#  - a full upper or source (a small tmpfs): a write, a copy-up and a
#    rename that need more room get ENOSPC, and nothing partial or
#    orphaned is left in the upper or the work directory; with room again
#    the same operations succeed; a name made over a whiteout without an
#    inode left gets ENOSPC;
#  - a tiny descriptor limit: lazy and handle modes keep serving 200 files;
#    fd mode answers EMFILE and says in its log which limit it hit;
#  - SIGKILL in the middle of a storm of renames, links and writes, then
#    a remount: the tree fusekit shows is the one kernel overlayfs shows
#    over the same layers.
. "$(dirname "$0")/lib.sh"
require_fuse
HERE=$(cd "$(dirname "$0")" && pwd)

SMALL=$WORK/small
mkdir -p "$SMALL"
mount -t tmpfs -o size=8m tmpfs "$SMALL" || { echo "SKIP: cannot mount tmpfs"; exit 77; }
MOUNTS+=("$SMALL")
workdir_empty() { [ -z "$(find "$1" -mindepth 1 2>/dev/null | head -1)" ]; }

# ---- ENOSPC in the overlay's upper layer ----
L=$WORK/lower
mkdir -p "$L/d" "$SMALL/u" "$SMALL/w"
head -c $((5 << 20)) /dev/urandom >"$L/big"
echo small >"$L/d/s"
LOWER_SUM=$(md5sum <"$L/big")
start_ovl "$WORK/om" "lowerdir=$L,upperdir=$SMALL/u,workdir=$SMALL/w"
M=$WORK/om
# Leave about 2 MiB free: too little for a copy of big.
head -c $((5 << 20)) /dev/zero >"$SMALL/filler"
out=$(printf x 2>&1 >>"$M/big")
expect "copy-up without room: ENOSPC" "No space left on device" "$(echo "$out" | grep -o 'No space left on device')"
expect "the file still shows the lower data" "$LOWER_SUM" "$(md5sum <"$M/big")"
check_fails "no copy of it in the upper layer" test -e "$SMALL/u/big"
check "nothing left in the work directory" workdir_empty "$SMALL/w/work"
out=$(mv "$M/big" "$M/big2" 2>&1)
check_fails "a rename that needs the copy fails" test -e "$M/big2"
check "and the file stays where it was" test -e "$M/big"
check "nothing left in the work directory" workdir_empty "$SMALL/w/work"
out=$(dd if=/dev/zero of="$M/new" bs=1M count=4 2>&1)
expect "a write past the room: ENOSPC" "No space left on device" "$(echo "$out" | grep -o 'No space left on device' | head -1)"
check "nothing left in the work directory" workdir_empty "$SMALL/w/work"
expect "the upper layer holds only what was made" "new" "$(cd "$SMALL/u" && ls | xargs)"
rm -f "$M/new" "$SMALL/filler"
check "with room again the copy-up succeeds" sh -c "printf x >>'$M/big'"
expect "and holds the lower data and the byte" "$(((5 << 20) + 1))x" \
	"$(stat -c %s "$M/big")$(tail -c 1 "$M/big")"
check "and the rename too" mv "$M/big" "$M/big2"
stop_daemon "$M" "$DPID"

# ---- no inode left for a name made over a whiteout ----
# It is built in the work directory before it takes the whiteout's
# place; failing there, the request fails and the whiteout stays.
FEW=$WORK/few
mkdir -p "$FEW" "$WORK/fl/d"
mount -t tmpfs -o nr_inodes=64 tmpfs "$FEW" || { echo "SKIP: cannot mount tmpfs"; exit 77; }
MOUNTS+=("$FEW")
echo lower >"$WORK/fl/d/x"
mkdir -p "$FEW/u" "$FEW/w"
start_ovl "$WORK/fm" "lowerdir=$WORK/fl,upperdir=$FEW/u,workdir=$FEW/w"
rm "$WORK/fm/d/x"
check "a removed lower name leaves a whiteout" test -c "$FEW/u/d/x"
i=0
while touch "$FEW/fill$i" 2>/dev/null; do i=$((i + 1)); done
out=$(touch "$WORK/fm/d/x" 2>&1)
expect "no inode left: a create over the whiteout gets ENOSPC" "No space left on device" \
	"$(echo "$out" | grep -o 'No space left on device')"
out=$(mkdir "$WORK/fm/d/x" 2>&1)
expect "... and so does a mkdir" "No space left on device" \
	"$(echo "$out" | grep -o 'No space left on device')"
check_fails "the name stays removed" test -e "$WORK/fm/d/x"
rm -f "$FEW"/fill*
check "with inodes again the create succeeds" touch "$WORK/fm/d/x"
expect "and makes an empty file" "0" "$(stat -c %s "$WORK/fm/d/x")"
stop_daemon "$WORK/fm" "$DPID"

# ---- ENOSPC in the passthrough's source ----
mkdir -p "$SMALL/src"
start_pt "$SMALL/src" "$WORK/pm"
out=$(dd if=/dev/zero of="$WORK/pm/fill" bs=1M count=20 2>&1)
expect "passthrough: a write past the room: ENOSPC" "No space left on device" \
	"$(echo "$out" | grep -o 'No space left on device' | head -1)"
rm "$WORK/pm/fill"
# The kernel releases a FUSE file after close returns, so its blocks may
# come back a moment after the rm (natively, at the close).
for _ in $(seq 50); do
	[ "$(df --output=avail "$SMALL" | tail -1)" -gt 1024 ] && break
	sleep 0.1
done
check "passthrough: with room again it writes" sh -c "echo ok >'$WORK/pm/after'"
stop_daemon "$WORK/pm" "$DPID"

# ---- a tiny descriptor limit ----
S=$WORK/many
mkdir -p "$S"
for i in $(seq 200); do echo "$i" >"$S/f$i"; done
for opts in inode=lazy inode=handle inode=handle,hold=dirs inode=fd; do
	tag=$(echo "$opts" | tr -c 'a-z0-9\n' _)
	mkdir -p "$WORK/n-$tag"
	MOUNTS+=("$WORK/n-$tag")
	prlimit --nofile=48:48 "$FUSEKIT" passthrough -f -o "$opts" "$S" "$WORK/n-$tag" \
		2>"$WORK/n-$tag.log" &
	DPID=$!
	track_daemon "$DPID" "$WORK/n-$tag"
	wait_mounted "$WORK/n-$tag" || { bad "$opts: did not mount"; continue; }
	read_all=$(cd "$WORK/n-$tag" && for i in $(seq 200); do cat "f$i" 2>/dev/null; done | wc -l)
	expect "$opts at 48 descriptors: all 200 files read" 200 "$read_all"
	if [ "$opts" = inode=fd ]; then
		# fd mode asks the kernel to forget files past its budget
		# (nofile.sh); 60 files held open at once cannot be forgotten.
		held=$("$PY" - "$WORK/n-$tag" <<'PY'
import os, sys
fds = []
try:
    for i in range(1, 61):
        fds.append(os.open(os.path.join(sys.argv[1], f"f{i}"), os.O_RDONLY))
    print("all open")
except OSError as e:
    print(e.strerror)
PY
)
		expect "fd mode at 48 descriptors: 60 files held open run out" \
			"Too many open files" "$held"
		check "and its log says which limit, and the ways out" \
			grep -q "RLIMIT_NOFILE 48.*inode=lazy" "$WORK/n-$tag.log"
	fi
	stop_daemon "$WORK/n-$tag" "$DPID"
done

# ---- SIGKILL in a storm, then a remount, against kernel overlayfs ----
L=$WORK/kl U=$WORK/ku
mkdir -p "$L/a/sub" "$U" "$WORK/kw" "$WORK/kw2"
for i in 0 1 2 3 4 5; do echo "lower $i" >"$L/a/n$i"; done
for round in 1 2 3; do
	start_ovl "$WORK/km" "lowerdir=$L,upperdir=$U,workdir=$WORK/kw"
	pids=()
	for i in 1 2 3 4; do
		"$PY" "$HERE/ops_storm.py" "$WORK/km" "$((round * 10 + i))" 3 >/dev/null 2>&1 &
		pids+=($!)
	done
	sleep "0.$((RANDOM % 9 + 1))"
	forget_daemon "$DPID" # killed on purpose
	kill -9 "$DPID"
	wait "$DPID" 2>/dev/null
	wait "${pids[@]}" 2>/dev/null
	umount -l "$WORK/km" 2>/dev/null
	start_ovl "$WORK/km" "lowerdir=$L,upperdir=$U,workdir=$WORK/kw"
	mkdir -p "$WORK/kk"
	if mount -t overlay overlay -o "lowerdir=$L,upperdir=$U,workdir=$WORK/kw2" "$WORK/kk"; then
		MOUNTS+=("$WORK/kk")
		compare_trees "after SIGKILL $round, remounted" "$WORK/kk" "$WORK/km"
		umount "$WORK/kk"
	else
		bad "kernel overlayfs refused the layers after SIGKILL $round"
	fi
	check "the work directory was emptied at mount" workdir_empty "$WORK/kw/work"
	stop_daemon "$WORK/km" "$DPID"
done
finish
