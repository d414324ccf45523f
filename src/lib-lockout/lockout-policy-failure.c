/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-policy-private.h"

#include <stdio.h>
#include <string.h>

/* The rules of a failure, counted per source: ip_failures,
   targeted_unknown, targeted_failures, stale_client; escalation of repeat
   offenders and net_hosts (a /24 whose hosts are banned one after the
   other). */

/* How long the next ban of a source with prior_bans bans lasts. */
static int64_t ban_expiry(const struct lockout_config *cfg, int64_t now,
			  uint32_t base, unsigned int prior_bans,
			  uint32_t *duration_r)
{
	uint64_t duration = base;
	unsigned int i;

	if (cfg->ban_permanent_after > 0 &&
	    prior_bans >= cfg->ban_permanent_after)
		base = LOCKOUT_TIME_PERMANENT;
	if (base == LOCKOUT_TIME_PERMANENT) {
		*duration_r = LOCKOUT_TIME_PERMANENT;
		return 0;
	}
	/* each ban of the same source doubles, up to lockout_ban_time_max */
	for (i = 0; i < prior_bans && duration < UINT32_MAX; i++)
		duration *= 2;
	/* a base longer than the cap (a targeted ban) does not double */
	if (cfg->ban_time_max != LOCKOUT_TIME_PERMANENT &&
	    duration > cfg->ban_time_max)
		duration = base > cfg->ban_time_max ? base :
			cfg->ban_time_max;
	if (duration >= LOCKOUT_TIME_PERMANENT)
		duration = LOCKOUT_TIME_PERMANENT - 1;
	*duration_r = (uint32_t)duration;
	return now + (int64_t)duration;
}

static unsigned int history_prior_bans(const struct lockout_policy *policy,
				       struct history *hist, int64_t now)
{
	/* a source that behaved for lockout_history_time starts over */
	if (hist->bans > 0 &&
	    now - policy_time64(policy, hist->last_ban) >=
	    (int64_t)policy->cfg->history_time)
		hist->bans = 0;
	return hist->bans;
}

bool policy_banned(const struct lockout_policy *policy,
		   const struct lockout_net *net, int64_t now)
{
	const struct lockout_banset_entry *existing;

	existing = lockout_banset_find(policy->bans, net);
	return existing != NULL &&
		(existing->expires == 0 || existing->expires > now);
}

int policy_ban(struct lockout_policy *policy, struct emit_ctx *ctx,
	       const struct lockout_net *net, const struct source *src,
	       const char *rule, uint32_t base, int64_t now,
	       const struct policy_count *count, const char *why)
{
	struct lockout_decision d;
	struct history *hist;
	unsigned int prior;
	uint32_t duration;
	char dur[32];

	/* failures that were in flight when net got banned (an asynchronous
	   passdb answers them later) are of the same burst: one burst is one
	   ban, not a repeat offence */
	if (policy_banned(policy, net, now))
		return 0;
	hist = policy_history_get(policy, net);
	prior = history_prior_bans(policy, hist, now);
	policy_decision_init(policy, &d, LOCKOUT_DECISION_BAN, rule, now, NULL,
			     net);
	d.expires = ban_expiry(policy->cfg, now, base, prior, &duration);
	d.failures = count->failures;
	lockout_interval_to_str(duration, dur, sizeof(dur));
	snprintf(policy->reason, sizeof(policy->reason), "%s%s%s", why,
		 prior > 0 ? "; repeat offender, ban " : "",
		 prior > 0 ? "escalated" : "");
	d.reason = policy->reason;
	d.evidence = policy_evidence_ban(policy, rule, src, count, prior,
					 policy_time64(policy, hist->last_ban),
					 dur);
	if (d.evidence == NULL)
		return -1;
	if (lockout_banset_add(policy->bans, net, d.expires, 0) < 0)
		return -1;
	hist->bans++;
	hist->last_ban = policy_time32(policy, now);
	policy_emit(policy, ctx, &d);
	return 0;
}

