/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "auth-common.h"
#include "ioloop.h"
#include "str.h"
#include "array.h"
#include "wildcard-match.h"
#include "lib-event-private.h"
#include "event-filter.h"
#include "auth-request.h"
#include "auth-request-handler.h"
#include "auth-request-handler-private.h"
#include "auth.h"
#include "passdb.h"
#include "lockout-auth-private.h"
#include "lockout-auth-db.h"
#include "lockout-auth-observer.h"
#include "lockout-auth-passdb.h"
#include "lockout-auth-compat.h"
#include "lockout-auth-request.h"
#include "lockout-policy.h"

#include <ctype.h>

/* The outcome observer, two ways in.

   The reply (issue 12, a lighter auth path): a request passdb lockout saw
   is observed when Dovecot hands its final answer to the connection's
   handler (auth_request_handler_reply(): success or failure, the request
   in the state the finished event would describe), through the handler's
   reply_callback, which we wrap. Such a request carries the field
   lockout_watched=yes, and our event filter leaves out its finished event:
   Dovecot then neither sends nor formats it (its prefix, its message, the
   callbacks of every event listener) - that was about a tenth of the CPU
   of a failed login.

   The event, for everything else: a request passdb lockout never saw (a
   username Dovecot refused before any passdb) or whose handler we could
   not wrap (somebody else's reply_callback). Dovecot sends
   "auth_request_finished" with e_debug(), so it reaches event callbacks
   only when the global debug send filter wants it. We merge our filter
   into that global filter. The stats client replaces the global filter
   with its own on every handshake (for instance after the stats process
   restarts), so on each event creation we compare the global filter with
   the one we installed and merge again when it changed: one pointer
   comparison per event. When another filter (a metric, auth_debug) makes
   Dovecot send a watched request's event anyway, whichever way comes
   first observes it, and the other sees ctx->observed. */

#define LOCKOUT_FINISHED_EVENT "auth_request_finished"
/* each passdb's own result: with several passdbs, the request's final
   passdb_result is only the last one's */
#define LOCKOUT_PASSDB_FINISHED_EVENT "auth_passdb_request_finished"
/* the field that marks a request observed through its reply */
#define LOCKOUT_WATCHED_FIELD "lockout_watched"
/* How often we check that outcomes are still observed. */
#define LOCKOUT_HEALTH_INTERVAL_MSECS (30 * 1000)

static struct event_filter *lockout_filter = NULL;
static struct event_filter *installed_global_filter = NULL;
static bool merging = FALSE;
/* the reply_callback the handlers had before we wrapped them (Dovecot's
   own, static in auth-request-handler.c: taken from the first handler) */
static auth_request_handler_reply_callback_t *dovecot_reply_callback;

/* health: passdb calls and outcomes seen since the last check, and whether
   we have already complained */
static unsigned int health_passdb_calls, health_outcomes;
static bool health_warned;
static struct timeout *to_health;

bool lockout_auth_observer_outcomes_flow(void)
{
	return !health_warned;
}

static void lockout_filter_install(void)
{
	struct event_filter *current, *merged;

	current = event_get_global_debug_send_filter();
	merged = event_filter_create();
	if (current != NULL)
		lockout_auth_filter_merge_or(merged, current);
	lockout_auth_filter_merge_or(merged, lockout_filter);
	/* event_set_global_debug_send_filter() takes its own reference */
	event_set_global_debug_send_filter(merged);
	event_filter_unref(&merged);
	installed_global_filter = event_get_global_debug_send_filter();
}

/* Whether event_filter_export()'s text of a filter could match an event
   named name, whatever its fields, categories and source location: 0 no,
   1 perhaps, 2 yes (Kleene's logic: AND is the least, OR the greatest).
   Only an "event" name compared with "=" is decided; every other term is
   "perhaps". The text does not say whether a name is exact or a wildcard:
   name itself is "yes", a wildcard (or another case) matching it
   "perhaps", anything else "no". -1: text this does not read (the caller
   then assumes the event is wanted). */
