/*
 * reports: the numbers reporting scripts ask for, computed in the database
 * over the caller's visible cases.
 *
 * visit compliance  the federal monthly caseworker visit measure, exactly as
 *                   DOMAIN.md defines it, overall and per month, with the
 *                   federal targets (95 % of full months in care with a
 *                   visit, 50 % of those visits in the child's residence);
 *                   whether a month meets them is decided on the counts, not
 *                   on the rounded rates.
 * plan reviews      active plans whose review is due within N days or
 *                   overdue, most overdue first.
 * placement stability  children in care in a range of days, their days in
 *                   care and their moves of placement (DOMAIN.md), overall
 *                   and per child, a page of children at a time.
 * referral outcomes referrals made in a range of dates by service type and
 *                   current status, with each type's completion rate
 *                   (completed / all of that type); substance use treatment
 *                   referrals count only for those who may see them.
 *
 * Rates are numbers rounded to 4 decimals, or null when their denominator is 0.
 *
 * Each report is one statement on the pool given, normally the service's
 * report pool: CW_BUSY when all its connections are taken, CW_UNAVAILABLE
 * when the statement outlives the pool's statement timeout.
 */
#ifndef CW_REPORTS_H
#define CW_REPORTS_H

#include <jansson.h>

#include "auth.h"
#include "cursor.h"
#include "db.h"

#define REPORT_VISIT_TARGET_PERCENT 95
#define REPORT_RESIDENCE_TARGET_PERCENT 50

/* from and to are first days of months (YYYY-MM-01); unit may be NULL. *out
 * is the report (caller decrefs). */
enum cw_code reports_visit_compliance(struct db_pool *pool, const struct principal *p, const char *from,
				      const char *to, const char *unit, json_t **out, struct cw_error *err);

/* Where a page of the plan-review report starts: after the plan last shown,
 * by the report's order (review_due_on, case_number, plan_id). */
struct plan_review_position {
	int limit;
	int after;                                  /* 0 on the first page */
	char after_due[11];                         /* YYYY-MM-DD */
	char after_number[CURSOR_EXTRA_MAX + 1];
	char after_plan[37];
};

/* 0 with pos's after fields set when text is a cursor of the report. */
int reports_plan_review_cursor_read(const char *text, struct plan_review_position *pos);

/* A page of the reviews due on or before today + due_within_days: {"as_of",
 * "due_within_days", "unit", "items", "next_cursor"}, at most pos->limit
 * items, each of bounded size. *out is the caller's to decref. */
enum cw_code reports_plan_reviews(struct db_pool *pool, const struct principal *p, const char *today,
				  int due_within_days, const char *unit, const struct plan_review_position *pos,
				  json_t **out, struct cw_error *err);

/* Where a page of the placement-stability report's children starts: after
 * the child last shown, by the report's order (case_number, child). */
struct stability_position {
	int limit;
	int after;                                  /* 0 on the first page */
	char after_number[CURSOR_EXTRA_MAX + 1];
	char after_child[37];
};

/* 0 with pos's after fields set when text is a cursor of the report. */
int reports_stability_cursor_read(const char *text, struct stability_position *pos);

/* Placement stability over the days from..to (YYYY-MM-DD, both included): the
 * whole range's figures {"from", "to", "unit", "children", "days_in_care",
 * "moves", "moves_per_1000_days"}, and a page of at most pos->limit children
 * with their own ("items", "next_cursor"). *out is the caller's to decref. */
enum cw_code reports_placement_stability(struct db_pool *pool, const struct principal *p, const char *from,
					 const char *to, const char *unit, const struct stability_position *pos,
					 json_t **out, struct cw_error *err);

/* Referrals with referred_on from..to (inclusive dates). */
enum cw_code reports_referral_outcomes(struct db_pool *pool, const struct principal *p, const char *from,
				       const char *to, json_t **out, struct cw_error *err);

/* db_query() for a report, with its two refusals said in a report's terms:
 * CW_BUSY when every connection of the pool is taken, CW_UNAVAILABLE when the
 * statement ran past the pool's timeout. */
PGresult *report_query(struct db_pool *pool, const struct db_statement *stmt, const char *const *params,
		       struct cw_error *err);

/* The same refusals for a report that runs its statements itself: rewrites
 * err when it is one of them; answers err->code. */
enum cw_code report_refusal(struct cw_error *err);

/* numerator / denominator rounded to 4 decimals, or JSON null when the
 * denominator is 0. */
json_t *report_rate(long long numerator, long long denominator);

/* count x 1000 / days rounded half up to 2 decimals, or JSON null when days
 * is 0. */
json_t *report_per_thousand(long long count, long long days);

#endif
