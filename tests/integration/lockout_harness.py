# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""Integration-test harness for dovecot-lockout.

Runs a private Dovecot 2.3 or 2.4 instance (as root, in the foreground,
inside a private mount namespace whose /usr/lib/dovecot/modules is a bind
mount of a copy of the stock modules plus ours), and speaks IMAP, POP3 and
Dovecot's auth-client protocol to it over loopback.  Standard library only.

Nothing on the host changes: the configuration, sockets, state, log, mail and
modules all live in one temporary directory that is removed at the end, and
every process started here is stopped (also on exceptions, Ctrl-C, SIGTERM
and interpreter exit).

Typical use:

    from lockout_harness import Dovecot, imap_login, main

    def test_login():
        with Dovecot(passdb_lockout=False) as d:
            ok, line = imap_login(d, "alice@example.org",
                                  d.users["alice@example.org"],
                                  src="127.0.0.2")
            assert ok, line

    if __name__ == "__main__":
        main(globals())

Dovecot 2.3 or 2.4: `dovecot --version` decides which configuration is
written (config_text()).  On 2.4 (Debian 13) the same instance gets 2.4's
syntax: dovecot_config_version first, named `passdb lockout { driver =
lockout }` before `passdb passwd-file { passwd_file_path = ... }`,
top-level lockout_* settings (written only when module_dirs has a
"settings" module: without it 2.4 stops at an unknown setting),
auth_allow_cleartext, mail_driver/mail_path, `listen` in inet_listener,
import_environment as a block.  extra_conf is raw text: its syntax is the
caller's.  2.4 logs a login as "Logged in: user=<...>" (2.3: "Login:").

Things worth knowing (Dovecot 2.3.19.1):
- A failed authentication is answered from a 500 ms periodic timer even with
  auth_failure_delay = 0 (later versions answer at once), so each FAIL takes
  up to half a second.  To count many failures quickly, run them at once:
  AuthClient.plain_many() or threads.  Successes are immediate.
- The readiness probe connects once to IMAP and POP3, which logs
  "Disconnected: Connection closed (no auth attempts ...)" lines; take
  log_mark() after start() when counting log lines.  It causes no auth
  request.
- kill_stats() makes the master log "stats: Fatal: master: service(stats):
  child N killed with signal 9"; keep that in mind with log_errors().
- passwd-file rereads its file only when mtime or size changed and at most
  once per second: set_user()/remove_user() handle both.
- Process titles are "dovecot-<instance_name>/<service> ..." because the
  instance has its own instance_name; pids(name) uses them.
"""

import atexit
import base64
import ctypes
import glob
import hashlib
import hmac
import ipaddress
import itertools
import json
import os
import pwd
import grp
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback

__all__ = [
    "HarnessError", "ProtocolError", "SkipTest", "Dovecot", "in_netns",
    "DEFAULT_USERS", "STOCK_MODULE_DIR",
    "imap_login", "imap_authenticate_plain", "pop3_login",
    "auth_client_plain", "auth_client_cram_md5", "AuthClient",
    "find_lockout_modules", "run_tests", "main", "skip", "dovecot_version",
    "passdb_conf", "Netns", "Lockoutd", "lockoutd_bin", "run_lockoutd",
    "sendmail_script", "set_elements", "wait_until", "register_resource", "forget_resource",
    "close_resources",
]

STOCK_MODULE_DIR = "/usr/lib/dovecot/modules"
DOVECOT_BIN = "/usr/sbin/dovecot"
DOVEADM_BIN = "/usr/bin/doveadm"
DOVECONF_BIN = "/usr/bin/doveconf"
DEFAULT_USERS = {
    "alice@example.org": "alice-secret",
    "bob@example.org": "bob-secret",
}
# Default environment for every process started here: nothing of the
# caller's environment leaks into Dovecot except what is listed in
# _PASS_ENV (sanitizer options, for instrumented plugin builds) and the
# env= given to Dovecot().  Dovecot's master hands its children only the
# variables named in import_environment.
_BASE_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}
_PASS_ENV = ("TZ", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")
_IMPORT_ENV = ("TZ CORE_OUTOFMEM CORE_ERROR LISTEN_PID LISTEN_FDS "
               "ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS")
# LOCKOUT_LD_PRELOAD (scripts/test-asan-dovecot.sh): libraries preloaded
# into Dovecot and doveadm (the sanitizer runtimes, for a plugin built with
# them: Dovecot itself is not); the instance then has no vsz_limit (ASan
# maps terabytes of shadow memory).
_PRELOAD = os.environ.get("LOCKOUT_LD_PRELOAD", "")
if _PRELOAD:
    _IMPORT_ENV += " LD_PRELOAD"
_START_TIMEOUT = 10.0
_CLIENT_TIMEOUT = 10.0
_PR_SET_PDEATHSIG = 1
_CLONE_NEWNET = 0x40000000


class HarnessError(Exception):
    """The harness could not do what was asked (start, stop, doveadm...)."""


class ProtocolError(HarnessError):
    """A server said something a client did not expect (or nothing)."""


class SkipTest(Exception):
    """Raised by a test (see skip()) to be counted as skipped."""


# SQLite's packed failure history (schema 9, src/lib-lockout/
# lockout-store-packed.c): a row of failure_batches holds a second's
# failures as one blob. Python's sqlite3 cannot register the table-valued
# function that the view "failures" unpacks them with, so the tests read
# them through failures_db() below, and the benchmarks write them with
# pack_failures().
PACKED_FORMAT = 1
PACKED_FIELDS = 5  # ip, user, service, mechanism, result


def _varint(value):
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7f) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def pack_failures(rows):
    """rows: [(ip, user, service, mechanism, result, count, tag)], each
    field str, bytes or None -> the blob of a batch"""
    out = bytearray([PACKED_FORMAT])
    for row in rows:
        fields = row[:PACKED_FIELDS]
        out.append(sum(1 << i for i, f in enumerate(fields) if f is None))
        for f in fields:
            if f is None:
                continue
            b = f.encode() if isinstance(f, str) else f
            assert len(b) <= 255
            out.append(len(b))
            out += b
        out += _varint(row[5]) + _varint(row[6])
    return bytes(out)


def unpack_failures(blob):
    """The rows of a batch's blob: [(ip, user, service, mechanism, result,
    count, tag)], the fields str (bytes if not UTF-8) or None"""
    assert blob[0] == PACKED_FORMAT, blob[:1]
    rows, p = [], 1

    def varint():
        nonlocal p
        value = shift = 0
        while True:
            byte = blob[p]
            p += 1
            value |= (byte & 0x7f) << shift
            shift += 7
            if not byte & 0x80:
                return value
    while p < len(blob):
        nulls = blob[p]
        p += 1
        fields = []
        for i in range(PACKED_FIELDS):
            if nulls & (1 << i):
                fields.append(None)
                continue
            n = blob[p]
            b = bytes(blob[p + 1:p + 1 + n])
            p += 1 + n
            try:
                fields.append(b.decode())
            except UnicodeDecodeError:
                fields.append(b)
        count = varint()
        fields += [count, varint()]
        rows.append(tuple(fields))
    return rows


def failures_db(path, **kwargs):
    """A connection to the SQLite ban table at path where "failures" is a
    temporary table holding the failure history's rows as the store's
    view gives them (id, time, ip, user, service, mechanism, result,
    count, node, tag), read when connecting."""
    con = sqlite3.connect(path, **kwargs)
    con.execute("CREATE TEMP TABLE failures (id INTEGER PRIMARY KEY, "
                "time, ip, user, service, mechanism, result, count, node, "
                "tag)")
    for bid, t, node, blob in con.execute(
            "SELECT id, time, node, rows FROM main.failure_batches "
            "ORDER BY id").fetchall():
        con.executemany(
            "INSERT INTO temp.failures VALUES (?,?,?,?,?,?,?,?,?,?)",
            [((bid << 10) + o, t) + r[:6] + (node, r[6])
             for o, r in enumerate(unpack_failures(blob))])
    return con


def skip(reason):
    """Skip the running test with a reason."""
    raise SkipTest(reason)


# --------------------------------------------------------------------------
# Process-wide cleanup: every live instance is closed at interpreter exit,
# and SIGTERM/SIGHUP become SystemExit so that finally blocks run.

_instances = []          # every Dovecot created in this process, in order
_instances_lock = threading.Lock()
_signals_installed = False


# Other things to close at exit, after the instances (network namespaces,
# PostgreSQL clusters of lockout_pg): objects with close() and a `what`
_resources = []


def _close_each(objs):
    for o in reversed(objs):
        try:
            o.close()
        except Exception as e:  # keep closing the others
            sys.stderr.write("lockout_harness: cleanup of %s failed: %s\n"
                             % (getattr(o, "what", None) or o.tmp, e))


def _close_all():
    with _instances_lock:
        live = list(_instances)
    _close_each(live)


def register_resource(obj):
    """Have obj.close() called at interpreter exit (and at the end of
    main()) unless forget_resource(obj) came first."""
    _install_signal_handlers()
    with _instances_lock:
        _resources.append(obj)


def forget_resource(obj):
    with _instances_lock:
        if obj in _resources:
            _resources.remove(obj)


def close_resources():
    with _instances_lock:
        live = list(_resources)
    _close_each(live)


# (registered first, so run last: after the instances, whose processes
# may live in a namespace)
atexit.register(lambda: close_resources())
atexit.register(_close_all)


def _raise_exit(signum, frame):
    raise SystemExit(128 + signum)


def _install_signal_handlers():
    global _signals_installed
    if _signals_installed:
        return
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) == signal.SIG_DFL:
            signal.signal(sig, _raise_exit)
    _signals_installed = True


try:
    _libc = ctypes.CDLL(None, use_errno=True)
except OSError:
    _libc = None


def _make_preexec(pdeathsig):
    """preexec_fn: with pdeathsig, the child gets SIGTERM if we die."""
    if not pdeathsig or _libc is None:
        return None
    prctl = _libc.prctl

    def preexec():
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    return preexec


def _child_env(extra=None):
    env = dict(_BASE_ENV)
    for k in _PASS_ENV:
        if k in os.environ:
            env[k] = os.environ[k]
    if _PRELOAD:
        env["LD_PRELOAD"] = _PRELOAD
    if extra:
        env.update(extra)
    return env


class in_netns:
    """Context manager: the calling thread (and the processes it starts)
    runs inside network namespace `name` (as made by `ip netns add`);
    None does nothing.  The thread's own namespace is restored at exit."""

    def __init__(self, name):
        self.name = name
        self.own = None

    def __enter__(self):
        if self.name is None:
            return self
        if _libc is None:
            raise HarnessError("no libc for setns()")
        self.own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        try:
            fd = os.open("/run/netns/" + self.name, os.O_RDONLY)
        except OSError as e:
            os.close(self.own)
            raise HarnessError("network namespace %s: %s" % (self.name, e))
        try:
            if _libc.setns(fd, _CLONE_NEWNET) != 0:
                raise HarnessError("setns(%s): %s" % (
                    self.name, os.strerror(ctypes.get_errno())))
        except BaseException:
            os.close(self.own)
            raise
        finally:
            os.close(fd)
        return self

    def __exit__(self, *exc):
        if self.own is None:
            return False
        try:
            if _libc.setns(self.own, _CLONE_NEWNET) != 0:
                raise HarnessError("setns back: %s"
                                   % os.strerror(ctypes.get_errno()))
        finally:
            os.close(self.own)
            self.own = None
        return False


