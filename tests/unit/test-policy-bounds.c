/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The policy engine: the clock's origin and bounded memory under floods. */
#include "policy-fixture.h"

/* --- the clock's origin --------------------------------------------------- */

/* Times have "any origin": the same scenarios at T0, at 0 and before 0. */
enum origin_scenario {
	/* 50 repeats of one wrong password at once: one stale_client */
	ORIGIN_STALE,
	/* a success in a /24, then three of its hosts banned: no /24 ban */
	ORIGIN_NET_SUCCESS,
	/* user_failures=5 failures from unknown sources: one PROTECT */
	ORIGIN_PROTECT,
};

static const struct {
	enum origin_scenario scenario;
	int64_t base;
} origin_cases[] = {
	{ ORIGIN_STALE, T0 },
	{ ORIGIN_STALE, 0 },
	{ ORIGIN_NET_SUCCESS, T0 },
	{ ORIGIN_NET_SUCCESS, 0 },
	{ ORIGIN_PROTECT, T0 },
	{ ORIGIN_PROTECT, -100000 },
};

START_TEST(test_time_origin)
{
	const char *const settings[] = { "lockout_user_failures", "5", NULL };
	struct fixture *fx = fixture_new(settings);
	int64_t base = origin_cases[_i].base;
	unsigned int i;
	char ip[32];

	switch (origin_cases[_i].scenario) {
	case ORIGIN_STALE:
		for (i = 0; i < 50; i++) {
			(void)observe(fx, base, "192.0.2.1",
				      LOCKOUT_OUTCOME_MISMATCH, "alice", 42);
		}
		ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_BAN], 0);
		ck_assert_uint_eq(count_decisions(fx, LOCKOUT_DECISION_NOTABLE,
						  "stale_client"), 1);
		break;
	case ORIGIN_NET_SUCCESS:
		(void)observe(fx, base, "198.51.100.50",
			      LOCKOUT_OUTCOME_SUCCESS, "carol", 0);
		for (i = 0; i < 3; i++) {
			snprintf(ip, sizeof(ip), "198.51.100.%u", i + 1);
			(void)observe(fx, base + 1 + i, ip,
				      LOCKOUT_OUTCOME_UNKNOWN_USER, "admin",
				      i + 1);
		}
		ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_BAN], 3);
		ck_assert_uint_eq(count_decisions(fx, LOCKOUT_DECISION_BAN,
						  "net_hosts"), 0);
		break;
	case ORIGIN_PROTECT:
		for (i = 0; i < 5; i++) {
			snprintf(ip, sizeof(ip), "203.0.113.%u", i + 1);
			(void)observe(fx, base + i, ip,
				      LOCKOUT_OUTCOME_MISMATCH, "bob", i + 1);
		}
		ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_PROTECT], 1);
		ck_assert(lockout_policy_protected(fx->policy, "bob",
						   base + 5));
		break;
	}
	fixture_free(&fx);
}
END_TEST

/* --- bounds --------------------------------------------------------------- */

static const struct {
	unsigned int per_second;
} flood_cases[] = {
	{ 1 }, { 1000 }, { FLOOD_COUNT },
};

/* 100000 addresses through a table of 64: bounded, least recently used
   evicted (an address hit after every 3 others keeps its history), bans
   never evicted. */
