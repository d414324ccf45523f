/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef TMPSTORE_H
#define TMPSTORE_H

#include "lockout-store.h"

#include <check.h>

/* Real SQLite ban tables in a private temporary directory. */

/* Run suite with its tables in a directory /tmp/<prefix>.XXXXXX, removed
   with all it holds at the end; returns main()'s exit status. */
int test_tmpstore_run(Suite *suite, const char *prefix);
/* The path of the table called name. */
const char *test_tmpstore_path(const char *name);
/* Open (creating) the table called name: another connection each call.
   Aborts the test on failure. */
struct lockout_store *test_tmpstore_open(const char *name);

#endif
