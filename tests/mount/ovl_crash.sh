#!/bin/bash
# ovl_crash.sh — copy-up is atomic: the daemon is killed (SIGKILL) while it
# copies up a large file, at several moments; every time, the upper
# directory holds either no copy or the complete one, and a remount shows
# the lower file or the complete copy (with the write that caused it),
# never a part. At least one kill must land in the middle of a copy (a
# staged file in the work directory), or the test proves nothing. And
# while a large file is copied up, other requests are answered.
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
	forget_daemon "$DPID" # killed on purpose
	kill -9 "$DPID"
	wait "$DPID" 2>/dev/null
	# The writer first: on the dead mount it fails at once (ENOTCONN);
	# after the unmount, a writer the load had delayed would make big
	# in the bare mount point.
	wait "$writer" 2>/dev/null
	umount -l "$M" 2>/dev/null || fusermount3 -u -z "$M" 2>/dev/null
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
# A copy-up of a large file does not stop the mount: while it copies,
# other requests are answered.
echo small >"$L/small"
mount_ovl
printf X | dd of="$M/big" bs=1 seek=100 conv=notrunc status=none 2>/dev/null &
writer=$!
for _ in $(seq 500); do
	[ -n "$(find "$W/work" -mindepth 1 -type f)" ] && break
	sleep 0.01
done
listing=$(ls "$M")
small=$(cat "$M/small")
if kill -0 "$writer" 2>/dev/null; then
	ok "during a copy-up, ls and cat of other files are answered"
	expect "and answered right" "big small: small" "$(echo $listing): $small"
else
	bad "ls and cat waited for the copy-up to finish"
fi
wait "$writer"
expect "the copy-up completed" "$SIZE" "$(stat -c %s "$U/big")"
stop_daemon "$M" "$DPID"

# Two writers copy the same file up at once: one copy stands, and both
# writes land in it.
rm -f "$U/big"
mount_ovl
printf Y | dd of="$M/big" bs=1 seek=200 conv=notrunc status=none &
w1=$!
printf Z | dd of="$M/big" bs=1 seek=300 conv=notrunc status=none &
w2=$!
wait "$w1"; r1=$?
wait "$w2"; r2=$?
expect "both writers succeeded" "0 0" "$r1 $r2"
expect "both writes are in the one copy" "YZ" \
	"$(dd if="$M/big" bs=1 skip=200 count=1 status=none)$(dd if="$M/big" bs=1 skip=300 count=1 status=none)"
expect "the rest is the lower file's" "$(head -c 200 "$L/big" | md5sum)" \
	"$(head -c 200 "$M/big" | md5sum)"
stop_daemon "$M" "$DPID"
expect "no staged copy is left" 0 "$(find "$W/work" -mindepth 1 | wc -l)"

if [ "$mid_copy" -gt 0 ]; then
	ok "$mid_copy of 6 kills landed in the middle of a copy-up"
else
	bad "no kill landed in the middle of a copy-up: the test proved nothing"
fi
finish
