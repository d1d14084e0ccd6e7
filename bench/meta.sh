#!/bin/bash
# bench/meta.sh — metadata at scale: create, getattr, lookup (the kernel's
# caches dropped), readdir, rename and unlink of N names in one directory,
# and files at the bottom of a 32-deep tree (meta_ops.py), for each N,
# through each system, as ratios to the native directory measured in the
# same run. For fusekit's daemons also: the memory each node the kernel
# holds costs (the daemon's resident memory after getattr, less before
# create, over N) and the daemon's CPU time per 1000 operations.
#
#   sudo bench/meta.sh [N...]        (default: 1000 10000 100000)
#
# Systems (bench/lib.sh says what each name is): native; fusekit
# passthrough (kernel passthrough, fd mode), the same through the daemon
# (-o nopassthrough: over io_uring where the fuse module's enable_uring
# is Y), and through /dev/fuse (fusekit-dev); kernel overlayfs and
# fusekit overlay, with an empty lower layer. FK_BENCH_SYSTEMS="native
# ..." runs others (native first). Output: Markdown tables on stdout.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
. bench/lib.sh
SIZES=${*:-1000 10000 100000}
OPS=$ROOT/bench/meta_ops.py

# rss PID: resident bytes; cpu PID: user+system CPU, in clock ticks.
rss() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"; }
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
TCK=$(getconf CLK_TCK)
budget_of() {
	case $1 in
	ovl-* | union*) echo $(($(ulimit -n) / 4)) ;;
	*) echo $(($(ulimit -n) / 2)) ;;
	esac
}

JOBS="create getattr lookup readdir rename unlink deep"
SYSTEMS=${FK_BENCH_SYSTEMS:-native fusekit fusekit-nopt fusekit-dev ovl-kernel ovl-fusekit}
SYSTEMS=$(for s in $SYSTEMS; do have_system "$s" && echo "$s"; done | xargs)
declare -A R MEM CPUK
for n in $SIZES; do
	MEM=()
	for s in $SYSTEMS; do
		mount_system "$s"
		d=$DIR/t
		$RUNAS mkdir "$d"
		r0=0 c0=0
		[ "$DPID" = 0 ] || r0=$(rss "$DPID")
		for j in $JOBS; do
			[ "$j" = lookup ] && { sync; echo 2 > /proc/sys/vm/drop_caches; }
			[ "$DPID" = 0 ] || c0=$(cpu "$DPID")
			R[$s,$j]=$($RUNAS "$PY" "$OPS" "$d" "$n" "$j")
			system_alive "$s $j"
			if [ "$DPID" != 0 ]; then
				# CPU milliseconds per 1000 operations.
				ops=$n
				[ "$j" = deep ] && ops=$((3 * n))
				CPUK[$s,$j]=$(awk -v c="$(( $(cpu "$DPID") - c0 ))" -v t="$TCK" -v o="$ops" \
					'BEGIN { printf "%.1f", c * 1000 / t * 1000 / o }')
			fi
			# Past its budget a daemon has the kernel forget nodes
			# (fd_cap: half the descriptor limit; the overlay's: a
			# quarter), so its memory stops growing with n: no figure.
			[ "$j" = getattr ] && [ "$DPID" != 0 ] && [ "$n" -le "$(budget_of "$s")" ] &&
				MEM[$s]=$(( ($(rss "$DPID") - r0) / n ))
			echo "bench: n=$n $s $j ${R[$s,$j]}" >&2
		done
		$RUNAS rmdir "$d"
		unmount_system
	done
	echo "### $n names in one directory"
	echo
	table
	echo
	line="| daemon bytes per node the kernel holds |"
	cline="| daemon CPU ms per 1000 creates / getattrs / lookups |"
	hdr="| | "
	for s in $SYSTEMS; do
		[ "$s" = native ] || [ "$s" = ovl-kernel ] && continue
		hdr="$hdr$s | "
		line="$line ${MEM[$s]:--} |"
		cline="$cline ${CPUK[$s,create]} / ${CPUK[$s,getattr]} / ${CPUK[$s,lookup]} |"
	done
	echo "$hdr"
	echo "|---|$(for s in $SYSTEMS; do [ "$s" = native ] || [ "$s" = ovl-kernel ] || printf -- '---|'; done)"
	echo "$line"
	echo "$cline"
	echo
done
