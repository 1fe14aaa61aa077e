/* claims: verified claims + rules + a time -> principal, with no clock and no keys. */
#include "claims.h"

#include <stdarg.h>
#include <stdio.h>

#include "check.h"

#define NOW 1750000000.0   /* every test judges at this fixed time */

static const struct claim_rules any_issuer = {NULL, NULL};

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
	const struct claim_rules rules = {"https://idp.example.org", "casework"};
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
	RUN(test_role_names_and_text);
	return check_result();
}
