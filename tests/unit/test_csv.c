/* csv: every text cell quoted, formulas neutralised at the start and after a separator. */
#include "csv.h"

#include <stdlib.h>

#include "check.h"

static char *cell(const char *text)
{
	struct strbuf sb = STRBUF_INIT;

	csv_append_cell(&sb, text);
	return strbuf_detach(&sb);
}

#define CHECK_CELL(text, expected)             \
	do {                                   \
		char *got_ = cell(text);       \
		CHECK_STR(got_, expected);     \
		free(got_);                    \
	} while (0)

static void test_plain_numbers_stay_unquoted_numbers(void)
{
	CHECK_CELL("0", "0");
	CHECK_CELL("42", "42");
	CHECK_CELL("-7", "-7");
	CHECK_CELL("0.6667", "0.6667");
	CHECK_CELL("-12.5", "-12.5");
}

static void test_every_text_cell_is_quoted(void)
{
	CHECK_CELL("total", "\"total\"");
	CHECK_CELL("2026-03", "\"2026-03\"");
	CHECK_CELL("true", "\"true\"");
	CHECK_CELL("", "\"\"");
	CHECK_CELL("1.", "\"1.\"");
	CHECK_CELL(".5", "\".5\"");
	CHECK_CELL("1e5", "\"1e5\"");
	CHECK_CELL("Mu\xc3\xb1oz", "\"Mu\xc3\xb1oz\"");
	CHECK_CELL("say \"hi\"", "\"say \"\"hi\"\"\"");
	CHECK_CELL("two\r\nlines", "\"two\r\nlines\"");
}

static void test_a_missing_cell_is_empty(void)
{
	CHECK_CELL(NULL, "");
}

static void test_a_formula_at_the_start_is_neutralised(void)
{
	CHECK_CELL("=1+1", "\"'=1+1\"");
	CHECK_CELL("+cmd", "\"'+cmd\"");
	CHECK_CELL("-cmd", "\"'-cmd\"");
	CHECK_CELL("@SUM(A1)", "\"'@SUM(A1)\"");
	CHECK_CELL("\t=1", "\"'\t=1\"");
	CHECK_CELL("\r=1", "\"'\r=1\"");
	CHECK_CELL("-12.", "\"'-12.\"");
	CHECK_CELL("  =1+1", "\"  '=1+1\"");
}

static void test_a_formula_after_a_separator_is_neutralised(void)
{
	CHECK_CELL("A;=HYPERLINK(\"http://x\")", "\"A;'=HYPERLINK(\"\"http://x\"\")\"");
	CHECK_CELL("A,+1+2", "\"A,'+1+2\"");
	CHECK_CELL("A; @x", "\"A; '@x\"");
	CHECK_CELL("A,,=x", "\"A,,'=x\"");
	CHECK_CELL("=a;=b,-c", "\"'=a;'=b,'-c\"");
	CHECK_CELL("A;-3", "\"A;-3\"");        /* a number that ends the cell stays a number */
	CHECK_CELL("A, -3.5", "\"A, -3.5\"");
	CHECK_CELL("A;-3;x", "\"A;'-3;x\"");   /* what follows may be split off with it */
	CHECK_CELL("-3,x", "\"'-3,x\"");
	CHECK_CELL("A-=b", "\"A-=b\"");        /* inside a part, a formula character is text */
	CHECK_CELL("A;b=c", "\"A;b=c\"");
}

static void test_a_row_ends_with_crlf(void)
{
	struct strbuf sb = STRBUF_INIT;
	const char *cells[] = {"month", NULL, "3", "=x"};
	char *text;

	csv_append_row(&sb, cells, 4);
	text = strbuf_detach(&sb);
	CHECK_STR(text, "\"month\",,3,\"'=x\"\r\n");
	free(text);
}

int main(void)
{
	RUN(test_plain_numbers_stay_unquoted_numbers);
	RUN(test_every_text_cell_is_quoted);
	RUN(test_a_missing_cell_is_empty);
	RUN(test_a_formula_at_the_start_is_neutralised);
	RUN(test_a_formula_after_a_separator_is_neutralised);
	RUN(test_a_row_ends_with_crlf);
	return check_result();
}
