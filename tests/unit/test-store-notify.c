/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* lockout-store-notify.c: what lockoutd has to mail, and marking it
   mailed. */
#include "store-test-common.h"

#include <stdio.h>
#include <string.h>

/* --- lockoutd: notifications and exemptions ------------------------------ */

START_TEST(test_unnotified_bans)
{
	struct lockout_store *store = store_open_ok("notify",
		LOCKOUT_STORE_FLAG_CREATE);
	struct lockout_ban ban = ban_make("192.0.2.1", 1000, 2000);
	struct ban_list list = { 0, 0, { { 0 } } };
	const char *error = NULL;
	int64_t ids[4];

	ids[0] = add_ban_ok(store, &ban);
	ban.target = "192.0.2.2";
	ban.lifted = 1500;
	ids[1] = add_ban_ok(store, &ban);
	ban.target = "alice@example.org";
	ban.kind = LOCKOUT_KIND_USER;
	ban.lifted = 0;
	ban.expires = 0;
	ids[2] = add_ban_ok(store, &ban);
	ban.target = "192.0.2.3";
	ban.kind = LOCKOUT_KIND_IP;
	ban.observed = true;
	ids[3] = add_ban_ok(store, &ban);

	/* all kinds and states, by id, up to the limit */
	ck_assert_int_eq(lockout_store_iter_unnotified_bans(store, 100,
		ban_list_add, &list, &error), 0);
	ck_assert_uint_eq(list.count, 4);
	ck_assert_str_eq(list.bans[0].target, "192.0.2.1");
	ck_assert_int_eq(list.bans[1].lifted, 1500);
	ck_assert_int_eq(list.bans[2].kind, LOCKOUT_KIND_USER);
	ck_assert(list.bans[3].observed);
	ban_list_free(&list);
	ck_assert_int_eq(lockout_store_iter_unnotified_bans(store, 2,
		ban_list_add, &list, &error), 0);
	ck_assert_uint_eq(list.count, 2);
	ban_list_free(&list);
	ck_assert_int_eq(lockout_store_iter_unnotified_bans(store, 0,
		ban_list_add, &list, &error), 0);
	ck_assert_uint_eq(list.count, 0);

	/* marked ones are gone; unknown ids are fine */
	ck_assert_int_eq(lockout_store_begin(store, &error), 0);
	ck_assert_int_eq(lockout_store_mark_bans_notified(store, ids, 2,
							  &error), 0);
	ids[0] = 999;
	ck_assert_int_eq(lockout_store_mark_bans_notified(store, ids, 1,
							  &error), 0);
	ck_assert_int_eq(lockout_store_commit(store, &error), 0);
	ck_assert_int_eq(lockout_store_iter_unnotified_bans(store, 100,
		ban_list_add, &list, &error), 0);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_str_eq(list.bans[0].target, "alice@example.org");
	ck_assert_int_eq(list.bans[0].id, ids[2]);
	ban_list_free(&list);
	/* a stopping callback's value comes back */
	list.stop_after = 1;
	ck_assert_int_eq(lockout_store_iter_unnotified_bans(store, 100,
		ban_list_add, &list, &error), 42);
	ban_list_free(&list);
	lockout_store_close(&store);
	ck_assert_int_eq(raw_int("notify", "SELECT count(*) FROM bans "
				 "WHERE notified = 1"), 2);
}
STORE_END_TEST("lockoutd", test_unnotified_bans, 0)

struct event_list {
	unsigned int count;
	int64_t ids[MAX_LISTED];
	char text[MAX_LISTED][128];
};

static int event_list_add(const struct lockout_event *event, void *context)
{
	struct event_list *list = context;

	ck_assert_uint_lt(list->count, MAX_LISTED);
	list->ids[list->count] = event->id;
	snprintf(list->text[list->count], sizeof(list->text[0]),
		 "%lld %s [%s] [%s] %s", (long long)event->time, event->kind,
		 event->ip, event->user, event->detail);
	list->count++;
	return 0;
}

START_TEST(test_unnotified_events)
{
	struct lockout_store *store;
	struct event_list list;
	const char *error = NULL;

	raw_create("events",
		"INSERT INTO events (time, kind, ip, user, detail) VALUES "
		"(100, 'stale_client', '192.0.2.1', 'bob', '{\"n\":3}');"
		"INSERT INTO events (time, kind) VALUES (101, 'protected');"
		/* invalid rows, skipped */
		"INSERT INTO events (time, kind, user) VALUES "
		"(102, 'x', CAST('a' || char(0) || 'b' AS BLOB));"
		"INSERT INTO events (time, kind, user) VALUES "
		"(103, 'x', printf('%.300c', 'u'));"
		"INSERT INTO events (time, kind) VALUES "
		"(104, printf('%.256c', 'k'));"
		"INSERT INTO events (time, kind) VALUES (0, 'x');"
		"INSERT INTO events (time, kind, notified) VALUES "
		"(105, 'success_after_failures', 1);");
	store = store_open_ok("events", 0);
	memset(&list, 0, sizeof(list));
	ck_assert_int_eq(lockout_store_iter_unnotified_events(store, 100,
		event_list_add, &list, &error), 0);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_str_eq(list.text[0],
			 "100 stale_client [192.0.2.1] [bob] {\"n\":3}");
	ck_assert_str_eq(list.text[1], "101 protected [] [] {}");
	ck_assert_uint_eq(lockout_store_skipped_rows(store), 4);

	ck_assert_int_eq(lockout_store_mark_events_notified(store, list.ids,
							    1, &error), 0);
	memset(&list, 0, sizeof(list));
	ck_assert_int_eq(lockout_store_iter_unnotified_events(store, 1,
		event_list_add, &list, &error), 0);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_str_eq(list.text[0], "101 protected [] [] {}");
	lockout_store_close(&store);

	/* read-only stores cannot mark */
	store = store_open_ok("events", LOCKOUT_STORE_FLAG_READONLY);
	ck_assert_int_eq(lockout_store_mark_events_notified(store, list.ids,
							    1, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "read-only"));
	lockout_store_close(&store);
}
/* SQLite only: values of other types than the column's */
STORE_END_TEST_ON("lockoutd", test_unnotified_events, 0,
		  STORE_DRIVERS_SQLITE)
