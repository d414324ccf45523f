/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The policy engine, counting per source: ip_failures, outcomes, stale
   clients, targeted names. */
#include "policy-fixture.h"

/* --- counting per source -------------------------------------------------- */

#define MAX_STEPS 12

static const struct {
	const char *name;
	const char *settings[7];
	struct {
		int dt;
		const char *ip;
	} steps[MAX_STEPS];
	int ban_at; /* index of the banning step, or NONE */
	const char *target;
	enum lockout_kind kind;
} threshold_cases[] = {
	{ "ipv4 default", { NULL },
	  { { 0, "192.0.2.1" }, { 1, "192.0.2.1" }, { 2, "192.0.2.1" },
	    { 3, "192.0.2.1" }, { 4, "192.0.2.1" }, { 5, "192.0.2.1" },
	    { 6, "192.0.2.1" }, { 7, "192.0.2.1" }, { 8, "192.0.2.1" },
	    { 9, "192.0.2.1" } },
	  9, "192.0.2.1", LOCKOUT_KIND_IP },
	{ "ipv4 three", { "lockout_ip_failures", "3", NULL },
	  { { 0, "192.0.2.1" }, { 1, "192.0.2.1" }, { 2, "192.0.2.1" } },
	  2, "192.0.2.1", LOCKOUT_KIND_IP },
	{ "span below the window bans",
	  { "lockout_ip_failures", "3", "lockout_ip_window", "10 secs",
	    NULL },
	  { { 0, "192.0.2.1" }, { 5, "192.0.2.1" }, { 9, "192.0.2.1" } },
	  2, "192.0.2.1", LOCKOUT_KIND_IP },
	{ "span equal to the window does not",
	  { "lockout_ip_failures", "3", "lockout_ip_window", "10 secs",
	    NULL },
	  { { 0, "192.0.2.1" }, { 5, "192.0.2.1" }, { 10, "192.0.2.1" },
	    { 11, "192.0.2.1" } },
	  3, "192.0.2.1", LOCKOUT_KIND_IP },
	{ "the last ip_failures count",
	  { "lockout_ip_failures", "3", "lockout_ip_window", "10 secs",
	    NULL },
	  { { 0, "192.0.2.1" }, { 8, "192.0.2.1" }, { 12, "192.0.2.1" },
	    { 15, "192.0.2.1" } },
	  3, "192.0.2.1", LOCKOUT_KIND_IP },
	{ "slow failures never",
	  { "lockout_ip_failures", "3", "lockout_ip_window", "10 secs",
	    NULL },
	  { { 0, "192.0.2.1" }, { 10, "192.0.2.1" }, { 20, "192.0.2.1" },
	    { 30, "192.0.2.1" }, { 40, "192.0.2.1" } },
	  NONE, NULL, LOCKOUT_KIND_IP },
	{ "ipv4 addresses apart", { "lockout_ip_failures", "3", NULL },
	  { { 0, "192.0.2.1" }, { 1, "192.0.2.2" }, { 2, "192.0.2.3" },
	    { 3, "192.0.2.4" } },
	  NONE, NULL, LOCKOUT_KIND_IP },
	{ "ipv6 /64 together", { "lockout_ip_failures", "3", NULL },
	  { { 0, "2001:db8:1:2::1" }, { 1, "2001:db8:1:2::2" },
	    { 2, "2001:db8:1:2:ffff:ffff:ffff:ffff" } },
	  2, "2001:db8:1:2::/64", LOCKOUT_KIND_NET },
	{ "ipv6 /64s apart", { "lockout_ip_failures", "3", NULL },
	  { { 0, "2001:db8:1:2::1" }, { 1, "2001:db8:1:3::1" },
	    { 2, "2001:db8:1:4::1" }, { 3, "2001:db8:2:2::1" } },
	  NONE, NULL, LOCKOUT_KIND_NET },
	{ "ipv6 /48 by setting",
	  { "lockout_ip_failures", "3", "lockout_ipv6_prefix", "48", NULL },
	  { { 0, "2001:db8:1:2::1" }, { 1, "2001:db8:1:3::1" },
	    { 2, "2001:db8:1:ffff::1" } },
	  2, "2001:db8:1::/48", LOCKOUT_KIND_NET },
	{ "ipv6 /128 by setting",
	  { "lockout_ip_failures", "3", "lockout_ipv6_prefix", "128",
	    NULL },
	  { { 0, "2001:db8::1" }, { 1, "2001:db8::2" }, { 2, "2001:db8::1" },
	    { 3, "2001:db8::1" } },
	  3, "2001:db8::1", LOCKOUT_KIND_IP },
	{ "ipv4-mapped ipv6 is ipv4", { "lockout_ip_failures", "3", NULL },
	  { { 0, "::ffff:192.0.2.1" }, { 1, "192.0.2.1" },
	    { 2, "::ffff:c000:201" } },
	  2, "192.0.2.1", LOCKOUT_KIND_IP },
};