# --------------------------------------------------------------------------
# /proc helpers

def _proc_info(pid):
    """(pgid, mnt_ns, cmdline) of pid, or None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            stat = f.read().decode("utf-8", "replace")
        # comm may hold spaces and parens: fields start after the last ')'
        rest = stat[stat.rindex(")") + 2:].split()
        state, pgid = rest[0], int(rest[2])
        if state in ("Z", "X"):
            return None
        try:
            ns = os.readlink("/proc/%d/ns/mnt" % pid)
        except OSError:
            ns = None
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            raw = f.read()
        cmd = raw.replace(b"\0", b" ").decode("utf-8", "replace").strip()
        return pgid, ns, cmd
    except (OSError, ValueError, IndexError):
        return None


def _all_pids():
    for name in os.listdir("/proc"):
        if name.isdigit():
            yield int(name)


# --------------------------------------------------------------------------
# Config helpers

def _conf_value(v):
    """Render a value for dovecot.conf, quoting when needed."""
    s = str(v)
    if "\n" in s or "\r" in s:
        raise ValueError("newline in config value: %r" % s)
    if s == "" or (s.strip() == s and not any(c in s for c in '#"\\{}')):
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _conf_key(k):
    if not re.match(r"^[A-Za-z0-9_/.-]+$", k or ""):
        raise ValueError("bad config key: %r" % k)
    return k


def passdb_conf(name, driver, args="", settings=None):
    """A passdb block for extra_conf/auth_conf in the installed Dovecot's
    syntax.  2.3: `passdb { driver = DRIVER  args = ARGS }` (name and
    settings unused); 2.4: `passdb NAME { driver = DRIVER  key = value
    ... }` from settings (args unused: 2.4 has none).  A 2.4 name must
    differ from the other passdbs' (the harness's own are "lockout" and
    "passwd-file"): blocks of the same name are merged."""
    if dovecot_version()[:2] < (2, 4):
        text = "passdb {\n  driver = %s\n" % _conf_value(driver)
        if args:
            text += "  args = %s\n" % _conf_value(args)
        return text + "}\n"
    text = "passdb %s {\n  driver = %s\n" % (_conf_key(name),
                                             _conf_value(driver))
    for k, v in (settings or {}).items():
        text += "  %s = %s\n" % (_conf_key(k), _conf_value(v))
    return text + "}\n"


def _free_port_base(count, tries=200):
    """A base port such that base..base+count-1 are free on 127.0.0.1.

    Chosen below the kernel's ephemeral range so that outgoing connections
    cannot take them between our check and Dovecot's bind."""
    low = 32768
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    hi = max(min(low, 32768) - count - 1, 10001 + count)
    for _ in range(tries):
        base = random.randrange(10000, hi)
        socks = []
        try:
            for p in range(base, base + count):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise HarnessError("no free port range found on 127.0.0.1")


def _check_traversable(path):
    """Raise unless others may traverse every ancestor of path."""
    p = os.path.dirname(os.path.abspath(path))
    while True:
        st = os.stat(p)
        if not st.st_mode & 0o001:
            raise HarnessError(
                "%s is not traversable by the dovecot/dovenull users "
                "(mode %o); pass tmp_parent= a world-traversable directory"
                % (p, st.st_mode & 0o7777))
        if p == "/":
            return
        p = os.path.dirname(p)


_version_cache = {}


def dovecot_version(binary=DOVECOT_BIN):
    """(major, minor, micro) of the installed Dovecot, from `dovecot
    --version` ("2.3.19.1 (9b53102964)", "2.4.1-4 (7d8c0e5759)")."""
    if binary not in _version_cache:
        try:
            out = subprocess.run([binary, "--version"],
                                 stdin=subprocess.DEVNULL,
                                 capture_output=True, text=True,
                                 env=_child_env()).stdout
        except OSError as e:
            raise HarnessError("%s --version: %s" % (binary, e))
        m = re.match(r"^(\d+)\.(\d+)\.(\d+)", out.strip())
        if not m:
            raise HarnessError("%s --version: unexpected output %r"
                               % (binary, out))
        _version_cache[binary] = tuple(int(x) for x in m.groups())
    return _version_cache[binary]


AUTH_MODULE = "lib20_lockout_auth.so"
DOVEADM_MODULE = "lib20_doveadm_lockout_plugin.so"


def find_lockout_modules(build_dir=None):
    """The built modules as a module_dirs dict for Dovecot(): from
    build_dir, else $LOCKOUT_BUILD_DIR, else <repo>/build, else the
    repository itself (an in-tree build).  Raises HarnessError when they
    are not built."""
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__),
                                        "..", ".."))
    candidates = [build_dir, os.environ.get("LOCKOUT_BUILD_DIR"),
                  os.path.join(repo, "build"), repo]
    for top in candidates:
        if not top:
            continue
        auth = os.path.join(top, "src", "auth", ".libs", AUTH_MODULE)
        doveadm = os.path.join(top, "src", "doveadm", ".libs",
                               DOVEADM_MODULE)
        if os.path.exists(auth) and os.path.exists(doveadm):
            found = {"auth": [auth], "doveadm": [doveadm]}
            # Dovecot 2.4: the settings module (modules/settings)
            settings = sorted(glob.glob(os.path.join(
                top, "src", "*", ".libs", "lib*_lockout_settings.so")))
            if settings:
                found["settings"] = settings
            return found
    raise HarnessError("lockout modules are not built (run "
                       "scripts/build.sh, or set LOCKOUT_BUILD_DIR)")


# Settings spelt the same in 2.3 and 2.4, in the order of the 2.3 file.
_HEAD_CONF = """\
instance_name = {inst}
base_dir = {base}
state_dir = {state}
log_path = {log}
protocols = imap pop3
listen = 127.0.0.1
ssl = no
"""
_AUTH_CONF = """\
auth_mechanisms = plain login cram-md5
auth_failure_delay = 0
auth_verbose = {verbose}
auth_debug = {debug}
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = {uid}
first_valid_gid = 1
"""

