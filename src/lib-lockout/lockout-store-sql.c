/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The store's connection: open (pragmas, busy timeout, then the schema
   through lockout-store-schema.c), close, transactions, change detection,
   the mapping of SQLite's errors, and the statement cache with parameter
   binding that every other lockout-store-*.c file goes through. */
#include "lockout-store-private.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Largest string or row SQLite hands us: bounds what a hostile database
   file can make a (root) reader allocate. Well above our own limits. */
#define STORE_LENGTH_LIMIT (1024 * 1024)

static const struct store_query store_begin_query = {
	STORE_STMT_BEGIN, "BEGIN IMMEDIATE",
	NULL
};
static const struct store_query store_commit_query = {
	STORE_STMT_COMMIT, "COMMIT",
	NULL
};
static const struct store_query store_rollback_query = {
	STORE_STMT_ROLLBACK, "ROLLBACK",
	NULL
};
static const struct store_query store_data_version_query = {
	STORE_STMT_DATA_VERSION, "PRAGMA data_version",
	NULL
};

/* --- errors and checks ---------------------------------------------------- */

const char *store_errorf(struct lockout_store *store, const char *fmt, ...)
{
	char msg[LOCKOUT_ERROR_MAX];
	va_list args;

	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	store->last_error_busy = false;
	return lockout_error_fmt("%s: %s", store->path, msg);
}

const char *store_damaged(struct lockout_store *store, int rc,
			  const char *detail)
{
	bool notadb = (rc & 0xff) == SQLITE_NOTADB;

	store->last_error_busy = false;
	if (detail == NULL)
		detail = notadb ? "file is not a database" : sqlite3_errstr(rc);
	return lockout_error_fmt("lockout_db %s is %s (%s): move it away; the "
				 "auth process creates a new table",
				 store->path, notadb ? "not an SQLite database" :
				 "a damaged SQLite database", detail);
}

const char *store_error(struct lockout_store *store, const char *what, int rc)
{
	const char *detail;
	int sys_errno;

	store->last_error_busy = false;
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		/* Callers look for this wording (and error_is_busy()). */
		store->last_error_busy = true;
		return lockout_error_fmt("%s: %s: database is busy",
					 store->path, what);
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		/* what was being done does not matter: the file is broken,
		   and the administrator needs to know what to do about it */
		return store_damaged(store, rc, NULL);
	case SQLITE_NOMEM:
		return lockout_error_fmt("%s: %s: out of memory",
					 store->path, what);
	default:
		break;
	}
	if (store->db != NULL && sqlite3_extended_errcode(store->db) == rc)
		detail = sqlite3_errmsg(store->db);
	else
		detail = sqlite3_errstr(rc);
	if ((rc & 0xff) == SQLITE_CANTOPEN && store->db != NULL &&
	    (sys_errno = sqlite3_system_errno(store->db)) != 0) {
		return lockout_error_fmt("%s: %s: %s (%s)", store->path, what,
					 detail, strerror(sys_errno));
	}
	return lockout_error_fmt("%s: %s: %s", store->path, what, detail);
}

int store_check_writable(struct lockout_store *store, const char *what,
			 const char **error_r)
{
	if (store->readonly) {
		*error_r = store_errorf(store, "%s: store is read-only", what);
		return -1;
	}
	return 0;
}

int store_check_not_iterating(struct lockout_store *store, const char *what,
			      const char **error_r)
{
	if (store->in_callback) {
		*error_r = store_errorf(store,
			"%s: called from an iteration callback (re-entrant)",
			what);
		return -1;
	}
	return 0;
}

int store_check_target(struct lockout_store *store, const char *what,
		       const char *target, const char **error_r)
{
	if (!lockout_field_fits(target, LOCKOUT_BAN_TARGET_MAX, true)) {
		*error_r = store_errorf(store, "%s: %s", what,
			target == NULL || target[0] == '\0' ? "empty target" :
			"target longer than 255 bytes");
		return -1;
	}
	return 0;
}

bool lockout_store_error_is_busy(const struct lockout_store *store)
{
	return store->last_error_busy;
}

/* --- statements ----------------------------------------------------------- */

