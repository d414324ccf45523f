/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "auth-common.h"
#include "lockout-auth-settings.h"
#include "lockout-settings.h"

/* Dovecot 2.4: the lockout_* settings are top-level settings, declared by
   our settings module (src/settings) and read with settings_get() on the
   auth process's event: the values the config process already checked. */
void lockout_auth_settings_read(struct lockout_config *cfg)
{
	const char *error;

	if (lockout_settings_read(auth_event, cfg, &error) < 0) {
		i_fatal("lockout: Invalid configuration: %s (is "
			"modules/settings/lib20_lockout_settings.so "
			"installed?)", error);
	}
}
