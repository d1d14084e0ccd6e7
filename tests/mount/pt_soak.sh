#!/bin/bash
# pt_soak.sh — the data-integrity soak (tests/soak/fk_soak.c) through
# `fusekit passthrough`: once with kernel passthrough, once with every read
# and write going through the daemon. FK_SOAK_OPS sets the length (default
# 100000 operations per run); afterwards the source holds the same bytes.
. "$(dirname "$0")/lib.sh"
require_fuse
SOAK=${4:?fk_soak binary}
OPS=${FK_SOAK_OPS:-100000}
BASE=$WORK
[ -d /dev/shm ] && BASE=$(mktemp -d /dev/shm/fk-soak.XXXXXX)
trap 'rm -rf "$BASE"; cleanup' EXIT

for mode in passthrough nopassthrough; do
	S=$BASE/src-$mode
	M=$WORK/mnt-$mode
	mkdir -p "$S" "$M"
	MOUNTS+=("$M")
	"$FUSEKIT" passthrough -f -o "$mode" "$S" "$M" 2>"$WORK/$mode.log" &
	PID=$!
	DAEMON_PIDS+=("$PID")
	wait_mounted "$M" || { bad "$mode: no mount"; cat "$WORK/$mode.log"; continue; }
	if "$SOAK" "$M" "$OPS" 11 > "$WORK/soak-$mode.out" 2>&1; then
		ok "$mode: $(grep '^soak:' "$WORK/soak-$mode.out")"
	else
		bad "$mode: $(tail -3 "$WORK/soak-$mode.out")"
	fi
	expect "$mode: the source holds the same bytes" \
		"$(cd "$M" && md5sum soak-* )" "$(cd "$S" && md5sum soak-*)"
	"$FUSEKIT" umount "$M"
	wait_gone "$PID"
	wait "$PID"
	expect "$mode: daemon exits 0" 0 "$?"
done
finish
