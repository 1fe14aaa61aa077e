#include "reports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "dates.h"
#include "referrals.h"
#include "rowjson.h"
#include "strbuf.h"
#include "text.h"
#include "validate.h"


/*
 * The visit measure in one statement: the months of the range; each visible
 * child's days in care, the union of their removal episodes that reach into
 * the range (range_agg joins back-to-back episodes into one span: an episode
 * to the 10th and the next from the 11th leave no gap), as spans [since,
 * until) (until NULL: still in care); the child's full months in care (the
 * whole month inside one span; a span is compared as two dates, cheaper
 * than a range containment per child and month); the qualifying visits
 * (caseworker_child, not virtual, the child among the participants) counted
 * per child and UTC month; then per month, and overall from one row per
 * child. Each (child, month) pair occurs once in child_months, so plain
 * counts are exact and no DISTINCT is needed.
 * Columns: overall (0 per month, 1 for the whole range), month, children,
 * full_months_in_care, months_with_visit, children_visited_every_month,
 * visits, visits_in_residence.
 */
static const struct db_statement visit_compliance = {
	NULL,
	"WITH months AS ("
	"    SELECT m::date AS first_day, (m + interval '1 month')::date AS next_first"
	"      FROM generate_series($4::date, $5::date, interval '1 month') AS m"
	"), children AS ("
	"    SELECT e.participant_id AS id, range_agg(cw_episode_days(e.removed_on, e.discharged_on)) AS care"
	"      FROM episodes e JOIN cases c ON c.id = e.case_id JOIN participants p ON p.id = e.participant_id"
	"     WHERE e.deleted_at IS NULL AND p.deleted_at IS NULL AND c.deleted_at IS NULL"
	"       AND e.removed_on < ($5::date + interval '1 month')::date"
	"       AND (e.discharged_on IS NULL OR e.discharged_on >= $4::date)"
	"       AND cw_visible(c.assigned_worker, c.unit, $1, $2, $3)"
	"       AND ($6::text IS NULL OR c.unit = $6)"
	"     GROUP BY e.participant_id"
	"), spans AS ("
	"    SELECT ch.id, lower(r) AS since, upper(r) AS until FROM children ch, unnest(ch.care) AS r"
	"), pairs AS ("
	"    SELECT s.id AS child_id, m.first_day FROM spans s JOIN months m"
	"        ON s.since <= m.first_day AND (s.until IS NULL OR s.until >= m.next_first)"
	"), seen AS ("
	"    SELECT ch.id AS child_id,"
	"           date_trunc('month', v.visited_at AT TIME ZONE 'UTC')::date AS first_day,"
	"           count(*) AS visits, count(*) FILTER (WHERE v.location = 'child_residence') AS in_residence"
	"      FROM children ch"
	"      JOIN visit_participants vp ON vp.participant_id = ch.id"
	"      JOIN visits v ON v.id = vp.visit_id"
	"     WHERE v.deleted_at IS NULL AND v.visit_type = 'caseworker_child' AND v.location <> 'virtual'"
	"       AND v.visited_at >= $4::date::timestamp AT TIME ZONE 'UTC'"
	"       AND v.visited_at < ($5::date + interval '1 month')::timestamp AT TIME ZONE 'UTC'"
	"     GROUP BY 1, 2"
	"), child_months AS ("
	"    SELECT pr.child_id, pr.first_day, coalesce(s.visits, 0) AS visits,"
	"           coalesce(s.in_residence, 0) AS in_residence"
	"      FROM pairs pr LEFT JOIN seen s USING (child_id, first_day)"
	"), per_child AS ("
	"    SELECT count(*) AS months, count(*) FILTER (WHERE visits > 0) AS with_visit,"
	"           sum(visits) AS visits, sum(in_residence) AS in_residence"
	"      FROM child_months GROUP BY child_id"
	")"
	" SELECT 0 AS overall, to_char(m.first_day, 'YYYY-MM') AS month,"
	"        count(cm.child_id), count(cm.child_id),"
	"        count(cm.child_id) FILTER (WHERE cm.visits > 0),"
	"        count(cm.child_id) FILTER (WHERE cm.visits > 0),"
	"        coalesce(sum(cm.visits), 0)::bigint, coalesce(sum(cm.in_residence), 0)::bigint"
	"   FROM months m LEFT JOIN child_months cm ON cm.first_day = m.first_day"
	"  GROUP BY m.first_day"
	" UNION ALL"
	" SELECT 1, NULL, count(*), coalesce(sum(months), 0)::bigint, coalesce(sum(with_visit), 0)::bigint,"
	"        count(*) FILTER (WHERE with_visit = months),"
	"        coalesce(sum(visits), 0)::bigint, coalesce(sum(in_residence), 0)::bigint"
	"   FROM per_child"
	" ORDER BY 1, 2",
	6, 0};

