#!/bin/bash
# ovl_soak.sh — the data-integrity soak (tests/soak/fk_soak.c) through the
# writable overlay, on mixed files: two of its four files start in the
# lower layer (one with data, one sparse) and are copied up by the first
# change, two are made in the upper layer. Every step is checked against
# the model; afterwards the upper layer holds the same bytes as the mount
# shows, and the lower layer is unchanged. FK_SOAK_OPS sets the length
# (default 100000 operations).
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
finish
