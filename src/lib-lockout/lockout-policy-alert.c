/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-policy-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Unknown-user alert (rule unknown_alert, issue 13). Credential stuffing
   and spraying campaigns try lists of usernames, most of which are no
   account (old staff, guessed role names), from many addresses that each
   try only a few: no source comes near lockout_ip_failures. Server-wide,
   though, they show: a server sees a few unknown usernames a day (typos),
   a campaign dozens an hour.

   While lockout_alert_unknown unknown-user failures from networks without
   a success (an IPv4 /24, an IPv6 lockout_ipv6_prefix network where no
   account logged in within lockout_known_device_time) fall within
   lockout_alert_window, the alert is on. A source of such a network that
   fails on an unknown user during the alert is a suspect (for
   lockout_alert_window); a suspect is banned (rule unknown_alert,
   lockout_ban_time, escalated) at its failure on a second person within
   lockout_ip_window. One person is a username and its typos: the local
   part (before the last '@'), case folded, and those one edit away from
   it (a letter left out, added, changed, two swapped), as a user mistypes
   the name on a new device. A new device at a new network whose owner
   mistypes the username and then the password is one person and is not
   banned; banning at the first unknown user during an alert would ban it.

   The start and the end of an alert are notable events (alert_started,
   alert_ended). The end is seen, and reported, at the first failure
   observed after it; the reason says when it ended.

   Memory, allocated once: the times of the last lockout_alert_unknown
   counted failures (a ring: the alert is on while the oldest of them is
   within the window), and a table of POLICY_ALERT_SOURCES sources of
   networks without successes (the last person each failed on, when, and
   whether it is a suspect), least recently used evicted. */

/* Local parts kept per source to compare persons (longer ones are cut:
   two long names that share their first POLICY_ALERT_NAME - 1 bytes are
   one person). */
#define POLICY_ALERT_NAME 24

struct alert_source {
	/* engine times: the last failure and the person it was on, the
	   last time the source was made a suspect (0: never) */
	uint32_t time, suspect;
	char person[POLICY_ALERT_NAME];
};

struct policy_alert {
	uint32_t *times;
	unsigned int size, head, len;
	bool on;
	struct lockout_satable *sources;
};

int policy_alert_create(struct lockout_policy *policy)
{
	const struct lockout_config *cfg = policy->cfg;
	struct policy_alert *alert;

	if (cfg->alert_unknown == 0)
		return 0;
	alert = calloc(1, sizeof(*alert));
	if (alert == NULL)
		return -1;
	policy->alert = alert;
	alert->size = cfg->alert_unknown;
	alert->times = calloc(alert->size, sizeof(*alert->times));
	alert->sources = lockout_satable_create(
		cfg->max_sources < POLICY_ALERT_SOURCES ?
		cfg->max_sources : POLICY_ALERT_SOURCES,
		sizeof(struct alert_source));
	return alert->times == NULL || alert->sources == NULL ? -1 : 0;
}

void policy_alert_free(struct lockout_policy *policy)
{
	struct policy_alert *alert = policy->alert;

	if (alert == NULL)
		return;
	policy->alert = NULL;
	lockout_satable_free(&alert->sources);
	free(alert->times);
	free(alert);
}

size_t policy_alert_memory(const struct lockout_policy *policy)
{
	const struct policy_alert *alert = policy->alert;

	if (alert == NULL)
		return 0;
	return sizeof(*alert) + alert->size * sizeof(*alert->times) +
		lockout_satable_memory(alert->sources);
}

