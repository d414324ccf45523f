/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The policy engine's spread of usernames per source (rule ip_spread, issue
   13): threshold, window, one person's spellings, known devices,
   escalation, bursts, a flood of distinct usernames. */
#include "policy-fixture.h"

#define SLOW (20 * MINUTE)

/* The rule alone, at 5 usernames within a day (the others off, so that
   what bans is this rule's threshold and nothing else). */
static const char *const spread_alone[] = {
	"lockout_ip_spread_usernames", "5", "lockout_ip_spread_window",
	"1 day", "lockout_ip_long_failures", "0", NULL
};

/* n failures from ip, every step seconds from start, on user<first+i>
   (each with its own password tag); returns the index of the first that
   decided something, or -1. */
static int sprayer(struct fixture *fx, int64_t start, int step,
		   const char *ip, unsigned int first, unsigned int n)
{
	char user[32];
	unsigned int i;

	for (i = 0; i < n; i++) {
		snprintf(user, sizeof(user), "user%u@example.org", first + i);
		if (observe(fx, start + (int64_t)i * step, ip,
			    LOCKOUT_OUTCOME_UNKNOWN_USER, user, i + 1) > 0)
			return (int)i;
	}
	return -1;
}

START_TEST(test_defaults)
{
	struct fixture *fx = fixture_new(NULL);

	ck_assert_uint_eq(fx->cfg.ip_spread_usernames, 4);
	ck_assert_uint_eq(fx->cfg.ip_spread_window, DAY);
	ck_assert_uint_eq(fx->cfg.ip_spread_ban_time, 6 * HOUR);
	/* at the defaults, a slow list guesser is this rule's at its 4th
	   username, before ip_long's 8th failure */
	ck_assert_int_eq(sprayer(fx, T0, SLOW, "192.0.2.1", 0, 8), 3);
	ck_assert_ptr_nonnull(find_decision(fx, LOCKOUT_DECISION_BAN,
					    "ip_spread"));
	fixture_free(&fx);
}
END_TEST

START_TEST(test_threshold)
{
	struct fixture *fx = fixture_new(spread_alone);
	const struct record *r;

	/* 4 usernames, each failing again and again with new passwords
	   over hours: nothing */
	ck_assert_int_eq(sprayer(fx, T0, SLOW, "192.0.2.1", 0, 4), -1);
	ck_assert_int_eq(sprayer(fx, T0 + 4 * SLOW, SLOW, "192.0.2.1", 0, 4),
			 -1);
	ck_assert_int_eq(fx->decisions, 0);
	/* the 5th bans, for lockout_ip_spread_ban_time */
	ck_assert_int_eq(observe(fx, T0 + 8 * SLOW, "192.0.2.1",
				 LOCKOUT_OUTCOME_MISMATCH, "eve@example.org",
				 99), 1);
	r = find_decision(fx, LOCKOUT_DECISION_BAN, "ip_spread");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->target, "192.0.2.1");
	ck_assert_int_eq(r->failures, 5);
	ck_assert_int_eq(r->expires, T0 + 8 * SLOW + 6 * HOUR);
	ev_basic(r);
	ck_assert_int_eq(ev_int(r->evidence, "failures"), 5);
	ck_assert_int_eq(ev_int(r->evidence, "threshold"), 5);
	ck_assert_int_eq(ev_int(r->evidence, "window"), DAY);
	ck_assert_int_eq(ev_int(r->evidence, "distinct_users"), 5);
	ck_assert_int_eq(check(fx, T0 + 8 * SLOW + 1, "192.0.2.1", NULL),
			 LOCKOUT_VERDICT_BANNED);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_window)
{
	static const char *const two_hours[] = {
		"lockout_ip_spread_window", "2 hours", NULL
	};
	struct fixture *fx = fixture_new2(spread_alone, two_hours);

	/* 5 usernames just within the window (4 steps of 1799 s): banned at
	   the 5th */
	ck_assert_int_eq(sprayer(fx, T0, 2 * HOUR / 4 - 1, "192.0.2.1", 0, 5),
			 4);
	fixture_free(&fx);
	/* at the window's length the first is forgotten at each 5th */
	fx = fixture_new2(spread_alone, two_hours);
	ck_assert_int_eq(sprayer(fx, T0, 2 * HOUR / 4, "192.0.2.1", 0, 50),
			 -1);
	fixture_free(&fx);
	/* the rule off */
	fx = fixture_new2(spread_alone, (const char *const[]) {
		"lockout_ip_spread_usernames", "0", NULL });
	ck_assert_int_eq(sprayer(fx, T0, SLOW, "192.0.2.1", 0, 50), -1);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_one_person)
{
	static const char *const spellings[] = {
		"bob", "Bob@example.org", "BOB@example.net", "bob@",
		"bob@example.org", "BoB",
	};
	struct fixture *fx = fixture_new(spread_alone);
	unsigned int i;

	/* one local part in any case and with any domain is one person
	   mistyping, not six targets */
	for (i = 0; i < 30; i++) {
		ck_assert_int_eq(observe(fx, T0 + i * SLOW, "192.0.2.1",
					 LOCKOUT_OUTCOME_MISMATCH,
					 spellings[i % N_ELEMENTS(spellings)],
					 i + 1), 0);
	}
	/* with three more people it is 4: still nothing; a 5th bans */
	ck_assert_int_eq(sprayer(fx, T0 + 30 * SLOW, SLOW, "192.0.2.1", 0, 3),
			 -1);
	ck_assert_int_eq(sprayer(fx, T0 + 33 * SLOW, SLOW, "192.0.2.1", 3, 1),
			 0);
	ck_assert_ptr_nonnull(find_decision(fx, LOCKOUT_DECISION_BAN,
					    "ip_spread"));
	fixture_free(&fx);
}
END_TEST

