# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""Proves the integration harness against stock Dovecot (no lockout plugin).

Run as root: /usr/bin/python3 tests/integration/test_harness_selftest.py [test_name ...]
"""

import os
import sys

sys.dont_write_bytecode = True  # leave no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lockout_harness import (  # noqa: E402
    AuthClient, Dovecot, HarnessError, auth_client_cram_md5, auth_client_plain,
    imap_authenticate_plain, imap_login, main, pop3_login)

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


if __name__ == "__main__":
    main(globals())
