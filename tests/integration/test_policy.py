# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""The policy engine against a real Dovecot: targeted names, stale clients,
protected accounts and known devices, IPv6 networks, escalation, /24 bans,
evidence and notable events.

Run as root after building: /usr/bin/python3 tests/integration/test_policy.py [test ...]
"""

import json
import os
import sqlite3
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lockout_harness import (  # noqa: E402
    failures_db,
    AuthClient, Dovecot, auth_client_plain, find_lockout_modules,
    imap_login, main, passdb_conf)

ALICE = "alice@example.org"
BOB = "bob@example.org"
ADMIN = "admin@example.org"  # a real account with a targeted name
USERS = {ALICE: "alice-secret", BOB: "bob-secret", ADMIN: "admin-secret"}


def instance(**settings):
    return Dovecot(module_dirs=find_lockout_modules(), users=dict(USERS),
                   plugin_settings=settings)


def db_rows(d, sql, args=()):
    con = failures_db(os.path.join(d.lockout_dir, "lockout.db"),
                      timeout=5)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def wait_rows(d, sql, args=(), timeout=3.0):
    deadline = time.monotonic() + timeout
    while True:
        rows = db_rows(d, sql, args)
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def active(d, target):
    for b in d.doveadm_json("lockout", "list"):
        if b["target"] == target:
            return b
    return None


def wait_active(d, target, timeout=3.0):
    deadline = time.monotonic() + timeout
    while True:
        b = active(d, target)
        if b is not None:
            return b
        if time.monotonic() > deadline:
            raise AssertionError("%s not banned: %r" % (
                target, d.doveadm_json("lockout", "list")))
        time.sleep(0.1)


def plain_many(d, attempts, **kw):
    """Several auth-client PLAIN attempts at once: (user, password, rip)."""
    client = AuthClient(d)
    try:
        return client.plain_many([(u, p, {"rip": r}) for u, p, r in attempts],
                                 **kw)
    finally:
        client.close()


def evidence(d, target):
    rows = wait_rows(d, "SELECT evidence FROM bans WHERE target = ? "
                     "ORDER BY id DESC", (target,))
    assert rows, target
    return json.loads(rows[0][0])


def rule_ban(d, target, rule, failures, threshold, window):
    """The ban of target by rule, as its evidence, show and stats tell it
    (the only ban of the rule); returns its evidence."""
    wait_active(d, target)
    ev = evidence(d, target)
    assert ev["rule"] == rule and ev["failures"] == failures, ev
    assert ev["threshold"] == threshold and ev["window"] == window, ev
    out = d.doveadm("lockout", "show", target)[1]
    assert "rule: %s\n" % rule in out, out
    assert "failures: %d\n" % failures in out, out
    st = d.doveadm_json("lockout", "stats")[0]
    assert st["bans_rule_" + rule] == 1, st
    return ev


# --- targeted names ------------------------------------------------------------

def test_targeted_name_that_is_no_account_bans_at_first_try():
    with instance() as d:
        mark = d.log_mark()
        ok, line = imap_login(d, "Webmaster@example.org", "123456",
                              src="127.0.0.3")
        assert not ok, line
        d.wait_for_log(r"lockout: Banned 127\.0\.0\.3 for 604800 secs: "
                       r"login to the targeted name", since=mark)
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.3")
        assert not ok, line
        ban = wait_active(d, "127.0.0.3")
        assert ban["reason"].startswith("login to the targeted name"), ban
        ev = evidence(d, "127.0.0.3")
        assert ev["rule"] == "targeted_unknown", ev
        assert ev["users"] == ["Webmaster@example.org"], ev
        # a non-targeted unknown name is an ordinary failure
        ok, line = imap_login(d, "nobody@example.org", "x", src="127.0.0.4")
        time.sleep(0.6)
        assert active(d, "127.0.0.4") is None


def test_targeted_ban_time_permanent():
    with instance(lockout_targeted_ban_time="permanent") as d:
        ok, _ = imap_login(d, "info", "x", src="127.0.0.3")
        assert not ok
        ban = wait_active(d, "127.0.0.3")
        assert ban["expires"] == "", ban


def test_existing_targeted_account_has_a_stricter_threshold():
    with instance() as d:
        res = plain_many(d, [(ADMIN, "guess%d" % i, "127.0.0.7")
                             for i in range(3)], service="imap")
        assert not any(ok for ok, _, _ in res)
        ban = wait_active(d, "127.0.0.7")
        assert evidence(d, "127.0.0.7")["rule"] == "targeted_failures"
        assert ban["failures"] == 3, ban
        # the account itself still works from elsewhere
        ok, line = imap_login(d, ADMIN, USERS[ADMIN], src="127.0.0.8")
        assert ok, line


def test_typo_on_a_targeted_account_with_a_second_passdb_is_no_unknown_user():
    # passwd-file says "password mismatch", a later passdb "unknown user":
    # Dovecot's final result is the last one, but the account exists
    other = "/tmp/lockout-empty-passwd-%d" % os.getpid()
    with open(other, "w") as f:
        f.write("")
    os.chmod(other, 0o644)
    try:
        d = Dovecot(module_dirs=find_lockout_modules(), users=dict(USERS),
                    plugin_settings={},
                    extra_conf=passdb_conf(
                        "empty", "passwd-file", args=other,
                        settings={"passwd_file_path": other}))
        with d:
            ok, line = imap_login(d, ADMIN, "typo", src="127.0.0.7")
            assert not ok, line
            # 2.3: "passwd-file(user,ip,...): unknown user"; 2.4:
            # "auth(user,ip,...)<session>: Info: empty: unknown user"
            d.wait_for_log(r"(passwd-file|auth)\(admin@example\.org,"
                           r"127\.0\.0\.7.*unknown user")
            time.sleep(0.6)
            assert active(d, "127.0.0.7") is None, \
                d.doveadm_json("lockout", "list")
            # the failure row comes with the write queue's batch
            rows = wait_rows(d, "SELECT result FROM failures WHERE ip = ?",
                             ("127.0.0.7",))
            assert rows == [("mismatch",)], rows
    finally:
        os.unlink(other)


# --- stale clients ---------------------------------------------------------------

def test_repeating_one_wrong_password_is_not_banned_but_reported():
    with instance() as d:
        for batch in range(5):
            res = plain_many(d, [(ALICE, "old-password", "127.0.0.3")] * 10,
                             service="imap")
            assert not any(ok for ok, _, _ in res)
        time.sleep(0.6)
        assert active(d, "127.0.0.3") is None, d.doveadm_json("lockout",
                                                             "list")
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.3")
        assert ok, line
        rows = wait_rows(d, "SELECT ip, user, detail FROM events "
                         "WHERE kind = 'stale_client'")
        assert rows and rows[0][0] == "127.0.0.3" and rows[0][1] == ALICE, \
            rows
        detail = json.loads(rows[0][2])
        assert detail["repeats"] >= 5, detail
        # the password itself is nowhere in the table
        con = sqlite3.connect(os.path.join(d.lockout_dir, "lockout.db"))
        dump = "\n".join(con.iterdump())
        con.close()
        assert "old-password" not in dump


def test_ten_different_passwords_are_banned():
    with instance() as d:
        res = plain_many(d, [(ALICE, "guess%d" % i, "127.0.0.3")
                             for i in range(10)], service="imap")
        assert not any(ok for ok, _, _ in res)
        ban = wait_active(d, "127.0.0.3")
        ev = evidence(d, "127.0.0.3")
        assert ev["rule"] == "ip_failures" and ev["distinct_passwords"] == 10
        assert ban["failures"] == 10, ban


# --- known devices and protected accounts -------------------------------------------

def test_distributed_attack_protects_the_account_and_known_device_works():
    # user_failures alone (user_networks would protect at the 5th network)
    with instance(lockout_user_failures="30",
                  lockout_user_networks="0") as d:
        # alice's phone, known from a successful login
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.2")
        assert ok, line
        assert wait_rows(d, "SELECT network FROM known_devices "
                         "WHERE user = ?", (ALICE,)) == [("127.0.0.0/24",)]
        # twenty addresses from other networks, a couple of tries each
        mark = d.log_mark()
        attempts = [(ALICE, "guess%d-%d" % (n, i), "127.%d.0.9" % (n + 10))
                    for n in range(20) for i in range(2)]
        res = plain_many(d, attempts, service="imap")
        assert not any(ok for ok, _, _ in res)
        d.wait_for_log(r"lockout: Protected account alice@example\.org "
                       r"for 3600 secs", since=mark)
        prot = wait_active(d, ALICE)
        assert prot["kind"] == "user", prot
        # nobody was banned by address: each source stayed below the limit
        assert [b["target"] for b in d.doveadm_json("lockout", "list")] == \
            [ALICE]
        # the known device keeps working, a new address is refused even
        # with the right password, other accounts are untouched
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.2")
        assert ok, line
        ok, line = auth_client_plain(d, ALICE, USERS[ALICE], service="imap",
                                     rip="127.99.0.1")
        assert not ok, line
        ok, line = auth_client_plain(d, BOB, USERS[BOB], service="imap",
                                     rip="127.99.0.1")
        assert ok, line
        # the postmaster is told (lockoutd mails the events table)
        rows = wait_rows(d, "SELECT user FROM events WHERE kind = "
                         "'protected'")
        assert rows == [(ALICE,)], rows
        ev = evidence(d, ALICE)
        assert ev["rule"] == "user_failures" and ev["distinct_sources"] >= 15
        # refusals for the protected account still count against their
        # source: a brute-forcer keeping at it is banned by address
        res = plain_many(d, [(ALICE, "later%d" % i, "127.98.0.1")
                             for i in range(10)], service="imap")
        assert not any(ok for ok, _, _ in res)
        wait_active(d, "127.98.0.1")


def test_protected_account_owner_goes_on_at_a_busy_office_network():
    """Issue 13: the owner of an attacked account, at the office NAT where
    other users log in every day, was refused with the right password
    (not a known device of that account yet). Three other accounts'
    successes from a /24 within lockout_known_device_time now let a
    protected account's owner in there; two do not."""
    carol = "carol@example.org"
    users = dict(USERS, **{carol: "carol-secret"})
    with Dovecot(module_dirs=find_lockout_modules(), users=users,
                 plugin_settings={"lockout_user_failures": "5"}) as d:
        for user, src in ((BOB, "127.0.50.2"), (ADMIN, "127.0.50.3"),
                          (carol, "127.0.50.4"), (BOB, "127.0.60.2"),
                          (ADMIN, "127.0.60.3")):
            ok, line = auth_client_plain(d, user, users[user],
                                         service="imap", rip=src)
            assert ok, line
        res = plain_many(d, [(ALICE, "g%d" % i, "127.%d.0.1" % (i + 10))
                             for i in range(5)], service="imap")
        assert not any(ok for ok, _, _ in res)
        wait_active(d, ALICE)
        # two other accounts at 127.0.60.0/24: not busy, refused; three
        # at 127.0.50.0/24: the office, a new device there goes on; the
        # account stays protected everywhere else (but near the office
        # now, 127.0.0.0/15: lockout_near_prefix)
        for src, expected in (("127.0.60.9", False), ("127.0.50.9", True),
                              ("127.70.0.9", False)):
            ok, line = auth_client_plain(d, ALICE, USERS[ALICE],
                                         service="imap", rip=src)
            assert ok == expected, (src, line)
        assert active(d, ALICE) is not None


