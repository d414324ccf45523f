/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_STORE_SQL_H
#define LOCKOUT_STORE_SQL_H

/* The store's connection to its database, an SQLite file or a PostgreSQL
   database (lockout_db_driver; docs/design.md "PostgreSQL store" says
   what differs): open (with the schema brought up to date), close,
   transactions, change detection, errors. The
   operations on the tables are declared by concern in the other
   lockout-store-*.h headers (lockout-store.h includes them all); they all
   follow the conventions below.

   A store is one SQLite connection, to be used by one thread at a time. It
   never prints and never exits. Functions returning int return 0 on success
   and -1 on failure with *error_r set (see lockout-error.h for how long the
   message lives); the message names the database path.

   Busy: every call may wait up to the busy timeout given at open for a lock
   held by another connection. If it is still held, the call fails with an
   error containing "database is busy" and lockout_store_error_is_busy()
   returns true: nothing was changed by that call, retry later (inside an
   explicit transaction: roll it back and retry the whole transaction).

   Iterations: functions that call a callback for each row (iter_*, top)
   skip rows that break their invariants (a table written by somebody else
   may hold anything) and count them in lockout_store_skipped_rows(). They
   return 0 when all rows were seen, the callback's non-zero value if it
   stopped (*error_r then untouched), or -1. Their strings are valid only
   during the callback. The callback may call other functions of the store
   (e.g. lift), but not another iteration nor lockout_store_count_active():
   such a call fails ("re-entrant").

   Read-only opens of a WAL database need its -wal and -shm files to exist
   already, or write access to the directory so SQLite can create them (a
   root reader creates them owned by the database file's owner). */

#include "lockout-config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

struct lockout_store;

enum lockout_store_flags {
	/* Open with SQLITE_OPEN_READONLY: never writes, never migrates; fails
	   if the schema is missing or older than this code knows. */
	LOCKOUT_STORE_FLAG_READONLY = 0x01,
	/* Create the file and the schema if missing (ignored with READONLY).
	   Without it a missing file is an error, and so is an existing file
	   without our schema; an older schema is migrated either way. */
	LOCKOUT_STORE_FLAG_CREATE = 0x02,
	/* A short-lived process reading much of the table (doveadm): a page
	   cache of up to LOCKOUT_STORE_BULK_CACHE_KIB (allocated only as
	   pages are read) instead of SQLite's 2 MiB, so that a listing read
	   through an index reads each page from the file once rather than
	   once per row; the file read through a mapping of up to
	   LOCKOUT_STORE_BULK_MMAP_BYTES (pages neither copied from the file
	   nor allocated for the cache); and no lock around every SQLite call
	   (a store is used by one thread at a time anyway). */
	LOCKOUT_STORE_FLAG_BULK_READ = 0x04,
};
#define LOCKOUT_STORE_BULK_CACHE_KIB 65536
#define LOCKOUT_STORE_BULK_MMAP_BYTES 268435456

/* Open the database at path: set the busy timeout, WAL journal,
   synchronous=NORMAL and foreign_keys=ON, then bring the schema up to date,
   each migration in its own transaction. Refuses, changing nothing, a
   database whose schema version is newer than this code knows, a database
   of another application, a non-empty database without our schema, and a
   file that is not a database. Files are created with SQLite's mode 0644
   minus the umask. Return 0 and set *store_r, or -1. */
int lockout_store_open(const char *path, unsigned int flags,
		       unsigned int busy_timeout_msecs,
		       struct lockout_store **store_r, const char **error_r)
	__attribute__((warn_unused_result));
/* Open the ban table of lockout_db_driver at lockout_db: for
   LOCKOUT_DB_DRIVER_SQLITE db is the file's path and this is
   lockout_store_open(); for LOCKOUT_DB_DRIVER_PGSQL db is a libpq
   connection string (its settings override ours: connect_timeout=5,
   application_name=dovecot-lockout, TCP keepalives), and the flags and the
   busy timeout mean the same for the PostgreSQL table: READONLY makes the
   session read-only, CREATE creates the schema in an empty database (in
   one transaction under an advisory lock), BULK_READ changes nothing (the
   rows are fetched 1,000 at a time anyway); the busy timeout is the
   session's lock_timeout (0: 1 ms). The PostgreSQL database must have the
   encoding SQL_ASCII (names are stored as the bytes they are). Messages
   name it as "pgsql:dbname=... host=... port=...", never with the
   connection string (it may hold a password). A lost connection fails the
   call ("connection to the server lost"): close and reopen. */
