/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-replay.h"
#include "lockout-json.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>
#include <zlib.h>

static char tmpdir[64];

struct recorder {
	struct lockout_str out;
	char malformed[1024];
	uint64_t malformed_count;
	char read_errors[1024];
};

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-replay.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* tmpdir/name, to free */
static char *tmp_path(const char *name)
{
	size_t size = strlen(tmpdir) + strlen(name) + 2;
	char *path = malloc(size);

	ck_assert_ptr_nonnull(path);
	snprintf(path, size, "%s/%s", tmpdir, name);
	return path;
}

static char *tmp_file(const char *name, const char *text, int64_t mtime)
{
	struct utimbuf times;
	char *path = tmp_path(name);
	FILE *f;

	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	if (mtime != 0) {
		times.actime = times.modtime = (time_t)mtime;
		ck_assert_int_eq(utime(path, &times), 0);
	}
	return path;
}

static void rec_write(const void *data, size_t size, void *context)
{
	struct recorder *rec = context;

	lockout_str_append_n(&rec->out, data, size);
}

static void rec_malformed(const char *path, uint64_t line_no,
			  const char *error, uint64_t count, void *context)
{
	struct recorder *rec = context;
	const char *name = strrchr(path, '/');
	size_t len = strlen(rec->malformed);

	rec->malformed_count = count;
	snprintf(rec->malformed + len, sizeof(rec->malformed) - len,
		 "%s:%llu:%.20s|", name == NULL ? path : name + 1,
		 (unsigned long long)line_no, error);
}

static void rec_read_error(const char *error, void *context)
{
	struct recorder *rec = context;
	size_t len = strlen(rec->read_errors);

	snprintf(rec->read_errors + len, sizeof(rec->read_errors) - len,
		 "%s|", error);
}

/* Replay paths (NULL-terminated) with the default settings; returns what
   lockout_replay_run() returned, the output in rec. */
static int replay(enum lockout_replay_format format,
		  enum lockout_replay_output output, const char *const *paths,
		  struct recorder *rec, unsigned int *read_errors_r)
{
	struct lockout_replay_settings set;
	struct lockout_replay *replay;
	struct lockout_config cfg;
	const char *error;
	int ret;

	memset(rec, 0, sizeof(*rec));
	lockout_str_init(&rec->out);
	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ck_assert_int_eq(lockout_config_set(&cfg, "lockout_ip_failures", "3",
					    &error), 0);
	memset(&set, 0, sizeof(set));
	set.format = format;
	set.output = output;
	set.cfg = &cfg;
	set.callbacks.write = rec_write;
	set.callbacks.malformed = rec_malformed;
	set.callbacks.read_error = rec_read_error;
	set.callbacks.context = rec;
	replay = lockout_replay_create(&set, paths);
	ck_assert_ptr_nonnull(replay);
	ck_assert_int_eq(lockout_replay_open(replay, &error), 0);
	ck_assert_int_eq(lockout_replay_start(replay, &error), 0);
	ret = lockout_replay_run(replay, &error);
	*read_errors_r = lockout_replay_read_errors(replay);
	lockout_replay_free(&replay);
	ck_assert_ptr_null(replay);
	lockout_config_free(&cfg);
	ck_assert_ptr_nonnull(lockout_str_c(&rec->out));
	return ret;
}

#define ATTEMPT(t, ip, user, result) \
	"{\"t\":" #t ",\"ip\":\"" ip "\",\"user\":\"" user "\"," \
	"\"result\":\"" result "\"}\n"

static const char trace[] =
	ATTEMPT(100, "192.0.2.1", "a", "mismatch")
	"not json\n"
	ATTEMPT(101, "192.0.2.1", "b", "mismatch")
	"\n"
	ATTEMPT(102, "192.0.2.300", "c", "mismatch")
	ATTEMPT(103, "192.0.2.1", "c", "unknown_user")
	ATTEMPT(104, "192.0.2.1", "a", "ok");

/* the start of the decision line of the ban */
#define BAN_LINE "{\"i\":2,\"time\":103,\"type\":\"ban\",\"kind\":\"ip\"," \
	"\"target\":\"192.0.2.1\""

