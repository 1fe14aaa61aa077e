/*
 * placements: where a child lives during a removal episode.
 *
 * A placement starts on started_on and, once it ends, ends on ended_on with an
 * end_reason (required together). It lies inside its episode, and a child's
 * placements do not overlap, except that one may end on the day the next
 * starts (a move day, when the child's placement is the one that starts).
 * participant_id and case_id are the episode's.
 */
#ifndef CW_PLACEMENTS_H
#define CW_PLACEMENTS_H

#include "resource.h"

extern const struct field_spec placement_fields[];
extern const struct resource placement_resource;

#endif
