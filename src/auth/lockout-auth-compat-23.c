/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "auth-common.h"
#include "auth.h"
#include "auth-request.h"
#include "passdb.h"
#include "event-filter.h"
#include "lockout-auth-compat.h"

/* Dovecot 2.3: "passdb { driver = lockout }" with no args; the settings
   live in plugin { } (lockout-auth-settings-23.c). */

const char *lockout_auth_request_protocol(const struct auth_request *request)
{
	return request->fields.service;
}

const char *lockout_auth_event_protocol_field(void)
{
	return "service";
}

const char *lockout_auth_protocol_name(const struct auth *auth)
{
	return auth->service;
}

static struct passdb_module *
lockout_passdb_preinit(pool_t pool, const char *args)
{
	struct passdb_module *module;

	if (*args != '\0')
		i_fatal("passdb lockout: Unknown args '%s' (settings go in "
			"plugin { lockout_* })", args);
	module = p_new(pool, struct passdb_module, 1);
	/* never blocking: an auth-worker round trip would cost more than
	   the check, and NEXT from a blocking lookup_credentials leaks a
	   junk field to the client */
	module->blocking = FALSE;
	return module;
}

void lockout_auth_filter_merge_or(struct event_filter *dest,
				  const struct event_filter *src)
{
	event_filter_merge(dest, src);
}

bool lockout_auth_passdb_unfiltered(const struct auth_passdb *passdb)
{
	return passdb->skip == AUTH_PASSDB_SKIP_NEVER &&
		passdb->mechanisms == NULL &&
		passdb->username_filter == NULL;
}

void lockout_auth_passdb_iface_init(struct passdb_module_interface *iface)
{
	iface->preinit = lockout_passdb_preinit;
}

struct event *lockout_auth_event_create(void)
{
	return event_create(auth_event);
}
