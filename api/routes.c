#include "routes.h"

#include <stdio.h>
#include <string.h>

#include "access.h"
#include "audit_handlers.h"
#include "case_handlers.h"
#include "cases.h"
#include "change_handlers.h"
#include "episodes.h"
#include "family_time_plans.h"
#include "goals.h"
#include "health.h"
#include "hearings.h"
#include "meetings.h"
#include "metrics_handlers.h"
#include "openapi.h"
#include "participants.h"
#include "placements.h"
#include "plans.h"
#include "record_handlers.h"
#include "referrals.h"
#include "report_handlers.h"
#include "visits.h"

/* A kind's own routes: its list across parents, a record, its history, a
 * change and a delete. */
#define RECORDS(path, kind)                                                     \
	{"GET", path, record_list, 0, 0, kind},                                 \
	{"GET", path "/{id}", record_get, 0, 0, kind},                          \
	{"GET", path "/{id}/history", record_history, 0, 0, kind},              \
	{"PATCH", path "/{id}", record_update, ROUTE_BODY, ACCESS_WRITE, kind}, \
	{"DELETE", path "/{id}", record_delete, 0, ACCESS_DELETE, kind}

/* The list of a kind's records under the record they hang on, and their
 * creation there. */
#define RECORDS_UNDER(path, kind)                                               \
	{"GET", path, record_list, ROUTE_UNDER, 0, kind},                       \
	{"POST", path, record_create, ROUTE_BODY | ROUTE_UNDER, ACCESS_WRITE, kind}

