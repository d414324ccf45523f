/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef ALLOC_FAIL_H
#define ALLOC_FAIL_H

#include <stdbool.h>

/* Allocation failures on demand. A test program that links alloc-fail.c is
   linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc, so that the
   allocations of the core library (and of the test itself, but not those
   of shared libraries such as SQLite) go through here. */

/* Make the allocation n allocations from now fail (0: the next one); the
   others succeed. */
void test_alloc_fail_nth(long n);
/* Fail nothing from now on. Returns true when the armed failure happened
   (false when there were not that many allocations). */
bool test_alloc_disarm(void);

#endif
