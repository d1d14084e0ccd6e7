# bench/lib.sh — what the benchmark scripts share (sourced): the build,
# a scratch directory W (a fresh ext4 image: bench/scratch.sh) removed at exit
# with every mount and daemon the script registered (MNTS, PIDS),
# mounting one system at a time, one fio job, and ratios. A daemon that
# dies (or exits non-zero on unmount), or a fusekit crash in the kernel
# log, stops the bench without figures.
[ "$(id -u)" = 0 ] || { echo "bench: needs root"; exit 1; }
for t in fio pkg-config python3 ${BENCH_NEEDS:-}; do
	command -v $t >/dev/null || { echo "bench: needs $t (apt-get install fio libfuse3-dev pkg-config)"; exit 1; }
done
# The system's python, which any user may run (a per-user shim may not
# be): the jobs of fusekit-user run as nobody.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
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

. "$ROOT/bench/scratch.sh"
PIDS=()
MNTS=()
cleanup() {
	for m in "${MNTS[@]}"; do umount -l "$m" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	scratch_close
}
trap cleanup EXIT
trap "exit 130" INT TERM
scratch_open /var/tmp/fk-bench

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

# ---- the systems ---------------------------------------------------
#
# mount_system NAME: NAME mounted over fresh directories under W; sets
# DIR (where the jobs run), DPID (the daemon's pid, 0 for the kernel's
# own or none) and RUNAS (a command prefix that runs a job as the mount's
# user: empty for root). The overlays take LOWER as their lower layer
# when it is set, else an empty one. One system is mounted at a time;
# unmount_system takes it down. Names:
#   native              the directory itself
#   fusekit             fusekit passthrough as it comes: kernel passthrough
#                       (as root) and the default transport (io_uring
#                       where the fuse module's enable_uring is Y)
#   fusekit-nopt        -o nopassthrough: every read and write through
#                       the daemon, default transport
#   fusekit-dev         -o nopassthrough,noio_uring: through /dev/fuse
#   fusekit-uring       -o nopassthrough,io_uring
#   fusekit-user        unprivileged (user nobody, through fusermount3):
#                       no kernel passthrough; jobs run as nobody
#   fusekit-lazy, fusekit-lazy-nopt   -o inode=lazy (and nopassthrough)
#   passthrough_ll      libfuse 3.14's example, from Debian's libfuse3-dev
#   passthrough_ll-dp   the same with -o default_permissions
#   hp, hp-nopt, hp-uring   libfuse's passthrough_hp (FK_BENCH_HP names
#                       the binary, built from libfuse's source): kernel
#                       passthrough; --nopassthrough; and with -o io_uring
#   ovl-kernel          kernel overlayfs
#   ovl-fusekit, ovl-fusekit-nopt, ovl-fusekit-dev, ovl-fusekit-uring
#                       fusekit overlay, as the passthrough's four above
#   fuse-overlayfs      Debian's fuse-overlayfs
# A name NAME@base runs fusekit's NAME with FK_BENCH_BASE (fusekit_of).
# A name NAME+OPT[+OPT...] runs fusekit's NAME with -o OPT,OPT... more
# (say, fusekit-nopt+max_background=12: bench/knobs.sh).
# have_system NAME: 0 when this machine can run it, else says why (stderr).
# (In a $(...) subshell too: what it builds, it builds at a fixed path.)
PLL=$W/passthrough_ll
have_system() {
	case $1 in
	*uring) [ "$(cat /sys/module/fuse/parameters/enable_uring 2>/dev/null)" = Y ] ||
		{ echo "bench: $1 skipped: the fuse module's enable_uring is not Y" >&2; return 1; } ;;
	esac
	case $1 in
	passthrough_ll*)
		[ -x "$PLL" ] && return 0
		local ex=/usr/share/doc/libfuse3-dev/examples
		[ -f "$ex/passthrough_ll.c" ] ||
			{ echo "bench: $1 skipped: no libfuse3-dev examples" >&2; return 1; }
		cc -O2 -D_FILE_OFFSET_BITS=64 $(pkg-config --cflags fuse3) -I"$ex" \
			"$ex/passthrough_ll.c" -o "$PLL" $(pkg-config --libs fuse3) -lpthread ;;
	hp*) [ -x "${FK_BENCH_HP:-}" ] ||
		{ echo "bench: $1 skipped: FK_BENCH_HP does not name passthrough_hp (docs/benchmarks.md says how to build it)" >&2; return 1; } ;;
	fuse-overlayfs) command -v fuse-overlayfs >/dev/null ||
		{ echo "bench: $1 skipped: no fuse-overlayfs" >&2; return 1; } ;;
	*-user) [ -u "$(command -v fusermount3)" ] && [ -r /dev/fuse ] && [ -w /dev/fuse ] ||
		{ echo "bench: $1 skipped: needs a setuid fusermount3 and /dev/fuse open to all" >&2; return 1; }
		# the user's jobs must find their tools and write their files
		setpriv --reuid=nobody --regid=nogroup --clear-groups true ||
			{ echo "bench: $1 skipped: setpriv cannot become nobody" >&2; return 1; } ;;
	esac
	return 0
}

