#!/usr/bin/env python3
"""posix_scenarios.py [--prepare | --existing] DIR — run POSIX scenarios in
DIR and print what happened.

Every step prints one line: its name and either "ok" with the fields that
must match (stat fields, data, listings) or the errno name. The same script
runs in a native directory and through a mount; the two outputs must be
identical (tests/mount/pt_conformance.sh diffs them). Times are printed only
where a scenario set them, inode numbers never (they differ between two
trees; the mount test checks them against the source separately).

--prepare makes a fixture tree (DIR/pre: files with data, a sparse file,
modes, owners, links, symlinks, a fifo, xattrs, directories); --existing
then runs scenarios on those existing objects. An overlay test prepares
the fixture in its lower layer and in the native directory, so every
object the scenarios touch starts out lower (copy-up on each change).
Directory link counts are not printed there: a merged directory shows 1.
"""
import ctypes
import errno
import os
import stat
import sys

MODE = sys.argv[1] if len(sys.argv) > 2 else "--all"
ROOT = sys.argv[-1]
IS_ROOT = os.geteuid() == 0
libc = ctypes.CDLL(None, use_errno=True)
out = []


def emit(name, value):
    out.append(f"{name}: {value}")


def step(name, fn, *args):
    """Run fn; print its result or the errno it failed with."""
    try:
        r = fn(*args)
        emit(name, "ok" if r is None else f"ok {r}")
    except OSError as e:
        emit(name, errno.errorcode.get(e.errno, str(e.errno)))


def st(path, follow=False):
    s = os.stat(path, follow_symlinks=follow)
    return (f"{stat.filemode(s.st_mode)} {oct(s.st_mode)} nlink={s.st_nlink} "
            f"uid={s.st_uid} gid={s.st_gid} size={s.st_size if not stat.S_ISDIR(s.st_mode) else '-'}")


def p(*parts):
    return os.path.join(ROOT, *parts)


def write(path, data, flags=os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode=0o644):
    fd = os.open(path, flags, mode)
    try:
        return os.write(fd, data)
    finally:
        os.close(fd)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def rename2(a, b, flags):
    r = libc.renameat2(-100, a.encode(), -100, b.encode(), flags)
    if r != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def fallocate(path, mode, off, length):
    fd = os.open(path, os.O_RDWR)
    try:
        r = libc.fallocate(fd, mode, ctypes.c_long(off), ctypes.c_long(length))
        if r != 0:
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e))
    finally:
        os.close(fd)


def lchmod(path, mode):
    """fchmodat(AT_SYMLINK_NOFOLLOW): Python refuses it on Linux."""
    if libc.fchmodat(-100, path.encode(), mode, 0x100) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def seek(path, off, whence):
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.lseek(fd, off, whence)
    finally:
        os.close(fd)


