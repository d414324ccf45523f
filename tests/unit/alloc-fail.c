/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include <stdbool.h>
#include <stddef.h>

#include "alloc-fail.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t nmemb, size_t size);
void *__real_realloc(void *ptr, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t nmemb, size_t size);
void *__wrap_realloc(void *ptr, size_t size);

/* allocations left before the one that fails; -1 = none fails */
static long alloc_countdown = -1;
static bool alloc_failed;

void test_alloc_fail_nth(long n)
{
	alloc_countdown = n;
	alloc_failed = false;
}

bool test_alloc_disarm(void)
{
	alloc_countdown = -1;
	return alloc_failed;
}

static bool alloc_fails(void)
{
	if (alloc_countdown < 0)
		return false;
	if (alloc_countdown-- > 0)
		return false;
	alloc_failed = true;
	return true;
}

void *__wrap_malloc(size_t size)
{
	return alloc_fails() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t nmemb, size_t size)
{
	return alloc_fails() ? NULL : __real_calloc(nmemb, size);
}

void *__wrap_realloc(void *ptr, size_t size)
{
	return alloc_fails() ? NULL : __real_realloc(ptr, size);
}
