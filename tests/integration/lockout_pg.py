# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""A private PostgreSQL cluster for the integration tests (issue 14: the
shared ban table of several Dovecot nodes).  Standard library only.

    from lockout_pg import PostgresCluster

    with PostgresCluster() as pg:
        pg.create_role_and_db("lockout", "secret")
        pg.write_passfile(path, owner_uid=dovecot_uid)
        conninfo = pg.conninfo("lockout", passfile=path)
        pg.stop(); pg.start()        # an outage, the data kept
        pg.psql("SELECT 1")          # [["1"]]

What it is:
- Debian's server binaries (/usr/lib/postgresql/<newest>/bin, package
  `postgresql`, installed by scripts/install-deps.sh); the host's own
  cluster (`main`, which the package creates) is never started, read or
  connected to.
- `initdb` into a new temporary directory as the unprivileged `postgres`
  user (initdb and the server refuse root), with a cluster_name of its
  own so that its processes are found by their titles.
- It listens on nothing but a Unix socket in its own directory
  (listen_addresses = '', unix_socket_directories = <tmp>/sock, mode
  0755 so that the dovecot user reaches it): no TCP port to collide with,
  and a filesystem socket is reachable from any network namespace.
- Tuned for tests: fsync and full_page_writes off, small shared_buffers.
  Data survives stop()/start() and kill() (crash recovery from the WAL;
  the OS does not crash, so fsync=off loses nothing; synchronous_commit
  stays on, so no committed transaction is lost either).
- Authentication (pg_hba.conf): the bootstrap superuser `postgres` by
  peer (psql() runs as the OS user postgres), every other role with its
  password (scram-sha-256) and nothing else.
- Always cleaned up: close() (also at interpreter exit and at the end of
  the harness's main(), and on SIGTERM/SIGHUP through the harness's
  handlers: lockout_harness.register_resource()) stops the server, kills
  whatever of it is left and removes the directory.
"""

import csv
import glob
import io
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lockout_harness import (  # noqa: E402
    HarnessError, SkipTest, _all_pids, _check_traversable, _child_env,
    _kill, _proc_info, _read, _tail, forget_resource, register_resource)

__all__ = ["PostgresCluster", "pg_bin_dir", "require_postgres"]

OS_USER = "postgres"        # created by Debian's postgresql-common
SUPERUSER = "postgres"      # the cluster's bootstrap superuser
PORT = 5432                 # only names the socket file (.s.PGSQL.5432)


def pg_bin_dir():
    """The newest /usr/lib/postgresql/*/bin holding initdb, or None."""
    found = []
    for d in glob.glob("/usr/lib/postgresql/*/bin"):
        m = re.search(r"/postgresql/(\d+)(?:\.(\d+))?/bin$", d)
        if m and os.access(os.path.join(d, "initdb"), os.X_OK):
            found.append(((int(m.group(1)), int(m.group(2) or 0)), d))
    return max(found)[1] if found else None


def require_postgres():
    """Skip the running test unless the server and its OS user are here
    (scripts/install-deps.sh installs them; a Debian tree of
    scripts/test-in-tree.sh does not have them)."""
    if pg_bin_dir() is None:
        raise SkipTest("PostgreSQL server not installed (package "
                       "postgresql, scripts/install-deps.sh)")
    try:
        pwd.getpwnam(OS_USER)
    except KeyError:
        raise SkipTest("no %s user (package postgresql-common)" % OS_USER)


def _conn_value(v):
    """A libpq connection-string value, quoted when needed."""
    s = str(v)
    if s and not re.search(r"[\s'\\]", s):
        return s
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _passfile_field(v):
    return str(v).replace("\\", "\\\\").replace(":", "\\:")


def _sql_literal(s):
    return "'" + str(s).replace("'", "''") + "'"


def _sql_ident(s):
    return '"' + str(s).replace('"', '""') + '"'


