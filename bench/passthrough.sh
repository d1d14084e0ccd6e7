#!/bin/bash
# bench/passthrough.sh — fio benchmarks of the passthrough filesystem,
# reported as ratios to the native directory measured in the same run.
#
#   sudo bench/passthrough.sh [SECONDS_PER_JOB]      (default 10)
#
# Systems: native; fusekit passthrough with kernel passthrough (default);
# fusekit passthrough -o nopassthrough (all I/O through the daemon), and
# so over io_uring (-o io_uring: fusekit-uring, when the fuse module's
# enable_uring is Y); the
# same two with -o inode=lazy (nodes held by name under a descriptor cap);
# libfuse's passthrough_ll example, built from the source Debian's
# libfuse3-dev ships, as it comes and with -o default_permissions. Jobs: the three published for the Rust original
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

# The peer: libfuse's own low-level passthrough example.
PLL=$W/passthrough_ll
EX=/usr/share/doc/libfuse3-dev/examples
if [ -f "$EX/passthrough_ll.c" ]; then
	cc -O2 -D_FILE_OFFSET_BITS=64 $(pkg-config --cflags fuse3) -I"$EX" \
		"$EX/passthrough_ll.c" -o "$PLL" $(pkg-config --libs fuse3) -lpthread
else
	PLL=
fi

# mount_system NAME: sets DIR to the directory fio should use. (Not a
# $(...) substitution: the daemon would hold its pipe open, and PIDS and
# MNTS would be set in a subshell.)
mount_system() {
	local src=$W/src-$1 mnt=$W/mnt-$1
	mkdir -p "$src" "$mnt"
	DIR=$mnt
	fusekit_of "$1"
	case $SYS in
	native) DIR=$src; return ;; # nothing to mount or unmount
	fusekit) "$BIN" passthrough -f "$src" "$mnt" & PIDS+=($!) ;;
	fusekit-nopt) "$BIN" passthrough -f -o nopassthrough "$src" "$mnt" & PIDS+=($!) ;;
	# Through the daemon over FUSE over io_uring (enable_uring=Y).
	fusekit-uring) "$BIN" passthrough -f -o io_uring,nopassthrough "$src" "$mnt" & PIDS+=($!) ;;
	fusekit-lazy) "$BIN" passthrough -f -o inode=lazy "$src" "$mnt" & PIDS+=($!) ;;
	fusekit-lazy-nopt) "$BIN" passthrough -f -o inode=lazy,nopassthrough "$src" "$mnt" & PIDS+=($!) ;;
	passthrough_ll) "$PLL" -f -o source="$src" "$mnt" & PIDS+=($!) ;;
	# The same with the kernel checking permissions, as fusekit always
	# has it: every change to a directory costs a GETATTR of it before
	# the next permission check.
	passthrough_ll-dp) "$PLL" -f -o source="$src",default_permissions "$mnt" & PIDS+=($!) ;;
	esac
	MNTS+=("$mnt")
	wait_mount "$mnt"
}

JOBS="randread-4k seqread-1m meta-stat randwrite-4k seqwrite-1m create unlink"
SYSTEMS=${FK_BENCH_SYSTEMS:-native fusekit fusekit-nopt fusekit-lazy fusekit-lazy-nopt}
[ "$(cat /sys/module/fuse/parameters/enable_uring 2>/dev/null)" = Y ] &&
	[ -z "${FK_BENCH_SYSTEMS:-}" ] && SYSTEMS="$SYSTEMS fusekit-uring"
[ -n "$PLL" ] && [ -z "${FK_BENCH_SYSTEMS:-}" ] && SYSTEMS="$SYSTEMS passthrough_ll passthrough_ll-dp"
declare -A R
for s in $SYSTEMS; do
	mount_system "$s"
	d=$DIR
	for j in $JOBS; do
		[ "$j" = unlink ] || rm -rf "${d:?}"/* 2>/dev/null || true
		R[$s,$j]=$(job "$j" "$d")
		system_alive "$s $j"
		echo "bench: $s $j ${R[$s,$j]}" >&2
	done
	rm -rf "${d:?}"/* 2>/dev/null || true
	unmount_system
done

table
