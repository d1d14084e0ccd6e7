#!/bin/bash
# storm.sh — eight clients racing on the same few names (ops_storm.py:
# creates, writes, reads, truncates, links, unlinks, renames with their
# flags, mkdir, rmdir, readdir, chmod, utimes, xattrs, fifos, symlinks)
# while the host renames a directory underneath, against the passthrough
# (fd and lazy modes, and over io_uring where the kernel has it on), the
# overlay (both whiteout formats) and the union (two RW branches, new
# names on either at random, and an RO one; then with -o cow over names
# on the RO one). Each
# daemon must live and exit 0, and no client may see an error a racing
# native filesystem would not give.
#
# Built with -DFK_TSAN=ON the daemons report every data race to a log
# here (TSAN_OPTIONS); any report fails the test. tests/tsan.supp lists
# the reports judged harmless, each with its reason (none so far).
. "$(dirname "$0")/lib.sh"
require_fuse
SECS=${FK_STORM_SECONDS:-8}
HERE=$(cd "$(dirname "$0")" && pwd)
export TSAN_OPTIONS="log_path=$WORK/tsan suppressions=$HERE/../tsan.supp"

# storm LABEL MNT HOSTDIR: the clients on MNT, the host renaming
# HOSTDIR/a back and forth meanwhile.
storm() {
	local label=$1 mnt=$2 host=$3 i pids=()
	for i in 1 2 3 4 5 6 7 8; do
		"$PY" "$HERE/ops_storm.py" "$mnt" "$i" "$SECS" >"$WORK/c$i.out" 2>&1 &
		pids+=($!)
	done
	bash "$HERE/renamer.sh" "$host" "$SECS" &
	pids+=($!)
	wait "${pids[@]}"
	local ops unexpected
	ops=$(cat "$WORK"/c*.out | awk '/^ops/ { s += $2 } END { print s + 0 }')
	unexpected=$(cat "$WORK"/c*.out | awk '/^ops/ { s += $4 } END { print s + 0 }')
	expect "$label: $ops operations, none failed as a native one would not" 0 "$unexpected"
	if [ "$unexpected" != 0 ]; then
		grep -h "^unexpected:" "$WORK"/c*.out | sort | uniq -c | head -5
		tail -n 5 "$WORK"/*.log # what the daemons said
	fi
}

# The daemons take requests through io_uring by default where the kernel
# has it on (scripts/test.sh turns it on for this test): the first round
# is /dev/fuse's alone; the last has the queues serve data too.
URING=
[ "$(cat /sys/module/fuse/parameters/enable_uring 2>/dev/null)" = Y ] &&
	URING=inode=fd,io_uring,nopassthrough
for opts in inode=fd,noio_uring inode=lazy,fd_cap=16 $URING; do
	tag=$(echo "$opts" | tr -c 'a-z0-9\n' _)
	mkdir -p "$WORK/src-$tag/a"
	start_pt "$WORK/src-$tag" "$WORK/m-$tag" -o "$opts"
	storm "passthrough $opts" "$WORK/m-$tag" "$WORK/src-$tag"
	stop_daemon "$WORK/m-$tag" "$DPID"
done

for wh in chardev oci; do
	L=$WORK/l-$wh U=$WORK/u-$wh
	mkdir -p "$L/a" "$U" "$WORK/w-$wh"
	for i in 0 1 2 3; do echo lower >"$L/a/n$i"; done
	start_ovl "$WORK/o-$wh" "lowerdir=$L,upperdir=$U,workdir=$WORK/w-$wh,whiteout=$wh"
	storm "overlay whiteout=$wh, the upper renamed" "$WORK/o-$wh" "$U"
	storm "overlay whiteout=$wh, the lower renamed" "$WORK/o-$wh" "$L"
	stop_daemon "$WORK/o-$wh" "$DPID"
done

A=$WORK/ua B=$WORK/ub R=$WORK/ur
mkdir -p "$A/a" "$B/a" "$R"
for i in 0 1; do echo a >"$A/a/n$i"; echo b >"$B/a/n$((i + 2))"; done
start_union "$WORK/un" "$A:$B:$R=RO" -o category.create=rand,minfreespace=0
storm "union, a branch renamed" "$WORK/un" "$B"
# The same storm while the union is changed through its control file,
# in ways that change what no client sees: the two RW branches swapped,
# B made NC and RW again, an empty NC branch added and removed, the
# policies changed.
E=$WORK/ue
mkdir -p "$E"
control_churn() {
	local ctl=$WORK/un/.fusekit end=$((SECONDS + SECS)) k=0 bad_sets=0
	while [ $SECONDS -lt $end ]; do
		k=$((k + 1))
		case $((k % 5)) in
		0) v="$B:$A:$R=RO" ;;
		1) v="$A:$B=NC:$R=RO" ;;
		2) v="$A:$B:$R=RO:$E=NC" ;;
		3) v="-$E" ;;
		4) v="$A:$B:$R=RO" ;;
		esac
		setfattr -n user.fusekit.branches -v "$v" "$ctl" || bad_sets=$((bad_sets + 1))
		setfattr -n user.fusekit.category.create -v "$( ((k % 2)) && echo rand || echo mfs)" \
			"$ctl" || bad_sets=$((bad_sets + 1))
		sleep 0.05
	done
	echo "$k $bad_sets" >"$WORK/churn.out"
}
control_churn &
churn=$!
storm "union, changed through .fusekit meanwhile" "$WORK/un" "$B"
wait "$churn"
expect "every change through .fusekit took ($(cut -d' ' -f1 "$WORK/churn.out") rounds)" 0 "$(cut -d' ' -f2 "$WORK/churn.out")"
stop_daemon "$WORK/un" "$DPID"

C1=$WORK/uc1 C2=$WORK/uc2 CR=$WORK/ucr
mkdir -p "$C1" "$C2" "$CR/a"
for i in 0 1 2 3; do echo ro >"$CR/a/n$i"; done
start_union "$WORK/uncow" "$C1:$C2:$CR=RO" -o cow,category.create=rand,minfreespace=0
storm "union -o cow, a branch renamed" "$WORK/uncow" "$C2"
stop_daemon "$WORK/uncow" "$DPID"

reports=$(cat "$WORK"/tsan.* 2>/dev/null | grep -c 'WARNING: ThreadSanitizer')
expect "no data race reported (ThreadSanitizer builds)" 0 "$reports"
[ "$reports" = 0 ] || cat "$WORK"/tsan.* | grep -A12 'WARNING: ThreadSanitizer' | head -60
finish
