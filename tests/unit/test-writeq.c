/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-writeq.h"
#include "alloc-fail.h"
#include "tmpstore.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))
#define T0 1700000000
#define ATTR_UNUSED __attribute__((unused))

/* --- helpers ------------------------------------------------------------ */

/* A decision as the policy engine makes it. */
static struct lockout_decision
decision(enum lockout_decision_type type, const char *target, int64_t time)
{
	struct lockout_decision d;
	const char *error;

	memset(&d, 0, sizeof(d));
	d.type = type;
	d.target = target;
	d.user = "alice@example.org";
	d.rule = type == LOCKOUT_DECISION_NOTABLE ? "stale_client" :
		"ip_failures";
	d.reason = "3 failures in 10 mins";
	d.time = time;
	d.expires = type == LOCKOUT_DECISION_BAN ? time + 3600 : 0;
	d.failures = 3;
	d.evidence = "{\"failures\":3}";
	switch (type) {
	case LOCKOUT_DECISION_PROTECT:
		d.kind = LOCKOUT_KIND_USER;
		d.expires = time + 600;
		break;
	case LOCKOUT_DECISION_KNOWN_DEVICE:
		d.evidence = "{}";
		/* fall through */
	default:
		ck_assert_int_eq(lockout_net_parse(
			type == LOCKOUT_DECISION_KNOWN_DEVICE ?
			"192.0.2.0/24" : target, &d.net, &error), 0);
		d.kind = lockout_net_is_host(&d.net) ?
			LOCKOUT_KIND_IP : LOCKOUT_KIND_NET;
		break;
	}
	return d;
}

static struct lockout_failure
failure(const char *ip, const char *user, const char *result, int64_t time)
{
	struct lockout_failure f;

	memset(&f, 0, sizeof(f));
	f.time = time;
	f.ip = ip;
	f.user = user;
	f.service = "imap";
	f.mechanism = "PLAIN";
	f.result = result;
	f.count = 1;
	return f;
}

static struct lockout_writeq *queue_create(void)
{
	struct lockout_writeq *q = lockout_writeq_create();

	ck_assert_ptr_nonnull(q);
	return q;
}

/* Each test (forked by Check) has a queue and a table of its own. */
static struct lockout_writeq *queue;
static struct lockout_store *store;
static char store_name[64];

static void setup(void)
{
	queue = queue_create();
	snprintf(store_name, sizeof(store_name), "writeq-%ld",
		 (long)getpid());
	store = test_tmpstore_open(store_name);
}

static void teardown(void)
{
	lockout_store_close(&store);
	lockout_writeq_free(&queue);
}

static void flush_ok(struct lockout_writeq *queue,
		     struct lockout_store *store,
		     struct lockout_writeq_dropped *dropped_r)
{
	struct lockout_writeq_dropped dropped;
	const char *error = NULL;

	ck_assert_msg(lockout_writeq_flush(queue, store, dropped_r != NULL ?
					   dropped_r : &dropped, &error) == 0,
		      "flush: %s", error);
}

static struct lockout_writeq_counts counts(const struct lockout_writeq *q)
{
	struct lockout_writeq_counts c;

	lockout_writeq_count(q, &c);
	return c;
}

/* What a table holds, as one line per row, for comparing. */
struct rows {
	char text[64][600];
	unsigned int count;
};

static char *rows_next(struct rows *rows)
{
	ck_assert_uint_lt(rows->count, N_ELEMENTS(rows->text));
	return rows->text[rows->count++];
}

static int rows_ban(const struct lockout_ban *ban, void *context)
{
	snprintf(rows_next(context), 600, "%s %s %s %s %s %lld %lld %u %s %d",
		 ban->target, lockout_kind_to_str(ban->kind),
		 lockout_source_to_str(ban->source), ban->rule, ban->reason,
		 (long long)ban->created, (long long)ban->expires,
		 ban->failures, ban->evidence, ban->observed ? 1 : 0);
	return 0;
}

static int rows_failure(const struct lockout_failure *f, void *context)
{
	snprintf(rows_next(context), 600, "%lld %s|%s|%s|%s|%s %u",
		 (long long)f->time, f->ip, f->user, f->service,
		 f->mechanism, f->result, f->count);
	return 0;
}

