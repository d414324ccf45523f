/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "doveadm.h"
#include "doveadm-print.h"
#include "doveadm-lockout.h"

#include <sysexits.h>

/* doveadm lockout list [-k ip|net|user] [-a]: the active bans (with -a also
   the expired and lifted ones still in the table). */

struct list_ctx {
	int64_t now;
	/* rows the store skipped as invalid, and the first of them */
	unsigned int invalid;
	int64_t invalid_id;
	const char *invalid_problem;
};

/* An invalid row cannot be listed, but it does not vanish silently. */
static void list_invalid(int64_t id, const char *problem, void *context)
{
	struct list_ctx *ctx = context;

	if (ctx->invalid++ == 0) {
		ctx->invalid_id = id;
		ctx->invalid_problem = problem;
	}
}

static int list_ban(const struct lockout_ban *ban, void *context)
{
	const struct list_ctx *ctx = context;

	doveadm_lockout_print_ban(ban, ctx->now);
	return 0;
}

static void cmd_lockout_list(struct doveadm_cmd_context *cctx)
{
	struct doveadm_lockout lo;
	struct list_ctx ctx;
	enum lockout_kind kind = LOCKOUT_KIND_IP;
	const char *kind_str, *error;
	bool kind_filter = FALSE, all = FALSE;
	unsigned int flags;
	int ret;

	if (doveadm_cmd_param_str(cctx, "kind", &kind_str)) {
		if (lockout_kind_parse(kind_str, &kind) < 0) {
			doveadm_lockout_fail(cctx, EX_USAGE, "Invalid kind "
					     "'%s' (expected ip, net or user)",
					     kind_str);
			return;
		}
		kind_filter = TRUE;
	}
	(void)doveadm_cmd_param_bool(cctx, "all", &all);
	/* the whole table is printed: in creation order, unsorted */
	flags = all ? LOCKOUT_ITER_FLAG_ALL : LOCKOUT_ITER_FLAG_CREATED;

	if (doveadm_lockout_init(cctx, TRUE, &lo) < 0)
		return;
	i_zero(&ctx);
	ctx.now = lo.now;
	doveadm_lockout_ban_header();
	lockout_store_set_invalid_ban_callback(lo.store, list_invalid, &ctx);
	/* the kind is chosen by the query (an index), not by reading every
	   ban */
	ret = kind_filter ?
		lockout_store_iter_kind(lo.store, kind, lo.now, flags,
					list_ban, &ctx, &error) :
		lockout_store_iter_bans(lo.store, lo.now, flags, list_ban,
					&ctx, &error);
	if (ret < 0)
		doveadm_lockout_fail(cctx, EX_TEMPFAIL, "%s", error);
	doveadm_lockout_table_end();
	if (ret == 0 && ctx.invalid > 0) {
		i_warning("lockout: %u invalid row%s of the ban table not "
			  "listed, never enforced (row %lld: %s)", ctx.invalid,
			  ctx.invalid == 1 ? "" : "s",
			  (long long)ctx.invalid_id, ctx.invalid_problem);
	}
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
