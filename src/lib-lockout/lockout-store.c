/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-store.h"
#include "lockout-error.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

/* "LOCK": PRAGMA application_id of our databases, so that we never migrate
   somebody else's file by mistake. */
#define STORE_APPLICATION_ID 0x4c4f434b
/* Largest string or row SQLite hands us: bounds what a hostile database
   file can make a (root) reader allocate. Well above our own limits. */
#define STORE_LENGTH_LIMIT (1024 * 1024)
/* Permanent bans have expires NULL; the active-bans index is on
   coalesce(expires, INT64_MAX) so that "active at now" is one range. */
#define STORE_ACTIVE_EXPR "coalesce(expires, 9223372036854775807)"

enum store_stmt {
	STORE_STMT_BEGIN,
	STORE_STMT_COMMIT,
	STORE_STMT_ROLLBACK,
	STORE_STMT_ADD_BAN,
	STORE_STMT_LIFT,
	STORE_STMT_ITER_ACTIVE,
	STORE_STMT_ITER_ALL,
	STORE_STMT_COUNT_BANS,
	STORE_STMT_ADD_FAILURE,
	STORE_STMT_PRUNE,
	STORE_STMT_DATA_VERSION,
	STORE_STMT_TOP_USER,
	STORE_STMT_TOP_IP,
	STORE_STMT_TOP_SERVICE,
	STORE_STMT_ITER_TARGET_ACTIVE,
	STORE_STMT_ITER_TARGET_ALL,
	STORE_STMT_ITER_ALLOWED,
	STORE_STMT_ALLOWED_UPDATE,
	STORE_STMT_ALLOWED_INSERT,
	STORE_STMT_ALLOWED_DELETE,
	STORE_STMT_FAILURES_ALL,
	STORE_STMT_FAILURES_IP,
	STORE_STMT_FAILURES_USER,
	STORE_STMT_USER_DEVICES,
	STORE_STMT_COUNT_ACTIVE,
	STORE_STMT_COUNT_FAILURES,
	STORE_STMT_SIZE,
	STORE_STMT_ITER_UNNOTIFIED_BANS,
	STORE_STMT_ITER_UNNOTIFIED_EVENTS,
	STORE_STMT_MARK_BAN_NOTIFIED,
	STORE_STMT_MARK_EVENT_NOTIFIED,
	STORE_STMT_TOUCH_DEVICE,
	STORE_STMT_ITER_DEVICES,
	STORE_STMT_ADD_EVENT,
	STORE_STMT_PRUNE_BANS,
	STORE_STMT_PRUNE_EVENTS,
	STORE_STMT_PRUNE_DEVICES,

	STORE_STMT_COUNT
};

#define STORE_BAN_COLUMNS \
	"id, target, kind, source, reason, rule, created, expires, " \
	"lifted, failures, evidence, observed"

/* The top queries go through the time index: "since" is usually recent and
   the history is pruned, so scanning by key would read far more rows. */
#define STORE_TOP_SQL(key, distinct) \
	"SELECT " key ", sum(count), " \
	"count(DISTINCT nullif(" distinct ", '')), " \
	"min(time), max(time) FROM failures INDEXED BY failures_time " \
	"WHERE time >= ?1 AND length(" key ") > 0 " \
	"GROUP BY " key " ORDER BY 2 DESC, 1 LIMIT ?2"

#define STORE_FAILURE_COLUMNS \
	"time, ip, user, service, mechanism, result, count"

static const char *const store_sql[STORE_STMT_COUNT] = {
	[STORE_STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STORE_STMT_COMMIT] = "COMMIT",
	[STORE_STMT_ROLLBACK] = "ROLLBACK",
	[STORE_STMT_ADD_BAN] =
		"INSERT INTO bans (target, kind, source, reason, rule, "
		"created, expires, lifted, failures, evidence, observed) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[STORE_STMT_LIFT] =
		"UPDATE bans SET lifted = ?2 WHERE target = ?1 "
		"AND lifted IS NULL AND " STORE_ACTIVE_EXPR " > ?2",
	[STORE_STMT_ITER_ACTIVE] =
		"SELECT " STORE_BAN_COLUMNS " FROM bans "
		"WHERE lifted IS NULL AND " STORE_ACTIVE_EXPR " > ?1 "
		"ORDER BY created, id",
	[STORE_STMT_ITER_ALL] =
		"SELECT " STORE_BAN_COLUMNS " FROM bans ORDER BY created, id",
	[STORE_STMT_COUNT_BANS] =
		"SELECT count(*) FROM bans WHERE target = ?1",
	[STORE_STMT_ADD_FAILURE] =
		"INSERT INTO failures (time, ip, user, service, mechanism, "
		"result, count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[STORE_STMT_PRUNE] =
		"DELETE FROM failures WHERE id IN (SELECT id FROM failures "
		"WHERE time < ?1 ORDER BY time LIMIT ?2)",
	[STORE_STMT_DATA_VERSION] = "PRAGMA data_version",
	[STORE_STMT_TOP_USER] = STORE_TOP_SQL("user", "ip"),
	[STORE_STMT_TOP_IP] = STORE_TOP_SQL("ip", "user"),
	[STORE_STMT_TOP_SERVICE] = STORE_TOP_SQL("service", "user"),
	[STORE_STMT_ITER_TARGET_ACTIVE] =
		"SELECT " STORE_BAN_COLUMNS " FROM bans WHERE target = ?1 "
		"AND lifted IS NULL AND " STORE_ACTIVE_EXPR " > ?2 "
		"ORDER BY created, id",
	[STORE_STMT_ITER_TARGET_ALL] =
		"SELECT " STORE_BAN_COLUMNS " FROM bans WHERE target = ?1 "
		"ORDER BY created, id",
	[STORE_STMT_ITER_ALLOWED] =
		"SELECT network, reason, created FROM allowed "
		"ORDER BY network",
	[STORE_STMT_ALLOWED_UPDATE] =
		"UPDATE allowed SET reason = ?2 WHERE network = ?1",
	[STORE_STMT_ALLOWED_INSERT] =
		"INSERT INTO allowed (network, reason, created) "
		"VALUES (?1, ?2, ?3)",
	[STORE_STMT_ALLOWED_DELETE] =
		"DELETE FROM allowed WHERE network = ?1",
	[STORE_STMT_FAILURES_ALL] =
		"SELECT " STORE_FAILURE_COLUMNS " FROM failures "
		"INDEXED BY failures_time WHERE time >= ?1 ORDER BY time, id",
	[STORE_STMT_FAILURES_IP] =
		"SELECT " STORE_FAILURE_COLUMNS " FROM failures "
		"INDEXED BY failures_ip WHERE ip = ?2 AND time >= ?1 "
		"ORDER BY time, id",
	[STORE_STMT_FAILURES_USER] =
		"SELECT " STORE_FAILURE_COLUMNS " FROM failures "
		"INDEXED BY failures_user WHERE user = ?2 AND time >= ?1 "
		"ORDER BY time, id",
	[STORE_STMT_USER_DEVICES] =
		"SELECT user, network, first_seen, last_seen "
		"FROM known_devices WHERE user = ?1 "
		"ORDER BY last_seen DESC, network",
	[STORE_STMT_COUNT_ACTIVE] =
		"SELECT kind, source, observed, count(*) FROM bans "
		"WHERE lifted IS NULL AND " STORE_ACTIVE_EXPR " > ?1 "
		"GROUP BY kind, source, observed",
	[STORE_STMT_COUNT_FAILURES] =
		"SELECT coalesce(sum(CASE WHEN result = 'refused' THEN 0 "
		"ELSE count END), 0), coalesce(sum(CASE WHEN result = "
		"'refused' THEN count ELSE 0 END), 0) FROM failures "
		"INDEXED BY failures_time WHERE time >= ?1",
	[STORE_STMT_SIZE] =
		"SELECT (SELECT count(*) FROM bans), "
		"(SELECT count(*) FROM failures), "
		"(SELECT count(*) FROM allowed), "
		"(SELECT count(*) FROM known_devices), "
		"(SELECT count(*) FROM events), "
		"(SELECT page_count FROM pragma_page_count()) * "
		"(SELECT page_size FROM pragma_page_size())",
	/* lockoutd: notifications */
	[STORE_STMT_ITER_UNNOTIFIED_BANS] =
		"SELECT " STORE_BAN_COLUMNS " FROM bans INDEXED BY "
		"bans_unnotified WHERE notified = 0 ORDER BY id LIMIT ?1",
	[STORE_STMT_ITER_UNNOTIFIED_EVENTS] =
		"SELECT id, time, kind, ip, user, detail FROM events "
		"INDEXED BY events_unnotified WHERE notified = 0 "
		"ORDER BY id LIMIT ?1",
	[STORE_STMT_MARK_BAN_NOTIFIED] =
		"UPDATE bans SET notified = 1 WHERE id = ?1",
	[STORE_STMT_MARK_EVENT_NOTIFIED] =
		"UPDATE events SET notified = 1 WHERE id = ?1",
	[STORE_STMT_TOUCH_DEVICE] =
		"INSERT INTO known_devices (user, network, first_seen, "
		"last_seen) VALUES (?1, ?2, ?3, ?3) "
		"ON CONFLICT (user, network) DO UPDATE SET "
		"last_seen = max(last_seen, excluded.last_seen)",
	[STORE_STMT_ITER_DEVICES] =
		"SELECT user, network, first_seen, last_seen "
		"FROM known_devices WHERE last_seen >= ?1 "
		"ORDER BY last_seen DESC LIMIT ?2",
	[STORE_STMT_ADD_EVENT] =
		"INSERT INTO events (time, kind, ip, user, detail) "
		"VALUES (?1, ?2, ?3, ?4, ?5)",
	/* bans that ended (lifted or expired) before ?1; permanent bans
	   that were never lifted stay */
	[STORE_STMT_PRUNE_BANS] =
		"DELETE FROM bans WHERE id IN (SELECT id FROM bans "
		"WHERE coalesce(lifted, expires) < ?1 ORDER BY id LIMIT ?2)",
	[STORE_STMT_PRUNE_EVENTS] =
		"DELETE FROM events WHERE id IN (SELECT id FROM events "
		"INDEXED BY events_time WHERE time < ?1 ORDER BY time "
		"LIMIT ?2)",
	[STORE_STMT_PRUNE_DEVICES] =
		"DELETE FROM known_devices WHERE (user, network) IN "
		"(SELECT user, network FROM known_devices INDEXED BY "
		"known_devices_seen WHERE last_seen < ?1 ORDER BY last_seen "
		"LIMIT ?2)",
};

