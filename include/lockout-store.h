/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_STORE_H
#define LOCKOUT_STORE_H

/* The ban table and the failure history, kept in one SQLite database. All
   SQLite access of the project goes through this module.

   A store is one SQLite connection, to be used by one thread at a time. It
   never prints and never exits. Functions returning int return 0 on success
   and -1 on failure with *error_r set (see lockout-error.h for how long the
   message lives); the message names the database path.

   Busy: every call may wait up to the busy timeout given at open for a lock
   held by another connection. If it is still held, the call fails with an
   error containing "database is busy" and lockout_store_error_is_busy()
   returns true: nothing was changed by that call, retry later (inside an
   explicit transaction: roll it back and retry the whole transaction).

   Read-only opens of a WAL database need its -wal and -shm files to exist
   already, or write access to the directory so SQLite can create them (a
   root reader creates them owned by the database file's owner). */

#include "lockout-ban.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limit of each string of a failure-history row (bytes, without the NUL);
   callers truncate untrusted input (e.g. usernames) to it beforehand. */
#define LOCKOUT_FAILURE_FIELD_MAX 255

struct lockout_store;

/* An aggregated failure-history row: `count` failures that share the other
   fields. String fields may be NULL (unknown) and are at most
   LOCKOUT_FAILURE_FIELD_MAX bytes. */
struct lockout_failure {
	int64_t time;
	const char *ip;
	const char *user;
	const char *service;
	const char *mechanism;
	/* "mismatch", "unknown_user", "refused", ... */
	const char *result;
	/* > 0 */
	unsigned int count;
};

enum lockout_store_flags {
	/* Open with SQLITE_OPEN_READONLY: never writes, never migrates; fails
	   if the schema is missing or older than this code knows. */
	LOCKOUT_STORE_FLAG_READONLY = 0x01,
	/* Create the file and the schema if missing (ignored with READONLY).
	   Without it a missing file is an error, and so is an existing file
	   without our schema; an older schema is migrated either way. */
	LOCKOUT_STORE_FLAG_CREATE = 0x02,
};

/* Open the database at path: set the busy timeout, WAL journal,
   synchronous=NORMAL and foreign_keys=ON, then bring the schema up to date,
   each migration in its own transaction. Refuses, changing nothing, a
   database whose schema version is newer than this code knows, a database
   of another application, a non-empty database without our schema, and a
   file that is not a database. Files are created with SQLite's mode 0644
   minus the umask. Return 0 and set *store_r, or -1. */
int lockout_store_open(const char *path, unsigned int flags,
		       unsigned int busy_timeout_msecs,
		       struct lockout_store **store_r, const char **error_r)
	__attribute__((warn_unused_result));
/* Close the store: finalize its statements and roll back an open
   transaction. NULL-safe (store or *store), sets *store to NULL. */
void lockout_store_close(struct lockout_store **store);

/* Begin an explicit write transaction (BEGIN IMMEDIATE: takes the write lock
   now, so later statements of it cannot be busy). Fails if one is already
   open or the store is read-only. Writes outside a transaction autocommit. */
int lockout_store_begin(struct lockout_store *store, const char **error_r)
	__attribute__((warn_unused_result));
/* Commit the transaction opened by lockout_store_begin(). On failure the
   transaction is rolled back: nothing of it was stored, the store is back
   in autocommit mode. Also fails if SQLite had already rolled it back after
   an earlier error. */
int lockout_store_commit(struct lockout_store *store, const char **error_r)
	__attribute__((warn_unused_result));
/* Roll back the open transaction; does nothing if none is open. */
void lockout_store_rollback(struct lockout_store *store);

/* Insert a ban after validating it: non-empty target <= 255 bytes, valid
   kind and source, reason <= 1024 and rule 1..255 bytes (not NULL),
   evidence <= 64 KiB, created > 0, expires == 0 or > created, lifted == 0
   or >= created. ban->id is ignored. Set *id_r (may be NULL) to the new
   row's id. */
