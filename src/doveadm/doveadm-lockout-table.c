/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "array.h"
#include "str.h"
#include "unichar.h"
#include "doveadm-print.h"
#include "doveadm-lockout.h"

/* Aligned tables. doveadm's table formatter sizes its columns from the
   first 100 rows and then narrows them, from the right, until the line fits
   the terminal (80 columns when stdout is not one) - but never cuts a
   value: a value wider than its narrowed column pushes every column after
   it, and the rows no longer line up. So when the table is doveadm's
   default (no -f was given; -f table is doveadm's own sizing) the rows are
   held, every column but the last is padded to its widest value or title
   (which leaves doveadm nothing to narrow but the last column), and the
   free-text columns (the reason) come last, where running over pushes
   nothing. With -f, values pass straight through in the given order. */

struct table_column {
	const char *key;
	enum doveadm_print_header_flags flags;
	bool last;
	unsigned int width;
};

static struct {
	pool_t pool;
	bool aligned;
	ARRAY(struct table_column) columns;
	/* the held values, row after row, in the order given */
	ARRAY_TYPE(const_string) values;
	/* a padded value, reused: doveadm's formatters copy what they keep */
	string_t *padded;
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

void doveadm_lockout_table_begin(void)
{
	i_assert(table.pool == NULL);
	table.aligned = !doveadm_print_is_initialized();
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	table.pool = pool_alloconly_create("lockout table", 16384);
	p_array_init(&table.columns, table.pool, 16);
	p_array_init(&table.values, table.pool, 256);
	table.padded = str_new(table.pool, 256);
}

void doveadm_lockout_table_header(const char *key,
				  enum doveadm_print_header_flags flags,
				  bool last)
{
	struct table_column *col;

	if (!table.aligned) {
		doveadm_print_header(key, key, flags);
		return;
	}
	col = array_append_space(&table.columns);
	col->key = p_strdup(table.pool, key);
	col->flags = flags & ENUM_NEGATE(DOVEADM_PRINT_HEADER_FLAG_EXPAND);
	col->last = last;
	col->width = uni_utf8_strlen(key);
}

void doveadm_lockout_table_value(const char *value)
{
	struct table_column *col;
	unsigned int len;

	/* shown to people: escaped by the one rule (doveadm_lockout_print()),
	   and aligned on what is shown */
	value = doveadm_lockout_escape(value);
	if (!table.aligned) {
		doveadm_print(value);
		return;
	}
	col = array_idx_modifiable(&table.columns, array_count(&table.values) %
				   array_count(&table.columns));
	len = table_width(value);
	if (len > col->width)
		col->width = len;
	value = p_strdup(table.pool, value);
	array_push_back(&table.values, &value);
}

void doveadm_lockout_table_num(uintmax_t value)
{
	doveadm_lockout_table_value(dec2str(value));
}

/* Append value padded with spaces to col's width, on the left for a
   right-justified column. */
static void table_append_padded(string_t *str,
				const struct table_column *col,
				const char *value)
{
	static const char spaces[] = "                                ";
	unsigned int len = table_width(value), pad, n;

	pad = len >= col->width ? 0 : col->width - len;
	if ((col->flags & DOVEADM_PRINT_HEADER_FLAG_RIGHT_JUSTIFY) == 0)
		str_append(str, value);
	for (; pad > 0; pad -= n) {
		n = pad < sizeof(spaces) - 1 ? pad : sizeof(spaces) - 1;
		str_append_data(str, spaces, n);
	}
	if ((col->flags & DOVEADM_PRINT_HEADER_FLAG_RIGHT_JUSTIFY) != 0)
		str_append(str, value);
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

/* The padded columns of a row (or their titles, for row NULL) as one
   value, each separated by a space as doveadm's table separates them, into
   table.padded. */
static const char *table_join(const unsigned int *order, unsigned int count,
			      const char *const *row)
{
	const struct table_column *cols = array_front(&table.columns);
	unsigned int i;

	str_truncate(table.padded, 0);
	for (i = 0; i < count; i++) {
		if (i > 0)
			str_append_c(table.padded, ' ');
		table_append_padded(table.padded, &cols[order[i]],
				    row == NULL ? cols[order[i]].key :
				    row[order[i]]);
	}
	return str_c(table.padded);
}

void doveadm_lockout_table_end(void)
{
	const struct table_column *cols, *col;
	const char *const *values;
	ARRAY_TYPE(uint) order;
	const unsigned int *idx;
	unsigned int row, count, value_count;

	if (table.pool == NULL)
		return;
	if (table.aligned) T_BEGIN {
		t_array_init(&order, 16);
		table_order(&order);
		cols = array_get(&table.columns, &count);
		values = array_get(&table.values, &value_count);
		idx = array_front(&order);
		col = &cols[idx[count - 1]];
		/* The padded columns go to doveadm as one: every value of a
		   padded column is as wide as the column, so doveadm has
		   nothing to narrow there and prints each value followed by
		   a space either way - the same bytes, for a tenth of its
		   printf() calls. The last column is not padded: doveadm may
		   narrow it alone. */
		if (count > 1) {
			doveadm_print_header(cols[idx[0]].key,
					     table_join(idx, count - 1, NULL),
					     0);
		}
		doveadm_print_header(col->key, col->key, col->flags);
		for (row = 0; row + count <= value_count; row += count) {
			if (count > 1)
				doveadm_print(table_join(idx, count - 1,
							 values + row));
			doveadm_print(values[row + idx[count - 1]]);
		}
	} T_END;
	pool_unref(&table.pool);
	i_zero(&table);
}