class PostgresCluster:
    """A private PostgreSQL cluster in a temporary directory.

    Attributes: tmp, data_dir, socket_dir, log_path, bin_dir, port,
    cluster_name, roles ({role: (password, database)}).
    """

    def __init__(self, tmp_parent="/tmp", start_timeout=60.0,
                 settings=None):
        """settings: more postgresql.conf lines {name: value} (values
        written as given, strings quoted by the caller)."""
        if os.geteuid() != 0:
            raise HarnessError("PostgresCluster must run as root")
        self.bin_dir = pg_bin_dir()
        if self.bin_dir is None:
            raise HarnessError("PostgreSQL server binaries not found under "
                               "/usr/lib/postgresql (scripts/install-deps.sh)")
        pw = pwd.getpwnam(OS_USER)
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        self.start_timeout = start_timeout
        self.settings = dict(settings or {})
        self.port = PORT
        self.roles = {}
        self.closed = False
        self.initialized = False
        _check_traversable(os.path.join(tmp_parent, "x"))
        self.tmp = tempfile.mkdtemp(prefix="lockout-pg-", dir=tmp_parent)
        self.cluster_name = "lockout-pg-" + os.path.basename(
            self.tmp).split("-")[-1]
        self.what = "PostgreSQL cluster " + self.tmp
        register_resource(self)
        os.chmod(self.tmp, 0o755)
        self.data_dir = os.path.join(self.tmp, "data")
        self.socket_dir = os.path.join(self.tmp, "sock")
        self.log_path = os.path.join(self.tmp, "postgres.log")
        for d, mode in ((self.data_dir, 0o700), (self.socket_dir, 0o755)):
            os.mkdir(d)
            os.chown(d, self.uid, self.gid)
            os.chmod(d, mode)
        open(self.log_path, "a").close()
        os.chown(self.log_path, self.uid, self.gid)

    # ---- running things as the postgres user ------------------------------

    def _run(self, argv, input=None, timeout=60.0, check=True, env=None,
             user=OS_USER):
        """argv (a binary of bin_dir or a path) as the OS user `user`, in
        its own session, cwd /.  Returns (rc, stdout, stderr)."""
        if not argv[0].startswith("/"):
            argv = [os.path.join(self.bin_dir, argv[0])] + list(argv[1:])
        argv = ["runuser", "-u", user, "--"] + list(argv)
        e = _child_env(env)
        # PostgreSQL is not ours to sanitize: the sanitizer runtimes that
        # scripts/test-asan-dovecot.sh preloads into Dovecot would make
        # initdb and the server fail
        for k in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS"):
            e.pop(k, None)
        p = subprocess.Popen(argv, cwd="/", env=e, start_new_session=True,
                             stdin=subprocess.PIPE if input is not None
                             else subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = p.communicate(
                input.encode() if isinstance(input, str) else input,
                timeout=timeout)
        except subprocess.TimeoutExpired:
            _killpg_quiet(p.pid)
            p.communicate()
            if check:
                raise HarnessError("%s: no answer within %.0f s"
                                   % (" ".join(argv[3:]), timeout))
            return 124, "", "timed out after %.0f s" % timeout
        except BaseException:
            _killpg_quiet(p.pid)
            p.wait()
            raise
        out = out.decode("utf-8", "replace")
        err = err.decode("utf-8", "replace")
        if check and p.returncode != 0:
            raise HarnessError("%s: exit %d\nstdout: %s\nstderr: %s"
                               % (" ".join(argv[3:]), p.returncode,
                                  out.strip()[-2000:], err.strip()[-2000:]))
        return p.returncode, out, err

    # ---- create, start, stop ------------------------------------------------

    def init(self):
        """initdb and our configuration (once)."""
        if self.initialized:
            return
        self._run(["initdb", "-D", self.data_dir, "-U", SUPERUSER,
                   "-E", "UTF8", "--locale=C", "--no-sync",
                   "--auth-local=peer", "--auth-host=reject"],
                  timeout=120)
        conf = {
            "listen_addresses": "''",
            "unix_socket_directories": _sql_literal(self.socket_dir),
            "unix_socket_permissions": "0777",
            "port": str(self.port),
            "cluster_name": _sql_literal(self.cluster_name),
            "max_connections": "60",
            "shared_buffers": "16MB",
            "fsync": "off",
            # on: a commit is written to the WAL (the OS's cache: fsync is
            # off) before it is acknowledged, so kill() loses nothing that
            # was committed - the outage tests count on that
            "synchronous_commit": "on",
            "full_page_writes": "off",
            "password_encryption": "'scram-sha-256'",
            "logging_collector": "off",
            "log_min_messages": "warning",
            "log_connections": "off",
            "log_line_prefix": "'%m [%p] %q%u@%d '",
            "log_timezone": "'UTC'",
            "timezone": "'UTC'",
            "dynamic_shared_memory_type": "posix",
        }
        conf.update(self.settings)
        with open(os.path.join(self.data_dir, "postgresql.conf"), "a") as f:
            f.write("\n# lockout_pg.py: a private test cluster\n")
            for k, v in conf.items():
                f.write("%s = %s\n" % (k, v))
        hba = os.path.join(self.data_dir, "pg_hba.conf")
        with open(hba, "w") as f:
            f.write("# lockout_pg.py: the superuser by peer, every other "
                    "role by password; no TCP\n"
                    "local all %s peer\n"
                    "local all all scram-sha-256\n" % SUPERUSER)
        os.chown(hba, self.uid, self.gid)
        self.initialized = True

    def __enter__(self):
        if not self.running():
            self.start()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def postmaster_pid(self):
        """The running postmaster's pid (from postmaster.pid), or None."""
        text = _read(os.path.join(self.data_dir, "postmaster.pid"))
        try:
            pid = int(text.split("\n", 1)[0])
        except ValueError:
            return None
        info = _proc_info(pid)
        return pid if info and self.data_dir in info[2] else None

    def running(self):
        return self.postmaster_pid() is not None

    def start(self):
        """Start (initdb first if needed); return once it accepts
        connections."""
        if self.closed:
            raise HarnessError("cluster already closed")
        self.init()
        self._log_start = len(self.log_text())
        rc, out, err = self._run(
            ["pg_ctl", "-D", self.data_dir, "-l", self.log_path, "-w",
             "-t", str(int(self.start_timeout)), "-s", "start"],
            timeout=self.start_timeout + 10, check=False)
        if rc != 0:
            raise HarnessError("PostgreSQL did not start (pg_ctl exit %d): "
                               "%s%s\n--- log tail\n%s" % (
                                   rc, out, err,
                                   _tail(self.log_text()[self._log_start:],
                                         30)))
        return self

    def stop(self, mode="fast", timeout=30.0):
        """Stop the server (pg_ctl stop -m mode); the data stays.  Falls
        back to kill() when it does not stop in time."""
        if not self.initialized or not self.running():
            self._kill_leftovers()
            return
        rc, out, err = self._run(
            ["pg_ctl", "-D", self.data_dir, "-m", mode, "-w", "-t",
             str(int(timeout)), "-s", "stop"], timeout=timeout + 10,
            check=False)
        if rc != 0 and self.running():
            self.kill()
        self._kill_leftovers()

    def kill(self, sig=signal.SIGKILL):
        """kill -9 the postmaster and every process of the cluster at once
        (a crash: start() recovers from the WAL)."""
        for pid in self.processes():
            _kill(pid, sig)
        self._kill_leftovers()
        # The dead postmaster may stay a zombie for a while (until our init
        # reaps it), and a zombie's pid passes the next postmaster's
        # "is another one running?" check: its lock files go now.
        sock = os.path.join(self.socket_dir, ".s.PGSQL.%d" % self.port)
        for f in (os.path.join(self.data_dir, "postmaster.pid"),
                  sock + ".lock", sock):
            try:
                os.unlink(f)
            except OSError:
                pass

    def freeze(self):
        """SIGSTOP every process of the cluster: PostgreSQL unreachable but
        not gone (connections are accepted by the kernel and never
        answered; queries hang).  thaw() resumes it.  close() thaws."""
        self.frozen = True
        for pid in self.processes():
            _kill(pid, signal.SIGSTOP)

    def thaw(self):
        self.frozen = False
        for pid in self.processes():
            _kill(pid, signal.SIGCONT)

    def restart(self):
        self.stop()
        return self.start()

    def processes(self):
        """{pid: cmdline} of the cluster's live processes: the postmaster
        (its command line names the data directory) and its children
        (titled "postgres: <cluster_name>: ...")."""
        out = {}
        title = "postgres: %s: " % self.cluster_name
        for pid in _all_pids():
            info = _proc_info(pid)
            if info is None:
                continue
            cmd = info[2]
            if cmd.startswith(title) or (
                    self.data_dir in cmd and "/postgres" in cmd.split()[0]):
                out[pid] = cmd
        return out

    def _kill_leftovers(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        left = self.processes()
        while left and time.monotonic() < deadline:
            for pid in left:
                _kill(pid, signal.SIGKILL)
            time.sleep(0.05)
            left = self.processes()
        if left:
            raise HarnessError("processes of %s survived: %s"
                               % (self.tmp, left))

    def close(self):
        """Stop, kill what is left, remove the directory."""
        if self.closed:
            return
        try:
            if getattr(self, "frozen", False):
                self.thaw()
            self.stop(mode="immediate", timeout=10)
        finally:
            self._final_log = self.log_text()
            self.closed = True
            shutil.rmtree(self.tmp, ignore_errors=True)
            forget_resource(self)

    # ---- the log -------------------------------------------------------------

    def log_text(self):
        if self.closed:
            return getattr(self, "_final_log", "")
        return _read(self.log_path)

    def log_tail(self, n=30):
        return _tail(self.log_text(), n)

    # ---- SQL ---------------------------------------------------------------

    def psql(self, sql, db="postgres", timeout=30.0, check=True):
        """Run sql (one or more statements) as the superuser over the
        socket; return the rows of the last statement as lists of strings
        (None for NULL).  Raises HarnessError on an SQL error when
        check."""
        null = "\x01NULL\x01"
        rc, out, err = self._run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--csv", "-t",
             "-P", "null=" + null, "-h", self.socket_dir, "-p",
             str(self.port), "-U", SUPERUSER, "-d", db, "-c", sql],
            timeout=timeout, check=False)
        if rc != 0:
            if check:
                raise HarnessError("psql: %s\n(in: %s)" % (err.strip(),
                                                          sql[:500]))
            return None
        # (a row of one empty string is an empty line, which csv reads as
        # no field at all)
        return [[None if v == null else v for v in row] if row else [""]
                for row in csv.reader(io.StringIO(out))]

    def psql_as(self, conninfo, sql, os_user="dovecot", timeout=30.0):
        """psql "conninfo" -c sql run as OS user os_user (whose passfile
        the connection string names): (rc, stdout, stderr)."""
        return self._run(["psql", "-X", "-q", "-w", "-v", "ON_ERROR_STOP=1",
                          "--csv", "-t", conninfo, "-c", sql],
                         timeout=timeout, check=False, user=os_user)

    def create_role_and_db(self, role, password, db=None):
        """A login role with a password (scram-sha-256) and a database of
        the same name (or db) for it, owned by the superuser: the role
        owns nothing, may connect, may create schemas in that database
        (CREATE on it) and objects in the schema named after it, which its
        default search_path ("$user", public) puts first - so the product
        creates its tables there (or in a schema of its own), owned by the
        role.  No CREATEDB, no superuser; nobody else may connect."""
        db = db or role
        self.psql("CREATE ROLE %s LOGIN PASSWORD %s" % (
            _sql_ident(role), _sql_literal(password)))
        # SQL_ASCII and C, as the product asks (docs/several-nodes.md):
        # user names from clients are stored as the bytes they are
        self.psql("CREATE DATABASE %s ENCODING 'SQL_ASCII' LC_COLLATE 'C' "
                  "LC_CTYPE 'C' TEMPLATE template0" % _sql_ident(db))
        self.psql("REVOKE ALL ON DATABASE %s FROM PUBLIC; "
                  "GRANT CONNECT, CREATE, TEMPORARY ON DATABASE %s TO %s"
                  % (_sql_ident(db), _sql_ident(db), _sql_ident(role)))
        self.psql("REVOKE ALL ON SCHEMA public FROM PUBLIC; "
                  "CREATE SCHEMA %s; GRANT USAGE, CREATE ON SCHEMA %s TO %s"
                  % (_sql_ident(role), _sql_ident(role), _sql_ident(role)),
                  db=db)
        self.roles[role] = (password, db)
        return self

    def write_passfile(self, path, owner_uid, owner_gid=None, roles=None):
        """libpq's password file (host:port:database:user:password, one
        line per role created here, or per name in roles) at path, mode
        0600, owned by owner_uid (libpq ignores a file that others can
        read).  The host field is the socket directory: that is what libpq
        matches for a Unix-socket connection outside its default
        directory."""
        if owner_gid is None:
            owner_gid = pwd.getpwuid(owner_uid).pw_gid
        lines = []
        for role in (roles or sorted(self.roles)):
            password, db = self.roles[role]
            lines.append(":".join(_passfile_field(x) for x in (
                self.socket_dir, self.port, db, role, password)) + "\n")
        tmp = path + ".new"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.writelines(lines)
        os.chown(tmp, owner_uid, owner_gid)
        os.chmod(tmp, 0o600)
        os.rename(tmp, path)
        return path

    def conninfo(self, role, db=None, passfile=None, **extra):
        """The libpq connection string for role over the socket, e.g.
        "host=/tmp/lockout-pg-x/sock port=5432 dbname=lockout user=lockout
        passfile=/tmp/lockout-pg-x/pgpass"; extra: more keywords."""
        if db is None:
            db = self.roles.get(role, (None, role))[1]
        parts = [("host", self.socket_dir), ("port", self.port),
                 ("dbname", db), ("user", role)]
        if passfile:
            parts.append(("passfile", passfile))
        parts += sorted(extra.items())
        return " ".join("%s=%s" % (k, _conn_value(v)) for k, v in parts)


def _killpg_quiet(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
