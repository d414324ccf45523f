/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_ADMIN_H
#define LOCKOUT_ADMIN_H

/* The rules behind the administrator's commands (doveadm lockout ...),
   over the store's public API: an allowed network and a ban never overlap
   (allowing a network lifts the bans it overlaps, a ban that overlaps one
   is refused), a new ban of a target replaces the one it has, which bans
   apply to a target and what its state is. No output and no Dovecot: the
   adapter prints. Functions that change the table run inside the caller's
   write transaction (lockout_store_begin()), so that a check and the change
   it allows are one; a busy table fails the call (roll back, retry the
   whole transaction). Errors as in lockout-store.h. */

#include "lockout-banset.h"
#include "lockout-config.h"
#include "lockout-json.h"
#include "lockout-store.h"
#include "lockout-target.h"

#include <stdbool.h>
#include <stdint.h>

/* Where an allowed network comes from. */
#define LOCKOUT_ALLOWED_ORIGIN_CONFIG "lockout_allow_networks"
#define LOCKOUT_ALLOWED_ORIGIN_TABLE "allowed table"
/* The reason of a manual ban given none. */
#define LOCKOUT_MANUAL_BAN_REASON "banned by the administrator"

/* What a command works on. */
struct lockout_admin {
	struct lockout_store *store;
	const struct lockout_config *cfg;
	/* the time the command acts at (unix seconds) */
	int64_t now;
	/* Called with a message for each row of the table skipped as
	   invalid (the table is shared with other writers); may be NULL. */
	void (*invalid_row)(const char *message, void *context);
	void *context;
};

/* --- allowed networks ----------------------------------------------------- */

/* Find an allowed network overlapping target: lockout_allow_networks first,
   then (for an address or a network) the allowed table. Returns 1 with the
   network in network_r and *origin_r one of LOCKOUT_ALLOWED_ORIGIN_*, 0
   when there is none, -1 with *error_r. */
int lockout_admin_find_allowed(const struct lockout_admin *admin,
			       const struct lockout_target *target,
			       char network_r[LOCKOUT_TARGET_STRLEN],
			       const char **origin_r, const char **error_r)
	__attribute__((warn_unused_result));

/* A row of the allowed table, and what a change of it lifted. */
struct lockout_allowed_row {
	/* the network was in the table already */
	bool existed;
	/* the row after the change (before it, for a removal) */
	struct lockout_str reason;
	int64_t created;
	/* the targets of the bans lifted, space-separated ("" for none) */
	struct lockout_str lifted;
};

/* Start an empty row; release its strings with lockout_allowed_row_free()
   (then it is empty again). */
void lockout_allowed_row_init(struct lockout_allowed_row *row);
void lockout_allowed_row_free(struct lockout_allowed_row *row);

/* Put network target (an address or network) into the allowed table with
   reason (NULL keeps the reason of a row already there; "" for a new one),
   and lift every active address or network ban that overlaps it. Fills
   *row_r (emptied first). Returns 0, or -1 with *error_r. */
int lockout_admin_allow(const struct lockout_admin *admin,
			const struct lockout_target *target,
			const char *reason,
			struct lockout_allowed_row *row_r,
			const char **error_r)
	__attribute__((warn_unused_result));
/* Remove network target from the allowed table. Returns 1 with *row_r
   (emptied first) as the row was, 0 when it is not in the table (it may
   still be in lockout_allow_networks), -1 with *error_r. */
int lockout_admin_disallow(const struct lockout_admin *admin,
			   const struct lockout_target *target,
			   struct lockout_allowed_row *row_r,
			   const char **error_r)
	__attribute__((warn_unused_result));

/* --- bans ----------------------------------------------------------------- */

/* Append the evidence of a manual ban: {"rule":"manual","via":via} and
   "remote_ip" when remote_ip is not NULL. */
void lockout_admin_manual_evidence(struct lockout_str *str, const char *via,
				   const char *remote_ip);

/* Fill *ban_r as an administrator's ban of target at now, lasting secs
   (lockout_duration_parse(); LOCKOUT_TIME_PERMANENT: permanent), with
   reason (LOCKOUT_MANUAL_BAN_REASON when "") and evidence. The strings are
   target's and the arguments'. */
void lockout_admin_manual_ban(struct lockout_ban *ban_r,
			      const struct lockout_target *target,
			      const char *reason, int64_t now, uint32_t secs,
			      const char *evidence);

