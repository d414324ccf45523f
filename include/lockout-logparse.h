/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_LOGPARSE_H
#define LOCKOUT_LOGPARSE_H

#include "lockout-simulate.h"

#include <stddef.h>
#include <stdint.h>

/* Dovecot 2.3 logs turned into authentication attempts, as written by
   log_path ("Nov 28 03:04:43 auth: Info: ...") and through syslog
   ("Nov 28 03:04:43 host dovecot: auth: ...", "...dovecot[123]: ...", ISO
   8601 timestamps "2025-11-28T03:04:43.123456+01:00 host dovecot: ...").
   Timestamps without an offset are local time (TZ).

   Lines used:
   - passdb and mechanism failures (auth_verbose = yes), from the auth
     process or an auth-worker: "passwd-file(user,ip,<session>): Password
     mismatch" and "...: unknown user", any driver or passdb name (pam's
     "pam_authenticate() failed: ... (Password mismatch?)" too). With
     auth_verbose_passwords the logged password (or its SHA1) becomes the
     password tag. Several passdbs logging one request (same session, or
     same user and address without one; other passdb names; within a few
     seconds) are one attempt: a wrong password if any said so.
   - "<proto>-login: Login: user=<u>, method=M, rip=IP, ..." (success).
   - "<proto>-login: Disconnected...(auth failed, N attempts in S secs):
     user=<u>, ..., rip=IP, session=<S>": N failures of unknown kind, less
     those already seen through passdb lines of the same session; "(user
     disabled)" without passdb lines: one attempt the recorded server
     refused before the password check (a lockout passdb running there).
   Attempts come out in log order (an attempt seen through passdb lines is
   held back a couple of seconds while other passdbs may still log it); times
   never decrease. Memory is fixed: a table of recent sessions and a small
   queue of held attempts.

   Dovecot sanitizes usernames in logs (cut to 64 or 80 bytes with "...",
   control characters as '?'). A line that could be read two ways (a
   username or logged password holding "): " and an address) is not used. */

struct lockout_logparse;

struct lockout_logparse_stats {
	/* lines given */
	uint64_t lines;
	/* lines that made or completed an attempt */
	uint64_t used;
	/* lines of no use here: other programs, other Dovecot messages,
	   failures without an address */
	uint64_t ignored;
	/* lines that should have been usable but were not: no timestamp,
	   invalid address, ambiguous, too long, NUL bytes */
	uint64_t unusable;
	/* of those: lines without a timestamp */
	uint64_t no_timestamp;
	/* lines whose time is earlier than the line before */
	uint64_t backwards;
	/* passdb lines that continued an attempt another passdb logged */
	uint64_t chained;
	/* login lines' failures whose passdb line came after them */
	uint64_t reordered;
	/* sessions forgotten before they ended (table full): their
	   Disconnected line may count attempts twice */
	uint64_t sessions_evicted;
	/* attempts handed out by kind */
	uint64_t passdb_failures, logins, disconnect_failures, refusals;
	/* failures that carried a logged password */
	uint64_t passwords;
};

/* Called for each attempt, in order. A non-zero return stops parsing and
   is returned by lockout_logparse_line()/_finish(). */
typedef int lockout_logparse_callback_t(const struct lockout_sim_attempt *a,
					void *context);

/* Longest line used (bytes, newline excluded); longer ones are unusable. */
#define LOCKOUT_LOG_LINE_MAX 16384

/* Create a parser handing attempts to callback; password tags keyed with
   key. Returns NULL when out of memory. */
struct lockout_logparse *
lockout_logparse_create(const unsigned char key[LOCKOUT_SIM_KEY_SIZE],
			lockout_logparse_callback_t *callback, void *context)
	__attribute__((warn_unused_result));
/* Free the parser (wiping its key); NULL-safe. Attempts still held are
   dropped: call lockout_logparse_finish() first. */
void lockout_logparse_free(struct lockout_logparse **parser);

/* A new file (or stream) begins. Dates without a year are placed in the
   year that puts the file's first one at or before reference (unix
   seconds: the file's mtime, or now for a stream), and move on to the next
   year when the date goes round. Sessions carry over (a rotation may cut
   one in two). */
void lockout_logparse_begin(struct lockout_logparse *parser,
			    int64_t reference);

/* Parse len bytes of line (no newline; may hold any bytes). Returns 0, or
   the callback's non-zero return. */
int lockout_logparse_line(struct lockout_logparse *parser, const char *line,
			  size_t len);

/* End of input: hand out the attempts still held. Returns 0, or the
   callback's non-zero return. */
int lockout_logparse_finish(struct lockout_logparse *parser);

const struct lockout_logparse_stats *
lockout_logparse_stats(const struct lockout_logparse *parser);

/* The time (unix seconds) of line's timestamp, a date without a year taken
   at or before reference: for putting files in order. Returns 0, or -1
   when line does not start with a timestamp. */
int lockout_log_line_time(const char *line, size_t len, int64_t reference,
			  int64_t *time_r) __attribute__((warn_unused_result));

#endif
