/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-sync.h"
#include "alloc-fail.h"
#include "tmpstore.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))
#define T0 1700000000
#define BAN_TIME 3600
/* fail_once() led to no ban or protection */
#define NONE ((enum lockout_decision_type)-1)

/* A small engine for each test (forked by Check), with thresholds of 3. */
static struct lockout_config cfg;
static struct lockout_policy *policy;
static struct lockout_sync *tsync;
/* sync's own connection, and another writer's, to a table of this test */
static struct lockout_store *store, *other;
static char store_name[64];

static void config_set(const char *name, const char *value)
{
	const char *error = NULL;

	ck_assert_msg(lockout_config_set(&cfg, name, value, &error) == 0,
		      "%s", error);
}

static void engine_create(void)
{
	policy = lockout_policy_create(&cfg, NULL);
	ck_assert_ptr_nonnull(policy);
	tsync = lockout_sync_create(&cfg, policy);
	ck_assert_ptr_nonnull(tsync);
}

static void engine_free(void)
{
	lockout_sync_free(&tsync);
	ck_assert_ptr_null(tsync);
	lockout_sync_free(&tsync);
	lockout_policy_free(&policy);
}

static void setup_mode(const char *mode)
{
	const char *error = NULL;
	static unsigned int serial;

	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	config_set("lockout_mode", mode);
	config_set("lockout_ip_failures", "3");
	config_set("lockout_user_failures", "3");
	config_set("lockout_ban_time", "1 hour");
	config_set("lockout_allow_networks", "");
	config_set("lockout_max_sources", "64");
	config_set("lockout_max_users", "64");
	config_set("lockout_max_known_devices", "64");
	engine_create();
	/* Check forks each test: one table per test process */
	snprintf(store_name, sizeof(store_name), "sync-%ld-%u",
		 (long)getpid(), serial++);
	store = test_tmpstore_open(store_name);
	other = test_tmpstore_open(store_name);
}

static void setup(void)
{
	setup_mode("enforce");
}

static void teardown(void)
{
	lockout_store_close(&store);
	lockout_store_close(&other);
	engine_free();
	lockout_config_free(&cfg);
}

/* Another writer (doveadm, lockoutd, a second auth process) adds a ban. */
static void other_bans(const char *target, enum lockout_kind kind,
		       int64_t created, int64_t expires, bool observed)
{
	struct lockout_ban ban;
	const char *error = NULL;

	memset(&ban, 0, sizeof(ban));
	ban.target = target;
	ban.kind = kind;
	ban.source = LOCKOUT_SOURCE_MANUAL;
	ban.reason = "test";
	ban.rule = "manual";
	ban.created = created;
	ban.expires = expires;
	ban.observed = observed;
	ck_assert_msg(lockout_store_add_ban(other, &ban, NULL, &error) == 0,
		      "%s", error);
}

static void other_lifts(const char *target)
{
	const char *error = NULL;
	unsigned int count;

	ck_assert_int_eq(lockout_store_lift(other, target, T0, &count, &error),
			 0);
	ck_assert_uint_eq(count, 1);
}

/* Raw SQL by another writer (rows the store would not write). */
static void other_sql(const char *sql)
{
	test_tmpstore_exec(store_name, sql);
}

static struct lockout_sync_result reload_ok(const struct lockout_writeq *q)
{
	struct lockout_sync_result result;
	const char *error = NULL;

	ck_assert_msg(lockout_sync_reload(tsync, store, q, T0, &result,
					  &error) == 0, "%s", error);
	ck_assert(!result.protections_failed);
	ck_assert(!result.allowed_failed);
	return result;
}

static enum lockout_verdict verdict(const char *ip, const char *account)
{
	const struct lockout_banset_entry *ban;
	struct lockout_addr addr;

	ck_assert_int_eq(lockout_addr_parse(ip, &addr), 0);
	return lockout_policy_check(policy, T0, &addr, account, &ban);
}

static int64_t ban_expires(const char *ip)
{
	const struct lockout_banset_entry *ban;
	struct lockout_addr addr;

	ck_assert_int_eq(lockout_addr_parse(ip, &addr), 0);
	ck_assert_int_eq(lockout_policy_check(policy, T0, &addr, NULL, &ban),
			 LOCKOUT_VERDICT_BANNED);
	return ban->expires;
}

static void count_decision(const struct lockout_decision *d, void *context)
{
	struct lockout_decision *last = context;

	if (d->type == LOCKOUT_DECISION_BAN ||
	    d->type == LOCKOUT_DECISION_PROTECT)
		*last = *d;
}

/* A wrong password (each a new one) from ip for account at time: returns
   the ban or protection it led to (type -1 when none). */
static struct lockout_decision fail_once(const char *ip, const char *account,
				    int64_t time)
{
	static uint32_t tag = 1;
	struct lockout_decision last;
	struct lockout_attempt a;

	memset(&last, 0, sizeof(last));
	last.type = NONE;
	memset(&a, 0, sizeof(a));
	a.time = time;
	ck_assert_int_eq(lockout_addr_parse(ip, &a.ip), 0);
	a.user = account;
	a.service = "imap";
	a.mechanism = "PLAIN";
	a.outcome = LOCKOUT_OUTCOME_MISMATCH;
	a.password_tag = tag++;
	ck_assert_int_ge(lockout_policy_observe(policy, &a, count_decision,
						&last), 0);
	return last;
}

/* --- following the table ---------------------------------------------- */

