/*
 * visits: a caseworker's contact with the child, parents or caregivers, or
 * family time between parents and children.
 *
 * visited_at is an instant: RFC 3339 with any offset, stored and answered in
 * UTC; it is not in the future (five minutes are allowed for the clock of a
 * device in the field). The people at the visit (participant_ids) are
 * participants of the visit's case; a caseworker_child visit includes at
 * least one child. Visits stay recordable after the case closes (a visit is
 * often written up afterwards).
 */
#ifndef CW_VISITS_H
#define CW_VISITS_H

#include "cursor.h"
#include "resource.h"

#define VISIT_CLOCK_SKEW_SECONDS 300
#define VISIT_MAX_PARTICIPANTS 50

extern const struct field_spec visit_fields[];
extern const struct resource visit_resource;

enum visit_order { VISITS_BY_CREATION, VISITS_BY_TIME, VISITS_BY_TIME_DESC };

struct visit_filter {
	const char *case_id;           /* each NULL when not filtered */
	const char *visit_type;
	const char *from;              /* visited_at >= from (RFC 3339) */
	const char *to;                /* visited_at < to */
	const char *updated_since;
	enum visit_order order;
	const char *after_key;         /* keyset position: created_at or visited_at ... */
	const char *after_id;          /* ... and id */
	int limit;
};

/* The cursor kind of a list in this order. */
enum cursor_kind visits_cursor_kind(enum visit_order order);

enum cw_code visits_list(struct db_pool *pool, const struct principal *p, const struct visit_filter *f,
			 int require_case, char **page, struct cw_error *err);

#endif
