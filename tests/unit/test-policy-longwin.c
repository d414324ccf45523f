/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The policy engine's long memory per source (rule ip_long, issue 13):
   threshold, window, repeats, known devices, escalation, the short rule's
   bans, a flood of distinct usernames. */
#include "policy-fixture.h"

#define SLOW (20 * MINUTE)

/* ip_long alone: the guessers here fail on many usernames, which ip_spread
   would ban sooner */
static const char *const no_spread[] = {
	"lockout_ip_spread_usernames", "0", NULL
};
static struct fixture *long_fixture(const char *const *settings)
{
	return fixture_new2(settings, no_spread);
}

/* n distinct failures (user<i>, tag i+1) from ip, every step seconds from
   start; returns the index of the first that decided something, or -1. */
static int slow_guesser(struct fixture *fx, int64_t start, int step,
			const char *ip, unsigned int n, bool same_user)
{
	char user[32];
	unsigned int i;

	for (i = 0; i < n; i++) {
		snprintf(user, sizeof(user), "user%u", same_user ? 0 : i);
		if (observe(fx, start + (int64_t)i * step, ip,
			    LOCKOUT_OUTCOME_MISMATCH, user, i + 1) > 0)
			return (int)i;
	}
	return -1;
}

START_TEST(test_threshold)
{
	struct fixture *fx = long_fixture(NULL);
	const struct record *r;

	/* the default: 8 distinct failures within a day; 7 do nothing */
	ck_assert_int_eq(slow_guesser(fx, T0, SLOW, "192.0.2.1", 7, true), -1);
	ck_assert_int_eq(fx->decisions, 0);
	ck_assert_int_eq(observe(fx, T0 + 7 * SLOW, "192.0.2.1",
				 LOCKOUT_OUTCOME_MISMATCH, "user0", 100), 1);
	r = find_decision(fx, LOCKOUT_DECISION_BAN, "ip_long");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->target, "192.0.2.1");
	ck_assert_int_eq(r->failures, 8);
	ck_assert_int_eq(r->expires, T0 + 7 * SLOW + DAY);
	ev_basic(r);
	ck_assert_int_eq(ev_int(r->evidence, "threshold"), 8);
	ck_assert_int_eq(check(fx, T0 + 7 * SLOW + 1, "192.0.2.1", NULL),
			 LOCKOUT_VERDICT_BANNED);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_window)
{
	struct fixture *fx = long_fixture((const char *const[]) {
		"lockout_ip_long_window", "2 hours", NULL });

	/* 8 failures just within the window (7 steps of 1028 s: 7196 s):
	   banned at the 8th */
	ck_assert_int_eq(slow_guesser(fx, T0, 2 * HOUR / 7, "192.0.2.1", 8,
				      false), 7);
	ck_assert_int_eq(count_decisions(fx, LOCKOUT_DECISION_BAN, "ip_long"),
			 1);
	fixture_free(&fx);
	/* just beyond it (7203 s): the first is forgotten at each 8th */
	fx = long_fixture((const char *const[]) {
		"lockout_ip_long_window", "2 hours", NULL });
	ck_assert_int_eq(slow_guesser(fx, T0, 2 * HOUR / 7 + 1, "192.0.2.1",
				      30, false), -1);
	fixture_free(&fx);
	/* slower than the window: never */
	fx = long_fixture((const char *const[]) {
		"lockout_ip_long_window", "2 hours", NULL });
	ck_assert_int_eq(slow_guesser(fx, T0, HOUR, "192.0.2.1", 50, false),
			 -1);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_repeats_and_off)
{
	struct fixture *fx = long_fixture(NULL);
	unsigned int i;

	/* a phone with an old password all day is one failure */
	for (i = 0; i < 72; i++) {
		ck_assert_int_eq(observe(fx, T0 + i * SLOW, "192.0.2.1",
					 LOCKOUT_OUTCOME_MISMATCH, "bob",
					 7), 0);
	}
	ck_assert_int_eq(count_decisions(fx, LOCKOUT_DECISION_BAN, NULL), 0);
	fixture_free(&fx);
	/* the rule off */
	fx = long_fixture((const char *const[]) {
		"lockout_ip_long_failures", "0", NULL });
	ck_assert_int_eq(slow_guesser(fx, T0, SLOW, "192.0.2.1", 72, false),
			 -1);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_known_device)
{
	struct fixture *fx = long_fixture(NULL);
	struct lockout_addr addr;
	struct lockout_net net;
	char user[32];
	unsigned int i;

	/* an office NAT: its users' own failures (old passwords, typos) are
	   not a guesser's */
	test_net("198.51.100.0/24", &net);
	test_addr("198.51.100.7", &addr);
	for (i = 0; i < 20; i++) {
		snprintf(user, sizeof(user), "staff%u", i);
		lockout_policy_add_known_device(fx->policy, user, &net, T0);
		ck_assert_int_eq(observe_full(fx, T0 + i * SLOW, &addr,
					      LOCKOUT_OUTCOME_MISMATCH, user,
					      user, i + 1, "imap", "PLAIN"),
				 0);
	}
	/* others' accounts from there still count */
	ck_assert_int_eq(slow_guesser(fx, T0 + 20 * SLOW, SLOW,
				      "198.51.100.7", 8, false), 7);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_escalation)
{
	struct fixture *fx = long_fixture(NULL);
	const struct record *r;

	ck_assert_int_eq(slow_guesser(fx, T0, SLOW, "192.0.2.1", 8, false), 7);
	/* the memory starts afresh after the ban: 8 more, banned for 2 days */
	fixture_clear(fx);
	ck_assert_int_eq(slow_guesser(fx, T0 + 2 * DAY, SLOW, "192.0.2.1", 8,
				      false), 7);
	r = find_decision(fx, LOCKOUT_DECISION_BAN, "ip_long");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->expires, T0 + 2 * DAY + 7 * SLOW + 2 * DAY);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_burst_is_the_short_rules)
{
	struct fixture *fx = long_fixture(NULL);

	/* 8 fast failures: not ip_long (the behaviour of bursts stays) */
	ck_assert_int_eq(slow_guesser(fx, T0, 1, "192.0.2.1", 9, false), -1);
	ck_assert_int_eq(observe(fx, T0 + 9, "192.0.2.1",
				 LOCKOUT_OUTCOME_MISMATCH, "x", 99), 1);
	ck_assert_ptr_nonnull(find_decision(fx, LOCKOUT_DECISION_BAN,
					    "ip_failures"));
	fixture_free(&fx);
}
END_TEST

