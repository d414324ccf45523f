/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The policy engine's negative cache of unknown usernames (rule
   unknown_names, issue 13): a name the passdb called unknown is refused
   before the lookup for lockout_unknown_names_time, counted as the
   unknown user it is; what makes the cache forget a name (time, a
   success), the networks it never refuses, the rule off, a flood of
   distinct names in a fixed table. And the check's other question after
   the protection: a suspect of the unknown-user alert trying another
   person is refused before the password check (rule unknown_alert). */
#include "policy-fixture.h"

#define GHOST "ghost@example.org"

/* The verdict of lockout_policy_check() for name from ip at t. */
#define VERDICT_IS(v, fx, t, ip, name) \
	ck_assert_int_eq(check(fx, t, ip, name), LOCKOUT_VERDICT_##v)
#define REFUSED(fx, t, ip, name) VERDICT_IS(UNKNOWN_NAME, fx, t, ip, name)
#define GOES_ON(fx, t, ip, name) VERDICT_IS(ALLOW, fx, t, ip, name)
#define BANNED(fx, t, ip, name) VERDICT_IS(BANNED, fx, t, ip, name)

/* A name the passdb called unknown from 198.18.0.1 at time. */
static void teach(struct fixture *fx, int64_t time, const char *name)
{
	ck_assert_int_ge(observe(fx, time, "198.18.0.1",
				 LOCKOUT_OUTCOME_UNKNOWN_USER, name, 1), 0);
}

START_TEST(test_defaults)
{
	struct fixture *fx = fixture_new(NULL), *off, *small;
	size_t extra;

	ck_assert_uint_eq(fx->cfg.unknown_names, 16384);
	ck_assert_uint_eq(fx->cfg.unknown_names_time, DAY);
	/* 16,384 slots of 16 bytes (a hash and a time) */
	off = fixture_new((const char *const[]) {
		"lockout_unknown_names", "0", NULL });
	extra = lockout_policy_memory(fx->policy) -
		lockout_policy_memory(off->policy);
	fprintf(stderr, "unknown names memory: %zu bytes (engine %zu)\n",
		extra, lockout_policy_memory(fx->policy));
	ck_assert_uint_ge(extra, 16384 * 16);
	ck_assert_uint_le(extra, 16384 * 16 + 64);
	/* rounded up to a power of two: 5 is 8 slots */
	small = fixture_new((const char *const[]) {
		"lockout_unknown_names", "5", NULL });
	ck_assert_uint_ge(lockout_policy_memory(small->policy) -
			  lockout_policy_memory(off->policy), 8 * 16);
	ck_assert_uint_le(lockout_policy_memory(small->policy) -
			  lockout_policy_memory(off->policy), 8 * 16 + 64);
	/* off: nothing is refused */
	teach(off, T0, GHOST);
	GOES_ON(off, T0 + 1, "198.18.1.1", GHOST);
	fixture_free(&small);
	fixture_free(&off);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_refused)
{
	struct fixture *fx = fixture_new(NULL);

	/* before the passdb said so, nothing */
	GOES_ON(fx, T0, "198.18.1.1", GHOST);
	teach(fx, T0, GHOST);
	/* from any other source, in any case: refused before the lookup */
	REFUSED(fx, T0 + 1, "198.18.1.1", GHOST);
	REFUSED(fx, T0 + 1, "2001:db8:5::1", "Ghost@Example.ORG");
	/* other names, and no name, go on */
	GOES_ON(fx, T0 + 1, "198.18.1.1", "ghost");
	GOES_ON(fx, T0 + 1, "198.18.1.1", "bob@example.org");
	GOES_ON(fx, T0 + 1, "198.18.1.1", NULL);
	GOES_ON(fx, T0 + 1, "198.18.1.1", "");
	/* a wrong password is no unknown name, nor a refusal */
	ck_assert_int_eq(observe(fx, T0 + 2, "198.18.0.2",
				 LOCKOUT_OUTCOME_MISMATCH, "bob@example.org",
				 2), 0);
	ck_assert_int_eq(observe(fx, T0 + 3, "198.18.0.2",
				 LOCKOUT_OUTCOME_REFUSED, "carol@example.org",
				 2), 0);
	GOES_ON(fx, T0 + 4, "198.18.1.1", "bob@example.org");
	GOES_ON(fx, T0 + 4, "198.18.1.1", "carol@example.org");
	/* a ban comes first */
	fixture_free(&fx);
	fx = fixture_new(one_failure);
	teach(fx, T0, GHOST);
	BANNED(fx, T0 + 1, "198.18.0.1", GHOST);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_time)
{
	struct fixture *fx = fixture_new(NULL);

	teach(fx, T0, GHOST);
	/* a refusal observed does not renew the name */
	ck_assert_int_ge(observe(fx, T0 + HOUR, "198.18.1.1",
				 LOCKOUT_OUTCOME_UNKNOWN_NAME, GHOST, 1), 0);
	REFUSED(fx, T0 + DAY - 1, "198.18.1.1", GHOST);
	/* lockout_unknown_names_time after the passdb said it: asked again */
	GOES_ON(fx, T0 + DAY, "198.18.1.1", GHOST);
	/* which renews it */
	teach(fx, T0 + DAY, GHOST);
	REFUSED(fx, T0 + 2 * DAY - 1, "198.18.1.1", GHOST);
	fixture_free(&fx);

	fx = fixture_new((const char *const[]) {
		"lockout_unknown_names_time", "10 mins", NULL });
	teach(fx, T0, GHOST);
	REFUSED(fx, T0 + 10 * MINUTE - 1, "198.18.1.1", GHOST);
	GOES_ON(fx, T0 + 10 * MINUTE, "198.18.1.1", GHOST);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_success_and_networks)
{
	static const char *const homes[] = {
		"192.0.2.10", "2001:db8:7:1::10"
	};
	struct fixture *fx = fixture_new(NULL);
	unsigned int i;

	/* the account is created and its owner logs in through the webmail
	   (an allowed network, never refused by the cache): forgotten */
	teach(fx, T0, GHOST);
	GOES_ON(fx, T0 + 1, "127.0.0.1", GHOST);
	ck_assert_int_ge(observe(fx, T0 + 2, "127.0.0.1",
				 LOCKOUT_OUTCOME_SUCCESS, GHOST, 3), 0);
	GOES_ON(fx, T0 + 3, "198.18.1.1", GHOST);

	teach(fx, T0 + 4, GHOST);
	/* somebody logs in from the office's /24 (and a home's /64): a new
	   account's owner there is not refused */
	for (i = 0; i < N_ELEMENTS(homes); i++) {
		ck_assert_int_ge(observe(fx, T0 + 5, homes[i],
					 LOCKOUT_OUTCOME_SUCCESS,
					 "bob@example.org", 3), 0);
	}
	GOES_ON(fx, T0 + 6, "192.0.2.77", GHOST);
	GOES_ON(fx, T0 + 6, "2001:db8:7:1::99", GHOST);
	/* the next /24 and /64 are not those networks */
	REFUSED(fx, T0 + 6, "192.0.3.77", GHOST);
	REFUSED(fx, T0 + 6, "2001:db8:7:2::99", GHOST);
	fixture_free(&fx);
}
END_TEST

/* What the rules decide for n failures from ip on name, observed as
   outcome, one a second from T0. */
static unsigned int failures_as(enum lockout_outcome outcome,
				const char *ip, const char *name,
				unsigned int n, char rule_r[64])
{
	struct fixture *fx = fixture_new((const char *const[]) {
		"lockout_unknown_names", "0", NULL });
	const struct record *r;
	unsigned int i, decisions;

	for (i = 0; i < n; i++)
		(void)observe(fx, T0 + i, ip, outcome, name, i + 1);
	decisions = fx->decisions;
	r = find_decision(fx, LOCKOUT_DECISION_BAN, NULL);
	snprintf(rule_r, 64, "%s", r == NULL ? "" : r->rule);
	fixture_free(&fx);
	return decisions;
}

START_TEST(test_counted_as_unknown)
{
	char rule_user[64], rule_name[64];

	/* every rule counts a refusal by the cache as the unknown user the
	   lookup would have given: a targeted name bans at once, ten
	   failures ban by ip_failures */
	ck_assert_uint_eq(failures_as(LOCKOUT_OUTCOME_UNKNOWN_NAME,
				      "198.18.0.1", "admin", 1, rule_name),
			  failures_as(LOCKOUT_OUTCOME_UNKNOWN_USER,
				      "198.18.0.1", "admin", 1, rule_user));
	ck_assert_str_eq(rule_name, "targeted_unknown");
	ck_assert_str_eq(rule_name, rule_user);
	ck_assert_uint_eq(failures_as(LOCKOUT_OUTCOME_UNKNOWN_NAME,
				      "198.18.0.1", GHOST, 10, rule_name),
			  failures_as(LOCKOUT_OUTCOME_UNKNOWN_USER,
				      "198.18.0.1", GHOST, 10, rule_user));
	ck_assert_str_eq(rule_name, "ip_failures");
	ck_assert_str_eq(rule_name, rule_user);
	ck_assert_uint_eq(failures_as(LOCKOUT_OUTCOME_UNKNOWN_NAME,
				      "198.18.0.1", GHOST, 9, rule_name), 0);
	ck_assert_str_eq(lockout_outcome_to_str(LOCKOUT_OUTCOME_UNKNOWN_NAME),
			 "unknown_name");
}
END_TEST

/* Three unknown-user failures (lockout_alert_unknown 3): 198.18.0.1 fails
   before the alert (no suspect), the third starts it and 198.18.0.3 is a
   suspect (its last person: jhon). */
static void start_alert(struct fixture *fx)
{
	teach(fx, T0, "former1@example.org");
	ck_assert_int_ge(observe(fx, T0 + 1, "198.18.0.2",
				 LOCKOUT_OUTCOME_UNKNOWN_USER,
				 "former2@example.org", 1), 0);
	ck_assert_int_eq(observe(fx, T0 + 2, "198.18.0.3",
				 LOCKOUT_OUTCOME_UNKNOWN_USER, "jhon@example.org",
				 1), 1);
}

START_TEST(test_alert_suspect)
{
	struct fixture *fx = fixture_new((const char *const[]) {
		"lockout_alert_unknown", "3", "lockout_ip_spread_usernames",
		"0", "lockout_ip_long_failures", "0", NULL });
	const struct record *r;

	start_alert(fx);
	GOES_ON(fx, T0 + 3, "198.18.0.1", "bob@example.org");
	/* the suspect: its own name's typos go on, another person is
	   refused before the password check (its failure would ban it) */
	GOES_ON(fx, T0 + 3, "198.18.0.3", "john@example.org");
	GOES_ON(fx, T0 + 3, "198.18.0.3", "JHON");
	VERDICT_IS(SUSPECT, fx, T0 + 3, "198.18.0.3", "bob@example.org");
	VERDICT_IS(SUSPECT, fx, T0 + 2 + 10 * MINUTE - 1, "198.18.0.3",
		   "bob@example.org");
	/* lockout_ip_window after its last failure: no longer */
	GOES_ON(fx, T0 + 2 + 10 * MINUTE, "198.18.0.3", "bob@example.org");
	/* the refusal observed is the failure that bans it */
	ck_assert_int_eq(observe(fx, T0 + 4, "198.18.0.3",
				 LOCKOUT_OUTCOME_SUSPECT, "bob@example.org", 2),
			 1);
	r = find_decision(fx, LOCKOUT_DECISION_BAN, "unknown_alert");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->target, "198.18.0.3");
	BANNED(fx, T0 + 5, "198.18.0.3", "bob@example.org");
	ck_assert_str_eq(lockout_outcome_to_str(LOCKOUT_OUTCOME_SUSPECT),
			 "suspect");
	fixture_free(&fx);

	/* lockout_alert_refuse = no: the suspect's try on another person is
	   checked; its failure bans it as before */
	fx = fixture_new((const char *const[]) {
		"lockout_alert_unknown", "3", "lockout_alert_refuse", "no",
		"lockout_ip_spread_usernames", "0", "lockout_ip_long_failures",
		"0", NULL });
	start_alert(fx);
	GOES_ON(fx, T0 + 3, "198.18.0.3", "bob@example.org");
	ck_assert_int_eq(observe(fx, T0 + 4, "198.18.0.3",
				 LOCKOUT_OUTCOME_MISMATCH,
				 "bob@example.org", 2), 1);
	r = find_decision(fx, LOCKOUT_DECISION_BAN, "unknown_alert");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->target, "198.18.0.3");
	BANNED(fx, T0 + 5, "198.18.0.3", "bob@example.org");
	fixture_free(&fx);

	/* the alert off: nobody is a suspect */
	fx = fixture_new((const char *const[]) {
		"lockout_alert_unknown", "0", NULL });
	teach(fx, T0, "former1@example.org");
	GOES_ON(fx, T0 + 1, "198.18.0.1", "bob@example.org");
	fixture_free(&fx);
}
END_TEST

