/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* lockout-store-prune.c: bounded deletion of old rows. */
#include "store-test-common.h"

#include <string.h>

START_TEST(test_prune)
{
	struct lockout_store *store;
	struct lockout_failure rows[15];
	const char *error = NULL;
	unsigned int i, deleted;
	static const unsigned int expect[] = { 4, 4, 2, 0 };

	memset(rows, 0, sizeof(rows));
	for (i = 0; i < N_ELEMENTS(rows); i++) {
		/* 10 old rows (time 10..19), 5 recent ones (100..104),
		   inserted newest first so that id order != time order */
		rows[i].time = i < 5 ? 104 - i : 19 - (i - 5);
		rows[i].ip = "192.0.2.1";
		rows[i].result = "mismatch";
		rows[i].count = 1;
	}
	store = store_open_ok("prune", LOCKOUT_STORE_FLAG_CREATE);
	ck_assert_int_eq(lockout_store_add_failures(store, rows,
						    N_ELEMENTS(rows),
						    &error), 0);

	ck_assert_int_eq(lockout_store_prune_failures(store, 50, 0, &deleted,
						      &error), 0);
	ck_assert_uint_eq(deleted, 0);
	for (i = 0; i < N_ELEMENTS(expect); i++) {
		ck_assert_int_eq(lockout_store_prune_failures(store, 50, 4,
							      &deleted,
							      &error), 0);
		ck_assert_uint_eq(deleted, expect[i]);
		if (i == 0) {
			/* the oldest went first */
			ck_assert_int_eq(raw_int("prune", "SELECT min(time) "
						 "FROM failures"), 14);
		}
	}
	ck_assert_int_eq(raw_int("prune", "SELECT count(*) FROM failures"),
			 5);
	ck_assert_int_eq(raw_int("prune", "SELECT min(time) FROM failures"),
			 100);
	lockout_store_close(&store);
}
STORE_END_TEST("prune", test_prune, 0)

/* Bans, events and known devices older than the history are pruned in
   bounded batches; active and permanent bans stay. */
START_TEST(test_prune_tables)
{
	struct lockout_store *store;
	const char *error = NULL;
	unsigned int deleted;

	raw_create("prune2",
		"INSERT INTO bans (target, kind, source, reason, rule, "
		"created, expires, lifted) VALUES "
		"('192.0.2.1', 'ip', 'auto', 'r', 'x', 10, 20, NULL),"
		"('192.0.2.2', 'ip', 'auto', 'r', 'x', 10, 500, 30),"
		"('192.0.2.3', 'ip', 'auto', 'r', 'x', 10, NULL, NULL),"
		"('192.0.2.4', 'ip', 'auto', 'r', 'x', 10, 500, NULL),"
		"('192.0.2.5', 'ip', 'auto', 'r', 'x', 10, NULL, 40);"
		"INSERT INTO events (time, kind) VALUES (10, 'a'), (20, 'b'),"
		"(300, 'c');"
		"INSERT INTO known_devices VALUES ('alice', '192.0.2.0/24', 1,"
		" 10), ('bob', '192.0.2.0/24', 1, 20), ('carol', '10.0.0.0/24',"
		" 1, 300);");
	store = store_open_ok("prune2", 0);
	/* ended before 100: .1 (expired), .2 and .5 (lifted) */
	ck_assert_int_eq(lockout_store_prune(store, LOCKOUT_STORE_TABLE_BANS,
					     100, 2, &deleted, &error), 0);
	ck_assert_uint_eq(deleted, 2);
	ck_assert_int_eq(lockout_store_prune(store, LOCKOUT_STORE_TABLE_BANS,
					     100, 2, &deleted, &error), 0);
	ck_assert_uint_eq(deleted, 1);
	ck_assert_int_eq(raw_int("prune2", "SELECT count(*) FROM bans WHERE "
				 "target IN ('192.0.2.3', '192.0.2.4')"), 2);
	ck_assert_int_eq(raw_int("prune2", "SELECT count(*) FROM bans"), 2);
	ck_assert_int_eq(lockout_store_prune(store, LOCKOUT_STORE_TABLE_EVENTS,
					     100, 10, &deleted, &error), 0);
	ck_assert_uint_eq(deleted, 2);
	ck_assert_int_eq(lockout_store_prune(store,
					     LOCKOUT_STORE_TABLE_KNOWN_DEVICES,
					     15, 10, &deleted, &error), 0);
	ck_assert_uint_eq(deleted, 1);
	ck_assert_int_eq(raw_int("prune2", "SELECT count(*) FROM "
				 "known_devices"), 2);
	ck_assert_int_eq(lockout_store_prune(store,
					     LOCKOUT_STORE_TABLE_FAILURES,
					     100, 10, &deleted, &error), 0);
	ck_assert_uint_eq(deleted, 0);
	lockout_store_close(&store);
	/* read-only stores refuse */
	store = store_open_ok("prune2", LOCKOUT_STORE_FLAG_READONLY);
	ck_assert_int_eq(lockout_store_prune(store, LOCKOUT_STORE_TABLE_BANS,
					     100, 2, &deleted, &error), -1);
	lockout_store_close(&store);
}
STORE_END_TEST("prune", test_prune_tables, 0)