unsigned int policy_net_note_host(struct lockout_policy *policy,
				  struct history *hist, uint8_t hostbyte,
				  int64_t now, uint32_t window)
{
	uint32_t now32 = policy_time32(policy, now);
	unsigned int i, recent = 0, oldest = 0;

	for (i = 0; i < hist->host_count; i++) {
		if (hist->hosts[i] == hostbyte)
			break;
		if (hist->host_times[i] < hist->host_times[oldest])
			oldest = i;
	}
	if (i == hist->host_count) {
		if (hist->host_count < POLICY_NET_HOSTS)
			hist->host_count++;
		else
			i = oldest;
	}
	hist->hosts[i] = hostbyte;
	hist->host_times[i] = now32;
	for (i = 0; i < hist->host_count; i++) {
		if ((int64_t)now32 - hist->host_times[i] < (int64_t)window)
			recent++;
	}
	return recent;
}

int policy_ban_hosts_net(struct lockout_policy *policy, struct emit_ctx *ctx,
			 const struct lockout_net *net, const char *rule,
			 const char *what, unsigned int recent,
			 unsigned int threshold, int64_t now)
{
	const struct lockout_config *cfg = policy->cfg;
	struct policy_count count;
	char why[160], netstr[LOCKOUT_NET_STRLEN];

	if (recent < threshold || !policy_net_guard_ok(policy, net, now) ||
	    policy_banned(policy, net, now))
		return 0;
	lockout_net_to_str(net, netstr);
	snprintf(why, sizeof(why), "%u %s of %s banned within %u secs",
		 recent, what, netstr, cfg->net_ban_window);
	count.failures = recent;
	count.threshold = threshold;
	count.window = cfg->net_ban_window;
	count.distinct_passwords = 0;
	if (policy_ban(policy, ctx, net, NULL, rule, cfg->ban_time, now,
		       &count, why) < 0)
		return -1;
	return 1;
}

/* After a host ban: ban its IPv4 /24 when enough of its hosts were banned
   recently - never wider, never over an allowed network, never over a
   source that logged in successfully recently. (An IPv6 source's /56 and
   /48: lockout-policy-v6agg.c.) */
static int policy_maybe_ban_net(struct lockout_policy *policy,
				struct emit_ctx *ctx,
				const struct lockout_net *host, int64_t now)
{
	const struct lockout_config *cfg = policy->cfg;
	struct lockout_net net24;
	struct history *hist;
	unsigned int recent;

	if (host->addr.family == LOCKOUT_AF_INET6)
		return policy_v6agg_after_ban(policy, ctx, host, now);
	if (cfg->net_ban_hosts == 0 || host->addr.family != LOCKOUT_AF_INET ||
	    host->prefix != 32)
		return 0;
	lockout_addr_mask(&host->addr, 24, &net24);
	hist = policy_history_get(policy, &net24);
	recent = policy_net_note_host(policy, hist, host->addr.bytes[3], now,
				      cfg->net_ban_window);
	return policy_ban_hosts_net(policy, ctx, &net24, "net_hosts",
				    "addresses", recent, cfg->net_ban_hosts,
				    now) < 0 ? -1 : 0;
}

void policy_source_note(struct lockout_policy *policy, struct source *src,
			const struct lockout_attempt *a, uint32_t uhash)
{
	uint32_t now32 = policy_time32(policy, a->time);

	if (src->failures == 0)
		src->first_seen = now32;
	src->last_seen = now32;
	src->failures++;
	if (a->outcome == LOCKOUT_OUTCOME_UNKNOWN_USER)
		src->unknown_user++;
	else if (a->outcome == LOCKOUT_OUTCOME_INVALID_USER)
		src->invalid_user++;
	policy_names_note(a, &src->services, &src->mechanisms);
	/* a name Dovecot refused is attacker junk: never evidence, never
	   counted as a username */
	if (a->outcome == LOCKOUT_OUTCOME_INVALID_USER)
		return;
	if (policy_distinct_note16(src->user_hashes, &src->distinct_users,
				   (uint16_t)(uhash ^ (uhash >> 16))) &&
	    src->distinct_users <= POLICY_USERS) {
		/* truncated evidence is still evidence */
		policy_copy_trunc(src->users[src->distinct_users - 1],
				  POLICY_USER_LEN, a->user);
	}
}

