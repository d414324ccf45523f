/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-addr.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))
#define A8 "aaaaaaaa"
#define A64 A8 A8 A8 A8 A8 A8 A8 A8

/* fixed hash keys */
static const unsigned char key1[LOCKOUT_HASH_KEY_SIZE] = "addr-hash-key-01";
static const unsigned char key2[LOCKOUT_HASH_KEY_SIZE] = "addr-hash-key-02";

/* Valid addresses and their canonical form. */
static const struct {
	const char *input;
	const char *canonical;
	uint8_t family;
} valid_addrs[] = {
	{ "1.2.3.4", "1.2.3.4", LOCKOUT_AF_INET },
	{ "0.0.0.0", "0.0.0.0", LOCKOUT_AF_INET },
	{ "255.255.255.255", "255.255.255.255", LOCKOUT_AF_INET },
	{ "192.0.2.10", "192.0.2.10", LOCKOUT_AF_INET },
	{ "::", "::", LOCKOUT_AF_INET6 },
	{ "::1", "::1", LOCKOUT_AF_INET6 },
	{ "2001:DB8::1", "2001:db8::1", LOCKOUT_AF_INET6 },
	{ "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1",
	  LOCKOUT_AF_INET6 },
	{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", LOCKOUT_AF_INET6 },
	{ "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1", LOCKOUT_AF_INET6 },
	{ "fe80::1", "fe80::1", LOCKOUT_AF_INET6 },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", LOCKOUT_AF_INET6 },
	/* IPv4-mapped IPv6, in any spelling, is the IPv4 address. */
	{ "::ffff:1.2.3.4", "1.2.3.4", LOCKOUT_AF_INET },
	{ "::FFFF:102:304", "1.2.3.4", LOCKOUT_AF_INET },
	{ "0:0:0:0:0:ffff:c000:0201", "192.0.2.1", LOCKOUT_AF_INET },
	{ "0000:0000:0000:0000:0000:ffff:192.0.2.1", "192.0.2.1",
	  LOCKOUT_AF_INET },
	{ "::ffff:0:0", "0.0.0.0", LOCKOUT_AF_INET },
	/* IPv4-compatible (deprecated) is not mapped: stays IPv6. */
	{ "::1.2.3.4", "::1.2.3.4", LOCKOUT_AF_INET6 },
	{ "::fffe:1.2.3.4", "::fffe:102:304", LOCKOUT_AF_INET6 },
	{ "1::ffff:1.2.3.4", "1::ffff:102:304", LOCKOUT_AF_INET6 },
};

static const char *const invalid_addrs[] = {
	"",
	" ",
	" 1.2.3.4",
	"1.2.3.4 ",
	"\t1.2.3.4",
	"1.2.3.4\n",
	"1.2.3",
	"1.2",
	"1",
	"16909060",
	"1.2.3.4.5",
	"01.2.3.4",
	"1.2.3.04",
	"1.2.3.00",
	"00.0.0.0",
	"0x1.2.3.4",
	"0x01020304",
	"256.1.1.1",
	"1.2.3.256",
	"1.2.3.-1",
	"+1.2.3.4",
	"1..2.3",
	".1.2.3.4",
	"1.2.3.4.",
	"1234.1.1.1",
	"1.2.3.4:80",
	"a.b.c.d",
	"localhost",
	"[::1]",
	"[::1",
	"::1]",
	"fe80::1%eth0",
	"fe80::1%1",
	"::1/128",
	"1.2.3.4/32",
	":",
	":::",
	"::g",
	"1::2::3",
	"1:2:3:4:5:6:7:8:9",
	"1:2:3:4:5:6:7",
	"12345::1",
	"::ffff:1.2.3.256",
	"::ffff:01.2.3.4",
	"::ffff:1.2.3",
	"1.2.3.4::",
	/* non-ASCII */
	"1.2.3.\xc3\xa4",
	"\xef\xbc\x91.2.3.4",
	"1.2.3.4\xff",
	"\x80",
	/* overlong: 46 characters */
	"0000:0000:0000:0000:0000:ffff:255.255.255.2555",
	"1111111111111111111111111111111111111111111111111111111111111",
};

START_TEST(test_addr_parse_valid)
{
	struct lockout_addr addr, again;
	char buf[LOCKOUT_ADDR_STRLEN];
	unsigned int i;

	ck_assert_int_eq(lockout_addr_parse(valid_addrs[_i].input, &addr), 0);
	ck_assert_uint_eq(addr.family, valid_addrs[_i].family);
	if (addr.family == LOCKOUT_AF_INET) {
		for (i = 4; i < sizeof(addr.bytes); i++)
			ck_assert_uint_eq(addr.bytes[i], 0);
	}
	lockout_addr_to_str(&addr, buf);
	ck_assert_str_eq(buf, valid_addrs[_i].canonical);

	/* The canonical form parses back to the same address. */
	ck_assert_int_eq(lockout_addr_parse(buf, &again), 0);
	ck_assert(lockout_addr_equals(&addr, &again));
	ck_assert_int_eq(memcmp(&addr, &again, sizeof(addr)), 0);
}
END_TEST

START_TEST(test_addr_parse_invalid)
{
	struct lockout_addr addr, zero;

	memset(&addr, 0xaa, sizeof(addr));
	memset(&zero, 0, sizeof(zero));
	ck_assert_msg(lockout_addr_parse(invalid_addrs[_i], &addr) < 0,
		      "accepted invalid address '%s'", invalid_addrs[_i]);
	ck_assert_int_eq(memcmp(&addr, &zero, sizeof(addr)), 0);
}
END_TEST

/* Explicit-length parsing: the window, not the NUL, ends the input. */
static const struct {
	const char *input;
	size_t len;
	int ret;
	const char *canonical;
} parse_n_cases[] = {
	{ "1.2.3.4\0", 8, -1, NULL },
	{ "1.2\0.3.4", 8, -1, NULL },
	{ "\0" "1.2.3.4", 8, -1, NULL },
	{ "::1\0", 4, -1, NULL },
	{ "::ffff:1.2.3.4\0", 15, -1, NULL },
	{ "1.2.3.4xyz", 7, 0, "1.2.3.4" },
	{ "1.2.3.45", 7, 0, "1.2.3.4" },
	{ "::1", 2, 0, "::" },
	{ "::1", 1, -1, NULL },
	{ "1.2.3.4", 0, -1, NULL },
	{ "2001:db8::1 trailing", 11, 0, "2001:db8::1" },
	{ "2001:db8::1 trailing", 12, -1, NULL },
};

START_TEST(test_addr_parse_n)
{
	struct lockout_addr addr;
	char buf[LOCKOUT_ADDR_STRLEN];
	int ret;

	ret = lockout_addr_parse_n(parse_n_cases[_i].input,
				   parse_n_cases[_i].len, &addr);
	ck_assert_int_eq(ret, parse_n_cases[_i].ret);
	if (ret == 0) {
		lockout_addr_to_str(&addr, buf);
		ck_assert_str_eq(buf, parse_n_cases[_i].canonical);
	}
}
END_TEST

START_TEST(test_addr_parse_huge)
{
	struct lockout_addr addr;
	size_t len = 1024 * 1024;
	char *str = malloc(len + 1);

	ck_assert_ptr_nonnull(str);
	memset(str, '1', len);
	str[len] = '\0';
	ck_assert_int_eq(lockout_addr_parse(str, &addr), -1);
	ck_assert_int_eq(lockout_addr_parse_n(str, len, &addr), -1);
	free(str);
}
END_TEST

/* IPv4 is formatted by hand (lockout_addr_to_str()): every octet value,
   in every position, as printf gives it */
START_TEST(test_addr_to_str_ipv4_octets)
{
	struct lockout_addr addr;
	char buf[LOCKOUT_ADDR_STRLEN], want[LOCKOUT_ADDR_STRLEN];
	unsigned int v, pos;

	for (pos = 0; pos < 4; pos++) {
		for (v = 0; v < 256; v++) {
			memset(&addr, 0, sizeof(addr));
			addr.family = LOCKOUT_AF_INET;
			addr.bytes[0] = 9;
			addr.bytes[1] = 99;
			addr.bytes[2] = 100;
			addr.bytes[3] = 255;
			addr.bytes[pos] = (unsigned char)v;
			snprintf(want, sizeof(want), "%u.%u.%u.%u",
				 addr.bytes[0], addr.bytes[1], addr.bytes[2],
				 addr.bytes[3]);
			lockout_addr_to_str(&addr, buf);
			ck_assert_str_eq(buf, want);
		}
	}
	memset(&addr, 0xff, sizeof(addr));
	addr.family = LOCKOUT_AF_INET;
	lockout_addr_to_str(&addr, buf);
	ck_assert_str_eq(buf, "255.255.255.255");
	ck_assert_uint_lt(strlen(buf), LOCKOUT_ADDR_STRLEN);
}
END_TEST

START_TEST(test_addr_to_str_unknown_family)
{
	struct lockout_addr addr;
	char buf[LOCKOUT_ADDR_STRLEN];

	memset(&addr, 0, sizeof(addr));
	addr.family = 5;
	lockout_addr_to_str(&addr, buf);
	ck_assert_str_eq(buf, "?");
}
END_TEST

START_TEST(test_addr_equals)
{
	struct lockout_addr a, b, c, d, e;

	ck_assert_int_eq(lockout_addr_parse("1.2.3.4", &a), 0);
	ck_assert_int_eq(lockout_addr_parse("::ffff:1.2.3.4", &b), 0);
	ck_assert_int_eq(lockout_addr_parse("1.2.3.5", &c), 0);
	ck_assert_int_eq(lockout_addr_parse("::102:304", &d), 0);
	ck_assert_int_eq(lockout_addr_parse("0:0:0:0:0:FFFF:0102:0304", &e),
			 0);
	ck_assert(lockout_addr_equals(&a, &b));
	ck_assert(lockout_addr_equals(&a, &e));
	ck_assert(!lockout_addr_equals(&a, &c));
	ck_assert(!lockout_addr_equals(&a, &d));
	ck_assert_uint_eq(lockout_addr_hash(&a, key1),
			  lockout_addr_hash(&b, key1));
	ck_assert_uint_eq(lockout_addr_hash(&a, key1),
			  lockout_addr_hash(&e, key1));
}
END_TEST

START_TEST(test_addr_hash)
{
	enum { BUCKETS = 1024, KEYS = 65536 };
	static unsigned int buckets[BUCKETS];
	struct lockout_addr addr, garbage;
	unsigned int i, max = 0;

	/* Consistent with equals: unused bytes do not matter. */
	ck_assert_int_eq(lockout_addr_parse("192.0.2.1", &addr), 0);
	garbage = addr;
	memset(garbage.bytes + 4, 0x5a, sizeof(garbage.bytes) - 4);
	ck_assert(lockout_addr_equals(&addr, &garbage));
	ck_assert_uint_eq(lockout_addr_hash(&addr, key1),
			  lockout_addr_hash(&garbage, key1));
	/* The key changes the hash. */
	ck_assert_uint_ne(lockout_addr_hash(&addr, key1),
			  lockout_addr_hash(&addr, key2));
	/* The family is hashed: :: and 0.0.0.0 differ. */
	memset(&addr, 0, sizeof(addr));
	garbage = addr;
	addr.family = LOCKOUT_AF_INET;
	garbage.family = LOCKOUT_AF_INET6;
	ck_assert_uint_ne(lockout_addr_hash(&addr, key1),
			  lockout_addr_hash(&garbage, key1));

	/* Sequential IPv4 and IPv6 keys spread evenly: expected load 64 per
	   bucket for each family. */
	memset(&addr, 0, sizeof(addr));
	for (i = 0; i < KEYS; i++) {
		addr.family = LOCKOUT_AF_INET;
		memset(addr.bytes, 0, sizeof(addr.bytes));
		addr.bytes[0] = 10;
		addr.bytes[2] = (uint8_t)(i >> 8);
		addr.bytes[3] = (uint8_t)i;
		buckets[lockout_addr_hash(&addr, key2) % BUCKETS]++;
		addr.family = LOCKOUT_AF_INET6;
		memset(addr.bytes, 0, sizeof(addr.bytes));
		addr.bytes[0] = 0x20;
		addr.bytes[1] = 0x01;
		addr.bytes[6] = (uint8_t)(i >> 8);
		addr.bytes[7] = (uint8_t)i;
		buckets[lockout_addr_hash(&addr, key2) % BUCKETS]++;
	}
	for (i = 0; i < BUCKETS; i++) {
		if (buckets[i] > max)
			max = buckets[i];
	}
	ck_assert_uint_lt(max, 2 * 2 * KEYS / BUCKETS);
}
END_TEST

/* Networks hash by family, prefix and address; equal networks alike. */
START_TEST(test_net_hash)
{
	struct lockout_net a, b, c, d;
	const char *error;

	ck_assert_int_eq(lockout_net_parse("192.0.2.0/24", &a, &error), 0);
	ck_assert_int_eq(lockout_net_parse("::ffff:192.0.2.0/120", &b,
					   &error), 0);
	ck_assert_int_eq(lockout_net_parse("192.0.2.0/25", &c, &error), 0);
	ck_assert_int_eq(lockout_net_parse("192.0.2.0", &d, &error), 0);
	ck_assert_uint_eq(lockout_net_hash(&a, key1),
			  lockout_net_hash(&b, key1));
	ck_assert_uint_ne(lockout_net_hash(&a, key1),
			  lockout_net_hash(&a, key2));
	/* the prefix is hashed */
	ck_assert_uint_ne(lockout_net_hash(&a, key1),
			  lockout_net_hash(&c, key1));
	ck_assert_uint_ne(lockout_net_hash(&a, key1),
			  lockout_net_hash(&d, key1));
	/* a host network is not its address */
	ck_assert_uint_ne(lockout_net_hash(&d, key1),
			  lockout_addr_hash(&d.addr, key1));
}
END_TEST

static const struct {
	const char *addr;
	unsigned int prefix;
	const char *net;
} mask_cases[] = {
	{ "192.0.2.255", 24, "192.0.2.0/24" },
	{ "192.0.2.255", 25, "192.0.2.128/25" },
	{ "192.0.2.255", 31, "192.0.2.254/31" },
	{ "192.0.2.255", 32, "192.0.2.255" },
	{ "192.0.2.255", 33, "192.0.2.255" },
	{ "192.0.2.255", 1000, "192.0.2.255" },
	{ "192.0.2.255", 0, "0.0.0.0/0" },
	{ "255.0.0.0", 1, "128.0.0.0/1" },
	{ "255.255.255.255", 9, "255.128.0.0/9" },
	{ "2001:db8:1:2:3:4:5:6", 64, "2001:db8:1:2::/64" },
	{ "2001:db8:1:2:3:4:5:6", 48, "2001:db8:1::/48" },
	{ "2001:db8::ffff", 127, "2001:db8::fffe/127" },
	{ "2001:db8::ffff", 128, "2001:db8::ffff" },
	{ "2001:db8::ffff", 129, "2001:db8::ffff" },
	{ "2001:db8::ffff", 0, "::/0" },
	{ "::ffff:10.1.2.3", 8, "10.0.0.0/8" },
};

START_TEST(test_addr_mask)
{
	struct lockout_addr addr;
	struct lockout_net net;
	char buf[LOCKOUT_NET_STRLEN];

	ck_assert_int_eq(lockout_addr_parse(mask_cases[_i].addr, &addr), 0);
	lockout_addr_mask(&addr, mask_cases[_i].prefix, &net);
	lockout_net_to_str(&net, buf);
	ck_assert_str_eq(buf, mask_cases[_i].net);
	ck_assert(lockout_net_contains(&net, &addr));
}
END_TEST

static const struct {
	const char *input;
	const char *canonical;
	bool host;
} valid_nets[] = {
	{ "192.0.2.0/24", "192.0.2.0/24", false },
	{ "192.0.2.1", "192.0.2.1", true },
	{ "192.0.2.1/32", "192.0.2.1", true },
	{ "0.0.0.0/0", "0.0.0.0/0", false },
	{ "10.0.0.0/8", "10.0.0.0/8", false },
	{ "127.0.0.0/8", "127.0.0.0/8", false },
	{ "::/0", "::/0", false },
	{ "::1", "::1", true },
	{ "::1/128", "::1", true },
	{ "2001:DB8::/32", "2001:db8::/32", false },
	{ "2001:db8:0:0::/64", "2001:db8::/64", false },
	{ "fe80::/10", "fe80::/10", false },
	{ "::/95", "::/95", false },
	{ "::ffff:0:0/96", "0.0.0.0/0", false },
	{ "::ffff:192.0.2.0/120", "192.0.2.0/24", false },
	{ "::ffff:1.2.3.4", "1.2.3.4", true },
	{ "::ffff:1.2.3.4/128", "1.2.3.4", true },
	{ "::ffff:0.0.0.0/97", "0.0.0.0/1", false },
	{ "::1.2.3.4/128", "::1.2.3.4", true },
};

START_TEST(test_net_parse_valid)
{
	struct lockout_net net, again;
	char buf[LOCKOUT_NET_STRLEN];
	const char *error = NULL;

	ck_assert_msg(lockout_net_parse(valid_nets[_i].input, &net,
					&error) == 0,
		      "'%s': %s", valid_nets[_i].input, error);
	lockout_net_to_str(&net, buf);
	ck_assert_str_eq(buf, valid_nets[_i].canonical);
	ck_assert(lockout_net_is_host(&net) == valid_nets[_i].host);

	/* Round trip through the canonical form. */
	ck_assert_int_eq(lockout_net_parse(buf, &again, &error), 0);
	ck_assert_int_eq(memcmp(&net, &again, sizeof(net)), 0);
	ck_assert(lockout_nets_overlap(&net, &again));
}
END_TEST

static const struct {
	const char *input;
	const char *error;
} invalid_nets[] = {
	{ "", "invalid network '': empty" },
	{ "1.2.3.4/33", "invalid network '1.2.3.4/33': invalid prefix "
	  "length (expected 0..32)" },
	{ "1.2.3.4/100", "expected 0..32" },
	{ "::1/129", "invalid network '::1/129': invalid prefix length "
	  "(expected 0..128)" },
	{ "1.2.3.4/-1", "'1.2.3.4/-1': invalid prefix length" },
	{ "1.2.3.4/+8", "invalid prefix length" },
	{ "1.2.3.4/0x10", "invalid prefix length" },
	{ "1.2.3.4/08", "invalid prefix length" },
	{ "1.2.3.4/00", "invalid prefix length" },
	{ "1.2.3.4/0008", "invalid prefix length" },
	{ "1.2.3.4/", "'1.2.3.4/': invalid prefix length" },
	{ "1.2.3.4/ 8", "invalid prefix length" },
	{ "1.2.3.4/8 ", "invalid prefix length" },
	{ "1.2.3.4/8a", "invalid prefix length" },
	{ "1.2.3.4/24/8", "invalid prefix length" },
	{ "1.2.3.4//24", "invalid prefix length" },
	{ "1.2.3.4/99999999999999999999", "invalid prefix length" },
	{ "/8", "invalid network '/8': not an IP address" },
	{ "/", "not an IP address" },
	{ "1.2.3/24", "not an IP address" },
	{ "01.2.3.0/24", "not an IP address" },
	{ " 1.2.3.0/24", "not an IP address" },
	{ "fe80::1%eth0", "not an IP address" },
	{ "fe80::%eth0/64", "not an IP address" },
	{ "[2001:db8::]/32", "not an IP address" },
	{ "192.0.2.5/24", "invalid network '192.0.2.5/24': host bits are set, "
	  "did you mean 192.0.2.0/24?" },
	{ "10.0.0.1/8", "did you mean 10.0.0.0/8?" },
	{ "0.0.0.1/0", "did you mean 0.0.0.0/0?" },
	{ "2001:db8::1/64", "host bits are set, did you mean 2001:db8::/64?" },
	{ "::1/0", "did you mean ::/0?" },
	{ "::ffff:1.2.3.4/120", "did you mean ::ffff:1.2.3.0/120?" },
	/* the input is quoted with non-printable bytes escaped */
	{ "1.2.3.4\x01/8", "invalid network '1.2.3.4\\x01/8': not an IP "
	  "address" },
	{ "\xc3\xa4/8", "invalid network '\\xc3\\xa4/8'" },
	{ "it's", "invalid network 'it\\x27s'" },
	{ A64 "aaaa", "'" A64 "...': not an IP address" },
};

START_TEST(test_net_parse_invalid)
{
	struct lockout_net net, zero;
	const char *error = NULL;

	memset(&net, 0xaa, sizeof(net));
	memset(&zero, 0, sizeof(zero));
	ck_assert_msg(lockout_net_parse(invalid_nets[_i].input, &net,
					&error) < 0,
		      "accepted '%s'", invalid_nets[_i].input);
	ck_assert_ptr_nonnull(error);
	ck_assert_msg(strstr(error, invalid_nets[_i].error) != NULL,
		      "error '%s' lacks '%s'", error, invalid_nets[_i].error);
	ck_assert_int_eq(memcmp(&net, &zero, sizeof(net)), 0);
}
END_TEST

static const struct {
	const char *net;
	const char *addr;
	bool contains;
} contains_cases[] = {
	{ "192.0.2.0/24", "192.0.2.77", true },
	{ "192.0.2.0/24", "192.0.2.0", true },
	{ "192.0.2.0/24", "192.0.2.255", true },
	{ "192.0.2.0/24", "192.0.3.0", false },
	{ "192.0.2.0/24", "192.0.1.255", false },
	{ "192.0.2.0/25", "192.0.2.128", false },
	{ "128.0.0.0/1", "127.255.255.255", false },
	{ "128.0.0.0/1", "128.0.0.0", true },
	{ "1.2.3.4", "1.2.3.4", true },
	{ "1.2.3.4", "1.2.3.5", false },
	{ "0.0.0.0/0", "255.255.255.255", true },
	{ "0.0.0.0/0", "::1", false },
	{ "0.0.0.0/0", "::", false },
	{ "::/0", "1.2.3.4", false },
	{ "::/0", "0.0.0.0", false },
	{ "::/0", "::1", true },
	{ "::1", "::1", true },
	{ "::1", "127.0.0.1", false },
	{ "127.0.0.0/8", "::1", false },
	{ "127.0.0.0/8", "::ffff:127.0.0.1", true },
	{ "::ffff:0:0/96", "10.1.2.3", true },
	{ "10.0.0.0/8", "::ffff:10.1.2.3", true },
	{ "10.0.0.0/8", "::10.1.2.3", false },
	{ "2001:db8::/32", "2001:db8:ffff::1", true },
	{ "2001:db8::/32", "2001:db9::", false },
	{ "2001:db8::/33", "2001:db8:8000::", false },
	{ "2001:db8::/33", "2001:db8:7fff::", true },
	{ "2001:db8::1", "2001:db8::1", true },
	{ "2001:db8::1", "2001:db8::", false },
};

/* From bytes (the auth process's struct ip_addr): the same address as
   parsing its text gives, IPv4-mapped folded, an unknown family refused. */
START_TEST(test_addr_from_bytes)
{
	static const char *const texts[] = {
		"192.0.2.1", "0.0.0.0", "2001:db8::1", "::", "::ffff:192.0.2.7",
		"::ffff:0:c000:207", "fe80::1",
	};
	struct lockout_addr parsed, made;
	unsigned char bytes[16];
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(texts); i++) {
		bool v6 = strchr(texts[i], ':') != NULL;

		ck_assert_int_eq(inet_pton(v6 ? AF_INET6 : AF_INET, texts[i],
					   bytes), 1);
		ck_assert_int_eq(lockout_addr_parse(texts[i], &parsed), 0);
		memset(&made, 0xaa, sizeof(made));
		ck_assert_int_eq(lockout_addr_from_bytes(
			v6 ? LOCKOUT_AF_INET6 : LOCKOUT_AF_INET, bytes,
			&made), 0);
		ck_assert_msg(memcmp(&parsed, &made, sizeof(made)) == 0,
			      "%s", texts[i]);
	}
	memset(&made, 0xaa, sizeof(made));
	ck_assert_int_eq(lockout_addr_from_bytes(0, bytes, &made), -1);
	ck_assert_uint_eq(made.family, 0);
	ck_assert_int_eq(lockout_addr_from_bytes(5, bytes, &made), -1);
}
END_TEST