/* Return the cached statement of query, preparing it on first use. */
static int
store_stmt_get(struct lockout_store *store, const struct store_query *query,
	       sqlite3_stmt **stmt_r, const char **error_r)
{
	sqlite3_stmt *stmt = store->stmts[query->slot];
	int rc;

	if (stmt == NULL) {
		rc = sqlite3_prepare_v3(store->db, query->sql, -1,
					SQLITE_PREPARE_PERSISTENT, &stmt,
					NULL);
		if (rc != SQLITE_OK) {
			*error_r = store_error(store, "prepare statement", rc);
			return -1;
		}
		store->stmts[query->slot] = stmt;
	} else if (sqlite3_stmt_busy(stmt) != 0) {
		/* a callback calling back into the call that runs it */
		*error_r = store_errorf(store,
			"statement already in use (re-entrant call)");
		return -1;
	}
	*stmt_r = stmt;
	return 0;
}

/* Bind one value to parameter idx; return SQLite's code. The strings stay
   valid until the statement is released, within the same call. */
static int
store_bind_value(sqlite3_stmt *stmt, int idx, const struct store_value *value)
{
	switch (value->type) {
	case STORE_VALUE_TEXT:
		if (value->text == NULL)
			return sqlite3_bind_null(stmt, idx);
		return sqlite3_bind_text(stmt, idx, value->text, -1,
					 SQLITE_STATIC);
	case STORE_VALUE_TIME:
		if (value->num == 0)
			return sqlite3_bind_null(stmt, idx);
		break;
	case STORE_VALUE_BLOB:
		return sqlite3_bind_blob64(stmt, idx, value->text,
					   (sqlite3_uint64)value->num,
					   SQLITE_STATIC);
	case STORE_VALUE_INT:
		break;
	}
	return sqlite3_bind_int64(stmt, idx, value->num);
}

int store_stmt_bind(struct lockout_store *store,
		    const struct store_query *query, const char *what,
		    const struct store_value *values, unsigned int count,
		    sqlite3_stmt **stmt_r, const char **error_r)
{
	sqlite3_stmt *stmt;
	unsigned int i;
	int rc;

	if (store_stmt_get(store, query, &stmt, error_r) < 0)
		return -1;
	for (i = 0; i < count; i++) {
		rc = store_bind_value(stmt, (int)i + 1, &values[i]);
		if (rc != SQLITE_OK) {
			*error_r = store_error(store, what, rc);
			store_stmt_release(stmt);
			return -1;
		}
	}
	*stmt_r = stmt;
	return 0;
}

void store_stmt_release(sqlite3_stmt *stmt)
{
	/* The returned codes only repeat the step's error, which the caller
	   has already handled. */
	(void)sqlite3_reset(stmt);
	(void)sqlite3_clear_bindings(stmt);
}

int store_run(struct lockout_store *store, const struct store_query *query,
	      const char *what, const struct store_value *values,
	      unsigned int count, const char **error_r)
{
	sqlite3_stmt *stmt;
	int rc;

	if (store->driver == LOCKOUT_DB_DRIVER_PGSQL) {
		return store_pg_run(store, query, what, values, count,
				    error_r);
	}
	if (store_stmt_bind(store, query, what, values, count, &stmt,
			    error_r) < 0)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE)
		*error_r = store_error(store, what, rc);
	store_stmt_release(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

unsigned int store_changes(struct lockout_store *store)
{
	int changes;

	if (store->driver == LOCKOUT_DB_DRIVER_PGSQL)
		return store->pg_changes;
	changes = sqlite3_changes(store->db);
	return changes < 0 ? 0 : (unsigned int)changes;
}

int store_exec(struct lockout_store *store, const char *sql, const char *what,
	       const char **error_r)
{
	int rc;

	if (store->driver == LOCKOUT_DB_DRIVER_PGSQL)
		return store_pg_exec(store, sql, what, error_r);
	rc = sqlite3_exec(store->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		*error_r = store_error(store, what, rc);
		return -1;
	}
	return 0;
}

/* --- open and close ------------------------------------------------------- */

static int
store_read_data_version(struct lockout_store *store, int64_t *version_r,
			const char **error_r)
{
	uint64_t version;

	if (store_query_counts(store, &store_data_version_query,
			       "read data_version", NULL, 0, &version, 1,
			       error_r) < 0)
		return -1;
	*version_r = (int64_t)version;
	return 0;
}

static int
store_set_wal(struct lockout_store *store, const char **error_r)
{
	sqlite3_stmt *stmt;
	const unsigned char *mode;
	int rc, ret = 0;

	rc = sqlite3_prepare_v2(store->db, "PRAGMA journal_mode = WAL", -1,
				&stmt, NULL);
	if (rc != SQLITE_OK) {
		*error_r = store_error(store, "set WAL journal", rc);
		return -1;
	}
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		*error_r = store_error(store, "set WAL journal", rc);
		ret = -1;
	} else if ((mode = sqlite3_column_text(stmt, 0)) == NULL ||
		   strcmp((const char *)mode, "wal") != 0) {
		/* e.g. a file system without shared memory support */
		*error_r = store_errorf(store,
			"set WAL journal: journal mode stays %s",
			mode == NULL ? "unknown" : (const char *)mode);
		ret = -1;
	}
	(void)sqlite3_finalize(stmt);
	return ret;
}

