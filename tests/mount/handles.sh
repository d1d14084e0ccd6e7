#!/bin/bash
# handles.sh — file handles through the passthrough (handles.py), as the
# native filesystem keeps them: taken with name_to_handle_at (plain,
# connectable, with the unique mount id) and decoded with
# open_by_handle_at while the kernel caches the files, after it dropped
# them (drop_caches: the daemon is asked for "." in a node id it may
# have forgotten), after an unmount and a new mount of the same SOURCE
# (handles saved in a file), and after a file was removed (ESTALE). A
# handle forged for a directory outside SOURCE must not open. In each
# inode mode; and -o noexport, whose handles do not outlive the daemon.
. "$(dirname "$0")/lib.sh"
require_fuse
HERE=$(dirname "$0")
PY=/usr/bin/python3
H() { "$PY" "$HERE/handles.py" "$@" 2>&1; }
drop_caches() { sync; echo 2 >/proc/sys/vm/drop_caches; sleep 0.2; echo 2 >/proc/sys/vm/drop_caches; }

ALL="d ok f,sub
d/sub ok 
d/f ok d/f
g ok g
d/f (connectable) ok d/f at d/f"
WITHOUT_G=$(echo "$ALL" | sed 's/^g ok g$/g error 116/')

# The native filesystem does the same, or the comparison proves nothing.
mkdir -p "$WORK/native"
expect "native: the unique mount id" "unique mount id matches statx" \
	"$(H save "$WORK/native" "$WORK/native.json")"
expect "native: every handle opens" "$ALL" "$(H open "$WORK/native" "$WORK/native.json")"
drop_caches
expect "native: ... after drop_caches" "$ALL" "$(H open "$WORK/native" "$WORK/native.json")"
rm "$WORK/native/g"
expect "native: a removed file's handle: ESTALE" "$WITHOUT_G" \
	"$(H open "$WORK/native" "$WORK/native.json")"
mkdir -p "$WORK/outside"

for opts in "" inode=handle inode=lazy hold=dirs nopassthrough,noio_uring; do
	tag=pt-$(echo "${opts:-default}" | tr ',=' '__')
	label="passthrough -o ${opts:-(defaults)}"
	mkdir -p "$WORK/$tag.src"
	start_pt "$WORK/$tag.src" "$WORK/$tag" ${opts:+-o "$opts"}
	expect "$label: the unique mount id" "unique mount id matches statx" \
		"$(H save "$WORK/$tag" "$WORK/$tag.json")"
	expect "$label: every handle opens" "$ALL" "$(H open "$WORK/$tag" "$WORK/$tag.json")"
	drop_caches
	expect "$label: ... after drop_caches" "$ALL" "$(H open "$WORK/$tag" "$WORK/$tag.json")"
	expect "$label: a forged handle of a directory outside SOURCE: ESTALE" \
		"forged error 116" "$(H forge "$WORK/$tag" "$WORK/outside")"
	stop_daemon "$WORK/$tag" "$DPID"
	start_pt "$WORK/$tag.src" "$WORK/$tag" ${opts:+-o "$opts"}
	expect "$label: ... in a new mount of the same SOURCE" "$ALL" \
		"$(H open "$WORK/$tag" "$WORK/$tag.json")"
	rm "$WORK/$tag/g"
	drop_caches
	expect "$label: a removed file's handle: ESTALE" "$WITHOUT_G" \
		"$(H open "$WORK/$tag" "$WORK/$tag.json")"
	stop_daemon "$WORK/$tag" "$DPID"
done

# -o noexport: node ids counted, so a handle from another daemon names
# nothing (never another file).
mkdir -p "$WORK/noexport.src"
start_pt "$WORK/noexport.src" "$WORK/noexport" -o noexport
H save "$WORK/noexport" "$WORK/noexport.json" >/dev/null
expect "-o noexport: every handle opens while cached" "$ALL" \
	"$(H open "$WORK/noexport" "$WORK/noexport.json")"
stop_daemon "$WORK/noexport" "$DPID"
start_pt "$WORK/noexport.src" "$WORK/noexport" -o noexport
expect "-o noexport: none in a new mount" "$(echo "$ALL" | sed 's/ ok .*/ error 116/')" \
	"$(H open "$WORK/noexport" "$WORK/noexport.json")"
stop_daemon "$WORK/noexport" "$DPID"
finish
