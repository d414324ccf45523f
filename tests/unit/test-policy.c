/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-policy.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))

#define SEED 0xc0ffee11U
#define T0 1700000000
#define HOUR 3600
#define END_TIMES (-1)
#define FLOOD_SOURCES 100000

/* A configuration and an engine for it; settings are name/value pairs
   applied over the defaults, the list ending with NULL. */
struct fixture {
	struct lockout_config cfg;
	struct lockout_policy *policy;
};

static void fixture_init(struct fixture *fx, const char *const *settings)
{
	const char *error = NULL;

	ck_assert_msg(lockout_config_init(&fx->cfg, &error) == 0, "%s", error);
	for (; settings != NULL && settings[0] != NULL; settings += 2) {
		ck_assert_msg(lockout_config_set(&fx->cfg, settings[0],
						 settings[1], &error) == 0,
			      "%s=%s: %s", settings[0], settings[1], error);
	}
	fx->policy = lockout_policy_create(&fx->cfg, SEED);
	ck_assert_ptr_nonnull(fx->policy);
}

static void fixture_deinit(struct fixture *fx)
{
	lockout_policy_free(&fx->policy);
	ck_assert_ptr_null(fx->policy);
	lockout_config_free(&fx->cfg);
}

static void test_addr(const char *str, struct lockout_addr *addr_r)
{
	ck_assert_msg(lockout_addr_parse(str, addr_r) == 0,
		      "lockout_addr_parse(%s) failed", str);
}

/* Observe one attempt; returns what lockout_policy_observe() returned. The
   decision is freed unless decision_r is non-NULL. */
static int observe_full(struct fixture *fx, int64_t time, const char *ip,
			enum lockout_outcome outcome, const char *user,
			const char *service, const char *mechanism,
			struct lockout_decision *decision_r)
{
	struct lockout_attempt attempt;
	struct lockout_decision decision;
	int ret;

	memset(&attempt, 0, sizeof(attempt));
	attempt.time = time;
	test_addr(ip, &attempt.ip);
	attempt.user = user;
	attempt.service = service;
	attempt.mechanism = mechanism;
	attempt.outcome = outcome;
	ret = lockout_policy_observe(fx->policy, &attempt, &decision);
	ck_assert_int_ge(ret, 0);
	if (ret == 0) {
		/* nothing to free, nothing decided */
		ck_assert_ptr_null(decision.evidence.data);
	}
	if (decision_r != NULL)
		*decision_r = decision;
	else if (ret > 0)
		lockout_decision_free(&decision);
	return ret;
}

static int observe(struct fixture *fx, int64_t time, const char *ip)
{
	return observe_full(fx, time, ip, LOCKOUT_OUTCOME_MISMATCH, "user",
			    "imap", "PLAIN", NULL);
}

static bool is_allowed(struct fixture *fx, int64_t now, const char *ip)
{
	const struct lockout_banset_entry *ban = NULL;
	struct lockout_addr addr;
	bool allowed;

	test_addr(ip, &addr);
	allowed = lockout_policy_allowed(fx->policy, now, &addr, &ban);
	ck_assert(allowed == (ban == NULL));
	return allowed;
}

static int64_t evidence_int(const struct lockout_decision *decision,
			    const char *key)
{
	int64_t value = -12345;

	ck_assert_msg(lockout_json_get_int(decision->evidence.data, key,
					   &value) == 1,
		      "evidence has no integer %s: %s", key,
		      decision->evidence.data);
	return value;
}

static void evidence_has(const struct lockout_decision *decision,
			 const char *needle)
{
	ck_assert_msg(strstr(decision->evidence.data, needle) != NULL,
		      "evidence lacks %s: %s", needle,
		      decision->evidence.data);
}

/* Threshold and window. times ends with END_TIMES; ban_at is the index of
   the failure that bans, -1 for none. */
