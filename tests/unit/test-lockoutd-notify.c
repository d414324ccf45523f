/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockoutd-notify.h"
#include "lockoutd-golden.h"

#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

/* The postmaster's mail, composed from a real ban table: compared with
   tests/unit/golden/<name>.txt (the Message-ID line left out, it holds the
   pid; see lockoutd-golden.h). */

#define NOW 1700000000

static char test_dir[64];
static const struct lockoutd_notify_settings settings = {
	.to = "postmaster@example.org",
	.hostname = "mx.example.org",
	.interval = 3600,
};

static const char *db_path(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s.db", test_dir, name);
	return path;
}

static struct lockout_store *store_create(const char *name)
{
	struct lockout_store *store;
	const char *error;

	ck_assert_msg(lockout_store_open(db_path(name),
					 LOCKOUT_STORE_FLAG_CREATE, 1000,
					 &store, &error) == 0, "%s", error);
	return store;
}

static void raw_exec(const char *name, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	ck_assert_int_eq(sqlite3_open(db_path(name), &db), SQLITE_OK);
	ck_assert_int_eq(lockout_store_sqlite_register(db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		ck_abort_msg("%s: %s", sql, msg);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}

static void add_ban(struct lockout_store *store, const char *target,
		    enum lockout_kind kind, int64_t expires, int64_t lifted,
		    bool observed, const char *evidence)
{
	struct lockout_ban ban;
	const char *error;

	memset(&ban, 0, sizeof(ban));
	ban.target = target;
	ban.kind = kind;
	ban.source = LOCKOUT_SOURCE_AUTO;
	ban.reason = kind == LOCKOUT_KIND_USER ?
		"40 failures from 25 unknown sources in 1 hour" :
		"10 failures in 10 mins";
	ban.rule = kind == LOCKOUT_KIND_USER ? "user_failures" :
		"ip_failures";
	ban.created = NOW - 1800;
	ban.expires = expires;
	ban.lifted = lifted;
	ban.failures = 10;
	ban.evidence = evidence;
	ban.observed = observed;
	ck_assert_msg(lockout_store_add_ban(store, &ban, NULL, &error) == 0,
		      "%s", error);
}

/* The mail without its Message-ID line. */
static char *mail_text(struct lockoutd_mail *mail)
{
	const char *text = lockout_str_c(&mail->text), *line, *end;
	char *copy;

	ck_assert_ptr_nonnull(text);
	copy = strdup(text);
	ck_assert_ptr_nonnull(copy);
	line = strstr(copy, "\nMessage-ID: <lockoutd.");
	ck_assert_ptr_nonnull(line);
	end = strchr(line + 1, '\n');
	ck_assert_ptr_nonnull(end);
	memmove((char *)line, end, strlen(end) + 1);
	return copy;
}

/* Every line short, printable ASCII; headers only the ones we write. */
static void check_mail_safe(const char *text)
{
	static const char *const headers[] = {
		"From: ", "To: ", "Subject: ", "Date: ", "Message-ID: ",
		"Auto-Submitted: ", "MIME-Version: ", "Content-Type: ",
		"Content-Transfer-Encoding: ",
	};
	const char *line = text, *end;
	bool in_headers = true;
	size_t i;

	for (; *line != '\0'; line = end + 1) {
		end = strchr(line, '\n');
		ck_assert_ptr_nonnull(end);
		ck_assert_msg(end - line < 998, "line too long");
		for (i = 0; line + i < end; i++) {
			unsigned char c = (unsigned char)line[i];

			ck_assert_msg(c >= 0x20 && c < 0x7f,
				      "byte 0x%02x in the mail", c);
		}
		if (end == line) {
			in_headers = false;
			continue;
		}
		if (!in_headers)
			continue;
		for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
			if (strncmp(line, headers[i], strlen(headers[i])) == 0)
				break;
		}
		ck_assert_msg(i < sizeof(headers) / sizeof(headers[0]),
			      "unexpected header line: %.*s",
			      (int)(end - line), line);
	}
}

static void fill_digest_rows(const char *name)
{
	struct lockout_store *store = store_create(name);

	add_ban(store, "192.0.2.7", LOCKOUT_KIND_IP, NOW + 1800, 0, false,
		"{\"rule\":\"ip_failures\",\"failures\":10,\"window\":600,"
		"\"users\":[\"admin@example.org\",\"info@example.org\"]}");
	add_ban(store, "2001:db8:1:2::/64", LOCKOUT_KIND_NET, 0, 0, false,
		NULL);
	add_ban(store, "198.51.100.9", LOCKOUT_KIND_IP, NOW - 60, 0, false,
		"{}");
	add_ban(store, "198.51.100.10", LOCKOUT_KIND_IP, NOW + 60, NOW - 30,
		false, "{}");
	add_ban(store, "203.0.113.3", LOCKOUT_KIND_IP, NOW + 60, 0, true,
		"{}");
	/* for the protection mail, not the digest */
	add_ban(store, "carol@example.org", LOCKOUT_KIND_USER, NOW + 3600, 0,
		false, "{\"sources\":25}");
	lockout_store_close(&store);
	raw_exec(name,
		"INSERT INTO events (time, kind, ip, user, detail) VALUES "
		"(1699999000, 'stale_client', '192.0.2.44', 'bob@example.org',"
		" '{\"attempts\":12,\"passwords\":1}'),"
		"(1699999100, 'success_after_failures', '198.51.100.77',"
		" 'alice@example.org', '{\"failures\":25}'),"
		"(1699999200, 'protected', '', 'carol@example.org', '{}'),"
		"(1699999300, 'something_new', '', '', '{}');"
		"INSERT INTO failures (time, ip, user, service, result, count) "
		"VALUES (1699999000, '192.0.2.7', 'admin@example.org', 'imap',"
		" 'unknown_user', 40),"
		"(1699999001, '192.0.2.8', 'admin@example.org', 'smtp',"
		" 'unknown_user', 7),"
		"(1699999002, '192.0.2.7', 'info@example.org', 'imap',"
		" 'unknown_user', 5),"
		/* older than the period: not counted */
		"(1690000000, '192.0.2.7', 'old@example.org', 'imap',"
		" 'mismatch', 500);");
}

START_TEST(test_digest)
{
	struct lockout_store *store;
	struct lockoutd_mail mail;
	const char *error;
	char *text;

	fill_digest_rows("digest");
	store = store_create("digest");
	lockoutd_mail_init(&mail);
	ck_assert_int_eq(lockoutd_notify_digest(store, &settings, NOW,
						NOW - 3600, &mail, &error), 1);
	ck_assert_uint_eq(mail.ban_count, 5);
	ck_assert_uint_eq(mail.event_count, 3);
	text = mail_text(&mail);
	check_mail_safe(text);
	golden_check("digest.txt", text);
	free(text);

	/* once claimed, nothing new: no digest */
	ck_assert_int_eq(lockoutd_notify_claim(store, &mail, &error), 1);
	lockoutd_mail_free(&mail);
	ck_assert_int_eq(lockoutd_notify_digest(store, &settings, NOW,
						NOW - 3600, &mail, &error), 0);
	lockoutd_mail_free(&mail);

	/* the protection mail still has its rows */
	ck_assert_int_eq(lockoutd_notify_protection(store, &settings, NOW,
						    &mail, &error), 1);
	ck_assert_uint_eq(mail.ban_count, 1);
	ck_assert_uint_eq(mail.event_count, 1);
	text = mail_text(&mail);
	check_mail_safe(text);
	golden_check("protection.txt", text);
	free(text);
	ck_assert_int_eq(lockoutd_notify_claim(store, &mail, &error), 1);
	lockoutd_mail_free(&mail);
	ck_assert_int_eq(lockoutd_notify_protection(store, &settings, NOW,
						    &mail, &error), 0);
	lockoutd_mail_free(&mail);
	lockout_store_close(&store);
}
END_TEST

/* Claimed, then given back (sendmail failed): the next digest has the same
   rows. */
START_TEST(test_digest_retry)
{
	struct lockout_store *store = store_create("retry");
	struct lockoutd_mail mail;
	const char *error;

	add_ban(store, "192.0.2.7", LOCKOUT_KIND_IP, NOW + 1800, 0, false,
		"{}");
	lockoutd_mail_init(&mail);
	ck_assert_int_eq(lockoutd_notify_digest(store, &settings, NOW,
						NOW - 3600, &mail, &error), 1);
	ck_assert_int_eq(lockoutd_notify_claim(store, &mail, &error), 1);
	ck_assert_int_eq(lockoutd_notify_unclaim(store, &mail, &error), 0);
	lockoutd_mail_free(&mail);
	ck_assert_int_eq(lockoutd_notify_digest(store, &settings, NOW + 3600,
						NOW, &mail, &error), 1);
	ck_assert_uint_eq(mail.ban_count, 1);
	ck_assert_ptr_nonnull(strstr(lockout_str_c(&mail.text),
				     "doveadm lockout unban 192.0.2.7\n"));
	lockoutd_mail_free(&mail);
	lockout_store_close(&store);
}
END_TEST

/* Two lockoutds on one table compose from the same rows: the first to
   claim mails them; the second claims nothing, not even the row only its
   mail has, which its next compose finds alone. */
START_TEST(test_claim_race)
{
	struct lockout_store *a = store_create("race");
	struct lockout_store *b = store_create("race");
	struct lockoutd_mail mail_a, mail_b;
	const char *error;

	add_ban(a, "192.0.2.7", LOCKOUT_KIND_IP, NOW + 1800, 0, false, "{}");
	lockoutd_mail_init(&mail_a);
	lockoutd_mail_init(&mail_b);
	ck_assert_int_eq(lockoutd_notify_digest(a, &settings, NOW,
						NOW - 3600, &mail_a, &error),
			 1);
	add_ban(a, "192.0.2.8", LOCKOUT_KIND_IP, NOW + 1800, 0, false, "{}");
	ck_assert_int_eq(lockoutd_notify_digest(b, &settings, NOW,
						NOW - 3600, &mail_b, &error),
			 1);
	ck_assert_uint_eq(mail_b.ban_count, 2);
	ck_assert_int_eq(lockoutd_notify_claim(a, &mail_a, &error), 1);
	ck_assert_int_eq(lockoutd_notify_claim(b, &mail_b, &error), 0);
	lockoutd_mail_free(&mail_b);
	ck_assert_int_eq(lockoutd_notify_digest(b, &settings, NOW,
						NOW - 3600, &mail_b, &error),
			 1);
	ck_assert_uint_eq(mail_b.ban_count, 1);
	ck_assert_ptr_nonnull(strstr(lockout_str_c(&mail_b.text),
				     "doveadm lockout unban 192.0.2.8\n"));
	ck_assert_int_eq(lockoutd_notify_claim(b, &mail_b, &error), 1);
	lockoutd_mail_free(&mail_a);
	lockoutd_mail_free(&mail_b);
	lockout_store_close(&a);
	lockout_store_close(&b);
}
END_TEST

/* Hostile text in rows stays inside the body, printable and bounded. */
START_TEST(test_hostile_rows)
{
	struct lockout_store *store = store_create("hostile");
	struct lockoutd_mail mail;
	const char *error, *text;
	char evidence[8192];

	memset(evidence, 'e', sizeof(evidence) - 1);
	evidence[sizeof(evidence) - 1] = '\0';
	add_ban(store, "192.0.2.7\nBcc: victim@example.com", LOCKOUT_KIND_IP,
		NOW + 60, 0, false, evidence);
	add_ban(store, "x\r\n\r\nFake body \x1b[31m\xc3\xa9"
		"\xc2\x9b\xe2\x80\xae\xff", LOCKOUT_KIND_USER, 0, 0, false,
		"{}");
	lockout_store_close(&store);
	raw_exec("hostile", "INSERT INTO events (time, kind, user, detail) "
		 "VALUES (1699999000, 'stale_client', "
		 "'bob' || char(10) || 'Subject: hi', '{}');");
	store = store_create("hostile");
	lockoutd_mail_init(&mail);
	ck_assert_int_eq(lockoutd_notify_digest(store, &settings, NOW,
						NOW - 3600, &mail, &error), 1);
	text = lockout_str_c(&mail.text);
	check_mail_safe(text);
	ck_assert_ptr_nonnull(strstr(text, "192.0.2.7\\x0aBcc: victim"));
	ck_assert_ptr_nonnull(strstr(text, "bob\\x0aSubject: hi"));
	ck_assert_ptr_nonnull(strstr(text, "eeee..."));
	lockoutd_mail_free(&mail);
	ck_assert_int_eq(lockoutd_notify_protection(store, &settings, NOW,
						    &mail, &error), 1);
	text = lockout_str_c(&mail.text);
	check_mail_safe(text);
	/* the one escaping rule, 7-bit: C1, bidi and other characters
	   outside ASCII as \uNNNN, invalid UTF-8 as \xNN */
	ck_assert_ptr_nonnull(strstr(text, "x\\x0d\\x0a\\x0d\\x0aFake body "
				     "\\x1b[31m\\u00e9\\u009b\\u202e\\xff"));
	lockoutd_mail_free(&mail);
	lockout_store_close(&store);
}
END_TEST

/* A flood: LOCKOUTD_NOTIFY_LISTED in full, the rest counted, all claimed. */
START_TEST(test_flood)
{
	struct lockout_store *store = store_create("flood");
	struct lockoutd_mail mail;
	const char *error, *text;
	char target[32];
	unsigned int i;

	ck_assert_int_eq(lockout_store_begin(store, &error), 0);
	for (i = 0; i < 250; i++) {
		snprintf(target, sizeof(target), "10.0.%u.%u", i / 200,
			 i % 200);
		add_ban(store, target, LOCKOUT_KIND_IP, NOW + 60, 0, false,
			"{}");
	}
	ck_assert_int_eq(lockout_store_commit(store, &error), 0);
	lockoutd_mail_init(&mail);
	ck_assert_int_eq(lockoutd_notify_digest(store, &settings, NOW,
						NOW - 3600, &mail, &error), 1);
	ck_assert_uint_eq(mail.ban_count, 250);
	text = lockout_str_c(&mail.text);
	ck_assert_ptr_nonnull(strstr(text, "Subject: [lockout] mx.example.org:"
				     " 250 new bans, 0 events\n"));
	ck_assert_ptr_nonnull(strstr(text, "... and 150 more"));
	ck_assert_ptr_null(strstr(text, "10.0.0.100 "));
	ck_assert_uint_lt(mail.text.len, 100 * 1024);
	ck_assert_int_eq(lockoutd_notify_claim(store, &mail, &error), 1);
	lockoutd_mail_free(&mail);
	ck_assert_int_eq(lockoutd_notify_digest(store, &settings, NOW,
						NOW - 3600, &mail, &error), 0);
	lockoutd_mail_free(&mail);
	lockout_store_close(&store);
}
END_TEST

static Suite *notify_suite(void)
{
	Suite *s = suite_create("lockoutd-notify");
	TCase *tc = tcase_create("mail");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_digest);
	tcase_add_test(tc, test_digest_retry);
	tcase_add_test(tc, test_claim_race);
	tcase_add_test(tc, test_hostile_rows);
	tcase_add_test(tc, test_flood);
	suite_add_tcase(s, tc);
	return s;
}

static void remove_test_dir(void)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dir;

	dir = opendir(test_dir);
	if (dir == NULL)
		return;
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", test_dir, d->d_name);
		(void)unlink(path);
	}
	closedir(dir);
	(void)rmdir(test_dir);
}

int main(void)
{
	SRunner *sr;
	int failed;

	/* the mail's dates are in UTC whatever the machine says */
	setenv("TZ", "UTC", 1);
	snprintf(test_dir, sizeof(test_dir), "/tmp/test-notify.XXXXXX");
	if (mkdtemp(test_dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	sr = srunner_create(notify_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	remove_test_dir();
	return failed == 0 ? 0 : 1;
}
