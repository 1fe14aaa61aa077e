/*
 * traffic: how many requests each route answered, by method and status, and
 * how long they took, for GET /metrics.
 *
 * A route is named by its path template (/v1/cases/{id}), never by the path
 * sent; a path no template matches counts as route "unmatched". Methods and
 * statuses outside the few the service knows count as "other". So the
 * series are bounded by the route table, whatever clients send.
 */
#ifndef CW_TRAFFIC_H
#define CW_TRAFFIC_H

#include "routes.h"
#include "strbuf.h"

/* Route templates that have series of their own; the table must not hold
 * more routes (tests/unit/test_routes.c). */
#define TRAFFIC_ROUTES_MAX 127

/* Counts one answered request: route NULL when no template matches its path. */
void traffic_record(const struct route *route, const char *method, int status, double seconds);

/* Writes casework_http_requests_total and casework_http_request_duration_seconds
 * (lib/metrics.h) for every series that has counted a request. */
void traffic_write(struct strbuf *out);

#endif
