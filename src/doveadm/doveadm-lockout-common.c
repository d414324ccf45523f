/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "doveadm.h"
#include "doveadm-print.h"
#include "doveadm-lockout.h"
#include "lockout-args.h"

#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

/* Whole write transactions tried while the table stays busy; each try
   waits up to DOVEADM_LOCKOUT_BUSY_MSECS for the lock. */
#define DOVEADM_LOCKOUT_WRITE_TRIES 3
#define DOVEADM_LOCKOUT_BUSY_MSECS 5000
#define DOVEADM_LOCKOUT_RETRY_USECS 200000

void doveadm_lockout_fail(const struct doveadm_cmd_context *cctx,
			  int exit_code, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	i_error("%s: %s", cctx->cmd->name, t_strdup_vprintf(fmt, args));
	va_end(args);
	doveadm_exit_code = exit_code;
}

int doveadm_lockout_open(const struct lockout_config *cfg, bool readonly,
			 struct lockout_store **store_r)
{
	const char *error;
	struct stat st;

	if (stat(cfg->db, &st) < 0) {
		i_error("lockout: Ban table %s does not exist yet (it is "
			"created when Dovecot's auth process starts with "
			"passdb lockout; check lockout_db): %m", cfg->db);
		doveadm_exit_code = DOVEADM_EX_NOTFOUND;
		return -1;
	}
	if (lockout_store_open(cfg->db, readonly ?
			       LOCKOUT_STORE_FLAG_READONLY : 0,
			       DOVEADM_LOCKOUT_BUSY_MSECS, store_r,
			       &error) < 0) {
		i_error("lockout: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
		return -1;
	}
	return 0;
}

static void doveadm_lockout_invalid_row(const char *message,
					void *context ATTR_UNUSED)
{
	i_warning("lockout: %s", message);
}

int doveadm_lockout_init(const struct doveadm_cmd_context *cctx,
			 bool readonly, struct doveadm_lockout *lo_r)
{
	i_zero(lo_r);
	lo_r->cctx = cctx;
	lo_r->now = time(NULL);
	if (doveadm_lockout_config(cctx, &lo_r->cfg) < 0) {
		lockout_config_free(&lo_r->cfg);
		return -1;
	}
	if (doveadm_lockout_open(&lo_r->cfg, readonly, &lo_r->store) < 0) {
		lockout_config_free(&lo_r->cfg);
		return -1;
	}
	lo_r->admin.store = lo_r->store;
	lo_r->admin.cfg = &lo_r->cfg;
	lo_r->admin.now = lo_r->now;
	lo_r->admin.invalid_row = doveadm_lockout_invalid_row;
	return 0;
}

void doveadm_lockout_deinit(struct doveadm_lockout *lo)
{
	lockout_store_close(&lo->store);
	lockout_config_free(&lo->cfg);
}

int doveadm_lockout_write(struct doveadm_lockout *lo,
			  doveadm_lockout_write_t *fn, void *context)
{
	const char *error;
	unsigned int try;
	int ret;

	for (try = 1;; try++) {
		ret = -1;
		if (lockout_store_begin(lo->store, &error) == 0) {
			ret = fn(lo, context, &error);
			if (ret == 0 &&
			    lockout_store_commit(lo->store, &error) == 0)
				return 0;
			lockout_store_rollback(lo->store);
			if (ret > 0)
				return -1;
		}
		if (!lockout_store_error_is_busy(lo->store) ||
		    try == DOVEADM_LOCKOUT_WRITE_TRIES)
			break;
		/* the lock was held for the whole busy timeout: give the
		   other writer room before trying again */
		usleep(DOVEADM_LOCKOUT_RETRY_USECS * try);
	}
	doveadm_lockout_fail(lo->cctx, EX_TEMPFAIL, "%s%s; nothing was "
			     "changed", error,
			     lockout_store_error_is_busy(lo->store) ?
			     t_strdup_printf(" (tried %u times)", try) : "");
	return -1;
}

int doveadm_lockout_target_arg(const struct doveadm_cmd_context *cctx,
			       const char *name, bool network_only,
			       struct lockout_target *target_r)
{
	const char *str, *error;

	if (!doveadm_cmd_param_str(cctx, name, &str)) {
		doveadm_lockout_fail(cctx, EX_USAGE, "Missing %s (usage: "
				     "doveadm %s %s)", name, cctx->cmd->name,
				     cctx->cmd->usage);
		return -1;
	}
	if ((network_only ?
	     lockout_target_parse_network(str, target_r, &error) :
	     lockout_target_parse(str, target_r, &error)) < 0) {
		doveadm_lockout_fail(cctx, EX_USAGE, "%s", error);
		return -1;
	}
	return 0;
}

void doveadm_lockout_ban_header(void)
{
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
}

void doveadm_lockout_print_ban(const struct lockout_ban *ban, int64_t now)
{
	T_BEGIN {
		doveadm_print(ban->target);
		doveadm_print(lockout_kind_to_str(ban->kind));
		doveadm_print(ban->reason);
		doveadm_print(lockout_source_to_str(ban->source));
		doveadm_print(doveadm_lockout_time(ban->created));
		doveadm_print(doveadm_lockout_time(ban->expires));
		doveadm_print_num(ban->failures);
		doveadm_print(ban->rule);
		doveadm_print(lockout_ban_state(ban, now));
	} T_END;
}

const char *doveadm_lockout_time(int64_t secs)
{
	char buf[LOCKOUT_TIME_STRLEN];

	lockout_time_format(secs, buf);
	return t_strdup(buf);
}