START_TEST(test_reload_sees_other_writer)
{
	struct lockout_sync_result result;

	result = reload_ok(NULL);
	ck_assert_uint_eq(result.loaded, 0);
	ck_assert_int_eq(verdict("192.0.2.1", "alice"), LOCKOUT_VERDICT_ALLOW);

	other_bans("192.0.2.1", LOCKOUT_KIND_IP, T0 - 10, T0 + 600, false);
	other_bans("198.51.100.0/24", LOCKOUT_KIND_NET, T0 - 10, 0, false);
	other_bans("alice", LOCKOUT_KIND_USER, T0 - 10, T0 + 600, false);
	/* ended ones do not apply */
	other_bans("192.0.2.2", LOCKOUT_KIND_IP, T0 - 100, T0 - 1, false);
	/* nothing changes before the reload */
	ck_assert_int_eq(verdict("192.0.2.1", NULL), LOCKOUT_VERDICT_ALLOW);

	result = reload_ok(NULL);
	ck_assert_uint_eq(result.loaded, 3);
	ck_assert_uint_eq(result.invalid, 0);
	ck_assert_int_eq(verdict("192.0.2.1", NULL), LOCKOUT_VERDICT_BANNED);
	ck_assert_int_eq(ban_expires("192.0.2.1"), T0 + 600);
	ck_assert_int_eq(verdict("198.51.100.77", NULL),
			 LOCKOUT_VERDICT_BANNED);
	ck_assert_int_eq(ban_expires("198.51.100.77"), 0);
	ck_assert_int_eq(verdict("192.0.2.2", NULL), LOCKOUT_VERDICT_ALLOW);
	/* protected: only known devices may try (there are none) */
	ck_assert_int_eq(verdict("203.0.113.5", "alice"),
			 LOCKOUT_VERDICT_PROTECTED);
	ck_assert_int_eq(verdict("203.0.113.5", "ALICE"),
			 LOCKOUT_VERDICT_PROTECTED);
	ck_assert_int_eq(verdict("203.0.113.5", "bob"), LOCKOUT_VERDICT_ALLOW);

	/* a lift by the other writer lets them in again */
	other_lifts("192.0.2.1");
	other_lifts("alice");
	result = reload_ok(NULL);
	ck_assert_uint_eq(result.loaded, 1);
	ck_assert_int_eq(verdict("192.0.2.1", NULL), LOCKOUT_VERDICT_ALLOW);
	ck_assert_int_eq(verdict("203.0.113.5", "alice"),
			 LOCKOUT_VERDICT_ALLOW);
	ck_assert_int_eq(verdict("198.51.100.1", NULL), LOCKOUT_VERDICT_BANNED);
}
END_TEST

START_TEST(test_allowed_networks)
{
	struct lockout_sync_result result;
	struct lockout_addr addr;
	const char *error = NULL;
	unsigned int count;

	ck_assert_int_eq(lockout_addr_parse("192.0.2.9", &addr), 0);
	ck_assert_int_eq(lockout_store_add_allowed(other, "192.0.2.0/24",
						   "office", T0, NULL,
						   &error), 0);
	ck_assert_int_eq(lockout_store_add_allowed(other, "not a network",
						   "", T0, NULL, &error), 0);
	result = reload_ok(NULL);
	ck_assert_uint_eq(result.allowed, 1);
	ck_assert(lockout_policy_is_allowed(policy, &addr));

	ck_assert_int_eq(lockout_store_remove_allowed(other, "192.0.2.0/24",
						      &count, &error), 0);
	result = reload_ok(NULL);
	ck_assert_uint_eq(result.allowed, 0);
	ck_assert(!lockout_policy_is_allowed(policy, &addr));
}
END_TEST

/* --- what an unban forgets ---------------------------------------------- */

START_TEST(test_unban_forgets_source)
{
	struct lockout_decision d;

	/* two failures of three: counted */
	ck_assert_int_eq(fail_once("192.0.2.3", NULL, T0 - 5).type, NONE);
	ck_assert_int_eq(fail_once("192.0.2.3", NULL, T0 - 4).type, NONE);
	/* banned elsewhere (doveadm lockout ban), then unbanned */
	other_bans("192.0.2.3", LOCKOUT_KIND_IP, T0 - 3, T0 + 600, false);
	(void)reload_ok(NULL);
	ck_assert_int_eq(verdict("192.0.2.3", NULL), LOCKOUT_VERDICT_BANNED);
	other_lifts("192.0.2.3");
	(void)reload_ok(NULL);
	ck_assert_int_eq(verdict("192.0.2.3", NULL), LOCKOUT_VERDICT_ALLOW);
	/* its counters went with the ban: one more failure does not ban
	   again at once */
	ck_assert_int_eq(fail_once("192.0.2.3", NULL, T0 - 2).type, NONE);
	ck_assert_int_eq(fail_once("192.0.2.3", NULL, T0 - 1).type, NONE);
	d = fail_once("192.0.2.3", NULL, T0);
	ck_assert_int_eq(d.type, LOCKOUT_DECISION_BAN);

	/* a source that stays banned keeps its counters (a failure while
	   the ban lasts bans nothing new: one burst, one ban; the next one
	   after it ran out does) */
	ck_assert_int_eq(fail_once("192.0.2.4", NULL, T0 - 5).type, NONE);
	ck_assert_int_eq(fail_once("192.0.2.4", NULL, T0 - 4).type, NONE);
	other_bans("192.0.2.4", LOCKOUT_KIND_IP, T0 - 3, T0 + 60, false);
	(void)reload_ok(NULL);
	(void)reload_ok(NULL);
	ck_assert_int_eq(fail_once("192.0.2.4", NULL, T0 + 60).type,
			 LOCKOUT_DECISION_BAN);
}
END_TEST

START_TEST(test_unprotect_forgets_account)
{
	/* failures for alice from unknown sources, one short of protection;
	   the protection comes from elsewhere (written as "Alice") */
	ck_assert_int_eq(fail_once("192.0.2.11", "alice", T0 - 5).type, NONE);
	ck_assert_int_eq(fail_once("192.0.2.12", "alice", T0 - 4).type, NONE);
	other_bans("Alice", LOCKOUT_KIND_USER, T0 - 3, T0 + 600, false);
	(void)reload_ok(NULL);
	ck_assert_int_eq(verdict("203.0.113.5", "alice"),
			 LOCKOUT_VERDICT_PROTECTED);
	/* reloads while it lasts change nothing */
	(void)reload_ok(NULL);
	other_lifts("Alice");
	(void)reload_ok(NULL);
	ck_assert_int_eq(verdict("203.0.113.5", "alice"),
			 LOCKOUT_VERDICT_ALLOW);
	/* the counters went with the protection: alice starts from zero */
	ck_assert_int_eq(fail_once("192.0.2.13", "alice", T0 - 2).type, NONE);
	ck_assert_int_eq(fail_once("192.0.2.14", "alice", T0 - 1).type, NONE);
	ck_assert_int_eq(fail_once("192.0.2.15", "alice", T0).type,
			 LOCKOUT_DECISION_PROTECT);
}
END_TEST

/* --- bans not written yet ------------------------------------------------ */

static struct lockout_decision pending_ban(const char *target, bool user,
					   int64_t expires)
{
	struct lockout_decision d;
	const char *error;

	memset(&d, 0, sizeof(d));
	d.type = user ? LOCKOUT_DECISION_PROTECT : LOCKOUT_DECISION_BAN;
	d.target = d.user = target;
	d.rule = "ip_failures";
	d.reason = "test";
	d.evidence = "{}";
	d.time = T0 - 1;
	d.expires = expires;
	if (user) {
		d.kind = LOCKOUT_KIND_USER;
	} else {
		ck_assert_int_eq(lockout_net_parse(target, &d.net, &error), 0);
		d.kind = lockout_net_is_host(&d.net) ?
			LOCKOUT_KIND_IP : LOCKOUT_KIND_NET;
	}
	return d;
}

