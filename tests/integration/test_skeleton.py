# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""The walking skeleton against a real Dovecot: per-IP bans refused before
the password check, the ban table, observe mode, lockout_on_error, stats
restarts, settings errors.

Run as root after building: /usr/bin/python3 tests/integration/test_skeleton.py [test ...]
"""

import json
import os
import re
import sqlite3
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lockout_harness import (  # noqa: E402
    failures_db,
    AuthClient, Dovecot, HarnessError, auth_client_cram_md5,
    auth_client_plain, find_lockout_modules, imap_login, main,
    passdb_conf, pop3_login)

ALICE = "alice@example.org"
BOB = "bob@example.org"
USERS = {ALICE: "alice-secret", BOB: "bob-secret"}
FAILURES = 3
CONTRACT_FIELDS = ("target", "kind", "reason", "source", "created",
                   "expires", "failures")


def instance(**settings):
    plugin = {"lockout_ip_failures": str(FAILURES),
              "lockout_ip_window": "10 mins",
              "lockout_ban_time": "1 hour"}
    extra = settings.pop("extra_conf", "")
    plugin.update(settings)
    return Dovecot(module_dirs=find_lockout_modules(), users=dict(USERS),
                   plugin_settings=plugin, extra_conf=extra)


def parallel(fn, args_list):
    """Dovecot 2.3 answers failures from a 0.5 s timer: send them at once."""
    results = [None] * len(args_list)

    def run(i, args):
        results[i] = fn(*args)
    threads = [threading.Thread(target=run, args=(i, a))
               for i, a in enumerate(args_list)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def imap_fail_many(d, src, count=FAILURES, user=ALICE):
    """count failures with distinct wrong passwords (a repeated one counts
    once: that is a stale client, not an attack)"""
    res = parallel(lambda i: imap_login(d, user, "wrong%d" % i, src=src),
                   [(i,) for i in range(count)])
    for ok, line in res:
        assert not ok, line


def wait_banned_in_table(d, target, timeout=3.0):
    deadline = time.monotonic() + timeout
    while True:
        bans = d.doveadm_json("lockout", "list")
        for b in bans:
            if b["target"] == target:
                return b
        if time.monotonic() > deadline:
            raise AssertionError("%s not in lockout list: %r" % (target, bans))
        time.sleep(0.1)


def db_path(d):
    return os.path.join(d.lockout_dir, "lockout.db")


def db_rows(d, sql, args=()):
    con = failures_db(db_path(d), timeout=5)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def ban_and_refuse_twice(d, src="127.0.0.3"):
    """Have src banned, then refused twice (the right password)."""
    imap_fail_many(d, src)
    wait_banned_in_table(d, src)
    for _ in range(2):
        ok, line = imap_login(d, ALICE, USERS[ALICE], src=src)
        assert not ok, line
        assert "AUTHENTICATIONFAILED" in line, line


def metric_counts(d):
    """{metric name: count} from doveadm stats dump, and its text."""
    rc, out, err = d.doveadm("-f", "tab", "stats", "dump")
    lines = [ln.split("\t") for ln in out.splitlines()]
    head = lines[0]
    return {row[head.index("metric_name")]: int(row[head.index("count")])
            for row in lines[1:]}, out


# --- the basic story -------------------------------------------------------

def test_brute_force_ip_is_banned_and_refused_before_password_check():
    with instance() as d:
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.2")
        assert ok, line
        mark = d.log_mark()
        imap_fail_many(d, "127.0.0.3")
        d.wait_for_log(r"lockout: Banned 127\.0\.0\.3 ", since=mark)
        # the right password from the banned address: refused, with the
        # same answer as a wrong password, and no password check happened
        mark = d.log_mark()
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.3")
        assert not ok, line
        assert "AUTHENTICATIONFAILED" in line, line
        time.sleep(0.3)
        after = d.log_text()[mark:]
        assert "passwd-file" not in after, after
        ok, line = pop3_login(d, ALICE, USERS[ALICE], src="127.0.0.3")
        assert not ok, line
        # other addresses still log in
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.4")
        assert ok, line
        ok, line = pop3_login(d, BOB, USERS[BOB], src="127.0.0.2")
        assert ok, line


def test_later_requests_of_a_connection_are_checked_without_a_passdb_step():
    """A login process keeps one connection to the auth process for all
    its logins. passdb lockout runs for the connection's first request;
    the later ones are checked in the connection's handler and go straight
    to the next passdb when they may (issue 12: a lighter success path).
    A ban still refuses them on that connection, before the password
    check, answered in the handler too (no passdb step at all), with the
    refusal's log line, and counted as a refusal of the source."""
    plugin = {"lockout_ip_failures": str(FAILURES),
              "lockout_ip_window": "10 mins", "lockout_ban_time": "1 hour"}
    with Dovecot(module_dirs=find_lockout_modules(), users=dict(USERS),
                 plugin_settings=plugin, auth_debug=True) as d:
        with AuthClient(d) as c:
            mark = d.log_mark()
            for i in range(4):
                ok, line, _ = c.plain(ALICE, USERS[ALICE], rip="127.0.0.7")
                assert ok, (i, line)
            time.sleep(0.3)
            # 2.3: "lockout(user,ip): Performing ...", 2.4: "lockout: ..."
            lookups = re.findall(r"Debug: ([\w-]+)(?:\([^)]*\))?: "
                                 r"Performing passdb lookup",
                                 d.log_text()[mark:])
            # passdb lockout once, then the real passdb for each login
            assert lookups.count("lockout") == 1, d.log_text()[mark:]
            assert len(lookups) == 5, d.log_text()[mark:]
            d.doveadm("lockout", "ban", "127.0.0.7", "-r", "by hand")
            time.sleep(1.2)
            mark = d.log_mark()
            ok, line, _ = c.plain(ALICE, USERS[ALICE], rip="127.0.0.7")
            assert not ok, line
            time.sleep(0.3)
            after = d.log_text()[mark:]
            assert "lockout: Refused: 127.0.0.7 is banned" in after, after
            assert "passwd-file" not in after, after
            assert not re.search(r"Debug: lockout(?:\([^)]*\))?: "
                                 r"Performing passdb lookup", after), after
            # a second refusal on the connection, then both in the history
            ok, line, _ = c.plain(ALICE, "wrong", rip="127.0.0.7")
            assert not ok, line
            # the other addresses on the same connection go on
            ok, line, _ = c.plain(BOB, USERS[BOB], rip="127.0.0.8")
            assert ok, line
        time.sleep(1.5)  # the write queue's flush
        show = d.doveadm_json("lockout", "show", "127.0.0.7")[0]
        assert show["history_refused"] == 2, show
        assert show["history_failures"] == 0, show


