/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The policy engine and accounts: known devices, protection, success after
   failures. */
#include "policy-fixture.h"

/* --- known devices -------------------------------------------------------- */

static const struct {
	int64_t dt;
	const char *ip;
	const char *user, *account;
	const char *net;	/* the KNOWN_DEVICE expected, or NULL */
	const char *target;
} device_steps[] = {
	{ 0, "192.0.2.10", "Bob", NULL, "192.0.2.0/24", "Bob" },
	{ 10 * MINUTE, "192.0.2.20", "bob", NULL, NULL, NULL },
	{ HOUR - 1, "192.0.2.10", "BOB", NULL, NULL, NULL },
	{ HOUR, "192.0.2.99", "bob", NULL, "192.0.2.0/24", "bob" },
	{ HOUR + 1, "192.0.3.10", "bob", NULL, "192.0.3.0/24", "bob" },
	{ HOUR + 2, "192.0.2.10", "carol", NULL, "192.0.2.0/24", "carol" },
	{ HOUR + 3, "2001:db8:1:2::99", "bob", NULL, "2001:db8:1:2::/64",
	  "bob" },
	{ HOUR + 4, "2001:db8:1:2:ffff::1", "bob", NULL, NULL, NULL },
	{ HOUR + 5, "2001:db8:1:3::1", "bob", NULL, "2001:db8:1:3::/64",
	  "bob" },
	{ HOUR + 6, "::ffff:192.0.3.77", "bob", NULL, NULL, NULL },
	{ HOUR + 7, "203.0.113.1", "dave@example.org", "dave",
	  "203.0.113.0/24", "dave" },
	{ HOUR + 8, "203.0.113.2", "dave", "", NULL, NULL },
	{ HOUR + 9, "203.0.113.3", NULL, NULL, NULL, NULL },
	{ HOUR + 10, "203.0.113.3", "", NULL, NULL, NULL },
	{ HOUR + 11, "203.0.113.3", NULL, "erin", "203.0.113.0/24", "erin" },
	/* added from the table below: known, not re-reported */
	{ HOUR + 12, "198.51.100.7", "frank", NULL, NULL, NULL },
	{ 3 * HOUR, "198.51.100.7", "frank", NULL, "198.51.100.0/24",
	  "frank" },
};

START_TEST(test_known_device)
{
	struct fixture *fx = fixture_new(NULL);
	struct lockout_addr addr;
	struct lockout_net net;
	const struct record *r;
	unsigned int i;
	char buf[LOCKOUT_NET_STRLEN];
	int ret;

	test_net("198.51.100.0/24", &net);
	lockout_policy_add_known_device(fx->policy, "Frank", &net,
					T0 + HOUR);
	for (i = 0; i < N_ELEMENTS(device_steps); i++) {
		test_addr(device_steps[i].ip, &addr);
		fixture_clear(fx);
		ret = observe_full(fx, T0 + device_steps[i].dt, &addr,
				   LOCKOUT_OUTCOME_SUCCESS,
				   device_steps[i].user,
				   device_steps[i].account, 0, "imap",
				   "PLAIN");
		if (device_steps[i].net == NULL) {
			ck_assert_msg(ret == 0, "step %u: %d decisions", i,
				      ret);
			continue;
		}
		ck_assert_msg(ret == 1, "step %u: %d decisions", i, ret);
		r = &fx->rec[0];
		ck_assert_int_eq(r->type, LOCKOUT_DECISION_KNOWN_DEVICE);
		ck_assert_int_eq(r->kind, LOCKOUT_KIND_NET);
		ck_assert_str_eq(net_str(&r->net, buf), device_steps[i].net);
		ck_assert_str_eq(r->target, device_steps[i].target);
		ck_assert_str_eq(r->user, device_steps[i].target);
		ck_assert_int_eq(r->time, T0 + device_steps[i].dt);
	}
	fixture_free(&fx);
}
END_TEST

