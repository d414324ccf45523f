/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOGPARSE_TEST_H
#define LOGPARSE_TEST_H

/* What the log parser tests share: a parser whose attempts are collected,
   fed lines, and the attempts compared with a table. */

#include "lockout-logparse.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))
#define MAX_ATTEMPTS 128

/* short names for the tables */
#define OK LOCKOUT_SIM_OK
#define MM LOCKOUT_SIM_MISMATCH
#define UU LOCKOUT_SIM_UNKNOWN_USER
#define FL LOCKOUT_SIM_FAILED
#define RF LOCKOUT_SIM_REFUSED

/* 2026-11-28 04:00:00 UTC: the logs of the tests were written just
   before. */
#define REFERENCE 1795838400
/* 2026-11-28 03:28:44 UTC */
#define T0 1795836524

/* The key of the parsers' password tags. */
extern const unsigned char parser_key[LOCKOUT_SIM_KEY_SIZE];

/* A real excerpt of the integration harness's Dovecot 2.3.19.1 with
   auth_verbose = yes (its lockout plugin refusing two logins). */
#define VERBOSE_LOG_LINES 17
extern const char *const verbose_log[VERBOSE_LOG_LINES];

struct collector {
	struct lockout_sim_attempt a[MAX_ATTEMPTS];
	unsigned int count;
	int stop_after; /* 0 = never */
	/* only count, keep nothing */
	bool count_only;
	uint64_t total;
};

struct expect {
	enum lockout_sim_result result;
	const char *user, *ip, *service;
	unsigned int count;
	int64_t dt; /* seconds after T0 */
};

/* A parser (dates placed before REFERENCE) handing its attempts to c,
   which is emptied; attempts must never go back in time. */
struct lockout_logparse *parser_new(struct collector *c);
/* Give the parser count lines, then finish. */
void feed(struct lockout_logparse *parser, const char *const *lines,
	  size_t count);
/* The attempts collected are exactly those of e. */
void check_attempts(const struct collector *c, const struct expect *e,
		    size_t count);

#endif
