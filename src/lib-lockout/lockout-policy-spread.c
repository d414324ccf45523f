/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-policy-private.h"

#include <string.h>

/* Spread of usernames per source (rule ip_spread, issue 13): a source that
   fails on many different usernames (credential stuffing, spraying, a list
   guesser) is hostile much sooner than one failing again and again on one
   account (a typo, a phone with an old password). lockout_ip_spread_usernames
   distinct usernames failing from a source within lockout_ip_spread_window
   ban it, whatever the number of failures.

   A username counts by the keyed hash (lockout-hash, the engine's key) of
   its local part, case-insensitively: "bob" and "Bob@example.org" are one
   person mistyping, not two targets. A failure on an account from one of
   its own known devices does not count: an office NAT whose users' phones
   have old passwords is not a sprayer. Nor does any failure from a busy
   IPv4 /24, one where POLICY_BUSY_USERS other accounts logged in
   successfully within lockout_known_device_time: the office NAT, a
   carrier's CGNAT address, where many people mistype usernames in a day
   (the short and long rules still count there). IPv6 sources are a
   household's /64: never busy.

   The memory is an array at the end of the source's entry
   (lockout_ip_spread_usernames (hash, last time) slots, 8 bytes each,
   policy_spread_users()/_times()): a username already remembered only
   refreshes its time, a new one takes a slot out of the window or the
   oldest. Nothing grows with a flood of distinct usernames, and a full
   memory is at the threshold. A ban by this rule clears it; a ban by another rule keeps it
   (a source banned now and then by the short rule is still a sprayer). */

/* The hash of user's local part (before the last '@'), case folded; never
   0 (0 marks a free slot). */
static uint32_t spread_hash(const struct lockout_policy *policy,
			    const char *user)
{
	const char *at;
	uint64_t h;

	if (user == NULL)
		user = "";
	at = strrchr(user, '@');
	h = lockout_hash_lower(policy->key, user,
			       at == NULL ? strlen(user) : (size_t)(at - user));
	h ^= h >> 32;
	return (uint32_t)h == 0 ? 1 : (uint32_t)h;
}

uint32_t policy_spread_user_hash(const struct lockout_policy *policy,
				 const char *user)
{
	return spread_hash(policy, user);
}

void policy_spread_success(struct lockout_policy *policy,
			   struct history *hist, const char *account,
			   int64_t now)
{
	uint32_t now32 = policy_time32(policy, now);
	uint32_t h = spread_hash(policy, account);
	unsigned int i, slot = 0;

	for (i = 0; i < POLICY_BUSY_SLOTS; i++) {
		if (hist->busy_users[i] == h) {
			slot = i;
			break;
		}
		if (hist->busy_times[i] < hist->busy_times[slot])
			slot = i;
	}
	hist->busy_users[slot] = h;
	hist->busy_times[slot] = now32;
}

static bool net_busy(const struct lockout_policy *policy,
		     const struct lockout_addr *ip, int64_t now, uint32_t user)
{
	const struct history *hist;
	struct lockout_net net24;
	unsigned int i, others = 0;

	if (ip->family != LOCKOUT_AF_INET)
		return false;
	lockout_addr_mask(ip, 24, &net24);
	hist = policy_history_find(policy, &net24);
	if (hist == NULL)
		return false;
	for (i = 0; i < POLICY_BUSY_SLOTS; i++) {
		if (hist->busy_users[i] != 0 && hist->busy_users[i] != user &&
		    now - policy_time64(policy, hist->busy_times[i]) <
		    (int64_t)policy->cfg->known_device_time)
			others++;
	}
	return others >= POLICY_BUSY_USERS;
}

bool policy_net_busy(const struct lockout_policy *policy,
		     const struct lockout_addr *ip, int64_t now,
		     const char *account)
{
	return net_busy(policy, ip, now, spread_hash(policy, account));
}

void policy_spread_reset(const struct lockout_policy *policy,
			 struct source *src)
{
	memset(policy_spread_users(policy, src), 0,
	       policy->spread_size * 2 * sizeof(uint32_t));
}

unsigned int policy_spread_note(struct lockout_policy *policy,
				struct source *src,
				const struct lockout_attempt *a,
				bool own_device, uint32_t now32)
{
	const struct lockout_config *cfg = policy->cfg;
	uint32_t *users = policy_spread_users(policy, src);
	uint32_t *times = policy_spread_times(policy, src);
	unsigned int i, n = policy->spread_size, count = 0, slot = n, oldest = 0;
	uint32_t h;

	if (cfg->ip_spread_usernames == 0 || own_device)
		return 0;
	h = spread_hash(policy, a->user);
	if (net_busy(policy, &a->ip, a->time, h))
		return 0;
	for (i = 0; i < n; i++) {
		if (users[i] != 0 && now32 - times[i] >= cfg->ip_spread_window)
			users[i] = 0; /* out of the window: forget */
		if (users[i] == h)
			slot = i;
	}
	for (i = 0; i < n && slot == n; i++) {
		if (users[i] == 0)
			slot = i;
	}
	if (slot == n) {
		/* full: the least recent username makes room */
		for (i = 1; i < n; i++) {
			if (times[i] < times[oldest])
				oldest = i;
		}
		slot = oldest;
	}
	users[slot] = h;
	times[slot] = now32;
	for (i = 0; i < n; i++) {
		if (users[i] != 0)
			count++;
	}
	return count;
}
