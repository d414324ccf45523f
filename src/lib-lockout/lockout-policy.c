/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Per-source table: set-associative, POLICY_WAYS entries per set. A new
   source evicts the least recently seen entry of its set, so the table never
   grows past its capacity whatever an attacker sends, and the keyed hash
   keeps an attacker from aiming all its addresses at one set. */
#define POLICY_WAYS 8
/* Usernames kept per source as evidence, and their maximum length. */
#define POLICY_USERS 4
#define POLICY_USER_LEN 48
/* Distinct usernames are counted exactly up to this many (by hash). */
#define POLICY_USER_HASHES 16

struct source_entry {
	struct lockout_net net;
	bool used;
	/* recency for eviction: the policy's tick at the last use. Times are
	   whole seconds, so under a flood they tie and cannot order the set */
	uint64_t last_use;
	int64_t first_seen, last_seen;
	unsigned int failures;
	unsigned int unknown_user_failures;
	unsigned int ring_head, ring_len;
	uint32_t services, mechanisms;
	unsigned int user_hash_count;
	uint32_t user_hashes[POLICY_USER_HASHES];
	unsigned int user_count;
	char users[POLICY_USERS][POLICY_USER_LEN];
};

struct lockout_policy {
	const struct lockout_config *cfg;
	uint32_t seed;
	uint64_t tick;
	size_t set_count;
	size_t source_count;
	struct source_entry *sources;
	/* failure times: cfg->ip_failures per entry, a ring each */
	int64_t *rings;
	struct lockout_banset *bans;
};

/* Names the evidence knows; anything else is reported as "other". */
static const char *const known_services[] = {
	"imap", "pop3", "smtp", "submission", "sieve", "managesieve", "lmtp",
	"doveadm", NULL
};
static const char *const known_mechanisms[] = {
	"PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1",
	"SCRAM-SHA-256", "OAUTHBEARER", "XOAUTH2", "EXTERNAL", NULL
};
#define NAME_BIT_OTHER 31

static const char *const outcome_names[] = {
	[LOCKOUT_OUTCOME_SUCCESS] = "success",
	[LOCKOUT_OUTCOME_MISMATCH] = "mismatch",
	[LOCKOUT_OUTCOME_UNKNOWN_USER] = "unknown_user",
	[LOCKOUT_OUTCOME_REFUSED] = "refused",
};

const char *lockout_outcome_to_str(enum lockout_outcome outcome)
{
	if ((unsigned int)outcome >= sizeof(outcome_names) /
	    sizeof(outcome_names[0]))
		return "unknown";
	return outcome_names[outcome];
}

struct lockout_policy *
lockout_policy_create(const struct lockout_config *cfg, uint32_t seed)
{
	struct lockout_policy *policy;
	size_t capacity;

	policy = calloc(1, sizeof(*policy));
	if (policy == NULL)
		return NULL;
	policy->cfg = cfg;
	policy->seed = seed;
	policy->set_count = (cfg->max_sources + POLICY_WAYS - 1) / POLICY_WAYS;
	if (policy->set_count == 0)
		policy->set_count = 1;
	capacity = policy->set_count * POLICY_WAYS;
	policy->sources = calloc(capacity, sizeof(*policy->sources));
	policy->rings = calloc(capacity * cfg->ip_failures,
			       sizeof(*policy->rings));
	policy->bans = lockout_banset_create(seed ^ 0x5bd1e995U);
	if (policy->sources == NULL || policy->rings == NULL ||
	    policy->bans == NULL) {
		lockout_policy_free(&policy);
		return NULL;
	}
	return policy;
}

void lockout_policy_free(struct lockout_policy **_policy)
{
	struct lockout_policy *policy = *_policy;

	if (policy == NULL)
		return;
	*_policy = NULL;
	lockout_banset_free(&policy->bans);
	free(policy->rings);
	free(policy->sources);
	free(policy);
}

void lockout_policy_source_net(const struct lockout_policy *policy,
			       const struct lockout_addr *ip,
			       struct lockout_net *net_r)
{
	lockout_addr_mask(ip, ip->family == LOCKOUT_AF_INET ? 32 :
			  policy->cfg->ipv6_prefix, net_r);
}

bool lockout_policy_allowed(const struct lockout_policy *policy, int64_t now,
			    const struct lockout_addr *ip,
			    const struct lockout_banset_entry **ban_r)
{
	*ban_r = lockout_banset_lookup(policy->bans, ip, now);
	return *ban_r == NULL;
}

struct lockout_banset *lockout_policy_bans(struct lockout_policy *policy)
{
	return policy->bans;
}

size_t lockout_policy_source_count(const struct lockout_policy *policy)
{
	return policy->source_count;
}

size_t lockout_policy_source_capacity(const struct lockout_policy *policy)
{
	return policy->set_count * POLICY_WAYS;
}

