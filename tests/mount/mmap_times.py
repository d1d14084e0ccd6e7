#!/usr/bin/env python3
"""mmap_times.py FILE: the times a write through a shared mapping leaves,
for mmap_times.sh. Prints one line per step, "step mtime-newer
ctime-newer" (1 or 0): after the page fault, after msync, and after a
second write and munmap, each against the stat before it."""
import mmap, os, sys, time

p = sys.argv[1]
with open(p, "wb") as f:
    f.write(b"a" * 8192)
fd = os.open(p, os.O_RDWR)
m = mmap.mmap(fd, 8192)

def newer(a, b):
    return f"{int(b.st_mtime_ns > a.st_mtime_ns)} {int(b.st_ctime_ns > a.st_ctime_ns)}"

# Times have the host's granularity (a jiffy on ext4 or tmpfs): wait
# past it before each change.
st0 = os.stat(p); time.sleep(0.05)
m[0:1] = b"z"
st1 = os.stat(p)
print("fault", newer(st0, st1))
m.flush()
st2 = os.stat(p)
print("msync", newer(st0, st2))
time.sleep(0.05)
m[4096:4097] = b"q"
m.close()
os.close(fd)
st3 = os.stat(p)
print("munmap", newer(st2, st3))
