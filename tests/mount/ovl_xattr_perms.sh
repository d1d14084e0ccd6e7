#!/bin/bash
# ovl_xattr_perms.sh — xattr_permissions=1|2: owners and modes of upper
# files and directories kept in an xattr (the daemon's own on the host).
#
#   1. As root, xattr_permissions=1, differentially against kernel
#      overlayfs on the same layers: the same changes (ovl_scenarios.py,
#      plus files made by another user, chown of set-id files) give the
#      same results and the same visible tree, owners and modes included;
#      every upper file and directory of ours belongs to the daemon, and
#      its security.fuseoverlayfs.override_stat says what the kernel's
#      upper inode says. The xattr never shows and cannot be set through
#      the mount. Remounted without the option (the upper root says it),
#      and by fuse-overlayfs where installed, the tree is the same.
#   2. An unprivileged daemon (fusermount3), xattr_permissions=2: what
#      the user makes and chmods is recorded in
#      user.fuseoverlayfs.override_stat; a lower layer marked as
#      containers/storage marks it (user.containers.override_stat on its
#      root) shows the owners its xattrs say.
. "$(dirname "$0")/lib.sh"
require_fuse
HERE=$(dirname "$0")
OVLFS=$(dirname "$FUSEKIT")/fusekit-overlayfs
XP=security.fuseoverlayfs.override_stat
XU=user.fuseoverlayfs.override_stat
XC=user.containers.override_stat

. "$HERE/ovl_layers.sh" # L1 and L2
for side in k f; do mkdir -p "$WORK/$side.upper" "$WORK/$side.work" "$WORK/$side.mnt"; done
check "kernel overlayfs mounts" mount -t overlay overlay \
	-o "lowerdir=$L1:$L2,upperdir=$WORK/k.upper,workdir=$WORK/k.work" "$WORK/k.mnt"
MOUNTS+=("$WORK/k.mnt")
start_ovl "$WORK/f.mnt" "lowerdir=$L1:$L2,upperdir=$WORK/f.upper,workdir=$WORK/f.work,xattr_permissions=1,allow_other"
ok "mounted with xattr_permissions=1"

ovl_compare_steps "$WORK/k.mnt" "$WORK/f.mnt"
# Owners and modes beyond the scenarios: what another user makes, set-id
# bits that chown must clear, as the host clears them.
owner_steps() { # MNT: print what each step shows
	local m=$1 as="setpriv --reuid=1234 --regid=5678 --clear-groups --"
	$as sh -c "umask 027; echo n > '$m/deep/er/est/new'; mkdir '$m/deep/er/est/newd'"
	chmod 6755 "$m/own"; chown 9:9 "$m/own"
	chmod 2750 "$m/c"; chgrp 11 "$m/c"
	chmod 3775 "$m/keep"; chown 12:12 "$m/keep"
	mkdir -m 1777 "$m/tmpdir"
	(cd "$m" && stat -c '%n %u:%g %a %F' deep/er/est/new deep/er/est/newd own c keep tmpdir)
}
expect "owners and modes of new files, chown of set-id files: as on kernel overlayfs" \
	"$(owner_steps "$WORK/k.mnt")" "$(owner_steps "$WORK/f.mnt")"
compare_trees "visible tree" "$WORK/k.mnt" "$WORK/f.mnt" "$L1" "$L2"
cp "$WORK/desc.k" "$WORK/visible.k"
shown() { (cd "$1" && find . -printf '%p %U:%G %m %y\n' | sort); }
shown "$WORK/k.mnt" >"$WORK/shown.k"
expect "the override xattr does not show through the mount" "" \
	"$(getfattr -R -h -m - "$WORK/f.mnt" 2>/dev/null | grep override_stat)"
check_fails "the override xattr cannot be set through the mount" \
	setfattr -n "$XP" -v 0:0:4755 "$WORK/f.mnt/x"
umount "$WORK/k.mnt"
stop_daemon "$WORK/f.mnt" "$DPID"