#define LOCKOUT_FILTER_MAX_DEPTH 32

static int lockout_filter_expr(const char **p, const char *name,
			       unsigned int depth);

static int lockout_filter_string(const char **p, const char **start_r,
				 size_t *len_r, bool *escapes_r)
{
	const char *s = *p;

	if (*s != '"')
		return -1;
	*start_r = ++s;
	*escapes_r = FALSE;
	for (; *s != '"'; s++) {
		if (*s == '\\') {
			*escapes_r = TRUE;
			s++;
		}
		if (*s == '\0')
			return -1;
	}
	*len_r = s - *start_r;
	*p = s + 1;
	return 0;
}

static int lockout_filter_term(const char **p, const char *name)
{
	const char *s = *p, *start, *value;
	size_t len, value_len;
	bool escapes = FALSE, event_name, quoted;

	/* a key: "field", or a word (event, category, source_location) */
	if (*s == '"') {
		if (lockout_filter_string(&s, &start, &len, &escapes) < 0)
			return -1;
		event_name = FALSE;
	} else {
		for (start = s; i_isalpha(*s) || *s == '_'; s++) ;
		if (s == start)
			return -1;
		event_name = s - start == 5 && strncmp(start, "event", 5) == 0;
	}
	for (start = s; *s == '=' || *s == '<' || *s == '>'; s++) ;
	if (s == start)
		return -1;
	event_name = event_name && s - start == 1 && *start == '=';
	/* the value: a string, or a word (category=debug) */
	quoted = *s == '"';
	if (quoted) {
		if (lockout_filter_string(&s, &value, &value_len,
					  &escapes) < 0)
			return -1;
	} else {
		for (start = s; *s != '\0' && *s != ' ' && *s != '(' &&
		     *s != ')'; s++) ;
		if (s == start)
			return -1;
	}
	*p = s;
	if (!event_name || !quoted || escapes)
		return 1;
	if (strlen(name) == value_len && strncmp(name, value, value_len) == 0)
		return 2;
	return wildcard_match_icase(name, t_strndup(value, value_len)) ?
		1 : 0;
}

static int lockout_filter_expr(const char **p, const char *name,
			       unsigned int depth)
{
	const char *s = *p;
	int ret, right;
	bool and = FALSE, or = FALSE;

	if (*s != '(')
		return lockout_filter_term(p, name);
	if (++depth > LOCKOUT_FILTER_MAX_DEPTH)
		return -1;
	s++;
	if (strncmp(s, "NOT ", 4) == 0) {
		s += 4;
		if ((ret = lockout_filter_expr(&s, name, depth)) < 0)
			return -1;
		ret = 2 - ret;
	} else {
		if ((ret = lockout_filter_expr(&s, name, depth)) < 0)
			return -1;
		while (*s == ' ') {
			if (strncmp(s, " AND ", 5) == 0 && !or) {
				and = TRUE;
				s += 5;
			} else if (strncmp(s, " OR ", 4) == 0 && !and) {
				or = TRUE;
				s += 4;
			} else {
				/* AND and OR unbracketed: not export's */
				return -1;
			}
			if ((right = lockout_filter_expr(&s, name, depth)) < 0)
				return -1;
			ret = and ? I_MIN(ret, right) : I_MAX(ret, right);
		}
	}
	if (*s != ')')
		return -1;
	*p = s + 1;
	return ret;
}

/* Could filter (a global one, NULL: none) match an event named name? */
static bool lockout_filter_may_match(struct event_filter *filter,
				     const char *name)
{
	const char *p;
	int ret = 0, query;
	string_t *str;

	if (filter == NULL)
		return FALSE;
	T_BEGIN {
		str = t_str_new(256);
		event_filter_export(filter, str);
		/* its queries, joined by OR */
		for (p = str_c(str); *p != '\0' && ret >= 0 && ret < 2; ) {
			query = lockout_filter_expr(&p, name, 0);
			ret = query < 0 ? -1 : I_MAX(ret, query);
			if (ret >= 0 && *p != '\0') {
				if (strncmp(p, " OR ", 4) == 0)
					p += 4;
				else
					ret = -1;
			}
		}
	} T_END;
	return ret != 0;
}

