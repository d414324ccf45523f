/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* Feeds the policy engine a million failures from a hundred thousand IPv4
   and IPv6 addresses with the default settings, the clock advancing at
   BENCH_RATE attempts per second, the way the auth module drives it: check
   first, then observe. Every attempt reaches observe with its own outcome,
   as with lockout_mode=observe, so that all million failures are counted
   by the engine (in enforce mode most of them would be refused early).
   Prints the time per call, the decisions and the memory. Asserts nothing
   about time; a benchmark, not a test. */
#include "lockout-policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#define BENCH_FAILURES 1000000U
#define BENCH_ADDRESSES 100000U
/* a tenth of the addresses are IPv6 (each in its own /64) */
#define BENCH_IPV6_PERCENT 10U
/* half of the attempts come from this many busy addresses */
#define BENCH_BUSY 1000U
#define BENCH_RATE 2000U
/* attempts handled per timed batch: check all, then observe all */
#define BENCH_BATCH 1000U
/* the workload's random numbers */
#define BENCH_SEED 0x5eedU
/* the engine's hash key: fixed, so that every run decides the same */
static const unsigned char bench_key[LOCKOUT_HASH_KEY_SIZE] =
	"policy-bench-key";

#define BENCH_ACCOUNTS 200U	/* existing accounts */
#define BENCH_PHONES 50U	/* accounts with a stale password somewhere */
#define BENCH_GUESSES 80U	/* names that are no account */

/* names bots try (the defaults of lockout_targeted_users, some spelled
   differently); "admin" and "info" also exist as accounts */
static const char *const targeted_names[] = {
	"admin", "Admin@example.org", "info", "INFO@example.org", "root",
	"test", "user", "123", "help", "contact", "no-reply", "webmaster",
	"postmaster", "abuse", "support", "office", "mail", "sales",
	"noreply", "administrator",
};
#define BENCH_TARGETED (sizeof(targeted_names) / sizeof(targeted_names[0]))
#define BENCH_TARGETED_EXISTING 4U

static const char *const services[] = { "imap", "pop3", "submission",
					"smtp", "sieve" };
static const char *const mechanisms[] = { "PLAIN", "LOGIN", "CRAM-MD5",
					  "SCRAM-SHA-256", "X-FOO" };

struct counts {
	unsigned long long by_type[LOCKOUT_DECISION_NOTABLE + 1];
	unsigned long long ban_ip, ban_net, protect;
	unsigned long long rules[8];
};

static const char *const rule_names[] = {
	"ip_failures", "targeted_unknown", "targeted_failures", "net_hosts",
	"user_failures", "stale_client", "success_after_failures", "other",
};

