/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* Trace lines (JSON Lines of doveadm lockout simulate): an attempt, a
   blank line or an error naming the field, nothing else. */
#include "fuzz-common.h"
#include "lockout-trace.h"
#include "lockout-simulate.h"

static const unsigned char key[LOCKOUT_SIM_KEY_SIZE];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lockout_trace *trace;
	struct lockout_sim_attempt a;
	const char *error = NULL;
	int ret;

	if (trace == NULL && (trace = lockout_trace_create(key)) == NULL)
		return 0;
	ret = lockout_trace_parse(trace, (const char *)data, size, &a, &error);
	CHECK(ret >= -1 && ret <= 1);
	CHECK(ret != -1 || error != NULL);
	return 0;
}
