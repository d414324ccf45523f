# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""Measurement behind lockoutd's change detection (not a test).

A writer process commits one row at a time into a WAL database; the reader
here notices it (a) with inotify on the directory (IN_MODIFY of the -wal
file), then PRAGMA data_version, and (b) by asking PRAGMA data_version every
P ms.  Prints the detection latency of each, how often the inotify wake-up
came before the commit was visible (the writer writes the WAL frames before
it publishes them in the -shm index), and the CPU cost of an idle poll.

Run: /usr/bin/python3 bench/change_detect.py [commits]
"""

import ctypes
import os
import select
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

IN_MODIFY = 0x2
libc = ctypes.CDLL(None, use_errno=True)

WRITER = r"""
import sqlite3, sys, time, random
c = sqlite3.connect(sys.argv[1], isolation_level=None)
for line in sys.stdin:
    time.sleep(random.uniform(0, 0.02))
    t = time.clock_gettime(time.CLOCK_MONOTONIC)
    c.execute("INSERT INTO t VALUES (?)", (t,))
    print(t, flush=True)
"""


def data_version(c):
    return c.execute("PRAGMA data_version").fetchone()[0]


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def show(name, lat):
    print("  %-34s p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms" % (
        name, pct(lat, 50) * 1e3, pct(lat, 99) * 1e3, max(lat) * 1e3))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    d = tempfile.mkdtemp(prefix="lockout-cd-")
    path = os.path.join(d, "t.db")
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA journal_mode=WAL")
    c.execute("CREATE TABLE t (x)")
    w = subprocess.Popen([sys.executable, "-c", WRITER, path],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True, bufsize=1)
    fd = libc.inotify_init1(os.O_NONBLOCK)
    libc.inotify_add_watch(fd, d.encode(), IN_MODIFY)
    ino, early = [], 0
    for _ in range(n):
        v0 = data_version(c)
        w.stdin.write("go\n")
        while True:
            select.select([fd], [], [])
            now = time.clock_gettime(time.CLOCK_MONOTONIC)
            buf = os.read(fd, 4096)
            names = []
            off = 0
            while off < len(buf):
                _, _, _, ln = struct.unpack_from("iIII", buf, off)
                names.append(buf[off + 16:off + 16 + ln].rstrip(b"\0"))
                off += 16 + ln
            if b"t.db-wal" in names:
                break
        if data_version(c) == v0:
            early += 1
            while data_version(c) == v0:
                pass
        t_commit = float(w.stdout.readline())
        ino.append(max(0.0, now - t_commit))
    print("commits: %d" % n)
    show("inotify wake-up after commit", ino)
    print("  inotify woke before the commit was visible: %d of %d" %
          (early, n))
    for period in (0.02, 0.05):
        lat = []
        for _ in range(n // 3):
            v0 = data_version(c)
            # the poll phase is independent of the commit moment
            phase = time.clock_gettime(time.CLOCK_MONOTONIC)
            w.stdin.write("go\n")
            t_commit = float(w.stdout.readline())
            k = 0
            while True:
                k += 1
                tick = phase + k * period
                time.sleep(max(0, tick -
                               time.clock_gettime(time.CLOCK_MONOTONIC)))
                if data_version(c) != v0:
                    lat.append(time.clock_gettime(time.CLOCK_MONOTONIC) -
                               t_commit)
                    break
        show("data_version poll every %d ms" % (period * 1000), lat)
    t0 = time.process_time()
    for _ in range(20000):
        data_version(c)
    per = (time.process_time() - t0) / 20000
    print("  one data_version check: %.1f us of CPU (Python; C is less)"
          % (per * 1e6))
    w.stdin.close()
    w.wait()
    c.close()
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    os.rmdir(d)


if __name__ == "__main__":
    main()
