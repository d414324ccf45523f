/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_STORE_HISTORY_H
#define LOCKOUT_STORE_HISTORY_H

/* The failure history: aggregated failed logins, added in batches by the
   auth process, listed, ranked and counted by doveadm lockout. Errors, busy
   and iterations: see lockout-store-sql.h; pruning: lockout-store-prune.h. */

#include "lockout-store-sql.h"

/* Limit of each string of a failure-history row (bytes, without the NUL);
   callers truncate untrusted input (e.g. usernames) to it beforehand. */
#define LOCKOUT_FAILURE_FIELD_MAX 255

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
	/* the keyed hash of the password that failed (0: none or unknown),
	   as the writing node's engine tagged it: written only by a node of
	   several (lockout_store_set_node()), so that another node counts a
	   password repeated on this one once, as this one did; meaningless
	   on any other node (each auth process has its own key), and not a
	   way back to the password (the key never leaves the process) */
	uint32_t tag;
};

/* Insert `count` failure-history rows; the caller wraps them in a
   transaction. All rows are validated (time > 0, count > 0, field
   lengths) before any is inserted. count == 0 does nothing. SQLite: one
   INSERT a row. PostgreSQL: packed, one row of the table failure_batches
   for each run of consecutive rows of the same second (at most 1,024),
   its columns arrays, which the view failures unpacks: a flood of
   failures from distinct addresses is a few database rows a second
   rather than one an attempt (docs/several-nodes.md); the writers of
   the table take turns (a transaction lock up to their commit), so that
   ids are in the order of the commits and a reader by id
   (lockout_store_iter_failures_since()) never moves past a row before it
   is visible: call it inside a transaction. */
int lockout_store_add_failures(struct lockout_store *store,
			       const struct lockout_failure *rows,
			       size_t count, const char **error_r)
	__attribute__((warn_unused_result));

/* Call callback for each failure-history row with time >= since, oldest
   first: every row when by is NULL, else those whose column by ("ip" or
   "user") equals value (bytewise, <= 255 bytes). Row strings may be NULL
   and are valid only during the call. Invalid rows are skipped and
   counted. */
typedef int lockout_failure_callback_t(const struct lockout_failure *row,
				       void *context);
int lockout_store_iter_failures(struct lockout_store *store, const char *by,
				const char *value, int64_t since,
				lockout_failure_callback_t *callback,
				void *context, const char **error_r)
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
   callback returns 0 to go on, non-zero to stop. Invalid rows are skipped
   and counted. */
int lockout_store_top(struct lockout_store *store, const char *by,
		      int64_t since, unsigned int limit,
		      int (*callback)(const struct lockout_top_row *row,
				      void *context),
		      void *context, const char **error_r)
	__attribute__((warn_unused_result));

/* Sum the counts of the failure-history rows with time >= since: into
   *refused_r those whose result is "refused" (refused before the password
   check), into *failures_r all others. */
int lockout_store_count_failures(struct lockout_store *store, int64_t since,
				 uint64_t *failures_r, uint64_t *refused_r,
				 const char **error_r)
	__attribute__((warn_unused_result));

/* Several nodes (Dovecot servers) sharing one PostgreSQL table: the name
   of this store's node, written into the node column of each failure row
   it adds from now on (NULL or "": none, the default; the string is
   copied). */
void lockout_store_set_node(struct lockout_store *store, const char *node);

/* The failure rows with an id above after_id, in id order, at most
   max_rows of them, leaving out those whose node is exclude_node (NULL:
   none left out): what another node's auth process reads to count this
   node's failures, keeping the last id it saw. Invalid rows are skipped
   and counted (lockout_store_skipped_rows()), their ids not reported. */
typedef int lockout_failure_since_callback_t(int64_t id,
					     const struct lockout_failure *row,
					     void *context);
int lockout_store_iter_failures_since(struct lockout_store *store,
				      int64_t after_id,
				      const char *exclude_node,
				      unsigned int max_rows,
				      lockout_failure_since_callback_t *callback,
				      void *context, const char **error_r)
	__attribute__((warn_unused_result));

#endif
