#!/bin/bash
# union.sh — fusekit union over branches on separate filesystems: two
# size-limited tmpfs mounts (free space exact, so every policy's choice is
# known), an ext4 image, and a read-only directory. Checks which branch
# gets each new name under every create policy, minfreespace, NC and RO
# branches, path cloning, removal and rename of names with copies on
# several branches, the action policies, hard links, statfs, stable inode
# numbers, the refusals; then the POSIX scenarios compared with a native
# directory.
. "$(dirname "$0")/lib.sh"
require_fuse

# Branches: A tmpfs 8M with 1M used (7M free), B tmpfs 32M empty, C ext4
# 24M (about 20M free, some used by its journal), R read-only.
A=$WORK/A B=$WORK/B C=$WORK/C R=$WORK/R
mkdir -p "$A" "$B" "$C" "$R"
mount -t tmpfs -o size=8m fk-union-a "$A" && MOUNTS+=("$A") || { bad "tmpfs A"; finish; }
mount -t tmpfs -o size=32m fk-union-b "$B" && MOUNTS+=("$B") || { bad "tmpfs B"; finish; }
truncate -s 24M "$WORK/c.img"
mkfs.ext4 -q -F "$WORK/c.img" >/dev/null 2>&1 &&
	mount -o loop "$WORK/c.img" "$C" && MOUNTS+=("$C") || { bad "ext4 image C"; finish; }
rmdir "$C/lost+found"
head -c 1M /dev/zero > "$A/.fill"
mkdir -p "$R/ro/sub"
for p in ff epff mfs epmfs lfs eplfs lus eplus; do
	mkdir "$C/onlyc-$p"
	chmod 0750 "$C/onlyc-$p"
	chown 12:34 "$C/onlyc-$p"
	setfattr -n user.tag -v "$p" "$C/onlyc-$p"
done
echo lower > "$R/ro/file"
echo lower-sub > "$R/ro/sub/f"

# where NAME: the branches (A B C R) that have NAME
where() {
	local b out=
	for b in A B C R; do [ -e "$WORK/$b/$1" ] || [ -L "$WORK/$b/$1" ] && out="$out$b"; done
	echo "$out"
}
BR="$A:$B:$C:$R=RO"

# ---- each create policy: which branch gets a new name ----
# In the root (on every branch): mfs B (32M), lfs A (7M), lus B (0 used),
# ff A. In /onlyc-POLICY (on C only): the ep forms must pick C; the
# others pick as in the root and make the directory there first, a copy
# of C's (mode, owner, xattrs), and its inode number stays.
check_policy() { # POLICY WANT_ROOT WANT_ONLYC
	local m=$WORK/m-$1 d=onlyc-$1 ino
	start_union "$m" "$BR" -o "category.create=$1,minfreespace=1M"
	ino=$(stat -c %i "$m/$d")
	touch "$m/new-$1" "$m/$d/new-$1"
	expect "$1: a name in the root goes to $2" "$2" "$(where "new-$1")"
	expect "$1: a name in /$d goes to $3" "$3" "$(where "$d/new-$1")"
	expect "$1: /$d keeps its inode number" "$ino" "$(stat -c %i "$m/$d")"
	if [ "$3" != C ]; then
		expect "$1: /$d cloned on $3: mode and owner as on C" \
			"$(stat -c '%a %u:%g' "$C/$d")" "$(stat -c '%a %u:%g' "$WORK/$3/$d")"
		expect "$1: and its xattrs" "$1" \
			"$(getfattr --only-values -n user.tag "$WORK/$3/$d" 2>/dev/null)"
	fi
	stop_daemon "$m" "$DPID"
}
check_policy ff A A
check_policy epff A C
check_policy mfs B B
check_policy epmfs B C
check_policy lfs A A
check_policy eplfs A C
check_policy lus B B
check_policy eplus B C

# rand and pfrd: every RW branch gets some of 120 names, RO never.
for p in rand pfrd eprand eppfrd; do
	m=$WORK/m-$p
	start_union "$m" "$BR" -o "category.create=$p,minfreespace=1M"
	mkdir "$m/spread-$p" 2>/dev/null # where the policy says; ep: below it
	for i in $(seq 120); do : > "$m/n-$p-$i"; done
	got=$(for i in $(seq 120); do where "n-$p-$i"; done | sort | uniq -c | awk '{print $2}' | tr -d '\n')
	expect "$p: 120 names spread over A, B and C" "ABC" "$got"
	stop_daemon "$m" "$DPID"
done

