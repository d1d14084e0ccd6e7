#!/bin/bash
# ovl_redirect.sh — redirect_dir=on, differentially against kernel
# overlayfs mounted with redirect_dir=on: directories with lower content
# renamed in their directory, across directories, again, and with their
# parents; exchanged; emptied and removed. The results, the visible trees
# (lower inode numbers included) and the upper directories (the redirect
# xattrs byte for byte) must be identical, and each upper directory
# mounted by the other implementation must show the same tree.
. "$(dirname "$0")/lib.sh"
require_fuse
HERE=$(dirname "$0")

L=$WORK/lower
mkdir -p "$L/A/s" "$L/B/C/deep" "$L/X/x" "$L/P/p" "$L/Q/q"
echo a1 >"$L/A/a1"
echo a2 >"$L/A/a2"
echo f >"$L/A/s/f"
echo c >"$L/B/C/c"
echo deep >"$L/B/C/deep/d"
echo b >"$L/B/b"
echo pp >"$L/P/p/pp"
echo qq >"$L/Q/q/qq"
for side in k f; do mkdir -p "$WORK/$side.upper" "$WORK/$side.work" "$WORK/$side.mnt"; done

check "kernel overlayfs mounts with redirect_dir=on" mount -t overlay overlay \
	-o "lowerdir=$L,upperdir=$WORK/k.upper,workdir=$WORK/k.work,redirect_dir=on" "$WORK/k.mnt"
MOUNTS+=("$WORK/k.mnt")
start_ovl "$WORK/f.mnt" "lowerdir=$L,upperdir=$WORK/f.upper,workdir=$WORK/f.work,redirect_dir=on"

for side in k f; do
	"$PY" "$HERE/ovl_redirect.py" "$WORK/$side.mnt" >"$WORK/$side.out" 2>"$WORK/$side.err"
	check "the renames ran to the end on $side" grep -q '^== end' "$WORK/$side.out"
	[ -s "$WORK/$side.err" ] && head -20 "$WORK/$side.err"
done
if diff -u "$WORK/k.out" "$WORK/f.out"; then
	ok "$(grep -vc '^==' "$WORK/k.out") steps: same results as kernel overlayfs"
else
	bad "steps differ (- kernel, + fusekit)"
fi
compare_trees "visible tree" "$WORK/k.mnt" "$WORK/f.mnt" "$L"
umount "$WORK/k.mnt"
stop_daemon "$WORK/f.mnt" "$DPID"
compare_trees "upper directory, redirects included" "$WORK/k.upper" "$WORK/f.upper"
check "redirects were written" getfattr -n trusted.overlay.redirect "$WORK/f.upper/Y/A3"

check "kernel overlayfs mounts fusekit's upper" mount -t overlay overlay \
	-o "lowerdir=$L,upperdir=$WORK/f.upper,workdir=$WORK/f.work,redirect_dir=on" "$WORK/k.mnt"
start_ovl "$WORK/f.mnt" "lowerdir=$L,upperdir=$WORK/k.upper,workdir=$WORK/k.work"
compare_trees "each upper under the other (fusekit following by default)" \
	"$WORK/k.mnt" "$WORK/f.mnt" "$L"
umount "$WORK/k.mnt"
stop_daemon "$WORK/f.mnt" "$DPID"

start_ovl "$WORK/f.mnt" "lowerdir=$L,upperdir=$WORK/k.upper,workdir=$WORK/k.work,redirect_dir=nofollow"
check_fails "redirect_dir=nofollow: a redirected dir shows only its upper content" \
	test -e "$WORK/f.mnt/Y/A3/a1"
stop_daemon "$WORK/f.mnt" "$DPID"
start_ovl "$WORK/f.mnt" "lowerdir=$L,upperdir=$WORK/k.upper,workdir=$WORK/k.work"
mv "$WORK/f.mnt/Y/A3" "$WORK/f.mnt/Z" 2>"$WORK/mv.err"
expect "without redirect_dir=on, mv still moves it (by copying)" a1 "$(cat "$WORK/f.mnt/Z/a1")"
stop_daemon "$WORK/f.mnt" "$DPID"
finish
