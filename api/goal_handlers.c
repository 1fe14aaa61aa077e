/* goal_handlers: /v1/plans/{id}/goals, /v1/goals, /v1/goals/{id}, and progress notes
 * at /v1/goals/{id}/progress. */
#include "goals.h"

#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "path.h"
#include "records.h"
#include "reply.h"
#include "request.h"

enum cw_code list_plan_goals(struct exchange *x)
{
	return record_list_handler(x, &goal_resource, 1);
}

enum cw_code list_goals(struct exchange *x)
{
	return record_list_handler(x, &goal_resource, 0);
}

enum cw_code create_goal(struct exchange *x)
{
	return record_create_handler(x, &goal_resource, "plan", "/v1/goals/");
}

enum cw_code get_goal(struct exchange *x)
{
	return record_get_handler(x, &goal_resource);
}

enum cw_code get_goal_history(struct exchange *x)
{
	return record_history_handler(x, &goal_resource);
}

enum cw_code patch_goal(struct exchange *x)
{
	return record_patch_handler(x, &goal_resource);
}

enum cw_code delete_goal(struct exchange *x)
{
	return record_delete_handler(x, &goal_resource);
}

enum cw_code list_goal_progress(struct exchange *x)
{
	return record_list_handler(x, &progress_resource, 1);
}

enum cw_code create_goal_progress(struct exchange *x)
{
	char goal_id[37], prefix[96];

	if (path_uuid(x, 0, goal_id, "goal") != CW_OK)
		return x->err.code;
	snprintf(prefix, sizeof(prefix), "/v1/goals/%s/progress/", goal_id);
	return record_create_handler(x, &progress_resource, "goal", prefix);
}

/* GET /v1/goals/{id}/progress/{note}: the note, when it belongs to that goal. */
enum cw_code get_goal_progress(struct exchange *x)
{
	struct record_text r = {0};
	char goal_id[37], note_id[37];
	json_t *note;
	int same_goal;

	if (path_uuid(x, 0, goal_id, "goal") != CW_OK || path_uuid(x, 1, note_id, "progress note") != CW_OK ||
	    query_none(x) != CW_OK ||
	    resource_get(x->app->pool, &progress_resource, &x->principal, note_id, &r, &x->err) != CW_OK)
		return x->err.code;
	note = json_loads(r.json, 0, NULL);
	same_goal = note && strcmp(json_string_value(json_object_get(note, "goal_id")), goal_id) == 0;
	json_decref(note);
	if (!same_goal) {
		record_text_release(&r);
		return cw_fail(&x->err, CW_NOT_FOUND, "No progress note with this id on this goal.");
	}
	return reply_record(x, 200, &r, NULL);
}
