#!/bin/bash
# ovl_copyup_race.sh — copy-ups of large files and renames through the
# overlay while the host changes the upper directory directly: it deletes
# the copies (so the lower files show again and the next write copies
# them up again), makes files and directories at names the overlay is
# about to use, and renames directories away and back. What the host does
# there is outside any overlay's contract (kernel overlayfs's too), but
# the daemon must live through it, exit 0, and clients may only see
# errors a racing filesystem gives (ops_storm.py's list: ENOENT, EEXIST,
# ESTALE, ...). Both whiteout formats; under the sanitizer build this is
# the test that copy-up holds no stale pointer across the copy.
. "$(dirname "$0")/lib.sh"
require_fuse
SECS=${FK_STORM_SECONDS:-8}
HERE=$(cd "$(dirname "$0")" && pwd)
DIRS="a b a/c"

# meddle UPPER SECONDS: the host's changes in the upper directory.
meddle() {
	local up=$1 end=$((SECONDS + $2)) d n
	while [ $SECONDS -lt $end ]; do
		for d in $DIRS; do
			n=n$((RANDOM % 8))
			case $((RANDOM % 6)) in
			0 | 1) rm -rf "$up/$d/$n" ;;
			2) echo host 1<>"$up/$d/$n" ;; # <>: a fifo does not block
			3) mkdir "$up/$d/$n" ;;
			4) mv "$up/$d/$n" "$up/$d/n$((RANDOM % 8))" ;;
			5) mv "$up/a" "$up/x" && mv "$up/x" "$up/a" ;;
			esac 2>/dev/null
		done
		sleep 0.01
	done
}

# toggle UPPER SECONDS: names made and removed in UPPER/r, where renames
# of lower files through the mount are going (rename_copyup.py), and
# the whiteouts and copies those leave removed, so the lower files show
# again and are copied up again.
toggle() {
	local up=$1 end=$((SECONDS + $2)) i
	while [ $SECONDS -lt $end ]; do
		for i in $(seq 0 15); do
			echo host >"$up/r/dst$i"
			rm -f "$up/r/dst$i" "$up/r/big$i" "$up/r/.wh.big$i"
		done
	done 2>/dev/null
}

for wh in chardev oci; do
	L=$WORK/l-$wh U=$WORK/u-$wh M=$WORK/o-$wh
	mkdir -p "$U/r" "$L/r" "$WORK/w-$wh"
	for i in $(seq 0 15); do head -c 2M /dev/urandom >"$L/r/big$i"; done
	for d in $DIRS; do
		mkdir -p "$L/$d"
		# 2 MiB each: copies that take a while (the old copy-up let go
		# of the tree lock for files of 1 MiB and more)
		for i in 0 1 2 3 4 5 6 7; do head -c 2M /dev/urandom >"$L/$d/n$i"; done
	done
	start_ovl "$M" "lowerdir=$L,upperdir=$U,workdir=$WORK/w-$wh,whiteout=$wh,redirect_dir=on"
	pids=()
	for i in 1 2 3 4 5 6; do
		"$PY" "$HERE/ops_storm.py" "$M" "$i" "$SECS" >"$WORK/c$i.out" 2>&1 &
		pids+=($!)
	done
	meddle "$U" "$SECS" &
	pids+=($!)
	"$PY" "$HERE/rename_copyup.py" "$M" "$SECS" >"$WORK/r.out" 2>&1 &
	pids+=($!)
	toggle "$U" "$SECS" &
	pids+=($!)
	wait "${pids[@]}"
	renames=$(awk '/^renames/ { print $2 }' "$WORK/r.out")
	expect "whiteout=$wh: renames copying up against the host's changes, none failed oddly" \
		"0" "$(awk '/^renames/ { print $4 }' "$WORK/r.out")"
	grep -h "^unexpected:" "$WORK/r.out" | head -3
	echo "     ($renames renames of 2 MiB lower files done)"
	ops=$(cat "$WORK"/c*.out | awk '/^ops/ { s += $2 } END { print s + 0 }')
	unexpected=$(cat "$WORK"/c*.out | awk '/^ops/ { s += $4 } END { print s + 0 }')
	copies=$(find "$U" -type f -size +1M 2>/dev/null | wc -l)
	expect "whiteout=$wh: $ops operations, none failed as a racing filesystem would not" 0 "$unexpected"
	[ "$unexpected" = 0 ] || grep -h "^unexpected:" "$WORK"/c*.out | sort | uniq -c | head -5
	expect "whiteout=$wh: the mount still answers" "ok" "$(ls "$M" >/dev/null && echo ok)"
	echo "     ($copies large copies in the upper layer at the end)"
	stop_daemon "$M" "$DPID"
done
finish
