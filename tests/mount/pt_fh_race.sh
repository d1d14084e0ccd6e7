#!/bin/bash
# pt_fh_race.sh — requests on an open file racing its release: six
# clients open, fstat, ftruncate and close the same three files
# (fh_race.py) through the passthrough in every inode mode. Until
# c39b288 getattr and setattr through an open file answered before they
# unpinned its descriptor; the kernel may release the file as soon as it
# has the answer, and another worker freed it under the unpin: the daemon
# segfaulted in malloc (the kernel log's "segfault ... in libc.so.6" of
# the fuzzer's first runs). This reproduces that within seconds on the
# old code. Every daemon must live and exit 0, and no client see an
# error.
. "$(dirname "$0")/lib.sh"
require_fuse
HERE=$(cd "$(dirname "$0")" && pwd)
SECS=${FK_STORM_SECONDS:-4}

for opts in inode=fd inode=lazy,fd_cap=3 inode=handle,fd_cap=3 inode=handle,hold=dirs,fd_cap=3; do
	tag=$(echo "$opts" | tr -c 'a-z0-9\n' _)
	mkdir -p "$WORK/s-$tag"
	start_pt "$WORK/s-$tag" "$WORK/m-$tag" -o "$opts"
	pids=()
	for i in 1 2 3 4 5 6; do
		"$PY" "$HERE/fh_race.py" "$WORK/m-$tag" "$SECS" >"$WORK/c$i.out" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"
	ops=$(cat "$WORK"/c*.out | awk '/^ops/ { s += $2 } END { print s + 0 }')
	errors=$(cat "$WORK"/c*.out | awk '/^ops/ { s += $4 } END { print s + 0 }')
	expect "$opts: $ops open/fstat/ftruncate/close rounds, no error" 0 "$errors"
	[ "$errors" = 0 ] || grep -h '^error:' "$WORK"/c*.out | sort | uniq -c | head -3
	check "$opts: every client ran to its end" test "$(grep -c '^ops' "$WORK"/c*.out | awk -F: '{ s += $2 } END { print s }')" = 6
	stop_daemon "$WORK/m-$tag" "$DPID"
done
finish
