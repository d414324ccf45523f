/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_AUTH_PRIVATE_H
#define LOCKOUT_AUTH_PRIVATE_H

#include "lockout-config.h"
#include "lockout-policy.h"

struct auth_request;
struct event;
struct ip_addr;
struct lockout_auth_db;

/* Keys of the pointers the passdb leaves on request->event for the
   observer: the auth_request itself, and a marker when we refused it. */
#define LOCKOUT_EVENT_PTR_REQUEST "lockout_request"
#define LOCKOUT_EVENT_PTR_REFUSED "lockout_refused"

/* The state of the plugin in the auth process (not in auth-workers). */
struct lockout_auth {
	struct event *event;
	struct lockout_config cfg;
	struct lockout_policy *policy;
	struct lockout_auth_db *db;
	/* the user the auth process drops to, which owns the database */
	uid_t db_uid;
	gid_t db_gid;

	/* observer health: passdb calls and outcomes seen since the last
	   check, and whether we have already complained */
	unsigned int health_passdb_calls;
	unsigned int health_outcomes;
	bool health_warned;
	struct timeout *to_health;
};

extern struct lockout_auth *lockout_auth;
extern struct event_category event_category_lockout;

/* Settings: read the plugin { } stanza through doveconf and validate it;
   i_fatal() naming the setting and the value when it is invalid. */
void lockout_auth_settings_read(struct lockout_config *cfg);
/* Create the database directory owned by uid/gid when missing, and give
   root-owned database files to uid/gid. Runs as root at init. */
void lockout_auth_db_prepare(const struct lockout_config *cfg, uid_t uid,
			     gid_t gid);

/* The passdb driver. */
void lockout_auth_passdb_register(void);
void lockout_auth_passdb_unregister(void);

/* The outcome observer. */
void lockout_auth_observer_init(void);
void lockout_auth_observer_deinit(void);
/* Start the periodic check that outcomes are still observed (needs the
   ioloop, so it runs from the passdb init). */
void lockout_auth_observer_start_health(void);
/* Did the passdb refuse the request whose event this is? */
bool lockout_auth_request_refused(struct event *request_event);
/* Convert Dovecot's address to ours (family 0 when there is none). */
void lockout_auth_addr_from_ip(const struct ip_addr *ip,
			       struct lockout_addr *addr_r);

/* The ban table, from the auth process: opened after the privilege drop,
   written in batches off the request path, followed for other writers'
   changes. */
struct lockout_auth_db *lockout_auth_db_init(void);
void lockout_auth_db_deinit(struct lockout_auth_db **db);
/* Is the table usable now? When not, lockout_on_error decides. */
bool lockout_auth_db_usable(const struct lockout_auth_db *db);
/* Queue a ban decision for writing (within a second). */
void lockout_auth_db_queue_ban(struct lockout_auth_db *db,
			       struct lockout_decision *decision,
			       bool observed);
/* Queue one failure for the history (aggregated before writing). */
void lockout_auth_db_queue_failure(struct lockout_auth_db *db, time_t now,
				   const char *ip, const char *user,
				   const char *service, const char *mechanism,
				   const char *result);

#endif
