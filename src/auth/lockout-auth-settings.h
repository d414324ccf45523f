/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_AUTH_SETTINGS_H
#define LOCKOUT_AUTH_SETTINGS_H

struct lockout_config;

/* Fill cfg with the defaults and the lockout_* settings (2.3: plugin { },
   2.4: top level; lockout-auth-settings-23.c or -24.c), and
   validate them. At init, as root. i_fatal() naming the setting and the
   value when one is invalid or unknown. */
void lockout_auth_settings_read(struct lockout_config *cfg);

#endif
