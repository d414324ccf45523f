/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "array.h"
#include "str.h"
#include "doveadm.h"
#include "doveadm-print.h"
#include "doveadm-lockout.h"
#include "lockout-args.h"
#include "lockout-import.h"
#include "lockout-store-fail2ban.h"

#include <stdio.h>
#include <sysexits.h>
#include <time.h>

/* doveadm lockout import [-d <interval>|permanent] [-r <reason>] FILE|-
   doveadm lockout import --fail2ban [--jail NAME ...] DB

   Bans and allowed networks from a file in the line format of
   lockout-import.h (a plain list of targets is one), or the current bans
   of fail2ban's database. All or nothing: the whole input is read and
   checked first (every bad line is reported with its number), then written
   in one transaction; any refusal rolls it all back. */

/* bad lines reported before giving up on the rest */
#define IMPORT_MAX_REPORTED 20

struct import_entry {
	unsigned int line_no;
	enum lockout_import_type type;
	struct lockout_target target;
	/* a ban: its row; an allowed network: reason (NULL: not given) and
	   created (0: not given) */
	struct lockout_ban ban;
	const char *reason;
	int64_t created;
};

struct import_ctx {
	pool_t pool;
	ARRAY(struct import_entry) entries;
	const char *what;
	bool fail2ban;
	/* -d and -r, for lines without expires= or a reason */
	uint32_t secs;
	const char *reason;
	/* the file's entries that are no longer active are skipped */
	unsigned int bans, allowed, replaced, expired, skipped_allowed;
};

static const char *import_evidence(const char *via)
{
	struct lockout_str str;
	const char *evidence;

	lockout_str_init(&str);
	lockout_admin_manual_evidence(&str, via, NULL);
	evidence = lockout_str_c(&str);
	if (evidence == NULL)
		i_fatal_status(FATAL_OUTOFMEM, "lockout import: Out of memory");
	evidence = t_strdup(evidence);
	lockout_str_free(&str);
	return evidence;
}

/* The entry of a parsed line: what the line gives, the rest as "ban"
   would fill it (now, -d, -r). */
static void import_add_line(struct import_ctx *ctx, unsigned int line_no,
			    struct lockout_import_line *line, int64_t now)
{
	struct import_entry *e = array_append_space(&ctx->entries);
	const char *reason = lockout_str_c(&line->reason);
	const char *evidence = lockout_str_c(&line->evidence);

	if (reason == NULL || evidence == NULL)
		i_fatal_status(FATAL_OUTOFMEM, "lockout import: Out of memory");
	e->line_no = line_no;
	e->type = line->type;
	e->target = line->target;
	if (line->type == LOCKOUT_IMPORT_ALLOW) {
		e->reason = (line->have & LOCKOUT_IMPORT_REASON) != 0 ?
			p_strdup(ctx->pool, reason) : ctx->reason;
		e->created = (line->have & LOCKOUT_IMPORT_CREATED) != 0 ?
			line->created : 0;
		return;
	}
	lockout_admin_manual_ban(&e->ban, &e->target,
		(line->have & LOCKOUT_IMPORT_REASON) != 0 ? reason :
		(ctx->reason != NULL ? ctx->reason : ""),
		(line->have & LOCKOUT_IMPORT_CREATED) != 0 ? line->created :
		now, ctx->secs,
		(line->have & LOCKOUT_IMPORT_EVIDENCE) != 0 ? evidence :
		import_evidence("import"));
	/* the strings must outlive the line */
	e->ban.target = e->target.str;
	e->ban.reason = p_strdup(ctx->pool,
		(line->have & LOCKOUT_IMPORT_REASON) != 0 ? reason :
		e->ban.reason);
	e->ban.evidence = p_strdup(ctx->pool, e->ban.evidence);
	if ((line->have & LOCKOUT_IMPORT_EXPIRES) != 0)
		e->ban.expires = line->expires;
	if ((line->have & LOCKOUT_IMPORT_SOURCE) != 0)
		e->ban.source = line->source;
	if ((line->have & LOCKOUT_IMPORT_RULE) != 0)
		e->ban.rule = p_strdup(ctx->pool, line->rule);
	if ((line->have & LOCKOUT_IMPORT_FAILURES) != 0)
		e->ban.failures = line->failures;
	if ((line->have & LOCKOUT_IMPORT_OBSERVED) != 0)
		e->ban.observed = line->observed;
}

