/*
 * episodes: a child's removals into out-of-home care, one record each.
 *
 * An episode runs from removed_on to discharged_on (both days in care; open
 * while discharged_on is null), with the manner and reasons of the removal,
 * the reason of the discharge (required with its date, and only with it),
 * the child's permanency goal and a concurrent goal (another code, or none),
 * and a TPR exception. entered_care_on is read-only: the earlier of
 * removed_on + 60 days and the first held hearing within the episode that
 * found abuse or neglect (sql/018 keeps it as hearings change). Rules: only
 * a child has episodes (422 on participant_id); dates not in the future, the
 * removal not before birth, the discharge not before the removal; a child's
 * episodes never overlap, so only the latest may be open (CW_CONFLICT naming
 * the other episode); an episode's placements stay inside its dates (422).
 * Discharging an episode ends its open placement on that day (sql/016). The
 * participant's in_care_since / in_care_until are the latest episode's dates
 * (sql/016 keeps them, both ways). Episodes are seen by whoever sees the
 * case; deleting one hides its placements with it.
 */
#ifndef CW_EPISODES_H
#define CW_EPISODES_H

#include "resource.h"

extern const struct field_spec episode_fields[];
extern const struct resource episode_resource;

/* For writes of a child's dates (an episode's, or the participant's, which
 * are the latest episode's): CW_CONFLICT naming the child's other episode
 * that record's removed_field..discharged_field would overlap; field errors
 * when they would leave a placement of episode_id (NULL for a new episode)
 * outside. Nothing when field errors are already found. */
enum cw_code episodes_check_dates(struct db_conn *conn, const char *participant_id, const char *episode_id,
				  const json_t *record, const char *removed_field, const char *discharged_field,
				  struct cw_error *err);

#endif
