/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-report.h"
#include "lockout-utf8.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Room for sanitized text of up to SANITIZE_MAX bytes (an escape is at
   most 4 times what it stands for), "..." and NUL. */
#define SANITIZE_MAX 160
#define SANITIZE_BUF_SIZE (SANITIZE_MAX * 4 + 4)
/* Inputs named on the "Input:" line; more are counted. */
#define REPORT_PATHS_MAX 5
/* Times from this on are unix times; smaller ones are relative. */
#define REPORT_UNIX_TIME_MIN 1000000000

/* --- text from the input -------------------------------------------------- */

/* src as people may see it, in buf: escaped by the one rule of liblockout
   (lockout_utf8_escape(): control characters, bidirectional controls and
   invalid UTF-8 bytes as \x1b, \u202e, \xff); when src is longer than
   max bytes, cut first to at most max - 3 bytes at a character boundary
   and "..." added. */
static const char *sanitize(char buf[SANITIZE_BUF_SIZE], const char *src,
			    size_t max)
{
	char cut[SANITIZE_MAX + 1];
	size_t i = 0, n, len;
	uint32_t cp;

	if (max > SANITIZE_MAX)
		max = SANITIZE_MAX;
	if (strnlen(src, max + 1) <= max) {
		(void)lockout_utf8_escape(buf, SANITIZE_BUF_SIZE, src, 0);
		return buf;
	}
	while (max >= 3 && src[i] != '\0') {
		n = lockout_utf8_decode((const unsigned char *)src + i, &cp);
		if (i + n > max - 3)
			break;
		i += n;
	}
	memcpy(cut, src, i);
	cut[i] = '\0';
	len = lockout_utf8_escape(buf, SANITIZE_BUF_SIZE - 3, cut, 0);
	memcpy(buf + len, "...", 4);
	return buf;
}

static void append_sanitized(struct lockout_str *out, const char *s,
			     size_t max)
{
	char buf[SANITIZE_BUF_SIZE];

	lockout_str_append(out, sanitize(buf, s, max));
}

/* A username or account: sanitized, "(none)" when empty. */
static const char *name_str(char buf[SANITIZE_BUF_SIZE], const char *s)
{
	return s[0] == '\0' ? "(none)" : sanitize(buf, s, 64);
}

/* --- numbers and times ---------------------------------------------------- */