/* Ban target with ban (its target): refused when an allowed network
   overlaps target (returns 1 with it in network_r and *origin_r, nothing
   changed); else the active bans of the same target are lifted (*replaced_r
   counts them) and ban is added (ban->id set). Returns 0, 1, or -1 with
   *error_r. */
int lockout_admin_ban(const struct lockout_admin *admin,
		      const struct lockout_target *target,
		      struct lockout_ban *ban, unsigned int *replaced_r,
		      char network_r[LOCKOUT_TARGET_STRLEN],
		      const char **origin_r, const char **error_r)
	__attribute__((warn_unused_result));

/* Called for each ban lifted, as it is after the lift (lifted = now), before
   the lift is done (forget it when the unban fails); the strings are valid
   only during the call. */
typedef void lockout_admin_lifted_callback_t(const struct lockout_ban *ban,
					     void *context);
/* Lift the active bans of exactly target. Returns the number lifted
   (calling callback for each first), or 0 when there was none: then
   covered_by_r holds the target of an active ban of a wider network that
   covers target, or "" when none does. -1 with *error_r. */
int lockout_admin_unban(const struct lockout_admin *admin,
			const struct lockout_target *target,
			lockout_admin_lifted_callback_t *callback,
			void *context,
			char covered_by_r[LOCKOUT_TARGET_STRLEN],
			const char **error_r)
	__attribute__((warn_unused_result));

/* --- what applies to a target --------------------------------------------- */

/* "active", "observed", "expired" or "lifted": ban at now. */
const char *lockout_ban_state(const struct lockout_ban *ban, int64_t now);

/* Whether ban, an active one, applies to target: the target's own ban (the
   same text), or for an address or network a network (or address) ban
   containing it. */
bool lockout_ban_covers(const struct lockout_ban *ban,
			const struct lockout_target *target);
/* How well ban, one that covers target, explains target's state: an
   enforced ban before an observed one, then the target's own before a
   wider network's. Higher is better. */
unsigned int lockout_ban_relevance(const struct lockout_ban *ban,
				   const struct lockout_target *target);
/* The state of target: "protected" (a username) or "banned" when an
   enforced ban covers it, "observed" when only observed ones do, else
   "allowed" when an allowed network overlaps it, else "not banned". */
const char *lockout_target_state(const struct lockout_target *target,
				 bool enforced, bool covered, bool allowed);

/* Whether a failure-history row read for target concerns it: for a
   network the row's address must be in it (the table is queried for
   exact values only). */
bool lockout_failure_concerns(const struct lockout_failure *row,
			      const struct lockout_target *target);
/* Whether the row counts attempts refused before the password check
   rather than failures. */
bool lockout_failure_refused(const struct lockout_failure *row);

/* Call callback for each ban active at admin->now that covers target
   (lockout_ban_covers()), oldest first: for a username its own, for an
   address or a network the bans of each network that may contain it, of
   any width, looked up by their canonical text (the form every writer of
   the table uses) rather than by reading every ban. Returns 0, callback's
   non-zero value if it stopped, or -1 with *error_r. */
int lockout_admin_iter_covering(const struct lockout_admin *admin,
				const struct lockout_target *target,
				lockout_ban_callback_t *callback,
				void *context, const char **error_r)
	__attribute__((warn_unused_result));

/* Set *banned_r to whether the auth process refuses addr by its address
   at admin->now: an enforced (not observed) address or network ban, no
   wider than a ban may be, covers it. Looked up as
   lockout_admin_iter_covering() does. Returns 0, or -1 with *error_r. */
int lockout_admin_addr_banned(const struct lockout_admin *admin,
			      const struct lockout_addr *addr, bool *banned_r,
			      const char **error_r)
	__attribute__((warn_unused_result));

/* --- counters ------------------------------------------------------------- */

struct lockout_admin_stats {
	struct lockout_ban_counts bans;
	/* failure history of the last hour and day */
	uint64_t failures_hour, refused_hour, failures_day, refused_day;
	struct lockout_store_size size;
	/* the size of the database's write-ahead log (0 when none) */
	uint64_t wal_bytes;
	/* unknown-user alerts started within the last day (issue 13) */
	uint64_t alerts_day;
	/* logins refused within the last day as usernames the passdb
	   called unknown lately (rule unknown_names, issue 13) */
	uint64_t unknown_names_day;
};

/* Read the counters of the table at cfg->db. Returns 0, or -1 with
   *error_r. */
int lockout_admin_stats(const struct lockout_admin *admin,
			struct lockout_admin_stats *stats_r,
			const char **error_r)
	__attribute__((warn_unused_result));

#endif