# ---- minfreespace, NC, RO, and the errors when nothing qualifies ----
m=$WORK/m-min
start_union "$m" "$BR" -o category.create=ff,minfreespace=10M
touch "$m/min1"
expect "minfreespace=10M: A (7M free) is passed over" "B" "$(where min1)"
stop_daemon "$m" "$DPID"
m=$WORK/m-branchmin
start_union "$m" "$A=RW,100M:$B:$C:$R=RO" -o category.create=ff,minfreespace=1M
touch "$m/min2"
expect "a branch's own minfreespace (A=RW,100M)" "B" "$(where min2)"
stop_daemon "$m" "$DPID"
m=$WORK/m-full
start_union "$m" "$BR" -o minfreespace=1G
touch "$m/full" 2>"$WORK/full.err"
expect "every branch below minfreespace: ENOSPC" 1 "$(grep -c 'No space left' "$WORK/full.err")"
stop_daemon "$m" "$DPID"
m=$WORK/m-nc
start_union "$m" "$A=NC:$B=NC:$C=RO:$R=RO" -o minfreespace=1M
touch "$m/nc" 2>"$WORK/nc.err"
expect "no RW branch: EROFS" 1 "$(grep -c 'Read-only' "$WORK/nc.err")"
echo "$(cat "$m/new-ff")x" > "$m/new-ff"
expect "an NC branch's file is written in place" "x" "$(cat "$A/new-ff")"
stop_daemon "$m" "$DPID"
m=$WORK/m-nc2
start_union "$m" "$A=NC:$B:$C:$R=RO" -o category.create=ff,minfreespace=1M
touch "$m/nc2"
expect "an NC branch is passed over for new names" "B" "$(where nc2)"
stop_daemon "$m" "$DPID"

# ---- the default policies (epmfs, epall) on one mount ----
M=$WORK/m
start_union "$M" "$BR" -o minfreespace=1M
MPID=$DPID
expect "the RO branch's file reads" "lower" "$(cat "$M/ro/file")"
check_fails "writing a file shown from the RO branch: EROFS" sh -c "echo x >> '$M/ro/file'"
check_fails "removing it: EROFS" rm "$M/ro/file"
check_fails "renaming it: EROFS" mv "$M/ro/file" "$M/ro/file2"
check_fails "chmod of it: EROFS" chmod 600 "$M/ro/file"
check_fails "a new name under a directory only on RO (epmfs): EROFS" touch "$M/ro/new"
expect "the RO branch is unchanged" "lower" "$(cat "$R/ro/file")"

# A name with copies on A and B: the first shows; rm removes both.
echo a-copy > "$A/dup" && echo b-copy > "$B/dup"
expect "a name on two branches shows the first" "a-copy" "$(cat "$M/dup")"
chmod 0600 "$M/dup"
expect "chmod (epall) goes to both copies" "600 600" "$(stat -c %a "$A/dup") $(stat -c %a "$B/dup")"
rm "$M/dup"
expect "rm removes every copy" "" "$(where dup)"
check_fails "and the name is gone" test -e "$M/dup"

# A name that is another kind of object on a branch below (a host put
# it there) is not a copy: chmod and utimes leave it alone (a
# symlink's chmod would be EOPNOTSUPP); rm still removes it.
echo a-file > "$A/kind" && ln -s elsewhere "$B/kind"
echo a-file > "$A/kind2" && mkfifo "$B/kind2"
check "chmod of a file with a symlink of its name below" chmod 0600 "$M/kind"
chmod 0600 "$M/kind2"
expect "the fifo below keeps its mode" "600 644" "$(stat -c %a "$A/kind2") $(stat -c %a "$B/kind2")"
touch -m -d @1000 "$M/kind2"
expect "nor its times" "1000 1" "$(stat -c %Y "$A/kind2") $(( $(stat -c %Y "$B/kind2") != 1000 ))"
rm "$M/kind" "$M/kind2"
expect "rm removes them all" "" "$(where kind)$(where kind2)"

# A directory on two branches: merged listing, rename moves both copies.
mkdir -p "$A/two" "$B/two" && echo 1 > "$A/two/fa" && echo 2 > "$B/two/fb"
expect "a directory on two branches lists both" "fa fb" "$(ls "$M/two" | tr '\n' ' ' | sed 's/ $//')"
ino_before=$(stat -c %i "$M/two/fb")
mv "$M/two" "$M/two-moved"
expect "rename moves each copy within its branch" "AB" "$(where two-moved)"
expect "and nothing is left under the old name" "" "$(where two)"
expect "a file keeps its inode number across the rename" "$ino_before" "$(stat -c %i "$M/two-moved/fb")"
check_fails "rmdir of a non-empty merged directory" rmdir "$M/two-moved"
rm "$M/two-moved/fa" "$M/two-moved/fb"
check "rmdir of it, empty, on two branches" rmdir "$M/two-moved"
expect "gone from both" "" "$(where two-moved)"

