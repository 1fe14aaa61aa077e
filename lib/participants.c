#include "participants.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "cases.h"
#include "episodes.h"
#include "hearings.h"
#include "page.h"
#include "rowjson.h"
#include "rules.h"

static const char *const roles[] = {"child", "parent", "caregiver", "relative", "foster_parent", "other", NULL};

const struct field_spec participant_fields[] = {
	RECORD_ID_FIELD,
	RECORD_KEY_FIELD("case_id"),
	RECORD_SIZED_FIELD("first_name", FT_STRING, F_REQUIRED, 100),
	RECORD_SIZED_FIELD("last_name", FT_STRING, F_REQUIRED, 100),
	RECORD_ENUM_FIELD("role", F_REQUIRED, roles),
	RECORD_FIELD("date_of_birth", FT_DATE, F_NULLABLE),
	RECORD_FIELD("in_care_since", FT_DATE, F_NULLABLE),
	RECORD_FIELD("in_care_until", FT_DATE, F_NULLABLE),
	RECORD_KEPT_FIELDS,
};

static const char *const insert_columns[] = {
	"case_id", "first_name", "last_name", "role", "date_of_birth", "in_care_since", "in_care_until", NULL};
static const char *const update_columns[] = {
	"first_name", "last_name", "role", "date_of_birth", "in_care_since", "in_care_until", NULL};

static const struct db_statement participant_in_case = {
	"participant_in_case",
	"SELECT 1 FROM participants WHERE id = $1::uuid AND case_id = $2 AND deleted_at IS NULL FOR SHARE", 2, 0};

static void check_participant_rules(const json_t *r, struct cw_error *err)
{
	const char *role = record_text_member(r, "role");
	int child = role && strcmp(role, "child") == 0;
	int since = record_text_member(r, "in_care_since") != NULL;
	int until = record_text_member(r, "in_care_until") != NULL;

	rule_not_future(r, "date_of_birth", err);
	rule_not_future(r, "in_care_since", err);
	rule_not_future(r, "in_care_until", err);
	if (!child && (since || until)) {
		if (since)
			cw_field_error(err, "in_care_since", "only a child has time in care (role is %s)",
				       role ? role : "not set");
		if (until)
			cw_field_error(err, "in_care_until", "only a child has time in care (role is %s)",
				       role ? role : "not set");
		return;
	}
	if (until && !since)
		cw_field_error(err, "in_care_until", "needs in_care_since: a discharge follows a removal");
	rule_not_before(r, "in_care_until", "in_care_since", err);
	rule_not_before(r, "in_care_since", "date_of_birth", err);
}

static const struct db_statement only_child_of_visits = {
	"participant_only_child_of_visits",
	"SELECT count(*) FROM visits v JOIN visit_participants vp ON vp.visit_id = v.id"
	" WHERE vp.participant_id = $1::uuid AND v.deleted_at IS NULL AND v.visit_type = 'caseworker_child'"
	"   AND NOT EXISTS (SELECT 1 FROM visit_participants o JOIN participants p ON p.id = o.participant_id"
	"                    WHERE o.visit_id = v.id AND o.participant_id <> $1::uuid AND p.role = 'child'"
	"                      AND p.deleted_at IS NULL)", 1, 0};

/* A child who is the only child at caseworker_child visits stays a child:
 * otherwise those visits would be with no child at all. So does a child
 * that hearings concern. */
static enum cw_code check_role_change(struct record_change *ch, struct cw_error *err)
{
	const char *id = record_text_member(ch->before, "id");
	long visits, hearings;

	if (strcmp(record_text_member(ch->before, "role"), "child") != 0 ||
	    !record_field_changed(ch->before, ch->after, "role"))
		return CW_OK;
	if (hearings_naming(ch->conn, id, &hearings, err) != CW_OK)
		return err->code;
	if (hearings > 0)
		return cw_fail(err, CW_CONFLICT, "Hearings (%ld) concern this child; change them first.", hearings);
	if (resource_count(ch->conn, &only_child_of_visits, id, &visits, err) != CW_OK)
		return err->code;
	if (visits > 0)
		return cw_fail(err, CW_CONFLICT, "Caseworker_child visits (%ld) have this child as their only child; "
			       "change them first.", visits);
	return CW_OK;
}

/* The child's latest live episode (whose dates the participant's are), and
 * how many live episodes the child has. */
static const struct db_statement latest_episode = {
	"participant_latest_episode",
	"SELECT (SELECT id FROM episodes WHERE participant_id = $1::uuid AND deleted_at IS NULL"
	"         ORDER BY removed_on DESC LIMIT 1),"
	"       (SELECT count(*) FROM episodes WHERE participant_id = $1::uuid AND deleted_at IS NULL)",
	1, 0};

/* A child's dates are the latest episode's: changing them changes that
 * episode (sql/016), with the rules of an episode's dates. Clearing them
 * deletes it, which these fields may do only to a child's one episode. */
static enum cw_code check_latest_episode(struct record_change *ch, struct cw_error *err)
{
	const char *id = record_text_member(ch->before, "id");
	const char *params[1] = {id};
	char latest[37] = "";
	long episodes;
	PGresult *res;

