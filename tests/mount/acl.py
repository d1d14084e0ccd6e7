#!/usr/bin/env python3
"""acl.py DIR UID GID: POSIX ACLs as the filesystem under DIR applies
them, for acl.sh. As root it makes directories with default ACLs (and
files with access ACLs); a child with UID and GID (no supplementary
groups, no capabilities, umask 022) makes files, directories, fifos and
linked O_TMPFILE files in them, sets ACLs, and tries reads that only an
ACL allows. Each step prints one line: its name, then the mode, the
owner and the ACL (getfacl's entries, numeric), or the error. The lines
are compared with the native filesystem's; what each step shows is in
its comment."""
import ctypes, os, subprocess, sys

libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, AT_SYMLINK_FOLLOW = -100, 0x400


def link_tmpfile(fd, dst):
    """Give the O_TMPFILE file fd the name dst (linkat through /proc,
    following the descriptor's link, as an unprivileged caller may)."""
    if libc.linkat(AT_FDCWD, f"/proc/self/fd/{fd}".encode(), AT_FDCWD,
                   dst.encode(), AT_SYMLINK_FOLLOW) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))

TOP, UID, GID = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
OTHER_GROUP = 4242 # a group the child is not in


def acl_of(p, default=False):
    args = ["getfacl", "--omit-header", "--absolute-names", "--numeric", "-p"]
    r = subprocess.run(args + (["-d"] if default else []) + [p],
                       capture_output=True, text=True)
    if r.returncode:
        return "getfacl-error " + r.stderr.strip().split(":")[-1].strip()
    return ",".join(l.split("\t")[0] for l in r.stdout.split("\n") if l)


def show(name, p, default=False):
    try:
        st = os.lstat(p)
    except OSError as e:
        print(name, "error", e.errno, flush=True)
        return
    line = f"{name} {st.st_mode & 0o7777:o} {st.st_uid}:{st.st_gid} {acl_of(p)}"
    if default:
        line += " default=" + acl_of(p, True)
    print(line, flush=True)


def new_file(name, mode, owner=(0, 0)):
    """Root makes TOP/name with a line in it, of owner and mode."""
    p = f"{TOP}/{name}"
    with open(p, "w") as f:
        f.write(name + "\n")
    os.chown(p, *owner)
    os.chmod(p, mode)
    return p


def setfacl(*args):
    r = subprocess.run(["setfacl", *args], capture_output=True, text=True)
    return "ok" if r.returncode == 0 else "error " + r.stderr.strip().split(":")[-1].strip()


def as_child(fn):
    """Run fn(say) as UID:GID with umask 022, where say(*words) records a
    line; print the lines it recorded."""
    sys.stdout.flush() # nothing buffered is copied into the child
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        lines = []
        say = lambda *words: lines.append(" ".join(str(x) for x in words))
        status = 0
        try:
            os.setgroups([])
            os.setgid(GID)
            os.setuid(UID)
            os.umask(0o022)
            fn(say)
        except BaseException as e: # reported, never hidden
            say("child-failed", repr(e))
            status = 1
        os.write(w, "".join(l + "\n" for l in lines).encode())
        os._exit(status)
    os.close(w)
    out = b""
    while chunk := os.read(r, 1 << 16):
        out += chunk
    os.close(r)
    os.waitpid(pid, 0)
    print(out.decode(), end="", flush=True)


def make_all(d, tag):
    """The child's new objects in d: a file, a directory, a fifo, an
    O_TMPFILE file linked in (each asked with the usual modes)."""
    def steps(say):
        def attempt(label, fn):
            try:
                fn()
                say(label, "ok")
            except OSError as e:
                say(label, "error", e.errno)
        attempt(f"{tag}-create", lambda: os.close(os.open(f"{d}/file", os.O_CREAT | os.O_WRONLY, 0o666)))
        attempt(f"{tag}-mkdir", lambda: os.mkdir(f"{d}/dir", 0o777))
        attempt(f"{tag}-mkfifo", lambda: os.mkfifo(f"{d}/fifo", 0o666))
        def tmpfile():
            fd = os.open(d, os.O_TMPFILE | os.O_WRONLY, 0o640)
            link_tmpfile(fd, f"{d}/tmpfile")
            os.close(fd)
        attempt(f"{tag}-tmpfile", tmpfile)
    as_child(steps)
    for n in ("file", "dir", "fifo", "tmpfile"):
        show(f"{tag}-{n}", f"{d}/{n}", default=(n == "dir"))


