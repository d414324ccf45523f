/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockoutd-notify.h"
#include "lockout-error.h"
#include "lockout-utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Output characters of one field: keeps every line of the mail well under
   the 998 characters SMTP allows. */
#define FIELD_MAX 80
#define EVIDENCE_MAX 600
/* A reason is shown whole (LOCKOUT_BAN_REASON_MAX bytes, up to 4 output
   characters each), folded into lines of at most REASON_LINE characters
   after the REASON_INDENT of "  reason:   " */
#define REASON_LINE 78
#define REASON_INDENT 12
#define UNDO_HINT "doveadm lockout unban"

/* Event kinds the digest has a section for; others go to "other". */
enum event_section {
	SECTION_STALE,
	SECTION_SUCCESS,
	SECTION_OTHER,

	SECTION_COUNT
};

static const struct {
	const char *kind, *title, *note;
} sections[SECTION_COUNT] = {
	[SECTION_STALE] = {
		"stale_client",
		"Stale clients, one wrong password repeated",
		"A device keeps trying an old password: it is counted once "
		"and not\nbanned for it. Update the password on that device.",
	},
	[SECTION_SUCCESS] = {
		"success_after_failures",
		"Successful logins after many failures",
		"The password may have been guessed or stolen: if the owner "
		"did not log\nin from there, change the password now.",
	},
	[SECTION_OTHER] = { NULL, "Other events", NULL },
};

struct notify_ctx {
	const struct lockoutd_notify_settings *set;
	struct lockoutd_mail *mail;
	int64_t now;
	/* the listed bans / accounts, and how many more */
	struct lockout_str listed;
	unsigned int listed_count, more;
	bool protection;
	struct lockout_str events[SECTION_COUNT];
	unsigned int event_listed[SECTION_COUNT], event_more[SECTION_COUNT];
	struct lockout_str top;
	unsigned int top_count;
	/* accounts listed from user bans: a "protected" event of the same
	   account is not listed again */
	char *accounts[LOCKOUTD_NOTIFY_LISTED];
	unsigned int account_count;
};

void lockoutd_mail_init(struct lockoutd_mail *mail)
{
	memset(mail, 0, sizeof(*mail));
	lockout_str_init(&mail->text);
}

void lockoutd_mail_free(struct lockoutd_mail *mail)
{
	lockout_str_free(&mail->text);
	free(mail->ban_ids);
	free(mail->event_ids);
	lockoutd_mail_init(mail);
}

static int ids_add(int64_t **ids, size_t *count, size_t *size, int64_t id)
{
	int64_t *grown;
	size_t new_size;

	if (*count == *size) {
		new_size = *size == 0 ? 64 : *size * 2;
		grown = realloc(*ids, new_size * sizeof(*grown));
		if (grown == NULL)
			return -1;
		*ids = grown;
		*size = new_size;
	}
	(*ids)[(*count)++] = id;
	return 0;
}

void lockoutd_notify_append_safe(struct lockout_str *str, const char *text,
				 size_t max)
{
	/* the mail is 7-bit: every character outside ASCII escaped too */
	lockout_utf8_append_escaped(str, text, max,
				    LOCKOUT_UTF8_ESCAPE_ASCII);
}

/* text (made safe as above, never cut) folded at spaces into lines of at
   most REASON_LINE characters, the first after REASON_INDENT characters
   already written, the next ones indented as much; a word longer than a
   line is split. */
static void append_folded(struct lockout_str *str, const char *text)
{
	const size_t width = REASON_LINE - REASON_INDENT;
	struct lockout_str safe;
	const char *p, *end, *space;
	size_t len;

	lockout_str_init(&safe);
	lockoutd_notify_append_safe(&safe, text, SIZE_MAX);
	p = lockout_str_c(&safe);
	if (p == NULL) {
		str->failed = true;
		lockout_str_free(&safe);
		return;
	}
	end = p + strlen(p);
	for (;;) {
		while (*p == ' ')
			p++;
		if ((size_t)(end - p) <= width) {
			lockout_str_append_n(str, p, (size_t)(end - p));
			break;
		}
		/* the last space within the line, else a hard break */
		for (space = p + width; space > p && *space != ' '; space--) ;
		len = space > p ? (size_t)(space - p) : width;
		lockout_str_append_n(str, p, len);
		lockout_str_printf(str, "\n%*s", REASON_INDENT, "");
		p += len;
	}
	lockout_str_free(&safe);
}

