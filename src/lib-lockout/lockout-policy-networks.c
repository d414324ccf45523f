/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-policy-private.h"

#include <stdio.h>
#include <string.h>

/* Faster protection of an attacked account (rule user_networks, issue 13):
   a distributed attack on one account comes from a new network at every
   try, a few tries each, too slow for user_failures (30 an hour) to hold
   it for long. Failures with distinct passwords from lockout_user_networks
   distinct networks (IPv4 /24, IPv6 /48) that are not known devices of the
   account, within lockout_user_networks_window, protect it for
   lockout_user_networks_protect_time. Counting networks, not failures,
   keeps a single guesser (its source is banned anyway) from locking the
   owner out; distinct passwords keep a stale phone wandering over
   networks, one old password everywhere, from protecting its own account.

   The memory is a ring in the account's entry (POLICY_NETWORKS_MAX slots
   of (time, network, password tag), 16 bytes each): a network already
   remembered, or a password already remembered from another network, only
   refreshes its slot; a new one takes a slot out of the window, or the
   oldest. A flood of networks overwrites, never grows. A protection by
   this rule clears the ring.

   And the near exemption, for every protection (lockout_policy_check()):
   a success also makes the account's "near" network known, the IPv4 /N
   (lockout_near_prefix) or IPv6 /N (lockout_near_prefix6) around it, a
   second key in the known devices table; a protected account's owner
   passes from there: the ISP region where a dynamic home address lands
   next. */

/* The network of ip counted by this rule, packed: the family in the top
   byte, then the /24 or the /48 (never 0). */
static uint64_t networks_key(const struct lockout_addr *ip)
{
	uint64_t key;
	unsigned int i, n;

	if (ip->family == LOCKOUT_AF_INET) {
		key = 4;
		n = 3;
	} else {
		key = 6;
		n = 6;
	}
	for (i = 0; i < n; i++)
		key = key << 8 | ip->bytes[i];
	return key << (8 * (7 - n));
}

/* The network back from its key, for the evidence. */
static void networks_net(uint64_t key, struct lockout_net *net_r)
{
	struct lockout_addr ip;
	unsigned int i, n;

	memset(&ip, 0, sizeof(ip));
	if (key >> 56 == 4) {
		ip.family = LOCKOUT_AF_INET;
		n = 3;
	} else {
		ip.family = LOCKOUT_AF_INET6;
		n = 6;
	}
	for (i = 0; i < n; i++)
		ip.bytes[i] = (uint8_t)(key >> (8 * (6 - i)));
	lockout_addr_mask(&ip, ip.family == LOCKOUT_AF_INET ? 24 : 48,
			  net_r);
}

static unsigned int near_prefix(const struct lockout_policy *policy,
				const struct lockout_addr *ip)
{
	return ip->family == LOCKOUT_AF_INET ? policy->cfg->near_prefix :
		policy->cfg->near_prefix6;
}

void policy_near_note(struct lockout_policy *policy, uint64_t account_key,
		      const struct lockout_addr *ip, uint32_t seen32)
{
	unsigned int prefix = near_prefix(policy, ip);
	struct lockout_net net;
	struct device *dev;

	if (prefix == 0)
		return;
	lockout_addr_mask(ip, prefix, &net);
	dev = lockout_satable_get(policy->devices,
				  policy_device_key(policy, account_key, &net),
				  NULL, NULL);
	if (seen32 > dev->last_seen)
		dev->last_seen = seen32;
}

bool policy_near_known(const struct lockout_policy *policy,
		       uint64_t account_key, const struct lockout_addr *ip,
		       int64_t now)
{
	unsigned int prefix = near_prefix(policy, ip);
	struct lockout_net net;

	if (prefix == 0)
		return false;
	lockout_addr_mask(ip, prefix, &net);
	return policy_device_net_known(policy, account_key, &net, now);
}

/* Remember the failure in acc's ring; returns the networks within the
   window. */
