/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-sync.h"
#include "lockout-target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SYNC_OUT_OF_MEMORY "Out of memory loading bans"
#define N_FIELDS(arr) (sizeof(arr) / sizeof((arr)[0]))
/* the reason of a ban written back whose row was not in memory */
#define SYNC_RESTORED_RULE "restored"
#define SYNC_RESTORED_REASON "Written back from the auth process's memory " \
	"after the ban table was lost (its reason was not in memory)"

struct sync_user {
	char *name;
	int64_t expires;
};

/* A row of an active ban as last read from the table, or as this process
   wrote it since: what is written back if the table is lost. The strings
   live in one block (strings). */
struct sync_kept_ban {
	struct lockout_ban ban;
	/* the key: the canonical network (kinds ip and net) or the
	   username */
	const char *key;
	char *strings;
};

/* An allowed network as last read from the table. */
struct sync_kept_allowed {
	char *network, *reason;
	int64_t created;
};

/* What is kept of the table: rows and allowed networks (grown with
   grow()), and the evidence bytes they hold (within
   LOCKOUT_SYNC_KEPT_EVIDENCE_MAX). */
struct sync_kept {
	struct sync_kept_ban *bans;
	size_t bans_count, bans_alloc;
	struct sync_kept_allowed *allowed;
	size_t allowed_count, allowed_alloc;
	size_t evidence_bytes;
	unsigned int evidence_dropped;
};

struct lockout_sync_snapshot {
	struct lockout_banset *bans;
	/* protections: the table's, then those not written yet */
	struct sync_user *users;
	size_t users_count, users_alloc;
	struct lockout_net *allowed;
	size_t allowed_count, allowed_alloc;
	/* the rows themselves, to become sync's kept rows */
	struct sync_kept kept;
};

struct lockout_sync {
	const struct lockout_config *cfg;
	struct lockout_policy *policy;
	/* the accounts protected after the last apply, sorted
	   case-insensitively: the counters of those whose protection is
	   lifted are forgotten */
	char **protected_users;
	size_t protected_count;
	/* the active rows and allowed networks of the table as last read,
	   plus the bans written since */
	struct sync_kept kept;
};

static bool sync_observe(const struct lockout_sync *sync)
{
	return sync->cfg->mode == LOCKOUT_MODE_OBSERVE;
}

static void kept_free(struct sync_kept *kept)
{
	size_t i;

	for (i = 0; i < kept->bans_count; i++)
		free(kept->bans[i].strings);
	free(kept->bans);
	for (i = 0; i < kept->allowed_count; i++) {
		free(kept->allowed[i].network);
		free(kept->allowed[i].reason);
	}
	free(kept->allowed);
	memset(kept, 0, sizeof(*kept));
}

