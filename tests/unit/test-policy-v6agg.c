/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The policy engine's IPv6 aggregation (issue 13): the /56 and /48 around
   IPv6 sources counted as sources (ip_failures/56, ip_spread/56,
   ip_long/48 ...), banned sources of a /56 banning it (net_hosts/56, /48),
   the guard (a success, an allowed network), lockout_ipv6_prefix, and
   memory under a flood. */
#include "policy-fixture.h"

#define SLOW (5 * MINUTE)

/* Every wide rule alone: the others off (each test turns on its own). */
/* the short rules alone (and no unknown-user alert: its start is a
   decision too) */
#define QUIET "lockout_ip_long_failures", "0", \
	"lockout_ip_spread_usernames", "0", "lockout_ipv6_net_bans", "0", \
	"lockout_alert_unknown", "0"

/* The address of host in the /64 n64 of the /56 n56 of 2001:db8:1::/48,
   or of the /48 2001:db8:<n48>::/48 when n48 is not 1. */
static const char *v6(char buf[64], unsigned int n48, unsigned int n56,
		      unsigned int n64, unsigned int host)
{
	snprintf(buf, 64, "2001:db8:%x:%02x%02x::%x", n48, n56, n64, host);
	return buf;
}

/* n failures every step seconds from start, from a new /64 of the /56 n56
   every per64 tries (the /64s from first64 on), each on a username and
   password of its own (user<first+i>); returns the index of the first
   that decided something, or -1. */
static int rotate(struct fixture *fx, int64_t start, int step,
		  unsigned int n56, unsigned int first64, unsigned int per64,
		  unsigned int first, unsigned int n)
{
	char ip[64], user[32];
	unsigned int i;

	for (i = 0; i < n; i++) {
		snprintf(user, sizeof(user), "user%u@example.org", first + i);
		v6(ip, 1, n56, first64 + i / per64, i + 1);
		if (observe(fx, start + (int64_t)i * step, ip,
			    LOCKOUT_OUTCOME_UNKNOWN_USER, user,
			    first + i + 1) > 0)
			return (int)i;
	}
	return -1;
}

