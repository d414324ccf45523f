/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "doveadm.h"
#include "doveadm-print.h"
#include "doveadm-lockout.h"
#include "master-service.h"
#include "lockout-args.h"
#include "lockout-doveconf.h"
#include "lockout-utf8.h"

#include <pwd.h>
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

/* lockout_db as it may be shown (no password), on the data stack */
const char *doveadm_lockout_db_display(const struct lockout_config *cfg)
{
	char buf[LOCKOUT_DB_DISPLAY_SIZE];

	return t_strdup(lockout_db_display(cfg->db, buf, sizeof(buf)));
}

static int doveadm_lockout_open_pgsql(const struct lockout_config *cfg,
				      bool readonly, bool create,
				      struct lockout_store **store_r)
{
	const char *error;

	/* no file to look for: what the server says is the answer */
	if (lockout_store_open_db(cfg->db_driver, cfg->db,
				  LOCKOUT_STORE_FLAG_BULK_READ |
				  (readonly ? LOCKOUT_STORE_FLAG_READONLY : 0) |
				  (create ? LOCKOUT_STORE_FLAG_CREATE : 0),
				  DOVEADM_LOCKOUT_BUSY_MSECS, store_r,
				  &error) < 0) {
		i_error("lockout: Cannot open the ban table in PostgreSQL "
			"(%s; its schema is created when Dovecot's auth "
			"process starts with passdb lockout, or by doveadm "
			"lockout ban, allow or import): %s",
			doveadm_lockout_db_display(cfg), error);
		doveadm_exit_code = EX_TEMPFAIL;
		return -1;
	}
	return 0;
}

/* As doveadm_lockout_open(); create: a missing PostgreSQL schema is
   created (a missing SQLite file is created by doveadm_lockout_create()
   first, owned by the auth process's user). */
static int doveadm_lockout_open_create(const struct lockout_config *cfg,
				       bool readonly, bool create,
				       struct lockout_store **store_r)
{
	const char *error;
	struct stat st;

