# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""Proves the integration harness against stock Dovecot (no lockout plugin),
and the fixtures of the several-node tests (issue 14): a private PostgreSQL
cluster (lockout_pg) and three nodes in network namespaces with their
lockoutd (lockout_nodes; these load the built plugin, with its default
SQLite store).

Run as root: /usr/bin/python3 tests/integration/test_harness_selftest.py [test_name ...]
"""

import os
import pwd
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lockout_harness import (  # noqa: E402
    AuthClient, Dovecot, HarnessError, Netns, auth_client_cram_md5,
    auth_client_plain, find_lockout_modules, imap_authenticate_plain,
    imap_login, main, pop3_login)
from lockout_nodes import Nodes  # noqa: E402
from lockout_pg import PostgresCluster, require_postgres  # noqa: E402

ALICE = "alice@example.org"
# A password that needs IMAP quoting and the {PLAIN.B64} passwd-file form.
CAROL = "carol@example.org"
CAROL_PW = 'c"a\\r:ol pw'

_shared = None


def setup_module():
    # One stock instance for the tests that do not stop it (faster so).
    global _shared
    users = {ALICE: "alice-secret", CAROL: CAROL_PW}
    _shared = Dovecot(passdb_lockout=False, users=users).start()


def shared():
    return _shared


def teardown_module():
    if _shared is not None:
        _shared.close()


def test_imap_login_ok_from_127_0_0_2():
    d = shared()
    mark = d.log_mark()
    ok, line = imap_login(d, ALICE, d.users[ALICE], src="127.0.0.2")
    assert ok, line
    # 2.3 logs "Login: user=<...>", 2.4 "Logged in: user=<...>"
    d.wait_for_log(r"imap-login: Info: (Login|Logged in): "
                   r"user=<alice@example\.org>.*"
                   r"rip=127\.0\.0\.2", since=mark)


def test_imap_login_wrong_password():
    d = shared()
    ok, line = imap_login(d, ALICE, "wrong", src="127.0.0.3")
    assert not ok, line
    assert "AUTHENTICATIONFAILED" in line, line


def test_imap_login_quoted_password():
    d = shared()
    ok, line = imap_login(d, CAROL, CAROL_PW, src="127.0.0.2")
    assert ok, line


def test_imap_authenticate_plain():
    d = shared()
    ok, line = imap_authenticate_plain(d, ALICE, d.users[ALICE],
                                       src="127.0.0.4")
    assert ok, line
    ok, line = imap_authenticate_plain(d, ALICE, "wrong", src="127.0.0.4",
                                       sasl_ir=False)
    assert not ok, line


def test_pop3_login():
    d = shared()
    ok, line = pop3_login(d, ALICE, d.users[ALICE], src="127.0.0.2")
    assert ok, line
    ok, line = pop3_login(d, ALICE, "wrong", src="127.0.0.2")
    assert not ok and line.startswith("-ERR"), line


def test_auth_client_plain():
    d = shared()
    ok, line = auth_client_plain(d, ALICE, d.users[ALICE], service="smtp")
    assert ok and line.startswith("OK\t"), line
    ok, line = auth_client_plain(d, ALICE, "wrong", service="smtp")
    assert not ok and line.startswith("FAIL\t"), line
    # several at once on one connection, IPv6 remote address included
    with AuthClient(d) as a:
        res = a.plain_many([(CAROL, CAROL_PW, {"rip": "2001:db8::7"}),
                            ("nobody@example.org", "x"),
                            (ALICE, "wrong"),
                            (ALICE, d.users[ALICE], {"service": "imap"})])
    assert [r[0] for r in res] == [True, False, False, True], res
    assert res[0][2]["user"] == CAROL, res


def test_auth_client_cram_md5():
    d = shared()
    ok, line = auth_client_cram_md5(d, ALICE, d.users[ALICE])
    assert ok, line
    ok, line = auth_client_cram_md5(d, ALICE, "wrong")
    assert not ok, line


def test_doveadm():
    d = shared()
    rc, out, err = d.doveadm("auth", "test", ALICE, d.users[ALICE])
    assert rc == 0 and "auth succeeded" in out, (out, err)
    rc, out, err = d.doveadm("auth", "test", ALICE, "wrong", check=False)
    assert rc != 0, (out, err)
    d.doveadm("who")
    try:
        d.doveadm("no-such-command")
    except HarnessError:
        pass
    else:
        raise AssertionError("a failing doveadm did not raise")


def test_kill_stats_comes_back():
    d = shared()
    old = d.pids("stats")
    assert len(old) == 1, old
    new = d.kill_stats()
    assert new not in old, (old, new)
    ok, line = auth_client_plain(d, ALICE, d.users[ALICE])
    assert ok, line


def test_restart_and_stop_leave_nothing():
    with Dovecot(passdb_lockout=False) as d:
        alice = d.users[ALICE]
        assert imap_login(d, ALICE, alice, src="127.0.0.2")[0]
        marker = os.path.join(d.lockout_dir, "kept")
        open(marker, "w").close()
        old_master = d.master_pid
        d.restart()
        assert d.master_pid != old_master
        assert os.path.exists(marker), "restart lost the temp dir"
        assert d.log_text().count("starting up") == 2, d.log_tail()
        assert imap_login(d, ALICE, alice, src="127.0.0.2")[0]
        assert pop3_login(d, ALICE, alice, src="127.0.0.3")[0]
        assert d.processes(), "no process found for a running instance"
        d.stop()
        left = d.processes()
        assert not left, left
        tmp = d.tmp
    assert not os.path.exists(tmp), tmp


def test_startup_failure_is_reported():
    # Stock Dovecot has no "lockout" passdb driver: start must fail clearly
    # and leave nothing behind.
    d = Dovecot(passdb_lockout=True)
    try:
        d.start()
    except HarnessError as e:
        assert "passdb" in str(e), e
    else:
        raise AssertionError("start() succeeded with an unknown passdb")
    finally:
        d.close()
    assert not d.processes(), d.processes()
    assert not os.path.exists(d.tmp)


# --- the fixtures of the several-node tests (tests/integration/test_nodes.py)

def test_pg_cluster_password_login_over_the_socket_as_dovecot():
    require_postgres()
    dovecot = pwd.getpwnam("dovecot")
    with PostgresCluster() as pg:
        tmp = pg.tmp
        # no TCP at all: only the socket in its own directory
        assert pg.psql("SHOW listen_addresses") == [[""]]
        assert sorted(os.listdir(pg.socket_dir)) == [".s.PGSQL.5432",
                                                     ".s.PGSQL.5432.lock"]
        pg.create_role_and_db("lockout", "pw with 'quote:colon\\")
        passfile = pg.write_passfile(os.path.join(pg.tmp, "pgpass"),
                                     dovecot.pw_uid)
        st = os.stat(passfile)
        assert (st.st_uid, st.st_mode & 0o777) == (dovecot.pw_uid, 0o600)
        conninfo = pg.conninfo("lockout", passfile=passfile)
        # the dovecot user logs in with the password from the passfile and
        # creates a table in its schema (what the product does)
        rc, out, err = pg.psql_as(
            conninfo, "CREATE TABLE bans (target text); "
            "INSERT INTO bans VALUES ('192.0.2.1'); "
            "SELECT current_user, current_schema(), count(*) FROM bans")
        assert rc == 0 and out == "lockout,lockout,1\n", (rc, out, err)
        # from inside a network namespace too (a Unix socket is a file)
        with Netns() as ns:
            r = subprocess.run(
                ["ip", "netns", "exec", ns.name, "runuser", "-u", "dovecot",
                 "--", os.path.join(pg.bin_dir, "psql"), "-X", "-w", "-t",
                 "-A", conninfo, "-c", "SELECT count(*) FROM bans"],
                capture_output=True, text=True, timeout=30, cwd="/")
            assert r.returncode == 0 and r.stdout == "1\n", r
        # the password is what lets it in: no passfile, or one others may
        # read (libpq ignores it), and it is refused
        rc, out, err = pg.psql_as(pg.conninfo("lockout"), "SELECT 1")
        assert rc != 0 and "no password supplied" in err, (rc, out, err)
        os.chmod(passfile, 0o644)
        rc, out, err = pg.psql_as(conninfo, "SELECT 1")
        assert rc != 0 and "group or world access" in err, (rc, out, err)
        os.chmod(passfile, 0o600)
        # the role owns nothing of the database and may not make another
        assert pg.psql("SELECT pg_get_userbyid(datdba) FROM pg_database "
                       "WHERE datname = 'lockout'") == [["postgres"]]
        rc, out, err = pg.psql_as(conninfo, "CREATE DATABASE other")
        assert rc != 0 and "permission denied" in err, (rc, out, err)
        # the superuser sees the role's table
        assert pg.psql("SELECT target FROM lockout.bans", db="lockout") == \
            [["192.0.2.1"]]
    assert not os.path.exists(tmp), tmp
    assert not pg.processes(), pg.processes()


def test_pg_cluster_stop_start_and_kill_keep_the_data():
    require_postgres()
    with PostgresCluster() as pg:
        pg.create_role_and_db("lockout", "secret")
        pg.psql("CREATE TABLE lockout.t (n int); "
                "INSERT INTO lockout.t VALUES (1)", db="lockout")
        pg.stop()
        assert not pg.running() and not pg.processes()
        assert pg.psql("SELECT 1", check=False) is None
        pg.start()
        pg.psql("INSERT INTO lockout.t VALUES (2)", db="lockout")
        pg.kill()
        assert not pg.running() and not pg.processes()
        pg.start()
        assert pg.psql("SELECT n FROM lockout.t ORDER BY n",
                       db="lockout") == [["1"], ["2"]]
        # frozen: unreachable, not refused - a client waits for its
        # timeout; thawed: back with its data
        pg.freeze()
        start = time.monotonic()
        assert pg.psql("SELECT 1", timeout=2, check=False) is None
        assert time.monotonic() - start >= 1.9
        pg.thaw()
        assert pg.psql("SELECT count(*) FROM lockout.t",
                       db="lockout") == [["2"]]
        assert "database system was interrupted" in pg.log_text() or \
            "not properly shut down" in pg.log_text(), pg.log_tail()
    assert not pg.processes() and not os.path.exists(pg.tmp)


def test_three_nodes_with_their_lockoutd_each_answer_a_login():
    users = {ALICE: "alice-secret"}
    with Nodes(3, module_dirs=find_lockout_modules(), users=users,
               passdb_lockout=True) as nodes:
        names, uts, nets, dirs = set(), set(), set(), set()
        for n in nodes:
            ok, line = n.imap_login(ALICE, users[ALICE], src="127.0.0.2")
            assert ok, (n.name, line)
            assert not n.imap_login(ALICE, "wrong", src="127.0.0.3")[0]
            # lockoutd made its table in the node's namespace only
            assert n.set_elements("ban4") == {}, n.name
            dirs.add(n.d.base_dir)
            uts.add(os.readlink("/proc/%d/ns/uts" % n.d.master_pid))
            nets.add(os.readlink("/proc/%d/ns/net" % n.d.master_pid))
            r = subprocess.run(["nsenter", "-u", "-t", str(n.d.master_pid),
                                "cat", "/proc/sys/kernel/hostname"],
                               capture_output=True, text=True)
            names.add(r.stdout.strip())
            # and so does what runs with its modules (doveadm, lockoutd)
            r = subprocess.run(n.d.modules_argv(
                ["cat", "/proc/sys/kernel/hostname"]), capture_output=True,
                text=True)
            assert r.stdout.strip() == n.name, (n.name, r)
        assert names == {"node1", "node2", "node3"}, names
        assert len(uts) == len(nets) == len(dirs) == 3
        assert os.readlink("/proc/self/ns/net") not in nets
        nsnames = [n.ns.name for n in nodes]
    r = subprocess.run(["ip", "netns", "list"], capture_output=True,
                       text=True)
    assert not any(name in r.stdout for name in nsnames), r.stdout


if __name__ == "__main__":
    main(globals())
