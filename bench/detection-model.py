#!/usr/bin/python3
# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""What-if model of the policy engine, for the detection benchmark: replays
the labelled traces of bench/detection-gen.py through a Python model of
today's rules (lockout-policy.c at the default settings) and of the rules
proposed in bench/DETECTION.md, each switched on by an option, and prints
the same table as bench/detection.sh.

An estimate, not the product: the C engine is what counts. The model
has no memory caps and keeps exact sets where the engine would keep a
small sketch. With no rule it reproduces today's engine: the same verdict
for every attempt of the traces (DETECTION.md says how that was checked).

    detection-model.py [-n SEEDS] [-g GEN-ARGS] [-l LABEL]
                       [--rules R[,R...]] [--set name=value]...
                       [--vs [-l ...] [--rules ...] [--set ...]...]

Rules (DETECTION.md): long, spread, account, v6agg, probation, alert,
names, ownnet (the proposed set, "all"), and v4agg, live, accounts
(measured, not proposed). --set changes a parameter of the model (the
names in DEFAULTS below, values in seconds for times). Traces come from
build/bench-cache as with detection.sh (generated when absent); no root
needed, nothing runs but Python.
"""

import collections
import importlib.util
import ipaddress
import json
import os
import sys
import time

sys.dont_write_bytecode = True    # no __pycache__ in bench/
HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "detection", os.path.join(HERE, "detection.py"))
detection = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(detection)

MIN, HOUR, DAY = 60, 3600, 86400
TARGETED = set("admin administrator contact test user 123 help info root "
               "no-reply noreply webmaster postmaster abuse support office "
               "mail sales".split())

DEFAULTS = {
    # today's settings (docs/settings.md)
    "ip_failures": 10, "ip_window": 10 * MIN, "ban_time": HOUR,
    "ban_time_max": 7 * DAY, "targeted_ban_time": 7 * DAY,
    "targeted_failures": 3, "user_failures": 30, "user_window": HOUR,
    "protect_time": HOUR, "known_device_time": 30 * DAY,
    "net_ban_hosts": 3, "net_ban_window": DAY, "history_time": 30 * DAY,
    # long: distinct (username, password) failures of a source in a long
    # window; repeats of one password never count
    "long_failures": 8, "long_window": DAY, "long_ban_time": DAY,
    # spread: distinct usernames failing from one source (any passwords),
    # or distinct usernames failing with distinct passwords (a user who
    # mistypes the username types the right password)
    "spread_users": 5, "spread_pw_users": 3, "spread_window": DAY,
    "spread_ban_time": 6 * HOUR,
    # a network where this many other accounts logged in successfully
    # (within known_device_time) is no attacker's: the long and spread
    # rules leave it alone (the address itself), and account protection
    # lets it through (its /24, IPv6 /48)
    "busy_users": 3,
    # account: failures from this many foreign networks (/24, IPv6 /48)
    # with distinct passwords within the window protect the account.
    # Foreign: not a known device, not busy, not near the account's
    # networks (near4/near6: the /16 or /48 of a network where it logged
    # in) - a busy or near source that failed on the account is foreign
    # again. Protection refuses foreign networks only and lasts
    # protect_after past the last failure (account_sliding=0: a fixed
    # time). Today's rule (30 failures in an hour) stays.
    "account_networks": 5, "account_window": 6 * HOUR,
    "account_protect_after": 6 * HOUR, "account_sliding": 1,
    "near4": 16, "near6": 48,
    # v6agg: the /56 and /48 around IPv6 sources counted as sources too
    # (short rule with these thresholds, long and spread rules times
    # the factors), and N banned /64s in a /56 (/56s in a /48) ban it;
    # never over a prefix with a success or an allowed network
    "v6_56_failures": 20, "v6_48_failures": 40, "v6_agg_factor": 2,
    "v6_agg_bans": 3,
    # v4agg: the long and spread rules for IPv4 /24s too (times the
    # factor), with the /24's collateral guard
    "v4_agg_factor": 3,
    # probation: a source banned before is banned again after this many
    # failures within ip_window
    "probation_failures": 3,
    # alert: while unknown-user failures from networks without successes
    # run at this many within the window (server-wide), such a network
    # failing on an unknown user is banned at its alert_failures-th
    # failure within ip_window (instead of ip_failures)
    "alert_unknown": 20, "alert_window": HOUR, "alert_failures": 2,
    # live (with alert): during an alert, a username that had no success
    # within known_device_time, tried from a network without successes,
    # is refused before the lookup
    # accounts: a username that is no account (the userdb's list) is
    # refused before the lookup
    # names: a username the passdb called unknown this recently is refused
    # before the lookup (and counted as an unknown-user failure)
    "names_ttl": DAY,
}
RULES = ["long", "spread", "account", "v6agg", "probation", "alert",
         "names", "ownnet", "v4agg", "live", "accounts"]
# v4agg made no difference on the traces, live refuses accounts back
# after months, accounts needs the list of accounts (DETECTION.md)
ALL = RULES[:-3]
ALLOWED = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1")]


_addr_cache = {}


def parse(ip):
    a = _addr_cache.get(ip)
    if a is None:
        x = ipaddress.ip_address(ip)
        a = (x.version, int(x), x.max_prefixlen,
             any(x in n for n in ALLOWED))
        _addr_cache[ip] = a
    return a


def mask(addr, plen):
    v, n, bits = addr[0], addr[1], addr[2]
    return (v, n >> (bits - plen) << (bits - plen), plen)


class Model:
    def __init__(self, cfg, rules):
        self.c = cfg
        self.r = rules
        self.bans = {}              # net -> (expires, rule, index)
        self.prefixes = set()       # (version, plen) in use by bans
        self.hist = {}              # net -> dict
        self.src = {}               # net -> dict
        self.acc = {}               # account -> dict
        self.dev = {}               # (account, net) -> last success
        self.prot = {}              # account -> expires
        self.succ = {}              # net -> {account: last success}
        self.succ_wide = {}         # /56, /48 -> {/64: {account: time}}
        self.alert = collections.deque()
        self.unknown_names = {}     # username -> last unknown_user
        self.live = {}              # account -> last success
        self.accounts = set()       # all accounts (rule "accounts")
        self.i = 0

    # --- helpers ------------------------------------------------------------

    def source_net(self, a):
        return mask(a, 32) if a[0] == 4 else mask(a, 64)

    def device_net(self, a):
        return mask(a, 24) if a[0] == 4 else mask(a, 64)

    def coarse_net(self, a):
        return mask(a, 24) if a[0] == 4 else mask(a, 48)

    def near_net(self, a):
        return mask(a, self.c["near4"]) if a[0] == 4 else \
            mask(a, self.c["near6"])

    def banned(self, a, t):
        for v, plen in self.prefixes:
            if v != a[0]:
                continue
            b = self.bans.get(mask(a, plen))
            if b is not None and (b[0] is None or b[0] > t):
                return b
        return None

    def history(self, net):
        h = self.hist.get(net)
        if h is None:
            h = self.hist[net] = {"bans": 0, "last_ban": 0,
                                  "hosts": {}}
        return h

    def recent_success(self, net, t, exclude=None):
        """Distinct accounts that logged in from net recently."""
        s = self.succ.get(net)
        if not s:
            return 0
        kt = self.c["known_device_time"]
        return sum(1 for acc, ts in s.items()
                   if acc != exclude and t - ts < kt)

    def busy(self, net, t, exclude=None):
        return self.recent_success(net, t, exclude) >= self.c["busy_users"]

    def known(self, account, a, t):
        d = self.dev.get((account, self.device_net(a)))
        return d is not None and t - d < self.c["known_device_time"]

    def near(self, account, a, t):
        """The account logged in from this /16 (IPv6 /48) lately: its
        ISP's region, where a new dynamic address of the owner lands."""
        d = self.dev.get((account, self.near_net(a)))
        return d is not None and t - d < self.c["known_device_time"]

    def foreign(self, account, a, t):
        """Not the account's: unknown device and (with the account rule)
        not a busy network nor near the account's networks either."""
        if self.known(account, a, t):
            return False
        if "account" in self.r and (self.busy(self.coarse_net(a), t,
                                              account) or
                                    self.near(account, a, t)):
            # unless this very source failed on the account lately
            s = self.src.get(self.source_net(a))
            last = s["accounts"].get(account) if s else None
            return last is not None and \
                t - last < self.c["account_window"]
        return True

    def protected(self, account, t):
        e = self.prot.get(account)
        return e is not None and e > t

    def ban(self, net, rule, base, t):
        c = self.c
        h = self.history(net)
        if h["bans"] > 0 and t - h["last_ban"] >= c["history_time"]:
            h["bans"] = 0
        prior = h["bans"]
        dur = base * (2 ** prior)
        if dur > c["ban_time_max"]:
            dur = base if base > c["ban_time_max"] else c["ban_time_max"]
        self.bans[net] = (t + dur, rule, self.i)
        self.prefixes.add((net[0], net[2]))
        h["bans"] += 1
        h["last_ban"] = t
        self.after_ban(net, t)

    def guard(self, net, t):
        """May a network wider than a source be banned?"""
        for n in ALLOWED:
            if n.version == net[0]:
                mine = ipaddress.ip_network((net[1], net[2]))
                if mine.overlaps(n):
                    return False
        if net[0] == 4:
            return self.recent_success(net, t) == 0
        # any success within the prefix: look at the successes' /64s
        for (v, n, plen), accs in self.succ_wide.get(net, {}).items():
            if any(t - ts < self.c["known_device_time"]
                   for ts in accs.values()):
                return False
        return True

    def after_ban(self, net, t):
        c = self.c
        v, n, plen = net
        if v == 4 and plen == 32 and c["net_ban_hosts"] > 0:
            net24 = (4, n >> 8 << 8, 24)
            h = self.history(net24)
            hosts = h["hosts"]
            hosts[n & 255] = t
            if len(hosts) > 16:
                del hosts[min(hosts, key=hosts.get)]
            recent = sum(1 for x in hosts.values()
                         if t - x < c["net_ban_window"])
            if recent >= c["net_ban_hosts"] and self.guard(net24, t) and \
                    not self.active(net24, t):
                self.ban(net24, "net_hosts", c["ban_time"], t)
        if v == 6 and "v6agg" in self.r and plen in (64, 56):
            wide = mask((6, n, 128), plen - 8)
            h = self.history(wide)
            h["hosts"][n] = t
            recent = sum(1 for x in h["hosts"].values()
                         if t - x < c["net_ban_window"])
            if recent >= c["v6_agg_bans"] and self.guard(wide, t) and \
                    not self.active(wide, t):
                self.ban(wide, "v6_bans_%d" % (plen - 8), c["ban_time"], t)

    def active(self, net, t):
        b = self.bans.get(net)
        return b is not None and (b[0] is None or b[0] > t)

    # --- the questions ----------------------------------------------------

    def check(self, t, a, account):
        if not a[3]:
            b = self.banned(a, t)
            if b is not None:
                return "ban " + b[1]
        if account and self.protected(account, t) and \
                self.foreign(account, a, t):
            return "protected account"
        if "names" in self.r and account and not a[3]:
            last = self.unknown_names.get(account.lower())
            if last is not None and t - last < self.c["names_ttl"]:
                return "unknown name"
        if "accounts" in self.r and account and not a[3] and \
                account.lower() not in self.accounts:
            return "no such account"
        if "live" in self.r and account and not a[3] and \
                self.alert_on(t):
            last = self.live.get(account.lower())
            if (last is None or
                    t - last >= self.c["known_device_time"]) and \
                    self.recent_success(self.device_net(a), t) == 0:
                return "no live account (alert)"
        return None

    def alert_on(self, t):
        q = self.alert
        while q and t - q[0] >= self.c["alert_window"]:
            q.popleft()
        return len(q) >= self.c["alert_unknown"]

    def observe_success(self, t, a, account, tag):
        # a success forgives the source's failures on the account, and
        # those with the same password (the username mistyped)
        wide = [mask(a, 24)] if a[0] == 4 else [mask(a, 56), mask(a, 48)]
        for net in [self.source_net(a)] + wide:
            s = self.src.get(net)
            if s is None:
                continue
            s["long"] = collections.deque(
                e for e in s["long"] if e[1] != account and
                (not tag or e[2] != tag))
            for k in [k for k, v in s["users"].items()
                      if k == account or (tag and v[1] == tag)]:
                del s["users"][k]
        self.live[account.lower()] = t
        dnet = self.device_net(a)
        self.dev[(account, dnet)] = t
        self.dev[(account, self.near_net(a))] = t
        self.succ.setdefault(dnet, {})[account] = t
        if a[0] == 4:
            self.succ.setdefault(mask(a, 32), {})[account] = t
        else:
            self.succ.setdefault(mask(a, 48), {})[account] = t
            for plen in (56, 48):
                self.succ_wide.setdefault(mask(a, plen), {}).setdefault(
                    dnet, {})[account] = t

    def account_failure(self, t, a, account, tag=None):
        c = self.c
        if "account" in self.r and self.foreign(account, a, t):
            q = self.acc.setdefault("nets " + account,
                                    collections.deque())
            q.append((t, self.coarse_net(a), tag))
            while q and t - q[0][0] >= c["account_window"]:
                q.popleft()
            # a stale phone wandering over networks repeats one password:
            # a network counts only with a password not seen before
            first = {}
            for e in q:
                first.setdefault(e[2] or id(e), e[1])
            if c["account_sliding"] and self.protected(account, t):
                # protection lasts while the attack goes on
                self.prot[account] = max(self.prot.get(account, 0),
                                         t + c["account_protect_after"])
            elif len(set(first.values())) >= c["account_networks"] and \
                    not self.protected(account, t):
                self.prot[account] = t + c["account_protect_after"]
                q.clear()
        if self.known(account, a, t):
            return
        width = c["user_window"] // 8
        b = t // width
        s = self.acc.get(account)
        if s is None or b - s["bucket"] >= 8:
            s = self.acc[account] = {"bucket": b, "counts": [0] * 8}
        else:
            for x in range(s["bucket"] + 1, b + 1):
                s["counts"][x % 8] = 0
            s["bucket"] = max(s["bucket"], b)
        s["counts"][s["bucket"] % 8] += 1
        if sum(s["counts"]) < c["user_failures"] or \
                self.protected(account, t):
            return
        self.prot[account] = t + c["protect_time"]
        s["counts"] = [0] * 8

    def source(self, net):
        s = self.src.get(net)
        if s is None:
            s = self.src[net] = {"ring": collections.deque(),
                                 "long": collections.deque(),
                                 "users": {}, "accounts": {}}
        return s

    def short_rule(self, net, s, t, user, tag, targeted, threshold):
        """Today's ring: returns the rule that bans net, or None; None
        and repeated=True when the attempt repeats a password."""
        c = self.c
        ring = s["ring"]
        if tag:
            for e in reversed(ring):
                if t - e[0] >= c["ip_window"]:
                    break
                if e[1] == user and e[2] == tag:
                    return None, True
        ring.append((t, user, tag, targeted))
        while len(ring) > max(c["ip_failures"], c["targeted_failures"]):
            ring.popleft()
        count = tcount = 0
        for e in reversed(ring):
            if t - e[0] >= c["ip_window"]:
                break
            count += 1
            tcount += e[3]
        if targeted and tcount >= c["targeted_failures"]:
            return "targeted_failures", False
        if count >= threshold:
            return "ip_failures", False
        return None, False

    def long_rules(self, net, s, t, user, tag, factor):
        """The proposed long window and spread: the rule that bans net."""
        c = self.c
        if "long" in self.r:
            q = s["long"]
            while q and t - q[0][0] >= c["long_window"]:
                q.popleft()
            if not (tag and any(e[1] == user and e[2] == tag for e in q)):
                q.append((t, user, tag))
                if len(q) >= c["long_failures"] * factor:
                    return "ip_long", c["long_ban_time"]
        if "spread" in self.r:
            u = s["users"]
            u[user] = (t, tag)
            for k in [k for k, v in u.items()
                      if t - v[0] >= c["spread_window"]]:
                del u[k]
            tags = len(set(v[1] for v in u.values()))
            n = people(u)
            if n >= c["spread_users"] * factor or \
                    min(n, tags) >= c["spread_pw_users"] * factor:
                return "user_spread", c["spread_ban_time"]
        return None, None

    def observe_failure(self, t, a, user, outcome, tag):
        c = self.c
        account = user
        if a[3]:
            if outcome == "mismatch" and account:
                self.account_failure(t, a, account, tag)
            return
        net = self.source_net(a)
        s = self.source(net)
        s["accounts"][user] = t
        local = user.split("@")[0].lower()
        targeted = local in TARGETED
        if targeted and outcome == "unknown_user":
            self.ban(net, "targeted_unknown", c["targeted_ban_time"], t)
            s["ring"].clear()
            return
        if "alert" in self.r and outcome == "unknown_user" and \
                self.recent_success(self.device_net(a), t) == 0:
            q = self.alert
            q.append(t)
            while q and t - q[0] >= c["alert_window"]:
                q.popleft()
            if len(q) >= c["alert_unknown"]:
                s["suspect"] = t
        if "ownnet" in self.r and outcome == "mismatch" and \
                self.known(user, a, t):
            # the account's own network: a typo or an old password, never
            # counted against the source (the account's protection does
            # not count it either)
            return
        threshold = c["ip_failures"]
        if "probation" in self.r:
            h = self.hist.get(net)
            if h and h["bans"] and t - h["last_ban"] < c["history_time"]:
                threshold = c["probation_failures"]
        rule, repeated = self.short_rule(net, s, t, user, tag, targeted,
                                         threshold)
        if repeated:
            return
        if outcome == "mismatch" and account:
            self.account_failure(t, a, account, tag)
        if rule is None and "suspect" in s and \
                t - s["suspect"] < c["alert_window"]:
            names = [e[1] for e in s["ring"] if t - e[0] < c["ip_window"]]
            if people(names) >= c["alert_failures"]:
                rule = "unknown_alert"
        if rule is not None:
            base = c["ban_time"]
        else:
            rule, base = None, None
            # the account's own device (a typo) is not hostile
            if not self.busy(mask(a, 32) if a[0] == 4 else net, t) and \
                    not self.known(user, a, t):
                rule, base = self.long_rules(net, s, t, user, tag, 1)
        if rule is not None:
            self.ban(net, rule, base, t)
            s["ring"].clear()
            if rule in ("ip_long", "user_spread"):
                # a short ban keeps the long memory: the long rule still
                # sees the source's whole day
                s["long"].clear()
                s["users"].clear()
        self.wide_rules(t, a, user, tag, targeted)

    def wide_rules(self, t, a, user, tag, targeted):
        """Proposed: prefixes wider than a source counted as sources."""
        c = self.c
        wide = []
        if a[0] == 6 and "v6agg" in self.r:
            wide = [(mask(a, 56), c["v6_56_failures"],
                     c["v6_agg_factor"]),
                    (mask(a, 48), c["v6_48_failures"],
                     c["v6_agg_factor"] ** 2)]
        elif a[0] == 4 and "v4agg" in self.r:
            wide = [(mask(a, 24), None, c["v4_agg_factor"])]
        for net, threshold, factor in wide:
            if self.active(net, t):
                continue
            s = self.source(net)
            rule = base = None
            if threshold is not None:
                rule, _ = self.short_rule(net, s, t, user, tag, False,
                                          threshold)
                base = c["ban_time"]
            if rule is None:
                rule, base = self.long_rules(net, s, t, user, tag, factor)
            if rule is not None and self.guard(net, t):
                self.ban(net, rule + "/%d" % net[2], base, t)
                s["ring"].clear()
                s["long"].clear()
                s["users"].clear()

    def attempt(self, t, ip, user, result, pw):
        a = parse(ip)
        account = user or None
        verdict = self.check(t, a, account)
        if verdict is None:
            if result == "ok":
                if account:
                    self.observe_success(t, a, account, pw)
            else:
                self.observe_failure(t, a, user, result, pw)
        elif verdict == "protected account":
            self.observe_failure(t, a, user, "protected", pw)
        elif verdict in ("unknown name", "no live account (alert)",
                         "no such account"):
            # what the passdb said a moment ago: counted as it was
            self.observe_failure(t, a, user, "unknown_user", pw)
        if result == "unknown_user" and account and verdict is None:
            self.unknown_names[account.lower()] = t
        self.i += 1
        return verdict


