/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef DOVEADM_LOCKOUT_H
#define DOVEADM_LOCKOUT_H

#include "doveadm-print.h"
#include "lockout-admin.h"
#include "lockout-config.h"
#include "lockout-store.h"
#include "lockout-target.h"

/* Shared by the doveadm lockout commands. Every failure is logged as one
   line "lockout <command>: <problem>" and sets doveadm_exit_code: EX_USAGE
   for invalid arguments, DOVEADM_EX_NOTFOUND for an unknown target or a
   missing table, DOVEADM_EX_NOTPOSSIBLE for a refused change, EX_TEMPFAIL
   for a busy or unusable table, EX_CONFIG for invalid settings. */

extern struct doveadm_cmd_ver2 doveadm_cmd_lockout_list;
extern struct doveadm_cmd_ver2 doveadm_cmd_lockout_show;
extern struct doveadm_cmd_ver2 doveadm_cmd_lockout_ban;
extern struct doveadm_cmd_ver2 doveadm_cmd_lockout_unban;
extern struct doveadm_cmd_ver2 doveadm_cmd_lockout_allow;
extern struct doveadm_cmd_ver2 doveadm_cmd_lockout_top;
extern struct doveadm_cmd_ver2 doveadm_cmd_lockout_stats;
extern struct doveadm_cmd_ver2 doveadm_cmd_lockout_import;
extern struct doveadm_cmd_ver2 doveadm_cmd_lockout_export;

/* What a running command holds. */
struct doveadm_lockout {
	const struct doveadm_cmd_context *cctx;
	struct lockout_config cfg;
	struct lockout_store *store;
	/* the time the command acts at (unix seconds) */
	int64_t now;
	/* the store, the settings and now, for the rules of lockout-admin.h
	   (invalid rows of the table are logged as warnings) */
	struct lockout_admin admin;
};

/* Log "<command name>: <message>" as an error and set doveadm_exit_code to
   exit_code. */
void doveadm_lockout_fail(const struct doveadm_cmd_context *cctx,
			  int exit_code, const char *fmt, ...)
	ATTR_FORMAT(3, 4);

/* Read the settings and open the ban table (read-only or not). Returns 0,
   or -1 after reporting the problem (then nothing needs deinit). */
int doveadm_lockout_init(const struct doveadm_cmd_context *cctx,
			 bool readonly, struct doveadm_lockout *lo_r);
void doveadm_lockout_deinit(struct doveadm_lockout *lo);
/* As doveadm_lockout_init() for writing, but a missing table is created
   first: with lockout_db_driver = sqlite owned by the auth process's user
   (directory 0700, files 0600), with pgsql the schema in the database of
   the connection string (owned by its role). For the commands that add to
   the table (ban, allow, import). */
int doveadm_lockout_init_create(const struct doveadm_cmd_context *cctx,
				struct doveadm_lockout *lo_r);
extern struct doveadm_cmd_ver2 doveadm_cmd_lockout_simulate;

/* Read the lockout_* settings into cfg: from plugin { } on Dovecot 2.3,
   the top level on 2.4 (with cctx's -o overrides); one file per generation,
   doveadm-lockout-settings-23.c or -24.c. On error sets doveadm_exit_code,
   logs the problem and returns -1. */
int doveadm_lockout_config(const struct doveadm_cmd_context *cctx,
			   struct lockout_config *cfg);
/* Open the ban table named by lockout_db (lockout_db_driver: a SQLite
   file or PostgreSQL); never creates it (the auth process does, owned by
   its user). On error sets doveadm_exit_code, logs the problem (never a
   password of the connection string) and returns -1. */
int doveadm_lockout_open(const struct lockout_config *cfg, bool readonly,
			 struct lockout_store **store_r);
/* lockout_db as it may be shown: without a password
   (lockout_db_display()), on the data stack. */
const char *doveadm_lockout_db_display(const struct lockout_config *cfg);

/* Does the transaction's work; called again when the table was busy, so it
   may only change the table. Returns 0 to commit, -1 with *error_r set for
   a failure of the table (retried when busy), or 1 after reporting a
   refusal itself (rolled back, not retried). */
typedef int doveadm_lockout_write_t(struct doveadm_lockout *lo,
				    void *context, const char **error_r);
/* Run fn in one write transaction (BEGIN IMMEDIATE, which waits for the
   busy timeout), retrying the whole transaction a few times while the
   table stays busy. Returns 0 when committed, -1 when nothing was changed
   (reported). */
int doveadm_lockout_write(struct doveadm_lockout *lo,
			  doveadm_lockout_write_t *fn, void *context);

/* Parse a positional argument as a ban target (or, with network_only, an
   address or network). Returns 0, or -1 after reporting EX_USAGE. */
