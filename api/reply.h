/*
 * reply: how a handler sets its answer.
 *
 * A handler either sets the answer with one of these and returns CW_OK, or
 * returns an error code with x->err filled (dispatch.c turns that into
 * problem+json). Each takes ownership of the text it is given, NULL included
 * (which is CW_INTERNAL: out of memory).
 */
#ifndef CW_REPLY_H
#define CW_REPLY_H

#include "http.h"

/* The answer is the record (status 200 or 201), with its ETag; 201 adds Location
 * built from location_prefix and the record's id. Takes ownership of r->json. */
enum cw_code reply_record(struct exchange *x, int status, struct record_text *r, const char *location_prefix);

/* The answer is this JSON text (ownership taken). */
enum cw_code reply_json(struct exchange *x, int status, char *json_text);

/* The answer is this text (ownership taken) of the given content type. */
enum cw_code reply_text(struct exchange *x, int status, const char *content_type, char *text);

/* The answer is a body of the given content type written as the client
 * reads it (see struct reply_stream): takes ownership of ctx, which the
 * stream releases once the answer is done with. */
enum cw_code reply_stream(struct exchange *x, int status, const char *content_type,
			  const struct reply_stream *stream, void *ctx);

/* Bytes a stream is asked for at a time. */
#define REPLY_STREAM_BLOCK 65536

/* An answer without a body (204). */
enum cw_code reply_empty(struct exchange *x, int status);

#endif
