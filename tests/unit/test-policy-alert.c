/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The policy engine's unknown-user alert (rule unknown_alert, issue 13):
   the server-wide threshold and window, its start and end events, the
   second person of a suspect, one person's typos, networks with
   successes, the rule off, a flood of sources. */
#include "policy-fixture.h"

/* lockout-policy-alert.c (the engine's private header is not the tests'):
   one person's spellings */
bool policy_alert_same_person(const char *a, const char *b);

/* The rule alone (ip_spread and ip_long off, so that what bans is this
   rule and nothing else). */
static const char *const alert_alone[] = {
	"lockout_ip_spread_usernames", "0", "lockout_ip_long_failures", "0",
	NULL
};

/* n unknown-user failures, one from each of the addresses 198.18.<k>.1
   for k = first .. first + n - 1, every step seconds from start; returns
   the decisions made. */
static unsigned int campaign(struct fixture *fx, int64_t start, int step,
			     unsigned int first, unsigned int n)
{
	char ip[32], user[32];
	unsigned int i, decisions = 0;

	for (i = 0; i < n; i++) {
		snprintf(ip, sizeof(ip), "198.18.%u.1", first + i);
		snprintf(user, sizeof(user), "former%u@example.org",
			 first + i);
		decisions += (unsigned int)observe(fx, start + (int64_t)i *
						   step, ip,
						   LOCKOUT_OUTCOME_UNKNOWN_USER,
						   user, i + 1);
	}
	return decisions;
}

/* The last decision of type and rule, which must be about target. */
static const struct record *
decided(const struct fixture *fx, enum lockout_decision_type type,
	const char *rule, const char *target)
{
	const struct record *r = find_decision(fx, type, rule);

	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->target, target);
	ev_basic(r);
	return r;
}

