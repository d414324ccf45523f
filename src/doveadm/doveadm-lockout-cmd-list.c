/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "doveadm.h"
#include "doveadm-print.h"
#include "doveadm-lockout.h"

#include <sysexits.h>

/* doveadm lockout list [-k ip|net|user] [-a]: the active bans (with -a also
   the expired and lifted ones still in the table). */

struct list_ctx {
	bool kind_filter;
	enum lockout_kind kind;
	int64_t now;
};

static int list_ban(const struct lockout_ban *ban, void *context)
{
	struct list_ctx *ctx = context;

	if (!ctx->kind_filter || ban->kind == ctx->kind)
		doveadm_lockout_print_ban(ban, ctx->now);
	return 0;
}

static void cmd_lockout_list(struct doveadm_cmd_context *cctx)
{
	struct doveadm_lockout lo;
	struct list_ctx ctx;
	const char *kind, *error;
	bool all = FALSE;

	i_zero(&ctx);
	if (doveadm_cmd_param_str(cctx, "kind", &kind)) {
		if (lockout_kind_parse(kind, &ctx.kind) < 0) {
			doveadm_lockout_fail(cctx, EX_USAGE, "Invalid kind "
					     "'%s' (expected ip, net or user)",
					     kind);
			return;
		}
		ctx.kind_filter = TRUE;
	}
	(void)doveadm_cmd_param_bool(cctx, "all", &all);

	if (doveadm_lockout_init(cctx, TRUE, &lo) < 0)
		return;
	ctx.now = lo.now;
	doveadm_lockout_ban_header();
	if (lockout_store_iter_bans(lo.store, lo.now,
				    all ? LOCKOUT_ITER_FLAG_ALL : 0,
				    list_ban, &ctx, &error) < 0)
		doveadm_lockout_fail(cctx, EX_TEMPFAIL, "%s", error);
	doveadm_lockout_table_end();
	doveadm_lockout_deinit(&lo);
}

struct doveadm_cmd_ver2 doveadm_cmd_lockout_list = {
	.name = "lockout list",
	.cmd = cmd_lockout_list,
	.usage = "[-k ip|net|user] [-a]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('k', "kind", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('a', "all", CMD_PARAM_BOOL, 0)
DOVEADM_CMD_PARAMS_END
};