START_TEST(test_flood)
{
	struct fixture *fx = fixture_new((const char *const[]) {
		"lockout_ip_failures", "100", "lockout_ip_spread_usernames",
		"0", "lockout_ip_long_failures", "0", "lockout_alert_unknown",
		"0", "lockout_net_ban_hosts", "0", NULL });
	struct lockout_addr addr;
	const struct lockout_banset_entry *ban;
	char name[32];
	size_t memory = 0;
	unsigned int i, refused = 0;

	/* FLOOD_COUNT distinct unknown names: the table overwrites its
	   oldest names, it never grows; the newest are all refused */
	for (i = 0; i < FLOOD_COUNT; i++) {
		addr4(0xc6120000U + i, &addr);
		snprintf(name, sizeof(name), "former%u@example.org", i);
		REQUIRE(observe_full(fx, T0 + i, &addr,
				     LOCKOUT_OUTCOME_UNKNOWN_USER, name, name,
				     1, "imap", "PLAIN") >= 0, "observe");
		if (i == 1000)
			memory = lockout_policy_memory(fx->policy);
	}
	ck_assert_uint_eq(lockout_policy_memory(fx->policy), memory);
	test_addr("203.0.113.1", &addr);
	for (i = 0; i < FLOOD_COUNT; i++) {
		snprintf(name, sizeof(name), "former%u@example.org", i);
		if (lockout_policy_check(fx->policy, T0 + FLOOD_COUNT, &addr,
					 name, &ban) ==
		    LOCKOUT_VERDICT_UNKNOWN_NAME)
			refused++;
	}
	/* at most the table's 16,384; most of them */
	fprintf(stderr, "flood: %u of %u names still refused\n", refused,
		FLOOD_COUNT);
	ck_assert_uint_le(refused, 16384);
	ck_assert_uint_ge(refused, 12000);
	for (i = FLOOD_COUNT - 100; i < FLOOD_COUNT; i++) {
		snprintf(name, sizeof(name), "former%u@example.org", i);
		REFUSED(fx, T0 + FLOOD_COUNT, "203.0.113.1", name);
	}
	fixture_free(&fx);
}
END_TEST

static Suite *policy_names_suite(void)
{
	Suite *s = suite_create("policy-names");
	TCase *tc = tcase_create("unknown_names");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_time);
	tcase_add_test(tc, test_success_and_networks);
	tcase_add_test(tc, test_counted_as_unknown);
	tcase_add_test(tc, test_alert_suspect);
	tcase_add_test(tc, test_flood);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return policy_test_run(policy_names_suite());
}
