/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_SYNC_H
#define LOCKOUT_SYNC_H

#include "lockout-error.h"
#include "lockout-policy.h"
#include "lockout-store.h"
#include "lockout-writeq.h"

/* Keeping a policy engine in step with the ban table, for a process that
   enforces bans (the auth process):
   - at open, what the engine remembers across restarts: known devices, and
     the ban history that escalation needs;
   - whenever the table changed, its active bans, protections and allowed
     networks, merged with the bans the write queue has not written yet;
     sources and accounts whose ban was lifted lose their counters, so that
     their next failure does not ban them again at once;
   - the table's upkeep: old rows pruned in small batches.
   Which rows apply depends on the mode: in enforce mode the real bans, in
   lockout_mode=observe all of them, the observed ones it made itself and
   the real (manual) ones, to log "would refuse" for each.

   A reload is two steps, so that a caller may read the table in another
   thread: lockout_sync_read() only reads the store into a snapshot,
   lockout_sync_apply() only changes the engine. Nothing here logs; what
   went wrong comes back in the result for the caller to log. */

struct lockout_sync;
struct lockout_sync_snapshot;

struct lockout_sync_result {
	/* active bans and protections read from the table */
	unsigned int loaded;
	/* valid allowed networks read from the table */
	unsigned int allowed;
	/* ban rows skipped because their target does not parse (the table
	   is shared with other writers), and the first of them */
	unsigned int invalid;
	int64_t invalid_id;
	char invalid_error[LOCKOUT_ERROR_MAX];
	/* out of memory in lockout_sync_apply(): some protections are
	   missing (and lifted ones may keep their counters), or the engine
	   kept its previous allowed networks */
	bool protections_failed;
	bool allowed_failed;
};

/* Keep policy in step with the table for cfg (its mode, and the times of
   what is remembered); both must outlive the result. Returns NULL when out
   of memory. */
struct lockout_sync *lockout_sync_create(const struct lockout_config *cfg,
					 struct lockout_policy *policy)
	__attribute__((warn_unused_result));
/* Free sync and set *sync to NULL. NULL-safe. The engine is not touched. */
void lockout_sync_free(struct lockout_sync **sync);

/* Feed the engine what it remembers across restarts: the known devices
   seen since now - lockout_known_device_time (at most
   lockout_max_known_devices), and the address and network bans made since
   now - lockout_history_time, ended ones included, observed ones not.
   Rows that do not parse are skipped. Returns 0, or -1 with *error_r (the
   engine may then hold part of it). */
int lockout_sync_load_remembered(struct lockout_sync *sync,
				 struct lockout_store *store, int64_t now,
				 const char **error_r)
	__attribute__((warn_unused_result));

/* Read the bans and protections of the mode in use that are active at now,
   and the allowed networks, into *snapshot_r. Fills the loaded, allowed
   and invalid fields of *result_r (zeroing the others), on failure too.
   Returns 0, or -1 with *error_r (a store error, or "Out of memory loading
   bans") and no snapshot. Reads only the store and sync's settings. */
int lockout_sync_read(const struct lockout_sync *sync,
		      struct lockout_store *store, int64_t now,
		      struct lockout_sync_snapshot **snapshot_r,
		      struct lockout_sync_result *result_r,
		      const char **error_r)
	__attribute__((warn_unused_result));
/* Free a snapshot that is not applied. NULL-safe. */
void lockout_sync_snapshot_free(struct lockout_sync_snapshot **snapshot);

/* Make *snapshot, plus the bans and protections of pending (may be NULL)
   that are of the mode in use and not in the snapshot, the engine's
   active bans, protections and allowed networks, and forget the counters
   of the sources and accounts no longer banned or protected. Takes and
   frees *snapshot either way. Sets the *_failed fields of *result_r.
   Returns 0, or -1 with *error_r ("Out of memory loading bans") when the
   engine was left unchanged. */
int lockout_sync_apply(struct lockout_sync *sync,
		       struct lockout_sync_snapshot **snapshot,
		       const struct lockout_writeq *pending,
		       struct lockout_sync_result *result_r,
		       const char **error_r)
	__attribute__((warn_unused_result));

/* lockout_sync_read() then lockout_sync_apply(). On failure the engine is
   unchanged. */
int lockout_sync_reload(struct lockout_sync *sync,
			struct lockout_store *store,
			const struct lockout_writeq *pending, int64_t now,
			struct lockout_sync_result *result_r,
			const char **error_r)
	__attribute__((warn_unused_result));

/* Most rows one table loses in one lockout_sync_prune() call. */
#define LOCKOUT_SYNC_PRUNE_BATCH 2000

/* Keep the table from growing forever: delete at most
   LOCKOUT_SYNC_PRUNE_BATCH rows from each of the failure history, the
   ended bans and the events older than now - lockout_history_time, and of
   the known devices not seen since now - lockout_known_device_time.
   *more_r tells that a table had more (call again soon rather than hold
   the lock long). Returns 0, or -1 with *error_r at the first failure
   (lockout_store_error_is_busy() tells a busy table). */
int lockout_sync_prune(const struct lockout_sync *sync,
		       struct lockout_store *store, int64_t now,
		       bool *more_r, const char **error_r)
	__attribute__((warn_unused_result));

#endif
