/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#define _GNU_SOURCE /* strtod_l() */
/* The strict reader of flat JSON objects (ban evidence, trace lines). */
#include "lockout-json.h"
#include "lockout-utf8.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Nesting allowed inside a value of the top-level object. */
#define JSON_MAX_DEPTH 32

/* Where the reader puts a decoded string: compared with cmp, copied into
   buf, both or neither. */
struct json_sink {
	const char *cmp;
	char *buf;
	size_t size, len;
	bool mismatch, overflow, nul;
};

static void sink_emit(struct json_sink *sink, const char *data, size_t n)
{
	size_t i;

	if (sink == NULL)
		return;
	if (sink->cmp != NULL) {
		for (i = 0; i < n && !sink->mismatch; i++) {
			if (sink->cmp[sink->len + i] == '\0' ||
			    sink->cmp[sink->len + i] != data[i])
				sink->mismatch = true;
		}
	}
	if (sink->buf != NULL) {
		if (sink->overflow || n >= sink->size - sink->len)
			sink->overflow = true;
		else
			memcpy(sink->buf + sink->len, data, n);
	}
	sink->len += n;
}

static bool sink_matches(const struct json_sink *sink)
{
	return !sink->mismatch && sink->cmp[sink->len] == '\0';
}

static void skip_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Read the 4 hex digits of a \u escape at *p. */
static int parse_hex4(const char **p, uint32_t *value_r)
{
	uint32_t value = 0;
	int i, digit;

	for (i = 0; i < 4; i++) {
		digit = hex_value((*p)[i]);	/* NUL is no digit: stops */
		if (digit < 0)
			return -1;
		value = (value << 4) | (uint32_t)digit;
	}
	*p += 4;
	*value_r = value;
	return 0;
}

