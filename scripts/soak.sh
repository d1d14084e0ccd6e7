#!/bin/bash
# scripts/soak.sh [MINUTES] [FUSEKIT] — a mixed load on a passthrough (lazy
# mode, a small descriptor cap) and an overlay mount at once, for MINUTES
# (default 2): racing clients (tests/mount/ops_storm.py), a data-integrity
# writer (build/tests/fk_soak, when built) and the POSIX scenarios in a
# loop, the host renaming a directory underneath. Every 10 s each daemon's
# descriptor count and resident memory are sampled and printed:
#
#   t=SECONDS pt_fds=N pt_rss_kib=N ovl_fds=N ovl_rss_kib=N
#
# Descriptors follow what the kernel remembers (a node it knows holds
# them), so they rise and fall with the load; a leak shows when the load
# stops and the kernel forgets (drop_caches): each daemon must be back to
# what it held before the load, give or take 16. Resident memory must not
# grow after the first half by more than a tenth (plus 1 MiB). The last
# line says "flat" or "growing: ..."; the exit status is 0 only when flat
# and both daemons lived to their unmount and exited 0, and no fusekit
# program crashed meanwhile (tests/kernel_crashes.sh). Needs root and
# python3.
set -u
MINUTES=${1:-2}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/kernel_crashes.sh"
crash_watch_start
FUSEKIT=${2:-$ROOT/build/fusekit}
SOAK=$(dirname "$FUSEKIT")/tests/fk_soak
[ "$(id -u)" = 0 ] || { echo "soak: needs root"; exit 1; }
[ -x "$FUSEKIT" ] || { echo "soak: no $FUSEKIT (build first)"; exit 1; }
W=$(mktemp -d /tmp/fk-soak.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in $(jobs -p); do kill "$p" 2>/dev/null; done
	umount -l "$W/pm" "$W/om" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir -p "$W/src/a" "$W/pm" "$W/lower/a" "$W/upper" "$W/work" "$W/om"
for i in 0 1 2 3; do echo lower >"$W/lower/a/n$i"; done
"$FUSEKIT" passthrough -f -o inode=lazy,fd_cap=32 "$W/src" "$W/pm" 2>"$W/pt.log" &
PT=$!
"$FUSEKIT" overlay -f -o "lowerdir=$W/lower,upperdir=$W/upper,workdir=$W/work" "$W/om" 2>"$W/ovl.log" &
OVL=$!
for _ in $(seq 100); do
	mountpoint -q "$W/pm" && mountpoint -q "$W/om" && break
	sleep 0.1
done
mountpoint -q "$W/pm" && mountpoint -q "$W/om" || { echo "soak: the mounts did not appear"; exit 1; }

sample() { # PID: "fds rss_kib"
	echo "$(ls "/proc/$1/fd" 2>/dev/null | wc -l) $(awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null)"
}
read -r pt_fds0 _ <<<"$(sample $PT)"
read -r ovl_fds0 _ <<<"$(sample $OVL)"
echo "t=0 pt_fds=$pt_fds0 ovl_fds=$ovl_fds0 (before the load)"

SECS=$((MINUTES * 60))
END=$((SECONDS + SECS))
# The load, until END.
for m in "$W/pm" "$W/om"; do
	for i in 1 2 3; do
		(
			seed=$i
			while [ $SECONDS -lt $END ]; do
				python3 "$ROOT/tests/mount/ops_storm.py" "$m" "$seed" 20 >>"$W/storm.out" 2>&1
				seed=$((seed + 100))
			done
		) &
	done
	(
		while [ $SECONDS -lt $END ]; do
			rm -rf "$m/scen"
			mkdir -p "$m/scen"
			python3 "$ROOT/tests/conformance/posix_scenarios.py" "$m/scen" >/dev/null 2>&1
		done
	) &
	if [ -x "$SOAK" ]; then
		(
			mkdir -p "$m/data"
			while [ $SECONDS -lt $END ]; do
				"$SOAK" "$m/data" 20000 $RANDOM >>"$W/soak.out" 2>&1
			done
		) &
	fi
done
bash "$ROOT/tests/mount/renamer.sh" "$W/src" "$SECS" 0.2 &

series=()
t=0
while [ $SECONDS -lt $END ]; do
	sleep 10
	t=$((t + 10))
	read -r pf pr <<<"$(sample $PT)"
	read -r of orss <<<"$(sample $OVL)"
	echo "t=$t pt_fds=$pf pt_rss_kib=${pr:-dead} ovl_fds=$of ovl_rss_kib=${orss:-dead}"
	series+=("$t $pf ${pr:-0} $of ${orss:-0}")
done
wait $(jobs -p | grep -vx "$PT" | grep -vx "$OVL") 2>/dev/null
# The load is over: the kernel forgets what it cached, and each daemon
# must hold no more than before it.
rm -rf "$W/pm/scen" "$W/om/scen"
sync
echo 2 >/proc/sys/vm/drop_caches
sleep 2
read -r pt_fds1 pt_rss1 <<<"$(sample $PT)"
read -r ovl_fds1 ovl_rss1 <<<"$(sample $OVL)"
echo "after: pt_fds=$pt_fds1 pt_rss_kib=$pt_rss1 ovl_fds=$ovl_fds1 ovl_rss_kib=$ovl_rss1 (load over, caches dropped)"

rc=0
for p in "$PT:$W/pm" "$OVL:$W/om"; do
	pid=${p%%:*} mnt=${p#*:}
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "soak: the daemon of $mnt died"
		rc=1
	fi
	umount "$mnt" 2>/dev/null || umount -l "$mnt"
	wait "$pid"
	st=$?
	[ $st = 0 ] || { echo "soak: the daemon of $mnt exited $st"; rc=1; }
done
crashes=$(kernel_crashes)
[ -z "$crashes" ] || { echo "soak: a fusekit program crashed:"; echo "$crashes" | head -5; rc=1; }
grep -h "unexpected:" "$W/storm.out" | sort | uniq -c | head -5
grep -h "failed" "$W/soak.out" 2>/dev/null | grep -v " 0 failed" | head -3
verdict=$(printf '%s\n' "${series[@]}" | awk -v n="${#series[@]}" \
	-v pt0="$pt_fds0" -v pt1="${pt_fds1:-999999}" -v ov0="$ovl_fds0" -v ov1="${ovl_fds1:-999999}" '
	{ pr[NR] = $3; or[NR] = $5 }
	END {
		if (pt1 > pt0 + 16) grow = grow " pt_fds(" pt0 "->" pt1 ")"
		if (ov1 > ov0 + 16) grow = grow " ovl_fds(" ov0 "->" ov1 ")"
		h = int(n / 2); a = 0; b = 0; c = 0; d = 0
		for (r = 1; r <= n; r++) {
			if (r <= h) { if (pr[r] > a) a = pr[r]; if (or[r] > c) c = or[r] }
			else { if (pr[r] > b) b = pr[r]; if (or[r] > d) d = or[r] }
		}
		if (h && b > a * 1.1 + 1024) grow = grow " pt_rss(" a "->" b ")"
		if (h && d > c * 1.1 + 1024) grow = grow " ovl_rss(" c "->" d ")"
		print grow ? "growing:" grow : "flat"
	}')
echo "$verdict"
[ "$verdict" = flat ] || rc=1
exit $rc
