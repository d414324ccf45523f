/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "array.h"
#include "doveadm.h"
#include "doveadm-print.h"
#include "doveadm-lockout.h"
#include "lockout-args.h"

#include <sysexits.h>

/* doveadm lockout top users|ips|services [-s <interval>] [-n <count>]: the
   most targeted usernames (whether each exists, whether it is in
   lockout_targeted_users), the most active sources (whether each is banned
   now) and the most attacked services, from the failure history. Refused
   attempts count too: a banned source that keeps trying is still active. */

#define TOP_DEFAULT_SINCE (7 * 24 * 3600)
#define TOP_DEFAULT_COUNT 20
#define TOP_MAX_COUNT 10000

struct top_ctx {
	struct doveadm_lockout *lo;
	const char *column;
	struct doveadm_lockout_userdb *udb;
	/* the ranking, read before anything is printed: whether a source is
	   banned is asked of the table, which cannot be read again while the
	   ranking is being read */
	pool_t pool;
	ARRAY(struct lockout_top_row) rows;
};

/* Yes/no columns are numbers, so that a program tests them without
   comparing strings: 1 yes, 0 no; "exists" is 2 when the userdb could not
   be asked. (doveadm's JSON printer takes digits only: no -1, no null.) */
/* Whether the auth process refuses ip now: a few index lookups for each
   row shown rather than loading every ban. */
static int top_banned(struct top_ctx *ctx, const char *ip,
		      const char **banned_r, const char **error_r)
{
	struct lockout_addr addr;
	bool banned;

	if (lockout_addr_parse(ip, &addr) < 0) {
		*banned_r = "0";
		return 0;
	}
	if (lockout_admin_addr_banned(&ctx->lo->admin, &addr, &banned,
				      error_r) < 0)
		return -1;
	*banned_r = banned ? "1" : "0";
	return 0;
}


static void top_header(struct top_ctx *ctx)
{
	const enum doveadm_print_header_flags num =
		DOVEADM_PRINT_HEADER_FLAG_RIGHT_JUSTIFY |
		DOVEADM_PRINT_HEADER_FLAG_NUMBER;

	doveadm_lockout_table_begin();
	doveadm_lockout_table_header(ctx->column,
				     DOVEADM_PRINT_HEADER_FLAG_EXPAND, FALSE);
	doveadm_lockout_table_header("failures", num, FALSE);
	if (strcmp(ctx->column, "user") == 0)
		doveadm_lockout_table_header("ips", num, FALSE);
	else
		doveadm_lockout_table_header("users", num, FALSE);
	doveadm_lockout_table_header("first", 0, FALSE);
	doveadm_lockout_table_header("last", 0, FALSE);
	if (strcmp(ctx->column, "user") == 0) {
		doveadm_lockout_table_header("exists", num, FALSE);
		doveadm_lockout_table_header("targeted", num, FALSE);
	} else if (strcmp(ctx->column, "ip") == 0) {
		doveadm_lockout_table_header("banned", num, FALSE);
	}
}

static int top_collect(const struct lockout_top_row *row, void *context)
{
	struct top_ctx *ctx = context;
	struct lockout_top_row *copy = array_append_space(&ctx->rows);

	*copy = *row;
	copy->key = p_strdup(ctx->pool, row->key);
	return 0;
}

static int top_print_row(struct top_ctx *ctx, const struct lockout_top_row *row,
			 const char **error_r)
{
	const char *banned = "";

	if (strcmp(ctx->column, "ip") == 0 &&
	    top_banned(ctx, row->key, &banned, error_r) < 0)
		return -1;
	doveadm_lockout_table_value(row->key);
	doveadm_lockout_table_num(row->failures);
	doveadm_lockout_table_num(row->distinct);
	doveadm_lockout_table_value(doveadm_lockout_time(row->first));
	doveadm_lockout_table_value(doveadm_lockout_time(row->last));
	if (strcmp(ctx->column, "user") == 0) {
		doveadm_lockout_table_value(doveadm_lockout_userdb_exists(ctx->udb,
							    row->key));
		doveadm_lockout_table_value(lockout_config_is_targeted(&ctx->lo->cfg,
							 row->key) ?
			      "1" : "0");
	} else if (strcmp(ctx->column, "ip") == 0) {
		doveadm_lockout_table_value(banned);
	}
	return 0;
}

static int top_print(struct top_ctx *ctx, const char **error_r)
{
	const struct lockout_top_row *row;
	int ret = 0;

	top_header(ctx);
	array_foreach(&ctx->rows, row) {
		/* *error_r is in lockout-error.h's buffer, not on the
		   data stack */
		T_BEGIN {
			ret = top_print_row(ctx, row, error_r);
		} T_END;
		if (ret < 0)
			break;
	}
	return ret;
}

static void cmd_lockout_top(struct doveadm_cmd_context *cctx)
{
	struct doveadm_lockout lo;
	struct top_ctx ctx;
	const char *str, *error;
	uint32_t since = TOP_DEFAULT_SINCE;
	unsigned int count = TOP_DEFAULT_COUNT;
	int ret = 0;

	i_zero(&ctx);
	if (!doveadm_cmd_param_str(cctx, "ranking", &str)) {
		doveadm_lockout_fail(cctx, EX_USAGE, "Missing ranking "
				     "(usage: doveadm %s %s)",
				     cctx->cmd->name, cctx->cmd->usage);
		return;
	}
	if (lockout_top_column_parse(str, &ctx.column, &error) < 0 ||
	    (doveadm_cmd_param_str(cctx, "since", &str) &&
	     lockout_duration_parse(str, FALSE, &since, &error) < 0) ||
	    (doveadm_cmd_param_str(cctx, "count", &str) &&
	     lockout_count_parse(str, TOP_MAX_COUNT, &count, &error) < 0)) {
		doveadm_lockout_fail(cctx, EX_USAGE, "%s", error);
		return;
	}

	if (doveadm_lockout_init(cctx, TRUE, &lo) < 0)
		return;
	ctx.lo = &lo;
	ctx.pool = pool_alloconly_create("lockout top", 4096);
	p_array_init(&ctx.rows, ctx.pool, count < 64 ? count : 64);
	if (strcmp(ctx.column, "user") == 0)
		ctx.udb = doveadm_lockout_userdb_init();
	ret = lockout_store_top(lo.store, ctx.column, lo.now - (int64_t)since,
				count, top_collect, &ctx, &error);
	if (ret == 0) {
		ret = top_print(&ctx, &error);
		doveadm_lockout_table_end();
	}
	if (ret < 0)
		doveadm_lockout_fail(cctx, EX_TEMPFAIL, "%s", error);
	doveadm_lockout_userdb_deinit(&ctx.udb);
	pool_unref(&ctx.pool);
	doveadm_lockout_deinit(&lo);
}

struct doveadm_cmd_ver2 doveadm_cmd_lockout_top = {
	.name = "lockout top",
	.cmd = cmd_lockout_top,
	.usage = "users|ips|services [-s <interval>] [-n <count>]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('s', "since", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('n', "count", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('\0', "ranking", CMD_PARAM_STR, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
};
