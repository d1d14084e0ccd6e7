#!/bin/bash
# base-image.sh — the tarballs podman imports as the container tests' and
# benchmarks' base images (podman import, no registry):
#
#   base-image.sh BUSYBOX CTLIST OUTDIR
#
# OUTDIR/mini.tar: busybox-static with its applets, /etc/passwd and
#   /etc/group, ctlist (the lister tests/containers/ctlist.c).
# OUTDIR/base.tar: that, plus from the host as it is: tcc, setfattr and
#   getfattr with the libraries they load, the C runtime files and the
#   libc and kernel headers (libc6-dev, linux-libc-dev), the headers again
#   as /src/include.tar, and /src/hello.c: enough to untar a tree and
#   compile a program in a container.
set -eu
BUSYBOX=${1:?usage: base-image.sh BUSYBOX CTLIST OUTDIR}
CTLIST=${2:?}
OUT=${3:?}
r=$OUT/rootfs
lib=/usr/lib/x86_64-linux-gnu
mkdir -p "$r"/{bin,etc,tmp,root,src,usr/bin,usr/lib}
# The host's merged /usr links (lib -> usr/lib), so that the absolute
# links of its libraries (the ELF interpreter) resolve in the image.
for d in lib lib32 lib64 libx32; do
	if [ -L "/$d" ]; then
		ln -s "$(readlink "/$d")" "$r/$d"
		mkdir -p "$r/usr/$d"
	fi
done
chmod 1777 "$r/tmp"
cp "$BUSYBOX" "$r/bin/busybox"
for a in $("$BUSYBOX" --list); do
	[ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
done
printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/tmp:/bin/sh\n' >"$r/etc/passwd"
printf 'root:x:0:\nuser:x:1000:\n' >"$r/etc/group"
echo "welcome" >"$r/etc/motd"
cp "$CTLIST" "$r/ctlist"
cat >"$r/src/hello.c" <<-'EOC'
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/fs.h>
int main(void)
{
	struct stat st;
	printf("%s %d\n", stat("/usr/include/stdio.h", &st) == 0 ? "ok" : "no",
	       (int)strlen("fusekit"));
	return 0;
}
EOC
tar -C "$r" -cf "$OUT/mini.tar" ./bin ./etc ./tmp ./root ./ctlist
{
	command -v tcc setfattr getfattr
	ldd "$(command -v tcc)" "$(command -v setfattr)" |
		awk '/=> \// { print $3 } /^\t\// { print $1 }'
	echo "$lib/tcc" "$lib/crt1.o" "$lib/crti.o" "$lib/crtn.o" "$lib/libc.so" \
		"$lib/libc_nonshared.a" /lib64/ld-linux-x86-64.so.2
	dpkg -L libc6-dev linux-libc-dev | grep '^/usr/include/.*\.h$'
} | tr ' ' '\n' | grep . | while read -r f; do
	echo "$f"
	readlink -f "$f" # a library's link and what it names
done | sort -u | sed 's|^/||' >"$OUT/host-files"
grep '^usr/include/' "$OUT/host-files" | tar -C / -cf "$r/src/include.tar" -T -
tar -C / -cf "$OUT/host.tar" -T "$OUT/host-files"
tar -C "$r" --keep-directory-symlink -xf "$OUT/host.tar"
tar -C "$r" -cf "$OUT/base.tar" .
rm -rf "$r" "$OUT/host.tar" "$OUT/host-files"
chmod 644 "$OUT/base.tar" "$OUT/mini.tar"
