/* handlers: every route's handler, one file per resource. */
#ifndef CW_HANDLERS_H
#define CW_HANDLERS_H

#include "http.h"

/* health.c */
enum cw_code handle_healthz(struct exchange *x);
enum cw_code handle_readyz(struct exchange *x);

/* openapi.c */
enum cw_code get_openapi_yaml(struct exchange *x);
enum cw_code get_openapi_json(struct exchange *x);

/* cases.c */
enum cw_code list_cases(struct exchange *x);
enum cw_code create_case(struct exchange *x);
enum cw_code get_case(struct exchange *x);
enum cw_code get_case_history(struct exchange *x);
enum cw_code patch_case(struct exchange *x);
enum cw_code delete_case(struct exchange *x);
enum cw_code list_case_permanency_goals(struct exchange *x);
enum cw_code get_case_by_number(struct exchange *x);
enum cw_code put_case_by_number(struct exchange *x);

/* participants.c */
enum cw_code list_case_participants(struct exchange *x);
enum cw_code list_participants(struct exchange *x);
enum cw_code create_participant(struct exchange *x);
enum cw_code get_participant(struct exchange *x);
enum cw_code get_participant_history(struct exchange *x);
enum cw_code patch_participant(struct exchange *x);
enum cw_code delete_participant(struct exchange *x);

/* plans.c */
enum cw_code list_case_plans(struct exchange *x);
enum cw_code list_plans(struct exchange *x);
enum cw_code create_plan(struct exchange *x);
enum cw_code get_plan(struct exchange *x);
enum cw_code get_plan_history(struct exchange *x);
enum cw_code patch_plan(struct exchange *x);
enum cw_code delete_plan(struct exchange *x);

/* goals.c */
enum cw_code list_plan_goals(struct exchange *x);
enum cw_code list_goals(struct exchange *x);
enum cw_code create_goal(struct exchange *x);
enum cw_code get_goal(struct exchange *x);
enum cw_code get_goal_history(struct exchange *x);
enum cw_code patch_goal(struct exchange *x);
enum cw_code delete_goal(struct exchange *x);
enum cw_code list_goal_progress(struct exchange *x);
enum cw_code create_goal_progress(struct exchange *x);
enum cw_code get_goal_progress(struct exchange *x);

/* referrals.c */
enum cw_code list_case_referrals(struct exchange *x);
enum cw_code list_referrals(struct exchange *x);
enum cw_code create_referral(struct exchange *x);
enum cw_code get_referral(struct exchange *x);
enum cw_code patch_referral(struct exchange *x);
enum cw_code delete_referral(struct exchange *x);
enum cw_code list_referral_history(struct exchange *x);

/* visits.c */
enum cw_code list_case_visits(struct exchange *x);
enum cw_code list_visits(struct exchange *x);
enum cw_code create_visit(struct exchange *x);
enum cw_code get_visit(struct exchange *x);
enum cw_code get_visit_history(struct exchange *x);
enum cw_code patch_visit(struct exchange *x);
enum cw_code delete_visit(struct exchange *x);

/* hearing_handlers.c */
enum cw_code list_case_hearings(struct exchange *x);
enum cw_code list_hearings(struct exchange *x);
enum cw_code create_hearing(struct exchange *x);
enum cw_code get_hearing(struct exchange *x);
enum cw_code get_hearing_history(struct exchange *x);
enum cw_code patch_hearing(struct exchange *x);
enum cw_code delete_hearing(struct exchange *x);

/* reports.c */
enum cw_code report_visit_compliance(struct exchange *x);
enum cw_code report_plan_reviews(struct exchange *x);
enum cw_code report_referral_outcomes(struct exchange *x);

/* changes.c */
enum cw_code list_changes(struct exchange *x);

/* audit.c */
enum cw_code list_audit(struct exchange *x);

#endif
