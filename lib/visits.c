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
	{"id", FT_UUID, F_READ_ONLY, 0, NULL, 0, 0},
	{"case_id", FT_UUID, F_READ_ONLY, 0, NULL, 0, 0},
	{"visited_at", FT_TIMESTAMP, F_REQUIRED, 0, NULL, 0, 0},
	{"visit_type", FT_ENUM, F_REQUIRED, 0, visit_types, 0, 0},
	{"location", FT_ENUM, F_REQUIRED, 0, locations, 0, 0},
	{"participant_ids", FT_UUID_LIST, F_REQUIRED, VISIT_MAX_PARTICIPANTS, NULL, 0, 0},
	{"duration_minutes", FT_INT, F_NULLABLE, 0, NULL, 1, 1440},
	{"summary", FT_TEXT, F_NULLABLE, 20000, NULL, 0, 0},
	{"safety_concern", FT_BOOL, 0, 0, NULL, 0, 0},
	{"version", FT_INT, F_READ_ONLY, 0, NULL, 0, 0},
	{"created_at", FT_TIMESTAMP, F_READ_ONLY, 0, NULL, 0, 0},
	{"updated_at", FT_TIMESTAMP, F_READ_ONLY, 0, NULL, 0, 0},
	{NULL, 0, 0, 0, NULL, 0, 0},
};

static const char *const insert_columns[] = {"case_id", "visited_at", "visit_type", "location", "participant_ids",
					     "duration_minutes", "summary", "safety_concern", NULL};
static const char *const update_columns[] = {"visited_at", "visit_type", "location", "participant_ids",
					     "duration_minutes", "summary", "safety_concern", NULL};

#define FIELDS "v.id, v.case_id, v.visited_at, v.visit_type, v.location," \
	" array_to_json(v.participant_ids) AS participant_ids, v.duration_minutes, v.summary, v.safety_concern," \
	" v.version, v.created_at, v.updated_at"
#define VISIBLE " JOIN cases c ON c.id = v.case_id" \
	" WHERE v.deleted_at IS NULL AND c.deleted_at IS NULL" \
	" AND cw_visible(c.assigned_worker, c.unit, $1, $2, $3)"
#define FILTERS \
	"   AND ($4::uuid IS NULL OR v.case_id = $4)" \
	"   AND ($5::text IS NULL OR v.visit_type = $5)" \
	"   AND ($6::timestamptz IS NULL OR v.visited_at >= $6)" \
	"   AND ($7::timestamptz IS NULL OR v.visited_at < $7)" \
	"   AND ($8::timestamptz IS NULL OR v.updated_at >= $8)"

static const struct db_statement get_visit = {
	"visit_get", "SELECT " FIELDS " FROM visits v" VISIBLE " AND v.id = $4", 4, 1};
static const struct db_statement lock_visit = {
	"visit_lock", "SELECT " FIELDS " FROM visits v" VISIBLE " AND v.id = $4 FOR UPDATE OF v", 4, 1};
static const struct db_statement insert_visit = {
	"visit_insert",
	"INSERT INTO visits AS v (case_id, visited_at, visit_type, location, participant_ids, duration_minutes,"
	" summary, safety_concern) VALUES ($1, $2, $3, $4, $5, $6, $7, coalesce($8::boolean, false))"
	" RETURNING " FIELDS, 8, 1};
static const struct db_statement update_visit = {
	"visit_update",
	"UPDATE visits v SET visited_at = $2, visit_type = $3, location = $4, participant_ids = $5,"
	" duration_minutes = $6, summary = $7, safety_concern = $8 WHERE v.id = $1 RETURNING " FIELDS, 8, 1};
static const struct db_statement delete_visit = {
	"visit_delete", "UPDATE visits SET deleted_at = now() WHERE id = $1", 1, 0};

/* One statement per order, so that each walks its own index. */
static const struct db_statement list_by_creation = {
	NULL,
	"SELECT " FIELDS " FROM visits v" VISIBLE FILTERS
	"   AND ($9::timestamptz IS NULL OR (v.created_at, v.id) > ($9, $10::uuid))"
	" ORDER BY v.created_at, v.id LIMIT $11",
	11, 1};
static const struct db_statement list_by_time = {
	NULL,
	"SELECT " FIELDS " FROM visits v" VISIBLE FILTERS
	"   AND ($9::timestamptz IS NULL OR (v.visited_at, v.id) > ($9, $10::uuid))"
	" ORDER BY v.visited_at, v.id LIMIT $11",
	11, 1};
static const struct db_statement list_by_time_desc = {
	NULL,
	"SELECT " FIELDS " FROM visits v" VISIBLE FILTERS
	"   AND ($9::timestamptz IS NULL OR (v.visited_at, v.id) < ($9, $10::uuid))"
	" ORDER BY v.visited_at DESC, v.id DESC LIMIT $11",
	11, 1};

/* visited_at as UTC text with microseconds (so that equal instants compare
 * equal), and participant_ids in canonical, sorted form. */
