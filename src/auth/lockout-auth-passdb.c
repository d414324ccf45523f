/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "auth-common.h"
#include "ioloop.h"
#include "passdb.h"
#include "auth-request-handler-private.h"
#include "lockout-auth-private.h"
#include "lockout-auth-compat.h"
#include "lockout-auth-db.h"
#include "lockout-auth-observer.h"
#include "lockout-auth-passdb.h"
#include "lockout-auth-request.h"
#include "lockout-policy.h"

/* lockout_passdb_check()'s own answer: hold the request (not a Dovecot
   result; never handed to Dovecot) */
#define PASSDB_RESULT_NEXT_HELD ((enum passdb_result)-100)
/* lockout_passdb_check()'s answer to the handler's hook when passdb
   lockout must decide itself (a hold): nothing was done yet */
#define PASSDB_RESULT_DEFER ((enum passdb_result)-101)

/* passdb "lockout": placed before every other passdb, it answers NEXT for
   requests that may go on, and USER_DISABLED for banned sources, before any
   password is checked. Without a "reason" field the client sees the same
   answer as for a wrong password: the attacker learns nothing. */

#define LOCKOUT_REFUSED_EVENT "lockout_request_refused"

/* Refuse (or, in observe mode, only say we would). A refusal's event is
   sent at debug level: metrics count it, a flood of refusals does not
   flood the log. In observe mode the "Would refuse" line is what the
   administrator tries the settings with: it is logged at info level.
   The event and its message (fmt: the why of the log line) are built only
   when something could want them (lockout_auth_event_wanted()): in a
   flood of refusals nobody usually does, and building it was 5% of the
   auth process (issue 12). */
static enum passdb_result ATTR_FORMAT(7, 8)
lockout_passdb_refuse(struct auth_request *request,
		      struct lockout_request_ctx *ctx, bool observe,
		      const char *reason, const char *target, int64_t expires,
		      const char *fmt, ...)
{
	struct event_passthrough *e;
	const char *why;
	va_list args;

	if (!observe) {
		ctx->refused = TRUE;
		if (!lockout_auth_event_wanted(request->event,
					       LOCKOUT_REFUSED_EVENT))
			return PASSDB_RESULT_USER_DISABLED;
	}
	va_start(args, fmt);
	why = t_strdup_vprintf(fmt, args);
	va_end(args);
	/* a passthrough event must be finished with ->event() before any
	   other is created: build and send it in one go */
	e = event_create_passthrough(request->event)->
		set_name(LOCKOUT_REFUSED_EVENT)->
		add_str("reason", reason)->
		add_str("mode", observe ? "observe" : "enforce");
	if (target != NULL) {
		e->add_str("ban_target", target)->
			add_int("ban_expires", expires);
	}
	if (observe) {
		e_info(e->event(), "lockout: Would refuse: %s", why);
		return PASSDB_RESULT_NEXT;
	}
	e_debug(e->event(), "lockout: Refused: %s", why);
	return PASSDB_RESULT_USER_DISABLED;
}

/* Requests held because their source has as many failures counted plus
   checks in flight as lockout_ip_failures (lockout_policy_reserve()): a
   FIFO, bounded; re-checked when a slot is released (from a zero timer,
   never inside another request's callback) and every second. */
#define LOCKOUT_HELD_MAX 1024
#define LOCKOUT_HELD_MAX_SECS 5
static struct lockout_request_ctx *held_head, *held_tail;
static unsigned int held_count;
static struct timeout *to_held_now, *to_held_tick;

static void lockout_passdb_held_check(void *context ATTR_UNUSED);

static void lockout_passdb_held_schedule(void)
{
	if (held_count > 0 && to_held_now == NULL)
		to_held_now = timeout_add_short(0, lockout_passdb_held_check,
						NULL);
}

void lockout_auth_passdb_release(struct auth_request *request,
				 struct lockout_request_ctx *ctx)
{
	struct lockout_addr addr;

	if (ctx == NULL || !ctx->reserved || lockout_auth == NULL)
		return;
	ctx->reserved = FALSE;
	lockout_auth_request_addr(request, &addr);
	if (addr.family != 0)
		lockout_policy_release(lockout_auth->policy, &addr);
	lockout_passdb_held_schedule();
}

/* The check before the password check. With hook (the handler's hook
   below), a hold is left to passdb lockout: DEFER, with no side effect
   but the request's context and password tag, which the passdb makes
   again alike. A refusal is final there (its event, its log line, the
   context marked refused), and so is going on: the request skips
   passdb lockout's step, which would check it all over again, plus
   Dovecot's own passdb step (half of what observing a flood cost in
   bench/auth-cpu.py; most of what a refusal cost). In observe mode
   nothing is refused or held: "Would refuse" is logged here. */
