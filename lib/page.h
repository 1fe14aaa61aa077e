/*
 * page: one page of a list or a history, bounded in entries and in bytes.
 *
 * A page holds at most the entries the caller asked for (limit) and at most
 * PAGE_BYTES_MAX bytes of JSON, whatever the entries hold. Records carry free
 * text of up to 20,000 characters, which may take four bytes each, so a page
 * of 500 visits could otherwise be 40 MB. An entry that would take the answer
 * past the budget is left for the next page; the first entry of a page always
 * goes in (no single entry comes near the budget), so paging always moves on.
 *
 * Rows are read from the database one at a time (db_stream), so that the
 * memory a request holds is the page itself and one row, never the result of
 * a whole statement. And they are asked for in chunks: first as many as a
 * default page needs (PAGE_FIRST_ROWS), then, while the page has room, about
 * as many as the room left holds at the widest row seen so far. A page of
 * large records thus reads a few rows more than it shows, not limit + 1 of
 * them: the rows a page leaves out are read and dropped.
 */
#ifndef CW_PAGE_H
#define CW_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "db.h"
#include "strbuf.h"

/* The most bytes an answer of lists and histories is built to: about 50
 * visits with 20,000-character summaries in ASCII, a dozen written in
 * four-byte characters. */
#define PAGE_BYTES_MAX ((size_t)1 << 20)

/* Room kept for what closes an answer after its entries (next_cursor and brackets). */
#define PAGE_TAIL_BYTES 512

/* Where a keyset-paginated list starts, how much it holds and since when:
 * the sort key and id of the last row shown (both NULL on the first page),
 * and the least updated_at (NULL: not filtered); instants in RFC 3339. */
struct page_window {
	int limit;
	const char *after_key;
	const char *after_id;
	const char *updated_since;
};

struct page_bound {
	int limit;        /* entries wanted */
	size_t budget;    /* bytes the whole answer may take */
	int count;        /* entries kept */
	size_t used;      /* the answer's bytes with the entries kept */
	int more;         /* an entry was left for the next page */
};

/* Rows the first statement of a page asks for: a default page of 50 and the
 * row that tells whether more follow, in one statement. */
#define PAGE_FIRST_ROWS 51

void page_bound_init(struct page_bound *b, int limit, size_t budget);

/* 1 when another entry may go in; 0, marking that more remain, once limit are in. */
int page_bound_room(struct page_bound *b);

/* Called with the size the answer has with a new entry in it: 1 counts the
 * entry; 0 when that passes the budget and it is not the page's first entry
 * (more remain: the caller takes the entry out again). */
int page_bound_keep(struct page_bound *b, size_t bytes);

/* Where a keyset-paginated list's next page starts: the last row shown. */
struct page_keys {
	enum cursor_kind kind;
	const char *key_column;   /* the sort key: timestamptz or int8 */
	const char *id_column;    /* uuid tie-breaker; NULL when the key is unique */
	const char *scope_id;     /* NULL, or the record whose history the list is: its cursors name it */
	int key_hidden;           /* the key is the row's last column and no part of the item */
	int after_param;          /* the statement's parameter (from 0) holding the key to start after;
				     the id's follows it when there is an id_column, then the LIMIT's */
};

/* Characters of the longest cursor of a list: a history's. */
#define PAGE_CURSOR_MAX CURSOR_HISTORY_TEXT_LEN

struct page_position {
	int64_t key;
	char id[37];              /* "" when the list has no tie-breaker */
};

/* Runs stmt on conn in chunks from the position its parameters give (the
 * LIMIT parameter is set here) and hands each row to each, until each
 * declines one (the page is full: each uses b) or the rows run out. */
enum cw_code page_stream(struct db_conn *conn, const struct db_statement *stmt, const char *const *params,
			 const struct page_keys *keys, const struct page_bound *b, db_row_fn each, void *ctx,
			 struct cw_error *err);

/* page_stream() appending each row, while b admits it, to out as a JSON
 * object, comma-separated; the answer is out->len plus PAGE_TAIL_BYTES. *last
 * is the last row kept when b->count > 0. */
enum cw_code page_rows(struct db_conn *conn, const struct db_statement *stmt, const char *const *params,
		       const struct page_keys *keys, struct page_bound *b, struct strbuf *out,
		       struct page_position *last, struct cw_error *err);

/* The text of the cursor after pos in a list of keys. */
void page_cursor(const struct page_keys *keys, const struct page_position *pos, char out[PAGE_CURSOR_MAX + 1]);

/* {"items":[...],"next_cursor":...} of stmt's rows, at most limit and
 * PAGE_BYTES_MAX bytes, on a pooled connection;
 * next_cursor is null on the last page. *page is the caller's to free;
 * *count, when not NULL, is the number of items. */
enum cw_code page_list(struct db_pool *pool, const struct db_statement *stmt, const char *const *params, int limit,
		       const struct page_keys *keys, char **page, int *count, struct cw_error *err);

/* Appends "next_cursor":<cursor, or null when NULL>} : the end of every page. */
void page_close(struct strbuf *out, const char *cursor);

#endif
