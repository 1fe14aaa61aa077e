/* plan_handlers: /v1/cases/{id}/plans, /v1/plans, /v1/plans/{id}. */
#include "plans.h"

#include "handlers.h"
#include "path.h"
#include "records.h"
#include "reply.h"
#include "request.h"

static const struct field_spec case_id_spec = {"case_id", FT_UUID, 0, 0, NULL, 0, 0};

static enum cw_code list(struct exchange *x, const char *path_case_id)
{
	static const char *const nested[] = {"status", "updated_since", "limit", "cursor", NULL};
	static const char *const across[] = {"case_id", "status", "updated_since", "limit", "cursor", NULL};
	struct plan_filter f = {0};
	struct list_position pos;
	char *page = NULL;

	query_only(x, path_case_id ? nested : across);
	f.case_id = path_case_id ? path_case_id : query_value(x, "case_id", &case_id_spec);
	f.status = query_value(x, "status", field_spec_find(plan_fields, "status"));
	query_list_position(x, CURSOR_PLANS, &pos);
	if (cw_has_field_errors(&x->err))
		return CW_INVALID;
	f.updated_since = pos.updated_since;
	f.after_created = pos.after_created;
	f.after_id = pos.after_id;
	f.limit = pos.limit;
	if (plans_list(x->app->pool, &x->principal, &f, path_case_id != NULL, &page, &x->err) != CW_OK)
		return x->err.code;
	return reply_json(x, 200, page);
}

enum cw_code list_case_plans(struct exchange *x)
{
	char case_id[37];

	if (path_uuid(x, 0, case_id, "case") != CW_OK)
		return x->err.code;
	return list(x, case_id);
}

enum cw_code list_plans(struct exchange *x)
{
	return list(x, NULL);
}

enum cw_code create_plan(struct exchange *x)
{
	return record_create_handler(x, &plan_resource, "case", "/v1/plans/");
}

enum cw_code get_plan(struct exchange *x)
{
	return record_get_handler(x, &plan_resource);
}

enum cw_code get_plan_history(struct exchange *x)
{
	return record_history_handler(x, &plan_resource);
}

enum cw_code patch_plan(struct exchange *x)
{
	return record_patch_handler(x, &plan_resource);
}

enum cw_code delete_plan(struct exchange *x)
{
	return record_delete_handler(x, &plan_resource);
}
