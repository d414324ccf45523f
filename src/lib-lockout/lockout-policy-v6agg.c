/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-policy-private.h"

#include <stdio.h>
#include <string.h>

/* IPv6 aggregation (issue 13): a bot that takes a new /64 every few tries
   out of its /56 or /48 never looks like much per /64. So the /56 and the
   /48 around an IPv6 source are counted as sources of their own, in the
   sources table (their keys carry their prefix length), when they are
   wider than lockout_ipv6_prefix:

   - lockout_ipv6_56_failures (lockout_ipv6_48_failures) failures within
     lockout_ip_window ban the /56 (/48): rule ip_failures/56 (/48);
   - ip_spread and ip_long count there too, at twice (the /56) and four
     times (the /48) their thresholds: rules ip_spread/56, ip_long/48 ...;
   - lockout_ipv6_net_bans banned sources of one /56 within
     lockout_net_ban_window ban the /56, and as many banned /56s of a /48
     the /48: rules net_hosts/56, net_hosts/48 (what net_hosts is for
     IPv4 /24s).

   Never over a prefix that holds an allowed network or where somebody
   logged in successfully within lockout_known_device_time (the guard of
   the /24s: a compromised router in the /56 next to our user's, both in
   the home ISP's /48, gets its /56 banned, never the /48). The sources
   inside are still counted and banned one by one.

   A wide entry keeps the header of a source (the evidence: usernames,
   services, totals) and, instead of a source's ring and long memory, the
   short rule's failures in eighths of lockout_ip_window and a fixed set of
   (time, username, password) slots for the long and spread rules. Its size
   is the entry size of the table (policy_source_entry_size() takes the
   larger of the two layouts): nothing is allocated per attempt, and an
   IPv6 address costs at most three entries. */

/* The short rule of a wide prefix: failures in POLICY_BUCKETS eighths of
   lockout_ip_window (as an account's failures are counted). */
struct wide_short {
	uint32_t bucket; /* index of the newest eighth (engine time / width) */
	uint16_t counts[POLICY_BUCKETS];
};

/* A distinct failure remembered by a wide prefix: its last time (0 = a
   free slot) and the top 16 bits of its username's hash (0 for a name
   Dovecot refused) over the low 16 bits of its password tag. */
struct wide_slot {
	uint32_t time;
	uint32_t id;
};

/* The wide prefixes, widest last; their factor for ip_long and ip_spread,
   and the rules' names (in the decisions, the ban table, stats). */
static const struct {
	unsigned int prefix, factor;
	const char *ip_failures, *ip_spread, *ip_long, *net_hosts;
} wide_prefixes[] = {
	{ 56, 2, "ip_failures/56", "ip_spread/56", "ip_long/56",
	  "net_hosts/56" },
	{ 48, 4, "ip_failures/48", "ip_spread/48", "ip_long/48",
	  "net_hosts/48" },
};
#define WIDE_COUNT (sizeof(wide_prefixes) / sizeof(wide_prefixes[0]))

static unsigned int wide_failures(const struct lockout_config *cfg,
				  unsigned int i)
{
	return i == 0 ? cfg->ipv6_56_failures : cfg->ipv6_48_failures;
}

unsigned int policy_v6agg_slots(const struct lockout_config *cfg)
{
	unsigned int n = cfg->ip_long_failures > cfg->ip_spread_usernames ?
		cfg->ip_long_failures : cfg->ip_spread_usernames;

	if (cfg->ipv6_56_failures == 0 && cfg->ipv6_48_failures == 0)
		return 0;
	/* the /48's thresholds (the largest factor): 64 at most */
	return n * wide_prefixes[WIDE_COUNT - 1].factor;
}

size_t policy_v6agg_bytes(const struct lockout_config *cfg)
{
	if (cfg->ipv6_56_failures == 0 && cfg->ipv6_48_failures == 0)
		return 0;
	return sizeof(struct wide_short) +
		policy_v6agg_slots(cfg) * sizeof(struct wide_slot);
}

