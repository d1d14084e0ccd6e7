#!/bin/bash
# renamer.sh DIR SECONDS [PAUSE] — the host changing a tree under a mount:
# DIR/a renamed to DIR/x and back, every PAUSE seconds (default 0.05),
# for SECONDS. (storm.sh, scripts/soak.sh)
end=$((SECONDS + ${2:?usage: renamer.sh DIR SECONDS [PAUSE]}))
while [ $SECONDS -lt $end ]; do
	mv "$1/a" "$1/x" 2>/dev/null
	mv "$1/x" "$1/a" 2>/dev/null
	sleep "${3:-0.05}"
done
