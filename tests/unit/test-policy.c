/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-policy.h"
#include "lockout-json.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))

/* the engine's hash key: fixed, so that every run decides the same */
static const unsigned char policy_key[LOCKOUT_HASH_KEY_SIZE] =
	"test-policy-key!";
#define T0 1700000000
#define MINUTE 60
#define HOUR 3600
#define DAY 86400
/* "no such step" in the tables */
#define NONE (-1)
/* an expiry of a permanent ban or protection in the tables */
#define PERM (-1)
/* decisions copied with their strings; later ones are only counted */
#define RECORDS_MAX 64
#define FLOOD_COUNT 100000
#define LONG_NAME_LEN (10 * 1024)

/* ck_assert*() reports every passing check to the runner (a write): in the
   helpers that floods call, check without that cost. */
#define REQUIRE(expr, ...) do { \
	if (!(expr)) \
		ck_abort_msg(__VA_ARGS__); \
	} while (0)

/* --- fixture: a configuration, an engine and what it decided -------------- */

struct record {
	enum lockout_decision_type type;
	enum lockout_kind kind;
	struct lockout_net net;
	char target[LOCKOUT_BAN_TARGET_MAX + 1];
	char user[LOCKOUT_BAN_TARGET_MAX + 1];
	char rule[64];
	char reason[1024];
	int64_t time, expires;
	unsigned int failures;
	char *evidence;
};

struct fixture {
	struct lockout_config cfg;
	struct lockout_policy *policy;
	unsigned int decisions;
	unsigned int by_type[LOCKOUT_DECISION_NOTABLE + 1];
	unsigned int recorded;
	struct record rec[RECORDS_MAX];
};

static void copy_str(char *dest, size_t size, const char *src)
{
	REQUIRE(src != NULL, "NULL decision string");
	REQUIRE(strlen(src) < size, "decision string of %zu bytes",
		strlen(src));
	memcpy(dest, src, strlen(src) + 1);
}

/* The callback: strings are valid only here, so copy them. */
static void record_decision(const struct lockout_decision *d, void *context)
{
	struct fixture *fx = context;
	struct record *r;

	REQUIRE(d->type >= LOCKOUT_DECISION_BAN &&
		d->type <= LOCKOUT_DECISION_NOTABLE, "decision type %d",
		(int)d->type);
	REQUIRE(d->evidence != NULL && d->target != NULL && d->user != NULL &&
		d->rule != NULL && d->reason != NULL, "NULL in a decision");
	REQUIRE(d->type != LOCKOUT_DECISION_KNOWN_DEVICE ||
		strcmp(d->evidence, "{}") == 0, "evidence %s", d->evidence);
	fx->decisions++;
	fx->by_type[d->type]++;
	if (fx->recorded == RECORDS_MAX)
		return;
	r = &fx->rec[fx->recorded++];
	r->type = d->type;
	r->kind = d->kind;
	r->net = d->net;
	copy_str(r->target, sizeof(r->target), d->target);
	copy_str(r->user, sizeof(r->user), d->user);
	copy_str(r->rule, sizeof(r->rule), d->rule);
	copy_str(r->reason, sizeof(r->reason), d->reason);
	r->time = d->time;
	r->expires = d->expires;
	r->failures = d->failures;
	r->evidence = strdup(d->evidence);
	REQUIRE(r->evidence != NULL, "out of memory");
}

static void fixture_clear(struct fixture *fx)
{
	unsigned int i;

	for (i = 0; i < fx->recorded; i++)
		free(fx->rec[i].evidence);
	fx->recorded = 0;
	fx->decisions = 0;
	memset(fx->by_type, 0, sizeof(fx->by_type));
}

static void fixture_set(struct fixture *fx, const char *name,
			const char *value)
{
	const char *error = NULL;

	ck_assert_msg(lockout_config_set(&fx->cfg, name, value, &error) == 0,
		      "%s=%s: %s", name, value, error);
}

/* Two lists of name/value pairs over the defaults, each ending with NULL
   (or NULL); the engine reads the configuration only at creation. */