/* Read and check every line of path ("-": standard input). Returns 0, or
   -1 after reporting the bad lines. */
static int import_read_file(const struct doveadm_cmd_context *cctx,
			    struct import_ctx *ctx, const char *path,
			    int64_t now)
{
	struct lockout_import_line line;
	unsigned int line_no = 0, bad = 0;
	const char *error;
	char *buf = NULL;
	size_t size = 0;
	ssize_t len;
	FILE *f;

	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (f == NULL) {
		doveadm_lockout_fail(cctx, EX_NOINPUT, "fopen(%s) failed: %m",
				     path);
		return -1;
	}
	lockout_import_line_init(&line);
	while ((len = getline(&buf, &size, f)) >= 0) {
		line_no++;
		if (len > 0 && buf[len - 1] == '\n')
			len--;
		if (lockout_import_parse_line(buf, len, &line, &error) < 0) {
			if (++bad <= IMPORT_MAX_REPORTED) {
				i_error("%s: %s line %u: %s", cctx->cmd->name,
					ctx->what, line_no, error);
			}
			continue;
		}
		if (line.type != LOCKOUT_IMPORT_EMPTY && bad == 0) T_BEGIN {
			import_add_line(ctx, line_no, &line, now);
		} T_END;
	}
	if (ferror(f)) {
		doveadm_lockout_fail(cctx, EX_IOERR, "reading %s failed: %m",
				     ctx->what);
		bad++;
	}
	lockout_import_line_free(&line);
	free(buf);
	if (f != stdin)
		fclose(f);
	if (bad > 0) {
		doveadm_lockout_fail(cctx, EX_DATAERR, "%u bad line%s%s in %s; "
				     "nothing was imported", bad,
				     bad == 1 ? "" : "s",
				     bad > IMPORT_MAX_REPORTED ?
				     " (the first ones shown)" : "",
				     ctx->what);
		return -1;
	}
	return 0;
}

struct fail2ban_read_ctx {
	const struct doveadm_cmd_context *cctx;
	struct import_ctx *ctx;
	struct import_entry *last;
	string_t *jails;
	const char *evidence;
};

static int import_fail2ban_ban(const struct lockout_fail2ban_ban *f2b,
			       void *context)
{
	struct fail2ban_read_ctx *rctx = context;
	struct import_ctx *ctx = rctx->ctx;
	struct lockout_target target;
	struct import_entry *e;
	const char *error;

	if (lockout_target_parse_network(f2b->ip, &target, &error) < 0) {
		doveadm_lockout_fail(rctx->cctx, EX_DATAERR, "%s: the ban of "
				     "jail %s: %s; nothing was imported",
				     ctx->what, f2b->jail, error);
		return -1;
	}
	e = rctx->last;
	if (e != NULL && strcmp(e->target.str, target.str) == 0) {
		/* banned by several jails: the longest ban, every jail */
		if (e->ban.expires != 0 &&
		    (f2b->expires == 0 || f2b->expires > e->ban.expires))
			e->ban.expires = f2b->expires;
		if (f2b->timeofban > e->ban.created &&
		    (e->ban.expires == 0 || f2b->timeofban < e->ban.expires))
			e->ban.created = f2b->timeofban;
		str_printfa(rctx->jails, ", %s", f2b->jail);
		e->ban.reason = p_strdup_printf(ctx->pool, "fail2ban jails %s",
						str_c(rctx->jails));
		return 0;
	}
	e = array_append_space(&ctx->entries);
	e->type = LOCKOUT_IMPORT_BAN;
	e->target = target;
	str_truncate(rctx->jails, 0);
	str_append(rctx->jails, f2b->jail);
	lockout_admin_manual_ban(&e->ban, &e->target, "", f2b->timeofban,
				 LOCKOUT_TIME_PERMANENT, rctx->evidence);
	e->ban.target = e->target.str;
	e->ban.reason = p_strdup_printf(ctx->pool, "fail2ban jail %s",
					f2b->jail);
	e->ban.rule = "fail2ban";
	e->ban.expires = f2b->expires;
	rctx->last = e;
	return 0;
}

