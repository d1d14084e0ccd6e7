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

# Upper-only, as root.
mkdir -p "$WORK/native" "$WORK/lower0" "$WORK/up1" "$WORK/w1"
start_ovl "$WORK/m1" "lowerdir=$WORK/lower0,upperdir=$WORK/up1,workdir=$WORK/w1"
compare_scenarios upper-only "$WORK/native" "$WORK/m1"
stop_daemon "$WORK/m1" "$DPID"
expect "upper-only: daemon exits 0" 0 "$?"

# Lower and mixed, as root.
mkdir -p "$WORK/native2" "$WORK/lower" "$WORK/up2" "$WORK/w2"
"$PY" "$SCEN" --prepare "$WORK/native2"
"$PY" "$SCEN" --prepare "$WORK/lower"
start_ovl "$WORK/m2" "lowerdir=$WORK/lower,upperdir=$WORK/up2,workdir=$WORK/w2"
SCEN_MODE=--existing compare_scenarios lower "$WORK/native2" "$WORK/m2"
stop_daemon "$WORK/m2" "$DPID"
expect "lower: daemon exits 0" 0 "$?"
expect "the lower layer was not changed" "" \
	"$(find "$WORK/lower" -newer "$WORK/m2.out" 2>/dev/null)"
check "copies went to the upper layer" test -f "$WORK/up2/pre/data"

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
expect "user run: daemon exits 0" 0 "$?"
finish