START_TEST(test_net_contains)
{
	struct lockout_net net;
	struct lockout_addr addr;
	const char *error;

	ck_assert_int_eq(lockout_net_parse(contains_cases[_i].net, &net,
					   &error), 0);
	ck_assert_int_eq(lockout_addr_parse(contains_cases[_i].addr, &addr),
			 0);
	ck_assert_msg(lockout_net_contains(&net, &addr) ==
		      contains_cases[_i].contains, "%s in %s",
		      contains_cases[_i].addr, contains_cases[_i].net);
	ck_assert(lockout_netlist_contains(&net, 1, &addr) ==
		  contains_cases[_i].contains);
}
END_TEST

static const struct {
	const char *a, *b;
	bool overlap;
} overlap_cases[] = {
	{ "10.0.0.0/8", "10.1.0.0/16", true },
	{ "10.0.0.0/8", "10.255.255.255", true },
	{ "10.0.0.0/8", "11.0.0.0/8", false },
	{ "10.0.0.0/8", "11.0.0.0/16", false },
	{ "0.0.0.0/0", "1.2.3.4", true },
	{ "0.0.0.0/0", "::/0", false },
	{ "0.0.0.0/0", "::1", false },
	{ "::/0", "2001:db8::/32", true },
	{ "::/0", "1.2.3.4", false },
	{ "192.0.2.1", "192.0.2.1", true },
	{ "192.0.2.1", "192.0.2.2", false },
	{ "192.0.2.0/25", "192.0.2.128/25", false },
	{ "192.0.2.0/23", "192.0.3.128/25", true },
	{ "2001:db8::/64", "2001:db8::/48", true },
	{ "2001:db8:0:1::/64", "2001:db8::/64", false },
	{ "::ffff:0:0/96", "192.0.2.0/24", true },
};

