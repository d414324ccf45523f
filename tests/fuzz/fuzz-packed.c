/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* A row of failure_batches as the store reads it back (any process with
   write access to the table may have put anything in its blob): the
   lockout_failure_rows() table of SQLite's view "failures", and the
   ranking's own reader. A blob either breaks the format (one damaged row,
   nothing read past its end) or its failures, packed again, read back the
   same. */
#include "fuzz-common.h"
#include "lockout-store-private.h"

#include <sqlite3.h>

static sqlite3 *db;
static sqlite3_stmt *stmt;

/* The rows lockout_failure_rows() gives for blob (all, or those whose ip
   is data's first bytes); -1 if SQL failed. */
static int fuzz_sql_rows(const void *blob, size_t size, const char *ip,
			 unsigned int *rows_r)
{
	int rc;

	*rows_r = 0;
	CHECK(sqlite3_bind_blob(stmt, 1, blob, (int)size,
				SQLITE_STATIC) == SQLITE_OK);
	CHECK(sqlite3_bind_text(stmt, 2, ip, -1, SQLITE_STATIC) == SQLITE_OK);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		(*rows_r)++;
	(void)sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_packed_iter iter;
	struct store_packed_failure f;
	struct store_packed packed;
	char *fields[5];
	unsigned int i, count, n = 0, sql_rows, sql_ip_rows;
	const char *ip = size > 0 && data[0] < 8 ? "192.0.2.1" : "";

	if (db == NULL) {
		CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
		CHECK(lockout_store_sqlite_register(db) == SQLITE_OK);
		CHECK(sqlite3_prepare_v2(db,
			"SELECT ip, \"user\", service, mechanism, result, "
			"count, tag, o FROM lockout_failure_rows(?1) "
			"WHERE ?2 = '' OR ip = ?2", -1, &stmt,
			NULL) == SQLITE_OK);
	}
	if (store_packed_iter_init(&iter, data, size) < 0) {
		/* a damaged batch: one row no reader takes */
		CHECK(store_packed_validate(data, size, &count) < 0);
		CHECK(fuzz_sql_rows(data, size, "", &sql_rows) == 0);
		CHECK(sql_rows == 1);
		return 0;
	}
	CHECK(store_packed_validate(data, size, &count) == 0);
	CHECK(count >= 1 && count <= STORE_PG_BATCH_MAX);
	store_packed_init(&packed);
	while (store_packed_iter_next(&iter, &f)) {
		CHECK(f.count > 0);
		for (i = 0; i < 5; i++) {
			fields[i] = f.field[i] == NULL ? NULL :
				fuzz_strdup(f.field[i], f.field_len[i]);
		}
		/* a field with a NUL is cut there (C strings): it still
		   fits */
		CHECK(store_packed_add(&packed, (const char *const *)fields,
				       f.count, f.tag) == 0);
		for (i = 0; i < 5; i++)
			free(fields[i]);
		n++;
	}
	CHECK(n == count);
	CHECK(fuzz_sql_rows(data, size, "", &sql_rows) == 0);
	CHECK(sql_rows == count);
	CHECK(fuzz_sql_rows(data, size, ip, &sql_ip_rows) == 0);
	CHECK(sql_ip_rows <= count);
	/* what was packed again reads back, as many */
	CHECK(store_packed_validate(packed.buf.data, packed.buf.len, &count) == 0);
	CHECK(count == n && packed.count == n);
	store_packed_free(&packed);
	return 0;
}
