/* access: who sees which records and may do what; several roles add up role by role. */
#include "access.h"

#include "check.h"

static struct principal who(const char *sub, const char *unit, unsigned roles)
{
	struct principal p = {.roles = roles};

	snprintf(p.sub, sizeof(p.sub), "%s", sub);
	snprintf(p.unit, sizeof(p.unit), "%s", unit);
	return p;
}

/* Every action one of the role set's roles may do, as enum access_action bits. */
static unsigned rights(unsigned roles)
{
	struct principal p = who("someone", "north", roles);
	unsigned bits = 0;

	for (unsigned a = ACCESS_WRITE; a <= ACCESS_READ_CHANGES; a <<= 1)
		if (access_may(&p, a))
			bits |= a;
	return bits;
}

#define MAY(a) (a)
#define CASE_WRITES (MAY(ACCESS_WRITE) | MAY(ACCESS_REASSIGN) | MAY(ACCESS_MOVE_UNIT) | MAY(ACCESS_APPROVE_PLAN) | \
		     MAY(ACCESS_UPSERT) | MAY(ACCESS_RENUMBER))

static const struct access_target north_cw1 = {"cw-1", "north", 0};
static const struct access_target south_cw1 = {"cw-1", "south", 0};
static const struct access_target north_cw2 = {"cw-2", "north", 0};
static const struct access_target south_cw2 = {"cw-2", "south", 0};

static struct access_target protected(const char *worker, const char *unit)
{
	return (struct access_target){worker, unit, 1};
}

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
	CHECK(rights(ROLE_SUPERVISOR) == (MAY(ACCESS_WRITE) | MAY(ACCESS_REASSIGN) | MAY(ACCESS_APPROVE_PLAN)));
	CHECK(rights(ROLE_ADMINISTRATOR) ==
	      (CASE_WRITES | MAY(ACCESS_DELETE) | MAY(ACCESS_READ_AUDIT) | MAY(ACCESS_READ_CHANGES)));
	CHECK(rights(ROLE_AUDITOR) == (MAY(ACCESS_READ_AUDIT) | MAY(ACCESS_READ_CHANGES)));
	CHECK(rights(ROLE_INTEGRATION) == (CASE_WRITES | MAY(ACCESS_READ_CHANGES)));
	CHECK(rights(0) == 0);
}

static void test_several_actions_need_one_role_that_may_do_them_all(void)
{
	struct principal p = who("cw-1", "north", ROLE_CASEWORKER | ROLE_AUDITOR);

	CHECK(access_may(&p, ACCESS_WRITE));
	CHECK(access_may(&p, ACCESS_READ_AUDIT));
	CHECK(!access_may(&p, ACCESS_WRITE | ACCESS_READ_AUDIT));
	p = who("sv-1", "north", ROLE_SUPERVISOR | ROLE_AUDITOR);
	CHECK(access_may(&p, ACCESS_WRITE | ACCESS_REASSIGN));
	CHECK(!access_may(&p, ACCESS_WRITE | ACCESS_MOVE_UNIT));
	CHECK(!access_may(&p, ACCESS_REASSIGN | ACCESS_READ_CHANGES));
}

static void test_write_scope_is_the_scope_of_the_roles_that_may_write(void)
{
	struct principal p = who("cw-1", "north", ROLE_CASEWORKER | ROLE_AUDITOR);
	struct access_scope s = access_scope_for(&p, ACCESS_WRITE);

	CHECK_STR(s.see_all, "f");
	CHECK(s.worker == p.sub && s.unit == NULL);
	CHECK_STR(access_scope_of(&p).see_all, "t");
	s = access_scope_for(&p, ACCESS_DELETE);
	CHECK_STR(s.see_all, "f");
	CHECK(s.worker == NULL && s.unit == NULL);
	p = who("sv-1", "south", ROLE_SUPERVISOR | ROLE_AUDITOR);
	s = access_scope_for(&p, ACCESS_WRITE | ACCESS_REASSIGN);
	CHECK_STR(s.see_all, "f");
	CHECK(s.worker == NULL && s.unit == p.unit);
	p = who("cw-1", "north", ROLE_CASEWORKER | ROLE_SUPERVISOR);
	s = access_scope_for(&p, ACCESS_WRITE);
	CHECK(s.worker == p.sub && s.unit == p.unit);
	s = access_scope_for(&p, ACCESS_APPROVE_PLAN);
	CHECK(s.worker == NULL && s.unit == p.unit);
}

static void test_caseworker_and_auditor_writes_only_the_caseload(void)
{
	struct principal p = who("cw-1", "north", ROLE_CASEWORKER | ROLE_AUDITOR);

	CHECK(access_allows(&p, ACCESS_WRITE, &north_cw1, &north_cw1));
	CHECK(!access_allows(&p, ACCESS_WRITE, &north_cw2, &north_cw2));
	CHECK(!access_allows(&p, ACCESS_WRITE, NULL, &south_cw2));
	CHECK(access_sees(&p, "cw-2", "south"));
}

