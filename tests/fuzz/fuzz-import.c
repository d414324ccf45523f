/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* Lines of "doveadm lockout import" (an administrator's list, someone
   else's export): a ban, an allowed network, an empty line or an error,
   nothing else. A ban line that parses with every field exports to a line
   that parses back to the same ban (export and import are inverses). */
#include "fuzz-common.h"
#include "lockout-import.h"

#include <stdbool.h>

static void check_round_trip(const struct lockout_import_line *in)
{
	struct lockout_import_line back;
	struct lockout_str out;
	struct lockout_ban ban;
	const char *error = NULL, *text;

	memset(&ban, 0, sizeof(ban));
	ban.target = in->target.str;
	ban.kind = in->target.kind;
	ban.source = in->source;
	ban.reason = in->reason.len > 0 ? lockout_str_c(
		(struct lockout_str *)&in->reason) : "";
	ban.rule = in->rule;
	ban.created = in->created;
	ban.expires = in->expires;
	ban.failures = in->failures;
	ban.evidence = in->evidence.len > 0 ? lockout_str_c(
		(struct lockout_str *)&in->evidence) : NULL;
	ban.observed = in->observed;
	if (ban.reason == NULL || lockout_ban_validate(&ban, &error) < 0)
		return;

	lockout_str_init(&out);
	lockout_export_ban_line(&out, &ban);
	text = lockout_str_c(&out);
	if (text == NULL) {
		lockout_str_free(&out);
		return;
	}
	lockout_import_line_init(&back);
	CHECK(out.len > 0 && text[out.len - 1] == '\n');
	CHECK(lockout_import_parse_line(text, out.len - 1, &back,
					&error) == 0);
	CHECK(back.type == LOCKOUT_IMPORT_BAN);
	CHECK(strcmp(back.target.str, in->target.str) == 0);
	CHECK(back.target.kind == in->target.kind);
	CHECK(back.created == in->created && back.expires == in->expires);
	CHECK(back.source == in->source && back.failures == in->failures);
	CHECK(back.observed == in->observed);
	CHECK(strcmp(back.rule, in->rule) == 0);
	CHECK(back.reason.len == in->reason.len);
	CHECK(in->reason.len == 0 ||
	      memcmp(back.reason.data, in->reason.data, in->reason.len) == 0);
	lockout_import_line_free(&back);
	lockout_str_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int all = LOCKOUT_IMPORT_CREATED |
		LOCKOUT_IMPORT_EXPIRES | LOCKOUT_IMPORT_SOURCE |
		LOCKOUT_IMPORT_RULE | LOCKOUT_IMPORT_FAILURES |
		LOCKOUT_IMPORT_OBSERVED;
	struct lockout_import_line line;
	const char *error = NULL;
	int ret;

	lockout_import_line_init(&line);
	ret = lockout_import_parse_line((const char *)data, size, &line,
					&error);
	CHECK(ret == 0 || ret == -1);
	if (ret < 0) {
		CHECK(error != NULL);
		CHECK(line.type == LOCKOUT_IMPORT_EMPTY);
	} else if (line.type == LOCKOUT_IMPORT_BAN &&
		   (line.have & all) == all) {
		check_round_trip(&line);
	}
	lockout_import_line_free(&line);
	return 0;
}
