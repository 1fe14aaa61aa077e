#include "record.h"

#include "dates.h"
#include "rowjson.h"
#include "strbuf.h"
#include "uuid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void record_text_release(struct record_text *r)
{
	if (r == NULL)
		return;
	free(r->json);
	r->json = NULL;
}

int record_text_from_row(struct record_text *r, const PGresult *res, int row)
{
	struct strbuf sb = STRBUF_INIT;
	int id = PQfnumber(res, "id"), version = PQfnumber(res, "version");

	if (id < 0 || version < 0)
		return -1;
	rowjson_uuid(res, row, id, r->id);
	r->version = rowjson_int8(res, row, version);
	rowjson_append(&sb, res, row);
	r->json = strbuf_detach(&sb);
	return r->json ? 0 : -1;
}

const char *record_text_member(const json_t *record, const char *field)
{
	return json_string_value(json_object_get(record, field));
}

void record_set_date(json_t *record, const char *field, const struct cw_date *d)
{
	char text[11];

	date_format(d, text);
	json_object_set_new(record, field, json_string(text));
}

void record_set_today(json_t *record, const char *field)
{
	struct cw_date today = date_today();

	record_set_date(record, field, &today);
}

int precondition_holds(const struct precondition *p, long long version)
{
	if (!p->present || p->any)
		return 1;
	for (int i = 0; i < p->count; i++)
		if (p->versions[i] == version)
			return 1;
	return 0;
}

json_t *record_merge(const json_t *current, const json_t *patch)
{
	json_t *merged = json_deep_copy(current);
	const char *key;
	json_t *value;

	if (merged == NULL)
		return NULL;
	json_object_foreach((json_t *)patch, key, value)
		json_object_set(merged, key, value);
	return merged;
}

int record_field_changed(const json_t *a, const json_t *b, const char *field)
{
	json_t *x = json_object_get(a, field);
	json_t *y = json_object_get(b, field);

	if (x == NULL || json_is_null(x))
		return !(y == NULL || json_is_null(y));
	return y == NULL || !json_equal(x, y);
}

int record_changed_any(const json_t *a, const json_t *b, const char *const *fields)
{
	for (int i = 0; fields[i]; i++)
		if (record_field_changed(a, b, fields[i]))
			return 1;
	return 0;
}

const char *record_param(const json_t *obj, const char *field, char *buf, size_t len)
{
	const json_t *v = json_object_get(obj, field);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	if (json_is_integer(v)) {
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	if (json_is_real(v)) {
		snprintf(buf, len, "%.17g", json_real_value(v));
		return buf;
	}
	return NULL;   /* arrays and objects are not column values */
}

char *record_array_literal(const json_t *array)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	const json_t *item;

	strbuf_addch(&sb, '{');
	json_array_foreach(array, i, item) {
		if (i > 0)
			strbuf_addch(&sb, ',');
		strbuf_addch(&sb, '"');
		for (const char *c = json_string_value(item); c && *c; c++) {
			if (*c == '"' || *c == '\\')
				strbuf_addch(&sb, '\\');
			strbuf_addch(&sb, *c);
		}
		strbuf_addch(&sb, '"');
	}
	strbuf_addch(&sb, '}');
	return strbuf_detach(&sb);
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void record_sort_uuids(json_t *record, const char *field)
{
	json_t *ids = json_object_get(record, field);
	size_t n = json_array_size(ids);
	char(*canonical)[UUID_TEXT_LEN + 1] = n ? calloc(n, sizeof(*canonical)) : NULL;
	const char **order = n ? calloc(n, sizeof(*order)) : NULL;

	if (canonical == NULL || order == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (uuid_parse(json_string_value(json_array_get(ids, i)), canonical[i]) != 0)
			goto out;
		order[i] = canonical[i];
	}
	qsort(order, n, sizeof(*order), compare_strings);
	json_array_clear(ids);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(ids, json_string(order[i]));
out:
	free(canonical);
	free(order);
}

void record_canonical_uuid(json_t *record, const char *field)
{
	char canonical[UUID_TEXT_LEN + 1];

	if (uuid_parse(json_string_value(json_object_get(record, field)), canonical) == 0)
		json_object_set_new(record, field, json_string(canonical));
}
