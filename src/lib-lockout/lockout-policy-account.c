/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-policy-private.h"

#include <stdio.h>
#include <string.h>

/* The rules of an account: user_failures (protection after failures from
   sources that are not its known devices), and what a success teaches:
   known devices, success_after_failures, a /24 that is not banned whole. */

/* A success after at least this many failures of its user from its source
   is reported: half of lockout_ip_failures, 3 at least. */
static unsigned int success_min_failures(const struct lockout_config *cfg)
{
	return cfg->ip_failures / 2 > 3 ? cfg->ip_failures / 2 : 3;
}

/* Failures from src for the user (by hash) just before: a password that
   was guessed? */
static int report_success_after_failures(struct lockout_policy *policy,
					 const struct lockout_attempt *a,
					 const char *account,
					 const struct source *src,
					 struct emit_ctx *ctx)
{
	const struct lockout_config *cfg = policy->cfg;
	uint32_t uhash = policy_user_hash(policy, a->user);
	uint32_t now32 = policy_time32(policy, a->time);
	struct policy_count count = {
		0, success_min_failures(cfg), cfg->ip_window, 0
	};
	const struct ring_entry *e;
	struct lockout_decision d;
	unsigned int i;

	for (i = 0; (e = policy_ring_recent(policy, src, now32, i)) != NULL;
	     i++) {
		if (e->user == uhash)
			count.failures++;
	}
	if (count.failures < count.threshold)
		return 0;
	policy_decision_init(policy, &d, LOCKOUT_DECISION_NOTABLE,
			     "success_after_failures", a->time, account,
			     &src->net);
	d.failures = count.failures;
	snprintf(policy->reason, sizeof(policy->reason),
		 "successful login after %u failures from the same source: "
		 "possibly a guessed password", count.failures);
	return policy_emit_notable(policy, ctx, &d, src, &count);
}

int policy_observe_success(struct lockout_policy *policy,
			   const struct lockout_attempt *a,
			   const char *account, struct emit_ctx *ctx)
{
	const struct lockout_config *cfg = policy->cfg;
	struct lockout_decision d;
	struct lockout_net net, dnet;
	const struct source *src;
	struct history *hist;
	struct device *dev;
	bool created;

	/* the engine's clock starts at its first success or failure */
	(void)policy_time32(policy, a->time);
	lockout_policy_source_net(policy, &a->ip, &net);
	src = policy_source_find(policy, &net);
	if (src != NULL &&
	    report_success_after_failures(policy, a, account, src, ctx) < 0)
		return -1;

	/* a /24 with a recent success is never banned as a whole */
	if (a->ip.family == LOCKOUT_AF_INET) {
		lockout_addr_mask(&a->ip, 24, &dnet);
		hist = policy_history_find(policy, &dnet);
		if (hist == NULL && (cfg->net_ban_hosts > 0 ||
				     cfg->ip_spread_usernames > 0 ||
				     cfg->alert_unknown > 0))
			hist = policy_history_get(policy, &dnet);
		if (hist != NULL) {
			hist->last_success =
				policy_time32(policy, a->time);
			hist->had_success = true;
			policy_spread_success(policy, hist, account, a->time);
		}
	} else {
		if (cfg->alert_unknown > 0) {
			/* the unknown-user alert counts only networks
			   without successes (lockout-policy-alert.c) */
			hist = policy_history_get(policy, &net);
			hist->last_success = policy_time32(policy, a->time);
			hist->had_success = true;
		}
		/* nor a /56 or /48 (lockout-policy-v6agg.c) */
		policy_v6agg_success(policy, &a->ip, a->time);
	}

	/* the device becomes (or stays) known */
	lockout_policy_device_net(policy, &a->ip, &dnet);
	dev = lockout_satable_get(policy->devices,
				  policy_device_key(policy,
					policy_account_key(policy, account),
					&dnet), &created, NULL);
	dev->last_seen = policy_time32(policy, a->time);
	if (created || a->time - policy_time64(policy, dev->last_persisted) >=
	    POLICY_DEVICE_REFRESH_SECS) {
		dev->last_persisted = dev->last_seen;
		policy_decision_init(policy, &d, LOCKOUT_DECISION_KNOWN_DEVICE,
				     "known_device", a->time, account, &dnet);
		/* known as a device of the account */
		d.target = policy->user;
		policy_emit(policy, ctx, &d);
	}
	/* and its near network (dev may move in the table: after it) */
	policy_near_note(policy, policy_account_key(policy, account), &a->ip,
			 policy_time32(policy, a->time));
	return 0;
}

