/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* nftw() */
#define _XOPEN_SOURCE 700
#include "store-test-common.h"
#include "pgcluster.h"

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>
#include <libpq-fe.h>

static char test_dir[64];
enum lockout_db_driver store_test_driver = LOCKOUT_DB_DRIVER_SQLITE;

const char *test_path(const char *name)
{
	static char path[PATH_MAX];

	if (store_test_driver == LOCKOUT_DB_DRIVER_PGSQL)
		return pgcluster_conninfo(name);
	snprintf(path, sizeof(path), "%s/%s.db", test_dir, name);
	return path;
}

struct lockout_store *store_open_busy(const char *name, unsigned int flags,
				      unsigned int busy_timeout_msecs)
{
	struct lockout_store *store;
	const char *error = NULL;

	if (store_test_driver == LOCKOUT_DB_DRIVER_PGSQL &&
	    (flags & LOCKOUT_STORE_FLAG_CREATE) != 0)
		pgcluster_create_db(name, false);
	if (lockout_store_open_db(store_test_driver, test_path(name), flags,
				  busy_timeout_msecs, &store, &error) < 0)
		ck_abort_msg("open %s failed: %s", name, error);
	ck_assert_ptr_nonnull(store);
	return store;
}

struct lockout_store *store_open_ok(const char *name, unsigned int flags)
{
	return store_open_busy(name, flags, 1000);
}

void store_open_fails(const char *name, unsigned int flags,
		      const char *expect)
{
	struct lockout_store *store = (void *)1;
	const char *error = NULL, *label;

	ck_assert_int_eq(lockout_store_open_db(store_test_driver,
					       test_path(name), flags, 1000,
					       &store, &error), -1);
	ck_assert_ptr_null(store);
	ck_assert_ptr_nonnull(error);
	ck_assert_msg(strstr(error, expect) != NULL,
		      "error '%s' lacks '%s'", error, expect);
	label = store_test_driver == LOCKOUT_DB_DRIVER_PGSQL ?
		pgcluster_label(name) : test_path(name);
	ck_assert_msg(strstr(error, label) != NULL,
		      "error '%s' does not name the path", error);
}

struct lockout_ban ban_make(const char *target, int64_t created,
			    int64_t expires)
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

int64_t add_ban_ok(struct lockout_store *store, const struct lockout_ban *ban)
{
	const char *error = NULL;
	int64_t id = 0;

	if (lockout_store_add_ban(store, ban, &id, &error) < 0)
		ck_abort_msg("add_ban failed: %s", error);
	ck_assert_int_gt(id, 0);
	return id;
}

void lift_ok(struct lockout_store *store, const char *target, int64_t now,
	     unsigned int expect)
{
	const char *error = NULL;
	unsigned int count = UINT_MAX;

	ck_assert_int_eq(lockout_store_lift(store, target, now, &count,
					    &error), 0);
	ck_assert_uint_eq(count, expect);
}

void ban_assert_equal(const struct lockout_ban *got,
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

static char *xstrdup(const char *s)
{
	char *copy = strdup(s);

	ck_assert_ptr_nonnull(copy);
	return copy;
}

int ban_list_add(const struct lockout_ban *ban, void *context)
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

void ban_list_free(struct ban_list *list)
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

void ban_list_fill(struct lockout_store *store, int64_t now,
		   unsigned int flags, struct ban_list *list)
{
	const char *error = NULL;

	ban_list_free(list);
	if (lockout_store_iter_bans(store, now, flags, ban_list_add, list,
				    &error) != 0)
		ck_abort_msg("iter_bans failed: %s", error);
}

/* --- direct access on PostgreSQL ----------------------------------------- */

/* Run sql on a new connection to name; the result is a success. */
static PGresult *raw_pg(const char *name, const char *sql, PGconn **conn_r)
{
	PGconn *conn = PQconnectdb(pgcluster_conninfo(name));
	PGresult *res;

	if (PQstatus(conn) != CONNECTION_OK)
		ck_abort_msg("raw connect %s: %s", name, PQerrorMessage(conn));
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		ck_abort_msg("raw exec '%s': %s", sql, PQerrorMessage(conn));
	*conn_r = conn;
	return res;
}

/* The first column of the first row of sql, into buf. */
static void raw_pg_value(const char *name, const char *sql, char *buf,
			 size_t size)
{
	PGconn *conn;
	PGresult *res = raw_pg(name, sql, &conn);

	ck_assert_int_ge(PQntuples(res), 1);
	snprintf(buf, size, "%s", PQgetisnull(res, 0, 0) ? "(null)" :
		 PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(conn);
}

static sqlite3 *raw_open(const char *name)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(test_path(name), &db), SQLITE_OK);
	ck_assert_int_eq(lockout_store_sqlite_register(db), SQLITE_OK);
	return db;
}