/* "2026-02-03 09:12:01 UTC" */
static void append_time(struct lockout_str *str, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[64];

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, sizeof(buf), "@%lld", (long long)t);
	lockout_str_append(str, buf);
}

/* The end of a ban as of now. */
static void append_ban_state(struct lockout_str *str,
			     const struct lockout_ban *ban, int64_t now)
{
	if (ban->lifted != 0) {
		lockout_str_append(str, "lifted ");
		append_time(str, ban->lifted);
	} else if (ban->expires == 0) {
		lockout_str_append(str, "permanent");
	} else {
		lockout_str_append(str, ban->expires > now ? "until " :
				   "ended ");
		append_time(str, ban->expires);
	}
	if (ban->observed)
		lockout_str_append(str, " (observe mode: not enforced)");
}

static void append_ban(struct notify_ctx *ctx, const struct lockout_ban *ban)
{
	struct lockout_str *str = &ctx->listed;

	lockoutd_notify_append_safe(str, ban->target, FIELD_MAX);
	lockout_str_printf(str, "  (%s, %s, %s)\n",
			   lockout_kind_to_str(ban->kind),
			   lockout_source_to_str(ban->source),
			   ban->observed ? "observed" : "enforced");
	lockout_str_append(str, "  reason:   ");
	append_folded(str, ban->reason);
	lockout_str_append(str, "\n  rule:     ");
	lockoutd_notify_append_safe(str, ban->rule, FIELD_MAX);
	lockout_str_append(str, "\n  since:    ");
	append_time(str, ban->created);
	lockout_str_append(str, "\n  state:    ");
	append_ban_state(str, ban, ctx->now);
	lockout_str_printf(str, "\n  failures: %u\n  evidence: ",
			   ban->failures);
	lockoutd_notify_append_safe(str, ban->evidence, EVIDENCE_MAX);
	lockout_str_append(str, "\n  undo:     " UNDO_HINT " ");
	lockoutd_notify_append_safe(str, ban->target, FIELD_MAX);
	lockout_str_append(str, "\n\n");
}

static int notify_ban_cb(const struct lockout_ban *ban, void *context)
{
	struct notify_ctx *ctx = context;
	struct lockoutd_mail *mail = ctx->mail;

	if ((ban->kind == LOCKOUT_KIND_USER) != ctx->protection)
		return 0;
	if (ids_add(&mail->ban_ids, &mail->ban_count, &mail->ban_size,
		    ban->id) < 0) {
		mail->failed = true;
		return 1;
	}
	if (ctx->listed_count >= LOCKOUTD_NOTIFY_LISTED) {
		ctx->more++;
		return 0;
	}
	ctx->listed_count++;
	append_ban(ctx, ban);
	if (ban->kind == LOCKOUT_KIND_USER &&
	    ctx->account_count < LOCKOUTD_NOTIFY_LISTED) {
		ctx->accounts[ctx->account_count] = strdup(ban->target);
		if (ctx->accounts[ctx->account_count] == NULL) {
			mail->failed = true;
			return 1;
		}
		ctx->account_count++;
	}
	return 0;
}

static bool account_listed(const struct notify_ctx *ctx, const char *user)
{
	unsigned int i;

	for (i = 0; i < ctx->account_count; i++) {
		if (strcmp(ctx->accounts[i], user) == 0)
			return true;
	}
	return false;
}

static enum event_section event_section(const char *kind)
{
	unsigned int i;

	for (i = 0; i < SECTION_OTHER; i++) {
		if (strcmp(kind, sections[i].kind) == 0)
			return (enum event_section)i;
	}
	return SECTION_OTHER;
}

static void append_event(struct lockout_str *str,
			 const struct lockout_event *event)
{
	lockout_str_append(str, "  ");
	append_time(str, event->time);
	lockout_str_append(str, "  ");
	lockoutd_notify_append_safe(str, event->kind, FIELD_MAX);
	if (event->user[0] != '\0') {
		lockout_str_append(str, "  user ");
		lockoutd_notify_append_safe(str, event->user, FIELD_MAX);
	}
	if (event->ip[0] != '\0') {
		lockout_str_append(str, "  from ");
		lockoutd_notify_append_safe(str, event->ip, FIELD_MAX);
	}
	lockout_str_append(str, "\n    ");
	lockoutd_notify_append_safe(str, event->detail, EVIDENCE_MAX);
	lockout_str_append(str, "\n");
}

