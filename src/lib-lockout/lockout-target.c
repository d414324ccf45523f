/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-target.h"
#include "lockout-error.h"

#include <string.h>

/* Does str look like an attempt at an address or network? Then a typo in
   it must be an error, never a username ban by accident. */
static bool target_looks_like_net(const char *str)
{
	bool dot = false;
	const char *p;

	if (strchr(str, '@') != NULL)
		return false;
	if (strpbrk(str, ":/") != NULL)
		return true;
	for (p = str; *p != '\0'; p++) {
		if (*p == '.')
			dot = true;
		else if (*p < '0' || *p > '9')
			return false;
	}
	return dot;
}

static int target_parse_net(const char *str, unsigned int min4,
			    unsigned int min6, struct lockout_target *target_r,
			    const char **error_r)
{
	char quoted[LOCKOUT_QUOTE_BUF_SIZE];
	const char *error;
	unsigned int min;

	if (lockout_net_parse(str, &target_r->net, &error) < 0) {
		if (strchr(str, '/') != NULL) {
			*error_r = error;
			return -1;
		}
		lockout_error_quote(str, strlen(str), quoted, sizeof(quoted));
		*error_r = lockout_error_fmt("invalid address '%s': not an "
					     "IPv4 or IPv6 address", quoted);
		return -1;
	}
	min = target_r->net.addr.family == LOCKOUT_AF_INET ? min4 : min6;
	if (target_r->net.prefix < min) {
		lockout_error_quote(str, strlen(str), quoted, sizeof(quoted));
		*error_r = lockout_error_fmt("invalid network '%s': wider "
					     "than /%u (the widest %s is an "
					     "IPv4 /%u or an IPv6 /%u)",
					     quoted, min, min4 ==
					     LOCKOUT_BAN_WIDEST_PREFIX4 ?
					     "ban" : "allowed network",
					     min4, min6);
		return -1;
	}
	target_r->kind = lockout_net_is_host(&target_r->net) ?
		LOCKOUT_KIND_IP : LOCKOUT_KIND_NET;
	lockout_net_to_str(&target_r->net, target_r->str);
	return 0;
}

static int target_parse_user(const char *str, struct lockout_target *target_r,
			     const char **error_r)
{
	char quoted[LOCKOUT_QUOTE_BUF_SIZE];
	size_t len = strnlen(str, LOCKOUT_BAN_TARGET_MAX + 1);
	const unsigned char *p;

	if (len == 0) {
		*error_r = lockout_error_fmt("invalid target '': empty");
		return -1;
	}
	lockout_error_quote(str, len, quoted, sizeof(quoted));
	if (len > LOCKOUT_BAN_TARGET_MAX) {
		*error_r = lockout_error_fmt("invalid username '%s': longer "
					     "than %u bytes", quoted,
					     LOCKOUT_BAN_TARGET_MAX);
		return -1;
	}
	for (p = (const unsigned char *)str; *p != '\0'; p++) {
		if (*p <= 0x20 || *p == 0x7f) {
			*error_r = lockout_error_fmt(
				"invalid username '%s': holds whitespace or "
				"control characters", quoted);
			return -1;
		}
	}
	target_r->kind = LOCKOUT_KIND_USER;
	memcpy(target_r->str, str, len + 1);
	return 0;
}

bool lockout_ban_net_too_wide(const struct lockout_net *net)
{
	return net->prefix < (net->addr.family == LOCKOUT_AF_INET ?
			      LOCKOUT_BAN_WIDEST_PREFIX4 :
			      LOCKOUT_BAN_WIDEST_PREFIX6);
}

int lockout_ban_check_target(const struct lockout_ban *ban,
			     struct lockout_net *net_r,
			     const char **problem_r)
{
	memset(net_r, 0, sizeof(*net_r));
	if (ban->kind == LOCKOUT_KIND_USER)
		return 0;
	/* the parser's message names the (escaped) input and the problem,
	   e.g. host bits set */
	if (lockout_net_parse(ban->target, net_r, problem_r) < 0)
		return -1;
	if (ban->kind == LOCKOUT_KIND_IP) {
		if (!lockout_net_is_host(net_r)) {
			*problem_r = "kind ip with a network target";
			return -1;
		}
	} else if (lockout_net_is_host(net_r)) {
		*problem_r = "kind net with a single address";
		return -1;
	} else if (lockout_ban_net_too_wide(net_r)) {
		*problem_r = "network wider than an IPv4 /16 or an IPv6 /32";
		return -1;
	}
	return 0;
}

static int target_parse_min(const char *str, unsigned int min4,
			    unsigned int min6,
			    struct lockout_target *target_r,
			    const char **error_r)
{
	int ret;

	memset(target_r, 0, sizeof(*target_r));
	if (str == NULL) {
		*error_r = lockout_error_fmt("missing target");
		return -1;
	}
	ret = target_looks_like_net(str) ?
		target_parse_net(str, min4, min6, target_r, error_r) :
		target_parse_user(str, target_r, error_r);
	if (ret < 0)
		memset(target_r, 0, sizeof(*target_r));
	return ret;
}

int lockout_target_parse(const char *str, struct lockout_target *target_r,
			 const char **error_r)
{
	return target_parse_min(str, LOCKOUT_BAN_WIDEST_PREFIX4,
				LOCKOUT_BAN_WIDEST_PREFIX6, target_r, error_r);
}

int lockout_target_parse_lookup(const char *str,
				struct lockout_target *target_r,
				const char **error_r)
{
	return target_parse_min(str, 0, 0, target_r, error_r);
}

int lockout_target_parse_network(const char *str,
				 struct lockout_target *target_r,
				 const char **error_r)
{
	char quoted[LOCKOUT_QUOTE_BUF_SIZE];

	if (target_parse_min(str, LOCKOUT_TARGET_MIN_PREFIX4,
			     LOCKOUT_TARGET_MIN_PREFIX6, target_r,
			     error_r) < 0)
		return -1;
	if (target_r->kind == LOCKOUT_KIND_USER) {
		lockout_error_quote(str, strlen(str), quoted, sizeof(quoted));
		*error_r = lockout_error_fmt("invalid network '%s': not an "
					     "address or network", quoted);
		memset(target_r, 0, sizeof(*target_r));
		return -1;
	}
	return 0;
}

bool lockout_target_overlaps(const struct lockout_target *target,
			     const struct lockout_net *nets, size_t count,
			     size_t *idx_r)
{
	size_t i;

	if (target->kind == LOCKOUT_KIND_USER)
		return false;
	for (i = 0; i < count; i++) {
		if (lockout_nets_overlap(&target->net, &nets[i])) {
			if (idx_r != NULL)
				*idx_r = i;
			return true;
		}
	}
	return false;
}
