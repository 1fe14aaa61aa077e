#include "family_time_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "cursor.h"
#include "dates.h"
#include "reports.h"
#include "uuid.h"

/*
 * The report in one statement: the months of the range (made from their
 * number, which the planner then knows); the visible plans in force over at
 * least one whole month of it; their plan-months; for each plan, the family
 * time of its child with one of its people in the range, by UTC month (from
 * sql/017's family_time_pairs: one index range per person of the plan, and a
 * visit with several of them counts once), so that the work grows with the
 * plans the caller sees. Then three parts, told apart by the first column:
 * 0 a row per month, 1 the whole range, 2 a page of shortfalls after the
 * cursor ($7-$9), at most $10 rows. Each (plan, month) occurs once in
 * plan_rows, so plain counts are exact. Columns: part, month, children,
 * plan_months, planned, delivered, delivered_within_plan, child_id, case_id,
 * case_number, plan_id, person_ids (JSON).
 */
static const struct db_statement family_time = {
	NULL,
	"WITH months AS ("
	"    SELECT ($4::date + make_interval(months => i))::date AS first_day,"
	"           ($4::date + make_interval(months => i + 1))::date AS next_first"
	"      FROM generate_series(0, ((extract(year FROM $5::date) - extract(year FROM $4::date)) * 12"
	"                               + extract(month FROM $5::date) - extract(month FROM $4::date))::integer) AS i"
	"), plans AS ("
	"    SELECT f.id, f.case_id, c.case_number, f.child_id, f.person_ids, f.visits_per_month,"
	"           f.effective_on, f.ended_on"
	"      FROM family_time_plans f"
	"      JOIN cases c ON c.id = f.case_id"
	"      JOIN participants ch ON ch.id = f.child_id"
	"     WHERE f.deleted_at IS NULL AND c.deleted_at IS NULL AND ch.deleted_at IS NULL"
	"       AND cw_visible(c.assigned_worker, c.unit, $1, $2, $3)"
	"       AND ($6::text IS NULL OR c.unit = $6)"
	"       AND f.effective_on <= $5::date"
	"       AND (f.ended_on IS NULL OR f.ended_on >= ($4::date + interval '1 month' - interval '1 day')::date)"
	"), plan_months AS ("
	"    SELECT p.*, m.first_day FROM plans p JOIN months m"
	"        ON p.effective_on <= m.first_day AND (p.ended_on IS NULL OR p.ended_on >= m.next_first - 1)"
	"), delivered AS ("
	"    SELECT p.id, d.first_day, d.n"
	"      FROM plans p"
	"     CROSS JOIN LATERAL ("
	"        SELECT date_trunc('month', t.visited_at AT TIME ZONE 'UTC')::date AS first_day,"
	"               count(DISTINCT t.visit_id) AS n"
	"          FROM family_time_pairs t"
	"         WHERE t.participant_id = p.child_id AND t.other_id = ANY (p.person_ids)"
	"           AND t.visited_at >= $4::date::timestamp AT TIME ZONE 'UTC'"
	"           AND t.visited_at < ($5::date + interval '1 month')::timestamp AT TIME ZONE 'UTC'"
	"         GROUP BY 1) AS d"
	"), plan_rows AS ("
	"    SELECT pm.id, pm.case_id, pm.case_number, pm.child_id, pm.person_ids, pm.first_day,"
	"           pm.visits_per_month AS planned, coalesce(d.n, 0) AS delivered"
	"      FROM plan_months pm LEFT JOIN delivered d ON d.id = pm.id AND d.first_day = pm.first_day"
	")"
	" SELECT 0 AS part, to_char(m.first_day, 'YYYY-MM') AS month, count(DISTINCT r.child_id) AS children,"
	"        count(r.id) AS plan_months, coalesce(sum(r.planned), 0)::bigint AS planned,"
	"        coalesce(sum(r.delivered), 0)::bigint AS delivered,"
	"        coalesce(sum(least(r.delivered, r.planned)), 0)::bigint AS within,"
	"        NULL::uuid AS child_id, NULL::uuid AS case_id, NULL::text AS case_number, NULL::uuid AS plan_id,"
	"        NULL::text AS person_ids"
	"   FROM months m LEFT JOIN plan_rows r ON r.first_day = m.first_day"
	"  GROUP BY m.first_day"
	" UNION ALL"
	" SELECT 1, NULL, count(DISTINCT child_id), count(*), coalesce(sum(planned), 0)::bigint,"
	"        coalesce(sum(delivered), 0)::bigint, coalesce(sum(least(delivered, planned)), 0)::bigint,"
	"        NULL, NULL, NULL, NULL, NULL"
	"   FROM plan_rows"
	" UNION ALL"
	" (SELECT 2, to_char(first_day, 'YYYY-MM'), 1, 1, planned, delivered, delivered,"
	"         child_id, case_id, case_number, id, array_to_json(person_ids)::text"
	"    FROM plan_rows"
	"   WHERE delivered < planned"
	"     AND ($7::uuid IS NULL OR (child_id, first_day, id) > ($7::uuid, $8::date, $9::uuid))"
	"   ORDER BY child_id, first_day, id LIMIT $10)"
	" ORDER BY part, child_id, month, plan_id",
	10, 0};

