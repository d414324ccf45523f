/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The policy engine's faster protection of an attacked account (rule
   user_networks, issue 13): networks, not failures, counted; distinct
   passwords; the window; known devices; who passes a protection (known,
   busy, near); a flood of networks. */
#include "policy-fixture.h"

/* The rule alone: user_failures out of reach, no source banned. */
static const char *const networks_alone[] = {
	"lockout_user_failures", "1000", "lockout_ip_failures", "100",
	"lockout_ip_long_failures", "0", "lockout_ip_spread_usernames", "0",
	NULL
};

/* n failures on bob, every step seconds from start, from 10.<first+i>.0.1
   (a /24 each), each with the
   password tag tag0 + i (tag0 = 0: all with tag 7); returns the index of
   the one that protected bob, or -1. */
static int from_networks(struct fixture *fx, int64_t start, int step,
			 unsigned int first, unsigned int n, uint32_t tag0)
{
	unsigned int i, protects;
	char ip[32];

	for (i = 0; i < n; i++) {
		snprintf(ip, sizeof(ip), "10.%u.0.1", first + i);
		protects = fx->by_type[LOCKOUT_DECISION_PROTECT];
		(void)observe(fx, start + (int64_t)i * step, ip,
			      LOCKOUT_OUTCOME_MISMATCH, "bob",
			      tag0 == 0 ? 7 : tag0 + i);
		if (fx->by_type[LOCKOUT_DECISION_PROTECT] > protects)
			return (int)i;
	}
	return -1;
}

START_TEST(test_defaults)
{
	struct fixture *fx = fixture_new(NULL);
	const struct record *r;

	ck_assert_uint_eq(fx->cfg.user_networks, 5);
	ck_assert_uint_eq(fx->cfg.user_networks_window, 6 * HOUR);
	ck_assert_uint_eq(fx->cfg.user_networks_protect_time, 2 * HOUR);
	ck_assert_uint_eq(fx->cfg.near_prefix, 15);
	ck_assert_uint_eq(fx->cfg.near_prefix6, 32);
	/* a distributed attack, a try every 10 minutes from a new network:
	   protected at the 5th, long before user_failures' 30 */
	ck_assert_int_eq(from_networks(fx, T0, 10 * MINUTE, 1, 10, 100), 4);
	r = find_decision(fx, LOCKOUT_DECISION_PROTECT, "user_networks");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->kind, LOCKOUT_KIND_USER);
	ck_assert_str_eq(r->target, "bob");
	ck_assert_int_eq(r->time, T0 + 40 * MINUTE);
	ck_assert_int_eq(r->expires, T0 + 40 * MINUTE + 2 * HOUR);
	ck_assert_uint_eq(r->failures, 5);
	ev_basic(r);
	ck_assert_int_eq(ev_int(r->evidence, "failures"), 5);
	ck_assert_int_eq(ev_int(r->evidence, "networks"), 5);
	ck_assert_int_eq(ev_int(r->evidence, "threshold"), 5);
	ck_assert_int_eq(ev_int(r->evidence, "window"), 6 * HOUR);
	ck_assert_int_eq(ev_int(r->evidence, "protect_time"), 2 * HOUR);
	ck_assert_int_eq(ev_int(r->evidence, "first_seen"), T0);
	ck_assert_int_eq(ev_int(r->evidence, "last_seen"), T0 + 40 * MINUTE);
	ev_has(r->evidence, "\"distinct_networks\":[\"10.1.0.0/24\","
	       "\"10.2.0.0/24\",\"10.3.0.0/24\",\"10.4.0.0/24\","
	       "\"10.5.0.0/24\"]");
	ev_has(r->evidence, "\"services\":[\"imap\"]");
	ck_assert(strstr(r->reason, "5 networks within 6 hours") != NULL);
	ck_assert(lockout_policy_protected(fx->policy, "bob",
					   T0 + 40 * MINUTE + 2 * HOUR - 1));
	ck_assert(!lockout_policy_protected(fx->policy, "bob",
					    T0 + 40 * MINUTE + 2 * HOUR));
	ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_BAN], 0);
	fixture_free(&fx);
}
END_TEST

/* Thresholds and the window (networks_alone, threshold 5 within 6 hours):
   which failure protects, if any. */