static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void normalise(json_t *visit)
{
	const char *at = record_text_member(visit, "visited_at");
	json_t *ids = json_object_get(visit, "participant_ids");
	size_t n = json_array_size(ids);
	char text[28], (*canonical)[37];
	const char **order;
	int64_t us;

	if (at && timestamp_parse(at, &us) == 0) {
		timestamp_format(us, text);
		json_object_set_new(visit, "visited_at", json_string(text));
	}
	canonical = n ? calloc(n, sizeof(*canonical)) : NULL;
	order = n ? calloc(n, sizeof(*order)) : NULL;
	if (canonical == NULL || order == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (uuid_parse(json_string_value(json_array_get(ids, i)), canonical[i]) != 0)
			goto out;
		order[i] = canonical[i];
	}
	qsort(order, n, sizeof(*order), compare_strings);
	json_array_clear(ids);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(ids, json_string(order[i]));
out:
	free(canonical);
	free(order);
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
	size_t i;
	const json_t *id;
	json_t *roles;
	enum cw_code rc = participants_roles(ch->conn, case_id, ids, &roles, err);

	if (rc != CW_OK)
		return rc;
	json_array_foreach(ids, i, id) {
		const char *role = json_string_value(json_object_get(roles, json_string_value(id)));

		if (role == NULL)
			cw_field_error(err, "participant_ids", "%s is not a participant of this case",
				       json_string_value(id));
		else if (strcmp(role, "child") == 0)
			child = 1;
	}
	if (!child && strcmp(record_text_member(ch->after, "visit_type"), "caseworker_child") == 0 &&
	    json_object_size(roles) == json_array_size(ids))
		cw_field_error(err, "participant_ids", "a caseworker_child visit includes at least one child");
	json_decref(roles);
	return CW_OK;
}

static enum cw_code check_visit(struct record_change *ch, struct cw_error *err)
{
	const char *case_id = ch->before ? record_text_member(ch->before, "case_id") : ch->parent_id;
	json_t *the_case;
	enum cw_code rc = cases_load_locked(ch->conn, ch->actor->principal, case_id, 0, &the_case, err);

	if (rc != CW_OK)
		return rc;
	json_decref(the_case);
	if (ch->before == NULL)
		json_object_set_new(ch->after, "case_id", json_string(case_id));
	normalise(ch->after);
	check_not_future(ch->after, err);
	if (ch->before == NULL || record_field_changed(ch->before, ch->after, "participant_ids") ||
	    record_field_changed(ch->before, ch->after, "visit_type"))
		rc = check_people(ch, case_id, err);
	return rc;
}

/* Writes take the case first (shared), as every write under a case does. */
static const struct db_statement lock_case_by_id = {
	"visit_lock_case_by_id", "SELECT 1 FROM cases WHERE id = $1::uuid FOR SHARE", 1, 0};
static const struct db_statement lock_case_of_record = {
	"visit_lock_case",
	"SELECT 1 FROM cases WHERE id = (SELECT case_id FROM visits WHERE id = $1::uuid) FOR SHARE", 1, 0};

static const struct db_statement visit_by_ids = {
	"visit_by_ids", "SELECT " FIELDS " FROM visits v WHERE v.id = ANY($1::uuid[])", 1, 1};

const struct resource visit_resource = {
	.noun = "visit",
	.audit_type = "visit",
	.fields = visit_fields,
	.insert_columns = insert_columns,
	.update_columns = update_columns,
	.get = &get_visit,
	.lock = &lock_visit,
	.insert = &insert_visit,
	.update = &update_visit,
	.remove = &delete_visit,
	.by_ids = &visit_by_ids,
	.lock_case_of_parent = &lock_case_by_id,
	.lock_case_of_record = &lock_case_of_record,
	.check = check_visit,
};

enum cursor_kind visits_cursor_kind(enum visit_order order)
{
	switch (order) {
	case VISITS_BY_TIME:
		return CURSOR_VISITS_BY_TIME;
	case VISITS_BY_TIME_DESC:
		return CURSOR_VISITS_BY_TIME_DESC;
	default:
		return CURSOR_VISITS;
	}
}

enum cw_code visits_list(struct db_pool *pool, const struct principal *p, const struct visit_filter *f,
			 int require_case, char **page, struct cw_error *err)
{
	static const struct db_statement *const statements[] = {&list_by_creation, &list_by_time,
								  &list_by_time_desc};
	struct access_scope s = access_scope_of(p);
	const char *params[11] = {s.see_all, s.worker, s.unit, f->case_id, f->visit_type, f->from, f->to,
				  f->updated_since, f->after_key, f->after_id, NULL /* LIMIT: paging sets it */};
	struct page_keys keys = {visits_cursor_kind(f->order),
				 f->order == VISITS_BY_CREATION ? "created_at" : "visited_at", "id", NULL, 0, 8};

	if (require_case && cases_check_visible(pool, p, f->case_id, err) != CW_OK)
		return err->code;
	return page_list(pool, statements[f->order], params, f->limit, &keys, page, NULL, err);
}
