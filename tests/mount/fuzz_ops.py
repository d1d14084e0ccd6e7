"""fuzz_ops.py [--prepare] DIR SEED OPS — a seeded random sequence of
real file operations in DIR, one per line with its result, so that the
same sequence run in a native directory and through a mount can be
diffed (tests/mount/fuzz.sh, scripts/fuzz-ops.sh).

Operations on a small pool of names in a few directories: create, mknod
(fifo, socket), mkdir, symlink, link, unlink, rmdir, rename with each
flag (none, NOREPLACE, EXCHANGE), open/write/read/truncate, ftruncate,
setattr (chmod, utimes), xattrs (set, get, list, remove), readdir. Each
line: the step number, the operation and its arguments, then "ok" with
what must match (stat fields but inode numbers and times, data digests,
sorted listings) or the errno name. Directory link counts are left out:
an overlay's merged directory shows 1.

--prepare lays out a fixture (files, a fifo, a symlink, xattrs, a
set-user-ID file, nested directories; no hard links, which an overlay
parts at copy-up as the kernel's does) in DIR and exits: an overlay test lays it out in its lower
layer and in the native directory, so the sequence starts on lower
objects and every change copies up.
"""
import ctypes
import errno
import hashlib
import os
import random
import stat
import sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
PREPARE = "--prepare" in sys.argv
ROOT = args[0]
libc = ctypes.CDLL(None, use_errno=True)
DIRS = ["", "a", "a/b", "c"]


def path(rel):
    return os.path.join(ROOT, rel) if rel else ROOT


def describe(p):
    s = os.lstat(p)
    t = stat.S_IFMT(s.st_mode)
    out = f"{stat.filemode(s.st_mode)} {oct(s.st_mode & 0o7777)} uid={s.st_uid}"
    if t != stat.S_IFDIR:
        out += f" nlink={s.st_nlink}"
    if t == stat.S_IFREG:
        with open(p, "rb") as f:
            out += f" size={s.st_size} md5={hashlib.md5(f.read()).hexdigest()[:8]}"
    elif t == stat.S_IFLNK:
        out += f" -> {os.readlink(p)}"
    return out


def rename2(a, b, flags):
    if libc.renameat2(-100, a.encode(), -100, b.encode(), flags) < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def write_at(p, off, data, trunc):
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK | (os.O_TRUNC if trunc else 0), 0o644)
    try:
        os.pwrite(fd, data, off)
    finally:
        os.close(fd)


def read_at(p, off, n):
    fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
    try:
        return hashlib.md5(os.pread(fd, n, off)).hexdigest()[:8]
    finally:
        os.close(fd)


def ftruncate(p, n):
    fd = os.open(p, os.O_WRONLY | os.O_NONBLOCK)
    try:
        os.ftruncate(fd, n)
    finally:
        os.close(fd)


def listing(p):
    return " ".join(sorted(os.listdir(p)))


def prepare():
    for d in DIRS[1:]:
        os.makedirs(path(d), exist_ok=True)
    for i, d in enumerate(DIRS):
        for j in range(3):
            with open(path(os.path.join(d, f"n{j}")), "wb") as f:
                f.write(bytes([i * 16 + j]) * (j * 5000 + 7))
    os.mkfifo(path("a/b/n6"))
    os.symlink("n1", path("n7"))
    os.setxattr(path("a/n1"), "user.k", b"lower")
    os.chmod(path("c/n2"), 0o4755)


def main():
    seed, ops = int(args[1]), int(args[2])
    rnd = random.Random(seed)
    for d in DIRS[1:]:
        os.makedirs(path(d), exist_ok=True)

    def name():
        return os.path.join(rnd.choice(DIRS), f"n{rnd.randrange(8)}")

    def data():
        return rnd.randbytes(rnd.choice([1, 100, 4096, 70000]))

    table = [
        ("create", lambda n: write_at(path(n), 0, data(), True)),
        ("pwrite", lambda n: write_at(path(n), rnd.randrange(90000), data(), False)),
        ("pread", lambda n: read_at(path(n), rnd.randrange(80000), rnd.randrange(1, 9000))),
        ("truncate", lambda n: os.truncate(path(n), rnd.randrange(100000))),
        ("ftruncate", lambda n: ftruncate(path(n), rnd.randrange(100000))),
        ("mkfifo", lambda n: os.mkfifo(path(n), 0o640)),
        ("mksock", lambda n: os.mknod(path(n), stat.S_IFSOCK | 0o600)),
        ("mkdir", lambda n: os.mkdir(path(n), 0o750)),
        ("symlink", lambda n: os.symlink(rnd.choice(["n0", "../n1", "nowhere"]), path(n))),
        ("link", lambda n: os.link(path(n), path(name()))),
        ("unlink", lambda n: os.unlink(path(n))),
        ("rmdir", lambda n: os.rmdir(path(n))),
        ("rename", lambda n: os.rename(path(n), path(name()))),
        ("noreplace", lambda n: rename2(path(n), path(name()), 1)),
        ("exchange", lambda n: rename2(path(n), path(name()), 2)),
        ("chmod", lambda n: os.chmod(path(n), rnd.choice([0o600, 0o644, 0o755, 0o2750]))),
        ("utime", lambda n: os.utime(path(n), (1000000, rnd.randrange(1 << 31)), follow_symlinks=False)),
        ("setxattr", lambda n: os.setxattr(path(n), "user.k", data()[:60], follow_symlinks=False)),
        ("getxattr", lambda n: hashlib.md5(os.getxattr(path(n), "user.k", follow_symlinks=False)).hexdigest()[:8]),
        ("listxattr", lambda n: sorted(x for x in os.listxattr(path(n), follow_symlinks=False) if x.startswith("user."))),
        ("removexattr", lambda n: os.removexattr(path(n), "user.k", follow_symlinks=False)),
        ("readdir", lambda n: listing(path(os.path.dirname(n)))),
        ("stat", lambda n: describe(path(n))),
    ]
    lines = []
    for step in range(ops):
        op, fn = table[rnd.randrange(len(table))]
        n = name()
        try:
            r = fn(n)
            lines.append(f"{step} {op} {n}: ok{'' if r is None else ' ' + str(r)}")
        except OSError as e:
            lines.append(f"{step} {op} {n}: {errno.errorcode.get(e.errno, e.errno)}")
    # The whole tree at the end.
    for d, subdirs, files in os.walk(ROOT):
        subdirs.sort()
        for f in sorted(subdirs + files):
            p = os.path.join(d, f)
            lines.append(f"end {os.path.relpath(p, ROOT)}: {describe(p)}")
    print("\n".join(lines))


if PREPARE:
    prepare()
else:
    main()
