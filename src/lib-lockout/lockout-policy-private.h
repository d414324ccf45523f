/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_POLICY_PRIVATE_H
#define LOCKOUT_POLICY_PRIVATE_H

/* Shared by the files of the policy engine, and by nothing else:
   lockout-policy.c          the engine's state: create/free, keys, tables,
                             check, observe (dispatch), sizes
   lockout-policy-state.c    state that comes from the ban table:
                             protections, known devices, ban history,
                             allowed networks, forgetting
   lockout-policy-failure.c  the rules of a failure: counting per source,
                             ip and targeted bans, stale clients, escalation
                             and network bans
   lockout-policy-account.c  the rules of an account: protection after
                             failures from unknown sources, and successes
                             (known devices, success after failures)
   lockout-policy-evidence.c what a decision says: evidence (JSON), names
                             of services and mechanisms, text helpers */

#include "lockout-policy.h"
#include "lockout-hash.h"
#include "lockout-json.h"
#include "lockout-satable.h"

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
/* Sources with password checks in flight tracked at once (a table of
   their own, entries freed when their last check ends); never more than
   lockout_max_sources, which bounds every per-source table. */
#define POLICY_INFLIGHT_SOURCES 4096
/* Reservations older than this are forgotten: no password check takes
   longer (Dovecot times auth requests out sooner). */
#define POLICY_INFLIGHT_STALE_SECS 120
/* The ring keeps this bit of the password tag for "targeted name". */
#define RING_TARGETED 0x80000000U

/* Failures remembered per source by the long window (rule ip_long); the
   maximum of lockout_ip_long_failures. */
#define POLICY_LONG_MAX 16
/* Usernames remembered per source by the spread rule (ip_spread); the
   maximum of lockout_ip_spread_usernames. */
#define POLICY_SPREAD_MAX 16
/* An IPv4 /24 where this many accounts logged in successfully within
   lockout_known_device_time is busy (an office NAT, a carrier's CGNAT):
   ip_spread does not count there. */
#define POLICY_BUSY_USERS 3
/* ...of the last this many remembered */
#define POLICY_BUSY_SLOTS 4

/* Sources of networks without successes remembered by the unknown-user
   alert (lockout-policy-alert.c): the last person each failed on. */
#define POLICY_ALERT_SOURCES 4096

/* --- the engine's tables (set-associative, see lockout-satable.h) -------- */

struct ring_entry {
	uint32_t time;	/* seconds since policy->epoch */
	uint32_t user;	/* hash of the username as typed */
	uint32_t tag;	/* password tag (31 bits) | RING_TARGETED */
};

/* A source (an IPv4 address, an IPv6 network). Its entry in the sources
   table ends with arrays sized by the settings (policy_ring(),
   policy_long(), policy_spread_users()/_times()): a table of 100,000
   sources costs what the settings need, not what their maximums would.
   A flood fills every entry: each byte here is 100 KB of the auth
   process at the defaults (engine times, 16-bit hashes). */
struct source {
	struct lockout_net net;
	/* the ring of the last failures (policy->ring_size entries) */
	uint8_t ring_head, ring_len;
	bool stale_reported;
	/* lockout-policy-longwin.c: the long memory (policy->long_size) */
	uint8_t long_head, long_len;
	/* usernames counted (at most POLICY_DISTINCT) */
	uint8_t distinct_users;
	/* lockout-policy-retry.c: a retry of this source got through a
	   protection and failed */
	bool retry_spent;
	/* engine times (policy_time32()) */
	uint32_t first_seen, last_seen, last_stale;
	unsigned int failures, unknown_user, repeats, stale_repeats;
	/* failures whose username Dovecot refused (never kept) */
	unsigned int invalid_user;
	/* lockout-policy-retry.c: the last refusal by a protection (a hash
	   of the account and password tag, 0 = none) and when (engine time) */
	uint32_t retry_print, retry_time;
	/* policy_names_note() */
	uint16_t services, mechanisms;
	/* from here on (and the ring and long memory after the struct):
	   meaningful only up to their counts, not zeroed for a new source
	   (policy_source_get()) */
	/* the usernames counted, by 16 bits of their hash
	   (policy_user_hash16()): two of 16 names count as one once in
	   about 550 sources that tried 16 (evidence only, no rule counts
	   them) */
	uint16_t user_hashes[POLICY_DISTINCT];
	char users[POLICY_USERS][POLICY_USER_LEN];
};

