/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The PostgreSQL driver's own behaviour, against the private cluster of
   store-test-common's PostgreSQL pass: the translation of the queries,
   change notifications between connections, busy errors, a server going
   away, the schema created by several connections at once, the refusals at
   open; and what both drivers share that is new with it (nodes, the
   failures since an id, long iterations written to meanwhile). */
#include "store-test-common.h"
#include "pgcluster.h"
#include "lockout-store-private.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* --- translation (pure) ---------------------------------------------------- */

static const struct {
	const char *sqlite, *pg;
} translate_cases[] = {
	{ "SELECT a FROM t INDEXED BY idx WHERE x = ?1 AND y = ?2",
	  "SELECT a FROM t WHERE x = $1 AND y = $2" },
	{ "SELECT a FROM t NOT INDEXED WHERE x >= ?1",
	  "SELECT a FROM t WHERE x >= $1" },
	/* anonymous parameters after ?1, numbered as SQLite does */
	{ "x > ?1 AND t IN (?,?,?)", "x > $1 AND t IN ($2,$3,$4)" },
	{ "?3 = ? OR ?2 = ?", "$3 = $4 OR $2 = $5" },
	{ "?10, ?11", "$10, $11" },
	/* literals and quoted identifiers are left alone */
	{ "'?1' \"a?\" ?3 ?", "'?1' \"a?\" $3 $4" },
	{ "x = 'it''s ?' AND \"user\" = ?1", "x = 'it''s ?' AND \"user\" = $1" },
	{ "'INDEXED BY x' NOT_INDEXED notindexed",
	  "'INDEXED BY x' NOT_INDEXED notindexed" },
	{ "", "" },
};

START_TEST(test_translate)
{
	char buf[256];
	int len;

	len = store_pg_translate(translate_cases[_i].sqlite, buf, sizeof(buf));
	ck_assert_int_eq(len, (int)strlen(translate_cases[_i].pg));
	ck_assert_str_eq(buf, translate_cases[_i].pg);
	/* one byte short of the result and its NUL */
	if (len > 0) {
		ck_assert_int_eq(store_pg_translate(translate_cases[_i].sqlite,
						    buf, (size_t)len), -1);
	}
}
STORE_END_TEST_ON("translate", test_translate, N_ELEMENTS(translate_cases),
		  STORE_DRIVERS_SQLITE)

START_TEST(test_translate_errors)
{
	char buf[64];

	/* an unterminated literal, ?0, a parameter beyond 65535 */
	ck_assert_int_eq(store_pg_translate("x = 'abc", buf, sizeof(buf)), -1);
	ck_assert_int_eq(store_pg_translate("x = ?0", buf, sizeof(buf)), -1);
	ck_assert_int_eq(store_pg_translate("x = ?70000", buf, sizeof(buf)),
			 -1);
	ck_assert_int_eq(store_pg_translate("x", buf, 0), -1);
}
STORE_END_TEST_ON("translate", test_translate_errors, 0,
		  STORE_DRIVERS_SQLITE)

/* --- change notifications ------------------------------------------------- */

static int64_t now_msecs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* lockout_store_changed() of store after waiting up to msecs on its socket
   for the first value that is not 0 (or the last 0). */
static int changed_within(struct lockout_store *store, int msecs)
{
	int64_t deadline = now_msecs() + msecs;
	struct pollfd pfd;
	const char *error = NULL;
	int ret;

	for (;;) {
		ret = lockout_store_changed(store, &error);
		ck_assert_msg(ret >= 0, "changed: %s", error);
		if (ret != 0 || now_msecs() >= deadline)
			return ret;
		pfd.fd = lockout_store_fd(store);
		pfd.events = POLLIN;
		ck_assert_int_ge(pfd.fd, 0);
		(void)poll(&pfd, 1, (int)(deadline - now_msecs()));
	}
}

START_TEST(test_pg_notify)
{
	static const struct lockout_failure row = {
		.time = 100, .ip = "192.0.2.1", .count = 1
	};
	struct lockout_store *a, *b;
	struct lockout_ban ban = ban_make("192.0.2.1", 100, 0);
	const char *error = NULL;
	int64_t start, id;
	size_t claimed = 0;

	a = store_open_ok("notify", LOCKOUT_STORE_FLAG_CREATE);
	b = store_open_ok("notify", 0);
	ck_assert_int_eq(changed_within(a, 0), 0);

	/* another connection's commit: seen well within a second */
	start = now_msecs();
	id = add_ban_ok(b, &ban);
	ck_assert_int_eq(changed_within(a, 2000), 1);
	ck_assert_int_lt(now_msecs() - start, 1000);
	/* once; the writer does not see its own */
	ck_assert_int_eq(changed_within(a, 0), 0);
	ck_assert_int_eq(changed_within(b, 200), 0);

	/* at commit, not before */
	ck_assert_int_eq(lockout_store_begin(b, &error), 0);
	lift_ok(b, "192.0.2.1", 150, 1);
	ck_assert_int_eq(changed_within(a, 200), 0);
	ck_assert_int_eq(lockout_store_commit(b, &error), 0);
	ck_assert_int_eq(changed_within(a, 2000), 1);

	/* allowed networks too; a rolled back change is none */
	ck_assert_int_eq(lockout_store_add_allowed(b, "10.0.0.0/8", "x", 1,
						   NULL, &error), 0);
	ck_assert_int_eq(changed_within(a, 2000), 1);
	ck_assert_int_eq(lockout_store_begin(b, &error), 0);
	ck_assert_int_eq(lockout_store_add_allowed(b, "10.1.0.0/16", "x", 1,
						   NULL, &error), 0);
	lockout_store_rollback(b);
	ck_assert_int_eq(changed_within(a, 200), 0);
	/* nor are lockoutd's marks */
	ck_assert_int_eq(lockout_store_claim_bans_notified(b, &id, 1, &claimed,
							   &error), 0);
	ck_assert_uint_eq(claimed, 1);
	ck_assert_int_eq(raw_int("notify", "SELECT notified FROM bans"), 1);
	ck_assert_int_eq(changed_within(a, 200), 0);
	/* the failure history is no change of the bans */
	ck_assert_int_eq(lockout_store_add_failures(b, &row, 1, &error), 0);
	ck_assert_int_eq(changed_within(a, 200), 0);
	ck_assert_int_eq(changed_within(b, 0), 0);
	lockout_store_close(&a);
	lockout_store_close(&b);
}
STORE_END_TEST_ON("pgsql", test_pg_notify, 0, STORE_DRIVERS_PGSQL)