static bool net_equals(const struct lockout_net *a,
		       const struct lockout_net *b)
{
	return a->prefix == b->prefix &&
		lockout_addr_equals(&a->addr, &b->addr);
}

static size_t source_set(const struct lockout_policy *policy,
			 const struct lockout_net *net)
{
	uint32_t h = lockout_addr_hash(&net->addr, policy->seed);

	return (h ^ ((uint32_t)net->prefix * 0x9e3779b1U)) % policy->set_count;
}

static struct source_entry *
source_find(struct lockout_policy *policy, const struct lockout_net *net)
{
	struct source_entry *set;
	unsigned int i;

	set = &policy->sources[source_set(policy, net) * POLICY_WAYS];
	for (i = 0; i < POLICY_WAYS; i++) {
		if (set[i].used && net_equals(&set[i].net, net))
			return &set[i];
	}
	return NULL;
}

static int64_t *source_ring(struct lockout_policy *policy,
			    const struct source_entry *entry)
{
	return &policy->rings[(size_t)(entry - policy->sources) *
			      policy->cfg->ip_failures];
}

static struct source_entry *
source_get(struct lockout_policy *policy, const struct lockout_net *net)
{
	struct source_entry *set, *victim = NULL;
	unsigned int i;

	set = &policy->sources[source_set(policy, net) * POLICY_WAYS];
	for (i = 0; i < POLICY_WAYS; i++) {
		if (!set[i].used) {
			if (victim == NULL || victim->used)
				victim = &set[i];
			continue;
		}
		if (net_equals(&set[i].net, net)) {
			set[i].last_use = ++policy->tick;
			return &set[i];
		}
		if (victim == NULL ||
		    (victim->used && set[i].last_use < victim->last_use))
			victim = &set[i];
	}
	if (!victim->used)
		policy->source_count++;
	memset(victim, 0, sizeof(*victim));
	victim->used = true;
	victim->net = *net;
	victim->last_use = ++policy->tick;
	return victim;
}

static void source_reset(struct source_entry *entry)
{
	struct lockout_net net = entry->net;
	uint64_t last_use = entry->last_use;

	memset(entry, 0, sizeof(*entry));
	entry->used = true;
	entry->net = net;
	entry->last_use = last_use;
}

void lockout_policy_forget(struct lockout_policy *policy,
			   const struct lockout_net *net)
{
	struct source_entry *entry = source_find(policy, net);

	if (entry != NULL) {
		entry->used = false;
		policy->source_count--;
	}
}

static uint32_t name_bit(const char *const *names, const char *name)
{
	unsigned int i;

	if (name == NULL || name[0] == '\0')
		return 0;
	for (i = 0; names[i] != NULL; i++) {
		if (strcasecmp(names[i], name) == 0)
			return 1U << i;
	}
	return 1U << NAME_BIT_OTHER;
}

static uint32_t user_hash(const char *user, uint32_t seed)
{
	uint32_t h = 2166136261U ^ seed;

	for (; *user != '\0'; user++) {
		h ^= (unsigned char)*user;
		h *= 16777619U;
	}
	return h;
}

static void source_note_user(struct lockout_policy *policy,
			     struct source_entry *entry, const char *user)
{
	uint32_t h;
	unsigned int i;

	if (user == NULL)
		user = "";
	h = user_hash(user, policy->seed);
	for (i = 0; i < entry->user_hash_count; i++) {
		if (entry->user_hashes[i] == h)
			return;
	}
	if (entry->user_hash_count < POLICY_USER_HASHES)
		entry->user_hashes[entry->user_hash_count++] = h;
	if (entry->user_count < POLICY_USERS) {
		/* truncated evidence is still evidence; the ban reason says
		   how many more there were */
		snprintf(entry->users[entry->user_count],
			 POLICY_USER_LEN, "%s", user);
	}
	if (entry->user_count < UINT32_MAX)
		entry->user_count++;
}

/* Push a failure time into the source's ring. Returns the number of
   failures now within the window ending at t. */
static unsigned int source_push_failure(struct lockout_policy *policy,
					struct source_entry *entry, int64_t t)
{
	unsigned int n = policy->cfg->ip_failures;
	int64_t *ring = source_ring(policy, entry);
	unsigned int i, idx, count = 0;

	ring[entry->ring_head] = t;
	entry->ring_head = (entry->ring_head + 1) % n;
	if (entry->ring_len < n)
		entry->ring_len++;
	for (i = 0; i < entry->ring_len; i++) {
		idx = (entry->ring_head + n - 1 - i) % n;
		if (t - ring[idx] >= (int64_t)policy->cfg->ip_window)
			break;
		count++;
	}
	return count;
}

