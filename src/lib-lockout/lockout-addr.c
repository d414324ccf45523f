/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-addr.h"
#include "lockout-error.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest textual address accepted ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.
   255.255" is 45 characters). */
#define LOCKOUT_ADDR_MAX_INPUT 45
/* How many input bytes an error message quotes before cutting with "...". */

static const char netlist_separators[] = " \t,";

static unsigned int addr_len(uint8_t family)
{
	return family == LOCKOUT_AF_INET ? 4 : 16;
}

static unsigned int addr_max_prefix(uint8_t family)
{
	return family == LOCKOUT_AF_INET ? 32 : 128;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_addr_char(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') ||
		(c >= 'A' && c <= 'F') || c == '.' || c == ':';
}

/* Strict dotted quad: four decimal octets of 1..3 digits, no leading zeros,
   nothing else. */
static int parse_ipv4(const char *str, size_t len, uint8_t bytes[4])
{
	size_t i = 0;
	unsigned int part;

	for (part = 0; part < 4; part++) {
		size_t start = i;
		unsigned int value = 0;

		if (part > 0) {
			if (i >= len || str[i] != '.')
				return -1;
			start = ++i;
		}
		while (i < len && is_digit(str[i])) {
			if (i - start == 3)
				return -1;
			value = value * 10 + (unsigned int)(str[i] - '0');
			i++;
		}
		if (i == start || value > 255)
			return -1;
		if (i - start > 1 && str[start] == '0')
			return -1;
		bytes[part] = (uint8_t)value;
	}
	return i == len ? 0 : -1;
}

static bool addr_is_v4_mapped(const struct lockout_addr *addr)
{
	static const uint8_t prefix[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	return addr->family == LOCKOUT_AF_INET6 &&
		memcmp(addr->bytes, prefix, sizeof(prefix)) == 0;
}

static void addr_fold_v4_mapped(struct lockout_addr *addr)
{
	uint8_t v4[4];

	memcpy(v4, addr->bytes + 12, sizeof(v4));
	memset(addr, 0, sizeof(*addr));
	addr->family = LOCKOUT_AF_INET;
	memcpy(addr->bytes, v4, sizeof(v4));
}

int lockout_addr_from_bytes(uint8_t family, const void *bytes,
			    struct lockout_addr *addr_r)
{
	memset(addr_r, 0, sizeof(*addr_r));
	switch (family) {
	case LOCKOUT_AF_INET:
		memcpy(addr_r->bytes, bytes, 4);
		break;
	case LOCKOUT_AF_INET6:
		memcpy(addr_r->bytes, bytes, 16);
		break;
	default:
		return -1;
	}
	addr_r->family = family;
	if (addr_is_v4_mapped(addr_r))
		addr_fold_v4_mapped(addr_r);
	return 0;
}

/* Parse without folding IPv4-mapped addresses when fold is false (network
   parsing must see the prefix length in the family it was written in). */
static int addr_parse_raw(const char *str, size_t len, bool fold,
			  struct lockout_addr *addr_r)
{
	char buf[LOCKOUT_ADDR_MAX_INPUT + 1];
	bool has_colon = false;
	size_t i;

	memset(addr_r, 0, sizeof(*addr_r));
	if (len == 0 || len > LOCKOUT_ADDR_MAX_INPUT)
		return -1;
	/* This also rejects NUL, whitespace, brackets, '%', '/' and
	   non-ASCII bytes before any libc parser sees the input. */
	for (i = 0; i < len; i++) {
		if (!is_addr_char(str[i]))
			return -1;
		if (str[i] == ':')
			has_colon = true;
	}
	if (!has_colon) {
		if (parse_ipv4(str, len, addr_r->bytes) < 0) {
			memset(addr_r, 0, sizeof(*addr_r));
			return -1;
		}
		addr_r->family = LOCKOUT_AF_INET;
		return 0;
	}

	memcpy(buf, str, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET6, buf, addr_r->bytes) != 1) {
		memset(addr_r, 0, sizeof(*addr_r));
		return -1;
	}
	addr_r->family = LOCKOUT_AF_INET6;
	if (fold && addr_is_v4_mapped(addr_r))
		addr_fold_v4_mapped(addr_r);
	return 0;
}

int lockout_addr_parse_n(const char *str, size_t len,
			 struct lockout_addr *addr_r)
{
	return addr_parse_raw(str, len, true, addr_r);
}

int lockout_addr_parse(const char *str, struct lockout_addr *addr_r)
{
	/* Measure at most one byte past the longest valid input: a huge
	   string is rejected without scanning all of it. */
	return addr_parse_raw(str, strnlen(str, LOCKOUT_ADDR_MAX_INPUT + 1),
			      true, addr_r);
}

void lockout_addr_to_str(const struct lockout_addr *addr,
			 char buf[LOCKOUT_ADDR_STRLEN])
{
	char *p = buf;
	unsigned int i, b;

	switch (addr->family) {
	case LOCKOUT_AF_INET:
		/* by hand, not snprintf(): this runs for every failed
		   login (its history row), and the format parser was most
		   of its cost */
		for (i = 0; i < 4; i++) {
			b = addr->bytes[i];
			if (i > 0)
				*p++ = '.';
			if (b >= 100)
				*p++ = (char)('0' + b / 100);
			if (b >= 10)
				*p++ = (char)('0' + b / 10 % 10);
			*p++ = (char)('0' + b % 10);
		}
		*p = '\0';
		return;
	case LOCKOUT_AF_INET6:
		if (inet_ntop(AF_INET6, addr->bytes, buf,
			      LOCKOUT_ADDR_STRLEN) != NULL)
			return;
		break;
	default:
		break;
	}
	strcpy(buf, "?");
}

bool lockout_addr_equals(const struct lockout_addr *a,
			 const struct lockout_addr *b)
{
	return a->family == b->family &&
		memcmp(a->bytes, b->bytes, addr_len(a->family)) == 0;
}

uint64_t lockout_addr_hash(const struct lockout_addr *addr,
			   const unsigned char key[LOCKOUT_HASH_KEY_SIZE])
{
	uint8_t msg[1 + sizeof(addr->bytes)];
	unsigned int len = addr_len(addr->family);

	msg[0] = addr->family;
	memcpy(msg + 1, addr->bytes, len);
	return lockout_hash(key, msg, 1 + len);
}

uint64_t lockout_net_hash(const struct lockout_net *net,
			  const unsigned char key[LOCKOUT_HASH_KEY_SIZE])
{
	uint8_t msg[2 + sizeof(net->addr.bytes)];
	unsigned int len = addr_len(net->addr.family);

	msg[0] = net->addr.family;
	msg[1] = net->prefix;
	memcpy(msg + 2, net->addr.bytes, len);
	return lockout_hash(key, msg, 2 + len);
}

/* Clear every bit of bytes from bit position prefix on. */
static void mask_bytes(uint8_t bytes[16], unsigned int prefix)
{
	unsigned int full = prefix / 8, rem = prefix % 8;

	if (full >= 16)
		return;
	if (rem != 0) {
		bytes[full] &= (uint8_t)(0xff << (8 - rem));
		full++;
	}
	memset(bytes + full, 0, 16 - full);
}

/* True when the first prefix bits of a and b are equal. */
static bool prefix_equals(const uint8_t a[16], const uint8_t b[16],
			  unsigned int prefix)
{
	unsigned int full = prefix / 8, rem = prefix % 8;
	uint8_t mask;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rem == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rem));
	return (a[full] & mask) == (b[full] & mask);
}

