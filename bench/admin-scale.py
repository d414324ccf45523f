# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""doveadm lockout at scale: the time of list, show and top with 100,001
active bans and 200,000 failure rows (not a test: it asserts nothing).

For each build directory given, a private Dovecot (as in the integration
tests) starts with that build's modules and creates its ban table (one
login); the table is then filled through SQL matching the schema - 100,000
automatic address bans, one manual ban of 10.0.0.1, 200,000 failure rows of
the last week from those addresses against 2,000 usernames (since schema 9
packed as the auth process writes them, a second to a batch, a batch for
each address of a second of at most four) - in one transaction. Then each command runs --runs times (doveadm alone, in a mount
namespace with the build's modules; output to /dev/null) and the median
wall time is printed, one column per build, so that two builds (e.g. the
main branch built in another directory, and this one) compare in one go.

With --callgrind DIR each command also runs once under valgrind's
callgrind (--dump-instr=no), its profile kept as DIR/<build>-<command>.out
for callgrind_annotate, and the instructions it took are printed
(millions): steadier than wall times on a shared machine.

Run as root after building:
  /usr/bin/python3 bench/admin-scale.py [--runs N] [--callgrind DIR]
      BUILD_DIR [BUILD_DIR...]
"""

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))

from lockout_harness import (  # noqa: E402
    DOVEADM_BIN, STOCK_MODULE_DIR, AuthClient, Dovecot, find_lockout_modules,
    pack_failures)

BANS = 100000
FAILURES = 200000
USERS = 2000
SEED = 0x5ca1e

COMMANDS = [
    ("list", ["lockout", "list"]),
    ("-f json list", ["-f", "json", "lockout", "list"]),
    ("show 10.0.0.1", ["lockout", "show", "10.0.0.1"]),
    ("show user7@example.org", ["lockout", "show", "user7@example.org"]),
    ("top ips", ["lockout", "top", "ips"]),
    ("top users", ["lockout", "top", "users"]),
    ("list -k user (empty)", ["lockout", "list", "-k", "user"]),
]

# Runs inside the mount namespace: times each command, prints JSON.
TIMER = r"""
import json, subprocess, sys, time
argv0, runs = json.loads(sys.argv[1]), int(sys.argv[2])
cmds = json.loads(sys.argv[3])
out = {}
for name, args in cmds:
    times = []
    for _ in range(runs):
        t0 = time.monotonic()
        p = subprocess.run(argv0 + args, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
        times.append(time.monotonic() - t0)
        if p.returncode != 0:
            sys.exit("%s: exit %d: %s" % (name, p.returncode,
                                           p.stderr.decode()))
    out[name] = sorted(times)
print(json.dumps(out))
"""

# Runs inside the mount namespace: each command once under callgrind,
# prints the instructions of each as JSON.
CALLGRIND = r"""
import json, re, subprocess, sys
argv0, outdir, tag = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
cmds = json.loads(sys.argv[4])
out = {}
for name, args in cmds:
    path = "%s/%s-%s.out" % (outdir, tag, re.sub(r"[^a-z0-9]+", "_", name))
    # doveadm execs doveconf, which execs doveadm again: the last
    # process is the command
    p = subprocess.run(["valgrind", "--tool=callgrind", "--dump-instr=no",
                        "--trace-children=yes",
                        "--callgrind-out-file=" + path] + argv0 + args,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.decode()
    m = re.findall(r"Collected : (\d+)", err)
    if p.returncode != 0 or not m:
        sys.exit("%s: exit %d: %s" % (name, p.returncode, err))
    out[name] = int(m[-1])
print(json.dumps(out))
"""


def address(i):
    # 100,000 addresses outside 10.0.0.0/24 (10.0.0.1 is the manual ban)
    return "10.%d.%d.%d" % (1 + i // 65536 % 200, i // 256 % 256, i % 256)


def fill(db, now):
    rnd = random.Random(SEED)
    con = sqlite3.connect(db, timeout=30)
    with con:
        bans = []
        for i in range(BANS):
            created = now - rnd.randrange(1, 6 * 86400)
            ev = {"rule": "ip_failures", "failures": 5, "threshold": 5,
                  "window": 600, "distinct_users": rnd.randrange(1, 5),
                  "distinct_passwords": 5, "first_seen": created - 300,
                  "last_seen": created}
            bans.append((address(i), "ip", "auto",
                         "5 failures in 10m", "ip_failures", created,
                         now + 7 * 86400 + rnd.randrange(86400), 5,
                         json.dumps(ev, separators=(",", ":"))))
        bans.append(("10.0.0.1", "ip", "manual", "hand-kept blacklist",
                     "manual", now - 3600, None, 0, "{}"))
        con.executemany(
            "INSERT INTO bans (target, kind, source, reason, rule, created,"
            " expires, failures, evidence) VALUES (?,?,?,?,?,?,?,?,?)", bans)
        rows = []
        for i in range(FAILURES):
            ip = "10.0.0.1" if i % 1000 == 0 else \
                address(rnd.randrange(BANS))
            rows.append((now - rnd.randrange(7 * 86400), ip,
                         "user%d@example.org" % rnd.randrange(USERS),
                         rnd.choice(["imap", "pop3", "smtp"]), "PLAIN",
                         "password_mismatch", rnd.randrange(1, 4)))
        if not con.execute("SELECT count(*) FROM sqlite_master WHERE "
                           "name = 'failure_batches'").fetchone()[0]:
            # a build before schema 9: a row a failure
            con.executemany(
                "INSERT INTO failures (time, ip, user, service, mechanism,"
                " result, count) VALUES (?,?,?,?,?,?,?)", rows)
            rows = []
        # packed as the auth process writes them (pack_failures(),
        # lockout-store-packed.c); over a week most seconds hold one
        # failure
        by_time = {}
        for r in rows:
            by_time.setdefault(r[0], []).append(r[1:] + (0,))
        def common(batch, col):
            values = set(r[col] for r in batch)
            return values.pop() if len(values) == 1 else None

        def batches(second):
            # as lockout-store-history.c writes them: cut at 1,024, and
            # a second of at most four addresses as a batch for each
            for i in range(0, len(second), 1024):
                part = second[i:i + 1024]
                ips = list(dict.fromkeys(r[0] for r in part))
                if len(ips) > 4:
                    yield part
                    continue
                for ip in ips:
                    yield [r for r in part if r[0] == ip]
        if rows:
            con.executemany(
                "INSERT INTO failure_batches (time, n, ip, user, rows) "
                "VALUES (?,?,?,?,?)",
                [(t, len(b), common(b, 0), common(b, 1), pack_failures(b))
                 for t, second in sorted(by_time.items())
                 for b in batches(second)])
    # Copy the fill into the table and empty the WAL, so that every build
    # starts from the same state: a doveadm that found the fill's frames
    # in the WAL checksummed them all (72 M instructions) before its query,
    # on one build or the other by chance.
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def measure(build, runs, callgrind, tag):
    d = Dovecot(module_dirs=find_lockout_modules(build), auth_verbose=False)
    with d:
        with AuthClient(d) as c:  # creates (or migrates) the table
            c.plain("alice@example.org", "wrong", service="imap")
        db = os.path.join(d.lockout_dir, "lockout.db")
        for _ in range(50):
            if os.path.exists(db):
                break
            time.sleep(0.1)
        fill(db, int(time.time()))
        # let the auth process take in the new bans before timing
        time.sleep(3)
        ns = ["unshare", "-m", "--propagation", "private", "--",
              "sh", "-c", 'mount --bind "$1" "$2" && shift 2 && exec "$@"',
              "sh", d.module_dir, STOCK_MODULE_DIR, sys.executable, "-c"]
        doveadm = json.dumps([DOVEADM_BIN, "-c", d.conf_path])
        p = subprocess.run(ns + [TIMER, doveadm, str(runs),
                                 json.dumps(COMMANDS)],
                           stdout=subprocess.PIPE, check=True)
        times = json.loads(p.stdout)
        counts = None
        if callgrind is not None:
            p = subprocess.run(ns + [CALLGRIND, doveadm, callgrind, tag,
                                     json.dumps(COMMANDS)],
                               stdout=subprocess.PIPE, check=True)
            counts = json.loads(p.stdout)
        return times, counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--callgrind", metavar="DIR")
    ap.add_argument("builds", nargs="+")
    args = ap.parse_args()
    if args.callgrind is not None:
        args.callgrind = os.path.abspath(args.callgrind)
        os.makedirs(args.callgrind, exist_ok=True)
    results = [measure(os.path.abspath(b), args.runs, args.callgrind,
                       str(i)) for i, b in enumerate(args.builds)]
    print("doveadm lockout with %d active bans and %d failure rows; "
          "median of %d runs, ms (min-max)" % (BANS + 1, FAILURES, args.runs))
    for i, b in enumerate(args.builds):
        print("  [%d] %s" % (i, os.path.abspath(b)))
    for name, _ in COMMANDS:
        cells = []
        for r, counts in results:
            t = r[name]
            cells.append("%6.0f (%4.0f-%4.0f)" % (t[len(t) // 2] * 1e3,
                                                t[0] * 1e3, t[-1] * 1e3))
            if counts is not None:
                cells[-1] += " %6.0f M" % (counts[name] / 1e6)
        print("  %-22s %s" % (name, "   ".join(
            "[%d] %s" % (i, c) for i, c in enumerate(cells))))


if __name__ == "__main__":
    main()