START_TEST(test_threshold)
{
	struct fixture *fx = fixture_new(threshold_cases[_i].settings);
	const struct record *r;
	unsigned int i;
	int ret;

	for (i = 0; i < MAX_STEPS && threshold_cases[_i].steps[i].ip != NULL;
	     i++) {
		ret = observe(fx, T0 + threshold_cases[_i].steps[i].dt,
			      threshold_cases[_i].steps[i].ip,
			      LOCKOUT_OUTCOME_MISMATCH, "alice", i + 1);
		ck_assert_msg(ret == ((int)i == threshold_cases[_i].ban_at),
			      "%s: step %u gave %d decisions",
			      threshold_cases[_i].name, i, ret);
	}
	if (threshold_cases[_i].ban_at == NONE) {
		ck_assert_uint_eq(fx->decisions, 0);
		ck_assert_int_eq(check(fx, T0 + 60, threshold_cases[_i].
				       steps[0].ip, NULL),
				 LOCKOUT_VERDICT_ALLOW);
	} else {
		int64_t when = T0 + threshold_cases[_i].
			steps[threshold_cases[_i].ban_at].dt;
		char buf[LOCKOUT_NET_STRLEN];

		ck_assert_uint_eq(fx->decisions, 1);
		r = &fx->rec[0];
		ck_assert_int_eq(r->type, LOCKOUT_DECISION_BAN);
		ck_assert_str_eq(r->rule, "ip_failures");
		ck_assert_str_eq(r->target, threshold_cases[_i].target);
		ck_assert_str_eq(net_str(&r->net, buf),
				 threshold_cases[_i].target);
		ck_assert_int_eq(r->kind, threshold_cases[_i].kind);
		ck_assert_int_eq(r->time, when);
		ck_assert_int_eq(r->expires, when + HOUR);
		ck_assert_uint_eq(r->failures, fx->cfg.ip_failures);
		ev_basic(r);
		ck_assert_int_eq(check(fx, when, threshold_cases[_i].
				       steps[0].ip, NULL),
				 LOCKOUT_VERDICT_BANNED);
	}
	fixture_free(&fx);
}
END_TEST

/* Outcomes as letters: Success, Mismatch, Unknown user, Refused. */
static const struct {
	const char *outcomes;
	int ban_at;
} outcome_cases[] = {
	{ "MMM", 2 },
	{ "UUU", 2 },
	{ "MUM", 2 },
	{ "SSSSSSSS", NONE },
	{ "RRRRRRRR", NONE },
	{ "MSRMSRRRM", 8 },
	{ "MMSMM", 3 },
	{ "RRMRRMRRR", NONE },
};

START_TEST(test_outcomes)
{
	const char *const settings[] = { "lockout_ip_failures", "3", NULL };
	struct fixture *fx = fixture_new(settings);
	const char *outcomes = outcome_cases[_i].outcomes;
	unsigned int i;

	for (i = 0; outcomes[i] != '\0'; i++) {
		unsigned int bans = fx->by_type[LOCKOUT_DECISION_BAN];

		(void)observe(fx, T0 + i, "192.0.2.1", outcome_of(outcomes[i]),
			      "alice", i + 1);
		ck_assert_msg(fx->by_type[LOCKOUT_DECISION_BAN] - bans ==
			      ((int)i == outcome_cases[_i].ban_at ? 1U : 0U),
			      "%s: step %u", outcomes, i);
	}
	fixture_free(&fx);
}
END_TEST

