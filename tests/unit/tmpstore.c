/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "tmpstore.h"
#include "pgcluster.h"

#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

static char tmpstore_dir[64];
enum lockout_db_driver test_tmpstore_driver = LOCKOUT_DB_DRIVER_SQLITE;

static void test_tmpstore_init(const char *prefix)
{
	snprintf(tmpstore_dir, sizeof(tmpstore_dir), "/tmp/%s.XXXXXX",
		 prefix);
	if (mkdtemp(tmpstore_dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
}

static void test_tmpstore_deinit(void)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dir;

	dir = opendir(tmpstore_dir);
	if (dir == NULL)
		return;
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpstore_dir, d->d_name);
		(void)unlink(path);
	}
	(void)closedir(dir);
	(void)rmdir(tmpstore_dir);
}

const char *test_tmpstore_path(const char *name)
{
	static char path[PATH_MAX];

	if (test_tmpstore_driver == LOCKOUT_DB_DRIVER_PGSQL)
		return pgcluster_conninfo(name);
	snprintf(path, sizeof(path), "%s/%s.db", tmpstore_dir, name);
	return path;
}

struct lockout_store *test_tmpstore_open(const char *name)
{
	struct lockout_store *store;
	const char *error = NULL;

	if (test_tmpstore_driver == LOCKOUT_DB_DRIVER_PGSQL)
		pgcluster_create_db(name, false);
	/* a short busy timeout: the busy tests hold a lock on purpose */
	if (lockout_store_open_db(test_tmpstore_driver,
				  test_tmpstore_path(name),
				  LOCKOUT_STORE_FLAG_CREATE, 50, &store,
				  &error) < 0)
		ck_abort_msg("open %s failed: %s", name, error);
	return store;
}

void test_tmpstore_exec(const char *name, const char *sql)
{
	char *error = NULL;
	PGconn *conn;
	PGresult *res;
	sqlite3 *db;

	if (test_tmpstore_driver == LOCKOUT_DB_DRIVER_PGSQL) {
		conn = PQconnectdb(pgcluster_conninfo(name));
		res = PQexec(conn, sql);
		ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK,
			      "%s: %s", sql, PQerrorMessage(conn));
		PQclear(res);
		PQfinish(conn);
		return;
	}
	ck_assert_int_eq(sqlite3_open(test_tmpstore_path(name), &db),
			 SQLITE_OK);
	ck_assert_int_eq(lockout_store_sqlite_register(db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &error) == SQLITE_OK,
		      "%s: %s", sql, error);
	sqlite3_close(db);
}

/* Run the suite of the current driver; the number of failed tests. */
static int test_tmpstore_pass(Suite *(*make_suite)(void))
{
	SRunner *sr;
	int failed;

	sr = srunner_create(make_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed;
}

int test_tmpstore_run(Suite *(*make_suite)(void), const char *prefix)
{
	int failed, ret;

	test_tmpstore_init(prefix);
	failed = test_tmpstore_pass(make_suite);
	test_tmpstore_deinit();

	ret = pgcluster_start(prefix, pgcluster_store_template);
	if (ret < 0)
		failed++;
	else if (ret == 0) {
		test_tmpstore_driver = LOCKOUT_DB_DRIVER_PGSQL;
		printf("with PostgreSQL:\n");
		failed += test_tmpstore_pass(make_suite);
		pgcluster_remove();
		test_tmpstore_driver = LOCKOUT_DB_DRIVER_SQLITE;
	}
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