static int rows_device(const char *user, const char *network,
		       int64_t first_seen, int64_t last_seen, void *context)
{
	snprintf(rows_next(context), 600, "%s %s %lld %lld", user, network,
		 (long long)first_seen, (long long)last_seen);
	return 0;
}

static int rows_event(const struct lockout_event *ev, void *context)
{
	snprintf(rows_next(context), 600, "%lld %s %s|%s %s",
		 (long long)ev->time, ev->kind, ev->ip, ev->user, ev->detail);
	return 0;
}

enum table { BANS, FAILURES, DEVICES, EVENTS };

static struct rows *read_rows(struct lockout_store *store, enum table table)
{
	static struct rows rows;
	const char *error = NULL;
	int ret = -1;

	memset(&rows, 0, sizeof(rows));
	switch (table) {
	case BANS:
		ret = lockout_store_iter_bans(store, T0, LOCKOUT_ITER_FLAG_ALL,
					      rows_ban, &rows, &error);
		break;
	case FAILURES:
		ret = lockout_store_iter_failures(store, NULL, NULL, 0,
						  rows_failure, &rows, &error);
		break;
	case DEVICES:
		ret = lockout_store_iter_known_devices(store, 0, 100,
						       rows_device, &rows,
						       &error);
		break;
	case EVENTS:
		ret = lockout_store_iter_unnotified_events(store, 100,
							   rows_event, &rows,
							   &error);
		break;
	}
	ck_assert_msg(ret == 0, "read: %s", error);
	return &rows;
}

/* Is line one of the rows? */
static bool rows_have(const struct rows *rows, const char *line)
{
	unsigned int i;

	for (i = 0; i < rows->count; i++) {
		if (strcmp(rows->text[i], line) == 0)
			return true;
	}
	return false;
}

#define ck_assert_row(rows, line) \
	ck_assert_msg(rows_have(rows, line), "no row '%s' (%u rows, first " \
		      "'%s')", line, (rows)->count, (rows)->text[0])

/* --- adding and writing ------------------------------------------------- */

START_TEST(test_decisions_written)
{
	struct lockout_decision d;
	struct rows *rows;

	d = decision(LOCKOUT_DECISION_BAN, "192.0.2.7", T0);
	ck_assert_int_eq(lockout_writeq_add_decision(queue, &d, false),
			 LOCKOUT_WRITEQ_FLUSH_NOW);
	d = decision(LOCKOUT_DECISION_BAN, "2001:db8:1::/64", T0 + 1);
	ck_assert_int_eq(lockout_writeq_add_decision(queue, &d, true),
			 LOCKOUT_WRITEQ_FLUSH_NOW);
	d = decision(LOCKOUT_DECISION_PROTECT, "alice@example.org", T0 + 2);
	ck_assert_int_eq(lockout_writeq_add_decision(queue, &d, false),
			 LOCKOUT_WRITEQ_FLUSH_NOW);
	d = decision(LOCKOUT_DECISION_PROTECT, "bob@example.org", T0 + 3);
	ck_assert_int_eq(lockout_writeq_add_decision(queue, &d, true),
			 LOCKOUT_WRITEQ_FLUSH_NOW);
	d = decision(LOCKOUT_DECISION_KNOWN_DEVICE, "carol@example.org",
		     T0 + 4);
	ck_assert_int_eq(lockout_writeq_add_decision(queue, &d, false),
			 LOCKOUT_WRITEQ_FLUSH_BATCH);
	d = decision(LOCKOUT_DECISION_NOTABLE, "198.51.100.9", T0 + 5);
	ck_assert_int_eq(lockout_writeq_add_decision(queue, &d, false),
			 LOCKOUT_WRITEQ_FLUSH_BATCH);
	ck_assert_uint_eq(counts(queue).bans, 4);
	ck_assert_uint_eq(counts(queue).devices, 1);
	/* the postmaster hears of a real protection at once */
	ck_assert_uint_eq(counts(queue).events, 2);
	ck_assert(!lockout_writeq_is_empty(queue));

	flush_ok(queue, store, NULL);
	ck_assert(lockout_writeq_is_empty(queue));
	ck_assert_uint_eq(counts(queue).bans, 0);

	rows = read_rows(store, BANS);
	ck_assert_uint_eq(rows->count, 4);
	ck_assert_row(rows, "192.0.2.7 ip auto ip_failures 3 failures in "
		      "10 mins 1700000000 1700003600 3 {\"failures\":3} 0");
	ck_assert_row(rows, "2001:db8:1::/64 net auto ip_failures 3 failures "
		      "in 10 mins 1700000001 1700003601 3 {\"failures\":3} 1");
	ck_assert_row(rows, "alice@example.org user auto ip_failures 3 "
		      "failures in 10 mins 1700000002 1700000602 3 "
		      "{\"failures\":3} 0");
	ck_assert_row(rows, "bob@example.org user auto ip_failures 3 "
		      "failures in 10 mins 1700000003 1700000603 3 "
		      "{\"failures\":3} 1");
	rows = read_rows(store, DEVICES);
	ck_assert_uint_eq(rows->count, 1);
	ck_assert_row(rows, "carol@example.org 192.0.2.0/24 1700000004 "
		      "1700000004");
	rows = read_rows(store, EVENTS);
	ck_assert_uint_eq(rows->count, 2);
	ck_assert_row(rows, "1700000002 protected |alice@example.org "
		      "{\"failures\":3}");
	ck_assert_row(rows, "1700000005 stale_client 198.51.100.9|"
		      "alice@example.org {\"failures\":3}");

	/* NULL-safe */
	lockout_writeq_free(&queue);
	ck_assert_ptr_null(queue);
	lockout_writeq_free(&queue);
}
END_TEST

