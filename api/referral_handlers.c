/* referral_handlers: /v1/cases/{id}/service-referrals, /v1/service-referrals,
 * /v1/service-referrals/{id} and its /history. */
#include "referrals.h"

#include "handlers.h"
#include "path.h"
#include "records.h"
#include "reply.h"
#include "request.h"

enum cw_code list_case_referrals(struct exchange *x)
{
	return record_list_handler(x, &referral_resource, 1);
}

enum cw_code list_referrals(struct exchange *x)
{
	return record_list_handler(x, &referral_resource, 0);
}

enum cw_code create_referral(struct exchange *x)
{
	return record_create_handler(x, &referral_resource, "case", "/v1/service-referrals/");
}

enum cw_code get_referral(struct exchange *x)
{
	return record_get_handler(x, &referral_resource);
}

enum cw_code patch_referral(struct exchange *x)
{
	return record_patch_handler(x, &referral_resource);
}

enum cw_code delete_referral(struct exchange *x)
{
	return record_delete_handler(x, &referral_resource);
}

enum cw_code list_referral_history(struct exchange *x)
{
	struct history_position pos;
	char id[37];
	char *page = NULL;

	if (path_uuid(x, 0, id, "service referral") != CW_OK ||
	    query_history_page(x, CURSOR_HISTORY, id, &pos) != CW_OK)
		return x->err.code;
	if (referrals_history(x->app->pool, &x->principal, id, &pos, &page, &x->err) != CW_OK)
		return x->err.code;
	return reply_json(x, 200, page);
}
