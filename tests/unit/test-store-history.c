/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* lockout-store-history.c: add, list, rank and count the failure
   history. */
#include "store-test-common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- failure history ---------------------------------------------------- */

struct top_list {
	unsigned int count;
	int stop_after;
	char keys[MAX_LISTED][64];
	struct lockout_top_row rows[MAX_LISTED];
};

static int top_list_add(const struct lockout_top_row *row, void *context)
{
	struct top_list *list = context;

	ck_assert_uint_lt(list->count, MAX_LISTED);
	snprintf(list->keys[list->count], sizeof(list->keys[0]), "%s",
		 row->key);
	list->rows[list->count] = *row;
	list->rows[list->count].key = list->keys[list->count];
	list->count++;
	if (list->stop_after != 0 && (int)list->count == list->stop_after)
		return 7;
	return 0;
}

struct top_expect {
	const char *key;
	uint64_t failures, distinct;
	int64_t first, last;
};

/* The rows the cases expect, each once */
static const struct top_expect
	top_alice = { "alice", 5, 2, 100, 110 },
	top_bob = { "bob", 1, 1, 120, 120 },
	top_carol = { "carol", 10, 1, 50, 50 },
	/* since 100 (192.0.2.1 has no older failure) */
	top_ip1 = { "192.0.2.1", 4, 2, 100, 120 },
	top_ip2 = { "192.0.2.2", 3, 1, 110, 140 },
	top_ip3 = { "192.0.2.3", 4, 0, 130, 130 },
	/* since 0: with the older failures of carol */
	top_ip3_all = { "192.0.2.3", 14, 1, 50, 130 },
	top_imap = { "imap", 10, 1, 100, 140 },
	top_smtp = { "smtp", 10, 1, 50, 50 },
	top_pop3 = { "pop3", 1, 1, 120, 120 };

static const struct {
	const char *by;
	int64_t since;
	unsigned int limit;
	unsigned int count;
	const struct top_expect *rows[4];
} top_cases[] = {
	{ "user", 100, 10, 2, { &top_alice, &top_bob } },
	{ "user", 0, 10, 3, { &top_carol, &top_alice, &top_bob } },
	{ "user", 0, 1, 1, { &top_carol } },
	{ "user", 115, 10, 1, { &top_bob } },
	/* ties by key; NULL and empty users are not counted as distinct */
	{ "ip", 100, 10, 3, { &top_ip1, &top_ip3, &top_ip2 } },
	{ "ip", 0, 2, 2, { &top_ip3_all, &top_ip1 } },
	{ "service", 100, 10, 2, { &top_imap, &top_pop3 } },
	{ "service", 0, 10, 3, { &top_imap, &top_smtp, &top_pop3 } },
	{ "service", 1000, 10, 0, { NULL } },
	{ "user", 0, 0, 0, { NULL } },
};

START_TEST(test_top)
{
	struct lockout_store *store = store_open_history("top", _i);
	struct top_list list = { 0 };
	const char *error = NULL;
	unsigned int i;

	if (lockout_store_top(store, top_cases[_i].by, top_cases[_i].since,
			      top_cases[_i].limit, top_list_add, &list,
			      &error) != 0)
		ck_abort_msg("top: %s", error);
	ck_assert_uint_eq(list.count, top_cases[_i].count);
	for (i = 0; i < list.count; i++) {
		const struct top_expect *want = top_cases[_i].rows[i];

		ck_assert_str_eq(list.rows[i].key, want->key);
		ck_assert_uint_eq(list.rows[i].failures, want->failures);
		ck_assert_uint_eq(list.rows[i].distinct, want->distinct);
		ck_assert_int_eq(list.rows[i].first, want->first);
		ck_assert_int_eq(list.rows[i].last, want->last);
	}
	lockout_store_close(&store);
}
STORE_END_TEST("history", test_top, N_ELEMENTS(top_cases))

/* The ranking counts as SQL's count(DISTINCT nullif(user, '')) did (''
   and NULL are not counted); a batch whose blob breaks the packing is a
   damaged row, skipped, and the other batches are read. */
