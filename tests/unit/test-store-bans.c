/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* lockout-store-bans.c: add, lift, count and list bans; validation and
   hostile rows. */
#include "store-test-common.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* --- bans --------------------------------------------------------------- */

START_TEST(test_iter_active_all)
{
	struct lockout_store *store;
	struct ban_list list = { 0 };
	struct lockout_ban perm = ban_make("192.0.2.1", 100, 0);
	struct lockout_ban temp = ban_make("192.0.2.2", 150, 200);
	struct lockout_ban lifted = ban_make("192.0.2.3", 120, 0);
	struct lockout_ban oldest = ban_make("198.51.100.0/24", 50, 1000);
	struct lockout_ban user = ban_make("admin@example.com", 100, 500);
	const char *error = NULL;
	int64_t perm_id, user_id;

	oldest.kind = LOCKOUT_KIND_NET;
	oldest.source = LOCKOUT_SOURCE_FEED;
	oldest.evidence = NULL;
	user.kind = LOCKOUT_KIND_USER;
	user.source = LOCKOUT_SOURCE_MANUAL;
	user.rule = "manual";
	user.failures = 0;

	store = store_open_ok("iter", LOCKOUT_STORE_FLAG_CREATE);
	perm_id = add_ban_ok(store, &perm);
	add_ban_ok(store, &temp);
	add_ban_ok(store, &lifted);
	add_ban_ok(store, &oldest);
	/* same created time as perm: ordered by id after it */
	user_id = add_ban_ok(store, &user);
	ck_assert_int_gt(user_id, perm_id);
	lift_ok(store, "192.0.2.3", 130, 1);
	lifted.lifted = 130;

	/* active at 180: oldest (50), perm (100), user (100), temp (150) */
	ban_list_fill(store, 180, 0, &list);
	ck_assert_uint_eq(list.count, 4);
	ban_assert_equal(&list.bans[0], &oldest);
	ban_assert_equal(&list.bans[1], &perm);
	ck_assert_int_eq(list.bans[1].id, perm_id);
	ban_assert_equal(&list.bans[2], &user);
	ck_assert_int_eq(list.bans[2].id, user_id);
	ban_assert_equal(&list.bans[3], &temp);

	/* the same in creation order from bans_created (doveadm list) */
	ban_list_fill(store, 180, LOCKOUT_ITER_FLAG_CREATED, &list);
	ck_assert_uint_eq(list.count, 4);
	ban_assert_equal(&list.bans[0], &oldest);
	ck_assert_int_eq(list.bans[1].id, perm_id);
	ck_assert_int_eq(list.bans[2].id, user_id);
	ban_assert_equal(&list.bans[3], &temp);

	/* at 200 temp has expired (expires > now is active) */
	ban_list_fill(store, 200, 0, &list);
	ck_assert_uint_eq(list.count, 3);
	ck_assert_str_eq(list.bans[2].target, "admin@example.com");

	/* ALL: expired and lifted included, still ordered by created */
	ban_list_fill(store, 200, LOCKOUT_ITER_FLAG_ALL, &list);
	ck_assert_uint_eq(list.count, 5);
	ban_assert_equal(&list.bans[0], &oldest);
	ban_assert_equal(&list.bans[1], &perm);
	ban_assert_equal(&list.bans[2], &user);
	ban_assert_equal(&list.bans[3], &lifted);
	ban_assert_equal(&list.bans[4], &temp);

	/* far future: only the permanent one */
	ban_list_fill(store, 1000000, 0, &list);
	ck_assert_uint_eq(list.count, 1);
	ban_assert_equal(&list.bans[0], &perm);

	/* the callback stops the iteration and its value is returned */
	ban_list_free(&list);
	list.stop_after = 2;
	ck_assert_int_eq(lockout_store_iter_bans(store, 180, 0, ban_list_add,
						 &list, &error), 42);
	ck_assert_uint_eq(list.count, 2);
	/* and the statement is reusable afterwards */
	list.stop_after = 0;
	ban_list_fill(store, 180, 0, &list);
	ck_assert_uint_eq(list.count, 4);
	ban_list_free(&list);
	ck_assert_uint_eq(lockout_store_skipped_rows(store), 0);
	lockout_store_close(&store);
}
STORE_END_TEST("bans", test_iter_active_all, 0)

