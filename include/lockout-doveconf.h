/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_DOVECONF_H
#define LOCKOUT_DOVECONF_H

#include "lockout-config.h"

/* Reading the lockout_* settings of Dovecot's plugin { } stanza, so that
   every part of the product is configured in one place: lockoutd runs
   doveconf at start; the auth process asks Dovecot's config server (its
   adapter speaks that protocol) and hands the pairs it got to
   lockout_doveconf_apply(); doveadm reads the same stanza through
   doveadm_plugin_getenv(). On Dovecot 2.4, lockoutd reads them from the
   top level (lockout_doveconf_read_top()). Nothing here links Dovecot. */

/* One setting of the plugin { } stanza. */
struct lockout_doveconf_pair {
	const char *name, *value;
};

/* Apply count settings of a plugin { } stanza to cfg through
   lockout_config_load(): names not starting with "lockout_" are not ours
   and ignored, an unknown lockout_* name is an error, the last pair of a
   name wins, an empty value means the default. Returns 0, or -1 with
   *error_r naming the setting and the value (cfg may then hold some of
   the settings, and can still be freed). */
int lockout_doveconf_apply(struct lockout_config *cfg,
			   const struct lockout_doveconf_pair *pairs,
			   size_t count, const char **error_r)
	__attribute__((warn_unused_result));

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

/* Run "<doveconf_path> [-c <config_path>] -h <name>" without a shell and
   set *value_r (malloc()ed, free() it) to the value without its trailing
   newline. Returns 0, or -1 with *error_r. */
int lockout_doveconf_value(const char *doveconf_path,
			   const char *config_path, const char *name,
			   char **value_r, const char **error_r)
	__attribute__((warn_unused_result));

/* Dovecot 2.4 keeps the lockout_* settings at the top level (there is no
   plugin { }), declared by our settings module. Parse "name = value" lines
   outside any block as lockout_doveconf_parse() does those of the plugin
   block (lines inside blocks are not ours). */
int lockout_doveconf_parse_top(struct lockout_config *cfg, const char *text,
			       const char **error_r)
	__attribute__((warn_unused_result));

/* Run "<doveconf_path> [-c <config_path>] lockout_db lockout_..." (every
   name of the settings table) without a shell, read its output (at most
   1 MiB) and parse it with lockout_doveconf_parse_top(). Without our
   settings module doveconf fails on a lockout_* setting in the
   configuration and prints nothing for the names: both are errors (the
   output must hold lockout_db). Returns 0, or -1 with *error_r. */
int lockout_doveconf_read_top(struct lockout_config *cfg,
			      const char *doveconf_path,
			      const char *config_path, const char **error_r)
	__attribute__((warn_unused_result));

#endif
