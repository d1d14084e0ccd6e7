#!/bin/bash
# bench/ab.sh — before/after: the same metadata work through two builds
# of fusekit, alternating A, B, A, B... so that the machine's drift hits
# both alike, on tmpfs so that no disk writeback lands in one side's
# turn. Reports each round's rates and the median ratio B/A per job.
#
#   sudo bench/ab.sh A_FUSEKIT B_FUSEKIT [ROUNDS]        (default 4)
#
# Work, each through the daemon (-o nopassthrough where it applies):
#   passthrough (inode=fd), passthrough (inode=lazy): create 3000 empty
#     files, stat them, unlink them;
#   overlay: copy up 1000 lower 64 KiB files (append a byte), create 2000
#     files, unlink them.
# A single client: it measures the daemon's path per request, not
# contention. A daemon that dies or exits non-zero, or a fusekit crash in
# the kernel log, ends the run without figures. Needs root and python3.
set -eu
A=${1:?usage: bench/ab.sh A_FUSEKIT B_FUSEKIT [ROUNDS]}
B=${2:?usage: bench/ab.sh A_FUSEKIT B_FUSEKIT [ROUNDS]}
ROUNDS=${3:-4}
. "$(dirname "$0")/../tests/kernel_crashes.sh"
crash_watch_start
W=$(mktemp -d /dev/shm/fk-ab.XXXXXX)
PID=
cleanup() {
	mountpoint -q "$W/m" && umount -l "$W/m"
	[ -n "$PID" ] && wait "$PID" 2>/dev/null || true # a failure said why already
	rm -rf "$W"
}
trap cleanup EXIT

mkdir -p "$W/l/c" "$W/m"
python3 -c "
import os
for i in range(1000):
    open('$W/l/c/f%d' % i, 'wb').write(os.urandom(65536))"

# mount BIN KIND: serve $W/m in the foreground (background job PID).
mount_kind() {
	rm -rf "$W/s" "$W/u" "$W/w"
	mkdir -p "$W/s" "$W/u" "$W/w"
	case $2 in
	pt-fd) "$1" passthrough -f -o nopassthrough "$W/s" "$W/m" & ;;
	pt-lazy) "$1" passthrough -f -o inode=lazy,nopassthrough "$W/s" "$W/m" & ;;
	ovl) "$1" overlay -f -o "lowerdir=$W/l,upperdir=$W/u,workdir=$W/w" "$W/m" & ;;
	esac
	PID=$!
	for _ in $(seq 100); do mountpoint -q "$W/m" && return 0; sleep 0.1; done
	echo "ab: $2 did not mount with $1" >&2
	exit 1
}

# fail WHY: a daemon died or crashed: the figures are void.
fail() {
	echo "ab: $*: no figures" >&2
	kernel_crashes >&2
	exit 1
}

# work KIND: one line "job rate job rate ..." for what KIND does.
work() {
	python3 - "$W/m" "$1" <<'PY'
import os, sys, time
top, kind = sys.argv[1], sys.argv[2]
out = []
def timed(name, n, f):
    t = time.monotonic()
    f()
    out.append(f"{name} {n / (time.monotonic() - t):.0f}")
if kind == "ovl":
    names = sorted(os.listdir(top + "/c"))
    def copyup():
        for n in names:
            fd = os.open(f"{top}/c/{n}", os.O_WRONLY | os.O_APPEND)
            os.write(fd, b"+")
            os.close(fd)
    timed("copy-up", len(names), copyup)
d, n = top + "/new", 2000 if kind == "ovl" else 3000
os.mkdir(d)
timed("create", n, lambda: [os.close(os.open(f"{d}/x{i}", os.O_CREAT | os.O_WRONLY, 0o644)) for i in range(n)])
if kind != "ovl":
    timed("stat", n, lambda: [os.stat(f"{d}/x{i}") for i in range(n)])
timed("unlink", n, lambda: [os.unlink(f"{d}/x{i}") for i in range(n)])
print(" ".join(out))
PY
}

for kind in pt-fd pt-lazy ovl; do
	: >"$W/$kind.a"
	: >"$W/$kind.b"
	for r in $(seq "$ROUNDS"); do
		for side in a b; do
			bin=$A
			[ $side = b ] && bin=$B
			mount_kind "$bin" "$kind"
			line=$(work "$kind") || line=
			kill -0 "$PID" 2>/dev/null ||
				fail "the $kind daemon of $bin died in round $r"
			[ -n "$line" ] || fail "the work on $kind ($bin) failed in round $r"
			[ -z "$(kernel_crashes)" ] || fail "a fusekit program crashed"
			umount "$W/m"
			rc=0
			wait "$PID" || rc=$?
			PID=
			[ $rc = 0 ] || fail "the $kind daemon of $bin exited $rc on unmount"
			echo "$line" >>"$W/$kind.$side"
			echo "ab: $kind round $r $side: $line" >&2
		done
	done
done

echo "| system | job | A (per s, each round) | B (per s, each round) | median B/A |"
echo "|---|---|---|---|---|"
for kind in pt-fd pt-lazy ovl; do
	python3 - "$W/$kind.a" "$W/$kind.b" "$kind" <<'PY'
import statistics, sys
def rates(path):
    rows = [l.split() for l in open(path) if l.strip()]
    jobs = rows[0][0::2]
    return jobs, {j: [float(r[2 * k + 1]) for r in rows] for k, j in enumerate(jobs)}
jobs, a = rates(sys.argv[1])
_, b = rates(sys.argv[2])
for j in jobs:
    ratio = statistics.median(y / x for x, y in zip(a[j], b[j]))
    fa = " / ".join(f"{x:.0f}" for x in a[j])
    fb = " / ".join(f"{y:.0f}" for y in b[j])
    print(f"| {sys.argv[3]} | {j} | {fa} | {fb} | {ratio:.2f} |")
PY
done
