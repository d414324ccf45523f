/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_STORE_PRIVATE_H
#define LOCKOUT_STORE_PRIVATE_H

/* Internals shared by the lockout-store-*.c files, and by nothing else:
   the connection, the statement cache, parameter binding, the row loop and
   the column readers. Each of those files holds the SQL of its concern.

   Functions taking `what` use it as the first words of their error messages
   ("add ban: ..."), after the database path. */

#include "lockout-store.h"
#include "lockout-str.h"
#include "lockout-error.h"

#include <sqlite3.h>
#include <libpq-fe.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))

/* Permanent bans have expires NULL; the active-bans index is on
   coalesce(expires, INT64_MAX) so that "active at now" is one range. */
#define STORE_ACTIVE_EXPR "coalesce(expires, 9223372036854775807)"

/* PostgreSQL keeps the failure history packed: a row of failure_batches
   holds the failures one node wrote for one second (at most
   STORE_PG_BATCH_MAX of them), its columns arrays, so that a flood is a
   few rows a second rather than one an attempt (issue 14). The view
   "failures" unpacks them into SQLite's columns; a failure's id is its
   batch's id times STORE_PG_BATCH_MAX plus its place in the batch, so
   ids grow as SQLite's do. */
#define STORE_PG_BATCH_BITS 10
#define STORE_PG_BATCH_MAX (1u << STORE_PG_BATCH_BITS)
#define STORE_PG_FAILURES_FROM \
	"failure_batches b CROSS JOIN LATERAL unnest(b.ips, b.users, " \
	"b.services, b.mechanisms, b.results, b.counts, b.tags) " \
	"WITH ORDINALITY AS u(ip, \"user\", service, mechanism, result, " \
	"count, tag, o)"
#define STORE_PG_FAILURE_ID "((b.id << 10) + u.o - 1)"
/* SQLite's packing of the same (schema 9): a blob a batch, unpacked by
   lockout_failure_rows() (lockout-store-packed.c); the same ids */
#define STORE_SQLITE_FAILURES_FROM \
	"failure_batches b, lockout_failure_rows(b.rows) u"
/* The columns store_ban_read() reads, in its order. */
#define STORE_BAN_COLUMNS \
	"id, target, kind, source, reason, rule, created, expires, " \
	"lifted, failures, evidence, observed"

/* The slots of the statement cache: each statement is prepared on first use
   and kept until close. */
enum store_stmt {
	/* lockout-store-sql.c */
	STORE_STMT_BEGIN,
	STORE_STMT_COMMIT,
	STORE_STMT_ROLLBACK,
	STORE_STMT_DATA_VERSION,
	STORE_STMT_LAST_ID,
	/* lockout-store-bans.c */
	STORE_STMT_ADD_BAN,
	STORE_STMT_ADD_BAN_ONCE,
	STORE_STMT_LIFT,
	STORE_STMT_COUNT_BANS,
	STORE_STMT_ITER_ACTIVE,
	STORE_STMT_ITER_ALL,
	STORE_STMT_ITER_ACTIVE_CREATED,
	STORE_STMT_ITER_TARGET_ACTIVE,
	STORE_STMT_ITER_TARGET_ALL,
	STORE_STMT_ITER_TARGETS,
	STORE_STMT_ITER_KIND_ACTIVE,
	STORE_STMT_ITER_KIND_ALL,
	/* lockout-store-history.c */
	STORE_STMT_ADD_FAILURE,
	STORE_STMT_ADD_FAILURE_CHUNK,
	STORE_STMT_FAILURES_ALL,
	STORE_STMT_FAILURES_IP,
	STORE_STMT_FAILURES_USER,
	STORE_STMT_COUNT_FAILURES,
	STORE_STMT_FAILURES_SINCE,
	/* lockout-store-top.c */
	STORE_STMT_TOP_ROWS,
	STORE_STMT_TOP_ROWS_SCAN,
	STORE_STMT_TOP_COUNT,
	/* lockout-store-allowed.c */
	STORE_STMT_ITER_ALLOWED,
	STORE_STMT_ALLOWED_UPDATE,
	STORE_STMT_ALLOWED_INSERT,
	STORE_STMT_ALLOWED_DELETE,
	/* lockout-store-devices.c */
	STORE_STMT_TOUCH_DEVICE,
	STORE_STMT_ITER_DEVICES,
	STORE_STMT_USER_DEVICES,
	/* lockout-store-notify.c */
	STORE_STMT_ADD_EVENT,
	STORE_STMT_ITER_UNNOTIFIED_BANS,
	STORE_STMT_ITER_UNNOTIFIED_EVENTS,
	STORE_STMT_CLAIM_BAN_NOTIFIED,
	STORE_STMT_CLAIM_EVENT_NOTIFIED,
	STORE_STMT_UNCLAIM_BAN_NOTIFIED,
	STORE_STMT_UNCLAIM_EVENT_NOTIFIED,
	/* lockout-store-stats.c */
	STORE_STMT_COUNT_ACTIVE,
	STORE_STMT_SIZE,
	STORE_STMT_COUNT_ALERTS,
	STORE_STMT_COUNT_UNKNOWN_NAMES,
	/* lockout-store-prune.c */
	STORE_STMT_PRUNE_FAILURES,
	STORE_STMT_PRUNE_BANS,
	STORE_STMT_PRUNE_EVENTS,
	STORE_STMT_PRUNE_DEVICES,

