/*
 * family_time_plans: how often, how long and how supervised a child's time
 * with some of the parents or relatives of the case is (DOMAIN.md, "Family
 * time").
 *
 * child_id names a child of the plan's case, person_ids 1 to 20 of its
 * parents or relatives (answered sorted); effective_on to ended_on (open when
 * null), ended_on not before effective_on. A child has one plan in force per
 * set of people at a time (sql/017, an exclusion constraint): a new plan for
 * the same people ends the one in force the day before it takes effect, in
 * the same transaction (a trigger, audited under the caller); any other
 * overlap is CW_CONFLICT.
 */
#ifndef CW_FAMILY_TIME_PLANS_H
#define CW_FAMILY_TIME_PLANS_H

#include "resource.h"

extern const struct field_spec family_time_plan_fields[];
extern const struct resource family_time_plan_resource;

#endif
