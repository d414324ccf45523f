/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "array.h"
#include "doveadm.h"
#include "doveadm-print.h"
#include "doveadm-lockout.h"

#include <sysexits.h>

/* doveadm lockout unban <target>: lift the active bans of exactly that
   target. The auth process notices within a second and forgets the
   source's failure counters, so that its next failure does not ban it again
   at once. */

struct unban_ctx {
	pool_t pool;
	struct lockout_target target;
	ARRAY(struct lockout_ban) lifted;
};

static void unban_collect(const struct lockout_ban *ban, void *context)
{
	struct unban_ctx *ctx = context;
	struct lockout_ban *copy;

	copy = array_append_space(&ctx->lifted);
	*copy = *ban;
	copy->target = p_strdup(ctx->pool, ban->target);
	copy->reason = p_strdup(ctx->pool, ban->reason);
	copy->rule = p_strdup(ctx->pool, ban->rule);
	copy->evidence = NULL;
}

static int unban_write(struct doveadm_lockout *lo, void *context,
		       const char **error_r)
{
	struct unban_ctx *ctx = context;
	char covered_by[LOCKOUT_TARGET_STRLEN];
	int ret;

	array_clear(&ctx->lifted);
	ret = lockout_admin_unban(&lo->admin, &ctx->target, unban_collect, ctx,
				  covered_by, error_r);
	if (ret != 0)
		return ret < 0 ? -1 : 0;
	if (covered_by[0] != '\0') {
		doveadm_lockout_fail(lo->cctx, DOVEADM_EX_NOTFOUND,
			"%s is not banned itself, but the ban of %s covers it "
			"(unban that); nothing was changed",
			ctx->target.str, covered_by);
	} else {
		doveadm_lockout_fail(lo->cctx, DOVEADM_EX_NOTFOUND,
			"%s is not banned; nothing was changed",
			ctx->target.str);
	}
	return 1;
}

static void cmd_lockout_unban(struct doveadm_cmd_context *cctx)
{
	struct doveadm_lockout lo;
	struct unban_ctx ctx;
	const struct lockout_ban *ban;

	i_zero(&ctx);
	if (doveadm_lockout_lookup_arg(cctx, "target",
				       &ctx.target) < 0)
		return;
	if (doveadm_lockout_init(cctx, FALSE, &lo) < 0)
		return;
	ctx.pool = pool_alloconly_create("lockout unban", 1024);
	p_array_init(&ctx.lifted, ctx.pool, 4);
	if (doveadm_lockout_write(&lo, unban_write, &ctx) == 0) {
		doveadm_lockout_ban_header();
		array_foreach(&ctx.lifted, ban)
			doveadm_lockout_print_ban(ban, lo.now);
		doveadm_lockout_table_end();
	}
	pool_unref(&ctx.pool);
	doveadm_lockout_deinit(&lo);
}

struct doveadm_cmd_ver2 doveadm_cmd_lockout_unban = {
	.name = "lockout unban",
	.cmd = cmd_lockout_unban,
	.usage = "<target>",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('\0', "target", CMD_PARAM_STR, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
};
