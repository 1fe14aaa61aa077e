/* Reports run on the report pool (struct app): a few connections of their own,
 * so that however many are asked for, every other request keeps its
 * connections; one asked for while all are busy is refused at once (503 with
 * Retry-After), after its parameters were checked, never queued. */
#include "report_handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accept.h"
#include "clocks.h"
#include "csv.h"
#include "dates.h"
#include "family_time_report.h"
#include "path.h"
#include "reply.h"
#include "reports.h"
#include "request.h"

#define MAX_RANGE_MONTHS 120   /* ten years */

static const struct field_spec unit_spec = {"unit", FT_STRING, 0, PRINCIPAL_UNIT_MAX, NULL, 0, 0};

/* ---- parameters -------------------------------------------------------- */

/* A parameter's text in *v, as query_text() reads it (1 given, 0 absent, -1
 * unreadable), named "is required, as form" when it is absent and required. */
static int query_param(struct exchange *x, const char *name, int required, const char *form, const char **v)
{
	int given = query_text(x, name, v);

	if (given == 0 && required)
		cw_field_error(&x->err, name, "is required, as %s", form);
	return given;
}

/* A required YYYY-MM parameter: its first day in out (YYYY-MM-01), 0 on success. */
static int query_month(struct exchange *x, const char *name, struct cw_date *out)
{
	const char *v;
	char day[16];

	if (query_param(x, name, 1, "YYYY-MM", &v) <= 0)
		return -1;
	snprintf(day, sizeof(day), "%.7s-01", v);
	if (strlen(v) != 7 || date_parse(day, out) != 0) {
		cw_field_error(&x->err, name, "must be a month written YYYY-MM, between %d and %d", DATE_MIN_YEAR,
			       DATE_MAX_YEAR);
		return -1;
	}
	return 0;
}

/* A YYYY-MM-DD parameter: 1 with out set when given and a real date, 0 when
 * absent (a field error when required), -1 otherwise. */
static int query_day(struct exchange *x, const char *name, int required, struct cw_date *out)
{
	const char *v;
	int given = query_param(x, name, required, "YYYY-MM-DD", &v);

	if (given <= 0)
		return given;
	if (date_parse(v, out) != 0) {
		cw_field_error(&x->err, name, "must be a real calendar date written YYYY-MM-DD, between %d and %d",
			       DATE_MIN_YEAR, DATE_MAX_YEAR);
		return -1;
	}
	return 1;
}

/* A required YYYY-MM-DD parameter, 0 on success. */
static int query_date(struct exchange *x, const char *name, struct cw_date *out)
{
	return query_day(x, name, 1, out) == 1 ? 0 : -1;
}

/* from and to, each read by read_day (query_month or query_date), with from <= to
 * and to within ten years of from: field errors otherwise. Their YYYY-MM-DD texts
 * in from_text and to_text when both were read. */
static void query_range(struct exchange *x, int (*read_day)(struct exchange *, const char *, struct cw_date *),
			char from_text[11], char to_text[11])
{
	struct cw_date from, to, limit;
	int ok = read_day(x, "from", &from) == 0;

	ok = read_day(x, "to", &to) == 0 && ok;
	from_text[0] = to_text[0] = '\0';
	if (!ok)
		return;
	limit = date_add_months(&from, MAX_RANGE_MONTHS);
	if (date_cmp(&from, &to) > 0)
		cw_field_error(&x->err, "to", "cannot be before from");
	else if (date_cmp(&to, &limit) >= 0)
		cw_field_error(&x->err, "to", "must be less than ten years after from");
	date_format(&from, from_text);
	date_format(&to, to_text);
}

/* The opening of a report over a range by unit: no parameter but allowed
 * ones, from and to (read by read_day, as query_range() does), and the unit,
 * NULL when none is given. */
