# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""lockoutd against a real Dovecot and real nftables: bans mirrored into
ban4/ban6 with timeouts, unbans, reconcile after a restart, a banned address
dropped at the IMAP port, the postmaster's mail delivered by dovecot-lda and
read back over IMAP, retries after a failing sendmail (and after one
stopped with lockoutd), the privilege drop, the command line, make
install.

Every lockoutd and every nft command runs inside a network namespace the
test creates and deletes (`ip netns add lockout-t<random>`): the host's
ruleset is never touched.

Run as root after building:
    /usr/bin/python3 tests/integration/test_lockoutd.py [test ...]
"""

import glob
import imaplib
import os
import re
import pwd
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lockout_harness import (  # noqa: E402
    failures_db,
    AuthClient, Dovecot, HarnessError, Lockoutd, Netns, find_lockout_modules,
    in_netns, lockoutd_bin, main, run_lockoutd, sendmail_script,
    set_elements, wait_until)
from lockout_nodes import PG_PASSWORD, pg_store  # noqa: E402
from lockout_pg import PostgresCluster, require_postgres  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ALICE = "alice@example.org"
POSTMASTER = "postmaster@example.org"
USERS = {ALICE: "alice-secret", "bob@example.org": "bob-secret",
         POSTMASTER: "postmaster-secret"}
FAILURES = 3
# dovecot-lda runs as the dovecot user here: its log goes to its standard
# error (which lockoutd shows when it fails), not to the root-owned log file
LDA_ARGS = "/usr/lib/dovecot/dovecot-lda -c %s -o log_path=/dev/stderr -d %s"


def build_dir():
    return os.environ.get("LOCKOUT_BUILD_DIR") or os.path.join(REPO, "build")


# --------------------------------------------------------------------------
# Dovecot, the ban table, attacks

def instance(netns=None, wait_auth=True, **settings):
    plugin = {"lockout_ip_failures": str(FAILURES),
              "lockout_ip_window": "10 mins",
              "lockout_ban_time": "10 mins"}
    plugin.update(settings)
    return Dovecot(module_dirs=find_lockout_modules(), users=dict(USERS),
                   plugin_settings=plugin, netns=netns, wait_auth=wait_auth)


def db(d):
    c = failures_db(os.path.join(d.lockout_dir, "lockout.db"),
                    timeout=5, isolation_level=None)
    return c


def add_ban(d, target, kind="ip", expires_in=3600, observed=0,
            reason="test"):
    now = int(time.time())
    with db(d) as c:
        c.execute("INSERT INTO bans (target, kind, source, reason, rule, "
                  "created, expires, failures, evidence, observed) VALUES "
                  "(?, ?, 'manual', ?, 'manual', ?, ?, 0, '{}', ?)",
                  (target, kind, reason, now - 1,
                   None if expires_in is None else now + expires_in,
                   observed))


def lift(d, target):
    """doveadm lockout unban when this build has it, else a direct lift
    in the table (what it does)."""
    rc, out, err = d.doveadm("lockout", "unban", target, check=False)
    if rc == 0:
        return
    with db(d) as c:
        c.execute("UPDATE bans SET lifted = ? WHERE target = ? AND "
                  "lifted IS NULL", (int(time.time()), target))


def attack(d, rip, user=ALICE, count=FAILURES, service="imap"):
    """count wrong passwords at once over the auth-client socket as if
    from rip (IPv6 sources need this: no IPv6 client here)."""
    with AuthClient(d) as a:
        res = a.plain_many([(user, "wrong-%d" % i) for i in range(count)],
                           service=service, rip=rip)
    for ok, line, _ in res:
        assert not ok, line


def imap_connect(port, src, timeout):
    """A TCP connection to 127.0.0.1:port from src inside the current
    namespace: the greeting line, or None when nothing answers."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        return s.recv(200).decode("ascii", "replace")
    except (socket.timeout, TimeoutError):
        return None
    finally:
        s.close()


def imap_fail(port, src, user, password):
    """One IMAP LOGIN with a wrong password from src."""
    s = socket.create_connection(("127.0.0.1", port), 10,
                                 source_address=(src, 0))
    try:
        f = s.makefile("rb")
        f.readline()
        s.sendall(b'a LOGIN "%s" "%s"\r\n' % (user.encode(),
                                              password.encode()))
        line = f.readline()
        assert line.startswith(b"a NO"), line
    finally:
        s.close()