/* Schema migrations: entry i brings user_version from i to i + 1. Append
   only; never edit a migration that has shipped. */
static const char *const store_migrations[] = {
	/* 1: initial schema */
	"CREATE TABLE bans ("
	" id INTEGER PRIMARY KEY,"
	" target TEXT NOT NULL CHECK (length(target) > 0),"
	" kind TEXT NOT NULL CHECK (kind IN ('ip', 'net', 'user')),"
	" source TEXT NOT NULL"
	"  CHECK (source IN ('auto', 'manual', 'feed')),"
	" reason TEXT NOT NULL,"
	" rule TEXT NOT NULL,"
	" created INTEGER NOT NULL"
	"  CHECK (typeof(created) = 'integer' AND created > 0),"
	/* NULL = permanent */
	" expires INTEGER CHECK (expires IS NULL OR"
	"  (typeof(expires) = 'integer' AND expires > created)),"
	/* NULL = not lifted */
	" lifted INTEGER CHECK (lifted IS NULL OR"
	"  (typeof(lifted) = 'integer' AND lifted > 0)),"
	" failures INTEGER NOT NULL DEFAULT 0"
	"  CHECK (typeof(failures) = 'integer' AND failures >= 0),"
	" evidence TEXT NOT NULL DEFAULT '{}',"
	/* 1 = made in observe mode: recorded, never enforced */
	" observed INTEGER NOT NULL DEFAULT 0 CHECK (observed IN (0, 1))"
	");"
	/* per-target lookups: lift, count_bans, show */
	"CREATE INDEX bans_target ON bans (target, created);"
	/* active bans: only the unlifted ones, as one range on expiry */
	"CREATE INDEX bans_active ON bans (" STORE_ACTIVE_EXPR ")"
	" WHERE lifted IS NULL;"
	"CREATE TABLE failures ("
	" id INTEGER PRIMARY KEY,"
	" time INTEGER NOT NULL CHECK (typeof(time) = 'integer'),"
	" ip TEXT,"
	" user TEXT,"
	" service TEXT,"
	" mechanism TEXT,"
	" result TEXT,"
	" count INTEGER NOT NULL DEFAULT 1"
	"  CHECK (typeof(count) = 'integer' AND count > 0)"
	");"
	"CREATE INDEX failures_time ON failures (time);"
	"CREATE INDEX failures_user ON failures (user, time);"
	"CREATE INDEX failures_ip ON failures (ip, time);"
	"PRAGMA application_id = 1280262987;",
	/* 2: known devices, allowed networks, notable events, notification
	   state */
	/* (user, source network) pairs that logged in successfully */
	"CREATE TABLE known_devices ("
	" user TEXT NOT NULL CHECK (length(user) > 0),"
	" network TEXT NOT NULL CHECK (length(network) > 0),"
	" first_seen INTEGER NOT NULL CHECK (typeof(first_seen) = 'integer'),"
	" last_seen INTEGER NOT NULL CHECK (typeof(last_seen) = 'integer'),"
	" PRIMARY KEY (user, network)"
	") WITHOUT ROWID;"
	"CREATE INDEX known_devices_seen ON known_devices (last_seen);"
	/* networks kept allowed by the administrator (doveadm lockout allow),
	   in addition to lockout_allow_networks */
	"CREATE TABLE allowed ("
	" network TEXT PRIMARY KEY CHECK (length(network) > 0),"
	" reason TEXT NOT NULL DEFAULT '',"
	" created INTEGER NOT NULL CHECK (typeof(created) = 'integer')"
	");"
	/* notable events for the postmaster: stale clients, successes after
	   many failures, protections */
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY,"
	" time INTEGER NOT NULL CHECK (typeof(time) = 'integer'),"
	" kind TEXT NOT NULL CHECK (length(kind) > 0),"
	" ip TEXT NOT NULL DEFAULT '',"
	" user TEXT NOT NULL DEFAULT '',"
	" detail TEXT NOT NULL DEFAULT '{}',"
	" notified INTEGER NOT NULL DEFAULT 0 CHECK (notified IN (0, 1))"
	");"
	"CREATE INDEX events_time ON events (time);"
	"CREATE INDEX events_unnotified ON events (id) WHERE notified = 0;"
	/* lockoutd's notification state of each ban */
	"ALTER TABLE bans ADD COLUMN notified INTEGER NOT NULL DEFAULT 0"
	" CHECK (notified IN (0, 1));"
	"CREATE INDEX bans_unnotified ON bans (id) WHERE notified = 0;",
};

#define STORE_SCHEMA_VERSION \
	((int)(sizeof(store_migrations) / sizeof(store_migrations[0])))

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))

struct lockout_store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmts[STORE_STMT_COUNT];
	int64_t data_version;
	unsigned int skipped_rows;
	bool readonly;
	/* an iter_bans or top callback is running */
	bool in_callback;
	bool last_error_busy;
};

int lockout_store_schema_version(void)
{
	return STORE_SCHEMA_VERSION;
}

/* Format "<path>: <message>" for a failure that is not SQLite's. */
static const char * __attribute__((format(printf, 2, 3)))
store_errorf(struct lockout_store *store, const char *fmt, ...)
{
	char msg[LOCKOUT_ERROR_MAX];
	va_list args;

	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	store->last_error_busy = false;
	return lockout_error_fmt("%s: %s", store->path, msg);
}

/* Format "<path>: <what>: <SQLite's reason>" for SQLite result code rc. */
static const char *
store_error(struct lockout_store *store, const char *what, int rc)
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
		return lockout_error_fmt("%s: %s: file is not a database",
					 store->path, what);
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

static int
store_check_writable(struct lockout_store *store, const char *what,
		     const char **error_r)
{
	if (store->readonly) {
		*error_r = store_errorf(store, "%s: store is read-only", what);
		return -1;
	}
	return 0;
}

/* Iterations cannot nest: their callbacks may not start another one. */
static int
store_check_not_iterating(struct lockout_store *store, const char *what,
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

/* Return the cached prepared statement id, preparing it on first use. */
static int
store_stmt_get(struct lockout_store *store, enum store_stmt id,
	       sqlite3_stmt **stmt_r, const char **error_r)
{
	sqlite3_stmt *stmt = store->stmts[id];
	int rc;

	if (stmt == NULL) {
		rc = sqlite3_prepare_v3(store->db, store_sql[id], -1,
					SQLITE_PREPARE_PERSISTENT, &stmt,
					NULL);
		if (rc != SQLITE_OK) {
			*error_r = store_error(store, "prepare statement", rc);
			return -1;
		}
		store->stmts[id] = stmt;
	} else if (sqlite3_stmt_busy(stmt) != 0) {
		/* a callback calling back into the call that runs it */
		*error_r = store_errorf(store,
			"statement already in use (re-entrant call)");
		return -1;
	}
	*stmt_r = stmt;
	return 0;
}

/* Make a statement reusable. Every use ends here, on success and on error,
   so that no read transaction stays open (it would pin the WAL and hide
   other connections' commits from data_version). The returned codes only
   repeat the step's error, which the caller has already handled. */
static void store_stmt_release(sqlite3_stmt *stmt)
{
	(void)sqlite3_reset(stmt);
	(void)sqlite3_clear_bindings(stmt);
}

/* Step a statement that returns no rows, then release it. */
static int
store_step_done(struct lockout_store *store, sqlite3_stmt *stmt,
		const char *what, const char **error_r)
{
	int rc;

	rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE) {
		*error_r = store_error(store, what, rc);
		store_stmt_release(stmt);
		return -1;
	}
	store_stmt_release(stmt);
	return 0;
}

