/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* doveadm lockout arguments (durations, counts, reasons, top columns) and
   settings values (intervals, numbers, lists; the first byte picks the
   setting): a value is taken or refused with an error, and an interval
   prints back to itself. */
#include "fuzz-common.h"
#include "lockout-args.h"
#include "lockout-config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lockout_config cfg;
	const char *error, *column;
	unsigned int count;
	uint32_t secs, secs2;
	char buf[32];
	char *s;

	if (size == 0)
		return 0;
	s = fuzz_strdup(data + 1, size - 1);
	if (s == NULL)
		return 0;
	if (lockout_interval_parse(s, true, &secs, &error) == 0) {
		lockout_interval_to_str(secs, buf, sizeof(buf));
		CHECK(lockout_interval_parse(buf, true, &secs2, &error) == 0);
		CHECK(secs == secs2);
	}
	if (lockout_duration_parse(s, data[0] & 1, &secs, &error) == 0)
		CHECK(secs > 0);
	else
		CHECK(error != NULL);
	if (lockout_count_parse(s, 1000, &count, &error) == 0)
		CHECK(count >= 1 && count <= 1000);
	if (lockout_reason_check(s, &error) != 0)
		CHECK(error != NULL);
	if (lockout_top_column_parse(s, &column, &error) == 0)
		CHECK(column != NULL);
	if (lockout_config_init(&cfg, &error) == 0) {
		const char *name = lockout_config_name(data[0] %
						       lockout_config_count());

		if (lockout_config_set(&cfg, name, s, &error) == 0)
			(void)lockout_config_check(&cfg, &error);
		else
			CHECK(error != NULL);
	}
	lockout_config_free(&cfg);
	free(s);
	return 0;
}
