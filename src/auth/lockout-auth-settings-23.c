/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "master-service.h"
#include "lockout-auth-config.h"
#include "lockout-auth-settings.h"
#include "lockout-config.h"

/* The auth process is not given the plugin { } stanza: it is read once at
   init through Dovecot's configuration (lockout-auth-config.c), then
   validated by the core's settings table, like lockoutd's and doveadm's. */
void lockout_auth_settings_read(struct lockout_config *cfg)
{
	const char *config_path, *error;

	if (lockout_config_init(cfg, &error) < 0)
		i_fatal("lockout: Built-in defaults are invalid: %s", error);
	config_path = master_service_get_config_path(master_service);
	if (lockout_auth_config_read(cfg, config_path, &error) < 0) {
		i_fatal("lockout: Invalid configuration in plugin { } of %s: "
			"%s", config_path, error);
	}
}
