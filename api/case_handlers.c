#include "case_handlers.h"

#include "cases.h"
#include "path.h"
#include "reply.h"
#include "request.h"

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
