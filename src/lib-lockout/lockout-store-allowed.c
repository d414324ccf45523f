/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The allowed table: networks allowed by the administrator. */
#include "lockout-store-private.h"

static const struct store_query store_iter_allowed_query = {
	STORE_STMT_ITER_ALLOWED,
	"SELECT network, reason, created FROM allowed ORDER BY network",
	NULL
};
static const struct store_query store_allowed_update_query = {
	STORE_STMT_ALLOWED_UPDATE,
	"UPDATE allowed SET reason = ?2 WHERE network = ?1",
	NULL
};
static const struct store_query store_allowed_insert_query = {
	STORE_STMT_ALLOWED_INSERT,
	"INSERT INTO allowed (network, reason, created) VALUES (?1, ?2, ?3)",
	NULL
};
static const struct store_query store_allowed_delete_query = {
	STORE_STMT_ALLOWED_DELETE,
	"DELETE FROM allowed WHERE network = ?1",
	NULL
};

static int
store_allowed_row(const struct store_row *stmt,
		 const struct store_callback *cb,
		  bool *invalid_r)
{
	const char *network, *reason;
	int64_t created;

	*invalid_r = store_column_str(stmt, 0, LOCKOUT_BAN_TARGET_MAX,
				      STORE_COLUMN_NONEMPTY, &network) < 0 ||
		store_column_str(stmt, 1, SIZE_MAX, 0, &reason) < 0 ||
		store_column_time(stmt, 2, false, &created) < 0;
	if (*invalid_r)
		return 0;
	return cb->fn.allowed(network, reason, created, cb->context);
}

int lockout_store_iter_allowed(struct lockout_store *store,
			       int (*callback)(const char *network,
					       const char *reason,
					       int64_t created, void *context),
			       void *context, const char **error_r)
{
	const struct store_callback cb = {
		{ .allowed = callback }, context, store
	};

	return store_iterate(store, &store_iter_allowed_query, "list allowed",
			     NULL, 0, store_allowed_row, &cb, error_r);
}

int lockout_store_add_allowed(struct lockout_store *store,
			      const char *network, const char *reason,
			      int64_t created, bool *existed_r,
			      const char **error_r)
{
	const struct store_value values[] = {
		STORE_TEXT(network), STORE_TEXT(reason), STORE_INT(created),
	};

	if (existed_r != NULL)
		*existed_r = false;
	if (store_check_writable(store, "allow network", error_r) < 0 ||
	    store_check_target(store, "allow network", network, error_r) < 0)
		return -1;
	if (!lockout_field_fits(reason, LOCKOUT_BAN_REASON_MAX, false)) {
		*error_r = store_errorf(store, "allow network: %s",
			reason == NULL ? "missing reason" :
			"reason longer than 1024 bytes");
		return -1;
	}
	if (created <= 0) {
		*error_r = store_errorf(store,
			"allow network: created time must be > 0");
		return -1;
	}
	/* an UPDATE first keeps the original time (and needs no UPSERT,
	   which SQLite < 3.24 lacks) */
	if (store_run(store, &store_allowed_update_query, "allow network",
		      values, 2, error_r) < 0)
		return -1;
	if (store_changes(store) > 0) {
		if (existed_r != NULL)
			*existed_r = true;
		return 0;
	}
	return store_run(store, &store_allowed_insert_query, "allow network",
			 values, N_ELEMENTS(values), error_r);
}

int lockout_store_remove_allowed(struct lockout_store *store,
				 const char *network, unsigned int *count_r,
				 const char **error_r)
{
	const struct store_value values[] = { STORE_TEXT(network) };

	*count_r = 0;
	if (store_check_writable(store, "remove allowed", error_r) < 0 ||
	    store_check_target(store, "remove allowed", network,
			       error_r) < 0 ||
	    store_run(store, &store_allowed_delete_query, "remove allowed",
		      values, N_ELEMENTS(values), error_r) < 0)
		return -1;
	*count_r = store_changes(store);
	return 0;
}
