#include "routes.h"

#include <stdio.h>
#include <string.h>

#include "handlers.h"

static const struct route routes[] = {
	{"GET", "/healthz", handle_healthz, ROUTE_PUBLIC},
	{"GET", "/readyz", handle_readyz, ROUTE_PUBLIC},
	{"GET", "/openapi.yaml", get_openapi_yaml, ROUTE_PUBLIC},
	{"GET", "/openapi.json", get_openapi_json, ROUTE_PUBLIC},

	/* Before /v1/cases/{id}/...: a case numbered "plans" is a number, not an id. */
	{"GET", "/v1/cases/by-number/{number}", get_case_by_number, 0},
	{"PUT", "/v1/cases/by-number/{number}", put_case_by_number, ROUTE_BODY},

	{"GET", "/v1/cases", list_cases, 0},
	{"POST", "/v1/cases", create_case, ROUTE_BODY},
	{"GET", "/v1/cases/{id}", get_case, 0},
	{"GET", "/v1/cases/{id}/history", get_case_history, 0},
	{"PATCH", "/v1/cases/{id}", patch_case, ROUTE_BODY},
	{"DELETE", "/v1/cases/{id}", delete_case, 0},
	{"GET", "/v1/cases/{id}/permanency-goals", list_case_permanency_goals, 0},

	{"GET", "/v1/cases/{id}/participants", list_case_participants, 0},
	{"POST", "/v1/cases/{id}/participants", create_participant, ROUTE_BODY},
	{"GET", "/v1/participants", list_participants, 0},
	{"GET", "/v1/participants/{id}", get_participant, 0},
	{"GET", "/v1/participants/{id}/history", get_participant_history, 0},
	{"PATCH", "/v1/participants/{id}", patch_participant, ROUTE_BODY},
	{"DELETE", "/v1/participants/{id}", delete_participant, 0},

	{"GET", "/v1/cases/{id}/plans", list_case_plans, 0},
	{"POST", "/v1/cases/{id}/plans", create_plan, ROUTE_BODY},
	{"GET", "/v1/plans", list_plans, 0},
	{"GET", "/v1/plans/{id}", get_plan, 0},
	{"GET", "/v1/plans/{id}/history", get_plan_history, 0},
	{"PATCH", "/v1/plans/{id}", patch_plan, ROUTE_BODY},
	{"DELETE", "/v1/plans/{id}", delete_plan, 0},

	{"GET", "/v1/plans/{id}/goals", list_plan_goals, 0},
	{"POST", "/v1/plans/{id}/goals", create_goal, ROUTE_BODY},
	{"GET", "/v1/goals", list_goals, 0},
	{"GET", "/v1/goals/{id}", get_goal, 0},
	{"GET", "/v1/goals/{id}/history", get_goal_history, 0},
	{"PATCH", "/v1/goals/{id}", patch_goal, ROUTE_BODY},
	{"DELETE", "/v1/goals/{id}", delete_goal, 0},
	{"GET", "/v1/goals/{id}/progress", list_goal_progress, 0},
	{"POST", "/v1/goals/{id}/progress", create_goal_progress, ROUTE_BODY},
	{"GET", "/v1/goals/{id}/progress/{note}", get_goal_progress, 0},

	{"GET", "/v1/cases/{id}/service-referrals", list_case_referrals, 0},
	{"POST", "/v1/cases/{id}/service-referrals", create_referral, ROUTE_BODY},
	{"GET", "/v1/service-referrals", list_referrals, 0},
	{"GET", "/v1/service-referrals/{id}", get_referral, 0},
	{"PATCH", "/v1/service-referrals/{id}", patch_referral, ROUTE_BODY},
	{"DELETE", "/v1/service-referrals/{id}", delete_referral, 0},
	{"GET", "/v1/service-referrals/{id}/history", list_referral_history, 0},

	{"GET", "/v1/cases/{id}/visits", list_case_visits, 0},
	{"POST", "/v1/cases/{id}/visits", create_visit, ROUTE_BODY},
	{"GET", "/v1/visits", list_visits, 0},
	{"GET", "/v1/visits/{id}", get_visit, 0},
	{"GET", "/v1/visits/{id}/history", get_visit_history, 0},
	{"PATCH", "/v1/visits/{id}", patch_visit, ROUTE_BODY},
	{"DELETE", "/v1/visits/{id}", delete_visit, 0},

	{"GET", "/v1/cases/{id}/hearings", list_case_hearings, 0},
	{"POST", "/v1/cases/{id}/hearings", create_hearing, ROUTE_BODY},
	{"GET", "/v1/hearings", list_hearings, 0},
	{"GET", "/v1/hearings/{id}", get_hearing, 0},
	{"GET", "/v1/hearings/{id}/history", get_hearing_history, 0},
	{"PATCH", "/v1/hearings/{id}", patch_hearing, ROUTE_BODY},
	{"DELETE", "/v1/hearings/{id}", delete_hearing, 0},

	{"GET", "/v1/reports/visit-compliance", report_visit_compliance, ROUTE_NEGOTIATED},
	{"GET", "/v1/reports/plan-reviews", report_plan_reviews, ROUTE_NEGOTIATED},
	{"GET", "/v1/reports/referral-outcomes", report_referral_outcomes, ROUTE_NEGOTIATED},

	{"GET", "/v1/changes", list_changes, 0},

	{"GET", "/v1/audit", list_audit, 0},
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
