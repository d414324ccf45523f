/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_AUTH_REQUEST_H
#define LOCKOUT_AUTH_REQUEST_H

#include "lockout-addr.h"
#include "passdb.h"

struct auth_request;
struct event;
struct lockout_attempt;
struct lockout_config;

/* Translation between Dovecot's auth requests and the engine: the source
   address, the password tag, the outcome, and the small context the
   passdb keeps for the observer, found by request->event. */

/* What the passdb learnt about a request, for the observer. Allocated from
   the request's pool. */
struct lockout_request_ctx {
	/* the request this is the context of */
	struct auth_request *request;
	/* keyed hash of the attempted password; 0 when there was no
	   plaintext (credential lookup mechanisms) */
	uint32_t password_tag;
	/* we refused it before the password check */
	bool refused;
	/* ... because its account is protected (not because its source is
	   banned) */
	bool refused_protected;
	/* ... because the passdb called its username unknown lately */
	bool refused_name;
	/* ... because its source is a suspect of the unknown-user alert
	   trying another person */
	bool refused_suspect;
	/* some passdb of the chain said "password mismatch": the user exists
	   even if a later passdb did not know it */
	bool seen_mismatch;
	/* its outcome is observed at the handler's reply (the observer
	   wrapped the handler); already observed (through the reply or the
	   finished event, whichever came first) */
	bool watched;
	bool observed;
	/* holds a slot of lockout_policy_reserve(), to release at the
	   outcome */
	bool reserved;
	/* held by passdb lockout until its source has a slot free: the
	   callback to continue with, and the next held request */
	bool held;
	time_t held_since;
	void (*plain_callback)(enum passdb_result, struct auth_request *);
	void (*credentials_callback)(enum passdb_result, const unsigned char *,
				     size_t, struct auth_request *);
	struct lockout_request_ctx *held_next;
	enum passdb_result held_result;
};

/* Load the per-install password-tag key, lockout.key beside the database
   (created at first start: random, mode 0600, owned by uid/gid; with
   lockout_db_driver = pgsql a random key in memory only). At init,
   as root; i_fatal() when impossible. */
void lockout_auth_request_init(const struct lockout_config *cfg, uid_t uid,
			       gid_t gid);
/* Wipe the key. */
void lockout_auth_request_deinit(void);

/* The context of request, created on first use (from the request's pool,
   found again by request->event until that event is freed). */
struct lockout_request_ctx *
lockout_auth_request_ctx(struct auth_request *request);
/* The context of request if the passdb left one, else NULL. */
struct lockout_request_ctx *
lockout_auth_request_ctx_get(struct auth_request *request);
/* request->event (or any event) is being freed: forget its context. From
   the observer's event callback. */
void lockout_auth_request_event_freed(struct event *event);
/* The request that event belongs to (the event is request->event or one
   of its first descendants) and its context, or NULL when the passdb
   never saw it. */
struct auth_request *
lockout_auth_request_find(struct event *event,
			  struct lockout_request_ctx **ctx_r);

/* The password tag of password (never 0). */
uint32_t lockout_auth_request_password_tag(const char *password);
/* The request's source address (family 0 when it has none). */
void lockout_auth_request_addr(const struct auth_request *request,
			       struct lockout_addr *addr_r);
/* The finished request as the engine sees it, at now. Returns FALSE when
   it is not to be counted: no source address, or an internal failure
   (not an attack). The strings point into the request. */
bool lockout_auth_request_attempt(const struct auth_request *request,
				  const struct lockout_request_ctx *ctx,
				  time_t now,
				  struct lockout_attempt *attempt_r);
/* A finished request the passdb never saw (event is its
   auth_request_finished event): when Dovecot refused its username before
   any passdb (auth_username_chars, auth_username_format, an empty name),
   fill *attempt_r as a LOCKOUT_OUTCOME_INVALID_USER attempt at now (user
   is the refused name, to be hashed and never kept) and set *remote_ip_r
   to the address as Dovecot wrote it; else return FALSE (a success, an
   internal failure, no address, no username given, or a username Dovecot
   accepted). The strings point into the event. */
bool lockout_auth_request_refused_username(struct event *event, time_t now,
					   struct lockout_attempt *attempt_r,
					   const char **remote_ip_r);

#endif
