/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-writeq.h"

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
   (the timer), the rows written and the peak RSS. */

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