void lockout_addr_mask(const struct lockout_addr *addr, unsigned int prefix,
		       struct lockout_net *net_r)
{
	unsigned int max = addr_max_prefix(addr->family);

	memset(net_r, 0, sizeof(*net_r));
	net_r->addr.family = addr->family;
	memcpy(net_r->addr.bytes, addr->bytes, addr_len(addr->family));
	if (prefix > max)
		prefix = max;
	mask_bytes(net_r->addr.bytes, prefix);
	net_r->prefix = (uint8_t)prefix;
}

static int net_parse_n(const char *str, size_t len, struct lockout_net *net_r,
		       const char **error_r)
{
	char quoted[LOCKOUT_QUOTE_BUF_SIZE], suggestion[LOCKOUT_NET_STRLEN];
	const char *slash = memchr(str, '/', len);
	size_t addr_part = slash == NULL ? len : (size_t)(slash - str);
	struct lockout_addr addr;
	struct lockout_net masked;
	unsigned int max, prefix;

	memset(net_r, 0, sizeof(*net_r));
	lockout_error_quote(str, len, quoted, sizeof(quoted));
	if (len == 0) {
		*error_r = lockout_error_fmt("invalid network '': empty");
		return -1;
	}
	if (addr_parse_raw(str, addr_part, false, &addr) < 0) {
		*error_r = lockout_error_fmt(
			"invalid network '%s': not an IP address", quoted);
		return -1;
	}
	max = addr_max_prefix(addr.family);
	prefix = max;
	if (slash != NULL) {
		const char *p = slash + 1, *end = str + len;

		prefix = 0;
		if (p == end || end - p > 3 || (*p == '0' && end - p > 1))
			prefix = max + 1;
		for (; p < end && prefix <= max; p++) {
			if (!is_digit(*p))
				prefix = max + 1;
			else
				prefix = prefix * 10 + (unsigned int)(*p - '0');
		}
		if (prefix > max) {
			*error_r = lockout_error_fmt(
				"invalid network '%s': invalid prefix length "
				"(expected 0..%u)", quoted, max);
			return -1;
		}
	}
	lockout_addr_mask(&addr, prefix, &masked);
	if (!lockout_addr_equals(&masked.addr, &addr)) {
		lockout_net_to_str(&masked, suggestion);
		*error_r = lockout_error_fmt(
			"invalid network '%s': host bits are set, "
			"did you mean %s?", quoted, suggestion);
		return -1;
	}
	if (addr_is_v4_mapped(&masked.addr) && masked.prefix >= 96) {
		addr_fold_v4_mapped(&masked.addr);
		masked.prefix -= 96;
	}
	*net_r = masked;
	return 0;
}

