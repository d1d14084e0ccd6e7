"""xattr_list_race.py MNT HOST SECONDS — lists the xattrs of MNT/f and
MNT/e through the mount while a child process on the host sets and removes
user.k on HOST/f and HOST/e, so their lists appear, vanish and grow
between a daemon's asking the size and reading the list. f has no other
attribute, e has user.b. Between them it lists MNT/g, whose one attribute
has a long name (so a daemon that hands out a stale buffer shows it).
Every list must be one the file had, and no call may fail. Prints
"lists N wrong N"."""
import os
import sys
import time

mnt, host, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
LONG = "user." + "z" * 40
for name in "feg":
    open(os.path.join(host, name), "w").close()
os.setxattr(os.path.join(host, "g"), LONG, b"1")
os.setxattr(os.path.join(host, "e"), "user.b", b"1")

stop = time.time() + seconds
child = os.fork()
if child == 0:
    paths = [os.path.join(host, name) for name in "fe"]
    while time.time() < stop:
        for p in paths:
            os.setxattr(p, "user.k", b"v")
            os.removexattr(p, "user.k")
    os._exit(0)

lists = wrong = 0
want = {"f": ([], ["user.k"]), "g": ([LONG],),
        "e": (["user.b"], ["user.b", "user.k"], ["user.k", "user.b"])}
while time.time() < stop:
    for name in "gfge":
        lists += 1
        try:
            got = os.listxattr(os.path.join(mnt, name))
        except OSError as e:
            got = e
        if got not in want[name]:
            wrong += 1
            if wrong <= 5:
                print(f"wrong: {name}: {got!r}")
os.waitpid(child, 0)
print("lists", lists, "wrong", wrong)
