/*
 * csv: RFC 4180 text for reporting scripts and spreadsheets.
 *
 * Cells that contain a comma, a quote or a line break are quoted, with quotes
 * doubled; lines end with CRLF. A cell that a spreadsheet would take for a
 * formula (it begins with =, +, -, @, a tab or a carriage return, and is not
 * a plain number) is neutralised with a leading apostrophe: the report never
 * runs anything in the reader's spreadsheet.
 */
#ifndef CW_CSV_H
#define CW_CSV_H

#include <stddef.h>

#include "strbuf.h"

/* Appends one line of n cells (a NULL cell is empty). */
void csv_append_row(struct strbuf *out, const char *const *cells, size_t n);

/* Appends one cell as it must appear in a line (quoted and neutralised as needed). */
void csv_append_cell(struct strbuf *out, const char *cell);

#endif
