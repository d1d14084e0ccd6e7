"""meta_ops.py DIR N JOB — one metadata job of bench/meta.sh on N names in
DIR, printing its rate (operations per second).

Jobs, in the order meta.sh runs them (each on what the one before left):
  create   N empty files made (O_CREAT|O_EXCL, closed)
  getattr  each stat'ed, names and attributes cached by the kernel
  lookup   each stat'ed after the kernel dropped its dentries and inodes
           (meta.sh writes 2 to drop_caches first): a LOOKUP each
  readdir  the directory listed, each entry's type and inode read
  rename   each renamed within the directory
  unlink   each removed
  deep     a chain of 32 directories made, N files at its bottom stat'ed
           through the whole path, and all removed again
  absent   N names that are not there stat'ed (each must be ENOENT)
"""
import os
import sys
import time

top, n, job = sys.argv[1], int(sys.argv[2]), sys.argv[3]
names = [os.path.join(top, f"f{i:07d}") for i in range(n)]
t0 = time.perf_counter()
ops = n
if job == "create":
    for p in names:
        os.close(os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
elif job in ("getattr", "lookup"):
    for p in names:
        os.stat(p)
elif job == "readdir":
    seen = 0
    with os.scandir(top) as it:
        for e in it:
            e.is_file(follow_symlinks=False)
            e.inode()
            seen += 1
    if seen != n:
        sys.exit(f"readdir: {seen} entries, not {n}")
elif job == "rename":
    for p in names:
        os.rename(p, p + ".r")
elif job == "unlink":
    for p in names:
        os.unlink(p + ".r")
elif job == "deep":
    d = top
    for i in range(32):
        d = os.path.join(d, f"d{i}")
        os.mkdir(d)
    files = [os.path.join(d, f"g{i}") for i in range(n)]
    for p in files:
        os.close(os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    for p in files:
        os.stat(p)
    for p in files:
        os.unlink(p)
    while d != top:
        os.rmdir(d)
        d = os.path.dirname(d)
    ops = 3 * n
elif job == "absent":
    for p in names:
        try:
            os.stat(p + ".none")
        except FileNotFoundError:
            continue
        sys.exit(f"absent: {p}.none is there")
else:
    sys.exit(f"unknown job {job}")
print(round(ops / (time.perf_counter() - t0), 1))
