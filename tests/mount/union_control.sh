#!/bin/bash
# union_control.sh — a union changed while mounted, through its control
# file MOUNTPOINT/.fusekit: branches added (first, last), removed while a
# reader holds a file open on them, given new modes; policies changed;
# the refusals (bad values, a non-owner, the control file's own name);
# then every inodecalc: numbers kept across renames, listings agreeing
# with stat, and what each promises (host numbers, hashes, 32 bits).
. "$(dirname "$0")/lib.sh"
require_fuse

# A and B on the test's filesystem, D a small tmpfs (less free space
# than A's: mfs and lfs tell them apart).
A=$WORK/A B=$WORK/B D=$WORK/D M=$WORK/m
mkdir -p "$A" "$B" "$D"
mount -t tmpfs -o size=16m fk-unctl-d "$D" && MOUNTS+=("$D") || { bad "tmpfs D"; finish; }
echo on-b > "$B/bfile"
mkdir "$A/shared" "$D/shared"
echo a > "$A/shared/from-a"
echo d > "$D/shared/from-d"
echo hidden > "$A/.fusekit" # a branch's own: the control file hides it

# get NAME: the control xattr user.fusekit.NAME
get() { getfattr --absolute-names --only-values -n "user.fusekit.$1" "$M/.fusekit" 2>&1; }
# set NAME VALUE
set_() { setfattr -n "user.fusekit.$1" -v "$2" "$M/.fusekit"; }
# where NAME: the branches (A B D) that have NAME
where() {
	local b out=
	for b in A B D; do [ -e "$WORK/$b/$1" ] && out="$out$b"; done
	echo "$out"
}

# Timeouts 0: each lookup asks the daemon, so "from the next lookup on"
# is the next command.
start_union "$M" "$A:$B" -o allow_other,category.create=ff,minfreespace=0,entry_timeout=0,attr_timeout=0
expect "branches read back" "$A=RW:$B=RW" "$(get branches)"
expect "the create policy" "ff" "$(get category.create)"
expect "the action policy" "epall" "$(get category.action)"
expect "the pid is the daemon's" "$DPID" "$(get pid)"
expect "every name listed" 11 "$(getfattr --absolute-names -d -m - "$M/.fusekit" 2>/dev/null | grep -c '^user.fusekit\.')"
expect "the control file is a file of the daemon's user" "regular empty file 644 0" \
	"$(stat -c '%F %a %u' "$M/.fusekit")"
expect "not listed in the root" "" "$(ls -a "$M" | grep -x '.fusekit')"
check_fails "an unknown control name: no data" getfattr -n user.fusekit.nope "$M/.fusekit"
check_fails "it cannot be opened" cat "$M/.fusekit"
check_fails "nor removed" rm -f "$M/.fusekit"
check_fails "nor made" mkdir "$M/.fusekit"
check_fails "nor renamed" mv "$M/.fusekit" "$M/x"
check_fails "nor replaced" mv "$M/bfile" "$M/.fusekit"
expect "the branch's own .fusekit is untouched" "hidden" "$(cat "$A/.fusekit")"
ls "$M/shared" >/dev/null # the directory's node is known before the change
ino_shared=$(stat -c %i "$M/shared")

# ---- a branch removed while a reader holds a file open on it ----
exec 3<"$M/bfile"
exec 4>>"$M/bfile"
check "remove a branch" set_ branches "-$B"
expect "the list without it" "$A=RW" "$(get branches)"
check_fails "its names are gone from the mount" test -e "$M/bfile"
expect "the open file still reads" "on-b" "$(cat <&3)"
echo more >&4
expect "and writes, to its branch" "on-b more" "$(echo $(cat "$B/bfile"))"
exec 3<&- 4>&-
touch "$M/new0"
expect "new names never go to a removed branch" "A" "$(where new0)"

# ---- branches added, first and last ----
check "add a branch first" set_ branches "+<$D"
expect "it is first" "$D=RW:$A=RW" "$(get branches)"
touch "$M/new1"
expect "ff now creates on it" "D" "$(where new1)"
expect "a directory known before merges the new branch's copy" "from-a from-d" \
	"$(echo $(ls "$M/shared"))"
expect "and keeps its inode number" "$ino_shared" "$(stat -c %i "$M/shared")"
check "add one last" set_ branches "+>$B"
expect "the removed branch's names show again" "on-b more" "$(echo $(cat "$M/bfile"))"

# ---- modes and policies ----
check "a whole new list, with modes" set_ branches "$D=RO:$A=RW:$B=NC"
expect "read back" "$D=RO:$A=RW:$B=NC" "$(get branches)"
touch "$M/new2"
expect "new names skip the RO and NC branches" "A" "$(where new2)"
check_fails "a file on the RO branch is not written" sh -c "echo x >> '$M/new1'"
echo nc >> "$M/bfile" 2>/dev/null
expect "a file on the NC branch is" "on-b more nc" "$(echo $(cat "$B/bfile"))"
check "back to RW" set_ branches "$D=RW:$A=RW:$B=RW"
check "policy mfs" set_ category.create mfs
touch "$M/new3"
expect "mfs picks the branch with the most free space" "A" "$(where new3)"
check "policy lfs" set_ category.create lfs
touch "$M/new4"
expect "lfs the least (the 16M tmpfs)" "D" "$(where new4)"
check "minfreespace 1T: no branch has room" set_ minfreespace 1T
check_fails "so a create gets ENOSPC" touch "$M/new5"
check "minfreespace back" set_ minfreespace 0
check "the action policy" set_ category.action epff
expect "read back" "epff" "$(get category.action)"
check "dropcacheonclose" set_ dropcacheonclose true
expect "read back" "true" "$(get dropcacheonclose)"

