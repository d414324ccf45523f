#!/usr/bin/python3
# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""Generate three days of a small mail server's authentication traffic,
labelled, for the detection benchmark (bench/detection.sh).

    detection-gen.py [--seed S] [options] --trace OUT.jsonl

The trace is in the format of `doveadm lockout simulate -i trace`
(docs/simulate.md). Each line also carries labels, fields the trace reader
ignores:

    kind    "legit", "prelude" or the attack: "slow", "distributed",
            "stuffing", "v6_56", "v6_64", "fast", "sprayer"
    actor   the real user (legit, prelude) or the attacker ("slow-2", ...)
    case    what the attempt is. Legitimate: DEVICE/PLACE ("phone/home",
            "desktop/office", "phone/mobile", "laptop/travel",
            "phone/new_network", "phone/owner_office", "phone/owner_new"),
            "webmail", "fetcher", "typo/...", "typo_user/..." (the
            username mistyped), "stale/DEVICE" (an old password),
            "stale/scanner", "stale/fetcher", "stale/rotation";
            attacks: the variant ("one account", "hosting proxies", ...)
    pw_ok   whether the password was right (true exactly for successes)
    owner   true on legitimate attempts of an account that an attack aims
            at (the distributed target, single-account guessers)

The "prelude" comes first: a day (--prelude-days) of the same legitimate
traffic without attacks, and one success per user from each network a
month of use would have made known for the account (home, office, a share
of the phone carrier's CGNAT /24s or IPv6 /48s, the cloud fetcher). It
gives the replay, which starts empty, the known devices of a server that
has been running; the bench does not score it.

Legitimate users (300): working hours in an office behind one NAT (60) or
a branch (15) or at home; phones polling every 30 minutes to 4 hours day
and night (slower at night) from home Wi-Fi, the office or mobile data
(CGNAT IPv4 or a new IPv6 /64 every attachment); desktop clients
reconnecting through the day; laptops some evenings; a webmail on
127.0.0.1 that logs in again for every request; SMTP AUTH when sending;
homes with IPv6 or a new address every day; typos (password or username)
before interactive logins; phones and laptops with an old password for
hours to two days; an office scanner sending with an old password; a
cloud service fetching mail over POP3 (one with an old password);
travellers in hotels and roaming; visits to new networks; new devices;
accounts back after months (5 more, unknown everywhere); and the owners
of attacked accounts visiting the main office or a new network during
the attack.

Attacks (about 32,000 attempts): slow guessers (one address, a try every
10-30 minutes, three on one account each, two on a username list); one
account from 1,600 addresses, a few tries each, for a day and a half;
credential stuffing (leaked pairs: half of the users and many addresses
that are no account, one or two tries each, one campaign through
residential proxies, one through a hosting provider's, a leaked password
still right now and then); IPv6 attackers moving to a new /64 every few
tries (one inside a /56 of the home ISP where a user lives, one across
the /56s of a hosting /48); one rotating inside a /64; fast guessers (two
on one account, two on a list); role-name sprayers. Everything is
tunable (--help).

Deterministic for a seed and the same options (no set or hash order is
used). Addresses are from ranges that are nobody's, carved so that kinds
of networks differ as they do on the Internet:

    100.64.0.0/12      users' home ISPs: 8 ISPs of two /16s; a home gets
                       its addresses in its region (a /16) or elsewhere
                       in its ISP (and a few bots live there too)
    100.80.0.0/12      residential addresses elsewhere: botnets, proxies
    100.96.0.0/12      hosting providers: guessers, sprayers, proxies
    100.112.0.0/12     other networks: hotels, cafes, clients' sites
    198.18.0.0/16      mobile carriers' CGNAT pools (4 carriers x 48 /24s;
                       198.18.224-255 foreign carriers, roaming)
    198.19.240-243     a cloud mail fetcher
    203.0.113.10       the main office's NAT; 203.0.113.77 a branch
    127.0.0.1          the webmail (an allowed network by default)
    2001:db8:1000::/36 home ISPs' IPv6 (8 ISPs, a /56 per home, in its
                       region (a /48) or elsewhere in its ISP)
    2001:db8:2000::/36 mobile carriers' IPv6 (a /44 each, a new /64 per
                       attachment)
    2001:db8:f000::/36 hosting IPv6 (attackers' /48s)

Local time of the users is UTC+1 (--tz); working days Monday to Friday.
"""

import argparse
import bisect
import datetime
import json
import math
import random
import sys

DAY = 86400
HOUR = 3600
MIN = 60
DOMAIN = "example.org"
WEBMAIL = "127.0.0.1"
OFFICE = {"main": "203.0.113.10", "branch": "203.0.113.77"}

FIRST = ["anna", "ben", "carla", "david", "eva", "felix", "greta", "hans",
         "ines", "jan", "karin", "lukas", "maria", "nils", "olga", "paul",
         "quirin", "rosa", "stefan", "tina", "uwe", "vera", "walter",
         "xenia", "yusuf", "zoe", "alex", "birgit", "chris", "doris", "emil",
         "frank", "gabi", "heike", "ivan", "julia", "klaus", "lena", "marc",
         "nina", "otto", "petra", "ralf", "sabine", "tom", "ute", "viktor",
         "wiebke", "yvonne", "ahmet", "bernd", "claudia", "dirk", "elke",
         "fatma", "georg", "helga", "ingo", "jonas", "kerstin", "leon",
         "monika", "norbert", "oliver", "pia", "robert", "sven", "thea"]
LAST = ["mueller", "schmidt", "schneider", "fischer", "weber", "meyer",
        "wagner", "becker", "schulz", "hoffmann", "koch", "richter", "klein",
        "wolf", "neumann", "schwarz", "braun", "zimmermann", "krueger",
        "hofmann", "hartmann", "lange", "werner", "krause", "lehmann",
        "koehler", "maier", "koenig", "walter", "peters", "kaiser", "fuchs",
        "herrmann", "lang", "vogel", "friedrich", "keller", "guenther",
        "frank", "berger", "winkler", "roth", "beck", "lorenz", "baumann",
        "franke", "albrecht", "schuster", "simon", "ludwig", "boehm",
        "winter", "kraus", "martin", "schumacher", "kraemer", "vogt",
        "stein", "jaeger", "otto", "sommer", "gross", "seidel", "heinrich"]
# role mailboxes that are real accounts here, read by office staff
ROLE_ACCOUNTS = ["info", "sales", "office"]
# names sprayers aim at (a subset of lockout_targeted_users and more)
SPRAY_NAMES = ["admin", "administrator", "info", "support", "sales",
               "contact", "office", "webmaster", "postmaster", "test",
               "mail", "help", "root", "no-reply", "noreply", "abuse",
               "user", "marketing", "billing", "hr", "service"]
# dictionary names: no accounts here, not targeted names
DICT_NAMES = ["michael", "jennifer", "david", "sarah", "james", "backup",
              "oracle", "guest", "newsletter", "shop", "jobs", "career",
              "finance", "accounting", "team", "hello", "kontakt",
              "buchhaltung", "verwaltung", "empfang", "server", "demo",
              "scanner", "printer", "web", "ftp", "dev", "hostmaster"]


def parse_args(argv):
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    a = ap.add_argument
    a("--seed", type=int, default=1)
    a("--trace", required=True, help="output file ('-' for stdout)")
    a("--start", default="2027-03-04",
      help="first local day (YYYY-MM-DD; 2027-03-04 is a Thursday)")
    a("--days", type=float, default=3.0)
    a("--tz", type=float, default=1.0, help="users' UTC offset, hours")
    a("--prelude-days", type=float, default=1.0,
      help="day(s) of known-device history before the start (0: none)")
    g = ap.add_argument_group("legitimate users")
    g.add_argument("--users", type=int, default=300)
    g.add_argument("--office-users", type=int, default=60,
                   help="users behind the main office's NAT")
    g.add_argument("--branch-users", type=int, default=15)
    g.add_argument("--ipv6-home", type=float, default=0.3,
                   help="share of homes with IPv6")
    g.add_argument("--dynamic-home", type=float, default=0.2,
                   help="share of homes that get a new address every day")
    g.add_argument("--phones", type=float, default=0.85,
                   help="share of users with a phone polling their mail")
    g.add_argument("--phone-interval", default="30,60,120,120,240,240",
                   help="phone poll intervals in minutes, one drawn per "
                   "phone")
    g.add_argument("--desktop-interval", type=float, default=60,
                   help="mean minutes between a desktop client's logins")
    g.add_argument("--webmail", type=float, default=0.3,
                   help="share of users who use the webmail")
    g.add_argument("--typo-rate", type=float, default=0.04,
                   help="wrong password typed before an interactive login")
    g.add_argument("--stale", type=int, default=6,
                   help="devices repeating an old password")
    g.add_argument("--scanner", type=int, default=1,
                   help="office scanners sending with an old password")
    g.add_argument("--fetchers", type=int, default=4,
                   help="users whose mail a cloud service fetches (POP3)")
    g.add_argument("--travellers", type=int, default=6)
    g.add_argument("--visit-rate", type=float, default=0.05,
                   help="chance per user and day of a visit to a new "
                   "network")
    g.add_argument("--dormant", type=int, default=5,
                   help="accounts that had no login for months, back once "
                   "or twice (from a network new for them)")
    g.add_argument("--new-devices", type=int, default=8,
                   help="new phones or laptops set up during the trace")
    g.add_argument("--user-typos", type=float, default=0.25,
                   help="share of typos in the username (unknown user)")
    g.add_argument("--office-rotation", type=int, default=0,
                   help="stress: main office users whose password changes "
                   "on the first working morning (their desktop and phone "
                   "keep the old one for a while)")
    g = ap.add_argument_group("attacks")
    g.add_argument("--slow", type=int, default=5,
                   help="slow guessers (one address each)")
    g.add_argument("--slow-interval", default="10,30",
                   help="minutes between a slow guesser's tries (min,max)")
    g.add_argument("--dist-addresses", type=int, default=1600,
                   help="addresses of the attack on one account")
    g.add_argument("--dist-tries", type=float, default=3.5,
                   help="tries per address of that attack: 1 + an "
                   "exponential draw of mean N-1, rounded down (3.5 makes "
                   "about 3)")
    g.add_argument("--dist-hours", type=float, default=36.0,
                   help="length of that attack")
    g.add_argument("--stuffing", type=int, default=2,
                   help="credential stuffing campaigns")
    g.add_argument("--stuffing-list", type=int, default=900,
                   help="mean usernames in a campaign's list")
    g.add_argument("--stuffing-real", type=float, default=0.5,
                   help="share of the users whose address is in a list")
    g.add_argument("--stuffing-hit", type=float, default=0.01,
                   help="chance that a leaked password is still right")
    g.add_argument("--v6-56", type=int, default=2,
                   help="IPv6 attackers moving to a new /64 every few "
                   "tries (the second one across the /56s of a /48)")
    g.add_argument("--v6-56-attempts", type=int, default=800)
    g.add_argument("--v6-64", type=int, default=1,
                   help="IPv6 attackers rotating inside one /64")
    g.add_argument("--v6-64-attempts", type=int, default=11000)
    g.add_argument("--fast", type=int, default=4,
                   help="fast single-address guessers")
    g.add_argument("--fast-attempts", type=int, default=12000)
    g.add_argument("--sprayers", type=int, default=50,
                   help="addresses spraying role names (admin@, info@)")
    return ap.parse_args(argv)


def floats(text):
    return [float(x) for x in text.split(",") if x.strip() != ""]


class Pool:
    """Distinct /24s (or IPv6 prefixes) drawn from a range, never twice."""

    def __init__(self, rng, size):
        self.rng = rng
        self.size = size
        self.used = {}

    def take(self, lo=0, hi=None):
        """A number in [lo, hi) not taken before."""
        for _ in range(1000):
            n = self.rng.randrange(lo, self.size if hi is None else hi)
            if n not in self.used:
                self.used[n] = True
                return n
        raise RuntimeError("address pool exhausted")


def v6(value):
    """Compressed text of a 128-bit integer address."""
    groups = ["%x" % ((value >> (112 - 16 * i)) & 0xffff) for i in range(8)]
    best, run = (0, 0), (0, 0)
    for i, g in enumerate(groups):
        run = (run[0], run[1] + 1) if g == "0" else (i + 1, 0)
        if run[1] > best[1]:
            best = run
    if best[1] < 2:
        return ":".join(groups)
    s, n = best
    return ":".join(groups[:s]) + "::" + ":".join(groups[s + n:])


V6_HOME = 0x20010db8_1000 << 80
V6_MOBILE = 0x20010db8_2000 << 80
V6_HOSTING = 0x20010db8_f000 << 80


class Gen:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        rng = self.rng
        day = datetime.date.fromisoformat(args.start)
        midnight = datetime.datetime(day.year, day.month, day.day,
                                     tzinfo=datetime.timezone.utc)
        self.tz = int(args.tz * HOUR)
        # local midnight of the first day, in UTC seconds
        self.start = int(midnight.timestamp()) - self.tz
        self.end = self.start + int(args.days * DAY)
        self.pre = self.start - int(args.prelude_days * DAY)
        self.weekday0 = day.weekday()
        self.events = []
        self.seq = 0
        self.home_pool = Pool(rng, 4096)        # 100.64.0.0/12
        self.res_pool = Pool(rng, 4096)         # 100.80.0.0/12
        self.host_pool = Pool(rng, 4096)        # 100.96.0.0/12
        self.other_pool = Pool(rng, 4096)       # 100.112.0.0/12
        self.v6home_pool = Pool(rng, 1 << 20)   # /56s of 2001:db8:1000::/36
        self.v6host_pool = Pool(rng, 1 << 12)   # /48s of 2001:db8:f000::/36
        self.pw_serial = 0
        self.owners = {}

    # --- time -------------------------------------------------------------

    def local_hour(self, t):
        return ((t - self.start) % DAY) / HOUR

    def day_index(self, t):
        return int((t - self.start) // DAY)

    def workday(self, d):
        return (self.weekday0 + d) % 7 < 5

    def at(self, d, hour):
        """UTC seconds of local hour (float) of day index d."""
        return self.start + d * DAY + hour * HOUR

    def jitter(self, x, frac=0.25):
        return x * self.rng.uniform(1 - frac, 1 + frac)

    # --- output -----------------------------------------------------------

    def emit(self, t, ip, user, result, pw, kind, actor, case,
             service="imap", mech="PLAIN"):
        if t < self.pre or t >= self.end:
            return
        if kind not in ("legit", "prelude") and t < self.start:
            return
        if kind == "legit" and t < self.start:
            kind = "prelude"
        self.seq += 1
        self.events.append((t, self.seq, ip, user, service, mech, result,
                            pw, kind, actor, case))

    def new_pw(self, prefix):
        self.pw_serial += 1
        return "%s%d" % (prefix, self.pw_serial)

    # --- addresses ----------------------------------------------------------

    def home_addr(self, u=None):
        """An address of a home ISP: of u's ISP (8 ISPs of two /16s each),
        half of the time in u's region (one /16); anywhere without u."""
        if u is None:
            n = self.home_pool.take()
        elif self.rng.random() < 0.5:
            n = self.home_pool.take(u["region16"] << 8,
                                    (u["region16"] + 1) << 8)
        else:
            n = self.home_pool.take(u["isp"] << 9, (u["isp"] + 1) << 9)
        return "100.%d.%d.%d" % (64 + (n >> 8), n & 255,
                                 self.rng.randint(2, 254))

    def home6_prefix(self, u):
        """A /56 of u's ISP (a /39), half of the time in u's region (a
        /48)."""
        if self.rng.random() < 0.5:
            lo = (u["isp"] << 17) | (u["region48"] << 8)
            n = self.v6home_pool.take(lo, lo + 256)
        else:
            n = self.v6home_pool.take(u["isp"] << 17, (u["isp"] + 1) << 17)
        return V6_HOME | (n << 72)

    def res_addr(self, n=None):
        if n is None:
            n = self.res_pool.take()
        return "100.%d.%d.%d" % (80 + (n >> 8), n & 255,
                                 self.rng.randint(1, 254))

    def host_addr(self, n=None):
        if n is None:
            n = self.host_pool.take()
        return "100.%d.%d.%d" % (96 + (n >> 8), n & 255,
                                 self.rng.randint(1, 254))

    def carrier_addr(self, carrier):
        """A CGNAT public address of a carrier (0-3), or a foreign one (4)."""
        if carrier >= 4:
            n24 = 224 + self.rng.randrange(32)
        else:
            n24 = carrier * 48 + self.rng.randrange(48)
        return "198.18.%d.%d" % (n24, self.rng.randint(1, 254))

    def carrier6_addr(self, carrier, net48=None):
        """A /64 of the carrier's /44 (16 /48s), a new one every time."""
        if net48 is None:
            net48 = self.rng.getrandbits(4)
        net = (net48 << 16) | self.rng.getrandbits(16)
        return v6(V6_MOBILE | (carrier << 84) | (net << 64) |
                  self.rng.getrandbits(64))

    def other_addr(self):
        n = self.other_pool.take()
        return "100.%d.%d.%d" % (112 + (n >> 8), n & 255,
                                 self.rng.randint(2, 254))

    # --- users ------------------------------------------------------------

    def make_users(self):
        a, rng = self.args, self.rng
        names, seen = [], {}
        while len(names) < a.users + a.dormant:
            f, l = rng.choice(FIRST), rng.choice(LAST)
            style = rng.random()
            local = ("%s.%s" % (f, l) if style < 0.7 else
                     "%s%s" % (f[0], l) if style < 0.9 else f)
            if local in seen or local in SPRAY_NAMES:
                continue
            seen[local] = True
            names.append(local + "@" + DOMAIN)
        self.user_names = names
        self.dormant_names = names[a.users:]
        self.users = []
        phone_iv = floats(a.phone_interval)
        for i, name in enumerate(names[:a.users]):
            u = {"name": name}
            u["office"] = ("main" if i < a.office_users else
                           "branch" if i < a.office_users + a.branch_users
                           else None)
            u["v6home"] = rng.random() < a.ipv6_home
            u["dynamic"] = rng.random() < a.dynamic_home
            u["isp"] = rng.randrange(8)
            u["region16"] = u["isp"] * 2 + rng.randrange(2)
            u["region48"] = rng.getrandbits(9)
            u["carrier"] = rng.randrange(4)
            # two of four carriers give phones IPv6
            u["carrier6"] = u["carrier"] >= 2 and rng.random() < 0.8
            u["phone_iv"] = (rng.choice(phone_iv) * MIN
                             if rng.random() < a.phones else None)
            u["office_wifi"] = rng.random() < 0.7
            u["laptop"] = rng.random() < 0.4
            u["webmail"] = (rng.choice([0.3, 1, 1, 2])
                            if rng.random() < a.webmail else 0)
            u["sends"] = rng.choice([1, 3, 5, 8])
            u["roles"] = []
            u["homes"] = {}
            u["stale"] = []      # (device, t0, t1, old password, case)
            u["trip"] = None
            u["extra"] = []      # (t0, t1, place, addr, case)
            u["mob"] = {}        # device/conn -> (address, until)
            self.users.append(u)
        # role mailboxes read by office staff (desktops at the office)
        for r, role in enumerate(ROLE_ACCOUNTS):
            for u in self.users[r * 3:r * 3 + 3]:
                if u["office"] == "main":
                    u["roles"].append(role + "@" + DOMAIN)

    def home_of(self, u, d):
        """The home address (v4 or the /64's prefix value) on day d."""
        key = d if u["dynamic"] else 0
        if key not in u["homes"]:
            if u["v6home"]:
                u["homes"][key] = self.home6_prefix(u)
            else:
                u["homes"][key] = self.home_addr(u)
        return u["homes"][key]

    # --- where a user is --------------------------------------------------

    def day_plan(self, u, d):
        """Segments (t0, t1, place, addr, case) of local day d."""
        rng = self.rng
        T = lambda h: self.at(d, h)
        segs = []
        trip = u["trip"]
        if trip is not None and trip[0] <= d <= trip[1]:
            hotel = trip[2][d - trip[0]]
            segs.append((T(0), T(8.5), "travel", hotel, "travel"))
            segs.append((T(8.5), T(18), "roam", None, "travel"))
            segs.append((T(18), T(24), "travel", hotel, "travel"))
            return segs
        if self.workday(d) and u["office"] is not None and \
                rng.random() < 0.92:
            arrive = min(max(rng.gauss(8.2, 0.7), 6.5), 10.5)
            leave = min(max(rng.gauss(17.0, 0.9), 14.5), 20.0)
            commute = rng.uniform(0.25, 0.75)
            segs.append((T(0), T(arrive - commute), "home", None, None))
            segs.append((T(arrive - commute), T(arrive), "mobile", None,
                         None))
            segs.append((T(arrive), T(leave), "office", None, None))
            segs.append((T(leave), T(leave + commute), "mobile", None, None))
            t = leave + commute
        else:
            t = 0.0
        # an outing on mobile data: weekends, evenings, lunch
        if rng.random() < (0.7 if not self.workday(d) else 0.3):
            o0 = max(t + 0.5, rng.uniform(11, 19) if t == 0 else
                     rng.uniform(t + 0.5, 21))
            o1 = min(o0 + rng.uniform(1, 4), 23.5)
            if o0 < o1:
                segs.append((T(t), T(o0), "home", None, None))
                segs.append((T(o0), T(o1), "mobile", None, None))
                t = o1
        segs.append((T(t), T(24), "home", None, None))
        return segs

    def plan(self, u):
        d0 = int(math.floor((self.pre - self.start) / DAY))
        d1 = int(math.ceil((self.end - self.start) / DAY))
        segs = []
        for d in range(d0, d1):
            segs.extend(self.day_plan(u, d))
        for extra in sorted(u["extra"]):
            segs = overlay(segs, extra)
        u["segs"] = segs
        u["seg_starts"] = [s[0] for s in segs]

    def where(self, u, t):
        i = bisect.bisect_right(u["seg_starts"], t) - 1
        return u["segs"][max(i, 0)]

    def addr(self, u, device, t, conn=None):
        """(address, case) of a device of u at t. On mobile data, each
        connection kind (conn) of a device has an address of its own for
        a while (CGNAT maps connections to its public addresses)."""
        seg = self.where(u, t)
        place, fixed, case = seg[2], seg[3], seg[4]
        if device == "desktop" and place != "office":
            place = "home"      # a desktop stays at home
        if place == "home":
            home = self.home_of(u, self.day_index(t))
            if u["v6home"]:
                # each device its own interface id in the home's /64
                iid = (hash_str(u["name"] + device) & ((1 << 64) - 1)) | 1
                return v6(home | iid), case or "home"
            return home, case or "home"
        if place == "office":
            if device == "phone" and not u["office_wifi"] and case is None:
                place = "mobile"
            else:
                return fixed or OFFICE[u["office"] or "main"], \
                    case or "office"
        if place in ("travel", "visit"):
            return fixed, case or place
        # mobile data: a new address every attachment (a few hours)
        key = device + "/" + (conn or "")
        addr, until = u["mob"].get(key, (None, 0))
        if addr is None or t >= until or \
                u["mob"].get(key + "/place") != place:
            if place == "roam":
                addr = self.carrier_addr(4)
            elif u["carrier6"]:
                addr = self.carrier6_addr(u["carrier"])
            else:
                addr = self.carrier_addr(u["carrier"])
            u["mob"][key] = (addr, t + self.rng.uniform(0.5, 4) * HOUR)
            u["mob"][key + "/place"] = place
        return addr, case or ("roam" if place == "roam" else "mobile")

    # --- legitimate traffic -----------------------------------------------

    def password(self, u, device, t):
        """(result, pw, case) of a login of u's device at t."""
        for dev, t0, t1, old, case in u["stale"]:
            if dev == device and t0 <= t < t1:
                return "mismatch", old, case
        return "ok", "right-" + u["name"], None

    def login(self, u, device, t, service="imap", user=None, mech="PLAIN"):
        ip, case = self.addr(u, device, t, service)
        result, pw, stale = self.password(u, device, t)
        self.emit(t, ip, user or u["name"], result, pw, "legit", u["name"],
                  stale or "%s/%s" % (device, case), service, mech)

    def typo_login(self, u, device, t, case, ip=None, typos=1):
        """An interactive login: maybe typos first, then the right one."""
        if ip is None:
            ip, where = self.addr(u, device, t)
            case = "%s/%s" % (case, where)
        for k in range(typos):
            tt = t - (typos - k) * self.rng.uniform(4, 20)
            if self.rng.random() < self.args.user_typos:
                # the username mistyped (or without its domain)
                self.emit(tt, ip, misspell(self.rng, u["name"]),
                          "unknown_user", "right-" + u["name"], "legit",
                          u["name"], "typo_user/" + case)
            else:
                self.emit(tt, ip, u["name"], "mismatch",
                          self.new_pw("typo-"), "legit", u["name"],
                          "typo/" + case)
        self.emit(t, ip, u["name"], "ok", "right-" + u["name"], "legit",
                  u["name"], case)

    def phone(self, u):
        if u["phone_iv"] is None:
            return
        t = self.pre + self.rng.uniform(0, u["phone_iv"])
        while t < self.end:
            self.login(u, "phone", t)
            iv = self.jitter(u["phone_iv"])
            if self.local_hour(t) < 6:
                iv *= 3     # phones sleep at night
            t += iv

    def desk_sessions(self, u):
        """Desktop at the office (or at home for remote workers) on
        working days; a laptop at home some evenings."""
        rng, a = self.rng, self.args
        d0 = self.day_index(self.pre)
        for d in range(d0, self.day_index(self.end) + 1):
            if self.workday(d):
                if u["office"] is not None:
                    segs = [s for s in u["segs"]
                            if s[2] == "office" and
                            self.at(d, 0) <= s[0] < self.at(d, 24)]
                    spans = [(s[0], s[1], "desktop") for s in segs]
                else:
                    t0 = self.at(d, rng.gauss(8.8, 0.6))
                    spans = [(t0, t0 + rng.uniform(7, 9.5) * HOUR,
                              "desktop")]
            else:
                spans = []
            if u["laptop"] and rng.random() < 0.5:
                t0 = self.at(d, rng.uniform(18.5, 22))
                spans.append((t0, t0 + rng.uniform(0.5, 2.5) * HOUR,
                              "laptop"))
            for t0, t1, device in spans:
                t = t0 + rng.uniform(0, 600)
                while t < t1:
                    self.login(u, device, t)
                    for role in u["roles"]:
                        self.login(u, device, t + rng.uniform(0.1, 2),
                                   user=role)
                    t += rng.expovariate(1 / (a.desktop_interval * MIN))

    def webmail(self, u):
        rng, a = self.rng, self.args
        if u["webmail"] == 0:
            return
        for d in range(self.day_index(self.pre), self.day_index(self.end) +
                       1):
            n = poisson(rng, u["webmail"] * (1 if self.workday(d) else 0.5))
            for _ in range(n):
                t = self.at(d, awake_hour(rng))
                typos = 1 if rng.random() < a.typo_rate else 0
                if typos and rng.random() < 0.2:
                    typos = 2
                self.typo_login(u, "webmail", t, "webmail", ip=WEBMAIL,
                                typos=typos)
                # the webmail logs in again for every request
                for _ in range(rng.randint(3, 20)):
                    t += rng.expovariate(1 / 40.0)
                    self.emit(t, WEBMAIL, u["name"], "ok",
                              "right-" + u["name"], "legit", u["name"],
                              "webmail")

    def sending(self, u):
        """SMTP AUTH when sending mail, from the desktop or the phone."""
        rng = self.rng
        for d in range(self.day_index(self.pre), self.day_index(self.end) +
                       1):
            n = poisson(rng, u["sends"] * (1 if self.workday(d) else 0.3))
            for _ in range(n):
                t = self.at(d, awake_hour(rng))
                place = self.where(u, t)[2]
                device = "desktop" if place == "office" else (
                    "phone" if u["phone_iv"] else "laptop")
                self.login(u, device, t, service="submission", mech="LOGIN")

    def legitimate(self):
        a, rng = self.args, self.rng
        self.make_users()
        users = self.users
        # travellers: one to three days away, a hotel a night
        for u in rng.sample(users, min(a.travellers, len(users))):
            d0 = rng.randrange(max(1, int(a.days)))
            d1 = min(d0 + rng.randint(0, 2), int(math.ceil(a.days)) - 1)
            u["trip"] = (d0, d1, [self.other_addr()
                                  for _ in range(d1 - d0 + 1)])
        # visits to new networks: a cafe, a client's site, a friend's
        for u in users:
            for d in range(int(math.ceil(a.days))):
                if rng.random() < a.visit_rate:
                    t0 = self.at(d, rng.uniform(9, 20))
                    u["extra"].append((t0, t0 + rng.uniform(1, 3) * HOUR,
                                       "visit", self.other_addr(),
                                       "new_network"))
        # devices with an old password: hours to two days
        for u in rng.sample(users, min(a.stale, len(users))):
            dev = ("phone" if u["phone_iv"] and rng.random() < 0.7 else
                   "laptop" if u["laptop"] else "desktop")
            if dev == "laptop" and not u["laptop"]:
                dev = "desktop"
            t0 = self.start + rng.uniform(0, max(self.end - self.start -
                                                 DAY / 2, 1))
            t1 = t0 + (rng.uniform(2, 10) * HOUR if rng.random() < 0.6
                       else rng.uniform(1, 2) * DAY)
            u["stale"].append((dev, t0, t1, "old-" + u["name"],
                               "stale/" + dev))
        # stress: a password change at the office one morning
        days = [d for d in range(int(math.ceil(a.days))) if self.workday(d)]
        office = [u for u in users if u["office"] == "main"]
        for u in office[:a.office_rotation] if days else []:
            t0 = self.at(days[0], rng.uniform(7.5, 9.5))
            u["stale"].append(("desktop", t0, t0 + rng.uniform(0.2, 2) *
                               HOUR, "old-" + u["name"], "stale/rotation"))
            u["stale"].append(("phone", t0, t0 + rng.uniform(1, 8) * HOUR,
                               "old-" + u["name"], "stale/rotation"))
        self.attack_owners_plan()
        for u in users:
            self.plan(u)
        for u in users:
            self.prelude(u)
            self.phone(u)
            self.desk_sessions(u)
            self.webmail(u)
            self.sending(u)
        self.new_devices()
        self.dormant()
        self.scanners()
        self.fetchers()

    def prelude(self, u):
        """The networks a month of use made known: one success each."""
        if self.pre >= self.start:
            return
        rng = self.rng
        t = lambda: rng.uniform(self.pre, self.start)
        name, ok = u["name"], "right-" + u["name"]
        home = self.home_of(u, 0)
        nets = [v6(home | 1) if u["v6home"] else home]
        if u["office"] is not None:
            nets.append(OFFICE[u["office"]])
        if u["phone_iv"] is not None and not u["carrier6"]:
            # the carrier's CGNAT /24s this phone was given in a month
            for n24 in range(48):
                if rng.random() < 0.4:
                    nets.append("198.18.%d.%d" % (u["carrier"] * 48 + n24,
                                                  rng.randint(1, 254)))
        elif u["phone_iv"] is not None:
            # /64s of the carrier's IPv6 /48s it was given in a month
            for n48 in range(16):
                if rng.random() < 0.4:
                    nets.append(self.carrier6_addr(u["carrier"], n48))
        for ip in nets:
            self.emit(t(), ip, name, "ok", ok, "prelude", name, "prelude")
            for role in u["roles"]:
                if ip == OFFICE["main"]:
                    self.emit(t(), ip, role, "ok", "right-" + role,
                              "prelude", name, "prelude")

    def new_devices(self):
        """A new phone or laptop set up: a typo or two, then it works (on
        a network known for the account: the device is not what counts)."""
        rng = self.rng
        for u in rng.sample(self.users, min(self.args.new_devices,
                                            len(self.users))):
            t = self.start + rng.uniform(0, self.end - self.start)
            self.typo_login(u, "newdev", t, "new_device",
                            typos=rng.choice([0, 1, 1, 2]))

    def dormant(self):
        """Accounts back after months: a login or two from home (a
        network the server has not seen for them), maybe a typo first."""
        rng = self.rng
        for name in self.dormant_names:
            u = {"name": name}
            ip = self.home_addr()
            for _ in range(rng.randint(1, 2)):
                d = rng.randrange(max(1, int(self.args.days)))
                self.typo_login(u, "laptop", self.at(d, awake_hour(rng)),
                                "dormant/home", ip=ip,
                                typos=1 if rng.random() < 0.3 else 0)

    def scanners(self):
        """A scanner at the main office sends scans as office@ with an
        old password, in bursts, until someone fixes it."""
        rng = self.rng
        for k in range(self.args.scanner):
            user = ROLE_ACCOUNTS[(2 + k) % len(ROLE_ACCOUNTS)] + "@" + DOMAIN
            t0 = self.start + rng.uniform(0.3, 0.8) * DAY
            t1 = t0 + rng.uniform(1, 1.5) * DAY
            t = t0
            while t < t1:
                if self.workday(self.day_index(t)) and \
                        8 <= self.local_hour(t) < 18:
                    for _ in range(rng.randint(1, 4)):
                        self.emit(t, OFFICE["main"], user, "mismatch",
                                  "old-scanner", "legit", user,
                                  "stale/scanner", "smtp", "LOGIN")
                        t += rng.uniform(10, 60)
                t += rng.expovariate(1 / (50.0 * MIN))

    def fetchers(self):
        """A cloud service fetching mail over POP3 for a few users, from
        its pool of addresses; one of them with an old password for a
        day."""
        rng = self.rng
        users = rng.sample(self.users, min(self.args.fetchers,
                                           len(self.users)))
        for k, u in enumerate(users):
            iv = rng.uniform(30, 60) * MIN
            stale = (self.start + rng.uniform(0, 1) * DAY, 0) if k == 0 \
                else None
            if stale:
                stale = (stale[0], stale[0] + DAY)
            for n24 in range(240, 244):
                self.emit(rng.uniform(self.pre, self.start),
                          "198.19.%d.%d" % (n24, rng.randint(1, 254)),
                          u["name"], "ok", "x", "prelude", u["name"],
                          "prelude")
            t = self.pre + rng.uniform(0, iv)
            while t < self.end:
                ip = "198.19.%d.%d" % (rng.randint(240, 243),
                                       rng.randint(1, 254))
                if stale and stale[0] <= t < stale[1]:
                    self.emit(t, ip, u["name"], "mismatch", "old-fetch",
                              "legit", u["name"], "stale/fetcher", "pop3")
                else:
                    self.emit(t, ip, u["name"], "ok", "x", "legit",
                              u["name"], "fetcher", "pop3")
                t += self.jitter(iv, 0.1)

    # --- owners of attacked accounts ----------------------------------------

    def attack_owners_plan(self):
        """Choose the accounts single-account attacks aim at, and have
        their owners log in from networks not known for them during the
        attack: the main office (where many others succeed every day) and
        a new address."""
        rng, a = self.rng, self.args
        others = [u for u in self.users if u["office"] != "main" and
                  u["phone_iv"] is not None and u["trip"] is None]
        if len(others) < 6:
            raise SystemExit("detection-gen: too few users outside the "
                             "main office to attack")
        rng.shuffle(others)
        self.targets = {}
        span = self.end - self.start
        # the distributed attack: one account, a day and a half
        t0 = self.start + rng.uniform(0.1, 0.35) * span
        t1 = min(t0 + self.jitter(self.args.dist_hours * HOUR, 0.15),
                 self.end)
        self.targets["distributed"] = (others[0], t0, t1)
        # slow guessers on one account each (three of them)
        for k in range(min(3, a.slow)):
            t0 = self.start - rng.uniform(0, 0.5) * DAY
            self.targets["slow-%d" % (k + 1)] = (others[1 + k], t0,
                                                 self.end)
        # two fast guessers on one account each
        for k in range(min(2, a.fast)):
            t0 = self.start + rng.uniform(0, 0.7) * span
            self.targets["fast-%d" % (k + 1)] = (others[4 + k], t0,
                                                 self.end)
        for name, (u, t0, t1) in self.targets.items():
            self.owners[u["name"]] = True
            every = name == "distributed"
            days = [d for d in range(self.day_index(t0),
                                     self.day_index(t1 - 1) + 1)
                    if 0 <= d < math.ceil(a.days)]
            if not days:
                continue
            work = [d for d in days if self.workday(d)] or days
            if every or rng.random() < 0.5:
                d = rng.choice(work)
                v0 = max(self.at(d, rng.uniform(9, 12)), t0)
                u["extra"].append((v0, v0 + rng.uniform(2, 6) * HOUR,
                                   "office", OFFICE["main"],
                                   "owner_office"))
            if every or rng.random() < 0.5:
                d = rng.choice(days)
                v0 = max(self.at(d, rng.uniform(10, 20)), t0)
                u["extra"].append((v0, v0 + rng.uniform(1, 4) * HOUR,
                                   "visit", self.other_addr(), "owner_new"))

    # --- attacks ------------------------------------------------------------

    def real_accounts(self, share):
        users = [u["name"] for u in self.users]
        return self.rng.sample(users, int(len(users) * share))

    def unknown_names(self, n):
        """Addresses at the domain that are no account (old staff)."""
        rng, out, have = self.rng, [], {u: True for u in self.user_names}
        while len(out) < n:
            f, l = rng.choice(FIRST), rng.choice(LAST)
            style = rng.random()
            local = ("%s.%s" % (f, l) if style < 0.5 else
                     "%s%s" % (f[0], l) if style < 0.7 else
                     "%s.%s%d" % (f, l, rng.randint(1, 99)) if style < 0.8
                     else rng.choice(DICT_NAMES))
            name = local + "@" + DOMAIN
            if name not in have:
                out.append(name)
        return out

    def attack(self, t, ip, user, kind, actor, case, pw=None,
               service=None):
        real = user in self.accounts
        self.emit(t, ip, user, "mismatch" if real else "unknown_user",
                  pw or self.new_pw("g"), kind, actor, case,
                  service or self.rng.choice(["imap", "imap", "pop3",
                                              "smtp", "submission"]),
                  "LOGIN")

    def attacks(self):
        self.accounts = {u: True for u in self.user_names}
        for role in ROLE_ACCOUNTS:
            self.accounts[role + "@" + DOMAIN] = True
        self.slow()
        self.distributed()
        self.stuffing()
        self.v6_56()
        self.v6_64()
        self.fast()
        self.sprayers()

    def slow(self):
        """One address, a try every 10-30 minutes, for days."""
        rng, a = self.rng, self.args
        lo, hi = floats(a.slow_interval)
        lists = self.real_accounts(0.1) + self.unknown_names(40)
        for k in range(a.slow):
            actor = "slow-%d" % (k + 1)
            if actor in self.targets:
                u, t, _ = self.targets[actor]
                names, case = [u["name"]], "one account"
            else:
                t = self.start + rng.uniform(-0.5, 1.0) * DAY
                names, case = lists[:], "username list"
                rng.shuffle(names)
            ip = self.host_addr() if rng.random() < 0.6 else self.res_addr()
            n = 0
            while t < self.end:
                self.attack(t, ip, names[n % len(names)], "slow", actor,
                            case)
                n += 1
                t += rng.uniform(lo, hi) * MIN

    def distributed(self):
        """One account from ~1,600 addresses, a few tries each."""
        rng, a = self.rng, self.args
        u, t0, t1 = self.targets["distributed"]
        span = t1 - t0
        for k in range(a.dist_addresses):
            r = rng.random()
            if r < 0.85:
                ip = self.res_addr()
            elif r < 0.95:
                ip = self.host_addr()
            elif r < 0.98:
                # mobile proxies: CGNAT pools our users' phones use too
                ip = self.carrier_addr(rng.randrange(4))
            else:
                ip = self.home_addr()
            tries = 1 + int(rng.expovariate(1 / max(a.dist_tries - 1,
                                                    0.01)))
            t = t0 + rng.random() * span
            for _ in range(tries):
                if t >= t1:
                    break
                self.attack(t, ip, u["name"], "distributed",
                            "distributed", "one account")
                t += rng.uniform(2, 45) * MIN

    def stuffing(self):
        """Leaked address/password pairs: one or two tries each, from a
        rotating pool of proxies (residential or a hosting provider's)."""
        rng, a = self.rng, self.args
        for c in range(a.stuffing):
            actor = "stuffing-%d" % (c + 1)
            residential = c % 2 == 0     # one of each kind of pool
            case = "residential proxies" if residential else \
                "hosting proxies"
            size = max(10, int(rng.gauss(a.stuffing_list,
                                         a.stuffing_list / 4)))
            reals = self.real_accounts(a.stuffing_real)
            names = reals + self.unknown_names(max(size - len(reals), 0))
            rng.shuffle(names)
            pairs = []
            for name in names:
                for _ in range(1 if rng.random() < 0.6 else 2):
                    pairs.append(name)
            t0 = self.start + rng.uniform(0, 0.8) * (self.end - self.start)
            span = rng.uniform(3, 14) * HOUR
            step = span / max(len(pairs), 1)
            nets = [self.host_pool.take() for _ in range(rng.randint(8, 30))]
            ip, left, t = None, 0, t0
            for name in pairs:
                if left == 0:
                    if residential:
                        ip = (self.carrier_addr(rng.randrange(4))
                              if rng.random() < 0.05 else self.res_addr())
                    else:
                        ip = self.host_addr(rng.choice(nets))
                    left = rng.randint(1, 6) if residential else \
                        rng.randint(3, 12)
                left -= 1
                if name in self.accounts and \
                        rng.random() < a.stuffing_hit:
                    self.emit(t, ip, name, "ok", "leaked", "stuffing",
                              actor, case, "imap", "LOGIN")
                else:
                    self.attack(t, ip, name, "stuffing", actor, case,
                                service="imap")
                t += rng.expovariate(1 / step)

    def bursts(self, t, total, size, step, pause):
        """Times of up to total tries from t: bursts of size (min, max)
        tries step (min, max) seconds apart, pause (min, max) hours
        between bursts, until the end of the trace."""
        rng, n = self.rng, 0
        while n < total and t < self.end:
            for _ in range(rng.randint(*size)):
                yield t
                n += 1
                t += rng.uniform(*step)
            t += rng.uniform(*pause) * HOUR

    def v6_56(self):
        """A new /64 every few tries: inside one /56, or across the /56s
        of one /48."""
        rng, a = self.rng, self.args
        names = self.real_accounts(0.15) + self.unknown_names(60)
        for k in range(a.v6_56):
            actor = "v6_56-%d" % (k + 1)
            wide = k % 2 == 1
            case = "across a /48" if wide else "inside a /56"
            base = V6_HOSTING | (self.v6host_pool.take() << 80)
            s56 = rng.getrandbits(8)
            homes = [u for u in self.users if u["v6home"]]
            if not wide and homes:
                # a compromised router with a /56 of a home ISP: in the
                # /48 where one of our users lives
                home = self.home_of(homes[0], 0)
                base = home >> 80 << 80
                s56 = ((home >> 72) & 255) ^ rng.randint(1, 255)
                case = "inside a /56 of a home ISP"
            total = a.v6_56_attempts // max(a.v6_56, 1)
            left = 0
            for t in self.bursts(self.start + rng.uniform(0, 0.3) * DAY,
                                 total, (40, 250), (5, 60), (1, 8)):
                if left == 0:
                    if wide and rng.random() < 0.05:
                        s56 = rng.getrandbits(8)
                    net = base | (s56 << 72) | (rng.getrandbits(8) << 64)
                    left = rng.randint(2, 5)
                left -= 1
                ip = v6(net | rng.getrandbits(64))
                self.attack(t, ip, rng.choice(names), "v6_56", actor, case)

    def v6_64(self):
        """Every try from a new address inside one /64, for days."""
        rng, a = self.rng, self.args
        names = self.real_accounts(0.1) + self.unknown_names(100)
        for k in range(a.v6_64):
            actor = "v6_64-%d" % (k + 1)
            net = V6_HOSTING | (self.v6host_pool.take() << 80) | \
                (rng.getrandbits(16) << 64)
            total = a.v6_64_attempts // max(a.v6_64, 1)
            for t in self.bursts(self.start + rng.uniform(0, 0.2) * DAY,
                                 total, (100, 600), (2, 20), (0.5, 3)):
                self.attack(t, v6(net | rng.getrandbits(64)),
                            rng.choice(names), "v6_64", actor, "one /64")

    def fast(self):
        """One address, a try every few seconds, in bursts."""
        rng, a = self.rng, self.args
        lists = self.real_accounts(0.2) + self.unknown_names(80)
        for k in range(a.fast):
            actor = "fast-%d" % (k + 1)
            if actor in self.targets:
                u, t, _ = self.targets[actor]
                names, case = [u["name"]], "one account"
            else:
                t = self.start + rng.uniform(0, 1.5) * DAY
                names, case = lists, "username list"
            ip = self.host_addr()
            total = a.fast_attempts // max(a.fast, 1)
            for t in self.bursts(t, total, (50, 600), (0.5, 6), (0.5, 6)):
                self.attack(t, ip, rng.choice(names), "fast", actor, case)

    def sprayers(self):
        """Role names (admin@, info@ ...) with common passwords; some of
        them (info@, sales@, office@) are real accounts here."""
        rng, a = self.rng, self.args
        for k in range(a.sprayers):
            actor = "sprayer-%d" % (k + 1)
            ip = self.host_addr() if rng.random() < 0.7 else self.res_addr()
            for _ in range(1 if rng.random() < 0.7 else 2):
                t = self.start + rng.random() * (self.end - self.start)
                names = rng.sample(SPRAY_NAMES, rng.randint(8, 21))
                for name in names:
                    user = name if rng.random() < 0.2 else \
                        name + "@" + DOMAIN
                    for _ in range(rng.randint(1, 4)):
                        self.attack(t, ip, user, "sprayer", actor,
                                    "role names")
                        t += rng.uniform(2, 30)

    # --- writing ----------------------------------------------------------

    def write(self, out):
        self.events.sort(key=lambda e: (e[0], e[1]))
        for (t, _, ip, user, service, mech, result, pw, kind, actor,
             case) in self.events:
            o = {"t": round(t, 3), "ip": ip, "user": user,
                 "service": service, "mechanism": mech, "result": result,
                 "pw": pw, "kind": kind, "actor": actor, "case": case,
                 "pw_ok": result == "ok"}
            if kind == "legit" and actor in self.owners:
                o["owner"] = True
            out.write(json.dumps(o, separators=(",", ":")) + "\n")


def overlay(segs, extra):
    """segs with [t0, t1) replaced by the extra segment."""
    t0, t1 = extra[0], extra[1]
    out = []
    for s in segs:
        if s[1] <= t0 or s[0] >= t1:
            out.append(s)
            continue
        if s[0] < t0:
            out.append((s[0], t0) + s[2:])
        if s[1] > t1:
            out.append((t1, s[1]) + s[2:])
    out.append(extra)
    out.sort(key=lambda s: s[0])
    return out


def hash_str(s):
    """A stable hash (Python's hash() of str is salted per process)."""
    h = 1469598103934665603
    for c in s.encode():
        h = ((h ^ c) * 1099511628211) & ((1 << 64) - 1)
    return h


def misspell(rng, name):
    """name without its domain, or with two letters swapped or one left
    out - never name itself."""
    local, domain = name.split("@", 1)
    r = rng.random()
    if r < 0.4:
        return local
    if r < 0.7:
        i = rng.randrange(len(local) - 1)
        swapped = local[:i] + local[i + 1] + local[i] + local[i + 2:]
        if swapped != local:
            return swapped + "@" + domain
    i = rng.randrange(len(local))
    return local[:i] + local[i + 1:] + "@" + domain


def poisson(rng, lam):
    n, p, limit = 0, 1.0, math.exp(-lam)
    while True:
        p *= rng.random()
        if p <= limit:
            return n
        n += 1


def awake_hour(rng):
    """A local hour, most of them in the working day."""
    while True:
        h = rng.uniform(6.5, 23.5)
        w = 1.0 if 8 <= h < 18 else 0.5 if h < 22 else 0.2
        if rng.random() < w:
            return h


def main(argv):
    args = parse_args(argv)
    g = Gen(args)
    g.legitimate()
    g.attacks()
    if args.trace == "-":
        g.write(sys.stdout)
    else:
        with open(args.trace, "w") as f:
            g.write(f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
