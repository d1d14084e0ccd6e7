#!/bin/bash
# escape.sh — a host process swaps a directory of SOURCE (of each overlay
# layer) for a relative symlink to a directory outside, and back, in a
# tight loop,
# while clients read, list, write and stat through the mount. A canary
# outside is watched (inotify, its atime, its content): nothing is ever
# read, written or listed there through the mount, and no client ever
# sees its content. Passthrough in every inode mode, and the overlay.
. "$(dirname "$0")/lib.sh"
require_fuse
HERE=$(cd "$(dirname "$0")" && pwd)
SECS=${FK_ESCAPE_SECONDS:-4}

# The sources live two levels below WORK, the mounts one: the relative
# links the swapper makes lead to OUT from a source, and from a mount to
# a place that does not exist. A client that follows them through the
# mount never reaches OUT; only a daemon that followed them would.
NAME=canary-outside-$RANDOM$RANDOM
OUT=$WORK/$NAME
REL=../../$NAME
mkdir -p "$OUT/d" "$WORK/x"
SECRET="canary-$RANDOM$RANDOM"
for f in "$OUT/canary" "$OUT/d/canary"; do echo "$SECRET" >"$f"; done
# Read access shows in atime (relatime updates an atime older than mtime).
touch -a -d 2001-01-01 "$OUT/canary" "$OUT/d/canary"
ATIMES=$(stat -c %X "$OUT/canary" "$OUT/d/canary" | xargs)

# watch DIR... : inotify on the outside, in the background; events to a file.
"$PY" - "$WORK/inotify.log" "$OUT" "$OUT/d" <<'EOF' &
import ctypes, os, struct, sys, time
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init1(os.O_NONBLOCK)
mask = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x20 | 0x100 | 0x200  # access modify attrib close open create delete
names = {}
for p in sys.argv[2:]:
    names[libc.inotify_add_watch(fd, p.encode(), mask)] = p
with open(sys.argv[1], "w", buffering=1) as log:
    log.write("watching\n")
    while True:
        try:
            buf = os.read(fd, 4096)
        except BlockingIOError:
            time.sleep(0.01)
            continue
        at = 0
        while at < len(buf):
            wd, m, _, n = struct.unpack_from("iIII", buf, at)
            name = buf[at + 16:at + 16 + n].rstrip(b"\0").decode()
            log.write(f"{names.get(wd)} {name} {m:#x}\n")
            at += 16 + n
EOF
WATCHER=$!
for _ in $(seq 50); do grep -q watching "$WORK/inotify.log" 2>/dev/null && break; sleep 0.1; done

# swapper DIR: DIR/d becomes a symlink to the outside and back, until
# the flag file goes.
swapper() {
	local dir=$1
	while [ -e "$WORK/swapping" ]; do
		mv "$dir/d" "$dir/d.real" 2>/dev/null
		ln -s "$REL/d" "$dir/d" 2>/dev/null
		ln -sfn "$REL" "$dir/up" 2>/dev/null
		rm -f "$dir/d" "$dir/up"
		mv "$dir/d.real" "$dir/d" 2>/dev/null
	done
}

# clients MNT: read, list, stat and write under MNT/d and MNT/up.
clients() {
	local mnt=$1 i pids=()
	for i in 1 2 3 4; do
		(
			end=$((SECONDS + SECS))
			while [ $SECONDS -lt $end ]; do
				cat "$mnt/d/canary" "$mnt/d/f" "$mnt/up/canary" 2>/dev/null
				ls -la "$mnt/d" "$mnt/up" "$mnt/up/d" 2>/dev/null
				stat "$mnt/d/canary" "$mnt/up/d/canary" 2>/dev/null
				echo "w$i" 2>/dev/null >"$mnt/d/w$i"
				cat "$mnt/d/../d/f" 2>/dev/null
			done
		) >"$WORK/client$i.out" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"
}

# run LABEL MNT DIR: the swapper on DIR while the clients use MNT.
run() {
	local label=$1 mnt=$2 dir=$3
	: >"$WORK/swapping"
	swapper "$dir" &
	local sw=$!
	clients "$mnt"
	rm -f "$WORK/swapping"
	wait "$sw"
	mv "$dir/d.real" "$dir/d" 2>/dev/null # if the swapper stopped between
	expect "$label: no client saw the canary" 0 \
		"$(cat "$WORK"/client*.out | grep -c "$SECRET")"
	check "$label: the daemon serves on" serves "$mnt/d"
}

# serves DIR: DIR lists within 3 s. The overlay may answer a name the
# host just put back from a listing it checked less than the entry
# timeout (1 s) ago, as the kernel answers from a cached entry.
serves() {
	for _ in $(seq 30); do
		ls "$1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	ls "$1"
}

for opts in inode=fd inode=lazy,fd_cap=8 inode=handle inode=handle,hold=dirs; do
	tag=$(echo "$opts" | tr -c 'a-z0-9\n' _)
	S=$WORK/x/src-$tag
	mkdir -p "$S/d"
	echo inside >"$S/d/f"
	start_pt "$S" "$WORK/m-$tag" -o "$opts"
	run "passthrough $opts" "$WORK/m-$tag" "$S"
	stop_daemon "$WORK/m-$tag" "$DPID"
done

L=$WORK/x/lower U=$WORK/x/upper
mkdir -p "$L/d" "$U" "$WORK/ow"
echo inside >"$L/d/f"
start_ovl "$WORK/om" "lowerdir=$L,upperdir=$U,workdir=$WORK/ow"
run "overlay, the lower swapped" "$WORK/om" "$L"
mkdir -p "$U/d"
run "overlay, the upper swapped" "$WORK/om" "$U"
stop_daemon "$WORK/om" "$DPID"

sleep 0.3
kill "$WATCHER" 2>/dev/null
wait "$WATCHER" 2>/dev/null
expect "nothing outside was opened, read, written or listed (inotify)" "watching" \
	"$(cat "$WORK/inotify.log")"
expect "the canaries were not read (atime)" "$ATIMES" "$(stat -c %X "$OUT/canary" "$OUT/d/canary" | xargs)"
expect "nor changed" "$SECRET $SECRET" "$(cat "$OUT/canary" "$OUT/d/canary" | xargs)"
expect "nor anything made outside" "canary d" "$(ls "$OUT" | xargs)"
[ -e "$WORK/../$NAME" ] && bad "a client could reach $WORK/../$NAME: the test proves nothing"
finish
