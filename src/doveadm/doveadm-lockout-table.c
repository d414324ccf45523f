/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "array.h"
#include "str.h"
#include "ostream.h"
#include "unichar.h"
#include "doveadm-print.h"
#include "doveadm-lockout.h"
#include "lockout-utf8.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <termios.h>

/* Aligned tables. doveadm's table formatter sizes its columns from the
   first 100 rows and then narrows them, from the right, until the line fits
   the terminal (80 columns when stdout is not one) - but never cuts a
   value: a value wider than its narrowed column pushes every column after
   it, and the rows no longer line up. So when the table is doveadm's
   default (no -f was given; -f table is doveadm's own sizing) the rows are
   held, every column but the last is padded to its widest value or title
   (which leaves doveadm nothing to narrow but the last column), and the
   free-text columns (the reason) come last, where running over pushes
   nothing. With -f, values pass straight through in the given order.

   Past its first 100 rows doveadm's table formatter prints each value with
   printf() as it comes, padded to widths it sized from those rows; the
   rows after them are written here, with the same widths, many at a time
   to the same stdout (TABLE_DOVEADM_ROWS). Under -f json on 2.3 the rows
   after the first are written here as doveadm's JSON formatter would (it
   escapes character by character, most of the time of a long listing):
   see doveadm_lockout_print_header_json(). */

/* The rows doveadm's table formatter holds to size its columns
   (MAX_BUFFER_LINES in doveadm-print-table.c, 2.3 and 2.4), and its width
   when stdout is not a terminal, and the least it narrows to. */
#define TABLE_DOVEADM_ROWS 100
#define TABLE_DOVEADM_COLUMNS 80
#define TABLE_DOVEADM_MIN_COLUMNS 30
/* rows of JSON, or of the aligned table, written at once */
#define TABLE_JSON_FLUSH_SIZE 16384
#define TABLE_WRITE_SIZE 65536

struct table_column {
	const char *key;
	/* with -f json (2.3): ",\"key\":" (",{\"key\":" for the first) */
	const char *json_key;
	enum doveadm_print_header_flags flags;
	bool last;
	unsigned int width;
};

/* A held value: its bytes and its width, as printed */
struct table_value {
	const char *str;
	unsigned int len, width;
};

/* A column as doveadm's table formatter sizes it (struct
   doveadm_print_table_header). */
struct table_doveadm_header {
	enum doveadm_print_header_flags flags;
	size_t min_length, max_length, length;
};

static struct {
	pool_t pool;
	bool aligned;
	/* -f json on 2.3: rows after the first are written here */
	bool json;
	/* the values given so far */
	unsigned int value_count;
	/* JSON rows not yet sent to doveadm_print_ostream */
	string_t *json_rows;
	ARRAY(struct table_column) columns;
	/* the held values, row after row, in the order given, each ending
	   in a NUL (one buffer: a pointer and a length for each of 900,000
	   values cost more in page faults than reading them again). Grown
	   by realloc(), which Dovecot's allocators follow with a memset() of
	   the new half: pages touched before they are needed. */
	char *values;
	size_t values_used, values_size;
} table;

/* The characters of an escaped value (valid UTF-8: the escaping leaves no
   invalid byte), as uni_utf8_strlen() counts them, without decoding. */
static unsigned int table_width(const char *value)
{
	const unsigned char *p = (const unsigned char *)value;
	unsigned int width = 0;

	for (; *p != '\0'; p++) {
		if ((*p & 0xc0) != 0x80)
			width++;
	}
	return width;
}

/* The held value at *pos, which moves to the next one. */
static void table_value_next(const char **pos, struct table_value *v_r)
{
	const unsigned char *p = (const unsigned char *)*pos;
	unsigned int cont = 0;

	for (; *p != '\0'; p++) {
		if ((*p & 0xc0) == 0x80)
			cont++;
	}
	v_r->str = *pos;
	v_r->len = (unsigned int)(p - (const unsigned char *)*pos);
	v_r->width = v_r->len - cont;
	*pos = (const char *)p + 1;
}

void doveadm_lockout_table_begin(void)
{
	i_assert(table.pool == NULL);
	table.aligned = !doveadm_print_is_initialized();
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	table.pool = pool_alloconly_create("lockout table", 16384);
	p_array_init(&table.columns, table.pool, 16);
}