static const struct route routes[] = {
	{"GET", "/healthz", handle_healthz, ROUTE_PUBLIC, 0, NULL},
	{"GET", "/readyz", handle_readyz, ROUTE_PUBLIC, 0, NULL},
	{"GET", "/openapi.yaml", get_openapi_yaml, ROUTE_PUBLIC, 0, NULL},
	{"GET", "/openapi.json", get_openapi_json, ROUTE_PUBLIC, 0, NULL},
	{"GET", "/metrics", get_metrics, ROUTE_PUBLIC, 0, NULL},

	/* Before /v1/cases/{id}/...: a case numbered "plans" is a number, not an id. */
	{"GET", "/v1/cases/by-number/{number}", get_case_by_number, 0, 0, NULL},
	{"PUT", "/v1/cases/by-number/{number}", put_case_by_number, ROUTE_BODY, ACCESS_WRITE | ACCESS_UPSERT,
	 &case_resource},

	RECORDS("/v1/cases", &case_resource),
	{"POST", "/v1/cases", record_create, ROUTE_BODY, ACCESS_WRITE, &case_resource},
	{"GET", "/v1/cases/{id}/permanency-goals", list_case_permanency_goals, 0, 0, NULL},

	RECORDS_UNDER("/v1/cases/{id}/participants", &participant_resource),
	RECORDS("/v1/participants", &participant_resource),

	RECORDS_UNDER("/v1/participants/{id}/episodes", &episode_resource),
	RECORDS("/v1/episodes", &episode_resource),
	{"GET", "/v1/episodes/{id}/clocks", get_episode_clocks, 0, 0, NULL},

	RECORDS_UNDER("/v1/episodes/{id}/placements", &placement_resource),
	RECORDS("/v1/placements", &placement_resource),

	RECORDS_UNDER("/v1/cases/{id}/plans", &plan_resource),
	RECORDS("/v1/plans", &plan_resource),

	RECORDS_UNDER("/v1/plans/{id}/goals", &goal_resource),
	RECORDS("/v1/goals", &goal_resource),

	/* Progress notes are written once and read under their goal. */
	RECORDS_UNDER("/v1/goals/{id}/progress", &progress_resource),
	{"GET", "/v1/goals/{id}/progress/{note}", record_get, ROUTE_UNDER, 0, &progress_resource},

	RECORDS_UNDER("/v1/cases/{id}/service-referrals", &referral_resource),
	RECORDS("/v1/service-referrals", &referral_resource),

	RECORDS_UNDER("/v1/cases/{id}/visits", &visit_resource),
	RECORDS("/v1/visits", &visit_resource),

	RECORDS_UNDER("/v1/cases/{id}/hearings", &hearing_resource),
	RECORDS("/v1/hearings", &hearing_resource),

	RECORDS_UNDER("/v1/cases/{id}/meetings", &meeting_resource),
	RECORDS("/v1/meetings", &meeting_resource),

	RECORDS_UNDER("/v1/cases/{id}/family-time-plans", &family_time_plan_resource),
	RECORDS("/v1/family-time-plans", &family_time_plan_resource),

	{"GET", "/v1/reports/visit-compliance", report_visit_compliance, ROUTE_NEGOTIATED, 0, NULL},
	{"GET", "/v1/reports/plan-reviews", report_plan_reviews, ROUTE_NEGOTIATED, 0, NULL},
	{"GET", "/v1/reports/placement-stability", report_placement_stability, ROUTE_NEGOTIATED, 0, NULL},
	{"GET", "/v1/reports/federal-clocks", report_federal_clocks, ROUTE_NEGOTIATED, 0, NULL},
	{"GET", "/v1/reports/referral-outcomes", report_referral_outcomes, ROUTE_NEGOTIATED, 0, NULL},
	{"GET", "/v1/reports/family-time", report_family_time, ROUTE_NEGOTIATED, 0, NULL},

	{"GET", "/v1/changes", list_changes, 0, ACCESS_READ_CHANGES, NULL},

	{"GET", "/v1/audit", list_audit, 0, ACCESS_READ_AUDIT, NULL},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* Matches template against path segment by segment; fills params when given. */
static int path_matches(const char *template, const char *path,
			char params[MAX_PATH_PARAMS][PATH_PARAM_MAX + 1])
{
	int n = 0;

	while (*template && *path) {
		if (*template != '/' || *path != '/')
			return 0;
		template++;
		path++;
		size_t plen = strcspn(path, "/"), tlen = strcspn(template, "/");

		if (template[0] == '{') {
			if (plen == 0 || plen > PATH_PARAM_MAX || n >= MAX_PATH_PARAMS)
				return 0;
			if (params) {
				memcpy(params[n], path, plen);
				params[n][plen] = '\0';
			}
			n++;
		} else if (plen != tlen || strncmp(template, path, plen) != 0) {
			return 0;
		}
		template += tlen;
		path += plen;
	}
	return *template == '\0' && *path == '\0';
}

static int method_matches(const char *route_method, const char *method)
{
	return strcmp(route_method, method) == 0 ||
	       (strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0);
}

static void append_method(char *allow, size_t allow_len, size_t *used, const char *method)
{
	int w = snprintf(allow + *used, allow_len - *used, "%s%s", *used ? ", " : "", method);

	if (w > 0 && (size_t)w < allow_len - *used)
		*used += (size_t)w;
}

int route_methods(const char *path, char *allow, size_t allow_len)
{
	size_t used = 0;
	int count = 0;

	allow[0] = '\0';
	for (size_t i = 0; i < NROUTES; i++) {
		if (!path_matches(routes[i].path, path, NULL))
			continue;
		append_method(allow, allow_len, &used, routes[i].method);
		if (strcmp(routes[i].method, "GET") == 0)
			append_method(allow, allow_len, &used, "HEAD");
		count++;
	}
	if (count)
		append_method(allow, allow_len, &used, "OPTIONS");
	return count;
}

enum route_outcome route_match(const char *method, const char *path, const struct route **found,
			       char params[MAX_PATH_PARAMS][PATH_PARAM_MAX + 1], char *allow, size_t allow_len)
{
	for (size_t i = 0; i < NROUTES; i++) {
		if (method_matches(routes[i].method, method) && path_matches(routes[i].path, path, params)) {
			*found = &routes[i];
			return ROUTE_FOUND;
		}
	}
	return route_methods(path, allow, allow_len) ? ROUTE_NO_METHOD : ROUTE_NO_PATH;
}

int route_location_prefix(const struct resource *kind, const char *parent_id, char *out, size_t len)
{
	for (size_t i = 0; i < NROUTES; i++) {
		const char *t = routes[i].path, *last = strrchr(t, '{');
		size_t n = 0;

		if (routes[i].kind != kind || routes[i].handler != record_get || last == NULL)
			continue;
		/* Every {param} before the record's own is the parent's id. */
		while (t < last && n + 1 < len) {
			if (*t == '{' && parent_id) {
				int w = snprintf(out + n, len - n, "%s", parent_id);

				if (w < 0 || (size_t)w >= len - n)
					return -1;
				n += (size_t)w;
				t += strcspn(t, "}") + 1;
			} else {
				out[n++] = *t++;
			}
		}
		if (n >= len)
			return -1;
		out[n] = '\0';
		return t == last ? 0 : -1;
	}
	return -1;
}

const struct route *route_for_path(const char *path)
{
	for (size_t i = 0; i < NROUTES; i++)
		if (path_matches(routes[i].path, path, NULL))
			return &routes[i];
	return NULL;
}

size_t route_count(void)
{
	return NROUTES;
}

const struct route *route_at(size_t i)
{
	return &routes[i];
}

size_t route_template_slot(const struct route *r)
{
	size_t i = (size_t)(r - routes);

	for (size_t j = 0; j < i; j++)
		if (strcmp(routes[j].path, r->path) == 0)
			return j;
	return i;
}
