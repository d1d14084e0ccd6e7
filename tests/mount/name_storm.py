"""name_storm.py MNT SEED OPS — one of several clients racing on a small
tree: mkdir, create, read, rename of whole subtrees, unlink and walks.
Errors a racing native filesystem gives (ENOENT, EEXIST, ENOTEMPTY,
ENOTDIR, EISDIR, EINVAL) are expected; any other is printed and counted.
Prints "unexpected N"."""
import errno
import os
import random
import sys

EXPECTED = {errno.ENOENT, errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR,
            errno.EISDIR, errno.EINVAL}
mnt, seed, ops = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(seed)
unexpected = 0


def top():
    return f"{mnt}/d{rnd.randrange(4)}"


def sub():
    return f"{top()}/s{rnd.randrange(3)}"


def leaf():
    return f"{sub()}/t{rnd.randrange(3)}/f{rnd.randrange(5)}"


def walk(d):
    for root, _, files in os.walk(d, onerror=lambda e: None):
        for f in files:
            try:
                os.stat(os.path.join(root, f))
            except FileNotFoundError:
                pass


for _ in range(ops):
    op = rnd.randrange(7)
    try:
        if op == 0:
            os.makedirs(f"{sub()}/t{rnd.randrange(3)}", exist_ok=True)
        elif op == 1:
            p = leaf()
            with open(p, "w") as f:
                f.write(p)
        elif op == 2:
            with open(leaf()) as f:
                f.read()
        elif op == 3:
            os.rename(sub(), sub())
        elif op == 4:
            os.unlink(leaf())
        elif op == 5:
            walk(top())
        else:
            os.makedirs(top(), exist_ok=True)
    except OSError as e:
        if e.errno not in EXPECTED:
            unexpected += 1
            print("unexpected:", op, e)
print("unexpected", unexpected)
