/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef TMPSTORE_H
#define TMPSTORE_H

#include "lockout-store.h"

#include <check.h>

/* Real ban tables: SQLite files in a private temporary directory, then
   databases of a private PostgreSQL cluster (pgcluster.h). */

/* The driver of the pass running now (make_suite looks at it to leave out
   the tests of one driver). */
extern enum lockout_db_driver test_tmpstore_driver;

/* Run the suite make_suite() makes with its tables in a directory
   /tmp/<prefix>.XXXXXX, removed with all it holds at the end; then once
   more against a private PostgreSQL cluster, removed at the end (skipped,
   saying so, where no server is installed). Returns main()'s exit
   status. */
int test_tmpstore_run(Suite *(*make_suite)(void), const char *prefix);
/* The path of the table called name (on PostgreSQL its connection
   string). */
const char *test_tmpstore_path(const char *name);
/* Open (creating) the table called name: another connection each call.
   Aborts the test on failure. */
struct lockout_store *test_tmpstore_open(const char *name);
/* Run sql on the table called name as another writer would (rows the
   store would not write); aborts the test on failure. */
void test_tmpstore_exec(const char *name, const char *sql);

#endif
