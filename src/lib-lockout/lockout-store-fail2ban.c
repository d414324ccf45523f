/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-store-fail2ban.h"
#include "lockout-error.h"
#include "lockout-str.h"

#include <sqlite3.h>
#include <string.h>

/* fail2ban writes this file while it runs: wait a little for its lock */
#define FAIL2BAN_BUSY_MSECS 5000

const char *const lockout_fail2ban_default_jails[] = {
	"dovecot", "sieve", "postfix-sasl", "sasl", "custom", NULL
};

static int fail2ban_query(sqlite3 *db, const char *path,
			  const char *const *jails, unsigned int count,
			  int64_t now,
			  int (*callback)(const struct lockout_fail2ban_ban *ban,
					  void *context),
			  void *context, const char **error_r)
{
	struct lockout_fail2ban_ban ban;
	struct lockout_str sql;
	sqlite3_stmt *stmt = NULL;
	const char *text;
	int64_t bantime;
	unsigned int i;
	int ret;

	/* bips holds the latest ban of each (ip, jail): what fail2ban itself
	   restores at start (Fail2BanDb._getCurrentBans) */
	lockout_str_init(&sql);
	lockout_str_append(&sql, "SELECT ip, jail, timeofban, bantime FROM bips "
			   "WHERE (bantime = -1 OR timeofban + bantime > ?1) "
			   "AND jail IN (");
	for (i = 0; i < count; i++)
		lockout_str_printf(&sql, "%s?%u", i == 0 ? "" : ",", i + 2);
	lockout_str_append(&sql, ") ORDER BY ip, jail");
	text = lockout_str_c(&sql);
	if (text == NULL) {
		*error_r = lockout_error_fmt("Out of memory");
		return -1;
	}
	if (sqlite3_prepare_v2(db, text, -1, &stmt, NULL) != SQLITE_OK) {
		*error_r = lockout_error_fmt("%s is not a fail2ban database "
			"of version 0.11 or later: %s", path,
			sqlite3_errmsg(db));
		lockout_str_free(&sql);
		return -1;
	}
	lockout_str_free(&sql);
	ret = sqlite3_bind_int64(stmt, 1, now);
	for (i = 0; i < count && ret == SQLITE_OK; i++) {
		ret = sqlite3_bind_text(stmt, (int)i + 2, jails[i], -1,
					SQLITE_STATIC);
	}
	if (ret != SQLITE_OK) {
		*error_r = lockout_error_fmt("%s: %s", path, sqlite3_errmsg(db));
		sqlite3_finalize(stmt);
		return -1;
	}
	while ((ret = sqlite3_step(stmt)) == SQLITE_ROW) {
		ban.ip = (const char *)sqlite3_column_text(stmt, 0);
		ban.jail = (const char *)sqlite3_column_text(stmt, 1);
		ban.timeofban = sqlite3_column_int64(stmt, 2);
		bantime = sqlite3_column_int64(stmt, 3);
		if (ban.ip == NULL || ban.ip[0] == '\0' || ban.jail == NULL ||
		    ban.timeofban <= 0)
			continue;
		ban.expires = bantime == -1 ? 0 : ban.timeofban + bantime;
		ret = callback(&ban, context);
		if (ret != 0) {
			sqlite3_finalize(stmt);
			return ret;
		}
	}
	if (ret != SQLITE_DONE) {
		*error_r = lockout_error_fmt("%s: reading bans failed: %s",
					     path, sqlite3_errmsg(db));
		sqlite3_finalize(stmt);
		return -1;
	}
	sqlite3_finalize(stmt);
	return 0;
}

int lockout_fail2ban_iter(const char *path, const char *const *jails,
			  unsigned int count, int64_t now,
			  int (*callback)(const struct lockout_fail2ban_ban *ban,
					  void *context),
			  void *context, const char **error_r)
{
	sqlite3 *db = NULL;
	int ret;

	if (count == 0 || count > LOCKOUT_FAIL2BAN_JAILS_MAX) {
		*error_r = lockout_error_fmt("between 1 and %u jails, not %u",
					     LOCKOUT_FAIL2BAN_JAILS_MAX, count);
		return -1;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		*error_r = lockout_error_fmt("cannot open %s: %s", path,
			db == NULL ? "out of memory" : sqlite3_errmsg(db));
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, FAIL2BAN_BUSY_MSECS);
	ret = fail2ban_query(db, path, jails, count, now, callback, context,
			     error_r);
	sqlite3_close(db);
	return ret;
}
