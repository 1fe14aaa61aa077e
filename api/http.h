/*
 * http: one request and its answer as handlers see them.
 *
 * dispatch.c fills the request side: route, path parameters, request id,
 * caller, parsed JSON body. A handler either returns CW_OK after setting the
 * answer with one of the reply_* functions (reply.h), or returns an error
 * code with x->err filled; dispatch.c turns that into problem+json through
 * problem.c. Handlers never write HTTP error bodies themselves.
 */
#ifndef CW_HTTP_H
#define CW_HTTP_H

#include <jansson.h>
#include <time.h>
#include <ulfius.h>

#include "auth.h"
#include "config.h"
#include "cursor.h"
#include "db.h"
#include "error.h"
#include "record.h"
#include "trace.h"

#define MAX_PATH_PARAMS 2
#define PATH_PARAM_MAX 768   /* 64 characters of four UTF-8 bytes, each percent-encoded */
#define REQUEST_ID_MAX 64

/* What every handler may use, shared by all requests. */
struct app {
	const struct config *config;
	struct db_pool *pool;           /* every request's, but reports' */
	struct db_pool *report_pool;    /* reports': small, refuses at once when all are busy */
	struct auth *auth;
	time_t started;                 /* when the service started serving */
};

struct route;

/* A body too large to hold, written a block at a time as the client reads
 * it (a full CSV report): read fills buf with at most max bytes and answers
 * how many, U_STREAM_END at the end or U_STREAM_ERROR (the connection is then
 * closed, so the client sees the body cut short); release frees ctx when the
 * answer is done with, sent or not. */
struct reply_stream {
	ssize_t (*read)(void *ctx, uint64_t pos, char *buf, size_t max);
	void (*release)(void *ctx);
};

struct exchange {
	/* request */
	struct app *app;
	const struct _u_request *req;
	const struct route *route;
	char params[MAX_PATH_PARAMS][PATH_PARAM_MAX + 1];
	char request_id[REQUEST_ID_MAX + 1];         /* the service's own */
	char client_request_id[REQUEST_ID_MAX + 1];  /* the client's X-Request-Id when usable, else "" */
	struct trace_context trace;   /* the caller's W3C trace and this request's span in it */
	int traced;                   /* a valid traceparent came: trace is filled */
	struct principal principal;
	int authenticated;
	json_t *body;                 /* parsed JSON object for routes that take one */

	/* answer */
	int status;
	char *reply_body;             /* owned */
	const char *content_type;
	char etag[32];
	char location[128];
	char content_disposition[128];
	char next_cursor[CURSOR_LONG_TEXT_MAX + 1]; /* Next-Cursor: where the next page of a report starts */
	int replayed;                 /* the answer is an Idempotency-Key replay */
	const struct reply_stream *stream; /* set instead of reply_body: a body written as it is read */
	void *stream_ctx;             /* the stream's, handed to it and freed by it */
	struct cw_error err;
};

typedef enum cw_code (*handler_fn)(struct exchange *x);

#endif
