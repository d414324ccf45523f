/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-admin.h"
#include "lockout-args.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Report msg (then freed) as an invalid row of the table. */
static void admin_invalid_row(const struct lockout_admin *admin,
			      struct lockout_str *msg)
{
	const char *text = lockout_str_c(msg);

	if (admin->invalid_row != NULL && text != NULL)
		admin->invalid_row(text, admin->context);
	lockout_str_free(msg);
}

/* --- allowed networks ----------------------------------------------------- */

struct find_allowed_ctx {
	const struct lockout_admin *admin;
	const struct lockout_target *target;
	char *network;
};

static int find_allowed_row(const char *network, const char *reason,
			    int64_t created __attribute__((unused)),
			    void *context)
{
	struct find_allowed_ctx *ctx = context;
	struct lockout_str msg;
	struct lockout_net net;
	const char *error;

	/* the table is shared with other writers: parse what it holds */
	if (lockout_net_parse(network, &net, &error) < 0) {
		lockout_str_init(&msg);
		lockout_str_printf(&msg, "Ignoring invalid allowed network "
				   "(reason '%s'): %s", reason, error);
		admin_invalid_row(ctx->admin, &msg);
		return 0;
	}
	if (!lockout_target_overlaps(ctx->target, &net, 1, NULL))
		return 0;
	/* the store keeps it to LOCKOUT_BAN_TARGET_MAX bytes */
	snprintf(ctx->network, LOCKOUT_TARGET_STRLEN, "%s", network);
	return 1;
}

int lockout_admin_find_allowed(const struct lockout_admin *admin,
			       const struct lockout_target *target,
			       char network_r[LOCKOUT_TARGET_STRLEN],
			       const char **origin_r, const char **error_r)
{
	const struct lockout_config *cfg = admin->cfg;
	struct find_allowed_ctx ctx;
	size_t idx;
	int ret;

	if (lockout_target_overlaps(target, cfg->allow_networks,
				    cfg->allow_networks_count, &idx)) {
		lockout_net_to_str(&cfg->allow_networks[idx], network_r);
		*origin_r = LOCKOUT_ALLOWED_ORIGIN_CONFIG;
		return 1;
	}
	if (target->kind == LOCKOUT_KIND_USER)
		return 0;
	memset(&ctx, 0, sizeof(ctx));
	ctx.admin = admin;
	ctx.target = target;
	ctx.network = network_r;
	ret = lockout_store_iter_allowed(admin->store, find_allowed_row, &ctx,
					 error_r);
	if (ret <= 0)
		return ret < 0 ? -1 : 0;
	*origin_r = LOCKOUT_ALLOWED_ORIGIN_TABLE;
	return 1;
}

void lockout_allowed_row_init(struct lockout_allowed_row *row)
{
	memset(row, 0, sizeof(*row));
	lockout_str_init(&row->reason);
	lockout_str_init(&row->lifted);
}

void lockout_allowed_row_free(struct lockout_allowed_row *row)
{
	lockout_str_free(&row->reason);
	lockout_str_free(&row->lifted);
}

struct allow_ctx {
	const struct lockout_admin *admin;
	const struct lockout_target *target;
	struct lockout_allowed_row *row;
};

/* The row of the target network: its reason and created time. */
static int allow_find_row(const char *network, const char *reason,
			  int64_t created, void *context)
{
	struct allow_ctx *ctx = context;

	if (strcmp(network, ctx->target->str) != 0)
		return 0;
	lockout_str_clear(&ctx->row->reason);
	lockout_str_append(&ctx->row->reason, reason);
	ctx->row->created = created;
	return 1;
}

/* An active ban: lifted when it overlaps the network allowed. */
static int allow_collect_ban(const struct lockout_ban *ban, void *context)
{
	struct allow_ctx *ctx = context;
	struct lockout_str msg;
	struct lockout_net net;
	const char *error;

	if (ban->kind == LOCKOUT_KIND_USER)
		return 0;
	if (lockout_net_parse(ban->target, &net, &error) < 0) {
		lockout_str_init(&msg);
		lockout_str_printf(&msg, "Ignoring ban %lld with an invalid "
				   "target: %s", (long long)ban->id, error);
		admin_invalid_row(ctx->admin, &msg);
		return 0;
	}
	if (!lockout_target_overlaps(ctx->target, &net, 1, NULL))
		return 0;
	if (ctx->row->lifted.len > 0)
		lockout_str_append(&ctx->row->lifted, " ");
	lockout_str_append(&ctx->row->lifted, ban->target);
	return 0;
}

