# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""doveadm lockout simulate against the real doveadm and a real Dovecot:
the golden traces (one per policy rule), trace input details, and Dovecot
2.3 logs written by the harness's own Dovecot under attack, replayed and
compared with what the live plugin did.

Run as root after building: /usr/bin/python3 tests/integration/test_simulate.py [test ...]
"""

import gzip
import json
import os
import re
import shutil
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lockout_harness import (  # noqa: E402
    Dovecot, auth_client_plain, find_lockout_modules, imap_login, main,
    pop3_login)

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                      "golden")
GOLDEN_KEYS = ("i", "type", "rule", "target", "time", "expires")
USERS = {"alice@example.org": "alice-secret",
         "bob@example.org": "bob-secret",
         "carol@example.org": "carol-secret",
         "frank@example.org": "frank-secret"}


def simulate(d, *args, check=True, input=None):
    """doveadm lockout simulate ARGS: (rc, stdout, stderr)."""
    return d.doveadm("lockout", "simulate", *args, check=check, input=input,
                     timeout=120)


def jsonl(text):
    return [json.loads(line) for line in text.splitlines()]


def golden_names():
    return sorted(f[:-len(".jsonl")] for f in os.listdir(GOLDEN)
                  if f.endswith(".jsonl"))


def golden_args(name):
    args = []
    with open(os.path.join(GOLDEN, name + ".settings")) as f:
        for line in f:
            if line.strip():
                args += ["-s", line.strip()]
    return args


def read(path):
    with open(path) as f:
        return f.read()


# --- golden traces: one per rule -------------------------------------------

def test_golden_traces():
    names = golden_names()
    assert len(names) >= 8, names
    with Dovecot(module_dirs=find_lockout_modules()) as d:
        for name in names:
            trace = os.path.join(GOLDEN, name + ".jsonl")
            args = golden_args(name)
            _, out, err = simulate(d, "-o", "verdicts", *args, trace)
            assert err == "", (name, err)
            want = read(os.path.join(GOLDEN, name + ".verdicts"))
            assert out == want, "%s: verdicts differ:\n%s\nwant:\n%s" % (
                name, out, want)
            _, out, _ = simulate(d, "-o", "decisions", *args, trace)
            got = [{k: o[k] for k in GOLDEN_KEYS} for o in jsonl(out)]
            want = jsonl(read(os.path.join(GOLDEN, name + ".decisions")))
            assert got == want, "%s: decisions differ:\n%s\nwant:\n%s" % (
                name, got, want)
            # every decision carries its evidence
            for o in jsonl(out):
                assert o["evidence"]["rule"] == o["rule"], o
            # the summary agrees with the verdicts
            _, out, _ = simulate(d, *args, trace)
            refused = read(os.path.join(GOLDEN, name + ".verdicts")).count(
                "refuse")
            assert re.search(r"^Would be refused: +%d " % refused, out,
                             re.M), (name, out)


def test_golden_summaries():
    # the summary report, byte for byte (traces from stdin: the path is
    # part of the report)
    with Dovecot(module_dirs=find_lockout_modules()) as d:
        for name in golden_names():
            trace = read(os.path.join(GOLDEN, name + ".jsonl"))
            _, out, err = simulate(d, *golden_args(name), "-", input=trace)
            assert err == "", (name, err)
            want = read(os.path.join(GOLDEN, name + ".summary"))
            assert out == want, "%s: summary differs:\n%s\nwant:\n%s" % (
                name, out, want)


def test_golden_log():
    # a Dovecot log through every output, byte for byte; the summary shows
    # local dates: UTC here
    log = read(os.path.join(GOLDEN, "logs", "replay.log"))
    args = golden_args(os.path.join("logs", "replay"))
    with Dovecot(module_dirs=find_lockout_modules(),
                 env={"TZ": "UTC"}) as d:
        for output in ("summary", "verdicts", "decisions"):
            _, out, err = simulate(d, "-i", "log", "-o", output, *args, "-",
                                   input=log)
            assert err == "", (output, err)
            want = read(os.path.join(GOLDEN, "logs", "replay." + output))
            assert out == want, "%s differs:\n%s\nwant:\n%s" % (
                output, out, want)


def test_golden_rules_covered():
    rules = set()
    for name in golden_names():
        for o in jsonl(read(os.path.join(GOLDEN, name + ".decisions"))):
            rules.add(o["rule"])
    for rule in ("ip_failures", "targeted_unknown", "targeted_failures",
                 "user_failures", "net_hosts", "stale_client",
                 "ip_long", "ip_spread", "unknown_alert", "user_networks",
                 "ip_spread/56", "ip_spread/48", "net_hosts/56"):
        assert rule in rules, (rule, rules)


# --- trace input -------------------------------------------------------------

def test_trace_stdin_gzip_and_malformed_lines():
    trace = read(os.path.join(GOLDEN, "ip_failures.jsonl")).splitlines()
    # hostile and broken lines between the good ones
    lines = [trace[0], "not json", trace[1],
             '{"t": 1, "ip": "192.0.2.1", "user": "' + "x" * 300 +
             '", "result": "ok"}',
             '{"t": 1, "ip": "192.0.2.300", "user": "u", "result": "ok"}',
             '{"t": 1, "ip": "192.0.2.1", "user": "\\u001b[2J", '
             '"result": "mismatch", "extra": {"ignored": [1, 2]}}',
             ""] + trace[2:]
    text = "\n".join(lines) + "\n"
    with Dovecot(module_dirs=find_lockout_modules()) as d:
        before = d.doveadm_json("lockout", "list", "-a")
        gz = os.path.join(d.tmp, "trace.gz")
        with gzip.open(gz, "wt") as f:
            f.write(text)
        plain = os.path.join(d.tmp, "trace.jsonl")
        with open(plain, "w") as f:
            f.write(text)
        outs = []
        for source, stdin in ((gz, None), (plain, None), ("-", text)):
            rc, out, err = simulate(d, "-o", "verdicts", "-s",
                                    "lockout_ip_failures=3", source,
                                    input=stdin)
            assert rc == 0, err
            outs.append(out)
            name = "-" if source == "-" else source
            for n in (2, 4, 5):
                assert "%s:%d: " % (name, n) in err, (n, err)
            assert "user: not a string, longer than 255" in err, err
            assert "not an IPv4 or IPv6 address" in err, err
        assert outs[0] == outs[1] == outs[2]
        # the good lines and the hostile-but-valid one are replayed
        assert len(jsonl(outs[0])) == len(trace) + 1
        rc, out, err = simulate(d, "-s", "lockout_ip_failures=3", gz)
        assert re.search(r"3 malformed \(skipped\)", out), out
        # the control character is not printed raw
        assert "\x1b" not in out
        # simulate never touches the ban table (it does not even need one)
        rc, out, err = simulate(d, "-s", "lockout_db=/nonexistent/x.db",
                                plain)
        assert rc == 0, err
        assert d.doveadm_json("lockout", "list", "-a") == before


def test_truncated_gzip_is_replayed_up_to_the_cut():
    trace = read(os.path.join(GOLDEN, "ip_failures.jsonl"))
    # enough lines that the cut falls well inside the data
    text = "".join(trace for _ in range(400))
    with Dovecot(module_dirs=find_lockout_modules()) as d:
        whole = gzip.compress(text.encode())
        cut = os.path.join(d.tmp, "cut.jsonl.gz")
        with open(cut, "wb") as f:
            f.write(whole[:len(whole) // 2])
        plain = os.path.join(d.tmp, "after.jsonl")
        with open(plain, "w") as f:
            f.write(trace)
        rc, out, err = simulate(d, "-o", "verdicts", cut, plain, check=False)
        # read errors: exit 74, the lines before the cut and the next
        # file are replayed
        assert rc == 74, (rc, err)
        m = re.search(r"read\(%s\) failed after line (\d+): " %
                      re.escape(cut), err)
        assert m, err
        n = int(m.group(1))
        assert 0 < n < 400 * len(trace.splitlines()), n
        assert len(jsonl(out)) == n + len(trace.splitlines()), out[-200:]
        rc, out, err = simulate(d, cut, check=False)
        assert rc == 74, (rc, err)
        assert "- 1 input files could not be read to the end" in out, out
        assert re.search(r"^Input: +trace, %s, %d lines$" %
                         (re.escape(cut), n), out, re.M), out


def test_usage_errors():
    trace = os.path.join(GOLDEN, "ip_failures.jsonl")
    with Dovecot(module_dirs=find_lockout_modules()) as d:
        for args, what in ((["-s", "lockout_ip_failures=0"],
                            "lockout_ip_failures"),
                           (["-s", "lockout_ip_windo=1"], "lockout_ip_windo"),
                           (["-s", "ip_failures"], "ip_failures"),
                           (["-s", "lockout_ban_time=30 days"],
                            "lockout_ban_time_max"),
                           (["-i", "json"], "-i"), (["-o", "csv"], "-o")):
            rc, out, err = simulate(d, *args, trace, check=False)
            assert rc == 64, (args, rc, err)
            assert what in err, (args, err)
            assert out == "", out
        rc, out, err = simulate(d, check=False)
        assert rc == 64 and "Name the input" in err, err
        rc, out, err = d.doveadm("-f", "json", "lockout", "simulate",
                                 trace, check=False)
        assert rc == 64 and "-f does not apply" in err, err
        rc, out, err = simulate(d, "/nonexistent/trace", check=False)
        assert rc == 66 and "No such file" in err, err
        # a name without the prefix is taken too
        rc, out, err = simulate(d, "-o", "verdicts", "-s", "ip_failures=3",
                                trace)
        assert out == read(os.path.join(GOLDEN, "ip_failures.verdicts"))


# --- real Dovecot logs: replayed vs. live ----------------------------------

LIVE_SETTINGS = {"lockout_ip_failures": "3", "lockout_net_ban_hosts": "3",
                 "lockout_user_failures": "5",
                 "lockout_ip_spread_usernames": "2"}


def run_attacks(d, stale=True, alert=True):
    """Attacks over real IMAP and POP3 from loopback addresses. Groups run
    at once (their log lines interleave), each group in order; then, with
    alert, a campaign of unknown users (the alert is server-wide: alone,
    so that which sources it makes suspects does not depend on the
    interleaving) and one of its names again (unknown_names)."""
    def ip_failures():
        for i in range(3):
            ok, _ = imap_login(d, "alice@example.org", "guess%d" % i,
                               src="127.0.0.3")
            assert not ok
        time.sleep(0.7)
        # banned: even the right password is refused
        ok, _ = imap_login(d, "alice@example.org", "alice-secret",
                           src="127.0.0.3")
        assert not ok

    def targeted():
        ok, _ = imap_login(d, "admin", "123456", src="127.0.0.4")
        assert not ok
        time.sleep(0.7)
        ok, _ = pop3_login(d, "bob@example.org", "bob-secret",
                           src="127.0.0.4")
        assert not ok

    def net_hosts():
        for host in (11, 12, 13):
            # one username per host (two would be ip_spread's; one for
            # all would protect it in the quiet log, where it may be an
            # account)
            for i in range(3):
                ok, _ = pop3_login(d, "nobody%d@example.org" % host,
                                   "x%d" % i, src="127.0.5.%d" % host)
                assert not ok
            time.sleep(0.7)
        ok, _ = imap_login(d, "carol@example.org", "carol-secret",
                           src="127.0.5.200")
        assert not ok

    def attacked(user, bots, foreign, own):
        """user, who logged in at home (below), is attacked by bots, one
        password each; it is protected: refused at foreign, not at own."""
        for n, src in enumerate(bots):
            ok, _ = imap_login(d, user, "try%d" % n, src=src)
            assert not ok
        time.sleep(0.7)
        ok, _ = imap_login(d, user, USERS[user], src=foreign)
        assert not ok
        ok, _ = imap_login(d, user, USERS[user], src=own)
        assert ok

    def protection():
        # five sources of one network: user_failures, not user_networks;
        # the known device goes on
        attacked("bob@example.org",
                 ["127.10.0.%d" % (1 + n) for n in range(5)],
                 "127.99.0.1", "127.0.0.9")

    def user_networks():
        # five networks: user_networks; near (the /15 of 127.0.0.12) the
        # owner goes on
        attacked("frank@example.org",
                 ["127.%d.0.1" % (20 + n) for n in range(5)],
                 "127.98.0.1", "127.1.0.1")

    def stale_client():
        for _ in range(7):
            ok, _ = imap_login(d, "carol@example.org", "old-password",
                               src="127.0.0.6")
            assert not ok
        ok, _ = imap_login(d, "carol@example.org", "carol-secret",
                           src="127.0.0.6")
        assert ok

    def ip_spread():
        for user in ("dave@example.org", "erin@example.org"):
            ok, _ = imap_login(d, user, "123456", src="127.0.0.7")
            assert not ok
        time.sleep(0.7)
        ok, _ = imap_login(d, "alice@example.org", "alice-secret",
                           src="127.0.0.7")
        assert not ok

    groups = [ip_failures, targeted, net_hosts, protection, ip_spread,
              user_networks]
    if stale:
        groups.append(stale_client)
    errors = []

    # the attacked accounts' owners log in at home first, before any ban:
    # their successes keep 127.0.0.0/24 from being banned (net_hosts'
    # guard). The login process logs a success after the auth process
    # answered it, so a home login made at once with the attacks may be
    # written after a ban it preceded, and the replay would then ban the
    # /24 that the plugin spared.
    for user, home in (("bob@example.org", "127.0.0.2"),
                       ("frank@example.org", "127.0.0.12")):
        ok, _ = imap_login(d, user, USERS[user], src=home)
        assert ok

    def run(fn):
        try:
            fn()
        except BaseException as e:  # reported by the main thread
            errors.append("%s: %r" % (fn.__name__, e))

    threads = [threading.Thread(target=run, args=(g,)) for g in groups]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    if alert:
        # 20 unknown users (lockout_alert_unknown) from a /24 without
        # successes: the alert is on at the 20th at the latest (the
        # groups above add a few); its source then fails on an account
        for host in range(1, 21):
            ok, _ = imap_login(d, "former%d@example.org" % host, "x",
                               src="127.0.8.%d" % host)
            assert not ok
        ok, _ = pop3_login(d, "alice@example.org", "Summer2024",
                           src="127.0.8.20")
        assert not ok
        # a name of the campaign again from another source: refused
        # before the lookup (unknown_names), counted as an unknown user
        ok, _ = imap_login(d, "former1@example.org", "y",
                           src="127.0.8.50")
        assert not ok


def live_decisions(d, expected):
    """(target, rule) of every ban and protection the live plugin made."""
    deadline = time.monotonic() + 5
    while True:
        rows = d.doveadm_json("lockout", "list", "-a") or []
        got = sorted((r["target"], r["rule"]) for r in rows)
        if len(got) >= len(expected) or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def replayed_decisions(d, *paths):
    _, out, err = simulate(d, "-i", "log", "-o", "decisions", *paths)
    assert err == "", err
    return sorted((o["target"], o["rule"]) for o in jsonl(out)
                  if o["type"] in ("ban", "protect"))


EXPECTED_LIVE = sorted([
    ("127.0.0.3", "ip_failures"), ("127.0.0.4", "targeted_unknown"),
    ("127.0.0.7", "ip_spread"),
    ("127.0.5.11", "ip_failures"), ("127.0.5.12", "ip_failures"),
    ("127.0.5.13", "ip_failures"), ("127.0.5.0/24", "net_hosts"),
    ("bob@example.org", "user_failures"),
    ("frank@example.org", "user_networks")])
# the alert's campaign (the verbose log tells unknown users apart; the
# quiet one cannot)
EXPECTED_ALERT = sorted(EXPECTED_LIVE + [("127.0.8.20", "unknown_alert")])


def test_verbose_log_replay_matches_live():
    # auth_verbose_passwords = sha1:8 logs enough to tell repeated
    # passwords apart, as the plugin itself does
    with Dovecot(module_dirs=find_lockout_modules(), users=dict(USERS),
                 auth_verbose=True, plugin_settings=LIVE_SETTINGS,
                 extra_conf="auth_verbose_passwords = sha1:8\n") as d:
        mark = d.log_mark()
        run_attacks(d)
        live = live_decisions(d, EXPECTED_ALERT)
        assert live == EXPECTED_ALERT, live
        log = d.log_text()[mark:]
        # 2.3: "auth: Info: passwd-file(user,ip,<session>): Password
        # mismatch ..."; 2.4: "auth(user,ip,sasl:plain)<session>: Info:
        # passwd-file: Password mismatch ..."
        assert re.search(r"(auth: Info: passwd-file\(carol@example\.org,"
                         r"127\.0\.0\.6,<[^>]+>\)|auth\(carol@example\.org,"
                         r"127\.0\.0\.6,[^)]*\)<[^>]+>: Info: passwd-file): "
                         r"Password mismatch "
                         r"\(SHA1 of given password: [0-9a-f]{8}\)", log), log
        replayed = replayed_decisions(d, d.log_path)
        if replayed != live:
            # the whole log, for the order its lines came in
            print("".join("log| " + line
                          for line in read(d.log_path).splitlines(True)))
        assert replayed == live, (replayed, live)

        # what was refused live is refused by the replay too; the stale
        # phone is reported, not banned
        _, out, _ = simulate(d, "-i", "log", d.log_path)
        m = re.search(r"(\d+) attempts were refused by the recorded server "
                      r"itself \(\"user disabled\"\); the replay refuses "
                      r"(\d+) of them", out)
        assert m and m.group(1) == m.group(2) and int(m.group(1)) >= 4, out
        # among them names the passdb called unknown before, as many as
        # the plugin refused (unknown_names), and the alert's suspect
        # trying alice (refused before the password check, then banned)
        m = re.search(r"^Would be refused: .*, unknown name (\d+), alert "
                      r"suspect 1\)$", out, re.M)
        assert m, out
        deadline = time.monotonic() + 5  # the failure rows are queued
        while True:
            st = d.doveadm_json("lockout", "stats")[0]
            if st["unknown_names_day"] == int(m.group(1)) or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert st["unknown_names_day"] == int(m.group(1)), (st, out)
        assert re.search(r"^Stale clients: +1 ", out, re.M), out
        assert re.search(r"^  127\.0\.0\.6 +carol@example\.org", out,
                         re.M), out
        # refused there, so whether the password was right is unknown
        assert re.search(r"^Successful logins that would have been refused: "
                         r"0$", out, re.M), out
        assert "0 unusable" in out, out

        # the same log rotated, the old part compressed, named newest
        # first: the same decisions as the whole log. Cut in the middle,
        # and in the first second when it has more lines than Dovecot's
        # first (nearly always): the parts then start in the same second
        # (in the middle too, often: the attacks take about a second), and
        # only the modification times tell the older (2.4.1 CI: read
        # newest first, 127.0.0.7 was banned by ip_failures)
        lines = read(d.log_path).splitlines(True)
        stamp = re.compile(r"\w{3} [ \d]\d \d\d:\d\d:\d\d ")
        first = stamp.match(lines[0]).group(0)
        cuts = [len(lines) // 2] + [
            i for i, line in enumerate(lines)
            if i > 0 and line.startswith(first)][-1:]
        if len(cuts) == 1:
            print("(Dovecot's first line alone in its second: no cut in it)")
        old = os.path.join(d.tmp, "rotated.log.1.gz")
        new = os.path.join(d.tmp, "rotated.log")
        for cut in cuts:
            with gzip.open(old, "wt") as f:
                f.writelines(lines[:cut])
            with open(new, "w") as f:
                f.writelines(lines[cut:])
            past = time.time() - 60
            os.utime(old, (past, past))
            rotated = replayed_decisions(d, new, old)
            assert rotated == replayed, (cut, rotated, replayed,
                                         lines[cut - 3:cut + 3])
            # read oldest first, whatever the decisions
            _, out, _ = simulate(d, "-i", "log", new, old)
            assert 0 <= out.find(old + ", ") < out.find(new + ", "), out
        # and through stdin
        _, out, _ = simulate(d, "-i", "log", "-o", "decisions", "-",
                             input=read(d.log_path))
        assert sorted((o["target"], o["rule"]) for o in jsonl(out)
                      if o["type"] != "notable") == replayed


def test_ipv6_rotation_log_replay_matches_live():
    # IPv6 aggregation, live and replayed from the verbose log: a new /64
    # for every username (over the auth-client socket: no IPv6 client
    # here) bans its /56 at 4 usernames, never a /64, and two such /56s
    # their /48 at 8. (The guard of a /48 where a user logs in is
    # test_policy's: a success over this socket leaves no log line.)
    with Dovecot(module_dirs=find_lockout_modules(), users=dict(USERS),
                 auth_verbose=True,
                 plugin_settings={"lockout_ip_spread_usernames": "2"},
                 extra_conf="auth_verbose_passwords = sha1:8\n") as d:
        for n56 in (0xa0, 0xa1):
            for i in range(4):
                ok, _ = auth_client_plain(d, "n%x-%d@example.org" % (n56, i),
                                          "x%d" % i, service="imap",
                                          rip="2001:db8:1:%02x%02x::1" % (
                                              n56, i))
                assert not ok
        want = sorted([("2001:db8:1:a000::/56", "ip_spread/56"),
                       ("2001:db8:1:a100::/56", "ip_spread/56"),
                       ("2001:db8:1::/48", "ip_spread/48")])
        deadline = time.monotonic() + 5
        while True:
            rows = d.doveadm_json("lockout", "list", "-a") or []
            live = sorted((r["target"], r["rule"]) for r in rows)
            if live == want or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert live == want, live
        assert replayed_decisions(d, d.log_path) == live


def test_quiet_log_replay_matches_live():
    with Dovecot(module_dirs=find_lockout_modules(), users=dict(USERS),
                 auth_verbose=False, plugin_settings=LIVE_SETTINGS) as d:
        mark = d.log_mark()
        # (a stale client cannot be told from a guesser here: below)
        run_attacks(d, stale=False, alert=False)
        live = live_decisions(d, EXPECTED_LIVE)
        assert live == EXPECTED_LIVE, live
        log = d.log_text()[mark:]
        assert "passwd-file(" not in log
        replayed = replayed_decisions(d, d.log_path)
        # the login processes' lines are enough: a targeted name that
        # never logged in counts as no account
        assert replayed == live, (replayed, live)
        _, out, _ = simulate(d, "-i", "log", d.log_path)
        assert "failures of unknown kind" in out, out
        assert "no attempted passwords" in out, out


def test_quiet_log_cannot_see_stale_clients():
    # documented limit: without passwords in the log a phone repeating an
    # old password looks like guessing; the plugin itself knows better
    with Dovecot(module_dirs=find_lockout_modules(), users=dict(USERS),
                 auth_verbose=False,
                 plugin_settings={"lockout_ip_failures": "3"}) as d:
        for _ in range(4):
            ok, _ = imap_login(d, "carol@example.org", "old-password",
                               src="127.0.0.6")
            assert not ok
        time.sleep(0.7)
        assert d.doveadm_json("lockout", "list") == []
        replayed = replayed_decisions(d, d.log_path)
        assert replayed == [("127.0.0.6", "ip_failures")], replayed


def test_log_garbage_is_counted_not_fatal():
    with Dovecot(module_dirs=find_lockout_modules()) as d:
        path = os.path.join(d.tmp, "mixed.log")
        with open(path, "wb") as f:
            f.write(b"Nov 28 03:04:43 mail postfix/smtpd[1]: connect\n"
                    b"\x00\xff binary junk\n"
                    b"no timestamp at all\n"
                    b"Nov 28 03:04:44 mail dovecot: auth: passwd-file("
                    b"u,192.0.2.300,<s>): unknown user\n"
                    b"Nov 28 03:04:45 mail dovecot: auth: passwd-file("
                    b"admin,192.0.2.7,<s>): unknown user\n" +
                    b"x" * 100000 + b"\n" +
                    b"Nov 28 03:04:46 mail dovecot: imap-login: Login: "
                    b"user=<a>, method=PLAIN, rip=192.0.2.8, session=<t>")
        rc, out, err = simulate(d, "-i", "log", path)
        assert rc == 0, err
        assert "7 lines: 2 used, 1 ignored, 4 unusable" in out, out
        assert re.search(r"^Attempts: +2 ", out, re.M), out
        assert re.search(r"targeted_unknown 1", out), out


if __name__ == "__main__":
    main(globals())