def test_known_devices_survive_restart():
    with instance(lockout_user_failures="5") as d:
        ok, _ = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.2")
        assert ok
        wait_rows(d, "SELECT 1 FROM known_devices")
        d.restart()
        res = plain_many(d, [(ALICE, "g%d" % i, "127.%d.0.1" % (i + 10))
                             for i in range(5)], service="imap")
        assert not any(ok for ok, _, _ in res)
        wait_active(d, ALICE)
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.2")
        assert ok, line


# --- sources ---------------------------------------------------------------------

def test_ipv6_source_banned_as_its_64():
    with instance(lockout_ip_failures="5") as d:
        res = plain_many(d, [(ALICE, "g%d" % i, "2001:db8:aa:bb::%x" % i)
                             for i in range(5)], service="imap")
        assert not any(ok for ok, _, _ in res)
        ban = wait_active(d, "2001:db8:aa:bb::/64")
        assert ban["kind"] == "net", ban
        ok, _ = auth_client_plain(d, ALICE, USERS[ALICE], service="imap",
                                  rip="2001:db8:aa:bb:1:2:3:4")
        assert not ok
        ok, _ = auth_client_plain(d, ALICE, USERS[ALICE], service="imap",
                                  rip="2001:db8:aa:bc::1")
        assert ok


