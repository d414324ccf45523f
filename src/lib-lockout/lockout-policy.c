/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-policy-private.h"

#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const char *const outcome_names[] = {
	[LOCKOUT_OUTCOME_SUCCESS] = "success",
	[LOCKOUT_OUTCOME_MISMATCH] = "mismatch",
	[LOCKOUT_OUTCOME_UNKNOWN_USER] = "unknown_user",
	[LOCKOUT_OUTCOME_REFUSED] = "refused",
	[LOCKOUT_OUTCOME_PROTECTED] = "protected",
	[LOCKOUT_OUTCOME_UNKNOWN_NAME] = "unknown_name",
	[LOCKOUT_OUTCOME_SUSPECT] = "suspect",
	[LOCKOUT_OUTCOME_INVALID_USER] = "invalid_user",
};

const char *lockout_outcome_to_str(enum lockout_outcome outcome)
{
	if ((unsigned int)outcome >= sizeof(outcome_names) /
	    sizeof(outcome_names[0]))
		return "unknown";
	return outcome_names[outcome];
}

static void policy_entry_sizes(const struct lockout_config *cfg,
			       unsigned int *ring_r, unsigned int *long_r,
			       unsigned int *spread_r)
{
	*ring_r = cfg->ip_failures > cfg->targeted_failures ?
		cfg->ip_failures : cfg->targeted_failures;
	/* 0 disables a rule; one entry keeps the arithmetic simple */
	*long_r = cfg->ip_long_failures > 0 ? cfg->ip_long_failures : 1;
	*spread_r = cfg->ip_spread_usernames > 0 ?
		cfg->ip_spread_usernames : 1;
}

size_t policy_source_entry_size(const struct lockout_config *cfg)
{
	unsigned int ring, lng, spread;
	size_t size;

	policy_entry_sizes(cfg, &ring, &lng, &spread);
	size = sizeof(struct source) +
		(ring + lng) * sizeof(struct ring_entry) +
		spread * 2 * sizeof(uint32_t);
	/* or an IPv6 /56 or /48's (lockout-policy-v6agg.c), if larger */
	if (size < sizeof(struct source) + policy_v6agg_bytes(cfg))
		size = sizeof(struct source) + policy_v6agg_bytes(cfg);
	/* the table wants whole 8-byte words */
	return (size + 7) & ~(size_t)7;
}

