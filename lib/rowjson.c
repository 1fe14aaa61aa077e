#include "rowjson.h"

#include <string.h>

#include "dates.h"
#include "log.h"
#include "uuid.h"

/* Built-in type OIDs: fixed by the PostgreSQL catalog. */
enum {
	BOOL_OID = 16,
	INT8_OID = 20,
	INT2_OID = 21,
	INT4_OID = 23,
	TEXT_OID = 25,
	JSON_OID = 114,
	VARCHAR_OID = 1043,
	DATE_OID = 1082,
	TIMESTAMPTZ_OID = 1184,
	UUID_OID = 2950,
	JSONB_OID = 3802,
};

/* PostgreSQL counts dates and timestamps from 2000-01-01. */
#define PG_EPOCH_DAYS 10957
#define PG_EPOCH_US (PG_EPOCH_DAYS * 86400LL * 1000000LL)

/* The days, from 2000-01-01, of the years YYYY-MM-DD can write: 0000 to 9999.
 * PostgreSQL holds more (4713 BC to 5874897 AD, and +-infinity as the
 * extreme values of the type), which no API form can say. */
#define PG_FIRST_DAY (-730485LL)    /* 0000-01-01 */
#define PG_END_DAY 2921940LL        /* 10000-01-01 */
#define US_PER_DAY (86400LL * 1000000LL)

static const char hex[] = "0123456789abcdef";

static uint64_t be(const char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 8) | (unsigned char)p[i];
	return v;
}

void rowjson_string(struct strbuf *out, const char *s, size_t len)
{
	size_t start = 0;

	strbuf_addch(out, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		strbuf_add(out, s + start, i - start);
		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};

			strbuf_add(out, esc, 2);
		} else if (c == '\n') {
			strbuf_add(out, "\\n", 2);
		} else if (c == '\r') {
			strbuf_add(out, "\\r", 2);
		} else if (c == '\t') {
			strbuf_add(out, "\\t", 2);
		} else {
			char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

			strbuf_add(out, esc, 6);
		}
		start = i + 1;
	}
	strbuf_add(out, s + start, len - start);
	strbuf_addch(out, '"');
}

void rowjson_uuid(const PGresult *res, int row, int col, char out[37])
{
	if (PQgetlength(res, row, col) != 16)
		out[0] = '\0';
	else
		uuid_format((const unsigned char *)PQgetvalue(res, row, col), out);
}

int64_t rowjson_int8(const PGresult *res, int row, int col)
{
	return PQgetlength(res, row, col) == 8 ? (int64_t)be(PQgetvalue(res, row, col), 8) : 0;
}

int64_t rowjson_timestamp_us(const PGresult *res, int row, int col)
{
	int64_t v = rowjson_int8(res, row, col);

	return v > INT64_MAX - PG_EPOCH_US ? INT64_MAX : v + PG_EPOCH_US;  /* infinity stays last */
}

static void append_integer(struct strbuf *out, int64_t v)
{
	char digits[24];
	int n = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		strbuf_addch(out, '-');
	while (n > 0)
		strbuf_addch(out, digits[--n]);
}

static void append_quoted(struct strbuf *out, const char *text)
{
	strbuf_addch(out, '"');
	strbuf_addstr(out, text);
	strbuf_addch(out, '"');
}

/* A date column, or null (logged) when its year has no four-digit form. */
static void append_date(struct strbuf *out, const PGresult *res, int col, const char *v)
{
	int64_t days = (int32_t)be(v, 4);
	struct cw_date d;
	char text[11];

	if (days < PG_FIRST_DAY || days >= PG_END_DAY) {
		log_event("error", "rowjson: column %s holds a date outside the years 0000 to 9999", PQfname(res, col));
		strbuf_addstr(out, "null");
		return;
	}
	d = date_from_days(days + PG_EPOCH_DAYS);
	date_format(&d, text);
	append_quoted(out, text);
}

/* A timestamptz column, or null (logged) when its year has no four-digit form. */
static void append_timestamp(struct strbuf *out, const PGresult *res, int col, const char *v)
{
	int64_t us = (int64_t)be(v, 8);
	char text[28];

	if (us < PG_FIRST_DAY * US_PER_DAY || us >= PG_END_DAY * US_PER_DAY) {
		log_event("error", "rowjson: column %s holds a time outside the years 0000 to 9999",
			  PQfname(res, col));
		strbuf_addstr(out, "null");
		return;
	}
	timestamp_format(us + PG_EPOCH_US, text);
	append_quoted(out, text);
}

static void append_value(struct strbuf *out, const PGresult *res, int row, int col)
{
	const char *v = PQgetvalue(res, row, col);
	int len = PQgetlength(res, row, col);
	char text[40];

	switch (PQftype(res, col)) {
	case TEXT_OID:
	case VARCHAR_OID:
		rowjson_string(out, v, (size_t)len);
		return;
	case UUID_OID:
		rowjson_uuid(res, row, col, text);
		append_quoted(out, text);
		return;
	case BOOL_OID:
		strbuf_addstr(out, len == 1 && v[0] ? "true" : "false");
		return;
	case INT2_OID:
	case INT4_OID:
	case INT8_OID:
		append_integer(out, len == 2 ? (int16_t)be(v, 2) : len == 4 ? (int32_t)be(v, 4) : (int64_t)be(v, 8));
		return;
	case DATE_OID:
		append_date(out, res, col, v);
		return;
	case TIMESTAMPTZ_OID:
		append_timestamp(out, res, col, v);
		return;
	case JSON_OID:
		strbuf_add(out, v, (size_t)len);
		return;
	case JSONB_OID: /* a version byte, then the text */
		if (len > 1)
			strbuf_add(out, v + 1, (size_t)len - 1);
		else
			strbuf_addstr(out, "null");
		return;
	default:
		log_event("error", "rowjson: column %s has unsupported type %u", PQfname(res, col),
			  (unsigned)PQftype(res, col));
		strbuf_addstr(out, "null");
	}
}

void rowjson_append(struct strbuf *out, const PGresult *res, int row)
{
	rowjson_append_columns(out, res, row, PQnfields(res));
}

void rowjson_append_columns(struct strbuf *out, const PGresult *res, int row, int n)
{
	strbuf_addch(out, '{');
	for (int col = 0; col < n; col++) {
		const char *name = PQfname(res, col);

		if (col > 0)
			strbuf_addch(out, ',');
		rowjson_string(out, name, strlen(name));
		strbuf_addch(out, ':');
		if (PQgetisnull(res, row, col))
			strbuf_addstr(out, "null");
		else
			append_value(out, res, row, col);
	}
	strbuf_addch(out, '}');
}
