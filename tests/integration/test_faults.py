# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""Faults of the ban table under a running Dovecot (issue 11): a table
locked by another process never makes a login wait and loses nothing; an
unusable table is complained about at most once a minute; a table deleted
or replaced while in use is recreated from what the auth process holds.

Run as root after building: /usr/bin/python3 tests/integration/test_faults.py [test ...]
"""

import glob
import os
import re
import sqlite3
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lockout_harness import (  # noqa: E402
    Dovecot, auth_client_plain, find_lockout_modules, imap_login, main)

ALICE = "alice@example.org"
USERS = {ALICE: "alice-secret"}
FAILURES = 3


def instance(**settings):
    plugin = {"lockout_ip_failures": str(FAILURES),
              "lockout_ip_window": "10 mins",
              "lockout_ban_time": "1 hour"}
    plugin.update(settings)
    return Dovecot(module_dirs=find_lockout_modules(), users=dict(USERS),
                   plugin_settings=plugin)


def db_path(d):
    return os.path.join(d.lockout_dir, "lockout.db")


def fail_many(d, src, count=FAILURES):
    """count failures with distinct wrong passwords, in parallel (Dovecot
    answers failures from a timer)"""
    threads = [threading.Thread(target=imap_login,
                                args=(d, ALICE, "wrong%d" % i),
                                kwargs={"src": src})
               for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def login_latencies(d, seconds, src="127.0.0.2"):
    """Successful PLAIN logins over the auth-client socket, one after the
    other, for the given time; returns their durations in ms."""
    out = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.monotonic()
        ok, line = auth_client_plain(d, ALICE, USERS[ALICE], rip=src)
        out.append((time.monotonic() - t0) * 1000)
        assert ok, line
    return out


def failures_meanwhile(d, seconds):
    """Failed logins from changing sources, so that the auth process has
    writes queued all along."""
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        i += 1
        imap_login(d, ALICE, "wrong-%d" % i, src="127.0.1.%d" % (i % 200 + 1))


def lat_line(name, lat):
    return "%s: n=%d p50=%.1f ms p99=%.1f ms max=%.1f ms" % (
        name, len(lat), percentile(lat, 50), percentile(lat, 99), max(lat))


def test_locked_table_never_delays_logins_and_loses_nothing():
    with instance() as d:
        writer = threading.Thread(target=failures_meanwhile, args=(d, 4))
        writer.start()
        before = login_latencies(d, 4)
        writer.join()
        mark = d.log_mark()
        # another process takes the write lock, as doveadm, lockoutd or a
        # backup would, and keeps it
        con = sqlite3.connect(db_path(d), timeout=5, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        try:
            fail_many(d, "127.0.0.9")
            writer = threading.Thread(target=failures_meanwhile,
                                      args=(d, 5))
            writer.start()
            during = login_latencies(d, 5)
            writer.join()
            d.wait_for_log(r"lockout: Ban table .* is busy \(another "
                           r"process holds its lock\)", since=mark)
        finally:
            con.execute("ROLLBACK")
            con.close()
        d.wait_for_log(r"lockout: Ban table .* is no longer busy",
                       since=mark, timeout=5)
        print(lat_line("unlocked", before), flush=True)
        print(lat_line("locked", during), flush=True)
        tail = d.log_text()[mark:]
        assert len(re.findall(r"is busy \(another", tail)) == 1, tail
        assert "is unusable" not in tail, tail
        # the ban made while locked reached the table
        con = sqlite3.connect(db_path(d), timeout=5)
        try:
            rows = con.execute("SELECT target FROM bans WHERE "
                               "target = ?", ("127.0.0.9",)).fetchall()
        finally:
            con.close()
        assert rows, "ban of 127.0.0.9 not written after the lock"
        # the old 100 ms busy timeout made p99 about 100 ms; no login
        # waits for the lock now. Generous margin for a loaded machine.
        assert percentile(during, 99) < 60, lat_line("locked", during)


def test_unusable_table_complains_once_a_minute():
    d = instance(lockout_on_error="allow")
    os.makedirs(d.lockout_dir, exist_ok=True)
    # a table whose file opens but is not one: every retry fails alike
    with open(db_path(d), "wb") as f:
        f.write(b"this is not an SQLite database, it is garbage" * 100)
    st = os.stat(d.lockout_dir)
    os.chown(db_path(d), st.st_uid, st.st_gid)
    with d:
        d.wait_for_log(r"lockout: Ban table .* is unusable")
        # several retries (every 2 s) while the fault lasts
        time.sleep(7)
        text = d.log_text()
        assert len(re.findall(r"lockout: Ban table .* is unusable",
                              text)) == 1, text
        assert "usable again" not in text, text
        mark = d.log_mark()
        os.unlink(db_path(d))
        d.wait_for_log(r"lockout: Ban table .* is usable again",
                       since=mark, timeout=6)
        time.sleep(3)
        tail = d.log_text()[mark:]
        assert len(re.findall(r"usable again", tail)) == 1, tail
        assert "is unusable" not in tail, tail


def test_flapping_table_does_not_alternate():
    """A table that opens but fails later (a table dropped by hand) used to
    log "unusable" and "usable again" every 2 s."""
    d = instance(lockout_on_error="allow")
    with d:
        fail_many(d, "127.0.0.9")
        time.sleep(1)
        con = sqlite3.connect(db_path(d), timeout=5)
        con.execute("DROP TABLE bans")
        con.commit()
        con.close()
        d.wait_for_log(r"lockout: Ban table .* is unusable", timeout=5)
        time.sleep(9)
        text = d.log_text()
        unusable = len(re.findall(r"is unusable", text))
        again = len(re.findall(r"usable again", text))
        assert unusable <= 1 and again <= 1, text


def wait_listed(d, target, timeout=5.0):
    """The row of target in doveadm lockout list, once it is there."""
    deadline = time.monotonic() + timeout
    while True:
        for row in d.doveadm_json("lockout", "list"):
            if row["target"] == target:
                return row
        if time.monotonic() > deadline:
            raise AssertionError("%s not listed" % target)
        time.sleep(0.1)


def remove_db_files(d):
    for suffix in ("", "-wal", "-shm"):
        try:
            os.unlink(db_path(d) + suffix)
        except FileNotFoundError:
            pass


def replace_db(d, how):
    """Take the ban table away as a careless administrator would: "deleted"
    (with its -wal and -shm), or replaced by an "empty" file or by "another"
    SQLite database, made by root."""
    if how == "deleted":
        remove_db_files(d)
        return
    # made aside and renamed over the table, so that the auth process sees
    # it replaced, never deleted
    new = db_path(d) + ".new"
    if how == "empty":
        open(new, "wb").close()
    else:
        con = sqlite3.connect(new)
        con.execute("CREATE TABLE notes (x TEXT)")
        con.execute("INSERT INTO notes VALUES ('not the ban table')")
        con.commit()
        con.close()
    for suffix in ("-wal", "-shm"):
        try:
            os.unlink(db_path(d) + suffix)
        except FileNotFoundError:
            pass
    os.rename(new, db_path(d))


def check_lost_table_recreated(how):
    with instance() as d:
        fail_many(d, "127.0.0.9")
        auto = wait_listed(d, "127.0.0.9")
        d.doveadm("lockout", "ban", "127.0.3.3", "-r", "scanner from abuse "
                  "report")
        d.doveadm("lockout", "allow", "127.0.0.128/25", "-r", "office")
        # the auth process follows doveadm's changes
        time.sleep(1.5)
        mark = d.log_mark()
        replace_db(d, how)
        pattern = r"lockout: Ban table .* was (deleted|replaced)"
        d.wait_for_log(pattern, since=mark, timeout=6)
        time.sleep(3)
        tail = d.log_text()[mark:]
        assert len(re.findall(pattern, tail)) == 1, tail
        assert ("was replaced" in tail) == (how != "deleted"), tail
        st = os.stat(db_path(d))
        assert (st.st_mode & 0o777) == 0o600, oct(st.st_mode)
        assert (st.st_uid, st.st_gid) == (d.dovecot_uid, d.dovecot_gid), \
            (st.st_uid, st.st_gid)
        if how != "deleted":
            # the file found in its place is kept, not used
            kept = glob.glob(db_path(d) + ".replaced-*")
            assert len([k for k in kept if not k.endswith(("-wal", "-shm"))
                        ]) == 1, kept
        row = wait_listed(d, "127.0.0.9")
        assert row["rule"] == auto["rule"], (row, auto)
        assert row["reason"] == auto["reason"], (row, auto)
        assert row["expires"] == auto["expires"], (row, auto)
        row = wait_listed(d, "127.0.3.3")
        assert row["reason"] == "scanner from abuse report", row
        assert row["source"] == "manual", row
        allowed = d.doveadm_json("lockout", "allow")
        assert [(r["network"], r["reason"]) for r in allowed
                if r["origin"] == "table"] == \
            [("127.0.0.128/25", "office")], allowed
        d.restart()
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.9")
        assert not ok, "banned source logged in after restart: " + line
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.3.3")
        assert not ok, "banned source logged in after restart: " + line
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.2")
        assert ok, line
        # the new file is the one opened after the restart: nothing more
        tail = d.log_text()[mark:]
        assert len(re.findall(pattern, tail)) == 1, tail


def test_deleted_table_is_recreated_from_memory():
    check_lost_table_recreated("deleted")


def test_table_replaced_by_empty_file_is_recreated():
    check_lost_table_recreated("empty")


def test_table_replaced_by_another_database_is_recreated():
    check_lost_table_recreated("another")


def corrupt_files():
    """(name, bytes, expected wording) of broken lockout_db files: random
    bytes, a database cut inside its pages, and one cut short so that what
    is left reads as an empty database."""
    d = instance()
    with d:
        fail_many(d, "127.0.0.9")
        time.sleep(1)
        con = sqlite3.connect(db_path(d), timeout=5)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        with open(db_path(d), "rb") as f:
            whole = f.read()
    empty = os.path.join(d.tmp + "-empty.db")
    con = sqlite3.connect(empty)
    con.executescript("CREATE TABLE x (a); CREATE TABLE y (b); "
                      "DROP TABLE x; DROP TABLE y")
    con.close()
    with open(empty, "rb") as f:
        dropped = f.read()
    os.unlink(empty)
    return [("random", os.urandom(8192),
             "is not an SQLite database (file is not a database)"),
            # the first page (the schema) and a bit: every table is cut
            ("cut", whole[:int.from_bytes(whole[16:18], "big") + 100],
             "is a damaged SQLite database (database disk image is "
             "malformed)"),
            ("short", dropped[:-100],
             "is a damaged SQLite database (truncated: ")]


def test_corrupt_database_says_what_is_wrong_and_what_to_do():
    """Issue 11 item 8: a corrupt lockout_db was reported as "read schema
    version: file is not a database" (or, cut short, as a database
    without our schema); the auth process and doveadm now say what the
    file is and what to do."""
    todo = "move it away; the auth process creates a new table"
    for name, data, what in corrupt_files():
        d = instance(lockout_on_error="allow")
        os.makedirs(d.lockout_dir, exist_ok=True)
        with open(db_path(d), "wb") as f:
            f.write(data)
        st = os.stat(d.lockout_dir)
        os.chown(db_path(d), st.st_uid, st.st_gid)
        with d:
            d.wait_for_log(r"lockout: Ban table .* is unusable")
            line = [l for l in d.log_text().splitlines()
                    if "is unusable" in l][0]
            assert "lockout_db %s %s" % (db_path(d), what) in line, \
                (name, line)
            assert todo in line, (name, line)
            assert "read schema version" not in line, (name, line)
            for args in (("lockout", "list"), ("lockout", "stats"),
                         ("lockout", "ban", "127.0.0.9")):
                rc, out, err = d.doveadm(*args, check=False)
                assert rc != 0, (name, args, out)
                assert what in err and todo in err, (name, args, err)
            # the file is left as it was: nothing is lost by looking
            with open(db_path(d), "rb") as f:
                assert f.read() == data, name


if __name__ == "__main__":
    main(globals())