struct lockout_policy *
lockout_policy_create(const struct lockout_config *cfg,
		      const unsigned char key[LOCKOUT_HASH_KEY_SIZE])
{
	struct lockout_policy *policy;

	policy = calloc(1, sizeof(*policy));
	if (policy == NULL)
		return NULL;
	policy->cfg = cfg;
	if (key != NULL)
		memcpy(policy->key, key, sizeof(policy->key));
	else
		lockout_hash_key_random(policy->key);
	policy_entry_sizes(cfg, &policy->ring_size, &policy->long_size,
			   &policy->spread_size);
	policy->wide_size = policy_v6agg_slots(cfg);
	lockout_str_init(&policy->evidence);
	policy->sources = lockout_satable_create(cfg->max_sources,
					policy_source_entry_size(cfg));
	/* histories are made by bans and successes, not by every failure:
	   half as many as sources (their bans and ban counts are in the ban
	   table too, loaded again at the next start) */
	policy->history = lockout_satable_create(cfg->max_sources / 2,
						 sizeof(struct history));
	policy->accounts = lockout_satable_create(cfg->max_users,
						  sizeof(struct account));
	policy->devices = lockout_satable_create(cfg->max_known_devices,
						 sizeof(struct device));
	policy->inflight = lockout_satable_create(
		cfg->max_sources < POLICY_INFLIGHT_SOURCES ?
		cfg->max_sources : POLICY_INFLIGHT_SOURCES,
		sizeof(struct inflight));
	if (policy->sources == NULL || policy->history == NULL ||
	    policy->accounts == NULL || policy->devices == NULL ||
	    policy->inflight == NULL || policy_alert_create(policy) < 0 ||
	    policy_names_create(policy) < 0 ||
	    policy_repeat_create(policy) < 0) {
		lockout_policy_free(&policy);
		return NULL;
	}
	policy->bans = lockout_banset_create(policy->key);
	if (policy->bans == NULL) {
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
	lockout_satable_free(&policy->sources);
	lockout_satable_free(&policy->history);
	lockout_satable_free(&policy->accounts);
	lockout_satable_free(&policy->devices);
	lockout_satable_free(&policy->inflight);
	policy_alert_free(policy);
	policy_names_free(policy);
	policy_repeat_free(policy);
	policy_protections_free(&policy->protections);
	free(policy->allowed);
	lockout_str_free(&policy->evidence);
	sodium_memzero(policy->key, sizeof(policy->key));
	free(policy);
}

/* --- keys ----------------------------------------------------------------- */

uint64_t policy_net_key(const struct lockout_policy *policy,
			const struct lockout_net *net)
{
	return lockout_net_hash(net, policy->key);
}

uint64_t policy_account_key(const struct lockout_policy *policy,
			    const char *account)
{
	uint64_t key = lockout_hash_lower(policy->key, account,
					  strlen(account));

	/* 0 marks an empty slot of the protections */
	return key == 0 ? 1 : key;
}

uint32_t policy_user_hash(const struct lockout_policy *policy,
			  const char *user)
{
	uint64_t h = policy_account_key(policy, user == NULL ? "" : user);

	return (uint32_t)(h ^ (h >> 32));
}

uint64_t policy_device_key(const struct lockout_policy *policy,
			   uint64_t account_key,
			   const struct lockout_net *net)
{
	/* the bytes of a net past its family's length are zero */
	unsigned char buf[sizeof(account_key) + 2 + sizeof(net->addr.bytes)];

	memcpy(buf, &account_key, sizeof(account_key));
	buf[sizeof(account_key)] = net->addr.family;
	buf[sizeof(account_key) + 1] = net->prefix;
	memcpy(buf + sizeof(account_key) + 2, net->addr.bytes,
	       sizeof(net->addr.bytes));
	return lockout_hash(policy->key, buf, sizeof(buf));
}

/* --- networks ------------------------------------------------------------- */

void lockout_policy_source_net(const struct lockout_policy *policy,
			       const struct lockout_addr *ip,
			       struct lockout_net *net_r)
{
	lockout_addr_mask(ip, ip->family == LOCKOUT_AF_INET ? 32 :
			  policy->cfg->ipv6_prefix, net_r);
}

void lockout_policy_device_net(const struct lockout_policy *policy,
			       const struct lockout_addr *ip,
			       struct lockout_net *net_r)
{
	lockout_addr_mask(ip, ip->family == LOCKOUT_AF_INET ? 24 :
			  policy->cfg->ipv6_prefix, net_r);
}

bool lockout_policy_is_allowed(const struct lockout_policy *policy,
			       const struct lockout_addr *ip)
{
	return lockout_netlist_contains(policy->cfg->allow_networks,
					policy->cfg->allow_networks_count,
					ip) ||
		lockout_netlist_contains(policy->allowed,
					 policy->allowed_count, ip);
}

bool policy_net_overlaps_allowed(const struct lockout_policy *policy,
				 const struct lockout_net *net)
{
	size_t i;

	for (i = 0; i < policy->cfg->allow_networks_count; i++) {
		if (lockout_nets_overlap(&policy->cfg->allow_networks[i], net))
			return true;
	}
	for (i = 0; i < policy->allowed_count; i++) {
		if (lockout_nets_overlap(&policy->allowed[i], net))
			return true;
	}
	return false;
}

/* --- counting ------------------------------------------------------------- */

bool policy_distinct_note(uint32_t *hashes, unsigned int *count, uint32_t h)
{
	unsigned int i;

	for (i = 0; i < *count; i++) {
		if (hashes[i] == h)
			return false;
	}
	/* all taken: nothing more is counted, so *count is exact up to
	   POLICY_DISTINCT and a floor beyond */
	if (*count == POLICY_DISTINCT)
		return false;
	hashes[(*count)++] = h;
	return true;
}

bool policy_distinct_note16(uint16_t *hashes, uint8_t *count, uint16_t h)
{
	unsigned int i;

	for (i = 0; i < *count; i++) {
		if (hashes[i] == h)
			return false;
	}
	if (*count == POLICY_DISTINCT)
		return false;
	hashes[(*count)++] = h;
	return true;
}

int64_t policy_time64(const struct lockout_policy *policy, uint32_t t32)
{
	return t32 == 0 ? 0 : policy->epoch + (int64_t)t32;
}

uint32_t policy_time32(struct lockout_policy *policy, int64_t t)
{
	if (!policy->have_epoch) {
		/* room for decades on either side of the first attempt */
		policy->epoch = t - ((int64_t)1 << 30);
		policy->have_epoch = true;
	}
	if (t <= policy->epoch)
		return 0;
	if (t - policy->epoch >= (int64_t)UINT32_MAX)
		return UINT32_MAX;
	return (uint32_t)(t - policy->epoch);
}

void policy_ring_push(struct lockout_policy *policy, struct source *src,
		      uint32_t time, uint32_t user, uint32_t tag)
{
	struct ring_entry *e = &policy_ring(policy, src)[src->ring_head];

	e->time = time;
	e->user = user;
	e->tag = tag;
	src->ring_head = (src->ring_head + 1) % policy->ring_size;
	if (src->ring_len < policy->ring_size)
		src->ring_len++;
}

/* --- the tables ----------------------------------------------------------- */

struct source *policy_source_get(struct lockout_policy *policy,
				 const struct lockout_net *net)
{
	bool created, evicted;
	struct source *src;

	src = lockout_satable_get_uninit(policy->sources,
					 policy_net_key(policy, net),
					 &created, &evicted);
	if (created) {
		if (!evicted)
			policy->source_count++;
		/* a new source lands in memory that is rarely in the cache:
		   zero its counters and its spread (read whole), not the
		   arrays read only up to their counts (usernames, hashes, the
		   ring, the long memory: nearly 400 bytes at the defaults) */
		memset(src, 0, offsetof(struct source, user_hashes));
		policy_spread_reset(policy, src);
		src->net = *net;
	}
	return src;
}

struct source *policy_source_find(const struct lockout_policy *policy,
				  const struct lockout_net *net)
{
	return lockout_satable_find(policy->sources,
				    policy_net_key(policy, net));
}

struct history *policy_history_get(struct lockout_policy *policy,
				   const struct lockout_net *net)
{
	return lockout_satable_get(policy->history,
				   policy_net_key(policy, net), NULL, NULL);
}

struct history *policy_history_find(const struct lockout_policy *policy,
				    const struct lockout_net *net)
{
	return lockout_satable_find(policy->history,
				    policy_net_key(policy, net));
}

/* --- the questions -------------------------------------------------------- */

enum lockout_verdict
lockout_policy_check(const struct lockout_policy *policy, int64_t now,
		     const struct lockout_addr *ip, const char *account,
		     const struct lockout_banset_entry **ban_r)
{
	return lockout_policy_check_password(policy, now, ip, account, 0,
					     ban_r);
}

enum lockout_verdict
lockout_policy_check_password(const struct lockout_policy *policy,
			      int64_t now, const struct lockout_addr *ip,
			      const char *account, uint32_t password_tag,
			      const struct lockout_banset_entry **ban_r)
{
	uint64_t akey;

	/* never banned by address, not even by a network ban around it */
	*ban_r = lockout_policy_is_allowed(policy, ip) ? NULL :
		lockout_banset_lookup(policy->bans, ip, now);
	if (*ban_r != NULL)
		return LOCKOUT_VERDICT_BANNED;
	if (account == NULL)
		return LOCKOUT_VERDICT_ALLOW;
	akey = policy_account_key(policy, account);
	if (policy->protections.count == 0)
		return policy_names_verdict(policy, now, ip, account, akey);
	/* and a source the protection refused that tries the same password
	   again (a client's stored password, not a guesser's next one:
	   lockout-policy-retry.c) */
	if (policy_protection_refuses(policy, akey, account, ip, now) &&
	    !policy_retry_admits(policy, akey, ip, password_tag, now))
		return LOCKOUT_VERDICT_PROTECTED;
	return policy_names_verdict(policy, now, ip, account, akey);
}

bool policy_protection_refuses(const struct lockout_policy *policy,
			       uint64_t account_key, const char *account,
			       const struct lockout_addr *ip, int64_t now)
{
	/* a protected account: its known devices go on, and so does its
	   owner at a network where other users log in every day (the
	   office NAT): a distributed attack does not come from there.
	   (Refusing there an address that failed on the account lately
	   cost right-password logins of owners whose phone retried an old
	   password, for 1 % of the attempts: bench/detection-busy-office.txt);
	   and near a network where the account logged in (its ISP's region,
	   where a dynamic home address lands next: lockout_near_prefix) */
	return policy_protected_key(policy, account_key, now) &&
		!policy_device_known(policy, account_key, ip, now) &&
		!policy_net_busy(policy, ip, now, account) &&
		!policy_near_known(policy, account_key, ip, now);
}

unsigned int policy_ring_failures(const struct lockout_policy *policy,
				  const struct source *src, uint32_t now32)
{
	unsigned int n = 0;

	while (policy_ring_recent(policy, src, now32, n) != NULL)
		n++;
	return n;
}

enum lockout_slot lockout_policy_reserve(struct lockout_policy *policy,
					 int64_t now,
					 const struct lockout_addr *ip)
{
	const struct source *src;
	struct inflight *inf;
	struct lockout_net net;
	unsigned int failures = 0;
	uint64_t key;

	if (lockout_policy_is_allowed(policy, ip))
		return LOCKOUT_SLOT_FREE;
	lockout_policy_source_net(policy, ip, &net);
	src = policy_source_find(policy, &net);
	if (src != NULL) {
		failures = policy_ring_failures(policy, src,
			policy_time32(policy, now));
	}
	key = policy_net_key(policy, &net);
	inf = lockout_satable_find(policy->inflight, key);
	if (inf != NULL && now - inf->last >= POLICY_INFLIGHT_STALE_SECS)
		inf->count = 0;
	if (inf != NULL &&
	    failures + inf->count >= policy->cfg->ip_failures)
		return LOCKOUT_SLOT_WAIT;
	if (inf == NULL)
		inf = lockout_satable_get(policy->inflight, key, NULL, NULL);
	inf->count++;
	inf->last = now;
	return LOCKOUT_SLOT_RESERVED;
}

void lockout_policy_release(struct lockout_policy *policy,
			    const struct lockout_addr *ip)
{
	struct inflight *inf;
	struct lockout_net net;

	lockout_policy_source_net(policy, ip, &net);
	inf = lockout_satable_find(policy->inflight,
				   policy_net_key(policy, &net));
	if (inf == NULL)
		return;
	if (inf->count > 1)
		inf->count--;
	else
		lockout_satable_remove(policy->inflight, inf);
}

int lockout_policy_observe(struct lockout_policy *policy,
			   const struct lockout_attempt *attempt,
			   lockout_decision_callback_t *callback,
			   void *context)
{
	const char *account = attempt->account != NULL ? attempt->account :
		attempt->user;
	struct emit_ctx ctx = { callback, context, 0 };
	struct lockout_attempt unknown;
	int ret;

	if (attempt->ip.family != LOCKOUT_AF_INET &&
	    attempt->ip.family != LOCKOUT_AF_INET6)
		return 0;
	if (account != NULL && account[0] == '\0')
		account = attempt->user;
	if (account != NULL && account[0] == '\0')
		account = NULL;
	if (policy_names_observe(policy, attempt, account, &unknown))
		attempt = &unknown;
	switch (attempt->outcome) {
	case LOCKOUT_OUTCOME_SUCCESS:
		ret = account == NULL ? 0 :
			policy_observe_success(policy, attempt, account, &ctx);
		break;
	case LOCKOUT_OUTCOME_MISMATCH:
	case LOCKOUT_OUTCOME_UNKNOWN_USER:
	case LOCKOUT_OUTCOME_PROTECTED:
		ret = policy_observe_failure(policy, attempt, account, &ctx);
		break;
	case LOCKOUT_OUTCOME_INVALID_USER:
		/* attacker junk: no account to count against */
		ret = policy_observe_failure(policy, attempt, NULL, &ctx);
		break;
	case LOCKOUT_OUTCOME_REFUSED:
	default:
		/* already refused: nothing new to learn */
		ret = 0;
		break;
	}
	return ret < 0 ? -1 : ctx.count;
}

/* --- sizes ---------------------------------------------------------------- */

size_t lockout_policy_source_count(const struct lockout_policy *policy)
{
	return policy->source_count;
}

size_t lockout_policy_source_capacity(const struct lockout_policy *policy)
{
	return lockout_satable_capacity(policy->sources);
}

size_t lockout_policy_memory(const struct lockout_policy *policy)
{
	return sizeof(*policy) +
		lockout_satable_memory(policy->sources) +
		lockout_satable_memory(policy->history) +
		lockout_satable_memory(policy->accounts) +
		lockout_satable_memory(policy->devices) +
		lockout_satable_memory(policy->inflight) +
		policy_alert_memory(policy) +
		policy_names_memory(policy) +
		policy_repeat_memory(policy) +
		policy->protections.size * sizeof(struct protect_slot) +
		policy->allowed_count * sizeof(struct lockout_net) +
		policy->evidence.size;
}
