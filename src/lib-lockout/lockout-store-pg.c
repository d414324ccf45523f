/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The PostgreSQL driver of the store: the connection (libpq), the
   translation of the queries' SQLite text, prepared statements, the row
   loop through a cursor, transactions, change detection by NOTIFY and the
   mapping of the server's errors. lockout-store-sql.c and
   lockout-store-rows.c call it when store->driver is
   LOCKOUT_DB_DRIVER_PGSQL; the SQL of each concern stays in its
   lockout-store-*.c file. No global mutable state: a store is one
   connection, used by one thread at a time (libpq is thread-safe). */
#include "lockout-store-private.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest SQL of a query after translation (list targets: ~1,500). */
#define STORE_PG_SQL_MAX 8192
/* Most parameters of a query (list targets) */
#define STORE_PG_PARAMS_MAX 320
#if 1 + LOCKOUT_STORE_TARGETS_MAX > STORE_PG_PARAMS_MAX
#  error "list targets has more parameters than STORE_PG_PARAMS_MAX"
#endif
/* Rows fetched from an iteration's cursor at a time: what the client
   holds in memory, whatever the size of the result. */
#define STORE_PG_FETCH_ROWS 1000
#define STORE_PG_STR(x) STORE_PG_STR2(x)
#define STORE_PG_STR2(x) #x
#define STORE_PG_CURSOR "lockout_iter"
/* The channel of the triggers on bans, allowed and events. */
#define STORE_PG_CHANNEL "lockout_changed"

/* --- errors ---------------------------------------------------------------- */

/* SQLSTATEs that mean "locked by another connection, retry later":
   lock_not_available (lock_timeout), serialization_failure,
   deadlock_detected. */
static bool store_pg_sqlstate_busy(const char *sqlstate)
{
	return sqlstate != NULL &&
		(strcmp(sqlstate, "55P03") == 0 ||
		 strcmp(sqlstate, "40001") == 0 ||
		 strcmp(sqlstate, "40P01") == 0);
}

/* msg on one line without its trailing newline, into buf. */
static const char *store_pg_oneline(const char *msg, char *buf, size_t size)
{
	size_t i, len;

	snprintf(buf, size, "%s", msg == NULL || *msg == '\0' ?
		 "unknown error" : msg);
	len = strlen(buf);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	for (i = 0; i < len; i++) {
		if (buf[i] == '\n' || buf[i] == '\t')
			buf[i] = ' ';
	}
	return buf;
}

const char *store_pg_error(struct lockout_store *store, const char *what,
			   const PGresult *res)
{
	char msg[LOCKOUT_ERROR_MAX];
	const char *sqlstate = NULL, *primary = NULL;

	if (res != NULL) {
		sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	}
	if (primary == NULL)
		primary = PQerrorMessage(store->pg);
	store_pg_oneline(primary, msg, sizeof(msg));
	store->last_error_busy = store_pg_sqlstate_busy(sqlstate);
	if (store->last_error_busy) {
		/* Callers look for this wording (and error_is_busy()). */
		return lockout_error_fmt("%s: %s: database is busy (%s)",
					 store->path, what, msg);
	}
	if (PQstatus(store->pg) == CONNECTION_BAD) {
		return lockout_error_fmt("%s: %s: connection to the server "
					 "lost (%s); reopen the store",
					 store->path, what, msg);
	}
	if (sqlstate != NULL) {
		return lockout_error_fmt("%s: %s: %s (SQLSTATE %s)",
					 store->path, what, msg, sqlstate);
	}
	return lockout_error_fmt("%s: %s: %s", store->path, what, msg);
}

/* Return 0 if res (cleared on failure) is a success (expected: a command
   or rows), else -1 with the error. */
static int
store_pg_check(struct lockout_store *store, const char *what, PGresult *res,
	       ExecStatusType expect, const char **error_r)
{
	if (res != NULL && PQresultStatus(res) == expect)
		return 0;
	*error_r = store_pg_error(store, what, res);
	PQclear(res);
	return -1;
}

/* --- translation --------------------------------------------------------- */

static bool store_pg_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Does the keyword kw (upper case, may hold one space) start at p, as a
   whole word? */