START_TEST(test_failures_aggregated)
{
	struct lockout_failure f;
	struct rows *rows;
	char long_user[400];

	f = failure("192.0.2.1", "alice", "mismatch", T0);
	ck_assert_int_eq(lockout_writeq_add_failure(queue, &f),
			 LOCKOUT_WRITEQ_FLUSH_BATCH);
	/* the same row again, later: counted, the first time kept */
	f.time = T0 + 9;
	ck_assert_int_eq(lockout_writeq_add_failure(queue, &f),
			 LOCKOUT_WRITEQ_FLUSH_NONE);
	f.count = 5;
	ck_assert_int_eq(lockout_writeq_add_failure(queue, &f),
			 LOCKOUT_WRITEQ_FLUSH_NONE);
	/* any field that differs makes another row */
	f = failure("192.0.2.1", "alice", "unknown_user", T0 + 1);
	ck_assert_int_eq(lockout_writeq_add_failure(queue, &f),
			 LOCKOUT_WRITEQ_FLUSH_BATCH);
	f = failure("192.0.2.2", "alice", "mismatch", T0 + 2);
	ck_assert_int_eq(lockout_writeq_add_failure(queue, &f),
			 LOCKOUT_WRITEQ_FLUSH_BATCH);
	f.mechanism = "CRAM-MD5";
	ck_assert_int_eq(lockout_writeq_add_failure(queue, &f),
			 LOCKOUT_WRITEQ_FLUSH_BATCH);
	/* fields are compared as fields: no separator can make two rows
	   one */
	f = failure("192.0.2.3", "a\tb", "mismatch", T0 + 3);
	f.service = "";
	ck_assert_int_eq(lockout_writeq_add_failure(queue, &f),
			 LOCKOUT_WRITEQ_FLUSH_BATCH);
	f.user = "a";
	f.service = "b";
	ck_assert_int_eq(lockout_writeq_add_failure(queue, &f),
			 LOCKOUT_WRITEQ_FLUSH_BATCH);
	/* NULL is "", long usernames and services are cut */
	f = failure("192.0.2.4", NULL, "mismatch", T0 + 4);
	f.service = NULL;
	f.mechanism = NULL;
	ck_assert_int_eq(lockout_writeq_add_failure(queue, &f),
			 LOCKOUT_WRITEQ_FLUSH_BATCH);
	f.user = "";
	ck_assert_int_eq(lockout_writeq_add_failure(queue, &f),
			 LOCKOUT_WRITEQ_FLUSH_NONE);
	memset(long_user, 'u', sizeof(long_user) - 1);
	long_user[sizeof(long_user) - 1] = '\0';
	f = failure("192.0.2.5", long_user, "mismatch", T0 + 5);
	ck_assert_int_eq(lockout_writeq_add_failure(queue, &f),
			 LOCKOUT_WRITEQ_FLUSH_BATCH);
	long_user[LOCKOUT_WRITEQ_USER_MAX + 3] = '\0';
	ck_assert_int_eq(lockout_writeq_add_failure(queue, &f),
			 LOCKOUT_WRITEQ_FLUSH_NONE);
	ck_assert_uint_eq(counts(queue).failure_rows, 8);
	ck_assert_uint_eq(counts(queue).failures, 16);

	flush_ok(queue, store, NULL);
	rows = read_rows(store, FAILURES);
	ck_assert_uint_eq(rows->count, 8);
	ck_assert_row(rows, "1700000000 192.0.2.1|alice|imap|PLAIN|mismatch 7");
	ck_assert_row(rows, "1700000001 192.0.2.1|alice|imap|PLAIN|"
		      "unknown_user 1");
	ck_assert_row(rows, "1700000002 192.0.2.2|alice|imap|CRAM-MD5|"
		      "mismatch 1");
	ck_assert_row(rows, "1700000003 192.0.2.3|a\tb||PLAIN|mismatch 1");
	ck_assert_row(rows, "1700000003 192.0.2.3|a|b|PLAIN|mismatch 1");
	ck_assert_row(rows, "1700000004 192.0.2.4||||mismatch 2");
	long_user[LOCKOUT_WRITEQ_USER_MAX] = '\0';
	ck_assert_uint_eq(strlen(long_user), 255);
	{
		char line[600];

		snprintf(line, sizeof(line), "1700000005 192.0.2.5|%s|imap|"
			 "PLAIN|mismatch 2", long_user);
		ck_assert_row(rows, line);
	}

	/* a written row is not counted again: the next one is new */
	f = failure("192.0.2.1", "alice", "mismatch", T0 + 20);
	ck_assert_int_eq(lockout_writeq_add_failure(queue, &f),
			 LOCKOUT_WRITEQ_FLUSH_BATCH);
	flush_ok(queue, store, NULL);
	ck_assert_uint_eq(read_rows(store, FAILURES)->count, 9);
}
END_TEST

