/* rowjson and record pages: binary rows -> the API's JSON, built in memory
 * with libpq's result constructors (no database). */
#include "rowjson.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "record.h"
#include "strbuf.h"

enum { BOOL = 16, INT8 = 20, INT2 = 21, INT4 = 23, TEXT = 25, JSON = 114, FLOAT8 = 701,
       VARCHAR = 1043, DATE = 1082, TIMESTAMPTZ = 1184, UUID = 2950, JSONB = 3802 };

#define US_1970_TO_2000 946684800000000LL

struct column {
	const char *name;
	Oid type;
};

/* An empty binary-format result with these columns. */
static PGresult *result(int n, const struct column *cols)
{
	PGresAttDesc attrs[8];
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);

	for (int i = 0; i < n && i < 8; i++)
		attrs[i] = (PGresAttDesc){.name = (char *)cols[i].name, .format = 1, .typid = cols[i].type,
					  .typlen = -1, .atttypmod = -1};
	if (res && !PQsetResultAttrs(res, n, attrs)) {
		PQclear(res);
		res = NULL;
	}
	return res;
}

/* Sets a value; len -1 is SQL NULL. */
static void put(PGresult *res, int row, int col, const void *bytes, int len)
{
	if (!PQsetvalue(res, row, col, (char *)bytes, len))
		fprintf(stderr, "  PQsetvalue(%d, %d) failed\n", row, col);
}

/* v in network byte order, as PostgreSQL sends integers in binary. */
static const unsigned char *big_endian(int64_t v, int bytes, unsigned char b[8])
{
	for (int i = 0; i < bytes; i++)
		b[i] = (unsigned char)((uint64_t)v >> (8 * (bytes - 1 - i)));
	return b;
}

static void put_int(PGresult *res, int row, int col, int64_t v, int bytes)
{
	unsigned char b[8];

	put(res, row, col, big_endian(v, bytes, b), bytes);
}

/* Row row of res as JSON text (caller frees). */
static char *row_json(const PGresult *res, int row)
{
	struct strbuf sb = STRBUF_INIT;

	rowjson_append(&sb, res, row);
	return strbuf_detach(&sb);
}

/* 1 when text parses as JSON (and so a client can read it). */
static int is_json(const char *text)
{
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);

	json_decref(j);
	return j != NULL;
}

/* The one-column row (type, bytes) as JSON text (caller frees). */
static char *one(Oid type, const void *bytes, int len)
{
	const struct column col = {"v", type};
	PGresult *res = result(1, &col);
	char *text;

	put(res, 0, 0, bytes, len);
	text = row_json(res, 0);
	PQclear(res);
	return text;
}

static char *one_int(Oid type, int64_t v, int bytes)
{
	unsigned char b[8];

	return one(type, big_endian(v, bytes, b), bytes);
}

#define CHECK_ROW(expr, want)                 \
	do {                                  \
		char *got_ = (expr);          \
		CHECK_STR(got_, want);        \
		CHECK(got_ && is_json(got_)); \
		free(got_);                   \
	} while (0)

static void test_strbuf_grows_and_detaches(void)
{
	struct strbuf sb = STRBUF_INIT;
	char *s;

	s = strbuf_detach(&sb);
	CHECK_STR(s, "");  /* never NULL for an empty, healthy buffer */
	free(s);
	for (int i = 0; i < 5000; i++)
		strbuf_addstr(&sb, "ab");
	strbuf_addch(&sb, '!');
	strbuf_add(&sb, "xyz", 2);
	CHECK(sb.len == 10003 && strlen(sb.buf) == 10003);
	CHECK(strcmp(sb.buf + 10000, "!xy") == 0);
	s = strbuf_detach(&sb);
	CHECK(sb.buf == NULL && sb.len == 0);
	free(s);
	strbuf_addstr(&sb, "again");
	strbuf_release(&sb);
	CHECK(sb.buf == NULL && sb.len == 0);
}

