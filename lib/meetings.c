#include "meetings.h"

#include "cases.h"
#include "participants.h"
#include "rules.h"

static const char *const meeting_types[] = {"team_decision_making", "family_team_meeting",
					    "family_group_decision_making", "other", NULL};
static const char *const reasons[] = {"considered_removal", "placement_change", "exit_from_care", "plan_review",
				      "other", NULL};
static const char *const recommendations[] = {"remain_home_with_safety_plan", "remain_home_with_services",
					      "place_with_relative", "place_in_foster_care", "reunify",
					      "maintain_placement", "change_placement", "other", NULL};
static const char *const other_person[] = {"name", "relationship", NULL};

const struct field_spec meeting_fields[] = {
	RECORD_ID_FIELD,
	RECORD_KEY_FIELD("case_id"),
	RECORD_ENUM_FIELD("meeting_type", F_REQUIRED, meeting_types),
	RECORD_ENUM_FIELD("reason", F_REQUIRED, reasons),
	RECORD_FIELD("held_on", FT_DATE, F_REQUIRED),
	RECORD_SIZED_FIELD("facilitator", FT_STRING, F_NULLABLE, 200),
	RECORD_SIZED_FIELD("participant_ids", FT_UUID_LIST, F_REQUIRED, MEETING_MAX_PEOPLE),
	{"others_present", FT_OBJECT_LIST, 0, 200, other_person, 0, MEETING_MAX_PEOPLE},
	RECORD_SIZED_FIELD("decision", FT_TEXT, F_NULLABLE, 20000),
	RECORD_ENUM_FIELD("recommendation", F_NULLABLE, recommendations),
	RECORD_FIELD("consensus", FT_BOOL, F_NULLABLE),
	RECORD_FIELD("plan_id", FT_UUID, F_NULLABLE),
	RECORD_KEPT_FIELDS,
};

static const char *const insert_columns[] = {"case_id", "meeting_type", "reason", "held_on", "facilitator",
					     "participant_ids", "others_present", "decision", "recommendation",
					     "consensus", "plan_id", NULL};
static const char *const update_columns[] = {"meeting_type", "reason", "held_on", "facilitator", "participant_ids",
					     "others_present", "decision", "recommendation", "consensus", "plan_id",
					     NULL};

static const struct db_statement plan_in_case = {
	"meeting_plan_in_case",
	"SELECT 1 FROM plans WHERE id = $1::uuid AND case_id = $2 AND deleted_at IS NULL FOR SHARE", 2, 0};

static enum cw_code check_meeting(struct record_change *ch, struct cw_error *err)
{
	const char *case_id;
	const char *plan_id;
	enum cw_code rc = resource_lock_parent(ch, &case_id, err);

	if (rc != CW_OK)
		return rc;
	if (json_object_get(ch->after, "others_present") == NULL)
		json_object_set_new(ch->after, "others_present", json_array());
	record_sort_uuids(ch->after, "participant_ids");
	record_canonical_uuid(ch->after, "plan_id");
	rule_not_future(ch->after, "held_on", err);
	if (ch->before == NULL || record_field_changed(ch->before, ch->after, "participant_ids"))
		rc = participants_check_roles(ch->conn, case_id, json_object_get(ch->after, "participant_ids"), NULL,
					      "participant_ids", "a participant", NULL, err);
	plan_id = record_text_member(ch->after, "plan_id");
	if (rc == CW_OK && plan_id && (ch->before == NULL || record_field_changed(ch->before, ch->after, "plan_id")))
		rc = resource_check_reference(ch->conn, &plan_in_case, plan_id, case_id, "plan_id", "plan", err);
	return rc;
}

const struct resource meeting_resource = {
	.noun = "meeting", .audit_type = "meeting", .fields = meeting_fields,
	.store = {.table = "meetings", .alias = "mtg", .parent = &case_resource, .parent_column = "case_id"},
	.insert_columns = insert_columns, .update_columns = update_columns,
	.lists = {.cursor = CURSOR_MEETINGS},
	.rules = {.check = check_meeting},
};