def test_below_threshold_not_banned():
    with instance() as d:
        imap_fail_many(d, "127.0.0.3", count=FAILURES - 1)
        time.sleep(0.6)
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.3")
        assert ok, line
        assert d.doveadm_json("lockout", "list") == []


def test_pop3_failures_count():
    with instance() as d:
        res = parallel(lambda i: pop3_login(d, ALICE, "wrong%d" % i,
                                            src="127.0.0.5"),
                       [(i,) for i in range(FAILURES)])
        assert not any(ok for ok, _ in res), res
        wait_banned_in_table(d, "127.0.0.5")
        ok, line = pop3_login(d, ALICE, USERS[ALICE], src="127.0.0.5")
        assert not ok, line


def test_unknown_user_failures_count():
    with instance() as d:
        res = parallel(lambda u: imap_login(d, u, "x", src="127.0.0.6"),
                       [("nobody%d@example.org" % i,) for i in
                        range(FAILURES)])
        assert not any(ok for ok, _ in res), res
        ban = wait_banned_in_table(d, "127.0.0.6")
        assert ban["failures"] == FAILURES, ban
        rows = db_rows(d, "SELECT evidence FROM bans WHERE target = ?",
                       ("127.0.0.6",))
        ev = json.loads(rows[0][0])
        assert ev["unknown_user_failures"] == FAILURES, ev
        assert ev["distinct_users"] == FAILURES, ev
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.6")
        assert not ok, line