START_TEST(test_lift_and_count)
{
	struct lockout_store *store;
	struct lockout_ban ban1 = ban_make("192.0.2.9", 100, 300);
	struct lockout_ban ban2 = ban_make("192.0.2.9", 110, 0);
	struct lockout_ban expired = ban_make("192.0.2.9", 10, 20);
	struct ban_list list = { 0 };
	const char *error = NULL;
	unsigned int count = 99;

	store = store_open_ok("lift", LOCKOUT_STORE_FLAG_CREATE);
	lift_ok(store, "203.0.113.1", 150, 0);
	ck_assert_int_eq(lockout_store_count_bans(store, "192.0.2.9", &count,
						  &error), 0);
	ck_assert_uint_eq(count, 0);

	add_ban_ok(store, &ban1);
	add_ban_ok(store, &ban2);
	add_ban_ok(store, &expired);
	lift_ok(store, "192.0.2.9", 150, 2);
	lift_ok(store, "192.0.2.9", 160, 0);

	ban_list_fill(store, 150, 0, &list);
	ck_assert_uint_eq(list.count, 0);
	ban_list_fill(store, 150, LOCKOUT_ITER_FLAG_ALL, &list);
	ck_assert_uint_eq(list.count, 3);
	/* the expired ban was not active, so it was not lifted */
	ck_assert_int_eq(list.bans[0].lifted, 0);
	ck_assert_int_eq(list.bans[1].lifted, 150);
	ck_assert_int_eq(list.bans[2].lifted, 150);
	ban_list_free(&list);

	ck_assert_int_eq(lockout_store_count_bans(store, "192.0.2.9", &count,
						  &error), 0);
	ck_assert_uint_eq(count, 3);

	/* bad targets */
	ck_assert_int_eq(lockout_store_lift(store, "", 150, &count, &error),
			 -1);
	ck_assert_ptr_nonnull(strstr(error, "empty target"));
	ck_assert_int_eq(lockout_store_lift(store, NULL, 150, &count, &error),
			 -1);
	ck_assert_int_eq(lockout_store_count_bans(store, "", &count, &error),
			 -1);
	lockout_store_close(&store);
}
STORE_END_TEST("bans", test_lift_and_count, 0)

START_TEST(test_ban_validation)
{
	struct lockout_store *store;
	struct lockout_ban ban = ban_make("192.0.2.50", 1000, 2000);
	struct ban_list list = { 0 };
	const char *error = NULL;
	int64_t id = -7;
	char name[32];

	make_long_strings();
	ban_invalid[_i].mutate(&ban);
	snprintf(name, sizeof(name), "validate%d", _i);
	store = store_open_ok(name, LOCKOUT_STORE_FLAG_CREATE);
	ck_assert_int_eq(lockout_store_add_ban(store, &ban, &id, &error), -1);
	ck_assert_int_eq(id, -7);
	ck_assert_msg(strstr(error, ban_invalid[_i].error) != NULL,
		      "case %d: error '%s' lacks '%s'", _i, error,
		      ban_invalid[_i].error);
	ck_assert(!lockout_store_error_is_busy(store));
	ban_list_fill(store, 0, LOCKOUT_ITER_FLAG_ALL, &list);
	ck_assert_uint_eq(list.count, 0);
	lockout_store_close(&store);
}
STORE_END_TEST("bans", test_ban_validation, N_ELEMENTS(ban_invalid))

START_TEST(test_ban_limits_accepted)
{
	struct lockout_store *store;
	struct lockout_ban ban = ban_at_limits();
	struct ban_list list = { 0 };

	ban.failures = UINT_MAX;

	store = store_open_ok("limits", LOCKOUT_STORE_FLAG_CREATE);
	/* id_r may be NULL */
	{
		const char *error = NULL;

		if (lockout_store_add_ban(store, &ban, NULL, &error) < 0)
			ck_abort_msg("add_ban: %s", error);
	}
	ban_list_fill(store, 1, 0, &list);
	ck_assert_uint_eq(list.count, 1);
	ban_assert_equal(&list.bans[0], &ban);
	ban_list_free(&list);
	lockout_store_close(&store);
}
STORE_END_TEST("bans", test_ban_limits_accepted, 0)

