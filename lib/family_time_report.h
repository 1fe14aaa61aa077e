/*
 * family_time_report: family time planned and delivered, exactly as DOMAIN.md
 * ("Family-centred practice") defines it, over the caller's visible cases.
 *
 * A plan-month is a (family-time plan, calendar month) in which the plan was
 * in force every day of the month: the month in which a plan starts or ends,
 * unless on its first or last day, counts for no plan. For each: planned =
 * the plan's visits_per_month; delivered = family_time visits, not virtual,
 * of the plan's child with at least one of the plan's people, inside the
 * month in UTC. delivered_within_plan = min(delivered, planned), so extra
 * visits in one month never make up for a missed one; delivery_rate =
 * sum(delivered_within_plan) / sum(planned), rounded half up to 4 places, or
 * null when nothing was planned.
 *
 * The answer: the range and unit; overall and per month, children (with at
 * least one plan-month), plan_months, planned, delivered,
 * delivered_within_plan and delivery_rate; and the shortfalls, one per
 * plan-month whose delivered is below planned (what a caseworker must explain
 * to the court), by child, month and plan, paged: at most pos->limit of them,
 * then next_cursor (null on the last page). Every page carries the whole
 * summary, so an answer's size is bounded by the range (at most 120 months)
 * and the limit.
 *
 * One statement on the pool given (the report pool): CW_BUSY when all its
 * connections are taken, CW_UNAVAILABLE when it runs past the pool's timeout.
 */
#ifndef CW_FAMILY_TIME_REPORT_H
#define CW_FAMILY_TIME_REPORT_H

#include <jansson.h>

#include "auth.h"
#include "db.h"

/* Where a page of shortfalls starts: after the one last shown, by (child,
 * month, plan). */
struct family_time_position {
	int limit;
	int after;                  /* 0 on the first page */
	char after_child[37];
	char after_month[11];       /* YYYY-MM-01 */
	char after_plan[37];
};

/* 0 with pos's after fields set when text is a cursor of this report. */
int family_time_cursor_read(const char *text, struct family_time_position *pos);

/* from and to are first days of months (YYYY-MM-01), from <= to; unit may be
 * NULL. *out is the report (caller decrefs). */
enum cw_code family_time_report(struct db_pool *pool, const struct principal *p, const char *from, const char *to,
				const char *unit, const struct family_time_position *pos, json_t **out,
				struct cw_error *err);

#endif