static void append_time(struct lockout_str *out, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	/* relative times stay numbers; unix times become local dates, as
	   in the logs */
	if (t < REPORT_UNIX_TIME_MIN || localtime_r(&tt, &tm) == NULL)
		lockout_str_printf(out, "t=%lld", (long long)t);
	else if (strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		lockout_str_append(out, "?");
	else
		lockout_str_append(out, buf);
}

static void append_duration(struct lockout_str *out, int64_t secs)
{
	if (secs < 120)
		lockout_str_printf(out, "%lld secs", (long long)secs);
	else if (secs < 2 * 3600)
		lockout_str_printf(out, "%lld mins", (long long)(secs / 60));
	else if (secs < 2 * 86400)
		lockout_str_printf(out, "%lld hours", (long long)(secs / 3600));
	else
		lockout_str_printf(out, "%lld days", (long long)(secs / 86400));
}

/* "1 login", "2 logins" */
static void append_plural(struct lockout_str *out, uint64_t n,
			  const char *one, const char *many)
{
	lockout_str_printf(out, "%llu %s", (unsigned long long)n,
			   n == 1 ? one : many);
}

static void append_more(struct lockout_str *out,
			const struct lockout_sim_list *list, const char *what)
{
	if (list->distinct > list->count) {
		lockout_str_printf(out, "  ... and %llu more %s\n",
				   (unsigned long long)(list->distinct -
							list->count), what);
	}
}

/* --- the lists ------------------------------------------------------------ */

static void report_list(struct lockout_str *out,
			const struct lockout_sim_list *list, bool with_target,
			const char *what)
{
	const struct lockout_sim_item *item;
	char buf[SANITIZE_BUF_SIZE];
	unsigned int i;

	for (i = 0; i < list->count; i++) {
		item = &list->items[i];
		lockout_str_append(out, "  ");
		if (with_target)
			lockout_str_printf(out, "%-18s ", item->target);
		lockout_str_printf(out, "%-28s ", name_str(buf, item->user));
		append_time(out, item->time);
		if (item->count > 1) {
			lockout_str_printf(out, " (%llu times, last ",
					   (unsigned long long)item->count);
			append_time(out, item->last_time);
			lockout_str_append(out, ")");
		}
		if (item->reason[0] != '\0') {
			lockout_str_append(out, ": ");
			append_sanitized(out, item->reason, 160);
		}
		lockout_str_append(out, "\n");
	}
	append_more(out, list, what);
}

static void report_refused(struct lockout_str *out,
			   const struct lockout_sim_list *list)
{
	const struct lockout_sim_item *item;
	char buf[SANITIZE_BUF_SIZE];
	unsigned int i;

	for (i = 0; i < list->count; i++) {
		item = &list->items[i];
		lockout_str_printf(out, "  %-28s ", name_str(buf, item->user));
		append_plural(out, item->count, "login", "logins");
		lockout_str_append(out, ", first ");
		append_time(out, item->time);
		lockout_str_printf(out, " from %s: ", item->target);
		if (item->ban_target[0] == '\0') {
			lockout_str_append(out, "the account was protected");
		} else {
			lockout_str_printf(out, "%s was banned",
					   item->ban_target);
			if (item->rule[0] != '\0') {
				lockout_str_printf(out, " (rule %s, ",
						   item->rule);
				append_time(out, item->ban_time);
				lockout_str_append(out, ")");
			}
		}
		if (item->count > 1) {
			lockout_str_append(out, "; last ");
			append_time(out, item->last_time);
		}
		lockout_str_append(out, "\n");
	}
	append_more(out, list, "users");
}

/* --- the summary ---------------------------------------------------------- */

static void report_input(struct lockout_str *out,
			 const struct lockout_report_input *in)
{
	const struct lockout_logparse_stats *ls = in->log_stats;
	unsigned int i;

	lockout_str_printf(out, "Input:     %s, ", ls != NULL ?
			   "Dovecot log" : "trace");
	for (i = 0; i < in->path_count; i++) {
		if (i == REPORT_PATHS_MAX) {
			lockout_str_printf(out, "... (%u files), ",
					   in->path_count);
			break;
		}
		append_sanitized(out, in->paths[i], 80);
		lockout_str_append(out, ", ");
	}
	append_plural(out, in->lines, "line", "lines");
	if (ls == NULL) {
		if (in->malformed > 0) {
			lockout_str_printf(out, ", %llu malformed (skipped)",
					   (unsigned long long)in->malformed);
		}
		lockout_str_append(out, "\n");
		return;
	}
	lockout_str_printf(out, ": %llu used, %llu ignored, %llu unusable\n",
			   (unsigned long long)ls->used,
			   (unsigned long long)ls->ignored,
			   (unsigned long long)ls->unusable);
	if (ls->no_timestamp > 0 || ls->backwards > 0) {
		lockout_str_printf(out, "           (%llu without a timestamp, "
				   "%llu going back in time)\n",
				   (unsigned long long)ls->no_timestamp,
				   (unsigned long long)ls->backwards);
	}
}

static void report_settings(struct lockout_str *out,
			    const struct lockout_config *cfg,
			    const char *const *overrides)
{
	char window[32], ban[32], ban_max[32];
	unsigned int i;

	lockout_interval_to_str(cfg->ip_window, window, sizeof(window));
	lockout_interval_to_str(cfg->ban_time, ban, sizeof(ban));
	lockout_interval_to_str(cfg->ban_time_max, ban_max, sizeof(ban_max));
	lockout_str_printf(out, "Settings:  %u failures within %s ban a source "
			   "for %s (up to %s); %u failures of an account "
			   "protect it\n", cfg->ip_failures, window, ban,
			   ban_max, cfg->user_failures);
	if (overrides == NULL || overrides[0] == NULL)
		return;
	lockout_str_append(out, "           with");
	for (i = 0; overrides[i] != NULL; i++) {
		lockout_str_append(out, " ");
		append_sanitized(out, overrides[i], 80);
	}
	lockout_str_append(out, "\n");
}

static void report_counts(struct lockout_str *out,
			  const struct lockout_sim_summary *s)
{
	unsigned int i;

	lockout_str_printf(out, "\nAttempts:            %llu (successes %llu, "
			   "wrong passwords %llu, unknown users %llu",
			   (unsigned long long)s->attempts,
			   (unsigned long long)s->successes,
			   (unsigned long long)s->mismatches,
			   (unsigned long long)s->unknown_users);
	if (s->failures_unknown_kind > 0) {
		lockout_str_printf(out, ", failures of unknown kind %llu",
				   (unsigned long long)
				   s->failures_unknown_kind);
	}
	if (s->recorded_refused > 0) {
		lockout_str_printf(out, ", refused by the server %llu",
				   (unsigned long long)s->recorded_refused);
	}
	lockout_str_printf(out, ")\nWould be refused:    %llu (banned source "
			   "%llu, protected account %llu",
			   (unsigned long long)s->refused,
			   (unsigned long long)s->refused_banned,
			   (unsigned long long)s->refused_protected);
	if (s->refused_names > 0) {
		lockout_str_printf(out, ", unknown name %llu",
				   (unsigned long long)s->refused_names);
	}
	if (s->refused_suspects > 0) {
		lockout_str_printf(out, ", alert suspect %llu",
				   (unsigned long long)s->refused_suspects);
	}
	lockout_str_append(out, ")\n");
	lockout_str_printf(out, "Bans:                %llu",
			   (unsigned long long)s->bans);
	if (s->bans == 0)
		return;
	lockout_str_append(out, " (");
	for (i = 0; i < s->rule_count; i++) {
		lockout_str_printf(out, "%s%s %llu", i == 0 ? "" : ", ",
				   s->rules[i].rule,
				   (unsigned long long)s->rules[i].count);
	}
	lockout_str_append(out, "; ");
	append_plural(out, s->bans_ip, "address", "addresses");
	lockout_str_append(out, ", ");
	append_plural(out, s->bans_net, "network", "networks");
	lockout_str_append(out, "; ");
	append_plural(out, s->bans_escalated, "repeat offender",
		      "repeat offenders");
	lockout_str_printf(out, ", %llu permanent)",
			   (unsigned long long)s->bans_permanent);
}

static void report_lists(struct lockout_str *out,
			 const struct lockout_sim_summary *s)
{
	lockout_str_printf(out, "\nAccounts protected:  %llu",
			   (unsigned long long)
			   s->protected_accounts.distinct);
	if (s->protected_accounts.total > s->protected_accounts.distinct) {
		lockout_str_append(out, " (");
		append_plural(out, s->protected_accounts.total, "protection",
			      "protections");
		lockout_str_append(out, ")");
	}
	lockout_str_append(out, "\n");
	report_list(out, &s->protected_accounts, false, "accounts");
	lockout_str_printf(out, "Stale clients:       %llu (a source "
			   "repeating one wrong password: reported, never "
			   "banned)\n",
			   (unsigned long long)s->stale_clients.distinct);
	report_list(out, &s->stale_clients, true, "stale clients");
	lockout_str_printf(out, "Success after many failures: %llu (possibly "
			   "guessed passwords)\n",
			   (unsigned long long)s->guessed.distinct);
	report_list(out, &s->guessed, true, "sources");

	lockout_str_printf(out, "\nSuccessful logins that would have been "
			   "refused: %llu",
			   (unsigned long long)s->refused_successes.total);
	if (s->refused_successes.total == 0) {
		lockout_str_append(out, "\n");
		return;
	}
	lockout_str_append(out, " (");
	append_plural(out, s->refused_successes.distinct, "user", "users");
	lockout_str_append(out, ")\n");
	report_refused(out, &s->refused_successes);
}

/* The notes on what limits the replay, one line each (none: nothing). */
static void report_notes(struct lockout_str *out,
			 const struct lockout_report_input *in,
			 const struct lockout_sim_summary *s)
{
	const struct lockout_logparse_stats *ls = in->log_stats;
	uint64_t failures = s->mismatches + s->unknown_users +
		s->failures_unknown_kind;
	if (failures > 0 && s->failures_with_password == 0) {
		lockout_str_append(out, "- The input has no attempted "
				   "passwords: a client repeating one wrong "
				   "password counts as many failures here, "
				   "but once in the plugin (for logs, "
				   "auth_verbose_passwords = sha1:8 records "
				   "enough to tell).\n");
	}
	if (s->failures_unknown_kind > 0) {
		lockout_str_printf(out, "- %llu failures of unknown kind (a "
				   "log without auth_verbose = yes cannot "
				   "tell a wrong password from an unknown "
				   "user): replayed as wrong passwords, "
				   "except %llu on targeted names never seen "
				   "as accounts, replayed as unknown users.\n",
				   (unsigned long long)
				   s->failures_unknown_kind,
				   (unsigned long long)
				   s->failures_guessed_unknown);
	}
	if (s->recorded_refused > 0) {
		lockout_str_printf(out, "- %llu attempts were refused by the "
				   "recorded server itself (\"user "
				   "disabled\"); the replay refuses %llu of "
				   "them.\n",
				   (unsigned long long)s->recorded_refused,
				   (unsigned long long)
				   s->recorded_refused_agreed);
	}
	if (s->time_backwards > 0) {
		lockout_str_printf(out, "- %llu attempts went back in time "
				   "and were replayed at the latest time "
				   "seen.\n",
				   (unsigned long long)s->time_backwards);
	}
	if (s->time_shift > 0) {
		lockout_str_printf(out, "- Times start at or below 0: shifted "
				   "by %lld (the engine reads 0 as "
				   "\"never\").\n", (long long)s->time_shift);
	}
	if (in->read_errors > 0) {
		lockout_str_printf(out, "- %u input files could not be read "
				   "to the end (see the errors above).\n",
				   in->read_errors);
	}
	if (ls != NULL && ls->sessions_evicted > 0) {
		lockout_str_printf(out, "- %llu sessions were forgotten before "
				   "they ended: their attempts may be counted "
				   "twice.\n",
				   (unsigned long long)ls->sessions_evicted);
	}
	if (s->attempts == 0 && in->lines > 0) {
		lockout_str_printf(out, "- Nothing to replay: is this %s? "
				   "(-i %s)\n", ls != NULL ? "a trace" :
				   "a Dovecot log", ls != NULL ? "trace" :
				   "log");
	}
}

void lockout_report_summary(struct lockout_str *out,
			    const struct lockout_config *cfg,
			    const char *const *overrides,
			    const struct lockout_report_input *input,
			    const struct lockout_sim_summary *s)
{
	struct lockout_str notes;

	lockout_str_append(out, "What dovecot-lockout would have done (as in "
			   "enforce mode)\n\n");
	report_input(out, input);
	if (s->attempts > 0) {
		lockout_str_append(out, "Period:    ");
		append_time(out, s->first_time);
		lockout_str_append(out, " .. ");
		append_time(out, s->last_time);
		lockout_str_append(out, " (");
		append_duration(out, s->last_time - s->first_time);
		lockout_str_append(out, ")\n");
	}
	report_settings(out, cfg, overrides);
	report_counts(out, s);
	report_lists(out, s);

	lockout_str_init(&notes);
	report_notes(&notes, input, s);
	if (notes.failed)
		out->failed = true;
	else if (notes.len > 0) {
		lockout_str_append(out, "\nNotes:\n");
		lockout_str_append_n(out, notes.data, notes.len);
	}
	lockout_str_free(&notes);
}

/* --- one line per verdict or decision ------------------------------------- */

void lockout_report_verdict(struct lockout_str *out, uint64_t index,
			    enum lockout_verdict verdict)
{
	lockout_str_printf(out, "{\"i\":%llu,\"verdict\":\"%s\"}\n",
			   (unsigned long long)index,
			   verdict == LOCKOUT_VERDICT_ALLOW ?
			   "allow" : "refuse");
}

int lockout_report_decision(struct lockout_str *out, uint64_t index,
			    const struct lockout_decision *d)
{
	if (d->type == LOCKOUT_DECISION_KNOWN_DEVICE)
		return 0;
	if (lockout_sim_decision_to_json(out, index, d) < 0)
		return -1;
	lockout_str_append(out, "\n");
	return 0;
}
