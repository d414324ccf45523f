/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* Reading rows: the row loop every iteration goes through, one-row
   aggregates, and the column readers that refuse what breaks a row's
   invariants (the database may have been written by somebody else). */
#include "lockout-store-private.h"

#include <limits.h>
#include <string.h>

int store_iterate(struct lockout_store *store, const struct store_query *query,
		  const char *what, const struct store_value *values,
		  unsigned int count, store_row_func_t *row,
		  const struct store_callback *cb, const char **error_r)
{
	struct store_row current = { NULL, NULL, 0 };
	sqlite3_stmt *stmt;
	bool invalid;
	int rc, ret;

	if (store_check_not_iterating(store, what, error_r) < 0)
		return -1;
	if (store->driver == LOCKOUT_DB_DRIVER_PGSQL) {
		return store_pg_iterate(store, query, what, values, count,
					row, cb, error_r);
	}
	if (store_stmt_bind(store, query, what, values, count, &stmt,
			    error_r) < 0)
		return -1;
	current.stmt = stmt;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		invalid = false;
		store->in_callback = true;
		ret = row(&current, cb, &invalid);
		store->in_callback = false;
		if (invalid && store->skipped_rows < UINT_MAX)
			store->skipped_rows++;
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

int store_query_counts(struct lockout_store *store,
		       const struct store_query *query, const char *what,
		       const struct store_value *values, unsigned int count,
		       uint64_t *columns_r, unsigned int n_columns,
		       const char **error_r)
{
	struct store_row current = { NULL, NULL, 0 };
	sqlite3_stmt *stmt;
	int64_t value;
	unsigned int i;
	int rc;

	if (store->driver == LOCKOUT_DB_DRIVER_PGSQL) {
		return store_pg_query_counts(store, query, what, values, count,
					     columns_r, n_columns, error_r);
	}
	if (store_stmt_bind(store, query, what, values, count, &stmt,
			    error_r) < 0)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			*error_r = store_errorf(store, "%s: no result", what);
		else
			*error_r = store_error(store, what, rc);
		store_stmt_release(stmt);
		return -1;
	}
	current.stmt = stmt;
	for (i = 0; i < n_columns; i++) {
		if (store_column_count(&current, (int)i, INT64_MAX, &value) < 0) {
			*error_r = store_errorf(store, "%s: invalid result",
						what);
			store_stmt_release(stmt);
			return -1;
		}
		columns_r[i] = (uint64_t)value;
	}
	store_stmt_release(stmt);
	return 0;
}

int store_column_str(const struct store_row *row, int col, size_t max,
		     unsigned int flags, const char **value_r)
{
	sqlite3_stmt *stmt = row->stmt;
	const unsigned char *text;
	int type, len;

	if (row->res != NULL)
		return store_pg_column_str(row, col, max, flags, value_r);

	type = sqlite3_column_type(stmt, col);
	if (type == SQLITE_NULL && (flags & STORE_COLUMN_NULLABLE) != 0) {
		*value_r = NULL;
		return 0;
	}
	if (type != SQLITE_TEXT)
		return -1;
	text = sqlite3_column_text(stmt, col);
	len = sqlite3_column_bytes(stmt, col);
	if (text == NULL || len < 0 || memchr(text, '\0', (size_t)len) != NULL)
		return -1;
	/* Text pointers stay valid: no later column access converts them. */
	*value_r = (const char *)text;
	return (size_t)len <= max &&
		((flags & STORE_COLUMN_NONEMPTY) == 0 || len > 0) ? 0 : -1;
}

int store_column_time(const struct store_row *row, int col, bool nullable,
		      int64_t *value_r)
{
	sqlite3_stmt *stmt = row->stmt;
	bool null;

	if (row->res != NULL) {
		if (store_pg_column_int(row, col, nullable, &null,
					value_r) < 0)
			return -1;
		return null || *value_r > 0 ? 0 : -1;
	}
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

int store_column_count(const struct store_row *row, int col, int64_t max,
		       int64_t *value_r)
{
	sqlite3_stmt *stmt = row->stmt;
	bool null;

	if (row->res != NULL) {
		if (store_pg_column_int(row, col, false, &null, value_r) < 0)
			return -1;
		return *value_r >= 0 && *value_r <= max ? 0 : -1;
	}
	if (sqlite3_column_type(stmt, col) != SQLITE_INTEGER)
		return -1;
	*value_r = sqlite3_column_int64(stmt, col);
	return *value_r >= 0 && *value_r <= max ? 0 : -1;
}

int store_column_int(const struct store_row *row, int col, int64_t *value_r)
{
	bool null;

	if (row->res != NULL)
		return store_pg_column_int(row, col, false, &null, value_r);
	if (sqlite3_column_type(row->stmt, col) != SQLITE_INTEGER)
		return -1;
	*value_r = sqlite3_column_int64(row->stmt, col);
	return 0;
}
