# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""Usernames come from attackers (issue 11, item 3): with
auth_username_chars empty, usernames holding ESC sequences, C1 controls
(U+009B, a CSI), bidirectional overrides (U+202E) and invalid UTF-8 are
sent over real IMAP to a private Dovecot; what doveadm lockout shows (top,
list, show; table, tab, flow, pager and JSON output), what lockoutd logs and
what it mails to the postmaster must hold none of them raw, only their
visible escapes (\\x1b, \\u009b, \\u202e, \\xff).  Reasons with C1 or bidi
characters are refused like C0 by ban -r, allow -r and import.

Run as root after building:
    /usr/bin/python3 tests/integration/test_escape.py [test ...]
"""

import glob
import json
import os
import pwd
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lockout_harness import (  # noqa: E402
    failures_db,
    Dovecot, HarnessError, _child_env, find_lockout_modules, main)
from test_lockoutd import (  # noqa: E402
    Lockoutd, Netns, lockoutd_bin, wait_until)

ALICE = "alice@example.org"
POSTMASTER = "postmaster@example.org"
USERS = {ALICE: "alice-secret", POSTMASTER: "postmaster-secret"}
SOURCE = "127.0.0.7"
# what an attacker sends as username, and how it must be shown
HOSTILE = [
    (b"esc\x1b[31mred", "esc\\x1b[31mred"),
    (b"csi\xc2\x9b31m", "csi\\u009b31m"),
    (b"rlo\xe2\x80\xaegnp.exe", "rlo\\u202egnp.exe"),
    (b"bad\xff\xfeutf8", "bad\\xff\\xfeutf8"),
]
# as 7-bit mail shows them
HOSTILE_ASCII = [shown for _, shown in HOSTILE]
BIDI = ({0x061c, 0x200e, 0x200f, 0x2028, 0x2029} |
        set(range(0x202a, 0x202f)) | set(range(0x2066, 0x206a)))


def assert_safe(what, data, allow="\n\t"):
    """data (bytes) is valid UTF-8 without control characters (but those
    in allow), C1 controls, bidirectional formatting characters or line
    separators."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise AssertionError("%s: invalid UTF-8 reaches the output: %r"
                             % (what, data[max(0, e.start - 30):e.end + 30]))
    for i, c in enumerate(text):
        o = ord(c)
        if (o < 0x20 and c not in allow) or 0x7f <= o <= 0x9f or o in BIDI:
            raise AssertionError("%s: raw U+%04X reaches the output: %r"
                                 % (what, o, text[max(0, i - 40):i + 40]))
    return text


def instance(**settings):
    plugin = {"lockout_ip_failures": str(len(HOSTILE) + 1),
              "lockout_ip_window": "10 mins",
              "lockout_ban_time": "10 mins"}
    plugin.update(settings)
    return Dovecot(module_dirs=find_lockout_modules(), users=dict(USERS),
                   plugin_settings=plugin,
                   extra_conf="auth_username_chars =\n")


def imap_fail_raw(d, user, src=SOURCE):
    """One IMAP LOGIN with username user (bytes, sent as a literal) and a
    wrong password from src; the tagged reply."""
    s = socket.create_connection(("127.0.0.1", d.imap_port), 10,
                                 source_address=(src, 0))
    try:
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"a LOGIN {%d}\r\n" % len(user))
        cont = f.readline()
        assert cont.startswith(b"+"), cont
        s.sendall(user + b' "wrong-password"\r\n')
        while True:
            line = f.readline()
            if not line.startswith(b"* "):
                break
        assert line.startswith(b"a NO"), line
        return line
    finally:
        s.close()


def db(d):
    return failures_db(os.path.join(d.lockout_dir, "lockout.db"),
                       timeout=5, isolation_level=None)


def attack(d):
    """The hostile usernames over IMAP, then one more that bans the
    source; then rows written by something else: a user ban of a hostile
    name with a hostile reason, and an allowed network with one."""
    for user, _ in HOSTILE:
        imap_fail_raw(d, user)
    imap_fail_raw(d, b"plain")

    def written():
        with db(d) as c:
            return c.execute("SELECT count(DISTINCT user) FROM failures "
                             "WHERE ip = ?", (SOURCE,)).fetchone()[0] >= \
                len(HOSTILE) + 1
    wait_until("the failures in the table", written)
    now = int(time.time())
    with db(d) as c:
        c.execute("INSERT INTO bans (target, kind, source, reason, rule, "
                  "created, expires, failures, evidence) VALUES (CAST(? AS "
                  "TEXT), 'user', 'manual', CAST(? AS TEXT), 'manual', ?, "
                  "?, 0, CAST(? AS TEXT))",
                  (HOSTILE[1][0], b"reason \x1b]0;pwned\x07 \xc2\x9b2J "
                   b"\xe2\x80\xaeevil \xff", now - 1, now + 3600,
                   b'{"note":"\x1b[5m\xe2\x81\xa6"}'))
        c.execute("INSERT INTO allowed (network, reason, created) VALUES "
                  "('198.51.100.0/24', CAST(? AS TEXT), ?)",
                  (b"office \x1b[2J\xe2\x80\xae", now))


