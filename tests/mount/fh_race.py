"""fh_race.py DIR SECONDS — one of several clients opening, fstat'ing,
ftruncate'ing and closing the same few files in DIR as fast as it can:
each fstat and ftruncate is a request on an open file (GETATTR and
SETATTR with its handle) whose RELEASE the kernel may send the moment
the answer is in, from another client's close. Prints "ops N errors N"
and the first errors; none is expected."""
import os
import sys
import time

top, seconds = sys.argv[1], float(sys.argv[2])
path = os.path.join(top, "f%d" % (os.getpid() % 3))
stop = time.time() + seconds
ops = errors = 0
while time.time() < stop:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            os.fstat(fd)
            os.ftruncate(fd, ops % 100)
            os.fstat(fd)
        finally:
            os.close(fd)
    except OSError as e:
        errors += 1
        if errors <= 3:
            print("error:", e)
        if errors > 50:
            break
    ops += 1
print("ops", ops, "errors", errors)
