/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUTD_ROWS_H
#define LOCKOUTD_ROWS_H

/* Turning ban rows into firewall elements, trusting nothing: every target
   is parsed again and printed canonically, its prefix length checked
   against its kind, and rows that must never reach the firewall (observed,
   loopback, allowed, a recent successful login) are told apart. Pure: no
   I/O, time passed in. */

#include "lockout-addr.h"
#include "lockout-store.h"

#include <stddef.h>
#include <stdint.h>

/* Most networks an exemption set holds (allowed + known devices). */
#define LOCKOUTD_MAX_EXEMPT 200000

/* One element of ban4 or ban6. */
struct lockoutd_elem {
	/* host bits clear; a host has the full prefix length */
	struct lockout_net net;
	/* unix seconds; 0 = permanent */
	int64_t expires;
	/* the ban row it comes from */
	int64_t ban_id;
};

enum lockoutd_verdict {
	/* push it */
	LOCKOUTD_PUSH,
	/* made in observe mode: never enforced */
	LOCKOUTD_SKIP_OBSERVED,
	/* an account protection (kind user): nothing for the firewall */
	LOCKOUTD_SKIP_USER,
	/* an invalid row (lockout_ban_check_target(): target not an address
	   or network of its kind, or wider than LOCKOUT_BAN_WIDEST_PREFIX4/6,
	   so that a hostile or mistaken row cannot close the mail ports to
	   the whole Internet), or a ban that is not active */
	LOCKOUTD_SKIP_MALFORMED,
	/* loopback or unspecified address */
	LOCKOUTD_SKIP_LOOPBACK,
	/* overlaps lockout_allow_networks or the allowed table */
	LOCKOUTD_SKIP_ALLOWED,
	/* overlaps a network with a recent successful login */
	LOCKOUTD_SKIP_KNOWN,

	LOCKOUTD_VERDICT_COUNT
};

/* A set of networks answering "does this network overlap any of them?" in
   O(log n) per distinct prefix length. */
struct lockoutd_netset {
	struct lockout_net *nets;
	size_t count, size;
	bool sorted;
	/* prefix lengths present, per family (index 0: IPv4, 1: IPv6) */
	uint8_t prefixes[2][129];
	unsigned int prefix_count[2];
};

/* What a row is checked against. */
struct lockoutd_exempt {
	struct lockoutd_netset allowed;
	struct lockoutd_netset known;
};

void lockoutd_netset_init(struct lockoutd_netset *set);
void lockoutd_netset_free(struct lockoutd_netset *set);
/* Forget every network, keep the memory. */
void lockoutd_netset_clear(struct lockoutd_netset *set);
/* Add net. Returns 0, or -1 when out of memory or when the set already
   holds LOCKOUTD_MAX_EXEMPT networks. */
int lockoutd_netset_add(struct lockoutd_netset *set,
			const struct lockout_net *net)
	__attribute__((warn_unused_result));
/* True when net shares an address with any network of the set. Sorts the
   set on first use after an add (hence not const). */
bool lockoutd_netset_overlaps(struct lockoutd_netset *set,
			      const struct lockout_net *net);

void lockoutd_exempt_init(struct lockoutd_exempt *exempt);
void lockoutd_exempt_free(struct lockoutd_exempt *exempt);

/* Parse a network read from a table strictly. Returns 0, or -1 with
   *problem_r (valid until the next failing call of the core library). */
int lockoutd_net_from_row(const char *text, struct lockout_net *net_r,
			  const char **problem_r)
	__attribute__((warn_unused_result));

/* Decide what to do with an active ban row at now (unix seconds). On
   LOCKOUTD_PUSH *elem_r is filled; on LOCKOUTD_SKIP_MALFORMED *problem_r
   says why (valid until the next failing call of the core library). */
enum lockoutd_verdict
lockoutd_row_check(const struct lockout_ban *ban, int64_t now,
		   struct lockoutd_exempt *exempt,
		   struct lockoutd_elem *elem_r, const char **problem_r);

/* Short name of a verdict for logs ("allowed", "known device", ...). */
const char *lockoutd_verdict_name(enum lockoutd_verdict verdict);

/* Total order on networks: family, address bytes, prefix length. */
int lockoutd_net_cmp(const struct lockout_net *a, const struct lockout_net *b);

#endif
