/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The JSON reader where it matters, next to jansson doing the same work:
   - trace: one trace line of doveadm lockout simulate (seven keys, five
     strings decoded, the time read as a double), as lockout-trace.c does;
   - number: the time alone, converted to a double;
   - evidence: the integers doveadm lockout show reads from a ban's
     evidence (one lookup per key, each checking the whole document).
   Figures are CPU time (CLOCK_PROCESS_CPUTIME_ID), best of five runs, so a
   busy machine disturbs them less. Built by bench/run-json-bench.sh. */
#include "lockout-json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef HAVE_JANSSON
#  include <jansson.h>
#endif

#define LINES 200000
#define RUNS 5
#define EVIDENCE_READS 200000

static const char *const trace_keys[] = {
	"t", "ip", "user", "service", "mechanism", "result", "pw"
};
#define TRACE_KEYS (sizeof(trace_keys) / sizeof(trace_keys[0]))

/* What doveadm lockout show reads from the evidence, one key at a time. */
static const char *const evidence_keys[] = {
	"failures", "threshold", "window", "total_failures",
	"unknown_user_failures", "repeated_failures", "distinct_passwords",
	"first_seen", "last_seen", "users_more", "distinct_users",
	"previous_bans", "last_ban"
};
#define EVIDENCE_KEYS (sizeof(evidence_keys) / sizeof(evidence_keys[0]))

/* An ip_failures ban as lockout-policy.c writes it. */
static const char evidence[] =
	"{\"rule\":\"ip_failures\",\"failures\":10,\"threshold\":10,"
	"\"window\":600,\"total_failures\":57,\"unknown_user_failures\":41,"
	"\"repeated_failures\":3,\"distinct_passwords\":9,"
	"\"first_seen\":1798761604,\"last_seen\":1798762204,"
	"\"users\":[\"admin\",\"info@example.org\",\"james@example.org\","
	"\"u1919@example.org\",\"root\"],\"users_more\":7,"
	"\"distinct_users\":12,\"distinct_users_capped\":false,"
	"\"services\":[\"imap\",\"submission\"],\"mechanisms\":[\"PLAIN\","
	"\"LOGIN\"],\"previous_bans\":1,\"last_ban\":1798700000,"
	"\"duration\":\"2h\"}";

static char **lines;
static volatile double sink_d;
static volatile size_t sink_n;

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Lines like bench/simulate-gen.py writes, from a fixed seed. */
static void make_lines(void)
{
	static const char *const services[] = {
		"imap", "pop3", "submission", "smtp"
	};
	static const char *const results[] = {
		"ok", "mismatch", "unknown_user"
	};
	static const char *const pws[] = {
		"princess", "qwerty", "123456", "secret-u1181@example.org"
	};
	unsigned int state = 42, i;
	char buf[256];

	lines = calloc(LINES, sizeof(*lines));
	if (lines == NULL)
		exit(1);
	for (i = 0; i < LINES; i++) {
		snprintf(buf, sizeof(buf),
			 "{\"t\":%u.%03u,\"ip\":\"198.18.%u.%u\","
			 "\"user\":\"u%u@example.org\",\"service\":\"%s\","
			 "\"result\":\"%s\",\"pw\":\"%s\"}",
			 1798761604 + i, (unsigned int)rand_r(&state) % 1000,
			 (unsigned int)rand_r(&state) % 256,
			 (unsigned int)rand_r(&state) % 256,
			 (unsigned int)rand_r(&state) % 3000,
			 services[rand_r(&state) % 4],
			 results[rand_r(&state) % 3], pws[rand_r(&state) % 4]);
		lines[i] = strdup(buf);
		if (lines[i] == NULL)
			exit(1);
	}
}

/* Run fn over count items RUNS times; print the best rate. */
static void report(const char *label, unsigned int count,
		   int (*fn)(unsigned int))
{
	double best = 0, start, secs;
	unsigned int run, i;

	for (run = 0; run < RUNS; run++) {
		start = cpu_now();
		for (i = 0; i < count; i++) {
			if (fn(i) < 0) {
				fprintf(stderr, "%s: item %u failed\n",
					label, i);
				exit(1);
			}
		}
		secs = cpu_now() - start;
		if (best == 0 || secs < best)
			best = secs;
	}
	printf("%-36s %9.0f /s  %7.3f us each\n", label, count / best,
	       best * 1e6 / count);
}