int lockout_store_add_ban(struct lockout_store *store,
			  const struct lockout_ban *ban, int64_t *id_r,
			  const char **error_r)
	__attribute__((warn_unused_result));
/* Lift all bans of target that are active at `now` (> 0; sets lifted=now).
   Set *count_r to the number lifted (0 when none was active, which is not
   an error). */
int lockout_store_lift(struct lockout_store *store, const char *target,
		       int64_t now, unsigned int *count_r,
		       const char **error_r)
	__attribute__((warn_unused_result));
/* Insert `count` failure-history rows, one INSERT each; the caller wraps
   them in a transaction. All rows are validated (count > 0, field lengths)
   before any is inserted. count == 0 does nothing. */
int lockout_store_add_failures(struct lockout_store *store,
			       const struct lockout_failure *rows,
			       size_t count, const char **error_r)
	__attribute__((warn_unused_result));
enum lockout_store_table {
	LOCKOUT_STORE_TABLE_FAILURES,
	/* bans that ended: lifted, or expired (never permanent ones that
	   were not lifted) */
	LOCKOUT_STORE_TABLE_BANS,
	LOCKOUT_STORE_TABLE_EVENTS,
	/* by last_seen */
	LOCKOUT_STORE_TABLE_KNOWN_DEVICES,
};
/* Delete at most max_rows rows of table older than before, oldest first
   (bounded so it never holds the lock long; call again while *deleted_r
   == max_rows). max_rows == 0 deletes nothing. */
int lockout_store_prune(struct lockout_store *store,
			enum lockout_store_table table, int64_t before,
			unsigned int max_rows, unsigned int *deleted_r,
			const char **error_r)
	__attribute__((warn_unused_result));
/* Delete at most max_rows history rows with time < before, oldest first
   (bounded so it never holds the lock long; call again while *deleted_r ==
   max_rows). max_rows == 0 deletes nothing. */
int lockout_store_prune_failures(struct lockout_store *store, int64_t before,
				 unsigned int max_rows,
				 unsigned int *deleted_r,
				 const char **error_r)
	__attribute__((warn_unused_result));

enum lockout_iter_flags {
	/* include expired and lifted bans */
	LOCKOUT_ITER_FLAG_ALL = 0x01,
};

/* Called for each ban. Strings are valid only during the call. Return 0 to
   go on, non-zero to stop. */
typedef int lockout_ban_callback_t(const struct lockout_ban *ban,
				   void *context);

/* Call callback for each ban active at `now` (not lifted, and permanent or
   expires > now), or for every ban with LOCKOUT_ITER_FLAG_ALL, ordered by
   created then id. Rows that break the ban invariants (unknown kind, bad
   times, over-long or NUL-holding strings...) are skipped and counted in
   lockout_store_skipped_rows(). Return 0 when all rows were seen, the
   callback's non-zero value if it stopped (*error_r then untouched), or -1.
   The callback may call other functions of the store (e.g. lift), but not
   lockout_store_iter_bans() or lockout_store_top(): those calls fail. */
int lockout_store_iter_bans(struct lockout_store *store, int64_t now,
			    unsigned int flags,
			    lockout_ban_callback_t *callback, void *context,
			    const char **error_r)
	__attribute__((warn_unused_result));
/* Number of invalid rows skipped by iter_bans and top since open. */
unsigned int lockout_store_skipped_rows(const struct lockout_store *store);

/* Return 1 if another connection committed since the last call (or since
   open for the first call), 0 if not, -1 on error. Commits of this store's
   own connection do not count. Uses PRAGMA data_version. */
int lockout_store_changed(struct lockout_store *store, const char **error_r)
	__attribute__((warn_unused_result));

/* Set *count_r to the number of bans ever recorded for target, lifted and
   expired ones included. */
