/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_REPORT_H
#define LOCKOUT_REPORT_H

/* What doveadm lockout simulate prints: one JSON line per verdict or
   decision, or the summary report for people. Everything is appended to a
   struct lockout_str (check it once at the end: lockout_str_c() is NULL
   when an allocation failed). Text from the input (usernames, reasons,
   paths) is made safe for a terminal by lockout_utf8_escape() (control
   characters, bidirectional controls and invalid UTF-8 bytes as \x1b,
   \u202e, \xff); over-long text is cut at a character boundary with
   "...". Times of 1000000000 and later are
   local dates (TZ), smaller ones stay numbers ("t=100"). */

#include "lockout-json.h"
#include "lockout-logparse.h"
#include "lockout-simulate.h"

#include <stdint.h>

/* What was read, for the summary's "Input:" line and notes. */
struct lockout_report_input {
	/* the inputs' names, in the order they were replayed */
	const char *const *paths;
	unsigned int path_count;
	/* lines read in all; of those, malformed trace lines (skipped) */
	uint64_t lines, malformed;
	/* the log parser's counts when the input was Dovecot logs; NULL for
	   a trace */
	const struct lockout_logparse_stats *log_stats;
	/* inputs that could not be read to their end */
	unsigned int read_errors;
};

/* Append {"i":index,"verdict":"allow"|"refuse"} and a newline. */
void lockout_report_verdict(struct lockout_str *out, uint64_t index,
			    enum lockout_verdict verdict);

/* Append decision d as one JSON line (lockout_sim_decision_to_json() and a
   newline); a known-device decision is not shown (nothing appended).
   Returns 0, or -1 when d cannot be written as JSON. */
int lockout_report_decision(struct lockout_str *out, uint64_t index,
			    const struct lockout_decision *d)
	__attribute__((warn_unused_result));

/* Append the summary report of a replay: the input, the period, the
   settings cfg (and the overrides given, a NULL-terminated list of
   "name=value", or NULL), the counts, the bans, protected accounts, stale
   clients, successes after many failures, successful logins that would
   have been refused, and notes on what limits the replay. */
void lockout_report_summary(struct lockout_str *out,
			    const struct lockout_config *cfg,
			    const char *const *overrides,
			    const struct lockout_report_input *input,
			    const struct lockout_sim_summary *summary);

#endif