	STORE_STMT_COUNT
};

/* A cached statement: its slot and its SQL (parameters ?1, ?2, ...). The
   PostgreSQL driver runs sql translated by store_pg_translate() (?N to $N,
   SQLite's INDEXED BY and NOT INDEXED dropped), or pg_sql (already in
   PostgreSQL's dialect, $N parameters) where the dialects differ. */
struct store_query {
	enum store_stmt slot;
	const char *sql;
	const char *pg_sql;
};

/* SQLite's packed failures being written (lockout-store-packed.c) */
struct store_packed {
	/* the blob (lockout_str for its growing; not text) */
	struct lockout_str buf;
	/* failures in buf */
	unsigned int count;
	/* out of memory, or a failure that cannot be packed */
	bool failed;
};

struct lockout_store {
	enum lockout_db_driver driver;
	/* LOCKOUT_DB_DRIVER_SQLITE */
	sqlite3 *db;
	/* the path of the SQLite file; for PostgreSQL the database's
	   description in messages (never the conninfo: it may hold a
	   password) */
	char *path;
	sqlite3_stmt *stmts[STORE_STMT_COUNT];
	/* the batch of failures being packed, its buffer reused */
	struct store_packed packed;
	/* LOCKOUT_DB_DRIVER_PGSQL (lockout-store-pg.c) */
	PGconn *pg;
	int pg_backend_pid;
	/* the slot's statement has been prepared on this connection */
	bool pg_prepared[STORE_STMT_COUNT];
	/* rows changed by the last store_run(), and the id it returned */
	unsigned int pg_changes;
	int64_t pg_last_id;
	/* lockout_store_set_node(): written with each failure row */
	char *node;
	int64_t data_version;
	/* the file SQLite opened (lockout_store_file_state()) */
	dev_t file_dev;
	ino_t file_ino;
	unsigned int skipped_rows;
	/* lockout_store_set_invalid_ban_callback() */
	lockout_invalid_ban_callback_t *invalid_ban;
	void *invalid_ban_context;
	bool readonly;
	/* an iteration callback is running */
	bool in_callback;
	bool last_error_busy;
};

/* A parameter to bind, made with the macros below. */
enum store_value_type {
	STORE_VALUE_INT,
	/* NULL is bound as SQL NULL */
	STORE_VALUE_TEXT,
	/* an int where 0 is bound as SQL NULL (expires, lifted) */
	STORE_VALUE_TIME,
	/* SQLite only: text bytes, num of them (the packed failures) */
	STORE_VALUE_BLOB,
};
struct store_value {
	enum store_value_type type;
	int64_t num;
	const char *text;
};
#define STORE_INT(value) { .type = STORE_VALUE_INT, .num = (value) }
#define STORE_TEXT(value) { .type = STORE_VALUE_TEXT, .text = (value) }
#define STORE_TIME(value) { .type = STORE_VALUE_TIME, .num = (value) }
#define STORE_BLOB(data, size) \
	{ .type = STORE_VALUE_BLOB, .text = (const char *)(data), \
	  .num = (int64_t)(size) }