static const struct {
	const char *failures, *window;
	int64_t times[12];
	int ban_at;
} threshold_cases[] = {
	{ "3", "60", { 0, 1, END_TIMES }, -1 },
	{ "3", "60", { 0, 1, 2, END_TIMES }, 2 },
	{ "3", "60", { 0, 0, 0, END_TIMES }, 2 },
	/* newest - oldest == window - 1 bans, == window does not */
	{ "3", "60", { 0, 30, 59, END_TIMES }, 2 },
	{ "3", "60", { 0, 30, 60, END_TIMES }, -1 },
	{ "3", "60", { 0, 30, 60, 89, END_TIMES }, 3 },
	{ "3", "60", { 0, 30, 60, 90, 120, 150, END_TIMES }, -1 },
	{ "3", "60", { 0, 100, 200, 300, 400, END_TIMES }, -1 },
	{ "3", "10", { 0, 5, 10, 14, END_TIMES }, 3 },
	{ "1", "60", { 5, END_TIMES }, 0 },
	{ "2", "1", { 0, 1, 2, 3, 3, END_TIMES }, 4 },
	{ "5", "10", { 0, 1, 2, 3, 20, 21, 22, 23, 24, END_TIMES }, 8 },
	{ "5", "10", { 0, 1, 2, 3, 20, 21, 22, 23, 30, END_TIMES }, -1 },
	{ "10", "10 mins", { 0, 60, 120, 180, 240, 300, 360, 420, 480, 599,
			     END_TIMES }, 9 },
	{ "10", "10 mins", { 0, 60, 120, 180, 240, 300, 360, 420, 480, 600,
			     END_TIMES }, -1 },
};

START_TEST(test_threshold)
{
	const char *const settings[] = {
		"lockout_ip_failures", threshold_cases[_i].failures,
		"lockout_ip_window", threshold_cases[_i].window, NULL
	};
	struct fixture fx;
	int i, ret;

	fixture_init(&fx, settings);
	for (i = 0; threshold_cases[_i].times[i] != END_TIMES; i++) {
		ret = observe(&fx, T0 + threshold_cases[_i].times[i],
			      "192.0.2.1");
		ck_assert_msg(ret == (i == threshold_cases[_i].ban_at),
			      "failure #%d: observe returned %d", i, ret);
	}
	ck_assert(is_allowed(&fx, T0 + threshold_cases[_i].times[i - 1],
			     "192.0.2.1") == (threshold_cases[_i].ban_at < 0));
	fixture_deinit(&fx);
}
END_TEST

static const struct {
	enum lockout_outcome outcome;
	bool counts;
	const char *name;
} outcome_cases[] = {
	{ LOCKOUT_OUTCOME_SUCCESS, false, "success" },
	{ LOCKOUT_OUTCOME_MISMATCH, true, "mismatch" },
	{ LOCKOUT_OUTCOME_UNKNOWN_USER, true, "unknown_user" },
	{ LOCKOUT_OUTCOME_REFUSED, false, "refused" },
};

START_TEST(test_outcomes)
{
	const char *const settings[] = { "lockout_ip_failures", "3", NULL };
	struct fixture fx;
	int i, ret;

	ck_assert_str_eq(lockout_outcome_to_str(outcome_cases[_i].outcome),
			 outcome_cases[_i].name);
	fixture_init(&fx, settings);
	for (i = 0; i < 20; i++) {
		ret = observe_full(&fx, T0 + i, "192.0.2.1",
				   outcome_cases[_i].outcome, "u", "imap",
				   "PLAIN", NULL);
		/* every third failure bans: counting restarts after a ban */
		ck_assert_int_eq(ret, (outcome_cases[_i].counts && i % 3 == 2));
	}
	if (!outcome_cases[_i].counts) {
		ck_assert_uint_eq(lockout_policy_source_count(fx.policy), 0);
		ck_assert(is_allowed(&fx, T0 + 20, "192.0.2.1"));
	}
	fixture_deinit(&fx);
}
END_TEST

START_TEST(test_outcomes_mixed)
{
	const char *const settings[] = { "lockout_ip_failures", "3", NULL };
	struct lockout_decision decision;
	struct fixture fx;

	ck_assert_str_eq(lockout_outcome_to_str((enum lockout_outcome)99),
			 "unknown");
	fixture_init(&fx, settings);
	/* UNKNOWN_USER counts like MISMATCH; the others do not count */
	ck_assert_int_eq(observe_full(&fx, T0, "192.0.2.1",
				      LOCKOUT_OUTCOME_UNKNOWN_USER, "nobody",
				      "imap", "PLAIN", NULL), 0);
	ck_assert_int_eq(observe_full(&fx, T0, "192.0.2.1",
				      LOCKOUT_OUTCOME_SUCCESS, "alice",
				      "imap", "PLAIN", NULL), 0);
	ck_assert_int_eq(observe_full(&fx, T0, "192.0.2.1",
				      LOCKOUT_OUTCOME_REFUSED, "alice",
				      "imap", "PLAIN", NULL), 0);
	ck_assert_int_eq(observe_full(&fx, T0, "192.0.2.1",
				      LOCKOUT_OUTCOME_MISMATCH, "alice",
				      "imap", "PLAIN", NULL), 0);
	ck_assert_int_eq(observe_full(&fx, T0 + 1, "192.0.2.1",
				      LOCKOUT_OUTCOME_UNKNOWN_USER, "bob",
				      "imap", "PLAIN", &decision), 1);
	ck_assert_uint_eq(decision.failures, 3);
	ck_assert_int_eq(evidence_int(&decision, "failures"), 3);
	ck_assert_int_eq(evidence_int(&decision, "unknown_user_failures"), 2);
	/* SUCCESS and REFUSED did not become evidence */
	evidence_has(&decision, "\"users\":[\"nobody\",\"alice\",\"bob\"]");
	lockout_decision_free(&decision);
	fixture_deinit(&fx);
}
END_TEST