/* Bind a string, NULL as SQL NULL. The strings stay valid until the
   statement is released, within the same call. */
static int store_bind_text(sqlite3_stmt *stmt, int idx, const char *value)
{
	if (value == NULL)
		return sqlite3_bind_null(stmt, idx);
	return sqlite3_bind_text(stmt, idx, value, -1, SQLITE_STATIC);
}

/* Bind a time where 0 means NULL (expires, lifted). */
static int store_bind_time(sqlite3_stmt *stmt, int idx, int64_t value)
{
	if (value == 0)
		return sqlite3_bind_null(stmt, idx);
	return sqlite3_bind_int64(stmt, idx, value);
}

/* Run SQL without parameters or results (pragmas, migrations). */
static int
store_exec(struct lockout_store *store, const char *sql, const char *what,
	   const char **error_r)
{
	int rc;

	rc = sqlite3_exec(store->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		*error_r = store_error(store, what, rc);
		return -1;
	}
	return 0;
}

/* Run a one-off query returning one integer (open-time pragmas). */
static int
store_query_int(struct lockout_store *store, const char *sql,
		const char *what, int64_t *value_r, const char **error_r)
{
	sqlite3_stmt *stmt;
	int rc;

	rc = sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL);
	if (rc != SQLITE_OK) {
		*error_r = store_error(store, what, rc);
		return -1;
	}
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		if (rc == SQLITE_DONE) {
			*error_r = store_errorf(store, "%s: no result", what);
		} else {
			*error_r = store_error(store, what, rc);
		}
		(void)sqlite3_finalize(stmt);
		return -1;
	}
	*value_r = sqlite3_column_int64(stmt, 0);
	(void)sqlite3_finalize(stmt);
	return 0;
}

static int
store_read_data_version(struct lockout_store *store, int64_t *version_r,
			const char **error_r)
{
	sqlite3_stmt *stmt;
	int rc;

	if (store_stmt_get(store, STORE_STMT_DATA_VERSION, &stmt,
			   error_r) < 0)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		*error_r = store_error(store, "read data_version", rc);
		store_stmt_release(stmt);
		return -1;
	}
	*version_r = sqlite3_column_int64(stmt, 0);
	store_stmt_release(stmt);
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

/* Apply the next migration in its own transaction, or set *done_r if the
   schema is up to date. The version is read again under the write lock, so
   two processes opening the same old database do not both migrate it. On
   failure the caller rolls back. */
static int
store_migrate_step(struct lockout_store *store, bool *done_r,
		   const char **error_r)
{
	char sql[64], what[64];
	int64_t version;

	if (store_exec(store, "BEGIN IMMEDIATE", "migrate schema",
		       error_r) < 0 ||
	    store_query_int(store, "PRAGMA user_version", "migrate schema",
			    &version, error_r) < 0)
		return -1;
	if (version < 0 || version > STORE_SCHEMA_VERSION) {
		*error_r = store_errorf(store, "migrate schema: schema version "
					"%lld changed under us",
					(long long)version);
		return -1;
	}
	if (version == STORE_SCHEMA_VERSION) {
		*done_r = true;
		return store_exec(store, "COMMIT", "migrate schema", error_r);
	}
	snprintf(what, sizeof(what), "migrate schema to version %d",
		 (int)version + 1);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		 (int)version + 1);
	if (store_exec(store, store_migrations[version], what, error_r) < 0 ||
	    store_exec(store, sql, what, error_r) < 0 ||
	    store_exec(store, "COMMIT", what, error_r) < 0)
		return -1;
	return 0;
}

static int store_migrate(struct lockout_store *store, const char **error_r)
{
	bool done = false;

	while (!done) {
		if (store_migrate_step(store, &done, error_r) < 0) {
			/* The error is already in the buffer: roll back
			   without formatting anything. */
			lockout_store_rollback(store);
			return -1;
		}
	}
	return 0;
}

/* SQLite's message when a read-only connection cannot open or create the
   -shm of a WAL database is "attempt to write a readonly database": say
   what is missing. */
static void
store_readonly_hint(struct lockout_store *store, const char **error_r)
{
	char msg[LOCKOUT_ERROR_MAX];
	int rc = sqlite3_extended_errcode(store->db) & 0xff;

	if (!store->readonly ||
	    (rc != SQLITE_READONLY && rc != SQLITE_CANTOPEN))
		return;
	snprintf(msg, sizeof(msg), "%s", *error_r);
	*error_r = lockout_error_fmt("%s (a read-only open of a WAL database "
				     "needs its -wal and -shm files, or write "
				     "access to the directory)", msg);
}

/* Decide from the header whether we may use (and migrate) the file. Runs
   before anything is written, so a refused file is left as it was. */
static int
store_check_header(struct lockout_store *store, bool create,
		   int64_t *version_r, const char **error_r)
{
	int64_t version, app_id, objects;

	/* The first read: fails on a file that is not a database. */
	if (store_query_int(store, "PRAGMA user_version", "read schema version",
			    &version, error_r) < 0) {
		store_readonly_hint(store, error_r);
		return -1;
	}
	if (store_query_int(store, "PRAGMA application_id",
			    "read application_id", &app_id, error_r) < 0 ||
	    store_query_int(store, "SELECT count(*) FROM sqlite_master",
			    "read schema", &objects, error_r) < 0)
		return -1;

	if (version > STORE_SCHEMA_VERSION) {
		*error_r = store_errorf(store,
			"schema version %lld is newer than this "
			"dovecot-lockout knows (%d); refusing to use it",
			(long long)version, STORE_SCHEMA_VERSION);
		return -1;
	}
	if (version < 0) {
		*error_r = store_errorf(store, "invalid schema version %lld",
					(long long)version);
		return -1;
	}
	if (app_id != STORE_APPLICATION_ID &&
	    (app_id != 0 || version > 0)) {
		*error_r = store_errorf(store,
			"not a dovecot-lockout database (application_id "
			"0x%llx, schema version %lld)",
			(unsigned long long)app_id, (long long)version);
		return -1;
	}
	if (version == 0) {
		if (objects > 0) {
			*error_r = store_errorf(store,
				"database is not empty but has no "
				"dovecot-lockout schema; refusing to touch it");
			return -1;
		}
		if (!create) {
			*error_r = store_errorf(store,
				"database has no dovecot-lockout schema "
				"(it is created only when asked to)");
			return -1;
		}
	}
	if (store->readonly && version < STORE_SCHEMA_VERSION) {
		*error_r = store_errorf(store,
			"schema version %lld is older than %d; open it "
			"read-write once to upgrade it",
			(long long)version, STORE_SCHEMA_VERSION);
		return -1;
	}
	*version_r = version;
	return 0;
}

