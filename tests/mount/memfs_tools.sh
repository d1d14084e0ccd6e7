#!/bin/bash
# memfs_tools.sh — the same scenario of everyday tools (cp, dd, mv, rm, ln,
# tar, chmod, setfattr, truncate) run in a native directory and in the
# mount; the resulting trees and outputs must be identical.
. "$(dirname "$0")/lib.sh"
require_fuse

M=$WORK/mnt
N=$WORK/native
mkdir -p "$N"
start_memfs "$M"
PID=$DPID

# Input data made once, outside both trees.
head -c $((5 * 1024 * 1024 + 123)) /dev/urandom > "$WORK/blob"

scenario() { # DIR: run the tools; print what they report
	local d=$1
	cp -a "$SAMPLE" "$d/sample" && echo "cp -a: $?"
	dd if="$WORK/blob" of="$d/blob" bs=1M 2>/dev/null && echo "dd: $?"
	dd if="$WORK/blob" of="$d/blob-odd" bs=4097 count=300 2>/dev/null
	md5sum < "$d/blob"
	md5sum < "$d/blob-odd"
	cp "$d/blob" "$d/blob2" && cmp "$d/blob" "$d/blob2" && echo "cmp: same"
	dd if=/dev/zero of="$d/blob2" bs=1 count=10 seek=1000000 conv=notrunc 2>/dev/null
	md5sum < "$d/blob2"
	mkdir -p "$d/x/y/z" && echo "mkdir -p: $?"
	mv "$d/blob2" "$d/x/y/z/" && echo "mv: $?"
	ln "$d/x/y/z/blob2" "$d/x/hard" && echo "ln: $?"
	ln -s y/z/blob2 "$d/x/soft" && echo "ln -s: $?"
	chmod 640 "$d/x/hard" && chmod 700 "$d/x/y" && echo "chmod: $?"
	truncate -s 777 "$d/x/soft" && echo "truncate via symlink: $?"
	setfattr -n user.k -v v1 "$d/x/hard" && echo "setfattr: $?"
	getfattr -d --absolute-names "$d/x/y/z/blob2" 2>/dev/null | grep user.
	(cd "$d" && tar cf "$WORK/$(basename "$d").tar" sample x) && echo "tar c: $?"
	mkdir "$d/untar" && tar xf "$WORK/$(basename "$d").tar" -C "$d/untar" && echo "tar x: $?"
	rm -rf "$d/sample" && echo "rm -rf: $?"
	rmdir "$d/x" 2>&1 | sed "s|$d|D|"
	mv "$d/x" "$d/x-renamed" && echo "mv dir: $?"
	echo appended >> "$d/x-renamed/hard" && tail -c 9 "$d/x-renamed/hard"
	# The tree: type, mode, links, size (not for directories: their size
	# is the filesystem's own business), name.
	(cd "$d" && find . -path ./untar -prune -o -printf '%y %m %n %s %p\n' |
		awk '$1=="d"{$4="-"}1' | sort)
	(cd "$d/untar" && find . -printf '%y %m %n %p\n' | sort)
	(cd "$d/untar" && find . -type f -exec md5sum {} + | sort)
}

scenario "$N" > "$WORK/native.out" 2>&1
scenario "$M" > "$WORK/mount.out" 2>&1
if diff -u "$WORK/native.out" "$WORK/mount.out"; then
	ok "tool scenario identical on native and on the mount ($(wc -l < "$WORK/native.out") lines)"
else
	bad "tool scenario differs (above: - native, + mount)"
fi

# ls -l of the same files agrees too (modes, links, owners, sizes;
# directory sizes are each filesystem's own).
lsl() { (cd "$1" && ls -l x-renamed | grep -v '^[td]' | awk '{print $1,$2,$3,$4,$5,$NF}'); }
expect "ls -l" "$(lsl "$N")" "$(lsl "$M")"

stop_daemon "$M" "$PID"
expect "daemon exits 0" 0 "$?"
finish
