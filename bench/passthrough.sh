#!/bin/bash
# bench/passthrough.sh — fio benchmarks of the passthrough filesystem,
# reported as ratios to the native directory measured in the same run.
#
#   sudo bench/passthrough.sh [SECONDS_PER_JOB]      (default 10)
#
# Systems: native; fusekit passthrough with kernel passthrough (default);
# fusekit passthrough -o nopassthrough (all I/O through the daemon); the
# same two with -o inode=lazy (nodes held by name under a descriptor cap);
# libfuse's passthrough_ll example, built from the source Debian's
# libfuse3-dev ships. Jobs: the three published for the Rust original
# (randread-4k, seqread-1m, meta-stat) plus randwrite-4k, seqwrite-1m and
# create/unlink storms. Needs root, fio, libfuse3-dev, pkg-config, python3.
# FK_BENCH_SYSTEMS="native fusekit ..." runs a subset (native first).
# Output: a Markdown table on stdout (docs/benchmarks.md keeps the last).
set -eu
cd "$(dirname "$0")/.."
RT=${1:-10}
ROOT=$(cd . && pwd)
[ "$(id -u)" = 0 ] || { echo "bench: needs root"; exit 1; }
for t in fio pkg-config python3; do
	command -v $t >/dev/null || { echo "bench: needs $t (apt-get install fio libfuse3-dev pkg-config)"; exit 1; }
done
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
FUSEKIT=$ROOT/build/fusekit

W=$(mktemp -d /var/tmp/fk-bench.XXXXXX)
PIDS=()
MNTS=()
cleanup() {
	for m in "${MNTS[@]}"; do umount -l "$m" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$W"
}
trap cleanup EXIT
trap "exit 130" INT TERM

# The peer: libfuse's own low-level passthrough example.
PLL=$W/passthrough_ll
EX=/usr/share/doc/libfuse3-dev/examples
if [ -f "$EX/passthrough_ll.c" ]; then
	cc -O2 -D_FILE_OFFSET_BITS=64 $(pkg-config --cflags fuse3) -I"$EX" \
		"$EX/passthrough_ll.c" -o "$PLL" $(pkg-config --libs fuse3) -lpthread
else
	PLL=
fi

# unmount_system: the last system mounted goes (one mounted at a time).
unmount_system() {
	[ "${#MNTS[@]}" -gt 0 ] || return 0
	umount "${MNTS[-1]}" 2>/dev/null || umount -l "${MNTS[-1]}"
	unset 'MNTS[-1]'
	wait "${PIDS[-1]}" 2>/dev/null || true
	unset 'PIDS[-1]'
}

wait_mount() {
	for _ in $(seq 100); do mountpoint -q "$1" && return 0; sleep 0.1; done
	echo "bench: $1 did not mount" >&2
	return 1
}

# mount_system NAME: sets DIR to the directory fio should use. (Not a
# $(...) substitution: the daemon would hold its pipe open, and PIDS and
# MNTS would be set in a subshell.)
mount_system() {
	local name=$1 src=$W/src-$1 mnt=$W/mnt-$1
	mkdir -p "$src" "$mnt"
	DIR=$mnt
	case $name in
	native) DIR=$src; return ;; # nothing to mount or unmount
	fusekit) "$FUSEKIT" passthrough -f "$src" "$mnt" & PIDS+=($!) ;;
	fusekit-nopt) "$FUSEKIT" passthrough -f -o nopassthrough "$src" "$mnt" & PIDS+=($!) ;;
	fusekit-lazy) "$FUSEKIT" passthrough -f -o inode=lazy "$src" "$mnt" & PIDS+=($!) ;;
	fusekit-lazy-nopt) "$FUSEKIT" passthrough -f -o inode=lazy,nopassthrough "$src" "$mnt" & PIDS+=($!) ;;
	passthrough_ll) "$PLL" -f -o source="$src" "$mnt" & PIDS+=($!) ;;
	esac
	MNTS+=("$mnt")
	wait_mount "$mnt"
}