# Rename over a name shown from another branch: the moved file shows.
echo from-a > "$A/ra" && echo from-b > "$B/rb"
mv "$M/ra" "$M/rb"
expect "rename over another branch's name: the moved file shows" "from-a" "$(cat "$M/rb")"
expect "and the replaced copy is gone" "A" "$(where rb)"

# Hard links: on the file's branch; st_nlink right.
echo h > "$M/hl"
b=$(where hl)
ln "$M/hl" "$M/hl2"
expect "a hard link is made on its file's branch" "$b" "$(where hl2)"
expect "st_nlink is 2" 2 "$(stat -c %h "$M/hl")"
mkdir "$M/linkdir"
ld=$(where linkdir)
if [ "$ld" != "$b" ]; then
	check_fails "a link into a directory not on the file's branch (epmfs): EXDEV" \
		ln "$M/hl" "$M/linkdir/hl3"
fi

# statfs: the RW branches' free space, summed.
avail=$(stat -f -c '%a %S' "$M" | awk '{print $1 * $2}')
sum=0
for b in "$A" "$B" "$C"; do sum=$((sum + $(stat -f -c '%a * %S' "$b"))); done
expect "statfs: available is the RW branches' sum (within 1M)" 1 \
	"$(( avail - sum < 1048576 && sum - avail < 1048576 ))"

# The marker names of the overlay formats are refused, as in the overlay.
check_fails "a .wh. name cannot be made" touch "$M/.wh.x"
stop_daemon "$M" "$MPID"

# ---- moveonenospc: a write that fills its branch moves the file ----
X=$WORK/X Y=$WORK/Y
mkdir -p "$X" "$Y"
mount -t tmpfs -o size=4m fk-union-x "$X" && MOUNTS+=("$X") || { bad "tmpfs X"; finish; }
mount -t tmpfs -o size=32m fk-union-y "$Y" && MOUNTS+=("$Y") || { bad "tmpfs Y"; finish; }
head -c 6M /dev/urandom >"$WORK/big.src"
mkdir -p "$X/d"
setfattr -n user.tag -v kept "$X/d" 2>/dev/null
m=$WORK/m-move
start_union "$m" "$X:$Y" -o category.create=ff,minfreespace=0,moveonenospc=true
: >"$m/d/big"
chmod 0640 "$m/d/big"
setfattr -n user.note -v moved "$m/d/big"
ino=$(stat -c %i "$m/d/big")
check "a 6M write into a 4M branch succeeds" \
	dd if="$WORK/big.src" of="$m/d/big" bs=64k conv=notrunc,fsync status=none
expect "the file moved to the branch with room" Y \
	"$(for b in X Y; do [ -e "$WORK/$b/d/big" ] && printf $b; done)"
expect "its content is whole" "$(md5sum <"$WORK/big.src")" "$(md5sum <"$m/d/big")"
expect "its mode and xattrs came along" "640 moved" \
	"$(stat -c %a "$Y/d/big") $(getfattr --only-values -n user.note "$Y/d/big" 2>/dev/null)"
expect "its inode number is the same" "$ino" "$(stat -c %i "$m/d/big")"
expect "no staging copy is left" "" "$(ls -A "$X/d" "$Y/d" | grep '#fk')"
# A file open twice is not moved (the other open would be left writing
# the old copy): the write gets ENOSPC, as without the option.
: >"$m/twice"
python3 - "$m/twice" <<'PY' >"$WORK/twice.out" 2>&1
import errno, os, sys
a = os.open(sys.argv[1], os.O_WRONLY)
b = os.open(sys.argv[1], os.O_RDONLY)
try:
    for _ in range(200):
        os.write(a, os.urandom(65536))
    print("no error")
except OSError as e:
    print(errno.errorcode[e.errno])
PY
expect "a file open twice is not moved: ENOSPC" ENOSPC "$(cat "$WORK/twice.out")"
expect "and stays where it was" X "$(for b in X Y; do [ -e "$WORK/$b/twice" ] && printf $b; done)"
stop_daemon "$m" "$DPID"

