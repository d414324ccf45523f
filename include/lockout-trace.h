/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_TRACE_H
#define LOCKOUT_TRACE_H

#include "lockout-simulate.h"

#include <stddef.h>

/* The trace format of doveadm lockout simulate: JSON Lines, one object per
   authentication attempt, in time order:
     {"t": 1732763083.25, "ip": "192.0.2.7", "user": "alice@example.org",
      "service": "imap", "result": "mismatch", "pw": "x"}
   t     seconds (any JSON number, any origin; |t| < 2^53)
   ip    IPv4 or IPv6 address (lockout_addr_parse() syntax)
   user  the username as typed (may be ""; at most LOCKOUT_SIM_USER_MAX
         bytes once decoded)
   result  "ok", "mismatch" or "unknown_user"
   service, mechanism  optional strings (at most 31 bytes)
   pw    optional opaque string (at most LOCKOUT_TRACE_PW_MAX bytes): equal
         strings are the same attempted password; it is reduced to a keyed
         tag at once and wiped. Absent: every failure counts as distinct.
   Other keys are ignored; null is the same as absent. The object is checked
   strictly (RFC 8259, UTF-8, no duplicate keys). */

/* Longest line (bytes, newline excluded) and longest pw. */
#define LOCKOUT_TRACE_LINE_MAX 65536
#define LOCKOUT_TRACE_PW_MAX 1024

struct lockout_trace;

/* Create a parser whose password tags are keyed with key. Returns NULL when
   out of memory. */
struct lockout_trace *
lockout_trace_create(const unsigned char key[LOCKOUT_SIM_KEY_SIZE])
	__attribute__((warn_unused_result));
/* Free the parser (wiping its key and buffer); NULL-safe. */
void lockout_trace_free(struct lockout_trace **trace);

/* Parse len bytes of line (no NUL terminator needed; a trailing "\r" and
   blanks are ignored) into *attempt_r (count 1). Returns 1 for an attempt,
   0 for a blank line, -1 with *error_r (naming the field; input quoted
   safely) for a malformed one, which the caller reports and skips. */
int lockout_trace_parse(struct lockout_trace *trace, const char *line,
			size_t len, struct lockout_sim_attempt *attempt_r,
			const char **error_r)
	__attribute__((warn_unused_result));

#endif
