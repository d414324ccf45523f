/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* lockout-store-stats.c (and lockout_store_count_failures()): the figures
   of doveadm lockout stats. */
#include "store-test-common.h"

#include <stdio.h>
#include <string.h>

static const struct {
	int64_t since;
	uint64_t failures, refused;
} count_failure_cases[] = {
	{ 0, 17, 4 },
	{ 100, 7, 4 },
	{ 131, 1, 0 },
	{ 1000, 0, 0 },
};

START_TEST(test_counts)
{
	struct lockout_store *store;
	struct lockout_ban_counts counts;
	struct lockout_store_size size;
	struct lockout_ban ban;
	uint64_t failures, refused;
	const char *error = NULL;
	unsigned int i, lifted;

	store = store_open_ok("counts", LOCKOUT_STORE_FLAG_CREATE);
	ck_assert_int_eq(lockout_store_count_active(store, 100, &counts,
						    &error), 0);
	ck_assert_uint_eq(counts.active, 0);
	ck_assert_int_eq(lockout_store_size(store, &size, &error), 0);
	ck_assert_uint_eq(size.bans + size.failures + size.allowed +
			  size.known_devices + size.events, 0);
	ck_assert_uint_gt(size.bytes, 0);

	ban = ban_make("192.0.2.1", 100, 0);
	add_ban_ok(store, &ban);
	ban = ban_make("192.0.2.0/24", 100, 1000);
	ban.kind = LOCKOUT_KIND_NET;
	ban.source = LOCKOUT_SOURCE_MANUAL;
	ban.rule = "manual";
	add_ban_ok(store, &ban);
	ban = ban_make("alice", 100, 0);
	ban.kind = LOCKOUT_KIND_USER;
	ban.source = LOCKOUT_SOURCE_MANUAL;
	ban.rule = "an imported rule";
	add_ban_ok(store, &ban);
	ban = ban_make("192.0.2.9", 100, 0);
	ban.observed = true;
	add_ban_ok(store, &ban);
	ban = ban_make("192.0.2.10", 100, 0);
	add_ban_ok(store, &ban);
	ck_assert_int_eq(lockout_store_lift(store, "192.0.2.10", 150, &lifted,
					    &error), 0);
	ck_assert_int_eq(lockout_store_add_failures(store, history,
						    HISTORY_COUNT,
						    &error), 0);
	ck_assert_int_eq(lockout_store_add_allowed(store, "10.0.0.0/8", "",
						   100, NULL, &error), 0);

	ck_assert_int_eq(lockout_store_count_active(store, 200, &counts,
						    &error), 0);
	ck_assert_uint_eq(counts.active, 3);
	ck_assert_uint_eq(counts.by_kind[LOCKOUT_KIND_IP], 1);
	ck_assert_uint_eq(counts.by_kind[LOCKOUT_KIND_NET], 1);
	ck_assert_uint_eq(counts.by_kind[LOCKOUT_KIND_USER], 1);
	ck_assert_uint_eq(counts.by_source[LOCKOUT_SOURCE_AUTO], 1);
	ck_assert_uint_eq(counts.by_source[LOCKOUT_SOURCE_MANUAL], 2);
	ck_assert_uint_eq(counts.by_source[LOCKOUT_SOURCE_FEED], 0);
	ck_assert_uint_eq(counts.observed, 1);
	/* by rule (issue 13): enforced active bans only, unknown names as
	   "other" */
	ck_assert_str_eq(lockout_ban_rules[0], "ip_failures");
	ck_assert_ptr_null(lockout_ban_rules[LOCKOUT_RULES_OTHER]);
	ck_assert_uint_eq(counts.by_rule[0], 1);
	for (i = 1; i < LOCKOUT_RULES_OTHER; i++) {
		ck_assert_uint_eq(counts.by_rule[i],
				  strcmp(lockout_ban_rules[i], "manual") == 0 ?
				  1 : 0);
	}
	ck_assert_uint_eq(counts.by_rule[LOCKOUT_RULES_OTHER], 1);
	/* the net ban has expired by 1000 */
	ck_assert_int_eq(lockout_store_count_active(store, 1000, &counts,
						    &error), 0);
	ck_assert_uint_eq(counts.active, 2);

	for (i = 0; i < N_ELEMENTS(count_failure_cases); i++) {
		ck_assert_int_eq(lockout_store_count_failures(store,
			count_failure_cases[i].since, &failures, &refused,
			&error), 0);
		ck_assert_uint_eq(failures, count_failure_cases[i].failures);
		ck_assert_uint_eq(refused, count_failure_cases[i].refused);
	}

	ck_assert_int_eq(lockout_store_size(store, &size, &error), 0);
	ck_assert_uint_eq(size.bans, 5);
	ck_assert_uint_eq(size.failures, HISTORY_COUNT);
	ck_assert_uint_eq(size.allowed, 1);
	ck_assert_uint_eq(size.known_devices, 0);
	ck_assert_uint_eq(size.bytes % 512, 0);
	lockout_store_close(&store);
}
STORE_END_TEST("stats", test_counts, 0)

