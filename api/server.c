#include "server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "cors.h"
#include "hex.h"
#include "log.h"
#include "problem.h"
#include "request.h"
#include "routes.h"
#include "uuid.h"

#define ALLOW_MAX 96

/* ---- replies used by handlers ------------------------------------------ */

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

enum cw_code path_uuid(struct exchange *x, int index, char out[37], const char *what)
{
	if (uuid_parse(x->params[index], out) != 0)
		return cw_fail(&x->err, CW_NOT_FOUND, "No %s with this id.", what);
	return CW_OK;
}

enum cw_code path_text(struct exchange *x, int index, char *out, size_t len, size_t max_chars,
		       const char *what)
{
	const char *in = x->params[index];
	size_t n = 0;

	for (; *in; in++) {
		int hi, lo;
		char c = *in;

		if (c == '%') {
			hi = hex_value(in[1]);
			lo = hi < 0 ? -1 : hex_value(in[2]);
			if (lo < 0)
				goto bad;
			c = (char)(hi * 16 + lo);
			in += 2;
		}
		if (c == '\0' || n + 1 >= len)
			goto bad;
		out[n++] = c;
	}
	out[n] = '\0';
	if (n == 0 || !utf8_valid(out) || !text_is_clean(out, 0) || utf8_length(out) > max_chars)
		goto bad;
	return CW_OK;
bad:
	return cw_fail(&x->err, CW_NOT_FOUND, "No %s with this number.", what);
}

struct actor exchange_actor(const struct exchange *x)
{
	return (struct actor){&x->principal, x->request_id, x->client_request_id};
}

/* ---- the request path --------------------------------------------------- */

static int request_id_is_clean(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++) {
		char c = s[n];

		if (n >= REQUEST_ID_MAX || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
					     (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == ':'))
			return 0;
	}
	return n > 0;
}

/* 128 random bits per call from a per-thread xorshift128+ generator seeded
 * from the kernel once: request ids must be unique, not secret. */
static void random_128(unsigned char out[16])
{
	static __thread uint64_t state[2];

	if (state[0] == 0 && state[1] == 0) {
		if (getrandom(state, sizeof(state), 0) != (ssize_t)sizeof(state) || (state[0] | state[1]) == 0) {
			state[0] = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&state;
			state[1] = 0x9e3779b97f4a7c15u;
		}
	}
	for (int half = 0; half < 2; half++) {
		uint64_t s1 = state[0];
		const uint64_t s0 = state[1];
		uint64_t v;

		state[0] = s0;
		s1 ^= s1 << 23;
		state[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
		v = state[1] + s0;
		memcpy(out + (size_t)half * 8, &v, 8);
	}
}

/* The request's own id, a random (version 4) UUID, answered in X-Request-Id
 * and written in the log and the audit trail. A client's X-Request-Id is kept
 * beside it when it is safe to log, and never stands for the request: a client
 * cannot make its change look like another request. */
static void assign_request_id(struct exchange *x)
{
	const char *given = request_header(x, "X-Request-Id");
	unsigned char b[16];

	if (given && request_id_is_clean(given))
		snprintf(x->client_request_id, sizeof(x->client_request_id), "%s", given);
	random_128(b);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	uuid_format(b, x->request_id);
}

static enum cw_code authenticate(struct exchange *x)
{
	enum cw_code rc = auth_authenticate(x->app->auth, request_header(x, "Authorization"),
					    &x->principal, &x->err);

	x->authenticated = rc == CW_OK || rc == CW_FORBIDDEN;
	return rc;
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
	if (!(x->route->flags & ROUTE_PUBLIC) && authenticate(x) != CW_OK)
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
	if (x->status == 503 && problem_retry_after(x->err.code) > 0) {
		char seconds[16];

		snprintf(seconds, sizeof(seconds), "%d", problem_retry_after(x->err.code));
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
	if (x->reply_body)
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

static int dispatch(const struct _u_request *req, struct _u_response *resp, void *user_data)
{
	struct exchange x = {.app = user_data, .req = req, .err = CW_ERROR_INIT};
	char allow[ALLOW_MAX] = "";
	int preflight = 0;
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	assign_request_id(&x);
	if (handle(&x, allow, &preflight) != CW_OK || x.status == 0) {
		if (x.err.code == CW_OK)
			cw_fail(&x.err, CW_INTERNAL, "The handler gave no answer.");
		problem_reply(&x);
	}
	send_answer(&x, resp, allow, preflight);
	log_request(&(struct log_request_line){x.request_id, x.client_request_id[0] ? x.client_request_id : NULL,
					       req->http_verb, x.route ? x.route->path : NULL, x.status,
					       elapsed_ms(&start), x.authenticated ? x.principal.sub : NULL});
	json_decref(x.body);
	free(x.reply_body);
	cw_error_release(&x.err);
	return U_CALLBACK_COMPLETE;
}

/* ---- listening ---------------------------------------------------------- */

struct listen_address {
	int ipv6;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

static int init_instance(struct _u_instance *inst, const struct config *cfg, struct listen_address *a)
{
	int rc;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, cfg->bind, &a->v4.sin_addr) == 1) {
		a->v4.sin_family = AF_INET;
		a->v4.sin_port = htons((uint16_t)cfg->port);
		rc = ulfius_init_instance(inst, cfg->port, &a->v4, NULL);
	} else {
		a->ipv6 = 1;
		inet_pton(AF_INET6, cfg->bind, &a->v6.sin6_addr);
		a->v6.sin6_family = AF_INET6;
		a->v6.sin6_port = htons((uint16_t)cfg->port);
		rc = ulfius_init_instance_ipv6(inst, cfg->port, &a->v6, U_USE_IPV6, NULL);
	}
	if (rc != U_OK)
		return -1;
	inst->max_post_body_size = cfg->max_body_bytes + 1;  /* one more byte tells "too large" */
	inst->check_utf8 = 0;                                   /* never drop a parameter silently */
	inst->allowed_post_processor = U_POST_PROCESS_NONE;
	inst->timeout = cfg->idle_timeout;
	return 0;
}

/* libmicrohttpd's own messages go to the JSON log, not to stderr. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char message[256];

	(void)cls;
	vsnprintf(message, sizeof(message), fmt, ap);
	message[strcspn(message, "\n")] = '\0';
	log_event("warn", "http: %s", message);
}

/*
 * libmicrohttpd calls the completion callback only for requests that reached
 * the handler; one it drops earlier (headers too large for the connection's
 * memory, say) would leak the request context ulfius made when the URI
 * arrived. Each connection remembers the context of the request being read
 * and frees it when the connection closes, if nothing completed it.
 */
struct connection_slot {
	void *request_context;
};

static struct connection_slot *slot_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info ? info->socket_context : NULL;
}

static void *request_started(void *cls, const char *uri, struct MHD_Connection *conn)
{
	void *context = ulfius_uri_logger(cls, uri);
	struct connection_slot *slot = slot_of(conn);

	if (slot)
		slot->request_context = context;
	return context;
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **context,
			      enum MHD_RequestTerminationCode toe)
{
	struct connection_slot *slot = slot_of(conn);

	if (slot)
		slot->request_context = NULL;
	mhd_request_completed(cls, conn, context, toe);
}

static void connection_event(void *cls, struct MHD_Connection *conn, void **socket_context,
			     enum MHD_ConnectionNotificationCode code)
{
	struct connection_slot *slot = *socket_context;

	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		*socket_context = calloc(1, sizeof(struct connection_slot));
		return;
	}
	if (slot && slot->request_context)
		mhd_request_completed(NULL, conn, &slot->request_context, MHD_REQUEST_TERMINATED_WITH_ERROR);
	free(slot);
	*socket_context = NULL;
}