static uint64_t rng_state = BENCH_SEED;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rng_below(uint32_t n)
{
	return (uint32_t)(rng_next() % n);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static long peak_rss_kib(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return -1;
	return ru.ru_maxrss;
}

static void on_decision(const struct lockout_decision *d, void *context)
{
	struct counts *c = context;
	unsigned int i;

	c->by_type[d->type]++;
	if (d->type == LOCKOUT_DECISION_BAN) {
		if (d->kind == LOCKOUT_KIND_IP)
			c->ban_ip++;
		else
			c->ban_net++;
	}
	for (i = 0; i < 7; i++) {
		if (strcmp(d->rule, rule_names[i]) == 0)
			break;
	}
	c->rules[i]++;
}

static void make_addresses(struct lockout_addr *addrs)
{
	unsigned int i;
	uint64_t r;

	for (i = 0; i < BENCH_ADDRESSES; i++) {
		memset(&addrs[i], 0, sizeof(addrs[i]));
		r = rng_next();
		if (rng_below(100) < BENCH_IPV6_PERCENT) {
			addrs[i].family = LOCKOUT_AF_INET6;
			addrs[i].bytes[0] = 0x20;
			addrs[i].bytes[1] = 0x01;
			addrs[i].bytes[2] = 0x0d;
			addrs[i].bytes[3] = 0xb8;
			memcpy(addrs[i].bytes + 4, &r, 4);
			memcpy(addrs[i].bytes + 8, &i, sizeof(i));
			addrs[i].bytes[15] |= 1;
		} else {
			/* spread over the address space, with some /24s
			   holding several addresses */
			addrs[i].family = LOCKOUT_AF_INET;
			addrs[i].bytes[0] = (uint8_t)(1 + r % 223);
			addrs[i].bytes[1] = (uint8_t)(r >> 8);
			addrs[i].bytes[2] = (uint8_t)((r >> 16) % 64);
			addrs[i].bytes[3] = (uint8_t)(i % 251 + 1);
		}
	}
}

/* One attempt of the stream; names point into static storage. */
static void make_attempt(struct lockout_attempt *a,
			 const struct lockout_addr *addrs,
			 char accounts[][32], char guesses[][32])
{
	uint32_t pick = rng_below(100);
	uint32_t name;

	memset(a, 0, sizeof(*a));
	if (rng_below(2) == 0)
		a->ip = addrs[rng_below(BENCH_BUSY)];
	else
		a->ip = addrs[rng_below(BENCH_ADDRESSES)];
	a->service = services[rng_below(5)];
	a->mechanism = mechanisms[rng_below(5)];
	/* credential-lookup mechanisms have no password to tag */
	a->password_tag = strcmp(a->mechanism, "CRAM-MD5") == 0 ? 0 :
		(uint32_t)rng_next();
	if (pick < 1) {
		/* a phone at home repeating an old password */
		name = rng_below(BENCH_PHONES);
		a->ip = addrs[BENCH_ADDRESSES - 1 - name];
		a->user = accounts[name];
		a->mechanism = "PLAIN";
		a->password_tag = 0xc0de0000U + name;
		a->outcome = LOCKOUT_OUTCOME_MISMATCH;
	} else if (pick < 4) {
		name = rng_below(BENCH_TARGETED);
		a->user = targeted_names[name];
		a->outcome = name < BENCH_TARGETED_EXISTING ?
			LOCKOUT_OUTCOME_MISMATCH :
			LOCKOUT_OUTCOME_UNKNOWN_USER;
	} else if (pick < 40) {
		a->user = guesses[rng_below(BENCH_GUESSES)];
		a->outcome = LOCKOUT_OUTCOME_UNKNOWN_USER;
	} else {
		a->user = accounts[rng_below(BENCH_ACCOUNTS)];
		a->outcome = LOCKOUT_OUTCOME_MISMATCH;
	}
}

int main(void)
{
	static char accounts[BENCH_ACCOUNTS][32], guesses[BENCH_GUESSES][32];
	struct lockout_attempt batch[BENCH_BATCH];
	enum lockout_verdict verdicts[BENCH_BATCH];
	const struct lockout_banset_entry *ban;
	struct lockout_config cfg;
	struct lockout_policy *policy;
	struct lockout_addr *addrs;
	struct counts counts;
	const char *error;
	unsigned long long attempts = 0, failures = 0, successes = 0;
	unsigned long long unknown = 0;
	unsigned long long refused_ban = 0, refused_protect = 0;
	uint64_t check_ns = 0, observe_ns = 0, t;
	int64_t clock0 = 1700000000, now = clock0;
	unsigned int i;
	long rss_before;
	size_t mem_created;

	memset(&counts, 0, sizeof(counts));
	for (i = 0; i < BENCH_ACCOUNTS; i++)
		snprintf(accounts[i], sizeof(accounts[i]),
			 "user%03u@example.org", i);
	for (i = 0; i < BENCH_GUESSES; i++)
		snprintf(guesses[i], sizeof(guesses[i]), "guess%02u", i);
	addrs = calloc(BENCH_ADDRESSES, sizeof(*addrs));
	if (addrs == NULL) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	make_addresses(addrs);
	if (lockout_config_init(&cfg, &error) < 0) {
		fprintf(stderr, "lockout_config_init: %s\n", error);
		return 1;
	}
	rss_before = peak_rss_kib();
	policy = lockout_policy_create(&cfg, bench_key);
	if (policy == NULL) {
		fprintf(stderr, "lockout_policy_create: out of memory\n");
		return 1;
	}
	mem_created = lockout_policy_memory(policy);

	while (failures < BENCH_FAILURES) {
		for (i = 0; i < BENCH_BATCH; i++) {
			make_attempt(&batch[i], addrs, accounts, guesses);
			/* now and then a real user logs in from home: the
			   last BENCH_ACCOUNTS addresses (attackers use them
			   too, rarely) */
			if (rng_below(50) == 0) {
				uint32_t k = rng_below(BENCH_ACCOUNTS);

				batch[i].user = accounts[k];
				batch[i].ip = addrs[BENCH_ADDRESSES - 1 - k];
				batch[i].outcome = LOCKOUT_OUTCOME_SUCCESS;
				batch[i].password_tag = 0;
			}
			batch[i].time = clock0 + (int64_t)(attempts + i) /
				BENCH_RATE;
		}
		t = now_ns();
		for (i = 0; i < BENCH_BATCH; i++) {
			verdicts[i] = lockout_policy_check(policy,
							   batch[i].time,
							   &batch[i].ip,
							   batch[i].user,
							   &ban);
		}
		check_ns += now_ns() - t;
		for (i = 0; i < BENCH_BATCH; i++) {
			if (verdicts[i] == LOCKOUT_VERDICT_BANNED)
				refused_ban++;
			else if (verdicts[i] == LOCKOUT_VERDICT_PROTECTED)
				refused_protect++;
			if (batch[i].outcome == LOCKOUT_OUTCOME_SUCCESS) {
				successes++;
			} else {
				failures++;
				if (batch[i].outcome ==
				    LOCKOUT_OUTCOME_UNKNOWN_USER)
					unknown++;
			}
		}
		t = now_ns();
		for (i = 0; i < BENCH_BATCH; i++) {
			if (lockout_policy_observe(policy, &batch[i],
						   on_decision,
						   &counts) < 0) {
				fprintf(stderr, "observe: out of memory\n");
				return 1;
			}
		}
		observe_ns += now_ns() - t;
		attempts += BENCH_BATCH;
		now = batch[BENCH_BATCH - 1].time;
		/* the auth module purges expired bans now and then */
		if (attempts % (BENCH_RATE * 60) == 0)
			(void)lockout_banset_expire(lockout_policy_bans(policy),
						    now);
	}

	printf("policy engine benchmark (default settings, fixed key, "
	       "workload seed %#x)\n", BENCH_SEED);
	printf("  attempts            %llu: %llu failures (%llu unknown "
	       "user), %llu successes\n", attempts, failures, unknown,
	       successes);
	printf("  addresses           %u (%u%% IPv6), %u usernames "
	       "(%u targeted)\n", BENCH_ADDRESSES, BENCH_IPV6_PERCENT,
	       (unsigned int)(BENCH_ACCOUNTS + BENCH_GUESSES +
			      BENCH_TARGETED), (unsigned int)BENCH_TARGETED);
	printf("  simulated time      %lld s at %u attempts/s\n",
	       (long long)(now - clock0), BENCH_RATE);
	printf("  observe             %.0f ns per call\n",
	       (double)observe_ns / (double)attempts);
	printf("  check               %.0f ns per call\n",
	       (double)check_ns / (double)attempts);
	printf("  check verdicts      %llu banned, %llu protected (observed "
	       "anyway)\n", refused_ban, refused_protect);
	printf("  decisions           BAN %llu (ip %llu, net %llu), "
	       "PROTECT %llu, KNOWN_DEVICE %llu, NOTABLE %llu\n",
	       counts.by_type[LOCKOUT_DECISION_BAN], counts.ban_ip,
	       counts.ban_net, counts.by_type[LOCKOUT_DECISION_PROTECT],
	       counts.by_type[LOCKOUT_DECISION_KNOWN_DEVICE],
	       counts.by_type[LOCKOUT_DECISION_NOTABLE]);
	printf("  by rule            ");
	for (i = 0; i < 8; i++) {
		if (counts.rules[i] > 0 && strcmp(rule_names[i], "other") != 0)
			printf(" %s %llu", rule_names[i], counts.rules[i]);
	}
	printf("\n");
	printf("  active bans         %zu in the ban set\n",
	       lockout_banset_count(lockout_policy_bans(policy)));
	printf("  sources tracked     %zu of %zu\n",
	       lockout_policy_source_count(policy),
	       lockout_policy_source_capacity(policy));
	printf("  engine memory       %zu bytes after creation, %zu at the "
	       "end (lockout_policy_memory)\n", mem_created,
	       lockout_policy_memory(policy));
	printf("  peak RSS            %ld KiB (%ld KiB before the engine)\n",
	       peak_rss_kib(), rss_before);

	lockout_policy_free(&policy);
	lockout_config_free(&cfg);
	free(addrs);
	return 0;
}
