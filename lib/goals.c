#include "goals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "dates.h"
#include "page.h"
#include "participants.h"
#include "plans.h"

static const char *const statuses[] = {"not_started", "in_progress", "achieved", "not_achieved",
				       "discontinued", NULL};

const struct field_spec goal_fields[] = {
	{"id", FT_UUID, F_READ_ONLY, 0, NULL, 0, 0},
	{"plan_id", FT_UUID, F_READ_ONLY, 0, NULL, 0, 0},
	{"case_id", FT_UUID, F_READ_ONLY, 0, NULL, 0, 0},
	{"description", FT_TEXT, F_REQUIRED, 2000, NULL, 0, 0},
	{"participant_id", FT_UUID, F_NULLABLE, 0, NULL, 0, 0},
	{"target_date", FT_DATE, F_NULLABLE, 0, NULL, 0, 0},
	{"status", FT_ENUM, 0, 0, statuses, 0, 0},
	{"achieved_on", FT_DATE, F_NULLABLE, 0, NULL, 0, 0},
	{"version", FT_INT, F_READ_ONLY, 0, NULL, 0, 0},
	{"created_at", FT_TIMESTAMP, F_READ_ONLY, 0, NULL, 0, 0},
	{"updated_at", FT_TIMESTAMP, F_READ_ONLY, 0, NULL, 0, 0},
	{NULL, 0, 0, 0, NULL, 0, 0},
};

const struct field_spec progress_fields[] = {
	{"id", FT_UUID, F_READ_ONLY, 0, NULL, 0, 0},
	{"goal_id", FT_UUID, F_READ_ONLY, 0, NULL, 0, 0},
	{"case_id", FT_UUID, F_READ_ONLY, 0, NULL, 0, 0},
	{"noted_on", FT_DATE, 0, 0, NULL, 0, 0},
	{"note", FT_TEXT, F_REQUIRED, 10000, NULL, 0, 0},
	{"author", FT_STRING, F_READ_ONLY, 0, NULL, 0, 0},
	{"version", FT_INT, F_READ_ONLY, 0, NULL, 0, 0},
	{"created_at", FT_TIMESTAMP, F_READ_ONLY, 0, NULL, 0, 0},
	{"updated_at", FT_TIMESTAMP, F_READ_ONLY, 0, NULL, 0, 0},
	{NULL, 0, 0, 0, NULL, 0, 0},
};

static const char *const goal_insert_columns[] = {
	"plan_id", "case_id", "description", "participant_id", "target_date", "status", "achieved_on", NULL};
static const char *const goal_update_columns[] = {
	"description", "participant_id", "target_date", "status", "achieved_on", NULL};
/* What may change once the plan is active: the progress itself. */
static const char *const goal_fixed_when_active[] = {"description", "participant_id", "target_date", NULL};
static const char *const progress_columns[] = {"goal_id", "case_id", "noted_on", "note", "author", NULL};

/* The statuses a goal may move to from `from` ("" when it is final). */
static const char *goal_next(const char *from)
{
	if (strcmp(from, "not_started") == 0)
		return "in_progress, discontinued";
	if (strcmp(from, "in_progress") == 0)
		return "achieved, not_achieved, discontinued";
	return "";
}