def scenario_files():
    d = p("files")
    os.mkdir(d)
    f = os.path.join(d, "a")
    step("create", write, f, b"hello")
    step("stat new file", st, f)
    step("read back", lambda: read(f))
    step("O_EXCL on existing", write, f, b"x", os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    step("open missing", os.open, os.path.join(d, "missing"), os.O_RDONLY)
    step("O_APPEND", write, f, b" world", os.O_WRONLY | os.O_APPEND)
    step("after append", lambda: read(f))
    step("O_TRUNC", write, f, b"new", os.O_WRONLY | os.O_TRUNC)
    step("after trunc", lambda: (read(f), st(f)))
    step("pwrite past end", lambda: (os.pwrite(fd := os.open(f, os.O_WRONLY), b"Z", 10), os.close(fd)))
    step("sparse read", lambda: read(f))
    step("open dir for write", os.open, d, os.O_WRONLY)
    step("open file as dir", os.open, f, os.O_RDONLY | os.O_DIRECTORY)
    step("truncate up", os.truncate, f, 100000)
    step("size up", st, f)
    step("truncate down", os.truncate, f, 2)
    step("content down", lambda: read(f))
    step("truncate dir", os.truncate, d, 0)


def scenario_dirs():
    d = p("dirs")
    step("mkdir", os.mkdir, d, 0o755)
    step("stat dir", st, d)
    step("mkdir existing", os.mkdir, d)
    step("mkdir nested", os.makedirs, os.path.join(d, "x", "y"))
    step("nlink counts subdirs", st, d)
    step("rmdir non-empty", os.rmdir, os.path.join(d, "x"))
    write(os.path.join(d, "file"), b"1")
    step("rmdir a file", os.rmdir, os.path.join(d, "file"))
    step("unlink a dir", os.unlink, os.path.join(d, "x"))
    step("rmdir leaf", os.rmdir, os.path.join(d, "x", "y"))
    step("listing", lambda: sorted(os.listdir(d)))
    step("mkdir mode 0700", os.mkdir, os.path.join(d, "private"), 0o700)
    step("mode kept", st, os.path.join(d, "private"))
    many = os.path.join(d, "many")
    os.mkdir(many)
    for i in range(600):
        write(os.path.join(many, f"entry-{i:04d}"), b"")
    step("large listing", lambda: (len(os.listdir(many)), sorted(os.listdir(many))[::97]))
    step("scandir types", lambda: sorted((e.name, e.is_dir(follow_symlinks=False)) for e in os.scandir(d)))


def scenario_links():
    d = p("links")
    os.mkdir(d)
    f = os.path.join(d, "f")
    write(f, b"data")
    step("link", os.link, f, os.path.join(d, "h"))
    step("nlink 2", st, f)
    step("link over existing", os.link, f, os.path.join(d, "h"))
    step("link a dir", os.link, d, os.path.join(d, "dl"))
    step("unlink one", os.unlink, os.path.join(d, "h"))
    step("nlink 1", st, f)
    step("symlink", os.symlink, "f", os.path.join(d, "s"))
    step("readlink", os.readlink, os.path.join(d, "s"))
    step("lstat symlink", st, os.path.join(d, "s"))
    step("stat through symlink", st, os.path.join(d, "s"), True)
    step("readlink a file", os.readlink, f)
    step("dangling symlink", os.symlink, "nowhere", os.path.join(d, "dang"))
    step("open dangling", os.open, os.path.join(d, "dang"), os.O_RDONLY)
    step("O_NOFOLLOW on symlink", os.open, os.path.join(d, "s"), os.O_RDONLY | os.O_NOFOLLOW)
    step("long symlink target", os.symlink, "t" * 4000, os.path.join(d, "longtarget"))
    step("readlink long", lambda: len(os.readlink(os.path.join(d, "longtarget"))))


def scenario_rename():
    d = p("rename")
    os.mkdir(d)
    a, b = os.path.join(d, "a"), os.path.join(d, "b")
    write(a, b"A")
    write(b, b"B")
    step("rename over file", os.rename, a, b)
    step("target content", lambda: read(b))
    step("source gone", os.stat, a)
    os.mkdir(os.path.join(d, "d1"))
    os.mkdir(os.path.join(d, "d2"))
    step("dir over empty dir", os.rename, os.path.join(d, "d1"), os.path.join(d, "d2"))
    os.mkdir(os.path.join(d, "d3"))
    write(os.path.join(d, "d2", "inside"), b"")
    step("dir over non-empty dir", os.rename, os.path.join(d, "d3"), os.path.join(d, "d2"))
    step("file over dir", os.rename, b, os.path.join(d, "d3"))
    step("dir over file", os.rename, os.path.join(d, "d3"), b)
    step("dir into own child", os.rename, os.path.join(d, "d2"), os.path.join(d, "d2", "x"))
    write(a, b"A2")
    step("RENAME_NOREPLACE onto existing", rename2, a, b, 1)
    step("RENAME_NOREPLACE to new", rename2, a, os.path.join(d, "c"), 1)
    step("RENAME_EXCHANGE", rename2, os.path.join(d, "c"), b, 2)
    step("exchanged", lambda: (read(os.path.join(d, "c")), read(b)))
    step("RENAME_EXCHANGE with missing", rename2, b, os.path.join(d, "nothere"), 2)
    step("rename missing", os.rename, os.path.join(d, "nothere"), a)
    if IS_ROOT:
        step("RENAME_WHITEOUT", rename2, b, os.path.join(d, "w"), 4)
        step("whiteout left behind", st, b)
    step("listing", lambda: sorted(os.listdir(d)))


def scenario_attrs():
    d = p("attrs")
    os.mkdir(d)
    f = os.path.join(d, "f")
    write(f, b"x")
    step("chmod", os.chmod, f, 0o4751)
    step("mode", st, f)
    step("utime ns", lambda: os.utime(f, ns=(1_600_000_000_123_456_789, 1_500_000_000_987_654_321)))
    step("times", lambda: (os.stat(f).st_atime_ns, os.stat(f).st_mtime_ns))
    step("utime omit atime", lambda: libc_utimensat_omit(f))
    step("times after omit", lambda: (os.stat(f).st_atime_ns, os.stat(f).st_mtime_ns))
    if IS_ROOT:
        step("chown", os.chown, f, 1234, 5678)
        step("owner", st, f)
        step("chown uid only", os.chown, f, 42, -1)
        step("owner after uid only", st, f)
        step("lchown symlink", lambda: (os.symlink("f", os.path.join(d, "s")),
                                        os.chown(os.path.join(d, "s"), 7, 8, follow_symlinks=False)))
        step("symlink owner", st, os.path.join(d, "s"))
    else:
        step("chown to root", os.chown, f, 0, 0)


def scenario_privs():
    """Set-id bits and file capabilities that writes, truncates and chowns
    drop, as the host drops them: a writer without CAP_FSETID loses
    set-user-ID, and set-group-ID where group execute makes it one; root
    keeps them on write and truncate; chown drops them for everyone; a
    write drops security.capability."""
    import struct
    d = p("privs")
    os.mkdir(d)
    f = os.path.join(d, "f")
    write(f, b"0123456789")

    def setid(mode=0o6755):
        os.chmod(f, mode)
        return oct(os.stat(f).st_mode & 0o7777)

    def mode():
        return oct(os.stat(f).st_mode & 0o7777)

    def pwrite_open():
        fd = os.open(f, os.O_WRONLY)
        try:
            os.pwrite(fd, b"ab", 2)
            os.fsync(fd)
        finally:
            os.close(fd)

    step("set-id bits", setid)
    step("write", write, f, b"w", os.O_WRONLY)
    step("mode after write", mode)
    step("set-id bits again", setid)
    step("pwrite", pwrite_open)
    step("mode after pwrite", mode)
    step("set-id bits again", setid)
    step("truncate", os.truncate, f, 4)
    step("mode after truncate", mode)
    step("set-id bits again", setid)
    step("O_TRUNC", write, f, b"t", os.O_WRONLY | os.O_TRUNC)
    step("mode after O_TRUNC", mode)
    step("set-id bits again", setid)
    step("fallocate", fallocate, f, 0, 0, 8192)
    step("mode after fallocate", mode)
    step("set-id bits again", setid)
    src = os.path.join(d, "src")
    write(src, b"source")
    step("copy_file_range into it", copy_range, src, f)
    step("mode after copy_file_range", mode)
    step("set-id bits again", setid)
    step("setgid without group execute", setid, 0o2745)
    step("write", write, f, b"w", os.O_WRONLY)
    step("mode after write", mode)
    step("set-id bits again", setid)
    step("chown to the same owner", os.chown, f, os.geteuid(), os.getegid())
    step("mode after chown", mode)
    sub = os.path.join(d, "sub")
    os.mkdir(sub)
    step("setgid directory", lambda: (os.chmod(sub, 0o2775), oct(os.stat(sub).st_mode & 0o7777))[1])
    step("chown it", os.chown, sub, os.geteuid(), os.getegid())
    step("directory keeps setgid", lambda: oct(os.stat(sub).st_mode & 0o7777))
    step("data", read, f)
    if IS_ROOT:
        # VFS_CAP_REVISION_2 with the effective bit: cap_net_raw.
        caps = struct.pack("<IIIII", 0x02000001, 1 << 13, 0, 0, 0)
        g = os.path.join(d, "capped")
        write(g, b"cap")
        step("set a capability", os.setxattr, g, "security.capability", caps)
        step("it is there", lambda: len(os.getxattr(g, "security.capability")))
        step("write", write, g, b"w", os.O_WRONLY)
        step("capability after write", os.getxattr, g, "security.capability")
        step("set it again", os.setxattr, g, "security.capability", caps)
        step("chown", os.chown, g, 1, 1)
        step("capability after chown", os.getxattr, g, "security.capability")


class Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def libc_utimensat_omit(path):
    UTIME_OMIT = (1 << 30) - 2
    ts = (Timespec * 2)(Timespec(0, UTIME_OMIT), Timespec(1_400_000_000, 5))
    if libc.utimensat(-100, path.encode(), ts, 0) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def scenario_special():
    d = p("special")
    os.mkdir(d)
    step("mkfifo", os.mkfifo, os.path.join(d, "fifo"), 0o640)
    step("fifo", st, os.path.join(d, "fifo"))
    step("mknod socket", os.mknod, os.path.join(d, "sock"), stat.S_IFSOCK | 0o600)
    step("socket", st, os.path.join(d, "sock"))
    if IS_ROOT:
        step("mknod char", os.mknod, os.path.join(d, "null"), stat.S_IFCHR | 0o666, os.makedev(1, 3))
        step("char dev", lambda: (st(os.path.join(d, "null")), os.major(os.stat(os.path.join(d, "null")).st_rdev)))
        step("mknod block", os.mknod, os.path.join(d, "blk"), stat.S_IFBLK | 0o600, os.makedev(7, 200))
        step("block dev", lambda: (st(os.path.join(d, "blk")), os.minor(os.stat(os.path.join(d, "blk")).st_rdev)))
    else:
        step("mknod char as user", os.mknod, os.path.join(d, "null"), stat.S_IFCHR | 0o666, os.makedev(1, 3))


def scenario_hard_links_every_type():
    """A file of each type with three names, changed through one and
    losing the others one by one: the last name must still lead to it
    (a node reached by name must take another name when its own goes)."""
    d = p("hardlinks")
    os.mkdir(d)
    kinds = [("file", lambda f: write(f, b"x")),
             ("fifo", lambda f: os.mkfifo(f, 0o644)),
             ("socket", lambda f: os.mknod(f, stat.S_IFSOCK | 0o644))]
    if IS_ROOT:
        kinds += [("chardev", lambda f: os.mknod(f, stat.S_IFCHR | 0o644, os.makedev(1, 3))),
                  ("blockdev", lambda f: os.mknod(f, stat.S_IFBLK | 0o644, os.makedev(7, 201)))]
    for kind, make in kinds:
        n = [os.path.join(d, f"{kind}{i}") for i in range(3)]
        step(f"{kind}: make", make, n[0])
        step(f"{kind}: link 0 to 1", os.link, n[0], n[1])
        step(f"{kind}: name 1", st, n[1])
        step(f"{kind}: link 1 to 2", os.link, n[1], n[2])
        step(f"{kind}: name 2", st, n[2])
        step(f"{kind}: chmod through 1", os.chmod, n[1], 0o201)
        if IS_ROOT:
            step(f"{kind}: chown through 1", os.chown, n[1], 65534, 65533)
        step(f"{kind}: unlink 0", os.unlink, n[0])
        step(f"{kind}: names 1 and 2", lambda: (st(n[1]), st(n[2])))
        step(f"{kind}: unlink 2", os.unlink, n[2])
        step(f"{kind}: name 1, the last", st, n[1])
        step(f"{kind}: rename 1 to 0", os.rename, n[1], n[0])
        step(f"{kind}: name 0 again", st, n[0])


def scenario_xattr():
    d = p("xattr")
    os.mkdir(d)
    f = os.path.join(d, "f")
    write(f, b"")
    step("setxattr", os.setxattr, f, "user.k", b"v1")
    step("getxattr", os.getxattr, f, "user.k")
    step("XATTR_CREATE on existing", os.setxattr, f, "user.k", b"v2", os.XATTR_CREATE)
    step("XATTR_REPLACE missing", os.setxattr, f, "user.none", b"v", os.XATTR_REPLACE)
    step("XATTR_REPLACE", os.setxattr, f, "user.k", b"v3", os.XATTR_REPLACE)
    step("value", os.getxattr, f, "user.k")
    step("big value", os.setxattr, f, "user.big", b"b" * 4000)
    step("big back", lambda: len(os.getxattr(f, "user.big")))
    step("listxattr", lambda: sorted(os.listxattr(f)))
    step("getxattr missing", os.getxattr, f, "user.none")
    step("removexattr", os.removexattr, f, "user.k")
    step("removexattr missing", os.removexattr, f, "user.k")
    step("dir xattr", os.setxattr, d, "user.d", b"dir")
    step("dir value", os.getxattr, d, "user.d")


def scenario_data():
    d = p("data")
    os.mkdir(d)
    f = os.path.join(d, "f")
    step("posix_fallocate", lambda: (os.posix_fallocate(fd := os.open(f, os.O_RDWR | os.O_CREAT, 0o644), 0, 1 << 20), os.close(fd)))
    step("allocated size", st, f)
    write(f, b"D" * (1 << 20), os.O_WRONLY)
    step("punch hole", fallocate, f, 3, 65536, 131072)  # PUNCH_HOLE|KEEP_SIZE
    step("hole reads zeros", lambda: read(f)[65536:65536 + 131072] == b"\0" * 131072)
    step("SEEK_HOLE", seek, f, 0, os.SEEK_HOLE)
    step("SEEK_DATA after hole", seek, f, 65536, os.SEEK_DATA)
    step("SEEK_DATA past end", seek, f, 2 << 20, os.SEEK_DATA)
    step("zero range", fallocate, f, 0x10, 0, 4096)
    step("copy_file_range", lambda: copy_range(f, os.path.join(d, "copy")))
    step("copy content", lambda: read(os.path.join(d, "copy")) == read(f)[:500000])
    step("O_TMPFILE + link", lambda: tmpfile_link(d))
    step("tmpfile result", lambda: (read(os.path.join(d, "from-tmp")), st(os.path.join(d, "from-tmp"))))


def copy_range(src, dst):
    a = os.open(src, os.O_RDONLY)
    b = os.open(dst, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        return os.copy_file_range(a, b, 500000)
    finally:
        os.close(a)
        os.close(b)


def tmpfile_link(d):
    fd = os.open(d, os.O_TMPFILE | os.O_RDWR, 0o640)
    try:
        os.write(fd, b"tmp data")
        AT_SYMLINK_FOLLOW = 0x400
        if libc.linkat(-100, f"/proc/self/fd/{fd}".encode(), -100,
                       os.path.join(d, "from-tmp").encode(), AT_SYMLINK_FOLLOW) != 0:
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e))
    finally:
        os.close(fd)


