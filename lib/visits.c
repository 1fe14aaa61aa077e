#include "visits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "cases.h"
#include "dates.h"
#include "page.h"
#include "participants.h"

static const char *const visit_types[] = {"caseworker_child", "caseworker_parent", "caseworker_caregiver",
					  "family_time", NULL};
static const char *const locations[] = {"child_residence", "parent_home", "office", "school", "community",
					"virtual", "other", NULL};

const struct field_spec visit_fields[] = {
	RECORD_ID_FIELD,
	RECORD_KEY_FIELD("case_id"),
	RECORD_FIELD("visited_at", FT_TIMESTAMP, F_REQUIRED),
	RECORD_ENUM_FIELD("visit_type", F_REQUIRED, visit_types),
	RECORD_ENUM_FIELD("location", F_REQUIRED, locations),
	RECORD_SIZED_FIELD("participant_ids", FT_UUID_LIST, F_REQUIRED, VISIT_MAX_PARTICIPANTS),
	RECORD_INT_FIELD("duration_minutes", F_NULLABLE, 1, 1440),
	RECORD_SIZED_FIELD("summary", FT_TEXT, F_NULLABLE, 20000),
	RECORD_FIELD("safety_concern", FT_BOOL, 0),
	RECORD_KEPT_FIELDS,
};

static const char *const insert_columns[] = {"case_id", "visited_at", "visit_type", "location", "participant_ids",
					     "duration_minutes", "summary", "safety_concern", NULL};
static const char *const update_columns[] = {"visited_at", "visit_type", "location", "participant_ids",
					     "duration_minutes", "summary", "safety_concern", NULL};

/* visited_at as UTC text with microseconds (so that equal instants compare
 * equal), and participant_ids in canonical, sorted form. */
static void normalise(json_t *visit)
{
	const char *at = record_text_member(visit, "visited_at");
	char text[28];
	int64_t us;

	if (at && timestamp_parse(at, &us) == 0) {
		timestamp_format(us, text);
		json_object_set_new(visit, "visited_at", json_string(text));
	}
	record_sort_uuids(visit, "participant_ids");
}

static void check_not_future(const json_t *visit, struct cw_error *err)
{
	const char *at = record_text_member(visit, "visited_at");
	int64_t us;

	if (at && timestamp_parse(at, &us) == 0 && us / 1000000 > (int64_t)time(NULL) + VISIT_CLOCK_SKEW_SECONDS)
		cw_field_error(err, "visited_at", "cannot be in the future");
}

/* Everyone at the visit is a participant of its case; a caseworker_child visit
 * includes a child. */
static enum cw_code check_people(struct record_change *ch, const char *case_id, struct cw_error *err)
{
	const json_t *ids = json_object_get(ch->after, "participant_ids");
	int child = 0;
	const char *id;
	json_t *roles, *role;
	enum cw_code rc = participants_check_roles(ch->conn, case_id, ids, NULL, "participant_ids", "a participant",
						   &roles, err);

	if (rc != CW_OK)
		return rc;
	json_object_foreach(roles, id, role)
		child |= strcmp(json_string_value(role), "child") == 0;
	if (!child && strcmp(record_text_member(ch->after, "visit_type"), "caseworker_child") == 0 &&
	    json_object_size(roles) == json_array_size(ids))
		cw_field_error(err, "participant_ids", "a caseworker_child visit includes at least one child");
	json_decref(roles);
	return CW_OK;
}

static enum cw_code check_visit(struct record_change *ch, struct cw_error *err)
{
	const char *case_id;
	enum cw_code rc = resource_lock_parent(ch, &case_id, err);

	if (rc != CW_OK)
		return rc;
	normalise(ch->after);
	check_not_future(ch->after, err);
	if (ch->before == NULL || record_field_changed(ch->before, ch->after, "participant_ids") ||
	    record_field_changed(ch->before, ch->after, "visit_type"))
		rc = check_people(ch, case_id, err);
	return rc;
}

static const struct list_filter ranges[] = {
	{"from", "visited_at", FILTER_FROM, 0},
	{"to", "visited_at", FILTER_BEFORE, 0},
	{NULL, NULL, 0, 0},
};

/* Each order walks an index of its own (sql/004). */
static const struct list_order sorts[] = {
	{"visited_at", "earliest first", "visited_at", 0, CURSOR_VISITS_BY_TIME},
	{"-visited_at", "latest first", "visited_at", 1, CURSOR_VISITS_BY_TIME_DESC},
	{NULL, NULL, NULL, 0, 0},
};

const struct resource visit_resource = {
	.noun = "visit", .audit_type = "visit", .fields = visit_fields,
	.store = {.table = "visits", .alias = "v", .parent = &case_resource, .parent_column = "case_id"},
	.insert_columns = insert_columns, .update_columns = update_columns,
	.lists = {CURSOR_VISITS, (const char *const[]){"visit_type", NULL}, ranges, sorts},
	.rules = {.check = check_visit},
};
