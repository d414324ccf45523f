/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-replay.h"
#include "lockout-error.h"
#include "lockout-input.h"
#include "lockout-logparse.h"
#include "lockout-report.h"
#include "lockout-simulate.h"
#include "lockout-trace.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Lines read from the start of each log to put the files in order. */
#define REPLAY_ORDER_LINES 1000
/* Engine key: a replay gives the same answer every time. */
static const unsigned char replay_engine_key[LOCKOUT_HASH_KEY_SIZE] =
	"lockout-simulate";

_Static_assert(LOCKOUT_INPUT_LINE_MAX == LOCKOUT_TRACE_LINE_MAX,
	       "an input line holds a trace line, no more");

struct replay_file {
	struct lockout_input *input;
	/* logs: the time of the first timestamped line among the first
	   few (INT64_MAX: none) */
	int64_t first_time;
	/* the position given */
	unsigned int order;
};

struct lockout_replay {
	struct lockout_replay_settings set;
	struct replay_file *files;
	unsigned int file_count;

	struct lockout_trace *trace;
	struct lockout_logparse *logparse;
	struct lockout_simulate *sim;

	/* one line of output */
	struct lockout_str line;
	uint64_t lines, malformed;
	unsigned int read_errors;
	/* the replay had to stop: why */
	bool failed;
	struct lockout_str error;
};

struct lockout_replay *
lockout_replay_create(const struct lockout_replay_settings *set,
		      const char *const *paths)
{
	struct lockout_replay *replay;
	unsigned int i, count;

	for (count = 0; paths[count] != NULL; count++) ;
	replay = calloc(1, sizeof(*replay));
	if (replay == NULL)
		return NULL;
	replay->set = *set;
	lockout_str_init(&replay->line);
	lockout_str_init(&replay->error);
	replay->files = calloc(count + 1, sizeof(*replay->files));
	if (replay->files == NULL) {
		free(replay);
		return NULL;
	}
	for (i = 0; i < count; i++) {
		replay->files[i].input = lockout_input_create(paths[i]);
		replay->files[i].order = i;
		replay->file_count++;
		if (replay->files[i].input == NULL) {
			lockout_replay_free(&replay);
			return NULL;
		}
	}
	return replay;
}

void lockout_replay_free(struct lockout_replay **_replay)
{
	struct lockout_replay *replay = *_replay;
	unsigned int i;

	if (replay == NULL)
		return;
	*_replay = NULL;
	for (i = 0; i < replay->file_count; i++)
		lockout_input_free(&replay->files[i].input);
	free(replay->files);
	lockout_simulate_free(&replay->sim);
	lockout_trace_free(&replay->trace);
	lockout_logparse_free(&replay->logparse);
	lockout_str_free(&replay->line);
	lockout_str_free(&replay->error);
	free(replay);
}

/* Stop the replay because of error (the first reason is kept). */
static void replay_fail(struct lockout_replay *replay, const char *error)
{
	if (replay->failed)
		return;
	replay->failed = true;
	lockout_str_append(&replay->error, error);
}

static const char *replay_error(struct lockout_replay *replay)
{
	const char *error = lockout_str_c(&replay->error);

	return error != NULL ? error : "Out of memory";
}

static void replay_write_line(struct lockout_replay *replay)
{
	const char *line = lockout_str_c(&replay->line);

	if (line == NULL) {
		replay_fail(replay, "Out of memory");
		return;
	}
	replay->set.callbacks.write(line, replay->line.len,
				    replay->set.callbacks.context);
}

static void replay_read_error(struct lockout_replay *replay,
			      const char *error)
{
	if (replay->set.callbacks.read_error != NULL) {
		replay->set.callbacks.read_error(error,
			replay->set.callbacks.context);
	}
}

/* --- putting logs in order ------------------------------------------------ */

static void replay_first_time(struct lockout_replay *replay,
			      struct replay_file *file)
{
	const char *line, *error;
	size_t len;
	bool too_long;
	unsigned int i;
	int ret;

