#include "server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "log.h"

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
	ulfius_set_default_endpoint(&inst, dispatch_request, app);
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
