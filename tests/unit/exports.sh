#!/bin/bash
# tests/unit/exports.sh LIBFUSEKIT.so INCLUDE_DIR — the shared library
# exports exactly what the public headers declare: every function (not
# the static inline ones) and every extern object of include/fusekit/*.h,
# and nothing else. An internal symbol that leaks into the ABI, or a
# declared one that is not built, fails it.
set -u
LIB=$1 INC=$2
command -v nm >/dev/null || { echo "exports: no nm"; exit 77; }
declared=$(mktemp) exported=$(mktemp)
trap 'rm -f "$declared" "$exported"' EXIT
# Declarations: with comments removed, a name followed by "(" or "[",
# minus the names of static inline functions.
cat "$INC"/fusekit/*.h | tr '\n' ' ' | sed 's:/\*:\n&:g; s:\*/:&\n:g' |
	sed '\:^/\*:d' | tr '\n' ' ' | sed 's/;/;\n/g; s/{/{\n/g; s/}/}\n/g' |
	grep -v 'static inline' |
	grep -oE '\bfk_[a-z0-9_]+[[:space:]]*[\[(]' | grep -oE 'fk_[a-z0-9_]+' |
	sort -u >"$declared"
nm -D --defined-only "$LIB" | awk '$2 ~ /^[TDRBV]$/ {print $3}' | sed 's/@.*//' |
	sort -u >"$exported"
n=$(wc -l <"$declared")
[ "$n" -gt 50 ] || { echo "FAIL: only $n declarations found in $INC (parser broken?)"; exit 1; }
rc=0
extra=$(comm -13 "$declared" "$exported")
missing=$(comm -23 "$declared" "$exported")
[ -z "$extra" ] || { echo "FAIL: exported but not declared in include/:"; echo "$extra"; rc=1; }
[ -z "$missing" ] || { echo "FAIL: declared in include/ but not exported:"; echo "$missing"; rc=1; }
[ $rc = 0 ] && echo "ok: $n symbols, exported = declared"
exit $rc