def similar(a, b):
    """Could b be a typo of a (or a without its domain)? Damerau-
    Levenshtein distance of the local parts at most 1."""
    a, b = a.lower().split("@")[0], b.lower().split("@")[0]
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return a[i + 1:] == b[i + 1:] or a[i + 1:] == b[i:] or \
        a[i:] == b[i + 1:] or \
        (a[i:i + 2] == b[i:i + 2][::-1] and a[i + 2:] == b[i + 2:])


def people(names):
    """Distinct usernames, near ones (typos) counted once."""
    firsts = []
    for n in names:
        if not any(similar(f, n) for f in firsts):
            firsts.append(n)
    return len(firsts)


def run(trace, cfg, rules):
    m = Model(cfg, rules)
    if "accounts" in rules:
        # the userdb's list: every name that ever logged in or was told a
        # wrong password
        with open(trace) as f:
            for line in f:
                o = json.loads(line)
                if o["result"] != "unknown_user":
                    m.accounts.add(o["user"].lower())
    allow, causes = [], {}
    with open(trace) as f:
        for i, line in enumerate(f):
            o = json.loads(line)
            v = m.attempt(int(o["t"]), o["ip"], o["user"], o["result"],
                          o.get("pw"))
            allow.append(v is None)
            if v is not None:
                causes[i] = v
    return allow, causes