# ---- dropcacheonclose: a closed file's pages leave the cache (the ext4
# branch: tmpfs pages are its storage) ----
for opt in false true; do
	m=$WORK/m-drop-$opt
	start_union "$m" "$C" -o minfreespace=0,dropcacheonclose=$opt
	dd if=/dev/urandom of="$m/drop-$opt" bs=1M count=2 conv=fsync status=none
	pages=x
	for _ in $(seq 20); do # the release comes after the close
		pages=$(fincore -n -o PAGES "$C/drop-$opt" 2>/dev/null | tr -d ' ')
		[ "$pages" = 0 ] && break
		sleep 0.1
	done
	want=$([ $opt = true ] && echo 0 || echo 512)
	expect "dropcacheonclose=$opt: pages of the closed file in the cache" "$want" "$pages"
	stop_daemon "$m" "$DPID"
done

# ---- -o cow: copy-on-write over the RO branch, whiteouts ----
W1=$WORK/cw-rw W2=$WORK/cw-rw2 RO=$WORK/cw-ro
mkdir -p "$W1" "$W2" "$RO/d/sub" "$RO/e" "$RO/rodir"
echo hidden >"$RO/rodir/h"
echo base >"$RO/d/f"
echo sub >"$RO/d/sub/g"
echo keep >"$RO/k"
echo old >"$RO/mv"
chmod 0640 "$RO/d/f"
chown 7:8 "$RO/d/f"
setfattr -n user.tag -v base "$RO/d/f"
touch -d '2001-02-03 04:05:06' "$RO/d/f"
ro_before=$(cd "$RO" && find . -printf '%p %m %s %T@\n' | sort | md5sum)
m=$WORK/m-cow
start_union "$m" "$W1:$W2:$RO=RO" -o cow,minfreespace=0,category.create=ff
ino=$(stat -c %i "$m/d/f")
echo more >>"$m/d/f"
expect "cow: a write to an RO file lands in a copy" "base more" "$(echo $(cat "$m/d/f"))"
expect "cow: the copy is on the first RW branch (ff), its path made" \
	"base more" "$(echo $(cat "$W1/d/f" 2>/dev/null))"
expect "cow: owner, mode, xattrs kept" "7:8 640 base" \
	"$(stat -c '%u:%g %a' "$W1/d/f") $(getfattr --only-values -n user.tag "$W1/d/f" 2>/dev/null)"
expect "cow: the inode number stays" "$ino" "$(stat -c %i "$m/d/f")"
chmod 0600 "$m/d/sub/g"
expect "cow: chmod copies up too" "600 sub" "$(stat -c %a "$W1/d/sub/g") $(cat "$W1/d/sub/g")"
rm "$m/k"
check_fails "cow: an RO file removed is gone" test -e "$m/k"
expect "cow: a whiteout hides it, from the listing too" 0 "$(ls -A "$m" | grep -cx k)"
echo again >"$m/k"
expect "cow: the name made again" again "$(cat "$m/k")"
rm -r "$m/d"
check_fails "cow: a directory with RO content removed is gone" test -e "$m/d"
mkdir "$m/d"
expect "cow: made again, it shows nothing of the RO one" "" "$(ls -A "$m/d")"
mv "$m/mv" "$m/mv2"
expect "cow: an RO file renamed: the new name has it" old "$(cat "$m/mv2")"
check_fails "cow: and the old name is gone" test -e "$m/mv"
check_fails "cow: an RO directory renamed: EXDEV (mv copies)" \
	python3 -c "import os,sys; os.rename(sys.argv[1] + '/e', sys.argv[1] + '/e2')" "$m"
check "cow: mv of it works (by copying)" mv "$m/e" "$m/e2"
rm "$m/rodir/h"
mkdir "$m/x" && echo new >"$m/x/n"
check "cow: a directory renamed over an RO one emptied through the union" \
	python3 -c "import os,sys; os.rename(sys.argv[1] + '/x', sys.argv[1] + '/rodir')" "$m"
expect "cow: it shows only what it holds (opaque)" n "$(ls -A "$m/rodir")"
expect "cow: nothing of the union's own shows" "" "$(ls -A "$m" | grep -F '.wh.')"
expect "cow: the work directory is empty" "" "$(ls -A "$W1/.wh..wh.fusekit")"
stop_daemon "$m" "$DPID"
expect "cow: the RO branch is unchanged" "$ro_before" \
	"$(cd "$RO" && find . -printf '%p %m %s %T@\n' | sort | md5sum)"