/* A source with password checks in flight (lockout_policy_reserve()). */
struct inflight {
	unsigned int count;
	/* the last reservation: a count this old is stale (a lost release
	   must not hold a source for ever) */
	int64_t last;
};

/* History of a source network or of an IPv4 /24. Times are engine times
   (policy_time32(): seconds since policy->epoch), 0 = never. */
struct history {
	unsigned int bans;
	uint32_t last_ban, last_success;
	bool had_success;
	/* for /24s: recently banned hosts */
	uint8_t host_count;
	uint8_t hosts[POLICY_NET_HOSTS];
	uint32_t host_times[POLICY_NET_HOSTS];
	/* for /24s (lockout-policy-spread.c): the last accounts that logged
	   in successfully (hash, 0 = none) and when */
	uint32_t busy_users[POLICY_BUSY_SLOTS];
	uint32_t busy_times[POLICY_BUSY_SLOTS];
};

/* Networks remembered per account by user_networks; the maximum of
   lockout_user_networks. */
#define POLICY_NETWORKS_MAX 8

/* A network that failed on an account (lockout-policy-networks.c). */
struct account_network {
	uint32_t time;	/* engine time */
	uint32_t tag;	/* password tag, 0 = none */
	uint64_t net;	/* family and /24 or /48, packed; 0 = free slot */
};

/* Failures against an account from sources not known for it. */
struct account {
	int64_t bucket; /* index of the newest bucket */
	unsigned int counts[POLICY_BUCKETS];
	int64_t first_seen, last_seen;
	unsigned int distinct_sources, sample_count;
	uint32_t source_hashes[POLICY_DISTINCT];
	struct lockout_addr sample[POLICY_SOURCES];
	uint16_t services, mechanisms;
	/* user_networks: the last networks that failed */
	struct account_network networks[POLICY_NETWORKS_MAX];
	/* lockout-policy-retry.c: retries through its protection that
	   failed, and the last one's engine time */
	uint32_t retry_fails, retry_time;
};

/* An (account, network) pair that logged in (engine times, as in struct
   history). */
struct device {
	uint32_t last_seen, last_persisted;
};

/* Protections: a growing open-addressed map of account keys to expiry
   times; never evicted. */
struct protect_slot {
	uint64_t key; /* 0 = empty */
	int64_t expires;
};

struct protections {
	struct protect_slot *slots;
	size_t size, count;
};

struct lockout_policy {
	const struct lockout_config *cfg;
	unsigned char key[LOCKOUT_HASH_KEY_SIZE];
	bool have_epoch;
	int64_t epoch;
	/* entries of a source's arrays: its ring (the larger of
	   lockout_ip_failures and lockout_targeted_failures), its long memory
	   (lockout_ip_long_failures), its usernames (lockout_ip_spread_usernames) */
	unsigned int ring_size, long_size, spread_size;
	/* slots of an IPv6 /56 or /48's entry (lockout-policy-v6agg.c); 0
	   when they are not counted */
	unsigned int wide_size;

	struct lockout_satable *sources, *history, *accounts, *devices;
	struct lockout_satable *inflight;
	/* lockout-policy-alert.c; NULL when lockout_alert_unknown is 0 */
	struct policy_alert *alert;
	/* lockout-policy-names.c; NULL when lockout_unknown_names is 0 */
	struct policy_names *names;
	/* lockout-policy-repeat.c: (source, username, password) pairs that
	   failed within lockout_ip_long_window */
	struct lockout_satable *repeats;
	struct lockout_banset *bans;
	struct protections protections;
	struct lockout_net *allowed;
	size_t allowed_count;
	size_t source_count;

	/* buffers for the decision handed to the callback */
	struct lockout_str evidence;
	char target[LOCKOUT_BAN_TARGET_MAX + 1];
	char user[LOCKOUT_BAN_TARGET_MAX + 1];
	char reason[320];
};

/* What a rule counted, for the evidence. */
struct policy_count {
	unsigned int failures, threshold;
	uint32_t window;
	unsigned int distinct_passwords;
};

