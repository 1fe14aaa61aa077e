/* routes: method and path -> handler, 404 or 405 with the right Allow list. */
#include "routes.h"
#include "traffic.h"

#include "check.h"
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
#include "visits.h"

#define ID "123e4567-e89b-12d3-a456-426614174000"

struct match {
	enum route_outcome outcome;
	const struct route *route;
	char params[MAX_PATH_PARAMS][PATH_PARAM_MAX + 1];
	char allow[128];
};

static struct match match(const char *method, const char *path)
{
	struct match m = {.route = NULL};

	m.outcome = route_match(method, path, &m.route, m.params, m.allow, sizeof(m.allow));
	return m;
}

/* 1 when method and path reach handler serving kind (NULL for a handler of
 * its own), and the first parameter is param, if given. */
static int reaches(const char *method, const char *path, handler_fn handler, const struct resource *kind,
		   const char *param)
{
	struct match m = match(method, path);
	int ok = m.outcome == ROUTE_FOUND && m.route != NULL && m.route->handler == handler &&
		 m.route->kind == kind && (param == NULL || strcmp(m.params[0], param) == 0);

	if (!ok)
		fprintf(stderr, "  %s %s: outcome %d\n", method, path, (int)m.outcome);
	return ok;
}

static int not_found(const char *method, const char *path)
{
	struct match m = match(method, path);

	if (m.outcome != ROUTE_NO_PATH)
		fprintf(stderr, "  %s %s: outcome %d, want 404\n", method, path, (int)m.outcome);
	return m.outcome == ROUTE_NO_PATH;
}

/* 1 when method on path is a 405 whose Allow list is exactly allow. */
static int not_allowed(const char *method, const char *path, const char *allow)
{
	struct match m = match(method, path);
	int ok = m.outcome == ROUTE_NO_METHOD && strcmp(m.allow, allow) == 0;

	if (!ok)
		fprintf(stderr, "  %s %s: outcome %d, Allow \"%s\", want 405 with \"%s\"\n", method, path,
			(int)m.outcome, m.allow, allow);
	return ok;
}

static void test_every_route_reaches_its_handler(void)
{
	CHECK(reaches("GET", "/healthz", handle_healthz, NULL, NULL));
	CHECK(reaches("GET", "/readyz", handle_readyz, NULL, NULL));
	CHECK(reaches("GET", "/openapi.yaml", get_openapi_yaml, NULL, NULL));
	CHECK(reaches("GET", "/openapi.json", get_openapi_json, NULL, NULL));
	CHECK(reaches("GET", "/metrics", get_metrics, NULL, NULL));
	CHECK(reaches("GET", "/v1/cases", record_list, &case_resource, NULL));
	CHECK(reaches("POST", "/v1/cases", record_create, &case_resource, NULL));
	CHECK(reaches("GET", "/v1/cases/" ID, record_get, &case_resource, ID));
	CHECK(reaches("PATCH", "/v1/cases/" ID, record_update, &case_resource, ID));
	CHECK(reaches("DELETE", "/v1/cases/" ID, record_delete, &case_resource, ID));
	CHECK(reaches("GET", "/v1/cases/" ID "/permanency-goals", list_case_permanency_goals, NULL, ID));
	CHECK(reaches("GET", "/v1/audit", list_audit, NULL, NULL));
	CHECK(reaches("GET", "/v1/goals/" ID "/progress", record_list, &progress_resource, ID));
	CHECK(reaches("POST", "/v1/goals/" ID "/progress", record_create, &progress_resource, ID));
	CHECK(reaches("GET", "/v1/goals/" ID "/progress/" ID, record_get, &progress_resource, ID));
	CHECK(reaches("GET", "/v1/changes", list_changes, NULL, NULL));
}

/* Each kind under a parent: its list and creation there, its list across
 * parents, and a record's read, change, delete and history. */
static const struct kind_routes {
	const char *under;	/* where its records are listed and created */
	const char *path;	/* where a record is found */
	const struct resource *kind;
} kinds_under_a_parent[] = {
	{"/v1/cases/" ID "/participants", "/v1/participants", &participant_resource},
	{"/v1/participants/" ID "/episodes", "/v1/episodes", &episode_resource},
	{"/v1/episodes/" ID "/placements", "/v1/placements", &placement_resource},
	{"/v1/cases/" ID "/plans", "/v1/plans", &plan_resource},
	{"/v1/plans/" ID "/goals", "/v1/goals", &goal_resource},
	{"/v1/cases/" ID "/service-referrals", "/v1/service-referrals", &referral_resource},
	{"/v1/cases/" ID "/visits", "/v1/visits", &visit_resource},
	{"/v1/cases/" ID "/hearings", "/v1/hearings", &hearing_resource},
	{"/v1/cases/" ID "/meetings", "/v1/meetings", &meeting_resource},
	{"/v1/cases/" ID "/family-time-plans", "/v1/family-time-plans", &family_time_plan_resource},
};

