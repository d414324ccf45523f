/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-trace.h"
#include "lockout-error.h"
#include "lockout-json.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Times beyond this cannot be told apart to the second by a double. */
#define TRACE_TIME_LIMIT 9007199254740992.0 /* 2^53 */

struct lockout_trace {
	unsigned char key[LOCKOUT_SIM_KEY_SIZE];
	/* the line, NUL-terminated, for the JSON reader */
	char line[LOCKOUT_TRACE_LINE_MAX + 1];
	char pw[LOCKOUT_TRACE_PW_MAX + 1];
};

enum trace_field {
	FIELD_T,
	FIELD_IP,
	FIELD_USER,
	FIELD_SERVICE,
	FIELD_MECHANISM,
	FIELD_RESULT,
	FIELD_PW,
	FIELD_COUNT
};

static const char *const field_names[FIELD_COUNT] = {
	[FIELD_T] = "t",
	[FIELD_IP] = "ip",
	[FIELD_USER] = "user",
	[FIELD_SERVICE] = "service",
	[FIELD_MECHANISM] = "mechanism",
	[FIELD_RESULT] = "result",
	[FIELD_PW] = "pw",
};

struct lockout_trace *
lockout_trace_create(const unsigned char key[LOCKOUT_SIM_KEY_SIZE])
{
	struct lockout_trace *trace;

	trace = calloc(1, sizeof(*trace));
	if (trace == NULL)
		return NULL;
	memcpy(trace->key, key, sizeof(trace->key));
	return trace;
}

void lockout_trace_free(struct lockout_trace **_trace)
{
	struct lockout_trace *trace = *_trace;

	if (trace == NULL)
		return;
	*_trace = NULL;
	sodium_memzero(trace, sizeof(*trace));
	free(trace);
}

/* Read an optional string field into buf; 0 when absent (buf ""). */
static int trace_string(const char *value, enum trace_field field, char *buf,
			size_t size, const char **error_r)
{
	size_t len;

	buf[0] = '\0';
	if (value == NULL)
		return 0;
	if (lockout_json_value_string(value, buf, size, &len) < 0) {
		*error_r = lockout_error_fmt("%s: not a string, longer than "
					     "%zu bytes, or holding \\u0000",
					     field_names[field], size - 1);
		return -1;
	}
	return 1;
}

static int trace_time(const char *value, int64_t *time_r,
		      const char **error_r)
{
	double t;
	int64_t secs;

	if (value == NULL) {
		*error_r = "t: missing";
		return -1;
	}
	if (lockout_json_value_double(value, &t) < 0) {
		*error_r = "t: not a number";
		return -1;
	}
	if (!(t > -TRACE_TIME_LIMIT && t < TRACE_TIME_LIMIT)) {
		*error_r = "t: out of range (|t| must be below 2^53)";
		return -1;
	}
	/* the engine counts whole seconds: round down */
	secs = (int64_t)t;
	if ((double)secs > t)
		secs--;
	*time_r = secs;
	return 0;
}

static int trace_result(const char *value, enum lockout_sim_result *result_r,
			const char **error_r)
{
	char buf[16];
	int ret;

	ret = trace_string(value, FIELD_RESULT, buf, sizeof(buf), error_r);
	if (ret == 0)
		*error_r = "result: missing";
	if (ret <= 0)
		return -1;
	if (strcmp(buf, "ok") == 0)
		*result_r = LOCKOUT_SIM_OK;
	else if (strcmp(buf, "mismatch") == 0)
		*result_r = LOCKOUT_SIM_MISMATCH;
	else if (strcmp(buf, "unknown_user") == 0)
		*result_r = LOCKOUT_SIM_UNKNOWN_USER;
	else {
		*error_r = "result: must be \"ok\", \"mismatch\" or "
			"\"unknown_user\"";
		return -1;
	}
	return 0;
}

