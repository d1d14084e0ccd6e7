#!/bin/bash
# acl.sh — POSIX ACLs as the native filesystem applies them (acl.py):
# default ACLs inherited by new files, directories, fifos and linked
# O_TMPFILE files, the umask left out where a default ACL exists, the
# mode masked by the ACL, set-group-ID directories, access ACLs enforced
# for reads, chmod rewriting the mask, an unprivileged setfacl dropping
# set-group-ID, setfacl -b. Each step's mode, owner and ACL through the
# mount are compared with the same steps on the host's own filesystem.
# Through the passthrough in each inode mode, with kernel passthrough
# and without, over both transports, with id mapping, and with -o noacl
# (the ACLs are then stored but not applied: the steps must differ);
# through the overlay, also over whiteouts and across a copy-up.
. "$(dirname "$0")/lib.sh"
require_fuse
command -v setfacl >/dev/null || { echo "SKIP: needs setfacl (Debian: acl)"; exit 77; }
HERE=$(dirname "$0")
PY=/usr/bin/python3
NOBODY=$(id -u nobody) NOGROUP=$(getent group nogroup | cut -d: -f3)

steps() { # DIR: acl.py's lines, or its failure
	"$PY" "$HERE/acl.py" "$1" "$NOBODY" "$NOGROUP" 2>&1 || echo "acl.py failed in $1"
}

mkdir -p "$WORK/native"
NATIVE=$(steps "$WORK/native")
if ! getfacl -p "$WORK/native/grouprwx" >/dev/null 2>&1 ||
	echo "$NATIVE" | grep -q "setfacl error"; then
	echo "SKIP: the host filesystem under $WORK has no POSIX ACLs"
	exit 77
fi
# The native results must show the rules themselves, or comparing with
# them proves nothing.
expect "native: a default ACL's group rwx inherited, umask left out" \
	"grouprwx-file 666 $NOBODY:$NOGROUP user::rw-,group::rw-,other::rw-" \
	"$(echo "$NATIVE" | grep '^grouprwx-file ')"
expect "native: without a default ACL the umask applies" \
	"plain-file 644 $NOBODY:$NOGROUP user::rw-,group::r--,other::r--" \
	"$(echo "$NATIVE" | grep '^plain-file ')"
expect "native: a named entry lets nobody read a 0600 file" \
	"private-with-entry read ok" "$(echo "$NATIVE" | grep '^private-with-entry ')"
expect "native: an unprivileged setfacl drops set-group-ID" \
	"killsgid 770" "$(echo "$NATIVE" | grep '^killsgid ' | cut -d' ' -f1-2)"

compare() { # LABEL MNT: the steps through MNT as natively
	local got
	got=$(steps "$2")
	if [ "$got" = "$NATIVE" ]; then
		ok "$1: as native ($(echo "$got" | wc -l) steps)"
	else
		bad "$1: differs from native (- native, + mount)"
		diff <(echo "$NATIVE") <(echo "$got") | grep '^[<>]' | head -16
	fi
}

for opts in "" nopassthrough nopassthrough,noio_uring inode=lazy inode=handle,nopassthrough; do
	tag=pt-$(echo "${opts:-default}" | tr ',=' '__')
	mkdir -p "$WORK/$tag.src"
	start_pt "$WORK/$tag.src" "$WORK/$tag" -o "allow_other${opts:+,$opts}"
	compare "passthrough -o ${opts:-(defaults)}" "$WORK/$tag"
	stop_daemon "$WORK/$tag" "$DPID"
done

# Id mapping: SOURCE stores ids shifted by 100000; the ACL entries are
# shown and set in the mount's numbering, stored in SOURCE's.
mkdir -p "$WORK/map.src"
start_pt "$WORK/map.src" "$WORK/map" -o "allow_other,uidmapping=100000:0:70000,gidmapping=100000:0:70000"
compare "passthrough with uidmapping/gidmapping" "$WORK/map"
expect "id mapping: the named group entry stored in SOURCE's numbering" \
	"group:$((100000 + NOGROUP)):r--" \
	"$(getfacl -n -p "$WORK/map.src/private" 2>/dev/null | grep -o "^group:$((100000 + NOGROUP)):r--")"
stop_daemon "$WORK/map" "$DPID"

