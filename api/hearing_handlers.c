/* hearing_handlers: /v1/cases/{id}/hearings, /v1/hearings, /v1/hearings/{id}. */
#include "hearings.h"

#include "handlers.h"
#include "records.h"

enum cw_code list_case_hearings(struct exchange *x)
{
	return record_list_handler(x, &hearing_resource, 1);
}

enum cw_code list_hearings(struct exchange *x)
{
	return record_list_handler(x, &hearing_resource, 0);
}

enum cw_code create_hearing(struct exchange *x)
{
	return record_create_handler(x, &hearing_resource, "case", "/v1/hearings/");
}

enum cw_code get_hearing(struct exchange *x)
{
	return record_get_handler(x, &hearing_resource);
}

enum cw_code get_hearing_history(struct exchange *x)
{
	return record_history_handler(x, &hearing_resource);
}

enum cw_code patch_hearing(struct exchange *x)
{
	return record_patch_handler(x, &hearing_resource);
}

enum cw_code delete_hearing(struct exchange *x)
{
	return record_delete_handler(x, &hearing_resource);
}