/* Lift the bans of the targets listed in lifted (space-separated). */
static int allow_lift(const struct lockout_admin *admin, const char *lifted,
		      const char **error_r)
{
	char target[LOCKOUT_TARGET_STRLEN];
	unsigned int count;
	size_t len;

	while (*lifted != '\0') {
		len = strcspn(lifted, " ");
		if (len >= sizeof(target))
			len = sizeof(target) - 1;
		memcpy(target, lifted, len);
		target[len] = '\0';
		if (lockout_store_lift(admin->store, target, admin->now,
				       &count, error_r) < 0)
			return -1;
		lifted += strcspn(lifted, " ");
		if (*lifted == ' ')
			lifted++;
	}
	return 0;
}

static void allow_ctx_init(struct allow_ctx *ctx,
			   const struct lockout_admin *admin,
			   const struct lockout_target *target,
			   struct lockout_allowed_row *row)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->admin = admin;
	ctx->target = target;
	ctx->row = row;
	row->existed = false;
	row->created = 0;
	lockout_str_clear(&row->reason);
	lockout_str_clear(&row->lifted);
}

int lockout_admin_allow(const struct lockout_admin *admin,
			const struct lockout_target *target,
			const char *reason,
			struct lockout_allowed_row *row_r,
			const char **error_r)
{
	struct lockout_store *store = admin->store;
	struct allow_ctx ctx;
	const char *lifted;

	allow_ctx_init(&ctx, admin, target, row_r);
	if (reason == NULL) {
		/* keep the reason of the row there, if any */
		if (lockout_store_iter_allowed(store, allow_find_row, &ctx,
					       error_r) < 0)
			return -1;
		reason = lockout_str_c(&row_r->reason);
		if (reason == NULL) {
			*error_r = "Out of memory";
			return -1;
		}
	}
	if (lockout_store_add_allowed(store, target->str, reason, admin->now,
				      &row_r->existed, error_r) < 0 ||
	    lockout_store_iter_bans(store, admin->now, 0, allow_collect_ban,
				    &ctx, error_r) < 0)
		return -1;
	lifted = lockout_str_c(&row_r->lifted);
	if (lifted == NULL) {
		*error_r = "Out of memory";
		return -1;
	}
	/* lifted after the iteration: never change what is being read */
	if (allow_lift(admin, lifted, error_r) < 0)
		return -1;
	/* read back, for the original time of a row that existed */
	return lockout_store_iter_allowed(store, allow_find_row, &ctx,
					  error_r) < 0 ? -1 : 0;
}

int lockout_admin_disallow(const struct lockout_admin *admin,
			   const struct lockout_target *target,
			   struct lockout_allowed_row *row_r,
			   const char **error_r)
{
	struct allow_ctx ctx;
	unsigned int count;
	int ret;

	allow_ctx_init(&ctx, admin, target, row_r);
	ret = lockout_store_iter_allowed(admin->store, allow_find_row, &ctx,
					 error_r);
	if (ret <= 0)
		return ret < 0 ? -1 : 0;
	row_r->existed = true;
	if (lockout_store_remove_allowed(admin->store, target->str, &count,
					 error_r) < 0)
		return -1;
	return 1;
}

/* --- bans ----------------------------------------------------------------- */

void lockout_admin_manual_evidence(struct lockout_str *str, const char *via,
				   const char *remote_ip)
{
	lockout_str_append(str, "{\"rule\":\"manual\",\"via\":");
	lockout_json_append_string(str, via);
	if (remote_ip != NULL) {
		lockout_str_append(str, ",\"remote_ip\":");
		lockout_json_append_string(str, remote_ip);
	}
	lockout_str_append(str, "}");
}

void lockout_admin_manual_ban(struct lockout_ban *ban_r,
			      const struct lockout_target *target,
			      const char *reason, int64_t now, uint32_t secs,
			      const char *evidence)
{
	memset(ban_r, 0, sizeof(*ban_r));
	ban_r->target = target->str;
	ban_r->kind = target->kind;
	ban_r->source = LOCKOUT_SOURCE_MANUAL;
	ban_r->reason = reason == NULL || reason[0] == '\0' ?
		LOCKOUT_MANUAL_BAN_REASON : reason;
	ban_r->rule = "manual";
	ban_r->created = now;
	ban_r->expires = lockout_expiry(now, secs);
	ban_r->evidence = evidence;
}

