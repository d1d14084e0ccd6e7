#!/bin/bash
# pt_idmap.sh — uidmapping=/gidmapping= (fuse-overlayfs syntax): owners in
# SOURCE are shown mapped, identically by lookup (stat), getattr and
# readdirplus (ls -l); chown and file creation map back.
. "$(dirname "$0")/lib.sh"
require_fuse

S=$WORK/src
M=$WORK/mnt
mkdir -p "$S/pub" "$M"
chmod 1777 "$S/pub"
touch "$S/a" "$S/b" "$S/c"
chown 0:0 "$S/a"
chown 1005:1005 "$S/b"
chown 5000:5000 "$S/c"
MOUNTS+=("$M")
MAP=0:0:1:1000:2000:10
"$FUSEKIT" passthrough -f -o allow_other,uidmapping=$MAP,gidmapping=$MAP "$S" "$M" 2>"$WORK/pt.log" &
PID=$!
track_daemon "$PID" "$M"
wait_mounted "$M" || { bad "no mount"; cat "$WORK/pt.log"; finish; }

expect "stat: 0 stays 0" "0:0" "$(stat -c %u:%g "$M/a")"
expect "stat: 1005 shows as 2005" "2005:2005" "$(stat -c %u:%g "$M/b")"
expect "stat: unmapped shows as 65534" "65534:65534" "$(stat -c %u:%g "$M/c")"
expect "readdirplus (ls -ln) agrees" "0 0 2005 2005 65534 65534" \
	"$(ls -ln "$M" | awk '$NF ~ /^[abc]$/ {print $3, $4}' | xargs)"
expect "find (getattr) agrees" "a 0:0 b 2005:2005 c 65534:65534" \
	"$(cd "$M" && find . -maxdepth 1 -name '[abc]' -printf '%f %U:%G\n' | sort | xargs)"
check "chown through the mount" chown 2003:2007 "$M/b"
expect "stored mapped back" "1003:1007" "$(stat -c %u:%g "$S/b")"
expect "and shown mapped" "2003:2007" "$(stat -c %u:%g "$M/b")"
check "a mapped caller creates a file" \
	setpriv --reuid=2001 --regid=2001 --clear-groups -- touch "$M/pub/made"
expect "stored as the host id" "1001:1001" "$(stat -c %u:%g "$S/pub/made")"
expect "shown as the caller" "2001:2001" "$(stat -c %u:%g "$M/pub/made")"
stop_daemon "$M" "$PID"
expect "daemon exits 0" 0 "$?"

"$FUSEKIT" passthrough -o uidmapping=0:0 "$S" "$M" 2>"$WORK/e1"
expect "incomplete mapping refused" 2 "$?"
expect "with the syntax in the message" 1 "$(grep -c 'HOST:SHOWN:LEN' "$WORK/e1")"
"$FUSEKIT" passthrough -o gidmapping=0:0:0 "$S" "$M" 2>"$WORK/e2"
expect "empty range refused" 2 "$?"
finish
