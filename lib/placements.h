/*
 * placements: where a child lives during a removal episode.
 *
 * A placement starts on started_on and, once it ends, ends on ended_on with an
 * end_reason (required together, and only together); its setting is
 * required. Rules: dates not in the future, the end not before the start;
 * it lies inside its episode, from the removal to the discharge (422); the
 * episode's placements do not overlap, except that one may end on the day
 * the next starts, a move day, when the child's placement is the one that
 * starts (CW_CONFLICT naming the other placement). episode_id,
 * participant_id and case_id are the episode's. Seen by whoever sees the
 * case, while the episode and the child are live.
 */
#ifndef CW_PLACEMENTS_H
#define CW_PLACEMENTS_H

#include "episodes.h"
#include "resource.h"

extern const struct field_spec placement_fields[];
extern const struct resource placement_resource;

#endif
