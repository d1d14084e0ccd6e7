# kernel_crashes.sh — crashes of fusekit's programs in the kernel log
# (sourced by tests/mount/lib.sh, tests/containers/podman.sh,
# scripts/fuzz-ops.sh and scripts/soak.sh).
#
# An exit status tells how the daemons a script started itself ended. The
# kernel log also tells of those it did not start (podman's mount
# program), of one it forgot to track, and of one that crashed after it
# stopped watching: a segfault, general protection fault or trap of a
# process named fusekit* (fusekit-overlayfs shows as fusekit-overlay),
# fk-memfs or ovl_memfs, logged since crash_watch_start. The kernel
# stamps its lines in seconds since boot, as /proc/uptime counts. Needs a
# readable kernel log (root); where there is none, nothing is found.
crash_watch_start() {
	CRASH_WATCH_T=$(cut -d' ' -f1 /proc/uptime)
}
# kernel_crashes: the kernel log's lines of such crashes since then.
kernel_crashes() {
	dmesg 2>/dev/null | awk -v t="${CRASH_WATCH_T:?crash_watch_start first}" '
		match($0, /^\[ *[0-9]+\.[0-9]+\]/) { ts = substr($0, 2, RLENGTH - 2) + 0 }
		ts >= t && /(fusekit|fk-memfs|ovl_memfs)[^ ]*\[[0-9]+\]:? (segfault|general protection|trap)/'
}
