#!/bin/bash
# fuzz.sh — seeded random sequences of real operations (fuzz_ops.py) in a
# native directory and through a mount: every answer and the final tree
# must be the same. The passthrough in every inode mode, from empty; the
# overlay in both whiteout formats (redirect_dir=on, so that renames of
# lower directories answer as natively), over a fixture in its lower
# layer, so that changes copy up; the union of two RW branches (the
# fixture in the first, new names on either at random) and an RO one,
# and with -o cow the fixture in the RO branch (every change a copy-up
# or a whiteout).
# FK_FUZZ_SEEDS and FK_FUZZ_OPS size it;
# scripts/fuzz-ops.sh runs it for as long as asked.
. "$(dirname "$0")/lib.sh"
require_fuse
HERE=$(cd "$(dirname "$0")" && pwd)
SEEDS=${FK_FUZZ_SEEDS:-1 2 3}
OPS=${FK_FUZZ_OPS:-400}

# The native directory and the mount point are each the only entry of a
# directory of their own: a symlink at the top ("../n1") leads out of the
# tree, into that directory, and what is made through it there must not
# be seen by the other run.
#
# same_run LABEL NATIVE MNT SEED: the sequence in both, compared.
same_run() {
	local label=$1 native=$2 mnt=$3 seed=$4
	"$PY" "$HERE/fuzz_ops.py" "$native" "$seed" "$OPS" >"$native.out" 2>"$native.err"
	"$PY" "$HERE/fuzz_ops.py" "$mnt" "$seed" "$OPS" >"$mnt.out" 2>"$mnt.err"
	if [ -n "${FK_FUZZ_STATS:-}" ]; then # scripts/fuzz-ops.sh's tally
		echo "ops $OPS" >>"$FK_FUZZ_STATS"
		grep -o ': E[A-Z]*$' "$mnt.out" | sed 's/^: /errno /' >>"$FK_FUZZ_STATS"
	fi
	if [ ! -s "$native.out" ] || [ -s "$mnt.err" ]; then
		bad "$label seed $seed: the run failed: $(head -3 "$mnt.err" "$native.err")"
	elif diff -u "$native.out" "$mnt.out" >"$mnt.diff"; then
		ok "$label seed $seed: $OPS operations and the tree, as native"
	else
		bad "$label seed $seed: differs (- native, + mount)"
		head -20 "$mnt.diff"
	fi
}

for opts in inode=fd inode=lazy,fd_cap=4 inode=handle inode=handle,hold=dirs,fd_cap=3; do
	tag=$(echo "$opts" | tr -c 'a-z0-9\n' _)
	for seed in $SEEDS; do
		t=$WORK/p-$tag-$seed
		mkdir -p "$t/native/t" "$t/src" "$t/mnt"
		start_pt "$t/src" "$t/mnt/t" -o "$opts"
		same_run "passthrough $opts" "$t/native/t" "$t/mnt/t" "$seed"
		stop_daemon "$t/mnt/t" "$DPID"
	done
done

for wh in chardev oci; do
	for seed in $SEEDS; do
		t=$WORK/o-$wh-$seed
		mkdir -p "$t/lower" "$t/upper" "$t/work" "$t/native/t" "$t/mnt"
		"$PY" "$HERE/fuzz_ops.py" --prepare "$t/lower"
		"$PY" "$HERE/fuzz_ops.py" --prepare "$t/native/t"
		start_ovl "$t/mnt/t" "lowerdir=$t/lower,upperdir=$t/upper,workdir=$t/work,whiteout=$wh,redirect_dir=on"
		same_run "overlay whiteout=$wh" "$t/native/t" "$t/mnt/t" "$seed"
		stop_daemon "$t/mnt/t" "$DPID"
	done
done
for mode in pool cow; do
	for seed in $SEEDS; do
		t=$WORK/u-$mode-$seed
		mkdir -p "$t/b1" "$t/b2" "$t/ro" "$t/native/t" "$t/mnt/t"
		opts=category.create=rand,minfreespace=0
		fixture=$t/b1
		[ $mode = cow ] && opts=$opts,cow && fixture=$t/ro
		"$PY" "$HERE/fuzz_ops.py" --prepare "$fixture"
		"$PY" "$HERE/fuzz_ops.py" --prepare "$t/native/t"
		MOUNTS+=("$t/mnt/t")
		"$FUSEKIT" union -f -o "$opts" "$t/b1:$t/b2:$t/ro=RO" "$t/mnt/t" \
			2>"$t/union.log" &
		DPID=$!
		track_daemon "$DPID" "$t/mnt/t"
		wait_mounted "$t/mnt/t" || { bad "union mount: $(cat "$t/union.log")"; finish; }
		same_run "union $mode" "$t/native/t" "$t/mnt/t" "$seed"
		stop_daemon "$t/mnt/t" "$DPID"
	done
done
finish
