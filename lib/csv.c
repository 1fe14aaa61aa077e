#include "csv.h"

#include <string.h>

#define SEPARATORS ",;"
#define FORMULA_STARTS "=+-@\t\r"

/* A plain number (an optional minus, digits, an optional fraction) in the n
 * bytes at s is data, not a formula, even when it starts with a minus. */
static int is_plain_number(const char *s, size_t n)
{
	const char *p = s, *end = s + n;

	if (p < end && *p == '-')
		p++;
	if (p == end || *p < '0' || *p > '9')
		return 0;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if (p < end && *p == '.') {
		p++;
		if (p == end || *p < '0' || *p > '9')
			return 0;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	return p == end;
}

/* Whether the text from s to the end of the cell would start a formula: it
 * begins with a formula character and is not a plain number. */
static int starts_formula(const char *s)
{
	return s[0] != '\0' && strchr(FORMULA_STARTS, s[0]) != NULL && !is_plain_number(s, strlen(s));
}

static void add_char(struct strbuf *out, char c)
{
	if (c == '"')
		strbuf_addch(out, '"');
	strbuf_addch(out, c);
}

/* The cell's text, quotes doubled, with an apostrophe before each part that
 * would start a formula: the cell's start, and what follows a ',' or ';'
 * (after any spaces), where a spreadsheet that splits on either could start
 * a new cell. */
static void add_neutralised(struct strbuf *out, const char *cell)
{
	const char *part = cell;

	for (const char *p = cell; *p; p++) {
		if (p == part && starts_formula(p))
			strbuf_addch(out, '\'');
		add_char(out, *p);
		if (p == part && *p == ' ')
			part = p + 1;
		if (strchr(SEPARATORS, *p) != NULL)
			part = p + 1;
	}
}

void csv_append_cell(struct strbuf *out, const char *cell)
{
	if (cell == NULL)
		return;
	if (is_plain_number(cell, strlen(cell))) {
		strbuf_addstr(out, cell);
		return;
	}
	strbuf_addch(out, '"');
	add_neutralised(out, cell);
	strbuf_addch(out, '"');
}

void csv_append_row(struct strbuf *out, const char *const *cells, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strbuf_addch(out, ',');
		csv_append_cell(out, cells[i]);
	}
	strbuf_add(out, "\r\n", 2);
}
