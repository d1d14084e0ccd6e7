#!/bin/bash
# scripts/fuzz-ops.sh [SECONDS] — the stateful fuzzer, for as long as asked
# (default 600 s), against a release build (build/):
#
#  1. half the time: tests/mount/fuzz.sh with fresh seeds, round after
#     round: each a seeded sequence of operations in a native directory
#     and through the passthrough (every inode mode) and the overlay (both
#     whiteout formats), every answer and the final tree compared;
#  2. the rest: racing clients (ops_storm.py) on a passthrough in lazy mode
#     and an overlay that live through it, while the host renames and
#     deletes directories underneath and swaps one for a symlink to /
#     (ESTALE, ELOOP and the like are expected then; nothing else).
#
# It prints the operations run, the errors they got by kind, mismatches,
# and the long-lived daemons' CPU time and resident memory at the end.
# Exit 0 when nothing differed, no client saw an unexpected error, and
# every daemon lived and exited 0. Needs root.
set -u
SECS=${1:-600}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build
[ "$(id -u)" = 0 ] || { echo "fuzz-ops: needs root"; exit 1; }
[ -x "$B/fusekit" ] || { echo "fuzz-ops: build first (cmake -S . -B build && cmake --build build)"; exit 1; }
W=$(mktemp -d /tmp/fk-fuzzops.XXXXXX)
trap 'umount -l "$W/pm" "$W/om" 2>/dev/null; rm -rf "$W"' EXIT
STATS=$W/stats
rc=0
. "$ROOT/tests/kernel_crashes.sh"
crash_watch_start
rounds=0
half=$((SECONDS + SECS / 2))
while [ $SECONDS -lt $half ]; do
	seeds="$RANDOM $RANDOM"
	rounds=$((rounds + 1))
	if ! FK_FUZZ_SEEDS=$seeds FK_FUZZ_OPS=600 FK_FUZZ_STATS=$STATS \
		bash "$ROOT/tests/mount/fuzz.sh" "$B/fk-memfs" "$B/fusekit" "$ROOT/examples/sample" \
		>"$W/round.log" 2>&1; then
		echo "fuzz-ops: round $rounds (seeds $seeds) differed or a daemon died:"
		grep -E '^FAIL|^[-+][0-9]' "$W/round.log" | head -20
		rc=1
	fi
done
echo "compare phase: $rounds rounds, $(awk '/^ops/ { s += $2 } END { print s + 0 }' "$STATS") operations"
echo "errors by kind (all answered as natively):"
awk '/^errno/ { n[$2]++ } END { for (e in n) printf "  %s %d\n", e, n[e] }' "$STATS" | sort -k2 -nr

# The storm, with the host in the way.
mkdir -p "$W/src/a" "$W/pm" "$W/lower/a" "$W/upper" "$W/work" "$W/om"
"$B/fusekit" passthrough -f -o inode=lazy,fd_cap=16 "$W/src" "$W/pm" 2>"$W/pt.log" &
PT=$!
"$B/fusekit" overlay -f -o "lowerdir=$W/lower,upperdir=$W/upper,workdir=$W/work" "$W/om" 2>"$W/ovl.log" &
OVL=$!
for _ in $(seq 100); do mountpoint -q "$W/pm" && mountpoint -q "$W/om" && break; sleep 0.1; done
left=$((SECS - SECS / 2))
pids=()
for m in "$W/pm" "$W/om"; do
	for i in 1 2 3 4; do
		python3 "$ROOT/tests/mount/ops_storm.py" "$m" "$i" "$left" >"$W/storm.$i.$(basename "$m")" 2>&1 &
		pids+=($!)
	done
done
(
	end=$((SECONDS + left))
	while [ $SECONDS -lt $end ]; do
		for d in "$W/src" "$W/upper" "$W/lower"; do
			# a renamed away and back, a/c deleted, b swapped for a
			# symlink to / a moment
			mv "$d/a" "$d/x" 2>/dev/null && mv "$d/x" "$d/a" 2>/dev/null
			rm -rf "$d/a/c" 2>/dev/null
			mv "$d/b" "$d/b.real" 2>/dev/null && ln -s / "$d/b" 2>/dev/null
			sleep 0.05
			rm -f "$d/b" 2>/dev/null && mv "$d/b.real" "$d/b" 2>/dev/null
		done
	done
) &
pids+=($!)
wait "${pids[@]}"
ops=$(cat "$W"/storm.* | awk '/^ops/ { s += $2 } END { print s + 0 }')
unexpected=$(cat "$W"/storm.* | awk '/^ops/ { s += $4 } END { print s + 0 }')
echo "storm phase: $ops operations, $unexpected unexpected errors"
grep -h "^unexpected:" "$W"/storm.* | sort | uniq -c | head
[ "$unexpected" = 0 ] || rc=1
for p in "$PT:$W/pm:passthrough" "$OVL:$W/om:overlay"; do
	IFS=: read -r pid mnt name <<<"$p"
	ticks=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null)
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
	echo "$name daemon: cpu $(awk -v t="${ticks:-0}" -v h="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / h }') s, rss ${rss:-dead} KiB"
	kill -0 "$pid" 2>/dev/null || { echo "fuzz-ops: the $name daemon died"; rc=1; }
	umount "$mnt" 2>/dev/null || umount -l "$mnt"
	wait "$pid" || { echo "fuzz-ops: the $name daemon exited $?"; rc=1; }
done
crashes=$(kernel_crashes)
echo "crashes: $(printf '%s' "$crashes" | grep -c .) of fusekit programs in the kernel log during the run"
[ -z "$crashes" ] || { echo "$crashes" | head -5; rc=1; }
exit $rc
