/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The policy engine: what decisions say (evidence, reasons) and odd input. */
#include "policy-fixture.h"

/* --- evidence ------------------------------------------------------------- */

static const struct {
	char outcome;
	const char *user, *service, *mechanism;
	uint32_t tag;
} evidence_steps[] = {
	{ 'M', "alice", "imap", "PLAIN", 1 },
	{ 'M', "alice", "imap", "PLAIN", 1 },	/* repeated */
	{ 'U', "bob", "pop3", "LOGIN", 2 },
	{ 'M', "carol", "SMTP", "cram-md5", 3 },
	{ 'U', "dave", "weird", "X-FOO", 4 },
	{ 'M', "alice", "imap", "PLAIN", 5 },
	{ 'M', "alice", NULL, NULL, 0 },
	{ 'R', "eve", "imap", "PLAIN", 6 },	/* not counted */
	{ 'M', "bob", "imap", "PLAIN", 6 },
	{ 'M', "carol", "", "", 7 },
	{ 'M', "alice", "imap", "PLAIN", 8 },
	{ 'M', "alice", "imap", "PLAIN", 9 },
};

static const struct {
	const char *key;
	int64_t value;	/* relative to T0 for the *_seen keys */
} evidence_ints[] = {
	{ "failures", 10 },
	{ "threshold", 10 },
	{ "window", 600 },
	{ "total_failures", 11 },
	{ "unknown_user_failures", 2 },
	{ "repeated_failures", 1 },
	{ "distinct_passwords", 9 },
	{ "first_seen", 0 },
	{ "last_seen", 11 },
	{ "users_more", 1 },
	{ "distinct_users", 4 },
	{ "previous_bans", 0 },
};

static const char *const evidence_texts[] = {
	"\"users\":[\"alice\",\"bob\",\"carol\"]",
	"\"services\":[\"imap\",\"pop3\",\"smtp\",\"other\"]",
	"\"mechanisms\":[\"PLAIN\",\"LOGIN\",\"CRAM-MD5\",\"other\"]",
};

/* ip_failures alone: these sources fail on many usernames, which
   ip_spread would ban sooner */
static const char *const no_spread[] = {
	"lockout_ip_spread_usernames", "0", NULL
};

START_TEST(test_evidence)
{
	struct fixture *fx = fixture_new(no_spread);
	struct lockout_addr addr;
	const struct record *r;
	unsigned int i;
	int64_t value;

	test_addr("192.0.2.1", &addr);
	for (i = 0; i < N_ELEMENTS(evidence_steps); i++) {
		ck_assert_int_eq(observe_full(fx, T0 + i, &addr,
					      outcome_of(evidence_steps[i].
							 outcome),
					      evidence_steps[i].user, NULL,
					      evidence_steps[i].tag,
					      evidence_steps[i].service,
					      evidence_steps[i].mechanism),
				 i + 1 == N_ELEMENTS(evidence_steps));
	}
	r = &fx->rec[0];
	ck_assert_str_eq(r->rule, "ip_failures");
	ev_str(r->evidence, "rule", "ip_failures");
	ev_str(r->evidence, "duration", "1 hour");
	for (i = 0; i < N_ELEMENTS(evidence_ints); i++) {
		value = ev_int(r->evidence, evidence_ints[i].key);
		if (strstr(evidence_ints[i].key, "_seen") != NULL)
			value -= T0;
		ck_assert_msg(value == evidence_ints[i].value,
			      "%s = %lld, expected %lld in %s",
			      evidence_ints[i].key, (long long)value,
			      (long long)evidence_ints[i].value, r->evidence);
	}
	for (i = 0; i < N_ELEMENTS(evidence_texts); i++)
		ev_has(r->evidence, evidence_texts[i]);

	/* the next ban of the source shows the history */
	lift_bans(fx);
	for (i = 0; i < 10; i++) {
		(void)observe_full(fx, T0 + 100 + i, &addr,
				   LOCKOUT_OUTCOME_MISMATCH, "alice", NULL,
				   1000 + i, "imap", "PLAIN");
	}
	ck_assert_uint_eq(fx->decisions, 2);
	r = &fx->rec[1];
	ck_assert_int_eq(ev_int(r->evidence, "previous_bans"), 1);
	ck_assert_int_eq(ev_int(r->evidence, "last_ban"),
			 T0 + N_ELEMENTS(evidence_steps) - 1);
	ev_str(r->evidence, "duration", "2 hours");
	ck_assert_int_eq(ev_int(r->evidence, "total_failures"), 21);
	fixture_free(&fx);
}
END_TEST

