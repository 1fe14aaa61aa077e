/*
 * clocks: the federal clocks of a child in care, as DOMAIN.md defines them
 * ("Court and the federal clocks"), computed in the database as of a day.
 *
 * For a removal episode (sql/018, cw_clocks_of):
 *   case_plan           due removal + 60 days; met by the first approval of a
 *                       plan of the child's case within the episode:
 *                       met, met_late, not_applicable, due, overdue;
 *   periodic_review     due 6 months after the latest held review or
 *                       permanency hearing within the episode, or after
 *                       entered care: not_applicable, due, overdue;
 *   permanency_hearing  the same with 12 months and permanency hearings;
 *   tpr_15_of_22        over all the child's episodes: the day 15 of the
 *                       last 22 months in care were reached, and whether a
 *                       petition followed: not_reached, petition_filed,
 *                       exception, no_action.
 *
 * The report has a row per visible child whose latest episode is open or was
 * discharged within the last 12 months, with that episode's clocks; filters
 * keep the rows with a clock that matches every filter given (clock, status,
 * due before a day). Rows come most overdue first: by the earliest due date
 * among the clocks the filters select that are due or overdue (rows with none
 * last), then case number, then child; pages are cut by key.
 *
 * "today" is the agency's date (YYYY-MM-DD) and zone its time zone (IANA
 * name), in which a plan's approval instant is a date. Reports run on the
 * pool given, normally the report pool.
 */
#ifndef CW_CLOCKS_H
#define CW_CLOCKS_H

#include <jansson.h>

#include "auth.h"
#include "cursor.h"
#include "db.h"
#include "strbuf.h"

/* The clocks and their statuses, NULL-terminated, as filters name them. */
extern const char *const clock_names[];
extern const char *const clock_statuses[];

/* What the report is asked for; NULL members are not filters. */
struct clocks_query {
	const char *today;
	const char *zone;
	const char *unit;
	const char *clock;
	const char *status;
	const char *due_before;       /* YYYY-MM-DD: a clock due before this day */
	int limit;                    /* rows of a page; 0: every row (CSV) */
	int after;                    /* 0 on the first page; then the last row shown: */
	char after_key[11];           /* its sort date, "" when it has none */
	char after_number[CURSOR_EXTRA_MAX + 1];
	char after_child[37];
};

/* 0 with q's after members set when text is a cursor of the report. */
int clocks_cursor_read(const char *text, struct clocks_query *q);

/* The clocks of episode id as of q->today, for a caller who sees it:
 * {"as_of", "child_id", ..., "case_plan": {...}, ...}. CW_NOT_FOUND when the
 * caller does not see the episode. *out is the caller's to decref. */
enum cw_code clocks_of_episode(struct db_pool *pool, const struct principal *p, const char *id,
			       const struct clocks_query *q, json_t **out, struct cw_error *err);

/* A page of the report: {"as_of", "unit", "clock", "status", "due_before",
 * "items", "next_cursor"}, at most q->limit rows. *out is the caller's. */
enum cw_code clocks_report(struct db_pool *pool, const struct principal *p, const struct clocks_query *q,
			   json_t **out, struct cw_error *err);

/* The columns of a row, in order, as the CSV names them: the child, case
 * and episode ("child_id", ...), then each clock's ("case_plan.due_on", ...;
 * in the JSON, "due_on" of the object "case_plan"). */
#define CLOCKS_COLUMNS 22
extern const char *const clocks_columns[CLOCKS_COLUMNS];

/* The report as CSV, every row after q's position, read from the database a
 * chunk at a time so that memory stays flat whatever the rows: open holds a
 * connection of the pool until close; next appends the header (first call)
 * and the next chunk of rows to out, and answers 1 while more may follow, 0
 * at the end, -1 with err filled. close accepts NULL. */
struct clocks_csv;
enum cw_code clocks_csv_open(struct db_pool *pool, const struct principal *p, const struct clocks_query *q,
			     struct clocks_csv **out, struct cw_error *err);
int clocks_csv_next(struct clocks_csv *c, struct strbuf *out, struct cw_error *err);
void clocks_csv_close(struct clocks_csv *c);

#endif
