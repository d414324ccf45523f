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

/* Replay paths (NULL-terminated) with lockout_ip_failures = 3 and the
   NULL-terminated name, value pairs of settings (or NULL), the defaults
   otherwise; returns what lockout_replay_run() returned, the output in
   rec. */
static int replay_with(enum lockout_replay_format format,
		       enum lockout_replay_output output,
		       const char *const *paths, const char *const *settings,
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
	for (; settings != NULL && settings[0] != NULL; settings += 2) {
		ck_assert_msg(lockout_config_set(&cfg, settings[0],
						 settings[1], &error) == 0,
			      "%s", error);
	}
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

static int replay(enum lockout_replay_format format,
		  enum lockout_replay_output output, const char *const *paths,
		  struct recorder *rec, unsigned int *read_errors_r)
{
	return replay_with(format, output, paths, NULL, rec, read_errors_r);
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

/* Dovecot 2.4.1's log of test_simulate's attacks (abridged), all but the
   last two lines written in the second it started: rotated after carol's
   last wrong password, the old part's first second is the new part's. The
   source 127.0.0.7 fails on dave and erin (ip_spread at 2 usernames bans
   it), then is refused on alice. 127.0.0.0/24 is busy once carol logged in
   too (bob, frank and carol: a spread of usernames counts no more there). */
#define T24 "Dec 07 15:53:20 "
#define T24_NEXT "Dec 07 15:53:21 "
#define ABORTED24(user, ip, session) \
	T24 "imap-login: Info: Login aborted: Logged out (auth failed, 1 " \
	"attempts in 0 secs) (auth_failed): user=<" user ">, method=PLAIN, " \
	"rip=" ip ", lip=127.0.0.1, session=<" session ">\n"

static const char rotated_old[] =
	T24 "master: Info: Dovecot v2.4.1-4 (7d8c0e5759) starting up for "
	"imap, pop3 (core dumps disabled)\n"
	T24 "imap-login: Info: Logged in: user=<bob@example.org>, "
	"method=PLAIN, rip=127.0.0.2, lip=127.0.0.1, mpid=29, "
	"session=<BQwDew1iIcB/AAAC>\n"
	T24 "imap-login: Info: Logged in: user=<frank@example.org>, "
	"method=PLAIN, rip=127.0.0.12, lip=127.0.0.1, mpid=31, "
	"session=<j58Dew1iV95/AAAM>\n"
	T24 "auth(dave@example.org,127.0.0.7,sasl:plain)<AlIFew1iQeJ/AAAH>: "
	"Info: passwd-file: unknown user (SHA1 of given password: "
	"7c4a8d09)\n"
	ABORTED24("dave@example.org", "127.0.0.7", "AlIFew1iQeJ/AAAH")
	T24 "auth(erin@example.org,127.0.0.7,sasl:plain)<i6gGew1iZ9Z/AAAH>: "
	"Info: passwd-file: unknown user (SHA1 of given password: "
	"7c4a8d09)\n"
	T24 "auth: Info: lockout: Banned 127.0.0.7 for 21600 secs: 2 distinct "
	"usernames failed within 1 day (rule ip_spread)\n"
	ABORTED24("erin@example.org", "127.0.0.7", "i6gGew1iZ9Z/AAAH")
	T24 "auth(carol@example.org,127.0.0.6,sasl:plain)<PaCYOQ1iLbh/AAAG>: "
	"Info: passwd-file: Password mismatch (SHA1 of given password: "
	"4f18148f)\n"
	ABORTED24("carol@example.org", "127.0.0.6", "PaCYOQ1iLbh/AAAG")
	T24 "imap(carol@example.org)<298><lseYOQ1id8J/AAAG>: Info: "
	"Disconnected: Logged out in=9 out=518 deleted=0 expunged=0 "
	"trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0\n";

static const char rotated_new[] =
	T24 "imap-login: Info: Logged in: user=<carol@example.org>, "
	"method=PLAIN, rip=127.0.0.6, lip=127.0.0.1, mpid=298, "
	"session=<lseYOQ1id8J/AAAG>\n"
	T24_NEXT "imap-login: Info: Login aborted: Logged out (user disabled, "
	"1 attempts in 0 secs) (user_disabled): user=<alice@example.org>, "
	"method=PLAIN, rip=127.0.0.7, lip=127.0.0.1, "
	"session=<FbARew1iA7t/AAAH>\n"
	T24_NEXT "imap-login: Info: Logged in: user=<bob@example.org>, "
	"method=PLAIN, rip=127.0.0.9, lip=127.0.0.1, mpid=75, "
	"session=<e1YUew1iKZx/AAAJ>\n";

START_TEST(test_replay_log_order_same_second)
{
	static const char *const settings[] = {
		"lockout_ip_spread_usernames", "2",
		"lockout_allow_networks", "", NULL };
	/* around 2026-12-07 15:53:20: the year of the dates */
	const int64_t rotated = 1796658800;
	const char *paths[3] = { NULL, NULL, NULL };
	struct recorder rec;
	unsigned int read_errors;
	const char *out;

	/* named newest first (mail.log*), starting in the same second: the
	   rotated one is older by its modification time. Read newest first,
	   the refusal of alice came before dave and erin and counted as a
	   failure, carol's success made the /24 busy before them, and the
	   replay banned 127.0.0.7 by ip_failures (CI of 2.4.1). */
	paths[0] = tmp_file("mail.log", rotated_new, rotated + 1);
	paths[1] = tmp_file("mail.log.1", rotated_old, rotated);
	ck_assert_int_eq(replay_with(LOCKOUT_REPLAY_LOG,
				     LOCKOUT_REPLAY_DECISIONS, paths,
				     settings, &rec, &read_errors), 0);
	out = lockout_str_c(&rec.out);
	ck_assert_msg(strstr(out, "\"type\":\"ban\",\"kind\":\"ip\","
			     "\"target\":\"127.0.0.7\"") != NULL &&
		      strstr(out, "\"rule\":\"ip_spread\"") != NULL &&
		      strstr(out, "\"rule\":\"ip_failures\"") == NULL,
		      "%s", out);
	lockout_str_free(&rec.out);
	/* the summary lists the files oldest first; no line went back in
	   time */
	ck_assert_int_eq(replay_with(LOCKOUT_REPLAY_LOG,
				     LOCKOUT_REPLAY_SUMMARY, paths, settings,
				     &rec, &read_errors), 0);
	out = lockout_str_c(&rec.out);
	ck_assert_msg(strstr(out, "/mail.log.1, ") != NULL &&
		      strstr(out, "/mail.log.1, ") <
		      strstr(out, "/mail.log, ") &&
		      strstr(out, "going back in time") == NULL, "%s", out);
	lockout_str_free(&rec.out);
	free((char *)paths[0]);
	free((char *)paths[1]);
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
	tcase_add_test(tc, test_replay_log_order_same_second);
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
