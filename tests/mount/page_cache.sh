#!/bin/bash
# page_cache.sh — what the kernel keeps of a file's data across opens,
# through the daemon (-o nopassthrough), for the passthrough, the overlay
# and the union in each cache mode (fk_cache_keep.h):
#   auto     kept while the file is unchanged; dropped when the host
#            changed its contents (mtime, or only ctime when mtime was put
#            back, or size) since the last open, so the next open reads
#            what the host wrote (close-to-open);
#   always   kept (the user promised that nothing changes underneath);
#   metadata, never   never cached (direct I/O).
# fincore(1) counts a file's pages in the kernel's cache; it opens the
# file itself, so what it shows is what an open left.
. "$(dirname "$0")/lib.sh"
require_fuse
command -v fincore >/dev/null || { echo "SKIP: needs fincore (util-linux-extra)"; exit 77; }

cached() { fincore -b -n -o RES "$1" | tr -d ' '; }

# check_mode LABEL MNT_FILE HOST_FILE MODE: the rules above for one file,
# the host's copy being HOST_FILE.
check_mode() {
	local label=$1 f=$2 host=$3 mode=$4 kept
	head -c 1M /dev/urandom > "$WORK/data"
	cat "$WORK/data" > "$host"
	sleep 0.01
	cmp -s "$WORK/data" "$f" || bad "$label: reads what the host has"
	kept=$(cached "$f")
	case $mode in
	auto | always) expect "$label: read, then opened again, the pages stay" 1048576 "$kept" ;;
	*) expect "$label: nothing cached" 0 "$kept" ;;
	esac
	# The host changes the contents in place: same size, new mtime.
	printf 'host was here' | dd of="$host" conv=notrunc status=none
	if [ "$mode" = always ]; then
		expect "$label: the pages stay after a change underneath" 1048576 "$(cached "$f")"
		return
	fi
	expect "$label: a change underneath drops them at the next open" 0 "$(cached "$f")"
	expect "$label: which reads the host's bytes" "host was here" "$(head -c 13 "$f")"
	[ "$mode" = auto ] || return 0
	cat "$f" >/dev/null
	expect "$label: read again, kept again" 1048576 "$(cached "$f")"
	# mtime put back as it was: ctime still tells.
	local m
	m=$(stat -c %y "$host")
	printf 'again' | dd of="$host" conv=notrunc status=none
	touch -d "$m" "$host"
	expect "$label: a change with mtime put back is seen too" "again" "$(head -c 5 "$f")"
	# The mount's own writes: read back right.
	printf 'mine' | dd of="$f" conv=notrunc status=none
	expect "$label: its own write reads back" "minen" "$(head -c 5 "$f")"
	expect "$label: and is on the host" "minen" "$(head -c 5 "$host")"
}

for mode in auto always metadata never; do
	mkdir -p "$WORK/src-$mode"
	touch "$WORK/src-$mode/f"
	start_pt "$WORK/src-$mode" "$WORK/pt-$mode" -o "nopassthrough,cache=$mode"
	check_mode "passthrough cache=$mode" "$WORK/pt-$mode/f" "$WORK/src-$mode/f" "$mode"
	stop_daemon "$WORK/pt-$mode" "$DPID"

	L=$WORK/l-$mode U=$WORK/u-$mode
	mkdir -p "$L" "$U" "$WORK/w-$mode"
	touch "$L/lower" "$U/upper"
	start_ovl "$WORK/ovl-$mode" "lowerdir=$L,upperdir=$U,workdir=$WORK/w-$mode,nopassthrough,cache=$mode"
	check_mode "overlay cache=$mode, upper file" "$WORK/ovl-$mode/upper" "$U/upper" "$mode"
	stop_daemon "$WORK/ovl-$mode" "$DPID"
done

# A lower file, changed underneath on its layer, then copied up by a write.
L=$WORK/l2 U=$WORK/u2
mkdir -p "$L" "$U" "$WORK/w2"
head -c 1M /dev/urandom > "$L/f"
start_ovl "$WORK/ovl2" "lowerdir=$L,upperdir=$U,workdir=$WORK/w2,nopassthrough"
cat "$WORK/ovl2/f" >/dev/null
expect "overlay: a lower file's pages stay" 1048576 "$(cached "$WORK/ovl2/f")"
printf 'lower changed' | dd of="$L/f" conv=notrunc status=none
expect "overlay: a lower file changed underneath reads anew" "lower changed" "$(head -c 13 "$WORK/ovl2/f")"
printf 'UP' | dd of="$WORK/ovl2/f" conv=notrunc status=none
expect "overlay: copied up by a write, it reads right" "UPwer changed" "$(head -c 13 "$WORK/ovl2/f")"
expect "overlay: and the copy is the upper's" "UPwer changed" "$(head -c 13 "$U/f")"
stop_daemon "$WORK/ovl2" "$DPID"

# The union (the overlay's code over branches).
mkdir -p "$WORK/b1" "$WORK/b2"
touch "$WORK/b2/f"
start_union "$WORK/un" "$WORK/b1:$WORK/b2" -o nopassthrough,minfreespace=0
check_mode "union cache=auto" "$WORK/un/f" "$WORK/b2/f" auto
stop_daemon "$WORK/un" "$DPID"
finish