/* Password tags: dropped by default (one row whatever the password), kept
   apart and written when the queue keeps them (a node of several), where
   another node reads them back with the row. */
static int collect_tags(int64_t id ATTR_UNUSED,
			const struct lockout_failure *row, void *context)
{
	uint32_t *sum = context;

	sum[0] += row->count;
	sum[1] += row->tag;
	return 0;
}

START_TEST(test_failure_tags)
{
	struct lockout_failure f;
	const char *error = NULL;
	uint32_t sum[2] = { 0, 0 };

	f = failure("192.0.2.1", "alice", "mismatch", T0);
	f.tag = 7;
	ck_assert_int_eq(lockout_writeq_add_failure(queue, &f),
			 LOCKOUT_WRITEQ_FLUSH_BATCH);
	f.tag = 8;
	ck_assert_int_eq(lockout_writeq_add_failure(queue, &f),
			 LOCKOUT_WRITEQ_FLUSH_NONE);
	ck_assert_uint_eq(counts(queue).failure_rows, 1);
	flush_ok(queue, store, NULL);

	lockout_writeq_keep_tags(queue);
	lockout_store_set_node(store, "node1");
	f.ip = "192.0.2.2";
	f.tag = 7;
	ck_assert_int_eq(lockout_writeq_add_failure(queue, &f),
			 LOCKOUT_WRITEQ_FLUSH_BATCH);
	ck_assert_int_eq(lockout_writeq_add_failure(queue, &f),
			 LOCKOUT_WRITEQ_FLUSH_NONE);
	f.tag = 8;
	ck_assert_int_eq(lockout_writeq_add_failure(queue, &f),
			 LOCKOUT_WRITEQ_FLUSH_BATCH);
	ck_assert_uint_eq(counts(queue).failure_rows, 2);
	flush_ok(queue, store, NULL);
	/* read back as another node reads them: 3 failures, tags 7 + 8
	   (the first row, of no node, has tag 0) */
	ck_assert_msg(lockout_store_iter_failures_since(store, 0, "node2",
			100, collect_tags, sum, &error) == 0, "%s", error);
	ck_assert_uint_eq(sum[0], 2 + 3);
	ck_assert_uint_eq(sum[1], 15);
}
END_TEST