static void test_supervisor_and_auditor_reassigns_only_in_the_unit(void)
{
	struct principal p = who("sv-1", "south", ROLE_SUPERVISOR | ROLE_AUDITOR);

	CHECK(access_allows(&p, ACCESS_WRITE | ACCESS_REASSIGN, &south_cw1, &south_cw2));
	CHECK(!access_allows(&p, ACCESS_WRITE | ACCESS_REASSIGN, &north_cw1, &north_cw2));
}

static void test_one_role_sees_the_record_before_and_after(void)
{
	struct principal p = who("cw-1", "north", ROLE_CASEWORKER | ROLE_SUPERVISOR);

	/* their own case in another unit: the caseworker sees it but may not reassign it */
	CHECK(access_allows(&p, ACCESS_WRITE, &south_cw1, &south_cw1));
	CHECK(!access_allows(&p, ACCESS_WRITE | ACCESS_REASSIGN, &south_cw1, &south_cw2));
	/* the supervisor reassigns within the unit, but never out of what it sees */
	CHECK(access_allows(&p, ACCESS_WRITE | ACCESS_REASSIGN, &north_cw2, &north_cw1));
	CHECK(!access_allows(&p, ACCESS_WRITE | ACCESS_REASSIGN, &north_cw2, &south_cw2));
	CHECK(!access_allows(&p, ACCESS_WRITE | ACCESS_MOVE_UNIT, &north_cw1, &south_cw1));
	CHECK(!access_allows(&p, ACCESS_WRITE | ACCESS_APPROVE_PLAN, &south_cw1, &south_cw1));
	CHECK(access_allows(&p, ACCESS_WRITE | ACCESS_APPROVE_PLAN, &north_cw2, &north_cw2));
}

static void test_all_five_roles_may_what_an_administrator_may(void)
{
	struct principal p = who("cw-1", "north", ROLE_CASEWORKER | ROLE_SUPERVISOR | ROLE_ADMINISTRATOR |
					       ROLE_AUDITOR | ROLE_INTEGRATION);

	CHECK(rights(p.roles) == rights(ROLE_ADMINISTRATOR));
	CHECK(access_allows(&p, ACCESS_DELETE, &south_cw2, NULL));
	CHECK(access_allows(&p, ACCESS_WRITE | ACCESS_MOVE_UNIT, &south_cw2, &north_cw2));
}

static void test_no_action_is_allowed_without_a_role(void)
{
	struct principal p = who("cw-1", "north", 0);

	CHECK(!access_allows(&p, 0, &north_cw1, NULL));
	CHECK(!access_allows(&p, ACCESS_WRITE, NULL, &north_cw1));
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
	struct access_target north = protected("cw-1", "north"), south = protected("cw-1", "south");

	access_disclose_sud(0);
	CHECK(access_allows(&worker, ACCESS_WRITE, &north, &north));
	CHECK(!access_allows(&other, ACCESS_WRITE, &north, &north));
	CHECK(access_allows(&supervisor, ACCESS_WRITE, &north, &north));
	CHECK(!access_allows(&supervisor, ACCESS_WRITE, &south, &south));
	CHECK(access_allows(&admin, ACCESS_WRITE, &north, &north));
	CHECK(!access_allows(&auditor, 0, &north, NULL));
	CHECK(!access_allows(&integration, ACCESS_WRITE, &north, &north));
	CHECK(access_allows(&integration, ACCESS_WRITE, &north_cw1, &north_cw1));
	CHECK_STR(access_scope_of(&admin).sud_all, "t");
	CHECK_STR(access_scope_of(&auditor).sud_all, "f");
	CHECK_STR(access_scope_of(&worker).sud_all, "f");
}

static void test_substance_use_referrals_are_written_by_a_role_that_sees_them(void)
{
	struct principal p = who("cw-1", "north", ROLE_CASEWORKER | ROLE_INTEGRATION);
	struct access_target own = protected("cw-1", "south"), foreign = protected("cw-2", "south");

	access_disclose_sud(0);
	CHECK(access_allows(&p, ACCESS_WRITE, NULL, &own));
	CHECK(!access_allows(&p, ACCESS_WRITE, NULL, &foreign));
	CHECK(!access_allows(&p, ACCESS_WRITE, &south_cw2, &foreign));  /* turning one into a protected one */
	CHECK(access_allows(&p, ACCESS_WRITE, &south_cw2, &south_cw2));
	access_disclose_sud(1);
	CHECK(access_allows(&p, ACCESS_WRITE, NULL, &foreign));
	access_disclose_sud(0);
}

static void test_disclosure_opens_substance_use_referrals_to_auditors_and_integration(void)
{
	struct principal auditor = who("au-1", "", ROLE_AUDITOR);
	struct principal integration = who("in-1", "", ROLE_INTEGRATION);
	struct principal other = who("cw-2", "north", ROLE_CASEWORKER);
	struct access_target north = protected("cw-1", "north");

	access_disclose_sud(1);
	CHECK(access_allows(&auditor, 0, &north, NULL));
	CHECK(access_allows(&integration, ACCESS_WRITE, &north, &north));
	CHECK(!access_allows(&other, 0, &north, NULL));   /* disclosure is for agency-wide roles only */
	CHECK_STR(access_scope_of(&auditor).sud_all, "t");
	CHECK_STR(access_scope_for(&auditor, ACCESS_WRITE).sud_all, "f");
	access_disclose_sud(0);
}