START_TEST(test_top_damaged)
{
	struct lockout_store *store;
	struct top_list list = { 0 };
	const char *error = NULL;

	store = store_open_ok("topdamaged", LOCKOUT_STORE_FLAG_CREATE);
	/* a batch that breaks the packing (its first byte is no format)
	   is one damaged row, the others read */
	raw_exec("topdamaged", "INSERT INTO failures (time, ip, user, count) "
		 "VALUES (100, '192.0.2.9', '5', 1), (101, '192.0.2.9', '6', 1),"
		 " (103, '192.0.2.9', '', 2),"
		 " (104, '192.0.2.9', NULL, 1),"
		 " (106, '', 'y', 1), (107, NULL, 'z', 1);"
		 "INSERT INTO failure_batches (time, n, rows) VALUES "
		 "(102, 1, X'02000000')");
	if (lockout_store_top(store, "ip", 0, 10, top_list_add, &list,
			      &error) != 0)
		ck_abort_msg("top: %s", error);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_str_eq(list.rows[0].key, "192.0.2.9");
	ck_assert_uint_eq(list.rows[0].failures, 5);
	ck_assert_uint_eq(list.rows[0].distinct, 2);
	ck_assert_int_eq(list.rows[0].first, 100);
	ck_assert_int_eq(list.rows[0].last, 104);
	ck_assert_uint_eq(lockout_store_skipped_rows(store), 1);
	lockout_store_close(&store);
}
/* SQLite only: its packed batches */
STORE_END_TEST_ON("history", test_top_damaged, 0, STORE_DRIVERS_SQLITE)

/* A short ranking is the start of the whole one (ties by key), whatever
   the limit: the groups are selected with a heap, then sorted. */
START_TEST(test_top_limits)
{
	static const unsigned int limits[] = { 1, 2, 7, 31, 32, 33, 40 };
	struct lockout_store *store;
	struct top_list all = { 0 }, list;
	struct lockout_failure row = {
		100, NULL, "alice", "imap", "PLAIN", "mismatch", 1, 0
	};
	char ip[32];
	uint64_t sums[40] = { 0 };
	const char *error = NULL;
	unsigned int i, j, seed = 12345;

	store = store_open_ok("toplimits", LOCKOUT_STORE_FLAG_CREATE);
	for (i = 0; i < 200; i++) {
		/* 40 addresses, counts 1..5: many ties */
		seed = seed * 1103515245 + 12345;
		snprintf(ip, sizeof(ip), "192.0.2.%u", (seed >> 16) % 40);
		row.ip = ip;
		row.count = 1 + (seed >> 8) % 5;
		row.time = 100 + i;
		ck_assert_int_eq(lockout_store_add_failures(store, &row, 1,
							    &error), 0);
		if (row.time >= 296)
			sums[(seed >> 16) % 40] += row.count;
	}
	/* 4 rows of 200: read through the time index, not the table */
	memset(&list, 0, sizeof(list));
	if (lockout_store_top(store, "ip", 296, 10, top_list_add, &list,
			      &error) != 0)
		ck_abort_msg("top: %s", error);
	ck_assert_uint_ge(list.count, 1);
	for (i = 0; i < list.count; i++) {
		j = (unsigned int)strtoul(list.rows[i].key + 8, NULL, 10);
		ck_assert_uint_eq(list.rows[i].failures, sums[j]);
		ck_assert_int_ge(list.rows[i].first, 296);
	}
	for (i = 0, j = 0; i < 40; i++)
		j += sums[i] > 0 ? 1 : 0;
	ck_assert_uint_eq(list.count, j);
	if (lockout_store_top(store, "ip", 0, 1000, top_list_add, &all,
			      &error) != 0)
		ck_abort_msg("top: %s", error);
	ck_assert_uint_le(all.count, 40);
	for (i = 1; i < all.count; i++) {
		ck_assert(all.rows[i - 1].failures > all.rows[i].failures ||
			  (all.rows[i - 1].failures == all.rows[i].failures &&
			   strcmp(all.rows[i - 1].key, all.rows[i].key) < 0));
	}
	for (j = 0; j < N_ELEMENTS(limits); j++) {
		memset(&list, 0, sizeof(list));
		if (lockout_store_top(store, "ip", 0, limits[j], top_list_add,
				      &list, &error) != 0)
			ck_abort_msg("top: %s", error);
		ck_assert_uint_eq(list.count, limits[j] < all.count ?
				  limits[j] : all.count);
		for (i = 0; i < list.count; i++) {
			ck_assert_str_eq(list.rows[i].key, all.rows[i].key);
			ck_assert_uint_eq(list.rows[i].failures,
					  all.rows[i].failures);
		}
	}
	lockout_store_close(&store);
}
STORE_END_TEST("history", test_top_limits, 0)