START_TEST(test_after_short_ban)
{
	struct fixture *fx = long_fixture(NULL);
	const struct record *r;

	/* 10 fast: ip_failures; the long memory keeps them, so the next
	   distinct failure after the hour is an ip_long ban, escalated */
	ck_assert_int_eq(slow_guesser(fx, T0, 1, "192.0.2.1", 10, false), 9);
	ck_assert_ptr_nonnull(find_decision(fx, LOCKOUT_DECISION_BAN,
					    "ip_failures"));
	fixture_clear(fx);
	ck_assert_int_eq(observe(fx, T0 + HOUR + 10, "192.0.2.1",
				 LOCKOUT_OUTCOME_MISMATCH, "zed", 99), 1);
	r = find_decision(fx, LOCKOUT_DECISION_BAN, "ip_long");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->expires, T0 + HOUR + 10 + 2 * DAY);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_flood)
{
	struct fixture *fx = long_fixture((const char *const[]) {
		"lockout_ip_long_failures", "16", "lockout_ip_failures", "100",
		"lockout_ban_time_max", "1 hour", "lockout_ip_long_ban_time",
		"1 hour", NULL });
	/* distinct usernames from one source, one a minute: a fixed memory.
	   Every 16th failure reaches the rule; while the hour's ban lasts
	   that is the same burst (no new ban), so a ban every 64 failures,
	   the first at the 16th */
	ck_assert_uint_eq(flood_usernames(fx, "192.0.2.1",
					  LOCKOUT_OUTCOME_MISMATCH),
			  (FLOOD_COUNT - 16) / 64 + 1);
	fixture_free(&fx);
}
END_TEST

static Suite *policy_longwin_suite(void)
{
	Suite *s = suite_create("policy-longwin");
	TCase *tc = tcase_create("ip_long");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_threshold);
	tcase_add_test(tc, test_window);
	tcase_add_test(tc, test_repeats_and_off);
	tcase_add_test(tc, test_known_device);
	tcase_add_test(tc, test_escalation);
	tcase_add_test(tc, test_burst_is_the_short_rules);
	tcase_add_test(tc, test_after_short_ban);
	tcase_add_test(tc, test_flood);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return policy_test_run(policy_longwin_suite());
}