START_TEST(test_nets_overlap)
{
	struct lockout_net a, b;
	const char *error;

	ck_assert_int_eq(lockout_net_parse(overlap_cases[_i].a, &a, &error),
			 0);
	ck_assert_int_eq(lockout_net_parse(overlap_cases[_i].b, &b, &error),
			 0);
	ck_assert(lockout_nets_overlap(&a, &b) == overlap_cases[_i].overlap);
	ck_assert(lockout_nets_overlap(&b, &a) == overlap_cases[_i].overlap);
}
END_TEST

static const struct {
	const char *input;
	int ret;
	size_t count;
	const char *printed; /* items joined by one space, or error part */
} netlist_cases[] = {
	{ "", 0, 0, "" },
	{ "   ", 0, 0, "" },
	{ " \t, ,,\t", 0, 0, "" },
	{ "127.0.0.0/8 ::1", 0, 2, "127.0.0.0/8 ::1" },
	{ "10.0.0.0/8,192.168.0.0/16", 0, 2, "10.0.0.0/8 192.168.0.0/16" },
	{ ",10.0.0.0/8 ,\t 192.168.1.1\t,2001:DB8::/32,", 0, 3,
	  "10.0.0.0/8 192.168.1.1 2001:db8::/32" },
	{ "::ffff:10.0.0.0/104", 0, 1, "10.0.0.0/8" },
	{ "1.2.3.4 1.2.3.4", 0, 2, "1.2.3.4 1.2.3.4" },
	{ "127.0.0.0/8 bogus ::1", -1, 0, "invalid network 'bogus'" },
	{ "127.0.0.1/8", -1, 0,
	  "'127.0.0.1/8': host bits are set, did you mean 127.0.0.0/8?" },
	{ "10.0.0.0/8;192.168.0.0/16", -1, 0,
	  "'10.0.0.0/8;192.168.0.0/16': invalid prefix length" },
	{ "10.0.0.0/8\n192.168.0.0/16", -1, 0, "\\x0a" },
	{ "1.2.3.4 1.2.3.4/33", -1, 0, "'1.2.3.4/33'" },
};

