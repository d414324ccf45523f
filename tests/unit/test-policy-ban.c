/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The policy engine: escalation of repeat offenders, /24 network bans,
   allowed networks. */
#include "policy-fixture.h"

/* --- escalation ----------------------------------------------------------- */

#define MAX_BANS 11

static const struct {
	const char *settings[7];
	int64_t durations[MAX_BANS]; /* 0 ends the list; PERM permanent */
	const char *first_text, *last_text;
} escalation_cases[] = {
	{ { NULL },
	  { HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR, 16 * HOUR, 32 * HOUR,
	    64 * HOUR, 128 * HOUR, 7 * DAY, 7 * DAY },
	  "1 hour", "7 days" },
	{ { "lockout_ban_time_max", "4 hours",
	    "lockout_ban_permanent_after", "3", NULL },
	  { HOUR, 2 * HOUR, 4 * HOUR, PERM, PERM },
	  "1 hour", "permanent" },
	{ { "lockout_ban_time", "10 mins", "lockout_ban_time_max", "1 hour",
	    NULL },
	  { 10 * MINUTE, 20 * MINUTE, 40 * MINUTE, HOUR, HOUR },
	  "10 mins", "1 hour" },
	{ { "lockout_ban_time", "permanent", "lockout_ban_time_max",
	    "permanent", NULL },
	  { PERM, PERM }, "permanent", "permanent" },
	{ { "lockout_ban_permanent_after", "1", NULL },
	  { HOUR, PERM, PERM }, "1 hour", "permanent" },
	{ { "lockout_ban_time", "1 day", "lockout_ban_time_max", "permanent",
	    NULL },
	  { DAY, 2 * DAY, 4 * DAY, 8 * DAY, 16 * DAY }, "1 day", "16 days" },
	{ { "lockout_ban_time_max", "1 hour", NULL },
	  { HOUR, HOUR, HOUR }, "1 hour", "1 hour" },
};

START_TEST(test_escalation)
{
	const struct record *r;
	struct fixture *fx;
	unsigned int i;

	fx = fixture_new2(escalation_cases[_i].settings, one_failure);
	for (i = 0; i < MAX_BANS && escalation_cases[_i].durations[i] != 0;
	     i++) {
		int64_t when = T0 + i * MINUTE;
		int64_t duration = escalation_cases[_i].durations[i];

		lift_bans(fx);
		ck_assert_int_eq(observe(fx, when, "192.0.2.1",
					 LOCKOUT_OUTCOME_MISMATCH, "alice",
					 i + 1), 1);
		r = &fx->rec[i];
		ck_assert_str_eq(r->rule, "ip_failures");
		ck_assert_msg(r->expires == (duration == PERM ? 0 :
					     when + duration),
			      "ban %u: expires %lld", i,
			      (long long)r->expires);
		ck_assert_int_eq(ev_int(r->evidence, "previous_bans"), i);
		if (i == 0) {
			ev_str(r->evidence, "duration",
			       escalation_cases[_i].first_text);
		}
	}
	ev_str(fx->rec[i - 1].evidence, "duration",
	       escalation_cases[_i].last_text);
	fixture_free(&fx);
}
END_TEST

/* Bans older than lockout_history_time are forgotten. */
static const struct {
	int gap;
	int64_t second;
} history_cases[] = {
	{ MINUTE, 2 * HOUR },
	{ DAY - 1, 2 * HOUR },
	{ DAY, HOUR },
	{ 30 * DAY, HOUR },
};

START_TEST(test_history_time)
{
	const char *const settings[] = {
		"lockout_ip_failures", "1", "lockout_history_time", "1 day",
		NULL
	};
	struct fixture *fx = fixture_new(settings);

	ck_assert_int_eq(observe(fx, T0, "192.0.2.1",
				 LOCKOUT_OUTCOME_MISMATCH, "alice", 1), 1);
	lift_bans(fx);
	ck_assert_int_eq(observe(fx, T0 + history_cases[_i].gap, "192.0.2.1",
				 LOCKOUT_OUTCOME_MISMATCH, "alice", 2), 1);
	ck_assert_int_eq(fx->rec[1].expires - fx->rec[1].time,
			 history_cases[_i].second);
	fixture_free(&fx);
}
END_TEST