/* Append len bytes of value and a NUL to table.values. */
static void table_values_append(const char *value, size_t len)
{
	size_t size = table.values_size == 0 ? 65536 : table.values_size;
	char *values;

	while (len + 1 > size - table.values_used) {
		if (size > SIZE_MAX / 2)
			i_fatal_status(FATAL_OUTOFMEM, "lockout table too large");
		size *= 2;
	}
	if (size != table.values_size) {
		values = realloc(table.values, size);
		if (values == NULL) {
			i_fatal_status(FATAL_OUTOFMEM, "realloc(%zu) failed: %m",
				       size);
		}
		table.values = values;
		table.values_size = size;
	}
	memcpy(table.values + table.values_used, value, len);
	table.values[table.values_used + len] = '\0';
	table.values_used += len + 1;
}

void doveadm_lockout_table_header(const char *key,
				  enum doveadm_print_header_flags flags,
				  bool last)
{
	struct table_column *col;

	if (!table.aligned) {
		col = array_append_space(&table.columns);
		col->key = p_strdup(table.pool, key);
		col->flags = flags;
		if (array_count(&table.columns) == 1) {
			table.json = doveadm_lockout_print_header_json(key,
								       flags);
		} else {
			doveadm_print_header(key, key, flags);
		}
		if (table.json) T_BEGIN {
			string_t *str = t_str_new(64);

			str_append(str, array_count(&table.columns) == 1 ?
				   ",{" : ",");
			doveadm_lockout_json_key(str, key);
			col->json_key = p_strdup(table.pool, str_c(str));
		} T_END;
		return;
	}
	col = array_append_space(&table.columns);
	col->key = p_strdup(table.pool, key);
	col->flags = flags & ENUM_NEGATE(DOVEADM_PRINT_HEADER_FLAG_EXPAND);
	col->last = last;
	col->width = uni_utf8_strlen(key);
}

static void table_json_flush(void)
{
	if (table.json_rows == NULL || str_len(table.json_rows) == 0)
		return;
	o_stream_nsend(doveadm_print_ostream, str_data(table.json_rows),
		       str_len(table.json_rows));
	str_truncate(table.json_rows, 0);
}

/* A value with -f: to doveadm, or after the first row of JSON (which
   doveadm writes, "[" and all) as doveadm's JSON formatter writes it. */
static void table_value_direct(const char *value)
{
	const struct table_column *col;
	unsigned int count = array_count(&table.columns);
	unsigned int idx = table.value_count++ % count;

	if (!table.json || table.value_count <= count) {
		doveadm_print(value);
		return;
	}
	if (table.json_rows == NULL)
		table.json_rows = str_new(table.pool, TABLE_JSON_FLUSH_SIZE +
					  1024);
	col = array_idx(&table.columns, idx);
	str_append(table.json_rows, col->json_key);
	doveadm_lockout_json_value(table.json_rows, col->flags, value);
	if (idx == count - 1) {
		str_append_c(table.json_rows, '}');
		if (str_len(table.json_rows) >= TABLE_JSON_FLUSH_SIZE)
			table_json_flush();
	}
}

void doveadm_lockout_table_value(const char *value)
{
	struct table_column *col;
	size_t len, width;

	/* shown to people: escaped by the one rule (doveadm_lockout_print()),
	   and aligned on what is shown */
	if (!table.aligned) {
		table_value_direct(doveadm_lockout_escape(value));
		return;
	}
	col = array_idx_modifiable(&table.columns, table.value_count++ %
				   array_count(&table.columns));
	/* printable ASCII (most values) is as wide as it is long, and is
	   not escaped */
	len = lockout_utf8_plain_span(value);
	if (value[len] == '\0')
		width = len;
	else {
		value = doveadm_lockout_escape(value);
		len = strlen(value);
		width = table_width(value);
	}
	table_values_append(value, len);
	if (width > col->width)
		col->width = width;
}

void doveadm_lockout_table_num(uintmax_t value)
{
	doveadm_lockout_table_value(dec2str(value));
}

/* Append n spaces. */
static void table_append_spaces(string_t *str, size_t n)
{
	static const char spaces[] = "                                ";
	size_t part;

	for (; n > 0; n -= part) {
		part = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
		str_append_data(str, spaces, part);
	}
}