START_TEST(test_device_net)
{
	const char *const settings[] = { "lockout_ipv6_prefix", "48", NULL };
	struct fixture *fx = fixture_new(settings);
	struct lockout_addr addr;
	struct lockout_net net;
	char buf[LOCKOUT_NET_STRLEN];

	test_addr("2001:db8:1:2::99", &addr);
	lockout_policy_device_net(fx->policy, &addr, &net);
	ck_assert_str_eq(net_str(&net, buf), "2001:db8:1::/48");
	lockout_policy_source_net(fx->policy, &addr, &net);
	ck_assert_str_eq(net_str(&net, buf), "2001:db8:1::/48");
	test_addr("::ffff:192.0.2.200", &addr);
	lockout_policy_device_net(fx->policy, &addr, &net);
	ck_assert_str_eq(net_str(&net, buf), "192.0.2.0/24");
	lockout_policy_source_net(fx->policy, &addr, &net);
	ck_assert_str_eq(net_str(&net, buf), "192.0.2.200");
	ck_assert_int_eq(observe(fx, T0, "2001:db8:1:ffff::1",
				 LOCKOUT_OUTCOME_SUCCESS, "bob", 0), 1);
	ck_assert_str_eq(net_str(&fx->rec[0].net, buf), "2001:db8:1::/48");
	fixture_free(&fx);
}
END_TEST

/* --- protected accounts --------------------------------------------------- */

enum step_op {
	OP_OBSERVE,
	OP_CHECK,
};

static const struct {
	enum step_op op;
	int64_t dt;
	const char *ip;
	char outcome;
	const char *user, *account;
	int expect; /* OBSERVE: PROTECTs; CHECK: the verdict */
} protect_steps[] = {
	{ OP_OBSERVE, 0, "192.0.2.10", 'S', "bob", NULL, 0 },
	{ OP_OBSERVE, 10, "203.0.113.1", 'M', "bob", NULL, 0 },
	{ OP_OBSERVE, 11, "203.0.113.2", 'M', "bob", NULL, 0 },
	{ OP_OBSERVE, 12, "2001:db8::1", 'M', "bob@example.org", "Bob", 0 },
	{ OP_OBSERVE, 13, "203.0.113.4", 'M', "bob", NULL, 0 },
	/* known devices and unknown users do not count */
	{ OP_OBSERVE, 14, "192.0.2.10", 'M', "bob", NULL, 0 },
	{ OP_OBSERVE, 15, "192.0.2.200", 'M', "bob", NULL, 0 },
	{ OP_OBSERVE, 16, "203.0.113.5", 'U', "bob", NULL, 0 },
	{ OP_OBSERVE, 16, "203.0.113.5", 'R', "bob", NULL, 0 },
	{ OP_OBSERVE, 16, "203.0.113.5", 'S', "carol", NULL, 0 },
	{ OP_CHECK, 16, "203.0.113.99", 0, NULL, "bob",
	  LOCKOUT_VERDICT_ALLOW },
	{ OP_OBSERVE, 17, "203.0.113.6", 'M', "BOB", NULL, 1 },
	{ OP_CHECK, 17, "203.0.113.99", 0, NULL, "bob",
	  LOCKOUT_VERDICT_PROTECTED },
	{ OP_CHECK, 17, "203.0.113.99", 0, NULL, "bOb",
	  LOCKOUT_VERDICT_PROTECTED },
	{ OP_CHECK, 17, "2001:db8::1", 0, NULL, "bob",
	  LOCKOUT_VERDICT_PROTECTED },
	{ OP_CHECK, 17, "192.0.2.77", 0, NULL, "bob",
	  LOCKOUT_VERDICT_ALLOW },
	{ OP_CHECK, 17, "::ffff:192.0.2.78", 0, NULL, "BOB",
	  LOCKOUT_VERDICT_ALLOW },
	{ OP_CHECK, 17, "192.0.3.77", 0, NULL, "bob",
	  LOCKOUT_VERDICT_PROTECTED },
	{ OP_CHECK, 17, "203.0.113.99", 0, NULL, "carol",
	  LOCKOUT_VERDICT_ALLOW },
	{ OP_CHECK, 17, "203.0.113.5", 0, NULL, "carol",
	  LOCKOUT_VERDICT_ALLOW },
	{ OP_CHECK, 17, "203.0.113.99", 0, NULL, NULL,
	  LOCKOUT_VERDICT_ALLOW },
	/* more failures while protected: no second decision */
	{ OP_OBSERVE, 18, "203.0.113.7", 'M', "bob", NULL, 0 },
	{ OP_OBSERVE, 19, "203.0.113.8", 'M', "bob", NULL, 0 },
	{ OP_CHECK, 17 + HOUR - 1, "203.0.113.99", 0, NULL, "bob",
	  LOCKOUT_VERDICT_PROTECTED },
	{ OP_CHECK, 17 + HOUR, "203.0.113.99", 0, NULL, "bob",
	  LOCKOUT_VERDICT_ALLOW },
};