START_TEST(test_defaults)
{
	struct fixture *fx = fixture_new(NULL), *off;
	size_t extra;

	ck_assert_uint_eq(fx->cfg.alert_unknown, 20);
	ck_assert_uint_eq(fx->cfg.alert_window, HOUR);
	/* the alert's memory: 20 times and a table of 4,096 sources (32
	   bytes each, and the table's keys and use order) */
	off = fixture_new((const char *const[]) {
		"lockout_alert_unknown", "0", NULL });
	extra = lockout_policy_memory(fx->policy) -
		lockout_policy_memory(off->policy);
	fprintf(stderr, "alert memory: %zu bytes (engine %zu)\n", extra,
		lockout_policy_memory(fx->policy));
	ck_assert_uint_ge(extra, 4096 * 32 + 20 * 4);
	ck_assert_uint_le(extra, 256 * 1024);
	fixture_free(&off);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_threshold)
{
	struct fixture *fx = fixture_new(alert_alone);
	const struct record *r;

	/* 19 unknown users within the hour: no alert, and a source failing
	   on an unknown user and then another account is nothing */
	ck_assert_uint_eq(campaign(fx, T0, MINUTE, 0, 19), 0);
	ck_assert_int_eq(observe(fx, T0 + 19 * MINUTE, "192.0.2.1",
				 LOCKOUT_OUTCOME_MISMATCH, "bob@example.org",
				 7), 0);
	ck_assert_uint_eq(fx->decisions, 0);
	/* the 20th starts the alert (an event); its source is a suspect,
	   but one unknown user does not ban it */
	ck_assert_uint_eq(campaign(fx, T0 + 20 * MINUTE, MINUTE, 19, 1), 1);
	r = decided(fx, LOCKOUT_DECISION_NOTABLE, "alert_started",
		    "198.18.19.1");
	ck_assert_int_eq(r->failures, 20);
	ck_assert_int_eq(ev_int(r->evidence, "threshold"), 20);
	ck_assert_int_eq(ev_int(r->evidence, "window"), HOUR);
	ck_assert_int_eq(check(fx, T0 + 20 * MINUTE + 1, "198.18.19.1",
			       NULL), LOCKOUT_VERDICT_ALLOW);
	/* its failure on a second person within lockout_ip_window bans it */
	ck_assert_int_eq(observe(fx, T0 + 25 * MINUTE, "198.18.19.1",
				 LOCKOUT_OUTCOME_MISMATCH, "carol@example.org",
				 8), 1);
	r = decided(fx, LOCKOUT_DECISION_BAN, "unknown_alert", "198.18.19.1");
	ck_assert_int_eq(r->failures, 2);
	ck_assert_int_eq(r->expires, T0 + 25 * MINUTE + HOUR);
	ck_assert_int_eq(ev_int(r->evidence, "threshold"), 2);
	ck_assert_int_eq(ev_int(r->evidence, "window"), 10 * MINUTE);
	ck_assert_int_eq(check(fx, T0 + 25 * MINUTE + 1, "198.18.19.1",
			       NULL), LOCKOUT_VERDICT_BANNED);
	/* the alert started once */
	ck_assert_uint_eq(count_decisions(fx, LOCKOUT_DECISION_NOTABLE,
					  "alert_started"), 1);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_second_person)
{
	struct fixture *fx = fixture_new(alert_alone);

	ck_assert_uint_eq(campaign(fx, T0, MINUTE, 0, 20), 1);
	fixture_clear(fx);
	/* a source failing on an account first, an unknown user next: the
	   unknown user makes it a suspect, and it is the second person */
	ck_assert_int_eq(observe(fx, T0 + 20 * MINUTE, "192.0.2.1",
				 LOCKOUT_OUTCOME_MISMATCH, "bob@example.org",
				 1), 0);
	ck_assert_int_eq(observe(fx, T0 + 21 * MINUTE, "192.0.2.1",
				 LOCKOUT_OUTCOME_UNKNOWN_USER,
				 "ghost@example.org", 2), 1);
	ck_assert_ptr_nonnull(find_decision(fx, LOCKOUT_DECISION_BAN,
					    "unknown_alert"));
	/* the second person lockout_ip_window later: not banned */
	fixture_clear(fx);
	ck_assert_int_eq(observe(fx, T0 + 22 * MINUTE, "192.0.2.2",
				 LOCKOUT_OUTCOME_UNKNOWN_USER,
				 "ghost2@example.org", 3), 0);
	ck_assert_int_eq(observe(fx, T0 + 32 * MINUTE, "192.0.2.2",
				 LOCKOUT_OUTCOME_MISMATCH, "bob@example.org",
				 4), 0);
	/* ...but just within it, it is */
	ck_assert_int_eq(observe(fx, T0 + 42 * MINUTE - 1, "192.0.2.2",
				 LOCKOUT_OUTCOME_MISMATCH, "carol@example.org",
				 5), 1);
	/* failures on accounts only (no unknown user during the alert):
	   never a suspect */
	fixture_clear(fx);
	ck_assert_int_eq(observe(fx, T0 + 43 * MINUTE, "192.0.2.3",
				 LOCKOUT_OUTCOME_MISMATCH, "bob@example.org",
				 6), 0);
	ck_assert_int_eq(observe(fx, T0 + 44 * MINUTE, "192.0.2.3",
				 LOCKOUT_OUTCOME_MISMATCH, "carol@example.org",
				 7), 0);
	ck_assert_uint_eq(fx->decisions, 0);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_one_person)
{
	static const char *const typos[] = {
		"bbo@example.org", "bob", "Bob@example.org", "bo@example.org",
		"bob", "bobb", "BOB@example.net", "bop",
	};
	struct fixture *fx = fixture_new(alert_alone);
	unsigned int i;

	ck_assert_uint_eq(campaign(fx, T0, MINUTE, 0, 20), 1);
	fixture_clear(fx);
	/* a new device at a new network during the alert: the owner
	   mistypes the username (unknown), then the password, in every
	   spelling: one person, never banned */
	for (i = 0; i < N_ELEMENTS(typos); i++) {
		ck_assert_int_eq(observe(fx, T0 + 20 * MINUTE + i, "192.0.2.1",
					 i == 0 ?
					 LOCKOUT_OUTCOME_UNKNOWN_USER :
					 LOCKOUT_OUTCOME_MISMATCH, typos[i],
					 i + 1), 0);
	}
	ck_assert_uint_eq(fx->decisions, 0);
	ck_assert(policy_alert_same_person("bob", "bob"));
	ck_assert(policy_alert_same_person("bob", "bbo"));
	ck_assert(policy_alert_same_person("bob", "bo"));
	ck_assert(policy_alert_same_person("bo", "bob"));
	ck_assert(policy_alert_same_person("bob", "boob"));
	ck_assert(policy_alert_same_person("", "b"));
	ck_assert(!policy_alert_same_person("bob", "carol"));
	ck_assert(!policy_alert_same_person("bob", "obo"));
	ck_assert(!policy_alert_same_person("bob", "b"));
	ck_assert(policy_alert_same_person("anna", "nana"));
	ck_assert(!policy_alert_same_person("anna", "hannah"));
	fixture_free(&fx);
}
END_TEST