START_TEST(test_failures_errors)
{
	struct lockout_store *store;
	struct lockout_failure rows[2] = {
		{ 100, "192.0.2.1", "alice", "imap", "PLAIN", "mismatch", 1, 0 },
		{ 100, "192.0.2.1", long_target, "imap", "PLAIN",
		  "mismatch", 1, 0 },
	};
	struct top_list list;
	const char *error = NULL;

	make_long_strings();
	store = store_open_ok("failerr", LOCKOUT_STORE_FLAG_CREATE);
	/* validated before anything is inserted */
	ck_assert_int_eq(lockout_store_add_failures(store, rows, 2, &error),
			 -1);
	ck_assert_ptr_nonnull(strstr(error, "row 1"));
	rows[1].user = "bob";
	rows[1].count = 0;
	ck_assert_int_eq(lockout_store_add_failures(store, rows, 2, &error),
			 -1);
	rows[1].count = 1;
	rows[1].time = 0;
	ck_assert_int_eq(lockout_store_add_failures(store, rows, 2, &error),
			 -1);
	ck_assert_int_eq(raw_int("failerr", "SELECT count(*) FROM failures"),
			 0);
	ck_assert_int_eq(lockout_store_add_failures(store, rows, 0, &error),
			 0);

	ck_assert_int_eq(lockout_store_add_failures(store, rows, 1, &error),
			 0);
	ck_assert_int_eq(lockout_store_top(store, "mechanism", 0, 10,
					   top_list_add, &list, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "unknown key"));
	ck_assert_int_eq(lockout_store_top(store, NULL, 0, 10,
					   top_list_add, &list, &error), -1);

	/* the callback stops the ranking */
	memset(&list, 0, sizeof(list));
	list.stop_after = 1;
	rows[1].time = 100;
	rows[1].user = "bob";
	ck_assert_int_eq(lockout_store_add_failures(store, rows, 2, &error),
			 0);
	ck_assert_int_eq(lockout_store_top(store, "user", 0, 10,
					   top_list_add, &list, &error), 7);
	ck_assert_uint_eq(list.count, 1);
	lockout_store_close(&store);
}
STORE_END_TEST("history", test_failures_errors, 0)

struct failure_list {
	unsigned int count;
	int64_t times[MAX_LISTED];
	unsigned int counts[MAX_LISTED];
};

static int failure_list_add(const struct lockout_failure *row, void *context)
{
	struct failure_list *list = context;

	ck_assert_uint_lt(list->count, MAX_LISTED);
	list->times[list->count] = row->time;
	list->counts[list->count++] = row->count;
	return 0;
}

static const struct {
	const char *by, *value;
	int64_t since;
	unsigned int count;
	int64_t times[6];
} failure_iter_cases[] = {
	{ NULL, NULL, 0, 6, { 50, 100, 110, 120, 130, 140 } },
	{ NULL, NULL, 115, 3, { 120, 130, 140 } },
	{ "ip", "192.0.2.1", 0, 2, { 100, 120 } },
	{ "ip", "192.0.2.3", 100, 1, { 130 } },
	{ "ip", "192.0.2.9", 0, 0, { 0 } },
	{ "user", "alice", 0, 2, { 100, 110 } },
	{ "user", "", 0, 1, { 140 } },
	{ "user", "alice", 105, 1, { 110 } },
};