def test_ipv6_rotation_bans_its_56_never_the_home_48():
    # v6agg: a bot taking a new /64 of its /56 for every try is banned
    # as its /56 (ip_spread at twice its threshold); the /48 around it,
    # where a user logs in, never is - not by ip_spread/48, not after
    # three of its /56s banned (net_hosts/48)
    with instance(lockout_ip_spread_usernames="2",
                  lockout_ipv6_net_bans="3") as d:
        ok, _ = auth_client_plain(d, ALICE, USERS[ALICE], service="imap",
                                  rip="2001:db8:1:b012::5")
        assert ok
        for n56 in (0xa0, 0xa1, 0xa2):
            for i in range(4):
                ok, _ = auth_client_plain(
                    d, "n%x-%d@example.org" % (n56, i), "x%d" % i,
                    service="imap",
                    rip="2001:db8:1:%02x%02x::1" % (n56, i))
                assert not ok
            net = "2001:db8:1:%02x00::/56" % n56
            ban = wait_active(d, net)
            assert ban["kind"] == "net", ban
            ev = evidence(d, net)
            assert ev["rule"] == "ip_spread/56", ev
            assert ev["failures"] == 4 and ev["threshold"] == 4, ev
        assert active(d, "2001:db8:1:a000::/64") is None
        out = d.doveadm("lockout", "show", "2001:db8:1:a000::/56")[1]
        assert "rule: ip_spread/56\n" in out, out
        st = d.doveadm_json("lockout", "stats")[0]
        assert st["bans_rule_ipv6_net"] == 3, st
        assert st["bans_rule_ip_spread"] == 0, st
        # the whole /56 is refused, the user's home and /56 are not
        ok, _ = auth_client_plain(d, ALICE, USERS[ALICE], service="imap",
                                  rip="2001:db8:1:a0ff::9")
        assert not ok
        time.sleep(0.6)
        assert active(d, "2001:db8:1::/48") is None
        ok, _ = auth_client_plain(d, ALICE, USERS[ALICE], service="imap",
                                  rip="2001:db8:1:b012::6")
        assert ok
        ok, _ = auth_client_plain(d, ALICE, USERS[ALICE], service="imap",
                                  rip="2001:db8:1:a300::1")
        assert ok


