/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-simulate.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))
#define MAX_VERDICTS 4096
#define MAX_DECISIONS 256
#define T0 1700000000

struct recorded {
	uint64_t index;
	enum lockout_decision_type type;
	char rule[32], target[LOCKOUT_NET_STRLEN];
	int64_t time, expires;
	char json[2048];
};

struct fixture {
	struct lockout_config cfg;
	struct lockout_simulate *sim;
	enum lockout_verdict verdicts[MAX_VERDICTS];
	uint64_t verdict_count;
	struct recorded decisions[MAX_DECISIONS];
	unsigned int decision_count;
};

static void on_verdict(uint64_t index, enum lockout_verdict verdict,
		       void *context)
{
	struct fixture *fx = context;

	/* every attempt, in order */
	ck_assert_uint_eq(index, fx->verdict_count);
	if (index < MAX_VERDICTS)
		fx->verdicts[index] = verdict;
	fx->verdict_count++;
}

static void on_decision(uint64_t index, const struct lockout_decision *d,
			void *context)
{
	struct fixture *fx = context;
	struct recorded *r;
	struct lockout_str str;

	ck_assert_uint_lt(index, fx->verdict_count);
	if (d->type == LOCKOUT_DECISION_KNOWN_DEVICE ||
	    fx->decision_count == MAX_DECISIONS)
		return;
	r = &fx->decisions[fx->decision_count++];
	r->index = index;
	r->type = d->type;
	snprintf(r->rule, sizeof(r->rule), "%s", d->rule);
	snprintf(r->target, sizeof(r->target), "%s", d->target);
	r->time = d->time;
	r->expires = d->expires;
	lockout_str_init(&str);
	ck_assert_int_eq(lockout_sim_decision_to_json(&str, index, d), 0);
	snprintf(r->json, sizeof(r->json), "%s", lockout_str_c(&str));
	lockout_str_free(&str);
}

/* the engine's hash key: fixed, so that every run decides the same */
static const unsigned char sim_key[LOCKOUT_HASH_KEY_SIZE] = "test-simulate-k1";

static void fx_init(struct fixture *fx, const char *const *settings)
{
	struct lockout_sim_callbacks cb = { on_verdict, on_decision, fx };
	const char *error;
	unsigned int i;

	memset(fx, 0, sizeof(*fx));
	ck_assert_int_eq(lockout_config_init(&fx->cfg, &error), 0);
	ck_assert_int_eq(lockout_config_set(&fx->cfg, "lockout_allow_networks",
					    "", &error), 0);
	for (i = 0; settings != NULL && settings[i] != NULL; i += 2) {
		ck_assert_msg(lockout_config_set(&fx->cfg, settings[i],
						 settings[i + 1], &error) == 0,
			      "%s", error);
	}
	ck_assert_int_eq(lockout_simulate_create(&fx->cfg, sim_key, &cb,
						 &fx->sim, &error), 0);
}

static void fx_deinit(struct fixture *fx)
{
	lockout_simulate_free(&fx->sim);
	ck_assert_ptr_null(fx->sim);
	lockout_simulate_free(&fx->sim);
	lockout_config_free(&fx->cfg);
}

static void feed_n(struct fixture *fx, int64_t t, const char *ip,
		   const char *user, enum lockout_sim_result result,
		   uint32_t tag, unsigned int count)
{
	struct lockout_sim_attempt a;
	const char *error;

	memset(&a, 0, sizeof(a));
	a.time = t;
	ck_assert_int_eq(lockout_addr_parse(ip, &a.ip), 0);
	snprintf(a.user, sizeof(a.user), "%s", user);
	snprintf(a.service, sizeof(a.service), "imap");
	a.result = result;
	a.password_tag = tag;
	a.count = count;
	ck_assert_int_eq(lockout_simulate_feed(fx->sim, &a, &error), 0);
}

static void feed(struct fixture *fx, int64_t t, const char *ip,
		 const char *user, enum lockout_sim_result result)
{
	feed_n(fx, t, ip, user, result, 0, 1);
}