/* What a reason adds when the source sent usernames Dovecot refused
   (nothing otherwise: the reasons of other sources stay as they were). */
static const char *invalid_note(const struct source *src)
{
	return src->invalid_user == 0 ? "" :
		", some with usernames Dovecot refused";
}

static void source_reset_counts(struct source *src)
{
	src->ring_head = 0;
	src->ring_len = 0;
}

static int report_stale(struct lockout_policy *policy, struct source *src,
			const struct lockout_attempt *a, struct emit_ctx *ctx)
{
	const struct lockout_config *cfg = policy->cfg;
	const struct policy_count count = {
		src->ring_len, cfg->ip_failures, cfg->ip_window, 0
	};
	struct lockout_decision d;

	policy_decision_init(policy, &d, LOCKOUT_DECISION_NOTABLE,
			     "stale_client", a->time, a->user, &src->net);
	d.failures = src->stale_repeats;
	snprintf(policy->reason, sizeof(policy->reason),
		 "the same wrong password was repeated %u times: a client "
		 "with an old password, not banned", src->stale_repeats);
	d.reason = policy->reason;
	d.evidence = policy_evidence_notable(policy, d.rule, src,
					     src->stale_repeats, &count);
	if (d.evidence == NULL)
		return -1;
	src->last_stale = policy_time32(policy, a->time);
	src->stale_reported = true;
	src->stale_repeats = 0;
	policy_emit(policy, ctx, &d);
	return 0;
}

/* Is (user, tag) in src's ring within the window? */
static bool ring_repeated(const struct lockout_policy *policy,
			  const struct source *src, uint32_t now32,
			  uint32_t uhash, uint32_t tag)
{
	const struct ring_entry *e;
	unsigned int i;

	for (i = 0; (e = policy_ring_recent(policy, src, now32, i)) != NULL;
	     i++) {
		if (e->user == uhash && (e->tag & ~RING_TARGETED) == tag)
			return true;
	}
	return false;
}

/* The failures of src's ring within the window: all of them, those to
   targeted names and those with a password. */
static void ring_count(const struct lockout_policy *policy,
		       const struct source *src, uint32_t now32,
		       unsigned int *count_r, unsigned int *targeted_r,
		       unsigned int *passwords_r)
{
	const struct ring_entry *e;

	*count_r = *targeted_r = *passwords_r = 0;
	for (; (e = policy_ring_recent(policy, src, now32, *count_r)) != NULL;
	     (*count_r)++) {
		if ((e->tag & RING_TARGETED) != 0)
			(*targeted_r)++;
		if ((e->tag & ~RING_TARGETED) != 0)
			(*passwords_r)++;
	}
}

/* Bots aim at targeted names: a login to one that is not an account is
   hostile at the first try. */
static int ban_targeted_unknown(struct lockout_policy *policy,
				struct emit_ctx *ctx,
				const struct lockout_net *net,
				struct source *src,
				const struct lockout_attempt *a, uint32_t tag)
{
	const struct lockout_config *cfg = policy->cfg;
	struct policy_count count = { 1, 1, cfg->ip_window, tag != 0 ? 1 : 0 };
	char name[65], why[200];

	if (policy_banned(policy, net, a->time))
		return 0;
	policy_copy_printable(name, sizeof(name), a->user);
	snprintf(why, sizeof(why), "login to the targeted name '%s' "
		 "that is not an account", name);
	return policy_ban(policy, ctx, net, src, "targeted_unknown",
			  cfg->targeted_ban_time, a->time, &count, why);
}

/* The rules of a failure that ban its source, in the order they are
   tried. */
enum failure_rule {
	FAILURE_TARGETED,
	FAILURE_IP,
	FAILURE_ALERT,
	FAILURE_SPREAD,
	FAILURE_LONG,
};
static const char *const failure_rule_names[] = {
	"targeted_failures", "ip_failures", "unknown_alert", "ip_spread",
	"ip_long",
};

