#include "clocks.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "csv.h"
#include "dates.h"
#include "reports.h"
#include "text.h"

const char *const clock_names[] = {"case_plan", "periodic_review", "permanency_hearing", "tpr_15_of_22", NULL};
const char *const clock_statuses[] = {"met", "met_late", "not_applicable", "due", "overdue", "not_reached",
				      "petition_filed", "exception", "no_action", NULL};

/* The columns every statement below answers, in order: the row's child,
 * case and episode, each clock's dates and status, then the row's sort date. */
#define CLOCK_SELECT                                                                                      \
	" e.participant_id AS child_id, e.case_id, c.case_number, c.assigned_worker, c.unit,"             \
	" e.id AS episode_id, e.removed_on, e.discharged_on, e.entered_care_on,"                          \
	" k.case_plan_due_on, k.case_plan_met_on, k.case_plan_status,"                                    \
	" k.periodic_review_due_on, k.periodic_review_last_hearing_on, k.periodic_review_status,"         \
	" k.permanency_hearing_due_on, k.permanency_hearing_last_hearing_on, k.permanency_hearing_status," \
	" k.tpr_reached_on, k.tpr_days_in_last_22_months, k.tpr_petition_on, k.tpr_status"

enum column {
	COL_CHILD, COL_CASE, COL_NUMBER, COL_WORKER, COL_UNIT, COL_EPISODE,
	COL_TPR_DAYS = 19,      /* tpr_15_of_22.days_in_last_22_months, a number */
	COL_SORT_ON = CLOCKS_COLUMNS, /* the report's: the row's sort date */
};

/* As the CSV names the columns above; "clock.member" in the JSON. */
const char *const clocks_columns[CLOCKS_COLUMNS] = {
	"child_id", "case_id", "case_number", "assigned_worker", "unit", "episode_id", "removed_on",
	"discharged_on", "entered_care_on",
	"case_plan.due_on", "case_plan.met_on", "case_plan.status",
	"periodic_review.due_on", "periodic_review.last_hearing_on", "periodic_review.status",
	"permanency_hearing.due_on", "permanency_hearing.last_hearing_on", "permanency_hearing.status",
	"tpr_15_of_22.reached_on", "tpr_15_of_22.days_in_last_22_months", "tpr_15_of_22.petition_on",
	"tpr_15_of_22.status",
};

static const struct db_statement episode_clocks = {
	"episode_clocks",
	"SELECT" CLOCK_SELECT
	"  FROM episodes e JOIN participants p ON p.id = e.participant_id JOIN cases c ON c.id = e.case_id"
	"  JOIN cw_clocks_of(ARRAY[$4::uuid], $5::date, $6) k ON k.episode_id = e.id"
	" WHERE e.id = $4::uuid AND e.deleted_at IS NULL AND p.deleted_at IS NULL AND c.deleted_at IS NULL"
	"   AND cw_visible(c.assigned_worker, c.unit, $1, $2, $3)",
	6, 0};

/*
 * The report: each visible child's latest live episode; the clocks of those
 * open or discharged on or after today - 12 months; the rows with a clock
 * that matches every filter ($7 clock, $8 status, $9 due before), with the
 * earliest due date among such clocks that are due or overdue; after the
 * cursor's row ($10 sort date, 'infinity' for none; $11 case number; $12
 * child) in that order; at most $13 rows (NULL: all of them).
 */