def scenario_names():
    d = p("names")
    os.mkdir(d)
    step("255-byte name", write, os.path.join(d, "n" * 255), b"")
    step("256-byte name", write, os.path.join(d, "m" * 256), b"")
    step("256-byte lookup", os.stat, os.path.join(d, "m" * 256))
    bad = os.path.join(d.encode(), b"bad\xff\xfe")
    step("non-UTF-8 name", write, bad, b"raw")
    step("non-UTF-8 listed", lambda: sorted(os.listdir(d.encode()))[0][:6])
    step("leading dash", write, os.path.join(d, "-rf"), b"")
    step("dots in name", write, os.path.join(d, "..."), b"")
    step("dot-dot up and back", lambda: read(os.path.join(d, "..", "names", "...")))
    step("listing", lambda: sorted(n if len(n) < 20 else n[:3] + str(len(n)) for n in os.listdir(d) if isinstance(n, str)))


def scenario_locks():
    import fcntl
    d = p("locks")
    os.mkdir(d)
    f = os.path.join(d, "f")
    write(f, b"x" * 100)
    a = os.open(f, os.O_RDWR)
    fcntl.lockf(a, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 0)

    def other_process(fn):
        """Run fn in a child process; report its errno name or ok."""
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                fn()
                msg = b"ok"
            except OSError as e:
                msg = errno.errorcode.get(e.errno, "?").encode()
            os.write(w, msg)
            os._exit(0)
        os.close(w)
        res = os.read(r, 64).decode()
        os.close(r)
        os.waitpid(pid, 0)
        return res

    def lock_range(start, length):
        b = os.open(f, os.O_RDWR)
        fcntl.lockf(b, fcntl.LOCK_EX | fcntl.LOCK_NB, length, start)

    step("POSIX lock held by another process", other_process, lambda: lock_range(0, 10))
    step("POSIX lock on a free range", other_process, lambda: lock_range(50, 10))
    b = os.open(f, os.O_RDWR)
    step("same process, second fd", lambda: fcntl.lockf(b, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 0))
    fcntl.lockf(a, fcntl.LOCK_UN, 10, 0)
    os.close(b)  # closing any fd drops the process's POSIX locks
    step("after unlock", other_process, lambda: lock_range(0, 10))
    fcntl.flock(a, fcntl.LOCK_EX)

    def flock_other():
        c = os.open(f, os.O_RDONLY)
        fcntl.flock(c, fcntl.LOCK_SH | fcntl.LOCK_NB)

    step("flock held by another open", other_process, flock_other)
    fcntl.flock(a, fcntl.LOCK_UN)
    step("flock after release", other_process, flock_other)
    os.close(a)