static enum passdb_result lockout_passdb_check(struct auth_request *request,
					       const char *password, bool hook)
{
	const struct lockout_banset_entry *ban;
	struct lockout_request_ctx *ctx;
	struct lockout_addr addr;
	enum lockout_verdict verdict;
	char target[LOCKOUT_NET_STRLEN];
	bool observe;

	if (lockout_auth == NULL || lockout_auth->db == NULL)
		return PASSDB_RESULT_NEXT;
	ctx = lockout_auth_request_ctx(request);
	lockout_auth_observer_watch(request, ctx);
	if (password != NULL)
		ctx->password_tag = lockout_auth_request_password_tag(password);
	observe = lockout_auth->cfg.mode == LOCKOUT_MODE_OBSERVE;

	if (!lockout_auth_db_usable(lockout_auth->db) &&
	    lockout_auth->cfg.on_error == LOCKOUT_ON_ERROR_DENY) {
		lockout_auth_observer_expect_outcome();
		return lockout_passdb_refuse(request, ctx, observe,
			"ban table unusable", NULL, 0, "%s",
			"ban table unusable and lockout_on_error=deny");
	}

	lockout_auth_request_addr(request, &addr);
	if (addr.family == 0) {
		lockout_auth_observer_expect_outcome();
		return PASSDB_RESULT_NEXT;
	}
	verdict = lockout_policy_check_password(lockout_auth->policy,
						ioloop_time, &addr,
						request->fields.user,
						ctx->password_tag, &ban);
	switch (verdict) {
	case LOCKOUT_VERDICT_ALLOW:
		if (observe || ctx->reserved ||
		    !lockout_auth_observer_outcomes_flow())
			break;
		switch (lockout_policy_reserve(lockout_auth->policy,
					       ioloop_time, &addr)) {
		case LOCKOUT_SLOT_RESERVED:
			ctx->reserved = TRUE;
			break;
		case LOCKOUT_SLOT_FREE:
			break;
		case LOCKOUT_SLOT_WAIT:
			/* the caller holds the request (WAIT changed
			   nothing: passdb lockout asks again) */
			if (hook)
				return PASSDB_RESULT_DEFER;
			lockout_auth_observer_expect_outcome();
			return PASSDB_RESULT_NEXT_HELD;
		}
		break;
	case LOCKOUT_VERDICT_BANNED:
		lockout_auth_observer_expect_outcome();
		lockout_net_to_str(&ban->net, target);
		return lockout_passdb_refuse(request, ctx, observe, "banned",
			target, ban->expires, "%s is banned", target);
	case LOCKOUT_VERDICT_PROTECTED:
		lockout_auth_observer_expect_outcome();
		ctx->refused_protected = !observe;
		return lockout_passdb_refuse(request, ctx, observe,
			"protected", request->fields.user, 0,
			"account %s is protected and this source is not one "
			"of its known devices", request->fields.user);
	case LOCKOUT_VERDICT_UNKNOWN_NAME:
		/* the client sees what a wrong password gives */
		lockout_auth_observer_expect_outcome();
		ctx->refused_name = !observe;
		return lockout_passdb_refuse(request, ctx, observe,
			"unknown_name", NULL, 0,
			"%s is no account (an unknown user lately)",
			request->fields.user);
	case LOCKOUT_VERDICT_SUSPECT:
		lockout_auth_observer_expect_outcome();
		ctx->refused_suspect = !observe;
		return lockout_passdb_refuse(request, ctx, observe, "suspect",
			NULL, 0, "the source failed on an unknown user during "
			"an unknown-user alert and now tries %s",
			request->fields.user);
	}
	lockout_auth_observer_expect_outcome();
	return PASSDB_RESULT_NEXT;
}

static void lockout_passdb_answer(struct lockout_request_ctx *ctx,
				  enum passdb_result result)
{
	struct auth_request *request = ctx->request;

	if (ctx->plain_callback != NULL)
		ctx->plain_callback(result, request);
	else
		ctx->credentials_callback(result, NULL, 0, request);
}

static void lockout_passdb_hold(struct auth_request *request,
				struct lockout_request_ctx *ctx)
{
	static time_t last_warning = 0;