/* The caller's callback of an iteration and its context; the row function
   of the iteration knows which member of fn is set. */
struct store_callback {
	union {
		lockout_ban_callback_t *ban;
		lockout_failure_callback_t *failure;
		lockout_failure_since_callback_t *failure_since;
		lockout_known_device_callback_t *device;
		lockout_event_callback_t *event;
		int (*allowed)(const char *network, const char *reason,
			       int64_t created, void *context);
		int (*top)(const struct lockout_top_row *row, void *context);
	} fn;
	void *context;
	/* the store iterated (store_ban_row() reports invalid rows to its
	   invalid ban callback) */
	struct lockout_store *store;
};

/* The current row of an iteration: SQLite's statement, or (res != NULL)
   row number row of a PostgreSQL result (every value in text form). */
struct store_row {
	sqlite3_stmt *stmt;
	PGresult *res;
	int row;
};

/* Row function of an iteration: read the current row and, if it is valid,
   hand it to cb and return what that returns (0 goes on, non-zero stops the
   loop, which returns it). For a row that breaks the invariants set
   *invalid_r and return 0: the loop counts it as skipped and goes on. */
typedef int store_row_func_t(const struct store_row *row,
			     const struct store_callback *cb,
			     bool *invalid_r);

/* --- lockout-store-sql.c: errors, checks, statements --------------------- */

/* Return "<path>: <message>" for a failure that is not SQLite's (in the
   error buffer of lockout-error.h); clears the busy flag. */
