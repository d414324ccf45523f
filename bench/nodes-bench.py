# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""Ban propagation from node to node through PostgreSQL (not a test: it
asserts nothing; issue 14).

A private PostgreSQL cluster and three private Dovecot nodes, each in a
network namespace of its own with its lockoutd (the fixtures of
tests/integration/test_nodes.py). SAMPLES times, on node 1, 2, 3 in
turn: a ban of a fresh address, and the time until each of the two
other nodes refuses it (alice's right password from that address, sent
again as soon as the last answer came) and until it is in their lockoutd's
nft set. Two kinds of ban:
  manual     `doveadm lockout ban` on the node; timed from doveadm's exit
             (the ban is committed then);
  automatic  lockout_ip_failures wrong passwords from the address to the
             node; timed from the node's log line "Banned <address>"
             (polled every 20 ms: the figure is up to 20 ms short).
Printed per kind: the count, p50, p99 and max of the delays, for the auth
processes and for the firewalls.

Run as root after building:
  /usr/bin/python3 bench/nodes-bench.py [--samples N] [--kinds manual automatic]
"""

import argparse
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))

from lockout_harness import dovecot_version  # noqa: E402
from test_doveadm import attack  # noqa: E402
from test_nodes import (  # noqa: E402
    first_in_firewall, first_refusal, new_ip, parallel, shared_nodes,
    wait_banned, wrong)


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, int(round(p / 100.0 *
                                              (len(values) - 1)))))
    return values[k]


def ban_on(node, kind):
    """Ban two fresh addresses on node (one probed by logins, one looked
    for in the firewalls: a probed address becomes a known device, whose
    bans lockoutd does not push); -> (probe ip, firewall ip, t of the
    probe's ban, t of the firewall's ban)."""
    probe_ip, fw_ip = new_ip(), new_ip()
    if kind == "manual":
        node.d.doveadm("lockout", "ban", fw_ip, "-r", "bench")
        t_fw = time.monotonic()
        node.d.doveadm("lockout", "ban", probe_ip, "-r", "bench")
        t_probe = time.monotonic()
    else:
        mark = node.d.log_mark()
        attack(node.d, wrong(probe_ip) + wrong(fw_ip))
        t_fw = wait_banned(node, fw_ip, mark)
        t_probe = wait_banned(node, probe_ip, mark)
    return probe_ip, fw_ip, t_probe, t_fw


def measure(nodes, kind, samples):
    refused, firewalled = [], []
    for i in range(samples):
        origin = nodes[i % len(nodes)]
        others = [n for n in nodes if n is not origin]
        probe_ip, fw_ip, t_probe, t_fw = ban_on(origin, kind)
        res = parallel([(lambda n=n: first_refusal(n, probe_ip, t_probe))
                        for n in others] +
                       [(lambda n=n: first_in_firewall(n, fw_ip, t_fw))
                        for n in others])
        refused.extend(res[:len(others)])
        firewalled.extend(res[len(others):])
    return refused, firewalled


def line(what, delays):
    print("  %-32s n=%3d  p50 %4.0f ms  p99 %4.0f ms  max %4.0f ms"
          % (what, len(delays), percentile(delays, 50) * 1e3,
             percentile(delays, 99) * 1e3, max(delays) * 1e3), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=30,
                    help="bans of each kind (each seen by two nodes)")
    ap.add_argument("--kinds", nargs="+", default=["manual", "automatic"],
                    choices=["manual", "automatic"])
    args = ap.parse_args()
    print("ban propagation node to node through PostgreSQL: 3 nodes, "
          "Dovecot %s, %d bans of each kind"
          % (".".join(map(str, dovecot_version())), args.samples),
          flush=True)
    with shared_nodes() as (pg, nodes):
        for kind in args.kinds:
            refused, firewalled = measure(nodes, kind, args.samples)
            line("%s ban, refused" % kind, refused)
            line("%s ban, in the firewall" % kind, firewalled)


if __name__ == "__main__":
    main()
