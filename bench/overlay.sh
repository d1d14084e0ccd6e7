#!/bin/bash
# bench/overlay.sh — the overlay filesystems on the same lower layer, as
# ratios to kernel overlayfs measured in the same run (higher is faster).
#
#   sudo bench/overlay.sh [SECONDS_PER_JOB]      (default 10)
#
# Systems (bench/lib.sh): ovl-kernel, kernel overlayfs (the baseline);
# fuse-overlayfs (Debian's package); ovl-fusekit, fusekit overlay (and
# ovl-fusekit-nopt, -dev, -uring by FK_BENCH_SYSTEMS). Each gets its own
# empty upper and work directories over one shared lower layer (LOWER),
# laid out once.
# Jobs:
#   randread-4k, seqread-1m, meta-stat  fio on files of the lower layer
#   seqwrite-1m, create                  fio making new (upper) files
#   unlink                               fio removing lower files (whiteouts)
#   copy-up                              appending a byte to each of 2000
#                                        lower 64 KiB files (files/s)
#   tar-x                                extracting a tar of /usr/include
#                                        (about 8000 files; files/s)
# Needs root, fio, python3, tar, fuse-overlayfs.
# FK_BENCH_SYSTEMS="ovl-kernel ovl-fusekit ..." runs a subset (the
# baseline first);
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
make_tarball
sync

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

JOBS="randread-4k seqread-1m meta-stat seqwrite-1m create unlink copy-up tar-x"
SYSTEMS=${FK_BENCH_SYSTEMS:-ovl-kernel fuse-overlayfs ovl-fusekit}
SYSTEMS=$(for s in $SYSTEMS; do have_system "$s" && echo "$s"; done | xargs)
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