static int reader_trace(unsigned int i)
{
	const char *values[TRACE_KEYS];
	char buf[256];
	unsigned int k;
	size_t len;
	double t;

	if (lockout_json_find_values(lines[i], trace_keys, TRACE_KEYS,
				     values) < 0 ||
	    lockout_json_value_double(values[0], &t) < 0)
		return -1;
	for (k = 1; k < TRACE_KEYS; k++) {
		if (values[k] != NULL &&
		    lockout_json_value_string(values[k], buf, sizeof(buf),
					      &len) < 0)
			return -1;
		sink_n += len;
	}
	sink_d += t;
	return 0;
}

static int reader_number(unsigned int i)
{
	double t;

	/* the line starts with {"t": */
	if (lockout_json_value_double(lines[i] + 5, &t) < 0)
		return -1;
	sink_d += t;
	return 0;
}

static int reader_evidence(unsigned int i)
{
	int64_t value;
	unsigned int k;

	(void)i;
	for (k = 0; k < EVIDENCE_KEYS; k++) {
		if (lockout_json_get_int(evidence, evidence_keys[k],
					 &value) != 1)
			return -1;
		sink_n += (size_t)value;
	}
	return 0;
}

#ifdef HAVE_JANSSON
static int jansson_trace(unsigned int i)
{
	char buf[256];
	json_error_t error;
	json_t *root, *value;
	unsigned int k;
	const char *s;
	size_t len;
	int ret = 0;

	root = json_loads(lines[i], JSON_REJECT_DUPLICATES, &error);
	if (root == NULL || !json_is_object(root))
		ret = -1;
	value = root == NULL ? NULL : json_object_get(root, "t");
	if (!json_is_number(value))
		ret = -1;
	else
		sink_d += json_number_value(value);
	for (k = 1; k < TRACE_KEYS && ret == 0; k++) {
		value = json_object_get(root, trace_keys[k]);
		if (value == NULL)
			continue;
		s = json_string_value(value);
		len = json_string_length(value);
		if (s == NULL || len >= sizeof(buf) || memchr(s, 0, len))
			ret = -1;
		else
			memcpy(buf, s, len + 1);
		sink_n += len;
	}
	json_decref(root);
	return ret;
}

static int jansson_number(unsigned int i)
{
	json_error_t error;
	const char *p = lines[i] + 5;
	json_t *value;

	/* the number alone, as a JSON text of its own */
	value = json_loadb(p, strcspn(p, ","), JSON_DECODE_ANY, &error);
	if (!json_is_number(value)) {
		json_decref(value);
		return -1;
	}
	sink_d += json_number_value(value);
	json_decref(value);
	return 0;
}

static int jansson_evidence(unsigned int i)
{
	json_error_t error;
	json_t *root, *value;
	unsigned int k;
	int ret = 0;

	(void)i;
	root = json_loads(evidence, JSON_REJECT_DUPLICATES, &error);
	if (root == NULL)
		return -1;
	for (k = 0; k < EVIDENCE_KEYS; k++) {
		value = json_object_get(root, evidence_keys[k]);
		if (!json_is_integer(value))
			ret = -1;
		else
			sink_n += (size_t)json_integer_value(value);
	}
	json_decref(root);
	return ret;
}
#endif

int main(void)
{
	make_lines();
	printf("trace line, e.g. %s\n", lines[0]);
	printf("evidence: %zu bytes, %zu integers read\n\n",
	       sizeof(evidence) - 1, EVIDENCE_KEYS);
	report("reader: trace line", LINES, reader_trace);
	report("reader: number (t)", LINES, reader_number);
	report("reader: evidence (show, per key)", EVIDENCE_READS / 10,
	       reader_evidence);
#ifdef HAVE_JANSSON
	printf("\n");
	report("jansson: trace line", LINES, jansson_trace);
	report("jansson: number (t)", LINES, jansson_number);
	report("jansson: evidence (load + gets)", EVIDENCE_READS / 10,
	       jansson_evidence);
#else
	printf("\n(jansson not measured: libjansson-dev is not installed)\n");
#endif
	return 0;
}