START_TEST(test_hostile_strings)
{
	static const char *const targets[] = {
		"'; DROP TABLE bans; --",
		"\"quoted\" \\back\\slash' OR '1'='1",
		"%s%s%n%x",
		"user\nwith\r\nnewlines\t",
		"\xc3\xa9l\xc3\xa8ve@exemple.fr",
		"\xff\xfe invalid utf-8 \x80",
		NULL, /* 255 bytes of 1..255 */
	};
	char binary[LOCKOUT_BAN_TARGET_MAX + 1];
	struct lockout_store *store;
	struct lockout_ban bans[N_ELEMENTS(targets)];
	struct ban_list list = { 0 };
	const char *error = NULL;
	unsigned int i, count;

	for (i = 0; i < LOCKOUT_BAN_TARGET_MAX; i++)
		binary[i] = (char)(i + 1);
	binary[LOCKOUT_BAN_TARGET_MAX] = '\0';

	store = store_open_ok("hostile", LOCKOUT_STORE_FLAG_CREATE);
	for (i = 0; i < N_ELEMENTS(targets); i++) {
		const char *target = targets[i] != NULL ? targets[i] : binary;

		bans[i] = ban_make(target, 100 + i, 0);
		bans[i].kind = LOCKOUT_KIND_USER;
		bans[i].reason = target;
		bans[i].rule = target;
		bans[i].evidence = "{\"user\":\"\\\"'; --\",\"x\":\"\\u0000\"}";
		add_ban_ok(store, &bans[i]);
	}
	ban_list_fill(store, 200, 0, &list);
	ck_assert_uint_eq(list.count, N_ELEMENTS(targets));
	for (i = 0; i < N_ELEMENTS(targets); i++) {
		ban_assert_equal(&list.bans[i], &bans[i]);
		ck_assert_int_eq(lockout_store_count_bans(store,
			bans[i].target, &count, &error), 0);
		ck_assert_uint_eq(count, 1);
	}
	ban_list_free(&list);
	for (i = 0; i < N_ELEMENTS(targets); i++) {
		lift_ok(store, bans[i].target, 300, 1);
	}
	ban_list_fill(store, 200, 0, &list);
	ck_assert_uint_eq(list.count, 0);
	/* the table is still there */
	ck_assert_int_eq(raw_int("hostile", "SELECT count(*) FROM bans"),
			 N_ELEMENTS(targets));
	ck_assert_uint_eq(lockout_store_skipped_rows(store), 0);
	lockout_store_close(&store);
}
STORE_END_TEST("bans", test_hostile_strings, 0)

/* VALUES of (target, kind, source, reason, rule, created, expires, lifted,
   failures) that break the ban invariants */
static const char *const bad_rows[] = {
	"'192.0.2.1', 'bogus', 'auto', 'r', 'x', 10, NULL, NULL, 0",
	"'192.0.2.2', 'ip', 'alien', 'r', 'x', 11, NULL, NULL, 0",
	/* embedded NUL */
	("CAST(X'3139322e302e322e330031' AS TEXT), 'ip', 'auto', 'r', 'x',"
	 " 12, NULL, NULL, 0"),
	/* BLOB target */
	"X'3139322e302e322e34', 'ip', 'auto', 'r', 'x', 13, NULL, NULL, 0",
	"'192.0.2.5', 'ip', 'auto', 'r', 'x', 'yesterday', NULL, NULL, 0",
	/* 0 would read back as permanent / not lifted */
	"'192.0.2.6', 'ip', 'auto', 'r', 'x', 14, 0, NULL, 0",
	"'192.0.2.7', 'ip', 'auto', 'r', 'x', 15, NULL, 0, 0",
	"'192.0.2.8', 'ip', 'auto', 'r', 'x', 16, NULL, NULL, -3",
	"'192.0.2.9', 'ip', 'auto', 'r', 'x', 16, NULL, NULL, 4294967296",
	"'', 'ip', 'auto', 'r', 'x', 17, NULL, NULL, 0",
	"'192.0.2.10', 'ip', 'auto', 'r', 'x', 18, 17, NULL, 0",
	"'192.0.2.11', 'ip', 'auto', 'r', 'x', 0, NULL, NULL, 0",
	"'192.0.2.12', 'ip', 'auto', 'r', '', 19, NULL, NULL, 0",
	"'192.0.2.13', 'ip', 'auto', 'r', 'x', 20, 30.5, NULL, 0",
};

