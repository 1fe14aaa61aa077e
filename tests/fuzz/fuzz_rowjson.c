/*
 * The JSON row builder (lib/rowjson.c): a row as PostgreSQL sends it in
 * binary, written as the API's JSON, and read back with jansson.
 *
 * Input: columns, one after another (at most MAX_COLUMNS): a type byte (its
 * low bits choose the type, the high bit makes the value SQL NULL), a name
 * length byte (at most 63) and the name, then the value: as many bytes as
 * the type's binary form has, or, for text and JSON, a two-byte big-endian
 * length and that many bytes. Values are what PostgreSQL can send: JSON
 * values that jansson does not read are replaced by null.
 *
 * Promises checked: any row is written without harm; a row whose names and
 * text are UTF-8 without NUL (as they are in a UTF8 database) is written as
 * one JSON object a client can read, each column one member holding its
 * value: text as sent, integers and booleans as stored, dates and
 * timestamps of the API's range as the same day and instant, JSON equal to
 * what was stored, and a type the builder does not know as null.
 */
#include "fuzz.h"

#include <jansson.h>
#include <libpq-fe.h>

#include "dates.h"
#include "rowjson.h"
#include "strbuf.h"
#include "uuid.h"

#define MAX_COLUMNS 16
#define NAME_MAX_LEN 63

enum { BOOL = 16, INT8 = 20, INT2 = 21, INT4 = 23, TEXT = 25, JSON = 114, FLOAT8 = 701, VARCHAR = 1043,
       DATE = 1082, TIMESTAMPTZ = 1184, UUID = 2950, JSONB = 3802 };

/* PostgreSQL counts days and microseconds from 2000-01-01. */
#define PG_EPOCH_DAYS 10957
#define PG_EPOCH_US (PG_EPOCH_DAYS * 86400LL * 1000000LL)

static const struct {
	Oid oid;
	int width;      /* bytes of the binary form; 0 for variable */
} types[] = {
	{TEXT, 0}, {VARCHAR, 0}, {JSON, 0}, {JSONB, 0}, {BOOL, 1}, {INT2, 2}, {INT4, 4}, {INT8, 8},
	{DATE, 4}, {TIMESTAMPTZ, 8}, {UUID, 16}, {FLOAT8, 8},
};
#define TYPES (sizeof(types) / sizeof(types[0]))

struct column {
	char name[NAME_MAX_LEN + 1];
	Oid type;
	int is_null;
	unsigned char *value;   /* in the row's arena: the bytes given to libpq */
	int len;
};

struct row {
	struct column cols[MAX_COLUMNS];
	int n;
	int readable;           /* names and text are UTF-8 without NUL */
	unsigned char *arena;   /* every value, one after another (owned) */
	size_t used;
};

static int is_utf8_text(const void *bytes, size_t len)
{
	json_t *s;

	if (memchr(bytes, '\0', len) != NULL)
		return 0;
	s = json_stringn(bytes, len);
	json_decref(s);
	return s != NULL;
}

static uint64_t big_endian(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Sets the column's value: a copy of the bytes in the row's arena, which
 * has room for every value of the input and a version byte for each. */
static void set_value(struct row *row, struct column *c, const uint8_t *bytes, size_t len, int version_byte)
{
	c->value = row->arena + row->used;
	if (version_byte)
		c->value[0] = 1;
	if (len > 0)
		memcpy(c->value + version_byte, bytes, len);
	c->len = (int)len + version_byte;
	row->used += (size_t)c->len;
}

/* JSON as PostgreSQL would hold it (text, so no NUL byte), jsonb with its
 * version byte. */
static void set_json_value(struct row *row, struct column *c, const uint8_t *bytes, size_t len)
{
	json_t *parsed = memchr(bytes, '\0', len) ? NULL : json_loadb((const char *)bytes, len, JSON_DECODE_ANY, NULL);

	if (parsed == NULL) {
		bytes = (const uint8_t *)"null";
		len = 4;
	}
	json_decref(parsed);
	set_value(row, c, bytes, len, c->type == JSONB);
}

/* One column from the input; 0 when the input ran out. */
static int read_column(const uint8_t **data, size_t *size, struct row *row, struct column *c)
{
	const uint8_t *p = *data;
	size_t left = *size, name_len, len;

	memset(c, 0, sizeof(*c));
	if (left < 2)
		return 0;
	c->type = types[(p[0] & 0x7f) % TYPES].oid;
	len = (size_t)types[(p[0] & 0x7f) % TYPES].width;
	c->is_null = p[0] >> 7;
	name_len = p[1] % (NAME_MAX_LEN + 1);
	p += 2;
	left -= 2;
	if (left < name_len)
		return 0;
	memcpy(c->name, p, name_len);
	row->readable = row->readable && is_utf8_text(p, name_len);
	p += name_len;
	left -= name_len;
	if (len == 0) {
		if (left < 2)
			return 0;
		len = (size_t)big_endian(p, 2);
		p += 2;
		left -= 2;
	}
	if (c->is_null || left < len) {
		c->is_null = 1;
		len = left < len ? 0 : len;
	} else if (c->type == JSON || c->type == JSONB) {
		set_json_value(row, c, p, len);
	} else {
		if (c->type == TEXT || c->type == VARCHAR)
			row->readable = row->readable && is_utf8_text(p, len);
		set_value(row, c, p, len, 0);
	}
	*data = p + len;
	*size = left - len;
	return 1;
}

static PGresult *to_result(const struct row *row)
{
	PGresAttDesc attrs[MAX_COLUMNS];
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);

	FUZZ_CHECK(res != NULL);
	for (int i = 0; i < row->n; i++)
		attrs[i] = (PGresAttDesc){.name = (char *)row->cols[i].name, .format = 1, .typid = row->cols[i].type,
					  .typlen = -1, .atttypmod = -1};
	FUZZ_CHECK(PQsetResultAttrs(res, row->n, attrs));
	for (int i = 0; i < row->n; i++) {
		const struct column *c = &row->cols[i];

		FUZZ_CHECK(PQsetvalue(res, 0, i, c->is_null ? NULL : (char *)c->value, c->is_null ? -1 : c->len));
	}
	return res;
}

