/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_ADDR_H
#define LOCKOUT_ADDR_H

/* IP addresses and networks (CIDR) of the core library: strict parsing,
   canonical printing, matching and hashing. No allocation except in
   lockout_netlist_parse(), no global state. */

#include "lockout-hash.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for any canonical address + NUL. */
#define LOCKOUT_ADDR_STRLEN 46
/* Address + "/128" + NUL. */
#define LOCKOUT_NET_STRLEN 50

enum {
	LOCKOUT_AF_INET = 4,
	LOCKOUT_AF_INET6 = 6
};

/* IPv4 lives in bytes[0..3], all other bytes are zero, so two addresses can
   be compared and hashed as plain memory. IPv4-mapped IPv6 addresses
   (::ffff:a.b.c.d) never appear with family LOCKOUT_AF_INET6 when they come
   from the parsers: they are folded to LOCKOUT_AF_INET. */
struct lockout_addr {
	uint8_t family;
	uint8_t bytes[16];
};

/* A network: host bits of addr are always zero; prefix is 0..32 for IPv4,
   0..128 for IPv6. */
struct lockout_net {
	struct lockout_addr addr;
	uint8_t prefix;
};

/* Parse a textual address into *addr_r. Returns 0 on success, -1 when str is
   not exactly one address: IPv4 only as a dotted quad of decimal octets
   without leading zeros ("1.2.3.4"; not "1.2.3", "01.2.3.4" or "0x1.2.3.4"),
   IPv6 as inet_pton() accepts it. Rejected: empty strings, any whitespace,
   brackets, zone ids ("fe80::1%eth0"), prefixes, non-ASCII bytes and strings
   longer than 45 characters. IPv4-mapped IPv6 ("::ffff:1.2.3.4",
   "::ffff:102:304") is folded to the IPv4 address. Unused bytes are zeroed.
   *addr_r is zeroed on failure. */
int lockout_addr_parse(const char *str, struct lockout_addr *addr_r)
	__attribute__((warn_unused_result));
/* Same as lockout_addr_parse() for the first len bytes of str, which needs no
   NUL terminator; a NUL byte within len makes the input invalid. */
int lockout_addr_parse_n(const char *str, size_t len,
			 struct lockout_addr *addr_r)
	__attribute__((warn_unused_result));

/* Make *addr_r from an address in network byte order: 4 bytes for
   LOCKOUT_AF_INET, 16 for LOCKOUT_AF_INET6 (IPv4-mapped folded to IPv4, as
   lockout_addr_parse() does). Returns 0, or -1 (and *addr_r zeroed) for
   another family. Without text in between: the auth process has the
   address as bytes. */
int lockout_addr_from_bytes(uint8_t family, const void *bytes,
			    struct lockout_addr *addr_r)
	__attribute__((warn_unused_result));

/* Print addr canonically into buf: dotted quad for IPv4, RFC 5952 lower-case
   for IPv6 (as glibc's inet_ntop() prints it). An address with an unknown
   family prints as "?". */
void lockout_addr_to_str(const struct lockout_addr *addr,
			 char buf[LOCKOUT_ADDR_STRLEN]);

/* True when a and b are the same address (same family and bytes). */
bool lockout_addr_equals(const struct lockout_addr *a,
			 const struct lockout_addr *b);

/* Keyed hash (lockout_hash()) of addr's family and address bytes, for hash
   tables whose keys an attacker chooses. Equal addresses give equal hashes
   for the same key. */
uint64_t lockout_addr_hash(const struct lockout_addr *addr,
			   const unsigned char key[LOCKOUT_HASH_KEY_SIZE]);
/* Keyed hash of net (family, prefix length and address bytes). Equal
   networks give equal hashes for the same key; an address and its host
   network do not. */
uint64_t lockout_net_hash(const struct lockout_net *net,
			  const unsigned char key[LOCKOUT_HASH_KEY_SIZE]);

/* Store in *net_r the network of the first prefix bits of addr, host bits
   cleared. prefix is clamped to 32 for IPv4 and 128 for IPv6. */
void lockout_addr_mask(const struct lockout_addr *addr, unsigned int prefix,
		       struct lockout_net *net_r);

/* Parse "addr" (a host: full-length prefix) or "addr/len" into *net_r.
   len is decimal without sign or leading zeros ("0" itself is fine) and at
   most 32 (IPv4) or 128 (IPv6). Host bits set in addr are an error that
   suggests the right network. IPv4-mapped IPv6 with a prefix of 96 or more is
   folded to IPv4 ("::ffff:192.0.2.0/120" is "192.0.2.0/24"). Returns 0, or -1
   with *error_r naming the (escaped) input; *net_r is zeroed on failure. */
int lockout_net_parse(const char *str, struct lockout_net *net_r,
		      const char **error_r)
	__attribute__((warn_unused_result));

/* Print net canonically: "192.0.2.0/24", "2001:db8::/64"; a host (full-length
   prefix) prints as the bare address ("192.0.2.1"). */
void lockout_net_to_str(const struct lockout_net *net,
			char buf[LOCKOUT_NET_STRLEN]);

/* True when addr is inside net. Different families never match. */
bool lockout_net_contains(const struct lockout_net *net,
			  const struct lockout_addr *addr);

/* True when networks a and b share at least one address (one contains the
   other). Different families never overlap. */
bool lockout_nets_overlap(const struct lockout_net *a,
			  const struct lockout_net *b);

/* True when net is a single address (prefix 32 for IPv4, 128 for IPv6). */
bool lockout_net_is_host(const struct lockout_net *net);

/* Parse a list of networks (lockout_net_parse() syntax) separated by spaces,
   tabs and/or commas. On success returns 0 with *nets_r a malloc()ed array of
   *count_r networks in input order, to be released with free(); an empty or
   blank list gives *nets_r NULL and *count_r 0. On failure returns -1, with
   *nets_r NULL, *count_r 0, nothing allocated and *error_r naming the bad
   item (or reporting out of memory). */
int lockout_netlist_parse(const char *str, struct lockout_net **nets_r,
			  size_t *count_r, const char **error_r)
	__attribute__((warn_unused_result));

/* True when addr is inside any of the count networks of nets (NULL is fine
   when count is 0). */
bool lockout_netlist_contains(const struct lockout_net *nets, size_t count,
			      const struct lockout_addr *addr);

#endif