START_TEST(test_counting_restarts)
{
	const char *const settings[] = { "lockout_ip_failures", "3", NULL };
	struct fixture *fx = fixture_new(settings);
	const struct record *r;

	ck_assert_int_eq(observe(fx, T0, "192.0.2.1",
				 LOCKOUT_OUTCOME_MISMATCH, "alice", 1), 0);
	ck_assert_int_eq(observe(fx, T0 + 1, "192.0.2.1",
				 LOCKOUT_OUTCOME_MISMATCH, "alice", 2), 0);
	ck_assert_int_eq(observe(fx, T0 + 2, "192.0.2.1",
				 LOCKOUT_OUTCOME_MISMATCH, "alice", 3), 1);
	/* the failures before the ban are not counted again */
	lift_bans(fx);
	ck_assert_int_eq(observe(fx, T0 + 3, "192.0.2.1",
				 LOCKOUT_OUTCOME_MISMATCH, "alice", 4), 0);
	ck_assert_int_eq(observe(fx, T0 + 4, "192.0.2.1",
				 LOCKOUT_OUTCOME_MISMATCH, "alice", 5), 0);
	ck_assert_int_eq(observe(fx, T0 + 5, "192.0.2.1",
				 LOCKOUT_OUTCOME_MISMATCH, "alice", 6), 1);
	r = &fx->rec[1];
	ck_assert_str_eq(r->rule, "ip_failures");
	ck_assert_int_eq(r->expires, T0 + 5 + 2 * HOUR);
	ck_assert_int_eq(ev_int(r->evidence, "previous_bans"), 1);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_check_expiry)
{
	const char *const settings[] = {
		"lockout_ip_failures", "1", "lockout_ban_time_max", "permanent",
		NULL
	};
	struct fixture *fx = fixture_new(settings);
	const struct lockout_banset_entry *ban;
	char buf[LOCKOUT_NET_STRLEN];

	ck_assert_int_eq(check(fx, T0, "192.0.2.1", "alice"),
			 LOCKOUT_VERDICT_ALLOW);
	ck_assert_int_eq(observe(fx, T0, "192.0.2.1",
				 LOCKOUT_OUTCOME_MISMATCH, "alice", 1), 1);
	ck_assert_int_eq(check_full(fx, T0 + HOUR - 1, "192.0.2.1", "alice",
				    &ban), LOCKOUT_VERDICT_BANNED);
	ck_assert_int_eq(ban->expires, T0 + HOUR);
	ck_assert_str_eq(net_str(&ban->net, buf), "192.0.2.1");
	ck_assert_int_eq(check(fx, T0 + HOUR, "192.0.2.1", "alice"),
			 LOCKOUT_VERDICT_ALLOW);
	ck_assert_int_eq(check(fx, T0, "192.0.2.2", "alice"),
			 LOCKOUT_VERDICT_ALLOW);
	/* a permanent ban from the table */
	ck_assert_int_eq(lockout_banset_add(lockout_policy_bans(fx->policy),
					    &ban->net, 0, 7), 0);
	ck_assert_int_eq(check_full(fx, T0 + 3650 * DAY, "192.0.2.1", NULL,
				    &ban), LOCKOUT_VERDICT_BANNED);
	ck_assert_int_eq(ban->expires, 0);
	ck_assert_int_eq(ban->id, 7);
	fixture_free(&fx);
}
END_TEST

/* --- stale clients -------------------------------------------------------- */

enum tag_mode {
	TAG_FIXED,	/* the same password every time */
	TAG_DISTINCT,	/* a new password every time */
	TAG_NONE,	/* no plaintext: tag 0 */
	TAG_ALTERNATE,	/* two passwords in turn */
};