bool lockout_auth_event_wanted(struct event *parent, const char *name)
{
	static unsigned int checked_counter = 0;
	static const char *checked_name = NULL;
	static bool filters_want;

	/* the global filters: log_debug and log_core_filter (the master
	   hands log_debug over even when empty: an empty filter), and the
	   debug send filter, the stats process's metrics (and with them the
	   event exporters) merged with our own filter. Replacing any of them
	   counts up event_filter_replace_counter. */
	if (checked_counter != event_filter_replace_counter ||
	    checked_name != name) {
		filters_want = lockout_filter_may_match(
				event_get_global_debug_log_filter(), name) ||
			lockout_filter_may_match(
				event_get_global_core_log_filter(), name) ||
			lockout_filter_may_match(
				event_get_global_debug_send_filter(), name);
		checked_counter = event_filter_replace_counter;
		checked_name = name;
	}
	if (filters_want)
		return TRUE;
	/* forced debug (auth_debug) or a debug log level, which a child
	   inherits (this also asks the log filters about parent, as any
	   e_debug() on it does, and keeps the answer in parent) */
	return event_want_log_level(parent, LOG_TYPE_DEBUG);
}

static const char *decision_until(const struct lockout_decision *d)
{
	if (d->expires == 0)
		return "permanently";
	return t_strdup_printf("for %lld secs",
			       (long long)(d->expires - d->time));
}

/* What the events of a decision say of the request that led to it. */
struct lockout_decision_ctx {
	const char *service;
	/* the address as Dovecot writes it; NULL: not formatted yet, from
	   ip (only a decision needs it, and most failures make none) */
	const char *remote_ip;
	const struct ip_addr *ip;
};

/* Carry out one decision of the policy engine: log it, send its event,
   queue it for the table. */
static void lockout_decision(const struct lockout_decision *d, void *context)
{
	bool observe = lockout_auth->cfg.mode == LOCKOUT_MODE_OBSERVE;
	const struct lockout_decision_ctx *dctx = context;
	struct event_passthrough *e;
	const char *name;

	switch (d->type) {
	case LOCKOUT_DECISION_BAN:
		name = "lockout_ban_created";
		break;
	case LOCKOUT_DECISION_PROTECT:
		name = "lockout_user_protected";
		break;
	case LOCKOUT_DECISION_NOTABLE:
		name = "lockout_notable";
		break;
	case LOCKOUT_DECISION_KNOWN_DEVICE:
	default:
		/* routine: persisted quietly, no event */
		name = NULL;
		break;
	}
	if (name != NULL) {
		/* our own category and log prefix, with the request's
		   basics; built and sent in one go (a passthrough event
		   must be finished before another is created) */
		e = event_create_passthrough(lockout_auth->event)->
			set_name(name)->
			add_str("service", dctx->service)->
			add_str("remote_ip", dctx->remote_ip != NULL ?
				dctx->remote_ip : net_ip2addr(dctx->ip))->
			add_str("target", d->target)->
			add_str("user", d->user)->
			add_str("rule", d->rule)->
			add_str("kind", lockout_kind_to_str(d->kind))->
			add_int("failures", d->failures)->
			add_int("expires", d->expires)->
			add_str("mode", observe ? "observe" : "enforce");
		if (d->type == LOCKOUT_DECISION_BAN) {
			e_info(e->event(), "%s %s %s: %s (rule %s)",
			       observe ? "Would ban" : "Banned", d->target,
			       decision_until(d), d->reason, d->rule);
		} else if (d->type == LOCKOUT_DECISION_PROTECT) {
			e_info(e->event(), "%s account %s %s: %s (rule %s)",
			       observe ? "Would protect" : "Protected",
			       d->target, decision_until(d), d->reason,
			       d->rule);
		} else {
			e_info(e->event(), "Notable (%s): %s, user %s: %s",
			       d->rule, d->target, d->user, d->reason);
		}
	}
	if (lockout_auth->db != NULL)
		lockout_auth_db_queue_decision(lockout_auth->db, d, observe);
}