START_TEST(test_pending_survive_reload)
{
	struct lockout_writeq *queue = lockout_writeq_create();
	struct lockout_writeq_dropped dropped;
	struct lockout_sync_result result;
	struct lockout_decision d;
	const char *error = NULL;

	ck_assert_ptr_nonnull(queue);
	d = pending_ban("192.0.2.50", false, T0 + 100);
	(void)lockout_writeq_add_decision(queue, &d, false);
	d = pending_ban("2001:db8:5::/64", false, 0);
	(void)lockout_writeq_add_decision(queue, &d, false);
	d = pending_ban("carol", true, T0 + 100);
	(void)lockout_writeq_add_decision(queue, &d, false);
	/* the table has its own row for one of them: the table's wins */
	d = pending_ban("192.0.2.51", false, T0 + 100);
	(void)lockout_writeq_add_decision(queue, &d, false);
	other_bans("192.0.2.51", LOCKOUT_KIND_IP, T0 - 5, T0 + 900, false);

	result = reload_ok(queue);
	/* loaded counts the table's rows */
	ck_assert_uint_eq(result.loaded, 1);
	ck_assert_int_eq(ban_expires("192.0.2.50"), T0 + 100);
	ck_assert_int_eq(ban_expires("2001:db8:5::1"), 0);
	ck_assert_int_eq(ban_expires("192.0.2.51"), T0 + 900);
	ck_assert_int_eq(verdict("203.0.113.5", "carol"),
			 LOCKOUT_VERDICT_PROTECTED);

	/* once written they come from the table */
	ck_assert_int_eq(lockout_writeq_flush(queue, store, &dropped, &error),
			 0);
	result = reload_ok(queue);
	ck_assert_uint_eq(result.loaded, 5);
	ck_assert_int_eq(ban_expires("192.0.2.50"), T0 + 100);
	ck_assert_int_eq(verdict("203.0.113.5", "carol"),
			 LOCKOUT_VERDICT_PROTECTED);
	lockout_writeq_free(&queue);
}
END_TEST

/* --- observe and enforce rows -------------------------------------------- */

START_TEST(test_mode_rows)
{
	bool observe = _i == 1;
	struct lockout_writeq *queue = lockout_writeq_create();
	struct lockout_sync_result result;
	struct lockout_decision d;

	if (observe) {
		teardown();
		setup_mode("observe");
	}
	ck_assert_ptr_nonnull(queue);
	other_bans("192.0.2.60", LOCKOUT_KIND_IP, T0 - 5, 0, false);
	other_bans("192.0.2.61", LOCKOUT_KIND_IP, T0 - 5, 0, true);
	other_bans("dave", LOCKOUT_KIND_USER, T0 - 5, 0, false);
	other_bans("erin", LOCKOUT_KIND_USER, T0 - 5, 0, true);
	d = pending_ban("192.0.2.62", false, 0);
	(void)lockout_writeq_add_decision(queue, &d, false);
	d = pending_ban("192.0.2.63", false, 0);
	(void)lockout_writeq_add_decision(queue, &d, true);
	d = pending_ban("frank", true, 0);
	(void)lockout_writeq_add_decision(queue, &d, false);
	d = pending_ban("gina", true, 0);
	(void)lockout_writeq_add_decision(queue, &d, true);

	/* in enforce mode the real bans apply; in observe mode all of them,
	   its own observed ones and the real (manual) ones, to log "would
	   refuse" for each */
	result = reload_ok(queue);
	ck_assert_uint_eq(result.loaded, observe ? 4 : 2);
	ck_assert_int_eq(verdict("192.0.2.60", NULL), LOCKOUT_VERDICT_BANNED);
	ck_assert_int_eq(verdict("192.0.2.61", NULL), observe ?
			 LOCKOUT_VERDICT_BANNED : LOCKOUT_VERDICT_ALLOW);
	ck_assert_int_eq(verdict("192.0.2.62", NULL), LOCKOUT_VERDICT_BANNED);
	ck_assert_int_eq(verdict("192.0.2.63", NULL), observe ?
			 LOCKOUT_VERDICT_BANNED : LOCKOUT_VERDICT_ALLOW);
	ck_assert_int_eq(verdict("203.0.113.1", "dave"),
			 LOCKOUT_VERDICT_PROTECTED);
	ck_assert_int_eq(verdict("203.0.113.1", "erin"), observe ?
			 LOCKOUT_VERDICT_PROTECTED : LOCKOUT_VERDICT_ALLOW);
	ck_assert_int_eq(verdict("203.0.113.1", "frank"),
			 LOCKOUT_VERDICT_PROTECTED);
	ck_assert_int_eq(verdict("203.0.113.1", "gina"), observe ?
			 LOCKOUT_VERDICT_PROTECTED : LOCKOUT_VERDICT_ALLOW);
	lockout_writeq_free(&queue);
}
END_TEST

/* --- rows other writers got wrong ---------------------------------------- */

static void raw_insert(const char *target, const char *kind)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "INSERT INTO bans (target, kind, source, "
		 "reason, rule, created, expires) VALUES ('%s', '%s', "
		 "'manual', 'x', 'manual', %d, NULL)", target, kind, T0 - 1);
	other_sql(sql);
}

