#include "placements.h"

#include "episodes.h"

static const char *const settings[] = {"relative_foster_home", "nonrelative_foster_home", "pre_adoptive_home",
				       "group_home", "institution", "supervised_independent_living",
				       "trial_home_visit", "runaway", NULL};
static const char *const end_reasons[] = {"step_down", "step_up", "reunification", "provider_request",
					  "child_behavior", "allegation_in_care", "kin_found", "discharge", "other",
					  NULL};

const struct field_spec placement_fields[] = {
	RECORD_ID_FIELD,
	RECORD_KEY_FIELD("episode_id"),
	RECORD_KEY_FIELD("participant_id"),
	RECORD_KEY_FIELD("case_id"),
	{"started_on", FT_DATE, F_REQUIRED, 0, NULL, 0, 0},
	{"ended_on", FT_DATE, F_NULLABLE, 0, NULL, 0, 0},
	{"setting", FT_ENUM, F_REQUIRED, 0, settings, 0, 0},
	{"provider_name", FT_STRING, F_NULLABLE, 200, NULL, 0, 0},
	{"end_reason", FT_ENUM, F_NULLABLE, 0, end_reasons, 0, 0},
	RECORD_KEPT_FIELDS,
};

static const char *const insert_columns[] = {"episode_id", "participant_id", "case_id", "started_on", "ended_on",
					     "setting", "provider_name", "end_reason", NULL};
static const char *const update_columns[] = {"started_on", "ended_on", "setting", "provider_name", "end_reason",
					     NULL};

/* Written one request at a time under the case, as episodes are. */
const struct resource placement_resource = {
	.noun = "placement", .audit_type = "placement", .fields = placement_fields,
	.store = {.table = "placements", .alias = "pm", .parent = &episode_resource, .parent_column = "episode_id",
		  .case_lock = CASE_LOCK_EXCLUSIVE},
	.insert_columns = insert_columns, .update_columns = update_columns,
	.lists = {CURSOR_PLACEMENTS, (const char *const[]){"participant_id", NULL}, NULL, NULL},
};