START_TEST(test_bad_rows_skipped)
{
	struct lockout_store *store;
	struct lockout_ban good = ban_make("192.0.2.77", 100, 0);
	struct ban_list list = { 0 };
	char sql[512];
	unsigned int i;

	store = store_open_ok("badrows", LOCKOUT_STORE_FLAG_CREATE);
	add_ban_ok(store, &good);
	/* rows the schema forbids, written behind its back */
	for (i = 0; i < N_ELEMENTS(bad_rows); i++) {
		snprintf(sql, sizeof(sql),
			 "PRAGMA ignore_check_constraints = ON;"
			 "INSERT INTO bans (target, kind, source, reason, rule,"
			 " created, expires, lifted, failures) VALUES (%s)",
			 bad_rows[i]);
		raw_exec("badrows", sql);
	}

	ban_list_fill(store, 50, LOCKOUT_ITER_FLAG_ALL, &list);
	ck_assert_uint_eq(list.count, 1);
	ban_assert_equal(&list.bans[0], &good);
	ck_assert_uint_eq(lockout_store_skipped_rows(store),
			  N_ELEMENTS(bad_rows));
	ban_list_free(&list);
	lockout_store_close(&store);

	/* a read-only reader (like the root helper) skips them too */
	store = store_open_ok("badrows", LOCKOUT_STORE_FLAG_READONLY);
	ban_list_fill(store, 50, 0, &list);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_uint_gt(lockout_store_skipped_rows(store), 0);
	ban_list_free(&list);
	lockout_store_close(&store);
}
/* SQLite only: rows its schema's checks would refuse (PostgreSQL's types
   and checks cannot be switched off) */
STORE_END_TEST_ON("bans", test_bad_rows_skipped, 0, STORE_DRIVERS_SQLITE)

START_TEST(test_iter_target)
{
	/* a ban of another target (with ours as a prefix), never listed */
	struct lockout_ban other = ban_make("192.0.2.70", 100, 0);
	struct lockout_ban first = ban_make("192.0.2.7", 100, 200);
	struct lockout_ban lifted = ban_make("192.0.2.7", 300, 0);
	struct lockout_ban active = ban_make("192.0.2.7", 400, 5000);
	struct lockout_store *store;
	struct ban_list list = { 0 };
	const char *error = NULL;

	store = store_open_ok("target", LOCKOUT_STORE_FLAG_CREATE);
	add_ban_ok(store, &other);
	add_ban_ok(store, &lifted);
	add_ban_ok(store, &first);
	/* first has expired by 350: only the permanent one is lifted */
	lift_ok(store, "192.0.2.7", 350, 1);
	lifted.lifted = 350;
	add_ban_ok(store, &active);

	/* active only */
	ck_assert_int_eq(lockout_store_iter_target(store, "192.0.2.7", 450, 0,
						   ban_list_add, &list,
						   &error), 0);
	ck_assert_uint_eq(list.count, 1);
	ban_assert_equal(&list.bans[0], &active);
	ban_list_free(&list);
	ck_assert_int_eq(lockout_store_iter_target(store, "192.0.2.7", 5000, 0,
						   ban_list_add, &list,
						   &error), 0);
	ck_assert_uint_eq(list.count, 0);

	/* the whole history, ordered by created then id */
	ck_assert_int_eq(lockout_store_iter_target(store, "192.0.2.7", 450,
						   LOCKOUT_ITER_FLAG_ALL,
						   ban_list_add, &list,
						   &error), 0);
	ck_assert_uint_eq(list.count, 3);
	ban_assert_equal(&list.bans[0], &first);
	ban_assert_equal(&list.bans[1], &lifted);
	ban_assert_equal(&list.bans[2], &active);
	ban_list_free(&list);

	/* exact match only, and nothing for an unknown target */
	ck_assert_int_eq(lockout_store_iter_target(store, "192.0.2.", 450,
						   LOCKOUT_ITER_FLAG_ALL,
						   ban_list_add, &list,
						   &error), 0);
	ck_assert_uint_eq(list.count, 0);

	/* stop value, and an empty target is an error */
	list.stop_after = 1;
	ck_assert_int_eq(lockout_store_iter_target(store, "192.0.2.7", 450,
						   LOCKOUT_ITER_FLAG_ALL,
						   ban_list_add, &list,
						   &error), 42);
	ban_list_free(&list);
	ck_assert_int_eq(lockout_store_iter_target(store, "", 450, 0,
						   ban_list_add, &list,
						   &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "empty target"));
	lockout_store_close(&store);
}
STORE_END_TEST("bans", test_iter_target, 0)

