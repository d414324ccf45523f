# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""The docker-mailserver recipe (docs/docker-mailserver.md) against a real
Dovecot: docker-mailserver's own authentication and stats settings,
reproduced here (not copied: each part names the file of theirs it
mirrors), with the recipe's auth-lockout.conf.ext included first.

Run as root after building:
    /usr/bin/python3 tests/integration/test_docker_mailserver.py [test ...]
"""

import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lockout_harness import (  # noqa: E402
    AuthClient, Dovecot, find_lockout_modules, imap_login, main, pop3_login)

ALICE = "alice@example.org"
BOB = "bob@mail.example.net"
USERS = {ALICE: "alice-Secret-1", BOB: "bob-Secret-2"}
FAILURES = 3


def sha512_crypt(password):
    """{SHA512-CRYPT}$6$... as docker-mailserver's `setup email add` makes
    it (doveadm pw -s SHA512-CRYPT); openssl makes the same $6$ hash, and
    is used where it is installed (a minimal Debian 13 tree has only
    doveadm, which needs no configuration for this with -O)."""
    if shutil.which("openssl"):
        argv = ["openssl", "passwd", "-6", "-stdin"]
        prefix = "{SHA512-CRYPT}"
    else:
        argv = ["doveadm", "-O", "pw", "-s", "SHA512-CRYPT", "-p", password]
        prefix = ""
    out = subprocess.run(argv, input=password, capture_output=True,
                         text=True, check=True).stdout.strip()
    out = prefix + out
    assert out.startswith("{SHA512-CRYPT}$6$"), out
    return out


def write_userdb(d, path):
    # target/scripts/helpers/accounts.sh (v15): one line per account,
    # LOGIN:PASS:uid:gid::/var/mail/DOMAIN/USER/home:: (LOGIN = user@domain);
    # the dovecot user stands in for their "docker" (5000) user here.
    lines = []
    for login, pw in USERS.items():
        user, domain = login.split("@")
        home = os.path.join(d.home_root, domain, user, "home")
        os.makedirs(home, exist_ok=True)
        for p in (os.path.join(d.home_root, domain),
                  os.path.join(d.home_root, domain, user), home):
            os.chown(p, d.dovecot_uid, d.dovecot_gid)
        lines.append("%s:%s:%d:%d::%s::\n" % (login, sha512_crypt(pw),
                                              d.dovecot_uid, d.dovecot_gid,
                                              home))
    with open(path, "w") as f:
        f.writelines(lines)
    os.chown(path, d.dovecot_uid, d.dovecot_gid)
    os.chmod(path, 0o640)


def auth_conf_23(userdb):
    # target/dovecot/auth-passwdfile.inc (v15, Dovecot 2.3), included by
    # target/dovecot/10-auth.conf after our auth-lockout.conf.ext.
    return ("passdb {\n"
            "  driver = passwd-file\n"
            "  mechanisms = plain login\n"
            "  args = scheme=SHA512-CRYPT username_format=%%u %s\n"
            "}\n"
            "userdb {\n"
            "  driver = passwd-file\n"
            "  args = username_format=%%u %s\n"
            "}\n" % (userdb, userdb))


def auth_conf_24(userdb, d):
    # target/dovecot/auth-passwdfile.inc (main branch, Debian 13 images,
    # Dovecot 2.4): the same blocks and settings; their "docker" user
    # (5000) is the dovecot user here, their /var/mail the instance's.
    return ("passdb passwd-file {\n"
            "  driver = passwd-file\n"
            "  mechanisms_filter = plain login\n"
            "  default_password_scheme = SHA512-CRYPT\n"
            "  auth_username_format = %%{user}\n"
            "  passwd_file_path = %s\n"
            "}\n"
            "userdb passwd-file {\n"
            "  driver = passwd-file\n"
            "  auth_username_format = %%{user}\n"
            "  passwd_file_path = %s\n"
            "  fields {\n"
            "    uid:default = %d\n"
            "    gid:default = %d\n"
            "    home:default = %s/%%{user | domain}/%%{user | username}/home/\n"
            "  }\n"
            "}\n" % (userdb, userdb, d.dovecot_uid, d.dovecot_gid,
                      d.home_root))


# target/dovecot/10-auth.conf: only PLAIN and LOGIN.
# target/dovecot/60-stats.conf: the stats sockets closed (mode 0), and
# target/scripts/startup/setup.d/dovecot.sh: `stats_writer_socket_path=`
# appended to dovecot.conf - no process writes to stats.
DMS_EXTRA = """\
auth_mechanisms = plain login
service stats {
  unix_listener stats-reader {
    mode = 0
  }
  unix_listener stats-writer {
    mode = 0
  }
}
stats_writer_socket_path =
"""


def instance():
    d = Dovecot(module_dirs=find_lockout_modules(), users={},
                plugin_settings={"lockout_ip_failures": str(FAILURES)},
                extra_conf=DMS_EXTRA, auth_conf="")
    userdb = os.path.join(d.tmp, "userdb")
    write_userdb(d, userdb)
    d.auth_conf = auth_conf_24(userdb, d) if d.v24 else auth_conf_23(userdb)
    return d


def test_config_passes_doveconf_with_lockout_first():
    with instance() as d:
        out, drivers = d.doveconf_n_passdbs()
        assert drivers == ["lockout", "passwd-file"], (drivers, out)
        assert "stats_writer_socket_path = \n" in out or \
            "stats_writer_socket_path =\n" in out, out


def test_user_at_domain_logins_and_refusal_after_ban():
    with instance() as d:
        for login, pw in USERS.items():
            ok, line = imap_login(d, login, pw, src="127.0.0.2")
            assert ok, (login, line)
        ok, line = imap_login(d, ALICE, "wrong", src="127.0.0.2")
        assert not ok, line
        # brute force from 127.0.0.3 over IMAP: banned
        mark = d.log_mark()
        for i in range(FAILURES):
            ok, line = imap_login(d, ALICE, "guess%d" % i, src="127.0.0.3")
            assert not ok, line
        d.wait_for_log(r"lockout: Banned 127\.0\.0\.3 ", since=mark)
        time.sleep(0.5)  # the ban row is written within 300 ms
        bans = d.doveadm_json("lockout", "list")
        assert [b["target"] for b in bans] == ["127.0.0.3"], bans
        # the right password from there: refused over IMAP, POP3 and
        # Postfix's SMTP AUTH (Dovecot SASL, service=smtp)
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.3")
        assert not ok and "AUTHENTICATIONFAILED" in line, line
        ok, line = pop3_login(d, BOB, USERS[BOB], src="127.0.0.3")
        assert not ok, line
        with AuthClient(d) as a:
            ok, line, _ = a.plain(BOB, USERS[BOB], service="smtp",
                                  rip="127.0.0.3")
            assert not ok, line
            ok, line, _ = a.plain(BOB, USERS[BOB], service="smtp",
                                  rip="127.0.0.4")
            assert ok, line
        ok, line = imap_login(d, ALICE, USERS[ALICE], src="127.0.0.2")
        assert ok, line


if __name__ == "__main__":
    main(globals())
