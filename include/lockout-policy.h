/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_POLICY_H
#define LOCKOUT_POLICY_H

#include "lockout-addr.h"
#include "lockout-banset.h"
#include "lockout-config.h"
#include "lockout-hash.h"
#include "lockout-ban.h"

#include <stdint.h>

/* The policy engine: pure, no I/O, time passed in, deterministic for a given
   hash key. The auth module feeds it outcomes and carries out its
   decisions; unit tests and replay tools drive the very same code.

   Memory is bounded. Every table has a cap from the settings and evicts the
   least recently used entry of a set when full (lockout-satable.h, keyed by
   lockout_hash(), so an attacker cannot aim at one set):
   - sources (lockout_max_sources): failure ring, evidence;
   - source history (lockout_max_sources): ban counts for escalation, and
     per-/24 data for network bans;
   - accounts (lockout_max_users): failures from unknown sources;
   - known devices (lockout_max_known_devices): (account, network) pairs
     that logged in successfully.
   Active bans and protections are held apart and are never evicted: they
   come only from decisions and from the ban table. Usernames are kept
   truncated (evidence) or as keyed hashes (keys), so long names cost
   nothing. */
struct lockout_policy;

enum lockout_outcome {
	/* the password was right */
	LOCKOUT_OUTCOME_SUCCESS,
	/* wrong password, or a mechanism-level mismatch */
	LOCKOUT_OUTCOME_MISMATCH,
	/* no such user */
	LOCKOUT_OUTCOME_UNKNOWN_USER,
	/* refused by us before the password check (a banned source) */
	LOCKOUT_OUTCOME_REFUSED,
	/* refused before the password check because the account is
	   protected and the source is not one of its known devices: still a
	   failure of the source (repeats of one password count once, as for
	   a mismatch), not of the account */
	LOCKOUT_OUTCOME_PROTECTED,
	/* the username was refused by Dovecot before any passdb
	   (auth_username_chars, auth_username_format, empty): a failure of
	   the source, never of a username. user, if set, is hashed into the
	   source's counts only (so that a repeated name counts once in the
	   long window, as a repeated password does); it is never kept,
	   never shown and never a key; account is ignored */
	LOCKOUT_OUTCOME_INVALID_USER,
	/* refused before the lookup because the passdb called the name
	   unknown lately (LOCKOUT_VERDICT_UNKNOWN_NAME): counted as the
	   unknown user the lookup would have given (LOCKOUT_OUTCOME_
	   UNKNOWN_USER) by every rule; the failure history tells it apart */
	LOCKOUT_OUTCOME_UNKNOWN_NAME,
	/* refused before the password check because the source is a
	   suspect of the unknown-user alert trying another person
	   (LOCKOUT_VERDICT_SUSPECT): counted as LOCKOUT_OUTCOME_PROTECTED
	   is, a failure of the source, not of the account */
	LOCKOUT_OUTCOME_SUSPECT,
};

struct lockout_attempt {
	int64_t time; /* seconds, any origin, non-decreasing */
	struct lockout_addr ip;
	/* the username as typed (targeted names are matched on it); may be
	   NULL */
	const char *user;
	/* the account as resolved by the passdb (per-account protection and
	   known devices); NULL means the same as user */
	const char *account;
	const char *service;   /* "imap", "pop3", "smtp", ...; may be NULL */
	const char *mechanism; /* "PLAIN", "CRAM-MD5", ...; may be NULL */
	enum lockout_outcome outcome;
	/* keyed hash of the attempted password; 0 when unknown (credential
	   lookup mechanisms): then every failure counts */
	uint32_t password_tag;
};

enum lockout_decision_type {
	/* ban a source address or network (kind ip or net) */
	LOCKOUT_DECISION_BAN,
	/* put an account under protection (kind user): only its known
	   devices may try it until expires */
	LOCKOUT_DECISION_PROTECT,
	/* remember (account, network) as a known device (persist it) */
	LOCKOUT_DECISION_KNOWN_DEVICE,
	/* a notable event for the postmaster; rule names it:
	   "stale_client" (a source repeating one wrong password),
	   "success_after_failures" (a possible stolen password) */
	LOCKOUT_DECISION_NOTABLE,
};

