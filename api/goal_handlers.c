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

static const struct field_spec case_id_spec = {"case_id", FT_UUID, 0, 0, NULL, 0, 0};
static const struct field_spec plan_id_spec = {"plan_id", FT_UUID, 0, 0, NULL, 0, 0};

static enum cw_code list(struct exchange *x, const char *path_plan_id)
{
	static const char *const nested[] = {"status", "updated_since", "limit", "cursor", NULL};
	static const char *const across[] = {"case_id", "plan_id", "status", "updated_since", "limit", "cursor",
					     NULL};
	struct goal_filter f = {0};
	struct list_position pos;
	char *page = NULL;

	query_only(x, path_plan_id ? nested : across);
	if (!path_plan_id)
		f.case_id = query_value(x, "case_id", &case_id_spec);
	f.plan_id = path_plan_id ? path_plan_id : query_value(x, "plan_id", &plan_id_spec);
	f.status = query_value(x, "status", field_spec_find(goal_fields, "status"));
	query_list_position(x, CURSOR_GOALS, &pos);
	if (cw_has_field_errors(&x->err))
		return CW_INVALID;
	f.updated_since = pos.updated_since;
	f.after_created = pos.after_created;
	f.after_id = pos.after_id;
	f.limit = pos.limit;
	if (goals_list(x->app->pool, &x->principal, &f, path_plan_id != NULL, &page, &x->err) != CW_OK)
		return x->err.code;
	return reply_json(x, 200, page);
}

enum cw_code list_plan_goals(struct exchange *x)
{
	char plan_id[37];

	if (path_uuid(x, 0, plan_id, "plan") != CW_OK)
		return x->err.code;
	return list(x, plan_id);
}

enum cw_code list_goals(struct exchange *x)
{
	return list(x, NULL);
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
	static const char *const allowed[] = {"limit", "cursor", NULL};
	struct list_position pos;
	char goal_id[37];
	char *page = NULL;

	if (path_uuid(x, 0, goal_id, "goal") != CW_OK)
		return x->err.code;
	query_only(x, allowed);
	query_page_position(x, CURSOR_PROGRESS, &pos);
	if (cw_has_field_errors(&x->err))
		return CW_INVALID;
	if (goals_progress_list(x->app->pool, &x->principal, goal_id, pos.after_created, pos.after_id, pos.limit,
				&page, &x->err) != CW_OK)
		return x->err.code;
	return reply_json(x, 200, page);
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
