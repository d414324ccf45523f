/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-policy-private.h"

/* Repeats over hours (issue 13). A client with an old password sends it at
   every poll, every half hour to every few hours: far apart for the ring
   of a source, which holds lockout_ip_window (10 minutes), so every poll
   counts as a new failure there. Behind an office NAT, on the morning
   after a change of passwords, forty desktops and phones doing so make
   ten "distinct" failures within ten minutes and the office is banned -
   though none of them is a new guess. This table remembers the (source,
   username, password) pairs that failed within lockout_ip_long_window: a
   pair seen again counts once, as a repeat within the ring does. A
   repeated pair is never a new guess, so nothing an attacker tries gets
   more password checks for it.

   A set-associative table of its own (lockout_max_sources / 2 entries of
   8 bytes, keys from the source's key, the username's hash and the
   password tag: all keyed), least recently used evicted: a flood of
   distinct pairs evicts the older ones, and the repeats of those then
   count again, as they do today. */

struct repeat {
	uint32_t time; /* engine time of the last failure of the pair */
	uint32_t unused;
};

int policy_repeat_create(struct lockout_policy *policy)
{
	policy->repeats = lockout_satable_create(
		policy->cfg->max_sources / 2, sizeof(struct repeat));
	return policy->repeats == NULL ? -1 : 0;
}

void policy_repeat_free(struct lockout_policy *policy)
{
	lockout_satable_free(&policy->repeats);
}

size_t policy_repeat_memory(const struct lockout_policy *policy)
{
	return lockout_satable_memory(policy->repeats);
}

uint32_t policy_repeat_age(struct lockout_policy *policy,
			   const struct source *src, uint32_t uhash,
			   uint32_t tag, uint32_t now32)
{
	uint64_t key = lockout_satable_key(policy->sources, src) ^
		(((uint64_t)uhash << 32) | (tag & ~RING_TARGETED));
	struct repeat *r;
	uint32_t age;
	bool created;

	if (tag == 0)
		return UINT32_MAX;
	/* spread the bits of the username and the tag over the whole key
	   (the set is the key modulo the sets) */
	key *= 0x9e3779b97f4a7c15ULL;
	key ^= key >> 32;
	r = lockout_satable_get(policy->repeats, key, &created, NULL);
	age = created || r->time == 0 ? UINT32_MAX : now32 - r->time;
	if (age >= policy->cfg->ip_long_window)
		age = UINT32_MAX;
	r->time = now32;
	return age;
}