START_TEST(test_iter_failures)
{
	struct lockout_store *store = store_open_history("failiter", _i);
	struct failure_list list;
	const char *error = NULL;
	unsigned int i;

	memset(&list, 0, sizeof(list));
	if (lockout_store_iter_failures(store, failure_iter_cases[_i].by,
					failure_iter_cases[_i].value,
					failure_iter_cases[_i].since,
					failure_list_add, &list, &error) != 0)
		ck_abort_msg("iter_failures: %s", error);
	ck_assert_uint_eq(list.count, failure_iter_cases[_i].count);
	for (i = 0; i < list.count; i++) {
		ck_assert_int_eq(list.times[i],
				 failure_iter_cases[_i].times[i]);
	}
	lockout_store_close(&store);
}
STORE_END_TEST("history", test_iter_failures,
	       N_ELEMENTS(failure_iter_cases))

/* The failures lockout_store_iter_failures() reads by key by = value since
   since are count, with the counts counts, in that order. */
static void check_failure_counts(struct lockout_store *store, const char *by,
				 const char *value, int64_t since,
				 const unsigned int *counts, unsigned int count)
{
	struct failure_list list;
	const char *error = NULL;
	unsigned int j;

	memset(&list, 0, sizeof(list));
	if (lockout_store_iter_failures(store, by, value, since,
					failure_list_add, &list, &error) != 0)
		ck_abort_msg("iter_failures: %s", error);
	ck_assert_uint_eq(list.count, count);
	for (j = 0; j < list.count; j++)
		ck_assert_uint_eq(list.counts[j], counts[j]);
}

/* The failures of an address are read in time order and, within a second,
   in the order written, whether its batch holds only its failures or
   those of several addresses too (SQLite's schema 9). */
START_TEST(test_iter_failures_same_tail)
{
	static const struct lockout_failure rows[] = {
		{ .time = 100, .ip = "192.0.2.1", .count = 1 },
		{ .time = 100, .ip = "192.0.2.11", .count = 2 },
		{ .time = 99, .ip = "10.0.0.1", .count = 3 },
		{ .time = 101, .ip = "192.0.2.1", .count = 4 },
		{ .time = 100, .ip = "192.0.2.1", .count = 5 },
		{ .time = 50, .ip = "192.0.2.1", .count = 6 },
		{ .time = 100, .ip = "2001:db8::1", .count = 7 },
		{ .time = 100, .ip = "2001:db8::a1", .count = 8 },
		{ .time = 100, .ip = NULL, .user = "x", .count = 9 },
		{ .time = 100, .ip = "1", .count = 10 },
	};
	static const struct {
		const char *ip;
		int64_t since;
		unsigned int count;
		unsigned int counts[4];
	} cases[] = {
		{ "192.0.2.1", 60, 3, { 1, 5, 4 } },
		{ "192.0.2.1", 0, 4, { 6, 1, 5, 4 } },
		{ "192.0.2.11", 0, 1, { 2 } },
		{ "2001:db8::1", 0, 1, { 7 } },
		{ "2001:db8::a1", 0, 1, { 8 } },
		{ "1", 0, 1, { 10 } },
		{ "192.0.2.21", 0, 0, { 0 } },
		{ "", 0, 0, { 0 } },
	};
	struct lockout_store *store;
	const char *error = NULL;
	unsigned int i;

	store = store_open_ok("failtail", LOCKOUT_STORE_FLAG_CREATE);
	ck_assert_int_eq(lockout_store_add_failures(store, rows,
						    N_ELEMENTS(rows), &error),
			 0);
	if (store_test_driver == LOCKOUT_DB_DRIVER_SQLITE) {
		/* SQLite's batches (schema 9): a run of a second with at
		   most four addresses is a batch for each (2 + 1 + 1 + 1 +
		   1 + 4), carrying its address (and its username when
		   they all share one) */
		ck_assert_int_eq(raw_int("failtail", "SELECT count(*) FROM "
					 "failure_batches"), 10);
		ck_assert_int_eq(raw_int("failtail", "SELECT count(*) FROM "
					 "failure_batches WHERE ip = "
					 "'192.0.2.1'"), 4);
		ck_assert_int_eq(raw_int("failtail", "SELECT count(*) FROM "
					 "failure_batches WHERE ip IS NULL"), 1);
		ck_assert_int_eq(raw_int("failtail", "SELECT count(*) FROM "
					 "failure_batches WHERE \"user\" = "
					 "'x'"), 1);
	}
	for (i = 0; i < N_ELEMENTS(cases); i++) {
		check_failure_counts(store, "ip", cases[i].ip, cases[i].since,
				     cases[i].counts, cases[i].count);
	}
	lockout_store_close(&store);
}
STORE_END_TEST("history", test_iter_failures_same_tail, 0)

