/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-store.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))
#define MAX_LISTED 64
#define ATTR_UNUSED __attribute__((unused))

static char test_dir[64];

/* --- helpers ------------------------------------------------------------ */

static const char *test_path(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s.db", test_dir, name);
	return path;
}

static struct lockout_store *store_open_ok(const char *name,
					   unsigned int flags)
{
	struct lockout_store *store;
	const char *error = NULL;

	if (lockout_store_open(test_path(name), flags, 1000, &store,
			       &error) < 0)
		ck_abort_msg("open %s failed: %s", name, error);
	ck_assert_ptr_nonnull(store);
	return store;
}

static void
store_open_fails(const char *name, unsigned int flags, const char *expect)
{
	struct lockout_store *store = (void *)1;
	const char *error = NULL;

	ck_assert_int_eq(lockout_store_open(test_path(name), flags, 1000,
					    &store, &error), -1);
	ck_assert_ptr_null(store);
	ck_assert_ptr_nonnull(error);
	ck_assert_msg(strstr(error, expect) != NULL,
		      "error '%s' lacks '%s'", error, expect);
	ck_assert_msg(strstr(error, test_path(name)) != NULL,
		      "error '%s' does not name the path", error);
}

static struct lockout_ban
ban_make(const char *target, int64_t created, int64_t expires)
{
	struct lockout_ban ban;

	memset(&ban, 0, sizeof(ban));
	ban.target = target;
	ban.kind = LOCKOUT_KIND_IP;
	ban.source = LOCKOUT_SOURCE_AUTO;
	ban.reason = "10 failures in 10 minutes";
	ban.rule = "ip_failures";
	ban.created = created;
	ban.expires = expires;
	ban.failures = 10;
	ban.evidence = "{\"failures\":10}";
	return ban;
}

static int64_t add_ban_ok(struct lockout_store *store,
			  const struct lockout_ban *ban)
{
	const char *error = NULL;
	int64_t id = 0;

	if (lockout_store_add_ban(store, ban, &id, &error) < 0)
		ck_abort_msg("add_ban failed: %s", error);
	ck_assert_int_gt(id, 0);
	return id;
}

/* Copies of the bans seen by lockout_store_iter_bans() */
struct ban_list {
	unsigned int count;
	int stop_after;
	struct lockout_ban bans[MAX_LISTED];
};

static char *xstrdup(const char *s)
{
	char *copy = strdup(s);

	ck_assert_ptr_nonnull(copy);
	return copy;
}

static int ban_list_add(const struct lockout_ban *ban, void *context)
{
	struct ban_list *list = context;
	struct lockout_ban *copy;

	ck_assert_uint_lt(list->count, MAX_LISTED);
	copy = &list->bans[list->count++];
	*copy = *ban;
	copy->target = xstrdup(ban->target);
	copy->reason = xstrdup(ban->reason);
	copy->rule = xstrdup(ban->rule);
	copy->evidence = xstrdup(ban->evidence);
	if (list->stop_after != 0 && (int)list->count == list->stop_after)
		return 42;
	return 0;
}

static void ban_list_free(struct ban_list *list)
{
	unsigned int i;

	for (i = 0; i < list->count; i++) {
		free((char *)list->bans[i].target);
		free((char *)list->bans[i].reason);
		free((char *)list->bans[i].rule);
		free((char *)list->bans[i].evidence);
	}
	list->count = 0;
}

static void
ban_list_fill(struct lockout_store *store, int64_t now, unsigned int flags,
	      struct ban_list *list)
{
	const char *error = NULL;

	ban_list_free(list);
	if (lockout_store_iter_bans(store, now, flags, ban_list_add, list,
				    &error) != 0)
		ck_abort_msg("iter_bans failed: %s", error);
}

static void ban_assert_equal(const struct lockout_ban *got,
			     const struct lockout_ban *want)
{
	ck_assert_str_eq(got->target, want->target);
	ck_assert_int_eq(got->kind, want->kind);
	ck_assert_int_eq(got->source, want->source);
	ck_assert_str_eq(got->reason, want->reason);
	ck_assert_str_eq(got->rule, want->rule);
	ck_assert_int_eq(got->created, want->created);
	ck_assert_int_eq(got->expires, want->expires);
	ck_assert_int_eq(got->lifted, want->lifted);
	ck_assert_uint_eq(got->failures, want->failures);
	ck_assert_str_eq(got->evidence,
			 want->evidence == NULL ? "{}" : want->evidence);
}

/* Direct SQLite access, to look at and damage files behind the store */
static sqlite3 *raw_open(const char *name)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(test_path(name), &db), SQLITE_OK);
	return db;
}

static void raw_exec(const char *name, const char *sql)
{
	sqlite3 *db = raw_open(name);
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		ck_abort_msg("raw exec '%s': %s", sql, msg);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}

static int64_t raw_int(const char *name, const char *sql)
{
	sqlite3 *db = raw_open(name);
	sqlite3_stmt *stmt;
	int64_t value;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	value = sqlite3_column_int64(stmt, 0);
	ck_assert_int_eq(sqlite3_finalize(stmt), SQLITE_OK);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	return value;
}

static void raw_text(const char *name, const char *sql, char *buf,
		     size_t size)
{
	sqlite3 *db = raw_open(name);
	sqlite3_stmt *stmt;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	snprintf(buf, size, "%s", (const char *)sqlite3_column_text(stmt, 0));
	ck_assert_int_eq(sqlite3_finalize(stmt), SQLITE_OK);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}

static void write_file(const char *name, const void *data, size_t size)
{
	FILE *f = fopen(test_path(name), "w");

	ck_assert_ptr_nonnull(f);
	if (size > 0)
		ck_assert_uint_eq(fwrite(data, 1, size, f), size);
	ck_assert_int_eq(fclose(f), 0);
}

static int64_t now_msecs(void)
{
	struct timespec ts;

	ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- names -------------------------------------------------------------- */

START_TEST(test_kind_source_names)
{
	static const struct {
		const char *str;
		enum lockout_kind kind;
	} kinds[] = {
		{ "ip", LOCKOUT_KIND_IP },
		{ "net", LOCKOUT_KIND_NET },
		{ "user", LOCKOUT_KIND_USER },
	};
	static const struct {
		const char *str;
		enum lockout_source source;
	} sources[] = {
		{ "auto", LOCKOUT_SOURCE_AUTO },
		{ "manual", LOCKOUT_SOURCE_MANUAL },
		{ "feed", LOCKOUT_SOURCE_FEED },
	};
	static const char *const bad[] = { "", "IP", "ip ", "Manual", "x" };
	enum lockout_kind kind;
	enum lockout_source source;
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(kinds); i++) {
		ck_assert_str_eq(lockout_kind_to_str(kinds[i].kind),
				 kinds[i].str);
		ck_assert_int_eq(lockout_kind_parse(kinds[i].str, &kind), 0);
		ck_assert_int_eq(kind, kinds[i].kind);
	}
	for (i = 0; i < N_ELEMENTS(sources); i++) {
		ck_assert_str_eq(lockout_source_to_str(sources[i].source),
				 sources[i].str);
		ck_assert_int_eq(lockout_source_parse(sources[i].str,
						      &source), 0);
		ck_assert_int_eq(source, sources[i].source);
	}
	for (i = 0; i < N_ELEMENTS(bad); i++) {
		ck_assert_int_eq(lockout_kind_parse(bad[i], &kind), -1);
		ck_assert_int_eq(lockout_source_parse(bad[i], &source), -1);
	}
	ck_assert_int_eq(lockout_kind_parse(NULL, &kind), -1);
	ck_assert_int_eq(lockout_source_parse(NULL, &source), -1);
	ck_assert_ptr_null(lockout_kind_to_str((enum lockout_kind)7));
	ck_assert_ptr_null(lockout_source_to_str((enum lockout_source)7));
}
END_TEST

/* --- open, schema, migrations ------------------------------------------- */

START_TEST(test_create_reopen)
{
	struct lockout_store *store;
	struct lockout_ban ban = ban_make("192.0.2.1", 1000, 0);
	struct ban_list list = { 0 };
	char mode[32];

	store = store_open_ok("create", LOCKOUT_STORE_FLAG_CREATE);
	add_ban_ok(store, &ban);
	lockout_store_close(&store);
	ck_assert_ptr_null(store);

	ck_assert_int_eq(raw_int("create", "PRAGMA user_version"),
			 lockout_store_schema_version());
	ck_assert_int_eq(raw_int("create", "PRAGMA application_id"),
			 0x4c4f434b);
	raw_text("create", "PRAGMA journal_mode", mode, sizeof(mode));
	ck_assert_str_eq(mode, "wal");

	/* reopen without CREATE: the schema version persists, no migration */
	store = store_open_ok("create", 0);
	ban_list_fill(store, 2000, 0, &list);
	ck_assert_uint_eq(list.count, 1);
	ban_assert_equal(&list.bans[0], &ban);
	lockout_store_close(&store);
	ck_assert_int_eq(raw_int("create", "PRAGMA user_version"),
			 lockout_store_schema_version());

	store = store_open_ok("create", LOCKOUT_STORE_FLAG_READONLY);
	ban_list_fill(store, 2000, 0, &list);
	ck_assert_uint_eq(list.count, 1);
	lockout_store_close(&store);
	ban_list_free(&list);

	/* NULL-safe close */
	lockout_store_close(&store);
	lockout_store_close(NULL);
}
END_TEST

START_TEST(test_missing_file)
{
	struct lockout_store *store = NULL;
	const char *error = NULL;

	store_open_fails("missing", 0, "does not exist");
	store_open_fails("missing", LOCKOUT_STORE_FLAG_READONLY,
			 "does not exist");
	/* READONLY wins over CREATE */
	store_open_fails("missing", LOCKOUT_STORE_FLAG_READONLY |
			 LOCKOUT_STORE_FLAG_CREATE, "does not exist");
	ck_assert_int_eq(access(test_path("missing"), F_OK), -1);
	store_open_fails("nodir/x", LOCKOUT_STORE_FLAG_CREATE,
			 "unable to open");
	ck_assert_int_eq(lockout_store_open("", LOCKOUT_STORE_FLAG_CREATE,
					    100, &store, &error), -1);
	ck_assert_ptr_nonnull(error);
}
END_TEST