START_TEST(test_empty_flush)
{
	struct lockout_writeq_dropped dropped;

	/* nothing queued: the store is not touched at all */
	ck_assert(lockout_writeq_is_empty(queue));
	flush_ok(queue, NULL, &dropped);
	ck_assert_uint_eq(dropped.failures + dropped.bans + dropped.other, 0);
	ck_assert_ptr_null(lockout_writeq_begin(queue));
}
END_TEST

/* --- bounds ------------------------------------------------------------- */

static const struct {
	enum lockout_decision_type type;
	unsigned int max;
} bound_cases[] = {
	{ LOCKOUT_DECISION_BAN, LOCKOUT_WRITEQ_MAX_BANS },
	{ LOCKOUT_DECISION_KNOWN_DEVICE, LOCKOUT_WRITEQ_MAX_OTHER },
	{ LOCKOUT_DECISION_NOTABLE, LOCKOUT_WRITEQ_MAX_OTHER },
};

START_TEST(test_decision_bounds)
{
	enum lockout_decision_type type = bound_cases[_i].type;
	struct lockout_writeq_dropped dropped;
	struct lockout_decision d;
	struct lockout_writeq_counts c;
	char target[64];
	unsigned int i;

	for (i = 0; i < bound_cases[_i].max; i++) {
		snprintf(target, sizeof(target), "10.%u.%u.1", i / 256,
			 i % 256);
		d = decision(type, target, T0 + i);
		ck_assert_int_ne(lockout_writeq_add_decision(queue, &d, true),
				 LOCKOUT_WRITEQ_FLUSH_NONE);
	}
	/* full: dropped and counted, nothing to schedule */
	d = decision(type, "192.0.2.1", T0);
	ck_assert_int_eq(lockout_writeq_add_decision(queue, &d, true),
			 LOCKOUT_WRITEQ_FLUSH_NONE);
	ck_assert_int_eq(lockout_writeq_add_decision(queue, &d, true),
			 LOCKOUT_WRITEQ_FLUSH_NONE);
	lockout_writeq_count(queue, &c);
	ck_assert_uint_eq(c.bans + c.devices + c.events, bound_cases[_i].max);

	flush_ok(queue, store, &dropped);
	ck_assert_uint_eq(dropped.bans,
			  type == LOCKOUT_DECISION_BAN ? 2 : 0);
	ck_assert_uint_eq(dropped.other,
			  type == LOCKOUT_DECISION_BAN ? 0 : 2);
	ck_assert_uint_eq(dropped.failures, 0);
	/* handed over once */
	ck_assert_int_ne(lockout_writeq_add_decision(queue, &d, true),
			 LOCKOUT_WRITEQ_FLUSH_NONE);
	flush_ok(queue, store, &dropped);
	ck_assert_uint_eq(dropped.bans + dropped.other, 0);
}
END_TEST

START_TEST(test_failure_bounds)
{
	struct lockout_writeq_dropped dropped;
	struct lockout_failure f;
	char user[32];
	unsigned int i;

	for (i = 0; i < LOCKOUT_WRITEQ_MAX_FAILURE_ROWS; i++) {
		snprintf(user, sizeof(user), "user%u", i);
		f = failure("192.0.2.1", user, "unknown_user", T0);
		/* with the batch, until so many rows wait that they are
		   better written at once (the caller may not manage to) */
		ck_assert_int_eq(lockout_writeq_add_failure(queue, &f),
				 i + 1 < LOCKOUT_WRITEQ_FLUSH_FAILURE_ROWS ?
				 LOCKOUT_WRITEQ_FLUSH_BATCH :
				 LOCKOUT_WRITEQ_FLUSH_NOW);
	}
	/* no room for a new row, but a queued row still counts */
	f = failure("192.0.2.1", "one-more", "unknown_user", T0);
	ck_assert_int_eq(lockout_writeq_add_failure(queue, &f),
			 LOCKOUT_WRITEQ_FLUSH_NONE);
	f = failure("192.0.2.1", "user7", "unknown_user", T0);
	ck_assert_int_eq(lockout_writeq_add_failure(queue, &f),
			 LOCKOUT_WRITEQ_FLUSH_NONE);
	ck_assert_uint_eq(counts(queue).failure_rows,
			  LOCKOUT_WRITEQ_MAX_FAILURE_ROWS);
	ck_assert_uint_eq(counts(queue).failures,
			  LOCKOUT_WRITEQ_MAX_FAILURE_ROWS + 1);
	flush_ok(queue, store, &dropped);
	ck_assert_uint_eq(dropped.failures, 1);
	ck_assert_uint_eq(dropped.bans + dropped.other, 0);
}
END_TEST