	if (cfg->db_driver != LOCKOUT_DB_DRIVER_SQLITE) {
		return doveadm_lockout_open_pgsql(cfg, readonly, create,
						  store_r);
	}
	if (stat(cfg->db, &st) < 0) {
		i_error("lockout: Ban table %s does not exist yet (it is "
			"created when Dovecot's auth process starts with "
			"passdb lockout, or by doveadm lockout ban, allow or "
			"import; check lockout_db): %m", cfg->db);
		doveadm_exit_code = DOVEADM_EX_NOTFOUND;
		return -1;
	}
	/* a command may read the whole table (list, show, top) */
	if (lockout_store_open_db(cfg->db_driver, cfg->db,
				  LOCKOUT_STORE_FLAG_BULK_READ |
				  (readonly ? LOCKOUT_STORE_FLAG_READONLY : 0),
				  DOVEADM_LOCKOUT_BUSY_MSECS, store_r,
				  &error) < 0) {
		i_error("lockout: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
		return -1;
	}
	return 0;
}

int doveadm_lockout_open(const struct lockout_config *cfg, bool readonly,
			 struct lockout_store **store_r)
{
	return doveadm_lockout_open_create(cfg, readonly, FALSE, store_r);
}

/* The user the auth process runs as (service auth { user }, by default
   default_internal_user), asked of doveconf for the configuration doveadm
   uses. */
static int doveadm_lockout_auth_user(uid_t *uid_r, gid_t *gid_r)
{
	const char *config = master_service_get_config_path(master_service);
	const char *error;
	struct passwd *pw;
	char *user = NULL;

	if (lockout_doveconf_value(LOCKOUT_DOVECONF_PATH, config,
				   "service/auth/user", &user, &error) < 0 ||
	    user[0] == '\0' || user[0] == '$') {
		/* "$default_internal_user" is not expanded by doveconf -h */
		free(user);
		if (lockout_doveconf_value(LOCKOUT_DOVECONF_PATH, config,
					   "default_internal_user", &user,
					   &error) < 0) {
			i_error("lockout: Cannot tell the auth process's user: "
				"%s", error);
			return -1;
		}
	}
	pw = getpwnam(user);
	if (pw == NULL) {
		i_error("lockout: The auth process's user %s does not exist",
			user);
		free(user);
		return -1;
	}
	free(user);
	*uid_r = pw->pw_uid;
	*gid_r = pw->pw_gid;
	return 0;
}

static int doveadm_lockout_init_flags(const struct doveadm_cmd_context *cctx,
				      bool readonly, bool create,
				      struct doveadm_lockout *lo_r);

static int doveadm_lockout_chown(const char *path, uid_t uid, gid_t gid)
{
	if (chown(path, uid, gid) < 0 && errno != ENOENT) {
		i_error("lockout: chown(%s) failed: %m", path);
		return -1;
	}
	if (chmod(path, 0600) < 0 && errno != ENOENT) {
		i_error("lockout: chmod(%s) failed: %m", path);
		return -1;
	}
	return 0;
}

/* Create the missing ban table as the auth process would: its directory
   (0700) and files (0600) owned by the auth process's user, so that an
   administrator can ban before the first login has started the auth
   process; the auth process then opens it and enforces its bans. */
static int doveadm_lockout_create(const struct lockout_config *cfg)
{
	struct lockout_store *store;
	const char *dir, *p, *error;
	struct stat st;
	mode_t old_umask;
	uid_t uid;
	gid_t gid;
	int ret;

	if (doveadm_lockout_auth_user(&uid, &gid) < 0) {
		doveadm_exit_code = EX_CONFIG;
		return -1;
	}
	p = strrchr(cfg->db, '/');
	i_assert(p != NULL); /* lockout_db is checked to be absolute */
	dir = p == cfg->db ? "/" : t_strdup_until(cfg->db, p);
	if (stat(dir, &st) < 0) {
		if (errno != ENOENT || mkdir(dir, 0700) < 0 ||
		    chown(dir, uid, gid) < 0) {
			i_error("lockout: Cannot create the directory of "
				"lockout_db=%s: %m", cfg->db);
			doveadm_exit_code = EX_CANTCREAT;
			return -1;
		}
	} else if (st.st_uid != uid) {
		i_warning("lockout: %s is owned by uid %s, not by the auth "
			  "process's user (uid %s): it may not be able to "
			  "write the table there", dir, dec2str(st.st_uid),
			  dec2str(uid));
	}
	old_umask = umask(0077);
	ret = lockout_store_open_db(cfg->db_driver, cfg->db,
				    LOCKOUT_STORE_FLAG_CREATE,
				    DOVEADM_LOCKOUT_BUSY_MSECS, &store,
				    &error);
	if (ret == 0) {
		/* owned by the auth process's user before anything else
		   opens it (the WAL files go away at close) */
		if (doveadm_lockout_chown(cfg->db, uid, gid) < 0)
			ret = -1;
		lockout_store_close(&store);
		(void)doveadm_lockout_chown(t_strconcat(cfg->db, "-wal", NULL),
					    uid, gid);
		(void)doveadm_lockout_chown(t_strconcat(cfg->db, "-shm", NULL),
					    uid, gid);
	} else {
		i_error("lockout: Cannot create the ban table: %s", error);
	}
	umask(old_umask);
	if (ret < 0) {
		doveadm_exit_code = EX_CANTCREAT;
		return -1;
	}
	i_info("lockout: Created the ban table %s, owned by uid %s",
	       cfg->db, dec2str(uid));
	return 0;
}

int doveadm_lockout_init_create(const struct doveadm_cmd_context *cctx,
				struct doveadm_lockout *lo_r)
{
	struct lockout_config cfg;
	struct stat st;
	int ret = 0;

