/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-input.h"
#include "lockout-json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* Read buffer: holds the longest line and then some. */
#define INPUT_READ_SIZE (256 * 1024)
/* zlib's own buffer (compressed input). */
#define INPUT_GZ_BUFFER_SIZE (128 * 1024)

struct lockout_input {
	const char *path;
	gzFile gz;
	int64_t mtime;
	uint64_t line_no;

	char *buf;
	size_t start, end;
	/* the end of the input was reached (or it failed) */
	bool eof;
	/* in a line too long, whose start was handed out */
	bool skipping;

	struct lockout_str error;
};

struct lockout_input *lockout_input_create(const char *path)
{
	struct lockout_input *input;

	input = calloc(1, sizeof(*input));
	if (input == NULL)
		return NULL;
	input->path = path;
	lockout_str_init(&input->error);
	return input;
}

void lockout_input_free(struct lockout_input **_input)
{
	struct lockout_input *input = *_input;

	if (input == NULL)
		return;
	*_input = NULL;
	lockout_input_close(input);
	free(input->buf);
	lockout_str_free(&input->error);
	free(input);
}

/* The message just put in input->error. */
static const char *input_error(struct lockout_input *input)
{
	const char *error = lockout_str_c(&input->error);

	return error != NULL ? error : "Out of memory";
}

bool lockout_input_is_stdin(const struct lockout_input *input)
{
	return strcmp(input->path, "-") == 0;
}

int lockout_input_open(struct lockout_input *input, const char **error_r)
{
	struct stat st;
	int fd, saved_errno;

	lockout_input_close(input);
	fd = lockout_input_is_stdin(input) ? dup(STDIN_FILENO) :
		open(input->path, O_RDONLY);
	if (fd < 0) {
		lockout_str_clear(&input->error);
		lockout_str_printf(&input->error, "open(%s) failed: %s",
				   input->path, strerror(errno));
		*error_r = input_error(input);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		saved_errno = errno;
		(void)close(fd);
		lockout_str_clear(&input->error);
		lockout_str_printf(&input->error, "fstat(%s) failed: %s",
				   input->path, strerror(saved_errno));
		*error_r = input_error(input);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		(void)close(fd);
		lockout_str_clear(&input->error);
		lockout_str_printf(&input->error, "%s is a directory",
				   input->path);
		*error_r = input_error(input);
		return -1;
	}
	input->mtime = S_ISREG(st.st_mode) && !lockout_input_is_stdin(input) ?
		(int64_t)st.st_mtime : (int64_t)time(NULL);
	/* the buffer is kept for opening again */
	if (input->buf == NULL)
		input->buf = malloc(INPUT_READ_SIZE);
	/* reads gzip by its magic, anything else as it is */
	input->gz = input->buf == NULL ? NULL : gzdopen(fd, "rb");
	if (input->gz == NULL) {
		(void)close(fd);
		lockout_str_clear(&input->error);
		lockout_str_printf(&input->error, "%s: out of memory",
				   input->path);
		*error_r = input_error(input);
		return -1;
	}
	/* the gzFile owns fd now */
	(void)gzbuffer(input->gz, INPUT_GZ_BUFFER_SIZE);
	input->start = input->end = 0;
	input->eof = input->skipping = false;
	input->line_no = 0;
	return 0;
}

void lockout_input_close(struct lockout_input *input)
{
	if (input->gz != NULL) {
		(void)gzclose(input->gz);
		input->gz = NULL;
	}
}

/* Read more into the buffer. Returns -1 on a read error. */
static int input_fill(struct lockout_input *input, const char **error_r)
{
	const char *error;
	int errnum, ret;

	if (input->start > 0) {
		memmove(input->buf, input->buf + input->start,
			input->end - input->start);
		input->end -= input->start;
		input->start = 0;
	}
	ret = gzread(input->gz, input->buf + input->end,
		     (unsigned int)(INPUT_READ_SIZE - input->end));
	if (ret > 0) {
		input->end += (size_t)ret;
		return 0;
	}
	input->eof = true;
	error = gzerror(input->gz, &errnum);
	if (ret < 0 || (errnum != Z_OK && errnum != Z_STREAM_END)) {
		if (errnum == Z_ERRNO)
			error = strerror(errno);
		lockout_str_clear(&input->error);
		lockout_str_printf(&input->error,
				   "read(%s) failed after line %llu: %s",
				   input->path,
				   (unsigned long long)input->line_no, error);
		*error_r = input_error(input);
		return -1;
	}
	return 0;
}

int lockout_input_read_line(struct lockout_input *input, const char **line_r,
			    size_t *len_r, bool *too_long_r,
			    const char **error_r)
{
	const char *nl;
	size_t len;

	*too_long_r = false;
	for (;;) {
		nl = memchr(input->buf + input->start, '\n',
			    input->end - input->start);
		if (nl != NULL) {
			*line_r = input->buf + input->start;
			len = (size_t)(nl - *line_r);
			input->start += len + 1;
			if (input->skipping) {
				/* the end of a line too long */
				input->skipping = false;
				continue;
			}
			*len_r = len;
			input->line_no++;
			return 1;
		}
		if (input->skipping) {
			/* still in a line too long: drop what is read */
			input->start = input->end;
		} else if (input->end - input->start >
			   LOCKOUT_INPUT_LINE_MAX) {
			/* no newline in sight: give the start, drop the
			   rest up to the next newline */
			*line_r = input->buf + input->start;
			*len_r = LOCKOUT_INPUT_LINE_MAX + 1;
			input->start = input->end;
			input->line_no++;
			input->skipping = true;
			*too_long_r = true;
			return 1;
		}
		if (input->eof) {
			if (input->start == input->end || input->skipping)
				return 0;
			/* the last line had no newline */
			*line_r = input->buf + input->start;
			*len_r = input->end - input->start;
			input->start = input->end;
			input->line_no++;
			return 1;
		}
		if (input_fill(input, error_r) < 0)
			return -1;
	}
}

const char *lockout_input_path(const struct lockout_input *input)
{
	return input->path;
}

uint64_t lockout_input_line_no(const struct lockout_input *input)
{
	return input->line_no;
}

int64_t lockout_input_mtime(const struct lockout_input *input)
{
	return input->mtime;
}