/* Where the decisions of one lockout_policy_observe() go. */
struct emit_ctx {
	lockout_decision_callback_t *callback;
	void *context;
	int count;
};

/* --- lockout-policy.c: keys and table access ------------------------------ */

/* Keys of the tables: keyed hashes (policy->key). Accounts match
   case-insensitively (ASCII), as Dovecot's usernames usually do; long names
   are hashed whole and never stored whole. */
uint64_t policy_net_key(const struct lockout_policy *policy,
			const struct lockout_net *net);
uint64_t policy_account_key(const struct lockout_policy *policy,
			    const char *account);
/* The hash of a username as typed (NULL is ""), for rings and counts. */
uint32_t policy_user_hash(const struct lockout_policy *policy,
			  const char *user);
uint64_t policy_device_key(const struct lockout_policy *policy,
			   uint64_t account_key,
			   const struct lockout_net *net);

/* t as seconds since the engine's epoch (set by the first call, 2^30
   seconds before it: decades either way). Every time the tables keep is
   one of these: 4 bytes, not 8. */
uint32_t policy_time32(struct lockout_policy *policy, int64_t t);
/* An engine time back as a Unix time (0 stays 0: never). */
int64_t policy_time64(const struct lockout_policy *policy, uint32_t t32);
/* The arrays at the end of src's entry: the ring of its last failures
   (ring_size entries), its long memory (long_size), the usernames of its
   spread and their times (spread_size each). */
static inline struct ring_entry *
policy_ring(const struct lockout_policy *policy, const struct source *src)
{
	(void)policy;
	return (struct ring_entry *)(void *)((unsigned char *)src +
					     sizeof(struct source));
}
static inline struct ring_entry *
policy_long(const struct lockout_policy *policy, const struct source *src)
{
	return policy_ring(policy, src) + policy->ring_size;
}
static inline uint32_t *
policy_spread_users(const struct lockout_policy *policy,
		    const struct source *src)
{
	return (uint32_t *)(void *)(policy_long(policy, src) +
				    policy->long_size);
}
static inline uint32_t *
policy_spread_times(const struct lockout_policy *policy,
		    const struct source *src)
{
	return policy_spread_users(policy, src) + policy->spread_size;
}
/* Bytes of a source's entry: struct source and its arrays. */
size_t policy_source_entry_size(const struct lockout_config *cfg);
/* The i-th newest failure of src's ring (i = 0 is the newest), or NULL when
   the ring holds no more or it is lockout_ip_window old at now32 (and so
   are all older ones). Inline: the rules walk rings for every failure. */
static inline const struct ring_entry *
policy_ring_recent(const struct lockout_policy *policy,
		   const struct source *src, uint32_t now32, unsigned int i)
{
	unsigned int n = policy->ring_size;
	const struct ring_entry *e;

	if (i >= src->ring_len)
		return NULL;
	e = &policy_ring(policy, src)[(src->ring_head + n - 1 - i) % n];
	return now32 - e->time >= policy->cfg->ip_window ? NULL : e;
}
/* Append a failure to src's ring, dropping the oldest when full. */
void policy_ring_push(struct lockout_policy *policy, struct source *src,
		      uint32_t time, uint32_t user, uint32_t tag);

/* net's entry, made when missing (least recently used evicted). */
struct source *policy_source_get(struct lockout_policy *policy,
				 const struct lockout_net *net);
struct history *policy_history_get(struct lockout_policy *policy,
				   const struct lockout_net *net);
/* net's entry, or NULL. */
struct source *policy_source_find(const struct lockout_policy *policy,
				  const struct lockout_net *net);
struct history *policy_history_find(const struct lockout_policy *policy,
				    const struct lockout_net *net);

/* The failures of src's ring within the window. */
unsigned int policy_ring_failures(const struct lockout_policy *policy,
				  const struct source *src, uint32_t now32);

/* Count h among the *count hashes (at most POLICY_DISTINCT) remembered;
   returns true when it was new and was added. */
bool policy_distinct_note(uint32_t *hashes, unsigned int *count, uint32_t h);
/* The same with 16-bit hashes (a source's usernames). */
bool policy_distinct_note16(uint16_t *hashes, uint8_t *count, uint16_t h);
/* Does net overlap an allowed network (settings or table)? */
bool policy_net_overlaps_allowed(const struct lockout_policy *policy,
				 const struct lockout_net *net);