static void check_date(const json_t *v, const unsigned char *bytes)
{
	int64_t days = (int64_t)(int32_t)big_endian(bytes, 4) + PG_EPOCH_DAYS;
	struct cw_date first = {DATE_MIN_YEAR, 1, 1}, last = {DATE_MAX_YEAR, 12, 31}, d;

	if (days < date_to_days(&first) || days > date_to_days(&last))
		return;
	FUZZ_CHECK(date_parse(json_string_value(v), &d) == 0);
	FUZZ_CHECK(date_to_days(&d) == days);
}

static void check_timestamp(const json_t *v, const unsigned char *bytes)
{
	int64_t pg = (int64_t)big_endian(bytes, 8), us = 0;
	struct cw_date first = {DATE_MIN_YEAR, 1, 1}, end = {DATE_MAX_YEAR + 1, 1, 1};

	if (pg < date_to_days(&first) * 86400000000LL - PG_EPOCH_US ||
	    pg >= date_to_days(&end) * 86400000000LL - PG_EPOCH_US)
		return;
	FUZZ_CHECK(timestamp_parse(json_string_value(v), &us) == 0);
	FUZZ_CHECK(us == pg + PG_EPOCH_US);
}

static void check_value(const struct column *c, const json_t *v)
{
	json_t *want;
	char uuid[37];

	FUZZ_CHECK(v != NULL);
	if (c->is_null) {
		FUZZ_CHECK(json_is_null(v));
		return;
	}
	switch (c->type) {
	case TEXT:
	case VARCHAR:
		FUZZ_CHECK(json_string_length(v) == (size_t)c->len);
		FUZZ_CHECK(memcmp(json_string_value(v), c->value, (size_t)c->len) == 0);
		return;
	case BOOL:
		FUZZ_CHECK(json_is_boolean(v) && json_is_true(v) == (c->value[0] != 0));
		return;
	case INT2:
		FUZZ_CHECK(json_integer_value(v) == (int16_t)big_endian(c->value, 2));
		return;
	case INT4:
		FUZZ_CHECK(json_integer_value(v) == (int32_t)big_endian(c->value, 4));
		return;
	case INT8:
		FUZZ_CHECK(json_is_integer(v) && json_integer_value(v) == (int64_t)big_endian(c->value, 8));
		return;
	case UUID:
		uuid_format(c->value, uuid);
		FUZZ_CHECK(json_is_string(v) && strcmp(json_string_value(v), uuid) == 0);
		return;
	case DATE:
		FUZZ_CHECK(json_is_string(v) || json_is_null(v));
		if (json_is_string(v))
			check_date(v, c->value);
		return;
	case TIMESTAMPTZ:
		FUZZ_CHECK(json_is_string(v) || json_is_null(v));
		if (json_is_string(v))
			check_timestamp(v, c->value);
		return;
	case JSON:
	case JSONB:
		want = json_loadb((const char *)c->value + (c->type == JSONB), (size_t)c->len - (c->type == JSONB),
				  JSON_DECODE_ANY, NULL);
		FUZZ_CHECK(json_equal(want, v));
		json_decref(want);
		return;
	default:
		FUZZ_CHECK(json_is_null(v));
	}
}

static void check_row(const struct row *row, const char *text)
{
	json_error_t jerr;
	json_t *obj = json_loads(text, 0, &jerr);

	if (obj == NULL)
		fprintf(stderr, "not JSON: %s: %s\n", jerr.text, text);
	FUZZ_CHECK(json_is_object(obj));
	for (int i = 0; i < row->n; i++) {
		int repeated = 0;

		for (int j = 0; j < row->n; j++)
			repeated |= j != i && strcmp(row->cols[i].name, row->cols[j].name) == 0;
		if (!repeated)
			check_value(&row->cols[i], json_object_get(obj, row->cols[i].name));
	}
	json_decref(obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct row row = {.n = 0, .readable = 1, .used = 0};
	struct strbuf sb = STRBUF_INIT;
	PGresult *res;

	row.arena = malloc(size + (size_t)MAX_COLUMNS * 5);
	FUZZ_CHECK(row.arena != NULL);
	while (row.n < MAX_COLUMNS && read_column(&data, &size, &row, &row.cols[row.n]))
		row.n++;
	res = to_result(&row);
	rowjson_append(&sb, res, 0);
	FUZZ_CHECK(!sb.failed && sb.buf != NULL);
	if (row.readable)
		check_row(&row, sb.buf);
	strbuf_release(&sb);
	PQclear(res);
	free(row.arena);
	return 0;
}
