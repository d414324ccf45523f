/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef STORE_TEST_COMMON_H
#define STORE_TEST_COMMON_H

/* What the store's Check programs share: main() and the registration of
   tests (each program only defines its tests), a temporary directory for
   the databases, opening stores, making and listing bans, direct SQLite
   access behind the store's back, and the test data several programs
   use. */

#include "lockout-store.h"

#include <check.h>
#include <stdint.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))
#define MAX_LISTED 64
#define ATTR_UNUSED __attribute__((unused))

/* Check's handle of a test made with START_TEST (a function before Check
   0.13, a pointer to its description since) */
#if CHECK_MAJOR_VERSION > 0 || CHECK_MINOR_VERSION >= 13
typedef const TTest *store_test_t;
#else
typedef TFun store_test_t;
#endif

/* The drivers a test runs against. main() runs the suite once with
   SQLite files, then once more against a private PostgreSQL cluster
   (pgcluster.h) with the tests registered for it: the same test, the same
   assertions, on either driver. */
enum store_test_drivers {
	STORE_DRIVERS_SQLITE = 0x01,
	STORE_DRIVERS_PGSQL = 0x02,
	STORE_DRIVERS_BOTH = 0x03,
};
/* What STORE_END_TEST() registers a test for: a program of tests of
   SQLite's files only defines it as STORE_DRIVERS_SQLITE before including
   this header. */
#ifndef STORE_TEST_DEFAULT_DRIVERS
#  define STORE_TEST_DEFAULT_DRIVERS STORE_DRIVERS_BOTH
#endif
/* The driver of the pass running now */
extern enum lockout_db_driver store_test_driver;

/* Add test to the program's suite, in the test case called tcase_name
   (created with a 30 s timeout on its first use), run once or, when
   loop_end > 0, once for each _i in 0..loop_end - 1, in the passes of
   drivers. Tests run in the order they were added. Called before main()
   by STORE_END_TEST(). */
void store_test_add(const char *tcase_name, store_test_t test, int loop_end,
		    unsigned int drivers);

/* Ends a test in place of END_TEST and registers it in the program's suite
   (see store_test_add()): a test cannot be written and not run. main() (in
   store-test-common.c) runs the suite, named after the program, inside a
   fresh temporary directory removed afterwards, and fails if no test was
   registered. */
#define STORE_END_TEST(tcase_name, test, loop_end) \
	STORE_END_TEST_ON(tcase_name, test, loop_end, \
			  STORE_TEST_DEFAULT_DRIVERS)
/* The same for the passes of drivers only */
#define STORE_END_TEST_ON(tcase_name, test, loop_end, drivers) \
	END_TEST \
	static void __attribute__((constructor)) test##_add(void) \
	{ \
		store_test_add(tcase_name, test, loop_end, drivers); \
	}

/* Path of the database called name in the temporary directory (a static
   buffer); on PostgreSQL its connection string. */
const char *test_path(const char *name);
/* Open the database name with flags (busy timeout 1 s), or fail the test.
   On PostgreSQL, FLAG_CREATE first creates the database as a copy of a
   template holding the schema (unless it exists). */
struct lockout_store *store_open_ok(const char *name, unsigned int flags);
/* The same with the busy timeout given */
struct lockout_store *store_open_busy(const char *name, unsigned int flags,
				      unsigned int busy_timeout_msecs);
/* Assert that opening name with flags fails with an error containing expect
   and naming the path (on PostgreSQL the database). */
void store_open_fails(const char *name, unsigned int flags,
		      const char *expect);

/* A valid ban of target: kind ip, source auto, rule ip_failures, 10
   failures, some evidence. */
struct lockout_ban ban_make(const char *target, int64_t created,
			    int64_t expires);
/* Add ban or fail the test; return its id. */
int64_t add_ban_ok(struct lockout_store *store, const struct lockout_ban *ban);
/* Lift the bans of target active at now, or fail the test; assert that
   expect of them were lifted. */
void lift_ok(struct lockout_store *store, const char *target, int64_t now,
	     unsigned int expect);
/* Assert that got has want's fields (id and observed not compared; a NULL
   evidence is read back as "{}"). */
void ban_assert_equal(const struct lockout_ban *got,
		      const struct lockout_ban *want);

/* Copies of the bans an iteration handed out */
struct ban_list {
	unsigned int count;
	/* the callback returns 42 when count reaches it (0: never) */
	int stop_after;
	struct lockout_ban bans[MAX_LISTED];
};
/* lockout_ban_callback_t appending a copy of ban to the struct ban_list
   context. */
int ban_list_add(const struct lockout_ban *ban, void *context);
/* Free the copies; the list is empty afterwards. */
void ban_list_free(struct ban_list *list);
/* Empty list, then fill it with lockout_store_iter_bans(store, now, flags)
   or fail the test. */
void ban_list_fill(struct lockout_store *store, int64_t now,
		   unsigned int flags, struct ban_list *list);

/* Direct access (SQLite, or libpq on PostgreSQL) to the database name, to
   look at and damage tables behind the store; any failure fails the
   test. */
void raw_exec(const char *name, const char *sql);
/* Create the database name with the store's schema, then run sql on it
   (rows the store would not write, or refuses to write). */
void raw_create(const char *name, const char *sql);
/* sqlite_sql on SQLite, pg_sql on PostgreSQL: the same damage in each
   dialect. */
const char *raw_sql(const char *sqlite_sql, const char *pg_sql);
/* The integer in the first column of the first row of sql. */
int64_t raw_int(const char *name, const char *sql);
/* The same as text, into buf. */
void raw_text(const char *name, const char *sql, char *buf, size_t size);
/* SQLite: every row of sql, its columns' text joined by '|', a line a
   row (free() it) */
char *raw_rows_text(const char *name, const char *sql);

/* One byte more than each limit of a ban, filled by make_long_strings() */
extern char long_target[LOCKOUT_BAN_TARGET_MAX + 2];
extern char long_reason[LOCKOUT_BAN_REASON_MAX + 2];
extern char long_rule[LOCKOUT_BAN_RULE_MAX + 2];
extern char long_evidence[LOCKOUT_BAN_EVIDENCE_MAX + 2];
void make_long_strings(void);
/* A valid ban whose target, reason, rule and evidence are each exactly at
   their limit (the long_* strings, cut there), created 1, expires 2. */
struct lockout_ban ban_at_limits(void);

/* Bans that break one invariant each, and what the error says */
struct ban_invalid_case {
	void (*mutate)(struct lockout_ban *ban);
	const char *error;
};
#define BAN_INVALID_COUNT 15
extern const struct ban_invalid_case ban_invalid[BAN_INVALID_COUNT];

/* A small failure history: 6 rows from time 50 to 140, with NULL and empty
   fields */
#define HISTORY_COUNT 6
extern const struct lockout_failure history[HISTORY_COUNT];
/* Create the database "<prefix><i>" and add the history in one
   transaction; return the store, or fail the test. */
struct lockout_store *store_open_history(const char *prefix, int i);

#endif
