/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The failure history: add rows, list them and count them (the rankings
   are in lockout-store-top.c). */
#include "lockout-store-private.h"

#include <limits.h>
#include <string.h>

#define STORE_FAILURE_COLUMNS \
	"time, ip, user, service, mechanism, result, count"

static const struct store_query store_add_failure_query = {
	STORE_STMT_ADD_FAILURE,
	"INSERT INTO failures (time, ip, user, service, mechanism, result, "
	"count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
};
static const struct store_query store_count_failures_query = {
	STORE_STMT_COUNT_FAILURES,
	"SELECT coalesce(sum(CASE WHEN result = 'refused' THEN 0 "
	"ELSE count END), 0), coalesce(sum(CASE WHEN result = "
	"'refused' THEN count ELSE 0 END), 0) FROM failures "
	"INDEXED BY failures_time WHERE time >= ?1"
};

/* A query chosen by the caller's key */
struct store_keyed_query {
	const char *by;
	struct store_query query;
};

/* by NULL: all rows */
static const struct store_keyed_query store_failure_keys[] = {
	{ NULL, { STORE_STMT_FAILURES_ALL,
		  "SELECT " STORE_FAILURE_COLUMNS " FROM failures "
		  "INDEXED BY failures_time WHERE time >= ?1 "
		  "ORDER BY time, id" } },
	/* "+ip": with a plain "ip = ?2" SQLite propagates the constant
	   into substr(ip, -1), which then no longer matches the index's
	   expression (it skip-scanned the whole index instead) */
	{ "ip", { STORE_STMT_FAILURES_IP,
		  "SELECT " STORE_FAILURE_COLUMNS " FROM failures "
		  "INDEXED BY failures_ip_tail WHERE substr(ip, -1) = "
		  "substr(?2, -1) AND time >= ?1 AND +ip = ?2 "
		  "ORDER BY time, id" } },
	{ "user", { STORE_STMT_FAILURES_USER,
		    "SELECT " STORE_FAILURE_COLUMNS " FROM failures "
		    "INDEXED BY failures_user WHERE user = ?2 AND time >= ?1 "
		    "ORDER BY time, id" } },
};

/* Return the query of the count entries of table whose key is by (NULL
   matching only a NULL key), or NULL if there is none. */
static const struct store_query *
store_query_by(const struct store_keyed_query *table, unsigned int count,
	       const char *by)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		if (by == NULL ? table[i].by == NULL :
		    table[i].by != NULL && strcmp(by, table[i].by) == 0)
			return &table[i].query;
	}
	return NULL;
}

/* Check a string of a failure-history row: NULL or within the limit. */
static bool store_field_fits(const char *value)
{
	return value == NULL ||
		lockout_field_fits(value, LOCKOUT_FAILURE_FIELD_MAX, false);
}

static int
store_failure_validate(const struct lockout_failure *row,
		       const char **problem_r)
{
	if (row->time <= 0)
		*problem_r = "time must be > 0";
	else if (row->count == 0)
		*problem_r = "count must be > 0";
	else if (!store_field_fits(row->ip) || !store_field_fits(row->user) ||
		 !store_field_fits(row->service) ||
		 !store_field_fits(row->mechanism) ||
		 !store_field_fits(row->result))
		*problem_r = "field longer than 255 bytes";
	else
		return 0;
	return -1;
}

static int
store_add_failure(struct lockout_store *store,
		  const struct lockout_failure *row, const char **error_r)
{
	const struct store_value values[] = {
		STORE_INT(row->time), STORE_TEXT(row->ip),
		STORE_TEXT(row->user), STORE_TEXT(row->service),
		STORE_TEXT(row->mechanism), STORE_TEXT(row->result),
		STORE_INT(row->count),
	};

	return store_run(store, &store_add_failure_query, "add failures",
			 values, N_ELEMENTS(values), error_r);
}

int lockout_store_add_failures(struct lockout_store *store,
			       const struct lockout_failure *rows,
			       size_t count, const char **error_r)
{
	const char *problem;
	size_t i;

	if (store_check_writable(store, "add failures", error_r) < 0)
		return -1;
	for (i = 0; i < count; i++) {
		if (store_failure_validate(&rows[i], &problem) < 0) {
			*error_r = store_errorf(store,
				"add failures: row %zu: %s", i, problem);
			return -1;
		}
	}
	for (i = 0; i < count; i++) {
		if (store_add_failure(store, &rows[i], error_r) < 0)
			return -1;
	}
	return 0;
}

static int
store_failure_row(sqlite3_stmt *stmt, const struct store_callback *cb,
		  bool *invalid_r)
{
	struct lockout_failure row;
	const char **fields[] = {
		&row.ip, &row.user, &row.service, &row.mechanism, &row.result,
	};
	int64_t count;
	unsigned int i;

	memset(&row, 0, sizeof(row));
	*invalid_r = store_column_time(stmt, 0, false, &row.time) < 0 ||
		store_column_count(stmt, 6, UINT_MAX, &count) < 0 ||
		count == 0;
	for (i = 0; i < N_ELEMENTS(fields) && !*invalid_r; i++) {
		*invalid_r = store_column_str(stmt, (int)i + 1,
					      LOCKOUT_FAILURE_FIELD_MAX,
					      STORE_COLUMN_NULLABLE,
					      fields[i]) < 0;
	}
	if (*invalid_r)
		return 0;
	row.count = (unsigned int)count;
	return cb->fn.failure(&row, cb->context);
}

int lockout_store_iter_failures(struct lockout_store *store, const char *by,
				const char *value, int64_t since,
				lockout_failure_callback_t *callback,
				void *context, const char **error_r)
{
	const struct store_callback cb = {
		{ .failure = callback }, context, store
	};
	const struct store_value values[] = {
		STORE_INT(since), STORE_TEXT(value),
	};
	const struct store_query *query =
		store_query_by(store_failure_keys,
			       N_ELEMENTS(store_failure_keys), by);

	if (query == NULL) {
		*error_r = store_errorf(store,
			"list failures: unknown key '%s' (ip or user)", by);
		return -1;
	}
	if (by != NULL &&
	    (value == NULL ||
	     !lockout_field_fits(value, LOCKOUT_FAILURE_FIELD_MAX, false))) {
		*error_r = store_errorf(store, "list failures: %s",
			value == NULL ? "missing value" :
			"value longer than 255 bytes");
		return -1;
	}
	return store_iterate(store, query, "list failures", values,
			     by == NULL ? 1 : 2, store_failure_row, &cb,
			     error_r);
}

int lockout_store_count_failures(struct lockout_store *store, int64_t since,
				 uint64_t *failures_r, uint64_t *refused_r,
				 const char **error_r)
{
	const struct store_value values[] = { STORE_INT(since) };
	uint64_t columns[2];

	*failures_r = *refused_r = 0;
	if (store_query_counts(store, &store_count_failures_query,
			       "count failures", values, N_ELEMENTS(values),
			       columns, N_ELEMENTS(columns), error_r) < 0)
		return -1;
	*failures_r = columns[0];
	*refused_r = columns[1];
	return 0;
}
