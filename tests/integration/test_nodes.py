# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""Several Dovecot nodes, one ban table in PostgreSQL (issue 14).

Each test starts a private PostgreSQL cluster (lockout_pg: initdb in a
temporary directory, a Unix socket only) and three private Dovecot nodes
(lockout_nodes: each in a network namespace of its own with its lockoutd
and its own nftables table), configured with

    lockout_db_driver = pgsql
    lockout_db = host=<socket dir> port=5432 dbname=lockout user=lockout
                 passfile=<file of the dovecot user, 0600>

and checks what the issue asks:
  (a) a `doveadm lockout ban` on node 1 is refused by nodes 2 and 3, and in
      every node's nft set, within a second;
  (b) the same for an automatic ban made on node 1;
  (c) an attacker going round-robin over the nodes is banned after as many
      failures as on one node, give or take one round;
  (d) PostgreSQL stopped for 30 s during an attack, then started again: no
      login waited, the bans made meanwhile reach PostgreSQL and every node,
      the failure history lost nothing; the same with PostgreSQL frozen
      (SIGSTOP: unreachable, connections hang) for 10 s;
  (e) a node stopped (its nft table flushed, as after a reboot) and started
      again comes back with every ban, those made while it was down too;
  (f) `doveadm lockout export` of an SQLite table, `import` into
      PostgreSQL, export again: the same lines; and back into SQLite;
  (g) `lockout_notify` set on every node: each ban is mailed once in all,
      not once per node, even when every lockoutd composes its digest at
      the same moment.

What the tests assume of the product beyond the two settings: the tables
keep their SQLite names and the columns they read (bans.target and .lifted,
failures.ip and .count), owned by the role, in the role's own schema (which
its default search_path puts first: lockout_pg.create_role_and_db()) or in
one it made.

Addresses: a refusal is probed with alice's right password, and a
successful login makes its network a known device, whose bans lockoutd
never pushes; so every ban checked in the firewall has an address that is
never probed, every address is in a /24 of its own (no /24 ban from
lockout_net_ban_hosts either), and the account rules that could protect
alice or bob are off.

Run as root after building:
    /usr/bin/python3 tests/integration/test_nodes.py [test ...]
"""

import contextlib
import glob
import itertools
import os
import shutil
import signal
import tempfile
import threading
import time
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lockout_harness import (  # noqa: E402
    AuthClient, find_lockout_modules, main, run_lockoutd, sendmail_script,
    wait_until)
from lockout_nodes import PG_ROLE, Nodes, pg_store  # noqa: E402
from lockout_pg import PostgresCluster, require_postgres  # noqa: E402
from test_doveadm import ALICE, BOB, FAILURES, USERS, attack  # noqa: E402
import test_import  # noqa: E402

NODES = 3
# The existing tests' thresholds (test_doveadm.py), with the rules that
# could protect the accounts or ban a /24 off (see the module's doc).
PLUGIN = {"lockout_ip_failures": str(FAILURES),
          "lockout_ip_window": "10 mins",
          "lockout_ban_time": "1 hour",
          "lockout_net_ban_hosts": "0",
          "lockout_user_networks": "0",
          "lockout_ip_spread_usernames": "0",
          "lockout_user_failures": "100000"}
PROPAGATION = 1.0      # seconds: the bound, node to node
SLACK = 10.0           # how long a wait goes on before it fails
OUTAGE = 30.0          # seconds PostgreSQL is down in (d)
FROZEN = 10.0          # seconds it is unreachable (SIGSTOP) in (d)

_ips = itertools.count(1)


def new_ip():
    """A fresh address, in a /24 of its own (198.18.0.0/15, the
    benchmarking range: neither loopback nor allowed)."""
    n = next(_ips)
    return "198.%d.%d.%d" % (18 + n // 250, n % 250, 10 + n % 7)


# --------------------------------------------------------------------------
# The cluster and the nodes

def pg_rows(pg, sql):
    """Rows of sql run as the superuser in the role's database."""
    return pg.psql(sql, db=PG_ROLE)


def store_schema(pg):
    """The schema where the product made its ban table (the role's own,
    "lockout", unless it made one of its own), or None."""
    rows = pg_rows(pg, "SELECT schemaname FROM pg_tables WHERE tablename "
                   "= 'bans' AND tableowner = '%s' ORDER BY schemaname "
                   "= '%s' DESC" % (PG_ROLE, PG_ROLE))
    return rows[0][0] if rows else None


