#include "csv.h"

#include <string.h>

/* A plain number (an optional minus, digits, an optional fraction) is data,
 * not a formula, even when it starts with a minus. */
static int is_plain_number(const char *s)
{
	const char *p = s;

	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

static int looks_like_formula(const char *s)
{
	return strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0' && !is_plain_number(s);
}

void csv_append_cell(struct strbuf *out, const char *cell)
{
	int neutralise, quote;

	if (cell == NULL)
		return;
	neutralise = looks_like_formula(cell);
	quote = strpbrk(cell, ",\"\r\n") != NULL;
	if (quote)
		strbuf_addch(out, '"');
	if (neutralise)
		strbuf_addch(out, '\'');
	for (const char *p = cell; *p; p++) {
		if (*p == '"')
			strbuf_addch(out, '"');
		strbuf_addch(out, *p);
	}
	if (quote)
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