START_TEST(test_invalid_rows_skipped)
{
	struct lockout_sync_result result;

	other_bans("192.0.2.70", LOCKOUT_KIND_IP, T0 - 5, 0, false);
	raw_insert("999.1.1.1", "ip");
	raw_insert("192.0.2.71", "ip");
	raw_insert("192.0.2.128/24", "net");
	/* issue 11 items 2 and 7: too wide, of the wrong kind, and a row
	   the store skips (a reason over 1,024 bytes) */
	raw_insert("0.0.0.0/0", "net");
	raw_insert("192.0.2.0/24", "ip");
#define LONG_REASON_ROW(reason) \
	"INSERT INTO bans (target, kind, source, reason, rule, created, " \
	"expires) VALUES ('192.0.2.72', 'ip', 'manual', " reason ", " \
	"'manual', 1, NULL)"
	other_sql(test_tmpstore_driver == LOCKOUT_DB_DRIVER_PGSQL ?
		  LONG_REASON_ROW("repeat('x', 2000)") :
		  LONG_REASON_ROW("printf('%.2000c', 'x')"));
#undef LONG_REASON_ROW
	result = reload_ok(NULL);
	ck_assert_uint_eq(result.loaded, 2);
	ck_assert_uint_eq(result.invalid, 5);
	ck_assert_uint_eq(result.invalid_new, 5);
	/* each with its id and what is wrong */
	ck_assert_int_eq(result.invalid_rows[0].id, 7);
	ck_assert_str_eq(result.invalid_rows[0].problem,
			 "reason longer than 1024 bytes");
	ck_assert_int_eq(result.invalid_rows[1].id, 2);
	ck_assert_msg(strstr(result.invalid_rows[1].problem, "999.1.1.1") !=
		      NULL, "%s", result.invalid_rows[1].problem);
	ck_assert_int_eq(result.invalid_rows[3].id, 5);
	ck_assert_str_eq(result.invalid_rows[3].problem,
			 "network wider than an IPv4 /16 or an IPv6 /32");
	ck_assert_int_eq(result.invalid_rows[4].id, 6);
	ck_assert_str_eq(result.invalid_rows[4].problem,
			 "kind ip with a network target");
	ck_assert_int_eq(verdict("192.0.2.70", NULL), LOCKOUT_VERDICT_BANNED);
	ck_assert_int_eq(verdict("192.0.2.71", NULL), LOCKOUT_VERDICT_BANNED);
	ck_assert_int_eq(verdict("192.0.2.72", NULL), LOCKOUT_VERDICT_ALLOW);
	ck_assert_int_eq(verdict("192.0.2.130", NULL), LOCKOUT_VERDICT_ALLOW);
	ck_assert_int_eq(verdict("198.51.100.1", NULL), LOCKOUT_VERDICT_ALLOW);

	/* reported once: the next reload counts them, reports none */
	result = reload_ok(NULL);
	ck_assert_uint_eq(result.invalid, 5);
	ck_assert_uint_eq(result.invalid_new, 0);
	/* a new one is reported, alone */
	raw_insert("::/0", "net");
	result = reload_ok(NULL);
	ck_assert_uint_eq(result.invalid, 6);
	ck_assert_uint_eq(result.invalid_new, 1);
	ck_assert_int_eq(result.invalid_rows[0].id, 8);
}
END_TEST

/* However many invalid rows, a reload reports LOCKOUT_SYNC_INVALID_MAX in
   detail and counts the others. */
START_TEST(test_invalid_rows_bounded)
{
	struct lockout_sync_result result;
	unsigned int i;

	for (i = 0; i < LOCKOUT_SYNC_INVALID_MAX + 5; i++)
		raw_insert("999.1.1.1", "ip");
	result = reload_ok(NULL);
	ck_assert_uint_eq(result.invalid, LOCKOUT_SYNC_INVALID_MAX + 5);
	ck_assert_uint_eq(result.invalid_new, LOCKOUT_SYNC_INVALID_MAX + 5);
	ck_assert_int_eq(result.invalid_rows[LOCKOUT_SYNC_INVALID_MAX - 1].id,
			 LOCKOUT_SYNC_INVALID_MAX);
	result = reload_ok(NULL);
	ck_assert_uint_eq(result.invalid_new, 0);
}
END_TEST

/* --- failures leave the engine as it was --------------------------------- */

START_TEST(test_failed_read)
{
	struct lockout_sync_result result;
	const char *error = NULL;

	other_bans("192.0.2.80", LOCKOUT_KIND_IP, T0 - 5, 0, false);
	(void)reload_ok(NULL);
	other_lifts("192.0.2.80");
	other_bans("192.0.2.81", LOCKOUT_KIND_IP, T0 - 5, 0, false);
	/* another writer breaks the table under us */
	other_sql("ALTER TABLE bans RENAME TO bans_old");
	ck_assert_int_eq(lockout_sync_reload(tsync, store, NULL, T0, &result,
					     &error), -1);
	ck_assert_msg(strstr(error, "bans") != NULL, "%s", error);
	ck_assert_int_eq(verdict("192.0.2.80", NULL), LOCKOUT_VERDICT_BANNED);
	ck_assert_int_eq(verdict("192.0.2.81", NULL), LOCKOUT_VERDICT_ALLOW);
}
END_TEST

/* Fail each allocation of a reload in turn: the reload either fails and
   leaves the engine as it was, or succeeds (perhaps without some
   protections or the allowed networks, which it says). Nothing leaks. */
START_TEST(test_out_of_memory)
{
	struct lockout_writeq *queue;
	struct lockout_sync_result result;
	struct lockout_decision d;
	unsigned int i, failures = 0, degraded = 0;
	const char *error = NULL;
	bool failed;
	long n;
	int ret;

	other_bans("198.51.100.90", LOCKOUT_KIND_IP, T0 - 5, 0, false);
	other_bans("henry", LOCKOUT_KIND_USER, T0 - 5, 0, false);
	for (i = 0; i < 40; i++) {
		char target[32];

		snprintf(target, sizeof(target), "10.0.%u.1", i);
		other_bans(target, LOCKOUT_KIND_IP, T0 - 5, 0, false);
	}
	ck_assert_int_eq(lockout_store_add_allowed(other, "192.0.2.0/24",
						   "x", T0, NULL, &error), 0);
	for (n = 0, failed = true; failed; n++) {
		engine_free();
		engine_create();
		ck_assert_int_eq(fail_once("198.51.100.91", NULL,
					   T0 - 5).type, NONE);
		ck_assert_int_eq(fail_once("198.51.100.91", NULL,
					   T0 - 4).type, NONE);
		other_bans("198.51.100.91", LOCKOUT_KIND_IP, T0 - 5, 0, false);
		(void)reload_ok(NULL);
		other_lifts("198.51.100.91");
		queue = lockout_writeq_create();
		ck_assert_ptr_nonnull(queue);
		d = pending_ban("198.51.100.92", false, 0);
		(void)lockout_writeq_add_decision(queue, &d, false);
		d = pending_ban("jack", true, 0);
		(void)lockout_writeq_add_decision(queue, &d, false);

		test_alloc_fail_nth(n);
		ret = lockout_sync_reload(tsync, store, queue, T0, &result,
					  &error);
		failed = test_alloc_disarm();
		lockout_writeq_free(&queue);
		ck_assert(ret == 0 || failed);
		if (ret < 0) {
			ck_assert_str_eq(error, "Out of memory loading bans");
			ck_assert_int_eq(verdict("198.51.100.91", NULL),
					 LOCKOUT_VERDICT_BANNED);
			ck_assert_int_eq(verdict("198.51.100.92", NULL),
					 LOCKOUT_VERDICT_ALLOW);
			failures++;
			continue;
		}
		ck_assert_int_eq(verdict("198.51.100.91", NULL),
				 LOCKOUT_VERDICT_ALLOW);
		ck_assert_int_eq(verdict("198.51.100.90", NULL),
				 LOCKOUT_VERDICT_BANNED);
		ck_assert_int_eq(verdict("10.0.39.1", NULL),
				 LOCKOUT_VERDICT_BANNED);
		ck_assert_int_eq(verdict("198.51.100.92", NULL),
				 LOCKOUT_VERDICT_BANNED);
		/* the lifted ban's counters went */
		ck_assert_int_eq(fail_once("198.51.100.91", NULL, T0).type,
				 NONE);
		if (result.protections_failed || result.allowed_failed)
			degraded++;
		if (!result.protections_failed) {
			ck_assert_int_eq(verdict("203.0.113.1", "henry"),
					 LOCKOUT_VERDICT_PROTECTED);
			ck_assert_int_eq(verdict("203.0.113.1", "jack"),
					 LOCKOUT_VERDICT_PROTECTED);
		}
		if (!result.allowed_failed) {
			struct lockout_addr addr;

			ck_assert_int_eq(lockout_addr_parse("192.0.2.1",
							    &addr), 0);
			ck_assert(lockout_policy_is_allowed(policy, &addr));
		}
	}
	/* each kind of outcome happened */
	ck_assert_int_gt(n, 10);
	ck_assert_uint_gt(failures, 0);
	ck_assert_uint_gt(degraded, 0);
	/* and creating one */
	test_alloc_fail_nth(0);
	ck_assert_ptr_null(lockout_sync_create(&cfg, policy));
	ck_assert(test_alloc_disarm());
}
END_TEST