static struct fixture *fixture_new2(const char *const *settings,
				    const char *const *more)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	const char *error = NULL;

	ck_assert_ptr_nonnull(fx);
	ck_assert_msg(lockout_config_init(&fx->cfg, &error) == 0, "%s",
		      error);
	for (; settings != NULL && settings[0] != NULL; settings += 2)
		fixture_set(fx, settings[0], settings[1]);
	for (; more != NULL && more[0] != NULL; more += 2)
		fixture_set(fx, more[0], more[1]);
	ck_assert_msg(lockout_config_check(&fx->cfg, &error) == 0, "%s",
		      error);
	fx->policy = lockout_policy_create(&fx->cfg, policy_key);
	ck_assert_ptr_nonnull(fx->policy);
	return fx;
}

static struct fixture *fixture_new(const char *const *settings)
{
	return fixture_new2(settings, NULL);
}

static const char *const one_failure[] = {
	"lockout_ip_failures", "1", NULL
};

static void fixture_free(struct fixture **_fx)
{
	struct fixture *fx = *_fx;

	*_fx = NULL;
	fixture_clear(fx);
	lockout_policy_free(&fx->policy);
	ck_assert_ptr_null(fx->policy);
	lockout_config_free(&fx->cfg);
	free(fx);
}

static void test_addr(const char *str, struct lockout_addr *addr_r)
{
	REQUIRE(lockout_addr_parse(str, addr_r) == 0,
		"lockout_addr_parse(%s) failed", str);
}

static void test_net(const char *str, struct lockout_net *net_r)
{
	const char *error = NULL;

	ck_assert_msg(lockout_net_parse(str, net_r, &error) == 0,
		      "lockout_net_parse(%s): %s", str, error);
}

static void addr4(uint32_t value, struct lockout_addr *addr_r)
{
	memset(addr_r, 0, sizeof(*addr_r));
	addr_r->family = LOCKOUT_AF_INET;
	addr_r->bytes[0] = (uint8_t)(value >> 24);
	addr_r->bytes[1] = (uint8_t)(value >> 16);
	addr_r->bytes[2] = (uint8_t)(value >> 8);
	addr_r->bytes[3] = (uint8_t)value;
}

/* 2001:db8:<value>::1, a different /64 for every value */
static void addr6(uint32_t value, struct lockout_addr *addr_r)
{
	memset(addr_r, 0, sizeof(*addr_r));
	addr_r->family = LOCKOUT_AF_INET6;
	addr_r->bytes[0] = 0x20;
	addr_r->bytes[1] = 0x01;
	addr_r->bytes[2] = 0x0d;
	addr_r->bytes[3] = 0xb8;
	addr_r->bytes[4] = (uint8_t)(value >> 24);
	addr_r->bytes[5] = (uint8_t)(value >> 16);
	addr_r->bytes[6] = (uint8_t)(value >> 8);
	addr_r->bytes[7] = (uint8_t)value;
	addr_r->bytes[15] = 1;
}

static const char *net_str(const struct lockout_net *net,
			   char buf[LOCKOUT_NET_STRLEN])
{
	lockout_net_to_str(net, buf);
	return buf;
}

/* Observe one attempt; checks that the return value is the number of
   callbacks and returns it. */
static int observe_attempt(struct fixture *fx, const struct lockout_attempt *a)
{
	unsigned int before = fx->decisions;
	int ret;

	ret = lockout_policy_observe(fx->policy, a, record_decision, fx);
	REQUIRE(ret >= 0, "lockout_policy_observe() = %d", ret);
	REQUIRE((unsigned int)ret == fx->decisions - before,
		"returned %d, %u callbacks", ret, fx->decisions - before);
	return ret;
}

static int observe_full(struct fixture *fx, int64_t time,
			const struct lockout_addr *ip,
			enum lockout_outcome outcome, const char *user,
			const char *account, uint32_t tag,
			const char *service, const char *mechanism)
{
	struct lockout_attempt a;

	memset(&a, 0, sizeof(a));
	a.time = time;
	a.ip = *ip;
	a.user = user;
	a.account = account;
	a.service = service;
	a.mechanism = mechanism;
	a.outcome = outcome;
	a.password_tag = tag;
	return observe_attempt(fx, &a);
}

