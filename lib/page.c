#include "page.h"

#include <stdlib.h>
#include <string.h>

#include "rowjson.h"

void page_bound_init(struct page_bound *b, int limit, size_t budget)
{
	b->limit = limit;
	b->budget = budget;
	b->count = 0;
	b->more = 0;
}

int page_bound_room(struct page_bound *b)
{
	if (b->count < b->limit)
		return 1;
	b->more = 1;
	return 0;
}

int page_bound_keep(struct page_bound *b, size_t bytes)
{
	if (b->count > 0 && bytes > b->budget) {
		b->more = 1;
		return 0;
	}
	b->count++;
	return 1;
}

/* timestamptz, by its binary form's type OID (1184); otherwise int8. */
static int64_t key_value(const PGresult *res, int row, int col)
{
	return PQftype(res, col) == 1184 ? rowjson_timestamp_us(res, row, col) : rowjson_int8(res, row, col);
}

struct row_sink {
	const struct page_keys *keys;
	struct page_bound *bound;
	struct strbuf *out;
	struct page_position *last;
};

static int keep_row(const PGresult *row, void *ctx)
{
	struct row_sink *s = ctx;
	size_t mark = s->out->len;

	if (!page_bound_room(s->bound))
		return 1;
	if (s->bound->count > 0)
		strbuf_addch(s->out, ',');
	rowjson_append_columns(s->out, row, 0, PQnfields(row) - (s->keys->key_hidden ? 1 : 0));
	if (!page_bound_keep(s->bound, s->out->len + PAGE_TAIL_BYTES)) {
		strbuf_setlen(s->out, mark);
		return 1;
	}
	s->last->key = key_value(row, 0, PQfnumber(row, s->keys->key_column));
	if (s->keys->id_column)
		rowjson_uuid(row, 0, PQfnumber(row, s->keys->id_column), s->last->id);
	else
		s->last->id[0] = '\0';
	return 0;
}

enum cw_code page_rows(struct db_conn *conn, const struct db_statement *stmt, const char *const *params,
		       const struct page_keys *keys, struct page_bound *b, struct strbuf *out,
		       struct page_position *last, struct cw_error *err)
{
	struct row_sink sink = {keys, b, out, last};

	return db_stream(conn, stmt, params, keep_row, &sink, err);
}

void page_cursor(const struct page_keys *keys, const struct page_position *pos, char out[PAGE_CURSOR_MAX + 1])
{
	if (keys->scope_id)
		cursor_encode_history(keys->kind, pos->key, 0, keys->scope_id, out);
	else
		cursor_encode(keys->kind, pos->key, pos->id[0] ? pos->id : NULL, out);
}

void page_close(struct strbuf *out, const char *cursor)
{
	strbuf_addstr(out, "\"next_cursor\":");
	if (cursor) {
		strbuf_addch(out, '"');
		strbuf_addstr(out, cursor);
		strbuf_addch(out, '"');
	} else {
		strbuf_addstr(out, "null");
	}
	strbuf_addch(out, '}');
}

enum cw_code page_list(struct db_pool *pool, const struct db_statement *stmt, const char *const *params, int limit,
		       const struct page_keys *keys, char **page, int *count, struct cw_error *err)
{
	struct db_conn *conn = db_acquire(pool, err);
	struct strbuf sb = STRBUF_INIT;
	struct page_bound b;
	struct page_position last = {0, ""};
	char cursor[PAGE_CURSOR_MAX + 1];
	enum cw_code rc;

	*page = NULL;
	if (conn == NULL)
		return err->code;
	page_bound_init(&b, limit, PAGE_BYTES_MAX);
	strbuf_addstr(&sb, "{\"items\":[");
	rc = page_rows(conn, stmt, params, keys, &b, &sb, &last, err);
	db_release(pool, conn);
	if (rc != CW_OK) {
		strbuf_release(&sb);
		return rc;
	}
	if (b.more)
		page_cursor(keys, &last, cursor);
	strbuf_addstr(&sb, "],");
	page_close(&sb, b.more ? cursor : NULL);
	if (count)
		*count = b.count;
	*page = strbuf_detach(&sb);
	return *page ? CW_OK : cw_fail(err, CW_INTERNAL, "Out of memory.");
}