static const struct db_statement plan_reviews = {
	NULL,
	"SELECT pl.id AS plan_id, pl.case_id, c.case_number, c.assigned_worker, c.unit, pl.review_due_on,"
	"       (pl.review_due_on - $4::date) AS days_left"
	"  FROM plans pl JOIN cases c ON c.id = pl.case_id"
	" WHERE pl.status = 'active' AND pl.deleted_at IS NULL AND c.deleted_at IS NULL"
	"   AND cw_visible(c.assigned_worker, c.unit, $1, $2, $3)"
	"   AND pl.review_due_on <= $4::date + $5::integer"
	"   AND ($6::text IS NULL OR c.unit = $6)"
	"   AND ($7::date IS NULL OR (pl.review_due_on, c.case_number, pl.id) > ($7::date, $8::text, $9::uuid))"
	" ORDER BY pl.review_due_on, c.case_number, pl.id LIMIT $10",
	10, 1};

/*
 * Placement stability in one statement: the visible episodes that reach into
 * [$4, $5], each with its days in the range (a child's episodes never
 * overlap, so their sum is the child's days in care); the placements of those
 * episodes that start in the range with the one before each in its episode
 * (lag over the episode's placements by start: two never start on one day);
 * a move is such a placement with one before it, neither of them a trial home
 * visit or a runaway. One row for the whole range (overall = 1), then a page
 * of children by (case_number, child), after $7/$8, at most $9. Columns:
 * overall, participant_id, case_id, case_number, assigned_worker, children,
 * days_in_care, moves.
 */
static const struct db_statement placement_stability = {
	NULL,
	"WITH eps AS ("
	"    SELECT e.id, e.participant_id, e.case_id, c.case_number, c.assigned_worker,"
	"           cw_episode_days(e.removed_on, e.discharged_on) * daterange($4::date, $5::date, '[]') AS days"
	"      FROM episodes e JOIN cases c ON c.id = e.case_id JOIN participants p ON p.id = e.participant_id"
	"     WHERE e.deleted_at IS NULL AND p.deleted_at IS NULL AND c.deleted_at IS NULL"
	"       AND e.removed_on <= $5::date AND (e.discharged_on IS NULL OR e.discharged_on >= $4::date)"
	"       AND cw_visible(c.assigned_worker, c.unit, $1, $2, $3)"
	"       AND ($6::text IS NULL OR c.unit = $6)"
	"), moved AS ("
	"    SELECT pl.participant_id, count(*) AS moves FROM ("
	"        SELECT pl.participant_id, pl.started_on, pl.setting,"
	"               lag(pl.setting) OVER (PARTITION BY pl.episode_id ORDER BY pl.started_on) AS before"
	"          FROM placements pl JOIN eps ON eps.id = pl.episode_id"
	"         WHERE pl.deleted_at IS NULL AND pl.started_on <= $5::date) pl"
	"     WHERE pl.started_on >= $4::date"
	"       AND pl.setting NOT IN ('trial_home_visit', 'runaway')"
	"       AND pl.before NOT IN ('trial_home_visit', 'runaway')"
	"     GROUP BY pl.participant_id"
	"), per_child AS ("
	"    SELECT eps.participant_id, eps.case_id, eps.case_number, eps.assigned_worker,"
	"           sum(upper(eps.days) - lower(eps.days))::bigint AS days_in_care,"
	"           coalesce(max(m.moves), 0)::bigint AS moves"
	"      FROM eps LEFT JOIN moved m USING (participant_id)"
	"     GROUP BY 1, 2, 3, 4"
	")"
	" SELECT * FROM ("
	"   SELECT 1 AS overall, NULL::uuid AS participant_id, NULL::uuid AS case_id, NULL::text AS case_number,"
	"          NULL::text AS assigned_worker, count(*) AS children,"
	"          coalesce(sum(days_in_care), 0)::bigint AS days_in_care, coalesce(sum(moves), 0)::bigint AS moves"
	"     FROM per_child"
	"   UNION ALL"
	"   (SELECT 0, participant_id, case_id, case_number, assigned_worker, 1, days_in_care, moves FROM per_child"
	"     WHERE $7::text IS NULL OR (case_number, participant_id) > ($7::text, $8::uuid)"
	"     ORDER BY case_number, participant_id LIMIT $9)"
	" ) r ORDER BY overall DESC, case_number, participant_id",
	9, 0};

