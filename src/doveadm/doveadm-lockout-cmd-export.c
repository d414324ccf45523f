/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "write-full.h"
#include "doveadm.h"
#include "doveadm-lockout.h"
#include "lockout-args.h"
#include "lockout-import.h"
#include "lockout-utf8.h"

#include <fcntl.h>
#include <stdio.h>
#include <sysexits.h>
#include <unistd.h>

/* doveadm lockout export [-o FILE]: every allowed network of the table and
   every active ban (observed ones too), one line each in the format of
   lockout-import.h, which "import" reads back to the same rows. With -o
   the file is written beside its final name and renamed, so that a reader
   never sees half of it. */

struct export_ctx {
	struct lockout_str out;
	unsigned int bans, allowed;
};

/* The row was not written by this product (doveadm and import refuse such
   reasons): the administrator should know that the file differs. */
static void export_warn_escaped(const char *what, const char *target)
{
	char buf[LOCKOUT_BAN_TARGET_MAX * LOCKOUT_UTF8_ESCAPE_MAX + 1];

	(void)lockout_utf8_escape(buf, sizeof(buf), target, 0);
	i_warning("lockout export: the reason of the %s %s holds control "
		  "or bidi characters (or is too long): written escaped, as "
		  "shown by doveadm lockout show", what, buf);
}

static int export_allowed(const char *network, const char *reason,
			  int64_t created, void *context)
{
	struct export_ctx *ctx = context;

	if (lockout_export_allowed_line(&ctx->out, network, reason,
					created))
		export_warn_escaped("allowed network", network);
	ctx->allowed++;
	return 0;
}

static int export_ban(const struct lockout_ban *ban, void *context)
{
	struct export_ctx *ctx = context;

	if (lockout_export_ban_line(&ctx->out, ban))
		export_warn_escaped("ban of", ban->target);
	ctx->bans++;
	return 0;
}

static int export_write_file(const struct doveadm_cmd_context *cctx,
			     const char *path, const char *data, size_t len)
{
	const char *tmp = t_strdup_printf("%s.tmp.%ld", path, (long)getpid());
	int fd;

	/* the reasons may name people: readable by root only */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	if (fd < 0) {
		doveadm_lockout_fail(cctx, EX_CANTCREAT, "open(%s) failed: %m",
				     tmp);
		return -1;
	}
	if (write_full(fd, data, len) < 0 || fsync(fd) < 0) {
		doveadm_lockout_fail(cctx, EX_IOERR, "write(%s) failed: %m",
				     tmp);
		i_close_fd(&fd);
		i_unlink(tmp);
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		doveadm_lockout_fail(cctx, EX_IOERR, "writing %s failed: %m",
				     path);
		i_unlink_if_exists(tmp);
		return -1;
	}
	return 0;
}

static void cmd_lockout_export(struct doveadm_cmd_context *cctx)
{
	struct doveadm_lockout lo;
	struct export_ctx ctx;
	const char *path = NULL, *text, *error;
	char now[LOCKOUT_TIME_STRLEN];
	int ret;

	(void)doveadm_cmd_param_str(cctx, "output", &path);
	if (doveadm_lockout_init(cctx, TRUE, &lo) < 0)
		return;
	i_zero(&ctx);
	lockout_str_init(&ctx.out);
	lockout_time_format(lo.now, now);
	lockout_str_printf(&ctx.out, "# doveadm lockout export of %s at %s "
			   "(read back with: doveadm lockout import FILE)\n",
			   doveadm_lockout_db_display(&lo.cfg), now);
	ret = lockout_store_iter_allowed(lo.store, export_allowed, &ctx,
					 &error);
	if (ret == 0) {
		ret = lockout_store_iter_bans(lo.store, lo.now, 0, export_ban,
					      &ctx, &error);
	}
	if (ret < 0) {
		doveadm_lockout_fail(cctx, EX_TEMPFAIL, "%s", error);
	} else {
		lockout_str_printf(&ctx.out, "# %u allowed networks, %u "
				   "bans\n", ctx.allowed, ctx.bans);
		text = lockout_str_c(&ctx.out);
		if (text == NULL) {
			i_fatal_status(FATAL_OUTOFMEM,
				       "lockout export: Out of memory");
		}
		if (path == NULL || strcmp(path, "-") == 0) {
			if (write_full(STDOUT_FILENO, text,
				       ctx.out.len) < 0) {
				doveadm_lockout_fail(cctx, EX_IOERR,
					"write(stdout) failed: %m");
			}
		} else {
			(void)export_write_file(cctx, path, text, ctx.out.len);
		}
	}
	lockout_str_free(&ctx.out);
	doveadm_lockout_deinit(&lo);
}

struct doveadm_cmd_ver2 doveadm_cmd_lockout_export = {
	.name = "lockout export",
	.cmd = cmd_lockout_export,
	.usage = "[-o <file>]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('o', "output", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAMS_END
};
