/*
 * cases: the rules and storage of a family's case.
 *
 * Every function takes the caller and applies lib/access's rules inside its
 * query: a case the caller may not see is CW_NOT_FOUND, exactly like one that
 * does not exist. Writes go through lib/resource.c: one audited transaction,
 * CW_OK meaning committed.
 *
 * Rules beyond single fields:
 *   - defaults: status open, opened_on today, assigned_worker the caller,
 *     unit the caller's unit, permanency_goal not_established, and
 *     permanency_goal_since opened_on (on create) or today (when the goal changes);
 *   - closing sets closed_on to today unless given; reopening clears closed_on
 *     and closure_reason; closed_on only on a closed case, not before opened_on;
 *   - opened_on, closed_on and permanency_goal_since are not in the future;
 *   - caseworkers create cases assigned to themselves and in their own unit;
 *     only supervisors, administrators and integration reassign; only
 *     administrators and integration move a case to another unit; only
 *     administrators delete.
 */
#ifndef CW_CASES_H
#define CW_CASES_H

#include "db.h"
#include "history.h"
#include "record.h"
#include "resource.h"
#include "validate.h"

extern const struct field_spec case_fields[];

/* Read, list, create, change and delete cases with lib/resource.c. */
extern const struct resource case_resource;

/* Whether a loaded case is closed. */
int cases_is_closed(const json_t *c);

/* By the state's case number: the visible case, or CW_NOT_FOUND. */
enum cw_code cases_get_by_number(struct db_pool *pool, const struct principal *p, const char *number,
				 struct record_text *out, struct cw_error *err);

/* PUT by the state's case number (administrators and integrations): creates
 * the case (*created = 1) or replaces it (see resource_put). The body's
 * case_number, when given, must be number. */
enum cw_code cases_put_by_number(struct db_pool *pool, const struct actor *actor, const char *number,
				 const json_t *body, const struct precondition *pre, struct record_text *out,
				 int *created, struct cw_error *err);

/* A page of every permanency goal the case has had, oldest first, as JSON
 * text (the caller frees it): {"items", "next_cursor"}. */
enum cw_code cases_permanency_goals(struct db_pool *pool, const struct principal *p, const char *id,
				    const struct history_position *pos, char **page, struct cw_error *err);

#endif