	file->first_time = INT64_MAX;
	for (i = 0; i < REPLAY_ORDER_LINES; i++) {
		ret = lockout_input_read_line(file->input, &line, &len,
					      &too_long, &error);
		if (ret < 0)
			replay_read_error(replay, error);
		if (ret <= 0)
			break;
		if (!too_long &&
		    lockout_log_line_time(line, len,
					  lockout_input_mtime(file->input),
					  &file->first_time) == 0)
			break;
	}
}

/* Oldest first: by the first timestamp; logs starting in the same second
   by modification time (a log rotated within a second of its start holds
   only lines of that second, as the first line of the log after it may:
   the given order, newest first from mail.log*, would replay them
   backwards); then in the given order. */
static int replay_file_cmp(const void *p1, const void *p2)
{
	const struct replay_file *a = p1, *b = p2;
	int64_t a_mtime, b_mtime;

	if (a->first_time != b->first_time)
		return a->first_time < b->first_time ? -1 : 1;
	a_mtime = lockout_input_mtime(a->input);
	b_mtime = lockout_input_mtime(b->input);
	if (a_mtime != b_mtime)
		return a_mtime < b_mtime ? -1 : 1;
	return a->order < b->order ? -1 : (a->order > b->order ? 1 : 0);
}

int lockout_replay_open(struct lockout_replay *replay, const char **error_r)
{
	struct replay_file *file;
	bool sortable = replay->set.format == LOCKOUT_REPLAY_LOG &&
		replay->file_count > 1;
	unsigned int i;

	for (i = 0; i < replay->file_count; i++) {
		file = &replay->files[i];
		if (lockout_input_open(file->input, error_r) < 0)
			return -1;
		if (lockout_input_is_stdin(file->input))
			sortable = false;
	}
	if (!sortable)
		return 0;
	for (i = 0; i < replay->file_count; i++) {
		file = &replay->files[i];
		replay_first_time(replay, file);
		/* read again from the start */
		if (lockout_input_open(file->input, error_r) < 0)
			return -1;
	}
	qsort(replay->files, replay->file_count, sizeof(*replay->files),
	      replay_file_cmp);
	return 0;
}

/* --- the engine and its output -------------------------------------------- */

static void replay_verdict(uint64_t index, enum lockout_verdict verdict,
			   void *context)
{
	struct lockout_replay *replay = context;

	if (replay->set.output != LOCKOUT_REPLAY_VERDICTS)
		return;
	lockout_str_clear(&replay->line);
	lockout_report_verdict(&replay->line, index, verdict);
	replay_write_line(replay);
}

static void replay_decision(uint64_t index, const struct lockout_decision *d,
			    void *context)
{
	struct lockout_replay *replay = context;

	if (replay->set.output != LOCKOUT_REPLAY_DECISIONS)
		return;
	lockout_str_clear(&replay->line);
	if (lockout_report_decision(&replay->line, index, d) < 0) {
		replay_fail(replay, lockout_error_fmt(
			"Cannot write decision %llu as JSON",
			(unsigned long long)index));
		return;
	}
	if (replay->line.len > 0)
		replay_write_line(replay);
}

static int replay_feed(struct lockout_replay *replay,
		       const struct lockout_sim_attempt *attempt)
{
	const char *error;

	if (lockout_simulate_feed(replay->sim, attempt, &error) < 0) {
		replay_fail(replay, error);
		return -1;
	}
	return 0;
}

static int replay_log_attempt(const struct lockout_sim_attempt *attempt,
			      void *context)
{
	return replay_feed(context, attempt);
}

int lockout_replay_start(struct lockout_replay *replay, const char **error_r)
{
	struct lockout_sim_callbacks callbacks = {
		.verdict = replay_verdict,
		.decision = replay_decision,
		.context = replay,
	};
	unsigned char key[LOCKOUT_SIM_KEY_SIZE];

	if (sodium_init() < 0) {
		*error_r = "libsodium cannot be initialized";
		return -1;
	}
	/* password tags only have to be equal for equal passwords here;
	   a fresh key keeps them meaningless elsewhere */
	randombytes_buf(key, sizeof(key));
	if (replay->set.format == LOCKOUT_REPLAY_TRACE)
		replay->trace = lockout_trace_create(key);
	else {
		replay->logparse = lockout_logparse_create(key,
			replay_log_attempt, replay);
	}
	sodium_memzero(key, sizeof(key));
	if (replay->trace == NULL && replay->logparse == NULL) {
		*error_r = "Out of memory";
		return -1;
	}
	return lockout_simulate_create(replay->set.cfg, replay_engine_key,
				       &callbacks, &replay->sim, error_r);
}