START_TEST(test_replay_trace)
{
	const char *paths[3] = { NULL, NULL, NULL };
	struct recorder rec, rec2;
	unsigned int read_errors;

	paths[0] = tmp_file("t.jsonl", trace, 0);
	ck_assert_int_eq(replay(LOCKOUT_REPLAY_TRACE, LOCKOUT_REPLAY_VERDICTS,
				paths, &rec, &read_errors), 0);
	/* the third failure bans the source: the success is refused */
	ck_assert_str_eq(lockout_str_c(&rec.out),
			 "{\"i\":0,\"verdict\":\"allow\"}\n"
			 "{\"i\":1,\"verdict\":\"allow\"}\n"
			 "{\"i\":2,\"verdict\":\"allow\"}\n"
			 "{\"i\":3,\"verdict\":\"refuse\"}\n");
	/* malformed lines are reported with their number; blank ones not */
	ck_assert_str_eq(rec.malformed, "t.jsonl:2:not one JSON object |"
			 "t.jsonl:5:ip: not an IPv4 or I|");
	ck_assert_uint_eq(rec.malformed_count, 2);
	ck_assert_str_eq(rec.read_errors, "");
	ck_assert_uint_eq(read_errors, 0);
	lockout_str_free(&rec.out);

	/* decisions: the ban; the same every time; several files in the
	   order given */
	paths[1] = paths[0];
	ck_assert_int_eq(replay(LOCKOUT_REPLAY_TRACE, LOCKOUT_REPLAY_DECISIONS,
				paths, &rec, &read_errors), 0);
	ck_assert_int_eq(replay(LOCKOUT_REPLAY_TRACE, LOCKOUT_REPLAY_DECISIONS,
				paths, &rec2, &read_errors), 0);
	ck_assert_str_eq(lockout_str_c(&rec.out), lockout_str_c(&rec2.out));
	ck_assert_msg(strncmp(lockout_str_c(&rec.out), BAN_LINE,
			      strlen(BAN_LINE)) == 0, "%s",
		      lockout_str_c(&rec.out));
	ck_assert_str_eq(rec.malformed, "t.jsonl:2:not one JSON object |"
			 "t.jsonl:5:ip: not an IPv4 or I|"
			 "t.jsonl:2:not one JSON object |"
			 "t.jsonl:5:ip: not an IPv4 or I|");
	ck_assert_uint_eq(rec.malformed_count, 4);
	lockout_str_free(&rec.out);
	lockout_str_free(&rec2.out);

	/* the summary counts what was read */
	paths[1] = NULL;
	ck_assert_int_eq(replay(LOCKOUT_REPLAY_TRACE, LOCKOUT_REPLAY_SUMMARY,
				paths, &rec, &read_errors), 0);
	ck_assert_msg(strstr(lockout_str_c(&rec.out), "/t.jsonl, 7 lines, "
			     "2 malformed (skipped)\n") != NULL, "%s",
		      lockout_str_c(&rec.out));
	ck_assert(strstr(lockout_str_c(&rec.out), "\nAttempts:            4 "
			 "(successes 1, wrong passwords 2, unknown users 1)\n")
		  != NULL);
	lockout_str_free(&rec.out);
	free((char *)paths[0]);
}
END_TEST

#define LOGIN(ts, ip) \
	ts " mail dovecot: imap-login: Login: user=<a>, method=PLAIN, " \
	"rip=" ip ", lip=192.0.2.99, session=<s" ip ">\n"