int lockout_store_open_db(enum lockout_db_driver driver, const char *db,
			  unsigned int flags, unsigned int busy_timeout_msecs,
			  struct lockout_store **store_r,
			  const char **error_r)
	__attribute__((warn_unused_result));
/* Close the store: finalize its statements and roll back an open
   transaction. NULL-safe (store or *store), sets *store to NULL. */
void lockout_store_close(struct lockout_store **store);

/* Begin an explicit write transaction (BEGIN IMMEDIATE: takes the write lock
   now, so later statements of it cannot be busy). Fails if one is already
   open or the store is read-only. Writes outside a transaction autocommit. */
int lockout_store_begin(struct lockout_store *store, const char **error_r)
	__attribute__((warn_unused_result));
/* Commit the transaction opened by lockout_store_begin(). On failure the
   transaction is rolled back: nothing of it was stored, the store is back
   in autocommit mode. Also fails if SQLite had already rolled it back after
   an earlier error. */
int lockout_store_commit(struct lockout_store *store, const char **error_r)
	__attribute__((warn_unused_result));
/* Roll back the open transaction; does nothing if none is open. */
void lockout_store_rollback(struct lockout_store *store);

/* Return 1 if another connection committed since the last call (or since
   open for the first call), 0 if not, -1 on error. Commits of this store's
   own connection do not count. SQLite: PRAGMA data_version (any commit).
   PostgreSQL: the notifications of the triggers on bans, allowed and
   events (not lockoutd's notified marks, nor failures or devices), read
   without waiting. */
int lockout_store_changed(struct lockout_store *store, const char **error_r)
	__attribute__((warn_unused_result));

/* The PostgreSQL connection's socket, for a caller that polls on it to
   call lockout_store_changed() as soon as another node's notification
   arrives (it becomes readable); -1 for SQLite (poll data_version on a
   timer) or a connection already lost. The descriptor changes when the
   store is reopened; the caller never reads or closes it. */
int lockout_store_fd(const struct lockout_store *store);

/* Is the file at the store's path still the one it opened? A cleanup
   script or a wrong rm may delete it, or put another file in its place,
   while the store keeps working on the old one (SQLite keeps it open):
   whatever it writes is then lost at close. */
enum lockout_store_file_state {
	/* the path names the file opened */
	LOCKOUT_STORE_FILE_SAME,
	/* nothing at the path */
	LOCKOUT_STORE_FILE_DELETED,
	/* another file at the path */
	LOCKOUT_STORE_FILE_REPLACED,
	/* the path could not be examined (permissions, I/O): not known */
	LOCKOUT_STORE_FILE_UNKNOWN,
};
/* Compare the identity (st_dev, st_ino) of the file opened with what
   stat() of the path gave: st, or NULL when it failed with stat_errno.
   Pure. */
enum lockout_store_file_state
lockout_store_file_compare(dev_t opened_dev, ino_t opened_ino,
			   const struct stat *st, int stat_errno);
/* One stat() of the store's path, compared with the file it opened (its
   identity is taken right after SQLite opened it); always SAME on
   PostgreSQL. *errno_r is stat()'s
   errno for LOCKOUT_STORE_FILE_UNKNOWN, else 0. */
enum lockout_store_file_state
lockout_store_file_state(const struct lockout_store *store, int *errno_r);

/* Number of invalid rows skipped by the iterations since open. */
unsigned int lockout_store_skipped_rows(const struct lockout_store *store);

/* True if the last failing call on this store failed because the database
   was busy (locked by another connection beyond the busy timeout). */
bool lockout_store_error_is_busy(const struct lockout_store *store);

/* Schema version this code creates and understands (PRAGMA user_version;
   on PostgreSQL lockout_meta.version, numbered alike). */
int lockout_store_schema_version(void);

/* The SQL functions the schema of an SQLite store needs (its view
   "failures" unpacks the packed failure history with
   lockout_failure_rows(), and an INSERT into it packs the row with
   lockout_pack_failure()), registered on an SQLite connection opened
   outside the store: a test's, a tool's. The store registers them on its
   own. An SQLite result code. */
struct sqlite3;
int lockout_store_sqlite_register(struct sqlite3 *db);

#endif