static bool
store_pg_keyword(const char *sql, const char *p, const char *kw)
{
	size_t len = strlen(kw);

	return (p == sql || !store_pg_ident_char(p[-1])) &&
		strncasecmp(p, kw, len) == 0 && !store_pg_ident_char(p[len]);
}

static const char *store_pg_skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	return p;
}

int store_pg_translate(const char *sql, char *dest, size_t size)
{
	const char *p = sql;
	unsigned long num, max = 0;
	size_t out = 0;
	char quote, *end;
	int len;

	if (size == 0)
		return -1;
	while (*p != '\0') {
		if (*p == '\'' || *p == '"') {
			/* a literal or a quoted identifier, copied whole
			   (a doubled quote is two of them: the same) */
			quote = *p;
			do {
				if (out + 1 >= size)
					return -1;
				dest[out++] = *p++;
			} while (*p != '\0' && *p != quote);
			if (*p == '\0')
				return -1;
			if (out + 1 >= size)
				return -1;
			dest[out++] = *p++;
		} else if (*p == '?') {
			p++;
			if (isdigit((unsigned char)*p)) {
				errno = 0;
				num = strtoul(p, &end, 10);
				if (errno != 0 || num == 0 || num > 65535)
					return -1;
				p = end;
			} else {
				/* SQLite numbers an anonymous parameter one
				   above the largest so far */
				num = max + 1;
			}
			if (num > max)
				max = num;
			len = snprintf(dest + out, size - out, "$%lu", num);
			if (len < 0 || (size_t)len >= size - out)
				return -1;
			out += (size_t)len;
		} else if (store_pg_keyword(sql, p, "NOT INDEXED")) {
			p = store_pg_skip_space(p + strlen("NOT INDEXED"));
		} else if (store_pg_keyword(sql, p, "INDEXED BY")) {
			p = store_pg_skip_space(p + strlen("INDEXED BY"));
			while (store_pg_ident_char(*p))
				p++;
			p = store_pg_skip_space(p);
		} else {
			if (out + 1 >= size)
				return -1;
			dest[out++] = *p++;
		}
	}
	dest[out] = '\0';
	return out > INT_MAX ? -1 : (int)out;
}

/* --- statements ----------------------------------------------------------- */

/* The types of the count parameters of sql ($N): left to the server
   (0) for those it uses, text for those it does not (the server cannot
   tell the type of a parameter it never sees: a query of all bans gets
   "now" and the target as the others do). */
static void store_pg_param_types(const char *sql, unsigned int count,
				 Oid *types)
{
	const char *p;
	unsigned long num;
	char quote;
	char *end;
	unsigned int i;

	for (i = 0; i < count; i++)
		types[i] = 25; /* TEXTOID */
	for (p = sql; *p != '\0'; p++) {
		if (*p == '\'' || *p == '"') {
			quote = *p;
			while (p[1] != '\0' && p[1] != quote)
				p++;
			if (p[1] != '\0')
				p++;
		} else if (*p == '$' && isdigit((unsigned char)p[1])) {
			num = strtoul(p + 1, &end, 10);
			if (num >= 1 && num <= count)
				types[num - 1] = 0;
			p = end - 1;
		}
	}
}

/* query's SQL in PostgreSQL's dialect, into buf. */
static int
store_pg_sql(struct lockout_store *store, const struct store_query *query,
	     char *buf, size_t size, const char **sql_r, const char **error_r)
{
	if (query->pg_sql != NULL) {
		*sql_r = query->pg_sql;
		return 0;
	}
	if (store_pg_translate(query->sql, buf, size) < 0) {
		*error_r = store_errorf(store, "cannot translate query to "
					"PostgreSQL (too long?)");
		return -1;
	}
	*sql_r = buf;
	return 0;
}

static void store_pg_stmt_name(enum store_stmt slot, char *buf, size_t size)
{
	snprintf(buf, size, "lockout_%d", (int)slot);
}