/* Connection settings that come before reading anything. */
static int
store_configure(struct lockout_store *store, unsigned int busy_timeout_msecs,
		const char **error_r)
{
	int rc;

	rc = sqlite3_extended_result_codes(store->db, 1);
	if (rc == SQLITE_OK) {
		rc = sqlite3_busy_timeout(store->db,
			busy_timeout_msecs > INT_MAX ? INT_MAX :
			(int)busy_timeout_msecs);
	}
	/* The file may be writable by a less privileged user than the one
	   reading it: do not let its schema run functions or corrupt it. */
	if (rc == SQLITE_OK) {
		rc = sqlite3_db_config(store->db, SQLITE_DBCONFIG_DEFENSIVE,
				       1, NULL);
	}
#ifdef SQLITE_DBCONFIG_TRUSTED_SCHEMA
	if (rc == SQLITE_OK) {
		rc = sqlite3_db_config(store->db,
				       SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0,
				       NULL);
	}
#endif
	if (rc != SQLITE_OK) {
		*error_r = store_error(store, "configure connection", rc);
		return -1;
	}
	(void)sqlite3_limit(store->db, SQLITE_LIMIT_LENGTH,
			    STORE_LENGTH_LIMIT);
	return 0;
}

static int
store_setup(struct lockout_store *store, unsigned int flags,
	    unsigned int busy_timeout_msecs, const char **error_r)
{
	bool create = !store->readonly &&
		(flags & LOCKOUT_STORE_FLAG_CREATE) != 0;
	int64_t version;
	char cache_sql[64], mmap_sql[64];

	/* negative: in KiB rather than pages */
	snprintf(cache_sql, sizeof(cache_sql), "PRAGMA cache_size = -%d",
		 LOCKOUT_STORE_BULK_CACHE_KIB);
	/* Reading 100,000 rows, the pages copied from the file into freshly
	   allocated cache memory cost more than SQLite's work on them (a
	   page fault for each new page of the cache): the file is mapped
	   instead. The table is never truncated under a reader (no VACUUM,
	   no auto_vacuum), which is what makes a mapping unsafe. */
	snprintf(mmap_sql, sizeof(mmap_sql), "PRAGMA mmap_size = %d",
		 LOCKOUT_STORE_BULK_MMAP_BYTES);
	if (store_configure(store, busy_timeout_msecs, error_r) < 0 ||
	    ((flags & LOCKOUT_STORE_FLAG_BULK_READ) != 0 &&
	     (store_exec(store, cache_sql, "set cache_size", error_r) < 0 ||
	      store_exec(store, mmap_sql, "set mmap_size", error_r) < 0)) ||
	    store_check_header(store, create, &version, error_r) < 0)
		return -1;

	if (store->readonly) {
		if (store_exec(store, "PRAGMA query_only = ON",
			       "set query_only", error_r) < 0)
			return -1;
	} else {
		if (store_set_wal(store, error_r) < 0 ||
		    store_exec(store, "PRAGMA synchronous = NORMAL",
			       "set synchronous", error_r) < 0)
			return -1;
	}
	if (store_exec(store, "PRAGMA foreign_keys = ON", "set foreign_keys",
		       error_r) < 0)
		return -1;
	if (!store->readonly &&
	    version < lockout_store_schema_version()) {
		if (store_migrate(store, error_r) < 0)
			return -1;
	}
	return store_read_data_version(store, &store->data_version, error_r);
}