static int import_read_fail2ban(const struct doveadm_cmd_context *cctx,
				struct import_ctx *ctx, const char *path,
				const char *const *jails, int64_t now)
{
	struct fail2ban_read_ctx rctx;
	const char *error;
	int ret;

	i_zero(&rctx);
	rctx.cctx = cctx;
	rctx.ctx = ctx;
	rctx.jails = str_new(ctx->pool, 128);
	rctx.evidence = p_strdup(ctx->pool, import_evidence("fail2ban"));
	ret = lockout_fail2ban_iter(path, jails, str_array_length(jails), now,
				    import_fail2ban_ban, &rctx, &error);
	if (ret < 0) {
		doveadm_lockout_fail(cctx, EX_DATAERR, "%s; nothing was "
				     "imported", error);
		return -1;
	}
	return ret == 0 ? 0 : -1;
}

static int import_allow(struct doveadm_lockout *lo, struct import_ctx *ctx,
			const struct import_entry *e, const char **error_r)
{
	struct lockout_allowed_row row;
	const char *reason;
	unsigned int count;
	int ret;

	lockout_allowed_row_init(&row);
	ret = lockout_admin_allow(&lo->admin, &e->target, e->reason, &row,
				  error_r);
	if (ret == 0 && e->created != 0 && !row.existed) {
		/* keep the creation time the file gives */
		reason = lockout_str_c(&row.reason);
		if (reason == NULL)
			i_fatal_status(FATAL_OUTOFMEM, "Out of memory");
		if (lockout_store_remove_allowed(lo->store, e->target.str,
						 &count, error_r) < 0 ||
		    lockout_store_add_allowed(lo->store, e->target.str,
					      reason, e->created, NULL,
					      error_r) < 0)
			ret = -1;
	}
	lockout_allowed_row_free(&row);
	if (ret == 0)
		ctx->allowed++;
	return ret;
}

static int import_write(struct doveadm_lockout *lo, void *context,
			const char **error_r)
{
	struct import_ctx *ctx = context;
	char network[LOCKOUT_TARGET_STRLEN];
	struct import_entry *e;
	const char *origin;
	unsigned int replaced;
	int ret;

	/* a retried transaction starts over */
	ctx->bans = ctx->allowed = ctx->replaced = 0;
	ctx->expired = ctx->skipped_allowed = 0;
	array_foreach_modifiable(&ctx->entries, e) {
		if (e->type == LOCKOUT_IMPORT_ALLOW) {
			if (import_allow(lo, ctx, e, error_r) < 0)
				return -1;
			continue;
		}
		if (e->ban.expires != 0 && e->ban.expires <= lo->now) {
			ctx->expired++;
			continue;
		}
		if (ctx->fail2ban) {
			/* the allowed networks always win over another
			   tool's bans */
			ret = lockout_admin_find_allowed(&lo->admin, &e->target,
							 network, &origin,
							 error_r);
			if (ret < 0)
				return -1;
			if (ret > 0) {
				i_warning("%s: %s is in the allowed network "
					  "%s (%s): not imported",
					  lo->cctx->cmd->name, e->target.str,
					  network, origin);
				ctx->skipped_allowed++;
				continue;
			}
		}
		ret = lockout_admin_ban(&lo->admin, &e->target, &e->ban,
					&replaced, network, &origin, error_r);
		if (ret < 0)
			return -1;
		if (ret > 0) {
			doveadm_lockout_fail(lo->cctx, DOVEADM_EX_NOTPOSSIBLE,
				"%s line %u: %s overlaps the allowed network "
				"%s (%s); nothing was imported", ctx->what,
				e->line_no, e->target.str, network, origin);
			return 1;
		}
		ctx->bans++;
		ctx->replaced += replaced;
	}
	return 0;
}

static void import_print(const struct import_ctx *ctx)
{
	enum doveadm_print_header_flags num =
		DOVEADM_PRINT_HEADER_FLAG_RIGHT_JUSTIFY |
		DOVEADM_PRINT_HEADER_FLAG_NUMBER;

	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	doveadm_print_header("bans", "bans", num);
	doveadm_print_header("allowed", "allowed", num);
	doveadm_print_header("replaced", "replaced", num);
	doveadm_print_header("expired", "expired", num);
	doveadm_print_header("skipped_allowed", "skipped_allowed", num);
	doveadm_print_num(ctx->bans);
	doveadm_print_num(ctx->allowed);
	doveadm_print_num(ctx->replaced);
	doveadm_print_num(ctx->expired);
	doveadm_print_num(ctx->skipped_allowed);
}