/* --- failing writes ------------------------------------------------------ */

static void queue_some(struct lockout_writeq *queue, int64_t time)
{
	struct lockout_decision d;
	struct lockout_failure f;

	d = decision(LOCKOUT_DECISION_BAN, "192.0.2.9", time);
	(void)lockout_writeq_add_decision(queue, &d, false);
	d = decision(LOCKOUT_DECISION_KNOWN_DEVICE, "alice", time);
	(void)lockout_writeq_add_decision(queue, &d, false);
	f = failure("192.0.2.9", "alice", "mismatch", time);
	(void)lockout_writeq_add_failure(queue, &f);
}

START_TEST(test_busy_kept)
{
	struct lockout_store *other = test_tmpstore_open(store_name);
	struct lockout_writeq_dropped dropped;
	const char *error = NULL;

	queue_some(queue, T0);
	/* another writer holds the lock: nothing written, all kept */
	ck_assert_int_eq(lockout_store_begin(other, &error), 0);
	ck_assert_int_eq(lockout_writeq_flush(queue, store, &dropped, &error),
			 -1);
	ck_assert(lockout_store_error_is_busy(store));
	ck_assert_uint_eq(counts(queue).bans, 1);
	ck_assert_uint_eq(counts(queue).devices, 1);
	ck_assert_uint_eq(counts(queue).failures, 1);
	/* what came meanwhile is counted with it */
	queue_some(queue, T0 + 1);
	ck_assert_uint_eq(counts(queue).failure_rows, 1);
	ck_assert_uint_eq(counts(queue).failures, 2);
	ck_assert_int_eq(lockout_store_commit(other, &error), 0);

	flush_ok(queue, store, NULL);
	ck_assert_uint_eq(read_rows(store, BANS)->count, 2);
	ck_assert_uint_eq(read_rows(store, FAILURES)->count, 1);
	ck_assert_row(read_rows(store, FAILURES),
		      "1700000000 192.0.2.9|alice|imap|PLAIN|mismatch 2");
	lockout_store_close(&other);
}
END_TEST

START_TEST(test_invalid_row_rolls_back)
{
	struct lockout_writeq_dropped dropped;
	struct lockout_decision d;
	const char *error = NULL;

	queue_some(queue, T0);
	/* the store refuses a ban without a rule: one transaction, so
	   nothing of the batch is written */
	d = decision(LOCKOUT_DECISION_BAN, "192.0.2.10", T0);
	d.rule = "";
	(void)lockout_writeq_add_decision(queue, &d, false);
	ck_assert_int_eq(lockout_writeq_flush(queue, store, &dropped, &error),
			 -1);
	ck_assert(!lockout_store_error_is_busy(store));
	ck_assert_ptr_nonnull(strstr(error, "rule"));
	ck_assert_uint_eq(read_rows(store, BANS)->count, 0);
	ck_assert_uint_eq(read_rows(store, DEVICES)->count, 0);
	ck_assert_uint_eq(read_rows(store, FAILURES)->count, 0);
	ck_assert_uint_eq(counts(queue).bans, 2);
	ck_assert_uint_eq(counts(queue).failures, 1);
}
END_TEST

/* --- a batch in flight --------------------------------------------------- */

static int count_ban(const struct lockout_ban *ban,
		     const struct lockout_net *net, void *context)
{
	unsigned int *count = context;
	char buf[LOCKOUT_NET_STRLEN];

	if (ban->kind != LOCKOUT_KIND_USER) {
		lockout_net_to_str(net, buf);
		ck_assert_str_eq(buf, ban->target);
	}
	ck_assert_int_eq(ban->id, 0);
	(*count)++;
	return 0;
}