mount_system() {
	local src=$W/src-$1 mnt=$W/mnt-$1 o
	rm -rf "$src" "$W/work-$1" "$W/lower-$1"
	mkdir -p "$src" "$mnt"
	DIR=$mnt DPID=0 RUNAS=
	fusekit_of "${1%%+*}"
	# More options for a fusekit daemon (none: an empty -o adds nothing).
	local more= MORE=()
	case $1 in *+*) more=${1#*+} more=${more//+/,} MORE=(-o "$more") ;; esac
	[ -z "$more" ] || case $SYS in
		*fusekit*) ;;
		*) echo "bench: $1: options after + are fusekit's" >&2; exit 1 ;;
	esac
	case $SYS in
	ovl-* | fuse-overlayfs)
		mkdir -p "$W/work-$1" "$W/lower-$1"
		o="lowerdir=${LOWER:-$W/lower-$1},upperdir=$src,workdir=$W/work-$1" ;;
	esac
	case $SYS in
	native) DIR=$src; return ;; # nothing to mount or unmount
	fusekit) "$BIN" passthrough -f "${MORE[@]}" "$src" "$mnt" & ;;
	fusekit-nopt) "$BIN" passthrough -f "${MORE[@]}" -o nopassthrough "$src" "$mnt" & ;;
	fusekit-dev) "$BIN" passthrough -f "${MORE[@]}" -o nopassthrough,noio_uring "$src" "$mnt" & ;;
	fusekit-uring) "$BIN" passthrough -f "${MORE[@]}" -o nopassthrough,io_uring "$src" "$mnt" & ;;
	fusekit-user)
		chown nobody:nogroup "$src" "$mnt"
		chmod 755 "$W"
		RUNAS="setpriv --reuid=nobody --regid=nogroup --clear-groups"
		$RUNAS "$BIN" passthrough -f "${MORE[@]}" "$src" "$mnt" & ;;
	fusekit-lazy) "$BIN" passthrough -f "${MORE[@]}" -o inode=lazy "$src" "$mnt" & ;;
	fusekit-lazy-nopt) "$BIN" passthrough -f "${MORE[@]}" -o inode=lazy,nopassthrough "$src" "$mnt" & ;;
	passthrough_ll) "$PLL" -f -o source="$src" "$mnt" & ;;
	# The same with the kernel checking permissions, as fusekit always
	# has it: every change to a directory costs a GETATTR of it before
	# the next permission check.
	passthrough_ll-dp) "$PLL" -f -o source="$src",default_permissions "$mnt" & ;;
	hp) "$FK_BENCH_HP" --foreground "$src" "$mnt" & ;;
	hp-nopt) "$FK_BENCH_HP" --foreground --nopassthrough "$src" "$mnt" & ;;
	hp-uring) "$FK_BENCH_HP" --foreground --nopassthrough -o io_uring "$src" "$mnt" & ;;
	ovl-kernel)
		mount -t overlay overlay -o "$o" "$mnt"
		MNTS+=("$mnt")
		PIDS+=(0)
		return ;;
	ovl-fusekit) "$BIN" overlay -f "${MORE[@]}" -o "$o" "$mnt" & ;;
	ovl-fusekit-nopt) "$BIN" overlay -f "${MORE[@]}" -o "$o,nopassthrough" "$mnt" & ;;
	ovl-fusekit-dev) "$BIN" overlay -f "${MORE[@]}" -o "$o,nopassthrough,noio_uring" "$mnt" & ;;
	ovl-fusekit-uring) "$BIN" overlay -f "${MORE[@]}" -o "$o,nopassthrough,io_uring" "$mnt" & ;;
	fuse-overlayfs) fuse-overlayfs -f -o "$o" "$mnt" & ;;
	*) echo "bench: no system named $1" >&2; exit 1 ;;
	esac
	DPID=$!
	PIDS+=("$DPID")
	MNTS+=("$mnt")
	wait_mount "$mnt"
}