int lockout_net_parse(const char *str, struct lockout_net *net_r,
		      const char **error_r)
{
	return net_parse_n(str, strlen(str), net_r, error_r);
}

void lockout_net_to_str(const struct lockout_net *net,
			char buf[LOCKOUT_NET_STRLEN])
{
	char addr[LOCKOUT_ADDR_STRLEN];

	lockout_addr_to_str(&net->addr, addr);
	if (lockout_net_is_host(net))
		snprintf(buf, LOCKOUT_NET_STRLEN, "%s", addr);
	else {
		snprintf(buf, LOCKOUT_NET_STRLEN, "%s/%u",
			 addr, (unsigned int)net->prefix);
	}
}

bool lockout_net_contains(const struct lockout_net *net,
			  const struct lockout_addr *addr)
{
	unsigned int max = addr_max_prefix(net->addr.family);
	unsigned int prefix = net->prefix > max ? max : net->prefix;

	return net->addr.family == addr->family &&
		prefix_equals(net->addr.bytes, addr->bytes, prefix);
}

bool lockout_nets_overlap(const struct lockout_net *a,
			  const struct lockout_net *b)
{
	unsigned int max = addr_max_prefix(a->addr.family);
	unsigned int prefix = a->prefix < b->prefix ? a->prefix : b->prefix;

	if (prefix > max)
		prefix = max;
	return a->addr.family == b->addr.family &&
		prefix_equals(a->addr.bytes, b->addr.bytes, prefix);
}

bool lockout_net_is_host(const struct lockout_net *net)
{
	return net->prefix >= addr_max_prefix(net->addr.family);
}

/* Find the next item of a separated list at *pos; returns its length, 0 at
   the end. */
static size_t netlist_next(const char **pos, const char **item_r)
{
	const char *p = *pos + strspn(*pos, netlist_separators);
	size_t len = strcspn(p, netlist_separators);

	*item_r = p;
	*pos = p + len;
	return len;
}

int lockout_netlist_parse(const char *str, struct lockout_net **nets_r,
			  size_t *count_r, const char **error_r)
{
	struct lockout_net *nets;
	const char *pos, *item;
	size_t len, count = 0, i;

	*nets_r = NULL;
	*count_r = 0;
	for (pos = str; netlist_next(&pos, &item) > 0; )
		count++;
	if (count == 0)
		return 0;

	nets = calloc(count, sizeof(*nets));
	if (nets == NULL) {
		*error_r = lockout_error_fmt(
			"out of memory parsing a network list");
		return -1;
	}
	pos = str;
	for (i = 0; i < count; i++) {
		len = netlist_next(&pos, &item);
		if (net_parse_n(item, len, &nets[i], error_r) < 0) {
			free(nets);
			return -1;
		}
	}
	*nets_r = nets;
	*count_r = count;
	return 0;
}

bool lockout_netlist_contains(const struct lockout_net *nets, size_t count,
			      const struct lockout_addr *addr)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (lockout_net_contains(&nets[i], addr))
			return true;
	}
	return false;
}