/* --- at open, and upkeep ------------------------------------------------- */

/* _i: 0 in one call, 1 read (store only) then applied (engine only) */
START_TEST(test_load_remembered)
{
	struct lockout_sync_remembered *rem = NULL;
	struct lockout_decision d;
	const char *error = NULL;

	/* alice logged in from 192.0.2.0/24; she is protected now */
	ck_assert_int_eq(lockout_store_touch_known_device(other, "alice",
		"192.0.2.0/24", T0 - 3600, &error), 0);
	ck_assert_int_eq(lockout_store_touch_known_device(other, "bob",
		"198.51.100.0/24", T0 - 40 * 86400, &error), 0);
	ck_assert_int_eq(lockout_store_touch_known_device(other, "carl",
		"garbage", T0 - 3600, &error), 0);
	/* 192.0.2.100 was banned (and unbanned) two days ago */
	other_bans("192.0.2.100", LOCKOUT_KIND_IP, T0 - 2 * 86400,
		   T0 - 2 * 86400 + BAN_TIME, false);
	/* long ago, or only observed, or an account: no escalation */
	other_bans("192.0.2.101", LOCKOUT_KIND_IP, T0 - 40 * 86400,
		   T0 - 40 * 86400 + BAN_TIME, false);
	other_bans("192.0.2.102", LOCKOUT_KIND_IP, T0 - 2 * 86400,
		   T0 - 2 * 86400 + BAN_TIME, true);
	other_bans("alice", LOCKOUT_KIND_USER, T0 - 60, T0 + 3600, false);

	if (_i == 0) {
		ck_assert_msg(lockout_sync_load_remembered(tsync, store, T0,
							   &error) == 0,
			      "%s", error);
	} else {
		ck_assert_msg(lockout_sync_read_remembered(tsync, store, T0,
							   &rem, &error) == 0,
			      "%s", error);
		ck_assert_ptr_nonnull(rem);
		/* the store is not needed any more to apply it */
		lockout_store_close(&store);
		store = test_tmpstore_open(store_name);
		lockout_sync_apply_remembered(tsync, &rem);
		ck_assert_ptr_null(rem);
		lockout_sync_remembered_free(&rem);
	}
	(void)reload_ok(NULL);
	ck_assert_int_eq(verdict("192.0.2.200", "alice"),
			 LOCKOUT_VERDICT_ALLOW);
	ck_assert_int_eq(verdict("198.51.100.1", "alice"),
			 LOCKOUT_VERDICT_PROTECTED);

	/* the second ban of a source lasts twice as long */
	(void)fail_once("192.0.2.100", NULL, T0 - 2);
	(void)fail_once("192.0.2.100", NULL, T0 - 1);
	d = fail_once("192.0.2.100", NULL, T0);
	ck_assert_int_eq(d.type, LOCKOUT_DECISION_BAN);
	ck_assert_int_eq(d.expires - d.time, 2 * BAN_TIME);
	(void)fail_once("192.0.2.101", NULL, T0 - 2);
	(void)fail_once("192.0.2.101", NULL, T0 - 1);
	d = fail_once("192.0.2.101", NULL, T0);
	ck_assert_int_eq(d.expires - d.time, BAN_TIME);
	(void)fail_once("192.0.2.102", NULL, T0 - 2);
	(void)fail_once("192.0.2.102", NULL, T0 - 1);
	d = fail_once("192.0.2.102", NULL, T0);
	ck_assert_int_eq(d.expires - d.time, BAN_TIME);
}
END_TEST

/* A failed read hands back nothing and leaves the engine as it was. */
START_TEST(test_remembered_read_fails)
{
	struct lockout_sync_remembered *rem = (void *)1;
	const char *error = NULL;

	other_sql("DROP TABLE known_devices");
	ck_assert_int_eq(lockout_sync_read_remembered(tsync, store, T0, &rem,
						      &error), -1);
	ck_assert_ptr_null(rem);
	ck_assert_ptr_nonnull(error);
	ck_assert_int_eq(lockout_sync_load_remembered(tsync, store, T0,
						      &error), -1);
}
END_TEST

/* Rows of another node: how many failures each counts for (0: skipped). */
static const struct {
	int64_t age;
	const char *ip, *result;
	unsigned int count, expected;
} skips[] = {
	{ 0, "192.0.2.7", "success", 1, 0 },
	{ 0, "192.0.2.7", "nonsense", 1, 0 },
	{ 0, "192.0.2.7", NULL, 1, 0 },
	{ 0, "not-an-address", "mismatch", 1, 0 },
	{ 0, NULL, "mismatch", 1, 0 },
	{ 0, "2001:db8::1", "mismatch", 1, 1 },
	{ 0, "192.0.2.7", "mismatch", 0, 0 },
	/* lockout_ip_window (10 mins) old and a second more */
	{ 600, "192.0.2.7", "mismatch", 1, 1 },
	{ 601, "192.0.2.7", "mismatch", 1, 0 },
};