int lockout_store_open(const char *path, unsigned int flags,
		       unsigned int busy_timeout_msecs,
		       struct lockout_store **store_r, const char **error_r)
{
	struct lockout_store *store;
	struct stat st;
	bool readonly = (flags & LOCKOUT_STORE_FLAG_READONLY) != 0;
	bool create = !readonly && (flags & LOCKOUT_STORE_FLAG_CREATE) != 0;
	int open_flags, rc;

	*store_r = NULL;
	if (path == NULL || *path == '\0') {
		*error_r = lockout_error_fmt("lockout store: empty path");
		return -1;
	}
	/* SQLite would only say "unable to open database file". */
	if (!create && stat(path, &st) < 0) {
		*error_r = lockout_error_fmt("%s: cannot open: %s", path,
			errno == ENOENT ? "database does not exist" :
			strerror(errno));
		return -1;
	}

	store = calloc(1, sizeof(*store));
	if (store == NULL) {
		*error_r = lockout_error_fmt("%s: out of memory", path);
		return -1;
	}
	store->path = strdup(path);
	if (store->path == NULL) {
		free(store);
		*error_r = lockout_error_fmt("%s: out of memory", path);
		return -1;
	}
	store->readonly = readonly;

	if (readonly)
		open_flags = SQLITE_OPEN_READONLY;
	else {
		open_flags = SQLITE_OPEN_READWRITE |
			(create ? SQLITE_OPEN_CREATE : 0);
	}
	/* A store is used by one thread at a time (no program of ours has
	   more than one): SQLite's own lock around every call (each column
	   of each row, each bind and step of the auth process's failure
	   rows: 3% of the instructions of its flush) is not needed. */
	open_flags |= SQLITE_OPEN_NOMUTEX;
	rc = sqlite3_open_v2(path, &store->db, open_flags, NULL);
	if (rc == SQLITE_OK) {
		/* before the schema is read: its view "failures" needs it */
		rc = lockout_store_sqlite_register(store->db);
	}
	if (rc != SQLITE_OK) {
		*error_r = store_error(store, "cannot open", rc);
		lockout_store_close(&store);
		return -1;
	}
	/* SQLite has the file open now (created if need be): this is the
	   file the store works on, whatever happens to the path later */
	if (stat(path, &st) < 0) {
		*error_r = lockout_error_fmt("%s: cannot open: stat() failed: "
					     "%s", path, strerror(errno));
		lockout_store_close(&store);
		return -1;
	}
	store->file_dev = st.st_dev;
	store->file_ino = st.st_ino;
	if (store_setup(store, flags, busy_timeout_msecs, error_r) < 0) {
		lockout_store_close(&store);
		return -1;
	}
	*store_r = store;
	return 0;
}

void lockout_store_close(struct lockout_store **_store)
{
	struct lockout_store *store;
	unsigned int i;

	if (_store == NULL || (store = *_store) == NULL)
		return;
	*_store = NULL;

	if (store->driver == LOCKOUT_DB_DRIVER_PGSQL)
		store_pg_close(store);
	else if (store->db != NULL) {
		store_packed_free(&store->packed);
		lockout_store_rollback(store);
		for (i = 0; i < STORE_STMT_COUNT; i++) {
			/* returns the last step's error, handled then */
			(void)sqlite3_finalize(store->stmts[i]);
		}
		/* with every statement finalized, close cannot be busy */
		(void)sqlite3_close_v2(store->db);
	}
	free(store->node);
	free(store->path);
	free(store);
}

/* --- transactions and change detection ------------------------------------ */

int lockout_store_begin(struct lockout_store *store, const char **error_r)
{
	if (store_check_writable(store, "begin transaction", error_r) < 0)
		return -1;
	if (store->driver == LOCKOUT_DB_DRIVER_PGSQL)
		return store_pg_begin(store, error_r);
	if (sqlite3_get_autocommit(store->db) == 0) {
		*error_r = store_errorf(store,
			"begin transaction: a transaction is already open");
		return -1;
	}
	return store_run(store, &store_begin_query, "begin transaction",
			 NULL, 0, error_r);
}