static const char *query_unit_range(struct exchange *x, const char *const allowed[],
				    int (*read_day)(struct exchange *, const char *, struct cw_date *),
				    char from_text[11], char to_text[11])
{
	query_only(x, allowed);
	query_range(x, read_day, from_text, to_text);
	return query_value(x, "unit", &unit_spec);
}

/* ---- CSV --------------------------------------------------------------- */

static int wants_csv(const struct exchange *x)
{
	return accept_prefers_csv(request_header(x, "Accept"));
}

/* The member at path ("a" or "a.b") of row as CSV cell text, into buf. */
static const char *cell_text(const json_t *row, const char *path, char *buf, size_t len)
{
	const char *dot = strchr(path, '.');
	const json_t *v;

	if (dot) {
		char head[64];

		snprintf(head, sizeof(head), "%.*s", (int)(dot - path), path);
		row = json_object_get(row, head);
		path = dot + 1;
	}
	v = json_object_get(row, path);
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%.6g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
	else
		return NULL;
	return buf;
}

/* Header and one line per row; rows is a JSON array of objects. */
static char *csv_of(const json_t *rows, const char *const *columns, size_t ncolumns)
{
	struct strbuf sb = STRBUF_INIT;
	const char *cells[32];
	char bufs[32][64];
	size_t i;
	const json_t *row;

	csv_append_row(&sb, columns, ncolumns);
	json_array_foreach(rows, i, row) {
		for (size_t c = 0; c < ncolumns && c < 32; c++)
			cells[c] = cell_text(row, columns[c], bufs[c], sizeof(bufs[c]));
		csv_append_row(&sb, cells, ncolumns);
	}
	return strbuf_detach(&sb);
}

/* The CSV rows of a report: each of its parts (months, service types), then
 * the report's own figures as a last row whose key column says "total". */
static json_t *rows_with_total(const json_t *report, const char *parts, const char *key_column)
{
	json_t *rows = json_deep_copy(json_object_get(report, parts));
	json_t *total = json_deep_copy(report);

	json_object_del(total, parts);
	json_object_set_new(total, key_column, json_string("total"));
	json_array_append_new(rows, total);
	return rows;
}

/* Answers the report as JSON, or as CSV of rows with a download name. */
static enum cw_code reply_report(struct exchange *x, json_t *report, json_t *rows, const char *const *columns,
				 size_t ncolumns, const char *filename)
{
	const char *next = json_string_value(json_object_get(report, "next_cursor"));
	enum cw_code rc;

	if (next)
		snprintf(x->next_cursor, sizeof(x->next_cursor), "%s", next);
	if (wants_csv(x)) {
		char *csv = csv_of(rows, columns, ncolumns);

		snprintf(x->content_disposition, sizeof(x->content_disposition), "attachment; filename=\"%s\"",
			 filename);
		rc = reply_text(x, 200, "text/csv; charset=utf-8", csv);
	} else {
		rc = reply_json(x, 200, json_dumps(report, JSON_COMPACT | JSON_REAL_PRECISION(6)));
	}
	json_decref(rows);
	json_decref(report);
	return rc;
}

/* ---- reports ----------------------------------------------------------- */

enum cw_code report_visit_compliance(struct exchange *x)
{
	static const char *const allowed[] = {"from", "to", "unit", NULL};
	static const char *const columns[] = {"month", "children", "full_months_in_care", "months_with_visit",
					      "visit_rate", "children_visited_every_month", "visits",
					      "visits_in_residence", "residence_rate", "meets_visit_target",
					      "meets_residence_target"};
	char from_text[11], to_text[11], filename[64];
	const char *unit;
	json_t *report, *rows;

	unit = query_unit_range(x, allowed, query_month, from_text, to_text);
	if (cw_has_field_errors(&x->err))
		return CW_INVALID;
	if (reports_visit_compliance(x->app->report_pool, &x->principal, from_text, to_text, unit, &report, &x->err) != CW_OK)
		return x->err.code;
	rows = rows_with_total(report, "months", "month");
	snprintf(filename, sizeof(filename), "visit-compliance-%.7s-%.7s.csv", from_text, to_text);
	return reply_report(x, report, rows, columns, sizeof(columns) / sizeof(columns[0]), filename);
}

