#!/usr/bin/env python3
"""ovl_scenarios.py DIR — changes through a writable overlay mounted at DIR,
over the layers ovl_write.sh builds. Prints one line per step: what it
returned or the errno name, and what it then reads back, so the output on
kernel overlayfs and on fusekit overlay can be compared line by line."""
import os
import stat

from ovl_steps import (RENAME_EXCHANGE, RENAME_NOREPLACE, p, read, renameat2,
                       step)


def append(rel, data):
    with open(p(rel), "ab") as f:
        f.write(data)


def write(rel, data, flags=os.O_WRONLY | os.O_CREAT | os.O_TRUNC):
    fd = os.open(p(rel), flags, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def listing(rel):
    return sorted(os.listdir(p(rel)))


def kind(rel):
    st = os.lstat(p(rel))
    return (stat.filemode(st.st_mode), st.st_nlink, st.st_size)


# Copy-up by writing, truncating, changing attributes and xattrs.
step("append to a lower file", append, "a/file1", b"more\n")
step("read it back", read, "a/file1")
step("truncate a lower file", os.truncate, p("a/file2"), 2)
step("read it back", read, "a/file2")
step("open O_TRUNC", write, "keep/t", b"new")
step("chmod a lower file", os.chmod, p("c"), 0o600)
step("chown a lower file", os.chown, p("own"), 42, 43)
step("utime a lower dir", os.utime, p("keep"), (1000000000, 1000000000))
step("setxattr on a lower file", os.setxattr, p("x"), "user.new", b"v")
step("xattrs after", lambda: sorted(os.listxattr(p("x"))))
step("removexattr on a lower file", os.removexattr, p("y"), "user.old")
step("xattrs after", lambda: sorted(os.listxattr(p("y"))))
step("write into a sparse lower file", write, "sparse", b"Z",
     os.O_WRONLY)
step("sparse: size", lambda: os.stat(p("sparse")).st_size)
step("copy-up of a deep file", append, "deep/er/est/f", b"!")
step("its parents", kind, "deep/er")
step("symlink copy-up (chown -h)", os.lchown, p("link"), 7, 8)
step("readlink", os.readlink, p("link"))
step("fifo copy-up (chmod)", os.chmod, p("fifo"), 0o640)
step("kind", kind, "fifo")

# Removal: whiteouts for lower names, plain removal for upper-only ones.
step("unlink a lower file", os.unlink, p("a/gone"))
step("it is gone", kind, "a/gone")
step("create, then unlink an upper file", write, "a/tmp", b"t")
step("unlink it", os.unlink, p("a/tmp"))
step("unlink a copied-up file", os.unlink, p("a/file1"))
step("listing", listing, "a")
step("rmdir a non-empty merged dir", os.rmdir, p("full"))
step("unlink its file", os.unlink, p("full/only"))
step("rmdir it now", os.rmdir, p("full"))
step("listing /", listing, ".")
step("unlink a dir", os.unlink, p("keep"))
step("rmdir a file", os.rmdir, p("c"))

# Names made where one was removed.
step("mkdir over a whiteout", os.mkdir, p("full"))
step("it is empty (opaque)", listing, "full")
step("create over a whiteout", write, "a/gone", b"back")
step("read it", read, "a/gone")
step("mkdir in a lower dir", os.mkdir, p("a/newdir"))
step("symlink", os.symlink, "target", p("a/sym"))
step("mkfifo", os.mkfifo, p("a/fifo2"))
step("mknod chardev", os.mknod, p("a/chr"), stat.S_IFCHR | 0o600,
     os.makedev(1, 3))
step("exclusive create of a lower name", write, "b/lower",
     b"x", os.O_WRONLY | os.O_CREAT | os.O_EXCL)
step("mkdir of a lower name", os.mkdir, p("b"))

# Hard links.
step("link a lower file", os.link, p("hard"), p("hard2"))
step("nlink", lambda: (os.lstat(p("hard")).st_nlink,
                       os.lstat(p("hard2")).st_nlink))
step("same inode", lambda: os.lstat(p("hard")).st_ino ==
     os.lstat(p("hard2")).st_ino)

# Renames.
step("rename a lower file", os.rename, p("b/lower"), p("a/moved"))
step("old name", kind, "b/lower")
step("new name", read, "a/moved")
step("rename over a lower file", os.rename, p("a/moved"), p("b/other"))
step("b", listing, "b")
step("rename a dir with lower content", os.rename, p("b"), p("b2"))
step("rename an upper dir into a merged dir", os.rename, p("a/newdir"),
     p("b/newdir"))
step("unlink a lower file again", os.unlink, p("a/gone2"))
step("rename an upper dir over a whiteout", os.rename, p("b/newdir"),
     p("a/gone2"))
step("noreplace onto an existing name", renameat2, p("a/file2"),
     p("b/other"), RENAME_NOREPLACE)
step("noreplace onto a free name", renameat2, p("a/file2"), p("b/file2"),
     RENAME_NOREPLACE)
step("exchange two files", renameat2, p("b/file2"), p("b/other"),
     RENAME_EXCHANGE)
step("after exchange", lambda: (read("b/file2"), read("b/other")))
step("exchange with a missing name", renameat2, p("b/file2"), p("b/none"),
     RENAME_EXCHANGE)
step("rename onto itself", os.rename, p("hard"), p("hard2"))
step("rename a file over a dir", os.rename, p("c"), p("deep"))
step("rename a dir over a non-empty dir", os.rename, p("full"), p("deep"))
step("listing a", listing, "a")
step("listing b", listing, "b")
step("listing /", listing, ".")
print("== end")