START_TEST(test_decision)
{
	const char *const settings[] = {
		"lockout_ip_failures", "4", "lockout_ip_window", "1 min",
		"lockout_ban_time", "1 hour", NULL
	};
	struct lockout_decision decision;
	struct lockout_net net;
	struct fixture fx;
	char buf[128];
	int64_t value;

	fixture_init(&fx, settings);
	ck_assert_int_eq(observe_full(&fx, T0, "192.0.2.10",
				      LOCKOUT_OUTCOME_MISMATCH, "alice",
				      "imap", "PLAIN", NULL), 0);
	ck_assert_int_eq(observe_full(&fx, T0 + 5, "192.0.2.10",
				      LOCKOUT_OUTCOME_UNKNOWN_USER, "bob",
				      "pop3", "LOGIN", NULL), 0);
	ck_assert_int_eq(observe_full(&fx, T0 + 6, "192.0.2.10",
				      LOCKOUT_OUTCOME_MISMATCH, "alice",
				      "ftp", "plain", NULL), 0);
	ck_assert_int_eq(observe_full(&fx, T0 + 7, "192.0.2.10",
				      LOCKOUT_OUTCOME_MISMATCH,
				      "we\"ird\\", "IMAP", "X-UNKNOWN",
				      &decision), 1);

	ck_assert_int_eq(decision.kind, LOCKOUT_KIND_IP);
	ck_assert_str_eq(decision.target, "192.0.2.10");
	lockout_net_to_str(&decision.net, buf);
	ck_assert_str_eq(buf, "192.0.2.10");
	ck_assert_str_eq(decision.rule, "ip_failures");
	ck_assert_int_eq(decision.created, T0 + 7);
	ck_assert_int_eq(decision.expires, T0 + 7 + HOUR);
	ck_assert_uint_eq(decision.failures, 4);
	ck_assert_msg(strstr(decision.reason, "4 failed logins") != NULL,
		      "reason: %s", decision.reason);

	ck_assert_ptr_nonnull(decision.evidence.data);
	ck_assert_int_eq(evidence_int(&decision, "failures"), 4);
	ck_assert_int_eq(evidence_int(&decision, "threshold"), 4);
	ck_assert_int_eq(evidence_int(&decision, "window"), 60);
	ck_assert_int_eq(evidence_int(&decision, "unknown_user_failures"), 1);
	ck_assert_int_eq(evidence_int(&decision, "first_seen"), T0);
	ck_assert_int_eq(evidence_int(&decision, "last_seen"), T0 + 7);
	ck_assert_int_eq(evidence_int(&decision, "users_more"), 0);
	ck_assert_int_eq(evidence_int(&decision, "distinct_users"), 3);
	ck_assert_int_eq(lockout_json_get_string(decision.evidence.data,
						 "rule", buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "ip_failures");
	/* arrays: not readable by the flat reader, but the whole document is
	   validated by it above */
	ck_assert_int_eq(lockout_json_get_int(decision.evidence.data, "users",
					      &value), -1);
	evidence_has(&decision,
		     "\"users\":[\"alice\",\"bob\",\"we\\\"ird\\\\\"]");
	evidence_has(&decision, "\"services\":[\"imap\",\"pop3\",\"other\"]");
	evidence_has(&decision,
		     "\"mechanisms\":[\"PLAIN\",\"LOGIN\",\"other\"]");

	/* the engine already holds the ban */
	ck_assert_ptr_nonnull(lockout_banset_find(
		lockout_policy_bans(fx.policy), &decision.net));
	lockout_policy_source_net(fx.policy, &decision.net.addr, &net);
	ck_assert(lockout_addr_equals(&net.addr, &decision.net.addr));
	ck_assert_uint_eq(net.prefix, decision.net.prefix);
	lockout_decision_free(&decision);
	ck_assert_ptr_null(decision.evidence.data);
	fixture_deinit(&fx);
}
END_TEST

START_TEST(test_evidence_users_limit)
{
	const char *const settings[] = { "lockout_ip_failures", "7", NULL };
	static const char *const users[] = {
		"u1", "u2", "u1", "u3", "u4", "u5", "u6"
	};
	struct lockout_decision decision;
	struct fixture fx;
	unsigned int i;
	int ret;

	fixture_init(&fx, settings);
	for (i = 0; i < N_ELEMENTS(users); i++) {
		ret = observe_full(&fx, T0 + i, "198.51.100.7",
				   LOCKOUT_OUTCOME_UNKNOWN_USER, users[i],
				   "smtp", "LOGIN", &decision);
		ck_assert_int_eq(ret, i + 1 == N_ELEMENTS(users));
	}
	evidence_has(&decision, "\"users\":[\"u1\",\"u2\",\"u3\",\"u4\"]");
	ck_assert_int_eq(evidence_int(&decision, "users_more"), 2);
	ck_assert_int_eq(evidence_int(&decision, "distinct_users"), 6);
	ck_assert_int_eq(evidence_int(&decision, "unknown_user_failures"), 7);
	evidence_has(&decision, "\"services\":[\"smtp\"]");
	evidence_has(&decision, "\"mechanisms\":[\"LOGIN\"]");
	lockout_decision_free(&decision);
	fixture_deinit(&fx);
}
END_TEST

START_TEST(test_allowed_until_expiry)
{
	const char *const settings[] = {
		"lockout_ip_failures", "2", "lockout_ban_time", "1 hour", NULL
	};
	const struct lockout_banset_entry *ban = NULL;
	struct lockout_addr addr;
	struct fixture fx;

	fixture_init(&fx, settings);
	ck_assert(is_allowed(&fx, T0, "192.0.2.1"));
	ck_assert_int_eq(observe(&fx, T0, "192.0.2.1"), 0);
	ck_assert(is_allowed(&fx, T0, "192.0.2.1"));
	ck_assert_int_eq(observe(&fx, T0 + 10, "192.0.2.1"), 1);

	test_addr("192.0.2.1", &addr);
	ck_assert(!lockout_policy_allowed(fx.policy, T0 + 10, &addr, &ban));
	ck_assert_ptr_nonnull(ban);
	ck_assert_int_eq(ban->expires, T0 + 10 + HOUR);
	ck_assert(!is_allowed(&fx, T0 + 10 + HOUR - 1, "192.0.2.1"));
	ck_assert(!is_allowed(&fx, T0 + 10 + HOUR - 1, "::ffff:192.0.2.1"));
	ck_assert(is_allowed(&fx, T0 + 10 + HOUR, "192.0.2.1"));
	ck_assert(is_allowed(&fx, T0 + 10 + 2 * HOUR, "192.0.2.1"));
	/* neighbours are not banned */
	ck_assert(is_allowed(&fx, T0 + 10, "192.0.2.2"));
	ck_assert(is_allowed(&fx, T0 + 10, "192.0.2.0"));
	fixture_deinit(&fx);
}
END_TEST

START_TEST(test_permanent)
{
	const char *const settings[] = {
		"lockout_ip_failures", "2", "lockout_ban_time", "permanent",
		"lockout_ban_time_max", "permanent", NULL
	};
	struct lockout_decision decision;
	struct fixture fx;

	fixture_init(&fx, settings);
	ck_assert_int_eq(observe(&fx, T0, "203.0.113.5"), 0);
	ck_assert_int_eq(observe_full(&fx, T0 + 1, "203.0.113.5",
				      LOCKOUT_OUTCOME_MISMATCH, "x", "imap",
				      "PLAIN", &decision), 1);
	ck_assert_int_eq(decision.expires, 0);
	lockout_decision_free(&decision);
	ck_assert(!is_allowed(&fx, T0 + 1, "203.0.113.5"));
	ck_assert(!is_allowed(&fx, INT64_MAX, "203.0.113.5"));
	fixture_deinit(&fx);
}
END_TEST

START_TEST(test_counting_restarts)
{
	const char *const settings[] = {
		"lockout_ip_failures", "3", "lockout_ip_window", "1 hour", NULL
	};
	struct lockout_decision decision;
	struct fixture fx;
	int round, i;

	fixture_init(&fx, settings);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 3; i++) {
			ck_assert_int_eq(observe_full(&fx, T0 + round * 10 + i,
					 "192.0.2.77",
					 LOCKOUT_OUTCOME_MISMATCH, "u", NULL,
					 NULL, &decision), i == 2);
		}
		/* the new ban counts only the new failures */
		ck_assert_uint_eq(decision.failures, 3);
		ck_assert_int_eq(evidence_int(&decision, "failures"), 3);
		ck_assert_int_eq(evidence_int(&decision, "first_seen"),
				 T0 + round * 10);
		lockout_decision_free(&decision);
	}
	fixture_deinit(&fx);
}
END_TEST