static int import_args(struct doveadm_cmd_context *cctx,
		       struct import_ctx *ctx, const char **path_r,
		       const char *const **jails_r)
{
	const char *str, *error;
	bool have_jails;

	(void)doveadm_cmd_param_bool(cctx, "fail2ban", &ctx->fail2ban);
	have_jails = doveadm_cmd_param_array(cctx, "jail", jails_r);
	if (!doveadm_cmd_param_str(cctx, "file", path_r)) {
		doveadm_lockout_fail(cctx, EX_USAGE, "Missing file (usage: "
				     "doveadm %s %s)", cctx->cmd->name,
				     cctx->cmd->usage);
		return -1;
	}
	if (ctx->fail2ban) {
		if (doveadm_cmd_param_str(cctx, "duration", &str) ||
		    doveadm_cmd_param_str(cctx, "reason", &str)) {
			doveadm_lockout_fail(cctx, EX_USAGE, "-d and -r cannot "
				"be used with --fail2ban (each ban keeps its "
				"remaining time, its jail is the reason)");
			return -1;
		}
		if (!have_jails)
			*jails_r = lockout_fail2ban_default_jails;
		else if (str_array_length(*jails_r) >
			 LOCKOUT_FAIL2BAN_JAILS_MAX) {
			doveadm_lockout_fail(cctx, EX_USAGE, "At most %u "
					     "--jail", LOCKOUT_FAIL2BAN_JAILS_MAX);
			return -1;
		}
		return 0;
	}
	if (have_jails) {
		doveadm_lockout_fail(cctx, EX_USAGE, "--jail needs --fail2ban");
		return -1;
	}
	ctx->secs = LOCKOUT_TIME_PERMANENT;
	if (doveadm_cmd_param_str(cctx, "duration", &str) &&
	    lockout_duration_parse(str, TRUE, &ctx->secs, &error) < 0) {
		doveadm_lockout_fail(cctx, EX_USAGE, "%s", error);
		return -1;
	}
	if (doveadm_cmd_param_str(cctx, "reason", &ctx->reason) &&
	    lockout_reason_check(ctx->reason, &error) < 0) {
		doveadm_lockout_fail(cctx, EX_USAGE, "%s", error);
		return -1;
	}
	return 0;
}

static void cmd_lockout_import(struct doveadm_cmd_context *cctx)
{
	struct doveadm_lockout lo;
	struct import_ctx ctx;
	const char *path, *const *jails = NULL;
	int64_t now = time(NULL);
	int ret;

	i_zero(&ctx);
	if (import_args(cctx, &ctx, &path, &jails) < 0)
		return;
	ctx.what = strcmp(path, "-") == 0 ? "standard input" : path;
	ctx.pool = pool_alloconly_create("lockout import", 1024 * 64);
	p_array_init(&ctx.entries, ctx.pool, 128);
	ret = ctx.fail2ban ?
		import_read_fail2ban(cctx, &ctx, path, jails, now) :
		import_read_file(cctx, &ctx, path, now);
	if (ret == 0 && doveadm_lockout_init_create(cctx, &lo) == 0) {
		if (doveadm_lockout_write(&lo, import_write, &ctx) == 0)
			import_print(&ctx);
		doveadm_lockout_deinit(&lo);
	}
	pool_unref(&ctx.pool);
}

struct doveadm_cmd_ver2 doveadm_cmd_lockout_import = {
	.name = "lockout import",
	.cmd = cmd_lockout_import,
	.usage = "[-d <interval>|permanent] [-r <reason>] <file>|- | "
		 "--fail2ban [--jail <name> ...] <fail2ban.sqlite3>",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('d', "duration", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('r', "reason", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('\0', "fail2ban", CMD_PARAM_BOOL, 0)
DOVEADM_CMD_PARAM('\0', "jail", CMD_PARAM_ARRAY, 0)
DOVEADM_CMD_PARAM('\0', "file", CMD_PARAM_STR, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
};