/* --- lockout-policy-state.c ----------------------------------------------- */

/* Is the account (by key) protected at now? */
bool policy_protected_key(const struct lockout_policy *policy,
			  uint64_t account_key, int64_t now);
/* Did the account (by key) log in from net (a key of the known devices
   table: a device network, a near network) within
   lockout_known_device_time before now? */
bool policy_device_net_known(const struct lockout_policy *policy,
			     uint64_t account_key,
			     const struct lockout_net *net, int64_t now);
/* Is the device net of ip a known device of the account (by key) at now? */
bool policy_device_known(const struct lockout_policy *policy,
			 uint64_t account_key, const struct lockout_addr *ip,
			 int64_t now);
/* Is attempt on account (NULL: none, its key account_key) from one of its
   known devices? Asked once per failure (a keyed hash and a lookup) and
   handed to every rule that spares a known device. */
static inline bool
policy_from_own_device(const struct lockout_policy *policy,
		       const struct lockout_attempt *a, const char *account,
		       uint64_t account_key)
{
	return account != NULL &&
		policy_device_known(policy, account_key, &a->ip, a->time);
}
/* Free the protections. */
void policy_protections_free(struct protections *protections);

/* --- lockout-policy-failure.c and lockout-policy-account.c ---------------- */

/* A failure (mismatch, unknown user, refused as protected) of attempt;
   account may be NULL. Returns 0, or -1 when out of memory. */
int policy_observe_failure(struct lockout_policy *policy,
			   const struct lockout_attempt *attempt,
			   const char *account, struct emit_ctx *ctx);
/* A success of account. Returns 0, or -1 when out of memory. */
int policy_observe_success(struct lockout_policy *policy,
			   const struct lockout_attempt *attempt,
			   const char *account, struct emit_ctx *ctx);
/* A failure against account (its key account_key; own_device: from one of
   its known devices, which is not counted); protects it at the threshold.
   Returns 0, or -1 when out of memory. */
int policy_observe_account_failure(struct lockout_policy *policy,
				   const struct lockout_attempt *attempt,
				   const char *account, uint64_t account_key,
				   bool own_device, struct emit_ctx *ctx);

/* --- lockout-policy-longwin.c ------------------------------------------- */

/* Remember a failure of src in its long memory (unless it is a repeat of a
   remembered (user, tag) pair, or own_device: it comes from a known
   device of its account); returns the distinct failures remembered within lockout_ip_long_window
   (0 when the rule is off, or while they all fall within
   lockout_ip_window), and their distinct passwords in *passwords_r. */
unsigned int policy_longwin_note(struct lockout_policy *policy,
				 struct source *src,
				 bool own_device, uint32_t now32,
				 uint32_t uhash, uint32_t tag,
				 unsigned int *passwords_r);
/* Forget src's long memory (after a ban by ip_long). */
void policy_longwin_reset(struct source *src);

/* --- lockout-policy-spread.c -------------------------------------------- */

/* Remember the username of a failure a of src (unless own_device: it comes
   from a known device of its account); returns the distinct usernames that failed from src
   within lockout_ip_spread_window (0 when the rule is off). */
unsigned int policy_spread_note(struct lockout_policy *policy,
				struct source *src,
				const struct lockout_attempt *a,
				bool own_device, uint32_t now32);
/* Forget src's usernames (after a ban by ip_spread). */
void policy_spread_reset(const struct lockout_policy *policy,
			 struct source *src);
/* Is ip's IPv4 /24 busy: did POLICY_BUSY_USERS accounts other than
   account (compared by local part, case folded) log in from it
   successfully within lockout_known_device_time? An office NAT, a
   carrier's CGNAT address; never an IPv6 source. */
bool policy_net_busy(const struct lockout_policy *policy,
		     const struct lockout_addr *ip, int64_t now,
		     const char *account);
/* Remember that account logged in successfully at now from the /24 of
   hist (for the busy test). */
void policy_spread_success(struct lockout_policy *policy,
			   struct history *hist, const char *account,
			   int64_t now);

