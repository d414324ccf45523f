/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_SIMULATE_H
#define LOCKOUT_SIMULATE_H

#include "lockout-json.h"
#include "lockout-policy.h"

#include <stdbool.h>
#include <stdint.h>

#include "lockout-tag.h"

/* Replaying authentication history through the policy engine, exactly as
   the auth process drives it: for each attempt lockout_policy_check()
   first; a refused attempt is observed as LOCKOUT_OUTCOME_REFUSED (or
   LOCKOUT_OUTCOME_PROTECTED for a protected account), any other is
   observed with its outcome. Time comes from the input. The
   replay keeps no attempts: memory is the engine's (bounded by its caps)
   plus the active bans and a few fixed-size summary lists. No I/O.

   The trace parser (lockout-trace.h) and the log parser
   (lockout-logparse.h) turn their input into struct lockout_sim_attempt. */

/* Longest username, service and mechanism an attempt carries (bytes; the
   parsers reject or cut longer ones). */
#define LOCKOUT_SIM_USER_MAX 255
#define LOCKOUT_SIM_SERVICE_MAX 31
#define LOCKOUT_SIM_MECH_MAX 31
/* Size of the key of lockout_password_tag(). */
#define LOCKOUT_SIM_KEY_SIZE LOCKOUT_TAG_KEY_SIZE
/* Entries each summary list keeps; further ones are only counted. */
#define LOCKOUT_SIM_LIST_MAX 20
/* A repeated attempt (struct lockout_sim_attempt.count) is cut to this. */
#define LOCKOUT_SIM_COUNT_MAX 1000

enum lockout_sim_result {
	/* the password was right */
	LOCKOUT_SIM_OK,
	/* wrong password for an existing user */
	LOCKOUT_SIM_MISMATCH,
	/* no such user */
	LOCKOUT_SIM_UNKNOWN_USER,
	/* a credential failure of unknown kind (Dovecot logs without
	   auth_verbose): replayed as an unknown user when the name is a
	   targeted one not seen as an account so far, as a wrong password
	   otherwise */
	LOCKOUT_SIM_FAILED,
	/* refused by the recorded server itself before the password check
	   ("user disabled": a lockout passdb already running there); its
	   real outcome is unknown, it is replayed as LOCKOUT_SIM_FAILED when
	   the replay does not refuse it too */
	LOCKOUT_SIM_REFUSED,
};

struct lockout_sim_attempt {
	/* seconds, any origin; should not decrease (a decrease is clamped
	   and counted); times more than 2^55 apart are cut */
	int64_t time;
	struct lockout_addr ip;
	enum lockout_sim_result result;
	/* lockout_password_tag() of the attempted password; 0 when
	   unknown: then every failure counts */
	uint32_t password_tag;
	/* the same attempt this many times in a row (1..); cut to
	   LOCKOUT_SIM_COUNT_MAX */
	unsigned int count;
	/* the username as typed; "" when none */
	char user[LOCKOUT_SIM_USER_MAX + 1];
	/* "imap", "pop3", ...; "" when unknown */
	char service[LOCKOUT_SIM_SERVICE_MAX + 1];
	/* "PLAIN", ...; "" when unknown */
	char mechanism[LOCKOUT_SIM_MECH_MAX + 1];
};

/* The name of a result ("ok", "mismatch", "unknown_user", "failed",
   "refused"); the first three are also the trace format's. */
const char *lockout_sim_result_to_str(enum lockout_sim_result result);

/* One line of a summary list: an event, or several merged into one (the
   same source and user, or the same user for refused logins). */
struct lockout_sim_item {
	/* engine time of the first and of the last event */
	int64_t time, last_time;
	/* index of the attempt of the first event */
	uint64_t index;
	/* events merged into this line */
	uint64_t count;
	/* the decision's failures (repeats for stale clients) */
	unsigned int failures;
	/* source address or network; for refused logins the address the
	   first one came from */
	char target[LOCKOUT_NET_STRLEN];
	/* the account or username (cut to LOCKOUT_SIM_USER_MAX) */
	char user[LOCKOUT_SIM_USER_MAX + 1];
	/* refused logins: the ban that refused the first one ("" when the
	   account was protected), its rule and creation time */
	char ban_target[LOCKOUT_NET_STRLEN];
	char rule[32];
	int64_t ban_time;
	/* the decision's reason, cut */
	char reason[160];
};

