#!/bin/bash
# passthrough.sh — kernel FUSE passthrough through libfusekit: a file
# opened with a backing id is read and written by the kernel directly, so
# its data is right and no READ or WRITE request reaches the daemon.
. "$(dirname "$0")/lib.sh"
require_fuse
PTPROBE=${4:?ptprobe binary}

head -c 3000000 /dev/urandom > "$WORK/backing"
M=$WORK/mnt
mkdir -p "$M"
MOUNTS+=("$M")
"$PTPROBE" "$WORK/backing" "$M" > "$WORK/probe.out" 2>"$WORK/probe.err" &
PID=$!
track_daemon "$PID" "$M"
wait_mounted "$M" || { bad "ptprobe did not mount"; cat "$WORK/probe.err"; finish; }

expect "reads through the mount see the backing data" \
	"$(md5sum < "$WORK/backing")" "$(md5sum < "$M/data")"
dd if=/dev/zero of="$M/data" bs=4096 count=10 seek=5 conv=notrunc status=none
expect "writes through the mount reach the backing file" \
	"$(md5sum < "$M/data")" "$(md5sum < "$WORK/backing")"
expect "written range is zero" "$(head -c 40960 /dev/zero | md5sum)" \
	"$(dd if="$WORK/backing" bs=4096 skip=5 count=10 status=none | md5sum)"

stop_daemon "$M" "$PID"
expect "probe exits 0" 0 "$?"

# Every cache mode of the passthrough filesystem and of the overlay,
# with kernel passthrough (the default): the data must read right.
# (The kernel fails reads of a passthrough open that also asks to keep
# the page cache.)
mkdir -p "$WORK/src" "$WORK/up" "$WORK/wk"
cp "$WORK/backing" "$WORK/src/file"
for c in never metadata auto always; do
	start_pt "$WORK/src" "$WORK/pt-$c" -o cache=$c
	expect "passthrough cache=$c: reads right" "$(md5sum < "$WORK/backing")" \
		"$(md5sum < "$WORK/pt-$c/file")"
	stop_daemon "$WORK/pt-$c" "$DPID"
done
for o in "lowerdir=$WORK/src" "lowerdir=$WORK/src,upperdir=$WORK/up,workdir=$WORK/wk"; do
	start_ovl "$WORK/ovl" "$o"
	kind=read-only
	case $o in *upperdir*) kind=writable ;; esac
	expect "overlay, $kind: reads right" "$(md5sum < "$WORK/backing")" \
		"$(md5sum < "$WORK/ovl/file")"
	stop_daemon "$WORK/ovl" "$DPID"
done

# The kernel will not mix passthrough and other opens of one inode (an
# open that would, fails with EIO). A file held open for reading while it
# is written: on the overlay the write copies it up (the inode's file
# changes), on the passthrough a set-user-ID file's write-open must see
# writes. Both must just work.
# append_while_read LABEL FILE LINE WANT: FILE held open for reading, LINE
# appended to it: no error, and the file reads WANT (its words).
append_while_read() {
	exec 3<"$2"
	# (The group: an open that fails is reported on the group's stderr.)
	{ echo "$3" >>"$2"; } 2>"$WORK/err"
	expect "$1: append to a file held open for reading" "" "$(cat "$WORK/err")"
	expect "$1: and it reads back" "$4" "$(echo $(cat "$2"))"
	exec 3<&-
}
mkdir -p "$WORK/l2" "$WORK/u2" "$WORK/w2" "$WORK/s2"
echo lower >"$WORK/l2/f"
start_ovl "$WORK/ovl2" "lowerdir=$WORK/l2,upperdir=$WORK/u2,workdir=$WORK/w2"
append_while_read "overlay, a lower file" "$WORK/ovl2/f" more "lower more"
append_while_read "overlay, an upper file" "$WORK/ovl2/f" again "lower more again"
stop_daemon "$WORK/ovl2" "$DPID"
echo hi >"$WORK/s2/suid"
chmod 4755 "$WORK/s2/suid"
start_pt "$WORK/s2" "$WORK/pt2"
append_while_read "passthrough, a set-user-ID file" "$WORK/pt2/suid" more "hi more"
stop_daemon "$WORK/pt2" "$DPID"

cat "$WORK/probe.out"
if grep -q "granted=0" "$WORK/probe.out"; then
	echo "SKIP: the kernel did not grant FUSE_PASSTHROUGH"
	exit 77
fi
expect "files were opened in passthrough mode" 1 \
	"$(grep -c 'passthrough=[1-9]' "$WORK/probe.out")"
expect "no READ or WRITE reached the daemon" 1 \
	"$(grep -c 'reads=0 writes=0' "$WORK/probe.out")"
finish
