/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The schema of the store's database and its migrations (PRAGMA
   user_version), and the check of a file's header before anything is
   written to it. */
#include "lockout-store-private.h"

#include <stdio.h>
#include <sys/stat.h>

/* "LOCK": PRAGMA application_id of our databases, so that we never migrate
   somebody else's file by mistake. */
#define STORE_APPLICATION_ID 0x4c4f434b

/* A field of an old failure row that lockout_pack_failures() takes: NULL,
   or text of at most LOCKOUT_FAILURE_FIELD_MAX bytes without a NUL. The
   rows it does not take were skipped by every reader: schema 9 drops
   them rather than fail (and keep the auth process from the table). */
#define STORE_PACKABLE(col) \
	" (" col " IS NULL OR (typeof(" col ") = 'text' AND" \
	" length(CAST(" col " AS BLOB)) <= 255 AND" \
	" instr(CAST(" col " AS BLOB), X'00') = 0))"

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
	/* 3: indexes for doveadm at 100,000 bans */
	/* list -k: a kind in creation order, an empty kind at once */
	"CREATE INDEX bans_kind ON bans (kind, created);",
	/* 4: list in creation order without sorting the whole table; the
	   active bans keep their plan (INDEXED BY bans_active) */
	"CREATE INDEX bans_created ON bans (created);",
	/* 5: the failures of an address through an index that the auth
	   process writes cheaply. Keyed by address, each new row of a
	   flood from many addresses landed on a page of its own (the
	   page read, rewritten in the WAL and copied back at the
	   checkpoint: 28 of 40 us of CPU per row in writeq-bench); keyed
	   by the address's last character (10 values for IPv4, 16 for
	   IPv6), then time, the rows of a batch are appended at the ends
	   of a few ranges. An address's failures are then one range of
	   the period among about 1/10 of the others, filtered on the
	   index's copy of the address (lockout-store-history.c). */
	"DROP INDEX IF EXISTS failures_ip;"
	"CREATE INDEX IF NOT EXISTS failures_ip_tail ON failures"
	" (substr(ip, -1), time, ip);",
	/* 6: the node (Dovecot server) that wrote each failure row, for
	   several nodes sharing a PostgreSQL table
	   (lockout_store_set_node()); '' for a single node; and the tag of
	   its password (struct lockout_failure), 0 for a single node */
	("ALTER TABLE failures ADD COLUMN node TEXT NOT NULL DEFAULT '';"
	 "ALTER TABLE failures ADD COLUMN tag INTEGER NOT NULL DEFAULT 0;"),
	/* 7: PostgreSQL's failure rows packed a second of a node to a row
	   (lockout-store-pg-schema.c); nothing changes here, the number
	   keeps both drivers' versions alike */
	"SELECT 1;",
	/* 8: no index by username. A batch's rows went to the end of each
	   username's range of failures_user, that is to as many pages as
	   there were usernames in the batch: each page read, written to
	   the WAL and copied back at the checkpoint. That was most of what a
	   row cost (bench/run-writeq-bench.sh, 300 usernames: 14.7 us a row
	   with it, 3.8 without). Its one reader, doveadm lockout show USER,
	   reads the period's entries of failures_time instead, which holds
	   the username too (appended at its end like the time alone: as
	   cheap to write), so that only the user's rows are read. */
	("DROP INDEX IF EXISTS failures_user;"
	 "DROP INDEX IF EXISTS failures_time;"
	 "CREATE INDEX failures_time ON failures (time, user);"),
	/* 9: the failure history packed, as PostgreSQL's (schema 7): a row
	   of failure_batches holds the failures of one second, at most
	   1024, as a blob (lockout-store-packed.c). A row a failure cost
	   three B-tree inserts and their pages' share of the commit, about
	   6 us of the auth process's CPU a failure. The view "failures"
	   unpacks the batches (lockout_failure_rows(), registered on each
	   connection the store opens), so the readers keep their SQL; a
	   failure's id is its batch's id times 1024 plus its place in the
	   batch. n is the batch's number of failures; ip and user the
	   address and username all its failures share, NULL if they
	   differ: doveadm lockout show ADDRESS reads through
	   failure_batches_ip the batches of that address alone and those
	   of several (a flood's: few and large), not all of the period
	   (a server failing a login every few seconds writes a batch of
	   one each time). The old rows are moved over in the same
	   packing. */
	("CREATE TABLE failure_batches ("
	 " id INTEGER PRIMARY KEY,"
	 " time INTEGER NOT NULL CHECK (typeof(time) = 'integer'),"
	 " node TEXT NOT NULL DEFAULT '',"
	 " n INTEGER NOT NULL CHECK (typeof(n) = 'integer' AND"
	 "  n BETWEEN 1 AND 1024),"
	 " ip TEXT,"
	 " \"user\" TEXT,"
	 " rows BLOB NOT NULL CHECK (typeof(rows) = 'blob')"
	 ");"
	 /* n in it: top's count of the period's failures reads the
	    index alone */
	 "CREATE INDEX failure_batches_time ON failure_batches (time, n);"
	 "CREATE INDEX failure_batches_ip ON failure_batches (ip, time);"
	 "CREATE INDEX failure_batches_user ON failure_batches"
	 " (\"user\", time);"
	 "INSERT INTO failure_batches (time, node, n, ip, \"user\", rows)"
	 " SELECT time, node, count(*),"
	 " CASE WHEN count(ip) = count(*) AND min(ip) = max(ip)"
	 "  THEN min(ip) END,"
	 " CASE WHEN count(\"user\") = count(*) AND"
	 "  min(\"user\") = max(\"user\") THEN min(\"user\") END,"
	 " lockout_pack_failures(ip, \"user\","
	 " service, mechanism, result, count, tag) FROM"
	 " (SELECT f.*, (row_number() OVER (PARTITION BY time, node"
	 "  ORDER BY id) - 1) / 1024 AS part FROM failures f WHERE"
	 STORE_PACKABLE("ip") " AND " STORE_PACKABLE("\"user\"") " AND "
	 STORE_PACKABLE("service") " AND " STORE_PACKABLE("mechanism")
	 " AND " STORE_PACKABLE("result") " AND typeof(count) = 'integer'"
	 "  AND count BETWEEN 1 AND 4294967295 AND typeof(tag) = 'integer'"
	 "  AND tag BETWEEN 0 AND 4294967295"
	 "  ORDER BY time, node, part, id)"
	 " GROUP BY time, node, part ORDER BY min(id);"
	 "DROP TABLE failures;"
	 "CREATE VIEW failures AS SELECT " STORE_PG_FAILURE_ID " AS id,"
	 " b.time AS time, u.ip AS ip, u.\"user\" AS \"user\","
	 " u.service AS service, u.mechanism AS mechanism,"
	 " u.result AS result, u.count AS count, b.node AS node,"
	 " u.tag AS tag FROM " STORE_SQLITE_FAILURES_FROM ";"
	 /* a row written into the view (by hand, a test) is a batch of
	    one */
	 "CREATE TRIGGER failures_insert INSTEAD OF INSERT ON failures"
	 " BEGIN INSERT INTO failure_batches (time, node, n, ip, \"user\","
	 " rows) VALUES (NEW.time, coalesce(NEW.node, ''), 1, NEW.ip,"
	 " NEW.\"user\", lockout_pack_failure(NEW.ip,"
	 " NEW.\"user\", NEW.service, NEW.mechanism, NEW.result,"
	 " coalesce(NEW.count, 1), coalesce(NEW.tag, 0))); END;"),
};

