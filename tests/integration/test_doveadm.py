# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""doveadm lockout against a real Dovecot: list, show, ban, unban, allow,
top and stats in table and JSON output, their effect on the running auth
process, every bad input with its exit code and an unchanged table,
concurrent use during an attack, the HTTP API and the manual page.

Run as root after building: /usr/bin/python3 tests/integration/test_doveadm.py [test ...]
"""

import base64
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lockout_harness import (  # noqa: E402
    failures_db,
    AuthClient, Dovecot, _free_port_base, dovecot_version,
    find_lockout_modules, imap_login, wait_until,
    main)
from lockout_nodes import PG_PASSWORD, pg_store  # noqa: E402
from lockout_pg import PostgresCluster, require_postgres  # noqa: E402

ALICE = "alice@example.org"
BOB = "bob@example.org"
USERS = {ALICE: "alice-secret", BOB: "bob-secret"}
FAILURES = 3
CONTRACT_FIELDS = ("target", "kind", "reason", "source", "created",
                   "expires", "failures")
# the stored tables (the failure history is packed: failure_batches)
TABLES = ("bans", "allowed", "failure_batches", "known_devices", "events")
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

EX_USAGE = 64
EX_NOTPOSSIBLE = 65
EX_NOTFOUND = 68
EX_TEMPFAIL = 75


def instance(**settings):
    plugin = {"lockout_ip_failures": str(FAILURES),
              "lockout_ip_window": "10 mins",
              "lockout_ban_time": "1 hour",
              "lockout_targeted_users": "admin info"}
    extra = settings.pop("extra_conf", "")
    wait_auth = settings.pop("wait_auth", True)
    plugin.update(settings)
    return Dovecot(module_dirs=find_lockout_modules(), users=dict(USERS),
                   plugin_settings=plugin, extra_conf=extra,
                   wait_auth=wait_auth)


def db_path(d):
    return os.path.join(d.lockout_dir, "lockout.db")


def dump(d):
    """Every row of every table, to compare before and after."""
    con = sqlite3.connect("file:%s?mode=ro" % db_path(d), uri=True,
                          timeout=10)
    try:
        return {t: sorted(con.execute("SELECT * FROM %s" % t).fetchall(),
                          key=repr)
                for t in TABLES}
    finally:
        con.close()


def insert_bans(d, rows):
    """Write permanent manual bans with sqlite3, as another writer would:
    (target, kind, reason, created, failures) each."""
    con = sqlite3.connect(db_path(d), timeout=10)
    try:
        with con:
            con.executemany(
                "INSERT INTO bans (target, kind, source, reason, rule, "
                "created, expires, lifted, failures, evidence, observed)"
                " VALUES (?, ?, 'manual', ?, 'manual', ?, NULL, NULL, ?, "
                "'{}', 0)", rows)
    finally:
        con.close()


def db_rows(d, sql, args=()):
    con = failures_db(db_path(d), timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def ok(d, *args):
    """Run doveadm ARGS, which must succeed; return stdout."""
    return d.doveadm(*args)[1]


def js(d, *args):
    return d.doveadm_json(*args)


def fails(d, code, words, *args):
    """Run doveadm ARGS, which must fail with exit code `code` and one line
    on stderr containing `words`."""
    rc, out, err = d.doveadm(*args, check=False)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert rc == code, (args, rc, out, err)
    assert len(lines) == 1, (args, err)
    assert words in lines[0], (args, words, err)
    return lines[0]


def wait_for(fn, what, timeout=5.0):
    """lockout_harness.wait_until() with this file's argument order and
    timeout."""
    return wait_until(what, fn, timeout=timeout, interval=0.1)


def history_total(d):
    return db_rows(d, "SELECT coalesce(sum(count), 0) FROM failures")[0][0]


def attack(d, attempts, service="imap"):
    """attempts: [(user, password, rip)], all at once over one
    auth-client connection; none may succeed."""
    with AuthClient(d) as client:
        res = client.plain_many([(u, p, {"rip": ip})
                                 for u, p, ip in attempts],
                                service=service)
    assert not any(r[0] for r in res), res


def ban_by_target(d, target):
    for b in js(d, "lockout", "list"):
        if b["target"] == target:
            return b
    return None


def iso_to_unix(s):
    return int(time.mktime(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ")) -
               time.timezone)


# --- the commands and their output --------------------------------------------

def test_list_show_top_stats_table_and_json():
    with instance() as d:
        # an attack spread so that no address reaches the threshold (the
        # usernames admin and info are targeted names here); one /24 each,
        # so that no network ban joins them
        spread = [("admin", "x", "127.1.31.1"),
                  ("info@example.org", "x", "127.1.31.1"),
                  ("admin", "x", "127.1.32.1"),
                  ("info@example.org", "x", "127.1.32.1"),
                  ("admin", "x", "127.1.33.1"),
                  (ALICE, "wrong", "127.1.34.1"),
                  ("nobody@example.org", "x", "127.1.34.1")]
        attack(d, spread)
        # ...and one address that is banned for it
        attack(d, [(BOB, "b", "127.1.40.1"), ("test", "c", "127.1.40.1"),
                   ("nobody@example.org", "d", "127.1.40.1")])
        wait_for(lambda: history_total(d) >= 10, "the failure history")
        ban = wait_for(lambda: ban_by_target(d, "127.1.40.1"), "the ban")

        # list: table, json with the contract fields, tab, flow
        out = ok(d, "lockout", "list")
        head = out.splitlines()[0].split()
        # the default table: the contract's fields, the free-text reason
        # last (aligned); -f keeps the order
        assert head == ["target", "kind", "source", "created", "expires",
                        "failures", "rule", "state", "reason"], out
        assert "127.1.40.1" in out and "ip_failures" in out, out
        for f in CONTRACT_FIELDS:
            assert f in ban, (f, ban)
        assert ban["kind"] == "ip" and ban["source"] == "auto", ban
        assert ban["failures"] == FAILURES and ban["state"] == "active"
        out = ok(d, "-f", "tab", "lockout", "list", "-k", "ip")
        lines = out.splitlines()
        assert lines[0].split("\t")[:7] == list(CONTRACT_FIELDS), out
        assert "127.1.40.1" in [ln.split("\t")[0] for ln in lines], out
        out = ok(d, "-f", "flow", "lockout", "list")
        assert "target=127.1.40.1 kind=ip" in out, out

        # show: one field per line; json: one object
        out = ok(d, "lockout", "show", "127.1.40.1")
        fields = dict(ln.split(": ", 1) if ": " in ln else (ln[:-1], "")
                      for ln in out.splitlines())
        assert fields["state"] == "banned", out
        assert fields["rule"] == "ip_failures", out
        assert fields["threshold"] == str(FAILURES), out
        assert fields["window"] == "10 mins", out
        assert fields["distinct_users"] == "3", out
        assert fields["users"] == "bob@example.org (1), " \
            "nobody@example.org (1), test (1)", out
        assert fields["services"] == "imap (3)", out
        assert fields["history_failures"] == "3", out
        show = js(d, "lockout", "show", "127.1.40.1")[0]
        assert show["target"] == "127.1.40.1" and show["kind"] == "ip"
        assert show["banned_by"] == "127.1.40.1", show
        assert show["bans"] == 1 and show["failures"] == FAILURES, show
        assert show["expires"] == ban["expires"], (show, ban)
        assert show["evidence_failures"] == FAILURES, show
        assert show["evidence_rule"] == "ip_failures", show
        assert "active" in show["ban_history"], show
        show = js(d, "lockout", "show", "127.1.34.1")[0]
        assert show["state"] == "not banned" and show["bans"] == 0, show
        assert show["history_failures"] == 2, show
        assert show["users"] == \
            "alice@example.org (1), nobody@example.org (1)", show
        show = js(d, "lockout", "show", "admin")[0]
        assert show["kind"] == "user" and show["account"] == 0, show
        assert show["history_failures"] + show["history_refused"] == 3
        assert show["sources"] == \
            "127.1.31.1 (1), 127.1.32.1 (1), 127.1.33.1 (1)", show
        show = js(d, "lockout", "show", ALICE)[0]
        assert show["account"] == 1, show
        show = js(d, "lockout", "show", "127.1.0.0/16")[0]
        assert show["kind"] == "net", show
        assert show["history_failures"] + show["history_refused"] == 10
        assert show["sources"].startswith("127.1.40.1 (3), "), show

        # top users: the usernames the attack tried, most tried first,
        # whether each exists and is a targeted name
        out = ok(d, "lockout", "top", "users")
        assert out.splitlines()[0].split() == \
            ["user", "failures", "ips", "first", "last", "exists",
             "targeted"], out
        assert out.splitlines()[1].split()[:3] == ["admin", "3", "3"], out
        top = js(d, "lockout", "top", "users")
        assert [(r["user"], r["failures"]) for r in top] == \
            [("admin", 3), ("info@example.org", 2),
             ("nobody@example.org", 2), (ALICE, 1), (BOB, 1),
             ("test", 1)], top
        assert [r["exists"] for r in top] == [0, 0, 0, 1, 1, 0], top
        assert [r["targeted"] for r in top] == [1, 1, 0, 0, 0, 0], top
        assert top[0]["ips"] == 3 and top[2]["ips"] == 2, top
        assert [r["user"] for r in js(d, "lockout", "top", "users",
                                      "-n", "2")] == \
            ["admin", "info@example.org"]
        assert js(d, "lockout", "top", "users", "-s", "1 hour")[0][
            "user"] == "admin"

        top = js(d, "lockout", "top", "ips")
        assert top[0]["ip"] == "127.1.40.1" and top[0]["banned"] == 1
        assert top[0]["users"] == 3, top
        assert {r["ip"]: r["banned"] for r in top}["127.1.34.1"] == 0
        top = js(d, "lockout", "top", "services")
        assert top == [{"service": "imap", "failures": 10, "users": 6,
                        "first": top[0]["first"],
                        "last": top[0]["last"]}], top

        # stats: one field per line; json: numbers
        out = ok(d, "lockout", "stats")
        assert "bans_ip: " in out and "failures_hour: " in out, out
        st = js(d, "lockout", "stats")[0]
        assert st["bans"] >= 1 and st["bans_ip"] >= 1, st
        assert st["bans_auto"] == st["bans"] and st["bans_manual"] == 0
        assert st["failures_hour"] + st["refused_hour"] == 10, st
        assert st["failures_day"] + st["refused_day"] == 10, st
        assert st["rows_bans"] >= 1 and st["db_bytes"] > 0, st
        assert st["mode"] == "enforce" and st["db"] == db_path(d), st
        # active bans by rule (issue 13): every one of the list, once
        by_rule = {k[len("bans_rule_"):]: v for k, v in st.items()
                   if k.startswith("bans_rule_")}
        assert "ip_spread" in by_rule and "other" in by_rule, st
        assert sum(by_rule.values()) == st["bans"], st
        listed = [b["rule"] for b in js(d, "lockout", "list")]
        assert by_rule["ip_failures"] == listed.count("ip_failures") >= 1
        assert "bans_rule_ip_failures: " in out, out

        # refusals are counted apart
        refused = st["refused_hour"]
        ok_, line = imap_login(d, ALICE, USERS[ALICE], src="127.1.40.1")
        assert not ok_, line
        wait_for(lambda: js(d, "lockout", "stats")[0]["refused_hour"] ==
                 refused + 1, "the refusal in stats")


def table_cells(out):
    """The default table cut where the header's titles start: [{title:
    cell}] per row. Aligned columns give back the values exactly."""
    lines = out.splitlines()
    starts = [m.start() for m in re.finditer(r"\S+", lines[0])]
    names = lines[0].split()
    rows = []
    for ln in lines[1:]:
        ends = starts[1:] + [len(ln)]
        rows.append({n: ln[a:b].strip()
                     for n, a, b in zip(names, starts, ends)})
    return names, rows


def test_output_for_programs_and_aligned_table():
    """-f json: numbers and yes/no as JSON numbers, the evidence of show
    as fields; the default table aligned whatever the values' lengths."""
    long_reason = "seen in the collective's blacklist: " + \
        "scans, spam, brute force on imap and submission; " * 3
    with instance() as d:
        attack(d, [(BOB, "b", "127.1.50.1"), ("test", "c", "127.1.50.1"),
                   ("nobody@example.org", "d", "127.1.50.1")])
        wait_for(lambda: ban_by_target(d, "127.1.50.1"), "the ban")
        ok(d, "lockout", "ban", "127.9.0.1", "-r", "short")
        ok(d, "lockout", "ban", "2001:db8:1234:5678::/64", "-r",
           long_reason.strip())
        ok(d, "lockout", "ban", "a-rather-long-username-to-push@example.org",
           "-d", "permanent", "-r", "x")
        ok(d, "lockout", "ban", "127.9.0.2", "-d", "5m", "-r",
           "another reason of some length, to be cut by the terminal")

        bans = js(d, "lockout", "list")
        assert len(bans) == 5, bans
        for b in bans:
            assert isinstance(b["failures"], int), b
        names, rows = table_cells(ok(d, "lockout", "list"))
        assert names[-1] == "reason", names
        assert len(rows) == len(bans), rows
        for row, b in zip(rows, bans):
            for n in names:
                assert row[n] == str(b[n]), (n, row, b)
        # one ban echoed by ban/unban: aligned too
        names, rows = table_cells(ok(d, "lockout", "unban", "127.9.0.2"))
        assert rows[0]["target"] == "127.9.0.2" and \
            rows[0]["state"] == "lifted", rows

        show = js(d, "lockout", "show", "127.1.50.1")[0]
        assert "evidence" not in show, show
        for k in ("failures", "bans", "history_failures", "threshold",
                  "distinct_users", "distinct_passwords", "account",
                  "evidence_failures", "evidence_threshold",
                  "evidence_window", "evidence_first_seen",
                  "evidence_distinct_users_capped"):
            assert isinstance(show[k], int), (k, show)
        assert show["threshold"] == FAILURES and show["account"] == 2, show
        assert show["distinct_users"] == 3, show
        assert show["evidence_window"] == 600, show
        assert show["evidence_distinct_users_capped"] == 0, show
        assert show["evidence_rule"] == "ip_failures", show
        assert show["evidence_services"] == "imap", show
        assert sorted(show["evidence_users"].split(", ")) == \
            sorted([BOB, "test", "nobody@example.org"]), show
        show = js(d, "lockout", "show", "127.9.0.1")[0]
        assert show["evidence_via"] == "cli", show
        assert show["reason"] == "short" and show["threshold"] == 0, show

        st = js(d, "lockout", "stats")[0]
        assert all(isinstance(v, int) for k, v in st.items()
                   if k not in ("db", "db_driver", "mode")), st
        assert st["db_driver"] == "sqlite", st
        for ranking, flags in (("users", ("exists", "targeted")),
                               ("ips", ("banned",))):
            top = js(d, "lockout", "top", ranking)
            assert top, ranking
            for r in top:
                for f in flags:
                    assert r[f] in (0, 1), (f, r)
            names, rows = table_cells(ok(d, "lockout", "top", ranking))
            assert [r[names[0]] for r in rows] == \
                [r[names[0]] for r in top], (rows, top)
            for row, r in zip(rows, top):
                for n in names:
                    assert row[n] == str(r[n]), (n, row, r)

        ok(d, "lockout", "allow", "10.20.30.0/24", "-r", long_reason)
        ok(d, "lockout", "allow", "10.20.31.0/24", "-r", "webmail")
        allowed = js(d, "lockout", "allow")
        names, rows = table_cells(ok(d, "lockout", "allow"))
        assert names[-2:] == ["reason", "lifted"], names
        assert len(rows) == len(allowed) >= 2, (rows, allowed)
        for row, a in zip(rows, allowed):
            for n in names:
                assert row[n] == a[n].strip(), (n, row, a)


