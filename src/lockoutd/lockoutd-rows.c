/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockoutd-rows.h"
#include "lockout-target.h"

#include <stdlib.h>
#include <string.h>

/* Never pushed, whatever the table says. */
static const char *const never_pushed[] = {
	"127.0.0.0/8", "0.0.0.0/8", "::1", "::",
};

static unsigned int family_index(uint8_t family)
{
	return family == LOCKOUT_AF_INET ? 0 : 1;
}

int lockoutd_net_cmp(const struct lockout_net *a, const struct lockout_net *b)
{
	int ret;

	if (a->addr.family != b->addr.family)
		return a->addr.family < b->addr.family ? -1 : 1;
	ret = memcmp(a->addr.bytes, b->addr.bytes, sizeof(a->addr.bytes));
	if (ret != 0)
		return ret;
	if (a->prefix != b->prefix)
		return a->prefix < b->prefix ? -1 : 1;
	return 0;
}

static int net_qsort_cmp(const void *a, const void *b)
{
	return lockoutd_net_cmp(a, b);
}

void lockoutd_netset_init(struct lockoutd_netset *set)
{
	memset(set, 0, sizeof(*set));
	set->sorted = true;
}

void lockoutd_netset_free(struct lockoutd_netset *set)
{
	free(set->nets);
	lockoutd_netset_init(set);
}

void lockoutd_netset_clear(struct lockoutd_netset *set)
{
	set->count = 0;
	set->sorted = true;
	memset(set->prefix_count, 0, sizeof(set->prefix_count));
}

int lockoutd_netset_add(struct lockoutd_netset *set,
			const struct lockout_net *net)
{
	unsigned int fam = family_index(net->addr.family), i;
	struct lockout_net *nets;
	size_t size;

	if (set->count >= LOCKOUTD_MAX_EXEMPT)
		return -1;
	if (set->count == set->size) {
		size = set->size == 0 ? 64 : set->size * 2;
		nets = realloc(set->nets, size * sizeof(*nets));
		if (nets == NULL)
			return -1;
		set->nets = nets;
		set->size = size;
	}
	set->nets[set->count++] = *net;
	set->sorted = false;
	for (i = 0; i < set->prefix_count[fam]; i++) {
		if (set->prefixes[fam][i] == net->prefix)
			return 0;
	}
	set->prefixes[fam][set->prefix_count[fam]++] = net->prefix;
	return 0;
}

/* Index of the first network not less than key. */
static size_t netset_lower_bound(const struct lockoutd_netset *set,
				 const struct lockout_net *key)
{
	size_t lo = 0, hi = set->count, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (lockoutd_net_cmp(&set->nets[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool lockoutd_netset_overlaps(struct lockoutd_netset *set,
			      const struct lockout_net *net)
{
	unsigned int fam = family_index(net->addr.family), i;
	struct lockout_net key;
	size_t pos;

	if (set->count == 0)
		return false;
	if (!set->sorted) {
		qsort(set->nets, set->count, sizeof(*set->nets),
		      net_qsort_cmp);
		set->sorted = true;
	}
	/* A member starting inside net overlaps it: members are networks,
	   so one that starts inside net either lies in it or covers it. */
	key = *net;
	key.prefix = 0;
	pos = netset_lower_bound(set, &key);
	if (pos < set->count && lockout_nets_overlap(&set->nets[pos], net))
		return true;
	/* A member starting before net overlaps it only by covering it:
	   look for each shorter prefix length in use. */
	for (i = 0; i < set->prefix_count[fam]; i++) {
		if (set->prefixes[fam][i] >= net->prefix)
			continue;
		lockout_addr_mask(&net->addr, set->prefixes[fam][i], &key);
		pos = netset_lower_bound(set, &key);
		if (pos < set->count &&
		    lockoutd_net_cmp(&set->nets[pos], &key) == 0)
			return true;
	}
	return false;
}

void lockoutd_exempt_init(struct lockoutd_exempt *exempt)
{
	lockoutd_netset_init(&exempt->allowed);
	lockoutd_netset_init(&exempt->known);
}

void lockoutd_exempt_free(struct lockoutd_exempt *exempt)
{
	lockoutd_netset_free(&exempt->allowed);
	lockoutd_netset_free(&exempt->known);
}

int lockoutd_net_from_row(const char *text, struct lockout_net *net_r,
			  const char **problem_r)
{
	/* the parser's message names the (escaped) input and the problem,
	   e.g. host bits set */
	if (lockout_net_parse(text, net_r, problem_r) < 0)
		return -1;
	return 0;
}

static bool net_is_never_pushed(const struct lockout_net *net)
{
	struct lockout_net special;
	const char *error;
	size_t i;

	for (i = 0; i < sizeof(never_pushed) / sizeof(never_pushed[0]); i++) {
		if (lockout_net_parse(never_pushed[i], &special, &error) < 0)
			continue;
		if (lockout_nets_overlap(&special, net))
			return true;
	}
	return false;
}

enum lockoutd_verdict
lockoutd_row_check(const struct lockout_ban *ban, int64_t now,
		   struct lockoutd_exempt *exempt,
		   struct lockoutd_elem *elem_r, const char **problem_r)
{
	memset(elem_r, 0, sizeof(*elem_r));
	*problem_r = NULL;
	if (ban->observed)
		return LOCKOUTD_SKIP_OBSERVED;
	if (ban->kind == LOCKOUT_KIND_USER)
		return LOCKOUTD_SKIP_USER;
	if (ban->kind != LOCKOUT_KIND_IP && ban->kind != LOCKOUT_KIND_NET) {
		*problem_r = "unknown kind";
		return LOCKOUTD_SKIP_MALFORMED;
	}
	if (ban->lifted != 0 || (ban->expires != 0 && ban->expires <= now) ||
	    ban->expires < 0) {
		*problem_r = "not active";
		return LOCKOUTD_SKIP_MALFORMED;
	}
	if (lockout_ban_check_target(ban, &elem_r->net, problem_r) < 0)
		return LOCKOUTD_SKIP_MALFORMED;
	elem_r->expires = ban->expires;
	elem_r->ban_id = ban->id;
	if (net_is_never_pushed(&elem_r->net))
		return LOCKOUTD_SKIP_LOOPBACK;
	if (lockoutd_netset_overlaps(&exempt->allowed, &elem_r->net))
		return LOCKOUTD_SKIP_ALLOWED;
	if (lockoutd_netset_overlaps(&exempt->known, &elem_r->net))
		return LOCKOUTD_SKIP_KNOWN;
	return LOCKOUTD_PUSH;
}

const char *lockoutd_verdict_name(enum lockoutd_verdict verdict)
{
	static const char *const names[LOCKOUTD_VERDICT_COUNT] = {
		[LOCKOUTD_PUSH] = "pushed",
		[LOCKOUTD_SKIP_OBSERVED] = "observed",
		[LOCKOUTD_SKIP_USER] = "account",
		[LOCKOUTD_SKIP_MALFORMED] = "malformed",
		[LOCKOUTD_SKIP_LOOPBACK] = "loopback",
		[LOCKOUTD_SKIP_ALLOWED] = "allowed",
		[LOCKOUTD_SKIP_KNOWN] = "known device",
	};

	if ((unsigned int)verdict >= LOCKOUTD_VERDICT_COUNT)
		return "?";
	return names[verdict];
}