static int goal_may_move(const char *from, const char *to)
{
	const char *next = goal_next(from);
	size_t n = strlen(to);

	for (const char *p = strstr(next, to); p; p = strstr(p + 1, to))
		if ((p == next || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

static void set_today(json_t *record, const char *field)
{
	struct cw_date today = date_today();
	char text[11];

	date_format(&today, text);
	json_object_set_new(record, field, json_string(text));
}

static enum cw_code check_goal_status(struct record_change *ch, struct cw_error *err)
{
	const char *from = ch->before ? record_text_member(ch->before, "status") : NULL;
	const char *to = record_text_member(ch->after, "status");
	int achieved = strcmp(to, "achieved") == 0;

	if (from == NULL && strcmp(to, "not_started") != 0)
		cw_field_error(err, "status", "a goal starts as not_started");
	if (from && strcmp(from, to) != 0 && !goal_may_move(from, to)) {
		const char *next = goal_next(from);

		return cw_fail(err, CW_CONFLICT, "A goal that is %s can become %s%s.", from,
			       next[0] ? next : "nothing", next[0] ? " only" : ": it is final");
	}
	/* Today when the goal becomes achieved; the recorded date is never replaced. */
	if (achieved && record_text_member(ch->after, "achieved_on") == NULL) {
		if (from && strcmp(from, "achieved") == 0)
			cw_field_error(err, "achieved_on", "is required while the goal is achieved");
		else
			set_today(ch->after, "achieved_on");
	}
	if (!achieved && record_text_member(ch->after, "achieved_on") != NULL)
		cw_field_error(err, "achieved_on", "is set only when the goal is achieved");
	rule_not_future(ch->after, "achieved_on", err);
	return CW_OK;
}

static enum cw_code check_goal(struct record_change *ch, struct cw_error *err)
{
	const struct principal *p = ch->actor->principal;
	const char *plan_id = ch->before ? record_text_member(ch->before, "plan_id") : ch->parent_id;
	const char *participant;
	json_t *plan;
	enum cw_code rc;

	if (ch->before && !record_changed_any(ch->before, ch->after, goal_update_columns))
		return CW_OK;
	rc = resource_load_locked(ch->conn, &plan_resource, p, plan_id, 0, &plan, err);
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
	if (rc == CW_OK && ch->before == NULL) {
		json_object_set_new(ch->after, "plan_id", json_string(plan_id));
		json_object_set(ch->after, "case_id", json_object_get(plan, "case_id"));
		if (json_object_get(ch->after, "status") == NULL)
			json_object_set_new(ch->after, "status", json_string("not_started"));
	}
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

static const struct db_statement goal_named = {
	"goal_named",
	"SELECT count(*) FROM service_referrals WHERE goal_id = $1::uuid AND deleted_at IS NULL", 1, 0};

/* A goal that live referrals name stays: deleting it would leave them
 * serving a goal nobody can read. */
static enum cw_code check_goal_delete(struct record_change *ch, struct cw_error *err)
{
	const char *params[1] = {record_text_member(ch->before, "id")};
	PGresult *res = db_run(ch->conn, &goal_named, params, err);
	long named;

	if (res == NULL)
		return err->code;
	named = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	if (named > 0)
		return cw_fail(err, CW_CONFLICT, "Service referrals (%ld) name this goal: change them first.", named);
	return CW_OK;
}

/* Writes under a plan take its case first (shared), as plan writes do
 * (exclusively), so that the two never wait on each other in turn. */
const struct resource goal_resource = {
	.noun = "goal", .audit_type = "goal", .fields = goal_fields,
	.store = {.table = "goals", .alias = "g", .parent = &plan_resource, .parent_column = "plan_id"},
	.insert_columns = goal_insert_columns, .update_columns = goal_update_columns,
	.lists = {CURSOR_GOALS, (const char *const[]){"status", NULL}, NULL, NULL},
	.rules = {check_goal, check_goal_delete, NULL},
};

static enum cw_code check_progress(struct record_change *ch, struct cw_error *err)
{
	const struct principal *p = ch->actor->principal;
	json_t *goal, *plan = NULL;
	enum cw_code rc = resource_load_locked(ch->conn, &goal_resource, p, ch->parent_id, 0, &goal, err);

	if (rc != CW_OK)
		return rc;
	rc = resource_load_locked(ch->conn, &plan_resource, p, record_text_member(goal, "plan_id"), 0, &plan, err);
	if (rc == CW_OK)
		rc = plans_check_open(ch->conn, p, plan, "goals' progress notes", err);
	if (rc == CW_OK) {
		json_object_set_new(ch->after, "goal_id", json_string(ch->parent_id));
		json_object_set(ch->after, "case_id", json_object_get(goal, "case_id"));
		json_object_set_new(ch->after, "author", json_string(p->sub));
		if (json_object_get(ch->after, "noted_on") == NULL)
			set_today(ch->after, "noted_on");
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