/* Append value padded with spaces to width, on the left if right is
   set. */
static void table_append_padded(string_t *str, const struct table_value *v,
				unsigned int width, bool right)
{
	size_t pad = v->width >= width ? 0 : width - v->width;

	if (!right)
		str_append_data(str, v->str, v->len);
	table_append_spaces(str, pad);
	if (right)
		str_append_data(str, v->str, v->len);
}

/* The columns in printing order: the ones not marked last, then those. */
static void table_order(ARRAY_TYPE(uint) *order)
{
	const struct table_column *cols;
	unsigned int i, count, pass;

	cols = array_get(&table.columns, &count);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < count; i++) {
			if (cols[i].last == (pass == 1))
				array_push_back(order, &i);
		}
	}
}

/* Append the padded columns of a row (or their titles, for row NULL),
   each separated by a space as doveadm's table separates them; returns
   their width. */
static size_t table_join(string_t *dest, const unsigned int *order,
			 unsigned int count, const struct table_value *row)
{
	const struct table_column *cols = array_front(&table.columns);
	const struct table_column *col;
	struct table_value title;
	size_t width = 0;
	unsigned int i;

	for (i = 0; i < count; i++) {
		col = &cols[order[i]];
		if (i > 0) {
			str_append_c(dest, ' ');
			width++;
		}
		if (row == NULL) {
			title.str = col->key;
			title.len = strlen(col->key);
			title.width = uni_utf8_strlen(col->key);
		}
		table_append_padded(dest, row == NULL ? &title :
				    &row[order[i]], col->width,
				    (col->flags &
				     DOVEADM_PRINT_HEADER_FLAG_RIGHT_JUSTIFY) != 0);
		width += col->width;
	}
	return width;
}

/* The width of doveadm's table formatter: its terminal's, or 80. */
static unsigned int table_doveadm_columns(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
		return ws.ws_col < TABLE_DOVEADM_MIN_COLUMNS ?
			TABLE_DOVEADM_MIN_COLUMNS : ws.ws_col;
	}
	return TABLE_DOVEADM_COLUMNS;
}

/* The widths doveadm's table formatter gives its columns once it has seen
   the first rows (min_length and max_length set from them and the titles):
   doveadm_calc_header_length() of doveadm-print-table.c, 2.3 and 2.4,
   for columns none of which has DOVEADM_PRINT_HEADER_FLAG_EXPAND. */
static void table_doveadm_lengths(struct table_doveadm_header *hdrs,
				  unsigned int count, unsigned int columns)
{
	size_t max_length = 0, orig_length, diff;
	unsigned int i;

	for (i = 0; i < count; i++) {
		hdrs[i].length = hdrs[i].max_length;
		max_length += hdrs[i].max_length + 1;
	}
	max_length--;

	while (max_length > columns) {
		/* narrowed from the right */
		orig_length = max_length;
		for (i = count - 1;; i--) {
			diff = hdrs[i].length - hdrs[i].min_length;
			if (max_length - diff <= columns) {
				diff = max_length - columns;
				hdrs[i].length -= diff;
				max_length -= diff;
				break;
			}
			if (diff > 0)
				hdrs[i].length -= diff == 1 ? 1 : diff / 2;
			if (i == 0)
				break;
		}
		if (max_length == orig_length)
			break;
	}
	/* without an EXPAND column the last one takes half of what is
	   left */
	if (max_length < columns)
		hdrs[count - 1].length += (columns - max_length) / 2;
}

/* Write what the rows after doveadm's have gathered. */
static void table_write(string_t *out)
{
	if (str_len(out) > 0 &&
	    fwrite(str_data(out), 1, str_len(out), stdout) != str_len(out)) {
		/* as doveadm's printf(): the command goes on */
	}
	str_truncate(out, 0);
}

/* Print the held rows: the padded columns as one value (none when there
   is one column) and the last column; the first TABLE_DOVEADM_ROWS rows
   through doveadm (which sizes its columns from them, and prints the
   titles), the rest written here as doveadm_print_next() would print
   them: padded with spaces to the column's length (on the left if
   right-justified), never cut. */