static const struct {
	const char *name;
	unsigned int attempts;
	int spacing;
	enum tag_mode tags;
	bool many_users;
	int ban_at;
	unsigned int stale;	/* stale_client notables */
	int stale_at;		/* the first one, or NONE */
} stale_cases[] = {
	{ "one password 50 times", 50, 1, TAG_FIXED, false, NONE, 1, 5 },
	{ "one password 5 times", 5, 1, TAG_FIXED, false, NONE, 0, NONE },
	{ "one password 6 times", 6, 1, TAG_FIXED, false, NONE, 1, 5 },
	{ "one password 50 times at once", 50, 0, TAG_FIXED, false, NONE,
	  1, 5 },
	{ "ten passwords", 10, 1, TAG_DISTINCT, false, 9, 0, NONE },
	{ "no plaintext", 10, 1, TAG_NONE, false, 9, 0, NONE },
	{ "no plaintext at once", 10, 0, TAG_NONE, false, 9, 0, NONE },
	/* password spraying: ip_spread's, at the 4th username */
	{ "one password, ten users", 10, 1, TAG_FIXED, true, 3, 0, NONE },
	{ "two passwords 50 times", 50, 1, TAG_ALTERNATE, false, NONE, 1,
	  6 },
};

static uint32_t stale_tag(enum tag_mode mode, unsigned int i)
{
	switch (mode) {
	case TAG_FIXED:
		return 0x1234567;
	case TAG_DISTINCT:
		return 0x1000 + i;
	case TAG_NONE:
		return 0;
	case TAG_ALTERNATE:
		return 0x2000 + i % 2;
	}
	return 0;
}

START_TEST(test_stale)
{
	struct fixture *fx = fixture_new(NULL);
	unsigned int i, stale = 0;
	char user[32];
	const struct record *r;

	for (i = 0; i < stale_cases[_i].attempts; i++) {
		unsigned int bans = fx->by_type[LOCKOUT_DECISION_BAN];
		unsigned int notes = fx->by_type[LOCKOUT_DECISION_NOTABLE];

		snprintf(user, sizeof(user), "alice%u",
			 stale_cases[_i].many_users ? i : 0);
		(void)observe(fx, T0 + (int64_t)i * stale_cases[_i].spacing,
			      "192.0.2.1", LOCKOUT_OUTCOME_MISMATCH, user,
			      stale_tag(stale_cases[_i].tags, i));
		ck_assert_msg(fx->by_type[LOCKOUT_DECISION_BAN] - bans ==
			      ((int)i == stale_cases[_i].ban_at ? 1U : 0U),
			      "%s: ban at step %u", stale_cases[_i].name, i);
		if (fx->by_type[LOCKOUT_DECISION_NOTABLE] != notes) {
			if (stale++ == 0) {
				ck_assert_int_eq((int)i,
						 stale_cases[_i].stale_at);
			}
		}
	}
	ck_assert_uint_eq(stale, stale_cases[_i].stale);
	ck_assert_uint_eq(count_decisions(fx, LOCKOUT_DECISION_NOTABLE,
					  "stale_client"), stale);
	if (stale > 0) {
		r = find_decision(fx, LOCKOUT_DECISION_NOTABLE,
				  "stale_client");
		ck_assert_str_eq(r->target, "192.0.2.1");
		ck_assert_int_eq(r->kind, LOCKOUT_KIND_IP);
		ck_assert_str_eq(r->user, "alice0");
		ck_assert_uint_ge(r->failures, 5);
	}
	fixture_free(&fx);
}
END_TEST

/* One stale password for 50 minutes, a minute apart: never banned,
   reported at most once per window. */
