/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The rankings of the failure history ("doveadm lockout top"): the rows of
   the period read once and counted here, in hash tables keyed by the
   library's keyed hash. SQLite's GROUP BY with count(DISTINCT ...) sorted
   the rows and cleared a temporary table for every group: 2.6 G
   instructions for 200,000 rows in 100,000 groups, four times this. */
#define _GNU_SOURCE /* qsort_r() */
#include "lockout-store-private.h"
#include "lockout-hash.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Rows of the period; the key and distinct columns are chosen by index.
   SQLite: the period's batches, unpacked here (top_add_batch()): through
   lockout_failure_rows() each failure cost SQLite's calls and copies of
   its columns, twice what the ranking costs. Through the time index each
   batch costs a seek into the table; reading the whole table in order
   costs far less a batch, so the table is read whole when the period
   holds at least 1/TOP_SCAN_RATIO of its batches (a week of a month's
   history), and through the index for a short period. */
#define TOP_SCAN_RATIO 32
static const struct store_query store_top_rows_queries[2] = {
	{ STORE_STMT_TOP_ROWS,
	  "SELECT time, rows FROM failure_batches "
	  "INDEXED BY failure_batches_time WHERE time >= ?1",
	  "SELECT ip, \"user\", service, count, time FROM failures "
	  "WHERE time >= $1" },
	{ STORE_STMT_TOP_ROWS_SCAN,
	  "SELECT time, rows FROM failure_batches NOT INDEXED "
	  "WHERE time >= ?1", NULL },
};
/* the failures of the period (the batches know their number), and the
   period's and the table's batches (the indexes alone) */
static const struct store_query store_top_count_query = {
	STORE_STMT_TOP_COUNT,
	"SELECT (SELECT coalesce(sum(n), 0) FROM failure_batches "
	"INDEXED BY failure_batches_time WHERE time >= ?1), "
	"(SELECT count(*) FROM failure_batches INDEXED BY "
	"failure_batches_time WHERE time >= ?1), "
	"(SELECT count(*) FROM failure_batches)",
	"SELECT count(*), 0, 0 FROM failures WHERE time >= $1"
};
#define TOP_COL_COUNT 3
#define TOP_COL_TIME 4

/* by: its column and the column whose distinct values are counted */
static const struct {
	const char *by;
	int key_col, distinct_col;
} store_top_keys[] = {
	{ "user", 1, 0 },
	{ "ip", 0, 1 },
	{ "service", 2, 1 },
};

/* What an interned string is: a key or a distinct value (every value of
   the packed history is text, schema 9). */
enum top_tag {
	TOP_TAG_KEY,
	TOP_TAG_TEXT,
};

/* Interned byte strings, numbered from 0 in order of arrival. */
struct top_strings {
	char *bytes;
	size_t bytes_used, bytes_size;
	struct top_string {
		size_t offset;
		uint32_t len;
		uint32_t tag;
		uint64_t hash;
	} *items;
	uint32_t count, items_size;
	/* open addressing: item number + 1, 0 for an empty slot */
	uint32_t *slots;
	uint32_t slots_mask;
};

/* A set of 64-bit numbers (key number << 32 | value number), 0 never in
   it: each is stored + 1. */
struct top_pairs {
	uint64_t *slots;
	uint64_t mask, count;
};

struct top_group {
	uint64_t failures, distinct;
	int64_t first, last;
};

struct top_ctx {
	unsigned char hash_key[LOCKOUT_HASH_KEY_SIZE];
	struct top_strings keys, values;
	struct top_pairs pairs;
	/* by key number */
	struct top_group *groups;
	uint32_t groups_size;
};

/* ptr (of *size elements of elem bytes) grown to at least need elements:
   the new pointer, or NULL (ptr unchanged) when out of memory. */
static void *top_grow(void *ptr, size_t elem, uint32_t *size, uint32_t need)
{
	uint32_t new_size = *size == 0 ? 1024 : *size;
	void *p;

	while (new_size < need) {
		if (new_size > UINT32_MAX / 2)
			return NULL;
		new_size *= 2;
	}
	if (new_size == *size)
		return ptr;
	p = reallocarray(ptr, new_size, elem);
	if (p != NULL)
		*size = new_size;
	return p;
}

