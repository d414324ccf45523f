/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "array.h"
#include "str.h"
#include "doveadm.h"
#include "doveadm-print.h"
#include "doveadm-lockout.h"
#include "lockout-args.h"

#include <sysexits.h>

/* doveadm lockout allow [<network> [-r <reason>]] | -d <network>:
   networks never banned by address, kept in the table in addition to
   lockout_allow_networks. Allowing a network lifts, in the same
   transaction, every active address or network ban that overlaps it (an
   allowed network and a ban never overlap). Without arguments, lists the
   allowed networks of both origins. */

struct allow_ctx {
	pool_t pool;
	struct lockout_target target;
	/* NULL: keep the reason of a network allowed already ("" if new) */
	const char *reason;
	/* the row as it is after the change (or was, for -d) */
	const char *row_reason;
	int64_t row_created;
	bool existed;
	/* targets of the bans lifted */
	ARRAY_TYPE(const_string) lift;
};

static void allow_header(void)
{
	doveadm_print_header_simple("network");
	doveadm_print_header("reason", "reason",
			     DOVEADM_PRINT_HEADER_FLAG_EXPAND);
	doveadm_print_header_simple("created");
	doveadm_print_header_simple("origin");
	doveadm_print_header_simple("lifted");
}

static void allow_print(const char *network, const char *reason,
			int64_t created, const char *origin,
			const char *lifted)
{
	T_BEGIN {
		doveadm_print(network);
		doveadm_print(reason);
		doveadm_print(doveadm_lockout_time(created));
		doveadm_print(origin);
		doveadm_print(lifted);
	} T_END;
}

static int allow_list_row(const char *network, const char *reason,
			  int64_t created, void *context ATTR_UNUSED)
{
	allow_print(network, reason, created, "table", "");
	return 0;
}

static void allow_list(struct doveadm_lockout *lo)
{
	char buf[LOCKOUT_NET_STRLEN];
	const char *error;
	size_t i;

	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	allow_header();
	for (i = 0; i < lo->cfg.allow_networks_count; i++) {
		lockout_net_to_str(&lo->cfg.allow_networks[i], buf);
		allow_print(buf, "", 0, "lockout_allow_networks", "");
	}
	if (lockout_store_iter_allowed(lo->store, allow_list_row, NULL,
				       &error) < 0)
		doveadm_lockout_fail(lo->cctx, EX_TEMPFAIL, "%s", error);
}

static int allow_collect_ban(const struct lockout_ban *ban, void *context)
{
	struct allow_ctx *ctx = context;
	struct lockout_net net;
	const char *target, *error;

	if (ban->kind == LOCKOUT_KIND_USER)
		return 0;
	if (lockout_net_parse(ban->target, &net, &error) < 0) {
		i_warning("lockout: Ignoring ban %lld with an invalid "
			  "target: %s", (long long)ban->id, error);
		return 0;
	}
	if (!lockout_target_overlaps(&ctx->target, &net, 1, NULL))
		return 0;
	target = p_strdup(ctx->pool, ban->target);
	array_push_back(&ctx->lift, &target);
	return 0;
}

static int allow_find_row(const char *network, const char *reason,
			  int64_t created, void *context)
{
	struct allow_ctx *ctx = context;

	if (strcmp(network, ctx->target.str) != 0)
		return 0;
	ctx->row_reason = p_strdup(ctx->pool, reason);
	ctx->row_created = created;
	return 1;
}

static int allow_add_write(struct doveadm_lockout *lo, void *context,
			   const char **error_r)
{
	struct allow_ctx *ctx = context;
	const char *target, *reason = ctx->reason;
	unsigned int count;
	int ret;

	array_clear(&ctx->lift);
	if (reason == NULL) {
		ctx->row_reason = "";
		ret = lockout_store_iter_allowed(lo->store, allow_find_row,
						 ctx, error_r);
		if (ret < 0)
			return -1;
		reason = ctx->row_reason;
	}
	if (lockout_store_add_allowed(lo->store, ctx->target.str, reason,
				      lo->now, &ctx->existed, error_r) < 0 ||
	    lockout_store_iter_bans(lo->store, lo->now, 0, allow_collect_ban,
				    ctx, error_r) < 0)
		return -1;
	/* lifted after the iteration: never change what is being read */
	array_foreach_elem(&ctx->lift, target) {
		if (lockout_store_lift(lo->store, target, lo->now, &count,
				       error_r) < 0)
			return -1;
	}
	/* read back, for the original time of a row that existed */
	return lockout_store_iter_allowed(lo->store, allow_find_row, ctx,
					  error_r) < 0 ? -1 : 0;
}

