/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* lockout-store-notify.c: what lockoutd has to mail, and claiming it
   (marking it mailed) before the mail is sent. */
#include "store-test-common.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* --- lockoutd: notifications and exemptions ------------------------------ */

/* Claim the bans and events with these ids on store, or fail the test;
   return how many rows were claimed. */
static size_t claim_ok(struct lockout_store *store, const int64_t *bans,
		       size_t n_bans, const int64_t *events, size_t n_events)
{
	const char *error = NULL;
	size_t claimed = 0;

	ck_assert_msg(lockout_store_claim_bans_notified(store, bans, n_bans,
							&claimed,
							&error) == 0 &&
		      lockout_store_claim_events_notified(store, events,
							  n_events, &claimed,
							  &error) == 0,
		      "%s", error);
	return claimed;
}

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

	/* claimed ones are gone; unknown ids are fine, and count nothing */
	ck_assert_int_eq(lockout_store_begin(store, &error), 0);
	ck_assert_uint_eq(claim_ok(store, ids, 2, NULL, 0), 2);
	ids[0] = 999;
	ck_assert_uint_eq(claim_ok(store, ids, 1, NULL, 0), 0);
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
	size_t claimed = 0;

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

	ck_assert_int_eq(lockout_store_claim_events_notified(store, list.ids,
							     1, &claimed,
							     &error), 0);
	ck_assert_uint_eq(claimed, 1);
	memset(&list, 0, sizeof(list));
	ck_assert_int_eq(lockout_store_iter_unnotified_events(store, 1,
		event_list_add, &list, &error), 0);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_str_eq(list.text[0], "101 protected [] [] {}");
	lockout_store_close(&store);

	/* read-only stores can neither claim nor give back */
	store = store_open_ok("events", LOCKOUT_STORE_FLAG_READONLY);
	ck_assert_int_eq(lockout_store_claim_events_notified(store, list.ids,
							     1, &claimed,
							     &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "read-only"));
	ck_assert_int_eq(lockout_store_unclaim_events_notified(store,
							       list.ids, 1,
							       &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "read-only"));
	lockout_store_close(&store);
}
/* SQLite only: values of other types than the column's */
STORE_END_TEST_ON("lockoutd", test_unnotified_events, 0,
		  STORE_DRIVERS_SQLITE)

/* --- claiming: each row mailed by one lockoutd --------------------------- */

static int64_t count_unnotified(const char *name)
{
	return raw_int(name, "SELECT count(*) FROM bans WHERE notified = 0") +
		raw_int(name, "SELECT count(*) FROM events "
			"WHERE notified = 0");
}

