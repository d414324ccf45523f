/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "ioloop.h"
#include "doveadm.h"
#include "doveadm-print.h"
#include "doveadm-lockout.h"

#include <sysexits.h>

/* doveadm lockout list [-k ip|net|user] [-a]: the active bans (with -a also
   the expired and lifted ones still in the table). */

struct list_ctx {
	bool kind_filter;
	enum lockout_kind kind;
};

static int list_ban(const struct lockout_ban *ban, void *context)
{
	struct list_ctx *ctx = context;

	if (ctx->kind_filter && ban->kind != ctx->kind)
		return 0;
	T_BEGIN {
		doveadm_print(ban->target);
		doveadm_print(lockout_kind_to_str(ban->kind));
		doveadm_print(ban->reason);
		doveadm_print(lockout_source_to_str(ban->source));
		doveadm_print(doveadm_lockout_time(ban->created));
		doveadm_print(doveadm_lockout_time(ban->expires));
		doveadm_print_num(ban->failures);
		doveadm_print(ban->rule);
		doveadm_print(ban->lifted != 0 ? "lifted" :
			      ban->expires != 0 && ban->expires <= ioloop_time ?
			      "expired" : ban->observed ? "observed" :
			      "active");
	} T_END;
	return 0;
}

static void cmd_lockout_list(struct doveadm_cmd_context *cctx)
{
	struct lockout_config cfg;
	struct lockout_store *store;
	struct list_ctx ctx;
	const char *kind, *error;
	bool all = FALSE;
	unsigned int flags = 0;

	i_zero(&ctx);
	if (doveadm_cmd_param_str(cctx, "kind", &kind)) {
		if (lockout_kind_parse(kind, &ctx.kind) < 0) {
			i_error("lockout list: Invalid kind '%s' "
				"(expected ip, net or user)", kind);
			doveadm_exit_code = EX_USAGE;
			return;
		}
		ctx.kind_filter = TRUE;
	}
	(void)doveadm_cmd_param_bool(cctx, "all", &all);
	if (all)
		flags |= LOCKOUT_ITER_FLAG_ALL;

	if (doveadm_lockout_config(&cfg) < 0)
		return;
	if (doveadm_lockout_open(&cfg, TRUE, &store) < 0) {
		lockout_config_free(&cfg);
		return;
	}

	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	doveadm_print_header_simple("target");
	doveadm_print_header_simple("kind");
	doveadm_print_header("reason", "reason",
			     DOVEADM_PRINT_HEADER_FLAG_EXPAND);
	doveadm_print_header_simple("source");
	doveadm_print_header_simple("created");
	doveadm_print_header_simple("expires");
	doveadm_print_header("failures", "failures",
			     DOVEADM_PRINT_HEADER_FLAG_RIGHT_JUSTIFY |
			     DOVEADM_PRINT_HEADER_FLAG_NUMBER);
	doveadm_print_header_simple("rule");
	doveadm_print_header_simple("state");

	if (lockout_store_iter_bans(store, ioloop_time, flags, list_ban, &ctx,
				    &error) < 0) {
		i_error("lockout list: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
	}
	lockout_store_close(&store);
	lockout_config_free(&cfg);
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