class Dirent(ctypes.Structure):
    _fields_ = [("d_ino", ctypes.c_uint64), ("d_off", ctypes.c_int64),
                ("d_reclen", ctypes.c_ushort), ("d_type", ctypes.c_ubyte),
                ("d_name", ctypes.c_char * 256)]


def scenario_seekdir():
    d = p("seekdir")
    os.mkdir(d)
    for i in range(300):
        write(os.path.join(d, f"e{i:03d}"), b"")
    libc.opendir.restype = ctypes.c_void_p
    libc.readdir.restype = ctypes.POINTER(Dirent)
    libc.readdir.argtypes = [ctypes.c_void_p]
    libc.telldir.restype = ctypes.c_long
    libc.telldir.argtypes = [ctypes.c_void_p]
    libc.seekdir.argtypes = [ctypes.c_void_p, ctypes.c_long]
    libc.closedir.argtypes = [ctypes.c_void_p]
    dp = libc.opendir(d.encode())

    def names(n):
        got = []
        for _ in range(n):
            e = libc.readdir(dp)
            if not e:
                break
            got.append(e.contents.d_name.decode())
        return got

    first = names(100)
    pos = libc.telldir(dp)
    rest1 = names(1000)
    libc.seekdir(dp, pos)
    rest2 = names(1000)
    libc.seekdir(dp, 0)
    again = names(1000)
    libc.closedir(dp)
    step("seekdir back to telldir", lambda: rest1 == rest2 and len(rest1) > 0)
    step("seekdir 0 lists everything", lambda: sorted(again) == sorted(first + rest1))
    step("each name once", lambda: len(set(first + rest1)) == 302)


