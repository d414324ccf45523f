/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The failure history: add rows, list them and count them (the rankings
   are in lockout-store-top.c). */
#include "lockout-store-private.h"
#include "lockout-str.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define STORE_FAILURE_COLUMNS \
	"time, ip, \"user\", service, mechanism, result, count"

/* SQLite: a batch of failures packed (lockout-store-packed.c) */
static const struct store_query store_add_batch_query = {
	STORE_STMT_ADD_FAILURE,
	"INSERT INTO failure_batches (time, node, n, ip, \"user\", rows) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6)", NULL
};
/* ?2 NULL excludes no node */
static const struct store_query store_failures_since_query = {
	STORE_STMT_FAILURES_SINCE,
	/* on the packed rows, whose index is on the batch's id */
	"SELECT " STORE_PG_FAILURE_ID ", b.time, u.ip, u.\"user\", "
	"u.service, u.mechanism, u.result, u.count, u.tag FROM "
	STORE_SQLITE_FAILURES_FROM " WHERE b.id >= (?1 >> 10) AND "
	STORE_PG_FAILURE_ID " > ?1 AND b.node IS NOT ?2 "
	"ORDER BY b.id, u.o LIMIT ?3",
	"SELECT " STORE_PG_FAILURE_ID ", b.time, u.ip, u.\"user\", "
	"u.service, u.mechanism, u.result, u.count, u.tag FROM "
	STORE_PG_FAILURES_FROM " WHERE b.id >= ($1::bigint >> 10) AND "
	STORE_PG_FAILURE_ID " > $1::bigint AND b.node IS DISTINCT FROM $2 "
	"ORDER BY b.id, u.o LIMIT $3"
};
static const struct store_query store_count_failures_query = {
	STORE_STMT_COUNT_FAILURES,
	"SELECT coalesce(sum(CASE WHEN result = 'refused' THEN 0 "
	"ELSE count END), 0), coalesce(sum(CASE WHEN result = "
	"'refused' THEN count ELSE 0 END), 0) FROM failures "
	"WHERE time >= ?1",
	NULL
};

/* SQLite: the failures since ?1 whose col is ?2, through index (on
   failure_batches (col, time)): the batches whose failures all have ?2,
   and those whose failures differ (col NULL) */
#define STORE_FAILURES_OF_PART(col, index, batch_is) \
	"SELECT " STORE_PG_FAILURE_ID " AS id, b.time AS time, u.ip AS ip, " \
	"u.\"user\" AS \"user\", u.service AS service, " \
	"u.mechanism AS mechanism, u.result AS result, u.count AS count " \
	"FROM failure_batches b INDEXED BY " index ", " \
	"lockout_failure_rows(b.rows) u WHERE b." col " " batch_is " AND " \
	"b.time >= ?1 AND u." col " = ?2"
/* a batch of several whose blob does not hold ?2's bytes is not
   unpacked */
#define STORE_FAILURES_OF(col, index) \
	"SELECT " STORE_FAILURE_COLUMNS " FROM (" \
	STORE_FAILURES_OF_PART(col, index, "= ?2") " UNION ALL " \
	STORE_FAILURES_OF_PART(col, index, "IS NULL") \
	" AND instr(b.rows, CAST(?2 AS BLOB)) > 0) ORDER BY time, id"

/* A query chosen by the caller's key */
struct store_keyed_query {
	const char *by;
	struct store_query query;
};