static void table_print_rows(const unsigned int *idx, unsigned int count,
			     size_t title_len)
{
	const struct table_column *cols = array_front(&table.columns);
	const struct table_column *last = &cols[idx[count - 1]];
	struct table_doveadm_header hdrs[2];
	const struct table_value *lastv;
	struct table_value *values = t_new(struct table_value, count);
	const char *pos = table.values;
	unsigned int row_count = table.value_count / count, r, i;
	size_t joined_width = 0, len;
	string_t *joined = t_str_new(256), *out = NULL;
	bool right;

	i_zero(&hdrs);
	if (count > 1) {
		hdrs[0].min_length = hdrs[0].max_length = title_len;
		hdrs[1].min_length = hdrs[1].max_length = strlen(last->key);
		hdrs[1].flags = last->flags;
	} else {
		hdrs[0].min_length = hdrs[0].max_length = strlen(last->key);
		hdrs[0].flags = last->flags;
	}
	right = (last->flags & DOVEADM_PRINT_HEADER_FLAG_RIGHT_JUSTIFY) != 0;

	for (r = 0; r < row_count; r++) {
		for (i = 0; i < count; i++)
			table_value_next(&pos, &values[i]);
		lastv = &values[idx[count - 1]];
		str_truncate(joined, 0);
		if (count > 1)
			joined_width = table_join(joined, idx, count - 1, values);
		if (r >= TABLE_DOVEADM_ROWS && lastv->len > 0) {
			/* (2.4 prints an empty value as "-": those rows go
			   through doveadm) */
			if (count > 1) {
				str_append_str(out, joined);
				table_append_spaces(out, joined_width >=
						    hdrs[0].length ? 0 :
						    hdrs[0].length -
						    joined_width);
				str_append_c(out, ' ');
			}
			table_append_padded(out, lastv,
					    hdrs[count > 1 ? 1 : 0].length,
					    right);
			str_append_c(out, '\n');
			if (str_len(out) >= TABLE_WRITE_SIZE)
				table_write(out);
			continue;
		}
		if (out != NULL)
			table_write(out);
		if (count > 1)
			doveadm_print(str_c(joined));
		doveadm_print(lastv->str);
		if (r < TABLE_DOVEADM_ROWS) {
			/* what doveadm sizes its columns by */
			if (count > 1) {
				if (joined_width < hdrs[0].min_length)
					hdrs[0].min_length = joined_width;
				if (joined_width > hdrs[0].max_length)
					hdrs[0].max_length = joined_width;
			}
			len = lastv->width;
			if (len < hdrs[count > 1 ? 1 : 0].min_length)
				hdrs[count > 1 ? 1 : 0].min_length = len;
			if (len > hdrs[count > 1 ? 1 : 0].max_length)
				hdrs[count > 1 ? 1 : 0].max_length = len;
		}
		if (r == TABLE_DOVEADM_ROWS - 1 && row_count > r + 1) {
			/* doveadm prints the rows it holds (and the titles)
			   when it sees the next one: now */
			doveadm_print_flush();
			table_doveadm_lengths(hdrs, count > 1 ? 2 : 1,
					      table_doveadm_columns());
			out = t_str_new(TABLE_WRITE_SIZE + 1024);
		}
	}
	if (out != NULL)
		table_write(out);
}

void doveadm_lockout_table_end(void)
{
	const struct table_column *cols, *col;
	ARRAY_TYPE(uint) order;
	const unsigned int *idx;
	unsigned int count;
	string_t *title;

	if (table.pool == NULL)
		return;
	if (table.aligned) T_BEGIN {
		t_array_init(&order, 16);
		table_order(&order);
		cols = array_get(&table.columns, &count);
		idx = array_front(&order);
		col = &cols[idx[count - 1]];
		/* The padded columns go to doveadm as one: every value of a
		   padded column is as wide as the column, so doveadm has
		   nothing to narrow there and prints each value followed by
		   a space either way - the same bytes, for a tenth of its
		   printf() calls. The last column is not padded: doveadm may
		   narrow it alone. */
		title = t_str_new(256);
		if (count > 1) {
			(void)table_join(title, idx, count - 1, NULL);
			doveadm_print_header(cols[idx[0]].key, str_c(title),
					     0);
		}
		doveadm_print_header(col->key, col->key, col->flags);
		table_print_rows(idx, count, str_len(title));
	} T_END;
	table_json_flush();
	free(table.values);
	pool_unref(&table.pool);
	i_zero(&table);
}
