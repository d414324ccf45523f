/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_SETTINGS_H
#define LOCKOUT_SETTINGS_H

/* Dovecot 2.4: the lockout_* settings declared to Dovecot's settings
   framework, at the top level of dovecot.conf. This file is compiled into
   the settings module (which makes doveconf and the config process know
   and check them) and into each reader (auth, doveadm), which get them
   with settings_get(event, &lockout_setting_parser_info, ...).

   The declaration is made from the core's settings table
   (lockout-config.h) when the module is loaded: every setting, with its
   name and default, as a string that the core's parser checks. So both
   generations have the same settings, defaults, values and error
   messages, and a setting added to the core needs nothing here. */

#include "lockout-config.h"

/* Most settings the core table may have (checked when loaded). */
#define LOCKOUT_SETTINGS_MAX 64

struct lockout_settings {
	pool_t pool;
	/* values[i] is the text of setting i of the core table
	   (lockout_config_name(i)), never NULL */
	const char *values[LOCKOUT_SETTINGS_MAX];
};

extern const struct setting_parser_info lockout_setting_parser_info;

/* Fill cfg (lockout_config_init() done) from set with the core's parser.
   Returns 0, or -1 with *error_r naming the setting and the value. */
int lockout_settings_to_config(const struct lockout_settings *set,
			       struct lockout_config *cfg,
			       const char **error_r);

/* settings_get() of our settings on event, parsed into cfg (which needs
   lockout_config_free() afterwards, even on failure). Returns 0, or -1
   with *error_r. */
int lockout_settings_read(struct event *event, struct lockout_config *cfg,
			  const char **error_r);

#endif
