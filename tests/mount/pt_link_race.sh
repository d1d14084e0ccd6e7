#!/bin/bash
# pt_link_race.sh — a file with several names, looked up by each in turn
# while other requests use it, in every inode mode: in the modes that
# reach files by name, each lookup gives the node another name, and an
# operation using the old one must not read freed memory (it did: the
# lazy-mode daemon died in libc under load; the ASan build shows the
# use-after-free at once). The daemon must live and every call succeed.
. "$(dirname "$0")/lib.sh"
require_fuse
SECONDS_EACH=${FK_RACE_SECONDS:-4}
for opts in inode=lazy,fd_cap=64 inode=handle,hold=dirs,fd_cap=8 inode=handle inode=fd; do
	tag=$(echo "$opts" | tr -c 'a-z0-9\n' _)
	mkdir -p "$WORK/src-$tag"
	start_pt "$WORK/src-$tag" "$WORK/m-$tag" -o "$opts,entry_timeout=0,attr_timeout=0"
	out=$("$PY" "$(dirname "$0")/link_race.py" "$WORK/m-$tag" "$SECONDS_EACH" 2>&1)
	expect "$opts: every lookup and change succeeded" "errors {}" "$out"
	stop_daemon "$WORK/m-$tag" "$DPID"
done
finish