struct lockout_sim_list {
	struct lockout_sim_item items[LOCKOUT_SIM_LIST_MAX];
	/* items used */
	unsigned int count;
	/* events in all (listed or not) */
	uint64_t total;
	/* distinct lines in all (listed or not): exact up to 4096, a floor
	   beyond */
	uint64_t distinct;
};

#define LOCKOUT_SIM_RULES_MAX 12
struct lockout_sim_rule_count {
	char rule[32];
	uint64_t count;
};

struct lockout_sim_summary {
	/* attempts replayed (counts expanded) and what the input said */
	uint64_t attempts, successes, mismatches, unknown_users;
	/* failures of unknown kind, and how many of them were replayed as
	   unknown users (targeted names not seen as accounts) */
	uint64_t failures_unknown_kind, failures_guessed_unknown;
	/* attempts the recorded server refused, and how many of them the
	   replay refused too */
	uint64_t recorded_refused, recorded_refused_agreed;
	/* failures with a password tag */
	uint64_t failures_with_password;
	/* what the replay would refuse before the password check */
	uint64_t refused, refused_banned, refused_protected;
	/* refused as a username the passdb called unknown lately */
	uint64_t refused_names;
	/* refused as a suspect of the unknown-user alert trying another
	   person */
	uint64_t refused_suspects;
	/* attempts whose time went backwards (replayed at the latest time
	   seen instead) */
	uint64_t time_backwards;
	/* engine times of the first and last attempt; the shift added to
	   input times (non-zero only for input starting at or before 0,
	   which the engine would read as "never") */
	int64_t first_time, last_time, time_shift;

	/* decisions */
	uint64_t bans, bans_ip, bans_net, bans_permanent, bans_escalated;
	struct lockout_sim_rule_count rules[LOCKOUT_SIM_RULES_MAX];
	unsigned int rule_count;
	uint64_t known_devices;
	/* accounts put under protection (per account; total counts the
	   protections) */
	struct lockout_sim_list protected_accounts;
	/* sources repeating one wrong password (per source and user) */
	struct lockout_sim_list stale_clients;
	/* successful logins after many failures (per source and user) */
	struct lockout_sim_list guessed;
	/* successful logins the replay refused (per user) */
	struct lockout_sim_list refused_successes;

	/* engine memory at the end, and the peak number of active bans */
	size_t engine_memory;
	size_t peak_bans;
};

struct lockout_simulate;

/* Called for every attempt in order; index counts attempts from 0 (an
   attempt with count n takes n indexes). */
typedef void lockout_sim_verdict_callback_t(uint64_t index,
					    enum lockout_verdict verdict,
					    void *context);
/* Called for each decision with the index of the attempt that led to it.
   Times in the decision are engine times (see time_shift). */
typedef void lockout_sim_decision_callback_t(uint64_t index,
					     const struct lockout_decision *d,
					     void *context);

struct lockout_sim_callbacks {
	/* each may be NULL */
	lockout_sim_verdict_callback_t *verdict;
	lockout_sim_decision_callback_t *decision;
	void *context;
};

/* Create a replay of the settings cfg (which must stay valid and unchanged
   while it lives; lockout_mode is ignored: the replay shows what enforce
   mode does) with an engine keyed with key (lockout_policy_create(); a
   fixed key gives the same answer every run). Returns 0, or -1 with
   *error_r (out of memory). */
int lockout_simulate_create(const struct lockout_config *cfg,
			    const unsigned char key[LOCKOUT_HASH_KEY_SIZE],
			    const struct lockout_sim_callbacks *callbacks,
			    struct lockout_simulate **sim_r,
			    const char **error_r)
	__attribute__((warn_unused_result));
void lockout_simulate_free(struct lockout_simulate **sim);

/* Replay one attempt (count times). Returns 0, or -1 with *error_r when
   out of memory (the replay stays usable; the attempt may be partly
   recorded). */
int lockout_simulate_feed(struct lockout_simulate *sim,
			  const struct lockout_sim_attempt *attempt,
			  const char **error_r)
	__attribute__((warn_unused_result));

/* The summary so far. Valid until the next call on sim. */
const struct lockout_sim_summary *
lockout_simulate_summary(struct lockout_simulate *sim);

/* Append d as one JSON object (no newline): "i", "time", "type" (ban,
   protect, known_device, notable), "kind", "target", "user", "rule",
   "reason", "expires" (null when permanent or not a ban or protection),
   "failures", "evidence" (an object). Returns 0, or -1 when d->evidence is
   not a JSON object (then "evidence" is null) or str failed. */
int lockout_sim_decision_to_json(struct lockout_str *str, uint64_t index,
				 const struct lockout_decision *d);

#endif
