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
	/* an active ban of a wider network covering the target */
	const char *covered_by;
};

static int unban_collect(const struct lockout_ban *ban, void *context)
{
	struct unban_ctx *ctx = context;
	struct lockout_ban *copy;

	copy = array_append_space(&ctx->lifted);
	*copy = *ban;
	copy->target = p_strdup(ctx->pool, ban->target);
	copy->reason = p_strdup(ctx->pool, ban->reason);
	copy->rule = p_strdup(ctx->pool, ban->rule);
	copy->evidence = NULL;
	return 0;
}

static int unban_find_cover(const struct lockout_ban *ban, void *context)
{
	struct unban_ctx *ctx = context;
	struct lockout_net net;
	const char *error;

	if (ban->kind == LOCKOUT_KIND_USER ||
	    lockout_net_parse(ban->target, &net, &error) < 0 ||
	    net.prefix > ctx->target.net.prefix ||
	    !lockout_net_contains(&net, &ctx->target.net.addr))
		return 0;
	ctx->covered_by = p_strdup(ctx->pool, ban->target);
	return 1;
}

static int unban_write(struct doveadm_lockout *lo, void *context,
		       const char **error_r)
{
	struct unban_ctx *ctx = context;
	struct lockout_ban *ban;
	unsigned int count;

	array_clear(&ctx->lifted);
	ctx->covered_by = NULL;
	if (lockout_store_iter_target(lo->store, ctx->target.str, lo->now, 0,
				      unban_collect, ctx, error_r) < 0)
		return -1;
	if (array_count(&ctx->lifted) == 0) {
		if (ctx->target.kind != LOCKOUT_KIND_USER &&
		    lockout_store_iter_bans(lo->store, lo->now, 0,
					    unban_find_cover, ctx,
					    error_r) < 0)
			return -1;
		if (ctx->covered_by != NULL) {
			doveadm_lockout_fail(lo->cctx, DOVEADM_EX_NOTFOUND,
				"%s is not banned itself, but the ban of %s "
				"covers it (unban that); nothing was changed",
				ctx->target.str, ctx->covered_by);
		} else {
			doveadm_lockout_fail(lo->cctx, DOVEADM_EX_NOTFOUND,
				"%s is not banned; nothing was changed",
				ctx->target.str);
		}
		return 1;
	}
	if (lockout_store_lift(lo->store, ctx->target.str, lo->now, &count,
			       error_r) < 0)
		return -1;
	array_foreach_modifiable(&ctx->lifted, ban)
		ban->lifted = lo->now;
	return 0;
}

static void cmd_lockout_unban(struct doveadm_cmd_context *cctx)
{
	struct doveadm_lockout lo;
	struct unban_ctx ctx;
	const struct lockout_ban *ban;

	i_zero(&ctx);
	if (doveadm_lockout_target_arg(cctx, "target", FALSE,
				       &ctx.target) < 0)
		return;
	if (doveadm_lockout_init(cctx, FALSE, &lo) < 0)
		return;
	ctx.pool = pool_alloconly_create("lockout unban", 1024);
	p_array_init(&ctx.lifted, ctx.pool, 4);
	if (doveadm_lockout_write(&lo, unban_write, &ctx) == 0) {
		doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
		doveadm_lockout_ban_header();
		array_foreach(&ctx.lifted, ban)
			doveadm_lockout_print_ban(ban, lo.now);
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