# owners DIR [xattr NAME]: "path uid:gid:mode" of every regular file and
# directory under DIR, from the inode, or from xattr NAME.
owners() {
	"$PY" - "$@" <<'EOF'
import os, stat, sys
top, name = sys.argv[1], sys.argv[3] if len(sys.argv) > 3 else None
for d, dirs, files in os.walk(top):
    for e in [d] + [os.path.join(d, f) for f in files]:
        st = os.lstat(e)
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
            continue
        if name:
            u, g, m = os.getxattr(e, name, follow_symlinks=False).decode().split(":")[:3]
            v = f"{u}:{g}:{int(m, 8) & 0o7777:o}"
        else:
            v = f"{st.st_uid}:{st.st_gid}:{stat.S_IMODE(st.st_mode):o}"
        print(os.path.relpath(e, top), v)
EOF
}
expect "each upper file's override says what the kernel's upper inode says" \
	"$(owners "$WORK/k.upper" | sort)" "$(owners "$WORK/f.upper" xattr "$XP" | sort)"
not_daemons() { # "path uid:gid:mode" lines: those not 0:0 with mode | 0755
	local path v
	while read -r path v; do
		[ "${v%:*}" = 0:0 ] && (((8#${v##*:} & 8#755) == 8#755)) || echo "$path $v"
	done
}
expect "the check below sees files" 1 "$(owners "$WORK/f.upper" | grep -c '^deep/er/est/new ')"
expect "every upper file and directory is the daemon's, with mode | 0755" "" \
	"$(owners "$WORK/f.upper" | not_daemons)"
expect "(and the check tells others apart)" "x 5:0:755|y 0:0:700" \
	"$(printf 'x 5:0:755\ny 0:0:700\nz 0:0:2755\n' | not_daemons | paste -sd '|')"

# Remounted without the option: the upper root's xattr says how to read it.
rm -rf "$WORK/f.work"/*
start_ovl "$WORK/f.mnt" "lowerdir=$L1:$L2,upperdir=$WORK/f.upper,workdir=$WORK/f.work,allow_other"
"$PY" "$HERE/ovl_describe.py" "$WORK/f.mnt" "$L1" "$L2" >"$WORK/remount.f"
if diff -u "$WORK/visible.k" "$WORK/remount.f"; then
	ok "remounted without xattr_permissions: the same tree, owners included"
else
	bad "remounted without xattr_permissions: the tree differs"
fi
stop_daemon "$WORK/f.mnt" "$DPID"

# fuse-overlayfs reads what we wrote the same way.
if command -v fuse-overlayfs >/dev/null; then
	rm -rf "$WORK/f.work"/*
	MOUNTS+=("$WORK/f.mnt")
	fuse-overlayfs -o "lowerdir=$L1:$L2,upperdir=$WORK/f.upper,workdir=$WORK/f.work,xattr_permissions=1,allow_other" \
		"$WORK/f.mnt" 2>>"$WORK/ovl.log"
	expect "fuse-overlayfs over our upper shows the same owners and modes" \
		"$(cat "$WORK/shown.k")" "$(shown "$WORK/f.mnt")"
	fusermount3 -u "$WORK/f.mnt"
else
	echo "# fuse-overlayfs not installed: its reading of our upper not checked"
fi

# 2. An unprivileged daemon, xattr_permissions=2, over a lower layer
# marked as containers/storage marks them.
command -v fusermount3 >/dev/null && [ "$(stat -c %a /dev/fuse)" = 666 ] || {
	echo "# no fusermount3 or /dev/fuse not 0666: the unprivileged part skipped"; finish; }
U=fktest
id "$U" >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin "$U" || finish
UID_=$(id -u "$U") GID_=$(id -g "$U")
asuser() { setpriv --reuid="$U" --regid="$U" --init-groups -- "$@"; }
C=$WORK/c
mkdir -p "$C/lower/etc" "$C/lower/home" "$C/upper" "$C/work" "$C/mnt"
echo secret >"$C/lower/etc/shadow"
echo pub >"$C/lower/etc/motd"
setfattr -n "$XC" -v 0:0:0755:dir "$C/lower"
setfattr -n "$XC" -v 0:0:0755 "$C/lower/etc"
setfattr -n "$XC" -v 0:42:0640:file "$C/lower/etc/shadow"
setfattr -n "$XC" -v "$UID_:$GID_:0700" "$C/lower/home"
# Values nobody should trust: the inode's own attributes show instead.
nbad=0
for v in "x:y:z" "-1:0:0755" "4294967295:0:0755" "0:0:99999999" "0:0" ""; do
	f="$C/lower/etc/bad$((++nbad))"
	echo bad >"$f"
	setfattr -n "$XC" -v "$v" "$f"
done
chown -R "$U:$U" "$C"
mkdir -p "$WORK/bin" && cp "$FUSEKIT" "$WORK/bin/" && chmod -R a+rX "$WORK/bin"
ln -sf fusekit "$WORK/bin/fusekit-overlayfs"
out=$(asuser "$WORK/bin/fusekit-overlayfs" -f \
	-o "lowerdir=$C/lower,upperdir=$C/upper,workdir=$C/work,xattr_permissions=1" "$C/mnt" 2>&1)
expect "xattr_permissions=1 without CAP_SYS_ADMIN is refused, saying why" \
	"1 need CAP_SYS_ADMIN" "$? $(echo "$out" | grep -o "need CAP_SYS_ADMIN")"
MOUNTS+=("$C/mnt")
setpriv --reuid="$U" --regid="$U" --init-groups -- "$WORK/bin/fusekit-overlayfs" -f \
	-o "lowerdir=$C/lower,upperdir=$C/upper,workdir=$C/work,xattr_permissions=2" \
	"$C/mnt" 2>>"$WORK/ovl.log" &
DPID=$!
track_daemon "$DPID" "$C/mnt"
for _ in $(seq 100); do grep -q " $C/mnt " /proc/self/mountinfo && break; sleep 0.1; done
grep -q " $C/mnt " /proc/self/mountinfo || { bad "user overlay did not mount: $(tail -3 "$WORK/ovl.log")"; finish; }
ok "an unprivileged daemon mounts with xattr_permissions=2"
m=$C/mnt
expect "the containers layer's owners and modes are its xattrs'" \
	"0:0 755|0:0 755|0:42 640|$UID_:$GID_ 644|$UID_:$GID_ 700" \
	"$(asuser stat -c '%u:%g %a' "$m" "$m/etc" "$m/etc/shadow" "$m/etc/motd" "$m/home" | paste -sd '|')"
expect "malformed values are ignored: the inode's attributes show" \
	"$(for i in 1 2 3 4 5 6; do echo "$UID_:$GID_ 644"; done | paste -sd '|')" \
	"$(asuser stat -c '%u:%g %a' $(printf "$m/etc/bad%s " 1 2 3 4 5 6) | paste -sd '|')"
expect "the upper root took the lower root's value" 0:0:0755:dir \
	"$(getfattr --only-values -n "$XU" "$C/upper")"
expect "the kernel checks the modes shown: the user cannot read shadow" "Permission denied" \
	"$(asuser cat "$m/etc/shadow" 2>&1 | sed 's/.*: //')"
check "the user makes a file and a directory in its home" \
	asuser sh -c "umask 022; echo hi > '$m/home/f' && mkdir '$m/home/d' && chmod 640 '$m/home/f'"
check "the user chmods a lower file it owns (copy-up)" asuser chmod 600 "$m/etc/motd"
expect "what the user made and changed shows its owner and modes" \
	"$UID_:$GID_ 640|$UID_:$GID_ 755|$UID_:$GID_ 600" \
	"$(asuser stat -c '%u:%g %a' "$m/home/f" "$m/home/d" "$m/etc/motd" | paste -sd '|')"
expect "and is recorded in $XU" \
	"$UID_:$GID_:640|$UID_:$GID_:755|$UID_:$GID_:600" \
	"$(for f in home/f home/d etc/motd; do getfattr --only-values -n "$XU" "$C/upper/$f"; echo; done | paste -sd '|')"
expect "on the host they are the daemon's, mode | 0755" \
	"$UID_:$GID_ 755|$UID_:$GID_ 755|$UID_:$GID_ 755" \
	"$(stat -c '%u:%g %a' "$C/upper/home/f" "$C/upper/home/d" "$C/upper/etc/motd" | paste -sd '|')"
stop_daemon "$C/mnt" "$DPID"
finish
