/* cases: /v1/cases and /v1/cases/{id}. */
#include "cases.h"

#include "access.h"
#include "dates.h"
#include "handlers.h"
#include "request.h"

#define CASES_PATH "/v1/cases/"

static const struct field_spec *case_field(const char *name)
{
	return field_spec_find(case_fields, name);
}

enum cw_code list_cases(struct exchange *x)
{
	static const char *const allowed[] = {"status", "assigned_worker", "unit", "updated_since",
					      "limit", "cursor", NULL};
	char since[28], after[28], after_id[37];
	int64_t after_us;
	struct case_filter f = {0};
	char *page = NULL;

	query_only(x, allowed);
	f.status = query_value(x, "status", case_field("status"));
	f.assigned_worker = query_value(x, "assigned_worker", case_field("assigned_worker"));
	f.unit = query_value(x, "unit", case_field("unit"));
	f.updated_since = query_timestamp(x, "updated_since", since);
	f.limit = query_limit(x);
	if (query_cursor(x, CURSOR_CASES, &after_us, after_id) == 1) {
		timestamp_format(after_us, after);
		f.after_created = after;
		f.after_id = after_id;
	}
	if (cw_has_field_errors(&x->err))
		return CW_INVALID;
	if (cases_list(x->app->pool, &x->principal, &f, &page, &x->err) != CW_OK)
		return x->err.code;
	return reply_json(x, 200, page);
}

enum cw_code create_case(struct exchange *x)
{
	struct actor actor = exchange_actor(x);
	struct record_text r = {0};

	if (query_none(x) != CW_OK)
		return x->err.code;
	if (resource_create(x->app->pool, &case_resource, &actor, NULL, x->body, &r, &x->err) != CW_OK)
		return x->err.code;
	return reply_record(x, 201, &r, CASES_PATH);
}

enum cw_code get_case(struct exchange *x)
{
	struct record_text r = {0};
	char id[37];

	if (path_uuid(x, 0, id, "case") != CW_OK || query_none(x) != CW_OK ||
	    resource_get(x->app->pool, &case_resource, &x->principal, id, &r, &x->err) != CW_OK)
		return x->err.code;
	return reply_record(x, 200, &r, NULL);
}

enum cw_code patch_case(struct exchange *x)
{
	struct actor actor = exchange_actor(x);
	struct precondition pre;
	struct record_text r = {0};
	char id[37];

	if (path_uuid(x, 0, id, "case") != CW_OK || query_none(x) != CW_OK)
		return x->err.code;
	request_precondition(x, &pre);
	if (resource_update(x->app->pool, &case_resource, &actor, id, x->body, &pre, &r, &x->err) != CW_OK)
		return x->err.code;
	return reply_record(x, 200, &r, NULL);
}

enum cw_code delete_case(struct exchange *x)
{
	struct actor actor = exchange_actor(x);
	struct precondition pre;
	char id[37];

	if (path_uuid(x, 0, id, "case") != CW_OK || query_none(x) != CW_OK)
		return x->err.code;
	request_precondition(x, &pre);
	if (resource_delete(x->app->pool, &case_resource, &actor, id, &pre, &x->err) != CW_OK)
		return x->err.code;
	return reply_empty(x, 204);
}

enum cw_code list_case_permanency_goals(struct exchange *x)
{
	char id[37];
	char *page = NULL;

	if (path_uuid(x, 0, id, "case") != CW_OK || query_none(x) != CW_OK)
		return x->err.code;
	if (cases_permanency_goals(x->app->pool, &x->principal, id, &page, &x->err) != CW_OK)
		return x->err.code;
	return reply_json(x, 200, page);
}
