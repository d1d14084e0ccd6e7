#!/bin/bash
# memfs_signals.sh — how a daemon ends: SIGTERM and SIGINT unmount and exit
# 0; after SIGKILL the dead mount is cleared by `fusekit umount`. Also the
# clear refusals: missing, non-directory, non-empty or dead mountpoints,
# and bad options.
. "$(dirname "$0")/lib.sh"
require_fuse

for sig in TERM INT HUP; do
	M=$WORK/mnt-$sig
	start_memfs "$M"
	PID=$DPID
forget_daemon "$PID" # the test ends it itself, below
	echo x > "$M/file"
	kill -$sig "$PID"
	wait_gone "$PID"
	wait "$PID"
	expect "SIG$sig: daemon exits 0" 0 "$?"
	check_fails "SIG$sig: no mount left" mountpoint -q "$M"
done

# Single-threaded mode ends on SIGTERM too.
M=$WORK/mnt-single
start_memfs "$M" -s
PID=$DPID
forget_daemon "$PID" # the test ends it itself, below
ls "$M" >/dev/null
kill -TERM "$PID"
wait_gone "$PID"
wait "$PID"
expect "single-threaded: exits 0 on SIGTERM" 0 "$?"
check_fails "single-threaded: no mount left" mountpoint -q "$M"

# A directory and a file still open when the daemon is told to stop: the
# kernel never sends their RELEASE, and the daemon must free what they
# held anyway (the sanitizer build fails the exit status on a leak).
for mode in -s -m; do
	M=$WORK/mnt-held$mode
	if [ "$mode" = -s ]; then start_memfs "$M" -s; else start_memfs "$M"; fi
	PID=$DPID
	forget_daemon "$PID" # the test ends it itself, below
	echo x > "$M/file"
	python3 - "$M" "$WORK/held$mode" <<'PY' &
import os, sys, time
d = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
os.listdir(d)
f = os.open(sys.argv[1] + "/file", os.O_RDONLY)
open(sys.argv[2], "w").close()
time.sleep(5)
PY
	HOLDER=$!
	for _ in $(seq 100); do [ -e "$WORK/held$mode" ] && break; sleep 0.05; done
	check "held$mode: the holder has them open" test -e "$WORK/held$mode"
	kill -TERM "$PID"
	sleep 0.3
	# A multi-threaded daemon serves the detached mount until its last
	# file closes; a single-threaded one has gone already.
	kill "$HOLDER" 2>/dev/null
	wait "$HOLDER" 2>/dev/null
	wait_gone "$PID"
	wait "$PID"
	rc=$?
	expect "held$mode: daemon exits 0 with a directory open" 0 "$rc"
	[ "$rc" = 0 ] || tail -n 20 "$WORK/memfs.$(basename "$M").log"
	"$FUSEKIT" umount "$M" 2>/dev/null # detached already, or gone
	check_fails "held$mode: no mount left" mountpoint -q "$M"
done

# SIGKILL leaves a dead mount; fusekit umount clears it.
M=$WORK/mnt-kill
start_memfs "$M"
PID=$DPID
forget_daemon "$PID" # the test ends it itself, below
kill -KILL "$PID"
wait_gone "$PID"
stat "$M" 2>"$WORK/stat.err"
# ENOTCONN; or, over io_uring, ECONNABORTED: a request the kernel queued
# for a ring still being torn down (it lives a moment after the process)
# ends so when the connection is aborted.
expect "dead mount: ENOTCONN or ECONNABORTED" 1 \
	"$(grep -c -E 'not connected|connection abort' "$WORK/stat.err")"
stat "$M" 2>"$WORK/stat.err"
expect "then ENOTCONN" 1 "$(grep -c 'not connected' "$WORK/stat.err")"
"$MEMFS" "$M" 2>"$WORK/dead.err"
expect "mounting on a dead mount is refused" 1 "$?"
expect "with a hint to clear it" 1 "$(grep -c "fusekit umount" "$WORK/dead.err")"
check "fusekit umount clears the dead mount" "$FUSEKIT" umount "$M"
check_fails "and it is gone" mountpoint -q "$M"
check "the directory is usable again" ls "$M"

# auto_unmount: the watcher unmounts when the daemon is killed.
M=$WORK/mnt-auto
start_memfs "$M" -o auto_unmount
PID=$DPID
forget_daemon "$PID" # the test ends it itself, below
kill -KILL "$PID"
wait_gone "$PID"
for _ in $(seq 50); do mountpoint -q "$M" || break; sleep 0.1; done
check_fails "auto_unmount: mount gone after SIGKILL" mountpoint -q "$M"

# Refusals with clear messages and exit codes.
"$MEMFS" "$WORK/does-not-exist" 2>"$WORK/e1"
expect "missing mountpoint: exit 1" 1 "$?"
expect "missing mountpoint: message" 1 "$(grep -c "does-not-exist" "$WORK/e1")"
touch "$WORK/plainfile"
"$MEMFS" "$WORK/plainfile" 2>"$WORK/e2"
expect "file as mountpoint: message" 1 "$(grep -c "not a directory" "$WORK/e2")"
mkdir -p "$WORK/full" && touch "$WORK/full/x"
"$MEMFS" "$WORK/full" 2>"$WORK/e3"
expect "non-empty mountpoint: refused" 1 "$(grep -c "not empty" "$WORK/e3")"
"$MEMFS" -o allow_other,frobnicate "$WORK/full" 2>"$WORK/e4"
expect "unknown option: exit 2" 2 "$?"
expect "unknown option: named" 1 "$(grep -c "'frobnicate'" "$WORK/e4")"
"$MEMFS" -o max_read=lots "$WORK/full" 2>"$WORK/e5"
expect "malformed value: named" 1 "$(grep -c "'lots'" "$WORK/e5")"
"$FUSEKIT" umount "$WORK/full" 2>"$WORK/e6"
expect "umount of a non-mount: exit 1" 1 "$?"
expect "umount of a non-mount: message" 1 "$(grep -c "not a mount point" "$WORK/e6")"
"$FUSEKIT" frob 2>/dev/null
expect "unknown command: exit 2" 2 "$?"
check "fusekit --version" "$FUSEKIT" --version
check "fusekit --help" "$FUSEKIT" --help
finish
