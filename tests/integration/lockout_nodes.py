# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""Several private Dovecot nodes on one machine (issue 14: one ban table
shared by several nodes).  Standard library only.

Each node is a Dovecot instance of the harness (lockout_harness.Dovecot)
in a network namespace of its own (lockout_harness.Netns: its own
loopback, so the same ports on every node, and its own nftables), with a
host name of its own (node1, node2, ...: a UTS namespace shared by its
Dovecot, its doveadm and its lockoutd) and, by default, its lockoutd
running in that namespace.  What the nodes share is what their
configuration points at: with pg_store() the PostgreSQL cluster of
lockout_pg, reached over its Unix socket (a file: reachable from every
network namespace).

    from lockout_pg import PostgresCluster
    from lockout_nodes import Nodes, pg_store

    with PostgresCluster() as pg, \\
            Nodes(3, plugin_settings=pg_store(pg)) as nodes:
        nodes[0].d.doveadm("lockout", "ban", "192.0.2.7")
        ok, line = nodes[1].imap_login(user, password, src="127.0.0.2")
        nodes[2].set_elements("ban4")    # lockoutd's nft set

Clients: the auth-client socket (AuthClient(node.d)) is a file and works
from anywhere; IMAP and POP3 listen on the node's own loopback, so
node.imap_login() connects from inside the node's namespace.
"""

import os
import pwd
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lockout_harness import (  # noqa: E402
    AuthClient, Dovecot, HarnessError, Lockoutd, Netns, in_netns,
    imap_login, set_elements)

__all__ = ["Node", "Nodes", "pg_store"]

PG_ROLE = "lockout"
PG_PASSWORD = "lockout-pg-secret"


def pg_store(pg, role=PG_ROLE, password=PG_PASSWORD):
    """Make pg (a started lockout_pg.PostgresCluster) the nodes' store:
    the role and its database (once), libpq's password file for the
    dovecot user (the auth process's; doveadm and lockoutd run as root,
    which reads it too), and the plugin settings that name them:
    {"lockout_db_driver": "pgsql", "lockout_db": <connection string>}."""
    if role not in pg.roles:
        pg.create_role_and_db(role, password)
    dovecot = pwd.getpwnam("dovecot")
    passfile = pg.write_passfile(os.path.join(pg.tmp, "pgpass-" + role),
                                 dovecot.pw_uid, dovecot.pw_gid,
                                 roles=[role])
    return {"lockout_db_driver": "pgsql",
            "lockout_db": pg.conninfo(role, passfile=passfile)}


class Node:
    """One node: .index (1-based), .name (its host name), .ns (Netns),
    .d (Dovecot), .lockoutd (Lockoutd or None)."""

    def __init__(self, index, dovecot_kw, lockoutd=True, lockoutd_args=()):
        self.index = index
        self.name = "node%d" % index
        self.ns = Netns()
        self.d = None
        self.lockoutd = None
        self.want_lockoutd = lockoutd
        self.lockoutd_args = list(lockoutd_args)
        self.dovecot_kw = dict(dovecot_kw)

    def __repr__(self):
        return "<Node %s %s>" % (self.name, self.d.tmp if self.d else "")

    def create(self):
        """The namespace and the Dovecot instance (not started)."""
        self.ns.__enter__()
        self.d = Dovecot(netns=self.ns.name, hostname=self.name,
                         **self.dovecot_kw)
        return self

    def start(self):
        """Start Dovecot, then its lockoutd (which waits for its first
        reconcile)."""
        if not self.d.running():
            self.d.start()
        if self.want_lockoutd:
            if self.lockoutd is None:
                self.lockoutd = Lockoutd(self.ns, self.d,
                                         self.lockoutd_args)
            self.lockoutd.start()
        return self

    def stop(self):
        """Stop lockoutd and Dovecot; files and the nft table stay."""
        if self.lockoutd is not None:
            self.lockoutd.stop()
        if self.d is not None:
            self.d.stop()

    def restart(self):
        self.stop()
        return self.start()

    def close(self):
        try:
            if self.lockoutd is not None:
                self.lockoutd.stop()
        finally:
            try:
                if self.d is not None:
                    self.d.close()
            finally:
                self.ns.close()

    # ---- clients -------------------------------------------------------------

    def imap_login(self, user, password, src="127.0.0.1", **kw):
        """IMAP LOGIN on this node (from inside its namespace)."""
        with in_netns(self.ns.name):
            return imap_login(self.d, user, password, src=src, **kw)

    def auth(self, user, password, rip, service="imap"):
        """One PLAIN over the auth-client socket as if from rip:
        (ok, line, fields)."""
        with AuthClient(self.d) as a:
            return a.plain(user, password, rip=rip, service=service)

    def set_elements(self, name="ban4"):
        """{element: timeout} of lockoutd's nft set here (None: none)."""
        return set_elements(self.ns, name)


class Nodes:
    """count nodes with the same settings: a list-like of Node (nodes[0]
    is node1).  Dovecot keyword arguments (module_dirs, plugin_settings,
    users, ...) go to every node's Dovecot.  The context manager starts
    them all and closes them all (also when one fails to start)."""

    def __init__(self, count=3, lockoutd=True, lockoutd_args=(), **dovecot_kw):
        if count < 1:
            raise ValueError("count must be at least 1")
        self.nodes = [Node(i + 1, dovecot_kw, lockoutd, lockoutd_args)
                      for i in range(count)]

    def __getitem__(self, i):
        return self.nodes[i]

    def __iter__(self):
        return iter(self.nodes)

    def __len__(self):
        return len(self.nodes)

    def start(self):
        try:
            for n in self.nodes:
                if n.d is None:
                    n.create()
            for n in self.nodes:
                n.start()
        except BaseException:
            self.close()
            raise
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        errors = []
        for n in reversed(self.nodes):
            try:
                n.close()
            except Exception as e:
                errors.append("%s: %s" % (n.name, e))
        if errors:
            raise HarnessError("closing nodes: " + "; ".join(errors))
