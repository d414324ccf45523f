/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-simulate.h"
#include "lockout-error.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Targeted names seen as accounts (a success, or a wrong password said so)
   that are remembered to replay failures of unknown kind: only these few
   names are kept, never every account. */
#define SIM_KNOWN_TARGETED_MAX 256
/* Input times are cut to +-SIM_TIME_MAX (the trace format allows 2^53). */
#define SIM_TIME_MAX ((int64_t)1 << 55)
/* Active bans are purged of expired ones when they doubled since the last
   purge (plus this), so a purge costs O(1) per ban created. */
#define SIM_EXPIRE_SLACK 64

/* Distinct lines of a summary list are counted exactly up to this many
   (a set of hashes), and as a floor beyond. */
#define SIM_DISTINCT_MAX 4096
#define SIM_DISTINCT_SLOTS (2 * SIM_DISTINCT_MAX)

struct sim_seen {
	uint64_t keys[SIM_DISTINCT_SLOTS]; /* 0 = free */
	size_t count;
	/* the hash key (the simulation's): the names come from the logs */
	const unsigned char *key;
};

/* What the summary tells about a ban that refused a successful login. */
struct sim_ban_info {
	int64_t time;
	unsigned int rule; /* index in summary.rules, or UINT_MAX */
};

struct lockout_simulate {
	const struct lockout_config *cfg;
	unsigned char key[LOCKOUT_HASH_KEY_SIZE];
	struct lockout_policy *policy;
	struct lockout_sim_callbacks cb;
	struct lockout_sim_summary summary;

	bool have_time;
	int64_t last_time;
	uint64_t next_index, current_index;
	size_t expire_mark;

	/* bans carry 1 + their index here as their banset id */
	struct sim_ban_info *bans;
	size_t ban_count, ban_alloc;
	bool oom;

	char *known_targeted[SIM_KNOWN_TARGETED_MAX];
	unsigned int known_targeted_count;

	/* distinct lines of the summary lists */
	struct sim_seen seen_protected, seen_stale, seen_guessed,
		seen_refused;
};

static const char *const result_names[] = {
	[LOCKOUT_SIM_OK] = "ok",
	[LOCKOUT_SIM_MISMATCH] = "mismatch",
	[LOCKOUT_SIM_UNKNOWN_USER] = "unknown_user",
	[LOCKOUT_SIM_FAILED] = "failed",
	[LOCKOUT_SIM_REFUSED] = "refused",
};

const char *lockout_sim_result_to_str(enum lockout_sim_result result)
{
	if ((unsigned int)result >= sizeof(result_names) /
	    sizeof(result_names[0]))
		return "unknown";
	return result_names[result];
}

int lockout_simulate_create(const struct lockout_config *cfg,
			    const unsigned char key[LOCKOUT_HASH_KEY_SIZE],
			    const struct lockout_sim_callbacks *callbacks,
			    struct lockout_simulate **sim_r,
			    const char **error_r)
{
	struct lockout_simulate *sim;

	*sim_r = NULL;
	sim = calloc(1, sizeof(*sim));
	if (sim == NULL) {
		*error_r = "Out of memory";
		return -1;
	}
	sim->cfg = cfg;
	if (callbacks != NULL)
		sim->cb = *callbacks;
	if (key != NULL)
		memcpy(sim->key, key, sizeof(sim->key));
	else
		lockout_hash_key_random(sim->key);
	sim->seen_protected.key = sim->seen_stale.key = sim->key;
	sim->seen_guessed.key = sim->seen_refused.key = sim->key;
	sim->policy = lockout_policy_create(cfg, sim->key);
	if (sim->policy == NULL) {
		*error_r = lockout_error_fmt(
			"Out of memory creating the policy engine "
			"(lockout_max_sources=%u, lockout_max_users=%u, "
			"lockout_max_known_devices=%u)", cfg->max_sources,
			cfg->max_users, cfg->max_known_devices);
		free(sim);
		return -1;
	}
	*sim_r = sim;
	return 0;
}

void lockout_simulate_free(struct lockout_simulate **_sim)
{
	struct lockout_simulate *sim = *_sim;
	unsigned int i;

	if (sim == NULL)
		return;
	*_sim = NULL;
	lockout_policy_free(&sim->policy);
	for (i = 0; i < sim->known_targeted_count; i++)
		free(sim->known_targeted[i]);
	free(sim->bans);
	free(sim);
}

