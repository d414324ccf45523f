/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "policy-fixture.h"

/* the engine's hash key: fixed, so that every run decides the same */
static const unsigned char policy_key[LOCKOUT_HASH_KEY_SIZE] =
	"test-policy-key!";

/* --- fixture: a configuration, an engine and what it decided -------------- */

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

void fixture_clear(struct fixture *fx)
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
struct fixture *fixture_new2(const char *const *settings,
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

struct fixture *fixture_new(const char *const *settings)
{
	return fixture_new2(settings, NULL);
}

const char *const one_failure[] = {
	"lockout_ip_failures", "1", NULL
};

void lift_bans(struct fixture *fx)
{
	lockout_banset_clear(lockout_policy_bans(fx->policy));
}

void fixture_free(struct fixture **_fx)
{
	struct fixture *fx = *_fx;

	*_fx = NULL;
	fixture_clear(fx);
	lockout_policy_free(&fx->policy);
	ck_assert_ptr_null(fx->policy);
	lockout_config_free(&fx->cfg);
	free(fx);
}

void test_addr(const char *str, struct lockout_addr *addr_r)
{
	REQUIRE(lockout_addr_parse(str, addr_r) == 0,
		"lockout_addr_parse(%s) failed", str);
}

void test_net(const char *str, struct lockout_net *net_r)
{
	const char *error = NULL;

	ck_assert_msg(lockout_net_parse(str, net_r, &error) == 0,
		      "lockout_net_parse(%s): %s", str, error);
}

void addr4(uint32_t value, struct lockout_addr *addr_r)
{
	memset(addr_r, 0, sizeof(*addr_r));
	addr_r->family = LOCKOUT_AF_INET;
	addr_r->bytes[0] = (uint8_t)(value >> 24);
	addr_r->bytes[1] = (uint8_t)(value >> 16);
	addr_r->bytes[2] = (uint8_t)(value >> 8);
	addr_r->bytes[3] = (uint8_t)value;
}

/* 2001:db8:<value>::1, a different /64 for every value */
void addr6(uint32_t value, struct lockout_addr *addr_r)
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

const char *net_str(const struct lockout_net *net,
		    char buf[LOCKOUT_NET_STRLEN])
{
	lockout_net_to_str(net, buf);
	return buf;
}

/* Observe one attempt; checks that the return value is the number of
   callbacks and returns it. */
int observe_attempt(struct fixture *fx, const struct lockout_attempt *a)
{
	unsigned int before = fx->decisions;
	int ret;

	ret = lockout_policy_observe(fx->policy, a, record_decision, fx);
	REQUIRE(ret >= 0, "lockout_policy_observe() = %d", ret);
	REQUIRE((unsigned int)ret == fx->decisions - before,
		"returned %d, %u callbacks", ret, fx->decisions - before);
	return ret;
}

int observe_full(struct fixture *fx, int64_t time,
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
int observe(struct fixture *fx, int64_t time, const char *ip,
	    enum lockout_outcome outcome, const char *user,
	    uint32_t tag)
{
	struct lockout_addr addr;

	test_addr(ip, &addr);
	return observe_full(fx, time, &addr, outcome, user, NULL, tag,
			    "imap", "PLAIN");
}

unsigned int flood_usernames(struct fixture *fx, const char *ip,
			     enum lockout_outcome outcome)
{
	size_t memory = 0;
	char user[32];
	unsigned int i, decisions = 0;

	for (i = 0; i < FLOOD_COUNT; i++) {
		snprintf(user, sizeof(user), "u%u", i);
		decisions += (unsigned int)observe(fx, T0 + i * 60, ip,
						   outcome, user, i + 1);
		if (i == 1000)
			memory = lockout_policy_memory(fx->policy);
	}
	ck_assert_uint_eq(lockout_policy_memory(fx->policy), memory);
	return decisions;
}

enum lockout_outcome outcome_of(char code)
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

enum lockout_verdict
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

enum lockout_verdict check(struct fixture *fx, int64_t now,
			   const char *ip, const char *account)
{
	return check_full(fx, now, ip, account, NULL);
}

/* The last recorded decision of type (and rule, unless NULL), or NULL. */
const struct record *
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

unsigned int count_decisions(const struct fixture *fx,
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

int64_t ev_int(const char *json, const char *key)
{
	int64_t value = 0;
	int ret = lockout_json_get_int(json, key, &value);

	ck_assert_msg(ret == 1, "get_int(%s) = %d in evidence %s", key, ret,
		      json);
	return value;
}

void ev_str(const char *json, const char *key, const char *expected)
{
	char buf[256];
	int ret = lockout_json_get_string(json, key, buf, sizeof(buf));

	ck_assert_msg(ret == 1, "get_string(%s) = %d in evidence %s", key,
		      ret, json);
	ck_assert_str_eq(buf, expected);
}

/* The reader has no arrays: check them as the exact text. */
void ev_has(const char *json, const char *text)
{
	ck_assert_msg(strstr(json, text) != NULL, "%s not in evidence %s",
		      text, json);
}

/* Every BAN, PROTECT and NOTABLE carries valid JSON naming its rule and
   the failures it counted. */
void ev_basic(const struct record *r)
{
	ev_str(r->evidence, "rule", r->rule);
	ck_assert_int_eq(ev_int(r->evidence, "failures"), r->failures);
}

char *long_name(const char *prefix, const char *suffix)
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

int policy_test_run(Suite *suite)
{
	SRunner *sr = srunner_create(suite);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
