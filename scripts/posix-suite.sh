#!/bin/bash
# posix-suite.sh — the pjdfstest POSIX conformance suite (its ~8800
# subtests) through fusekit's filesystems, and the native directory they
# serve as the baseline, one after the other.
#
#   scripts/posix-suite.sh PJDFSTEST_SRC [TARGET...]
#
# PJDFSTEST_SRC is a checkout of github.com/pjd/pjdfstest (not a Debian
# package, so not fetched here); its pjdfstest.c is compiled into
# PJDFSTEST_SRC/pjdfstest when that is missing. TARGETs (default: all):
#   native      a directory on the filesystem under /tmp
#   passthrough fusekit passthrough of such a directory
#   overlay     fusekit overlay, a lower and an upper directory
#   union       fusekit union of two RW branches and an RO one
#   union-cow   the same with -o cow
# Each prints the failed test files and a line
#   TARGET: files F, subtests S, failed N
# As root (the suite switches users; mounts are allow_other). Every mount
# made is unmounted and its daemon must exit 0.
set -u
SRC=$(cd "${1:?usage: $0 PJDFSTEST_SRC [TARGET...]}" && pwd)
shift
TARGETS=${*:-native passthrough overlay union union-cow}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FUSEKIT=${FUSEKIT:-$ROOT/build/fusekit}
[ -x "$FUSEKIT" ] || { echo "no $FUSEKIT: build first (cmake --build build)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }

if [ ! -x "$SRC/pjdfstest" ]; then
	# What its configure finds on Linux.
	cat >"$SRC/config.h" <<'EOF'
#include <sys/sysmacros.h>
#define HAVE_FACCESSAT 1
#define HAVE_FCHMODAT 1
#define HAVE_FCHOWNAT 1
#define HAVE_FSTATAT 1
#define HAVE_LINKAT 1
#define HAVE_MKDIRAT 1
#define HAVE_MKFIFOAT 1
#define HAVE_MKNODAT 1
#define HAVE_OPENAT 1
#define HAVE_POSIX_FALLOCATE 1
#define HAVE_READLINKAT 1
#define HAVE_RENAMEAT 1
#define HAVE_SYMLINKAT 1
#define HAVE_UTIMENSAT 1
#define HAVE_STRUCT_STAT_ST_ATIM 1
#define HAVE_STRUCT_STAT_ST_MTIM 1
#define HAVE_STRUCT_STAT_ST_CTIM 1
EOF
	cc -O2 -D_GNU_SOURCE -o "$SRC/pjdfstest" "$SRC/pjdfstest.c" ||
		{ echo "pjdfstest did not build" >&2; exit 2; }
fi

WORK=$(mktemp -d /tmp/fk-posix-suite.XXXXXX)
chmod 755 "$WORK"
MNT= DPID=
cleanup() {
	[ -n "$MNT" ] && { umount -l "$MNT" 2>/dev/null || true; }
	[ -n "$DPID" ] && { kill "$DPID" 2>/dev/null || true; }
	rm -rf "$WORK"
}
trap cleanup EXIT

# run TARGET DIR: the suite in DIR, summed up.
run() {
	local out=$WORK/$1.out
	(cd "$2" && prove -r "$SRC/tests") >"$out" 2>&1
	local files subtests failed
	files=$(sed -n 's/^Files=\([0-9]*\), Tests=.*/\1/p' "$out")
	subtests=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' "$out")
	failed=$(sed -n 's/.*Failed \([0-9]*\)\/[0-9]* subtests.*/\1/p' "$out" |
		awk '{ s += $1 } END { print s + 0 }')
	grep -E "Failed [0-9]+/[0-9]+ subtests|Dubious|Parse errors" "$out" | head -40
	echo "$1: files ${files:-?}, subtests ${subtests:-?}, failed $failed"
}

# serve TARGET ARGS...: a fusekit filesystem on $WORK/mnt, in the
# foreground, backgrounded.
serve() {
	MNT=$WORK/mnt
	mkdir -p "$MNT"
	"$FUSEKIT" "$@" "$MNT" 2>"$WORK/daemon.log" &
	DPID=$!
	for _ in $(seq 100); do mountpoint -q "$MNT" && return 0; sleep 0.1; done
	echo "the mount did not appear: $(tail -3 "$WORK/daemon.log")" >&2
	exit 1
}

# unserve: unmount; the daemon must exit 0.
unserve() {
	"$FUSEKIT" umount "$MNT"
	wait "$DPID"
	local rc=$?
	[ $rc = 0 ] || echo "the daemon exited $rc: $(tail -3 "$WORK/daemon.log")"
	MNT= DPID=
}

for t in $TARGETS; do
	d=$WORK/$t
	mkdir -p "$d/a" "$d/b" "$d/r" "$d/w"
	case $t in
	native) run native "$d/a" ;;
	passthrough) serve passthrough -f -o allow_other "$d/a"; run "$t" "$MNT"; unserve ;;
	overlay) serve overlay -f -o "allow_other,lowerdir=$d/r,upperdir=$d/a,workdir=$d/w"
		run "$t" "$MNT"; unserve ;;
	union) serve union -f -o allow_other,minfreespace=0 "$d/a:$d/b:$d/r=RO"
		run "$t" "$MNT"; unserve ;;
	union-cow) serve union -f -o allow_other,minfreespace=0,cow "$d/a:$d/b:$d/r=RO"
		run "$t" "$MNT"; unserve ;;
	*) echo "unknown target $t" >&2; exit 2 ;;
	esac
done
