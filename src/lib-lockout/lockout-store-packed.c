/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* SQLite's failure history packed: a row of failure_batches holds the
   failures the auth process wrote for one second, up to
   STORE_PG_BATCH_MAX of them, as one blob (schema 9). A row a failure cost
   three B-tree inserts (the table and two indexes) and its pages' share of
   the commit: about 6 us of the auth process's CPU a failure, a third of
   what a failed login costs with the plugin (bench/README.md). A blob
   costs a few dozen bytes copied.

   The readers keep their SQL: the view "failures" joins each batch with
   the table-valued function lockout_failure_rows(rows), this file's
   eponymous virtual table, which unpacks a blob into SQLite's old
   columns, as PostgreSQL's unnest() does for its arrays. It is registered
   on every connection the store opens. An equality on ip or user is
   passed into it and skips the other rows before SQLite sees them
   (doveadm lockout show ADDRESS reads a period's batches that way).

   The format (version 1), written and read only here (and by the tests'
   and benchmarks' Python, lockout_harness.py); a blob that breaks it is
   never read past its end, and reads as one damaged row that the readers
   skip and count (packed_column()):
     byte 0              1, the format
     then per failure:   a byte of NULL flags (bit i: field i is NULL, for
                         ip, user, service, mechanism, result; bits 5..7
                         zero); each field not NULL as a length byte (at
                         most LOCKOUT_FAILURE_FIELD_MAX) and its bytes;
                         count (1..2^32-1) and tag (0..2^32-1) as
                         unsigned LEB128 varints, at most 5 bytes each.
   The fields are bytes (user names are not always UTF-8), returned to
   SQL as text, as they were stored before. */
#include "lockout-store-private.h"

#include <stdlib.h>
#include <string.h>

#define PACKED_FORMAT 1
#define PACKED_FIELDS 5
#define PACKED_VARINT_MAX 5

/* --- writing ------------------------------------------------------------- */

void store_packed_init(struct store_packed *packed)
{
	memset(packed, 0, sizeof(*packed));
	lockout_str_init(&packed->buf);
}

void store_packed_free(struct store_packed *packed)
{
	lockout_str_free(&packed->buf);
	memset(packed, 0, sizeof(*packed));
}

void store_packed_clear(struct store_packed *packed)
{
	lockout_str_clear(&packed->buf);
	packed->count = 0;
	packed->failed = false;
}

static size_t store_packed_varint(unsigned char *p, uint32_t value)
{
	size_t n = 0;

	while (value >= 0x80) {
		p[n++] = (unsigned char)(value | 0x80);
		value >>= 7;
	}
	p[n++] = (unsigned char)value;
	return n;
}

/* The most bytes one failure takes. */
#define PACKED_ENTRY_MAX \
	(1 + PACKED_FIELDS * (1 + LOCKOUT_FAILURE_FIELD_MAX) + \
	 2 * PACKED_VARINT_MAX)

int store_packed_add(struct store_packed *packed, const char *const *fields,
		     uint32_t count, uint32_t tag)
{
	/* the entry, and the format byte before the first */
	unsigned char entry[1 + PACKED_ENTRY_MAX], *p = entry, nulls = 0;
	size_t len[PACKED_FIELDS];
	unsigned int i;

	if (count == 0 || packed->failed)
		return -1;
	for (i = 0; i < PACKED_FIELDS; i++) {
		if (fields[i] == NULL) {
			nulls |= (unsigned char)(1u << i);
			continue;
		}
		len[i] = strlen(fields[i]);
		if (len[i] > LOCKOUT_FAILURE_FIELD_MAX)
			return -1;
	}
	if (packed->buf.len == 0)
		*p++ = PACKED_FORMAT;
	*p++ = nulls;
	for (i = 0; i < PACKED_FIELDS; i++) {
		if (fields[i] == NULL)
			continue;
		*p++ = (unsigned char)len[i];
		memcpy(p, fields[i], len[i]);
		p += len[i];
	}
	p += store_packed_varint(p, count);
	p += store_packed_varint(p, tag);
	lockout_str_append_n(&packed->buf, (const char *)entry,
			     (size_t)(p - entry));
	if (packed->buf.failed) {
		packed->failed = true;
		return -1;
	}
	packed->count++;
	return 0;
}

/* --- reading ------------------------------------------------------------- */

static int packed_read_varint(const unsigned char **_p,
			      const unsigned char *end, uint32_t *value_r)
{
	const unsigned char *p = *_p;
	uint64_t value = 0;
	unsigned int i;

	for (i = 0; i < PACKED_VARINT_MAX; i++) {
		if (p == end)
			return -1;
		value |= (uint64_t)(*p & 0x7f) << (7 * i);
		if ((*p++ & 0x80) == 0) {
			if (value > UINT32_MAX)
				return -1;
			*value_r = (uint32_t)value;
			*_p = p;
			return 0;
		}
	}
	return -1;
}

/* Read the entry at *_p (before end) and advance past it: -1 if the bytes
   break the format. */
static int packed_read_entry(const unsigned char **_p,
			     const unsigned char *end,
			     struct store_packed_failure *entry_r)
{
	const unsigned char *p = *_p;
	unsigned char nulls;
	unsigned int i, len;

	if (p == end)
		return -1;
	nulls = *p++;
	if ((nulls & ~((1u << PACKED_FIELDS) - 1)) != 0)
		return -1;
	for (i = 0; i < PACKED_FIELDS; i++) {
		if ((nulls & (1u << i)) != 0) {
			entry_r->field[i] = NULL;
			entry_r->field_len[i] = 0;
			continue;
		}
		if (p == end)
			return -1;
		len = *p++;
		if ((size_t)(end - p) < len)
			return -1;
		entry_r->field[i] = p;
		entry_r->field_len[i] = len;
		p += len;
	}
	if (packed_read_varint(&p, end, &entry_r->count) < 0 ||
	    entry_r->count == 0 ||
	    packed_read_varint(&p, end, &entry_r->tag) < 0)
		return -1;
	*_p = p;
	return 0;
}

int store_packed_validate(const void *data, size_t size,
			  unsigned int *count_r)
{
	const unsigned char *p = data, *end = p + size;
	struct store_packed_failure entry;
	unsigned int count = 0;

	if (size < 1 || *p++ != PACKED_FORMAT)
		return -1;
	while (p < end) {
		if (count == STORE_PG_BATCH_MAX ||
		    packed_read_entry(&p, end, &entry) < 0)
			return -1;
		count++;
	}
	if (count == 0)
		return -1;
	*count_r = count;
	return 0;
}

int store_packed_iter_init(struct store_packed_iter *iter, const void *data,
			   size_t size)
{
	unsigned int count;

	if (data == NULL || store_packed_validate(data, size, &count) < 0)
		return -1;
	iter->next = (const unsigned char *)data + 1;
	iter->end = (const unsigned char *)data + size;
	return 0;
}

bool store_packed_iter_next(struct store_packed_iter *iter,
			    struct store_packed_failure *failure_r)
{
	/* validated by store_packed_iter_init() */
	return iter->next < iter->end &&
		packed_read_entry(&iter->next, iter->end, failure_r) == 0;
}

/* --- lockout_failure_rows(rows): the virtual table ----------------------- */

enum packed_column {
	PACKED_COL_IP, PACKED_COL_USER, PACKED_COL_SERVICE,
	PACKED_COL_MECHANISM, PACKED_COL_RESULT,
	PACKED_COL_COUNT, PACKED_COL_TAG, PACKED_COL_O,
	PACKED_COL_ROWS /* HIDDEN: the argument */
};
/* idxNum: which of ip and user are compared in xFilter */
#define PACKED_IDX_IP 1
#define PACKED_IDX_USER 2

struct packed_cursor {
	sqlite3_vtab_cursor base;
	unsigned char *data;
	size_t size;
	const unsigned char *next;
	/* the current entry, o its place (1-based) */
	struct store_packed_failure entry;
	sqlite3_int64 o;
	bool eof;
	/* the blob breaks the format: one row of count 0 */
	bool corrupt;
	/* the prefilters of fields 0 and 1 (ip, user): NULL for none */
	char *want[2];
	size_t want_len[2];
};

static int packed_connect(sqlite3 *db, void *aux __attribute__((unused)),
			  int argc __attribute__((unused)),
			  const char *const *argv __attribute__((unused)),
			  sqlite3_vtab **vtab_r, char **error_r __attribute__((unused)))
{
	sqlite3_vtab *vtab;
	int rc;

	rc = sqlite3_declare_vtab(db, "CREATE TABLE x(ip, \"user\", service, "
				  "mechanism, result, count, tag, o, "
				  "rows HIDDEN)");
	if (rc != SQLITE_OK)
		return rc;
	vtab = sqlite3_malloc(sizeof(*vtab));
	if (vtab == NULL)
		return SQLITE_NOMEM;
	memset(vtab, 0, sizeof(*vtab));
	(void)sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
	*vtab_r = vtab;
	return SQLITE_OK;
}

static int packed_disconnect(sqlite3_vtab *vtab)
{
	sqlite3_free(vtab);
	return SQLITE_OK;
}

/* The batch's blob is required (an equality on the hidden column: the
   function's argument); an equality on ip or user is used as a
   prefilter (SQLite still checks it: omit stays 0, so the comparison's
   meaning is SQL's whatever the value's type). */
static int packed_best_index(sqlite3_vtab *vtab __attribute__((unused)),
			     sqlite3_index_info *info)
{
	int i, rows = -1, ip = -1, user = -1, next = 2;

	for (i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];

		if (!c->usable || c->op != SQLITE_INDEX_CONSTRAINT_EQ)
			continue;
		if (c->iColumn == PACKED_COL_ROWS)
			rows = i;
		else if (c->iColumn == PACKED_COL_IP)
			ip = i;
		else if (c->iColumn == PACKED_COL_USER)
			user = i;
	}
	if (rows < 0)
		return SQLITE_CONSTRAINT;
	info->aConstraintUsage[rows].argvIndex = 1;
	info->aConstraintUsage[rows].omit = 1;
	info->idxNum = 0;
	if (ip >= 0) {
		info->aConstraintUsage[ip].argvIndex = next++;
		info->idxNum |= PACKED_IDX_IP;
	}
	if (user >= 0) {
		info->aConstraintUsage[user].argvIndex = next++;
		info->idxNum |= PACKED_IDX_USER;
	}
	info->estimatedRows = info->idxNum == 0 ? 100 : 2;
	info->estimatedCost = info->idxNum == 0 ? 100.0 : 20.0;
	return SQLITE_OK;
}

static int packed_open(sqlite3_vtab *vtab __attribute__((unused)),
		       sqlite3_vtab_cursor **cursor_r)
{
	struct packed_cursor *cursor;

	cursor = sqlite3_malloc(sizeof(*cursor));
	if (cursor == NULL)
		return SQLITE_NOMEM;
	memset(cursor, 0, sizeof(*cursor));
	cursor->eof = true;
	*cursor_r = &cursor->base;
	return SQLITE_OK;
}

static void packed_cursor_reset(struct packed_cursor *cursor)
{
	unsigned int i;

	sqlite3_free(cursor->data);
	cursor->data = NULL;
	cursor->size = 0;
	for (i = 0; i < N_ELEMENTS(cursor->want); i++) {
		sqlite3_free(cursor->want[i]);
		cursor->want[i] = NULL;
	}
	cursor->eof = true;
	cursor->corrupt = false;
	cursor->next = NULL;
	cursor->o = 0;
}

static int packed_close(sqlite3_vtab_cursor *base)
{
	struct packed_cursor *cursor = (struct packed_cursor *)base;

	packed_cursor_reset(cursor);
	sqlite3_free(cursor);
	return SQLITE_OK;
}

/* want[i] is compared with field i (ip, user) */
static bool packed_entry_wanted(const struct packed_cursor *cursor)
{
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(cursor->want); i++) {
		if (cursor->want[i] == NULL)
			continue;
		if (cursor->entry.field[i] == NULL ||
		    cursor->entry.field_len[i] != cursor->want_len[i] ||
		    memcmp(cursor->entry.field[i], cursor->want[i],
			   cursor->want_len[i]) != 0)
			return false;
	}
	return true;
}

