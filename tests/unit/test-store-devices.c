/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* lockout-store-devices.c: known devices; with the allowed networks, what
   lockoutd reads to exempt sources. */
#include "store-test-common.h"

#include <stdio.h>
#include <string.h>

static int device_add(const char *user, const char *network,
		      int64_t first_seen, int64_t last_seen, void *context)
{
	char *out = context;
	size_t len = strlen(out);

	ck_assert_str_eq(user, "alice");
	snprintf(out + len, 256 - len, "%s%s@%lld-%lld", len > 0 ? " " : "",
		 network, (long long)first_seen, (long long)last_seen);
	return 0;
}

START_TEST(test_known_devices)
{
	struct lockout_store *store;
	const char *error = NULL;
	char out[256] = "";

	store = store_open_ok("devices", LOCKOUT_STORE_FLAG_CREATE);
	raw_exec("devices", "INSERT INTO known_devices VALUES "
		 "('alice', '192.0.2.0/24', 10, 20), "
		 "('alice', '2001:db8::/64', 15, 40), "
		 "('bob', '198.51.100.0/24', 1, 2)");
	ck_assert_int_eq(lockout_store_iter_user_devices(store, "alice",
							 device_add, out,
							 &error), 0);
	ck_assert_str_eq(out, "2001:db8::/64@15-40 192.0.2.0/24@10-20");
	out[0] = '\0';
	ck_assert_int_eq(lockout_store_iter_user_devices(store, "carol",
							 device_add, out,
							 &error), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(lockout_store_iter_user_devices(store, "",
							 device_add, out,
							 &error), -1);
	lockout_store_close(&store);
}
STORE_END_TEST("devices", test_known_devices, 0)

struct net_list {
	unsigned int count;
	char nets[MAX_LISTED][64];
};

static int net_list_add(const char *network, void *context)
{
	struct net_list *list = context;

	ck_assert_uint_lt(list->count, MAX_LISTED);
	snprintf(list->nets[list->count++], sizeof(list->nets[0]), "%s",
		 network);
	return 0;
}

static int exempt_allowed_add(const char *network, const char *reason,
			    int64_t created, void *context)
{
	ck_assert_ptr_nonnull(reason);
	ck_assert_int_gt(created, 0);
	return net_list_add(network, context);
}

static int device_list_add(const char *user, const char *network,
			   int64_t first_seen, int64_t last_seen,
			   void *context)
{
	ck_assert_ptr_nonnull(user);
	ck_assert_int_le(first_seen, last_seen);
	return net_list_add(network, context);
}

START_TEST(test_allowed_and_known)
{
	struct lockout_store *store;
	struct net_list list;
	const char *error = NULL;

	raw_create("exempt", raw_sql(
		"INSERT INTO allowed (network, created) VALUES "
		"('198.51.100.0/24', 1), ('192.0.2.9', 2),"
		"(CAST('10.0.0.1' AS BLOB), 3);"
		"INSERT INTO known_devices VALUES "
		"('alice', '192.0.2.1', 10, 500),"
		"('bob', '192.0.2.1', 10, 600),"
		"('carol', '2001:db8:1:2::/64', 10, 400),"
		"('dave', '203.0.113.7', 10, 399);",
		"INSERT INTO allowed (network, created) VALUES "
		"('198.51.100.0/24', 1), ('192.0.2.9', 2),"
		"(repeat('1', 300), 3);"
		"INSERT INTO known_devices VALUES "
		"('alice', '192.0.2.1', 10, 500),"
		"('bob', '192.0.2.1', 10, 600),"
		"('carol', '2001:db8:1:2::/64', 10, 400),"
		"('dave', '203.0.113.7', 10, 399);"));
	store = store_open_ok("exempt", LOCKOUT_STORE_FLAG_READONLY);
	memset(&list, 0, sizeof(list));
	ck_assert_int_eq(lockout_store_iter_allowed(store, exempt_allowed_add,
						    &list, &error), 0);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_str_eq(list.nets[0], "192.0.2.9");
	ck_assert_str_eq(list.nets[1], "198.51.100.0/24");
	ck_assert_uint_eq(lockout_store_skipped_rows(store), 1);

	/* devices seen at or after since, most recent first, up to limit */
	memset(&list, 0, sizeof(list));
	ck_assert_int_eq(lockout_store_iter_known_devices(store, 400, 100,
		device_list_add, &list, &error), 0);
	ck_assert_uint_eq(list.count, 3);
	ck_assert_str_eq(list.nets[0], "192.0.2.1");
	ck_assert_str_eq(list.nets[1], "192.0.2.1");
	ck_assert_str_eq(list.nets[2], "2001:db8:1:2::/64");
	memset(&list, 0, sizeof(list));
	ck_assert_int_eq(lockout_store_iter_known_devices(store, 400, 1,
		device_list_add, &list, &error), 0);
	ck_assert_uint_eq(list.count, 1);
	memset(&list, 0, sizeof(list));
	ck_assert_int_eq(lockout_store_iter_known_devices(store, 601, 100,
		device_list_add, &list, &error), 0);
	ck_assert_uint_eq(list.count, 0);
	lockout_store_close(&store);
}
STORE_END_TEST("devices", test_allowed_and_known, 0)