static void test_every_kind_under_a_parent_reaches_the_record_handlers(void)
{
	for (size_t i = 0; i < COUNT_OF(kinds_under_a_parent); i++) {
		const struct kind_routes *k = &kinds_under_a_parent[i];
		char item[96], history[112];

		snprintf(item, sizeof(item), "%s/" ID, k->path);
		snprintf(history, sizeof(history), "%s/history", item);
		CHECK(reaches("GET", k->under, record_list, k->kind, ID));
		CHECK(reaches("POST", k->under, record_create, k->kind, ID));
		CHECK(reaches("GET", k->path, record_list, k->kind, NULL));
		CHECK(reaches("GET", item, record_get, k->kind, ID));
		CHECK(reaches("PATCH", item, record_update, k->kind, ID));
		CHECK(reaches("DELETE", item, record_delete, k->kind, ID));
		CHECK(reaches("GET", history, record_history, k->kind, ID));
	}
}

static void test_history_of_every_kind(void)
{
	CHECK(reaches("GET", "/v1/cases/" ID "/history", record_history, &case_resource, ID));
	CHECK(not_allowed("POST", "/v1/cases/" ID "/history", "GET, HEAD, OPTIONS"));
}


/* The flags of the route method and path reach; ~0u when none. */
static unsigned flags_of(const char *method, const char *path)
{
	struct match m = match(method, path);

	return m.outcome == ROUTE_FOUND ? m.route->flags : ~0u;
}

static void test_only_health_and_the_contract_are_public_and_writes_take_a_body(void)
{
	CHECK(flags_of("GET", "/healthz") == ROUTE_PUBLIC);
	CHECK(flags_of("GET", "/readyz") == ROUTE_PUBLIC);
	CHECK(flags_of("GET", "/openapi.yaml") == ROUTE_PUBLIC);
	CHECK(flags_of("GET", "/openapi.json") == ROUTE_PUBLIC);
	CHECK(flags_of("GET", "/metrics") == ROUTE_PUBLIC);
	CHECK(flags_of("GET", "/v1/cases") == 0);
	CHECK(flags_of("POST", "/v1/cases") == ROUTE_BODY);
	CHECK(flags_of("GET", "/v1/cases/" ID) == 0);
	CHECK(flags_of("PATCH", "/v1/cases/" ID) == ROUTE_BODY);
	CHECK(flags_of("DELETE", "/v1/cases/" ID) == 0);
	CHECK(flags_of("GET", "/v1/cases/" ID "/permanency-goals") == 0);
	CHECK(flags_of("GET", "/v1/audit") == 0);
}

/* Reports answer JSON or CSV by Accept, and say so in Vary. */
static void test_only_reports_are_negotiated(void)
{
	CHECK(flags_of("GET", "/v1/reports/visit-compliance") == ROUTE_NEGOTIATED);
	CHECK(flags_of("GET", "/v1/reports/plan-reviews") == ROUTE_NEGOTIATED);
	CHECK(flags_of("GET", "/v1/reports/placement-stability") == ROUTE_NEGOTIATED);
	CHECK(flags_of("GET", "/v1/reports/referral-outcomes") == ROUTE_NEGOTIATED);
	CHECK((flags_of("GET", "/v1/visits") & ROUTE_NEGOTIATED) == 0);
	CHECK((flags_of("GET", "/openapi.json") & ROUTE_NEGOTIATED) == 0);
}

/* The state's number is a path segment of its own, before any {id}. */
static void test_cases_by_number(void)
{
	CHECK(reaches("GET", "/v1/cases/by-number/ST-2024-17", get_case_by_number, NULL, "ST-2024-17"));
	CHECK(reaches("PUT", "/v1/cases/by-number/ST-2024-17", put_case_by_number, &case_resource, "ST-2024-17"));
	CHECK(reaches("GET", "/v1/cases/by-number/history", get_case_by_number, NULL, "history"));
	CHECK(reaches("PUT", "/v1/cases/by-number/a%2Fb", put_case_by_number, &case_resource, "a%2Fb"));
	CHECK(not_allowed("PATCH", "/v1/cases/by-number/ST-1", "GET, HEAD, PUT, OPTIONS"));
	CHECK(not_found("GET", "/v1/cases/by-number/"));
	CHECK(not_found("GET", "/v1/cases/by-number/a/b"));
	CHECK(flags_of("PUT", "/v1/cases/by-number/ST-1") == ROUTE_BODY);
}

