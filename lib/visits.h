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

#endif