	if (cw_has_field_errors(err) || (!record_field_changed(ch->before, ch->after, "in_care_since") &&
					 !record_field_changed(ch->before, ch->after, "in_care_until")))
		return CW_OK;
	res = db_run(ch->conn, &latest_episode, params, err);
	if (res == NULL)
		return err->code;
	if (!PQgetisnull(res, 0, 0))
		snprintf(latest, sizeof(latest), "%s", PQgetvalue(res, 0, 0));
	episodes = strtol(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	if (record_text_member(ch->after, "in_care_since") == NULL && episodes > 1)
		cw_field_error(err, "in_care_since", "cannot be cleared while the child has earlier removal episodes; "
			       "delete the latest through /v1/episodes/{id}");
	return episodes_check_dates(ch->conn, id, latest[0] ? latest : NULL, ch->after, "in_care_since",
				    "in_care_until", err);
}

static enum cw_code check_participant(struct record_change *ch, struct cw_error *err)
{
	if (ch->before == NULL) {
		const char *case_id;
		enum cw_code rc = resource_lock_parent(ch, &case_id, err);

		if (rc != CW_OK)
			return rc;
	}
	check_participant_rules(ch->after, err);
	if (ch->before == NULL)
		return CW_OK;
	if (check_latest_episode(ch, err) != CW_OK)
		return err->code;
	return check_role_change(ch, err);
}

/* A participant that live goals, referrals, visits, hearings, meetings or
 * family-time plans name stays: deleting it would leave them pointing at
 * nobody. */
static const struct db_statement participant_named = {
	"participant_named",
	"SELECT (SELECT count(*) FROM goals g JOIN plans pl ON pl.id = g.plan_id"
	"         WHERE g.participant_id = $1::uuid AND g.deleted_at IS NULL AND pl.deleted_at IS NULL)"
	" + (SELECT count(*) FROM service_referrals WHERE participant_id = $1::uuid AND deleted_at IS NULL)"
	" + (SELECT count(*) FROM visit_participants vp JOIN visits v ON v.id = vp.visit_id"
	"    WHERE vp.participant_id = $1::uuid AND v.deleted_at IS NULL)"
	" + (SELECT count(*) FROM hearing_children WHERE participant_id = $1::uuid)"
	" + (SELECT count(*) FROM meeting_participants mp JOIN meetings m ON m.id = mp.meeting_id"
	"    WHERE mp.participant_id = $1::uuid AND m.deleted_at IS NULL)"
	" + (SELECT count(*) FROM family_time_plans WHERE child_id = $1::uuid AND deleted_at IS NULL)"
	" + (SELECT count(*) FROM family_time_plan_people fp JOIN family_time_plans f ON f.id = fp.plan_id"
	"    WHERE fp.participant_id = $1::uuid AND f.deleted_at IS NULL)", 1, 0};

const struct resource participant_resource = {
	.noun = "participant", .audit_type = "participant", .fields = participant_fields,
	.store = {.table = "participants", .alias = "p", .parent = &case_resource, .parent_column = "case_id"},
	.insert_columns = insert_columns, .update_columns = update_columns,
	.lists = {CURSOR_PARTICIPANTS, (const char *const[]){"role", NULL}, NULL, NULL},
	.rules = {.check = check_participant, .named_by = &participant_named,
		  .named_by_refusal = "Goals, referrals, visits, hearings, meetings or family-time plans (%ld) "
				      "name this participant: delete them, or change them to name someone else, "
				      "first."},
};

enum cw_code participants_check_in_case(struct db_conn *conn, const char *id, const char *case_id,
					const char *field, struct cw_error *err)
{
	return resource_check_reference(conn, &participant_in_case, id, case_id, field, "participant", err);
}

static const struct db_statement participant_roles = {
	"participant_roles",
	"SELECT id, role FROM participants WHERE case_id = $1 AND id = ANY($2::uuid[]) AND deleted_at IS NULL"
	" FOR SHARE", 2, 1};

enum cw_code participants_roles(struct db_conn *conn, const char *case_id, const json_t *ids, json_t **roles,
				struct cw_error *err)
{
	char *list = record_array_literal(ids);
	const char *params[2] = {case_id, list};
	PGresult *res = list ? db_run(conn, &participant_roles, params, err) : NULL;
	char id[37];

	free(list);
	*roles = NULL;
	if (res == NULL)
		return list ? err->code : cw_fail(err, CW_INTERNAL, "Out of memory.");
	*roles = json_object();
	for (int i = 0; *roles && i < PQntuples(res); i++) {
		rowjson_uuid(res, i, 0, id);
		json_object_set_new(*roles, id, json_stringn(PQgetvalue(res, i, 1), (size_t)PQgetlength(res, i, 1)));
	}
	PQclear(res);
	return *roles ? CW_OK : cw_fail(err, CW_INTERNAL, "Out of memory.");
}

enum cw_code participants_check_roles(struct db_conn *conn, const char *case_id, const json_t *ids,
				      const char *const *roles, const char *field, const char *what,
				      json_t **found_roles, struct cw_error *err)
{
	json_t *list = json_is_array(ids) ? json_incref((json_t *)ids) : json_pack("[O]", ids);
	json_t *found = NULL;
	const json_t *id;
	size_t i;
	enum cw_code rc = list ? participants_roles(conn, case_id, list, &found, err)
			       : cw_fail(err, CW_INTERNAL, "Out of memory.");

	if (rc == CW_OK) {
		json_array_foreach(list, i, id) {
			const char *role = json_string_value(json_object_get(found, json_string_value(id)));
			int allowed = roles == NULL;

			for (const char *const *r = roles; role && r && *r && !allowed; r++)
				allowed = strcmp(*r, role) == 0;
			if (role == NULL)
				cw_field_error(err, field, "%s is not a participant of this case", json_string_value(id));
			else if (!allowed)
				cw_field_error(err, field, "%s is not %s (role is %s)", json_string_value(id), what, role);
		}
	}
	if (found_roles)
		*found_roles = rc == CW_OK ? json_incref(found) : NULL;
	json_decref(found);
	json_decref(list);
	return rc;
}
