/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-policy-private.h"

#include <stdlib.h>

/* Negative cache of unknown usernames (rule unknown_names, issue 13).
   Credential stuffing and spraying try lists of usernames, most of them no
   account (old staff, guessed role names), each from many addresses: a
   source's rules see one or two tries, but the names come back - twice in
   a list, in the next campaign, from the next proxy. Nobody can log in as
   a name that is no account, so a username the passdb called unknown
   within lockout_unknown_names_time is refused before the lookup
   (LOCKOUT_VERDICT_UNKNOWN_NAME), and the refusal is observed as the
   unknown-user failure the lookup would have given
   (LOCKOUT_OUTCOME_UNKNOWN_NAME): every other rule counts it as before.

   The risk is an account created under a name bots were trying. The
   table forgets a name lockout_unknown_names_time after the passdb last
   called it unknown (a refusal does not renew it: the passdb is asked
   again at least that often), at a success of the name (the webmail's
   allowed network is never refused), and with the auth process (a
   doveadm reload or restart): it lives in its memory only. A source of an
   allowed network, or of a network where an account logged in within
   lockout_known_device_time (an office, a home), is never refused by it.

   Memory, allocated once: lockout_unknown_names slots (rounded up to a
   power of two) of a keyed 64-bit hash of the name (case folded, as
   accounts are) and the time, in sets of POLICY_NAMES_WAYS; a new name
   takes an empty slot of its set or its oldest. A flood of distinct names
   overwrites, never grows; the hash is keyed, so nobody can aim at a
   set. */

#define POLICY_NAMES_WAYS 4

struct names_slot {
	uint64_t key; /* 0 = empty */
	int64_t time; /* when the passdb last called it unknown */
};

struct policy_names {
	struct names_slot *slots;
	/* sets - 1: a power of two */
	size_t set_mask;
};

int policy_names_create(struct lockout_policy *policy)
{
	const struct lockout_config *cfg = policy->cfg;
	struct policy_names *names;
	size_t sets = 1;

	if (cfg->unknown_names == 0)
		return 0;
	while (sets * POLICY_NAMES_WAYS < cfg->unknown_names)
		sets *= 2;
	names = calloc(1, sizeof(*names));
	if (names == NULL)
		return -1;
	policy->names = names;
	names->set_mask = sets - 1;
	names->slots = calloc(sets * POLICY_NAMES_WAYS,
			      sizeof(*names->slots));
	return names->slots == NULL ? -1 : 0;
}

void policy_names_free(struct lockout_policy *policy)
{
	struct policy_names *names = policy->names;

	if (names == NULL)
		return;
	policy->names = NULL;
	free(names->slots);
	free(names);
}

size_t policy_names_memory(const struct lockout_policy *policy)
{
	const struct policy_names *names = policy->names;

	if (names == NULL)
		return 0;
	return sizeof(*names) + (names->set_mask + 1) * POLICY_NAMES_WAYS *
		sizeof(*names->slots);
}

static struct names_slot *names_set(const struct policy_names *names,
				    uint64_t key)
{
	/* the set from the high bits: the low ones pick sets elsewhere */
	return &names->slots[((key >> 32) & names->set_mask) *
			     POLICY_NAMES_WAYS];
}

static struct names_slot *names_find(const struct policy_names *names,
				     uint64_t key)
{
	struct names_slot *set = names_set(names, key);
	unsigned int i;

	for (i = 0; i < POLICY_NAMES_WAYS; i++) {
		if (set[i].key == key)
			return &set[i];
	}
	return NULL;
}

enum lockout_verdict
policy_names_verdict(const struct lockout_policy *policy, int64_t now,
		     const struct lockout_addr *ip, const char *account,
		     uint64_t account_key)
{
	const struct names_slot *slot;

	if (account[0] == '\0' || lockout_policy_is_allowed(policy, ip))
		return LOCKOUT_VERDICT_ALLOW;
	if (policy_alert_refuse(policy, now, ip, account))
		return LOCKOUT_VERDICT_SUSPECT;
	if (policy->names == NULL)
		return LOCKOUT_VERDICT_ALLOW;
	slot = names_find(policy->names, account_key);
	if (slot == NULL ||
	    now - slot->time >= (int64_t)policy->cfg->unknown_names_time)
		return LOCKOUT_VERDICT_ALLOW;
	/* never the webmail's allowed network (above), nor a network where
	   somebody logs in: an account created lately is logged in from
	   there */
	if (policy_net_had_success(policy, ip, now))
		return LOCKOUT_VERDICT_ALLOW;
	return LOCKOUT_VERDICT_UNKNOWN_NAME;
}

static void names_note(struct lockout_policy *policy,
		       const char *account, int64_t now)
{
	struct names_slot *set, *slot;
	uint64_t key;
	unsigned int i;

	if (policy->names == NULL)
		return;
	key = policy_account_key(policy, account);
	slot = names_find(policy->names, key);
	if (slot == NULL) {
		/* an empty slot of the set, or its oldest */
		set = names_set(policy->names, key);
		slot = &set[0];
		for (i = 0; i < POLICY_NAMES_WAYS && slot->key != 0; i++) {
			if (set[i].key == 0 || set[i].time < slot->time)
				slot = &set[i];
		}
	}
	slot->key = key;
	slot->time = now;
}

static void names_forget(struct lockout_policy *policy,
			 const char *account)
{
	struct names_slot *slot;

	if (policy->names == NULL)
		return;
	slot = names_find(policy->names, policy_account_key(policy, account));
	if (slot != NULL) {
		slot->key = 0;
		slot->time = 0;
	}
}

bool policy_names_observe(struct lockout_policy *policy,
			  const struct lockout_attempt *attempt,
			  const char *account,
			  struct lockout_attempt *unknown_r)
{
	if (attempt->outcome == LOCKOUT_OUTCOME_UNKNOWN_NAME ||
	    attempt->outcome == LOCKOUT_OUTCOME_SUSPECT) {
		/* what the lookup said a moment ago, for every rule; a
		   suspect's refusal as a protected account's: a failure of
		   the source (its second person: the alert bans it) */
		*unknown_r = *attempt;
		unknown_r->outcome =
			attempt->outcome == LOCKOUT_OUTCOME_UNKNOWN_NAME ?
			LOCKOUT_OUTCOME_UNKNOWN_USER :
			LOCKOUT_OUTCOME_PROTECTED;
		return true;
	}
	if (account == NULL)
		return false;
	/* a refusal does not renew a name: the passdb is asked again at
	   least every lockout_unknown_names_time */
	if (attempt->outcome == LOCKOUT_OUTCOME_UNKNOWN_USER)
		names_note(policy, account, attempt->time);
	else if (attempt->outcome == LOCKOUT_OUTCOME_SUCCESS)
		names_forget(policy, account);
	return false;
}
