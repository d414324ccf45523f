/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockoutd-settings.h"
#include "lockout-doveconf.h"

/* Dovecot 2.4: the settings are at the top level, known to doveconf
   through our settings module ("doveconf lockout_db lockout_..."). */

int lockoutd_settings_read(struct lockout_config *cfg,
			   const char *config_path, const char **error_r)
{
	return lockout_doveconf_read_top(cfg, LOCKOUT_DOVECONF_PATH,
					 config_path, error_r);
}