START_TEST(test_migrate_empty_file)
{
	struct lockout_store *store;

	write_file("empty", NULL, 0);
	/* no schema and not asked to create one */
	store_open_fails("empty", 0, "no dovecot-lockout schema");
	store_open_fails("empty", LOCKOUT_STORE_FLAG_READONLY,
			 "no dovecot-lockout schema");
	ck_assert_int_eq(raw_int("empty", "PRAGMA user_version"), 0);

	store = store_open_ok("empty", LOCKOUT_STORE_FLAG_CREATE);
	lockout_store_close(&store);
	ck_assert_int_eq(raw_int("empty", "PRAGMA user_version"),
			 lockout_store_schema_version());
	ck_assert_int_eq(raw_int("empty", "SELECT count(*) FROM sqlite_master "
				 "WHERE type = 'table' AND name IN "
				 "('bans', 'failures')"), 2);
	ck_assert_int_eq(raw_int("empty", "SELECT count(*) FROM sqlite_master "
				 "WHERE type = 'index' AND name IN "
				 "('bans_target', 'bans_active', "
				 "'failures_time', 'failures_user', "
				 "'failures_ip')"), 5);
}
END_TEST

START_TEST(test_newer_version_refused)
{
	char sql[128], mode[32];
	int64_t newer = lockout_store_schema_version() + 1;

	snprintf(sql, sizeof(sql), "CREATE TABLE bans (x);"
		 "PRAGMA application_id = 1280262987;"
		 "PRAGMA user_version = %lld;", (long long)newer);
	raw_exec("newer", sql);

	store_open_fails("newer", LOCKOUT_STORE_FLAG_CREATE, "is newer");
	store_open_fails("newer", 0, "is newer");
	store_open_fails("newer", LOCKOUT_STORE_FLAG_READONLY, "is newer");

	/* nothing changed: version, journal mode and schema as they were */
	ck_assert_int_eq(raw_int("newer", "PRAGMA user_version"), newer);
	raw_text("newer", "PRAGMA journal_mode", mode, sizeof(mode));
	ck_assert_str_eq(mode, "delete");
	ck_assert_int_eq(raw_int("newer", "SELECT count(*) FROM sqlite_master"),
			 1);
}
END_TEST

START_TEST(test_foreign_database_refused)
{
	raw_exec("foreign", "CREATE TABLE mail (x)");
	store_open_fails("foreign", LOCKOUT_STORE_FLAG_CREATE, "not empty");
	ck_assert_int_eq(raw_int("foreign", "SELECT count(*) FROM "
				 "sqlite_master"), 1);

	raw_exec("foreign2", "PRAGMA application_id = 1234");
	store_open_fails("foreign2", LOCKOUT_STORE_FLAG_CREATE,
			 "not a dovecot-lockout database");

	raw_exec("foreign3", "PRAGMA user_version = 1");
	store_open_fails("foreign3", LOCKOUT_STORE_FLAG_CREATE,
			 "not a dovecot-lockout database");
}
END_TEST

START_TEST(test_corrupt_file)
{
	char garbage[4096];
	unsigned int i;

	for (i = 0; i < sizeof(garbage); i++)
		garbage[i] = (char)("not a database, just text\n"[i % 26]);
	write_file("corrupt", garbage, sizeof(garbage));
	store_open_fails("corrupt", LOCKOUT_STORE_FLAG_CREATE,
			 "not a database");
	store_open_fails("corrupt", 0, "not a database");
	store_open_fails("corrupt", LOCKOUT_STORE_FLAG_READONLY,
			 "not a database");

	/* a valid header over a damaged body */
	write_file("corrupt2", "SQLite format 3", 16);
	store_open_fails("corrupt2", LOCKOUT_STORE_FLAG_CREATE, "");
}
END_TEST

/* --- bans --------------------------------------------------------------- */

START_TEST(test_iter_active_all)
{
	struct lockout_store *store;
	struct ban_list list = { 0 };
	struct lockout_ban perm = ban_make("192.0.2.1", 100, 0);
	struct lockout_ban temp = ban_make("192.0.2.2", 150, 200);
	struct lockout_ban lifted = ban_make("192.0.2.3", 120, 0);
	struct lockout_ban oldest = ban_make("198.51.100.0/24", 50, 1000);
	struct lockout_ban user = ban_make("admin@example.com", 100, 500);
	const char *error = NULL;
	unsigned int count;
	int64_t perm_id, user_id;

	oldest.kind = LOCKOUT_KIND_NET;
	oldest.source = LOCKOUT_SOURCE_FEED;
	oldest.evidence = NULL;
	user.kind = LOCKOUT_KIND_USER;
	user.source = LOCKOUT_SOURCE_MANUAL;
	user.rule = "manual";
	user.failures = 0;

	store = store_open_ok("iter", LOCKOUT_STORE_FLAG_CREATE);
	perm_id = add_ban_ok(store, &perm);
	add_ban_ok(store, &temp);
	add_ban_ok(store, &lifted);
	add_ban_ok(store, &oldest);
	/* same created time as perm: ordered by id after it */
	user_id = add_ban_ok(store, &user);
	ck_assert_int_gt(user_id, perm_id);
	ck_assert_int_eq(lockout_store_lift(store, "192.0.2.3", 130, &count,
					    &error), 0);
	ck_assert_uint_eq(count, 1);
	lifted.lifted = 130;

	/* active at 180: oldest (50), perm (100), user (100), temp (150) */
	ban_list_fill(store, 180, 0, &list);
	ck_assert_uint_eq(list.count, 4);
	ban_assert_equal(&list.bans[0], &oldest);
	ban_assert_equal(&list.bans[1], &perm);
	ck_assert_int_eq(list.bans[1].id, perm_id);
	ban_assert_equal(&list.bans[2], &user);
	ck_assert_int_eq(list.bans[2].id, user_id);
	ban_assert_equal(&list.bans[3], &temp);

	/* at 200 temp has expired (expires > now is active) */
	ban_list_fill(store, 200, 0, &list);
	ck_assert_uint_eq(list.count, 3);
	ck_assert_str_eq(list.bans[2].target, "admin@example.com");

	/* ALL: expired and lifted included, still ordered by created */
	ban_list_fill(store, 200, LOCKOUT_ITER_FLAG_ALL, &list);
	ck_assert_uint_eq(list.count, 5);
	ban_assert_equal(&list.bans[0], &oldest);
	ban_assert_equal(&list.bans[1], &perm);
	ban_assert_equal(&list.bans[2], &user);
	ban_assert_equal(&list.bans[3], &lifted);
	ban_assert_equal(&list.bans[4], &temp);

	/* far future: only the permanent one */
	ban_list_fill(store, 1000000, 0, &list);
	ck_assert_uint_eq(list.count, 1);
	ban_assert_equal(&list.bans[0], &perm);

	/* the callback stops the iteration and its value is returned */
	ban_list_free(&list);
	list.stop_after = 2;
	ck_assert_int_eq(lockout_store_iter_bans(store, 180, 0, ban_list_add,
						 &list, &error), 42);
	ck_assert_uint_eq(list.count, 2);
	/* and the statement is reusable afterwards */
	list.stop_after = 0;
	ban_list_fill(store, 180, 0, &list);
	ck_assert_uint_eq(list.count, 4);
	ban_list_free(&list);
	ck_assert_uint_eq(lockout_store_skipped_rows(store), 0);
	lockout_store_close(&store);
}
END_TEST

START_TEST(test_lift_and_count)
{
	struct lockout_store *store;
	struct lockout_ban ban1 = ban_make("192.0.2.9", 100, 300);
	struct lockout_ban ban2 = ban_make("192.0.2.9", 110, 0);
	struct lockout_ban expired = ban_make("192.0.2.9", 10, 20);
	struct ban_list list = { 0 };
	const char *error = NULL;
	unsigned int count = 99;

	store = store_open_ok("lift", LOCKOUT_STORE_FLAG_CREATE);
	ck_assert_int_eq(lockout_store_lift(store, "203.0.113.1", 150,
					    &count, &error), 0);
	ck_assert_uint_eq(count, 0);
	ck_assert_int_eq(lockout_store_count_bans(store, "192.0.2.9", &count,
						  &error), 0);
	ck_assert_uint_eq(count, 0);

	add_ban_ok(store, &ban1);
	add_ban_ok(store, &ban2);
	add_ban_ok(store, &expired);
	ck_assert_int_eq(lockout_store_lift(store, "192.0.2.9", 150, &count,
					    &error), 0);
	ck_assert_uint_eq(count, 2);
	ck_assert_int_eq(lockout_store_lift(store, "192.0.2.9", 160, &count,
					    &error), 0);
	ck_assert_uint_eq(count, 0);

	ban_list_fill(store, 150, 0, &list);
	ck_assert_uint_eq(list.count, 0);
	ban_list_fill(store, 150, LOCKOUT_ITER_FLAG_ALL, &list);
	ck_assert_uint_eq(list.count, 3);
	/* the expired ban was not active, so it was not lifted */
	ck_assert_int_eq(list.bans[0].lifted, 0);
	ck_assert_int_eq(list.bans[1].lifted, 150);
	ck_assert_int_eq(list.bans[2].lifted, 150);
	ban_list_free(&list);

	ck_assert_int_eq(lockout_store_count_bans(store, "192.0.2.9", &count,
						  &error), 0);
	ck_assert_uint_eq(count, 3);

	/* bad targets */
	ck_assert_int_eq(lockout_store_lift(store, "", 150, &count, &error),
			 -1);
	ck_assert_ptr_nonnull(strstr(error, "empty target"));
	ck_assert_int_eq(lockout_store_lift(store, NULL, 150, &count, &error),
			 -1);
	ck_assert_int_eq(lockout_store_count_bans(store, "", &count, &error),
			 -1);
	lockout_store_close(&store);
}
END_TEST

static char long_target[LOCKOUT_BAN_TARGET_MAX + 2];
static char long_reason[LOCKOUT_BAN_REASON_MAX + 2];
static char long_rule[LOCKOUT_BAN_RULE_MAX + 2];
static char long_evidence[LOCKOUT_BAN_EVIDENCE_MAX + 2];

