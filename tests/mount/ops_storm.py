"""ops_storm.py DIR SEED SECONDS — one of several clients racing on the
same few names in DIR: creates, writes, reads, truncates, links, unlinks,
renames (plain, NOREPLACE, EXCHANGE), mkdir, rmdir, readdir, chmod,
utimes, xattrs, fifos, symlinks. Errors a racing native filesystem gives
are expected (ENOENT, EEXIST, ENOTEMPTY, ENOTDIR, EISDIR, EINVAL, ENODATA,
ENXIO, ESPIPE, EPIPE (fifos), EXDEV from an overlay, ESTALE when the host changes the tree
underneath); any other is printed and counted. Prints "ops N unexpected N"."""
import ctypes
import errno
import os
import random
import sys
import time

EXPECTED = {errno.ENOENT, errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR,
            errno.EISDIR, errno.EINVAL, errno.ENODATA, errno.EXDEV,
            errno.ESTALE, errno.ELOOP, errno.ENXIO, errno.ESPIPE, errno.EPIPE}
# EPERM and EOPNOTSUPP too for links of directories and xattrs of
# symlinks and special files.
PERM_OK = {4, 14, 15, 16}
top, seed, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
rnd = random.Random(seed)
libc = ctypes.CDLL(None, use_errno=True)
DIRS = ["a", "b", "a/c"]


def name():
    return os.path.join(top, rnd.choice(DIRS), f"n{rnd.randrange(8)}")


def rename2(src, dst, flags):
    if libc.renameat2(-100, src.encode(), -100, dst.encode(), flags) < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), src)


def write(p, data, flags):
    # O_NONBLOCK: a fifo without a reader answers ENXIO, not a hang.
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK | flags, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def read(p):
    fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
    try:
        return os.pread(fd, 4096, rnd.randrange(64))
    finally:
        os.close(fd)


OPS = [
    lambda: write(name(), os.urandom(rnd.randrange(1, 9000)), os.O_TRUNC),
    lambda: write(name(), b"more", os.O_APPEND),
    lambda: read(name()),
    lambda: os.truncate(name(), rnd.randrange(20000)),
    lambda: os.link(name(), name()),
    lambda: os.unlink(name()),
    lambda: os.rename(name(), name()),
    lambda: rename2(name(), name(), 1),  # NOREPLACE
    lambda: rename2(name(), name(), 2),  # EXCHANGE
    lambda: os.mkdir(name()),
    lambda: os.rmdir(name()),
    lambda: os.listdir(os.path.join(top, rnd.choice(DIRS))),
    lambda: os.chmod(name(), rnd.choice([0o600, 0o644, 0o755])),
    lambda: os.utime(name(), (rnd.randrange(1 << 30), rnd.randrange(1 << 30))),
    lambda: os.setxattr(name(), "user.k", os.urandom(8), follow_symlinks=False),
    lambda: os.getxattr(name(), "user.k", follow_symlinks=False),
    lambda: os.listxattr(name(), follow_symlinks=False),
    lambda: os.mkfifo(name()),
    lambda: os.symlink("n0", name()),
    lambda: os.readlink(name()),
    lambda: os.lstat(name()),
]

for d in DIRS:
    try:
        os.makedirs(os.path.join(top, d), exist_ok=True)
    except OSError:
        pass
ops = unexpected = 0
stop = time.time() + seconds
while time.time() < stop:
    op = rnd.randrange(len(OPS))
    ops += 1
    try:
        OPS[op]()
    except OSError as e:
        if e.errno not in EXPECTED and not (
                e.errno in (errno.EPERM, errno.EOPNOTSUPP) and op in PERM_OK):
            unexpected += 1
            if unexpected <= 5:
                print("unexpected:", op, e)
    if ops % 200 == 0:
        for d in DIRS:  # the directories come back if a rename took them
            try:
                os.makedirs(os.path.join(top, d), exist_ok=True)
            except OSError:
                pass
print("ops", ops, "unexpected", unexpected)