# The services of every instance: loopback listeners on the chosen ports,
# auth sockets for the tests, no anvil auth penalty, a stats process that
# the master respawns.  listen_key: "address" (2.3) or "listen" (2.4).
_SERVICES_CONF = """\
service imap-login {{
  inet_listener imap {{
    {listen_key} = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    {listen_key} = 127.0.0.1
    port = {pop3}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service auth {{
  unix_listener auth-client {{
    mode = 0666
  }}
  unix_listener auth-test {{
    mode = 0666
  }}
}}
# No anvil auth penalty: it would delay repeated failures.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
# Keep stats running, and have the master respawn it when killed.
service stats {{
  process_min_avail = 1
}}

"""


def _services_conf(listen_key, imap, pop3):
    return _SERVICES_CONF.format(listen_key=listen_key, imap=imap, pop3=pop3)


# --------------------------------------------------------------------------
# The private Dovecot instance

class Dovecot:
    """A private Dovecot instance living in one temporary directory.

    Attributes after start(): tmp, conf_path, base_dir, state_dir,
    log_path, module_dir, passwd_path, lockout_dir, imap_port, pop3_port,
    ports (dict), auth_socket (auth-client), auth_test_socket, users,
    master_pid, instance_name.

    stop() stops the processes and keeps the files (restart() starts again
    on them, so the plugin's database survives); close() stops and removes
    the temporary directory.  The context manager starts and closes.
    """

    def __init__(self, module_dirs=None, plugin_settings=None,
                 extra_conf="", passdb_lockout=True, users=None,
                 passdb_lockout_args="", auth_verbose=True, auth_debug=False,
                 env=None, tmp_parent="/tmp", start_timeout=_START_TIMEOUT,
                 exclude_installed_lockout=True, netns=None,
                 auth_conf=None, wait_auth=True, hostname=None):
        """module_dirs: {"auth": [so, ...], "doveadm": [...], "": [...]}
        (key = subdirectory of the modules dir, "" for mail plugins).
        plugin_settings: {"lockout_x": value} for plugin { } (2.4: top
        level); merged over the defaults lockout_db=<tmp>/lockout/lockout.db
        and lockout_allow_networks="" (a value of None drops a key).
        extra_conf: raw text appended to dovecot.conf (later settings
        override earlier ones).  passdb_lockout: put
        `passdb { driver = lockout }` before the passwd-file passdb.
        users: {user: password}, default DEFAULT_USERS.
        exclude_installed_lockout: leave out of the stock module copy any
        *lockout* file already installed on the host.
        netns: run Dovecot inside this network namespace (`ip netns
        exec`); its readiness probe runs there too, and so must the
        clients (see in_netns()).
        auth_conf: raw passdb/userdb text that replaces the harness's own
        passwd-file passdb and userdb (after the lockout passdb); the
        users then live wherever it says, not in passwd_path.
        hostname: Dovecot, doveadm and whatever runs through
        modules_argv() (lockoutd) see this host name (a UTS namespace of
        their own), so that instances on one machine are distinct nodes."""
        if os.geteuid() != 0:
            raise HarnessError("the harness must run as root")
        self.module_dirs = {k: list(v) for k, v in (module_dirs or {}).items()}
        for k in self.module_dirs:
            if k not in ("", ".") and (k.startswith("/") or ".." in k):
                raise ValueError("bad module subdirectory: %r" % k)
            for so in self.module_dirs[k]:
                if not os.path.isfile(so):
                    raise HarnessError("module file not found: %s" % so)
        self.plugin_settings = dict(plugin_settings or {})
        self.extra_conf = extra_conf or ""
        self.passdb_lockout = passdb_lockout
        self.passdb_lockout_args = passdb_lockout_args
        self.auth_verbose = auth_verbose
        self.auth_debug = auth_debug
        self.extra_env = dict(env or {})
        self.users = dict(DEFAULT_USERS if users is None else users)
        for u, p in self.users.items():
            self._check_user(u, p)
        self.start_timeout = start_timeout
        self.exclude_installed_lockout = exclude_installed_lockout
        self.netns = netns
        self.auth_conf = auth_conf
        self.wait_auth = wait_auth
        if hostname is not None and not re.match(
                r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,62})$", hostname):
            raise ValueError("bad host name: %r" % hostname)
        self.hostname = hostname
        self.dovecot_version = dovecot_version()
        # 2.4 has another configuration syntax (see _config_text_24)
        self.v24 = self.dovecot_version[:2] >= (2, 4)
        self.dovecot_uid = pwd.getpwnam("dovecot").pw_uid
        self.dovecot_gid = grp.getgrnam("dovecot").gr_gid

        self.proc = None
        self.master_pid = None
        self._mnt_ns = None
        self._known_pids = set()
        self._final_log = None
        self.closed = False
        self.ports = {}
        self.imap_port = self.pop3_port = None

        _check_traversable(os.path.join(tmp_parent, "x"))
        self.tmp = tempfile.mkdtemp(prefix="lockout-it-", dir=tmp_parent)
        with _instances_lock:
            _instances.append(self)
        try:
            self._layout()
        except BaseException:
            self.close()
            raise

    # ---- layout ----------------------------------------------------------

    @staticmethod
    def _check_user(user, password):
        if not user or any(c in user for c in ":/\n\r\t\0") or \
                user.startswith("."):
            raise ValueError("unusable user name: %r" % user)
        if any(c in password for c in "\n\r\0"):
            raise ValueError("unusable password for %s" % user)

    def _layout(self):
        t = self.tmp
        os.chmod(t, 0o755)
        self.instance_name = "lt-" + os.path.basename(t).split("-")[-1]
        self.conf_path = os.path.join(t, "dovecot.conf")
        self.base_dir = os.path.join(t, "run")
        self.state_dir = os.path.join(t, "state")
        self.log_path = os.path.join(t, "dovecot.log")
        self.stderr_path = os.path.join(t, "master.stderr")
        self.module_dir = os.path.join(t, "modules")
        self.passwd_path = os.path.join(t, "passwd")
        self.home_root = os.path.join(t, "home")
        self.lockout_dir = os.path.join(t, "lockout")
        self.auth_socket = os.path.join(self.base_dir, "auth-client")
        self.auth_test_socket = os.path.join(self.base_dir, "auth-test")
        for d in (self.base_dir, self.state_dir):
            os.mkdir(d)
            os.chmod(d, 0o755)
        for d in (self.home_root, self.lockout_dir):
            os.mkdir(d)
            os.chown(d, self.dovecot_uid, self.dovecot_gid)
            os.chmod(d, 0o755 if d == self.home_root else 0o750)
        self._copy_stock_modules()
        self._write_passwd()

    def _copy_stock_modules(self):
        r = subprocess.run(["cp", "-a", STOCK_MODULE_DIR, self.module_dir],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True)
        if r.returncode != 0:
            raise HarnessError("copying %s failed: %s"
                               % (STOCK_MODULE_DIR, r.stderr.strip()))
        os.chmod(self.module_dir, 0o755)
        if self.exclude_installed_lockout:
            for dirpath, _, files in os.walk(self.module_dir):
                for f in files:
                    if "lockout" in f:
                        os.unlink(os.path.join(dirpath, f))

    def _install_extra_modules(self):
        """Copy (again, so rebuilt modules are picked up) the extra .so
        files into the private module tree."""
        for sub, files in self.module_dirs.items():
            dest = self.module_dir if sub in ("", ".") else \
                os.path.join(self.module_dir, sub)
            os.makedirs(dest, exist_ok=True)
            os.chmod(dest, 0o755)
            for so in files:
                # a new inode each time: never rewrite a mapped library
                target = os.path.join(dest, os.path.basename(so))
                shutil.copyfile(so, target + ".new")
                os.chmod(target + ".new", 0o644)
                os.rename(target + ".new", target)

    def _write_passwd(self):
        lines = []
        for user, pw in self.users.items():
            if pw.isascii() and pw.isprintable() and ":" not in pw and \
                    pw.strip() == pw:
                crypted = "{PLAIN}" + pw
            else:
                crypted = "{PLAIN.B64}" + \
                    base64.b64encode(pw.encode()).decode()
            home = os.path.join(self.home_root, user)
            if not os.path.isdir(home):
                os.mkdir(home, 0o700)
                os.chown(home, self.dovecot_uid, self.dovecot_gid)
            lines.append("%s:%s:%d:%d::%s::\n" % (
                user, crypted, self.dovecot_uid, self.dovecot_gid, home))
        tmpname = self.passwd_path + ".new"
        with open(tmpname, "w") as f:
            f.writelines(lines)
        os.chown(tmpname, 0, self.dovecot_gid)
        os.chmod(tmpname, 0o640)
        # passwd-file reloads when mtime (in seconds) or size changed: make
        # sure the mtime moves
        stamp = max(int(time.time()), getattr(self, "_passwd_stamp", 0) + 1)
        os.utime(tmpname, (stamp, stamp))
        self._passwd_stamp = stamp
        os.rename(tmpname, self.passwd_path)

    def _passwd_changed(self, wait):
        # passwd-file looks at the file at most once per wall-clock second:
        # after the next second boundary the change is certainly seen.
        if wait and self.running():
            time.sleep(1.0 - time.time() % 1.0 + 0.01)

    def set_user(self, user, password, wait=True):
        """Add a user or change a password.  passwd-file notices by itself;
        with wait, return only once it certainly has (< 1 s)."""
        self._check_user(user, password)
        self.users[user] = password
        self._write_passwd()
        self._passwd_changed(wait)

    def remove_user(self, user, wait=True):
        """Remove a user (see set_user)."""
        self.users.pop(user, None)
        self._write_passwd()
        self._passwd_changed(wait)

    def _plugin_block(self):
        settings = {
            "lockout_db": os.path.join(self.lockout_dir, "lockout.db"),
            "lockout_allow_networks": "",
        }
        settings.update(self.plugin_settings)
        out = ["plugin {\n"]
        for k, v in settings.items():
            if v is None:
                continue
            out.append("  %s = %s\n" % (_conf_key(k), _conf_value(v)))
        out.append("}\n")
        return "".join(out)

    def _head_conf(self):
        """The instance's own paths and listeners (both generations)."""
        head = _HEAD_CONF.format(inst=self.instance_name, base=self.base_dir,
                                 state=self.state_dir, log=self.log_path)
        if _PRELOAD:
            head += "default_vsz_limit = 0\n"
        return head

    def _auth_conf(self):
        """Auth and privilege settings (both generations)."""
        return _AUTH_CONF.format(
            verbose="yes" if self.auth_verbose else "no",
            debug="yes" if self.auth_debug else "no", uid=self.dovecot_uid)

    def config_text(self):
        """The dovecot.conf this instance runs with."""
        if self.v24:
            return self._config_text_24()
        passdbs = ""
        if self.passdb_lockout:
            passdbs += "passdb {\n  driver = lockout\n"
            if self.passdb_lockout_args:
                passdbs += "  args = %s\n" % _conf_value(
                    self.passdb_lockout_args)
            passdbs += "}\n"
        userdb = ""
        if self.auth_conf is None:
            passdbs += ("passdb {\n  driver = passwd-file\n"
                        "  args = scheme=PLAIN username_format=%%u %s\n}\n"
                        % self.passwd_path)
            userdb = ("userdb {\n  driver = passwd-file\n"
                      "  args = username_format=%%u %s\n}\n"
                      % self.passwd_path)
        else:
            passdbs += self.auth_conf
        return """\
# Generated by tests/integration/lockout_harness.py: a private instance.
{head}disable_plaintext_auth = no
{auth}mail_location = maildir:~/Maildir
verbose_proctitle = yes
import_environment = {ienv}
shutdown_clients = yes

{passdbs}
{userdb}
{services}{plugin}
{extra}
""".format(head=self._head_conf(), auth=self._auth_conf(),
           ienv=" ".join([_IMPORT_ENV] + sorted(self.extra_env)),
           passdbs=passdbs, userdb=userdb,
           services=_services_conf("address", self.imap_port,
                                   self.pop3_port),
           plugin=self._plugin_block(), extra=self.extra_conf)

    def _lockout_settings_24(self):
        """Top-level lockout_* lines (2.4 has no plugin { }).  Written only
        when the settings module is loaded: without it Dovecot 2.4 stops
        at start on any lockout_* setting ("Unknown setting")."""
        if not self.module_dirs.get("settings"):
            if self.plugin_settings:
                raise HarnessError("Dovecot %s: lockout_* settings need the "
                                   "settings module (module_dirs "
                                   "\"settings\")" % self._version_str())
            return ""
        settings = {
            "lockout_db": os.path.join(self.lockout_dir, "lockout.db"),
            "lockout_allow_networks": "",
        }
        settings.update(self.plugin_settings)
        return "".join("%s = %s\n" % (_conf_key(k), _conf_value(v))
                       for k, v in settings.items() if v is not None)

    def _version_str(self):
        return ".".join(map(str, self.dovecot_version))

    def _config_text_24(self):
        """The dovecot.conf for Dovecot 2.4: named passdb/userdb blocks
        with driver settings instead of args, top-level plugin settings,
        mail_driver/mail_path, inet_listener listen, strlist
        import_environment, one setting per line."""
        if self.passdb_lockout_args:
            raise HarnessError("Dovecot 2.4 passdbs take no args: put "
                               "settings inside the passdb block instead")
        passdbs = ""
        if self.passdb_lockout:
            passdbs += "passdb lockout {\n  driver = lockout\n}\n"
        userdb = ""
        if self.auth_conf is None:
            passdbs += ("passdb passwd-file {\n"
                        "  passwd_file_path = %s\n"
                        "  default_password_scheme = PLAIN\n"
                        "  auth_username_format = %%{user}\n}\n"
                        % self.passwd_path)
            userdb = ("userdb passwd-file {\n"
                      "  passwd_file_path = %s\n"
                      "  auth_username_format = %%{user}\n}\n"
                      % self.passwd_path)
        else:
            passdbs += self.auth_conf
        ienv = "".join("  %s = %%{env:%s}\n" % (k, k) for k in
                       _IMPORT_ENV.split() + sorted(self.extra_env))
        return """\
# Generated by tests/integration/lockout_harness.py: a private instance.
dovecot_config_version = {cfgver}
dovecot_storage_version = {cfgver}
{head}auth_allow_cleartext = yes
{auth}mail_driver = maildir
mail_path = ~/Maildir
verbose_proctitle = yes
import_environment {{
{ienv}}}
shutdown_clients = yes

{passdbs}
{userdb}
{services}{lockout}
{extra}
""".format(cfgver=self._version_str(), head=self._head_conf(),
           auth=self._auth_conf(), ienv=ienv, passdbs=passdbs,
           userdb=userdb,
           services=_services_conf("listen", self.imap_port, self.pop3_port),
           lockout=self._lockout_settings_24(), extra=self.extra_conf)

    # ---- start / stop ------------------------------------------------------

    def __enter__(self):
        if not self.running():
            self.start()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        """Start the instance and wait until IMAP, POP3 and auth answer."""
        if self.closed:
            raise HarnessError("instance already closed")
        if self.running():
            raise HarnessError("instance already running")
        _install_signal_handlers()
        if not self.ports or not self._ports_free():
            base = _free_port_base(2)
            self.ports = {"imap": base, "pop3": base + 1}
        self.imap_port = self.ports["imap"]
        self.pop3_port = self.ports["pop3"]
        self._install_extra_modules()
        with open(self.conf_path, "w") as f:
            f.write(self.config_text())
        os.chmod(self.conf_path, 0o644)
        self._log_start = len(self.log_text())
        argv = self.modules_argv([DOVECOT_BIN, "-F", "-c", self.conf_path])
        if self.netns is not None:
            argv = ["ip", "netns", "exec", self.netns] + argv
        main_thread = threading.current_thread() is threading.main_thread()
        with open(self.stderr_path, "ab") as errf:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=errf, stderr=errf,
                start_new_session=True, env=_child_env(self.extra_env),
                preexec_fn=_make_preexec(main_thread))
        self.master_pid = self.proc.pid
        self._mnt_ns = None
        self._known_pids = {self.master_pid}
        try:
            with in_netns(self.netns):
                self._wait_ready()
        except BaseException:
            try:
                self.stop()
            except Exception:
                pass
            raise
        return self

    def _ports_free(self):
        for p in self.ports.values():
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                return False
            finally:
                s.close()
        return True

    def _startup_failure(self, why):
        return HarnessError("Dovecot did not start: %s\n--- master stderr\n"
                            "%s--- log tail\n%s" % (
                                why, _tail(_read(self.stderr_path), 20),
                                self.log_tail(30)))

    def _wait_ready(self):
        deadline = time.monotonic() + self.start_timeout
        own_ns = os.readlink("/proc/self/ns/mnt")
        need = {"imap", "pop3", "auth"} if self.wait_auth else \
            {"listening"}
        last_err = "nothing answered"
        while True:
            if self.proc.poll() is not None:
                raise self._startup_failure(
                    "master exited with code %s" % self.proc.returncode)
            if self._mnt_ns is None:
                info = _proc_info(self.master_pid)
                if info and info[1] and info[1] != own_ns and \
                        DOVECOT_BIN in info[2]:
                    self._mnt_ns = info[1]
            fatal = re.search(r"^.*: (Fatal|Panic): .*$",
                              self.log_text()[self._log_start:], re.M)
            if fatal:
                raise self._startup_failure(fatal.group(0))
            if "listening" in need and os.path.exists(self.auth_socket):
                need.discard("listening")
            try:
                if "imap" in need:
                    with _LineConn(("127.0.0.1", self.imap_port), 2.0) as c:
                        g = c.readline()
                        if not g.startswith("* OK"):
                            raise ProtocolError("IMAP greeting %r" % g)
                    need.discard("imap")
                if "pop3" in need:
                    with _LineConn(("127.0.0.1", self.pop3_port), 2.0) as c:
                        g = c.readline()
                        if not g.startswith("+OK"):
                            raise ProtocolError("POP3 greeting %r" % g)
                    need.discard("pop3")
                if "auth" in need:
                    with AuthClient(self, timeout=2.0):
                        pass
                    need.discard("auth")
            except (OSError, ProtocolError) as e:
                last_err = "%s: %s" % (type(e).__name__, e)
            if not need and self._mnt_ns is not None:
                return
            if time.monotonic() > deadline:
                raise self._startup_failure(
                    "not ready after %.0f s (waiting for %s; last error: %s)"
                    % (self.start_timeout, ", ".join(sorted(need)) or
                       "mount namespace", last_err))
            time.sleep(0.05)

    def processes(self):
        """{pid: cmdline} of every live process of this instance: titled
        with its instance name or naming its configuration file."""
        out = {}
        prefix = "dovecot-%s/" % self.instance_name
        for pid in _all_pids():
            info = _proc_info(pid)
            if info is None:
                continue
            pgid, ns, cmd = info
            # Only by name: pids (pid_max may be 32768) and namespace
            # inodes are reused, so a group or namespace match could kill
            # another instance's processes, or a later doveadm of ours.
            if cmd.startswith(prefix) or self.conf_path in cmd:
                out[pid] = cmd
        # a restarted instance may not share the old group or namespace
        for pid in list(self._known_pids):
            if pid not in out:
                info = _proc_info(pid)
                if info and (info[2].startswith(prefix) or
                             self.conf_path in info[2]):
                    out[pid] = info[2]
        self._known_pids.update(out)
        return out

    def _service_name(self, cmd):
        """Service name in a proctitle of this instance, or None."""
        prefix = "dovecot-%s/" % self.instance_name
        if not cmd.startswith(prefix):
            return None
        words = cmd[len(prefix):].split(None, 1)
        return words[0].rstrip(":") if words else ""

    def pids(self, name):
        """PIDs of this instance's processes for a service name ("stats",
        "auth", "imap-login", "log", ...; "master" for the master)."""
        if name == "master":
            return [self.master_pid] if self.running() else []
        return [pid for pid, cmd in sorted(self.processes().items())
                if self._service_name(cmd) == name]

    def stop(self, timeout=10.0):
        """Stop every process of the instance; keep its files.

        SIGTERM to the master, which stops its children.  Its log process
        it keeps about a second longer; we end it ourselves as soon as it
        is alone and the log file has stopped growing (it has then written
        what the others sent).  SIGKILL for whatever is left at the
        deadline.  Raises HarnessError if a process of the instance
        survives."""
        if self.proc is None:
            self._kill_leftovers()
            return
        deadline = time.monotonic() + timeout
        if self.proc.poll() is None:
            try:
                os.kill(self.master_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        last_size, stable_since, alone_since = -1, None, None
        while self.proc.poll() is None and time.monotonic() < deadline:
            procs = self.processes()
            others = [p for p in procs if p != self.master_pid]
            logs = [p for p in others
                    if self._service_name(procs[p]) == "log"]
            now = time.monotonic()
            if others and len(logs) == len(others):
                size = _file_size(self.log_path)
                if size != last_size:
                    last_size, stable_since = size, now
                elif now - stable_since >= 0.02:
                    for p in logs:
                        _kill(p, signal.SIGTERM)
            elif not others:
                # All children are gone.  If the master had already
                # finished waiting for them when the log process ended, it
                # now idles until its kill timer (a second): nothing is
                # left for it to do but remove its pid file.
                if alone_since is None:
                    alone_since = now
                elif now - alone_since > 0.2:
                    _kill(self.master_pid, signal.SIGKILL)
                    try:
                        os.unlink(os.path.join(self.base_dir, "master.pid"))
                    except OSError:
                        pass
            time.sleep(0.005)
        if self.proc.poll() is None:
            _killpg(self.master_pid, signal.SIGKILL)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self._kill_leftovers(deadline=time.monotonic() + 3.0)
        self.proc = None
        # The group id and namespace inode may now be reused by others (the
        # next instance's namespace, even): stop matching on them.
        self.master_pid = None
        self._mnt_ns = None

    def _kill_leftovers(self, deadline=None):
        deadline = deadline or time.monotonic() + 3.0
        left = self.processes()
        left.pop(os.getpid(), None)
        while left and time.monotonic() < deadline:
            for pid in left:
                _kill(pid, signal.SIGKILL)
            time.sleep(0.05)
            left = self.processes()
        if left:
            raise HarnessError("processes of %s survived: %s"
                               % (self.tmp, left))

    def restart(self):
        """Stop and start again on the same files (database, mail, log)."""
        self.stop()
        return self.start()

    def close(self):
        """Stop, remember the log, remove the temporary directory."""
        if self.closed:
            return
        try:
            self.stop()
        finally:
            self._final_log = self.log_text()
            self.closed = True
            # (it stays in _instances so that runners can show its log)
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- processes ---------------------------------------------------------

    def kill_stats(self, sig=signal.SIGKILL, wait=True, timeout=5.0):
        """Kill the stats process; with wait, return the PID of the one the
        master starts in its place."""
        old = self.pids("stats")
        if not old:
            raise HarnessError("no stats process running")
        for p in old:
            _kill(p, sig)
        if not wait:
            return None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            new = [p for p in self.pids("stats") if p not in old]
            if new:
                return new[0]
            time.sleep(0.02)
        raise HarnessError("stats did not come back within %.0f s\n%s"
                           % (timeout, self.log_tail()))

    # ---- doveadm -----------------------------------------------------------

    def doveadm(self, *args, check=True, timeout=30.0, input=None):
        """Run `doveadm -c <conf> ARGS` in a private mount namespace with
        the instance's modules.  Returns (rc, stdout, stderr)."""
        return self._run_with_modules(DOVEADM_BIN, args, check, timeout,
                                      input)

    def doveconf(self, *args, check=True, timeout=30.0):
        """Run `doveconf -c <conf> ARGS` like doveadm() (Dovecot 2.4's
        doveconf loads the settings modules).  Returns (rc, out, err)."""
        return self._run_with_modules(DOVECONF_BIN, args, check, timeout,
                                      None)

    def doveconf_n_passdbs(self):
        """`doveconf -n` (which must print no warning): returns its output
        and the drivers of the passdbs in the order Dovecot consults
        them (2.4: a block's name where it names its driver)."""
        _, out, err = self.doveconf("-n")
        if "Warning" in err:
            raise HarnessError("doveconf -n warns: %s" % err)
        drivers = []
        for name, body in re.findall(r"^passdb ?([^{\n]*?) ?\{\n(.*?)^\}",
                                     out, re.M | re.S):
            # 2.4: the driver defaults to the block's name, and doveconf -n
            # leaves the default out
            m = re.search(r"^\s*driver = (\S+)", body, re.M)
            drivers.append(m.group(1) if m else name)
        return out, drivers

    def modules_argv(self, argv):
        """argv run with this instance's modules where Dovecot looks for
        them (a private mount namespace; the same pid: everything execs),
        e.g. for lockoutd, whose doveconf needs the settings module on
        2.4."""
        if self.hostname is None:
            return ["unshare", "-m", "--propagation", "private", "--",
                    "sh", "-c",
                    'mount --bind "$1" "$2" && shift 2 && exec "$@"',
                    "sh", self.module_dir, STOCK_MODULE_DIR] + list(argv)
        # a UTS namespace of its own too, with the instance's host name
        # (written to /proc: no hostname(1) needed, which a Debian 13 tree
        # may lack)
        return ["unshare", "-m", "-u", "--propagation", "private", "--",
                "sh", "-c",
                'echo "$3" > /proc/sys/kernel/hostname && '
                'mount --bind "$1" "$2" && shift 3 && exec "$@"',
                "sh", self.module_dir, STOCK_MODULE_DIR,
                self.hostname] + list(argv)

    def _run_with_modules(self, binary, args, check, timeout, input):
        if self.closed:
            raise HarnessError("instance already closed")
        argv = self.modules_argv([binary, "-c", self.conf_path] +
                                 [str(a) for a in args])
        p = subprocess.Popen(argv, stdin=subprocess.PIPE if input is not None
                             else subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True,
                             env=_child_env(self.extra_env),
                             preexec_fn=_make_preexec(
                                 threading.current_thread() is
                                 threading.main_thread()))
        try:
            out, err = p.communicate(input=input.encode() if
                                     isinstance(input, str) else input,
                                     timeout=timeout)
        except BaseException:
            _killpg(p.pid, signal.SIGKILL)
            p.wait()
            raise
        finally:
            _killpg(p.pid, signal.SIGKILL)  # nothing of it may linger
        out = out.decode("utf-8", "replace")
        err = err.decode("utf-8", "replace")
        if check and p.returncode != 0:
            raise HarnessError("%s %s: exit %d\nstdout: %s\nstderr: %s"
                               % (os.path.basename(binary),
                                  " ".join(map(str, args)), p.returncode,
                                  out.strip(), err.strip()))
        return p.returncode, out, err

    def doveadm_json(self, *args, check=True, timeout=30.0):
        """Run `doveadm -f json ARGS` and return the parsed output."""
        rc, out, err = self.doveadm("-f", "json", *args, check=check,
                                    timeout=timeout)
        try:
            return json.loads(out) if out.strip() else None
        except ValueError as e:
            raise HarnessError("doveadm %s: bad JSON (%s): %r"
                               % (" ".join(map(str, args)), e, out[:500]))

    # ---- log -------------------------------------------------------------

    def log_text(self):
        """The whole log of the instance (also after close())."""
        if self._final_log is not None and self.closed:
            return self._final_log
        return _read(self.log_path)

    def log_tail(self, n=40):
        return _tail(self.log_text(), n)

    def log_mark(self):
        """An offset for wait_for_log(since=...): only later lines count."""
        return len(self.log_text())

    def log_errors(self, since=0):
        """Lines logged with Error, Fatal or Panic."""
        return [ln for ln in self.log_text()[since:].splitlines()
                if re.search(r": (Error|Fatal|Panic): ", ln)]

    def wait_for_log(self, regex, timeout=5.0, since=0):
        """Wait until the log (from offset since) matches regex (multiline);
        return the match.  Raises HarnessError with the log tail."""
        rx = re.compile(regex, re.M)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.log_text(), since)
            if m:
                return m
            if time.monotonic() > deadline:
                raise HarnessError("log did not match %r within %.1f s\n%s"
                                   % (regex, timeout, self.log_tail()))
            time.sleep(0.02)


