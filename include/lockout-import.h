/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_IMPORT_H
#define LOCKOUT_IMPORT_H

/* The line format of "doveadm lockout import" and "export". One line:

     [allow] TARGET [FIELD=VALUE]... [# REASON]

   Blank lines and lines whose first non-blank character is '#' are empty.
   TARGET is an address, a network or a username (lockout_target_parse());
   after "allow" an address or network. Fields, each at most once, values
   without blanks:
     created=ISO8601     2026-12-06T16:15:00Z (UTC)
     expires=ISO8601     or "permanent"
     source=auto|manual|feed
     rule=NAME           the rule that fired ("manual", "ip_failures"...)
     failures=N          failures counted as evidence
     observed=yes|no     made in lockout_mode=observe
     evidence=TEXT       the evidence JSON, percent-encoded (%XX)
   An "allow" line takes created= only. The reason is the text after a '#'
   that starts a word (at the start of the line or after a blank), without
   the blanks around it; a '#' inside a word is part of the word.
   A final CR (CRLF files) is ignored. A plain list (one target a line, a
   "# reason" after some) is valid input: missing fields are filled by the
   importer. Pure: no I/O, no Dovecot. */

#include "lockout-ban.h"
#include "lockout-str.h"
#include "lockout-target.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest line accepted (bytes, without the newline): a ban with a full
   evidence percent-encoded and a full reason. */
#define LOCKOUT_IMPORT_LINE_MAX (3 * LOCKOUT_BAN_EVIDENCE_MAX + 4096)

enum lockout_import_type {
	LOCKOUT_IMPORT_EMPTY,
	LOCKOUT_IMPORT_BAN,
	LOCKOUT_IMPORT_ALLOW,
};

/* Which fields a line gave. */
enum lockout_import_field {
	LOCKOUT_IMPORT_CREATED = 0x01,
	LOCKOUT_IMPORT_EXPIRES = 0x02,
	LOCKOUT_IMPORT_SOURCE = 0x04,
	LOCKOUT_IMPORT_RULE = 0x08,
	LOCKOUT_IMPORT_FAILURES = 0x10,
	LOCKOUT_IMPORT_OBSERVED = 0x20,
	LOCKOUT_IMPORT_EVIDENCE = 0x40,
	LOCKOUT_IMPORT_REASON = 0x80,
};

struct lockout_import_line {
	enum lockout_import_type type;
	/* enum lockout_import_field bits */
	unsigned int have;
	struct lockout_target target;
	/* unix seconds; expires 0 = permanent */
	int64_t created, expires;
	enum lockout_source source;
	unsigned int failures;
	bool observed;
	char rule[LOCKOUT_BAN_RULE_MAX + 1];
	/* the reason (lockout_reason_check() holds) and the decoded
	   evidence; "" when not given */
	struct lockout_str reason, evidence;
};

/* Start an empty line; lockout_import_line_free() releases it. A line may
   be parsed into again and again. */
void lockout_import_line_init(struct lockout_import_line *line);
void lockout_import_line_free(struct lockout_import_line *line);

/* Parse len bytes of line (no newline; NUL bytes are an error) into
   *line_r (cleared first). Returns 0, or -1 with *error_r naming the
   problem (the line is then LOCKOUT_IMPORT_EMPTY). Never reads beyond
   line + len. */
int lockout_import_parse_line(const char *line, size_t len,
			      struct lockout_import_line *line_r,
			      const char **error_r)
	__attribute__((warn_unused_result));

/* Parse exactly "YYYY-MM-DDTHH:MM:SSZ" (len bytes) into *secs_r (> 0).
   Returns 0, or -1. */
int lockout_import_time_parse(const char *str, size_t len, int64_t *secs_r)
	__attribute__((warn_unused_result));

/* Append the line (with "\n") that imports back to ban, with every
   field. A reason that import would refuse (control or bidi characters,
   over 1,024 bytes: only a row written by something else than this
   product holds one) is written escaped as doveadm shows it ("\x0a"), so
   that it never breaks the line; then true is returned (the reason read
   back differs), else false. */
bool lockout_export_ban_line(struct lockout_str *out,
			     const struct lockout_ban *ban);
/* Append the line (with "\n") of a row of the allowed table; the reason
   and the return value as above. */
bool lockout_export_allowed_line(struct lockout_str *out,
				 const char *network, const char *reason,
				 int64_t created);

#endif
