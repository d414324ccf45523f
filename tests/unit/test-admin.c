/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-admin.h"
#include "lockout-args.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))
#define NOW 1800000000

/* A table of its own per test (Check forks each one). */
struct fixture {
	char dir[64], db[128];
	struct lockout_config cfg;
	struct lockout_store *store;
	struct lockout_admin admin;
	/* invalid rows reported, each followed by "|" */
	char invalid[1024];
	/* bans handed to the unban callback: "target@lifted|" */
	char lifted[512];
};

static struct fixture fx;

static void on_invalid_row(const char *message, void *context)
{
	struct fixture *f = context;
	size_t len = strlen(f->invalid);

	snprintf(f->invalid + len, sizeof(f->invalid) - len, "%s|", message);
}

static void setup(void)
{
	const char *error;

	memset(&fx, 0, sizeof(fx));
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/test-admin.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx.dir));
	snprintf(fx.db, sizeof(fx.db), "%s/lockout.db", fx.dir);
	ck_assert_int_eq(lockout_config_init(&fx.cfg, &error), 0);
	ck_assert_int_eq(lockout_config_set(&fx.cfg, "lockout_db", fx.db,
					    &error), 0);
	ck_assert_int_eq(lockout_config_set(&fx.cfg, "lockout_allow_networks",
					    "10.99.0.0/16", &error), 0);
	ck_assert_int_eq(lockout_store_open(fx.db, LOCKOUT_STORE_FLAG_CREATE,
					    1000, &fx.store, &error), 0);
	fx.admin.store = fx.store;
	fx.admin.cfg = &fx.cfg;
	fx.admin.now = NOW;
	fx.admin.invalid_row = on_invalid_row;
	fx.admin.context = &fx;
}