static int packed_next(sqlite3_vtab_cursor *base)
{
	struct packed_cursor *cursor = (struct packed_cursor *)base;
	const unsigned char *end;

	if (cursor->corrupt || cursor->data == NULL) {
		cursor->eof = true;
		return SQLITE_OK;
	}
	end = cursor->data + cursor->size;
	for (;;) {
		if (cursor->next == NULL || cursor->next >= end) {
			cursor->eof = true;
			return SQLITE_OK;
		}
		/* validated in packed_filter() */
		if (packed_read_entry(&cursor->next, end,
				      &cursor->entry) < 0) {
			cursor->eof = true;
			return SQLITE_CORRUPT;
		}
		cursor->o++;
		if (packed_entry_wanted(cursor))
			return SQLITE_OK;
	}
}

/* Copy a text prefilter value; *skip_r if it cannot match any row (NULL)
   or is no text (then SQL alone decides: no prefilter). */
static int packed_want(struct packed_cursor *cursor, unsigned int i,
		       sqlite3_value *value, bool *none_r)
{
	const unsigned char *text;
	int bytes;

	if (sqlite3_value_type(value) == SQLITE_NULL) {
		*none_r = true;
		return SQLITE_OK;
	}
	if (sqlite3_value_type(value) != SQLITE_TEXT)
		return SQLITE_OK;
	text = sqlite3_value_text(value);
	bytes = sqlite3_value_bytes(value);
	if (text == NULL)
		return SQLITE_NOMEM;
	cursor->want[i] = sqlite3_malloc(bytes + 1);
	if (cursor->want[i] == NULL)
		return SQLITE_NOMEM;
	memcpy(cursor->want[i], text, (size_t)bytes);
	cursor->want_len[i] = (size_t)bytes;
	return SQLITE_OK;
}

