/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_REPLAY_H
#define LOCKOUT_REPLAY_H

/* A whole replay, as doveadm lockout simulate runs it: inputs
   (lockout-input.h) read line by line, each line parsed as a trace line
   (lockout-trace.h) or a Dovecot log line (lockout-logparse.h), the
   attempts fed to the simulator (lockout-simulate.h) and what it decides
   written out (lockout-report.h) through a callback. Logs given as several
   files are replayed oldest first (by the first timestamp among the first
   lines of each; "mail.log*" lists the newest first), unless standard input
   is among them; traces in the order given. Password tags are keyed with a
   fresh random key per replay; the engine has a fixed seed, so a replay
   gives the same answer every time. Nothing else is read or written. */

#include "lockout-config.h"

#include <stddef.h>
#include <stdint.h>

enum lockout_replay_format {
	/* JSON Lines (lockout-trace.h) */
	LOCKOUT_REPLAY_TRACE,
	/* Dovecot 2.3 logs (lockout-logparse.h) */
	LOCKOUT_REPLAY_LOG,
};

enum lockout_replay_output {
	/* the summary report, at the end */
	LOCKOUT_REPLAY_SUMMARY,
	/* one JSON line per attempt */
	LOCKOUT_REPLAY_VERDICTS,
	/* one JSON line per decision */
	LOCKOUT_REPLAY_DECISIONS,
};

struct lockout_replay_callbacks {
	/* The output, piece by piece, in order. */
	void (*write)(const void *data, size_t size, void *context);
	/* A malformed trace line, skipped: the input's path, the line's
	   number in it, what is wrong, and how many malformed lines there
	   were so far (this one included). May be NULL. */
	void (*malformed)(const char *path, uint64_t line_no,
			  const char *error, uint64_t count, void *context);
	/* An input that cannot be read to its end (what was read of it is
	   replayed): the message names it. May be NULL. */
	void (*read_error)(const char *error, void *context);
	void *context;
};

struct lockout_replay_settings {
	enum lockout_replay_format format;
	enum lockout_replay_output output;
	/* the settings replayed; must stay valid and unchanged while the
	   replay lives */
	const struct lockout_config *cfg;
	/* the overrides given ("name=value"), for the summary to show;
	   NULL-terminated, or NULL */
	const char *const *overrides;
	struct lockout_replay_callbacks callbacks;
};

struct lockout_replay;

/* A replay of the NULL-terminated list of paths ("-" is standard input)
   with a copy of set; what set points to, paths and its strings must stay
   valid while the replay lives. Nothing is opened yet. Returns NULL when
   out of memory. */
struct lockout_replay *
lockout_replay_create(const struct lockout_replay_settings *set,
		      const char *const *paths)
	__attribute__((warn_unused_result));
/* Free the replay, closing its inputs; NULL-safe. */
void lockout_replay_free(struct lockout_replay **replay);

/* Open every input (a missing one stops the replay before any output) and
   put logs in order. Returns 0, or -1 with *error_r (valid while the
   replay lives) naming the input that cannot be opened. */
int lockout_replay_open(struct lockout_replay *replay, const char **error_r)
	__attribute__((warn_unused_result));
/* Make the parser and the policy engine. Returns 0, or -1 with *error_r
   (out of memory, or libsodium cannot be initialized). */
int lockout_replay_start(struct lockout_replay *replay, const char **error_r)
	__attribute__((warn_unused_result));
/* Replay the inputs in order, writing verdicts or decisions as they come
   and the summary at the end. A read error is reported through the
   callback and ends that input only. Returns 0, or -1 with *error_r when
   the replay had to stop (out of memory, a decision that cannot be
   written); the summary is still written then. */
int lockout_replay_run(struct lockout_replay *replay, const char **error_r)
	__attribute__((warn_unused_result));

/* Inputs that could not be read to their end. */
unsigned int lockout_replay_read_errors(const struct lockout_replay *replay);

#endif
