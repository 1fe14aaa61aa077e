/*
 * participants: the people in a case (children, parents, caregivers,
 * relatives, foster parents, others), whom visits, goals and referrals name.
 *
 * Rules: first_name, last_name and role are required; date_of_birth is not in
 * the future; time in care (in_care_since, the removal; in_care_until, the
 * discharge) is a child's only, not in the future, not before birth, and the
 * discharge is neither without a removal nor before it. A participant is seen
 * by whoever sees the case, and stays editable after the case closes
 * (discharge dates are often recorded afterwards). A participant that live
 * goals, referrals, visits, hearings, meetings or family-time plans name
 * cannot be deleted (CW_CONFLICT).
 */
#ifndef CW_PARTICIPANTS_H
#define CW_PARTICIPANTS_H

#include "resource.h"

extern const struct field_spec participant_fields[];
extern const struct resource participant_resource;

/* For records that name participants: CW_OK when id is a participant of
 * case_id (not deleted); otherwise a field error on field. */
enum cw_code participants_check_in_case(struct db_conn *conn, const char *id, const char *case_id,
					const char *field, struct cw_error *err);

/* For records that name several participants: an object mapping each id in
 * ids (a JSON array) that is a live participant of case_id to its role
 * (caller decrefs). */
enum cw_code participants_roles(struct db_conn *conn, const char *case_id, const json_t *ids, json_t **roles,
				struct cw_error *err);

/* For records that name participants in a role: a field error on field for
 * each id of ids (canonical UUIDs: a JSON array, or one string) that is not a
 * live participant of case_id, or whose role is none of roles (NULL-terminated;
 * NULL for any), "is not <what> (role is <role>)". Locks them (shared) until
 * the transaction ends, so that their roles stay as checked. With found, the
 * roles of those that are participants, {id: role} (the caller decrefs; NULL
 * when the check failed). CW_OK unless the database fails. */
enum cw_code participants_check_roles(struct db_conn *conn, const char *case_id, const json_t *ids,
				      const char *const *roles, const char *field, const char *what,
				      json_t **found, struct cw_error *err);

#endif
