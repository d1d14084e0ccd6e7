#!/bin/sh
# mount-program.sh — podman's overlay mount_program in the container tests:
# fusekit-overlayfs run in the foreground under a watcher that logs its pid
# and, when it ends, its exit status, so the test can tell that every
# daemon podman started lived until its unmount and exited 0. podman.sh
# copies it, with @LOG@ and @BIN@ filled in, where podman's user can run
# it. podman waits for this script and reads its stderr; it returns once
# the mount is there, or with the daemon's error.
LOG=@LOG@
BIN=@BIN@
mnt=
for a in "$@"; do mnt=$a; done # the mountpoint is the last argument
(
	"$BIN" -f "$@" </dev/null >/dev/null 2>>"$LOG.err" &
	pid=$!
	echo $pid >"$LOG.$$"
	echo "start $pid $mnt" >>"$LOG"
	wait $pid
	echo "exit $pid $? $mnt" >>"$LOG"
) </dev/null >/dev/null 2>&1 &
i=0
while [ $i -lt 200 ]; do
	if mountpoint -q "$mnt"; then
		rm -f "$LOG.$$"
		exit 0
	fi
	pid=$(cat "$LOG.$$" 2>/dev/null)
	if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
		rm -f "$LOG.$$"
		tail -n 3 "$LOG.err" >&2
		exit 1
	fi
	sleep 0.05
	i=$((i + 1))
done
echo "fusekit-overlayfs: $mnt did not appear within 10 s" >&2
exit 1
