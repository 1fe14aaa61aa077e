#include "cases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "dates.h"
#include "page.h"
#include "rowjson.h"
#include "rules.h"

static const char *const case_types[] = {"in_home", "out_of_home", NULL};
static const char *const case_statuses[] = {"open", "closed", NULL};
static const char *const permanency_goals[] = {"reunification", "live_with_relatives", "adoption",
					       "guardianship", "appla", "not_established", NULL};

const struct field_spec case_fields[] = {
	RECORD_ID_FIELD,
	RECORD_SIZED_FIELD("case_number", FT_STRING, F_REQUIRED, 64),
	RECORD_SIZED_FIELD("family_name", FT_STRING, F_REQUIRED, 200),
	RECORD_ENUM_FIELD("case_type", F_REQUIRED, case_types),
	RECORD_ENUM_FIELD("status", 0, case_statuses),
	RECORD_FIELD("opened_on", FT_DATE, 0),
	RECORD_FIELD("closed_on", FT_DATE, F_NULLABLE),
	RECORD_SIZED_FIELD("closure_reason", FT_TEXT, F_NULLABLE, 2000),
	RECORD_SIZED_FIELD("assigned_worker", FT_STRING, 0, PRINCIPAL_SUB_MAX),
	RECORD_SIZED_FIELD("unit", FT_STRING, F_NULLABLE, PRINCIPAL_UNIT_MAX),
	RECORD_ENUM_FIELD("permanency_goal", 0, permanency_goals),
	RECORD_FIELD("permanency_goal_since", FT_DATE, 0),
	RECORD_KEPT_FIELDS,
};

/* The stored columns, in the order of the INSERT and UPDATE parameters. */
static const char *const columns[] = {
	"case_number", "family_name", "case_type", "status", "opened_on", "closed_on",
	"closure_reason", "assigned_worker", "unit", "permanency_goal", "permanency_goal_since", NULL,
};

#define VISIBLE "c.deleted_at IS NULL AND cw_visible(c.assigned_worker, c.unit, $1, $2, $3)"

/* The API's fields of a case, in its order (lib/rowjson.c names them by column). */
#define CASE_FIELDS "c.id, c.case_number, c.family_name, c.case_type, c.status, c.opened_on," \
	" c.closed_on, c.closure_reason, c.assigned_worker, c.unit, c.permanency_goal," \
	" c.permanency_goal_since, c.version, c.created_at, c.updated_at"

static const struct db_statement get_case_by_number = {
	"case_get_by_number",
	"SELECT " CASE_FIELDS " FROM cases c WHERE c.case_number = $4 AND " VISIBLE, 4, 1};
static const struct db_statement find_case_by_number = {
	"case_find_by_number",
	"SELECT id FROM cases WHERE case_number = $1 AND deleted_at IS NULL FOR UPDATE", 1, 0};

/* The goals after $5, oldest first, $6 at most; the last column is the key. */
static const struct db_statement list_permanency_goals = {
	NULL,
	"SELECT g.permanency_goal, g.since, g.recorded_at, g.recorded_by, g.id"
	" FROM case_permanency_goals g JOIN cases c ON c.id = g.case_id"
	" WHERE g.case_id = $4 AND " VISIBLE " AND g.id > $5 ORDER BY g.id LIMIT $6",
	6, 1};

/* ---- reading ---------------------------------------------------------- */

int cases_is_closed(const json_t *c)
{
	const char *status = record_text_member(c, "status");

	return status != NULL && strcmp(status, "closed") == 0;
}

enum cw_code cases_permanency_goals(struct db_pool *pool, const struct principal *p, const char *id,
				    const struct history_position *pos, char **page, struct cw_error *err)
{
	struct page_keys keys = {CURSOR_PERMANENCY_GOALS, "id", NULL, id, 1, 4};
	struct access_scope s = access_scope_of(p);
	char after[24];
	const char *params[6] = {s.see_all, s.worker, s.unit, id, after, NULL /* LIMIT: paging sets it */};
	int count = 0;

	snprintf(after, sizeof(after), "%lld", (long long)pos->after);
	if (page_list(pool, &list_permanency_goals, params, pos->limit, &keys, page, &count, err) != CW_OK)
		return err->code;
	/* Every case has its first goal, and none is ever removed: no goal shown is no case seen. */
	if (count > 0)
		return CW_OK;
	free(*page);
	*page = NULL;
	return cw_fail(err, CW_NOT_FOUND, "No case with this id.");
}

/* ---- rules ------------------------------------------------------------ */

static void set_default(json_t *record, const char *field, json_t *value)
{
	if (json_object_get(record, field) == NULL)
		json_object_set_new(record, field, value);
	else
		json_decref(value);
}