static struct wide_short *wide_short(const struct source *src)
{
	return (struct wide_short *)(void *)((unsigned char *)src +
					     sizeof(struct source));
}

static struct wide_slot *wide_slots(const struct source *src)
{
	return (struct wide_slot *)(void *)(wide_short(src) + 1);
}

static void wide_reset(const struct lockout_policy *policy,
		       struct source *src)
{
	memset(wide_short(src), 0, sizeof(struct wide_short) +
	       policy->wide_size * sizeof(struct wide_slot));
}

/* Count a failure at now32; returns the failures within the window. */
static unsigned int wide_short_note(const struct lockout_policy *policy,
				    struct source *src, uint32_t now32)
{
	struct wide_short *s = wide_short(src);
	uint32_t width = policy->cfg->ip_window / POLICY_BUCKETS, bucket;
	unsigned int i, total = 0;

	if (width == 0)
		width = 1;
	bucket = now32 / width;
	if (bucket - s->bucket >= POLICY_BUCKETS && bucket > s->bucket) {
		memset(s->counts, 0, sizeof(s->counts));
		s->bucket = bucket;
	}
	for (; s->bucket < bucket; ) {
		s->bucket++;
		s->counts[s->bucket % POLICY_BUCKETS] = 0;
	}
	/* a time before the newest eighth counts in it */
	if (s->counts[s->bucket % POLICY_BUCKETS] < UINT16_MAX)
		s->counts[s->bucket % POLICY_BUCKETS]++;
	for (i = 0; i < POLICY_BUCKETS; i++)
		total += s->counts[i];
	return total;
}

/* Remember the failure id at now32 (a remembered one only gets its new
   time); returns the distinct failures within lockout_ip_long_window and,
   in *users_r, their distinct usernames within lockout_ip_spread_window
   (counted only when they could reach spread_threshold). */
static unsigned int wide_slots_note(const struct lockout_policy *policy,
				    struct source *src, uint32_t now32,
				    uint32_t id, unsigned int spread_threshold,
				    unsigned int *users_r)
{
	const struct lockout_config *cfg = policy->cfg;
	struct wide_slot *slots = wide_slots(src);
	unsigned int i, j, n = policy->wide_size, slot = n, oldest = 0;
	unsigned int count = 0, spread = 0;

	for (i = 0; i < n && slot == n; i++) {
		if (slots[i].time != 0 && slots[i].id == id)
			slot = i;
	}
	for (i = 0; i < n && slot == n; i++) {
		if (slots[i].time < slots[oldest].time)
			oldest = i;
	}
	if (slot == n)
		slot = oldest; /* a free slot (time 0) or the least recent */
	slots[slot].time = now32;
	slots[slot].id = id;
	for (i = 0; i < n; i++) {
		if (slots[i].time == 0)
			continue;
		if (now32 - slots[i].time < cfg->ip_long_window)
			count++;
		if (now32 - slots[i].time < cfg->ip_spread_window &&
		    (slots[i].id >> 16) != 0)
			spread++;
	}
	*users_r = 0;
	if (spread_threshold == 0 || spread < spread_threshold)
		return count;
	/* distinct usernames among them (64 x 64 at most, and only near
	   the threshold) */
	for (i = 0; i < n; i++) {
		if (slots[i].time == 0 || (slots[i].id >> 16) == 0 ||
		    now32 - slots[i].time >= cfg->ip_spread_window)
			continue;
		for (j = 0; j < i; j++) {
			if (slots[j].time != 0 &&
			    now32 - slots[j].time < cfg->ip_spread_window &&
			    (slots[j].id >> 16) == (slots[i].id >> 16))
				break;
		}
		if (j == i)
			(*users_r)++;
	}
	return count;
}

/* May net, wider than a source, be banned: it holds no allowed network
   and nobody logged in from it within lockout_known_device_time. */