/* Prepare query's statement on this connection, once. */
static int
store_pg_prepare(struct lockout_store *store, const struct store_query *query,
		 unsigned int count, const char *what, const char **error_r)
{
	char sql_buf[STORE_PG_SQL_MAX], name[32];
	Oid types[STORE_PG_PARAMS_MAX];
	const char *sql;
	PGresult *res;

	if (store->pg_prepared[query->slot])
		return 0;
	if (store_pg_sql(store, query, sql_buf, sizeof(sql_buf), &sql,
			 error_r) < 0)
		return -1;
	store_pg_stmt_name(query->slot, name, sizeof(name));
	store_pg_param_types(sql, count, types);
	res = PQprepare(store->pg, name, sql, (int)count, types);
	if (store_pg_check(store, what, res, PGRES_COMMAND_OK, error_r) < 0)
		return -1;
	PQclear(res);
	store->pg_prepared[query->slot] = true;
	return 0;
}

/* The values in text form: params[i] points to the text or into nums[i]
   (NULL for SQL NULL). */
static int
store_pg_params(struct lockout_store *store, const struct store_value *values,
		unsigned int count, char nums[][24], const char **params,
		const char **error_r)
{
	unsigned int i;

	if (count > STORE_PG_PARAMS_MAX) {
		*error_r = store_errorf(store, "too many parameters (%u)",
					count);
		return -1;
	}
	for (i = 0; i < count; i++) {
		switch (values[i].type) {
		case STORE_VALUE_TEXT:
			params[i] = values[i].text;
			continue;
		case STORE_VALUE_TIME:
			if (values[i].num == 0) {
				params[i] = NULL;
				continue;
			}
			break;
		case STORE_VALUE_INT:
			break;
		case STORE_VALUE_BLOB:
			/* SQLite's packed failures only */
			*error_r = store_errorf(store, "a blob parameter");
			return -1;
		}
		snprintf(nums[i], sizeof(nums[i]), "%lld",
			 (long long)values[i].num);
		params[i] = nums[i];
	}
	return 0;
}

/* Run query's prepared statement with values; *res_r is a success. */
static int
store_pg_exec_prepared(struct lockout_store *store,
		       const struct store_query *query, const char *what,
		       const struct store_value *values, unsigned int count,
		       PGresult **res_r, const char **error_r)
{
	char nums[STORE_PG_PARAMS_MAX][24], name[32];
	const char *params[STORE_PG_PARAMS_MAX];
	ExecStatusType status;
	PGresult *res;

	if (store_pg_params(store, values, count, nums, params, error_r) < 0 ||
	    store_pg_prepare(store, query, count, what, error_r) < 0)
		return -1;
	store_pg_stmt_name(query->slot, name, sizeof(name));
	res = PQexecPrepared(store->pg, name, (int)count, params, NULL, NULL,
			     0);
	status = res == NULL ? PGRES_FATAL_ERROR : PQresultStatus(res);
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
		*error_r = store_pg_error(store, what, res);
		PQclear(res);
		return -1;
	}
	*res_r = res;
	return 0;
}

int store_pg_run(struct lockout_store *store, const struct store_query *query,
		 const char *what, const struct store_value *values,
		 unsigned int count, const char **error_r)
{
	const char *tuples;
	PGresult *res;

	if (store_pg_exec_prepared(store, query, what, values, count, &res,
				   error_r) < 0)
		return -1;
	tuples = PQcmdTuples(res);
	store->pg_changes = tuples == NULL || *tuples == '\0' ? 0 :
		(unsigned int)strtoul(tuples, NULL, 10);
	/* INSERT ... RETURNING id */
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    PQnfields(res) == 1 && PQgetisnull(res, 0, 0) == 0)
		store->pg_last_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

/* pg_advisory_xact_lock() key of the writers' turn ("LOCL"; the schema's
   is "LOCK") */
#define STORE_PG_TURN_LOCK "1280262988"

int store_pg_take_turn(struct lockout_store *store, const char *what,
		       const char **error_r)
{
	/* the rest of the transaction takes no other lock */
	return store_pg_exec(store, "SET LOCAL lock_timeout = 2000; "
			     "SELECT pg_advisory_xact_lock("
			     STORE_PG_TURN_LOCK ")", what, error_r);
}

