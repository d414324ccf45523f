#!/usr/bin/python3
# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""Detection benchmark: replay labelled three-day traces through the real
`doveadm lockout simulate` and print, per kind of attack, the attempts that
reached a password check, and the legitimate logins refused. Prints
figures, asserts nothing. Run it through bench/detection.sh (as root).

    detection.py [-n SEEDS] [-g GEN-ARGS] [-k DIR] SIDE [--vs SIDE]
    SIDE:  [-l LABEL] [-b BUILD-DIR] [-s key=value]...
    detection.py --score TRACE VERDICTS DECISIONS

SEEDS: "1-3", "1,2,5", or groups "1-3/4-6" (each group gets a sum column:
tune on one, report on the other). GEN-ARGS are passed to
bench/detection-gen.py (e.g. -g "--dist-addresses 3000"). Each side is a
build of the doveadm module and settings given with -s (over the defaults;
the `lockout_` prefix may be left out). --vs starts the second side of a
comparison: both are replayed on the same traces in one run.

-k DIR keeps the replays' outputs there (LABEL-seedN.verdicts and
.decisions beside a copy of the trace, seedN.jsonl), for a closer look.

--score scores one replay done by hand (the -o verdicts and -o decisions
outputs of the same trace).
"""

import hashlib
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN = os.path.join(TOP, "bench", "detection-gen.py")
MODULE = "src/doveadm/.libs/lib20_doveadm_lockout_plugin.so"
STOCK_MODULES = "/usr/lib/dovecot/modules"

KINDS = [
    ("slow", "slow guessers (one address, 10-30 min)"),
    ("distributed", "one account from ~1,600 addresses"),
    ("stuffing", "credential stuffing, rotating addresses"),
    ("v6_56", "IPv6: a new /64 every few tries (/56, /48)"),
    ("fast", "fast single-address guessers"),
    ("sprayer", "role-name sprayers (admin@, info@ ...)"),
    ("v6_64", "IPv6: rotation inside one /64"),
]


def usage(msg):
    sys.stderr.write("detection: %s\n%s" % (msg, __doc__))
    sys.exit(64)


def parse_seeds(text):
    groups = []
    for part in text.split("/"):
        seeds = []
        for item in part.split(","):
            if "-" in item:
                lo, hi = item.split("-", 1)
                seeds.extend(range(int(lo), int(hi) + 1))
            elif item.strip():
                seeds.append(int(item))
        if seeds:
            groups.append(seeds)
    if not groups:
        usage("no seeds in '%s'" % text)
    return groups


def parse_args(argv):
    opts = {"seeds": [[1, 2, 3]], "gen": [], "keep": None}
    sides = [{"label": None, "build": None, "settings": []}]
    i = 0
    while i < len(argv):
        arg = argv[i]
        val = argv[i + 1] if i + 1 < len(argv) else None
        if arg == "--vs":
            if len(sides) == 2:
                usage("at most two sides")
            sides.append({"label": None, "build": None, "settings": []})
            i += 1
            continue
        if arg in ("-h", "--help"):
            sys.stdout.write(__doc__)
            sys.exit(0)
        if val is None:
            usage("%s needs a value" % arg)
        if arg == "-n":
            opts["seeds"] = parse_seeds(val)
        elif arg == "-g":
            opts["gen"] = val.split()
        elif arg == "-k":
            opts["keep"] = os.path.abspath(val)
        elif arg == "-l":
            sides[-1]["label"] = val
        elif arg == "-b":
            sides[-1]["build"] = os.path.abspath(val)
        elif arg == "-s":
            if "=" not in val:
                usage("-s wants key=value, not '%s'" % val)
            sides[-1]["settings"].append(val)
        else:
            usage("unknown argument '%s'" % arg)
        i += 2
    default_build = os.environ.get("LOCKOUT_BUILD_DIR",
                                   os.path.join(TOP, "build"))
    for n, side in enumerate(sides):
        side["build"] = side["build"] or default_build
        if side["label"] is None:
            side["label"] = "AB"[n]
        mod = os.path.join(side["build"], MODULE)
        if not os.path.isfile(mod):
            usage("no module %s: build first (scripts/build.sh)" % mod)
        side["module"] = mod
    if len(sides) == 2 and sides[0]["label"] == sides[1]["label"]:
        usage("the two sides need different labels")
    return opts, sides


# --- traces -----------------------------------------------------------------

def trace_path(cache, seed, gen_args):
    with open(GEN, "rb") as f:
        key = hashlib.sha1(f.read() + " ".join(gen_args).encode())
    return os.path.join(cache, "detection-%d-%s.jsonl" %
                        (seed, key.hexdigest()[:10]))


def make_trace(path, seed, gen_args):
    if os.path.exists(path):
        return 0.0
    t0 = time.monotonic()
    subprocess.run([sys.executable, GEN, "--seed", str(seed),
                    "--trace", path + ".tmp"] + gen_args, check=True)
    os.rename(path + ".tmp", path)
    return time.monotonic() - t0


# --- replay -----------------------------------------------------------------

def prepare_side(tmp, n, side):
    """A copy of the stock modules with this side's module, and a private
    configuration (default settings: lockout_allow_networks is not set)."""
    d = os.path.join(tmp, "side%d" % n)
    os.makedirs(d)
    mods = os.path.join(d, "modules")
    shutil.copytree(STOCK_MODULES, mods, symlinks=True)
    for root, _, files in os.walk(mods):
        for f in files:
            if "lockout" in f:
                os.unlink(os.path.join(root, f))
    shutil.copy(side["module"], os.path.join(mods, "doveadm"))
    conf = os.path.join(d, "dovecot.conf")
    with open(conf, "w") as f:
        f.write("# private configuration of the detection benchmark\n"
                "ssl = no\nprotocols =\nbase_dir = %s/run\n"
                "plugin {\n  lockout_db = %s/lockout.db\n}\n" % (d, d))
    side["dir"], side["modules"], side["conf"] = d, mods, conf


REPLAY = r'''
mount --bind "$1" /usr/lib/dovecot/modules || exit 1
trace=$2 verdicts=$3 decisions=$4
shift 4
"$@" -o verdicts "$trace" >"$verdicts" || exit 1
exec "$@" -o decisions "$trace" >"$decisions"
'''


def replay(side, trace, out):
    """Replay trace in a private mount namespace; returns the files."""
    verdicts, decisions = out + ".verdicts", out + ".decisions"
    cmd = ["unshare", "-m", "--propagation", "private", "--", "sh", "-c",
           REPLAY, "sh", side["modules"], trace, verdicts, decisions,
           "doveadm", "-c", side["conf"], "lockout", "simulate",
           "-i", "trace"]
    for s in side["settings"]:
        cmd += ["-s", s]
    t0 = time.monotonic()
    subprocess.run(cmd, check=True)
    return verdicts, decisions, time.monotonic() - t0


# --- scoring ----------------------------------------------------------------

class Bans:
    """Bans and protections of a replay, to tell what refused an attempt."""

    def __init__(self, path):
        self.nets = {}      # (version, prefixlen) -> {network: [ban]}
        self.protect = {}   # account -> [(i, expires)]
        with open(path) as f:
            for line in f:
                d = json.loads(line)
                exp = d.get("expires")
                if d["type"] == "ban":
                    net = ipaddress.ip_network(d["target"], strict=False)
                    key = (net.version, net.prefixlen)
                    self.nets.setdefault(key, {}).setdefault(
                        net, []).append((d["i"], exp, d["rule"]))
                elif d["type"] == "protect":
                    self.protect.setdefault(d["target"].lower(), []).append(
                        (d["i"], exp))

    def cause(self, i, t, ip, user):
        addr = ipaddress.ip_address(ip)
        for (version, plen), nets in self.nets.items():
            if version != addr.version:
                continue
            net = ipaddress.ip_network("%s/%d" % (ip, plen), strict=False)
            for bi, exp, rule in nets.get(net, ()):
                if bi < i and (exp is None or t < exp):
                    kind = "/%d" % plen if plen not in (32, 128) else ""
                    return "ban %s%s" % (rule, kind)
        for pi, exp in self.protect.get(user.lower(), ()):
            if pi < i and (exp is None or t < exp):
                return "protected account"
        return "?"


def score(trace, verdicts, decisions):
    """Figures of one replay (its -o verdicts and -o decisions)."""
    with open(verdicts) as f:
        allow = [json.loads(line)["verdict"] == "allow" for line in f]
    return score_lists(trace, allow, Bans(decisions).cause)


def score_lists(trace, allow, cause):
    """Per attack kind the attempts and those that reached a password
    check; the legitimate logins refused. allow[i] tells whether attempt
    i was let through; cause(i, time, ip, user) what refused it."""
    r = {"attempts": {}, "reached": {}, "reached_real": 0, "attacker_ok": 0,
         "legit": 0, "legit_refused_ok": 0, "legit_refused_wrong": 0,
         "users_hit": {}, "refused": [], "lines": 0}
    with open(trace) as f:
        for i, line in enumerate(f):
            o = json.loads(line)
            r["lines"] += 1
            kind = o["kind"]
            if kind == "prelude":
                continue
            ok = allow[i]
            if kind == "legit":
                r["legit"] += 1
                if ok:
                    continue
                if not o["pw_ok"]:
                    r["legit_refused_wrong"] += 1
                    continue
                r["legit_refused_ok"] += 1
                r["users_hit"][o["actor"]] = True
                r["refused"].append((o["actor"] + (" (attacked)" if
                                                   o.get("owner") else ""),
                                     o["case"],
                                     cause(i, int(o["t"]), o["ip"],
                                           o["user"]), o["ip"]))
                continue
            r["attempts"][kind] = r["attempts"].get(kind, 0) + 1
            if ok:
                r["reached"][kind] = r["reached"].get(kind, 0) + 1
                if o["result"] != "unknown_user":
                    r["reached_real"] += 1
                if o["result"] == "ok":
                    r["attacker_ok"] += 1
    if r["lines"] != len(allow):
        raise SystemExit("detection: %s has %d lines, the replay gave %d "
                         "verdicts" % (trace, r["lines"], len(allow)))
    return r


# --- tables -----------------------------------------------------------------

def columns(groups):
    cols = []
    for g in groups:
        # seed 0: one replay scored by hand (--score)
        cols += [("seed %d" % s if s else "trace", [s]) for s in g]
        if len(g) > 1:
            cols.append(("sum %s" % seed_text(g), g))
    return cols


def seed_text(g):
    if g == list(range(g[0], g[-1] + 1)):
        return "%d-%d" % (g[0], g[-1])
    return ",".join(str(s) for s in g)


def total(results, seeds, fn):
    return sum(fn(results[s]) for s in seeds)


def rows(results):
    out = []
    for kind, title in KINDS:
        out.append((title, lambda r, k=kind: r["reached"].get(k, 0),
                    lambda r, k=kind: r["attempts"].get(k, 0)))
    out.append(("all attacks", lambda r: sum(r["reached"].values()),
                lambda r: sum(r["attempts"].values())))
    out.append(("  of them on existing accounts", lambda r:
                r["reached_real"], None))
    return out


def attack_attempts(r):
    return sum(r["attempts"].values())


def legit_rows():
    return [
        ("right-password logins refused", lambda r: r["legit_refused_ok"]),
        ("real users hit", lambda r: len(r["users_hit"])),
        ("wrong-password legit. attempts refused",
         lambda r: r["legit_refused_wrong"]),
        ("attacker logins with a right password",
         lambda r: r["attacker_ok"]),
    ]


def print_side(side, results, groups):
    cols = columns(groups)
    settings = " ".join("-s " + s for s in side["settings"]) or "defaults"
    print("== %s: %s, %s" % (side["label"], side["build"], settings))
    w = 50
    print("%-*s" % (w, "attempts reaching a password check") +
          "".join("%10s" % c for c, _ in cols))
    for title, fn, att in rows(results):
        print("%-*s" % (w, "  " + title) +
              "".join("%10d" % total(results, s, fn) for _, s in cols))
    print("%-*s" % (w, "  (attack attempts in the traces)") +
          "".join("%10d" % total(results, s, attack_attempts)
                  for _, s in cols))
    print("%-*s" % (w, "legitimate") +
          "".join("%10s" % c for c, _ in cols))
    for title, fn in legit_rows():
        print("%-*s" % (w, "  " + title) +
              "".join("%10d" % total(results, s, fn) for _, s in cols))
    print("%-*s" % (w, "  (legitimate attempts in the traces)") +
          "".join("%10d" % total(results, s, lambda r: r["legit"])
                  for _, s in cols))
    for g in groups:
        for seed in g:
            refused = results[seed]["refused"]
            if not refused:
                continue
            print("  %s, refused right-password logins:" %
                  ("seed %d" % seed if seed else "the trace"))
            byuser = {}
            for actor, case, cause, ip in refused:
                byuser.setdefault(actor, []).append((case, cause, ip))
            for actor, items in byuser.items():
                counts = {}
                for case, cause, ip in items:
                    key = "%s, %s" % (case, cause)
                    counts[key] = counts.get(key, 0) + 1
                print("    %-39s %3d: %s" % (
                    actor, len(items), "; ".join(
                        "%s x%d" % (k, v) for k, v in counts.items())))
    print()


def print_comparison(sides, results, groups):
    a, b = sides
    cols = [(seed_text(g), g) for g in groups]
    print("== %s -> %s (sums)" % (a["label"], b["label"]))
    w = 50
    print("%-*s" % (w, "attempts reaching a password check") +
          "".join("%24s" % ("seeds " + c) for c, _ in cols))
    ra, rb = results[a["label"]], results[b["label"]]
    lines = [(t, f) for t, f, _ in rows(ra)] + \
        [(t, f) for t, f in legit_rows()]
    for n, (title, fn) in enumerate(lines):
        if n == len(KINDS) + 2:
            print("legitimate")
        cells = ""
        for _, s in cols:
            va, vb = total(ra, s, fn), total(rb, s, fn)
            cells += "%24s" % ("%d -> %d (%+d)" % (va, vb, vb - va))
        print("%-*s" % (w, "  " + title) + cells)
    print()


def keep(where, label, seed, trace, verdicts, decisions):
    os.makedirs(where, exist_ok=True)
    base = os.path.join(where, "%s-seed%d" % (label, seed))
    shutil.copy(verdicts, base + ".verdicts")
    shutil.copy(decisions, base + ".decisions")
    shutil.copy(trace, os.path.join(where, "seed%d.jsonl" % seed))


def main(argv):
    if argv[:1] == ["--score"]:
        if len(argv) != 4:
            usage("--score TRACE VERDICTS DECISIONS")
        r = score(*argv[1:])
        side = {"label": "score", "build": argv[2], "settings": []}
        print_side(side, {0: r}, [[0]])
        return 0
    opts, sides = parse_args(argv)
    build = os.environ.get("LOCKOUT_BUILD_DIR", os.path.join(TOP, "build"))
    cache = os.path.join(build, "bench-cache")
    os.makedirs(cache, exist_ok=True)
    seeds = [s for g in opts["seeds"] for s in g]
    t_start = time.monotonic()
    gen_time, replay_time = 0.0, 0.0
    traces = {}
    for seed in seeds:
        traces[seed] = trace_path(cache, seed, opts["gen"])
        gen_time += make_trace(traces[seed], seed, opts["gen"])
    results = {}
    tmp = tempfile.mkdtemp(prefix="lockout-detection.")
    try:
        for n, side in enumerate(sides):
            prepare_side(tmp, n, side)
            results[side["label"]] = {}
            for seed in seeds:
                try:
                    v, d, secs = replay(side, traces[seed], os.path.join(
                        side["dir"], "seed%d" % seed))
                except subprocess.CalledProcessError as e:
                    sys.stderr.write("detection: doveadm lockout simulate "
                                     "failed (exit %d) on seed %d, side "
                                     "%s\n" % (e.returncode, seed,
                                                side["label"]))
                    return 1
                replay_time += secs
                results[side["label"]][seed] = score(traces[seed], v, d)
                if opts["keep"]:
                    keep(opts["keep"], side["label"], seed, traces[seed],
                         v, d)
    finally:
        shutil.rmtree(tmp)
    gen_args = " ".join(opts["gen"]) or "defaults"
    print("detection benchmark: seeds %s, generator %s" %
          (" / ".join(seed_text(g) for g in opts["seeds"]), gen_args))
    print()
    for side in sides:
        print_side(side, results[side["label"]], opts["seeds"])
    if len(sides) == 2:
        print_comparison(sides, results, opts["seeds"])
    print("time: %.1f s (generating %.1f s, replaying %.1f s)" %
          (time.monotonic() - t_start, gen_time, replay_time))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