static void apply_create_defaults(json_t *record, const struct principal *p)
{
	struct cw_date today = date_today();

	set_default(record, "status", json_string("open"));
	if (json_object_get(record, "opened_on") == NULL)
		record_set_date(record, "opened_on", &today);
	if (cases_is_closed(record) && json_object_get(record, "closed_on") == NULL)
		record_set_date(record, "closed_on", &today);
	set_default(record, "assigned_worker", json_string(p->sub));
	set_default(record, "unit", p->unit[0] ? json_string(p->unit) : json_null());
	set_default(record, "permanency_goal", json_string("not_established"));
	set_default(record, "permanency_goal_since", json_string(record_text_member(record, "opened_on")));
}

/* Consequences of a change the patch did not spell out. */
static void apply_update_defaults(json_t *merged, const json_t *current, const json_t *patch)
{
	struct cw_date today = date_today();

	if (record_field_changed(current, merged, "status")) {
		int closing = cases_is_closed(merged);

		if (closing && json_object_get(patch, "closed_on") == NULL)
			record_set_date(merged, "closed_on", &today);
		if (!closing && json_object_get(patch, "closed_on") == NULL)
			json_object_set_new(merged, "closed_on", json_null());
		if (!closing && json_object_get(patch, "closure_reason") == NULL)
			json_object_set_new(merged, "closure_reason", json_null());
	}
	if (record_field_changed(current, merged, "permanency_goal") &&
	    json_object_get(patch, "permanency_goal_since") == NULL)
		record_set_date(merged, "permanency_goal_since", &today);
}

/* Rules across fields of a complete record (every single field already
 * valid). input is what the client sent: a default derived from another field
 * is not reported twice. */
static void check_case_rules(const json_t *record, const json_t *input, struct cw_error *err)
{
	struct cw_date closed;
	int closed_status = cases_is_closed(record);
	int has_closed_on = record_date(record, "closed_on", &closed) == 0;

	rule_not_future(record, "opened_on", err);
	rule_not_future(record, "closed_on", err);
	if (json_object_get(input, "permanency_goal_since") != NULL)
		rule_not_future(record, "permanency_goal_since", err);
	if (closed_status && !has_closed_on)
		cw_field_error(err, "closed_on", "is required when status is closed");
	if (!closed_status && has_closed_on)
		cw_field_error(err, "closed_on", "must be null while the case is open");
	if (!closed_status && record_text_member(record, "closure_reason") != NULL)
		cw_field_error(err, "closure_reason", "must be null while the case is open");
	rule_not_before(record, "closed_on", "opened_on", err);
}