/* Record an attempt: its row in the failure history, then the engine. */
static void lockout_record(const struct lockout_attempt *attempt,
			   const struct lockout_decision_ctx *dctx)
{
	char ipbuf[LOCKOUT_ADDR_STRLEN];

	if (attempt->outcome != LOCKOUT_OUTCOME_SUCCESS &&
	    lockout_auth->db != NULL) {
		lockout_addr_to_str(&attempt->ip, ipbuf);
		/* a name Dovecot refused is attacker junk: the row has no
		   user (so no "top users" entry), its result says why */
		lockout_auth_db_queue_failure(lockout_auth->db, ioloop_time,
			ipbuf, attempt->outcome ==
			LOCKOUT_OUTCOME_INVALID_USER ? NULL : attempt->user,
			attempt->service, attempt->mechanism,
			lockout_outcome_to_str(attempt->outcome),
			attempt->password_tag);
	}
	if (lockout_policy_observe(lockout_auth->policy, attempt,
				   lockout_decision, (void *)dctx) < 0) {
		e_error(lockout_auth->event,
			"Out of memory while recording an outcome");
	}
}

void lockout_auth_observer_record_remote(const struct lockout_attempt *attempt,
					 unsigned int count, const char *ip)
{
	struct lockout_decision_ctx dctx;
	unsigned int i;

	dctx.service = attempt->service;
	dctx.remote_ip = ip;
	dctx.ip = NULL;
	/* already in the failure history: only the engine counts it */
	for (i = 0; i < count; i++) {
		if (lockout_policy_observe(lockout_auth->policy, attempt,
					   lockout_decision, &dctx) < 0) {
			e_error(lockout_auth->event, "Out of memory while "
				"recording another node's failure");
			break;
		}
	}
}

static void lockout_observe(struct auth_request *request,
			    const struct lockout_request_ctx *ctx)
{
	struct lockout_decision_ctx dctx;
	struct lockout_attempt attempt;

	health_outcomes++;
	if (!lockout_auth_request_attempt(request, ctx, ioloop_time, &attempt))
		return;
	dctx.service = lockout_auth_request_protocol(request);
	dctx.remote_ip = NULL;
	dctx.ip = &request->fields.remote_ip;
	lockout_record(&attempt, &dctx);
}

/* A request that failed before any passdb, so passdb lockout never saw it:
   count it when Dovecot refused its username (auth_username_chars and the
   like), else such a source could try for ever without a ban. */
static void lockout_observe_unseen(struct event *event)
{
	const struct lockout_banset_entry *ban;
	struct lockout_decision_ctx dctx;
	struct lockout_attempt attempt;

	if (!lockout_auth_request_refused_username(event, ioloop_time,
						   &attempt,
						   &dctx.remote_ip))
		return;
	health_outcomes++;
	dctx.service = attempt.service;
	dctx.ip = NULL;
	/* a banned source gets no password check with any name: its
	   attempt is one more refusal, as passdb lockout would have said */
	if (lockout_auth->cfg.mode != LOCKOUT_MODE_OBSERVE &&
	    lockout_policy_check(lockout_auth->policy, ioloop_time,
				 &attempt.ip, NULL, &ban) ==
	    LOCKOUT_VERDICT_BANNED) {
		attempt.outcome = LOCKOUT_OUTCOME_REFUSED;
		/* still junk: never a username in the history */
		attempt.user = NULL;
	}
	lockout_record(&attempt, &dctx);
}

/* The outcome is known (and counted, if a failure): the request's slot is
   free for the next one of its source. */
static void lockout_observe_and_release(struct auth_request *request,
					struct lockout_request_ctx *ctx)
{
	if (ctx != NULL) {
		/* the reply and the event may both come: once only */
		if (ctx->observed)
			return;
		ctx->observed = TRUE;
	}
	lockout_observe(request, ctx);
	lockout_auth_passdb_release(request, ctx);
}

