/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-policy-private.h"
#include "lockout-utf8.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* What a decision says: its evidence (a JSON object for the ban table and
   the postmaster), the names it lists, and the text helpers of reasons. */

/* Names the evidence knows; anything else is reported as "other". */
static const char *const known_services[] = {
	"imap", "pop3", "smtp", "submission", "sieve", "managesieve", "lmtp",
	"doveadm", NULL
};
static const char *const known_mechanisms[] = {
	"PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1",
	"SCRAM-SHA-256", "OAUTHBEARER", "XOAUTH2", "EXTERNAL", NULL
};
/* 16 bits per set (struct source, struct account): 15 names at most */
#define NAME_BIT_OTHER 15

static uint32_t name_bit(const char *const *names, const char *name)
{
	unsigned int i;

	if (name == NULL || name[0] == '\0')
		return 0;
	/* every failure asks (two to four times): the first letter rules
	   out most names without a call */
	for (i = 0; names[i] != NULL; i++) {
		if ((names[i][0] | 0x20) == (name[0] | 0x20) &&
		    strcasecmp(names[i], name) == 0)
			return 1U << i;
	}
	return 1U << NAME_BIT_OTHER;
}

void policy_names_note(const struct lockout_attempt *attempt,
		       uint16_t *services, uint16_t *mechanisms)
{
	*services |= (uint16_t)name_bit(known_services, attempt->service);
	*mechanisms |= (uint16_t)name_bit(known_mechanisms,
					  attempt->mechanism);
}

static void append_names(struct lockout_str *str, const char *key,
			 const char *const *names, uint32_t bits)
{
	bool first = true;
	unsigned int i;

	lockout_str_printf(str, ",\"%s\":[", key);
	for (i = 0; names[i] != NULL; i++) {
		if ((bits & (1U << i)) == 0)
			continue;
		if (!first)
			lockout_str_append(str, ",");
		lockout_json_append_string(str, names[i]);
		first = false;
	}
	if ((bits & (1U << NAME_BIT_OTHER)) != 0)
		lockout_str_append(str, first ? "\"other\"" : ",\"other\"");
	lockout_str_append(str, "]");
}

static void append_service_names(struct lockout_str *str, uint32_t services,
				 uint32_t mechanisms)
{
	append_names(str, "services", known_services, services);
	append_names(str, "mechanisms", known_mechanisms, mechanisms);
}

/* --- text ----------------------------------------------------------------- */

void policy_copy_trunc(char *dest, size_t size, const char *src)
{
	size_t len;

	/* what snprintf("%s") does, without its cost on every failure */
	if (size == 0)
		return;
	if (src == NULL)
		src = "";
	len = strnlen(src, size - 1);
	memcpy(dest, src, len);
	dest[len] = '\0';
}

void policy_copy_printable(char *dest, size_t size, const char *src)
{
	(void)lockout_utf8_escape(dest, size, src, 0);
}

void policy_decision_init(struct lockout_policy *policy,
			  struct lockout_decision *d,
			  enum lockout_decision_type type, const char *rule,
			  int64_t time, const char *user,
			  const struct lockout_net *net)
{
	memset(d, 0, sizeof(*d));
	d->type = type;
	d->rule = rule;
	d->time = time;
	policy_copy_trunc(policy->user, sizeof(policy->user), user);
	d->user = policy->user;
	if (net == NULL) {
		d->kind = LOCKOUT_KIND_USER;
		d->target = policy->user;
	} else {
		d->kind = lockout_net_is_host(net) ? LOCKOUT_KIND_IP :
			LOCKOUT_KIND_NET;
		d->net = *net;
		lockout_net_to_str(net, policy->target);
		d->target = policy->target;
	}
}

void policy_emit(struct lockout_policy *policy, struct emit_ctx *ctx,
		 struct lockout_decision *d)
{
	if (d->evidence == NULL)
		d->evidence = "{}";
	if (d->user == NULL)
		d->user = "";
	if (d->reason == NULL)
		d->reason = "";
	if (d->target == NULL)
		d->target = policy->target;
	ctx->callback(d, ctx->context);
	ctx->count++;
}

/* --- evidence ------------------------------------------------------------- */

/* Start the evidence object with its rule. */
static struct lockout_str *evidence_begin(struct lockout_policy *policy,
					  const char *rule)
{
	struct lockout_str *str = &policy->evidence;

	lockout_str_clear(str);
	lockout_str_append(str, "{\"rule\":");
	lockout_json_append_string(str, rule);
	return str;
}

/* End the object; NULL when out of memory. */
static const char *evidence_end(struct lockout_str *str)
{
	lockout_str_append(str, "}");
	return lockout_str_c(str);
}