START_TEST(test_defaults)
{
	struct fixture *fx = fixture_new(NULL);
	const struct record *r;
	char ip[64];

	ck_assert_uint_eq(fx->cfg.ipv6_56_failures, 20);
	ck_assert_uint_eq(fx->cfg.ipv6_48_failures, 40);
	ck_assert_uint_eq(fx->cfg.ipv6_net_bans, 3);
	/* a new /64 every 3 tries, a username each, one every 5 minutes:
	   no /64 sees 4 usernames; the /56 is banned at its 8th (twice
	   ip_spread's 4) */
	ck_assert_int_eq(rotate(fx, T0, SLOW, 0xa0, 0, 3, 0, 20), 7);
	r = find_decision(fx, LOCKOUT_DECISION_BAN, "ip_spread/56");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->target, "2001:db8:1:a000::/56");
	ck_assert_int_eq(r->kind, LOCKOUT_KIND_NET);
	ck_assert_int_eq(r->expires, T0 + 7 * SLOW + 6 * HOUR);
	ev_basic(r);
	ck_assert_int_eq(ev_int(r->evidence, "threshold"), 8);
	ck_assert_int_eq(ev_int(r->evidence, "total_failures"), 8);
	ck_assert_int_eq(count_decisions(fx, LOCKOUT_DECISION_BAN, NULL), 1);
	/* the whole /56 is refused, nothing around it */
	ck_assert_int_eq(check(fx, T0 + 8 * SLOW, v6(ip, 1, 0xa0, 0x77, 9),
			       NULL), LOCKOUT_VERDICT_BANNED);
	ck_assert_int_eq(check(fx, T0 + 8 * SLOW, v6(ip, 1, 0xa1, 0, 9),
			       NULL), LOCKOUT_VERDICT_ALLOW);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_after_the_ban)
{
	struct fixture *fx = fixture_new(NULL);
	const struct record *r;

	/* banned at the 8th username for 6 hours; the memory stays: the
	   first failure after the ban bans again, for twice as long */
	ck_assert_int_eq(rotate(fx, T0, SLOW, 0xa0, 0, 3, 0, 8), 7);
	fixture_clear(fx);
	ck_assert_int_eq(rotate(fx, T0 + 7 * HOUR, SLOW, 0xa0, 0x40, 3, 100,
				1), 0);
	r = find_decision(fx, LOCKOUT_DECISION_BAN, "ip_spread/56");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->expires, T0 + 7 * HOUR + 12 * HOUR);
	ck_assert_int_eq(ev_int(r->evidence, "previous_bans"), 1);
	/* a day later the usernames are out of the window */
	lift_bans(fx);
	fixture_clear(fx);
	ck_assert_int_eq(rotate(fx, T0 + 2 * DAY, SLOW, 0xa0, 0x80, 3, 200,
				8), 7);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_short)
{
	struct fixture *fx = fixture_new((const char *const[]) {
		QUIET, NULL });
	const struct record *r;

	/* 19 failures within 10 minutes from 19 /64s of a /56: nothing;
	   the 20th bans the /56 for lockout_ban_time */
	ck_assert_int_eq(rotate(fx, T0, 20, 0xa0, 0, 1, 0, 19), -1);
	ck_assert_int_eq(rotate(fx, T0 + 19 * 20, 20, 0xa0, 19, 1, 19, 1),
			 0);
	r = find_decision(fx, LOCKOUT_DECISION_BAN, "ip_failures/56");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->target, "2001:db8:1:a000::/56");
	ck_assert_int_eq(r->expires, T0 + 19 * 20 + HOUR);
	ck_assert_int_eq(ev_int(r->evidence, "failures"), 20);
	ck_assert_int_eq(ev_int(r->evidence, "threshold"), 20);
	fixture_free(&fx);

	/* the /48: 39 failures from 39 /56s, nothing; the 40th bans it */
	fx = fixture_new((const char *const[]) { QUIET, NULL });
	for (unsigned int i = 0; i < 40; i++) {
		ck_assert_int_eq(rotate(fx, T0 + i * 10, 10, i, 0, 1, i, 1),
				 i < 39 ? -1 : 0);
	}
	r = find_decision(fx, LOCKOUT_DECISION_BAN, "ip_failures/48");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->target, "2001:db8:1::/48");
	ck_assert_int_eq(ev_int(r->evidence, "threshold"), 40);
	fixture_free(&fx);

	/* slower than the window: never */
	fx = fixture_new((const char *const[]) { QUIET, NULL });
	ck_assert_int_eq(rotate(fx, T0, 40, 0xa0, 0, 1, 0, 200), -1);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_long)
{
	struct fixture *fx = fixture_new((const char *const[]) {
		"lockout_ip_spread_usernames", "0", "lockout_ipv6_net_bans",
		"0", NULL });
	const struct record *r;
	char ip[64];
	unsigned int i;

	/* 15 distinct failures on one account over a day from the /64s of a
	   /56 (each /64 seeing 1): nothing; the 16th (twice ip_long's 8)
	   bans the /56 for a day */
	for (i = 0; i < 16; i++) {
		ck_assert_int_eq(observe(fx, T0 + i * HOUR,
					 v6(ip, 1, 0xa0, i, 1),
					 LOCKOUT_OUTCOME_MISMATCH,
					 "bob@example.org", i + 1),
				 i < 15 ? 0 : 1);
	}
	r = find_decision(fx, LOCKOUT_DECISION_BAN, "ip_long/56");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->expires, T0 + 15 * HOUR + DAY);
	ck_assert_int_eq(ev_int(r->evidence, "threshold"), 16);
	/* a repeated password is one failure */
	fixture_free(&fx);
	fx = fixture_new((const char *const[]) {
		"lockout_ip_spread_usernames", "0", "lockout_ipv6_net_bans",
		"0", NULL });
	for (i = 0; i < 40; i++) {
		ck_assert_int_eq(observe(fx, T0 + i * HOUR,
					 v6(ip, 1, 0xa0, i, 1),
					 LOCKOUT_OUTCOME_MISMATCH,
					 "bob@example.org", 1 + i % 15), 0);
	}
	fixture_free(&fx);
}
END_TEST