# The overlay: everything made in its upper layer, as natively.
for opts in "" nopassthrough; do
	tag=ovl-$(echo "${opts:-default}" | tr ',=' '__')
	mkdir -p "$WORK/$tag.lower" "$WORK/$tag.upper" "$WORK/$tag.work"
	start_ovl "$WORK/$tag" "lowerdir=$WORK/$tag.lower,upperdir=$WORK/$tag.upper,workdir=$WORK/$tag.work,allow_other${opts:+,$opts}"
	compare "overlay -o ${opts:-(defaults)}" "$WORK/$tag"
	stop_daemon "$WORK/$tag" "$DPID"
done

# The overlay over whiteouts: a file and a directory made by nobody
# where lower ones were removed are built in the work directory and
# moved over the whiteouts; they must inherit their directory's default
# ACL all the same. And a lower file's ACL applies before and after a
# copy-up, which keeps it.
DEFAULT="u::rwx,u:$((NOBODY + 1)):rwx,g::rwx,g:4242:r-x,m::rwx,o::r-x"
make_two() { # DIR: nobody, umask 022, makes DIR/f (0666) and DIR/sub (0777)
	setpriv --reuid="$NOBODY" --regid="$NOGROUP" --clear-groups -- \
		sh -c 'umask 022 && : >"$1/f" && mkdir "$1/sub"' sh "$1" 2>&1
}
show_two() { # DIR: mode, owner and ACL of DIR/f and DIR/sub
	local n
	for n in f sub; do
		echo "$n $(stat -c '%a %u:%g' "$1/$n" 2>&1)" \
			"$(getfacl -n -p --omit-header "$1/$n" 2>&1 | tr '\n' ' ')"
	done
}
mkdir -p "$WORK/wh.native/d"
chmod 777 "$WORK/wh.native/d"
setfacl -d -m "$DEFAULT" "$WORK/wh.native/d"
make_two "$WORK/wh.native/d"
NATIVE_WH=$(show_two "$WORK/wh.native/d")
expect "native: the default ACL's mask shows as the group bits" \
	"f 664 $NOBODY:$NOGROUP" "$(echo "$NATIVE_WH" | grep '^f ' | cut -d' ' -f1-3)"
mkdir -p "$WORK/wh.lower/d/sub" "$WORK/wh.upper" "$WORK/wh.work"
: >"$WORK/wh.lower/d/f"
chmod 777 "$WORK/wh.lower/d"
setfacl -d -m "$DEFAULT" "$WORK/wh.lower/d"
echo secret >"$WORK/wh.lower/private"
chmod 600 "$WORK/wh.lower/private"
setfacl -m "u:$NOBODY:r" "$WORK/wh.lower/private"
LOWER_ACL=$(getfacl -n -p --omit-header "$WORK/wh.lower/private")
start_ovl "$WORK/wh" "lowerdir=$WORK/wh.lower,upperdir=$WORK/wh.upper,workdir=$WORK/wh.work,allow_other"
rm "$WORK/wh/d/f" && rmdir "$WORK/wh/d/sub"
check "overlay: removing lower names left whiteouts" \
	test -c "$WORK/wh.upper/d/f" -a -c "$WORK/wh.upper/d/sub"
make_two "$WORK/wh/d"
expect "overlay: made over whiteouts, as natively" "$NATIVE_WH" "$(show_two "$WORK/wh/d")"
reads() { setpriv --reuid="$NOBODY" --regid="$NOGROUP" --clear-groups -- cat "$1" 2>&1; }
expect "overlay: a lower file's named entry lets nobody read it" "secret" \
	"$(reads "$WORK/wh/private")"
echo more >>"$WORK/wh/private"
check "overlay: an append copied the file up" test -f "$WORK/wh.upper/private"
expect "overlay: the copy keeps the ACL" "$LOWER_ACL" \
	"$(getfacl -n -p --omit-header "$WORK/wh/private" 2>&1)"
expect "overlay: ... on the upper layer too" "$LOWER_ACL" \
	"$(getfacl -n -p --omit-header "$WORK/wh.upper/private" 2>&1)"
expect "overlay: and it still lets nobody read" "secret
more" "$(reads "$WORK/wh/private")"
stop_daemon "$WORK/wh" "$DPID"

# -o noacl: the kernel does not apply ACLs (they pass as xattrs): the
# named entry gives nobody nothing, and the umask applies under a
# default ACL, as without ACL support.
mkdir -p "$WORK/noacl.src"
start_pt "$WORK/noacl.src" "$WORK/noacl" -o allow_other,noacl
got=$(steps "$WORK/noacl")
expect "-o noacl: the named entry is not applied" \
	"private-with-entry read error 13" "$(echo "$got" | grep '^private-with-entry ')"
stop_daemon "$WORK/noacl" "$DPID"
finish