/* --- replaying ------------------------------------------------------------ */

static void replay_trace_line(struct lockout_replay *replay,
			      const struct lockout_input *input,
			      const char *line, size_t len, bool too_long)
{
	struct lockout_sim_attempt attempt;
	const char *error;
	int ret;

	if (too_long) {
		ret = -1;
		error = lockout_error_fmt("line longer than %u bytes",
					  LOCKOUT_INPUT_LINE_MAX);
	} else {
		ret = lockout_trace_parse(replay->trace, line, len, &attempt,
					  &error);
	}
	if (ret > 0)
		(void)replay_feed(replay, &attempt);
	else if (ret < 0) {
		replay->malformed++;
		if (replay->set.callbacks.malformed != NULL) {
			replay->set.callbacks.malformed(
				lockout_input_path(input),
				lockout_input_line_no(input), error,
				replay->malformed,
				replay->set.callbacks.context);
		}
	}
}

static void replay_file(struct lockout_replay *replay,
			struct lockout_input *input)
{
	const char *line, *error;
	size_t len;
	bool too_long;
	int ret = 0;

	if (replay->logparse != NULL) {
		lockout_logparse_begin(replay->logparse,
				       lockout_input_mtime(input));
	}
	while (!replay->failed &&
	       (ret = lockout_input_read_line(input, &line, &len, &too_long,
					      &error)) > 0) {
		replay->lines++;
		if (replay->trace != NULL) {
			replay_trace_line(replay, input, line, len,
					  too_long);
		} else {
			/* a cut line is unusable: its whole length says so */
			(void)lockout_logparse_line(replay->logparse, line,
						    len);
		}
	}
	if (ret < 0) {
		replay->read_errors++;
		replay_read_error(replay, error);
	}
}

static void replay_summary(struct lockout_replay *replay)
{
	struct lockout_report_input input;
	struct lockout_str out;
	const char **paths;
	unsigned int i;

	paths = calloc(replay->file_count + 1, sizeof(*paths));
	if (paths == NULL) {
		replay_fail(replay, "Out of memory");
		return;
	}
	for (i = 0; i < replay->file_count; i++)
		paths[i] = lockout_input_path(replay->files[i].input);
	memset(&input, 0, sizeof(input));
	input.paths = paths;
	input.path_count = replay->file_count;
	input.lines = replay->lines;
	input.malformed = replay->malformed;
	input.log_stats = replay->logparse == NULL ? NULL :
		lockout_logparse_stats(replay->logparse);
	input.read_errors = replay->read_errors;

	lockout_str_init(&out);
	lockout_report_summary(&out, replay->set.cfg, replay->set.overrides,
			       &input, lockout_simulate_summary(replay->sim));
	if (lockout_str_c(&out) == NULL)
		replay_fail(replay, "Out of memory");
	else {
		replay->set.callbacks.write(out.data, out.len,
					    replay->set.callbacks.context);
	}
	lockout_str_free(&out);
	free(paths);
}

int lockout_replay_run(struct lockout_replay *replay, const char **error_r)
{
	unsigned int i;

	for (i = 0; i < replay->file_count && !replay->failed; i++) {
		replay_file(replay, replay->files[i].input);
		lockout_input_close(replay->files[i].input);
	}
	if (!replay->failed && replay->logparse != NULL &&
	    lockout_logparse_finish(replay->logparse) != 0)
		replay_fail(replay, "Out of memory");
	if (replay->set.output == LOCKOUT_REPLAY_SUMMARY)
		replay_summary(replay);
	if (replay->failed) {
		*error_r = replay_error(replay);
		return -1;
	}
	return 0;
}

unsigned int lockout_replay_read_errors(const struct lockout_replay *replay)
{
	return replay->read_errors;
}