static void make_long_strings(void)
{
	memset(long_target, 'a', sizeof(long_target) - 1);
	memset(long_reason, 'r', sizeof(long_reason) - 1);
	memset(long_rule, 'u', sizeof(long_rule) - 1);
	memset(long_evidence, 'e', sizeof(long_evidence) - 1);
}

static void mut_empty_target(struct lockout_ban *b) { b->target = ""; }
static void mut_null_target(struct lockout_ban *b) { b->target = NULL; }
static void mut_long_target(struct lockout_ban *b)
{
	b->target = long_target;
}
static void mut_expires_eq(struct lockout_ban *b) { b->expires = b->created; }
static void mut_expires_lt(struct lockout_ban *b)
{
	b->expires = b->created - 1;
}
static void mut_created_zero(struct lockout_ban *b) { b->created = 0; }
static void mut_created_neg(struct lockout_ban *b)
{
	b->created = -5;
	b->expires = 0;
}
static void mut_long_reason(struct lockout_ban *b)
{
	b->reason = long_reason;
}
static void mut_null_reason(struct lockout_ban *b) { b->reason = NULL; }
static void mut_empty_rule(struct lockout_ban *b) { b->rule = ""; }
static void mut_long_rule(struct lockout_ban *b) { b->rule = long_rule; }
static void mut_long_evidence(struct lockout_ban *b)
{
	b->evidence = long_evidence;
}
static void mut_bad_kind(struct lockout_ban *b)
{
	b->kind = (enum lockout_kind)9;
}
static void mut_bad_source(struct lockout_ban *b)
{
	b->source = (enum lockout_source)9;
}
static void mut_neg_lifted(struct lockout_ban *b) { b->lifted = -1; }

static const struct {
	void (*mutate)(struct lockout_ban *ban);
	const char *error;
} ban_invalid[] = {
	{ mut_empty_target, "empty target" },
	{ mut_null_target, "empty target" },
	{ mut_long_target, "target longer than 255" },
	{ mut_expires_eq, "expires" },
	{ mut_expires_lt, "expires" },
	{ mut_created_zero, "created" },
	{ mut_created_neg, "created" },
	{ mut_long_reason, "reason longer" },
	{ mut_null_reason, "missing reason" },
	{ mut_empty_rule, "empty rule" },
	{ mut_long_rule, "rule longer" },
	{ mut_long_evidence, "evidence longer" },
	{ mut_bad_kind, "invalid kind" },
	{ mut_bad_source, "invalid source" },
	{ mut_neg_lifted, "lifted" },
};

START_TEST(test_ban_validation)
{
	struct lockout_store *store;
	struct lockout_ban ban = ban_make("192.0.2.50", 1000, 2000);
	struct ban_list list = { 0 };
	const char *error = NULL;
	int64_t id = -7;
	char name[32];

	make_long_strings();
	ban_invalid[_i].mutate(&ban);
	snprintf(name, sizeof(name), "validate%d", _i);
	store = store_open_ok(name, LOCKOUT_STORE_FLAG_CREATE);
	ck_assert_int_eq(lockout_store_add_ban(store, &ban, &id, &error), -1);
	ck_assert_int_eq(id, -7);
	ck_assert_msg(strstr(error, ban_invalid[_i].error) != NULL,
		      "case %d: error '%s' lacks '%s'", _i, error,
		      ban_invalid[_i].error);
	ck_assert(!lockout_store_error_is_busy(store));
	ban_list_fill(store, 0, LOCKOUT_ITER_FLAG_ALL, &list);
	ck_assert_uint_eq(list.count, 0);
	lockout_store_close(&store);
}
END_TEST

START_TEST(test_ban_limits_accepted)
{
	struct lockout_store *store;
	struct lockout_ban ban = ban_make("x", 1, 2);
	struct ban_list list = { 0 };

	make_long_strings();
	long_target[LOCKOUT_BAN_TARGET_MAX] = '\0';
	long_reason[LOCKOUT_BAN_REASON_MAX] = '\0';
	long_rule[LOCKOUT_BAN_RULE_MAX] = '\0';
	long_evidence[LOCKOUT_BAN_EVIDENCE_MAX] = '\0';
	ban.target = long_target;
	ban.reason = long_reason;
	ban.rule = long_rule;
	ban.evidence = long_evidence;
	ban.failures = UINT_MAX;

	store = store_open_ok("limits", LOCKOUT_STORE_FLAG_CREATE);
	/* id_r may be NULL */
	{
		const char *error = NULL;

		if (lockout_store_add_ban(store, &ban, NULL, &error) < 0)
			ck_abort_msg("add_ban: %s", error);
	}
	ban_list_fill(store, 1, 0, &list);
	ck_assert_uint_eq(list.count, 1);
	ban_assert_equal(&list.bans[0], &ban);
	ban_list_free(&list);
	lockout_store_close(&store);
}
END_TEST

START_TEST(test_hostile_strings)
{
	static const char *const targets[] = {
		"'; DROP TABLE bans; --",
		"\"quoted\" \\back\\slash' OR '1'='1",
		"%s%s%n%x",
		"user\nwith\r\nnewlines\t",
		"\xc3\xa9l\xc3\xa8ve@exemple.fr",
		"\xff\xfe invalid utf-8 \x80",
		NULL, /* 255 bytes of 1..255 */
	};
	char binary[LOCKOUT_BAN_TARGET_MAX + 1];
	struct lockout_store *store;
	struct lockout_ban bans[N_ELEMENTS(targets)];
	struct ban_list list = { 0 };
	const char *error = NULL;
	unsigned int i, count;

	for (i = 0; i < LOCKOUT_BAN_TARGET_MAX; i++)
		binary[i] = (char)(i + 1);
	binary[LOCKOUT_BAN_TARGET_MAX] = '\0';

	store = store_open_ok("hostile", LOCKOUT_STORE_FLAG_CREATE);
	for (i = 0; i < N_ELEMENTS(targets); i++) {
		const char *target = targets[i] != NULL ? targets[i] : binary;

		bans[i] = ban_make(target, 100 + i, 0);
		bans[i].kind = LOCKOUT_KIND_USER;
		bans[i].reason = target;
		bans[i].rule = target;
		bans[i].evidence = "{\"user\":\"\\\"'; --\",\"x\":\"\\u0000\"}";
		add_ban_ok(store, &bans[i]);
	}
	ban_list_fill(store, 200, 0, &list);
	ck_assert_uint_eq(list.count, N_ELEMENTS(targets));
	for (i = 0; i < N_ELEMENTS(targets); i++) {
		ban_assert_equal(&list.bans[i], &bans[i]);
		ck_assert_int_eq(lockout_store_count_bans(store,
			bans[i].target, &count, &error), 0);
		ck_assert_uint_eq(count, 1);
	}
	ban_list_free(&list);
	for (i = 0; i < N_ELEMENTS(targets); i++) {
		ck_assert_int_eq(lockout_store_lift(store, bans[i].target, 300,
						    &count, &error), 0);
		ck_assert_uint_eq(count, 1);
	}
	ban_list_fill(store, 200, 0, &list);
	ck_assert_uint_eq(list.count, 0);
	/* the table is still there */
	ck_assert_int_eq(raw_int("hostile", "SELECT count(*) FROM bans"),
			 N_ELEMENTS(targets));
	ck_assert_uint_eq(lockout_store_skipped_rows(store), 0);
	lockout_store_close(&store);
}
END_TEST

/* VALUES of (target, kind, source, reason, rule, created, expires, lifted,
   failures) that break the ban invariants */
static const char *const bad_rows[] = {
	"'192.0.2.1', 'bogus', 'auto', 'r', 'x', 10, NULL, NULL, 0",
	"'192.0.2.2', 'ip', 'alien', 'r', 'x', 11, NULL, NULL, 0",
	/* embedded NUL */
	("CAST(X'3139322e302e322e330031' AS TEXT), 'ip', 'auto', 'r', 'x',"
	 " 12, NULL, NULL, 0"),
	/* BLOB target */
	"X'3139322e302e322e34', 'ip', 'auto', 'r', 'x', 13, NULL, NULL, 0",
	"'192.0.2.5', 'ip', 'auto', 'r', 'x', 'yesterday', NULL, NULL, 0",
	/* 0 would read back as permanent / not lifted */
	"'192.0.2.6', 'ip', 'auto', 'r', 'x', 14, 0, NULL, 0",
	"'192.0.2.7', 'ip', 'auto', 'r', 'x', 15, NULL, 0, 0",
	"'192.0.2.8', 'ip', 'auto', 'r', 'x', 16, NULL, NULL, -3",
	"'192.0.2.9', 'ip', 'auto', 'r', 'x', 16, NULL, NULL, 4294967296",
	"'', 'ip', 'auto', 'r', 'x', 17, NULL, NULL, 0",
	"'192.0.2.10', 'ip', 'auto', 'r', 'x', 18, 17, NULL, 0",
	"'192.0.2.11', 'ip', 'auto', 'r', 'x', 0, NULL, NULL, 0",
	"'192.0.2.12', 'ip', 'auto', 'r', '', 19, NULL, NULL, 0",
	"'192.0.2.13', 'ip', 'auto', 'r', 'x', 20, 30.5, NULL, 0",
};

START_TEST(test_bad_rows_skipped)
{
	struct lockout_store *store;
	struct lockout_ban good = ban_make("192.0.2.77", 100, 0);
	struct ban_list list = { 0 };
	char sql[512];
	unsigned int i;

	store = store_open_ok("badrows", LOCKOUT_STORE_FLAG_CREATE);
	add_ban_ok(store, &good);
	/* rows the schema forbids, written behind its back */
	for (i = 0; i < N_ELEMENTS(bad_rows); i++) {
		snprintf(sql, sizeof(sql),
			 "PRAGMA ignore_check_constraints = ON;"
			 "INSERT INTO bans (target, kind, source, reason, rule,"
			 " created, expires, lifted, failures) VALUES (%s)",
			 bad_rows[i]);
		raw_exec("badrows", sql);
	}

	ban_list_fill(store, 50, LOCKOUT_ITER_FLAG_ALL, &list);
	ck_assert_uint_eq(list.count, 1);
	ban_assert_equal(&list.bans[0], &good);
	ck_assert_uint_eq(lockout_store_skipped_rows(store),
			  N_ELEMENTS(bad_rows));
	ban_list_free(&list);
	lockout_store_close(&store);

	/* a read-only reader (like the root helper) skips them too */
	store = store_open_ok("badrows", LOCKOUT_STORE_FLAG_READONLY);
	ban_list_fill(store, 50, 0, &list);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_uint_gt(lockout_store_skipped_rows(store), 0);
	ban_list_free(&list);
	lockout_store_close(&store);
}
END_TEST