static const struct {
	const char *name;
	const char *const *more;
	int step;
	unsigned int n;
	uint32_t tag0;
	int protect_at;
} threshold_cases[] = {
	{ "just below", NULL, 10 * MINUTE, 4, 100, NONE },
	{ "at the threshold", NULL, 10 * MINUTE, 5, 100, 4 },
	{ "within the window", NULL, 89 * MINUTE, 5, 100, 4 },
	{ "past the window", NULL, 91 * MINUTE, 20, 100, NONE },
	/* a stale client travelling: one old password everywhere */
	{ "one password", NULL, 10 * MINUTE, 20, 0, NONE },
	{ "threshold 8", (const char *const[]){
		"lockout_user_networks", "8", NULL }, MINUTE, 8, 100, 7 },
	{ "threshold 1", (const char *const[]){
		"lockout_user_networks", "1", NULL }, MINUTE, 3, 100, 0 },
	{ "off", (const char *const[]){
		"lockout_user_networks", "0", NULL }, MINUTE, 50, 100, NONE },
};

START_TEST(test_threshold)
{
	struct fixture *fx = fixture_new2(networks_alone,
					  threshold_cases[_i].more);

	ck_assert_msg(from_networks(fx, T0, threshold_cases[_i].step, 1,
				    threshold_cases[_i].n,
				    threshold_cases[_i].tag0) ==
		      threshold_cases[_i].protect_at, "%s",
		      threshold_cases[_i].name);
	ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_BAN], 0);
	fixture_free(&fx);
}
END_TEST

/* Networks, not sources: a /24 (IPv6 /48) counts once, whatever its
   addresses and passwords; known devices never count. */
START_TEST(test_networks_not_sources)
{
	struct fixture *fx = fixture_new(networks_alone);
	unsigned int i;
	char ip[64];

	/* 20 addresses of one /24, 20 passwords */
	for (i = 0; i < 20; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%u", i + 1);
		observe(fx, T0 + i, ip, LOCKOUT_OUTCOME_MISMATCH, "bob",
			100 + i);
	}
	/* 20 /64s of one /48 */
	for (i = 0; i < 20; i++) {
		snprintf(ip, sizeof(ip), "2001:db8:1:%x::1", i);
		observe(fx, T0 + 100 + i, ip, LOCKOUT_OUTCOME_MISMATCH, "bob",
			200 + i);
	}
	/* bob's known devices elsewhere */
	observe(fx, T0 + 200, "192.0.2.1", LOCKOUT_OUTCOME_SUCCESS, "bob", 1);
	observe(fx, T0 + 201, "203.0.113.1", LOCKOUT_OUTCOME_SUCCESS, "bob",
		1);
	observe(fx, T0 + 202, "192.0.2.9", LOCKOUT_OUTCOME_MISMATCH, "bob",
		300);
	observe(fx, T0 + 203, "203.0.113.9", LOCKOUT_OUTCOME_MISMATCH, "bob",
		301);
	ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_PROTECT], 0);
	/* another IPv6 /48 and two /24s: 5 */
	observe(fx, T0 + 300, "2001:db8:2::1", LOCKOUT_OUTCOME_MISMATCH,
		"bob", 400);
	observe(fx, T0 + 301, "198.51.101.1", LOCKOUT_OUTCOME_MISMATCH,
		"bob", 401);
	ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_PROTECT], 0);
	observe(fx, T0 + 302, "198.51.102.1", LOCKOUT_OUTCOME_MISMATCH,
		"bob", 402);
	ck_assert_uint_eq(count_decisions(fx, LOCKOUT_DECISION_PROTECT,
					  "user_networks"), 1);
	ev_has(find_decision(fx, LOCKOUT_DECISION_PROTECT,
			     "user_networks")->evidence,
	       "\"distinct_networks\":[\"198.51.100.0/24\","
	       "\"2001:db8:1::/48\",\"2001:db8:2::/48\",\"198.51.101.0/24\","
	       "\"198.51.102.0/24\"]");
	/* other accounts are counted apart */
	ck_assert(!lockout_policy_protected(fx->policy, "carol", T0 + 303));
	fixture_free(&fx);
}
END_TEST

/* After a protection the count starts afresh; the next one comes when it
   has ended and 5 new networks failed; user_failures is unchanged. */
START_TEST(test_again)
{
	struct fixture *fx = fixture_new(networks_alone);

	ck_assert_int_eq(from_networks(fx, T0, MINUTE, 1, 5, 100), 4);
	/* while protected, failures that pass (busy, near) count, but do
	   not protect again */
	ck_assert_int_eq(from_networks(fx, T0 + HOUR, MINUTE, 20, 5, 200), -1);
	/* once it has ended, the next network protects at once */
	ck_assert_int_eq(from_networks(fx, T0 + 2 * HOUR + 4 * MINUTE,
				       MINUTE, 40, 5, 300), 0);
	ck_assert_uint_eq(count_decisions(fx, LOCKOUT_DECISION_PROTECT,
					  "user_networks"), 2);
	fixture_free(&fx);
}
END_TEST

