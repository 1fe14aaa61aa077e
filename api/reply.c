#include "reply.h"

#include <stdio.h>
#include <stdlib.h>

enum cw_code reply_json(struct exchange *x, int status, char *json_text)
{
	free(x->reply_body);
	x->reply_body = json_text;
	x->status = status;
	x->content_type = "application/json";
	return json_text ? CW_OK : cw_fail(&x->err, CW_INTERNAL, "Out of memory.");
}

enum cw_code reply_text(struct exchange *x, int status, const char *content_type, char *text)
{
	enum cw_code rc = reply_json(x, status, text);

	x->content_type = content_type;
	return rc;
}

enum cw_code reply_record(struct exchange *x, int status, struct record_text *r, const char *location_prefix)
{
	snprintf(x->etag, sizeof(x->etag), "\"%lld\"", r->version);
	if (location_prefix)
		snprintf(x->location, sizeof(x->location), "%s%s", location_prefix, r->id);
	reply_json(x, status, r->json);
	r->json = NULL;
	return x->reply_body ? CW_OK : x->err.code;
}

enum cw_code reply_empty(struct exchange *x, int status)
{
	free(x->reply_body);
	x->reply_body = NULL;
	x->status = status;
	x->content_type = NULL;
	return CW_OK;
}

enum cw_code reply_stream(struct exchange *x, int status, const char *content_type,
			  const struct reply_stream *stream, void *ctx)
{
	reply_empty(x, status);
	x->content_type = content_type;
	x->stream = stream;
	x->stream_ctx = ctx;
	return CW_OK;
}