/* Bans from the table count as prior bans. */
static const struct {
	const char *settings[5];
	const char *nets[3];
	int64_t created[3];	/* relative to T0 */
	const char *ip;
	int64_t duration;	/* PERM for permanent */
	int previous;
} note_ban_cases[] = {
	{ { NULL }, { "192.0.2.1", "192.0.2.1" }, { -2 * HOUR, -HOUR },
	  "192.0.2.1", 4 * HOUR, 2 },
	{ { NULL }, { "192.0.2.1" }, { -29 * DAY }, "192.0.2.1", 2 * HOUR,
	  1 },
	{ { NULL }, { "192.0.2.1" }, { -31 * DAY }, "192.0.2.1", HOUR, 0 },
	{ { NULL }, { "192.0.2.2" }, { -HOUR }, "192.0.2.1", HOUR, 0 },
	{ { NULL }, { "192.0.2.0/24" }, { -HOUR }, "192.0.2.1", HOUR, 0 },
	{ { NULL }, { "2001:db8:1:2::/64" }, { -HOUR }, "2001:db8:1:2::77",
	  2 * HOUR, 1 },
	{ { NULL }, { "2001:db8:1:2::/64" }, { -HOUR }, "2001:db8:1:3::77",
	  HOUR, 0 },
	{ { "lockout_ban_permanent_after", "2", NULL },
	  { "192.0.2.1", "192.0.2.1" }, { -3 * HOUR, -HOUR }, "192.0.2.1",
	  PERM, 2 },
};

START_TEST(test_note_ban)
{
	struct fixture *fx = fixture_new2(note_ban_cases[_i].settings,
					  one_failure);
	struct lockout_net net;
	const struct record *r;
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(note_ban_cases[_i].nets) &&
	     note_ban_cases[_i].nets[i] != NULL; i++) {
		test_net(note_ban_cases[_i].nets[i], &net);
		lockout_policy_note_ban(fx->policy, &net,
					T0 + note_ban_cases[_i].created[i]);
	}
	ck_assert_int_eq(observe(fx, T0, note_ban_cases[_i].ip,
				 LOCKOUT_OUTCOME_MISMATCH, "alice", 1), 1);
	r = &fx->rec[0];
	ck_assert_int_eq(r->expires, note_ban_cases[_i].duration == PERM ? 0 :
			 T0 + note_ban_cases[_i].duration);
	ck_assert_int_eq(ev_int(r->evidence, "previous_bans"),
			 note_ban_cases[_i].previous);
	fixture_free(&fx);
}
END_TEST

/* --- /24 network bans ----------------------------------------------------- */

#define MAX_HOSTS 24

