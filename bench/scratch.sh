# bench/scratch.sh — the benchmarks' scratch directory (sourced by
# lib.sh and containers.sh): a fresh ext4 with a journal (mkfs.ext4's
# defaults) on a loop device, the same for every system and every run.
#
# Not a directory of the host's own filesystem: this machine's root is
# ext4 without a journal, where ext4 skips, when it allocates an inode,
# every inode freed in the last 5 minutes (300 s while its table block
# is dirty), reading each one's table block (fs/ext4/ialloc.c,
# recently_deleted(), consulted only without a journal). A create there
# cost 9 us or 330 us depending on how many files the jobs before it had
# deleted: create figures measured the order of the systems, not the
# systems (docs/benchmarks.md, "The create baseline").
#
#   scratch_open PREFIX   makes W (PREFIX.XXXXXX) and mounts the image on
#                         it; FK_BENCH_IMAGE_GB sizes it (sparse; 48)
#   scratch_close         unmounts it and removes it and its image; call
#                         it last, once nothing else is mounted inside
W= SCRATCH_LOOP=
scratch_open() {
	command -v mkfs.ext4 >/dev/null && command -v losetup >/dev/null ||
		{ echo "bench: needs mkfs.ext4 (e2fsprogs) and losetup (mount)"; exit 1; }
	W=$(mktemp -d "$1.XXXXXX")
	truncate -s "${FK_BENCH_IMAGE_GB:-48}G" "$W.img"
	# Direct I/O: the image's blocks are not cached a second time.
	SCRATCH_LOOP=$(losetup --direct-io=on -f --show "$W.img") ||
		{ echo "bench: no loop device for the scratch image"; exit 1; }
	# The inode tables written now, not by ext4lazyinit during the jobs.
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$SCRATCH_LOOP" >/dev/null ||
		{ echo "bench: mkfs.ext4 of the scratch image failed"; exit 1; }
	mount -o discard "$SCRATCH_LOOP" "$W" ||
		{ echo "bench: cannot mount the scratch image"; exit 1; }
}
scratch_close() {
	[ -n "$W" ] || return 0
	if [ -n "$SCRATCH_LOOP" ]; then
		# Daemons told to go may hold it a moment longer.
		for _ in $(seq 50); do umount "$W" 2>/dev/null && break; sleep 0.1; done
		if mountpoint -q "$W"; then umount -l "$W"; fi
		losetup -d "$SCRATCH_LOOP" 2>/dev/null || true # gone with the lazy unmount
	fi
	rm -rf "$W" "$W.img"
}
