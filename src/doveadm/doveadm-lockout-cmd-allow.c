/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
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
	struct lockout_target target;
	/* NULL: keep the reason of a network allowed already ("" if new) */
	const char *reason;
	bool delete;
	/* the row as it is after the change (or was, for -d) */
	struct lockout_allowed_row row;
};

/* Begins the table (doveadm_lockout_table_begin()); the free-text columns
   last in the aligned table. */
static void allow_header(void)
{
	doveadm_lockout_table_begin();
	doveadm_lockout_table_header("network", 0, FALSE);
	doveadm_lockout_table_header("reason",
				     DOVEADM_PRINT_HEADER_FLAG_EXPAND, TRUE);
	doveadm_lockout_table_header("created", 0, FALSE);
	doveadm_lockout_table_header("origin", 0, FALSE);
	doveadm_lockout_table_header("lifted", 0, TRUE);
}

static void allow_print(const char *network, const char *reason,
			int64_t created, const char *origin,
			const char *lifted)
{
	T_BEGIN {
		doveadm_lockout_table_value(network);
		doveadm_lockout_table_value(reason);
		doveadm_lockout_table_value(doveadm_lockout_time(created));
		doveadm_lockout_table_value(origin);
		doveadm_lockout_table_value(lifted);
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

	allow_header();
	for (i = 0; i < lo->cfg.allow_networks_count; i++) {
		lockout_net_to_str(&lo->cfg.allow_networks[i], buf);
		allow_print(buf, "", 0, "lockout_allow_networks", "");
	}
	if (lockout_store_iter_allowed(lo->store, allow_list_row, NULL,
				       &error) < 0)
		doveadm_lockout_fail(lo->cctx, EX_TEMPFAIL, "%s", error);
	doveadm_lockout_table_end();
}

static int allow_write(struct doveadm_lockout *lo, void *context,
		       const char **error_r)
{
	struct allow_ctx *ctx = context;
	int ret;

	if (!ctx->delete) {
		return lockout_admin_allow(&lo->admin, &ctx->target,
					   ctx->reason, &ctx->row, error_r);
	}
	ret = lockout_admin_disallow(&lo->admin, &ctx->target, &ctx->row,
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
	return 0;
}

static void cmd_lockout_allow(struct doveadm_cmd_context *cctx)
{
	struct doveadm_lockout lo;
	struct allow_ctx ctx;
	const char *str, *reason, *lifted, *error;

	i_zero(&ctx);
	(void)doveadm_cmd_param_bool(cctx, "delete", &ctx.delete);
	if (doveadm_cmd_param_str(cctx, "reason", &ctx.reason) &&
	    lockout_reason_check(ctx.reason, &error) < 0) {
		doveadm_lockout_fail(cctx, EX_USAGE, "%s", error);
		return;
	}
	if (!doveadm_cmd_param_str(cctx, "network", &str)) {
		if (ctx.delete || ctx.reason != NULL) {
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
	if (ctx.delete && ctx.reason != NULL) {
		doveadm_lockout_fail(cctx, EX_USAGE, "-r cannot be used "
				     "with -d");
		return;
	}

	if ((ctx.delete ? doveadm_lockout_init(cctx, FALSE, &lo) :
	     doveadm_lockout_init_create(cctx, &lo)) < 0)
		return;
	lockout_allowed_row_init(&ctx.row);
	if (doveadm_lockout_write(&lo, allow_write, &ctx) == 0) {
		if (ctx.row.existed && ctx.reason != NULL) {
			i_info("%s: %s was allowed already; its reason is "
			       "updated", cctx->cmd->name, ctx.target.str);
		}
		reason = lockout_str_c(&ctx.row.reason);
		lifted = lockout_str_c(&ctx.row.lifted);
		if (reason == NULL || lifted == NULL) {
			i_fatal_status(FATAL_OUTOFMEM,
				       "lockout allow: Out of memory");
		}
		allow_header();
		allow_print(ctx.target.str, reason, ctx.row.created,
			    ctx.delete ? "removed" : "table",
			    ctx.delete ? "" : lifted);
		doveadm_lockout_table_end();
	}
	lockout_allowed_row_free(&ctx.row);
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