def _kill(pid, sig):
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _killpg(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _file_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return -1


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _tail(text, n):
    lines = text.splitlines()[-n:]
    return "".join(ln + "\n" for ln in lines)


# --------------------------------------------------------------------------
# Line-based connections

class _LineConn:
    """A TCP or unix stream socket read line by line, with a deadline per
    read.  EOF and timeouts raise ProtocolError."""

    def __init__(self, addr, timeout=_CLIENT_TIMEOUT, src=None, unix=False):
        self.timeout = timeout
        self.buf = b""
        self.what = addr if unix else "%s:%s" % addr
        if unix:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            try:
                self.sock.connect(addr)
            except BaseException:
                self.sock.close()
                raise
        else:
            for a in (addr[0], src):
                if a is not None and not ipaddress.ip_address(a).is_loopback:
                    raise ValueError("only loopback addresses are allowed "
                                     "here, not %s" % a)
            self.sock = socket.create_connection(
                addr, timeout, source_address=(src, 0) if src else None)
        self.sock.settimeout(timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def readline(self, eof_ok=False):
        """One line without its CRLF/LF."""
        deadline = time.monotonic() + self.timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProtocolError("timeout reading from %s (got %r)"
                                    % (self.what, self.buf[:200]))
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise ProtocolError("timeout reading from %s (got %r)"
                                    % (self.what, self.buf[:200]))
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                if eof_ok:
                    return None
                raise ProtocolError("connection closed by %s (got %r)"
                                    % (self.what, self.buf[:200]))
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")


# --------------------------------------------------------------------------
# IMAP

def _imap_astring(s):
    """(text, literal) for an IMAP astring argument.  Quoted when possible,
    else a literal (returned separately)."""
    b = s.encode("utf-8")
    if b"\0" in b:
        raise ValueError("NUL cannot be sent in an IMAP string")
    if all(0x20 <= c < 0x7f for c in b):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"', None
    return None, b


def _need_running(d):
    if not d.running():
        raise HarnessError("Dovecot instance %s is not running" % d.tmp)


class _Imap:
    def __init__(self, d, src, timeout):
        _need_running(d)
        self.c = _LineConn(("127.0.0.1", d.imap_port), timeout, src=src)
        self.tagn = 0
        self.caps = set()
        self.greeting = self.c.readline()
        m = re.match(r"\* OK \[CAPABILITY ([^\]]*)\]", self.greeting)
        if m:
            self.caps = set(m.group(1).upper().split())

    def close(self):
        self.c.close()

    def tag(self):
        self.tagn += 1
        return "a%d" % self.tagn

    def read_tagged(self, tag):
        """Read to the tagged reply; returns (tagged_line, bye_line)."""
        bye = None
        while True:
            line = self.c.readline(eof_ok=True)
            if line is None:
                if bye:
                    return None, bye
                raise ProtocolError("IMAP connection closed before the "
                                    "reply to %s" % tag)
            if line.startswith(tag + " "):
                return line, bye
            if line.startswith("* BYE"):
                bye = line
            elif line.startswith("+"):
                raise ProtocolError("unexpected IMAP continuation: %r" % line)
            elif not line.startswith("* "):
                raise ProtocolError("unexpected IMAP line: %r" % line)

    def command(self, *args):
        """Send a command made of atoms (str) and astrings (tuple ("s", x));
        literals are sent synchronously.  Returns (tagged_line, bye)."""
        tag = self.tag()
        pending = tag
        for a in args:
            if isinstance(a, tuple):
                text, lit = _imap_astring(a[1])
                if lit is None:
                    pending += " " + text
                    continue
                plus = "LITERAL+" in self.caps
                self.c.send("%s {%d%s}\r\n" % (pending, len(lit),
                                               "+" if plus else ""))
                if not plus:
                    cont = self.c.readline()
                    if cont.startswith(tag + " "):
                        return cont, None
                    if not cont.startswith("+"):
                        raise ProtocolError("expected IMAP continuation, "
                                            "got %r" % cont)
                self.c.send(lit)
                pending = ""
            else:
                pending += " " + a
        self.c.send(pending + "\r\n")
        return self.read_tagged(tag)

    def logout(self):
        try:
            tag = self.tag()
            self.c.send(tag + " LOGOUT\r\n")
            self.read_tagged(tag)
        except (OSError, ProtocolError):
            pass


def _imap_result(tagged, bye):
    if tagged is None:
        return False, bye
    parts = tagged.split(" ", 2)
    if len(parts) < 2 or parts[1] not in ("OK", "NO", "BAD"):
        raise ProtocolError("bad IMAP tagged reply: %r" % tagged)
    return parts[1] == "OK", tagged


def imap_login(d, user, password, src="127.0.0.1", timeout=_CLIENT_TIMEOUT):
    """IMAP LOGIN from source address src.  Returns (ok, tagged reply line)
    (or (False, "* BYE ...") when the server hangs up instead)."""
    im = _Imap(d, src, timeout)
    try:
        if not im.greeting.startswith("* OK"):
            if im.greeting.startswith("* BYE"):
                return False, im.greeting
            raise ProtocolError("bad IMAP greeting: %r" % im.greeting)
        tagged, bye = im.command("LOGIN", ("s", user), ("s", password))
        ok, line = _imap_result(tagged, bye)
        if tagged is not None:
            im.logout()
        return ok, line
    finally:
        im.close()


def imap_authenticate_plain(d, user, password, src="127.0.0.1", authzid="",
                            sasl_ir=True, timeout=_CLIENT_TIMEOUT):
    """IMAP AUTHENTICATE PLAIN (with SASL-IR when advertised and sasl_ir).
    Returns (ok, tagged reply line)."""
    im = _Imap(d, src, timeout)
    try:
        if not im.greeting.startswith("* OK"):
            if im.greeting.startswith("* BYE"):
                return False, im.greeting
            raise ProtocolError("bad IMAP greeting: %r" % im.greeting)
        if not im.caps:
            tag = im.tag()
            im.c.send(tag + " CAPABILITY\r\n")
            while True:
                line = im.c.readline()
                if line.upper().startswith("* CAPABILITY "):
                    im.caps = set(line.upper().split()[2:])
                elif line.startswith(tag + " "):
                    break
        if "AUTH=PLAIN" not in im.caps:
            raise ProtocolError("server does not offer AUTH=PLAIN: %s"
                                % sorted(im.caps))
        resp = base64.b64encode(("%s\0%s\0%s" % (authzid, user, password))
                                .encode()).decode() or "="
        tag = im.tag()
        if sasl_ir and "SASL-IR" in im.caps:
            im.c.send("%s AUTHENTICATE PLAIN %s\r\n" % (tag, resp))
        else:
            im.c.send("%s AUTHENTICATE PLAIN\r\n" % tag)
            line = im.c.readline()
            if not line.startswith("+"):
                if line.startswith(tag + " "):
                    return _imap_result(line, None)
                raise ProtocolError("expected IMAP continuation, got %r"
                                    % line)
            im.c.send(resp + "\r\n")
        bye = None
        while True:
            line = im.c.readline(eof_ok=True)
            if line is None:
                if bye:
                    return False, bye
                raise ProtocolError("IMAP connection closed during "
                                    "AUTHENTICATE")
            if line.startswith(tag + " "):
                ok, reply = _imap_result(line, bye)
                im.logout()
                return ok, reply
            if line.startswith("+"):
                im.c.send("*\r\n")  # cancel: PLAIN needs one round only
                raise ProtocolError("unexpected second SASL challenge: %r"
                                    % line)
            if line.startswith("* BYE"):
                bye = line
            elif not line.startswith("* "):
                raise ProtocolError("unexpected IMAP line: %r" % line)
    finally:
        im.close()


# --------------------------------------------------------------------------
# POP3

def pop3_login(d, user, password, src="127.0.0.1", timeout=_CLIENT_TIMEOUT):
    """POP3 USER/PASS from source address src, then QUIT.  Returns
    (ok, reply line to PASS (or USER, or the greeting when refused))."""
    for s in (user, password):
        if any(c in s for c in "\r\n\0"):
            raise ValueError("CR/LF/NUL cannot be sent in POP3 USER/PASS")
    _need_running(d)
    with _LineConn(("127.0.0.1", d.pop3_port), timeout, src=src) as c:
        g = c.readline()
        if not g.startswith("+OK"):
            if g.startswith("-ERR"):
                return False, g
            raise ProtocolError("bad POP3 greeting: %r" % g)
        c.send("USER %s\r\n" % user)
        line = c.readline()
        if line.startswith("-ERR"):
            return False, line
        if not line.startswith("+OK"):
            raise ProtocolError("bad POP3 reply to USER: %r" % line)
        c.send("PASS %s\r\n" % password)
        line = c.readline(eof_ok=True)
        if line is None:
            raise ProtocolError("POP3 connection closed after PASS")
        if not (line.startswith("+OK") or line.startswith("-ERR")):
            raise ProtocolError("bad POP3 reply to PASS: %r" % line)
        try:
            c.send("QUIT\r\n")
            c.readline(eof_ok=True)
        except (OSError, ProtocolError):
            pass
        return line.startswith("+OK"), line


# --------------------------------------------------------------------------
# Dovecot auth-client protocol

_cpid_counter = itertools.count(1)
_cpid_lock = threading.Lock()


def _next_cpid():
    # CPIDs must be unique among the auth server's open client connections.
    with _cpid_lock:
        n = next(_cpid_counter)
    return (os.getpid() * 4096 + n) % 0x7fffffff or 1


def _tabescape(s):
    s = str(s)
    return (s.replace("\x01", "\x011").replace("\t", "\x01t")
            .replace("\r", "\x01r").replace("\n", "\x01n"))


def _tabunescape(s):
    out, i = [], 0
    while i < len(s):
        ch = s[i]
        if ch == "\x01" and i + 1 < len(s):
            out.append({"1": "\x01", "t": "\t", "r": "\r",
                        "n": "\n", "0": "\0"}.get(s[i + 1], s[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class AuthClient:
    """One connection to the instance's auth-client socket (handshake done
    in the constructor).  Several AUTH requests may share it."""

    def __init__(self, d, socket_path=None, timeout=_CLIENT_TIMEOUT):
        _need_running(d)
        path = socket_path or d.auth_socket
        self.c = _LineConn(path, timeout, unix=True)
        self.ids = itertools.count(1)
        self.mechs = {}
        self.outstanding = set()
        self.pending = {}
        try:
            self.c.send("VERSION\t1\t2\nCPID\t%d\n" % _next_cpid())
            while True:
                line = self.c.readline()
                f = line.split("\t")
                if f[0] == "DONE":
                    break
                if f[0] == "VERSION":
                    if f[1:2] != ["1"]:
                        raise ProtocolError("auth server version %r" % line)
                elif f[0] == "MECH":
                    self.mechs[f[1].upper()] = f[2:]
                elif f[0] not in ("SPID", "CUID", "COOKIE"):
                    raise ProtocolError("unexpected auth handshake line %r"
                                        % line)
        except BaseException:
            self.c.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        self.c.close()

    def _reply(self, rid):
        """Next reply line for request rid; replies to other outstanding
        requests read meanwhile are kept for them."""
        while True:
            queue = self.pending.get(rid)
            if queue:
                line = queue.pop(0)
                break
            line = self.c.readline()
            f = line.split("\t")
            if len(f) < 2 or f[0] not in ("OK", "FAIL", "CONT") or \
                    not f[1].isdigit() or int(f[1]) not in self.outstanding:
                raise ProtocolError("unexpected auth reply %r (waiting for "
                                    "request %d)" % (line, rid))
            if int(f[1]) == rid:
                break
            self.pending.setdefault(int(f[1]), []).append(line)
        f = line.split("\t")
        if f[0] != "CONT":
            self.outstanding.discard(rid)
            self.pending.pop(rid, None)
        return f[0], f, line

    def start(self, mech, service="smtp", rip="127.0.0.5", lip="127.0.0.1",
              resp=None, extra=()):
        """Send an AUTH request and return its id without waiting; collect
        the outcome with finish(id).  Many may be outstanding at once
        (failures are answered in batches, see finish())."""
        rid = next(self.ids)
        fields = ["AUTH", str(rid), mech, "service=" + _tabescape(service)]
        if lip:
            fields.append("lip=" + _tabescape(lip))
        if rip:
            fields.append("rip=" + _tabescape(rip))
        fields.append("secured")
        fields += [_tabescape(x) for x in extra]
        if resp is not None:
            fields.append("resp=" + base64.b64encode(resp).decode())
        self.outstanding.add(rid)
        self.c.send("\t".join(fields) + "\n")
        return rid

    def finish(self, rid, responder=None):
        """Wait for the outcome of request rid.  responder(challenge_bytes)
        -> response bytes answers each CONT.  Returns (ok, final OK/FAIL
        line, fields dict).  Dovecot 2.3.19 answers failures from a 500 ms
        periodic timer even with auth_failure_delay = 0, so a FAIL takes up
        to half a second: run many requests at once when counting."""
        rounds = 0
        while True:
            kind, f, line = self._reply(rid)
            if kind != "CONT":
                kv = {}
                for x in f[2:]:
                    k, _, v = _tabunescape(x).partition("=")
                    kv[k] = v
                return kind == "OK", line, kv
            rounds += 1
            if responder is None or rounds > 10:
                raise ProtocolError("unexpected auth CONT: %r" % line)
            try:
                chal = base64.b64decode(f[2] if len(f) > 2 else "",
                                        validate=True)
            except ValueError:
                raise ProtocolError("bad base64 in auth CONT: %r" % line)
            answer = responder(chal)
            self.c.send("CONT\t%d\t%s\n"
                        % (rid, base64.b64encode(answer).decode()))

    def auth(self, mech, service="smtp", rip="127.0.0.5", lip="127.0.0.1",
             resp=None, responder=None, extra=()):
        """One whole AUTH exchange.  resp: initial response bytes (None:
        none).  extra: more "key=value" fields.  Returns (ok, final line,
        fields dict)."""
        rid = self.start(mech, service=service, rip=rip, lip=lip, resp=resp,
                         extra=extra)
        return self.finish(rid, responder)

    @staticmethod
    def _plain_resp(user, password, authzid=""):
        return ("%s\0%s\0%s" % (authzid, user, password)).encode()

    def plain(self, user, password, authzid="", **kw):
        """PLAIN; kw: service, rip, lip, extra.  -> (ok, line, fields)."""
        return self.auth("PLAIN", resp=self._plain_resp(user, password,
                                                        authzid), **kw)

    def start_plain(self, user, password, authzid="", **kw):
        """PLAIN without waiting: returns the id for finish()."""
        return self.start("PLAIN", resp=self._plain_resp(user, password,
                                                         authzid), **kw)

    def plain_many(self, attempts, **kw):
        """Run several PLAIN attempts at once: attempts is a list of
        (user, password) or (user, password, {per-attempt kw}).  Returns
        [(ok, line, fields)] in the same order."""
        rids = []
        for a in attempts:
            akw = dict(kw)
            if len(a) > 2:
                akw.update(a[2])
            rids.append(self.start_plain(a[0], a[1], **akw))
        return [self.finish(r) for r in rids]

    def cram_md5(self, user, password, **kw):
        """CRAM-MD5; kw: service, rip, lip, extra.  -> (ok, line, fields)."""
        def responder(chal):
            digest = hmac.new(password.encode(), chal, hashlib.md5)
            return ("%s %s" % (user, digest.hexdigest())).encode()
        return self.auth("CRAM-MD5", responder=responder, **kw)


def auth_client_plain(d, user, password, service="smtp", rip="127.0.0.5",
                      lip="127.0.0.1", timeout=_CLIENT_TIMEOUT,
                      socket_path=None):
    """PLAIN over the auth-client socket.  Returns (ok, OK/FAIL line)."""
    with AuthClient(d, socket_path, timeout) as a:
        ok, line, _ = a.plain(user, password, service=service, rip=rip,
                              lip=lip)
        return ok, line


def auth_client_cram_md5(d, user, password, service="smtp", rip="127.0.0.5",
                         lip="127.0.0.1", timeout=_CLIENT_TIMEOUT,
                         socket_path=None):
    """CRAM-MD5 over the auth-client socket.  Returns (ok, OK/FAIL line)."""
    with AuthClient(d, socket_path, timeout) as a:
        ok, line, _ = a.cram_md5(user, password, service=service, rip=rip,
                                 lip=lip)
        return ok, line


# --------------------------------------------------------------------------
# Network namespaces, nftables inside them, lockoutd (test_lockoutd.py,
# test_escape.py, lockout_nodes.py)

def lockoutd_bin(build_dir=None):
    """The built lockoutd: in build_dir, else $LOCKOUT_BUILD_DIR, else
    <repo>/build."""
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__),
                                        "..", ".."))
    top = build_dir or os.environ.get("LOCKOUT_BUILD_DIR") or \
        os.path.join(repo, "build")
    return os.path.join(top, "src", "lockoutd", "lockoutd")


def wait_until(what, fn, timeout=10.0, interval=0.02):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(interval)


# --------------------------------------------------------------------------
# Network namespaces and nft inside them

class Netns:
    """A private network namespace with lo up and extra addresses on lo;
    deleted (with whatever runs in it killed) on exit, and at interpreter
    exit if still there."""

    def __init__(self, addresses=()):
        self.name = "lockout-t%08x" % random.getrandbits(32)
        self.what = "network namespace " + self.name
        self.addresses = addresses

    def __enter__(self):
        register_resource(self)
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        try:
            self.run("ip", "link", "set", "lo", "up")
            for a in self.addresses:
                self.run("ip", "addr", "add", a, "dev", "lo")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def run(self, *argv, check=True):
        r = subprocess.run(["ip", "netns", "exec", self.name] + list(argv),
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=30)
        if check and r.returncode != 0:
            raise HarnessError("%s: exit %d: %s" % (" ".join(argv),
                                                    r.returncode,
                                                    r.stderr.strip()))
        return r

    def nft(self, *args, check=True):
        return self.run("nft", *args, check=check)

    def close(self):
        r = subprocess.run(["ip", "netns", "pids", self.name],
                           capture_output=True, text=True)
        for pid in r.stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        subprocess.run(["ip", "netns", "del", self.name],
                       capture_output=True)
        forget_resource(self)


def set_elements(ns, name):
    """{element: timeout in seconds or None} of set inet lockout <name>,
    or None when the table or set is missing."""
    r = ns.nft("-j", "list", "set", "inet", "lockout", name, check=False)
    if r.returncode != 0:
        return None
    out = {}
    for obj in json.loads(r.stdout)["nftables"]:
        for e in obj.get("set", {}).get("elem", []):
            timeout = None
            if isinstance(e, dict) and "elem" in e:
                timeout = e["elem"].get("timeout")
                e = e["elem"]["val"]
            if isinstance(e, dict) and "prefix" in e:
                e = "%s/%d" % (e["prefix"]["addr"], e["prefix"]["len"])
            out[e] = timeout
    return out


# --------------------------------------------------------------------------
# lockoutd

class Lockoutd:
    """lockoutd --foreground inside a namespace (a Netns), with the modules
    and configuration of Dovecot instance d, its stderr in a file in d's
    directory."""

    def __init__(self, ns, d, args=()):
        self.ns, self.d, self.args = ns, d, list(args)
        self.log_path = os.path.join(d.tmp, "lockoutd-%08x.log"
                                     % random.getrandbits(32))
        self.proc = None

    def start(self, wait=True):
        self.mark = len(self.log())
        with open(self.log_path, "ab") as f:
            self.proc = subprocess.Popen(
                self.d.modules_argv(
                    ["ip", "netns", "exec", self.ns.name, lockoutd_bin(),
                     "-c", self.d.conf_path, "--foreground"] + self.args),
                stdin=subprocess.DEVNULL, stdout=f, stderr=f,
                start_new_session=True)
        if wait:
            self.wait_log("firewall reconciled", since=self.mark)
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def stop(self):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        rc, self.proc = self.proc.returncode, None
        return rc

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def wait_log(self, text, since=0, timeout=10.0):
        def found():
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError("lockoutd exited with %s:\n%s"
                                     % (self.proc.returncode, self.log()))
            return text in self.log()[since:]
        try:
            wait_until("lockoutd log line %r" % text, found, timeout)
        except AssertionError as e:
            raise AssertionError("%s\n--- lockoutd log\n%s" % (e, self.log()))


def run_lockoutd(ns, *args, d=None, timeout=30):
    """lockoutd with args in the namespace (with d's modules, which
    doveconf needs on 2.4): (rc, stdout + stderr)."""
    argv = ["ip", "netns", "exec", ns.name, lockoutd_bin()] + list(args)
    if d is not None:
        argv = d.modules_argv(argv)
    r = subprocess.run(argv, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout + r.stderr


def sendmail_script(directory, body):
    """A lockout_sendmail for lockoutd, which runs it as the dovecot user:
    directory (made if missing, then owned by dovecot, so that the script
    may write there) with an executable shell script "sendmail" of body.
    Returns the script's path."""
    dovecot = pwd.getpwnam("dovecot")
    os.makedirs(directory, exist_ok=True)
    os.chown(directory, dovecot.pw_uid, dovecot.pw_gid)
    script = os.path.join(directory, "sendmail")
    with open(script, "w") as f:
        f.write("#!/bin/sh\n" + body)
    os.chmod(script, 0o755)
    return script


# --------------------------------------------------------------------------
# A tiny test runner

class TestResults(tuple):
    """(passed, failed), with .skipped as well."""

    def __new__(cls, passed, failed, skipped=0):
        t = super().__new__(cls, (passed, failed))
        t.skipped = skipped
        return t

    passed = property(lambda self: self[0])
    failed = property(lambda self: self[1])


def _indent(text, prefix="    "):
    return "".join(prefix + ln + "\n" for ln in text.rstrip("\n").splitlines())


def run_tests(module_globals, argv=None):
    """Run the module's test_* functions (or those named in argv, default
    sys.argv[1:]) in definition order.  setup_module()/teardown_module()
    run around them when defined.  Prints `PASS name`, `SKIP name: why` or
    `FAIL name: reason` (plus traceback and the log tails of the instances
    the test created).  Instances a test leaves running are closed after
    it.  Returns TestResults (passed, failed) with .skipped."""
    if argv is None:
        argv = sys.argv[1:]
    tests = [(n, f) for n, f in module_globals.items()
             if n.startswith("test_") and callable(f)]
    passed = failed = skipped = 0
    if argv:
        by_name = dict(tests)
        chosen = []
        for name in argv:
            if name in by_name:
                chosen.append((name, by_name[name]))
            else:
                print("FAIL %s: no such test" % name, flush=True)
                failed += 1
        tests = chosen
    setup = module_globals.get("setup_module")
    teardown = module_globals.get("teardown_module")
    try:
        if setup and tests:
            try:
                setup()
            except Exception as e:
                print("FAIL setup_module: %s: %s" % (type(e).__name__, e))
                print(_indent(traceback.format_exc()), end="", flush=True)
                return TestResults(passed, failed + len(tests), skipped)
        for name, fn in tests:
            with _instances_lock:
                first = len(_instances)
            try:
                fn()
            except SkipTest as e:
                skipped += 1
                print("SKIP %s: %s" % (name, e), flush=True)
            except Exception as e:
                failed += 1
                msg = str(e).split("\n", 1)[0] or repr(e)
                print("FAIL %s: %s: %s" % (name, type(e).__name__, msg))
                print(_indent(traceback.format_exc()), end="")
                with _instances_lock:
                    mine = _instances[first:]
                for d in mine:
                    print("    --- log tail of %s" % d.tmp)
                    print(_indent(d.log_tail(30), "    | "), end="")
                sys.stdout.flush()
            else:
                passed += 1
                print("PASS %s" % name, flush=True)
            finally:
                with _instances_lock:
                    mine = _instances[first:]
                for d in mine:
                    if not d.closed:
                        try:
                            d.close()
                        except Exception as e:
                            print("    cleanup of %s failed: %s"
                                  % (d.tmp, e), flush=True)
    finally:
        if teardown and tests:
            try:
                teardown()
            except Exception as e:
                print("FAIL teardown_module: %s: %s"
                      % (type(e).__name__, e), flush=True)
                failed += 1
    return TestResults(passed, failed, skipped)


def main(module_globals, argv=None):
    """Run the tests, print `N passed, N failed` last, exit 0 only when no
    test failed."""
    try:
        res = run_tests(module_globals, argv)
    finally:
        _close_all()
        close_resources()
    line = "%d passed, %d failed" % (res.passed, res.failed)
    if res.skipped:
        line += ", %d skipped" % res.skipped
    print(line, flush=True)
    sys.exit(0 if res.failed == 0 else 1)