wait_mount() {
	# The mount table, not mountpoint(1): that stats the mount, which a
	# user's FUSE mount refuses to root (no allow_other).
	for _ in $(seq 100); do findmnt -rn -M "$1" >/dev/null && return 0; sleep 0.1; done
	echo "bench: $1 did not mount" >&2
	return 1
}

# empty_dir DIR: everything in DIR removed, as the mount's user (RUNAS).
# The user's shell lists it: root may not look into a user's FUSE mount
# (no allow_other), so a glob expanded by root's shell matched nothing
# and the jobs of fusekit-user ran on top of every earlier job's files
# (docs/benchmarks.md, "The write baseline: the host's memory"). A
# directory left non-empty stops the bench.
empty_dir() {
	${RUNAS:-} find "$1" -mindepth 1 -delete 2>/dev/null || true
	[ -z "$(${RUNAS:-} find "$1" -mindepth 1 -print -quit)" ] ||
		{ echo "bench: cannot empty $1 between jobs" >&2; exit 1; }
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
	# Dirty pages of the jobs before written out first, untimed: else
	# the writeback of one job's gigabytes throttles the next job's
	# writes, on whichever system comes after a writer.
	sync
	local common="--directory=$dir --group_reporting --output-format=json --invalidate=0"
	local args
	case $name in
	randread-4k) args="--pre_read=1 --rw=randread --bs=4k --ioengine=posixaio --numjobs=4 --iodepth=16 --size=512m --time_based --runtime=$RT --ramp_time=2" ;;
	seqread-1m) args="--pre_read=1 --rw=read --bs=1m --ioengine=posixaio --numjobs=2 --iodepth=4 --size=1g --time_based --runtime=$RT --ramp_time=2" ;;
	# The same reads with the mount's cache of the files dropped first
	# (fio's invalidate: posix_fadvise DONTNEED on the mount's file),
	# so that a FUSE mount's reads reach its daemon; the host's cache
	# of its files stays. Not comparable with native, which has no
	# second cache: for comparing FUSE daemons and their settings.
	randread-4k-cold) args="--invalidate=1 --rw=randread --bs=4k --ioengine=posixaio --numjobs=4 --iodepth=16 --size=512m --time_based --runtime=$RT" ;;
	randread-64k-cold) args="--invalidate=1 --rw=randread --bs=64k --ioengine=posixaio --numjobs=4 --iodepth=4 --size=512m --time_based --runtime=$RT" ;;
	seqread-1m-cold) args="--invalidate=1 --rw=read --bs=1m --ioengine=posixaio --numjobs=2 --iodepth=4 --size=1g --time_based --runtime=$RT" ;;
	randwrite-4k) args="--rw=randwrite --bs=4k --ioengine=posixaio --numjobs=4 --iodepth=16 --size=512m --time_based --runtime=$RT --ramp_time=2" ;;
	seqwrite-1m) args="--rw=write --bs=1m --ioengine=posixaio --numjobs=2 --iodepth=4 --size=1g --time_based --runtime=$RT --ramp_time=2" ;;
	meta-stat) args="--ioengine=filestat --nrfiles=1000 --filesize=4k --numjobs=1 --time_based --runtime=$RT --rw=read" ;;
	create) args="--ioengine=filecreate --nrfiles=5000 --filesize=4k --numjobs=1 --openfiles=1 --rw=write --create_on_open=1" ;;
	unlink) args="--ioengine=filedelete --nrfiles=5000 --filesize=4k --numjobs=1 --rw=write" ;;
	esac
	${RUNAS:-} fio --name="$name" $common $args "$@" 2>/dev/null | python3 -c '