static const struct {
	const char *name;
	const char *settings[5];
	const char *allowed;		/* lockout_policy_set_allowed() */
	const char *success_ip;		/* a success before the bans */
	int64_t success_dt;
	int spacing;
	const char *hosts[MAX_HOSTS];	/* NULL-terminated */
	int net_at;
	const char *net;
} net_cases[] = {
	{ "three hosts", { NULL }, NULL, NULL, 0, 1,
	  { "198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4" },
	  2, "198.51.100.0/24" },
	{ "two hosts", { NULL }, NULL, NULL, 0, 1,
	  { "198.51.100.1", "198.51.100.2" }, NONE, NULL },
	{ "one host thrice", { NULL }, NULL, NULL, 0, 1,
	  { "198.51.100.1", "198.51.100.1", "198.51.100.1" }, NONE, NULL },
	{ "three /24s", { NULL }, NULL, NULL, 0, 1,
	  { "198.51.100.1", "198.51.101.2", "198.51.102.3" }, NONE, NULL },
	{ "disabled", { "lockout_net_ban_hosts", "0", NULL }, NULL, NULL, 0,
	  1, { "198.51.100.1", "198.51.100.2", "198.51.100.3",
	       "198.51.100.4", "198.51.100.5" }, NONE, NULL },
	{ "one host is enough", { "lockout_net_ban_hosts", "1", NULL }, NULL,
	  NULL, 0, 1, { "198.51.100.9" }, 0, "198.51.100.0/24" },
	{ "five hosts", { "lockout_net_ban_hosts", "5", NULL }, NULL, NULL, 0,
	  1, { "198.51.100.1", "198.51.100.2", "198.51.100.3",
	       "198.51.100.4", "198.51.100.5" }, 4, "198.51.100.0/24" },
	{ "allow_networks overlaps",
	  { "lockout_allow_networks", "127.0.0.0/8 198.51.100.200", NULL },
	  NULL, NULL, 0, 1,
	  { "198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4" },
	  NONE, NULL },
	{ "allow_networks /25 overlaps",
	  { "lockout_allow_networks", "198.51.100.0/25", NULL },
	  NULL, NULL, 0, 1,
	  { "198.51.100.201", "198.51.100.202", "198.51.100.203" },
	  NONE, NULL },
	{ "set_allowed overlaps", { NULL }, "198.51.100.128/26", NULL, 0, 1,
	  { "198.51.100.1", "198.51.100.2", "198.51.100.3" }, NONE, NULL },
	{ "set_allowed supernet", { NULL }, "198.51.0.0/16 203.0.113.5",
	  NULL, 0, 1,
	  { "198.51.100.1", "198.51.100.2", "198.51.100.3" }, NONE, NULL },
	{ "allowed elsewhere", { NULL }, "203.0.113.0/24", NULL, 0, 1,
	  { "198.51.100.1", "198.51.100.2", "198.51.100.3" },
	  2, "198.51.100.0/24" },
	{ "recent success", { NULL }, NULL, "198.51.100.50", -DAY, 1,
	  { "198.51.100.1", "198.51.100.2", "198.51.100.3" }, NONE, NULL },
	{ "old success", { NULL }, NULL, "198.51.100.50", -31 * DAY, 1,
	  { "198.51.100.1", "198.51.100.2", "198.51.100.3" },
	  2, "198.51.100.0/24" },
	{ "success elsewhere", { NULL }, NULL, "198.51.101.50", -HOUR, 1,
	  { "198.51.100.1", "198.51.100.2", "198.51.100.3" },
	  2, "198.51.100.0/24" },
	{ "outside the window",
	  { "lockout_net_ban_window", "1 hour", NULL }, NULL, NULL, 0,
	  31 * MINUTE,
	  { "198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4" },
	  NONE, NULL },
	{ "inside the window",
	  { "lockout_net_ban_window", "1 hour", NULL }, NULL, NULL, 0,
	  29 * MINUTE,
	  { "198.51.100.1", "198.51.100.2", "198.51.100.3" },
	  2, "198.51.100.0/24" },
	/* (IPv6 networks are lockout_ipv6_net_bans': test-policy-v6agg.c) */
	{ "never ipv6", { "lockout_ipv6_net_bans", "0", NULL }, NULL, NULL,
	  0, 1,
	  { "2001:db8:0:1::1", "2001:db8:0:2::1", "2001:db8:0:3::1",
	    "2001:db8:0:4::1", "2001:db8:0:5::1" }, NONE, NULL },
	{ "sixteen hosts (the most)", { "lockout_net_ban_hosts", "16", NULL },
	  NULL, NULL, 0, 1,
	  { "198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4",
	    "198.51.100.5", "198.51.100.6", "198.51.100.7", "198.51.100.8",
	    "198.51.100.9", "198.51.100.10", "198.51.100.11",
	    "198.51.100.12", "198.51.100.13", "198.51.100.14",
	    "198.51.100.15", "198.51.100.16" },
	  15, "198.51.100.0/24" },
};

