# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""doveadm lockout ban before the first login, import (plain lists, stdin,
all or nothing, fail2ban's database written by fail2ban's own code) and
export (read back to the identical table), against a real Dovecot.

Run as root after building: /usr/bin/python3 tests/integration/test_import.py [test ...]
"""

import json
import os
import sqlite3
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lockout_harness import (  # noqa: E402
    Dovecot, find_lockout_modules, imap_login, main)

ALICE = "alice@example.org"
USERS = {ALICE: "alice-secret"}
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EX_DATAERR = 65
EX_NOTPOSSIBLE = 65
EX_USAGE = 64
# the columns export carries (all but id and lifted: only active bans are
# exported)
BAN_COLUMNS = ("target, kind, source, reason, rule, created, expires, "
               "failures, evidence, observed")


def instance(**kw):
    plugin = {"lockout_ip_failures": "3", "lockout_ip_window": "10 mins",
              "lockout_ban_time": "1 hour"}
    plugin.update(kw.pop("plugin", {}))
    return Dovecot(module_dirs=find_lockout_modules(), users=dict(USERS),
                   plugin_settings=plugin, **kw)


def db_path(d):
    return d.plugin_settings.get("lockout_db") or \
        os.path.join(d.lockout_dir, "lockout.db")


def rows(d, sql):
    con = sqlite3.connect("file:%s?mode=ro" % db_path(d), uri=True,
                          timeout=10)
    try:
        return sorted(con.execute(sql).fetchall(), key=repr)
    finally:
        con.close()


def active_bans(d):
    return rows(d, "SELECT %s FROM bans WHERE lifted IS NULL OR lifted = 0"
                % BAN_COLUMNS)


def allowed(d):
    return rows(d, "SELECT network, reason, created FROM allowed")


def run(d, *args, input=None, code=0):
    rc, out, err = d.doveadm(*args, check=False, input=input)
    assert rc == code, (args, rc, out, err)
    return out, err


def wait_refused(d, src, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        ok, line = imap_login(d, ALICE, USERS[ALICE], src=src)
        if not ok:
            return line
        assert time.monotonic() < deadline, "never refused: " + line
        time.sleep(0.2)


def test_ban_before_first_login_creates_the_table():
    # a lockout_db in a directory that does not exist yet
    d = instance(wait_auth=False)
    try:
        fresh = os.path.join(d.tmp, "fresh", "lockout.db")
        d.plugin_settings["lockout_db"] = fresh
        d.start()
        assert not d.pids("auth"), "the auth process started already"
        assert not os.path.exists(os.path.dirname(fresh))
        out, err = run(d, "lockout", "ban", "127.0.0.9", "-r", "migrated")
        assert "127.0.0.9" in out
        st = os.stat(os.path.dirname(fresh))
        assert st.st_uid == d.dovecot_uid, st
        assert st.st_mode & 0o777 == 0o700, oct(st.st_mode)
        for name in os.listdir(os.path.dirname(fresh)):
            st = os.stat(os.path.join(os.path.dirname(fresh), name))
            assert st.st_uid == d.dovecot_uid, (name, st)
            assert st.st_mode & 0o777 == 0o600, (name, oct(st.st_mode))
        # allow and import also work on the table now (and would have
        # created it)
        run(d, "lockout", "allow", "127.0.5.0/24")
        # the first login starts the auth process, which enforces the ban
        assert not d.pids("auth")
        wait_refused(d, "127.0.0.9")
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.1")
        assert ok, line
        assert not d.log_errors(), d.log_errors()
    finally:
        d.close()


def make_list(n):
    lines = ["# the collective's blacklist", ""]
    for i in range(n):
        if i % 3 == 0:
            lines.append("127.1.%d.%d   # seen %d times" % (i // 200,
                                                           i % 200, i))
        elif i % 3 == 1:
            lines.append("  127.1.%d.%d" % (i // 200, i % 200))
        else:
            lines.append("127.2.%d.0/24 #subnet %d" % (i, i))
        if i % 10 == 0:
            lines.append("   # a comment between")
    return "\n".join(lines) + "\n"


def test_import_plain_list_92_entries_in_one_transaction():
    with instance() as d:
        path = os.path.join(d.tmp, "blacklist.txt")
        with open(path, "w") as f:
            f.write(make_list(92))
        t0 = time.monotonic()
        out, _ = run(d, "lockout", "import", "-r", "from the list", path)
        elapsed = time.monotonic() - t0
        print("import of 92 entries: %.3f s (doveadm included)" % elapsed)
        bans = active_bans(d)
        assert len(bans) == 92, len(bans)
        by_target = {b[0]: b for b in bans}
        assert by_target["127.1.0.0"][3] == "seen 0 times"
        assert by_target["127.1.0.1"][3] == "from the list"
        assert by_target["127.2.2.0/24"][1] == "net"
        assert by_target["127.2.2.0/24"][3] == "subnet 2"
        assert all(b[2] == "manual" and b[6] is None for b in bans)
        out, _ = run(d, "-f", "json", "lockout", "import", "-",
                     input="x@y.org\n")
        row = json.loads(out)
        assert row == [{"bans": 1, "allowed": 0, "replaced": 0,
                        "expired": 0, "skipped_allowed": 0}], row
        # -d and stdin; the auth process enforces the imported bans
        run(d, "lockout", "import", "-d", "2 hours", "-", input="127.0.0.7\n")
        b = [r for r in active_bans(d) if r[0] == "127.0.0.7"][0]
        assert 7190 <= b[6] - b[5] <= 7210, b
        wait_refused(d, "127.0.0.7")
        wait_refused(d, "127.1.0.1")


def test_import_is_all_or_nothing():
    with instance() as d:
        run(d, "lockout", "ban", "127.0.0.50")
        before = (active_bans(d), allowed(d))
        text = ("127.0.0.60\n# fine\n127.0.0.300 # bad address\n"
                "127.0.0.61 extra words\n127.0.0.62\n")
        _, err = run(d, "lockout", "import", "-", input=text, code=EX_DATAERR)
        assert "standard input line 3:" in err, err
        assert "line 4:" in err and "unexpected 'extra'" in err, err
        assert "2 bad lines" in err and "nothing was imported" in err, err
        assert (active_bans(d), allowed(d)) == before
        # a refusal in the middle of the transaction rolls it all back
        run(d, "lockout", "allow", "127.0.9.0/24")
        before = (active_bans(d), allowed(d))
        _, err = run(d, "lockout", "import", "-",
                     input="127.0.0.70\n127.0.9.9 # in the allowed one\n",
                     code=EX_NOTPOSSIBLE)
        assert "line 2: 127.0.9.9 overlaps the allowed network" in err, err
        assert (active_bans(d), allowed(d)) == before
        run(d, "lockout", "import", "-", input="", code=0)
        _, err = run(d, "lockout", "import", "/nonexistent", code=66)
        assert "nonexistent" in err
        run(d, "lockout", "import", "--jail", "x", "-", input="",
            code=EX_USAGE)


def fill_every_kind(d):
    """Bans of every kind and source: an automatic one with evidence
    (127.0.0.20), manual ones, a username, a network, an observed one from
    a feed; two allowed networks.  (test_nodes.py moves them to
    PostgreSQL and back.)"""
    for i in range(3):
        imap_login(d, ALICE, "wrong%d" % i, src="127.0.0.20")
    wait_refused(d, "127.0.0.20")
    run(d, "lockout", "ban", "127.0.3.0/24", "-r", "net # with hash")
    run(d, "lockout", "ban", "bob@example.org", "-d", "1 day")
    run(d, "lockout", "allow", "127.0.8.0/24", "-r", "office")
    run(d, "lockout", "allow", "127.0.7.0/24")
    run(d, "lockout", "import", "-",
        input="127.0.0.44 source=feed rule=feed failures=9 "
              "observed=yes # observed one\n")


def test_export_import_round_trip_gives_the_identical_table():
    with instance() as d:
        fill_every_kind(d)
        out_path = os.path.join(d.tmp, "export.txt")
        run(d, "lockout", "export", "-o", out_path)
        stdout, _ = run(d, "lockout", "export")
        with open(out_path) as f:
            text = f.read()
        assert os.stat(out_path).st_mode & 0o777 == 0o600
        assert text.splitlines()[1:] == stdout.splitlines()[1:]
        bans, nets = active_bans(d), allowed(d)
        assert len(bans) == 4 and len(nets) == 2, (bans, nets)
        assert any(b[2] == "auto" for b in bans)
    with instance() as d2:
        # the file goes away with the first instance: a copy
        out_path = os.path.join(d2.tmp, "export.txt")
        with open(out_path, "w") as f:
            f.write(text)
        run(d2, "lockout", "import", out_path)
        assert active_bans(d2) == bans
        assert allowed(d2) == nets
        wait_refused(d2, "127.0.0.20")


def test_export_escapes_a_hostile_reason_instead_of_breaking_the_line():
    """A reason with a line break (a row written by something else: doveadm
    and import refuse one) must not put a line of its own into the file,
    such as an "allow" line."""
    with instance() as d:
        run(d, "lockout", "ban", "127.0.5.5", "-r", "plain")
        con = sqlite3.connect(db_path(d), timeout=10)
        with con:
            con.execute("UPDATE bans SET reason = 'evil' || char(10) || "
                        "'allow 127.0.9.0/24 # injected' || char(27) || "
                        "'[2J' WHERE target = '127.0.5.5'")
        con.close()
        text, err = run(d, "lockout", "export")
        assert "reason of the ban of 127.0.5.5 holds control or bidi" \
            in err, err
        lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
        assert len(lines) == 1, text
        assert lines[0].startswith("127.0.5.5 "), text
        assert lines[0].endswith(
            "# evil\\x0aallow 127.0.9.0/24 # injected\\x1b[2J"), text
    with instance() as d2:
        run(d2, "lockout", "import", "-", input=text)
        assert allowed(d2) == []
        assert [b[3] for b in active_bans(d2)] == [
            "evil\\x0aallow 127.0.9.0/24 # injected\\x1b[2J"]


def fail2ban_db(path, bans, now):
    """Write a fail2ban database with fail2ban's own code (Debian's
    package, unpacked by scripts/fail2ban-module.sh)."""
    mod = subprocess.run([os.path.join(REPO, "scripts", "fail2ban-module.sh")],
                         check=True, capture_output=True,
                         text=True).stdout.strip()
    script = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from fail2ban.server.database import Fail2BanDb
from fail2ban.server.ticket import BanTicket
class Actions:
    def getBanTime(self): return 600
class Jail:
    def __init__(self, name): self.name, self.actions = name, Actions()
db = Fail2BanDb(sys.argv[2])
jails = {}
for ip, jail, ago, bantime in json.loads(sys.argv[3]):
    if jail not in jails:
        jails[jail] = Jail(jail)
        db.addJail(jails[jail])
    t = BanTicket(ip, float(sys.argv[4]) - ago)
    t.setBanTime(bantime)
    db.addBan(jails[jail], t)
db.close()
"""
    subprocess.run([sys.executable, "-c", script, mod, path,
                    json.dumps(bans), str(now)], check=True)


