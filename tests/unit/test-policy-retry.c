/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* Retries through a protection (lockout_protect_retries, issue 13): a
   source refused by a protection that tries the same password on the
   account again reaches the password check, once; another password,
   another account, another source, tag 0, the window, failed retries per
   source and per account; off; a flood. */
#include "policy-fixture.h"

#define RIGHT 0x1234U
#define OLD 0x4321U

/* As the auth module and the replay do: check with the password's tag,
   then observe the outcome (refused by the protection, or the password's
   answer: right when tag is RIGHT). Returns the verdict. */
static enum lockout_verdict
attempt(struct fixture *fx, int64_t t, const char *ip, const char *user,
	uint32_t tag)
{
	const struct lockout_banset_entry *ban;
	struct lockout_addr addr;
	enum lockout_verdict verdict;
	enum lockout_outcome outcome;

	test_addr(ip, &addr);
	verdict = lockout_policy_check_password(fx->policy, t, &addr, user,
						tag, &ban);
	ck_assert((verdict == LOCKOUT_VERDICT_BANNED) == (ban != NULL));
	if (verdict == LOCKOUT_VERDICT_PROTECTED)
		outcome = LOCKOUT_OUTCOME_PROTECTED;
	else if (verdict == LOCKOUT_VERDICT_BANNED)
		outcome = LOCKOUT_OUTCOME_REFUSED;
	else
		outcome = tag == RIGHT ? LOCKOUT_OUTCOME_SUCCESS :
			LOCKOUT_OUTCOME_MISMATCH;
	(void)observe(fx, t, ip, outcome, user, tag);
	return verdict;
}

/* bob logged in from home; bob (and alice) protected for a day from T0. */
static struct fixture *protected_bob(const char *const *settings)
{
	struct fixture *fx = fixture_new(settings);

	observe(fx, T0 - DAY, "192.0.2.10", LOCKOUT_OUTCOME_SUCCESS, "bob",
		RIGHT);
	ck_assert_int_eq(lockout_policy_protect(fx->policy, "bob",
						T0 + DAY), 0);
	ck_assert_int_eq(lockout_policy_protect(fx->policy, "alice",
						T0 + DAY), 0);
	return fx;
}

/* The owner at a hotel: refused once, let through at the next poll with
   the same password, and from then on a known device. */
START_TEST(test_owner_retries)
{
	struct fixture *fx = protected_bob(NULL);

	ck_assert_uint_eq(fx->cfg.protect_retries, 1);
	ck_assert_int_eq(attempt(fx, T0, "198.51.100.7", "bob", RIGHT),
			 LOCKOUT_VERDICT_PROTECTED);
	ck_assert_int_eq(attempt(fx, T0 + 30 * MINUTE, "198.51.100.7", "bob",
				 RIGHT), LOCKOUT_VERDICT_ALLOW);
	ck_assert_uint_eq(count_decisions(fx, LOCKOUT_DECISION_KNOWN_DEVICE,
					  NULL), 2);
	ck_assert_int_eq(attempt(fx, T0 + HOUR, "198.51.100.7", "bob", RIGHT),
			 LOCKOUT_VERDICT_ALLOW);
	/* the owner's other devices at the hotel: its /24 is known now */
	ck_assert_int_eq(check(fx, T0 + HOUR, "198.51.100.9", "bob"),
			 LOCKOUT_VERDICT_ALLOW);
	/* the check without a password's tag is as before */
	ck_assert_int_eq(attempt(fx, T0 + HOUR, "203.0.113.8", "bob", RIGHT),
			 LOCKOUT_VERDICT_PROTECTED);
	ck_assert_int_eq(check(fx, T0 + HOUR + 1, "203.0.113.8", "bob"),
			 LOCKOUT_VERDICT_PROTECTED);
	ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_BAN], 0);
	fixture_free(&fx);
}
END_TEST

/* What is not a retry: another password (a guesser), no tag (credentials
   lookup mechanisms), another account, another source, after the window
   (lockout_user_networks_window, 6 hours). */