	if (doveadm_lockout_config(cctx, &cfg) < 0) {
		lockout_config_free(&cfg);
		return -1;
	}
	if (cfg.db_driver != LOCKOUT_DB_DRIVER_SQLITE) {
		/* PostgreSQL: no file, directory or owner to prepare; the
		   schema is created by whoever opens with CREATE first, owned
		   by the role of the connection string */
		lockout_config_free(&cfg);
		return doveadm_lockout_init_flags(cctx, FALSE, TRUE, lo_r);
	}
	if (stat(cfg.db, &st) < 0 && errno == ENOENT)
		ret = doveadm_lockout_create(&cfg);
	lockout_config_free(&cfg);
	if (ret < 0)
		return -1;
	return doveadm_lockout_init(cctx, FALSE, lo_r);
}

static void doveadm_lockout_invalid_row(const char *message,
					void *context ATTR_UNUSED)
{
	i_warning("lockout: %s", doveadm_lockout_escape(message));
}

static int doveadm_lockout_init_flags(const struct doveadm_cmd_context *cctx,
				      bool readonly, bool create,
				      struct doveadm_lockout *lo_r)
{
	i_zero(lo_r);
	lo_r->cctx = cctx;
	lo_r->now = time(NULL);
	if (doveadm_lockout_config(cctx, &lo_r->cfg) < 0) {
		lockout_config_free(&lo_r->cfg);
		return -1;
	}
	if (doveadm_lockout_open_create(&lo_r->cfg, readonly, create,
					&lo_r->store) < 0) {
		lockout_config_free(&lo_r->cfg);
		return -1;
	}
	lo_r->admin.store = lo_r->store;
	lo_r->admin.cfg = &lo_r->cfg;
	lo_r->admin.now = lo_r->now;
	lo_r->admin.invalid_row = doveadm_lockout_invalid_row;
	return 0;
}

int doveadm_lockout_init(const struct doveadm_cmd_context *cctx,
			 bool readonly, struct doveadm_lockout *lo_r)
{
	return doveadm_lockout_init_flags(cctx, readonly, FALSE, lo_r);
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

static int target_arg(const struct doveadm_cmd_context *cctx,
		      const char *name, bool network_only, bool lookup,
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
	     lookup ? lockout_target_parse_lookup(str, target_r, &error) :
	     lockout_target_parse(str, target_r, &error)) < 0) {
		doveadm_lockout_fail(cctx, EX_USAGE, "%s", error);
		return -1;
	}
	return 0;
}

int doveadm_lockout_target_arg(const struct doveadm_cmd_context *cctx,
			       const char *name, bool network_only,
			       struct lockout_target *target_r)
{
	return target_arg(cctx, name, network_only, FALSE, target_r);
}

int doveadm_lockout_lookup_arg(const struct doveadm_cmd_context *cctx,
			       const char *name,
			       struct lockout_target *target_r)
{
	return target_arg(cctx, name, FALSE, TRUE, target_r);
}

void doveadm_lockout_ban_header(void)
{
	doveadm_lockout_table_begin();
	doveadm_lockout_table_header("target", 0, FALSE);
	doveadm_lockout_table_header("kind", 0, FALSE);
	/* free text: last in the aligned table */
	doveadm_lockout_table_header("reason",
				     DOVEADM_PRINT_HEADER_FLAG_EXPAND, TRUE);
	doveadm_lockout_table_header("source", 0, FALSE);
	doveadm_lockout_table_header("created", 0, FALSE);
	doveadm_lockout_table_header("expires", 0, FALSE);
	doveadm_lockout_table_header("failures",
				     DOVEADM_PRINT_HEADER_FLAG_RIGHT_JUSTIFY |
				     DOVEADM_PRINT_HEADER_FLAG_NUMBER, FALSE);
	doveadm_lockout_table_header("rule", 0, FALSE);
	doveadm_lockout_table_header("state", 0, FALSE);
}

void doveadm_lockout_print_ban(const struct lockout_ban *ban, int64_t now)
{
	T_BEGIN {
		doveadm_lockout_table_value(ban->target);
		doveadm_lockout_table_value(lockout_kind_to_str(ban->kind));
		doveadm_lockout_table_value(ban->reason);
		doveadm_lockout_table_value(lockout_source_to_str(ban->source));
		doveadm_lockout_table_value(doveadm_lockout_time(ban->created));
		doveadm_lockout_table_value(doveadm_lockout_time(ban->expires));
		doveadm_lockout_table_num(ban->failures);
		doveadm_lockout_table_value(ban->rule);
		doveadm_lockout_table_value(lockout_ban_state(ban, now));
	} T_END;
}

const char *doveadm_lockout_time(int64_t secs)
{
	char buf[LOCKOUT_TIME_STRLEN];

	lockout_time_format(secs, buf);
	return t_strdup(buf);
}

const char *doveadm_lockout_escape(const char *text)
{
	size_t len;
	char *buf;

	if (text == NULL)
		return NULL;
	/* most text is plain ASCII: one look at each byte */
	if (text[lockout_utf8_plain_span(text)] == '\0')
		return text;
	len = lockout_utf8_escape(NULL, 0, text, 0);
	/* every escape is longer than what it stands for */
	if (len == strlen(text))
		return text;
	buf = t_malloc_no0(len + 1);
	(void)lockout_utf8_escape(buf, len + 1, text, 0);
	return buf;
}

void doveadm_lockout_print(const char *value)
{
	/* doveadm's formatters (table, tab, flow, pager) print values as
	   they are, and its JSON formatter passes C1 and bidirectional
	   controls through: escaped here, before any of them sees it */
	doveadm_print(doveadm_lockout_escape(value));
}
