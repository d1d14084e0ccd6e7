#!/bin/bash
# ovl_crash.sh — copy-up is atomic: the daemon is killed (SIGKILL) while it
# copies up a large file, at several moments; every time, the upper
# directory holds either no copy or the complete one, and a remount shows
# the lower file or the complete copy (with the write that caused it),
# never a part. At least one kill must land in the middle of a copy (a
# staged file in the work directory), or the test proves nothing.
. "$(dirname "$0")/lib.sh"
require_fuse

L=$WORK/lower U=$WORK/upper W=$WORK/work M=$WORK/mnt
mkdir -p "$L" "$U" "$W" "$M"
# 384 MiB of non-zero data: a partial copy cannot pass for a whole one.
yes 'fusekit copy-up crash test' | head -c $((384 << 20)) >"$L/big"
lower_sum=$(md5sum <"$L/big")
SIZE=$(stat -c %s "$L/big")

mount_ovl() { start_ovl "$M" "lowerdir=$L,upperdir=$U,workdir=$W"; }

mid_copy=0
for delay in 0.02 0.05 0.1 0.2 0.4 0.8; do
	mount_ovl
	# Opening for writing copies the file up; the byte goes to the copy.
	printf X | dd of="$M/big" bs=1 seek=100 conv=notrunc status=none 2>/dev/null &
	writer=$!
	sleep "$delay"
	kill -9 "$DPID"
	wait "$DPID" 2>/dev/null
	umount -l "$M" 2>/dev/null || fusermount3 -u -z "$M" 2>/dev/null
	wait "$writer" 2>/dev/null
	staged=$(find "$W/work" -mindepth 1 -type f | wc -l)
	[ "$staged" -gt 0 ] && mid_copy=$((mid_copy + 1))
	if [ -e "$U/big" ]; then
		got=$(stat -c %s "$U/big")
		expect "killed after ${delay}s: the upper copy is whole" "$SIZE" "$got"
	else
		ok "killed after ${delay}s: no upper copy (staged files: $staged)"
	fi
	mount_ovl
	sum=$(md5sum <"$M/big")
	if [ "$sum" = "$lower_sum" ]; then
		ok "remounted: the lower file"
	elif [ "$(head -c 100 "$M/big" | md5sum)" = "$(head -c 100 "$L/big" | md5sum)" ] &&
		[ "$(tail -c +102 "$M/big" | md5sum)" = "$(tail -c +102 "$L/big" | md5sum)" ] &&
		[ "$(dd if="$M/big" bs=1 skip=100 count=1 status=none)" = X ]; then
		ok "remounted: the complete copy with the write"
	else
		bad "remounted after ${delay}s: neither the lower file nor the complete copy"
	fi
	expect "the work directory was emptied at mount" 0 \
		"$(find "$W/work" -mindepth 1 | wc -l)"
	stop_daemon "$M" "$DPID"
	rm -f "$U/big" # the next round copies up again
done
if [ "$mid_copy" -gt 0 ]; then
	ok "$mid_copy of 6 kills landed in the middle of a copy-up"
else
	bad "no kill landed in the middle of a copy-up: the test proved nothing"
fi
finish
