#!/bin/bash
# memfs_basic.sh — the example filesystem mounted for real, driven by
# ordinary commands: files, directories, symlinks, hard links, xattrs,
# rename (with RENAME_NOREPLACE / RENAME_EXCHANGE), truncate, times.
. "$(dirname "$0")/lib.sh"
require_fuse

M=$WORK/mnt
start_memfs "$M" --seed "$SAMPLE"
PID=$DPID

expect "seeded file readable" "Hello from fusekit." "$(cat "$M/hello.txt")"
expect "seeded symlink resolves" "Hello from fusekit." "$(cat "$M/docs/hello-link")"
expect "readlink" "../hello.txt" "$(readlink "$M/docs/hello-link")"

check "mkdir" mkdir "$M/d"
expect "new dir nlink" 2 "$(stat -c %h "$M/d")"
check "mkdir -p nested" mkdir -p "$M/d/e/f"
expect "parent nlink counts subdirs" 3 "$(stat -c %h "$M/d")"
check "write a file" sh -c "echo data > '$M/d/file'"
expect "read it back" data "$(cat "$M/d/file")"
expect "size" 5 "$(stat -c %s "$M/d/file")"

check "hard link" ln "$M/d/file" "$M/d/link"
expect "nlink after link" 2 "$(stat -c %h "$M/d/file")"
expect "same inode" "$(stat -c %i "$M/d/file")" "$(stat -c %i "$M/d/link")"
check "unlink one name" rm "$M/d/link"
expect "nlink after unlink" 1 "$(stat -c %h "$M/d/file")"

check "symlink" ln -s file "$M/d/sym"
expect "symlink target" file "$(readlink "$M/d/sym")"
expect "symlink type" "symbolic link" "$(stat -c %F "$M/d/sym")"

check "truncate up" truncate -s 100000 "$M/d/file"
expect "size after truncate up" 100000 "$(stat -c %s "$M/d/file")"
expect "zero fill" "data" "$(head -c 4 "$M/d/file")"
check "truncate down" truncate -s 2 "$M/d/file"
expect "content after truncate down" "da" "$(cat "$M/d/file")"

check "chmod" chmod 0751 "$M/d/file"
expect "mode" 751 "$(stat -c %a "$M/d/file")"
check "chown" chown 1234:5678 "$M/d/file"
expect "owner" "1234:5678" "$(stat -c %u:%g "$M/d/file")"
check "touch with nanoseconds" touch -m -d "2021-03-04 05:06:07.123456789" "$M/d/file"
expect "mtime keeps nanoseconds" "2021-03-04 05:06:07.123456789" \
	"$(TZ=UTC0 stat -c %y "$M/d/file" | cut -c1-29)"

check "setfattr" setfattr -n user.color -v blue "$M/d/file"
expect "getfattr" "blue" "$(getfattr --only-values -n user.color "$M/d/file")"
check "second xattr" setfattr -n user.size -v 42 "$M/d/file"
expect "listxattr" "user.color user.size" \
	"$(getfattr -d "$M/d/file" 2>/dev/null | grep -o '^user\.[a-z]*' | sort | xargs)"
check "removexattr" setfattr -x user.color "$M/d/file"
check_fails "removed xattr is gone" getfattr -n user.color "$M/d/file"

check "mkfifo" mkfifo "$M/d/fifo"
expect "fifo type" fifo "$(stat -c %F "$M/d/fifo")"

check "rename within dir" mv "$M/d/file" "$M/d/renamed"
check_fails "old name gone" stat "$M/d/file"
check "rename across dirs" mv "$M/d/renamed" "$M/d/e/f/moved"
expect "content survives rename" "da" "$(cat "$M/d/e/f/moved")"
check_fails "rmdir non-empty" rmdir "$M/d/e"
check "rename a directory" mv "$M/d/e" "$M/e2"
expect "child reachable after dir rename" "da" "$(cat "$M/e2/f/moved")"
check_fails "dir into its own child" mv "$M/e2" "$M/e2/f/x"

# renameat2 flags through the kernel: NOREPLACE and EXCHANGE
echo one > "$M/a"; echo two > "$M/b"
RENAME2='import ctypes,os,sys
libc=ctypes.CDLL(None,use_errno=True)
r=libc.renameat2(-100,sys.argv[1].encode(),-100,sys.argv[2].encode(),int(sys.argv[3]))
sys.exit(0 if r==0 else ctypes.get_errno())'
python3 -c "$RENAME2" "$M/a" "$M/b" 1
expect "RENAME_NOREPLACE onto existing: EEXIST" 17 "$?"
python3 -c "$RENAME2" "$M/a" "$M/b" 2
expect "RENAME_EXCHANGE succeeds" 0 "$?"
expect "exchanged a" two "$(cat "$M/a")"
expect "exchanged b" one "$(cat "$M/b")"

check "rm -r" rm -r "$M/d" "$M/e2"
check_fails "gone" stat "$M/d"
expect "long name: 255 ok" 0 "$(touch "$M/$(printf 'x%.0s' $(seq 255))" 2>/dev/null; echo $?)"
touch "$M/$(printf 'y%.0s' $(seq 256))" 2>"$WORK/err256"
expect "long name: 256 is ENAMETOOLONG" 1 "$(grep -c 'File name too long' "$WORK/err256")"
check "non-UTF-8 name" touch "$M/$(printf 'bad\xff\xfename')"
expect "non-UTF-8 name listed" 1 "$(ls "$M" | grep -c "$(printf 'bad\xff\xfename')")"
check "name with leading dash" touch -- "$M/-rf"

check "statfs" stat -f "$M"
expect "fs type" "fuse.memfs" "$(findmnt -n -o FSTYPE "$M")"

stop_daemon "$M" "$PID"
expect "daemon exits 0 after umount" 0 "$?"
check_fails "no mount left" mountpoint -q "$M"
finish