int lockout_store_count_bans(struct lockout_store *store, const char *target,
			     unsigned int *count_r, const char **error_r)
	__attribute__((warn_unused_result));

/* One row of a "top" ranking. key is valid only during the callback. */
struct lockout_top_row {
	const char *key;
	/* sum of the failure counts */
	uint64_t failures;
	/* distinct ips for users, distinct users for ips and services
	   (NULL and empty values not counted) */
	uint64_t distinct;
	/* time of the first and the last failure */
	int64_t first;
	int64_t last;
};

/* Rank the history rows with time >= since grouped by `by` ("user", "ip" or
   "service"; rows where that field is NULL or empty are left out), highest
   failures first (ties by key), at most `limit` rows (0 gives none). The
   callback returns 0 to go on, non-zero to stop; return value and
   re-entrancy as for lockout_store_iter_bans(). */
int lockout_store_top(struct lockout_store *store, const char *by,
		      int64_t since, unsigned int limit,
		      int (*callback)(const struct lockout_top_row *row,
				      void *context),
		      void *context, const char **error_r)
	__attribute__((warn_unused_result));

/* True if the last failing call on this store failed because the database
   was busy (locked by another connection beyond the busy timeout). */
bool lockout_store_error_is_busy(const struct lockout_store *store);

/* Schema version this code creates and understands (PRAGMA user_version). */
int lockout_store_schema_version(void);

/* --- known devices, notable events, allowed networks -------------------- */

/* Record that user logged in from network (canonical CIDR or address) at
   seen: insert, or move last_seen forward. */
int lockout_store_touch_known_device(struct lockout_store *store,
				     const char *user, const char *network,
				     int64_t seen, const char **error_r)
	__attribute__((warn_unused_result));

/* --- the administrator's view (doveadm lockout) ------------------------- */

/* Call callback for each ban of exactly target (compared bytewise), ordered
   by created then id: those active at now, or all of them (expired and
   lifted too) with LOCKOUT_ITER_FLAG_ALL. Invalid rows are skipped and
   counted; return value and re-entrancy as for lockout_store_iter_bans(). */
int lockout_store_iter_target(struct lockout_store *store, const char *target,
			      int64_t now, unsigned int flags,
			      lockout_ban_callback_t *callback, void *context,
			      const char **error_r)
	__attribute__((warn_unused_result));

/* Call callback for each row of the allowed table (networks the
   administrator allowed with doveadm lockout allow, in addition to
   lockout_allow_networks), ordered by network. network is the text as
   stored (1..255 bytes; not parsed here: the table is shared with other
   writers, so parse it before use), reason may be "", created is unix
   seconds > 0. The strings are valid only during the call. Invalid rows are
   skipped and counted; return value and re-entrancy as for
   lockout_store_iter_bans(). */
int lockout_store_iter_allowed(struct lockout_store *store,
			       int (*callback)(const char *network,
					       const char *reason,
					       int64_t created, void *context),
			       void *context, const char **error_r)
	__attribute__((warn_unused_result));
/* Add network (canonical text, 1..255 bytes: the caller validates and
   canonicalizes it) to the allowed table with reason (not NULL, <= 1024
   bytes) and created (> 0). If the network is there already, only its
   reason changes (it keeps its created time). *existed_r (may be NULL)
   tells which happened. */
int lockout_store_add_allowed(struct lockout_store *store,
			      const char *network, const char *reason,
			      int64_t created, bool *existed_r,
			      const char **error_r)
	__attribute__((warn_unused_result));
/* Remove network (compared bytewise) from the allowed table. *count_r is
   1 when it was there, 0 when not (which is not an error). */
int lockout_store_remove_allowed(struct lockout_store *store,
				 const char *network, unsigned int *count_r,
				 const char **error_r)
	__attribute__((warn_unused_result));

/* Call callback for each failure-history row with time >= since, oldest
   first: every row when by is NULL, else those whose column by ("ip" or
   "user") equals value (bytewise, <= 255 bytes). Row strings may be NULL
   and are valid only during the call. Invalid rows are skipped and counted;
   return value and re-entrancy as for lockout_store_iter_bans(). */