/* --- lockout-policy-alert.c -------------------------------------------- */

/* Make the alert's memory (nothing when the rule is off). Returns 0, or -1
   when out of memory. */
int policy_alert_create(struct lockout_policy *policy);
void policy_alert_free(struct lockout_policy *policy);
size_t policy_alert_memory(const struct lockout_policy *policy);
/* A failure of src (not from an allowed network, not a targeted unknown
   name): count it in the server-wide alert (an unknown user from a network
   without successes), report the alert's start or end, remember the person
   it was on. *people_r is 2 when src is a suspect that failed on another
   person within lockout_ip_window (ban it), else 0. Returns 0, or -1 when
   out of memory. */
int policy_alert_note(struct lockout_policy *policy, struct source *src,
		      const struct lockout_attempt *a, uint32_t now32,
		      struct emit_ctx *ctx, unsigned int *people_r);
/* Is the source of ip a suspect (an unknown user during the alert within
   lockout_alert_window, its last failure within lockout_ip_window) that
   now tries another person than its last, account? Its failure would ban
   it: refuse it before the password check. O(1). */
bool policy_alert_refuse(const struct lockout_policy *policy, int64_t now,
			 const struct lockout_addr *ip, const char *account);
/* Forget what the alert remembers of the source net (an unban). */
void policy_alert_forget(struct lockout_policy *policy,
			 const struct lockout_net *net);
/* Are a and b (local parts, case folded) one person: equal, or one edit
   apart (a letter left out, added, changed, two adjacent swapped)? */
bool policy_alert_same_person(const char *a, const char *b);
/* --- lockout-policy-networks.c -------------------------------------------- */

/* Count the failure a (not from a known device of account, whose entry is
   acc) by its network (user_networks); protects the account at the
   threshold. Returns 0, or -1 when out of memory. */
int policy_networks_note(struct lockout_policy *policy,
			 const struct lockout_attempt *a, const char *account,
			 uint64_t account_key, struct account *acc,
			 struct emit_ctx *ctx);
/* Remember that the account (by key) logged in at seen32 (an engine time)
   from ip: its near network (lockout_near_prefix, _prefix6) is known. */
void policy_near_note(struct lockout_policy *policy, uint64_t account_key,
		      const struct lockout_addr *ip, uint32_t seen32);
/* Is the account (account_key of account) protected at now, and ip none
   of the networks its protection lets through (known devices, a busy
   network, near networks)? (Not the retries: lockout-policy-retry.c.) */
bool policy_protection_refuses(const struct lockout_policy *policy,
			       uint64_t account_key, const char *account,
			       const struct lockout_addr *ip, int64_t now);
/* Did the account (by key) log in from ip's near network within
   lockout_known_device_time? false when the exemption is off. */
bool policy_near_known(const struct lockout_policy *policy,
		       uint64_t account_key, const struct lockout_addr *ip,
		       int64_t now);

/* --- lockout-policy-repeat.c --------------------------------------------- */

/* The table of failed pairs. Returns 0, or -1 when out of memory. */
int policy_repeat_create(struct lockout_policy *policy);
void policy_repeat_free(struct lockout_policy *policy);
size_t policy_repeat_memory(const struct lockout_policy *policy);
/* How long ago (seconds) src last failed on the username (hash uhash)
   with the password of tag, if within lockout_ip_long_window before now32;
   else UINT32_MAX (also for tag 0: an unknown password, every failure
   counts). Remembers this failure (of a password that was checked: not a
   refusal by a protection). */
uint32_t policy_repeat_age(struct lockout_policy *policy,
			   const struct source *src, uint32_t uhash,
			   uint32_t tag, uint32_t now32);

/* --- lockout-policy-retry.c ---------------------------------------------- */

/* May the source of ip, refused by the protection of the account (by key)
   before, try the password of tag now: the same password on the same
   account again, within lockout_user_networks_window, the source's first
   such retry, and fewer than lockout_protect_retries retries failed on the
   account within the window? (tag: the attempt's password tag, 0 =
   unknown: never.) */
bool policy_retry_admits(const struct lockout_policy *policy,
			 uint64_t account_key, const struct lockout_addr *ip,
			 uint32_t tag, int64_t now);
