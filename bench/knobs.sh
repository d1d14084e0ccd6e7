#!/bin/bash
# bench/knobs.sh — the session's queue settings measured: the same fio
# jobs through fusekit's passthrough (-o nopassthrough: every read and
# write reaches the daemon) with each setting, over io_uring and over
# /dev/fuse, in interleaved rounds, as ratios to the defaults measured in
# the same run (the first setting; FK_BENCH_KNOBS may name others).
# docs/benchmarks.md ("Queue limits") keeps the figures
# and the choices they made.
#
#   sudo bench/knobs.sh [SECONDS_PER_JOB] [ROUNDS]        (default 5, 2)
#
# Settings (FK_BENCH_KNOBS overrides; each a list of -o options joined
# by +, or "default"):
#   max_background=12+congestion_threshold=9   libfuse's defaults
#   default                                    ours: 64 and 48
#   max_background=256                         (congestion 192)
#   max_pages=32                               128 KiB requests
#   max_pages=64                               256 KiB requests
# Jobs (bench/lib.sh: job; FK_BENCH_JOBS overrides): randread-4k-cold
# and seqread-1m-cold (the mount's cache dropped: reads reach the
# daemon), randread-4k seqread-1m (cached: the kernel's page cache, which
# no setting here touches), randwrite-4k seqwrite-1m (writeback: the
# background queue), create. The page cache is dropped before each system's
# jobs; each figure is the median of the rounds. Needs root, fio,
# python3. A dead daemon, or a crash in the kernel log, ends it without
# figures.
set -eu
cd "$(dirname "$0")/.."
RT=${1:-5}
ROUNDS=${2:-2}
ROOT=$(pwd)
. bench/lib.sh

KNOBS=${FK_BENCH_KNOBS:-default max_background=12+congestion_threshold=9 max_background=256 max_pages=32 max_pages=64}
JOBS=${FK_BENCH_JOBS:-randread-4k-cold seqread-1m-cold randread-4k seqread-1m randwrite-4k seqwrite-1m create}
ORDER=()
for base in fusekit-nopt fusekit-dev; do
	have_system "$base" || continue
	for k in $KNOBS; do
		[ "$k" = default ] && ORDER+=("$base") || ORDER+=("$base+$k")
	done
done
[ "${#ORDER[@]}" -gt 0 ] || { echo "bench: no system to run" >&2; exit 1; }
echo "bench: $ROUNDS round(s) of: ${ORDER[*]}" >&2

declare -A V R
for r in $(seq "$ROUNDS"); do
	n=${#ORDER[@]}
	for k in $(seq 0 $((n - 1))); do
		s=${ORDER[$(((k + r - 1) % n))]} # each round starts one later
		sync
		echo 3 > /proc/sys/vm/drop_caches
		mount_system "$s"
		for j in $JOBS; do
			rm -rf "${DIR:?}"/* 2>/dev/null || true
			V[$s,$j,$r]=$(job "$j" "$DIR")
			system_alive "$s $j"
			echo "bench: round $r $s $j ${V[$s,$j,$r]}" >&2
		done
		rm -rf "${DIR:?}"/* 2>/dev/null || true
		unmount_system
	done
done
medians "${ORDER[@]}"

echo "## Queue settings, one run ($(date -u +%F), $ROUNDS rounds of $RT s jobs; medians)"
echo
echo "Each setting's figure as a ratio to the defaults on the same transport."
# One table per transport: its first system is the defaults.
for base in fusekit-nopt fusekit-dev; do
	SYSTEMS=$(printf '%s\n' "${ORDER[@]}" | grep -E "^$base(\+|$)" | xargs) || continue
	echo
	[ $base = fusekit-nopt ] && echo "Over io_uring (where enable_uring is Y):" || echo "Over /dev/fuse:"
	echo
	table
done
