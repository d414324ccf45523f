/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* Ban rows as lockoutd and the auth process read them back from the table
   (any process with write access may have put anything there): fields are
   separated by tabs in the input (target, reason, rule, kind, source,
   evidence); times come from the first bytes. Whatever lockoutd pushes to
   the firewall is a valid, canonical network. */
#include "fuzz-common.h"
#include "lockout-addr.h"
#include "lockout-ban.h"
#include "lockout-target.h"
#include "lockoutd-rows.h"

#define FIELDS 6

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *fields[FIELDS], *p, buf[LOCKOUT_NET_STRLEN];
	struct lockoutd_exempt exempt;
	struct lockoutd_elem elem;
	struct lockout_ban ban;
	struct lockout_net net, net2;
	enum lockout_kind kind;
	enum lockout_source source;
	const char *problem;
	int64_t times[3] = { 0, 0, 0 };
	unsigned int i;

	if (size < 3)
		return 0;
	for (i = 0; i < 3; i++)
		times[i] = (int64_t)(int8_t)data[i] * 1000 + 1798761600;
	s = fuzz_strdup(data + 3, size - 3);
	if (s == NULL)
		return 0;
	for (i = 0, p = s; i < FIELDS; i++) {
		fields[i] = p;
		if (p != NULL && (p = strchr(p, '\t')) != NULL)
			*p++ = '\0';
		if (fields[i] == NULL)
			fields[i] = "";
	}
	if (lockoutd_net_from_row(fields[0], &net, &problem) == 0) {
		/* what is pushed is the canonical form of what was read */
		lockout_net_to_str(&net, buf);
		CHECK(lockoutd_net_from_row(buf, &net2, &problem) == 0);
		CHECK(memcmp(&net, &net2, sizeof(net)) == 0);
	}
	memset(&ban, 0, sizeof(ban));
	ban.target = fields[0];
	ban.reason = fields[1];
	ban.rule = fields[2];
	ban.kind = lockout_kind_parse(fields[3], &kind) == 0 ? kind :
		(enum lockout_kind)(data[0] & 7);
	ban.source = lockout_source_parse(fields[4], &source) == 0 ? source :
		(enum lockout_source)(data[1] & 7);
	ban.evidence = fields[5];
	ban.created = times[0];
	ban.expires = data[2] & 1 ? 0 : times[1];
	ban.lifted = data[2] & 2 ? times[2] : 0;
	ban.observed = (data[2] & 4) != 0;
	(void)lockout_ban_validate(&ban, &problem);
	lockoutd_exempt_init(&exempt);
	if (lockoutd_row_check(&ban, 1798761600, &exempt, &elem,
			       &problem) == LOCKOUTD_PUSH) {
		CHECK(lockoutd_net_from_row(ban.target, &net2,
					    &problem) == 0);
		CHECK(memcmp(&elem.net, &net2, sizeof(net2)) == 0);
		/* never wider than a ban may be, as the auth process reads
		   it too */
		CHECK(!lockout_ban_net_too_wide(&elem.net));
		CHECK(lockout_ban_check_target(&ban, &net2, &problem) == 0);
	}
	lockoutd_exempt_free(&exempt);
	free(s);
	return 0;
}
