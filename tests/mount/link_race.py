"""link_race.py DIR SECONDS — a fifo with four names in DIR, looked up by
each name in turn (the kernel asks the daemon each time: entry_timeout=0)
while other threads change and read it through the same names. A node
reached by name is given the name of each lookup; the operations using
it meanwhile must not notice. Prints "errors {errno: count}"; every
operation should succeed."""
import os
import sys
import threading
import time

d = sys.argv[1]
stop = time.time() + float(sys.argv[2])
names = [os.path.join(d, f"n{i}") for i in range(4)]
os.mkfifo(names[0])
for n in names[1:]:
    os.link(names[0], n)
errs = {}


def count(e):
    errs[e.errno] = errs.get(e.errno, 0) + 1


def looker():
    while time.time() < stop:
        for n in names:
            try:
                os.lstat(n)
            except OSError as e:
                count(e)


def user():
    while time.time() < stop:
        for n in names:
            try:
                os.listxattr(n, follow_symlinks=False)
                os.chmod(n, 0o644)
            except OSError as e:
                count(e)


threads = [threading.Thread(target=f) for f in (looker, looker, user, user)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("errors", errs)
