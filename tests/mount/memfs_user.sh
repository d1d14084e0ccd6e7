#!/bin/bash
# memfs_user.sh — an unprivileged user mounts through fusermount3: the fd
# comes back over _FUSE_COMMFD; files are the user's; `fusekit umount`
# works for the user, also after SIGKILL; auto_unmount cleans up by itself.
. "$(dirname "$0")/lib.sh"
require_fuse
command -v fusermount3 >/dev/null || { echo "SKIP: no fusermount3"; exit 77; }
# fusermount3 opens /dev/fuse with the user's rights; distributions make it
# 0666 (udev). .ci/run does the same on machines without udev.
[ "$(stat -c %a /dev/fuse)" = 666 ] || {
	echo "SKIP: /dev/fuse is not 0666 (chmod 666 /dev/fuse, as udev would)"; exit 77; }

U=fktest
id "$U" >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin "$U" || {
	echo "SKIP: cannot create user $U"; exit 77; }
UID_=$(id -u "$U")
asuser() { setpriv --reuid="$U" --regid="$U" --init-groups -- "$@"; }

# The user needs binaries and data it can reach.
mkdir -p "$WORK/bin" "$WORK/seed"
cp "$MEMFS" "$FUSEKIT" "$WORK/bin/"
cp -a "$SAMPLE/." "$WORK/seed/"
chmod -R a+rX "$WORK/bin" "$WORK/seed"
UMEMFS=$WORK/bin/$(basename "$MEMFS")
UFUSEKIT=$WORK/bin/$(basename "$FUSEKIT")

mounted() { grep -q " $1 " /proc/self/mountinfo; }
wait_mountinfo() {
	for _ in $(seq 100); do mounted "$1" && return 0; sleep 0.1; done
	return 1
}
start_user_memfs() { # MNT [ARGS]: sets DPID
	local mnt=$1; shift
	mkdir -p "$mnt"
	chown "$U" "$mnt"
	MOUNTS+=("$mnt")
	# setpriv execs the daemon, so $! is the daemon itself (a shell
	# function here would put a subshell in between).
	setpriv --reuid="$U" --regid="$U" --init-groups -- \
		"$UMEMFS" "$@" "$mnt" 2>"$WORK/user.log" &
	DPID=$!
	track_daemon "$DPID" "$mnt"
	wait_mountinfo "$mnt" || { bad "user mount of $mnt did not appear"; cat "$WORK/user.log"; finish; }
}

M=$WORK/umnt
start_user_memfs "$M" --seed "$WORK/seed"
PID=$DPID
forget_daemon "$PID" # the test ends it itself, below
ok "unprivileged mount through fusermount3"
expect "mount owner is the user" "user_id=$UID_" \
	"$(grep " $M " /proc/self/mountinfo | grep -o "user_id=[0-9]*")"
expect "seeded data visible to the user" "Hello from fusekit." "$(asuser cat "$M/hello.txt")"
check "user writes a file" asuser sh -c "echo mine > '$M/mine'"
expect "the file belongs to the user" "$UID_" "$(asuser stat -c %u "$M/mine")"
check "user copies a tree" asuser cp -r "$M/docs" "$M/docs2"
check "user renames" asuser mv "$M/docs2" "$M/docs3"
check "user xattrs" asuser setfattr -n user.k -v v "$M/mine"
expect "user reads xattr" v "$(asuser getfattr --only-values -n user.k "$M/mine")"
check_fails "root is kept out without allow_other" ls "$M"

check "user unmounts with fusekit umount" asuser "$UFUSEKIT" umount "$M"
wait_gone "$PID"
wait "$PID"
expect "daemon exits 0 after the user's umount" 0 "$?"
check_fails "no mount left" mounted "$M"
# Unmounted from outside, the daemon does not go on to unmount it again
# through fusermount3 (which complained that it found no such mount).
expect "and it has nothing to complain of" "" "$(grep -i 'fusermount3\|unmount' "$WORK/user.log")"

# allow_root, mounted by root: root is in, the user is turned away by the
# daemon (the kernel lets everyone through, as for allow_other).
start_memfs "$WORK/rootmnt" -o allow_root
RPID=$DPID
forget_daemon "$PID" # the test ends it itself, below
chmod 755 "$WORK/rootmnt"
check "allow_root: root may list" ls "$WORK/rootmnt"
asuser ls "$WORK/rootmnt" 2>"$WORK/ar.err"
expect "allow_root: another user gets EACCES" 1 "$(grep -c 'Permission denied' "$WORK/ar.err")"
stop_daemon "$WORK/rootmnt" "$RPID"

# SIGTERM: the daemon unmounts itself through fusermount3.
start_user_memfs "$M"
PID=$DPID
forget_daemon "$PID" # the test ends it itself, below
kill -TERM "$PID"
wait_gone "$PID"
wait "$PID"
expect "SIGTERM: user daemon exits 0" 0 "$?"
check_fails "SIGTERM: no mount left" mounted "$M"

# SIGKILL: a dead mount, which the user clears.
start_user_memfs "$M"
PID=$DPID
forget_daemon "$PID" # the test ends it itself, below
kill -KILL "$PID"
wait_gone "$PID"
check "dead mount still listed" mounted "$M"
check "user clears the dead mount" asuser "$UFUSEKIT" umount "$M"
check_fails "dead mount gone" mounted "$M"

# auto_unmount: fusermount3 unmounts when the daemon dies.
start_user_memfs "$M" -o auto_unmount
PID=$DPID
forget_daemon "$PID" # the test ends it itself, below
kill -KILL "$PID"
wait_gone "$PID"
for _ in $(seq 50); do mounted "$M" || break; sleep 0.1; done
check_fails "auto_unmount: gone after SIGKILL" mounted "$M"
finish