static int notify_event_cb(const struct lockout_event *event, void *context)
{
	struct notify_ctx *ctx = context;
	struct lockoutd_mail *mail = ctx->mail;
	enum event_section section;
	bool protected = strcmp(event->kind, "protected") == 0;

	if (protected != ctx->protection)
		return 0;
	if (ids_add(&mail->event_ids, &mail->event_count, &mail->event_size,
		    event->id) < 0) {
		mail->failed = true;
		return 1;
	}
	if (protected) {
		/* listed with the accounts, once per account */
		if (account_listed(ctx, event->user))
			return 0;
		if (ctx->listed_count >= LOCKOUTD_NOTIFY_LISTED) {
			ctx->more++;
			return 0;
		}
		ctx->listed_count++;
		lockoutd_notify_append_safe(&ctx->listed, event->user,
					    FIELD_MAX);
		lockout_str_append(&ctx->listed, "\n  since:    ");
		append_time(&ctx->listed, event->time);
		lockout_str_append(&ctx->listed, "\n  evidence: ");
		lockoutd_notify_append_safe(&ctx->listed, event->detail,
					    EVIDENCE_MAX);
		lockout_str_append(&ctx->listed, "\n  undo:     " UNDO_HINT
				   " ");
		lockoutd_notify_append_safe(&ctx->listed, event->user,
					    FIELD_MAX);
		lockout_str_append(&ctx->listed, "\n\n");
		return 0;
	}
	section = event_section(event->kind);
	if (ctx->event_listed[section] >= LOCKOUTD_NOTIFY_LISTED) {
		ctx->event_more[section]++;
		return 0;
	}
	ctx->event_listed[section]++;
	append_event(&ctx->events[section], event);
	return 0;
}

static int notify_top_cb(const struct lockout_top_row *row, void *context)
{
	struct notify_ctx *ctx = context;

	ctx->top_count++;
	lockout_str_printf(&ctx->top, "  %2u. ", ctx->top_count);
	lockoutd_notify_append_safe(&ctx->top, row->key, FIELD_MAX);
	lockout_str_printf(&ctx->top, "  %llu failure%s from %llu source%s\n",
			   (unsigned long long)row->failures,
			   row->failures == 1 ? "" : "s",
			   (unsigned long long)row->distinct,
			   row->distinct == 1 ? "" : "s");
	return 0;
}

static void notify_ctx_init(struct notify_ctx *ctx,
			    const struct lockoutd_notify_settings *set,
			    struct lockoutd_mail *mail, int64_t now,
			    bool protection)
{
	unsigned int i;

	memset(ctx, 0, sizeof(*ctx));
	ctx->set = set;
	ctx->mail = mail;
	ctx->now = now;
	ctx->protection = protection;
	lockout_str_init(&ctx->listed);
	lockout_str_init(&ctx->top);
	for (i = 0; i < SECTION_COUNT; i++)
		lockout_str_init(&ctx->events[i]);
}

static void notify_ctx_free(struct notify_ctx *ctx)
{
	unsigned int i;

	lockout_str_free(&ctx->listed);
	lockout_str_free(&ctx->top);
	for (i = 0; i < SECTION_COUNT; i++)
		lockout_str_free(&ctx->events[i]);
	for (i = 0; i < ctx->account_count; i++)
		free(ctx->accounts[i]);
}

/* Collect the rows of the mail. Returns 1 when there are any, 0, -1. */
static int notify_collect(struct lockout_store *store, struct notify_ctx *ctx,
			  const char **error_r)
{
	if (lockout_store_iter_unnotified_bans(store, LOCKOUTD_NOTIFY_SCAN,
					       notify_ban_cb, ctx,
					       error_r) < 0 ||
	    (!ctx->mail->failed &&
	     lockout_store_iter_unnotified_events(store, LOCKOUTD_NOTIFY_SCAN,
						  notify_event_cb, ctx,
						  error_r) < 0))
		return -1;
	if (ctx->mail->failed) {
		*error_r = lockout_error_fmt("notify: out of memory");
		return -1;
	}
	return ctx->mail->ban_count > 0 || ctx->mail->event_count > 0 ? 1 : 0;
}