/* A second of more than four addresses is one batch (SQLite: its address
   and username NULL), read for an address or a username among the
   others, in the order written; a batch of one address is found too. */
START_TEST(test_iter_failures_batch_of_several)
{
	static const struct lockout_failure rows[] = {
		{ .time = 200, .ip = "192.0.2.1", .user = "a", .count = 1 },
		{ .time = 200, .ip = "192.0.2.2", .user = "b", .count = 2 },
		{ .time = 200, .ip = "192.0.2.3", .user = "a", .count = 3 },
		{ .time = 200, .ip = "192.0.2.1", .user = "c", .count = 4 },
		{ .time = 200, .ip = "192.0.2.4", .user = "a", .count = 5 },
		{ .time = 200, .ip = "192.0.2.5", .user = "a", .count = 6 },
		{ .time = 201, .ip = "192.0.2.1", .user = "a", .count = 7 },
	};
	static const struct {
		const char *by, *value;
		unsigned int count;
		unsigned int counts[5];
	} cases[] = {
		{ "ip", "192.0.2.1", 3, { 1, 4, 7 } },
		{ "ip", "192.0.2.5", 1, { 6 } },
		/* its bytes are in the batch (each address begins with
		   them): unpacked, and no failure is its */
		{ "ip", "192.0.2.", 0, { 0 } },
		{ "user", "a", 5, { 1, 3, 5, 6, 7 } },
		{ "user", "c", 1, { 4 } },
	};
	struct lockout_store *store;
	const char *error = NULL;
	unsigned int i;

	store = store_open_ok("failseveral", LOCKOUT_STORE_FLAG_CREATE);
	ck_assert_int_eq(lockout_store_add_failures(store, rows,
						    N_ELEMENTS(rows), &error),
			 0);
	if (store_test_driver == LOCKOUT_DB_DRIVER_SQLITE) {
		ck_assert_int_eq(raw_int("failseveral", "SELECT count(*) FROM "
					 "failure_batches WHERE ip IS NULL AND "
					 "\"user\" IS NULL AND n = 6"), 1);
		ck_assert_int_eq(raw_int("failseveral", "SELECT count(*) FROM "
					 "failure_batches WHERE ip = "
					 "'192.0.2.1' AND \"user\" = 'a'"), 1);
	}
	for (i = 0; i < N_ELEMENTS(cases); i++) {
		check_failure_counts(store, cases[i].by, cases[i].value, 0,
				     cases[i].counts, cases[i].count);
	}
	lockout_store_close(&store);
}
STORE_END_TEST("history", test_iter_failures_batch_of_several, 0)

START_TEST(test_iter_failures_errors)
{
	struct lockout_store *store;
	struct failure_list list;
	const char *error = NULL;

	make_long_strings();
	memset(&list, 0, sizeof(list));
	store = store_open_ok("failitererr", LOCKOUT_STORE_FLAG_CREATE);
	ck_assert_int_eq(lockout_store_iter_failures(store, "service", "imap",
						     0, failure_list_add,
						     &list, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "unknown key"));
	ck_assert_int_eq(lockout_store_iter_failures(store, "ip", NULL, 0,
						     failure_list_add, &list,
						     &error), -1);
	ck_assert_int_eq(lockout_store_iter_failures(store, "user",
						     long_target, 0,
						     failure_list_add, &list,
						     &error), -1);
	/* damaged rows are skipped */
	raw_exec("failitererr", raw_sql(
		 /* a batch whose only row's address runs past its
		    end */
		 "INSERT INTO failure_batches (time, n, rows) VALUES "
		 "(5, 1, X'011e09313932') ; INSERT INTO failures (time, "
		 "ip, count) VALUES (6, '192.0.2.1', 1)",
		 /* no blobs: an address longer than any; the rows are
		    packed (lockout-store-history.h) */
		 "INSERT INTO failure_batches (time, ips, users, services, "
		 "mechanisms, results, counts, tags) VALUES (5, "
		 "ARRAY[repeat('1', 300)], '{NULL}', '{NULL}', '{NULL}', "
		 "'{NULL}', '{1}', '{0}'), (6, '{192.0.2.1}', '{NULL}', "
		 "'{NULL}', '{NULL}', '{NULL}', '{1}', '{0}')"));
	ck_assert_int_eq(lockout_store_iter_failures(store, NULL, NULL, 0,
						     failure_list_add, &list,
						     &error), 0);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_int_eq(list.times[0], 6);
	ck_assert_uint_eq(lockout_store_skipped_rows(store), 1);
	lockout_store_close(&store);
}
STORE_END_TEST("history", test_iter_failures_errors, 0)

