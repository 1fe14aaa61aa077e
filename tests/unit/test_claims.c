/* claims: verified claims + rules + a time -> principal, with no clock and no keys. */
#include "claims.h"

#include <stdarg.h>
#include <stdio.h>

#include "check.h"

#define NOW 1750000000.0   /* every test judges at this fixed time */

static const struct claim_rules any_issuer = {.issuer = NULL};

/* What claims_check answers for the claims written printf-style; *p filled when given. */
static enum cw_code verdict(const struct claim_rules *rules, double now, struct principal *p,
			    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum cw_code verdict(const struct claim_rules *rules, double now, struct principal *p,
			    const char *fmt, ...)
{
	char text[4096];
	struct cw_error err = CW_ERROR_INIT;
	struct principal ignored;
	struct token_times times;
	json_t *claims;
	enum cw_code rc;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	claims = json_loads(text, JSON_DECODE_ANY, NULL);
	if (claims == NULL) {
		fprintf(stderr, "  not JSON: %s\n", text);
		return CW_INTERNAL;
	}
	rc = claims_check(claims, rules, now, p ? p : &ignored, &times, &err);
	if ((rc == CW_OK) != (err.code == CW_OK) || (rc != CW_OK && err.detail[0] == '\0'))
		rc = CW_INTERNAL;  /* an answer must agree with its error */
	json_decref(claims);
	cw_error_release(&err);
	return rc;
}

static void test_the_same_claims_and_time_give_the_same_principal(void)
{
	struct principal p;

	for (int i = 0; i < 2; i++) {
		CHECK(verdict(&any_issuer, NOW, &p, "{\"sub\":\"cw-7\",\"unit\":\"north\",\"role\":\"caseworker\","
			      "\"exp\":%.0f}", NOW + 1) == CW_OK);
		CHECK_STR(p.sub, "cw-7");
		CHECK_STR(p.unit, "north");
		CHECK(p.roles == ROLE_CASEWORKER);
	}
}

/* exp is the first moment the token is no longer valid: at exp it is refused. */
static void test_exp_is_judged_against_the_given_time(void)
{
	CHECK(verdict(&any_issuer, NOW, NULL, "{\"sub\":\"x\",\"role\":\"auditor\",\"exp\":%.0f}", NOW + 1) == CW_OK);
	CHECK(verdict(&any_issuer, NOW, NULL, "{\"sub\":\"x\",\"role\":\"auditor\",\"exp\":%.0f}", NOW) ==
	      CW_UNAUTHENTICATED);
	CHECK(verdict(&any_issuer, NOW - 10, NULL, "{\"sub\":\"x\",\"role\":\"auditor\",\"exp\":%.0f}", NOW) == CW_OK);
	CHECK(verdict(&any_issuer, NOW, NULL, "{\"sub\":\"x\",\"role\":\"auditor\"}") == CW_UNAUTHENTICATED);
}

/* nbf and iat: 60 seconds of skew, and not one more. */
static void test_nbf_and_iat_allow_exactly_sixty_seconds(void)
{
	const char *fmt = "{\"sub\":\"x\",\"role\":\"auditor\",\"exp\":%.0f,\"%s\":%.0f}";

	CHECK(verdict(&any_issuer, NOW, NULL, fmt, NOW + 600, "nbf", NOW + 60) == CW_OK);
	CHECK(verdict(&any_issuer, NOW, NULL, fmt, NOW + 600, "nbf", NOW + 61) == CW_UNAUTHENTICATED);
	CHECK(verdict(&any_issuer, NOW, NULL, fmt, NOW + 600, "iat", NOW + 60) == CW_OK);
	CHECK(verdict(&any_issuer, NOW, NULL, fmt, NOW + 600, "iat", NOW + 61) == CW_UNAUTHENTICATED);
}

static void test_claims_that_are_not_an_object_are_refused(void)
{
	CHECK(verdict(&any_issuer, NOW, NULL, "[1]") == CW_UNAUTHENTICATED);
	CHECK(verdict(&any_issuer, NOW, NULL, "\"text\"") == CW_UNAUTHENTICATED);
	CHECK(verdict(&any_issuer, NOW, NULL, "null") == CW_UNAUTHENTICATED);
	CHECK(verdict(&any_issuer, NOW, NULL, "{}") == CW_UNAUTHENTICATED);
}

static void test_issuer_and_audience_come_from_the_rules(void)
{
	const struct claim_rules rules = {.issuer = "https://idp.example.org", .audience = "casework"};
	const char *fmt = "{\"sub\":\"x\",\"role\":\"auditor\",\"exp\":%.0f,\"iss\":\"%s\",\"aud\":%s}";

	CHECK(verdict(&rules, NOW, NULL, fmt, NOW + 9, "https://idp.example.org", "\"casework\"") == CW_OK);
	CHECK(verdict(&rules, NOW, NULL, fmt, NOW + 9, "https://idp.example.org", "[\"x\",\"casework\"]") == CW_OK);
	CHECK(verdict(&rules, NOW, NULL, fmt, NOW + 9, "https://other.example.org", "\"casework\"") ==
	      CW_UNAUTHENTICATED);
	CHECK(verdict(&rules, NOW, NULL, fmt, NOW + 9, "https://idp.example.org", "\"other\"") == CW_UNAUTHENTICATED);
	CHECK(verdict(&any_issuer, NOW, NULL, fmt, NOW + 9, "anyone", "\"anything\"") == CW_OK);
}

/* A token valid in every way but whose roles are all unknown: 403, and the
 * caller still learns who it was (for the log). */
static void test_no_known_role_is_forbidden_with_the_principal_filled(void)
{
	struct principal p;

	CHECK(verdict(&any_issuer, NOW, &p, "{\"sub\":\"j-1\",\"role\":[\"janitor\"],\"exp\":%.0f}", NOW + 9) ==
	      CW_FORBIDDEN);
	CHECK_STR(p.sub, "j-1");
	CHECK(p.roles == 0);
	/* Expired and unknown: the expiry decides (401 before 403). */
	CHECK(verdict(&any_issuer, NOW, &p, "{\"sub\":\"j-1\",\"role\":\"janitor\",\"exp\":%.0f}", NOW - 1) ==
	      CW_UNAUTHENTICATED);
}

static void test_recheck_judges_the_cached_answer_at_a_later_time(void)
{
	struct cw_error err = CW_ERROR_INIT;
	struct principal p = {"x", "", ROLE_AUDITOR}, nobody = {"y", "", 0};
	struct token_times t = {NOW + 10, 0, 0};

	CHECK(claims_recheck(&p, &t, NOW, &err) == CW_OK);
	CHECK(claims_recheck(&p, &t, NOW + 10, &err) == CW_UNAUTHENTICATED);
	CHECK(claims_recheck(&nobody, &t, NOW, &err) == CW_FORBIDDEN);
	CHECK(claims_recheck(&nobody, &t, NOW + 11, &err) == CW_UNAUTHENTICATED);
	cw_error_release(&err);
}

/* Keycloak-like: roles in realm_access.roles, the unit and the user name elsewhere. */
static void test_claims_are_read_where_the_rules_say(void)
{
	const struct claim_rules rules = {.role_claim = "realm_access.roles", .unit_claim = "org.unit",
					  .subject_claim = "preferred_username"};
	struct principal p;

	CHECK(verdict(&rules, NOW, &p, "{\"sub\":\"f81d4fae\",\"preferred_username\":\"jdoe\","
		      "\"realm_access\":{\"roles\":[\"offline_access\",\"supervisor\"]},\"org\":{\"unit\":\"north\"},"
		      "\"role\":\"administrator\",\"unit\":\"south\",\"exp\":%.0f}", NOW + 9) == CW_OK);
	CHECK_STR(p.sub, "jdoe");
	CHECK_STR(p.unit, "north");
	CHECK(p.roles == ROLE_SUPERVISOR);
	/* The path must lead through objects to a string or an array of strings. */
	CHECK(verdict(&rules, NOW, NULL, "{\"preferred_username\":\"j\",\"realm_access\":{\"roles\":[1]},"
		      "\"exp\":%.0f}", NOW + 9) == CW_UNAUTHENTICATED);
	CHECK(verdict(&rules, NOW, NULL, "{\"preferred_username\":\"j\",\"realm_access\":\"auditor\","
		      "\"exp\":%.0f}", NOW + 9) == CW_FORBIDDEN);
	CHECK(verdict(&rules, NOW, NULL, "{\"preferred_username\":\"j\",\"realm_access\":{\"roles\":\"auditor\"},"
		      "\"org\":{\"unit\":5},\"exp\":%.0f}", NOW + 9) == CW_UNAUTHENTICATED);
	CHECK(verdict(&rules, NOW, NULL, "{\"sub\":\"j\",\"realm_access\":{\"roles\":\"auditor\"},"
		      "\"exp\":%.0f}", NOW + 9) == CW_UNAUTHENTICATED);  /* no preferred_username */
}

/* With a role claim configured, a token without it is valid and has no role: 403. */
static void test_a_configured_role_claim_may_be_missing_or_empty(void)
{
	const struct claim_rules rules = {.role_claim = "roles"};

	CHECK(verdict(&rules, NOW, NULL, "{\"sub\":\"x\",\"exp\":%.0f}", NOW + 9) == CW_FORBIDDEN);
	CHECK(verdict(&rules, NOW, NULL, "{\"sub\":\"x\",\"roles\":[],\"exp\":%.0f}", NOW + 9) == CW_FORBIDDEN);
	CHECK(verdict(&rules, NOW, NULL, "{\"sub\":\"x\",\"roles\":{},\"exp\":%.0f}", NOW + 9) ==
	      CW_UNAUTHENTICATED);
	/* The default keeps its old rule: role is required and may not be empty. */
	CHECK(verdict(&any_issuer, NOW, NULL, "{\"sub\":\"x\",\"exp\":%.0f}", NOW + 9) == CW_UNAUTHENTICATED);
	CHECK(verdict(&any_issuer, NOW, NULL, "{\"sub\":\"x\",\"role\":[],\"exp\":%.0f}", NOW + 9) ==
	      CW_UNAUTHENTICATED);
}

static void test_the_role_map_turns_provider_names_into_roles(void)
{
	struct role_mapping map[] = {
		{"cw-supervisors", ROLE_SUPERVISOR}, {"state-sync", ROLE_INTEGRATION},
		{"cw-leads", ROLE_SUPERVISOR}, {"cw-leads", ROLE_CASEWORKER},
	};
	const struct claim_rules rules = {.role_claim = "groups", .role_map = map, .role_map_len = 4};
	struct principal p;

	CHECK(verdict(&rules, NOW, &p, "{\"sub\":\"x\",\"groups\":[\"Everyone\",\"state-sync\"],\"exp\":%.0f}",
		      NOW + 9) == CW_OK);
	CHECK(p.roles == ROLE_INTEGRATION);
	CHECK(verdict(&rules, NOW, &p, "{\"sub\":\"x\",\"unit\":\"n\",\"groups\":\"cw-leads\",\"exp\":%.0f}",
		      NOW + 9) == CW_OK);
	CHECK(p.roles == (ROLE_SUPERVISOR | ROLE_CASEWORKER));
	/* With a map, the service's own role names count only when mapped. */
	CHECK(verdict(&rules, NOW, &p, "{\"sub\":\"x\",\"groups\":[\"administrator\",\"Everyone\"],"
		      "\"exp\":%.0f}", NOW + 9) == CW_FORBIDDEN);
	/* A mapped supervisor still needs a unit. */
	CHECK(verdict(&rules, NOW, &p, "{\"sub\":\"x\",\"groups\":[\"cw-supervisors\"],\"exp\":%.0f}", NOW + 9) ==
	      CW_UNAUTHENTICATED);
}

static void test_claim_paths(void)
{
	CHECK(claims_path_is_valid("roles"));
	CHECK(claims_path_is_valid("realm_access.roles"));
	CHECK(claims_path_is_valid("resource_access.casework-api.roles"));
	CHECK(claims_path_is_valid("a.b.c.d.e.f.g.h"));
	CHECK(!claims_path_is_valid("a.b.c.d.e.f.g.h.i"));
	CHECK(!claims_path_is_valid(""));
	CHECK(!claims_path_is_valid(".roles"));
	CHECK(!claims_path_is_valid("roles."));
	CHECK(!claims_path_is_valid("realm..roles"));
	CHECK(!claims_path_is_valid("my roles"));
	CHECK(!claims_path_is_valid("r\xc3\xb4les"));
}

static void test_role_names_and_text(void)
{
	char text[80];

	CHECK(claims_role_bit("integration") == ROLE_INTEGRATION);
	CHECK(claims_role_bit("Integration") == 0);
	CHECK(claims_role_bit("") == 0);
	claims_roles_text(ROLE_SUPERVISOR | ROLE_INTEGRATION | ROLE_CASEWORKER, text, sizeof(text));
	CHECK_STR(text, "caseworker,supervisor,integration");
	claims_roles_text(ROLE_SUPERVISOR | ROLE_INTEGRATION, text, 12);
	CHECK_STR(text, "supervisor");
}

int main(void)
{
	RUN(test_the_same_claims_and_time_give_the_same_principal);
	RUN(test_exp_is_judged_against_the_given_time);
	RUN(test_nbf_and_iat_allow_exactly_sixty_seconds);
	RUN(test_claims_that_are_not_an_object_are_refused);
	RUN(test_issuer_and_audience_come_from_the_rules);
	RUN(test_no_known_role_is_forbidden_with_the_principal_filled);
	RUN(test_recheck_judges_the_cached_answer_at_a_later_time);
	RUN(test_claims_are_read_where_the_rules_say);
	RUN(test_a_configured_role_claim_may_be_missing_or_empty);
	RUN(test_the_role_map_turns_provider_names_into_roles);
	RUN(test_claim_paths);
	RUN(test_role_names_and_text);
	return check_result();
}