/* The reason of a ban of src by rule, as counted in ban: formatted only
   when the ban is made, never for every failure. */
static void failure_why(char *why, size_t size, enum failure_rule rule,
			const struct source *src,
			const struct policy_count *ban)
{
	char window[32];

	lockout_interval_to_str(ban->window, window, sizeof(window));
	switch (rule) {
	case FAILURE_TARGETED:
	case FAILURE_SPREAD:
		snprintf(why, size, "%u %s within %s", ban->failures,
			 rule == FAILURE_SPREAD ? "distinct usernames failed" :
			 "failed logins to targeted names", window);
		break;
	case FAILURE_IP:
		snprintf(why, size, "%u failed logins within %s "
			 "(%u username%s, %u distinct password%s tried%s)",
			 ban->failures, window, src->distinct_users,
			 src->distinct_users == 1 ? "" : "s",
			 ban->distinct_passwords,
			 ban->distinct_passwords == 1 ? "" : "s",
			 invalid_note(src));
		break;
	case FAILURE_ALERT:
		snprintf(why, size, "failed logins to an unknown user "
			 "and another person within %s during an unknown-user "
			 "alert%s", window, invalid_note(src));
		break;
	case FAILURE_LONG:
		snprintf(why, size, "%u distinct failed logins within "
			 "%s (%u username%s%s)", ban->failures, window,
			 src->distinct_users,
			 src->distinct_users == 1 ? "" : "s",
			 invalid_note(src));
		break;
	}
}