#define REPORT_SQL                                                                                                  \
	"WITH latest AS ("                                                                                          \
	"    SELECT DISTINCT ON (e.participant_id) e.id, e.discharged_on"                                         \
	"      FROM episodes e JOIN participants p ON p.id = e.participant_id JOIN cases c ON c.id = e.case_id"   \
	"     WHERE e.deleted_at IS NULL AND p.deleted_at IS NULL AND c.deleted_at IS NULL"                       \
	"       AND cw_visible(c.assigned_worker, c.unit, $1, $2, $3) AND ($6::text IS NULL OR c.unit = $6)"       \
	"     ORDER BY e.participant_id, e.removed_on DESC"                                                       \
	"), shown AS ("                                                                                            \
	"    SELECT array_agg(l.id) AS ids FROM latest l"                                                         \
	"     WHERE l.discharged_on IS NULL OR l.discharged_on >= ($4::date - interval '12 months')::date"         \
	")"                                                                                                         \
	" SELECT" CLOCK_SELECT ", f.sort_on"                                                                       \
	"   FROM shown, cw_clocks_of(shown.ids, $4::date, $5) k"                                                   \
	"   JOIN episodes e ON e.id = k.episode_id JOIN cases c ON c.id = e.case_id,"                             \
	"        LATERAL (SELECT coalesce(min(x.due_on) FILTER (WHERE x.status IN ('due', 'overdue')),"           \
	"                                 'infinity'::date) AS sort_on, count(*) AS matching"                      \
	"                   FROM (VALUES ('case_plan', k.case_plan_due_on, k.case_plan_status),"                   \
	"                                ('periodic_review', k.periodic_review_due_on, k.periodic_review_status)," \
	"                                ('permanency_hearing', k.permanency_hearing_due_on,"                      \
	"                                 k.permanency_hearing_status),"                                           \
	"                                ('tpr_15_of_22', NULL::date, k.tpr_status)) AS x (clock, due_on, status)" \
	"                  WHERE ($7::text IS NULL OR x.clock = $7) AND ($8::text IS NULL OR x.status = $8)"        \
	"                    AND ($9::date IS NULL OR x.due_on < $9::date)) f"                                     \
	"  WHERE f.matching > 0"                                                                                   \
	"    AND ($10::date IS NULL OR (f.sort_on, c.case_number, e.participant_id) > ($10::date, $11, $12::uuid))" \
	"  ORDER BY f.sort_on, c.case_number, e.participant_id"

static const struct db_statement report_page = {"federal_clocks", REPORT_SQL " LIMIT $13", 13, 0};

static const struct db_statement report_cursor = {
	NULL, "DECLARE federal_clocks NO SCROLL CURSOR FOR " REPORT_SQL, 12, 0};

#define CSV_CHUNK_ROWS 500   /* the rows FETCH below asks for */
static const struct db_statement fetch_chunk = {
	"federal_clocks_fetch", "FETCH 500 FROM federal_clocks", 0, 0};
static const struct db_statement begin_snapshot = {
	NULL, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, 0};
static const struct db_statement commit = {NULL, "COMMIT", 0, 0};

/* A text column as JSON: null, a number for the day count, else a string. */
static json_t *cell(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return json_null();
	if (col == COL_TPR_DAYS)
		return json_integer(strtoll(PQgetvalue(res, row, col), NULL, 10));
	return json_string(PQgetvalue(res, row, col));
}

/* One row of a statement above as the API answers it: each clock's columns
 * in an object of its own. */
static json_t *row_json(const PGresult *res, int row)
{
	json_t *out = json_object(), *clock = NULL;

	for (int col = 0; col < CLOCKS_COLUMNS; col++) {
		const char *name = clocks_columns[col], *dot = strchr(name, '.');
		char head[24];

		if (dot == NULL) {
			json_object_set_new(out, name, cell(res, row, col));
			continue;
		}
		snprintf(head, sizeof(head), "%.*s", (int)(dot - name), name);
		clock = json_object_get(out, head);
		if (clock == NULL) {
			clock = json_object();
			json_object_set_new(out, head, clock);
		}
		json_object_set_new(clock, dot + 1, cell(res, row, col));
	}
	return out;
}

enum cw_code clocks_of_episode(struct db_pool *pool, const struct principal *p, const char *id,
			       const struct clocks_query *q, json_t **out, struct cw_error *err)
{
	struct access_scope s = access_scope_of(p);
	const char *params[6] = {s.see_all, s.worker, s.unit, id, q->today, q->zone};
	PGresult *res = db_query(pool, &episode_clocks, params, err);

	if (res == NULL)
		return err->code;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return cw_fail(err, CW_NOT_FOUND, "No such episode.");
	}
	*out = row_json(res, 0);
	json_object_set_new(*out, "as_of", json_string(q->today));
	PQclear(res);
	return CW_OK;
}

/* The days a cursor holds for a row without a sort date. */
#define NO_SORT_DATE ((int64_t)INT32_MAX)

static void report_params(const struct access_scope *s, const struct clocks_query *q, const char *params[13])
{
	const char *all[13] = {s->see_all, s->worker, s->unit, q->today, q->zone, q->unit, q->clock, q->status,
			       q->due_before, q->after ? (q->after_key[0] ? q->after_key : "infinity") : NULL,
			       q->after ? q->after_number : NULL, q->after ? q->after_child : NULL, NULL};

	memcpy(params, all, sizeof(all));
}