static int packed_filter(sqlite3_vtab_cursor *base, int idx_num,
			 const char *idx_str __attribute__((unused)), int argc,
			 sqlite3_value **argv)
{
	struct packed_cursor *cursor = (struct packed_cursor *)base;
	const void *blob;
	unsigned int count;
	bool none = false;
	int bytes, arg = 1, rc;

	packed_cursor_reset(cursor);
	if (argc < 1 || sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return SQLITE_OK;
	if ((idx_num & PACKED_IDX_IP) != 0 && arg < argc &&
	    (rc = packed_want(cursor, 0, argv[arg++], &none)) != SQLITE_OK)
		return rc;
	if ((idx_num & PACKED_IDX_USER) != 0 && arg < argc &&
	    (rc = packed_want(cursor, 1, argv[arg++], &none)) != SQLITE_OK)
		return rc;
	if (none)
		return SQLITE_OK;
	blob = sqlite3_value_blob(argv[0]);
	bytes = sqlite3_value_bytes(argv[0]);
	if (blob == NULL || bytes <= 0 ||
	    store_packed_validate(blob, (size_t)bytes, &count) < 0) {
		/* one row that breaks the invariants (packed_column()):
		   the readers skip it and count it, as any damaged row
		   (lockout_store_skipped_rows()), and read the other
		   batches */
		memset(&cursor->entry, 0, sizeof(cursor->entry));
		cursor->corrupt = true;
		cursor->o = 1;
		cursor->eof = false;
		return SQLITE_OK;
	}
	cursor->data = sqlite3_malloc(bytes);
	if (cursor->data == NULL)
		return SQLITE_NOMEM;
	memcpy(cursor->data, blob, (size_t)bytes);
	cursor->size = (size_t)bytes;
	cursor->next = cursor->data + 1;
	cursor->eof = false;
	return packed_next(base);
}

static int packed_eof(sqlite3_vtab_cursor *base)
{
	return ((struct packed_cursor *)base)->eof ? 1 : 0;
}

static int packed_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx,
			 int column)
{
	const struct packed_cursor *cursor =
		(const struct packed_cursor *)base;
	const struct store_packed_failure *entry = &cursor->entry;

	if (cursor->corrupt) {
		/* a row no reader takes: blobs where text is expected,
		   count 0 */
		if (column < PACKED_FIELDS)
			sqlite3_result_zeroblob(ctx, 1);
		else
			sqlite3_result_int64(ctx, column == PACKED_COL_O ? 1 : 0);
		return SQLITE_OK;
	}
	switch (column) {
	case PACKED_COL_COUNT:
		sqlite3_result_int64(ctx, entry->count);
		break;
	case PACKED_COL_TAG:
		sqlite3_result_int64(ctx, entry->tag);
		break;
	case PACKED_COL_O:
		sqlite3_result_int64(ctx, cursor->o);
		break;
	case PACKED_COL_ROWS:
		sqlite3_result_null(ctx);
		break;
	default:
		if (column < 0 || column >= PACKED_FIELDS ||
		    entry->field[column] == NULL)
			sqlite3_result_null(ctx);
		else {
			sqlite3_result_text(ctx,
				(const char *)entry->field[column],
				(int)entry->field_len[column],
				SQLITE_TRANSIENT);
		}
		break;
	}
	return SQLITE_OK;
}

