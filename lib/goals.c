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

#define GOAL_FIELDS "g.id, g.plan_id, g.case_id, g.description, g.participant_id, g.target_date, g.status," \
	" g.achieved_on, g.version, g.created_at, g.updated_at"
/* A goal is seen through its plan and case: deleting either hides it. */
#define GOAL_VISIBLE " JOIN plans pl ON pl.id = g.plan_id JOIN cases c ON c.id = g.case_id" \
	" WHERE g.deleted_at IS NULL AND pl.deleted_at IS NULL AND c.deleted_at IS NULL" \
	" AND cw_visible(c.assigned_worker, c.unit, $1, $2, $3)"
#define PROGRESS_FIELDS "n.id, n.goal_id, n.case_id, n.noted_on, n.note, n.author, n.version, n.created_at," \
	" n.updated_at"

static const struct db_statement get_goal = {
	"goal_get", "SELECT " GOAL_FIELDS " FROM goals g" GOAL_VISIBLE " AND g.id = $4", 4, 1};
static const struct db_statement lock_goal = {
	"goal_lock", "SELECT " GOAL_FIELDS " FROM goals g" GOAL_VISIBLE " AND g.id = $4 FOR UPDATE OF g", 4, 1};
static const struct db_statement share_goal = {
	"goal_share", "SELECT " GOAL_FIELDS " FROM goals g" GOAL_VISIBLE " AND g.id = $4 FOR SHARE OF g", 4, 1};
static const struct db_statement goal_visible = {
	"goal_visible", "SELECT 1 FROM goals g" GOAL_VISIBLE " AND g.id = $4", 4, 0};
static const struct db_statement insert_goal = {
	"goal_insert",
	"INSERT INTO goals AS g (plan_id, case_id, description, participant_id, target_date, status, achieved_on)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING " GOAL_FIELDS, 7, 1};
static const struct db_statement update_goal = {
	"goal_update",
	"UPDATE goals g SET description = $2, participant_id = $3, target_date = $4, status = $5,"
	" achieved_on = $6 WHERE g.id = $1 RETURNING " GOAL_FIELDS, 6, 1};
static const struct db_statement delete_goal = {
	"goal_delete", "UPDATE goals SET deleted_at = now() WHERE id = $1", 1, 0};
static const struct db_statement list_goals = {
	NULL,
	"SELECT " GOAL_FIELDS " FROM goals g" GOAL_VISIBLE
	"   AND ($4::uuid IS NULL OR g.case_id = $4)"
	"   AND ($5::uuid IS NULL OR g.plan_id = $5)"
	"   AND ($6::text IS NULL OR g.status = $6)"
	"   AND ($7::timestamptz IS NULL OR g.updated_at >= $7)"
	"   AND ($8::timestamptz IS NULL OR (g.created_at, g.id) > ($8, $9::uuid))"
	" ORDER BY g.created_at, g.id LIMIT $10",
	10, 1};

/* Writes under a plan take its case first (shared), as plan writes do
 * (exclusively), so that the two never wait on each other in turn. */
static const struct db_statement lock_case_of_plan = {
	"goal_lock_case_of_plan",
	"SELECT 1 FROM cases WHERE id = (SELECT case_id FROM plans WHERE id = $1::uuid) FOR SHARE", 1, 0};
static const struct db_statement lock_case_of_goal = {
	"goal_lock_case", "SELECT 1 FROM cases WHERE id = (SELECT case_id FROM goals WHERE id = $1::uuid) FOR SHARE",
	1, 0};

static const struct db_statement get_progress = {
	"progress_get",
	"SELECT " PROGRESS_FIELDS " FROM goal_progress n JOIN goals g ON g.id = n.goal_id" GOAL_VISIBLE
	" AND n.deleted_at IS NULL AND n.id = $4", 4, 1};
static const struct db_statement insert_progress = {
	"progress_insert",
	"INSERT INTO goal_progress AS n (goal_id, case_id, noted_on, note, author)"
	" VALUES ($1, $2, $3, $4, $5) RETURNING " PROGRESS_FIELDS, 5, 1};
