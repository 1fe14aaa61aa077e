#include "placements.h"

#include <stdio.h>
#include <string.h>

#include "dates.h"
#include "episodes.h"
#include "rules.h"

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
	RECORD_FIELD("started_on", FT_DATE, F_REQUIRED),
	RECORD_FIELD("ended_on", FT_DATE, F_NULLABLE),
	RECORD_ENUM_FIELD("setting", F_REQUIRED, settings),
	RECORD_SIZED_FIELD("provider_name", FT_STRING, F_NULLABLE, 200),
	RECORD_ENUM_FIELD("end_reason", F_NULLABLE, end_reasons),
	RECORD_KEPT_FIELDS,
};

static const char *const insert_columns[] = {"episode_id", "participant_id", "case_id", "started_on", "ended_on",
					     "setting", "provider_name", "end_reason", NULL};
static const char *const update_columns[] = {"started_on", "ended_on", "setting", "provider_name", "end_reason",
					     NULL};

/* The first other placement of episode $1 that days $3..$4 would overlap
 * (one may end on the day the next starts). */
static const struct db_statement overlapping = {
	"placement_overlapping",
	"SELECT o.id FROM placements o WHERE o.episode_id = $1::uuid AND o.deleted_at IS NULL"
	"   AND o.id IS DISTINCT FROM $2::uuid"
	"   AND cw_placement_hold(o.started_on, o.ended_on) && cw_placement_hold($3::date, $4::date)"
	" ORDER BY o.started_on LIMIT 1",
	4, 0};

/* The placement lies inside its episode: from the removal, and until the
 * discharge when there is one (ended by then). */
static void check_inside_episode(const json_t *pm, const json_t *episode, struct cw_error *err)
{
	const char *removed = record_text_member(episode, "removed_on");
	const char *discharged = record_text_member(episode, "discharged_on");
	struct cw_date start, end, from, until;

	if (record_date(pm, "started_on", &start) == 0 && date_parse(removed, &from) == 0 &&
	    date_cmp(&start, &from) < 0)
		cw_field_error(err, "started_on", "cannot be before the episode's removed_on: placements lie inside "
			       "their episode");
	if (discharged == NULL || date_parse(discharged, &until) != 0)
		return;
	if (record_date(pm, "started_on", &start) == 0 && date_cmp(&start, &until) > 0)
		cw_field_error(err, "started_on", "cannot be after the episode's discharged_on");
	if (record_date(pm, "ended_on", &end) != 0)
		cw_field_error(err, "ended_on", "is required: the episode has been discharged, and its placements "
			       "ended by then");
	else if (date_cmp(&end, &until) > 0)
		cw_field_error(err, "ended_on", "cannot be after the episode's discharged_on");
}

static enum cw_code check_overlap(struct record_change *ch, const char *episode_id, struct cw_error *err)
{
	const char *params[4] = {episode_id, ch->before ? record_text_member(ch->before, "id") : NULL,
				 record_text_member(ch->after, "started_on"),
				 record_text_member(ch->after, "ended_on")};
	PGresult *res;
	enum cw_code rc = CW_OK;

	if (cw_has_field_errors(err))
		return CW_OK;
	res = db_run(ch->conn, &overlapping, params, err);
	if (res == NULL)
		return err->code;
	if (PQntuples(res) == 1)
		rc = cw_fail(err, CW_CONFLICT, "These dates overlap placement %s of this episode: placements do not "
			     "overlap, except that one may end on the day the next starts.", PQgetvalue(res, 0, 0));
	PQclear(res);
	return rc;
}

/* The episode is loaded (shared) as a role that may write sees it, after the
 * case (the kind's case lock). */
static enum cw_code check_placement(struct record_change *ch, struct cw_error *err)
{
	const char *episode_id = resource_parent_id(ch);
	json_t *episode;
	enum cw_code rc = resource_open_parent(ch, 0, &episode, err);

	if (rc != CW_OK)
		return rc;
	rule_not_future(ch->after, "started_on", err);
	rule_not_future(ch->after, "ended_on", err);
	rule_not_before(ch->after, "ended_on", "started_on", err);
	rule_set_together(ch->after, "end_reason", "ended_on", err);
	check_inside_episode(ch->after, episode, err);
	json_decref(episode);
	return check_overlap(ch, episode_id, err);
}

static const char *const conflicts[] = {
	"placements_no_overlap", "These dates overlap another placement of this episode, written at the same time: "
	"placements do not overlap, except that one may end on the day the next starts.",
	NULL};

/* Written one request at a time under the case, as episodes are. */
const struct resource placement_resource = {
	.noun = "placement", .audit_type = "placement", .fields = placement_fields,
	.store = {.table = "placements", .alias = "pm", .parent = &episode_resource, .parent_column = "episode_id",
		  .case_lock = CASE_LOCK_EXCLUSIVE},
	.insert_columns = insert_columns, .update_columns = update_columns,
	.lists = {CURSOR_PLACEMENTS, (const char *const[]){"participant_id", NULL}, NULL, NULL},
	.rules = {.check = check_placement, .conflicts = conflicts},
};
