#include "traffic.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"

/* Slots by route number, for the first route of each template; the last
 * one is "unmatched". */
#define UNMATCHED TRAFFIC_ROUTES_MAX

static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

/* Every status the service answers with; anything else is "other". */
static const int statuses[] = {200, 201, 204, 400, 401, 403, 404, 405, 409, 412, 413, 415, 422, 500, 503};
#define NSTATUSES (sizeof(statuses) / sizeof(statuses[0]))

struct route_traffic {
	atomic_uint_least64_t requests[NMETHODS][NSTATUSES + 1];
	struct metrics_histogram duration[NMETHODS];
};

static struct route_traffic traffic[TRAFFIC_ROUTES_MAX + 1];

static size_t method_slot(const char *method)
{
	for (size_t i = 0; i + 1 < NMETHODS; i++)
		if (strcmp(methods[i], method) == 0)
			return i;
	return NMETHODS - 1;
}

static size_t status_slot(int status)
{
	for (size_t i = 0; i < NSTATUSES; i++)
		if (statuses[i] == status)
			return i;
	return NSTATUSES;
}

void traffic_record(const struct route *route, const char *method, int status, double seconds)
{
	size_t r = route ? route_template_slot(route) : UNMATCHED;
	size_t m = method_slot(method);

	if (r > UNMATCHED)
		r = UNMATCHED;
	atomic_fetch_add_explicit(&traffic[r].requests[m][status_slot(status)], 1, memory_order_relaxed);
	metrics_histogram_observe(&traffic[r].duration[m], seconds);
}

static const char *route_name(size_t r)
{
	return r == UNMATCHED ? "unmatched" : route_at(r)->path;
}

/* The slots in use: every template's first route, and "unmatched". */
static int slot_in_use(size_t r)
{
	if (r == UNMATCHED)
		return 1;
	return r < route_count() && route_template_slot(route_at(r)) == r;
}

void traffic_write(struct strbuf *out)
{
	metrics_family(out, "casework_http_requests_total", "counter",
		       "Requests answered, by route template, method and status.");
	for (size_t r = 0; r <= UNMATCHED; r++) {
		if (!slot_in_use(r))
			continue;
		for (size_t m = 0; m < NMETHODS; m++) {
			for (size_t s = 0; s <= NSTATUSES; s++) {
				uint64_t n = atomic_load_explicit(&traffic[r].requests[m][s], memory_order_relaxed);
				char status[8];

				if (n == 0)
					continue;
				if (s < NSTATUSES)
					snprintf(status, sizeof(status), "%d", statuses[s]);
				else
					snprintf(status, sizeof(status), "other");
				metrics_sample(out, "casework_http_requests_total",
					       (struct metrics_label[]){{"route", route_name(r)}, {"method", methods[m]},
									{"status", status}}, 3, n);
			}
		}
	}
	metrics_family(out, "casework_http_request_duration_seconds", "histogram",
		       "Time from a request's arrival at its route to its answer, by route template and method.");
	for (size_t r = 0; r <= UNMATCHED; r++) {
		if (!slot_in_use(r))
			continue;
		for (size_t m = 0; m < NMETHODS; m++)
			if (metrics_histogram_count(&traffic[r].duration[m]) > 0)
				metrics_histogram_write(out, "casework_http_request_duration_seconds",
							(struct metrics_label[]){{"route", route_name(r)},
										 {"method", methods[m]}}, 2,
							&traffic[r].duration[m]);
	}
}
