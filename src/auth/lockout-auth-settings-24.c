/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "auth-common.h"
#include "lockout-auth-settings.h"
#include "lockout-settings.h"

/* Dovecot 2.4: the lockout_* settings are top-level settings, declared by
   our settings module (src/settings) and read with settings_get() on the
   auth process's event: the values the config process already checked. */
void lockout_auth_settings_read(struct lockout_config *cfg)
{
	struct event *event;
	const char *error;
	int ret;

	/* at plugin init auth_event does not exist yet (auths_preinit()
	   creates it later): a root event sees the top-level settings, as
	   Dovecot's own auth_settings_get() does */
	event = event_create(NULL);
	ret = lockout_settings_read(event, cfg, &error);
	event_unref(&event);
	if (ret < 0) {
		i_fatal("lockout: Invalid configuration: %s (is "
			"modules/settings/lib20_lockout_settings.so "
			"installed?)", error);
	}
}