START_TEST(test_net_ban)
{
	struct fixture *fx = fixture_new(net_cases[_i].settings);
	const struct lockout_banset_entry *ban;
	struct lockout_net *nets = NULL;
	const struct record *r;
	const char *error = NULL;
	size_t count = 0;
	unsigned int i, bans;
	char buf[LOCKOUT_NET_STRLEN];

	if (net_cases[_i].allowed != NULL) {
		ck_assert_int_eq(lockout_netlist_parse(net_cases[_i].allowed,
						       &nets, &count, &error),
				 0);
		ck_assert_int_eq(lockout_policy_set_allowed(fx->policy, nets,
							    count), 0);
		free(nets);
	}
	if (net_cases[_i].success_ip != NULL) {
		ck_assert_int_eq(observe(fx, T0 + net_cases[_i].success_dt,
					 net_cases[_i].success_ip,
					 LOCKOUT_OUTCOME_SUCCESS, "carol", 0),
				 1);
	}
	fixture_clear(fx);
	for (i = 0; i < MAX_HOSTS && net_cases[_i].hosts[i] != NULL; i++) {
		int64_t when = T0 + (int64_t)i * net_cases[_i].spacing;

		bans = fx->by_type[LOCKOUT_DECISION_BAN];
		(void)observe(fx, when, net_cases[_i].hosts[i],
			      LOCKOUT_OUTCOME_UNKNOWN_USER, "admin", i + 1);
		if ((int)i == net_cases[_i].net_at) {
			ck_assert_msg(fx->by_type[LOCKOUT_DECISION_BAN] ==
				      bans + 2, "%s: host %u (%s) banned, "
				      "but not its /24 %s", net_cases[_i].name,
				      i + 1, net_cases[_i].hosts[i],
				      net_cases[_i].net);
			r = &fx->rec[fx->recorded - 1];
			ck_assert_str_eq(fx->rec[fx->recorded - 2].rule,
					 "targeted_unknown");
			ck_assert_str_eq(r->rule, "net_hosts");
			ck_assert_int_eq(r->type, LOCKOUT_DECISION_BAN);
			ck_assert_int_eq(r->kind, LOCKOUT_KIND_NET);
			ck_assert_str_eq(r->target, net_cases[_i].net);
			ck_assert_str_eq(net_str(&r->net, buf),
					 net_cases[_i].net);
			ck_assert_int_eq(r->expires, when + HOUR);
			ck_assert_uint_eq(r->failures,
					  fx->cfg.net_ban_hosts);
			ev_basic(r);
			ck_assert_int_eq(ev_int(r->evidence, "threshold"),
					 fx->cfg.net_ban_hosts);
		} else {
			ck_assert_msg(fx->by_type[LOCKOUT_DECISION_BAN] <=
				      bans + 1, "%s: host %u",
				      net_cases[_i].name, i);
		}
	}
	ck_assert_uint_eq(count_decisions(fx, LOCKOUT_DECISION_BAN,
					  "net_hosts"),
			  net_cases[_i].net_at == NONE ? 0 : 1);
	if (net_cases[_i].net_at != NONE) {
		ck_assert_int_eq(check_full(fx, T0 + 100, "198.51.100.250",
					    NULL, &ban),
				 LOCKOUT_VERDICT_BANNED);
		ck_assert_str_eq(net_str(&ban->net, buf), net_cases[_i].net);
	} else {
		ck_assert_int_eq(check(fx, T0 + 100, "198.51.100.250", NULL),
				 LOCKOUT_VERDICT_ALLOW);
	}
	fixture_free(&fx);
}
END_TEST

/* --- allowed networks ----------------------------------------------------- */

static const struct {
	const char *allow;	/* lockout_allow_networks; NULL = default */
	const char *extra;	/* lockout_policy_set_allowed(), or NULL */
	const char *ip;
	const char *user;
	bool allowed;
	const char *target;	/* of the ban when not allowed */
} allow_cases[] = {
	{ NULL, NULL, "127.0.0.1", "alice", true, NULL },
	{ NULL, NULL, "127.255.0.9", "alice", true, NULL },
	{ NULL, NULL, "::1", "alice", true, NULL },
	{ NULL, NULL, "::ffff:127.0.0.1", "alice", true, NULL },
	{ NULL, NULL, "127.0.0.1", "admin", true, NULL },
	{ NULL, NULL, "192.0.2.1", "alice", false, "192.0.2.1" },
	{ NULL, NULL, "::2", "alice", false, "::/64" },
	{ "", NULL, "127.0.0.1", "alice", false, "127.0.0.1" },
	{ "", NULL, "::1", "alice", false, "::/64" },
	{ "", NULL, "127.0.0.1", "admin", false, "127.0.0.1" },
	{ NULL, "203.0.113.0/24", "203.0.113.7", "alice", true, NULL },
	{ NULL, "203.0.113.0/24", "203.0.114.7", "alice", false,
	  "203.0.114.7" },
	{ NULL, "203.0.113.0/24 2001:db8::/32", "2001:db8:5::1", "admin",
	  true, NULL },
	{ NULL, "::ffff:198.51.100.0/120", "198.51.100.9", "alice", true,
	  NULL },
	{ "", "127.0.0.1", "127.0.0.1", "alice", true, NULL },
	{ "192.0.2.0/24", NULL, "192.0.2.1", "alice", true, NULL },
	{ "192.0.2.0/24", NULL, "127.0.0.1", "alice", false, "127.0.0.1" },
};