static int stop_at_first(const struct lockout_ban *ban ATTR_UNUSED,
			 const struct lockout_net *net ATTR_UNUSED,
			 void *context ATTR_UNUSED)
{
	return 7;
}

static unsigned int pending_bans(const struct lockout_writeq *queue)
{
	unsigned int count = 0;

	ck_assert_int_eq(lockout_writeq_iter_bans(queue, count_ban, &count),
			 0);
	return count;
}

START_TEST(test_in_flight)
{
	const struct lockout_writeq_batch *batch;
	struct lockout_writeq_dropped dropped;
	struct lockout_decision d;
	const char *error = NULL;

	queue_some(queue, T0);
	d = decision(LOCKOUT_DECISION_PROTECT, "bob@example.org", T0);
	(void)lockout_writeq_add_decision(queue, &d, false);
	batch = lockout_writeq_begin(queue);
	ck_assert_ptr_nonnull(batch);
	/* one batch at a time; the queue is free for new records */
	ck_assert_ptr_null(lockout_writeq_begin(queue));
	ck_assert(lockout_writeq_is_empty(queue));
	ck_assert_int_eq(lockout_writeq_flush(queue, store, &dropped, &error),
			 0);
	queue_some(queue, T0 + 1);
	ck_assert(!lockout_writeq_is_empty(queue));
	/* bans in flight are still pending for a reload */
	ck_assert_uint_eq(pending_bans(queue), 3);
	ck_assert_int_eq(lockout_writeq_iter_bans(queue, stop_at_first, NULL),
			 7);
	ck_assert_uint_eq(counts(queue).failure_rows, 2);

	/* not written: put back ahead, rows that match counted together */
	lockout_writeq_end(queue, false, &dropped);
	ck_assert_uint_eq(pending_bans(queue), 3);
	ck_assert_uint_eq(counts(queue).failure_rows, 1);
	ck_assert_uint_eq(counts(queue).failures, 2);
	ck_assert_uint_eq(counts(queue).devices, 2);
	ck_assert_uint_eq(counts(queue).events, 1);

	/* written: forgotten; what came meanwhile stays */
	batch = lockout_writeq_begin(queue);
	ck_assert_ptr_nonnull(batch);
	queue_some(queue, T0 + 2);
	ck_assert_int_eq(lockout_writeq_batch_write(batch, store, &error), 0);
	lockout_writeq_end(queue, true, &dropped);
	ck_assert_uint_eq(pending_bans(queue), 1);
	ck_assert_uint_eq(counts(queue).failures, 1);
	ck_assert_uint_eq(read_rows(store, BANS)->count, 3);
	ck_assert_row(read_rows(store, FAILURES),
		      "1700000000 192.0.2.9|alice|imap|PLAIN|mismatch 2");
	/* ending without a batch in flight does nothing */
	lockout_writeq_end(queue, true, &dropped);
	ck_assert_uint_eq(pending_bans(queue), 1);
	flush_ok(queue, store, NULL);
	ck_assert_uint_eq(read_rows(store, BANS)->count, 4);
	ck_assert_uint_eq(read_rows(store, FAILURES)->count, 2);
}
END_TEST

START_TEST(test_in_flight_bounds)
{
	struct lockout_writeq_dropped dropped;
	struct lockout_decision d;
	char target[64];
	unsigned int i;

	/* the bounds cover the batch in flight and the queue together */
	for (i = 0; i < LOCKOUT_WRITEQ_MAX_BANS; i++) {
		snprintf(target, sizeof(target), "10.%u.%u.1", i / 256,
			 i % 256);
		d = decision(LOCKOUT_DECISION_BAN, target, T0);
		(void)lockout_writeq_add_decision(queue, &d, false);
		if (i == LOCKOUT_WRITEQ_MAX_BANS / 2)
			ck_assert_ptr_nonnull(lockout_writeq_begin(queue));
	}
	d = decision(LOCKOUT_DECISION_BAN, "192.0.2.1", T0);
	ck_assert_int_eq(lockout_writeq_add_decision(queue, &d, false),
			 LOCKOUT_WRITEQ_FLUSH_NONE);
	lockout_writeq_end(queue, false, &dropped);
	ck_assert_uint_eq(dropped.bans, 0);
	ck_assert_uint_eq(counts(queue).bans, LOCKOUT_WRITEQ_MAX_BANS);
}
END_TEST