def test_import_fail2ban_database():
    with instance(plugin={"lockout_allow_networks": "127.0.9.0/24"}) as d:
        now = int(time.time())
        path = os.path.join(d.tmp, "fail2ban.sqlite3")
        fail2ban_db(path, [
            ("127.0.4.1", "dovecot", 600, 3600),        # 50 min left
            ("127.0.4.2", "postfix-sasl", 100, -1),     # permanent
            ("127.0.4.3", "dovecot", 7200, 3600),       # over
            ("127.0.4.4", "sshd", 10, 3600),            # not a mail jail
            ("127.0.4.5", "custom", 10, 86400),         # docker-mailserver
            ("127.0.4.1", "postfix-sasl", 60, 86400),   # a longer one
            ("127.0.9.9", "dovecot", 10, 3600),         # allowed here
        ], now)
        out, err = run(d, "lockout", "import", "--fail2ban", path)
        assert "127.0.9.9 is in the allowed network" in err, err
        bans = {b[0]: b for b in active_bans(d)}
        assert set(bans) == {"127.0.4.1", "127.0.4.2", "127.0.4.5"}, bans
        b = bans["127.0.4.1"]
        assert b[3] == "fail2ban jails dovecot, postfix-sasl", b
        assert b[4] == "fail2ban" and b[2] == "manual", b
        assert abs(b[6] - (now - 60 + 86400)) <= 2, (b, now)
        assert bans["127.0.4.2"][6] is None
        assert bans["127.0.4.2"][3] == "fail2ban jail postfix-sasl"
        assert abs(bans["127.0.4.5"][6] - (now - 10 + 86400)) <= 2
        wait_refused(d, "127.0.4.2")
        # --jail chooses the jails
        run(d, "lockout", "import", "--fail2ban", "--jail", "sshd", path)
        assert "127.0.4.4" in {b[0] for b in active_bans(d)}
        # not a fail2ban database: nothing imported, a clear error
        before = active_bans(d)
        _, err = run(d, "lockout", "import", "--fail2ban", db_path(d),
                     code=EX_DATAERR)
        assert "not a fail2ban database" in err, err
        run(d, "lockout", "import", "--fail2ban", "-r", "x", path,
            code=EX_USAGE)
        assert active_bans(d) == before


if __name__ == "__main__":
    main(globals())