/* Nine usernames, the ninth tried twice: nine distinct users. */
START_TEST(test_evidence_distinct_users)
{
	struct fixture *fx = fixture_new(no_spread);
	const struct record *r;
	unsigned int i;
	char user[32];

	for (i = 0; i < 10; i++) {
		snprintf(user, sizeof(user), "name%u", i < 9 ? i : 8);
		(void)observe(fx, T0 + i, "192.0.2.1",
			      LOCKOUT_OUTCOME_UNKNOWN_USER, user, i + 1);
	}
	ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_BAN], 1);
	r = &fx->rec[0];
	ev_has(r->evidence, "\"users\":[\"name0\",\"name1\",\"name2\"]");
	ck_assert_int_eq(ev_int(r->evidence, "distinct_users"), 9);
	ck_assert_int_eq(ev_int(r->evidence, "users_more"), 6);
	fixture_free(&fx);
}
END_TEST

/* Every kind of decision carries evidence the strict reader accepts. */
START_TEST(test_evidence_all_rules)
{
	const char *const settings[] = {
		"lockout_user_failures", "3", "lockout_ip_failures", "6", NULL
	};
	static const char *const rules[] = {
		"targeted_unknown", "targeted_failures", "ip_failures",
		"net_hosts", "user_failures", "success_after_failures",
	};
	struct fixture *fx = fixture_new(settings);
	unsigned int i, j;
	char ip[32];

	/* targeted_unknown, then net_hosts on the third host */
	for (i = 0; i < 3; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%u", i + 1);
		(void)observe(fx, T0 + i, ip, LOCKOUT_OUTCOME_UNKNOWN_USER,
			      "Admin@example.org", i + 1);
	}
	for (i = 0; i < 3; i++) {
		(void)observe(fx, T0 + 10 + i, "192.0.2.7",
			      LOCKOUT_OUTCOME_MISMATCH, "root", i + 1);
	}
	for (i = 0; i < 6; i++) {
		(void)observe(fx, T0 + 20 + i, "192.0.2.8",
			      LOCKOUT_OUTCOME_UNKNOWN_USER, "nobody", i + 1);
	}
	for (i = 0; i < 3; i++) {
		snprintf(ip, sizeof(ip), "203.0.113.%u", i + 1);
		(void)observe(fx, T0 + 30 + i, ip, LOCKOUT_OUTCOME_MISMATCH,
			      "bob", i + 1);
	}
	for (i = 0; i < 3; i++) {
		(void)observe(fx, T0 + 40 + i, "192.0.2.9",
			      LOCKOUT_OUTCOME_UNKNOWN_USER, "carol", i + 1);
	}
	(void)observe(fx, T0 + 44, "192.0.2.9", LOCKOUT_OUTCOME_SUCCESS,
		      "carol", 0);
	for (i = 0; i < N_ELEMENTS(rules); i++) {
		unsigned int found = 0;

		for (j = 0; j < fx->recorded; j++) {
			if (strcmp(fx->rec[j].rule, rules[i]) != 0)
				continue;
			ev_basic(&fx->rec[j]);
			found++;
		}
		ck_assert_msg(found > 0, "no %s decision", rules[i]);
	}
	fixture_free(&fx);
}
END_TEST

/* --- odd input ------------------------------------------------------------ */

