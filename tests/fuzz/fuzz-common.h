/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H
/* What the libFuzzer targets of tests/fuzz/ share (built and run by
   scripts/fuzz.sh under ASan and UBSan). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* an invariant broken: a crash libFuzzer reports with the input */
#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

/* data as a NUL-terminated string (malloc()ed; NUL bytes in data stay and
   end the string early, as they would for a C caller) */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s != NULL) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}
#endif
