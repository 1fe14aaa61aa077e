/* participant_handlers: /v1/cases/{id}/participants, /v1/participants, /v1/participants/{id}. */
#include "participants.h"

#include "handlers.h"
#include "path.h"
#include "records.h"
#include "reply.h"
#include "request.h"

enum cw_code list_case_participants(struct exchange *x)
{
	return record_list_handler(x, &participant_resource, 1);
}

enum cw_code list_participants(struct exchange *x)
{
	return record_list_handler(x, &participant_resource, 0);
}

enum cw_code create_participant(struct exchange *x)
{
	return record_create_handler(x, &participant_resource, "case", "/v1/participants/");
}

enum cw_code get_participant(struct exchange *x)
{
	return record_get_handler(x, &participant_resource);
}

enum cw_code get_participant_history(struct exchange *x)
{
	return record_history_handler(x, &participant_resource);
}

enum cw_code patch_participant(struct exchange *x)
{
	return record_patch_handler(x, &participant_resource);
}

enum cw_code delete_participant(struct exchange *x)
{
	return record_delete_handler(x, &participant_resource);
}
