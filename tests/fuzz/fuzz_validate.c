/*
 * Request bodies of every kind of record, checked against its field table
 * (lib/validate.c validate_body) and answered as problem+json
 * (api/problem.c), as a POST, PUT or PATCH would be.
 *
 * Input: a first line naming the kind (its audit type) and the mode, such
 * as "visit create" or "plan patch", then the body as a client sends it.
 * When the first line names no kind and mode, the whole input is the body
 * and every kind is tried in both modes.
 *
 * Promises checked: every body gets an answer; one with problems gets a 422
 * whose problem+json a client can read, listing at most
 * CW_MAX_FIELD_ERRORS errors, each with a field and a message; a body
 * without problems only names known, writable fields and, on create, gives
 * every required one.
 */
#include "fuzz.h"

#include "cases.h"
#include "goals.h"
#include "hearings.h"
#include "participants.h"
#include "plans.h"
#include "problem.h"
#include "referrals.h"
#include "resource.h"
#include "visits.h"

/* Every kind of record a client writes: a new kind is one more line. */
static const struct resource *const kinds[] = {
	&case_resource,
	&participant_resource,
	&plan_resource,
	&goal_resource,
	&progress_resource,
	&referral_resource,
	&visit_resource,
	&hearing_resource,
};
#define KINDS (sizeof(kinds) / sizeof(kinds[0]))

static const char *const mode_names[] = {[VALIDATE_CREATE] = "create", [VALIDATE_PATCH] = "patch"};

static void check_clean_body(const json_t *body, const struct field_spec *fields, enum validate_mode mode)
{
	const char *name;
	const json_t *value;

	json_object_foreach((json_t *)body, name, value) {
		const struct field_spec *f = field_spec_find(fields, name);

		FUZZ_CHECK(f != NULL && !(f->flags & F_READ_ONLY));
		FUZZ_CHECK(!json_is_null(value) || (f->flags & F_NULLABLE));
	}
	if (mode == VALIDATE_CREATE)
		for (const struct field_spec *f = fields; f->name; f++)
			FUZZ_CHECK(!(f->flags & F_REQUIRED) || json_object_get(body, f->name) != NULL);
}

/* The answer a client reads: problem+json with the field errors. */
static void check_problem(struct exchange *x)
{
	json_t *answer, *errors, *e;
	size_t i;

	problem_reply(x);
	FUZZ_CHECK(x->status == 422);
	FUZZ_CHECK(x->reply_body != NULL);
	answer = json_loads(x->reply_body, JSON_REJECT_DUPLICATES, NULL);
	FUZZ_CHECK(answer != NULL);
	errors = json_object_get(answer, "errors");
	FUZZ_CHECK(json_array_size(errors) >= 1 && json_array_size(errors) <= CW_MAX_FIELD_ERRORS);
	json_array_foreach(errors, i, e) {
		FUZZ_CHECK(json_is_string(json_object_get(e, "field")));
		FUZZ_CHECK(json_is_string(json_object_get(e, "message")));
	}
	json_decref(answer);
	free(x->reply_body);
	x->reply_body = NULL;
}

static void check_kind(const json_t *body, const struct resource *kind, enum validate_mode mode)
{
	struct exchange x;

	memset(&x, 0, sizeof(x));
	x.err = (struct cw_error)CW_ERROR_INIT;
	validate_body(body, kind->fields, mode, &x.err);
	FUZZ_CHECK((x.err.code == CW_INVALID) == cw_has_field_errors(&x.err));
	if (cw_has_field_errors(&x.err))
		check_problem(&x);
	else
		check_clean_body(body, kind->fields, mode);
	cw_error_release(&x.err);
}

/* As request_parse_body() reads a body: one JSON object, no repeated names. */
static json_t *parse_body(const uint8_t *data, size_t size)
{
	json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);

	if (!json_is_object(body)) {
		json_decref(body);
		return NULL;
	}
	return body;
}

/* The kind and mode the first line names; -1 when it names none. */
static int read_header(const uint8_t *data, size_t size, const struct resource **kind, enum validate_mode *mode)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char line[64];
	size_t len = nl ? (size_t)(nl - data) : 0;

	if (nl == NULL || len >= sizeof(line))
		return -1;
	memcpy(line, data, len);
	line[len] = '\0';
	for (size_t k = 0; k < KINDS; k++)
		for (int m = VALIDATE_CREATE; m <= VALIDATE_PATCH; m++) {
			char want[64];

			snprintf(want, sizeof(want), "%s %s", kinds[k]->audit_type, mode_names[m]);
			if (strcmp(line, want) == 0) {
				*kind = kinds[k];
				*mode = (enum validate_mode)m;
				return (int)len + 1;
			}
		}
	return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct resource *kind = NULL;
	enum validate_mode mode = VALIDATE_CREATE;
	int skip = read_header(data, size, &kind, &mode);
	json_t *body = skip < 0 ? parse_body(data, size) : parse_body(data + skip, size - (size_t)skip);

	if (body == NULL)
		return 0;
	if (kind != NULL) {
		check_kind(body, kind, mode);
	} else {
		for (size_t k = 0; k < KINDS; k++) {
			check_kind(body, kinds[k], VALIDATE_CREATE);
			check_kind(body, kinds[k], VALIDATE_PATCH);
		}
	}
	json_decref(body);
	return 0;
}