START_TEST(test_sim_ip_failures)
{
	static const char *const settings[] = {
		"lockout_ip_failures", "5", NULL
	};
	const struct lockout_sim_summary *s;
	struct fixture fx;
	unsigned int i;

	fx_init(&fx, settings);
	for (i = 0; i < 4; i++)
		feed(&fx, T0 + i, "192.0.2.1", "alice", LOCKOUT_SIM_MISMATCH);
	ck_assert_uint_eq(fx.decision_count, 0);
	feed(&fx, T0 + 4, "192.0.2.1", "alice", LOCKOUT_SIM_MISMATCH);
	/* the fifth is checked (allowed), observed, and bans */
	ck_assert_uint_eq(fx.decision_count, 1);
	ck_assert_uint_eq(fx.decisions[0].index, 4);
	ck_assert_str_eq(fx.decisions[0].rule, "ip_failures");
	ck_assert_str_eq(fx.decisions[0].target, "192.0.2.1");
	ck_assert_int_eq(fx.verdicts[4], LOCKOUT_VERDICT_ALLOW);
	/* then even the right password is refused, elsewhere all is well */
	feed(&fx, T0 + 5, "192.0.2.1", "alice", LOCKOUT_SIM_OK);
	feed(&fx, T0 + 6, "192.0.2.2", "alice", LOCKOUT_SIM_OK);
	ck_assert_int_eq(fx.verdicts[5], LOCKOUT_VERDICT_BANNED);
	ck_assert_int_eq(fx.verdicts[6], LOCKOUT_VERDICT_ALLOW);
	/* after the ban, the address may try again */
	feed(&fx, T0 + 4 + 3600, "192.0.2.1", "alice", LOCKOUT_SIM_OK);
	ck_assert_int_eq(fx.verdicts[7], LOCKOUT_VERDICT_ALLOW);

	s = lockout_simulate_summary(fx.sim);
	ck_assert_uint_eq(s->attempts, 8);
	ck_assert_uint_eq(s->successes, 3);
	ck_assert_uint_eq(s->mismatches, 5);
	ck_assert_uint_eq(s->refused, 1);
	ck_assert_uint_eq(s->refused_banned, 1);
	ck_assert_uint_eq(s->bans, 1);
	ck_assert_uint_eq(s->bans_ip, 1);
	ck_assert_uint_eq(s->rule_count, 1);
	ck_assert_str_eq(s->rules[0].rule, "ip_failures");
	ck_assert_uint_eq(s->rules[0].count, 1);
	ck_assert_int_eq(s->first_time, T0);
	ck_assert_int_eq(s->last_time, T0 + 3604);
	ck_assert_int_eq(s->time_shift, 0);
	ck_assert_uint_gt(s->engine_memory, 0);
	/* who was refused, when, and why */
	ck_assert_uint_eq(s->refused_successes.total, 1);
	ck_assert_uint_eq(s->refused_successes.count, 1);
	ck_assert_str_eq(s->refused_successes.items[0].user, "alice");
	ck_assert_str_eq(s->refused_successes.items[0].target, "192.0.2.1");
	ck_assert_str_eq(s->refused_successes.items[0].ban_target,
			 "192.0.2.1");
	ck_assert_str_eq(s->refused_successes.items[0].rule, "ip_failures");
	ck_assert_int_eq(s->refused_successes.items[0].ban_time, T0 + 4);
	ck_assert_int_eq(s->refused_successes.items[0].time, T0 + 5);
	ck_assert_uint_eq(s->refused_successes.items[0].index, 5);
	ck_assert_uint_eq(s->guessed.total, 0);
	/* a success after a few failures: possibly a guessed password */
	for (i = 0; i < 3; i++)
		feed(&fx, T0 + 4000 + i, "192.0.2.9", "carol",
		     LOCKOUT_SIM_MISMATCH);
	feed(&fx, T0 + 4010, "192.0.2.9", "carol", LOCKOUT_SIM_OK);
	s = lockout_simulate_summary(fx.sim);
	ck_assert_uint_eq(s->guessed.total, 1);
	ck_assert_str_eq(s->guessed.items[0].target, "192.0.2.9");
	ck_assert_str_eq(s->guessed.items[0].user, "carol");
	ck_assert_uint_eq(s->guessed.items[0].failures, 3);
	fx_deinit(&fx);
}
END_TEST

