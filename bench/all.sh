#!/bin/bash
# bench/all.sh — every system and every job in one command and one run:
# the numbers docs/benchmarks.md opens with, and its chart.
#
#   sudo FK_BENCH_HP=/path/to/passthrough_hp bench/all.sh [SECONDS] [ROUNDS] [N]
#
# SECONDS per timed fio job (default 3), ROUNDS (default 3), N names for
# the metadata jobs (default 10000).
#
# Systems (bench/lib.sh says what each name is): native; fusekit's
# passthrough as it comes (kernel passthrough), through the daemon over
# /dev/fuse and over io_uring, and unprivileged (fusermount3); libfuse
# 3.14's passthrough_ll (Debian); libfuse's passthrough_hp with kernel
# passthrough, without, and without over io_uring (FK_BENCH_HP: build it
# from libfuse's source, docs/benchmarks.md says how; without it those
# three are left out); kernel overlayfs, fusekit's overlay in the same
# three forms, fuse-overlayfs (over an empty lower layer: what the jobs
# use they make in the upper one). A system this machine cannot run is
# left out, with why (say, io_uring with the fuse module's enable_uring
# off). FK_BENCH_SYSTEMS="native ..." picks others (native first),
# FK_BENCH_JOBS="..." some of the jobs below, and FK_BENCH_MORE=no
# leaves out the layers and containers at the end.
#
# Jobs, on every system:
#   randread-4k seqread-1m randwrite-4k seqwrite-1m meta-stat create
#   unlink           fio, as bench/passthrough.sh (bench/lib.sh: job)
#   randread-4k-cold seqread-1m-cold
#                    the reads again with the mount's page cache of the
#                    files dropped first, so that they reach the daemon
#                    (native reads its disk then: not a baseline, the
#                    ratio to native means nothing for these two)
#   m-create m-getattr m-lookup m-readdir m-rename m-unlink m-deep
#                    N names in one directory (bench/meta_ops.py; lookup
#                    with the kernel's dentries dropped), and a 32-deep
#                    tree
#   tar-x            /usr/include extracted (about 8000 files; files/s)
# The rounds interleave the systems (each round starts one system later),
# the page cache is dropped before each system's jobs, and every figure
# is the median of the rounds. Then bench/layers.sh (overlay lookups from
# 1 to 100 layers) and, when podman and the container tests' user are
# here, bench/containers.sh rootless (podman build and a container's tar
# extract, fusekit-overlayfs against fuse-overlayfs).
#
# Output (stdout): Markdown tables of medians and ratios to native, the
# issue 17 targets with the measured ratio beside each, and the chart
# FK_BENCH_PNG (default docs/benchmarks.png): each system's ratio to
# native per job, log scale. A dead daemon, or a crash in the kernel
# log, stops it without figures.
set -eu
cd "$(dirname "$0")/.."
RT=${1:-3}
ROUNDS=${2:-3}
N=${3:-10000}
ROOT=$(pwd)
PNG=${FK_BENCH_PNG:-$ROOT/docs/benchmarks.png}
BENCH_NEEDS="gnuplot tar setpriv"
. bench/lib.sh
OPS=$ROOT/bench/meta_ops.py

SYSTEMS=${FK_BENCH_SYSTEMS:-native fusekit fusekit-dev fusekit-uring fusekit-user passthrough_ll hp hp-nopt hp-uring ovl-kernel ovl-fusekit ovl-fusekit-dev ovl-fusekit-uring fuse-overlayfs}
SYSTEMS=$(for s in $SYSTEMS; do have_system "$s" && echo "$s"; done | xargs)
# (ORDER, not SYS: fusekit_of sets SYS.)
read -ra ORDER <<<"$SYSTEMS"
FIO_JOBS="randread-4k seqread-1m randread-4k-cold seqread-1m-cold randwrite-4k seqwrite-1m meta-stat create unlink"
META_JOBS="m-create m-getattr m-lookup m-readdir m-rename m-unlink m-deep"
JOBS=${FK_BENCH_JOBS:-$FIO_JOBS $META_JOBS tar-x}
make_tarball
echo "bench: $ROUNDS round(s) of: $SYSTEMS" >&2