/* Who passes while the account is protected: its known devices, and near:
   the /15 (IPv6 /32) of a network where it logged in, also from the table,
   for lockout_known_device_time; not near another account's networks. */
static const struct {
	int64_t dt;
	const char *ip, *account;
	enum lockout_verdict expect;
} near_steps[] = {
	/* known */
	{ 1, "192.0.2.99", "dave", LOCKOUT_VERDICT_ALLOW },
	/* near: the /15, the IPv6 /32; from the table too */
	{ 1, "192.0.200.1", "DAVE", LOCKOUT_VERDICT_ALLOW },
	{ 1, "198.51.7.1", "dave", LOCKOUT_VERDICT_ALLOW },
	{ 1, "2001:db8:ffff:1::1", "dave", LOCKOUT_VERDICT_ALLOW },
	/* foreign */
	{ 1, "192.2.2.10", "dave", LOCKOUT_VERDICT_PROTECTED },
	{ 1, "2001:db9::1", "dave", LOCKOUT_VERDICT_PROTECTED },
	{ 1, "::ffff:192.2.2.10", "dave", LOCKOUT_VERDICT_PROTECTED },
	/* near is the account's: not another's */
	{ 1, "192.0.200.1", "erin", LOCKOUT_VERDICT_PROTECTED },
	/* it ages out with lockout_known_device_time (30 days) */
	{ 30 * DAY - 1, "192.0.200.1", "dave", LOCKOUT_VERDICT_ALLOW },
	{ 30 * DAY, "192.0.200.1", "dave", LOCKOUT_VERDICT_PROTECTED },
};

START_TEST(test_near)
{
	struct fixture *fx = fixture_new(NULL);
	struct lockout_net net;
	unsigned int i;

	observe(fx, T0, "192.0.2.10", LOCKOUT_OUTCOME_SUCCESS, "dave", 1);
	observe(fx, T0, "2001:db8:1:2::1", LOCKOUT_OUTCOME_SUCCESS, "dave",
		1);
	test_net("198.51.100.0/24", &net);
	lockout_policy_add_known_device(fx->policy, "Dave", &net, T0);
	ck_assert_int_eq(lockout_policy_protect(fx->policy, "dave",
						T0 + 40 * DAY), 0);
	ck_assert_int_eq(lockout_policy_protect(fx->policy, "erin",
						T0 + 40 * DAY), 0);
	for (i = 0; i < N_ELEMENTS(near_steps); i++) {
		ck_assert_msg(check(fx, T0 + near_steps[i].dt,
				    near_steps[i].ip,
				    near_steps[i].account) ==
			      near_steps[i].expect, "step %u", i);
	}
	fixture_free(&fx);
}
END_TEST

/* Other near prefixes, and none. */
static const struct {
	const char *v4, *v6;
	const char *ip;
	enum lockout_verdict expect;
} near_cases[] = {
	{ "0", "0", "192.0.200.1", LOCKOUT_VERDICT_PROTECTED },
	{ "0", "0", "2001:db8:1:3::1", LOCKOUT_VERDICT_PROTECTED },
	{ "0", "0", "192.0.2.200", LOCKOUT_VERDICT_ALLOW },
	{ "24", "48", "192.0.2.200", LOCKOUT_VERDICT_ALLOW },
	{ "24", "48", "192.0.3.1", LOCKOUT_VERDICT_PROTECTED },
	{ "24", "48", "2001:db8:1:3::1", LOCKOUT_VERDICT_ALLOW },
	{ "24", "48", "2001:db8:2::1", LOCKOUT_VERDICT_PROTECTED },
	{ "8", "16", "192.99.1.1", LOCKOUT_VERDICT_ALLOW },
	{ "8", "16", "2001:1::1", LOCKOUT_VERDICT_ALLOW },
	{ "32", "128", "192.0.2.11", LOCKOUT_VERDICT_ALLOW },
	{ "32", "128", "192.0.3.10", LOCKOUT_VERDICT_PROTECTED },
};

