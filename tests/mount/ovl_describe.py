#!/usr/bin/env python3
"""ovl_describe.py DIR [LOWER...] — one line per entry below DIR with what
must be equal between two overlay trees: type, mode, owner, size (not for
directories, whose size depends on their history), device numbers,
symlink target, contents digest, xattrs. Inode numbers are shown only when they are one of the LOWER
directories' (kept across copy-up); other numbers depend on the run.

Where a copy-up came from is recorded differently: kernel overlayfs
writes trusted.overlay.origin (a file handle) and, on the upper root,
.uuid; fusekit writes trusted.overlay.fusekit.origin (the number shown).
Those are left out, and so is .impure (both write it, on directories
holding copies, but the kernel only where it wrote an origin).
Allocated blocks are not compared: kernel overlayfs fills the holes of a
file it copies up, fusekit keeps them (ovl_write.sh checks that)."""
import hashlib
import os
import stat
import sys

SKIP_XATTRS = {"trusted.overlay.origin", "trusted.overlay.impure",
               "trusted.overlay.uuid", "trusted.overlay.fusekit.origin"}
root = sys.argv[1]
lower_inos = set()
for lower in sys.argv[2:]:
    for d, dirs, files in os.walk(lower):
        for n in dirs + files:
            lower_inos.add(os.lstat(os.path.join(d, n)).st_ino)
    lower_inos.add(os.lstat(lower).st_ino)


def describe(path, rel):
    st = os.lstat(path)
    m = st.st_mode
    f = [rel, stat.filemode(m), f"{st.st_uid}:{st.st_gid}"]
    if lower_inos:
        f.append(f"ino={st.st_ino if st.st_ino in lower_inos else 'new'}")
        f.append(f"nlink={st.st_nlink if not stat.S_ISDIR(m) else '-'}")
    if stat.S_ISREG(m):
        with open(path, "rb") as fh:
            f.append(hashlib.md5(fh.read()).hexdigest()[:12])
        f.append(f"size={st.st_size}")
    elif stat.S_ISLNK(m):
        f.append("-> " + os.readlink(path))
    elif stat.S_ISCHR(m) or stat.S_ISBLK(m):
        f.append(f"dev={os.major(st.st_rdev)},{os.minor(st.st_rdev)}")
    try:
        names = sorted(set(os.listxattr(path, follow_symlinks=False)) - SKIP_XATTRS)
        for n in names:
            f.append(f"{n}={os.getxattr(path, n, follow_symlinks=False)!r}")
    except OSError:
        pass
    print("|".join(f))


describe(root, ".")
for d, dirs, files in os.walk(root):
    dirs.sort()
    for n in sorted(dirs + files):
        full = os.path.join(d, n)
        describe(full, os.path.relpath(full, root))
