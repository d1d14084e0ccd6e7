#!/bin/bash
# ovl_readonly.sh — the read-only overlay, differentially against kernel
# overlayfs: the same three lower layers (whiteouts, an opaque directory,
# a file replacing a directory, hard links, symlinks, a fifo, xattrs,
# hostile names) mounted by both; the visible tree, every stat field we
# can compare (type, mode, nlink, owner, size, times, inode number,
# symlink target), file contents, xattrs and the errno of changes must be
# identical.
. "$(dirname "$0")/lib.sh"
require_fuse

L1=$WORK/l1 L2=$WORK/l2 L3=$WORK/l3 K=$WORK/kernel F=$WORK/fusekit
mkdir -p "$L1" "$L2" "$L3" "$K" "$F"

# Bottom layer.
mkdir -p "$L3/a/sub" "$L3/b" "$L3/d" "$L3/keep"
echo one >"$L3/a/file1"
echo two >"$L3/a/file2"
echo deep >"$L3/a/sub/deep"
echo x >"$L3/b/x"
echo hidden >"$L3/d/lower-only"
echo c >"$L3/c"
ln -s a/file1 "$L3/link"
echo hard >"$L3/hard1"
ln "$L3/hard1" "$L3/hard2"
mkfifo "$L3/fifo"
setfattr -n user.color -v blue "$L3/c"
touch "$L3/$(printf 'bad\xff\xfename')" "$L3/-dash" "$L3/$(head -c 255 /dev/zero | tr '\0' n)"
chown 1234:5678 "$L3/keep"
chmod 0750 "$L3/keep"
touch -d '2001-02-03 04:05:06.123456789' "$L3/a/file2"
# Middle layer: overrides, a whiteout, an opaque dir, a file over a dir.
mkdir -p "$L2/a" "$L2/d"
echo TWO >"$L2/a/file2"
echo new >"$L2/a/new"
mknod "$L2/b" c 0 0
echo only2 >"$L2/d/only2"
setfattr -n trusted.overlay.opaque -v y "$L2/d"
echo replaced >"$L2/a/sub"
setfattr -n user.mid -v 1 "$L2/a"
# Top layer.
mkdir -p "$L1/a" "$L1/e"
echo top >"$L1/a/top"
mknod "$L1/a/file1" c 0 0
echo ee >"$L1/e/f"
touch -d '1999-12-31 23:59:59' "$L1/a"
# A directory merged from two layers, big enough for many readdir calls,
# with whiteouts among its entries.
mkdir -p "$L3/big" "$L1/big"
(cd "$L3/big" && touch $(seq -f 'entry-%g' 1 1500))
(cd "$L1/big" && touch $(seq -f 'entry-%g' 1000 2000))
for i in 7 77 777 1777; do rm -f "$L1/big/entry-$i"; mknod "$L1/big/entry-$i" c 0 0; done

check "kernel overlayfs mounts the layers" \
	mount -t overlay overlay -o "lowerdir=$L1:$L2:$L3" "$K"
MOUNTS+=("$K")
start_ovl "$F" "lowerdir=$L1:$L2:$L3"
ok "fusekit overlay mounted"

tree() { # the visible tree of a mount, every comparable stat field
	(cd "$1" && find . -printf '%p|%y|%m|%n|%U|%G|%s|%T@|%C@|%i|%l\n' | LC_ALL=C sort)
}
tree "$K" >"$WORK/tree.k"
tree "$F" >"$WORK/tree.f"
if cmp -s "$WORK/tree.k" "$WORK/tree.f"; then
	ok "same tree and stat fields ($(wc -l <"$WORK/tree.k") entries)"
else
	bad "tree differs: $(diff "$WORK/tree.k" "$WORK/tree.f" | head -20)"
fi
for p in a/file1 b b/x d/lower-only .wh.x; do
	check_fails "hidden: $p" test -e "$F/$p"
done
expect "a/file2 from the middle layer" TWO "$(cat "$F/a/file2")"
expect "a/sub: a file replaced the directory" replaced "$(cat "$F/a/sub")"
expect "opaque d shows only its own layer" only2 "$(ls "$F/d")"

sums() { (cd "$1" && find . -type f -exec md5sum {} + | LC_ALL=C sort); }
expect "same contents" "$(sums "$K")" "$(sums "$F")"
xattrs() { (cd "$1" && getfattr -h -R -d -m - . 2>/dev/null); }
expect "same xattrs, overlay markers hidden" "$(xattrs "$K")" "$(xattrs "$F")"
check_fails "the opaque marker is not shown" \
	getfattr -n trusted.overlay.opaque "$F/d"

errs() { # the error each change gets, with the mount's path taken out
	local m=$1
	{
		touch "$m/newfile"; mkdir "$m/newdir"; rm "$m/c"; mv "$m/c" "$m/c2"
		echo more >>"$m/a/top"; chmod 600 "$m/c"; ln "$m/c" "$m/c3"
		setfattr -n user.x -v 1 "$m/c"; ln -s x "$m/s2"
	} 2>&1 | sed "s|$m|MNT|g"
}
expect "every change gets the same error (EROFS)" "$(errs "$K")" "$(errs "$F")"
errs "$F" | grep -q 'Read-only file system' && ok "changes say EROFS" || bad "no EROFS: $(errs "$F")"

# A listing read in small pieces (many readdir calls) is the same.
expect "ls -f of a big merged directory (1996 names + . ..)" \
	"$(ls -f "$K/big" | LC_ALL=C sort)" "$(ls -f "$F/big" | LC_ALL=C sort)"
expect "each name once" 1998 "$(ls -f "$F/big" | LC_ALL=C sort -u | wc -l)"

# Bad command lines.
check_fails "lowerdir is required" "$FUSEKIT" overlay -f "$WORK/x"
check_fails "a missing lower directory is refused" \
	"$FUSEKIT" overlay -f -o lowerdir="$WORK/missing" "$WORK/x"
out=$("$FUSEKIT" overlay -f -o lowerdir="$L1",upperdir="$WORK/u" "$WORK/x" 2>&1)
case $out in *"go together"*) ok "upperdir without workdir is refused, saying why" ;; *) bad "upperdir alone: $out" ;; esac
out=$("$FUSEKIT" overlay -f -o lowerdir="$L1",upperdir="$WORK/u",workdir="$WORK/w" "$WORK/x" 2>&1)
case $out in *"upperdir"*"No such file"*) ok "a missing upperdir is refused, saying why" ;; *) bad "missing upperdir: $out" ;; esac
mkdir -p "$WORK/u/w"
out=$("$FUSEKIT" overlay -f -o lowerdir="$L1",upperdir="$WORK/u",workdir="$WORK/u/w" "$WORK/x" 2>&1)
case $out in *"neither inside the other"*) ok "a workdir inside upperdir is refused" ;; *) bad "workdir inside: $out" ;; esac
check "overlay --help" "$FUSEKIT" overlay --help

finish