/* The local part of user, case folded, cut to POLICY_ALERT_NAME - 1. */
static void alert_person(char dest[POLICY_ALERT_NAME], const char *user)
{
	const char *at;
	size_t i, len;

	if (user == NULL)
		user = "";
	at = strrchr(user, '@');
	len = at == NULL ? strlen(user) : (size_t)(at - user);
	if (len > POLICY_ALERT_NAME - 1)
		len = POLICY_ALERT_NAME - 1;
	for (i = 0; i < len; i++) {
		char c = user[i];

		dest[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	dest[len] = '\0';
}

bool policy_alert_same_person(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i = 0;

	if (la > lb + 1 || lb > la + 1)
		return false;
	while (a[i] != '\0' && a[i] == b[i])
		i++;
	if (a[i] == '\0' && b[i] == '\0')
		return true;
	if (la == lb) {
		/* one letter changed, or two swapped */
		if (strcmp(a + i + 1, b + i + 1) == 0)
			return true;
		return a[i + 1] == b[i] && a[i] == b[i + 1] &&
			strcmp(a + i + 2, b + i + 2) == 0;
	}
	/* one letter left out of the longer */
	return la > lb ? strcmp(a + i + 1, b + i) == 0 :
		strcmp(a + i, b + i + 1) == 0;
}

bool policy_net_had_success(const struct lockout_policy *policy,
			    const struct lockout_addr *ip, int64_t now)
{
	const struct history *hist;
	struct lockout_net net;

	lockout_policy_device_net(policy, ip, &net);
	hist = policy_history_find(policy, &net);
	return hist != NULL && hist->had_success &&
		now - policy_time64(policy, hist->last_success) <
		(int64_t)policy->cfg->known_device_time;
}

/* Is the alert on at now32: the oldest of the last alert_unknown counted
   failures within the window? */
static bool alert_is_on(const struct lockout_policy *policy, uint32_t now32)
{
	const struct policy_alert *alert = policy->alert;

	return alert->len == alert->size &&
		now32 - alert->times[alert->head] <
		policy->cfg->alert_window;
}

static int alert_event(struct lockout_policy *policy, struct emit_ctx *ctx,
		       const struct lockout_attempt *a,
		       const struct source *src, bool start)
{
	const struct lockout_config *cfg = policy->cfg;
	const struct policy_alert *alert = policy->alert;
	struct policy_count count = {
		alert->len, cfg->alert_unknown, cfg->alert_window, 0
	};
	uint32_t now32 = policy_time32(policy, a->time);
	struct lockout_decision d;
	char window[32];
	unsigned int i;

	if (!start) {
		/* the failures left within the window (the end is rare: a
		   pass over the ring is fine) */
		count.failures = 0;
		for (i = 0; i < alert->len; i++) {
			if (now32 - alert->times[i] < cfg->alert_window)
				count.failures++;
		}
	}

	policy_decision_init(policy, &d, LOCKOUT_DECISION_NOTABLE,
			     start ? "alert_started" : "alert_ended", a->time,
			     start ? a->user : NULL, &src->net);
	d.failures = count.failures;
	lockout_interval_to_str(cfg->alert_window, window, sizeof(window));
	if (start) {
		snprintf(policy->reason, sizeof(policy->reason),
			 "%u failed logins to unknown users from networks "
			 "without successes within %s, server-wide: a "
			 "credential stuffing or spraying campaign; sources "
			 "failing on an unknown user and another person are "
			 "banned", alert->len, window);
	} else {
		snprintf(policy->reason, sizeof(policy->reason),
			 "fewer than %u failed logins to unknown users within "
			 "%s since %lld", cfg->alert_unknown, window,
			 (long long)policy_time64(policy,
				alert->times[alert->head] +
				cfg->alert_window));
	}
	return policy_emit_notable(policy, ctx, &d, src, &count);
}

int policy_alert_note(struct lockout_policy *policy, struct source *src,
		      const struct lockout_attempt *a, uint32_t now32,
		      struct emit_ctx *ctx, unsigned int *people_r)
{
	const struct lockout_config *cfg = policy->cfg;
	struct policy_alert *alert = policy->alert;
	struct alert_source *as;
	char person[POLICY_ALERT_NAME];
	bool other;

	*people_r = 0;
	if (alert == NULL)
		return 0;
	if (alert->on && !alert_is_on(policy, now32)) {
		alert->on = false;
		if (alert_event(policy, ctx, a, src, false) < 0)
			return -1;
	}
	/* a name Dovecot refused is no person; a network with successes
	   is somebody's */
	if (a->outcome == LOCKOUT_OUTCOME_INVALID_USER ||
	    policy_net_had_success(policy, &a->ip, a->time))
		return 0;
	as = lockout_satable_get(alert->sources,
				 policy_net_key(policy, &src->net),
				 NULL, NULL);
	if (a->outcome == LOCKOUT_OUTCOME_UNKNOWN_USER) {
		alert->times[alert->head] = now32;
		alert->head = (alert->head + 1) % alert->size;
		if (alert->len < alert->size)
			alert->len++;
		if (alert_is_on(policy, now32)) {
			as->suspect = now32;
			if (!alert->on) {
				alert->on = true;
				if (alert_event(policy, ctx, a, src,
						true) < 0)
					return -1;
			}
		}
	}
	alert_person(person, a->user);
	other = as->time != 0 && now32 - as->time < cfg->ip_window &&
		!policy_alert_same_person(as->person, person);
	as->time = now32;
	memcpy(as->person, person, sizeof(as->person));
	if (other && as->suspect != 0 &&
	    now32 - as->suspect < cfg->alert_window)
		*people_r = 2;
	return 0;
}

void policy_alert_forget(struct lockout_policy *policy,
			 const struct lockout_net *net)
{
	struct alert_source *as;

	if (policy->alert == NULL)
		return;
	as = lockout_satable_find(policy->alert->sources,
				  policy_net_key(policy, net));
	if (as != NULL)
		lockout_satable_remove(policy->alert->sources, as);
}

bool policy_alert_refuse(const struct lockout_policy *policy, int64_t now,
			 const struct lockout_addr *ip, const char *account)
{
	const struct policy_alert *alert = policy->alert;
	const struct alert_source *as;
	struct lockout_net net;
	char person[POLICY_ALERT_NAME];

	if (alert == NULL || policy->cfg->alert_refuse != LOCKOUT_YES)
		return false;
	lockout_policy_source_net(policy, ip, &net);
	as = lockout_satable_find(alert->sources, policy_net_key(policy, &net));
	if (as == NULL || as->suspect == 0 ||
	    now - policy_time64(policy, as->time) >=
	    (int64_t)policy->cfg->ip_window ||
	    now - policy_time64(policy, as->suspect) >=
	    (int64_t)policy->cfg->alert_window)
		return false;
	/* the person its failure after would ban it at (policy_alert_note()) */
	alert_person(person, account);
	return !policy_alert_same_person(as->person, person);
}
