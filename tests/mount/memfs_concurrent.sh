#!/bin/bash
# memfs_concurrent.sh — several clients at once on one mount (4 worker
# threads): parallel writers and readers with checksums, parallel
# create/rename/delete storms, a reader listing all the while. Nothing may
# be lost, torn, or left behind.
. "$(dirname "$0")/lib.sh"
require_fuse

M=$WORK/mnt
start_memfs "$M" -o threads=4
PID=$DPID

writer() { # N: write 20 files of varied sizes, record checksums
	local n=$1
	mkdir -p "$M/w$n"
	for i in $(seq 20); do
		head -c $(( (n * 7919 + i * 104729) % 3000000 + 1 )) /dev/urandom > "$WORK/in.$n.$i"
		dd if="$WORK/in.$n.$i" of="$M/w$n/f$i" bs=64k 2>/dev/null
		md5sum < "$WORK/in.$n.$i" > "$WORK/sum.$n.$i"
	done
}

churner() { # N: create, rename, delete in a loop
	local n=$1
	mkdir -p "$M/c$n"
	for i in $(seq 200); do
		echo "$i" > "$M/c$n/tmp"
		mv "$M/c$n/tmp" "$M/c$n/k$((i % 10))"
		[ $((i % 3)) = 0 ] && rm -f "$M/c$n/k$((i % 10))"
	done
	echo done > "$M/c$n/finished"
}

lister() {
	while [ ! -e "$WORK/stop" ]; do
		ls -lR "$M" > /dev/null 2>&1
	done
}

lister &
LP=$!
pids=()
for n in 1 2 3 4; do writer $n & pids+=($!); done
for n in 1 2 3 4; do churner $n & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
touch "$WORK/stop"
wait $LP

bad_sums=0
for n in 1 2 3 4; do
	for i in $(seq 20); do
		got=$(md5sum < "$M/w$n/f$i")
		[ "$got" == "$(cat "$WORK/sum.$n.$i")" ] || bad_sums=$((bad_sums + 1))
	done
done
expect "80 files written in parallel read back intact" 0 "$bad_sums"
for n in 1 2 3 4; do
	expect "churner $n finished" done "$(cat "$M/c$n/finished")"
	expect "churner $n leaves 7 names" 7 "$(ls "$M/c$n" | grep -c '^k')"
done

# Parallel readers of one file see the same bytes.
head -c 8000000 /dev/urandom > "$WORK/big"
cp "$WORK/big" "$M/big"
want=$(md5sum < "$WORK/big")
rp=()
for n in 1 2 3 4 5 6; do (md5sum < "$M/big" > "$WORK/r$n") & rp+=($!); done
for p in "${rp[@]}"; do wait "$p"; done
same=0
for n in 1 2 3 4 5 6; do [ "$(cat "$WORK/r$n")" == "$want" ] && same=$((same + 1)); done
expect "6 parallel readers agree" 6 "$same"

stop_daemon "$M" "$PID"
expect "daemon exits 0" 0 "$?"
finish
