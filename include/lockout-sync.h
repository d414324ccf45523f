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
   - the table's upkeep: old rows pruned in small batches;
   - should the table be lost (deleted, or replaced by another file, while
     in use), what it takes to write it back.
   Which rows apply depends on the mode: in enforce mode the real bans, in
   lockout_mode=observe all of them, the observed ones it made itself and
   the real (manual) ones, to log "would refuse" for each.

   A reload is two steps, so that a caller may read the table in another
   thread: lockout_sync_read() only reads the store into a snapshot,
   lockout_sync_apply() only changes the engine. Nothing here logs; what
   went wrong comes back in the result for the caller to log. */

struct lockout_sync;
struct lockout_sync_snapshot;

/* Most invalid rows one read reports in detail. */
#define LOCKOUT_SYNC_INVALID_MAX 8

struct lockout_sync_result {
	/* active bans and protections read from the table */
	unsigned int loaded;
	/* valid allowed networks read from the table */
	unsigned int allowed;
	/* active ban rows of the mode in use skipped as invalid (the table
	   is shared with other writers): they break the ban invariants or
	   fail lockout_ban_check_target(); never enforced */
	unsigned int invalid;
	/* those of them not reported by an earlier read (an id above the
	   highest reported: each invalid row is reported once, in bounded
	   memory), the first LOCKOUT_SYNC_INVALID_MAX of them with their id
	   and problem, to be logged */
	unsigned int invalid_new;
	struct {
		int64_t id;
		char problem[LOCKOUT_ERROR_MAX];
	} invalid_rows[LOCKOUT_SYNC_INVALID_MAX];
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
   engine is then unchanged). lockout_sync_read_remembered() then
   lockout_sync_apply_remembered(). */
int lockout_sync_load_remembered(struct lockout_sync *sync,
				 struct lockout_store *store, int64_t now,
				 const char **error_r)
	__attribute__((warn_unused_result));

/* The same in two steps, for a caller that reads the table in another
   thread: the read touches only the store (and sync's settings), the apply
   only the engine. */
struct lockout_sync_remembered;
/* Read what lockout_sync_load_remembered() feeds the engine into
   *remembered_r. Returns 0, or -1 with *error_r (a store error, or "Out of
   memory loading bans") and nothing read. */
int lockout_sync_read_remembered(const struct lockout_sync *sync,
				 struct lockout_store *store, int64_t now,
				 struct lockout_sync_remembered **remembered_r,
				 const char **error_r)
	__attribute__((warn_unused_result));
/* Feed *remembered to the engine, free it and set it to NULL. */
void lockout_sync_apply_remembered(struct lockout_sync *sync,
				   struct lockout_sync_remembered **remembered);
/* Free what was read and not applied. NULL-safe. */
void lockout_sync_remembered_free(struct lockout_sync_remembered **remembered);

/* Most failures one row of another node counts for (a flood writes rows
   with large counts; every rule's threshold is far below). */
#define LOCKOUT_SYNC_REMOTE_COUNT_MAX 100

/* A failure-history row written by another node sharing the table, as the
   attempt that this node's engine observes (lockout_policy_observe(),
   never queued for the history again: the row is there already): the
   source, the username (none for invalid_user), service, mechanism, the
   outcome its result names, the time now (the engine's time only moves
   forward), no password tag (every failure counts). Returns how many times
   to observe it: its count, at most LOCKOUT_SYNC_REMOTE_COUNT_MAX; 0 for a
   row to skip: an address or result that does not parse, or older than
   now - lockout_ip_window (a node writing its queue late, after an
   outage). The attempt's strings point into row. Pure. */
unsigned int lockout_sync_failure_attempt(const struct lockout_sync *sync,
					  const struct lockout_failure *row,
					  int64_t now,
					  struct lockout_attempt *attempt_r);

/* Read the bans and protections of the mode in use that are active at now,
   and the allowed networks, into *snapshot_r. Fills the loaded, allowed
   and invalid* fields of *result_r (zeroing the others), on failure too;
   the invalid rows reported there are not reported again by later reads of
   sync (which is why sync is not const).
   Returns 0, or -1 with *error_r (a store error, or "Out of memory loading
   bans") and no snapshot. Reads only the store and sync's settings. */
int lockout_sync_read(struct lockout_sync *sync,
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

/* What lockout_sync_restore() queued. */
struct lockout_sync_restored {
	/* active ban and protection rows (of both modes) read from the lost
	   table, written back whole */
	unsigned int bans;
	/* bans of the engine whose row was not read: written with what the
	   engine knows (network, end), rule "restored" */
	unsigned int bare;
	/* allowed networks and known devices read from the lost table */
	unsigned int allowed, devices;
	/* not queued: out of memory */
	unsigned int dropped;
	/* the lost table could not be read (all or part of it): read_error
	   says why; the engine's bans were written back all the same */
	bool read_failed;
	char read_error[LOCKOUT_ERROR_MAX];
	/* out of memory listing the bans queued: some may be written
	   twice */
	bool keys_failed;
};

/* The table was lost (deleted, or another file put in its place) while
   old, a connection to it, still has the file open and can read it (NULL
   when there is none): queue into queue (beyond its limits: these are
   bounded by what was in the table and the engine) what it takes to
   rebuild it - the bans and protections of both modes active at now, as
   rows (reason, rule, source, times, evidence), the allowed networks, the
   known devices seen within lockout_known_device_time - then the engine's
   active bans that were not read, except the bans queue holds already.
   Only reads old. Lost: the failure history, ended bans, events. */
void lockout_sync_restore(struct lockout_sync *sync,
			  struct lockout_store *old,
			  struct lockout_writeq *queue, int64_t now,
			  struct lockout_sync_restored *result_r);

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