/* An IMAP PLAIN attempt by user (as typed and as the account). */
static int observe(struct fixture *fx, int64_t time, const char *ip,
		   enum lockout_outcome outcome, const char *user,
		   uint32_t tag)
{
	struct lockout_addr addr;

	test_addr(ip, &addr);
	return observe_full(fx, time, &addr, outcome, user, NULL, tag,
			    "imap", "PLAIN");
}

static enum lockout_outcome outcome_of(char code)
{
	switch (code) {
	case 'S':
		return LOCKOUT_OUTCOME_SUCCESS;
	case 'M':
		return LOCKOUT_OUTCOME_MISMATCH;
	case 'U':
		return LOCKOUT_OUTCOME_UNKNOWN_USER;
	case 'R':
		return LOCKOUT_OUTCOME_REFUSED;
	case 'P':
		return LOCKOUT_OUTCOME_PROTECTED;
	}
	ck_abort_msg("bad outcome code %c", code);
	return LOCKOUT_OUTCOME_REFUSED;
}

static enum lockout_verdict
check_full(struct fixture *fx, int64_t now, const char *ip,
	   const char *account, const struct lockout_banset_entry **ban_r)
{
	const struct lockout_banset_entry *ban = NULL;
	struct lockout_addr addr;
	enum lockout_verdict verdict;

	test_addr(ip, &addr);
	verdict = lockout_policy_check(fx->policy, now, &addr, account, &ban);
	if (verdict == LOCKOUT_VERDICT_BANNED)
		ck_assert_ptr_nonnull(ban);
	else
		ck_assert_ptr_null(ban);
	if (ban_r != NULL)
		*ban_r = ban;
	return verdict;
}

static enum lockout_verdict check(struct fixture *fx, int64_t now,
				  const char *ip, const char *account)
{
	return check_full(fx, now, ip, account, NULL);
}

/* The last recorded decision of type (and rule, unless NULL), or NULL. */
static const struct record *
find_decision(const struct fixture *fx, enum lockout_decision_type type,
	      const char *rule)
{
	unsigned int i;

	for (i = fx->recorded; i > 0; i--) {
		const struct record *r = &fx->rec[i - 1];

		if (r->type == type &&
		    (rule == NULL || strcmp(r->rule, rule) == 0))
			return r;
	}
	return NULL;
}

static unsigned int count_decisions(const struct fixture *fx,
				    enum lockout_decision_type type,
				    const char *rule)
{
	unsigned int i, count = 0;

	ck_assert_uint_lt(fx->recorded, RECORDS_MAX);
	for (i = 0; i < fx->recorded; i++) {
		if (fx->rec[i].type == type &&
		    (rule == NULL || strcmp(fx->rec[i].rule, rule) == 0))
			count++;
	}
	return count;
}

/* --- evidence ------------------------------------------------------------- */

static int64_t ev_int(const char *json, const char *key)
{
	int64_t value = 0;
	int ret = lockout_json_get_int(json, key, &value);

	ck_assert_msg(ret == 1, "get_int(%s) = %d in evidence %s", key, ret,
		      json);
	return value;
}

static void ev_str(const char *json, const char *key, const char *expected)
{
	char buf[256];
	int ret = lockout_json_get_string(json, key, buf, sizeof(buf));

	ck_assert_msg(ret == 1, "get_string(%s) = %d in evidence %s", key,
		      ret, json);
	ck_assert_str_eq(buf, expected);
}

/* The reader has no arrays: check them as the exact text. */
static void ev_has(const char *json, const char *text)
{
	ck_assert_msg(strstr(json, text) != NULL, "%s not in evidence %s",
		      text, json);
}

/* Every BAN, PROTECT and NOTABLE carries valid JSON naming its rule and
   the failures it counted. */
