/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_STORE_PRUNE_H
#define LOCKOUT_STORE_PRUNE_H

/* Retention: bounded deletion of old rows, so that the database does not
   grow without end. Errors and busy: see lockout-store-sql.h. */

#include "lockout-store-sql.h"

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
   == max_rows). max_rows == 0 deletes nothing. Fails on a read-only
   store. On PostgreSQL a row of the failure history is a second's
   failures of one node (packed: lockout-store-history.h), and max_rows
   and *deleted_r count such rows. */
int lockout_store_prune(struct lockout_store *store,
			enum lockout_store_table table, int64_t before,
			unsigned int max_rows, unsigned int *deleted_r,
			const char **error_r)
	__attribute__((warn_unused_result));
/* Delete at most max_rows history rows with time < before, oldest first:
   lockout_store_prune() of LOCKOUT_STORE_TABLE_FAILURES. */
int lockout_store_prune_failures(struct lockout_store *store, int64_t before,
				 unsigned int max_rows,
				 unsigned int *deleted_r,
				 const char **error_r)
	__attribute__((warn_unused_result));

#endif