START_TEST(test_long_names)
{
	const char *const settings[] = { "lockout_user_failures", "3", NULL };
	struct fixture *fx = fixture_new(settings);
	char *plain = long_name("", ""), *admin = long_name("admin@", "");
	char *account = long_name("", "@example.org");
	size_t mem = lockout_policy_memory(fx->policy);
	const struct record *r;
	struct lockout_addr addr;
	unsigned int i;
	char ip[32];

	for (i = 0; i < 10; i++) {
		(void)observe(fx, T0 + i, "192.0.2.1",
			      LOCKOUT_OUTCOME_UNKNOWN_USER, plain, i + 1);
	}
	r = find_decision(fx, LOCKOUT_DECISION_BAN, "ip_failures");
	ck_assert_ptr_nonnull(r);
	ev_basic(r);
	ck_assert_uint_lt(strlen(r->evidence), 2048);
	ck_assert_int_eq(ev_int(r->evidence, "distinct_users"), 1);

	ck_assert_int_eq(observe(fx, T0 + 20, "192.0.2.2",
				 LOCKOUT_OUTCOME_UNKNOWN_USER, admin, 1), 1);
	r = &fx->rec[fx->recorded - 1];
	ck_assert_str_eq(r->rule, "targeted_unknown");
	ev_basic(r);
	ck_assert_uint_lt(strlen(r->reason), 400);

	for (i = 0; i < 3; i++) {
		snprintf(ip, sizeof(ip), "203.0.113.%u", i + 1);
		test_addr(ip, &addr);
		(void)observe_full(fx, T0 + 30 + i, &addr,
				   LOCKOUT_OUTCOME_MISMATCH, plain, account,
				   i + 1, "imap", "PLAIN");
	}
	r = find_decision(fx, LOCKOUT_DECISION_PROTECT, NULL);
	ck_assert_ptr_nonnull(r);
	ev_basic(r);
	ck_assert(lockout_policy_protected(fx->policy, account, T0 + 40));
	ck_assert_int_eq(check(fx, T0 + 40, "203.0.113.9", account),
			 LOCKOUT_VERDICT_PROTECTED);
	ck_assert_int_eq(observe(fx, T0 + 50, "198.51.100.1",
				 LOCKOUT_OUTCOME_SUCCESS, plain, 0), 1);
	ck_assert_int_eq(check(fx, T0 + 50, "198.51.100.2", plain),
			 LOCKOUT_VERDICT_ALLOW);
	lockout_policy_forget_account(fx->policy, account);
	/* the evidence buffer is the only thing that grew, and only a bit */
	ck_assert_uint_le(lockout_policy_memory(fx->policy),
			  mem + 64 * sizeof(uint64_t) + 4096);
	free(plain);
	free(admin);
	free(account);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_null_fields)
{
	const char *const settings[] = { "lockout_ip_failures", "3", NULL };
	struct fixture *fx = fixture_new(settings);
	const struct lockout_banset_entry *ban = NULL;
	struct lockout_addr addr;
	const struct record *r;
	unsigned int i;

	test_addr("192.0.2.1", &addr);
	for (i = 0; i < 3; i++) {
		(void)observe_full(fx, T0 + i, &addr,
				   i == 1 ? LOCKOUT_OUTCOME_UNKNOWN_USER :
				   LOCKOUT_OUTCOME_MISMATCH, NULL, NULL, 0,
				   NULL, NULL);
	}
	ck_assert_uint_eq(fx->decisions, 1);
	r = &fx->rec[0];
	ck_assert_str_eq(r->rule, "ip_failures");
	ck_assert_str_eq(r->user, "");
	ev_basic(r);
	ev_has(r->evidence, "\"services\":[]");
	ev_has(r->evidence, "\"mechanisms\":[]");
	/* a success without any name decides nothing */
	ck_assert_int_eq(observe_full(fx, T0 + 10, &addr,
				      LOCKOUT_OUTCOME_SUCCESS, NULL, NULL, 0,
				      NULL, NULL), 0);
	ck_assert_int_eq(observe_full(fx, T0 + 10, &addr,
				      LOCKOUT_OUTCOME_REFUSED, NULL, NULL, 0,
				      NULL, NULL), 0);
	ck_assert_int_eq(lockout_policy_check(fx->policy, T0 + 10, &addr,
					      NULL, &ban),
			 LOCKOUT_VERDICT_BANNED);
	ck_assert_ptr_nonnull(ban);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_family_zero)
{
	const char *const settings[] = { "lockout_ip_failures", "1", NULL };
	struct fixture *fx = fixture_new(settings);
	const struct lockout_banset_entry *ban = NULL;
	struct lockout_addr addr;
	unsigned int i;

	memset(&addr, 0, sizeof(addr));
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(observe_full(fx, T0 + i, &addr,
					      (enum lockout_outcome)i, "admin",
					      NULL, 1, "imap", "PLAIN"), 0);
	}
	memset(addr.bytes, 0xff, sizeof(addr.bytes));
	addr.family = 5;
	ck_assert_int_eq(observe_full(fx, T0 + 5, &addr,
				      LOCKOUT_OUTCOME_UNKNOWN_USER, "admin",
				      NULL, 1, "imap", "PLAIN"), 0);
	ck_assert_uint_eq(lockout_policy_source_count(fx->policy), 0);
	ck_assert_int_eq(lockout_policy_check(fx->policy, T0, &addr, "admin",
					      &ban), LOCKOUT_VERDICT_ALLOW);
	ck_assert_ptr_null(ban);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_forget)
{
	/* the /64 alone (not its /56 and /48 as sources too) */
	struct fixture *fx = fixture_new((const char *const[]) {
		"lockout_ipv6_56_failures", "0", "lockout_ipv6_48_failures",
		"0", NULL });
	struct lockout_net net;
	unsigned int i;

	for (i = 0; i < 9; i++) {
		ck_assert_int_eq(observe(fx, T0 + i, "2001:db8:1:2::1",
					 LOCKOUT_OUTCOME_MISMATCH, "alice",
					 i + 1), 0);
	}
	ck_assert_uint_eq(lockout_policy_source_count(fx->policy), 1);
	test_net("2001:db8:1:2::/64", &net);
	lockout_policy_forget(fx->policy, &net);
	lockout_policy_forget(fx->policy, &net);
	ck_assert_uint_eq(lockout_policy_source_count(fx->policy), 0);
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(observe(fx, T0 + 10 + i, "2001:db8:1:2::2",
					 LOCKOUT_OUTCOME_MISMATCH, "alice",
					 20 + i), i == 9);
	}
	ck_assert_str_eq(fx->rec[0].target, "2001:db8:1:2::/64");
	/* an unban: the next failure does not ban again */
	ck_assert(lockout_banset_remove(lockout_policy_bans(fx->policy),
					&net));
	lockout_policy_forget(fx->policy, &net);
	ck_assert_int_eq(observe(fx, T0 + 30, "2001:db8:1:2::2",
				 LOCKOUT_OUTCOME_MISMATCH, "alice", 99), 0);
	ck_assert_int_eq(check(fx, T0 + 30, "2001:db8:1:2::2", NULL),
			 LOCKOUT_VERDICT_ALLOW);
	fixture_free(&fx);
}
END_TEST

static Suite *policy_evidence_suite(void)
{
	Suite *s = suite_create("lockout-policy-evidence");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_evidence);
	tcase_add_test(tc, test_evidence_distinct_users);
	tcase_add_test(tc, test_evidence_all_rules);
	tcase_add_test(tc, test_long_names);
	tcase_add_test(tc, test_null_fields);
	tcase_add_test(tc, test_family_zero);
	tcase_add_test(tc, test_forget);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return policy_test_run(policy_evidence_suite());
}