/* --- busy ----------------------------------------------------------------- */

START_TEST(test_pg_busy)
{
	struct lockout_store *a, *b;
	struct lockout_ban ban = ban_make("192.0.2.2", 100, 0);
	unsigned int count = 0;
	const char *error = NULL;

	/* busy timeout 0 stands for "do not wait" (1 ms) */
	a = store_open_ok("busy", LOCKOUT_STORE_FLAG_CREATE);
	b = store_open_busy("busy", 0, _i == 0 ? 50 : 0);
	add_ban_ok(a, &ban);
	ck_assert_int_eq(lockout_store_begin(a, &error), 0);
	lift_ok(a, "192.0.2.2", 150, 1);
	/* the row is locked by a's transaction */
	ck_assert_int_eq(lockout_store_lift(b, "192.0.2.2", 150, &count,
					    &error), -1);
	ck_assert_msg(strstr(error, "database is busy") != NULL,
		      "error: %s", error);
	ck_assert(lockout_store_error_is_busy(b));
	/* other rows are not */
	ck_assert_int_eq(lockout_store_add_allowed(b, "10.0.0.0/8", "x", 1,
						   NULL, &error), 0);
	lockout_store_rollback(a);
	lift_ok(b, "192.0.2.2", 160, 1);
	/* an error that is not busy clears the flag */
	ck_assert_int_eq(lockout_store_commit(b, &error), -1);
	ck_assert(!lockout_store_error_is_busy(b));
	lockout_store_close(&a);
	lockout_store_close(&b);
}
STORE_END_TEST_ON("pgsql", test_pg_busy, 2, STORE_DRIVERS_PGSQL)

/* A statement failing inside a transaction fails the commit, which rolls
   it back (PostgreSQL's COMMIT would say ROLLBACK and no error). */
START_TEST(test_pg_failed_transaction)
{
	struct lockout_store *store;
	struct lockout_ban ban = ban_make("192.0.2.3", 100, 0);
	const char *error = NULL;

	store = store_open_ok("failedtx", LOCKOUT_STORE_FLAG_CREATE);
	/* a row only the server refuses */
	raw_exec("failedtx", "ALTER TABLE bans ADD CONSTRAINT no_x "
		 "CHECK (target <> 'x')");
	ck_assert_int_eq(lockout_store_begin(store, &error), 0);
	add_ban_ok(store, &ban);
	ck_assert_int_eq(lockout_store_begin(store, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "already open"));
	ban.target = "x";
	ck_assert_int_eq(lockout_store_add_ban(store, &ban, NULL, &error), -1);
	ck_assert_int_eq(lockout_store_commit(store, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "rolled back"));
	ck_assert_int_eq(raw_int("failedtx", "SELECT count(*) FROM bans"), 0);
	/* usable again */
	ban.target = "192.0.2.3";
	add_ban_ok(store, &ban);
	lockout_store_close(&store);
}
STORE_END_TEST_ON("pgsql", test_pg_failed_transaction, 0,
		  STORE_DRIVERS_PGSQL)

/* --- the server going away ------------------------------------------------ */

START_TEST(test_pg_restart)
{
	struct lockout_store *store;
	struct lockout_ban ban = ban_make("192.0.2.4", 100, 0);
	struct ban_list list = { 0 };
	const char *error = NULL;

	store = store_open_ok("restart", LOCKOUT_STORE_FLAG_CREATE);
	add_ban_ok(store, &ban);
	ck_assert_int_eq(pgcluster_stop_server(), 0);
	ck_assert_int_eq(lockout_store_add_ban(store, &ban, NULL, &error), -1);
	ck_assert_msg(strstr(error, "connection to the server lost") != NULL ||
		      strstr(error, "terminat") != NULL,
		      "error: %s", error);
	ck_assert_msg(strstr(error, pgcluster_label("restart")) != NULL,
		      "error '%s' does not name the database", error);
	ck_assert(!lockout_store_error_is_busy(store));
	ck_assert_int_eq(lockout_store_changed(store, &error), -1);
	lockout_store_close(&store);
	store_open_fails("restart", 0, "cannot connect");

	ck_assert_int_eq(pgcluster_start_server(), 0);
	store = store_open_ok("restart", 0);
	ban_list_fill(store, 150, 0, &list);
	ck_assert_uint_eq(list.count, 1);
	ban_list_free(&list);
	lockout_store_close(&store);
}
STORE_END_TEST_ON("pgsql", test_pg_restart, 0, STORE_DRIVERS_PGSQL)

/* --- schema --------------------------------------------------------------- */

