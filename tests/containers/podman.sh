#!/bin/bash
# podman.sh — fusekit-overlayfs as the overlay mount_program of podman and
# buildah, rootful and rootless, held to the images podman's own kernel
# overlay driver makes from the same builds.
#
#   podman.sh FUSEKIT CTLIST [SCOPE]
#
# For each mode (root; an ordinary user with a subuid range, where podman
# runs the mount program as uid 0 of a user namespace) and each driver
# (native: kernel overlayfs, no mount_program; fusekit), in stores of
# their own under a temporary directory:
#   - a base image is imported from a tarball (busybox-static, tcc and the
#     libc headers, setfattr, the static lister ctlist);
#   - every build in builds/ is run, and a listing of each final image
#     (ctlist: every path, type, mode, owner, size and content hash, link
#     target, hard links, xattrs) taken in a container of it;
#   - image operations: a container changed, `podman diff`, `podman
#     commit`; `podman image mount` listed from outside; buildah from,
#     run and commit;
#   - a 120-step build (a lowerdir list of 120 layers as containers/
#     storage gives them, l/XXXX links), rootless only, as the mode the
#     mount program exists for (SCOPE=full: rootful too).
# Every listing and diff of fusekit must equal native's. Every fusekit
# daemon podman started must have lived until its unmount and exited 0
# (mount-program.sh logs them), none may crash (the kernel log,
# ../kernel_crashes.sh), and no mount is left behind.
#
# SCOPE=full also runs Debian's fuse-overlayfs as a third driver and
# reports where it differs from native, without failing on it (the
# differences are recorded in docs/containers.md).
#
# Needs root, podman, runc, uidmap (newuidmap), busybox-static, tcc, and
# /dev/fuse usable by the test user; skips (77) otherwise.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
FUSEKIT=$(realpath "${1:?usage: podman.sh FUSEKIT CTLIST [quick|full]}")
CTLIST=$(realpath "${2:?}")
SCOPE=${3:-${FK_CONTAINER_SCOPE:-quick}}
CTUSER=fkct

. "$HERE/../kernel_crashes.sh"
crash_watch_start
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok   $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $*"; }
skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root"
[ -c /dev/fuse ] || skip "no /dev/fuse"
for c in podman runc newuidmap busybox tcc mountpoint setfattr; do
	command -v $c >/dev/null || skip "no $c (apt-get install podman runc uidmap busybox-static tcc attr)"
done
BUSYBOX=$(command -v busybox)
file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' ||
	skip "$BUSYBOX is not static (busybox-static)"

# Short: podman refuses a runroot path of more than 50 characters.
WORK=$(mktemp -d /tmp/fkct.XXXXXX)
chmod 755 "$WORK"
cd "$WORK" || exit 1 # podman's user must be able to stand where it runs
PAUSE_PIDS=()
# Remember the rootless pause processes (they hold podman's namespaces):
# one per podman tmpdir, which is each store's own (--tmpdir), where it
# writes pause.pid; the default one under XDG_RUNTIME_DIR too.
note_pause() {
	local f p
	for f in "$WORK"/xdg/libpod/tmp/pause.pid "$WORK"/s.*/tmp/pause.pid; do
		[ -f "$f" ] || continue
		p=$(cat "$f")
		[[ " ${PAUSE_PIDS[*]} " == *" $p "* ]] || PAUSE_PIDS+=("$p")
	done
}

# ---- cleanup: every mount under WORK, in every namespace podman made ----

# Mounts under WORK in the mount namespace of process $1, deepest first.
mounts_under() {
	awk -v w="$WORK" '$5 == w || index($5, w "/") == 1 { print $5 }' \
		"/proc/$1/mountinfo" 2>/dev/null | sort -r
}

unmount_all() { # [PID]: in PID's mount namespace, or ours
	local pid=${1:-$$} m
	for m in $(mounts_under "$pid"); do
		if [ "$pid" = $$ ]; then
			umount -l "$m" 2>/dev/null
		else
			nsenter -t "$pid" -m -- umount -l "$m" 2>/dev/null
		fi
	done
}