/* The handler's reply_callback, wrapped: a final answer (not a SASL
   continuation) of a request passdb lockout saw is its outcome, observed
   before Dovecot's own callback (which marks a request whose client is
   gone an internal failure, and may free it). A delayed failure is
   answered a second time from the failure queue: ctx->observed. */
static void
lockout_reply_callback(struct auth_request *request,
		       enum auth_client_result result,
		       const void *auth_reply, size_t reply_size)
{
	struct lockout_request_ctx *ctx;

	if (result != AUTH_CLIENT_RESULT_CONTINUE && lockout_auth != NULL &&
	    (ctx = lockout_auth_request_ctx_get(request)) != NULL &&
	    ctx->watched && !ctx->observed) {
		T_BEGIN {
			lockout_observe_and_release(request, ctx);
		} T_END;
	}
	dovecot_reply_callback(request, result, auth_reply, reply_size);
}

void lockout_auth_observer_watch(struct auth_request *request,
				 struct lockout_request_ctx *ctx)
{
	struct auth_request_handler *handler = request->handler;

	if (ctx->watched || handler == NULL)
		return;
	if (handler->reply_callback != lockout_reply_callback) {
		if (dovecot_reply_callback == NULL)
			dovecot_reply_callback = handler->reply_callback;
		else if (handler->reply_callback != dovecot_reply_callback) {
			/* somebody else's: the finished event tells */
			return;
		}
		handler->reply_callback = lockout_reply_callback;
	}
	ctx->watched = TRUE;
	/* our filter leaves out this request's finished event */
	event_add_str(request->event, LOCKOUT_WATCHED_FIELD, "yes");
}

/* A passdb of the chain finished: remember a password mismatch, so that a
   later passdb's "unknown user" does not turn a typo into a hostile login
   to an unknown (perhaps targeted) name. */
static void lockout_note_passdb_result(struct event *event)
{
	struct lockout_request_ctx *ctx;
	const char *result;

	result = event_find_field_recursive_str(event, "result");
	if (result == NULL || strcmp(result, "password_mismatch") != 0)
		return;
	if (lockout_auth_request_find(event, &ctx) != NULL && ctx != NULL)
		ctx->seen_mismatch = TRUE;
}

static bool
lockout_event_callback(struct event *event, enum event_callback_type type,
		       struct failure_context *ctx ATTR_UNUSED,
		       const char *fmt ATTR_UNUSED, va_list args ATTR_UNUSED)
{
	struct lockout_request_ctx *request_ctx;
	struct auth_request *request;
	const char *name;

	switch (type) {
	case EVENT_CALLBACK_TYPE_CREATE:
		if (!merging &&
		    event_get_global_debug_send_filter() !=
		    installed_global_filter) {
			/* creating filters creates no events, but guard
			   against recursion anyway */
			merging = TRUE;
			lockout_filter_install();
			merging = FALSE;
		}
		return TRUE;
	case EVENT_CALLBACK_TYPE_SEND:
		break;
	case EVENT_CALLBACK_TYPE_FREE:
		lockout_auth_request_event_freed(event);
		return TRUE;
	}
	/* the name an event is sent with (lib-event-private.h) */
	name = event->sending_name;
	if (name == NULL || lockout_auth == NULL)
		return TRUE;
	if (strcmp(name, LOCKOUT_PASSDB_FINISHED_EVENT) == 0) {
		lockout_note_passdb_result(event);
		return TRUE;
	}
	if (strcmp(name, LOCKOUT_FINISHED_EVENT) != 0)
		return TRUE;
	request = lockout_auth_request_find(event, &request_ctx);
	if (request == NULL) {
		T_BEGIN {
			lockout_observe_unseen(event);
		} T_END;
		return TRUE;
	}
	T_BEGIN {
		lockout_observe_and_release(request, request_ctx);
	} T_END;
	return TRUE;
}

