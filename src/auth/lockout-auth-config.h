/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_AUTH_CONFIG_H
#define LOCKOUT_AUTH_CONFIG_H

struct lockout_config;

/* Where the auth process of Dovecot 2.3 finds the plugin { } settings:
   Dovecot gives its processes the config server's socket as their config
   path, and the server answers the settings of module=mail, plugin { }
   included. (Dovecot 2.4 declares the settings through a settings module
   instead, in a file of its own.) */

/* Read the lockout_* settings of plugin { } into cfg: over the config
   socket when config_path is one (while still root: the socket is
   root-only), else by running doveconf on config_path (NULL: Dovecot's
   default configuration). Returns 0, or -1 with *error_r naming the
   setting and the value, or what failed. */
int lockout_auth_config_read(struct lockout_config *cfg,
			     const char *config_path, const char **error_r);

#endif