static const struct db_statement referral_outcomes = {
	NULL,
	"SELECT r.service_type, r.status, count(*)"
	"  FROM service_referrals r JOIN cases c ON c.id = r.case_id"
	" WHERE r.deleted_at IS NULL AND c.deleted_at IS NULL"
	"   AND cw_visible(c.assigned_worker, c.unit, $1, $2, $3)"
	"   AND cw_sees_sud(r.service_type = '" REFERRAL_PROTECTED_TYPE "', c.assigned_worker, c.unit, $4, $2, $3)"
	"   AND r.referred_on BETWEEN $5::date AND $6::date"
	" GROUP BY 1, 2",
	6, 0};

/* numerator / denominator in units of 1 / parts, rounded half up, in
 * integers: the figure is derived, the counts are exact. JSON null when the
 * denominator is 0. */
static json_t *rounded_ratio(long long numerator, long long denominator, long long parts)
{
	long long units;

	if (denominator <= 0)
		return json_null();
	units = (numerator * parts * 2 + denominator) / (2 * denominator);
	return json_real((double)units / (double)parts);
}

json_t *report_rate(long long numerator, long long denominator)
{
	return rounded_ratio(numerator, denominator, 10000);
}

json_t *report_per_thousand(long long count, long long days)
{
	return rounded_ratio(count * 1000, days, 100);
}

enum cw_code report_refusal(struct cw_error *err)
{
	if (err->code == CW_BUSY)
		cw_fail(err, CW_BUSY, "As many reports as this service runs at once are running; "
			"try again in a few seconds.");
	else if (strcmp(err->sqlstate, "57014") == 0)
		cw_fail(err, CW_UNAVAILABLE, "The report ran longer than this service allows; "
			"ask for a shorter range, or for one unit.");
	return err->code;
}

PGresult *report_query(struct db_pool *pool, const struct db_statement *stmt, const char *const *params,
		       struct cw_error *err)
{
	PGresult *res = db_query(pool, stmt, params, err);

	if (res == NULL)
		report_refusal(err);
	return res;
}

