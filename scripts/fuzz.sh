#!/bin/bash
# scripts/fuzz.sh [SECONDS] — fuzz the request decoder with libFuzzer (clang)
# for SECONDS (default 300), starting from tests/fuzz/corpus. New inputs go
# to build-fuzz/corpus; a crash leaves its input in build-fuzz/.
set -eu
cd "$(dirname "$0")/.."
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFK_FUZZ=ON >/dev/null
cmake --build build-fuzz --target fuzz_decode -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
mkdir -p build-fuzz/corpus
cd build-fuzz
exec tests/fuzz_decode -max_total_time="${1:-300}" -max_len=4096 corpus ../tests/fuzz/corpus