def scenario_inode_flags():
    import fcntl
    import struct
    FS_IOC_GETFLAGS, FS_IOC_SETFLAGS, FS_APPEND_FL = 0x80086601, 0x40086602, 0x20
    d = p("flags")
    os.mkdir(d)
    f = os.path.join(d, "f")
    write(f, b"x")
    fd = os.open(f, os.O_RDONLY)

    def getflags():
        return struct.unpack("i", fcntl.ioctl(fd, FS_IOC_GETFLAGS, b"\0" * 4))[0]

    def setflags(v):
        fcntl.ioctl(fd, FS_IOC_SETFLAGS, struct.pack("i", v))

    step("lsattr", lambda: getflags() & FS_APPEND_FL)
    step("chattr +a", lambda: setflags(getflags() | FS_APPEND_FL))
    step("append-only refuses O_TRUNC", os.open, f, os.O_WRONLY | os.O_TRUNC)
    step("append-only allows O_APPEND", lambda: os.close(os.open(f, os.O_WRONLY | os.O_APPEND)))
    step("chattr -a", lambda: setflags(getflags() & ~FS_APPEND_FL))
    step("other ioctl", lambda: fcntl.ioctl(fd, 0x5401, b"\0" * 64))  # TCGETS: ENOTTY
    os.close(fd)
    # On a directory (lsattr -d): the kernel sends the ioctl with opendir's
    # handle.
    FS_NOATIME_FL = 0x80
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    step("lsattr -d", lambda: getflags() & FS_NOATIME_FL)
    step("chattr +A on a directory", lambda: setflags(getflags() | FS_NOATIME_FL))
    step("lsattr -d after", lambda: getflags() & FS_NOATIME_FL)
    step("chattr -A on a directory", lambda: setflags(getflags() & ~FS_NOATIME_FL))
    os.close(fd)