START_TEST(test_allowed)
{
	const char *const settings[] = {
		"lockout_allow_networks", allow_cases[_i].allow, NULL
	};
	struct fixture *fx = fixture_new(allow_cases[_i].allow == NULL ?
					 NULL : settings);
	struct lockout_net *nets = NULL;
	struct lockout_addr addr;
	const char *error = NULL;
	size_t count = 0;
	unsigned int i;

	if (allow_cases[_i].extra != NULL) {
		ck_assert_int_eq(lockout_netlist_parse(allow_cases[_i].extra,
						       &nets, &count, &error),
				 0);
		ck_assert_int_eq(lockout_policy_set_allowed(fx->policy, nets,
							    count), 0);
		free(nets);
	}
	test_addr(allow_cases[_i].ip, &addr);
	ck_assert(lockout_policy_is_allowed(fx->policy, &addr) ==
		  allow_cases[_i].allowed);
	for (i = 0; i < 20; i++) {
		(void)observe(fx, T0 + i, allow_cases[_i].ip,
			      LOCKOUT_OUTCOME_MISMATCH, allow_cases[_i].user,
			      i + 1);
		(void)observe(fx, T0 + i, allow_cases[_i].ip,
			      LOCKOUT_OUTCOME_UNKNOWN_USER,
			      allow_cases[_i].user, i + 1);
	}
	if (allow_cases[_i].allowed) {
		ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_BAN], 0);
		ck_assert_int_eq(check(fx, T0 + 20, allow_cases[_i].ip, NULL),
				 LOCKOUT_VERDICT_ALLOW);
	} else {
		ck_assert_uint_ge(fx->by_type[LOCKOUT_DECISION_BAN], 1);
		ck_assert_str_eq(fx->rec[0].target, allow_cases[_i].target);
		ck_assert_int_eq(check(fx, T0 + 20, allow_cases[_i].ip, NULL),
				 LOCKOUT_VERDICT_BANNED);
	}
	/* an empty list again */
	ck_assert_int_eq(lockout_policy_set_allowed(fx->policy, NULL, 0), 0);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_set_allowed_replaces)
{
	struct fixture *fx = fixture_new(NULL);
	struct lockout_addr addr;
	struct lockout_net nets[2];

	test_net("203.0.113.0/24", &nets[0]);
	test_net("2001:db8::/32", &nets[1]);
	test_addr("203.0.113.7", &addr);
	ck_assert(!lockout_policy_is_allowed(fx->policy, &addr));
	ck_assert_int_eq(lockout_policy_set_allowed(fx->policy, nets, 2), 0);
	/* copied */
	memset(nets, 0, sizeof(nets));
	ck_assert(lockout_policy_is_allowed(fx->policy, &addr));
	test_addr("2001:db8:1::1", &addr);
	ck_assert(lockout_policy_is_allowed(fx->policy, &addr));
	test_net("198.51.100.0/24", &nets[0]);
	ck_assert_int_eq(lockout_policy_set_allowed(fx->policy, nets, 1), 0);
	ck_assert(!lockout_policy_is_allowed(fx->policy, &addr));
	test_addr("198.51.100.1", &addr);
	ck_assert(lockout_policy_is_allowed(fx->policy, &addr));
	ck_assert_int_eq(lockout_policy_set_allowed(fx->policy, NULL, 0), 0);
	ck_assert(!lockout_policy_is_allowed(fx->policy, &addr));
	test_addr("127.0.0.1", &addr);
	ck_assert(lockout_policy_is_allowed(fx->policy, &addr));
	fixture_free(&fx);
}
END_TEST