START_TEST(test_replay_log_order)
{
	const char *paths[4] = { NULL, NULL, NULL, NULL };
	struct recorder rec;
	unsigned int read_errors;
	const char *out, *p1, *p2, *p3;

	/* rotated logs named newest first, as mail.log* lists them; the
	   oldest has no timestamp in its first line */
	paths[0] = tmp_file("mail.log", LOGIN("2026-11-28T10:00:00Z",
					      "192.0.2.3"), 1795860000);
	paths[1] = tmp_file("mail.log.1", LOGIN("2026-11-27T10:00:00Z",
						"192.0.2.2"), 1795773600);
	paths[2] = tmp_file("mail.log.2", "no time\n" LOGIN(
		"2026-11-26T10:00:00Z", "192.0.2.1"), 1795687200);
	ck_assert_int_eq(replay(LOCKOUT_REPLAY_LOG, LOCKOUT_REPLAY_SUMMARY,
				paths, &rec, &read_errors), 0);
	out = lockout_str_c(&rec.out);
	p1 = strstr(out, "/mail.log.2, ");
	p2 = strstr(out, "/mail.log.1, ");
	p3 = strstr(out, "/mail.log, ");
	ck_assert_msg(p1 != NULL && p2 != NULL && p3 != NULL &&
		      p1 < p2 && p2 < p3, "%s", out);
	ck_assert(strstr(out, ", 4 lines: 3 used, 0 ignored, 1 unusable\n")
		  != NULL);
	ck_assert(strstr(out, "\nAttempts:            3 (successes 3, ")
		  != NULL);
	lockout_str_free(&rec.out);
	free((char *)paths[0]);
	free((char *)paths[1]);
	free((char *)paths[2]);
}
END_TEST

START_TEST(test_replay_read_error)
{
	const char *paths[3] = { NULL, NULL, NULL };
	struct recorder rec;
	unsigned int read_errors;
	char *path, *data;
	gzFile gz;
	FILE *f;
	size_t len;
	unsigned int i;

	/* a gzip trace cut short, then a whole one */
	path = tmp_path("cut.gz");
	gz = gzopen(path, "wb");
	ck_assert_ptr_nonnull(gz);
	for (i = 0; i < 5000; i++) {
		ck_assert_int_gt(gzprintf(gz, "{\"t\":%u,\"ip\":\"10.%u.%u.1\","
					  "\"user\":\"u%u\",\"result\":"
					  "\"ok\"}\n", i, i % 200, i % 100,
					  i), 0);
	}
	ck_assert_int_eq(gzclose(gz), Z_OK);
	f = fopen(path, "r+");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	len = (size_t)ftell(f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(truncate(path, (off_t)(len / 2)), 0);
	paths[0] = path;
	paths[1] = data = tmp_file("t.jsonl", trace, 0);

	ck_assert_int_eq(replay(LOCKOUT_REPLAY_TRACE, LOCKOUT_REPLAY_SUMMARY,
				paths, &rec, &read_errors), 0);
	ck_assert_uint_eq(read_errors, 1);
	ck_assert_msg(strncmp(rec.read_errors, "read(", 5) == 0 &&
		      strstr(rec.read_errors, "/cut.gz) failed after line ")
		      != NULL, "%s", rec.read_errors);
	/* the next file is replayed too, and the summary says it */
	ck_assert(strstr(lockout_str_c(&rec.out), "- 1 input files could "
			 "not be read to the end") != NULL);
	ck_assert(strstr(lockout_str_c(&rec.out), "/t.jsonl, ") != NULL);
	lockout_str_free(&rec.out);
	free(path);
	free(data);
}
END_TEST

START_TEST(test_replay_open_error)
{
	struct lockout_replay_settings set;
	struct lockout_replay *replay;
	struct lockout_config cfg;
	struct recorder rec;
	const char *paths[3] = { NULL, "/nonexistent/trace", NULL };
	const char *error;

	/* a missing input stops the replay before any output */
	paths[0] = tmp_file("ok.jsonl", trace, 0);
	memset(&rec, 0, sizeof(rec));
	lockout_str_init(&rec.out);
	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	memset(&set, 0, sizeof(set));
	set.format = LOCKOUT_REPLAY_LOG;
	set.cfg = &cfg;
	set.callbacks.write = rec_write;
	set.callbacks.context = &rec;
	replay = lockout_replay_create(&set, paths);
	ck_assert_ptr_nonnull(replay);
	ck_assert_int_eq(lockout_replay_open(replay, &error), -1);
	ck_assert_str_eq(error, "open(/nonexistent/trace) failed: No such "
			 "file or directory");
	lockout_replay_free(&replay);
	ck_assert_uint_eq(rec.out.len, 0);
	lockout_config_free(&cfg);
	free((char *)paths[0]);
}
END_TEST

static Suite *replay_suite(void)
{
	Suite *s = suite_create("lockout-replay");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_replay_trace);
	tcase_add_test(tc, test_replay_log_order);
	tcase_add_test(tc, test_replay_read_error);
	tcase_add_test(tc, test_replay_open_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(replay_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
