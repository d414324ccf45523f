/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-writeq.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* What the auth process's write queue costs (not a test: it asserts
   nothing). A million failures, as the observer queues them for the
   history (one lockout_writeq_add_failure() per failed login), from
   100,000 addresses and 300 usernames; every 600 failures (300 ms at 2000
   logins per second) the queue is written into a real SQLite table in one
   transaction, as the auth process's flush timer does (in $TMPDIR, /tmp by
   default). Prints the CPU time per add (the request path) and per flush
   (the timer), the rows written and the peak RSS.
   Then the memory of a queue held at its bound (what the auth process
   keeps while the ban table is out of reach, e.g. PostgreSQL down): every
   kind of record added until the queue drops them, once with typical
   strings and once with the longest each field keeps, measured as the heap
   in use (mallinfo2) before and after. */

#define ATTEMPTS 1000000
#define SOURCES 100000
#define USERS 300
#define FLUSH_EVERY 600

static uint64_t rnd_state = 0x5eed;

static uint32_t rnd(void)
{
	/* xorshift64*: the same stream every run */
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return (uint32_t)((rnd_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static int64_t cpu_nsecs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Fill a new queue to its bounds and return the heap it holds (bytes).
   long_strings: every string as long as the queue keeps it (usernames
   LOCKOUT_WRITEQ_USER_MAX bytes, an evidence of 1 KiB), else typical. */
static size_t queue_at_bound(bool long_strings,
			     struct lockout_writeq_counts *counts_r,
			     struct lockout_writeq_dropped *dropped_r)
{
	char user[LOCKOUT_WRITEQ_USER_MAX + 1], ip[64], target[64];
	char evidence[1100], reason[300];
	struct lockout_decision d;
	struct lockout_failure f;
	struct lockout_writeq *queue;
	struct mallinfo2 before, after;
	const char *error;
	unsigned int i;
	size_t len;

	before = mallinfo2();
	queue = lockout_writeq_create();
	if (queue == NULL)
		exit(1);
	len = long_strings ? LOCKOUT_WRITEQ_USER_MAX : 20;
	memset(user, 'u', len);
	user[len] = '\0';
	len = long_strings ? sizeof(evidence) - 1 : 200;
	memset(evidence, 'e', len);
	evidence[0] = '{';
	evidence[len - 1] = '}';
	evidence[len] = '\0';
	snprintf(reason, sizeof(reason), "%s", long_strings ?
		 "10 failed logins within 10 mins, 3 of them to commonly "
		 "targeted usernames (admin, info, test), from a network "
		 "that already had 2 banned hosts in the last day" :
		 "10 failed logins within 10 mins");
	/* failure rows: each one distinct (its own address and user) */
	for (i = 0; i < LOCKOUT_WRITEQ_MAX_FAILURE_ROWS + 100; i++) {
		snprintf(ip, sizeof(ip), long_strings ?
			 "2001:db8:%x:%x:%x:%x:%x:%x" : "10.%u.%u.%u",
			 i >> 16, (i >> 8) & 0xff, i & 0xff, i, i, i);
		user[0] = 'a' + i % 26;
		user[1] = 'a' + (i / 26) % 26;
		user[2] = 'a' + (i / 676) % 26;
		memset(&f, 0, sizeof(f));
		f.time = 1700000000 + i;
		f.ip = ip;
		f.user = user;
		f.service = "submission";
		f.mechanism = "PLAIN";
		f.result = "unknown_user";
		f.count = 1;
		(void)lockout_writeq_add_failure(queue, &f);
	}
	/* bans, then known devices and events (the "other" bound) */
	for (i = 0; i < LOCKOUT_WRITEQ_MAX_BANS + 2 * LOCKOUT_WRITEQ_MAX_OTHER +
		     150; i++) {
		memset(&d, 0, sizeof(d));
		snprintf(target, sizeof(target), "10.%u.%u.%u", i >> 16,
			 (i >> 8) & 0xff, i & 0xff);
		if (lockout_net_parse(target, &d.net, &error) < 0) {
			fprintf(stderr, "%s\n", error);
			exit(1);
		}
		d.type = i < LOCKOUT_WRITEQ_MAX_BANS + 50 ?
			LOCKOUT_DECISION_BAN :
			i < LOCKOUT_WRITEQ_MAX_BANS + LOCKOUT_WRITEQ_MAX_OTHER +
			100 ? LOCKOUT_DECISION_KNOWN_DEVICE :
			LOCKOUT_DECISION_NOTABLE;
		d.kind = LOCKOUT_KIND_IP;
		d.target = d.type == LOCKOUT_DECISION_KNOWN_DEVICE ?
			user : target;
		d.user = user;
		d.rule = d.type == LOCKOUT_DECISION_NOTABLE ?
			"stale_client" : "ip_failures";
		d.reason = reason;
		d.time = 1700000000 + i;
		d.expires = d.type == LOCKOUT_DECISION_BAN ?
			1700003600 + i : 0;
		d.failures = 10;
		d.evidence = d.type == LOCKOUT_DECISION_KNOWN_DEVICE ?
			"{}" : evidence;
		(void)lockout_writeq_add_decision(queue, &d, false);
	}
	after = mallinfo2();
	lockout_writeq_count(queue, counts_r);
	/* the drops are reported by the next write: a flush into no store
	   is not possible, so count what did not fit from the totals */
	dropped_r->failures = LOCKOUT_WRITEQ_MAX_FAILURE_ROWS + 100 -
		counts_r->failure_rows;
	dropped_r->bans = LOCKOUT_WRITEQ_MAX_BANS + 50 - counts_r->bans;
	dropped_r->other = 2 * (LOCKOUT_WRITEQ_MAX_OTHER + 50) -
		counts_r->devices - counts_r->events;
	lockout_writeq_free(&queue);
	return after.uordblks - before.uordblks;
}

static void print_bound(bool long_strings)
{
	struct lockout_writeq_counts counts;
	struct lockout_writeq_dropped dropped;
	size_t bytes = queue_at_bound(long_strings, &counts, &dropped);

	printf("  at its bound, %s strings: %.1f MiB of heap (%u failure "
	       "rows, %u bans, %u devices, %u events held; %u failure rows, "
	       "%u bans and %u others beyond the bound dropped)\n",
	       long_strings ? "longest" : "typical",
	       (double)bytes / (1024 * 1024), counts.failure_rows,
	       counts.bans, counts.devices, counts.events,
	       dropped.failures, dropped.bans, dropped.other);
}

int main(void)
{
	static const char *services[] = { "imap", "pop3", "smtp", "sieve",
					  "submission" };
	static const char *results[] = { "mismatch", "unknown_user",
					 "refused" };
	struct lockout_writeq_dropped dropped, total_dropped = { 0, 0, 0 };
	struct lockout_writeq_counts counts;
	static struct lockout_failure f[FLUSH_EVERY];
	static char ip[FLUSH_EVERY][32], user[FLUSH_EVERY][32];
	struct lockout_store *store;
	struct lockout_writeq *queue;
	const char *tmpdir = getenv("TMPDIR");
	char path[256], db[300];
	int64_t t, add_ns = 0, flush_ns = 0;
	unsigned int i, j, flushes = 0, rows = 0;
	const char *error;
	struct rusage ru;
	uint32_t src;

	snprintf(path, sizeof(path), "%s/writeq-bench.XXXXXX",
		 tmpdir != NULL ? tmpdir : "/tmp");
	if (mkdtemp(path) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(db, sizeof(db), "%s/lockout.db", path);
	if (lockout_store_open(db, LOCKOUT_STORE_FLAG_CREATE, 100, &store,
			       &error) < 0) {
		fprintf(stderr, "%s\n", error);
		return 1;
	}
	queue = lockout_writeq_create();
	if (queue == NULL)
		return 1;
	for (i = 0; i < ATTEMPTS; i += FLUSH_EVERY) {
		/* a batch of failures made beforehand: only the adds are
		   timed, in CPU time (the machine may be shared) */
		for (j = 0; j < FLUSH_EVERY; j++) {
			/* half the failures from 1,000 busy sources */
			src = rnd() % ((i + j) % 2 == 0 ? 1000 : SOURCES);
			snprintf(ip[j], sizeof(ip[j]), "10.%u.%u.%u",
				 src >> 16, (src >> 8) & 0xff, src & 0xff);
			snprintf(user[j], sizeof(user[j]),
				 "user%u@example.org", rnd() % USERS);
			memset(&f[j], 0, sizeof(f[j]));
			f[j].time = 1700000000 + (i + j) / 2000;
			f[j].ip = ip[j];
			f[j].user = user[j];
			f[j].service = services[rnd() % 5];
			f[j].mechanism = "PLAIN";
			f[j].result = results[rnd() % 3];
			f[j].count = 1;
		}
		t = cpu_nsecs();
		for (j = 0; j < FLUSH_EVERY; j++)
			(void)lockout_writeq_add_failure(queue, &f[j]);
		add_ns += cpu_nsecs() - t;

		lockout_writeq_count(queue, &counts);
		rows += counts.failure_rows;
		t = cpu_nsecs();
		if (lockout_writeq_flush(queue, store, &dropped, &error) < 0) {
			fprintf(stderr, "flush: %s\n", error);
			return 1;
		}
		flush_ns += cpu_nsecs() - t;
		flushes++;
		total_dropped.failures += dropped.failures;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("write queue benchmark (%u failures, %u sources, %u users, "
	       "a flush every %u)\n", ATTEMPTS, SOURCES, USERS, FLUSH_EVERY);
	printf("  add_failure         %.0f ns of CPU per call\n",
	       (double)add_ns / ATTEMPTS);
	printf("  flush               %.0f us of CPU per flush, %.1f us per "
	       "row (%u flushes, %u rows, %u dropped)\n",
	       (double)flush_ns / flushes / 1000,
	       (double)flush_ns / rows / 1000, flushes, rows,
	       total_dropped.failures);
	printf("  peak RSS            %ld KiB\n", ru.ru_maxrss);
	printf("pending-write queue held at its bound (the table out of "
	       "reach)\n");
	print_bound(false);
	print_bound(true);

	lockout_writeq_free(&queue);
	lockout_store_close(&store);
	unlink(db);
	snprintf(db, sizeof(db), "%s/lockout.db-wal", path);
	unlink(db);
	snprintf(db, sizeof(db), "%s/lockout.db-shm", path);
	unlink(db);
	rmdir(path);
	return 0;
}
