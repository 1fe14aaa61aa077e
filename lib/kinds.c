#include "kinds.h"

#include "cases.h"
#include "episodes.h"
#include "family_time_plans.h"
#include "goals.h"
#include "hearings.h"
#include "meetings.h"
#include "participants.h"
#include "placements.h"
#include "plans.h"
#include "referrals.h"
#include "visits.h"

const struct resource *const record_kinds[] = {
	&case_resource, &participant_resource, &plan_resource, &goal_resource, &progress_resource,
	&referral_resource, &visit_resource, &episode_resource, &placement_resource, &hearing_resource,
	&meeting_resource, &family_time_plan_resource, NULL,
};