/* A failure row of another node as the attempt this engine observes. */
START_TEST(test_failure_attempt)
{
	unsigned int i;
	struct lockout_failure row = {
		.time = T0 - 5, .ip = "192.0.2.7", .user = "alice",
		.service = "imap", .mechanism = "PLAIN",
		.result = "mismatch", .count = 3,
	};
	struct lockout_attempt a;
	char ipbuf[LOCKOUT_ADDR_STRLEN];

	ck_assert_uint_eq(lockout_sync_failure_attempt(tsync, &row, T0, &a),
			  3);
	ck_assert_int_eq(a.outcome, LOCKOUT_OUTCOME_MISMATCH);
	/* the engine's time, not the row's */
	ck_assert_int_eq(a.time, T0);
	lockout_addr_to_str(&a.ip, ipbuf);
	ck_assert_str_eq(ipbuf, "192.0.2.7");
	ck_assert_str_eq(a.user, "alice");
	ck_assert_ptr_null(a.account);
	ck_assert_str_eq(a.service, "imap");
	ck_assert_str_eq(a.mechanism, "PLAIN");
	ck_assert_uint_eq(a.password_tag, 0);

	/* every outcome the history stores comes back */
	row.result = "unknown_user";
	ck_assert_uint_eq(lockout_sync_failure_attempt(tsync, &row, T0, &a),
			  3);
	ck_assert_int_eq(a.outcome, LOCKOUT_OUTCOME_UNKNOWN_USER);
	row.result = "refused";
	(void)lockout_sync_failure_attempt(tsync, &row, T0, &a);
	ck_assert_int_eq(a.outcome, LOCKOUT_OUTCOME_REFUSED);
	row.result = "suspect";
	(void)lockout_sync_failure_attempt(tsync, &row, T0, &a);
	ck_assert_int_eq(a.outcome, LOCKOUT_OUTCOME_SUSPECT);
	/* a refused name: never a username */
	row.result = "invalid_user";
	(void)lockout_sync_failure_attempt(tsync, &row, T0, &a);
	ck_assert_int_eq(a.outcome, LOCKOUT_OUTCOME_INVALID_USER);
	ck_assert_ptr_null(a.user);
	/* empty strings are none */
	row.result = "mismatch";
	row.user = row.service = row.mechanism = "";
	(void)lockout_sync_failure_attempt(tsync, &row, T0, &a);
	ck_assert_ptr_null(a.user);
	ck_assert_ptr_null(a.service);
	ck_assert_ptr_null(a.mechanism);
	/* a flood's row counts up to the cap */
	row.count = 100000;
	ck_assert_uint_eq(lockout_sync_failure_attempt(tsync, &row, T0, &a),
			  LOCKOUT_SYNC_REMOTE_COUNT_MAX);
	row.count = 1;

	/* skipped: what does not parse, success, late rows */
	for (i = 0; i < N_ELEMENTS(skips); i++) {
		row.time = T0 - skips[i].age;
		row.ip = skips[i].ip;
		row.result = skips[i].result;
		row.count = skips[i].count;
		ck_assert_msg(lockout_sync_failure_attempt(tsync, &row, T0,
							   &a) ==
			      skips[i].expected, "case %u", i);
	}
}
END_TEST

static void count_bans(const struct lockout_decision *d, void *context)
{
	if (d->type == LOCKOUT_DECISION_BAN)
		(*(unsigned int *)context)++;
}

/* Failures counted elsewhere add up with those seen here: one here, two
   from another node's row, and the source is banned at the threshold. */
START_TEST(test_failures_of_other_nodes_ban)
{
	const struct lockout_failure row = {
		.time = T0, .ip = "192.0.2.8", .user = "alice",
		.service = "imap", .result = "mismatch", .count = 1,
	};
	struct lockout_attempt a;
	unsigned int i, n, bans = 0;

	ck_assert_int_eq(fail_once("192.0.2.8", NULL, T0).type, NONE);
	for (i = 0; i < 2; i++) {
		n = lockout_sync_failure_attempt(tsync, &row, T0 + 1, &a);
		ck_assert_uint_eq(n, 1);
		ck_assert_int_ge(lockout_policy_observe(policy, &a,
							count_bans, &bans), 0);
	}
	ck_assert_uint_eq(bans, 1);
	ck_assert_int_eq(verdict("192.0.2.8", NULL), LOCKOUT_VERDICT_BANNED);
}
END_TEST

/* A stale phone on another node, repeating one wrong password: that
   node's engine counted it once, and so does this one (the row's tag);
   the same failures with different passwords (tags) ban. */
START_TEST(test_failures_of_other_nodes_repeats_count_once)
{
	struct lockout_failure row = {
		.time = T0, .ip = "192.0.2.9", .user = "carol",
		.service = "imap", .result = "mismatch", .count = 5,
		.tag = 0x1234,
	};
	struct lockout_attempt a;
	unsigned int i, j, n, bans = 0;

	for (i = 0; i < 3; i++) {
		n = lockout_sync_failure_attempt(tsync, &row, T0 + 1 + i, &a);
		ck_assert_uint_eq(n, 5);
		ck_assert_uint_eq(a.password_tag, 0x1234);
		for (j = 0; j < n; j++) {
			ck_assert_int_ge(lockout_policy_observe(policy, &a,
				count_bans, &bans), 0);
		}
	}
	ck_assert_uint_eq(bans, 0);
	ck_assert_int_eq(verdict("192.0.2.9", NULL), LOCKOUT_VERDICT_ALLOW);
	for (i = 0; i < 3; i++) {
		row.tag = 0x2000 + i;
		row.count = 1;
		n = lockout_sync_failure_attempt(tsync, &row, T0 + 5, &a);
		ck_assert_int_ge(lockout_policy_observe(policy, &a,
							count_bans, &bans), 0);
	}
	ck_assert_uint_eq(bans, 1);
	ck_assert_int_eq(verdict("192.0.2.9", NULL), LOCKOUT_VERDICT_BANNED);
}
END_TEST

START_TEST(test_prune)
{
	struct lockout_failure rows[LOCKOUT_SYNC_PRUNE_BATCH + 10];
	const char *error = NULL;
	bool more;
	size_t i;

	for (i = 0; i < N_ELEMENTS(rows); i++) {
		memset(&rows[i], 0, sizeof(rows[i]));
		rows[i].time = T0 - 40 * 86400 + (int64_t)i;
		rows[i].ip = "192.0.2.1";
		rows[i].result = "mismatch";
		rows[i].count = 1;
	}
	ck_assert_int_eq(lockout_store_begin(other, &error), 0);
	ck_assert_int_eq(lockout_store_add_failures(other, rows,
						    N_ELEMENTS(rows),
						    &error), 0);
	ck_assert_int_eq(lockout_store_commit(other, &error), 0);

	/* a full batch: come back soon */
	ck_assert_msg(lockout_sync_prune(tsync, store, T0, &more, &error) == 0,
		      "%s", error);
	ck_assert(more);
	ck_assert_int_eq(lockout_sync_prune(tsync, store, T0, &more, &error),
			 0);
	ck_assert(!more);
	ck_assert_int_eq(lockout_sync_prune(tsync, store, T0, &more, &error),
			 0);
	ck_assert(!more);
	/* a busy table says so (SQLite: BEGIN IMMEDIATE locks it; the
	   busy rows of PostgreSQL are in test-store-pg) */
	if (test_tmpstore_driver == LOCKOUT_DB_DRIVER_PGSQL)
		return;
	ck_assert_int_eq(lockout_store_begin(other, &error), 0);
	ck_assert_int_eq(lockout_sync_prune(tsync, store, T0, &more, &error),
			 -1);
	ck_assert(lockout_store_error_is_busy(store));
	lockout_store_rollback(other);
}
END_TEST