/* --- summary lists -------------------------------------------------------- */

static void copy_cut(char *dest, size_t size, const char *src)
{
	snprintf(dest, size, "%s", src == NULL ? "" : src);
}

/* Whether the line (target, user) is new to seen: true when it was
   added, or could not be because seen is full. */
static bool seen_add(struct sim_seen *seen, const char *target,
		     const char *user)
{
	uint64_t h, pair[2];
	size_t i;

	/* the target and the ASCII-lower-cased user */
	pair[0] = lockout_hash(seen->key, target, strlen(target));
	pair[1] = lockout_hash_lower(seen->key, user, strlen(user));
	h = lockout_hash(seen->key, pair, sizeof(pair));
	if (h == 0)
		h = 1;
	for (i = h % SIM_DISTINCT_SLOTS; seen->keys[i] != 0;
	     i = (i + 1) % SIM_DISTINCT_SLOTS) {
		if (seen->keys[i] == h)
			return false;
	}
	if (seen->count < SIM_DISTINCT_MAX) {
		seen->keys[i] = h;
		seen->count++;
		return true;
	}
	/* full: a floor from now on */
	return false;
}

/* Note an event of list for (target, user): merged into its line when
   the list holds one (merge_target/merge_user say what makes a line),
   else a new line when there is room. Returns the new line to fill in,
   or NULL. seen (NULL when every event is its own line) counts the
   distinct lines. */
static struct lockout_sim_item *
list_note(struct lockout_sim_list *list, struct sim_seen *seen,
	  const char *target, const char *user, bool merge_target,
	  bool merge_user, int64_t time, uint64_t index)
{
	struct lockout_sim_item *item;
	unsigned int i;

	list->total++;
	if (seen == NULL)
		list->distinct++;
	else if (seen_add(seen, merge_target ? target : "",
			  merge_user ? user : ""))
		list->distinct++;
	else {
		for (i = 0; i < list->count; i++) {
			item = &list->items[i];
			if (merge_target && strcmp(item->target, target) != 0)
				continue;
			if (merge_user && strcasecmp(item->user, user) != 0)
				continue;
			item->count++;
			item->last_time = time;
			return NULL;
		}
		return NULL;
	}
	if (list->count == LOCKOUT_SIM_LIST_MAX)
		return NULL;
	item = &list->items[list->count++];
	memset(item, 0, sizeof(*item));
	item->time = time;
	item->last_time = time;
	item->index = index;
	item->count = 1;
	copy_cut(item->target, sizeof(item->target), target);
	copy_cut(item->user, sizeof(item->user), user);
	return item;
}

static unsigned int rule_index(struct lockout_sim_summary *s, const char *rule)
{
	unsigned int i;

	for (i = 0; i < s->rule_count; i++) {
		if (strcmp(s->rules[i].rule, rule) == 0)
			return i;
	}
	if (s->rule_count == LOCKOUT_SIM_RULES_MAX)
		return UINT32_MAX;
	copy_cut(s->rules[i].rule, sizeof(s->rules[i].rule), rule);
	s->rule_count++;
	return i;
}

/* --- decisions ------------------------------------------------------------ */

static int sim_note_ban(struct lockout_simulate *sim,
			const struct lockout_decision *d, unsigned int rule)
{
	struct sim_ban_info *bans;
	size_t alloc;

	if (sim->ban_count == sim->ban_alloc) {
		alloc = sim->ban_alloc == 0 ? 64 : sim->ban_alloc * 2;
		bans = realloc(sim->bans, alloc * sizeof(*bans));
		if (bans == NULL)
			return -1;
		sim->bans = bans;
		sim->ban_alloc = alloc;
	}
	sim->bans[sim->ban_count].time = d->time;
	sim->bans[sim->ban_count].rule = rule;
	sim->ban_count++;
	/* the ban the engine just added, now with our id (as the auth
	   module gives it the row id of the table) */
	return lockout_banset_add(lockout_policy_bans(sim->policy), &d->net,
				  d->expires, (int64_t)sim->ban_count);
}