/* An allowed IPv6 host is never refused because a neighbour in its /64 was
   banned: "never banned by address". */
START_TEST(test_allowed_inside_banned_prefix)
{
	const char *const settings[] = {
		"lockout_allow_networks", "127.0.0.0/8 ::1 2001:db8:1:2::10",
		NULL
	};
	struct fixture *fx = fixture_new(settings);
	unsigned int i;

	for (i = 0; i < 10; i++) {
		(void)observe(fx, T0 + i, "2001:db8:1:2::66",
			      LOCKOUT_OUTCOME_MISMATCH, "alice", i + 1);
	}
	ck_assert_int_eq(check(fx, T0 + 10, "2001:db8:1:2::66", NULL),
			 LOCKOUT_VERDICT_BANNED);
	ck_assert_int_eq(check(fx, T0 + 10, "2001:db8:1:2::10", NULL),
			 LOCKOUT_VERDICT_ALLOW);
	fixture_free(&fx);
}
END_TEST

/* --- one burst, one ban ----------------------------------------------------- */

/* Failures that were in flight when the source got banned (an asynchronous
   passdb answers them after the ban) neither ban again nor escalate: one
   burst is one ban. After it ends, the next burst is a repeat offence. */
START_TEST(test_burst_is_one_ban)
{
	static const char *const settings[] = {
		"lockout_ip_failures", "5",
		/* the short rule alone: ip_long would ban the
		   second burst at its first failure */
		"lockout_ip_long_failures", "0", NULL
	};
	const struct record *r;
	struct fixture *fx;
	unsigned int i;

	fx = fixture_new(settings);
	for (i = 0; i < 48; i++) {
		observe(fx, T0, "192.0.2.1", LOCKOUT_OUTCOME_MISMATCH,
			"alice", i + 1);
	}
	ck_assert_uint_eq(count_decisions(fx, LOCKOUT_DECISION_BAN, NULL), 1);
	r = find_decision(fx, LOCKOUT_DECISION_BAN, "ip_failures");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->expires, T0 + HOUR);
	ck_assert_uint_eq(r->failures, 5);
	/* the ban ended: the next burst is a repeat offence, once */
	for (i = 0; i < 48; i++) {
		observe(fx, T0 + HOUR, "192.0.2.1", LOCKOUT_OUTCOME_MISMATCH,
			"alice", 100 + i);
	}
	ck_assert_uint_eq(count_decisions(fx, LOCKOUT_DECISION_BAN, NULL), 2);
	r = find_decision(fx, LOCKOUT_DECISION_BAN, "ip_failures");
	ck_assert_int_eq(r->expires, T0 + HOUR + 2 * HOUR);
	fixture_free(&fx);
}
END_TEST

/* --- checks in flight ---------------------------------------------------- */

static enum lockout_slot reserve(struct fixture *fx, int64_t now,
				 const char *ip)
{
	struct lockout_addr addr;

	test_addr(ip, &addr);
	return lockout_policy_reserve(fx->policy, now, &addr);
}

static void release(struct fixture *fx, const char *ip)
{
	struct lockout_addr addr;

	test_addr(ip, &addr);
	lockout_policy_release(fx->policy, &addr);
}

/* A source gets as many password checks at once as it has failures left
   before its ban: an asynchronous passdb cannot be raced past the
   threshold. */
