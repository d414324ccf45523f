/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-policy.h"
#include "lockout-json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Entries per set of the set-associative tables. A new key evicts the least
   recently used entry of its set: O(1), no rehashing, bounded. */
#define POLICY_WAYS 8
/* Usernames kept per source as evidence, and their kept length. */
#define POLICY_USERS 3
#define POLICY_USER_LEN 32
/* Distinct usernames (per source) and sources (per account) are counted
   exactly up to this many, by hash; beyond that the count stops: a floor,
   and the evidence says so. */
#define POLICY_DISTINCT 16
/* Sources kept per account as evidence. */
#define POLICY_SOURCES 4
/* Buckets of the per-account sliding window. */
#define POLICY_BUCKETS 8
/* Banned hosts remembered per IPv4 /24 for network bans. */
#define POLICY_NET_HOSTS 16
/* A stale client is reported after this many repeats of one wrong password,
   at most once per lockout_ip_window. */
#define POLICY_STALE_REPEATS 5
/* A known device's last_seen is persisted again only after this long. */
#define POLICY_DEVICE_REFRESH_SECS 3600
/* The ring keeps this bit of the password tag for "targeted name". */
#define RING_TARGETED 0x80000000U

/* --- keyed hashing (SipHash-2-4) --------------------------------------- */

#define ROTL64(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
	v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32); \
	v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32); \
	} while (0)

