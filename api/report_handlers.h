/*
 * report_handlers: the reports, as JSON, or as CSV when the client asks with
 * Accept: text/csv; and an episode's federal clocks, its row of the
 * federal-clocks report.
 */
#ifndef CW_REPORT_HANDLERS_H
#define CW_REPORT_HANDLERS_H

#include "http.h"

/* GET /v1/reports/visit-compliance?from=YYYY-MM&to=YYYY-MM[&unit=] */
enum cw_code report_visit_compliance(struct exchange *x);

/* GET /v1/reports/plan-reviews[?due_within_days=&unit=&limit=&cursor=] */
enum cw_code report_plan_reviews(struct exchange *x);

/* GET /v1/reports/placement-stability?from=YYYY-MM-DD&to=YYYY-MM-DD[&unit=&limit=&cursor=] */
enum cw_code report_placement_stability(struct exchange *x);

/* GET /v1/reports/referral-outcomes?from=YYYY-MM-DD&to=YYYY-MM-DD */
enum cw_code report_referral_outcomes(struct exchange *x);

/* GET /v1/reports/family-time?from=YYYY-MM&to=YYYY-MM[&unit=&limit=&cursor=] */
enum cw_code report_family_time(struct exchange *x);

/* GET /v1/reports/federal-clocks[?unit=&clock=&status=&due_before=&limit=&cursor=]: as CSV
 * without limit, every row, streamed as the client reads it. */
enum cw_code report_federal_clocks(struct exchange *x);

/* GET /v1/episodes/{id}/clocks */
enum cw_code get_episode_clocks(struct exchange *x);

#endif