job() { # NAME DIR: run one fio job, print its rate (IOPS, or MiB/s for 1m jobs)
	local name=$1 dir=$2
	# invalidate=0: fio would otherwise drop the page cache of its files
	# before each job. That sends native reads to the disk while a FUSE
	# mount with kernel passthrough keeps the backing file's cache: the
	# systems would not be measured alike. Every system reads cached data.
	local common="--directory=$dir --group_reporting --output-format=json --invalidate=0"
	local args
	case $name in
	randread-4k) args="--rw=randread --bs=4k --ioengine=posixaio --numjobs=4 --iodepth=16 --size=512m --time_based --runtime=$RT --ramp_time=2" ;;
	seqread-1m) args="--rw=read --bs=1m --ioengine=posixaio --numjobs=2 --iodepth=4 --size=1g --time_based --runtime=$RT --ramp_time=2" ;;
	randwrite-4k) args="--rw=randwrite --bs=4k --ioengine=posixaio --numjobs=4 --iodepth=16 --size=512m --time_based --runtime=$RT --ramp_time=2" ;;
	seqwrite-1m) args="--rw=write --bs=1m --ioengine=posixaio --numjobs=2 --iodepth=4 --size=1g --time_based --runtime=$RT --ramp_time=2" ;;
	meta-stat) args="--ioengine=filestat --nrfiles=1000 --filesize=4k --numjobs=1 --time_based --runtime=$RT --rw=read" ;;
	create) args="--ioengine=filecreate --nrfiles=5000 --filesize=4k --numjobs=1 --openfiles=1 --rw=write --create_on_open=1" ;;
	unlink) args="--ioengine=filedelete --nrfiles=5000 --filesize=4k --numjobs=1 --rw=write" ;;
	esac
	fio --name="$name" $common $args 2>/dev/null | python3 -c '
import json, sys
j = json.load(sys.stdin)["jobs"][0]
name = sys.argv[1]
side = "write" if any(k in name for k in ("write", "create", "unlink")) else "read"
r = j[side]
print(round(r["bw"] / 1024, 1) if name.endswith("1m") else round(r["iops"], 1))
' "$name"
}

JOBS="randread-4k seqread-1m meta-stat randwrite-4k seqwrite-1m create unlink"
SYSTEMS=${FK_BENCH_SYSTEMS:-native fusekit fusekit-nopt fusekit-lazy fusekit-lazy-nopt}
[ -n "$PLL" ] && [ -z "${FK_BENCH_SYSTEMS:-}" ] && SYSTEMS="$SYSTEMS passthrough_ll"
declare -A R
for s in $SYSTEMS; do
	mount_system "$s"
	d=$DIR
	for j in $JOBS; do
		[ "$j" = unlink ] || rm -rf "${d:?}"/* 2>/dev/null || true
		R[$s,$j]=$(job "$j" "$d")
		echo "bench: $s $j ${R[$s,$j]}" >&2
	done
	rm -rf "${d:?}"/* 2>/dev/null || true
	unmount_system
done

ratio() { # NATIVE SYSTEM: "1.23x (value)"
	python3 -c 'import sys; n, v = map(float, sys.argv[1:]); print(f"{v/n:.2f}x ({v:g})" if n > 0 else "-")' "$1" "$2"
}

echo "| job | unit | native |$(for s in $SYSTEMS; do [ $s = native ] || printf ' %s |' "$s"; done)"
echo "|---|---|---|$(for s in $SYSTEMS; do [ $s = native ] || printf -- '---|'; done)"
for j in $JOBS; do
	unit=IOPS; case $j in *1m) unit=MiB/s ;; esac
	line="| $j | $unit | ${R[native,$j]} |"
	for s in $SYSTEMS; do
		[ $s = native ] && continue
		line="$line $(ratio "${R[native,$j]}" "${R[$s,$j]}") |"
	done
	echo "$line"
done
