#!/bin/bash
# ovl_conformance.sh — the POSIX scenarios of tests/conformance through
# the writable overlay, compared with a native directory:
#   - upper-only: every object is made through the overlay (as root, and
#     as an unprivileged user through allow_other);
#   - lower and mixed: the --prepare fixture sits in the lower layer (and
#     in the native directory), and the --existing scenarios change those
#     objects (each change a copy-up) and make new ones beside them.
# Return values, errno and stat fields must match. (Renaming a lower
# directory and hard links of lower files follow overlayfs rules, not
# POSIX; ovl_write.sh checks those against kernel overlayfs.)
. "$(dirname "$0")/lib.sh"
require_fuse
# By design, as on kernel overlayfs: RENAME_WHITEOUT is the overlay's own
# business and gets EINVAL (the whiteout and listing steps after it
# follow from that and are not compared).
export SCEN_EXPECT='s/^RENAME_WHITEOUT: ok$/RENAME_WHITEOUT: EINVAL/'
export SCEN_EXPECT_BOTH='/^whiteout left behind: /{N;d}'

for wh in chardev oci; do
	# Upper-only, as root.
	mkdir -p "$WORK/native-$wh" "$WORK/lower0-$wh" "$WORK/up1-$wh" "$WORK/w1-$wh"
	start_ovl "$WORK/m1-$wh" \
		"lowerdir=$WORK/lower0-$wh,upperdir=$WORK/up1-$wh,workdir=$WORK/w1-$wh,whiteout=$wh"
	compare_scenarios "upper-only, whiteout=$wh" "$WORK/native-$wh" "$WORK/m1-$wh"
	stop_daemon "$WORK/m1-$wh" "$DPID"

	# Lower and mixed, as root.
	mkdir -p "$WORK/native2-$wh" "$WORK/lower-$wh" "$WORK/up2-$wh" "$WORK/w2-$wh"
	"$PY" "$SCEN" --prepare "$WORK/native2-$wh"
	"$PY" "$SCEN" --prepare "$WORK/lower-$wh"
	start_ovl "$WORK/m2-$wh" \
		"lowerdir=$WORK/lower-$wh,upperdir=$WORK/up2-$wh,workdir=$WORK/w2-$wh,whiteout=$wh"
	SCEN_MODE=--existing compare_scenarios "lower, whiteout=$wh" "$WORK/native2-$wh" "$WORK/m2-$wh"
	stop_daemon "$WORK/m2-$wh" "$DPID"
	expect "lower, whiteout=$wh: the lower layer was not changed" "" \
		"$(find "$WORK/lower-$wh" -newer "$WORK/m2-$wh.out" 2>/dev/null)"
	check "lower, whiteout=$wh: copies went to the upper layer" test -f "$WORK/up2-$wh/pre/data"
done

# Upper-only, as an unprivileged user through allow_other: files must
# belong to the user, and the kernel must enforce permissions.
U=fktest
id "$U" >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin "$U" || {
	echo "SKIP: cannot create user $U"; finish; }
mkdir -p "$WORK/unative" "$WORK/ulower" "$WORK/uup" "$WORK/uw"
chown "$U:" "$WORK/unative" "$WORK/ulower" "$WORK/uup"
cp "$SCEN" "$WORK/scen.py" && chmod 644 "$WORK/scen.py"
start_ovl "$WORK/um" "lowerdir=$WORK/ulower,upperdir=$WORK/uup,workdir=$WORK/uw,allow_other"
SCEN="$WORK/scen.py" compare_scenarios user "$WORK/unative" "$WORK/um" \
	setpriv --reuid="$U" --regid="$U" --init-groups --
expect "user's files belong to the user in the upper layer" 0 \
	"$(find "$WORK/uup" ! -user "$U" | wc -l)"
stop_daemon "$WORK/um" "$DPID"

# An unprivileged daemon keeping owners and modes in xattrs
# (xattr_permissions=2, as podman asks with force_mask), used by its user,
# over a fixture in its lower layer.
if [ "$(stat -c %a /dev/fuse)" = 666 ] && command -v fusermount3 >/dev/null; then
	X=$WORK/x
	mkdir -p "$X/native" "$X/lower" "$X/up" "$X/w" "$X/mnt" "$X/bin"
	cp "$FUSEKIT" "$X/bin/" && chmod -R a+rX "$X/bin"
	chown -R "$U:" "$X"
	for d in "$X/lower" "$X/native"; do
		setpriv --reuid="$U" --regid="$U" --init-groups -- "$PY" "$WORK/scen.py" --prepare "$d"
	done
	MOUNTS+=("$X/mnt")
	setpriv --reuid="$U" --regid="$U" --init-groups -- "$X/bin/$(basename "$FUSEKIT")" overlay -f \
		-o "lowerdir=$X/lower,upperdir=$X/up,workdir=$X/w,xattr_permissions=2" "$X/mnt" \
		2>>"$WORK/ovl.log" &
	DPID=$!
	track_daemon "$DPID" "$X/mnt"
	# (root cannot stat a mount without allow_other: mountinfo tells.)
	for _ in $(seq 100); do grep -q " $X/mnt " /proc/self/mountinfo && break; sleep 0.1; done
	if grep -q " $X/mnt " /proc/self/mountinfo; then
		SCEN="$WORK/scen.py" SCEN_MODE=--existing compare_scenarios \
			"unprivileged daemon, xattr_permissions=2" "$X/native" "$X/mnt" \
			setpriv --reuid="$U" --regid="$U" --init-groups --
		stop_daemon "$X/mnt" "$DPID"
	else
		bad "xattr_permissions=2 by the user: not mounted: $(tail -3 "$WORK/ovl.log")"
	fi
else
	echo "# no unprivileged daemon run: /dev/fuse is not 0666 or no fusermount3"
fi
finish