START_TEST(test_sim_refused_successes_grouped)
{
	static const char *const settings[] = {
		"lockout_ip_failures", "3", NULL
	};
	const struct lockout_sim_summary *s;
	struct fixture fx;
	char user[32];
	unsigned int i;

	fx_init(&fx, settings);
	/* a /24 of three banned hosts, then its users cannot log in */
	for (i = 1; i <= 3; i++) {
		feed_n(&fx, T0 + i, i == 1 ? "198.51.100.1" : i == 2 ?
		       "198.51.100.2" : "198.51.100.3", "x",
		       LOCKOUT_SIM_MISMATCH, 0, 3);
	}
	ck_assert_uint_eq(fx.decision_count, 4);
	ck_assert_str_eq(fx.decisions[3].rule, "net_hosts");
	ck_assert_str_eq(fx.decisions[3].target, "198.51.100.0/24");
	feed(&fx, T0 + 10, "198.51.100.77", "bob", LOCKOUT_SIM_OK);
	feed(&fx, T0 + 11, "198.51.100.77", "BOB", LOCKOUT_SIM_OK);
	/* more users than the list keeps */
	for (i = 0; i < LOCKOUT_SIM_LIST_MAX + 5; i++) {
		snprintf(user, sizeof(user), "user%u", i);
		feed(&fx, T0 + 20, "198.51.100.78", user, LOCKOUT_SIM_OK);
	}
	/* the same users again: more logins, no more users, also beyond
	   the listed ones */
	for (i = 0; i < LOCKOUT_SIM_LIST_MAX + 5; i++) {
		snprintf(user, sizeof(user), "USER%u", i);
		feed(&fx, T0 + 21, "198.51.100.79", user, LOCKOUT_SIM_OK);
	}
	s = lockout_simulate_summary(fx.sim);
	ck_assert_uint_eq(s->refused_successes.total,
			  2 + 2 * (LOCKOUT_SIM_LIST_MAX + 5));
	ck_assert_uint_eq(s->refused_successes.items[1].count, 2);
	ck_assert_uint_eq(s->refused_successes.count, LOCKOUT_SIM_LIST_MAX);
	ck_assert_uint_eq(s->refused_successes.distinct,
			  1 + LOCKOUT_SIM_LIST_MAX + 5);
	/* one line per user (names compared as the engine does) */
	ck_assert_str_eq(s->refused_successes.items[0].user, "bob");
	ck_assert_uint_eq(s->refused_successes.items[0].count, 2);
	ck_assert_int_eq(s->refused_successes.items[0].last_time, T0 + 11);
	ck_assert_str_eq(s->refused_successes.items[0].ban_target,
			 "198.51.100.0/24");
	ck_assert_str_eq(s->refused_successes.items[0].rule, "net_hosts");
	ck_assert_uint_eq(s->bans_net, 1);
	fx_deinit(&fx);
}
END_TEST

START_TEST(test_sim_counts_expand)
{
	struct fixture fx;

	fx_init(&fx, NULL);
	feed_n(&fx, T0, "192.0.2.1", "u", LOCKOUT_SIM_FAILED, 0, 12);
	/* ten failures ban (the default), the last two are refused */
	ck_assert_uint_eq(fx.verdict_count, 12);
	ck_assert_int_eq(fx.verdicts[9], LOCKOUT_VERDICT_ALLOW);
	ck_assert_int_eq(fx.verdicts[10], LOCKOUT_VERDICT_BANNED);
	ck_assert_int_eq(fx.verdicts[11], LOCKOUT_VERDICT_BANNED);
	ck_assert_uint_eq(fx.decisions[0].index, 9);
	/* a count of 0 is one, a hostile count is cut */
	feed_n(&fx, T0, "192.0.2.2", "u", LOCKOUT_SIM_MISMATCH, 0, 0);
	ck_assert_uint_eq(fx.verdict_count, 13);
	feed_n(&fx, T0, "192.0.2.3", "u", LOCKOUT_SIM_MISMATCH, 0, 4000000);
	ck_assert_uint_eq(fx.verdict_count, 13 + LOCKOUT_SIM_COUNT_MAX);
	ck_assert_uint_eq(
		lockout_simulate_summary(fx.sim)->failures_unknown_kind, 12);
	fx_deinit(&fx);
}
END_TEST

