/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* Figures over the whole database: active bans by kind and source, rows of
   each table, file size. */
#include "lockout-store-private.h"
#include "lockout-target.h"

#include <limits.h>
#include <string.h>

static const struct store_query store_count_active_query = {
	STORE_STMT_COUNT_ACTIVE,
	"SELECT " STORE_BAN_COLUMNS " FROM bans "
	"WHERE lifted IS NULL AND " STORE_ACTIVE_EXPR " > ?1",
	NULL
};

const char *const lockout_ban_rules[LOCKOUT_RULES_OTHER + 1] = {
	"ip_failures", "ip_long", "ip_spread", "targeted_unknown",
	"targeted_failures", "net_hosts", "user_failures", "manual",
	"fail2ban", "import", "unknown_alert", "user_networks", "ipv6_net",
	NULL
};
static const struct store_query store_size_query = {
	STORE_STMT_SIZE,
	"SELECT (SELECT count(*) FROM bans), "
	/* the batches know their number of failures */
	"(SELECT coalesce(sum(n), 0) FROM failure_batches), "
	"(SELECT count(*) FROM allowed), "
	"(SELECT count(*) FROM known_devices), "
	"(SELECT count(*) FROM events), "
	"(SELECT page_count FROM pragma_page_count()) * "
	"(SELECT page_size FROM pragma_page_size())",
	/* the tables with their indexes and TOAST data */
	"SELECT (SELECT count(*) FROM bans), "
	"(SELECT count(*) FROM failures), "
	"(SELECT count(*) FROM allowed), "
	"(SELECT count(*) FROM known_devices), "
	"(SELECT count(*) FROM events), "
	"pg_total_relation_size('bans') + "
	"pg_total_relation_size('failure_batches') + "
	"pg_total_relation_size('allowed') + "
	"pg_total_relation_size('known_devices') + "
	"pg_total_relation_size('events') + "
	"pg_total_relation_size('lockout_meta')"
};

/* The index of rule in by_rule: an IPv6 /56 or /48's ban by any rule
   (ip_failures/56, net_hosts/48 ...) is one of "ipv6_net". */
static unsigned int store_rule_index(const char *rule)
{
	size_t len = strlen(rule);
	unsigned int i;

	if (len > 3 && (strcmp(rule + len - 3, "/56") == 0 ||
			strcmp(rule + len - 3, "/48") == 0))
		rule = "ipv6_net";

	for (i = 0; i < LOCKOUT_RULES_OTHER; i++) {
		if (strcmp(lockout_ban_rules[i], rule) == 0)
			break;
	}
	return i;
}

/* Add count (0..UINT_MAX) to *sum, saturating rather than wrapping. */
static void store_sum(unsigned int *sum, int64_t count)
{
	uint64_t total = (uint64_t)*sum + (uint64_t)count;

	*sum = total > UINT_MAX ? UINT_MAX : (unsigned int)total;
}

/* Row function of the count: cb->context is the struct lockout_ban_counts
   to add to. Every row is read and checked as the auth process and
   lockoutd check it, so that what is counted as active is what they
   enforce (or, observed, would). */
static int
store_count_active_row(const struct store_row *stmt,
		 const struct store_callback *cb,
		       bool *invalid_r)
{
	struct lockout_ban_counts *counts = cb->context;
	struct lockout_ban ban;
	struct lockout_net net;
	const char *problem;

	*invalid_r = false;
	if (store_ban_read_checked(cb->store, stmt, &ban) < 0) {
		store_sum(&counts->invalid, 1);
		return 0;
	}
	if (lockout_ban_check_target(&ban, &net, &problem) < 0) {
		if (cb->store->invalid_ban != NULL) {
			cb->store->invalid_ban(ban.id, problem,
					       cb->store->invalid_ban_context);
		}
		store_sum(&counts->invalid, 1);
		return 0;
	}
	if (ban.observed)
		store_sum(&counts->observed, 1);
	else {
		store_sum(&counts->by_kind[ban.kind], 1);
		store_sum(&counts->by_source[ban.source], 1);
		store_sum(&counts->active, 1);
		store_sum(&counts->by_rule[store_rule_index(ban.rule)], 1);
	}
	return 0;
}

int lockout_store_count_active(struct lockout_store *store, int64_t now,
			       struct lockout_ban_counts *counts_r,
			       const char **error_r)
{
	const struct store_callback cb = {
		.context = counts_r, .store = store
	};
	const struct store_value values[] = { STORE_INT(now) };

	memset(counts_r, 0, sizeof(*counts_r));
	return store_iterate(store, &store_count_active_query, "count bans",
			     values, N_ELEMENTS(values),
			     store_count_active_row, &cb, error_r);
}

static const struct store_query store_count_alerts_query = {
	STORE_STMT_COUNT_ALERTS,
	"SELECT count(*) FROM events INDEXED BY events_time "
	"WHERE time >= ?1 AND kind = 'alert_started'",
	NULL
};

int lockout_store_count_alerts(struct lockout_store *store, int64_t since,
			       uint64_t *alerts_r, const char **error_r)
{
	const struct store_value values[] = { STORE_INT(since) };

	*alerts_r = 0;
	return store_query_counts(store, &store_count_alerts_query,
				  "count alerts", values, N_ELEMENTS(values),
				  alerts_r, 1, error_r);
}

static const struct store_query store_count_unknown_names_query = {
	STORE_STMT_COUNT_UNKNOWN_NAMES,
	"SELECT coalesce(sum(count), 0) FROM failures "
	"WHERE time >= ?1 AND result = 'unknown_name'",
	NULL
};

int lockout_store_count_unknown_names(struct lockout_store *store,
				      int64_t since, uint64_t *refused_r,
				      const char **error_r)
{
	const struct store_value values[] = { STORE_INT(since) };

	*refused_r = 0;
	return store_query_counts(store, &store_count_unknown_names_query,
				  "count unknown names", values,
				  N_ELEMENTS(values), refused_r, 1, error_r);
}

int lockout_store_size(struct lockout_store *store,
		       struct lockout_store_size *size_r,
		       const char **error_r)
{
	uint64_t columns[6];

	memset(size_r, 0, sizeof(*size_r));
	if (store_query_counts(store, &store_size_query, "table size", NULL, 0,
			       columns, N_ELEMENTS(columns), error_r) < 0)
		return -1;
	size_r->bans = columns[0];
	size_r->failures = columns[1];
	size_r->allowed = columns[2];
	size_r->known_devices = columns[3];
	size_r->events = columns[4];
	size_r->bytes = columns[5];
	return 0;
}
