# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""Benchmark (not a test): time from the failed login that crosses the
threshold to its address being in the nftables set, with a real Dovecot
and lockoutd in a private network namespace.

Phase 1 (end to end): for each of N sources, FAILURES-1 wrong passwords
first, then the one that crosses the threshold, sent at a random moment;
the clock runs from sending that last attempt to `nft monitor` reporting
the element.  Phase 2 (lockoutd alone): rows committed straight into the
ban table; the clock runs from the commit.  Phase 3: lockoutd's CPU time
while idle.

Run as root after building: /usr/bin/python3 bench/lockoutd_latency.py [N]
"""

import os
import random
import sqlite3
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

from lockout_harness import AuthClient  # noqa: E402
from test_lockoutd import Lockoutd, Netns, instance, lockoutd_bin  # noqa

FAILURES = 3


class Monitor:
    """`nft monitor` in the namespace: arrival time of each element."""

    def __init__(self, ns):
        self.seen = {}
        self.cond = threading.Condition()
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns.name, "nft", "monitor", "elements"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            bufsize=1)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            now = time.monotonic()
            if not line.startswith("add element inet lockout ban"):
                continue
            inner = line.split("{", 1)[1].rsplit("}", 1)[0]
            with self.cond:
                for part in inner.split(","):
                    elem = part.strip().split(" ")[0]
                    self.seen.setdefault(elem, now)
                self.cond.notify_all()

    def wait(self, elem, timeout=10.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while elem not in self.seen:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError("%s never reached the set" % elem)
                self.cond.wait(left)
            return self.seen[elem]

    def close(self):
        self.proc.terminate()
        self.proc.wait()


def percentiles(values):
    v = sorted(values)

    def pick(p):
        return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]
    return "p50 %6.1f ms   p99 %6.1f ms   max %6.1f ms   (n=%d)" % (
        pick(50) * 1000, pick(99) * 1000, v[-1] * 1000, len(v))


def addr(i):
    # one /24 each: a network ban must not stand in for address bans
    return "10.%d.%d.1" % (77 + i // 250, i % 250)


def end_to_end(d, mon, n):
    with AuthClient(d) as a:
        # everybody below the threshold first (answers come in batches)
        # distinct passwords: a repeated one counts once (stale client)
        prime = [("alice@example.org", "wrong-%d" % j, {"rip": addr(i)})
                 for i in range(n) for j in range(FAILURES - 1)]
        for ok, line, _ in a.plain_many(prime, service="imap"):
            assert not ok, line
        sent, rids = {}, []
        for i in range(n):
            time.sleep(random.uniform(0.05, 0.25))
            sent[addr(i)] = time.monotonic()
            rids.append(a.start_plain("alice@example.org", "last-wrong",
                                      service="imap", rip=addr(i)))
        for r in rids:
            a.finish(r)
    return [mon.wait(k) - t for k, t in sent.items()]


def lockoutd_alone(d, mon, n):
    c = sqlite3.connect(os.path.join(d.lockout_dir, "lockout.db"),
                        timeout=5, isolation_level=None)
    out = []
    for i in range(n):
        time.sleep(random.uniform(0.02, 0.1))
        target = "10.78.%d.%d" % (i // 250, i % 250 + 1)
        now = int(time.time())
        c.execute("INSERT INTO bans (target, kind, source, reason, rule, "
                  "created, expires, failures) VALUES (?, 'ip', 'manual', "
                  "'bench', 'manual', ?, ?, 0)", (target, now, now + 3600))
        t = time.monotonic()
        out.append(mon.wait(target) - t)
    c.close()
    return out


def idle_cpu(pid, seconds):
    def ticks():
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    hz = os.sysconf("SC_CLK_TCK")
    t0, c0 = time.monotonic(), ticks()
    time.sleep(seconds)
    return (ticks() - c0) / hz / (time.monotonic() - t0)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 220
    if not os.access(lockoutd_bin(), os.X_OK):
        sys.exit("build first (scripts/build.sh)")
    with Netns() as ns, instance(lockout_ip_failures=str(FAILURES),
                                 lockout_ban_time="1 hour") as d:
        ld = Lockoutd(ns, d).start()
        mon = Monitor(ns)
        try:
            time.sleep(0.3)
            e2e = end_to_end(d, mon, n)
            alone = lockoutd_alone(d, mon, n)
            cpu = idle_cpu(ld.proc.pid, 10)
        finally:
            mon.close()
            ld.stop()
    print("failure crossing the threshold -> element in ban4 (end to end):")
    print("  " + percentiles(e2e))
    print("ban row committed -> element in ban4 (lockoutd alone):")
    print("  " + percentiles(alone))
    print("lockoutd idle CPU: %.3f%% of one core" % (cpu * 100))


if __name__ == "__main__":
    main()