def doveadm_raw(d, *args, input=None):
    """doveadm -c <conf> args (str or bytes) with the instance's modules,
    input (bytes) on its standard input: (rc, stdout bytes, stderr
    bytes)."""
    argv = d.modules_argv(["/usr/bin/doveadm", "-c", d.conf_path] +
                          list(args))
    r = subprocess.run(argv, input=input, stdin=None if input is not None
                       else subprocess.DEVNULL, capture_output=True,
                       timeout=60, env=_child_env())
    return r.returncode, r.stdout, r.stderr


def shown(d, *args, input=None):
    """doveadm's output of args, checked to be safe; also its errors."""
    rc, out, err = doveadm_raw(d, *args, input=input)
    what = "doveadm " + " ".join(a if isinstance(a, str) else repr(a)
                                 for a in args)
    assert rc == 0, (what, rc, out, err)
    assert_safe(what + " (stderr)", err)
    return assert_safe(what, out)


# --------------------------------------------------------------------------
# Tests

def test_doveadm_shows_hostile_usernames_escaped():
    with instance() as d:
        attack(d)
        user_ban = HOSTILE[1][1]
        for fmt in ("table", "tab", "flow"):
            top = shown(d, "-f", fmt, "lockout", "top", "users")
            for _, esc in HOSTILE:
                assert esc in top, (fmt, esc, top)
            listed = shown(d, "-f", fmt, "lockout", "list")
            assert user_ban in listed, (fmt, listed)
            assert "reason \\x1b]0;pwned\\x07 \\u009b2J \\u202eevil " \
                "\\xff" in listed, listed
            assert SOURCE in listed, listed
        allowed = shown(d, "lockout", "allow")
        assert "office \\x1b[2J\\u202e" in allowed, allowed

        # show: the source's usernames tried, the user ban (looked up by
        # the name as an administrator would paste it)
        src = shown(d, "lockout", "show", SOURCE)
        for _, esc in HOSTILE:
            assert esc in src, (esc, src)
        ub = shown(d, "lockout", "show", HOSTILE[1][0])
        assert user_ban in ub and "\\u009b2J" in ub, ub
        # its evidence's "note" is no member show knows (show prints the
        # evidence as evidence_<key> fields of the engine's members): not
        # shown at all, raw or escaped
        assert "note" not in ub and "[5m" not in ub, ub

        # -f json: valid JSON, nothing raw in its text, the visible forms
        # in its values
        text = shown(d, "-f", "json", "lockout", "list")
        rows = json.loads(text)
        assert {r["target"] for r in rows} >= {user_ban, SOURCE}, rows
        assert any("\\u202eevil" in r["reason"] for r in rows), rows
        rows = json.loads(shown(d, "-f", "json", "lockout", "top", "users"))
        assert {r["user"] for r in rows} >= set(HOSTILE_ASCII), rows
        obj = json.loads(shown(d, "-f", "json", "lockout", "show", SOURCE))
        assert all(esc in json.dumps(obj) for esc in
                   ('esc\\\\x1b', 'csi\\\\u009b')), obj


def test_simulate_shows_hostile_usernames_escaped():
    # a trace (JSON: the reader takes valid UTF-8 only) with the hostile
    # names of an attack, one protected account hit, a stale client
    names = ["esc\u001b[31mred", "csi\u009b31m", "rlo\u202egnp.exe",
             "lri\u2066x\u2069"]
    lines = []
    for i, name in enumerate(names * 2):
        lines.append(json.dumps({"t": 1000 + i, "ip": "192.0.2.40",
                                 "user": name, "service": "imap",
                                 "result": "unknown_user",
                                 "pw": "guess%d" % i}))
    trace = ("\n".join(lines) + "\n").encode()
    with Dovecot(module_dirs=find_lockout_modules()) as d:
        for out in ("summary", "decisions", "verdicts"):
            text = shown(d, "lockout", "simulate", "-o", out, "-s",
                         "lockout_ip_failures=3", "-", input=trace)
            assert text.strip(), out
            if out == "decisions":
                rows = [json.loads(line) for line in text.splitlines()]
                # valid JSON whose strings hold the names themselves
                assert names[1] in json.dumps(rows, ensure_ascii=False), \
                    rows
        # the one rule, also where the summary quotes its input
        text = shown(d, "lockout", "simulate", "-s",
                     "lockout_targeted_users=rlo\u202egnp.exe", "-",
                     input=trace)
        assert "rlo\\u202egnp.exe" in text, text


