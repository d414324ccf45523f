/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-policy-private.h"

/* Retries through a protection (lockout_protect_retries, issue 13).

   A protected account refuses every network that is not its own (known,
   busy or near), before the password check: so the owner is refused at a
   hotel or a cafe while a distributed attack goes on. The first attempt
   from there cannot be told from the next bot. The next ones can: a mail
   client sends the password it stores, the same at every poll, and a
   person told "wrong password" types the same one again; a guesser sends
   a new password at every try (repeating a guess that was "wrong" is of
   no use to it), and the bots of a distributed attack make a few tries
   each. So a source that a protection refused, and that tries the same
   password on the same account again within lockout_user_networks_window,
   reaches the password check - once: right, and the network becomes a
   known device; wrong, and the source gets no other retry (it is a
   stale client or a guesser repeating itself), and after
   lockout_protect_retries failed retries on the account within the window
   the account lets none through. An attacker who knows the rule gets one
   password check per source, for two tries, and at most
   lockout_protect_retries per account and window.

   Memory: the source's last refusal by a protection (a hash of account
   and password tag, and its time: 8 bytes, and a flag) in its entry, the
   failed retries of an account (8 bytes) in its entry. No allocation. */

static uint32_t retry_print(uint64_t account_key, uint32_t tag)
{
	uint64_t h = account_key ^
		((uint64_t)(tag & ~RING_TARGETED) * 0x9e3779b97f4a7c15ULL);
	uint32_t print = (uint32_t)(h ^ (h >> 32));

	/* 0 marks "none" */
	return print == 0 ? 1 : print;
}

static bool retry_recent(const struct lockout_policy *policy, uint32_t t32,
			 int64_t now)
{
	return t32 != 0 && now - policy_time64(policy, t32) <
		(int64_t)policy->cfg->user_networks_window;
}

/* Did fails retries fail on the account (acc, may be NULL) within the
   window: is it closed to retries? */
static bool retry_closed(const struct lockout_policy *policy,
			 const struct account *acc, int64_t now)
{
	return acc != NULL && acc->retry_fails >= policy->cfg->protect_retries &&
		retry_recent(policy, acc->retry_time, now);
}

bool policy_retry_admits(const struct lockout_policy *policy,
			 uint64_t account_key, const struct lockout_addr *ip,
			 uint32_t tag, int64_t now)
{
	const struct source *src;
	struct lockout_net net;

	if (policy->cfg->protect_retries == 0 ||
	    (tag & ~RING_TARGETED) == 0)
		return false;
	lockout_policy_source_net(policy, ip, &net);
	src = policy_source_find(policy, &net);
	if (src == NULL || src->retry_spent ||
	    src->retry_print != retry_print(account_key, tag) ||
	    !retry_recent(policy, src->retry_time, now))
		return false;
	return !retry_closed(policy, lockout_satable_find(policy->accounts,
							  account_key), now);
}

void policy_retry_note(struct lockout_policy *policy, struct source *src,
		       const struct lockout_attempt *a, const char *account)
{
	uint32_t print, tag = a->password_tag & ~RING_TARGETED;
	struct account *acc;
	uint64_t akey;

	if (policy->cfg->protect_retries == 0 || account == NULL || tag == 0)
		return;
	/* nearly every failure stops here, before hashing the account: a
	   wrong password from a source without a recent refusal */
	if (a->outcome != LOCKOUT_OUTCOME_PROTECTED &&
	    (a->outcome != LOCKOUT_OUTCOME_MISMATCH || src->retry_spent ||
	     !retry_recent(policy, src->retry_time, a->time)))
		return;
	akey = policy_account_key(policy, account);
	print = retry_print(akey, tag);
	if (a->outcome == LOCKOUT_OUTCOME_PROTECTED) {
		/* a source quiet for the window starts over */
		if (!retry_recent(policy, src->retry_time, a->time))
			src->retry_spent = false;
		src->retry_print = print;
		src->retry_time = policy_time32(policy, a->time);
		return;
	}
	/* a wrong password: did it get through the protection as a retry
	   (what lockout_policy_check_password() asked, in the same state)? */
	if (src->retry_print != print ||
	    !policy_protection_refuses(policy, akey, account, &a->ip,
				       a->time))
		return;
	src->retry_spent = true;
	acc = lockout_satable_get(policy->accounts, akey, NULL, NULL);
	if (!retry_recent(policy, acc->retry_time, a->time))
		acc->retry_fails = 0;
	acc->retry_fails++;
	acc->retry_time = policy_time32(policy, a->time);
}
