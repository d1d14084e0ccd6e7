#!/bin/bash
# bench/union.sh — union filesystems pooling the same two branches, as
# ratios to the native directory (the first branch) measured in the same
# run (higher is faster).
#
#   sudo bench/union.sh [SECONDS_PER_JOB]      (default 10)
#
# Systems: native (the first branch itself: the baseline), mergerfs and
# unionfs-fuse (Debian's packages), fusekit union. Each pools branch 1
# (where the files read and removed are laid out) and branch 2.
# mergerfs runs with the options its documentation recommends
# (cache.files=partial, dropcacheonclose=true, category.create=mfs),
# unionfs-fuse with both branches RW, fusekit union with its defaults
# and category.create=mfs.
# Jobs:
#   randread-4k, seqread-1m, meta-stat  fio on files of branch 1
#   seqwrite-1m, create                  fio making new files
#   unlink                               fio removing files of branch 1
#   tar-x                                extracting a tar of /usr/include
#                                        (about 8000 files; files/s)
# Needs root, fio, python3, tar, mergerfs, unionfs-fuse.
# FK_BENCH_SYSTEMS="native fusekit ..." runs a subset (native first);
# NAME@base runs NAME with FK_BENCH_BASE, another build (bench/lib.sh).
# Output: a Markdown table on stdout (docs/benchmarks.md keeps the last).
set -eu
cd "$(dirname "$0")/.."
RT=${1:-10}
ROOT=$(cd . && pwd)
BENCH_NEEDS="tar mergerfs unionfs"
. bench/lib.sh

B1=$W/branch1 B2=$W/branch2
mkdir -p "$B1" "$B2"
for j in randread-4k seqread-1m meta-stat; do
	job "$j" "$B1" --create_only=1 >/dev/null
done
make_tarball

# mount_system NAME: DIR is where the jobs run. What the jobs made or
# removed before is put back as it was first: the files unlink removes
# are laid out again, and what create and tar-x made is gone.
mount_system() {
	local mnt=$W/mnt-$1
	rm -rf "$B1"/create* "$B2"/create* "$B1"/unlink* "$B2"/unlink* \
		"$B1"/tarx "$B2"/tarx "$B1"/seqwrite* "$B2"/seqwrite*
	job unlink "$B1" --create_only=1 >/dev/null
	sync
	mkdir -p "$mnt"
	DIR=$mnt
	fusekit_of "$1"
	case $SYS in
	native) DIR=$B1; PIDS+=(0); MNTS+=(""); return ;;
	mergerfs) mergerfs -f -o cache.files=partial,dropcacheonclose=true,category.create=mfs \
			"$B1:$B2" "$mnt" & PIDS+=($!) ;;
	unionfs-fuse) unionfs -f "$B1=RW:$B2=RW" "$mnt" & PIDS+=($!) ;;
	fusekit) "$BIN" union -f -o category.create=mfs "$B1:$B2" "$mnt" & PIDS+=($!) ;;
	esac
	MNTS+=("$mnt")
	wait_mount "$mnt"
}

JOBS="randread-4k seqread-1m meta-stat seqwrite-1m create unlink tar-x"
SYSTEMS=${FK_BENCH_SYSTEMS:-native mergerfs unionfs-fuse fusekit}
declare -A R
for s in $SYSTEMS; do
	mount_system "$s"
	for j in $JOBS; do
		case $j in
		tar-x) R[$s,$j]=$(tarx "$DIR") ;;
		*) R[$s,$j]=$(job "$j" "$DIR") ;;
		esac
		echo "bench: $s $j ${R[$s,$j]}" >&2
		system_alive "$s $j"
	done
	if [ "${MNTS[-1]}" = "" ]; then # native: nothing to unmount
		unset 'MNTS[-1]' 'PIDS[-1]'
	else
		unmount_system
	fi
done

table