START_TEST(test_known_device)
{
	struct fixture *fx = fixture_new((const char *const[]) {
		"lockout_ip_spread_usernames", "0", "lockout_ipv6_net_bans",
		"0", "lockout_ipv6_56_failures", "0", NULL });
	struct lockout_addr addr;
	char ip[64];
	unsigned int i;

	/* the account's devices in four /56s of a /48 */
	for (i = 0; i < 4; i++) {
		test_addr(v6(ip, 2, i, 0, 1), &addr);
		ck_assert_int_eq(observe_full(fx, T0, &addr,
					      LOCKOUT_OUTCOME_SUCCESS,
					      "bob", "bob", 0, "imap",
					      "PLAIN"), 1);
	}
	/* failing with 64 old passwords (the /48's ip_long is at 32): its
	   own failures never count there (nor would the guard ban it) */
	for (i = 0; i < 64; i++) {
		ck_assert_int_eq(observe(fx, T0 + HOUR + i * HOUR / 4,
					 v6(ip, 2, i % 4, 0, 1),
					 LOCKOUT_OUTCOME_MISMATCH, "bob",
					 100 + i), 0);
	}
	fixture_free(&fx);
}
END_TEST

START_TEST(test_net_hosts)
{
	struct fixture *fx = fixture_new((const char *const[]) {
		"lockout_ip_failures", "1", "lockout_ipv6_56_failures", "0",
		"lockout_ipv6_48_failures", "0", NULL });
	const struct record *r;
	char ip[64];
	unsigned int i;

	/* each failure bans its /64; the third /64 of a /56 bans the /56 */
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(observe(fx, T0 + i * HOUR,
					 v6(ip, 1, 0xa0, i, 1),
					 LOCKOUT_OUTCOME_MISMATCH, "bob", 1),
				 i < 2 ? 1 : 2);
	}
	r = find_decision(fx, LOCKOUT_DECISION_BAN, "net_hosts/56");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->target, "2001:db8:1:a000::/56");
	ck_assert_int_eq(ev_int(r->evidence, "failures"), 3);
	ck_assert_int_eq(ev_int(r->evidence, "threshold"), 3);
	/* two more /56s of the /48: the /48 */
	for (i = 0; i < 6; i++) {
		ck_assert_int_gt(observe(fx, T0 + 2 * HOUR,
					 v6(ip, 1, 0xb0 + i / 3, i % 3, 1),
					 LOCKOUT_OUTCOME_MISMATCH, "bob", 1),
				 0);
	}
	ck_assert_uint_eq(count_decisions(fx, LOCKOUT_DECISION_BAN,
					  "net_hosts/56"), 3);
	r = find_decision(fx, LOCKOUT_DECISION_BAN, "net_hosts/48");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->target, "2001:db8:1::/48");
	fixture_free(&fx);

	/* lockout_ipv6_net_bans = 0: never */
	fx = fixture_new((const char *const[]) {
		"lockout_ip_failures", "1", "lockout_ipv6_56_failures", "0",
		"lockout_ipv6_48_failures", "0", "lockout_ipv6_net_bans", "0",
		NULL });
	for (i = 0; i < 16; i++) {
		ck_assert_int_eq(observe(fx, T0, v6(ip, 1, 0xa0, i, 1),
					 LOCKOUT_OUTCOME_MISMATCH, "bob", 1),
				 1);
	}
	ck_assert_ptr_null(find_decision(fx, LOCKOUT_DECISION_BAN,
					 "net_hosts/56"));
	fixture_free(&fx);
}
END_TEST