START_TEST(test_network_with_success)
{
	struct fixture *fx = fixture_new(alert_alone);
	struct lockout_addr addr;
	char ip[32], user[32];
	unsigned int i;

	/* a CGNAT /24 and an IPv6 /64 where our users logged in: their
	   unknown users (typos) never count, their sources are never
	   suspects */
	test_addr("100.64.1.1", &addr);
	observe_full(fx, T0, &addr, LOCKOUT_OUTCOME_SUCCESS,
		     "bob@example.org", "bob@example.org", 0, "imap", "PLAIN");
	test_addr("2001:db8:7::1", &addr);
	observe_full(fx, T0, &addr, LOCKOUT_OUTCOME_SUCCESS,
		     "carol@example.org", "carol@example.org", 0, "imap",
		     "PLAIN");
	fixture_clear(fx);
	for (i = 0; i < 40; i++) {
		snprintf(ip, sizeof(ip), "100.64.1.%u", 10 + i);
		snprintf(user, sizeof(user), "typo%u", i);
		ck_assert_int_eq(observe(fx, T0 + i, ip,
					 LOCKOUT_OUTCOME_UNKNOWN_USER, user,
					 i + 1), 0);
	}
	ck_assert_uint_eq(fx->decisions, 0);
	/* during an alert */
	ck_assert_uint_eq(campaign(fx, T0 + MINUTE, 1, 0, 20), 1);
	fixture_clear(fx);
	ck_assert_int_eq(observe(fx, T0 + 2 * MINUTE, "100.64.1.200",
				 LOCKOUT_OUTCOME_UNKNOWN_USER, "ghost", 1), 0);
	ck_assert_int_eq(observe(fx, T0 + 2 * MINUTE, "100.64.1.200",
				 LOCKOUT_OUTCOME_MISMATCH, "dave", 2), 0);
	ck_assert_int_eq(observe(fx, T0 + 2 * MINUTE, "2001:db8:7::2",
				 LOCKOUT_OUTCOME_UNKNOWN_USER, "ghost", 1), 0);
	ck_assert_int_eq(observe(fx, T0 + 2 * MINUTE, "2001:db8:7::2",
				 LOCKOUT_OUTCOME_MISMATCH, "dave", 2), 0);
	ck_assert_uint_eq(fx->decisions, 0);
	/* another /64 of the /48 is not that network */
	ck_assert_int_eq(observe(fx, T0 + 2 * MINUTE, "2001:db8:8::2",
				 LOCKOUT_OUTCOME_UNKNOWN_USER, "ghost", 1), 0);
	ck_assert_int_eq(observe(fx, T0 + 2 * MINUTE, "2001:db8:8::2",
				 LOCKOUT_OUTCOME_MISMATCH, "dave", 2), 1);
	/* a success counts for lockout_known_device_time (the campaign's
	   first failure also ends the first alert) */
	fixture_clear(fx);
	ck_assert_uint_eq(campaign(fx, T0 + (int64_t)fx->cfg.known_device_time,
				   1, 100, 20), 2);
	ck_assert_int_eq(observe(fx, T0 + (int64_t)fx->cfg.known_device_time +
				 MINUTE, "100.64.1.201",
				 LOCKOUT_OUTCOME_UNKNOWN_USER, "ghost", 1), 0);
	ck_assert_int_eq(observe(fx, T0 + (int64_t)fx->cfg.known_device_time +
				 MINUTE, "100.64.1.201",
				 LOCKOUT_OUTCOME_MISMATCH, "dave", 2), 1);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_window_and_end)
{
	struct fixture *fx = fixture_new(alert_alone);
	const struct record *r;

	/* 20 unknown users over more than the window: no alert */
	ck_assert_uint_eq(campaign(fx, T0, HOUR / 19 + 1, 0, 20), 0);
	fixture_free(&fx);
	/* just within it: the alert */
	fx = fixture_new(alert_alone);
	ck_assert_uint_eq(campaign(fx, T0, HOUR / 19 - 1, 0, 20), 1);
	/* while it lasts, one more starts nothing */
	ck_assert_uint_eq(campaign(fx, T0 + HOUR - 20, 1, 20, 1), 0);
	/* it ends when the 20th newest leaves the window: the next failure
	   reports it, with when it ended */
	fixture_clear(fx);
	ck_assert_int_eq(observe(fx, T0 + 2 * HOUR, "192.0.2.1",
				 LOCKOUT_OUTCOME_MISMATCH, "bob@example.org",
				 1), 1);
	r = decided(fx, LOCKOUT_DECISION_NOTABLE, "alert_ended", "192.0.2.1");
	ck_assert_str_eq(r->user, "");
	ck_assert_msg(strstr(r->reason, "since 1700003788") != NULL, "%s",
		      r->reason);
	/* no suspect after it: an unknown user and another person are
	   nothing */
	ck_assert_int_eq(observe(fx, T0 + 2 * HOUR, "192.0.2.2",
				 LOCKOUT_OUTCOME_UNKNOWN_USER, "ghost", 2), 0);
	ck_assert_int_eq(observe(fx, T0 + 2 * HOUR, "192.0.2.2",
				 LOCKOUT_OUTCOME_MISMATCH, "bob", 3), 0);
	fixture_free(&fx);
	/* a suspect stays one for lockout_alert_window, the alert over or
	   not (lockout_ip_window longer, to see it) */
	fx = fixture_new2(alert_alone, (const char *const[]) {
		"lockout_ip_window", "2 hours", NULL });
	ck_assert_uint_eq(campaign(fx, T0, 1, 0, 20), 1);
	ck_assert_int_eq(observe(fx, T0 + HOUR + 10, "198.18.19.1",
				 LOCKOUT_OUTCOME_MISMATCH, "bob", 4), 2);
	ck_assert_ptr_nonnull(find_decision(fx, LOCKOUT_DECISION_NOTABLE,
					    "alert_ended"));
	ck_assert_ptr_nonnull(find_decision(fx, LOCKOUT_DECISION_BAN,
					    "unknown_alert"));
	ck_assert_int_eq(observe(fx, T0 + HOUR + 18, "198.18.18.1",
				 LOCKOUT_OUTCOME_MISMATCH, "bob", 4), 0);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_excluded)
{
	struct fixture *fx;

	/* the rule off */
	fx = fixture_new2(alert_alone, (const char *const[]) {
		"lockout_alert_unknown", "0", NULL });
	ck_assert_uint_eq(campaign(fx, T0, 1, 0, 100), 0);
	ck_assert_int_eq(observe(fx, T0 + 100, "198.18.99.1",
				 LOCKOUT_OUTCOME_MISMATCH, "bob", 1), 0);
	fixture_free(&fx);
	/* targeted names that are no accounts are banned at once by their
	   rule and not counted; names Dovecot refused, failures from allowed
	   networks are not counted either */
	fx = fixture_new(alert_alone);
	ck_assert_int_eq(observe(fx, T0, "192.0.2.1",
				 LOCKOUT_OUTCOME_UNKNOWN_USER, "admin", 1), 1);
	ck_assert_int_eq(observe(fx, T0, "192.0.2.2",
				 LOCKOUT_OUTCOME_INVALID_USER, "a b", 1), 0);
	ck_assert_int_eq(observe(fx, T0, "127.0.0.1",
				 LOCKOUT_OUTCOME_UNKNOWN_USER, "ghost", 1), 0);
	fixture_clear(fx);
	ck_assert_uint_eq(campaign(fx, T0, 1, 0, 19), 0);
	ck_assert_uint_eq(campaign(fx, T0 + 19, 1, 19, 1), 1);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_flood)
{
	struct fixture *fx = fixture_new2(alert_alone, (const char *const[]) {
		"lockout_net_ban_hosts", "0", NULL });
	struct lockout_addr addr;
	size_t memory = 0;
	unsigned int i;

	/* a campaign from FLOOD_COUNT addresses, each an unknown user then
	   an account: a fixed memory, and every source banned */
	for (i = 0; i < FLOOD_COUNT; i++) {
		addr4(0xc6120000U + i, &addr);
		REQUIRE(observe_full(fx, T0 + i, &addr,
				     LOCKOUT_OUTCOME_UNKNOWN_USER, "ghost",
				     "ghost", 1, "imap", "PLAIN") >= 0,
			"observe");
		REQUIRE(observe_full(fx, T0 + i, &addr,
				     LOCKOUT_OUTCOME_MISMATCH, "bob", "bob", 2,
				     "imap", "PLAIN") >= 0, "observe");
		if (i == 1000)
			memory = lockout_policy_memory(fx->policy);
	}
	ck_assert_uint_eq(lockout_policy_memory(fx->policy), memory);
	/* the first 19 come before the alert (bob's protections aside) */
	ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_BAN], FLOOD_COUNT - 19);
	fixture_free(&fx);
}
END_TEST

static Suite *policy_alert_suite(void)
{
	Suite *s = suite_create("policy-alert");
	TCase *tc = tcase_create("unknown_alert");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_threshold);
	tcase_add_test(tc, test_second_person);
	tcase_add_test(tc, test_one_person);
	tcase_add_test(tc, test_network_with_success);
	tcase_add_test(tc, test_window_and_end);
	tcase_add_test(tc, test_excluded);
	tcase_add_test(tc, test_flood);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return policy_test_run(policy_alert_suite());
}