static void sink_emit_cp(struct json_sink *sink, uint32_t cp)
{
	char out[4];
	size_t n;

	if (cp < 0x80) {
		out[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		out[0] = (char)(0xf0 | (cp >> 18));
		out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (cp == 0 && sink != NULL)
		sink->nul = true;
	sink_emit(sink, out, n);
}

/* Text that stands for itself in a JSON string. */
static bool json_is_ascii_text(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* Read a JSON string at *p (which is '"'), decoding it into sink (may be
   NULL). */
static int parse_string(const char **p, struct json_sink *sink)
{
	const char *s = *p + 1;
	uint32_t cp, low;
	size_t len;
	char c;

	for (;;) {
		c = *s;
		if (c == '"')
			break;
		if ((unsigned char)c < 0x20)	/* NUL too */
			return -1;
		if (json_is_ascii_text((unsigned char)c)) {
			/* a run of ASCII text at once: the common case */
			for (len = 1; json_is_ascii_text((unsigned char)s[len]);
			     len++) ;
			sink_emit(sink, s, len);
			s += len;
			continue;
		}
		if (c != '\\') {
			len = lockout_utf8_decode((const unsigned char *)s, &cp);
			if (cp == UINT32_MAX)
				return -1;
			sink_emit(sink, s, len);
			s += len;
			continue;
		}
		s++;
		switch (*s++) {
		case '"': sink_emit(sink, "\"", 1); break;
		case '\\': sink_emit(sink, "\\", 1); break;
		case '/': sink_emit(sink, "/", 1); break;
		case 'b': sink_emit(sink, "\b", 1); break;
		case 'f': sink_emit(sink, "\f", 1); break;
		case 'n': sink_emit(sink, "\n", 1); break;
		case 'r': sink_emit(sink, "\r", 1); break;
		case 't': sink_emit(sink, "\t", 1); break;
		case 'u':
			if (parse_hex4(&s, &cp) < 0)
				return -1;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -1;	/* lone low surrogate */
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (s[0] != '\\' || s[1] != 'u')
					return -1;
				s += 2;
				if (parse_hex4(&s, &low) < 0 ||
				    low < 0xdc00 || low > 0xdfff)
					return -1;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
					(low - 0xdc00);
			}
			sink_emit_cp(sink, cp);
			break;
		default:
			/* includes NUL: s went one past it, but is not read
			   again */
			return -1;
		}
	}
	*p = s + 1;
	return 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Check a JSON number at *p and move past it. *is_int_r: it has no fraction
   or exponent. */
static int parse_number(const char **p, bool *is_int_r)
{
	const char *s = *p;

	*is_int_r = true;
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9') {
		while (is_digit(*s))
			s++;
	} else
		return -1;
	if (*s == '.') {
		*is_int_r = false;
		s++;
		if (!is_digit(*s))
			return -1;
		while (is_digit(*s))
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		*is_int_r = false;
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!is_digit(*s))
			return -1;
		while (is_digit(*s))
			s++;
	}
	*p = s;
	return 0;
}

static int parse_literal(const char **p, const char *literal)
{
	size_t len = strlen(literal);

	/* strncmp() stops at the first difference, NUL included. */
	if (strncmp(*p, literal, len) != 0)
		return -1;
	*p += len;
	return 0;
}

/* Read "key": at *p into sink. */
static int parse_member_key(const char **p, struct json_sink *sink)
{
	skip_ws(p);
	if (**p != '"' || parse_string(p, sink) < 0)
		return -1;
	skip_ws(p);
	if (**p != ':')
		return -1;
	(*p)++;
	skip_ws(p);
	return 0;
}

/* Check one JSON value at *p (any type, nested up to JSON_MAX_DEPTH) and
   move past it. Iterative, so hostile nesting cannot exhaust the stack. */
static int skip_value(const char **p)
{
	char closers[JSON_MAX_DEPTH];
	unsigned int depth = 0;
	bool is_int;

	for (;;) {
		skip_ws(p);
		switch (**p) {
		case '{':
		case '[':
			if (depth == JSON_MAX_DEPTH)
				return -1;
			closers[depth++] = **p == '{' ? '}' : ']';
			(*p)++;
			skip_ws(p);
			if (**p == closers[depth - 1]) {
				(*p)++;
				depth--;
				break;
			}
			if (closers[depth - 1] == '}' &&
			    parse_member_key(p, NULL) < 0)
				return -1;
			continue;	/* read the first element */
		case '"':
			if (parse_string(p, NULL) < 0)
				return -1;
			break;
		case 't':
			if (parse_literal(p, "true") < 0)
				return -1;
			break;
		case 'f':
			if (parse_literal(p, "false") < 0)
				return -1;
			break;
		case 'n':
			if (parse_literal(p, "null") < 0)
				return -1;
			break;
		default:
			if (parse_number(p, &is_int) < 0)
				return -1;
			break;
		}
		/* A value is complete: close containers or go to the next
		   element. */
		for (;;) {
			if (depth == 0)
				return 0;
			skip_ws(p);
			if (**p == closers[depth - 1]) {
				(*p)++;
				depth--;
				continue;
			}
			if (**p != ',')
				return -1;
			(*p)++;
			if (closers[depth - 1] == '}' &&
			    parse_member_key(p, NULL) < 0)
				return -1;
			break;
		}
	}
}

/* Longest key lockout_json_find_values() can look for. */
#define JSON_FIND_KEY_MAX 63

/* Check all of json and find the values of the count top-level keys:
   values_r[i] points at the value of keys[i] ("null" included) or is NULL.
   One key of any length is compared while it is decoded; several are
   decoded into a buffer first and must be at most JSON_FIND_KEY_MAX bytes.
   Returns how many were found, or -1 when json is malformed or one of the
   keys is there twice. With cb (and count 0), cb is called for every member
   as it is met (the key NULL when it is too long or holds NUL); its -1
   stops the scan with -1. */
static int json_scan_members(const char *json, const char *const *keys,
			     size_t count, const char **values_r,
			     lockout_json_member_cb_t *cb, void *context)
{
	const char *p = json;
	char keybuf[JSON_FIND_KEY_MAX + 1];
	struct json_sink sink;
	int found = 0;
	size_t i;

	for (i = 0; i < count; i++)
		values_r[i] = NULL;
	if (json == NULL)
		return -1;
	skip_ws(&p);
	if (*p != '{')
		return -1;
	p++;
	skip_ws(&p);
	if (*p == '}')
		p++;
	else {
		for (;;) {
			memset(&sink, 0, sizeof(sink));
			if (count == 1) {
				sink.cmp = keys[0];
			} else {
				sink.buf = keybuf;
				sink.size = sizeof(keybuf);
			}
			if (parse_member_key(&p, &sink) < 0)
				return -1;
			/* a key too long for keybuf, or holding NUL, is none
			   of the wanted ones */
			if (count != 1 && !sink.overflow && !sink.nul)
				keybuf[sink.len] = '\0';
			if (cb != NULL &&
			    cb(sink.overflow || sink.nul ? NULL : keybuf, p,
			       context) < 0)
				return -1;
			for (i = 0; i < count; i++) {
				if (count == 1 ? !sink_matches(&sink) :
				    (sink.overflow || sink.nul ||
				     strcmp(keys[i], keybuf) != 0))
					continue;
				if (values_r[i] != NULL)
					return -1;	/* duplicate key */
				values_r[i] = p;
				found++;
			}
			if (skip_value(&p) < 0)
				return -1;
			skip_ws(&p);
			if (*p == '}') {
				p++;
				break;
			}
			if (*p != ',')
				return -1;
			p++;
		}
	}
	skip_ws(&p);
	if (*p != '\0')
		return -1;
	return found;
}

static int json_scan(const char *json, const char *const *keys, size_t count,
		     const char **values_r)
{
	return json_scan_members(json, keys, count, values_r, NULL, NULL);
}

int lockout_json_iter_members(const char *json,
			      lockout_json_member_cb_t *cb, void *context)
{
	/* all of it checked before the first call */
	if (json_scan(json, NULL, 0, NULL) < 0)
		return -1;
	return json_scan_members(json, NULL, 0, NULL, cb, context) < 0 ?
		-1 : 0;
}

/* Check all of json and find the value of top-level key. Returns 1 with
   *value_r pointing at it, 0 when missing or null, -1 when malformed or the
   key is there twice. */
static int json_find(const char *json, const char *key, const char **value_r)
{
	int ret;

	*value_r = NULL;
	if (key == NULL)
		return -1;
	ret = json_scan(json, &key, 1, value_r);
	if (ret > 0 && **value_r == 'n') {
		*value_r = NULL;
		return 0;	/* null */
	}
	return ret;
}

int lockout_json_get_int(const char *json, const char *key,
			 int64_t *value_r)
{
	const char *value, *p;
	uint64_t num = 0, limit = INT64_MAX;
	bool negative = false, is_int;
	int ret;

	ret = json_find(json, key, &value);
	if (ret <= 0)
		return ret;
	p = value;
	if (parse_number(&p, &is_int) < 0 || !is_int)
		return -1;
	p = value;
	if (*p == '-') {
		negative = true;
		limit = (uint64_t)INT64_MAX + 1;
		p++;
	}
	for (; is_digit(*p); p++) {
		if (num > (limit - (uint64_t)(*p - '0')) / 10)
			return -1;
		num = num * 10 + (uint64_t)(*p - '0');
	}
	if (!negative)
		*value_r = (int64_t)num;
	else if (num == (uint64_t)INT64_MAX + 1)
		*value_r = INT64_MIN;
	else
		*value_r = -(int64_t)num;
	return 1;
}

const char *lockout_json_value_end(const char *value)
{
	const char *p = value;

	if (skip_value(&p) < 0)
		return value;
	return p;
}

int lockout_json_value_string(const char *value, char *buf, size_t size,
			      size_t *len_r)
{
	struct json_sink sink;

	*len_r = 0;
	if (size > 0)
		buf[0] = '\0';
	if (value == NULL || *value != '"' || size == 0)
		return -1;
	memset(&sink, 0, sizeof(sink));
	sink.buf = buf;
	sink.size = size;
	if (parse_string(&value, &sink) < 0 || sink.overflow || sink.nul) {
		buf[0] = '\0';
		return -1;
	}
	buf[sink.len] = '\0';
	*len_r = sink.len;
	return 0;
}

int lockout_json_get_string(const char *json, const char *key,
			    char *buf, size_t size)
{
	const char *value;
	size_t len;
	int ret;

	if (size > 0)
		buf[0] = '\0';
	ret = json_find(json, key, &value);
	if (ret <= 0)
		return ret;
	return lockout_json_value_string(value, buf, size, &len) < 0 ? -1 : 1;
}

int lockout_json_value_double(const char *value, double *value_r)
{
	const char *p = value;
	locale_t c_locale;
	char *end;
	bool is_int;
	double d;

	*value_r = 0;
	if (value == NULL || parse_number(&p, &is_int) < 0)
		return -1;
	/* strtod() would follow LC_NUMERIC (a decimal comma in de_DE) and
	   accept more than JSON: convert the checked number in the C locale,
	   correctly rounded. glibc hands out its static C locale here, with
	   no allocation. */
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (c_locale == (locale_t)0)
		return -1;
	errno = 0;
	d = strtod_l(value, &end, c_locale);
	freelocale(c_locale);
	/* infinity is not a number JSON can mean; an underflow reads as the
	   nearest double (0 or subnormal) */
	if (end != p || (errno == ERANGE && isinf(d)))
		return -1;
	*value_r = d;
	return 0;
}

int lockout_json_get_double(const char *json, const char *key,
			    double *value_r)
{
	const char *value;
	int ret;

	*value_r = 0;
	ret = json_find(json, key, &value);
	if (ret <= 0)
		return ret;
	return lockout_json_value_double(value, value_r) < 0 ? -1 : 1;
}

int lockout_json_find_values(const char *json, const char *const *keys,
			     size_t count, const char **values_r)
{
	size_t i;

	if (json_scan(json, keys, count, values_r) < 0) {
		for (i = 0; i < count; i++)
			values_r[i] = NULL;
		return -1;
	}
	for (i = 0; i < count; i++) {
		if (values_r[i] != NULL && *values_r[i] == 'n')
			values_r[i] = NULL;	/* null */
	}
	return 0;
}