static void test_head_matches_get(void)
{
	CHECK(reaches("HEAD", "/healthz", handle_healthz, NULL, NULL));
	CHECK(reaches("HEAD", "/v1/cases", record_list, &case_resource, NULL));
	CHECK(reaches("HEAD", "/v1/cases/" ID, record_get, &case_resource, ID));
	CHECK(reaches("HEAD", "/v1/audit", list_audit, NULL, NULL));
}

/* Path parameters are copied as given; the handler decides whether they name a record. */
static void test_id_segment_is_passed_through(void)
{
	char longest[PATH_PARAM_MAX + 1], path[PATH_PARAM_MAX + 64];

	CHECK(reaches("GET", "/v1/cases/not-a-uuid", record_get, &case_resource, "not-a-uuid"));
	memset(longest, 'a', PATH_PARAM_MAX);
	longest[PATH_PARAM_MAX] = '\0';
	snprintf(path, sizeof(path), "/v1/cases/%s", longest);
	CHECK(reaches("GET", path, record_get, &case_resource, longest));
}

static void test_id_segment_longer_than_the_limit_is_not_found(void)
{
	char path[PATH_PARAM_MAX + 64];

	snprintf(path, sizeof(path), "/v1/cases/%0*d", PATH_PARAM_MAX + 1, 0);
	CHECK(not_found("GET", path));
	snprintf(path, sizeof(path), "/v1/cases/%0*d/permanency-goals", PATH_PARAM_MAX + 1, 0);
	CHECK(not_found("GET", path));
}

static void test_wrong_method_is_405_with_allow_list(void)
{
	CHECK(not_allowed("POST", "/healthz", "GET, HEAD, OPTIONS"));
	CHECK(not_allowed("DELETE", "/readyz", "GET, HEAD, OPTIONS"));
	CHECK(not_allowed("PUT", "/v1/cases", "GET, HEAD, POST, OPTIONS"));
	CHECK(not_allowed("DELETE", "/v1/cases", "GET, HEAD, POST, OPTIONS"));
	CHECK(not_allowed("PUT", "/v1/cases/" ID, "GET, HEAD, PATCH, DELETE, OPTIONS"));
	CHECK(not_allowed("POST", "/v1/cases/" ID, "GET, HEAD, PATCH, DELETE, OPTIONS"));
	CHECK(not_allowed("POST", "/v1/cases/" ID "/permanency-goals", "GET, HEAD, OPTIONS"));
	CHECK(not_allowed("POST", "/v1/audit", "GET, HEAD, OPTIONS"));
	CHECK(not_allowed("get", "/v1/audit", "GET, HEAD, OPTIONS"));  /* methods are case-sensitive */
}

static void test_route_methods_lists_what_a_path_answers(void)
{
	char allow[128];

	CHECK(route_methods("/v1/cases/" ID, allow, sizeof(allow)) == 3);  /* routes, not methods */
	CHECK_STR(allow, "GET, HEAD, PATCH, DELETE, OPTIONS");
	CHECK(route_methods("/v1/cases", allow, sizeof(allow)) == 2);
	CHECK_STR(allow, "GET, HEAD, POST, OPTIONS");
	CHECK(route_methods("/nowhere", allow, sizeof(allow)) == 0);
	CHECK_STR(allow, "");
}

static void test_unknown_paths_are_404(void)
{
	CHECK(not_found("GET", "/"));
	CHECK(not_found("GET", ""));
	CHECK(not_found("GET", "/v1"));
	CHECK(not_found("GET", "/v2/cases"));
	CHECK(not_found("GET", "/v1/case"));
	CHECK(not_found("GET", "/v1/casesx"));
	CHECK(not_found("GET", "/V1/cases"));
	CHECK(not_found("GET", "/v1/plan"));
	CHECK(not_found("GET", "healthz"));
	CHECK(not_found("PUT", "/v1/unknown"));
}

static void test_near_miss_paths_are_404(void)
{
	CHECK(not_found("GET", "/v1/cases/"));                       /* trailing slash */
	CHECK(not_found("GET", "/healthz/"));
	CHECK(not_found("GET", "/v1/cases/" ID "/"));
	CHECK(not_found("GET", "//v1/cases"));                       /* double slashes */
	CHECK(not_found("GET", "/v1//cases"));
	CHECK(not_found("GET", "/v1/cases//permanency-goals"));      /* empty id segment */
	CHECK(not_found("GET", "/v1/cases/" ID "/extra"));           /* extra segment */
	CHECK(not_found("GET", "/v1/cases/" ID "/permanency-goals/x"));
	CHECK(not_found("GET", "/v1/audit/1"));
	CHECK(not_found("GET", "/v1/cases/" ID "/permanency-goals/"));
}