static void test_text_is_escaped_as_a_json_string(void)
{
	static const char text[] = "a\"b\\c\nd\re\tf\x01g\x1f h\x7f\xc3\xa9";
	char *got = one(TEXT, text, (int)strlen(text));
	json_t *parsed = got ? json_loads(got, 0, NULL) : NULL;

	CHECK_STR(got, "{\"v\":\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001f h\x7f\xc3\xa9\"}");
	CHECK(parsed && strcmp(json_string_value(json_object_get(parsed, "v")), text) == 0);
	json_decref(parsed);
	free(got);
	CHECK_ROW(one(VARCHAR, "", 0), "{\"v\":\"\"}");
	CHECK_ROW(one(TEXT, "</script>", 9), "{\"v\":\"</script>\"}");
}

static void test_uuid_bool_and_integers(void)
{
	static const unsigned char uuid[16] = {0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3,
					       0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x0f};

	CHECK_ROW(one(UUID, uuid, 16), "{\"v\":\"123e4567-e89b-12d3-a456-42661417400f\"}");
	CHECK_ROW(one(BOOL, "\x01", 1), "{\"v\":true}");
	CHECK_ROW(one(BOOL, "\x00", 1), "{\"v\":false}");
	CHECK_ROW(one_int(INT2, -2, 2), "{\"v\":-2}");
	CHECK_ROW(one_int(INT2, 32767, 2), "{\"v\":32767}");
	CHECK_ROW(one_int(INT4, INT32_MIN, 4), "{\"v\":-2147483648}");
	CHECK_ROW(one_int(INT4, 0, 4), "{\"v\":0}");
	CHECK_ROW(one_int(INT8, INT64_MIN, 8), "{\"v\":-9223372036854775808}");
	CHECK_ROW(one_int(INT8, INT64_MAX, 8), "{\"v\":9223372036854775807}");
}

static void test_dates_count_from_2000(void)
{
	CHECK_ROW(one_int(DATE, 0, 4), "{\"v\":\"2000-01-01\"}");
	CHECK_ROW(one_int(DATE, -1, 4), "{\"v\":\"1999-12-31\"}");
	CHECK_ROW(one_int(DATE, 8825, 4), "{\"v\":\"2024-02-29\"}");
	CHECK_ROW(one_int(DATE, -36524, 4), "{\"v\":\"1900-01-01\"}");
	CHECK_ROW(one_int(DATE, 36889, 4), "{\"v\":\"2100-12-31\"}");
}

static void test_timestamps_are_utc_with_microseconds(void)
{
	CHECK_ROW(one_int(TIMESTAMPTZ, 0, 8), "{\"v\":\"2000-01-01T00:00:00.000000Z\"}");
	CHECK_ROW(one_int(TIMESTAMPTZ, 1, 8), "{\"v\":\"2000-01-01T00:00:00.000001Z\"}");
	CHECK_ROW(one_int(TIMESTAMPTZ, -US_1970_TO_2000 - 1, 8), "{\"v\":\"1969-12-31T23:59:59.999999Z\"}");
	CHECK_ROW(one_int(TIMESTAMPTZ, 1769902200LL * 1000000 - US_1970_TO_2000, 8),
		  "{\"v\":\"2026-01-31T23:30:00.000000Z\"}");
}

/* Found by fuzz_rowjson: +-infinity (the extreme values PostgreSQL gives them)
 * overflowed the shift to 1970, which is undefined behaviour, and years past
 * 9999 came out with a wrong year. A date or time that YYYY-MM-DD cannot
 * write is null (and logged); the years 0000 to 9999 are written. */
static void test_dates_and_times_beyond_four_digit_years_are_null(void)
{
	const struct column col = {"at", TIMESTAMPTZ};
	PGresult *res = result(1, &col);

	CHECK_ROW(one_int(DATE, INT32_MAX, 4), "{\"v\":null}");
	CHECK_ROW(one_int(DATE, INT32_MIN, 4), "{\"v\":null}");
	CHECK_ROW(one_int(DATE, 2921939, 4), "{\"v\":\"9999-12-31\"}");
	CHECK_ROW(one_int(DATE, 2921940, 4), "{\"v\":null}");
	CHECK_ROW(one_int(DATE, -730485, 4), "{\"v\":\"0000-01-01\"}");
	CHECK_ROW(one_int(DATE, -730486, 4), "{\"v\":null}");
	CHECK_ROW(one_int(TIMESTAMPTZ, INT64_MAX, 8), "{\"v\":null}");
	CHECK_ROW(one_int(TIMESTAMPTZ, INT64_MIN, 8), "{\"v\":null}");
	CHECK_ROW(one_int(TIMESTAMPTZ, 2921940LL * 86400000000LL - 1, 8),
		  "{\"v\":\"9999-12-31T23:59:59.999999Z\"}");
	CHECK_ROW(one_int(TIMESTAMPTZ, 2921940LL * 86400000000LL, 8), "{\"v\":null}");
	CHECK_ROW(one_int(TIMESTAMPTZ, -730485LL * 86400000000LL, 8), "{\"v\":\"0000-01-01T00:00:00.000000Z\"}");
	put_int(res, 0, 0, INT64_MAX, 8);
	CHECK(rowjson_timestamp_us(res, 0, 0) == INT64_MAX);
	PQclear(res);
}