/* A decision. Every string is valid only during the callback. */
struct lockout_decision {
	enum lockout_decision_type type;
	/* BAN: ip|net; PROTECT: user; others: the kind of net */
	enum lockout_kind kind;
	/* BAN: the banned source; KNOWN_DEVICE: the device's network;
	   NOTABLE: the source */
	struct lockout_net net;
	/* BAN: canonical address or CIDR; PROTECT and KNOWN_DEVICE: the
	   account; NOTABLE: the canonical source */
	const char *target;
	/* the account or username involved ("" when none) */
	const char *user;
	/* BAN/PROTECT: the rule that fired; NOTABLE: the event kind */
	const char *rule;
	/* one human-readable line */
	const char *reason;
	int64_t time;
	/* BAN/PROTECT: end, 0 = permanent */
	int64_t expires;
	/* failures counted for the rule */
	unsigned int failures;
	/* JSON object with the evidence ("{}" for KNOWN_DEVICE) */
	const char *evidence;
};

typedef void
lockout_decision_callback_t(const struct lockout_decision *decision,
			    void *context);

enum lockout_verdict {
	LOCKOUT_VERDICT_ALLOW,
	/* an active ban covers the source */
	LOCKOUT_VERDICT_BANNED,
	/* the account is protected and the source is not one of its known
	   devices */
	LOCKOUT_VERDICT_PROTECTED,
	/* the passdb called the username unknown within
	   lockout_unknown_names_time (rule unknown_names): refuse it before
	   the lookup, observe it as LOCKOUT_OUTCOME_UNKNOWN_NAME */
	LOCKOUT_VERDICT_UNKNOWN_NAME,
	/* during an unknown-user alert, the source failed on an unknown user
	   within lockout_ip_window and now tries another person (rule
	   unknown_alert): refuse it before the password check, observe it
	   as LOCKOUT_OUTCOME_SUSPECT (the ban it earns comes then) */
	LOCKOUT_VERDICT_SUSPECT,
};

/* Create an engine for cfg, which must stay valid and unchanged while the
   engine lives. key keys the hashes of its tables and of its ban set
   (copied): NULL draws a random key (lockout_hash_key_random()), as a
   server process should; replays, tests and benchmarks pass a fixed key to
   get the same decisions on every run (with full tables the key decides
   which entries are evicted). Returns NULL when out of memory. */
struct lockout_policy *
lockout_policy_create(const struct lockout_config *cfg,
		      const unsigned char key[LOCKOUT_HASH_KEY_SIZE])
	__attribute__((warn_unused_result));
/* Free the engine and its ban set; set *policy to NULL. NULL-safe. */
void lockout_policy_free(struct lockout_policy **policy);

/* The network a source is counted and banned as: the address for IPv4, its
   lockout_ipv6_prefix network for IPv6. */
void lockout_policy_source_net(const struct lockout_policy *policy,
			       const struct lockout_addr *ip,
			       struct lockout_net *net_r);
/* The network a known device is remembered as: the /24 for IPv4 (phones
   and offices move inside their provider's block), the
   lockout_ipv6_prefix network for IPv6. */
void lockout_policy_device_net(const struct lockout_policy *policy,
			       const struct lockout_addr *ip,
			       struct lockout_net *net_r);

/* May a request from ip for account (as the passdb sees it; may be NULL)
   go on at now? *ban_r is set to the covering ban for
   LOCKOUT_VERDICT_BANNED, else NULL. O(1): a few hash lookups. */
enum lockout_verdict
lockout_policy_check(const struct lockout_policy *policy, int64_t now,
		     const struct lockout_addr *ip, const char *account,
		     const struct lockout_banset_entry **ban_r);
/* lockout_policy_check() with the keyed tag of the password the request
   carries (0: unknown, as lockout_policy_check() passes): a source that a
   protection of the account refused and that tries the same password
   again may go on (lockout_protect_retries). */
enum lockout_verdict
lockout_policy_check_password(const struct lockout_policy *policy,
			      int64_t now, const struct lockout_addr *ip,
			      const char *account, uint32_t password_tag,
			      const struct lockout_banset_entry **ban_r);

/* Record an outcome; call callback for each decision it leads to. Returns
   the number of decisions, or -1 when out of memory (the engine stays
   consistent; the attempt may be partly recorded). */