static int allow_remove_write(struct doveadm_lockout *lo, void *context,
			      const char **error_r)
{
	struct allow_ctx *ctx = context;
	unsigned int count;
	int ret;

	ret = lockout_store_iter_allowed(lo->store, allow_find_row, ctx,
					 error_r);
	if (ret < 0)
		return -1;
	if (ret == 0) {
		doveadm_lockout_fail(lo->cctx, DOVEADM_EX_NOTFOUND,
			"%s is not in the allowed table%s; nothing was changed",
			ctx->target.str,
			lockout_target_overlaps(&ctx->target,
						lo->cfg.allow_networks,
						lo->cfg.allow_networks_count,
						NULL) ?
			" (lockout_allow_networks covers it: change the "
			"configuration)" : "");
		return 1;
	}
	return lockout_store_remove_allowed(lo->store, ctx->target.str,
					    &count, error_r);
}

static void cmd_lockout_allow(struct doveadm_cmd_context *cctx)
{
	struct doveadm_lockout lo;
	struct allow_ctx ctx;
	const char *str, *error;
	bool delete = FALSE;
	int ret;

	i_zero(&ctx);
	(void)doveadm_cmd_param_bool(cctx, "delete", &delete);
	if (doveadm_cmd_param_str(cctx, "reason", &ctx.reason) &&
	    lockout_reason_check(ctx.reason, &error) < 0) {
		doveadm_lockout_fail(cctx, EX_USAGE, "%s", error);
		return;
	}
	if (!doveadm_cmd_param_str(cctx, "network", &str)) {
		if (delete || ctx.reason != NULL) {
			doveadm_lockout_fail(cctx, EX_USAGE, "Missing network "
					     "(usage: doveadm %s %s)",
					     cctx->cmd->name, cctx->cmd->usage);
			return;
		}
		if (doveadm_lockout_init(cctx, TRUE, &lo) < 0)
			return;
		allow_list(&lo);
		doveadm_lockout_deinit(&lo);
		return;
	}
	if (doveadm_lockout_target_arg(cctx, "network", TRUE,
				       &ctx.target) < 0)
		return;
	if (delete && ctx.reason != NULL) {
		doveadm_lockout_fail(cctx, EX_USAGE, "-r cannot be used "
				     "with -d");
		return;
	}

	if (doveadm_lockout_init(cctx, FALSE, &lo) < 0)
		return;
	ctx.pool = pool_alloconly_create("lockout allow", 1024);
	p_array_init(&ctx.lift, ctx.pool, 8);
	ret = doveadm_lockout_write(&lo, delete ? allow_remove_write :
				    allow_add_write, &ctx);
	if (ret == 0 && ctx.existed && ctx.reason != NULL) {
		i_info("%s: %s was allowed already; its reason is updated",
		       cctx->cmd->name, ctx.target.str);
	}
	if (ret == 0) {
		doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
		allow_header();
		if (delete) {
			allow_print(ctx.target.str, ctx.row_reason,
				    ctx.row_created, "removed", "");
		} else T_BEGIN {
			string_t *lifted = t_str_new(64);
			const char *target;

			array_foreach_elem(&ctx.lift, target) {
				if (str_len(lifted) > 0)
					str_append_c(lifted, ' ');
				str_append(lifted, target);
			}
			allow_print(ctx.target.str, ctx.row_reason,
				    ctx.row_created, "table", str_c(lifted));
		} T_END;
	}
	pool_unref(&ctx.pool);
	doveadm_lockout_deinit(&lo);
}

struct doveadm_cmd_ver2 doveadm_cmd_lockout_allow = {
	.name = "lockout allow",
	.cmd = cmd_lockout_allow,
	.usage = "[<network> [-r <reason>]] | -d <network>",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('d', "delete", CMD_PARAM_BOOL, 0)
DOVEADM_CMD_PARAM('r', "reason", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('\0', "network", CMD_PARAM_STR, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
};
