/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* Dovecot log lines (doveadm lockout simulate --log): the input is split at
   newlines and fed line by line as one file; the parser never fails. */
#include "fuzz-common.h"
#include "lockout-logparse.h"
#include "lockout-simulate.h"

static const unsigned char key[LOCKOUT_SIM_KEY_SIZE];

static int count_attempt(const struct lockout_sim_attempt *a __attribute__((unused)),
			 void *context)
{
	(*(unsigned int *)context)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* one parser for the run (creating one per input costs more than
	   parsing): sessions carry over, as from one file to the next */
	static struct lockout_logparse *parser;
	static unsigned int attempts;
	const uint8_t *p = data, *end = data + size, *nl;
	int64_t t;

	if (parser == NULL &&
	    (parser = lockout_logparse_create(key, count_attempt,
					      &attempts)) == NULL)
		return 0;
	lockout_logparse_begin(parser, 1798761600);
	while (p < end) {
		nl = memchr(p, '\n', end - p);
		if (nl == NULL)
			nl = end;
		(void)lockout_log_line_time((const char *)p, nl - p,
					    1798761600, &t);
		CHECK(lockout_logparse_line(parser, (const char *)p,
					    nl - p) == 0);
		p = nl + 1;
	}
	CHECK(lockout_logparse_finish(parser) == 0);
	return 0;
}
