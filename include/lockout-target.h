/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_TARGET_H
#define LOCKOUT_TARGET_H

/* What an administrator names as a ban target or an allowed network: an
   address, a network (CIDR) or a username, classified strictly and put in
   the canonical form the ban table stores. Pure: no I/O, no allocation. */

#include "lockout-addr.h"
#include "lockout-store.h"

#include <stdbool.h>
#include <stddef.h>

/* Canonical target + NUL. */
#define LOCKOUT_TARGET_STRLEN (LOCKOUT_BAN_TARGET_MAX + 1)
/* Allowed networks given by hand are never wider than these prefixes: a
   typo must not exempt a large part of the Internet, but a private /8
   (10.0.0.0/8) is a common trusted network. Bans have their own, narrower
   limit: LOCKOUT_BAN_WIDEST_PREFIX4/6 in lockout-ban.h. */
#define LOCKOUT_TARGET_MIN_PREFIX4 8
#define LOCKOUT_TARGET_MIN_PREFIX6 16

struct lockout_target {
	/* LOCKOUT_KIND_IP: one address (a /32 or /128 is one too),
	   LOCKOUT_KIND_NET: a network, LOCKOUT_KIND_USER: a username */
	enum lockout_kind kind;
	/* the address (as a full-length network) or the network; zeroed for
	   a username */
	struct lockout_net net;
	/* canonical text: "192.0.2.1", "192.0.2.0/24", "2001:db8::/64", or
	   the username exactly as given */
	char str[LOCKOUT_TARGET_STRLEN];
};

/* Classify str into *target_r. Anything with an '@' is a username; else
   anything with ':' or '/', or made only of digits and dots with a dot, is
   meant as an address or network and must be a valid one
   (lockout_net_parse(): no host bits, IPv4-mapped IPv6 folded), with a
   prefix of at least LOCKOUT_BAN_WIDEST_PREFIX4/6; a full-length prefix is
   an address. Everything else is a username: 1..255 bytes without
   whitespace or control characters. Returns 0, or -1 with *error_r naming
   the (escaped) input and the problem; *target_r is zeroed on failure. */
int lockout_target_parse(const char *str, struct lockout_target *target_r,
			 const char **error_r)
	__attribute__((warn_unused_result));
/* Same, but only an address or a network is accepted (for allowed
   networks), no wider than LOCKOUT_TARGET_MIN_PREFIX4/6: a username is an
   error. */
int lockout_target_parse_network(const char *str,
				 struct lockout_target *target_r,
				 const char **error_r)
	__attribute__((warn_unused_result));

/* Same as lockout_target_parse() but a network of any width is accepted:
   for finding rows that exist (unban, show), whatever wrote them. */
int lockout_target_parse_lookup(const char *str,
				struct lockout_target *target_r,
				const char **error_r)
	__attribute__((warn_unused_result));

/* True when net is wider than a ban may be (LOCKOUT_BAN_WIDEST_PREFIX4/6):
   such a row of the table is never enforced. */
bool lockout_ban_net_too_wide(const struct lockout_net *net);

/* Check the target of a ban row read from the table (shared with other
   writers) before enforcing it: kind ip must be exactly an address, kind
   net a network (not a single address) no wider than
   LOCKOUT_BAN_WIDEST_PREFIX4/6. A kind user row has no network: 0 with
   *net_r zeroed. Returns 0 with *net_r, or -1 with *problem_r (static, or
   in the error buffer of lockout-error.h): such a row is invalid, never
   enforced by the auth process nor by lockoutd, and counted as invalid by
   doveadm lockout stats. */
int lockout_ban_check_target(const struct lockout_ban *ban,
			     struct lockout_net *net_r,
			     const char **problem_r)
	__attribute__((warn_unused_result));

/* True when target (an address or network; never a username) shares an
   address with one of the count networks of nets; *idx_r (may be NULL) is
   then the index of the first such network. */
bool lockout_target_overlaps(const struct lockout_target *target,
			     const struct lockout_net *nets, size_t count,
			     size_t *idx_r);

#endif