static int top_strings_rehash(struct top_strings *t)
{
	uint32_t new_mask = t->slots == NULL ? 2047 : t->slots_mask * 2 + 1;
	uint32_t *slots, i, pos;

	if (new_mask > UINT32_MAX / 4)
		return -1;
	slots = calloc((size_t)new_mask + 1, sizeof(*slots));
	if (slots == NULL)
		return -1;
	for (i = 0; i < t->count; i++) {
		pos = (uint32_t)t->items[i].hash & new_mask;
		while (slots[pos] != 0)
			pos = (pos + 1) & new_mask;
		slots[pos] = i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->slots_mask = new_mask;
	return 0;
}

/* Find or add the len bytes of data with tag: its number in *id_r. */
static int top_strings_intern(struct top_ctx *ctx, struct top_strings *t,
			      enum top_tag tag, const void *data, size_t len,
			      uint32_t *id_r)
{
	struct top_string *item, *items;
	uint64_t hash;
	uint32_t pos, id;
	size_t new_size;
	char *p;

	if (len > UINT32_MAX)
		return -1;
	hash = lockout_hash(ctx->hash_key, data, len) ^ tag;
	if (t->slots != NULL) {
		for (pos = (uint32_t)hash & t->slots_mask; t->slots[pos] != 0;
		     pos = (pos + 1) & t->slots_mask) {
			item = &t->items[t->slots[pos] - 1];
			if (item->hash == hash && item->tag == (uint32_t)tag &&
			    item->len == len &&
			    memcmp(t->bytes + item->offset, data, len) == 0) {
				*id_r = t->slots[pos] - 1;
				return 0;
			}
		}
	}
	/* at most half full */
	if ((t->slots == NULL || t->count >= t->slots_mask / 2) &&
	    top_strings_rehash(t) < 0)
		return -1;
	if (t->count == UINT32_MAX - 1)
		return -1;
	items = top_grow(t->items, sizeof(*t->items), &t->items_size,
			 t->count + 1);
	if (items == NULL)
		return -1;
	t->items = items;
	if (len + 1 > t->bytes_size - t->bytes_used) {
		new_size = t->bytes_size == 0 ? 65536 : t->bytes_size;
		while (len + 1 > new_size - t->bytes_used) {
			if (new_size > SIZE_MAX / 2)
				return -1;
			new_size *= 2;
		}
		p = realloc(t->bytes, new_size);
		if (p == NULL)
			return -1;
		t->bytes = p;
		t->bytes_size = new_size;
	}
	id = t->count++;
	item = &t->items[id];
	item->offset = t->bytes_used;
	item->len = (uint32_t)len;
	item->tag = (uint32_t)tag;
	item->hash = hash;
	memcpy(t->bytes + t->bytes_used, data, len);
	t->bytes[t->bytes_used + len] = '\0';
	t->bytes_used += len + 1;
	for (pos = (uint32_t)hash & t->slots_mask; t->slots[pos] != 0;
	     pos = (pos + 1) & t->slots_mask) ;
	t->slots[pos] = id + 1;
	*id_r = id;
	return 0;
}

/* The numbers are ours, not the attacker's: a fixed mix is enough. */
static uint64_t top_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

/* The mask of a set for n numbers (at most half full), from 4,096 slots
   up to TOP_PAIRS_RESERVE_MAX (beyond, it grows as they come). */
#define TOP_PAIRS_RESERVE_MAX (4U << 20)
static uint64_t top_pairs_mask_for(uint64_t n)
{
	uint64_t mask = 4095;

	while (mask / 2 < n && mask + 1 < TOP_PAIRS_RESERVE_MAX)
		mask = mask * 2 + 1;
	return mask;
}

static int top_pairs_rehash(struct top_pairs *s, uint64_t new_mask)
{
	uint64_t *slots, i, pos;

	if (new_mask > SIZE_MAX / sizeof(*slots) / 2)
		return -1;
	slots = calloc((size_t)new_mask + 1, sizeof(*slots));
	if (slots == NULL)
		return -1;
	for (i = 0; s->slots != NULL && i <= s->mask; i++) {
		if (s->slots[i] == 0)
			continue;
		pos = top_mix(s->slots[i]) & new_mask;
		while (slots[pos] != 0)
			pos = (pos + 1) & new_mask;
		slots[pos] = s->slots[i];
	}
	free(s->slots);
	s->slots = slots;
	s->mask = new_mask;
	return 0;
}

/* Add value to the set: *added_r whether it was not in it. */
static int top_pairs_add(struct top_pairs *s, uint64_t value, bool *added_r)
{
	uint64_t pos;

	value++;
	if ((s->slots == NULL || s->count >= s->mask / 2) &&
	    top_pairs_rehash(s, s->slots == NULL ? 4095 : s->mask * 2 + 1) < 0)
		return -1;
	for (pos = top_mix(value) & s->mask; s->slots[pos] != 0;
	     pos = (pos + 1) & s->mask) {
		if (s->slots[pos] == value) {
			*added_r = false;
			return 0;
		}
	}
	s->slots[pos] = value;
	s->count++;
	*added_r = true;
	return 0;
}

/* Count one row whose key (len bytes, not empty) is key: -1 out of
   memory, else 0. distinct (dlen bytes, with tag) is its value of the
   distinct column, NULL if it has none (NULL or ''). */
static int top_count(struct top_ctx *ctx, const void *key, size_t len,
		     int64_t count, int64_t time, enum top_tag tag,
		     const void *distinct, size_t dlen)
{
	struct top_group *group, *groups;
	uint32_t key_id, value_id, old_groups;
	bool added;

	if (top_strings_intern(ctx, &ctx->keys, TOP_TAG_KEY, key, len,
			       &key_id) < 0)
		return -1;
	if (key_id >= ctx->groups_size) {
		old_groups = ctx->groups_size;
		groups = top_grow(ctx->groups, sizeof(*ctx->groups),
				  &ctx->groups_size, key_id + 1);
		if (groups == NULL)
			return -1;
		ctx->groups = groups;
		memset(ctx->groups + old_groups, 0,
		       (ctx->groups_size - old_groups) * sizeof(*ctx->groups));
	}
	group = &ctx->groups[key_id];
	if (group->failures == 0) {
		group->first = group->last = time;
	} else {
		if (time < group->first)
			group->first = time;
		if (time > group->last)
			group->last = time;
	}
	group->failures = (uint64_t)count > UINT64_MAX - group->failures ?
		UINT64_MAX : group->failures + (uint64_t)count;
	if (distinct == NULL)
		return 0;
	if (top_strings_intern(ctx, &ctx->values, tag, distinct, dlen,
			       &value_id) < 0 ||
	    top_pairs_add(&ctx->pairs, (uint64_t)key_id << 32 | value_id,
			  &added) < 0)
		return -1;
	if (added)
		group->distinct++;
	return 0;
}

/* top_add_row() of a PostgreSQL row: every value is text (or NULL). */
static int top_add_pg_row(struct top_ctx *ctx, const struct store_row *row,
			  int key_col, int distinct_col)
{
	const char *key, *distinct;
	int64_t count, time;

	if (store_pg_column_str(row, key_col, SIZE_MAX, STORE_COLUMN_NULLABLE,
				&key) < 0)
		return 1;
	if (key == NULL || key[0] == '\0')
		return 0;
	if (store_column_count(row, TOP_COL_COUNT, INT64_MAX, &count) < 0 ||
	    store_column_int(row, TOP_COL_TIME, &time) < 0 || count <= 0 ||
	    store_pg_column_str(row, distinct_col, SIZE_MAX,
				STORE_COLUMN_NULLABLE, &distinct) < 0)
		return 1;
	if (distinct != NULL && distinct[0] == '\0')
		distinct = NULL;
	return top_count(ctx, key, strlen(key), count, time, TOP_TAG_TEXT,
			 distinct, distinct == NULL ? 0 : strlen(distinct));
}

/* Count the failures of a batch (SQLite: time and rows of
   failure_batches): -1 out of memory, 1 when the batch or a failure of it
   is invalid (its blob breaks the format, a key holds a NUL), 0
   otherwise. A failure without a key is not ranked; NULL and '' are not
   counted as distinct values (count(DISTINCT nullif(col, ''))). */
static int top_add_batch(struct top_ctx *ctx, sqlite3_stmt *stmt,
			 int key_col, int distinct_col)
{
	struct store_packed_iter iter;
	struct store_packed_failure f;
	const unsigned char *distinct;
	size_t dlen;
	int64_t time;
	int ret = 0;

	if (sqlite3_column_type(stmt, 0) != SQLITE_INTEGER ||
	    sqlite3_column_type(stmt, 1) != SQLITE_BLOB ||
	    store_packed_iter_init(&iter, sqlite3_column_blob(stmt, 1),
				   (size_t)sqlite3_column_bytes(stmt, 1)) < 0)
		return 1;
	time = sqlite3_column_int64(stmt, 0);
	while (store_packed_iter_next(&iter, &f)) {
		if (f.field[key_col] == NULL || f.field_len[key_col] == 0)
			continue;
		if (memchr(f.field[key_col], '\0',
			   f.field_len[key_col]) != NULL) {
			ret = 1;
			continue;
		}
		distinct = f.field[distinct_col];
		dlen = f.field_len[distinct_col];
		if (dlen == 0)
			distinct = NULL;
		if (top_count(ctx, (const char *)f.field[key_col],
			      f.field_len[key_col], f.count, time,
			      TOP_TAG_TEXT, distinct, dlen) < 0)
			return -1;
	}
	return ret;
}

/* The row function of PostgreSQL's rows: cb->context is a struct
   top_iter; stops (1) when out of memory. */
struct top_iter {
	struct top_ctx *ctx;
	int key_col, distinct_col;
};
static int top_pg_row(const struct store_row *row,
		      const struct store_callback *cb, bool *invalid_r)
{
	const struct top_iter *it = cb->context;
	int ret = top_add_pg_row(it->ctx, row, it->key_col, it->distinct_col);

	*invalid_r = ret > 0;
	return ret < 0 ? 1 : 0;
}

static int top_read(struct lockout_store *store, struct top_ctx *ctx,
		    int64_t since, int key_col, int distinct_col,
		    const char **error_r)
{
	const struct store_value values[] = { STORE_INT(since) };
	sqlite3_stmt *stmt;
	uint64_t counts[3];
	int rc, ret;

	if (store_query_counts(store, &store_top_count_query, "top", values,
			       N_ELEMENTS(values), counts, N_ELEMENTS(counts),
			       error_r) < 0)
		return -1;
	if (counts[0] == 0)
		return 0;
	/* about a pair a row (a source rarely fails twice for one user):
	   the set sized for them at once, rather than rehashed 7 times on
	   the way, each a pass of random writes into new memory (the keys
	   may be few: their table grows) */
	if (top_pairs_rehash(&ctx->pairs, top_pairs_mask_for(counts[0])) < 0) {
		*error_r = store_errorf(store, "top: out of memory");
		return -1;
	}
	if (store->driver == LOCKOUT_DB_DRIVER_PGSQL) {
		struct top_iter it = { ctx, key_col, distinct_col };
		const struct store_callback cb = {
			.context = &it, .store = store
		};

		ret = store_iterate(store, &store_top_rows_queries[0], "top",
				    values, N_ELEMENTS(values), top_pg_row,
				    &cb, error_r);
		if (ret > 0)
			*error_r = store_errorf(store, "top: out of memory");
		return ret == 0 ? 0 : -1;
	}
	if (store_stmt_bind(store, &store_top_rows_queries[
				counts[1] >= counts[2] / TOP_SCAN_RATIO ? 1 : 0],
			    "top", values, N_ELEMENTS(values), &stmt,
			    error_r) < 0)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		ret = top_add_batch(ctx, stmt, key_col, distinct_col);
		if (ret < 0) {
			*error_r = store_errorf(store, "top: out of memory");
			store_stmt_release(stmt);
			return -1;
		}
		if (ret > 0 && store->skipped_rows < UINT_MAX)
			store->skipped_rows++;
	}
	store_stmt_release(stmt);
	if (rc != SQLITE_DONE) {
		*error_r = store_error(store, "top", rc);
		return -1;
	}
	return 0;
}

