#!/bin/bash
# ovl_dircache.sh — the merged-directory cache: a listing is reused while
# the layers' directories are unchanged, merged again after a change to a
# layer behind the overlay's back (lower or upper) or through it, and the
# names it keeps never exceed dircache= (SIGUSR1 reports them).
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
finish
