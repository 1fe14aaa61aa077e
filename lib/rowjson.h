/*
 * rowjson: database rows -> the API's JSON, built in C.
 *
 * Queries that answer records select exactly the API's fields, named as the
 * API names them and in its order, with results in binary format; this module
 * writes each row as a JSON object with one member per column. Building the
 * JSON here costs the database a quarter of what json_build_object() does.
 *
 * Supported column types: uuid, text/varchar, bool, int2/4/8, date
 * (YYYY-MM-DD), timestamptz (RFC 3339 UTC with microseconds), json and jsonb
 * (copied as they are). Anything else is written as null and logged: a
 * query must not select it. So is a date or time whose year those forms
 * cannot write (before 0000 or after 9999, or +-infinity).
 */
#ifndef CW_ROWJSON_H
#define CW_ROWJSON_H

#include <libpq-fe.h>
#include <stdint.h>

#include "strbuf.h"

/* Appends row of res (binary format) as a JSON object. */
void rowjson_append(struct strbuf *out, const PGresult *res, int row);

/* The same with only the first n columns: those after them are for the
 * caller (a list's sort key), not for the answer. */
void rowjson_append_columns(struct strbuf *out, const PGresult *res, int row, int n);

/* Appends s as a JSON string. */
void rowjson_string(struct strbuf *out, const char *s, size_t len);

/* The value of a binary uuid column as canonical text. */
void rowjson_uuid(const PGresult *res, int row, int col, char out[37]);

/* The value of a binary int8 column. */
int64_t rowjson_int8(const PGresult *res, int row, int col);

/* The value of a binary timestamptz column, in microseconds since 1970
 * (INT64_MAX for a value at or near infinity). */
int64_t rowjson_timestamp_us(const PGresult *res, int row, int col);

#endif