#define RACE_THREADS 4
struct race {
	pthread_barrier_t barrier;
	const char *conninfo;
	const char *errors[RACE_THREADS];
	int ret[RACE_THREADS];
};
struct race_thread {
	struct race *race;
	unsigned int idx;
};

static void *race_open(void *context)
{
	struct race_thread *t = context;
	struct lockout_store *store;
	const char *error = NULL;
	struct lockout_ban ban = ban_make("192.0.2.5", 100 + t->idx, 0);

	(void)pthread_barrier_wait(&t->race->barrier);
	t->race->ret[t->idx] =
		lockout_store_open_db(LOCKOUT_DB_DRIVER_PGSQL,
				      t->race->conninfo,
				      LOCKOUT_STORE_FLAG_CREATE, 1000, &store,
				      &error);
	if (t->race->ret[t->idx] == 0) {
		t->race->ret[t->idx] =
			lockout_store_add_ban(store, &ban, NULL, &error);
		lockout_store_close(&store);
	}
	/* the error buffer is the thread's: copied before it ends */
	t->race->errors[t->idx] = t->race->ret[t->idx] == 0 ? NULL :
		strdup(error);
	return NULL;
}

/* Several nodes starting at once on an empty database: one creates the
   schema, the others wait for it and use it (threads: the store keeps no
   global state). */
START_TEST(test_pg_concurrent_create)
{
	struct race race;
	struct race_thread threads[RACE_THREADS];
	pthread_t ids[RACE_THREADS];
	unsigned int i;
	char conninfo[256];

	pgcluster_create_db("race", true);
	snprintf(conninfo, sizeof(conninfo), "%s", pgcluster_conninfo("race"));
	memset(&race, 0, sizeof(race));
	race.conninfo = conninfo;
	ck_assert_int_eq(pthread_barrier_init(&race.barrier, NULL,
					      RACE_THREADS), 0);
	for (i = 0; i < RACE_THREADS; i++) {
		threads[i].race = &race;
		threads[i].idx = i;
		ck_assert_int_eq(pthread_create(&ids[i], NULL, race_open,
						&threads[i]), 0);
	}
	for (i = 0; i < RACE_THREADS; i++)
		ck_assert_int_eq(pthread_join(ids[i], NULL), 0);
	(void)pthread_barrier_destroy(&race.barrier);
	for (i = 0; i < RACE_THREADS; i++) {
		ck_assert_msg(race.ret[i] == 0, "thread %u: %s", i,
			      race.errors[i]);
		free((char *)race.errors[i]);
	}
	ck_assert_int_eq(raw_int("race", "SELECT count(*) FROM bans"),
			 RACE_THREADS);
	ck_assert_int_eq(raw_int("race", "SELECT count(*) FROM lockout_meta"),
			 1);
	/* both drivers number their schema alike */
	ck_assert_int_eq(raw_int("race", "SELECT version FROM lockout_meta"),
			 lockout_store_schema_version());
}
STORE_END_TEST_ON("pgsql", test_pg_concurrent_create, 0,
		  STORE_DRIVERS_PGSQL)

START_TEST(test_pg_open_refused)
{
	struct lockout_store *store = (void *)1;
	const char *error = NULL;
	char conninfo[512], newer[96];

	/* empty: created only when asked to, never read-only */
	pgcluster_create_db("empty", true);
	store_open_fails("empty", 0, "has no dovecot-lockout schema");
	store_open_fails("empty", LOCKOUT_STORE_FLAG_READONLY,
			 "has no dovecot-lockout schema");
	store_open_fails("empty", LOCKOUT_STORE_FLAG_READONLY |
			 LOCKOUT_STORE_FLAG_CREATE,
			 "has no dovecot-lockout schema");
	/* somebody else's tables */
	pgcluster_create_db("other", true);
	raw_exec("other", "CREATE TABLE bans (x integer)");
	store_open_fails("other", LOCKOUT_STORE_FLAG_CREATE,
			 "not empty but has no dovecot-lockout schema");
	ck_assert_int_eq(raw_int("other", "SELECT count(*) FROM "
				 "pg_class WHERE relname = 'failures'"), 0);
	/* another application's marker, a newer schema */
	pgcluster_create_db("otherapp", false);
	raw_exec("otherapp", "UPDATE lockout_meta SET application = 'x'");
	store_open_fails("otherapp", LOCKOUT_STORE_FLAG_CREATE,
			 "not a dovecot-lockout database");
	pgcluster_create_db("newer", false);
	snprintf(newer, sizeof(newer), "UPDATE lockout_meta SET version = %d",
		 lockout_store_schema_version() + 1);
	raw_exec("newer", newer);
	store_open_fails("newer", 0, "is newer than");
	/* a database that cannot hold any bytes */
	raw_exec("postgres", "CREATE DATABASE utf8 ENCODING 'UTF8' "
		 "TEMPLATE template0");
	store_open_fails("utf8", LOCKOUT_STORE_FLAG_CREATE, "not SQL_ASCII");
	/* no database: the message names it, never the password */
	store_open_fails("missing", 0, "cannot connect");
	snprintf(conninfo, sizeof(conninfo), "%s password=s3cret",
		 pgcluster_conninfo("missing"));
	ck_assert_int_eq(lockout_store_open_db(LOCKOUT_DB_DRIVER_PGSQL,
					       conninfo, 0, 1000, &store,
					       &error), -1);
	ck_assert_ptr_null(store);
	ck_assert_ptr_null(strstr(error, "s3cret"));
	ck_assert_ptr_nonnull(strstr(error, "dbname=missing"));
	/* an empty connection string is not libpq's defaults */
	ck_assert_int_eq(lockout_store_open_db(LOCKOUT_DB_DRIVER_PGSQL, "",
					       0, 1000, &store, &error), -1);
}
STORE_END_TEST_ON("pgsql", test_pg_open_refused, 0, STORE_DRIVERS_PGSQL)