static void sim_decision(const struct lockout_decision *d, void *context)
{
	struct lockout_simulate *sim = context;
	struct lockout_sim_summary *s = &sim->summary;
	struct lockout_sim_item *item;
	unsigned int rule;
	int64_t previous = 0;

	switch (d->type) {
	case LOCKOUT_DECISION_BAN:
		s->bans++;
		if (d->kind == LOCKOUT_KIND_IP)
			s->bans_ip++;
		else
			s->bans_net++;
		if (d->expires == 0)
			s->bans_permanent++;
		if (lockout_json_get_int(d->evidence, "previous_bans",
					 &previous) > 0 && previous > 0)
			s->bans_escalated++;
		rule = rule_index(s, d->rule);
		if (rule != UINT32_MAX)
			s->rules[rule].count++;
		if (sim_note_ban(sim, d, rule) < 0)
			sim->oom = true;
		break;
	case LOCKOUT_DECISION_PROTECT:
		item = list_note(&s->protected_accounts, &sim->seen_protected,
				 "", d->target, false, true, d->time,
				 sim->current_index);
		if (item != NULL) {
			item->failures = d->failures;
			copy_cut(item->rule, sizeof(item->rule), d->rule);
			copy_cut(item->reason, sizeof(item->reason),
				 d->reason);
		}
		break;
	case LOCKOUT_DECISION_KNOWN_DEVICE:
		s->known_devices++;
		break;
	case LOCKOUT_DECISION_NOTABLE:
		if (strcmp(d->rule, "stale_client") == 0) {
			item = list_note(&s->stale_clients, &sim->seen_stale,
					 d->target, d->user, true, true,
					 d->time, sim->current_index);
		} else if (strcmp(d->rule, "success_after_failures") == 0) {
			item = list_note(&s->guessed, &sim->seen_guessed,
					 d->target, d->user, true, true,
					 d->time, sim->current_index);
		} else {
			item = NULL;
		}
		if (item != NULL) {
			item->failures = d->failures;
			copy_cut(item->rule, sizeof(item->rule), d->rule);
			copy_cut(item->reason, sizeof(item->reason),
				 d->reason);
		}
		break;
	}
	if (sim->cb.decision != NULL)
		sim->cb.decision(sim->current_index, d, sim->cb.context);
}

/* --- targeted names seen as accounts -------------------------------------- */

static bool sim_known_targeted(const struct lockout_simulate *sim,
			       const char *user)
{
	unsigned int i;

	for (i = 0; i < sim->known_targeted_count; i++) {
		if (strcasecmp(sim->known_targeted[i], user) == 0)
			return true;
	}
	return false;
}

static void sim_note_account(struct lockout_simulate *sim, const char *user)
{
	char *copy;

	if (user[0] == '\0' || !lockout_config_is_targeted(sim->cfg, user) ||
	    sim_known_targeted(sim, user) ||
	    sim->known_targeted_count == SIM_KNOWN_TARGETED_MAX)
		return;
	copy = strdup(user);
	if (copy == NULL) {
		sim->oom = true;
		return;
	}
	sim->known_targeted[sim->known_targeted_count++] = copy;
}

/* --- the replay ----------------------------------------------------------- */

/* The outcome an input result is replayed as, when not refused. */
static enum lockout_outcome sim_outcome(struct lockout_simulate *sim,
					const struct lockout_sim_attempt *a)
{
	switch (a->result) {
	case LOCKOUT_SIM_OK:
		return LOCKOUT_OUTCOME_SUCCESS;
	case LOCKOUT_SIM_MISMATCH:
		return LOCKOUT_OUTCOME_MISMATCH;
	case LOCKOUT_SIM_UNKNOWN_USER:
		return LOCKOUT_OUTCOME_UNKNOWN_USER;
	case LOCKOUT_SIM_FAILED:
	case LOCKOUT_SIM_REFUSED:
		break;
	}
	/* the input cannot tell: bots aim at targeted names that are no
	   accounts, so such a name counts as unknown until it is seen as an
	   account */
	if (a->user[0] != '\0' &&
	    lockout_config_is_targeted(sim->cfg, a->user) &&
	    !sim_known_targeted(sim, a->user)) {
		sim->summary.failures_guessed_unknown++;
		return LOCKOUT_OUTCOME_UNKNOWN_USER;
	}
	return LOCKOUT_OUTCOME_MISMATCH;
}

static void sim_count_input(struct lockout_sim_summary *s,
			    const struct lockout_sim_attempt *a)
{
	switch (a->result) {
	case LOCKOUT_SIM_OK:
		s->successes++;
		break;
	case LOCKOUT_SIM_MISMATCH:
		s->mismatches++;
		break;
	case LOCKOUT_SIM_UNKNOWN_USER:
		s->unknown_users++;
		break;
	case LOCKOUT_SIM_FAILED:
		s->failures_unknown_kind++;
		break;
	case LOCKOUT_SIM_REFUSED:
		s->recorded_refused++;
		break;
	}
	if (a->result != LOCKOUT_SIM_OK && a->password_tag != 0)
		s->failures_with_password++;
}

