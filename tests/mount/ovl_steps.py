"""ovl_steps.py — what the overlay scenario scripts share (imported by
ovl_scenarios.py and ovl_redirect.py): steps that print their result or
errno name, paths under the mount (sys.argv[1]), renameat2."""
import ctypes
import errno
import os
import sys

ROOT = sys.argv[1]
RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2
_libc = ctypes.CDLL(None, use_errno=True)


def renameat2(a, b, flags):
    AT_FDCWD = -100
    r = _libc.renameat2(AT_FDCWD, a.encode(), AT_FDCWD, b.encode(), flags)
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def step(name, fn, *args):
    """Run fn; print its result or the errno it failed with."""
    try:
        r = fn(*args)
        print(f"{name}: ok{'' if r is None else ' ' + repr(r)}")
    except OSError as e:
        print(f"{name}: {errno.errorcode.get(e.errno, e.errno)}")


def p(rel):
    return os.path.join(ROOT, rel)


def read(rel):
    with open(p(rel), "rb") as f:
        return f.read()
