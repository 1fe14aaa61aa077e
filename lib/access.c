#include "access.h"

#include <string.h>

#define SEE_ALL_ROLES (ROLE_ADMINISTRATOR | ROLE_AUDITOR | ROLE_INTEGRATION)

static const unsigned roles_allowed[] = {
	[ACCESS_WRITE] = ROLE_CASEWORKER | ROLE_SUPERVISOR | ROLE_ADMINISTRATOR | ROLE_INTEGRATION,
	[ACCESS_DELETE] = ROLE_ADMINISTRATOR,
	[ACCESS_REASSIGN] = ROLE_SUPERVISOR | ROLE_ADMINISTRATOR | ROLE_INTEGRATION,
	[ACCESS_MOVE_UNIT] = ROLE_ADMINISTRATOR | ROLE_INTEGRATION,
	[ACCESS_READ_AUDIT] = ROLE_ADMINISTRATOR | ROLE_AUDITOR,
	[ACCESS_READ_CHANGES] = ROLE_ADMINISTRATOR | ROLE_AUDITOR | ROLE_INTEGRATION,
	[ACCESS_UPSERT] = ROLE_ADMINISTRATOR | ROLE_INTEGRATION,
};

static int disclose_sud;

void access_disclose_sud(int disclose)
{
	disclose_sud = disclose;
}

static int sees_all_sud(const struct principal *p)
{
	return (p->roles & ROLE_ADMINISTRATOR) ||
	       (disclose_sud && (p->roles & (ROLE_AUDITOR | ROLE_INTEGRATION)));
}

struct access_scope access_scope_of(const struct principal *p)
{
	struct access_scope s = {"f", NULL, NULL, "f"};

	if (p->roles & SEE_ALL_ROLES)
		s.see_all = "t";
	if (sees_all_sud(p))
		s.sud_all = "t";
	if (p->roles & ROLE_CASEWORKER)
		s.worker = p->sub;
	if ((p->roles & ROLE_SUPERVISOR) && p->unit[0] != '\0')
		s.unit = p->unit;
	return s;
}

int access_may(const struct principal *p, enum access_action action)
{
	return (p->roles & roles_allowed[action]) != 0;
}

int access_may_approve_plan(const struct principal *p, const char *case_unit)
{
	if (p->roles & (ROLE_ADMINISTRATOR | ROLE_INTEGRATION))
		return 1;
	return (p->roles & ROLE_SUPERVISOR) && p->unit[0] != '\0' && case_unit != NULL &&
	       strcmp(p->unit, case_unit) == 0;
}

int access_sees_sud(const struct principal *p, const char *worker, const char *unit)
{
	struct access_scope s = access_scope_of(p);

	return s.sud_all[0] == 't' || (s.worker && worker && strcmp(s.worker, worker) == 0) ||
	       (s.unit && unit && strcmp(s.unit, unit) == 0);
}

int access_sees(const struct principal *p, const char *worker, const char *unit)
{
	struct access_scope s = access_scope_of(p);

	return s.see_all[0] == 't' || (s.worker && worker && strcmp(s.worker, worker) == 0) ||
	       (s.unit && unit && strcmp(s.unit, unit) == 0);
}
