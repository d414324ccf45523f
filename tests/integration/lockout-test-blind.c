/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "lib-event-private.h"
#include "module-dir.h"

#include <dlfcn.h>

/* A test module for the auth process that hides every outcome from the
   lockout plugin, as a broken filter or another plugin might: it swallows
   every "auth_request_finished" event before other event callbacks see it
   (lib10_ loads, and registers its callback, before lib20_lockout_auth),
   and, for the requests the plugin observes at the handler's reply, drops
   the context passdb lockout keeps for the request as soon as the request
   goes on (the next event created under it), so that the reply finds
   none. test_skeleton.py uses it to show that the lockout plugin then says
   it is not observing outcomes. Never installed. */

/* lockout-auth-request.c's way to forget the context of a request's
   event, looked up once the plugin is loaded (after this module: dlopen()
   with RTLD_GLOBAL) */
typedef void lockout_event_freed_t(struct event *event);
#define LOCKOUT_EVENT_FREED "lockout_auth_request_event_freed"

const char *lockout_test_blind_version = DOVECOT_ABI_VERSION;

void lockout_test_blind_init(struct module *module);
void lockout_test_blind_deinit(void);

static lockout_event_freed_t *lockout_event_freed;

static bool
blind_event_callback(struct event *event, enum event_callback_type type,
		     struct failure_context *ctx ATTR_UNUSED,
		     const char *fmt ATTR_UNUSED, va_list args ATTR_UNUSED)
{
	struct event *parent;

	if (type == EVENT_CALLBACK_TYPE_CREATE) {
		if (lockout_event_freed == NULL) {
			lockout_event_freed = (lockout_event_freed_t *)
				dlsym(RTLD_DEFAULT, LOCKOUT_EVENT_FREED);
		}
		parent = event_get_parent(event);
		if (parent != NULL && lockout_event_freed != NULL)
			lockout_event_freed(parent);
		return TRUE;
	}
	/* FALSE stops the sending: later callbacks never see it */
	return type != EVENT_CALLBACK_TYPE_SEND ||
		event->sending_name == NULL ||
		strcmp(event->sending_name, "auth_request_finished") != 0;
}

void lockout_test_blind_init(struct module *module ATTR_UNUSED)
{
	event_register_callback(blind_event_callback);
}

void lockout_test_blind_deinit(void)
{
	event_unregister_callback(blind_event_callback);
}
