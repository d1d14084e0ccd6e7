#!/bin/bash
# fstab.sh — fusekit filesystems mount from fstab and with mount(8), as
# mergerfs does: the types fuse.fusekit-passthrough,
# fuse.fusekit-overlayfs and fuse.fusekit-union, through Debian's
# mount.fuse3, which runs
# "NAME SOURCE MOUNTPOINT -o OPTIONS". A temporary fstab holds an entry
# for each, with options only mount(8) knows (defaults, nofail, noauto,
# _netdev, x-systemd.*, users); `mount -T FILE -a` mounts them (and
# leaves the noauto one), `findmnt --verify` finds no error, a second
# `mount -a` mounts nothing twice, `mount -t TYPE SOURCE MNT` works too,
# and umount unmounts; every daemon lives until then and leaves after.
#
# mount(8) runs helpers with its own PATH, so the names must be where it
# looks: the test links them into /usr/local/bin for its run (and skips
# if something else has those names there).
. "$(dirname "$0")/lib.sh"
require_fuse
command -v mount.fuse3 >/dev/null || [ -x /sbin/mount.fuse3 ] ||
	{ echo "SKIP: no mount.fuse3 (Debian's fuse3)"; exit 77; }
BIN=/usr/local/bin
NAMES="fusekit-passthrough fusekit-overlayfs fusekit-union"
for n in $NAMES; do
	if [ -e "$BIN/$n" ] && [ "$(readlink -f "$BIN/$n")" != "$(readlink -f "$FUSEKIT")" ]; then
		echo "SKIP: $BIN/$n is another program"
		exit 77
	fi
done
LINKED=()
unlink_names() {
	local n
	for n in "${LINKED[@]}"; do rm -f "$BIN/$n"; done
}
trap 'unlink_names; cleanup' EXIT
for n in $NAMES; do
	if [ ! -e "$BIN/$n" ]; then
		ln -s "$(readlink -f "$FUSEKIT")" "$BIN/$n" && LINKED+=("$n")
	fi
done

S=$WORK/src L=$WORK/lower U=$WORK/upper W=$WORK/work
B1=$WORK/disk1 B2=$WORK/disk2
mkdir -p "$S" "$L" "$U" "$W" "$B1" "$B2" "$WORK/pt" "$WORK/ovl" "$WORK/un" \
	"$WORK/later" "$WORK/cli"
echo source >"$S/f"
echo lower >"$L/g"
echo one >"$B1/one"
echo two >"$B2/two"
MOUNTS+=("$WORK/pt" "$WORK/ovl" "$WORK/un" "$WORK/later" "$WORK/cli")
cat >"$WORK/fstab" <<EOF
$S $WORK/pt fuse.fusekit-passthrough defaults,nofail,_netdev,x-systemd.requires=/,noatime,allow_other 0 0
overlay $WORK/ovl fuse.fusekit-overlayfs defaults,users,nofail,lowerdir=$L,upperdir=$U,workdir=$W 0 0
$WORK/disk* $WORK/un fuse.fusekit-union defaults,nofail,allow_other,category.create=ff,minfreespace=0 0 0
$S $WORK/later fuse.fusekit-passthrough noauto,x-systemd.automount 0 0
EOF

mounted() { grep -c " $1 " /proc/self/mountinfo; }
# daemon_of MNT: the pid of the fusekit daemon serving MNT (its command
# line names MNT), or nothing.
daemon_of() {
	local p
	for p in /proc/[0-9]*; do
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q "^fusekit-[a-z]* .* $1 " &&
			echo "${p#/proc/}" && return
	done
}

check "mount -T FILE -a mounts the fstab entries" mount -T "$WORK/fstab" -a
expect "the passthrough entry is mounted, once" 1 "$(mounted "$WORK/pt")"
expect "the overlayfs entry is mounted, once" 1 "$(mounted "$WORK/ovl")"
expect "the union entry is mounted, once" 1 "$(mounted "$WORK/un")"
expect "the union pools its branches (a glob)" "one two" "$(ls "$WORK/un" | xargs)"
echo new >"$WORK/un/new"
expect "and its options arrive (category.create=ff)" new "$(cat "$B1/new")"
expect "the noauto entry is left alone" 0 "$(mounted "$WORK/later")"
expect "the passthrough shows its source" source "$(cat "$WORK/pt/f")"
expect "the overlay shows its lower layer" lower "$(cat "$WORK/ovl/g")"
echo more >>"$WORK/ovl/g"
expect "and a write copies up to the upper layer" "lower more" "$(echo $(cat "$U/g"))"
expect "the overlay's source is fstab's" overlay "$(findmnt -n -o SOURCE "$WORK/ovl")"
expect "options mount(8) passes on arrive (noatime)" 1 \
	"$(findmnt -n -o OPTIONS "$WORK/pt" | tr , '\n' | grep -cx noatime)"
expect "users became nosuid,nodev,noexec for the overlay" "nosuid nodev noexec" \
	"$(findmnt -n -o OPTIONS "$WORK/ovl" | tr , '\n' | grep -x 'nosuid\|nodev\|noexec' | xargs)"
out=$(findmnt --verify --tab-file "$WORK/fstab" 2>&1)
check "findmnt --verify finds no parse error and no error" \
	grep -q "^0 parse errors, 0 errors" <<<"$out"
check "a second mount -a succeeds" mount -T "$WORK/fstab" -a
expect "and mounts nothing twice" "1 1 1" \
	"$(mounted "$WORK/pt") $(mounted "$WORK/ovl") $(mounted "$WORK/un")"
check "a noauto entry mounts by its mount point" mount -T "$WORK/fstab" "$WORK/later"
expect "the noauto entry is mounted" 1 "$(mounted "$WORK/later")"
check "mount -t fuse.fusekit-passthrough SOURCE MNT -o OPTS" \
	mount -t fuse.fusekit-passthrough "$S" "$WORK/cli" -o ro,noatime
expect "mounted read-only as asked" 1 \
	"$(findmnt -n -o OPTIONS "$WORK/cli" | tr , '\n' | grep -cx ro)"

for m in pt ovl un later cli; do
	pid=$(daemon_of "$WORK/$m")
	if [ -z "$pid" ]; then
		bad "$m: no daemon serving it"
		continue
	fi
	check "$m: its daemon lives until umount" kill -0 "$pid"
	check "$m: umount" umount "$WORK/$m"
	if wait_gone "$pid"; then
		ok "$m: its daemon leaves after umount"
	else
		bad "$m: daemon $pid still running after umount"
	fi
done
expect "nothing of the test is mounted" 0 "$(grep -c " $WORK/" /proc/self/mountinfo)"
finish