/* A failure a of src on account (NULL: none): remember a refusal by a
   protection (the password and the account), count a retry that got
   through and failed (the source gets no other; the account none after
   lockout_protect_retries). */
void policy_retry_note(struct lockout_policy *policy, struct source *src,
		       const struct lockout_attempt *a, const char *account);

/* The keyed hash of user's local part, case folded (never 0), as the
   spread rule counts usernames. */
uint32_t policy_spread_user_hash(const struct lockout_policy *policy,
				 const char *user);

/* --- lockout-policy-failure.c: what the rules share ----------------------- */

/* Is net banned at now (a ban in the ban set that has not expired)? A rule
   at its threshold then makes no decision, and formats no reason. */
bool policy_banned(const struct lockout_policy *policy,
		   const struct lockout_net *net, int64_t now);
/* Ban net for the rule (src: its entry for the evidence, NULL for a
   network ban); add it to the ban set and report it. Nothing when net is
   banned already. Returns 0, or -1 when out of memory. */
int policy_ban(struct lockout_policy *policy, struct emit_ctx *ctx,
	       const struct lockout_net *net, const struct source *src,
	       const char *rule, uint32_t base, int64_t now,
	       const struct policy_count *count, const char *why);
/* Remember the host of a network (told apart by hostbyte) as banned at
   now in the network's history; returns how many of its hosts were banned
   within window. */
unsigned int policy_net_note_host(struct lockout_policy *policy,
				  struct history *hist, uint8_t hostbyte,
				  int64_t now, uint32_t window);
/* Ban net, a network wider than a source, by rule when recent of its
   hosts ("addresses", "networks": what) were banned within
   lockout_net_ban_window, at threshold - unless policy_net_guard_ok() says
   no or it is banned already. Returns 1 when it banned, 0 when not, -1
   when out of memory. */
int policy_ban_hosts_net(struct lockout_policy *policy, struct emit_ctx *ctx,
			 const struct lockout_net *net, const char *rule,
			 const char *what, unsigned int recent,
			 unsigned int threshold, int64_t now);
/* Count the failure a in src's header (totals, times, names,
   usernames). */
void policy_source_note(struct lockout_policy *policy, struct source *src,
			const struct lockout_attempt *a,
			uint32_t uhash);

/* --- lockout-policy-v6agg.c --------------------------------------------- */

/* Slots of the long and spread memory of an IPv6 /56 or /48 (0 when
   neither is counted), and the bytes of its entry past struct source. */
unsigned int policy_v6agg_slots(const struct lockout_config *cfg);
size_t policy_v6agg_bytes(const struct lockout_config *cfg);
/* May net, wider than a source, be banned whole: it holds no allowed
   network and had no successful login within lockout_known_device_time
   (as far as its history remembers)? */
bool policy_net_guard_ok(const struct lockout_policy *policy,
			 const struct lockout_net *net, int64_t now);
/* A successful login (or a known device) from ip at time: its /56 and /48
   are not banned whole for lockout_known_device_time. */
void policy_v6agg_success(struct lockout_policy *policy,
			  const struct lockout_addr *ip, int64_t time);
/* After a ban of the IPv6 net (a source or a /56): count it in its /56
   (/48) and ban that at lockout_ipv6_net_bans. Returns 0, or -1 when out
   of memory. */
int policy_v6agg_after_ban(struct lockout_policy *policy,
			   struct emit_ctx *ctx,
			   const struct lockout_net *net, int64_t now);
/* A failure of a (not repeated, not from an allowed address) counted on
   the /56 and /48 around its IPv6 source (own_device: from a known device
   of its account); bans them at their thresholds. Returns 0, or -1 when
   out of memory. */
int policy_v6agg_failure(struct lockout_policy *policy, struct emit_ctx *ctx,
			 const struct lockout_attempt *a, bool own_device,
			 uint32_t uhash, uint32_t tag);

/* Did an account log in from ip's network (IPv4 /24, IPv6 source network)
   within lockout_known_device_time? */
bool policy_net_had_success(const struct lockout_policy *policy,
			    const struct lockout_addr *ip, int64_t now);

/* --- lockout-policy-names.c -------------------------------------------- */

/* Make the negative cache of unknown usernames (nothing when the rule is
   off). Returns 0, or -1 when out of memory. */
