#!/bin/bash
# bench/allocs.sh — heap allocations per request in the daemons: the
# passthrough (fd mode) and the overlay through the daemon
# (-o nopassthrough, attr_timeout=0,entry_timeout=0 so that every stat is
# a LOOKUP and a GETATTR), over io_uring and over /dev/fuse, with
# bench/alloc_count.c preloaded. Per phase: 10000 stats, 10000 O_DIRECT
# 4 KiB reads and writes, 2000 creates, 2000 unlinks. Prints a Markdown
# table of the counts (docs/benchmarks.md, "Allocations on the request
# path"). Counts, not timings: the same on any machine for the same
# build. Needs root, cc, python3. A daemon that dies or exits non-zero
# ends it without figures.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
W=$(mktemp -d /var/tmp/fk-allocs.XXXXXX)
PID=
cleanup() {
	mountpoint -q "$W/m" && umount -l "$W/m"
	[ -n "$PID" ] && kill "$PID" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
cc -O2 -shared -fPIC -o "$W/alloc_count.so" "$ROOT/bench/alloc_count.c"
mkdir -p "$W/m"

PHASES="stats reads writes creates unlinks"
declare -A COUNT
for transport in io_uring noio_uring; do
	for fs in passthrough overlay; do
		rm -rf "$W/s" "$W/l" "$W/u" "$W/w"
		mkdir -p "$W/s" "$W/l" "$W/u" "$W/w"
		head -c 4194304 /dev/urandom >"$W/s/big"
		cp "$W/s/big" "$W/u/big"
		o="nopassthrough,$transport,attr_timeout=0,entry_timeout=0"
		if [ $fs = passthrough ]; then
			LD_PRELOAD=$W/alloc_count.so "$ROOT/build/fusekit" passthrough -f -o "$o" \
				"$W/s" "$W/m" 2>"$W/log" &
		else
			LD_PRELOAD=$W/alloc_count.so "$ROOT/build/fusekit" overlay -f \
				-o "lowerdir=$W/l,upperdir=$W/u,workdir=$W/w,$o" "$W/m" 2>"$W/log" &
		fi
		PID=$!
		for _ in $(seq 100); do mountpoint -q "$W/m" && break; sleep 0.1; done
		mountpoint -q "$W/m" || { echo "allocs: $fs did not mount: $(tail -3 "$W/log")" >&2; exit 1; }
		# Each phase between two SIGUSR2s: the second count is the phase's.
		python3 - "$W/m" "$PID" <<'PY'
import mmap, os, signal, sys, time
m, pid = sys.argv[1], int(sys.argv[2])
def phase(f):
    time.sleep(0.3)  # what the last phase left (RELEASEs, FORGETs)
    os.kill(pid, signal.SIGUSR2)
    time.sleep(0.3)
    f()
    time.sleep(0.3)
    os.kill(pid, signal.SIGUSR2)
big = m + "/big"
os.stat(big)
buf = mmap.mmap(-1, 4096)  # page-aligned, for O_DIRECT
phase(lambda: [os.stat(big) for _ in range(10000)])
fd = os.open(big, os.O_RDONLY | os.O_DIRECT)
phase(lambda: [os.preadv(fd, [buf], (i % 1000) * 4096) for i in range(10000)])
os.close(fd)
fd = os.open(big, os.O_WRONLY | os.O_DIRECT)
phase(lambda: [os.pwritev(fd, [buf], (i % 1000) * 4096) for i in range(10000)])
os.close(fd)
os.mkdir(m + "/d")
phase(lambda: [os.close(os.open(f"{m}/d/f{i}", os.O_CREAT | os.O_WRONLY, 0o644)) for i in range(2000)])
phase(lambda: [os.unlink(f"{m}/d/f{i}") for i in range(2000)])
time.sleep(0.3)
PY
		kill -0 "$PID" 2>/dev/null || { echo "allocs: the $fs daemon died" >&2; exit 1; }
		umount "$W/m"
		rc=0
		wait "$PID" || rc=$?
		PID=
		[ $rc = 0 ] || { echo "allocs: the $fs daemon exited $rc" >&2; exit 1; }
		# ALLOCS lines: before, phase 1, between, phase 2, ... phase 5.
		read -ra c <<<"$(awk '/^ALLOCS / { printf "%s ", $2 }' "$W/log")"
		[ "${#c[@]}" -ge 10 ] || { echo "allocs: $fs: ${#c[@]} counts, not 10" >&2; exit 1; }
		k=1
		for p in $PHASES; do
			COUNT[$fs,$transport,$p]=${c[$k]}
			k=$((k + 2))
		done
	done
done

echo "| phase | passthrough io_uring | passthrough /dev/fuse | overlay io_uring | overlay /dev/fuse |"
echo "|---|---|---|---|---|"
for p in $PHASES; do
	echo "| $p | ${COUNT[passthrough,io_uring,$p]} | ${COUNT[passthrough,noio_uring,$p]} | ${COUNT[overlay,io_uring,$p]} | ${COUNT[overlay,noio_uring,$p]} |"
done