static const struct {
	int64_t dt;
	const char *ip, *user;
	uint32_t tag;
	enum lockout_verdict expect;
} not_retry[] = {
	{ 10 * MINUTE, "198.51.100.7", "bob", RIGHT + 1,
	  LOCKOUT_VERDICT_PROTECTED },
	{ 10 * MINUTE, "198.51.100.7", "bob", 0, LOCKOUT_VERDICT_PROTECTED },
	{ 10 * MINUTE, "198.51.100.7", "alice", RIGHT,
	  LOCKOUT_VERDICT_PROTECTED },
	{ 10 * MINUTE, "198.51.100.8", "bob", RIGHT,
	  LOCKOUT_VERDICT_PROTECTED },
	{ 6 * HOUR, "198.51.100.7", "bob", RIGHT, LOCKOUT_VERDICT_PROTECTED },
	/* just within the window, and the same password by any case of the
	   name */
	{ 6 * HOUR - 1, "198.51.100.7", "bob", RIGHT, LOCKOUT_VERDICT_ALLOW },
	{ 10 * MINUTE, "198.51.100.7", "Bob", RIGHT, LOCKOUT_VERDICT_ALLOW },
};

START_TEST(test_not_retry)
{
	struct fixture *fx = protected_bob(NULL);

	ck_assert_int_eq(attempt(fx, T0, "198.51.100.7", "bob", RIGHT),
			 LOCKOUT_VERDICT_PROTECTED);
	ck_assert_int_eq(attempt(fx, T0 + not_retry[_i].dt, not_retry[_i].ip,
				 not_retry[_i].user, not_retry[_i].tag),
			 not_retry[_i].expect);
	fixture_free(&fx);
}
END_TEST

/* A guesser's tries: each password once, never through; and a bot that
   repeats every password: one check per source, then refused. */
START_TEST(test_guessers)
{
	struct fixture *fx = protected_bob(NULL);
	unsigned int i, through = 0;
	char ip[32];

	for (i = 0; i < 20; i++) {
		if (attempt(fx, T0 + i * MINUTE, "198.51.100.7", "bob",
			    100 + i) == LOCKOUT_VERDICT_ALLOW)
			through++;
	}
	ck_assert_uint_eq(through, 0);
	/* repeating each password from one source: the first repeat gets
	   through (and fails), nothing more from it */
	for (i = 0; i < 10; i++) {
		if (attempt(fx, T0 + HOUR + i * MINUTE, "198.51.100.9", "bob",
			    200 + i / 2) == LOCKOUT_VERDICT_ALLOW)
			through++;
	}
	ck_assert_uint_eq(through, 1);
	/* the account had its failed retry (lockout_protect_retries 1): no
	   other source's retry gets through within the window */
	for (i = 0; i < 20; i++) {
		snprintf(ip, sizeof(ip), "10.%u.0.1", i);
		(void)attempt(fx, T0 + 2 * HOUR + i * MINUTE, ip, "bob", 300);
		if (attempt(fx, T0 + 2 * HOUR + i * MINUTE + 1, ip, "bob",
			    300) == LOCKOUT_VERDICT_ALLOW)
			through++;
	}
	ck_assert_uint_eq(through, 1);
	/* not even the owner's */
	ck_assert_int_eq(attempt(fx, T0 + 3 * HOUR, "203.0.113.5", "bob",
				 RIGHT), LOCKOUT_VERDICT_PROTECTED);
	ck_assert_int_eq(attempt(fx, T0 + 3 * HOUR + 1, "203.0.113.5", "bob",
				 RIGHT), LOCKOUT_VERDICT_PROTECTED);
	/* the window after the failed retry (T0 + 1 hour 1 minute), they
	   may again */
	ck_assert_int_eq(attempt(fx, T0 + 7 * HOUR + MINUTE - 1,
				 "203.0.113.5", "bob", RIGHT),
			 LOCKOUT_VERDICT_PROTECTED);
	ck_assert_int_eq(attempt(fx, T0 + 7 * HOUR + MINUTE, "203.0.113.5",
				 "bob", RIGHT), LOCKOUT_VERDICT_ALLOW);
	fixture_free(&fx);
}
END_TEST

/* lockout_protect_retries: failed retries per account before none gets
   through; the source of a failed retry gets no other (a stale phone at
   a hotel), even after another refusal; 0 = off. */