START_TEST(test_flood_sources)
{
	/* the unknown-user alert off: its start is a decision */
	const char *const settings[] = {
		"lockout_max_sources", "64", "lockout_ip_failures", "100",
		"lockout_alert_unknown", "0", NULL
	};
	struct fixture *fx = fixture_new(settings);
	unsigned int per_second = flood_cases[_i].per_second;
	size_t capacity = lockout_policy_source_capacity(fx->policy);
	size_t mem = lockout_policy_memory(fx->policy);
	struct lockout_addr addr, hot;
	const struct record *r;
	unsigned int i, hits = 0, banned_at = 0;
	int64_t now = T0;

	ck_assert_uint_ge(capacity, 64);
	ck_assert_uint_le(capacity, 128);
	ck_assert_int_eq(observe(fx, T0, "192.0.2.99",
				 LOCKOUT_OUTCOME_UNKNOWN_USER, "admin", 1), 1);
	test_addr("198.51.100.7", &hot);
	for (i = 0; i < FLOOD_COUNT; i++) {
		now = T0 + i / per_second;
		if (i >= FLOOD_COUNT / 2 && i % 4 == 0 && banned_at == 0) {
			hits++;
			if (observe_full(fx, now, &hot,
					 LOCKOUT_OUTCOME_UNKNOWN_USER,
					 "nobody", NULL, hits, "imap",
					 "PLAIN") > 0)
				banned_at = hits;
			continue;
		}
		/* 10.0.0.1 onwards, in different /24s */
		addr4(0x0a000001U + i * 257, &addr);
		REQUIRE(observe_full(fx, now, &addr,
				     LOCKOUT_OUTCOME_UNKNOWN_USER, "nobody",
				     NULL, i + 1, "imap", "PLAIN") == 0,
			"attempt %u decided", i);
		REQUIRE(lockout_policy_source_count(fx->policy) <= capacity,
			"%zu sources", lockout_policy_source_count(fx->policy));
	}
	ck_assert_uint_le(lockout_policy_source_count(fx->policy), capacity);
	ck_assert_uint_gt(lockout_policy_source_count(fx->policy), 0);
	ck_assert_uint_eq(banned_at, 100);
	r = &fx->rec[fx->recorded - 1];
	ck_assert_int_eq(check(fx, r->time, "198.51.100.7", NULL),
			 LOCKOUT_VERDICT_BANNED);
	ck_assert_str_eq(r->target, "198.51.100.7");
	ck_assert_uint_eq(r->failures, 100);
	ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_BAN], 2);
	ck_assert_int_eq(check(fx, now, "192.0.2.99", NULL),
			 LOCKOUT_VERDICT_BANNED);
	ck_assert_uint_le(lockout_policy_memory(fx->policy), mem + 4096);
	fixture_free(&fx);
}
END_TEST

/* Same, with IPv6 /64s and the default thresholds: repeat offenders keep
   their history while the table churns. (Their /56s and /48s, 1000
   failures a second, would be banned: test-policy-v6agg.c floods them.) */
START_TEST(test_flood_sources_ipv6)
{
	const char *const settings[] = {
		"lockout_max_sources", "64", "lockout_ipv6_56_failures", "0",
		"lockout_ipv6_48_failures", "0", NULL
	};
	struct fixture *fx = fixture_new(settings);
	size_t capacity = lockout_policy_source_capacity(fx->policy);
	struct lockout_addr addr;
	unsigned int i;

	for (i = 0; i < FLOOD_COUNT; i++) {
		addr6(i, &addr);
		(void)observe_full(fx, T0 + i / 1000, &addr,
				   LOCKOUT_OUTCOME_MISMATCH, "alice", NULL,
				   i + 1, "imap", "PLAIN");
	}
	ck_assert_uint_le(lockout_policy_source_count(fx->policy), capacity);
	ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_BAN], 0);
	fixture_free(&fx);
}
END_TEST

/* Floods of accounts and devices do not grow the engine. */
START_TEST(test_flood_accounts)
{
	const char *const settings[] = {
		"lockout_max_users", "64", "lockout_max_known_devices", "64",
		"lockout_max_sources", "64", NULL
	};
	struct fixture *fx = fixture_new(settings);
	size_t mem = lockout_policy_memory(fx->policy);
	struct lockout_addr local, addr;
	unsigned int i;
	char name[64];
	char *huge = long_name("", "");

	test_addr("127.0.0.1", &local);
	/* failures for unique accounts from an allowed address */
	for (i = 0; i < FLOOD_COUNT; i++) {
		snprintf(name, sizeof(name), "u%u@example.org", i);
		huge[0] = (char)('a' + i % 26);
		huge[1] = (char)('a' + i / 26 % 26);
		(void)observe_full(fx, T0 + i / 1000, &local,
				   i % 2 == 0 ? LOCKOUT_OUTCOME_MISMATCH :
				   LOCKOUT_OUTCOME_UNKNOWN_USER,
				   i % 16 == 0 ? huge : name, NULL, i + 1,
				   "imap", "PLAIN");
	}
	ck_assert_uint_eq(fx->decisions, 0);
	ck_assert_uint_eq(lockout_policy_memory(fx->policy), mem);
	/* successes for unique devices */
	for (i = 0; i < FLOOD_COUNT; i++) {
		snprintf(name, sizeof(name), "u%u", i % 1000);
		addr4(0x0a000000U + (i << 8), &addr);
		(void)observe_full(fx, T0 + 100 + i / 1000, &addr,
				   LOCKOUT_OUTCOME_SUCCESS, name, NULL, 0,
				   "imap", "PLAIN");
	}
	ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_KNOWN_DEVICE],
			  FLOOD_COUNT);
	ck_assert_uint_eq(lockout_policy_memory(fx->policy), mem);
	for (i = 0; i < FLOOD_COUNT; i++) {
		struct lockout_net net;

		snprintf(name, sizeof(name), "v%u", i);
		addr6(i, &addr);
		lockout_policy_device_net(fx->policy, &addr, &net);
		lockout_policy_add_known_device(fx->policy, name, &net, T0);
	}
	ck_assert_uint_eq(lockout_policy_memory(fx->policy), mem);
	ck_assert_uint_eq(lockout_policy_source_count(fx->policy), 0);
	/* protections are the one thing that grows */
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "p%u", i);
		ck_assert_int_eq(lockout_policy_protect(fx->policy, name,
							T0 + HOUR), 0);
	}
	ck_assert_uint_gt(lockout_policy_memory(fx->policy), mem);
	free(huge);
	fixture_free(&fx);
}
END_TEST