static void lockout_health_check(void *context ATTR_UNUSED)
{
	if (health_passdb_calls > 0 && health_outcomes == 0) {
		if (!health_warned) {
			e_error(lockout_auth->event,
				"Not observing authentication outcomes: %u "
				"requests reached passdb lockout in the last "
				"%u secs but no auth_request_finished event "
				"was seen. Failures are not counted and "
				"nobody is banned (banned sources are still "
				"refused).", health_passdb_calls,
				LOCKOUT_HEALTH_INTERVAL_MSECS / 1000);
			health_warned = TRUE;
		}
		/* repair the filter in case it was replaced without a new
		   event being created since (merging it into itself again
		   would only grow it) */
		if (event_get_global_debug_send_filter() !=
		    installed_global_filter)
			lockout_filter_install();
	} else if (health_outcomes > 0 && health_warned) {
		e_info(lockout_auth->event,
		       "Observing authentication outcomes again");
		health_warned = FALSE;
	}
	health_passdb_calls = 0;
	health_outcomes = 0;
}

void lockout_auth_observer_expect_outcome(void)
{
	health_passdb_calls++;
}

void lockout_auth_observer_init(void)
{
	const char *error;

	lockout_filter = event_filter_create();
	/* Each event the filter wants, Dovecot builds and sends (its log
	   prefix, its message, its fields): only the finished events of
	   the requests not observed through their reply */
	if (event_filter_parse("event=" LOCKOUT_FINISHED_EVENT " AND NOT "
			       LOCKOUT_WATCHED_FIELD "=yes",
			       lockout_filter, &error) < 0)
		i_fatal("lockout: Cannot parse event filter: %s", error);
	lockout_filter_install();
	event_register_callback(lockout_event_callback);
}

/* Add the passdbs of chain that a later passdb follows (but ours) to
   ids, as filter terms joined by OR: only their mismatch can be followed
   by an "unknown user". */
static void lockout_mismatch_ids(string_t *ids,
				 const struct auth_passdb *chain)
{
	const struct auth_passdb *passdb;
	const char *id;

	for (passdb = chain; passdb != NULL; passdb = passdb->next) {
		if (passdb->next == NULL ||
		    strcmp(passdb->passdb->iface.name, "lockout") == 0)
			continue;
		id = dec2str(passdb->passdb->id);
		if (str_len(ids) > 0)
			str_append(ids, " OR ");
		str_printfa(ids, "passdb_id=%s", id);
	}
}

void lockout_auth_observer_passdbs(void)
{
	struct auth *const *authp;
	const char *error;
	string_t *ids;

	/* Of the passdbs' results only a mismatch followed by another
	   passdb matters here (lockout_note_passdb_result()): with the
	   usual chain (ours, then one real passdb) none is asked for, and
	   Dovecot sends no passdb event at all for us */
	T_BEGIN {
		ids = t_str_new(64);
		array_foreach(&auths, authp) {
			lockout_mismatch_ids(ids, (*authp)->masterdbs);
			lockout_mismatch_ids(ids, (*authp)->passdbs);
		}
		if (str_len(ids) > 0) {
			if (event_filter_parse(t_strdup_printf(
				"event=" LOCKOUT_PASSDB_FINISHED_EVENT
				" AND result=password_mismatch AND (%s)",
				str_c(ids)), lockout_filter, &error) < 0)
				i_fatal("lockout: Cannot parse event filter: "
					"%s", error);
			/* merged into the global filter again: it holds
			   our first query twice from now on, no harm */
			lockout_filter_install();
		}
	} T_END;
}

void lockout_auth_observer_start(void)
{
	if (to_health == NULL) {
		to_health = timeout_add(LOCKOUT_HEALTH_INTERVAL_MSECS,
					lockout_health_check, NULL);
	}
}

void lockout_auth_observer_deinit(void)
{
	timeout_remove(&to_health);
	event_unregister_callback(lockout_event_callback);
	if (event_get_global_debug_send_filter() == installed_global_filter)
		event_unset_global_debug_send_filter();
	installed_global_filter = NULL;
	event_filter_unref(&lockout_filter);
}