def scenario_escapes():
    """Symlinks and '..' that point out of the tree resolve in the caller's
    view of the filesystem, exactly as on the native directory; the daemon
    itself never follows them."""
    d = p("escapes")
    os.mkdir(d)
    depth = os.path.abspath(d).count("/")
    up = "/".join([".."] * (depth + 2))
    step("symlink pointing above /", os.symlink, up + "/etc", os.path.join(d, "esc"))
    step("follow it", lambda: os.path.isfile(os.path.join(d, "esc", "hostname")))
    step("lstat it", st, os.path.join(d, "esc"))
    step("absolute symlink", os.symlink, "/etc/hostname", os.path.join(d, "abs"))
    step("read through it", lambda: len(read(os.path.join(d, "abs"))) > 0)
    step("chmod the link only", lchmod, os.path.join(d, "abs"), 0o600)
    step("dot-dot in a path", lambda: sorted(os.listdir(os.path.join(d, "..", "escapes"))))
    step("create through dangling link", write, os.path.join(d, "dang"), b"")
    os.symlink("target-made", os.path.join(d, "dl"))
    step("O_CREAT through a dangling symlink", write, os.path.join(d, "dl"), b"made")
    step("made the target", lambda: read(os.path.join(d, "target-made")))
    step("O_CREAT|O_EXCL on a symlink", write, os.path.join(d, "abs"), b"", os.O_WRONLY | os.O_CREAT | os.O_EXCL)