static const struct db_statement list_progress = {
	NULL,
	"SELECT " PROGRESS_FIELDS " FROM goal_progress n JOIN goals g ON g.id = n.goal_id" GOAL_VISIBLE
	"   AND n.deleted_at IS NULL AND n.goal_id = $4"
	"   AND ($5::timestamptz IS NULL OR (n.created_at, n.id) > ($5, $6::uuid))"
	" ORDER BY n.created_at, n.id LIMIT $7",
	7, 1};

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
	rc = plans_load_shared(ch->conn, p, plan_id, &plan, err);
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

static const struct db_statement goal_by_ids = {
	"goal_by_ids", "SELECT " GOAL_FIELDS " FROM goals g WHERE g.id = ANY($1::uuid[])", 1, 1};

const struct resource goal_resource = {
	.noun = "goal",
	.audit_type = "goal",
	.fields = goal_fields,
	.insert_columns = goal_insert_columns,
	.update_columns = goal_update_columns,
	.get = &get_goal,
	.lock = &lock_goal,
	.insert = &insert_goal,
	.update = &update_goal,
	.remove = &delete_goal,
	.by_ids = &goal_by_ids,
	.lock_case_of_parent = &lock_case_of_plan,
	.lock_case_of_record = &lock_case_of_goal,
	.check = check_goal,
	.check_delete = check_goal_delete,
};

static enum cw_code check_progress(struct record_change *ch, struct cw_error *err)
{
	const struct principal *p = ch->actor->principal;
	json_t *goal, *plan = NULL;
	enum cw_code rc = resource_load_for_write(ch->conn, &share_goal, p, ch->parent_id, "goal", &goal, err);

	if (rc != CW_OK)
		return rc;
	rc = plans_load_shared(ch->conn, p, record_text_member(goal, "plan_id"), &plan, err);
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

static const struct db_statement goal_progress_by_ids = {
	"goal_progress_by_ids", "SELECT " PROGRESS_FIELDS " FROM goal_progress n WHERE n.id = ANY($1::uuid[])", 1, 1};

const struct resource progress_resource = {
	.noun = "progress note",
	.audit_type = "goal_progress",
	.fields = progress_fields,
	.insert_columns = progress_columns,
	.get = &get_progress,
	.insert = &insert_progress,
	.by_ids = &goal_progress_by_ids,
	.lock_case_of_parent = &lock_case_of_goal,
	.check = check_progress,
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

static enum cw_code check_goal_visible(struct db_pool *pool, const struct principal *p, const char *id,
				       struct cw_error *err)
{
	struct access_scope s = access_scope_of(p);
	const char *params[4] = {s.see_all, s.worker, s.unit, id};
	PGresult *res = db_query(pool, &goal_visible, params, err);
	int found;

	if (res == NULL)
		return err->code;
	found = PQntuples(res) == 1;
	PQclear(res);
	return found ? CW_OK : cw_fail(err, CW_NOT_FOUND, "No goal with this id.");
}

enum cw_code goals_list(struct db_pool *pool, const struct principal *p, const struct goal_filter *f,
			int require_plan, char **page, struct cw_error *err)
{
	struct access_scope s = access_scope_of(p);
	const char *params[10] = {s.see_all, s.worker, s.unit, f->case_id, f->plan_id, f->status,
				  f->updated_since, f->after_created, f->after_id, NULL /* LIMIT: paging sets it */};
	static const struct page_keys keys = {CURSOR_GOALS, "created_at", "id", NULL, 0, 7};

	if (require_plan && plans_check_visible(pool, p, f->plan_id, err) != CW_OK)
		return err->code;
	return page_list(pool, &list_goals, params, f->limit, &keys, page, NULL, err);
}

enum cw_code goals_progress_list(struct db_pool *pool, const struct principal *p, const char *goal_id,
				 const char *after_created, const char *after_id, int limit, char **page,
				 struct cw_error *err)
{
	struct access_scope s = access_scope_of(p);
	const char *params[7] = {s.see_all, s.worker, s.unit, goal_id, after_created, after_id,
				 NULL /* LIMIT: paging sets it */};
	static const struct page_keys keys = {CURSOR_PROGRESS, "created_at", "id", NULL, 0, 4};

	if (check_goal_visible(pool, p, goal_id, err) != CW_OK)
		return err->code;
	return page_list(pool, &list_progress, params, limit, &keys, page, NULL, err);
}
