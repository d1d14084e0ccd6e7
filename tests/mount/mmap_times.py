#!/usr/bin/env python3
"""mmap_times.py FILE: the times a write through a shared mapping leaves,
for mmap_times.sh. Prints one line per step, "how step mtime-newer
ctime-newer" (1 or 0): after the page fault, after msync, and after a
second write and munmap, each against the stat before it; the file
mapped through the descriptor that created it, then reopened."""
import mmap, os, sys, time

def newer(a, b):
    return f"{int(b.st_mtime_ns > a.st_mtime_ns)} {int(b.st_ctime_ns > a.st_ctime_ns)}"

def steps(how, p, fd):
    """The three steps on p, mapped through fd (closed at the end)."""
    os.write(fd, b"a" * 8192)
    m = mmap.mmap(fd, 8192)
    # Times have the host's granularity (a jiffy on ext4 or tmpfs):
    # wait past it before each change.
    st0 = os.stat(p); time.sleep(0.05)
    m[0:1] = b"z"
    st1 = os.stat(p)
    print(how, "fault", newer(st0, st1))
    m.flush()
    st2 = os.stat(p)
    print(how, "msync", newer(st0, st2))
    time.sleep(0.05)
    m[4096:4097] = b"q"
    m.close()
    os.close(fd)
    st3 = os.stat(p)
    print(how, "munmap", newer(st2, st3))

p = sys.argv[1]
# Mapped through the descriptor that created the file (CREATE), and
# through one that opened it again (OPEN).
steps("created", p, os.open(p, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644))
steps("opened", p, os.open(p, os.O_RDWR | os.O_TRUNC))