/* --- transactions, concurrency ------------------------------------------ */

START_TEST(test_transactions)
{
	struct lockout_store *store;
	struct lockout_ban ban1 = ban_make("192.0.2.10", 100, 0);
	struct lockout_ban ban2 = ban_make("192.0.2.11", 100, 0);
	struct ban_list list = { 0 };
	const char *error = NULL;

	store = store_open_ok("txn", LOCKOUT_STORE_FLAG_CREATE);
	/* nothing open: rollback is a no-op, commit an error */
	lockout_store_rollback(store);
	ck_assert_int_eq(lockout_store_commit(store, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "no transaction"));

	ck_assert_int_eq(lockout_store_begin(store, &error), 0);
	ck_assert_int_eq(lockout_store_begin(store, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "already open"));
	add_ban_ok(store, &ban1);
	lockout_store_rollback(store);
	ban_list_fill(store, 150, 0, &list);
	ck_assert_uint_eq(list.count, 0);

	ck_assert_int_eq(lockout_store_begin(store, &error), 0);
	add_ban_ok(store, &ban1);
	add_ban_ok(store, &ban2);
	if (lockout_store_commit(store, &error) < 0)
		ck_abort_msg("commit: %s", error);
	ban_list_fill(store, 150, 0, &list);
	ck_assert_uint_eq(list.count, 2);
	ban_list_free(&list);

	/* closing with an open transaction rolls it back */
	ck_assert_int_eq(lockout_store_begin(store, &error), 0);
	add_ban_ok(store, &ban1);
	lockout_store_close(&store);
	ck_assert_int_eq(raw_int("txn", "SELECT count(*) FROM bans"), 2);
}
END_TEST

static int
top_noop_cb(const struct lockout_top_row *row ATTR_UNUSED,
	    void *context ATTR_UNUSED)
{
	return 0;
}

