/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_STORE_NOTIFY_H
#define LOCKOUT_STORE_NOTIFY_H

/* Notable events for the postmaster, and what lockoutd has mailed already
   (the notified mark of bans and events). Errors, busy and iterations: see
   lockout-store-sql.h. */

#include "lockout-store-bans.h"

/* A notable event for the postmaster. */
struct lockout_event {
	int64_t id;
	int64_t time;
	/* "stale_client", "success_after_failures", "protected", ... */
	const char *kind;
	const char *ip;		/* canonical source; "" when none */
	const char *user;	/* "" when none */
	const char *detail;	/* JSON object */
	bool notified;
};
/* Insert an event (id and notified are ignored): time > 0, kind 1..255
   bytes, ip and user (NULL stored as "") <= 255 bytes, detail (NULL stored
   as "{}") 1..64 KiB. */
int lockout_store_add_event(struct lockout_store *store,
			    const struct lockout_event *event,
			    const char **error_r)
	__attribute__((warn_unused_result));

typedef int lockout_event_callback_t(const struct lockout_event *event,
				     void *context);

/* Call callback for each ban not yet notified (notified = 0), active,
   expired or lifted, observed ones included, by ascending id; at most limit
   rows (0 gives none). Invalid rows are skipped and counted. */
int lockout_store_iter_unnotified_bans(struct lockout_store *store,
				       unsigned int limit,
				       lockout_ban_callback_t *callback,
				       void *context, const char **error_r)
	__attribute__((warn_unused_result));
/* Same for the events not yet notified (strings never NULL, kind not empty,
   ip and user at most 255 bytes, detail at most 64 KiB). */
int lockout_store_iter_unnotified_events(struct lockout_store *store,
					 unsigned int limit,
					 lockout_event_callback_t *callback,
					 void *context, const char **error_r)
	__attribute__((warn_unused_result));
/* Claim the rows of a mail before sending it: set notified = 1 on the bans
   (events) with these ids that are still notified = 0, one
   "UPDATE ... SET notified = 1 WHERE id = ?1 AND notified = 0" each, in
   the caller's transaction, and add to *claimed_r the number of rows
   changed. A row another connection claimed first (or an unknown id) adds
   nothing: on PostgreSQL the UPDATE waits for that connection's
   transaction and then finds the row marked. Give ids in ascending order,
   bans before events, so that two claimers lock rows in the same order and
   cannot deadlock. */
int lockout_store_claim_bans_notified(struct lockout_store *store,
				      const int64_t *ids, size_t count,
				      size_t *claimed_r, const char **error_r)
	__attribute__((warn_unused_result));
int lockout_store_claim_events_notified(struct lockout_store *store,
					const int64_t *ids, size_t count,
					size_t *claimed_r,
					const char **error_r)
	__attribute__((warn_unused_result));
/* Give claimed rows back (a mail that could not be sent): notified = 0 on
   the bans (events) with these ids where it is 1, one UPDATE each: wrap
   them in a transaction. Unknown ids are not an error. */
int lockout_store_unclaim_bans_notified(struct lockout_store *store,
					const int64_t *ids, size_t count,
					const char **error_r)
	__attribute__((warn_unused_result));
int lockout_store_unclaim_events_notified(struct lockout_store *store,
					  const int64_t *ids, size_t count,
					  const char **error_r)
	__attribute__((warn_unused_result));

#endif
