#!/bin/bash
# bench/containers.sh — podman with each overlay: its kernel driver (the
# baseline), fuse-overlayfs and fusekit-overlayfs as the mount_program,
# rootful and rootless, as ratios to the kernel driver measured in the
# same run (kernel time / system time: higher is faster).
#
#   sudo bench/containers.sh [ROUNDS]          (default 2)
#
# Jobs, each timed wall-clock, the systems interleaved round by round:
#   build    podman build of 20 steps (a file made, one removed, one
#            appended each) over the busybox image
#   tar-x    a container extracting the libc headers (about 1100 files,
#            three times) into its own tree
#   copy-up  a container touching every header of its image (a copy-up
#            of each) and appending to a hundred of them
# The median of the rounds is kept. Needs root, podman, runc, uidmap,
# busybox-static, tcc, fuse-overlayfs; the test user of the container
# tests (fkct, made by tests/containers/podman.sh) for rootless.
# FK_BENCH_MODES="root" measures one mode. Output: a Markdown table.
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${1:-2}
for t in podman runc busybox tcc fuse-overlayfs newuidmap; do
	command -v $t >/dev/null || { echo "bench: needs $t"; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench: needs root"; exit 1; }
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
read -ra MODES <<<"${FK_BENCH_MODES:-root user}"
CTUSER=fkct
if [[ " ${MODES[*]} " == *" user "* ]] && ! grep -q "^$CTUSER:" /etc/subuid 2>/dev/null; then
	echo "bench: rootless needs the user $CTUSER with a subuid range (run tests/containers/podman.sh once)"
	exit 1
fi

. bench/scratch.sh
PAUSE=()
cleanup() {
	local p m
	for p in "${PAUSE[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	if [ -n "$W" ]; then
		for m in $(awk -v w="$W" 'index($5, w "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
			umount -l "$m" 2>/dev/null || true
		done
	fi
	scratch_close
}
trap cleanup EXIT
trap "exit 130" INT TERM
# Short: podman refuses a runroot path of more than 50 characters.
scratch_open /var/tmp/fkbc
chmod 755 "$W"

mkdir -p "$W/bin" "$W/home" "$W/xdg" "$W/ctx"
cp build/fusekit "$W/bin/fusekit-overlayfs"
cp build/tests/ctlist "$W/bin/ctlist" 2>/dev/null ||
	gcc -O2 -static -o "$W/bin/ctlist" tests/containers/ctlist.c
tests/containers/base-image.sh "$(command -v busybox)" "$W/bin/ctlist" "$W" >/dev/null
chmod -R a+rX "$W/bin" "$W"/*.tar
chown "$CTUSER" "$W/home" "$W/xdg" 2>/dev/null || true
chmod 700 "$W/xdg"
{
	echo "FROM localhost/fk-mini"
	for i in $(seq 1 20); do
		echo "RUN echo $i > /f$i && rm -f /f$((i - 3)) && echo $i >> /etc/motd"
	done
} >"$W/ctx/Containerfile"
chmod -R a+rX "$W/ctx"

as() { # MODE CMD...
	local mode=$1; shift
	if [ "$mode" = root ]; then
		"$@"
	else
		runuser -u "$CTUSER" -- env HOME="$W/home" XDG_RUNTIME_DIR="$W/xdg" "$@"
	fi
}
pm() { # MODE SYSTEM podman-args...
	local mode=$1 sys=$2 s=$W/s.$1.$2; shift 2
	local opts=(--root "$s/root" --runroot "$s/run" --tmpdir "$s/tmp"
		--storage-driver overlay --runtime runc --cgroup-manager cgroupfs
		--events-backend file)
	case $sys in
	fusekit) opts+=(--storage-opt "overlay.mount_program=$W/bin/fusekit-overlayfs") ;;
	fuse-overlayfs) opts+=(--storage-opt "overlay.mount_program=$(command -v fuse-overlayfs)") ;;
	esac
	as "$mode" podman "${opts[@]}" "$@"
}
RUNOPTS=(--rm --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096)

seconds() { # CMD...: the wall time of CMD, in seconds; fails with it
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1 || return 1
	t1=$(date +%s.%N)
	python3 -c "print(round($t1 - $t0, 3))"
}

run_job() { # MODE SYSTEM JOB: its time
	local mode=$1 sys=$2
	case $3 in
	build) seconds pm "$mode" "$sys" build --no-cache --network none \
		--ulimit nofile=1024:1024 --ulimit nproc=4096:4096 -t fk-bench "$W/ctx" ;;
	tar-x) seconds pm "$mode" "$sys" run "${RUNOPTS[@]}" localhost/fk-base sh -c \
		'for i in 1 2 3; do mkdir /x$i && tar -xf /src/include.tar -C /x$i; done' ;;
	copy-up) seconds pm "$mode" "$sys" run "${RUNOPTS[@]}" localhost/fk-base sh -c \
		'find /usr/include -type f | xargs touch && find /usr/include -name "*.h" |
		 head -100 | while read f; do echo x >> $f; done' ;;
	esac
}

SYSTEMS=(kernel fuse-overlayfs fusekit)
JOBS=(build tar-x copy-up)
declare -A T
for mode in "${MODES[@]}"; do
	for sys in "${SYSTEMS[@]}"; do
		mkdir -p "$W/s.$mode.$sys"
		[ "$mode" = user ] && chown "$CTUSER" "$W/s.$mode.$sys"
		pm "$mode" "$sys" import "$W/base.tar" localhost/fk-base >/dev/null
		pm "$mode" "$sys" import "$W/mini.tar" localhost/fk-mini >/dev/null
	done
	# One pause process per podman tmpdir (each store's --tmpdir).
	for f in "$W/xdg/libpod/tmp/pause.pid" "$W"/s."$mode".*/tmp/pause.pid; do
		[ -f "$f" ] && PAUSE+=("$(cat "$f")")
	done
	for round in $(seq "$ROUNDS"); do
		for job in "${JOBS[@]}"; do
			for sys in "${SYSTEMS[@]}"; do
				t=$(run_job "$mode" "$sys" "$job") || t=fail
				T[$mode.$sys.$job]="${T[$mode.$sys.$job]:-} $t"
			done
		done
	done
done

. bench/median.sh

echo "| mode | job | kernel driver (s) | fuse-overlayfs | fusekit-overlayfs | fusekit's time / fuse-overlayfs's |"
echo "|---|---|---|---|---|---|"
for mode in "${MODES[@]}"; do
	for job in "${JOBS[@]}"; do
		# shellcheck disable=SC2086
		k=$(median ${T[$mode.kernel.$job]})
		line="| $mode | $job | $k"
		for sys in fuse-overlayfs fusekit; do
			# shellcheck disable=SC2086
			v=$(median ${T[$mode.$sys.$job]})
			line="$line | $(python3 -c 'import sys
k, v = sys.argv[1:]
print("fail" if "fail" in (k, v) else f"{float(k)/float(v):.2f}x ({float(v):g} s)")' "$k" "$v")"
		done
		# shellcheck disable=SC2086
		line="$line | $(python3 -c 'import sys
f, v = sys.argv[1:]
print("fail" if "fail" in (f, v) else f"{float(v)/float(f):.2f}")' "$(median ${T[$mode.fuse-overlayfs.$job]})" "$(median ${T[$mode.fusekit.$job]})")"
		echo "$line |"
	done
done