enum { COL_PART, COL_MONTH, COL_CHILDREN, COL_PLAN_MONTHS, COL_PLANNED, COL_DELIVERED, COL_WITHIN, COL_CHILD,
       COL_CASE, COL_CASE_NUMBER, COL_PLAN, COL_PEOPLE };

static long long count_at(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* A month's or the whole range's figures. */
static json_t *summary_row(const PGresult *res, int row)
{
	long long planned = count_at(res, row, COL_PLANNED), within = count_at(res, row, COL_WITHIN);
	json_t *r = json_object();

	if (!PQgetisnull(res, row, COL_MONTH))
		json_object_set_new(r, "month", json_string(PQgetvalue(res, row, COL_MONTH)));
	json_object_set_new(r, "children", json_integer(count_at(res, row, COL_CHILDREN)));
	json_object_set_new(r, "plan_months", json_integer(count_at(res, row, COL_PLAN_MONTHS)));
	json_object_set_new(r, "planned", json_integer(planned));
	json_object_set_new(r, "delivered", json_integer(count_at(res, row, COL_DELIVERED)));
	json_object_set_new(r, "delivered_within_plan", json_integer(within));
	json_object_set_new(r, "delivery_rate", report_rate(within, planned));
	return r;
}

static json_t *shortfall_row(const PGresult *res, int row)
{
	json_t *people = json_loads(PQgetvalue(res, row, COL_PEOPLE), 0, NULL);

	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:I, s:I}", "child_id", PQgetvalue(res, row, COL_CHILD),
			 "case_id", PQgetvalue(res, row, COL_CASE), "case_number",
			 PQgetvalue(res, row, COL_CASE_NUMBER), "plan_id", PQgetvalue(res, row, COL_PLAN),
			 "person_ids", people ? people : json_array(), "month", PQgetvalue(res, row, COL_MONTH),
			 "planned", (json_int_t)count_at(res, row, COL_PLANNED), "delivered",
			 (json_int_t)count_at(res, row, COL_DELIVERED));
}

/* The cursor after a shortfall: its month in days, its plan, its child's 16 bytes. */
static json_t *shortfall_cursor(const json_t *item)
{
	const char *month = json_string_value(json_object_get(item, "month"));
	const char *plan = json_string_value(json_object_get(item, "plan_id"));
	const char *child = json_string_value(json_object_get(item, "child_id"));
	unsigned char child_bytes[16];
	char text[CURSOR_LONG_TEXT_MAX + 1], day[16];
	struct cw_date d;

	if (month == NULL || plan == NULL || child == NULL || uuid_bytes(child, child_bytes) != 0)
		return json_null();
	snprintf(day, sizeof(day), "%.7s-01", month);
	if (date_parse(day, &d) != 0)
		return json_null();
	cursor_encode_extra(CURSOR_FAMILY_TIME, date_to_days(&d), plan, child_bytes, sizeof(child_bytes), text);
	return json_string(text);
}

int family_time_cursor_read(const char *text, struct family_time_position *pos)
{
	unsigned char extra[CURSOR_EXTRA_MAX];
	struct cw_date d;
	int64_t days;
	size_t n;

	if (cursor_decode_extra(text, CURSOR_FAMILY_TIME, &days, pos->after_plan, extra, &n) != 0 || n != 16 ||
	    days < -1000000 || days > 1000000)
		return -1;
	d = date_from_days(days);
	if (d.day != 1)
		return -1;
	date_format(&d, pos->after_month);
	uuid_format(extra, pos->after_child);
	pos->after = 1;
	return 0;
}

enum cw_code family_time_report(struct db_pool *pool, const struct principal *p, const char *from, const char *to,
				const char *unit, const struct family_time_position *pos, json_t **out,
				struct cw_error *err)
{
	struct access_scope s = access_scope_of(p);
	char limit[16];
	const char *params[10] = {s.see_all, s.worker, s.unit, from, to, unit,
				  pos->after ? pos->after_child : NULL, pos->after ? pos->after_month : NULL,
				  pos->after ? pos->after_plan : NULL, limit};
	PGresult *res;
	json_t *report, *months, *shortfalls, *next = json_null();
	int shown = 0;

	snprintf(limit, sizeof(limit), "%d", pos->limit + 1);
	res = report_query(pool, &family_time, params, err);
	if (res == NULL) {
		json_decref(next);
		return err->code;
	}
	report = json_pack("{s:s%, s:s%, s:s?}", "from", from, (size_t)7, "to", to, (size_t)7, "unit", unit);
	months = json_array();
	shortfalls = json_array();
	for (int i = 0; i < PQntuples(res); i++) {
		long long part = count_at(res, i, COL_PART);

		if (part == 0) {
			json_array_append_new(months, summary_row(res, i));
		} else if (part == 1) {
			json_t *overall = summary_row(res, i);

			json_object_update(report, overall);
			json_decref(overall);
		} else if (shown < pos->limit) {
			json_array_append_new(shortfalls, shortfall_row(res, i));
			shown++;
		} else {
			json_decref(next);
			next = shortfall_cursor(json_array_get(shortfalls, json_array_size(shortfalls) - 1));
		}
	}
	PQclear(res);
	json_object_set_new(report, "months", months);
	json_object_set_new(report, "shortfalls", shortfalls);
	json_object_set_new(report, "next_cursor", next);
	*out = report;
	return CW_OK;
}