def test_smtp_auth_through_auth_client_socket():
    with instance() as d:
        ok, line = auth_client_plain(d, ALICE, USERS[ALICE], service="smtp",
                                     rip="127.0.0.9")
        assert ok, line
        client = AuthClient(d)
        try:
            res = client.plain_many([(ALICE, "wrong%d" % i)
                                     for i in range(FAILURES)],
                                    service="smtp", rip="127.0.0.9")
        finally:
            client.close()
        assert not any(ok for ok, _, _ in res), res
        ban = wait_banned_in_table(d, "127.0.0.9")
        rows = db_rows(d, "SELECT evidence FROM bans WHERE target = ?",
                       ("127.0.0.9",))
        assert json.loads(rows[0][0])["services"] == ["smtp"], rows
        ok, line = auth_client_plain(d, ALICE, USERS[ALICE], service="smtp",
                                     rip="127.0.0.9")
        assert not ok, line
        # CRAM-MD5 has no plaintext: the refusal still happens first
        ok, line = auth_client_cram_md5(d, ALICE, USERS[ALICE],
                                        service="smtp", rip="127.0.0.9")
        assert not ok, line
        ok, line = auth_client_cram_md5(d, ALICE, USERS[ALICE],
                                        service="smtp", rip="127.0.0.10")
        assert ok, line
        assert ban["source"] == "auto"


def test_ipv6_sources_counted_and_banned_per_64():
    with instance() as d:
        client = AuthClient(d)
        try:
            res = client.plain_many([(ALICE, "wrong%d" % i,
                                      {"rip": "2001:db8:1:2::%x" % (i + 1)})
                                     for i in range(FAILURES)],
                                    service="imap")
        finally:
            client.close()
        assert not any(ok for ok, _, _ in res), res
        ban = wait_banned_in_table(d, "2001:db8:1:2::/64")
        assert ban["kind"] == "net", ban
        ok, line = auth_client_plain(d, ALICE, USERS[ALICE], service="imap",
                                     rip="2001:db8:1:2:ffff::9")
        assert not ok, line
        ok, line = auth_client_plain(d, ALICE, USERS[ALICE], service="imap",
                                     rip="2001:db8:1:3::1")
        assert ok, line


def test_cram_md5_mismatches_count():
    with instance() as d:
        for i in range(FAILURES):
            # no plaintext with CRAM-MD5: every failure counts
            ok, line = auth_client_cram_md5(d, ALICE, "wrong",
                                            service="imap", rip="127.0.0.11")
            assert not ok, line
        wait_banned_in_table(d, "127.0.0.11")


# --- the table ----------------------------------------------------------------

def test_ban_in_doveadm_list_json_with_contract_fields():
    with instance() as d:
        before = int(time.time())
        imap_fail_many(d, "127.0.0.3")
        ban = wait_banned_in_table(d, "127.0.0.3")
        for f in CONTRACT_FIELDS:
            assert f in ban, (f, ban)
        assert ban["kind"] == "ip" and ban["source"] == "auto", ban
        assert ban["failures"] == FAILURES, ban
        assert ban["reason"], ban
        created = time.mktime(time.strptime(ban["created"],
                                            "%Y-%m-%dT%H:%M:%SZ")) - \
            time.timezone
        expires = time.mktime(time.strptime(ban["expires"],
                                            "%Y-%m-%dT%H:%M:%SZ")) - \
            time.timezone
        assert before - 1 <= created <= time.time() + 1, ban
        assert expires - created == 3600, ban
        rc, out, _ = d.doveadm("lockout", "list")
        assert "127.0.0.3" in out and "target" in out, out
        rc, out, _ = d.doveadm("-f", "tab", "lockout", "list")
        assert out.splitlines()[0].split("\t")[:7] == list(CONTRACT_FIELDS)


def test_ban_is_durable_within_a_second():
    with instance() as d:
        mark = d.log_mark()
        imap_fail_many(d, "127.0.0.3")
        d.wait_for_log(r"lockout: Banned 127\.0\.0\.3 ", since=mark)
        t0 = time.monotonic()
        while not db_rows(d, "SELECT id FROM bans WHERE target = ?",
                          ("127.0.0.3",)):
            assert time.monotonic() - t0 < 1.0, "ban not written in 1 s"
            time.sleep(0.05)
        # the failure history is written too
        rows = db_rows(d, "SELECT ip, user, service, result, count "
                       "FROM failures")
        total = sum(r[4] for r in rows if r[0] == "127.0.0.3")
        assert total == FAILURES, rows
        assert all(r[2] == "imap" and r[3] == "mismatch" for r in rows), rows