START_TEST(test_sim_time)
{
	const struct lockout_sim_summary *s;
	struct fixture fx;

	fx_init(&fx, NULL);
	/* a relative trace starting at 0 is moved above 0 */
	feed(&fx, 0, "192.0.2.1", "u", LOCKOUT_SIM_MISMATCH);
	feed(&fx, 10, "192.0.2.1", "u", LOCKOUT_SIM_MISMATCH);
	/* back in time: replayed at the latest time, counted */
	feed_n(&fx, 5, "192.0.2.1", "u", LOCKOUT_SIM_MISMATCH, 0, 2);
	feed(&fx, INT64_MAX, "192.0.2.1", "u", LOCKOUT_SIM_OK);
	s = lockout_simulate_summary(fx.sim);
	ck_assert_int_eq(s->time_shift, 1);
	ck_assert_int_eq(s->first_time, 1);
	ck_assert_uint_eq(s->time_backwards, 2);
	ck_assert_int_eq(s->last_time, ((int64_t)1 << 55) + 1);
	fx_deinit(&fx);

	/* negative times: a ban must not become permanent at 0 */
	fx_init(&fx, NULL);
	feed_n(&fx, -3600, "192.0.2.1", "u", LOCKOUT_SIM_MISMATCH, 0, 10);
	ck_assert_uint_eq(fx.decision_count, 1);
	ck_assert_int_eq(fx.decisions[0].time, 1);
	ck_assert_int_eq(fx.decisions[0].expires, 3601);
	feed(&fx, 0, "192.0.2.1", "u", LOCKOUT_SIM_OK);
	ck_assert_int_eq(fx.verdicts[10], LOCKOUT_VERDICT_ALLOW);
	fx_deinit(&fx);
}
END_TEST

START_TEST(test_sim_unknown_kind)
{
	const struct lockout_sim_summary *s;
	struct fixture fx;

	fx_init(&fx, NULL);
	/* a failure of unknown kind on a targeted name: a bot */
	feed(&fx, T0, "192.0.2.1", "info@example.org", LOCKOUT_SIM_FAILED);
	ck_assert_uint_eq(fx.decision_count, 1);
	ck_assert_str_eq(fx.decisions[0].rule, "targeted_unknown");
	/* ... unless the name was seen as an account */
	feed(&fx, T0 + 1, "192.0.2.2", "Admin@example.org", LOCKOUT_SIM_OK);
	feed(&fx, T0 + 2, "192.0.2.3", "admin@example.org",
	     LOCKOUT_SIM_FAILED);
	feed(&fx, T0 + 3, "192.0.2.4", "root", LOCKOUT_SIM_MISMATCH);
	feed(&fx, T0 + 4, "192.0.2.4", "root", LOCKOUT_SIM_FAILED);
	ck_assert_uint_eq(fx.decision_count, 1);
	/* other names are wrong passwords */
	feed(&fx, T0 + 5, "192.0.2.5", "carol", LOCKOUT_SIM_FAILED);
	ck_assert_uint_eq(fx.decision_count, 1);
	s = lockout_simulate_summary(fx.sim);
	ck_assert_uint_eq(s->failures_unknown_kind, 4);
	ck_assert_uint_eq(s->failures_guessed_unknown, 1);
	fx_deinit(&fx);
}
END_TEST

START_TEST(test_sim_recorded_refusals)
{
	static const char *const settings[] = {
		"lockout_ip_failures", "2", NULL
	};
	const struct lockout_sim_summary *s;
	struct fixture fx;

	fx_init(&fx, settings);
	feed_n(&fx, T0, "192.0.2.1", "u", LOCKOUT_SIM_MISMATCH, 0, 2);
	/* refused there and here: nothing learnt */
	feed(&fx, T0 + 1, "192.0.2.1", "u", LOCKOUT_SIM_REFUSED);
	/* refused there but not here: a failure */
	feed(&fx, T0 + 1, "192.0.2.2", "u", LOCKOUT_SIM_REFUSED);
	feed(&fx, T0 + 2, "192.0.2.2", "u", LOCKOUT_SIM_REFUSED);
	s = lockout_simulate_summary(fx.sim);
	ck_assert_uint_eq(s->recorded_refused, 3);
	ck_assert_uint_eq(s->recorded_refused_agreed, 1);
	ck_assert_uint_eq(s->bans, 2);
	ck_assert_str_eq(fx.decisions[1].target, "192.0.2.2");
	fx_deinit(&fx);
}
END_TEST

