# bench/lib.sh — what the benchmark scripts share (sourced): the build,
# a scratch directory W removed at exit with every mount and daemon the
# script registered (MNTS, PIDS), mounting one system at a time, one fio
# job, and ratios. A daemon that dies (or exits non-zero on unmount), or
# a fusekit crash in the kernel log, stops the bench without figures.
[ "$(id -u)" = 0 ] || { echo "bench: needs root"; exit 1; }
for t in fio pkg-config python3 ${BENCH_NEEDS:-}; do
	command -v $t >/dev/null || { echo "bench: needs $t (apt-get install fio libfuse3-dev pkg-config)"; exit 1; }
done
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
FUSEKIT=$ROOT/build/fusekit
# A system named NAME@base is NAME run with FK_BENCH_BASE, another build's
# fusekit (say, the commit before a change): both in one run, so the
# ratio between them is a fair before/after on a noisy machine.
#   fusekit_of NAME: sets BIN to the binary and SYS to NAME without @base.
fusekit_of() {
	BIN=$FUSEKIT SYS=$1
	case $1 in *@base)
		BIN=${FK_BENCH_BASE:?"bench: $1 needs FK_BENCH_BASE=/path/to/other/fusekit"}
		SYS=${1%@base} ;;
	esac
}

W=$(mktemp -d /var/tmp/fk-bench.XXXXXX)
PIDS=()
MNTS=()
cleanup() {
	for m in "${MNTS[@]}"; do umount -l "$m" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$W"
}
trap cleanup EXIT
trap "exit 130" INT TERM

# A daemon that dies measured nothing: every check below stops the bench
# with why, instead of printing a dead mount's zeros as figures.
. "$ROOT/tests/kernel_crashes.sh"
crash_watch_start
# system_alive WHAT: the daemon of the system mounted last (0: none, the
# kernel's own) still serves, and no fusekit program crashed meanwhile.
system_alive() {
	local p=0 rc crashes
	[ "${#PIDS[@]}" = 0 ] || p=${PIDS[-1]}
	crashes=$(kernel_crashes)
	if [ -n "$crashes" ]; then
		echo "bench: a fusekit program crashed during $1:" >&2
		echo "$crashes" >&2
		exit 1
	fi
	[ "$p" = 0 ] || kill -0 "$p" 2>/dev/null && return 0
	wait "$p"
	rc=$?
	echo "bench: the daemon died during $1 (exit $rc): no figures" >&2
	exit 1
}

# unmount_system: the last system mounted goes (one mounted at a time);
# its daemon must exit 0.
unmount_system() {
	[ "${#MNTS[@]}" -gt 0 ] || return 0
	system_alive "the last job before unmounting ${MNTS[-1]}"
	umount "${MNTS[-1]}" 2>/dev/null || umount -l "${MNTS[-1]}"
	unset 'MNTS[-1]'
	local p=${PIDS[-1]} rc=0
	unset 'PIDS[-1]'
	[ "$p" = 0 ] || wait "$p" || rc=$?
	if [ "$rc" != 0 ]; then
		echo "bench: the daemon exited $rc on unmount: no figures" >&2
		exit 1
	fi
}

wait_mount() {
	for _ in $(seq 100); do mountpoint -q "$1" && return 0; sleep 0.1; done
	echo "bench: $1 did not mount" >&2
	return 1
}

job() { # NAME DIR [FIO ARGS]: run one fio job, print its rate (IOPS, or MiB/s for 1m jobs)
	local name=$1 dir=$2
	shift 2
	# invalidate=0: fio would otherwise drop the page cache of its files
	# before each job. That sends native reads to the disk while a FUSE
	# mount with kernel passthrough keeps the backing file's cache: the
	# systems would not be measured alike. Every system reads cached data.
	# pre_read=1 on the read jobs: fio lays its files out and then drops
	# them from the cache (fincore shows 0 bytes), so native reads went to
	# the disk (~30k IOPS on this machine's virtio disk) while a FUSE
	# mount read the backing files, which the daemon's writes had left in
	# the host's cache: a native figure below every FUSE mount. Read once
	# first, every system's files are cached alike.
	local common="--directory=$dir --group_reporting --output-format=json --invalidate=0"
	local args
	case $name in
	randread-4k) args="--pre_read=1 --rw=randread --bs=4k --ioengine=posixaio --numjobs=4 --iodepth=16 --size=512m --time_based --runtime=$RT --ramp_time=2" ;;
	seqread-1m) args="--pre_read=1 --rw=read --bs=1m --ioengine=posixaio --numjobs=2 --iodepth=4 --size=1g --time_based --runtime=$RT --ramp_time=2" ;;
	randwrite-4k) args="--rw=randwrite --bs=4k --ioengine=posixaio --numjobs=4 --iodepth=16 --size=512m --time_based --runtime=$RT --ramp_time=2" ;;
	seqwrite-1m) args="--rw=write --bs=1m --ioengine=posixaio --numjobs=2 --iodepth=4 --size=1g --time_based --runtime=$RT --ramp_time=2" ;;
	meta-stat) args="--ioengine=filestat --nrfiles=1000 --filesize=4k --numjobs=1 --time_based --runtime=$RT --rw=read" ;;
	create) args="--ioengine=filecreate --nrfiles=5000 --filesize=4k --numjobs=1 --openfiles=1 --rw=write --create_on_open=1" ;;
	unlink) args="--ioengine=filedelete --nrfiles=5000 --filesize=4k --numjobs=1 --rw=write" ;;
	esac
	fio --name="$name" $common $args "$@" 2>/dev/null | python3 -c '
import json, sys
j = json.load(sys.stdin)["jobs"][0]
name = sys.argv[1]
side = "write" if any(k in name for k in ("write", "create", "unlink")) else "read"
r = j[side]
print(round(r["bw"] / 1024, 1) if name.endswith("1m") else round(r["iops"], 1))
' "$name"
}

ratio() { # NATIVE SYSTEM: "1.23x (value)"
	python3 -c 'import sys; n, v = map(float, sys.argv[1:]); print(f"{v/n:.2f}x ({v:g})" if n > 0 else "-")' "$1" "$2"
}


# table: the Markdown table of R[SYSTEM,JOB] (an associative array the
# script fills) for $JOBS and $SYSTEMS, as ratios to the first system.
# A job's unit: MiB/s for *1m, files/s for copy-up and tar-x, else IOPS.
table() {
	local base=${SYSTEMS%% *} s j unit line
	echo "| job | unit | $base |$(for s in $SYSTEMS; do [ $s = "$base" ] || printf ' %s |' "$s"; done)"
	echo "|---|---|---|$(for s in $SYSTEMS; do [ $s = "$base" ] || printf -- '---|'; done)"
	for j in $JOBS; do
		unit=IOPS
		case $j in *1m) unit=MiB/s ;; copy-up | tar-x) unit=files/s ;; esac
		line="| $j | $unit | ${R[$base,$j]} |"
		for s in $SYSTEMS; do
			[ $s = "$base" ] && continue
			line="$line $(ratio "${R[$base,$j]}" "${R[$s,$j]}") |"
		done
		echo "$line"
	done
}