static void ev_basic(const struct record *r)
{
	ev_str(r->evidence, "rule", r->rule);
	ck_assert_int_eq(ev_int(r->evidence, "failures"), r->failures);
}

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
	{ "one password, ten users", 10, 1, TAG_FIXED, true, 9, 0, NONE },
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
	{ "never ipv6", { NULL }, NULL, NULL, 0, 1,
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
		"lockout_protect_time", "1 hour", NULL
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
	const char *const settings[] = { "lockout_user_failures", "5", NULL };
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

START_TEST(test_evidence)
{
	struct fixture *fx = fixture_new(NULL);
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
	struct fixture *fx = fixture_new(NULL);
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

static char *long_name(const char *prefix, const char *suffix)
{
	size_t plen = strlen(prefix), slen = strlen(suffix);
	char *name = malloc(LONG_NAME_LEN + 1);

	ck_assert_ptr_nonnull(name);
	memset(name, 'x', LONG_NAME_LEN);
	memcpy(name, prefix, plen);
	/* a UTF-8 character across the evidence's cut */
	memcpy(name + 30, "\xc3\xa9\xc3\xa9", 4);
	memcpy(name + LONG_NAME_LEN - slen, suffix, slen);
	name[LONG_NAME_LEN] = '\0';
	return name;
}

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
	struct fixture *fx = fixture_new(NULL);
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

/* --- the clock's origin --------------------------------------------------- */

/* Times have "any origin": the same scenarios at T0, at 0 and before 0. */
enum origin_scenario {
	/* 50 repeats of one wrong password at once: one stale_client */
	ORIGIN_STALE,
	/* a success in a /24, then three of its hosts banned: no /24 ban */
	ORIGIN_NET_SUCCESS,
	/* user_failures=5 failures from unknown sources: one PROTECT */
	ORIGIN_PROTECT,
};

static const struct {
	enum origin_scenario scenario;
	int64_t base;
} origin_cases[] = {
	{ ORIGIN_STALE, T0 },
	{ ORIGIN_STALE, 0 },
	{ ORIGIN_NET_SUCCESS, T0 },
	{ ORIGIN_NET_SUCCESS, 0 },
	{ ORIGIN_PROTECT, T0 },
	{ ORIGIN_PROTECT, -100000 },
};

START_TEST(test_time_origin)
{
	const char *const settings[] = { "lockout_user_failures", "5", NULL };
	struct fixture *fx = fixture_new(settings);
	int64_t base = origin_cases[_i].base;
	unsigned int i;
	char ip[32];

	switch (origin_cases[_i].scenario) {
	case ORIGIN_STALE:
		for (i = 0; i < 50; i++) {
			(void)observe(fx, base, "192.0.2.1",
				      LOCKOUT_OUTCOME_MISMATCH, "alice", 42);
		}
		ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_BAN], 0);
		ck_assert_uint_eq(count_decisions(fx, LOCKOUT_DECISION_NOTABLE,
						  "stale_client"), 1);
		break;
	case ORIGIN_NET_SUCCESS:
		(void)observe(fx, base, "198.51.100.50",
			      LOCKOUT_OUTCOME_SUCCESS, "carol", 0);
		for (i = 0; i < 3; i++) {
			snprintf(ip, sizeof(ip), "198.51.100.%u", i + 1);
			(void)observe(fx, base + 1 + i, ip,
				      LOCKOUT_OUTCOME_UNKNOWN_USER, "admin",
				      i + 1);
		}
		ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_BAN], 3);
		ck_assert_uint_eq(count_decisions(fx, LOCKOUT_DECISION_BAN,
						  "net_hosts"), 0);
		break;
	case ORIGIN_PROTECT:
		for (i = 0; i < 5; i++) {
			snprintf(ip, sizeof(ip), "203.0.113.%u", i + 1);
			(void)observe(fx, base + i, ip,
				      LOCKOUT_OUTCOME_MISMATCH, "bob", i + 1);
		}
		ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_PROTECT], 1);
		ck_assert(lockout_policy_protected(fx->policy, "bob",
						   base + 5));
		break;
	}
	fixture_free(&fx);
}
END_TEST

/* --- bounds --------------------------------------------------------------- */

static const struct {
	unsigned int per_second;
} flood_cases[] = {
	{ 1 }, { 1000 }, { FLOOD_COUNT },
};

/* 100000 addresses through a table of 64: bounded, least recently used
   evicted (an address hit after every 3 others keeps its history), bans
   never evicted. */
