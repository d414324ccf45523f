# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""The auth process with its ban table in PostgreSQL (issue 14): the
worker thread that owns the connection (src/auth/lockout-auth-db-thread.c).

Each test starts a private PostgreSQL cluster (lockout_pg: initdb in a
temporary directory, a Unix socket only, removed at the end) and one or two
private Dovecot instances (lockout_harness) with

    lockout_db_driver = pgsql
    lockout_db = host=<socket dir> port=5432 dbname=lockout user=lockout
                 passfile=<file of the dovecot user, 0600>

and checks:
  - bans made by failures land in PostgreSQL, with their failure rows;
  - a ban written by another connection (doveadm) is refused within 1 s;
  - PostgreSQL stopped during failures: no login waits (timed), the ban
    made meanwhile is enforced from memory, and is written once
    PostgreSQL is back; the errors are logged, "usable again" too;
  - the connection is logged without its password;
  - lockout_on_error = deny refuses every login while PostgreSQL is down;
  - two instances (lockout_node node1, node2) on one database: node 2
    refuses what node 1 banned, and an attacker going round-robin over
    both is banned after lockout_ip_failures failures in all.

Run as root after building:
    /usr/bin/python3 tests/integration/test_auth_pgsql.py [test ...]
"""

import contextlib
import itertools
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lockout_harness import (  # noqa: E402
    AuthClient, Dovecot, find_lockout_modules, main, wait_until)
from lockout_nodes import PG_ROLE, pg_store  # noqa: E402
from lockout_pg import PostgresCluster, require_postgres  # noqa: E402
from test_doveadm import ALICE, FAILURES, USERS  # noqa: E402
import test_nodes  # noqa: E402
from test_nodes import active_in_pg, pg_rows  # noqa: E402

# test_nodes' thresholds (the account rules that could protect alice, and
# /24 bans, off), and the long window off too: only the source's failures
# within lockout_ip_window count here
PLUGIN = dict(test_nodes.PLUGIN, lockout_ip_long_failures="0")
SLACK = 10.0
# seconds before a ban is seen in which a try counts as "in flight": a
# batch of failures (0.25 s), the other node's poll (0.15 s), the log
IN_FLIGHT = 0.7


def failures_in_pg(pg):
    """{ip: failures} of the history, the refusals of banned sources
    (result "refused") left out."""
    return {r[0]: int(r[1]) for r in pg_rows(
        pg, "SELECT ip, sum(count) FROM %s.failures WHERE result <> "
        "'refused' GROUP BY ip" % PG_ROLE)}


def dovecot(pg, node=None, **settings):
    plugin = dict(PLUGIN)
    plugin.update(pg_store(pg))
    if node is not None:
        plugin["lockout_node"] = node
    plugin.update(settings)
    return Dovecot(module_dirs=find_lockout_modules(), users=dict(USERS),
                   plugin_settings=plugin)


def wait_loaded(d, since=0):
    """The worker connected and the first snapshot is applied."""
    d.wait_for_log(r"lockout: Ban table .* active bans and protections",
                   timeout=SLACK, since=since)


@contextlib.contextmanager
def single(**settings):
    require_postgres()
    with PostgresCluster() as pg:
        with dovecot(pg, **settings) as d:
            wait_loaded(d)
            yield pg, d


_guesses = itertools.count(1)


def try_login(d, ip, password=None, user=ALICE):
    """One PLAIN as if from ip (a new wrong password: a repeated one is
    not a new guess): (ok, seconds it took)."""
    if password is None:
        password = "guess-%d" % next(_guesses)
    t0 = time.monotonic()
    with AuthClient(d) as a:
        ok, line, _ = a.plain(user, password, rip=ip, service="imap")
    return ok, time.monotonic() - t0


def refused(d, ip):
    ok, _ = try_login(d, ip, USERS[ALICE])
    return not ok


def fail(d, ip, n):
    """n failed logins from ip: the seconds each took."""
    times = []
    for _ in range(n):
        ok, took = try_login(d, ip)
        assert not ok
        times.append(took)
    return times


# --------------------------------------------------------------------------

def test_failure_ban_lands_in_postgresql():
    with single() as (pg, d):
        ip = "198.18.1.10"
        fail(d, ip, FAILURES)
        assert refused(d, ip)
        wait_until("the ban in PostgreSQL", lambda: ip in active_in_pg(pg),
                   timeout=2.0)
        # the failures are written with the next batch (within a second)
        wait_until("the failure rows in PostgreSQL",
                   lambda: failures_in_pg(pg).get(ip, 0) >= FAILURES,
                   timeout=3.0)
        assert not d.log_errors(), d.log_errors()
        # and the SQLite file was never made
        assert not os.path.exists(os.path.join(d.lockout_dir, "lockout.db"))


def test_ban_by_another_connection_refused_within_a_second():
    with single() as (pg, d):
        ip = "198.18.2.10"
        assert not refused(d, ip)
        # as another node or an administrator's script would
        now = int(time.time())
        pg_rows(pg, "INSERT INTO %s.bans (target, kind, source, reason, "
                "rule, created, expires) VALUES ('%s', 'ip', 'manual', "
                "'test', 'manual', %d, %d)" % (PG_ROLE, ip, now, now + 3600))
        t0 = time.monotonic()
        wait_until("the refusal", lambda: refused(d, ip), timeout=SLACK)
        took = time.monotonic() - t0
        assert took < 1.0, "refused after %.2f s" % took


def test_outage_logins_never_wait_bans_from_memory_written_later():
    with single() as (pg, d):
        before = "198.18.3.9"
        # a failed login takes Dovecot's failure delay anyway
        baseline = fail(d, before, FAILURES)
        wait_until("the first ban in PostgreSQL",
                   lambda: before in active_in_pg(pg), timeout=2.0)
        mark = d.log_mark()
        pg.stop()
        ip = "198.18.3.10"
        times = fail(d, ip, FAILURES)
        # banned in memory: even the right password is refused
        ok, took = try_login(d, ip, USERS[ALICE])
        times.append(took)
        assert not ok, "not banned while PostgreSQL is down"
        assert max(times) < max(baseline) + 0.2, \
            "a login waited: %s (before the outage: %s)" % (times, baseline)
        # what was loaded before is still enforced; others get in at once
        assert refused(d, before)
        ok, took = try_login(d, "198.18.3.11", USERS[ALICE])
        assert ok
        assert took < 0.2, "a successful login took %.2f s" % took
        d.wait_for_log(r"lockout: Ban table .* is unusable: .*"
                       r"lockout_on_error=allow", timeout=SLACK,
                       since=mark)
        # down for a few retries, then back
        time.sleep(3)
        pg.start()
        wait_until("the ban made during the outage in PostgreSQL",
                   lambda: ip in active_in_pg(pg), timeout=SLACK)
        wait_until("the failures of the outage in PostgreSQL",
                   lambda: failures_in_pg(pg).get(ip, 0) >= FAILURES,
                   timeout=SLACK)
        d.wait_for_log(r"lockout: Ban table .* is usable again",
                       timeout=SLACK, since=mark)
        # once at once, then once a minute: not every retry
        text = d.log_text()[mark:]
        assert text.count("is unusable") <= 2, text


def test_connection_logged_without_password():
    require_postgres()
    with PostgresCluster() as pg:
        settings = pg_store(pg)
        secret = "sekrit-d0-not-log"
        with dovecot(pg, lockout_db=settings["lockout_db"] +
                     " password=" + secret) as d:
            d.wait_for_log(r"lockout: Ban table .* is unusable",
                           timeout=SLACK)
            text = d.log_text()
            assert secret not in text, text
            assert "dbname=" in text
            assert "password authentication failed" in text, text
            # lockout_on_error=allow: logins go on
            assert try_login(d, "198.18.4.10", USERS[ALICE])[0]


def test_on_error_deny_refuses_while_down():
    with single(lockout_on_error="deny") as (pg, d):
        assert try_login(d, "198.18.5.10", USERS[ALICE])[0]
        pg.stop()
        ip = "198.18.5.11"
        # the next poll finds the connection gone
        wait_until("the refusal", lambda: refused(d, ip), timeout=SLACK)
        pg.start()
        wait_until("logins again", lambda: not refused(d, ip),
                   timeout=SLACK)


def test_two_nodes_share_bans_and_count_together():
    require_postgres()
    with PostgresCluster() as pg:
        with dovecot(pg, node="node1") as d1, \
                dovecot(pg, node="node2") as d2:
            wait_loaded(d1)
            wait_loaded(d2)
            # a ban made by node 1's failures, refused by node 2
            ip = "198.18.6.10"
            fail(d1, ip, FAILURES)
            t0 = time.monotonic()
            wait_until("node 2 refusing", lambda: refused(d2, ip),
                       timeout=SLACK)
            assert time.monotonic() - t0 < 1.5
            # round-robin: each node sees half of the failures, too few
            # for a ban; the failures of the other node come in within
            # ~1 s (its batch), so the attacker waits that long between
            # tries
            ip = "198.18.6.20"
            banned = "Banned %s " % ip
            nodes = [d1, d2]
            for i in range(FAILURES):
                assert banned not in d1.log_text() + d2.log_text(), \
                    "banned after %d failures" % i
                ok, _ = try_login(nodes[i % 2], ip)
                assert not ok
                time.sleep(1.5)
            # banned after FAILURES in all, on both nodes
            assert banned in d1.log_text() + d2.log_text()
            assert refused(d1, ip), d1.log_tail()
            assert refused(d2, ip), d2.log_tail()
            # the failure rows carry their node
            nodes_seen = {r[0] for r in pg_rows(
                pg, "SELECT DISTINCT node FROM %s.failures WHERE "
                "ip = '%s'" % (PG_ROLE, ip))}
            assert nodes_seen == {"node1", "node2"}, nodes_seen
            # each failure written once (not again by the node that
            # counted it from the table)
            assert failures_in_pg(pg).get(ip) == FAILURES, \
                failures_in_pg(pg)
            # as fast as it can: banned at the threshold give or take the
            # tries in flight - those sent within IN_FLIGHT seconds before
            # the ban was seen (a node writes its failures every 0.25 s,
            # the other reads them within 0.15 s; a failed login is
            # answered after Dovecot's failure delay, about 0.5 s on
            # 2.3, at once on 2.4)
            ip = "198.18.6.30"
            sent = []
            while len(sent) < 3 * FAILURES:
                sent.append(time.monotonic())
                ok, _ = try_login(nodes[len(sent) % 2], ip)
                assert not ok
                if "Banned %s " % ip in d1.log_text() + d2.log_text():
                    break
            tries = len(sent)
            in_flight = sum(1 for t in sent if t > time.monotonic() -
                            IN_FLIGHT)
            sys.stderr.write("    round-robin without pauses: banned "
                             "after %d failures (lockout_ip_failures = "
                             "%d, %d sent in the last %.1f s)\n"
                             % (tries, FAILURES, in_flight, IN_FLIGHT))
            assert FAILURES <= tries <= FAILURES + max(1, in_flight), \
                (tries, in_flight)


if __name__ == "__main__":
    main(globals())