START_TEST(test_netlist_parse)
{
	struct lockout_net *nets = (void *)&nets;
	char buf[LOCKOUT_NET_STRLEN], joined[256];
	size_t count = 99, i;
	const char *error = NULL;
	int ret;

	ret = lockout_netlist_parse(netlist_cases[_i].input, &nets, &count,
				    &error);
	ck_assert_int_eq(ret, netlist_cases[_i].ret);
	ck_assert_uint_eq(count, netlist_cases[_i].count);
	if (ret < 0) {
		ck_assert_ptr_null(nets);
		ck_assert_msg(strstr(error, netlist_cases[_i].printed) != NULL,
			      "error '%s' lacks '%s'", error,
			      netlist_cases[_i].printed);
		return;
	}
	if (count == 0)
		ck_assert_ptr_null(nets);
	joined[0] = '\0';
	for (i = 0; i < count; i++) {
		lockout_net_to_str(&nets[i], buf);
		if (i > 0)
			strcat(joined, " ");
		strcat(joined, buf);
	}
	ck_assert_str_eq(joined, netlist_cases[_i].printed);
	free(nets);
}
END_TEST

START_TEST(test_netlist_contains)
{
	struct lockout_net *nets;
	struct lockout_addr addr;
	size_t count;
	const char *error;

	ck_assert_int_eq(lockout_netlist_parse("127.0.0.0/8 ::1, 10.0.0.0/8",
					       &nets, &count, &error), 0);
	ck_assert_uint_eq(count, 3);
	ck_assert_int_eq(lockout_addr_parse("127.1.2.3", &addr), 0);
	ck_assert(lockout_netlist_contains(nets, count, &addr));
	ck_assert_int_eq(lockout_addr_parse("::ffff:10.9.9.9", &addr), 0);
	ck_assert(lockout_netlist_contains(nets, count, &addr));
	ck_assert_int_eq(lockout_addr_parse("::1", &addr), 0);
	ck_assert(lockout_netlist_contains(nets, count, &addr));
	ck_assert_int_eq(lockout_addr_parse("::2", &addr), 0);
	ck_assert(!lockout_netlist_contains(nets, count, &addr));
	ck_assert_int_eq(lockout_addr_parse("192.0.2.1", &addr), 0);
	ck_assert(!lockout_netlist_contains(nets, count, &addr));
	ck_assert(!lockout_netlist_contains(NULL, 0, &addr));
	free(nets);
}
END_TEST