int policy_names_create(struct lockout_policy *policy);
void policy_names_free(struct lockout_policy *policy);
size_t policy_names_memory(const struct lockout_policy *policy);
/* The last questions of lockout_policy_check() for account (not NULL),
   from a source that is not allowed: LOCKOUT_VERDICT_SUSPECT when it is a
   suspect of the unknown-user alert trying another person
   (policy_alert_refuse()); LOCKOUT_VERDICT_UNKNOWN_NAME when the passdb
   called account unknown within lockout_unknown_names_time and ip is not
   of a network with successes; else LOCKOUT_VERDICT_ALLOW. O(1).
   account_key: policy_account_key() of account. */
enum lockout_verdict
policy_names_verdict(const struct lockout_policy *policy, int64_t now,
		     const struct lockout_addr *ip, const char *account,
		     uint64_t account_key);
/* Before attempt is observed: remember account (may be NULL) when the
   passdb called it unknown, forget it when it logged in. For a refusal by
   the cache (LOCKOUT_OUTCOME_UNKNOWN_NAME), fill *unknown_r with the
   attempt as an unknown user, for the rules, and return true. */
bool policy_names_observe(struct lockout_policy *policy,
			  const struct lockout_attempt *attempt,
			  const char *account,
			  struct lockout_attempt *unknown_r);

/* --- lockout-policy-evidence.c -------------------------------------------- */

/* Add the service and mechanism of attempt to the sets of names the
   evidence lists (names it does not know share one "other" bit). */
void policy_names_note(const struct lockout_attempt *attempt,
		       uint16_t *services, uint16_t *mechanisms);
/* Copy src (NULL is "") into dest, cut to size - 1 bytes. */
void policy_copy_trunc(char *dest, size_t size, const char *src);
/* Copy attacker-chosen src into a one-line human text, escaped by
   lockout_utf8_escape() (control characters, bidi controls, invalid UTF-8
   as \x1b, \u202e, \xff); a cut never splits a character or an escape. */
void policy_copy_printable(char *dest, size_t size, const char *src);
/* Start d (zeroed): type, rule and time, the user involved (NULL: none;
   copied); about net (kind ip or net, net's text as the target) or, when
   net is NULL, about the user (kind user, the user as the target). */
void policy_decision_init(struct lockout_policy *policy,
			  struct lockout_decision *d,
			  enum lockout_decision_type type, const char *rule,
			  int64_t time, const char *user,
			  const struct lockout_net *net);
/* Hand d to the callback, filling in empty strings. */
void policy_emit(struct lockout_policy *policy, struct emit_ctx *ctx,
		 struct lockout_decision *d);

/* The evidence of a decision, built in policy->evidence: NULL when out of
   memory. */
/* A ban by rule of a source (src NULL for a network ban); prior bans and
   the last one for escalation, duration as text. */
const char *policy_evidence_ban(struct lockout_policy *policy,
				const char *rule, const struct source *src,
				const struct policy_count *count,
				unsigned int prior_bans, int64_t last_ban,
				const char *duration);
/* A notable event of src by rule; repeats (of one wrong password, for
   "stale_client") is part of the evidence unless 0. */
const char *policy_evidence_notable(struct lockout_policy *policy,
				    const char *rule, const struct source *src,
				    unsigned int repeats,
				    const struct policy_count *count);
/* Emit d, a notable event of src with the reason in policy->reason and
   the evidence of count. Returns 0, or -1 when out of memory. */
int policy_emit_notable(struct lockout_policy *policy, struct emit_ctx *ctx,
			struct lockout_decision *d, const struct source *src,
			const struct policy_count *count);
/* Begin the evidence of rule in policy->evidence, end it (NULL when out
   of memory), add the sets of services and mechanisms: for the rules in
   files of their own. */
struct lockout_str *policy_evidence_begin(struct lockout_policy *policy,
					  const char *rule);
const char *policy_evidence_end(struct lockout_str *str);
void policy_evidence_services(struct lockout_str *str, uint32_t services,
			      uint32_t mechanisms);
/* The protection of an account after total failures. */
const char *policy_evidence_protect(struct lockout_policy *policy,
				    const struct account *acc,
				    unsigned int total);

#endif
