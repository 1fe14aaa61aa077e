/*
 * http: one request and its answer as handlers see them.
 *
 * The server (server.c) fills the request side: route, path parameters,
 * request id, caller, parsed JSON body. A handler either returns CW_OK after
 * setting the answer with one of the reply_* functions, or returns an error
 * code with x->err filled; server.c turns that into problem+json through
 * problem.c. Handlers never write HTTP error bodies themselves.
 */
#ifndef CW_HTTP_H
#define CW_HTTP_H

#include <jansson.h>
#include <ulfius.h>

#include "auth.h"
#include "config.h"
#include "cursor.h"
#include "db.h"
#include "error.h"
#include "record.h"

#define MAX_PATH_PARAMS 2
#define PATH_PARAM_MAX 768   /* 64 characters of four UTF-8 bytes, each percent-encoded */
#define REQUEST_ID_MAX 64

/* What every handler may use, shared by all requests. */
struct app {
	const struct config *config;
	struct db_pool *pool;           /* every request's, but reports' */
	struct db_pool *report_pool;    /* reports': small, refuses at once when all are busy */
	struct auth *auth;
};

struct route;

struct exchange {
	/* request */
	struct app *app;
	const struct _u_request *req;
	const struct route *route;
	char params[MAX_PATH_PARAMS][PATH_PARAM_MAX + 1];
	char request_id[REQUEST_ID_MAX + 1];         /* the service's own */
	char client_request_id[REQUEST_ID_MAX + 1];  /* the client's X-Request-Id when usable, else "" */
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
	struct cw_error err;
};

typedef enum cw_code (*handler_fn)(struct exchange *x);

/* The answer is the record (status 200 or 201), with its ETag; 201 adds Location
 * built from location_prefix and the record's id. Takes ownership of r->json. */
enum cw_code reply_record(struct exchange *x, int status, struct record_text *r, const char *location_prefix);

/* The answer is this JSON text (ownership taken). */
enum cw_code reply_json(struct exchange *x, int status, char *json_text);

/* The answer is this text (ownership taken) of the given content type. */
enum cw_code reply_text(struct exchange *x, int status, const char *content_type, char *text);

/* An answer without a body (204). */
enum cw_code reply_empty(struct exchange *x, int status);

/* The first path parameter as a canonical UUID in out; CW_NOT_FOUND otherwise,
 * since a path naming no possible record names no record. */
enum cw_code path_uuid(struct exchange *x, int index, char out[37], const char *what);

/* The path parameter percent-decoded into out (len bytes): CW_NOT_FOUND when it
 * does not decode to UTF-8 text of at most max_chars characters without
 * control characters. */
enum cw_code path_text(struct exchange *x, int index, char *out, size_t len, size_t max_chars,
		       const char *what);

/* The caller as an actor for the audit trail. */
struct actor exchange_actor(const struct exchange *x);

#endif