static long long count_at(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* One row of the visit measure (a month, or the whole range) as JSON. */
static json_t *compliance_row(const PGresult *res, int row)
{
	long long full = count_at(res, row, 3), with_visit = count_at(res, row, 4);
	long long visits = count_at(res, row, 6), in_residence = count_at(res, row, 7);
	json_t *r = json_object();

	if (!PQgetisnull(res, row, 1))
		json_object_set_new(r, "month", json_string(PQgetvalue(res, row, 1)));
	json_object_set_new(r, "children", json_integer(count_at(res, row, 2)));
	json_object_set_new(r, "full_months_in_care", json_integer(full));
	json_object_set_new(r, "months_with_visit", json_integer(with_visit));
	json_object_set_new(r, "visit_rate", report_rate(with_visit, full));
	json_object_set_new(r, "children_visited_every_month", json_integer(count_at(res, row, 5)));
	json_object_set_new(r, "visits", json_integer(visits));
	json_object_set_new(r, "visits_in_residence", json_integer(in_residence));
	json_object_set_new(r, "residence_rate", report_rate(in_residence, visits));
	json_object_set_new(r, "meets_visit_target", full > 0 ? json_boolean(with_visit * 100 >= full *
									       REPORT_VISIT_TARGET_PERCENT)
							      : json_null());
	json_object_set_new(r, "meets_residence_target",
			    visits > 0 ? json_boolean(in_residence * 100 >= visits * REPORT_RESIDENCE_TARGET_PERCENT)
				       : json_null());
	return r;
}

enum cw_code reports_visit_compliance(struct db_pool *pool, const struct principal *p, const char *from,
				      const char *to, const char *unit, json_t **out, struct cw_error *err)
{
	struct access_scope s = access_scope_of(p);
	const char *params[6] = {s.see_all, s.worker, s.unit, from, to, unit};
	PGresult *res = report_query(pool, &visit_compliance, params, err);
	json_t *report, *months;
	int rows;

	if (res == NULL)
		return err->code;
	rows = PQntuples(res);
	report = json_pack("{s:s%, s:s%, s:s?, s:{s:f, s:f}}", "from", from, (size_t)7, "to", to, (size_t)7,
			   "unit", unit, "targets", "visit_rate", REPORT_VISIT_TARGET_PERCENT / 100.0,
			   "residence_rate", REPORT_RESIDENCE_TARGET_PERCENT / 100.0);
	months = json_array();
	for (int i = 0; i + 1 < rows; i++)
		json_array_append_new(months, compliance_row(res, i));
	if (rows > 0) {
		json_t *overall = compliance_row(res, rows - 1);

		json_object_update(report, overall);
		json_decref(overall);
	}
	PQclear(res);
	json_object_set_new(report, "months", months);
	*out = report;
	return CW_OK;
}

/* The report's cursor: the due date in days, the plan, and its case's number. */
static json_t *plan_review_cursor(const json_t *item)
{
	const char *number = json_string_value(json_object_get(item, "case_number"));
	const char *plan = json_string_value(json_object_get(item, "plan_id"));
	const char *due = json_string_value(json_object_get(item, "review_due_on"));
	struct cw_date d;

	if (number == NULL || plan == NULL || due == NULL || date_parse(due, &d) != 0)
		return json_null();
	return cursor_text_json(CURSOR_PLAN_REVIEWS, date_to_days(&d), plan, number);
}

int reports_plan_review_cursor_read(const char *text, struct plan_review_position *pos)
{
	struct cw_date d;
	int64_t days;

	if (cursor_decode_text(text, CURSOR_PLAN_REVIEWS, &days, pos->after_plan, pos->after_number) != 0 ||
	    days < -100000 || days > 100000)
		return -1;
	d = date_from_days(days);
	date_format(&d, pos->after_due);
	pos->after = 1;
	return 0;
}

/* The first limit rows of res as a JSON array. */
static json_t *rows_as_json(const PGresult *res, int limit)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *items;

	strbuf_addch(&sb, '[');
	for (int i = 0; i < PQntuples(res) && i < limit; i++) {
		if (i > 0)
			strbuf_addch(&sb, ',');
		rowjson_append(&sb, res, i);
	}
	strbuf_addch(&sb, ']');
	items = sb.failed ? NULL : json_loads(sb.buf, 0, NULL);
	strbuf_release(&sb);
	return items;
}

enum cw_code reports_plan_reviews(struct db_pool *pool, const struct principal *p, const char *today,
				  int due_within_days, const char *unit, const struct plan_review_position *pos,
				  json_t **out, struct cw_error *err)
{
	struct access_scope s = access_scope_of(p);
	char days[16], limit[16];
	const char *params[10] = {s.see_all, s.worker, s.unit, today, days, unit,
				  pos->after ? pos->after_due : NULL, pos->after ? pos->after_number : NULL,
				  pos->after ? pos->after_plan : NULL, limit};
	PGresult *res;
	json_t *items, *next;

	snprintf(days, sizeof(days), "%d", due_within_days);
	snprintf(limit, sizeof(limit), "%d", pos->limit + 1);
	res = report_query(pool, &plan_reviews, params, err);
	if (res == NULL)
		return err->code;
	items = rows_as_json(res, pos->limit);
	next = items && PQntuples(res) > pos->limit ? plan_review_cursor(json_array_get(items, pos->limit - 1))
						     : json_null();
	PQclear(res);
	if (items == NULL)
		return cw_fail(err, CW_INTERNAL, "Out of memory.");
	*out = json_pack("{s:s, s:i, s:s?, s:o, s:o}", "as_of", today, "due_within_days", due_within_days, "unit",
			 unit, "items", items, "next_cursor", next);
	return *out ? CW_OK : cw_fail(err, CW_INTERNAL, "Out of memory.");
}

/* The children of the report's page follow the last one shown, by case
 * number, then child. */
static json_t *stability_cursor(const char *number, const char *child)
{
	return cursor_text_json(CURSOR_PLACEMENT_STABILITY, 0, child, number);
}

int reports_stability_cursor_read(const char *text, struct stability_position *pos)
{
	int64_t key;

	if (cursor_decode_text(text, CURSOR_PLACEMENT_STABILITY, &key, pos->after_child, pos->after_number) != 0 ||
	    key != 0)
		return -1;
	pos->after = 1;
	return 0;
}

