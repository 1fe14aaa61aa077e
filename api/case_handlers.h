/*
 * case_handlers: what only cases answer, beside the record handlers: a case
 * by the state's number, and its permanency goals.
 */
#ifndef CW_CASE_HANDLERS_H
#define CW_CASE_HANDLERS_H

#include "http.h"

/* GET /v1/cases/by-number/{number}: the visible case with that number. */
enum cw_code get_case_by_number(struct exchange *x);

/* PUT /v1/cases/by-number/{number}: 201 with Location when created, 200 when replaced. */
enum cw_code put_case_by_number(struct exchange *x);

/* GET /v1/cases/{id}/permanency-goals: every goal the case has had, oldest first. */
enum cw_code list_case_permanency_goals(struct exchange *x);

#endif
