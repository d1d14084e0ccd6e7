# lib.sh — shared helpers for the mount tests (sourced, not run).
#
# Every test mounts under its own temporary directory and registers a trap
# that unmounts (lazily) and kills only the daemon it started, by pid, so a
# failing test never leaves a mount or a process behind. A mount that does
# not appear within 10 s fails the test; ctest's TIMEOUT bounds the rest.
# Every daemon must live until it is stopped and exit 0 then, and no
# fusekit program may crash while the test runs (the kernel log, see
# ../kernel_crashes.sh): finish checks both.

set -u
MEMFS=${1:?usage: $0 FK_MEMFS FUSEKIT SAMPLE_DIR}
FUSEKIT=${2:?}
SAMPLE=${3:?}

. "$(dirname "${BASH_SOURCE[0]}")/../kernel_crashes.sh"
crash_watch_start

PASS=0
FAIL=0
DAEMON_PIDS=()
declare -A DAEMON_MNT DAEMON_DONE
MOUNTS=()
WORK=$(mktemp -d /tmp/fk-mount-test.XXXXXX)
chmod 755 "$WORK"

cleanup() {
	for m in "${MOUNTS[@]}"; do
		# Harmless when not mounted; clears dead mounts too.
		umount -l "$m" 2>/dev/null || fusermount3 -u -z "$m" 2>/dev/null || true
	done
	for p in "${DAEMON_PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null || true
	done
	rm -rf "$WORK" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 1' INT TERM

require_fuse() {
	if [ "$(id -u)" != 0 ] || [ ! -c /dev/fuse ]; then
		echo "SKIP: mount tests need root and /dev/fuse"
		exit 77
	fi
}

ok() { PASS=$((PASS + 1)); echo "ok   $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $*"; }

# check DESCRIPTION COMMAND...: the command must succeed
check() {
	local d=$1; shift
	if "$@" >/dev/null 2>"$WORK/.err"; then ok "$d"; else bad "$d: $(head -c 300 "$WORK/.err")"; fi
}
# check_fails DESCRIPTION COMMAND...: the command must fail
check_fails() {
	local d=$1; shift
	if "$@" >/dev/null 2>&1; then bad "$d (succeeded)"; else ok "$d"; fi
}
# expect DESCRIPTION WANT GOT. An empty WANT also needs every daemon the
# test runs to be alive: a dead mount answers nothing, which proves
# nothing.
expect() {
	if [ "$2" != "$3" ]; then
		bad "$1: want [$2] got [$3]"
	elif [ -z "$2" ] && ! daemons_alive; then
		bad "$1: empty, but a daemon is dead ($(dead_daemons))"
	else
		ok "$1"
	fi
}

# ---- daemons: each one a test starts must live until it is stopped ----

# track_daemon PID MNT: the test started a daemon serving MNT. finish
# stops it if the test has not (it must exit 0), and fails the test if it
# died before.
track_daemon() {
	DAEMON_PIDS+=("$1")
	DAEMON_MNT[$1]=$2
}
# forget_daemon PID: the test ends this daemon itself (a signal, a crash
# it causes on purpose) and checks how it ended.
forget_daemon() { DAEMON_DONE[$1]=1; }
dead_daemons() {
	local p
	for p in "${DAEMON_PIDS[@]}"; do
		[ -z "${DAEMON_DONE[$p]:-}" ] && ! kill -0 "$p" 2>/dev/null &&
			printf '%s ' "pid $p of ${DAEMON_MNT[$p]:-?}"
	done
}
daemons_alive() { [ -z "$(dead_daemons)" ]; }

wait_mounted() { # MNT: wait up to 10 s for the mount to appear
	for _ in $(seq 100); do
		mountpoint -q "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

wait_gone() { # PID: wait up to 10 s for the process to exit
	for _ in $(seq 100); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# start_memfs MNT [ARGS...]: run fk-memfs in the background; sets DPID
start_memfs() {
	local mnt=$1; shift
	mkdir -p "$mnt"
	MOUNTS+=("$mnt")
	"$MEMFS" "$@" "$mnt" 2>"$WORK/memfs.$(basename "$mnt").log" &
	DPID=$!
	track_daemon "$DPID" "$mnt"
	if ! wait_mounted "$mnt"; then
		bad "mount of $mnt did not appear"
		cat "$WORK/memfs.$(basename "$mnt").log"
		finish
	fi
}

# stop_daemon MNT PID: unmount, wait for the daemon; returns its exit
# status. A daemon that died before its unmount, or exits non-zero on it,
# fails the test whatever else the test asserted: a dead daemon answers
# nothing, which an expected empty output cannot tell apart.
stop_daemon() {
	local alive=1 rc
	DAEMON_DONE[$2]=1
	kill -0 "$2" 2>/dev/null || alive=0
	"$FUSEKIT" umount "$1"
	wait_gone "$2"
	wait "$2"
	rc=$?
	if [ $alive = 0 ]; then
		bad "the daemon of $1 (pid $2) had died before its unmount (exit $rc)"
	elif [ $rc != 0 ]; then
		bad "the daemon of $1 (pid $2) exited $rc on unmount"
	fi
	return $rc
}

# The POSIX scenarios (tests/conformance) and the python that runs them.
SCEN=$(cd "$(dirname "${BASH_SOURCE[0]}")/../conformance" && pwd)/posix_scenarios.py
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

# xattr_list_race LABEL MNT_DIR HOST_DIR: for 2 s, listxattr through
# the mount while the host adds and removes attributes underneath
# (xattr_list_race.py): every list is one the file had, none fails.
xattr_list_race() {
	local out
	out=$("$PY" "$(dirname "${BASH_SOURCE[0]}")/xattr_list_race.py" "$2" "$3" 2 2>&1)
	expect "$1: listxattr racing the host's setxattr gives lists the file had" \
		"wrong 0" "$(echo "$out" | sed -n 's/^lists [1-9][0-9]* //p')"
	echo "$out" | grep -v '^lists' | head -5
}

# RUN_WITH: a command that runs the daemons of start_pt and start_union
# (say "prlimit --nofile=256:256"); it must exec them, keeping the pid.
RUN_WITH=
start_pt() { # SRC MNT [OPTIONS]: fusekit passthrough in the foreground, backgrounded
	local src=$1 mnt=$2; shift 2
	mkdir -p "$mnt"
	MOUNTS+=("$mnt")
	$RUN_WITH "$FUSEKIT" passthrough -f "$@" "$src" "$mnt" 2>"$WORK/pt.$(basename "$mnt").log" &
	DPID=$!
	track_daemon "$DPID" "$mnt"
	wait_mounted "$mnt" || { bad "passthrough mount of $mnt did not appear";
		cat "$WORK/pt.$(basename "$mnt").log"; finish; }
}

start_union() { # MNT BRANCHES [OPTIONS]: fusekit union, as start_pt
	local mnt=$1 branches=$2; shift 2
	mkdir -p "$mnt"
	MOUNTS+=("$mnt")
	$RUN_WITH "$FUSEKIT" union -f "$@" "$branches" "$mnt" 2>>"$WORK/union.log" &
	DPID=$!
	track_daemon "$DPID" "$mnt"
	wait_mounted "$mnt" || { bad "union mount of $mnt: $(tail -3 "$WORK/union.log")"; finish; }
}

start_ovl() { # MNT OPTIONS [PROGRAM]: an overlay in the foreground, backgrounded
	local mnt=$1 opts=$2 prog=${3:-$FUSEKIT overlay}
	mkdir -p "$mnt"
	MOUNTS+=("$mnt")
	$prog -f -o "$opts" "$mnt" 2>>"$WORK/ovl.log" &
	DPID=$!
	track_daemon "$DPID" "$mnt"
	wait_mounted "$mnt" || { bad "overlay mount of $mnt ($opts): $(tail -5 "$WORK/ovl.log")"; finish; }
}

# ovl_compare_steps KERNEL_MNT OUR_MNT: the changes of ovl_scenarios.py
# through both overlays must run to the end and print the same.
ovl_compare_steps() {
	local here m
	here=$(dirname "${BASH_SOURCE[0]}")
	for m in "$1" "$2"; do
		"$PY" "$here/ovl_scenarios.py" "$m" >"$m.out" 2>"$m.err"
		check "scenarios ran to the end on $(basename "$m")" grep -q '^== end' "$m.out"
		[ -s "$m.err" ] && head -20 "$m.err"
	done
	if diff -u "$1.out" "$2.out"; then
		ok "$(grep -vc '^==' "$1.out") steps: same results as kernel overlayfs"
	else
		bad "steps differ (- kernel overlayfs, + ours)"
	fi
}

# compare_trees LABEL KERNEL_DIR OUR_DIR [LOWER...]: ovl_describe.py of
# both must be the same (inode numbers compared when LOWERs are given).
compare_trees() {
	local label=$1 k=$2 f=$3 here
	shift 3
	here=$(dirname "${BASH_SOURCE[0]}")
	"$PY" "$here/ovl_describe.py" "$k" "$@" >"$WORK/desc.k"
	"$PY" "$here/ovl_describe.py" "$f" "$@" >"$WORK/desc.f"
	if diff -u "$WORK/desc.k" "$WORK/desc.f"; then
		ok "$label: identical ($(wc -l <"$WORK/desc.k") entries)"
	else
		bad "$label differs (- kernel overlayfs, + ours)"
	fi
}

# compare_scenarios LABEL NATIVE MNT [RUNNER...]: the scenarios must run
# to their end in both directories, abort nowhere, and print the same.
# SCEN_MODE=--existing runs the scenarios on the --prepare fixture.
# Where a filesystem differs from POSIX by design, SCEN_EXPECT (a sed
# script) turns the native output into what it must print instead, and
# SCEN_EXPECT_BOTH drops steps that follow from it from both outputs.
compare_scenarios() {
	local label=$1 native=$2 mnt=$3; shift 3
	local dir
	for dir in "$native" "$mnt"; do
		"$@" "$PY" "$SCEN" ${SCEN_MODE:-} "$dir" > "$dir.out" 2> "$dir.err"
		expect "$label: scenarios in $(basename "$dir") exit 0" 0 "$?"
		check "$label: scenarios in $(basename "$dir") ran to the end" grep -q '^== end' "$dir.out"
		expect "$label: no scenario aborted in $(basename "$dir")" 0 "$(grep -c aborted "$dir.out")"
		[ -s "$dir.err" ] && { echo "# stderr of $dir:"; head -20 "$dir.err"; }
	done
	if [ -n "${SCEN_EXPECT:-}" ]; then
		sed -i -e "$SCEN_EXPECT" "$native.out"
		sed -i -e "${SCEN_EXPECT_BOTH:-}" "$native.out" "$mnt.out"
	fi
	if diff -u "$native.out" "$mnt.out"; then
		ok "$label: $(grep -vc '^==' "$native.out") scenario steps identical on native and mount"
	else
		bad "$label: scenarios differ (- native, + mount)"
	fi
}

finish() {
	local p
	for p in "${DAEMON_PIDS[@]}"; do
		[ -n "${DAEMON_DONE[$p]:-}" ] && continue
		if kill -0 "$p" 2>/dev/null; then
			stop_daemon "${DAEMON_MNT[$p]}" "$p" # must exit 0
		else
			wait "$p" 2>/dev/null
			bad "the daemon of ${DAEMON_MNT[$p]:-?} (pid $p) died during the test (exit $?)"
		fi
	done
	local crashes
	crashes=$(kernel_crashes)
	[ -z "$crashes" ] || { bad "a fusekit program crashed during the test:"; echo "$crashes" | head -5; }
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" = 0 ] && exit 0
	exit 1
}