START_TEST(test_known_device)
{
	struct fixture *fx = fixture_new(spread_alone);
	struct lockout_addr addr;
	struct lockout_net net;
	char user[32];
	unsigned int i;

	/* an office NAT: 40 users' own failures (old passwords, typos) are
	   not a sprayer's */
	test_net("198.51.100.0/24", &net);
	test_addr("198.51.100.7", &addr);
	for (i = 0; i < 40; i++) {
		snprintf(user, sizeof(user), "staff%u", i);
		lockout_policy_add_known_device(fx->policy, user, &net, T0);
		ck_assert_int_eq(observe_full(fx, T0 + i * MINUTE * 5, &addr,
					      LOCKOUT_OUTCOME_MISMATCH, user,
					      user, i + 1, "imap", "PLAIN"),
				 0);
	}
	/* usernames that are no account of it still count: 4 do nothing,
	   the 5th bans */
	ck_assert_int_eq(sprayer(fx, T0 + 4 * HOUR, SLOW, "198.51.100.7", 0,
				 5), 4);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_busy_network)
{
	struct fixture *fx = fixture_new(spread_alone);
	struct lockout_addr addr;
	char user[32];
	unsigned int i;

	/* two accounts logged in from the /24: not busy yet, a sprayer there
	   is banned at its 5th username */
	test_addr("198.51.100.20", &addr);
	for (i = 0; i < 2; i++) {
		snprintf(user, sizeof(user), "staff%u@example.org", i);
		observe_full(fx, T0, &addr, LOCKOUT_OUTCOME_SUCCESS, user, user,
			     0, "imap", "PLAIN");
	}
	ck_assert_int_eq(sprayer(fx, T0 + MINUTE, SLOW, "198.51.100.7", 0, 5),
			 4);
	/* a third account: the /24 is busy (an office NAT, a CGNAT
	   address), its usernames' typos never add up */
	lift_bans(fx);
	fixture_clear(fx);
	observe_full(fx, T0 + 2 * HOUR, &addr, LOCKOUT_OUTCOME_SUCCESS,
		     "staff2@example.org", "staff2@example.org", 0, "imap",
		     "PLAIN");
	ck_assert_int_eq(sprayer(fx, T0 + 2 * HOUR, SLOW, "198.51.100.8", 0,
				 30), -1);
	/* busy for lockout_known_device_time after the successes only */
	ck_assert_int_eq(sprayer(fx, T0 + 2 * HOUR +
				 (int64_t)fx->cfg.known_device_time, SLOW,
				 "198.51.100.9", 100, 5), 4);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_escalation)
{
	struct fixture *fx = fixture_new(spread_alone);
	const struct record *r;

	ck_assert_int_eq(sprayer(fx, T0, SLOW, "192.0.2.1", 0, 5), 4);
	/* the memory starts afresh after the ban: after it, 4 usernames do
	   nothing, the 5th bans for 12 hours */
	fixture_clear(fx);
	ck_assert_int_eq(sprayer(fx, T0 + 7 * HOUR, SLOW, "192.0.2.1", 0, 5),
			 4);
	r = find_decision(fx, LOCKOUT_DECISION_BAN, "ip_spread");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->expires, T0 + 7 * HOUR + 4 * SLOW + 12 * HOUR);
	ck_assert_int_eq(ev_int(r->evidence, "previous_bans"), 1);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_burst)
{
	struct fixture *fx = fixture_new(spread_alone);
	unsigned int i;

	/* a fast list guesser: banned at its 5th username, not its 10th
	   failure */
	ck_assert_int_eq(sprayer(fx, T0, 1, "192.0.2.1", 0, 10), 4);
	ck_assert_int_eq(count_decisions(fx, LOCKOUT_DECISION_BAN, NULL), 1);
	fixture_free(&fx);
	/* a fast guesser on one account: the short rule, at its 10th, as
	   before */
	fx = fixture_new(spread_alone);
	for (i = 0; i < 9; i++) {
		ck_assert_int_eq(observe(fx, T0 + i, "192.0.2.1",
					 LOCKOUT_OUTCOME_MISMATCH,
					 "bob@example.org", i + 1), 0);
	}
	ck_assert_int_eq(observe(fx, T0 + 9, "192.0.2.1",
				 LOCKOUT_OUTCOME_MISMATCH, "bob@example.org",
				 10), 1);
	ck_assert_ptr_nonnull(find_decision(fx, LOCKOUT_DECISION_BAN,
					    "ip_failures"));
	fixture_free(&fx);
}
END_TEST

