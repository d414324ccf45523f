# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""CPU of the auth process per authentication, with and without the plugin
(not a test: it asserts nothing).

A private Dovecot (as in the integration tests) gets a stream of PLAIN
authentications over its auth-client socket: failures from many addresses
and usernames (so that the policy engine counts them and the write queue
aggregates and writes them) and some successes. lockout_mode=observe, so
that every attempt reaches the password check. Reported: the auth
process's user+system CPU (from /proc/<pid>/stat) divided by the number of
authentications, for Dovecot without the plugin and with it.

Run as root after building:
  /usr/bin/python3 bench/auth-cpu.py [--auths N] [--rounds R]
      [--modules DIR]   (a directory holding lib20_lockout_auth.so and
                         lib20_doveadm_lockout_plugin.so; default: the build)
      [--plugin-only]   (skip Dovecot without the plugin, e.g. to compare
                         two builds of the plugin, run after each other)
"""

import argparse
import os
import random
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))

from lockout_harness import (  # noqa: E402
    AUTH_MODULE, DOVEADM_MODULE, AuthClient, Dovecot, find_lockout_modules)

USERS = {"alice@example.org": "alice-secret", "bob@example.org": "bob-secret"}
CHUNK = 500


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])


def workload(count, seed):
    rnd = random.Random(seed)
    out = []
    for i in range(count):
        if i % 5 == 0:
            out.append(("alice@example.org", "alice-secret",
                        {"rip": "10.9.0.%d" % (i % 200 + 1)}))
        else:
            ip = "10.%d.%d.%d" % (rnd.randrange(1, 8), rnd.randrange(256),
                                  rnd.randrange(1, 255))
            user = rnd.choice(["alice@example.org", "bob@example.org",
                               "nobody%d@example.org" % rnd.randrange(50)])
            out.append((user, "wrong%d" % rnd.randrange(1 << 30),
                        {"rip": ip}))
    return out


def run(module_dirs, plugin, auths, seed):
    settings = {"lockout_mode": "observe", "lockout_ip_failures": "5",
                "lockout_allow_networks": ""}
    d = Dovecot(module_dirs=module_dirs, users=dict(USERS),
                plugin_settings=settings if plugin else {},
                passdb_lockout=plugin, auth_verbose=False)
    with d:
        # warm up: the first requests load the passwd-file and caches
        with AuthClient(d) as c:
            c.plain_many(workload(200, seed + 1), service="imap")
        pid = d.pids("auth")[0]
        attempts = workload(auths, seed)
        before = cpu_ticks(pid)
        t0 = time.monotonic()
        with AuthClient(d) as c:
            for i in range(0, len(attempts), CHUNK):
                c.plain_many(attempts[i:i + CHUNK], service="imap")
        wall = time.monotonic() - t0
        ticks = cpu_ticks(pid) - before
    hz = os.sysconf("SC_CLK_TCK")
    return ticks / hz, wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--auths", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--modules")
    ap.add_argument("--plugin-only", action="store_true")
    args = ap.parse_args()
    if args.modules:
        dirs = {"auth": [os.path.join(args.modules, AUTH_MODULE)],
                "doveadm": [os.path.join(args.modules, DOVEADM_MODULE)]}
    else:
        dirs = find_lockout_modules()
    print("auth process CPU per authentication (%d auths, 80%% failures, "
          "observe mode), %d rounds" % (args.auths, args.rounds))
    for plugin in (True,) if args.plugin_only else (False, True):
        figures = []
        for r in range(args.rounds):
            cpu, wall = run(dirs if plugin else {}, plugin, args.auths,
                            1000 + r)
            figures.append(cpu * 1e6 / args.auths)
        figures.sort()
        print("  %-14s median %6.1f us  (min %.1f, max %.1f)"
              % ("with plugin" if plugin else "without plugin",
                 figures[len(figures) // 2], figures[0], figures[-1]))


if __name__ == "__main__":
    main()