/* The stability figures of a row: the whole range's, or one child's. */
static void stability_figures(json_t *into, const PGresult *res, int row, int with_children)
{
	long long days = count_at(res, row, 6), moves = count_at(res, row, 7);

	if (with_children)
		json_object_set_new(into, "children", json_integer(count_at(res, row, 5)));
	json_object_set_new(into, "days_in_care", json_integer(days));
	json_object_set_new(into, "moves", json_integer(moves));
	json_object_set_new(into, "moves_per_1000_days", report_per_thousand(moves, days));
}

static json_t *stability_child(const PGresult *res, int row)
{
	json_t *child = json_pack("{s:s, s:s, s:s, s:s}", "participant_id", PQgetvalue(res, row, 1), "case_id",
				  PQgetvalue(res, row, 2), "case_number", PQgetvalue(res, row, 3),
				  "assigned_worker", PQgetvalue(res, row, 4));

	if (child)
		stability_figures(child, res, row, 0);
	return child;
}

enum cw_code reports_placement_stability(struct db_pool *pool, const struct principal *p, const char *from,
					 const char *to, const char *unit, const struct stability_position *pos,
					 json_t **out, struct cw_error *err)
{
	struct access_scope s = access_scope_of(p);
	char limit[16];
	const char *params[9] = {s.see_all, s.worker, s.unit, from, to, unit,
				 pos->after ? pos->after_number : NULL, pos->after ? pos->after_child : NULL, limit};
	PGresult *res;
	json_t *items, *next = json_null();
	int rows;

	snprintf(limit, sizeof(limit), "%d", pos->limit + 1);
	res = report_query(pool, &placement_stability, params, err);
	if (res == NULL)
		return err->code;
	rows = PQntuples(res);
	*out = json_pack("{s:s, s:s, s:s?}", "from", from, "to", to, "unit", unit);
	items = json_array();
	if (rows > 0)
		stability_figures(*out, res, 0, 1);
	for (int i = 1; i < rows && i <= pos->limit; i++)
		json_array_append_new(items, stability_child(res, i));
	if (rows > pos->limit + 1) {
		json_decref(next);
		next = stability_cursor(PQgetvalue(res, pos->limit, 3), PQgetvalue(res, pos->limit, 1));
	}
	PQclear(res);
	json_object_set_new(*out, "items", items);
	json_object_set_new(*out, "next_cursor", next);
	return CW_OK;
}

#define NTYPES REFERRAL_SERVICE_TYPES
#define NSTATUSES REFERRAL_STATUSES

static int index_of(const char *const *list, size_t n, const char *value)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], value) == 0)
			return (int)i;
	return -1;
}

static json_t *outcome_row(const char *type, const long long *counts)
{
	json_t *by_status = json_object();
	int completed = index_of(referral_statuses, NSTATUSES, "completed");
	long long total = 0;

	for (size_t s = 0; s < NSTATUSES; s++) {
		json_object_set_new(by_status, referral_statuses[s], json_integer(counts[s]));
		total += counts[s];
	}
	return json_pack("{s:s?, s:I, s:o, s:o}", "service_type", type, "total", total, "by_status", by_status,
			 "completion_rate", report_rate(counts[completed], total));
}

enum cw_code reports_referral_outcomes(struct db_pool *pool, const struct principal *p, const char *from,
				       const char *to, json_t **out, struct cw_error *err)
{
	struct access_scope s = access_scope_of(p);
	const char *params[6] = {s.see_all, s.worker, s.unit, s.sud_all, from, to};
	long long counts[NTYPES][NSTATUSES] = {{0}}, all[NSTATUSES] = {0};
	PGresult *res = report_query(pool, &referral_outcomes, params, err);
	json_t *types, *totals;

	if (res == NULL)
		return err->code;
	for (int i = 0; i < PQntuples(res); i++) {
		int t = index_of(referral_service_types, NTYPES, PQgetvalue(res, i, 0));
		int st = index_of(referral_statuses, NSTATUSES, PQgetvalue(res, i, 1));

		if (t >= 0 && st >= 0) {
			counts[t][st] += count_at(res, i, 2);
			all[st] += count_at(res, i, 2);
		}
	}
	PQclear(res);
	types = json_array();
	for (size_t t = 0; t < NTYPES; t++)
		json_array_append_new(types, outcome_row(referral_service_types[t], counts[t]));
	totals = outcome_row(NULL, all);
	json_object_del(totals, "service_type");
	*out = json_pack("{s:s, s:s}", "from", from, "to", to);
	json_object_update(*out, totals);
	json_decref(totals);
	json_object_set_new(*out, "types", types);
	return CW_OK;
}
