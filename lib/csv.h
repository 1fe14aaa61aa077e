/*
 * csv: RFC 4180 text for reporting scripts and spreadsheets.
 *
 * Every cell but a plain number (an optional minus, digits, an optional
 * fraction) is quoted, with quotes doubled, so that a spreadsheet whose list
 * separator is ';' still reads it as one cell; lines end with CRLF. The text
 * at the start of a cell, and after every ',' or ';' in it (spaces skipped),
 * that a spreadsheet would take for a formula (it begins with =, +, -, @, a
 * tab or a carriage return, and the rest of the cell from there is not a plain
 * number) gets an apostrophe before it: the report never runs anything in the
 * reader's spreadsheet, whatever separator that spreadsheet splits on.
 */
#ifndef CW_CSV_H
#define CW_CSV_H

#include <stddef.h>

#include "strbuf.h"

/* Appends one line of n cells (a NULL cell is empty, with no quotes). */
void csv_append_row(struct strbuf *out, const char *const *cells, size_t n);

/* Appends one cell as it must appear in a line (quoted and neutralised unless a plain number). */
void csv_append_cell(struct strbuf *out, const char *cell);

#endif