static unsigned int networks_count(const struct lockout_policy *policy,
				   struct account *acc, uint64_t key,
				   uint32_t tag, uint32_t now32)
{
	const struct lockout_config *cfg = policy->cfg;
	struct account_network *e = acc->networks;
	unsigned int i, slot = POLICY_NETWORKS_MAX, oldest = 0, count = 0;

	for (i = 0; i < POLICY_NETWORKS_MAX; i++) {
		if (e[i].net != 0 &&
		    now32 - e[i].time >= cfg->user_networks_window)
			e[i].net = 0; /* out of the window: forget */
		if (e[i].net == 0)
			continue;
		/* the network is counted already, or the password was tried
		   from another one: a stale client travelling */
		if (slot == POLICY_NETWORKS_MAX &&
		    (e[i].net == key || (tag != 0 && e[i].tag == tag)))
			slot = i;
	}
	if (slot != POLICY_NETWORKS_MAX) {
		e[slot].time = now32;
	} else {
		for (i = 0; i < POLICY_NETWORKS_MAX; i++) {
			if (e[i].net == 0) {
				slot = i;
				break;
			}
			if (e[i].time < e[oldest].time)
				oldest = i;
		}
		if (slot == POLICY_NETWORKS_MAX)
			slot = oldest;
		e[slot].time = now32;
		e[slot].net = key;
		e[slot].tag = tag;
	}
	for (i = 0; i < POLICY_NETWORKS_MAX; i++) {
		if (e[i].net != 0)
			count++;
	}
	return count;
}

static const char *
networks_evidence(struct lockout_policy *policy, const struct account *acc,
		  unsigned int count)
{
	const struct lockout_config *cfg = policy->cfg;
	struct lockout_str *str = policy_evidence_begin(policy,
							"user_networks");
	char text[LOCKOUT_NET_STRLEN];
	struct lockout_net net;
	unsigned int i, n = 0;

	/* a network's failures count once: failures = networks */
	lockout_str_printf(str, ",\"failures\":%u,\"networks\":%u"
			   ",\"threshold\":%u,\"window\":%u"
			   ",\"distinct_networks\":[", count, count,
			   cfg->user_networks, cfg->user_networks_window);
	for (i = 0; i < POLICY_NETWORKS_MAX; i++) {
		if (acc->networks[i].net == 0)
			continue;
		networks_net(acc->networks[i].net, &net);
		lockout_net_to_str(&net, text);
		if (n++ > 0)
			lockout_str_append(str, ",");
		lockout_json_append_string(str, text);
	}
	lockout_str_printf(str, "]");
	policy_evidence_services(str, acc->services, acc->mechanisms);
	lockout_str_printf(str, ",\"first_seen\":%lld,\"last_seen\":%lld"
			   ",\"protect_time\":%u",
			   (long long)acc->first_seen,
			   (long long)acc->last_seen,
			   cfg->user_networks_protect_time);
	return policy_evidence_end(str);
}

int policy_networks_note(struct lockout_policy *policy,
			 const struct lockout_attempt *a, const char *account,
			 uint64_t account_key, struct account *acc,
			 struct emit_ctx *ctx)
{
	const struct lockout_config *cfg = policy->cfg;
	uint32_t now32 = policy_time32(policy, a->time);
	struct lockout_decision d;
	unsigned int count;
	char window[32];

	if (cfg->user_networks == 0)
		return 0;
	count = networks_count(policy, acc, networks_key(&a->ip),
			       a->password_tag & ~RING_TARGETED, now32);
	if (count < cfg->user_networks ||
	    policy_protected_key(policy, account_key, a->time))
		return 0;

	policy_decision_init(policy, &d, LOCKOUT_DECISION_PROTECT,
			     "user_networks", a->time, account, NULL);
	d.expires = a->time + (int64_t)cfg->user_networks_protect_time;
	d.failures = count;
	lockout_interval_to_str(cfg->user_networks_window, window,
				sizeof(window));
	snprintf(policy->reason, sizeof(policy->reason),
		 "failed logins with distinct passwords from %u networks "
		 "within %s: only known devices and near or busy networks may "
		 "log in", count, window);
	d.reason = policy->reason;
	d.evidence = networks_evidence(policy, acc, count);
	if (d.evidence == NULL)
		return -1;
	if (lockout_policy_protect(policy, account, d.expires) < 0)
		return -1;
	/* the next protection needs new networks */
	memset(acc->networks, 0, sizeof(acc->networks));
	policy_emit(policy, ctx, &d);
	return 0;
}
