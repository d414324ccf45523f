/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_AUTH_PRIVATE_H
#define LOCKOUT_AUTH_PRIVATE_H

#include "lockout-config.h"
#include "lockout-policy.h"
#include "lockout-tag.h"

struct auth_request;
struct event;
struct ip_addr;
struct lockout_auth_db;

/* Keys of the pointers the passdb leaves on request->event for the
   observer: the auth_request itself, and our per-request context. */
#define LOCKOUT_EVENT_PTR_REQUEST "lockout_request"
#define LOCKOUT_EVENT_PTR_CTX "lockout_ctx"

/* What the passdb learnt about a request, for the observer. Allocated from
   the request's pool. */
struct lockout_request_ctx {
	/* keyed hash of the attempted password; 0 when there was no
	   plaintext (credential lookup mechanisms) */
	uint32_t password_tag;
	/* we refused it before the password check */
	bool refused;
	/* ... because its account is protected (not because its source is
	   banned) */
	bool refused_protected;
	/* some passdb of the chain said "password mismatch": the user exists
	   even if a later passdb did not know it */
	bool seen_mismatch;
};

/* The state of the plugin in the auth process (not in auth-workers). */
struct lockout_auth {
	struct event *event;
	struct lockout_config cfg;
	struct lockout_policy *policy;
	struct lockout_auth_db *db;
	/* the user the auth process drops to, which owns the database */
	uid_t db_uid;
	gid_t db_gid;
	/* per-install key of the password tags (lockout.key beside the
	   database), in memory only */
	unsigned char tag_key[LOCKOUT_TAG_KEY_SIZE];

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
/* Read the password-tag key beside the database, creating it (random, mode
   0600, owned by uid/gid) at first start. Runs as root at init; i_fatal()
   when impossible. */
void lockout_auth_tag_key_load(const struct lockout_config *cfg, uid_t uid,
			       gid_t gid,
			       unsigned char key_r[LOCKOUT_TAG_KEY_SIZE]);

/* The passdb driver. */
void lockout_auth_passdb_register(void);
void lockout_auth_passdb_unregister(void);

/* The outcome observer. */
void lockout_auth_observer_init(void);
void lockout_auth_observer_deinit(void);
/* Start the periodic check that outcomes are still observed (needs the
   ioloop, so it runs from the passdb init). */
void lockout_auth_observer_start_health(void);
/* The passdb's context of the request whose event this is, or NULL. */
struct lockout_request_ctx *
lockout_auth_request_ctx(struct event *request_event);
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
/* Queue a decision of the policy engine for writing (within a second). */
void lockout_auth_db_queue_decision(struct lockout_auth_db *db,
				    const struct lockout_decision *decision,
				    bool observed);
/* Queue one failure for the history (aggregated before writing). */
void lockout_auth_db_queue_failure(struct lockout_auth_db *db, time_t now,
				   const char *ip, const char *user,
				   const char *service, const char *mechanism,
				   const char *result);

#endif