/* ORDER BY failures DESC, key (SQLite's BINARY collation: memcmp, then
   the shorter first) */
static int top_cmp(const void *_a, const void *_b, void *context)
{
	uint32_t a = *(const uint32_t *)_a, b = *(const uint32_t *)_b;
	const struct top_ctx *ctx = context;
	const struct top_string *sa = &ctx->keys.items[a];
	const struct top_string *sb = &ctx->keys.items[b];
	uint64_t fa = ctx->groups[a].failures, fb = ctx->groups[b].failures;
	int cmp;

	if (fa != fb)
		return fa > fb ? -1 : 1;
	cmp = memcmp(ctx->keys.bytes + sa->offset, ctx->keys.bytes + sb->offset,
		     sa->len < sb->len ? sa->len : sb->len);
	if (cmp != 0)
		return cmp;
	return sa->len < sb->len ? -1 : (sa->len > sb->len ? 1 : 0);
}

/* Move heap[i] down the heap of n whose root ranks last. */
static void top_sift_down(uint32_t *heap, uint32_t n, uint32_t i,
			  struct top_ctx *ctx)
{
	uint32_t child, tmp;

	while ((child = 2 * i + 1) < n) {
		if (child + 1 < n &&
		    top_cmp(&heap[child + 1], &heap[child], ctx) > 0)
			child++;
		if (top_cmp(&heap[child], &heap[i], ctx) <= 0)
			break;
		tmp = heap[i];
		heap[i] = heap[child];
		heap[child] = tmp;
		i = child;
	}
}