START_TEST(test_stale_slow)
{
	struct fixture *fx = fixture_new(NULL);
	unsigned int i;
	int64_t last = 0;

	for (i = 0; i < 50; i++) {
		(void)observe(fx, T0 + i * MINUTE, "192.0.2.1",
			      LOCKOUT_OUTCOME_MISMATCH, "alice", 77);
	}
	ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_BAN], 0);
	ck_assert_uint_ge(fx->by_type[LOCKOUT_DECISION_NOTABLE], 2);
	ck_assert_uint_le(fx->by_type[LOCKOUT_DECISION_NOTABLE], 5);
	for (i = 0; i < fx->recorded; i++) {
		if (fx->rec[i].type != LOCKOUT_DECISION_NOTABLE)
			continue;
		ck_assert_str_eq(fx->rec[i].rule, "stale_client");
		if (last != 0)
			ck_assert_int_ge(fx->rec[i].time - last, 10 * MINUTE);
		last = fx->rec[i].time;
	}
	fixture_free(&fx);
}
END_TEST

/* The stale_client evidence must be readable like every other. */
START_TEST(test_stale_evidence)
{
	struct fixture *fx = fixture_new(NULL);
	const struct record *r;
	unsigned int i;

	for (i = 0; i < 6; i++) {
		(void)observe(fx, T0 + i, "192.0.2.1", LOCKOUT_OUTCOME_MISMATCH,
			      "alice", 99);
	}
	r = find_decision(fx, LOCKOUT_DECISION_NOTABLE, "stale_client");
	ck_assert_ptr_nonnull(r);
	ev_str(r->evidence, "rule", "stale_client");
	ck_assert_int_eq(ev_int(r->evidence, "repeats"), 5);
	ck_assert_int_eq(ev_int(r->evidence, "window"), 600);
	fixture_free(&fx);
}
END_TEST

/* --- targeted names ------------------------------------------------------- */

static const struct {
	const char *settings[5];
	const char *user;
	char outcome;
	unsigned int attempts;
	int ban_at;
	const char *rule;
	int64_t duration; /* PERM for permanent */
} targeted_cases[] = {
	{ { NULL }, "admin", 'U', 1, 0, "targeted_unknown", 7 * DAY },
	{ { NULL }, "ADMIN@example.org", 'U', 1, 0, "targeted_unknown",
	  7 * DAY },
	{ { NULL }, "Admin", 'U', 1, 0, "targeted_unknown", 7 * DAY },
	{ { NULL }, "info@other.tld", 'U', 1, 0, "targeted_unknown", 7 * DAY },
	{ { NULL }, "Root@mail.example.org", 'U', 1, 0, "targeted_unknown",
	  7 * DAY },
	{ { NULL }, "test", 'U', 1, 0, "targeted_unknown", 7 * DAY },
	{ { NULL }, "user", 'U', 1, 0, "targeted_unknown", 7 * DAY },
	{ { NULL }, "123", 'U', 1, 0, "targeted_unknown", 7 * DAY },
	{ { NULL }, "help", 'U', 1, 0, "targeted_unknown", 7 * DAY },
	{ { NULL }, "contact", 'U', 1, 0, "targeted_unknown", 7 * DAY },
	{ { NULL }, "no-reply", 'U', 1, 0, "targeted_unknown", 7 * DAY },
	{ { NULL }, "noreply", 'U', 1, 0, "targeted_unknown", 7 * DAY },
	{ { NULL }, "WebMaster@x.y", 'U', 1, 0, "targeted_unknown", 7 * DAY },
	{ { NULL }, "administrator", 'U', 1, 0, "targeted_unknown", 7 * DAY },
	{ { NULL }, "postmaster", 'U', 1, 0, "targeted_unknown", 7 * DAY },
	{ { NULL }, "abuse", 'U', 1, 0, "targeted_unknown", 7 * DAY },
	{ { NULL }, "support", 'U', 1, 0, "targeted_unknown", 7 * DAY },
	{ { NULL }, "office", 'U', 1, 0, "targeted_unknown", 7 * DAY },
	{ { NULL }, "mail", 'U', 1, 0, "targeted_unknown", 7 * DAY },
	{ { NULL }, "sales", 'U', 1, 0, "targeted_unknown", 7 * DAY },
	{ { NULL }, "admin@a@b", 'U', 1, NONE, NULL, 0 },
	{ { NULL }, "administrator2", 'U', 3, NONE, NULL, 0 },
	{ { NULL }, "admin2", 'U', 3, NONE, NULL, 0 },
	{ { NULL }, "myadmin@example.org", 'U', 3, NONE, NULL, 0 },
	{ { NULL }, "@example.org", 'U', 3, NONE, NULL, 0 },
	{ { NULL }, "alice", 'U', 3, NONE, NULL, 0 },
	{ { NULL }, "admin", 'M', 3, 2, "targeted_failures", HOUR },
	{ { NULL }, "Info@example.org", 'M', 3, 2, "targeted_failures", HOUR },
	{ { "lockout_targeted_failures", "5", NULL }, "admin", 'M', 5, 4,
	  "targeted_failures", HOUR },
	{ { "lockout_targeted_failures", "1", NULL }, "root", 'M', 1, 0,
	  "targeted_failures", HOUR },
	{ { "lockout_targeted_ban_time", "permanent", NULL }, "admin", 'U',
	  1, 0, "targeted_unknown", PERM },
	{ { "lockout_targeted_ban_time", "1 day", NULL }, "admin", 'U', 1, 0,
	  "targeted_unknown", DAY },
	{ { "lockout_targeted_users", "foo bar", NULL }, "admin", 'U', 3,
	  NONE, NULL, 0 },
	{ { "lockout_targeted_users", "foo bar", NULL }, "FOO@x.org", 'U', 1,
	  0, "targeted_unknown", 7 * DAY },
	{ { "lockout_targeted_users", "", NULL }, "admin", 'U', 3, NONE,
	  NULL, 0 },
};

