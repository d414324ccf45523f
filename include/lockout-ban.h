/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_BAN_H
#define LOCKOUT_BAN_H

/* The ban model: what a ban is, its kinds and sources, their names, and the
   invariants every ban satisfies (the store refuses to write, and skips when
   reading, a ban that breaks them). Pure: no I/O, no allocation. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits of the strings of a ban (bytes, without the NUL) */
#define LOCKOUT_BAN_TARGET_MAX 255
#define LOCKOUT_BAN_REASON_MAX 1024
#define LOCKOUT_BAN_RULE_MAX 255
#define LOCKOUT_BAN_EVIDENCE_MAX 65536

/* The widest network a ban may cover, everywhere (doveadm refuses wider
   bans; the auth process and lockoutd never enforce a wider row of the
   table): an IPv4 /16, an IPv6 /32. */
#define LOCKOUT_BAN_WIDEST_PREFIX4 16
#define LOCKOUT_BAN_WIDEST_PREFIX6 32

enum lockout_kind {
	LOCKOUT_KIND_IP,
	LOCKOUT_KIND_NET,
	LOCKOUT_KIND_USER,
};

enum lockout_source {
	LOCKOUT_SOURCE_AUTO,
	LOCKOUT_SOURCE_MANUAL,
	LOCKOUT_SOURCE_FEED,
};

/* Number of values of each enum, for arrays indexed by them. */
#define LOCKOUT_KIND_COUNT (LOCKOUT_KIND_USER + 1)
#define LOCKOUT_SOURCE_COUNT (LOCKOUT_SOURCE_FEED + 1)

/* Return "ip", "net" or "user"; NULL if kind is not a valid value. */
const char *lockout_kind_to_str(enum lockout_kind kind);
/* Parse "ip", "net" or "user" (exact, lowercase) into *kind_r. Return 0, or
   -1 if str is NULL or anything else. */
int lockout_kind_parse(const char *str, enum lockout_kind *kind_r)
	__attribute__((warn_unused_result));
/* Return "auto", "manual" or "feed"; NULL if source is not a valid value. */
const char *lockout_source_to_str(enum lockout_source source);
/* Parse "auto", "manual" or "feed" (exact, lowercase) into *source_r.
   Return 0, or -1 if str is NULL or anything else. */
int lockout_source_parse(const char *str, enum lockout_source *source_r)
	__attribute__((warn_unused_result));

struct lockout_ban {
	/* rowid, set by the store (ignored by add_ban) */
	int64_t id;
	/* canonical address ("192.0.2.1"), CIDR ("192.0.2.0/24") or username;
	   1..LOCKOUT_BAN_TARGET_MAX bytes. The store compares it bytewise:
	   canonicalizing is the caller's job. */
	const char *target;
	enum lockout_kind kind;
	enum lockout_source source;
	/* one human-readable line, <= LOCKOUT_BAN_REASON_MAX bytes */
	const char *reason;
	/* rule that fired: "ip_failures", "manual", ...; non-empty */
	const char *rule;
	/* unix seconds, > 0 */
	int64_t created;
	/* unix seconds, > created; 0 = permanent */
	int64_t expires;
	/* unix seconds it was lifted (unbanned), >= created; 0 = not lifted */
	int64_t lifted;
	/* failures counted as evidence */
	unsigned int failures;
	/* JSON object text, <= LOCKOUT_BAN_EVIDENCE_MAX bytes; NULL is stored
	   as "{}" and "{}" is read back when there is none. Not parsed here. */
	const char *evidence;
	/* made in lockout_mode=observe: recorded and listed, never enforced
	   (not by the auth process, not by lockoutd) */
	bool observed;
};

/* Check the ban invariants: non-empty target <= LOCKOUT_BAN_TARGET_MAX
   bytes, valid kind and source, reason (not NULL) <= LOCKOUT_BAN_REASON_MAX,
   rule 1..LOCKOUT_BAN_RULE_MAX bytes, evidence NULL or <=
   LOCKOUT_BAN_EVIDENCE_MAX bytes, created > 0, expires 0 or > created,
   lifted >= 0. id and failures are not checked. Return 0, or -1 with
   *problem_r set to a static string ("empty target", ...). Reads at most
   limit + 1 bytes of each string. */
int lockout_ban_validate(const struct lockout_ban *ban,
			 const char **problem_r)
	__attribute__((warn_unused_result));

/* Return true if str is not NULL, at most max bytes long and, when nonempty
   is set, not empty. Reads at most max + 1 bytes of str. The length check
   of every string field of the ban model and of the store's rows. */
bool lockout_field_fits(const char *str, size_t max, bool nonempty);

#endif