/* A read-only store (as doveadm opens it) reads and never writes. */
START_TEST(test_pg_readonly)
{
	struct lockout_store *rw, *ro;
	struct lockout_ban ban = ban_make("192.0.2.6", 100, 0);
	struct ban_list list = { 0 };
	const char *error = NULL;

	rw = store_open_ok("readonly", LOCKOUT_STORE_FLAG_CREATE);
	add_ban_ok(rw, &ban);
	ro = store_open_ok("readonly", LOCKOUT_STORE_FLAG_READONLY |
			   LOCKOUT_STORE_FLAG_BULK_READ);
	ban_list_fill(ro, 150, 0, &list);
	ck_assert_uint_eq(list.count, 1);
	ban_list_free(&list);
	ck_assert_int_eq(lockout_store_add_ban(ro, &ban, NULL, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "read-only"));
	ck_assert_int_eq(lockout_store_fd(ro) >= 0, 1);
	lockout_store_close(&ro);
	lockout_store_close(&rw);
}
STORE_END_TEST_ON("pgsql", test_pg_readonly, 0, STORE_DRIVERS_PGSQL)

/* --- both drivers: nodes, long iterations --------------------------------- */

struct since_list {
	unsigned int count;
	int64_t ids[8];
	int64_t times[8];
};

static int since_add(int64_t id, const struct lockout_failure *row,
		     void *context)
{
	struct since_list *list = context;

	ck_assert_uint_lt(list->count, N_ELEMENTS(list->ids));
	list->ids[list->count] = id;
	list->times[list->count++] = row->time;
	return 0;
}

static void since_fill(struct lockout_store *store, int64_t after_id,
		       const char *exclude, unsigned int max,
		       struct since_list *list)
{
	const char *error = NULL;

	memset(list, 0, sizeof(*list));
	ck_assert_msg(lockout_store_iter_failures_since(store, after_id,
							exclude, max,
							since_add, list,
							&error) == 0,
		      "failures since: %s", error);
}

START_TEST(test_failures_since)
{
	static const struct lockout_failure rows[] = {
		{ .time = 100, .ip = "192.0.2.1", .user = "a", .count = 1 },
		{ .time = 101, .ip = "192.0.2.2", .user = "b", .count = 2 },
	};
	struct lockout_failure other = rows[0];
	struct lockout_store *mx1, *mx2;
	struct since_list list;
	const char *error = NULL;

	mx1 = store_open_ok("since", LOCKOUT_STORE_FLAG_CREATE);
	mx2 = store_open_ok("since", 0);
	lockout_store_set_node(mx1, "mx1");
	lockout_store_set_node(mx2, "mx2");
	other.time = 102;
	ck_assert_int_eq(lockout_store_add_failures(mx1, rows, 2, &error), 0);
	ck_assert_int_eq(lockout_store_add_failures(mx2, &other, 1, &error),
			 0);
	/* what mx1 counts of the others */
	since_fill(mx1, 0, "mx1", 100, &list);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_int_eq(list.times[0], 102);
	since_fill(mx1, list.ids[0], "mx1", 100, &list);
	ck_assert_uint_eq(list.count, 0);
	/* all of them, in id order, bounded */
	since_fill(mx2, 0, NULL, 100, &list);
	ck_assert_uint_eq(list.count, 3);
	ck_assert_int_lt(list.ids[0], list.ids[1]);
	ck_assert_int_lt(list.ids[1], list.ids[2]);
	ck_assert_int_eq(list.times[2], 102);
	since_fill(mx2, list.ids[0], NULL, 1, &list);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_int_eq(list.times[0], 101);
	since_fill(mx2, 0, "mx2", 0, &list);
	ck_assert_uint_eq(list.count, 0);
	ck_assert_int_eq(raw_int("since", "SELECT count(*) FROM failures "
				 "WHERE node = 'mx1'"), 2);
	/* no node again: '' */
	lockout_store_set_node(mx1, NULL);
	ck_assert_int_eq(lockout_store_add_failures(mx1, rows, 1, &error), 0);
	ck_assert_int_eq(raw_int("since", "SELECT count(*) FROM failures "
				 "WHERE node = ''"), 1);
	lockout_store_close(&mx1);
	lockout_store_close(&mx2);
}
STORE_END_TEST_ON("nodes", test_failures_since, 0, STORE_DRIVERS_BOTH)

#define LONG_BANS 2500
struct long_iter {
	struct lockout_store *store;
	unsigned int count, lifted;
};

/* Lifts every 1000th ban while the listing goes on. */
static int long_iter_ban(const struct lockout_ban *ban, void *context)
{
	struct long_iter *it = context;
	unsigned int count;
	const char *error = NULL;

	if (it->count++ % 1000 == 999) {
		ck_assert_msg(lockout_store_lift(it->store, ban->target, 5000,
						 &count, &error) == 0,
			      "lift: %s", error);
		it->lifted += count;
	}
	return 0;
}