def mailbox(d, user=POSTMASTER):
    """Every message of user's INBOX, read over IMAP."""
    im = imaplib.IMAP4("127.0.0.1", d.imap_port)
    try:
        im.login(user, d.users[user])
        im.select("INBOX", readonly=True)
        typ, data = im.search(None, "ALL")
        out = []
        for num in data[0].split():
            typ, msg = im.fetch(num, "(RFC822)")
            out.append(msg[0][1].decode("ascii", "replace"))
        im.logout()
        return out
    finally:
        try:
            im.shutdown()
        except OSError:
            pass


# --------------------------------------------------------------------------
# Tests

def test_attacks_reach_ban4_and_ban6_and_unban_removes_them():
    with Netns() as ns, instance(netns=ns.name) as d, Lockoutd(ns, d):
        attack(d, "192.0.2.10")
        attack(d, "2001:db8:1:2::5")
        ban4 = wait_until("192.0.2.10 in ban4", lambda: (
            "192.0.2.10" in (set_elements(ns, "ban4") or {}) and
            set_elements(ns, "ban4")))
        # the element lasts as long as the ban (10 mins)
        assert 590 <= ban4["192.0.2.10"] <= 600, ban4
        ban6 = wait_until("the /64 in ban6", lambda: (
            "2001:db8:1:2::/64" in (set_elements(ns, "ban6") or {}) and
            set_elements(ns, "ban6")))
        assert 590 <= ban6["2001:db8:1:2::/64"] <= 600, ban6

        lift(d, "192.0.2.10")
        wait_until("192.0.2.10 gone", lambda: "192.0.2.10" not in
                   set_elements(ns, "ban4"))
        assert "2001:db8:1:2::/64" in set_elements(ns, "ban6")
        lift(d, "2001:db8:1:2::/64")
        wait_until("the /64 gone", lambda: not set_elements(ns, "ban6"))


def test_a_banned_56_reaches_ban6_over_its_64s():
    # IPv6 aggregation: three banned /64s of a /56 ban the /56
    # (net_hosts/56); ban6 holds the /56 and not the /64s it covers (an
    # interval set refuses overlapping elements), which come back when
    # the /56 is lifted
    with Netns() as ns, instance(netns=ns.name) as d, Lockoutd(ns, d):
        for n in range(3):
            attack(d, "2001:db8:1:a0%02x::5" % n)
        ban6 = wait_until("the /56 in ban6", lambda: (
            "2001:db8:1:a000::/56" in (set_elements(ns, "ban6") or {}) and
            set_elements(ns, "ban6")))
        assert 590 <= ban6["2001:db8:1:a000::/56"] <= 600, ban6
        assert sorted(ban6) == ["2001:db8:1:a000::/56"], ban6
        lift(d, "2001:db8:1:a000::/56")
        wait_until("the /64s back in ban6", lambda: sorted(
            set_elements(ns, "ban6") or {}) == [
                "2001:db8:1:a000::/64", "2001:db8:1:a001::/64",
                "2001:db8:1:a002::/64"])


