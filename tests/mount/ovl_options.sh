#!/bin/bash
# ovl_options.sh — fusekit-overlayfs (fuse-overlayfs's command line, as
# podman's mount_program runs it) and the fuse-overlayfs options: each
# option changes what it says, and an unsupported one is refused, saying
# why.
. "$(dirname "$0")/lib.sh"
require_fuse
OVLFS=$(dirname "$FUSEKIT")/fusekit-overlayfs

L=$WORK/lower
mkdir -p "$L/dir/sub" "$L/rm"
echo data >"$L/file"
echo x >"$L/rm/gone"
chown 1234:5678 "$L/file"
setfattr -n user.k -v v "$L/file"

ROUND=0
# mount_with OPTIONS...: fresh upper/work, fusekit-overlayfs in the foreground
mount_with() {
	ROUND=$((ROUND + 1))
	U=$WORK/u$ROUND W=$WORK/w$ROUND M=$WORK/m$ROUND
	mkdir -p "$U" "$W" "$M"
	local opts="lowerdir=$L,upperdir=$U,workdir=$W"
	[ $# -gt 0 ] && opts="$opts,$1"
	start_ovl "$M" "$opts" "$OVLFS"
}

check "fusekit-overlayfs --version" "$OVLFS" --version

# podman's call: -o lowerdir=...,upperdir=...,workdir=... MOUNTPOINT
mount_with
echo new >"$M/created"
expect "a write lands in upperdir" new "$(cat "$U/created")"
expect "owners show as on disk" 1234:5678 "$(stat -c %u:%g "$M/file")"
expect "directories show their link count" 3 "$(stat -c %h "$M/dir")"
check "xattrs pass" getfattr -n user.k "$M/file"
rm "$M/rm/gone"
expect "a whiteout is a character device 0/0" "character special file 0:0" \
	"$(stat -c '%F %t:%T' "$U/rm/gone")"
stop_daemon "$M" "$DPID"

mount_with squash_to_root
expect "squash_to_root: owners show as 0:0" 0:0 "$(stat -c %u:%g "$M/file")"
stop_daemon "$M" "$DPID"

mount_with squash_to_root,squash_to_uid=7,squash_to_gid=8
expect "squash_to_uid/gid win over squash_to_root" 7:8 "$(stat -c %u:%g "$M/file")"
stop_daemon "$M" "$DPID"

mount_with static_nlink
expect "static_nlink: directories show nlink 1" 1 "$(stat -c %h "$M/dir")"
stop_daemon "$M" "$DPID"

mount_with uidmapping=1234:0:1:0:1000:1,gidmapping=5678:0:1:0:1000:1
expect "uidmapping/gidmapping: the owner shows mapped" 0:0 "$(stat -c %u:%g "$M/file")"
echo mine >"$M/mine"
expect "a file made as root is made as the mapped host owner" 1234:5678 \
	"$(stat -c %u:%g "$U/mine")"
stop_daemon "$M" "$DPID"

mount_with noxattrs=1
check_fails "noxattrs=1: getxattr fails" getfattr -n user.k "$M/file"
stop_daemon "$M" "$DPID"

mount_with noacl,fsync=0,volatile,threaded=0,timeout=0,redirect_dir=off,xattr_permissions=0,writeback=0
echo more >>"$M/file"
expect "fsync=0, volatile, threaded=0 and defaults are accepted" "data more" \
	"$(cat "$M/file" | tr '\n' ' ' | sed 's/ $//')"
check "fsync on the mount succeeds" python3 -c "import os,sys; fd=os.open(sys.argv[1], os.O_RDWR); os.fsync(fd)" "$M/file"
stop_daemon "$M" "$DPID"

for c in never metadata auto always; do
	mount_with cache=$c
	echo "cache $c" >>"$M/file"
	expect "cache=$c: writes and reads right" "data cache $c" \
		"$(tr '\n' ' ' <"$M/file" | sed 's/ $//')"
	stop_daemon "$M" "$DPID"
done

mount_with negative_timeout=30
check_fails "a missing name" stat "$M/later"
touch "$L/later"
check_fails "negative_timeout=30: it stays missing after it appears behind the overlay" \
	stat "$M/later"
stop_daemon "$M" "$DPID"
mount_with
check "without negative_timeout it shows at once" stat "$M/later"
rm "$L/later"
stop_daemon "$M" "$DPID"

mount_with whiteout=oci
rm "$M/rm/gone"
check "whiteout=oci: a removed name leaves .wh.NAME" test -f "$U/rm/.wh.gone"
check_fails "and no device" test -c "$U/rm/gone"
check_fails "the name is gone through the mount" test -e "$M/rm/gone"
check_fails "a name the OCI format keeps (.wh.file) cannot be made" touch "$M/.wh.file"
echo data >"$M/x"
check_fails "nor be renamed to" mv "$M/x" "$M/.wh.file"
expect "and file stays visible" data "$(cat "$M/file")"
rmdir "$M/rm" && mkdir "$M/rm"
check "a directory made over it is opaque (.wh..wh..opq)" test -f "$U/rm/.wh..wh..opq"
expect "and shows nothing of the lower one" "" "$(ls -A "$M/rm")"
stop_daemon "$M" "$DPID"

# Everything containers/storage may pass at once: empty items, volatile,
# an SELinux context with commas inside its quotes, an empty plugin list.
mount_with ',,volatile,fsync=0,context="system_u:object_r:container_file_t:s0:c1,c2",plugins=,noacl,static_nlink,squash_to_uid=7,squash_to_gid=8'
expect "podman's whole option list: mounted, files read" data "$(cat "$M/file")"
expect "and squash_to_uid/gid show" 7:8 "$(stat -c %u:%g "$M/file")"
stop_daemon "$M" "$DPID"

# 130 layers as containers/storage names them: short links l/XXXX to each
# layer's diff directory, relative to the directory it runs the program
# in. OCI markers in some layers, as its image layers carry them.
S=$WORK/store
lower=
for i in $(seq 1 130); do
	mkdir -p "$S/layer$i/diff/many" "$S/l"
	echo "$i" >"$S/layer$i/diff/many/f$i"
	ln -s "../layer$i/diff" "$S/l/L$i"
	lower="$lower${lower:+:}l/L$i"
done
echo bottom >"$S/layer130/diff/bottom"
echo hidden >"$S/layer100/diff/many/gone"
: >"$S/layer60/diff/many/.wh.gone"
mkdir -p "$S/layer90/diff/opq/below" "$S/layer20/diff/opq"
: >"$S/layer20/diff/opq/.wh..wh..opq"
echo top >"$S/layer20/diff/opq/top"
mkdir -p "$S/u" "$S/w" "$S/m"
(cd "$S" && exec "$OVLFS" -f -o "lowerdir=$lower,upperdir=u,workdir=w" m) 2>>"$WORK/ovl.log" &
DPID=$!
track_daemon "$DPID" "$S/m"
MOUNTS+=("$S/m")
if wait_mounted "$S/m"; then
	expect "130 relative l/ layers: the lowest shows" bottom "$(cat "$S/m/bottom")"
	expect "every layer's file shows, once" 130 "$(ls "$S/m/many" | grep -c '^f')"
	check_fails "an OCI whiteout in layer 60 hides layer 100's file" test -e "$S/m/many/gone"
	expect "an OCI-opaque directory shows only its own" top "$(ls -A "$S/m/opq")"
	check_fails "no marker shows" sh -c "ls -A '$S/m' '$S/m/many' '$S/m/opq' | grep -q '^\.wh\.'"
	stop_daemon "$S/m" "$DPID"
else
	bad "130 relative l/ layers: not mounted: $(tail -3 "$WORK/ovl.log")"
fi

refused() { # LABEL OPTIONS PATTERN
	local out
	out=$("$OVLFS" -f -o "lowerdir=$L,upperdir=$WORK/u1,workdir=$WORK/w1,$2" "$WORK/m1" 2>&1)
	local rc=$?
	case $out in
	*$3*) [ $rc != 0 ] && ok "$1: refused, saying why" || bad "$1: exit 0" ;;
	*) bad "$1: $out" ;;
	esac
}
refused "redirect_dir=bogus" redirect_dir=bogus "on, follow, nofollow or off"
refused "xattr_permissions=3" xattr_permissions=3 "takes 0, 1 or 2"
refused "writeback=1" writeback=1 "not supported"
refused "plugins=" plugins=/usr/libexec/fuse-overlayfs/x.so "loads no plugins"
refused "an unclosed quote" 'context="a:b' "quote is not closed"
refused "an unknown option" frobnicate "frobnicate"
refused "whiteout=bogus" whiteout=bogus "chardev or oci"
refused "squash_to_uid=abc" squash_to_uid=abc "not a number"
refused "cache=sometimes" cache=sometimes "never, metadata, auto or always"
finish