/* by NULL: all rows */
static const struct store_keyed_query store_failure_keys[] = {
	{ NULL, { STORE_STMT_FAILURES_ALL,
		  "SELECT " STORE_FAILURE_COLUMNS " FROM failures "
		  "WHERE time >= ?1 ORDER BY time, id", NULL } },
	/* SQLite: the period's batches of that address alone, and those
	   of several (failure_batches_ip, schema 9), each filtered as it
	   is unpacked (lockout_failure_rows() skips the other addresses'
	   rows before SQLite sees them) */
	{ "ip", { STORE_STMT_FAILURES_IP,
		  STORE_FAILURES_OF("ip", "failure_batches_ip"),
		  "SELECT " STORE_FAILURE_COLUMNS " FROM failures "
		  "WHERE ip = $2 AND time >= $1 ORDER BY time, id" } },
	{ "user", { STORE_STMT_FAILURES_USER,
		    STORE_FAILURES_OF("\"user\"", "failure_batches_user"),
		    "SELECT " STORE_FAILURE_COLUMNS " FROM failures "
		    "WHERE time >= $1 AND \"user\" = $2 "
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

static bool store_str_eq(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* SQLite: the failures of rows[0..count) (of one second, count <=
   STORE_PG_BATCH_MAX) as a row of failure_batches, packed into
   store->packed: all of them, or with only_ip those of the address
   *only_ip. */
static int
store_add_batch(struct lockout_store *store,
		const struct lockout_failure *rows, size_t count,
		const char *const *only_ip, const char **error_r)
{
	struct store_packed *packed = &store->packed;
	struct store_value values[] = {
		STORE_INT(rows[0].time),
		STORE_TEXT(store->node != NULL ? store->node : ""),
		STORE_INT(0),
		/* the address and username all the failures share (schema
		   9), else NULL */
		STORE_TEXT(only_ip != NULL ? *only_ip : rows[0].ip),
		STORE_TEXT(NULL),
		STORE_BLOB(NULL, 0),
	};
	const char *fields[5];
	size_t i;

	store_packed_clear(packed);
	for (i = 0; i < count; i++) {
		if (only_ip != NULL && !store_str_eq(rows[i].ip, *only_ip))
			continue;
		fields[0] = rows[i].ip;
		fields[1] = rows[i].user;
		fields[2] = rows[i].service;
		fields[3] = rows[i].mechanism;
		fields[4] = rows[i].result;
		if (packed->count == 0)
			values[4].text = rows[i].user;
		else if (!store_str_eq(rows[i].user, values[4].text))
			values[4].text = NULL;
		if (!store_str_eq(rows[i].ip, values[3].text))
			values[3].text = NULL;
		/* validated: only memory can fail */
		if (store_packed_add(packed, fields, rows[i].count,
				     rows[i].tag) < 0) {
			*error_r = store_errorf(store,
						"add failures: out of memory");
			return -1;
		}
	}
	values[2].num = packed->count;
	values[5] = (struct store_value)STORE_BLOB(packed->buf.data,
						   packed->buf.len);
	return store_run(store, &store_add_batch_query, "add failures",
			 values, N_ELEMENTS(values), error_r);
}

/* A second with at most this many addresses is written as a batch for
   each: show ADDRESS finds them through failure_batches_ip, while the
   batches of several addresses (NULL there) are read whole. A server
   failing a login every few seconds then writes no batch of several, a
   flood few and large ones. */
#define STORE_BATCH_SPLIT_MAX 4

/* SQLite: rows[0..count) of one second, count <= STORE_PG_BATCH_MAX */
static int
store_add_second(struct lockout_store *store,
		 const struct lockout_failure *rows, size_t count,
		 const char **error_r)
{
	const char *ips[STORE_BATCH_SPLIT_MAX];
	unsigned int n_ips = 0, j;
	size_t i;

	for (i = 0; i < count; i++) {
		for (j = 0; j < n_ips && !store_str_eq(ips[j], rows[i].ip);
		     j++) ;
		if (j < n_ips)
			continue;
		if (n_ips == STORE_BATCH_SPLIT_MAX)
			return store_add_batch(store, rows, count, NULL,
					       error_r);
		ips[n_ips++] = rows[i].ip;
	}
	for (j = 0; j < n_ips; j++) {
		if (store_add_batch(store, rows, count, &ips[j], error_r) < 0)
			return -1;
	}
	return 0;
}

/* PostgreSQL: a row of failure_batches for each run of rows of the same
   second (STORE_PG_FAILURES_FROM), its columns as array literals. */
static const struct store_query store_pg_add_batch_query = {
	STORE_STMT_ADD_FAILURE_CHUNK, NULL,
	"INSERT INTO failure_batches (time, node, ips, users, services, "
	"mechanisms, results, counts, tags) VALUES ($1, $2, $3::text[], "
	"$4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], "
	"$9::bigint[])"
};

/* Append value to the array literal str: NULL as NULL, anything else
   double-quoted with its quotes and backslashes escaped (the rest of the
   bytes, commas and braces included, are taken as they are inside the
   quotes; the database is SQL_ASCII). */
static void store_pg_array_text(struct lockout_str *str, const char *value)
{
	const char *p, *special;

	if (str->len > 1)
		lockout_str_append(str, ",");
	if (value == NULL) {
		lockout_str_append(str, "NULL");
		return;
	}
	lockout_str_append(str, "\"");
	for (p = value; (special = strpbrk(p, "\"\\")) != NULL;
	     p = special + 1) {
		lockout_str_append_n(str, p, (size_t)(special - p));
		lockout_str_append(str, "\\");
		lockout_str_append_n(str, special, 1);
	}
	lockout_str_append(str, p);
	lockout_str_append(str, "\"");
}

/* the array columns of failure_batches, in store_pg_add_batch_query's
   order */
enum store_pg_batch_column {
	BATCH_IPS, BATCH_USERS, BATCH_SERVICES, BATCH_MECHANISMS,
	BATCH_RESULTS, BATCH_COUNTS, BATCH_TAGS,
	BATCH_COLUMNS
};

/* Insert rows[0..count) (of one second, count <= STORE_PG_BATCH_MAX) as a
   row of failure_batches; arrays is the caller's buffers, reused. */
static int
store_pg_add_batch(struct lockout_store *store,
		   const struct lockout_failure *rows, size_t count,
		   struct lockout_str arrays[BATCH_COLUMNS],
		   const char **error_r)
{
	struct store_value values[2 + BATCH_COLUMNS] = {
		STORE_INT(rows[0].time),
		STORE_TEXT(store->node != NULL ? store->node : ""),
	};
	const char *text;
	size_t i;
	unsigned int c;

	for (c = 0; c < BATCH_COLUMNS; c++) {
		lockout_str_clear(&arrays[c]);
		lockout_str_append(&arrays[c], "{");
	}
	for (i = 0; i < count; i++) {
		store_pg_array_text(&arrays[BATCH_IPS], rows[i].ip);
		store_pg_array_text(&arrays[BATCH_USERS], rows[i].user);
		store_pg_array_text(&arrays[BATCH_SERVICES], rows[i].service);
		store_pg_array_text(&arrays[BATCH_MECHANISMS],
				    rows[i].mechanism);
		store_pg_array_text(&arrays[BATCH_RESULTS], rows[i].result);
		lockout_str_printf(&arrays[BATCH_COUNTS], "%s%u",
				   i == 0 ? "" : ",", rows[i].count);
		lockout_str_printf(&arrays[BATCH_TAGS], "%s%u",
				   i == 0 ? "" : ",", (unsigned int)rows[i].tag);
	}
	for (c = 0; c < BATCH_COLUMNS; c++) {
		lockout_str_append(&arrays[c], "}");
		if ((text = lockout_str_c(&arrays[c])) == NULL) {
			*error_r = store_errorf(store,
						"add failures: out of memory");
			return -1;
		}
		values[2 + c] = (struct store_value)STORE_TEXT(text);
	}
	return store_run(store, &store_pg_add_batch_query, "add failures",
			 values, N_ELEMENTS(values), error_r);
}

/* The rows as rows of failure_batches: each run of the same second, cut
   at STORE_PG_BATCH_MAX, in the writers' turn (store_pg_take_turn()): the
   other nodes read the batches by increasing id. */
static int
store_pg_add_failures(struct lockout_store *store,
		      const struct lockout_failure *rows, size_t count,
		      const char **error_r)
{
	struct lockout_str arrays[BATCH_COLUMNS];
	size_t i, n;
	unsigned int c;
	int ret = 0;

	if (store_pg_take_turn(store, "add failures", error_r) < 0)
		return -1;
	for (c = 0; c < BATCH_COLUMNS; c++)
		lockout_str_init(&arrays[c]);
	for (i = 0; i < count && ret == 0; i += n) {
		for (n = 1; i + n < count && n < STORE_PG_BATCH_MAX &&
			    rows[i + n].time == rows[i].time; n++) ;
		ret = store_pg_add_batch(store, rows + i, n, arrays, error_r);
	}
	for (c = 0; c < BATCH_COLUMNS; c++)
		lockout_str_free(&arrays[c]);
	return ret;
}

int lockout_store_add_failures(struct lockout_store *store,
			       const struct lockout_failure *rows,
			       size_t count, const char **error_r)
{
	const char *problem;
	size_t i, n;

	if (store_check_writable(store, "add failures", error_r) < 0)
		return -1;
	for (i = 0; i < count; i++) {
		if (store_failure_validate(&rows[i], &problem) < 0) {
			*error_r = store_errorf(store,
				"add failures: row %zu: %s", i, problem);
			return -1;
		}
	}
	if (store->driver == LOCKOUT_DB_DRIVER_PGSQL)
		return store_pg_add_failures(store, rows, count, error_r);
	/* as PostgreSQL's: each run of the same second, cut at
	   STORE_PG_BATCH_MAX */
	for (i = 0; i < count; i += n) {
		for (n = 1; i + n < count && n < STORE_PG_BATCH_MAX &&
			    rows[i + n].time == rows[i].time; n++) ;
		if (store_add_second(store, rows + i, n, error_r) < 0)
			return -1;
	}
	return 0;
}

/* Fill row from the columns STORE_FAILURE_COLUMNS starting at first:
   -1 if they break the invariants. */
static int
store_failure_read(const struct store_row *stmt, int first,
		   struct lockout_failure *row)
{
	const char **fields[] = {
		&row->ip, &row->user, &row->service, &row->mechanism,
		&row->result,
	};
	int64_t count;
	unsigned int i;

	memset(row, 0, sizeof(*row));
	if (store_column_time(stmt, first, false, &row->time) < 0 ||
	    store_column_count(stmt, first + 6, UINT_MAX, &count) < 0 ||
	    count == 0)
		return -1;
	for (i = 0; i < N_ELEMENTS(fields); i++) {
		if (store_column_str(stmt, first + (int)i + 1,
				     LOCKOUT_FAILURE_FIELD_MAX,
				     STORE_COLUMN_NULLABLE, fields[i]) < 0)
			return -1;
	}
	row->count = (unsigned int)count;
	return 0;
}

static int
store_failure_row(const struct store_row *stmt,
		 const struct store_callback *cb, bool *invalid_r)
{
	struct lockout_failure row;

	*invalid_r = store_failure_read(stmt, 0, &row) < 0;
	if (*invalid_r)
		return 0;
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

void lockout_store_set_node(struct lockout_store *store, const char *node)
{
	char *copy = NULL;

	/* out of memory: the rows are written without a node, as by a
	   single node */
	if (node != NULL && node[0] != '\0')
		copy = strdup(node);
	free(store->node);
	store->node = copy;
}

static int
store_failure_since_row(const struct store_row *stmt,
			const struct store_callback *cb, bool *invalid_r)
{
	struct lockout_failure row;
	int64_t id, tag;

	/* the tag after the row's columns (1 + 7) */
	*invalid_r = store_column_int(stmt, 0, &id) < 0 ||
		store_failure_read(stmt, 1, &row) < 0 ||
		store_column_count(stmt, 8, UINT32_MAX, &tag) < 0;
	if (*invalid_r)
		return 0;
	row.tag = (uint32_t)tag;
	return cb->fn.failure_since(id, &row, cb->context);
}

int lockout_store_iter_failures_since(struct lockout_store *store,
				      int64_t after_id,
				      const char *exclude_node,
				      unsigned int max_rows,
				      lockout_failure_since_callback_t *callback,
				      void *context, const char **error_r)
{
	const struct store_callback cb = {
		{ .failure_since = callback }, context, store
	};
	const struct store_value values[] = {
		STORE_INT(after_id), STORE_TEXT(exclude_node),
		STORE_INT(max_rows),
	};

	if (store_check_not_iterating(store, "list failures since",
				      error_r) < 0)
		return -1;
	if (max_rows == 0)
		return 0;
	return store_iterate(store, &store_failures_since_query,
			     "list failures since", values, N_ELEMENTS(values),
			     store_failure_since_row, &cb, error_r);
}