START_TEST(test_long_iteration)
{
	struct lockout_store *store;
	struct lockout_ban ban;
	struct long_iter it = { NULL, 0, 0 };
	char target[32];
	const char *error = NULL;
	unsigned int i;

	store = store_open_ok("long", LOCKOUT_STORE_FLAG_CREATE);
	ck_assert_int_eq(lockout_store_begin(store, &error), 0);
	for (i = 0; i < LONG_BANS; i++) {
		snprintf(target, sizeof(target), "10.0.%u.%u", i / 250,
			 i % 250);
		ban = ban_make(target, 100 + i, 0);
		add_ban_ok(store, &ban);
	}
	ck_assert_int_eq(lockout_store_commit(store, &error), 0);
	it.store = store;
	ck_assert_int_eq(lockout_store_iter_bans(store, 4000, 0, long_iter_ban,
						 &it, &error), 0);
	ck_assert_uint_eq(it.count, LONG_BANS);
	ck_assert_uint_eq(it.lifted, LONG_BANS / 1000);
	memset(&it, 0, sizeof(it));
	it.store = store;
	ck_assert_int_eq(lockout_store_iter_bans(store, 6000, 0, long_iter_ban,
						 &it, &error), 0);
	ck_assert_uint_eq(it.count, LONG_BANS - LONG_BANS / 1000);
	lockout_store_close(&store);
}
STORE_END_TEST_ON("iterate", test_long_iteration, 0, STORE_DRIVERS_BOTH)

START_TEST(test_store_fd)
{
	struct lockout_store *store;

	store = store_open_ok("fd", LOCKOUT_STORE_FLAG_CREATE);
	if (store_test_driver == LOCKOUT_DB_DRIVER_PGSQL)
		ck_assert_int_ge(lockout_store_fd(store), 0);
	else
		ck_assert_int_eq(lockout_store_fd(store), -1);
	lockout_store_close(&store);
}
STORE_END_TEST_ON("iterate", test_store_fd, 0, STORE_DRIVERS_BOTH)

/* --- both drivers: events and the counts over periods --------------------- */

struct event_list {
	unsigned int count;
	int64_t ids[4];
	char kinds[4][32];
};

static int event_add(const struct lockout_event *event, void *context)
{
	struct event_list *list = context;

	ck_assert_uint_lt(list->count, N_ELEMENTS(list->ids));
	list->ids[list->count] = event->id;
	snprintf(list->kinds[list->count++], sizeof(list->kinds[0]), "%s",
		 event->kind);
	return 0;
}

START_TEST(test_events_and_counts)
{
	static const struct lockout_failure rows[] = {
		{ .time = 100, .ip = "192.0.2.1", .user = "a",
		  .result = "unknown_name", .count = 3 },
		{ .time = 200, .ip = "192.0.2.1", .user = "a",
		  .result = "unknown_name", .count = 4 },
		{ .time = 200, .ip = "192.0.2.2", .user = "b",
		  .result = "refused", .count = 5 },
	};
	struct lockout_event event;
	struct lockout_store *store;
	struct event_list list;
	const char *error = NULL;
	uint64_t alerts, refused, failures;
	size_t claimed = 0;

	store = store_open_ok("events", LOCKOUT_STORE_FLAG_CREATE);
	memset(&event, 0, sizeof(event));
	event.time = 100;
	event.kind = "alert_started";
	ck_assert_int_eq(lockout_store_add_event(store, &event, &error), 0);
	event.time = 200;
	event.kind = "stale_client";
	event.user = "bob";
	ck_assert_int_eq(lockout_store_add_event(store, &event, &error), 0);

	memset(&list, 0, sizeof(list));
	ck_assert_int_eq(lockout_store_iter_unnotified_events(store, 10,
				event_add, &list, &error), 0);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_str_eq(list.kinds[0], "alert_started");
	ck_assert_int_eq(lockout_store_claim_events_notified(store, list.ids,
							     1, &claimed,
							     &error), 0);
	ck_assert_uint_eq(claimed, 1);
	memset(&list, 0, sizeof(list));
	ck_assert_int_eq(lockout_store_iter_unnotified_events(store, 10,
				event_add, &list, &error), 0);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_str_eq(list.kinds[0], "stale_client");

	ck_assert_int_eq(lockout_store_count_alerts(store, 50, &alerts,
						    &error), 0);
	ck_assert_uint_eq(alerts, 1);
	ck_assert_int_eq(lockout_store_count_alerts(store, 150, &alerts,
						    &error), 0);
	ck_assert_uint_eq(alerts, 0);
	ck_assert_int_eq(lockout_store_add_failures(store, rows,
						    N_ELEMENTS(rows), &error),
			 0);
	ck_assert_int_eq(lockout_store_count_unknown_names(store, 150,
							   &refused, &error),
			 0);
	ck_assert_uint_eq(refused, 4);
	ck_assert_int_eq(lockout_store_count_failures(store, 0, &failures,
						      &refused, &error), 0);
	ck_assert_uint_eq(failures, 7);
	ck_assert_uint_eq(refused, 5);
	lockout_store_close(&store);
}
STORE_END_TEST_ON("events", test_events_and_counts, 0, STORE_DRIVERS_BOTH)

/* A batch of failure rows longer than PostgreSQL's multi-row INSERT (32
   rows): all written, in order, with their fields and node. */
#define MANY_FAILURES 70
struct many_seen {
	unsigned int count;
	int64_t last_id;
};

static int many_failure(int64_t id, const struct lockout_failure *row,
			void *context)
{
	struct many_seen *seen = context;
	char ip[32];

	snprintf(ip, sizeof(ip), "192.0.2.%u", seen->count);
	ck_assert_int_gt(id, seen->last_id);
	ck_assert_int_eq(row->time, 1000 + seen->count);
	ck_assert_str_eq(row->ip, ip);
	ck_assert_ptr_null(row->user);
	ck_assert_str_eq(row->service, "imap");
	ck_assert_uint_eq(row->count, seen->count + 1);
	seen->last_id = id;
	seen->count++;
	return 0;
}

