# ovl_layers.sh — the two lower layers the writable-overlay tests share
# (sourced): $L1 above $L2, with what ovl_scenarios.py changes: files to
# append to, truncate, chmod, chown, remove and rename; directories to
# remove, replace and move; a sparse file, a symlink, a fifo, xattrs.
L1=$WORK/l1 L2=$WORK/l2
mkdir -p "$L1" "$L2"

# Bottom layer.
mkdir -p "$L2/a" "$L2/b" "$L2/keep" "$L2/full" "$L2/deep/er/est"
echo one >"$L2/a/file1"
echo two >"$L2/a/file2"
echo gone >"$L2/a/gone"
echo gone2 >"$L2/a/gone2"
echo lower >"$L2/b/lower"
echo other >"$L2/b/other"
echo x >"$L2/b/x"
echo c >"$L2/c"
echo own >"$L2/own"
echo only >"$L2/full/only"
echo f >"$L2/deep/er/est/f"
echo hard >"$L2/hard"
ln -s a/file1 "$L2/link"
mkfifo "$L2/fifo"
touch -d '2001-02-03 04:05:06' "$L2/a/file1" "$L2/deep/er"
chmod 0751 "$L2/deep/er"
chown 1234:5678 "$L2/deep/er/est"
# Top lower layer: overrides and its own xattrs.
mkdir -p "$L1/a"
echo x >"$L1/x"
setfattr -n user.a -v 1 "$L1/x"
echo y >"$L1/y"
setfattr -n user.old -v 2 "$L1/y"
echo KEEP >"$L1/keep.txt"
# A sparse file: 4 MiB with one block of data in the middle.
truncate -s 4M "$L1/sparse"
printf 'data' | dd of="$L1/sparse" bs=1 seek=2097152 conv=notrunc status=none
echo top >"$L1/a/top"

