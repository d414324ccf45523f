/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* Retention: bounded deletion of old rows of each table. */
#include "lockout-store-private.h"

/* Each deletes at most ?2 rows older than ?1, oldest first. */
static const struct {
	const char *what;
	struct store_query query;
} store_prune_tables[] = {
	[LOCKOUT_STORE_TABLE_FAILURES] = { "prune failures", {
		STORE_STMT_PRUNE_FAILURES,
		/* packed (STORE_SQLITE_FAILURES_FROM,
		   STORE_PG_FAILURES_FROM): a row is a second's failures
		   of a node */
		"DELETE FROM failure_batches WHERE id IN (SELECT id FROM "
		"failure_batches WHERE time < ?1 ORDER BY time LIMIT ?2)",
		NULL } },
	/* bans that ended (lifted or expired); permanent bans that were
	   never lifted stay */
	[LOCKOUT_STORE_TABLE_BANS] = { "prune bans", {
		STORE_STMT_PRUNE_BANS,
		"DELETE FROM bans WHERE id IN (SELECT id FROM bans "
		"WHERE coalesce(lifted, expires) < ?1 ORDER BY id "
		"LIMIT ?2)", NULL } },
	[LOCKOUT_STORE_TABLE_EVENTS] = { "prune events", {
		STORE_STMT_PRUNE_EVENTS,
		"DELETE FROM events WHERE id IN (SELECT id FROM events "
		"INDEXED BY events_time WHERE time < ?1 ORDER BY time "
		"LIMIT ?2)", NULL } },
	[LOCKOUT_STORE_TABLE_KNOWN_DEVICES] = { "prune known devices", {
		STORE_STMT_PRUNE_DEVICES,
		"DELETE FROM known_devices WHERE (\"user\", network) IN "
		"(SELECT \"user\", network FROM known_devices INDEXED BY "
		"known_devices_seen WHERE last_seen < ?1 ORDER BY last_seen "
		"LIMIT ?2)", NULL } },
};

int lockout_store_prune(struct lockout_store *store,
			enum lockout_store_table table, int64_t before,
			unsigned int max_rows, unsigned int *deleted_r,
			const char **error_r)
{
	const struct store_value values[] = {
		STORE_INT(before), STORE_INT(max_rows),
	};
	unsigned int idx = (unsigned int)table;

	*deleted_r = 0;
	if (idx >= N_ELEMENTS(store_prune_tables)) {
		/* an unknown value names the failure history, as it
		   always did */
		idx = LOCKOUT_STORE_TABLE_FAILURES;
	}
	if (store_check_writable(store, store_prune_tables[idx].what,
				 error_r) < 0)
		return -1;
	if (max_rows == 0)
		return 0;
	if (store_run(store, &store_prune_tables[idx].query,
		      store_prune_tables[idx].what, values,
		      N_ELEMENTS(values), error_r) < 0)
		return -1;
	*deleted_r = store_changes(store);
	return 0;
}

int lockout_store_prune_failures(struct lockout_store *store, int64_t before,
				 unsigned int max_rows,
				 unsigned int *deleted_r,
				 const char **error_r)
{
	return lockout_store_prune(store, LOCKOUT_STORE_TABLE_FAILURES, before,
				   max_rows, deleted_r, error_r);
}
