/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUTD_SETTINGS_H
#define LOCKOUTD_SETTINGS_H

#include "lockout-config.h"

/* Read the lockout_* settings of Dovecot's configuration (config_path, or
   Dovecot's own when NULL) through doveconf into cfg: the plugin { } block
   on Dovecot 2.3 (lockoutd-settings-23.c), the top level on 2.4
   (lockoutd-settings-24.c); configure picks the file. Returns 0, or -1
   with *error_r naming the setting or saying how doveconf failed. */
int lockoutd_settings_read(struct lockout_config *cfg,
			   const char *config_path, const char **error_r);

#endif
