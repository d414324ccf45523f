/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* Known devices: the networks each user logged in from. */
#include "lockout-store-private.h"

static const struct store_query store_touch_device_query = {
	STORE_STMT_TOUCH_DEVICE,
	"INSERT INTO known_devices (\"user\", network, first_seen, "
	"last_seen) VALUES (?1, ?2, ?3, ?3) "
	"ON CONFLICT (\"user\", network) DO UPDATE SET "
	"last_seen = max(last_seen, excluded.last_seen)",
	"INSERT INTO known_devices (\"user\", network, first_seen, "
	"last_seen) VALUES ($1, $2, $3, $3) "
	"ON CONFLICT (\"user\", network) DO UPDATE SET "
	"last_seen = greatest(known_devices.last_seen, excluded.last_seen)"
};
static const struct store_query store_iter_devices_query = {
	STORE_STMT_ITER_DEVICES,
	"SELECT \"user\", network, first_seen, last_seen FROM known_devices "
	"WHERE last_seen >= ?1 ORDER BY last_seen DESC LIMIT ?2",
	NULL
};
static const struct store_query store_user_devices_query = {
	STORE_STMT_USER_DEVICES,
	"SELECT \"user\", network, first_seen, last_seen FROM known_devices "
	"WHERE \"user\" = ?1 ORDER BY last_seen DESC, network",
	NULL
};

int lockout_store_touch_known_device(struct lockout_store *store,
				     const char *user, const char *network,
				     int64_t seen, const char **error_r)
{
	const struct store_value values[] = {
		STORE_TEXT(user), STORE_TEXT(network), STORE_INT(seen),
	};

	if (store_check_writable(store, "known device", error_r) < 0)
		return -1;
	if (!lockout_field_fits(user, LOCKOUT_FAILURE_FIELD_MAX, true) ||
	    !lockout_field_fits(network, LOCKOUT_FAILURE_FIELD_MAX, true) ||
	    seen <= 0) {
		*error_r = store_errorf(store, "known device: empty or "
					"overlong field, or bad time");
		return -1;
	}
	return store_run(store, &store_touch_device_query, "known device",
			 values, N_ELEMENTS(values), error_r);
}

static int
store_device_row(const struct store_row *stmt,
		 const struct store_callback *cb,
		 bool *invalid_r)
{
	const char *user, *network;
	int64_t first_seen, last_seen;

	*invalid_r = store_column_str(stmt, 0, LOCKOUT_BAN_TARGET_MAX,
				      STORE_COLUMN_NONEMPTY, &user) < 0 ||
		store_column_str(stmt, 1, LOCKOUT_BAN_TARGET_MAX,
				 STORE_COLUMN_NONEMPTY, &network) < 0 ||
		store_column_time(stmt, 2, false, &first_seen) < 0 ||
		store_column_time(stmt, 3, false, &last_seen) < 0;
	if (*invalid_r)
		return 0;
	return cb->fn.device(user, network, first_seen, last_seen,
			     cb->context);
}

int lockout_store_iter_known_devices(struct lockout_store *store,
				     int64_t since, unsigned int limit,
				     lockout_known_device_callback_t *callback,
				     void *context, const char **error_r)
{
	const struct store_callback cb = {
		{ .device = callback }, context, store
	};
	const struct store_value values[] = {
		STORE_INT(since), STORE_INT(limit),
	};

	return store_iterate(store, &store_iter_devices_query,
			     "list known devices", values, N_ELEMENTS(values),
			     store_device_row, &cb, error_r);
}

int lockout_store_iter_user_devices(struct lockout_store *store,
				    const char *user,
				    lockout_known_device_callback_t *callback,
				    void *context, const char **error_r)
{
	const struct store_callback cb = {
		{ .device = callback }, context, store
	};
	const struct store_value values[] = { STORE_TEXT(user) };

	if (store_check_target(store, "list known devices", user,
			       error_r) < 0)
		return -1;
	return store_iterate(store, &store_user_devices_query,
			     "list known devices", values, N_ELEMENTS(values),
			     store_device_row, &cb, error_r);
}
