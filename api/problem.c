#include "problem.h"

#include <stdlib.h>

struct problem_kind {
	int status;
	const char *type;
	const char *title;
};

static const struct problem_kind kinds[] = {
	[CW_OK] = {500, "urn:casework:problem:internal", "Internal error"},
	[CW_BAD_REQUEST] = {400, "urn:casework:problem:malformed-body", "The body is not a JSON object"},
	[CW_UNAUTHENTICATED] = {401, "urn:casework:problem:unauthenticated", "Authentication required"},
	[CW_FORBIDDEN] = {403, "urn:casework:problem:forbidden", "Your role may not do this"},
	[CW_NOT_FOUND] = {404, "urn:casework:problem:not-found", "Not found"},
	[CW_METHOD_NOT_ALLOWED] = {405, "urn:casework:problem:method-not-allowed", "Method not allowed"},
	[CW_CONFLICT] = {409, "urn:casework:problem:conflict", "Conflict"},
	[CW_PRECONDITION_FAILED] = {412, "urn:casework:problem:precondition-failed", "The record has changed"},
	[CW_TOO_LARGE] = {413, "urn:casework:problem:too-large", "The body is too large"},
	[CW_UNSUPPORTED_MEDIA] = {415, "urn:casework:problem:unsupported-media-type", "The body must be JSON"},
	[CW_INVALID] = {422, "urn:casework:problem:invalid", "The request breaks a rule"},
	[CW_UNAVAILABLE] = {503, "urn:casework:problem:unavailable", "Service unavailable"},
	[CW_BUSY] = {503, "urn:casework:problem:busy", "Too many requests of this kind at once"},
	[CW_INTERNAL] = {500, "urn:casework:problem:internal", "Internal error"},
};

static const struct problem_kind *kind_of(enum cw_code code)
{
	if ((unsigned)code >= sizeof(kinds) / sizeof(kinds[0]))
		code = CW_INTERNAL;
	return &kinds[code];
}

int problem_status(enum cw_code code)
{
	return kind_of(code)->status;
}

int problem_retry_after(const struct cw_error *err)
{
	if (err->retry_after > 0 && (err->code == CW_UNAVAILABLE || err->code == CW_BUSY))
		return err->retry_after;
	switch (err->code) {
	case CW_UNAVAILABLE:
		return 1;
	case CW_BUSY:
		return 5;   /* what is busy is a report, which takes seconds */
	default:
		return 0;
	}
}

void problem_reply(struct exchange *x)
{
	const struct problem_kind *k = kind_of(x->err.code);
	json_t *body = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", k->type, "title", k->title,
				 "status", k->status, "detail",
				 x->err.detail[0] ? x->err.detail : k->title, "request_id", x->request_id);

	if (body != NULL && x->err.code == CW_INVALID && x->err.fields != NULL)
		json_object_set(body, "errors", x->err.fields);
	free(x->reply_body);
	x->reply_body = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	x->status = k->status;
	x->content_type = "application/problem+json";
	x->etag[0] = '\0';
	x->location[0] = '\0';
	x->content_disposition[0] = '\0';
	x->next_cursor[0] = '\0';
}