static Suite *addr_suite(void)
{
	Suite *s = suite_create("lockout-addr");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_addr_parse_valid, 0,
			    N_ELEMENTS(valid_addrs));
	tcase_add_loop_test(tc, test_addr_parse_invalid, 0,
			    N_ELEMENTS(invalid_addrs));
	tcase_add_loop_test(tc, test_addr_parse_n, 0,
			    N_ELEMENTS(parse_n_cases));
	tcase_add_test(tc, test_addr_parse_huge);
	tcase_add_test(tc, test_addr_to_str_ipv4_octets);
	tcase_add_test(tc, test_addr_to_str_unknown_family);
	tcase_add_test(tc, test_addr_equals);
	tcase_add_test(tc, test_addr_hash);
	tcase_add_test(tc, test_net_hash);
	tcase_add_test(tc, test_addr_from_bytes);
	tcase_add_loop_test(tc, test_addr_mask, 0, N_ELEMENTS(mask_cases));
	tcase_add_loop_test(tc, test_net_parse_valid, 0,
			    N_ELEMENTS(valid_nets));
	tcase_add_loop_test(tc, test_net_parse_invalid, 0,
			    N_ELEMENTS(invalid_nets));
	tcase_add_loop_test(tc, test_net_contains, 0,
			    N_ELEMENTS(contains_cases));
	tcase_add_loop_test(tc, test_nets_overlap, 0,
			    N_ELEMENTS(overlap_cases));
	tcase_add_loop_test(tc, test_netlist_parse, 0,
			    N_ELEMENTS(netlist_cases));
	tcase_add_test(tc, test_netlist_contains);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(addr_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