/* Two lockoutds (two connections) claiming the rows of their mails. */
START_TEST(test_claim_notified)
{
	struct lockout_store *a, *b;
	struct lockout_ban ban = ban_make("192.0.2.1", 1000, 2000);
	struct lockout_event event;
	struct event_list list;
	const char *error = NULL;
	int64_t ids[3];

	a = store_open_ok("claim", LOCKOUT_STORE_FLAG_CREATE);
	b = store_open_ok("claim", 0);
	ids[0] = add_ban_ok(a, &ban);
	ban.target = "192.0.2.2";
	ids[1] = add_ban_ok(a, &ban);
	ban.target = "192.0.2.3";
	ids[2] = add_ban_ok(a, &ban);
	memset(&event, 0, sizeof(event));
	event.time = 1000;
	event.kind = "stale_client";
	ck_assert_int_eq(lockout_store_add_event(a, &event, &error), 0);
	memset(&list, 0, sizeof(list));
	ck_assert_int_eq(lockout_store_iter_unnotified_events(a, 10,
		event_list_add, &list, &error), 0);
	ck_assert_uint_eq(list.count, 1);

	/* a claims two bans and the event */
	ck_assert_int_eq(lockout_store_begin(a, &error), 0);
	ck_assert_uint_eq(claim_ok(a, ids, 2, list.ids, 1), 3);
	ck_assert_int_eq(lockout_store_commit(a, &error), 0);
	ck_assert_int_eq(count_unnotified("claim"), 1);

	/* the second claimer gets 0 of those, only the ban a left */
	ck_assert_int_eq(lockout_store_begin(b, &error), 0);
	ck_assert_uint_eq(claim_ok(b, ids, 3, list.ids, 1), 1);
	/* it does not have them all: rolled back, that ban is unclaimed */
	lockout_store_rollback(b);
	ck_assert_int_eq(count_unnotified("claim"), 1);

	/* a's mail failed: given back, any claimer gets them again */
	ck_assert_int_eq(lockout_store_begin(a, &error), 0);
	ck_assert_int_eq(lockout_store_unclaim_bans_notified(a, ids, 2,
							     &error), 0);
	ck_assert_int_eq(lockout_store_unclaim_events_notified(a, list.ids,
							       1, &error), 0);
	ck_assert_int_eq(lockout_store_commit(a, &error), 0);
	ck_assert_int_eq(count_unnotified("claim"), 4);
	ck_assert_uint_eq(claim_ok(b, ids, 3, list.ids, 1), 4);
	ck_assert_int_eq(count_unnotified("claim"), 0);
	/* giving back twice, or unknown ids: no error */
	ids[0] = 999;
	ck_assert_int_eq(lockout_store_unclaim_bans_notified(b, ids, 1,
							     &error), 0);
	ck_assert_int_eq(count_unnotified("claim"), 0);
	lockout_store_close(&a);
	lockout_store_close(&b);
}
STORE_END_TEST("claim", test_claim_notified, 0)

struct claimer {
	char path[512];
	int64_t id;
	int ret;
	size_t claimed;
	char error[256];
};

static void *claimer_run(void *context)
{
	struct claimer *c = context;
	struct lockout_store *store;
	const char *error = NULL;

	c->ret = lockout_store_open_db(store_test_driver, c->path, 0, 5000,
				       &store, &error);
	if (c->ret < 0) {
		snprintf(c->error, sizeof(c->error), "%s", error);
		return NULL;
	}
	c->ret = lockout_store_begin(store, &error);
	if (c->ret == 0) {
		c->ret = lockout_store_claim_bans_notified(store, &c->id, 1,
							   &c->claimed,
							   &error);
	}
	if (c->ret == 0)
		c->ret = lockout_store_commit(store, &error);
	else
		lockout_store_rollback(store);
	/* the error buffer is the thread's: copied before it ends */
	if (c->ret < 0)
		snprintf(c->error, sizeof(c->error), "%s", error);
	lockout_store_close(&store);
	return NULL;
}

/* Claiming at the same moment: the second claimer waits for the first's
   transaction (PostgreSQL: the row lock, then its WHERE re-checked on the
   committed row; SQLite: the write lock) and gets 0. */
START_TEST(test_claim_concurrent)
{
	struct lockout_store *a;
	struct lockout_ban ban = ban_make("192.0.2.1", 1000, 2000);
	struct claimer c;
	const char *error = NULL;
	pthread_t thread;
	size_t claimed = 0;

	a = store_open_ok("claim_race", LOCKOUT_STORE_FLAG_CREATE);
	memset(&c, 0, sizeof(c));
	snprintf(c.path, sizeof(c.path), "%s", test_path("claim_race"));
	c.id = add_ban_ok(a, &ban);
	ck_assert_int_eq(lockout_store_begin(a, &error), 0);
	ck_assert_int_eq(lockout_store_claim_bans_notified(a, &c.id, 1,
							   &claimed, &error),
			 0);
	ck_assert_uint_eq(claimed, 1);
	ck_assert_int_eq(pthread_create(&thread, NULL, claimer_run, &c), 0);
	/* let the other claimer block on a's transaction */
	usleep(200 * 1000);
	ck_assert_int_eq(lockout_store_commit(a, &error), 0);
	ck_assert_int_eq(pthread_join(thread, NULL), 0);
	ck_assert_msg(c.ret == 0, "%s", c.error);
	ck_assert_uint_eq(c.claimed, 0);
	lockout_store_close(&a);
}
STORE_END_TEST("claim", test_claim_concurrent, 0)
