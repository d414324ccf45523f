/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "str.h"
#include "strnum.h"
#include "auth-master.h"
#include "json-parser.h"
#include "doveadm-print-private.h"
#include "doveadm-lockout.h"

/* What differs in Dovecot 2.3's doveadm API, apart from the settings
   (doveadm-lockout-settings-23.c). */

void doveadm_lockout_user_info(struct auth_user_info *info_r)
{
	i_zero(info_r);
	info_r->service = "doveadm";
}

/* The bytes json_append_escaped() copies as they are, printable ASCII but
   '"' and '\\' (it appends every byte one by one; one look at each here). */
static bool json_plain_byte[256];

/* Set while doveadm_print_header() runs, when doveadm's JSON formatter was
   the one called. */
static bool json_header_called;
static void (*json_header_orig)(const struct doveadm_print_header *hdr);

static void json_header_probe(const struct doveadm_print_header *hdr)
{
	json_header_called = TRUE;
	json_header_orig(hdr);
}

bool doveadm_lockout_print_header_json(const char *key,
				       enum doveadm_print_header_flags flags)
{
	unsigned int i;

	/* doveadm tells no plugin which formatter -f chose; the formatter
	   it calls does: its header function is watched for this one call */
	json_header_called = FALSE;
	json_header_orig = doveadm_print_json_vfuncs.header;
	doveadm_print_json_vfuncs.header = json_header_probe;
	doveadm_print_header(key, key, flags);
	doveadm_print_json_vfuncs.header = json_header_orig;
	if (json_header_called) {
		for (i = 0x20; i < 0x7f; i++)
			json_plain_byte[i] = i != '"' && i != '\\';
	}
	return json_header_called;
}

/* The plain bytes text starts with. */
static size_t json_plain_span(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;

	while (json_plain_byte[*p])
		p++;
	return (size_t)(p - (const unsigned char *)text);
}

/* As json_append_escaped(), which it calls for what is not plain. */
static void json_append_str(string_t *dest, const char *text)
{
	size_t len = json_plain_span(text);

	if (text[len] == '\0')
		str_append_data(dest, text, len);
	else
		json_append_escaped(dest, text);
}

void doveadm_lockout_json_key(string_t *dest, const char *key)
{
	str_append_c(dest, '"');
	json_append_str(dest, key);
	str_append_data(dest, "\":", 2);
}

/* As 2.3's doveadm_print_json_print() writes a value. */
void doveadm_lockout_json_value(string_t *dest,
				enum doveadm_print_header_flags flags,
				const char *value)
{
	if (value == NULL)
		str_append_data(dest, "null", 4);
	else if ((flags & DOVEADM_PRINT_HEADER_FLAG_NUMBER) != 0) {
		i_assert(str_is_float(value, '\0'));
		str_append(dest, value);
	} else {
		str_append_c(dest, '"');
		json_append_str(dest, value);
		str_append_c(dest, '"');
	}
}