static int packed_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid_r)
{
	*rowid_r = ((struct packed_cursor *)base)->o;
	return SQLITE_OK;
}

static const sqlite3_module packed_module = {
	.iVersion = 0,
	/* eponymous only: no CREATE VIRTUAL TABLE */
	.xCreate = NULL,
	.xConnect = packed_connect,
	.xBestIndex = packed_best_index,
	.xDisconnect = packed_disconnect,
	.xDestroy = packed_disconnect,
	.xOpen = packed_open,
	.xClose = packed_close,
	.xFilter = packed_filter,
	.xNext = packed_next,
	.xEof = packed_eof,
	.xColumn = packed_column,
	.xRowid = packed_rowid,
};

/* --- packing in SQL ------------------------------------------------------ */

/* Pack one failure's values into the caller's packed: -1 if they cannot
   be (a field neither text nor NULL, or too long; count not above 0; tag
   out of range). */
static int packed_add_values(struct store_packed *packed,
			     sqlite3_value **argv)
{
	const char *fields[PACKED_FIELDS];
	sqlite3_int64 count, tag;
	int i;

	for (i = 0; i < PACKED_FIELDS; i++) {
		switch (sqlite3_value_type(argv[i])) {
		case SQLITE_NULL:
			fields[i] = NULL;
			break;
		case SQLITE_TEXT:
			fields[i] = (const char *)sqlite3_value_text(argv[i]);
			if (fields[i] == NULL ||
			    (size_t)sqlite3_value_bytes(argv[i]) !=
			    strlen(fields[i]))
				return -1;
			break;
		default:
			return -1;
		}
	}
	if (sqlite3_value_type(argv[PACKED_FIELDS]) != SQLITE_INTEGER ||
	    sqlite3_value_type(argv[PACKED_FIELDS + 1]) != SQLITE_INTEGER)
		return -1;
	count = sqlite3_value_int64(argv[PACKED_FIELDS]);
	tag = sqlite3_value_int64(argv[PACKED_FIELDS + 1]);
	if (count <= 0 || count > UINT32_MAX || tag < 0 || tag > UINT32_MAX ||
	    packed->count == STORE_PG_BATCH_MAX)
		return -1;
	return store_packed_add(packed, fields, (uint32_t)count,
				(uint32_t)tag);
}

