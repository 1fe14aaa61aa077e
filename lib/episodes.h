/*
 * episodes: a child's removals into out-of-home care, one record each.
 *
 * An episode runs from removed_on to discharged_on (both days in care; open
 * while discharged_on is null), with the manner and reasons of the removal,
 * the reason of the discharge (required with its date), the child's
 * permanency goal and a concurrent goal (another code, or none), and a TPR
 * exception. entered_care_on is read-only: removed_on + 60 days, until
 * hearings are recorded. A child's episodes never overlap, so only the
 * latest may be open; the participant's in_care_since / in_care_until are
 * the latest episode's dates (sql/016 keeps them, both ways).
 */
#ifndef CW_EPISODES_H
#define CW_EPISODES_H

#include "resource.h"

extern const struct field_spec episode_fields[];
extern const struct resource episode_resource;

#endif
