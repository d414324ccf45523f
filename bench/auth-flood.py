# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""Memory of the auth process under a flood (not a test: it asserts
nothing).

A private Dovecot (as in the integration tests) at default lockout
settings (loopback not exempt) gets FAILURES wrong-password PLAIN
authentications over its auth-client socket from SOURCES addresses
(each address FAILURES/SOURCES times, the addresses in a shuffled order,
usernames drawn from 2,000), without the plugin and with it. Reported per
side: the auth process's resident size (VmRSS) after a warm-up and after
the flood, its peak (VmHWM), and the growth; and the with/without
difference of the growth, which is what the plugin holds.

With --store pgsql the plugin's ban table is in PostgreSQL (a private
cluster, issue 14), and what the flood wrote there is reported too: rows
inserted, updated and deleted, transactions committed and WAL bytes
written (pg_stat_database of the table's database, pg_stat_wal), in all
and per second of the flood.

Run as root after building (or in a Debian tree with
scripts/test-in-tree.sh -r trixie --no-build bench/auth-flood.py):
  /usr/bin/python3 bench/auth-flood.py [--failures N] [--sources N]
      [--plugin-only] [--maps] [--store sqlite|pgsql]
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
    AuthClient, Dovecot, dovecot_version, find_lockout_modules)
from lockout_nodes import PG_ROLE, pg_store  # noqa: E402
from lockout_pg import PostgresCluster, require_postgres  # noqa: E402

USERS = {"alice@example.org": "alice-secret"}
CHUNK = 1000
SEED = 0xf100d


def status_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError("no %s in /proc/%d/status" % (field, pid))


def flood(failures, sources):
    rnd = random.Random(SEED)
    per = max(1, failures // sources)
    addrs = []
    for i in range(sources):
        addrs.extend(["10.%d.%d.%d" % (1 + (i >> 16) % 200, (i >> 8) & 255,
                                       i & 255 or 1)] * per)
    rnd.shuffle(addrs)
    for ip in addrs[:failures]:
        yield ("u%d@example.org" % rnd.randrange(2000),
               "wrong%d" % rnd.randrange(1 << 30), {"rip": ip})


def largest_mappings(pid, n=8):
    """-> [(Rss KiB, size KiB, name)] of the n mappings holding the most"""
    maps, cur = [], None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            field = line.split()
            if "-" in field[0] and not field[0].endswith(":"):
                lo, hi = (int(x, 16) for x in field[0].split("-"))
                cur = [0, (hi - lo) // 1024,
                       field[5] if len(field) > 5 else "[anon]"]
                maps.append(cur)
            elif field[0] == "Rss:":
                cur[0] = int(field[1])
    return sorted(maps, reverse=True)[:n]


PG_COUNTERS = ("tup_inserted", "tup_updated", "tup_deleted", "xact_commit")


def pg_counters(pg):
    """{counter: value} of the ban table's database, and wal_bytes."""
    row = pg.psql("SELECT %s FROM pg_stat_database WHERE datname = '%s'"
                  % (", ".join(PG_COUNTERS), PG_ROLE))[0]
    counters = dict(zip(PG_COUNTERS, (int(v) for v in row)))
    counters["wal_bytes"] = int(float(pg.psql(
        "SELECT wal_bytes FROM pg_stat_wal")[0][0]))
    return counters


def run(plugin, failures, sources, show_maps=False, pg=None):
    settings = {"lockout_allow_networks": ""} if plugin else {}
    if plugin and pg is not None:
        settings.update(pg_store(pg))
    d = Dovecot(module_dirs=find_lockout_modules() if plugin else {},
                users=dict(USERS), passdb_lockout=plugin,
                plugin_settings=settings, auth_verbose=False)
    writes = None
    with d:
        with AuthClient(d) as c:
            c.plain_many([("alice@example.org", "alice-secret",
                           {"rip": "192.0.2.1"})] * 50, service="imap")
        pid = d.pids("auth")[0]
        if plugin and pg is not None:
            time.sleep(2)  # the warm-up's writes, the statistics' flush
            counters = pg_counters(pg)
        before = status_kib(pid, "VmRSS")
        t0 = time.monotonic()
        batch = []
        with AuthClient(d) as c:
            for a in flood(failures, sources):
                batch.append(a)
                if len(batch) == CHUNK:
                    c.plain_many(batch, service="imap")
                    batch = []
            if batch:
                c.plain_many(batch, service="imap")
        secs = time.monotonic() - t0
        time.sleep(1)  # the last flush of the write queue
        if plugin and pg is not None:
            time.sleep(1)  # the server's statistics are flushed each second
            after_counters = pg_counters(pg)
            writes = {k: after_counters[k] - counters[k]
                      for k in counters}
        after = status_kib(pid, "VmRSS")
        peak = status_kib(pid, "VmHWM")
        if show_maps:
            for rss, size, name in largest_mappings(pid):
                print("    %8d KiB resident of %8d KiB  %s"
                      % (rss, size, name))
    return before, after, peak, secs, writes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--failures", type=int, default=300000)
    ap.add_argument("--sources", type=int, default=100000)
    ap.add_argument("--plugin-only", action="store_true",
                    help="skip Dovecot without the plugin")
    ap.add_argument("--store", choices=["sqlite", "pgsql"],
                    default="sqlite",
                    help="the plugin's ban table (pgsql: a private cluster; "
                    "what the flood wrote there is reported)")
    ap.add_argument("--maps", action="store_true",
                    help="print the auth process's largest mappings after "
                    "the flood (with the plugin)")
    args = ap.parse_args()
    print("auth process memory under a flood of %d failures from %d "
          "addresses (default settings, ban table: %s), Dovecot %s"
          % (args.failures, args.sources, args.store,
             ".".join(map(str, dovecot_version()))))
    pg = None
    if args.store == "pgsql":
        require_postgres()
        pg = PostgresCluster().__enter__()
    try:
        flood_all(args, pg)
    finally:
        if pg is not None:
            pg.close()


def flood_all(args, pg):
    growth = {}
    for plugin in (True,) if args.plugin_only else (False, True):
        before, after, peak, secs, writes = run(
            plugin, args.failures, args.sources, args.maps and plugin, pg)
        growth[plugin] = after - before
        print("  %-14s VmRSS %7d KiB -> %7d KiB (+%.1f MiB), VmHWM %7d KiB,"
              " %.0f s" % ("with plugin" if plugin else "without plugin",
                           before, after, (after - before) / 1024.0, peak,
                           secs), flush=True)
        if writes is not None:
            rows = (writes["tup_inserted"] + writes["tup_updated"] +
                    writes["tup_deleted"])
            print("  PostgreSQL: %d rows written (%d inserted, %d updated, "
                  "%d deleted) in %d transactions, %.1f MiB of WAL; per "
                  "second of the flood: %.0f rows, %.1f transactions, "
                  "%.0f KiB of WAL"
                  % (rows, writes["tup_inserted"], writes["tup_updated"],
                     writes["tup_deleted"], writes["xact_commit"],
                     writes["wal_bytes"] / 1048576.0, rows / secs,
                     writes["xact_commit"] / secs,
                     writes["wal_bytes"] / 1024.0 / secs))
    if False in growth:
        print("  the plugin holds %.1f MiB more after the flood"
              % ((growth[True] - growth[False]) / 1024.0))


if __name__ == "__main__":
    main()
