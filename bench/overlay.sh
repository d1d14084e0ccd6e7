#!/bin/bash
# bench/overlay.sh — the overlay filesystems on the same lower layer, as
# ratios to kernel overlayfs measured in the same run (higher is faster).
#
#   sudo bench/overlay.sh [SECONDS_PER_JOB]      (default 10)
#
# Systems: kernel overlayfs (the baseline), fuse-overlayfs (Debian's
# package), fusekit overlay. Each gets its own empty upper and work
# directories over one shared lower layer, laid out once.
# Jobs:
#   randread-4k, seqread-1m, meta-stat  fio on files of the lower layer
#   seqwrite-1m, create                  fio making new (upper) files
#   unlink                               fio removing lower files (whiteouts)
#   copy-up                              appending a byte to each of 2000
#                                        lower 64 KiB files (files/s)
#   tar-x                                extracting a tar of /usr/include
#                                        (about 8000 files; files/s)
# Needs root, fio, python3, tar, fuse-overlayfs.
# FK_BENCH_SYSTEMS="kernel fusekit ..." runs a subset (kernel first);
# NAME@base runs NAME with FK_BENCH_BASE, another build (bench/lib.sh).
# Output: a Markdown table on stdout (docs/benchmarks.md keeps the last).
set -eu
cd "$(dirname "$0")/.."
RT=${1:-10}
ROOT=$(cd . && pwd)
BENCH_NEEDS="tar fuse-overlayfs"
. bench/lib.sh

LOWER=$W/lower
mkdir -p "$LOWER"
# Lay out what the jobs read and remove, once, in the lower layer: fio
# finds files of the right size there and uses them as they are.
for j in randread-4k seqread-1m meta-stat unlink; do
	job "$j" "$LOWER" --create_only=1 >/dev/null
done
python3 - "$LOWER/copyup" <<'EOF'
import os, sys
os.makedirs(sys.argv[1])
for i in range(2000):
    with open(os.path.join(sys.argv[1], f"f{i}"), "wb") as f:
        f.write(os.urandom(65536))
EOF
TARBALL=$W/include.tar
tar -cf "$TARBALL" -C /usr include
NFILES=$(tar -tf "$TARBALL" | wc -l)
sync

# mount_system NAME: a fresh upper and work dir over LOWER; DIR is the
# mountpoint.
mount_system() {
	local up=$W/upper-$1 wd=$W/work-$1 mnt=$W/mnt-$1
	rm -rf "$up" "$wd"
	mkdir -p "$up" "$wd" "$mnt"
	local o="lowerdir=$LOWER,upperdir=$up,workdir=$wd"
	DIR=$mnt
	fusekit_of "$1"
	case $SYS in
	kernel) mount -t overlay overlay -o "$o" "$mnt"; MNTS+=("$mnt"); PIDS+=(0); return ;;
	fuse-overlayfs) fuse-overlayfs -f -o "$o" "$mnt" & PIDS+=($!) ;;
	fusekit) "$BIN" overlay -f -o "$o" "$mnt" & PIDS+=($!) ;;
	esac
	MNTS+=("$mnt")
	wait_mount "$mnt"
}

# copyup DIR: files copied up per second, appending one byte to each.
copyup() {
	python3 - "$1/copyup" <<'EOF'
import os, sys, time
d = sys.argv[1]
names = sorted(os.listdir(d))
t = time.monotonic()
for n in names:
    fd = os.open(os.path.join(d, n), os.O_WRONLY | os.O_APPEND)
    os.write(fd, b"+")
    os.close(fd)
print(round(len(names) / (time.monotonic() - t), 1))
EOF
}

# tarx DIR: files extracted per second.
tarx() {
	local t0 t1
	t0=$(date +%s.%N)
	tar -xf "$TARBALL" -C "$1"
	sync -f "$1"
	t1=$(date +%s.%N)
	python3 -c 'import sys; print(round(int(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2])), 1))' \
		"$NFILES" "$t0" "$t1"
}

JOBS="randread-4k seqread-1m meta-stat seqwrite-1m create unlink copy-up tar-x"
SYSTEMS=${FK_BENCH_SYSTEMS:-kernel fuse-overlayfs fusekit}
declare -A R
for s in $SYSTEMS; do
	mount_system "$s"
	for j in $JOBS; do
		case $j in
		copy-up) R[$s,$j]=$(copyup "$DIR") ;;
		tar-x) R[$s,$j]=$(tarx "$DIR") ;;
		*) R[$s,$j]=$(job "$j" "$DIR") ;;
		esac
		echo "bench: $s $j ${R[$s,$j]}" >&2
		system_alive "$s $j"
	done
	unmount_system
done

table