START_TEST(test_flood)
{
	struct fixture *fx = fixture_new((const char *const[]) {
		"lockout_ip_spread_usernames", "16", "lockout_ip_failures",
		"100", "lockout_ip_long_failures", "0",
		"lockout_ban_time_max", "1 hour",
		"lockout_ip_spread_ban_time", "1 hour",
		"lockout_alert_unknown", "0", NULL });
	/* distinct usernames (no accounts) from one source, one a minute:
	   a fixed memory. Every 16th username reaches the rule; while the
	   hour's ban lasts that is the same burst (no new ban), so a ban
	   every 64, the first at the 16th */
	ck_assert_uint_eq(flood_usernames(fx, "192.0.2.1",
					  LOCKOUT_OUTCOME_UNKNOWN_USER),
			  (FLOOD_COUNT - 16) / 64 + 1);
	fixture_free(&fx);
}
END_TEST

static Suite *policy_spread_suite(void)
{
	Suite *s = suite_create("policy-spread");
	TCase *tc = tcase_create("ip_spread");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_threshold);
	tcase_add_test(tc, test_window);
	tcase_add_test(tc, test_one_person);
	tcase_add_test(tc, test_known_device);
	tcase_add_test(tc, test_busy_network);
	tcase_add_test(tc, test_escalation);
	tcase_add_test(tc, test_burst);
	tcase_add_test(tc, test_flood);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return policy_test_run(policy_spread_suite());
}