def scenario_open_flags():
    import mmap
    d = p("oflags")
    os.mkdir(d)
    f = os.path.join(d, "f")
    buf = mmap.mmap(-1, 8192)  # page aligned, as O_DIRECT needs
    buf.write(b"d" * 8192)
    def direct_write():
        fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_DIRECT, 0o644)
        try:
            return os.pwritev(fd, [buf], 0)
        finally:
            os.close(fd)
    def direct_read():
        fd = os.open(f, os.O_RDONLY | os.O_DIRECT)
        try:
            rb = mmap.mmap(-1, 8192)
            n = os.preadv(fd, [rb], 0)
            return n, rb[:8] == b"dddddddd"
        finally:
            os.close(fd)
    step("O_DIRECT write", direct_write)
    step("O_DIRECT read", direct_read)
    step("O_NOATIME open", lambda: os.close(os.open(f, os.O_RDONLY | os.O_NOATIME)))
    step("O_PATH open", lambda: os.close(os.open(f, os.O_PATH)))
    step("O_SYNC write", write, f, b"sync", os.O_WRONLY | os.O_SYNC)
    step("O_RDWR|O_CREAT|O_EXCL new", write, os.path.join(d, "g"), b"", os.O_RDWR | os.O_CREAT | os.O_EXCL)
    step("O_DIRECTORY on dir", lambda: os.close(os.open(d, os.O_RDONLY | os.O_DIRECTORY)))


def prepare():
    """The fixture of --existing, under ROOT/pre."""
    d = p("pre")
    os.makedirs(os.path.join(d, "dir", "sub"))
    os.mkdir(os.path.join(d, "empty"))
    write(os.path.join(d, "data"), bytes(range(256)) * 256)
    write(os.path.join(d, "small"), b"hello\n")
    fd = os.open(os.path.join(d, "sparse"), os.O_WRONLY | os.O_CREAT, 0o644)
    os.pwrite(fd, b"middle", 512 * 1024)
    os.ftruncate(fd, 1 << 20)
    os.close(fd)
    write(os.path.join(d, "ro"), b"read only", mode=0o444)
    os.chmod(os.path.join(d, "ro"), 0o444)
    write(os.path.join(d, "owned"), b"owned")
    if IS_ROOT:
        os.chown(os.path.join(d, "owned"), 1234, 5678)
    write(os.path.join(d, "single"), b"one link")
    os.symlink("data", os.path.join(d, "sl"))
    os.symlink("nowhere", os.path.join(d, "dangling"))
    os.mkfifo(os.path.join(d, "fifo"))
    write(os.path.join(d, "dir", "f1"), b"f1")
    write(os.path.join(d, "dir", "sub", "f2"), b"f2")
    os.setxattr(os.path.join(d, "small"), "user.colour", b"blue")
    os.setxattr(os.path.join(d, "dir"), "user.dir", b"yes")
    os.utime(os.path.join(d, "data"), (1000000000, 1000000000))


