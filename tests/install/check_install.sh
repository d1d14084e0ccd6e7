#!/bin/bash
# check_install.sh BUILD_DIR — `cmake --install` into a temporary prefix,
# then build and run a program with nothing but `pkg-config --cflags --libs
# fusekit`, against the shared and the static library; and build the
# README's library example the same way (as root with /dev/fuse, also
# mount it, look at it, and check it exits 0 on unmount).
set -eu
BUILD=$1
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=$(mktemp -d /tmp/fk-install.XXXXXX)
trap 'rm -rf "$PREFIX"' EXIT
cmake --install "$BUILD" --prefix "$PREFIX" >/dev/null
PC=$(dirname "$(find "$PREFIX" -name fusekit.pc | head -1)")
[ -n "$PC" ] || { echo "FAIL: no fusekit.pc installed"; exit 1; }
export PKG_CONFIG_PATH=$PC
for h in fusekit.h fk_ops.h fk_session.h fk_mount.h fk_opt.h fk_types.h; do
	[ -f "$PREFIX/include/fusekit/$h" ] || { echo "FAIL: header $h not installed"; exit 1; }
done
[ -f "$PREFIX/share/man/man1/fusekit.1" ] || { echo "FAIL: man page not installed"; exit 1; }
[ -L "$PREFIX/bin/fusekit-overlayfs" ] && "$PREFIX/bin/fusekit-overlayfs" --version | grep -q fuse-overlayfs ||
	{ echo "FAIL: fusekit-overlayfs link not installed"; exit 1; }
for name in fusekit-passthrough fusekit-union; do
	[ -L "$PREFIX/bin/$name" ] || { echo "FAIL: $name link not installed"; exit 1; }
done
cc "$HERE/hello.c" $(pkg-config --cflags --libs fusekit) -o "$PREFIX/hello-shared"
LIBDIR=$(pkg-config --variable=libdir fusekit)
LD_LIBRARY_PATH=$LIBDIR "$PREFIX/hello-shared"
cc "$HERE/hello.c" $(pkg-config --cflags fusekit) "$LIBDIR/libfusekit.a" \
	$(pkg-config --libs-only-other --static fusekit) -o "$PREFIX/hello-static"
"$PREFIX/hello-static"
awk '/^## Using the library/{f=1} f&&/^```c/{p=1;next} p&&/^```/{exit} p' \
	"$HERE/../../README.md" >"$PREFIX/readme.c"
[ -s "$PREFIX/readme.c" ] || { echo "FAIL: no example under README's 'Using the library'"; exit 1; }
cc -Wall -Wextra -Werror "$PREFIX/readme.c" $(pkg-config --cflags --libs fusekit) -o "$PREFIX/readme"
if [ "$(id -u)" = 0 ] && [ -c /dev/fuse ]; then
	mkdir "$PREFIX/mnt"
	LD_LIBRARY_PATH=$LIBDIR "$PREFIX/readme" "$PREFIX/mnt" &
	pid=$!
	for _ in $(seq 50); do mountpoint -q "$PREFIX/mnt" && break; sleep 0.1; done
	got=$(stat -c '%F %a' "$PREFIX/mnt")
	umount "$PREFIX/mnt" || umount -l "$PREFIX/mnt"
	wait $pid
	rc=$?
	[ "$got" = "directory 755" ] || { echo "FAIL: README example shows '$got'"; exit 1; }
	[ $rc = 0 ] || { echo "FAIL: README example exited $rc"; exit 1; }
fi
echo "2 passed, 0 failed"
