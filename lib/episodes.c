#include "episodes.h"

#include <stdio.h>
#include <string.h>

#include "dates.h"
#include "participants.h"
#include "rules.h"

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
	RECORD_FIELD("removed_on", FT_DATE, F_REQUIRED),
	RECORD_ENUM_FIELD("removal_manner", F_NULLABLE, removal_manners),
	{"removal_reasons", FT_ENUM_LIST, F_NULLABLE, EPISODE_REASONS_MAX, removal_reasons, 0, 0},
	RECORD_FIELD("discharged_on", FT_DATE, F_NULLABLE),
	RECORD_ENUM_FIELD("discharge_reason", F_NULLABLE, discharge_reasons),
	RECORD_ENUM_FIELD("permanency_goal", F_NULLABLE, permanency_goals),
	RECORD_ENUM_FIELD("concurrent_goal", F_NULLABLE, permanency_goals),
	RECORD_ENUM_FIELD("tpr_exception", F_NULLABLE, tpr_exceptions),
	RECORD_SIZED_FIELD("notes", FT_TEXT, F_NULLABLE, EPISODE_NOTES_MAX),
	RECORD_FIELD("entered_care_on", FT_DATE, F_READ_ONLY),
	RECORD_KEPT_FIELDS,
};

static const char *const insert_columns[] = {
	"participant_id", "case_id", "removed_on", "removal_manner", "removal_reasons", "discharged_on",
	"discharge_reason", "permanency_goal", "concurrent_goal", "tpr_exception", "notes", NULL};
static const char *const update_columns[] = {
	"removed_on", "removal_manner", "removal_reasons", "discharged_on", "discharge_reason", "permanency_goal",
	"concurrent_goal", "tpr_exception", "notes", NULL};

/* The child's other episode that days $3..$4 would overlap, and the first and
 * the last of episode $2's placements that they would leave outside. */
static const struct db_statement dates_in_the_way = {
	"episode_dates_in_the_way",
	"SELECT (SELECT o.id FROM episodes o WHERE o.participant_id = $1::uuid AND o.deleted_at IS NULL"
	"           AND o.id IS DISTINCT FROM $2::uuid"
	"           AND cw_episode_days(o.removed_on, o.discharged_on) && cw_episode_days($3::date, $4::date)"
	"         ORDER BY o.removed_on LIMIT 1),"
	"       (SELECT pm.id FROM placements pm WHERE pm.episode_id = $2::uuid AND pm.deleted_at IS NULL"
	"           AND pm.started_on < $3::date ORDER BY pm.started_on LIMIT 1),"
	"       (SELECT pm.id FROM placements pm WHERE pm.episode_id = $2::uuid AND pm.deleted_at IS NULL"
	"           AND pm.started_on > $4::date ORDER BY pm.started_on LIMIT 1),"
	"       (SELECT pm.id FROM placements pm WHERE pm.episode_id = $2::uuid AND pm.deleted_at IS NULL"
	"           AND pm.ended_on > $4::date ORDER BY pm.started_on DESC LIMIT 1)",
	4, 0};

enum cw_code episodes_check_dates(struct db_conn *conn, const char *participant_id, const char *episode_id,
				  const json_t *record, const char *removed_field, const char *discharged_field,
				  struct cw_error *err)
{
	const char *params[4] = {participant_id, episode_id, record_text_member(record, removed_field),
				 record_text_member(record, discharged_field)};
	char collides[37] = "";
	PGresult *res;

	if (params[2] == NULL || cw_has_field_errors(err))
		return CW_OK;
	res = db_run(conn, &dates_in_the_way, params, err);
	if (res == NULL)
		return err->code;
	if (!PQgetisnull(res, 0, 0))
		snprintf(collides, sizeof(collides), "%s", PQgetvalue(res, 0, 0));
	if (!PQgetisnull(res, 0, 1))
		cw_field_error(err, removed_field, "cannot be after placement %s starts: placements lie inside "
			       "their episode", PQgetvalue(res, 0, 1));
	if (!PQgetisnull(res, 0, 2))
		cw_field_error(err, discharged_field, "cannot be before placement %s starts: placements lie inside "
			       "their episode", PQgetvalue(res, 0, 2));
	else if (!PQgetisnull(res, 0, 3))
		cw_field_error(err, discharged_field, "cannot be before placement %s ends: placements lie inside "
			       "their episode", PQgetvalue(res, 0, 3));
	PQclear(res);
	if (collides[0] && !cw_has_field_errors(err))
		return cw_fail(err, CW_CONFLICT, "These dates overlap removal episode %s of this child: a child's "
			       "episodes never overlap, and only the latest may be open.", collides);
	return CW_OK;
}

/* later's date is not before earlier's (a date of another record). */
static void rule_not_before_date(const json_t *record, const char *later, const char *earlier_text,
				 const char *earlier_name, struct cw_error *err)
{
	struct cw_date a, b;

	if (earlier_text && record_date(record, later, &a) == 0 && date_parse(earlier_text, &b) == 0 &&
	    date_cmp(&a, &b) < 0)
		cw_field_error(err, later, "cannot be before %s", earlier_name);
}

static void check_episode_rules(const json_t *e, const json_t *child, struct cw_error *err)
{
	const char *goal = record_text_member(e, "permanency_goal");
	const char *concurrent = record_text_member(e, "concurrent_goal");

	rule_not_future(e, "removed_on", err);
	rule_not_future(e, "discharged_on", err);
	rule_not_before(e, "discharged_on", "removed_on", err);
	rule_not_before_date(e, "removed_on", record_text_member(child, "date_of_birth"), "the child's date_of_birth",
			     err);
	rule_set_together(e, "discharge_reason", "discharged_on", err);
	if (goal && concurrent && strcmp(goal, concurrent) == 0)
		cw_field_error(err, "concurrent_goal", "must differ from permanency_goal: a concurrent plan works "
			       "toward a second goal");
}

/* The child is loaded (locked) as a role that may write sees it, after the
 * case (the kind's case lock): the child's dates follow its latest episode. */
static enum cw_code check_episode(struct record_change *ch, struct cw_error *err)
{
	const char *child_id = resource_parent_id(ch);
	const char *role;
	json_t *child;
	enum cw_code rc = resource_open_parent(ch, 1, &child, err);

	if (rc != CW_OK)
		return rc;
	role = record_text_member(child, "role");
	if (strcmp(role, "child") != 0)
		cw_field_error(err, "participant_id", "must name a child: only a child is removed into care "
			       "(this participant's role is %s)", role);
	check_episode_rules(ch->after, child, err);
	json_decref(child);
	return episodes_check_dates(ch->conn, child_id, ch->before ? record_text_member(ch->before, "id") : NULL,
				    ch->after, "removed_on", "discharged_on", err);
}

static const char *const conflicts[] = {
	"episodes_no_overlap", "These dates overlap another removal episode of this child, written at the same "
	"time: a child's episodes never overlap, and only the latest may be open.",
	NULL};

/* A child's episodes are written one request at a time under the case
 * (exclusive): of two that would overlap, the second sees the first. */
const struct resource episode_resource = {
	.noun = "episode", .audit_type = "episode", .fields = episode_fields,
	.store = {.table = "episodes", .alias = "e", .parent = &participant_resource, .parent_column = "participant_id",
		  .case_lock = CASE_LOCK_EXCLUSIVE},
	.insert_columns = insert_columns, .update_columns = update_columns,
	.lists = {CURSOR_EPISODES, NULL, NULL, NULL},
	.rules = {.check = check_episode, .conflicts = conflicts},
};
