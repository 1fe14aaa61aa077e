/*
 * goals: the behaviour-change statements of a plan, and the dated notes on
 * progress toward them.
 *
 * A goal belongs to a plan (and through it to a case); it may name the
 * participant it is for, who must be in the same case. Goals are added while
 * the plan is a draft; on an active plan only their status and achieved_on
 * change; once the plan is completed or superseded, or the case closed, they
 * are read-only (CW_CONFLICT).
 *
 * Status: not_started -> in_progress | discontinued; in_progress -> achieved |
 * not_achieved | discontinued; the last three are final. achieved_on is set
 * (today unless given) when a goal is achieved, and only then.
 *
 * Progress notes are written once, by whoever may write the case, while the
 * plan is a draft or active: noted_on (today unless given, not in the future)
 * and the note; the author is the caller.
 */
#ifndef CW_GOALS_H
#define CW_GOALS_H

#include "resource.h"

extern const struct field_spec goal_fields[];
extern const struct resource goal_resource;
extern const struct field_spec progress_fields[];
extern const struct resource progress_resource;

/* For records that name goals: a field error on field unless id is a goal of
 * case_id (not deleted). */
enum cw_code goals_check_in_case(struct db_conn *conn, const char *id, const char *case_id, const char *field,
				 struct cw_error *err);

#endif