static void append_names(struct lockout_str *str, const char *key,
			 const char *const *names, uint32_t bits)
{
	bool first = true;
	unsigned int i;

	lockout_str_printf(str, ",\"%s\":[", key);
	for (i = 0; names[i] != NULL; i++) {
		if ((bits & (1U << i)) == 0)
			continue;
		if (!first)
			lockout_str_append(str, ",");
		lockout_json_append_string(str, names[i]);
		first = false;
	}
	if ((bits & (1U << NAME_BIT_OTHER)) != 0)
		lockout_str_append(str, first ? "\"other\"" : ",\"other\"");
	lockout_str_append(str, "]");
}

static void decision_evidence(struct lockout_policy *policy,
			      const struct source_entry *entry,
			      unsigned int window_failures,
			      struct lockout_decision *decision)
{
	struct lockout_str *str = &decision->evidence;
	unsigned int i, shown;

	lockout_str_init(str);
	lockout_str_append(str, "{\"rule\":");
	lockout_json_append_string(str, decision->rule);
	lockout_str_printf(str, ",\"failures\":%u,\"threshold\":%u"
			   ",\"window\":%u,\"total_failures\":%u"
			   ",\"unknown_user_failures\":%u"
			   ",\"first_seen\":%lld,\"last_seen\":%lld",
			   window_failures, policy->cfg->ip_failures,
			   policy->cfg->ip_window, entry->failures,
			   entry->unknown_user_failures,
			   (long long)entry->first_seen,
			   (long long)entry->last_seen);
	lockout_str_append(str, ",\"users\":[");
	shown = entry->user_count < POLICY_USERS ? entry->user_count :
		POLICY_USERS;
	for (i = 0; i < shown; i++) {
		if (i > 0)
			lockout_str_append(str, ",");
		lockout_json_append_string(str, entry->users[i]);
	}
	lockout_str_printf(str, "],\"users_more\":%u,\"distinct_users\":%u",
			   entry->user_count - shown, entry->user_count);
	append_names(str, "services", known_services, entry->services);
	append_names(str, "mechanisms", known_mechanisms, entry->mechanisms);
	lockout_str_append(str, "}");
}

static int64_t ban_expiry(int64_t now, uint32_t duration)
{
	if (duration == LOCKOUT_TIME_PERMANENT)
		return 0;
	return now + (int64_t)duration;
}

int lockout_policy_observe(struct lockout_policy *policy,
			   const struct lockout_attempt *attempt,
			   struct lockout_decision *decision_r)
{
	const struct lockout_config *cfg = policy->cfg;
	struct source_entry *entry;
	struct lockout_net net;
	unsigned int count;
	char window[32];

	memset(decision_r, 0, sizeof(*decision_r));
	if (attempt->outcome != LOCKOUT_OUTCOME_MISMATCH &&
	    attempt->outcome != LOCKOUT_OUTCOME_UNKNOWN_USER)
		return 0;
	/* allowed networks are never banned by address */
	if (lockout_netlist_contains(cfg->allow_networks,
				     cfg->allow_networks_count, &attempt->ip))
		return 0;

	lockout_policy_source_net(policy, &attempt->ip, &net);
	entry = source_get(policy, &net);
	if (entry->failures == 0)
		entry->first_seen = attempt->time;
	entry->last_seen = attempt->time;
	entry->failures++;
	if (attempt->outcome == LOCKOUT_OUTCOME_UNKNOWN_USER)
		entry->unknown_user_failures++;
	entry->services |= name_bit(known_services, attempt->service);
	entry->mechanisms |= name_bit(known_mechanisms, attempt->mechanism);
	source_note_user(policy, entry, attempt->user);

	count = source_push_failure(policy, entry, attempt->time);
	if (count < cfg->ip_failures)
		return 0;

	decision_r->kind = lockout_net_is_host(&net) ? LOCKOUT_KIND_IP :
		LOCKOUT_KIND_NET;
	decision_r->net = net;
	lockout_net_to_str(&net, decision_r->target);
	decision_r->rule = "ip_failures";
	decision_r->created = attempt->time;
	decision_r->expires = ban_expiry(attempt->time, cfg->ban_time);
	decision_r->failures = count;
	lockout_interval_to_str(cfg->ip_window, window, sizeof(window));
	snprintf(decision_r->reason, sizeof(decision_r->reason),
		 "%u failed logins within %s (%u username%s tried)",
		 count, window, entry->user_count,
		 entry->user_count == 1 ? "" : "s");
	decision_evidence(policy, entry, count, decision_r);
	if (decision_r->evidence.failed ||
	    lockout_banset_add(policy->bans, &net, decision_r->expires,
			       0) < 0) {
		lockout_decision_free(decision_r);
		return -1;
	}
	/* counting starts afresh once the ban ends */
	source_reset(entry);
	return 1;
}

void lockout_decision_free(struct lockout_decision *decision)
{
	lockout_str_free(&decision->evidence);
}