static uint64_t siphash24(uint64_t k0, uint64_t k1, const void *data,
			  size_t len)
{
	const unsigned char *p = data;
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k1;
	uint64_t m, b = (uint64_t)len << 56;
	size_t i, left = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, p + i, 8);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; j < left; j++)
		b |= (uint64_t)p[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* --- set-associative tables --------------------------------------------- */

/* Every table entry starts with this. key 0 means empty. */
struct sa_head {
	uint64_t key;
	uint64_t last_use;
};

struct sa_table {
	unsigned char *mem;
	size_t sets;
	size_t esize;
};

static int sa_init(struct sa_table *t, size_t capacity, size_t esize)
{
	t->sets = (capacity + POLICY_WAYS - 1) / POLICY_WAYS;
	if (t->sets == 0)
		t->sets = 1;
	t->esize = esize;
	t->mem = calloc(t->sets * POLICY_WAYS, esize);
	return t->mem == NULL ? -1 : 0;
}

static struct sa_head *sa_at(const struct sa_table *t, size_t idx)
{
	return (struct sa_head *)(void *)(t->mem + idx * t->esize);
}

static size_t sa_capacity(const struct sa_table *t)
{
	return t->sets * POLICY_WAYS;
}

static void *sa_find(const struct sa_table *t, uint64_t key)
{
	size_t base = (size_t)(key % t->sets) * POLICY_WAYS;
	struct sa_head *h;
	unsigned int i;

	for (i = 0; i < POLICY_WAYS; i++) {
		h = sa_at(t, base + i);
		if (h->key == key)
			return h;
	}
	return NULL;
}

/* Find key's entry or make one (zeroed), evicting the set's least recently
   used entry when full. *evicted_r tells whether a live entry was lost. */
static void *sa_get(struct sa_table *t, uint64_t key, uint64_t tick,
		    bool *created_r, bool *evicted_r)
{
	size_t base = (size_t)(key % t->sets) * POLICY_WAYS;
	struct sa_head *h, *victim = NULL;
	unsigned int i;

	*created_r = false;
	*evicted_r = false;
	for (i = 0; i < POLICY_WAYS; i++) {
		h = sa_at(t, base + i);
		if (h->key == key) {
			h->last_use = tick;
			return h;
		}
		if (h->key == 0) {
			if (victim == NULL || victim->key != 0)
				victim = h;
		} else if (victim == NULL ||
			   (victim->key != 0 &&
			    h->last_use < victim->last_use)) {
			victim = h;
		}
	}
	*evicted_r = victim->key != 0;
	memset(victim, 0, t->esize);
	victim->key = key;
	victim->last_use = tick;
	*created_r = true;
	return victim;
}

/* --- a growing map of 64-bit keys (protections) --------------------------- */

struct u64_slot {
	uint64_t key; /* 0 = empty */
	int64_t value;
};

struct u64_map {
	struct u64_slot *slots;
	size_t size, count;
};

static struct u64_slot *u64_map_slot(const struct u64_map *map, uint64_t key)
{
	size_t i;

	if (map->size == 0)
		return NULL;
	for (i = key & (map->size - 1); map->slots[i].key != 0;
	     i = (i + 1) & (map->size - 1)) {
		if (map->slots[i].key == key)
			return &map->slots[i];
	}
	return NULL;
}

static int u64_map_set(struct u64_map *map, uint64_t key, int64_t value)
{
	struct u64_slot *slot = u64_map_slot(map, key);
	struct u64_slot *old;
	size_t i, j, old_size;

	if (slot != NULL) {
		slot->value = value;
		return 0;
	}
	if ((map->count + 1) * 2 > map->size) {
		old = map->slots;
		old_size = map->size;
		map->size = old_size == 0 ? 16 : old_size * 2;
		map->slots = calloc(map->size, sizeof(*map->slots));
		if (map->slots == NULL) {
			map->slots = old;
			map->size = old_size;
			return -1;
		}
		map->count = 0;
		for (i = 0; i < old_size; i++) {
			if (old[i].key != 0)
				(void)u64_map_set(map, old[i].key,
						  old[i].value);
		}
		free(old);
	}
	for (j = key & (map->size - 1); map->slots[j].key != 0;
	     j = (j + 1) & (map->size - 1)) ;
	map->slots[j].key = key;
	map->slots[j].value = value;
	map->count++;
	return 0;
}

static void u64_map_clear(struct u64_map *map)
{
	if (map->size > 0)
		memset(map->slots, 0, map->size * sizeof(*map->slots));
	map->count = 0;
}

/* --- the engine's tables -------------------------------------------------- */

struct ring_entry {
	uint32_t time;	/* seconds since policy->epoch */
	uint32_t user;	/* hash of the username as typed */
	uint32_t tag;	/* password tag (31 bits) | RING_TARGETED */
};

struct source {
	struct sa_head h;
	struct lockout_net net;
	int64_t first_seen, last_seen, last_stale;
	bool stale_reported;
	unsigned int failures, unknown_user, repeats, stale_repeats;
	unsigned int ring_head, ring_len;
	uint32_t services, mechanisms;
	unsigned int distinct_users;
	uint32_t user_hashes[POLICY_DISTINCT];
	char users[POLICY_USERS][POLICY_USER_LEN];
};

/* History of a source network or of an IPv4 /24. */
struct history {
	struct sa_head h;
	unsigned int bans;
	int64_t last_ban, last_success;
	bool had_success;
	/* for /24s: recently banned hosts */
	unsigned int host_count;
	uint8_t hosts[POLICY_NET_HOSTS];
	int64_t host_times[POLICY_NET_HOSTS];
};

struct account {
	struct sa_head h;
	int64_t bucket; /* index of the newest bucket */
	unsigned int counts[POLICY_BUCKETS];
	int64_t first_seen, last_seen;
	unsigned int distinct_sources, sample_count;
	uint32_t source_hashes[POLICY_DISTINCT];
	struct lockout_addr sample[POLICY_SOURCES];
	uint32_t services, mechanisms;
};

struct device {
	struct sa_head h;
	int64_t last_seen, last_persisted;
};

struct lockout_policy {
	const struct lockout_config *cfg;
	uint64_t k0, k1;
	uint64_t tick;
	bool have_epoch;
	int64_t epoch;
	unsigned int ring_size;

	struct sa_table sources, history, accounts, devices;
	struct ring_entry *rings;
	struct lockout_banset *bans;
	struct u64_map protections;
	struct lockout_net *allowed;
	size_t allowed_count;
	size_t source_count;

	/* buffers for the decision handed to the callback */
	struct lockout_str evidence;
	char target[LOCKOUT_BAN_TARGET_MAX + 1];
	char user[LOCKOUT_BAN_TARGET_MAX + 1];
	char reason[320];
};

/* Names the evidence knows; anything else is reported as "other". */
static const char *const known_services[] = {
	"imap", "pop3", "smtp", "submission", "sieve", "managesieve", "lmtp",
	"doveadm", NULL
};
static const char *const known_mechanisms[] = {
	"PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1",
	"SCRAM-SHA-256", "OAUTHBEARER", "XOAUTH2", "EXTERNAL", NULL
};
#define NAME_BIT_OTHER 31

static const char *const outcome_names[] = {
	[LOCKOUT_OUTCOME_SUCCESS] = "success",
	[LOCKOUT_OUTCOME_MISMATCH] = "mismatch",
	[LOCKOUT_OUTCOME_UNKNOWN_USER] = "unknown_user",
	[LOCKOUT_OUTCOME_REFUSED] = "refused",
	[LOCKOUT_OUTCOME_PROTECTED] = "protected",
};

const char *lockout_outcome_to_str(enum lockout_outcome outcome)
{
	if ((unsigned int)outcome >= sizeof(outcome_names) /
	    sizeof(outcome_names[0]))
		return "unknown";
	return outcome_names[outcome];
}

struct lockout_policy *
lockout_policy_create(const struct lockout_config *cfg, uint32_t seed)
{
	struct lockout_policy *policy;
	unsigned int ring;

	policy = calloc(1, sizeof(*policy));
	if (policy == NULL)
		return NULL;
	policy->cfg = cfg;
	policy->k0 = 0x9e3779b97f4a7c15ULL * ((uint64_t)seed + 1);
	policy->k1 = ~policy->k0 ^ ((uint64_t)seed << 32);
	ring = cfg->ip_failures > cfg->targeted_failures ?
		cfg->ip_failures : cfg->targeted_failures;
	policy->ring_size = ring;
	lockout_str_init(&policy->evidence);
	if (sa_init(&policy->sources, cfg->max_sources,
		    sizeof(struct source)) < 0 ||
	    sa_init(&policy->history, cfg->max_sources,
		    sizeof(struct history)) < 0 ||
	    sa_init(&policy->accounts, cfg->max_users,
		    sizeof(struct account)) < 0 ||
	    sa_init(&policy->devices, cfg->max_known_devices,
		    sizeof(struct device)) < 0) {
		lockout_policy_free(&policy);
		return NULL;
	}
	policy->rings = calloc(sa_capacity(&policy->sources) * ring,
			       sizeof(*policy->rings));
	policy->bans = lockout_banset_create(seed ^ 0x5bd1e995U);
	if (policy->rings == NULL || policy->bans == NULL) {
		lockout_policy_free(&policy);
		return NULL;
	}
	return policy;
}

void lockout_policy_free(struct lockout_policy **_policy)
{
	struct lockout_policy *policy = *_policy;

	if (policy == NULL)
		return;
	*_policy = NULL;
	lockout_banset_free(&policy->bans);
	free(policy->rings);
	free(policy->sources.mem);
	free(policy->history.mem);
	free(policy->accounts.mem);
	free(policy->devices.mem);
	free(policy->protections.slots);
	free(policy->allowed);
	lockout_str_free(&policy->evidence);
	free(policy);
}

/* --- keys ---------------------------------------------------------------- */

static uint64_t nonzero(uint64_t key)
{
	return key == 0 ? 1 : key;
}

static uint64_t net_key(const struct lockout_policy *policy,
			const struct lockout_net *net, uint8_t domain)
{
	unsigned char buf[1 + 1 + 16 + 1];

	buf[0] = domain;
	buf[1] = net->addr.family;
	memcpy(buf + 2, net->addr.bytes, 16);
	buf[18] = net->prefix;
	return nonzero(siphash24(policy->k0, policy->k1, buf, sizeof(buf)));
}

/* Accounts are matched case-insensitively (ASCII): Dovecot's usernames
   usually are. Long names are hashed whole and never stored whole. */
static uint64_t account_key(const struct lockout_policy *policy,
			    const char *account)
{
	uint64_t v0 = policy->k0 ^ 0x6163636f756e74ULL, h;
	unsigned char buf[64];
	size_t n = 0;

	h = v0;
	for (; *account != '\0'; account++) {
		unsigned char c = (unsigned char)*account;

		buf[n++] = (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) :
			c;
		if (n == sizeof(buf)) {
			h = siphash24(h, policy->k1, buf, n);
			n = 0;
		}
	}
	return nonzero(siphash24(h, policy->k1, buf, n));
}

static uint32_t user_hash32(const struct lockout_policy *policy,
			    const char *user)
{
	uint64_t h = account_key(policy, user == NULL ? "" : user);

	return (uint32_t)(h ^ (h >> 32));
}

static uint64_t device_key(const struct lockout_policy *policy,
			   uint64_t account, const struct lockout_net *net)
{
	return nonzero(net_key(policy, net, 'd') ^ (account * 0x9e3779b97f4a7c15ULL));
}

/* --- helpers ------------------------------------------------------------- */

void lockout_policy_source_net(const struct lockout_policy *policy,
			       const struct lockout_addr *ip,
			       struct lockout_net *net_r)
{
	lockout_addr_mask(ip, ip->family == LOCKOUT_AF_INET ? 32 :
			  policy->cfg->ipv6_prefix, net_r);
}

void lockout_policy_device_net(const struct lockout_policy *policy,
			       const struct lockout_addr *ip,
			       struct lockout_net *net_r)
{
	lockout_addr_mask(ip, ip->family == LOCKOUT_AF_INET ? 24 :
			  policy->cfg->ipv6_prefix, net_r);
}

bool lockout_policy_is_allowed(const struct lockout_policy *policy,
			       const struct lockout_addr *ip)
{
	return lockout_netlist_contains(policy->cfg->allow_networks,
					policy->cfg->allow_networks_count,
					ip) ||
		lockout_netlist_contains(policy->allowed,
					 policy->allowed_count, ip);
}

static bool net_overlaps_allowed(const struct lockout_policy *policy,
				 const struct lockout_net *net)
{
	size_t i;

	for (i = 0; i < policy->cfg->allow_networks_count; i++) {
		if (lockout_nets_overlap(&policy->cfg->allow_networks[i], net))
			return true;
	}
	for (i = 0; i < policy->allowed_count; i++) {
		if (lockout_nets_overlap(&policy->allowed[i], net))
			return true;
	}
	return false;
}

static uint32_t name_bit(const char *const *names, const char *name)
{
	unsigned int i;

	if (name == NULL || name[0] == '\0')
		return 0;
	for (i = 0; names[i] != NULL; i++) {
		if (strcasecmp(names[i], name) == 0)
			return 1U << i;
	}
	return 1U << NAME_BIT_OTHER;
}

static void append_names(struct lockout_str *str, const char *key,
			 const char *const *names, uint32_t bits)
{
	bool first = true;
	unsigned int i;

	lockout_str_printf(str, ",\"%s\":[", key);
	for (i = 0; names[i] != NULL; i++) {
		if ((bits & (1U << i)) == 0)
			continue;
		if (!first)
			lockout_str_append(str, ",");
		lockout_json_append_string(str, names[i]);
		first = false;
	}
	if ((bits & (1U << NAME_BIT_OTHER)) != 0)
		lockout_str_append(str, first ? "\"other\"" : ",\"other\"");
	lockout_str_append(str, "]");
}

/* Count h among up to POLICY_DISTINCT remembered hashes; returns true when
   it was new. When all are taken nothing more is counted, so *count is
   exact up to POLICY_DISTINCT and a floor beyond. */
static bool distinct_note(uint32_t *hashes, unsigned int *count, uint32_t h)
{
	unsigned int i;

	for (i = 0; i < *count; i++) {
		if (hashes[i] == h)
			return false;
	}
	if (*count == POLICY_DISTINCT)
		return false;
	hashes[(*count)++] = h;
	return true;
}

static uint32_t ring_time(struct lockout_policy *policy, int64_t t)
{
	if (!policy->have_epoch) {
		/* room for decades on either side of the first attempt */
		policy->epoch = t - ((int64_t)1 << 30);
		policy->have_epoch = true;
	}
	if (t <= policy->epoch)
		return 0;
	if (t - policy->epoch >= (int64_t)UINT32_MAX)
		return UINT32_MAX;
	return (uint32_t)(t - policy->epoch);
}

static struct ring_entry *source_ring(struct lockout_policy *policy,
				      const struct source *src)
{
	size_t idx = ((const unsigned char *)src - policy->sources.mem) /
		policy->sources.esize;

	return &policy->rings[idx * policy->ring_size];
}

static struct ring_entry *ring_at(struct lockout_policy *policy,
				  struct source *src, unsigned int i)
{
	/* i = 0 is the newest */
	unsigned int n = policy->ring_size;

	return &source_ring(policy, src)[(src->ring_head + n - 1 - i) % n];
}

static void source_reset_counts(struct source *src)
{
	src->ring_head = 0;
	src->ring_len = 0;
}

static struct source *source_get(struct lockout_policy *policy,
				 const struct lockout_net *net)
{
	bool created, evicted;
	struct source *src;

	src = sa_get(&policy->sources, net_key(policy, net, 's'),
		     ++policy->tick, &created, &evicted);
	if (created) {
		if (!evicted)
			policy->source_count++;
		src->net = *net;
	}
	return src;
}

static struct history *history_get(struct lockout_policy *policy,
				   const struct lockout_net *net)
{
	bool created, evicted;

	return sa_get(&policy->history, net_key(policy, net, 'h'),
		      ++policy->tick, &created, &evicted);
}

static struct history *history_find(const struct lockout_policy *policy,
				    const struct lockout_net *net)
{
	return sa_find(&policy->history, net_key(policy, net, 'h'));
}

/* --- decisions ----------------------------------------------------------- */

struct emit_ctx {
	lockout_decision_callback_t *callback;
	void *context;
	int count;
};

static void emit(struct lockout_policy *policy, struct emit_ctx *ctx,
		 struct lockout_decision *d)
{
	if (d->evidence == NULL)
		d->evidence = "{}";
	if (d->user == NULL)
		d->user = "";
	if (d->reason == NULL)
		d->reason = "";
	if (d->target == NULL)
		d->target = policy->target;
	ctx->callback(d, ctx->context);
	ctx->count++;
}

static void copy_trunc(char *dest, size_t size, const char *src)
{
	snprintf(dest, size, "%s", src == NULL ? "" : src);
}

/* Copy attacker-chosen text into a one-line human reason: control
   characters become '?', and a cut never splits a UTF-8 sequence. */
static void copy_printable(char *dest, size_t size, const char *src)
{
	size_t i, len;

	len = strlen(src);
	if (len >= size) {
		len = size - 1;
		while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80)
			len--;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];

		dest[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	dest[len] = '\0';
}

/* How long the next ban of a source with prior_bans bans lasts. */
static int64_t ban_expiry(const struct lockout_config *cfg, int64_t now,
			  uint32_t base, unsigned int prior_bans,
			  uint32_t *duration_r)
{
	uint64_t duration = base;
	unsigned int i;

	if (cfg->ban_permanent_after > 0 &&
	    prior_bans >= cfg->ban_permanent_after)
		base = LOCKOUT_TIME_PERMANENT;
	if (base == LOCKOUT_TIME_PERMANENT) {
		*duration_r = LOCKOUT_TIME_PERMANENT;
		return 0;
	}
	/* each ban of the same source doubles, up to lockout_ban_time_max */
	for (i = 0; i < prior_bans && duration < UINT32_MAX; i++)
		duration *= 2;
	/* a base longer than the cap (a targeted ban) does not double */
	if (cfg->ban_time_max != LOCKOUT_TIME_PERMANENT &&
	    duration > cfg->ban_time_max)
		duration = base > cfg->ban_time_max ? base :
			cfg->ban_time_max;
	if (duration >= LOCKOUT_TIME_PERMANENT)
		duration = LOCKOUT_TIME_PERMANENT - 1;
	*duration_r = (uint32_t)duration;
	return now + (int64_t)duration;
}

static unsigned int history_prior_bans(const struct lockout_policy *policy,
				       struct history *hist, int64_t now)
{
	/* a source that behaved for lockout_history_time starts over */
	if (hist->bans > 0 &&
	    now - hist->last_ban >= (int64_t)policy->cfg->history_time)
		hist->bans = 0;
	return hist->bans;
}

static void evidence_common(struct lockout_policy *policy,
			    const struct source *src, unsigned int failures,
			    unsigned int threshold, uint32_t window,
			    unsigned int distinct_passwords)
{
	struct lockout_str *str = &policy->evidence;
	unsigned int i, shown;

	lockout_str_printf(str, ",\"failures\":%u,\"threshold\":%u"
			   ",\"window\":%u,\"total_failures\":%u"
			   ",\"unknown_user_failures\":%u"
			   ",\"repeated_failures\":%u"
			   ",\"distinct_passwords\":%u"
			   ",\"first_seen\":%lld,\"last_seen\":%lld",
			   failures, threshold, window, src->failures,
			   src->unknown_user, src->repeats, distinct_passwords,
			   (long long)src->first_seen,
			   (long long)src->last_seen);
	lockout_str_append(str, ",\"users\":[");
	shown = src->distinct_users < POLICY_USERS ? src->distinct_users :
		POLICY_USERS;
	for (i = 0; i < shown; i++) {
		if (i > 0)
			lockout_str_append(str, ",");
		lockout_json_append_string(str, src->users[i]);
	}
	lockout_str_printf(str, "],\"users_more\":%u,\"distinct_users\":%u"
			   ",\"distinct_users_capped\":%s",
			   src->distinct_users - shown, src->distinct_users,
			   src->distinct_users == POLICY_DISTINCT ?
			   "true" : "false");
	append_names(str, "services", known_services, src->services);
	append_names(str, "mechanisms", known_mechanisms, src->mechanisms);
}

/* Ban net for the rule; add it to the ban set and report it. */
static int policy_ban(struct lockout_policy *policy, struct emit_ctx *ctx,
		      const struct lockout_net *net, const struct source *src,
		      const char *rule, uint32_t base, int64_t now,
		      unsigned int failures, unsigned int threshold,
		      uint32_t window, unsigned int distinct_passwords,
		      const char *why)
{
	struct lockout_str *str = &policy->evidence;
	struct lockout_decision d;
	struct history *hist;
	unsigned int prior;
	uint32_t duration;
	char dur[32];

	hist = history_get(policy, net);
	prior = history_prior_bans(policy, hist, now);
	memset(&d, 0, sizeof(d));
	d.type = LOCKOUT_DECISION_BAN;
	d.kind = lockout_net_is_host(net) ? LOCKOUT_KIND_IP : LOCKOUT_KIND_NET;
	d.net = *net;
	d.rule = rule;
	d.time = now;
	d.expires = ban_expiry(policy->cfg, now, base, prior, &duration);
	d.failures = failures;
	lockout_net_to_str(net, policy->target);
	d.target = policy->target;

	lockout_interval_to_str(duration, dur, sizeof(dur));
	snprintf(policy->reason, sizeof(policy->reason), "%s%s%s", why,
		 prior > 0 ? "; repeat offender, ban " : "",
		 prior > 0 ? "escalated" : "");
	d.reason = policy->reason;

	lockout_str_clear(str);
	lockout_str_append(str, "{\"rule\":");
	lockout_json_append_string(str, rule);
	if (src != NULL) {
		evidence_common(policy, src, failures, threshold, window,
				distinct_passwords);
	} else {
		lockout_str_printf(str, ",\"failures\":%u,\"threshold\":%u"
				   ",\"window\":%u", failures, threshold,
				   window);
	}
	lockout_str_printf(str, ",\"previous_bans\":%u,\"last_ban\":%lld"
			   ",\"duration\":", prior,
			   (long long)(prior > 0 ? hist->last_ban : 0));
	lockout_json_append_string(str, dur);
	lockout_str_append(str, "}");
	d.evidence = lockout_str_c(str);
	if (d.evidence == NULL)
		return -1;
	if (lockout_banset_add(policy->bans, net, d.expires, 0) < 0)
		return -1;
	hist->bans++;
	hist->last_ban = now;
	emit(policy, ctx, &d);
	return 0;
}

/* After a host ban: ban its IPv4 /24 when enough of its hosts were banned
   recently - never wider, never over an allowed network, never over a
   source that logged in successfully recently. */
static int policy_maybe_ban_net(struct lockout_policy *policy,
				struct emit_ctx *ctx,
				const struct lockout_net *host, int64_t now)
{
	const struct lockout_config *cfg = policy->cfg;
	const struct lockout_banset_entry *existing;
	struct lockout_net net24;
	struct history *hist;
	unsigned int i, recent = 0, oldest = 0;
	uint8_t hostbyte = host->addr.bytes[3];
	char why[160], netstr[LOCKOUT_NET_STRLEN];

	if (cfg->net_ban_hosts == 0 || host->addr.family != LOCKOUT_AF_INET ||
	    host->prefix != 32)
		return 0;
	lockout_addr_mask(&host->addr, 24, &net24);
	hist = history_get(policy, &net24);
	for (i = 0; i < hist->host_count; i++) {
		if (hist->hosts[i] == hostbyte)
			break;
		if (hist->host_times[i] < hist->host_times[oldest])
			oldest = i;
	}
	if (i == hist->host_count) {
		if (hist->host_count < POLICY_NET_HOSTS)
			hist->host_count++;
		else
			i = oldest;
	}
	hist->hosts[i] = hostbyte;
	hist->host_times[i] = now;
	for (i = 0; i < hist->host_count; i++) {
		if (now - hist->host_times[i] < (int64_t)cfg->net_ban_window)
			recent++;
	}
	if (recent < cfg->net_ban_hosts)
		return 0;
	if (net_overlaps_allowed(policy, &net24))
		return 0;
	if (hist->had_success &&
	    now - hist->last_success < (int64_t)cfg->known_device_time)
		return 0;
	existing = lockout_banset_find(policy->bans, &net24);
	if (existing != NULL &&
	    (existing->expires == 0 || existing->expires > now))
		return 0;
	lockout_net_to_str(&net24, netstr);
	snprintf(why, sizeof(why), "%u addresses of %s banned within %u secs",
		 recent, netstr, cfg->net_ban_window);
	return policy_ban(policy, ctx, &net24, NULL, "net_hosts",
			  cfg->ban_time, now, recent, cfg->net_ban_hosts,
			  cfg->net_ban_window, 0, why);
}

/* --- protections and known devices ---------------------------------------- */

int lockout_policy_protect(struct lockout_policy *policy, const char *account,
			   int64_t expires)
{
	/* 0 is "empty" in the map: permanent is stored as INT64_MAX */
	return u64_map_set(&policy->protections,
			   account_key(policy, account),
			   expires == 0 ? INT64_MAX : expires);
}

bool lockout_policy_protected(const struct lockout_policy *policy,
			      const char *account, int64_t now)
{
	const struct u64_slot *slot;

	if (account == NULL || policy->protections.count == 0)
		return false;
	slot = u64_map_slot(&policy->protections,
			    account_key(policy, account));
	return slot != NULL && slot->value > now;
}

void lockout_policy_clear_protections(struct lockout_policy *policy)
{
	u64_map_clear(&policy->protections);
}

void lockout_policy_forget_account(struct lockout_policy *policy,
				   const char *account)
{
	struct account *acc;

	acc = sa_find(&policy->accounts, account_key(policy, account));
	if (acc != NULL)
		memset(acc, 0, sizeof(*acc));
}

static bool device_known(const struct lockout_policy *policy,
			 uint64_t account, const struct lockout_addr *ip,
			 int64_t now)
{
	const struct device *dev;
	struct lockout_net net;

	lockout_policy_device_net(policy, ip, &net);
	dev = sa_find(&policy->devices, device_key(policy, account, &net));
	return dev != NULL &&
		now - dev->last_seen < (int64_t)policy->cfg->known_device_time;
}

void lockout_policy_add_known_device(struct lockout_policy *policy,
				     const char *account,
				     const struct lockout_net *net,
				     int64_t last_seen)
{
	bool created, evicted;
	struct device *dev;

	dev = sa_get(&policy->devices,
		     device_key(policy, account_key(policy, account), net),
		     ++policy->tick, &created, &evicted);
	if (last_seen > dev->last_seen)
		dev->last_seen = last_seen;
	if (last_seen > dev->last_persisted)
		dev->last_persisted = last_seen;
}

void lockout_policy_note_ban(struct lockout_policy *policy,
			     const struct lockout_net *net, int64_t created)
{
	struct history *hist = history_get(policy, net);

	if (hist->bans > 0 &&
	    created - hist->last_ban >= (int64_t)policy->cfg->history_time)
		hist->bans = 0;
	hist->bans++;
	if (created > hist->last_ban)
		hist->last_ban = created;
}

int lockout_policy_set_allowed(struct lockout_policy *policy,
			       const struct lockout_net *nets, size_t count)
{
	struct lockout_net *copy = NULL;

	if (count > 0) {
		copy = malloc(count * sizeof(*copy));
		if (copy == NULL)
			return -1;
		memcpy(copy, nets, count * sizeof(*copy));
	}
	free(policy->allowed);
	policy->allowed = copy;
	policy->allowed_count = count;
	return 0;
}

struct lockout_banset *lockout_policy_bans(struct lockout_policy *policy)
{
	return policy->bans;
}

struct lockout_banset *
lockout_policy_replace_bans(struct lockout_policy *policy,
			    struct lockout_banset *bans)
{
	struct lockout_banset *old = policy->bans;

	policy->bans = bans;
	return old;
}

void lockout_policy_forget(struct lockout_policy *policy,
			   const struct lockout_net *net)
{
	struct source *src = sa_find(&policy->sources,
				     net_key(policy, net, 's'));

	if (src != NULL) {
		memset(src, 0, policy->sources.esize);
		policy->source_count--;
	}
}

size_t lockout_policy_source_count(const struct lockout_policy *policy)
{
	return policy->source_count;
}

size_t lockout_policy_source_capacity(const struct lockout_policy *policy)
{
	return sa_capacity(&policy->sources);
}

size_t lockout_policy_memory(const struct lockout_policy *policy)
{
	return sizeof(*policy) +
		sa_capacity(&policy->sources) * (policy->sources.esize +
			policy->ring_size * sizeof(struct ring_entry)) +
		sa_capacity(&policy->history) * policy->history.esize +
		sa_capacity(&policy->accounts) * policy->accounts.esize +
		sa_capacity(&policy->devices) * policy->devices.esize +
		policy->protections.size * sizeof(struct u64_slot) +
		policy->allowed_count * sizeof(struct lockout_net) +
		policy->evidence.size;
}

/* --- the questions -------------------------------------------------------- */

enum lockout_verdict
lockout_policy_check(const struct lockout_policy *policy, int64_t now,
		     const struct lockout_addr *ip, const char *account,
		     const struct lockout_banset_entry **ban_r)
{
	/* never banned by address, not even by a network ban around it */
	*ban_r = lockout_policy_is_allowed(policy, ip) ? NULL :
		lockout_banset_lookup(policy->bans, ip, now);
	if (*ban_r != NULL)
		return LOCKOUT_VERDICT_BANNED;
	if (account != NULL && lockout_policy_protected(policy, account, now) &&
	    !device_known(policy, account_key(policy, account), ip, now))
		return LOCKOUT_VERDICT_PROTECTED;
	return LOCKOUT_VERDICT_ALLOW;
}

/* --- outcomes ------------------------------------------------------------- */

static int observe_success(struct lockout_policy *policy,
			   const struct lockout_attempt *a,
			   const char *account, struct emit_ctx *ctx)
{
	const struct lockout_config *cfg = policy->cfg;
	struct lockout_decision d;
	struct lockout_net net, dnet;
	struct source *src;
	struct history *hist;
	struct device *dev;
	bool created, evicted;
	uint64_t akey = account_key(policy, account);
	uint32_t uhash = user_hash32(policy, a->user);
	uint32_t now32 = ring_time(policy, a->time);
	unsigned int i, before = 0, min_failures;

	/* failures from this source for this user just before: a password
	   that was guessed? */
	lockout_policy_source_net(policy, &a->ip, &net);
	src = sa_find(&policy->sources, net_key(policy, &net, 's'));
	if (src != NULL) {
		for (i = 0; i < src->ring_len; i++) {
			struct ring_entry *e = ring_at(policy, src, i);

			if (now32 - e->time >= cfg->ip_window)
				break;
			if (e->user == uhash)
				before++;
		}
		min_failures = cfg->ip_failures / 2 > 3 ?
			cfg->ip_failures / 2 : 3;
		if (before >= min_failures) {
			memset(&d, 0, sizeof(d));
			d.type = LOCKOUT_DECISION_NOTABLE;
			d.kind = lockout_net_is_host(&net) ? LOCKOUT_KIND_IP :
				LOCKOUT_KIND_NET;
			d.net = net;
			lockout_net_to_str(&net, policy->target);
			copy_trunc(policy->user, sizeof(policy->user),
				   account);
			d.user = policy->user;
			d.rule = "success_after_failures";
			d.time = a->time;
			d.failures = before;
			snprintf(policy->reason, sizeof(policy->reason),
				 "successful login after %u failures from "
				 "the same source: possibly a guessed "
				 "password", before);
			d.reason = policy->reason;
			lockout_str_clear(&policy->evidence);
			lockout_str_append(&policy->evidence,
					   "{\"rule\":\"success_after_"
					   "failures\"");
			evidence_common(policy, src, before, min_failures,
					cfg->ip_window, 0);
			lockout_str_append(&policy->evidence, "}");
			d.evidence = lockout_str_c(&policy->evidence);
			if (d.evidence == NULL)
				return -1;
			emit(policy, ctx, &d);
		}
	}

	/* a /24 with a recent success is never banned as a whole */
	if (a->ip.family == LOCKOUT_AF_INET) {
		lockout_addr_mask(&a->ip, 24, &dnet);
		hist = history_find(policy, &dnet);
		if (hist == NULL && cfg->net_ban_hosts > 0)
			hist = history_get(policy, &dnet);
		if (hist != NULL) {
			hist->last_success = a->time;
			hist->had_success = true;
		}
	}

	/* the device becomes (or stays) known */
	lockout_policy_device_net(policy, &a->ip, &dnet);
	dev = sa_get(&policy->devices, device_key(policy, akey, &dnet),
		     ++policy->tick, &created, &evicted);
	dev->last_seen = a->time;
	if (created || a->time - dev->last_persisted >=
	    POLICY_DEVICE_REFRESH_SECS) {
		dev->last_persisted = a->time;
		memset(&d, 0, sizeof(d));
		d.type = LOCKOUT_DECISION_KNOWN_DEVICE;
		d.kind = lockout_net_is_host(&dnet) ? LOCKOUT_KIND_IP :
			LOCKOUT_KIND_NET;
		d.net = dnet;
		copy_trunc(policy->user, sizeof(policy->user), account);
		d.target = policy->user;
		d.user = policy->user;
		d.rule = "known_device";
		d.time = a->time;
		emit(policy, ctx, &d);
	}
	return 0;
}

static unsigned int bucket_index(int64_t bucket)
{
	int64_t idx = bucket % POLICY_BUCKETS;

	return (unsigned int)(idx < 0 ? idx + POLICY_BUCKETS : idx);
}

/* Count a failure against the account (only from sources that are not
   known for it) and protect it at the threshold. */
static int observe_account_failure(struct lockout_policy *policy,
				   const struct lockout_attempt *a,
				   const char *account, struct emit_ctx *ctx)
{
	const struct lockout_config *cfg = policy->cfg;
	uint64_t akey = account_key(policy, account);
	int64_t width, bucket;
	struct lockout_decision d;
	struct account *acc;
	struct lockout_str *str = &policy->evidence;
	bool created, evicted;
	char addr[LOCKOUT_ADDR_STRLEN], window[32];
	unsigned int i, total = 0;

	if (device_known(policy, akey, &a->ip, a->time))
		return 0;
	acc = sa_get(&policy->accounts, akey, ++policy->tick, &created,
		     &evicted);
	width = cfg->user_window / POLICY_BUCKETS;
	if (width == 0)
		width = 1;
	/* floor division: times may be negative (any origin) */
	bucket = a->time >= 0 ? a->time / width :
		-((-a->time + width - 1) / width);
	if (created || bucket - acc->bucket >= POLICY_BUCKETS) {
		memset(acc->counts, 0, sizeof(acc->counts));
	} else {
		for (int64_t b = acc->bucket + 1; b <= bucket; b++)
			acc->counts[bucket_index(b)] = 0;
	}
	if (created || bucket > acc->bucket)
		acc->bucket = bucket;
	acc->counts[bucket_index(acc->bucket)]++;
	if (acc->first_seen == 0)
		acc->first_seen = a->time;
	acc->last_seen = a->time;
	acc->services |= name_bit(known_services, a->service);
	acc->mechanisms |= name_bit(known_mechanisms, a->mechanism);
	if (distinct_note(acc->source_hashes, &acc->distinct_sources,
			  lockout_addr_hash(&a->ip, (uint32_t)policy->k0)) &&
	    acc->sample_count < POLICY_SOURCES)
		acc->sample[acc->sample_count++] = a->ip;
	for (i = 0; i < POLICY_BUCKETS; i++)
		total += acc->counts[i];
	if (total < cfg->user_failures ||
	    lockout_policy_protected(policy, account, a->time))
		return 0;

	memset(&d, 0, sizeof(d));
	d.type = LOCKOUT_DECISION_PROTECT;
	d.kind = LOCKOUT_KIND_USER;
	copy_trunc(policy->user, sizeof(policy->user), account);
	d.target = policy->user;
	d.user = policy->user;
	d.rule = "user_failures";
	d.time = a->time;
	d.expires = a->time + (int64_t)cfg->protect_time;
	d.failures = total;
	lockout_interval_to_str(cfg->user_window, window, sizeof(window));
	snprintf(policy->reason, sizeof(policy->reason),
		 "%u failed logins from %u unknown sources within %s: only "
		 "known devices may log in", total, acc->distinct_sources,
		 window);
	d.reason = policy->reason;
	lockout_str_clear(str);
	lockout_str_printf(str, "{\"rule\":\"user_failures\",\"failures\":%u"
			   ",\"threshold\":%u,\"window\":%u"
			   ",\"distinct_sources\":%u,\"sources\":[",
			   total, cfg->user_failures, cfg->user_window,
			   acc->distinct_sources);
	for (i = 0; i < acc->sample_count; i++) {
		lockout_addr_to_str(&acc->sample[i], addr);
		if (i > 0)
			lockout_str_append(str, ",");
		lockout_json_append_string(str, addr);
	}
	lockout_str_printf(str, "],\"sources_more\":%u"
			   ",\"distinct_sources_capped\":%s",
			   acc->distinct_sources - acc->sample_count,
			   acc->distinct_sources == POLICY_DISTINCT ?
			   "true" : "false");
	append_names(str, "services", known_services, acc->services);
	append_names(str, "mechanisms", known_mechanisms, acc->mechanisms);
	lockout_str_printf(str, ",\"first_seen\":%lld,\"last_seen\":%lld"
			   ",\"protect_time\":%u}",
			   (long long)acc->first_seen,
			   (long long)acc->last_seen, cfg->protect_time);
	d.evidence = lockout_str_c(str);
	if (d.evidence == NULL)
		return -1;
	if (lockout_policy_protect(policy, account, d.expires) < 0)
		return -1;
	/* the next protection needs a new run of failures */
	memset(acc->counts, 0, sizeof(acc->counts));
	emit(policy, ctx, &d);
	return 0;
}

static void source_note(struct lockout_policy *policy, struct source *src,
			const struct lockout_attempt *a, uint32_t uhash)
{
	if (src->failures == 0)
		src->first_seen = a->time;
	src->last_seen = a->time;
	src->services |= name_bit(known_services, a->service);
	src->mechanisms |= name_bit(known_mechanisms, a->mechanism);
	if (distinct_note(src->user_hashes, &src->distinct_users, uhash) &&
	    src->distinct_users <= POLICY_USERS) {
		/* truncated evidence is still evidence */
		copy_trunc(src->users[src->distinct_users - 1],
			   POLICY_USER_LEN, a->user);
	}
	(void)policy;
}

static int report_stale(struct lockout_policy *policy, struct source *src,
			const struct lockout_attempt *a, struct emit_ctx *ctx)
{
	struct lockout_decision d;

	memset(&d, 0, sizeof(d));
	d.type = LOCKOUT_DECISION_NOTABLE;
	d.kind = lockout_net_is_host(&src->net) ? LOCKOUT_KIND_IP :
		LOCKOUT_KIND_NET;
	d.net = src->net;
	lockout_net_to_str(&src->net, policy->target);
	copy_trunc(policy->user, sizeof(policy->user), a->user);
	d.user = policy->user;
	d.rule = "stale_client";
	d.time = a->time;
	d.failures = src->stale_repeats;
	snprintf(policy->reason, sizeof(policy->reason),
		 "the same wrong password was repeated %u times: a client "
		 "with an old password, not banned", src->stale_repeats);
	d.reason = policy->reason;
	lockout_str_clear(&policy->evidence);
	lockout_str_printf(&policy->evidence, "{\"rule\":\"stale_client\","
			   "\"repeats\":%u", src->stale_repeats);
	evidence_common(policy, src, src->ring_len, policy->cfg->ip_failures,
			policy->cfg->ip_window, 0);
	lockout_str_append(&policy->evidence, "}");
	d.evidence = lockout_str_c(&policy->evidence);
	if (d.evidence == NULL)
		return -1;
	src->last_stale = a->time;
	src->stale_reported = true;
	src->stale_repeats = 0;
	emit(policy, ctx, &d);
	return 0;
}

static int observe_failure(struct lockout_policy *policy,
			   const struct lockout_attempt *a,
			   const char *account, struct emit_ctx *ctx)
{
	const struct lockout_config *cfg = policy->cfg;
	uint32_t uhash = user_hash32(policy, a->user);
	uint32_t now32 = ring_time(policy, a->time);
	uint32_t tag = a->password_tag & ~RING_TARGETED;
	bool targeted = a->user != NULL &&
		lockout_config_is_targeted(cfg, a->user);
	unsigned int i, count = 0, targeted_count = 0, passwords = 0;
	struct lockout_net net;
	struct source *src;
	struct ring_entry *e;
	char why[200], window[32];
	bool repeated = false;

	lockout_policy_source_net(policy, &a->ip, &net);
	if (lockout_policy_is_allowed(policy, &a->ip)) {
		/* never banned by address; the account is still protected */
		if (a->outcome == LOCKOUT_OUTCOME_MISMATCH && account != NULL)
			return observe_account_failure(policy, a, account,
						       ctx);
		return 0;
	}

	src = source_get(policy, &net);
	source_note(policy, src, a, uhash);
	src->failures++;
	if (a->outcome == LOCKOUT_OUTCOME_UNKNOWN_USER)
		src->unknown_user++;

	if (targeted && a->outcome == LOCKOUT_OUTCOME_UNKNOWN_USER) {
		/* bots aim at these names: hostile at the first try */
		char name[65];

		copy_printable(name, sizeof(name), a->user);
		snprintf(why, sizeof(why), "login to the targeted name '%s' "
			 "that is not an account", name);
		if (policy_ban(policy, ctx, &net, src, "targeted_unknown",
			       cfg->targeted_ban_time, a->time, 1, 1,
			       cfg->ip_window, tag != 0 ? 1 : 0, why) < 0)
			return -1;
		source_reset_counts(src);
		return policy_maybe_ban_net(policy, ctx, &net, a->time);
	}

	/* a client repeating one wrong password counts once */
	if (tag != 0) {
		for (i = 0; i < src->ring_len; i++) {
			e = ring_at(policy, src, i);
			if (now32 - e->time >= cfg->ip_window)
				break;
			if (e->user == uhash &&
			    (e->tag & ~RING_TARGETED) == tag) {
				repeated = true;
				break;
			}
		}
	}
	if (repeated) {
		src->repeats++;
		src->stale_repeats++;
		if (src->stale_repeats >= POLICY_STALE_REPEATS &&
		    (!src->stale_reported ||
		     a->time - src->last_stale >= (int64_t)cfg->ip_window))
			return report_stale(policy, src, a, ctx);
		return 0;
	}

	e = &source_ring(policy, src)[src->ring_head];
	e->time = now32;
	e->user = uhash;
	e->tag = tag | (targeted ? RING_TARGETED : 0);
	src->ring_head = (src->ring_head + 1) % policy->ring_size;
	if (src->ring_len < policy->ring_size)
		src->ring_len++;

	for (i = 0; i < src->ring_len; i++) {
		e = ring_at(policy, src, i);
		if (now32 - e->time >= cfg->ip_window)
			break;
		count++;
		if ((e->tag & RING_TARGETED) != 0)
			targeted_count++;
		if ((e->tag & ~RING_TARGETED) != 0)
			passwords++;
	}

	if (a->outcome == LOCKOUT_OUTCOME_MISMATCH && account != NULL &&
	    observe_account_failure(policy, a, account, ctx) < 0)
		return -1;

	lockout_interval_to_str(cfg->ip_window, window, sizeof(window));
	if (targeted && targeted_count >= cfg->targeted_failures) {
		snprintf(why, sizeof(why), "%u failed logins to targeted "
			 "names within %s", targeted_count, window);
		if (policy_ban(policy, ctx, &net, src, "targeted_failures",
			       cfg->ban_time, a->time, targeted_count,
			       cfg->targeted_failures, cfg->ip_window,
			       passwords, why) < 0)
			return -1;
	} else if (count >= cfg->ip_failures) {
		snprintf(why, sizeof(why), "%u failed logins within %s "
			 "(%u username%s, %u distinct password%s tried)",
			 count, window, src->distinct_users,
			 src->distinct_users == 1 ? "" : "s", passwords,
			 passwords == 1 ? "" : "s");
		if (policy_ban(policy, ctx, &net, src, "ip_failures",
			       cfg->ban_time, a->time, count,
			       cfg->ip_failures, cfg->ip_window, passwords,
			       why) < 0)
			return -1;
	} else {
		return 0;
	}
	/* counting starts afresh once the ban ends */
	source_reset_counts(src);
	return policy_maybe_ban_net(policy, ctx, &net, a->time);
}

int lockout_policy_observe(struct lockout_policy *policy,
			   const struct lockout_attempt *attempt,
			   lockout_decision_callback_t *callback,
			   void *context)
{
	const char *account = attempt->account != NULL ? attempt->account :
		attempt->user;
	struct emit_ctx ctx = { callback, context, 0 };
	int ret;

	if (attempt->ip.family != LOCKOUT_AF_INET &&
	    attempt->ip.family != LOCKOUT_AF_INET6)
		return 0;
	if (account != NULL && account[0] == '\0')
		account = attempt->user;
	if (account != NULL && account[0] == '\0')
		account = NULL;
	switch (attempt->outcome) {
	case LOCKOUT_OUTCOME_SUCCESS:
		ret = account == NULL ? 0 :
			observe_success(policy, attempt, account, &ctx);
		break;
	case LOCKOUT_OUTCOME_MISMATCH:
	case LOCKOUT_OUTCOME_UNKNOWN_USER:
	case LOCKOUT_OUTCOME_PROTECTED:
		ret = observe_failure(policy, attempt, account, &ctx);
		break;
	case LOCKOUT_OUTCOME_REFUSED:
	default:
		/* already refused: nothing new to learn */
		ret = 0;
		break;
	}
	return ret < 0 ? -1 : ctx.count;
}
