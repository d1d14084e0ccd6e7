"""rename_copyup.py MNT SECONDS — renames of large lower files, each one a
copy-up, to names the host keeps making and removing in the upper
directory (ovl_copyup_race.sh runs the host's side). Prints "renames N
unexpected N"; expected errors are those of a racing filesystem."""
import errno
import os
import sys
import time

mnt, seconds = sys.argv[1], float(sys.argv[2])
EXPECTED = {errno.ENOENT, errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR,
            errno.EISDIR, errno.ESTALE, errno.EAGAIN}
renames = unexpected = 0
stop = time.time() + seconds
while time.time() < stop:
    for i in range(16):
        try:
            os.rename(f"{mnt}/r/big{i}", f"{mnt}/r/dst{i}")
            renames += 1
        except OSError as e:
            if e.errno not in EXPECTED:
                unexpected += 1
                if unexpected <= 5:
                    print("unexpected:", e)
print("renames", renames, "unexpected", unexpected)
