# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""An asynchronous passdb behind passdb lockout: checkpassword (a small
script, no server needed) answers requests out of order and while others
are in flight, as SQL and LDAP do.  The threshold must still hold: a
burst gets exactly lockout_ip_failures password checks and one ban;
legitimate parallel logins from one address all succeed.

Run as root after building:
/usr/bin/python3 tests/integration/test_async_passdb.py [test ...]
"""

import os
import sqlite3
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lockout_harness import (  # noqa: E402
    AuthClient, Dovecot, find_lockout_modules, main)

ALICE = "alice@example.org"
ALICE_PW = "alice-secret"
THRESHOLD = 5
BURST = 48

# The checkpassword program: counts its runs in a file (one line each),
# takes a while (a slow directory), and accepts only alice's password
# (on success it runs the reply program Dovecot gives it as argv[1]).
CHECKPASSWORD = """\
#!/usr/bin/python3
import os, sys, time
data = b""
while True:
    chunk = os.read(3, 4096)
    if not chunk:
        break
    data += chunk
user, password = data.split(b"\\0")[:2]
with open({count!r}, "a") as f:
    f.write(user.decode(errors="replace") + "\\n")
time.sleep(0.2)
if user == {user!r} and password == {password!r}:
    os.environ["USER"] = user.decode()
    os.execv(sys.argv[1], sys.argv[1:])
sys.exit(1)
"""


def instance():
    d = Dovecot(module_dirs=find_lockout_modules(), auth_conf="",
                plugin_settings={"lockout_ip_failures": str(THRESHOLD),
                                 "lockout_ban_time": "1 hour"})
    d.count_path = os.path.join(d.tmp, "checkpassword.count")
    script = os.path.join(d.tmp, "checkpassword")
    with open(script, "w") as f:
        f.write(CHECKPASSWORD.format(count=d.count_path,
                                     user=ALICE.encode(),
                                     password=ALICE_PW.encode()))
    os.chmod(script, 0o755)
    open(d.count_path, "w").close()
    os.chmod(d.count_path, 0o666)
    home = os.path.join(d.tmp, "home")
    if d.v24:
        d.auth_conf = ("passdb checkpassword {\n  driver = checkpassword\n"
                       "  checkpassword_path = %s\n}\n"
                       "userdb static {\n  driver = static\n"
                       "  fields {\n    uid = dovecot\n    gid = dovecot\n"
                       "    home = %s/%%{user}\n  }\n}\n" % (script, home))
    else:
        d.auth_conf = ("passdb {\n  driver = checkpassword\n  args = %s\n}\n"
                       "userdb {\n  driver = static\n"
                       "  args = uid=dovecot gid=dovecot home=%s/%%u\n}\n"
                       % (script, home))
    d.start()
    return d


def checks(d):
    with open(d.count_path) as f:
        return len(f.read().splitlines())


def bans_of(d, target):
    con = sqlite3.connect(os.path.join(d.lockout_dir, "lockout.db"),
                          timeout=5)
    try:
        return con.execute("SELECT created, expires FROM bans "
                           "WHERE target = ? ORDER BY id",
                           (target,)).fetchall()
    finally:
        con.close()


def burst(d, attempts):
    client = AuthClient(d)
    try:
        return client.plain_many(attempts, service="imap")
    finally:
        client.close()


def test_burst_gets_the_threshold_and_one_ban():
    with instance() as d:
        res = burst(d, [(ALICE, "guess-%d" % i, {"rip": "127.0.0.9"})
                        for i in range(BURST)])
        assert not any(ok for ok, _, _ in res), res
        time.sleep(1.0)  # any straggler would have run by now
        assert checks(d) == THRESHOLD, \
            "%d of %d attempts reached the password check (threshold %d)" \
            % (checks(d), BURST, THRESHOLD)
        deadline = time.monotonic() + 3
        while not bans_of(d, "127.0.0.9") and time.monotonic() < deadline:
            time.sleep(0.1)
        bans = bans_of(d, "127.0.0.9")
        assert len(bans) == 1, "one burst, %d bans: %r" % (len(bans), bans)
        created, expires = bans[0]
        assert expires - created == 3600, bans
        assert len([ln for ln in d.log_text().splitlines()
                    if "lockout: Banned 127.0.0.9 " in ln]) == 1, \
            d.log_tail()
        # the banned source is refused without a check; others still work
        ok, line, _ = burst(d, [(ALICE, ALICE_PW,
                                 {"rip": "127.0.0.9"})])[0]
        assert not ok, line
        ok, line, _ = burst(d, [(ALICE, ALICE_PW,
                                 {"rip": "127.0.0.10"})])[0]
        assert ok, line
        assert checks(d) == THRESHOLD + 1
        assert not d.log_errors(), d.log_errors()


def test_parallel_logins_of_one_address_all_succeed():
    """A busy NAT or a client with many connections: more logins at once
    than the threshold wait for a slot instead of being refused."""
    count = 3 * THRESHOLD
    with instance() as d:
        res = burst(d, [(ALICE, ALICE_PW, {"rip": "127.0.0.11"})] * count)
        assert all(ok for ok, _, _ in res), res
        assert checks(d) == count
        # a few failures among them leave room for the rest
        res = burst(d, [(ALICE, "typo-%d" % i, {"rip": "127.0.0.11"})
                        for i in range(2)] +
                    [(ALICE, ALICE_PW, {"rip": "127.0.0.11"})] * count)
        assert [ok for ok, _, _ in res] == [False] * 2 + [True] * count, res
        assert bans_of(d, "127.0.0.11") == []
        assert not d.log_errors(), d.log_errors()


if __name__ == "__main__":
    main(globals())
