/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "auth-common.h"
#include "auth.h"
#include "auth-request.h"
#include "passdb.h"
#include "event-filter.h"
#include "auth-settings.h"
#include "lockout-auth-compat.h"

/* Dovecot 2.4: "passdb lockout { driver = lockout }" (named passdbs, no
   args); the settings are top-level (lockout-auth-settings-24.c). Events
   and request fields say "protocol" where 2.3 said "service": the evidence
   keeps saying service=imap, smtp, ... as on 2.3. */

const char *lockout_auth_request_protocol(const struct auth_request *request)
{
	return request->fields.protocol;
}

const char *lockout_auth_event_protocol_field(void)
{
	return "protocol";
}

const char *lockout_auth_protocol_name(const struct auth *auth)
{
	return auth->protocol;
}

static int
lockout_passdb_preinit(pool_t pool, struct event *event ATTR_UNUSED,
		       struct passdb_module **module_r,
		       const char **error_r ATTR_UNUSED)
{
	struct passdb_module *module;

	module = p_new(pool, struct passdb_module, 1);
	/* never blocking: an auth-worker round trip would cost more than
	   the check, and NEXT from a blocking lookup_credentials leaks a
	   junk field to the client */
	module->blocking = FALSE;
	*module_r = module;
	return 0;
}

void lockout_auth_filter_merge_or(struct event_filter *dest,
				  const struct event_filter *src)
{
	event_filter_merge(dest, src, EVENT_FILTER_MERGE_OP_OR);
}

bool lockout_auth_passdb_unfiltered(const struct auth_passdb *passdb)
{
	return passdb->skip == AUTH_PASSDB_SKIP_NEVER &&
		passdb->mechanisms_filter == NULL &&
		passdb->username_filter == NULL;
}

void lockout_auth_passdb_iface_init(struct passdb_module_interface *iface)
{
	iface->preinit = lockout_passdb_preinit;
}

struct event *lockout_auth_event_create(void)
{
	struct event *event;

	/* auth_event is still NULL here: auths_preinit() creates it after
	   the plugins' init. Give ours what auth_event would pass on. */
	event = event_create(auth_event);
	event_add_category(event, &event_category_auth);
	if (global_auth_settings != NULL)
		event_set_forced_debug(event, global_auth_settings->debug);
	return event;
}
