#!/bin/bash
# flush.sh — which closes cost the daemon a FLUSH (fk_noflush.h). The
# kernel's fuse tracepoints, in a tracefs instance of this test's own,
# count the FLUSH requests it sends to each mount while files are
# opened to write, and to read, and closed:
#   - the passthrough (each transport of the run, with and without
#     kernel passthrough) and the overlay, on this test's /tmp (a local
#     filesystem: a close there does nothing): no FLUSH at all;
#   - the passthrough whose SOURCE is a FUSE mount (fk-memfs), where a
#     close of a file opened to write is a FLUSH of its own: one FLUSH
#     per such close, none for files opened read-only.
. "$(dirname "$0")/lib.sh"
require_fuse
TR=/sys/kernel/tracing
TR_MOUNTED=
if [ ! -d "$TR/events" ]; then
	mount -t tracefs nodev "$TR" 2>/dev/null || { echo "SKIP: no tracefs"; exit 77; }
	TR_MOUNTED=1
fi
INST=$TR/instances/fk-flush-$$
untrace() {
	rmdir "$INST" 2>/dev/null
	[ -z "$TR_MOUNTED" ] || umount "$TR" 2>/dev/null
}
trap 'untrace; cleanup' EXIT
if ! mkdir "$INST" 2>/dev/null || [ ! -d "$INST/events/fuse/fuse_request_send" ]; then
	echo "SKIP: no fuse tracepoints (Linux >= 6.15 with tracing)"
	exit 77
fi
echo 1 >"$INST/events/fuse/fuse_request_send/enable"

# flushes MNT: FLUSH requests sent to MNT's connection since the last call.
flushes() {
	local conn
	conn=$(mountpoint -d "$1" | awk -F: '{ print $1 * 1048576 + $2 }')
	grep -c "connection $conn req [0-9]* opcode 25 " "$INST/trace"
}
reset_trace() { : >"$INST/trace"; }

# closes MODE MNT: 5 files opened (w: made and written; r: read) and
# closed, each with one close(2) (a shell's redirection closes twice).
closes() {
	"$PY" - "$1" "$2" <<'PY'
import os, sys
mode, top = sys.argv[1], sys.argv[2]
for i in range(5):
    p = os.path.join(top, f"w{i}")
    if mode == "w":
        fd = os.open(p, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
        os.write(fd, b"%d" % i)
    else:
        fd = os.open(p, os.O_RDONLY)
        os.read(fd, 16)
    os.close(fd)
PY
}

# expect_flushes LABEL MNT WRITE READ: the counts of FLUSH for each kind.
expect_flushes() {
	local label=$1 mnt=$2
	reset_trace
	closes w "$mnt"
	expect "$label: FLUSHes for 5 closes of files opened to write" "$3" "$(flushes "$mnt")"
	reset_trace
	closes r "$mnt"
	expect "$label: FLUSHes for 5 closes of files opened to read" "$4" "$(flushes "$mnt")"
}

for opts in passthrough nopassthrough nopassthrough,noio_uring; do
	mkdir -p "$WORK/src-$opts"
	start_pt "$WORK/src-$opts" "$WORK/pt-$opts" -o "$opts"
	expect_flushes "passthrough -o $opts on $(stat -f -c %T "$WORK")" "$WORK/pt-$opts" 0 0
	stop_daemon "$WORK/pt-$opts" "$DPID"
done

mkdir -p "$WORK/l" "$WORK/u" "$WORK/w"
start_ovl "$WORK/ovl" "lowerdir=$WORK/l,upperdir=$WORK/u,workdir=$WORK/w"
expect_flushes "overlay" "$WORK/ovl" 0 0
stop_daemon "$WORK/ovl" "$DPID"

# A source whose own close does something: each write-close is passed on.
start_memfs "$WORK/host"
MEM=$DPID
start_pt "$WORK/host" "$WORK/pt-on-fuse" -o nopassthrough
expect_flushes "passthrough on a FUSE source" "$WORK/pt-on-fuse" 5 0
stop_daemon "$WORK/pt-on-fuse" "$DPID"
stop_daemon "$WORK/host" "$MEM"
finish