START_TEST(test_near_prefix)
{
	const char *const settings[] = {
		"lockout_near_prefix", near_cases[_i].v4,
		"lockout_near_prefix6", near_cases[_i].v6, NULL
	};
	struct fixture *fx = fixture_new(settings);

	observe(fx, T0, "192.0.2.10", LOCKOUT_OUTCOME_SUCCESS, "dave", 1);
	observe(fx, T0, "2001:db8:1:2::1", LOCKOUT_OUTCOME_SUCCESS, "dave",
		1);
	ck_assert_int_eq(lockout_policy_protect(fx->policy, "dave",
						T0 + DAY), 0);
	ck_assert_msg(check(fx, T0 + 1, near_cases[_i].ip, "dave") ==
		      near_cases[_i].expect, "/%s /%s %s", near_cases[_i].v4,
		      near_cases[_i].v6, near_cases[_i].ip);
	fixture_free(&fx);
}
END_TEST

/* The distributed attack on a protected account: its owner at the office
   (busy) and at a new home address of the ISP (near) passes, a bot does
   not; bots in busy and near networks still count. */
START_TEST(test_owner_passes)
{
	struct fixture *fx = fixture_new(NULL);

	observe(fx, T0, "100.64.1.10", LOCKOUT_OUTCOME_SUCCESS, "bob", 1);
	observe(fx, T0, "203.0.113.10", LOCKOUT_OUTCOME_SUCCESS, "erin", 1);
	observe(fx, T0, "203.0.113.10", LOCKOUT_OUTCOME_SUCCESS, "frank", 1);
	observe(fx, T0, "203.0.113.10", LOCKOUT_OUTCOME_SUCCESS, "gina", 1);
	ck_assert_int_eq(from_networks(fx, T0 + HOUR, 5 * MINUTE, 1, 5, 100),
			 4);
	ck_assert_int_eq(check(fx, T0 + 2 * HOUR, "10.99.0.1", "bob"),
			 LOCKOUT_VERDICT_PROTECTED);
	ck_assert_int_eq(check(fx, T0 + 2 * HOUR, "203.0.113.10", "bob"),
			 LOCKOUT_VERDICT_ALLOW);
	ck_assert_int_eq(check(fx, T0 + 2 * HOUR, "100.64.77.3", "bob"),
			 LOCKOUT_VERDICT_ALLOW);
	fixture_free(&fx);
}
END_TEST

/* A flood of networks on one account, of accounts from networks: the ring
   overwrites, the tables stay as they were allocated (from the first
   decisions on, which size the evidence's buffer). */
START_TEST(test_flood)
{
	struct fixture *fx = fixture_new(networks_alone);
	size_t memory = 0;
	unsigned int i, protects = 0;
	char ip[32], user[32];

	for (i = 0; i < FLOOD_COUNT; i++) {
		snprintf(ip, sizeof(ip), "10.%u.%u.1", (i >> 8) & 255,
			 i & 255);
		(void)observe(fx, T0 + i, ip, LOCKOUT_OUTCOME_MISMATCH, "bob",
			      i + 1);
		snprintf(user, sizeof(user), "u%u", i);
		(void)observe(fx, T0 + i, ip, LOCKOUT_OUTCOME_MISMATCH, user,
			      i + 1);
		if (i == 1000)
			memory = lockout_policy_memory(fx->policy);
	}
	/* bob: once at the 5th network, then every time the protection of
	   2 hours ended (the ring already full); the flood's accounts: each
	   seen once */
	protects = count_decisions(fx, LOCKOUT_DECISION_PROTECT,
				   "user_networks");
	ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_PROTECT],
			  1 + (FLOOD_COUNT - 5) / (2 * HOUR));
	ck_assert_uint_ge(protects, 1);
	ck_assert_uint_eq(lockout_policy_memory(fx->policy), memory);
	fixture_free(&fx);
}
END_TEST

static Suite *policy_networks_suite(void)
{
	Suite *s = suite_create("policy-networks");
	TCase *tc = tcase_create("user_networks");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_defaults);
	tcase_add_loop_test(tc, test_threshold, 0,
			    (int)N_ELEMENTS(threshold_cases));
	tcase_add_test(tc, test_networks_not_sources);
	tcase_add_test(tc, test_again);
	tcase_add_test(tc, test_near);
	tcase_add_loop_test(tc, test_near_prefix, 0,
			    (int)N_ELEMENTS(near_cases));
	tcase_add_test(tc, test_owner_passes);
	tcase_add_test(tc, test_flood);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return policy_test_run(policy_networks_suite());
}
