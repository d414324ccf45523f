/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* lockout-store-allowed.c: the networks the administrator allowed. */
#include "store-test-common.h"

#include <stdio.h>
#include <string.h>

struct allowed_list {
	unsigned int count;
	char networks[MAX_LISTED][64];
	char reasons[MAX_LISTED][64];
	int64_t created[MAX_LISTED];
};

static int allowed_list_add(const char *network, const char *reason,
			    int64_t created, void *context)
{
	struct allowed_list *list = context;

	ck_assert_uint_lt(list->count, MAX_LISTED);
	snprintf(list->networks[list->count], sizeof(list->networks[0]),
		 "%s", network);
	snprintf(list->reasons[list->count], sizeof(list->reasons[0]),
		 "%s", reason);
	list->created[list->count++] = created;
	return 0;
}

static void allowed_list_fill(struct lockout_store *store,
			      struct allowed_list *list)
{
	const char *error = NULL;

	memset(list, 0, sizeof(*list));
	if (lockout_store_iter_allowed(store, allowed_list_add, list,
				       &error) != 0)
		ck_abort_msg("iter_allowed failed: %s", error);
}

START_TEST(test_allowed)
{
	struct lockout_store *store, *ro;
	struct allowed_list list;
	const char *error = NULL;
	unsigned int count;
	bool existed = true;

	make_long_strings();
	store = store_open_ok("allowed", LOCKOUT_STORE_FLAG_CREATE);
	allowed_list_fill(store, &list);
	ck_assert_uint_eq(list.count, 0);

	ck_assert_int_eq(lockout_store_add_allowed(store, "198.51.100.0/24",
						   "webmail", 100, &existed,
						   &error), 0);
	ck_assert(!existed);
	ck_assert_int_eq(lockout_store_add_allowed(store, "192.0.2.1", "",
						   200, NULL, &error), 0);
	/* again: new reason, original time */
	ck_assert_int_eq(lockout_store_add_allowed(store, "198.51.100.0/24",
						   "webmail 2", 300, &existed,
						   &error), 0);
	ck_assert(existed);
	allowed_list_fill(store, &list);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_str_eq(list.networks[0], "192.0.2.1");
	ck_assert_str_eq(list.reasons[0], "");
	ck_assert_int_eq(list.created[0], 200);
	ck_assert_str_eq(list.networks[1], "198.51.100.0/24");
	ck_assert_str_eq(list.reasons[1], "webmail 2");
	ck_assert_int_eq(list.created[1], 100);

	/* invalid input changes nothing */
	ck_assert_int_eq(lockout_store_add_allowed(store, "", "x", 1, NULL,
						   &error), -1);
	ck_assert_int_eq(lockout_store_add_allowed(store, long_target, "x", 1,
						   NULL, &error), -1);
	ck_assert_int_eq(lockout_store_add_allowed(store, "10.0.0.0/8", NULL,
						   1, NULL, &error), -1);
	ck_assert_int_eq(lockout_store_add_allowed(store, "10.0.0.0/8",
						   long_reason, 1, NULL,
						   &error), -1);
	ck_assert_int_eq(lockout_store_add_allowed(store, "10.0.0.0/8", "x",
						   0, NULL, &error), -1);
	ck_assert_int_eq(raw_int("allowed", "SELECT count(*) FROM allowed"),
			 2);

	/* a damaged row is skipped, not handed out */
	raw_exec("allowed", raw_sql(
		 "INSERT INTO allowed (network, reason, created) "
		 "VALUES (X'41', 'blob', 5)",
		 "INSERT INTO allowed (network, reason, created) "
		 "VALUES (repeat('1', 300), 'long', 5)"));
	allowed_list_fill(store, &list);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_uint_eq(lockout_store_skipped_rows(store), 1);

	ck_assert_int_eq(lockout_store_remove_allowed(store, "192.0.2.1",
						      &count, &error), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(lockout_store_remove_allowed(store, "192.0.2.1",
						      &count, &error), 0);
	ck_assert_uint_eq(count, 0);

	/* read-only: listed, never changed */
	ro = store_open_ok("allowed", LOCKOUT_STORE_FLAG_READONLY);
	allowed_list_fill(ro, &list);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_int_eq(lockout_store_add_allowed(ro, "10.0.0.0/8", "x", 1,
						   NULL, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "read-only"));
	ck_assert_int_eq(lockout_store_remove_allowed(ro, "198.51.100.0/24",
						      &count, &error), -1);
	lockout_store_close(&ro);
	lockout_store_close(&store);
}
STORE_END_TEST("allowed", test_allowed, 0)