def test_ban_survives_restart():
    with instance() as d:
        imap_fail_many(d, "127.0.0.3")
        wait_banned_in_table(d, "127.0.0.3")
        d.restart()
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.3")
        assert not ok, line
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.2")
        assert ok, line


def test_changes_by_another_process_followed_within_a_second():
    with instance() as d:
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.7")
        assert ok, line
        now = int(time.time())
        con = sqlite3.connect(db_path(d), timeout=5)
        con.execute("INSERT INTO bans (target, kind, source, reason, rule, "
                    "created, expires) VALUES ('127.0.0.7', 'ip', 'manual',"
                    " 'test', 'manual', ?, ?)", (now, now + 600))
        con.commit()
        time.sleep(1.0)
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.7")
        assert not ok, line
        # a /24 from elsewhere covers its addresses too
        con.execute("INSERT INTO bans (target, kind, source, reason, rule, "
                    "created, expires) VALUES ('127.0.8.0/24', 'net', "
                    "'manual', 'test', 'manual', ?, NULL)", (now,))
        # and a lift lets the address in again
        con.execute("UPDATE bans SET lifted = ? WHERE target = '127.0.0.7'",
                    (now + 1,))
        con.commit()
        con.close()
        time.sleep(1.0)
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.7")
        assert ok, line
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.8.9")
        assert not ok, line


def test_unban_clears_counters():
    with instance() as d:
        imap_fail_many(d, "127.0.0.3")
        wait_banned_in_table(d, "127.0.0.3")
        con = sqlite3.connect(db_path(d), timeout=5)
        con.execute("UPDATE bans SET lifted = ? WHERE target = '127.0.0.3'",
                    (int(time.time()),))
        con.commit()
        con.close()
        time.sleep(1.0)
        # one more failure must not ban again at once
        ok, line = imap_login(d, ALICE, "wrong", src="127.0.0.3")
        assert not ok
        time.sleep(0.5)
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.3")
        assert ok, line


# --- modes and failures --------------------------------------------------------

def test_observe_mode_never_refuses():
    with instance(lockout_mode="observe") as d:
        mark = d.log_mark()
        imap_fail_many(d, "127.0.0.3", count=FAILURES * 2)
        d.wait_for_log(r"lockout: Would ban 127\.0\.0\.3 ", since=mark)
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.3")
        assert ok, line
        assert "Banned" not in d.log_text()[mark:]
        # recorded, listed as observed, never active
        time.sleep(0.6)
        rows = db_rows(d, "SELECT observed FROM bans WHERE target = ?",
                       ("127.0.0.3",))
        assert rows and all(r[0] == 1 for r in rows), rows
        bans = d.doveadm_json("lockout", "list")
        assert all(b["state"] == "observed" for b in bans), bans


def test_observe_mode_logs_would_refuse_at_info():
    """observe mode says at info level (not only debug) which logins it
    would refuse: for its own observed bans and for manual ones."""
    with instance(lockout_mode="observe") as d:
        imap_fail_many(d, "127.0.0.5", count=FAILURES * 2)
        d.wait_for_log(r"lockout: Would ban 127\.0\.0\.5 ")
        d.doveadm("lockout", "ban", "127.0.0.6", "-r", "by hand")
        time.sleep(1.2)
        for src in ("127.0.0.5", "127.0.0.6"):
            mark = d.log_mark()
            ok, line = imap_login(d, ALICE, USERS[ALICE], src=src)
            assert ok, (src, line)
            d.wait_for_log(r"Info: .*lockout: Would refuse: %s is banned"
                           % re.escape(src), since=mark)
            # once a login: said by the connection's hook, the passdb
            # step then skipped (or by passdb lockout), never by both
            time.sleep(0.3)
            lines = re.findall(r"Would refuse: %s is banned"
                               % re.escape(src), d.log_text()[mark:])
            assert len(lines) == 1, lines


def _unusable_db_instance(on_error):
    d = instance(lockout_on_error=on_error)
    os.makedirs(d.lockout_dir, exist_ok=True)
    with open(db_path(d), "wb") as f:
        f.write(b"this is not an SQLite database, it is garbage" * 100)
    os.chown(db_path(d), 102 if False else os.stat(d.lockout_dir).st_uid,
             os.stat(d.lockout_dir).st_gid)
    return d


