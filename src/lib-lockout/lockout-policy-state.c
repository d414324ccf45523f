/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-policy-private.h"

#include <stdlib.h>
#include <string.h>

/* State that comes from the ban table (and from the decisions that the
   table records): protections, known devices, ban history, allowed
   networks, and forgetting after an unban. */

/* --- protections: open addressing, grows, never evicts ------------------- */

static struct protect_slot *
protections_slot(const struct protections *map, uint64_t key)
{
	size_t i;

	if (map->size == 0)
		return NULL;
	for (i = key & (map->size - 1); map->slots[i].key != 0;
	     i = (i + 1) & (map->size - 1)) {
		if (map->slots[i].key == key)
			return &map->slots[i];
	}
	return NULL;
}

static int protections_set(struct protections *map, uint64_t key,
			   int64_t expires)
{
	struct protect_slot *slot = protections_slot(map, key);
	struct protect_slot *old;
	size_t i, j, old_size;

	if (slot != NULL) {
		slot->expires = expires;
		return 0;
	}
	if ((map->count + 1) * 2 > map->size) {
		old = map->slots;
		old_size = map->size;
		map->size = old_size == 0 ? 16 : old_size * 2;
		map->slots = calloc(map->size, sizeof(*map->slots));
		if (map->slots == NULL) {
			map->slots = old;
			map->size = old_size;
			return -1;
		}
		map->count = 0;
		for (i = 0; i < old_size; i++) {
			if (old[i].key != 0)
				(void)protections_set(map, old[i].key,
						      old[i].expires);
		}
		free(old);
	}
	for (j = key & (map->size - 1); map->slots[j].key != 0;
	     j = (j + 1) & (map->size - 1)) ;
	map->slots[j].key = key;
	map->slots[j].expires = expires;
	map->count++;
	return 0;
}

void policy_protections_free(struct protections *map)
{
	free(map->slots);
	map->slots = NULL;
	map->size = map->count = 0;
}

int lockout_policy_protect(struct lockout_policy *policy, const char *account,
			   int64_t expires)
{
	/* 0 is "empty" in the map: permanent is stored as INT64_MAX */
	return protections_set(&policy->protections,
			       policy_account_key(policy, account),
			       expires == 0 ? INT64_MAX : expires);
}

bool policy_protected_key(const struct lockout_policy *policy,
			  uint64_t account_key, int64_t now)
{
	const struct protect_slot *slot;

	slot = protections_slot(&policy->protections, account_key);
	return slot != NULL && slot->expires > now;
}

bool lockout_policy_protected(const struct lockout_policy *policy,
			      const char *account, int64_t now)
{
	if (account == NULL || policy->protections.count == 0)
		return false;
	return policy_protected_key(policy,
				    policy_account_key(policy, account), now);
}

void lockout_policy_clear_protections(struct lockout_policy *policy)
{
	struct protections *map = &policy->protections;

	if (map->size > 0)
		memset(map->slots, 0, map->size * sizeof(*map->slots));
	map->count = 0;
}

void lockout_policy_forget_account(struct lockout_policy *policy,
				   const char *account)
{
	struct account *acc;

	acc = lockout_satable_find(policy->accounts,
				   policy_account_key(policy, account));
	if (acc != NULL)
		lockout_satable_remove(policy->accounts, acc);
}

/* --- known devices -------------------------------------------------------- */

bool policy_device_net_known(const struct lockout_policy *policy,
			     uint64_t account_key,
			     const struct lockout_net *net, int64_t now)
{
	const struct device *dev;

	dev = lockout_satable_find(policy->devices,
				   policy_device_key(policy, account_key, net));
	return dev != NULL &&
		now - policy_time64(policy, dev->last_seen) <
		(int64_t)policy->cfg->known_device_time;
}

bool policy_device_known(const struct lockout_policy *policy,
			 uint64_t account_key, const struct lockout_addr *ip,
			 int64_t now)
{
	struct lockout_net net;

	lockout_policy_device_net(policy, ip, &net);
	return policy_device_net_known(policy, account_key, &net, now);
}

void lockout_policy_add_known_device(struct lockout_policy *policy,
				     const char *account,
				     const struct lockout_net *net,
				     int64_t last_seen)
{
	struct device *dev;
	uint32_t seen32 = policy_time32(policy, last_seen);

	dev = lockout_satable_get(policy->devices,
				  policy_device_key(policy,
					policy_account_key(policy, account),
					net), NULL, NULL);
	if (seen32 > dev->last_seen)
		dev->last_seen = seen32;
	if (seen32 > dev->last_persisted)
		dev->last_persisted = seen32;
	policy_near_note(policy, policy_account_key(policy, account),
			 &net->addr, seen32);
	/* the device's /56 and /48 are not banned whole (after a restart
	   too) */
	if (net->addr.family == LOCKOUT_AF_INET6)
		policy_v6agg_success(policy, &net->addr, last_seen);
}

/* --- bans, their history and the allowed networks ------------------------- */

void lockout_policy_note_ban(struct lockout_policy *policy,
			     const struct lockout_net *net, int64_t created)
{
	struct history *hist = policy_history_get(policy, net);
	uint32_t created32 = policy_time32(policy, created);

	if (hist->bans > 0 &&
	    (int64_t)created32 - hist->last_ban >=
	    (int64_t)policy->cfg->history_time)
		hist->bans = 0;
	hist->bans++;
	if (created32 > hist->last_ban)
		hist->last_ban = created32;
}

int lockout_policy_set_allowed(struct lockout_policy *policy,
			       const struct lockout_net *nets, size_t count)
{
	struct lockout_net *copy = NULL;

	if (count > 0) {
		copy = malloc(count * sizeof(*copy));
		if (copy == NULL)
			return -1;
		memcpy(copy, nets, count * sizeof(*copy));
	}
	free(policy->allowed);
	policy->allowed = copy;
	policy->allowed_count = count;
	return 0;
}

struct lockout_banset *lockout_policy_bans(struct lockout_policy *policy)
{
	return policy->bans;
}

struct lockout_banset *
lockout_policy_replace_bans(struct lockout_policy *policy,
			    struct lockout_banset *bans)
{
	struct lockout_banset *old = policy->bans;

	policy->bans = bans;
	return old;
}

void lockout_policy_forget(struct lockout_policy *policy,
			   const struct lockout_net *net)
{
	struct source *src = policy_source_find(policy, net);

	if (src != NULL) {
		lockout_satable_remove(policy->sources, src);
		policy->source_count--;
	}
	policy_alert_forget(policy, net);
}
