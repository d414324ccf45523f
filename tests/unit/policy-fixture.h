/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef POLICY_FIXTURE_H
#define POLICY_FIXTURE_H

/* What the Check programs of the policy engine (tests/unit/test-policy-*.c)
   share: a fixture holding a configuration, an engine and the decisions it
   made, and short ways to observe, check and read evidence. */

#include "lockout-policy.h"
#include "lockout-json.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))

#define T0 1700000000
#define MINUTE 60
#define HOUR 3600
#define DAY 86400
/* "no such step" in the tables */
#define NONE (-1)
/* an expiry of a permanent ban or protection in the tables */
#define PERM (-1)
/* decisions copied with their strings; later ones are only counted */
#define RECORDS_MAX 64
#define FLOOD_COUNT 100000
#define LONG_NAME_LEN (10 * 1024)

/* ck_assert*() reports every passing check to the runner (a write): in the
   helpers that floods call, check without that cost. */
#define REQUIRE(expr, ...) do { \
	if (!(expr)) \
		ck_abort_msg(__VA_ARGS__); \
	} while (0)

/* --- fixture: a configuration, an engine and what it decided -------------- */

struct record {
	enum lockout_decision_type type;
	enum lockout_kind kind;
	struct lockout_net net;
	char target[LOCKOUT_BAN_TARGET_MAX + 1];
	char user[LOCKOUT_BAN_TARGET_MAX + 1];
	char rule[64];
	char reason[1024];
	int64_t time, expires;
	unsigned int failures;
	char *evidence;
};

struct fixture {
	struct lockout_config cfg;
	struct lockout_policy *policy;
	unsigned int decisions;
	unsigned int by_type[LOCKOUT_DECISION_NOTABLE + 1];
	unsigned int recorded;
	struct record rec[RECORDS_MAX];
};

/* Settings: ip_failures = 1. */
extern const char *const one_failure[];

/* A fixture with the settings of two lists of name/value pairs over the
   defaults, each ending with NULL (or NULL); the engine (with a fixed hash
   key) reads the configuration only at creation. */
struct fixture *fixture_new2(const char *const *settings,
			     const char *const *more);
struct fixture *fixture_new(const char *const *settings);
/* Lift every active ban (an unban, or the bans running out) and keep the
   history: a source banned again is a repeat offender. While its ban is
   active a source is not banned again (one burst, one ban). */
void lift_bans(struct fixture *fx);
/* Forget the decisions recorded so far. */
void fixture_clear(struct fixture *fx);
void fixture_free(struct fixture **fx);

/* Parse str, failing the test when it is not an address or a network. */
void test_addr(const char *str, struct lockout_addr *addr_r);
void test_net(const char *str, struct lockout_net *net_r);
/* The IPv4 address value (host order). */
void addr4(uint32_t value, struct lockout_addr *addr_r);
/* 2001:db8:<value>::1, a different /64 for every value */
void addr6(uint32_t value, struct lockout_addr *addr_r);
const char *net_str(const struct lockout_net *net,
		    char buf[LOCKOUT_NET_STRLEN]);
/* A malloc()ed name of LONG_NAME_LEN bytes that starts with prefix and ends
   with suffix, with a UTF-8 character across the evidence's cut. */
char *long_name(const char *prefix, const char *suffix);

/* Observe one attempt, recording its decisions; checks that the return
   value is the number of callbacks and returns it. */
int observe_attempt(struct fixture *fx, const struct lockout_attempt *a);
int observe_full(struct fixture *fx, int64_t time,
		 const struct lockout_addr *ip, enum lockout_outcome outcome,
		 const char *user, const char *account, uint32_t tag,
		 const char *service, const char *mechanism);
/* An IMAP PLAIN attempt by user (as typed and as the account). */
int observe(struct fixture *fx, int64_t time, const char *ip,
	    enum lockout_outcome outcome, const char *user, uint32_t tag);
/* The outcome of a code of the tables: S, M, U, R or P. */
enum lockout_outcome outcome_of(char code);

/* FLOOD_COUNT failures (outcome) from ip, one a minute, each on a username
   of its own; asserts that the engine's memory stays the same from the
   1000th on and returns the decisions made. */
unsigned int flood_usernames(struct fixture *fx, const char *ip,
			     enum lockout_outcome outcome);

/* lockout_policy_check(), asserting that a ban is returned exactly when
   the verdict is BANNED. */
enum lockout_verdict
check_full(struct fixture *fx, int64_t now, const char *ip,
	   const char *account, const struct lockout_banset_entry **ban_r);
enum lockout_verdict check(struct fixture *fx, int64_t now, const char *ip,
			   const char *account);

/* The last recorded decision of type (and rule, unless NULL), or NULL. */
const struct record *
find_decision(const struct fixture *fx, enum lockout_decision_type type,
	      const char *rule);
unsigned int count_decisions(const struct fixture *fx,
			     enum lockout_decision_type type,
			     const char *rule);

/* --- evidence ------------------------------------------------------------- */

/* The number or string key of the evidence json (which must have it). */
int64_t ev_int(const char *json, const char *key);
void ev_str(const char *json, const char *key, const char *expected);
/* The reader has no arrays: check them as the exact text. */
void ev_has(const char *json, const char *text);
/* Every BAN, PROTECT and NOTABLE carries valid JSON naming its rule and
   the failures it counted. */
void ev_basic(const struct record *r);

/* Run the suite; the exit status of a test program. */
int policy_test_run(Suite *suite);

#endif