static json_t *report_cursor_after(const PGresult *res, int row)
{
	const char *number = PQgetvalue(res, row, COL_NUMBER), *child = PQgetvalue(res, row, COL_CHILD);
	const char *sort_on = PQgetvalue(res, row, COL_SORT_ON);
	struct cw_date d;
	int64_t days = NO_SORT_DATE;

	if (date_parse(sort_on, &d) == 0)
		days = date_to_days(&d);
	return cursor_text_json(CURSOR_FEDERAL_CLOCKS, days, child, number);
}

int clocks_cursor_read(const char *text, struct clocks_query *q)
{
	int64_t days;

	if (cursor_decode_text(text, CURSOR_FEDERAL_CLOCKS, &days, q->after_child, q->after_number) != 0 ||
	    (days != NO_SORT_DATE && (days < -100000 || days > 100000)))
		return -1;
	if (days == NO_SORT_DATE) {
		q->after_key[0] = '\0';
	} else {
		struct cw_date d = date_from_days(days);

		date_format(&d, q->after_key);
	}
	q->after = 1;
	return 0;
}

enum cw_code clocks_report(struct db_pool *pool, const struct principal *p, const struct clocks_query *q,
			   json_t **out, struct cw_error *err)
{
	struct access_scope s = access_scope_of(p);
	const char *params[13];
	char limit[16];
	PGresult *res;
	json_t *items;
	int rows;

	report_params(&s, q, params);
	snprintf(limit, sizeof(limit), "%d", q->limit + 1);
	params[12] = limit;
	res = report_query(pool, &report_page, params, err);
	if (res == NULL)
		return err->code;
	rows = PQntuples(res);
	items = json_array();
	for (int i = 0; i < rows && i < q->limit; i++)
		json_array_append_new(items, row_json(res, i));
	*out = json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:o, s:o}", "as_of", q->today, "unit", q->unit, "clock",
			 q->clock, "status", q->status, "due_before", q->due_before, "items", items, "next_cursor",
			 rows > q->limit ? report_cursor_after(res, q->limit - 1) : json_null());
	PQclear(res);
	return *out ? CW_OK : cw_fail(err, CW_INTERNAL, "Out of memory.");
}

/* ---- CSV ----------------------------------------------------------------- */

struct clocks_csv {
	struct db_pool *pool;
	struct db_conn *conn;
	int header_sent;
	int done;
};

enum cw_code clocks_csv_open(struct db_pool *pool, const struct principal *p, const struct clocks_query *q,
			     struct clocks_csv **out, struct cw_error *err)
{
	struct access_scope s = access_scope_of(p);
	const char *params[13];
	struct clocks_csv *c = calloc(1, sizeof(*c));
	PGresult *res;

	*out = NULL;
	if (c == NULL)
		return cw_fail(err, CW_INTERNAL, "Out of memory.");
	c->pool = pool;
	c->conn = db_acquire(pool, err);
	if (c->conn == NULL) {
		free(c);
		return report_refusal(err);
	}
	report_params(&s, q, params);
	res = db_run(c->conn, &begin_snapshot, NULL, err);
	if (res != NULL) {
		PQclear(res);
		res = db_run(c->conn, &report_cursor, params, err);
	}
	if (res == NULL) {
		clocks_csv_close(c);
		return report_refusal(err);
	}
	PQclear(res);
	*out = c;
	return CW_OK;
}

int clocks_csv_next(struct clocks_csv *c, struct strbuf *out, struct cw_error *err)
{
	const char *cells[CLOCKS_COLUMNS];
	PGresult *res;
	int rows;

	if (!c->header_sent) {
		csv_append_row(out, clocks_columns, CLOCKS_COLUMNS);
		c->header_sent = 1;
	}
	if (c->done)
		return 0;
	res = db_run(c->conn, &fetch_chunk, NULL, err);
	if (res == NULL) {
		report_refusal(err);
		return -1;
	}
	rows = PQntuples(res);
	for (int i = 0; i < rows; i++) {
		for (int col = 0; col < CLOCKS_COLUMNS; col++)
			cells[col] = PQgetisnull(res, i, col) ? NULL : PQgetvalue(res, i, col);
		csv_append_row(out, cells, CLOCKS_COLUMNS);
	}
	PQclear(res);
	if (rows < CSV_CHUNK_ROWS) {
		res = db_run(c->conn, &commit, NULL, err);
		PQclear(res);
		c->done = 1;
	}
	return c->done ? 0 : 1;
}

void clocks_csv_close(struct clocks_csv *c)
{
	if (c == NULL)
		return;
	if (c->conn)
		db_release(c->pool, c->conn);
	free(c);
}