def test_reasons_refuse_c1_and_bidi_like_c0():
    with instance() as d:
        cases = [(b"esc \x1b[31m", "control character (0x1b)"),
                 (b"csi \xc2\x9b31m", "control character (U+009B)"),
                 (b"rlo \xe2\x80\xae", "bidirectional formatting "
                  "character (U+202E)"),
                 (b"lri \xe2\x81\xa6", "bidirectional formatting "
                  "character (U+2066)")]
        for reason, why in cases:
            rc, out, err = doveadm_raw(d, "lockout", "ban", "-r", reason,
                                       "192.0.2.9")
            assert rc == 64, (reason, rc, out, err)
            assert why in err.decode(), (reason, err)
            rc, out, err = doveadm_raw(d, "lockout", "allow", "-r", reason,
                                       "192.0.2.0/24")
            assert rc == 64, (reason, rc, out, err)
            assert why in err.decode(), (reason, err)
            path = os.path.join(d.tmp, "import.txt")
            with open(path, "wb") as f:
                f.write(b"192.0.2.9 # " + reason + b"\n")
            rc, out, err = doveadm_raw(d, "lockout", "import", path)
            assert rc == 65, (reason, rc, out, err)
            assert why in err.decode(), (reason, err)
        with db(d) as c:
            assert c.execute("SELECT count(*) FROM bans").fetchone()[0] == 0
            assert c.execute("SELECT count(*) FROM allowed").fetchone()[0] \
                == 0
        # near them, fine: a reason in another script
        rc, out, err = doveadm_raw(d, "lockout", "ban", "-r",
                                   "caf\u00e9 \u0645\u0631\u062d\u0628\u0627",
                                   "192.0.2.9")
        assert rc == 0, (rc, out, err)


def test_lockoutd_log_and_mail_escape_hostile_usernames():
    d = instance(lockout_notify=POSTMASTER, lockout_notify_interval="2 secs")
    dovecot = pwd.getpwnam("dovecot")
    spool = os.path.join(d.tmp, "spool")
    os.mkdir(spool)
    os.chown(spool, dovecot.pw_uid, dovecot.pw_gid)
    script = os.path.join(spool, "sendmail")
    with open(script, "w") as f:
        f.write('#!/bin/sh\ncat > "%s/mail.$$.tmp" && '
                'mv "%s/mail.$$.tmp" "%s/mail.$$"\n' % (spool, spool, spool))
    os.chmod(script, 0o755)
    d.plugin_settings["lockout_sendmail"] = script
    with Netns() as ns, d:
        attack(d)
        with Lockoutd(ns, d) as ld:
            # tried once more while lockoutd runs (refused: banned), so
            # that the digest's ranking has it
            imap_fail_raw(d, HOSTILE[3][0])

            def mails():
                found = []
                for path in sorted(glob.glob(os.path.join(spool,
                                                          "mail.*[0-9]"))):
                    with open(path, "rb") as f:
                        found.append(f.read())
                return found if any(b"new ban" in m for m in found) and \
                    any(b"under protection" in m for m in found) else None
            try:
                found = wait_until("the digest and the protection mail",
                                   mails, timeout=20)
            except AssertionError:
                raise AssertionError("no mail; lockoutd log:\n" + ld.log())
            ld.wait_log("digest sent")
        with open(ld.log_path, "rb") as f:
            log = f.read()
    assert_safe("lockoutd's log", log)
    for m in found:
        # 7-bit, as its headers say, and nothing raw
        text = assert_safe("the mail", m)
        assert all(ord(c) < 0x80 for c in text), text
        assert "charset=us-ascii" in text, text
    # the usernames in the ban's evidence (JSON, \\u001b for ESC) and the
    # ranking of usernames tried since lockoutd started
    digest = [m.decode() for m in found if b"new ban" in m][0]
    for esc in ("esc\\u001b[31mred", "csi\\u009b31m", "rlo\\u202egnp.exe",
                "1. bad\\xff\\xfeutf8"):
        assert esc in digest, (esc, digest)
    # the user ban written by something else: its name and reason
    prot = [m.decode() for m in found if b"under protection" in m][0]
    assert "\n" + HOSTILE[1][1] + "  (user, manual" in prot, prot
    assert "reason \\x1b]0;pwned\\x07 \\u009b2J \\u202eevil \\xff" in \
        prot, prot


def setup_module():
    if os.geteuid() != 0:
        raise HarnessError("must run as root")
    if not os.access(lockoutd_bin(), os.X_OK):
        raise HarnessError("lockoutd is not built: " + lockoutd_bin())


if __name__ == "__main__":
    main(globals())
