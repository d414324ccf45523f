/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_CONFIG_PRIVATE_H
#define LOCKOUT_CONFIG_PRIVATE_H

/* Between the settings table (lockout-config.c) and the parsers of its
   values (lockout-config-value.c). */

#include "lockout-config.h"

#include <stdbool.h>
#include <stddef.h>

enum setting_type {
	SET_STR,	/* char *, strdup()ed */
	SET_ENUM,	/* an enum, index into enum_values */
	SET_UINT,	/* unsigned int, decimal within min..max */
	SET_TIME,	/* uint32_t seconds, interval within min..max */
	SET_WORDLIST,	/* char **, lower-cased, NULL-terminated, one block */
	SET_NETLIST,	/* struct lockout_net * + size_t count */
	SET_PORTLIST,	/* uint16_t * + size_t count; NULL/0 = "all" */
};

/* lockout_config_load(): an empty value is a value ("none"), not "unset,
   use the default". */
#define SET_FLAG_EMPTY_IS_VALUE 0x01
/* SET_TIME: "permanent" is allowed. */
#define SET_FLAG_PERMANENT 0x02
/* SET_STR: must start with '/'. */
#define SET_FLAG_ABS_PATH 0x04
/* SET_STR: a mailbox of a mail header, "local@domain" or
   "Display Name <local@domain>" (ASCII; see lockout-config-value.c) */
#define SET_FLAG_MAILBOX 0x08
/* lockout_db: an absolute path (SQLite) or a libpq connection string
   ("key=value ..." or a postgresql:// URI); which of the two the driver
   wants is checked by lockout_config_check() */
#define SET_FLAG_DB 0x10

struct setting_def {
	const char *name;
	enum setting_type type;
	size_t offset;
	const char *default_value;
	unsigned int flags;
	/* SET_UINT, SET_TIME: accepted range (permanent aside) */
	uint32_t min, max;
	/* SET_ENUM: NULL-terminated names of the enum values 0, 1, ... */
	const char *const *enum_values;
	/* SET_NETLIST, SET_PORTLIST: offset of the size_t count */
	size_t count_offset;
};

union setting_value {
	char *str;
	unsigned int uint;
	uint32_t time;
	char **words;
	struct {
		struct lockout_net *nets;
		size_t count;
	} netlist;
	struct {
		uint16_t *ports;
		size_t count;
	} portlist;
};

/* Parse value as the setting def describes into *value_r (zeroed first;
   what it holds is malloc()ed and owned by the caller). Returns 0, or -1
   with *error_r describing the problem without the setting's name. */
int lockout_setting_parse(const struct setting_def *def, const char *value,
			  union setting_value *value_r, const char **error_r);
/* Quote str for an error message (shortened, control characters made
   visible) into buf. */
void lockout_setting_quote(const char *str, char *buf, size_t size);
/* ASCII case-insensitive comparison of a (len bytes) with NUL-terminated b;
   independent of the process locale. */
bool lockout_ascii_equals_icase_n(const char *a, size_t len, const char *b);

#endif
