/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-input.h"

#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))

static char tmpdir[64];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-input.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *tmp_path(const char *name)
{
	static char path[2][128];
	static unsigned int next;
	char *p = path[next++ % 2];

	snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
	return p;
}

static void write_plain(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* data gzip-compressed into *len_r bytes (malloc'd). */
static unsigned char *gzip_data(const void *data, size_t len, size_t *len_r)
{
	z_stream z;
	unsigned char *out;
	size_t size = len + len / 10 + 1024;

	out = malloc(size);
	ck_assert_ptr_nonnull(out);
	memset(&z, 0, sizeof(z));
	/* 16 + MAX_WBITS: a gzip header, as gzip(1) writes */
	ck_assert_int_eq(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
				      16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
			 Z_OK);
	z.next_in = (unsigned char *)data;
	z.avail_in = (unsigned int)len;
	z.next_out = out;
	z.avail_out = (unsigned int)size;
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	*len_r = z.total_out;
	ck_assert_int_eq(deflateEnd(&z), Z_OK);
	return out;
}

static void write_gzip(const char *path, const void *data, size_t len)
{
	unsigned char *gz;
	size_t gz_len;

	gz = gzip_data(data, len, &gz_len);
	write_plain(path, gz, gz_len);
	free(gz);
}

/* Read input to its end into lines (joined by "|", a cut line marked
   "<cut>"); returns the last read_line() result (0 or -1). */
static int read_all(struct lockout_input *input, char *buf, size_t size,
		    const char **error_r)
{
	const char *line;
	size_t len, pos = 0;
	bool too_long;
	int ret;

	buf[0] = '\0';
	while ((ret = lockout_input_read_line(input, &line, &len, &too_long,
					      error_r)) > 0) {
		if (too_long) {
			ck_assert_uint_eq(len, LOCKOUT_INPUT_LINE_MAX + 1);
			line = "<cut>";
			len = 5;
		}
		ck_assert_uint_lt(pos + len + 1, size);
		memcpy(buf + pos, line, len);
		pos += len;
		buf[pos++] = '|';
		buf[pos] = '\0';
	}
	return ret;
}

/* data, the lines read from it joined by "|", and their number */
#define CASE(data, lines, count) \
	{ data, sizeof(data) - 1, lines, sizeof(lines) - 1, count }
static const struct {
	const char *data;
	size_t data_len;
	const char *lines;
	size_t lines_len;
	unsigned int line_count;
} plain_cases[] = {
	CASE("", "", 0),
	CASE("\n", "|", 1),
	CASE("a\nb\n", "a|b|", 2),
	/* the last line without a newline counts */
	CASE("a\nb", "a|b|", 2),
	/* blank lines and \r stay: the parsers judge them */
	CASE("a\r\n\n\nb\r\n", "a\r|||b\r|", 4),
	/* so do NUL bytes */
	CASE("x\0y\nz\n", "x\0y|z|", 2),
};

START_TEST(test_input_plain_and_gzip)
{
	const char *path = tmp_path("in"), *error;
	struct lockout_input *input;
	size_t len = plain_cases[_i].data_len;
	char buf[256];
	unsigned int gz;

	for (gz = 0; gz < 2; gz++) {
		if (gz == 0)
			write_plain(path, plain_cases[_i].data, len);
		else
			write_gzip(path, plain_cases[_i].data, len);
		input = lockout_input_create(path);
		ck_assert_ptr_nonnull(input);
		ck_assert_int_eq(lockout_input_open(input, &error), 0);
		ck_assert_int_eq(read_all(input, buf, sizeof(buf), &error), 0);
		ck_assert_mem_eq(buf, plain_cases[_i].lines,
				 plain_cases[_i].lines_len + 1);
		ck_assert_uint_eq(lockout_input_line_no(input),
				  plain_cases[_i].line_count);
		ck_assert_str_eq(lockout_input_path(input), path);
		ck_assert(!lockout_input_is_stdin(input));
		lockout_input_free(&input);
		ck_assert_ptr_null(input);
	}
}
END_TEST

/* count lines of 0..max bytes, line i made of (i % 26 + 'a') repeated */
static char *make_lines(unsigned int count, size_t max, size_t *len_r)
{
	char *data;
	size_t pos = 0, n;
	unsigned int i;

	data = malloc(count * (max + 1) + 1);
	ck_assert_ptr_nonnull(data);
	for (i = 0; i < count; i++) {
		n = ((size_t)i * 7919) % (max + 1);
		memset(data + pos, 'a' + i % 26, n);
		pos += n;
		data[pos++] = '\n';
	}
	*len_r = pos;
	return data;
}

START_TEST(test_input_many_buffers)
{
	/* several read buffers' worth, lines across every boundary, plain
	   and gzip */
	const char *path = tmp_path("big"), *line, *error;
	struct lockout_input *input;
	size_t data_len, len, n;
	char *data;
	bool too_long;
	unsigned int i, gz;

	data = make_lines(4000, 700, &data_len);
	for (gz = 0; gz < 2; gz++) {
		if (gz == 0)
			write_plain(path, data, data_len);
		else
			write_gzip(path, data, data_len);
		input = lockout_input_create(path);
		ck_assert_ptr_nonnull(input);
		ck_assert_int_eq(lockout_input_open(input, &error), 0);
		for (i = 0; i < 4000; i++) {
			ck_assert_int_eq(lockout_input_read_line(input, &line,
				&len, &too_long, &error), 1);
			n = ((size_t)i * 7919) % 701;
			ck_assert(!too_long);
			ck_assert_uint_eq(len, n);
			ck_assert(n == 0 || (line[0] == (char)('a' + i % 26) &&
					     line[n - 1] == line[0]));
		}
		ck_assert_int_eq(lockout_input_read_line(input, &line, &len,
							 &too_long, &error), 0);
		/* at the end it stays at the end */
		ck_assert_int_eq(lockout_input_read_line(input, &line, &len,
							 &too_long, &error), 0);
		lockout_input_free(&input);
	}
	free(data);
}
END_TEST

START_TEST(test_input_too_long)
{
	const char *path = tmp_path("long"), *line, *error;
	struct lockout_input *input;
	size_t max = LOCKOUT_INPUT_LINE_MAX, len, pos = 0;
	char *data;
	bool too_long;

	/* a line of exactly the limit, one over it, a huge one, a short
	   one, and a long last line without a newline */
	data = malloc(3 * max + 600000);
	ck_assert_ptr_nonnull(data);
	memset(data, 'a', max);
	pos = max;
	data[pos++] = '\n';
	memset(data + pos, 'b', max + 1);
	pos += max + 1;
	data[pos++] = '\n';
	memset(data + pos, 'c', 500000);
	pos += 500000;
	data[pos++] = '\n';
	memcpy(data + pos, "short\n", 6);
	pos += 6;
	memset(data + pos, 'd', max + 10);
	pos += max + 10;
	write_plain(path, data, pos);

	input = lockout_input_create(path);
	ck_assert_ptr_nonnull(input);
	ck_assert_int_eq(lockout_input_open(input, &error), 0);
	ck_assert_int_eq(lockout_input_read_line(input, &line, &len, &too_long,
						 &error), 1);
	ck_assert(!too_long);
	ck_assert_uint_eq(len, max);
	/* one byte over, its end in the buffer: whole, the length says it
	   is too long */
	ck_assert_int_eq(lockout_input_read_line(input, &line, &len, &too_long,
						 &error), 1);
	ck_assert(!too_long);
	ck_assert_uint_eq(len, max + 1);
	ck_assert(line[0] == 'b' && line[max] == 'b');
	/* far longer than the buffer: cut */
	ck_assert_int_eq(lockout_input_read_line(input, &line, &len, &too_long,
						 &error), 1);
	ck_assert(too_long);
	ck_assert_uint_eq(len, max + 1);
	ck_assert(line[0] == 'c' && line[max] == 'c');
	/* the rest of a cut line is skipped, not handed out */
	ck_assert_int_eq(lockout_input_read_line(input, &line, &len, &too_long,
						 &error), 1);
	ck_assert(!too_long);
	ck_assert_uint_eq(len, 5);
	ck_assert_mem_eq(line, "short", 5);
	ck_assert_int_eq(lockout_input_read_line(input, &line, &len, &too_long,
						 &error), 1);
	ck_assert(too_long);
	ck_assert(line[0] == 'd');
	ck_assert_int_eq(lockout_input_read_line(input, &line, &len, &too_long,
						 &error), 0);
	ck_assert_uint_eq(lockout_input_line_no(input), 5);
	lockout_input_free(&input);
	free(data);
}
END_TEST

START_TEST(test_input_truncated_gzip)
{
	const char *path = tmp_path("cut.gz"), *line, *error;
	struct lockout_input *input;
	unsigned char *gz;
	size_t data_len, gz_len, len, n;
	char *data, want[128];
	bool too_long;
	unsigned int i = 0;
	int ret;

	/* a gzip file cut in the middle (still being written) */
	data = make_lines(20000, 300, &data_len);
	gz = gzip_data(data, data_len, &gz_len);
	write_plain(path, gz, gz_len / 2);
	input = lockout_input_create(path);
	ck_assert_ptr_nonnull(input);
	ck_assert_int_eq(lockout_input_open(input, &error), 0);
	/* what comes before the cut is the data as it was */
	while ((ret = lockout_input_read_line(input, &line, &len, &too_long,
					      &error)) > 0) {
		n = ((size_t)i * 7919) % 301;
		ck_assert_uint_eq(len, n);
		ck_assert(n == 0 || line[n - 1] == (char)('a' + i % 26));
		i++;
	}
	ck_assert_int_eq(ret, -1);
	ck_assert_uint_gt(i, 1000);
	ck_assert_uint_lt(i, 20000);
	snprintf(want, sizeof(want), "read(%s) failed after line %u: ", path,
		 i);
	ck_assert_msg(strncmp(error, want, strlen(want)) == 0, "%s", error);
	ck_assert(strstr(error, "unexpected end of file") != NULL);
	lockout_input_free(&input);
	free(gz);
	free(data);
}
END_TEST

START_TEST(test_input_stdin)
{
	static const char text[] = "one\ntwo\nthree";
	const char *error;
	struct lockout_input *input;
	unsigned char *gz;
	size_t gz_len;
	char buf[128];
	int fds[2], fd;
	time_t before = time(NULL);

	/* plain through a pipe */
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], text, strlen(text)),
			 (ssize_t)strlen(text));
	ck_assert_int_eq(close(fds[1]), 0);
	ck_assert_int_eq(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
	ck_assert_int_eq(close(fds[0]), 0);
	input = lockout_input_create("-");
	ck_assert_ptr_nonnull(input);
	ck_assert(lockout_input_is_stdin(input));
	ck_assert_int_eq(lockout_input_open(input, &error), 0);
	/* a stream has no mtime: the time it was opened */
	ck_assert_int_ge(lockout_input_mtime(input), (int64_t)before);
	ck_assert_int_le(lockout_input_mtime(input), (int64_t)time(NULL));
	ck_assert_int_eq(read_all(input, buf, sizeof(buf), &error), 0);
	ck_assert_str_eq(buf, "one|two|three|");
	lockout_input_free(&input);
	/* standard input itself stays open (a duplicate was read) */
	ck_assert_int_ne(fcntl(STDIN_FILENO, F_GETFD), -1);

	/* gzip from a file as standard input, told by its magic */
	gz = gzip_data(text, strlen(text), &gz_len);
	write_plain(tmp_path("stdin.gz"), gz, gz_len);
	free(gz);
	fd = open(tmp_path("stdin.gz"), O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dup2(fd, STDIN_FILENO), STDIN_FILENO);
	ck_assert_int_eq(close(fd), 0);
	input = lockout_input_create("-");
	ck_assert_ptr_nonnull(input);
	ck_assert_int_eq(lockout_input_open(input, &error), 0);
	ck_assert_int_eq(read_all(input, buf, sizeof(buf), &error), 0);
	ck_assert_str_eq(buf, "one|two|three|");
	lockout_input_free(&input);
}
END_TEST