/* Allowed networks: setting (NULL = default), address, banned? */
static const struct {
	const char *allow;
	const char *ip;
	bool banned;
} allow_cases[] = {
	{ NULL, "127.0.0.1", false },
	{ NULL, "127.255.1.2", false },
	{ NULL, "::1", false },
	{ NULL, "::ffff:127.0.0.1", false },
	{ NULL, "192.0.2.1", true },
	{ NULL, "128.0.0.1", true },
	{ NULL, "::2", true },
	{ "192.0.2.0/24, 2001:db8::/32", "192.0.2.200", false },
	{ "192.0.2.0/24, 2001:db8::/32", "::ffff:192.0.2.9", false },
	{ "192.0.2.0/24, 2001:db8::/32", "2001:db8:ffff::1", false },
	{ "192.0.2.0/24, 2001:db8::/32", "192.0.3.1", true },
	{ "192.0.2.0/24, 2001:db8::/32", "2001:db9::1", true },
	/* a custom list replaces the default */
	{ "192.0.2.0/24, 2001:db8::/32", "127.0.0.1", true },
	{ "192.0.2.0/24, 2001:db8::/32", "::1", true },
	{ "", "127.0.0.1", true },
	{ "", "::1", true },
	{ "0.0.0.0/0", "203.0.113.9", false },
	{ "0.0.0.0/0", "2001:db8::9", true },
};

