#include "goals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "dates.h"
#include "lifecycle.h"
#include "page.h"
#include "participants.h"
#include "plans.h"
#include "rules.h"

static const char *const statuses[] = {"not_started", "in_progress", "achieved", "not_achieved",
				       "discontinued", NULL};

const struct field_spec goal_fields[] = {
	RECORD_ID_FIELD,
	RECORD_KEY_FIELD("plan_id"),
	RECORD_KEY_FIELD("case_id"),
	RECORD_SIZED_FIELD("description", FT_TEXT, F_REQUIRED, 2000),
	RECORD_FIELD("participant_id", FT_UUID, F_NULLABLE),
	RECORD_FIELD("target_date", FT_DATE, F_NULLABLE),
	RECORD_ENUM_FIELD("status", 0, statuses),
	RECORD_FIELD("achieved_on", FT_DATE, F_NULLABLE),
	RECORD_KEPT_FIELDS,
};

const struct field_spec progress_fields[] = {
	RECORD_ID_FIELD,
	RECORD_KEY_FIELD("goal_id"),
	RECORD_KEY_FIELD("case_id"),
	RECORD_FIELD("noted_on", FT_DATE, 0),
	RECORD_SIZED_FIELD("note", FT_TEXT, F_REQUIRED, 10000),
	RECORD_FIELD("author", FT_STRING, F_READ_ONLY),
	RECORD_KEPT_FIELDS,
};

static const char *const goal_insert_columns[] = {
	"plan_id", "case_id", "description", "participant_id", "target_date", "status", "achieved_on", NULL};
static const char *const goal_update_columns[] = {
	"description", "participant_id", "target_date", "status", "achieved_on", NULL};
/* What may change once the plan is active: the progress itself. */
static const char *const goal_fixed_when_active[] = {"description", "participant_id", "target_date", NULL};
static const char *const progress_columns[] = {"goal_id", "case_id", "noted_on", "note", "author", NULL};

static const struct lifecycle goal_lifecycle = {
	.noun = "goal", .field = "status", .initial = "not_started", .initial_rule = "a goal starts as not_started",
	.moves = (const struct lifecycle_move[]){
		{"not_started", "in_progress", 0}, {"not_started", "discontinued", 0},
		{"in_progress", "achieved", 0}, {"in_progress", "not_achieved", 0}, {"in_progress", "discontinued", 0},
		{NULL, NULL, 0}},
	/* Today when the goal becomes achieved; the recorded date is never replaced. */
	.stamps = (const struct lifecycle_stamp[]){{"achieved", "achieved_on"}, {NULL, NULL}},
};

/* The lifecycle, then achieved_on: set while the goal is achieved, and only then. */
static enum cw_code check_goal_status(struct record_change *ch, struct cw_error *err)
{
	const struct lifecycle_move *move;
	enum cw_code rc = lifecycle_apply(&goal_lifecycle, ch->before, ch->input, ch->after, &move, err);
	const char *to = record_text_member(ch->after, "status");
	int achieved = to && strcmp(to, "achieved") == 0;

	if (rc != CW_OK)
		return rc;
	if (achieved && record_text_member(ch->after, "achieved_on") == NULL && ch->before && move == NULL)
		cw_field_error(err, "achieved_on", "is required while the goal is achieved");
	if (!achieved && record_text_member(ch->after, "achieved_on") != NULL)
		cw_field_error(err, "achieved_on", "is set only when the goal is achieved");
	rule_not_future(ch->after, "achieved_on", err);
	return CW_OK;
}

static enum cw_code check_goal(struct record_change *ch, struct cw_error *err)
{
	const struct principal *p = ch->actor->principal;
	const char *participant;
	json_t *plan;
	enum cw_code rc;

