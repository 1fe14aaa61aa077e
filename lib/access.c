#include "access.h"

#include <stddef.h>
#include <string.h>

enum sight {
	SEES_ALL,
	SEES_CASELOAD,   /* cases assigned to the caller's sub */
	SEES_UNIT,       /* cases of the caller's unit (none without one) */
};

enum protected_sight {
	PROTECTED_AS_CASES,       /* the protected records of the cases it sees */
	PROTECTED_ALL,
	PROTECTED_WHEN_DISCLOSED, /* all of them when the deployment discloses them, else none */
};

struct role_rights {
	enum role role;
	enum sight sees;
	enum protected_sight sees_protected;
	unsigned may;
};

#define CASE_WRITES (ACCESS_WRITE | ACCESS_REASSIGN | ACCESS_MOVE_UNIT | ACCESS_APPROVE_PLAN | ACCESS_UPSERT | \
		     ACCESS_RENUMBER)

static const struct role_rights role_rights[] = {
	{ROLE_CASEWORKER, SEES_CASELOAD, PROTECTED_AS_CASES, ACCESS_WRITE},
	{ROLE_SUPERVISOR, SEES_UNIT, PROTECTED_AS_CASES, ACCESS_WRITE | ACCESS_REASSIGN | ACCESS_APPROVE_PLAN},
	{ROLE_ADMINISTRATOR, SEES_ALL, PROTECTED_ALL,
	 CASE_WRITES | ACCESS_DELETE | ACCESS_READ_AUDIT | ACCESS_READ_CHANGES},
	{ROLE_AUDITOR, SEES_ALL, PROTECTED_WHEN_DISCLOSED, ACCESS_READ_AUDIT | ACCESS_READ_CHANGES},
	{ROLE_INTEGRATION, SEES_ALL, PROTECTED_WHEN_DISCLOSED, CASE_WRITES | ACCESS_READ_CHANGES},
};

#define NROLES (sizeof(role_rights) / sizeof(role_rights[0]))

static int disclose_sud;

void access_disclose_sud(int disclose)
{
	disclose_sud = disclose;
}

/* The caller's role r, when it holds it and may do every action in actions. */
static int holds(const struct principal *p, const struct role_rights *r, unsigned actions)
{
	return (p->roles & r->role) && (r->may & actions) == actions;
}

static int sees_all_protected(const struct role_rights *r)
{
	return r->sees_protected == PROTECTED_ALL || (r->sees_protected == PROTECTED_WHEN_DISCLOSED && disclose_sud);
}

static int same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* Whether role r of p sees a record: the rule of cw_visible() and of the
 * protected-record filter, for one role. */
static int role_sees(const struct principal *p, const struct role_rights *r, const struct access_target *t)
{
	int sees_case = r->sees == SEES_ALL || (r->sees == SEES_CASELOAD && same(p->sub, t->worker)) ||
			(r->sees == SEES_UNIT && p->unit[0] != '\0' && same(p->unit, t->unit));

	if (!sees_case)
		return 0;
	return !t->protected_record || r->sees_protected == PROTECTED_AS_CASES || sees_all_protected(r);
}

/* The union of the scopes of p's roles that may do every action in actions. */
static struct access_scope scope_of_roles(const struct principal *p, unsigned actions)
{
	struct access_scope s = {"f", NULL, NULL, "f"};

	for (size_t i = 0; i < NROLES; i++) {
		const struct role_rights *r = &role_rights[i];

		if (!holds(p, r, actions))
			continue;
		if (r->sees == SEES_ALL)
			s.see_all = "t";
		if (r->sees == SEES_CASELOAD)
			s.worker = p->sub;
		if (r->sees == SEES_UNIT && p->unit[0] != '\0')
			s.unit = p->unit;
		if (sees_all_protected(r))
			s.sud_all = "t";
	}
	return s;
}

struct access_scope access_scope_of(const struct principal *p)
{
	return scope_of_roles(p, 0);
}

struct access_scope access_scope_for(const struct principal *p, unsigned actions)
{
	return scope_of_roles(p, actions);
}

int access_may(const struct principal *p, unsigned actions)
{
	for (size_t i = 0; i < NROLES; i++)
		if (holds(p, &role_rights[i], actions))
			return 1;
	return 0;
}

/* Why a request is refused: the first line naming an action it does. */
static const struct refusal {
	unsigned action;
	const char *why;            /* with %s, the kind of record */
} refusals[] = {
	{ACCESS_UPSERT, "Only integrations and administrators write %s records by number."},
	{ACCESS_DELETE, "Only administrators delete %s records."},
	{ACCESS_READ_AUDIT, "Only administrators and auditors read the audit trail."},
	{ACCESS_READ_CHANGES, "Only integrations, administrators and auditors read the change feed."},
	{ACCESS_WRITE, "Your role may not create or change %s records."},
};

enum cw_code access_authorize(const struct principal *p, unsigned actions, const char *noun, struct cw_error *err)
{
	if (access_may(p, actions))
		return CW_OK;
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (actions & refusals[i].action)
			return cw_fail(err, CW_FORBIDDEN, refusals[i].why, noun ? noun : "such");
	return cw_fail(err, CW_FORBIDDEN, "Your role may not do this.");
}

int access_allows(const struct principal *p, unsigned actions, const struct access_target *before,
		  const struct access_target *after)
{
	for (size_t i = 0; i < NROLES; i++) {
		const struct role_rights *r = &role_rights[i];

		if (holds(p, r, actions) && (before == NULL || role_sees(p, r, before)) &&
		    (after == NULL || role_sees(p, r, after)))
			return 1;
	}
	return 0;
}

int access_sees(const struct principal *p, const char *worker, const char *unit)
{
	const struct access_target t = {worker, unit, 0};

	return access_allows(p, 0, &t, NULL);
}