def usage(msg):
    sys.stderr.write("detection-model: %s\n%s" % (msg, __doc__))
    sys.exit(64)


def parse_args(argv):
    opts = {"seeds": [[1, 2, 3]], "gen": []}
    sides = [{"label": None, "rules": [], "set": {}}]
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--vs":
            sides.append({"label": None, "rules": [], "set": {}})
            i += 1
            continue
        if arg in ("-h", "--help"):
            sys.stdout.write(__doc__)
            sys.exit(0)
        if i + 1 >= len(argv):
            usage("%s needs a value" % arg)
        val = argv[i + 1]
        if arg == "-n":
            opts["seeds"] = detection.parse_seeds(val)
        elif arg == "-g":
            opts["gen"] = val.split()
        elif arg == "-l":
            sides[-1]["label"] = val
        elif arg == "--rules":
            rules = []
            for r in val.split(","):
                for x in (ALL if r == "all" else [] if r == "none"
                          else [r]):
                    if x not in RULES:
                        usage("unknown rule '%s'" % x)
                    if x not in rules:
                        rules.append(x)
            sides[-1]["rules"] = rules
        elif arg == "--set":
            k, _, v = val.partition("=")
            if k not in DEFAULTS:
                usage("unknown parameter '%s'" % k)
            sides[-1]["set"][k] = int(v)
        else:
            usage("unknown argument '%s'" % arg)
        i += 2
    for n, side in enumerate(sides):
        if side["label"] is None:
            side["label"] = "model " + (",".join(side["rules"]) or "none")
            if side["set"]:
                side["label"] += " " + " ".join(
                    "%s=%d" % kv for kv in side["set"].items())
        side["build"] = "model"
        side["settings"] = ["rules=" + (",".join(side["rules"]) or
                                        "none")] + \
            ["%s=%d" % kv for kv in side["set"].items()]
    return opts, sides


