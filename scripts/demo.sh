#!/bin/bash
# scripts/demo.sh — build fusekit and show it working: mount the example
# in-memory filesystem seeded with examples/sample, use it with ordinary
# tools, and unmount. Needs root (or /dev/fuse usable through fusermount3).
set -eu
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" >/dev/null

MNT=$(mktemp -d /tmp/fusekit-demo.XXXXXX)
PID=
cleanup() {
	build/fusekit umount "$MNT" 2>/dev/null || true
	[ -n "$PID" ] && wait "$PID" 2>/dev/null || true
	rmdir "$MNT" 2>/dev/null || true
}
trap cleanup EXIT

build/fk-memfs -o debug --seed examples/sample "$MNT" &
PID=$!
for _ in $(seq 50); do mountpoint -q "$MNT" && break; sleep 0.1; done
mountpoint -q "$MNT" || { echo "demo: the mount did not appear"; exit 1; }

run() { echo "\$ $*"; "$@"; echo; }
echo "--- fk-memfs is mounted on $MNT (in memory, seeded from examples/sample)"
run findmnt -n -o SOURCE,FSTYPE,OPTIONS "$MNT"
run ls -lR "$MNT"
run cat "$MNT/hello.txt"
run cp -r "$MNT/docs" "$MNT/docs-copy"
run mv "$MNT/docs-copy" "$MNT/renamed"
run ln "$MNT/hello.txt" "$MNT/hard-link"
run stat -c '%n: %h links, inode %i' "$MNT/hello.txt" "$MNT/hard-link"
run dd if=/dev/zero of="$MNT/1MiB" bs=1M count=1 status=none
run setfattr -n user.demo -v hello "$MNT/1MiB"
run getfattr -d --absolute-names "$MNT/1MiB"
run df -h "$MNT"
echo "--- unmounting"
run build/fusekit umount "$MNT"
status=0
wait "$PID" || status=$?
PID=
echo "demo: done, the daemon exited with status $status"
