/* access: who sees which records and may do what; rights of several roles add up. */
#include "access.h"

#include "check.h"

static struct principal who(const char *sub, const char *unit, unsigned roles)
{
	struct principal p = {.roles = roles};

	snprintf(p.sub, sizeof(p.sub), "%s", sub);
	snprintf(p.unit, sizeof(p.unit), "%s", unit);
	return p;
}

/* Every action the role set may do, as a bit per enum access_action. */
static unsigned rights(unsigned roles)
{
	struct principal p = who("someone", "north", roles);
	unsigned bits = 0;

	for (int a = ACCESS_WRITE; a <= ACCESS_READ_AUDIT; a++)
		if (access_may(&p, (enum access_action)a))
			bits |= 1u << a;
	return bits;
}

#define MAY(a) (1u << (a))

static void test_scope_of_caseworker_is_their_caseload(void)
{
	struct principal p = who("cw-1", "north", ROLE_CASEWORKER);
	struct access_scope s = access_scope_of(&p);

	CHECK_STR(s.see_all, "f");
	CHECK(s.worker == p.sub);
	CHECK(s.unit == NULL);  /* a caseworker's unit does not widen what they see */
}

static void test_scope_of_supervisor_is_their_unit(void)
{
	struct principal p = who("sup-1", "north", ROLE_SUPERVISOR);
	struct principal no_unit = who("sup-2", "", ROLE_SUPERVISOR);
	struct access_scope s = access_scope_of(&p);

	CHECK_STR(s.see_all, "f");
	CHECK(s.worker == NULL);
	CHECK(s.unit == p.unit);
	s = access_scope_of(&no_unit);
	CHECK_STR(s.see_all, "f");
	CHECK(s.worker == NULL && s.unit == NULL);
}

static void test_scope_of_administrator_auditor_and_integration_is_everything(void)
{
	static const unsigned see_all[] = {ROLE_ADMINISTRATOR, ROLE_AUDITOR, ROLE_INTEGRATION};

	for (size_t i = 0; i < sizeof(see_all) / sizeof(see_all[0]); i++) {
		struct principal p = who("x", "north", see_all[i]);
		struct access_scope s = access_scope_of(&p);

		CHECK_STR(s.see_all, "t");
		CHECK(s.worker == NULL && s.unit == NULL);
	}
}

static void test_scope_of_combined_roles_adds_up(void)
{
	struct principal p = who("cw-1", "north", ROLE_CASEWORKER | ROLE_SUPERVISOR);
	struct access_scope s = access_scope_of(&p);

	CHECK_STR(s.see_all, "f");
	CHECK(s.worker == p.sub && s.unit == p.unit);
	p = who("cw-1", "north", ROLE_CASEWORKER | ROLE_AUDITOR);
	s = access_scope_of(&p);
	CHECK_STR(s.see_all, "t");
}

static void test_scope_without_roles_sees_nothing(void)
{
	struct principal p = who("nobody", "north", 0);
	struct access_scope s = access_scope_of(&p);

	CHECK_STR(s.see_all, "f");
	CHECK(s.worker == NULL && s.unit == NULL);
}

static void test_each_role_may_do_what_the_table_says(void)
{
	CHECK(rights(ROLE_CASEWORKER) == MAY(ACCESS_WRITE));
	CHECK(rights(ROLE_SUPERVISOR) == (MAY(ACCESS_WRITE) | MAY(ACCESS_REASSIGN)));
	CHECK(rights(ROLE_ADMINISTRATOR) == (MAY(ACCESS_WRITE) | MAY(ACCESS_DELETE) | MAY(ACCESS_REASSIGN) |
					     MAY(ACCESS_MOVE_UNIT) | MAY(ACCESS_READ_AUDIT)));
	CHECK(rights(ROLE_AUDITOR) == MAY(ACCESS_READ_AUDIT));
	CHECK(rights(ROLE_INTEGRATION) == (MAY(ACCESS_WRITE) | MAY(ACCESS_REASSIGN) | MAY(ACCESS_MOVE_UNIT)));
	CHECK(rights(0) == 0);
}

static void test_rights_of_several_roles_add_up(void)
{
	CHECK(rights(ROLE_CASEWORKER | ROLE_AUDITOR) == (MAY(ACCESS_WRITE) | MAY(ACCESS_READ_AUDIT)));
	CHECK(rights(ROLE_SUPERVISOR | ROLE_INTEGRATION) ==
	      (MAY(ACCESS_WRITE) | MAY(ACCESS_REASSIGN) | MAY(ACCESS_MOVE_UNIT)));
	CHECK(rights(ROLE_INTEGRATION | ROLE_AUDITOR) ==
	      (MAY(ACCESS_WRITE) | MAY(ACCESS_REASSIGN) | MAY(ACCESS_MOVE_UNIT) | MAY(ACCESS_READ_AUDIT)));
	CHECK(rights(ROLE_CASEWORKER | ROLE_SUPERVISOR | ROLE_ADMINISTRATOR | ROLE_AUDITOR | ROLE_INTEGRATION) ==
	      rights(ROLE_ADMINISTRATOR));
}

static void test_caseworker_cannot_see_other_caseload(void)
{
	struct principal p = who("cw-1", "north", ROLE_CASEWORKER);

	CHECK(access_sees(&p, "cw-1", "north"));
	CHECK(access_sees(&p, "cw-1", "south"));  /* their own case, in any unit */
	CHECK(!access_sees(&p, "cw-2", "north"));
	CHECK(!access_sees(&p, NULL, "north"));
	CHECK(!access_sees(&p, "cw-10", NULL));
	CHECK(!access_sees(&p, "CW-1", NULL));
}

