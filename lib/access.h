/*
 * access: who may see which records and do what, decided here and nowhere else.
 *
 * Each role has its own rights: what it sees and which actions it may do.
 *
 *   role           sees                       may
 *   caseworker     cases assigned to them     write (cases they create are assigned to
 *                                              themselves, in their own unit)
 *   supervisor     cases of their unit        write, reassign, approve (activate) plans
 *   administrator  everything                 everything, including delete and unit moves
 *   auditor        everything, and the audit  read the audit trail and the change feed
 *   integration    everything                 write, reassign, move units, approve plans,
 *                                              write cases by number, change case numbers,
 *                                              read the change feed; no delete
 *
 * A token with several roles reads what any of its roles sees (the union).
 * An action is allowed on a record only when one single role of the token both
 * sees that record (before and after the change) and may do every action the
 * request does: seeing everything as an auditor never lets a caseworker write
 * what it sees.
 *
 * Seeing: every query that reads casework takes a scope as its first three
 * parameters and filters with the SQL function cw_visible(), so lists and
 * single records obey the same rule. Reads take access_scope_of() (every
 * role); a write finds its record under access_scope_for() the actions it
 * does (only the roles that may do them). A record the read scope sees but
 * the action's scope does not is refused (403); one no role sees is not found
 * (404), exactly like one that does not exist. For one action the scope is
 * exact: a record is in it when one role that may do the action sees it.
 * Writes that do several actions at once (a reassignment, a unit move, a plan
 * approval) ask access_allows() with the record before and after the change.
 *
 * Substance use treatment referrals (42 CFR Part 2) are narrower: the case's
 * assigned worker, a supervisor of its unit and administrators see them;
 * auditors and integrations only when the deployment discloses them
 * (CASEWORK_DISCLOSE_SUD=1, set once at start with access_disclose_sud()).
 */
#ifndef CW_ACCESS_H
#define CW_ACCESS_H

#include "auth.h"
#include "error.h"

/* What a request does, as bits: a write names every action it does. */
enum access_action {
	ACCESS_WRITE = 1u << 0,         /* create or update a casework record */
	ACCESS_DELETE = 1u << 1,
	ACCESS_REASSIGN = 1u << 2,      /* assign a case to a worker other than the caller, or change it */
	ACCESS_MOVE_UNIT = 1u << 3,     /* put a case in a unit other than the caller's, or change it */
	ACCESS_APPROVE_PLAN = 1u << 4,  /* make a plan active */
	ACCESS_UPSERT = 1u << 5,        /* create or replace a case by the state's case number */
	ACCESS_RENUMBER = 1u << 6,      /* change a case's case_number after creation */
	ACCESS_READ_AUDIT = 1u << 7,
	ACCESS_READ_CHANGES = 1u << 8,  /* the change feed */
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

/* A record as access sees it: its case's assigned worker and unit (NULL when
 * none), and whether it is a substance use treatment referral. */
struct access_target {
	const char *worker;
	const char *unit;
	int protected_record;
};

/* Whether auditors and integrations see substance use treatment referrals.
 * Called once, before requests are served. */
void access_disclose_sud(int disclose);

/* What the caller reads: the union of what each of its roles sees. */
struct access_scope access_scope_of(const struct principal *p);

/* What the caller may do actions (a set of enum access_action bits) on: the
 * union of what each role that may do all of them sees. Sees nothing when no
 * role may. */
struct access_scope access_scope_for(const struct principal *p, unsigned actions);

/* Whether one role of the caller may do every action in actions somewhere. */
int access_may(const struct principal *p, unsigned actions);

/* The authorisation step of every request, taken once, after the caller is
 * known and before anything else of the request (its path's records, its
 * query, its body) is judged: CW_OK when one role of the caller may do every
 * action the request does somewhere; otherwise CW_FORBIDDEN, saying why
 * (noun names the kind of record, or is NULL). Which records the caller may
 * do them on is decided later, record by record (access_scope_for,
 * access_allows). */
enum cw_code access_authorize(const struct principal *p, unsigned actions, const char *noun, struct cw_error *err);

/* Whether one single role of the caller may do every action in actions and
 * sees the record both before (NULL on create) and after (NULL on delete) the
 * change. */
int access_allows(const struct principal *p, unsigned actions, const struct access_target *before,
		  const struct access_target *after);

/* Whether the caller reads a record of a case with this worker and unit: the
 * same rule as cw_visible() under access_scope_of(). */
int access_sees(const struct principal *p, const char *worker, const char *unit);

#endif
