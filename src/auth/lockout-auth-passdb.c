/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "auth-common.h"
#include "ioloop.h"
#include "passdb.h"
#include "lockout-auth-private.h"
#include "lockout-auth-compat.h"
#include "lockout-auth-db.h"
#include "lockout-auth-observer.h"
#include "lockout-auth-passdb.h"
#include "lockout-auth-request.h"
#include "lockout-policy.h"

/* passdb "lockout": placed before every other passdb, it answers NEXT for
   requests that may go on, and USER_DISABLED for banned sources, before any
   password is checked. Without a "reason" field the client sees the same
   answer as for a wrong password: the attacker learns nothing. */

/* Refuse (or, in observe mode, only say we would). The event is sent at
   debug level: metrics count it, a flood of refusals does not flood the
   log. */
static enum passdb_result
lockout_passdb_refuse(struct auth_request *request,
		      struct lockout_request_ctx *ctx, bool observe,
		      const char *reason, const char *target, int64_t expires,
		      const char *why)
{
	struct event_passthrough *e;

	/* a passthrough event must be finished with ->event() before any
	   other is created: build and send it in one go */
	e = event_create_passthrough(request->event)->
		set_name("lockout_request_refused")->
		add_str("reason", reason)->
		add_str("mode", observe ? "observe" : "enforce");
	if (target != NULL) {
		e->add_str("ban_target", target)->
			add_int("ban_expires", expires);
	}
	e_debug(e->event(), "lockout: %s: %s",
		observe ? "Would refuse" : "Refused", why);
	if (observe)
		return PASSDB_RESULT_NEXT;
	ctx->refused = TRUE;
	return PASSDB_RESULT_USER_DISABLED;
}

static enum passdb_result lockout_passdb_check(struct auth_request *request,
					       const char *password)
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
	if (password != NULL)
		ctx->password_tag = lockout_auth_request_password_tag(password);
	lockout_auth_observer_expect_outcome();
	observe = lockout_auth->cfg.mode == LOCKOUT_MODE_OBSERVE;

	if (!lockout_auth_db_usable(lockout_auth->db) &&
	    lockout_auth->cfg.on_error == LOCKOUT_ON_ERROR_DENY) {
		return lockout_passdb_refuse(request, ctx, observe,
			"ban table unusable", NULL, 0,
			"ban table unusable and lockout_on_error=deny");
	}

	lockout_auth_request_addr(request, &addr);
	if (addr.family == 0)
		return PASSDB_RESULT_NEXT;
	verdict = lockout_policy_check(lockout_auth->policy, ioloop_time,
				       &addr, request->fields.user, &ban);
	switch (verdict) {
	case LOCKOUT_VERDICT_ALLOW:
		break;
	case LOCKOUT_VERDICT_BANNED:
		lockout_net_to_str(&ban->net, target);
		return lockout_passdb_refuse(request, ctx, observe, "banned",
			target, ban->expires,
			t_strdup_printf("%s is banned", target));
	case LOCKOUT_VERDICT_PROTECTED:
		ctx->refused_protected = !observe;
		return lockout_passdb_refuse(request, ctx, observe,
			"protected", request->fields.user, 0,
			t_strdup_printf("account %s is protected and this "
					"source is not one of its known "
					"devices", request->fields.user));
	}
	return PASSDB_RESULT_NEXT;
}

static void
lockout_passdb_verify_plain(struct auth_request *request,
			    const char *password,
			    verify_plain_callback_t *callback)
{
	callback(lockout_passdb_check(request, password), request);
}

static void
lockout_passdb_lookup_credentials(struct auth_request *request,
				  lookup_credentials_callback_t *callback)
{
	callback(lockout_passdb_check(request, NULL), NULL, 0, request);
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
		lockout_auth_observer_start();
	}
}

static void lockout_passdb_deinit(struct passdb_module *module ATTR_UNUSED)
{
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