const char *store_errorf(struct lockout_store *store, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Return "<path>: <what>: <SQLite's reason>" for SQLite result code rc;
   sets the busy flag when rc is SQLITE_BUSY or SQLITE_LOCKED (the message
   then says "database is busy"), clears it otherwise. */
const char *store_error(struct lockout_store *store, const char *what, int rc);

/* Return the message of a file that is not an SQLite database
   (SQLITE_NOTADB) or a damaged one (SQLITE_CORRUPT, or truncated): what is
   wrong and what to do, whatever the statement was. Clears the busy
   flag. detail (NULL: SQLite's) says what is wrong with it. */
const char *store_damaged(struct lockout_store *store, int rc,
			  const char *detail);

/* Fail (-1, "<what>: store is read-only") on a read-only store, else 0. */
int store_check_writable(struct lockout_store *store, const char *what,
			 const char **error_r);
/* Fail (-1, "<what>: called from an iteration callback (re-entrant)") while
   an iteration callback runs, else 0: iterations cannot nest. */
int store_check_not_iterating(struct lockout_store *store, const char *what,
			      const char **error_r);
/* Fail (-1, "<what>: empty target" or "... longer than 255 bytes") unless
   target is 1..LOCKOUT_BAN_TARGET_MAX bytes, else 0. */
int store_check_target(struct lockout_store *store, const char *what,
		       const char *target, const char **error_r);

/* SQLite only (the others dispatch on the driver): get the cached
   statement of query (preparing it on first use) and bind values to
   ?1..?count. Return 0 and set *stmt_r, or -1 with the statement
   released. Fails if the statement is running already (a callback calling
   back into the call that runs it). */
int store_stmt_bind(struct lockout_store *store,
		    const struct store_query *query, const char *what,
		    const struct store_value *values, unsigned int count,
		    sqlite3_stmt **stmt_r, const char **error_r);
/* Make a statement reusable. Every use of a statement ends here, on success
   and on error, so that no read transaction stays open (it would pin the
   WAL and hide other connections' commits from data_version). */
void store_stmt_release(sqlite3_stmt *stmt);
/* Bind values to query and run it to its end (it returns no rows, or on
   PostgreSQL the one id of its RETURNING: store_last_insert_id()), then
   release it. */
int store_run(struct lockout_store *store, const struct store_query *query,
	      const char *what, const struct store_value *values,
	      unsigned int count, const char **error_r);
/* Number of rows changed by the last statement store_run() ran. */
unsigned int store_changes(struct lockout_store *store);
/* Run SQL without parameters or results (pragmas, migrations), not
   cached. */
int store_exec(struct lockout_store *store, const char *sql, const char *what,
	       const char **error_r);

/* --- lockout-store-schema.c: schema and migrations ----------------------- */

/* Decide from the file's header whether we may use (and migrate) it: refuse
   a newer schema, another application's database, a non-empty database
   without our schema, an empty one unless create is set, and on a read-only
   store an older schema. Reads only. Set *version_r to the schema version
   found. */
int store_check_header(struct lockout_store *store, bool create,
		       int64_t *version_r, const char **error_r);
/* Bring the schema up to date, each migration in its own transaction
   (rolled back on failure). */
int store_migrate(struct lockout_store *store, const char **error_r);

/* lockout-store-packed.c: SQLite's packed failure history */
void store_packed_init(struct store_packed *packed);
void store_packed_free(struct store_packed *packed);
/* Empty packed for the next batch, its buffer kept. */
void store_packed_clear(struct store_packed *packed);
/* Append a failure: fields are ip, user, service, mechanism, result (each
   NULL or at most LOCKOUT_FAILURE_FIELD_MAX bytes), count > 0. -1 (and
   packed->failed if out of memory) if it cannot be packed. */
int store_packed_add(struct store_packed *packed, const char *const *fields,
		     uint32_t count, uint32_t tag);
/* A packed failure as read: its fields' bytes (NULL for SQL NULL; not
   NUL-terminated) */
struct store_packed_failure {
	const unsigned char *field[5];
	unsigned int field_len[5];
	uint32_t count, tag;
};
struct store_packed_iter {
	const unsigned char *next, *end;
};
/* Read the failures of a batch's blob data (which must stay unchanged
   meanwhile): -1 if it breaks the format (then nothing of it is read). */
int store_packed_iter_init(struct store_packed_iter *iter, const void *data,
			   size_t size);
bool store_packed_iter_next(struct store_packed_iter *iter,
			    struct store_packed_failure *failure_r);
/* 0 and the failures' number if data is a batch of 1 to
   STORE_PG_BATCH_MAX failures in the format, else -1. */
int store_packed_validate(const void *data, size_t size,
			  unsigned int *count_r);

/* --- lockout-store-rows.c: reading rows ---------------------------------- */

/* Bind values to query and call row() for each of its rows, with the
   re-entrancy guard up, counting the invalid ones in skipped_rows; the
   statement is always released. Fails at once when called from an
   iteration callback. Return 0 when all rows were seen, row()'s non-zero
   value if it stopped, or -1. */
int store_iterate(struct lockout_store *store, const struct store_query *query,
		  const char *what, const struct store_value *values,
		  unsigned int count, store_row_func_t *row,
		  const struct store_callback *cb, const char **error_r);
/* Run query, which returns one row of n_columns integers >= 0
   (aggregates), with values bound, into columns_r[]. */
int store_query_counts(struct lockout_store *store,
		       const struct store_query *query, const char *what,
		       const struct store_value *values, unsigned int count,
		       uint64_t *columns_r, unsigned int n_columns,
		       const char **error_r);
/* Read the n_columns integers >= 0 of row into columns_r[]. */
int store_row_counts(struct lockout_store *store, const struct store_row *row,
		     const char *what, uint64_t *columns_r,
		     unsigned int n_columns, const char **error_r);
/* Flags of store_column_str() */
enum store_column_flags {
	/* SQL NULL reads as NULL (else it is invalid) */
	STORE_COLUMN_NULLABLE = 0x01,
	/* the empty string is invalid */
	STORE_COLUMN_NONEMPTY = 0x02,
};
/* The column readers of the current row: each returns 0, or -1 if the
   value breaks what is asked of it (the row is then to be skipped). */

/* Text column: never a BLOB, a number or a string with an embedded NUL
   (which C would silently cut); at most max bytes. */
int store_column_str(const struct store_row *row, int col, size_t max,
		     unsigned int flags, const char **value_r);
/* Time column: an integer > 0, or NULL (read as 0) if nullable. A stored 0
   would read as "permanent" or "not lifted": refused. */
int store_column_time(const struct store_row *row, int col, bool nullable,
		      int64_t *value_r);
/* Integer column, 0..max. */
int store_column_count(const struct store_row *row, int col, int64_t max,
		       int64_t *value_r);

/* Integer column, any value (ids). */
int store_column_int(const struct store_row *row, int col, int64_t *value_r);

/* --- lockout-store-bans.c: rows of the ban table ------------------------- */

/* Row function of the queries that select STORE_BAN_COLUMNS, for
   cb->fn.ban: a row that breaks the ban invariants is invalid. */
int store_ban_row(const struct store_row *row, const struct store_callback *cb,
		  bool *invalid_r);
/* Fill ban from the current row of a query selecting STORE_BAN_COLUMNS.
   Returns 0, or -1 for a row that breaks the ban invariants, reported to
   the store's invalid ban callback. */
int store_ban_read_checked(struct lockout_store *store,
			   const struct store_row *row,
			   struct lockout_ban *ban);
/* The id of the row the last store_run() inserted. */
int64_t store_last_insert_id(struct lockout_store *store);

/* --- lockout-store-pg.c: the PostgreSQL driver ------------------------- */

/* The PostgreSQL side of the functions above, called by them when
   store->driver is LOCKOUT_DB_DRIVER_PGSQL. */
int store_pg_open(const char *conninfo, unsigned int flags,
		  unsigned int busy_timeout_msecs,
		  struct lockout_store **store_r, const char **error_r);
void store_pg_close(struct lockout_store *store);
int store_pg_run(struct lockout_store *store, const struct store_query *query,
		 const char *what, const struct store_value *values,
		 unsigned int count, const char **error_r);
/* The writers' turn: a transaction lock, held until the caller's commit,
   taken before a write the other nodes read in order (failure batches by
   id) or check first (an automatic ban).

   The other nodes read the batches by increasing id, and an id is drawn
   at the INSERT, not at the commit: had a node drawn id 10 and another
   id 11 and committed first, a reader in between would move past 10
   before it was visible, and never count it. In turns, the next writer
   draws its ids only after the previous one's commit is visible, and ids
   are in the order of the commits; and a check for an equal ban sees the
   other node's committed one. The turn is held from the first such
   statement (the last ones of a write of the queue) to the COMMIT, a round
   trip or two; it is waited for up to 2 s whatever the store's busy
   timeout (the auth process's worker has none); a writer gone silent in
   its transaction loses it to idle_in_transaction_session_timeout
   (store_pg_configure()). Re-entrant within a transaction. */
int store_pg_take_turn(struct lockout_store *store, const char *what,
		       const char **error_r);
int store_pg_exec(struct lockout_store *store, const char *sql,
		  const char *what, const char **error_r);
int store_pg_iterate(struct lockout_store *store,
		     const struct store_query *query, const char *what,
		     const struct store_value *values, unsigned int count,
		     store_row_func_t *row, const struct store_callback *cb,
		     const char **error_r);
int store_pg_query_counts(struct lockout_store *store,
			  const struct store_query *query, const char *what,
			  const struct store_value *values, unsigned int count,
			  uint64_t *columns_r, unsigned int n_columns,
			  const char **error_r);
int store_pg_begin(struct lockout_store *store, const char **error_r);
int store_pg_commit(struct lockout_store *store, const char **error_r);
void store_pg_rollback(struct lockout_store *store);
int store_pg_changed(struct lockout_store *store, const char **error_r);
/* Return "<db>: <what>: <server's message>" for a failed result (res
   NULL: the connection's message); sets the busy flag for the SQLSTATEs of
   a lock timeout, a serialization failure and a deadlock. */
const char *store_pg_error(struct lockout_store *store, const char *what,
			   const PGresult *res);
/* Translate SQLite's text of a query into PostgreSQL's: ?N to $N, an
   anonymous ? to the number after the largest so far (as SQLite numbers
   it), INDEXED BY <name> and NOT INDEXED dropped. Returns the length, or
   -1 if it does not fit into dest[size]. Pure. */
int store_pg_translate(const char *sql, char *dest, size_t size);
/* The column readers on a PostgreSQL row */
int store_pg_column_str(const struct store_row *row, int col, size_t max,
			unsigned int flags, const char **value_r);
int store_pg_column_int(const struct store_row *row, int col,
			bool nullable, bool *null_r, int64_t *value_r);

/* --- lockout-store-pg-schema.c: PostgreSQL's schema --------------------- */

/* Check the database's marker and schema version (as store_check_header())
   and create or migrate the schema, under an advisory lock, in one
   transaction. */
int store_pg_setup_schema(struct lockout_store *store, bool create,
			  const char **error_r);

#endif