/* --- writing back a lost table ----------------------------------------- */

struct restored_row {
	char target[64], rule[32], reason[128], evidence[64];
	enum lockout_source source;
	int64_t created, expires;
	bool observed;
	unsigned int seen;
};

struct restored_rows {
	struct restored_row rows[16];
	unsigned int count;
};

static int collect_row(const struct lockout_ban *ban, void *context)
{
	struct restored_rows *rows = context;
	struct restored_row *row = NULL;
	unsigned int i;

	for (i = 0; i < rows->count; i++) {
		if (strcmp(rows->rows[i].target, ban->target) == 0)
			row = &rows->rows[i];
	}
	if (row == NULL) {
		ck_assert_uint_lt(rows->count, N_ELEMENTS(rows->rows));
		row = &rows->rows[rows->count++];
	}
	snprintf(row->target, sizeof(row->target), "%s", ban->target);
	snprintf(row->rule, sizeof(row->rule), "%s", ban->rule);
	snprintf(row->reason, sizeof(row->reason), "%s", ban->reason);
	snprintf(row->evidence, sizeof(row->evidence), "%s", ban->evidence);
	row->source = ban->source;
	row->created = ban->created;
	row->expires = ban->expires;
	row->observed = ban->observed;
	row->seen++;
	return 0;
}

static const struct restored_row *
row_of(const struct restored_rows *rows, const char *target)
{
	unsigned int i;

	for (i = 0; i < rows->count; i++) {
		if (strcmp(rows->rows[i].target, target) == 0)
			return &rows->rows[i];
	}
	ck_abort_msg("%s was not written back", target);
	return NULL;
}

static int collect_allowed(const char *network, const char *reason,
			   int64_t created, void *context)
{
	char *out = context;

	snprintf(out + strlen(out), 256 - strlen(out), "%s=%s@%lld;",
		 network, reason, (long long)(created - T0));
	return 0;
}

static int count_device(const char *user, const char *network,
			int64_t first_seen, int64_t last_seen, void *context)
{
	unsigned int *count = context;

	ck_assert_str_eq(user, "erin");
	ck_assert_str_eq(network, "203.0.113.0/24");
	ck_assert_int_eq(last_seen, T0 - 20);
	(void)first_seen;
	(*count)++;
	return 0;
}

START_TEST(test_restore_lost_table)
{
	struct lockout_writeq *written = lockout_writeq_create();
	struct lockout_writeq *queue = lockout_writeq_create();
	struct lockout_writeq_dropped dropped;
	struct lockout_sync_restored restored;
	struct restored_rows rows;
	const struct restored_row *row;
	struct lockout_store *fresh;
	struct lockout_decision d;
	struct lockout_ban ban;
	const char *error = NULL;
	char allowed[256] = "", fresh_name[80];
	unsigned int devices = 0;

	ck_assert_ptr_nonnull(written);
	ck_assert_ptr_nonnull(queue);
	/* the table: a manual ban with its reason and evidence, a
	   protection, an ended ban, an observed ban, an allowed network, a
	   known device */
	memset(&ban, 0, sizeof(ban));
	ban.target = "192.0.2.70";
	ban.kind = LOCKOUT_KIND_IP;
	ban.source = LOCKOUT_SOURCE_MANUAL;
	ban.reason = "scanner from an abuse report";
	ban.rule = "manual";
	ban.created = T0 - 30;
	ban.expires = T0 + 500;
	ban.evidence = "{\"failures\":5}";
	ck_assert_int_eq(lockout_store_add_ban(other, &ban, NULL, &error), 0);
	other_bans("dave", LOCKOUT_KIND_USER, T0 - 5, 0, false);
	other_bans("192.0.2.71", LOCKOUT_KIND_IP, T0 - 100, T0 - 1, false);
	other_bans("192.0.2.72", LOCKOUT_KIND_IP, T0 - 5, 0, true);
	ck_assert_int_eq(lockout_store_add_allowed(other, "198.51.100.0/24",
						   "office", T0 - 50, NULL,
						   &error), 0);
	ck_assert_int_eq(lockout_store_touch_known_device(other, "erin",
			"203.0.113.0/24", T0 - 20, &error), 0);
	(void)reload_ok(NULL);

	/* a ban of the engine, written by this process since */
	ck_assert_int_eq(fail_once("192.0.2.80", "x", T0).type, NONE);
	ck_assert_int_eq(fail_once("192.0.2.80", "x", T0).type, NONE);
	d = fail_once("192.0.2.80", "x", T0);
	ck_assert_int_eq(d.type, LOCKOUT_DECISION_BAN);
	(void)lockout_writeq_add_decision(written, &d, false);
	ck_assert_int_eq(lockout_writeq_flush(written, store, &dropped,
					      &error), 0);
	/* a ban of the engine whose row was never written (the queue was
	   full) */
	ck_assert_int_eq(fail_once("192.0.2.85", "x", T0).type, NONE);
	ck_assert_int_eq(fail_once("192.0.2.85", "x", T0).type, NONE);
	ck_assert_int_eq(fail_once("192.0.2.85", "x", T0).type,
			 LOCKOUT_DECISION_BAN);
	/* a ban still queued: the queue writes it itself, once */
	d = pending_ban("192.0.2.90", false, T0 + 100);
	(void)lockout_writeq_add_decision(queue, &d, false);
	ck_assert_int_eq(verdict("192.0.2.90", NULL), LOCKOUT_VERDICT_ALLOW);

	/* deleted: the connection that has it open still reads it */
	ck_assert_int_eq(unlink(test_tmpstore_path(store_name)), 0);
	lockout_sync_restore(tsync, store, queue, T0, &restored);
	/* 192.0.2.70, dave, 192.0.2.72 (observed), 192.0.2.80 as rows; not
	   the ended 192.0.2.71, nor the queued 192.0.2.90 */
	ck_assert_msg(!restored.read_failed, "%s", restored.read_error);
	ck_assert_uint_eq(restored.bans, 4);
	ck_assert_uint_eq(restored.bare, 1);
	ck_assert_uint_eq(restored.allowed, 1);
	ck_assert_uint_eq(restored.devices, 1);
	ck_assert_uint_eq(restored.dropped, 0);
	ck_assert(!restored.keys_failed);

	/* into a new table, as the auth process does */
	snprintf(fresh_name, sizeof(fresh_name), "%s-new", store_name);
	fresh = test_tmpstore_open(fresh_name);
	ck_assert_msg(lockout_writeq_flush(queue, fresh, &dropped,
					   &error) == 0, "%s", error);
	memset(&rows, 0, sizeof(rows));
	ck_assert_int_eq(lockout_store_iter_bans(fresh, T0, 0, collect_row,
						 &rows, &error), 0);
	ck_assert_uint_eq(rows.count, 6);
	row = row_of(&rows, "192.0.2.70");
	ck_assert_str_eq(row->reason, "scanner from an abuse report");
	ck_assert_str_eq(row->rule, "manual");
	ck_assert_str_eq(row->evidence, "{\"failures\":5}");
	ck_assert_int_eq(row->source, LOCKOUT_SOURCE_MANUAL);
	ck_assert_int_eq(row->created, T0 - 30);
	ck_assert_int_eq(row->expires, T0 + 500);
	row = row_of(&rows, "dave");
	ck_assert_int_eq(row->expires, 0);
	ck_assert(row_of(&rows, "192.0.2.72")->observed);
	row = row_of(&rows, "192.0.2.80");
	ck_assert_str_eq(row->rule, "ip_failures");
	ck_assert_int_eq(row->source, LOCKOUT_SOURCE_AUTO);
	ck_assert_str_ne(row->evidence, "{}");
	row = row_of(&rows, "192.0.2.85");
	ck_assert_str_eq(row->rule, "restored");
	ck_assert_int_eq(row->expires, T0 + BAN_TIME);
	ck_assert_int_eq(row_of(&rows, "192.0.2.90")->seen, 1);
	for (unsigned int i = 0; i < rows.count; i++)
		ck_assert_uint_eq(rows.rows[i].seen, 1);
	ck_assert_int_eq(lockout_store_iter_allowed(fresh, collect_allowed,
						    allowed, &error), 0);
	ck_assert_str_eq(allowed, "198.51.100.0/24=office@-50;");
	ck_assert_int_eq(lockout_store_iter_known_devices(fresh, T0 - 60, 10,
			count_device, &devices, &error), 0);
	ck_assert_uint_eq(devices, 1);

	/* a reload of the new table before the write keeps it all: what is
	   queued applies */
	ck_assert_int_eq(lockout_sync_reload(tsync, fresh, queue, T0,
					     &(struct lockout_sync_result){0},
					     &error), 0);
	ck_assert_int_eq(verdict("192.0.2.85", NULL), LOCKOUT_VERDICT_BANNED);
	lockout_store_close(&fresh);
	lockout_writeq_free(&written);
	lockout_writeq_free(&queue);
}
END_TEST