static void teardown(void)
{
	char cmd[128];

	lockout_store_close(&fx.store);
	lockout_config_free(&fx.cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx.dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct lockout_target target(const char *str)
{
	struct lockout_target t;
	const char *error;

	ck_assert_msg(lockout_target_parse(str, &t, &error) == 0, "%s",
		      error);
	return t;
}

/* Add an active ban of target (its kind from its text). */
static int64_t add_ban(const char *str, int64_t created, bool observed)
{
	struct lockout_target t;
	struct lockout_ban ban;
	const char *error;
	int64_t id;

	memset(&ban, 0, sizeof(ban));
	if (lockout_target_parse(str, &t, &error) == 0)
		ban.kind = t.kind;
	else
		ban.kind = LOCKOUT_KIND_IP; /* an invalid row */
	ban.target = str;
	ban.source = LOCKOUT_SOURCE_AUTO;
	ban.reason = "a reason";
	ban.rule = "ip_failures";
	ban.created = created;
	ban.expires = NOW + 3600;
	ban.evidence = "{}";
	ban.observed = observed;
	ck_assert_int_eq(lockout_store_add_ban(fx.store, &ban, &id, &error),
			 0);
	return id;
}

static void add_allowed(const char *network, const char *reason)
{
	const char *error;
	bool existed;

	ck_assert_int_eq(lockout_store_add_allowed(fx.store, network, reason,
						   NOW - 500, &existed,
						   &error), 0);
}

/* The active bans, "target " each, oldest first. */
static int list_ban(const struct lockout_ban *ban, void *context)
{
	char *buf = context;
	size_t len = strlen(buf);

	snprintf(buf + len, 512 - len, "%s ", ban->target);
	return 0;
}

static const char *active_bans(void)
{
	static char buf[512];
	const char *error;

	buf[0] = '\0';
	ck_assert_int_eq(lockout_store_iter_bans(fx.store, NOW, 0, list_ban,
						 buf, &error), 0);
	return buf;
}

/* --- allowed networks ----------------------------------------------------- */

START_TEST(test_admin_find_allowed)
{
	struct lockout_target t;
	char network[LOCKOUT_TARGET_STRLEN];
	const char *origin, *error;

	add_allowed("not-a-network", "odd");
	add_allowed("192.0.2.0/24", "office");
	/* lockout_allow_networks first */
	t = target("10.99.3.4");
	ck_assert_int_eq(lockout_admin_find_allowed(&fx.admin, &t, network,
						    &origin, &error), 1);
	ck_assert_str_eq(network, "10.99.0.0/16");
	ck_assert_str_eq(origin, LOCKOUT_ALLOWED_ORIGIN_CONFIG);
	ck_assert_str_eq(fx.invalid, "");
	/* then the table, whose invalid rows are reported and skipped */
	t = target("192.0.0.0/16");
	ck_assert_int_eq(lockout_admin_find_allowed(&fx.admin, &t, network,
						    &origin, &error), 1);
	ck_assert_str_eq(network, "192.0.2.0/24");
	ck_assert_str_eq(origin, LOCKOUT_ALLOWED_ORIGIN_TABLE);
	t = target("198.51.100.1");
	ck_assert_int_eq(lockout_admin_find_allowed(&fx.admin, &t, network,
						    &origin, &error), 0);
	ck_assert_str_eq(fx.invalid, "Ignoring invalid allowed network "
			 "(reason 'odd'): invalid network 'not-a-network': "
			 "not an IP address|");
	/* a username is never in a network */
	t = target("alice@example.org");
	ck_assert_int_eq(lockout_admin_find_allowed(&fx.admin, &t, network,
						    &origin, &error), 0);
}
END_TEST

START_TEST(test_admin_allow_lifts_overlapping_bans)
{
	struct lockout_allowed_row row;
	struct lockout_target t = target("192.0.2.0/24");
	const char *error;

	add_ban("192.0.2.7", NOW - 50, false);
	add_ban("198.51.100.1", NOW - 40, false);
	add_ban("192.0.0.0/16", NOW - 30, true);
	add_ban("192.0.2.128/25", NOW - 20, false);
	add_ban("192.0.2.1", NOW - 10, false);
	add_ban("bogus/24", NOW - 5, false);
	/* a username that looks like nothing else: not lifted */
	add_ban("192.0.2.7@example.org", NOW - 4, false);
	lockout_allowed_row_init(&row);
	ck_assert_int_eq(lockout_admin_allow(&fx.admin, &t, "office", &row,
					     &error), 0);
	ck_assert(!row.existed);
	ck_assert_str_eq(lockout_str_c(&row.reason), "office");
	ck_assert_int_eq(row.created, NOW);
	/* every address or network ban sharing an address, observed too,
	   oldest first */
	ck_assert_str_eq(lockout_str_c(&row.lifted), "192.0.2.7 192.0.0.0/16 "
			 "192.0.2.128/25 192.0.2.1");
	ck_assert_str_eq(active_bans(), "198.51.100.1 bogus/24 "
			 "192.0.2.7@example.org ");
	ck_assert_str_eq(fx.invalid, "Ignoring ban 6 with an invalid target: "
			 "invalid network 'bogus/24': not an IP address|");

	/* again with no reason: the row keeps its reason and time */
	fx.admin.now = NOW + 100;
	ck_assert_int_eq(lockout_admin_allow(&fx.admin, &t, NULL, &row,
					     &error), 0);
	ck_assert(row.existed);
	ck_assert_str_eq(lockout_str_c(&row.reason), "office");
	ck_assert_int_eq(row.created, NOW);
	ck_assert_str_eq(lockout_str_c(&row.lifted), "");
	/* with one: a new reason, the same time */
	ck_assert_int_eq(lockout_admin_allow(&fx.admin, &t, "moved", &row,
					     &error), 0);
	ck_assert_str_eq(lockout_str_c(&row.reason), "moved");
	ck_assert_int_eq(row.created, NOW);
	/* a new network without a reason: "" */
	t = target("203.0.113.0/24");
	ck_assert_int_eq(lockout_admin_allow(&fx.admin, &t, NULL, &row,
					     &error), 0);
	ck_assert(!row.existed);
	ck_assert_str_eq(lockout_str_c(&row.reason), "");
	lockout_allowed_row_free(&row);
}
END_TEST

START_TEST(test_admin_disallow)
{
	struct lockout_allowed_row row;
	struct lockout_target t = target("192.0.2.0/24");
	char network[LOCKOUT_TARGET_STRLEN];
	const char *origin, *error;

	lockout_allowed_row_init(&row);
	ck_assert_int_eq(lockout_admin_disallow(&fx.admin, &t, &row, &error),
			 0);
	add_allowed("192.0.2.0/24", "office");
	ck_assert_int_eq(lockout_admin_disallow(&fx.admin, &t, &row, &error),
			 1);
	ck_assert_str_eq(lockout_str_c(&row.reason), "office");
	ck_assert_int_eq(row.created, NOW - 500);
	ck_assert_int_eq(lockout_admin_find_allowed(&fx.admin, &t, network,
						    &origin, &error), 0);
	/* lockout_allow_networks is not the table's */
	t = target("10.99.0.0/16");
	ck_assert_int_eq(lockout_admin_disallow(&fx.admin, &t, &row, &error),
			 0);
	lockout_allowed_row_free(&row);
}
END_TEST

/* --- bans ----------------------------------------------------------------- */

START_TEST(test_admin_manual_ban)
{
	struct lockout_target t = target("192.0.2.0/24");
	struct lockout_ban ban;
	struct lockout_str str;

	lockout_str_init(&str);
	lockout_admin_manual_evidence(&str, "cli", NULL);
	ck_assert_str_eq(lockout_str_c(&str),
			 "{\"rule\":\"manual\",\"via\":\"cli\"}");
	lockout_str_clear(&str);
	lockout_admin_manual_evidence(&str, "http", "2001:db8::\"1");
	ck_assert_str_eq(lockout_str_c(&str),
			 "{\"rule\":\"manual\",\"via\":\"http\","
			 "\"remote_ip\":\"2001:db8::\\\"1\"}");

	/* permanent unless said otherwise, a default reason */
	lockout_admin_manual_ban(&ban, &t, NULL, NOW, LOCKOUT_TIME_PERMANENT,
				 lockout_str_c(&str));
	ck_assert_str_eq(ban.target, "192.0.2.0/24");
	ck_assert_int_eq(ban.kind, LOCKOUT_KIND_NET);
	ck_assert_int_eq(ban.source, LOCKOUT_SOURCE_MANUAL);
	ck_assert_str_eq(ban.reason, LOCKOUT_MANUAL_BAN_REASON);
	ck_assert_str_eq(ban.rule, "manual");
	ck_assert_int_eq(ban.created, NOW);
	ck_assert_int_eq(ban.expires, 0);
	ck_assert_ptr_eq(ban.evidence, lockout_str_c(&str));
	ck_assert(!ban.observed);
	lockout_admin_manual_ban(&ban, &t, "", NOW, 60, NULL);
	ck_assert_str_eq(ban.reason, LOCKOUT_MANUAL_BAN_REASON);
	ck_assert_int_eq(ban.expires, NOW + 60);
	lockout_admin_manual_ban(&ban, &t, "mine", NOW, 60, NULL);
	ck_assert_str_eq(ban.reason, "mine");
	lockout_str_free(&str);
}
END_TEST

START_TEST(test_admin_ban)
{
	struct lockout_target t;
	struct lockout_ban ban;
	char network[LOCKOUT_TARGET_STRLEN];
	const char *origin, *error;
	unsigned int replaced;

	add_allowed("192.0.2.0/24", "office");
	/* an allowed network (configured, or in the table) and a ban never
	   overlap: refused, nothing changed */
	t = target("10.99.0.0/16");
	lockout_admin_manual_ban(&ban, &t, NULL, NOW, 60, NULL);
	ck_assert_int_eq(lockout_admin_ban(&fx.admin, &t, &ban, &replaced,
					   network, &origin, &error), 1);
	ck_assert_str_eq(network, "10.99.0.0/16");
	ck_assert_str_eq(origin, LOCKOUT_ALLOWED_ORIGIN_CONFIG);
	t = target("192.0.2.9");
	lockout_admin_manual_ban(&ban, &t, NULL, NOW, 60, NULL);
	ck_assert_int_eq(lockout_admin_ban(&fx.admin, &t, &ban, &replaced,
					   network, &origin, &error), 1);
	ck_assert_str_eq(network, "192.0.2.0/24");
	ck_assert_str_eq(origin, LOCKOUT_ALLOWED_ORIGIN_TABLE);
	ck_assert_str_eq(active_bans(), "");

	/* a new ban of a banned target replaces its ban */
	add_ban("198.51.100.7", NOW - 10, false);
	add_ban("198.51.100.0/24", NOW - 5, false);
	t = target("198.51.100.7");
	lockout_admin_manual_ban(&ban, &t, NULL, NOW, 60, NULL);
	ck_assert_int_eq(lockout_admin_ban(&fx.admin, &t, &ban, &replaced,
					   network, &origin, &error), 0);
	ck_assert_uint_eq(replaced, 1);
	ck_assert_int_eq(ban.id, 3);
	ck_assert_str_eq(active_bans(), "198.51.100.0/24 198.51.100.7 ");
	/* usernames too */
	t = target("alice@example.org");
	lockout_admin_manual_ban(&ban, &t, NULL, NOW, 60, NULL);
	ck_assert_int_eq(lockout_admin_ban(&fx.admin, &t, &ban, &replaced,
					   network, &origin, &error), 0);
	ck_assert_uint_eq(replaced, 0);
}
END_TEST

static void on_lifted(const struct lockout_ban *ban, void *context)
{
	struct fixture *f = context;
	size_t len = strlen(f->lifted);

	snprintf(f->lifted + len, sizeof(f->lifted) - len, "%s@%lld|",
		 ban->target, (long long)ban->lifted);
}

START_TEST(test_admin_unban)
{
	struct lockout_target t;
	char covered_by[LOCKOUT_TARGET_STRLEN];
	const char *error;

	add_ban("192.0.2.7", NOW - 30, false);
	add_ban("192.0.2.7", NOW - 20, true);
	add_ban("192.0.2.0/24", NOW - 10, false);
	add_ban("alice@example.org", NOW - 5, false);
	/* exactly the target's bans, all of them */
	t = target("192.0.2.7");
	ck_assert_int_eq(lockout_admin_unban(&fx.admin, &t, on_lifted, &fx,
					     covered_by, &error), 2);
	ck_assert_str_eq(fx.lifted, "192.0.2.7@1800000000|"
			 "192.0.2.7@1800000000|");
	ck_assert_str_eq(active_bans(), "192.0.2.0/24 alice@example.org ");
	/* not banned itself, but a wider ban covers it */
	fx.lifted[0] = '\0';
	ck_assert_int_eq(lockout_admin_unban(&fx.admin, &t, on_lifted, &fx,
					     covered_by, &error), 0);
	ck_assert_str_eq(covered_by, "192.0.2.0/24");
	ck_assert_str_eq(fx.lifted, "");
	t = target("198.51.100.1");
	ck_assert_int_eq(lockout_admin_unban(&fx.admin, &t, on_lifted, &fx,
					     covered_by, &error), 0);
	ck_assert_str_eq(covered_by, "");
	t = target("bob@example.org");
	ck_assert_int_eq(lockout_admin_unban(&fx.admin, &t, on_lifted, &fx,
					     covered_by, &error), 0);
	ck_assert_str_eq(covered_by, "");
	t = target("alice@example.org");
	ck_assert_int_eq(lockout_admin_unban(&fx.admin, &t, on_lifted, &fx,
					     covered_by, &error), 1);
	ck_assert_str_eq(active_bans(), "192.0.2.0/24 ");
}
END_TEST

/* --- what applies to a target --------------------------------------------- */

static const struct {
	int64_t expires, lifted;
	bool observed;
	const char *state;
} ban_state_cases[] = {
	{ 0, 0, false, "active" },
	{ NOW + 1, 0, false, "active" },
	{ NOW + 1, 0, true, "observed" },
	{ NOW, 0, false, "expired" },
	{ NOW - 1, 0, true, "expired" },
	{ NOW + 1, NOW - 1, false, "lifted" },
	{ NOW - 1, NOW - 2, true, "lifted" },
};

START_TEST(test_admin_ban_state)
{
	struct lockout_ban ban;

	memset(&ban, 0, sizeof(ban));
	ban.expires = ban_state_cases[_i].expires;
	ban.lifted = ban_state_cases[_i].lifted;
	ban.observed = ban_state_cases[_i].observed;
	ck_assert_str_eq(lockout_ban_state(&ban, NOW),
			 ban_state_cases[_i].state);
}
END_TEST

static const struct {
	const char *ban;
	enum lockout_kind kind;
	const char *target;
	bool covers;
} covers_cases[] = {
	{ "192.0.2.7", LOCKOUT_KIND_IP, "192.0.2.7", true },
	{ "192.0.2.0/24", LOCKOUT_KIND_NET, "192.0.2.7", true },
	{ "192.0.2.0/24", LOCKOUT_KIND_NET, "192.0.2.128/25", true },
	{ "192.0.2.0/24", LOCKOUT_KIND_NET, "192.0.2.0/24", true },
	/* a narrower ban does not cover a wider target */
	{ "192.0.2.128/25", LOCKOUT_KIND_NET, "192.0.2.0/24", false },
	{ "192.0.2.7", LOCKOUT_KIND_IP, "192.0.2.0/24", false },
	{ "192.0.2.0/24", LOCKOUT_KIND_NET, "192.0.3.1", false },
	{ "2001:db8::/32", LOCKOUT_KIND_NET, "2001:db8:1::1", true },
	{ "2001:db8::/32", LOCKOUT_KIND_NET, "192.0.2.1", false },
	{ "bogus/24", LOCKOUT_KIND_IP, "192.0.2.1", false },
	{ "alice", LOCKOUT_KIND_USER, "alice", true },
	{ "alice", LOCKOUT_KIND_USER, "Alice", false },
	{ "192.0.2.7", LOCKOUT_KIND_IP, "bob", false },
};

START_TEST(test_admin_covers)
{
	struct lockout_target t = target(covers_cases[_i].target);
	struct lockout_ban ban;

	memset(&ban, 0, sizeof(ban));
	ban.target = covers_cases[_i].ban;
	ban.kind = covers_cases[_i].kind;
	ck_assert_msg(lockout_ban_covers(&ban, &t) == covers_cases[_i].covers,
		      "%s covers %s", ban.target, t.str);
}
END_TEST

START_TEST(test_admin_relevance_and_state)
{
	struct lockout_target ip = target("192.0.2.7");
	struct lockout_target user = target("alice");
	struct lockout_ban own, wide;

	memset(&own, 0, sizeof(own));
	own.target = "192.0.2.7";
	wide = own;
	wide.target = "192.0.2.0/24";
	/* enforced before observed, then own before wider */
	ck_assert_uint_gt(lockout_ban_relevance(&own, &ip),
			  lockout_ban_relevance(&wide, &ip));
	own.observed = true;
	ck_assert_uint_gt(lockout_ban_relevance(&wide, &ip),
			  lockout_ban_relevance(&own, &ip));
	wide.observed = true;
	ck_assert_uint_gt(lockout_ban_relevance(&own, &ip),
			  lockout_ban_relevance(&wide, &ip));

	ck_assert_str_eq(lockout_target_state(&ip, true, true, true),
			 "banned");
	ck_assert_str_eq(lockout_target_state(&user, true, true, false),
			 "protected");
	ck_assert_str_eq(lockout_target_state(&ip, false, true, true),
			 "observed");
	ck_assert_str_eq(lockout_target_state(&ip, false, false, true),
			 "allowed");
	ck_assert_str_eq(lockout_target_state(&ip, false, false, false),
			 "not banned");
}
END_TEST

START_TEST(test_admin_failures)
{
	struct lockout_target net = target("192.0.2.0/24");
	struct lockout_target ip = target("192.0.2.7");
	struct lockout_failure row;

	memset(&row, 0, sizeof(row));
	row.ip = "192.0.2.9";
	ck_assert(lockout_failure_concerns(&row, &net));
	row.ip = "192.0.3.9";
	ck_assert(!lockout_failure_concerns(&row, &net));
	row.ip = "bogus";
	ck_assert(!lockout_failure_concerns(&row, &net));
	row.ip = NULL;
	ck_assert(!lockout_failure_concerns(&row, &net));
	/* an address or a username was asked of the table exactly */
	ck_assert(lockout_failure_concerns(&row, &ip));

	ck_assert(!lockout_failure_refused(&row));
	row.result = "mismatch";
	ck_assert(!lockout_failure_refused(&row));
	row.result = "refused";
	ck_assert(lockout_failure_refused(&row));
}
END_TEST

static bool addr_banned(const char *ip)
{
	struct lockout_addr addr;
	const char *error;
	bool banned;

	ck_assert_int_eq(lockout_addr_parse(ip, &addr), 0);
	ck_assert_int_eq(lockout_admin_addr_banned(&fx.admin, &addr, &banned,
						   &error), 0);
	return banned;
}

START_TEST(test_admin_addr_banned)
{
	add_ban("192.0.2.7", NOW - 30, false);
	add_ban("198.51.100.0/24", NOW - 20, false);
	add_ban("203.0.113.5", NOW - 10, true);
	add_ban("alice@example.org", NOW - 5, false);
	add_ban("bogus/24", NOW - 5, false);
	add_ban("2001:db8:1::/48", NOW - 5, false);
	ck_assert(addr_banned("192.0.2.7"));
	/* a network ban covers its addresses */
	ck_assert(addr_banned("198.51.100.99"));
	ck_assert(addr_banned("2001:db8:1:2::3"));
	ck_assert(!addr_banned("2001:db8:2::3"));
	/* observed bans refuse nobody */
	ck_assert(!addr_banned("203.0.113.5"));
	ck_assert(!addr_banned("192.0.2.8"));
}
END_TEST

struct cover_list {
	unsigned int count;
	char targets[8][LOCKOUT_TARGET_STRLEN];
};

static int cover_add(const struct lockout_ban *ban, void *context)
{
	struct cover_list *list = context;

	ck_assert_uint_lt(list->count, 8);
	snprintf(list->targets[list->count++], LOCKOUT_TARGET_STRLEN, "%s",
		 ban->target);
	return 0;
}

START_TEST(test_admin_iter_covering)
{
	struct lockout_target target;
	struct cover_list list;
	const char *error;

	add_ban("198.51.0.0/16", NOW - 40, false);
	add_ban("198.51.100.0/24", NOW - 30, true);
	add_ban("198.51.100.7", NOW - 20, false);
	add_ban("198.51.100.8", NOW - 10, false);
	add_ban("198.51.101.0/24", NOW - 10, false);
	add_ban("alice@example.org", NOW - 5, false);

	/* every network containing the address, of any width, oldest
	   first; not its neighbours */
	memset(&list, 0, sizeof(list));
	ck_assert_int_eq(lockout_target_parse_lookup("198.51.100.7", &target,
						     &error), 0);
	ck_assert_int_eq(lockout_admin_iter_covering(&fx.admin, &target,
						     cover_add, &list,
						     &error), 0);
	ck_assert_uint_eq(list.count, 3);
	ck_assert_str_eq(list.targets[0], "198.51.0.0/16");
	ck_assert_str_eq(list.targets[1], "198.51.100.0/24");
	ck_assert_str_eq(list.targets[2], "198.51.100.7");

	/* a network: itself and the wider ones, not those inside it */
	memset(&list, 0, sizeof(list));
	ck_assert_int_eq(lockout_target_parse_lookup("198.51.100.0/24",
						     &target, &error), 0);
	ck_assert_int_eq(lockout_admin_iter_covering(&fx.admin, &target,
						     cover_add, &list,
						     &error), 0);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_str_eq(list.targets[1], "198.51.100.0/24");

	/* a username: its own ban */
	memset(&list, 0, sizeof(list));
	ck_assert_int_eq(lockout_target_parse_lookup("alice@example.org",
						     &target, &error), 0);
	ck_assert_int_eq(lockout_admin_iter_covering(&fx.admin, &target,
						     cover_add, &list,
						     &error), 0);
	ck_assert_uint_eq(list.count, 1);
}
END_TEST

START_TEST(test_admin_stats)
{
	struct lockout_admin_stats stats;
	struct lockout_failure rows[2];
	const char *error;
	char wal[160];

	add_ban("192.0.2.7", NOW - 30, false);
	add_ban("198.51.100.0/24", NOW - 20, true);
	add_allowed("192.0.2.0/24", "");
	memset(rows, 0, sizeof(rows));
	rows[0].time = NOW - 600;
	rows[0].result = "mismatch";
	rows[0].count = 3;
	rows[1].time = NOW - 7200;
	rows[1].result = "refused";
	rows[1].count = 2;
	ck_assert_int_eq(lockout_store_add_failures(fx.store, rows, 2,
						    &error), 0);
	ck_assert_int_eq(lockout_admin_stats(&fx.admin, &stats, &error), 0);
	ck_assert_uint_eq(stats.bans.active, 1);
	ck_assert_uint_eq(stats.bans.observed, 1);
	ck_assert_uint_eq(stats.failures_hour, 3);
	ck_assert_uint_eq(stats.refused_hour, 0);
	ck_assert_uint_eq(stats.failures_day, 3);
	ck_assert_uint_eq(stats.refused_day, 2);
	ck_assert_uint_eq(stats.size.bans, 2);
	ck_assert_uint_eq(stats.size.allowed, 1);
	ck_assert_uint_gt(stats.size.bytes, 0);
	/* the store is open and has written: its WAL is there */
	snprintf(wal, sizeof(wal), "%s-wal", fx.db);
	ck_assert_int_eq(access(wal, F_OK), 0);
	ck_assert_uint_gt(stats.wal_bytes, 0);
}
END_TEST

static Suite *admin_suite(void)
{
	Suite *s = suite_create("lockout-admin");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_admin_find_allowed);
	tcase_add_test(tc, test_admin_allow_lifts_overlapping_bans);
	tcase_add_test(tc, test_admin_disallow);
	tcase_add_test(tc, test_admin_manual_ban);
	tcase_add_test(tc, test_admin_ban);
	tcase_add_test(tc, test_admin_unban);
	tcase_add_loop_test(tc, test_admin_ban_state, 0,
			    N_ELEMENTS(ban_state_cases));
	tcase_add_loop_test(tc, test_admin_covers, 0,
			    N_ELEMENTS(covers_cases));
	tcase_add_test(tc, test_admin_relevance_and_state);
	tcase_add_test(tc, test_admin_failures);
	tcase_add_test(tc, test_admin_addr_banned);
	tcase_add_test(tc, test_admin_iter_covering);
	tcase_add_test(tc, test_admin_stats);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(admin_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
