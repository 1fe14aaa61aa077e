#include "history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "dates.h"
#include "rowjson.h"

/* The record's trail after audit entry $6, oldest first, $7 entries at most.
 * A referral that was ever substance use treatment ($5: the caller sees them
 * all) only for its case's worker and its unit's supervisor. */
static const struct db_statement trail = {
	"history_trail",
	"SELECT a.id, a.at, a.actor, a.request_id, a.after::text"
	"  FROM audit_log a LEFT JOIN cases c ON c.id = a.case_id"
	" WHERE a.resource_id = $1 AND a.resource_type = $2 AND a.action <> 'delete' AND a.id > $6"
	"   AND cw_sees_sud(EXISTS (SELECT 1 FROM audit_log s WHERE s.resource_id = $1 AND s.sensitive),"
	"                   c.assigned_worker, c.unit, $5, $3, $4)"
	" ORDER BY a.id LIMIT $7",
	7, 1};

enum { COL_ID, COL_AT, COL_ACTOR, COL_REQUEST, COL_AFTER };

/* Kept by the server for every record: their changes are not history. */
static int is_bookkeeping(const char *field)
{
	return strcmp(field, "id") == 0 || strcmp(field, "version") == 0 || strcmp(field, "created_at") == 0 ||
	       strcmp(field, "updated_at") == 0;
}

static void append_text_or_null(struct strbuf *out, const PGresult *row, int col)
{
	if (PQgetisnull(row, 0, col))
		strbuf_addstr(out, "null");
	else
		rowjson_string(out, PQgetvalue(row, 0, col), (size_t)PQgetlength(row, 0, col));
}

/* The trail writes instants in the database session's form; answers use the API's. */
static json_t *value_in_api_form(const struct field_spec *f, json_t *value)
{
	char text[28];
	int64_t us;

	if (f->type != FT_TIMESTAMP || !json_is_string(value) || timestamp_parse(json_string_value(value), &us) != 0)
		return json_incref(value);
	timestamp_format(us, text);
	return json_string(text);
}