static int reentrant_cb(const struct lockout_ban *ban, void *context)
{
	struct lockout_store *store = context;
	const char *error = NULL;
	unsigned int count;
	int ret;

	/* nested iteration is refused, other calls work */
	ret = lockout_store_iter_bans(store, 0, LOCKOUT_ITER_FLAG_ALL,
				      reentrant_cb, store, &error);
	ck_assert_int_eq(ret, -1);
	ck_assert_ptr_nonnull(strstr(error, "re-entrant"));
	ret = lockout_store_iter_bans(store, 0, 0, reentrant_cb, store,
				      &error);
	ck_assert_int_eq(ret, -1);
	ret = lockout_store_top(store, "ip", 0, 10, top_noop_cb, NULL, &error);
	ck_assert_int_eq(ret, -1);
	ck_assert_int_eq(lockout_store_count_bans(store, ban->target, &count,
						  &error), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(lockout_store_lift(store, ban->target, 500, &count,
					    &error), 0);
	ck_assert_uint_eq(count, 1);
	return 0;
}

START_TEST(test_reentrant_callback)
{
	struct lockout_store *store;
	struct lockout_ban ban1 = ban_make("192.0.2.20", 100, 0);
	struct lockout_ban ban2 = ban_make("192.0.2.21", 101, 0);
	const char *error = NULL;

	store = store_open_ok("reentrant", LOCKOUT_STORE_FLAG_CREATE);
	add_ban_ok(store, &ban1);
	add_ban_ok(store, &ban2);
	ck_assert_int_eq(lockout_store_iter_bans(store, 200, 0, reentrant_cb,
						 store, &error), 0);
	ck_assert_int_eq(raw_int("reentrant", "SELECT count(*) FROM bans "
				 "WHERE lifted = 500"), 2);
	lockout_store_close(&store);
}
END_TEST

START_TEST(test_changed)
{
	struct lockout_store *s1, *s2;
	struct lockout_ban ban1 = ban_make("192.0.2.30", 100, 0);
	struct lockout_ban ban2 = ban_make("192.0.2.31", 100, 0);
	const char *error = NULL;

	s1 = store_open_ok("changed", LOCKOUT_STORE_FLAG_CREATE);
	s2 = store_open_ok("changed", 0);
	ck_assert_int_eq(lockout_store_changed(s1, &error), 0);
	ck_assert_int_eq(lockout_store_changed(s2, &error), 0);

	/* own writes do not count */
	add_ban_ok(s1, &ban1);
	ck_assert_int_eq(lockout_store_changed(s1, &error), 0);
	/* another connection's commit does, once */
	ck_assert_int_eq(lockout_store_changed(s2, &error), 1);
	ck_assert_int_eq(lockout_store_changed(s2, &error), 0);

	/* a transaction counts when committed, not before, not if rolled
	   back */
	ck_assert_int_eq(lockout_store_begin(s2, &error), 0);
	add_ban_ok(s2, &ban2);
	ck_assert_int_eq(lockout_store_changed(s1, &error), 0);
	lockout_store_rollback(s2);
	ck_assert_int_eq(lockout_store_changed(s1, &error), 0);
	ck_assert_int_eq(lockout_store_begin(s2, &error), 0);
	add_ban_ok(s2, &ban2);
	ck_assert_int_eq(lockout_store_commit(s2, &error), 0);
	ck_assert_int_eq(lockout_store_changed(s1, &error), 1);
	ck_assert_int_eq(lockout_store_changed(s1, &error), 0);
	ck_assert_int_eq(lockout_store_changed(s2, &error), 0);

	lockout_store_close(&s1);
	lockout_store_close(&s2);
}
END_TEST

START_TEST(test_busy)
{
	struct lockout_store *s1, *s2, *s3;
	struct lockout_ban ban = ban_make("192.0.2.40", 100, 0);
	struct ban_list list = { 0 };
	const char *error = NULL;
	unsigned int count;
	int64_t start, elapsed;

	s2 = store_open_ok("busy", LOCKOUT_STORE_FLAG_CREATE);
	ck_assert_int_eq(lockout_store_open(test_path("busy"), 0, 200, &s1,
					    &error), 0);
	add_ban_ok(s2, &ban);
	ck_assert_int_eq(lockout_store_begin(s2, &error), 0);

	/* a write waits for the busy timeout, then fails as busy */
	start = now_msecs();
	ck_assert_int_eq(lockout_store_add_ban(s1, &ban, NULL, &error), -1);
	elapsed = now_msecs() - start;
	ck_assert_msg(strstr(error, "database is busy") != NULL,
		      "error: %s", error);
	ck_assert_ptr_nonnull(strstr(error, test_path("busy")));
	ck_assert(lockout_store_error_is_busy(s1));
	ck_assert_int_ge(elapsed, 150);
	ck_assert_int_lt(elapsed, 3000);

	ck_assert_int_eq(lockout_store_begin(s1, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "database is busy"));
	ck_assert(lockout_store_error_is_busy(s1));

	/* readers are not blocked (WAL), nor is opening a current schema */
	ban_list_fill(s1, 150, 0, &list);
	ck_assert_uint_eq(list.count, 1);
	ban_list_free(&list);
	ck_assert_int_eq(lockout_store_open(test_path("busy"), 0, 100, &s3,
					    &error), 0);
	lockout_store_close(&s3);

	/* once released, the same call succeeds */
	ck_assert_int_eq(lockout_store_commit(s2, &error), 0);
	add_ban_ok(s1, &ban);
	ban_list_fill(s1, 150, 0, &list);
	ck_assert_uint_eq(list.count, 2);
	ban_list_free(&list);

	/* a non-busy error clears the flag */
	ck_assert_int_eq(lockout_store_lift(s1, "", 1, &count, &error), -1);
	ck_assert(!lockout_store_error_is_busy(s1));

	lockout_store_close(&s1);
	lockout_store_close(&s2);
}
END_TEST

START_TEST(test_readonly)
{
	struct lockout_store *rw, *ro;
	struct lockout_ban ban = ban_make("192.0.2.60", 100, 0);
	struct lockout_failure row = {
		.time = 100, .ip = "192.0.2.60", .user = "bob",
		.service = "imap", .mechanism = "PLAIN",
		.result = "mismatch", .count = 1,
	};
	struct ban_list list = { 0 };
	const char *error = NULL;
	unsigned int count;

	rw = store_open_ok("readonly", LOCKOUT_STORE_FLAG_CREATE);
	add_ban_ok(rw, &ban);
	ck_assert_int_eq(lockout_store_add_failures(rw, &row, 1, &error), 0);

	/* the writer is still open: the -wal and -shm exist */
	ro = store_open_ok("readonly", LOCKOUT_STORE_FLAG_READONLY);
	ck_assert_int_eq(lockout_store_add_ban(ro, &ban, NULL, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "read-only"));
	ck_assert_int_eq(lockout_store_lift(ro, "192.0.2.60", 200, &count,
					    &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "read-only"));
	ck_assert_int_eq(lockout_store_begin(ro, &error), -1);
	ck_assert_int_eq(lockout_store_add_failures(ro, &row, 1, &error), -1);
	ck_assert_int_eq(lockout_store_prune_failures(ro, 1000, 10, &count,
						      &error), -1);

	/* reads work */
	ban_list_fill(ro, 150, 0, &list);
	ck_assert_uint_eq(list.count, 1);
	ban_list_free(&list);
	ck_assert_int_eq(lockout_store_count_bans(ro, "192.0.2.60", &count,
						  &error), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(lockout_store_changed(ro, &error), 0);
	ck_assert_int_eq(lockout_store_lift(rw, "192.0.2.60", 200, &count,
					    &error), 0);
	ck_assert_int_eq(lockout_store_changed(ro, &error), 1);
	ban_list_fill(ro, 250, 0, &list);
	ck_assert_uint_eq(list.count, 0);
	lockout_store_close(&rw);

	/* the row is still there, untouched by the reader */
	ck_assert_int_eq(raw_int("readonly", "SELECT count(*) FROM bans"), 1);
	lockout_store_close(&ro);

	/* alone, with the writer closed */
	ro = store_open_ok("readonly", LOCKOUT_STORE_FLAG_READONLY);
	ban_list_fill(ro, 0, LOCKOUT_ITER_FLAG_ALL, &list);
	ck_assert_uint_eq(list.count, 1);
	ban_list_free(&list);
	lockout_store_close(&ro);
}
END_TEST

/* --- failure history ---------------------------------------------------- */

struct top_list {
	unsigned int count;
	int stop_after;
	char keys[MAX_LISTED][64];
	struct lockout_top_row rows[MAX_LISTED];
};

static int top_list_add(const struct lockout_top_row *row, void *context)
{
	struct top_list *list = context;

	ck_assert_uint_lt(list->count, MAX_LISTED);
	snprintf(list->keys[list->count], sizeof(list->keys[0]), "%s",
		 row->key);
	list->rows[list->count] = *row;
	list->rows[list->count].key = list->keys[list->count];
	list->count++;
	if (list->stop_after != 0 && (int)list->count == list->stop_after)
		return 7;
	return 0;
}

static const struct lockout_failure history[] = {
	{ 100, "192.0.2.1", "alice", "imap", "PLAIN", "mismatch", 3 },
	{ 110, "192.0.2.2", "alice", "imap", "PLAIN", "mismatch", 2 },
	{ 120, "192.0.2.1", "bob", "pop3", "LOGIN", "unknown_user", 1 },
	{ 50, "192.0.2.3", "carol", "smtp", "PLAIN", "mismatch", 10 },
	{ 130, "192.0.2.3", NULL, "imap", NULL, "refused", 4 },
	{ 140, "192.0.2.2", "", "imap", "PLAIN", "mismatch", 1 },
};

struct top_expect {
	const char *key;
	uint64_t failures, distinct;
	int64_t first, last;
};

static const struct {
	const char *by;
	int64_t since;
	unsigned int limit;
	unsigned int count;
	struct top_expect rows[4];
} top_cases[] = {
	{ "user", 100, 10, 2, {
		{ "alice", 5, 2, 100, 110 },
		{ "bob", 1, 1, 120, 120 } } },
	{ "user", 0, 10, 3, {
		{ "carol", 10, 1, 50, 50 },
		{ "alice", 5, 2, 100, 110 },
		{ "bob", 1, 1, 120, 120 } } },
	{ "user", 0, 1, 1, {
		{ "carol", 10, 1, 50, 50 } } },
	{ "user", 115, 10, 1, {
		{ "bob", 1, 1, 120, 120 } } },
	/* ties by key; NULL and empty users are not counted as distinct */
	{ "ip", 100, 10, 3, {
		{ "192.0.2.1", 4, 2, 100, 120 },
		{ "192.0.2.3", 4, 0, 130, 130 },
		{ "192.0.2.2", 3, 1, 110, 140 } } },
	{ "ip", 0, 2, 2, {
		{ "192.0.2.3", 14, 1, 50, 130 },
		{ "192.0.2.1", 4, 2, 100, 120 } } },
	{ "service", 100, 10, 2, {
		{ "imap", 10, 1, 100, 140 },
		{ "pop3", 1, 1, 120, 120 } } },
	{ "service", 0, 10, 3, {
		{ "imap", 10, 1, 100, 140 },
		{ "smtp", 10, 1, 50, 50 },
		{ "pop3", 1, 1, 120, 120 } } },
	{ "service", 1000, 10, 0, { { NULL, 0, 0, 0, 0 } } },
	{ "user", 0, 0, 0, { { NULL, 0, 0, 0, 0 } } },
};

START_TEST(test_top)
{
	struct lockout_store *store;
	struct top_list list;
	const char *error = NULL;
	char name[32];
	unsigned int i;

	snprintf(name, sizeof(name), "top%d", _i);
	store = store_open_ok(name, LOCKOUT_STORE_FLAG_CREATE);
	ck_assert_int_eq(lockout_store_begin(store, &error), 0);
	if (lockout_store_add_failures(store, history, N_ELEMENTS(history),
				       &error) < 0)
		ck_abort_msg("add_failures: %s", error);
	ck_assert_int_eq(lockout_store_commit(store, &error), 0);

	memset(&list, 0, sizeof(list));
	if (lockout_store_top(store, top_cases[_i].by, top_cases[_i].since,
			      top_cases[_i].limit, top_list_add, &list,
			      &error) != 0)
		ck_abort_msg("top: %s", error);
	ck_assert_uint_eq(list.count, top_cases[_i].count);
	for (i = 0; i < list.count; i++) {
		const struct top_expect *want = &top_cases[_i].rows[i];

		ck_assert_str_eq(list.rows[i].key, want->key);
		ck_assert_uint_eq(list.rows[i].failures, want->failures);
		ck_assert_uint_eq(list.rows[i].distinct, want->distinct);
		ck_assert_int_eq(list.rows[i].first, want->first);
		ck_assert_int_eq(list.rows[i].last, want->last);
	}
	lockout_store_close(&store);
}
END_TEST

START_TEST(test_failures_errors)
{
	struct lockout_store *store;
	struct lockout_failure rows[2] = {
		{ 100, "192.0.2.1", "alice", "imap", "PLAIN", "mismatch", 1 },
		{ 100, "192.0.2.1", long_target, "imap", "PLAIN",
		  "mismatch", 1 },
	};
	struct top_list list;
	const char *error = NULL;

	make_long_strings();
	store = store_open_ok("failerr", LOCKOUT_STORE_FLAG_CREATE);
	/* validated before anything is inserted */
	ck_assert_int_eq(lockout_store_add_failures(store, rows, 2, &error),
			 -1);
	ck_assert_ptr_nonnull(strstr(error, "row 1"));
	rows[1].user = "bob";
	rows[1].count = 0;
	ck_assert_int_eq(lockout_store_add_failures(store, rows, 2, &error),
			 -1);
	rows[1].count = 1;
	rows[1].time = 0;
	ck_assert_int_eq(lockout_store_add_failures(store, rows, 2, &error),
			 -1);
	ck_assert_int_eq(raw_int("failerr", "SELECT count(*) FROM failures"),
			 0);
	ck_assert_int_eq(lockout_store_add_failures(store, rows, 0, &error),
			 0);

	ck_assert_int_eq(lockout_store_add_failures(store, rows, 1, &error),
			 0);
	ck_assert_int_eq(lockout_store_top(store, "mechanism", 0, 10,
					   top_list_add, &list, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "unknown key"));
	ck_assert_int_eq(lockout_store_top(store, NULL, 0, 10,
					   top_list_add, &list, &error), -1);

	/* the callback stops the ranking */
	memset(&list, 0, sizeof(list));
	list.stop_after = 1;
	rows[1].time = 100;
	rows[1].user = "bob";
	ck_assert_int_eq(lockout_store_add_failures(store, rows, 2, &error),
			 0);
	ck_assert_int_eq(lockout_store_top(store, "user", 0, 10,
					   top_list_add, &list, &error), 7);
	ck_assert_uint_eq(list.count, 1);
	lockout_store_close(&store);
}
END_TEST

START_TEST(test_prune)
{
	struct lockout_store *store;
	struct lockout_failure rows[15];
	const char *error = NULL;
	unsigned int i, deleted;
	static const unsigned int expect[] = { 4, 4, 2, 0 };

	memset(rows, 0, sizeof(rows));
	for (i = 0; i < N_ELEMENTS(rows); i++) {
		/* 10 old rows (time 10..19), 5 recent ones (100..104),
		   inserted newest first so that id order != time order */
		rows[i].time = i < 5 ? 104 - i : 19 - (i - 5);
		rows[i].ip = "192.0.2.1";
		rows[i].result = "mismatch";
		rows[i].count = 1;
	}
	store = store_open_ok("prune", LOCKOUT_STORE_FLAG_CREATE);
	ck_assert_int_eq(lockout_store_add_failures(store, rows,
						    N_ELEMENTS(rows),
						    &error), 0);

	ck_assert_int_eq(lockout_store_prune_failures(store, 50, 0, &deleted,
						      &error), 0);
	ck_assert_uint_eq(deleted, 0);
	for (i = 0; i < N_ELEMENTS(expect); i++) {
		ck_assert_int_eq(lockout_store_prune_failures(store, 50, 4,
							      &deleted,
							      &error), 0);
		ck_assert_uint_eq(deleted, expect[i]);
		if (i == 0) {
			/* the oldest went first */
			ck_assert_int_eq(raw_int("prune", "SELECT min(time) "
						 "FROM failures"), 14);
		}
	}
	ck_assert_int_eq(raw_int("prune", "SELECT count(*) FROM failures"),
			 5);
	ck_assert_int_eq(raw_int("prune", "SELECT min(time) FROM failures"),
			 100);
	lockout_store_close(&store);
}
END_TEST

/* Bans, events and known devices older than the history are pruned in
   bounded batches; active and permanent bans stay. */
START_TEST(test_prune_tables)
{
	struct lockout_store *store;
	const char *error = NULL;
	unsigned int deleted;

	store = store_open_ok("prune2", LOCKOUT_STORE_FLAG_CREATE);
	lockout_store_close(&store);
	raw_exec("prune2",
		"INSERT INTO bans (target, kind, source, reason, rule, "
		"created, expires, lifted) VALUES "
		"('192.0.2.1', 'ip', 'auto', 'r', 'x', 10, 20, NULL),"
		"('192.0.2.2', 'ip', 'auto', 'r', 'x', 10, 500, 30),"
		"('192.0.2.3', 'ip', 'auto', 'r', 'x', 10, NULL, NULL),"
		"('192.0.2.4', 'ip', 'auto', 'r', 'x', 10, 500, NULL),"
		"('192.0.2.5', 'ip', 'auto', 'r', 'x', 10, NULL, 40);"
		"INSERT INTO events (time, kind) VALUES (10, 'a'), (20, 'b'),"
		"(300, 'c');"
		"INSERT INTO known_devices VALUES ('alice', '192.0.2.0/24', 1,"
		" 10), ('bob', '192.0.2.0/24', 1, 20), ('carol', '10.0.0.0/24',"
		" 1, 300);");
	store = store_open_ok("prune2", 0);
	/* ended before 100: .1 (expired), .2 and .5 (lifted) */
	ck_assert_int_eq(lockout_store_prune(store, LOCKOUT_STORE_TABLE_BANS,
					     100, 2, &deleted, &error), 0);
	ck_assert_uint_eq(deleted, 2);
	ck_assert_int_eq(lockout_store_prune(store, LOCKOUT_STORE_TABLE_BANS,
					     100, 2, &deleted, &error), 0);
	ck_assert_uint_eq(deleted, 1);
	ck_assert_int_eq(raw_int("prune2", "SELECT count(*) FROM bans WHERE "
				 "target IN ('192.0.2.3', '192.0.2.4')"), 2);
	ck_assert_int_eq(raw_int("prune2", "SELECT count(*) FROM bans"), 2);
	ck_assert_int_eq(lockout_store_prune(store, LOCKOUT_STORE_TABLE_EVENTS,
					     100, 10, &deleted, &error), 0);
	ck_assert_uint_eq(deleted, 2);
	ck_assert_int_eq(lockout_store_prune(store,
					     LOCKOUT_STORE_TABLE_KNOWN_DEVICES,
					     15, 10, &deleted, &error), 0);
	ck_assert_uint_eq(deleted, 1);
	ck_assert_int_eq(raw_int("prune2", "SELECT count(*) FROM "
				 "known_devices"), 2);
	ck_assert_int_eq(lockout_store_prune(store,
					     LOCKOUT_STORE_TABLE_FAILURES,
					     100, 10, &deleted, &error), 0);
	ck_assert_uint_eq(deleted, 0);
	lockout_store_close(&store);
	/* read-only stores refuse */
	store = store_open_ok("prune2", LOCKOUT_STORE_FLAG_READONLY);
	ck_assert_int_eq(lockout_store_prune(store, LOCKOUT_STORE_TABLE_BANS,
					     100, 2, &deleted, &error), -1);
	lockout_store_close(&store);
}
END_TEST

/* --- the administrator's view ------------------------------------------- */

START_TEST(test_iter_target)
{
	struct lockout_store *store;
	struct ban_list list = { 0 };
	struct lockout_ban first = ban_make("192.0.2.7", 100, 200);
	struct lockout_ban lifted = ban_make("192.0.2.7", 300, 0);
	struct lockout_ban active = ban_make("192.0.2.7", 400, 5000);
	struct lockout_ban other = ban_make("192.0.2.70", 100, 0);
	const char *error = NULL;
	unsigned int count;

	store = store_open_ok("target", LOCKOUT_STORE_FLAG_CREATE);
	add_ban_ok(store, &other);
	add_ban_ok(store, &lifted);
	add_ban_ok(store, &first);
	/* first has expired by 350: only the permanent one is lifted */
	ck_assert_int_eq(lockout_store_lift(store, "192.0.2.7", 350, &count,
					    &error), 0);
	ck_assert_uint_eq(count, 1);
	lifted.lifted = 350;
	add_ban_ok(store, &active);

	/* active only */
	ck_assert_int_eq(lockout_store_iter_target(store, "192.0.2.7", 450, 0,
						   ban_list_add, &list,
						   &error), 0);
	ck_assert_uint_eq(list.count, 1);
	ban_assert_equal(&list.bans[0], &active);
	ban_list_free(&list);
	ck_assert_int_eq(lockout_store_iter_target(store, "192.0.2.7", 5000, 0,
						   ban_list_add, &list,
						   &error), 0);
	ck_assert_uint_eq(list.count, 0);

	/* the whole history, ordered by created then id */
	ck_assert_int_eq(lockout_store_iter_target(store, "192.0.2.7", 450,
						   LOCKOUT_ITER_FLAG_ALL,
						   ban_list_add, &list,
						   &error), 0);
	ck_assert_uint_eq(list.count, 3);
	ban_assert_equal(&list.bans[0], &first);
	ban_assert_equal(&list.bans[1], &lifted);
	ban_assert_equal(&list.bans[2], &active);
	ban_list_free(&list);

	/* exact match only, and nothing for an unknown target */
	ck_assert_int_eq(lockout_store_iter_target(store, "192.0.2.", 450,
						   LOCKOUT_ITER_FLAG_ALL,
						   ban_list_add, &list,
						   &error), 0);
	ck_assert_uint_eq(list.count, 0);

	/* stop value, and an empty target is an error */
	list.stop_after = 1;
	ck_assert_int_eq(lockout_store_iter_target(store, "192.0.2.7", 450,
						   LOCKOUT_ITER_FLAG_ALL,
						   ban_list_add, &list,
						   &error), 42);
	ban_list_free(&list);
	ck_assert_int_eq(lockout_store_iter_target(store, "", 450, 0,
						   ban_list_add, &list,
						   &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "empty target"));
	lockout_store_close(&store);
}
END_TEST

struct allowed_list {
	unsigned int count;
	char networks[MAX_LISTED][64];
	char reasons[MAX_LISTED][64];
	int64_t created[MAX_LISTED];
};

static int allowed_list_add(const char *network, const char *reason,
			    int64_t created, void *context)
{
	struct allowed_list *list = context;

	ck_assert_uint_lt(list->count, MAX_LISTED);
	snprintf(list->networks[list->count], sizeof(list->networks[0]),
		 "%s", network);
	snprintf(list->reasons[list->count], sizeof(list->reasons[0]),
		 "%s", reason);
	list->created[list->count++] = created;
	return 0;
}

static void allowed_list_fill(struct lockout_store *store,
			      struct allowed_list *list)
{
	const char *error = NULL;

	memset(list, 0, sizeof(*list));
	if (lockout_store_iter_allowed(store, allowed_list_add, list,
				       &error) != 0)
		ck_abort_msg("iter_allowed failed: %s", error);
}

START_TEST(test_allowed)
{
	struct lockout_store *store, *ro;
	struct allowed_list list;
	const char *error = NULL;
	unsigned int count;
	bool existed = true;

	make_long_strings();
	store = store_open_ok("allowed", LOCKOUT_STORE_FLAG_CREATE);
	allowed_list_fill(store, &list);
	ck_assert_uint_eq(list.count, 0);

	ck_assert_int_eq(lockout_store_add_allowed(store, "198.51.100.0/24",
						   "webmail", 100, &existed,
						   &error), 0);
	ck_assert(!existed);
	ck_assert_int_eq(lockout_store_add_allowed(store, "192.0.2.1", "",
						   200, NULL, &error), 0);
	/* again: new reason, original time */
	ck_assert_int_eq(lockout_store_add_allowed(store, "198.51.100.0/24",
						   "webmail 2", 300, &existed,
						   &error), 0);
	ck_assert(existed);
	allowed_list_fill(store, &list);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_str_eq(list.networks[0], "192.0.2.1");
	ck_assert_str_eq(list.reasons[0], "");
	ck_assert_int_eq(list.created[0], 200);
	ck_assert_str_eq(list.networks[1], "198.51.100.0/24");
	ck_assert_str_eq(list.reasons[1], "webmail 2");
	ck_assert_int_eq(list.created[1], 100);

	/* invalid input changes nothing */
	ck_assert_int_eq(lockout_store_add_allowed(store, "", "x", 1, NULL,
						   &error), -1);
	ck_assert_int_eq(lockout_store_add_allowed(store, long_target, "x", 1,
						   NULL, &error), -1);
	ck_assert_int_eq(lockout_store_add_allowed(store, "10.0.0.0/8", NULL,
						   1, NULL, &error), -1);
	ck_assert_int_eq(lockout_store_add_allowed(store, "10.0.0.0/8",
						   long_reason, 1, NULL,
						   &error), -1);
	ck_assert_int_eq(lockout_store_add_allowed(store, "10.0.0.0/8", "x",
						   0, NULL, &error), -1);
	ck_assert_int_eq(raw_int("allowed", "SELECT count(*) FROM allowed"),
			 2);

	/* a damaged row is skipped, not handed out */
	raw_exec("allowed", "INSERT INTO allowed (network, reason, created) "
		 "VALUES (X'41', 'blob', 5)");
	allowed_list_fill(store, &list);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_uint_eq(lockout_store_skipped_rows(store), 1);

	ck_assert_int_eq(lockout_store_remove_allowed(store, "192.0.2.1",
						      &count, &error), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(lockout_store_remove_allowed(store, "192.0.2.1",
						      &count, &error), 0);
	ck_assert_uint_eq(count, 0);

	/* read-only: listed, never changed */
	ro = store_open_ok("allowed", LOCKOUT_STORE_FLAG_READONLY);
	allowed_list_fill(ro, &list);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_int_eq(lockout_store_add_allowed(ro, "10.0.0.0/8", "x", 1,
						   NULL, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "read-only"));
	ck_assert_int_eq(lockout_store_remove_allowed(ro, "198.51.100.0/24",
						      &count, &error), -1);
	lockout_store_close(&ro);
	lockout_store_close(&store);
}
END_TEST

struct failure_list {
	unsigned int count;
	int64_t times[MAX_LISTED];
	unsigned int counts[MAX_LISTED];
};

static int failure_list_add(const struct lockout_failure *row, void *context)
{
	struct failure_list *list = context;

	ck_assert_uint_lt(list->count, MAX_LISTED);
	list->times[list->count] = row->time;
	list->counts[list->count++] = row->count;
	return 0;
}

static const struct {
	const char *by, *value;
	int64_t since;
	unsigned int count;
	int64_t times[6];
} failure_iter_cases[] = {
	{ NULL, NULL, 0, 6, { 50, 100, 110, 120, 130, 140 } },
	{ NULL, NULL, 115, 3, { 120, 130, 140 } },
	{ "ip", "192.0.2.1", 0, 2, { 100, 120 } },
	{ "ip", "192.0.2.3", 100, 1, { 130 } },
	{ "ip", "192.0.2.9", 0, 0, { 0 } },
	{ "user", "alice", 0, 2, { 100, 110 } },
	{ "user", "", 0, 1, { 140 } },
	{ "user", "alice", 105, 1, { 110 } },
};

START_TEST(test_iter_failures)
{
	struct lockout_store *store;
	struct failure_list list;
	const char *error = NULL;
	char name[32];
	unsigned int i;

	snprintf(name, sizeof(name), "failiter%d", _i);
	store = store_open_ok(name, LOCKOUT_STORE_FLAG_CREATE);
	ck_assert_int_eq(lockout_store_add_failures(store, history,
						    N_ELEMENTS(history),
						    &error), 0);
	memset(&list, 0, sizeof(list));
	if (lockout_store_iter_failures(store, failure_iter_cases[_i].by,
					failure_iter_cases[_i].value,
					failure_iter_cases[_i].since,
					failure_list_add, &list, &error) != 0)
		ck_abort_msg("iter_failures: %s", error);
	ck_assert_uint_eq(list.count, failure_iter_cases[_i].count);
	for (i = 0; i < list.count; i++) {
		ck_assert_int_eq(list.times[i],
				 failure_iter_cases[_i].times[i]);
	}
	lockout_store_close(&store);
}
END_TEST

START_TEST(test_iter_failures_errors)
{
	struct lockout_store *store;
	struct failure_list list;
	const char *error = NULL;

	make_long_strings();
	memset(&list, 0, sizeof(list));
	store = store_open_ok("failitererr", LOCKOUT_STORE_FLAG_CREATE);
	ck_assert_int_eq(lockout_store_iter_failures(store, "service", "imap",
						     0, failure_list_add,
						     &list, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "unknown key"));
	ck_assert_int_eq(lockout_store_iter_failures(store, "ip", NULL, 0,
						     failure_list_add, &list,
						     &error), -1);
	ck_assert_int_eq(lockout_store_iter_failures(store, "user",
						     long_target, 0,
						     failure_list_add, &list,
						     &error), -1);
	/* damaged rows are skipped */
	raw_exec("failitererr", "INSERT INTO failures (time, ip, count) "
		 "VALUES (5, X'00', 1), (6, '192.0.2.1', 1)");
	ck_assert_int_eq(lockout_store_iter_failures(store, NULL, NULL, 0,
						     failure_list_add, &list,
						     &error), 0);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_int_eq(list.times[0], 6);
	ck_assert_uint_eq(lockout_store_skipped_rows(store), 1);
	lockout_store_close(&store);
}
END_TEST

static int device_add(const char *user, const char *network,
		      int64_t first_seen, int64_t last_seen, void *context)
{
	char *out = context;
	size_t len = strlen(out);

	ck_assert_str_eq(user, "alice");
	snprintf(out + len, 256 - len, "%s%s@%lld-%lld", len > 0 ? " " : "",
		 network, (long long)first_seen, (long long)last_seen);
	return 0;
}

START_TEST(test_known_devices)
{
	struct lockout_store *store;
	const char *error = NULL;
	char out[256] = "";

	store = store_open_ok("devices", LOCKOUT_STORE_FLAG_CREATE);
	raw_exec("devices", "INSERT INTO known_devices VALUES "
		 "('alice', '192.0.2.0/24', 10, 20), "
		 "('alice', '2001:db8::/64', 15, 40), "
		 "('bob', '198.51.100.0/24', 1, 2)");
	ck_assert_int_eq(lockout_store_iter_user_devices(store, "alice",
							 device_add, out,
							 &error), 0);
	ck_assert_str_eq(out, "2001:db8::/64@15-40 192.0.2.0/24@10-20");
	out[0] = '\0';
	ck_assert_int_eq(lockout_store_iter_user_devices(store, "carol",
							 device_add, out,
							 &error), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(lockout_store_iter_user_devices(store, "",
							 device_add, out,
							 &error), -1);
	lockout_store_close(&store);
}
END_TEST

static const struct {
	int64_t since;
	uint64_t failures, refused;
} count_failure_cases[] = {
	{ 0, 17, 4 },
	{ 100, 7, 4 },
	{ 131, 1, 0 },
	{ 1000, 0, 0 },
};

START_TEST(test_counts)
{
	struct lockout_store *store;
	struct lockout_ban_counts counts;
	struct lockout_store_size size;
	struct lockout_ban ban;
	uint64_t failures, refused;
	const char *error = NULL;
	unsigned int i, lifted;

	store = store_open_ok("counts", LOCKOUT_STORE_FLAG_CREATE);
	ck_assert_int_eq(lockout_store_count_active(store, 100, &counts,
						    &error), 0);
	ck_assert_uint_eq(counts.active, 0);
	ck_assert_int_eq(lockout_store_size(store, &size, &error), 0);
	ck_assert_uint_eq(size.bans + size.failures + size.allowed +
			  size.known_devices + size.events, 0);
	ck_assert_uint_gt(size.bytes, 0);

	ban = ban_make("192.0.2.1", 100, 0);
	add_ban_ok(store, &ban);
	ban = ban_make("192.0.2.0/24", 100, 1000);
	ban.kind = LOCKOUT_KIND_NET;
	ban.source = LOCKOUT_SOURCE_MANUAL;
	add_ban_ok(store, &ban);
	ban = ban_make("alice", 100, 0);
	ban.kind = LOCKOUT_KIND_USER;
	ban.source = LOCKOUT_SOURCE_MANUAL;
	add_ban_ok(store, &ban);
	ban = ban_make("192.0.2.9", 100, 0);
	ban.observed = true;
	add_ban_ok(store, &ban);
	ban = ban_make("192.0.2.10", 100, 0);
	add_ban_ok(store, &ban);
	ck_assert_int_eq(lockout_store_lift(store, "192.0.2.10", 150, &lifted,
					    &error), 0);
	ck_assert_int_eq(lockout_store_add_failures(store, history,
						    N_ELEMENTS(history),
						    &error), 0);
	ck_assert_int_eq(lockout_store_add_allowed(store, "10.0.0.0/8", "",
						   100, NULL, &error), 0);

	ck_assert_int_eq(lockout_store_count_active(store, 200, &counts,
						    &error), 0);
	ck_assert_uint_eq(counts.active, 3);
	ck_assert_uint_eq(counts.by_kind[LOCKOUT_KIND_IP], 1);
	ck_assert_uint_eq(counts.by_kind[LOCKOUT_KIND_NET], 1);
	ck_assert_uint_eq(counts.by_kind[LOCKOUT_KIND_USER], 1);
	ck_assert_uint_eq(counts.by_source[LOCKOUT_SOURCE_AUTO], 1);
	ck_assert_uint_eq(counts.by_source[LOCKOUT_SOURCE_MANUAL], 2);
	ck_assert_uint_eq(counts.by_source[LOCKOUT_SOURCE_FEED], 0);
	ck_assert_uint_eq(counts.observed, 1);
	/* the net ban has expired by 1000 */
	ck_assert_int_eq(lockout_store_count_active(store, 1000, &counts,
						    &error), 0);
	ck_assert_uint_eq(counts.active, 2);

	for (i = 0; i < N_ELEMENTS(count_failure_cases); i++) {
		ck_assert_int_eq(lockout_store_count_failures(store,
			count_failure_cases[i].since, &failures, &refused,
			&error), 0);
		ck_assert_uint_eq(failures, count_failure_cases[i].failures);
		ck_assert_uint_eq(refused, count_failure_cases[i].refused);
	}

	ck_assert_int_eq(lockout_store_size(store, &size, &error), 0);
	ck_assert_uint_eq(size.bans, 5);
	ck_assert_uint_eq(size.failures, N_ELEMENTS(history));
	ck_assert_uint_eq(size.allowed, 1);
	ck_assert_uint_eq(size.known_devices, 0);
	ck_assert_uint_eq(size.bytes % 512, 0);
	lockout_store_close(&store);
}
END_TEST

static int nested_iter(const struct lockout_ban *ban ATTR_UNUSED,
		       void *context)
{
	struct lockout_store *store = context;
	struct allowed_list list;
	struct failure_list flist;
	struct lockout_ban_counts counts;
	const char *error = NULL;

	memset(&list, 0, sizeof(list));
	memset(&flist, 0, sizeof(flist));
	ck_assert_int_eq(lockout_store_iter_allowed(store, allowed_list_add,
						    &list, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "re-entrant"));
	ck_assert_int_eq(lockout_store_iter_failures(store, NULL, NULL, 0,
						     failure_list_add, &flist,
						     &error), -1);
	ck_assert_int_eq(lockout_store_count_active(store, 1, &counts,
						    &error), -1);
	/* writes are fine from a callback */
	ck_assert_int_eq(lockout_store_add_allowed(store, "10.0.0.0/8", "",
						   1, NULL, &error), 0);
	return 0;
}

START_TEST(test_admin_reentrant)
{
	struct lockout_store *store;
	struct lockout_ban ban = ban_make("192.0.2.1", 100, 0);
	const char *error = NULL;

	store = store_open_ok("adminreent", LOCKOUT_STORE_FLAG_CREATE);
	add_ban_ok(store, &ban);
	ck_assert_int_eq(lockout_store_iter_target(store, "192.0.2.1", 200, 0,
						   nested_iter, store,
						   &error), 0);
	ck_assert_int_eq(raw_int("adminreent",
				 "SELECT count(*) FROM allowed"), 1);
	lockout_store_close(&store);
}
END_TEST

/* --- lockoutd: notifications and exemptions ------------------------------ */

START_TEST(test_unnotified_bans)
{
	struct lockout_store *store = store_open_ok("notify",
		LOCKOUT_STORE_FLAG_CREATE);
	struct lockout_ban ban = ban_make("192.0.2.1", 1000, 2000);
	struct ban_list list = { 0, 0, { { 0 } } };
	const char *error = NULL;
	int64_t ids[4];

	ids[0] = add_ban_ok(store, &ban);
	ban.target = "192.0.2.2";
	ban.lifted = 1500;
	ids[1] = add_ban_ok(store, &ban);
	ban.target = "alice@example.org";
	ban.kind = LOCKOUT_KIND_USER;
	ban.lifted = 0;
	ban.expires = 0;
	ids[2] = add_ban_ok(store, &ban);
	ban.target = "192.0.2.3";
	ban.kind = LOCKOUT_KIND_IP;
	ban.observed = true;
	ids[3] = add_ban_ok(store, &ban);

	/* all kinds and states, by id, up to the limit */
	ck_assert_int_eq(lockout_store_iter_unnotified_bans(store, 100,
		ban_list_add, &list, &error), 0);
	ck_assert_uint_eq(list.count, 4);
	ck_assert_str_eq(list.bans[0].target, "192.0.2.1");
	ck_assert_int_eq(list.bans[1].lifted, 1500);
	ck_assert_int_eq(list.bans[2].kind, LOCKOUT_KIND_USER);
	ck_assert(list.bans[3].observed);
	ban_list_free(&list);
	ck_assert_int_eq(lockout_store_iter_unnotified_bans(store, 2,
		ban_list_add, &list, &error), 0);
	ck_assert_uint_eq(list.count, 2);
	ban_list_free(&list);
	ck_assert_int_eq(lockout_store_iter_unnotified_bans(store, 0,
		ban_list_add, &list, &error), 0);
	ck_assert_uint_eq(list.count, 0);

	/* marked ones are gone; unknown ids are fine */
	ck_assert_int_eq(lockout_store_begin(store, &error), 0);
	ck_assert_int_eq(lockout_store_mark_bans_notified(store, ids, 2,
							  &error), 0);
	ids[0] = 999;
	ck_assert_int_eq(lockout_store_mark_bans_notified(store, ids, 1,
							  &error), 0);
	ck_assert_int_eq(lockout_store_commit(store, &error), 0);
	ck_assert_int_eq(lockout_store_iter_unnotified_bans(store, 100,
		ban_list_add, &list, &error), 0);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_str_eq(list.bans[0].target, "alice@example.org");
	ck_assert_int_eq(list.bans[0].id, ids[2]);
	ban_list_free(&list);
	/* a stopping callback's value comes back */
	list.stop_after = 1;
	ck_assert_int_eq(lockout_store_iter_unnotified_bans(store, 100,
		ban_list_add, &list, &error), 42);
	ban_list_free(&list);
	lockout_store_close(&store);
	ck_assert_int_eq(raw_int("notify", "SELECT count(*) FROM bans "
				 "WHERE notified = 1"), 2);
}
END_TEST

struct event_list {
	unsigned int count;
	int64_t ids[MAX_LISTED];
	char text[MAX_LISTED][128];
};

static int event_list_add(const struct lockout_event *event, void *context)
{
	struct event_list *list = context;

	ck_assert_uint_lt(list->count, MAX_LISTED);
	list->ids[list->count] = event->id;
	snprintf(list->text[list->count], sizeof(list->text[0]),
		 "%lld %s [%s] [%s] %s", (long long)event->time, event->kind,
		 event->ip, event->user, event->detail);
	list->count++;
	return 0;
}

START_TEST(test_unnotified_events)
{
	struct lockout_store *store = store_open_ok("events",
		LOCKOUT_STORE_FLAG_CREATE);
	struct event_list list;
	const char *error = NULL;

	lockout_store_close(&store);
	raw_exec("events",
		"INSERT INTO events (time, kind, ip, user, detail) VALUES "
		"(100, 'stale_client', '192.0.2.1', 'bob', '{\"n\":3}');"
		"INSERT INTO events (time, kind) VALUES (101, 'protected');"
		/* invalid rows, skipped */
		"INSERT INTO events (time, kind, user) VALUES "
		"(102, 'x', CAST('a' || char(0) || 'b' AS BLOB));"
		"INSERT INTO events (time, kind, user) VALUES "
		"(103, 'x', printf('%.300c', 'u'));"
		"INSERT INTO events (time, kind) VALUES "
		"(104, printf('%.256c', 'k'));"
		"INSERT INTO events (time, kind) VALUES (0, 'x');"
		"INSERT INTO events (time, kind, notified) VALUES "
		"(105, 'success_after_failures', 1);");
	store = store_open_ok("events", 0);
	memset(&list, 0, sizeof(list));
	ck_assert_int_eq(lockout_store_iter_unnotified_events(store, 100,
		event_list_add, &list, &error), 0);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_str_eq(list.text[0],
			 "100 stale_client [192.0.2.1] [bob] {\"n\":3}");
	ck_assert_str_eq(list.text[1], "101 protected [] [] {}");
	ck_assert_uint_eq(lockout_store_skipped_rows(store), 4);

	ck_assert_int_eq(lockout_store_mark_events_notified(store, list.ids,
							    1, &error), 0);
	memset(&list, 0, sizeof(list));
	ck_assert_int_eq(lockout_store_iter_unnotified_events(store, 1,
		event_list_add, &list, &error), 0);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_str_eq(list.text[0], "101 protected [] [] {}");
	lockout_store_close(&store);

	/* read-only stores cannot mark */
	store = store_open_ok("events", LOCKOUT_STORE_FLAG_READONLY);
	ck_assert_int_eq(lockout_store_mark_events_notified(store, list.ids,
							    1, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "read-only"));
	lockout_store_close(&store);
}
END_TEST

struct net_list {
	unsigned int count;
	char nets[MAX_LISTED][64];
};

static int net_list_add(const char *network, void *context)
{
	struct net_list *list = context;

	ck_assert_uint_lt(list->count, MAX_LISTED);
	snprintf(list->nets[list->count++], sizeof(list->nets[0]), "%s",
		 network);
	return 0;
}

static int exempt_allowed_add(const char *network, const char *reason,
			    int64_t created, void *context)
{
	ck_assert_ptr_nonnull(reason);
	ck_assert_int_gt(created, 0);
	return net_list_add(network, context);
}

static int device_list_add(const char *user, const char *network,
			   int64_t first_seen, int64_t last_seen,
			   void *context)
{
	ck_assert_ptr_nonnull(user);
	ck_assert_int_le(first_seen, last_seen);
	return net_list_add(network, context);
}

START_TEST(test_allowed_and_known)
{
	struct lockout_store *store = store_open_ok("exempt",
		LOCKOUT_STORE_FLAG_CREATE);
	struct net_list list;
	const char *error = NULL;

	lockout_store_close(&store);
	raw_exec("exempt",
		"INSERT INTO allowed (network, created) VALUES "
		"('198.51.100.0/24', 1), ('192.0.2.9', 2),"
		"(CAST('10.0.0.1' AS BLOB), 3);"
		"INSERT INTO known_devices VALUES "
		"('alice', '192.0.2.1', 10, 500),"
		"('bob', '192.0.2.1', 10, 600),"
		"('carol', '2001:db8:1:2::/64', 10, 400),"
		"('dave', '203.0.113.7', 10, 399);");
	store = store_open_ok("exempt", LOCKOUT_STORE_FLAG_READONLY);
	memset(&list, 0, sizeof(list));
	ck_assert_int_eq(lockout_store_iter_allowed(store, exempt_allowed_add,
						    &list, &error), 0);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_str_eq(list.nets[0], "192.0.2.9");
	ck_assert_str_eq(list.nets[1], "198.51.100.0/24");
	ck_assert_uint_eq(lockout_store_skipped_rows(store), 1);

	/* devices seen at or after since, most recent first, up to limit */
	memset(&list, 0, sizeof(list));
	ck_assert_int_eq(lockout_store_iter_known_devices(store, 400, 100,
		device_list_add, &list, &error), 0);
	ck_assert_uint_eq(list.count, 3);
	ck_assert_str_eq(list.nets[0], "192.0.2.1");
	ck_assert_str_eq(list.nets[1], "192.0.2.1");
	ck_assert_str_eq(list.nets[2], "2001:db8:1:2::/64");
	memset(&list, 0, sizeof(list));
	ck_assert_int_eq(lockout_store_iter_known_devices(store, 400, 1,
		device_list_add, &list, &error), 0);
	ck_assert_uint_eq(list.count, 1);
	memset(&list, 0, sizeof(list));
	ck_assert_int_eq(lockout_store_iter_known_devices(store, 601, 100,
		device_list_add, &list, &error), 0);
	ck_assert_uint_eq(list.count, 0);
	lockout_store_close(&store);
}
END_TEST

/* --- main --------------------------------------------------------------- */

static Suite *store_suite(void)
{
	Suite *s = suite_create("lockout-store");
	TCase *tc;

	tc = tcase_create("names");
	tcase_add_test(tc, test_kind_source_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("open");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_create_reopen);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_migrate_empty_file);
	tcase_add_test(tc, test_newer_version_refused);
	tcase_add_test(tc, test_foreign_database_refused);
	tcase_add_test(tc, test_corrupt_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("bans");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_iter_active_all);
	tcase_add_test(tc, test_lift_and_count);
	tcase_add_loop_test(tc, test_ban_validation, 0,
			    N_ELEMENTS(ban_invalid));
	tcase_add_test(tc, test_ban_limits_accepted);
	tcase_add_test(tc, test_hostile_strings);
	tcase_add_test(tc, test_bad_rows_skipped);
	suite_add_tcase(s, tc);

	tc = tcase_create("concurrency");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_transactions);
	tcase_add_test(tc, test_reentrant_callback);
	tcase_add_test(tc, test_changed);
	tcase_add_test(tc, test_busy);
	tcase_add_test(tc, test_readonly);
	suite_add_tcase(s, tc);

	tc = tcase_create("history");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_top, 0, N_ELEMENTS(top_cases));
	tcase_add_test(tc, test_failures_errors);
	tcase_add_test(tc, test_prune);
	tcase_add_test(tc, test_prune_tables);
	suite_add_tcase(s, tc);

	tc = tcase_create("admin");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_iter_target);
	tcase_add_test(tc, test_allowed);
	tcase_add_loop_test(tc, test_iter_failures, 0,
			    N_ELEMENTS(failure_iter_cases));
	tcase_add_test(tc, test_iter_failures_errors);
	tcase_add_test(tc, test_known_devices);
	tcase_add_test(tc, test_counts);
	tcase_add_test(tc, test_admin_reentrant);
	suite_add_tcase(s, tc);
	tc = tcase_create("lockoutd");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_unnotified_bans);
	tcase_add_test(tc, test_unnotified_events);
	tcase_add_test(tc, test_allowed_and_known);
	suite_add_tcase(s, tc);
	return s;
}

static void remove_test_dir(void)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dir;

	dir = opendir(test_dir);
	if (dir == NULL)
		return;
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", test_dir, d->d_name);
		(void)unlink(path);
	}
	(void)closedir(dir);
	(void)rmdir(test_dir);
}

int main(void)
{
	SRunner *sr;
	int failed;

	snprintf(test_dir, sizeof(test_dir), "/tmp/test-store.XXXXXX");
	if (mkdtemp(test_dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	sr = srunner_create(store_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	remove_test_dir();
	return failed == 0 ? 0 : 1;
}