def test_repeat_offender_ban_escalates():
    with instance(lockout_ip_failures="3", lockout_ban_time="10 mins",
                  lockout_ban_time_max="40 mins") as d:
        durations = []
        for round_ in range(4):
            res = plain_many(d, [(ALICE, "r%d-%d" % (round_, i),
                                  "127.0.0.3") for i in range(3)],
                             service="imap")
            assert not any(ok for ok, _, _ in res)
            wait_active(d, "127.0.0.3")
            rows = db_rows(d, "SELECT expires - created FROM bans WHERE "
                           "target = '127.0.0.3' ORDER BY id DESC LIMIT 1")
            durations.append(rows[0][0])
            con = sqlite3.connect(os.path.join(d.lockout_dir, "lockout.db"))
            con.execute("UPDATE bans SET lifted = ? WHERE target = "
                        "'127.0.0.3' AND lifted IS NULL",
                        (int(time.time()),))
            con.commit()
            con.close()
            time.sleep(1.0)
        # doubling from lockout_ban_time, capped by lockout_ban_time_max
        assert durations == [600, 1200, 2400, 2400], durations
        ev = evidence(d, "127.0.0.3")
        assert ev["previous_bans"] == 3, ev


def test_ban_permanent_after():
    with instance(lockout_ip_failures="3",
                  lockout_ban_permanent_after="1") as d:
        for round_ in range(2):
            plain_many(d, [(ALICE, "p%d-%d" % (round_, i), "127.0.0.3")
                           for i in range(3)], service="imap")
            ban = wait_active(d, "127.0.0.3")
            if round_ == 0:
                assert ban["expires"] != "", ban
                con = sqlite3.connect(os.path.join(d.lockout_dir,
                                                   "lockout.db"))
                con.execute("UPDATE bans SET lifted = ?",
                            (int(time.time()),))
                con.commit()
                con.close()
                time.sleep(1.0)
        assert ban["expires"] == "", ban


def test_several_banned_hosts_ban_their_24():
    with instance(lockout_ip_failures="3", lockout_net_ban_hosts="3") as d:
        # a success from another /24 does not matter; one from this /24
        # would (tested in the unit tests)
        for host in (11, 12, 13):
            plain_many(d, [(ALICE, "n%d-%d" % (host, i), "127.0.5.%d" % host)
                           for i in range(3)], service="imap")
        ban = wait_active(d, "127.0.5.0/24")
        assert ban["kind"] == "net", ban
        assert evidence(d, "127.0.5.0/24")["rule"] == "net_hosts"
        ok, _ = auth_client_plain(d, ALICE, USERS[ALICE], service="imap",
                                  rip="127.0.5.200")
        assert not ok
        ok, _ = auth_client_plain(d, ALICE, USERS[ALICE], service="imap",
                                  rip="127.0.6.200")
        assert ok


def test_success_after_many_failures_is_notable():
    with instance() as d:
        plain_many(d, [(ALICE, "s%d" % i, "127.0.0.3") for i in range(6)],
                   service="imap")
        time.sleep(0.6)
        ok, _ = auth_client_plain(d, ALICE, USERS[ALICE], service="imap",
                                  rip="127.0.0.3")
        assert ok
        rows = wait_rows(d, "SELECT ip, user FROM events WHERE kind = "
                         "'success_after_failures'")
        assert rows == [("127.0.0.3", ALICE)], rows


def test_default_allow_networks_protect_loopback():
    with Dovecot(module_dirs=find_lockout_modules(), users=dict(USERS),
                 plugin_settings={"lockout_allow_networks": None}) as d:
        res = plain_many(d, [(ALICE, "a%d" % i, "127.0.0.3")
                             for i in range(12)], service="imap")
        assert not any(ok for ok, _, _ in res)
        ok, _ = imap_login(d, "admin-nonexistent@x", "x", src="127.0.0.3")
        ok, _ = imap_login(d, "root", "x", src="127.0.0.3")
        time.sleep(0.6)
        assert d.doveadm_json("lockout", "list") == []
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.3")
        assert ok, line


