#!/bin/bash
# bench/passthrough.sh — fio benchmarks of the passthrough filesystem,
# reported as ratios to the native directory measured in the same run.
#
#   sudo bench/passthrough.sh [SECONDS_PER_JOB]      (default 10)
#
# Systems (bench/lib.sh says what each name is): native; fusekit
# passthrough with kernel passthrough (default); -o nopassthrough (all
# I/O through the daemon, over io_uring where the fuse module's
# enable_uring is Y), and so over /dev/fuse (fusekit-dev); the first two
# with -o inode=lazy (nodes held by name under a descriptor cap);
# libfuse's passthrough_ll example, built from the source Debian's
# libfuse3-dev ships, as it comes and with -o default_permissions. Any
# other system of bench/lib.sh by FK_BENCH_SYSTEMS. Jobs: the three published for the Rust original
# (randread-4k, seqread-1m, meta-stat) plus randwrite-4k, seqwrite-1m and
# create/unlink storms. Needs root, fio, libfuse3-dev, pkg-config, python3.
# FK_BENCH_SYSTEMS="native fusekit ..." runs a subset (native first);
# NAME@base runs NAME with FK_BENCH_BASE, another build (bench/lib.sh).
# Output: a Markdown table on stdout (docs/benchmarks.md keeps the last).
set -eu
cd "$(dirname "$0")/.."
RT=${1:-10}
ROOT=$(cd . && pwd)
. bench/lib.sh

JOBS="randread-4k seqread-1m meta-stat randwrite-4k seqwrite-1m create unlink"
SYSTEMS=${FK_BENCH_SYSTEMS:-native fusekit fusekit-nopt fusekit-dev fusekit-lazy fusekit-lazy-nopt passthrough_ll passthrough_ll-dp}
SYSTEMS=$(for s in $SYSTEMS; do have_system "$s" && echo "$s"; done | xargs)
declare -A R
for s in $SYSTEMS; do
	mount_system "$s"
	d=$DIR
	for j in $JOBS; do
		[ "$j" = unlink ] || empty_dir "$d"
		R[$s,$j]=$(job "$j" "$d")
		system_alive "$s $j"
		echo "bench: $s $j ${R[$s,$j]}" >&2
	done
	empty_dir "$d"
	unmount_system
done

table
