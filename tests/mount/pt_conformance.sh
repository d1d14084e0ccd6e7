#!/bin/bash
# pt_conformance.sh — the POSIX scenarios of tests/conformance run in a
# native directory and through `fusekit passthrough`, as root and as an
# unprivileged user; return values, errno and stat fields must match. Inode
# numbers through the mount must be the source's.
. "$(dirname "$0")/lib.sh"
require_fuse

# As root
mkdir -p "$WORK/native" "$WORK/src"
start_pt "$WORK/src" "$WORK/mnt"
PID=$DPID
compare_scenarios root "$WORK/native" "$WORK/mnt"
# The same inode numbers as the source, for every file, via stat and readdir.
(cd "$WORK/src" && find . -printf '%i %p\n' | sort) > "$WORK/src.ino"
(cd "$WORK/mnt" && find . -printf '%i %p\n' | sort) > "$WORK/mnt.ino"
if diff -q "$WORK/src.ino" "$WORK/mnt.ino" >/dev/null; then
	ok "inode numbers equal the source's ($(wc -l < "$WORK/src.ino") files)"
else
	bad "inode numbers differ from the source's"
fi
expect "ls -i (readdir) agrees with stat" "$(ls -i "$WORK/mnt/links" | awk '{print $1}' | sort | xargs)" \
	"$(stat -c %i "$WORK/mnt/links"/* | sort | xargs)"
stop_daemon "$WORK/mnt" "$PID"
expect "root: daemon exits 0" 0 "$?"

# As an unprivileged user, through a root daemon with allow_other: files
# must belong to the user, and the kernel must enforce permissions.
U=fktest
id "$U" >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin "$U" || {
	echo "SKIP: cannot create user $U"; finish; }
mkdir -p "$WORK/unative" "$WORK/usrc"
chown "$U:" "$WORK/unative" "$WORK/usrc"
cp "$SCEN" "$WORK/scen.py" && chmod 644 "$WORK/scen.py"
start_pt "$WORK/usrc" "$WORK/umnt" -o allow_other
PID=$DPID
chmod 755 "$WORK/umnt"
SCEN="$WORK/scen.py" compare_scenarios user "$WORK/unative" "$WORK/umnt" \
	setpriv --reuid="$U" --regid="$U" --init-groups --
expect "user's files belong to the user in the source" 0 \
	"$(find "$WORK/usrc" ! -user "$U" | wc -l)"
expect "root owns nothing new" 0 "$(find "$WORK/usrc" -user root | wc -l)"
# Root with another group: what it makes is that group's, as natively
# (the daemon takes the caller's identity only when it differs from its
# own: here it does). allow_other: the kernel lets only the mount's own
# uid and gid in otherwise.
for d in "$WORK/unative" "$WORK/umnt"; do
	setpriv --regid=4321 --clear-groups sh -c "touch '$d/g.f' && mkdir '$d/g.d'"
done
expect "root with group 4321 makes files and dirs of that group" \
	"$(stat -c '%u:%g' "$WORK/unative/g.f" "$WORK/unative/g.d" | xargs)" \
	"$(stat -c '%u:%g' "$WORK/usrc/g.f" "$WORK/usrc/g.d" | xargs)"
expect "... which is 0:4321" "0:4321 0:4321" "$(stat -c '%u:%g' "$WORK/usrc/g.f" "$WORK/usrc/g.d" | xargs)"
stop_daemon "$WORK/umnt" "$PID"
expect "user run: daemon exits 0" 0 "$?"

# Refusals: each with a clear message and a non-zero status.
"$FUSEKIT" passthrough "$WORK/nonexistent" "$WORK/m2" 2>"$WORK/r1"
expect "missing SOURCE: exit 1" 1 "$?"
expect "missing SOURCE: named" 1 "$(grep -c "nonexistent" "$WORK/r1")"
touch "$WORK/afile"; mkdir -p "$WORK/m2"
"$FUSEKIT" passthrough "$WORK/afile" "$WORK/m2" 2>"$WORK/r2"
expect "SOURCE not a directory: message" 1 "$(grep -c "not a directory" "$WORK/r2")"
"$FUSEKIT" passthrough -o cache=sometimes "$WORK/src" "$WORK/m2" 2>"$WORK/r3"
expect "bad cache= value: exit 2" 2 "$?"
expect "bad cache= value: named" 1 "$(grep -c "'cache'" "$WORK/r3")"
"$FUSEKIT" passthrough -o entry_timeout=-1 "$WORK/src" "$WORK/m2" 2>"$WORK/r4"
expect "negative timeout: exit 2" 2 "$?"
"$FUSEKIT" passthrough "$WORK/src" 2>"$WORK/r5"
expect "missing MOUNTPOINT: exit 2" 2 "$?"
check "--help documents cache=" sh -c "'$FUSEKIT' passthrough --help | grep -q 'cache='"
check_fails "nothing was mounted" mountpoint -q "$WORK/m2"
finish
