/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockoutd-sync.h"
#include "lockout-error.h"

#include <stdlib.h>
#include <string.h>

/* Elements whose ban ends within this are not pushed, and elements whose
   kernel timeout ends within it are not deleted (it may be gone already,
   and deleting a missing element fails the whole transaction). */
#define SYNC_MARGIN_MSECS 1000

struct lockoutd_sync {
	struct lockoutd_fw *fw;
	/* what the sets hold since the last successful apply, sorted */
	struct lockoutd_elem *pushed;
	size_t pushed_count;
	bool pushed_valid;
	int64_t full_due;
};

void lockoutd_plan_init(struct lockoutd_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
}

void lockoutd_plan_free(struct lockoutd_plan *plan)
{
	free(plan->elems);
	lockoutd_plan_init(plan);
}

void lockoutd_plan_reset(struct lockoutd_plan *plan)
{
	struct lockoutd_elem *elems = plan->elems;
	size_t size = plan->size;

	lockoutd_plan_init(plan);
	plan->elems = elems;
	plan->size = size;
}

int lockoutd_plan_add(struct lockoutd_plan *plan,
		      const struct lockoutd_elem *elem)
{
	struct lockoutd_elem *grown;
	size_t size;

	if (plan->count >= LOCKOUTD_MAX_ELEMENTS) {
		plan->over_limit++;
		return 0;
	}
	if (plan->count == plan->size) {
		size = plan->size == 0 ? 256 : plan->size * 2;
		grown = realloc(plan->elems, size * sizeof(*grown));
		if (grown == NULL)
			return -1;
		plan->elems = grown;
		plan->size = size;
	}
	plan->elems[plan->count++] = *elem;
	return 0;
}

static int elem_cmp(const void *a, const void *b)
{
	const struct lockoutd_elem *ea = a, *eb = b;

	return lockoutd_net_cmp(&ea->net, &eb->net);
}

/* True when a ends after b (0 = never ends). */
static bool expires_later(int64_t a, int64_t b)
{
	if (a == 0)
		return b != 0;
	return b != 0 && a > b;
}

void lockoutd_plan_finish(struct lockoutd_plan *plan)
{
	struct lockoutd_elem *top = NULL, *elem;
	size_t i, out = 0;

	/* an empty plan may have no array: qsort(NULL, 0) is undefined */
	if (plan->count > 0) {
		qsort(plan->elems, plan->count, sizeof(*plan->elems),
		      elem_cmp);
	}
	for (i = 0; i < plan->count; i++) {
		elem = &plan->elems[i];
		if (out > 0 &&
		    lockoutd_net_cmp(&plan->elems[out - 1].net,
				     &elem->net) == 0) {
			/* the same network banned twice */
			if (expires_later(elem->expires,
					  plan->elems[out - 1].expires))
				plan->elems[out - 1] = *elem;
			continue;
		}
		plan->elems[out++] = *elem;
	}
	plan->count = out;

	/* Sorted by address then prefix, the elements inside a network
	   follow it directly, and networks that do not contain each other
	   are disjoint: comparing with the last kept one is enough. */
	out = 0;
	for (i = 0; i < plan->count; i++) {
		elem = &plan->elems[i];
		if (top != NULL && top->net.prefix <= elem->net.prefix &&
		    lockout_nets_overlap(&top->net, &elem->net)) {
			plan->covered++;
			if (expires_later(elem->expires, top->expires) &&
			    (plan->wake == 0 || top->expires < plan->wake))
				plan->wake = top->expires;
			continue;
		}
		plan->elems[out] = *elem;
		top = &plan->elems[out++];
	}
	plan->count = out;
}

int lockoutd_sync_create(struct lockoutd_fw *fw,
			 struct lockoutd_sync **sync_r)
{
	struct lockoutd_sync *sync;

	*sync_r = NULL;
	sync = calloc(1, sizeof(*sync));
	if (sync == NULL)
		return -1;
	sync->fw = fw;
	*sync_r = sync;
	return 0;
}

void lockoutd_sync_free(struct lockoutd_sync **_sync)
{
	struct lockoutd_sync *sync = *_sync;

	if (sync == NULL)
		return;
	*_sync = NULL;
	free(sync->pushed);
	free(sync);
}

int64_t lockoutd_sync_full_due(const struct lockoutd_sync *sync)
{
	return sync->full_due;
}

/* Timeout of elem at now: 0 for none, else > 0; -1 when it ends too soon
   to be pushed. */
static int64_t elem_timeout(const struct lockoutd_elem *elem,
			    int64_t now_msecs)
{
	int64_t left;

	if (elem->expires == 0)
		return 0;
	if (elem->expires > INT64_MAX / 1000)
		return 0;
	left = elem->expires * 1000 - now_msecs;
	return left < SYNC_MARGIN_MSECS ? -1 : left;
}