/* A paged report's limit (default the most, so that a unit's worklist comes
 * in one answer) and its cursor, NULL when none is given. */
static int query_report_page(struct exchange *x, const char **cursor)
{
	const char *v;
	int limit = query_text(x, "limit", &v) == 0 ? LIST_LIMIT_MAX : query_limit(x);

	*cursor = query_text(x, "cursor", &v) == 1 ? v : NULL;
	return limit;
}

/* A cursor the report's reader refused (read != 0) is a field error. */
static void check_report_cursor(struct exchange *x, int read)
{
	if (read != 0)
		cw_field_error(&x->err, "cursor", "is not a cursor of this report; "
			       "pass next_cursor from the previous page unchanged");
}

enum cw_code report_plan_reviews(struct exchange *x)
{
	static const char *const allowed[] = {"due_within_days", "unit", "limit", "cursor", NULL};
	static const struct field_spec days_spec = {"due_within_days", FT_INT, 0, 0, NULL, 0, 3650};
	static const char *const columns[] = {"plan_id", "case_id", "case_number", "assigned_worker", "unit",
					      "review_due_on", "days_left"};
	const char *days_text;
	struct cw_date today = date_today();
	char today_text[11];
	long days = 30;
	const char *unit;
	struct plan_review_position pos = {0};
	const char *cursor;
	json_t *report;

	query_only(x, allowed);
	pos.limit = query_report_page(x, &cursor);
	check_report_cursor(x, cursor ? reports_plan_review_cursor_read(cursor, &pos) : 0);
	if (query_text(x, "due_within_days", &days_text) == 1) {
		char *end;

		days = strtol(days_text, &end, 10);
		if (days_text[0] < '0' || days_text[0] > '9' || *end != '\0' || days > days_spec.max)
			cw_field_error(&x->err, "due_within_days", "must be a whole number of days from 0 to %lld",
				       days_spec.max);
	}
	unit = query_value(x, "unit", &unit_spec);
	if (cw_has_field_errors(&x->err))
		return CW_INVALID;
	date_format(&today, today_text);
	if (reports_plan_reviews(x->app->report_pool, &x->principal, today_text, (int)days, unit, &pos, &report,
				 &x->err) != CW_OK)
		return x->err.code;
	return reply_report(x, report, json_incref(json_object_get(report, "items")), columns,
			    sizeof(columns) / sizeof(columns[0]), "plan-reviews.csv");
}

enum cw_code report_placement_stability(struct exchange *x)
{
	static const char *const allowed[] = {"from", "to", "unit", "limit", "cursor", NULL};
	static const char *const columns[] = {"participant_id", "case_id", "case_number", "assigned_worker",
					      "children", "days_in_care", "moves", "moves_per_1000_days"};
	char from_text[11], to_text[11], filename[80];
	struct stability_position pos = {0};
	const char *unit, *cursor;
	json_t *report, *rows;

	unit = query_unit_range(x, allowed, query_date, from_text, to_text);
	pos.limit = query_report_page(x, &cursor);
	check_report_cursor(x, cursor ? reports_stability_cursor_read(cursor, &pos) : 0);
	if (cw_has_field_errors(&x->err))
		return CW_INVALID;
	if (reports_placement_stability(x->app->report_pool, &x->principal, from_text, to_text, unit, &pos, &report,
					&x->err) != CW_OK)
		return x->err.code;
	rows = rows_with_total(report, "items", "participant_id");
	snprintf(filename, sizeof(filename), "placement-stability-%s-%s.csv", from_text, to_text);
	return reply_report(x, report, rows, columns, sizeof(columns) / sizeof(columns[0]), filename);
}

