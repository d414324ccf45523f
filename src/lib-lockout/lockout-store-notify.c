/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* Notable events, and the notification state lockoutd keeps of bans and
   events (what it has mailed already, claimed before the mail is sent). */
#include "lockout-store-private.h"

#include <string.h>

static const struct store_query store_add_event_query = {
	STORE_STMT_ADD_EVENT,
	"INSERT INTO events (time, kind, ip, \"user\", detail) "
	"VALUES (?1, ?2, ?3, ?4, ?5)",
	NULL
};
static const struct store_query store_unnotified_bans_query = {
	STORE_STMT_ITER_UNNOTIFIED_BANS,
	"SELECT " STORE_BAN_COLUMNS " FROM bans INDEXED BY bans_unnotified "
	"WHERE notified = 0 ORDER BY id LIMIT ?1",
	NULL
};
static const struct store_query store_unnotified_events_query = {
	STORE_STMT_ITER_UNNOTIFIED_EVENTS,
	"SELECT id, time, kind, ip, \"user\", detail FROM events "
	"INDEXED BY events_unnotified WHERE notified = 0 "
	"ORDER BY id LIMIT ?1",
	NULL
};
/* notified = 0 in the WHERE: a row another lockoutd claimed first is not
   changed, which the claimer sees in the count of changed rows */
static const struct store_query store_claim_ban_query = {
	STORE_STMT_CLAIM_BAN_NOTIFIED,
	"UPDATE bans SET notified = 1 WHERE id = ?1 AND notified = 0",
	NULL
};
static const struct store_query store_claim_event_query = {
	STORE_STMT_CLAIM_EVENT_NOTIFIED,
	"UPDATE events SET notified = 1 WHERE id = ?1 AND notified = 0",
	NULL
};
static const struct store_query store_unclaim_ban_query = {
	STORE_STMT_UNCLAIM_BAN_NOTIFIED,
	"UPDATE bans SET notified = 0 WHERE id = ?1 AND notified = 1",
	NULL
};
static const struct store_query store_unclaim_event_query = {
	STORE_STMT_UNCLAIM_EVENT_NOTIFIED,
	"UPDATE events SET notified = 0 WHERE id = ?1 AND notified = 1",
	NULL
};

int lockout_store_add_event(struct lockout_store *store,
			    const struct lockout_event *event,
			    const char **error_r)
{
	const char *ip = event->ip == NULL ? "" : event->ip;
	const char *user = event->user == NULL ? "" : event->user;
	const char *detail = event->detail == NULL ? "{}" : event->detail;
	const struct store_value values[] = {
		STORE_INT(event->time), STORE_TEXT(event->kind),
		STORE_TEXT(ip), STORE_TEXT(user), STORE_TEXT(detail),
	};

	if (store_check_writable(store, "add event", error_r) < 0)
		return -1;
	if (event->time <= 0 ||
	    !lockout_field_fits(event->kind, LOCKOUT_FAILURE_FIELD_MAX, true) ||
	    !lockout_field_fits(ip, LOCKOUT_FAILURE_FIELD_MAX, false) ||
	    !lockout_field_fits(user, LOCKOUT_FAILURE_FIELD_MAX, false) ||
	    !lockout_field_fits(detail, LOCKOUT_BAN_EVIDENCE_MAX, true)) {
		*error_r = store_errorf(store, "add event: bad time, empty "
					"kind or overlong field");
		return -1;
	}
	return store_run(store, &store_add_event_query, "add event", values,
			 N_ELEMENTS(values), error_r);
}

/* Iterate query, whose only parameter is a row limit. */
static int
store_iter_limited(struct lockout_store *store,
		   const struct store_query *query, const char *what,
		   unsigned int limit, store_row_func_t *row,
		   const struct store_callback *cb, const char **error_r)
{
	const struct store_value values[] = { STORE_INT(limit) };

	if (store_check_not_iterating(store, what, error_r) < 0)
		return -1;
	if (limit == 0)
		return 0;
	return store_iterate(store, query, what, values, N_ELEMENTS(values),
			     row, cb, error_r);
}