START_TEST(test_protect)
{
	const char *const settings[] = {
		"lockout_user_failures", "5", "lockout_user_window", "1 hour",
		"lockout_protect_time", "1 hour", "lockout_user_networks", "0",
		"lockout_near_prefix", "0", NULL
	};
	struct fixture *fx = fixture_new(settings);
	struct lockout_addr addr;
	const struct record *r;
	unsigned int i, protects;

	for (i = 0; i < N_ELEMENTS(protect_steps); i++) {
		int64_t when = T0 + protect_steps[i].dt;

		if (protect_steps[i].op == OP_CHECK) {
			ck_assert_msg(check(fx, when, protect_steps[i].ip,
					    protect_steps[i].account) ==
				      (enum lockout_verdict)
				      protect_steps[i].expect,
				      "step %u", i);
			continue;
		}
		protects = fx->by_type[LOCKOUT_DECISION_PROTECT];
		test_addr(protect_steps[i].ip, &addr);
		(void)observe_full(fx, when, &addr,
				   outcome_of(protect_steps[i].outcome),
				   protect_steps[i].user,
				   protect_steps[i].account, 10 + i, "imap",
				   "PLAIN");
		ck_assert_msg(fx->by_type[LOCKOUT_DECISION_PROTECT] -
			      protects == (unsigned int)protect_steps[i].expect,
			      "step %u", i);
	}
	ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_BAN], 0);
	r = find_decision(fx, LOCKOUT_DECISION_PROTECT, NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->kind, LOCKOUT_KIND_USER);
	ck_assert_str_eq(r->rule, "user_failures");
	ck_assert_msg(strcasecmp(r->target, "bob") == 0, "target %s",
		      r->target);
	ck_assert_int_eq(r->time, T0 + 17);
	ck_assert_int_eq(r->expires, T0 + 17 + HOUR);
	ck_assert_uint_eq(r->failures, 5);
	ev_basic(r);
	ck_assert_int_eq(ev_int(r->evidence, "threshold"), 5);
	ck_assert_int_eq(ev_int(r->evidence, "window"), HOUR);
	ck_assert_int_eq(ev_int(r->evidence, "distinct_sources"), 5);
	ck_assert_int_eq(ev_int(r->evidence, "sources_more"), 1);
	ev_has(r->evidence, "\"sources\":[\"203.0.113.1\",\"203.0.113.2\","
	       "\"2001:db8::1\",\"203.0.113.4\"]");
	ck_assert_int_eq(ev_int(r->evidence, "first_seen"), T0 + 10);
	ck_assert_int_eq(ev_int(r->evidence, "last_seen"), T0 + 17);
	ck_assert_msg(lockout_policy_protected(fx->policy, "BoB", T0 + 18),
		      "not protected");
	fixture_free(&fx);
}
END_TEST

/* Who counts toward protection: user_failures=5 within 1 hour. */
static const struct {
	const char *name;
	/* the source: prefix, the attempt number (unless one_source),
	   suffix */
	const char *prefix, *suffix;
	bool one_source;
	char outcome;
	unsigned int attempts;
	int spacing;
	int protect_at;
} protect_count_cases[] = {
	{ "distinct sources", "203.0.113.", "", false, 'M', 5, 1, 4 },
	{ "one source", "203.0.113.1", "", true, 'M', 5, 1, 4 },
	{ "ipv6 sources", "2001:db8:", "::1", false, 'M', 5, 1, 4 },
	{ "allowed source", "127.0.0.", "", false, 'M', 5, 1, 4 },
	{ "unknown user", "203.0.113.", "", false, 'U', 10, 1, NONE },
	{ "refused", "203.0.113.", "", false, 'R', 10, 1, NONE },
	{ "inside the window", "203.0.113.", "", false, 'M', 5, 10 * MINUTE,
	  4 },
	{ "outside the window", "203.0.113.", "", false, 'M', 10,
	  20 * MINUTE, NONE },
};