/* --- out of memory ------------------------------------------------------- */

/* Fail each allocation of adding a mix of records in turn: the queue stays
   consistent (what it counts is what it writes, the rest is dropped and
   counted), and nothing leaks (ASan). No Check assertion while a failure
   is armed: they allocate too. */
START_TEST(test_out_of_memory)
{
	struct lockout_writeq_dropped dropped;
	struct lockout_writeq_counts c;
	struct lockout_writeq *q;
	struct lockout_decision d[5];
	struct lockout_failure f;
	char big[5000];
	unsigned int i;
	bool failed;
	long n;

	memset(big, 'e', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	d[0] = decision(LOCKOUT_DECISION_BAN, "192.0.2.9", T0);
	d[0].evidence = big;
	d[1] = decision(LOCKOUT_DECISION_PROTECT, "bob", T0);
	d[2] = decision(LOCKOUT_DECISION_KNOWN_DEVICE, "alice", T0);
	/* after the batch in flight */
	d[3] = decision(LOCKOUT_DECISION_BAN, "192.0.2.10", T0 + 1);
	d[4] = decision(LOCKOUT_DECISION_NOTABLE, "192.0.2.10", T0 + 1);
	f = failure("192.0.2.9", "alice", "mismatch", T0);
	for (n = 0, failed = true; failed; n++) {
		q = queue_create();
		test_alloc_fail_nth(n);
		for (i = 0; i < 3; i++)
			(void)lockout_writeq_add_decision(q, &d[i], false);
		(void)lockout_writeq_add_failure(q, &f);
		(void)lockout_writeq_add_failure(q, &f);
		(void)lockout_writeq_begin(q);
		for (; i < N_ELEMENTS(d); i++)
			(void)lockout_writeq_add_decision(q, &d[i], false);
		(void)lockout_writeq_add_failure(q, &f);
		lockout_writeq_end(q, false, &dropped);
		failed = test_alloc_disarm();

		lockout_writeq_count(q, &c);
		flush_ok(q, store, &dropped);
		ck_assert_uint_eq(c.bans + dropped.bans, 3);
		ck_assert_uint_eq(c.devices + c.events + dropped.other, 3);
		ck_assert_uint_eq(c.failures + dropped.failures, 3);
		ck_assert_uint_eq(c.failure_rows, c.failures > 0 ? 1 : 0);
		ck_assert_uint_eq(dropped.bans + dropped.other +
				  dropped.failures > 0 ? 1 : 0,
				  failed ? 1 : 0);
		lockout_writeq_free(&q);
	}
	ck_assert_int_gt(n, 5);
	/* and creating one */
	test_alloc_fail_nth(0);
	q = lockout_writeq_create();
	ck_assert(test_alloc_disarm());
	ck_assert_ptr_null(q);
}
END_TEST

static Suite *writeq_suite(void)
{
	Suite *s = suite_create("lockout-writeq");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_decisions_written);
	tcase_add_test(tc, test_failures_aggregated);
	tcase_add_test(tc, test_failure_tags);
	tcase_add_test(tc, test_empty_flush);
	tcase_add_loop_test(tc, test_decision_bounds, 0,
			    N_ELEMENTS(bound_cases));
	tcase_add_test(tc, test_failure_bounds);
	/* SQLite only: another writer's BEGIN IMMEDIATE locks the table
	   (test-store-pg has PostgreSQL's busy rows) */
	if (test_tmpstore_driver == LOCKOUT_DB_DRIVER_SQLITE)
		tcase_add_test(tc, test_busy_kept);
	tcase_add_test(tc, test_invalid_row_rolls_back);
	tcase_add_test(tc, test_in_flight);
	tcase_add_test(tc, test_in_flight_bounds);
	/* each allocation failed in turn: the SQLite driver's (libpq's own
	   are not wrapped) */
	if (test_tmpstore_driver == LOCKOUT_DB_DRIVER_SQLITE)
		tcase_add_test(tc, test_out_of_memory);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_tmpstore_run(writeq_suite, "test-writeq");
}