def test_unusable_table_on_error_allow():
    d = _unusable_db_instance("allow")
    with d:
        d.wait_for_log(r"lockout: Ban table .* is unusable: .*"
                       r"lockout_on_error=allow")
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.2")
        assert ok, line
        # bans still apply from memory
        imap_fail_many(d, "127.0.0.3")
        time.sleep(0.6)
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.3")
        assert not ok, line


def test_unusable_table_on_error_deny():
    d = _unusable_db_instance("deny")
    with d:
        d.wait_for_log(r"lockout: Ban table .* is unusable: .*"
                       r"ALL LOGINS ARE REFUSED")
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.2")
        assert not ok, line
        ok, line = auth_client_plain(d, ALICE, USERS[ALICE], rip="127.0.0.2")
        assert not ok, line
        # repaired: the retry picks it up and logins work again
        os.unlink(db_path(d))
        d.wait_for_log(r"lockout: Ban table .* is usable again", timeout=6)
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.2")
        assert ok, line


# The plugin checks every HEALTH_SECS that the requests which reached its
# passdb were also seen finishing, and says so in the log when not.
HEALTH_SECS = 30


def traffic_until(instances, deadline, src="127.0.0.2"):
    """Successful logins on each instance every half second until the
    monotonic deadline."""
    while time.monotonic() < deadline:
        for d in instances:
            ok, line = imap_login(d, ALICE, USERS[ALICE], src=src)
            assert ok, line
        time.sleep(0.5)


def test_keeps_observing_after_stats_restart():
    with instance() as d:
        # the health period started before the instance was ready
        health_end = time.monotonic() + HEALTH_SECS + 1.5
        d.kill_stats()
        # The auth process's stats client reconnects at most 10 s after its
        # last connect (STATS_CLIENT_RECONNECT_INTERVAL_MSECS); the new
        # handshake replaces the global debug send filter with the stats
        # process's own. No login before that: then every login of the
        # first health period comes after the replacement, and the health
        # check would report if none of them were observed.
        time.sleep(11.5)
        traffic_until([d], health_end)
        assert "Not observing" not in d.log_text(), d.log_tail()
        imap_fail_many(d, "127.0.0.4")
        wait_banned_in_table(d, "127.0.0.4")


def blind_module():
    """The test module that hides auth_request_finished from our plugin
    (tests/integration/lockout-test-blind.c), built beside the plugin."""
    auth = find_lockout_modules()["auth"][0]
    top = auth
    for _ in range(4):  # <top>/src/auth/.libs/<module>
        top = os.path.dirname(top)
    path = os.path.join(top, "tests", "integration", ".libs",
                        "lib10_lockout_test_blind.so")
    if not os.path.exists(path):
        raise HarnessError("%s is not built (scripts/build.sh)" % path)
    return path


def test_health_check_reports_unobserved_outcomes():
    modules = find_lockout_modules()
    modules["auth"] = [blind_module()] + modules["auth"]
    d = Dovecot(module_dirs=modules, users=dict(USERS),
                plugin_settings={"lockout_ip_failures": str(FAILURES)})
    with d:
        deadline = time.monotonic() + HEALTH_SECS + 10
        # logins reach the passdb, but their outcomes never reach us
        while not re.search(r"Not observing authentication outcomes: "
                            r"[1-9][0-9]* requests reached passdb lockout "
                            r"in the last 30 secs", d.log_text()):
            assert time.monotonic() < deadline, d.log_tail()
            traffic_until([d], time.monotonic() + 0.5)
        # and indeed failures are not counted: nobody is banned
        imap_fail_many(d, "127.0.0.3")
        time.sleep(0.6)
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.3")
        assert ok, line
        assert d.doveadm_json("lockout", "list") == []


def test_works_with_stats_writer_disabled():
    # docker-mailserver sets the stats-writer socket mode to 0
    extra = ("service stats {\n  unix_listener stats-writer {\n"
             "    mode = 0\n  }\n}\n")
    with instance(extra_conf=extra) as d:
        imap_fail_many(d, "127.0.0.3")
        wait_banned_in_table(d, "127.0.0.3")
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.3")
        assert not ok, line