START_TEST(test_allow_networks)
{
	const char *settings[] = {
		"lockout_ip_failures", "2", NULL, NULL, NULL
	};
	struct fixture fx;
	int ret;

	if (allow_cases[_i].allow != NULL) {
		settings[2] = "lockout_allow_networks";
		settings[3] = allow_cases[_i].allow;
	}
	fixture_init(&fx, settings);
	ck_assert_int_eq(observe(&fx, T0, allow_cases[_i].ip), 0);
	ret = observe(&fx, T0 + 1, allow_cases[_i].ip);
	ck_assert_msg(ret == (allow_cases[_i].banned ? 1 : 0),
		      "allow=%s ip=%s: observe returned %d",
		      allow_cases[_i].allow == NULL ? "(default)" :
		      allow_cases[_i].allow, allow_cases[_i].ip, ret);
	ck_assert(is_allowed(&fx, T0 + 1, allow_cases[_i].ip) ==
		  !allow_cases[_i].banned);
	if (!allow_cases[_i].banned)
		ck_assert_uint_eq(lockout_policy_source_count(fx.policy), 0);
	fixture_deinit(&fx);
}
END_TEST

/* IPv6 sources: the prefix setting, three failing addresses that share a
   source, the target and kind of the ban, an address inside the banned
   network and one just outside it. */
static const struct {
	const char *prefix;
	const char *ips[3];
	const char *target;
	enum lockout_kind kind;
	const char *inside, *outside;
} ipv6_cases[] = {
	{ NULL, { "2001:db8:1:2::1", "2001:db8:1:2::2",
		  "2001:db8:1:2:ffff:ffff:ffff:ffff" },
	  "2001:db8:1:2::/64", LOCKOUT_KIND_NET,
	  "2001:db8:1:2:abcd::9", "2001:db8:1:3::1" },
	{ "48", { "2001:db8:1:2::1", "2001:db8:1:3::1",
		  "2001:db8:1:ffff::1" },
	  "2001:db8:1::/48", LOCKOUT_KIND_NET,
	  "2001:db8:1:abcd::1", "2001:db8:2::1" },
	{ "56", { "2001:db8:1:200::1", "2001:db8:1:2ff::1",
		  "2001:db8:1:280::1" },
	  "2001:db8:1:200::/56", LOCKOUT_KIND_NET,
	  "2001:db8:1:2aa::1", "2001:db8:1:300::1" },
	{ "128", { "2001:db8::1", "2001:db8::1", "2001:db8:0::1" },
	  "2001:db8::1", LOCKOUT_KIND_IP,
	  "2001:db8::1", "2001:db8::2" },
};