def scenario_existing():
    import fcntl
    import mmap
    d = p("pre")

    def q(*parts):
        return os.path.join(d, *parts)

    def brief(path):
        s = os.lstat(path)
        link = "-" if stat.S_ISDIR(s.st_mode) else s.st_nlink
        return (f"{stat.filemode(s.st_mode)} nlink={link} uid={s.st_uid} "
                f"gid={s.st_gid} size={s.st_size if not stat.S_ISDIR(s.st_mode) else '-'}")

    for n in sorted(os.listdir(d)):
        step(f"stat {n}", brief, q(n))
    step("mtime kept", lambda: os.stat(q("data")).st_mtime_ns)
    step("read data", lambda: read(q("data"))[1000:1008])
    step("SEEK_DATA in the sparse file", seek, q("sparse"), 0, os.SEEK_DATA)
    step("SEEK_HOLE in the sparse file", seek, q("sparse"), 512 * 1024, os.SEEK_HOLE)
    step("append", write, q("small"), b"more\n", os.O_WRONLY | os.O_APPEND)
    step("read after append", read, q("small"))
    step("xattr kept by the copy", os.getxattr, q("small"), "user.colour")
    step("pwrite in the middle", lambda: (lambda fd: (os.pwrite(fd, b"XYZ", 300), os.close(fd)))(os.open(q("data"), os.O_WRONLY)))
    step("read it back", lambda: read(q("data"))[296:306])
    step("mtime changed", lambda: os.stat(q("data")).st_mtime_ns != 1000000000 * 10**9)
    step("size after", lambda: os.stat(q("data")).st_size)
    step("truncate the sparse file", os.truncate, q("sparse"), 600 * 1024)
    step("its middle survives", lambda: read(q("sparse"))[512 * 1024:512 * 1024 + 6])
    step("grow it", os.truncate, q("sparse"), 2 << 20)
    step("fallocate keep-size", fallocate, q("sparse"), 1, 0, 4096)
    step("punch a hole", fallocate, q("sparse"), 3, 512 * 1024, 4096)
    step("the hole reads zeros", lambda: read(q("sparse"))[512 * 1024:512 * 1024 + 6])
    step("copy_file_range out of it", copy_range, q("data"), q("copy"))
    step("the copy", lambda: read(q("copy"))[296:306])

    def mmap_write():
        fd = os.open(q("single"), os.O_RDWR)
        m = mmap.mmap(fd, 8)
        m[0:3] = b"ONE"
        m.flush()
        m.close()
        os.close(fd)
    step("mmap write", mmap_write)
    step("after mmap", read, q("single"))
    step("O_TRUNC", write, q("owned"), b"new", os.O_WRONLY | os.O_TRUNC)
    step("owner kept by O_TRUNC's copy", brief, q("owned"))
    step("chmod a read-only file", os.chmod, q("ro"), 0o640)
    step("write it now", write, q("ro"), b"rw")
    step("chown", os.chown, q("single"), 42, 43)
    step("utime", os.utime, q("small"), (2000000000, 2000000000))
    step("mtime", lambda: os.stat(q("small")).st_mtime_ns)
    step("lchown a symlink", os.lchown, q("sl"), 7, 7)
    step("readlink", os.readlink, q("sl"))
    step("through it", lambda: read(q("sl"))[:4])
    step("readlink dangling", os.readlink, q("dangling"))
    step("chmod the fifo", os.chmod, q("fifo"), 0o600)
    step("setxattr", os.setxattr, q("dir"), "user.more", b"1")
    step("listxattr", lambda: sorted(os.listxattr(q("dir"))))
    step("removexattr", os.removexattr, q("small"), "user.colour")
    step("listxattr after", lambda: sorted(os.listxattr(q("small"))))
    step("link a file", os.link, q("single"), q("single2"))
    step("its links", lambda: (os.lstat(q("single")).st_nlink, os.lstat(q("single2")).st_nlink))
    step("rename a file into a dir", os.rename, q("small"), q("dir", "small"))
    step("rename over another", os.rename, q("dir", "f1"), q("dir", "sub", "f2"))
    step("exchange two files", rename2, q("copy"), q("data"), 2)
    step("noreplace", rename2, q("data"), q("single"), 1)
    step("unlink a file", os.unlink, q("dangling"))
    step("rmdir a non-empty dir", os.rmdir, q("dir"))
    step("rmdir an empty dir", os.rmdir, q("empty"))
    step("mkdir where it was", os.mkdir, q("empty"))
    step("it is empty", os.listdir, q("empty"))
    step("create where one was removed", write, q("dangling"), b"file now")
    step("new file in an existing dir", write, q("dir", "new"), b"n")
    step("lock an existing file", lambda: fcntl.lockf(os.open(q("data"), os.O_RDWR), fcntl.LOCK_EX | fcntl.LOCK_NB))
    for sub in ("", "dir", "dir/sub"):
        step(f"listing {sub or '.'}", lambda s=sub: sorted(os.listdir(q(s))))
    for n in sorted(os.listdir(d)):
        step(f"stat {n} after", brief, q(n))


if MODE == "--prepare":
    prepare()
    sys.exit(0)
ALL = (scenario_files, scenario_dirs, scenario_links, scenario_rename,
       scenario_attrs, scenario_privs, scenario_special, scenario_hard_links_every_type,
       scenario_xattr, scenario_data,
       scenario_names, scenario_locks, scenario_seekdir,
       scenario_inode_flags, scenario_escapes, scenario_open_flags)
for s in ALL if MODE == "--all" else (scenario_existing,):
    emit(f"== {s.__name__}", "")
    try:
        s()
    except OSError as e:
        emit(f"{s.__name__} aborted", errno.errorcode.get(e.errno, str(e.errno)))
    except Exception as e:  # a bug in a scenario must not hide the others
        emit(f"{s.__name__} aborted", f"{type(e).__name__}: {e}")
emit("== end", len(out))
print("\n".join(out))