START_TEST(test_guard)
{
	struct fixture *fx = fixture_new(NULL);
	struct lockout_addr addr;
	char ip[64];
	unsigned int i, j;

	/* our user at home in the /56 0xb0 of the ISP's /48 */
	test_addr(v6(ip, 1, 0xb0, 0x12, 1), &addr);
	ck_assert_int_eq(observe_full(fx, T0, &addr, LOCKOUT_OUTCOME_SUCCESS,
				      "alice", "alice", 0, "imap", "PLAIN"),
			 1);
	/* a compromised router in the /56 0xa0 next door, and more in other
	   /56s of the /48, rotating for two days: their /56s are banned
	   again and again, the /48 never */
	for (i = 0; i < 4; i++) {
		for (j = 0; j < 600; j++) {
			(void)rotate(fx, T0 + (int64_t)j * SLOW, 1,
				     0xa0 + i, j % 250, 1, j * 4 + i, 1);
		}
	}
	ck_assert_uint_gt(count_decisions(fx, LOCKOUT_DECISION_BAN,
					  "ip_spread/56"), 4);
	for (i = 0; i < fx->recorded; i++)
		ck_assert_str_ne(fx->rec[i].target, "2001:db8:1::/48");
	ck_assert_int_eq(check(fx, T0 + 600 * SLOW, v6(ip, 1, 0xb0, 0x12, 1),
			       "alice"), LOCKOUT_VERDICT_ALLOW);
	/* the user's own /56 is not banned either */
	ck_assert_int_eq(rotate(fx, T0 + 700 * SLOW, SLOW, 0xb0, 0x40, 1,
				5000, 40), -1);
	fixture_free(&fx);

	/* an allowed network inside: neither the /56 nor the /48 */
	fx = fixture_new((const char *const[]) {
		"lockout_allow_networks", "2001:db8:1:a0ff::/64", NULL });
	ck_assert_int_eq(rotate(fx, T0, SLOW, 0xa0, 0, 3, 0, 60), -1);
	fixture_free(&fx);

	/* a success over lockout_known_device_time ago guards nothing */
	fx = fixture_new((const char *const[]) {
		"lockout_known_device_time", "1 day", NULL });
	test_addr(v6(ip, 1, 0xa0, 0xff, 1), &addr);
	ck_assert_int_eq(observe_full(fx, T0, &addr, LOCKOUT_OUTCOME_SUCCESS,
				      "alice", "alice", 0, "imap", "PLAIN"),
			 1);
	ck_assert_int_eq(rotate(fx, T0 + HOUR, SLOW, 0xa0, 0, 3, 0, 60), -1);
	ck_assert_int_eq(rotate(fx, T0 + 2 * DAY, SLOW, 0xa0, 0, 3, 100, 60),
			 7);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_guard_known_device_loaded)
{
	struct fixture *fx = fixture_new(NULL);
	struct lockout_net net;

	/* a known device loaded from the table (a restart) guards its /56
	   and /48 as a success does */
	test_net("2001:db8:1:a0ff::/64", &net);
	lockout_policy_add_known_device(fx->policy, "alice", &net, T0);
	ck_assert_int_eq(rotate(fx, T0 + HOUR, SLOW, 0xa0, 0, 3, 0, 60), -1);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_ipv6_prefix)
{
	struct fixture *fx;
	const struct record *r;
	char ip[64];
	unsigned int i;

	/* sources are /56s: only the /48 is wider; 4 usernames from one /56
	   are the /56's own ip_spread, 16 from /56s of a /48 the /48's */
	fx = fixture_new((const char *const[]) {
		"lockout_ipv6_prefix", "56", NULL });
	ck_assert_int_eq(rotate(fx, T0, SLOW, 0xa0, 0, 1, 0, 4), 3);
	ck_assert_ptr_nonnull(find_decision(fx, LOCKOUT_DECISION_BAN,
					    "ip_spread"));
	/* those 4 usernames counted in the /48 too: 12 more */
	fixture_clear(fx);
	for (i = 0; i < 12; i++) {
		ck_assert_int_eq(rotate(fx, T0 + HOUR + i * SLOW, 1, i, 0, 1,
					100 + i, 1), i < 11 ? -1 : 0);
	}
	r = find_decision(fx, LOCKOUT_DECISION_BAN, "ip_spread/48");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->target, "2001:db8:1::/48");
	ck_assert_ptr_null(find_decision(fx, LOCKOUT_DECISION_BAN,
					 "ip_spread/56"));
	fixture_free(&fx);

	/* banned /56 sources count in their /48 */
	fx = fixture_new((const char *const[]) {
		"lockout_ipv6_prefix", "56", "lockout_ip_failures", "1",
		"lockout_ipv6_48_failures", "0", NULL });
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(observe(fx, T0, v6(ip, 1, i, 0, 1),
					 LOCKOUT_OUTCOME_MISMATCH, "bob", 1),
				 i < 2 ? 1 : 2);
	}
	ck_assert_ptr_nonnull(find_decision(fx, LOCKOUT_DECISION_BAN,
					    "net_hosts/48"));
	fixture_free(&fx);

	/* sources are /48s: nothing is wider */
	fx = fixture_new((const char *const[]) {
		"lockout_ipv6_prefix", "48", "lockout_ip_spread_usernames",
		"16", "lockout_ip_long_failures", "0", NULL });
	ck_assert_int_eq(rotate(fx, T0, SLOW, 0xa0, 0, 1, 0, 15), -1);
	fixture_free(&fx);

	/* sources are single addresses (/128): the /56 and /48 counted, a
	   /64 of banned addresses counted once for the /56 */
	fx = fixture_new((const char *const[]) {
		"lockout_ipv6_prefix", "128", "lockout_ip_failures", "1",
		"lockout_ipv6_56_failures", "0", "lockout_ipv6_48_failures",
		"0", NULL });
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(observe(fx, T0, v6(ip, 1, 0xa0, i / 2, i + 1),
					 LOCKOUT_OUTCOME_MISMATCH, "bob", 1),
				 i < 4 ? 1 : 2);
	}
	ck_assert_ptr_nonnull(find_decision(fx, LOCKOUT_DECISION_BAN,
					    "net_hosts/56"));
	fixture_free(&fx);
	fx = fixture_new((const char *const[]) {
		"lockout_ipv6_prefix", "128", NULL });
	ck_assert_int_eq(rotate(fx, T0, SLOW, 0xa0, 0, 1, 0, 8), 7);
	ck_assert_ptr_nonnull(find_decision(fx, LOCKOUT_DECISION_BAN,
					    "ip_spread/56"));
	fixture_free(&fx);
}
END_TEST