	if (ch->before && !record_changed_any(ch->before, ch->after, goal_update_columns))
		return CW_OK;
	rc = resource_open_parent(ch, 0, &plan, err);
	if (rc != CW_OK)
		return rc;
	rc = plans_check_open(ch->conn, p, plan, "goals", err);
	if (rc == CW_OK && ch->before == NULL && strcmp(record_text_member(plan, "status"), "draft") != 0)
		rc = cw_fail(err, CW_CONFLICT, "Goals are added while the plan is a draft; this plan is %s.",
			     record_text_member(plan, "status"));
	if (rc == CW_OK && ch->before && strcmp(record_text_member(plan, "status"), "active") == 0 &&
	    record_changed_any(ch->before, ch->after, goal_fixed_when_active))
		rc = cw_fail(err, CW_CONFLICT, "The plan is active: a goal's status and achieved_on change, "
			     "its description, participant and target date do not.");
	participant = record_text_member(ch->after, "participant_id");
	if (rc == CW_OK && participant && (ch->before == NULL || record_field_changed(ch->before, ch->after,
										     "participant_id")))
		rc = participants_check_in_case(ch->conn, participant, record_text_member(plan, "case_id"),
						"participant_id", err);
	if (rc == CW_OK)
		rc = check_goal_status(ch, err);
	json_decref(plan);
	return rc;
}

/* A goal that live referrals name stays: deleting it would leave them
 * serving a goal nobody can read. */
static const struct db_statement goal_named = {
	"goal_named",
	"SELECT count(*) FROM service_referrals WHERE goal_id = $1::uuid AND deleted_at IS NULL", 1, 0};

/* Writes under a plan take its case first (shared), as plan writes do
 * (exclusively), so that the two never wait on each other in turn. */
const struct resource goal_resource = {
	.noun = "goal", .audit_type = "goal", .fields = goal_fields,
	.store = {.table = "goals", .alias = "g", .parent = &plan_resource, .parent_column = "plan_id"},
	.insert_columns = goal_insert_columns, .update_columns = goal_update_columns,
	.lists = {CURSOR_GOALS, (const char *const[]){"status", NULL}, NULL, NULL},
	.rules = {.check = check_goal, .named_by = &goal_named,
		  .named_by_refusal = "Service referrals (%ld) name this goal: change them first."},
};

static enum cw_code check_progress(struct record_change *ch, struct cw_error *err)
{
	const struct principal *p = ch->actor->principal;
	json_t *goal, *plan = NULL;
	enum cw_code rc = resource_open_parent(ch, 0, &goal, err);

	if (rc != CW_OK)
		return rc;
	rc = resource_load_locked(ch->conn, &plan_resource, p, record_text_member(goal, "plan_id"), 0, &plan, err);
	if (rc == CW_OK)
		rc = plans_check_open(ch->conn, p, plan, "goals' progress notes", err);
	if (rc == CW_OK) {
		json_object_set_new(ch->after, "author", json_string(p->sub));
		if (json_object_get(ch->after, "noted_on") == NULL)
			record_set_today(ch->after, "noted_on");
		rule_not_future(ch->after, "noted_on", err);
	}
	json_decref(plan);
	json_decref(goal);
	return rc;
}

/* Notes are listed under their goal only, and never changed or deleted. */
const struct resource progress_resource = {
	.noun = "progress note", .audit_type = "goal_progress", .fields = progress_fields,
	.store = {.table = "goal_progress", .alias = "n", .parent = &goal_resource, .parent_column = "goal_id"},
	.insert_columns = progress_columns,
	.lists = {.cursor = CURSOR_PROGRESS},
	.rules = {.check = check_progress},
};

static const struct db_statement goal_in_case = {
	"goal_in_case",
	"SELECT 1 FROM goals g JOIN plans pl ON pl.id = g.plan_id"
	" WHERE g.id = $1::uuid AND g.case_id = $2 AND g.deleted_at IS NULL AND pl.deleted_at IS NULL"
	" FOR SHARE OF g", 2, 0};

enum cw_code goals_check_in_case(struct db_conn *conn, const char *id, const char *case_id, const char *field,
				 struct cw_error *err)
{
	return resource_check_reference(conn, &goal_in_case, id, case_id, field, "goal", err);
}
