# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""The demo behind scripts/try.sh: a private Dovecot with the plugin, a short
brute-force attack from 127.0.0.66, and what the administrator sees."""

import os
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
from lockout_harness import (  # noqa: E402
    Dovecot, find_lockout_modules, imap_login)

USER = "alice@example.org"
PASSWORD = "correct horse"
ATTACKER = "127.0.0.66"
FRIEND = "127.0.0.2"


def say(text):
    print("\n== " + text, flush=True)


def main():
    settings = {"lockout_ip_failures": "5", "lockout_ip_window": "10 mins",
                "lockout_ban_time": "1 hour"}
    with Dovecot(module_dirs=find_lockout_modules(), users={USER: PASSWORD},
                 plugin_settings=settings) as d:
        say("A private Dovecot is running: IMAP on 127.0.0.1:%d, "
            "lockout_ip_failures=5" % d.imap_port)
        ok, line = imap_login(d, USER, PASSWORD, src=ATTACKER)
        print("%s logs in as %s with the right password: %s"
              % (ATTACKER, USER, "OK" if ok else "refused"))

        say("%s tries 8 wrong passwords (a bot guessing)" % ATTACKER)
        results = [None] * 8

        def guess(i):
            results[i] = imap_login(d, USER, "guess%d" % i, src=ATTACKER)
        threads = [threading.Thread(target=guess, args=(i,))
                   for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for i, (ok, line) in enumerate(results):
            print("  guess%d: %s" % (i, line))
        time.sleep(0.5)

        say("%s now sends the RIGHT password" % ATTACKER)
        ok, line = imap_login(d, USER, PASSWORD, src=ATTACKER)
        print("  " + line)
        print("  -> %s" % ("refused before the password was checked"
                           if not ok else "UNEXPECTEDLY ACCEPTED"))
        ok2, _ = imap_login(d, USER, PASSWORD, src=FRIEND)
        print("  %s (not banned) logs in: %s" % (FRIEND,
                                                 "OK" if ok2 else "refused"))

        say("The auth process's log")
        for ln in d.log_text().splitlines():
            if "lockout:" in ln or ("auth:" in ln and "mismatch" in ln):
                print("  " + ln)

        say("doveadm lockout list")
        rc, out, err = d.doveadm("lockout", "list")
        sys.stdout.write(out)
        say("doveadm -f json lockout list")
        rc, out, err = d.doveadm("-f", "json", "lockout", "list")
        print(out)
        say("doveadm lockout show %s (the evidence)" % ATTACKER)
        rc, out, err = d.doveadm("lockout", "show", ATTACKER)
        sys.stdout.write(out)
        say("doveadm lockout unban %s" % ATTACKER)
        rc, out, err = d.doveadm("lockout", "unban", ATTACKER)
        sys.stdout.write(out)
        time.sleep(1.0)
        ok3, _ = imap_login(d, USER, PASSWORD, src=ATTACKER)
        print("  %s logs in again: %s" % (ATTACKER,
                                          "OK" if ok3 else "refused"))
        if ok or not ok2 or not ok3:
            print("\nThe demo did not behave as expected.")
            return 1
    say("Stopped; the private Dovecot and its files are gone.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