static int
store_setup(struct lockout_store *store, bool create,
	    unsigned int busy_timeout_msecs, const char **error_r)
{
	int64_t version;
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

	if (store_check_header(store, create, &version, error_r) < 0)
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
	if (!store->readonly && version < STORE_SCHEMA_VERSION) {
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
	rc = sqlite3_open_v2(path, &store->db, open_flags, NULL);
	if (rc != SQLITE_OK) {
		*error_r = store_error(store, "cannot open", rc);
		lockout_store_close(&store);
		return -1;
	}
	if (store_setup(store, create, busy_timeout_msecs, error_r) < 0) {
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

	if (store->db != NULL) {
		lockout_store_rollback(store);
		for (i = 0; i < STORE_STMT_COUNT; i++) {
			/* returns the last step's error, handled then */
			(void)sqlite3_finalize(store->stmts[i]);
		}
		/* with every statement finalized, close cannot be busy */
		(void)sqlite3_close_v2(store->db);
	}
	free(store->path);
	free(store);
}

int lockout_store_begin(struct lockout_store *store, const char **error_r)
{
	sqlite3_stmt *stmt;

	if (store_check_writable(store, "begin transaction", error_r) < 0)
		return -1;
	if (sqlite3_get_autocommit(store->db) == 0) {
		*error_r = store_errorf(store,
			"begin transaction: a transaction is already open");
		return -1;
	}
	if (store_stmt_get(store, STORE_STMT_BEGIN, &stmt, error_r) < 0)
		return -1;
	return store_step_done(store, stmt, "begin transaction", error_r);
}

int lockout_store_commit(struct lockout_store *store, const char **error_r)
{
	sqlite3_stmt *stmt;

	if (sqlite3_get_autocommit(store->db) != 0) {
		/* SQLite rolls back by itself after some errors (disk full,
		   I/O error, out of memory) */
		*error_r = store_errorf(store,
			"commit: no transaction is open "
			"(rolled back after an earlier error?)");
		return -1;
	}
	if (store_stmt_get(store, STORE_STMT_COMMIT, &stmt, error_r) < 0 ||
	    store_step_done(store, stmt, "commit", error_r) < 0) {
		lockout_store_rollback(store);
		return -1;
	}
	return 0;
}

void lockout_store_rollback(struct lockout_store *store)
{
	sqlite3_stmt *stmt;

	/* Called on error paths: must not touch the error buffer. */
	if (store == NULL || sqlite3_get_autocommit(store->db) != 0)
		return;
	stmt = store->stmts[STORE_STMT_ROLLBACK];
	if (stmt == NULL &&
	    sqlite3_prepare_v3(store->db, store_sql[STORE_STMT_ROLLBACK], -1,
			       SQLITE_PREPARE_PERSISTENT, &stmt,
			       NULL) == SQLITE_OK)
		store->stmts[STORE_STMT_ROLLBACK] = stmt;
	if (stmt != NULL) {
		(void)sqlite3_step(stmt);
		(void)sqlite3_reset(stmt);
	}
	if (sqlite3_get_autocommit(store->db) == 0) {
		/* last resort; nothing more can be done if it fails */
		(void)sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
	}
}

/* Bind the columns of STORE_STMT_ADD_BAN; return SQLite's code. */
static int store_bind_ban(sqlite3_stmt *stmt, const struct lockout_ban *ban)
{
	const char *evidence = ban->evidence != NULL ? ban->evidence : "{}";
	int rc;

	rc = store_bind_text(stmt, 1, ban->target);
	if (rc == SQLITE_OK)
		rc = store_bind_text(stmt, 2, lockout_kind_to_str(ban->kind));
	if (rc == SQLITE_OK) {
		rc = store_bind_text(stmt, 3,
				     lockout_source_to_str(ban->source));
	}
	if (rc == SQLITE_OK)
		rc = store_bind_text(stmt, 4, ban->reason);
	if (rc == SQLITE_OK)
		rc = store_bind_text(stmt, 5, ban->rule);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(stmt, 6, ban->created);
	if (rc == SQLITE_OK)
		rc = store_bind_time(stmt, 7, ban->expires);
	if (rc == SQLITE_OK)
		rc = store_bind_time(stmt, 8, ban->lifted);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(stmt, 9, ban->failures);
	if (rc == SQLITE_OK)
		rc = store_bind_text(stmt, 10, evidence);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(stmt, 11, ban->observed ? 1 : 0);
	return rc;
}

int lockout_store_add_ban(struct lockout_store *store,
			  const struct lockout_ban *ban, int64_t *id_r,
			  const char **error_r)
{
	sqlite3_stmt *stmt;
	const char *problem;
	int rc;

	if (store_check_writable(store, "add ban", error_r) < 0)
		return -1;
	if (lockout_ban_validate(ban, &problem) < 0) {
		*error_r = store_errorf(store, "add ban: %s", problem);
		return -1;
	}
	if (store_stmt_get(store, STORE_STMT_ADD_BAN, &stmt, error_r) < 0)
		return -1;
	if ((rc = store_bind_ban(stmt, ban)) != SQLITE_OK) {
		*error_r = store_error(store, "add ban", rc);
		store_stmt_release(stmt);
		return -1;
	}
	if (store_step_done(store, stmt, "add ban", error_r) < 0)
		return -1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(store->db);
	return 0;
}

static int
store_check_target(struct lockout_store *store, const char *what,
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

static unsigned int store_changes(struct lockout_store *store)
{
	int changes = sqlite3_changes(store->db);

	return changes < 0 ? 0 : (unsigned int)changes;
}

int lockout_store_lift(struct lockout_store *store, const char *target,
		       int64_t now, unsigned int *count_r,
		       const char **error_r)
{
	sqlite3_stmt *stmt;
	int rc;

	*count_r = 0;
	if (store_check_writable(store, "lift ban", error_r) < 0 ||
	    store_check_target(store, "lift ban", target, error_r) < 0)
		return -1;
	if (now <= 0) {
		*error_r = store_errorf(store, "lift ban: time must be > 0");
		return -1;
	}
	if (store_stmt_get(store, STORE_STMT_LIFT, &stmt, error_r) < 0)
		return -1;
	if ((rc = store_bind_text(stmt, 1, target)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(stmt, 2, now)) != SQLITE_OK) {
		*error_r = store_error(store, "lift ban", rc);
		store_stmt_release(stmt);
		return -1;
	}
	if (store_step_done(store, stmt, "lift ban", error_r) < 0)
		return -1;
	*count_r = store_changes(store);
	return 0;
}

static int
store_failure_validate(const struct lockout_failure *row,
		       const char **problem_r)
{
	if (row->time <= 0)
		*problem_r = "time must be > 0";
	else if (row->count == 0)
		*problem_r = "count must be > 0";
	else if ((row->ip != NULL &&
		  !lockout_field_fits(row->ip, LOCKOUT_FAILURE_FIELD_MAX, false)) ||
		 (row->user != NULL &&
		  !lockout_field_fits(row->user, LOCKOUT_FAILURE_FIELD_MAX,
				  false)) ||
		 (row->service != NULL &&
		  !lockout_field_fits(row->service, LOCKOUT_FAILURE_FIELD_MAX,
				  false)) ||
		 (row->mechanism != NULL &&
		  !lockout_field_fits(row->mechanism, LOCKOUT_FAILURE_FIELD_MAX,
				  false)) ||
		 (row->result != NULL &&
		  !lockout_field_fits(row->result, LOCKOUT_FAILURE_FIELD_MAX,
				  false)))
		*problem_r = "field longer than 255 bytes";
	else
		return 0;
	return -1;
}

/* Bind the columns of STORE_STMT_ADD_FAILURE; return SQLite's code. */
static int
store_bind_failure(sqlite3_stmt *stmt, const struct lockout_failure *row)
{
	int rc;

	rc = sqlite3_bind_int64(stmt, 1, row->time);
	if (rc == SQLITE_OK)
		rc = store_bind_text(stmt, 2, row->ip);
	if (rc == SQLITE_OK)
		rc = store_bind_text(stmt, 3, row->user);
	if (rc == SQLITE_OK)
		rc = store_bind_text(stmt, 4, row->service);
	if (rc == SQLITE_OK)
		rc = store_bind_text(stmt, 5, row->mechanism);
	if (rc == SQLITE_OK)
		rc = store_bind_text(stmt, 6, row->result);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(stmt, 7, row->count);
	return rc;
}

int lockout_store_add_failures(struct lockout_store *store,
			       const struct lockout_failure *rows,
			       size_t count, const char **error_r)
{
	sqlite3_stmt *stmt;
	const char *problem;
	size_t i;
	int rc;

	if (store_check_writable(store, "add failures", error_r) < 0)
		return -1;
	if (count == 0)
		return 0;
	for (i = 0; i < count; i++) {
		if (store_failure_validate(&rows[i], &problem) < 0) {
			*error_r = store_errorf(store,
				"add failures: row %zu: %s", i, problem);
			return -1;
		}
	}
	if (store_stmt_get(store, STORE_STMT_ADD_FAILURE, &stmt,
			   error_r) < 0)
		return -1;
	for (i = 0; i < count; i++) {
		if ((rc = store_bind_failure(stmt, &rows[i])) != SQLITE_OK) {
			*error_r = store_error(store, "add failures", rc);
			store_stmt_release(stmt);
			return -1;
		}
		if (store_step_done(store, stmt, "add failures", error_r) < 0)
			return -1;
	}
	return 0;
}

static int
store_bind_failed(struct lockout_store *store, sqlite3_stmt *stmt,
		  const char *what, int rc, const char **error_r);

/* Delete at most max_rows rows older than before with statement id. */
static int
store_prune(struct lockout_store *store, enum store_stmt id, const char *what,
	    int64_t before, unsigned int max_rows, unsigned int *deleted_r,
	    const char **error_r)
{
	sqlite3_stmt *stmt;
	int rc;

	*deleted_r = 0;
	if (store_check_writable(store, what, error_r) < 0)
		return -1;
	if (max_rows == 0)
		return 0;
	if (store_stmt_get(store, id, &stmt, error_r) < 0)
		return -1;
	if ((rc = sqlite3_bind_int64(stmt, 1, before)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(stmt, 2, max_rows)) != SQLITE_OK)
		return store_bind_failed(store, stmt, what, rc, error_r);
	if (store_step_done(store, stmt, what, error_r) < 0)
		return -1;
	*deleted_r = store_changes(store);
	return 0;
}

int lockout_store_prune_failures(struct lockout_store *store, int64_t before,
				 unsigned int max_rows,
				 unsigned int *deleted_r,
				 const char **error_r)
{
	return store_prune(store, STORE_STMT_PRUNE, "prune failures", before,
			   max_rows, deleted_r, error_r);
}

int lockout_store_prune(struct lockout_store *store,
			enum lockout_store_table table, int64_t before,
			unsigned int max_rows, unsigned int *deleted_r,
			const char **error_r)
{
	switch (table) {
	case LOCKOUT_STORE_TABLE_FAILURES:
		break;
	case LOCKOUT_STORE_TABLE_BANS:
		return store_prune(store, STORE_STMT_PRUNE_BANS, "prune bans",
				   before, max_rows, deleted_r, error_r);
	case LOCKOUT_STORE_TABLE_EVENTS:
		return store_prune(store, STORE_STMT_PRUNE_EVENTS,
				   "prune events", before, max_rows,
				   deleted_r, error_r);
	case LOCKOUT_STORE_TABLE_KNOWN_DEVICES:
		return store_prune(store, STORE_STMT_PRUNE_DEVICES,
				   "prune known devices", before, max_rows,
				   deleted_r, error_r);
	}
	return lockout_store_prune_failures(store, before, max_rows,
					    deleted_r, error_r);
}

/* Read a text column: NULL only if nullable, never a BLOB or a string with
   an embedded NUL (which C would silently cut). */
static int
store_column_text(sqlite3_stmt *stmt, int col, bool nullable,
		  const char **value_r)
{
	const unsigned char *text;
	int type, len;

	type = sqlite3_column_type(stmt, col);
	if (type == SQLITE_NULL && nullable) {
		*value_r = NULL;
		return 0;
	}
	if (type != SQLITE_TEXT)
		return -1;
	text = sqlite3_column_text(stmt, col);
	len = sqlite3_column_bytes(stmt, col);
	if (text == NULL || len < 0 || memchr(text, '\0', (size_t)len) != NULL)
		return -1;
	*value_r = (const char *)text;
	return 0;
}

/* Read a time column: an integer > 0, or NULL (read as 0) if nullable.
   A stored 0 would read as "permanent" or "not lifted": refuse it. */
static int
store_column_time(sqlite3_stmt *stmt, int col, bool nullable,
		  int64_t *value_r)
{
	switch (sqlite3_column_type(stmt, col)) {
	case SQLITE_NULL:
		if (!nullable)
			return -1;
		*value_r = 0;
		return 0;
	case SQLITE_INTEGER:
		*value_r = sqlite3_column_int64(stmt, col);
		return *value_r > 0 ? 0 : -1;
	default:
		return -1;
	}
}

static int
store_column_count(sqlite3_stmt *stmt, int col, int64_t max,
		   int64_t *value_r)
{
	if (sqlite3_column_type(stmt, col) != SQLITE_INTEGER)
		return -1;
	*value_r = sqlite3_column_int64(stmt, col);
	return *value_r >= 0 && *value_r <= max ? 0 : -1;
}

/* Fill ban from the current row of an iter statement; -1 if the row breaks
   the invariants. */
static int store_ban_read(sqlite3_stmt *stmt, struct lockout_ban *ban)
{
	const char *kind, *source, *problem;
	int64_t failures, observed;

	memset(ban, 0, sizeof(*ban));
	if (sqlite3_column_type(stmt, 0) != SQLITE_INTEGER)
		return -1;
	ban->id = sqlite3_column_int64(stmt, 0);
	if (store_column_text(stmt, 1, false, &ban->target) < 0 ||
	    store_column_text(stmt, 2, false, &kind) < 0 ||
	    store_column_text(stmt, 3, false, &source) < 0 ||
	    store_column_text(stmt, 4, false, &ban->reason) < 0 ||
	    store_column_text(stmt, 5, false, &ban->rule) < 0 ||
	    store_column_time(stmt, 6, false, &ban->created) < 0 ||
	    store_column_time(stmt, 7, true, &ban->expires) < 0 ||
	    store_column_time(stmt, 8, true, &ban->lifted) < 0 ||
	    store_column_count(stmt, 9, UINT_MAX, &failures) < 0 ||
	    store_column_text(stmt, 10, false, &ban->evidence) < 0 ||
	    store_column_count(stmt, 11, 1, &observed) < 0)
		return -1;
	ban->observed = observed != 0;
	/* Text pointers stay valid: no later column access converts them. */
	if (lockout_kind_parse(kind, &ban->kind) < 0 ||
	    lockout_source_parse(source, &ban->source) < 0)
		return -1;
	ban->failures = (unsigned int)failures;
	return lockout_ban_validate(ban, &problem);
}

static void store_count_skipped(struct lockout_store *store)
{
	if (store->skipped_rows < UINT_MAX)
		store->skipped_rows++;
}

/* Step an iteration statement (prepared and bound) to its end, calling
   row() for each row with the re-entrancy guard up; always releases it.
   Return 0 when all rows were seen, row()'s non-zero value if it stopped,
   or -1. */
static int
store_iterate(struct lockout_store *store, sqlite3_stmt *stmt,
	      const char *what,
	      int (*row)(struct lockout_store *store, sqlite3_stmt *stmt,
			 void *context),
	      void *context, const char **error_r)
{
	int rc, ret;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		store->in_callback = true;
		ret = row(store, stmt, context);
		store->in_callback = false;
		if (ret != 0) {
			store_stmt_release(stmt);
			return ret;
		}
	}
	if (rc != SQLITE_DONE) {
		*error_r = store_error(store, what, rc);
		store_stmt_release(stmt);
		return -1;
	}
	store_stmt_release(stmt);
	return 0;
}

/* A bind failed: report it and release the statement. Returns -1. */
static int
store_bind_failed(struct lockout_store *store, sqlite3_stmt *stmt,
		  const char *what, int rc, const char **error_r)
{
	*error_r = store_error(store, what, rc);
	store_stmt_release(stmt);
	return -1;
}

struct store_ban_iter {
	lockout_ban_callback_t *callback;
	void *context;
};

static int
store_ban_row(struct lockout_store *store, sqlite3_stmt *stmt, void *context)
{
	struct store_ban_iter *iter = context;
	struct lockout_ban ban;

	if (store_ban_read(stmt, &ban) < 0) {
		store_count_skipped(store);
		return 0;
	}
	return iter->callback(&ban, iter->context);
}

int lockout_store_iter_bans(struct lockout_store *store, int64_t now,
			    unsigned int flags,
			    lockout_ban_callback_t *callback, void *context,
			    const char **error_r)
{
	struct store_ban_iter iter = { callback, context };
	sqlite3_stmt *stmt;
	bool all = (flags & LOCKOUT_ITER_FLAG_ALL) != 0;
	int rc;

	if (store_check_not_iterating(store, "list bans", error_r) < 0)
		return -1;
	if (store_stmt_get(store, all ? STORE_STMT_ITER_ALL :
			   STORE_STMT_ITER_ACTIVE, &stmt, error_r) < 0)
		return -1;
	if (!all && (rc = sqlite3_bind_int64(stmt, 1, now)) != SQLITE_OK)
		return store_bind_failed(store, stmt, "list bans", rc, error_r);
	return store_iterate(store, stmt, "list bans", store_ban_row, &iter,
			     error_r);
}

unsigned int lockout_store_skipped_rows(const struct lockout_store *store)
{
	return store->skipped_rows;
}

int lockout_store_changed(struct lockout_store *store, const char **error_r)
{
	int64_t version;

	if (store_read_data_version(store, &version, error_r) < 0)
		return -1;
	if (version == store->data_version)
		return 0;
	store->data_version = version;
	return 1;
}

int lockout_store_count_bans(struct lockout_store *store, const char *target,
			     unsigned int *count_r, const char **error_r)
{
	sqlite3_stmt *stmt;
	int64_t count;
	int rc;

	*count_r = 0;
	if (store_check_target(store, "count bans", target, error_r) < 0)
		return -1;
	if (store_stmt_get(store, STORE_STMT_COUNT_BANS, &stmt, error_r) < 0)
		return -1;
	if ((rc = store_bind_text(stmt, 1, target)) != SQLITE_OK ||
	    (rc = sqlite3_step(stmt)) != SQLITE_ROW) {
		*error_r = store_error(store, "count bans", rc);
		store_stmt_release(stmt);
		return -1;
	}
	count = sqlite3_column_int64(stmt, 0);
	store_stmt_release(stmt);
	*count_r = count < 0 ? 0 : count > UINT_MAX ? UINT_MAX :
		(unsigned int)count;
	return 0;
}

static const struct {
	const char *by;
	enum store_stmt stmt;
} store_top_keys[] = {
	{ "user", STORE_STMT_TOP_USER },
	{ "ip", STORE_STMT_TOP_IP },
	{ "service", STORE_STMT_TOP_SERVICE },
};

int lockout_store_top(struct lockout_store *store, const char *by,
		      int64_t since, unsigned int limit,
		      int (*callback)(const struct lockout_top_row *row,
				      void *context),
		      void *context, const char **error_r)
{
	struct lockout_top_row row;
	sqlite3_stmt *stmt;
	int64_t failures, distinct;
	unsigned int i;
	int rc, ret;

	for (i = 0; i < N_ELEMENTS(store_top_keys); i++) {
		if (by != NULL && strcmp(by, store_top_keys[i].by) == 0)
			break;
	}
	if (i == N_ELEMENTS(store_top_keys)) {
		*error_r = store_errorf(store,
			"top: unknown key '%s' (user, ip or service)",
			by == NULL ? "" : by);
		return -1;
	}
	if (store_check_not_iterating(store, "top", error_r) < 0)
		return -1;
	if (limit == 0)
		return 0;
	if (store_stmt_get(store, store_top_keys[i].stmt, &stmt,
			   error_r) < 0)
		return -1;
	if ((rc = sqlite3_bind_int64(stmt, 1, since)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(stmt, 2, limit)) != SQLITE_OK) {
		*error_r = store_error(store, "top", rc);
		store_stmt_release(stmt);
		return -1;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		if (store_column_text(stmt, 0, false, &row.key) < 0 ||
		    store_column_count(stmt, 1, INT64_MAX, &failures) < 0 ||
		    store_column_count(stmt, 2, INT64_MAX, &distinct) < 0 ||
		    sqlite3_column_type(stmt, 3) != SQLITE_INTEGER ||
		    sqlite3_column_type(stmt, 4) != SQLITE_INTEGER) {
			store_count_skipped(store);
			continue;
		}
		row.failures = (uint64_t)failures;
		row.distinct = (uint64_t)distinct;
		row.first = sqlite3_column_int64(stmt, 3);
		row.last = sqlite3_column_int64(stmt, 4);
		store->in_callback = true;
		ret = callback(&row, context);
		store->in_callback = false;
		if (ret != 0) {
			store_stmt_release(stmt);
			return ret;
		}
	}
	if (rc != SQLITE_DONE) {
		*error_r = store_error(store, "top", rc);
		store_stmt_release(stmt);
		return -1;
	}
	store_stmt_release(stmt);
	return 0;
}

bool lockout_store_error_is_busy(const struct lockout_store *store)
{
	return store->last_error_busy;
}

int lockout_store_iter_target(struct lockout_store *store, const char *target,
			      int64_t now, unsigned int flags,
			      lockout_ban_callback_t *callback, void *context,
			      const char **error_r)
{
	struct store_ban_iter iter = { callback, context };
	sqlite3_stmt *stmt;
	bool all = (flags & LOCKOUT_ITER_FLAG_ALL) != 0;
	int rc;

	if (store_check_target(store, "list target", target, error_r) < 0 ||
	    store_check_not_iterating(store, "list target", error_r) < 0)
		return -1;
	if (store_stmt_get(store, all ? STORE_STMT_ITER_TARGET_ALL :
			   STORE_STMT_ITER_TARGET_ACTIVE, &stmt, error_r) < 0)
		return -1;
	if ((rc = store_bind_text(stmt, 1, target)) != SQLITE_OK ||
	    (!all && (rc = sqlite3_bind_int64(stmt, 2, now)) != SQLITE_OK))
		return store_bind_failed(store, stmt, "list target", rc,
					 error_r);
	return store_iterate(store, stmt, "list target", store_ban_row, &iter,
			     error_r);
}

/* Read a network or username column (allowed, known_devices): text of
   1..255 bytes, not parsed here. */
static int
store_column_network(sqlite3_stmt *stmt, int col, const char **value_r)
{
	if (store_column_text(stmt, col, false, value_r) < 0)
		return -1;
	return lockout_field_fits(*value_r, LOCKOUT_BAN_TARGET_MAX, true) ? 0 : -1;
}

struct store_allowed_iter {
	int (*callback)(const char *network, const char *reason,
			int64_t created, void *context);
	void *context;
};

static int
store_allowed_row(struct lockout_store *store, sqlite3_stmt *stmt,
		  void *context)
{
	struct store_allowed_iter *iter = context;
	const char *network, *reason;
	int64_t created;

	if (store_column_network(stmt, 0, &network) < 0 ||
	    store_column_text(stmt, 1, false, &reason) < 0 ||
	    store_column_time(stmt, 2, false, &created) < 0) {
		store_count_skipped(store);
		return 0;
	}
	return iter->callback(network, reason, created, iter->context);
}

int lockout_store_iter_allowed(struct lockout_store *store,
			       int (*callback)(const char *network,
					       const char *reason,
					       int64_t created, void *context),
			       void *context, const char **error_r)
{
	struct store_allowed_iter iter = { callback, context };
	sqlite3_stmt *stmt;

	if (store_check_not_iterating(store, "list allowed", error_r) < 0 ||
	    store_stmt_get(store, STORE_STMT_ITER_ALLOWED, &stmt,
			   error_r) < 0)
		return -1;
	return store_iterate(store, stmt, "list allowed", store_allowed_row,
			     &iter, error_r);
}

int lockout_store_add_allowed(struct lockout_store *store,
			      const char *network, const char *reason,
			      int64_t created, bool *existed_r,
			      const char **error_r)
{
	sqlite3_stmt *stmt;
	unsigned int changes;
	int rc;

	if (existed_r != NULL)
		*existed_r = false;
	if (store_check_writable(store, "allow network", error_r) < 0 ||
	    store_check_target(store, "allow network", network, error_r) < 0)
		return -1;
	if (reason == NULL ||
	    !lockout_field_fits(reason, LOCKOUT_BAN_REASON_MAX, false)) {
		*error_r = store_errorf(store, "allow network: %s",
			reason == NULL ? "missing reason" :
			"reason longer than 1024 bytes");
		return -1;
	}
	if (created <= 0) {
		*error_r = store_errorf(store,
			"allow network: created time must be > 0");
		return -1;
	}
	/* an UPDATE first keeps the original time (and needs no UPSERT,
	   which SQLite < 3.24 lacks) */
	if (store_stmt_get(store, STORE_STMT_ALLOWED_UPDATE, &stmt,
			   error_r) < 0)
		return -1;
	if ((rc = store_bind_text(stmt, 1, network)) != SQLITE_OK ||
	    (rc = store_bind_text(stmt, 2, reason)) != SQLITE_OK)
		return store_bind_failed(store, stmt, "allow network", rc,
					 error_r);
	if (store_step_done(store, stmt, "allow network", error_r) < 0)
		return -1;
	changes = store_changes(store);
	if (changes > 0) {
		if (existed_r != NULL)
			*existed_r = true;
		return 0;
	}
	if (store_stmt_get(store, STORE_STMT_ALLOWED_INSERT, &stmt,
			   error_r) < 0)
		return -1;
	if ((rc = store_bind_text(stmt, 1, network)) != SQLITE_OK ||
	    (rc = store_bind_text(stmt, 2, reason)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(stmt, 3, created)) != SQLITE_OK)
		return store_bind_failed(store, stmt, "allow network", rc,
					 error_r);
	return store_step_done(store, stmt, "allow network", error_r);
}

int lockout_store_remove_allowed(struct lockout_store *store,
				 const char *network, unsigned int *count_r,
				 const char **error_r)
{
	sqlite3_stmt *stmt;
	int rc;

	*count_r = 0;
	if (store_check_writable(store, "remove allowed", error_r) < 0 ||
	    store_check_target(store, "remove allowed", network,
			       error_r) < 0 ||
	    store_stmt_get(store, STORE_STMT_ALLOWED_DELETE, &stmt,
			   error_r) < 0)
		return -1;
	if ((rc = store_bind_text(stmt, 1, network)) != SQLITE_OK)
		return store_bind_failed(store, stmt, "remove allowed", rc,
					 error_r);
	if (store_step_done(store, stmt, "remove allowed", error_r) < 0)
		return -1;
	*count_r = store_changes(store);
	return 0;
}

struct store_failure_iter {
	lockout_failure_callback_t *callback;
	void *context;
};

/* Read a nullable failure-history string within its limit. */
static int
store_column_field(sqlite3_stmt *stmt, int col, const char **value_r)
{
	if (store_column_text(stmt, col, true, value_r) < 0)
		return -1;
	return *value_r == NULL ||
		lockout_field_fits(*value_r, LOCKOUT_FAILURE_FIELD_MAX, false) ?
		0 : -1;
}

static int
store_failure_row(struct lockout_store *store, sqlite3_stmt *stmt,
		  void *context)
{
	struct store_failure_iter *iter = context;
	struct lockout_failure row;
	int64_t count;

	memset(&row, 0, sizeof(row));
	if (store_column_time(stmt, 0, false, &row.time) < 0 ||
	    store_column_field(stmt, 1, &row.ip) < 0 ||
	    store_column_field(stmt, 2, &row.user) < 0 ||
	    store_column_field(stmt, 3, &row.service) < 0 ||
	    store_column_field(stmt, 4, &row.mechanism) < 0 ||
	    store_column_field(stmt, 5, &row.result) < 0 ||
	    store_column_count(stmt, 6, UINT_MAX, &count) < 0 || count == 0) {
		store_count_skipped(store);
		return 0;
	}
	row.count = (unsigned int)count;
	return iter->callback(&row, iter->context);
}

int lockout_store_iter_failures(struct lockout_store *store, const char *by,
				const char *value, int64_t since,
				lockout_failure_callback_t *callback,
				void *context, const char **error_r)
{
	struct store_failure_iter iter = { callback, context };
	enum store_stmt id;
	sqlite3_stmt *stmt;
	int rc;

	if (by == NULL)
		id = STORE_STMT_FAILURES_ALL;
	else if (strcmp(by, "ip") == 0)
		id = STORE_STMT_FAILURES_IP;
	else if (strcmp(by, "user") == 0)
		id = STORE_STMT_FAILURES_USER;
	else {
		*error_r = store_errorf(store,
			"list failures: unknown key '%s' (ip or user)", by);
		return -1;
	}
	if (id != STORE_STMT_FAILURES_ALL &&
	    (value == NULL ||
	     !lockout_field_fits(value, LOCKOUT_FAILURE_FIELD_MAX, false))) {
		*error_r = store_errorf(store, "list failures: %s",
			value == NULL ? "missing value" :
			"value longer than 255 bytes");
		return -1;
	}
	if (store_check_not_iterating(store, "list failures", error_r) < 0 ||
	    store_stmt_get(store, id, &stmt, error_r) < 0)
		return -1;
	if ((rc = sqlite3_bind_int64(stmt, 1, since)) != SQLITE_OK ||
	    (id != STORE_STMT_FAILURES_ALL &&
	     (rc = store_bind_text(stmt, 2, value)) != SQLITE_OK))
		return store_bind_failed(store, stmt, "list failures", rc,
					 error_r);
	return store_iterate(store, stmt, "list failures", store_failure_row,
			     &iter, error_r);
}

struct store_device_iter {
	lockout_known_device_callback_t *callback;
	void *context;
};

static int
store_device_row(struct lockout_store *store, sqlite3_stmt *stmt,
		 void *context)
{
	struct store_device_iter *iter = context;
	const char *user, *network;
	int64_t first_seen, last_seen;

	if (store_column_network(stmt, 0, &user) < 0 ||
	    store_column_network(stmt, 1, &network) < 0 ||
	    store_column_time(stmt, 2, false, &first_seen) < 0 ||
	    store_column_time(stmt, 3, false, &last_seen) < 0) {
		store_count_skipped(store);
		return 0;
	}
	return iter->callback(user, network, first_seen, last_seen,
			      iter->context);
}

int lockout_store_iter_user_devices(struct lockout_store *store,
				    const char *user,
				    lockout_known_device_callback_t *callback,
				    void *context, const char **error_r)
{
	struct store_device_iter iter = { callback, context };
	sqlite3_stmt *stmt;
	int rc;

	if (store_check_target(store, "list known devices", user,
			       error_r) < 0 ||
	    store_check_not_iterating(store, "list known devices",
				      error_r) < 0 ||
	    store_stmt_get(store, STORE_STMT_USER_DEVICES, &stmt,
			   error_r) < 0)
		return -1;
	if ((rc = store_bind_text(stmt, 1, user)) != SQLITE_OK)
		return store_bind_failed(store, stmt, "list known devices", rc,
					 error_r);
	return store_iterate(store, stmt, "list known devices",
			     store_device_row, &iter, error_r);
}

/* Add count (0..UINT_MAX) to *sum, saturating rather than wrapping. */
static void store_sum(unsigned int *sum, int64_t count)
{
	uint64_t total = (uint64_t)*sum + (uint64_t)count;

	*sum = total > UINT_MAX ? UINT_MAX : (unsigned int)total;
}

static int
store_count_active_row(struct lockout_store *store, sqlite3_stmt *stmt,
		       void *context)
{
	struct lockout_ban_counts *counts = context;
	enum lockout_kind kind;
	enum lockout_source source;
	const char *kind_str, *source_str;
	int64_t observed, count;

	if (store_column_text(stmt, 0, false, &kind_str) < 0 ||
	    lockout_kind_parse(kind_str, &kind) < 0 ||
	    store_column_text(stmt, 1, false, &source_str) < 0 ||
	    lockout_source_parse(source_str, &source) < 0 ||
	    store_column_count(stmt, 2, 1, &observed) < 0 ||
	    store_column_count(stmt, 3, UINT_MAX, &count) < 0) {
		store_count_skipped(store);
		return 0;
	}
	if (observed != 0)
		store_sum(&counts->observed, count);
	else {
		store_sum(&counts->by_kind[kind], count);
		store_sum(&counts->by_source[source], count);
		store_sum(&counts->active, count);
	}
	return 0;
}

int lockout_store_count_active(struct lockout_store *store, int64_t now,
			       struct lockout_ban_counts *counts_r,
			       const char **error_r)
{
	sqlite3_stmt *stmt;
	int rc;

	memset(counts_r, 0, sizeof(*counts_r));
	if (store_check_not_iterating(store, "count bans", error_r) < 0 ||
	    store_stmt_get(store, STORE_STMT_COUNT_ACTIVE, &stmt,
			   error_r) < 0)
		return -1;
	if ((rc = sqlite3_bind_int64(stmt, 1, now)) != SQLITE_OK)
		return store_bind_failed(store, stmt, "count bans", rc,
					 error_r);
	return store_iterate(store, stmt, "count bans",
			     store_count_active_row, counts_r, error_r);
}

/* Run a statement that returns one row of `count` non-negative integers
   (aggregates), with ?1 bound to param when bind is true. */
static int
store_query_counts(struct lockout_store *store, enum store_stmt id,
		   const char *what, bool bind, int64_t param,
		   uint64_t *values_r, int count, const char **error_r)
{
	sqlite3_stmt *stmt;
	int64_t value;
	int i, rc;

	if (store_stmt_get(store, id, &stmt, error_r) < 0)
		return -1;
	if (bind && (rc = sqlite3_bind_int64(stmt, 1, param)) != SQLITE_OK)
		return store_bind_failed(store, stmt, what, rc, error_r);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			*error_r = store_errorf(store, "%s: no result", what);
		else
			*error_r = store_error(store, what, rc);
		store_stmt_release(stmt);
		return -1;
	}
	for (i = 0; i < count; i++) {
		if (store_column_count(stmt, i, INT64_MAX, &value) < 0) {
			*error_r = store_errorf(store, "%s: invalid result",
						what);
			store_stmt_release(stmt);
			return -1;
		}
		values_r[i] = (uint64_t)value;
	}
	store_stmt_release(stmt);
	return 0;
}

int lockout_store_count_failures(struct lockout_store *store, int64_t since,
				 uint64_t *failures_r, uint64_t *refused_r,
				 const char **error_r)
{
	uint64_t values[2];

	*failures_r = *refused_r = 0;
	if (store_query_counts(store, STORE_STMT_COUNT_FAILURES,
			       "count failures", true, since, values, 2,
			       error_r) < 0)
		return -1;
	*failures_r = values[0];
	*refused_r = values[1];
	return 0;
}

int lockout_store_size(struct lockout_store *store,
		       struct lockout_store_size *size_r,
		       const char **error_r)
{
	uint64_t values[6];

	memset(size_r, 0, sizeof(*size_r));
	if (store_query_counts(store, STORE_STMT_SIZE, "table size", false, 0,
			       values, 6, error_r) < 0)
		return -1;
	size_r->bans = values[0];
	size_r->failures = values[1];
	size_r->allowed = values[2];
	size_r->known_devices = values[3];
	size_r->events = values[4];
	size_r->bytes = values[5];
	return 0;
}

/* --- known devices, events, allowed networks ----------------------------- */

int lockout_store_touch_known_device(struct lockout_store *store,
				     const char *user, const char *network,
				     int64_t seen, const char **error_r)
{
	sqlite3_stmt *stmt;
	int rc;

	if (store_check_writable(store, "known device", error_r) < 0)
		return -1;
	if (!lockout_field_fits(user, LOCKOUT_FAILURE_FIELD_MAX, true) ||
	    !lockout_field_fits(network, LOCKOUT_FAILURE_FIELD_MAX, true) ||
	    seen <= 0) {
		*error_r = store_errorf(store, "known device: empty or "
					"overlong field, or bad time");
		return -1;
	}
	if (store_stmt_get(store, STORE_STMT_TOUCH_DEVICE, &stmt, error_r) < 0)
		return -1;
	if ((rc = store_bind_text(stmt, 1, user)) != SQLITE_OK ||
	    (rc = store_bind_text(stmt, 2, network)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(stmt, 3, seen)) != SQLITE_OK) {
		*error_r = store_error(store, "known device", rc);
		store_stmt_release(stmt);
		return -1;
	}
	return store_step_done(store, stmt, "known device", error_r);
}

int lockout_store_iter_known_devices(struct lockout_store *store,
				     int64_t since, unsigned int limit,
				     lockout_known_device_callback_t *callback,
				     void *context, const char **error_r)
{
	struct store_device_iter iter = { callback, context };
	sqlite3_stmt *stmt;
	int rc;

	if (store_check_not_iterating(store, "list known devices",
				      error_r) < 0 ||
	    store_stmt_get(store, STORE_STMT_ITER_DEVICES, &stmt,
			   error_r) < 0)
		return -1;
	if ((rc = sqlite3_bind_int64(stmt, 1, since)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(stmt, 2, limit)) != SQLITE_OK)
		return store_bind_failed(store, stmt, "list known devices", rc,
					 error_r);
	return store_iterate(store, stmt, "list known devices",
			     store_device_row, &iter, error_r);
}

int lockout_store_add_event(struct lockout_store *store,
			    const struct lockout_event *event,
			    const char **error_r)
{
	sqlite3_stmt *stmt;
	int rc;

	if (store_check_writable(store, "add event", error_r) < 0)
		return -1;
	if (event->time <= 0 ||
	    !lockout_field_fits(event->kind, LOCKOUT_FAILURE_FIELD_MAX, true) ||
	    !lockout_field_fits(event->ip == NULL ? "" : event->ip,
			    LOCKOUT_FAILURE_FIELD_MAX, false) ||
	    !lockout_field_fits(event->user == NULL ? "" : event->user,
			    LOCKOUT_FAILURE_FIELD_MAX, false) ||
	    !lockout_field_fits(event->detail == NULL ? "{}" : event->detail,
			    LOCKOUT_BAN_EVIDENCE_MAX, true)) {
		*error_r = store_errorf(store, "add event: bad time, empty "
					"kind or overlong field");
		return -1;
	}
	if (store_stmt_get(store, STORE_STMT_ADD_EVENT, &stmt, error_r) < 0)
		return -1;
	if ((rc = sqlite3_bind_int64(stmt, 1, event->time)) != SQLITE_OK ||
	    (rc = store_bind_text(stmt, 2, event->kind)) != SQLITE_OK ||
	    (rc = store_bind_text(stmt, 3, event->ip == NULL ? "" :
				  event->ip)) != SQLITE_OK ||
	    (rc = store_bind_text(stmt, 4, event->user == NULL ? "" :
				  event->user)) != SQLITE_OK ||
	    (rc = store_bind_text(stmt, 5, event->detail == NULL ? "{}" :
				  event->detail)) != SQLITE_OK) {
		*error_r = store_error(store, "add event", rc);
		store_stmt_release(stmt);
		return -1;
	}
	return store_step_done(store, stmt, "add event", error_r);
}

/* --- lockoutd: what to mail ------------------------------------------- */

/* Prepare statement id, bind its only parameter (a row limit) and
   iterate it. */
static int
store_iter_limited(struct lockout_store *store, enum store_stmt id,
		   const char *what, unsigned int limit,
		   int (*row)(struct lockout_store *store, sqlite3_stmt *stmt,
			      void *context),
		   void *context, const char **error_r)
{
	sqlite3_stmt *stmt;
	int rc;

	if (store_check_not_iterating(store, what, error_r) < 0)
		return -1;
	if (limit == 0)
		return 0;
	if (store_stmt_get(store, id, &stmt, error_r) < 0)
		return -1;
	rc = sqlite3_bind_int64(stmt, 1, limit);
	if (rc != SQLITE_OK)
		return store_bind_failed(store, stmt, what, rc, error_r);
	return store_iterate(store, stmt, what, row, context, error_r);
}

int lockout_store_iter_unnotified_bans(struct lockout_store *store,
				       unsigned int limit,
				       lockout_ban_callback_t *callback,
				       void *context, const char **error_r)
{
	struct store_ban_iter iter = { callback, context };

	return store_iter_limited(store, STORE_STMT_ITER_UNNOTIFIED_BANS,
				  "list unnotified bans", limit,
				  store_ban_row, &iter, error_r);
}

/* A string column of an events row: not NULL, at most max bytes and, when
   nonempty is set, not empty. */
static int
store_column_bounded(sqlite3_stmt *stmt, int col, size_t max, bool nonempty,
		     const char **value_r)
{
	if (store_column_text(stmt, col, false, value_r) < 0 ||
	    !lockout_field_fits(*value_r, max, nonempty))
		return -1;
	return 0;
}

static int store_event_read(sqlite3_stmt *stmt, struct lockout_event *event)
{
	memset(event, 0, sizeof(*event));
	if (sqlite3_column_type(stmt, 0) != SQLITE_INTEGER)
		return -1;
	event->id = sqlite3_column_int64(stmt, 0);
	if (store_column_time(stmt, 1, false, &event->time) < 0 ||
	    store_column_bounded(stmt, 2, LOCKOUT_FAILURE_FIELD_MAX, true,
				 &event->kind) < 0 ||
	    store_column_bounded(stmt, 3, LOCKOUT_FAILURE_FIELD_MAX, false,
				 &event->ip) < 0 ||
	    store_column_bounded(stmt, 4, LOCKOUT_FAILURE_FIELD_MAX, false,
				 &event->user) < 0 ||
	    store_column_bounded(stmt, 5, LOCKOUT_BAN_EVIDENCE_MAX, false,
				 &event->detail) < 0)
		return -1;
	return 0;
}

struct store_event_iter {
	lockout_event_callback_t *callback;
	void *context;
};

static int
store_event_row(struct lockout_store *store, sqlite3_stmt *stmt,
		void *context)
{
	struct store_event_iter *iter = context;
	struct lockout_event event;

	if (store_event_read(stmt, &event) < 0) {
		store_count_skipped(store);
		return 0;
	}
	return iter->callback(&event, iter->context);
}

int lockout_store_iter_unnotified_events(struct lockout_store *store,
					 unsigned int limit,
					 lockout_event_callback_t *callback,
					 void *context, const char **error_r)
{
	struct store_event_iter iter = { callback, context };

	return store_iter_limited(store, STORE_STMT_ITER_UNNOTIFIED_EVENTS,
				  "list events", limit, store_event_row,
				  &iter, error_r);
}

static int
store_mark_notified(struct lockout_store *store, enum store_stmt id,
		    const int64_t *ids, size_t count, const char **error_r)
{
	sqlite3_stmt *stmt;
	size_t i;
	int rc;

	if (store_check_writable(store, "mark notified", error_r) < 0)
		return -1;
	if (count == 0)
		return 0;
	if (store_stmt_get(store, id, &stmt, error_r) < 0)
		return -1;
	for (i = 0; i < count; i++) {
		if ((rc = sqlite3_bind_int64(stmt, 1, ids[i])) != SQLITE_OK) {
			*error_r = store_error(store, "mark notified", rc);
			store_stmt_release(stmt);
			return -1;
		}
		if (store_step_done(store, stmt, "mark notified",
				    error_r) < 0)
			return -1;
	}
	return 0;
}

int lockout_store_mark_bans_notified(struct lockout_store *store,
				     const int64_t *ids, size_t count,
				     const char **error_r)
{
	return store_mark_notified(store, STORE_STMT_MARK_BAN_NOTIFIED, ids,
				   count, error_r);
}

int lockout_store_mark_events_notified(struct lockout_store *store,
				       const int64_t *ids, size_t count,
				       const char **error_r)
{
	return store_mark_notified(store, STORE_STMT_MARK_EVENT_NOTIFIED, ids,
				   count, error_r);
}
