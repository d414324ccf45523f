/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "doveadm.h"
#include "doveadm-print.h"
#include "doveadm-lockout.h"
#include "lockout-args.h"

#include <sysexits.h>

/* doveadm lockout ban <target> [-d <interval>|permanent] [-r <reason>]:
   a manual ban of an address, a network, or a username (protected mode).
   Without -d it is permanent: an administrator's ban is a decision, not a
   counter. A ban of a target that is already banned replaces it. */

struct ban_ctx {
	struct lockout_target target;
	struct lockout_ban ban;
	unsigned int replaced;
};

static const char *ban_via(const struct doveadm_cmd_context *cctx)
{
	switch (cctx->conn_type) {
	case DOVEADM_CONNECTION_TYPE_CLI:
		return "cli";
	case DOVEADM_CONNECTION_TYPE_TCP:
		return "doveadm-server";
	case DOVEADM_CONNECTION_TYPE_HTTP:
		return "http";
	}
	return "unknown";
}

static const char *ban_evidence(const struct doveadm_cmd_context *cctx)
{
	struct lockout_str str;
	const char *evidence;

	lockout_str_init(&str);
	lockout_admin_manual_evidence(&str, ban_via(cctx),
		cctx->conn_type != DOVEADM_CONNECTION_TYPE_CLI &&
		cctx->remote_ip.family != 0 ?
		net_ip2addr(&cctx->remote_ip) : NULL);
	evidence = lockout_str_c(&str);
	if (evidence == NULL)
		i_fatal_status(FATAL_OUTOFMEM, "lockout ban: Out of memory");
	evidence = t_strdup(evidence);
	lockout_str_free(&str);
	return evidence;
}

static int ban_write(struct doveadm_lockout *lo, void *context,
		     const char **error_r)
{
	struct ban_ctx *ctx = context;
	char network[LOCKOUT_TARGET_STRLEN];
	const char *origin;
	int ret;

	ret = lockout_admin_ban(&lo->admin, &ctx->target, &ctx->ban,
				&ctx->replaced, network, &origin, error_r);
	if (ret > 0) {
		doveadm_lockout_fail(lo->cctx, DOVEADM_EX_NOTPOSSIBLE,
				     "%s overlaps the allowed network %s "
				     "(%s); nothing was changed",
				     ctx->target.str, network, origin);
	}
	return ret;
}

static void cmd_lockout_ban(struct doveadm_cmd_context *cctx)
{
	struct doveadm_lockout lo;
	struct ban_ctx ctx;
	const char *str, *reason = NULL, *error;
	uint32_t secs = LOCKOUT_TIME_PERMANENT;

	i_zero(&ctx);
	if (doveadm_lockout_target_arg(cctx, "target", FALSE,
				       &ctx.target) < 0)
		return;
	if (doveadm_cmd_param_str(cctx, "duration", &str) &&
	    lockout_duration_parse(str, TRUE, &secs, &error) < 0) {
		doveadm_lockout_fail(cctx, EX_USAGE, "%s", error);
		return;
	}
	if (doveadm_cmd_param_str(cctx, "reason", &reason) &&
	    lockout_reason_check(reason, &error) < 0) {
		doveadm_lockout_fail(cctx, EX_USAGE, "%s", error);
		return;
	}

	if (doveadm_lockout_init_create(cctx, &lo) < 0)
		return;
	lockout_admin_manual_ban(&ctx.ban, &ctx.target, reason, lo.now, secs,
				 ban_evidence(cctx));

	if (doveadm_lockout_write(&lo, ban_write, &ctx) == 0) {
		if (lo.cfg.mode == LOCKOUT_MODE_OBSERVE) {
			i_warning("%s: lockout_mode=observe: the auth process "
				  "refuses nobody until lockout_mode=enforce",
				  cctx->cmd->name);
		}
		if (ctx.replaced > 0) {
			i_info("%s: %s was banned already; the new ban "
			       "replaces it", cctx->cmd->name,
			       ctx.target.str);
		}
		doveadm_lockout_ban_header();
		doveadm_lockout_print_ban(&ctx.ban, lo.now);
		doveadm_lockout_table_end();
	}
	doveadm_lockout_deinit(&lo);
}

struct doveadm_cmd_ver2 doveadm_cmd_lockout_ban = {
	.name = "lockout ban",
	.cmd = cmd_lockout_ban,
	.usage = "<target> [-d <interval>|permanent] [-r <reason>]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('d', "duration", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('r', "reason", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('\0', "target", CMD_PARAM_STR, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
};