@contextlib.contextmanager
def shared_nodes(count=NODES, **settings):
    """A private cluster and `count` nodes using it: yields (pg, nodes).
    Fails at once, and says why, when the nodes do not store in
    PostgreSQL."""
    require_postgres()
    with PostgresCluster() as pg:
        plugin = dict(PLUGIN)
        plugin.update(pg_store(pg))
        plugin.update(settings)
        with Nodes(count, module_dirs=find_lockout_modules(),
                   users=dict(USERS), plugin_settings=plugin) as nodes:
            for n in nodes:
                sqlite = os.path.join(n.d.lockout_dir, "lockout.db")
                assert not os.path.exists(sqlite), \
                    "%s made an SQLite table (%s): lockout_db_driver = " \
                    "pgsql was ignored" % (n.name, sqlite)
            try:
                wait_until("the ban table in PostgreSQL",
                           lambda: store_schema(pg), timeout=SLACK)
            except AssertionError:
                raise AssertionError(
                    "the nodes made no table \"bans\" owned by %s in "
                    "PostgreSQL; its tables: %s" % (PG_ROLE, pg_rows(
                        pg, "SELECT schemaname, tablename, tableowner FROM "
                        "pg_tables WHERE schemaname NOT IN ('pg_catalog', "
                        "'information_schema')")))
            yield pg, nodes


def active_in_pg(pg):
    """The targets of the active bans in PostgreSQL."""
    return {r[0] for r in pg_rows(
        pg, 'SELECT target FROM "%s".bans WHERE lifted IS NULL OR '
        'lifted = 0' % store_schema(pg))}


def failures_in_pg(pg):
    """{ip: sum of count} of the failure history in PostgreSQL."""
    return {r[0]: int(r[1]) for r in pg_rows(
        pg, 'SELECT ip, sum(count) FROM "%s".failures GROUP BY ip'
        % store_schema(pg))}


# --------------------------------------------------------------------------
# Measuring

