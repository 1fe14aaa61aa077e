/* visit_handlers: /v1/cases/{id}/visits, /v1/visits, /v1/visits/{id}. */
#include "visits.h"

#include <string.h>

#include "handlers.h"
#include "path.h"
#include "records.h"
#include "reply.h"
#include "request.h"

enum cw_code list_case_visits(struct exchange *x)
{
	return record_list_handler(x, &visit_resource, 1);
}

enum cw_code list_visits(struct exchange *x)
{
	return record_list_handler(x, &visit_resource, 0);
}

enum cw_code create_visit(struct exchange *x)
{
	return record_create_handler(x, &visit_resource, "case", "/v1/visits/");
}

enum cw_code get_visit(struct exchange *x)
{
	return record_get_handler(x, &visit_resource);
}

enum cw_code get_visit_history(struct exchange *x)
{
	return record_history_handler(x, &visit_resource);
}

enum cw_code patch_visit(struct exchange *x)
{
	return record_patch_handler(x, &visit_resource);
}

enum cw_code delete_visit(struct exchange *x)
{
	return record_delete_handler(x, &visit_resource);
}