START_TEST(test_ipv6_prefix)
{
	const char *settings[] = {
		"lockout_ip_failures", "3", NULL, NULL, NULL
	};
	struct lockout_decision decision;
	struct lockout_addr addr;
	struct lockout_net net;
	char buf[LOCKOUT_NET_STRLEN];
	struct fixture fx;
	unsigned int i;

	if (ipv6_cases[_i].prefix != NULL) {
		settings[2] = "lockout_ipv6_prefix";
		settings[3] = ipv6_cases[_i].prefix;
	}
	fixture_init(&fx, settings);
	test_addr(ipv6_cases[_i].ips[0], &addr);
	lockout_policy_source_net(fx.policy, &addr, &net);
	lockout_net_to_str(&net, buf);
	ck_assert_str_eq(buf, ipv6_cases[_i].target);

	for (i = 0; i < 3; i++) {
		/* another network's failures never add to this one */
		if (i < 2) {
			ck_assert_int_eq(observe(&fx, T0 + i,
						 ipv6_cases[_i].outside), 0);
		}
		ck_assert_int_eq(observe_full(&fx, T0 + i,
					      ipv6_cases[_i].ips[i],
					      LOCKOUT_OUTCOME_MISMATCH, "u",
					      "imap", "PLAIN", &decision),
				 i == 2);
	}
	ck_assert_str_eq(decision.target, ipv6_cases[_i].target);
	ck_assert_int_eq(decision.kind, ipv6_cases[_i].kind);
	ck_assert_uint_eq(decision.failures, 3);
	lockout_decision_free(&decision);
	ck_assert(!is_allowed(&fx, T0 + 3, ipv6_cases[_i].inside));
	ck_assert(is_allowed(&fx, T0 + 3, ipv6_cases[_i].outside));
	fixture_deinit(&fx);
}
END_TEST

START_TEST(test_ipv4_mapped)
{
	const char *const settings[] = { "lockout_ip_failures", "3", NULL };
	struct lockout_decision decision;
	struct fixture fx;

	fixture_init(&fx, settings);
	ck_assert_int_eq(observe(&fx, T0, "::ffff:192.0.2.1"), 0);
	ck_assert_int_eq(observe(&fx, T0, "192.0.2.1"), 0);
	ck_assert_int_eq(observe_full(&fx, T0, "::ffff:c000:201",
				      LOCKOUT_OUTCOME_MISMATCH, "u", "imap",
				      "PLAIN", &decision), 1);
	ck_assert_int_eq(decision.kind, LOCKOUT_KIND_IP);
	ck_assert_str_eq(decision.target, "192.0.2.1");
	lockout_decision_free(&decision);
	ck_assert_uint_eq(lockout_policy_source_count(fx.policy), 1);
	ck_assert(!is_allowed(&fx, T0, "192.0.2.1"));
	ck_assert(!is_allowed(&fx, T0, "::ffff:192.0.2.1"));
	fixture_deinit(&fx);
}
END_TEST

START_TEST(test_forget)
{
	const char *const settings[] = { "lockout_ip_failures", "3", NULL };
	struct lockout_addr addr;
	struct lockout_net net;
	struct fixture fx;

	fixture_init(&fx, settings);
	ck_assert_int_eq(observe(&fx, T0, "192.0.2.1"), 0);
	ck_assert_int_eq(observe(&fx, T0 + 1, "192.0.2.1"), 0);
	ck_assert_int_eq(observe(&fx, T0 + 1, "2001:db8::1"), 0);
	ck_assert_uint_eq(lockout_policy_source_count(fx.policy), 2);

	test_addr("192.0.2.1", &addr);
	lockout_policy_source_net(fx.policy, &addr, &net);
	lockout_policy_forget(fx.policy, &net);
	ck_assert_uint_eq(lockout_policy_source_count(fx.policy), 1);
	/* twice is harmless */
	lockout_policy_forget(fx.policy, &net);
	ck_assert_uint_eq(lockout_policy_source_count(fx.policy), 1);

	ck_assert_int_eq(observe(&fx, T0 + 2, "192.0.2.1"), 0);
	ck_assert_int_eq(observe(&fx, T0 + 3, "192.0.2.1"), 0);
	ck_assert_int_eq(observe(&fx, T0 + 4, "192.0.2.1"), 1);

	/* an IPv6 source is forgotten by its network */
	test_addr("2001:db8::ffff", &addr);
	lockout_policy_source_net(fx.policy, &addr, &net);
	lockout_policy_forget(fx.policy, &net);
	ck_assert_int_eq(observe(&fx, T0 + 5, "2001:db8::1"), 0);
	ck_assert_int_eq(observe(&fx, T0 + 5, "2001:db8::2"), 0);
	ck_assert_int_eq(observe(&fx, T0 + 5, "2001:db8::3"), 1);
	fixture_deinit(&fx);
}
END_TEST

