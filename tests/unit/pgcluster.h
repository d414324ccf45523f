/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef PGCLUSTER_H
#define PGCLUSTER_H

/* A private PostgreSQL cluster for the tests of the PostgreSQL store: made
   with initdb in a temporary directory (/tmp/<prefix>-pg.XXXXXX), its
   socket only in that directory (no TCP), fsync off, run as the user
   "postgres" when the tests run as root (initdb refuses root), else as the
   user running them. The server binaries are looked up in
   $LOCKOUT_TEST_PG_BINDIR, else the newest /usr/lib/postgresql/N/bin. */

#include <stdbool.h>

/* Start the cluster; returns 0, or -1 with the reason printed to stderr
   (no server binaries: 1, nothing started). Also makes the database
   "lockout_tmpl" that pgcluster_create_db() copies: template_setup is
   called with its connection string to put the store's schema into it. */
int pgcluster_start(const char *prefix,
		    void (*template_setup)(const char *conninfo));
/* pgcluster_start()'s template_setup for the store's tables: the schema,
   made by the store itself (exits on failure). */
void pgcluster_store_template(const char *conninfo);
/* Stop the server and remove the directory with all it holds; does
   nothing if it was not started. Also called at exit. */
void pgcluster_remove(void);
/* Stop the server (fast shutdown), keeping its data; start it again.
   Both wait for it to be down or up. Return 0 or -1. */
int pgcluster_stop_server(void);
int pgcluster_start_server(void);

/* The libpq connection string of database name (a static buffer). */
const char *pgcluster_conninfo(const char *name);
/* The store's name of database name in its messages (a static buffer). */
const char *pgcluster_label(const char *name);
/* Create the database name as a copy of lockout_tmpl (empty: from
   template0, without the schema) unless it exists; aborts on failure. */
void pgcluster_create_db(const char *name, bool empty);

#endif
