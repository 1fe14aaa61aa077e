#include "episodes.h"

#include "participants.h"

static const char *const removal_manners[] = {"court_ordered", "voluntary", NULL};
static const char *const removal_reasons[] = {"neglect", "physical_abuse", "sexual_abuse", "parent_substance_use",
					      "parent_incarceration", "inadequate_housing", "caretaker_inability",
					      "child_behavior", "abandonment", "other", NULL};
/* not_recorded is the service's own, for discharges written without a reason
 * (sql/016): it is answered, never accepted. */
static const char *const discharge_reasons[] = {"reunification", "living_with_relatives", "adoption",
						"guardianship", "emancipation", "transfer_to_another_agency",
						"runaway", "death", NULL};
static const char *const permanency_goals[] = {"reunification", "live_with_relatives", "adoption", "guardianship",
					       "appla", "not_established", NULL};
static const char *const tpr_exceptions[] = {"relative_placement", "compelling_reason", "services_not_provided",
					     NULL};

#define EPISODE_REASONS_MAX 10
#define EPISODE_NOTES_MAX 4000

const struct field_spec episode_fields[] = {
	RECORD_ID_FIELD,
	RECORD_KEY_FIELD("participant_id"),
	RECORD_KEY_FIELD("case_id"),
	{"removed_on", FT_DATE, F_REQUIRED, 0, NULL, 0, 0},
	{"removal_manner", FT_ENUM, F_NULLABLE, 0, removal_manners, 0, 0},
	{"removal_reasons", FT_ENUM_LIST, F_NULLABLE, EPISODE_REASONS_MAX, removal_reasons, 0, 0},
	{"discharged_on", FT_DATE, F_NULLABLE, 0, NULL, 0, 0},
	{"discharge_reason", FT_ENUM, F_NULLABLE, 0, discharge_reasons, 0, 0},
	{"permanency_goal", FT_ENUM, F_NULLABLE, 0, permanency_goals, 0, 0},
	{"concurrent_goal", FT_ENUM, F_NULLABLE, 0, permanency_goals, 0, 0},
	{"tpr_exception", FT_ENUM, F_NULLABLE, 0, tpr_exceptions, 0, 0},
	{"notes", FT_TEXT, F_NULLABLE, EPISODE_NOTES_MAX, NULL, 0, 0},
	{"entered_care_on", FT_DATE, F_READ_ONLY, 0, NULL, 0, 0},
	RECORD_KEPT_FIELDS,
};

static const char *const insert_columns[] = {
	"participant_id", "case_id", "removed_on", "removal_manner", "removal_reasons", "discharged_on",
	"discharge_reason", "permanency_goal", "concurrent_goal", "tpr_exception", "notes", NULL};
static const char *const update_columns[] = {
	"removed_on", "removal_manner", "removal_reasons", "discharged_on", "discharge_reason", "permanency_goal",
	"concurrent_goal", "tpr_exception", "notes", NULL};

/* A child's episodes are written one request at a time under the case
 * (exclusive): of two that would overlap, the second sees the first. */
const struct resource episode_resource = {
	.noun = "episode", .audit_type = "episode", .fields = episode_fields,
	.store = {.table = "episodes", .alias = "e", .parent = &participant_resource, .parent_column = "participant_id",
		  .case_lock = CASE_LOCK_EXCLUSIVE},
	.insert_columns = insert_columns, .update_columns = update_columns,
	.lists = {CURSOR_EPISODES, NULL, NULL, NULL},
};
