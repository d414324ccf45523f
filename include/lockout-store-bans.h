/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_STORE_BANS_H
#define LOCKOUT_STORE_BANS_H

/* The ban table: add, lift, count and list bans (struct lockout_ban, see
   lockout-ban.h). Errors, busy and iterations: see lockout-store-sql.h. */

#include "lockout-ban.h"
#include "lockout-store-sql.h"

/* Insert a ban after validating it with lockout_ban_validate() (the error
   names the problem); ban->id is ignored. Set *id_r (may be NULL) to the
   new row's id. */
int lockout_store_add_ban(struct lockout_store *store,
			  const struct lockout_ban *ban, int64_t *id_r,
			  const char **error_r)
	__attribute__((warn_unused_result));
/* lockout_store_add_ban() for a ban the engine decided (source auto), as
   the auth process writes it. On a store of one node of several
   (lockout_store_set_node()) the ban is inserted only if no active ban of
   the same target (observed alike) already covers it, that is ends at or
   after it, give or take a minute (permanent covers all): two nodes that
   decide the same ban in the same second, each before it read the
   other's, write it once (a second row would count as one more earlier
   ban when the next one is escalated). The check and the insert are made in the writers' turn (a
   transaction lock up to the commit, lockout-store-history.h): call it
   inside a transaction. *added_r tells whether a row was inserted. Without
   a node: lockout_store_add_ban(), always added. */
int lockout_store_add_auto_ban(struct lockout_store *store,
			       const struct lockout_ban *ban, bool *added_r,
			       const char **error_r)
	__attribute__((warn_unused_result));
/* Lift all bans of target that are active at `now` (> 0; sets lifted=now).
   Set *count_r to the number lifted (0 when none was active, which is not
   an error). */
int lockout_store_lift(struct lockout_store *store, const char *target,
		       int64_t now, unsigned int *count_r,
		       const char **error_r)
	__attribute__((warn_unused_result));

/* Set *count_r to the number of bans ever recorded for target, lifted and
   expired ones included. */
int lockout_store_count_bans(struct lockout_store *store, const char *target,
			     unsigned int *count_r, const char **error_r)
	__attribute__((warn_unused_result));

enum lockout_iter_flags {
	/* include expired and lifted bans */
	LOCKOUT_ITER_FLAG_ALL = 0x01,
	/* lockout_store_iter_bans() of the active bans: read them in
	   creation order (no sort) rather than as the range of the active
	   ones (sorted): cheaper when most rows of the table are active and
	   all are wanted (doveadm lockout list), dearer when many expired
	   bans are still kept */
	LOCKOUT_ITER_FLAG_CREATED = 0x02,
};

/* Called for each ban. Strings are valid only during the call. Return 0 to
   go on, non-zero to stop. */
typedef int lockout_ban_callback_t(const struct lockout_ban *ban,
				   void *context);

/* Called for each row of the ban table that an iteration (iter_bans,
   iter_target, lockout_store_count_active()) skips as invalid: its id and
   what is wrong with it (a static string). Must not call the store. */
typedef void lockout_invalid_ban_callback_t(int64_t id, const char *problem,
					    void *context);
/* Report the invalid ban rows the store's iterations skip to callback
   (NULL: only count them, the default). */
void lockout_store_set_invalid_ban_callback(struct lockout_store *store,
				lockout_invalid_ban_callback_t *callback,
				void *context);

/* Call callback for each ban active at `now` (not lifted, and permanent or
   expires > now), or for every ban with LOCKOUT_ITER_FLAG_ALL, ordered by
   created then id. Rows that break the ban invariants (unknown kind, bad
   times, over-long or NUL-holding strings...) are skipped, counted and
   reported to the invalid ban callback. */
int lockout_store_iter_bans(struct lockout_store *store, int64_t now,
			    unsigned int flags,
			    lockout_ban_callback_t *callback, void *context,
			    const char **error_r)
	__attribute__((warn_unused_result));

/* Call callback for each ban of exactly target (compared bytewise), ordered
   by created then id: those active at now, or all of them (expired and
   lifted too) with LOCKOUT_ITER_FLAG_ALL. Invalid rows are skipped and
   counted. */
int lockout_store_iter_target(struct lockout_store *store, const char *target,
			      int64_t now, unsigned int flags,
			      lockout_ban_callback_t *callback, void *context,
			      const char **error_r)
	__attribute__((warn_unused_result));

/* The most targets lockout_store_iter_targets() takes at once: every
   prefix of an IPv6 address, /0 to /128. */
#define LOCKOUT_STORE_TARGETS_MAX 129

/* Call callback for each ban active at now whose target is exactly one of
   the count (1..LOCKOUT_STORE_TARGETS_MAX) targets, ordered by created
   then id: one index lookup per target, whatever the size of the table
   (lockout_admin_iter_covering() asks for the networks that may contain an
   address this way). Invalid rows are skipped and counted. */
int lockout_store_iter_targets(struct lockout_store *store,
			       const char *const *targets, unsigned int count,
			       int64_t now, lockout_ban_callback_t *callback,
			       void *context, const char **error_r)
	__attribute__((warn_unused_result));

/* As lockout_store_iter_bans() for the bans of one kind only, read through
   an index on (kind, created): an empty kind costs nothing, whatever the
   number of bans of the others. */
int lockout_store_iter_kind(struct lockout_store *store,
			    enum lockout_kind kind, int64_t now,
			    unsigned int flags,
			    lockout_ban_callback_t *callback, void *context,
			    const char **error_r)
	__attribute__((warn_unused_result));

#endif
