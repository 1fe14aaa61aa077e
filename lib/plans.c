#include "plans.h"

#include <stdio.h>
#include <string.h>

#include "access.h"
#include "cases.h"
#include "dates.h"
#include "lifecycle.h"
#include "page.h"
#include "rules.h"

static const char *const statuses[] = {"draft", "active", "completed", "superseded", NULL};

const struct field_spec plan_fields[] = {
	RECORD_ID_FIELD,
	RECORD_KEY_FIELD("case_id"),
	RECORD_ENUM_FIELD("status", 0, statuses),
	RECORD_FIELD("effective_on", FT_DATE, 0),
	RECORD_FIELD("review_due_on", FT_DATE, 0),
	RECORD_FIELD("family_participated", FT_BOOL, 0),
	RECORD_SIZED_FIELD("strengths", FT_TEXT, F_NULLABLE, 10000),
	RECORD_SIZED_FIELD("needs", FT_TEXT, F_NULLABLE, 10000),
	RECORD_FIELD("approved_by", FT_STRING, F_READ_ONLY),
	RECORD_FIELD("approved_at", FT_TIMESTAMP, F_READ_ONLY),
	RECORD_KEPT_FIELDS,
};

static const char *const insert_columns[] = {
	"case_id", "status", "effective_on", "review_due_on", "family_participated", "strengths", "needs", NULL};
static const char *const update_columns[] = {
	"status", "effective_on", "review_due_on", "family_participated", "strengths", "needs", NULL};
/* What an active plan may no longer change. */
static const char *const content_columns[] = {"effective_on", "family_participated", "strengths", "needs", NULL};

static const struct db_statement supersede_active = {
	"plan_supersede",
	"UPDATE plans SET status = 'superseded'"
	" WHERE case_id = $1 AND status = 'active' AND deleted_at IS NULL AND id <> $2", 2, 0};

/* Draft, then active (an approval, which supersedes the case's active plan),
 * then completed; superseded (set in the database) and completed are final. */
static const struct lifecycle plan_lifecycle = {
	.noun = "plan", .field = "status", .initial = "draft",
	.initial_rule = "a plan is created as a draft; make it active with PATCH",
	.moves = (const struct lifecycle_move[]){
		{"draft", "active", ACCESS_APPROVE_PLAN}, {"active", "completed", 0}, {NULL, NULL, 0}},
};

static void set_review_default(json_t *plan, struct cw_error *err)
{
	struct cw_date effective, review;

	if (record_date(plan, "effective_on", &effective) != 0)
		return;
	review = date_add_months(&effective, PLAN_REVIEW_MONTHS);
	if (review.year > DATE_MAX_YEAR) {
		cw_field_error(err, "effective_on", "is too late for a default review date (six months later is "
			       "past %d): send review_due_on", DATE_MAX_YEAR);
		return;
	}
	record_set_date(plan, "review_due_on", &review);
}

/* Whether the stored review date is the default for the stored effective date. */
static int review_is_default(const json_t *plan)
{
	struct cw_date effective, review, expected;

	if (record_date(plan, "effective_on", &effective) != 0 || record_date(plan, "review_due_on", &review) != 0)
		return 0;
	expected = date_add_months(&effective, PLAN_REVIEW_MONTHS);
	return date_cmp(&review, &expected) == 0;
}

static enum cw_code check_new_plan(struct record_change *ch, struct cw_error *err)
{
	const struct lifecycle_move *move;

	lifecycle_apply(&plan_lifecycle, NULL, ch->input, ch->after, &move, err);
	if (json_object_get(ch->after, "effective_on") == NULL)
		record_set_today(ch->after, "effective_on");
	if (json_object_get(ch->after, "review_due_on") == NULL)
		set_review_default(ch->after, err);
	rule_not_before(ch->after, "review_due_on", "effective_on", err);
	return CW_OK;
}

/* A move along the lifecycle; an approval by one role that may approve and
 * sees the case, superseding the case's active plan. */
