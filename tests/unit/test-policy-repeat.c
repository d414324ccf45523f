/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* Repeats over hours (issue 13): a (source, username, password) pair that
   failed within lockout_ip_long_window counts once, also past
   lockout_ip_window: the office NAT after a change of passwords, its
   stale clients polling every half hour; new pairs at the threshold still
   ban; after the window a pair counts again; no tag, every failure; a
   flood of pairs. */
#include "policy-fixture.h"

/* The short rule alone. */
static const char *const short_alone[] = {
	"lockout_ip_long_failures", "0", "lockout_ip_spread_usernames", "0",
	"lockout_alert_unknown", "0", "lockout_user_networks", "0", NULL
};

#define OFFICE "203.0.113.10"

/* users first .. first + n - 1 fail from ip, a minute apart from start,
   each with the old password of its own (tag 1000 + user); returns the
   bans made. */
static unsigned int fails_from(struct fixture *fx, const char *ip,
			       int64_t start, unsigned int first,
			       unsigned int n)
{
	unsigned int i, bans = fx->by_type[LOCKOUT_DECISION_BAN];
	char user[32];

	for (i = 0; i < n; i++) {
		snprintf(user, sizeof(user), "user%u", first + i);
		(void)observe(fx, start + (int64_t)i * MINUTE, ip,
			      LOCKOUT_OUTCOME_MISMATCH, user, 1000 + first + i);
	}
	return fx->by_type[LOCKOUT_DECISION_BAN] - bans;
}

static unsigned int office_fails(struct fixture *fx, int64_t start,
				 unsigned int first, unsigned int n)
{
	return fails_from(fx, OFFICE, start, first, n);
}

/* The office: 9 stale clients fail, then poll again every 30 minutes for
   a day, and one new one joins them at each of the first 16 polls: never
   10 new pairs within 10 minutes, never banned (before: at the first poll
   again, 10 failures within 10 minutes). */
START_TEST(test_office)
{
	struct fixture *fx = fixture_new(short_alone);
	const struct record *r;
	unsigned int poll, bans = 0;

	ck_assert_uint_eq(office_fails(fx, T0, 0, 9), 0);
	for (poll = 1; poll < 48; poll++) {
		bans += office_fails(fx, T0 + poll * 30 * MINUTE, 0,
				     poll < 16 ? 9 + poll : 25);
	}
	ck_assert_uint_eq(bans, 0);
	/* polls every 30 minutes: not reported as stale clients (repeats
	   within lockout_ip_window are) */
	ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_NOTABLE], 0);
	/* 10 new pairs within 10 minutes still ban */
	fixture_clear(fx);
	ck_assert_uint_eq(office_fails(fx, T0 + DAY, 100, 10), 1);
	r = find_decision(fx, LOCKOUT_DECISION_BAN, "ip_failures");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->time, T0 + DAY + 9 * MINUTE);
	ev_basic(r);
	ck_assert_int_ge(ev_int(r->evidence, "repeated_failures"), 9 * 47);
	fixture_free(&fx);
}
END_TEST

/* Just below and at the threshold with repeats mixed in: 9 new pairs and
   any number of old ones within 10 minutes do not ban, a 10th new one
   does; a pair counts again once lockout_ip_long_window (1 day) has
   passed since its last failure. */
START_TEST(test_threshold)
{
	struct fixture *fx = fixture_new(short_alone);

	ck_assert_uint_eq(office_fails(fx, T0, 0, 9), 0);
	/* an hour later: the 9 again and 9 new: 9 new within 10 minutes */
	ck_assert_uint_eq(office_fails(fx, T0 + HOUR, 0, 9), 0);
	ck_assert_uint_eq(office_fails(fx, T0 + HOUR + 9 * MINUTE, 9, 1), 0);
	ck_assert_uint_eq(office_fails(fx, T0 + HOUR + 10 * MINUTE, 10, 8), 0);
	/* an hour later: 5 old ones, 9 new, and a 10th new one within 10
	   minutes of them */
	ck_assert_uint_eq(office_fails(fx, T0 + 2 * HOUR, 0, 5), 0);
	ck_assert_uint_eq(office_fails(fx, T0 + 2 * HOUR + 5 * MINUTE, 20, 9),
			  0);
	ck_assert_uint_eq(office_fails(fx, T0 + 2 * HOUR + 14 * MINUTE, 40,
				       1), 1);
	lift_bans(fx);
	fixture_clear(fx);
	/* a day after their last failure, the old pairs count again */
	ck_assert_uint_eq(office_fails(fx, T0 + 3 * DAY, 0, 9), 0);
	ck_assert_uint_eq(office_fails(fx, T0 + 3 * DAY + 9 * MINUTE, 20, 1),
			  1);
	fixture_free(&fx);
}
END_TEST

/* A guesser: a new password every time, on one account, every 20
   seconds: banned at the 10th as before; with no password tag (a
   credentials lookup mechanism) every failure counts, repeats too. */
