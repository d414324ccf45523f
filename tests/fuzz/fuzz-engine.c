/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The policy engine fed an arbitrary sequence of attempts, reservations
   and releases (5 bytes each: operation and outcome, source, user,
   password tag, seconds later), with small tables. Invariants: the tables
   stay within their caps, nothing in an allowed network is ever banned or
   refused, a reservation never makes an allowed source wait. */
#include "fuzz-common.h"
#include "lockout-policy.h"

#include <stdio.h>

static const char *const users[] = {
	"alice", "admin", "bob", "root", "info", "", "Alice", "x@example.org"
};

struct state {
	const struct lockout_net *allowed;
	size_t allowed_count;
};

static void decision(const struct lockout_decision *d, void *context)
{
	const struct state *st = context;
	size_t i;

	CHECK(d->target != NULL && d->reason != NULL &&
	      d->evidence != NULL && d->rule != NULL);
	if (d->type != LOCKOUT_DECISION_BAN)
		return;
	for (i = 0; i < st->allowed_count; i++)
		CHECK(!lockout_nets_overlap(&st->allowed[i], &d->net));
}

/* the source of byte b: IPv4 hosts of three /24s (one of them allowed),
   IPv6 addresses of a few /64s (one allowed) */
static void source_of(uint8_t b, struct lockout_addr *addr)
{
	char str[64];

	if (b & 0x80)
		snprintf(str, sizeof(str), "2001:db8:%x::%x", (b >> 4) & 3,
			 b & 15);
	else
		snprintf(str, sizeof(str), "192.0.%u.%u", (b >> 5) & 3,
			 b & 31);
	CHECK(lockout_addr_parse(str, addr) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const settings[][2] = {
		{ "lockout_ip_failures", "3" },
		{ "lockout_user_failures", "4" },
		{ "lockout_max_sources", "64" },
		{ "lockout_max_users", "64" },
		{ "lockout_max_known_devices", "64" },
		{ "lockout_net_ban_hosts", "3" },
		{ "lockout_allow_networks", "192.0.1.0/24 2001:db8:1::/64" },
	};
	const struct lockout_banset_entry *ban;
	struct lockout_attempt a;
	static struct lockout_config cfg;
	static bool have_cfg = false;
	struct lockout_policy *policy;
	struct lockout_net allowed[2];
	struct state st = { allowed, 2 };
	const char *error;
	int64_t now = 1798761600;
	size_t i, memory;
	bool is_allowed;

	if (!have_cfg) {
		/* once: the engine only reads it */
		CHECK(lockout_config_init(&cfg, &error) == 0);
		for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
			CHECK(lockout_config_set(&cfg, settings[i][0],
						 settings[i][1],
						 &error) == 0);
		have_cfg = true;
	}
	CHECK(lockout_net_parse("192.0.1.0/24", &allowed[0], &error) == 0);
	CHECK(lockout_net_parse("2001:db8:1::/64", &allowed[1], &error) == 0);
	policy = lockout_policy_create(&cfg, (const unsigned char *)
				       "0123456789abcdef");
	CHECK(policy != NULL);
	memory = lockout_policy_memory(policy);
	for (i = 0; i + 5 <= size; i += 5) {
		const uint8_t *op = data + i;

		memset(&a, 0, sizeof(a));
		now += op[4] & 0x80 ? (op[4] & 0x7f) * 60 : op[4] & 0x7f;
		a.time = now;
		source_of(op[1], &a.ip);
		is_allowed = lockout_net_contains(&allowed[0], &a.ip) ||
			lockout_net_contains(&allowed[1], &a.ip);
		a.user = users[op[2] & 7];
		a.account = op[2] & 8 ? users[(op[2] >> 4) & 7] : NULL;
		a.service = op[2] & 0x80 ? "imap" : "pop3";
		a.mechanism = "PLAIN";
		a.password_tag = op[3] & 0x0f;
		switch (op[0] & 7) {
		case 6:
			if (lockout_policy_reserve(policy, now, &a.ip) ==
			    LOCKOUT_SLOT_FREE)
				CHECK(is_allowed);
			else
				CHECK(!is_allowed);
			break;
		case 7:
			lockout_policy_release(policy, &a.ip);
			break;
		default:
			a.outcome = (enum lockout_outcome)(op[0] %
				(LOCKOUT_OUTCOME_SUSPECT + 1));
			CHECK(lockout_policy_observe(policy, &a, decision,
						     &st) >= 0);
			break;
		}
		if (is_allowed) {
			CHECK(lockout_policy_check(policy, now, &a.ip, NULL,
						   &ban) !=
			      LOCKOUT_VERDICT_BANNED);
		}
		CHECK(lockout_policy_source_count(policy) <=
		      lockout_policy_source_capacity(policy));
	}
	/* tables never grow (protections and the evidence buffer may, and
	   are bounded by the accounts and the evidence's size) */
	CHECK(lockout_policy_memory(policy) <= memory + 64 * 1024);
	lockout_policy_free(&policy);
	return 0;
}
