/*
 * access: who may see which records and do what, decided here and nowhere else.
 *
 * Seeing: every query that reads casework takes the caller's scope as its
 * first three parameters and filters with the SQL function cw_visible(), so
 * lists and single records obey the same rule. Doing: access_may() answers
 * for an action the role alone decides (the record may still be invisible,
 * which is a 404 decided by the query).
 *
 *   role           sees                       may
 *   caseworker     cases assigned to them     create (assigned to self), update
 *   supervisor     cases of their unit        create and update in the unit, reassign,
 *                                              approve (activate) the unit's plans
 *   administrator  everything                 everything, including delete and unit moves
 *   auditor        everything, and the audit  nothing else
 *   integration    everything                 create, update, reassign, unit moves,
 *                                              activate plans; no delete
 *
 * A token with several roles has the rights of each added together.
 *
 * Substance use treatment referrals (42 CFR Part 2) are narrower: the case's
 * assigned worker, a supervisor of its unit and administrators see them;
 * auditors and integrations only when the deployment discloses them
 * (CASEWORK_DISCLOSE_SUD=1, set once at start with access_disclose_sud()).
 */
#ifndef CW_ACCESS_H
#define CW_ACCESS_H

#include "auth.h"

enum access_action {
	ACCESS_WRITE,       /* create or update any casework record it can see */
	ACCESS_DELETE,
	ACCESS_REASSIGN,    /* change a case's assigned worker */
	ACCESS_MOVE_UNIT,   /* change a case's unit */
	ACCESS_READ_AUDIT,
	ACCESS_READ_CHANGES, /* the change feed: state systems, administrators, auditors */
	ACCESS_UPSERT,       /* create or replace a case by the state's case number */
};

/* The three leading parameters of every casework query: see-all ("t"/"f"),
 * the worker whose caseload is visible (or NULL), the visible unit (or NULL);
 * and for protected records, whether all of them are visible ("t"/"f"). The
 * strings point into p, which must outlive their use. */
struct access_scope {
	const char *see_all;
	const char *worker;
	const char *unit;
	const char *sud_all;
};

/* Whether auditors and integrations see substance use treatment referrals.
 * Called once, before requests are served. */
void access_disclose_sud(int disclose);

struct access_scope access_scope_of(const struct principal *p);

/* Whether the caller's roles allow the action at all. */
int access_may(const struct principal *p, enum access_action action);

/* Whether the caller may approve (activate) a plan of a case in case_unit:
 * administrators and integrations anywhere, supervisors in their own unit. */
int access_may_approve_plan(const struct principal *p, const char *case_unit);

/* Whether a substance use treatment referral of a case with this worker and
 * unit is visible: the same rule as the referral queries. */
int access_sees_sud(const struct principal *p, const char *worker, const char *unit);

/* Whether a record with this worker and unit is visible: the same rule as
 * cw_visible() in SQL, for checks in C on records about to be written. */
int access_sees(const struct principal *p, const char *worker, const char *unit);

#endif