def test_banned_address_dropped_at_the_imap_port():
    addrs = ("192.0.2.10/32", "192.0.2.11/32")
    with Netns(addrs) as ns:
        d = instance(netns=ns.name, lockout_firewall_ports="110 143")
        # inside the namespace, Dovecot gets the real mail ports
        d.ports = {"imap": 143, "pop3": 110}
        with in_netns(ns.name):
            d.start()
        with d, Lockoutd(ns, d):
            with in_netns(ns.name):
                assert imap_connect(143, "192.0.2.10", 2.0).startswith("* OK")
                # distinct passwords: a repeated one counts once
                threads = [threading.Thread(target=imap_fail, args=(
                    143, "192.0.2.10", ALICE, "wrong-%d" % i))
                    for i in range(3)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
            wait_until("192.0.2.10 in ban4", lambda: "192.0.2.10" in
                       (set_elements(ns, "ban4") or {}))
            with in_netns(ns.name):
                assert imap_connect(143, "192.0.2.10", 1.5) is None
                assert imap_connect(143, "192.0.2.11", 2.0).startswith(
                    "* OK")
            chain = ns.nft("list", "chain", "inet", "lockout", "input").stdout
            assert "tcp dport { 110, 143 }" in chain, chain
            assert "counter packets 0 " not in chain.split("@ban4")[1]. \
                split("\n")[0], chain


def test_restart_reconciles_what_changed_while_down():
    with Netns() as ns, instance() as d:
        add_ban(d, "192.0.2.30")
        ld = Lockoutd(ns, d).start()
        try:
            assert "192.0.2.30" in set_elements(ns, "ban4")
        finally:
            assert ld.stop() == 0
        # while it is down: a lift, a new permanent network ban, a stray
        # element somebody added by hand
        lift(d, "192.0.2.30")
        add_ban(d, "198.51.100.0/24", kind="net", expires_in=None)
        ns.nft("add", "element", "inet", "lockout", "ban4",
               "{ 192.0.2.99 }")
        assert "192.0.2.30" in set_elements(ns, "ban4")
        with Lockoutd(ns, d):
            assert set_elements(ns, "ban4") == {"198.51.100.0/24": None}


def test_deleted_table_reopened_after_the_auth_process_writes_it_back():
    """A wrong rm of lockout.db: lockoutd kept reading the deleted file
    until restarted, so bans made afterwards never reached the firewall.
    Now it keeps the firewall as it is, reopens the table the auth process
    writes back, and pushes what comes next."""
    with Netns() as ns, instance(netns=ns.name) as d, Lockoutd(ns, d) as ld:
        attack(d, "192.0.2.40")
        wait_until("192.0.2.40 in ban4", lambda: "192.0.2.40" in
                   (set_elements(ns, "ban4") or {}))
        mark = len(ld.log())
        path = os.path.join(d.lockout_dir, "lockout.db")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.unlink(path + suffix)
        # the auth process writes the table back within about a second:
        # lockoutd may find it gone, or already another file
        d.wait_for_log(r"lockout: Ban table .* was deleted while in use")
        ld.wait_log("ban table %s reopened" % path, since=mark,
                    timeout=15)
        assert re.search(r"Error: ban table %s was (deleted|replaced) "
                         r"while in use: the firewall keeps what it has"
                         % re.escape(path), ld.log()[mark:]), ld.log()
        # the firewall kept the ban all along
        assert "192.0.2.40" in set_elements(ns, "ban4")
        attack(d, "192.0.2.41")
        wait_until("192.0.2.41 in ban4", lambda: "192.0.2.41" in
                   (set_elements(ns, "ban4") or {}))
        # the written-back ban stays pushed; a lift in the new file is
        # followed
        assert "192.0.2.40" in set_elements(ns, "ban4")
        lift(d, "192.0.2.40")
        wait_until("192.0.2.40 gone", lambda: "192.0.2.40" not in
                   set_elements(ns, "ban4"))


def test_never_pushed_allowed_known_loopback_observed():
    with Netns() as ns, instance(lockout_allow_networks="203.0.113.0/24") \
            as d:
        now = int(time.time())
        with db(d) as c:
            c.execute("INSERT INTO allowed (network, created) VALUES "
                      "('198.51.100.0/24', ?)", (now,))
            c.execute("INSERT INTO known_devices VALUES (?, ?, ?, ?)",
                      (ALICE, "192.0.2.40", now - 60, now - 60))
        for target in ("203.0.113.7", "198.51.100.8", "192.0.2.40",
                       "127.0.0.9", "::1", "192.0.2.1; flush ruleset"):
            add_ban(d, target)
        add_ban(d, "192.0.2.41", observed=1)
        add_ban(d, "192.0.2.42")
        with Lockoutd(ns, d) as ld:
            assert set_elements(ns, "ban4") == {"192.0.2.42": 3600} or \
                list(set_elements(ns, "ban4")) == ["192.0.2.42"]
            assert set_elements(ns, "ban6") == {}
            log = ld.log()
            assert "2 allowed, 1 known device, 2 loopback, 1 malformed, " \
                "1 observed" in log, log
            assert "is invalid, never pushed: target '192.0.2.1; flush " \
                "ruleset'" in log, log


def test_invalid_rows_logged_once_never_pushed():
    """Issue 11 items 2 and 7: a row the store skips (a reason over 1,024
    bytes) vanished silently; a row wider than /16 is never pushed. Each
    is logged once with its id, counted as malformed, and stats and the
    metrics count them as invalid."""
    with Netns() as ns, instance() as d:
        add_ban(d, "192.0.2.60")
        now = int(time.time())
        with db(d) as c:
            c.execute("INSERT INTO bans (target, kind, source, reason, "
                      "rule, created, expires) VALUES ('192.0.2.61', 'ip', "
                      "'manual', printf('%.2000c', 'x'), 'manual', ?, "
                      "NULL)", (now - 1,))
            long_id = c.execute("SELECT max(id) FROM bans").fetchone()[0]
            c.execute("INSERT INTO bans (target, kind, source, reason, "
                      "rule, created, expires) VALUES ('10.0.0.0/8', 'net', "
                      "'manual', 'typo', 'manual', ?, NULL)", (now - 1,))
            wide_id = long_id + 1
        with Lockoutd(ns, d) as ld:
            assert list(set_elements(ns, "ban4")) == ["192.0.2.60"]
            log = ld.log()
            assert "2 malformed" in log, log
            assert ("ban table row %d is invalid, never pushed: reason "
                    "longer than 1024 bytes" % long_id) in log, log
            assert ("ban table row %d is invalid, never pushed: target "
                    "'10.0.0.0/8' (kind net): network wider than an IPv4 "
                    "/16 or an IPv6 /32" % wide_id) in log, log
            # another pass (a change of the table) logs them no more
            add_ban(d, "192.0.2.62")
            wait_until("192.0.2.62 in ban4", lambda: "192.0.2.62" in
                       (set_elements(ns, "ban4") or {}))
            log = ld.log()
            for i in (long_id, wide_id):
                assert log.count("ban table row %d is invalid" % i) == 1, \
                    log
        st = d.doveadm_json("lockout", "stats")[0]
        assert st["bans_invalid"] == 2 and st["bans"] == 2, st


def test_digest_and_protection_mail_delivered_by_dovecot_lda():
    d = instance(lockout_notify=POSTMASTER, lockout_notify_interval="2 secs")
    d.plugin_settings["lockout_sendmail"] = LDA_ARGS % (d.conf_path,
                                                        POSTMASTER)
    with Netns() as ns, d:
        with Lockoutd(ns, d) as ld:
            attack(d, "192.0.2.20")
            try:
                digest = wait_until("the digest", lambda: [
                    m for m in mailbox(d) if "new ban" in m], timeout=15)
            except AssertionError:
                raise AssertionError("no digest; lockoutd log:\n" + ld.log())
            text = digest[0]
            assert "To: postmaster@example.org" in text, text
            assert "From: lockoutd <root@" in text, text
            assert "192.0.2.20  (ip, auto, enforced)" in text, text
            assert "undo:     doveadm lockout unban 192.0.2.20\n" in \
                text.replace("\r\n", "\n"), text
            ld.wait_log("digest sent to postmaster@example.org")

            # an account put under protection: mailed at once
            add_ban(d, "bob@example.org", kind="user")
            prot = wait_until("the protection mail", lambda: [
                m for m in mailbox(d) if "under protection" in m],
                timeout=10)
            assert "doveadm lockout unban bob@example.org" in prot[0]
        with db(d) as c:
            assert c.execute("SELECT count(*) FROM bans WHERE notified = 0"
                             ).fetchone()[0] == 0
        # one digest for the one ban, whatever the rounds since
        assert len([m for m in mailbox(d) if "new ban" in m]) == 1


def test_mail_sender_setting_and_whole_reason():
    """lockout_notify_from sets From:; a long reason is folded over
    several lines, never cut; an invalid sender stops lockoutd."""
    sender = "Mail Guard <guard@example.org>"
    d = instance(lockout_notify=POSTMASTER, lockout_notify_interval="2 secs",
                 lockout_notify_from=sender)
    d.plugin_settings["lockout_sendmail"] = LDA_ARGS % (d.conf_path,
                                                        POSTMASTER)
    reason = "protected by hand: " + " ".join(
        "reason-word-%d" % i for i in range(40)) + " END"
    with Netns() as ns, d:
        with Lockoutd(ns, d) as ld:
            add_ban(d, "bob@example.org", kind="user", reason=reason)
            try:
                prot = wait_until("the protection mail", lambda: [
                    m for m in mailbox(d) if "under protection" in m],
                    timeout=15)
            except AssertionError:
                raise AssertionError("no mail; lockoutd log:\n" + ld.log())
        text = prot[0].replace("\r\n", "\n")
        assert "From: %s" % sender in text.splitlines(), text
        assert all(len(ln) <= 78 for ln in text.splitlines()), text
        unfolded = text.replace("\n" + " " * 12, " ")
        assert "  reason:   %s\n" % reason in unfolded, text

        for bad in ("guard", "Guard <guard@example.org", "a@b <c@d>",
                    "guard@exa mple.org"):
            conf = os.path.join(d.tmp, "bad.conf")
            with open(conf, "w") as f:
                if d.v24:
                    f.write("dovecot_config_version = %s\n"
                            "lockout_notify_from = %s\n"
                            % (".".join(map(str, d.dovecot_version)), bad))
                else:
                    f.write("plugin {\n  lockout_notify_from = %s\n}\n"
                            % bad)
            rc, out = run_lockoutd(ns, "-c", conf, "--once", d=d)
            assert rc == 3 and "lockout_notify_from" in out, (bad, rc, out)


def test_failed_sendmail_retried_next_round_without_root():
    d = instance(lockout_notify=POSTMASTER, lockout_notify_interval="2 secs")
    dovecot = pwd.getpwnam("dovecot")
    wrap = os.path.join(d.tmp, "mailwrap")
    d.plugin_settings["lockout_sendmail"] = sendmail_script(
        wrap, "grep ^Cap /proc/$$/status > %(w)s/caps\n"
        "id -u > %(w)s/uid\n"
        "if [ -e %(w)s/fail-once ]; then\n"
        "  rm -f %(w)s/fail-once\n"
        "  echo 'simulated failure' >&2; exit 75\n"
        "fi\n"
        "exec %(lda)s\n"
        % {"w": wrap, "lda": LDA_ARGS % (d.conf_path, POSTMASTER)})
    open(os.path.join(wrap, "fail-once"), "w").close()
    with Netns() as ns, d:
        attack(d, "192.0.2.21")
        with Lockoutd(ns, d) as ld:
            ld.wait_log("digest to postmaster@example.org not sent")
            assert "simulated failure" in ld.log()
            digest = wait_until("the digest", lambda: [
                m for m in mailbox(d) if "new ban" in m], timeout=15)
            assert "192.0.2.21" in digest[0]
            ld.wait_log("digest sent")
        assert not os.path.exists(os.path.join(wrap, "fail-once"))
        with open(os.path.join(wrap, "uid")) as f:
            assert f.read().strip() == str(dovecot.pw_uid)
        with open(os.path.join(wrap, "caps")) as f:
            caps = dict(line.split(":") for line in f.read().splitlines())
        for k in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
            assert int(caps[k].strip(), 16) == 0, caps


def test_sendmail_running_at_stop_gives_the_rows_back():
    """The rows of a mail are claimed before sendmail runs; lockoutd
    stopped meanwhile kills sendmail and gives them back, for the next
    lockoutd to mail."""
    d = instance(lockout_notify=POSTMASTER, lockout_notify_interval="1 hour")
    wrap = os.path.join(d.tmp, "mailwrap")
    d.plugin_settings["lockout_sendmail"] = sendmail_script(
        wrap, "echo $$ > %s/pid\nexec sleep 60\n" % wrap)

    def unnotified():
        with db(d) as c:
            return c.execute("SELECT count(*) FROM bans WHERE notified = 0"
                             ).fetchone()[0]
    with Netns() as ns, d:
        with Lockoutd(ns, d) as ld:
            # an account put under protection: mailed at once
            add_ban(d, "bob@example.org", kind="user")
            wait_until("sendmail", lambda: os.path.exists(
                os.path.join(wrap, "pid")), timeout=10)
            assert unnotified() == 0
        assert "protection mail to postmaster@example.org not sent: " \
            "stopping" in ld.log(), ld.log()
        assert unnotified() == 1
        with open(os.path.join(wrap, "pid")) as f:
            pid = int(f.read())
        assert not os.path.exists("/proc/%d" % pid), "sendmail still runs"


def test_runs_as_ban_table_owner_with_only_net_admin():
    with Netns() as ns, instance() as d, Lockoutd(ns, d) as ld:
        with open("/proc/%d/status" % ld_pid(ld)) as f:
            status = dict(line.split(":", 1) for line in
                          f.read().splitlines())
        uid = str(pwd.getpwnam("dovecot").pw_uid)
        assert status["Uid"].split() == [uid] * 4, status["Uid"]
        assert status["Groups"].strip() == "", status["Groups"]
        net_admin = 1 << 12
        for k in ("CapPrm", "CapEff", "CapBnd"):
            assert int(status[k], 16) == net_admin, (k, status[k])
        assert int(status["CapInh"], 16) == 0
        assert int(status["CapAmb"], 16) == 0


# --------------------------------------------------------------------------
# lockout_db_driver = pgsql (issue 14): the table in a private PostgreSQL

def pg_add_ban(pg, target, kind="ip"):
    """A ban written into PostgreSQL by another node (a plain INSERT: the
    table's trigger notifies every listening lockoutd)."""
    now = int(time.time())
    pg.psql("INSERT INTO lockout.bans (target, kind, source, reason, rule, "
            "created, expires, failures, evidence, observed) VALUES "
            "('%s', '%s', 'manual', 'other node', 'manual', %d, %d, 0, "
            "'{}', 0)" % (target, kind, now - 1, now + 3600), db="lockout")


def time_to_set(ns, target, timeout=5.0):
    """Seconds until target is in lockoutd's ban4 set."""
    start = time.monotonic()
    wait_until(target + " in ban4", lambda: target in (
        set_elements(ns, "ban4") or {}), timeout=timeout, interval=0.01)
    return time.monotonic() - start


def test_pgsql_ban_reaches_the_set_within_a_second():
    require_postgres()
    with PostgresCluster() as pg, Netns() as ns, \
            instance(wait_auth=False, **pg_store(pg)) as d:
        conninfo = d.plugin_settings["lockout_db"]
        # the schema comes from whoever opens with CREATE (doveadm here)
        d.doveadm("lockout", "ban", "192.0.2.70")
        # one-shot, with --db as a connection string
        rc, out = run_lockoutd(ns, "-c", d.conf_path, "--once", "--db",
                               conninfo, d=d)
        assert rc == 0, out
        assert "192.0.2.70" in set_elements(ns, "ban4")
        # no passfile to tell whose it is: refused, password never shown
        bare = re.sub(r"passfile=\S+", "", conninfo)
        rc, out = run_lockoutd(ns, "-c", d.conf_path, "--once", "--db",
                               bare + " password=" + PG_PASSWORD, d=d)
        assert rc == 1 and "names no passfile=" in out, (rc, out)
        assert PG_PASSWORD not in out and "password=***" in out, out

        with Lockoutd(ns, d) as ld:
            # the owner of the passfile, with only CAP_NET_ADMIN
            with open("/proc/%d/status" % ld_pid(ld)) as f:
                status = dict(line.split(":", 1) for line in
                              f.read().splitlines())
            uid = str(pwd.getpwnam("dovecot").pw_uid)
            assert status["Uid"].split() == [uid] * 4, status["Uid"]
            assert "pgsql" in ld.log() and PG_PASSWORD not in ld.log()
            # written by another node, by SQL and by doveadm: NOTIFY wakes
            # lockoutd at once
            for i in range(5):
                target = "192.0.2.%d" % (80 + i)
                pg_add_ban(pg, target)
                took = time_to_set(ns, target)
                assert took < 1.0, (target, took)
            d.doveadm("lockout", "ban", "198.51.100.0/24")
            assert time_to_set(ns, "198.51.100.0/24") < 1.0
            d.doveadm("lockout", "unban", "192.0.2.80")
            wait_until("the unban", lambda: "192.0.2.80" not in
                       set_elements(ns, "ban4"), timeout=1.0)


def test_pgsql_outage_keeps_the_set_and_reconnects():
    """PostgreSQL stopped: lockoutd keeps every element (never flushes
    because the database is unreachable), reconnects once it is back,
    reconciles, and follows the notifications again."""
    require_postgres()
    with PostgresCluster() as pg, Netns() as ns, \
            instance(wait_auth=False, **pg_store(pg)) as d:
        d.doveadm("lockout", "ban", "192.0.2.90")
        d.doveadm("lockout", "ban", "203.0.113.0/24")
        with Lockoutd(ns, d) as ld:
            before = set_elements(ns, "ban4")
            assert set(before) == {"192.0.2.90", "203.0.113.0/24"}, before
            mark = len(ld.log())
            pg.stop()
            ld.wait_log("ban table unreachable", since=mark)
            # a few reconnection attempts, a full reconcile period would
            # not matter: the set stays as it was
            time.sleep(5)
            assert set(set_elements(ns, "ban4")) == set(before)
            assert ld.proc.poll() is None, ld.log()
            pg.start()
            ld.wait_log("ban table reachable again", since=mark,
                        timeout=15)
            ld.wait_log("firewall reconciled", since=mark)
            assert set(set_elements(ns, "ban4")) == set(before)
            # listening again: a new ban from elsewhere within a second
            pg_add_ban(pg, "192.0.2.91")
            assert time_to_set(ns, "192.0.2.91") < 1.0
            d.doveadm("lockout", "unban", "192.0.2.90")
            wait_until("the unban", lambda: "192.0.2.90" not in
                       set_elements(ns, "ban4"), timeout=1.0)
            assert PG_PASSWORD not in ld.log()


def ld_pid(ld):
    """The lockoutd process (ip netns exec execs it: same pid)."""
    with open("/proc/%d/cmdline" % ld.proc.pid, "rb") as f:
        assert b"lockoutd" in f.read()
    return ld.proc.pid


def test_command_line_once_dry_run_flush_and_exit_codes():
    with Netns() as ns, instance() as d:
        add_ban(d, "192.0.2.50")
        rc, out = run_lockoutd(ns, "-c", d.conf_path, "--once", "--dry-run",
                               d=d)
        assert rc == 0, out
        assert "dry run, would send: add element inet lockout ban4 " \
            "{ 192.0.2.50 timeout " in out, out
        assert ns.nft("list", "tables").stdout.strip() == ""

        rc, out = run_lockoutd(ns, "-c", d.conf_path, "--once", d=d)
        assert rc == 0, out
        assert list(set_elements(ns, "ban4")) == ["192.0.2.50"]
        for _ in range(2):
            rc, out = run_lockoutd(ns, "--flush")
            assert rc == 0, out
            assert ns.nft("list", "tables").stdout.strip() == ""

        assert run_lockoutd(ns, "--bogus")[0] == 2
        assert run_lockoutd(ns, "--once", "extra")[0] == 2
        assert run_lockoutd(ns, "--flush", "--once")[0] == 2

        missing = os.path.join(d.tmp, "missing", "lockout.db")
        rc, out = run_lockoutd(ns, "-c", d.conf_path, "--once", "--db",
                               missing, d=d)
        assert rc == 4 and "does not exist" in out, out
        assert not os.path.exists(missing)

        bad = os.path.join(d.tmp, "bad.conf")
        with open(bad, "w") as f:
            if d.v24:
                f.write("dovecot_config_version = %s\n"
                        "lockout_firewall_ports = 143 70000\n"
                        % ".".join(map(str, d.dovecot_version)))
            else:
                f.write("plugin {\n  lockout_firewall_ports = 143 70000\n"
                        "}\n")
        rc, out = run_lockoutd(ns, "-c", bad, "--once", d=d)
        assert rc == 3 and "lockout_firewall_ports" in out, out

        rootdb = os.path.join(d.tmp, "root.db")
        with db(d) as src, sqlite3.connect(rootdb) as dst:
            src.backup(dst)
        rc, out = run_lockoutd(ns, "-c", d.conf_path, "--once", "--db",
                               rootdb, d=d)
        assert rc == 1 and "owned by root" in out, out
        assert ns.nft("list", "tables").stdout.strip() == \
            "table inet lockout"


def test_without_net_admin_or_with_a_corrupt_table_says_what_to_do():
    """Issue 11 item 8: without CAP_NET_ADMIN lockoutd said "cache
    initialization failed ... (lockoutd --flush removes an incompatible
    table inet lockout)", and libnftables printed "you must be root" on
    its own; a corrupt table was "read schema version: file is not a
    database"."""
    with Netns() as ns, instance() as d:
        add_ban(d, "192.0.2.50")
        hint = ("cannot change nftables: Operation not permitted: "
                "lockoutd needs CAP_NET_ADMIN (run it as root, as "
                "lockoutd.service does, or as the ban table's owner with "
                "AmbientCapabilities=CAP_NET_ADMIN)")
        for args in (["-c", d.conf_path, "--once"], ["--flush"],
                     ["-c", d.conf_path, "--foreground"]):
            argv = ["ip", "netns", "exec", ns.name, "setpriv",
                    "--inh-caps=-all", "--bounding-set=-net_admin",
                    lockoutd_bin()] + args
            r = subprocess.run(d.modules_argv(argv),
                               stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=30)
            out = r.stdout + r.stderr
            assert r.returncode == 1, (args, r.returncode, out)
            assert hint in out, (args, out)
            assert "--flush removes" not in out, (args, out)
            assert "you must be root" not in out, (args, out)
        assert ns.nft("list", "tables").stdout.strip() == ""

        bad = os.path.join(d.tmp, "bad.db")
        with open(bad, "wb") as f:
            f.write(os.urandom(8192))
        st = os.stat(os.path.join(d.lockout_dir, "lockout.db"))
        os.chown(bad, st.st_uid, st.st_gid)
        rc, out = run_lockoutd(ns, "-c", d.conf_path, "--once", "--db",
                               bad, d=d)
        assert rc == 4, out
        assert ("lockout_db %s is not an SQLite database (file is not a "
                "database): move it away; the auth process creates a new "
                "table" % bad) in out, out


def parse_prometheus(text):
    """{(name, ((label, value), ...)): float} of a Prometheus text file;
    fails on a line that is not a comment or a sample."""
    import re
    out = {}
    sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? '
                        r'(-?[0-9.e+]+)$')
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        m = sample.match(line)
        assert m, "not a sample: %r" % line
        labels = tuple(sorted(tuple(kv.split("=", 1))
                              for kv in (m.group(3) or "").split(",")
                              if kv))
        labels = tuple((k, v.strip('"')) for k, v in labels)
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def test_metrics_file_for_node_exporter():
    with Netns() as ns:
        metrics = None
        d = instance()
        try:
            metrics = os.path.join(d.tmp, "textfile", "lockout.prom")
            os.mkdir(os.path.dirname(metrics))
            # lockoutd writes as the ban table's owner
            os.chown(os.path.dirname(metrics), d.dovecot_uid, d.dovecot_gid)
            d.plugin_settings["lockout_metrics_file"] = metrics
            d.start()
            add_ban(d, "192.0.2.50")
            add_ban(d, "192.0.2.0/24", kind="net")
            add_ban(d, "carol@example.org", kind="user")
            add_ban(d, "192.0.2.99", observed=1)
            attack(d, "198.51.100.7", count=FAILURES)
            wait_until("failures written", lambda: db(d).execute(
                "SELECT count(*) FROM failures").fetchone()[0] > 0)
            os.umask(0o077)
            try:
                rc, out = run_lockoutd(ns, "-c", d.conf_path, "--once", d=d)
            finally:
                os.umask(0o022)
            assert rc == 0, out
            st = os.stat(metrics)
            assert st.st_mode & 0o777 == 0o644, oct(st.st_mode)
            assert os.listdir(os.path.dirname(metrics)) == ["lockout.prom"]
            with open(metrics) as f:
                m = parse_prometheus(f.read())
            active = "lockout_bans_active"
            # the attack banned 198.51.100.7 (auto) on top of the 3 rows
            assert m[(active, (("kind", "ip"), ("source", "all")))] == 2
            assert m[(active, (("kind", "net"), ("source", "all")))] == 1
            assert m[(active, (("kind", "user"), ("source", "all")))] == 1
            assert m[(active, (("kind", "all"), ("source", "manual")))] == 3
            assert m[(active, (("kind", "all"), ("source", "auto")))] == 1
            assert m[(active, (("kind", "all"), ("source", "all")))] == 4
            assert m[("lockout_bans_observed", ())] == 1
            assert m[("lockout_protected_accounts", ())] == 1
            assert m[("lockout_failures", (("window", "1h"),))] >= FAILURES
            assert m[("lockout_refusals", (("window", "1h"),))] >= 0
            assert m[("lockoutd_errors_total", ())] == 0
            assert abs(m[("lockoutd_metrics_time_seconds", ())] -
                       time.time()) < 60
            # its own errors are counted: a directory it cannot write
            d.plugin_settings["lockout_metrics_file"] = \
                "/nonexistent/dir/lockout.prom"
            d.restart()
            rc, out = run_lockoutd(ns, "-c", d.conf_path, "--once", d=d)
            assert "metrics: open(/nonexistent/dir/lockout.prom." in out, out
        finally:
            d.close()