/* A successful login the replay refused: who, when, and why. */
static void sim_refused_success(struct lockout_simulate *sim,
				const struct lockout_sim_attempt *a,
				int64_t now, enum lockout_verdict verdict,
				const struct lockout_banset_entry *ban)
{
	struct lockout_sim_summary *s = &sim->summary;
	struct lockout_sim_item *item;
	char addr[LOCKOUT_ADDR_STRLEN];
	const struct sim_ban_info *info;

	lockout_addr_to_str(&a->ip, addr);
	item = list_note(&s->refused_successes, &sim->seen_refused, addr,
			 a->user, false, true, now, sim->current_index);
	if (item == NULL)
		return;
	if (verdict == LOCKOUT_VERDICT_UNKNOWN_NAME ||
	    verdict == LOCKOUT_VERDICT_SUSPECT) {
		copy_cut(item->rule, sizeof(item->rule),
			 verdict == LOCKOUT_VERDICT_SUSPECT ?
			 "unknown_alert" : "unknown_names");
		return;
	}
	if (verdict == LOCKOUT_VERDICT_PROTECTED || ban == NULL) {
		copy_cut(item->rule, sizeof(item->rule), "protected");
		return;
	}
	lockout_net_to_str(&ban->net, item->ban_target);
	if (ban->id > 0 && (size_t)ban->id <= sim->ban_count) {
		info = &sim->bans[ban->id - 1];
		item->ban_time = info->time;
		if (info->rule < s->rule_count)
			copy_cut(item->rule, sizeof(item->rule),
				 s->rules[info->rule].rule);
	}
}

static int sim_one(struct lockout_simulate *sim,
		   const struct lockout_sim_attempt *a, int64_t now)
{
	struct lockout_sim_summary *s = &sim->summary;
	const struct lockout_banset_entry *ban;
	struct lockout_banset *bans = lockout_policy_bans(sim->policy);
	struct lockout_attempt attempt;
	enum lockout_verdict verdict;
	const char *user = a->user[0] == '\0' ? NULL : a->user;

	sim->current_index = sim->next_index++;
	s->attempts++;
	sim_count_input(s, a);

	/* as the passdb asks before the password is checked */
	verdict = lockout_policy_check_password(sim->policy, now, &a->ip,
						user, a->password_tag, &ban);
	if (sim->cb.verdict != NULL)
		sim->cb.verdict(sim->current_index, verdict, sim->cb.context);

	memset(&attempt, 0, sizeof(attempt));
	attempt.time = now;
	attempt.ip = a->ip;
	attempt.user = user;
	attempt.service = a->service[0] == '\0' ? NULL : a->service;
	attempt.mechanism = a->mechanism[0] == '\0' ? NULL : a->mechanism;
	attempt.password_tag = a->password_tag;
	if (verdict != LOCKOUT_VERDICT_ALLOW) {
		s->refused++;
		if (verdict == LOCKOUT_VERDICT_BANNED)
			s->refused_banned++;
		else if (verdict == LOCKOUT_VERDICT_UNKNOWN_NAME)
			s->refused_names++;
		else if (verdict == LOCKOUT_VERDICT_SUSPECT)
			s->refused_suspects++;
		else
			s->refused_protected++;
		if (a->result == LOCKOUT_SIM_OK)
			sim_refused_success(sim, a, now, verdict, ban);
		else if (a->result == LOCKOUT_SIM_REFUSED)
			s->recorded_refused_agreed++;
		/* as the auth module: a refusal for a protected account
		   still counts against its source, one of an unknown name
		   as the unknown user it is */
		attempt.outcome = verdict == LOCKOUT_VERDICT_PROTECTED ?
			LOCKOUT_OUTCOME_PROTECTED :
			verdict == LOCKOUT_VERDICT_UNKNOWN_NAME ?
			LOCKOUT_OUTCOME_UNKNOWN_NAME :
			verdict == LOCKOUT_VERDICT_SUSPECT ?
			LOCKOUT_OUTCOME_SUSPECT : LOCKOUT_OUTCOME_REFUSED;
	} else {
		attempt.outcome = sim_outcome(sim, a);
	}
	if (user != NULL && (a->result == LOCKOUT_SIM_OK ||
			     a->result == LOCKOUT_SIM_MISMATCH))
		sim_note_account(sim, user);

	if (lockout_policy_observe(sim->policy, &attempt, sim_decision,
				   sim) < 0)
		sim->oom = true;

	if (lockout_banset_count(bans) > s->peak_bans)
		s->peak_bans = lockout_banset_count(bans);
	if (lockout_banset_count(bans) > sim->expire_mark * 2 +
	    SIM_EXPIRE_SLACK) {
		(void)lockout_banset_expire(bans, now);
		sim->expire_mark = lockout_banset_count(bans);
	}
	return 0;
}