# --- issue 13: detection rules (small windows stand for long ones) -----------

def test_slow_guesser_is_banned_by_the_long_window():
    # 4 distinct failures 1 s apart: the short window (2 s, 10 failures)
    # forgets them, the long one (1 min, 4) bans; repeats of one password
    # from another source never count
    with instance(lockout_ip_window="2 secs", lockout_ip_long_failures="4",
                  lockout_ip_long_window="1 min",
                  lockout_ip_long_ban_time="5 mins") as d:
        for i in range(6):
            ok, _ = auth_client_plain(d, BOB, "old", service="imap",
                                      rip="127.0.0.4")
            assert not ok
            ok, _ = auth_client_plain(d, ALICE, "slow%d" % i, service="imap",
                                      rip="127.0.0.3")
            assert not ok
            if i == 3:
                break
            time.sleep(1.0)
        wait_active(d, "127.0.0.3")
        ev = evidence(d, "127.0.0.3")
        assert ev["rule"] == "ip_long" and ev["failures"] == 4, ev
        assert ev["window"] == 60 and ev["distinct_passwords"] == 4, ev
        rows = db_rows(d, "SELECT expires - created FROM bans WHERE "
                       "target = '127.0.0.3'")
        assert rows == [(300,)], rows
        assert active(d, "127.0.0.4") is None
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.3")
        assert not ok, line


def test_failures_from_many_networks_protect_sooner_and_near_passes():
    """Issue 13, rule user_networks: failures with distinct passwords from
    5 networks (/24s here) that are not the account's known devices
    protect it, long before user_failures' 30; one network's many sources
    count once, and so does one old password from many networks. The
    owner at a new address near a network where the account logged in
    (the /15 around it) goes on, a foreign network is refused."""
    with instance(lockout_user_failures="30") as d:
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.2")
        assert ok, line
        attempts = [(ALICE, "guess%d" % i, "127.20.0.%d" % (i + 1))
                    for i in range(3)]
        attempts += [(ALICE, "old-password", "127.%d.0.1" % n)
                     for n in (30, 31, 32)]
        attempts += [(ALICE, "guess%d" % n, "127.%d.0.1" % n)
                     for n in (40, 41)]
        for user, password, src in attempts:
            ok, _ = auth_client_plain(d, user, password, service="imap",
                                      rip=src)
            assert not ok
        # 4 networks: not yet
        time.sleep(0.6)
        assert active(d, ALICE) is None
        mark = d.log_mark()
        ok, _ = auth_client_plain(d, ALICE, "guess42", service="imap",
                                  rip="127.42.0.1")
        assert not ok
        d.wait_for_log(r"lockout: Protected account alice@example\.org "
                       r"for 7200 secs: failed logins with distinct "
                       r"passwords from 5 networks within 6 hours", since=mark)
        prot = wait_active(d, ALICE)
        assert prot["kind"] == "user" and prot["rule"] == "user_networks", prot
        ev = evidence(d, ALICE)
        assert ev["rule"] == "user_networks" and ev["failures"] == 5, ev
        assert ev["threshold"] == 5 and ev["window"] == 21600, ev
        assert ev["distinct_networks"] == [
            "127.20.0.0/24", "127.30.0.0/24", "127.40.0.0/24",
            "127.41.0.0/24", "127.42.0.0/24"], ev
        out = d.doveadm("lockout", "show", ALICE)[1]
        assert "rule: user_networks\n" in out, out
        st = d.doveadm_json("lockout", "stats")[0]
        assert st["bans_rule_user_networks"] == 1, st
        assert st["bans_rule_user_failures"] == 0, st
        # near (127.0.0.0/15): the owner goes on; foreign: refused, even
        # with the right password; other accounts untouched
        for user, src, expected in ((ALICE, "127.1.0.5", True),
                                    (ALICE, "127.99.0.1", False),
                                    (BOB, "127.99.0.1", True)):
            ok, line = auth_client_plain(d, user, USERS[user],
                                         service="imap", rip=src)
            assert ok == expected, (user, src, line)


