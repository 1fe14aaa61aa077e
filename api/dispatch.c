#include "dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "cors.h"
#include "log.h"
#include "problem.h"
#include "reply.h"
#include "request.h"
#include "request_id.h"
#include "resource.h"
#include "routes.h"
#include "traffic.h"

#define ALLOW_MAX 96

static enum cw_code authenticate(struct exchange *x)
{
	enum cw_code rc = auth_authenticate(x->app->auth, request_header(x, "Authorization"),
					    &x->principal, &x->err);

	x->authenticated = rc == CW_OK || rc == CW_FORBIDDEN;
	return rc;
}

/* The route's actions, before the path's records, the query and the body
 * are judged: 401, then 403, then whatever the handler finds (404, 422 ...). */
static enum cw_code authorize(struct exchange *x)
{
	return access_authorize(&x->principal, x->route->actions, x->route->kind ? x->route->kind->noun : NULL,
				&x->err);
}

static enum cw_code handle(struct exchange *x, char *allow, int *preflight)
{
	const char *method = x->req->http_verb;
	const char *path = x->req->url_path;

	if (strcmp(method, "OPTIONS") == 0) {
		if (!route_methods(path, allow, ALLOW_MAX))
			return cw_fail(&x->err, CW_NOT_FOUND, "No such path.");
		*preflight = 1;
		return reply_empty(x, 204);
	}
	switch (route_match(method, path, &x->route, x->params, allow, ALLOW_MAX)) {
	case ROUTE_NO_PATH:
		return cw_fail(&x->err, CW_NOT_FOUND, "No such path.");
	case ROUTE_NO_METHOD:
		return cw_fail(&x->err, CW_METHOD_NOT_ALLOWED, "This path answers %s only.", allow);
	case ROUTE_FOUND:
		break;
	}
	if (x->req->binary_body_length > x->app->config->max_body_bytes)
		return cw_fail(&x->err, CW_TOO_LARGE, "The body is larger than %zu bytes.",
			       x->app->config->max_body_bytes);
	if (!(x->route->flags & ROUTE_PUBLIC) && (authenticate(x) != CW_OK || authorize(x) != CW_OK))
		return x->err.code;
	if ((x->route->flags & ROUTE_BODY) && request_parse_body(x) != CW_OK)
		return x->err.code;
	return x->route->handler(x);
}

static void add_status_headers(const struct exchange *x, struct _u_response *resp, const char *allow)
{
	if (x->status == 401)
		ulfius_add_header_to_response(resp, "WWW-Authenticate",
					      request_header(x, "Authorization") ? "Bearer error=\"invalid_token\"" : "Bearer");
	if ((x->status == 405 || x->status == 204) && allow[0])
		ulfius_add_header_to_response(resp, "Allow", allow);
	if (x->status == 503 && problem_retry_after(&x->err) > 0) {
		char seconds[16];

		snprintf(seconds, sizeof(seconds), "%d", problem_retry_after(&x->err));
		ulfius_add_header_to_response(resp, "Retry-After", seconds);
	}
}

/* Vary: what the answer depends on besides the method and the path: Accept
 * where it chooses the media type, Origin wherever CORS is on. */
static void add_vary(const struct exchange *x, struct _u_response *resp)
{
	int accept = x->route != NULL && (x->route->flags & ROUTE_NEGOTIATED);
	int origin = x->app->config->cors_origins[0] != NULL;

	if (accept || origin)
		ulfius_add_header_to_response(resp, "Vary", !origin ? "Accept" : accept ? "Accept, Origin" : "Origin");
}

static void send_answer(const struct exchange *x, struct _u_response *resp, const char *allow, int preflight)
{
	if (x->stream)
		ulfius_set_stream_response(resp, (unsigned)x->status, x->stream->read, x->stream->release,
					   U_STREAM_SIZE_UNKNOWN, REPLY_STREAM_BLOCK, x->stream_ctx);
	else if (x->reply_body)
		ulfius_set_binary_body_response(resp, (unsigned)x->status, x->reply_body, strlen(x->reply_body));
	else
		ulfius_set_empty_body_response(resp, (unsigned)x->status);
	if (x->content_type)
		ulfius_add_header_to_response(resp, "Content-Type", x->content_type);
	ulfius_add_header_to_response(resp, "X-Request-Id", x->request_id);
	ulfius_add_header_to_response(resp, "Cache-Control", "no-store");
	ulfius_add_header_to_response(resp, "X-Content-Type-Options", "nosniff");
	if (x->etag[0])
		ulfius_add_header_to_response(resp, "ETag", x->etag);
	if (x->location[0])
		ulfius_add_header_to_response(resp, "Location", x->location);
	if (x->replayed)
		ulfius_add_header_to_response(resp, "Idempotent-Replayed", "true");
	if (x->content_disposition[0])
		ulfius_add_header_to_response(resp, "Content-Disposition", x->content_disposition);
	if (x->next_cursor[0])
		ulfius_add_header_to_response(resp, "Next-Cursor", x->next_cursor);
	add_status_headers(x, resp, allow);
	add_vary(x, resp);
	if (x->app->config->cors_origins[0])
		cors_headers(x, resp, preflight, allow);
}

static double elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1e3 + (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

int dispatch_request(const struct _u_request *req, struct _u_response *resp, void *user_data)
{
	struct exchange x = {.app = user_data, .req = req, .err = CW_ERROR_INIT};
	char allow[ALLOW_MAX] = "";
	int preflight = 0;
	struct timespec start;
	double duration_ms;

	clock_gettime(CLOCK_MONOTONIC, &start);
	request_id_assign(&x);
	request_trace_assign(&x);
	/* A trace the caller records (sampled) is passed on to the database; one it
	 * does not record would only cost a round trip there for nothing to join. */
	if (x.traced && (x.trace.flags & TRACE_SAMPLED)) {
		char traceparent[TRACEPARENT_LEN + 1];

		trace_traceparent(&x.trace, traceparent);
		db_set_application_name(traceparent);
	}
	if (handle(&x, allow, &preflight) != CW_OK || x.status == 0) {
		if (x.err.code == CW_OK)
			cw_fail(&x.err, CW_INTERNAL, "The handler gave no answer.");
		problem_reply(&x);
	}
	db_set_application_name(NULL);
	send_answer(&x, resp, allow, preflight);
	duration_ms = elapsed_ms(&start);
	traffic_record(x.route ? x.route : route_for_path(req->url_path), req->http_verb, x.status,
		       duration_ms / 1e3);
	log_request(&(struct log_request_line){x.request_id, x.client_request_id[0] ? x.client_request_id : NULL,
					       req->http_verb, x.route ? x.route->path : NULL, x.status,
					       duration_ms, x.authenticated ? x.principal.sub : NULL,
					       x.traced ? x.trace.trace_id : NULL, x.traced ? x.trace.span_id : NULL,
					       x.traced ? x.trace.parent_id : NULL});
	json_decref(x.body);
	free(x.reply_body);
	cw_error_release(&x.err);
	return U_CALLBACK_COMPLETE;
}
