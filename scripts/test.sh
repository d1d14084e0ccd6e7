#!/bin/bash
# scripts/test.sh — build everything and run every test.
#
#   1. a normal build (RelWithDebInfo): unit tests and mount tests;
#   2. an AddressSanitizer + UndefinedBehaviorSanitizer build (Debug, so
#      assertions are live): the same tests again;
#
# Every mount test runs over both transports: where the kernel has FUSE
# over io_uring (its fuse module's enable_uring parameter), the release
# run has it on, so the daemons take requests through io_uring (their
# default), and the sanitizer run has it off, so they fall back to
# /dev/fuse. The parameter is put back as it was at the end.
#   3. a ThreadSanitizer build (RelWithDebInfo, assertions live): the
#      concurrent tests (tests/mount/storm.sh and others);
#   4. a clang build of the libFuzzer target: a short fuzzing run;
#   5. the macOS cross-compile check (scripts/cross-macos.sh), when zig is
#      installed (CI installs it).
#
# Mount tests need root and /dev/fuse and skip otherwise. The last line is
# "all: N passed, N failed".
set -u
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)
PASS=0
FAIL=0
SUMMARY=()

run_ctest() { # NAME BUILD_DIR [CTEST ARGS]
	local name=$1 dir=$2; shift 2
	echo "=== $name"
	local out
	out=$(cd "$dir" && ctest --output-on-failure "$@" 2>&1)
	local rc=$?
	echo "$out" | grep -vE '^(ok   |ok$)' | tail -n 40
	# What each failed test printed (its FAIL lines and logs), which the
	# tail above cuts off: at most 60 lines a test.
	echo "$out" | awk '
		/^ *Start +[0-9]+: / { if (n) flush(); keep = 0; next }
		/\*\*\*(Failed|Timeout|Exception)|Not Run/ { keep = 1; n = 0; head = $0; next }
		keep && !/^ok   / { buf[n++] = $0 }
		function flush(  i, from) {
			print "--- " head
			from = n > 60 ? n - 60 : 0
			for (i = from; i < n; i++) print buf[i]
			n = 0
		}
		END { if (n) flush() }'
	local line total failed
	line=$(echo "$out" | grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' | tail -1)
	if [ -z "$line" ]; then
		FAIL=$((FAIL + 1))
		SUMMARY+=("$name: no test result (ctest exit $rc)")
		return
	fi
	failed=$(echo "$line" | sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/')
	total=$(echo "$line" | sed -E 's/.*out of ([0-9]+).*/\1/')
	PASS=$((PASS + total - failed))
	FAIL=$((FAIL + failed))
	SUMMARY+=("$name: $((total - failed)) passed, $failed failed")
}

URING_PARAM=/sys/module/fuse/parameters/enable_uring
URING_WAS=
if [ -w "$URING_PARAM" ]; then
	URING_WAS=$(cat "$URING_PARAM")
	trap 'echo "$URING_WAS" > "$URING_PARAM"' EXIT
fi
transport() { # Y|N: FUSE over io_uring on or off, where the kernel has it
	[ -n "$URING_WAS" ] || { echo "(transport: /dev/fuse only; no FUSE over io_uring here)"; return; }
	echo "$1" > "$URING_PARAM" || { echo "cannot set $URING_PARAM" >&2; return 1; }
	[ "$1" = Y ] && echo "(transport: io_uring, the daemons' default)" ||
		echo "(transport: /dev/fuse; the daemons' io_uring is not offered)"
}

build() { # DIR CMAKE_ARGS...
	local dir=$1; shift
	cmake -S . -B "$dir" "$@" >/dev/null &&
		cmake --build "$dir" -j"$JOBS" 2>&1 | grep -E 'error|warning' ; return "${PIPESTATUS[0]}"
}

if build build -DCMAKE_BUILD_TYPE=RelWithDebInfo; then
	transport Y
	run_ctest "release" build
else
	FAIL=$((FAIL + 1)); SUMMARY+=("release: build failed")
fi

if build build-asan -DCMAKE_BUILD_TYPE=Debug -DFK_SANITIZE=ON; then
	# The release run soaks 100000 operations; under the sanitizers,
	# which are 3-5x slower, a shorter soak keeps CI in its budget.
	transport N
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	FK_SOAK_OPS=${FK_SOAK_OPS_ASAN:-30000} \
		run_ctest "asan+ubsan" build-asan
else
	FAIL=$((FAIL + 1)); SUMMARY+=("asan+ubsan: build failed")
fi

# ThreadSanitizer: the concurrent tests, whose daemons report every data
# race (tests/mount/storm.sh fails on any report not in tests/tsan.supp).
if build build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFK_TSAN=ON; then
	transport Y
	run_ctest "tsan" build-tsan -R '^(mount\.(storm|pt_link_race|pt_fh_race|memfs_concurrent)|unit\.(test_session|test_node_table))$'
else
	FAIL=$((FAIL + 1)); SUMMARY+=("tsan: build failed")
fi

if command -v clang >/dev/null; then
	if CC=clang build build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFK_FUZZ=ON; then
		run_ctest "fuzz" build-fuzz -R '^fuzz\.'
	else
		FAIL=$((FAIL + 1)); SUMMARY+=("fuzz: build failed")
	fi
else
	SUMMARY+=("fuzz: skipped (no clang)")
fi

if [ -x scripts/cross-macos.sh ]; then
	echo "=== macos cross-compile"
	if out=$(scripts/cross-macos.sh 2>&1); then
		echo "$out" | tail -n 5
		n=$(echo "$out" | grep -c '^linked ')
		PASS=$((PASS + n)); SUMMARY+=("macos: $n targets linked")
	elif [ $? = 77 ]; then
		echo "$out" | tail -n 3
		SUMMARY+=("macos: skipped (no cross compiler)")
	else
		echo "$out" | tail -n 30
		FAIL=$((FAIL + 1)); SUMMARY+=("macos: cross-compile failed")
	fi
fi

echo "=== summary"
printf '%s\n' "${SUMMARY[@]}"
echo "all: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