/*
 * Starts MHD directly (ulfius_start_framework refuses an instance whose only
 * endpoint is the default one). With http_threads set, an epoll pool of that
 * many workers, each owning many connections; otherwise (the default) a thread
 * per connection.
 *
 * Handlers run on the thread that owns the connection and block it while the
 * database works. libmicrohttpd could park a connection
 * (MHD_suspend_connection) and answer it later from another thread, but ulfius
 * 2.7 does not allow it: a callback never sees the connection, and ulfius
 * queues the answer as soon as the callback returns. So an epoll worker in a
 * report stalls every other connection it owns for the report's duration,
 * while with a thread per connection only the report's own connection waits.
 */
static int start_listener(struct _u_instance *inst, const struct config *cfg, struct listen_address *a)
{
	struct MHD_OptionItem ops[] = {
		{MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL},
		{MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)request_completed, NULL},
		{MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)request_started, NULL},
		{MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)connection_event, NULL},
		{MHD_OPTION_SOCK_ADDR, 0, a->ipv6 ? (void *)&a->v6 : (void *)&a->v4},
		{MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)cfg->idle_timeout, NULL},
		{MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)cfg->http_threads, NULL},
		{MHD_OPTION_END, 0, NULL},
	};
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (cfg->http_threads) {
		flags |= MHD_USE_EPOLL;
	} else {
		flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
		ops[6].option = MHD_OPTION_END;
	}
	if (a->ipv6)
		flags |= MHD_USE_IPv6;
	return ulfius_start_framework_with_mhd_options(inst, flags, ops);
}

/* Until SIGINT or SIGTERM; each SIGHUP reloads the key set meanwhile. */
static void wait_for_stop_signal(struct app *app)
{
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	while (sigwait(&set, &sig) != 0 || sig == SIGHUP)
		if (sig == SIGHUP)
			auth_reload(app->auth);
	log_event("info", "stopping on signal %d", sig);
}

int server_run(struct app *app)
{
	const struct config *cfg = app->config;
	struct _u_instance inst;
	struct listen_address addr;
	int rc;

	if (init_instance(&inst, cfg, &addr) != 0) {
		fprintf(stderr, "caseworkd: cannot set up the HTTP listener\n");
		return -1;
	}
	ulfius_set_default_endpoint(&inst, dispatch, app);
	rc = start_listener(&inst, cfg, &addr);
	if (rc != U_OK) {
		fprintf(stderr, "caseworkd: cannot listen on CASEWORK_BIND %s, CASEWORK_PORT %u "
			"(port in use, or not an address of this host?)\n", cfg->bind, cfg->port);
		ulfius_clean_instance(&inst);
		return -1;
	}
	if (cfg->http_threads)
		log_event("info", "serving on %s port %u (epoll pool of %u workers, %u database connections, "
			  "%u more for reports)", cfg->bind, cfg->port, cfg->http_threads, cfg->pool_size,
			  cfg->report_concurrency);
	else
		log_event("info", "serving on %s port %u (a thread per connection, %u database connections, "
			  "%u more for reports)", cfg->bind, cfg->port, cfg->pool_size, cfg->report_concurrency);
	wait_for_stop_signal(app);
	ulfius_stop_framework(&inst);
	ulfius_clean_instance(&inst);
	return 0;
}
