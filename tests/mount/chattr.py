#!/usr/bin/env python3
"""chattr.py DIR: inode flags set and cleared with chattr through DIR, for
chattr.sh; one line per check: what lsattr shows, statx's attributes
(append, immutable, nodump, compressed), whether ctime moved, and the
error of a flag or an ioctl the host refuses."""
import ctypes, fcntl, os, struct, subprocess, sys, time

top = sys.argv[1]
libc = ctypes.CDLL(None, use_errno=True)
SYS_statx = 332  # x86_64
AT_FDCWD = -100
ATTRS = {0x20: "append", 0x10: "immutable", 0x40: "nodump", 0x4: "compressed"}

def statx_attrs(p):
    buf = ctypes.create_string_buffer(256)
    if libc.syscall(SYS_statx, AT_FDCWD, p.encode(), 0x100, 0xfff, buf) != 0:
        return f"statx-error-{ctypes.get_errno()}"
    attributes, = struct.unpack_from("<Q", buf, 8)
    mask, = struct.unpack_from("<Q", buf, 56)
    shown = [n for b, n in ATTRS.items() if attributes & b]
    known = [n for b, n in ATTRS.items() if mask & b]
    return "attrs=" + (",".join(sorted(shown)) or "-") + " known=" + ",".join(sorted(known))

def lsattr(p):
    r = subprocess.run(["lsattr", "-d", p], capture_output=True, text=True)
    return r.stdout.split()[0] if r.returncode == 0 else "lsattr-failed"

def chattr(arg, p):
    r = subprocess.run(["chattr", arg, p], capture_output=True, text=True)
    # The error, without the path (which differs)
    return "ok" if r.returncode == 0 else "error:" + r.stderr.strip().split(":")[-1].strip()

def step(name, arg, p):
    c0 = os.stat(p).st_ctime_ns
    time.sleep(0.02)
    rc = chattr(arg, p)
    moved = int(os.stat(p).st_ctime_ns > c0)
    print(name, arg, rc, lsattr(p), statx_attrs(p), f"ctime-moved={moved}")

for flag in "aidcAS":
    p = os.path.join(top, f"f_{flag}")
    with open(p, "w") as f:
        f.write("x")
    step(f"f_{flag}", "+" + flag, p)
    step(f"f_{flag}", "-" + flag, p)
d = os.path.join(top, "d")
os.mkdir(d)
step("d", "+A", d)
step("d", "-A", d)
# An ioctl that is not one of the four: never forwarded.
p = os.path.join(top, "f_a")
fd = os.open(p, os.O_RDONLY)
try:
    fcntl.ioctl(fd, 0x80087601, b"\0" * 8)  # FS_IOC_GETVERSION
    print("getversion answered")
except OSError as e:
    print("getversion", os.strerror(e.errno))
os.close(fd)