/* 37 rows come back whole, in the order given (the same ids), NULL user
   included; a bad row anywhere leaves nothing written. */
#define MANY_FAILURES 37
static int failure_check_many(const struct lockout_failure *row,
			      void *context)
{
	unsigned int *next = context;
	char ip[32], user[32];
	unsigned int i = (*next)++;

	snprintf(ip, sizeof(ip), "192.0.2.%u", i);
	snprintf(user, sizeof(user), "user%u", i);
	ck_assert_int_eq(row->time, 1000);
	ck_assert_str_eq(row->ip, ip);
	if (i % 5 == 4)
		ck_assert_ptr_null(row->user);
	else
		ck_assert_str_eq(row->user, user);
	ck_assert_str_eq(row->service, i % 2 == 0 ? "imap" : "smtp");
	ck_assert_str_eq(row->mechanism, "PLAIN");
	ck_assert_str_eq(row->result, i % 3 == 0 ? "unknown_user" :
			 "mismatch");
	ck_assert_uint_eq(row->count, i + 1);
	return 0;
}

START_TEST(test_add_failures_many)
{
	struct lockout_failure rows[MANY_FAILURES];
	static char ips[MANY_FAILURES][32], users[MANY_FAILURES][32];
	struct lockout_store *store;
	const char *error = NULL;
	unsigned int i, next = 0;

	for (i = 0; i < MANY_FAILURES; i++) {
		snprintf(ips[i], sizeof(ips[i]), "192.0.2.%u", i);
		snprintf(users[i], sizeof(users[i]), "user%u", i);
		rows[i].time = 1000;
		rows[i].ip = ips[i];
		rows[i].user = i % 5 == 4 ? NULL : users[i];
		rows[i].service = i % 2 == 0 ? "imap" : "smtp";
		rows[i].mechanism = "PLAIN";
		rows[i].result = i % 3 == 0 ? "unknown_user" : "mismatch";
		rows[i].count = i + 1;
	}
	store = store_open_ok("failmany", LOCKOUT_STORE_FLAG_CREATE);
	/* a bad row in the middle: nothing written */
	rows[20].count = 0;
	ck_assert_int_eq(lockout_store_add_failures(store, rows,
						    MANY_FAILURES, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "row 20"));
	ck_assert_int_eq(raw_int("failmany", "SELECT count(*) FROM failures"),
			 0);
	rows[20].count = 21;
	ck_assert_int_eq(lockout_store_add_failures(store, rows,
						    MANY_FAILURES, &error), 0);
	if (lockout_store_iter_failures(store, NULL, NULL, 0,
					failure_check_many, &next,
					&error) != 0)
		ck_abort_msg("iter_failures: %s", error);
	ck_assert_uint_eq(next, MANY_FAILURES);
	/* ids in the order given */
	ck_assert_int_eq(raw_int("failmany", "SELECT count(*) FROM (SELECT "
				 "ip, row_number() OVER (ORDER BY id) AS n "
				 "FROM failures) s "
				 "WHERE ip != '192.0.2.' || (n - 1)"), 0);
	/* PostgreSQL: the 37 rows of one second are one row */
	if (store_test_driver == LOCKOUT_DB_DRIVER_PGSQL) {
		ck_assert_int_eq(raw_int("failmany", "SELECT count(*) FROM "
					 "failure_batches"), 1);
	}
	lockout_store_close(&store);
}
STORE_END_TEST("history", test_add_failures_many, 0)