START_TEST(test_protect_count)
{
	const char *const settings[] = {
		"lockout_user_failures", "5", "lockout_user_window", "1 hour",
		"lockout_ip_failures", "100", NULL
	};
	struct fixture *fx = fixture_new(settings);
	unsigned int i;
	char ip[64];

	for (i = 0; i < protect_count_cases[_i].attempts; i++) {
		unsigned int protects = fx->by_type[LOCKOUT_DECISION_PROTECT];

		if (protect_count_cases[_i].one_source) {
			snprintf(ip, sizeof(ip), "%s",
				 protect_count_cases[_i].prefix);
		} else {
			snprintf(ip, sizeof(ip), "%s%u%s",
				 protect_count_cases[_i].prefix, i + 1,
				 protect_count_cases[_i].suffix);
		}
		(void)observe(fx, T0 + (int64_t)i *
			      protect_count_cases[_i].spacing, ip,
			      outcome_of(protect_count_cases[_i].outcome),
			      "bob", 1 + i);
		ck_assert_msg(fx->by_type[LOCKOUT_DECISION_PROTECT] -
			      protects ==
			      ((int)i == protect_count_cases[_i].protect_at ?
			       1U : 0U), "%s: step %u",
			      protect_count_cases[_i].name, i);
	}
	ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_BAN], 0);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_protect_api)
{
	const char *const settings[] = {
		"lockout_user_failures", "5", "lockout_near_prefix", "0", NULL
	};
	struct fixture *fx = fixture_new(settings);
	struct lockout_net net;
	unsigned int i;

	ck_assert(!lockout_policy_protected(fx->policy, "dave", T0));
	ck_assert(!lockout_policy_protected(fx->policy, NULL, T0));
	ck_assert_int_eq(lockout_policy_protect(fx->policy, "Dave", T0 + 100),
			 0);
	ck_assert(lockout_policy_protected(fx->policy, "dave", T0));
	ck_assert(lockout_policy_protected(fx->policy, "DAVE", T0 + 99));
	ck_assert(!lockout_policy_protected(fx->policy, "dave", T0 + 100));
	ck_assert(!lockout_policy_protected(fx->policy, "dave2", T0));
	ck_assert(!lockout_policy_protected(fx->policy, NULL, T0));
	/* replaced, also by a shorter one */
	ck_assert_int_eq(lockout_policy_protect(fx->policy, "dave", 0), 0);
	ck_assert(lockout_policy_protected(fx->policy, "dave",
					   T0 + 3650 * DAY));
	ck_assert_int_eq(lockout_policy_protect(fx->policy, "erin", T0 + 100),
			 0);
	ck_assert_int_eq(lockout_policy_protect(fx->policy, "erin", T0 + 50),
			 0);
	ck_assert(!lockout_policy_protected(fx->policy, "erin", T0 + 60));
	/* a device from the table keeps working */
	test_net("192.0.2.0/24", &net);
	lockout_policy_add_known_device(fx->policy, "DAVE", &net, T0 - DAY);
	ck_assert_int_eq(check(fx, T0, "192.0.2.9", "dave"),
			 LOCKOUT_VERDICT_ALLOW);
	ck_assert_int_eq(check(fx, T0, "192.0.3.9", "dave"),
			 LOCKOUT_VERDICT_PROTECTED);
	/* but not once it is lockout_known_device_time old */
	ck_assert_int_eq(check(fx, T0 + 29 * DAY - 1, "192.0.2.9", "dave"),
			 LOCKOUT_VERDICT_ALLOW);
	ck_assert_int_eq(check(fx, T0 + 29 * DAY, "192.0.2.9", "dave"),
			 LOCKOUT_VERDICT_PROTECTED);
	/* many protections */
	for (i = 0; i < 1000; i++) {
		char name[32];

		snprintf(name, sizeof(name), "user%u", i);
		ck_assert_int_eq(lockout_policy_protect(fx->policy, name,
							T0 + HOUR), 0);
	}
	ck_assert(lockout_policy_protected(fx->policy, "USER999", T0));
	ck_assert(lockout_policy_protected(fx->policy, "dave", T0));
	lockout_policy_clear_protections(fx->policy);
	ck_assert(!lockout_policy_protected(fx->policy, "dave", T0));
	ck_assert(!lockout_policy_protected(fx->policy, "user0", T0));
	ck_assert_int_eq(check(fx, T0, "192.0.3.9", "dave"),
			 LOCKOUT_VERDICT_ALLOW);
	fixture_free(&fx);
}
END_TEST

/* A protected account's owner at a busy IPv4 /24 (POLICY_BUSY_USERS other
   accounts logged in from it within lockout_known_device_time: the office
   NAT) goes on; one account fewer, the owner's own successes, an old
   success or an IPv6 network do not make it busy. */