void raw_exec(const char *name, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	if (store_test_driver == LOCKOUT_DB_DRIVER_PGSQL) {
		PGconn *conn;

		PQclear(raw_pg(name, sql, &conn));
		PQfinish(conn);
		return;
	}
	db = raw_open(name);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		ck_abort_msg("raw exec '%s': %s", sql, msg);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}

void raw_create(const char *name, const char *sql)
{
	struct lockout_store *store;

	store = store_open_ok(name, LOCKOUT_STORE_FLAG_CREATE);
	lockout_store_close(&store);
	raw_exec(name, sql);
}

/* Prepare sql on a new connection and step it to its first row. */
static sqlite3_stmt *raw_first_row(const char *name, const char *sql)
{
	sqlite3 *db = raw_open(name);
	sqlite3_stmt *stmt;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	return stmt;
}

/* Finalize a statement of raw_first_row() and close its connection. */
static void raw_done(sqlite3_stmt *stmt)
{
	sqlite3 *db = sqlite3_db_handle(stmt);

	ck_assert_int_eq(sqlite3_finalize(stmt), SQLITE_OK);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}

const char *raw_sql(const char *sqlite_sql, const char *pg_sql)
{
	return store_test_driver == LOCKOUT_DB_DRIVER_PGSQL ? pg_sql :
		sqlite_sql;
}

int64_t raw_int(const char *name, const char *sql)
{
	sqlite3_stmt *stmt;
	int64_t value;
	char buf[32];

	if (store_test_driver == LOCKOUT_DB_DRIVER_PGSQL) {
		raw_pg_value(name, sql, buf, sizeof(buf));
		return strtoll(buf, NULL, 10);
	}
	stmt = raw_first_row(name, sql);
	value = sqlite3_column_int64(stmt, 0);
	raw_done(stmt);
	return value;
}

void raw_text(const char *name, const char *sql, char *buf, size_t size)
{
	sqlite3_stmt *stmt;

	if (store_test_driver == LOCKOUT_DB_DRIVER_PGSQL) {
		raw_pg_value(name, sql, buf, size);
		return;
	}
	stmt = raw_first_row(name, sql);
	snprintf(buf, size, "%s", (const char *)sqlite3_column_text(stmt, 0));
	raw_done(stmt);
}

char *raw_rows_text(const char *name, const char *sql)
{
	sqlite3 *db = raw_open(name);
	sqlite3_stmt *stmt;
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	int i, rc;

	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL),
			 SQLITE_OK);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		for (i = 0; i < sqlite3_column_count(stmt); i++) {
			fprintf(out, "%s%s", i == 0 ? "" : "|",
				(const char *)sqlite3_column_text(stmt, i));
		}
		fputc('\n', out);
	}
	ck_assert_int_eq(rc, SQLITE_DONE);
	ck_assert_int_eq(fclose(out), 0);
	ck_assert_int_eq(sqlite3_finalize(stmt), SQLITE_OK);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	return text;
}

/* --- test data ------------------------------------------------------------ */

char long_target[LOCKOUT_BAN_TARGET_MAX + 2];
char long_reason[LOCKOUT_BAN_REASON_MAX + 2];
char long_rule[LOCKOUT_BAN_RULE_MAX + 2];
char long_evidence[LOCKOUT_BAN_EVIDENCE_MAX + 2];

void make_long_strings(void)
{
	memset(long_target, 'a', sizeof(long_target) - 1);
	memset(long_reason, 'r', sizeof(long_reason) - 1);
	memset(long_rule, 'u', sizeof(long_rule) - 1);
	memset(long_evidence, 'e', sizeof(long_evidence) - 1);
}

struct lockout_ban ban_at_limits(void)
{
	struct lockout_ban ban = ban_make("x", 1, 2);