# run_jobs: every job on the system mounted (DIR, RUNAS); V[s,j,round].
run_jobs() {
	local s=$1 r=$2 j
	for j in $JOBS; do
		case $j in
		m-*)
			[ "$j" = m-create ] && $RUNAS mkdir "$DIR/m"
			[ "$j" = m-lookup ] && { sync; echo 2 > /proc/sys/vm/drop_caches; }
			V[$s,$j,$r]=$($RUNAS "$PY" "$OPS" "$DIR/m" "$N" "${j#m-}")
			[ "$j" = m-deep ] && $RUNAS rmdir "$DIR/m" ;;
		tar-x) V[$s,$j,$r]=$(tarx "$DIR") ;;
		*)
			[ "$j" = unlink ] || empty_dir "$DIR"
			V[$s,$j,$r]=$(job "$j" "$DIR") ;;
		esac
		system_alive "$s $j"
		echo "bench: round $r $s $j ${V[$s,$j,$r]}" >&2
	done
	empty_dir "$DIR"
}

declare -A V R
for r in $(seq "$ROUNDS"); do
	n=${#ORDER[@]}
	for k in $(seq 0 $((n - 1))); do
		s=${ORDER[$(((k + r - 1) % n))]}
		# native first in every round would make it the only system run
		# on a cold machine; rotated, every system is sometimes first.
		sync
		echo 3 > /proc/sys/vm/drop_caches
		mount_system "$s"
		run_jobs "$s" "$r"
		unmount_system
	done
done
medians $SYSTEMS

echo "## All systems, one run ($(date -u +%F), $ROUNDS rounds of $RT s jobs, N=$N; medians)"
echo
echo "Rates: IOPS; MiB/s for *1m; operations/s for m-*; files/s for tar-x."
echo "Each system's figure as a ratio to native (higher is faster), and the median."
echo
table

# ---- the targets of issue 17 -------------------------------------------
# target LABEL SYSTEM BASE JOB GOAL: one line, when both were measured.
target() {
	local label=$1 s=$2 b=$3 j=$4 goal=$5
	[ -n "${R[$s,$j]:-}" ] && [ -n "${R[$b,$j]:-}" ] || return 0
	python3 -c '
import sys
label, s, b, j, goal, vs, vb = sys.argv[1:]
r = float(vs) / float(vb)
verdict = "met" if r >= float(goal) else "missed"
print(f"| {label} | {j} | {s} / {b} | {r:.2f} | {goal} | {verdict} |")
' "$label" "$s" "$b" "$j" "$goal" "${R[$s,$j]}" "${R[$b,$j]}"
}
echo
echo "### Targets"
echo
echo "| target | job | systems | ratio | goal | |"
echo "|---|---|---|---|---|---|"
# Reads through the daemon are the cold ones: a cached read is the
# kernel's page cache, the same for every FUSE daemon and at most
# native's speed (so 1.2x a daemon already near native cannot be had).
for j in randread-4k-cold seqread-1m-cold randwrite-4k seqwrite-1m create unlink; do
	target "through the daemon" fusekit-uring hp-uring "$j" 1.2
	target "rootless" fusekit-user hp-uring "$j" 1.2
done
target "kernel passthrough" fusekit native create 0.7
target "kernel passthrough" fusekit native unlink 0.4
target "overlay, kernel passthrough" ovl-fusekit native create 0.7
target "overlay, kernel passthrough" ovl-fusekit native unlink 0.4

# ---- the chart ------------------------------------------------------------
DATA=$W/ratios.dat
{
	printf 'job'
	for s in $SYSTEMS; do [ "$s" = native ] || printf ' %s' "$s"; done
	echo
	for j in $JOBS; do
		printf '%s' "$j"
		for s in $SYSTEMS; do
			[ "$s" = native ] && continue
			# (gnuplot leaves NaN out: a figure that failed)
			awk -v n="${R[native,$j]}" -v v="${R[$s,$j]}" 'BEGIN {
				if (n + 0 > 0 && v ~ /^[0-9.eE+-]+$/) printf " %.4f", v / n
				else printf " NaN" }'
		done
		echo
	done
} >"$DATA"
bash "$ROOT/bench/chart.sh" "$DATA" "$PNG" \
	"fusekit and its peers, one run $(date -u +%F): each system's median rate as a ratio to native (log scale; higher is faster)"
echo
echo "Chart: ${PNG#$ROOT/}"

# ---- overlay layers, and containers -------------------------------------
[ "${FK_BENCH_MORE:-yes}" != no ] || exit 0
echo
echo "## Overlay lookups from 1 to 100 layers"
echo
FK_BENCH_SYSTEMS="ovl-kernel ovl-fusekit" bash bench/layers.sh "$N" "$ROUNDS"
if command -v podman >/dev/null && grep -q '^fkct:' /etc/subuid 2>/dev/null; then
	echo
	echo "## Containers, rootless"
	echo
	FK_BENCH_MODES=user bash bench/containers.sh "$ROUNDS"
else
	echo
	echo "(containers left out: needs podman and the container tests' user fkct)"
fi