START_TEST(test_targeted)
{
	struct fixture *fx = fixture_new(targeted_cases[_i].settings);
	const struct record *r;
	unsigned int i;
	int ret;

	for (i = 0; i < targeted_cases[_i].attempts; i++) {
		ret = observe(fx, T0 + i, "192.0.2.1",
			      outcome_of(targeted_cases[_i].outcome),
			      targeted_cases[_i].user, 100 + i);
		ck_assert_msg(ret == ((int)i == targeted_cases[_i].ban_at),
			      "%s: step %u gave %d decisions",
			      targeted_cases[_i].user, i, ret);
	}
	if (targeted_cases[_i].ban_at != NONE) {
		int64_t when = T0 + targeted_cases[_i].ban_at;

		r = &fx->rec[0];
		ck_assert_int_eq(r->type, LOCKOUT_DECISION_BAN);
		ck_assert_str_eq(r->rule, targeted_cases[_i].rule);
		ck_assert_str_eq(r->target, "192.0.2.1");
		ck_assert_int_eq(r->kind, LOCKOUT_KIND_IP);
		ck_assert_int_eq(r->time, when);
		ck_assert_int_eq(r->expires,
				 targeted_cases[_i].duration == PERM ? 0 :
				 when + targeted_cases[_i].duration);
		ck_assert_uint_eq(r->failures, targeted_cases[_i].ban_at + 1);
		ev_basic(r);
		ck_assert_int_eq(ev_int(r->evidence, "threshold"),
				 targeted_cases[_i].outcome == 'U' ? 1 :
				 (int)fx->cfg.targeted_failures);
	} else {
		ck_assert_uint_eq(fx->decisions, 0);
	}
	fixture_free(&fx);
}
END_TEST

/* Targeted names count together; other names do not count for them. */
static const struct {
	const char *users[6];
	int ban_at;
	const char *rule;
} targeted_mix_cases[] = {
	{ { "admin", "root", "Info@example.org" }, 2, "targeted_failures" },
	{ { "admin", "alice", "admin", "bob", "admin" }, 4,
	  "targeted_failures" },
	{ { "admin", "alice", "bob", "admin" }, NONE, NULL },
	{ { "alice", "admin", "ADMIN" }, NONE, NULL },
	{ { "alice", "admin", "ADMIN", "root@x" }, 3, "targeted_failures" },
};