START_TEST(test_off)
{
	struct fixture *fx = fixture_new((const char *const[]) {
		"lockout_ipv6_56_failures", "0", "lockout_ipv6_48_failures",
		"0", "lockout_ipv6_net_bans", "0", NULL });

	ck_assert_int_eq(rotate(fx, T0, SLOW, 0xa0, 0, 3, 0, 500), -1);
	ck_assert_uint_eq(lockout_policy_source_count(fx->policy), 167);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_flood)
{
	struct fixture *fx = fixture_new((const char *const[]) {
		"lockout_max_sources", "3000", NULL });
	struct lockout_addr addr;
	size_t memory = 0;
	char ip[64];
	unsigned int i;

	/* a failure from a new /64 of a new /56 of a new /48 every second:
	   three entries each, the table's fixed memory */
	for (i = 0; i < FLOOD_COUNT; i++) {
		snprintf(ip, sizeof(ip), "2001:%x:%x:%x::1", (i >> 16) + 1,
			 i & 0xffff, (i * 257) & 0xffff);
		test_addr(ip, &addr);
		(void)observe_full(fx, T0 + i, &addr,
				   LOCKOUT_OUTCOME_UNKNOWN_USER, "x", "x",
				   i + 1, "imap", "PLAIN");
		if (i == 1000)
			memory = lockout_policy_memory(fx->policy);
		REQUIRE(lockout_policy_source_count(fx->policy) <=
			lockout_policy_source_capacity(fx->policy),
			"sources beyond the table");
	}
	ck_assert_uint_eq(lockout_policy_memory(fx->policy), memory);
	ck_assert_uint_eq(lockout_policy_source_count(fx->policy),
			  lockout_policy_source_capacity(fx->policy));
	fixture_free(&fx);

	/* usernames by the thousand from one /48: the same */
	fx = fixture_new(NULL);
	ck_assert_uint_gt(flood_usernames(fx, "2001:db8:1:a0ff::1",
					  LOCKOUT_OUTCOME_UNKNOWN_USER), 0);
	fixture_free(&fx);
}
END_TEST

static Suite *policy_v6agg_suite(void)
{
	Suite *s = suite_create("policy-v6agg");
	TCase *tc = tcase_create("v6agg");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_after_the_ban);
	tcase_add_test(tc, test_short);
	tcase_add_test(tc, test_long);
	tcase_add_test(tc, test_known_device);
	tcase_add_test(tc, test_net_hosts);
	tcase_add_test(tc, test_guard);
	tcase_add_test(tc, test_guard_known_device_loaded);
	tcase_add_test(tc, test_ipv6_prefix);
	tcase_add_test(tc, test_off);
	tcase_add_test(tc, test_flood);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return policy_test_run(policy_v6agg_suite());
}
