#!/usr/bin/env python3
"""setid.py DIR WHO: set-id bits after each change by an unprivileged
writer, for setid.sh. As root: makes DIR/<case> files (8 KiB, the case's
mode and group); for each, forks a writer with WHO's credentials
("uid:gid[:supplementary]") that makes the case's one change, and prints
"case mode-after". The writer drops every capability with its uid."""
import ctypes, os, sys

FALLOC_KEEP_SIZE, FALLOC_PUNCH, FALLOC_ZERO = 1, 2, 0x10
libc = ctypes.CDLL(None, use_errno=True)
libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]

def falloc(fd, mode, off, n):
    if libc.fallocate(fd, mode, off, n) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))

CHANGES = {
    "write": lambda p, src: os.pwrite(fd_w(p), b"x", 100),
    "truncate": lambda p, src: os.truncate(p, 4096),
    "ftruncate": lambda p, src: os.ftruncate(fd_w(p), 4096),
    "falloc-alloc": lambda p, src: falloc(fd_w(p), 0, 0, 16384),
    "falloc-keep": lambda p, src: falloc(fd_w(p), FALLOC_KEEP_SIZE, 0, 16384),
    "falloc-punch": lambda p, src: falloc(fd_w(p), FALLOC_KEEP_SIZE | FALLOC_PUNCH, 0, 4096),
    "falloc-zero": lambda p, src: falloc(fd_w(p), FALLOC_ZERO, 0, 4096),
    "copy-range": lambda p, src: os.copy_file_range(os.open(src, os.O_RDONLY), fd_w(p), 4096, 0, 0),
}

def fd_w(p):
    return os.open(p, os.O_WRONLY)

def main():
    top, who = sys.argv[1], sys.argv[2].split(":")
    uid, gid = int(who[0]), int(who[1])
    groups = [int(g) for g in who[2:]]
    src = os.path.join(top, "src")
    with open(src, "wb") as f:
        f.write(b"s" * 8192)
    os.chmod(src, 0o644)
    for mode in (0o2666, 0o2676, 0o4666, 0o6666, 0o6766, 0o2777):
        for group in (0, gid, 4242):
            for change in CHANGES:
                name = f"{change}-{mode:o}-g{group}"
                p = os.path.join(top, name)
                with open(p, "wb") as f:
                    f.write(b"d" * 8192)
                os.chown(p, 0, group)
                os.chmod(p, mode)
                pid = os.fork()
                if pid == 0:
                    try:
                        os.setgroups(groups)
                        os.setgid(gid)
                        os.setuid(uid)
                        CHANGES[change](p, src)
                        os._exit(0)
                    except OSError as e:
                        print(f"{name} error {e.errno}", flush=True)
                        os._exit(1)
                os.waitpid(pid, 0)
                print(name, f"{os.stat(p).st_mode & 0o7777:o}", flush=True)

main()
