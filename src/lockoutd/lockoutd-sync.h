/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUTD_SYNC_H
#define LOCKOUTD_SYNC_H

/* From the rows to push (a plan) to the firewall: the plan is sorted,
   duplicates merged and elements lying inside another one left out (an
   nftables interval set refuses overlapping elements); then the sets are
   brought to the plan, either by emptying them and pushing everything in
   one transaction (full reconcile) or by sending only the difference with
   what was pushed last. Time is passed in. */

#include "lockoutd-fw.h"
#include "lockoutd-rows.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most elements pushed; further rows are counted in over_limit. */
#define LOCKOUTD_MAX_ELEMENTS 100000

struct lockoutd_plan {
	struct lockoutd_elem *elems;
	size_t count, size;
	/* rows seen by verdict (lockoutd-rows.h) */
	unsigned int verdicts[LOCKOUTD_VERDICT_COUNT];
	/* left out because another element covers them */
	unsigned int covered;
	/* left out because of LOCKOUTD_MAX_ELEMENTS */
	unsigned int over_limit;
	/* unix seconds at which a covering element expires before an
	   element it covers (which must then be pushed); 0 = none */
	int64_t wake;
};

void lockoutd_plan_init(struct lockoutd_plan *plan);
void lockoutd_plan_free(struct lockoutd_plan *plan);
/* Empty the plan (keeping its memory) and zero its counters. */
void lockoutd_plan_reset(struct lockoutd_plan *plan);
/* Add an element to push. Returns 0 (also when over the limit: then it is
   only counted), or -1 when out of memory. */
int lockoutd_plan_add(struct lockoutd_plan *plan,
		      const struct lockoutd_elem *elem)
	__attribute__((warn_unused_result));
/* Sort, merge duplicates (a permanent ban wins, else the latest expiry) and
   leave out covered elements, setting covered and wake. */
void lockoutd_plan_finish(struct lockoutd_plan *plan);

struct lockoutd_sync;

struct lockoutd_sync_stats {
	unsigned int added, removed, changed;
	bool full;
};

/* Create a synchronizer pushing to fw (which must outlive it). Returns 0,
   or -1 when out of memory. */
int lockoutd_sync_create(struct lockoutd_fw *fw,
			 struct lockoutd_sync **sync_r)
	__attribute__((warn_unused_result));
void lockoutd_sync_free(struct lockoutd_sync **sync);

/* Bring the sets to a finished plan at now_msecs (unix milliseconds).
   full: flush the sets and push everything; otherwise send the difference
   with the last successful apply (the first apply, and any apply after a
   failure, is full whatever is asked). Elements ending within a second are
   not pushed (elements whose ban ended are left to expire in the kernel).
   Returns 0 with *stats_r, or -1 with *error_r. */
int lockoutd_sync_apply(struct lockoutd_sync *sync,
			const struct lockoutd_plan *plan, int64_t now_msecs,
			bool full, struct lockoutd_sync_stats *stats_r,
			const char **error_r)
	__attribute__((warn_unused_result));

/* Unix seconds at which a full reconcile is needed because an element was
   changed just as it expired in the kernel; 0 = none. */
int64_t lockoutd_sync_full_due(const struct lockoutd_sync *sync);

#endif