def main(argv):
    opts, sides = parse_args(argv)
    build = os.environ.get("LOCKOUT_BUILD_DIR",
                           os.path.join(detection.TOP, "build"))
    cache = os.path.join(build, "bench-cache")
    os.makedirs(cache, exist_ok=True)
    seeds = [s for g in opts["seeds"] for s in g]
    t0 = time.monotonic()
    traces = {}
    for seed in seeds:
        traces[seed] = detection.trace_path(cache, seed, opts["gen"])
        detection.make_trace(traces[seed], seed, opts["gen"])
    results = {}
    for side in sides:
        cfg = dict(DEFAULTS)
        cfg.update(side["set"])
        results[side["label"]] = {}
        for seed in seeds:
            allow, causes = run(traces[seed], cfg, side["rules"])
            results[side["label"]][seed] = detection.score_lists(
                traces[seed], allow, lambda i, *_: causes.get(i, "?"))
    print("detection model (an estimate): seeds %s, generator %s\n" %
          (" / ".join(detection.seed_text(g) for g in opts["seeds"]),
           " ".join(opts["gen"]) or "defaults"))
    for side in sides:
        detection.print_side(side, results[side["label"]], opts["seeds"])
    if len(sides) == 2:
        detection.print_comparison(sides, results, opts["seeds"])
    print("time: %.1f s" % (time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