/* One MISMATCH from the i-th flood address: distinct for every i < 2^24;
   built directly, as parsing 100000 strings would only cost time. */
static int observe_flood(struct fixture *fx, int64_t time, unsigned int i)
{
	struct lockout_attempt attempt;
	struct lockout_decision decision;
	int ret;

	memset(&attempt, 0, sizeof(attempt));
	attempt.time = time;
	attempt.ip.family = LOCKOUT_AF_INET;
	attempt.ip.bytes[0] = 10;
	attempt.ip.bytes[1] = (uint8_t)(i >> 16);
	attempt.ip.bytes[2] = (uint8_t)(i >> 8);
	attempt.ip.bytes[3] = (uint8_t)i;
	attempt.user = "user";
	attempt.outcome = LOCKOUT_OUTCOME_MISMATCH;
	ret = lockout_policy_observe(fx->policy, &attempt, &decision);
	if (ret > 0)
		lockout_decision_free(&decision);
	return ret;
}

/* One failure from each of FLOOD_SOURCES distinct addresses, and one from
   the hot address after every hot_every - 1 of them, per_second attempts
   per second. Returns how many times the hot address was banned. */
static unsigned int flood(unsigned int hot_every, unsigned int per_second,
			  unsigned int *hot_failures_r)
{
	const char *const settings[] = {
		"lockout_max_sources", "64", "lockout_ip_failures", "10",
		"lockout_ip_window", "1 day", NULL
	};
	unsigned int i, n = 0, hot_bans = 0, hot_failures = 0;
	struct fixture fx;
	size_t capacity;
	int64_t now;

	fixture_init(&fx, settings);
	capacity = lockout_policy_source_capacity(fx.policy);
	ck_assert_uint_ge(capacity, 64);
	/* bounded: not much more than asked for */
	ck_assert_uint_le(capacity, 128);
	for (i = 0; i < FLOOD_SOURCES; i++) {
		now = T0 + n++ / per_second;
		ck_assert_int_eq(observe_flood(&fx, now, i), 0);
		ck_assert_uint_le(lockout_policy_source_count(fx.policy),
				  capacity);
		if (i % (hot_every - 1) != 0)
			continue;
		now = T0 + n++ / per_second;
		hot_failures++;
		if (observe(&fx, now, "192.0.2.66") > 0)
			hot_bans++;
	}
	ck_assert_uint_eq(lockout_policy_source_count(fx.policy), capacity);
	ck_assert_uint_eq(lockout_banset_count(lockout_policy_bans(fx.policy)),
			  hot_bans > 0 ? 1 : 0);
	fixture_deinit(&fx);
	*hot_failures_r = hot_failures;
	return hot_bans;
}

START_TEST(test_eviction_bounded)
{
	unsigned int hot_failures, hot_bans;

	/* one attempt per second: "least recently seen" is unambiguous */
	hot_bans = flood(4, 1, &hot_failures);
	ck_assert_uint_eq(hot_bans, hot_failures / 10);
}
END_TEST

START_TEST(test_eviction_burst)
{
	unsigned int hot_failures, hot_bans;

	/* A realistic flood: 1000 attempts per second (time is in seconds).
	   Between two failures of the hot address only three others arrive,
	   so with least-recently-seen eviction in sets of 8 nothing can
	   push it out: it must be banned at every 10th failure. */
	hot_bans = flood(4, 1000, &hot_failures);
	ck_assert_msg(hot_bans == hot_failures / 10,
		      "the hot source was banned %u times for %u failures "
		      "(expected %u): it was evicted although it was the "
		      "most recently seen source of its set", hot_bans,
		      hot_failures, hot_failures / 10);
}
END_TEST