cleanup() {
	local p
	for p in $(jobs -p); do kill "$p" 2>/dev/null; done # the stores' runs
	wait
	note_pause
	for p in "${PAUSE_PIDS[@]}"; do
		unmount_all "$p"
		kill -9 "$p" 2>/dev/null
	done
	unmount_all
	# A daemon still running now lost its mount: it ends by itself.
	sleep 0.2
	if [ -n "${FK_KEEP:-}" ]; then
		echo "# kept: $WORK"
	else
		rm -rf "$WORK" 2>/dev/null
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- the test user ----

id "$CTUSER" >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin "$CTUSER" ||
	skip "cannot create user $CTUSER"
for f in /etc/subuid /etc/subgid; do
	# A range of its own, after every range given out already.
	if ! grep -q "^$CTUSER:" "$f" 2>/dev/null; then
		line=$(awk -F: -v u="$CTUSER" 'BEGIN { e = 100000 }
			NF == 3 && $2 + $3 > e { e = $2 + $3 }
			END { print u ":" e ":65536" }' "$f" 2>/dev/null)
		echo "$line" >>"$f"
	fi
done
[ "$(stat -c %a /dev/fuse)" = 666 ] || skip "/dev/fuse is not 0666 (chmod 666 /dev/fuse, as udev would)"

# ---- what the stores need: binaries the user can run, a base image ----

mkdir -p "$WORK/bin" "$WORK/home" "$WORK/xdg" "$WORK/log"
cp "$FUSEKIT" "$WORK/bin/fusekit-overlayfs"
cp "$CTLIST" "$WORK/bin/ctlist"
for mode in root user; do # each mode logs to a file of its own
	sed -e "s|@LOG@|$WORK/log/daemons.$mode|" \
		-e "s|@BIN@|$WORK/bin/fusekit-overlayfs|" \
		"$HERE/mount-program.sh" >"$WORK/bin/mount-program.$mode"
done
cat >"$WORK/bin/image-ls" <<'EOF'
#!/bin/sh
# image-ls CTLIST IMAGE PODMAN-OPTIONS...: mount IMAGE, list it, unmount it.
ctlist=$1 image=$2
shift 2
p=$(podman "$@" image mount "$image") || exit 1
"$ctlist" "$p"
rc=$?
podman "$@" image unmount "$image" >/dev/null || rc=1
exit $rc
EOF
chmod 755 "$WORK/bin"/*
chown "$CTUSER" "$WORK/home" "$WORK/xdg" "$WORK/log"
chmod 700 "$WORK/xdg"
chmod 777 "$WORK/log" # rootful and rootless daemons log here

"$HERE/base-image.sh" "$BUSYBOX" "$WORK/bin/ctlist" "$WORK" >"$WORK/base.log" 2>&1 ||
	{ echo "cannot build the base images:"; tail -5 "$WORK/base.log"; exit 1; }

# The 120-step build: each step adds a file and deletes an older one in
# one directory; every 10th removes and remakes a subdirectory (opaque),
# every 15th renames one. 120 layers under the last step.
mkdir -p "$WORK/builds/layers120"
{
	echo "FROM localhost/fk-mini"
	echo "RUN mkdir -p /many/d /many/keep && echo 0 > /many/d/x0"
	for i in $(seq 1 119); do
		step="echo $i > /many/f$i && rm -f /many/f$((i - 7))"
		[ $((i % 10)) = 0 ] && step="$step && rm -rf /many/d && mkdir /many/d && echo $i > /many/d/x$i"
		[ $((i % 15)) = 0 ] && step="$step && mv /many/keep /many/keep$i && mkdir /many/keep && echo $i > /many/keep/k"
		echo "RUN $step"
	done
} >"$WORK/builds/layers120/Containerfile"
cp -r "$HERE/builds/." "$WORK/builds/"
chmod -R a+rX "$WORK/builds"

# ---- podman and buildah in a store of their own ----

ULIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=4096:4096)

# as MODE CMD...: run as root, or as the test user with its own dirs.
as() {
	local mode=$1; shift
	if [ "$mode" = root ]; then
		"$@"
	else
		runuser -u "$CTUSER" -- env HOME="$WORK/home" \
			XDG_RUNTIME_DIR="$WORK/xdg" XDG_CONFIG_HOME="$WORK/home/.config" \
			XDG_DATA_HOME="$WORK/home/.local/share" "$@"
	fi
}

store_opts() { # MODE DRIVER: the storage options of that store
	local s=$WORK/s.$1.$2
	echo "--root $s/root --runroot $s/run --storage-driver overlay"
	case $2 in
	fusekit) echo "--storage-opt overlay.mount_program=$WORK/bin/mount-program.$1" ;;
	fuse-overlayfs) echo "--storage-opt overlay.mount_program=$(command -v fuse-overlayfs)" ;;
	esac
}

pm_args() { # MODE DRIVER: podman's global options for that store
	store_opts "$1" "$2"
	echo "--tmpdir $WORK/s.$1.$2/tmp --runtime runc --cgroup-manager cgroupfs"
	echo "--events-backend file"
}

pm() { # MODE DRIVER podman-args...
	local mode=$1 drv=$2; shift 2
	# shellcheck disable=SC2046
	as "$mode" podman $(pm_args "$mode" "$drv") "$@"
}

ba() { # MODE DRIVER buildah-args...
	local mode=$1 drv=$2; shift 2
	# shellcheck disable=SC2046
	as "$mode" buildah $(store_opts "$mode" "$drv") "$@"
}


# listing MODE DRIVER IMAGE OUT: ctlist in a container of IMAGE.
listing() {
	pm "$1" "$2" run --rm --network none "${ULIMITS[@]}" "$3" /ctlist >"$4" 2>"$4.err"
}

# same LABEL A B: two outputs must exist, be non-empty, and be equal.
same() {
	local label=$1 a=$2 b=$3
	if [ ! -s "$a" ] || [ ! -s "$b" ]; then
		bad "$label: no output ($(cat "$a.err" "$b.err" 2>/dev/null | tail -3))"
	elif diff -u "$a" "$b" >"$b.diff"; then
		ok "$label: identical ($(wc -l <"$a") lines)"
	else
		bad "$label: differs (- native, + fusekit)"
		head -40 "$b.diff"
	fi
}

# FK_CT_MODES and FK_CT_BUILDS narrow a run down, for debugging.
read -ra BUILDS <<<"${FK_CT_BUILDS:-basic perms deep workload}"
read -ra MODES <<<"${FK_CT_MODES:-root user}"
DRIVERS=(native fusekit)
[ "$SCOPE" = full ] && DRIVERS+=(fuse-overlayfs)
command -v fuse-overlayfs >/dev/null || DRIVERS=(native fusekit)

# One mode, one driver: import, build, list, and the image operations.
run_store() {
	local mode=$1 drv=$2 out=$WORK/out.$1.$2 b
	mkdir -p "$out" "$WORK/s.$1.$2"
	[ "$mode" = user ] && chown "$CTUSER" "$out" "$WORK/s.$1.$2"
	if ! pm "$mode" "$drv" import "$WORK/base.tar" localhost/fk-base >/dev/null 2>"$out/import.err" ||
		! pm "$mode" "$drv" import "$WORK/mini.tar" localhost/fk-mini >/dev/null 2>>"$out/import.err"; then
		bad "$mode/$drv: import: $(tail -3 "$out/import.err")"
		return
	fi
	local builds=("${BUILDS[@]}")
	[ -z "${FK_CT_BUILDS:-}" ] && { [ "$mode" = user ] || [ "$SCOPE" = full ]; } &&
		builds+=(layers120)
	for b in "${builds[@]}"; do
		if pm "$mode" "$drv" build --network none "${ULIMITS[@]}" -t "localhost/fk-$b" \
			"$WORK/builds/$b" >"$out/build.$b.log" 2>&1; then
			listing "$mode" "$drv" "localhost/fk-$b" "$out/$b"
		else
			echo "# build $b with $drv ($mode) failed:"
			tail -5 "$out/build.$b.log"
			: >"$out/$b"
		fi
	done
	# A container changed, its diff, its commit.
	pm "$mode" "$drv" run --name fk-changed --network none "${ULIMITS[@]}" localhost/fk-basic \
		sh -c 'rm -rf /app/moved/sub && echo x >> /lowerfile && mkdir -p /made/here &&
		       rm /etc/group && mv /newdir /renamed && chmod 700 /root' \
		>"$out/changed.log" 2>&1
	pm "$mode" "$drv" diff fk-changed 2>"$out/diff.err" | sort >"$out/diff"
	pm "$mode" "$drv" commit fk-changed localhost/fk-committed >/dev/null 2>"$out/commit.err"
	pm "$mode" "$drv" rm fk-changed >/dev/null 2>&1
	listing "$mode" "$drv" localhost/fk-committed "$out/committed"
	# podman image mount, listed from outside (rootless: in podman's
	# namespaces, where the mount is).
	local unshare=() shown=fk-basic
	[[ " ${BUILDS[*]} " == *" perms "* ]] && shown=fk-perms
	[ "$mode" = user ] && unshare=(podman $(pm_args "$mode" "$drv") unshare)
	as "$mode" "${unshare[@]}" "$WORK/bin/image-ls" "$WORK/bin/ctlist" \
		"localhost/$shown" $(pm_args "$mode" "$drv") >"$out/imagemount" 2>"$out/imagemount.err"
	# buildah: from, run, commit.
	local c
	c=$(ba "$mode" "$drv" from localhost/fk-base 2>"$out/buildah.err") &&
		ba "$mode" "$drv" run --isolation chroot "$c" -- sh -c \
			'rm /etc/motd && mkdir -p /b/c && echo b > /b/c/f && ln -s c /b/l' \
			>>"$out/buildah.err" 2>&1 &&
		ba "$mode" "$drv" commit "$c" localhost/fk-buildah >>"$out/buildah.err" 2>&1 &&
		ba "$mode" "$drv" rm "$c" >/dev/null 2>&1
	listing "$mode" "$drv" localhost/fk-buildah "$out/buildah"
}

for mode in "${MODES[@]}"; do
	# The stores are independent and podman mostly waits: the drivers
	# run side by side, each reporting into a file of its own.
	for drv in "${DRIVERS[@]}"; do
		(
			t0=$(date +%s)
			run_store $mode $drv
			echo "# $mode/$drv: $(($(date +%s) - t0)) s"
		) >"$WORK/report.$mode.$drv" 2>&1 &
	done
	wait
	note_pause
	for drv in "${DRIVERS[@]}"; do
		cat "$WORK/report.$mode.$drv"
		FAIL=$((FAIL + $(grep -c '^FAIL' "$WORK/report.$mode.$drv")))
	done
	n=$WORK/out.$mode.native f=$WORK/out.$mode.fusekit
	for b in "${BUILDS[@]}" buildah; do
		same "$mode: image $b" "$n/$b" "$f/$b"
	done
	if [[ " ${BUILDS[*]} " == *" basic "* ]]; then # the changed container's
		same "$mode: image committed" "$n/committed" "$f/committed"
		same "$mode: podman diff of a changed container" "$n/diff" "$f/diff"
	fi
	if [ -s "$n/layers120" ] || [ -s "$f/layers120" ]; then
		same "$mode: image of a 120-step build" "$n/layers120" "$f/layers120"
	fi
	same "$mode: podman image mount, listed" "$n/imagemount" "$f/imagemount"
	if [[ " ${BUILDS[*]} " != *" workload "* ]]; then
		: # not asked for (FK_CT_BUILDS)
	elif grep -q '^/hello.out f' "$f/workload" 2>/dev/null; then
		ok "$mode: the workload compiled and ran its program"
	else
		bad "$mode: the workload did not run to its end"
	fi
	if [ -d "$WORK/out.$mode.fuse-overlayfs" ]; then
		for b in "${BUILDS[@]}" committed buildah layers120; do
			[ -s "$n/$b" ] || continue
			if diff -u "$n/$b" "$WORK/out.$mode.fuse-overlayfs/$b" >"$WORK/fo.$mode.$b.diff"; then
				echo "# fuse-overlayfs ($mode, $b): as native"
			else
				echo "# fuse-overlayfs ($mode, $b) differs from native:"
				grep '^[-+]/' "$WORK/fo.$mode.$b.diff" | head -10
			fi
		done
	fi
done

# ---- nothing left behind, every daemon lived and exited 0 ----

# podman unmounts what it mounted; what it leaves mounted (its stores'
# own mounts) goes now, and the rootless namespaces with their pause
# processes.
note_pause
# What podman left mounted (its stores' own mounts; with a fuse.overlay
# among them, a daemon still serving), then all of it unmounted, in our
# namespace and in each rootless one, before their pause processes go.
left=$(for p in $$ "${PAUSE_PIDS[@]}"; do mounts_under "$p"; done | wc -l)
fuse_left=$(for p in $$ "${PAUSE_PIDS[@]}"; do
	awk -v w="$WORK" 'index($5, w "/") == 1 && $0 ~ / - fuse/' "/proc/$p/mountinfo" 2>/dev/null
done | wc -l)
echo "# podman left $left mounts under the stores, $fuse_left of them FUSE"
for p in "${PAUSE_PIDS[@]}"; do unmount_all "$p"; done
unmount_all
still=$(for p in $$ "${PAUSE_PIDS[@]}"; do mounts_under "$p"; done | wc -l)
expect_zero() { if [ "$2" = 0 ]; then ok "$1"; else bad "$1: $2"; fi; }
expect_zero "no mount left under the stores, in any namespace" "$still"
for p in "${PAUSE_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
PAUSE_PIDS=()
# None of them missed: the test's user runs nothing else.
for _ in $(seq 25); do
	[ "$(pgrep -u "$CTUSER" -x catatonit | wc -l)" = 0 ] && break
	sleep 0.2
done
expect_zero "no pause process of $CTUSER left" "$(pgrep -u "$CTUSER" -x catatonit | wc -l)"
# Every daemon podman started: gone now, and each said exit 0.
daemon_log() { cat "$WORK"/log/daemons.root "$WORK"/log/daemons.user 2>/dev/null; }
for _ in $(seq 50); do
	running=0
	while read -r _ pid _; do
		kill -0 "$pid" 2>/dev/null && running=$((running + 1))
	done < <(daemon_log | grep '^start')
	[ $running = 0 ] && break
	sleep 0.2
done
expect_zero "no fusekit daemon left running" "$running"
started=$(daemon_log | grep -c '^start')
exited0=$(daemon_log | grep -c '^exit [0-9]* 0 ')
if [ "$started" -gt 0 ] && [ "$started" = "$exited0" ]; then
	ok "all $started fusekit daemons lived until unmounted and exited 0"
else
	bad "$started fusekit daemons started, $exited0 exited 0:"
	daemon_log | grep '^exit' | grep -v '^exit [0-9]* 0 ' | head
	tail -n 5 "$WORK"/log/*.err 2>/dev/null
fi

crashes=$(kernel_crashes)
if [ -z "$crashes" ]; then
	ok "no fusekit program crashed (kernel log)"
else
	bad "a fusekit program crashed:"
	echo "$crashes" | head -5
fi
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