def reads(label, p):
    """Can the child open p for reading? (Only an ACL entry allows it.)"""
    def steps(say):
        try:
            os.close(os.open(p, os.O_RDONLY))
            say(label, "read ok")
        except OSError as e:
            say(label, "read error", e.errno)
    as_child(steps)


def main():
    os.chmod(TOP, 0o777)

    # No default ACL: the caller's umask applies (0666 -> 0644).
    d = f"{TOP}/plain"
    os.mkdir(d, 0o777)
    os.chmod(d, 0o777)
    make_all(d, "plain")

    # A default ACL giving the group rwx: inherited, the umask not
    # applied, the mode masked by the ACL (the group::r-x case).
    d = f"{TOP}/grouprwx"
    os.mkdir(d, 0o777)
    os.chmod(d, 0o777)
    print("grouprwx-setfacl", setfacl("-d", "-m", "u::rwx,g::rwx,o::rwx", d))
    show("grouprwx", d, default=True)
    make_all(d, "grouprwx")

    # A default ACL that allows less than the mode asked: -r--r----- for
    # 0666 (the case that showed ----r-----).
    d = f"{TOP}/readonly"
    os.mkdir(d, 0o777)
    os.chmod(d, 0o777)
    print("readonly-setfacl", setfacl("-d", "-m", "u::r,g::r,o::-", d))
    make_all(d, "readonly")

    # Named entries and a mask: the group bits show the mask.
    d = f"{TOP}/named"
    os.mkdir(d, 0o777)
    os.chmod(d, 0o777)
    print("named-setfacl", setfacl("-d", "-m", f"u::rwx,u:{UID + 1}:rwx,g::r-x,g:{OTHER_GROUP}:rw,m::rwx,o::r-x", d))
    make_all(d, "named")

    # Set-group-ID directory of a group the child is not in, with a
    # default ACL: the new objects take its group, subdirectories the
    # bit too.
    d = f"{TOP}/setgid"
    os.mkdir(d, 0o777)
    os.chown(d, 0, OTHER_GROUP)
    os.chmod(d, 0o2777)
    print("setgid-setfacl", setfacl("-d", "-m", "u::rwx,g::rwx,o::rwx", d))
    make_all(d, "setgid")

    # An access ACL enforced: a root-owned 0600 file the child may read
    # only through its named entry; then the entry removed.
    p = new_file("private", 0o600)
    print("private-setfacl", setfacl("-m", f"u:{UID}:r", p))
    show("private", p)
    reads("private-with-entry", p)
    print("private-setfacl-x", setfacl("-x", f"u:{UID}", p))
    show("private-after-x", p)
    reads("private-without-entry", p)
    # A group entry allows it too; the mask can take it away.
    print("private-group", setfacl("-m", f"g:{GID}:r", p))
    reads("private-group-entry", p)
    print("private-mask", setfacl("-m", "m::-", p))
    reads("private-masked", p)

    # chmod rewrites the mask of a file with an ACL.
    p = new_file("chmod", 0o644)
    print("chmod-setfacl", setfacl("-m", f"u:{UID}:rwx", p))
    show("chmod-before", p)
    os.chmod(p, 0o640)
    show("chmod-640", p)
    os.chmod(p, 0o770)
    show("chmod-770", p)

    # The owner's setfacl on a set-group-ID file of a group it is not in
    # drops the bit (the kernel says so: FUSE_SETXATTR_ACL_KILL_SGID).
    p = new_file("killsgid", 0o2770, (UID, OTHER_GROUP))
    as_child(lambda say: say("killsgid-setfacl", setfacl("-m", f"u:{UID + 1}:r", p)))
    show("killsgid", p)

    # Removing every entry gives the plain mode back.
    p = new_file("remove", 0o644)
    print("remove-setfacl", setfacl("-m", f"u:{UID}:rw", p))
    show("remove-with", p)
    print("remove-setfacl-b", setfacl("-b", p))
    show("remove-after", p)


main()