START_TEST(test_targeted_mix)
{
	struct fixture *fx = fixture_new(NULL);
	unsigned int i;
	int ret;

	for (i = 0; i < N_ELEMENTS(targeted_mix_cases[_i].users) &&
	     targeted_mix_cases[_i].users[i] != NULL; i++) {
		ret = observe(fx, T0 + i, "192.0.2.1",
			      LOCKOUT_OUTCOME_MISMATCH,
			      targeted_mix_cases[_i].users[i], 500 + i);
		ck_assert_int_eq(ret, (int)i == targeted_mix_cases[_i].ban_at);
	}
	if (targeted_mix_cases[_i].ban_at != NONE) {
		ck_assert_str_eq(fx->rec[0].rule, targeted_mix_cases[_i].rule);
		ck_assert_uint_eq(fx->rec[0].failures, 3);
	}
	fixture_free(&fx);
}
END_TEST

/* The reason is "one human-readable line", whatever the username. */
START_TEST(test_targeted_reason_one_line)
{
	struct fixture *fx = fixture_new(NULL);
	const char *p;

	ck_assert_int_eq(observe(fx, T0, "192.0.2.1",
				 LOCKOUT_OUTCOME_UNKNOWN_USER,
				 "admin@x\nlockout: fake log line\r", 1), 1);
	ck_assert_str_eq(fx->rec[0].rule, "targeted_unknown");
	for (p = fx->rec[0].reason; *p != '\0'; p++) {
		ck_assert_msg((unsigned char)*p >= 0x20 && *p != 0x7f,
			      "control character 0x%02x in reason: %s",
			      (unsigned char)*p, fx->rec[0].reason);
	}
	fixture_free(&fx);
}
END_TEST

/* Refusals for a protected account count against their source (repeats of
   one password once), never against the account. */
START_TEST(test_protected_refusals_count_for_the_source)
{
	const char *const settings[] = {
		"lockout_ip_failures", "5", "lockout_user_failures", "3",
		NULL
	};
	struct fixture *fx = fixture_new(settings);
	unsigned int i;

	for (i = 0; i < 4; i++) {
		ck_assert_int_ge(observe(fx, 1000 + i, "192.0.2.9",
					 LOCKOUT_OUTCOME_PROTECTED, "bob",
					 100), 0);
	}
	/* one password repeated: counted once, no ban */
	ck_assert_uint_eq(count_decisions(fx, LOCKOUT_DECISION_BAN, NULL), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_ge(observe(fx, 1010 + i, "192.0.2.9",
					 LOCKOUT_OUTCOME_PROTECTED, "bob",
					 200 + i), 0);
	}
	ck_assert_uint_eq(count_decisions(fx, LOCKOUT_DECISION_BAN, NULL), 1);
	/* and none of it protected the account */
	ck_assert_uint_eq(count_decisions(fx, LOCKOUT_DECISION_PROTECT, NULL),
			  0);
	fixture_free(&fx);
}
END_TEST

static Suite *policy_source_suite(void)
{
	Suite *s = suite_create("lockout-policy-source");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_threshold, 0,
			    N_ELEMENTS(threshold_cases));
	tcase_add_loop_test(tc, test_outcomes, 0, N_ELEMENTS(outcome_cases));
	tcase_add_test(tc, test_protected_refusals_count_for_the_source);
	tcase_add_test(tc, test_counting_restarts);
	tcase_add_test(tc, test_check_expiry);
	tcase_add_loop_test(tc, test_stale, 0, N_ELEMENTS(stale_cases));
	tcase_add_test(tc, test_stale_slow);
	tcase_add_test(tc, test_stale_evidence);
	tcase_add_loop_test(tc, test_targeted, 0, N_ELEMENTS(targeted_cases));
	tcase_add_loop_test(tc, test_targeted_mix, 0,
			    N_ELEMENTS(targeted_mix_cases));
	tcase_add_test(tc, test_targeted_reason_one_line);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return policy_test_run(policy_source_suite());
}
