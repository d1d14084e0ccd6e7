#!/bin/bash
# splice.sh — READ replies over /dev/fuse, spliced (the default, and
# -o splice) and copied (-o nosplice), through the passthrough and the overlay: every byte read
# through the mount is the file's, at every size and offset, by the page
# cache and with O_DIRECT, from a sparse file, at the end of a file and
# past it, from a file shortened behind the mount's back; and splice is
# what served them (-o trace marks spliced replies) or not.
. "$(dirname "$0")/lib.sh"
require_fuse

S=$WORK/src
mkdir -p "$S"
SIZES="0 1 4095 4096 4097 65536 100000 1048576 1052673 3145728"
for n in $SIZES; do head -c "$n" /dev/urandom >"$S/f$n"; done
truncate -s 2M "$S/sparse"
: >"$S/shrinks" # (made here: a name the overlay's listings know)
printf 'middle' | dd of="$S/sparse" bs=1 seek=1000000 conv=notrunc status=none

# same_bytes LABEL FILE_THROUGH_MOUNT FILE: identical contents
same_bytes() {
	if cmp -s "$2" "$3"; then ok "$1"; else bad "$1: $(cmp "$2" "$3" 2>&1 | head -1)"; fi
}

# reads MNT LABEL: every file read cold through MNT, by the page cache and
# with O_DIRECT, and pieces at odd offsets, must be the source's.
reads() {
	local m=$1 label=$2 n
	sync
	echo 3 >/proc/sys/vm/drop_caches
	for n in $SIZES; do same_bytes "$label: f$n read whole" "$m/f$n" "$S/f$n"; done
	same_bytes "$label: a sparse file" "$m/sparse" "$S/sparse"
	dd if="$m/f3145728" of="$WORK/direct" bs=1M iflag=direct status=none
	same_bytes "$label: f3145728 read with O_DIRECT, 1 MiB at a time" "$WORK/direct" "$S/f3145728"
	# (offset, length): the length read and whether the bytes match
	"$PY" - "$S/f1052673" "$m/f1052673" >"$WORK/pieces" <<'EOF'
import sys
a, b = open(sys.argv[1], 'rb'), open(sys.argv[2], 'rb')
for off, n in [(12345, 300000), (4095, 2), (1048575, 9000), (1052600, 4096), (2000000, 10)]:
    a.seek(off); b.seek(off)
    x, y = a.read(n), b.read(n)
    print(len(y), 'same' if x == y else 'differ')
EOF
	expect "$label: pieces at odd offsets, and past the end" \
		"300000 same 2 same 4098 same 73 same 0 same" "$(echo $(cat "$WORK/pieces"))"
	# Shortened behind the mount: the kernel still takes it for 512 KiB
	# long; the daemon's reply is short, and what the file has is read.
	head -c 524288 /dev/urandom >"$S/shrinks"
	cat "$m/shrinks" >/dev/null
	truncate -s 5000 "$S/shrinks"
	dd if="$m/shrinks" of="$WORK/shrunk" bs=512K iflag=direct status=none
	same_bytes "$label: a file shortened behind the mount reads what it has" \
		"$WORK/shrunk" "$S/shrinks"
}

# spliced LOG: how many replies the daemon spliced (-o trace)
spliced() { grep -c '(spliced)$' "$1"; }

# splice is the default: no option asks for it.
for mode in default nosplice; do
	opts=noio_uring,nopassthrough,trace
	[ $mode = nosplice ] && opts=$opts,nosplice
	start_pt "$S" "$WORK/pt-$mode" -o "$opts"
	reads "$WORK/pt-$mode" "passthrough, $mode"
	stop_daemon "$WORK/pt-$mode" "$DPID"
	LOG=$WORK/pt.pt-$mode.log
	if [ $mode = default ]; then
		expect "by default, read replies were spliced" 1 "$(( $(spliced "$LOG") > 20 ))"
		expect "and a page or less was not: the small files' replies were copied" 1 \
			"$(( $(grep -c 'error=0 len=4111$' "$LOG") > 0 ))"
	else
		expect "-o nosplice: none was" 0 "$(spliced "$LOG")"
	fi
done

# The overlay: reads of a lower file, and of a file copied up.
U=$WORK/upper W=$WORK/ovlwork
mkdir -p "$U" "$W"
: >"$WORK/ovl.log"
start_ovl "$WORK/ovl" "lowerdir=$S,upperdir=$U,workdir=$W,noio_uring,nopassthrough,splice,trace"
reads "$WORK/ovl" "overlay, splice"
echo appended >>"$WORK/ovl/f100000"
cat "$S/f100000" >"$WORK/want" && echo appended >>"$WORK/want"
sync
echo 3 >/proc/sys/vm/drop_caches
same_bytes "overlay, splice: a copied-up file" "$WORK/ovl/f100000" "$WORK/want"
stop_daemon "$WORK/ovl" "$DPID"
expect "overlay, -o splice: read replies were spliced" 1 \
	"$(( $(spliced "$WORK/ovl.log") > 20 ))"
finish