#define PACKED_ERROR_BAD_ROW \
	"a failure row cannot be packed (ip, user, service, mechanism " \
	"and result are text of at most 255 bytes or NULL, count an " \
	"integer above 0, tag an integer from 0 to 4294967295, at most " \
	"1024 rows a batch)"

/* --- lockout_pack_failures(ip, user, service, mechanism, result, count,
   tag): the aggregate that packs rows (schema 9 moves the old rows
   over with it) -------------------------------------------------------- */

static void packed_agg_step(sqlite3_context *ctx,
			    int argc __attribute__((unused)),
			    sqlite3_value **argv)
{
	struct store_packed **slot;

	slot = sqlite3_aggregate_context(ctx, sizeof(*slot));
	if (slot == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	if (*slot == NULL) {
		*slot = calloc(1, sizeof(**slot));
		if (*slot == NULL) {
			sqlite3_result_error_nomem(ctx);
			return;
		}
	}
	if (!(*slot)->failed && packed_add_values(*slot, argv) < 0)
		(*slot)->failed = true;
}

static void packed_agg_final(sqlite3_context *ctx)
{
	struct store_packed **slot = sqlite3_aggregate_context(ctx, 0);
	struct store_packed *packed = slot == NULL ? NULL : *slot;

	if (packed == NULL || packed->count == 0)
		sqlite3_result_null(ctx);
	else if (packed->failed) {
		sqlite3_result_error(ctx, PACKED_ERROR_BAD_ROW, -1);
	} else {
		sqlite3_result_blob(ctx, packed->buf.data,
				    (int)packed->buf.len, SQLITE_TRANSIENT);
	}
	if (packed != NULL) {
		store_packed_free(packed);
		free(packed);
		*slot = NULL;
	}
}

/* lockout_pack_failure(ip, user, service, mechanism, result, count, tag):
   a batch of one failure (the trigger failures_insert: an INSERT into the
   view "failures" writes a batch of it) */
static void packed_pack_one(sqlite3_context *ctx,
			    int argc __attribute__((unused)),
			    sqlite3_value **argv)
{
	struct store_packed packed;

	store_packed_init(&packed);
	if (packed_add_values(&packed, argv) < 0) {
		if (packed.failed)
			sqlite3_result_error_nomem(ctx);
		else
			sqlite3_result_error(ctx, PACKED_ERROR_BAD_ROW, -1);
	} else {
		sqlite3_result_blob(ctx, packed.buf.data,
				    (int)packed.buf.len, SQLITE_TRANSIENT);
	}
	store_packed_free(&packed);
}

int lockout_store_sqlite_register(struct sqlite3 *db)
{
	int rc;

	rc = sqlite3_create_function_v2(db, "lockout_pack_failure",
					PACKED_FIELDS + 2,
					SQLITE_UTF8 | SQLITE_DETERMINISTIC |
					SQLITE_INNOCUOUS, NULL,
					packed_pack_one, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return rc;

	rc = sqlite3_create_module_v2(db, "lockout_failure_rows",
				      &packed_module, NULL, NULL);
	if (rc != SQLITE_OK)
		return rc;
	return sqlite3_create_function_v2(db, "lockout_pack_failures",
					  PACKED_FIELDS + 2,
					  SQLITE_UTF8 | SQLITE_DETERMINISTIC |
					  SQLITE_INNOCUOUS,
					  NULL, NULL, packed_agg_step,
					  packed_agg_final, NULL);
}