int store_pg_exec(struct lockout_store *store, const char *sql,
		  const char *what, const char **error_r)
{
	PGresult *res = PQexec(store->pg, sql);
	ExecStatusType status = res == NULL ? PGRES_FATAL_ERROR :
		PQresultStatus(res);

	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
		*error_r = store_pg_error(store, what, res);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

int store_pg_query_counts(struct lockout_store *store,
			  const struct store_query *query, const char *what,
			  const struct store_value *values, unsigned int count,
			  uint64_t *columns_r, unsigned int n_columns,
			  const char **error_r)
{
	struct store_row row = { NULL, NULL, 0 };
	int ret;

	if (store_pg_exec_prepared(store, query, what, values, count,
				   &row.res, error_r) < 0)
		return -1;
	if (PQntuples(row.res) < 1 || PQnfields(row.res) < (int)n_columns) {
		*error_r = store_errorf(store, "%s: no result", what);
		PQclear(row.res);
		return -1;
	}
	ret = store_row_counts(store, &row, what, columns_r, n_columns,
			       error_r);
	PQclear(row.res);
	return ret;
}

/* Close the iteration's cursor; errors do not matter (in a failed
   transaction the rollback drops it). */
static void store_pg_close_cursor(struct lockout_store *store)
{
	if (PQtransactionStatus(store->pg) == PQTRANS_INERROR)
		return;
	PQclear(PQexec(store->pg, "CLOSE " STORE_PG_CURSOR));
}

/* The rows come through a cursor, STORE_PG_FETCH_ROWS at a time: the
   client never holds a whole listing of 100,000 bans, and between two
   fetches the connection is free for what the callback does (lift a ban,
   mark it notified). WITH HOLD: outside a transaction the cursor outlives
   the DECLARE's own (the server keeps the result). */
int store_pg_iterate(struct lockout_store *store,
		     const struct store_query *query, const char *what,
		     const struct store_value *values, unsigned int count,
		     store_row_func_t *row, const struct store_callback *cb,
		     const char **error_r)
{
	static const char declare[] =
		"DECLARE " STORE_PG_CURSOR " NO SCROLL CURSOR WITH HOLD FOR ";
	char sql_buf[STORE_PG_SQL_MAX], decl[sizeof(declare) +
					     STORE_PG_SQL_MAX];
	char nums[STORE_PG_PARAMS_MAX][24];
	const char *params[STORE_PG_PARAMS_MAX], *sql;
	Oid types[STORE_PG_PARAMS_MAX];
	struct store_row current = { NULL, NULL, 0 };
	PGresult *res;
	bool invalid;
	int n, i, ret;

	if (store_pg_params(store, values, count, nums, params, error_r) < 0 ||
	    store_pg_sql(store, query, sql_buf, sizeof(sql_buf), &sql,
			 error_r) < 0)
		return -1;
	snprintf(decl, sizeof(decl), "%s%s", declare, sql);
	store_pg_param_types(sql, count, types);
	res = PQexecParams(store->pg, decl, (int)count, types, params, NULL,
			   NULL, 0);
	if (store_pg_check(store, what, res, PGRES_COMMAND_OK, error_r) < 0)
		return -1;
	PQclear(res);
	for (;;) {
		res = PQexec(store->pg, "FETCH "
			     STORE_PG_STR(STORE_PG_FETCH_ROWS) " FROM "
			     STORE_PG_CURSOR);
		if (store_pg_check(store, what, res, PGRES_TUPLES_OK,
				   error_r) < 0) {
			store_pg_close_cursor(store);
			return -1;
		}
		n = PQntuples(res);
		current.res = res;
		for (i = 0; i < n; i++) {
			current.row = i;
			invalid = false;
			store->in_callback = true;
			ret = row(&current, cb, &invalid);
			store->in_callback = false;
			if (invalid && store->skipped_rows < UINT_MAX)
				store->skipped_rows++;
			if (ret != 0) {
				PQclear(res);
				store_pg_close_cursor(store);
				return ret;
			}
		}
		PQclear(res);
		if (n < STORE_PG_FETCH_ROWS)
			break;
	}
	store_pg_close_cursor(store);
	return 0;
}

/* --- rows ------------------------------------------------------------------ */

int store_pg_column_str(const struct store_row *row, int col, size_t max,
			unsigned int flags, const char **value_r)
{
	int len;

	if (col >= PQnfields(row->res))
		return -1;
	if (PQgetisnull(row->res, row->row, col) != 0) {
		if ((flags & STORE_COLUMN_NULLABLE) == 0)
			return -1;
		*value_r = NULL;
		return 0;
	}
	/* text format: PostgreSQL's text never holds a NUL byte */
	*value_r = PQgetvalue(row->res, row->row, col);
	len = PQgetlength(row->res, row->row, col);
	return len >= 0 && (size_t)len <= max &&
		((flags & STORE_COLUMN_NONEMPTY) == 0 || len > 0) ? 0 : -1;
}

int store_pg_column_int(const struct store_row *row, int col,
			bool nullable, bool *null_r, int64_t *value_r)
{
	const char *text;
	char *end;
	long long value;

	*null_r = false;
	*value_r = 0;
	if (col >= PQnfields(row->res))
		return -1;
	if (PQgetisnull(row->res, row->row, col) != 0) {
		*null_r = true;
		return nullable ? 0 : -1;
	}
	text = PQgetvalue(row->res, row->row, col);
	if (*text != '-' && !isdigit((unsigned char)*text))
		return -1;
	errno = 0;
	value = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*value_r = value;
	return 0;
}

/* --- transactions and change detection ------------------------------------ */

int store_pg_begin(struct lockout_store *store, const char **error_r)
{
	if (PQtransactionStatus(store->pg) != PQTRANS_IDLE) {
		*error_r = store_errorf(store,
			"begin transaction: a transaction is already open");
		return -1;
	}
	return store_pg_exec(store, "BEGIN", "begin transaction", error_r);
}

int store_pg_commit(struct lockout_store *store, const char **error_r)
{
	switch (PQtransactionStatus(store->pg)) {
	case PQTRANS_INTRANS:
		break;
	case PQTRANS_INERROR:
		/* COMMIT would roll back and say nothing */
		store_pg_rollback(store);
		*error_r = store_errorf(store, "commit: the transaction was "
					"rolled back after an earlier error");
		return -1;
	default:
		*error_r = store_errorf(store,
			"commit: no transaction is open "
			"(rolled back after an earlier error?)");
		return -1;
	}
	if (store_pg_exec(store, "COMMIT", "commit", error_r) < 0) {
		store_pg_rollback(store);
		return -1;
	}
	return 0;
}

void store_pg_rollback(struct lockout_store *store)
{
	PGTransactionStatusType status;

	if (store->pg == NULL)
		return;
	status = PQtransactionStatus(store->pg);
	if (status == PQTRANS_INTRANS || status == PQTRANS_INERROR)
		PQclear(PQexec(store->pg, "ROLLBACK"));
}

int store_pg_changed(struct lockout_store *store, const char **error_r)
{
	PGnotify *notify;
	int changed = 0;

	/* reads what has arrived, never waits */
	if (PQconsumeInput(store->pg) == 0) {
		*error_r = store_pg_error(store, "read notifications", NULL);
		return -1;
	}
	while ((notify = PQnotifies(store->pg)) != NULL) {
		/* our own commits do not count, as with data_version */
		if (notify->be_pid != store->pg_backend_pid)
			changed = 1;
		PQfreemem(notify);
	}
	return changed;
}

/* --- open and close ------------------------------------------------------- */

/* Never print: the server's notices (e.g. "relation already exists,
   skipping") are dropped. */
static void store_pg_notice(void *context, const char *message)
{
	(void)context;
	(void)message;
}

/* The database's name in messages: never the conninfo, which may hold a
   password. */
static char *store_pg_describe(PGconn *pg)
{
	const char *db = PQdb(pg), *host = PQhost(pg), *port = PQport(pg);
	char buf[512];

	snprintf(buf, sizeof(buf), "pgsql:dbname=%s host=%s port=%s",
		 db == NULL ? "" : db, host == NULL ? "" : host,
		 port == NULL ? "" : port);
	return strdup(buf);
}

static int
store_pg_configure(struct lockout_store *store, unsigned int flags,
		   unsigned int busy_timeout_msecs, const char **error_r)
{
	bool create = !store->readonly &&
		(flags & LOCKOUT_STORE_FLAG_CREATE) != 0;
	char sql[128];

	/* busy timeout 0 ("do not wait"): lock_timeout 0 would mean "wait
	   forever", so wait 1 ms */
	snprintf(sql, sizeof(sql), "SET lock_timeout = %u",
		 busy_timeout_msecs == 0 ? 1 :
		 busy_timeout_msecs > INT_MAX ? INT_MAX : busy_timeout_msecs);
	/* a session that stops in the middle of a transaction (its node's
	   network gone) holds its locks, the writers' turn
	   (store_pg_take_turn()) among them, until the server ends it:
	   after 10 s of silence; none of ours waits between statements */
	if (store_pg_exec(store, sql, "set lock_timeout", error_r) < 0 ||
	    store_pg_exec(store, "SET client_min_messages = warning",
			  "set client_min_messages", error_r) < 0 ||
	    store_pg_exec(store, "SET idle_in_transaction_session_timeout = "
			  "10000", "set idle_in_transaction_session_timeout",
			  error_r) < 0)
		return -1;
	if (store->readonly &&
	    store_pg_exec(store, "SET default_transaction_read_only = on",
			  "set read-only", error_r) < 0)
		return -1;
	if (store_pg_setup_schema(store, create, error_r) < 0)
		return -1;
	return store_pg_exec(store, "LISTEN " STORE_PG_CHANNEL,
			     "listen for changes", error_r);
}

int store_pg_open(const char *conninfo, unsigned int flags,
		  unsigned int busy_timeout_msecs,
		  struct lockout_store **store_r, const char **error_r)
{
	/* Defaults first: the conninfo (dbname, expanded) comes last and
	   overrides them. TCP keepalives and tcp_user_timeout notice a dead
	   network within about 10 s; both are ignored on Unix sockets. */
	static const char *const keywords[] = {
		"connect_timeout", "application_name", "keepalives",
		"keepalives_idle", "keepalives_interval", "keepalives_count",
		"tcp_user_timeout", "client_encoding", "dbname", NULL
	};
	const char *values[] = {
		/* bytes as they are (the database is SQL_ASCII) */
		"5", "dovecot-lockout", "1", "5", "2", "3", "10000",
		"SQL_ASCII",
		conninfo, NULL
	};
	struct lockout_store *store;
	char msg[LOCKOUT_ERROR_MAX];

	*store_r = NULL;
	if (conninfo == NULL || *conninfo == '\0') {
		*error_r = lockout_error_fmt("lockout store: empty PostgreSQL "
					     "connection string");
		return -1;
	}
	store = calloc(1, sizeof(*store));
	if (store == NULL) {
		*error_r = lockout_error_fmt("lockout store: out of memory");
		return -1;
	}
	store->driver = LOCKOUT_DB_DRIVER_PGSQL;
	store->readonly = (flags & LOCKOUT_STORE_FLAG_READONLY) != 0;
	store->pg = PQconnectdbParams(keywords, values, 1);
	if (store->pg == NULL ||
	    (store->path = store_pg_describe(store->pg)) == NULL) {
		*error_r = lockout_error_fmt("lockout store: out of memory");
		lockout_store_close(&store);
		return -1;
	}
	if (PQstatus(store->pg) != CONNECTION_OK) {
		*error_r = lockout_error_fmt("%s: cannot connect: %s",
			store->path, store_pg_oneline(
				PQerrorMessage(store->pg), msg, sizeof(msg)));
		lockout_store_close(&store);
		return -1;
	}
	(void)PQsetNoticeProcessor(store->pg, store_pg_notice, NULL);
	store->pg_backend_pid = PQbackendPID(store->pg);
	/* FLAG_BULK_READ: nothing to do, the cursor already bounds the
	   client's memory */
	if (store_pg_configure(store, flags, busy_timeout_msecs,
			       error_r) < 0) {
		lockout_store_close(&store);
		return -1;
	}
	*store_r = store;
	return 0;
}

void store_pg_close(struct lockout_store *store)
{
	if (store->pg == NULL)
		return;
	store_pg_rollback(store);
	PQfinish(store->pg);
	store->pg = NULL;
}
