#!/bin/bash
# binds.sh — --bind SRC:TGT on fusekit overlay and passthrough: a
# container root with the host's /proc, /sys, /dev and /dev/pts bound in,
# usable through chroot; the binds go before the filesystem, on SIGTERM
# and on `fusekit umount`; a bind that fails ends the start with nothing
# left mounted; a target is never reached through a symlink.
. "$(dirname "$0")/lib.sh"
require_fuse
BUSYBOX=$(command -v busybox)
[ -n "$BUSYBOX" ] && file -L "$BUSYBOX" | grep -q 'statically linked' ||
	{ echo "SKIP: needs busybox-static"; exit 77; }

ROOT=$WORK/rootfs
mkdir -p "$ROOT/bin" "$ROOT/outside"
cp "$BUSYBOX" "$ROOT/bin/busybox"
for a in sh ps ls cat; do ln -s busybox "$ROOT/bin/$a"; done
BINDS=(--bind /proc:/proc --bind /sys:/sys --bind /dev:/dev --bind /dev/pts:/dev/pts)

mounts_below() { awk -v m="$1" 'index($5, m "/") == 1 || $5 == m' /proc/self/mountinfo | wc -l; }

# used_in_chroot LABEL MNT: ps and ls /dev work in the root.
used_in_chroot() {
	for t in proc sys dev dev/pts; do
		check "$1: /$t is bound" mountpoint -q "$2/$t"
	done
	check "$1: ps runs in the chroot" sh -c "chroot '$2' /bin/ps | grep -q '^ *1 '"
	check "$1: ls /dev shows the host's devices" sh -c "chroot '$2' /bin/ls /dev | grep -qx null"
}

# The overlay: SIGTERM takes the binds, then the mount.
mkdir -p "$WORK/u" "$WORK/w" "$WORK/om"
MOUNTS+=("$WORK/om")
"$FUSEKIT" overlay -f "${BINDS[@]}" -o "lowerdir=$ROOT,upperdir=$WORK/u,workdir=$WORK/w" \
	"$WORK/om" 2>"$WORK/om.log" &
DPID=$!
track_daemon "$DPID" "$WORK/om"
for _ in $(seq 100); do mountpoint -q "$WORK/om/dev/pts" && break; sleep 0.1; done
used_in_chroot overlay "$WORK/om"
check "overlay: the targets were made in the upper layer" test -d "$WORK/u/dev"
check "overlay: the daemon is alive" kill -0 "$DPID"
forget_daemon "$DPID" # ended here, by SIGTERM
kill -TERM "$DPID"
wait_gone "$DPID"
wait "$DPID"
expect "overlay: SIGTERM: the daemon exits 0" 0 "$?"
expect "overlay: SIGTERM: no mount left" 0 "$(mounts_below "$WORK/om")"

# The passthrough: fusekit umount takes the binds, then the mount.
mkdir -p "$WORK/pm"
start_pt "$ROOT" "$WORK/pm" "${BINDS[@]}"
for _ in $(seq 100); do mountpoint -q "$WORK/pm/dev/pts" && break; sleep 0.1; done
used_in_chroot passthrough "$WORK/pm"
stop_daemon "$WORK/pm" "$DPID"
expect "passthrough: fusekit umount: no mount left" 0 "$(mounts_below "$WORK/pm")"

# In the background, the start returns once the binds are there.
mkdir -p "$WORK/bm"
MOUNTS+=("$WORK/bm")
check "background: started with its binds" "$FUSEKIT" passthrough "${BINDS[@]}" "$ROOT" "$WORK/bm"
check "background: /dev/pts is bound at return" mountpoint -q "$WORK/bm/dev/pts"
check "background: fusekit umount" "$FUSEKIT" umount "$WORK/bm"
expect "background: no mount left" 0 "$(mounts_below "$WORK/bm")"

# A bind that fails: the start fails, saying why, and nothing stays.
for fg in -f ""; do
	mkdir -p "$WORK/fm"
	MOUNTS+=("$WORK/fm")
	out=$("$FUSEKIT" passthrough $fg --bind /proc:/proc --bind /nonexistent:/x \
		"$ROOT" "$WORK/fm" 2>&1)
	rc=$?
	expect "a missing source (${fg:-background}): exit 1" 1 "$rc"
	case $out in
	*"/nonexistent"*"No such file"*) ok "a missing source (${fg:-background}): said why" ;;
	*) bad "a missing source (${fg:-background}): said [$out]" ;;
	esac
	expect "a missing source (${fg:-background}): nothing left mounted" 0 \
		"$(mounts_below "$WORK/fm")"
done

# A target through a symlink is refused: never a bind outside the tree.
ln -s "$WORK/victim" "$ROOT/evil"
mkdir -p "$WORK/victim" "$WORK/sm"
MOUNTS+=("$WORK/sm")
out=$("$FUSEKIT" passthrough -f --bind /proc:/evil/x "$ROOT" "$WORK/sm" 2>&1)
expect "a symlink on the way: exit 1" 1 "$?"
case $out in
*symlink*) ok "a symlink on the way: said so" ;;
*) bad "a symlink on the way: said [$out]" ;;
esac
check_fails "and nothing was made or mounted outside" test -e "$WORK/victim/x"
expect "and nothing stays mounted" 0 "$(mounts_below "$WORK/sm")"

# Usage errors.
for spec in nocolon /proc: :/x /proc:../up /proc:/a/../b /proc:/; do
	"$FUSEKIT" passthrough -f --bind "$spec" "$ROOT" "$WORK/sm" >/dev/null 2>&1
	expect "--bind $spec: a usage error" 2 "$?"
done
finish