typedef int lockout_failure_callback_t(const struct lockout_failure *row,
				       void *context);
int lockout_store_iter_failures(struct lockout_store *store, const char *by,
				const char *value, int64_t since,
				lockout_failure_callback_t *callback,
				void *context, const char **error_r)
	__attribute__((warn_unused_result));

/* Called for each known device (a network user logged in from); strings
   valid only during the call; non-zero stops (and is returned). */
typedef int lockout_known_device_callback_t(const char *user,
					    const char *network,
					    int64_t first_seen,
					    int64_t last_seen, void *context);
/* The known devices seen at or after since, at most limit of them. */
int lockout_store_iter_known_devices(struct lockout_store *store,
				     int64_t since, unsigned int limit,
				     lockout_known_device_callback_t *callback,
				     void *context, const char **error_r)
	__attribute__((warn_unused_result));

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
/* Insert an event (id and notified are ignored). */
int lockout_store_add_event(struct lockout_store *store,
			    const struct lockout_event *event,
			    const char **error_r)
	__attribute__((warn_unused_result));

/* Call callback for each known device of user (compared bytewise, 1..255
   bytes), most recently seen first. Invalid rows are skipped and counted;
   return value and re-entrancy as for lockout_store_iter_bans(). */
int lockout_store_iter_user_devices(struct lockout_store *store,
				    const char *user,
				    lockout_known_device_callback_t *callback,
				    void *context, const char **error_r)
	__attribute__((warn_unused_result));

/* Active bans at a moment, counted (saturating at UINT_MAX). */
struct lockout_ban_counts {
	/* enforced bans (not observed), in total, by kind and by source */
	unsigned int active;
	unsigned int by_kind[LOCKOUT_KIND_COUNT];
	unsigned int by_source[LOCKOUT_SOURCE_COUNT];
	/* bans made in observe mode that would be active */
	unsigned int observed;
};

/* Count the bans active at now into *counts_r. */
int lockout_store_count_active(struct lockout_store *store, int64_t now,
			       struct lockout_ban_counts *counts_r,
			       const char **error_r)
	__attribute__((warn_unused_result));
/* Sum the counts of the failure-history rows with time >= since: into
   *refused_r those whose result is "refused" (refused before the password
   check), into *failures_r all others. */
int lockout_store_count_failures(struct lockout_store *store, int64_t since,
				 uint64_t *failures_r, uint64_t *refused_r,
				 const char **error_r)
	__attribute__((warn_unused_result));

/* Rows of each table and the size of the database file. */
struct lockout_store_size {
	uint64_t bans, failures, allowed, known_devices, events;
	/* bytes of the main database file (pages in use and free; the WAL
	   not counted) */
	uint64_t bytes;
};

/* Fill *size_r. Counting the failure history reads all of its index. */
int lockout_store_size(struct lockout_store *store,
		       struct lockout_store_size *size_r,
		       const char **error_r)
	__attribute__((warn_unused_result));

/* --- lockoutd: what to mail ----------------------------------------------- */

typedef int lockout_event_callback_t(const struct lockout_event *event,
				     void *context);

/* Call callback for each ban not yet notified (notified = 0), active,
   expired or lifted, observed ones included, by ascending id; at most limit
   rows (0 gives none). */
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
/* Set notified = 1 on the bans (events) with these ids, one UPDATE each:
   wrap them in a transaction. Unknown ids are not an error. */
int lockout_store_mark_bans_notified(struct lockout_store *store,
				     const int64_t *ids, size_t count,
				     const char **error_r)
	__attribute__((warn_unused_result));
int lockout_store_mark_events_notified(struct lockout_store *store,
				       const int64_t *ids, size_t count,
				       const char **error_r)
	__attribute__((warn_unused_result));

#endif
