/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_POLICY_H
#define LOCKOUT_POLICY_H

#include "lockout-addr.h"
#include "lockout-banset.h"
#include "lockout-config.h"
#include "lockout-json.h"
#include "lockout-store.h"

#include <stdint.h>

/* The policy engine: pure, no I/O, time passed in, deterministic for a given
   seed. The auth module feeds it outcomes and carries out its decisions; unit
   tests and replay tools drive the very same code.

   Memory is bounded: the per-source table holds at most
   lockout_max_sources entries and evicts the least recently seen entry of a
   set when full (set-associative, keyed hash). Bans live in the ban set,
   which eviction never touches. */
struct lockout_policy;

enum lockout_outcome {
	/* the password was right */
	LOCKOUT_OUTCOME_SUCCESS,
	/* wrong password, or a mechanism-level mismatch */
	LOCKOUT_OUTCOME_MISMATCH,
	/* no such user */
	LOCKOUT_OUTCOME_UNKNOWN_USER,
	/* refused by us before the password check */
	LOCKOUT_OUTCOME_REFUSED,
};

struct lockout_attempt {
	int64_t time; /* unix seconds */
	struct lockout_addr ip;
	const char *user;      /* as typed; may be NULL */
	const char *service;   /* "imap", "pop3", "smtp", ...; may be NULL */
	const char *mechanism; /* "PLAIN", "CRAM-MD5", ...; may be NULL */
	enum lockout_outcome outcome;
};

/* A ban the engine decided on. The engine has already put it in its ban set;
   the caller persists it. */
struct lockout_decision {
	enum lockout_kind kind;
	struct lockout_net net;
	char target[LOCKOUT_NET_STRLEN];
	const char *rule; /* static string */
	char reason[256];
	int64_t created;
	int64_t expires; /* 0 = permanent */
	unsigned int failures;
	/* JSON object with the evidence */
	struct lockout_str evidence;
};

/* Create an engine for cfg, which must stay valid and unchanged while the
   engine lives. Returns NULL when out of memory. */
struct lockout_policy *
lockout_policy_create(const struct lockout_config *cfg, uint32_t seed)
	__attribute__((warn_unused_result));
void lockout_policy_free(struct lockout_policy **policy);

/* The source network an address is counted and banned as: the address
   itself for IPv4, its lockout_ipv6_prefix network for IPv6. */
void lockout_policy_source_net(const struct lockout_policy *policy,
			       const struct lockout_addr *ip,
			       struct lockout_net *net_r);

/* May a request from ip go on at now? Returns true when it is allowed;
   false when an active ban covers it, with *ban_r set to that ban. */
bool lockout_policy_allowed(const struct lockout_policy *policy, int64_t now,
			    const struct lockout_addr *ip,
			    const struct lockout_banset_entry **ban_r);

/* Record an outcome. Returns 1 when it produced a decision in *decision_r
   (free it with lockout_decision_free()), 0 when not, -1 when out of memory
   (nothing was decided; the engine stays consistent). */
int lockout_policy_observe(struct lockout_policy *policy,
			   const struct lockout_attempt *attempt,
			   struct lockout_decision *decision_r)
	__attribute__((warn_unused_result));
void lockout_decision_free(struct lockout_decision *decision);

/* The active bans. The caller may replace them from the ban table (after
   another process changed it); see lockout_policy_forget(). */
struct lockout_banset *lockout_policy_bans(struct lockout_policy *policy);

/* Forget the failure counters of the source net (after an unban, so that the
   next failure does not re-ban at once). */
void lockout_policy_forget(struct lockout_policy *policy,
			   const struct lockout_net *net);

/* Number of sources currently tracked, and the table's capacity. */
size_t lockout_policy_source_count(const struct lockout_policy *policy);
size_t lockout_policy_source_capacity(const struct lockout_policy *policy);

const char *lockout_outcome_to_str(enum lockout_outcome outcome);

#endif
