#!/bin/bash
# pt_soak.sh — the data-integrity soak (tests/soak/fk_soak.c) through
# `fusekit passthrough`: once with kernel passthrough, once with every read
# and write going through the daemon, and once so in lazy inode mode with
# a descriptor cap that makes it close and reopen files all the time. FK_SOAK_OPS sets the length (default
# 100000 operations per run); afterwards the source holds the same bytes.
. "$(dirname "$0")/lib.sh"
require_fuse
SOAK=${4:?fk_soak binary}
OPS=${FK_SOAK_OPS:-100000}
BASE=$WORK
[ -d /dev/shm ] && BASE=$(mktemp -d /dev/shm/fk-soak.XXXXXX)
trap 'rm -rf "$BASE"; cleanup' EXIT

for mode in passthrough nopassthrough inode=lazy,fd_cap=4,nopassthrough; do
	tag=${mode//[=,]/_}
	S=$BASE/src-$tag
	M=$WORK/mnt-$tag
	mkdir -p "$S" "$M"
	MOUNTS+=("$M")
	"$FUSEKIT" passthrough -f -o "$mode" "$S" "$M" 2>"$WORK/$tag.log" &
	PID=$!
	track_daemon "$PID" "$M"
	wait_mounted "$M" || { bad "$mode: no mount"; cat "$WORK/$tag.log"; continue; }
	if "$SOAK" "$M" "$OPS" 11 > "$WORK/soak-$tag.out" 2>&1; then
		ok "$mode: $(grep '^soak:' "$WORK/soak-$tag.out")"
	else
		bad "$mode: $(tail -3 "$WORK/soak-$tag.out")"
	fi
	sums=$(cd "$S" && md5sum soak-* 2>/dev/null)
	check "$mode: the soak left its files in the source" test -n "$sums"
	expect "$mode: the source holds the same bytes" \
		"$(cd "$M" && md5sum soak-* 2>/dev/null)" "$sums"
	stop_daemon "$M" "$PID"
	expect "$mode: daemon exits 0" 0 "$?"
done
finish
