/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-policy-private.h"

/* Long memory per source (rule ip_long, issue 13): the short window
   (lockout_ip_window) forgets a guesser that tries once every 20 minutes;
   this one remembers the distinct failures of a source for
   lockout_ip_long_window and bans it at lockout_ip_long_failures.

   Distinct: a (username, password tag) pair already remembered within the
   window does not count again, so a phone repeating an old password all day
   is one failure, not fifty. A failure on an account from one of its own
   known devices is not remembered at all: an office NAT whose users' phones
   have old passwords is not a guesser.

   The memory is an array at the end of the source's entry
   (lockout_ip_long_failures entries of 12 bytes, policy_long()), so a flood
   of distinct usernames overwrites the oldest and never grows anything: it
   holds the last lockout_ip_long_failures distinct failures, and the rule
   bans when they all fall within lockout_ip_long_window but not all within
   lockout_ip_window. A ban by
   the short rule keeps the long memory (a source banned now and then must
   still be seen over a day); a ban by this rule clears it. Failures that
   all fall within lockout_ip_window are left to the short rule. */

void policy_longwin_reset(struct source *src)
{
	src->long_len = 0;
	src->long_head = 0;
}

unsigned int policy_longwin_note(struct lockout_policy *policy,
				 struct source *src,
				 bool own_device, uint32_t now32,
				 uint32_t uhash, uint32_t tag,
				 unsigned int *passwords_r)
{
	const struct lockout_config *cfg = policy->cfg;
	struct ring_entry *e = policy_long(policy, src);
	unsigned int n = policy->long_size;
	unsigned int i, j, idx, count = 0;
	uint32_t oldest = now32;
	bool seen = false;

	if (cfg->ip_long_failures == 0 || own_device)
		return 0;
	for (i = 0; i < src->long_len; i++) {
		idx = (src->long_head + n - 1 - i) % n;
		if (now32 - e[idx].time >= cfg->ip_long_window)
			break;
		count++;
		oldest = e[idx].time;
		if (e[idx].user == uhash && e[idx].tag == tag)
			seen = true;
	}
	/* older entries are out of the window: forget them */
	src->long_len = count;
	if (!seen) {
		e[src->long_head].time = now32;
		e[src->long_head].user = uhash;
		e[src->long_head].tag = tag;
		src->long_head = (src->long_head + 1) % n;
		if (src->long_len < n)
			src->long_len++;
	}
	/* failures all within the short window are the short rule's: a
	   burst is banned as it always was, by ip_failures, for its
	   lockout_ban_time; the long rule is for what the short one forgot */
	if (now32 - oldest < cfg->ip_window)
		return 0;
	/* distinct passwords, for the evidence (16 x 16 at most) */
	*passwords_r = 0;
	for (i = 0; i < src->long_len; i++) {
		idx = (src->long_head + n - 1 - i) % n;
		if (e[idx].tag == 0)
			continue;
		for (j = 0; j < i; j++) {
			if (e[(src->long_head + n - 1 - j) % n].tag ==
			    e[idx].tag)
				break;
		}
		if (j == i)
			(*passwords_r)++;
	}
	return src->long_len;
}
