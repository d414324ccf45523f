#!/usr/bin/python3
# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""Generate a week of authentication traffic for the simulate benchmark:
a trace (JSON Lines, the format of doveadm lockout simulate) and the same
attempts as a Dovecot 2.3 log (auth_verbose = yes, log_path format).

Deterministic for a seed. Addresses come from ranges that are nobody's:
198.18.0.0/15 (benchmarks) for users, 100.64.0.0/10 and 2001:db8::/32
for attackers.

    simulate-gen.py [--attempts N] [--seed S] --trace OUT.jsonl [--log OUT.log]

The mix, by share of attempts: ~13% users (successes, typos, a few phones
with an old password, a NAT'd office, phones behind a carrier NAT shared
with bots, owners travelling while their account is attacked), ~87%
attacks (brute force from many IPv4 addresses, some crowded in one /24;
targeted names; a distributed attack on three accounts for half a day;
IPv6 sources spread over /64s).
"""

import argparse
import json
import random
import sys
import time

START = 1798761600          # 2027-01-01 00:00:00 UTC
SPAN = 7 * 86400
ATTACK_START = START + 3 * 86400
# a carrier's /24 that brute-force bots share with customers' phones
CARRIER = "100.83.136."
TARGETED = ["admin", "administrator", "contact", "test", "user", "123",
            "help", "info", "root", "no-reply", "webmaster", "postmaster",
            "support", "office", "mail", "sales"]
DICTIONARY = ["michael", "jennifer", "david", "sarah", "james", "anna",
              "thomas", "maria", "daniel", "laura", "robert", "julia",
              "backup", "oracle", "guest", "marketing", "billing", "hr",
              "newsletter", "shop"]
PASSWORDS = ["123456", "password", "qwerty", "letmein", "111111",
             "12345678", "abc123", "iloveyou", "admin", "welcome",
             "monkey", "dragon", "sunshine", "princess", "football"]


def user_ip(rng, n):
    return "198.%d.%d.%d" % (18 + (n >> 16) % 2, (n >> 8) & 255,
                             1 + n % 254)


def attacker_ip(n):
    n %= 1 << 22
    return "100.%d.%d.%d" % (64 + (n >> 16), (n >> 8) & 255, 1 + n % 254)


def generate(attempts, seed):
    rng = random.Random(seed)
    events = []
    users = ["u%04d@example.org" % i for i in range(2000)]
    # real accounts with targeted names: failures there are mismatches
    users += ["info@example.org", "office@example.org"]
    devices = {u: [user_ip(rng, rng.randrange(1 << 17))
                   for _ in range(rng.randint(1, 3))] for u in users}
    services = ["imap", "imap", "imap", "pop3", "submission", "smtp"]

    def add(t, ip, user, result, pw=None, service=None):
        events.append((t, ip, user, service or rng.choice(services),
                       result, pw))

    legit = attempts * 13 // 100
    # users: successes, now and then a typo first
    for _ in range(legit * 9 // 10):
        u = rng.choice(users)
        t = START + rng.random() * SPAN
        ip = rng.choice(devices[u])
        if rng.random() < 0.02:
            add(t - 5, ip, u, "mismatch", "typo-%d" % rng.randrange(99))
        add(t, ip, u, "ok", "secret-" + u)
    # phones with an old password: every few minutes for hours
    for p in range(30):
        u = users[p]
        ip = devices[u][0]
        t = START + rng.random() * (SPAN - 86400)
        for _ in range(legit // 10 // 30):
            add(t, ip, u, "mismatch", "old-" + u, "imap")
            t += rng.uniform(240, 600)
    # a NAT'd office: many users behind one address
    office = "198.19.200.1"
    for i in range(200):
        add(START + rng.random() * SPAN, office, users[i % 40], "ok",
            "secret-" + users[i % 40])
    # phones behind a carrier's NAT, in a /24 full of attackers
    for i in range(5):
        u = users[50 + i]
        for _ in range(40):
            add(START + rng.random() * SPAN, CARRIER + str(200 + i), u,
                "ok", "secret-" + u)
    # the owners of attacked accounts travelling during the attack
    for i, u in enumerate(users[100:103]):
        for j in range(3):
            add(ATTACK_START + 3600 * (2 + 3 * j + i), "198.18.250.%d"
                % (10 * i + j + 1), u, "ok", "secret-" + u)

    n = 0
    while len(events) < attempts:
        kind = rng.random()
        t = START + rng.random() * SPAN
        if kind < 0.70:
            # brute force: a burst from one address (some /24s crowded)
            src = attacker_ip(rng.randrange(100000) if rng.random() < 0.9
                              else 5000 * 256 + rng.randrange(64))
            for _ in range(rng.randint(5, 15)):
                r = rng.random()
                if r < 0.3:
                    u, res = rng.choice(users), "mismatch"
                elif r < 0.8:
                    u, res = rng.choice(DICTIONARY) + "@example.org", \
                        "unknown_user"
                else:
                    u = rng.choice(TARGETED) + "@example.org"
                    res = "mismatch" if u in devices else "unknown_user"
                add(t, src, u, res, rng.choice(PASSWORDS))
                t += rng.uniform(1, 20)
        elif kind < 0.85:
            # a distributed attack on three accounts, for half a day
            u = users[100 + rng.randrange(3)]
            add(ATTACK_START + rng.random() * 12 * 3600,
                attacker_ip(200000 + rng.randrange(20000)), u,
                "mismatch", rng.choice(PASSWORDS))
        else:
            # IPv6: a few tries from many hosts of a /64
            net = rng.randrange(2000)
            for _ in range(rng.randint(1, 4)):
                add(t, "2001:db8:%x:%x::%x" % (net >> 8, net & 255,
                                              rng.randrange(1 << 16)),
                    rng.choice(DICTIONARY) + "@example.org",
                    "unknown_user", rng.choice(PASSWORDS))
                t += rng.uniform(1, 60)
        n += 1
    del events[attempts:]
    events.sort(key=lambda e: e[0])
    return events


def write_trace(events, path):
    with open(path, "w") as f:
        for t, ip, user, service, result, pw in events:
            o = {"t": round(t, 3), "ip": ip, "user": user,
                 "service": service, "result": result}
            if pw is not None:
                o["pw"] = pw
            f.write(json.dumps(o, separators=(",", ":")) + "\n")


def write_log(events, path):
    """auth_verbose = yes, log_path, local time = UTC (run with TZ=UTC)."""
    login = {"imap": "imap", "pop3": "pop3", "submission": "submission"}
    with open(path, "w") as f:
        for n, (t, ip, user, service, result, pw) in enumerate(events):
            stamp = time.strftime("%b %d %H:%M:%S", time.gmtime(t))
            proto = login.get(service)
            session = ("<%011x>" % n) if proto else None
            if result != "ok":
                what = "Password mismatch" if result == "mismatch" else \
                    "unknown user"
                ident = "%s,%s" % (user, ip) + \
                    (",%s" % session if session else "")
                f.write("%s auth: Info: passwd-file(%s): %s\n"
                        % (stamp, ident, what))
                if proto:
                    f.write("%s %s-login: Info: Disconnected: Aborted "
                            "login by logging out (auth failed, 1 attempts "
                            "in 0 secs): user=<%s>, method=PLAIN, rip=%s, "
                            "lip=192.0.2.254, TLS, session=%s\n"
                            % (stamp, proto, user, ip, session))
            elif proto:
                f.write("%s %s-login: Info: Login: user=<%s>, method=PLAIN, "
                        "rip=%s, lip=192.0.2.254, mpid=%d, TLS, "
                        "session=%s\n" % (stamp, proto, user, ip,
                                          1000 + n % 30000, session))
            # a success over SMTP AUTH leaves no line (as with Dovecot)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--attempts", type=int, default=1000000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--trace", required=True)
    ap.add_argument("--log")
    args = ap.parse_args()
    events = generate(args.attempts, args.seed)
    write_trace(events, args.trace)
    if args.log:
        write_log(events, args.log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