START_TEST(test_many_failures)
{
	static char ips[MANY_FAILURES][32];
	struct lockout_failure rows[MANY_FAILURES];
	struct lockout_store *store;
	struct many_seen seen = { 0, 0 };
	const char *error = NULL;
	unsigned int i;

	memset(rows, 0, sizeof(rows));
	for (i = 0; i < MANY_FAILURES; i++) {
		snprintf(ips[i], sizeof(ips[i]), "192.0.2.%u", i);
		rows[i].time = 1000 + i;
		rows[i].ip = ips[i];
		rows[i].service = "imap";
		rows[i].result = "mismatch";
		rows[i].count = i + 1;
	}
	store = store_open_ok("many", LOCKOUT_STORE_FLAG_CREATE);
	lockout_store_set_node(store, "mx1");
	ck_assert_int_eq(lockout_store_begin(store, &error), 0);
	ck_assert_int_eq(lockout_store_add_failures(store, rows,
						    MANY_FAILURES, &error), 0);
	ck_assert_int_eq(lockout_store_commit(store, &error), 0);
	ck_assert_int_eq(lockout_store_iter_failures_since(store, 0, NULL,
			 1000, many_failure, &seen, &error), 0);
	ck_assert_uint_eq(seen.count, MANY_FAILURES);
	ck_assert_int_eq(raw_int("many", "SELECT count(*) FROM failures "
				 "WHERE node = 'mx1'"), MANY_FAILURES);
	lockout_store_close(&store);
}
STORE_END_TEST_ON("nodes", test_many_failures, 0, STORE_DRIVERS_BOTH)

/* --- PostgreSQL: the failure history packed a second to a row ------------ */

/* usernames an attacker chooses: the array literal's quoting must carry
   each byte back as it was, and NULL apart from "NULL" */
static const char *const packed_users[] = {
	"a\"b", "c\\d", "{x,y}", "NULL", "", "\xff\xfe\x80", " sp ",
	"\\\"", NULL, "q'uote", "}", "\t\n",
};
#define PACKED_ROWS 2500
#define PACKED_FIRST_SECOND 1500

struct packed_seen {
	unsigned int count;
	int64_t last_id, ids[PACKED_ROWS];
};

static int packed_failure(int64_t id, const struct lockout_failure *row,
			  void *context)
{
	struct packed_seen *seen = context;
	const char *user = packed_users[seen->count % N_ELEMENTS(packed_users)];
	char ip[32];

	ck_assert_uint_lt(seen->count, PACKED_ROWS);
	snprintf(ip, sizeof(ip), "10.0.%u.%u", seen->count / 256,
		 seen->count % 256);
	ck_assert_int_gt(id, seen->last_id);
	ck_assert_int_eq(row->time, seen->count < PACKED_FIRST_SECOND ?
			 2000 : 2001);
	ck_assert_str_eq(row->ip, ip);
	if (user == NULL)
		ck_assert_ptr_null(row->user);
	else
		ck_assert_str_eq(row->user, user);
	ck_assert_str_eq(row->service, "imap");
	ck_assert_uint_eq(row->count, seen->count % 7 + 1);
	ck_assert_uint_eq(row->tag, 4294967295u - seen->count);
	seen->ids[seen->count++] = id;
	seen->last_id = id;
	return 0;
}

START_TEST(test_pg_failures_packed)
{
	static char ips[PACKED_ROWS][32];
	static struct lockout_failure rows[PACKED_ROWS];
	static struct packed_seen seen;
	struct lockout_store *store;
	struct since_list list;
	const char *error = NULL;
	unsigned int i, deleted;

	memset(&seen, 0, sizeof(seen));
	for (i = 0; i < PACKED_ROWS; i++) {
		snprintf(ips[i], sizeof(ips[i]), "10.0.%u.%u", i / 256,
			 i % 256);
		memset(&rows[i], 0, sizeof(rows[i]));
		rows[i].time = i < PACKED_FIRST_SECOND ? 2000 : 2001;
		rows[i].ip = ips[i];
		rows[i].user = packed_users[i % N_ELEMENTS(packed_users)];
		rows[i].service = "imap";
		rows[i].result = "mismatch";
		rows[i].count = i % 7 + 1;
		rows[i].tag = 4294967295u - i;
	}
	store = store_open_ok("packed", LOCKOUT_STORE_FLAG_CREATE);
	lockout_store_set_node(store, "mx1");
	ck_assert_int_eq(lockout_store_begin(store, &error), 0);
	ck_assert_msg(lockout_store_add_failures(store, rows, PACKED_ROWS,
						 &error) == 0, "%s", error);
	ck_assert_int_eq(lockout_store_commit(store, &error), 0);
	/* 1,500 rows of one second: 1,024 and 476; then 1,000 */
	ck_assert_int_eq(raw_int("packed", "SELECT count(*) FROM "
				 "failure_batches"), 3);
	ck_assert_int_eq(raw_int("packed", "SELECT max(cardinality(ips)) "
				 "FROM failure_batches"), 1024);
	ck_assert_int_eq(raw_int("packed", "SELECT count(*) FROM failures "
				 "WHERE node = 'mx1'"), PACKED_ROWS);
	/* back whole, in order, with ids rising across the batches */
	ck_assert_int_eq(lockout_store_iter_failures_since(store, 0, NULL,
			 PACKED_ROWS + 10, packed_failure, &seen, &error), 0);
	ck_assert_uint_eq(seen.count, PACKED_ROWS);
	/* from inside a batch, and from the last row of one */
	since_fill(store, seen.ids[500], NULL, 1, &list);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_int_eq(list.ids[0], seen.ids[501]);
	since_fill(store, seen.ids[1023], NULL, 2, &list);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_int_eq(list.ids[0], seen.ids[1024]);
	ck_assert_int_eq(list.ids[1], seen.ids[1025]);
	since_fill(store, seen.ids[PACKED_ROWS - 1], NULL, 5, &list);
	ck_assert_uint_eq(list.count, 0);
	/* the other nodes' rows only */
	since_fill(store, 0, "mx1", 5, &list);
	ck_assert_uint_eq(list.count, 0);
	/* pruned by whole seconds, counted in database rows */
	ck_assert_int_eq(lockout_store_prune_failures(store, 2001, 1,
						      &deleted, &error), 0);
	ck_assert_uint_eq(deleted, 1);
	ck_assert_int_eq(lockout_store_prune_failures(store, 2001, 10,
						      &deleted, &error), 0);
	ck_assert_uint_eq(deleted, 1);
	ck_assert_int_eq(raw_int("packed", "SELECT count(*) FROM failures"),
			 PACKED_ROWS - PACKED_FIRST_SECOND);
	lockout_store_close(&store);
}
STORE_END_TEST_ON("pgsql", test_pg_failures_packed, 0, STORE_DRIVERS_PGSQL)