bool policy_net_guard_ok(const struct lockout_policy *policy,
			 const struct lockout_net *net, int64_t now)
{
	const struct history *hist;

	if (policy_net_overlaps_allowed(policy, net))
		return false;
	hist = policy_history_find(policy, net);
	return hist == NULL || !hist->had_success ||
		now - policy_time64(policy, hist->last_success) >=
		(int64_t)policy->cfg->known_device_time;
}

static bool wide_banned(const struct lockout_policy *policy,
			const struct lockout_net *net, int64_t now)
{
	const struct lockout_banset_entry *b =
		lockout_banset_find(policy->bans, net);

	return b != NULL && (b->expires == 0 || b->expires > now);
}

void policy_v6agg_success(struct lockout_policy *policy,
			  const struct lockout_addr *ip, int64_t time)
{
	const struct lockout_config *cfg = policy->cfg;
	uint32_t t32 = policy_time32(policy, time);
	struct lockout_net net;
	struct history *hist;
	unsigned int i;

	for (i = 0; i < WIDE_COUNT; i++) {
		if (wide_prefixes[i].prefix >= cfg->ipv6_prefix ||
		    (wide_failures(cfg, i) == 0 && cfg->ipv6_net_bans == 0))
			continue;
		lockout_addr_mask(ip, wide_prefixes[i].prefix, &net);
		hist = policy_history_get(policy, &net);
		if (!hist->had_success || t32 > hist->last_success)
			hist->last_success = t32;
		hist->had_success = true;
	}
}

/* The index in wide_prefixes of the prefix where a ban of net counts for
   net_hosts, and the byte of net's address that tells it apart there; -1
   when none. */
static int wide_container(const struct lockout_config *cfg,
			  const struct lockout_net *net, unsigned int *byte_r)
{
	unsigned int i;

	for (i = 0; i < WIDE_COUNT; i++) {
		/* a source (or a /56 that is no source) in the /56, a /56 in
		   the /48 */
		if (wide_prefixes[i].prefix < net->prefix &&
		    wide_prefixes[i].prefix < cfg->ipv6_prefix &&
		    (net->prefix == cfg->ipv6_prefix ||
		     (i > 0 && net->prefix == wide_prefixes[i - 1].prefix))) {
			/* the /64 in a /56 (for sources longer than /64: their
			   /64s are counted), the /56 in a /48 */
			*byte_r = wide_prefixes[i].prefix / 8;
			return (int)i;
		}
	}
	return -1;
}

int policy_v6agg_after_ban(struct lockout_policy *policy,
			   struct emit_ctx *ctx,
			   const struct lockout_net *net, int64_t now)
{
	const struct lockout_config *cfg = policy->cfg;
	struct lockout_net wide;
	struct history *hist;
	unsigned int byte, recent;
	int i, ret;

	if (cfg->ipv6_net_bans == 0 || net->addr.family != LOCKOUT_AF_INET6)
		return 0;
	i = wide_container(cfg, net, &byte);
	if (i < 0)
		return 0;
	lockout_addr_mask(&net->addr, wide_prefixes[i].prefix, &wide);
	hist = policy_history_get(policy, &wide);
	recent = policy_net_note_host(policy, hist, net->addr.bytes[byte],
				      now, cfg->net_ban_window);
	ret = policy_ban_hosts_net(policy, ctx, &wide,
				   wide_prefixes[i].net_hosts, "networks",
				   recent, cfg->ipv6_net_bans, now);
	/* a banned /56 counts in its /48 */
	return ret <= 0 ? ret : policy_v6agg_after_ban(policy, ctx, &wide, now);
}