import json, sys
j = json.load(sys.stdin)["jobs"][0]
name = sys.argv[1]
side = "write" if any(k in name for k in ("write", "create", "unlink")) else "read"
r = j[side]
print(round(r["bw"] / 1024, 1) if "-1m" in name else round(r["iops"], 1))
' "$name"
}

# tarx DIR: files per second extracting TARBALL (NFILES files: made by
# make_tarball) into DIR/tarx, synced; as the jobs' user.
make_tarball() {
	TARBALL=$W/include.tar
	tar -cf "$TARBALL" -C /usr include
	chmod 644 "$TARBALL"
	NFILES=$(tar -tf "$TARBALL" | wc -l)
}
tarx() {
	local t0 t1
	${RUNAS:-} mkdir -p "$1/tarx"
	t0=$(date +%s.%N)
	${RUNAS:-} tar -xf "$TARBALL" -C "$1/tarx"
	${RUNAS:-} sync -f "$1"
	t1=$(date +%s.%N)
	python3 -c 'import sys; print(round(int(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2])), 1))' \
		"$NFILES" "$t0" "$t1"
}

# median VALUES...: the median of the numbers given.
. "$ROOT/bench/median.sh"
# medians SYSTEM...: R[SYSTEM,JOB] = the median of V[SYSTEM,JOB,ROUND]
# over ROUNDS rounds, for each JOB in $JOBS (arrays the script declares).
medians() {
	local s j r
	for s in "$@"; do
		for j in $JOBS; do
			R[$s,$j]=$(median $(for r in $(seq "$ROUNDS"); do echo "${V[$s,$j,$r]}"; done))
		done
	done
}

ratio() { # NATIVE SYSTEM: "1.23x (value)"
	python3 -c 'import sys; n, v = map(float, sys.argv[1:]); print(f"{v/n:.2f}x ({v:g})" if n > 0 else "-")' "$1" "$2"
}


# table: the Markdown table of R[SYSTEM,JOB] (an associative array the
# script fills) for $JOBS and $SYSTEMS, as ratios to the first system.
# A job's unit: MiB/s for *-1m*, files/s for copy-up and tar-x, else IOPS.
table() {
	local base=${SYSTEMS%% *} s j unit line
	echo "| job | unit | $base |$(for s in $SYSTEMS; do [ $s = "$base" ] || printf ' %s |' "$s"; done)"
	echo "|---|---|---|$(for s in $SYSTEMS; do [ $s = "$base" ] || printf -- '---|'; done)"
	for j in $JOBS; do
		unit=IOPS
		case $j in *-1m*) unit=MiB/s ;; copy-up | tar-x) unit=files/s ;; esac
		line="| $j | $unit | ${R[$base,$j]} |"
		for s in $SYSTEMS; do
			[ $s = "$base" ] && continue
			line="$line $(ratio "${R[$base,$j]}" "${R[$s,$j]}") |"
		done
		echo "$line"
	done
}
