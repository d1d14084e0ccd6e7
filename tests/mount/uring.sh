#!/bin/bash
# uring.sh — FUSE over io_uring (the default; -o io_uring): the passthrough, the
# overlay and the union run the POSIX scenarios through the rings, against
# a native directory; writes from each CPU (one queue per CPU) read back
# whole; every queue must have served requests (-o debug counts them).
# Then with the fuse module's enable_uring off, the same mount serves
# through /dev/fuse and says why. The module parameter is put back as it
# was.
. "$(dirname "$0")/lib.sh"
require_fuse
PARAM=/sys/module/fuse/parameters/enable_uring
if [ ! -w "$PARAM" ]; then
	echo "SKIP: this kernel has no FUSE over io_uring ($PARAM)"
	exit 77
fi
OLD=$(cat "$PARAM")
trap 'echo "$OLD" > "$PARAM"; cleanup' EXIT
echo Y > "$PARAM"
NCPU=$(nproc --all)

# served LOG: what each queue served, "Q:N Q:N ..."; and each_served
# LOG: 1 when every one of the NCPU queues served some.
served() { sed -n 's/.*io_uring: queue \([0-9]*\) served \([0-9]*\).*/\1:\2/p' "$1" | tr '\n' ' '; }
each_served() {
	local n
	n=$(sed -n 's/.*io_uring: queue [0-9]* served \([1-9][0-9]*\).*/\1/p' "$1" | wc -l)
	[ "$n" = "$NCPU" ] && echo 1 || echo 0
}
# writes MNT: a 24 MiB file written from each CPU, read back whole.
writes() {
	local cpu
	head -c 24M /dev/urandom > "$WORK/data"
	for cpu in $(seq 0 $((NCPU - 1))); do
		taskset -c "$cpu" cp "$WORK/data" "$1/w$cpu" &
	done
	wait
	for cpu in $(seq 0 $((NCPU - 1))); do
		taskset -c "$cpu" cmp -s "$WORK/data" "$1/w$cpu" || echo "CPU $cpu differs"
		taskset -c "$cpu" rm "$1/w$cpu"
	done
}

# ---- the passthrough ----
mkdir -p "$WORK/native" "$WORK/src"
start_pt "$WORK/src" "$WORK/pt" -o io_uring,debug,nopassthrough
LOG=$WORK/pt.pt.log
check "the queues started" grep -q "io_uring: $NCPU queue(s)" "$LOG"
# Idle, the queues wait in the kernel: a queue thread that returned from
# its wait at once would spin at 100% CPU (it did, when it told the
# kernel of more SQEs than it had queued).
t0=$(awk '{ print $14 + $15 }' "/proc/$DPID/stat")
sleep 2
expect "an idle daemon uses no CPU to speak of (under 0.3 s in 2 s)" 1 \
	"$(awk -v t0="$t0" -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15 - t0) < 0.3 * hz }' "/proc/$DPID/stat")"
compare_scenarios "passthrough over io_uring" "$WORK/native" "$WORK/pt"
expect "passthrough: writes from every CPU read back whole" "" "$(writes "$WORK/pt")"
stop_daemon "$WORK/pt" "$DPID"
expect "passthrough: every queue served requests ($(served "$LOG"))" 1 "$(each_served "$LOG")"

# ---- the overlay ----
# (RENAME_WHITEOUT is refused by overlays, kernel overlayfs's too.)
export SCEN_EXPECT='s/^RENAME_WHITEOUT: ok$/RENAME_WHITEOUT: EINVAL/'
export SCEN_EXPECT_BOTH='/^whiteout left behind: /{N;d}'
L=$WORK/lower U=$WORK/upper
mkdir -p "$L/dir" "$U" "$WORK/work" "$WORK/native2"
echo lower > "$L/dir/f"
start_ovl "$WORK/ovl" "lowerdir=$L,upperdir=$U,workdir=$WORK/work,io_uring,debug,nopassthrough"
expect "overlay: a lower file reads" "lower" "$(cat "$WORK/ovl/dir/f")"
echo upper >> "$WORK/ovl/dir/f"
expect "overlay: copied up on write" "lower upper" "$(echo $(cat "$U/dir/f"))"
compare_scenarios "overlay over io_uring" "$WORK/native2" "$WORK/ovl"
expect "overlay: writes from every CPU read back whole" "" "$(writes "$WORK/ovl")"
stop_daemon "$WORK/ovl" "$DPID"
expect "overlay: every queue served requests ($(served "$WORK/ovl.log"))" 1 \
	"$(each_served "$WORK/ovl.log")"

# ---- the union ----
mkdir -p "$WORK/b1" "$WORK/b2" "$WORK/b3" "$WORK/native3"
start_union "$WORK/un" "$WORK/b1:$WORK/b2:$WORK/b3=RO" -o io_uring,debug,nopassthrough,minfreespace=0
compare_scenarios "union over io_uring" "$WORK/native3" "$WORK/un"
expect "union: writes from every CPU read back whole" "" "$(writes "$WORK/un")"
stop_daemon "$WORK/un" "$DPID"
expect "union: every queue served requests ($(served "$WORK/union.log"))" 1 \
	"$(each_served "$WORK/union.log")"

# ---- answers from other threads (fk-memfs --async answers getattr from
# a thread of its own), over io_uring and over /dev/fuse. io_uring is the
# default: no option asks for it; -o noio_uring turns it off. ----
for t in io_uring dev; do
	opts=debug
	[ $t = dev ] && opts=noio_uring,debug
	start_memfs "$WORK/mem-$t" --async -o "$opts"
	for i in $(seq 50); do echo "$i" > "$WORK/mem-$t/f$i"; done
	sleep 1.2 # memfs's attributes expire: each stat asks the daemon
	expect "$t: 50 files stat'ed, answered from other threads" 141 \
		"$(stat -c %s "$WORK/mem-$t"/f* | awk '{ s += $1 } END { print s }')"
	stop_daemon "$WORK/mem-$t" "$DPID"
	LOG=$WORK/memfs.mem-$t.log
	expect "$t: the answers came from other threads" 1 \
		"$(sed -n 's/.*: \([0-9]*\) answer(s) given from other threads/\1/p' "$LOG" |
			awk '{ print ($1 >= 50) }')"
	if [ $t = io_uring ]; then
		expect "io_uring by default: the queues served the requests ($(served "$LOG"))" 1 \
			"$(sed -n 's/.*io_uring: queue [0-9]* served \([0-9]*\).*/\1/p' "$LOG" |
				awk '{ s += $1 } END { print (s >= 100) }')"
	else
		expect "-o noio_uring: no queue ran" "" "$(served "$LOG")"
	fi
done

# ---- not offered: /dev/fuse serves, and -o debug says why ----
echo N > "$PARAM"
echo fallback > "$WORK/src/fb"
start_pt "$WORK/src" "$WORK/pt2" -o io_uring,debug
expect "enable_uring off: the mount serves all the same" "fallback" "$(cat "$WORK/pt2/fb")"
stop_daemon "$WORK/pt2" "$DPID"
check "and -o debug says why" grep -q "io_uring: not offered by the kernel" "$WORK/pt.pt2.log"
expect "and no queue ran" "" "$(served "$WORK/pt.pt2.log")"
finish