# ---- refusals: the union stays as it was ----
before=$(get branches)
check_fails "a policy that is none" set_ category.create most
check_fails "a create policy as the action one" set_ category.action mfs
check_fails "a branch that does not exist" set_ branches "+>$WORK/missing"
check_fails "a relative path" set_ branches "+>relative"
check_fails "a branch twice" set_ branches "+>$A"
check_fails "an empty list" set_ branches ""
check_fails "removing one that is not a branch" set_ branches "-$WORK/nope"
check_fails "a read-only name" set_ cow true
check_fails "a size that is none" set_ minfreespace lots
check_fails "moveonenospc while writes pass the daemon by" set_ moveonenospc true
expect "after all that, the branches as they were" "$before" "$(get branches)"
expect "and the policy" "lfs" "$(get category.create)"
check_fails "a user other than the daemon's changes nothing" \
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	setfattr -n user.fusekit.category.create -v ff "$M/.fusekit"
expect "so the policy stays" "lfs" "$(get category.create)"
expect "but anyone reads" "lfs" "$(setpriv --reuid=65534 --regid=65534 --clear-groups \
	getfattr --absolute-names --only-values -n user.fusekit.category.create "$M/.fusekit" 2>&1)"
check "removing the last branch of three" set_ branches "->"
check "and the first" set_ branches "-<"
expect "one left" "$A=RW" "$(get branches)"
check_fails "not that one" set_ branches "-<"
stop_daemon "$M" "$DPID"

# ---- inodecalc: each keeps numbers across renames; listings agree ----
rm -rf "${A:?}"/* "${B:?}"/*
mkdir -p "$A/d" "$B/d"
echo x > "$A/d/f"
echo y > "$B/d/g"
ln "$A/d/f" "$A/d/f-link"
host_f=$(stat -c %i "$A/d/f")
for calc in auto passthrough path-hash devino-hash hybrid-hash path-hash32 devino-hash32 hybrid-hash32; do
	M=$WORK/i-$calc
	start_union "$M" "$A:$B:$D" -o inodecalc=$calc,minfreespace=0
	f=$(stat -c %i "$M/d/f") g=$(stat -c %i "$M/d/g") d=$(stat -c %i "$M/d")
	expect "$calc: listings show the numbers stat does" "$f $g" \
		"$(echo $(ls -i "$M/d" | awk '$2 == "f" || $2 == "g" {print $1}'))"
	expect "$calc: the directory's number in its parent's listing" "$d" \
		"$(ls -i "$M" | awk '$2 == "d" {print $1}')"
	mv "$M/d/f" "$M/d/f2"
	expect "$calc: a renamed file keeps its number" "$f" "$(stat -c %i "$M/d/f2")"
	mv "$M/d/f2" "$M/d/f"
	echo 2 > /proc/sys/vm/drop_caches # the kernel forgets; numbers come anew
	expect "$calc: the same numbers after the kernel forgot them" "$f $g $d" \
		"$(stat -c %i "$M/d/f" "$M/d/g" "$M/d" | tr '\n' ' ' | sed 's/ $//')"
	expect "$calc: read back" "$calc" "$(getfattr --absolute-names --only-values -n user.fusekit.inodecalc "$M/.fusekit")"
	case $calc in
	passthrough) expect "$calc: the host's number" "$host_f" "$f" ;;
	auto) expect "$calc: the host's number (one filesystem)" "$host_f" "$f" ;;
	*32) expect "$calc: below 2^32" 1 "$(( f < 4294967296 && g < 4294967296 && d < 4294967296 ))" ;;
	esac
	case $calc in
	path-hash*) ;; # a hash of the path: each name its own
	*) expect "$calc: a hard link, one number" "$f" "$(stat -c %i "$M/d/f-link")" ;;
	esac
	case $calc in
	devino-hash* | hybrid-hash*)
		# Not the host's numbers, and A's and B's files differ.
		expect "$calc: hashed, distinct" "1 1" "$(( f != host_f )) $(( f != g ))" ;;
	esac
	stop_daemon "$M" "$DPID"
done
# auto: a branch on another filesystem carries its slot in the top bits.
M=$WORK/i-auto2
echo z > "$D/dz"
start_union "$M" "$A:$D" -o minfreespace=0
expect "auto: a file on the second filesystem is numbered apart" 1 \
	"$(( $(stat -c %i "$M/dz") >= (1 << 48) ))"
check "add a branch on the first's filesystem, first, at run time" \
	setfattr -n user.fusekit.branches -v "+<$B" "$M/.fusekit"
expect "its numbers are the host's too" "$(stat -c %i "$B/d/g")" "$(stat -c %i "$M/d/g")"
expect "the first branch's numbers stay as they were" "$host_f" "$(stat -c %i "$M/d/f")"
stop_daemon "$M" "$DPID"
"$FUSEKIT" union -o inodecalc=odd "$A" "$WORK/mx" 2>"$WORK/e1"
expect "an inodecalc that is none: the choices named" 1 "$(grep -c "'odd' is not one of auto, passthrough" "$WORK/e1")"
finish