static void test_plans_are_approved_by_the_unit_supervisor_administrator_or_integration(void)
{
	struct principal supervisor = who("sv-1", "north", ROLE_SUPERVISOR);
	struct principal worker = who("cw-1", "north", ROLE_CASEWORKER);
	struct principal admin = who("ad-1", "", ROLE_ADMINISTRATOR);
	struct principal integration = who("in-1", "", ROLE_INTEGRATION);
	struct principal auditor = who("au-1", "", ROLE_AUDITOR);
	const unsigned approve = ACCESS_WRITE | ACCESS_APPROVE_PLAN;
	const struct access_target no_unit = {"cw-1", NULL, 0};

	CHECK(access_allows(&supervisor, approve, &north_cw1, &north_cw1));
	CHECK(!access_allows(&supervisor, approve, &south_cw1, &south_cw1));
	CHECK(!access_allows(&supervisor, approve, &no_unit, &no_unit));
	CHECK(!access_allows(&worker, approve, &north_cw1, &north_cw1));
	CHECK(access_allows(&admin, approve, &south_cw1, &south_cw1));
	CHECK(access_allows(&integration, approve, &no_unit, &no_unit));
	CHECK(!access_allows(&auditor, approve, &north_cw1, &north_cw1));
}

/* A request's actions are authorised once, before anything else of it is read. */
static void test_a_request_is_authorised_for_what_it_does(void)
{
	struct principal auditor = who("au-1", "", ROLE_AUDITOR), worker = who("cw-1", "north", ROLE_CASEWORKER);
	struct principal admin = who("ad-1", "", ROLE_ADMINISTRATOR), both = who("x", "north", ROLE_CASEWORKER | ROLE_AUDITOR);
	struct cw_error err = CW_ERROR_INIT;

	CHECK(access_authorize(&auditor, 0, NULL, &err) == CW_OK);
	CHECK(access_authorize(&auditor, ACCESS_READ_AUDIT, NULL, &err) == CW_OK);
	CHECK(access_authorize(&admin, ACCESS_DELETE, "case", &err) == CW_OK);
	CHECK(access_authorize(&both, ACCESS_WRITE, "case", &err) == CW_OK);
	CHECK(access_authorize(&both, ACCESS_READ_AUDIT, NULL, &err) == CW_OK);
	CHECK(access_authorize(&auditor, ACCESS_WRITE, "case", &err) == CW_FORBIDDEN);
	CHECK(strstr(err.detail, "case records") != NULL);
	cw_error_release(&err);
	err = (struct cw_error)CW_ERROR_INIT;
	CHECK(access_authorize(&worker, ACCESS_DELETE, "visit", &err) == CW_FORBIDDEN);
	CHECK(strstr(err.detail, "Only administrators delete visit records") != NULL);
	cw_error_release(&err);
	err = (struct cw_error)CW_ERROR_INIT;
	CHECK(access_authorize(&worker, ACCESS_READ_CHANGES, NULL, &err) == CW_FORBIDDEN);
	CHECK(strstr(err.detail, "change feed") != NULL);
	CHECK(!cw_has_field_errors(&err));
	cw_error_release(&err);
}

int main(void)
{
	RUN(test_scope_of_caseworker_is_their_caseload);
	RUN(test_scope_of_supervisor_is_their_unit);
	RUN(test_scope_of_administrator_auditor_and_integration_is_everything);
	RUN(test_scope_of_combined_roles_adds_up);
	RUN(test_scope_without_roles_sees_nothing);
	RUN(test_each_role_may_do_what_the_table_says);
	RUN(test_several_actions_need_one_role_that_may_do_them_all);
	RUN(test_write_scope_is_the_scope_of_the_roles_that_may_write);
	RUN(test_caseworker_and_auditor_writes_only_the_caseload);
	RUN(test_supervisor_and_auditor_reassigns_only_in_the_unit);
	RUN(test_one_role_sees_the_record_before_and_after);
	RUN(test_all_five_roles_may_what_an_administrator_may);
	RUN(test_no_action_is_allowed_without_a_role);
	RUN(test_caseworker_cannot_see_other_caseload);
	RUN(test_supervisor_sees_their_unit_only);
	RUN(test_see_all_roles_see_every_record);
	RUN(test_caseworker_and_supervisor_sees_both_scopes);
	RUN(test_substance_use_referrals_are_seen_by_worker_unit_supervisor_and_administrator);
	RUN(test_substance_use_referrals_are_written_by_a_role_that_sees_them);
	RUN(test_disclosure_opens_substance_use_referrals_to_auditors_and_integration);
	RUN(test_plans_are_approved_by_the_unit_supervisor_administrator_or_integration);
	RUN(test_a_request_is_authorised_for_what_it_does);
	return check_result();
}