int lockout_admin_ban(const struct lockout_admin *admin,
		      const struct lockout_target *target,
		      struct lockout_ban *ban, unsigned int *replaced_r,
		      char network_r[LOCKOUT_TARGET_STRLEN],
		      const char **origin_r, const char **error_r)
{
	int ret;

	*replaced_r = 0;
	/* in the same transaction, so that a concurrent "allow" cannot slip
	   in between the check and the ban */
	ret = lockout_admin_find_allowed(admin, target, network_r, origin_r,
					 error_r);
	if (ret != 0)
		return ret;
	if (lockout_store_lift(admin->store, target->str, admin->now,
			       replaced_r, error_r) < 0 ||
	    lockout_store_add_ban(admin->store, ban, &ban->id, error_r) < 0)
		return -1;
	return 0;
}

struct unban_ctx {
	const struct lockout_admin *admin;
	const struct lockout_target *target;
	lockout_admin_lifted_callback_t *callback;
	void *context;
	unsigned int count;
	char *covered_by;
};

static int unban_own(const struct lockout_ban *ban, void *context)
{
	struct unban_ctx *ctx = context;
	struct lockout_ban lifted = *ban;

	lifted.lifted = ctx->admin->now;
	ctx->count++;
	ctx->callback(&lifted, ctx->context);
	return 0;
}

static int unban_find_cover(const struct lockout_ban *ban, void *context)
{
	struct unban_ctx *ctx = context;

	snprintf(ctx->covered_by, LOCKOUT_TARGET_STRLEN, "%s", ban->target);
	return 1;
}

int lockout_admin_unban(const struct lockout_admin *admin,
			const struct lockout_target *target,
			lockout_admin_lifted_callback_t *callback,
			void *context,
			char covered_by_r[LOCKOUT_TARGET_STRLEN],
			const char **error_r)
{
	struct unban_ctx ctx;
	unsigned int count;

	memset(&ctx, 0, sizeof(ctx));
	ctx.admin = admin;
	ctx.target = target;
	ctx.callback = callback;
	ctx.context = context;
	ctx.covered_by = covered_by_r;
	covered_by_r[0] = '\0';
	if (lockout_store_iter_target(admin->store, target->str, admin->now,
				      0, unban_own, &ctx, error_r) < 0)
		return -1;
	if (ctx.count == 0) {
		/* not banned itself: say whether a wider ban covers it */
		if (target->kind != LOCKOUT_KIND_USER &&
		    lockout_admin_iter_covering(admin, target,
						unban_find_cover, &ctx,
						error_r) < 0)
			return -1;
		return 0;
	}
	if (lockout_store_lift(admin->store, target->str, admin->now, &count,
			       error_r) < 0)
		return -1;
	return (int)ctx.count;
}

/* --- what applies to a target --------------------------------------------- */

const char *lockout_ban_state(const struct lockout_ban *ban, int64_t now)
{
	if (ban->lifted != 0)
		return "lifted";
	if (ban->expires != 0 && ban->expires <= now)
		return "expired";
	return ban->observed ? "observed" : "active";
}

bool lockout_ban_covers(const struct lockout_ban *ban,
			const struct lockout_target *target)
{
	struct lockout_net net;
	const char *error;

	if (ban->kind == LOCKOUT_KIND_USER ||
	    target->kind == LOCKOUT_KIND_USER)
		return strcmp(ban->target, target->str) == 0;
	return lockout_net_parse(ban->target, &net, &error) == 0 &&
		net.prefix <= target->net.prefix &&
		lockout_net_contains(&net, &target->net.addr);
}

unsigned int lockout_ban_relevance(const struct lockout_ban *ban,
				   const struct lockout_target *target)
{
	return (ban->observed ? 0 : 2) +
		(strcmp(ban->target, target->str) == 0 ? 1 : 0);
}

const char *lockout_target_state(const struct lockout_target *target,
				 bool enforced, bool covered, bool allowed)
{
	if (enforced)
		return target->kind == LOCKOUT_KIND_USER ? "protected" :
			"banned";
	if (covered)
		return "observed";
	return allowed ? "allowed" : "not banned";
}

bool lockout_failure_concerns(const struct lockout_failure *row,
			      const struct lockout_target *target)
{
	struct lockout_addr addr;

	if (target->kind != LOCKOUT_KIND_NET)
		return true;
	return row->ip != NULL && lockout_addr_parse(row->ip, &addr) == 0 &&
		lockout_net_contains(&target->net, &addr);
}

bool lockout_failure_refused(const struct lockout_failure *row)
{
	return row->result != NULL && strcmp(row->result, "refused") == 0;
}

/* The canonical text of net masked to each prefix from min_prefix to its
   own (the networks of that family that contain it), into keys; their
   pointers into ptrs. Returns the number of keys. */