	i_assert(ctx->request == request);
	if (held_count >= LOCKOUT_HELD_MAX) {
		/* too many held at once: a temporary failure, no password
		   check; said at most once a minute */
		if (ioloop_time - last_warning >= 60) {
			e_warning(lockout_auth->event, "%u requests already "
				  "held for sources at their threshold: "
				  "temporary failure for more", held_count);
			last_warning = ioloop_time;
		}
		lockout_passdb_answer(ctx, PASSDB_RESULT_INTERNAL_FAILURE);
		return;
	}
	e_debug(request->event, "lockout: Held: the source's failures and "
		"checks in flight reached lockout_ip_failures");
	auth_request_ref(request);
	ctx->held = TRUE;
	ctx->held_since = ioloop_time;
	ctx->held_next = NULL;
	if (held_tail != NULL)
		held_tail->held_next = ctx;
	else
		held_head = ctx;
	held_tail = ctx;
	held_count++;
	if (to_held_tick == NULL)
		to_held_tick = timeout_add(1000, lockout_passdb_held_check,
					   NULL);
}

/* Re-check every held request (bounded by LOCKOUT_HELD_MAX): banned now,
   a slot free, or held too long. Answers are given after the list is
   updated: a callback may hold or release again. */
static void lockout_passdb_held_check(void *context ATTR_UNUSED)
{
	struct lockout_request_ctx *ctx, *prev = NULL, *next;
	struct lockout_request_ctx *ready = NULL, **ready_tail = &ready;
	struct auth_request *request;
	enum passdb_result result;

	timeout_remove(&to_held_now);
	for (ctx = held_head; ctx != NULL; ctx = next) {
		next = ctx->held_next;
		result = lockout_passdb_check(ctx->request, NULL, FALSE);
		if (result == PASSDB_RESULT_NEXT_HELD &&
		    ioloop_time - ctx->held_since < LOCKOUT_HELD_MAX_SECS) {
			prev = ctx;
			continue;
		}
		if (result == PASSDB_RESULT_NEXT_HELD) {
			/* the outcomes that would free a slot got lost:
			   go on rather than fail a login */
			result = PASSDB_RESULT_NEXT;
		}
		/* unlink */
		if (prev != NULL)
			prev->held_next = next;
		else
			held_head = next;
		if (held_tail == ctx)
			held_tail = prev;
		held_count--;
		ctx->held = FALSE;
		ctx->held_next = NULL;
		ctx->held_result = result;
		*ready_tail = ctx;
		ready_tail = &ctx->held_next;
	}
	if (held_count == 0)
		timeout_remove(&to_held_tick);
	for (ctx = ready; ctx != NULL; ctx = next) {
		next = ctx->held_next;
		request = ctx->request;
		lockout_passdb_answer(ctx, ctx->held_result);
		auth_request_unref(&request);
	}
}

static void
lockout_passdb_verify_plain(struct auth_request *request,
			    const char *password,
			    verify_plain_callback_t *callback);

/* Dovecot's own characters that make it refuse a password before any
   passdb (auth-request.c, password_has_illegal_chars()): such a request
   is left to it, as without the hook */
static bool lockout_password_dovecot_refuses(const char *password)
{
	return password == NULL || strpbrk(password, "\001\t\r\n") != NULL;
}

/* The hook (issue 12, a lighter auth path): a request on its way to
   passdb lockout is checked here, in the connection's handler. When the
   passdb's answer would be "go on" (nearly always) the request goes on
   to the next passdb at once. That spares Dovecot's whole passdb step
   for our NEXT - its two events, its log prefix, the fields' snapshot,
   the second round through auth_request_verify_plain() - about a third
   of what the plugin cost a successful login. A refusal is answered
   here too, to the mechanism's callback, as Dovecot itself answers a
   password it refuses (auth_request_default_verify_plain_continue()):
   USER_DISABLED, which no passdb result rule could have turned into
   anything else. A hold, a passdb lockout with a skip rule or a filter,
   a password Dovecot refuses, and lookup_credentials (no such hook) go
   through passdb lockout as before. */
static void lockout_verify_plain_continue(struct auth_request *request,
					  verify_plain_callback_t *callback)
{
	struct auth_passdb *passdb = request->passdb;
	enum passdb_result result;

	if (passdb != NULL && passdb->next != NULL &&
	    passdb->passdb->iface.verify_plain ==
	    lockout_passdb_verify_plain &&
	    lockout_auth_passdb_unfiltered(passdb) &&
	    !lockout_password_dovecot_refuses(request->mech_password)) {
		result = lockout_passdb_check(request, request->mech_password,
					      TRUE);
		if (result == PASSDB_RESULT_USER_DISABLED) {
			request->passdb_result = result;
			callback(result, request);
			return;
		}
		if (result == PASSDB_RESULT_NEXT)
			request->passdb = passdb->next;
	}
	auth_request_default_verify_plain_continue(request, callback);
}

