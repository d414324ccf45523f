# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""CPU of the auth process per authentication, with and without the plugin
(not a test: it asserts nothing).

A private Dovecot (as in the integration tests) gets a stream of PLAIN
authentications over its auth-client socket. Workloads (--workload, one
or more):
  mixed    80% failures from many addresses and usernames (so that the
           policy engine counts them and the write queue aggregates and
           writes them), 20% successes; lockout_mode=observe, so that every
           attempt reaches the password check (the default);
  success  only successes (alice and bob from 200 addresses);
  failure  only failures, as in mixed (wrong passwords for alice and bob,
           unknown users, from addresses nearly all new), enforce mode
           with account protection out of reach (lockout_user_failures at
           its maximum): each failure reaches the password check and is
           counted and written - a plain failure (--observe: observe mode
           and protection as set, the "Would refuse" lines included);
  refused  the failures of "failure" from addresses banned beforehand
           (doveadm lockout ban of their /16s), enforce mode: the plugin
           refuses each before the password check. Without the plugin the
           same requests are plain failures.
Reported per workload: the auth process's user+system CPU (from
/proc/<pid>/stat) divided by the number of authentications, for Dovecot
without the plugin and with it, and their ratio. For "success" also the
median time the client waits for the answer to one request sent alone
(failures are answered from Dovecot's own timer, every 0.5 s on 2.3, so
their wait says nothing of the plugin); for "refused" with the plugin, the
time to refusal: from a `doveadm lockout ban` of an address (another
process's commit) to the first refused login from it, polled every 10 ms.

Run as root after building (or inside a Debian tree: scripts/test-in-tree.sh
-r trixie --no-build bench/auth-cpu.py, for Dovecot 2.4):
  /usr/bin/python3 bench/auth-cpu.py [--auths N] [--rounds R]
      [--workload mixed|success|failure|refused ...]
      [--modules DIR]   (a directory holding lib20_lockout_auth.so and
                         lib20_doveadm_lockout_plugin.so; default: the build)
      [--observe]       (the failure workload in observe mode)
      [--warmup N]      (N failures from other addresses first: a process
                         that has been running, its tables' pages touched)
      [--plugin-only]   (skip Dovecot without the plugin)
      [--vs BUILD]      (a second build of the plugin, e.g. ../main/build:
                         both builds measured in the same rounds, taking
                         turns with Dovecot without the plugin)
      [--perf FILE]     (perf record the auth process during the measured
                         requests into FILE.with and FILE.without, for
                         perf report -i / perf diff)
      [--store sqlite|pgsql ...]
                        (the ban table of the plugin's runs: SQLite, the
                         default, and/or PostgreSQL - a private cluster,
                         a new database for each run; both: both sides of
                         the comparison in one go, and their ratio)
"""

import argparse
import os
import random
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))

from lockout_harness import (  # noqa: E402
    AUTH_MODULE, DOVEADM_MODULE, AuthClient, Dovecot, dovecot_version,
    find_lockout_modules)
from lockout_nodes import pg_store  # noqa: E402
from lockout_pg import PostgresCluster, require_postgres  # noqa: E402

USERS = {"alice@example.org": "alice-secret", "bob@example.org": "bob-secret",
         # never attacked by the workloads (alice and bob end up protected)
         "carol@example.org": "carol-secret"}
CHUNK = 500


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])


# the /16s the failures come from (banned for the "refused" workload)
FAILURE_NETS = ["10.%d.0.0/16" % n for n in range(1, 8)]
LATENCY_SAMPLES = 300


def workload(count, seed, kind="mixed"):
    rnd = random.Random(seed)
    out = []
    for i in range(count):
        if kind == "success" or (kind == "mixed" and i % 5 == 0):
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


def warmup_flood(count, seed):
    """failures from addresses the workloads never use (11.0.0.0/8)"""
    rnd = random.Random(seed)
    return [("nobody%d@example.org" % rnd.randrange(2000),
             "wrong%d" % rnd.randrange(1 << 30),
             {"rip": "11.%d.%d.%d" % (rnd.randrange(256), rnd.randrange(256),
                                      rnd.randrange(1, 255))})
            for _ in range(count)]


_pg_runs = [0]


def store_settings(pg):
    """The settings of a new, empty ban table in the cluster pg (None:
    SQLite, the default)."""
    if pg is None:
        return {}
    _pg_runs[0] += 1
    return pg_store(pg, role="bench%d" % _pg_runs[0])


def run(module_dirs, plugin, auths, seed, kind, perf=None, warmup=0,
        observe=False, pg=None):
    """-> (CPU seconds of the auth process for the auths, median latency
    in seconds of one request sent alone)"""
    settings = {"lockout_mode": "enforce" if kind == "refused" else
                "observe", "lockout_ip_failures": "5",
                "lockout_allow_networks": ""}
    settings.update(store_settings(pg))
    if kind == "failure" and not observe:
        settings["lockout_mode"] = "enforce"
        settings["lockout_user_failures"] = "100000"
    d = Dovecot(module_dirs=module_dirs, users=dict(USERS),
                plugin_settings=settings if plugin else {},
                passdb_lockout=plugin, auth_verbose=False)
    with d:
        # warm up: the first requests load the passwd-file and caches
        with AuthClient(d) as c:
            c.plain_many(workload(200, seed + 1, "mixed"), service="imap")
            # a process that has been running: its tables' pages in use
            # (a fresh one pays a page fault for each page a new source
            # first lands in, once), its ban table grown
            flood = warmup_flood(warmup, seed + 3)
            for i in range(0, len(flood), CHUNK):
                c.plain_many(flood[i:i + CHUNK], service="imap")
        time.sleep(1.5 if warmup else 0)  # the write queue's flush
        if plugin and kind == "refused":
            for net in FAILURE_NETS:
                d.doveadm("lockout", "ban", "-r", "bench", net)
            time.sleep(1.5)  # the auth process follows within a second
        pid = d.pids("auth")[0]
        attempts = workload(auths, seed, kind)
        recorder = None
        if perf:
            recorder = subprocess.Popen(
                ["perf", "record", "-q", "--call-graph", "dwarf,32768",
                 "-F", "2000", "-o",
                 "%s.%s" % (perf, "with" if plugin else "without"),
                 "-p", str(pid)], stdout=subprocess.DEVNULL)
            time.sleep(0.5)
        before = cpu_ticks(pid)
        with AuthClient(d) as c:
            for i in range(0, len(attempts), CHUNK):
                answers = c.plain_many(attempts[i:i + CHUNK],
                                       service="imap")
                if kind == "success":
                    assert all(a[0] for a in answers), answers[:3]
                elif kind != "mixed":
                    assert not any(a[0] for a in answers), answers[:3]
        ticks = cpu_ticks(pid) - before
        if recorder:
            recorder.send_signal(signal.SIGINT)
            recorder.wait()
        wait = None
        if kind == "success":
            latencies = []
            with AuthClient(d) as c:
                for a in workload(LATENCY_SAMPLES, seed + 2, kind):
                    t0 = time.monotonic()
                    c.plain_many([a], service="imap")
                    latencies.append(time.monotonic() - t0)
            latencies.sort()
            wait = latencies[len(latencies) // 2]
        elif kind == "refused" and plugin:
            wait = time_to_refusal(d)
    hz = os.sysconf("SC_CLK_TCK")
    return ticks / hz, wait


def time_to_refusal(d, samples=5):
    """A ban written by another process (doveadm lockout ban): the median
    time from its commit (doveadm's exit) to the sending of the first login
    with the right password from the banned address that is refused,
    polled every 10 ms."""
    times = []
    with AuthClient(d) as c:
        for i in range(samples):
            rip = "10.200.0.%d" % (i + 1)
            ok, line, _ = c.plain("carol@example.org", "carol-secret",
                                  service="imap", rip=rip)
            assert ok, line
            d.doveadm("lockout", "ban", "-r", "bench", rip)
            t0 = time.monotonic()
            while True:
                sent = time.monotonic()
                ok, line, _ = c.plain("carol@example.org", "carol-secret",
                                      service="imap", rip=rip)
                if not ok:
                    break
                if sent - t0 > 10:
                    raise RuntimeError("%s not refused within 10 s" % rip)
                time.sleep(0.01)
            # the answer of a refusal comes from Dovecot's failure timer:
            # what counts is when the refused request was sent
            times.append(sent - t0)
    times.sort()
    return times[len(times) // 2]


def module_dirs(directory):
    """--modules: a directory holding both modules"""
    return {"auth": [os.path.join(directory, AUTH_MODULE)],
            "doveadm": [os.path.join(directory, DOVEADM_MODULE)]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--auths", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--modules")
    ap.add_argument("--plugin-only", action="store_true")
    ap.add_argument("--vs", metavar="BUILD",
                    help="a second build of the plugin (its build "
                    "directory), measured in the same rounds")
    ap.add_argument("--observe", action="store_true",
                    help="the failure workload in observe mode")
    ap.add_argument("--warmup", type=int, default=0, metavar="N",
                    help="N failures from other addresses before measuring "
                    "(a long-running auth process)")
    ap.add_argument("--perf", metavar="FILE",
                    help="perf record the auth process during the measured "
                    "requests into FILE.with and FILE.without")
    ap.add_argument("--workload", nargs="+", default=["mixed"],
                    choices=["mixed", "success", "failure", "refused"])
    ap.add_argument("--store", nargs="+", default=["sqlite"],
                    choices=["sqlite", "pgsql"],
                    help="the ban table of the runs with the plugin")
    args = ap.parse_args()
    if args.modules:
        dirs = module_dirs(args.modules)
    else:
        dirs = find_lockout_modules()
    print("auth process CPU per authentication (%d auths per round, %d "
          "rounds, %d failures of warm-up; median, min, max)"
          % (args.auths, args.rounds, args.warmup))
    print("Dovecot %s, %s" % (".".join(map(str, dovecot_version())),
                              os.uname().machine))
    pg = None
    if "pgsql" in args.store:
        require_postgres()
        pg = PostgresCluster().__enter__()
    try:
        for kind in args.workload:
            measure(args, dirs, kind, pg)
    finally:
        if pg is not None:
            pg.close()


def measure(args, dirs, kind, pg):
    """One workload: without the plugin (unless --plugin-only), then with
    it on each store (and with the --vs build); the sides take turns in
    each round, so that a drift of the machine meets them all alike.
    Prints each side and the ratios."""
    builds = [("with plugin", dirs)]
    if args.vs:
        builds.append(("with --vs", find_lockout_modules(args.vs)))
    sides = [(build if len(args.store) == 1 else
              "%s, %s" % (build, store), store, build_dirs)
             for build, build_dirs in builds for store in args.store]
    if not args.plugin_only:
        sides.insert(0, ("without plugin", None, None))
    figures = {name: [] for name, _, _ in sides}
    waits = {name: [] for name, _, _ in sides}
    for r in range(args.rounds):
        for name, store, side_dirs in sides:
            plugin = side_dirs is not None
            cpu, wait = run(side_dirs if plugin else {}, plugin,
                            args.auths, 1000 + r, kind, args.perf,
                            args.warmup, args.observe,
                            pg if store == "pgsql" else None)
            figures[name].append(cpu * 1e6 / args.auths)
            if wait is not None:
                waits[name].append(wait * 1e3)
    medians = {}
    for name, store, _ in sides:
        f, w = sorted(figures[name]), sorted(waits[name])
        medians[name] = f[len(f) // 2]
        extra = ""
        if w and kind == "success":
            extra = "  answer in %.2f ms" % w[len(w) // 2]
        elif w:
            extra = "  refused %.0f ms after a doveadm ban" % w[len(w) // 2]
        print("  %-8s %-22s CPU %6.1f us (min %.1f, max %.1f)%s"
              % (kind, name, medians[name], f[0], f[-1], extra),
              flush=True)
    base = medians.get("without plugin")
    for name, _, _ in sides:
        if base and name != "without plugin":
            print("  %-8s ratio (%s) %.2f" % (kind, name,
                                              medians[name] / base))
    if len(args.store) == 2 and medians.get("with plugin, sqlite"):
        print("  %-8s pgsql / sqlite %.2f"
              % (kind, medians["with plugin, pgsql"] /
                 medians["with plugin, sqlite"]))


if __name__ == "__main__":
    main()
