#!/bin/bash
# bench/layers.sh — overlay lookups as the lower layers grow: N files in
# a directory of the lowest layer, that directory also in every layer
# above it (so each lookup in it must consider every layer), looked up
# with the kernel's dentries and inodes dropped first (one LOOKUP each),
# and N names that are in no layer (each an ENOENT). For 1, 10, 50 and
# 100 lower layers, kernel overlayfs beside fusekit's overlay; the rate
# at L layers as a ratio to the same system's rate at 1 layer: flat is
# 1.00, and fusekit's overlay must stay within 1.2x of its 1-layer cost.
#
#   sudo bench/layers.sh [N] [ROUNDS]        (default 10000 3)
#
# Each figure is the median of ROUNDS, the layer counts and systems
# interleaved. FK_BENCH_SYSTEMS="ovl-kernel ovl-fusekit-dev ..." picks
# systems (bench/lib.sh). Output: a Markdown table on stdout.
set -eu
cd "$(dirname "$0")/.."
N=${1:-10000}
ROUNDS=${2:-3}
ROOT=$(pwd)
. bench/lib.sh
OPS=$ROOT/bench/meta_ops.py
COUNTS="1 10 50 100"
SYSTEMS=${FK_BENCH_SYSTEMS:-ovl-kernel ovl-fusekit}
SYSTEMS=$(for s in $SYSTEMS; do have_system "$s" && echo "$s"; done | xargs)

# The layers, once: L/0 the lowest, with the files; L/1..L/99 each with
# an empty d. Short paths: 100 of them must fit in one page of options.
mkdir -p "$W/L/0/d"
python3 "$OPS" "$W/L/0/d" "$N" create >/dev/null
for i in $(seq 1 99); do mkdir -p "$W/L/$i/d"; done
# lowers L: the lowerdir list of the top L layers, topmost first, ending
# at the lowest (L/0).
lowers() {
	local i out=$W/L/0
	for i in $(seq 1 $(($1 - 1))); do out=$W/L/$i:$out; done
	echo "$out"
}

declare -A V
for r in $(seq "$ROUNDS"); do
	for l in $COUNTS; do
		for s in $SYSTEMS; do
			LOWER=$(lowers "$l")
			mount_system "$s"
			for j in lookup absent; do
				sync
				echo 2 > /proc/sys/vm/drop_caches
				V[$s,$l,$j,$r]=$(python3 "$OPS" "$DIR/d" "$N" "$j")
				system_alive "$s $l layers $j"
				echo "bench: round $r, $l layers, $s $j ${V[$s,$l,$j,$r]}" >&2
			done
			unmount_system
		done
	done
done
unset LOWER

echo "Lookups per second ($N names; median of $ROUNDS rounds), and as a ratio to the same system with 1 layer:"
echo
printf '| system | job |'; for l in $COUNTS; do printf ' %s layer(s) |' "$l"; done; echo
printf '|---|---|'; for l in $COUNTS; do printf -- '---|'; done; echo
for s in $SYSTEMS; do
	for j in lookup absent; do
		line="| $s | $j |"
		base=
		for l in $COUNTS; do
			m=$(median $(for r in $(seq "$ROUNDS"); do echo "${V[$s,$l,$j,$r]}"; done))
			[ -n "$base" ] || base=$m
			line="$line $(ratio "$base" "$m") |"
		done
		echo "$line"
	done
done