START_TEST(test_protect_busy_net)
{
	const char *const settings[] = {
		"lockout_user_failures", "5", "lockout_near_prefix", "0", NULL
	};
	struct fixture *fx = fixture_new(settings);

	ck_assert_int_eq(lockout_policy_protect(fx->policy, "dave",
						T0 + 40 * DAY), 0);
	ck_assert_int_eq(check(fx, T0, "192.0.2.9", "dave"),
			 LOCKOUT_VERDICT_PROTECTED);
	/* dave's own success elsewhere in the /24 is a device of its own
	   network (known anyway); successes of others make it busy */
	observe(fx, T0, "192.0.2.10", LOCKOUT_OUTCOME_SUCCESS, "erin", 1);
	observe(fx, T0 + 1, "192.0.2.11", LOCKOUT_OUTCOME_SUCCESS, "frank",
		1);
	ck_assert_int_eq(check(fx, T0 + 2, "192.0.2.9", "dave"),
			 LOCKOUT_VERDICT_PROTECTED);
	observe(fx, T0 + 2, "192.0.2.10", LOCKOUT_OUTCOME_SUCCESS,
		"Erin@example.org", 1);
	ck_assert_int_eq(check(fx, T0 + 3, "192.0.2.9", "dave"),
			 LOCKOUT_VERDICT_PROTECTED);
	observe(fx, T0 + 3, "192.0.2.12", LOCKOUT_OUTCOME_SUCCESS, "gina", 1);
	ck_assert_int_eq(check(fx, T0 + 4, "192.0.2.9", "dave"),
			 LOCKOUT_VERDICT_ALLOW);
	ck_assert_int_eq(check(fx, T0 + 4, "192.0.2.200", "Dave@example.org"),
			 LOCKOUT_VERDICT_ALLOW);
	/* another /24 is not busy */
	ck_assert_int_eq(check(fx, T0 + 4, "192.0.3.9", "dave"),
			 LOCKOUT_VERDICT_PROTECTED);
	/* a busy user who is the account itself does not count: for erin,
	   the /24 has two others (frank, gina) */
	ck_assert_int_eq(lockout_policy_protect(fx->policy, "erin",
						T0 + 40 * DAY), 0);
	ck_assert_int_eq(check(fx, T0 + 4, "192.0.9.9", "erin"),
			 LOCKOUT_VERDICT_PROTECTED);
	/* the successes age out with lockout_known_device_time (30 days) */
	ck_assert_int_eq(check(fx, T0 + 30 * DAY - 1, "192.0.2.9", "dave"),
			 LOCKOUT_VERDICT_ALLOW);
	ck_assert_int_eq(check(fx, T0 + 30 * DAY + 1, "192.0.2.9", "dave"),
			 LOCKOUT_VERDICT_PROTECTED);
	/* IPv6 networks are never busy */
	observe(fx, T0, "2001:db8::1", LOCKOUT_OUTCOME_SUCCESS, "erin", 1);
	observe(fx, T0, "2001:db8::2", LOCKOUT_OUTCOME_SUCCESS, "frank", 1);
	observe(fx, T0, "2001:db8::3", LOCKOUT_OUTCOME_SUCCESS, "gina", 1);
	ck_assert_int_eq(check(fx, T0 + 1, "2001:db8::4", "dave"),
			 LOCKOUT_VERDICT_PROTECTED);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_forget_account)
{
	const char *const settings[] = { "lockout_user_failures", "5", NULL };
	struct fixture *fx = fixture_new(settings);
	unsigned int i;
	char ip[32];

	for (i = 0; i < 4; i++) {
		snprintf(ip, sizeof(ip), "203.0.113.%u", i + 1);
		ck_assert_int_eq(observe(fx, T0 + i, ip,
					 LOCKOUT_OUTCOME_MISMATCH, "bob",
					 i + 1), 0);
	}
	lockout_policy_forget_account(fx->policy, "BOB");
	lockout_policy_forget_account(fx->policy, "nobody");
	for (i = 0; i < 5; i++) {
		snprintf(ip, sizeof(ip), "203.0.113.%u", i + 11);
		ck_assert_int_eq(observe(fx, T0 + 10 + i, ip,
					 LOCKOUT_OUTCOME_MISMATCH, "bob",
					 i + 11), i == 4 ? 1 : 0);
	}
	ck_assert_str_eq(fx->rec[0].rule, "user_failures");
	fixture_free(&fx);
}
END_TEST

/* Ten addresses try one account three times each: the evidence counts ten
   distinct sources. */
