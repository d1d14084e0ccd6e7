#!/bin/bash
# mmap_times.sh — mtime and ctime after writes through a shared mapping
# (mmap_times.py), as the native filesystem shows them: after msync, and
# after munmap, in every passthrough mode and through the overlay; also
# right after the page fault where the kernel keeps the times itself
# (kernel passthrough: the backing file's; -o writeback: the kernel's
# own). Through the daemon without the writeback cache the kernel keeps
# no times and tells the daemon nothing until the pages are written back
# (msync, munmap, the flusher): stat shows the fault's times only then,
# and the test checks that this is the only difference (docs/posix.md).
. "$(dirname "$0")/lib.sh"
require_fuse
HERE=$(dirname "$0")
PY=/usr/bin/python3

mkdir -p "$WORK/native"
NATIVE=$("$PY" "$HERE/mmap_times.py" "$WORK/native/f" 2>&1)
expect "native: every step makes mtime and ctime newer" \
	"$(printf '%s fault 1 1\n%s msync 1 1\n%s munmap 1 1\n' created created created opened opened opened)" \
	"$NATIVE"
# Through the daemon, without the writeback cache: all but the fault.
LAGS=$(printf '%s fault 0 0\n%s msync 1 1\n%s munmap 1 1\n' created created created opened opened opened)

run() { # LABEL MNT WANT
	expect "$1: times after mmap writes" "$3" \
		"$("$PY" "$HERE/mmap_times.py" "$2/f" 2>&1)"
}
for opts in "" inode=lazy inode=handle writeback nopassthrough nopassthrough,noio_uring; do
	tag=pt-$(echo "${opts:-default}" | tr ',=' '__')
	mkdir -p "$WORK/$tag.src"
	start_pt "$WORK/$tag.src" "$WORK/$tag" ${opts:+-o "$opts"}
	case $opts in nopassthrough*) want=$LAGS ;; *) want=$NATIVE ;; esac
	run "passthrough -o ${opts:-(defaults)}" "$WORK/$tag" "$want"
	stop_daemon "$WORK/$tag" "$DPID"
done
for opts in "" nopassthrough; do
	tag=ovl-$(echo "${opts:-default}" | tr ',=' '__')
	mkdir -p "$WORK/$tag.lower" "$WORK/$tag.upper" "$WORK/$tag.work"
	start_ovl "$WORK/$tag" "lowerdir=$WORK/$tag.lower,upperdir=$WORK/$tag.upper,workdir=$WORK/$tag.work${opts:+,$opts}"
	case $opts in nopassthrough*) want=$LAGS ;; *) want=$NATIVE ;; esac
	run "overlay -o ${opts:-(defaults)}" "$WORK/$tag" "$want"
	stop_daemon "$WORK/$tag" "$DPID"
done
finish