START_TEST(test_flood_sources)
{
	const char *const settings[] = {
		"lockout_max_sources", "64", "lockout_ip_failures", "100",
		NULL
	};
	struct fixture *fx = fixture_new(settings);
	unsigned int per_second = flood_cases[_i].per_second;
	size_t capacity = lockout_policy_source_capacity(fx->policy);
	size_t mem = lockout_policy_memory(fx->policy);
	struct lockout_addr addr, hot;
	const struct record *r;
	unsigned int i, hits = 0, banned_at = 0;
	int64_t now = T0;

	ck_assert_uint_ge(capacity, 64);
	ck_assert_uint_le(capacity, 128);
	ck_assert_int_eq(observe(fx, T0, "192.0.2.99",
				 LOCKOUT_OUTCOME_UNKNOWN_USER, "admin", 1), 1);
	test_addr("198.51.100.7", &hot);
	for (i = 0; i < FLOOD_COUNT; i++) {
		now = T0 + i / per_second;
		if (i >= FLOOD_COUNT / 2 && i % 4 == 0 && banned_at == 0) {
			hits++;
			if (observe_full(fx, now, &hot,
					 LOCKOUT_OUTCOME_UNKNOWN_USER,
					 "nobody", NULL, hits, "imap",
					 "PLAIN") > 0)
				banned_at = hits;
			continue;
		}
		/* 10.0.0.1 onwards, in different /24s */
		addr4(0x0a000001U + i * 257, &addr);
		REQUIRE(observe_full(fx, now, &addr,
				     LOCKOUT_OUTCOME_UNKNOWN_USER, "nobody",
				     NULL, i + 1, "imap", "PLAIN") == 0,
			"attempt %u decided", i);
		REQUIRE(lockout_policy_source_count(fx->policy) <= capacity,
			"%zu sources", lockout_policy_source_count(fx->policy));
	}
	ck_assert_uint_le(lockout_policy_source_count(fx->policy), capacity);
	ck_assert_uint_gt(lockout_policy_source_count(fx->policy), 0);
	ck_assert_uint_eq(banned_at, 100);
	r = &fx->rec[fx->recorded - 1];
	ck_assert_int_eq(check(fx, r->time, "198.51.100.7", NULL),
			 LOCKOUT_VERDICT_BANNED);
	ck_assert_str_eq(r->target, "198.51.100.7");
	ck_assert_uint_eq(r->failures, 100);
	ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_BAN], 2);
	ck_assert_int_eq(check(fx, now, "192.0.2.99", NULL),
			 LOCKOUT_VERDICT_BANNED);
	ck_assert_uint_le(lockout_policy_memory(fx->policy), mem + 4096);
	fixture_free(&fx);
}
END_TEST

/* Same, with IPv6 /64s and the default thresholds: repeat offenders keep
   their history while the table churns. */
START_TEST(test_flood_sources_ipv6)
{
	const char *const settings[] = { "lockout_max_sources", "64", NULL };
	struct fixture *fx = fixture_new(settings);
	size_t capacity = lockout_policy_source_capacity(fx->policy);
	struct lockout_addr addr;
	unsigned int i;

	for (i = 0; i < FLOOD_COUNT; i++) {
		addr6(i, &addr);
		(void)observe_full(fx, T0 + i / 1000, &addr,
				   LOCKOUT_OUTCOME_MISMATCH, "alice", NULL,
				   i + 1, "imap", "PLAIN");
	}
	ck_assert_uint_le(lockout_policy_source_count(fx->policy), capacity);
	ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_BAN], 0);
	fixture_free(&fx);
}
END_TEST

