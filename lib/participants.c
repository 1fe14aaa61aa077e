#include "participants.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "cases.h"
#include "page.h"
#include "rowjson.h"

static const char *const roles[] = {"child", "parent", "caregiver", "relative", "foster_parent", "other", NULL};

const struct field_spec participant_fields[] = {
	{"id", FT_UUID, F_READ_ONLY, 0, NULL, 0, 0},
	{"case_id", FT_UUID, F_READ_ONLY, 0, NULL, 0, 0},
	{"first_name", FT_STRING, F_REQUIRED, 100, NULL, 0, 0},
	{"last_name", FT_STRING, F_REQUIRED, 100, NULL, 0, 0},
	{"role", FT_ENUM, F_REQUIRED, 0, roles, 0, 0},
	{"date_of_birth", FT_DATE, F_NULLABLE, 0, NULL, 0, 0},
	{"in_care_since", FT_DATE, F_NULLABLE, 0, NULL, 0, 0},
	{"in_care_until", FT_DATE, F_NULLABLE, 0, NULL, 0, 0},
	{"version", FT_INT, F_READ_ONLY, 0, NULL, 0, 0},
	{"created_at", FT_TIMESTAMP, F_READ_ONLY, 0, NULL, 0, 0},
	{"updated_at", FT_TIMESTAMP, F_READ_ONLY, 0, NULL, 0, 0},
	{NULL, 0, 0, 0, NULL, 0, 0},
};

static const char *const insert_columns[] = {
	"case_id", "first_name", "last_name", "role", "date_of_birth", "in_care_since", "in_care_until", NULL};
static const char *const update_columns[] = {
	"first_name", "last_name", "role", "date_of_birth", "in_care_since", "in_care_until", NULL};

#define FIELDS "p.id, p.case_id, p.first_name, p.last_name, p.role, p.date_of_birth, p.in_care_since," \
	" p.in_care_until, p.version, p.created_at, p.updated_at"
#define VISIBLE_THROUGH_CASE " JOIN cases c ON c.id = p.case_id" \
	" WHERE p.deleted_at IS NULL AND c.deleted_at IS NULL" \
	" AND cw_visible(c.assigned_worker, c.unit, $1, $2, $3)"

static const struct db_statement get_participant = {
	"participant_get", "SELECT " FIELDS " FROM participants p" VISIBLE_THROUGH_CASE " AND p.id = $4", 4, 1};
static const struct db_statement lock_participant = {
	"participant_lock",
	"SELECT " FIELDS " FROM participants p" VISIBLE_THROUGH_CASE " AND p.id = $4 FOR UPDATE OF p", 4, 1};
static const struct db_statement insert_participant = {
	"participant_insert",
	"INSERT INTO participants AS p (case_id, first_name, last_name, role, date_of_birth, in_care_since,"
	" in_care_until) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING " FIELDS, 7, 1};
static const struct db_statement update_participant = {
	"participant_update",
	"UPDATE participants p SET first_name = $2, last_name = $3, role = $4, date_of_birth = $5,"
	" in_care_since = $6, in_care_until = $7 WHERE p.id = $1 RETURNING " FIELDS, 7, 1};
static const struct db_statement delete_participant = {
	"participant_delete", "UPDATE participants SET deleted_at = now() WHERE id = $1", 1, 0};
static const struct db_statement list_participants = {
	NULL,
	"SELECT " FIELDS " FROM participants p" VISIBLE_THROUGH_CASE
	"   AND ($4::uuid IS NULL OR p.case_id = $4)"
	"   AND ($5::text IS NULL OR p.role = $5)"
	"   AND ($6::timestamptz IS NULL OR p.updated_at >= $6)"
	"   AND ($7::timestamptz IS NULL OR (p.created_at, p.id) > ($7, $8::uuid))"
	" ORDER BY p.created_at, p.id LIMIT $9",
	9, 1};
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
 * otherwise those visits would be with no child at all. */
static enum cw_code check_role_change(struct record_change *ch, struct cw_error *err)
{
	const char *params[1] = {record_text_member(ch->before, "id")};
	PGresult *res;
	long visits;