def parallel(fns):
    """Run the functions at once in threads; their results in order.
    The first exception raised by one is raised here."""
    results = [None] * len(fns)
    errors = []

    def run(i, fn):
        try:
            results[i] = fn()
        except BaseException as e:  # reported to the caller
            errors.append(e)
    threads = [threading.Thread(target=run, args=(i, fn), daemon=True)
               for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(SLACK * 3)
    if errors:
        raise errors[0]
    if any(t.is_alive() for t in threads):
        raise AssertionError("a measurement did not end")
    return results


def first_refusal(node, ip, t0, timeout=SLACK):
    """alice's right password as if from ip on node, again and again (the
    next as soon as the last is answered), until refused: the seconds from
    t0 to the sending of the first refused attempt."""
    deadline = t0 + timeout
    with AuthClient(node.d) as a:
        while True:
            sent = time.monotonic()
            ok, line, _ = a.plain(ALICE, USERS[ALICE], rip=ip,
                                  service="imap")
            if not ok:
                return max(0.0, sent - t0)
            if sent > deadline:
                raise AssertionError("%s still lets %s in %.1f s after the "
                                     "ban" % (node.name, ip, sent - t0))
            time.sleep(0.01)


def first_in_firewall(node, ip, t0, timeout=SLACK):
    """The seconds from t0 until ip is in node's ban4 set (polled)."""
    deadline = t0 + timeout
    while True:
        now = time.monotonic()
        if ip in (node.set_elements("ban4") or {}):
            return now - t0
        if now > deadline:
            log = node.lockoutd.log() if node.lockoutd else ""
            raise AssertionError("%s not in %s's firewall %.1f s after the "
                                 "ban\n--- its lockoutd log\n%s"
                                 % (ip, node.name, now - t0, log[-3000:]))
        time.sleep(0.02)


def wait_banned(node, ip, since, timeout=SLACK):
    """Wait for node's log line of the automatic ban of ip; return when
    it was seen (time.monotonic())."""
    node.d.wait_for_log(r"lockout: Banned %s " % ip.replace(".", r"\."),
                        timeout=timeout, since=since)
    return time.monotonic()


def report(what, delays):
    """Print delays {name: seconds} and check them against PROPAGATION."""
    text = ", ".join("%s %.3f s" % kv for kv in sorted(delays.items()))
    print("    %s: %s" % (what, text), flush=True)
    slow = {k: v for k, v in delays.items() if v > PROPAGATION}
    assert not slow, "%s slower than %.1f s: %s" % (what, PROPAGATION, text)


def check_everywhere(nodes, probe_ip, fw_ip, t_probe, t_fw, what):
    """probe_ip refused by every node within PROPAGATION of t_probe, fw_ip
    in every node's firewall within PROPAGATION of t_fw (measured at once
    on every node)."""
    res = parallel([(lambda n=n: first_refusal(n, probe_ip, t_probe))
                    for n in nodes] +
                   [(lambda n=n: first_in_firewall(n, fw_ip, t_fw))
                    for n in nodes])
    report(what + ", refused", {n.name: d for n, d in
                                zip(nodes, res[:len(nodes)])})
    report(what + ", in the firewall", {n.name: d for n, d in
                                        zip(nodes, res[len(nodes):])})


def wrong(ip, count=FAILURES, user=BOB):
    """count distinct wrong passwords of user from ip (a repeated
    password counts once)."""
    return [(user, "wrong-%s-%d" % (ip, i), ip) for i in range(count)]


# --------------------------------------------------------------------------
# (a), (b): bans everywhere within a second

def test_manual_ban_on_node1_refused_and_firewalled_everywhere_within_1s():
    with shared_nodes() as (pg, nodes):
        probe_ip, fw_ip = new_ip(), new_ip()
        start = time.monotonic()
        nodes[0].d.doveadm("lockout", "ban", fw_ip, "-r", "(a) firewall")
        t_fw = time.monotonic()
        nodes[0].d.doveadm("lockout", "ban", probe_ip, "-r", "(a) probe")
        t_probe = time.monotonic()
        print("    doveadm lockout ban on node1: %.3f s" % (t_fw - start),
              flush=True)
        # each from the end of its doveadm (the ban is in the table then)
        check_everywhere(nodes, probe_ip, fw_ip, t_probe, t_fw,
                         "doveadm ban on node1")
        assert {probe_ip, fw_ip} <= active_in_pg(pg), active_in_pg(pg)


def test_automatic_ban_on_node1_refused_and_firewalled_everywhere_within_1s():
    with shared_nodes() as (pg, nodes):
        probe_ip, fw_ip = new_ip(), new_ip()
        mark = nodes[0].d.log_mark()
        attack(nodes[0].d, wrong(probe_ip) + wrong(fw_ip))
        # from the moment node 1's log says it banned each (polled: a
        # bound in favour of the product by up to 20 ms)
        t_fw = wait_banned(nodes[0], fw_ip, mark)
        t_probe = wait_banned(nodes[0], probe_ip, mark)
        check_everywhere(nodes, probe_ip, fw_ip, t_probe, t_fw,
                         "automatic ban on node1")
        assert {probe_ip, fw_ip} <= active_in_pg(pg), active_in_pg(pg)


# --------------------------------------------------------------------------
# (c): failures add up across the nodes

def attempts_until_banned(nodes, ip, limit):
    """Wrong passwords from ip, one at a time, to nodes[0], nodes[1], ...
    in turn, until some node logs the ban of ip: how many were sent."""
    marks = [n.d.log_mark() for n in nodes]
    rx = "lockout: Banned %s " % ip
    for k in range(1, limit + 1):
        node = nodes[(k - 1) % len(nodes)]
        ok, line, _ = node.auth(BOB, "wrong-%s-%d" % (ip, k), rip=ip)
        assert not ok, line
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline:
            if any(rx in n.d.log_text()[m:] for n, m in zip(nodes, marks)):
                return k
            time.sleep(0.02)
    raise AssertionError("%s not banned after %d failures over %d node(s)"
                         % (ip, limit, len(nodes)))


def test_round_robin_attacker_banned_after_as_many_failures_as_on_one_node():
    with shared_nodes() as (pg, nodes):
        limit = 3 * FAILURES * len(nodes)
        single = attempts_until_banned(nodes[:1], new_ip(), limit)
        rr_ip = new_ip()
        spread = attempts_until_banned(list(nodes), rr_ip, limit)
        print("    banned after %d failures on one node, %d round-robin over "
              "%d nodes (lockout_ip_failures = %d)"
              % (single, spread, len(nodes), FAILURES), flush=True)
        assert single == FAILURES, single
        # Without sharing, node 1 would see its FAILURES-th failure only at
        # attempt (FAILURES - 1) * nodes + 1: 7 of 3 nodes.
        assert abs(spread - single) < len(nodes), (single, spread)
        t0 = time.monotonic()
        report("the round-robin attacker refused", dict(zip(
            [n.name for n in nodes],
            parallel([(lambda n=n: first_refusal(n, rr_ip, t0))
                      for n in nodes]))))


# --------------------------------------------------------------------------
# (d): PostgreSQL down for 30 s during an attack

def attack_during_outage(pg, nodes, seconds, down_fn, up_fn, what):
    """Logins, failures and an attack on every node while PostgreSQL is
    out (down_fn() ... up_fn()) for `seconds`: every authentication timed
    (none may wait for the database), two addresses banned on each node
    meanwhile (each node enforces its own at once); then the bans reach
    PostgreSQL and every node, and the failure history has every failure
    that was sent."""
    timings = {"auth success": [], "imap login": [], "auth failure": [],
               "attack batch": []}
    sent = {}                     # ip -> wrong passwords sent
    probe_ips = [new_ip() for _ in nodes]
    fw_ips = [new_ip() for _ in nodes]
    good_ip = new_ip()

    def timed(kind, fn):
        t = time.monotonic()
        r = fn()
        timings[kind].append(time.monotonic() - t)
        return r

    for n in nodes:               # all well before
        assert n.auth(ALICE, USERS[ALICE], rip=good_ip)[0]
    down_fn()
    down = time.monotonic()
    rounds = 0
    while time.monotonic() - down < seconds:
        for n in nodes:
            ok, line, _ = timed("auth success", lambda: n.auth(
                ALICE, USERS[ALICE], rip=good_ip))
            assert ok, (n.name, line)
            ok, line = timed("imap login", lambda: n.imap_login(
                ALICE, USERS[ALICE], src="127.0.0.2"))
            assert ok, (n.name, line)
            ip = new_ip()
            ok, line, _ = timed("auth failure", lambda: n.auth(
                BOB, "wrong-%s" % ip, rip=ip))
            assert not ok, line
            sent[ip] = 1
        if rounds == 2:
            # the attack: two addresses banned on each node, while
            # PostgreSQL is down; each node enforces its own at once
            for n, p_ip, f_ip in zip(nodes, probe_ips, fw_ips):
                mark = n.d.log_mark()
                timed("attack batch", lambda: attack(
                    n.d, wrong(p_ip) + wrong(f_ip)))
                sent[p_ip] = sent[f_ip] = FAILURES
                wait_banned(n, p_ip, mark)
                wait_banned(n, f_ip, mark)
                assert first_refusal(n, p_ip, time.monotonic()) < 1.0
        rounds += 1
        time.sleep(max(0.0, 1.0 - (time.monotonic() - down) % 1.0))
    print("    PostgreSQL %s %.1f s, %d rounds over %d nodes"
          % (what, time.monotonic() - down, rounds, len(nodes)),
          flush=True)
    up_fn()
    up = time.monotonic()
    for kind, ts in sorted(timings.items()):
        print("    %s during the outage: %d, max %.3f s, mean %.3f s"
              % (kind, len(ts), max(ts), sum(ts) / len(ts)), flush=True)
    # Dovecot 2.3 answers a failure from a 500 ms timer
    # (lockout_harness): failures may take that long, no more
    assert max(timings["auth success"]) < 0.25, timings["auth success"]
    assert max(timings["imap login"]) < 0.5, timings["imap login"]
    assert max(timings["auth failure"]) < 0.9, timings["auth failure"]
    assert max(timings["attack batch"]) < 0.9, timings["attack batch"]

    # every ban of the outage reaches PostgreSQL...
    banned = set(probe_ips) | set(fw_ips)
    wait_until("the outage's bans in PostgreSQL",
               lambda: banned <= active_in_pg(pg), timeout=3 * SLACK)
    print("    the outage's bans in PostgreSQL %.1f s after it came back"
          % (time.monotonic() - up), flush=True)
    # ... and every node: each refuses every probe address, each
    # firewall has every other
    t0 = time.monotonic()
    res = parallel([(lambda n=n, ip=ip: first_refusal(n, ip, t0))
                    for n in nodes for ip in probe_ips] +
                   [(lambda n=n, ip=ip: first_in_firewall(n, ip, t0))
                    for n in nodes for ip in fw_ips])
    print("    then on every node within %.3f s" % max(res), flush=True)
    # the failure history lost nothing (the probe addresses also have
    # the refusals of the probes)
    try:
        wait_until("the failure history", lambda: all(
            failures_in_pg(pg).get(ip) == c for ip, c in sent.items()
            if ip not in probe_ips), timeout=SLACK)
    except AssertionError:
        got = failures_in_pg(pg)
        raise AssertionError("failure history in PostgreSQL differs "
                             "from what was sent: %s" % {
                                 ip: (c, got.get(ip))
                                 for ip, c in sent.items()
                                 if got.get(ip) != c and
                                 ip not in probe_ips})
    for ip in probe_ips:
        assert failures_in_pg(pg).get(ip, 0) >= FAILURES, ip


def test_postgresql_down_30s_during_an_attack_nothing_waits_nothing_lost():
    with shared_nodes() as (pg, nodes):
        attack_during_outage(pg, nodes, OUTAGE, pg.stop, pg.start,
                             "stopped")


def test_postgresql_unreachable_during_an_attack_nothing_waits():
    """Unreachable rather than down: every PostgreSQL process stopped by
    SIGSTOP, so a connection is accepted by the kernel and never answered
    and a query on an open one never returns; a client that waits, waits
    here."""
    with shared_nodes() as (pg, nodes):
        attack_during_outage(pg, nodes, FROZEN, pg.freeze, pg.thaw,
                             "frozen (SIGSTOP)")


# --------------------------------------------------------------------------
# (e): a node restarted comes back with every ban

def test_restarted_node_comes_back_with_every_ban():
    with shared_nodes() as (pg, nodes):
        n1, n2, n3 = nodes[0], nodes[1], nodes[2]
        pairs = []                    # (probe ip, firewall ip)

        def ban_pair(manual):
            p_ip, f_ip = new_ip(), new_ip()
            if manual:
                for ip in (p_ip, f_ip):
                    n1.d.doveadm("lockout", "ban", ip, "-r", "(e)")
            else:
                mark = n3.d.log_mark()
                attack(n3.d, wrong(p_ip) + wrong(f_ip))
                wait_banned(n3, p_ip, mark)
                wait_banned(n3, f_ip, mark)
            pairs.append((p_ip, f_ip))

        ban_pair(manual=True)
        ban_pair(manual=False)
        for p_ip, f_ip in pairs:
            now = time.monotonic()
            check_everywhere([n2], p_ip, f_ip, now, now,
                             "node2 before its restart")
        n2.stop()
        rc, out = run_lockoutd(n2.ns, "--flush")
        assert rc == 0 and n2.set_elements("ban4") is None, (rc, out)
        # while node 2 is down
        ban_pair(manual=True)
        ban_pair(manual=False)
        n2.start()
        t0 = time.monotonic()
        res = parallel([(lambda ip=p: first_refusal(n2, ip, t0))
                        for p, _ in pairs] +
                       [(lambda ip=f: first_in_firewall(n2, ip, t0))
                        for _, f in pairs])
        print("    node2 back (Dovecot and lockoutd started): every ban "
              "refused and in its firewall within %.3f s" % max(res),
              flush=True)
        # every firewall address, and nothing but the bans (the probed
        # addresses too, unless a success before their ban made them
        # known devices, whose bans lockoutd does not push)
        elements = set(n2.set_elements("ban4"))
        banned = {ip for pair in pairs for ip in pair}
        assert {f for _, f in pairs} <= elements <= banned, \
            (sorted(elements), pairs)
        assert not n2.d.log_errors(), n2.d.log_errors()


# --------------------------------------------------------------------------
# (f): migration, SQLite -> PostgreSQL -> SQLite

def export_lines(d):
    """`doveadm lockout export` without its first line (the header, which
    says when)."""
    out, _ = test_import.run(d, "lockout", "export")
    return out.splitlines()[1:]


def test_export_import_sqlite_to_postgresql_and_back_identical():
    require_postgres()
    with test_import.instance() as lite:
        test_import.fill_every_kind(lite)
        text, _ = test_import.run(lite, "lockout", "export")
        lines = text.splitlines()[1:]
        bans, nets = test_import.active_bans(lite), test_import.allowed(lite)
    assert len(lines) >= 6, text
    with PostgresCluster() as pg:
        with test_import.instance(plugin=pg_store(pg)) as pgnode:
            test_import.run(pgnode, "lockout", "import", "-", input=text)
            assert not os.path.exists(os.path.join(pgnode.lockout_dir,
                                                   "lockout.db"))
            assert len(active_in_pg(pg)) == len(bans), active_in_pg(pg)
            again, _ = test_import.run(pgnode, "lockout", "export")
            assert again.splitlines()[1:] == lines, (text, again)
            test_import.wait_refused(pgnode, "127.0.0.20")
    with test_import.instance() as back:
        test_import.run(back, "lockout", "import", "-", input=again)
        assert export_lines(back) == lines
        assert test_import.active_bans(back) == bans
        assert test_import.allowed(back) == nets


# --------------------------------------------------------------------------
# (g): lockout_notify on every node, each ban mailed once

@contextlib.contextmanager
def mail_drop():
    """A sendmail for every node's lockoutd (which runs it as the dovecot
    user) that keeps each message it is given as a file of a directory
    they share: yields (command, a function returning the messages)."""
    tmp = tempfile.mkdtemp(prefix="lockout-mail-")
    try:
        script = sendmail_script(
            tmp, "f=$(mktemp %s/msg.XXXXXX) && cat > \"$f\"\n" % tmp)

        def messages():
            out = []
            for path in sorted(glob.glob(os.path.join(tmp, "msg.*"))):
                with open(path, encoding="ascii", errors="replace") as f:
                    out.append(f.read())
            return out
        yield script, messages
    finally:
        shutil.rmtree(tmp)


def test_notify_on_every_node_mails_each_ban_once():
    with mail_drop() as (sendmail, messages), \
            shared_nodes(lockout_notify="postmaster@example.org",
                         lockout_notify_interval="1 hour",
                         lockout_sendmail=sendmail) as (pg, nodes):
        def with_text(text):
            return [m for m in messages() if text in m]

        # the digest (due in an hour) asked of every lockoutd at once
        # (SIGUSR1): all compose from the same unmarked rows together
        for _ in range(3):
            ip = new_ip()
            marks = [len(n.lockoutd.log()) for n in nodes]
            nodes[0].d.doveadm("lockout", "ban", ip, "-r", "(g)")
            for n in nodes:
                wait_until(ip + " in " + n.name, lambda n=n: ip in (
                    n.set_elements("ban4") or {}), timeout=SLACK)
            for n in nodes:
                os.kill(n.lockoutd.proc.pid, signal.SIGUSR1)
            wait_until("the digest of " + ip, lambda: with_text(ip),
                       timeout=SLACK)
            # the others' rounds (every 20 ms) have long been done: each
            # found the row claimed, or lost the claim to the sender
            time.sleep(2)
            logs = [n.lockoutd.log()[m:] for n, m in zip(nodes, marks)]
            senders = [n.name for n, log in zip(nodes, logs)
                       if "digest sent" in log]
            lost = [n.name for n, log in zip(nodes, logs)
                    if "another lockoutd" in log]
            print("    ban %s: digest sent by %s, claim lost by %s"
                  % (ip, senders, lost), flush=True)
            assert len(with_text(ip)) == 1, logs
            assert len(senders) == 1, senders

        # an account put under protection, mailed at once by whichever
        # lockoutd looks first
        schema = store_schema(pg)
        now = int(time.time())
        pg_rows(pg, "INSERT INTO \"%s\".bans (target, kind, source, "
                "reason, rule, created, expires, failures, evidence, "
                "observed) VALUES ('%s', 'user', 'manual', '(g)', "
                "'manual', %d, %d, 0, '{}', 0)"
                % (schema, BOB, now - 1, now + 3600))
        wait_until("the protection mail", lambda: with_text(
            "under protection"), timeout=SLACK)
        time.sleep(3)
        assert len(with_text("under protection")) == 1, messages()
        assert len(messages()) == 4, messages()
        assert pg_rows(pg, 'SELECT count(*) FROM "%s".bans WHERE '
                       'notified = 0' % schema) == [["0"]]
        for n in nodes:
            failed = [ln for ln in n.lockoutd.log().splitlines()
                      if "not sent" in ln and "another lockoutd" not in ln]
            assert not failed, failed


if __name__ == "__main__":
    main(globals())
