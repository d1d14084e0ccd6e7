#!/usr/bin/env python3
"""handles.py: file handles taken and decoded (name_to_handle_at,
open_by_handle_at), for handles.sh.

  handles.py save DIR FILE   make DIR/d/f, DIR/d/sub, DIR/g (if missing),
                             take their handles (d/f also connectable) and
                             write them to FILE; print the unique mount id
                             check
  handles.py open DIR FILE   decode each handle in FILE through DIR: print
                             "name ok CONTENT" (a directory: its names; a
                             connectable one: its path under DIR too), or
                             "name error ERRNO"
  handles.py forge DIR HOST  decode, through DIR, a FUSE handle whose node
                             id is the one HOST (a directory outside the
                             mount's source) would have: "forged ok" or
                             "forged error ERRNO"
"""
import ctypes, json, os, sys

libc = ctypes.CDLL(None, use_errno=True)
MAX_HANDLE_SZ = 128
AT_HANDLE_MNT_ID_UNIQUE, AT_HANDLE_CONNECTABLE = 0x001, 0x002
STATX_MNT_ID_UNIQUE = 0x4000
FILEID_INO64_GEN = 0x81 # FUSE's own handles: node id and generation


class FileHandle(ctypes.Structure):
    _fields_ = [("handle_bytes", ctypes.c_uint), ("handle_type", ctypes.c_int),
                ("f_handle", ctypes.c_ubyte * MAX_HANDLE_SZ)]


def fail(what):
    e = ctypes.get_errno()
    raise OSError(e, f"{what}: {os.strerror(e)}")


def take(path, flags=0):
    """(type, bytes, mount id) of path's handle."""
    h = FileHandle(handle_bytes=MAX_HANDLE_SZ)
    mnt = ctypes.c_uint64(0)
    if libc.name_to_handle_at(-100, path.encode(), ctypes.byref(h),
                              ctypes.byref(mnt), flags) != 0:
        fail("name_to_handle_at " + path)
    return h.handle_type, bytes(h.f_handle[:h.handle_bytes]), mnt.value


def decode(mount_fd, htype, hbytes, flags=os.O_RDONLY):
    h = FileHandle(handle_bytes=len(hbytes), handle_type=htype)
    ctypes.memmove(h.f_handle, hbytes, len(hbytes))
    fd = libc.open_by_handle_at(mount_fd, ctypes.byref(h), flags)
    if fd < 0:
        fail("open_by_handle_at")
    return fd


def unique_mount_id(path):
    buf = ctypes.create_string_buffer(256)
    if libc.statx(-100, path.encode(), 0, STATX_MNT_ID_UNIQUE, buf) != 0:
        fail("statx " + path)
    return int.from_bytes(buf.raw[144:152], "little")


def save(top, out):
    os.makedirs(f"{top}/d/sub", exist_ok=True)
    for name in ("d/f", "g"):
        if not os.path.exists(f"{top}/{name}"):
            with open(f"{top}/{name}", "w") as f:
                f.write(name + "\n")
    saved = []
    for name, flags in (("d", 0), ("d/sub", 0), ("d/f", 0), ("g", 0),
                        ("d/f", AT_HANDLE_CONNECTABLE)):
        t, b, _ = take(f"{top}/{name}", flags)
        saved.append({"name": name, "connectable": bool(flags),
                      "type": t, "bytes": b.hex()})
    with open(out, "w") as f:
        json.dump(saved, f)
    _, _, mnt = take(f"{top}/d/f", AT_HANDLE_MNT_ID_UNIQUE)
    print("unique mount id", "matches statx" if mnt == unique_mount_id(top)
          else f"{mnt} but statx says {unique_mount_id(top)}")


def show(top, fd, e):
    st = os.fstat(fd)
    if os.path.isdir(f"/proc/self/fd/{fd}") and st.st_mode & 0o040000:
        what = ",".join(sorted(os.listdir(fd)))
    else:
        what = os.read(fd, 100).decode().strip()
    if e["connectable"]:
        path = os.readlink(f"/proc/self/fd/{fd}")
        what += " at " + (os.path.relpath(path, top) if path.startswith(top + "/")
                          else path)
    return what


def open_all(top, saved_file):
    with open(saved_file) as f:
        saved = json.load(f)
    mount_fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    for e in saved:
        label = e["name"] + (" (connectable)" if e["connectable"] else "")
        try:
            fd = decode(mount_fd, e["type"], bytes.fromhex(e["bytes"]))
            print(label, "ok", show(top, fd, e))
            os.close(fd)
        except OSError as err:
            print(label, "error", err.errno)
    os.close(mount_fd)


def forge(top, host):
    """The FUSE handle of the node id a passthrough derives from host's
    own handle (its first 8 bytes), generation 1: a directory outside
    the source must not be reachable through it."""
    _, b, _ = take(host)
    nodeid = int.from_bytes(b[:8].ljust(8, b"\0"), "little")
    fh = (nodeid >> 32).to_bytes(4, "little") + (nodeid & 0xffffffff).to_bytes(4, "little") \
        + (1).to_bytes(4, "little")
    mount_fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fd = decode(mount_fd, FILEID_INO64_GEN, fh)
        print("forged ok", ",".join(sorted(os.listdir(fd))))
    except OSError as err:
        print("forged error", err.errno)


{"save": save, "open": open_all, "forge": forge}[sys.argv[1]](*sys.argv[2:])
