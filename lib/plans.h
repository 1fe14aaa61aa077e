/*
 * plans: a case's plan with the family, drafted, approved, reviewed.
 *
 * Lifecycle: a plan is created as a draft; a supervisor of the case's unit, an
 * administrator or an integration makes it active, which stamps approved_by
 * and approved_at (in the database, from the transaction's actor) and
 * supersedes the case's previous active plan in the same transaction; an
 * active plan becomes completed, and so does it when its case closes (in the
 * database, with the case's change). Completed and superseded are final. Every
 * write to a plan locks its case, so two activations take turns, and a unique
 * index leaves at most one active plan per case whatever happens.
 *
 * Rules: review_due_on defaults to six months after effective_on (and follows
 * it while it is that default) and is not before it; an active plan's content
 * is fixed (only review_due_on and the move to completed change it); a closed
 * case's plans are read-only (CW_CONFLICT).
 */
#ifndef CW_PLANS_H
#define CW_PLANS_H

#include "resource.h"

#define PLAN_REVIEW_MONTHS 6

extern const struct field_spec plan_fields[];
extern const struct resource plan_resource;

/* For records under a plan: CW_CONFLICT when the plan or its case no longer
 * changes (case closed, plan completed or superseded). what names them ("goals"). */
enum cw_code plans_check_open(struct db_conn *conn, const struct principal *p, const json_t *plan,
			      const char *what, struct cw_error *err);

#endif