START_TEST(test_reserve_slots)
{
	static const char *const settings[] = {
		"lockout_ip_failures", "5",
		"lockout_allow_networks", "198.51.100.0/24", NULL
	};
	struct fixture *fx;
	unsigned int i;

	fx = fixture_new(settings);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(reserve(fx, T0, "192.0.2.1"),
				 LOCKOUT_SLOT_RESERVED);
	ck_assert_int_eq(reserve(fx, T0, "192.0.2.1"), LOCKOUT_SLOT_WAIT);
	/* other sources are not held */
	ck_assert_int_eq(reserve(fx, T0, "192.0.2.2"), LOCKOUT_SLOT_RESERVED);
	release(fx, "192.0.2.2");
	/* a success frees its slot */
	release(fx, "192.0.2.1");
	ck_assert_int_eq(reserve(fx, T0, "192.0.2.1"), LOCKOUT_SLOT_RESERVED);
	ck_assert_int_eq(reserve(fx, T0, "192.0.2.1"), LOCKOUT_SLOT_WAIT);
	/* failures take the slots of the checks that made them */
	for (i = 0; i < 2; i++) {
		observe(fx, T0, "192.0.2.1", LOCKOUT_OUTCOME_MISMATCH,
			"alice", i + 1);
		release(fx, "192.0.2.1");
		ck_assert_int_eq(reserve(fx, T0, "192.0.2.1"),
				 LOCKOUT_SLOT_WAIT);
	}
	/* a repeated wrong password counts once: its slot comes back */
	observe(fx, T0, "192.0.2.1", LOCKOUT_OUTCOME_MISMATCH, "alice", 1);
	release(fx, "192.0.2.1");
	ck_assert_int_eq(reserve(fx, T0, "192.0.2.1"), LOCKOUT_SLOT_RESERVED);
	/* failures older than the window are no longer counted */
	for (i = 0; i < 5; i++)
		release(fx, "192.0.2.1");
	ck_assert_int_eq(reserve(fx, T0 + 10 * MINUTE, "192.0.2.1"),
			 LOCKOUT_SLOT_RESERVED);
	/* releasing more than was reserved, or an unknown source, is
	   harmless */
	for (i = 0; i < 10; i++) {
		release(fx, "192.0.2.1");
		release(fx, "192.0.2.9");
	}
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(reserve(fx, T0 + 10 * MINUTE, "192.0.2.1"),
				 LOCKOUT_SLOT_RESERVED);
	ck_assert_int_eq(reserve(fx, T0 + 10 * MINUTE, "192.0.2.1"),
			 LOCKOUT_SLOT_WAIT);
	/* reservations never released (a lost outcome) go stale */
	ck_assert_int_eq(reserve(fx, T0 + 12 * MINUTE - 1, "192.0.2.1"),
			 LOCKOUT_SLOT_WAIT);
	ck_assert_int_eq(reserve(fx, T0 + 12 * MINUTE, "192.0.2.1"),
			 LOCKOUT_SLOT_RESERVED);
	/* allowed networks are never held nor counted */
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(reserve(fx, T0, "198.51.100.7"),
				 LOCKOUT_SLOT_FREE);
	fixture_free(&fx);
}
END_TEST

/* Reservations live in a table of their own with a fixed size: a flood of
   sources costs no memory, and the source table is not churned by logins
   that succeed. */
START_TEST(test_reserve_bounded)
{
	struct lockout_addr addr;
	struct fixture *fx;
	size_t memory;
	unsigned int i;

	fx = fixture_new(NULL);
	memory = lockout_policy_memory(fx->policy);
	for (i = 0; i < FLOOD_COUNT; i++) {
		addr6(i, &addr);
		REQUIRE(lockout_policy_reserve(fx->policy, T0, &addr) ==
			LOCKOUT_SLOT_RESERVED, "reserve %u", i);
		if (i % 2 == 0)
			lockout_policy_release(fx->policy, &addr);
	}
	ck_assert_uint_eq(lockout_policy_memory(fx->policy), memory);
	ck_assert_uint_eq(lockout_policy_source_count(fx->policy), 0);
	fixture_free(&fx);
}
END_TEST

static Suite *policy_ban_suite(void)
{
	Suite *s = suite_create("lockout-policy-ban");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_escalation, 0,
			    N_ELEMENTS(escalation_cases));
	tcase_add_loop_test(tc, test_history_time, 0,
			    N_ELEMENTS(history_cases));
	tcase_add_loop_test(tc, test_note_ban, 0, N_ELEMENTS(note_ban_cases));
	tcase_add_loop_test(tc, test_net_ban, 0, N_ELEMENTS(net_cases));
	tcase_add_loop_test(tc, test_allowed, 0, N_ELEMENTS(allow_cases));
	tcase_add_test(tc, test_set_allowed_replaces);
	tcase_add_test(tc, test_allowed_inside_banned_prefix);
	tcase_add_test(tc, test_burst_is_one_ban);
	tcase_add_test(tc, test_reserve_slots);
	tcase_add_test(tc, test_reserve_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return policy_test_run(policy_ban_suite());
}
