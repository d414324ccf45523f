/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_DOVECONF_H
#define LOCKOUT_DOVECONF_H

#include "lockout-config.h"

/* Reading the lockout_* settings of Dovecot's plugin { } stanza through
   doveconf, so that every part of the product is configured in one place.
   The auth process uses it at init (as root, before the privilege drop,
   through the config socket) and lockoutd at start; doveadm reads the same
   stanza through doveadm_plugin_getenv(). */

/* Parse doveconf's output of "doveconf plugin" (a "plugin {" line, then
   "  name = value" lines, then "}") into cfg through lockout_config_load():
   every lockout_* setting is set, an empty value means the default, other
   names are ignored and an unknown lockout_* name is an error. Returns 0, or
   -1 with *error_r naming the setting and the value (cfg may then hold some
   of the settings, and can still be freed). */
int lockout_doveconf_parse(struct lockout_config *cfg, const char *text,
			   const char **error_r)
	__attribute__((warn_unused_result));

/* Run "<doveconf_path> [-c <config_path>] plugin" without a shell, read its
   output (at most 1 MiB) and parse it as above. config_path NULL means
   Dovecot's default configuration. Returns 0, or -1 with *error_r. */
int lockout_doveconf_read(struct lockout_config *cfg,
			  const char *doveconf_path, const char *config_path,
			  const char **error_r)
	__attribute__((warn_unused_result));

/* Read the settings the way the calling process can: when config_path is
   a Dovecot config socket (what Dovecot's own processes are given), ask the
   config server over it; otherwise run doveconf as above. */
int lockout_dovecot_config_read(struct lockout_config *cfg,
				const char *doveconf_path,
				const char *config_path,
				const char **error_r)
	__attribute__((warn_unused_result));

#endif