/* The limit best ranked of the count groups into order[] (at least
   limit), ranked: a heap of the best so far, whose root is the last of
   them, rather than sorting 100,000 groups to show 20. Returns how many. */
static uint32_t top_select(struct top_ctx *ctx, uint32_t count,
			   uint32_t limit, uint32_t *order)
{
	uint32_t i, n;

	if (limit >= count) {
		for (i = 0; i < count; i++)
			order[i] = i;
		n = count;
	} else {
		for (i = 0; i < limit; i++)
			order[i] = i;
		for (i = limit / 2; i-- > 0; )
			top_sift_down(order, limit, i, ctx);
		for (i = limit; i < count; i++) {
			if (top_cmp(&i, &order[0], ctx) < 0) {
				order[0] = i;
				top_sift_down(order, limit, 0, ctx);
			}
		}
		n = limit;
	}
	qsort_r(order, n, sizeof(*order), top_cmp, ctx);
	return n;
}

static int top_report(struct lockout_store *store, struct top_ctx *ctx,
		      unsigned int limit,
		      int (*callback)(const struct lockout_top_row *row,
				      void *context),
		      void *context, const char **error_r)
{
	struct lockout_top_row row;
	uint32_t *order, i, n, count = ctx->keys.count;
	int ret = 0;

	if (count == 0)
		return 0;
	n = limit < count ? limit : count;
	order = calloc(n, sizeof(*order));
	if (order == NULL) {
		*error_r = store_errorf(store, "top: out of memory");
		return -1;
	}
	n = top_select(ctx, count, n, order);
	store->in_callback = true;
	for (i = 0; i < n && ret == 0; i++) {
		const struct top_group *group = &ctx->groups[order[i]];

		memset(&row, 0, sizeof(row));
		row.key = ctx->keys.bytes + ctx->keys.items[order[i]].offset;
		row.failures = group->failures;
		row.distinct = group->distinct;
		row.first = group->first;
		row.last = group->last;
		ret = callback(&row, context);
	}
	store->in_callback = false;
	free(order);
	return ret;
}

static void top_free(struct top_ctx *ctx)
{
	free(ctx->keys.bytes);
	free(ctx->keys.items);
	free(ctx->keys.slots);
	free(ctx->values.bytes);
	free(ctx->values.items);
	free(ctx->values.slots);
	free(ctx->pairs.slots);
	free(ctx->groups);
}

int lockout_store_top(struct lockout_store *store, const char *by,
		      int64_t since, unsigned int limit,
		      int (*callback)(const struct lockout_top_row *row,
				      void *context),
		      void *context, const char **error_r)
{
	struct top_ctx ctx;
	unsigned int i;
	int ret;

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
	memset(&ctx, 0, sizeof(ctx));
	lockout_hash_key_random(ctx.hash_key);
	ret = top_read(store, &ctx, since, store_top_keys[i].key_col,
		       store_top_keys[i].distinct_col, error_r);
	if (ret == 0)
		ret = top_report(store, &ctx, limit, callback, context,
				 error_r);
	top_free(&ctx);
	return ret;
}