int lockout_simulate_feed(struct lockout_simulate *sim,
			  const struct lockout_sim_attempt *a,
			  const char **error_r)
{
	struct lockout_sim_summary *s = &sim->summary;
	unsigned int i, count;
	int64_t t, now;

	/* the engine adds durations to times: keep far from overflow */
	t = a->time;
	if (t > SIM_TIME_MAX)
		t = SIM_TIME_MAX;
	else if (t < -SIM_TIME_MAX)
		t = -SIM_TIME_MAX;
	if (!sim->have_time) {
		/* the engine reads 0 as "never": keep every time above it */
		s->time_shift = t >= 1 ? 0 : 1 - t;
		s->first_time = t + s->time_shift;
		sim->last_time = s->first_time;
		sim->have_time = true;
	}
	now = t + s->time_shift;
	count = a->count == 0 ? 1 : a->count;
	if (count > LOCKOUT_SIM_COUNT_MAX)
		count = LOCKOUT_SIM_COUNT_MAX;
	if (now < sim->last_time) {
		/* the engine assumes time does not go back */
		s->time_backwards += count;
		now = sim->last_time;
	}
	sim->last_time = now;
	s->last_time = now;

	for (i = 0; i < count; i++)
		(void)sim_one(sim, a, now);
	if (sim->oom) {
		sim->oom = false;
		*error_r = "Out of memory in the policy engine";
		return -1;
	}
	return 0;
}

const struct lockout_sim_summary *
lockout_simulate_summary(struct lockout_simulate *sim)
{
	sim->summary.engine_memory = lockout_policy_memory(sim->policy);
	return &sim->summary;
}

/* --- JSON ----------------------------------------------------------------- */

static const char *const decision_type_names[] = {
	[LOCKOUT_DECISION_BAN] = "ban",
	[LOCKOUT_DECISION_PROTECT] = "protect",
	[LOCKOUT_DECISION_KNOWN_DEVICE] = "known_device",
	[LOCKOUT_DECISION_NOTABLE] = "notable",
};

int lockout_sim_decision_to_json(struct lockout_str *str, uint64_t index,
				 const struct lockout_decision *d)
{
	const char *evidence = d->evidence == NULL ? "{}" : d->evidence;
	const char *none = NULL;
	bool timed = d->type == LOCKOUT_DECISION_BAN ||
		d->type == LOCKOUT_DECISION_PROTECT;
	bool valid;

	/* the evidence is embedded as it is: only if it really is one JSON
	   object */
	valid = evidence[0] == '{' &&
		lockout_json_find_values(evidence, &none, 0, &none) == 0;
	lockout_str_printf(str, "{\"i\":%llu,\"time\":%lld,\"type\":\"%s\","
			   "\"kind\":\"%s\",\"target\":",
			   (unsigned long long)index, (long long)d->time,
			   (size_t)d->type < sizeof(decision_type_names) /
			   sizeof(decision_type_names[0]) ?
			   decision_type_names[d->type] : "other",
			   lockout_kind_to_str(d->kind));
	lockout_json_append_string(str, d->target);
	lockout_str_append(str, ",\"user\":");
	lockout_json_append_string(str, d->user);
	lockout_str_append(str, ",\"rule\":");
	lockout_json_append_string(str, d->rule);
	lockout_str_append(str, ",\"reason\":");
	lockout_json_append_string(str, d->reason);
	if (timed && d->expires != 0)
		lockout_str_printf(str, ",\"expires\":%lld",
				   (long long)d->expires);
	else
		lockout_str_append(str, ",\"expires\":null");
	lockout_str_printf(str, ",\"failures\":%u,\"evidence\":%s}",
			   d->failures, valid ? evidence : "null");
	return valid && lockout_str_c(str) != NULL ? 0 : -1;
}