int doveadm_lockout_target_arg(const struct doveadm_cmd_context *cctx,
			       const char *name, bool network_only,
			       struct lockout_target *target_r);

/* Same for a target to look up (unban, show): a network of any width, so
   that a row wider than a ban may be, written by something else, can be
   shown and removed. */
int doveadm_lockout_lookup_arg(const struct doveadm_cmd_context *cctx,
			       const char *name,
			       struct lockout_target *target_r);

/* The columns of a ban, as "list" prints them and "ban"/"unban" echo
   them: the interface contract's fields first (the reason last in the
   aligned table). ban_header() begins the table
   (doveadm_lockout_table_begin()); doveadm_lockout_table_end() prints
   it. */
void doveadm_lockout_ban_header(void);
void doveadm_lockout_print_ban(const struct lockout_ban *ban, int64_t now);

/* text as people may see it (lockout_utf8_escape(): control characters,
   bidirectional controls and invalid UTF-8 escaped), on the data stack, or
   text itself when nothing needs escaping; NULL gives NULL. */
const char *doveadm_lockout_escape(const char *text);
/* doveadm_print() of value escaped so: every text value a lockout command
   prints goes through here, whatever the formatter (-f). */
void doveadm_lockout_print(const char *value);
/* A table printed aligned (doveadm-lockout-table.c). begin() starts
   doveadm's table formatter unless -f chose another. Without -f, the rows
   are held until end(), then printed with every column padded to its widest
   value and the columns marked last moved to the end; with -f, headers and
   values go to doveadm_print as they come, in the given order. */
void doveadm_lockout_table_begin(void);
void doveadm_lockout_table_header(const char *key,
				  enum doveadm_print_header_flags flags,
				  bool last);
void doveadm_lockout_table_value(const char *value);
void doveadm_lockout_table_num(uintmax_t value);
void doveadm_lockout_table_end(void);

/* Format unix seconds as ISO 8601 UTC ("2026-11-28T03:04:05Z") on the data
   stack; 0 gives "". */
const char *doveadm_lockout_time(int64_t secs);

/* Counts per distinct string (failures per username, source, service). */
struct doveadm_lockout_tally;

/* A tally allocated from pool (which must outlive it). */
struct doveadm_lockout_tally *doveadm_lockout_tally_init(pool_t pool);
void doveadm_lockout_tally_deinit(struct doveadm_lockout_tally **tally);
/* Add count to key's sum; NULL and "" are not counted. */
void doveadm_lockout_tally_add(struct doveadm_lockout_tally *tally,
			       const char *key, unsigned int count);
/* "key (sum), ..." highest sums first (ties by key), at most max_items of
   them, then " and N more"; on the data stack. */
const char *doveadm_lockout_tally_str(struct doveadm_lockout_tally *tally,
				      unsigned int max_items);

/* Whether accounts exist, asked of the auth process's userdb as
   "doveadm user" does (auth-userdb socket). */
struct doveadm_lockout_userdb;

struct doveadm_lockout_userdb *doveadm_lockout_userdb_init(void);
void doveadm_lockout_userdb_deinit(struct doveadm_lockout_userdb **udb);
/* "1" (it exists), "0" (it does not), or "2" when the userdb cannot be
   asked (after the first failure it is not asked again; the failure is
   logged once): a number for DOVEADM_PRINT_HEADER_FLAG_NUMBER, which takes
   digits only (no -1, no null). */
const char *doveadm_lockout_userdb_exists(struct doveadm_lockout_userdb *udb,
					  const char *user);

/* The request info of a userdb lookup as doveadm's own: service (2.3) or
   protocol (2.4) "doveadm". One file per generation:
   doveadm-lockout-compat-23.c or -24.c. */
struct auth_user_info;
void doveadm_lockout_user_info(struct auth_user_info *info_r);

/* doveadm_print_header(), and whether doveadm prints with its JSON
   formatter (-f json) in a form this plugin writes as well: the bytes of
   a row are then doveadm_lockout_json_append()'s (2.3: its formatter
   appends each row to doveadm_print_ostream, "[" before the first and "]"
   at the flush). FALSE on 2.4, whose formatter keeps a JSON writer's state
   a plugin cannot follow. One file per generation, as above. */
bool doveadm_lockout_print_header_json(const char *key,
				       enum doveadm_print_header_flags flags);
/* Append "\"key\":" as doveadm's JSON formatter writes a key, and a value
   (NULL as null, a DOVEADM_PRINT_HEADER_FLAG_NUMBER one bare, text as a
   string) as it writes one. Only after doveadm_lockout_print_header_json()
   returned TRUE. */
void doveadm_lockout_json_key(string_t *dest, const char *key);
void doveadm_lockout_json_value(string_t *dest,
				enum doveadm_print_header_flags flags,
				const char *value);

#endif
