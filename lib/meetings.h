/*
 * meetings: family team meetings (Team Decision Making, family team and
 * family group decision-making meetings), where decisions about a removal,
 * a placement, an exit from care or a plan are made with the family and its
 * network (DOMAIN.md, "Family-centred practice").
 *
 * held_on is not after the agency's today. participant_ids are 1 to 50
 * participants of the meeting's case (answered sorted); others_present are
 * people outside the case, by name and relationship; plan_id, when set, is a
 * plan of the same case (the plan the meeting produced or changed).
 */
#ifndef CW_MEETINGS_H
#define CW_MEETINGS_H

#include "resource.h"

#define MEETING_MAX_PEOPLE 50

extern const struct field_spec meeting_fields[];
extern const struct resource meeting_resource;

#endif