/* The first request of a connection reaches passdb lockout the usual
   way; its handler (one per login process connection, living as long)
   then gets the hook - unless somebody else replaced Dovecot's own. */
static void lockout_handler_hook(struct auth_request *request)
{
	struct auth_request_handler *handler = request->handler;

	if (handler != NULL && handler->verify_plain_continue_callback ==
	    auth_request_default_verify_plain_continue)
		handler->verify_plain_continue_callback =
			lockout_verify_plain_continue;
}

static void
lockout_passdb_verify_plain(struct auth_request *request,
			    const char *password,
			    verify_plain_callback_t *callback)
{
	enum passdb_result result =
		lockout_passdb_check(request, password, FALSE);
	struct lockout_request_ctx *ctx;

	lockout_handler_hook(request);

	if (result != PASSDB_RESULT_NEXT_HELD) {
		callback(result, request);
		return;
	}
	ctx = lockout_auth_request_ctx(request);
	ctx->plain_callback = callback;
	lockout_passdb_hold(request, ctx);
}

static void
lockout_passdb_lookup_credentials(struct auth_request *request,
				  lookup_credentials_callback_t *callback)
{
	enum passdb_result result =
		lockout_passdb_check(request, NULL, FALSE);
	struct lockout_request_ctx *ctx;

	if (result != PASSDB_RESULT_NEXT_HELD) {
		callback(result, NULL, 0, request);
		return;
	}
	ctx = lockout_auth_request_ctx(request);
	ctx->credentials_callback = callback;
	lockout_passdb_hold(request, ctx);
}

static void lockout_passdb_check_order(void)
{
	struct auth *const *authp;
	const struct auth_passdb *first, *last;

	array_foreach(&auths, authp) {
		const struct auth *auth = *authp;
		const char *protocol = lockout_auth_protocol_name(auth);

		first = auth->passdbs;
		for (last = first; last != NULL && last->next != NULL;
		     last = last->next) ;
		if (first == NULL)
			continue;
		if (strcmp(first->set->driver, "lockout") != 0) {
			e_error(lockout_auth->event,
				"passdb lockout is not the first passdb%s%s "
				"(the first is %s): banned sources reach the "
				"password check. Fix: include "
				"auth-lockout.conf.ext before every other "
				"passdb in 10-auth.conf",
				protocol == NULL ? "" : " of service ",
				protocol == NULL ? "" : protocol,
				first->set->driver);
		}
		if (strcmp(last->set->driver, "lockout") == 0) {
			e_error(lockout_auth->event,
				"passdb lockout is the last passdb%s%s: every "
				"login fails. Fix: add the real passdb after "
				"it", protocol == NULL ? "" : " of service ",
				protocol == NULL ? "" : protocol);
		}
	}
}

static void lockout_passdb_init(struct passdb_module *module ATTR_UNUSED)
{
	if (lockout_auth == NULL)
		return; /* auth-worker */
	lockout_passdb_check_order();
	if (lockout_auth->db == NULL) {
		/* runs as the auth user now: the files get the right
		   owner */
		lockout_auth->db = lockout_auth_db_init();
		lockout_auth_observer_passdbs();
		lockout_auth_observer_start();
	}
}

static void lockout_passdb_deinit(struct passdb_module *module ATTR_UNUSED)
{
	struct lockout_request_ctx *ctx, *next;
	struct auth_request *request;

	/* shutting down: let go of the held requests unanswered */
	for (ctx = held_head; ctx != NULL; ctx = next) {
		next = ctx->held_next;
		request = ctx->request;
		auth_request_unref(&request);
	}
	held_head = held_tail = NULL;
	held_count = 0;
	timeout_remove(&to_held_now);
	timeout_remove(&to_held_tick);
	if (lockout_auth != NULL)
		lockout_auth_db_deinit(&lockout_auth->db);
}

static struct passdb_module_interface lockout_passdb_iface = {
	.name = "lockout",
	/* .preinit: lockout-auth-compat-2x.c */
	.init = lockout_passdb_init,
	.deinit = lockout_passdb_deinit,
	.verify_plain = lockout_passdb_verify_plain,
	.lookup_credentials = lockout_passdb_lookup_credentials,
};

void lockout_auth_passdb_register(void)
{
	lockout_auth_passdb_iface_init(&lockout_passdb_iface);
	passdb_register_module(&lockout_passdb_iface);
}

void lockout_auth_passdb_unregister(void)
{
	passdb_unregister_module(&lockout_passdb_iface);
}
