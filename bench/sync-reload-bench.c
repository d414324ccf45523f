/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* What a reload of the ban table costs the auth process (not a test: it
   asserts nothing). A real SQLite table (in $TMPDIR, /tmp by default) with
   BANS active automatic bans, each with a reason and a few hundred bytes of
   evidence as the engine writes them; lockout_sync_reload() is run ROUNDS
   times, as the poll timer runs it whenever another process committed
   (lockoutd marking a ban notified, doveadm). Prints the CPU time per
   reload and per row, and the peak RSS. bench/run-sync-bench.sh builds it
   against two trees and runs both. */

#define ROUNDS 20

static int64_t cpu_nsecs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char *argv[])
{
	const char *tmpdir = getenv("TMPDIR");
	unsigned int bans = argc > 1 ? (unsigned int)atoi(argv[1]) : 20000;
	struct lockout_sync_result result;
	struct lockout_config cfg;
	struct lockout_policy *policy;
	struct lockout_sync *sync;
	struct lockout_store *store;
	struct lockout_ban ban;
	struct rusage ru;
	char path[256], target[64], evidence[512];
	int64_t now = 1700000000, t, times[ROUNDS];
	const char *error;
	unsigned int i;

	snprintf(path, sizeof(path), "%s/sync-bench-%ld.db",
		 tmpdir == NULL ? "/tmp" : tmpdir, (long)getpid());
	if (lockout_config_init(&cfg, &error) < 0 ||
	    (policy = lockout_policy_create(&cfg, NULL)) == NULL ||
	    (sync = lockout_sync_create(&cfg, policy)) == NULL ||
	    lockout_store_open(path, LOCKOUT_STORE_FLAG_CREATE, 1000, &store,
			       &error) < 0 ||
	    lockout_store_begin(store, &error) < 0) {
		fprintf(stderr, "setup: %s\n", error);
		return 1;
	}
	memset(&ban, 0, sizeof(ban));
	ban.kind = LOCKOUT_KIND_IP;
	ban.source = LOCKOUT_SOURCE_AUTO;
	ban.rule = "ip_failures";
	ban.reason = "10 failed logins within 10 mins (3 usernames tried)";
	ban.created = now - 60;
	ban.expires = now + 3600;
	ban.failures = 10;
	ban.evidence = evidence;
	for (i = 0; i < bans; i++) {
		snprintf(target, sizeof(target), "10.%u.%u.%u",
			 (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
		snprintf(evidence, sizeof(evidence),
			 "{\"rule\":\"ip_failures\",\"failures\":10,"
			 "\"window\":600,\"users\":3,\"passwords\":10,"
			 "\"first\":%lld,\"last\":%lld,\"services\":"
			 "[\"imap\",\"pop3\"],\"mechanisms\":[\"PLAIN\","
			 "\"LOGIN\"],\"sample_users\":[\"alice@example.org\","
			 "\"bob@example.org\",\"carol@example.org\"],"
			 "\"ban_count\":1,\"escalation\":1}",
			 (long long)now - 600, (long long)now - 60);
		ban.target = target;
		if (lockout_store_add_ban(store, &ban, NULL, &error) < 0) {
			fprintf(stderr, "add: %s\n", error);
			return 1;
		}
	}
	if (lockout_store_commit(store, &error) < 0) {
		fprintf(stderr, "commit: %s\n", error);
		return 1;
	}
	for (i = 0; i < ROUNDS; i++) {
		t = cpu_nsecs();
		if (lockout_sync_reload(sync, store, NULL, now, &result,
					&error) < 0) {
			fprintf(stderr, "reload: %s\n", error);
			return 1;
		}
		times[i] = cpu_nsecs() - t;
	}
	qsort(times, ROUNDS, sizeof(times[0]), cmp_i64);
	getrusage(RUSAGE_SELF, &ru);
	printf("%u active bans: reload median %.2f ms (min %.2f), %.2f us "
	       "a row; peak RSS %ld MiB\n", result.loaded,
	       times[ROUNDS / 2] / 1e6, times[0] / 1e6,
	       times[ROUNDS / 2] / 1e3 / (result.loaded ? result.loaded : 1),
	       ru.ru_maxrss / 1024);
	lockout_store_close(&store);
	lockout_sync_free(&sync);
	lockout_policy_free(&policy);
	lockout_config_free(&cfg);
	(void)unlink(path);
	return 0;
}
