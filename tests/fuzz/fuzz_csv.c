/*
 * The CSV writer (lib/csv.c) with what clients wrote in the cells: a round
 * trip through a strict RFC 4180 reader.
 *
 * Input: the first byte gives the number of columns (1 to 8); the rest,
 * split at NUL bytes, is the cells, row after row (a short last row is
 * filled with NULL cells).
 *
 * Promises checked: the text reads back under RFC 4180, strictly (quotes
 * only around whole cells, doubled inside, CRLF after every line), with the
 * same rows and columns; a cell reads back as written except for the
 * apostrophes the writer adds to neutralise formulas, and a cell without a
 * formula character reads back exactly; no cell reads as a formula: none
 * starts with =, +, -, @, a tab or a carriage return unless it is a plain
 * number.
 */
#include "fuzz.h"

#include "csv.h"
#include "strbuf.h"

#define MAX_COLUMNS 8

struct table {
	char **cells;    /* rows * columns, row after row; NULL for an empty cell */
	size_t rows, columns;
	size_t room;     /* rows allocated */
};

static void table_release(struct table *t)
{
	for (size_t i = 0; i < t->rows * t->columns; i++)
		free(t->cells[i]);
	free(t->cells);
}

static void table_add(struct table *t, char *cell, size_t *used)
{
	if (*used == t->rows * t->columns) {
		if (t->rows == t->room) {
			t->room = t->room ? 2 * t->room : 16;
			t->cells = realloc(t->cells, t->room * t->columns * sizeof(char *));
			FUZZ_CHECK(t->cells != NULL);
		}
		t->rows++;
		for (size_t i = *used; i < t->rows * t->columns; i++)
			t->cells[i] = NULL;
	}
	t->cells[(*used)++] = cell;
}

/* The cells the input describes. */
static struct table from_input(const uint8_t *data, size_t size)
{
	struct table t = {NULL, 0, 1 + data[0] % MAX_COLUMNS, 0};
	size_t used = 0, start = 1;

	for (size_t i = 1; i <= size; i++)
		if (i == size || data[i] == '\0') {
			table_add(&t, fuzz_text(data + start, i - start), &used);
			start = i + 1;
		}
	return t;
}

static int ends_plain_cell(char c)
{
	return c == ',' || c == '\r' || c == '\n' || c == '"';
}

/* RFC 4180, strictly: the cells of text (NUL-terminated, len bytes), or -1
 * with *t released when it does not read, or its lines differ in length. */
static int read_csv(const char *text, size_t len, size_t columns, struct table *t)
{
	size_t i = 0, used = 0, in_line = 0;

	t->cells = NULL;
	t->rows = 0;
	t->columns = columns;
	t->room = 0;
	while (i < len) {
		struct strbuf cell = STRBUF_INIT;

		if (text[i] == '"') {
			for (i++;; i++) {
				if (i >= len)
					goto bad;
				if (text[i] == '"' && text[i + 1] != '"')
					break;
				if (text[i] == '"')
					i++;
				strbuf_addch(&cell, text[i]);
			}
			i++;
		} else {
			for (; i < len && !ends_plain_cell(text[i]); i++)
				strbuf_addch(&cell, text[i]);
			if (i < len && text[i] == '"')
				goto bad;
		}
		table_add(t, cell.buf ? strbuf_detach(&cell) : NULL, &used);
		in_line++;
		if (i < len && text[i] == ',') {
			i++;
			continue;
		}
		if (i + 1 >= len || text[i] != '\r' || text[i + 1] != '\n' || in_line != columns)
			goto bad;
		i += 2;
		in_line = 0;
		continue;
bad:
		strbuf_release(&cell);
		table_release(t);
		return -1;
	}
	return 0;
}

static int is_plain_number(const char *s)
{
	const char *p = s + (*s == '-');
	size_t digits = strspn(p, "0123456789");

	if (digits == 0)
		return 0;
	p += digits;
	if (*p == '.') {
		digits = strspn(p + 1, "0123456789");
		if (digits == 0)
			return 0;
		p += 1 + digits;
	}
	return *p == '\0';
}

/* s without its apostrophes (caller frees). */
static char *without_apostrophes(const char *s)
{
	char *out = fuzz_text((const uint8_t *)s, strlen(s)), *o = out;

	for (; *s; s++)
		if (*s != '\'')
			*o++ = *s;
	*o = '\0';
	return out;
}

static void check_cell(const char *written, const char *read)
{
	const char *want = written ? written : "", *got = read ? read : "";
	char *a = without_apostrophes(want), *b = without_apostrophes(got);

	FUZZ_CHECK(strcmp(a, b) == 0);
	if (strpbrk(want, "=+-@\t\r") == NULL)
		FUZZ_CHECK(strcmp(want, got) == 0);
	FUZZ_CHECK(got[0] == '\0' || strchr("=+-@\t\r", got[0]) == NULL || is_plain_number(got));
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct table in, out;
	struct strbuf sb = STRBUF_INIT;

	if (size == 0)
		return 0;
	in = from_input(data, size);
	for (size_t r = 0; r < in.rows; r++)
		csv_append_row(&sb, (const char *const *)in.cells + r * in.columns, in.columns);
	FUZZ_CHECK(!sb.failed);
	FUZZ_CHECK(read_csv(sb.buf ? sb.buf : "", sb.len, in.columns, &out) == 0);
	FUZZ_CHECK(out.rows == in.rows);
	for (size_t i = 0; i < in.rows * in.columns; i++)
		check_cell(in.cells[i], out.cells[i]);
	table_release(&in);
	table_release(&out);
	strbuf_release(&sb);
	return 0;
}