static enum cw_code check_status_move(struct record_change *ch, const json_t *the_case, struct cw_error *err)
{
	const struct access_target approved = {record_text_member(the_case, "assigned_worker"),
					       record_text_member(the_case, "unit"), 0};
	const struct lifecycle_move *move;
	const char *params[2];
	PGresult *res;
	enum cw_code rc = lifecycle_apply(&plan_lifecycle, ch->before, ch->input, ch->after, &move, err);

	if (rc != CW_OK || move == NULL || move->actions == 0)
		return rc;
	if (!access_allows(ch->actor->principal, ch->actions | move->actions, &approved, &approved))
		return cw_fail(err, CW_FORBIDDEN, "Only a supervisor of the case's unit, an administrator or an "
			       "integration approves a plan.");
	params[0] = record_text_member(ch->before, "case_id");
	params[1] = record_text_member(ch->before, "id");
	res = db_run(ch->conn, &supersede_active, params, err);
	PQclear(res);
	return res ? CW_OK : err->code;
}

static enum cw_code check_plan_change(struct record_change *ch, const json_t *the_case, struct cw_error *err)
{
	const char *from = record_text_member(ch->before, "status");

	if (!record_changed_any(ch->before, ch->after, update_columns))
		return CW_OK;
	if (lifecycle_is_final(&plan_lifecycle, from))
		return cw_fail(err, CW_CONFLICT, "The plan is %s: it can no longer change.", from);
	if (strcmp(from, "draft") != 0 && record_changed_any(ch->before, ch->after, content_columns))
		return cw_fail(err, CW_CONFLICT, "An active plan's content is fixed (only review_due_on and "
			       "its completion change); draft a new plan to change it.");
	if (record_field_changed(ch->before, ch->after, "effective_on") &&
	    json_object_get(ch->input, "review_due_on") == NULL && review_is_default(ch->before))
		set_review_default(ch->after, err);
	rule_not_before(ch->after, "review_due_on", "effective_on", err);
	if (cw_has_field_errors(err))
		return CW_INVALID;
	return check_status_move(ch, the_case, err);
}

static enum cw_code check_plan(struct record_change *ch, struct cw_error *err)
{
	json_t *the_case;
	enum cw_code rc = resource_open_parent(ch, 1, &the_case, err);

	if (rc != CW_OK)
		return rc;
	if (ch->before && !record_changed_any(ch->before, ch->after, update_columns))
		rc = CW_OK;   /* nothing changes: answered as it is */
	else if (cases_is_closed(the_case))
		rc = cw_fail(err, CW_CONFLICT, "The case is closed: its plans are read-only.");
	else if (ch->before == NULL)
		rc = check_new_plan(ch, err);
	else
		rc = check_plan_change(ch, the_case, err);
	json_decref(the_case);
	return rc;
}

/* Plan writes take their case exclusively: activations take turns. */
const struct resource plan_resource = {
	.noun = "plan", .audit_type = "plan", .fields = plan_fields,
	.store = {"plans", "pl", &case_resource, "case_id", NULL, CASE_LOCK_EXCLUSIVE},
	.insert_columns = insert_columns, .update_columns = update_columns,
	.lists = {CURSOR_PLANS, (const char *const[]){"status", NULL}, NULL, NULL},
	.rules = {.check = check_plan},
};

enum cw_code plans_check_open(struct db_conn *conn, const struct principal *p, const json_t *plan,
			      const char *what, struct cw_error *err)
{
	const char *status = record_text_member(plan, "status");
	json_t *the_case;
	enum cw_code rc = resource_load_locked(conn, &case_resource, p, record_text_member(plan, "case_id"), 0,
					       &the_case, err);

	if (rc != CW_OK)
		return rc;
	if (cases_is_closed(the_case))
		rc = cw_fail(err, CW_CONFLICT, "The case is closed: its %s are read-only.", what);
	else if (lifecycle_is_final(&plan_lifecycle, status))
		rc = cw_fail(err, CW_CONFLICT, "The plan is %s: its %s are read-only.", status, what);
	json_decref(the_case);
	return rc;
}