/* Nothing to read the lost table with: the engine's bans alone. */
START_TEST(test_restore_unreadable)
{
	struct lockout_writeq *queue = lockout_writeq_create();
	struct lockout_sync_restored restored;
	struct lockout_writeq_dropped dropped;
	struct restored_rows rows;
	const char *error = NULL;

	ck_assert_ptr_nonnull(queue);
	other_bans("192.0.2.70", LOCKOUT_KIND_IP, T0 - 30, T0 + 500, false);
	other_bans("dave", LOCKOUT_KIND_USER, T0 - 5, 0, false);
	(void)reload_ok(NULL);
	lockout_sync_restore(tsync, NULL, queue, T0, &restored);
	ck_assert(restored.read_failed);
	ck_assert_uint_eq(restored.bans, 0);
	ck_assert_uint_eq(restored.bare, 1);
	other_sql("DELETE FROM bans");
	ck_assert_int_eq(lockout_writeq_flush(queue, other, &dropped, &error),
			 0);
	memset(&rows, 0, sizeof(rows));
	ck_assert_int_eq(lockout_store_iter_bans(other, T0, 0, collect_row,
						 &rows, &error), 0);
	ck_assert_uint_eq(rows.count, 1);
	ck_assert_str_eq(rows.rows[0].rule, "restored");
	ck_assert_int_eq(rows.rows[0].expires, T0 + 500);
	ck_assert_int_eq(rows.rows[0].created, T0);
	ck_assert(!rows.rows[0].observed);
	lockout_writeq_free(&queue);
}
END_TEST

START_TEST(test_restore_keeps_pending_allowed)
{
	struct lockout_writeq *queue = lockout_writeq_create();
	struct lockout_sync_restored restored;
	struct lockout_addr addr;
	const char *error = NULL;

	ck_assert_ptr_nonnull(queue);
	ck_assert_int_eq(lockout_store_add_allowed(other, "198.51.100.0/24",
						   "office", T0 - 50, NULL,
						   &error), 0);
	(void)reload_ok(NULL);
	lockout_sync_restore(tsync, store, queue, T0, &restored);
	ck_assert_uint_eq(restored.allowed, 1);
	/* the table is empty again: what waits in the queue still applies */
	other_sql("DELETE FROM allowed");
	(void)reload_ok(queue);
	ck_assert_int_eq(lockout_addr_parse("198.51.100.7", &addr), 0);
	ck_assert(lockout_policy_is_allowed(policy, &addr));
	lockout_writeq_free(&queue);
}
END_TEST

static Suite *sync_suite(void)
{
	Suite *s = suite_create("lockout-sync");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reload_sees_other_writer);
	tcase_add_test(tc, test_allowed_networks);
	tcase_add_test(tc, test_unban_forgets_source);
	tcase_add_test(tc, test_unprotect_forgets_account);
	tcase_add_test(tc, test_pending_survive_reload);
	tcase_add_loop_test(tc, test_mode_rows, 0, 2);
	tcase_add_test(tc, test_invalid_rows_skipped);
	tcase_add_test(tc, test_invalid_rows_bounded);
	tcase_add_loop_test(tc, test_load_remembered, 0, 2);
	tcase_add_test(tc, test_remembered_read_fails);
	tcase_add_test(tc, test_failure_attempt);
	tcase_add_test(tc, test_failures_of_other_nodes_ban);
	tcase_add_test(tc, test_failures_of_other_nodes_repeats_count_once);
	tcase_add_test(tc, test_prune);
	/* SQLite only: a renamed table (PostgreSQL's prepared statements
	   follow it), each allocation failed in turn (libpq's are not
	   wrapped), a file deleted or replaced */
	if (test_tmpstore_driver == LOCKOUT_DB_DRIVER_SQLITE) {
		tcase_add_test(tc, test_failed_read);
		tcase_add_test(tc, test_out_of_memory);
		tcase_add_test(tc, test_restore_lost_table);
		tcase_add_test(tc, test_restore_keeps_pending_allowed);
		tcase_add_test(tc, test_restore_unreadable);
	}
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_tmpstore_run(sync_suite, "test-sync");
}
