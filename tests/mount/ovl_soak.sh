#!/bin/bash
# ovl_soak.sh — the data-integrity soak (tests/soak/fk_soak.c) through the
# writable overlay, on mixed files: two of its four files start in the
# lower layer (one with data, one sparse) and are copied up by the first
# change, two are made in the upper layer. Every step is checked against
# the model; afterwards the upper layer holds the same bytes as the mount
# shows, and the lower layer is unchanged. Then a quarter of that through
# a union with -o cow of two RW branches and one RO branch: one file
# starts on the RO branch (copied up by its first change), one on an RW
# branch, two are made where category.create=rand puts them; the RW
# branches hold what the mount showed, the RO one is unchanged. FK_SOAK_OPS sets the length (default 100000 operations).
. "$(dirname "$0")/lib.sh"
require_fuse
SOAK=${4:?fk_soak binary}
OPS=${FK_SOAK_OPS:-100000}
L=$WORK/lower U=$WORK/upper W=$WORK/work M=$WORK/mnt
mkdir -p "$L" "$U" "$W"
head -c 300000 /dev/urandom >"$L/soak-0"
truncate -s 800000 "$L/soak-1"
head -c 5000 /dev/urandom | dd of="$L/soak-1" bs=1 seek=400000 conv=notrunc status=none
lower_sums=$(cd "$L" && md5sum soak-*)

start_ovl "$M" "lowerdir=$L,upperdir=$U,workdir=$W"
if "$SOAK" -k "$M" "$OPS" 13 >"$WORK/soak.out" 2>&1; then
	ok "$(grep '^soak:' "$WORK/soak.out") (2 copied up, 2 upper-only)"
else
	bad "soak: $(tail -3 "$WORK/soak.out")"
fi
sums=$(cd "$M" && md5sum soak-*)
stop_daemon "$M" "$DPID"
expect "daemon exits 0" 0 "$?"
expect "the upper layer holds what the mount showed" "$sums" "$(cd "$U" && md5sum soak-*)"
expect "the lower layer is unchanged" "$lower_sums" "$(cd "$L" && md5sum soak-*)"

A=$WORK/ua B=$WORK/ub R=$WORK/ur UM=$WORK/umnt
mkdir -p "$A" "$B" "$R" "$UM"
head -c 200000 /dev/urandom >"$R/soak-0"
head -c 100000 /dev/urandom >"$B/soak-1"
ro_sum=$(md5sum <"$R/soak-0")
MOUNTS+=("$UM")
"$FUSEKIT" union -f -o cow,category.create=rand,minfreespace=0 "$A:$B:$R=RO" "$UM" \
	2>"$WORK/union.log" &
DPID=$!
track_daemon "$DPID" "$UM"
wait_mounted "$UM" || { bad "union mount: $(cat "$WORK/union.log")"; finish; }
if "$SOAK" -k "$UM" $((OPS / 4)) 17 >"$WORK/usoak.out" 2>&1; then
	ok "union: $(grep '^soak:' "$WORK/usoak.out")"
else
	bad "union soak: $(tail -3 "$WORK/usoak.out")"
fi
sums=$(cd "$UM" && md5sum soak-*)
stop_daemon "$UM" "$DPID"
expect "union: daemon exits 0" 0 "$?"
expect "union: the branches hold what the mount showed" "$sums" \
	"$( (cd "$A" && md5sum soak-* 2>/dev/null; cd "$B" && md5sum soak-* 2>/dev/null) |
		sort -k2)"
expect "union: the RO branch's file is unchanged (copied up)" "$ro_sum" \
	"$(md5sum <"$R/soak-0")"
finish