static unsigned int bucket_index(int64_t bucket)
{
	int64_t idx = bucket % POLICY_BUCKETS;

	return (unsigned int)(idx < 0 ? idx + POLICY_BUCKETS : idx);
}

/* Count a failure at time in acc's sliding window of lockout_user_window;
   returns the failures within it. */
static unsigned int account_count(const struct lockout_config *cfg,
				  struct account *acc, bool created,
				  int64_t time)
{
	int64_t width, bucket;
	unsigned int i, total = 0;

	width = cfg->user_window / POLICY_BUCKETS;
	if (width == 0)
		width = 1;
	/* floor division: times may be negative (any origin) */
	bucket = time >= 0 ? time / width : -((-time + width - 1) / width);
	if (created || bucket - acc->bucket >= POLICY_BUCKETS) {
		memset(acc->counts, 0, sizeof(acc->counts));
	} else {
		for (int64_t b = acc->bucket + 1; b <= bucket; b++)
			acc->counts[bucket_index(b)] = 0;
	}
	if (created || bucket > acc->bucket)
		acc->bucket = bucket;
	acc->counts[bucket_index(acc->bucket)]++;
	for (i = 0; i < POLICY_BUCKETS; i++)
		total += acc->counts[i];
	return total;
}

int policy_observe_account_failure(struct lockout_policy *policy,
				   const struct lockout_attempt *a,
				   const char *account, uint64_t akey,
				   bool own_device, struct emit_ctx *ctx)
{
	const struct lockout_config *cfg = policy->cfg;
	struct lockout_decision d;
	struct account *acc;
	bool created;
	char window[32];
	unsigned int total;

	if (own_device)
		return 0;
	acc = lockout_satable_get(policy->accounts, akey, &created, NULL);
	total = account_count(cfg, acc, created, a->time);
	if (acc->first_seen == 0)
		acc->first_seen = a->time;
	acc->last_seen = a->time;
	policy_names_note(a, &acc->services, &acc->mechanisms);
	if (policy_distinct_note(acc->source_hashes, &acc->distinct_sources,
				 (uint32_t)lockout_addr_hash(&a->ip,
							     policy->key)) &&
	    acc->sample_count < POLICY_SOURCES)
		acc->sample[acc->sample_count++] = a->ip;
	if (policy_networks_note(policy, a, account, akey, acc, ctx) < 0)
		return -1;
	if (total < cfg->user_failures ||
	    policy_protected_key(policy, akey, a->time))
		return 0;

	policy_decision_init(policy, &d, LOCKOUT_DECISION_PROTECT,
			     "user_failures", a->time, account, NULL);
	d.expires = a->time + (int64_t)cfg->protect_time;
	d.failures = total;
	lockout_interval_to_str(cfg->user_window, window, sizeof(window));
	snprintf(policy->reason, sizeof(policy->reason),
		 "%u failed logins from %u unknown sources within %s: only "
		 "known devices may log in", total, acc->distinct_sources,
		 window);
	d.reason = policy->reason;
	d.evidence = policy_evidence_protect(policy, acc, total);
	if (d.evidence == NULL)
		return -1;
	if (lockout_policy_protect(policy, account, d.expires) < 0)
		return -1;
	/* the next protection needs a new run of failures */
	memset(acc->counts, 0, sizeof(acc->counts));
	policy_emit(policy, ctx, &d);
	return 0;
}