START_TEST(test_iter_targets)
{
	const char *targets[LOCKOUT_STORE_TARGETS_MAX];
	char names[LOCKOUT_STORE_TARGETS_MAX][32];
	struct lockout_ban net = ban_make("192.0.2.0/24", 100, 0);
	struct lockout_ban host = ban_make("192.0.2.7", 50, 0);
	struct lockout_ban expired = ban_make("192.0.2.7", 10, 20);
	struct lockout_ban last = ban_make("198.51.100.9", 60, 0);
	struct lockout_store *store;
	struct ban_list list = { 0 };
	const char *error = NULL;
	unsigned int i;

	store = store_open_ok("targets", LOCKOUT_STORE_FLAG_CREATE);
	add_ban_ok(store, &net);
	add_ban_ok(store, &host);
	add_ban_ok(store, &expired);
	add_ban_ok(store, &last);

	/* the active bans of any of the targets, oldest first */
	targets[0] = "192.0.2.0/24";
	targets[1] = "192.0.2.7";
	targets[2] = "192.0.2.0/25";
	ck_assert_int_eq(lockout_store_iter_targets(store, targets, 3, 100,
						    ban_list_add, &list,
						    &error), 0);
	ck_assert_uint_eq(list.count, 2);
	ban_assert_equal(&list.bans[0], &host);
	ban_assert_equal(&list.bans[1], &net);
	ban_list_free(&list);

	/* all LOCKOUT_STORE_TARGETS_MAX places are looked up: the last
	   one too */
	for (i = 0; i < LOCKOUT_STORE_TARGETS_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "203.0.113.%u", i);
		targets[i] = names[i];
	}
	targets[LOCKOUT_STORE_TARGETS_MAX - 1] = "198.51.100.9";
	ck_assert_int_eq(lockout_store_iter_targets(store, targets,
						    LOCKOUT_STORE_TARGETS_MAX,
						    100, ban_list_add, &list,
						    &error), 0);
	ck_assert_uint_eq(list.count, 1);
	ban_assert_equal(&list.bans[0], &last);
	ban_list_free(&list);

	/* no target, too many, or an empty one */
	ck_assert_int_eq(lockout_store_iter_targets(store, targets, 0, 100,
						    ban_list_add, &list,
						    &error), -1);
	ck_assert_int_eq(lockout_store_iter_targets(store, targets,
			LOCKOUT_STORE_TARGETS_MAX + 1, 100, ban_list_add,
			&list, &error), -1);
	targets[0] = "";
	ck_assert_int_eq(lockout_store_iter_targets(store, targets, 1, 100,
						    ban_list_add, &list,
						    &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "empty target"));
	lockout_store_close(&store);
}
STORE_END_TEST("bans", test_iter_targets, 0)

START_TEST(test_iter_kind)
{
	struct lockout_ban ip = ban_make("192.0.2.7", 100, 0);
	struct lockout_ban net = ban_make("192.0.2.0/24", 50, 0);
	struct lockout_ban old_net = ban_make("198.51.100.0/24", 10, 20);
	struct lockout_store *store;
	struct ban_list list = { 0 };
	const char *error = NULL;

	net.kind = LOCKOUT_KIND_NET;
	old_net.kind = LOCKOUT_KIND_NET;
	store = store_open_ok("kind", LOCKOUT_STORE_FLAG_CREATE);
	add_ban_ok(store, &ip);
	add_ban_ok(store, &net);
	add_ban_ok(store, &old_net);

	ck_assert_int_eq(lockout_store_iter_kind(store, LOCKOUT_KIND_NET, 100,
						 0, ban_list_add, &list,
						 &error), 0);
	ck_assert_uint_eq(list.count, 1);
	ban_assert_equal(&list.bans[0], &net);
	ban_list_free(&list);
	/* with ALL the expired one too, oldest first */
	ck_assert_int_eq(lockout_store_iter_kind(store, LOCKOUT_KIND_NET, 100,
						 LOCKOUT_ITER_FLAG_ALL,
						 ban_list_add, &list,
						 &error), 0);
	ck_assert_uint_eq(list.count, 2);
	ban_assert_equal(&list.bans[0], &old_net);
	ban_assert_equal(&list.bans[1], &net);
	ban_list_free(&list);
	/* a kind without bans */
	ck_assert_int_eq(lockout_store_iter_kind(store, LOCKOUT_KIND_USER, 100,
						 LOCKOUT_ITER_FLAG_ALL,
						 ban_list_add, &list,
						 &error), 0);
	ck_assert_uint_eq(list.count, 0);
	ck_assert_int_eq(lockout_store_iter_kind(store, (enum lockout_kind)7,
						 100, 0, ban_list_add, &list,
						 &error), -1);
	lockout_store_close(&store);
}
STORE_END_TEST("bans", test_iter_kind, 0)
