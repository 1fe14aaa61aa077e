/* plan_handlers: /v1/cases/{id}/plans, /v1/plans, /v1/plans/{id}. */
#include "plans.h"

#include "handlers.h"
#include "path.h"
#include "records.h"
#include "reply.h"
#include "request.h"

enum cw_code list_case_plans(struct exchange *x)
{
	return record_list_handler(x, &plan_resource, 1);
}

enum cw_code list_plans(struct exchange *x)
{
	return record_list_handler(x, &plan_resource, 0);
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
