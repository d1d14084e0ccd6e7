#!/usr/bin/env python3
"""ovl_redirect.py DIR — renames of directories with lower content through
an overlay mounted with redirect_dir=on at DIR (the layers of
ovl_redirect.sh). One line per step, so kernel overlayfs and fusekit
overlay can be compared line by line."""
import os
import stat

from ovl_steps import RENAME_EXCHANGE, ROOT, p, read, renameat2, step


def tree(rel):
    out = []
    for d, dirs, files in os.walk(p(rel)):
        dirs.sort()
        for n in sorted(dirs + files):
            full = os.path.join(d, n)
            st = os.lstat(full)
            out.append(f"{os.path.relpath(full, p(rel))}:{stat.filemode(st.st_mode)}")
    return out


step("rename a lower dir in its dir", os.rename, p("A"), p("A2"))
step("its tree", tree, "A2")
step("read through it", read, "A2/s/f")
step("the old name", os.lstat, p("A"))
step("a new file in it", lambda: open(p("A2/new"), "w").write("n"))
step("rename a nested lower dir to another dir", os.rename, p("B/C"), p("X/C2"))
step("its tree", tree, "X/C2")
step("B now", lambda: sorted(os.listdir(p("B"))))
step("move the renamed dir again, elsewhere", os.rename, p("A2"), p("X/A3"))
step("its tree", tree, "X/A3")
step("rename the dir holding them", os.rename, p("X"), p("Y"))
step("the whole tree", tree, "Y")
step("remove a lower file in a moved dir", os.unlink, p("Y/A3/a2"))
step("after", lambda: sorted(os.listdir(p("Y/A3"))))
step("exchange two lower dirs", renameat2, p("P"), p("Q"), RENAME_EXCHANGE)
step("P", tree, "P")
step("Q", tree, "Q")
step("rmdir a moved dir, not empty", os.rmdir, p("Y/C2"))
step("empty it", lambda: [os.unlink(os.path.join(p("Y/C2"), n)) for n in sorted(os.listdir(p("Y/C2")))])
step("rmdir it now", os.rmdir, p("Y/C2"))
step("a dir made where one moved from", os.mkdir, p("A"))
step("it is empty", os.listdir, p("A"))
step("root", lambda: sorted(os.listdir(ROOT)))
print("== end")