struct invalid_seen {
	char text[512];
};

static void invalid_seen(int64_t id, const char *problem, void *context)
{
	struct invalid_seen *seen = context;
	size_t len = strlen(seen->text);

	snprintf(seen->text + len, sizeof(seen->text) - len, "%lld:%s|",
		 (long long)id, problem);
}

/* Issue 11 item 7: rows that would be active but are invalid were counted
   as active bans although nothing enforces them; now they are counted
   apart, and reported with their id. */
START_TEST(test_invalid_rows_counted_apart)
{
	struct lockout_store *store;
	struct lockout_ban_counts counts;
	struct lockout_ban ban;
	struct invalid_seen seen = { "" };
	const char *error = NULL;

	store = store_open_ok("invalid", LOCKOUT_STORE_FLAG_CREATE);
	ban = ban_make("192.0.2.1", 100, 0);
	add_ban_ok(store, &ban);
	lockout_store_close(&store);
#define INVALID_ROWS(long_reason) \
	"INSERT INTO bans (target, kind, source, reason, rule, created, " \
	"expires) VALUES " \
	"('192.0.2.2', 'ip', 'manual', " long_reason ", 'manual', 100, " \
	"NULL), " \
	"('999.1.1.1', 'ip', 'manual', '', 'manual', 100, NULL), " \
	"('0.0.0.0/0', 'net', 'manual', '', 'manual', 100, NULL), " \
	"('192.0.2.3', 'ip', 'manual', '', 'manual', 100, 150), " \
	"('192.0.2.4', 'ip', 'manual', '', 'manual', 100, NULL)"
	raw_exec("invalid", raw_sql(INVALID_ROWS("printf('%.1025c', 'x')"),
				    INVALID_ROWS("repeat('x', 1025)")));
#undef INVALID_ROWS
	store = store_open_ok("invalid", 0);
	lockout_store_set_invalid_ban_callback(store, invalid_seen, &seen);
	ck_assert_int_eq(lockout_store_count_active(store, 200, &counts,
						    &error), 0);
	ck_assert_uint_eq(counts.active, 2);
	ck_assert_uint_eq(counts.by_kind[LOCKOUT_KIND_IP], 2);
	ck_assert_uint_eq(counts.by_kind[LOCKOUT_KIND_NET], 0);
	ck_assert_uint_eq(counts.invalid, 3);
	ck_assert_msg(strncmp(seen.text, "2:reason longer than 1024 bytes|3:",
			      34) == 0, "%s", seen.text);
	ck_assert_msg(strstr(seen.text, "|4:network wider than an IPv4 /16 "
			     "or an IPv6 /32|") != NULL, "%s", seen.text);
	lockout_store_close(&store);
}
STORE_END_TEST("stats", test_invalid_rows_counted_apart, 0)
