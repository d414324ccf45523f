/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The ban table: add, lift, count and list bans. */
#include "lockout-store-private.h"

#include <limits.h>
#include <string.h>

static const struct store_query store_add_ban_query = {
	STORE_STMT_ADD_BAN,
	"INSERT INTO bans (target, kind, source, reason, rule, created, "
	"expires, lifted, failures, evidence, observed) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	"INSERT INTO bans (target, kind, source, reason, rule, created, "
	"expires, lifted, failures, evidence, observed) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id"
};
/* store_add_ban_query unless an active ban of the target, observed alike,
   ends at or after this one (NULL: permanent), give or take a minute: two
   nodes deciding the same ban a second apart give it ends a second
   apart */
#define STORE_COVERED_BY_ACTIVE(p) \
	"WHERE NOT EXISTS (SELECT 1 FROM bans WHERE target = " p "1 " \
	"AND lifted IS NULL AND observed = " p "11 " \
	"AND " STORE_ACTIVE_EXPR " > " p "6 AND " STORE_ACTIVE_EXPR " >= " \
	"coalesce(" p "7, 9223372036854775807) - 60)"
static const struct store_query store_add_ban_once_query = {
	STORE_STMT_ADD_BAN_ONCE,
	"INSERT INTO bans (target, kind, source, reason, rule, created, "
	"expires, lifted, failures, evidence, observed) "
	"SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11 "
	STORE_COVERED_BY_ACTIVE("?"),
	/* the SELECT's values typed, as they would be in VALUES */
	"INSERT INTO bans (target, kind, source, reason, rule, created, "
	"expires, lifted, failures, evidence, observed) "
	"SELECT $1::text, $2::text, $3::text, $4::text, $5::text, "
	"$6::bigint, $7::bigint, $8::bigint, $9::bigint, $10::text, "
	"$11::integer " STORE_COVERED_BY_ACTIVE("$")
};
static const struct store_query store_lift_query = {
	STORE_STMT_LIFT,
	"UPDATE bans SET lifted = ?2 WHERE target = ?1 "
	"AND lifted IS NULL AND " STORE_ACTIVE_EXPR " > ?2",
	NULL
};
static const struct store_query store_count_bans_query = {
	STORE_STMT_COUNT_BANS,
	"SELECT count(*) FROM bans WHERE target = ?1",
	NULL
};
/* indexed by [by target][all]. The active bans are read as one range of
   bans_active and sorted (expired bans not yet pruned are never read), or
   with LOCKOUT_ITER_FLAG_CREATED in creation order from bans_created,
   without a sort (the last entry); all bans from bans_created. */
static const struct store_query store_iter_bans_queries[2][2] = {
	{
		{ STORE_STMT_ITER_ACTIVE,
		  "SELECT " STORE_BAN_COLUMNS " FROM bans "
		  "INDEXED BY bans_active "
		  "WHERE lifted IS NULL AND " STORE_ACTIVE_EXPR " > ?1 "
		  "ORDER BY created, id", NULL },
		{ STORE_STMT_ITER_ALL,
		  "SELECT " STORE_BAN_COLUMNS " FROM bans "
		  "INDEXED BY bans_created ORDER BY created, id", NULL },
	}, {
		{ STORE_STMT_ITER_TARGET_ACTIVE,
		  "SELECT " STORE_BAN_COLUMNS " FROM bans "
		  "INDEXED BY bans_target WHERE target = ?2 "
		  "AND lifted IS NULL AND " STORE_ACTIVE_EXPR " > ?1 "
		  "ORDER BY created, id", NULL },
		{ STORE_STMT_ITER_TARGET_ALL,
		  "SELECT " STORE_BAN_COLUMNS " FROM bans "
		  "INDEXED BY bans_target WHERE target = ?2 "
		  "ORDER BY created, id", NULL },
	},
};
static const struct store_query store_iter_active_created_query = {
	STORE_STMT_ITER_ACTIVE_CREATED,
	"SELECT " STORE_BAN_COLUMNS " FROM bans INDEXED BY bans_created "
	"WHERE lifted IS NULL AND " STORE_ACTIVE_EXPR " > ?1 "
	"ORDER BY created, id",
	NULL
};

/* The targets of lockout_store_iter_targets(): ?2..?130 (anonymous
   parameters are numbered after the ?1 written before them), the unused
   ones bound to NULL, which matches nothing. A fixed list keeps it one
   cached statement; SQLite looks each value up in bans_target. */
#define STORE_TARGETS_8 "?,?,?,?,?,?,?,?"
#define STORE_TARGETS_32 STORE_TARGETS_8 "," STORE_TARGETS_8 "," \
	STORE_TARGETS_8 "," STORE_TARGETS_8
#define STORE_TARGETS_129 STORE_TARGETS_32 "," STORE_TARGETS_32 "," \
	STORE_TARGETS_32 "," STORE_TARGETS_32 ",?"
static const struct store_query store_iter_targets_query = {
	STORE_STMT_ITER_TARGETS,
	"SELECT " STORE_BAN_COLUMNS " FROM bans INDEXED BY bans_target "
	"WHERE lifted IS NULL AND " STORE_ACTIVE_EXPR " > ?1 "
	"AND target IN (" STORE_TARGETS_129 ") ORDER BY created, id",
	NULL
};
/* indexed by [all]; ?1 is now, ?2 the kind */
static const struct store_query store_iter_kind_queries[2] = {
	{ STORE_STMT_ITER_KIND_ACTIVE,
	  "SELECT " STORE_BAN_COLUMNS " FROM bans INDEXED BY bans_kind "
	  "WHERE kind = ?2 AND lifted IS NULL AND " STORE_ACTIVE_EXPR " > ?1 "
	  "ORDER BY created, id", NULL },
	{ STORE_STMT_ITER_KIND_ALL,
	  "SELECT " STORE_BAN_COLUMNS " FROM bans INDEXED BY bans_kind "
	  "WHERE kind = ?2 ORDER BY created, id", NULL },
};

/* Insert ban with query: store_add_ban_query, or store_add_ban_once_query
   (*added_r then false when an active ban covered it). */
static int
store_insert_ban(struct lockout_store *store, const struct lockout_ban *ban,
		 const struct store_query *query, bool *added_r,
		 const char **error_r)
{
	const struct store_value values[] = {
		STORE_TEXT(ban->target),
		STORE_TEXT(lockout_kind_to_str(ban->kind)),
		STORE_TEXT(lockout_source_to_str(ban->source)),
		STORE_TEXT(ban->reason),
		STORE_TEXT(ban->rule),
		STORE_INT(ban->created),
		STORE_TIME(ban->expires),
		STORE_TIME(ban->lifted),
		STORE_INT(ban->failures),
		STORE_TEXT(ban->evidence != NULL ? ban->evidence : "{}"),
		STORE_INT(ban->observed ? 1 : 0),
	};
	const char *problem;

	if (store_check_writable(store, "add ban", error_r) < 0)
		return -1;
	if (lockout_ban_validate(ban, &problem) < 0) {
		*error_r = store_errorf(store, "add ban: %s", problem);
		return -1;
	}
	if (store_run(store, query, "add ban", values, N_ELEMENTS(values),
		      error_r) < 0)
		return -1;
	*added_r = store_changes(store) > 0;
	return 0;
}

int lockout_store_add_ban(struct lockout_store *store,
			  const struct lockout_ban *ban, int64_t *id_r,
			  const char **error_r)
{
	bool added;

	if (store_insert_ban(store, ban, &store_add_ban_query, &added,
			     error_r) < 0)
		return -1;
	if (id_r != NULL)
		*id_r = store_last_insert_id(store);
	return 0;
}

int lockout_store_add_auto_ban(struct lockout_store *store,
			       const struct lockout_ban *ban, bool *added_r,
			       const char **error_r)
{
	*added_r = false;
	if (store->node == NULL) {
		*added_r = true;
		return lockout_store_add_ban(store, ban, NULL, error_r);
	}
	if (store->driver == LOCKOUT_DB_DRIVER_PGSQL &&
	    store_pg_take_turn(store, "add ban", error_r) < 0)
		return -1;
	return store_insert_ban(store, ban, &store_add_ban_once_query,
				added_r, error_r);
}

int lockout_store_lift(struct lockout_store *store, const char *target,
		       int64_t now, unsigned int *count_r,
		       const char **error_r)
{
	const struct store_value values[] = {
		STORE_TEXT(target), STORE_INT(now),
	};

	*count_r = 0;
	if (store_check_writable(store, "lift ban", error_r) < 0 ||
	    store_check_target(store, "lift ban", target, error_r) < 0)
		return -1;
	if (now <= 0) {
		*error_r = store_errorf(store, "lift ban: time must be > 0");
		return -1;
	}
	if (store_run(store, &store_lift_query, "lift ban", values,
		      N_ELEMENTS(values), error_r) < 0)
		return -1;
	*count_r = store_changes(store);
	return 0;
}

int lockout_store_count_bans(struct lockout_store *store, const char *target,
			     unsigned int *count_r, const char **error_r)
{
	const struct store_value values[] = { STORE_TEXT(target) };
	uint64_t count;

	*count_r = 0;
	if (store_check_target(store, "count bans", target, error_r) < 0 ||
	    store_query_counts(store, &store_count_bans_query, "count bans",
			       values, N_ELEMENTS(values), &count, 1,
			       error_r) < 0)
		return -1;
	*count_r = count > UINT_MAX ? UINT_MAX : (unsigned int)count;
	return 0;
}

void lockout_store_set_invalid_ban_callback(struct lockout_store *store,
				lockout_invalid_ban_callback_t *callback,
				void *context)
{
	store->invalid_ban = callback;
	store->invalid_ban_context = context;
}

/* Fill ban from the current row of a query selecting STORE_BAN_COLUMNS;
   -1 with *problem_r (static) if the row breaks the invariants. */
static int store_ban_read(const struct store_row *stmt,
			  struct lockout_ban *ban,
			  const char **problem_r)
{
	const char *kind, *source;
	int64_t failures, observed;

	memset(ban, 0, sizeof(*ban));
	if (store_column_int(stmt, 0, &ban->id) < 0) {
		*problem_r = "id is not an integer";
		return -1;
	}
	/* the lengths are checked by lockout_ban_validate() */
	*problem_r = "a column is not text (or holds a NUL byte)";
	if (store_column_str(stmt, 1, SIZE_MAX, 0, &ban->target) < 0 ||
	    store_column_str(stmt, 2, SIZE_MAX, 0, &kind) < 0 ||
	    store_column_str(stmt, 3, SIZE_MAX, 0, &source) < 0 ||
	    store_column_str(stmt, 4, SIZE_MAX, 0, &ban->reason) < 0 ||
	    store_column_str(stmt, 5, SIZE_MAX, 0, &ban->rule) < 0 ||
	    store_column_str(stmt, 10, SIZE_MAX, 0, &ban->evidence) < 0)
		return -1;
	*problem_r = "a time is not a positive integer";
	if (store_column_time(stmt, 6, false, &ban->created) < 0 ||
	    store_column_time(stmt, 7, true, &ban->expires) < 0 ||
	    store_column_time(stmt, 8, true, &ban->lifted) < 0)
		return -1;
	*problem_r = "failures or observed out of range";
	if (store_column_count(stmt, 9, UINT_MAX, &failures) < 0 ||
	    store_column_count(stmt, 11, 1, &observed) < 0)
		return -1;
	ban->observed = observed != 0;
	*problem_r = "unknown kind";
	if (lockout_kind_parse(kind, &ban->kind) < 0)
		return -1;
	*problem_r = "unknown source";
	if (lockout_source_parse(source, &ban->source) < 0)
		return -1;
	ban->failures = (unsigned int)failures;
	return lockout_ban_validate(ban, problem_r);
}

int store_ban_read_checked(struct lockout_store *store,
			   const struct store_row *stmt,
			   struct lockout_ban *ban)
{
	const char *problem;

	if (store_ban_read(stmt, ban, &problem) == 0)
		return 0;
	if (store->invalid_ban != NULL)
		store->invalid_ban(ban->id, problem, store->invalid_ban_context);
	return -1;
}

int store_ban_row(const struct store_row *stmt, const struct store_callback *cb,
		  bool *invalid_r)
{
	struct lockout_ban ban;

	*invalid_r = store_ban_read_checked(cb->store, stmt, &ban) < 0;
	return *invalid_r ? 0 : cb->fn.ban(&ban, cb->context);
}

/* List the bans of target (all targets if NULL) active at now, or all of
   them with LOCKOUT_ITER_FLAG_ALL. */
static int
store_iter_bans(struct lockout_store *store, const char *what,
		const char *target, int64_t now, unsigned int flags,
		lockout_ban_callback_t *callback, void *context,
		const char **error_r)
{
	const struct store_callback cb = {
		{ .ban = callback }, context, store
	};
	const struct store_value values[] = {
		STORE_INT(now), STORE_TEXT(target),
	};
	bool all = (flags & LOCKOUT_ITER_FLAG_ALL) != 0;
	/* ?1 is now, ?2 the target; the query of all bans of all targets has
	   no parameter */
	unsigned int count = target != NULL ? 2 : (all ? 0 : 1);
	const struct store_query *query =
		target == NULL && !all &&
		(flags & LOCKOUT_ITER_FLAG_CREATED) != 0 ?
		&store_iter_active_created_query :
		&store_iter_bans_queries[target != NULL][all];

	return store_iterate(store, query, what, values, count, store_ban_row,
			     &cb, error_r);
}

int lockout_store_iter_bans(struct lockout_store *store, int64_t now,
			    unsigned int flags,
			    lockout_ban_callback_t *callback, void *context,
			    const char **error_r)
{
	return store_iter_bans(store, "list bans", NULL, now, flags,
			       callback, context, error_r);
}

int lockout_store_iter_target(struct lockout_store *store, const char *target,
			      int64_t now, unsigned int flags,
			      lockout_ban_callback_t *callback, void *context,
			      const char **error_r)
{
	if (store_check_target(store, "list target", target, error_r) < 0)
		return -1;
	return store_iter_bans(store, "list target", target, now, flags,
			       callback, context, error_r);
}

int lockout_store_iter_targets(struct lockout_store *store,
			       const char *const *targets, unsigned int count,
			       int64_t now, lockout_ban_callback_t *callback,
			       void *context, const char **error_r)
{
	const struct store_callback cb = {
		{ .ban = callback }, context, store
	};
	struct store_value values[1 + LOCKOUT_STORE_TARGETS_MAX];
	unsigned int i;

	if (count == 0 || count > LOCKOUT_STORE_TARGETS_MAX) {
		*error_r = store_errorf(store, "list targets: %u targets "
					"(1..%u)", count,
					LOCKOUT_STORE_TARGETS_MAX);
		return -1;
	}
	memset(values, 0, sizeof(values));
	values[0].type = STORE_VALUE_INT;
	values[0].num = now;
	for (i = 0; i < LOCKOUT_STORE_TARGETS_MAX; i++) {
		if (i < count &&
		    store_check_target(store, "list targets", targets[i],
				       error_r) < 0)
			return -1;
		values[1 + i].type = STORE_VALUE_TEXT;
		values[1 + i].text = i < count ? targets[i] : NULL;
	}
	return store_iterate(store, &store_iter_targets_query, "list targets",
			     values, N_ELEMENTS(values), store_ban_row, &cb,
			     error_r);
}

int lockout_store_iter_kind(struct lockout_store *store,
			    enum lockout_kind kind, int64_t now,
			    unsigned int flags,
			    lockout_ban_callback_t *callback, void *context,
			    const char **error_r)
{
	const struct store_callback cb = {
		{ .ban = callback }, context, store
	};
	const char *kind_str = lockout_kind_to_str(kind);
	const struct store_value values[] = {
		STORE_INT(now), STORE_TEXT(kind_str),
	};
	bool all = (flags & LOCKOUT_ITER_FLAG_ALL) != 0;

	if (kind_str == NULL) {
		*error_r = store_errorf(store, "list kind: invalid kind %d",
					(int)kind);
		return -1;
	}
	return store_iterate(store, &store_iter_kind_queries[all], "list kind",
			     values, N_ELEMENTS(values), store_ban_row, &cb,
			     error_r);
}
