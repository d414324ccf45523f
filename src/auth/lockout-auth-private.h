/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_AUTH_PRIVATE_H
#define LOCKOUT_AUTH_PRIVATE_H

#include "lockout-config.h"

struct event;
struct lockout_auth_db;
struct lockout_policy;

/* The state of the plugin in the auth process (not in auth-workers), set
   up by the plugin's init in this order: settings, then the engine, then
   (after the privilege drop, from the passdb's init) the ban table. */
struct lockout_auth {
	/* category "lockout", log prefix "lockout: " */
	struct event *event;
	struct lockout_config cfg;
	struct lockout_policy *policy;
	/* NULL until the passdb is initialised */
	struct lockout_auth_db *db;
};

/* NULL in auth-workers. */
extern struct lockout_auth *lockout_auth;
extern struct event_category event_category_lockout;

#endif