static int trace_ip(const char *value, struct lockout_addr *ip_r,
		    const char **error_r)
{
	char buf[LOCKOUT_ADDR_STRLEN + 16];
	char quoted[LOCKOUT_QUOTE_BUF_SIZE];
	int ret;

	ret = trace_string(value, FIELD_IP, buf, sizeof(buf), error_r);
	if (ret == 0)
		*error_r = "ip: missing";
	if (ret <= 0)
		return -1;
	if (lockout_addr_parse(buf, ip_r) < 0) {
		lockout_error_quote(buf, strlen(buf), quoted, sizeof(quoted));
		*error_r = lockout_error_fmt("ip: not an IPv4 or IPv6 address: "
					     "\"%s\"", quoted);
		return -1;
	}
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int lockout_trace_parse(struct lockout_trace *trace, const char *line,
			size_t len, struct lockout_sim_attempt *attempt_r,
			const char **error_r)
{
	const char *values[FIELD_COUNT];
	const char *nul;
	size_t pw_len;
	int ret;

	memset(attempt_r, 0, sizeof(*attempt_r));
	attempt_r->count = 1;
	while (len > 0 && is_blank(line[len - 1]))
		len--;
	while (len > 0 && is_blank(*line)) {
		line++;
		len--;
	}
	if (len == 0)
		return 0;
	if (len > LOCKOUT_TRACE_LINE_MAX) {
		*error_r = lockout_error_fmt("line longer than %u bytes",
					     LOCKOUT_TRACE_LINE_MAX);
		return -1;
	}
	nul = memchr(line, '\0', len);
	if (nul != NULL) {
		*error_r = lockout_error_fmt("NUL byte at column %zu",
					     (size_t)(nul - line) + 1);
		return -1;
	}
	memcpy(trace->line, line, len);
	trace->line[len] = '\0';

	if (lockout_json_find_values(trace->line, field_names, FIELD_COUNT,
				     values) < 0) {
		*error_r = "not one JSON object (RFC 8259, UTF-8, no duplicate "
			"keys)";
		ret = -1;
	} else if (trace_time(values[FIELD_T], &attempt_r->time,
			      error_r) < 0 ||
		   trace_ip(values[FIELD_IP], &attempt_r->ip, error_r) < 0 ||
		   trace_result(values[FIELD_RESULT], &attempt_r->result,
				error_r) < 0 ||
		   trace_string(values[FIELD_SERVICE], FIELD_SERVICE,
				attempt_r->service, sizeof(attempt_r->service),
				error_r) < 0 ||
		   trace_string(values[FIELD_MECHANISM], FIELD_MECHANISM,
				attempt_r->mechanism,
				sizeof(attempt_r->mechanism), error_r) < 0) {
		ret = -1;
	} else if ((ret = trace_string(values[FIELD_USER], FIELD_USER,
				       attempt_r->user,
				       sizeof(attempt_r->user),
				       error_r)) <= 0) {
		if (ret == 0)
			*error_r = "user: missing";
		ret = -1;
	} else if (values[FIELD_PW] != NULL &&
		   lockout_json_value_string(values[FIELD_PW], trace->pw,
					     sizeof(trace->pw),
					     &pw_len) < 0) {
		*error_r = lockout_error_fmt("pw: not a string, longer than %u "
					     "bytes, or holding \\u0000",
					     LOCKOUT_TRACE_PW_MAX);
		ret = -1;
	} else {
		if (values[FIELD_PW] != NULL) {
			attempt_r->password_tag =
				lockout_password_tag(trace->key, trace->pw,
							 pw_len);
		}
		ret = 1;
	}
	/* a password may be in the line (even a malformed one) and in its
	   decoded copy */
	sodium_memzero(trace->line, len);
	if (values[FIELD_PW] != NULL)
		sodium_memzero(trace->pw, sizeof(trace->pw));
	if (ret < 0) {
		memset(attempt_r, 0, sizeof(*attempt_r));
		attempt_r->count = 1;
	}
	return ret;
}
