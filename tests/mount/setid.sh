#!/bin/bash
# setid.sh — set-id bits after a change by an unprivileged writer, as the
# native filesystem leaves them (Linux >= 6.2: set-group-ID goes also
# without group execute when the writer is outside the file's group):
# write, truncate, ftruncate, fallocate (allocate, keep size, punch hole,
# zero range) and copy_file_range, by nobody with and without the file's
# group as a supplementary group, on files 2666 2676 4666 6666 6766 2777
# of group root, nobody's group and another (setid.py). Through the
# passthrough in each inode mode, with kernel passthrough and without,
# over both transports, and through the overlay (the files made in its
# upper layer, and copied up from the lower one), and the union.
. "$(dirname "$0")/lib.sh"
require_fuse
HERE=$(dirname "$0")
PY=/usr/bin/python3
NOBODY=$(id -u nobody) NOGROUP=$(getent group nogroup | cut -d: -f3)

steps() { # DIR WHO: setid.py's lines, or its failure
	"$PY" "$HERE/setid.py" "$1" "$2" 2>&1 || echo "setid.py failed in $1"
}
writers=("$NOBODY:$NOGROUP" "$NOBODY:$NOGROUP:4242")

mkdir -p "$WORK/native"
chmod 777 "$WORK/native"
declare -A NATIVE
for w in "${writers[@]}"; do
	rm -rf "$WORK/native"/*
	NATIVE[$w]=$(steps "$WORK/native" "$w")
done
# The native results must show the rule itself, or comparing with them
# proves nothing: set-group-ID without group execute dropped for a writer
# outside the group, kept for one inside.
w=${writers[0]}
expect "native: 2666 of group root loses set-group-ID by nobody's write" \
	"write-2666-g0 666" "$(echo "${NATIVE[$w]}" | grep '^write-2666-g0 ')"
expect "native: 2666 of nobody's group keeps it" \
	"write-2666-g$NOGROUP 2666" "$(echo "${NATIVE[$w]}" | grep "^write-2666-g$NOGROUP ")"
w=${writers[1]}
expect "native: 2666 of a supplementary group keeps it" \
	"falloc-punch-2666-g4242 2666" "$(echo "${NATIVE[$w]}" | grep '^falloc-punch-2666-g4242 ')"

compare() { # LABEL MNT: every writer's steps through MNT as natively
	local w
	for w in "${writers[@]}"; do
		rm -rf "${2:?}"/*
		local got
		got=$(steps "$2" "$w")
		if [ "$got" = "${NATIVE[$w]}" ]; then
			ok "$1, writer $w: as native ($(echo "$got" | wc -l) cases)"
		else
			bad "$1, writer $w: differs from native (- native, + mount)"
			diff <(echo "${NATIVE[$w]}") <(echo "$got") | grep '^[<>]' | head -12
		fi
	done
}

for opts in "" nopassthrough nopassthrough,noio_uring inode=lazy inode=handle,nopassthrough; do
	tag=pt-$(echo "${opts:-default}" | tr ',=' '__')
	mkdir -p "$WORK/$tag.src"
	chmod 777 "$WORK/$tag.src"
	start_pt "$WORK/$tag.src" "$WORK/$tag" -o "allow_other${opts:+,$opts}"
	compare "passthrough -o ${opts:-(defaults)}" "$WORK/$tag"
	stop_daemon "$WORK/$tag" "$DPID"
done

for opts in "" nopassthrough; do
	tag=ovl-$(echo "${opts:-default}" | tr ',=' '__')
	mkdir -p "$WORK/$tag.lower" "$WORK/$tag.upper" "$WORK/$tag.work"
	chmod 777 "$WORK/$tag.upper"
	start_ovl "$WORK/$tag" "lowerdir=$WORK/$tag.lower,upperdir=$WORK/$tag.upper,workdir=$WORK/$tag.work,allow_other${opts:+,$opts}"
	compare "overlay -o ${opts:-(defaults)}" "$WORK/$tag"
	stop_daemon "$WORK/$tag" "$DPID"
done

# The union, over two branches (its write paths are the overlay's).
mkdir -p "$WORK/un.a" "$WORK/un.b"
chmod 777 "$WORK/un.a" "$WORK/un.b"
start_union "$WORK/un" "$WORK/un.a:$WORK/un.b" -o allow_other,minfreespace=1M
compare "union" "$WORK/un"
stop_daemon "$WORK/un" "$DPID"

# Copied up: the files made in the lower layer, then changed through
# the overlay (setid.py makes them through the mount, so the steps are
# replayed by hand for the one case that copies up).
mkdir -p "$WORK/cu.lower" "$WORK/cu.upper" "$WORK/cu.work"
printf 'd%.0s' $(seq 8192) >"$WORK/cu.lower/f"
chmod 2666 "$WORK/cu.lower/f"
chmod 777 "$WORK/cu.lower"
start_ovl "$WORK/cu" "lowerdir=$WORK/cu.lower,upperdir=$WORK/cu.upper,workdir=$WORK/cu.work,allow_other"
setpriv --reuid="$NOBODY" --regid="$NOGROUP" --clear-groups -- \
	"$PY" -c 'import os,sys; os.pwrite(os.open(sys.argv[1], os.O_WRONLY), b"x", 1)' "$WORK/cu/f"
expect "overlay: a lower 2666 file of group root, written by nobody (copy-up): 666" \
	"666" "$(stat -c %a "$WORK/cu/f")"
stop_daemon "$WORK/cu" "$DPID"
finish