static void test_json_is_copied_and_null_is_null(void)
{
	CHECK_ROW(one(JSON, "{\"a\":[1,2]}", 11), "{\"v\":{\"a\":[1,2]}}");
	CHECK_ROW(one(JSONB, "\x01{\"a\": 1}", 9), "{\"v\":{\"a\": 1}}");
	CHECK_ROW(one(TEXT, NULL, -1), "{\"v\":null}");
	CHECK_ROW(one(DATE, NULL, -1), "{\"v\":null}");
}

/* A column of a type rowjson does not know is written as null (and logged). */
static void test_unsupported_type_is_null(void)
{
	CHECK_ROW(one_int(FLOAT8, 0x4004000000000000LL, 8), "{\"v\":null}");
}

static void test_columns_keep_their_order_and_names_are_escaped(void)
{
	const struct column cols[] = {{"id", INT4}, {"say \"hi\"", TEXT}, {"z", BOOL}};
	PGresult *res = result(3, cols);

	put_int(res, 0, 0, 7, 4);
	put(res, 0, 1, "yo", 2);
	put(res, 0, 2, "\x01", 1);
	CHECK_ROW(row_json(res, 0), "{\"id\":7,\"say \\\"hi\\\"\":\"yo\",\"z\":true}");
	PQclear(res);
}

static const unsigned char uuid_a[16] = {0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3,
					 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00};

/* Rows of (id uuid, version int8, name text), version = 7 + row. */
static PGresult *records(int n)
{
	const struct column cols[] = {{"id", UUID}, {"version", INT8}, {"name", TEXT}};
	PGresult *res = result(3, cols);
	char name[16];

	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "n%d", i + 1);
		put(res, i, 0, uuid_a, 16);
		put_int(res, i, 1, 7 + i, 8);
		put(res, i, 2, name, (int)strlen(name));
	}
	return res;
}

static void test_record_text_from_row_reads_id_version_and_json(void)
{
	PGresult *res = records(2);
	const struct column no_id_cols[] = {{"version", INT8}};
	PGresult *no_id = result(1, no_id_cols);
	struct record_text r = {0};

	CHECK(record_text_from_row(&r, res, 1) == 0);
	CHECK_STR(r.id, "123e4567-e89b-12d3-a456-426614174000");
	CHECK(r.version == 8);
	CHECK_STR(r.json, "{\"id\":\"123e4567-e89b-12d3-a456-426614174000\",\"version\":8,\"name\":\"n2\"}");
	record_text_release(&r);
	CHECK(r.json == NULL);
	record_text_release(NULL);
	put_int(no_id, 0, 0, 1, 8);
	CHECK(record_text_from_row(&r, no_id, 0) != 0);
	record_text_release(&r);
	PQclear(res);
	PQclear(no_id);
}

int main(void)
{
	RUN(test_strbuf_grows_and_detaches);
	RUN(test_text_is_escaped_as_a_json_string);
	RUN(test_uuid_bool_and_integers);
	RUN(test_dates_count_from_2000);
	RUN(test_timestamps_are_utc_with_microseconds);
	RUN(test_dates_and_times_beyond_four_digit_years_are_null);
	RUN(test_json_is_copied_and_null_is_null);
	RUN(test_unsupported_type_is_null);
	RUN(test_columns_keep_their_order_and_names_are_escaped);
	RUN(test_record_text_from_row_reads_id_version_and_json);
	return check_result();
}
