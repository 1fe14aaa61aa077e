/*
 * validate: field rules -> a list of field errors.
 *
 * A resource describes its fields once in a table of struct field_spec;
 * validate_body() checks every member of a request body against it and adds
 * one error per bad member (unknown, read-only, missing, null where not
 * allowed, wrong type, bad enum, impossible date, over-long or blank text),
 * so the client learns every problem at once. Rules across fields belong to
 * the resource's own module (those several share: rules.h); what a string is
 * as text, to text.h.
 */
#ifndef CW_VALIDATE_H
#define CW_VALIDATE_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"
#include "uuid.h"

enum field_type {
	FT_STRING,    /* one line of text: no control characters */
	FT_TEXT,      /* free text: newlines and tabs allowed */
	FT_ENUM,
	FT_DATE,      /* YYYY-MM-DD, a real calendar date */
	FT_TIMESTAMP, /* RFC 3339 with offset */
	FT_BOOL,
	FT_INT,
	FT_UUID,
	FT_UUID_LIST, /* an array of distinct UUIDs, 1 to max_len of them */
	FT_ENUM_LIST, /* an array of distinct members of values, 1 to max_len of them */
	FT_OBJECT_LIST, /* an array of 0 to max objects, each of exactly the members named in
			   values, every one a non-blank one-line string of at most max_len
			   characters; stored as JSON (jsonb) */
};

#define F_REQUIRED  1u  /* must be given when creating */
#define F_NULLABLE  2u  /* null is allowed and clears the field */
#define F_READ_ONLY 4u  /* kept by the server: refused in requests */

struct field_spec {
	const char *name;
	enum field_type type;
	unsigned flags;
	size_t max_len;               /* characters, for FT_STRING and FT_TEXT */
	const char *const *values;    /* FT_ENUM, FT_ENUM_LIST: NULL-terminated members */
	long long min, max;           /* FT_INT: inclusive range */
};

enum validate_mode { VALIDATE_CREATE, VALIDATE_PATCH };

/* Checks body's members against specs (terminated by a spec with name NULL). */
void validate_body(const json_t *body, const struct field_spec *specs, enum validate_mode mode,
		   struct cw_error *err);

/* Checks one value against one spec; adds a field error and returns -1 when bad. */
int validate_value(const json_t *value, const struct field_spec *spec, struct cw_error *err);

/* The spec named name, or NULL. */
const struct field_spec *field_spec_find(const struct field_spec *specs, const char *name);

#endif