/* Schema 6 kept a row a failure; opening it moves them into packed rows
   (a second of a node each), in their order. */
START_TEST(test_pg_migrate_packed)
{
	struct lockout_store *store;
	struct since_list list;
	char text[64];

	store = store_open_ok("mig7", LOCKOUT_STORE_FLAG_CREATE);
	lockout_store_close(&store);
	raw_exec("mig7", "DROP VIEW failures; DROP TABLE failure_batches; "
		 "CREATE TABLE failures ("
		 " id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
		 " time bigint NOT NULL, ip text COLLATE \"C\","
		 " \"user\" text, service text COLLATE \"C\","
		 " mechanism text COLLATE \"C\", result text COLLATE \"C\","
		 " count bigint NOT NULL DEFAULT 1 CHECK (count > 0),"
		 " node text COLLATE \"C\" NOT NULL DEFAULT '',"
		 " tag bigint NOT NULL DEFAULT 0);"
		 "INSERT INTO failures (time, ip, \"user\", count, node, tag) "
		 "VALUES (50, '192.0.2.1', 'a', 1, 'mx1', 7), "
		 "(50, '192.0.2.2', NULL, 2, 'mx2', 0), "
		 "(50, '192.0.2.3', 'c', 3, 'mx1', 9), "
		 "(51, '192.0.2.4', 'd', 4, 'mx1', 0);"
		 "UPDATE lockout_meta SET version = 6");
	store = store_open_ok("mig7", 0);
	ck_assert_int_eq(raw_int("mig7", "SELECT version FROM lockout_meta"),
			 lockout_store_schema_version());
	/* mx1's two rows of second 50 together; mx2's; mx1's of 51 */
	ck_assert_int_eq(raw_int("mig7", "SELECT count(*) FROM "
				 "failure_batches"), 3);
	raw_text("mig7", "SELECT string_agg(ip || ':' || coalesce(\"user\", "
		 "'-') || ':' || count || ':' || tag, ' ' ORDER BY id) "
		 "FROM failures", text, sizeof(text));
	ck_assert_str_eq(text, "192.0.2.1:a:1:7 192.0.2.3:c:3:9 "
			 "192.0.2.2:-:2:0 192.0.2.4:d:4:0");
	since_fill(store, 0, "mx1", 10, &list);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_int_eq(list.times[0], 50);
	lockout_store_close(&store);
}
STORE_END_TEST_ON("pgsql", test_pg_migrate_packed, 0, STORE_DRIVERS_PGSQL)

/* The second of two nodes writing at once, in a thread with its own
   connection: node mx2 writes a failure row (ban NULL) or an automatic
   ban in a transaction of its own. */
struct second_writer {
	char conninfo[512];
	const struct lockout_ban *ban;
	pthread_t tid;
	int ret;
	bool added, done;
	char error[256];
};

