/*
 * record: what every resource's storage shares.
 *
 * A record travels as JSON text built by lib/rowjson.c from a row that selects
 * exactly the API's fields, with its version for the ETag. Writes take a
 * precondition (If-Match), a JSON merge patch, and produce libpq parameters
 * from a record's members.
 */
#ifndef CW_RECORD_H
#define CW_RECORD_H

#include <jansson.h>
#include <libpq-fe.h>

#include "auth.h"
#include "cursor.h"
#include "validate.h"

/* A record as answered: JSON text (owned, free with record_text_release), its
 * version and id. */
struct record_text {
	char *json;
	long long version;
	char id[37];
};

void record_text_release(struct record_text *r);

/* Fills r from row of a binary result holding the record's fields, among them
 * "id" (uuid) and "version" (int8). */
int record_text_from_row(struct record_text *r, const PGresult *res, int row);

/* Who is changing the record, for the audit trail: the request's id is the
 * service's own; the id the client sent, if any, is kept beside it. */
struct actor {
	const struct principal *principal;
	const char *request_id;
	const char *client_request_id;   /* "" when the client sent none */
};

/* If-Match, parsed by the HTTP layer: absent, "*", or a list of versions. */
#define PRECONDITION_MAX_TAGS 8
struct precondition {
	int present;
	int any;
	int count;
	long long versions[PRECONDITION_MAX_TAGS];
};

/* Whether a record at version may be changed under p. */
int precondition_holds(const struct precondition *p, long long version);

/* RFC 7396 merge of a flat patch into a copy of current (members set to null
 * are kept as JSON null, meaning "cleared"). Caller decrefs the result. */
json_t *record_merge(const json_t *current, const json_t *patch);

/* The text of a member, NULL when absent or null. */
const char *record_text_member(const json_t *record, const char *field);

struct cw_date;

/* Sets field to the date (YYYY-MM-DD). */
void record_set_date(json_t *record, const char *field, const struct cw_date *d);

/* Sets field to today in the agency's time zone. */
void record_set_today(json_t *record, const char *field);

/* 1 when field differs between a and b (absent equals null). */
int record_field_changed(const json_t *a, const json_t *b, const char *field);

/* 1 when any of the NULL-terminated fields differs. */
int record_changed_any(const json_t *a, const json_t *b, const char *const *fields);

/* libpq text for member field of obj: NULL for null or absent, the string
 * itself (borrowed from obj), or the number/boolean written into buf. */
const char *record_param(const json_t *obj, const char *field, char *buf, size_t len);

/* The UUIDs of the array member field in canonical form (lower case), sorted:
 * the one form a list of people is stored and answered in. Leaves the member
 * as it is when one of them is not a UUID. */
void record_sort_uuids(json_t *record, const char *field);

/* A UUID member in canonical form (lower case); nothing when absent, null or
 * not a UUID (validation reports that). */
void record_canonical_uuid(json_t *record, const char *field);

/* A JSON array of strings as a PostgreSQL array literal ({"a","b"}), for a
 * parameter; caller frees (NULL when out of memory). */
char *record_array_literal(const json_t *array);

#endif