static void test_supervisor_sees_their_unit_only(void)
{
	struct principal p = who("sup-1", "north", ROLE_SUPERVISOR);
	struct principal no_unit = who("sup-1", "", ROLE_SUPERVISOR);

	CHECK(access_sees(&p, "cw-2", "north"));
	CHECK(access_sees(&p, NULL, "north"));
	CHECK(!access_sees(&p, "cw-2", "south"));
	CHECK(!access_sees(&p, "sup-1", "south"));  /* not a caseworker: no own caseload */
	CHECK(!access_sees(&p, "cw-2", NULL));
	CHECK(!access_sees(&p, "cw-2", "northeast"));
	CHECK(!access_sees(&no_unit, "cw-2", ""));
	CHECK(!access_sees(&no_unit, "cw-2", "north"));
}

static void test_see_all_roles_see_every_record(void)
{
	static const unsigned see_all[] = {ROLE_ADMINISTRATOR, ROLE_AUDITOR, ROLE_INTEGRATION};

	for (size_t i = 0; i < sizeof(see_all) / sizeof(see_all[0]); i++) {
		struct principal p = who("x", "", see_all[i]);

		CHECK(access_sees(&p, "cw-2", "south"));
		CHECK(access_sees(&p, NULL, NULL));
	}
}

static void test_caseworker_and_supervisor_sees_both_scopes(void)
{
	struct principal p = who("cw-1", "north", ROLE_CASEWORKER | ROLE_SUPERVISOR);
	struct principal none = who("cw-1", "north", 0);

	CHECK(access_sees(&p, "cw-1", "south"));
	CHECK(access_sees(&p, "cw-2", "north"));
	CHECK(!access_sees(&p, "cw-2", "south"));
	CHECK(!access_sees(&none, "cw-1", "north"));
}

static void test_substance_use_referrals_are_seen_by_worker_unit_supervisor_and_administrator(void)
{
	struct principal worker = who("cw-1", "north", ROLE_CASEWORKER);
	struct principal other = who("cw-2", "north", ROLE_CASEWORKER);
	struct principal supervisor = who("sv-1", "north", ROLE_SUPERVISOR);
	struct principal admin = who("ad-1", "", ROLE_ADMINISTRATOR);
	struct principal auditor = who("au-1", "", ROLE_AUDITOR);
	struct principal integration = who("in-1", "", ROLE_INTEGRATION);

	access_disclose_sud(0);
	CHECK(access_sees_sud(&worker, "cw-1", "north"));
	CHECK(!access_sees_sud(&other, "cw-1", "north"));
	CHECK(access_sees_sud(&supervisor, "cw-1", "north"));
	CHECK(!access_sees_sud(&supervisor, "cw-1", "south"));
	CHECK(access_sees_sud(&admin, "cw-1", "north"));
	CHECK(!access_sees_sud(&auditor, "cw-1", "north"));
	CHECK(!access_sees_sud(&integration, "cw-1", "north"));
	CHECK_STR(access_scope_of(&admin).sud_all, "t");
	CHECK_STR(access_scope_of(&auditor).sud_all, "f");
	CHECK_STR(access_scope_of(&worker).sud_all, "f");
}

static void test_disclosure_opens_substance_use_referrals_to_auditors_and_integration(void)
{
	struct principal auditor = who("au-1", "", ROLE_AUDITOR);
	struct principal integration = who("in-1", "", ROLE_INTEGRATION);
	struct principal other = who("cw-2", "north", ROLE_CASEWORKER);

	access_disclose_sud(1);
	CHECK(access_sees_sud(&auditor, "cw-1", "north"));
	CHECK(access_sees_sud(&integration, "cw-1", "north"));
	CHECK(!access_sees_sud(&other, "cw-1", "north"));   /* disclosure is for agency-wide roles only */
	CHECK_STR(access_scope_of(&auditor).sud_all, "t");
	access_disclose_sud(0);
}

static void test_plans_are_approved_by_the_unit_supervisor_administrator_or_integration(void)
{
	struct principal supervisor = who("sv-1", "north", ROLE_SUPERVISOR);
	struct principal worker = who("cw-1", "north", ROLE_CASEWORKER);
	struct principal admin = who("ad-1", "", ROLE_ADMINISTRATOR);
	struct principal integration = who("in-1", "", ROLE_INTEGRATION);
	struct principal auditor = who("au-1", "", ROLE_AUDITOR);

	CHECK(access_may_approve_plan(&supervisor, "north"));
	CHECK(!access_may_approve_plan(&supervisor, "south"));
	CHECK(!access_may_approve_plan(&supervisor, NULL));
	CHECK(!access_may_approve_plan(&worker, "north"));
	CHECK(access_may_approve_plan(&admin, "south"));
	CHECK(access_may_approve_plan(&integration, NULL));
	CHECK(!access_may_approve_plan(&auditor, "north"));
}

int main(void)
{
	RUN(test_scope_of_caseworker_is_their_caseload);
	RUN(test_scope_of_supervisor_is_their_unit);
	RUN(test_scope_of_administrator_auditor_and_integration_is_everything);
	RUN(test_scope_of_combined_roles_adds_up);
	RUN(test_scope_without_roles_sees_nothing);
	RUN(test_each_role_may_do_what_the_table_says);
	RUN(test_rights_of_several_roles_add_up);
	RUN(test_caseworker_cannot_see_other_caseload);
	RUN(test_supervisor_sees_their_unit_only);
	RUN(test_see_all_roles_see_every_record);
	RUN(test_caseworker_and_supervisor_sees_both_scopes);
	RUN(test_substance_use_referrals_are_seen_by_worker_unit_supervisor_and_administrator);
	RUN(test_disclosure_opens_substance_use_referrals_to_auditors_and_integration);
	RUN(test_plans_are_approved_by_the_unit_supervisor_administrator_or_integration);
	return check_result();
}