static const struct {
	const char *retries;
	unsigned int through;
} retries_cases[] = {
	{ "0", 0 }, { "1", 1 }, { "2", 2 }, { "3", 3 }, { "16", 5 },
};

START_TEST(test_retries)
{
	const char *const settings[] = {
		"lockout_protect_retries", retries_cases[_i].retries, NULL
	};
	struct fixture *fx = protected_bob(settings);
	unsigned int i, through = 0;
	char ip[32];

	for (i = 0; i < 5; i++) {
		snprintf(ip, sizeof(ip), "10.%u.0.1", i);
		ck_assert_int_eq(attempt(fx, T0 + i * MINUTE, ip, "bob", OLD),
				 LOCKOUT_VERDICT_PROTECTED);
		if (attempt(fx, T0 + i * MINUTE + 1, ip, "bob", OLD) ==
		    LOCKOUT_VERDICT_ALLOW)
			through++;
		/* once more from the same source: refused, a retry of the
		   refusal too */
		ck_assert_int_eq(attempt(fx, T0 + i * MINUTE + 2, ip, "bob",
					 OLD), LOCKOUT_VERDICT_PROTECTED);
		ck_assert_int_eq(attempt(fx, T0 + i * MINUTE + 3, ip, "bob",
					 OLD), LOCKOUT_VERDICT_PROTECTED);
	}
	ck_assert_uint_eq(through, retries_cases[_i].through);
	fixture_free(&fx);
}
END_TEST

/* Known, busy and near sources pass as before and are never counted as
   retries: their failures do not close the account. */
START_TEST(test_not_counted)
{
	struct fixture *fx = protected_bob(NULL);

	/* 192.0.2.10 is bob's home: a known device */
	ck_assert_int_eq(attempt(fx, T0, "192.0.2.10", "bob", OLD),
			 LOCKOUT_VERDICT_ALLOW);
	ck_assert_int_eq(attempt(fx, T0 + 1, "192.0.2.10", "bob", OLD),
			 LOCKOUT_VERDICT_ALLOW);
	/* the owner's retry from a hotel still gets through */
	ck_assert_int_eq(attempt(fx, T0 + 2, "198.51.100.7", "bob", RIGHT),
			 LOCKOUT_VERDICT_PROTECTED);
	ck_assert_int_eq(attempt(fx, T0 + 3, "198.51.100.7", "bob", RIGHT),
			 LOCKOUT_VERDICT_ALLOW);
	fixture_free(&fx);
}
END_TEST

/* A flood of refusals, each from a source of its own, each retried,
   within the window: fixed memory, and with lockout_protect_retries 1 one
   check in all. */
START_TEST(test_flood)
{
	struct fixture *fx = protected_bob(NULL);
	struct lockout_addr addr;
	unsigned int i, through = 0;
	size_t memory = 0;
	char ip[LOCKOUT_ADDR_STRLEN];

	for (i = 0; i < FLOOD_COUNT; i++) {
		addr4(0x0a000000U + i, &addr);
		lockout_addr_to_str(&addr, ip);
		(void)attempt(fx, T0 + i / 8, ip, "bob", 1000 + i);
		if (attempt(fx, T0 + i / 8, ip, "bob", 1000 + i) ==
		    LOCKOUT_VERDICT_ALLOW)
			through++;
		if (i == 1000)
			memory = lockout_policy_memory(fx->policy);
	}
	ck_assert_uint_eq(through, 1);
	ck_assert_uint_eq(lockout_policy_memory(fx->policy), memory);
	fixture_free(&fx);
}
END_TEST

static Suite *policy_retry_suite(void)
{
	Suite *s = suite_create("policy-retry");
	TCase *tc = tcase_create("protect_retries");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_owner_retries);
	tcase_add_loop_test(tc, test_not_retry, 0,
			    (int)N_ELEMENTS(not_retry));
	tcase_add_test(tc, test_guessers);
	tcase_add_loop_test(tc, test_retries, 0,
			    (int)N_ELEMENTS(retries_cases));
	tcase_add_test(tc, test_not_counted);
	tcase_add_test(tc, test_flood);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return policy_test_run(policy_retry_suite());
}