/* True when elem may still be in the kernel long enough to delete it. */
static bool elem_deletable(const struct lockoutd_elem *elem,
			   int64_t now_msecs)
{
	return elem_timeout(elem, now_msecs) >= 0;
}

static int sync_block(struct lockoutd_sync *sync,
		      const struct lockoutd_elem *elem, int64_t timeout)
{
	return lockoutd_fw_block(sync->fw, &elem->net, (uint64_t)timeout);
}

/* Queue the difference between pushed and plan; fill *kept_r with what
   the sets will hold. */
static int
sync_queue_diff(struct lockoutd_sync *sync, const struct lockoutd_plan *plan,
		int64_t now_msecs, struct lockoutd_elem *kept,
		size_t *kept_count_r, struct lockoutd_sync_stats *stats)
{
	const struct lockoutd_elem *old, *new;
	size_t i = 0, j = 0, k = 0;
	int64_t timeout;
	int cmp;

	while (i < sync->pushed_count || j < plan->count) {
		old = i < sync->pushed_count ? &sync->pushed[i] : NULL;
		new = j < plan->count ? &plan->elems[j] : NULL;
		if (old == NULL)
			cmp = 1;
		else if (new == NULL)
			cmp = -1;
		else
			cmp = lockoutd_net_cmp(&old->net, &new->net);
		timeout = new == NULL ? -1 : elem_timeout(new, now_msecs);
		if (cmp < 0 || (cmp == 0 && timeout < 0)) {
			/* no longer banned: remove it unless the kernel is
			   about to expire it anyway */
			if (elem_deletable(old, now_msecs)) {
				if (lockoutd_fw_release(sync->fw,
							&old->net) < 0)
					return -1;
				stats->removed++;
			}
			i++;
			if (cmp == 0)
				j++;
		} else if (cmp > 0) {
			if (timeout >= 0) {
				if (sync_block(sync, new, timeout) < 0)
					return -1;
				kept[k++] = *new;
				stats->added++;
			}
			j++;
		} else {
			if (old->expires != new->expires) {
				if (elem_deletable(old, now_msecs)) {
					if (lockoutd_fw_release(sync->fw,
							&old->net) < 0)
						return -1;
				} else if (sync->full_due == 0 ||
					   old->expires + 2 < sync->full_due) {
					/* it may vanish or keep its old
					   timeout: check it all again */
					sync->full_due = old->expires + 2;
				}
				if (sync_block(sync, new, timeout) < 0)
					return -1;
				stats->changed++;
			}
			kept[k++] = *new;
			i++;
			j++;
		}
	}
	*kept_count_r = k;
	return 0;
}

static int
sync_queue_full(struct lockoutd_sync *sync, const struct lockoutd_plan *plan,
		int64_t now_msecs, struct lockoutd_elem *kept,
		size_t *kept_count_r, struct lockoutd_sync_stats *stats)
{
	int64_t timeout;
	size_t j, k = 0;

	lockoutd_fw_flush(sync->fw);
	for (j = 0; j < plan->count; j++) {
		timeout = elem_timeout(&plan->elems[j], now_msecs);
		if (timeout < 0)
			continue;
		if (sync_block(sync, &plan->elems[j], timeout) < 0)
			return -1;
		kept[k++] = plan->elems[j];
		stats->added++;
	}
	*kept_count_r = k;
	return 0;
}

int lockoutd_sync_apply(struct lockoutd_sync *sync,
			const struct lockoutd_plan *plan, int64_t now_msecs,
			bool full, struct lockoutd_sync_stats *stats_r,
			const char **error_r)
{
	struct lockoutd_elem *kept;
	size_t kept_count = 0;
	int ret;

	memset(stats_r, 0, sizeof(*stats_r));
	if (!sync->pushed_valid)
		full = true;
	stats_r->full = full;
	/* room for the plan, at least one so that malloc(0) never fails */
	kept = malloc((plan->count + 1) * sizeof(*kept));
	if (kept == NULL) {
		*error_r = lockout_error_fmt("sync: out of memory");
		return -1;
	}
	if (full)
		sync->full_due = 0;
	ret = full ? sync_queue_full(sync, plan, now_msecs, kept, &kept_count,
				     stats_r) :
		sync_queue_diff(sync, plan, now_msecs, kept, &kept_count,
				stats_r);
	if (ret < 0) {
		lockoutd_fw_discard(sync->fw);
		free(kept);
		sync->pushed_valid = false;
		*error_r = lockout_error_fmt("sync: out of memory");
		return -1;
	}
	if (lockoutd_fw_commit(sync->fw, error_r) < 0) {
		free(kept);
		sync->pushed_valid = false;
		return -1;
	}
	free(sync->pushed);
	sync->pushed = kept;
	sync->pushed_count = kept_count;
	sync->pushed_valid = true;
	return 0;
}