	if (strcmp(record_text_member(ch->before, "role"), "child") != 0 ||
	    !record_field_changed(ch->before, ch->after, "role"))
		return CW_OK;
	res = db_run(ch->conn, &only_child_of_visits, params, err);
	if (res == NULL)
		return err->code;
	visits = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	if (visits > 0)
		return cw_fail(err, CW_CONFLICT, "Caseworker_child visits (%ld) have this child as their only child; "
			       "change them first.", visits);
	return CW_OK;
}

static enum cw_code check_participant(struct record_change *ch, struct cw_error *err)
{
	if (ch->before == NULL) {
		json_t *parent;
		enum cw_code rc = cases_load_locked(ch->conn, ch->actor->principal, ch->parent_id, 0, &parent, err);

		if (rc != CW_OK)
			return rc;
		json_decref(parent);
		json_object_set_new(ch->after, "case_id", json_string(ch->parent_id));
	}
	check_participant_rules(ch->after, err);
	return ch->before ? check_role_change(ch, err) : CW_OK;
}

static const struct db_statement participant_named = {
	"participant_named",
	"SELECT (SELECT count(*) FROM goals g JOIN plans pl ON pl.id = g.plan_id"
	"         WHERE g.participant_id = $1::uuid AND g.deleted_at IS NULL AND pl.deleted_at IS NULL)"
	" + (SELECT count(*) FROM service_referrals WHERE participant_id = $1::uuid AND deleted_at IS NULL)"
	" + (SELECT count(*) FROM visit_participants vp JOIN visits v ON v.id = vp.visit_id"
	"    WHERE vp.participant_id = $1::uuid AND v.deleted_at IS NULL)", 1, 0};

/* A participant that live goals, referrals or visits name stays: deleting it
 * would leave them pointing at nobody. */
static enum cw_code check_participant_delete(struct record_change *ch, struct cw_error *err)
{
	const char *params[1] = {record_text_member(ch->before, "id")};
	PGresult *res = db_run(ch->conn, &participant_named, params, err);
	long named;

	if (res == NULL)
		return err->code;
	named = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	if (named > 0)
		return cw_fail(err, CW_CONFLICT, "Goals, referrals or visits (%ld) name this participant: "
			       "delete them, or change them to name someone else, first.", named);
	return CW_OK;
}

/* Writes take the case first (shared), as every write under a case does. */
static const struct db_statement lock_case_by_id = {
	"participant_lock_case_by_id", "SELECT 1 FROM cases WHERE id = $1::uuid FOR SHARE", 1, 0};
static const struct db_statement lock_case_of_record = {
	"participant_lock_case",
	"SELECT 1 FROM cases WHERE id = (SELECT case_id FROM participants WHERE id = $1::uuid) FOR SHARE", 1, 0};

static const struct db_statement participant_by_ids = {
	"participant_by_ids", "SELECT " FIELDS " FROM participants p WHERE p.id = ANY($1::uuid[])", 1, 1};

const struct resource participant_resource = {
	.noun = "participant",
	.audit_type = "participant",
	.fields = participant_fields,
	.insert_columns = insert_columns,
	.update_columns = update_columns,
	.get = &get_participant,
	.lock = &lock_participant,
	.insert = &insert_participant,
	.update = &update_participant,
	.remove = &delete_participant,
	.by_ids = &participant_by_ids,
	.lock_case_of_parent = &lock_case_by_id,
	.lock_case_of_record = &lock_case_of_record,
	.check = check_participant,
	.check_delete = check_participant_delete,
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

enum cw_code participants_list(struct db_pool *pool, const struct principal *p,
			       const struct participant_filter *f, int require_case, char **page,
			       struct cw_error *err)
{
	static const struct page_keys keys = {CURSOR_PARTICIPANTS, "created_at", "id", NULL, 0, 6};
	struct access_scope s = access_scope_of(p);
	const char *params[9] = {s.see_all, s.worker, s.unit, f->case_id, f->role, f->updated_since,
				 f->after_created, f->after_id, NULL /* LIMIT: paging sets it */};

	if (require_case && cases_check_visible(pool, p, f->case_id, err) != CW_OK)
		return err->code;
	return page_list(pool, &list_participants, params, f->limit, &keys, page, NULL, err);
}