START_TEST(test_sim_stale_and_protect)
{
	static const char *const settings[] = {
		"lockout_user_failures", "5", "lockout_user_networks", "0",
		NULL
	};
	const struct lockout_sim_summary *s;
	struct fixture fx;
	char ip[32];
	unsigned int i;

	fx_init(&fx, settings);
	/* a phone with an old password: one tag, many times */
	for (i = 0; i < 12; i++) {
		feed_n(&fx, T0 + i, "192.0.2.1", "bob", LOCKOUT_SIM_MISMATCH,
		       0xabcdU, 1);
	}
	/* alice's known device, then a distributed attack on her */
	feed(&fx, T0 + 20, "198.51.100.7", "alice", LOCKOUT_SIM_OK);
	for (i = 0; i < 5; i++) {
		snprintf(ip, sizeof(ip), "203.0.%u.9", i);
		feed(&fx, T0 + 30 + i, ip, "alice", LOCKOUT_SIM_MISMATCH);
	}
	feed(&fx, T0 + 40, "203.0.113.200", "alice", LOCKOUT_SIM_OK);
	feed(&fx, T0 + 41, "198.51.100.8", "alice", LOCKOUT_SIM_OK);
	s = lockout_simulate_summary(fx.sim);
	ck_assert_uint_eq(s->bans, 0);
	ck_assert_uint_eq(s->stale_clients.total, 1);
	ck_assert_str_eq(s->stale_clients.items[0].target, "192.0.2.1");
	ck_assert_str_eq(s->stale_clients.items[0].user, "bob");
	ck_assert_str_eq(s->stale_clients.items[0].rule, "stale_client");
	ck_assert_uint_eq(s->protected_accounts.total, 1);
	ck_assert_str_eq(s->protected_accounts.items[0].user, "alice");
	ck_assert_uint_eq(s->protected_accounts.items[0].failures, 5);
	ck_assert(strstr(s->protected_accounts.items[0].reason,
			 "5 failed logins from 5 unknown sources") != NULL);
	/* the stranger is refused, the known network is not */
	ck_assert_uint_eq(s->refused_protected, 1);
	ck_assert_uint_eq(s->refused_successes.total, 1);
	ck_assert_str_eq(s->refused_successes.items[0].rule, "protected");
	ck_assert_str_eq(s->refused_successes.items[0].ban_target, "");
	ck_assert_uint_ge(s->known_devices, 1);
	fx_deinit(&fx);
}
END_TEST

START_TEST(test_sim_json)
{
	static const char *const settings[] = {
		"lockout_targeted_ban_time", "permanent", NULL
	};
	struct fixture fx;
	const struct recorded *r;
	char buf[256];
	int64_t v = 0;

	fx_init(&fx, settings);
	feed(&fx, T0, "2001:db8::1", "root@\"\x1b", LOCKOUT_SIM_UNKNOWN_USER);
	ck_assert_uint_eq(fx.decision_count, 1);
	r = &fx.decisions[0];
	/* one valid JSON object: read it back */
	ck_assert_int_eq(lockout_json_get_string(r->json, "type", buf,
						 sizeof(buf)), 1);
	ck_assert_str_eq(buf, "ban");
	ck_assert_int_eq(lockout_json_get_string(r->json, "target", buf,
						 sizeof(buf)), 1);
	ck_assert_str_eq(buf, "2001:db8::/64");
	ck_assert_int_eq(lockout_json_get_string(r->json, "kind", buf,
						 sizeof(buf)), 1);
	ck_assert_str_eq(buf, "net");
	ck_assert_int_eq(lockout_json_get_int(r->json, "i", &v), 1);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(lockout_json_get_int(r->json, "time", &v), 1);
	ck_assert_int_eq(v, T0);
	/* permanent: null */
	ck_assert_int_eq(lockout_json_get_int(r->json, "expires", &v), 0);
	ck_assert(strstr(r->json, "\"evidence\":{\"rule\":\"targeted_unknown\"")
		  != NULL);
	ck_assert(strstr(r->json, "root@\\\"\\u001b") != NULL);
	fx_deinit(&fx);

	/* evidence that is not one object is refused */
	{
		struct lockout_decision d;
		struct lockout_str str;

		memset(&d, 0, sizeof(d));
		d.type = LOCKOUT_DECISION_NOTABLE;
		d.target = d.user = d.rule = d.reason = "";
		d.evidence = "{\"a\":1}{";
		lockout_str_init(&str);
		ck_assert_int_eq(lockout_sim_decision_to_json(&str, 3, &d), -1);
		ck_assert(strstr(lockout_str_c(&str), "\"evidence\":null")
			  != NULL);
		lockout_str_clear(&str);
		d.evidence = NULL;
		ck_assert_int_eq(lockout_sim_decision_to_json(&str, 3, &d), 0);
		ck_assert(strstr(lockout_str_c(&str), "\"evidence\":{}")
			  != NULL);
		lockout_str_free(&str);
	}
}
END_TEST