START_TEST(test_guesser)
{
	struct fixture *fx = fixture_new(short_alone);
	unsigned int i;

	for (i = 0; i < 9; i++) {
		ck_assert_int_eq(observe(fx, T0 + i * 20, "192.0.2.7",
					 LOCKOUT_OUTCOME_MISMATCH, "bob",
					 100 + i), 0);
	}
	ck_assert_int_eq(observe(fx, T0 + 180, "192.0.2.7",
				 LOCKOUT_OUTCOME_MISMATCH, "bob", 109), 1);
	for (i = 0; i < 9; i++) {
		ck_assert_int_eq(observe(fx, T0 + HOUR + i * 20 * MINUTE,
					 "192.0.2.8", LOCKOUT_OUTCOME_MISMATCH,
					 "bob", 0), 0);
	}
	for (i = 0; i < 9; i++) {
		ck_assert_int_eq(observe(fx, T0 + 5 * HOUR + i * 20,
					 "192.0.2.8", LOCKOUT_OUTCOME_MISMATCH,
					 "bob", 0), 0);
	}
	ck_assert_int_eq(observe(fx, T0 + 5 * HOUR + 180, "192.0.2.8",
				 LOCKOUT_OUTCOME_MISMATCH, "bob", 0), 1);
	fixture_free(&fx);
}
END_TEST

/* Pairs are per source: the office's pairs from another address are new
   there. */
START_TEST(test_per_source)
{
	struct fixture *fx = fixture_new(short_alone);

	ck_assert_uint_eq(office_fails(fx, T0, 0, 10), 1);
	ck_assert_uint_eq(fails_from(fx, "192.0.2.200", T0 + HOUR, 0, 9), 0);
	ck_assert_uint_eq(fails_from(fx, "192.0.2.200", T0 + HOUR + 9 * MINUTE,
				     9, 1), 1);
	fixture_free(&fx);
}
END_TEST

/* A pair a protection refused never reached the password check: tried
   again once the protection is over, it is a new guess and counts. */
START_TEST(test_refused_pairs)
{
	struct fixture *fx = fixture_new(short_alone);
	unsigned int i;

	ck_assert_int_eq(lockout_policy_protect(fx->policy, "bob",
						T0 + 30 * MINUTE), 0);
	for (i = 0; i < 9; i++) {
		ck_assert_int_eq(check(fx, T0 + i * MINUTE, "192.0.2.7", "bob"),
				 LOCKOUT_VERDICT_PROTECTED);
		ck_assert_int_eq(observe(fx, T0 + i * MINUTE, "192.0.2.7",
					 LOCKOUT_OUTCOME_PROTECTED, "bob",
					 100 + i), 0);
	}
	for (i = 0; i < 9; i++) {
		ck_assert_int_eq(observe(fx, T0 + HOUR + i * 20, "192.0.2.7",
					 LOCKOUT_OUTCOME_MISMATCH, "bob",
					 100 + i), 0);
	}
	ck_assert_int_eq(observe(fx, T0 + HOUR + 180, "192.0.2.7",
				 LOCKOUT_OUTCOME_MISMATCH, "bob", 109), 1);
	fixture_free(&fx);
}
END_TEST

/* The rules with memories of their own still ban at a repeated pair: a
   sprayer back with the same list and password after its ip_spread ban is
   banned again at the same username (defaults). */
START_TEST(test_spread_still_bans)
{
	struct fixture *fx = fixture_new(NULL);
	unsigned int round, i, at;
	char user[32];

	for (round = 0; round < 2; round++) {
		at = 100;
		for (i = 0; i < 4 && at == 100; i++) {
			snprintf(user, sizeof(user), "user%u", i);
			if (observe(fx, T0 + round * 7 * HOUR + i * 20 * MINUTE,
				    "192.0.2.9", LOCKOUT_OUTCOME_MISMATCH, user,
				    1000) > 0)
				at = i;
		}
		ck_assert_uint_eq(at, 3);
		ck_assert_ptr_nonnull(find_decision(fx, LOCKOUT_DECISION_BAN,
						    "ip_spread"));
		lift_bans(fx);
		fixture_clear(fx);
	}
	fixture_free(&fx);
}
END_TEST

/* A flood of distinct pairs from many sources: fixed memory. */
START_TEST(test_flood)
{
	struct fixture *fx = fixture_new(short_alone);
	struct lockout_addr addr;
	size_t memory = 0;
	unsigned int i;
	char user[32];

	ck_assert_uint_eq(office_fails(fx, T0, 0, 9), 0);
	for (i = 0; i < FLOOD_COUNT; i++) {
		addr4(0x0a000000U + i / 8, &addr);
		snprintf(user, sizeof(user), "u%u", i);
		(void)observe_full(fx, T0 + HOUR + i / 100, &addr,
				   LOCKOUT_OUTCOME_MISMATCH, user, NULL,
				   i + 1, "imap", "PLAIN");
		if (i == 1000)
			memory = lockout_policy_memory(fx->policy);
	}
	ck_assert_uint_eq(lockout_policy_memory(fx->policy), memory);
	ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_BAN], 0);
	fixture_free(&fx);
}
END_TEST

static Suite *policy_repeat_suite(void)
{
	Suite *s = suite_create("policy-repeat");
	TCase *tc = tcase_create("repeats");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_office);
	tcase_add_test(tc, test_threshold);
	tcase_add_test(tc, test_guesser);
	tcase_add_test(tc, test_per_source);
	tcase_add_test(tc, test_refused_pairs);
	tcase_add_test(tc, test_spread_still_bans);
	tcase_add_test(tc, test_flood);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return policy_test_run(policy_repeat_suite());
}
