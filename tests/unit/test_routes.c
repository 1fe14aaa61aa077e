/* routes: method and path -> handler, 404 or 405 with the right Allow list. */
#include "routes.h"

#include "check.h"
#include "handlers.h"

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

/* 1 when method and path reach handler (and the first parameter is param, if given). */
static int reaches(const char *method, const char *path, handler_fn handler, const char *param)
{
	struct match m = match(method, path);
	int ok = m.outcome == ROUTE_FOUND && m.route != NULL && m.route->handler == handler &&
		 (param == NULL || strcmp(m.params[0], param) == 0);

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
	CHECK(reaches("GET", "/healthz", handle_healthz, NULL));
	CHECK(reaches("GET", "/readyz", handle_readyz, NULL));
	CHECK(reaches("GET", "/openapi.yaml", get_openapi_yaml, NULL));
	CHECK(reaches("GET", "/openapi.json", get_openapi_json, NULL));
	CHECK(reaches("GET", "/v1/cases", list_cases, NULL));
	CHECK(reaches("POST", "/v1/cases", create_case, NULL));
	CHECK(reaches("GET", "/v1/cases/" ID, get_case, ID));
	CHECK(reaches("PATCH", "/v1/cases/" ID, patch_case, ID));
	CHECK(reaches("DELETE", "/v1/cases/" ID, delete_case, ID));
	CHECK(reaches("GET", "/v1/cases/" ID "/permanency-goals", list_case_permanency_goals, ID));
	CHECK(reaches("GET", "/v1/audit", list_audit, NULL));
	CHECK(reaches("GET", "/v1/cases/" ID "/participants", list_case_participants, ID));
	CHECK(reaches("POST", "/v1/cases/" ID "/participants", create_participant, ID));
	CHECK(reaches("GET", "/v1/participants", list_participants, NULL));
	CHECK(reaches("GET", "/v1/participants/" ID, get_participant, ID));
	CHECK(reaches("PATCH", "/v1/participants/" ID, patch_participant, ID));
	CHECK(reaches("DELETE", "/v1/participants/" ID, delete_participant, ID));
	CHECK(reaches("GET", "/v1/cases/" ID "/plans", list_case_plans, ID));
	CHECK(reaches("POST", "/v1/cases/" ID "/plans", create_plan, ID));
	CHECK(reaches("GET", "/v1/plans", list_plans, NULL));
	CHECK(reaches("GET", "/v1/plans/" ID, get_plan, ID));
	CHECK(reaches("PATCH", "/v1/plans/" ID, patch_plan, ID));
	CHECK(reaches("DELETE", "/v1/plans/" ID, delete_plan, ID));
	CHECK(reaches("GET", "/v1/plans/" ID "/goals", list_plan_goals, ID));
	CHECK(reaches("POST", "/v1/plans/" ID "/goals", create_goal, ID));
	CHECK(reaches("GET", "/v1/goals", list_goals, NULL));
	CHECK(reaches("GET", "/v1/goals/" ID, get_goal, ID));
	CHECK(reaches("PATCH", "/v1/goals/" ID, patch_goal, ID));
	CHECK(reaches("DELETE", "/v1/goals/" ID, delete_goal, ID));
	CHECK(reaches("GET", "/v1/goals/" ID "/progress", list_goal_progress, ID));
	CHECK(reaches("POST", "/v1/goals/" ID "/progress", create_goal_progress, ID));
	CHECK(reaches("GET", "/v1/goals/" ID "/progress/" ID, get_goal_progress, ID));
	CHECK(reaches("GET", "/v1/service-referrals/" ID "/history", list_referral_history, ID));
	CHECK(reaches("GET", "/v1/changes", list_changes, NULL));
}

static void test_history_of_every_kind(void)
{
	CHECK(reaches("GET", "/v1/cases/" ID "/history", get_case_history, ID));
	CHECK(reaches("GET", "/v1/participants/" ID "/history", get_participant_history, ID));
	CHECK(reaches("GET", "/v1/plans/" ID "/history", get_plan_history, ID));
	CHECK(reaches("GET", "/v1/goals/" ID "/history", get_goal_history, ID));
	CHECK(reaches("GET", "/v1/visits/" ID "/history", get_visit_history, ID));
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
	CHECK(flags_of("GET", "/v1/reports/referral-outcomes") == ROUTE_NEGOTIATED);
	CHECK((flags_of("GET", "/v1/visits") & ROUTE_NEGOTIATED) == 0);
	CHECK((flags_of("GET", "/openapi.json") & ROUTE_NEGOTIATED) == 0);
}

/* The state's number is a path segment of its own, before any {id}. */
static void test_cases_by_number(void)
{
	CHECK(reaches("GET", "/v1/cases/by-number/ST-2024-17", get_case_by_number, "ST-2024-17"));
	CHECK(reaches("PUT", "/v1/cases/by-number/ST-2024-17", put_case_by_number, "ST-2024-17"));
	CHECK(reaches("GET", "/v1/cases/by-number/history", get_case_by_number, "history"));
	CHECK(reaches("PUT", "/v1/cases/by-number/a%2Fb", put_case_by_number, "a%2Fb"));
	CHECK(not_allowed("PATCH", "/v1/cases/by-number/ST-1", "GET, HEAD, PUT, OPTIONS"));
	CHECK(not_found("GET", "/v1/cases/by-number/"));
	CHECK(not_found("GET", "/v1/cases/by-number/a/b"));
	CHECK(flags_of("PUT", "/v1/cases/by-number/ST-1") == ROUTE_BODY);
}

static void test_head_matches_get(void)
{
	CHECK(reaches("HEAD", "/healthz", handle_healthz, NULL));
	CHECK(reaches("HEAD", "/v1/cases", list_cases, NULL));
	CHECK(reaches("HEAD", "/v1/cases/" ID, get_case, ID));
	CHECK(reaches("HEAD", "/v1/audit", list_audit, NULL));
}

/* Path parameters are copied as given; the handler decides whether they name a record. */
static void test_id_segment_is_passed_through(void)
{
	char longest[PATH_PARAM_MAX + 1], path[PATH_PARAM_MAX + 64];

	CHECK(reaches("GET", "/v1/cases/not-a-uuid", get_case, "not-a-uuid"));
	memset(longest, 'a', PATH_PARAM_MAX);
	longest[PATH_PARAM_MAX] = '\0';
	snprintf(path, sizeof(path), "/v1/cases/%s", longest);
	CHECK(reaches("GET", path, get_case, longest));
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

int main(void)
{
	RUN(test_every_route_reaches_its_handler);
	RUN(test_only_health_and_the_contract_are_public_and_writes_take_a_body);
	RUN(test_only_reports_are_negotiated);
	RUN(test_head_matches_get);
	RUN(test_history_of_every_kind);
	RUN(test_cases_by_number);
	RUN(test_id_segment_is_passed_through);
	RUN(test_id_segment_longer_than_the_limit_is_not_found);
	RUN(test_wrong_method_is_405_with_allow_list);
	RUN(test_route_methods_lists_what_a_path_answers);
	RUN(test_unknown_paths_are_404);
	RUN(test_near_miss_paths_are_404);
	return check_result();
}