START_TEST(test_long_username)
{
	const char *const settings[] = { "lockout_ip_failures", "3", NULL };
	struct lockout_decision decision;
	char *user, *user_utf8;
	const char *p;
	struct fixture fx;
	size_t i, n, len = 10 * 1024;

	user = malloc(len + 1);
	user_utf8 = malloc(len + 1);
	ck_assert(user != NULL && user_utf8 != NULL);
	memset(user, 'x', len);
	user[len] = '\0';
	/* two-byte UTF-8 sequences that truncation may cut in half */
	user_utf8[0] = 'y';
	for (i = 1; i + 1 < len; i += 2) {
		user_utf8[i] = '\xc3';
		user_utf8[i + 1] = '\xa9';
	}
	user_utf8[i] = '\0';

	fixture_init(&fx, settings);
	ck_assert_int_eq(observe_full(&fx, T0, "192.0.2.1",
				      LOCKOUT_OUTCOME_MISMATCH, user, user,
				      user, NULL), 0);
	ck_assert_int_eq(observe_full(&fx, T0, "192.0.2.1",
				      LOCKOUT_OUTCOME_MISMATCH, user_utf8,
				      "imap", "PLAIN", NULL), 0);
	ck_assert_int_eq(observe_full(&fx, T0, "192.0.2.1",
				      LOCKOUT_OUTCOME_MISMATCH, user, "imap",
				      "PLAIN", &decision), 1);
	ck_assert_uint_lt(decision.evidence.len, 1024);
	ck_assert_int_eq(evidence_int(&decision, "distinct_users"), 2);
	ck_assert_int_eq(evidence_int(&decision, "failures"), 3);
	evidence_has(&decision, "\"services\":[\"imap\",\"other\"]");
	evidence_has(&decision, "\"mechanisms\":[\"PLAIN\",\"other\"]");
	/* the name is kept, cut short */
	p = strstr(decision.evidence.data, "\"users\":[\"");
	ck_assert_ptr_nonnull(p);
	p += strlen("\"users\":[\"");
	n = strspn(p, "x");
	ck_assert_uint_ge(n, 16);
	ck_assert_uint_lt(n, 256);
	ck_assert_int_eq(p[n], '"');
	evidence_has(&decision, ",\"y\xc3\xa9\xc3\xa9");
	ck_assert(strlen(decision.reason) < sizeof(decision.reason));
	lockout_decision_free(&decision);
	fixture_deinit(&fx);
	free(user);
	free(user_utf8);
}
END_TEST

START_TEST(test_null_fields)
{
	const char *const settings[] = { "lockout_ip_failures", "2", NULL };
	struct lockout_decision decision;
	struct fixture fx;

	fixture_init(&fx, settings);
	ck_assert_int_eq(observe_full(&fx, T0, "192.0.2.1",
				      LOCKOUT_OUTCOME_MISMATCH, NULL, NULL,
				      NULL, NULL), 0);
	ck_assert_int_eq(observe_full(&fx, T0, "192.0.2.1",
				      LOCKOUT_OUTCOME_UNKNOWN_USER, NULL, NULL,
				      NULL, &decision), 1);
	ck_assert_int_eq(evidence_int(&decision, "failures"), 2);
	ck_assert_int_eq(evidence_int(&decision, "users_more"), 0);
	evidence_has(&decision, "\"services\":[]");
	evidence_has(&decision, "\"mechanisms\":[]");
	lockout_decision_free(&decision);
	fixture_deinit(&fx);
}
END_TEST

START_TEST(test_same_user_once)
{
	const char *const settings[] = { "lockout_ip_failures", "5", NULL };
	struct lockout_decision decision;
	struct fixture fx;
	int i;

	fixture_init(&fx, settings);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(observe_full(&fx, T0 + i, "192.0.2.1",
					      LOCKOUT_OUTCOME_MISMATCH, "root",
					      "imap", "PLAIN", &decision),
				 i == 4);
	}
	evidence_has(&decision, "\"users\":[\"root\"]");
	ck_assert_int_eq(evidence_int(&decision, "distinct_users"), 1);
	ck_assert_int_eq(evidence_int(&decision, "users_more"), 0);
	lockout_decision_free(&decision);
	fixture_deinit(&fx);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("lockout-policy");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_threshold, 0,
			    N_ELEMENTS(threshold_cases));
	tcase_add_loop_test(tc, test_outcomes, 0, N_ELEMENTS(outcome_cases));
	tcase_add_test(tc, test_outcomes_mixed);
	tcase_add_test(tc, test_decision);
	tcase_add_test(tc, test_evidence_users_limit);
	tcase_add_test(tc, test_allowed_until_expiry);
	tcase_add_test(tc, test_permanent);
	tcase_add_test(tc, test_counting_restarts);
	tcase_add_loop_test(tc, test_allow_networks, 0,
			    N_ELEMENTS(allow_cases));
	tcase_add_loop_test(tc, test_ipv6_prefix, 0, N_ELEMENTS(ipv6_cases));
	tcase_add_test(tc, test_ipv4_mapped);
	tcase_add_test(tc, test_forget);
	tcase_add_test(tc, test_eviction_bounded);
	tcase_add_test(tc, test_eviction_burst);
	tcase_add_test(tc, test_long_username);
	tcase_add_test(tc, test_null_fields);
	tcase_add_test(tc, test_same_user_once);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