START_TEST(test_input_reopen_and_mtime)
{
	const char *path = tmp_path("re"), *line, *error;
	struct lockout_input *input;
	struct stat st;
	size_t len;
	bool too_long;
	char buf[64];

	write_plain(path, "1\n2\n3\n", 6);
	ck_assert_int_eq(stat(path, &st), 0);
	input = lockout_input_create(path);
	ck_assert_ptr_nonnull(input);
	ck_assert_int_eq(lockout_input_mtime(input), 0);
	ck_assert_int_eq(lockout_input_open(input, &error), 0);
	ck_assert_int_eq((int64_t)st.st_mtime, lockout_input_mtime(input));
	ck_assert_int_eq(lockout_input_read_line(input, &line, &len, &too_long,
						 &error), 1);
	ck_assert_int_eq(lockout_input_read_line(input, &line, &len, &too_long,
						 &error), 1);
	ck_assert_uint_eq(lockout_input_line_no(input), 2);
	/* opened again: from the start */
	ck_assert_int_eq(lockout_input_open(input, &error), 0);
	ck_assert_uint_eq(lockout_input_line_no(input), 0);
	ck_assert_int_eq(read_all(input, buf, sizeof(buf), &error), 0);
	ck_assert_str_eq(buf, "1|2|3|");
	/* closed, and opened again after that */
	lockout_input_close(input);
	lockout_input_close(input);
	ck_assert_int_eq(lockout_input_open(input, &error), 0);
	ck_assert_int_eq(read_all(input, buf, sizeof(buf), &error), 0);
	ck_assert_str_eq(buf, "1|2|3|");
	lockout_input_free(&input);
	lockout_input_free(&input);
}
END_TEST

