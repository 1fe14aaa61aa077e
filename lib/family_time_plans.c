#include "family_time_plans.h"

#include "cases.h"
#include "participants.h"
#include "rules.h"

static const char *const supervision_levels[] = {"supervised", "monitored", "unsupervised", "overnight", NULL};
static const char *const child_roles[] = {"child", NULL};
static const char *const person_roles[] = {"parent", "relative", NULL};

const struct field_spec family_time_plan_fields[] = {
	RECORD_ID_FIELD,
	RECORD_KEY_FIELD("case_id"),
	RECORD_FIELD("child_id", FT_UUID, F_REQUIRED),
	RECORD_SIZED_FIELD("person_ids", FT_UUID_LIST, F_REQUIRED, 20),
	RECORD_INT_FIELD("visits_per_month", F_REQUIRED, 1, 62),
	RECORD_INT_FIELD("minutes_per_visit", F_NULLABLE, 1, 1440),
	RECORD_ENUM_FIELD("supervision", F_REQUIRED, supervision_levels),
	RECORD_FIELD("effective_on", FT_DATE, F_REQUIRED),
	RECORD_FIELD("ended_on", FT_DATE, F_NULLABLE),
	RECORD_SIZED_FIELD("notes", FT_TEXT, F_NULLABLE, 20000),
	RECORD_KEPT_FIELDS,
};

static const char *const insert_columns[] = {"case_id", "child_id", "person_ids", "visits_per_month",
					     "minutes_per_visit", "supervision", "effective_on", "ended_on", "notes",
					     NULL};
static const char *const update_columns[] = {"child_id", "person_ids", "visits_per_month", "minutes_per_visit",
					     "supervision", "effective_on", "ended_on", "notes", NULL};

static enum cw_code check_plan(struct record_change *ch, struct cw_error *err)
{
	const char *case_id;
	enum cw_code rc = resource_lock_parent(ch, &case_id, err);

	if (rc != CW_OK)
		return rc;
	record_canonical_uuid(ch->after, "child_id");
	record_sort_uuids(ch->after, "person_ids");
	rule_not_before(ch->after, "ended_on", "effective_on", err);
	if (ch->before == NULL || record_field_changed(ch->before, ch->after, "child_id"))
		rc = participants_check_roles(ch->conn, case_id, json_object_get(ch->after, "child_id"), child_roles,
					      "child_id", "a child", NULL, err);
	if (rc == CW_OK && (ch->before == NULL || record_field_changed(ch->before, ch->after, "person_ids")))
		rc = participants_check_roles(ch->conn, case_id, json_object_get(ch->after, "person_ids"),
					      person_roles, "person_ids", "a parent or relative", NULL, err);
	return rc;
}

static const char *const conflicts[] = {
	"family_time_plans_one_in_force",
	"The child has a family-time plan with these people in force on some of these days. A new plan that "
	"starts after the one in force ends it the day before; otherwise change or end the plan in force.",
	NULL};

const struct resource family_time_plan_resource = {
	.noun = "family-time plan", .audit_type = "family_time_plan", .fields = family_time_plan_fields,
	.store = {.table = "family_time_plans", .alias = "ftp", .parent = &case_resource, .parent_column = "case_id"},
	.insert_columns = insert_columns, .update_columns = update_columns,
	.lists = {.cursor = CURSOR_FAMILY_TIME_PLANS, .filters = (const char *const[]){"child_id", NULL}},
	.rules = {.check = check_plan, .conflicts = conflicts},
};