int policy_observe_failure(struct lockout_policy *policy,
			   const struct lockout_attempt *a,
			   const char *account, struct emit_ctx *ctx)
{
	const struct lockout_config *cfg = policy->cfg;
	uint32_t uhash = policy_user_hash(policy, a->user);
	uint32_t now32 = policy_time32(policy, a->time);
	uint32_t tag = a->password_tag & ~RING_TARGETED;
	uint32_t repeat_age;
	bool targeted = a->user != NULL &&
		a->outcome != LOCKOUT_OUTCOME_INVALID_USER &&
		lockout_config_is_targeted(cfg, a->user);
	unsigned int count, targeted_count, passwords, long_count;
	unsigned int long_passwords = 0, spread, people;
	uint64_t akey = 0;
	struct policy_count ban;
	struct lockout_net net;
	struct source *src;
	enum failure_rule rule;
	uint32_t base;
	bool own_device;
	char why[200];

	lockout_policy_source_net(policy, &a->ip, &net);
	if (lockout_policy_is_allowed(policy, &a->ip)) {
		/* never banned by address; the account is still protected */
		if (a->outcome != LOCKOUT_OUTCOME_MISMATCH || account == NULL)
			return 0;
		akey = policy_account_key(policy, account);
		return policy_observe_account_failure(policy, a, account, akey,
			policy_from_own_device(policy, a, account, akey), ctx);
	}

	src = policy_source_get(policy, &net);
	policy_source_note(policy, src, a, uhash);
	policy_retry_note(policy, src, a, account);

	if (targeted && a->outcome == LOCKOUT_OUTCOME_UNKNOWN_USER) {
		if (ban_targeted_unknown(policy, ctx, &net, src, a, tag) < 0)
			return -1;
		source_reset_counts(src);
		return policy_maybe_ban_net(policy, ctx, &net, a->time);
	}

	/* the rules that spare an account's known devices (ip_long,
	   ip_spread, user_failures, the IPv6 aggregation) ask once */
	if (account != NULL)
		akey = policy_account_key(policy, account);
	own_device = policy_from_own_device(policy, a, account, akey);
	if (policy_alert_note(policy, src, a, now32, ctx, &people) < 0)
		return -1;
	long_count = policy_longwin_note(policy, src, own_device, now32,
					 uhash, tag, &long_passwords);
	/* a name Dovecot refused is no username: no spread of usernames */
	spread = a->outcome == LOCKOUT_OUTCOME_INVALID_USER ? 0 :
		policy_spread_note(policy, src, a, own_device, now32);
	/* a client repeating one wrong password counts once: within the
	   ring's window, or polling with it over hours (the table of failed
	   pairs, lockout-policy-repeat.c: only of pairs that reached the
	   password check - one a protection refused may be a new guess when
	   the protection is over) */
	repeat_age = a->outcome == LOCKOUT_OUTCOME_PROTECTED ? UINT32_MAX :
		policy_repeat_age(policy, src, uhash, tag, now32);
	/* a repeat within the window (the ring's, or the table's when the
	   ring let it go): a stale client, reported as before */
	if (tag != 0 && (repeat_age < cfg->ip_window ||
			 ring_repeated(policy, src, now32, uhash, tag))) {
		src->repeats++;
		src->stale_repeats++;
		if (src->stale_repeats >= POLICY_STALE_REPEATS &&
		    (!src->stale_reported ||
		     a->time - policy_time64(policy, src->last_stale) >=
		     (int64_t)cfg->ip_window))
			return report_stale(policy, src, a, ctx);
		return 0;
	}
	/* a poll with an old password, the last one longer ago: not a new
	   failure for the short rules - unless a rule of its own memory
	   (usernames, the long window, the alert) bans the source at it */
	if (repeat_age != UINT32_MAX && people < 2 &&
	    (cfg->ip_spread_usernames == 0 ||
	     spread < cfg->ip_spread_usernames) &&
	    (cfg->ip_long_failures == 0 ||
	     long_count < cfg->ip_long_failures)) {
		src->repeats++;
		return 0;
	}

	policy_ring_push(policy, src, now32, uhash,
			 tag | (targeted ? RING_TARGETED : 0));
	ring_count(policy, src, now32, &count, &targeted_count, &passwords);

	if (a->outcome == LOCKOUT_OUTCOME_MISMATCH && account != NULL &&
	    policy_observe_account_failure(policy, a, account, akey,
					   own_device, ctx) < 0)
		return -1;

	ban.window = cfg->ip_window;
	ban.distinct_passwords = passwords;
	base = cfg->ban_time;
	if (targeted && targeted_count >= cfg->targeted_failures) {
		rule = FAILURE_TARGETED;
		ban.failures = targeted_count;
		ban.threshold = cfg->targeted_failures;
	} else if (count >= cfg->ip_failures) {
		rule = FAILURE_IP;
		ban.failures = count;
		ban.threshold = cfg->ip_failures;
	} else if (people >= 2) {
		rule = FAILURE_ALERT;
		ban.failures = people;
		ban.threshold = 2;
	} else if (cfg->ip_spread_usernames > 0 &&
		   spread >= cfg->ip_spread_usernames) {
		rule = FAILURE_SPREAD;
		ban.failures = spread;
		ban.threshold = cfg->ip_spread_usernames;
		ban.window = cfg->ip_spread_window;
		base = cfg->ip_spread_ban_time;
	} else if (cfg->ip_long_failures > 0 &&
		   long_count >= cfg->ip_long_failures) {
		rule = FAILURE_LONG;
		ban.failures = long_count;
		ban.threshold = cfg->ip_long_failures;
		ban.window = cfg->ip_long_window;
		ban.distinct_passwords = long_passwords;
		base = cfg->ip_long_ban_time;
	} else {
		return policy_v6agg_failure(policy, ctx, a, own_device, uhash,
					    tag);
	}
	/* a source already banned (failures still in flight) makes no
	   decision: no reason to format */
	if (!policy_banned(policy, &net, a->time)) {
		failure_why(why, sizeof(why), rule, src, &ban);
		if (policy_ban(policy, ctx, &net, src,
			       failure_rule_names[rule], base, a->time, &ban,
			       why) < 0)
			return -1;
	}
	if (rule == FAILURE_SPREAD)
		policy_spread_reset(policy, src);
	else if (rule == FAILURE_LONG)
		policy_longwin_reset(src);
	/* counting starts afresh once the ban ends */
	source_reset_counts(src);
	if (policy_maybe_ban_net(policy, ctx, &net, a->time) < 0)
		return -1;
	return policy_v6agg_failure(policy, ctx, a, own_device, uhash, tag);
}
