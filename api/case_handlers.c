/* case_handlers: /v1/cases and /v1/cases/{id}. */
#include "cases.h"

#include "handlers.h"
#include "path.h"
#include "records.h"
#include "reply.h"
#include "request.h"

enum cw_code list_cases(struct exchange *x)
{
	return record_list_handler(x, &case_resource, 0);
}

enum cw_code create_case(struct exchange *x)
{
	return record_create_handler(x, &case_resource, NULL, "/v1/cases/");
}

enum cw_code get_case(struct exchange *x)
{
	return record_get_handler(x, &case_resource);
}

enum cw_code get_case_history(struct exchange *x)
{
	return record_history_handler(x, &case_resource);
}

enum cw_code patch_case(struct exchange *x)
{
	return record_patch_handler(x, &case_resource);
}

enum cw_code delete_case(struct exchange *x)
{
	return record_delete_handler(x, &case_resource);
}

#define CASE_NUMBER_MAX 64

enum cw_code get_case_by_number(struct exchange *x)
{
	struct record_text r = {0};
	char number[PATH_PARAM_MAX + 1];

	if (path_text(x, 0, number, sizeof(number), CASE_NUMBER_MAX, "case") != CW_OK || query_none(x) != CW_OK ||
	    cases_get_by_number(x->app->pool, &x->principal, number, &r, &x->err) != CW_OK)
		return x->err.code;
	return reply_record(x, 200, &r, NULL);
}

/* PUT /v1/cases/by-number/{number}: 201 with Location when created, 200 when replaced. */
enum cw_code put_case_by_number(struct exchange *x)
{
	struct actor actor = exchange_actor(x);
	struct precondition pre;
	struct record_text r = {0};
	char number[PATH_PARAM_MAX + 1];
	int created = 0;

	if (path_text(x, 0, number, sizeof(number), CASE_NUMBER_MAX, "case") != CW_OK)
		return x->err.code;
	query_none(x);
	request_precondition(x, &pre);
	if (cases_put_by_number(x->app->pool, &actor, number, x->body, &pre, &r, &created, &x->err) != CW_OK)
		return x->err.code;
	return reply_record(x, created ? 201 : 200, &r, created ? "/v1/cases/" : NULL);
}

enum cw_code list_case_permanency_goals(struct exchange *x)
{
	struct history_position pos;
	char id[37];
	char *page = NULL;

	if (path_uuid(x, 0, id, "case") != CW_OK || query_history_page(x, CURSOR_PERMANENCY_GOALS, id, &pos) != CW_OK)
		return x->err.code;
	if (cases_permanency_goals(x->app->pool, &x->principal, id, &pos, &page, &x->err) != CW_OK)
		return x->err.code;
	return reply_json(x, 200, page);
}