enum cw_code report_referral_outcomes(struct exchange *x)
{
	static const char *const allowed[] = {"from", "to", NULL};
	static const char *const columns[] = {"service_type", "total", "by_status.referred", "by_status.accepted",
					      "by_status.declined", "by_status.in_progress", "by_status.completed",
					      "by_status.cancelled", "completion_rate"};
	char from_text[11], to_text[11], filename[64];
	json_t *report, *rows;

	query_only(x, allowed);
	query_range(x, query_date, from_text, to_text);
	if (cw_has_field_errors(&x->err))
		return CW_INVALID;
	if (reports_referral_outcomes(x->app->report_pool, &x->principal, from_text, to_text, &report, &x->err) != CW_OK)
		return x->err.code;
	rows = rows_with_total(report, "types", "service_type");
	snprintf(filename, sizeof(filename), "referral-outcomes-%s-%s.csv", from_text, to_text);
	return reply_report(x, report, rows, columns, sizeof(columns) / sizeof(columns[0]), filename);
}

/* JSON: the summary and a page of shortfalls. CSV: a line per month and a
 * total line (on the first page only), then a line per shortfall of the page,
 * so that the pages of a CSV reader, put together, are the whole report. */
enum cw_code report_family_time(struct exchange *x)
{
	static const char *const allowed[] = {"from", "to", "unit", "limit", "cursor", NULL};
	static const char *const columns[] = {"month", "children", "plan_months", "planned", "delivered",
					      "delivered_within_plan", "delivery_rate", "child_id", "case_id",
					      "case_number", "plan_id"};
	struct family_time_position pos = {0};
	char from_text[11], to_text[11], filename[64];
	const char *unit, *cursor;
	json_t *report, *rows;
	size_t i;
	json_t *item;

	unit = query_unit_range(x, allowed, query_month, from_text, to_text);
	pos.limit = query_report_page(x, &cursor);
	check_report_cursor(x, cursor ? family_time_cursor_read(cursor, &pos) : 0);
	if (cw_has_field_errors(&x->err))
		return CW_INVALID;
	if (family_time_report(x->app->report_pool, &x->principal, from_text, to_text, unit, &pos, &report,
			       &x->err) != CW_OK)
		return x->err.code;
	rows = pos.after ? json_array() : rows_with_total(report, "months", "month");
	json_array_foreach(json_object_get(report, "shortfalls"), i, item)
		json_array_append(rows, item);
	snprintf(filename, sizeof(filename), "family-time-%.7s-%.7s.csv", from_text, to_text);
	return reply_report(x, report, rows, columns, sizeof(columns) / sizeof(columns[0]), filename);
}

/* ---- the federal clocks ------------------------------------------------- */

/* Today in the agency's time zone, and the zone, into q. */
static void clocks_as_of_today(const struct exchange *x, struct clocks_query *q, char today[11])
{
	struct cw_date d = date_today();

	date_format(&d, today);
	q->today = today;
	q->zone = x->app->config->timezone;
}

enum cw_code get_episode_clocks(struct exchange *x)
{
	struct clocks_query q = {0};
	char id[37], today[11];
	json_t *clocks;
	char *text;

	if (path_uuid(x, 0, id, "episode") != CW_OK || query_none(x) != CW_OK)
		return x->err.code;
	clocks_as_of_today(x, &q, today);
	if (clocks_of_episode(x->app->pool, &x->principal, id, &q, &clocks, &x->err) != CW_OK)
		return x->err.code;
	text = json_dumps(clocks, JSON_COMPACT);
	json_decref(clocks);
	return reply_json(x, 200, text);
}

static ssize_t read_clocks_csv(void *ctx, uint64_t pos, char *buf, size_t max);
static void release_clocks_csv(void *ctx);

static const struct reply_stream clocks_csv_stream = {read_clocks_csv, release_clocks_csv};