/* Appends {"value", "since", "by", "request_id"} to a field's timeline. */
static void append_entry(struct strbuf *line, const struct field_spec *f, json_t *value, const PGresult *row)
{
	json_t *shown = value_in_api_form(f, value);
	char *text = shown ? json_dumps(shown, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	char since[28];

	json_decref(shown);
	if (text == NULL) {
		line->failed = 1;
		return;
	}
	if (line->len > 0)
		strbuf_addch(line, ',');
	strbuf_addstr(line, "{\"value\":");
	strbuf_addstr(line, text);
	free(text);
	timestamp_format(rowjson_timestamp_us(row, 0, COL_AT), since);
	strbuf_addstr(line, ",\"since\":\"");
	strbuf_addstr(line, since);
	strbuf_addstr(line, "\",\"by\":");
	append_text_or_null(line, row, COL_ACTOR);
	strbuf_addstr(line, ",\"request_id\":");
	append_text_or_null(line, row, COL_REQUEST);
	strbuf_addch(line, '}');
}

/* One field's entries on a page. */
struct timeline {
	struct strbuf text;
	size_t kept;              /* its length before the entry being added */
};

/* The timelines of one page: a line of entries per field of the kind. */
struct timelines {
	const struct resource *kind;
	size_t nfields;
	struct timeline *lines;
	size_t answer;            /* the answer's bytes before "fields" */
	struct page_bound *bound;
	int64_t last;
};

/* Bytes of "fields":{...} as write_fields() writes it. */
static size_t fields_size(const struct timelines *t)
{
	size_t n = strlen("\"fields\":{}");
	int first = 1;

	for (size_t i = 0; i < t->nfields; i++) {
		if (t->lines[i].text.len == 0)
			continue;
		n += (first ? 0 : 1) + strlen(t->kind->fields[i].name) + strlen("\"\":[]") + t->lines[i].text.len;
		first = 0;
	}
	return n;
}

static void write_fields(const struct timelines *t, struct strbuf *out)
{
	int first = 1;

	strbuf_addstr(out, "\"fields\":{");
	for (size_t i = 0; i < t->nfields; i++) {
		if (t->lines[i].text.len == 0)
			continue;
		if (!first)
			strbuf_addch(out, ',');
		first = 0;
		strbuf_addch(out, '"');
		strbuf_addstr(out, t->kind->fields[i].name);
		strbuf_addstr(out, "\":[");
		strbuf_add(out, t->lines[i].text.buf, t->lines[i].text.len);
		strbuf_addch(out, ']');
	}
	strbuf_addch(out, '}');
}

/* Adds the values one audit entry wrote, while the page has room for them. */
static int take_entry(const PGresult *row, void *ctx)
{
	struct timelines *t = ctx;
	json_t *doc;

	if (!page_bound_room(t->bound))
		return 1;
	doc = json_loads(PQgetvalue(row, 0, COL_AFTER), 0, NULL);
	for (size_t i = 0; i < t->nfields; i++) {
		const struct field_spec *f = &t->kind->fields[i];
		json_t *value = json_object_get(doc, f->name);

		t->lines[i].kept = t->lines[i].text.len;
		if (value != NULL && !is_bookkeeping(f->name))
			append_entry(&t->lines[i].text, f, value, row);
	}
	json_decref(doc);
	if (!page_bound_keep(t->bound, t->answer + fields_size(t) + PAGE_TAIL_BYTES)) {
		for (size_t i = 0; i < t->nfields; i++)
			strbuf_setlen(&t->lines[i].text, t->lines[i].kept);
		return 1;
	}
	t->last = rowjson_int8(row, 0, COL_ID);
	return 0;
}

static int lines_failed(const struct timelines *t)
{
	for (size_t i = 0; i < t->nfields; i++)
		if (t->lines[i].text.failed)
			return 1;
	return 0;
}

enum cw_code history_fields(struct db_conn *conn, const struct resource *kind, const struct principal *p,
			    const char *id, int64_t after, struct page_bound *b, struct strbuf *out, int64_t *last,
			    struct cw_error *err)
{
	struct access_scope s = access_scope_of(p);
	static const struct page_keys keys = {CURSOR_HISTORY, "id", NULL, NULL, 0, 5};
	char after_text[24];
	const char *params[7] = {id, kind->audit_type, s.worker, s.unit, s.sud_all, after_text,
				 NULL /* LIMIT: paging sets it */};
	struct timelines t = {kind, 0, NULL, out->len, b, after};
	enum cw_code rc;

	while (kind->fields[t.nfields].name)
		t.nfields++;
	t.lines = calloc(t.nfields + 1, sizeof(*t.lines));   /* + 1: never an empty allocation */
	if (t.lines == NULL)
		return cw_fail(err, CW_INTERNAL, "Out of memory.");
	snprintf(after_text, sizeof(after_text), "%lld", (long long)after);
	rc = page_stream(conn, &trail, params, &keys, b, take_entry, &t, err);
	if (rc == CW_OK && b->count == 0 && after == 0)
		rc = cw_fail(err, CW_NOT_FOUND, "No %s with this id.", kind->noun);
	else if (rc == CW_OK && lines_failed(&t))
		rc = cw_fail(err, CW_INTERNAL, "Out of memory.");
	if (rc == CW_OK)
		write_fields(&t, out);
	*last = t.last;
	for (size_t i = 0; i < t.nfields; i++)
		strbuf_release(&t.lines[i].text);
	free(t.lines);
	return rc;
}

/* Every value of each field, after the record itself is found visible. */
static enum cw_code fields_of(struct db_pool *pool, const struct resource *kind, const struct principal *p,
			      const char *id, const struct history_position *pos, char **page, struct cw_error *err)
{
	struct db_conn *conn = db_acquire(pool, err);
	struct strbuf sb = STRBUF_INIT;
	struct page_bound b;
	char cursor[CURSOR_HISTORY_TEXT_LEN + 1];
	json_t *record = NULL;
	int64_t last = 0;
	enum cw_code rc;

	if (conn == NULL)
		return err->code;
	strbuf_addstr(&sb, "{\"id\":\"");
	strbuf_addstr(&sb, id);
	strbuf_addstr(&sb, "\",\"resource_type\":\"");
	strbuf_addstr(&sb, kind->audit_type);
	strbuf_addstr(&sb, "\",");
	page_bound_init(&b, pos->limit, PAGE_BYTES_MAX);
	rc = resource_load(conn, kind, p, id, &record, err);
	if (rc == CW_OK)
		rc = history_fields(conn, kind, p, id, pos->after, &b, &sb, &last, err);
	db_release(pool, conn);
	json_decref(record);
	if (rc != CW_OK) {
		strbuf_release(&sb);
		return rc;
	}
	if (b.more)
		cursor_encode_history(CURSOR_HISTORY, last, 0, id, cursor);
	strbuf_addch(&sb, ',');
	page_close(&sb, b.more ? cursor : NULL);
	*page = strbuf_detach(&sb);
	return *page ? CW_OK : cw_fail(err, CW_INTERNAL, "Out of memory.");
}

enum cw_code history_of(struct db_pool *pool, const struct resource *kind, const struct principal *p,
			const char *id, const struct history_position *pos, char **page, struct cw_error *err)
{
	*page = NULL;
	if (kind->rules.history)
		return kind->rules.history(pool, p, id, pos, page, err);
	return fields_of(pool, kind, p, id, pos, page, err);
}