START_TEST(test_protect_distinct_sources)
{
	struct fixture *fx = fixture_new(NULL);
	const struct record *r;
	unsigned int i, round;
	char ip[32];

	for (round = 0; round < 3; round++) {
		for (i = 0; i < 10; i++) {
			snprintf(ip, sizeof(ip), "203.0.113.%u", i + 1);
			(void)observe(fx, T0 + round * 10 + i, ip,
				      LOCKOUT_OUTCOME_MISMATCH, "bob",
				      100 * round + i + 1);
		}
	}
	ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_BAN], 0);
	ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_PROTECT], 1);
	r = find_decision(fx, LOCKOUT_DECISION_PROTECT, "user_failures");
	ck_assert_uint_eq(r->failures, 30);
	ck_assert_int_eq(ev_int(r->evidence, "distinct_sources"), 10);
	ck_assert_int_eq(ev_int(r->evidence, "sources_more"), 6);
	fixture_free(&fx);
}
END_TEST

/* --- success after failures ----------------------------------------------- */

static const struct {
	const char *settings[3];
	unsigned int failures;
	const char *fail_user, *success_user;
	int gap;		/* from the last failure to the success */
	bool same_tag;
	bool notable;
} saf_cases[] = {
	{ { NULL }, 5, "alice", "alice", 1, false, true },
	{ { NULL }, 4, "alice", "alice", 1, false, false },
	{ { NULL }, 9, "alice", "ALICE", 1, false, true },
	{ { NULL }, 5, "mallory", "alice", 1, false, false },
	{ { NULL }, 5, "alice", "alice", 10 * MINUTE, false, false },
	{ { NULL }, 5, "alice", "alice", 5 * MINUTE, false, true },
	{ { NULL }, 8, "alice", "alice", 1, true, false },
	{ { "lockout_ip_failures", "4" }, 3, "alice", "alice", 1, false,
	  true },
	{ { "lockout_ip_failures", "4" }, 2, "alice", "alice", 1, false,
	  false },
	{ { "lockout_ip_failures", "7" }, 3, "alice", "alice", 1, false,
	  true },
	{ { "lockout_ip_failures", "20" }, 10, "alice", "alice", 1, false,
	  true },
	{ { "lockout_ip_failures", "20" }, 9, "alice", "alice", 1, false,
	  false },
};

START_TEST(test_success_after_failures)
{
	struct fixture *fx = fixture_new(saf_cases[_i].settings);
	const struct record *r;
	unsigned int i;
	int64_t when = T0;

	for (i = 0; i < saf_cases[_i].failures; i++) {
		when = T0 + i;
		(void)observe(fx, when, "192.0.2.1", LOCKOUT_OUTCOME_MISMATCH,
			      saf_cases[_i].fail_user,
			      saf_cases[_i].same_tag ? 5 : i + 1);
	}
	ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_BAN], 0);
	when += saf_cases[_i].gap;
	(void)observe(fx, when, "192.0.2.1", LOCKOUT_OUTCOME_SUCCESS,
		      saf_cases[_i].success_user, 0);
	ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_KNOWN_DEVICE], 1);
	ck_assert_uint_eq(count_decisions(fx, LOCKOUT_DECISION_NOTABLE,
					  "success_after_failures"),
			  saf_cases[_i].notable ? 1 : 0);
	if (saf_cases[_i].notable) {
		unsigned int min = fx->cfg.ip_failures / 2 > 3 ?
			fx->cfg.ip_failures / 2 : 3;

		r = find_decision(fx, LOCKOUT_DECISION_NOTABLE,
				  "success_after_failures");
		ck_assert_ptr_nonnull(r);
		ck_assert_str_eq(r->target, "192.0.2.1");
		ck_assert_int_eq(r->kind, LOCKOUT_KIND_IP);
		ck_assert_str_eq(r->user, saf_cases[_i].success_user);
		ck_assert_int_eq(r->time, when);
		ck_assert_uint_eq(r->failures, saf_cases[_i].failures);
		ev_basic(r);
		ck_assert_int_eq(ev_int(r->evidence, "threshold"), min);
	}
	fixture_free(&fx);
}
END_TEST

static Suite *policy_account_suite(void)
{
	Suite *s = suite_create("lockout-policy-account");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_known_device);
	tcase_add_test(tc, test_device_net);
	tcase_add_test(tc, test_protect);
	tcase_add_loop_test(tc, test_protect_count, 0,
			    N_ELEMENTS(protect_count_cases));
	tcase_add_test(tc, test_protect_api);
	tcase_add_test(tc, test_protect_busy_net);
	tcase_add_test(tc, test_forget_account);
	tcase_add_test(tc, test_protect_distinct_sources);
	tcase_add_loop_test(tc, test_success_after_failures, 0,
			    N_ELEMENTS(saf_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return policy_test_run(policy_account_suite());
}