# The POSIX scenarios on a fixture in the RO branch, changed through a
# cow union of two RW branches over it, against a native copy of it.
mkdir -p "$WORK/cn" "$WORK/cr1" "$WORK/cr2" "$WORK/cro"
"$PY" "$SCEN" --prepare "$WORK/cn"
"$PY" "$SCEN" --prepare "$WORK/cro"
start_union "$WORK/mcow" "$WORK/cr1:$WORK/cr2:$WORK/cro=RO" -o cow,minfreespace=0
SCEN_MODE=--existing compare_scenarios "union -o cow, the fixture on RO" "$WORK/cn" "$WORK/mcow"
stop_daemon "$WORK/mcow" "$DPID"

# ---- -o cow by an unprivileged daemon, through fusermount3 ----
U=fktest
if [ "$(stat -c %a /dev/fuse)" = 666 ] && command -v fusermount3 >/dev/null &&
	{ id "$U" >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin "$U"; }; then
	UW=$WORK/ucw UR=$WORK/ucr UM=$WORK/ucm
	mkdir -p "$UW" "$UR/d" "$UM"
	echo base >"$UR/f"
	echo x >"$UR/d/g"
	chown -R "$U:" "$UW" "$UR" "$UM"
	as_user() { setpriv --reuid="$U" --regid="$U" --init-groups "$@"; }
	MOUNTS+=("$UM")
	as_user "$FUSEKIT" union -o cow,minfreespace=0 "$UW:$UR=RO" "$UM" 2>"$WORK/ucow.log"
	expect "user: the daemon starts and detaches" 0 "$?"
	UPID=$(pgrep -u "$U" -f "union -o cow,minfreespace=0 $UW" | head -1)
	check "user: a write to an RO file" as_user sh -c "echo y >>'$UM/f'"
	expect "user: copied up, as the user's" "$U base y" \
		"$(stat -c %U "$UW/f") $(echo $(cat "$UW/f"))"
	check "user: an RO file removed" as_user rm "$UM/d/g"
	expect "user: hidden by a whiteout the user could write" "" \
		"$(as_user ls -A "$UM/d")"
	check "user: fusekit umount" as_user "$FUSEKIT" umount "$UM"
	[ -n "$UPID" ] && wait_gone "$UPID"
	check_fails "user: the daemon has gone" kill -0 "${UPID:-0}"
	expect "user: the RO branch is unchanged" "base x" "$(echo $(cat "$UR/f" "$UR/d/g"))"
else
	echo "SKIP: unprivileged union (needs /dev/fuse 666, fusermount3, user $U)"
fi

# ---- refusals ----
"$FUSEKIT" union "$WORK/nope-*" "$WORK/mx" 2>"$WORK/e1"
expect "a glob matching nothing: exit 2" 2 "$?"
expect "and says so" 1 "$(grep -c 'matches no directory' "$WORK/e1")"
"$FUSEKIT" union "$A=XX" "$WORK/mx" 2>"$WORK/e2"
expect "a bad mode: named" 1 "$(grep -c "mode 'XX' is not RW, RO or NC" "$WORK/e2")"
"$FUSEKIT" union -o category.create=most "$A" "$WORK/mx" 2>"$WORK/e3"
expect "a bad policy: the choices listed" 1 "$(grep -c "'most' is not one of ff, epff" "$WORK/e3")"
"$FUSEKIT" union -o moveonenospc=most "$A" "$WORK/mx" 2>"$WORK/e4b"
expect "moveonenospc= with a bad policy: named" 1 "$(grep -c "'most' is not true, false" "$WORK/e4b")"
mkdir -p "$WORK/mx"
"$FUSEKIT" union "$WORK/missing" "$WORK/mx" 2>"$WORK/e5"
expect "a missing branch: exit 1, named" "1 1" "$? $(grep -c "$WORK/missing" "$WORK/e5")"
check "--help explains the policies" sh -c "'$FUSEKIT' union --help | grep -q 'epmfs, the default'"

# ---- the POSIX scenarios, two RW branches and one RO, compared with a
# native directory ----
mkdir -p "$WORK/native" "$WORK/s1" "$WORK/s2" "$WORK/s3"
start_union "$WORK/ms" "$WORK/s1:$WORK/s2:$WORK/s3=RO" -o minfreespace=0
export SCEN_EXPECT='s/^RENAME_WHITEOUT: ok$/RENAME_WHITEOUT: EINVAL/'
export SCEN_EXPECT_BOTH='/^whiteout left behind: /{N;d}'
compare_scenarios "union" "$WORK/native" "$WORK/ms"
stop_daemon "$WORK/ms" "$DPID"
finish