static unsigned int
covering_keys(const struct lockout_net *net, unsigned int min_prefix,
	      char keys[][LOCKOUT_NET_STRLEN], const char **ptrs)
{
	struct lockout_net wider;
	unsigned int prefix, count = 0;

	for (prefix = min_prefix; prefix <= net->prefix; prefix++) {
		lockout_addr_mask(&net->addr, prefix, &wider);
		lockout_net_to_str(&wider, keys[count]);
		ptrs[count] = keys[count];
		count++;
	}
	return count;
}

struct covering_ctx {
	const struct lockout_target *target;
	lockout_ban_callback_t *callback;
	void *context;
};

static int covering_ban(const struct lockout_ban *ban, void *context)
{
	struct covering_ctx *ctx = context;

	/* a username's row whose text is a network's is no network ban */
	if (!lockout_ban_covers(ban, ctx->target))
		return 0;
	return ctx->callback(ban, ctx->context);
}

int lockout_admin_iter_covering(const struct lockout_admin *admin,
				const struct lockout_target *target,
				lockout_ban_callback_t *callback,
				void *context, const char **error_r)
{
	char keys[LOCKOUT_STORE_TARGETS_MAX][LOCKOUT_NET_STRLEN];
	const char *ptrs[LOCKOUT_STORE_TARGETS_MAX];
	struct covering_ctx ctx = { target, callback, context };
	unsigned int count;

	if (target->kind == LOCKOUT_KIND_USER) {
		ptrs[0] = target->str;
		count = 1;
	} else {
		count = covering_keys(&target->net, 0, keys, ptrs);
	}
	return lockout_store_iter_targets(admin->store, ptrs, count,
					  admin->now, covering_ban, &ctx,
					  error_r);
}

static int banned_ban(const struct lockout_ban *ban, void *context)
{
	bool *banned = context;
	struct lockout_net net;
	const char *problem;

	/* what the auth process loads (lockout-sync.c): never an invalid
	   row */
	if (ban->kind == LOCKOUT_KIND_USER || ban->observed ||
	    lockout_ban_check_target(ban, &net, &problem) < 0)
		return 0;
	*banned = true;
	return 1;
}

int lockout_admin_addr_banned(const struct lockout_admin *admin,
			      const struct lockout_addr *addr, bool *banned_r,
			      const char **error_r)
{
	char keys[LOCKOUT_STORE_TARGETS_MAX][LOCKOUT_NET_STRLEN];
	const char *ptrs[LOCKOUT_STORE_TARGETS_MAX];
	struct lockout_net host;
	unsigned int count;

	*banned_r = false;
	/* wider rows are never enforced: not asked for */
	lockout_addr_mask(addr, 128, &host);
	count = covering_keys(&host, addr->family == LOCKOUT_AF_INET ?
			      LOCKOUT_BAN_WIDEST_PREFIX4 :
			      LOCKOUT_BAN_WIDEST_PREFIX6, keys, ptrs);
	return lockout_store_iter_targets(admin->store, ptrs, count,
					  admin->now, banned_ban, banned_r,
					  error_r) < 0 ? -1 : 0;
}

/* --- counters ------------------------------------------------------------- */

int lockout_admin_stats(const struct lockout_admin *admin,
			struct lockout_admin_stats *stats_r,
			const char **error_r)
{
	struct lockout_store *store = admin->store;
	struct lockout_str wal;
	const char *path;
	struct stat st;

	memset(stats_r, 0, sizeof(*stats_r));
	if (lockout_store_count_active(store, admin->now, &stats_r->bans,
				       error_r) < 0 ||
	    lockout_store_count_failures(store, admin->now - 3600,
					 &stats_r->failures_hour,
					 &stats_r->refused_hour, error_r) < 0 ||
	    lockout_store_count_failures(store, admin->now - 86400,
					 &stats_r->failures_day,
					 &stats_r->refused_day, error_r) < 0 ||
	    lockout_store_count_alerts(store, admin->now - 86400,
				       &stats_r->alerts_day, error_r) < 0 ||
	    lockout_store_count_unknown_names(store, admin->now - 86400,
					      &stats_r->unknown_names_day,
					      error_r) < 0 ||
	    lockout_store_size(store, &stats_r->size, error_r) < 0)
		return -1;
	/* SQLite's write-ahead log beside the database (PostgreSQL's is
	   the server's business) */
	if (admin->cfg->db_driver != LOCKOUT_DB_DRIVER_SQLITE)
		return 0;
	lockout_str_init(&wal);
	lockout_str_printf(&wal, "%s-wal", admin->cfg->db);
	path = lockout_str_c(&wal);
	if (path != NULL && stat(path, &st) == 0)
		stats_r->wal_bytes = (uint64_t)st.st_size;
	lockout_str_free(&wal);
	return 0;
}