static void append_headers(struct lockout_str *str,
			   const struct lockoutd_notify_settings *set,
			   int64_t now, const char *subject)
{
	static unsigned int counter;
	time_t tt = (time_t)now;
	struct tm tm;
	char date[64];

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000",
		     &tm) == 0)
		date[0] = '\0';
	if (set->from == NULL || set->from[0] == '\0') {
		lockout_str_printf(str, "From: lockoutd <root@%s>\n",
				   set->hostname);
	} else {
		lockout_str_append(str, "From: ");
		lockoutd_notify_append_safe(str, set->from, 300);
		lockout_str_append(str, "\n");
	}
	lockout_str_append(str, "To: ");
	lockoutd_notify_append_safe(str, set->to, 200);
	lockout_str_printf(str, "\nSubject: [lockout] %s: %s\n",
			   set->hostname, subject);
	lockout_str_printf(str, "Date: %s\n", date);
	lockout_str_printf(str, "Message-ID: <lockoutd.%lld.%u.%u@%s>\n",
			   (long long)now, (unsigned int)getpid(),
			   ++counter, set->hostname);
	lockout_str_append(str, "Auto-Submitted: auto-generated\n"
			   "MIME-Version: 1.0\n"
			   "Content-Type: text/plain; charset=us-ascii\n"
			   "Content-Transfer-Encoding: 7bit\n\n");
}

static void append_section(struct lockout_str *str, const char *title,
			   unsigned int count)
{
	char line[128];
	int len;

	len = snprintf(line, sizeof(line), "%s (%u)", title, count);
	lockout_str_append(str, line);
	lockout_str_append(str, "\n");
	for (; len > 0; len--)
		lockout_str_append(str, "-");
	lockout_str_append(str, "\n");
}

static int notify_finish(struct lockoutd_mail *mail, struct notify_ctx *ctx,
			 const char **error_r)
{
	unsigned int i;

	for (i = 0; i < SECTION_COUNT; i++)
		ctx->mail->failed |= ctx->events[i].failed;
	if (mail->text.failed || ctx->listed.failed || ctx->top.failed ||
	    mail->failed || lockout_str_c(&mail->text) == NULL) {
		*error_r = lockout_error_fmt("notify: out of memory");
		return -1;
	}
	return 1;
}

int lockoutd_notify_digest(struct lockout_store *store,
			   const struct lockoutd_notify_settings *set,
			   int64_t now, int64_t since,
			   struct lockoutd_mail *mail, const char **error_r)
{
	struct lockout_str *str = &mail->text;
	struct notify_ctx ctx;
	unsigned int i, events = 0, bans;
	char subject[128];
	int ret;

	notify_ctx_init(&ctx, set, mail, now, false);
	ret = notify_collect(store, &ctx, error_r);
	if (ret <= 0 ||
	    lockout_store_top(store, "user", since, LOCKOUTD_NOTIFY_TOP,
			      notify_top_cb, &ctx, error_r) < 0) {
		notify_ctx_free(&ctx);
		return ret < 0 ? -1 : ret == 0 ? 0 : -1;
	}
	bans = ctx.listed_count + ctx.more;
	for (i = 0; i < SECTION_COUNT; i++)
		events += ctx.event_listed[i] + ctx.event_more[i];
	snprintf(subject, sizeof(subject), "%u new ban%s, %u event%s", bans,
		 bans == 1 ? "" : "s", events, events == 1 ? "" : "s");
	append_headers(str, set, now, subject);
	lockout_str_printf(str, "dovecot-lockout digest for %s, from ",
			   set->hostname);
	append_time(str, since);
	lockout_str_append(str, " to ");
	append_time(str, now);
	lockout_str_append(str, ".\n\n");