/* Location names the path a new record is read at, under its parent's id where it is read under it. */
static void test_a_new_record_is_located_where_it_is_read(void)
{
	char out[ROUTE_LOCATION_MAX], small[12];

	CHECK(route_location_prefix(&case_resource, NULL, out, sizeof(out)) == 0);
	CHECK_STR(out, "/v1/cases/");
	CHECK(route_location_prefix(&visit_resource, ID, out, sizeof(out)) == 0);
	CHECK_STR(out, "/v1/visits/");
	CHECK(route_location_prefix(&placement_resource, ID, out, sizeof(out)) == 0);
	CHECK_STR(out, "/v1/placements/");
	CHECK(route_location_prefix(&progress_resource, ID, out, sizeof(out)) == 0);
	CHECK_STR(out, "/v1/goals/" ID "/progress/");
	CHECK(route_location_prefix(&progress_resource, ID, small, sizeof(small)) == -1);
}

/* Lists and creations under a record, and a note read under its goal, take the record from the path. */
static void test_routes_under_a_record_say_so(void)
{
	CHECK(flags_of("GET", "/v1/cases/" ID "/visits") == ROUTE_UNDER);
	CHECK(flags_of("POST", "/v1/plans/" ID "/goals") == (ROUTE_BODY | ROUTE_UNDER));
	CHECK(flags_of("GET", "/v1/goals/" ID "/progress/" ID) == ROUTE_UNDER);
	CHECK(flags_of("GET", "/v1/goals") == 0);
	CHECK(flags_of("PATCH", "/v1/goals/" ID) == ROUTE_BODY);
}

/* The actions of a route, authorised before the rest of its request is read. */
static unsigned actions_of(const char *method, const char *path)
{
	struct match m = match(method, path);

	return m.outcome == ROUTE_FOUND ? m.route->actions : ~0u;
}

static void test_routes_name_what_their_requests_do(void)
{
	CHECK(actions_of("GET", "/v1/cases") == 0);
	CHECK(actions_of("GET", "/v1/visits/" ID) == 0);
	CHECK(actions_of("GET", "/v1/reports/plan-reviews") == 0);
	CHECK(actions_of("POST", "/v1/cases") == ACCESS_WRITE);
	CHECK(actions_of("POST", "/v1/goals/" ID "/progress") == ACCESS_WRITE);
	CHECK(actions_of("PATCH", "/v1/plans/" ID) == ACCESS_WRITE);
	CHECK(actions_of("DELETE", "/v1/participants/" ID) == ACCESS_DELETE);
	CHECK(actions_of("PUT", "/v1/cases/by-number/ST-1") == (ACCESS_WRITE | ACCESS_UPSERT));
	CHECK(actions_of("GET", "/v1/audit") == ACCESS_READ_AUDIT);
	CHECK(actions_of("GET", "/v1/changes") == ACCESS_READ_CHANGES);
}

/* Metrics name a route by its template: one slot per template, whatever the
 * method, and every route of the table has one. */
static void test_every_template_has_one_metrics_slot(void)
{
	const struct route *get = route_for_path("/v1/cases/" ID);
	struct match patch = match("PATCH", "/v1/cases/" ID);

	CHECK(route_count() <= TRAFFIC_ROUTES_MAX);
	CHECK(get != NULL && strcmp(get->path, "/v1/cases/{id}") == 0 && strcmp(get->method, "GET") == 0);
	CHECK(patch.outcome == ROUTE_FOUND && route_template_slot(patch.route) == route_template_slot(get));
	CHECK(route_at(route_template_slot(get)) == get);
	CHECK(route_for_path("/v1/cases/" ID "/nowhere") == NULL);
	for (size_t i = 0; i < route_count(); i++) {
		size_t slot = route_template_slot(route_at(i));

		CHECK(slot <= i && strcmp(route_at(slot)->path, route_at(i)->path) == 0);
	}
}

int main(void)
{
	RUN(test_a_new_record_is_located_where_it_is_read);
	RUN(test_routes_under_a_record_say_so);
	RUN(test_routes_name_what_their_requests_do);
	RUN(test_every_route_reaches_its_handler);
	RUN(test_only_health_and_the_contract_are_public_and_writes_take_a_body);
	RUN(test_only_reports_are_negotiated);
	RUN(test_head_matches_get);
	RUN(test_every_kind_under_a_parent_reaches_the_record_handlers);
	RUN(test_history_of_every_kind);
	RUN(test_cases_by_number);
	RUN(test_id_segment_is_passed_through);
	RUN(test_id_segment_longer_than_the_limit_is_not_found);
	RUN(test_wrong_method_is_405_with_allow_list);
	RUN(test_route_methods_lists_what_a_path_answers);
	RUN(test_unknown_paths_are_404);
	RUN(test_near_miss_paths_are_404);
	RUN(test_every_template_has_one_metrics_slot);
	return check_result();
}