START_TEST(test_input_open_errors)
{
	const char *missing = tmp_path("missing"), *error;
	struct lockout_input *input;
	char want[256];

	input = lockout_input_create(missing);
	ck_assert_ptr_nonnull(input);
	ck_assert_int_eq(lockout_input_open(input, &error), -1);
	snprintf(want, sizeof(want), "open(%s) failed: No such file or "
		 "directory", missing);
	ck_assert_str_eq(error, want);
	lockout_input_free(&input);

	input = lockout_input_create(tmpdir);
	ck_assert_ptr_nonnull(input);
	ck_assert_int_eq(lockout_input_open(input, &error), -1);
	snprintf(want, sizeof(want), "%s is a directory", tmpdir);
	ck_assert_str_eq(error, want);
	lockout_input_free(&input);
}
END_TEST

static Suite *input_suite(void)
{
	Suite *s = suite_create("lockout-input");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_input_plain_and_gzip, 0,
			    N_ELEMENTS(plain_cases));
	tcase_add_test(tc, test_input_many_buffers);
	tcase_add_test(tc, test_input_too_long);
	tcase_add_test(tc, test_input_truncated_gzip);
	tcase_add_test(tc, test_input_stdin);
	tcase_add_test(tc, test_input_reopen_and_mtime);
	tcase_add_test(tc, test_input_open_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(input_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
