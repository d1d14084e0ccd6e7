#!/bin/bash
# chattr.sh — inode flags (chattr/lsattr: FS_IOC_GETFLAGS/SETFLAGS and
# FS_IOC_FSGETXATTR/FSSETXATTR, which reach the daemon as FUSE IOCTL) on
# a loop-mounted ext4 image, through the passthrough in each inode mode
# and the overlay, compared with the native filesystem doing the same
# (chattr.py): +a +i +d +c +A +S set and cleared on files, +A on a
# directory; what lsattr shows, statx's attributes, that ctime moved at
# once, and a flag the host refuses (+c on tmpfs) failing with the
# host's own error.
# Any other ioctl gets ENOTTY (FS_IOC_GETVERSION, which ext4 answers
# natively). A flag set, the mount taken down and made again, shows.
. "$(dirname "$0")/lib.sh"
require_fuse
HERE=$(dirname "$0")
PY=/usr/bin/python3
for t in chattr lsattr mkfs.ext4; do
	command -v $t >/dev/null || { echo "SKIP: needs $t (e2fsprogs)"; exit 77; }
done

truncate -s 64M "$WORK/ext4.img"
mkfs.ext4 -q -F "$WORK/ext4.img" || { bad "mkfs.ext4 failed"; finish; }
mkdir -p "$WORK/ext4"
MOUNTS+=("$WORK/ext4")
check "the ext4 image mounts" mount -o loop "$WORK/ext4.img" "$WORK/ext4"
E=$WORK/ext4
# Whatever happens, no immutable or append-only file may stop the
# cleanup from removing the image's tree (it goes with the image).
clear_flags() { chattr -R -i -a "$E" 2>/dev/null || true; }

steps() { "$PY" "$HERE/chattr.py" "$1" 2>&1 || echo "chattr.py failed in $1"; }
mkdir -p "$E/native"
NATIVE=$(steps "$E/native")
clear_flags
# The native lines must show the flags, or comparing proves nothing.
expect "native: +a shows in lsattr and statx, and moves ctime" \
	"f_a +a ok -----a--------e------- attrs=append known=append,compressed,immutable,nodump ctime-moved=1" \
	"$(echo "$NATIVE" | grep '^f_a +a ')"
# statx's attributes are compared apart: Linux 6.18 does not pass a FUSE
# server's on (docs/posix.md); where a kernel shows any, they must be
# the native ones.
flags_only() { grep -v '^getversion' | sed 's/ attrs=[^ ]* known=[^ ]*//'; }
NATIVE_FLAGS=$(echo "$NATIVE" | flags_only)
NATIVE_STATX=$(echo "$NATIVE" | grep -v '^getversion' | grep -o 'attrs=[^ ]*')

compare() { # LABEL DIR
	local got
	got=$(steps "$2")
	clear_flags
	if [ "$(echo "$got" | flags_only)" = "$NATIVE_FLAGS" ]; then
		ok "$1: flags as native ($(echo "$NATIVE_FLAGS" | wc -l) steps)"
	else
		bad "$1: flags differ from native (- native, + mount)"
		diff <(echo "$NATIVE_FLAGS") <(echo "$got" | flags_only) | grep '^[<>]' | head -12
	fi
	local statx
	statx=$(echo "$got" | grep -v '^getversion' | grep -o 'attrs=[^ ]*')
	if ! echo "$statx" | grep -qv '^attrs=-$'; then
		ok "$1: statx attributes not shown by this kernel (docs/posix.md)"
	else
		expect "$1: statx attributes as native" "$NATIVE_STATX" "$statx"
	fi
	expect "$1: any other ioctl gets ENOTTY" "getversion Inappropriate ioctl for device" \
		"$(echo "$got" | grep '^getversion')"
}

for opts in "" nopassthrough inode=lazy inode=handle; do
	tag=pt-$(echo "${opts:-default}" | tr ',=' '__')
	mkdir -p "$E/$tag.src"
	start_pt "$E/$tag.src" "$WORK/$tag" ${opts:+-o "$opts"}
	compare "passthrough -o ${opts:-(defaults)}" "$WORK/$tag"
	stop_daemon "$WORK/$tag" "$DPID"
done

mkdir -p "$E/lower" "$E/upper" "$E/work"
start_ovl "$WORK/ovl" "lowerdir=$E/lower,upperdir=$E/upper,workdir=$E/work"
compare "overlay" "$WORK/ovl"
stop_daemon "$WORK/ovl" "$DPID"

# A lower file's flag is set on its copy-up; a flag survives a remount.
echo x >"$E/lower/low"
start_ovl "$WORK/ovl" "lowerdir=$E/lower,upperdir=$E/upper,workdir=$E/work"
check "overlay: chattr +A on a lower file" chattr +A "$WORK/ovl/low"
expect "overlay: the flag is the copy's, in the upper layer" \
	"-------A-" "$(lsattr -d "$E/upper/low" | cut -c1-9)"
stop_daemon "$WORK/ovl" "$DPID"
ctime() { "$PY" -c 'import os, sys; print(os.stat(sys.argv[1]).st_ctime_ns)' "$1"; }
start_pt "$E/pt-default.src" "$WORK/pt-again"
before=$(ctime "$WORK/pt-again/f_A")
sleep 0.02
check "passthrough: chattr +A" chattr +A "$WORK/pt-again/f_A"
after=$(ctime "$WORK/pt-again/f_A")
[ "$after" -gt "$before" ] && ok "passthrough: chattr moved ctime" ||
	bad "passthrough: chattr did not move ctime ($before, $after)"
stop_daemon "$WORK/pt-again" "$DPID"
start_pt "$E/pt-default.src" "$WORK/pt-again"
expect "passthrough: +A shows after a remount" "-------A-" \
	"$(lsattr -d "$WORK/pt-again/f_A" | cut -c1-9)"
expect "passthrough: and the ctime it set" "$after" "$(ctime "$WORK/pt-again/f_A")"
stop_daemon "$WORK/pt-again" "$DPID"
clear_flags
umount "$E"

# A flag the host does not have (+c on tmpfs): the host's own error.
T=$(mktemp -d /dev/shm/fk-chattr.XXXXXX)
trap 'rm -rf "$T"; cleanup' EXIT
mkdir -p "$T/src"
: >"$T/native"
: >"$T/src/f"
start_pt "$T/src" "$WORK/pt-tmpfs"
refused() { chattr +c "$1" 2>&1 | sed 's/ on .*//'; }
want=$(refused "$T/native")
[ -n "$want" ] || bad "tmpfs took +c: the refusal is not tested"
expect "passthrough over tmpfs: +c refused with tmpfs's error" "$want" \
	"$(refused "$WORK/pt-tmpfs/f")"
stop_daemon "$WORK/pt-tmpfs" "$DPID"
finish