/* What a streamed CSV answer holds between blocks: the rows read and not yet sent. */
struct clocks_csv_answer {
	struct clocks_csv *rows;
	struct strbuf pending;
	size_t sent;              /* of pending */
	int more;                 /* rows may follow those in pending */
};

static ssize_t read_clocks_csv(void *ctx, uint64_t pos, char *buf, size_t max)
{
	struct clocks_csv_answer *a = ctx;
	struct cw_error err = CW_ERROR_INIT;
	size_t n;

	(void)pos;
	while (a->sent == a->pending.len && a->more) {
		strbuf_setlen(&a->pending, 0);
		a->sent = 0;
		a->more = clocks_csv_next(a->rows, &a->pending, &err);
		if (a->more < 0 || a->pending.failed) {
			cw_error_release(&err);
			return U_STREAM_ERROR;
		}
	}
	cw_error_release(&err);
	if (a->sent == a->pending.len)
		return U_STREAM_END;
	n = a->pending.len - a->sent < max ? a->pending.len - a->sent : max;
	memcpy(buf, a->pending.buf + a->sent, n);
	a->sent += n;
	return (ssize_t)n;
}

static void release_clocks_csv(void *ctx)
{
	struct clocks_csv_answer *a = ctx;

	clocks_csv_close(a->rows);
	strbuf_release(&a->pending);
	free(a);
}

/* Every row of the report after q's position, as CSV streamed while the
 * client reads it. */
static enum cw_code stream_clocks_csv(struct exchange *x, const struct clocks_query *q)
{
	struct clocks_csv_answer *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return cw_fail(&x->err, CW_INTERNAL, "Out of memory.");
	a->more = 1;
	if (clocks_csv_open(x->app->report_pool, &x->principal, q, &a->rows, &x->err) != CW_OK) {
		free(a);
		return x->err.code;
	}
	return reply_stream(x, 200, "text/csv; charset=utf-8", &clocks_csv_stream, a);
}

enum cw_code report_federal_clocks(struct exchange *x)
{
	static const char *const allowed[] = {"unit", "clock", "status", "due_before", "limit", "cursor", NULL};
	static const struct field_spec clock_spec = {"clock", FT_ENUM, 0, 0, clock_names, 0, 0};
	static const struct field_spec status_spec = {"status", FT_ENUM, 0, 0, clock_statuses, 0, 0};
	struct clocks_query q = {0};
	char today[11], due_before[11], filename[40];
	struct cw_date day;
	const char *cursor, *v;
	int csv = wants_csv(x);
	json_t *report;

	query_only(x, allowed);
	q.unit = query_value(x, "unit", &unit_spec);
	q.clock = query_value(x, "clock", &clock_spec);
	q.status = query_value(x, "status", &status_spec);
	if (query_day(x, "due_before", 0, &day) == 1) {
		date_format(&day, due_before);
		q.due_before = due_before;
	}
	q.limit = query_report_page(x, &cursor);
	if (csv && query_text(x, "limit", &v) == 0)
		q.limit = 0;              /* every row, streamed */
	check_report_cursor(x, cursor ? clocks_cursor_read(cursor, &q) : 0);
	if (cw_has_field_errors(&x->err))
		return CW_INVALID;
	clocks_as_of_today(x, &q, today);
	if (csv && q.limit == 0) {
		snprintf(x->content_disposition, sizeof(x->content_disposition),
			 "attachment; filename=\"federal-clocks-%s.csv\"", today);
		return stream_clocks_csv(x, &q);
	}
	if (clocks_report(x->app->report_pool, &x->principal, &q, &report, &x->err) != CW_OK)
		return x->err.code;
	snprintf(filename, sizeof(filename), "federal-clocks-%s.csv", today);
	return reply_report(x, report, json_incref(json_object_get(report, "items")), clocks_columns, CLOCKS_COLUMNS,
			    filename);
}