def test_protection_lets_a_retry_through():
    """Issue 13, lockout_protect_retries: a source a protection refused that
    tries the same password on the account again reaches the password check,
    once (the owner's client at a new network polls with the password it
    stores); a guesser's new passwords are all refused, its repeated one
    gets one check, and once a retry failed on the account none gets
    through within lockout_user_networks_window."""
    with instance(lockout_user_failures="3", lockout_user_networks="0",
                  lockout_near_prefix="0") as d:
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.2")
        assert ok, line
        for i in range(3):
            ok, _ = auth_client_plain(d, ALICE, "guess%d" % i,
                                      service="imap",
                                      rip="127.20.0.%d" % (i + 1))
            assert not ok
        prot = wait_active(d, ALICE)
        assert prot is not None and prot["kind"] == "user", prot
        # the owner at a hotel: refused, then in with the same password,
        # and the hotel's /24 is a known device from then on
        for src, expected in (("127.99.0.1", False), ("127.99.0.1", True),
                              ("127.99.0.2", True)):
            ok, line = auth_client_plain(d, ALICE, USERS[ALICE],
                                         service="imap", rip=src)
            assert ok == expected, (src, line)
        # a guesser: g1, g2 refused; g2 again checked (and wrong); after
        # that nobody's retry gets through, not even the owner's
        for password in ("g1", "g2", "g2", "g3", "g3"):
            ok, _ = auth_client_plain(d, ALICE, password, service="imap",
                                      rip="127.98.0.1")
            assert not ok
        for _ in range(2):
            ok, line = auth_client_plain(d, ALICE, USERS[ALICE],
                                         service="imap", rip="127.97.0.1")
            assert not ok, line
        # the retry was counted as a failure of the guesser's source
        rows = wait_rows(d, "SELECT result, count FROM failures "
                         "WHERE ip = ? AND result = 'mismatch'",
                         ("127.98.0.1",))
        assert sum(r[1] for r in rows) == 1, rows


def test_stale_clients_polling_do_not_ban_an_office():
    """Issue 13: a (source, username, password) pair that failed within
    lockout_ip_long_window counts once, also past lockout_ip_window: the
    office NAT whose users' clients poll with their old passwords is not
    banned by their polls; new pairs at the threshold still ban it."""
    with instance(lockout_ip_failures="5", lockout_ip_window="8 secs",
                  lockout_ip_long_failures="0",
                  lockout_ip_spread_usernames="0",
                  lockout_alert_unknown="0",
                  lockout_user_networks="0") as d:
        office = "127.0.0.5"
        stale = [("user%d@example.org" % i, "old-%d" % i) for i in range(4)]
        for user, password in stale:
            ok, _ = auth_client_plain(d, user, password, service="imap",
                                      rip=office)
            assert not ok
        time.sleep(8.5)
        # they poll again, a 5th joins: 5 failures within the window, 1 new
        for user, password in stale + [("user4@example.org", "old-4")]:
            ok, _ = auth_client_plain(d, user, password, service="imap",
                                      rip=office)
            assert not ok
        time.sleep(0.6)
        assert active(d, office) is None
        ok, line = auth_client_plain(d, ALICE, USERS[ALICE], service="imap",
                                     rip=office)
        assert ok, line
        # 5 new pairs within the window: banned
        for i in range(5):
            ok, _ = auth_client_plain(d, "new%d@example.org" % i, "x",
                                      service="imap", rip=office)
            assert not ok
        ban = wait_active(d, office)
        assert ban is not None and ban["rule"] == "ip_failures", ban


def test_spread_of_usernames_bans_a_source():
    # ip_spread: 3 distinct usernames within the window ban the source,
    # long before ip_failures (100 here); one person's spellings of a
    # username count once, and one account failing again and again from
    # another source (a typo, an old phone) never counts as a spread
    with instance(lockout_ip_failures="100", lockout_ip_long_failures="0",
                  lockout_ip_spread_usernames="3",
                  lockout_ip_spread_window="1 hour",
                  lockout_ip_spread_ban_time="5 mins") as d:
        for i in range(6):
            ok, _ = auth_client_plain(d, BOB, "typo%d" % i, service="imap",
                                      rip="127.0.0.4")
            assert not ok
        for user in ("alice", "Alice@example.org", "ALICE@example.org",
                     "nobody@example.org"):
            ok, _ = auth_client_plain(d, user, "x", service="imap",
                                      rip="127.0.0.3")
            assert not ok
        time.sleep(0.6)
        assert active(d, "127.0.0.3") is None
        assert active(d, "127.0.0.4") is None
        ok, _ = auth_client_plain(d, "carol@example.org", "x", service="imap",
                                  rip="127.0.0.3")
        assert not ok
        # show and stats (by rule) tell it
        rule_ban(d, "127.0.0.3", "ip_spread", 3, 3, 3600)
        rows = db_rows(d, "SELECT expires - created, rule FROM bans WHERE "
                       "target = '127.0.0.3'")
        assert rows == [(300, "ip_spread")], rows
        st = d.doveadm_json("lockout", "stats")[0]
        assert st["bans_rule_ip_failures"] == 0, st
        assert active(d, "127.0.0.4") is None
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.3")
        assert not ok, line



# --- issue 11: usernames Dovecot refuses ---------------------------------------

# Dovecot's own default, spelled out: a space, a quote, '#', '$', '%' and '^'
# are refused before any passdb runs.
USERNAME_CHARS = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                  "01234567890.-_@")
BAD_NAMES = ['a b"c', "user#$%^", 'a b"c', "x y"]