def test_long_listing_past_doveadm_sizing_rows():
    """Issue 12: past doveadm's first 100 rows the plugin writes the aligned
    table and the JSON rows itself; they must be the bytes doveadm's
    formatters would have written: the aligned rows padded as doveadm pads
    the first 100 (its last column narrowed to the 80 columns of a pipe),
    the JSON rows the values -f tab prints (which go through doveadm)."""
    now = int(time.time())
    reasons = []
    for i in range(250):
        r = "reason %d%s" % (i, "." * (i * 7 % 50))
        if i == 40:
            r = "a reason longer than the line, for doveadm to narrow: " * 2
        elif i % 37 == 5:
            r = 'quote " backslash \\ caf\u00e9 \u2028 ctl \x01 del \x7f'
        elif i == 230:
            r = "wider than any of the first hundred rows: " * 3
        reasons.append(r.strip())
    with instance() as d:
        insert_bans(d, [("127.3.%d.%d" % (i // 200, i % 200 + 1), "ip", r,
                         now - 1000 + i, i % 13)
                        for i, r in enumerate(reasons)])

        out = ok(d, "lockout", "list")
        lines = out.splitlines()
        assert len(lines) == 251, len(lines)
        start = lines[0].index("reason")
        shown = [ln[start:].rstrip(" ") for ln in lines[1:]]
        # the last column's length, as doveadm padded its first rows
        lengths = {len(ln) - start for ln, r in zip(lines[1:101], shown)
                   if len(ln) - start > len(r)}
        assert len(lengths) == 1, lengths
        length = lengths.pop()
        for i, (ln, r) in enumerate(zip(lines[1:], shown)):
            assert ln[:start].split()[0] == "127.3.%d.%d" % (
                i // 200, i % 200 + 1), (i, ln)
            assert len(ln) - start == max(length, len(r)), (i, ln, length)

        bans = js(d, "lockout", "list")
        assert len(bans) == 250, len(bans)
        tab = ok(d, "-f", "tab", "lockout", "list").splitlines()
        names = tab[0].split("\t")
        assert len(tab) == 251, len(tab)
        for b, ln in zip(bans, tab[1:]):
            row = dict(zip(names, ln.split("\t")))
            assert sorted(row) == sorted(b), (row, b)
            for n in names:
                assert row[n] == str(b[n]), (n, row, b)
        assert [r for r in shown] == [b["reason"] for b in bans], shown


def test_show_evidence_fields_never_carry_control_characters():
    """The evidence holds attackers' usernames: decoded into fields, its
    control characters (escaped in its JSON) come out as '?'."""
    with instance() as d:
        ok(d, "lockout", "ban", "127.9.9.1", "-r", "x")
        con = failures_db(db_path(d), timeout=10)
        with con:
            con.execute("UPDATE bans SET evidence = ? WHERE target = ?",
                        ('{"rule":"manual","users":["a\\u001b[31mb",'
                         '"c\\u0085d"],"note":"x\\ny\\u007f","n":-1}',
                         "127.9.9.1"))
        con.close()
        show = js(d, "lockout", "show", "127.9.9.1")[0]
        assert show["evidence_users"] == "a?[31mb, c?d", show
        assert show["evidence_note"] == "x?y?", show
        assert show["evidence_n"] == "-1", show
        out = ok(d, "lockout", "show", "127.9.9.1")
        assert "evidence_users: a?[31mb, c?d\n" in out, out
        assert "\x1b" not in out and "\x7f" not in out, out


def test_manual_ban_refuses_next_login_and_unban_lets_it_through():
    with instance() as d:
        ok_, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.20")
        assert ok_, line
        out = ok(d, "lockout", "ban", "127.0.0.20", "-d", "1 hour",
                 "-r", "seen in the SMTP logs")
        assert "127.0.0.20" in out and "manual" in out, out
        b = ban_by_target(d, "127.0.0.20")
        assert b["source"] == "manual" and b["rule"] == "manual", b
        assert b["reason"] == "seen in the SMTP logs", b
        assert iso_to_unix(b["expires"]) - iso_to_unix(b["created"]) == 3600
        time.sleep(1.0)
        ok_, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.20")
        assert not ok_ and "AUTHENTICATIONFAILED" in line, line
        ok_, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.21")
        assert ok_, line

        out = ok(d, "lockout", "unban", "127.0.0.20")
        assert "127.0.0.20" in out and "lifted" in out, out
        time.sleep(1.0)
        ok_, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.20")
        assert ok_, line
        assert js(d, "lockout", "list") == []
        unbanned = js(d, "lockout", "list", "-a")
        assert [b["state"] for b in unbanned] == ["lifted"], unbanned

        # a network, permanent by default
        ban = js(d, "lockout", "ban", "127.0.1.0/24")[0]
        assert ban["kind"] == "net" and ban["expires"] == "", ban
        assert ban["reason"] == "banned by the administrator", ban
        time.sleep(1.0)
        ok_, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.1.5")
        assert not ok_, line
        ok(d, "lockout", "unban", "127.0.1.0/24")
        time.sleep(1.0)
        ok_, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.1.5")
        assert ok_, line


def test_too_wide_row_never_enforced_and_unban_removes_it():
    """Issue 11 item 2: a 0.0.0.0/0 row written with sqlite3 refuses
    nobody, and "unban" removes it."""
    with instance() as d:
        insert_bans(d, [("0.0.0.0/0", "net", "typo", int(time.time()) - 5,
                         0)])
        time.sleep(1.0)
        ok_, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.30")
        assert ok_, line
        out = ok(d, "lockout", "unban", "0.0.0.0/0")
        assert "0.0.0.0/0" in out and "lifted" in out, out
        rows = db_rows(d, "SELECT lifted FROM bans WHERE target = "
                       "'0.0.0.0/0'")
        assert rows and rows[0][0] is not None, rows


def test_invalid_rows_counted_apart_logged_once_never_enforced():
    """Issue 11 items 2 and 7: rows other writers got wrong (a reason over
    1,024 bytes, a malformed target, a network wider than /16, a kind ip
    row holding a network) were dropped silently and counted by stats as
    active bans. Now stats counts them as invalid, the auth process logs
    each once with its id, and none is enforced."""
    rows = [("127.0.0.31", "ip", "printf('%.2000c', 'x')"),
            ("127.0.0.999", "ip", "'bad'"),
            ("0.0.0.0/0", "net", "'typo'"),
            ("127.0.0.0/24", "ip", "'wrong kind'")]
    with instance() as d:
        before = js(d, "lockout", "stats")[0]
        assert before["bans_invalid"] == 0, before
        con = failures_db(db_path(d), timeout=10)
        try:
            with con:
                for target, kind, reason in rows:
                    con.execute(
                        "INSERT INTO bans (target, kind, source, reason, "
                        "rule, created, expires) VALUES (?, ?, 'manual', "
                        + reason + ", 'manual', ?, NULL)",
                        (target, kind, int(time.time()) - 5))
            ids = [r[0] for r in con.execute(
                "SELECT id FROM bans ORDER BY id")]
        finally:
            con.close()
        st = js(d, "lockout", "stats")[0]
        assert st["bans_invalid"] == 4, st
        assert st["bans"] == before["bans"] == 0, st
        assert "bans_invalid: 4" in ok(d, "lockout", "stats")
        # list cannot show the row the store skips, but says so
        rc, out, err = d.doveadm("lockout", "list")
        assert "1 invalid row of the ban table not listed, never " \
            "enforced (row %d: reason longer than 1024 bytes)" % ids[0] \
            in err, err

        for i in ids:
            d.wait_for_log(r"lockout: Ban table row %d is invalid, never "
                           r"enforced: " % i)
        for src in ("127.0.0.31", "127.0.0.40"):
            ok_, line = imap_login(d, ALICE, USERS[ALICE], src=src)
            assert ok_, (src, line)
        # more reloads (a ban, an unban) do not log them again
        ok(d, "lockout", "ban", "127.0.0.50")
        ok(d, "lockout", "unban", "127.0.0.50")
        time.sleep(2.5)
        text = d.log_text()
        assert "Ban table row %d is invalid, never enforced: reason longer " \
            "than 1024 bytes" % ids[0] in text, text
        assert "Ban table row %d is invalid, never enforced: network wider " \
            "than an IPv4 /16 or an IPv6 /32" % ids[2] in text, text
        for i in ids:
            assert text.count("Ban table row %d is invalid" % i) == 1, text


def test_unban_after_attack_clears_counters():
    with instance() as d:
        attack(d, [(ALICE, "w%d" % i, "127.0.0.22") for i in range(FAILURES)])
        wait_for(lambda: ban_by_target(d, "127.0.0.22"), "the ban")
        ok(d, "lockout", "unban", "127.0.0.22")
        time.sleep(1.0)
        # one more failure does not ban it again at once
        ok_, line = imap_login(d, ALICE, "wrong", src="127.0.0.22")
        assert not ok_
        time.sleep(0.6)
        ok_, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.22")
        assert ok_, line


def test_ban_again_replaces_and_canonical_targets():
    with instance() as d:
        ok(d, "lockout", "ban", "127.0.0.23", "-d", "10 mins")
        ban = js(d, "lockout", "ban", "127.0.0.23", "-d", "permanent",
                 "-r", "for good")[0]
        assert ban["expires"] == "" and ban["reason"] == "for good", ban
        bans = js(d, "lockout", "list")
        assert [(b["target"], b["expires"]) for b in bans] == \
            [("127.0.0.23", "")], bans
        show = js(d, "lockout", "show", "127.0.0.23")[0]
        assert show["bans"] == 2 and "lifted" in show["ban_history"], show
        # canonical forms, and a username is a protection
        assert js(d, "lockout", "ban", "2001:DB8:0:0::7")[0]["target"] == \
            "2001:db8::7"
        assert js(d, "lockout", "ban", "::ffff:127.0.0.24")[0]["target"] == \
            "127.0.0.24"
        assert js(d, "lockout", "ban", "2001:db8:1:2::/64")[0]["kind"] == \
            "net"
        user = js(d, "lockout", "ban", BOB, "-d", "1 day")[0]
        assert user["kind"] == "user" and user["target"] == BOB, user
        assert [b["target"] for b in js(d, "lockout", "list", "-k",
                                        "user")] == [BOB]
        show = js(d, "lockout", "show", BOB)[0]
        assert show["state"] == "protected" and show["account"] == 1
        ok(d, "lockout", "unban", BOB)
        assert js(d, "lockout", "list", "-k", "user") == []


def test_allow_lifts_bans_and_refuses_new_ones():
    with instance() as d:
        attack(d, [(ALICE, "w%d" % i, "127.0.0.3") for i in range(FAILURES)])
        wait_for(lambda: ban_by_target(d, "127.0.0.3"), "the ban")
        ok(d, "lockout", "ban", "127.0.0.4")
        ok(d, "lockout", "ban", "127.0.0.200")
        time.sleep(1.0)
        ok_, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.3")
        assert not ok_, line

        out = ok(d, "lockout", "allow", "127.0.0.0/25", "-r", "office")
        assert "127.0.0.0/25" in out and "office" in out, out
        row = js(d, "lockout", "allow", "127.0.0.0/25", "-r", "office NAT")
        assert row[0]["lifted"] == "" and row[0]["reason"] == "office NAT"
        assert [b["target"] for b in js(d, "lockout", "list")] == \
            ["127.0.0.200"]
        # again without -r: the reason stays
        row = js(d, "lockout", "allow", "127.0.0.0/25")
        assert row[0]["reason"] == "office NAT", row
        rows = db_rows(d, "SELECT network, reason FROM allowed")
        assert rows == [("127.0.0.0/25", "office NAT")], rows
        time.sleep(1.0)
        ok_, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.3")
        assert ok_, line
        ok_, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.4")
        assert ok_, line

        listed = js(d, "lockout", "allow")
        assert [(r["network"], r["origin"]) for r in listed] == \
            [("127.0.0.0/25", "table")], listed
        show = js(d, "lockout", "show", "127.0.0.3")[0]
        assert show["state"] == "allowed", show
        assert show["allowed_by"] == "127.0.0.0/25 (allowed table)", show
        fails(d, EX_NOTPOSSIBLE, "overlaps the allowed network 127.0.0.0/25",
              "lockout", "ban", "127.0.0.5")

        removed = js(d, "lockout", "allow", "-d", "127.0.0.0/25")
        assert removed[0]["origin"] == "removed", removed
        assert db_rows(d, "SELECT * FROM allowed") == []
        ok(d, "lockout", "ban", "127.0.0.5")


def test_allow_lifts_in_one_transaction_with_lifted_list():
    with instance() as d:
        for t in ("127.0.7.1", "127.0.7.2", "127.0.7.0/28", "127.0.0.0/16",
                  "127.0.8.1"):
            ok(d, "lockout", "ban", t)
        row = js(d, "lockout", "allow", "127.0.7.0/24")[0]
        # what it covers and what covers it; nothing else
        assert sorted(row["lifted"].split()) == \
            ["127.0.0.0/16", "127.0.7.0/28", "127.0.7.1", "127.0.7.2"], row
        assert [b["target"] for b in js(d, "lockout", "list")] == \
            ["127.0.8.1"]
        lifted = {r[0]: r[1] for r in db_rows(
            d, "SELECT target, lifted FROM bans WHERE lifted IS NOT NULL")}
        assert len(set(lifted.values())) == 1, lifted


# --- bad input: exit codes, one line, nothing changed -------------------------

def test_bad_input_exit_codes_and_unchanged_table():
    with instance(lockout_allow_networks="127.0.9.0/24") as d:
        attack(d, [(ALICE, "w%d" % i, "127.0.0.3") for i in range(FAILURES)])
        wait_for(lambda: ban_by_target(d, "127.0.0.3"), "the ban")
        ok(d, "lockout", "ban", "127.0.8.0/24")
        ok(d, "lockout", "allow", "127.0.5.0/24", "-r", "webmail")
        ok(d, "lockout", "ban", BOB)
        wait_for(lambda: history_total(d) >= FAILURES, "the history")
        time.sleep(0.5)
        before = dump(d)
        assert before["bans"] and before["allowed"] and before["failure_batches"]

        cases = [
            (EX_USAGE, "invalid address '1.2.3'", "ban", "1.2.3"),
            (EX_USAGE, "invalid address", "ban", "127.0.0.256"),
            (EX_USAGE, "did you mean 127.0.0.0/24?", "ban", "127.0.0.1/24"),
            (EX_USAGE, "invalid prefix length", "ban", "127.0.0.0/33"),
            (EX_USAGE, "wider than /16", "ban", "0.0.0.0/0"),
            (EX_USAGE, "wider than /16", "ban", "10.0.0.0/8"),
            (EX_USAGE, "wider than /32", "ban", "::/0"),
            (EX_USAGE, "whitespace or control", "ban", "bad user"),
            (EX_USAGE, "invalid interval '10 parsecs'", "ban", "127.0.0.9",
             "-d", "10 parsecs"),
            (EX_USAGE, "at least 1 second", "ban", "127.0.0.9", "-d", "0"),
            (EX_USAGE, "control character", "ban", "127.0.0.9", "-r",
             "two\nlines"),
            (EX_USAGE, "Missing target", "ban"),
            (EX_USAGE, "Missing target", "unban"),
            (EX_USAGE, "Missing target", "show"),
            (EX_USAGE, "invalid address", "unban", "1.2.3"),
            (EX_USAGE, "invalid address", "show", "127.1"),
            (EX_USAGE, "Invalid kind 'host'", "list", "-k", "host"),
            (EX_USAGE, "invalid ranking 'passwords'", "top", "passwords"),
            (EX_USAGE, "Missing ranking", "top"),
            (EX_USAGE, "invalid count '0'", "top", "users", "-n", "0"),
            (EX_USAGE, "invalid count 'ten'", "top", "users", "-n", "ten"),
            (EX_USAGE, "invalid interval '1 eon'", "top", "ips", "-s",
             "1 eon"),
            (EX_USAGE, "not allowed here", "top", "ips", "-s", "permanent"),
            (EX_USAGE, "not an address or network", "allow", "alice"),
            (EX_USAGE, "wider than /8", "allow", "0.0.0.0/0"),
            (EX_USAGE, "Missing network", "allow", "-d"),
            (EX_USAGE, "-r cannot be used with -d", "allow", "-d",
             "127.0.5.0/24", "-r", "x"),
            (EX_NOTFOUND, "127.0.0.99 is not banned", "unban", "127.0.0.99"),
            (EX_NOTFOUND, "the ban of 127.0.8.0/24 covers it", "unban",
             "127.0.8.9"),
            (EX_NOTFOUND, "carol@example.org is not banned", "unban",
             "carol@example.org"),
            (EX_NOTPOSSIBLE, "overlaps the allowed network 127.0.5.0/24 "
             "(allowed table)", "ban", "127.0.5.5"),
            (EX_NOTPOSSIBLE, "overlaps the allowed network 127.0.9.0/24 "
             "(lockout_allow_networks)", "ban", "127.0.9.1"),
            (EX_NOTPOSSIBLE, "overlaps the allowed network 127.0.9.0/24",
             "ban", "127.0.0.0/16"),
            (EX_NOTFOUND, "not in the allowed table", "allow", "-d",
             "127.0.6.0/24"),
            (EX_NOTFOUND, "lockout_allow_networks covers it", "allow", "-d",
             "127.0.9.0/24"),
        ]
        for code, words, *args in cases:
            fails(d, code, words, "lockout", *args)
            assert dump(d) == before, ("table changed by", args)

        # a missing table is not created by the commands that only read or
        # lift (ban, allow and import create it: test_import.py)
        # 2.3: plugin/lockout_db, 2.4: lockout_db (the top level)
        opt = "" if d.v24 else "plugin/"
        missing = os.path.join(d.lockout_dir, "missing.db")
        for cmd in (("list",), ("unban", "127.0.0.9"), ("stats",),
                    ("allow", "-d", "127.0.6.0/24"), ("export",)):
            fails(d, EX_NOTFOUND, "does not exist yet", "-o",
                  opt + "lockout_db=" + missing, "lockout", *cmd)
            assert not os.path.exists(missing)
        # an unusable one is not touched
        garbage = os.path.join(d.lockout_dir, "garbage.db")
        with open(garbage, "wb") as f:
            f.write(b"not a database " * 200)
        for cmd in (("list",), ("ban", "127.0.0.9"), ("unban", "127.0.0.3")):
            fails(d, EX_TEMPFAIL, "not a database", "-o",
                  opt + "lockout_db=" + garbage, "lockout", *cmd)
        with open(garbage, "rb") as f:
            assert f.read() == b"not a database " * 200
        fails(d, 78, "lockout_ban_time", "-o",
              opt + "lockout_ban_time=soon", "lockout", "list")
        assert dump(d) == before


def test_busy_table_waits_then_fails_cleanly():
    with instance() as d:
        ok(d, "lockout", "list")
        before = dump(d)
        # a writer holding the lock for a while: the ban waits for it
        con = sqlite3.connect(db_path(d), timeout=5, isolation_level=None,
                              check_same_thread=False)
        con.execute("BEGIN IMMEDIATE")
        release = threading.Timer(1.5, lambda: con.execute("ROLLBACK"))
        t0 = time.monotonic()
        release.start()
        try:
            ok(d, "lockout", "ban", "127.0.0.25")
        finally:
            release.join()
        assert time.monotonic() - t0 >= 1.4
        assert ban_by_target(d, "127.0.0.25")
        before = dump(d)
        # held for longer than the retries: a clean failure, no change
        con.execute("BEGIN IMMEDIATE")
        try:
            fails(d, EX_TEMPFAIL, "database is busy (tried 3 times)",
                  "lockout", "ban", "127.0.0.26")
        finally:
            con.execute("ROLLBACK")
            con.close()
        assert dump(d) == before
        # readers do not wait for writers (WAL)
        con = sqlite3.connect(db_path(d), timeout=5, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        try:
            t0 = time.monotonic()
            assert ban_by_target(d, "127.0.0.25")
            assert time.monotonic() - t0 < 3
        finally:
            con.execute("ROLLBACK")
            con.close()


def test_concurrent_commands_during_an_attack_lose_nothing():
    with instance() as d:
        # one /24 each: no network ban may stand in for address bans
        attackers = ["127.3.%d.1" % i for i in range(1, 31)]
        manual = ["127.0.4.%d" % i for i in range(1, 21)]
        allowed = ["127.0.6.%d" % i for i in range(1, 6)]
        results = []

        def run_attack():
            attack(d, [(u, "x", ip) for ip in attackers
                       for u in ("admin", "root", "test")])

        def run(*args):
            results.append((args, d.doveadm(*args, check=False)))

        threads = [threading.Thread(target=run_attack)]
        threads += [threading.Thread(target=run, args=("lockout", "ban", ip,
                                                       "-r", "manual " + ip))
                    for ip in manual]
        threads += [threading.Thread(target=run, args=("lockout", "allow",
                                                       ip))
                    for ip in allowed]
        threads += [threading.Thread(target=run, args=("lockout", "list"))
                    for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for args, (rc, out, err) in results:
            assert rc == 0, (args, rc, err)

        def all_auto_bans():
            rows = db_rows(d, "SELECT target FROM bans WHERE source = "
                           "'auto'")
            return len(rows) == len(attackers)
        wait_for(all_auto_bans, "every automatic ban", timeout=10)
        wait_for(lambda: history_total(d) == 3 * len(attackers),
                 "the whole failure history", timeout=10)
        active = {b["target"]: b for b in js(d, "lockout", "list")}
        assert set(manual) <= set(active), sorted(active)
        assert set(attackers) <= set(active), sorted(active)
        assert all(active[ip]["reason"] == "manual " + ip for ip in manual)
        rows = db_rows(d, "SELECT network FROM allowed")
        assert sorted(r[0] for r in rows) == sorted(allowed), rows
        assert db_rows(d, "PRAGMA integrity_check") == [("ok",)]
        top = js(d, "lockout", "top", "users")
        assert {r["user"]: r["failures"] for r in top} == \
            {"admin": 30, "root": 30, "test": 30}, top


# --- HTTP API ----------------------------------------------------------------

def test_http_api():
    port = _free_port_base(1)
    password = "lockout-test-secret"
    # 2.4 names a listener's address "listen"
    listen = "listen" if dovecot_version()[:2] >= (2, 4) else "address"
    extra = ("doveadm_password = %s\nservice doveadm {\n"
             "  inet_listener http {\n    %s = 127.0.0.1\n"
             "    port = %d\n  }\n}\n" % (password, listen, port))

    def api(commands):
        auth = base64.b64encode(("doveadm:%s" % password).encode()).decode()
        req = urllib.request.Request(
            "http://127.0.0.1:%d/doveadm/v1" % port,
            data=json.dumps(commands).encode(),
            headers={"Content-Type": "application/json",
                     "Authorization": "Basic " + auth})
        with urllib.request.urlopen(req, timeout=20) as r:
            return json.loads(r.read())

    with instance(extra_conf=extra) as d:
        attack(d, [("nobody@example.org", "x", "127.2.41.1"),
                   ("nobody@example.org", "y", "127.2.42.1")])
        wait_for(lambda: history_total(d) >= 2, "the history")
        # "lockout list" is "lockoutList" there; parameters by name
        res = api([
            ["lockoutBan", {"target": "127.0.0.50", "duration": "1 hour",
                            "reason": "via the API"}, "t1"],
            ["lockoutList", {}, "t2"],
            ["lockoutShow", {"target": "127.0.0.50"}, "t3"],
            ["lockoutTop", {"ranking": "users", "count": "5"}, "t4"],
            ["lockoutStats", {}, "t5"],
            ["lockoutAllow", {"network": "127.0.0.48/29"}, "t6"],
            ["lockoutUnban", {"target": "127.0.0.50"}, "t7"],
            ["lockoutBan", {"target": "1.2.3"}, "t8"],
            ["lockoutList", {"kind": "ip", "all": True}, "t9"],
        ])
        by_tag = {r[2]: r for r in res}
        assert by_tag["t1"][0] == "doveadmResponse", res
        ban = by_tag["t1"][1][0]
        assert ban["target"] == "127.0.0.50" and ban["source"] == "manual"
        assert ban["reason"] == "via the API", ban
        assert [b["target"] for b in by_tag["t2"][1]] == ["127.0.0.50"]
        for f in CONTRACT_FIELDS:
            assert f in by_tag["t2"][1][0], by_tag["t2"]
        show = by_tag["t3"][1][0]
        assert show["state"] == "banned", show
        assert show["evidence_via"] == "http", show
        assert by_tag["t4"][1][0]["user"] == "nobody@example.org", res
        assert by_tag["t4"][1][0]["failures"] == 2, by_tag["t4"]
        assert by_tag["t5"][1][0]["bans_manual"] == 1, by_tag["t5"]
        assert by_tag["t6"][1][0]["lifted"] == "127.0.0.50", by_tag["t6"]
        # the allow had lifted it already
        assert by_tag["t7"][:2] == ["error", {"type": "exitCode",
                                              "exitCode": EX_NOTFOUND}], res
        assert by_tag["t8"][:2] == ["error", {"type": "exitCode",
                                              "exitCode": EX_USAGE}], res
        assert [b["state"] for b in by_tag["t9"][1]] == ["lifted"], res


# --- PostgreSQL (issue 14) ---------------------------------------------------

def test_pgsql_commands_on_a_shared_table():
    """lockout_db_driver = pgsql: the read-only commands say where the
    schema comes from, ban creates it, and ban, list, show, top, stats
    and unban work on it; no message ever shows a password."""
    require_postgres()
    secret = "never-Printed-9f3c"
    with PostgresCluster() as pg, \
            instance(wait_auth=False, **pg_store(pg)) as d:
        opt = "" if d.v24 else "plugin/"
        conninfo = d.plugin_settings["lockout_db"]
        # no schema yet: read-only commands create nothing
        for cmd in (("list",), ("stats",), ("export",)):
            line = fails(d, EX_TEMPFAIL, "Cannot open the ban table in "
                         "PostgreSQL", "lockout", *cmd)
            assert "doveadm lockout ban, allow or import" in line, line
        assert pg.psql("SELECT count(*) FROM pg_tables WHERE tablename "
                       "= 'bans'", db="lockout") == [["0"]]

        out = ok(d, "lockout", "ban", "192.0.2.7", "-r", "by hand")
        assert "192.0.2.7" in out, out
        ok(d, "lockout", "ban", "198.51.100.0/24", "-d", "1 day")
        ok(d, "lockout", "ban", BOB, "-r", "spraying")
        assert pg.psql("SELECT target, source, reason FROM lockout.bans "
                       "WHERE target = '192.0.2.7'", db="lockout") == \
            [["192.0.2.7", "manual", "by hand"]]
        bans = {b["target"]: b for b in js(d, "lockout", "list")}
        assert set(bans) == {"192.0.2.7", "198.51.100.0/24", BOB}, bans
        assert bans["198.51.100.0/24"]["kind"] == "net", bans
        assert bans[BOB]["kind"] == "user", bans
        show = js(d, "lockout", "show", "192.0.2.7")[0]
        assert show["state"] == "banned" and show["reason"] == "by hand"
        # a failure history, as the auth processes of the nodes write it:
        # a second of a node packed into a row (two failures in node2's)
        now = int(time.time())
        pg.psql("INSERT INTO lockout.failure_batches (time, node, ips, "
                "users, services, mechanisms, results, counts, tags) "
                "VALUES (%d, 'node1', '{192.0.2.50}', '{admin}', '{imap}', "
                "'{PLAIN}', '{failure}', '{4}', '{0}'), (%d, 'node2', "
                "'{192.0.2.51,192.0.2.50}', '{admin,info}', "
                "'{smtp,imap}', '{LOGIN,PLAIN}', '{failure,failure}', "
                "'{2,1}', '{0,0}')" % (now - 60, now - 10), db="lockout")
        top = js(d, "lockout", "top", "users")
        assert [(r["user"], r["failures"], r["ips"]) for r in top] == \
            [("admin", 6, 2), ("info", 1, 1)], top
        top = js(d, "lockout", "top", "ips")
        assert [(r["ip"], r["failures"]) for r in top][:2] == \
            [("192.0.2.50", 5), ("192.0.2.51", 2)], top
        show = js(d, "lockout", "show", "192.0.2.50")[0]
        assert show["history_failures"] == 5, show

        st = js(d, "lockout", "stats")[0]
        assert st["db_driver"] == "pgsql", st
        assert st["db"] == conninfo, st     # no password in it to hide
        assert st["bans"] == 3 and st["bans_manual"] == 3, st
        assert st["failures_hour"] == 7 and st["wal_bytes"] == 0, st
        assert "db_driver: pgsql" in ok(d, "lockout", "stats")

        ok(d, "lockout", "unban", "192.0.2.7")
        assert "192.0.2.7" not in [b["target"] for b in
                                   js(d, "lockout", "list")]
        assert pg.psql("SELECT lifted IS NOT NULL FROM lockout.bans WHERE "
                       "target = '192.0.2.7'", db="lockout") == [["t"]]

        # a password in the connection string itself: shown as ***,
        # in the stats and in every error
        with_pw = conninfo + " password=" + PG_PASSWORD
        rc, out, err = d.doveadm("-o", opt + "lockout_db=" + with_pw,
                                 "lockout", "stats", check=False)
        assert rc == 0 and "password=***" in out, (rc, out, err)
        assert PG_PASSWORD not in out + err, (out, err)
        wrong = re.sub(r"passfile=\S+", "", conninfo) + \
            " password=" + secret
        for cmd in (("list",), ("ban", "192.0.2.8"), ("stats",)):
            rc, out, err = d.doveadm("-o", opt + "lockout_db=" + wrong,
                                     "lockout", *cmd, check=False)
            assert rc == EX_TEMPFAIL, (cmd, rc, out, err)
            assert "password authentication failed" in err, err
            assert secret not in out + err, (cmd, out, err)
        rc, out, err = d.doveadm("-o", opt + "lockout_db_driver=sqlite",
                                 "-o", opt + "lockout_db=" + wrong,
                                 "lockout", "list", check=False)
        assert rc == 78 and secret not in out + err, (rc, out, err)


# --- documentation -----------------------------------------------------------

def test_man_page_renders_and_is_installed():
    page = os.path.join(REPO, "doc", "doveadm-lockout.1")
    r = subprocess.run(["man", "--warnings", "-l", page],
                       capture_output=True, text=True,
                       env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                            "MANWIDTH": "80", "LC_ALL": "C.UTF-8",
                            "MANPAGER": "cat", "PAGER": "cat"})
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == "", r.stderr
    for cmd in ("list", "show", "ban", "unban", "allow", "top", "stats"):
        assert "lockout " + cmd in r.stdout, cmd
    build = os.environ.get("LOCKOUT_BUILD_DIR",
                           os.path.join(REPO, "build"))
    stage = os.path.join("/tmp", "lockout-man-%d" % os.getpid())
    try:
        r = subprocess.run(["make", "-C", build, "install-man",
                            "DESTDIR=" + stage], capture_output=True,
                           text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        found = [os.path.join(dp, f) for dp, _, fs in os.walk(stage)
                 for f in fs]
        assert any(f.endswith("/man1/doveadm-lockout.1") for f in found), \
            found
    finally:
        subprocess.run(["rm", "-rf", "--", stage])


if __name__ == "__main__":
    main(globals())