/* Bans expire while the replay goes on: the active set stays small. */
START_TEST(test_sim_bans_expire)
{
	static const char *const settings[] = {
		"lockout_ip_failures", "1", "lockout_ban_time", "10 mins",
		"lockout_net_ban_hosts", "0", NULL
	};
	const struct lockout_sim_summary *s;
	struct fixture fx;
	char ip[32], user[32];
	unsigned int i;

	fx_init(&fx, settings);
	for (i = 0; i < 3000; i++) {
		/* other users each time: no account gets protected */
		snprintf(ip, sizeof(ip), "10.%u.%u.1", i / 256, i % 256);
		snprintf(user, sizeof(user), "u%u", i);
		feed(&fx, T0 + (int64_t)i * 60, ip, user,
		     LOCKOUT_SIM_MISMATCH);
	}
	s = lockout_simulate_summary(fx.sim);
	ck_assert_uint_eq(s->bans, 3000);
	/* ten minutes of bans, one a minute, plus the purge slack */
	ck_assert_uint_lt(s->peak_bans, 200);
	fx_deinit(&fx);
}
END_TEST

/* The same input gives the same answer. */
START_TEST(test_sim_deterministic)
{
	static const char *const settings[] = {
		"lockout_max_sources", "64", "lockout_ip_failures", "3", NULL
	};
	struct fixture *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	char ip[32];
	unsigned int i, j;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	fx_init(a, settings);
	fx_init(b, settings);
	/* more sources than the table holds: eviction depends on the key,
	   which is fixed */
	for (i = 0; i < 2000; i++) {
		snprintf(ip, sizeof(ip), "10.0.%u.%u", (i * 7) % 256,
			 (i * 13) % 251);
		feed(a, T0 + i, ip, "u", LOCKOUT_SIM_MISMATCH);
		feed(b, T0 + i, ip, "u", LOCKOUT_SIM_MISMATCH);
	}
	ck_assert_uint_eq(a->verdict_count, b->verdict_count);
	ck_assert_uint_eq(a->decision_count, b->decision_count);
	for (j = 0; j < a->decision_count; j++)
		ck_assert_str_eq(a->decisions[j].json, b->decisions[j].json);
	for (j = 0; j < MAX_VERDICTS && j < a->verdict_count; j++)
		ck_assert_int_eq(a->verdicts[j], b->verdicts[j]);
	fx_deinit(a);
	fx_deinit(b);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_sim_password_tag)
{
	static const unsigned char k1[LOCKOUT_SIM_KEY_SIZE] =
		"0123456789abcdef";
	static const unsigned char k2[LOCKOUT_SIM_KEY_SIZE] =
		"0123456789abcdeX";

	ck_assert_uint_ne(lockout_password_tag(k1, "", 0), 0);
	ck_assert_uint_eq(lockout_password_tag(k1, "pw", 2),
			  lockout_password_tag(k1, "pw", 2));
	ck_assert_uint_ne(lockout_password_tag(k1, "pw", 2),
			  lockout_password_tag(k2, "pw", 2));
	/* explicit lengths: a NUL is part of the password */
	ck_assert_uint_ne(lockout_password_tag(k1, "p\0w", 3),
			  lockout_password_tag(k1, "p", 1));
	ck_assert_str_eq(lockout_sim_result_to_str(LOCKOUT_SIM_UNKNOWN_USER),
			 "unknown_user");
	ck_assert_str_eq(lockout_sim_result_to_str(99), "unknown");
}
END_TEST

static Suite *simulate_suite(void)
{
	Suite *s = suite_create("lockout-simulate");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_sim_ip_failures);
	tcase_add_test(tc, test_sim_refused_successes_grouped);
	tcase_add_test(tc, test_sim_counts_expand);
	tcase_add_test(tc, test_sim_time);
	tcase_add_test(tc, test_sim_unknown_kind);
	tcase_add_test(tc, test_sim_recorded_refusals);
	tcase_add_test(tc, test_sim_stale_and_protect);
	tcase_add_test(tc, test_sim_json);
	tcase_add_test(tc, test_sim_bans_expire);
	tcase_add_test(tc, test_sim_deterministic);
	tcase_add_test(tc, test_sim_password_tag);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(simulate_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