def test_events_counted_by_metric_blocks():
    extra = ("metric lockout_bans {\n  filter = event=lockout_ban_created\n"
             "}\nmetric lockout_refused {\n"
             "  filter = event=lockout_request_refused\n}\n")
    with instance(extra_conf=extra) as d:
        ban_and_refuse_twice(d)
        time.sleep(0.5)
        counts, out = metric_counts(d)
        assert counts.get("lockout_bans") == 1, out
        assert counts.get("lockout_refused") == 2, out
        # refusals are sent at debug level: they must not flood the log
        assert "Refused" not in d.log_text(), d.log_tail()


def test_refusal_event_reaches_every_metric_that_can_want_it():
    """A refusal's event is built only when something could want it
    (issue 12: building it for nobody was 5% of the auth process in a
    flood of refusals). Whatever a metric's filter looks like - a
    wildcard, an OR, a NOT, only a field of the event - the event still
    reaches it; a metric on other events only does not count it."""
    metrics = {
        "refused_wildcard": "event=lockout_req* AND reason=banned",
        "refused_or": "(event=auth_request_finished OR "
                      "event=lockout_request_refused) AND mode=enforce",
        "refused_not": "NOT event=auth_* AND ban_target=127.0.0.3",
        "refused_field": "reason=banned",
        "other_event": "event=lockout_ban_created",
    }
    extra = "".join("metric %s {\n  filter = %s\n}\n" % m
                    for m in metrics.items())
    with instance(extra_conf=extra) as d:
        ban_and_refuse_twice(d)
        time.sleep(0.5)
        counts, out = metric_counts(d)
        for name in ("refused_wildcard", "refused_or", "refused_not",
                     "refused_field"):
            assert counts.get(name) == 2, (name, out)
        assert counts.get("other_event") == 1, out
        assert "Refused" not in d.log_text(), d.log_tail()


def test_refusal_logged_for_a_log_debug_filter():
    extra = "log_debug = event=lockout_request_refused\n"
    with instance(extra_conf=extra) as d:
        ban_and_refuse_twice(d)
        time.sleep(0.3)
        log = d.log_text()
        assert log.count("lockout: Refused: 127.0.0.3 is banned") == 2, log


def test_refusal_without_consumers_refuses_and_counts():
    """With no filter that could want it (a metric on other events only,
    no log_debug, no auth_debug), a refusal's event is not built: the
    refusal is the same, it is counted as a refusal of its source, and
    no line is logged."""
    extra = "metric lockout_bans {\n  filter = event=lockout_ban_created\n}\n"
    with instance(extra_conf=extra) as d:
        ban_and_refuse_twice(d)
        time.sleep(1.5)  # the write queue's flush
        show = d.doveadm_json("lockout", "show", "127.0.0.3")[0]
        assert show["history_refused"] == 2, show
        assert "Refused" not in d.log_text(), d.log_tail()


def test_outcome_counted_once_when_a_metric_wants_the_finished_event():
    """The observer takes a request's outcome at the handler's reply and
    asks Dovecot not to send its auth_request_finished; a metric on that
    event makes Dovecot send it anyway, and then the outcome reaches the
    observer twice (the event first): it must be counted once, in the
    failure history as in the engine."""
    extra = ("metric lockout_test_finished {\n"
             "  filter = event=auth_request_finished\n}\n")
    with instance(extra_conf=extra) as d:
        imap_fail_many(d, "127.0.0.3", count=FAILURES - 1)
        # another password (a repeated one counts once)
        ok, line = imap_login(d, ALICE, "wrong-last", src="127.0.0.3")
        assert not ok, line
        ban = wait_banned_in_table(d, "127.0.0.3")
        assert int(ban["failures"]) == FAILURES, ban
        # the history's batch is written within a second
        deadline = time.monotonic() + 3.0
        while True:
            counted = db_rows(d, "SELECT coalesce(sum(count), 0) FROM "
                              "failures WHERE ip = '127.0.0.3'")[0][0]
            if counted >= FAILURES or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        time.sleep(1.2)
        counted = db_rows(d, "SELECT coalesce(sum(count), 0) FROM "
                          "failures WHERE ip = '127.0.0.3'")[0][0]
        assert counted == FAILURES, counted
        counts, out = metric_counts(d)
        # the events were sent: both ways in ran
        assert counts.get("lockout_test_finished", 0) >= FAILURES, out


