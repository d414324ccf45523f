/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_INPUT_H
#define LOCKOUT_INPUT_H

/* One input of a replay: a file, or standard input ("-"), plain or gzip
   (zlib's gzFile tells them apart by the gzip magic and reads both), read
   line by line through one fixed buffer: nothing is allocated per line.
   Error messages name the path and stay valid until the next call on the
   same input. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest line handed out whole (bytes, newline excluded): a trace line
   may be this long (LOCKOUT_TRACE_LINE_MAX). */
#define LOCKOUT_INPUT_LINE_MAX 65536

struct lockout_input;

/* An input reading path ("-" is standard input), not opened yet. path must
   stay valid while the input lives. Returns NULL when out of memory. */
struct lockout_input *lockout_input_create(const char *path)
	__attribute__((warn_unused_result));
/* Close and free the input; NULL-safe. */
void lockout_input_free(struct lockout_input **input);

/* Open the input, or open it again to read it from the start (a file is
   opened by its path once more; standard input is duplicated). A
   directory is refused. Returns 0, or -1 with *error_r. */
int lockout_input_open(struct lockout_input *input, const char **error_r)
	__attribute__((warn_unused_result));
/* Close the input's file (its buffer is kept until it is freed); it may
   be opened again. Does nothing when it is not open. */
void lockout_input_close(struct lockout_input *input);

/* The next line, without its newline: *line_r and *len_r point into the
   input's buffer, valid until the next call. Lines of up to
   LOCKOUT_INPUT_LINE_MAX bytes come whole. A longer one may come whole too
   (*len_r says so), or, when its end is not in the buffer, cut: *too_long_r
   set, *len_r LOCKOUT_INPUT_LINE_MAX + 1 (its first bytes only), the rest
   of it skipped; either way a line of more than LOCKOUT_INPUT_LINE_MAX
   bytes is one to refuse. A last line without a newline counts. Returns 1
   for a line, 0 at the end, -1 with *error_r when the input cannot be read
   further (a truncated gzip file; what was handed out so far stays valid
   input). */
int lockout_input_read_line(struct lockout_input *input, const char **line_r,
			    size_t *len_r, bool *too_long_r,
			    const char **error_r)
	__attribute__((warn_unused_result));

/* The path as given. */
const char *lockout_input_path(const struct lockout_input *input);
/* Whether the input is standard input ("-"). */
bool lockout_input_is_stdin(const struct lockout_input *input);
/* Lines handed out since it was (last) opened. */
uint64_t lockout_input_line_no(const struct lockout_input *input);
/* The modification time of a regular file (unix seconds), or the time
   it was opened for anything else (standard input, a pipe); 0 before the
   first open. */
int64_t lockout_input_mtime(const struct lockout_input *input);

#endif