static void *second_write(void *context)
{
	struct second_writer *w = context;
	struct lockout_failure row = {
		.time = 11, .ip = "192.0.2.11", .count = 1
	};
	struct lockout_store *store;
	const char *error = NULL;

	w->ret = lockout_store_open_db(LOCKOUT_DB_DRIVER_PGSQL, w->conninfo,
				       0, 10000, &store, &error);
	if (w->ret == 0) {
		lockout_store_set_node(store, "mx2");
		w->ret = lockout_store_begin(store, &error) < 0 ||
			(w->ban == NULL ?
			 lockout_store_add_failures(store, &row, 1, &error) :
			 lockout_store_add_auto_ban(store, w->ban, &w->added,
						    &error)) < 0 ||
			lockout_store_commit(store, &error) < 0 ? -1 : 0;
		lockout_store_close(&store);
	}
	if (w->ret != 0)
		snprintf(w->error, sizeof(w->error), "%s", error);
	__atomic_store_n(&w->done, true, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Start the second writer on database name while the first node holds
   its transaction open, and check that it waits for the first's commit
   (the writers' turn). */
static void second_writer_start(struct second_writer *w, const char *name,
				const struct lockout_ban *ban)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->conninfo, sizeof(w->conninfo), "%s",
		 pgcluster_conninfo(name));
	w->ban = ban;
	ck_assert_int_eq(pthread_create(&w->tid, NULL, second_write, w), 0);
	usleep(500 * 1000);
	ck_assert(!__atomic_load_n(&w->done, __ATOMIC_SEQ_CST));
}

/* After the first node's commit: the second writer is done, without
   error. */
static void second_writer_finish(struct second_writer *w)
{
	ck_assert_int_eq(pthread_join(w->tid, NULL), 0);
	ck_assert_msg(w->ret == 0, "mx2: %s", w->error);
}

/* Ids in the order of the commits: a node that draws its batch's id after
   another node drew one, and commits first, must not let a reader move
   past the other's row before it is visible (it would never count it). */
START_TEST(test_pg_failures_commit_order)
{
	struct lockout_failure row = {
		.time = 10, .ip = "192.0.2.10", .count = 1
	};
	struct lockout_store *mx1, *reader;
	static struct second_writer writer;
	struct since_list list;
	const char *error = NULL;

	mx1 = store_open_ok("order", LOCKOUT_STORE_FLAG_CREATE);
	reader = store_open_ok("order", 0);
	lockout_store_set_node(mx1, "mx1");
	/* mx1 draws its id and keeps its transaction open */
	ck_assert_int_eq(lockout_store_begin(mx1, &error), 0);
	ck_assert_int_eq(lockout_store_add_failures(mx1, &row, 1, &error), 0);
	/* mx2 writes meanwhile: it waits for mx1's commit */
	second_writer_start(&writer, "order", NULL);
	since_fill(reader, 0, NULL, 10, &list);
	ck_assert_uint_eq(list.count, 0);
	ck_assert_int_eq(lockout_store_commit(mx1, &error), 0);
	second_writer_finish(&writer);
	/* both, mx1's first */
	since_fill(reader, 0, NULL, 10, &list);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_int_eq(list.times[0], 10);
	ck_assert_int_eq(list.times[1], 11);
	lockout_store_close(&reader);
	lockout_store_close(&mx1);
}
STORE_END_TEST_ON("pgsql", test_pg_failures_commit_order, 0,
		  STORE_DRIVERS_PGSQL)

/* --- both drivers: an automatic ban of one node of several, once ------- */

static bool auto_ban(struct lockout_store *store, const char *target,
		     int64_t created, int64_t expires)
{
	struct lockout_ban ban = ban_make(target, created, expires);
	const char *error = NULL;
	bool added = false;

	ck_assert_msg(lockout_store_add_auto_ban(store, &ban, &added,
						 &error) == 0, "%s", error);
	return added;
}

START_TEST(test_auto_ban_once)
{
	struct lockout_store *mx1, *mx2, *single;
	unsigned int lifted;
	const char *error = NULL;

	mx1 = store_open_ok("banonce", LOCKOUT_STORE_FLAG_CREATE);
	mx2 = store_open_ok("banonce", 0);
	single = store_open_ok("banonce", 0);
	lockout_store_set_node(mx1, "mx1");
	lockout_store_set_node(mx2, "mx2");
	/* the same ban a second apart: once */
	ck_assert(auto_ban(mx1, "192.0.2.1", 1000, 1600));
	ck_assert(!auto_ban(mx2, "192.0.2.1", 1001, 1601));
	/* a longer one (another rule, an escalation) is written */
	ck_assert(auto_ban(mx2, "192.0.2.1", 1002, 90000));
	/* a permanent ban covers every other */
	ck_assert(auto_ban(mx2, "192.0.2.2", 1000, 0));
	ck_assert(!auto_ban(mx1, "192.0.2.2", 1001, 1000000));
	ck_assert_int_eq(raw_int("banonce", "SELECT count(*) FROM bans"), 3);
	/* lifted, or ended: no longer covers */
	ck_assert_int_eq(lockout_store_lift(mx1, "192.0.2.2", 1003, &lifted,
					    &error), 0);
	ck_assert(auto_ban(mx1, "192.0.2.2", 1004, 1604));
	ck_assert(auto_ban(mx1, "192.0.2.3", 1000, 1100));
	ck_assert(auto_ban(mx2, "192.0.2.3", 1200, 1800));
	/* a store of a single server writes every ban it is given */
	ck_assert(auto_ban(single, "192.0.2.1", 1001, 1601));
	ck_assert_int_eq(raw_int("banonce", "SELECT count(*) FROM bans"), 7);
	lockout_store_close(&single);
	lockout_store_close(&mx2);
	lockout_store_close(&mx1);
}
STORE_END_TEST_ON("nodes", test_auto_ban_once, 0, STORE_DRIVERS_BOTH)

/* Two nodes deciding the same ban at once: the second waits for the
   first's commit (the writers' turn), then finds its ban and writes none. */
START_TEST(test_pg_auto_ban_once_concurrent)
{
	static struct lockout_ban second;
	struct lockout_store *mx1;
	static struct second_writer writer;
	const char *error = NULL;

	second = ban_make("192.0.2.9", 1001, 1601);
	mx1 = store_open_ok("banrace", LOCKOUT_STORE_FLAG_CREATE);
	lockout_store_set_node(mx1, "mx1");
	ck_assert_int_eq(lockout_store_begin(mx1, &error), 0);
	ck_assert(auto_ban(mx1, "192.0.2.9", 1000, 1600));
	second_writer_start(&writer, "banrace", &second);
	ck_assert_int_eq(lockout_store_commit(mx1, &error), 0);
	second_writer_finish(&writer);
	ck_assert(!writer.added);
	ck_assert_int_eq(raw_int("banrace", "SELECT count(*) FROM bans"), 1);
	lockout_store_close(&mx1);
}
STORE_END_TEST_ON("pgsql", test_pg_auto_ban_once_concurrent, 0,
		  STORE_DRIVERS_PGSQL)