/* What every decision about a source says of it. */
static void evidence_source(const struct lockout_policy *policy,
			    struct lockout_str *str, const struct source *src,
			    const struct policy_count *count)
{
	unsigned int i, shown;

	lockout_str_printf(str, ",\"failures\":%u,\"threshold\":%u"
			   ",\"window\":%u,\"total_failures\":%u"
			   ",\"unknown_user_failures\":%u"
			   ",\"repeated_failures\":%u"
			   ",\"distinct_passwords\":%u"
			   ",\"first_seen\":%lld,\"last_seen\":%lld",
			   count->failures, count->threshold, count->window,
			   src->failures, src->unknown_user, src->repeats,
			   count->distinct_passwords,
			   (long long)policy_time64(policy, src->first_seen),
			   (long long)policy_time64(policy, src->last_seen));
	/* only when there were some: the evidence of other sources stays
	   as it was */
	if (src->invalid_user > 0) {
		lockout_str_printf(str, ",\"invalid_user_failures\":%u",
				   src->invalid_user);
	}
	lockout_str_append(str, ",\"users\":[");
	shown = src->distinct_users < POLICY_USERS ? src->distinct_users :
		POLICY_USERS;
	for (i = 0; i < shown; i++) {
		if (i > 0)
			lockout_str_append(str, ",");
		lockout_json_append_string(str, src->users[i]);
	}
	lockout_str_printf(str, "],\"users_more\":%u,\"distinct_users\":%u"
			   ",\"distinct_users_capped\":%s",
			   src->distinct_users - shown, src->distinct_users,
			   src->distinct_users == POLICY_DISTINCT ?
			   "true" : "false");
	append_service_names(str, src->services, src->mechanisms);
}

const char *policy_evidence_ban(struct lockout_policy *policy,
				const char *rule, const struct source *src,
				const struct policy_count *count,
				unsigned int prior_bans, int64_t last_ban,
				const char *duration)
{
	struct lockout_str *str = evidence_begin(policy, rule);

	if (src != NULL) {
		evidence_source(policy, str, src, count);
	} else {
		lockout_str_printf(str, ",\"failures\":%u,\"threshold\":%u"
				   ",\"window\":%u", count->failures,
				   count->threshold, count->window);
	}
	lockout_str_printf(str, ",\"previous_bans\":%u,\"last_ban\":%lld"
			   ",\"duration\":", prior_bans,
			   (long long)(prior_bans > 0 ? last_ban : 0));
	lockout_json_append_string(str, duration);
	return evidence_end(str);
}

const char *policy_evidence_notable(struct lockout_policy *policy,
				    const char *rule, const struct source *src,
				    unsigned int repeats,
				    const struct policy_count *count)
{
	struct lockout_str *str = evidence_begin(policy, rule);

	if (repeats > 0)
		lockout_str_printf(str, ",\"repeats\":%u", repeats);
	evidence_source(policy, str, src, count);
	return evidence_end(str);
}

int policy_emit_notable(struct lockout_policy *policy, struct emit_ctx *ctx,
			struct lockout_decision *d, const struct source *src,
			const struct policy_count *count)
{
	d->reason = policy->reason;
	d->evidence = policy_evidence_notable(policy, d->rule, src, 0, count);
	if (d->evidence == NULL)
		return -1;
	policy_emit(policy, ctx, d);
	return 0;
}

const char *policy_evidence_protect(struct lockout_policy *policy,
				    const struct account *acc,
				    unsigned int total)
{
	const struct lockout_config *cfg = policy->cfg;
	struct lockout_str *str = evidence_begin(policy, "user_failures");
	char addr[LOCKOUT_ADDR_STRLEN];
	unsigned int i;

	lockout_str_printf(str, ",\"failures\":%u,\"threshold\":%u"
			   ",\"window\":%u,\"distinct_sources\":%u"
			   ",\"sources\":[", total, cfg->user_failures,
			   cfg->user_window, acc->distinct_sources);
	for (i = 0; i < acc->sample_count; i++) {
		lockout_addr_to_str(&acc->sample[i], addr);
		if (i > 0)
			lockout_str_append(str, ",");
		lockout_json_append_string(str, addr);
	}
	lockout_str_printf(str, "],\"sources_more\":%u"
			   ",\"distinct_sources_capped\":%s",
			   acc->distinct_sources - acc->sample_count,
			   acc->distinct_sources == POLICY_DISTINCT ?
			   "true" : "false");
	append_service_names(str, acc->services, acc->mechanisms);
	lockout_str_printf(str, ",\"first_seen\":%lld,\"last_seen\":%lld"
			   ",\"protect_time\":%u",
			   (long long)acc->first_seen,
			   (long long)acc->last_seen, cfg->protect_time);
	return evidence_end(str);
}

/* For the rules in files of their own (lockout-policy-networks.c). */
struct lockout_str *policy_evidence_begin(struct lockout_policy *policy,
					  const char *rule)
{
	return evidence_begin(policy, rule);
}

const char *policy_evidence_end(struct lockout_str *str)
{
	return evidence_end(str);
}

void policy_evidence_services(struct lockout_str *str, uint32_t services,
			      uint32_t mechanisms)
{
	append_service_names(str, services, mechanisms);
}
