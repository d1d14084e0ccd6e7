#!/bin/bash
# pt_inode_modes.sh — `fusekit passthrough -o inode=handle|lazy`: the POSIX
# scenarios give the native results in every mode; lazy mode with a small
# fd_cap never holds more descriptors on SOURCE than the cap (counted in
# /proc/PID/fd) yet serves 200 open files, reaches deep descendants after
# a directory rename, and counts its reopens; clients racing on renames
# never see a stale node; hold=dirs (macOS's model) gives the same;
# names changed on the host are refused, not followed to another file,
# and directories are found by handle; handle mode falls back to fd mode when
# open_by_handle_at is not permitted. Also the xattr namespace
# policy (xattr_ns=), with listxattr racing the host's setxattr, and birth
# times through statx.
. "$(dirname "$0")/lib.sh"
require_fuse

# report PID: the daemon's SIGUSR1 line (it runs with -f: stderr)
report() {
	local log=$WORK/pt.$(basename "$2").log n
	n=$(grep -c '^fusekit passthrough: inode=' "$log")
	kill -USR1 "$1"
	for _ in $(seq 50); do
		[ "$(grep -c '^fusekit passthrough: inode=' "$log")" -gt "$n" ] && break
		sleep 0.1
	done
	grep '^fusekit passthrough: inode=' "$log" | tail -1
}
field() { # LINE NAME: the value of NAME=value in a report line
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# 1. The scenarios, as root, in each mode; a small cap makes lazy mode
#    close and reopen descriptors all the time.
for opts in inode=handle inode=lazy inode=lazy,fd_cap=4,nopassthrough inode=handle,fd_cap=3 \
	inode=handle,hold=dirs,fd_cap=3; do
	tag=$(echo "$opts" | tr ',=' '__')
	mkdir -p "$WORK/native-$tag" "$WORK/src-$tag"
	start_pt "$WORK/src-$tag" "$WORK/mnt-$tag" -o "$opts"
	PID=$DPID
	compare_scenarios "$opts" "$WORK/native-$tag" "$WORK/mnt-$tag"
	line=$(report "$PID" "$WORK/mnt-$tag")
	expect "$opts: the mode in use is the one asked for" \
		"$(echo "$opts" | sed 's/^inode=\([a-z]*\).*/\1/')" "$(field "$line" inode)"
	stop_daemon "$WORK/mnt-$tag" "$PID"
	expect "$opts: daemon exits 0" 0 "$?"
done

# 2. Lazy mode, fd_cap=8: 200 files open at once through the mount, read
#    and written; the daemon's descriptors on SOURCE are sampled throughout.
S=$WORK/lsrc M=$WORK/lmnt
mkdir -p "$S"
for i in $(seq 200); do echo "file $i" > "$S/f$i"; done
start_pt "$S" "$M" -o inode=lazy,fd_cap=8
PID=$DPID
count_fds() { # descriptors of PID on $S or below
	local n=0 t
	for f in /proc/"$PID"/fd/*; do
		t=$(readlink "$f" 2>/dev/null) || continue
		case $t in "$S" | "$S"/*) n=$((n + 1)) ;; esac
	done
	echo "$n"
}
(max=0; while [ ! -e "$WORK/stop-sampler" ]; do
	n=$(count_fds); [ "$n" -gt "$max" ] && max=$n && echo "$max" > "$WORK/maxfds"
	sleep 0.01; done) &
SAMPLER=$!
"$PY" - "$M" > "$WORK/open200.out" 2>&1 <<'EOF'
import os, sys
m = sys.argv[1]
fds = [os.open(f"{m}/f{i}", os.O_RDWR) for i in range(1, 201)]
bad = [i for i, fd in enumerate(fds, 1) if os.pread(fd, 64, 0) != f"file {i}\n".encode()]
for i, fd in enumerate(fds, 1):
    os.pwrite(fd, f"FILE {i}\n".encode(), 0)
bad += [i for i, fd in enumerate(fds, 1) if os.pread(fd, 64, 0) != f"FILE {i}\n".encode()]
for fd in fds:
    os.fsync(fd)
print("bad", bad[:5])
for fd in fds:
    os.close(fd)
EOF
expect "lazy: 200 open files read and written through 8 descriptors" "bad []" "$(cat "$WORK/open200.out")"
expect "lazy: the source holds what was written" "FILE 137" "$(cat "$S/f137")"
touch "$WORK/stop-sampler"; wait "$SAMPLER"
max=$(cat "$WORK/maxfds" 2>/dev/null || echo 0)
if [ "$max" -ge 1 ] && [ "$max" -le 8 ]; then
	ok "lazy: at most 8 descriptors on SOURCE (most seen: $max)"
else
	bad "lazy: $max descriptors on SOURCE with fd_cap=8"
fi
line=$(report "$PID" "$M")
reopens=$(field "$line" reopens)
if [ "${reopens:-0}" -gt 0 ]; then ok "lazy: reopens are counted ($line)"; else bad "lazy: no reopens counted: $line"; fi
expect "lazy: the cap is reported" 8 "$(field "$line" fd_cap)"

# 3. Lazy mode: a directory renamed through the mount; its deep
#    descendants stay reachable by new name and through open descriptors,
#    even after their descriptors were evicted.
mkdir -p "$M/a/b/c/d/e/f/g"
echo deep > "$M/a/b/c/d/e/f/g/file"
exec 7< "$M/a/b/c/d/e/f/g/file"
check "lazy: deep file visible before the rename" test -f "$M/a/b/c/d/e/f/g/file"
mv "$M/a" "$M/renamed"
cat "$M"/f* > /dev/null # evicts every descriptor of the a/ tree
expect "lazy: deep file read by its new path" deep "$(cat "$M/renamed/b/c/d/e/f/g/file")"
expect "lazy: deep file read through a descriptor opened before" deep "$(cat <&7)"
exec 7<&-
expect "lazy: deep directory listed after the rename" file "$(ls "$M/renamed/b/c/d/e/f/g")"
mv "$M/renamed/b/c" "$M/c2" && cat "$M"/f* > /dev/null
echo more >> "$M/c2/d/e/f/g/file"
expect "lazy: a moved subtree is written through" "deep more" "$(cat "$S/c2/d/e/f/g/file" | xargs)"
check_fails "lazy: the old path is gone" test -e "$M/a/b/c/d/e/f/g/file"
# Renamed behind the daemon's back: the kernel looks the name up again.
mv "$S/c2" "$S/c3"
expect "lazy: a rename in SOURCE is seen" "deep more" "$(cat "$M/c3/d/e/f/g/file" | xargs)"
# An unlinked file the kernel still holds (an O_PATH descriptor does not
# open it in the daemon) opens again through /proc/self/fd, as natively,
# after its name is gone and every descriptor was evicted.
echo kept > "$M/gone"
expect "lazy: an unlinked file held by the kernel can be opened again" "kept" \
	"$("$PY" - "$M" <<'EOF'
import os, sys
m = sys.argv[1]
fd = os.open(f"{m}/gone", os.O_PATH)
os.unlink(f"{m}/gone")
for i in range(1, 40):
    open(f"{m}/f{i}").read()
print(open(f"/proc/self/fd/{fd}").read().strip())
EOF
)"
stop_daemon "$M" "$PID"
expect "lazy: daemon exits 0" 0 "$?"

# 4. Clients racing on renames, unlinks and reads in lazy mode with a
#    tiny cap: every file stays reachable under its name of the moment
#    (no ESTALE), and the mount shows the source's tree.
for opts in inode=lazy,fd_cap=3 inode=handle,fd_cap=3 inode=handle,hold=dirs,fd_cap=3; do
	tag=storm-${opts//[=,]/_}
	mkdir -p "$WORK/$tag"
	start_pt "$WORK/$tag" "$WORK/m$tag" -o "$opts"
	PID=$DPID
	CLIENTS=()
	for i in 1 2 3 4; do
		"$PY" "$(dirname "$0")/name_storm.py" "$WORK/m$tag" "$i" 2000 > "$WORK/$tag.$i" 2>&1 &
		CLIENTS+=($!)
	done
	wait "${CLIENTS[@]}"
	expect "$opts: racing clients met no unexpected error" "unexpected 0 unexpected 0 unexpected 0 unexpected 0" \
		"$(cat "$WORK/$tag".[1-4] | grep -v '^unexpected:' | xargs)"
	grep -h '^unexpected:' "$WORK/$tag".[1-4] | sort | uniq -c | head -5
	expect "$opts: the mount shows the source's tree" "$(cd "$WORK/$tag" && find . | sort)" \
		"$(cd "$WORK/m$tag" && find . | sort)"
	stop_daemon "$WORK/m$tag" "$PID"
	expect "$opts: daemon exits 0" 0 "$?"
done

# 5. Changes on the host, behind the daemon's back, with files held by
#    nothing (hold=dirs: macOS's model; handle mode keeps handles of
#    directories, lazy mode their names). cache=never: every stat asks.
#    a) A directory renamed on the host, used through a descriptor opened
#       before, after its descriptor was evicted: found by its handle;
#       lazy mode cannot find it (ESTALE), and never shows another one.
#    b) A file renamed on the host and another put in its place, while
#       open through the mount: fstat and ftruncate on the descriptor
#       reach it (through the daemon's open file). Once the cache has
#       closed the daemon's descriptor of the open file, reopening by name
#       finds the newcomer: ESTALE (or still the file's own size, when the
#       cache kept it), never the newcomer's answers.
#       Natively the file would stay reachable: the price of holding no
#       descriptors.
for opts in inode=handle,hold=dirs,fd_cap=3 inode=lazy,fd_cap=3; do
	tag=host-${opts//[=,]/_}
	H=$WORK/$tag
	mkdir -p "$H/d" "$H/other"
	echo inside > "$H/d/x"; echo impostor > "$H/other/x"
	echo original > "$H/f"
	for i in $(seq 20); do echo "$i" > "$H/pad$i"; done
	start_pt "$H" "$WORK/m$tag" -o "$opts,cache=never"
	PID=$DPID
	out=$("$PY" - "$WORK/m$tag" "$H" <<'EOF'
import errno, os, sys
m, h = sys.argv[1], sys.argv[2]
def evict():
    for i in range(1, 21):
        open(f"{m}/pad{i}").read()
def attempt(f):
    try:
        return f()
    except OSError as e:
        return errno.errorcode[e.errno]
dfd = os.open(f"{m}/d", os.O_RDONLY | os.O_DIRECTORY)
fd = os.open(f"{m}/f", os.O_RDWR)
os.rename(f"{h}/f", f"{h}/f.old")
with open(f"{h}/f", "w") as n:
    n.write("newcomer, longer\n")
print("fstat:", attempt(lambda: os.fstat(fd).st_size))
print("ftruncate:", attempt(lambda: os.ftruncate(fd, 3) or "done"))
print("old:", attempt(lambda: open(f"{h}/f.old").read()))
evict()
r = attempt(lambda: os.fstat(fd).st_size)
print("evicted:", "fine" if r in (3, "ESTALE") else r)  # never 17
os.rename(f"{h}/d", f"{h}/moved")
os.rename(f"{h}/other", f"{h}/d")   # another directory takes the name
evict()
print("dir:", attempt(lambda: open("x", opener=lambda p, fl: os.open(p, fl, dir_fd=dfd)).read().strip()))
EOF
)
	expect "$opts: host-side changes: stale names refused, handles followed" \
		"fstat: 9 ftruncate: done old: ori evicted: fine $(case $opts in
			*handle*) echo "dir: inside" ;;
			*) echo "dir: ESTALE" ;;
		esac)" "$(echo $out)"
	# The names themselves lead to the newcomers, as on the host.
	expect "$opts: the new file shows under the old name" "newcomer, longer" "$(cat "$WORK/m$tag/f")"
	expect "$opts: the new directory shows under the old name" impostor "$(cat "$WORK/m$tag/d/x")"
	stop_daemon "$WORK/m$tag" "$PID"
	expect "$opts: daemon exits 0" 0 "$?"
done

# 6. Handle mode without CAP_DAC_READ_SEARCH: fd mode, with a warning.
mkdir -p "$WORK/hsrc"; echo h > "$WORK/hsrc/x"
mkdir -p "$WORK/hmnt"; MOUNTS+=("$WORK/hmnt")
setpriv --bounding-set=-dac_read_search --inh-caps=-dac_read_search \
	"$FUSEKIT" passthrough -f -o inode=handle "$WORK/hsrc" "$WORK/hmnt" 2>"$WORK/pt.hmnt.log" &
PID=$!; track_daemon "$PID" "$WORK/hmnt"
if wait_mounted "$WORK/hmnt"; then
	expect "handle without the capability: files served" h "$(cat "$WORK/hmnt/x")"
	check "handle without the capability: warns of the fallback" grep -q "inode=fd" "$WORK/pt.hmnt.log"
	expect "handle without the capability: runs as fd" fd "$(field "$(report "$PID" "$WORK/hmnt")" inode)"
	stop_daemon "$WORK/hmnt" "$PID"
else
	bad "handle without the capability: no mount: $(cat "$WORK/pt.hmnt.log")"
fi

# 7. xattr_ns=user: other namespaces are neither shown nor reachable.
X=$WORK/xsrc
mkdir -p "$X"; touch "$X/f"
setfattr -n user.kept -v 1 "$X/f" && setfattr -n trusted.hidden -v 2 "$X/f"
start_pt "$X" "$WORK/xmnt" -o xattr_ns=user
PID=$DPID
expect "xattr_ns=user: user.* read" 1 "$(getfattr --absolute-names --only-values -n user.kept "$WORK/xmnt/f" 2>&1)"
check_fails "xattr_ns=user: trusted.* not read" getfattr -n trusted.hidden "$WORK/xmnt/f"
expect "xattr_ns=user: trusted.* not listed" "user.kept" \
	"$(getfattr -d -m - --absolute-names "$WORK/xmnt/f" 2>/dev/null | sed -n 's/=.*//p' | xargs)"
check_fails "xattr_ns=user: trusted.* not set" setfattr -n trusted.new -v 3 "$WORK/xmnt/f"
check_fails "xattr_ns=user: trusted.* not removed" setfattr -x trusted.hidden "$WORK/xmnt/f"
expect "xattr_ns=user: the hidden attribute is intact" 2 "$(getfattr --absolute-names --only-values -n trusted.hidden "$X/f")"
err=$(setfattr -n trusted.new -v 3 "$WORK/xmnt/f" 2>&1)
check "xattr_ns=user: refusal is EOPNOTSUPP" sh -c "echo '$err' | grep -q 'Operation not supported'"
mkdir "$X/race"
xattr_list_race "xattr_ns=user" "$WORK/xmnt/race" "$X/race"

# 8. Birth time through statx is the source's.
W_src=$(stat -c %W "$X/f") W_mnt=$(stat -c %W "$WORK/xmnt/f")
if [ "$W_src" != 0 ]; then
	expect "statx: birth time equals the source's" "$W_src" "$W_mnt"
else
	echo "# SOURCE filesystem has no birth time: not checked"
fi
stop_daemon "$WORK/xmnt" "$PID"

# 9. Bad values are refused before mounting.
mkdir -p "$WORK/m2"
for bad_opt in inode=path hold=files hold= fd_cap=1 fd_cap=x fd_cap= xattr_ns=users xattr_ns=user: xattr_ns=; do
	"$FUSEKIT" passthrough -o "$bad_opt" "$X" "$WORK/m2" 2>"$WORK/r"
	rc=$?
	expect "-o $bad_opt: exit 2 with the option named" "2 1" \
		"$rc $(grep -c "'${bad_opt%%=*}'" "$WORK/r")"
done
check_fails "nothing was mounted" mountpoint -q "$WORK/m2"
finish