int lockout_policy_observe(struct lockout_policy *policy,
			   const struct lockout_attempt *attempt,
			   lockout_decision_callback_t *callback,
			   void *context) __attribute__((warn_unused_result));

/* --- password checks in flight -------------------------------------- */

enum lockout_slot {
	/* go on; call lockout_policy_release() once the outcome is
	   observed (or the request ends without one) */
	LOCKOUT_SLOT_RESERVED,
	/* go on, nothing reserved: an allowed source, never counted */
	LOCKOUT_SLOT_FREE,
	/* hold the request: the source's failures within lockout_ip_window
	   plus its checks in flight reached lockout_ip_failures */
	LOCKOUT_SLOT_WAIT,
};
/* Before handing a request from ip to the password check at now: reserve
   one of the failures its source has left before the ban. With an
   asynchronous passdb (checkpassword, SQL, LDAP) requests overlap; without
   this, a burst reaches the password check many times before the first
   failure is counted. O(lockout_ip_failures), no allocation; the
   reservations live in a table of their own with a fixed size (an evicted
   one is simply no longer counted). */
enum lockout_slot lockout_policy_reserve(struct lockout_policy *policy,
					 int64_t now,
					 const struct lockout_addr *ip);
/* Give back a reservation of ip (after lockout_policy_observe() of its
   outcome, so that a failure takes the place of its check). Releasing
   what was not reserved does nothing. */
void lockout_policy_release(struct lockout_policy *policy,
			    const struct lockout_addr *ip);

/* --- state that comes from the ban table ------------------------------ */

/* The active address and network bans. The caller may add bans from the
   table. */
struct lockout_banset *lockout_policy_bans(struct lockout_policy *policy);
/* Replace the active bans with bans (a reload from the table); the engine
   owns bans from now on. Returns the previous set, which the caller frees
   (after comparing, say). */
struct lockout_banset *
lockout_policy_replace_bans(struct lockout_policy *policy,
			    struct lockout_banset *bans);
/* Protect account until expires (0 = permanent), replacing an earlier
   protection. Returns 0, or -1 when out of memory. */
int lockout_policy_protect(struct lockout_policy *policy, const char *account,
			   int64_t expires) __attribute__((warn_unused_result));
/* Is account protected at now? */
bool lockout_policy_protected(const struct lockout_policy *policy,
			      const char *account, int64_t now);
/* Drop every protection (before reloading them from the table). */
void lockout_policy_clear_protections(struct lockout_policy *policy);
/* Forget the failures counted against account (after an unban). */
void lockout_policy_forget_account(struct lockout_policy *policy,
				   const char *account);
/* Remember (account, network) as a known device last seen at last_seen. */
void lockout_policy_add_known_device(struct lockout_policy *policy,
				     const char *account,
				     const struct lockout_net *net,
				     int64_t last_seen);
/* Record that net was banned at created (history for escalation and
   network bans), e.g. from the table at start. */
void lockout_policy_note_ban(struct lockout_policy *policy,
			     const struct lockout_net *net, int64_t created);
/* Networks allowed in addition to lockout_allow_networks (the table's
   allowed networks); copied. Returns 0, or -1 when out of memory (the
   previous list stays). */
int lockout_policy_set_allowed(struct lockout_policy *policy,
			       const struct lockout_net *nets, size_t count)
	__attribute__((warn_unused_result));
/* Is ip in an allowed network? */
bool lockout_policy_is_allowed(const struct lockout_policy *policy,
			       const struct lockout_addr *ip);
/* Forget the failure counters of the source net (after an unban, so that
   the next failure does not re-ban at once). */
void lockout_policy_forget(struct lockout_policy *policy,
			   const struct lockout_net *net);

/* --- sizes, for tests, benchmarks and replays --------------------------- */

/* Sources in the source table (at most its capacity). */
size_t lockout_policy_source_count(const struct lockout_policy *policy);
/* Entries of the source table: lockout_max_sources rounded up to whole
   sets. */
size_t lockout_policy_source_capacity(const struct lockout_policy *policy);
/* Bytes of memory the engine holds (tables and their contents). */
size_t lockout_policy_memory(const struct lockout_policy *policy);

/* The name of outcome ("success", "mismatch", ...; "unknown" when out of
   range), for logs. */
const char *lockout_outcome_to_str(enum lockout_outcome outcome);

#endif
