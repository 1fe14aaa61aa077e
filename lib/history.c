#include "history.h"

#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "dates.h"
#include "rowjson.h"

/* The record's trail, oldest first. A referral that was ever substance use
 * treatment ($5: the caller sees them all) only for its case's worker and
 * its unit's supervisor. */
static const struct db_statement trail = {
	"history_trail",
	"SELECT a.at, a.actor, a.request_id, a.after::text FROM audit_log a"
	" WHERE a.resource_id = $1 AND a.resource_type = $2 AND a.action <> 'delete'"
	"   AND ($5 OR NOT EXISTS (SELECT 1 FROM audit_log s WHERE s.resource_id = $1 AND s.sensitive)"
	"        OR EXISTS (SELECT 1 FROM cases c WHERE c.id = a.case_id"
	"                    AND (c.assigned_worker = $3 OR c.unit = $4)))"
	" ORDER BY a.id",
	5, 1};

enum { COL_AT, COL_ACTOR, COL_REQUEST, COL_AFTER };

/* Kept by the server for every record: their changes are not history. */
static int is_bookkeeping(const char *field)
{
	return strcmp(field, "id") == 0 || strcmp(field, "version") == 0 || strcmp(field, "created_at") == 0 ||
	       strcmp(field, "updated_at") == 0;
}

static json_t *text_or_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? json_null() : json_string(PQgetvalue(res, row, col));
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

static json_t *entry(const struct field_spec *f, json_t *value, const PGresult *res, int row)
{
	char since[28];

	timestamp_format(rowjson_timestamp_us(res, row, COL_AT), since);
	return json_pack("{s:o, s:s, s:o, s:o}", "value", value_in_api_form(f, value), "since", since, "by",
			 text_or_null(res, row, COL_ACTOR), "request_id", text_or_null(res, row, COL_REQUEST));
}

static json_t *timelines(const struct resource *kind, const PGresult *res, json_t *const *docs)
{
	json_t *fields = json_object();

	for (const struct field_spec *f = kind->fields; fields && f->name; f++) {
		json_t *line = is_bookkeeping(f->name) ? NULL : json_array();

		for (int row = 0; line && row < PQntuples(res); row++) {
			json_t *value = json_object_get(docs[row], f->name);

			if (value != NULL)
				json_array_append_new(line, entry(f, value, res, row));
		}
		if (line && json_array_size(line) > 0)
			json_object_set(fields, f->name, line);
		json_decref(line);
	}
	return fields;
}

enum cw_code history_fields(struct db_conn *conn, const struct resource *kind, const struct principal *p,
			    const char *id, json_t **out, struct cw_error *err)
{
	struct access_scope s = access_scope_of(p);
	const char *params[5] = {id, kind->audit_type, s.worker, s.unit, s.sud_all};
	PGresult *res = db_run(conn, &trail, params, err);
	json_t **docs;
	int n;

	*out = NULL;
	if (res == NULL)
		return err->code;
	n = PQntuples(res);
	if (n == 0) {
		PQclear(res);
		return cw_fail(err, CW_NOT_FOUND, "No %s with this id.", kind->noun);
	}
	docs = calloc((size_t)n, sizeof(json_t *));
	for (int row = 0; docs && row < n; row++)
		docs[row] = json_loads(PQgetvalue(res, row, COL_AFTER), 0, NULL);
	*out = docs ? timelines(kind, res, docs) : NULL;
	for (int row = 0; docs && row < n; row++)
		json_decref(docs[row]);
	free(docs);
	PQclear(res);
	return *out ? CW_OK : cw_fail(err, CW_INTERNAL, "Out of memory.");
}

enum cw_code history_of(struct db_pool *pool, const struct resource *kind, const struct principal *p,
			const char *id, char **page, struct cw_error *err)
{
	struct db_conn *conn = db_acquire(pool, err);
	json_t *record = NULL, *fields = NULL, *answer;
	enum cw_code rc;

	*page = NULL;
	if (conn == NULL)
		return err->code;
	rc = resource_load(conn, kind->get, p, id, kind->noun, &record, err);
	if (rc == CW_OK)
		rc = history_fields(conn, kind, p, id, &fields, err);
	db_release(pool, conn);
	json_decref(record);
	if (rc != CW_OK)
		return rc;
	answer = json_pack("{s:s, s:s, s:o}", "id", id, "resource_type", kind->audit_type, "fields", fields);
	*page = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
	json_decref(answer);
	return *page ? CW_OK : cw_fail(err, CW_INTERNAL, "Out of memory.");
}