#define STORE_SCHEMA_VERSION \
	((int)(sizeof(store_migrations) / sizeof(store_migrations[0])))

int lockout_store_schema_version(void)
{
	return STORE_SCHEMA_VERSION;
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

int store_migrate(struct lockout_store *store, const char **error_r)
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

/* A file SQLite reads as an empty database although it is not empty, or
   shorter than the pages its header counts, is the start of a database cut
   short (a full disk, an interrupted copy), not a new one to create the
   schema in. */
static int
store_check_truncated(struct lockout_store *store, const char **error_r)
{
	char detail[128];
	int64_t pages, page_size;
	struct stat st;

	if (stat(store->path, &st) < 0 || st.st_size == 0)
		return 0;
	if (store_query_int(store, "PRAGMA page_count", "read page count",
			    &pages, error_r) < 0 ||
	    store_query_int(store, "PRAGMA page_size", "read page size",
			    &page_size, error_r) < 0)
		return -1;
	if (pages > 0 && page_size > 0 && pages <= INT64_MAX / page_size &&
	    st.st_size >= pages * page_size)
		return 0;
	snprintf(detail, sizeof(detail), "truncated: %lld bytes, less than "
		 "its %lld pages of %lld bytes", (long long)st.st_size,
		 (long long)(pages > 0 ? pages : 1), (long long)page_size);
	*error_r = store_damaged(store, SQLITE_CORRUPT, detail);
	return -1;
}

/* Runs before anything is written, so a refused file is left as it was. */
int store_check_header(struct lockout_store *store, bool create,
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
	if (version == 0 && objects == 0 &&
	    store_check_truncated(store, error_r) < 0)
		return -1;
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