static int same_text(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static struct access_target target_of(const json_t *c)
{
	return (struct access_target){record_text_member(c, "assigned_worker"), record_text_member(c, "unit"), 0};
}

/* Why no single role of p may do actions on the case: the first action no
 * role may do at all, or else that none of those that may sees the case. */
static enum cw_code refuse(const struct principal *p, unsigned actions, int creating, struct cw_error *err)
{
	if ((actions & ACCESS_REASSIGN) && !access_may(p, ACCESS_WRITE | ACCESS_REASSIGN))
		return cw_fail(err, CW_FORBIDDEN, creating ? "Caseworkers create cases assigned to themselves."
			       : "Only supervisors, administrators and integrations reassign cases.");
	if ((actions & ACCESS_MOVE_UNIT) && !access_may(p, ACCESS_WRITE | ACCESS_MOVE_UNIT))
		return cw_fail(err, CW_FORBIDDEN, creating ? "Your role creates cases in your own unit only."
			       : "Only administrators and integrations move a case to another unit.");
	if ((actions & ACCESS_RENUMBER) && !access_may(p, ACCESS_WRITE | ACCESS_RENUMBER))
		return cw_fail(err, CW_FORBIDDEN, "Only administrators and integrations change a case's case_number: "
			       "it is the state system's identifier.");
	if (creating && access_may(p, actions))
		return cw_fail(err, CW_FORBIDDEN, "You could not see this case after creating it; "
			       "assign it to yourself or to your unit.");
	return cw_fail(err, CW_FORBIDDEN, "No one of your roles may make all of this change and see the case "
		       "before and after it.");
}

/* Creating a case assigned to someone else reassigns it, and one in another
 * unit than the caller's moves it; the role that does both must see it. */
static enum cw_code check_create_rights(const json_t *record, const struct principal *p, unsigned actions,
					struct cw_error *err)
{
	struct access_target after = target_of(record);

	if (strcmp(after.worker, p->sub) != 0)
		actions |= ACCESS_REASSIGN;
	if (!same_text(after.unit, p->unit[0] ? p->unit : NULL))
		actions |= ACCESS_MOVE_UNIT;
	return access_allows(p, actions, NULL, &after) ? CW_OK : refuse(p, actions, 1, err);
}

static enum cw_code check_update_rights(const json_t *current, const json_t *merged, const struct principal *p,
					unsigned actions, struct cw_error *err)
{
	struct access_target before = target_of(current), after = target_of(merged);

	if (record_field_changed(current, merged, "assigned_worker"))
		actions |= ACCESS_REASSIGN;
	if (record_field_changed(current, merged, "unit"))
		actions |= ACCESS_MOVE_UNIT;
	if (record_field_changed(current, merged, "case_number"))
		actions |= ACCESS_RENUMBER;
	return access_allows(p, actions, &before, &after) ? CW_OK : refuse(p, actions, 0, err);
}

/* Defaults, rules and role rules of a new or changed case. */
static enum cw_code check_case(struct record_change *ch, struct cw_error *err)
{
	const struct principal *p = ch->actor->principal;

	if (ch->before == NULL)
		apply_create_defaults(ch->after, p);
	else
		apply_update_defaults(ch->after, ch->before, ch->input);
	check_case_rules(ch->after, ch->input, err);
	if (cw_has_field_errors(err))
		return CW_INVALID;
	return ch->before ? check_update_rights(ch->before, ch->after, p, ch->actions, err)
			  : check_create_rights(ch->after, p, ch->actions, err);
}

static const char *const case_conflicts[] = {
	"cases_case_number_key", "Another case already has this case_number.", NULL};

/*
 * ?q= (lib/resource.h): a case is found by its number, when q begins it (a
 * perfect match: at most CASE_SEARCH_NUMBERS_MAX cases, the first by number
 * within the caller's scope, so that cases elsewhere in the state never crowd
 * out the caller's own), or by a name, the family's or a participant's, that q
 * is like (pg_trgm word similarity, at least the session's
 * word_similarity_threshold: lib/db.c), compared lower-cased and without
 * accents (cw_search_text, sql/019). Names are read from case_search_terms,
 * which holds each beside its case's unit and worker, within the caller's
 * scope: the GIN indexes that hold the unit or the worker beside the
 * trigrams then read only the names of cases the caller may see (with the
 * scope known, only the arms that apply remain). q's LIKE wildcards stand for
 * themselves.
 */
#define CASE_SEARCH_NUMBERS_MAX "1000"
/* Within the caller's scope: every case ($1), a caseload ($2), a unit ($3). */
#define SCOPE(worker, unit) \
	" AND ($1::boolean OR ($2::text IS NOT NULL AND " worker " = $2)" \
	" OR ($3::text IS NOT NULL AND " unit " = $3))"

static const struct list_search case_search = {
	"(SELECT n.id, 1::real AS score FROM cases n"
	" WHERE cw_search_text(n.case_number) LIKE"
	" replace(replace(replace(cw_search_text($4), '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'"
	" AND n.deleted_at IS NULL" SCOPE("n.assigned_worker", "n.unit")
	" ORDER BY cw_search_text(n.case_number) LIMIT " CASE_SEARCH_NUMBERS_MAX ")"
	" UNION ALL"
	" SELECT t.case_id, word_similarity(cw_search_text($4), t.term) FROM case_search_terms t"
	" WHERE cw_search_text($4) <% t.term" SCOPE("t.assigned_worker", "t.unit"),
	CURSOR_CASE_SEARCH};

const struct resource case_resource = {
	.noun = "case", .audit_type = "case", .fields = case_fields,
	.store = {.table = "cases", .alias = "c"},
	.insert_columns = columns, .update_columns = columns,
	.lists = {CURSOR_CASES, (const char *const[]){"status", "assigned_worker", "unit", NULL}, NULL, NULL},
	.search = &case_search,
	.rules = {.check = check_case, .conflicts = case_conflicts},
};

enum cw_code cases_get_by_number(struct db_pool *pool, const struct principal *p, const char *number,
				 struct record_text *out, struct cw_error *err)
{
	return resource_get_by(pool, &case_resource, &get_case_by_number, p, number, out, err);
}

enum cw_code cases_put_by_number(struct db_pool *pool, const struct actor *actor, const char *number,
				 const json_t *body, const struct precondition *pre, struct record_text *out,
				 int *created, struct cw_error *err)
{
	const json_t *given = json_object_get(body, "case_number");
	json_t *record;
	enum cw_code rc;

	if (given && !(json_is_string(given) && strcmp(json_string_value(given), number) == 0))
		cw_field_error(err, "case_number", "must be the number in the path, or left out");
	record = json_deep_copy(body);
	if (record == NULL)
		return cw_fail(err, CW_INTERNAL, "Out of memory.");
	json_object_set_new(record, "case_number", json_string(number));
	rc = resource_put(pool, &case_resource, actor, ACCESS_UPSERT, &find_case_by_number, number, record, pre, out,
			  created, err);
	json_decref(record);
	return rc;
}