	if (bans > 0) {
		append_section(str, "New bans", bans);
		lockout_str_append_n(str, ctx.listed.data == NULL ? "" :
				     ctx.listed.data, ctx.listed.len);
		if (ctx.more > 0) {
			lockout_str_printf(str, "... and %u more: "
					   "doveadm lockout list shows them "
					   "all.\n\n", ctx.more);
		}
	}
	if (ctx.top_count > 0) {
		append_section(str, "Most targeted usernames",
			       ctx.top_count);
		lockout_str_append_n(str, ctx.top.data == NULL ? "" :
				     ctx.top.data, ctx.top.len);
		lockout_str_append(str, "\n");
	}
	for (i = 0; i < SECTION_COUNT; i++) {
		unsigned int n = ctx.event_listed[i] + ctx.event_more[i];

		if (n == 0)
			continue;
		append_section(str, sections[i].title, n);
		if (sections[i].note != NULL)
			lockout_str_printf(str, "%s\n\n", sections[i].note);
		lockout_str_append_n(str, ctx.events[i].data == NULL ? "" :
				     ctx.events[i].data, ctx.events[i].len);
		if (ctx.event_more[i] > 0)
			lockout_str_printf(str, "  ... and %u more\n",
					   ctx.event_more[i]);
		lockout_str_append(str, "\n");
	}
	lockout_str_append(str,
		"To undo a ban: " UNDO_HINT " <target>\n"
		"All active bans: doveadm lockout list\n"
		"Evidence of one: doveadm lockout show <target>\n");
	ret = notify_finish(mail, &ctx, error_r);
	notify_ctx_free(&ctx);
	return ret;
}

int lockoutd_notify_protection(struct lockout_store *store,
			       const struct lockoutd_notify_settings *set,
			       int64_t now, struct lockoutd_mail *mail,
			       const char **error_r)
{
	struct lockout_str *str = &mail->text;
	struct notify_ctx ctx;
	char subject[128];
	unsigned int count;
	int ret;

	notify_ctx_init(&ctx, set, mail, now, true);
	ret = notify_collect(store, &ctx, error_r);
	if (ret <= 0) {
		notify_ctx_free(&ctx);
		return ret;
	}
	count = ctx.listed_count + ctx.more;
	snprintf(subject, sizeof(subject), "%u account%s put under "
		 "protection", count, count == 1 ? "" : "s");
	append_headers(str, set, now, subject);
	lockout_str_printf(str,
		"dovecot-lockout on %s put %s under protection: %s\n"
		"failed logins from many unknown sources. Until the protection "
		"ends, only\nthe devices that logged in successfully before "
		"(known devices) may log in\nto %s; the owner keeps "
		"working from them, everybody else is refused.\n\n",
		set->hostname, count == 1 ? "an account" : "accounts",
		count == 1 ? "it had many" : "they had many",
		count == 1 ? "it" : "them");
	append_section(str, "Accounts under protection", count);
	lockout_str_append_n(str, ctx.listed.data == NULL ? "" :
			     ctx.listed.data, ctx.listed.len);
	if (ctx.more > 0) {
		lockout_str_printf(str, "... and %u more: doveadm lockout "
				   "list -k user shows them all.\n\n",
				   ctx.more);
	}
	lockout_str_append(str,
		"To end a protection: " UNDO_HINT " <username>\n");
	ret = notify_finish(mail, &ctx, error_r);
	notify_ctx_free(&ctx);
	return ret;
}

int lockoutd_notify_claim(struct lockout_store *store,
			  const struct lockoutd_mail *mail,
			  const char **error_r)
{
	size_t claimed = 0;

	/* the ids are in ascending order (both lists were read by id), the
	   order every claimer locks them in */
	if (lockout_store_begin(store, error_r) < 0)
		return -1;
	if (lockout_store_claim_bans_notified(store, mail->ban_ids,
					      mail->ban_count, &claimed,
					      error_r) < 0 ||
	    lockout_store_claim_events_notified(store, mail->event_ids,
						mail->event_count, &claimed,
						error_r) < 0) {
		lockout_store_rollback(store);
		return -1;
	}
	if (claimed != mail->ban_count + mail->event_count) {
		/* some rows are in another lockoutd's mail: give up the
		   others too, left for the next compose */
		lockout_store_rollback(store);
		return 0;
	}
	return lockout_store_commit(store, error_r) < 0 ? -1 : 1;
}

int lockoutd_notify_unclaim(struct lockout_store *store,
			    const struct lockoutd_mail *mail,
			    const char **error_r)
{
	if (lockout_store_begin(store, error_r) < 0)
		return -1;
	if (lockout_store_unclaim_bans_notified(store, mail->ban_ids,
						mail->ban_count,
						error_r) < 0 ||
	    lockout_store_unclaim_events_notified(store, mail->event_ids,
						  mail->event_count,
						  error_r) < 0) {
		lockout_store_rollback(store);
		return -1;
	}
	return lockout_store_commit(store, error_r);
}
