#!/bin/bash
# ovl_dircache.sh — the merged-directory cache: a listing is reused while
# the layers' directories are unchanged, merged again after a change to a
# layer behind the overlay's back (lower or upper) or through it, and the
# names it keeps never exceed dircache= (SIGUSR1 reports them); lookups
# through 20 layers ask only the layer that shows a name, and none for a
# name no layer shows.
. "$(dirname "$0")/lib.sh"
require_fuse

L=$WORK/lower U=$WORK/upper W=$WORK/work M=$WORK/mnt
mkdir -p "$L/d" "$L/e" "$U" "$W"
(cd "$L/d" && touch $(seq -f 'f%g' 1 100))
(cd "$L/e" && touch $(seq -f 'g%g' 1 100))

stats() { # the last statistics line the daemon logged after SIGUSR1
	kill -USR1 "$DPID"
	sleep 0.3
	grep 'dircache_names=' "$WORK/ovl.log" | tail -1
}
names() { ls -A "$1" | wc -l; }

start_ovl "$M" "lowerdir=$L,upperdir=$U,workdir=$W"
expect "a merged listing" 100 "$(names "$M/d")"
case $(stats) in
*dircache_listings=1\ dircache_names=100*) ok "it is cached (100 names)" ;;
*) bad "not cached: $(stats)" ;;
esac
expect "listed again from the cache" 100 "$(names "$M/d")"
touch "$L/d/behind-lower"
expect "a file made in the lower layer behind the overlay shows" 101 "$(names "$M/d")"
rm "$L/d/f1"
expect "a file removed there goes" 100 "$(names "$M/d")"
touch "$M/d/through"
expect "a file made through the overlay shows" 101 "$(names "$M/d")"
touch "$U/d/behind-upper"
expect "a file made in the upper layer behind the overlay shows" 102 "$(names "$M/d")"
rm "$M/d/f2"
expect "a file removed through the overlay goes" 101 "$(names "$M/d")"
check_fails "and cannot be found" test -e "$M/d/f2"
stop_daemon "$M" "$DPID"

: >"$WORK/ovl.log"
start_ovl "$M" "lowerdir=$L,upperdir=$U,workdir=$W,dircache=150"
expect "d lists right with a small cache" 101 "$(names "$M/d")"
expect "e lists right with a small cache" 100 "$(names "$M/e")"
s=$(stats)
n=${s##*dircache_names=}
n=${n%% *}
check "the cache keeps at most 150 names (has $n)" test "$n" -le 150
expect "d lists right after its listing was evicted" 101 "$(names "$M/d")"
stop_daemon "$M" "$DPID"

: >"$WORK/ovl.log"
start_ovl "$M" "lowerdir=$L,upperdir=$U,workdir=$W,dircache=0"
expect "dircache=0 lists right" 101 "$(names "$M/d")"
case $(stats) in
*dircache_listings=0\ dircache_names=0*) ok "dircache=0 keeps nothing" ;;
*) bad "dircache=0 kept: $(stats)" ;;
esac
stop_daemon "$M" "$DPID"
check_fails "dircache=-1 is refused" "$FUSEKIT" overlay -f -o "lowerdir=$L,dircache=-1" "$M"

# ---- lookups through 20 lower layers: the directory's listing answers
# for the layers that do not show a name (layer_lookups counts the
# lookups asked of a layer), and what it answers is what the layers say.
# Layer 0 is the topmost lower one, 19 the lowest. ----
LS=
for i in $(seq 0 19); do
	mkdir -p "$WORK/ll/$i/d"
	LS=$LS${LS:+:}$WORK/ll/$i
done
B=$WORK/ll/19/d
(cd "$B" && touch $(seq -f 'f%g' 1 60))
mknod "$WORK/ll/5/d/f3" c 0 0           # a whiteout hides f3
touch "$WORK/ll/7/d/.wh.f4"             # so does an OCI one
mkdir -p "$WORK/ll/10/d/sub" "$WORK/ll/15/d/sub"
touch "$WORK/ll/10/d/sub/a" "$WORK/ll/15/d/sub/b"
echo top > "$WORK/ll/2/d/f5"            # a file above hides the lower f5
mkdir -p "$WORK/u2" "$WORK/w2"
: >"$WORK/ovl.log"
start_ovl "$M" "lowerdir=$LS,upperdir=$WORK/u2,workdir=$WORK/w2"
cold() { sync; echo 2 > /proc/sys/vm/drop_caches; }
counted() { # the layer_lookups count after SIGUSR1
	local s
	s=$(stats)
	s=${s##*layer_lookups=}
	echo "${s%% *}"
}
for i in $(seq 1 10); do stat "$M/d/f$i" >/dev/null 2>&1; done # the listing
cold
expect "a file of the lowest layer" 0 "$(stat -c %s "$M/d/f1")"
check_fails "a whiteout hides a name" stat "$M/d/f3"
check_fails "an OCI whiteout hides a name" stat "$M/d/.wh.f4"
check_fails "and the name it deletes" stat "$M/d/f4"
expect "a file above hides the one below" top "$(cat "$M/d/f5")"
expect "a directory in two layers merges" "a b" "$(echo $(ls "$M/d/sub"))"
cold
n0=$(counted)
for i in $(seq 1 40); do stat "$M/d/none$i" >/dev/null 2>&1; done
n1=$(counted)
# (d itself, a directory in every layer, takes 21 to look up.)
expect "40 names no layer has: no layer asked ($((n1 - n0)); a walk: 840)" 1 \
	"$(( n1 - n0 <= 30 ))"
cold
for i in $(seq 20 59); do stat "$M/d/f$i" >/dev/null; done
n2=$(counted)
expect "40 files of the lowest layer: one layer asked for each ($((n2 - n1)); a walk: 840)" 1 \
	"$(( n2 - n1 <= 70 ))"
# Through the overlay: made and removed names are seen at once.
for i in $(seq 1 20); do echo "$i" > "$M/d/new$i"; done
expect "names made through the overlay are found" 20 \
	"$(cat "$M"/d/new* | wc -l)"
rm "$M/d/f6"
check_fails "a name removed through it is gone" stat "$M/d/f6"
# Behind its back: seen once the entry timeout (1 s) has passed.
touch "$B/behind"
rm "$B/f7"
sleep 1.2
cold
check "a file made in the lowest layer behind the overlay is found" stat "$M/d/behind"
check_fails "a file removed there is gone" stat "$M/d/f7"
stop_daemon "$M" "$DPID"
finish