	make_long_strings();
	long_target[LOCKOUT_BAN_TARGET_MAX] = '\0';
	long_reason[LOCKOUT_BAN_REASON_MAX] = '\0';
	long_rule[LOCKOUT_BAN_RULE_MAX] = '\0';
	long_evidence[LOCKOUT_BAN_EVIDENCE_MAX] = '\0';
	ban.target = long_target;
	ban.reason = long_reason;
	ban.rule = long_rule;
	ban.evidence = long_evidence;
	return ban;
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

const struct ban_invalid_case ban_invalid[BAN_INVALID_COUNT] = {
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

const struct lockout_failure history[HISTORY_COUNT] = {
	{ 100, "192.0.2.1", "alice", "imap", "PLAIN", "mismatch", 3, 0 },
	{ 110, "192.0.2.2", "alice", "imap", "PLAIN", "mismatch", 2, 0 },
	{ 120, "192.0.2.1", "bob", "pop3", "LOGIN", "unknown_user", 1, 0 },
	{ 50, "192.0.2.3", "carol", "smtp", "PLAIN", "mismatch", 10, 0 },
	{ 130, "192.0.2.3", NULL, "imap", NULL, "refused", 4, 0 },
	{ 140, "192.0.2.2", "", "imap", "PLAIN", "mismatch", 1, 0 },
};

struct lockout_store *store_open_history(const char *prefix, int i)
{
	struct lockout_store *store;
	const char *error = NULL;
	char name[32];

	snprintf(name, sizeof(name), "%s%d", prefix, i);
	store = store_open_ok(name, LOCKOUT_STORE_FLAG_CREATE);
	ck_assert_int_eq(lockout_store_begin(store, &error), 0);
	if (lockout_store_add_failures(store, history, HISTORY_COUNT,
				       &error) < 0)
		ck_abort_msg("add_failures: %s", error);
	ck_assert_int_eq(lockout_store_commit(store, &error), 0);
	return store;
}

/* --- the suite and main() ------------------------------------------------ */

#define STORE_TESTS_MAX 64

static struct {
	const char *tcase_name;
	store_test_t test;
	int loop_end;
	unsigned int drivers;
} store_tests[STORE_TESTS_MAX];
static unsigned int store_tests_count;

void store_test_add(const char *tcase_name, store_test_t test, int loop_end,
		    unsigned int drivers)
{
	if (store_tests_count == STORE_TESTS_MAX) {
		fprintf(stderr, "more than %d tests: raise STORE_TESTS_MAX\n",
			STORE_TESTS_MAX);
		abort();
	}
	store_tests[store_tests_count].tcase_name = tcase_name;
	store_tests[store_tests_count].test = test;
	store_tests[store_tests_count].loop_end = loop_end;
	store_tests[store_tests_count].drivers = drivers;
	store_tests_count++;
}

/* The suite of the tests of the pass of drivers (one of them). */
static Suite *store_suite(const char *name, unsigned int drivers)
{
	Suite *s = suite_create(name);
	TCase *tc = NULL;
	const char *tc_name = "";
	unsigned int i;

	for (i = 0; i < store_tests_count; i++) {
		if ((store_tests[i].drivers & drivers) == 0)
			continue;
		if (tc == NULL ||
		    strcmp(tc_name, store_tests[i].tcase_name) != 0) {
			tc_name = store_tests[i].tcase_name;
			tc = tcase_create(tc_name);
			tcase_set_timeout(tc, 30);
			suite_add_tcase(s, tc);
		}
		if (store_tests[i].loop_end > 0) {
			tcase_add_loop_test(tc, store_tests[i].test, 0,
					    store_tests[i].loop_end);
		} else {
			tcase_add_test(tc, store_tests[i].test);
		}
	}
	return s;
}

/* nftw() callback: remove what it walks over, the directory last. */
static int remove_entry(const char *path, const struct stat *st ATTR_UNUSED,
			int type ATTR_UNUSED, struct FTW *ftw ATTR_UNUSED)
{
	(void)remove(path);
	return 0;
}

/* Number of tests registered for a pass of drivers */
static unsigned int store_tests_for(unsigned int drivers)
{
	unsigned int i, count = 0;

	for (i = 0; i < store_tests_count; i++) {
		if ((store_tests[i].drivers & drivers) != 0)
			count++;
	}
	return count;
}

/* The PostgreSQL pass: -1 if the cluster cannot start. */
static int store_run_pgsql(const char *name)
{
	char suite_name[128];
	SRunner *sr;
	int ret, failed;

	if (store_tests_for(STORE_DRIVERS_PGSQL) == 0)
		return 0;
	ret = pgcluster_start(name, pgcluster_store_template);
	if (ret > 0) {
		/* no server installed: said on stderr */
		return 0;
	}
	if (ret < 0)
		return -1;
	store_test_driver = LOCKOUT_DB_DRIVER_PGSQL;
	snprintf(suite_name, sizeof(suite_name), "%s (pgsql)", name);
	sr = srunner_create(store_suite(suite_name, STORE_DRIVERS_PGSQL));
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	pgcluster_remove();
	store_test_driver = LOCKOUT_DB_DRIVER_SQLITE;
	return failed;
}

int main(int argc ATTR_UNUSED, char *argv[])
{
	static const char template[] = "/tmp/test-store.XXXXXX";
	const char *name = strrchr(argv[0], '/');
	SRunner *sr;
	int failed = 0, pg_failed;

	if (store_tests_count == 0) {
		fprintf(stderr, "%s: no test registered\n", argv[0]);
		return 1;
	}
	memcpy(test_dir, template, sizeof(template));
	if (mkdtemp(test_dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	name = name == NULL ? argv[0] : name + 1;
	if (store_tests_for(STORE_DRIVERS_SQLITE) > 0) {
		sr = srunner_create(store_suite(name, STORE_DRIVERS_SQLITE));
		srunner_run_all(sr, CK_NORMAL);
		failed = srunner_ntests_failed(sr);
		srunner_free(sr);
	}
	(void)nftw(test_dir, remove_entry, 4, FTW_DEPTH | FTW_PHYS);
	pg_failed = store_run_pgsql(name);
	return failed == 0 && pg_failed == 0 ? 0 : 1;
}