def test_usernames_dovecot_refuses_count_for_their_source():
    with Dovecot(module_dirs=find_lockout_modules(), users=dict(USERS),
                 plugin_settings={"lockout_ip_failures": str(len(BAD_NAMES))},
                 extra_conf="auth_username_chars = %s\n"
                 % USERNAME_CHARS) as d:
        for i, name in enumerate(BAD_NAMES):
            if i == 1:
                # the auth-client route too (what smtp/submission use)
                ok, line = auth_client_plain(d, name, "x", service="imap",
                                             rip="127.0.0.21")
            else:
                ok, line = imap_login(d, name, "x%d" % i, src="127.0.0.21")
            assert not ok, line
            if i < len(BAD_NAMES) - 1:
                assert active(d, "127.0.0.21") is None, i
        b = wait_active(d, "127.0.0.21")
        assert b["kind"] == "ip", b
        ev = evidence(d, "127.0.0.21")
        assert ev["rule"] == "ip_failures", ev
        assert ev["failures"] == len(BAD_NAMES), ev
        assert ev["invalid_user_failures"] == len(BAD_NAMES), ev
        # the names are attacker junk: never evidence, never a username
        assert ev["users"] == [] and ev["distinct_users"] == 0, ev
        # the banned source stays refused, with the right password too
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.21")
        assert not ok, line
        ok, line = imap_login(d, "z z", "x", src="127.0.0.21")
        assert not ok, line
        # another address is fine
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.22")
        assert ok, line
        # the history: rows without a user; the attempt made while banned
        # is a refusal, and banned no second time
        deadline = time.monotonic() + 3.0
        while db_rows(d, "SELECT sum(count) FROM failures WHERE "
                      "ip = '127.0.0.21'") != [(len(BAD_NAMES) + 2,)]:
            assert time.monotonic() < deadline, db_rows(
                d, "SELECT * FROM failures")
            time.sleep(0.1)
        rows = db_rows(d, "SELECT user, result, sum(count) FROM failures "
                       "WHERE ip = '127.0.0.21' GROUP BY user, result "
                       "ORDER BY result")
        assert rows == [("", "invalid_user", len(BAD_NAMES)),
                        ("", "refused", 1),
                        (ALICE, "refused", 1)], rows
        assert db_rows(d, "SELECT count(*) FROM bans WHERE "
                       "target = '127.0.0.21'") == [(1,)]
        tops = d.doveadm_json("lockout", "top", "users")
        assert [t["user"] for t in tops] == [ALICE], tops
        show = d.doveadm_json("lockout", "show", "127.0.0.21")[0]
        assert show["state"] == "banned" and show["rule"] == "ip_failures"
        assert show["history_failures"] == len(BAD_NAMES), show
        assert show["history_refused"] == 2, show
        assert show["users"] == "" and show["distinct_users"] == 0, show


def test_usernames_dovecot_refuses_count_with_every_mechanism():
    # LOGIN asks for the name alone, CRAM-MD5 sends it with the digest, an
    # empty name is refused too ("Empty username")
    with Dovecot(module_dirs=find_lockout_modules(), users=dict(USERS),
                 plugin_settings={"lockout_ip_failures": "3"},
                 extra_conf="auth_username_chars = %s\n"
                 % USERNAME_CHARS) as d:
        with AuthClient(d) as a:
            ok, line, _ = a.auth("LOGIN", service="imap", rip="127.0.0.26",
                                 responder=lambda chal: b"a b")
            assert not ok, line
            ok, line, _ = a.cram_md5("c d", "x", service="imap",
                                     rip="127.0.0.26")
            assert not ok, line
            assert active(d, "127.0.0.26") is None
            ok, line, _ = a.plain("", "x", service="imap", rip="127.0.0.26")
            assert not ok, line
        wait_active(d, "127.0.0.26")
        ev = evidence(d, "127.0.0.26")
        assert ev["invalid_user_failures"] == 3, ev
        assert sorted(ev["mechanisms"]) == ["CRAM-MD5", "LOGIN", "PLAIN"], ev
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.26")
        assert not ok, line


def test_usernames_dovecot_refuses_below_the_threshold_ban_nobody():
    with Dovecot(module_dirs=find_lockout_modules(), users=dict(USERS),
                 plugin_settings={"lockout_ip_failures": "3"},
                 extra_conf="auth_username_chars = %s\n"
                 % USERNAME_CHARS) as d:
        for src in ("127.0.0.23", "127.0.0.24", "127.0.0.25"):
            ok, line = imap_login(d, "a b", "x", src=src)
            assert not ok, line
        ok, line = imap_login(d, "c#d", "x", src="127.0.0.23")
        assert not ok, line
        time.sleep(0.6)
        assert d.doveadm_json("lockout", "list") == []
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.23")
        assert ok, line