def test_golden_commands_are_valid_nftables_input():
    files = sorted(glob.glob(os.path.join(REPO, "tests", "unit", "golden",
                                          "*.nft")))
    assert len(files) >= 5
    init = os.path.join(REPO, "tests", "unit", "golden", "init-default.nft")
    with Netns() as ns:
        for path in files:
            if os.path.basename(path) == "covered.nft":
                # its second transaction comes after the kernel expired
                # the /24 (10 minutes later)
                continue
            ns.nft("flush", "ruleset")
            if not os.path.basename(path).startswith("init-"):
                ns.nft("-f", init)
            r = ns.nft("-f", path, check=False)
            assert r.returncode == 0, (path, r.stderr)


def test_make_install_puts_helper_man_page_and_unit():
    dest = tempfile.mkdtemp(prefix="lockout-install-")
    try:
        r = subprocess.run(["make", "-C", build_dir(), "install",
                            "DESTDIR=" + dest], capture_output=True,
                           text=True, timeout=300)
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
        sbin = glob.glob(os.path.join(dest, "usr", "sbin", "lockoutd"))
        assert sbin, os.listdir(dest)
        man = glob.glob(os.path.join(dest, "usr", "share", "man", "man8",
                                     "lockoutd.8*"))
        assert man
        units = glob.glob(os.path.join(dest, "**", "lockoutd.service"),
                          recursive=True)
        assert len(units) == 1, units
        with open(units[0]) as f:
            assert "ExecStart=/usr/sbin/lockoutd --foreground\n" in f.read()
        r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", man[0]],
                           capture_output=True, text=True)
        assert r.returncode == 0 and r.stderr == "", r.stderr
        r = subprocess.run(["man", "-l", man[0]], capture_output=True,
                           text=True, env=dict(os.environ, MANPAGER="cat",
                                               MANWIDTH="80"))
        assert r.returncode == 0 and "lockoutd" in r.stdout and \
            "EXIT STATUS" in r.stdout, r.stderr
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def setup_module():
    if os.geteuid() != 0:
        raise HarnessError("must run as root")
    if not os.access(lockoutd_bin(), os.X_OK):
        raise HarnessError("lockoutd is not built: " + lockoutd_bin())
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            raise HarnessError(tool + " is missing")


if __name__ == "__main__":
    main(globals())