int lockout_store_commit(struct lockout_store *store, const char **error_r)
{
	if (store->driver == LOCKOUT_DB_DRIVER_PGSQL)
		return store_pg_commit(store, error_r);
	if (sqlite3_get_autocommit(store->db) != 0) {
		/* SQLite rolls back by itself after some errors (disk full,
		   I/O error, out of memory) */
		*error_r = store_errorf(store,
			"commit: no transaction is open "
			"(rolled back after an earlier error?)");
		return -1;
	}
	if (store_run(store, &store_commit_query, "commit", NULL, 0,
		      error_r) < 0) {
		lockout_store_rollback(store);
		return -1;
	}
	return 0;
}

void lockout_store_rollback(struct lockout_store *store)
{
	enum store_stmt slot = store_rollback_query.slot;
	sqlite3_stmt *stmt;

	/* Called on error paths: must not touch the error buffer. */
	if (store == NULL)
		return;
	if (store->driver == LOCKOUT_DB_DRIVER_PGSQL) {
		store_pg_rollback(store);
		return;
	}
	if (sqlite3_get_autocommit(store->db) != 0)
		return;
	stmt = store->stmts[slot];
	if (stmt == NULL &&
	    sqlite3_prepare_v3(store->db, store_rollback_query.sql, -1,
			       SQLITE_PREPARE_PERSISTENT, &stmt,
			       NULL) == SQLITE_OK)
		store->stmts[slot] = stmt;
	if (stmt != NULL) {
		(void)sqlite3_step(stmt);
		(void)sqlite3_reset(stmt);
	}
	if (sqlite3_get_autocommit(store->db) == 0) {
		/* last resort; nothing more can be done if it fails */
		(void)sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
	}
}

int lockout_store_changed(struct lockout_store *store, const char **error_r)
{
	int64_t version;

	if (store->driver == LOCKOUT_DB_DRIVER_PGSQL)
		return store_pg_changed(store, error_r);
	if (store_read_data_version(store, &version, error_r) < 0)
		return -1;
	if (version == store->data_version)
		return 0;
	store->data_version = version;
	return 1;
}

enum lockout_store_file_state
lockout_store_file_compare(dev_t opened_dev, ino_t opened_ino,
			   const struct stat *st, int stat_errno)
{
	if (st == NULL) {
		/* ENOTDIR: a component of the path is no longer a
		   directory, the file is gone as well */
		return stat_errno == ENOENT || stat_errno == ENOTDIR ?
			LOCKOUT_STORE_FILE_DELETED :
			LOCKOUT_STORE_FILE_UNKNOWN;
	}
	return st->st_dev == opened_dev && st->st_ino == opened_ino ?
		LOCKOUT_STORE_FILE_SAME : LOCKOUT_STORE_FILE_REPLACED;
}

enum lockout_store_file_state
lockout_store_file_state(const struct lockout_store *store, int *errno_r)
{
	enum lockout_store_file_state state;
	struct stat st;
	int ret;

	if (store->driver == LOCKOUT_DB_DRIVER_PGSQL) {
		/* no file: the server keeps the table */
		*errno_r = 0;
		return LOCKOUT_STORE_FILE_SAME;
	}
	ret = stat(store->path, &st);
	*errno_r = ret < 0 ? errno : 0;
	state = lockout_store_file_compare(store->file_dev, store->file_ino,
					   ret < 0 ? NULL : &st, *errno_r);
	if (state != LOCKOUT_STORE_FILE_UNKNOWN)
		*errno_r = 0;
	return state;
}

unsigned int lockout_store_skipped_rows(const struct lockout_store *store)
{
	return store->skipped_rows;
}

int lockout_store_open_db(enum lockout_db_driver driver, const char *db,
			  unsigned int flags, unsigned int busy_timeout_msecs,
			  struct lockout_store **store_r, const char **error_r)
{
	if (driver == LOCKOUT_DB_DRIVER_SQLITE) {
		return lockout_store_open(db, flags, busy_timeout_msecs,
					  store_r, error_r);
	}
	return store_pg_open(db, flags, busy_timeout_msecs, store_r, error_r);
}

int64_t store_last_insert_id(struct lockout_store *store)
{
	if (store->driver == LOCKOUT_DB_DRIVER_PGSQL)
		return store->pg_last_id;
	return sqlite3_last_insert_rowid(store->db);
}

int lockout_store_fd(const struct lockout_store *store)
{
	if (store->driver != LOCKOUT_DB_DRIVER_PGSQL || store->pg == NULL)
		return -1;
	return PQsocket(store->pg);
}