def test_unknown_user_alert_bans_a_suspect_at_its_second_person():
    # unknown_alert: 3 unknown users (Dovecot's passdb says "unknown
    # user") from networks without successes start the alert (an event
    # for the postmaster); a source that failed on an unknown user during
    # it is banned at its failure on another person, long before
    # ip_failures (100 here); an owner mistyping the username and then the
    # password at a new network is one person, never banned
    with instance(lockout_ip_failures="100", lockout_ip_long_failures="0",
                  lockout_ip_spread_usernames="0",
                  lockout_alert_unknown="3") as d:
        for i in (1, 2, 3):
            ok, _ = auth_client_plain(d, "former%d@example.org" % i, "x",
                                      service="imap", rip="127.0.9.%d" % i)
            assert not ok
        rows = wait_rows(d, "SELECT ip, user FROM events WHERE kind = "
                         "'alert_started'")
        assert rows == [("127.0.9.3", "former3@example.org")], rows
        st = d.doveadm_json("lockout", "stats")[0]
        assert st["alerts_day"] == 1, st
        for user, pw in (("bbo@example.org", "bob-secrte"),
                         (BOB, "bob-secrte"), ("Bob", "bob-secert")):
            ok, _ = auth_client_plain(d, user, pw, service="imap",
                                      rip="127.0.10.5")
            assert not ok
        # 127.0.9.1 failed on an unknown user before the alert: no suspect
        ok, _ = auth_client_plain(d, BOB, "123456", service="imap",
                                  rip="127.0.9.1")
        assert not ok
        ok, _ = auth_client_plain(d, BOB, "123456", service="imap",
                                  rip="127.0.9.3")
        assert not ok
        ev = rule_ban(d, "127.0.9.3", "unknown_alert", 2, 2, 600)
        assert ev["users"] == ["former3@example.org", BOB], ev
        # the suspect's try on bob was refused before the password check
        rows = db_rows(d, "SELECT result FROM failures WHERE ip = "
                       "'127.0.9.3' AND user = ?", (BOB,))
        assert rows == [("suspect",)], rows
        assert active(d, "127.0.10.5") is None
        assert active(d, "127.0.9.1") is None
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.9.3")
        assert not ok, line


def test_unknown_name_is_refused_before_the_lookup_until_it_is_an_account():
    # unknown_names: a username the passdb called unknown is refused
    # before the lookup from any other source (the failure row says
    # "unknown_name", stats count it) and counts as the unknown user it is;
    # a network with a success is never refused by it; an account created
    # under the name is refused until the time runs out, then logs in
    with instance(lockout_ip_failures="100", lockout_ip_long_failures="0",
                  lockout_ip_spread_usernames="0",
                  lockout_alert_unknown="0",
                  lockout_unknown_names_time="10 secs") as d:
        ghost = "ghost@example.org"
        ok, _ = auth_client_plain(d, ghost, "x", service="imap",
                                  rip="127.0.14.1")
        assert not ok
        ok, _ = auth_client_plain(d, "Ghost@example.org", "y",
                                  service="imap", rip="127.0.15.1")
        assert not ok
        # a network where alice logs in: looked up (unknown again)
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.16.1")
        assert ok, line
        ok, _ = auth_client_plain(d, ghost, "z", service="imap",
                                  rip="127.0.16.2")
        assert not ok
        taught = time.monotonic()
        rows = wait_rows(d, "SELECT ip, result FROM failures WHERE user "
                         "LIKE 'ghost@%' ORDER BY id")
        deadline = time.monotonic() + 3
        while len(rows) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
            rows = db_rows(d, "SELECT ip, result FROM failures WHERE user "
                           "LIKE 'ghost@%' ORDER BY id")
        assert rows == [("127.0.14.1", "unknown_user"),
                        ("127.0.15.1", "unknown_name"),
                        ("127.0.16.2", "unknown_user")], rows
        st = d.doveadm_json("lockout", "stats")[0]
        assert st["unknown_names_day"] == 1, st
        show = d.doveadm_json("lockout", "show", "Ghost@example.org")[0]
        assert show["history_unknown_names"] == 1, show
        assert show["history_failures"] == 1, show
        # the account is created: refused until lockout_unknown_names_time
        # after the passdb last said "unknown" (127.0.16.2), then it logs
        # in, and the name is forgotten
        d.set_user(ghost, "ghost-secret")
        ok, _ = auth_client_plain(d, ghost, "ghost-secret", service="imap",
                                  rip="127.0.17.1")
        assert not ok
        time.sleep(max(0.0, taught + 10.5 - time.monotonic()))
        ok, line = imap_login(d, ghost, "ghost-secret", src="127.0.17.1")
        assert ok, line
        assert d.doveadm_json("lockout", "list") == []


if __name__ == "__main__":
    main(globals())