int lockout_store_iter_unnotified_bans(struct lockout_store *store,
				       unsigned int limit,
				       lockout_ban_callback_t *callback,
				       void *context, const char **error_r)
{
	const struct store_callback cb = {
		{ .ban = callback }, context, store
	};

	return store_iter_limited(store, &store_unnotified_bans_query,
				  "list unnotified bans", limit,
				  store_ban_row, &cb, error_r);
}

static int
store_event_row(const struct store_row *stmt,
		 const struct store_callback *cb,
		bool *invalid_r)
{
	struct lockout_event event;

	memset(&event, 0, sizeof(event));
	*invalid_r = store_column_int(stmt, 0, &event.id) < 0 ||
		store_column_time(stmt, 1, false, &event.time) < 0 ||
		store_column_str(stmt, 2, LOCKOUT_FAILURE_FIELD_MAX,
				 STORE_COLUMN_NONEMPTY, &event.kind) < 0 ||
		store_column_str(stmt, 3, LOCKOUT_FAILURE_FIELD_MAX, 0,
				 &event.ip) < 0 ||
		store_column_str(stmt, 4, LOCKOUT_FAILURE_FIELD_MAX, 0,
				 &event.user) < 0 ||
		store_column_str(stmt, 5, LOCKOUT_BAN_EVIDENCE_MAX, 0,
				 &event.detail) < 0;
	if (*invalid_r)
		return 0;
	return cb->fn.event(&event, cb->context);
}

int lockout_store_iter_unnotified_events(struct lockout_store *store,
					 unsigned int limit,
					 lockout_event_callback_t *callback,
					 void *context, const char **error_r)
{
	const struct store_callback cb = {
		{ .event = callback }, context, store
	};

	return store_iter_limited(store, &store_unnotified_events_query,
				  "list events", limit, store_event_row,
				  &cb, error_r);
}

/* Run query (one id parameter) for each of ids, adding the rows each
   changed to *changed_r (if not NULL). */
static int
store_set_notified(struct lockout_store *store,
		   const struct store_query *query, const char *what,
		   const int64_t *ids, size_t count, size_t *changed_r,
		   const char **error_r)
{
	size_t i;

	if (store_check_writable(store, what, error_r) < 0)
		return -1;
	for (i = 0; i < count; i++) {
		const struct store_value values[] = { STORE_INT(ids[i]) };

		if (store_run(store, query, what, values, N_ELEMENTS(values),
			      error_r) < 0)
			return -1;
		if (changed_r != NULL)
			*changed_r += store_changes(store);
	}
	return 0;
}

int lockout_store_claim_bans_notified(struct lockout_store *store,
				      const int64_t *ids, size_t count,
				      size_t *claimed_r, const char **error_r)
{
	return store_set_notified(store, &store_claim_ban_query,
				  "claim bans", ids, count, claimed_r,
				  error_r);
}

int lockout_store_claim_events_notified(struct lockout_store *store,
					const int64_t *ids, size_t count,
					size_t *claimed_r,
					const char **error_r)
{
	return store_set_notified(store, &store_claim_event_query,
				  "claim events", ids, count, claimed_r,
				  error_r);
}

int lockout_store_unclaim_bans_notified(struct lockout_store *store,
					const int64_t *ids, size_t count,
					const char **error_r)
{
	return store_set_notified(store, &store_unclaim_ban_query,
				  "unclaim bans", ids, count, NULL, error_r);
}

int lockout_store_unclaim_events_notified(struct lockout_store *store,
					  const int64_t *ids, size_t count,
					  const char **error_r)
{
	return store_set_notified(store, &store_unclaim_event_query,
				  "unclaim events", ids, count, NULL, error_r);
}