def test_allow_networks_never_banned():
    with instance(lockout_allow_networks="127.0.0.0/30") as d:
        imap_fail_many(d, "127.0.0.3", count=FAILURES + 1)
        imap_fail_many(d, "127.0.0.4")
        wait_banned_in_table(d, "127.0.0.4")
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.3")
        assert ok, line
        assert [b["target"] for b in d.doveadm_json("lockout", "list")] == \
            ["127.0.0.4"]


def test_invalid_setting_stops_auth_with_a_clear_message():
    d = instance(lockout_ip_window="10 parsecs")
    try:
        d.start()
    except HarnessError as e:
        msg = str(e)
    else:
        d.close()
        raise AssertionError("Dovecot started with an invalid setting")
    finally:
        d.close()
    assert "lockout_ip_window" in msg and "10 parsecs" in msg, msg


def test_unknown_lockout_setting_is_an_error():
    d = instance(lockout_ip_failurez="3")
    try:
        d.start()
    except HarnessError as e:
        msg = str(e)
    else:
        raise AssertionError("Dovecot started with a misspelt setting")
    finally:
        d.close()
    assert "lockout_ip_failurez" in msg, msg


def test_passdb_order_is_checked():
    d = Dovecot(module_dirs=find_lockout_modules(), users=dict(USERS),
                passdb_lockout=False,
                extra_conf=passdb_conf("lockout", "lockout"))
    with d:
        # the lockout passdb comes after passwd-file here
        imap_login(d, ALICE, USERS[ALICE], src="127.0.0.2")
        d.wait_for_log(r"lockout: passdb lockout is not the first passdb.*"
                       r"auth-lockout\.conf\.ext")


REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _example(name, v24):
    path = os.path.join(REPO, "conf.d", "2.4" if v24 else "", name)
    with open(path) as f:
        return f.read()


def test_conf_examples_work_as_shipped():
    """conf.d's examples in the running Dovecot's syntax (conf.d/ for 2.3,
    conf.d/2.4/ for 2.4) with every setting uncommented at the value shown
    (lockout_db aside: the instance's own): Dovecot takes them, the lockout
    passdb comes first, and it bans and refuses."""
    d = Dovecot(module_dirs=find_lockout_modules(), users=dict(USERS),
                passdb_lockout=False, auth_conf="")
    settings = re.sub(r"^(\s*)#(lockout_(?!db )\w+ =)", r"\1\2",
                      _example("90-lockout.conf", d.v24), flags=re.M)
    assert settings.count("lockout_ip_failures = 10\n") == 1, settings
    # loopback is in the example's lockout_allow_networks: the clients
    # below come from 127.0.0.x, so it is left out here
    settings += ("lockout_allow_networks =\n" if d.v24 else
                 "plugin {\n  lockout_allow_networks =\n}\n")
    # after the example's passdb, the harness's passwd-file (2.3 has
    # no passdb names; 2.4 takes them from the block names)
    if d.v24:
        users = ("passdb passwd-file {\n"
                 "  passwd_file_path = %s\n"
                 "  default_password_scheme = PLAIN\n"
                 "  auth_username_format = %%{user}\n}\n"
                 "userdb passwd-file {\n"
                 "  passwd_file_path = %s\n"
                 "  auth_username_format = %%{user}\n}\n"
                 % (d.passwd_path, d.passwd_path))
    else:
        users = ("passdb {\n  driver = passwd-file\n"
                 "  args = scheme=PLAIN username_format=%%u %s\n}\n"
                 "userdb {\n  driver = passwd-file\n"
                 "  args = username_format=%%u %s\n}\n"
                 % (d.passwd_path, d.passwd_path))
    d.auth_conf = _example("auth-lockout.conf.ext", d.v24) + users
    d.extra_conf = settings
    with d:
        out, drivers = d.doveconf_n_passdbs()
        assert drivers == ["lockout", "passwd-file"], (drivers, out)
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.2")
        assert ok, line
        # the example's lockout_ip_failures (10) distinct failures ban
        mark = d.log_mark()
        parallel(lambda i: imap_login(d, ALICE, "guess-%d" % i,
                                      src="127.0.0.3"),
                 [(i,) for i in range(10)])
        d.wait_for_log(r"lockout: Banned 127\.0\.0\.3 ", since=mark)
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.3")
        assert not ok, line
        ok, line = imap_login(d, BOB, USERS[BOB], src="127.0.0.2")
        assert ok, line


if __name__ == "__main__":
    main(globals())