static void free_names(char **names, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

struct lockout_sync *lockout_sync_create(const struct lockout_config *cfg,
					 struct lockout_policy *policy)
{
	struct lockout_sync *sync;

	sync = calloc(1, sizeof(*sync));
	if (sync == NULL)
		return NULL;
	sync->cfg = cfg;
	sync->policy = policy;
	return sync;
}

void lockout_sync_free(struct lockout_sync **_sync)
{
	struct lockout_sync *sync = *_sync;

	if (sync == NULL)
		return;
	*_sync = NULL;
	free_names(sync->protected_users, sync->protected_count);
	kept_free(&sync->kept);
	free(sync);
}

/* --- what the engine remembers across restarts ------------------------ */

static int sync_load_device(const char *user, const char *network,
			    int64_t first_seen, int64_t last_seen,
			    void *context)
{
	struct lockout_sync *sync = context;
	struct lockout_net net;
	const char *error;

	(void)first_seen;
	if (lockout_net_parse(network, &net, &error) == 0) {
		lockout_policy_add_known_device(sync->policy, user, &net,
						last_seen);
	}
	return 0;
}

struct history_ctx {
	struct lockout_sync *sync;
	int64_t since;
};

static int sync_load_history(const struct lockout_ban *ban, void *context)
{
	struct history_ctx *ctx = context;
	struct lockout_net net;
	const char *error;

	if (ban->kind == LOCKOUT_KIND_USER || ban->observed ||
	    ban->created < ctx->since ||
	    lockout_net_parse(ban->target, &net, &error) < 0)
		return 0;
	lockout_policy_note_ban(ctx->sync->policy, &net, ban->created);
	return 0;
}

int lockout_sync_load_remembered(struct lockout_sync *sync,
				 struct lockout_store *store, int64_t now,
				 const char **error_r)
{
	const struct lockout_config *cfg = sync->cfg;
	struct history_ctx ctx = { sync, 0 };

	if (lockout_store_iter_known_devices(store,
			now - (int64_t)cfg->known_device_time,
			cfg->max_known_devices, sync_load_device, sync,
			error_r) != 0)
		return -1;
	ctx.since = now - (int64_t)cfg->history_time;
	if (lockout_store_iter_bans(store, now, LOCKOUT_ITER_FLAG_ALL,
				    sync_load_history, &ctx, error_r) != 0)
		return -1;
	return 0;
}

/* --- reading the table ---------------------------------------------------- */

void lockout_sync_snapshot_free(struct lockout_sync_snapshot **_snapshot)
{
	struct lockout_sync_snapshot *snap = *_snapshot;
	size_t i;

	if (snap == NULL)
		return;
	*_snapshot = NULL;
	lockout_banset_free(&snap->bans);
	for (i = 0; i < snap->users_count; i++)
		free(snap->users[i].name);
	free(snap->users);
	free(snap->allowed);
	kept_free(&snap->kept);
	free(snap);
}

/* An array of count elements (alloc allocated) with room for one more:
   data itself or a larger copy, or NULL when out of memory (data is then
   unchanged). */
static void *grow(void *data, size_t *alloc, size_t count, size_t size)
{
	size_t new_alloc;

	if (count < *alloc)
		return data;
	new_alloc = *alloc == 0 ? 16 : *alloc * 2;
	data = realloc(data, new_alloc * size);
	if (data != NULL)
		*alloc = new_alloc;
	return data;
}

/* Keep a copy of ban (its strings too), keyed by key; its evidence only
   while the evidence kept stays within LOCKOUT_SYNC_KEPT_EVIDENCE_MAX.
   False when out of memory. */
static bool kept_add_ban(struct sync_kept *kept, const struct lockout_ban *ban,
			 const char *key)
{
	const char *evidence = ban->evidence == NULL ? "{}" : ban->evidence;
	const char *fields[5];
	size_t lens[5], i, total = 0;
	struct sync_kept_ban *bans, *kb;
	char *p;

	if (strcmp(evidence, "{}") != 0 &&
	    kept->evidence_bytes + strlen(evidence) >
	    LOCKOUT_SYNC_KEPT_EVIDENCE_MAX) {
		kept->evidence_dropped++;
		evidence = "{}";
	}
	fields[0] = key;
	fields[1] = ban->target;
	fields[2] = ban->rule;
	fields[3] = ban->reason == NULL ? "" : ban->reason;
	fields[4] = evidence;
	for (i = 0; i < N_FIELDS(fields); i++) {
		lens[i] = strlen(fields[i]) + 1;
		total += lens[i];
	}
	bans = grow(kept->bans, &kept->bans_alloc, kept->bans_count,
		    sizeof(*bans));
	if (bans == NULL)
		return false;
	kept->bans = bans;
	kb = &bans[kept->bans_count];
	kb->strings = p = malloc(total);
	if (p == NULL)
		return false;
	for (i = 0; i < N_FIELDS(fields); i++) {
		memcpy(p, fields[i], lens[i]);
		fields[i] = p;
		p += lens[i];
	}
	kb->ban = *ban;
	kb->key = fields[0];
	kb->ban.target = fields[1];
	kb->ban.rule = fields[2];
	kb->ban.reason = fields[3];
	kb->ban.evidence = fields[4];
	if (strcmp(kb->ban.evidence, "{}") != 0)
		kept->evidence_bytes += lens[4] - 1;
	kept->bans_count++;
	return true;
}

static bool kept_add_allowed(struct sync_kept *kept, const char *network,
			     const char *reason, int64_t created)
{
	struct sync_kept_allowed *allowed, *ka;

	allowed = grow(kept->allowed, &kept->allowed_alloc,
		       kept->allowed_count, sizeof(*allowed));
	if (allowed == NULL)
		return false;
	kept->allowed = allowed;
	ka = &allowed[kept->allowed_count];
	ka->network = strdup(network);
	ka->reason = strdup(reason);
	ka->created = created;
	if (ka->network == NULL || ka->reason == NULL) {
		free(ka->network);
		free(ka->reason);
		return false;
	}
	kept->allowed_count++;
	return true;
}

/* The key of a ban: its canonical network, or its username. */
static const char *ban_key(const struct lockout_ban *ban,
			   const struct lockout_net *net,
			   char buf[LOCKOUT_NET_STRLEN])
{
	if (ban->kind == LOCKOUT_KIND_USER)
		return ban->target;
	lockout_net_to_str(net, buf);
	return buf;
}

static bool snapshot_add_user(struct lockout_sync_snapshot *snap,
			      const char *name, int64_t expires)
{
	struct sync_user *users, *user;
	size_t len = strlen(name);

	users = grow(snap->users, &snap->users_alloc, snap->users_count,
		     sizeof(*users));
	if (users == NULL)
		return false;
	snap->users = users;
	user = &users[snap->users_count];
	user->name = malloc(len + 1);
	if (user->name == NULL)
		return false;
	memcpy(user->name, name, len + 1);
	user->expires = expires;
	snap->users_count++;
	return true;
}

struct read_ctx {
	struct lockout_sync_snapshot *snap;
	struct lockout_sync_result *result;
	bool observe;
};

/* 1 stops the iteration: out of memory. */
static int sync_read_ban(const struct lockout_ban *ban, void *context)
{
	struct read_ctx *ctx = context;
	struct lockout_sync_result *result = ctx->result;
	char key[LOCKOUT_NET_STRLEN];
	struct lockout_net net;
	const char *error;

	if (ban->observed != ctx->observe) {
		/* not enforced here, but written back as well */
		if ((ban->kind == LOCKOUT_KIND_USER ||
		     lockout_net_parse(ban->target, &net, &error) == 0) &&
		    !kept_add_ban(&ctx->snap->kept, ban,
				  ban_key(ban, &net, key)))
			return 1;
		return 0;
	}
	if (ban->kind == LOCKOUT_KIND_USER) {
		if (!kept_add_ban(&ctx->snap->kept, ban, ban->target))
			return 1;
		if (!snapshot_add_user(ctx->snap, ban->target, ban->expires))
			return 1;
		result->loaded++;
		return 0;
	}
	/* the table is shared with other writers: re-validate */
	if (lockout_net_parse(ban->target, &net, &error) < 0 ||
	    (lockout_ban_net_too_wide(&net) &&
	     (error = "network wider than an IPv4 /16 or an IPv6 /32, never "
		      "enforced") != NULL)) {
		if (result->invalid++ == 0) {
			result->invalid_id = ban->id;
			snprintf(result->invalid_error,
				 sizeof(result->invalid_error), "%s", error);
		}
		return 0;
	}
	if (lockout_banset_add(ctx->snap->bans, &net, ban->expires,
			       ban->id) < 0 ||
	    !kept_add_ban(&ctx->snap->kept, ban, ban_key(ban, &net, key)))
		return 1;
	result->loaded++;
	return 0;
}

/* Add the allowed network to the snapshot (and keep its row when kept is
   set): 1 when it was added, 0 when it does not parse (skipped), -1 when
   out of memory. */
static int snapshot_add_allowed(struct lockout_sync_snapshot *snap,
				const char *network, const char *reason,
				int64_t created, bool keep)
{
	struct lockout_net net, *allowed;
	const char *error;

	if (lockout_net_parse(network, &net, &error) < 0)
		return 0;
	if (keep && !kept_add_allowed(&snap->kept, network, reason, created))
		return -1;
	allowed = grow(snap->allowed, &snap->allowed_alloc,
		       snap->allowed_count, sizeof(*allowed));
	if (allowed == NULL)
		return -1;
	snap->allowed = allowed;
	allowed[snap->allowed_count++] = net;
	return 1;
}

static int sync_read_allowed(const char *network, const char *reason,
			     int64_t created, void *context)
{
	struct read_ctx *ctx = context;
	int ret;

	ret = snapshot_add_allowed(ctx->snap, network, reason, created, true);
	if (ret < 0)
		return 1;
	ctx->result->allowed += (unsigned int)ret;
	return 0;
}

int lockout_sync_read(const struct lockout_sync *sync,
		      struct lockout_store *store, int64_t now,
		      struct lockout_sync_snapshot **snapshot_r,
		      struct lockout_sync_result *result_r,
		      const char **error_r)
{
	struct read_ctx ctx;
	int ret;

	memset(result_r, 0, sizeof(*result_r));
	*snapshot_r = NULL;
	memset(&ctx, 0, sizeof(ctx));
	ctx.result = result_r;
	ctx.observe = sync_observe(sync);
	ctx.snap = calloc(1, sizeof(*ctx.snap));
	if (ctx.snap == NULL ||
	    (ctx.snap->bans = lockout_banset_create(NULL)) ==
	    NULL) {
		lockout_sync_snapshot_free(&ctx.snap);
		*error_r = SYNC_OUT_OF_MEMORY;
		return -1;
	}
	ret = lockout_store_iter_bans(store, now, 0, sync_read_ban, &ctx,
				      error_r);
	if (ret == 0) {
		ret = lockout_store_iter_allowed(store, sync_read_allowed,
						 &ctx, error_r);
	}
	if (ret != 0) {
		lockout_sync_snapshot_free(&ctx.snap);
		if (ret > 0)
			*error_r = SYNC_OUT_OF_MEMORY;
		return -1;
	}
	*snapshot_r = ctx.snap;
	return 0;
}

/* --- changing the engine ------------------------------------------------ */

struct merge_ctx {
	struct lockout_sync_snapshot *snap;
	bool observe;
};

/* A ban not written yet: the table's own row wins. 1 = out of memory. */
static int sync_merge_pending(const struct lockout_ban *ban,
			      const struct lockout_net *net, void *context)
{
	struct merge_ctx *ctx = context;

	if (ban->observed != ctx->observe)
		return 0;
	if (ban->kind == LOCKOUT_KIND_USER)
		return snapshot_add_user(ctx->snap, ban->target,
					 ban->expires) ? 0 : 1;
	if (lockout_banset_find(ctx->snap->bans, net) != NULL)
		return 0;
	return lockout_banset_add(ctx->snap->bans, net, ban->expires, 0) < 0 ?
		1 : 0;
}

/* An allowed network not written yet (written back after the table was
   lost): it applies already. 1 = out of memory. */
static int sync_merge_pending_allowed(const char *network, const char *reason,
				      int64_t created, void *context)
{
	return snapshot_add_allowed(context, network, reason, created,
				    false) < 0 ? 1 : 0;
}

struct forget_ctx {
	struct lockout_policy *policy;
	const struct lockout_banset *now_banned;
};

static int sync_forget_lifted(const struct lockout_banset_entry *entry,
			      void *context)
{
	struct forget_ctx *ctx = context;

	if (lockout_banset_find(ctx->now_banned, &entry->net) == NULL)
		lockout_policy_forget(ctx->policy, &entry->net);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

/* Replace the engine's protections with the snapshot's, and forget the
   counters of accounts whose protection was lifted. Takes the names. */
static void sync_apply_protections(struct lockout_sync *sync,
				   struct lockout_sync_snapshot *snap,
				   struct lockout_sync_result *result)
{
	char **names;
	size_t i, count = 0;

	lockout_policy_clear_protections(sync->policy);
	for (i = 0; i < snap->users_count; i++) {
		if (lockout_policy_protect(sync->policy, snap->users[i].name,
					   snap->users[i].expires) < 0)
			result->protections_failed = true;
	}
	names = malloc((snap->users_count + 1) * sizeof(*names));
	if (names == NULL) {
		/* the old list stays: lifted ones keep their counters */
		result->protections_failed = true;
		return;
	}
	for (i = 0; i < snap->users_count; i++) {
		names[i] = snap->users[i].name;
		snap->users[i].name = NULL;
	}
	qsort(names, snap->users_count, sizeof(*names), name_cmp);
	for (i = 0; i < snap->users_count; i++) {
		if (count > 0 && name_cmp(&names[count - 1], &names[i]) == 0)
			free(names[i]);
		else
			names[count++] = names[i];
	}
	for (i = 0; i < sync->protected_count; i++) {
		if (bsearch(&sync->protected_users[i], names, count,
			    sizeof(*names), name_cmp) == NULL) {
			lockout_policy_forget_account(sync->policy,
						      sync->protected_users[i]);
		}
	}
	free_names(sync->protected_users, sync->protected_count);
	sync->protected_users = names;
	sync->protected_count = count;
}

int lockout_sync_apply(struct lockout_sync *sync,
		       struct lockout_sync_snapshot **snapshot,
		       const struct lockout_writeq *pending,
		       struct lockout_sync_result *result_r,
		       const char **error_r)
{
	struct lockout_sync_snapshot *snap = *snapshot;
	struct merge_ctx merge = { snap, sync_observe(sync) };
	struct forget_ctx forget;
	struct lockout_banset *old_bans;

	*snapshot = NULL;
	result_r->protections_failed = false;
	result_r->allowed_failed = false;
	if (pending != NULL &&
	    (lockout_writeq_iter_bans(pending, sync_merge_pending,
				      &merge) != 0 ||
	     lockout_writeq_iter_allowed(pending, sync_merge_pending_allowed,
					 snap) != 0)) {
		lockout_sync_snapshot_free(&snap);
		*error_r = SYNC_OUT_OF_MEMORY;
		return -1;
	}

	/* nothing fails from here on but a copy of the allowed networks or
	   of a protection, which leaves the previous ones */
	if (lockout_policy_set_allowed(sync->policy, snap->allowed,
				       snap->allowed_count) < 0)
		result_r->allowed_failed = true;
	old_bans = lockout_policy_replace_bans(sync->policy, snap->bans);
	snap->bans = NULL;
	forget.policy = sync->policy;
	forget.now_banned = lockout_policy_bans(sync->policy);
	(void)lockout_banset_foreach(old_bans, sync_forget_lifted, &forget);
	lockout_banset_free(&old_bans);
	sync_apply_protections(sync, snap, result_r);
	/* what would be written back, should the table be lost */
	kept_free(&sync->kept);
	sync->kept = snap->kept;
	memset(&snap->kept, 0, sizeof(snap->kept));
	lockout_sync_snapshot_free(&snap);
	return 0;
}

int lockout_sync_reload(struct lockout_sync *sync,
			struct lockout_store *store,
			const struct lockout_writeq *pending, int64_t now,
			struct lockout_sync_result *result_r,
			const char **error_r)
{
	struct lockout_sync_snapshot *snap;

	if (lockout_sync_read(sync, store, now, &snap, result_r, error_r) < 0)
		return -1;
	return lockout_sync_apply(sync, &snap, pending, result_r, error_r);
}

/* --- writing, and writing back a lost table ------------------------------- */

/* A ban this process has just written: kept like the rows read. */
static int sync_keep_written(const struct lockout_ban *ban,
			     const struct lockout_net *net, void *context)
{
	struct lockout_sync *sync = context;
	char key[LOCKOUT_NET_STRLEN];

	/* out of memory: it is only missing from a write-back */
	(void)kept_add_ban(&sync->kept, ban, ban_key(ban, net, key));
	return 0;
}

int lockout_sync_write(struct lockout_sync *sync,
		       struct lockout_writeq *queue,
		       struct lockout_store *store,
		       struct lockout_writeq_dropped *dropped_r,
		       const char **error_r)
{
	const struct lockout_writeq_batch *batch;
	int ret;

	batch = lockout_writeq_begin(queue);
	if (batch == NULL) {
		/* nothing to write, or a batch in flight elsewhere */
		return lockout_writeq_flush(queue, store, dropped_r, error_r);
	}
	ret = lockout_writeq_batch_write(batch, store, error_r);
	if (ret == 0) {
		(void)lockout_writeq_batch_iter_bans(batch, sync_keep_written,
						     sync);
	}
	lockout_writeq_end(queue, ret == 0, dropped_r);
	return ret;
}

static bool ban_active(int64_t expires, int64_t now)
{
	return expires == 0 || expires > now;
}

void lockout_sync_forget_expired(struct lockout_sync *sync, int64_t now)
{
	struct sync_kept *kept = &sync->kept;
	size_t i, count = 0;

	for (i = 0; i < kept->bans_count; i++) {
		if (ban_active(kept->bans[i].ban.expires, now) &&
		    kept->bans[i].ban.lifted == 0) {
			kept->bans[count++] = kept->bans[i];
			continue;
		}
		if (strcmp(kept->bans[i].ban.evidence, "{}") != 0) {
			kept->evidence_bytes -=
				strlen(kept->bans[i].ban.evidence);
		}
		free(kept->bans[i].strings);
	}
	kept->bans_count = count;
}

/* Order kept rows by key, user bans apart, the latest first. */
static int kept_ban_cmp(const void *a, const void *b)
{
	const struct lockout_ban *ba = &((const struct sync_kept_ban *)a)->ban;
	const struct lockout_ban *bb = &((const struct sync_kept_ban *)b)->ban;
	bool ua = ba->kind == LOCKOUT_KIND_USER;
	bool ub = bb->kind == LOCKOUT_KIND_USER;
	int ret;

	if (ua != ub)
		return ua ? 1 : -1;
	ret = strcmp(((const struct sync_kept_ban *)a)->key,
		     ((const struct sync_kept_ban *)b)->key);
	if (ret != 0)
		return ret;
	if (ba->observed != bb->observed)
		return ba->observed ? 1 : -1;
	if (ba->created != bb->created)
		return ba->created > bb->created ? -1 : 1;
	return 0;
}

/* The keys of the bans still queued: the queue writes those itself. */
struct pending_keys {
	char **keys;
	size_t count, alloc;
	bool failed;
};

static int pending_key_add(const struct lockout_ban *ban,
			   const struct lockout_net *net, void *context)
{
	struct pending_keys *pk = context;
	char buf[LOCKOUT_NET_STRLEN], **keys;
	const char *key = ban_key(ban, net, buf);
	size_t len = strlen(key);

	keys = grow(pk->keys, &pk->alloc, pk->count, sizeof(*keys));
	if (keys == NULL)
		return 1;
	pk->keys = keys;
	/* user keys get a prefix that no network has */
	keys[pk->count] = malloc(len + 2);
	if (keys[pk->count] == NULL)
		return 1;
	keys[pk->count][0] = ban->kind == LOCKOUT_KIND_USER ? 'u' : 'n';
	memcpy(keys[pk->count] + 1, key, len + 1);
	pk->count++;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool pending_has(const struct pending_keys *pk, bool user,
			const char *key)
{
	char buf[LOCKOUT_BAN_TARGET_MAX + 2];
	const char *p = buf;

	if (pk->count == 0)
		return false;
	buf[0] = user ? 'u' : 'n';
	snprintf(buf + 1, sizeof(buf) - 1, "%s", key);
	return bsearch(&p, pk->keys, pk->count, sizeof(*pk->keys),
		       key_cmp) != NULL;
}

struct restore_ctx {
	struct lockout_sync *sync;
	struct lockout_writeq *queue;
	const struct pending_keys *pending;
	int64_t now;
	struct lockout_sync_restored *result;
};

static bool kept_has_net(const struct sync_kept *kept, const char *key)
{
	size_t lo = 0, hi = kept->bans_count, mid;
	const struct sync_kept_ban *kb;
	int ret;

	/* sorted: network rows first, by key */
	while (lo < hi) {
		mid = (lo + hi) / 2;
		kb = &kept->bans[mid];
		ret = kb->ban.kind == LOCKOUT_KIND_USER ? 1 :
			strcmp(kb->key, key);
		if (ret == 0)
			return true;
		if (ret < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* A ban of the engine whose row is not kept (the queue dropped it, or
   memory was short): written back with what the engine knows. */
static int restore_engine_ban(const struct lockout_banset_entry *entry,
			      void *context)
{
	struct restore_ctx *ctx = context;
	char key[LOCKOUT_NET_STRLEN];
	struct lockout_ban ban;

	if (!ban_active(entry->expires, ctx->now))
		return 0;
	lockout_net_to_str(&entry->net, key);
	if (kept_has_net(&ctx->sync->kept, key) ||
	    pending_has(ctx->pending, false, key))
		return 0;
	memset(&ban, 0, sizeof(ban));
	ban.target = key;
	ban.kind = lockout_net_is_host(&entry->net) ? LOCKOUT_KIND_IP :
		LOCKOUT_KIND_NET;
	ban.source = LOCKOUT_SOURCE_AUTO;
	ban.rule = SYNC_RESTORED_RULE;
	ban.reason = SYNC_RESTORED_REASON;
	ban.created = ctx->now;
	ban.expires = entry->expires;
	ban.evidence = "{}";
	ban.observed = sync_observe(ctx->sync);
	if (ban.expires != 0 && ban.expires <= ban.created)
		ban.created = ban.expires - 1;
	if (lockout_writeq_add_ban(ctx->queue, &ban, &entry->net) ==
	    LOCKOUT_WRITEQ_FLUSH_NONE)
		ctx->result->dropped++;
	else
		ctx->result->bare++;
	return 0;
}

static void restore_kept(struct restore_ctx *ctx)
{
	struct sync_kept *kept = &ctx->sync->kept;
	const struct sync_kept_ban *kb, *prev = NULL;
	struct lockout_net net;
	const char *error;
	bool user;
	size_t i;

	for (i = 0; i < kept->bans_count; i++, prev = kb) {
		kb = &kept->bans[i];
		user = kb->ban.kind == LOCKOUT_KIND_USER;
		/* the latest row of a key (and mode) only */
		if (prev != NULL && prev->ban.kind == kb->ban.kind &&
		    prev->ban.observed == kb->ban.observed &&
		    strcmp(prev->key, kb->key) == 0)
			continue;
		if (!ban_active(kb->ban.expires, ctx->now) ||
		    kb->ban.lifted != 0 ||
		    pending_has(ctx->pending, user, kb->key))
			continue;
		memset(&net, 0, sizeof(net));
		if (!user && lockout_net_parse(kb->key, &net, &error) < 0)
			continue;
		if (lockout_writeq_add_ban(ctx->queue, &kb->ban, &net) ==
		    LOCKOUT_WRITEQ_FLUSH_NONE)
			ctx->result->dropped++;
		else
			ctx->result->bans++;
	}
}

void lockout_sync_restore(struct lockout_sync *sync,
			  struct lockout_writeq *queue, int64_t now,
			  struct lockout_sync_restored *result_r)
{
	struct pending_keys pending;
	struct restore_ctx ctx;
	const struct sync_kept_allowed *ka;
	size_t i;

	memset(result_r, 0, sizeof(*result_r));
	memset(&pending, 0, sizeof(pending));
	if (lockout_writeq_iter_bans(queue, pending_key_add, &pending) != 0)
		pending.failed = true;
	else if (pending.count > 0) {
		qsort(pending.keys, pending.count, sizeof(*pending.keys),
		      key_cmp);
	}
	lockout_sync_forget_expired(sync, now);
	if (sync->kept.bans_count > 0) {
		qsort(sync->kept.bans, sync->kept.bans_count,
		      sizeof(*sync->kept.bans), kept_ban_cmp);
	}

	ctx.sync = sync;
	ctx.queue = queue;
	ctx.pending = &pending;
	ctx.now = now;
	ctx.result = result_r;
	restore_kept(&ctx);
	(void)lockout_banset_foreach(lockout_policy_bans(sync->policy),
				     restore_engine_ban, &ctx);
	for (i = 0; i < sync->kept.allowed_count; i++) {
		ka = &sync->kept.allowed[i];
		if (lockout_writeq_add_allowed(queue, ka->network, ka->reason,
					       ka->created) ==
		    LOCKOUT_WRITEQ_FLUSH_NONE)
			result_r->dropped++;
		else
			result_r->allowed++;
	}
	result_r->pending_failed = pending.failed;
	result_r->evidence_dropped = sync->kept.evidence_dropped;
	for (i = 0; i < pending.count; i++)
		free(pending.keys[i]);
	free(pending.keys);
}

/* --- upkeep --------------------------------------------------------------- */

int lockout_sync_prune(const struct lockout_sync *sync,
		       struct lockout_store *store, int64_t now,
		       bool *more_r, const char **error_r)
{
	static const enum lockout_store_table tables[] = {
		LOCKOUT_STORE_TABLE_FAILURES,
		LOCKOUT_STORE_TABLE_BANS,
		LOCKOUT_STORE_TABLE_EVENTS,
		LOCKOUT_STORE_TABLE_KNOWN_DEVICES,
	};
	const struct lockout_config *cfg = sync->cfg;
	unsigned int deleted;
	int64_t before;
	size_t i;

	*more_r = false;
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		before = now - (int64_t)
			(tables[i] == LOCKOUT_STORE_TABLE_KNOWN_DEVICES ?
			 cfg->known_device_time : cfg->history_time);
		if (lockout_store_prune(store, tables[i], before,
					LOCKOUT_SYNC_PRUNE_BATCH, &deleted,
					error_r) < 0)
			return -1;
		if (deleted == LOCKOUT_SYNC_PRUNE_BATCH)
			*more_r = true;
	}
	return 0;
}