/* A new source takes an evicted source's entry without its arrays being
   zeroed (policy_source_get()): nothing of the old source may show. The
   table of 64 is churned by sources failing on three usernames each (the
   ring, the long memory, the usernames and the spread filled); then a
   new source fails on one username: no ip_spread from stale slots, and
   its ban's evidence names its own username and failures only. */
START_TEST(test_evicted_source_starts_clean)
{
	const char *const settings[] = {
		"lockout_max_sources", "64", "lockout_ip_failures", "4",
		NULL
	};
	struct fixture *fx = fixture_new(settings);
	struct lockout_addr addr;
	const struct record *r;
	char user[32];
	unsigned int i, j;

	for (i = 0; i < 5000; i++) {
		addr4(0x0a000001U + i * 257, &addr);
		for (j = 0; j < 3; j++) {
			snprintf(user, sizeof(user), "old%u-%u", i, j);
			REQUIRE(observe_full(fx, T0 + i, &addr,
					     LOCKOUT_OUTCOME_MISMATCH, user,
					     user, 100 + j, "imap",
					     "PLAIN") == 0,
				"old source %u decided", i);
		}
	}
	ck_assert_uint_eq(fx->recorded, 0);
	addr4(0xc0000263U, &addr); /* 192.0.2.99 */
	for (j = 0; j < 3; j++) {
		ck_assert_int_eq(observe_full(fx, T0 + 6000 + j, &addr,
					      LOCKOUT_OUTCOME_MISMATCH,
					      "fresh", "fresh", 7 + j, "imap",
					      "PLAIN"), 0);
	}
	ck_assert_int_eq(observe_full(fx, T0 + 6003, &addr,
				      LOCKOUT_OUTCOME_MISMATCH, "fresh",
				      "fresh", 10, "imap", "PLAIN"), 1);
	r = &fx->rec[0];
	ck_assert_str_eq(r->rule, "ip_failures");
	ck_assert_str_eq(r->target, "192.0.2.99");
	ck_assert_uint_eq(r->failures, 4);
	ck_assert_msg(strstr(r->evidence, "\"users\":[\"fresh\"]") != NULL,
		      "%s", r->evidence);
	ck_assert_msg(strstr(r->evidence, "\"distinct_users\":1,") != NULL,
		      "%s", r->evidence);
	ck_assert_msg(strstr(r->evidence, "\"old") == NULL, "%s", r->evidence);
	fixture_free(&fx);
}
END_TEST

static Suite *policy_bounds_suite(void)
{
	Suite *s = suite_create("lockout-policy-bounds");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_time_origin, 0,
			    N_ELEMENTS(origin_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("bounds");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_flood_sources, 0,
			    N_ELEMENTS(flood_cases));
	tcase_add_test(tc, test_flood_sources_ipv6);
	tcase_add_test(tc, test_flood_accounts);
	tcase_add_test(tc, test_evicted_source_starts_clean);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return policy_test_run(policy_bounds_suite());
}
