#include "page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "rowjson.h"

void page_bound_init(struct page_bound *b, int limit, size_t budget)
{
	b->limit = limit;
	b->budget = budget;
	b->count = 0;
	b->used = 0;
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
	b->used = bytes;
	return 1;
}

#define TIMESTAMPTZ_OID 1184   /* fixed by the PostgreSQL catalog */
#define MAX_PARAMS 16

static int is_timestamp(const PGresult *res, int col)
{
	return PQftype(res, col) == TIMESTAMPTZ_OID;
}

/* A sort key: timestamptz in microseconds, otherwise int8. */
static int64_t key_value(const PGresult *res, int row, int col)
{
	return is_timestamp(res, col) ? rowjson_timestamp_us(res, row, col) : rowjson_int8(res, row, col);
}

/* One chunk of a page's rows, on its way to the page's own taker. */
struct chunk {
	const struct page_keys *keys;
	db_row_fn each;
	void *ctx;
	int rows;                 /* rows the chunk brought */
	int declined;             /* each wanted no more */
	size_t widest;            /* the most bytes a row has brought */
	int timestamp_key;
	struct page_position last;
};

static int take_row(const PGresult *row, void *ctx)
{
	struct chunk *c = ctx;
	int key = PQfnumber(row, c->keys->key_column);
	size_t bytes = 0;

	c->rows++;
	for (int col = 0; col < PQnfields(row); col++)
		bytes += (size_t)PQgetlength(row, 0, col);
	if (bytes > c->widest)
		c->widest = bytes;
	if (c->each(row, c->ctx) != 0) {
		c->declined = 1;
		return 1;
	}
	c->timestamp_key = is_timestamp(row, key);
	c->last.key = key_value(row, 0, key);
	if (c->keys->id_column)
		rowjson_uuid(row, 0, PQfnumber(row, c->keys->id_column), c->last.id);
	return 0;
}

/* Rows to ask for next: about as many as the room left holds at the widest
 * row so far, and one more than the page still wants at most. */
static int next_chunk(const struct page_bound *b, size_t widest)
{
	int wanted = b->limit - b->count + 1;
	size_t room = b->budget > b->used ? b->budget - b->used : 0;
	size_t fit = widest > 0 ? room / widest + 1 : (size_t)wanted;

	return fit < (size_t)wanted ? (int)fit : wanted;
}

enum cw_code page_stream(struct db_conn *conn, const struct db_statement *stmt, const char *const *params,
			 const struct page_keys *keys, const struct page_bound *b, db_row_fn each, void *ctx,
			 struct cw_error *err)
{
	const char *p[MAX_PARAMS];
	char after_key[28], after_id[37], limit[16];
	int limit_param = keys->after_param + (keys->id_column ? 2 : 1);
	int ask = b->limit + 1 < PAGE_FIRST_ROWS ? b->limit + 1 : PAGE_FIRST_ROWS;
	struct chunk c = {keys, each, ctx, 0, 0, 0, 0, {0, ""}};

	if (stmt->nparams > MAX_PARAMS || limit_param >= stmt->nparams)
		return cw_fail(err, CW_INTERNAL, "A list statement takes its position where none is given.");
	memcpy(p, params, (size_t)stmt->nparams * sizeof(*p));
	for (;;) {
		enum cw_code rc;

		snprintf(limit, sizeof(limit), "%d", ask);
		p[limit_param] = limit;
		c.rows = 0;
		rc = db_stream(conn, stmt, p, take_row, &c, err);
		if (rc != CW_OK || c.declined || c.rows < ask)
			return rc;
		/* Every row of the chunk went in and the page has room: go on after the last. */
		if (c.timestamp_key)
			timestamp_format(c.last.key, after_key);
		else
			snprintf(after_key, sizeof(after_key), "%lld", (long long)c.last.key);
		p[keys->after_param] = after_key;
		if (keys->id_column) {
			memcpy(after_id, c.last.id, sizeof(after_id));
			p[keys->after_param + 1] = after_id;
		}
		ask = next_chunk(b, c.widest);
	}
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

	return page_stream(conn, stmt, params, keys, b, keep_row, &sink, err);
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