/* Count the failure a on the i-th wide prefix; ban it at a threshold. */
static int wide_failure(struct lockout_policy *policy, struct emit_ctx *ctx,
			const struct lockout_attempt *a, unsigned int i,
			bool own_device, uint32_t uhash, uint32_t id)
{
	const struct lockout_config *cfg = policy->cfg;
	unsigned int factor = wide_prefixes[i].factor;
	unsigned int spread_threshold = cfg->ip_spread_usernames * factor;
	unsigned int long_threshold = cfg->ip_long_failures * factor;
	uint32_t now32 = policy_time32(policy, a->time);
	unsigned int failures, users = 0, distinct = 0, r;
	struct policy_count count;
	struct lockout_net net;
	struct source *src;
	char why[200], win[32];

	lockout_addr_mask(&a->ip, wide_prefixes[i].prefix, &net);
	if (wide_banned(policy, &net, a->time))
		return 0;
	src = policy_source_get(policy, &net);
	if (src->failures == 0)
		wide_reset(policy, src);
	policy_source_note(policy, src, a, uhash);

	failures = wide_short_note(policy, src, now32);
	/* a failure on an account from one of its known devices is a typo
	   or an old password: not for the long and spread rules */
	if (!own_device && policy->wide_size > 0) {
		distinct = wide_slots_note(policy, src, now32, id,
					   spread_threshold, &users);
	}
	const struct {
		const char *rule, *what;
		uint32_t base, window;
		unsigned int count, threshold;
	} rules[] = {
		{ wide_prefixes[i].ip_failures, "failed logins", cfg->ban_time,
		  cfg->ip_window, failures, wide_failures(cfg, i) },
		{ wide_prefixes[i].ip_spread, "distinct usernames failed",
		  cfg->ip_spread_ban_time, cfg->ip_spread_window, users,
		  spread_threshold },
		{ wide_prefixes[i].ip_long, "distinct failed logins",
		  cfg->ip_long_ban_time, cfg->ip_long_window, distinct,
		  long_threshold },
	};
	/* the first rule at its threshold, in the order of a source's */
	for (r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
		if (rules[r].threshold > 0 &&
		    rules[r].count >= rules[r].threshold)
			break;
	}
	if (r == sizeof(rules) / sizeof(rules[0]))
		return 0;
	if (!policy_net_guard_ok(policy, &net, a->time))
		return 0;
	lockout_interval_to_str(rules[r].window, win, sizeof(win));
	snprintf(why, sizeof(why), "%u %s within %s from /%u networks "
		 "(%u username%s)", rules[r].count, rules[r].what, win,
		 cfg->ipv6_prefix, src->distinct_users,
		 src->distinct_users == 1 ? "" : "s");
	count.failures = rules[r].count;
	count.threshold = rules[r].threshold;
	count.window = rules[r].window;
	count.distinct_passwords = 0;
	if (policy_ban(policy, ctx, &net, src, rules[r].rule, rules[r].base,
		       a->time, &count, why) < 0)
		return -1;
	/* the short count starts afresh; the long and spread memory stays:
	   a prefix that goes on after its ban ends is banned again at once
	   (escalated), not after as many usernames again (a household is
	   not banned in the first place: the guard) */
	memset(wide_short(src), 0, sizeof(struct wide_short));
	return policy_v6agg_after_ban(policy, ctx, &net, a->time);
}

int policy_v6agg_failure(struct lockout_policy *policy, struct emit_ctx *ctx,
			 const struct lockout_attempt *a, bool own_device,
			 uint32_t uhash, uint32_t tag)
{
	const struct lockout_config *cfg = policy->cfg;
	uint32_t user16 = 0;
	unsigned int i;

	if (a->ip.family != LOCKOUT_AF_INET6)
		return 0;
	/* a name Dovecot refused is no username: no spread */
	if (a->outcome != LOCKOUT_OUTCOME_INVALID_USER) {
		user16 = policy_spread_user_hash(policy, a->user) >> 16;
		if (user16 == 0)
			user16 = 1;
	}
	for (i = 0; i < WIDE_COUNT; i++) {
		if (wide_failures(cfg, i) == 0 ||
		    wide_prefixes[i].prefix >= cfg->ipv6_prefix)
			continue;
		if (wide_failure(policy, ctx, a, i, own_device, uhash,
				 (user16 << 16) | (tag & 0xffff)) < 0)
			return -1;
	}
	return 0;
}
