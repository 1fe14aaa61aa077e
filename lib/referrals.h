/*
 * referrals: a participant referred to a provider for a service, followed to
 * its end.
 *
 * Lifecycle: created as referred; referred -> accepted | declined | cancelled;
 * accepted -> in_progress | cancelled; in_progress -> completed | cancelled;
 * declined, completed and cancelled are final. A forbidden move is
 * CW_CONFLICT naming the allowed ones. status_changed_on is the date of the
 * latest move (referred_on at first, today unless given on a move; not in the
 * future, not before referred_on or the move before); every status with its
 * date is kept (referrals_history).
 *
 * The participant and the goal a referral names must be of its case.
 *
 * Substance use treatment referrals (42 CFR Part 2) are seen only by the
 * case's assigned worker, a supervisor of its unit and administrators, and by
 * auditors and integrations when the deployment discloses them: every query
 * applies it, and a caller who could not see such a referral may not write
 * one (CW_FORBIDDEN).
 */
#ifndef CW_REFERRALS_H
#define CW_REFERRALS_H

#include "history.h"
#include "resource.h"

#define REFERRAL_PROTECTED_TYPE "substance_use_treatment"
#define REFERRAL_SERVICE_TYPES 10
#define REFERRAL_STATUSES 6

/* NULL-terminated, in the order reports list them. */
extern const char *const referral_service_types[REFERRAL_SERVICE_TYPES + 1];
extern const char *const referral_statuses[REFERRAL_STATUSES + 1];

extern const struct field_spec referral_fields[];
extern const struct resource referral_resource;

#endif