/* Floods of accounts and devices do not grow the engine. */
START_TEST(test_flood_accounts)
{
	const char *const settings[] = {
		"lockout_max_users", "64", "lockout_max_known_devices", "64",
		"lockout_max_sources", "64", NULL
	};
	struct fixture *fx = fixture_new(settings);
	size_t mem = lockout_policy_memory(fx->policy);
	struct lockout_addr local, addr;
	unsigned int i;
	char name[64];
	char *huge = long_name("", "");

	test_addr("127.0.0.1", &local);
	/* failures for unique accounts from an allowed address */
	for (i = 0; i < FLOOD_COUNT; i++) {
		snprintf(name, sizeof(name), "u%u@example.org", i);
		huge[0] = (char)('a' + i % 26);
		huge[1] = (char)('a' + i / 26 % 26);
		(void)observe_full(fx, T0 + i / 1000, &local,
				   i % 2 == 0 ? LOCKOUT_OUTCOME_MISMATCH :
				   LOCKOUT_OUTCOME_UNKNOWN_USER,
				   i % 16 == 0 ? huge : name, NULL, i + 1,
				   "imap", "PLAIN");
	}
	ck_assert_uint_eq(fx->decisions, 0);
	ck_assert_uint_eq(lockout_policy_memory(fx->policy), mem);
	/* successes for unique devices */
	for (i = 0; i < FLOOD_COUNT; i++) {
		snprintf(name, sizeof(name), "u%u", i % 1000);
		addr4(0x0a000000U + (i << 8), &addr);
		(void)observe_full(fx, T0 + 100 + i / 1000, &addr,
				   LOCKOUT_OUTCOME_SUCCESS, name, NULL, 0,
				   "imap", "PLAIN");
	}
	ck_assert_uint_eq(fx->by_type[LOCKOUT_DECISION_KNOWN_DEVICE],
			  FLOOD_COUNT);
	ck_assert_uint_eq(lockout_policy_memory(fx->policy), mem);
	for (i = 0; i < FLOOD_COUNT; i++) {
		struct lockout_net net;

		snprintf(name, sizeof(name), "v%u", i);
		addr6(i, &addr);
		lockout_policy_device_net(fx->policy, &addr, &net);
		lockout_policy_add_known_device(fx->policy, name, &net, T0);
	}
	ck_assert_uint_eq(lockout_policy_memory(fx->policy), mem);
	ck_assert_uint_eq(lockout_policy_source_count(fx->policy), 0);
	/* protections are the one thing that grows */
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "p%u", i);
		ck_assert_int_eq(lockout_policy_protect(fx->policy, name,
							T0 + HOUR), 0);
	}
	ck_assert_uint_gt(lockout_policy_memory(fx->policy), mem);
	free(huge);
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
	ck_assert_uint_eq(count_decisions(fx, LOCKOUT_DECISION_PROTECT, NULL), 0);
	fixture_free(&fx);
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
	tcase_add_loop_test(tc, test_escalation, 0,
			    N_ELEMENTS(escalation_cases));
	tcase_add_loop_test(tc, test_history_time, 0,
			    N_ELEMENTS(history_cases));
	tcase_add_loop_test(tc, test_note_ban, 0, N_ELEMENTS(note_ban_cases));
	tcase_add_loop_test(tc, test_net_ban, 0, N_ELEMENTS(net_cases));
	tcase_add_test(tc, test_known_device);
	tcase_add_test(tc, test_device_net);
	tcase_add_test(tc, test_protect);
	tcase_add_loop_test(tc, test_protect_count, 0,
			    N_ELEMENTS(protect_count_cases));
	tcase_add_test(tc, test_protect_api);
	tcase_add_test(tc, test_forget_account);
	tcase_add_test(tc, test_protect_distinct_sources);
	tcase_add_loop_test(tc, test_success_after_failures, 0,
			    N_ELEMENTS(saf_cases));
	tcase_add_loop_test(tc, test_allowed, 0, N_ELEMENTS(allow_cases));
	tcase_add_test(tc, test_set_allowed_replaces);
	tcase_add_test(tc, test_allowed_inside_banned_prefix);
	tcase_add_test(tc, test_evidence);
	tcase_add_test(tc, test_evidence_distinct_users);
	tcase_add_test(tc, test_evidence_all_rules);
	tcase_add_test(tc, test_long_names);
	tcase_add_test(tc, test_null_fields);
	tcase_add_test(tc, test_family_zero);
	tcase_add_test(tc, test_forget);
	tcase_add_loop_test(tc, test_time_origin, 0,
			    N_ELEMENTS(origin_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("bounds");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_flood_sources, 0,
			    N_ELEMENTS(flood_cases));
	tcase_add_test(tc, test_flood_sources_ipv6);
	tcase_add_test(tc, test_flood_accounts);
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
